//! Parameter normalization (RFC 5849 §3.4.1.3.2) and the signature base string (§3.4.1).

use crate::Error;
use crate::encoding::{ascii_string, is_unreserved, percent_encode_bytes_into};
use crate::params::Text;
use crate::request::Request;

/// Normalizes `(name, value)` pairs by RFC 5849 §3.4.1.3.2: every name and value is
/// percent-encoded (§3.6), pairs are sorted by encoded name then encoded value (bytes), joined as
/// `name=value` with `&`. Duplicates, identical pairs too, are kept.
///
/// ```
/// let pairs = [("a", "x!y"), ("a", "x y"), ("name", "")];
/// assert_eq!(oauth1_signer::normalize_parameters(&pairs), "a=x%20y&a=x%21y&name=");
/// ```
pub fn normalize_parameters<N: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(N, V)]) -> String {
    let mut all = Pairs::new();
    for (n, v) in pairs {
        all.push(Text::Plain(n.as_ref()), Text::Plain(v.as_ref()));
    }
    all.normalize()
}

/// How many pairs [`Pairs`] holds without touching the heap; real requests have about a dozen.
const INLINE_PAIRS: usize = 24;

/// The parameters of one request (query, body, protocol), borrowed, in a fixed-capacity array
/// that spills to the heap only for unusually many parameters.
pub(crate) struct Pairs<'a> {
    inline: [(Text<'a>, Text<'a>); INLINE_PAIRS],
    len: usize,
    spill: Vec<(Text<'a>, Text<'a>)>,
}

impl<'a> Pairs<'a> {
    pub(crate) fn new() -> Self {
        Pairs {
            inline: [(Text::default(), Text::default()); INLINE_PAIRS],
            len: 0,
            spill: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, name: Text<'a>, value: Text<'a>) {
        if !self.spill.is_empty() {
            self.spill.push((name, value));
        } else if self.len < INLINE_PAIRS {
            self.inline[self.len] = (name, value);
            self.len += 1;
        } else {
            self.spill.reserve(2 * INLINE_PAIRS);
            self.spill.extend_from_slice(&self.inline);
            self.spill.push((name, value));
        }
    }

    pub(crate) fn as_slice(&self) -> &[(Text<'a>, Text<'a>)] {
        if self.spill.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }

    /// The normalized parameter string, written once into an exactly sized `String`: the pairs
    /// are sorted by their encodings without encoding them (see [`Text::cmp_encoded`]).
    pub(crate) fn normalize(&self) -> String {
        let pairs = self.as_slice();
        if pairs.len() <= INLINE_PAIRS {
            let mut order = [(0usize, false, false); INLINE_PAIRS];
            normalize_with(pairs, &mut order[..pairs.len()])
        } else {
            let mut order = vec![(0usize, false, false); pairs.len()];
            normalize_with(pairs, &mut order)
        }
    }
}

/// `order` gets, per pair, its index and whether its name and its value encode to themselves
/// (plain bytes, nothing to escape): those compare and copy as plain slices.
fn normalize_with(pairs: &[(Text<'_>, Text<'_>)], order: &mut [(usize, bool, bool)]) -> String {
    let mut len = pairs.len().saturating_sub(1);
    for (i, ((name, value), slot)) in pairs.iter().zip(order.iter_mut()).enumerate() {
        let (name_len, name_escaped) = name.encoded_len();
        let (value_len, value_escaped) = value.encoded_len();
        len += name_len + 1 + value_len;
        *slot = (
            i,
            name_escaped == 0 && matches!(name, Text::Plain(_)),
            value_escaped == 0 && matches!(value, Text::Plain(_)),
        );
    }
    let cmp_text = |a: &Text<'_>, a_plain: bool, b: &Text<'_>, b_plain: bool| match (a, b) {
        (Text::Plain(x), Text::Plain(y)) if a_plain && b_plain => x.cmp(y),
        _ => a.cmp_encoded(b),
    };
    order.sort_unstable_by(|&(a, an_plain, av_plain), &(b, bn_plain, bv_plain)| {
        let (an, av) = &pairs[a];
        let (bn, bv) = &pairs[b];
        cmp_text(an, an_plain, bn, bn_plain).then_with(|| cmp_text(av, av_plain, bv, bv_plain))
    });
    let mut out = Vec::with_capacity(len);
    let write = |out: &mut Vec<u8>, text: &Text<'_>, plain: bool| match text {
        Text::Plain(bytes) if plain => out.extend_from_slice(bytes),
        _ => text.encode_into(out),
    };
    for (i, &(k, name_plain, value_plain)) in order.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        let (name, value) = &pairs[k];
        write(&mut out, name, name_plain);
        out.push(b'=');
        write(&mut out, value, value_plain);
    }
    ascii_string(out)
}

/// `UPPER(method) & enc(base string URI) & enc(normalized parameters)` in one exactly sized
/// buffer (the URI part is estimated from above).
pub(crate) fn base_string(request: &Request<'_>, normalized: &str) -> Result<String, Error> {
    let method = request.checked_method()?;
    let url = request.url();
    let uri_estimate = 3 * (url.as_str().len() + request.authority().map_or(0, str::len)) + 8;
    let normalized = normalized.as_bytes();
    let escaped = normalized.iter().filter(|&&b| !is_unreserved(b)).count();
    let mut out =
        Vec::with_capacity(method.len() + 2 + uri_estimate + normalized.len() + 2 * escaped);
    out.extend(method.bytes().map(|b| b.to_ascii_uppercase()));
    out.push(b'&');
    url.encode_base_uri_into(&mut out, request.authority())?;
    out.push(b'&');
    percent_encode_bytes_into(&mut out, normalized);
    Ok(ascii_string(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward normalization: decode, encode each, sort the encoded pairs.
    fn reference(pairs: &[(Vec<u8>, Vec<u8>)]) -> String {
        let mut encoded: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (crate::percent_encode(n), crate::percent_encode(v)))
            .collect();
        encoded.sort();
        encoded
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    proptest::proptest! {
        #[test]
        fn form_texts_normalize_like_decoded_pairs(
            raw in proptest::collection::vec(
                ("[a-c%+=2AFf ~._-]{0,6}", "[a-c%+2AFf ~._-]{0,6}"),
                0..40,
            )
        ) {
            let mut all = Pairs::new();
            let mut decoded = Vec::new();
            for (n, v) in &raw {
                all.push(Text::form(n.as_bytes()), Text::form(v.as_bytes()));
                decoded.push((
                    crate::form_decode(n.as_bytes()).into_owned(),
                    crate::form_decode(v.as_bytes()).into_owned(),
                ));
            }
            proptest::prop_assert_eq!(all.normalize(), reference(&decoded));
        }

        #[test]
        fn byte_pairs_normalize_like_reference(
            raw in proptest::collection::vec(
                (proptest::collection::vec(proptest::num::u8::ANY, 0..5),
                 proptest::collection::vec(proptest::num::u8::ANY, 0..5)),
                0..30,
            )
        ) {
            proptest::prop_assert_eq!(normalize_parameters(&raw), reference(&raw));
        }
    }

    #[test]
    fn sorting_traps() {
        let pairs = [
            ("name10", "a"),
            ("name1", "b"),
            ("org-country", "US"),
            ("org", "acme"),
        ];
        assert_eq!(
            normalize_parameters(&pairs),
            "name1=b&name10=a&org=acme&org-country=US"
        );
        let pairs: [(&[u8], &[u8]); 3] = [(b"k", b"\xff"), (b"k", b"~"), (b"k", b"k")];
        assert_eq!(normalize_parameters(&pairs), "k=%FF&k=k&k=~");
        let empty: [(&str, &str); 0] = [];
        assert_eq!(normalize_parameters(&empty), "");
    }
}
