//! The `Authorization: OAuth …` header (RFC 5849 §3.5.1): a strict parser and its renderer.

use std::fmt;

use crate::HeaderError;
use crate::encoding::{decode_escape, is_unreserved, percent_encode_into};

/// A parsed `Authorization: OAuth …` header.
///
/// Parsing is strict about structure and lenient only where RFC 7235 allows: the scheme is
/// case-insensitive, optional whitespace may surround `,` and `=`. Duplicate parameters,
/// unquoted values, bad `%` escapes, other schemes and trailing garbage are typed
/// [`HeaderError`]s. Values are percent-decoded to bytes (`%FF` stays the byte `0xFF`); `realm`
/// is treated like every other parameter. The parser never panics.
///
/// Parsing is linear in the length of the header and bounded by [`HeaderLimits`] (total length,
/// number of parameters, length of each value): [`parse`](Self::parse) applies
/// [`HeaderLimits::DEFAULT`], [`parse_with_limits`](Self::parse_with_limits) takes your own.
/// A header over a limit is refused before (total length) or while (count, value) it is read,
/// so a hostile header costs at most one pass over the allowed number of bytes.
///
/// ```
/// use oauth1_signer::AuthorizationHeader;
/// let h = AuthorizationHeader::parse(
///     r#"oauth realm="Example" , oauth_consumer_key="key",oauth_signature="a%2Bb%3D""#,
/// )?;
/// assert_eq!(h.realm(), Some("Example"));
/// assert_eq!(h.consumer_key(), Some("key"));
/// assert_eq!(h.get("oauth_signature"), Some("a+b="));
/// assert_eq!(h.to_string(), r#"OAuth realm="Example", oauth_consumer_key="key", oauth_signature="a%2Bb%3D""#);
/// # Ok::<(), oauth1_signer::HeaderError>(())
/// ```
#[derive(Clone, Default)]
pub struct AuthorizationHeader {
    /// Every name and decoded value, back to back (one allocation, sized from the header text).
    buf: Vec<u8>,
    /// Where each parameter is in `buf`, in header order.
    spans: Spans,
}

/// What [`AuthorizationHeader::parse_with_limits`] accepts. Each limit over which a header is
/// refused has its own [`HeaderError`] variant.
///
/// The defaults ([`HeaderLimits::DEFAULT`], also `HeaderLimits::default()`) are far above
/// what any honest client sends and small enough that a hostile header costs microseconds:
///
/// - `max_header_bytes` = 16 KiB. A real header has about eight parameters and is under 1 KiB
///   with an RSA-4096 signature (684 base64 characters, about 700 once percent-encoded); an
///   RSA-8192 signature is 1,368 characters (at most 4,104 even if every character were
///   escaped). 16 KiB is also twice the per-line header limit of common front ends (nginx's
///   8 KiB `large_client_header_buffers`), so nothing an honest client can get through a proxy
///   is refused.
/// - `max_params` = 64. OAuth defines nine parameters plus `realm`; extensions
///   (`oauth_body_hash`, `xoauth_*`) add a few.
/// - `max_value_bytes` = 8 KiB, measured as written in the header (percent-encoded, between
///   the quotes): twice the worst-case RSA-8192 signature.
///
/// ```
/// use oauth1_signer::{AuthorizationHeader, HeaderError, HeaderLimits};
/// let mut limits = HeaderLimits::default();
/// limits.max_params = 2;
/// let err = AuthorizationHeader::parse_with_limits(r#"OAuth a="1", b="2", c="3""#, &limits);
/// assert_eq!(err, Err(HeaderError::TooManyParameters { max: 2 }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeaderLimits {
    /// Longest header value accepted, in bytes (the whole value, scheme included).
    pub max_header_bytes: usize,
    /// Most parameters accepted (`realm` included).
    pub max_params: usize,
    /// Longest parameter value accepted, in bytes as written in the header (still
    /// percent-encoded, quotes excluded).
    pub max_value_bytes: usize,
}

impl HeaderLimits {
    /// 16 KiB in total, 64 parameters, 8 KiB per value (see the type's docs for why).
    pub const DEFAULT: HeaderLimits = HeaderLimits {
        max_header_bytes: 16 * 1024,
        max_params: 64,
        max_value_bytes: 8 * 1024,
    };

    /// No limit at all (every field `usize::MAX`): only for input you already trust or bound
    /// elsewhere. Parsing stays linear (O(n log n) for the duplicate check).
    pub const UNLIMITED: HeaderLimits = HeaderLimits {
        max_header_bytes: usize::MAX,
        max_params: usize::MAX,
        max_value_bytes: usize::MAX,
    };
}

impl Default for HeaderLimits {
    fn default() -> Self {
        HeaderLimits::DEFAULT
    }
}

/// `(name start, name end == value start, value end)` in [`AuthorizationHeader::buf`].
type Span = (usize, usize, usize);

/// How many parameters a header holds without a second allocation (OAuth sends at most nine).
const INLINE_SPANS: usize = 12;

/// A fixed-capacity list of spans that spills to the heap past [`INLINE_SPANS`].
#[derive(Clone)]
struct Spans {
    inline: [Span; INLINE_SPANS],
    len: usize,
    spill: Vec<Span>,
}

impl Default for Spans {
    fn default() -> Self {
        Spans {
            inline: [(0, 0, 0); INLINE_SPANS],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl Spans {
    fn push(&mut self, span: Span) {
        if !self.spill.is_empty() {
            self.spill.push(span);
        } else if self.len < INLINE_SPANS {
            self.inline[self.len] = span;
            self.len += 1;
        } else {
            self.spill.reserve(2 * INLINE_SPANS);
            self.spill.extend_from_slice(&self.inline);
            self.spill.push(span);
        }
    }

    fn as_slice(&self) -> &[Span] {
        if self.spill.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }
}

/// The first parameter (in header order) whose name already appeared earlier, if any.
///
/// Pairwise for the few parameters of a real header; past [`INLINE_SPANS`], a stable sort of the
/// indices by name (O(n log n)), so a header of many parameters is never quadratic.
fn first_duplicate<'b>(buf: &'b [u8], spans: &[Span]) -> Option<&'b [u8]> {
    let name = |i: usize| &buf[spans[i].0..spans[i].1];
    if spans.len() <= INLINE_SPANS {
        return (1..spans.len())
            .find(|&i| (0..i).any(|j| name(j) == name(i)))
            .map(name);
    }
    let mut order: Vec<usize> = (0..spans.len()).collect();
    // Stable: equal names stay in header order, so `pair[1]` is a later occurrence.
    order.sort_by(|&a, &b| name(a).cmp(name(b)));
    order
        .windows(2)
        .filter(|pair| name(pair[0]) == name(pair[1]))
        .map(|pair| pair[1])
        .min()
        .map(name)
}

impl PartialEq for AuthorizationHeader {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for AuthorizationHeader {}

impl fmt::Debug for AuthorizationHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Params<'h>(&'h AuthorizationHeader);
        impl fmt::Debug for Params<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter()).finish()
            }
        }
        f.debug_struct("AuthorizationHeader")
            .field("params", &Params(self))
            .finish()
    }
}

/// `TCHAR[b]`: `b` is an HTTP token character (RFC 9110 §5.6.2).
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

#[inline]
fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// The length of the leading run of [`is_plain_value_byte`] bytes, eight bytes at a time.
#[inline]
fn plain_value_run(input: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Any byte of `w` equal to zero, or below 0x20 (borrows are harmless: a false positive only
    // sends the chunk to the byte-wise check below).
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let has_below_space = |w: u64| w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    let mut run = 0;
    let mut chunks = input.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let w = u64::from_ne_bytes(bytes);
        let special = has_below_space(w)
            | (w & HIGHS)
            | has_zero(w ^ (ONES * 0x7f))
            | has_zero(w ^ (ONES * u64::from(b'"')))
            | has_zero(w ^ (ONES * u64::from(b'%')))
            | has_zero(w ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            return run
                + chunk
                    .iter()
                    .position(|&b| !is_plain_value_byte(b))
                    .unwrap_or(8);
        }
        run += 8;
    }
    let rest = chunks.remainder();
    run + rest
        .iter()
        .position(|&b| !is_plain_value_byte(b))
        .unwrap_or(rest.len())
}

/// A value byte copied as is: visible ASCII and space, except `"`, `%` and `\\`.
#[inline]
fn is_plain_value_byte(b: u8) -> bool {
    (0x20..=0x7e).contains(&b) && !matches!(b, b'"' | b'%' | b'\\')
}

/// A parameter name (HTTP token characters, hence ASCII) as a `String`, for errors.
fn ascii_name(name: &[u8]) -> String {
    name.iter().map(|&b| char::from(b)).collect()
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.pos += 1;
        }
    }
}

impl AuthorizationHeader {
    /// Parses the value of an `Authorization` header (without the `Authorization:` name), within
    /// [`HeaderLimits::DEFAULT`].
    ///
    /// # Errors
    /// A [`HeaderError`] naming the first problem and where it is; a header over a limit gives
    /// [`HeaderError::TooLong`], [`HeaderError::TooManyParameters`] or
    /// [`HeaderError::ValueTooLong`].
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        Self::parse_with_limits(value, &HeaderLimits::DEFAULT)
    }

    /// Parses the value of an `Authorization` header within `limits`.
    ///
    /// Syntax errors are reported first (in the order met); a repeated parameter is reported once
    /// the whole header has been read.
    ///
    /// # Errors
    /// As [`parse`](Self::parse): [`HeaderError::TooLong`] before anything is read,
    /// [`HeaderError::TooManyParameters`] and [`HeaderError::ValueTooLong`] as soon as the limit
    /// is passed, the syntax errors, then [`HeaderError::DuplicateParameter`].
    pub fn parse_with_limits(value: &str, limits: &HeaderLimits) -> Result<Self, HeaderError> {
        if value.len() > limits.max_header_bytes {
            return Err(HeaderError::TooLong {
                len: value.len(),
                max: limits.max_header_bytes,
            });
        }
        let mut c = Cursor {
            input: value.as_bytes(),
            pos: 0,
        };
        c.skip_ows();
        let scheme_start = c.pos;
        while c.peek().is_some_and(is_tchar) {
            c.pos += 1;
        }
        if !c.input[scheme_start..c.pos].eq_ignore_ascii_case(b"OAuth") {
            return Err(HeaderError::UnknownScheme);
        }
        let mut header = AuthorizationHeader::default();
        match c.peek() {
            None => return Ok(header),
            Some(b) if is_ows(b) => c.skip_ows(),
            Some(_) => return Err(HeaderError::UnknownScheme),
        }
        if c.peek().is_none() {
            return Ok(header);
        }
        // Names and decoded values are never longer than the text they come from.
        header.buf.reserve_exact(c.input.len() - c.pos);
        loop {
            if header.spans.as_slice().len() >= limits.max_params {
                return Err(HeaderError::TooManyParameters {
                    max: limits.max_params,
                });
            }
            let span = Self::parse_param(&mut c, &mut header.buf, limits.max_value_bytes)?;
            header.spans.push(span);
            c.skip_ows();
            match c.peek() {
                None => break,
                Some(b',') => {
                    c.pos += 1;
                    c.skip_ows();
                    if c.peek().is_none() {
                        return Err(HeaderError::TrailingGarbage { position: c.pos });
                    }
                }
                Some(_) => return Err(HeaderError::TrailingGarbage { position: c.pos }),
            }
        }
        if let Some(name) = first_duplicate(&header.buf, header.spans.as_slice()) {
            return Err(HeaderError::DuplicateParameter {
                name: ascii_name(name),
            });
        }
        Ok(header)
    }

    /// Parses `name="value"` at the cursor, appending the name and the decoded value to `buf`;
    /// the value may take at most `max_value_bytes` of the input.
    fn parse_param(
        c: &mut Cursor<'_>,
        buf: &mut Vec<u8>,
        max_value_bytes: usize,
    ) -> Result<Span, HeaderError> {
        let start = c.pos;
        while c.peek().is_some_and(is_tchar) {
            c.pos += 1;
        }
        if c.pos == start {
            return Err(HeaderError::ExpectedName { position: start });
        }
        let name_bytes = &c.input[start..c.pos];
        let name = || ascii_name(name_bytes);
        c.skip_ows();
        if c.peek() != Some(b'=') {
            return Err(HeaderError::MissingEquals {
                name: name(),
                position: c.pos,
            });
        }
        c.pos += 1;
        c.skip_ows();
        if c.peek() != Some(b'"') {
            return Err(HeaderError::UnquotedValue {
                name: name(),
                position: c.pos,
            });
        }
        c.pos += 1;
        let name_start = buf.len();
        buf.extend_from_slice(name_bytes);
        let value_start = buf.len();
        // The value (and its closing quote) must end before this input position.
        let value_end = c.pos.saturating_add(max_value_bytes);
        loop {
            if c.pos > value_end {
                return Err(HeaderError::ValueTooLong {
                    name: name(),
                    max: max_value_bytes,
                });
            }
            // Copy the run of plain characters up to the next `"`, `%` or invalid byte at once,
            // looking no further than one byte past the value's limit.
            let rest = &c.input[c.pos..c.input.len().min(value_end.saturating_add(1))];
            let run = plain_value_run(rest);
            buf.extend_from_slice(&rest[..run]);
            c.pos += run;
            if c.pos > value_end {
                return Err(HeaderError::ValueTooLong {
                    name: name(),
                    max: max_value_bytes,
                });
            }
            match c.peek() {
                None => return Err(HeaderError::UnterminatedValue { name: name() }),
                Some(b'"') => {
                    c.pos += 1;
                    break;
                }
                Some(b'%') => match decode_escape(&c.input[c.pos + 1..]) {
                    Some(byte) => {
                        buf.push(byte);
                        c.pos += 3;
                    }
                    None => {
                        return Err(HeaderError::BadEscape {
                            name: name(),
                            position: c.pos,
                        });
                    }
                },
                Some(_) => {
                    return Err(HeaderError::InvalidCharacter {
                        name: name(),
                        position: c.pos,
                    });
                }
            }
        }
        Ok((name_start, value_start, buf.len()))
    }

    /// The decoded value of `name` as text; `None` when absent or not UTF-8 (see
    /// [`get_bytes`](Self::get_bytes)).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The decoded value of `name` as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        let name = name.as_bytes();
        self.spans
            .as_slice()
            .iter()
            .find(|&&(start, mid, _)| &self.buf[start..mid] == name)
            .map(|&(_, mid, end)| &self.buf[mid..end])
    }

    /// `oauth_consumer_key`.
    pub fn consumer_key(&self) -> Option<&str> {
        self.get("oauth_consumer_key")
    }

    /// `realm` (never signed).
    pub fn realm(&self) -> Option<&str> {
        self.get("realm")
    }

    /// `oauth_signature_method` as sent (it may name a method this crate does not know).
    pub fn signature_method(&self) -> Option<&str> {
        self.get("oauth_signature_method")
    }

    /// Every parameter (realm included) with its decoded value, in header order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + Clone + '_ {
        self.spans.as_slice().iter().map(|&(start, mid, end)| {
            // Names are HTTP tokens (ASCII), so this never falls back.
            let name = std::str::from_utf8(&self.buf[start..mid]).unwrap_or_default();
            (name, &self.buf[mid..end])
        })
    }

    /// Every parameter as raw `(name, value)` bytes, in header order.
    pub(crate) fn iter_bytes(&self) -> impl Iterator<Item = (&[u8], &[u8])> + Clone + '_ {
        self.spans
            .as_slice()
            .iter()
            .map(|&(start, mid, end)| (&self.buf[start..mid], &self.buf[mid..end]))
    }

    /// Number of parameters (realm included).
    pub fn len(&self) -> usize {
        self.spans.as_slice().len()
    }

    /// `true` when the header has no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for AuthorizationHeader {
    /// Renders `OAuth name="enc(value)", …` in the stored order; parsing the output gives back an
    /// equal header.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OAuth")?;
        let mut buf = String::new();
        for (i, (name, value)) in self.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            buf.clear();
            percent_encode_into(&mut buf, value);
            write!(f, "{name}=\"{buf}\"")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for AuthorizationHeader {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, HeaderError> {
        AuthorizationHeader::parse(s)
    }
}

/// Appends `, name="enc(value)"` (or ` name=…` for the first) to a header being built.
pub(crate) fn push_header_param(out: &mut String, first: &mut bool, name: &str, value: &[u8]) {
    out.push_str(if *first { " " } else { ", " });
    *first = false;
    out.push_str(name);
    out.push_str("=\"");
    if value.iter().all(|&b| is_unreserved(b)) {
        // Fast path: nothing to escape (consumer keys, nonces, timestamps, methods).
        out.extend(value.iter().map(|&b| char::from(b)));
    } else {
        percent_encode_into(out, value);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_whitespace_and_case() {
        let h = AuthorizationHeader::parse("  OAUTH \ta = \"1\" ,\tb=\"%41\"  ").unwrap();
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            vec![("a", &b"1"[..]), ("b", b"A")]
        );
        assert!(AuthorizationHeader::parse("OAuth").unwrap().is_empty());
        assert!(AuthorizationHeader::parse("oauth   ").unwrap().is_empty());
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn rejects_malformed() {
        use HeaderError::*;
        let cases: &[(&str, fn(&HeaderError) -> bool)] = &[
            ("Basic abc", |e| matches!(e, UnknownScheme)),
            ("OAuthx a=\"1\"", |e| matches!(e, UnknownScheme)),
            ("", |e| matches!(e, UnknownScheme)),
            ("OAuth a=1", |e| matches!(e, UnquotedValue { .. })),
            ("OAuth a", |e| matches!(e, MissingEquals { .. })),
            ("OAuth a=\"1", |e| matches!(e, UnterminatedValue { .. })),
            ("OAuth a=\"%G1\"", |e| matches!(e, BadEscape { .. })),
            ("OAuth a=\"%4\"", |e| matches!(e, BadEscape { .. })),
            ("OAuth a=\"1\", a=\"2\"", |e| {
                matches!(e, DuplicateParameter { .. })
            }),
            ("OAuth a=\"1\" b=\"2\"", |e| {
                matches!(e, TrailingGarbage { .. })
            }),
            ("OAuth a=\"1\",", |e| matches!(e, TrailingGarbage { .. })),
            ("OAuth a=\"1\" x", |e| matches!(e, TrailingGarbage { .. })),
            ("OAuth =\"1\"", |e| matches!(e, ExpectedName { .. })),
            ("OAuth a=\"1\",,b=\"2\"", |e| {
                matches!(e, ExpectedName { .. })
            }),
            ("OAuth a=\"\\\"\"", |e| matches!(e, InvalidCharacter { .. })),
            ("OAuth a=\"é\"", |e| matches!(e, InvalidCharacter { .. })),
        ];
        for (input, check) in cases {
            let err = AuthorizationHeader::parse(input).unwrap_err();
            assert!(check(&err), "{input:?} gave {err:?}");
        }
    }

    #[test]
    fn plain_run_matches_bytewise_scan() {
        let mut input: Vec<u8> = (0u8..=255).collect();
        input.extend_from_slice(
            b"abcdefghijklmnopqrstuvwxyz0123456789 !#$&'()*+,-./:;<=>?@[]^_`{|}~",
        );
        for start in 0..input.len() {
            for end in start..input.len().min(start + 40) {
                let slice = &input[start..end];
                let expected = slice
                    .iter()
                    .position(|&b| !is_plain_value_byte(b))
                    .unwrap_or(slice.len());
                assert_eq!(plain_value_run(slice), expected, "{slice:?}");
            }
        }
        let mut long = vec![b'a'; 100];
        for special in [0u8, 0x1f, b'"', b'%', b'\\', 0x7f, 0x80, 0xff] {
            for at in 0..long.len() {
                let keep = long[at];
                long[at] = special;
                assert_eq!(plain_value_run(&long), at);
                long[at] = keep;
            }
        }
        assert_eq!(plain_value_run(&long), 100);
    }

    #[test]
    fn debug_lists_pairs() {
        let h = AuthorizationHeader::parse("OAuth a=\"1\"").unwrap();
        assert_eq!(
            format!("{h:?}"),
            "AuthorizationHeader { params: [(\"a\", [49])] }"
        );
    }

    #[test]
    fn many_parameters_spill() {
        let text = (0..30)
            .map(|i| format!("p{i}=\"v%2{}\"", i % 10))
            .collect::<Vec<_>>()
            .join(", ");
        let h = AuthorizationHeader::parse(&format!("OAuth {text}")).unwrap();
        assert_eq!(h.len(), 30);
        assert_eq!(h.get("p29"), Some("v)"));
        assert_eq!(h.get("p0"), Some("v "));
        assert_eq!(AuthorizationHeader::parse(&h.to_string()).unwrap(), h);
        assert!(AuthorizationHeader::parse(&format!("OAuth {text}, p13=\"x\"")).is_err());
    }

    #[test]
    fn bytes_survive() {
        let h = AuthorizationHeader::parse("OAuth a=\"%FF%00\"").unwrap();
        assert_eq!(h.get_bytes("a"), Some(&b"\xff\x00"[..]));
        assert_eq!(h.get("a"), None);
        assert_eq!(AuthorizationHeader::parse(&h.to_string()).unwrap(), h);
    }
}
