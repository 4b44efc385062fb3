//! The form wire format: a borrowing field iterator and the pair encoders.
//!
//! # What the format can carry
//! Names and values are percent-encoded with the ordinary form rules (space as `+`, everything
//! but ASCII letters, digits and `*-._` as `%XX` of its UTF-8 bytes), so any Unicode string,
//! including `&`, `=`, `+`, `%` and line breaks, survives a round trip. The gateway's line
//! terminator after each response value is raw (never escaped), so it is told apart from a line
//! feed inside a value, which is always escaped as `%0A`.
//!
//! The byte escaping is the signer's ([`oauth1_signer::form_urlencode`] and
//! [`oauth1_signer::percent_decode`]): the body sent is encoded by the same code that the
//! signature's parameters are decoded with. Crates such as `form_urlencoded` decode leniently
//! (a bad `%` is kept as text, bad UTF-8 becomes U+FFFD); the gateway's format is strict, so
//! the decoder refuses both with a typed error.
//!
//! Names must be non-empty; an empty name has no wire representation this decoder accepts.

use std::borrow::Cow;

use crate::error::DecodeError;
use crate::excerpt::text_excerpt;

/// Content type of request bodies.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Longest excerpt kept in a [`DecodeError::NotAForm`] raised by [`FormFields`].
const ITER_EXCERPT_CHARS: usize = 200;

/// A borrowing iterator over the fields of a form body.
///
/// Each item is a `(name, value)` pair, percent-decoded (`+` as space, `%XX` as UTF-8).
/// A field that contains no escape is yielded as [`Cow::Borrowed`] without allocating.
/// Empty segments (`&&`, a trailing `&`) are skipped. After the first error the iterator ends.
///
/// In response mode ([`FormFields::response`]) one trailing raw `\n` or `\r\n` is removed from
/// every value, as the gateway appends a line feed after each value (the last value with or
/// without it).
#[derive(Debug, Clone)]
pub struct FormFields<'a> {
    body: &'a str,
    pos: usize,
    strip_terminators: bool,
    done: bool,
}

impl<'a> FormFields<'a> {
    /// Iterates over a gateway response body, removing each value's line terminator.
    pub fn response(body: &'a str) -> Self {
        Self {
            body,
            pos: 0,
            strip_terminators: true,
            done: false,
        }
    }

    /// Iterates over a request body (plain `application/x-www-form-urlencoded`, no terminators).
    pub fn request(body: &'a str) -> Self {
        Self {
            body,
            pos: 0,
            strip_terminators: false,
            done: false,
        }
    }

    /// The next raw segment (up to the next `&`) and its offset in the body.
    fn segment(&mut self) -> Option<(usize, &'a str)> {
        if self.done {
            return None;
        }
        let start = self.pos;
        let rest = &self.body[start..];
        let segment = match rest.find('&') {
            Some(i) => {
                self.pos = start + i + 1;
                &rest[..i]
            }
            None => {
                self.done = true;
                rest
            }
        };
        Some((start, segment))
    }

    fn not_a_form(&mut self, reason: &'static str) -> DecodeError {
        self.done = true;
        let excerpt = text_excerpt(self.body.as_bytes(), ITER_EXCERPT_CHARS);
        DecodeError::NotAForm { reason, excerpt }
    }
}

impl<'a> Iterator for FormFields<'a> {
    type Item = Result<(Cow<'a, str>, Cow<'a, str>), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (start, mut segment) = self.segment()?;
            if self.strip_terminators {
                segment = strip_terminator(segment);
            }
            if segment.is_empty() {
                continue;
            }
            let Some((raw_name, raw_value)) = segment.split_once('=') else {
                return Some(Err(self.not_a_form("a field has no `=`")));
            };
            if raw_name.is_empty() {
                return Some(Err(self.not_a_form("a field has an empty name")));
            }
            if !raw_name.bytes().all(name_byte) {
                return Some(Err(
                    self.not_a_form("a field name contains characters forms do not use")
                ));
            }
            let value_start = start + raw_name.len() + 1;
            let decoded = decode_component(raw_name, start)
                .and_then(|n| Ok((n, decode_component(raw_value, value_start)?)));
            if decoded.is_err() {
                self.done = true;
            }
            return Some(decoded);
        }
    }
}

impl std::iter::FusedIterator for FormFields<'_> {}

/// Raw (still encoded) field names may hold ASCII graphic characters except `=` and `&` (the
/// delimiters) and those that mark HTML or JSON (`<`, `"`, `{`, ...). Form names are escaped,
/// so this is generous; spaces and line breaks are refused.
fn name_byte(b: u8) -> bool {
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'=' | b'&' | b'<' | b'>' | b'"' | b'\'' | b'{' | b'}' | b'\\' | b'`'
        )
}

fn strip_terminator(segment: &str) -> &str {
    match segment.strip_suffix('\n') {
        Some(s) => s.strip_suffix('\r').unwrap_or(s),
        None => segment,
    }
}

/// Decodes one form component: `+` as space, `%XX` as a byte, the result as strict UTF-8.
///
/// `offset` is the component's position in the body: error positions point at the bad `%` or,
/// for a decoded value that is not UTF-8, at the start of the component.
fn decode_component(raw: &str, offset: usize) -> Result<Cow<'_, str>, DecodeError> {
    if !raw.contains(['%', '+']) {
        return Ok(Cow::Borrowed(raw));
    }
    // `+` first (one byte for one byte, so positions stay), then the strict `%XX` decoder.
    let spaced = raw.replace('+', " ");
    let bytes = oauth1_signer::percent_decode(spaced.as_bytes())
        .map_err(|e| DecodeError::InvalidPercentEncoding {
            position: offset + e.position,
        })?
        .into_owned();
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| DecodeError::InvalidUtf8 { position: offset })
}

fn encode_pairs(fields: &[(&str, &str)], separator: &str) -> String {
    let mut out = String::new();
    for (i, pair) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(&oauth1_signer::form_urlencode([*pair]));
    }
    out
}

/// Encodes a request body: `name=value&name=value`, in the given order.
pub fn encode_form(fields: &[(&str, &str)]) -> String {
    oauth1_signer::form_urlencode(fields.iter().copied())
}

/// Encodes a response body the way the gateway writes it: `name=value\n&name=value`.
///
/// A line feed follows every value but the last one: the seed's success response has
/// `Content-Length: 174`, which counts no final `\n`. Decoders accept both forms.
pub fn encode_response_body(fields: &[(&str, &str)]) -> String {
    encode_pairs(fields, "\n&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(it: FormFields<'_>) -> Result<Vec<(String, String)>, DecodeError> {
        it.map(|r| r.map(|(n, v)| (n.into_owned(), v.into_owned())))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn borrows_when_nothing_is_escaped() {
        let mut it = FormFields::response("type=error\n&error-code=1\n");
        let (n, v) = it.next().unwrap().unwrap();
        assert!(matches!(n, Cow::Borrowed("type")));
        assert!(matches!(v, Cow::Borrowed("error")));
        let (n, v) = it.next().unwrap().unwrap();
        assert_eq!((&*n, &*v), ("error-code", "1"));
        assert!(it.next().is_none());
    }

    #[test]
    fn terminators_and_escapes() {
        assert_eq!(
            collect(FormFields::response(
                "a=1\r\n&b=x+y%2Bz\n&c=%D0%96\n&d=\n&&e=%0A\n"
            ))
            .unwrap(),
            pairs(&[
                ("a", "1"),
                ("b", "x y+z"),
                ("c", "Ж"),
                ("d", ""),
                ("e", "\n")
            ])
        );
        // only one terminator is removed; a lone CR is data
        assert_eq!(
            collect(FormFields::response("a=1\n\n&b=2\r")).unwrap(),
            pairs(&[("a", "1\n"), ("b", "2\r")])
        );
        // request mode keeps line feeds
        assert_eq!(
            collect(FormFields::request("a=1\n&b=2")).unwrap(),
            pairs(&[("a", "1\n"), ("b", "2")])
        );
        assert_eq!(collect(FormFields::response("")).unwrap(), pairs(&[]));
        assert_eq!(
            collect(FormFields::response("a==")).unwrap(),
            pairs(&[("a", "=")])
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            collect(FormFields::response("a=1&b=%4")),
            Err(DecodeError::InvalidPercentEncoding { position: 6 })
        );
        assert_eq!(
            collect(FormFields::response("a=%zz")),
            Err(DecodeError::InvalidPercentEncoding { position: 2 })
        );
        assert_eq!(
            collect(FormFields::response("abc=ok&d=%C3%28")),
            Err(DecodeError::InvalidUtf8 { position: 9 })
        );
        for (body, reason) in [
            ("just text", "a field has no `=`"),
            ("=v", "a field has an empty name"),
            (
                "<p a=\"b\">",
                "a field name contains characters forms do not use",
            ),
            (
                "{\"a\":\"=\"}",
                "a field name contains characters forms do not use",
            ),
        ] {
            match collect(FormFields::response(body)) {
                Err(DecodeError::NotAForm { reason: r, .. }) => assert_eq!(r, reason, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        // fused after an error
        let mut it = FormFields::response("x&a=1");
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }

    #[test]
    fn encoders() {
        let fields = [("type", "error"), ("error-message", "a b&c=d+e%\n~Ж")];
        assert_eq!(
            encode_response_body(&fields),
            "type=error\n&error-message=a+b%26c%3Dd%2Be%25%0A%7E%D0%96"
        );
        assert_eq!(
            encode_form(&[("client_orderid", "34T43R77N"), ("orderid", "6868305")]),
            "client_orderid=34T43R77N&orderid=6868305"
        );
        assert_eq!(encode_form(&[]), "");
        let body = encode_response_body(&fields);
        assert_eq!(
            collect(FormFields::response(&body)).unwrap(),
            pairs(&fields)
        );
    }
}
