//! Request parameters as signing and verifying see them: the decoded pair type, the undecoded
//! [`Text`] of a query or body, form splitting, and the one check of the protocol parameters
//! (RFC 5849 §3.1) that both [`sign`](crate::sign) and [`verify`](crate::verify) apply.
//!
//! Module layering (no cycles): `encoding` (byte codecs) ← `params` ← `request` ←
//! `base_string` ← `sign` / `verify`.

use std::borrow::Cow;

use crate::encoding::{
    decode_escape, form_decode, is_unreserved, percent_encode_bytes_into, push_escape,
};

/// A decoded `(name, value)` parameter pair, borrowed from the request where possible.
pub type Param<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

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
                if let Some(byte) = decode_escape(rest) {
                    self.input = &rest[2..];
                    return Some(byte);
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
                        push_escape(out, b);
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
    for (name, value) in form_segments(input) {
        f(Text::form(name), Text::form(value));
    }
}

/// The `(name, value)` slices of form data, undecoded: split at `&`, empty segments skipped, a
/// bare `name` is `(name, "")`, the first `=` separates.
fn form_segments(input: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    input
        .split(|&b| b == b'&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &segment[..0]),
        })
}

/// Splits a form-encoded string (`a=1&b=2`) into decoded `(name, value)` byte pairs and appends
/// them to `out`. Empty segments (`a=1&&b=2`) are skipped; a bare `name` is `(name, "")`.
pub(crate) fn parse_form_into<'a>(input: &'a [u8], out: &mut Vec<Param<'a>>) {
    out.extend(form_segments(input).map(|(name, value)| (form_decode(name), form_decode(value))));
}

/// Decodes a form-encoded string (`a=1&b=2`) into `(name, value)` byte pairs, in order.
/// `+` is a space; a bare `name` is `(name, "")`; empty segments are skipped.
pub fn parse_form(input: &[u8]) -> Vec<Param<'_>> {
    let mut out = Vec::new();
    parse_form_into(input, &mut out);
    out
}

/// Protocol parameter names that a request must not carry in its query or body.
const PROTOCOL_PARAMETERS: [&str; 8] = [
    "oauth_body_hash",
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_token",
    "oauth_version",
];

/// Why the protocol parameters of a request break the rules of RFC 5849 §3.1. Signing and
/// verifying map it to their own error types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProtocolProblem {
    /// A required value is unusable.
    Invalid {
        name: &'static str,
        reason: &'static str,
    },
    /// The query or the form body carries a protocol parameter itself (the decoded name).
    InRequest { name: String },
}

/// The one check of the protocol parameters that signing and verifying share: the consumer key
/// and the nonce are not empty, the timestamp is a positive integer, and no protocol parameter
/// also travels in the request's own parameters (`request_params`: the query and form body).
pub(crate) fn check_protocol_parameters(
    consumer_key: &str,
    nonce: &str,
    timestamp: u64,
    request_params: &[(Text<'_>, Text<'_>)],
) -> Result<(), ProtocolProblem> {
    let invalid = |name, reason| Err(ProtocolProblem::Invalid { name, reason });
    if consumer_key.is_empty() {
        return invalid("oauth_consumer_key", "empty");
    }
    if nonce.is_empty() {
        return invalid("oauth_nonce", "empty");
    }
    if timestamp == 0 {
        return invalid("oauth_timestamp", "must be a positive integer");
    }
    match request_params
        .iter()
        .find(|(n, _)| PROTOCOL_PARAMETERS.iter().any(|p| n.eq_bytes(p.as_bytes())))
    {
        Some((name, _)) => Err(ProtocolProblem::InRequest {
            name: String::from_utf8_lossy(&name.decoded()).into_owned(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs() {
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
    fn protocol_check() {
        let params = [
            (Text::form(b"a"), Text::form(b"1")),
            (Text::form(b"oauth%5Fnonce"), Text::form(b"")),
        ];
        assert_eq!(
            check_protocol_parameters("ck", "n", 1, &params[..1]),
            Ok(())
        );
        assert_eq!(
            check_protocol_parameters("ck", "n", 1, &params),
            Err(ProtocolProblem::InRequest {
                name: "oauth_nonce".into()
            })
        );
        for (ck, nonce, ts, name) in [
            ("", "n", 1, "oauth_consumer_key"),
            ("ck", "", 1, "oauth_nonce"),
            ("ck", "n", 0, "oauth_timestamp"),
        ] {
            assert!(matches!(
                check_protocol_parameters(ck, nonce, ts, &[]),
                Err(ProtocolProblem::Invalid { name: n, .. }) if n == name
            ));
        }
    }
}
