//! Percent-encoding by RFC 5849 §3.6, and the form decoding/encoding used for queries and bodies.
//!
//! Two different encodings live here and must not be mixed up:
//! - [`percent_encode`]: the OAuth encoding used in the base string and the header. Only
//!   `A-Z a-z 0-9 - . _ ~` stay, every other byte is `%XX` (upper-case), space is `%20`.
//! - [`form_urlencode`]: ordinary `application/x-www-form-urlencoded` encoding for the body that
//!   goes on the wire (space is `+`, `*` stays).

use std::borrow::Cow;

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
            push_escape(out, b);
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

/// `%XX` (upper-case hex) for `b`: the one escape writer of both encodings. A 16-entry table
/// rather than the `hex` crate, whose encoders write lower case or allocate per call.
#[inline]
fn escape(b: u8) -> [u8; 3] {
    [
        b'%',
        HEX_UPPER[usize::from(b >> 4)],
        HEX_UPPER[usize::from(b & 0x0f)],
    ]
}

#[inline]
fn push_escaped(out: &mut String, b: u8) {
    out.extend(escape(b).map(char::from));
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

/// The byte of the `%XX` escape whose two hexadecimal digits start `after_percent`, if they are
/// two hexadecimal digits (either case).
#[inline]
pub(crate) fn decode_escape(after_percent: &[u8]) -> Option<u8> {
    let mut byte = [0u8];
    hex::decode_to_slice(after_percent.get(..2)?, &mut byte).ok()?;
    Some(byte[0])
}

/// Appends `%XX` (upper-case hex) for `b`.
#[inline]
pub(crate) fn push_escape(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&escape(b));
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
            let byte = decode_escape(&input[i + 1..]).ok_or(BadEscape { position: i })?;
            out.push(byte);
            i += 3;
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
                if let Some(byte) = decode_escape(&input[i + 1..]) {
                    out.push(byte);
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
        assert_eq!(form_decode(b"%4a%4A%g1").as_ref(), b"JJ%g1");
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
