//! The `Authorization: OAuth …` header (RFC 5849 §3.5.1): a strict parser and its renderer.

use std::fmt;

use crate::HeaderError;
use crate::encoding::{is_unreserved, percent_encode_into};

/// A parsed `Authorization: OAuth …` header.
///
/// Parsing is strict about structure and lenient only where RFC 7235 allows: the scheme is
/// case-insensitive, optional whitespace may surround `,` and `=`. Duplicate parameters,
/// unquoted values, bad `%` escapes, other schemes and trailing garbage are typed
/// [`HeaderError`]s. Values are percent-decoded to bytes (`%FF` stays the byte `0xFF`); `realm`
/// is treated like every other parameter. The parser never panics.
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthorizationHeader {
    params: Vec<(String, Vec<u8>)>,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
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
    /// Parses the value of an `Authorization` header (without the `Authorization:` name).
    ///
    /// # Errors
    /// A [`HeaderError`] naming the first problem and where it is.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
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
        let mut params: Vec<(String, Vec<u8>)> = Vec::new();
        match c.peek() {
            None => return Ok(AuthorizationHeader { params }),
            Some(b) if is_ows(b) => c.skip_ows(),
            Some(_) => return Err(HeaderError::UnknownScheme),
        }
        if c.peek().is_none() {
            return Ok(AuthorizationHeader { params });
        }
        loop {
            let (name, value) = Self::parse_param(&mut c)?;
            if params.iter().any(|(n, _)| *n == name) {
                return Err(HeaderError::DuplicateParameter { name });
            }
            params.push((name, value));
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
        Ok(AuthorizationHeader { params })
    }

    fn parse_param(c: &mut Cursor<'_>) -> Result<(String, Vec<u8>), HeaderError> {
        let start = c.pos;
        while c.peek().is_some_and(is_tchar) {
            c.pos += 1;
        }
        if c.pos == start {
            return Err(HeaderError::ExpectedName { position: start });
        }
        // tchar is ASCII, so this is valid UTF-8.
        let name: String = c.input[start..c.pos]
            .iter()
            .map(|&b| char::from(b))
            .collect();
        c.skip_ows();
        if c.peek() != Some(b'=') {
            return Err(HeaderError::MissingEquals {
                name,
                position: c.pos,
            });
        }
        c.pos += 1;
        c.skip_ows();
        if c.peek() != Some(b'"') {
            return Err(HeaderError::UnquotedValue {
                name,
                position: c.pos,
            });
        }
        c.pos += 1;
        let mut value = Vec::new();
        loop {
            match c.peek() {
                None => return Err(HeaderError::UnterminatedValue { name }),
                Some(b'"') => {
                    c.pos += 1;
                    break;
                }
                Some(b'%') => {
                    let hi = c.input.get(c.pos + 1).copied().and_then(hex);
                    let lo = c.input.get(c.pos + 2).copied().and_then(hex);
                    match (hi, lo) {
                        (Some(hi), Some(lo)) => {
                            value.push(hi << 4 | lo);
                            c.pos += 3;
                        }
                        _ => {
                            return Err(HeaderError::BadEscape {
                                name,
                                position: c.pos,
                            });
                        }
                    }
                }
                Some(b) if (0x20..=0x7e).contains(&b) && b != b'\\' => {
                    value.push(b);
                    c.pos += 1;
                }
                Some(_) => {
                    return Err(HeaderError::InvalidCharacter {
                        name,
                        position: c.pos,
                    });
                }
            }
        }
        Ok((name, value))
    }

    /// The decoded value of `name` as text; `None` when absent or not UTF-8 (see
    /// [`get_bytes`](Self::get_bytes)).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The decoded value of `name` as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
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
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Number of parameters (realm included).
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// `true` when the header has no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

impl fmt::Display for AuthorizationHeader {
    /// Renders `OAuth name="enc(value)", …` in the stored order; parsing the output gives back an
    /// equal header.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OAuth")?;
        let mut buf = String::new();
        for (i, (name, value)) in self.params.iter().enumerate() {
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
    fn bytes_survive() {
        let h = AuthorizationHeader::parse("OAuth a=\"%FF%00\"").unwrap();
        assert_eq!(h.get_bytes("a"), Some(&b"\xff\x00"[..]));
        assert_eq!(h.get("a"), None);
        assert_eq!(AuthorizationHeader::parse(&h.to_string()).unwrap(), h);
    }
}
