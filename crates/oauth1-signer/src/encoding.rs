//! Percent-encoding by RFC 5849 §3.6, and the form decoding/encoding used for queries and bodies.
//!
//! Two different encodings live here and must not be mixed up:
//! - [`percent_encode`]: the OAuth encoding used in the base string and the header. Only
//!   `A-Z a-z 0-9 - . _ ~` stay, every other byte is `%XX` (upper-case), space is `%20`.
//! - [`form_urlencode`]: ordinary `application/x-www-form-urlencoded` encoding for the body that
//!   goes on the wire (space is `+`, `*` stays).

use std::borrow::Cow;

use crate::request::Param;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `UNRESERVED[b]` is `true` for the RFC 3986 unreserved characters.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// `true` for the RFC 3986 unreserved characters, the only ones §3.6 leaves unencoded.
#[inline]
pub(crate) fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

/// Appends the §3.6 encoding of `input` to a byte buffer, copying runs of unreserved bytes in
/// one go. Everything written is ASCII.
#[inline]
pub(crate) fn percent_encode_bytes_into(out: &mut Vec<u8>, mut input: &[u8]) {
    while !input.is_empty() {
        let run = input
            .iter()
            .position(|&b| !is_unreserved(b))
            .unwrap_or(input.len());
        out.extend_from_slice(&input[..run]);
        if let Some(&b) = input.get(run) {
            out.extend_from_slice(&[
                b'%',
                HEX_UPPER[usize::from(b >> 4)],
                HEX_UPPER[usize::from(b & 0x0f)],
            ]);
            input = &input[run + 1..];
        } else {
            break;
        }
    }
}

/// Turns a buffer that only ever received ASCII into a `String` (validation is a fast ASCII
/// scan; the lossy branch cannot be taken).
pub(crate) fn ascii_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A parameter name or value as found: plain bytes (already decoded), or a form-encoded slice of
/// the query or body that is decoded on the fly (`+` is a space, `%XX` a byte, a stray `%` stays)
/// so that no decoded copy is ever allocated.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text<'a> {
    /// Decoded bytes.
    Plain(&'a [u8]),
    /// Form-encoded bytes that contain at least one `+` or `%`.
    Form(&'a [u8]),
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text::Plain(&[])
    }
}

/// The decoded bytes of a [`Text::Form`].
#[derive(Clone)]
pub(crate) struct FormBytes<'a> {
    input: &'a [u8],
}

impl Iterator for FormBytes<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.input.split_first()?;
        match b {
            b'+' => {
                self.input = rest;
                Some(b' ')
            }
            b'%' => {
                if let [hi, lo, rest @ ..] = rest
                    && let (Some(hi), Some(lo)) = (hex_value(*hi), hex_value(*lo))
                {
                    self.input = rest;
                    return Some(hi << 4 | lo);
                }
                self.input = rest;
                Some(b'%')
            }
            _ => {
                self.input = rest;
                Some(b)
            }
        }
    }
}

fn form_bytes(input: &[u8]) -> FormBytes<'_> {
    FormBytes { input }
}

impl<'a> Text<'a> {
    /// A name or value cut from form data: borrowed as is when it holds no `+` or `%`.
    #[inline]
    pub(crate) fn form(input: &'a [u8]) -> Self {
        if input.iter().any(|&b| b == b'%' || b == b'+') {
            Text::Form(input)
        } else {
            Text::Plain(input)
        }
    }

    /// `true` when the decoded bytes equal `other`.
    pub(crate) fn eq_bytes(&self, other: &[u8]) -> bool {
        match *self {
            Text::Plain(b) => b == other,
            Text::Form(f) => form_bytes(f).eq(other.iter().copied()),
        }
    }

    /// The decoded bytes (allocates for a form-encoded text; for error paths).
    pub(crate) fn decoded(&self) -> Cow<'a, [u8]> {
        match *self {
            Text::Plain(b) => Cow::Borrowed(b),
            Text::Form(f) => form_decode(f),
        }
    }

    /// The length of the §3.6 encoding of the decoded bytes, and how many bytes are escaped.
    #[inline]
    pub(crate) fn encoded_len(&self) -> (usize, usize) {
        let escaped = |b: u8| usize::from(!is_unreserved(b));
        let (len, esc) = match *self {
            Text::Plain(b) => (b.len(), b.iter().map(|&b| escaped(b)).sum()),
            Text::Form(f) => form_bytes(f).fold((0, 0), |(l, e), b| (l + 1, e + escaped(b))),
        };
        (len + 2 * esc, esc)
    }

    /// Appends the §3.6 encoding of the decoded bytes.
    #[inline]
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        match *self {
            Text::Plain(b) => percent_encode_bytes_into(out, b),
            Text::Form(f) => {
                for b in form_bytes(f) {
                    if is_unreserved(b) {
                        out.push(b);
                    } else {
                        out.extend_from_slice(&[
                            b'%',
                            HEX_UPPER[usize::from(b >> 4)],
                            HEX_UPPER[usize::from(b & 0x0f)],
                        ]);
                    }
                }
            }
        }
    }

    /// Orders two texts as their §3.6 encodings would order byte-wise, without encoding them:
    /// an escaped byte (`%XX`) sorts before every unreserved byte (`%` is below them all), two
    /// escaped bytes sort by value (upper-case hex keeps numeric order), and unreserved bytes by
    /// value.
    #[inline]
    pub(crate) fn cmp_encoded(&self, other: &Text<'_>) -> std::cmp::Ordering {
        match (*self, *other) {
            (Text::Plain(a), Text::Plain(b)) => {
                cmp_encoded_iter(a.iter().copied(), b.iter().copied())
            }
            (Text::Plain(a), Text::Form(b)) => cmp_encoded_iter(a.iter().copied(), form_bytes(b)),
            (Text::Form(a), Text::Plain(b)) => cmp_encoded_iter(form_bytes(a), b.iter().copied()),
            (Text::Form(a), Text::Form(b)) => cmp_encoded_iter(form_bytes(a), form_bytes(b)),
        }
    }
}

#[inline]
fn encoded_order_key(b: u8) -> u16 {
    (u16::from(is_unreserved(b)) << 8) | u16::from(b)
}

#[inline]
fn cmp_encoded_iter(
    mut a: impl Iterator<Item = u8>,
    mut b: impl Iterator<Item = u8>,
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) => {
                if x != y {
                    return encoded_order_key(x).cmp(&encoded_order_key(y));
                }
            }
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
        }
    }
}

/// Splits form data (`a=1&b=2`) into `(name, value)` texts, in order, without decoding; empty
/// segments are skipped and a bare `name` is `(name, "")`, as in [`parse_form`].
pub(crate) fn for_each_form_pair<'a>(input: &'a [u8], mut f: impl FnMut(Text<'a>, Text<'a>)) {
    for segment in input.split(|&b| b == b'&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &segment[..0]),
        };
        f(Text::form(name), Text::form(value));
    }
}

#[inline]
fn push_escaped(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
    out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
}

/// Appends the §3.6 encoding of `input` to `out`.
#[inline]
pub fn percent_encode_into(out: &mut String, input: &[u8]) {
    for &b in input {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            push_escaped(out, b);
        }
    }
}

/// The length of the §3.6 encoding of `input`, to size buffers exactly.
#[inline]
pub fn percent_encoded_len(input: &[u8]) -> usize {
    input
        .iter()
        .map(|&b| if is_unreserved(b) { 1 } else { 3 })
        .sum()
}

/// Percent-encodes `input` by RFC 5849 §3.6 (UTF-8 bytes, unreserved kept, `%XX` upper-case).
///
/// ```
/// assert_eq!(oauth1_signer::percent_encode("a b*!"), "a%20b%2A%21");
/// ```
pub fn percent_encode(input: impl AsRef<[u8]>) -> String {
    let input = input.as_ref();
    let mut out = String::with_capacity(percent_encoded_len(input));
    percent_encode_into(&mut out, input);
    out
}

#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A `%` that is not followed by two hexadecimal digits, at this byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadEscape {
    /// Byte offset of the `%`.
    pub position: usize,
}

impl std::fmt::Display for BadEscape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad percent-escape at byte {}", self.position)
    }
}

impl std::error::Error for BadEscape {}

/// Strict percent-decoding to bytes: every `%` must start a `%XX` escape; `+` stays `+`.
/// Decoding is byte-level: `%FF` becomes the byte `0xFF`.
///
/// # Errors
/// [`BadEscape`] at the first `%` not followed by two hexadecimal digits.
pub fn percent_decode(input: &[u8]) -> Result<Cow<'_, [u8]>, BadEscape> {
    if !input.contains(&b'%') {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' {
            let hi = input.get(i + 1).copied().and_then(hex_value);
            let lo = input.get(i + 2).copied().and_then(hex_value);
            match (hi, lo) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => return Err(BadEscape { position: i }),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(Cow::Owned(out))
}

/// Decodes one `application/x-www-form-urlencoded` name or value to bytes: `+` is a space,
/// `%XX` is a byte, and a `%` that does not start a valid escape stays a literal `%` (the
/// WHATWG URL standard's rule, so decoding never fails).
pub fn form_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = input.get(i + 1).copied().and_then(hex_value);
                let lo = input.get(i + 2).copied().and_then(hex_value);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Splits a form-encoded string (`a=1&b=2`) into decoded `(name, value)` byte pairs and appends
/// them to `out`. Empty segments (`a=1&&b=2`) are skipped; a bare `name` is `(name, "")`.
pub(crate) fn parse_form_into<'a>(input: &'a [u8], out: &mut Vec<Param<'a>>) {
    for segment in input.split(|&b| b == b'&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &segment[..0]),
        };
        out.push((form_decode(name), form_decode(value)));
    }
}

/// Decodes a form-encoded string (`a=1&b=2`) into `(name, value)` byte pairs, in order.
/// `+` is a space; a bare `name` is `(name, "")`; empty segments are skipped.
pub fn parse_form(input: &[u8]) -> Vec<Param<'_>> {
    let mut out = Vec::new();
    parse_form_into(input, &mut out);
    out
}

fn form_encode_into(out: &mut String, input: &[u8]) {
    for &b in input {
        if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            push_escaped(out, b);
        }
    }
}

/// Builds an ordinary `application/x-www-form-urlencoded` body from plain (unencoded) pairs,
/// keeping their order: space becomes `+`, `* - . _` and alphanumerics stay, everything else is
/// `%XX`. This is the encoding for the wire, not for the signature.
///
/// ```
/// let body = oauth1_signer::form_urlencode([("client_orderid", "A 1"), ("note", "x&y=z")]);
/// assert_eq!(body, "client_orderid=A+1&note=x%26y%3Dz");
/// ```
pub fn form_urlencode<'p, I, N, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (N, V)>,
    N: AsRef<[u8]> + 'p,
    V: AsRef<[u8]> + 'p,
{
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        form_encode_into(&mut out, name.as_ref());
        out.push('=');
        form_encode_into(&mut out, value.as_ref());
    }
    out
}

/// `true` when the `Content-Type` value is `application/x-www-form-urlencoded`, compared
/// case-insensitively with media-type parameters (`; charset=UTF-8`) ignored.
pub fn is_form_content_type(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or("");
    media_type
        .trim_matches(|c| c == ' ' || c == '\t')
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_per_rfc() {
        assert_eq!(percent_encode("-._~aZ09"), "-._~aZ09");
        assert_eq!(percent_encode(" +*%"), "%20%2B%2A%25");
        assert_eq!(percent_encode([0xffu8]), "%FF");
        assert_eq!(percent_encoded_len(b"a b"), 5);
    }

    #[test]
    fn strict_decode() {
        assert_eq!(percent_decode(b"a%20b%ff").unwrap().as_ref(), b"a b\xff");
        assert_eq!(percent_decode(b"a+b").unwrap().as_ref(), b"a+b");
        assert_eq!(percent_decode(b"ab%2").unwrap_err().position, 2);
        assert_eq!(percent_decode(b"%zz").unwrap_err().position, 0);
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode(b"a+b%2B%").as_ref(), b"a b+%");
        let pairs = parse_form(b"a=1&&b&c=&=d&e=f=g");
        let pairs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.as_ref(), v.as_ref()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (&b"a"[..], &b"1"[..]),
                (b"b", b""),
                (b"c", b""),
                (b"", b"d"),
                (b"e", b"f=g")
            ]
        );
    }

    #[test]
    fn content_type() {
        assert!(is_form_content_type("application/x-www-form-urlencoded"));
        assert!(is_form_content_type(
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8"
        ));
        assert!(is_form_content_type(
            " application/x-www-form-urlencoded ;charset=utf-8"
        ));
        assert!(!is_form_content_type("application/json"));
        assert!(!is_form_content_type("multipart/form-data; boundary=x"));
        assert!(!is_form_content_type(""));
    }
}
