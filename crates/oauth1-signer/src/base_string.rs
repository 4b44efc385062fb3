//! Parameter normalization (RFC 5849 §3.4.1.3.2) and the signature base string (§3.4.1).

use crate::Error;
use crate::encoding::{percent_encode_into, percent_encoded_len};
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
    normalize_iter(pairs.iter().map(|(n, v)| (n.as_ref(), v.as_ref())))
}

/// Normalization over any iterator of byte pairs: one buffer holds every encoded name and value,
/// spans into it are sorted, then the result is written into one exactly sized `String`.
pub(crate) fn normalize_iter<'p>(
    pairs: impl Iterator<Item = (&'p [u8], &'p [u8])> + Clone,
) -> String {
    let (count, encoded_len) = pairs.clone().fold((0usize, 0usize), |(c, l), (n, v)| {
        (c + 1, l + percent_encoded_len(n) + percent_encoded_len(v))
    });
    let mut buf = String::with_capacity(encoded_len);
    // (name start, name end == value start, value end)
    let mut spans: Vec<(usize, usize, usize)> = Vec::with_capacity(count);
    for (name, value) in pairs {
        let start = buf.len();
        percent_encode_into(&mut buf, name);
        let mid = buf.len();
        percent_encode_into(&mut buf, value);
        spans.push((start, mid, buf.len()));
    }
    let bytes = buf.as_bytes();
    spans.sort_unstable_by(|a, b| {
        bytes[a.0..a.1]
            .cmp(&bytes[b.0..b.1])
            .then_with(|| bytes[a.1..a.2].cmp(&bytes[b.1..b.2]))
    });
    let mut out = String::with_capacity(encoded_len + 2 * count);
    for (i, &(start, mid, end)) in spans.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&buf[start..mid]);
        out.push('=');
        out.push_str(&buf[mid..end]);
    }
    out
}

/// `UPPER(method) & enc(base string URI) & enc(normalized parameters)` in one pre-sized `String`.
pub(crate) fn base_string(request: &Request<'_>, normalized: &str) -> Result<String, Error> {
    let method = request.checked_method()?;
    let url = request.url();
    let uri_estimate = 3 * url.as_str().len() + 8;
    let mut out = String::with_capacity(
        method.len() + 2 + uri_estimate + percent_encoded_len(normalized.as_bytes()),
    );
    out.extend(method.chars().map(|c| c.to_ascii_uppercase()));
    out.push('&');
    url.encode_base_uri_into(&mut out, request.authority())?;
    out.push('&');
    percent_encode_into(&mut out, normalized.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
