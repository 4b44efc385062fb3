//! Removing the secrets a client sent from the text a gateway sends back.
//!
//! A gateway (or a proxy in front of it, or a hostile server) may echo the request into its
//! error: a ServiceStack `ResponseStatus.Message` quoting the posted JSON with the password, an
//! HTML error page with the body in a `<pre>`, a Payneteasy `error-message` repeating the card
//! number or the `Authorization` header. The client knows every secret it sent, so before any
//! gateway text is stored in an [`Error`](crate::Error) it goes through a [`Redactor`] holding
//! them, and every occurrence becomes [`REDACTED`].
//!
//! A text secret (password, signature) is looked for as it is, and as it appears after JSON
//! string escaping (with and without `\/`, and with non-ASCII as `\uXXXX`), percent-encoding
//! (`%20` and `+` for a space) and HTML escaping. A digit secret (PAN, CVN) is looked for in
//! runs of digits that may be split by single spaces, dashes, dots or `+` (`4111 1111 …`): a
//! run whose digits contain a long secret (eight digits or more), or equal a short one, is
//! redacted whole.
//!
//! ```
//! use paygate_client::redact::Redactor;
//!
//! let mut redactor = Redactor::new();
//! redactor.add_text("pa\"ss");
//! redactor.add_digits("4111111111111111");
//! let echoed = r#"bad request {"Password":"pa\"ss"} card 4111 1111 1111 1111"#;
//! assert_eq!(redactor.redact(echoed), "bad request {\"Password\":\"[redacted]\"} card [redacted]");
//! ```

use std::borrow::Cow;
use std::fmt;

use zeroize::Zeroizing;

/// What replaces a secret in gateway text.
pub const REDACTED: &str = "[redacted]";

/// Digit secrets at least this long are found inside longer digit runs; shorter ones (a CVN)
/// only as a whole run, so that an error code that merely contains them survives.
const LONG_DIGITS: usize = 8;

/// A set of secret values to remove from text. Its copies of the secrets are wiped on drop,
/// and `Debug` shows only how many it holds.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Text secrets in every encoding looked for, longest first (so a longer form wins).
    literals: Vec<Zeroizing<String>>,
    /// Digit secrets, digits only.
    digits: Vec<Zeroizing<String>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("literals", &self.literals.len())
            .field("digit_secrets", &self.digits.len())
            .finish()
    }
}

impl Redactor {
    /// An empty redactor: it changes nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no secret was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.literals.is_empty() && self.digits.is_empty()
    }

    /// Adds a text secret (a password, a signature) in all the encodings described in the
    /// [module documentation](self). An empty secret is ignored.
    pub fn add_text(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let forms = [
            Zeroizing::new(secret.to_owned()),
            json_escaped(secret, false, false),
            json_escaped(secret, true, false),
            json_escaped(secret, false, true),
            json_escaped(secret, true, true),
            percent_encoded(secret, false),
            percent_encoded(secret, true),
            html_escaped(secret),
        ];
        for form in forms {
            if !self.literals.iter().any(|l| l.as_str() == form.as_str()) {
                self.literals.push(form);
            }
        }
        self.literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
    }

    /// Adds a digit secret (a PAN, a CVN). Characters other than ASCII digits are ignored; a
    /// secret without digits is ignored.
    pub fn add_digits(&mut self, secret: &str) {
        let digits: Zeroizing<String> =
            Zeroizing::new(secret.chars().filter(char::is_ascii_digit).collect());
        if !digits.is_empty() && !self.digits.iter().any(|d| d.as_str() == digits.as_str()) {
            self.digits.push(digits);
        }
    }

    /// Adds every secret of `other`.
    pub fn extend(&mut self, other: &Redactor) {
        for literal in &other.literals {
            if !self.literals.iter().any(|l| l.as_str() == literal.as_str()) {
                self.literals.push(literal.clone());
            }
        }
        self.literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
        for digits in &other.digits {
            self.add_digits(digits);
        }
    }

    /// `text` with every secret replaced by [`REDACTED`]; borrowed when nothing was found.
    #[must_use]
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = Cow::Borrowed(text);
        for literal in &self.literals {
            if out.contains(literal.as_str()) {
                out = Cow::Owned(out.replace(literal.as_str(), REDACTED));
            }
        }
        if !self.digits.is_empty()
            && let Some(replaced) = self.redact_digit_runs(&out)
        {
            out = Cow::Owned(replaced);
        }
        out
    }

    /// `body` with every secret replaced, or `None` when it holds none. Invalid UTF-8 is kept
    /// as it is around the replacements.
    ///
    /// So that any percent-encoding of a secret is found, the percent-escapes of a piece that
    /// holds a secret are first normalized (RFC 3986 §6.2.2: unreserved characters decoded,
    /// hexadecimal digits in upper case), which a form decoder reads the same.
    #[must_use]
    pub fn redact_bytes(&self, body: &[u8]) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        // Redact the valid UTF-8 pieces; the invalid bytes between them cannot hold a secret
        // (every secret is valid UTF-8).
        let mut out = Vec::with_capacity(body.len());
        let mut changed = false;
        for chunk in body.utf8_chunks() {
            let valid = chunk.valid();
            let normalized = normalize_percent(valid);
            match self.redact(&normalized) {
                Cow::Borrowed(_) => out.extend_from_slice(valid.as_bytes()),
                Cow::Owned(text) => {
                    changed = true;
                    out.extend_from_slice(text.as_bytes());
                }
            }
            out.extend_from_slice(chunk.invalid());
        }
        changed.then_some(out)
    }

    /// Replaces the digit runs that hold a digit secret; `None` when there is none.
    fn redact_digit_runs(&self, text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out: Option<String> = None;
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            // A run: digits, with single separators between digits.
            let start = i;
            let mut digits = Zeroizing::new(String::new());
            let mut end = i;
            while end < bytes.len() {
                if bytes[end].is_ascii_digit() {
                    digits.push(char::from(bytes[end]));
                    end += 1;
                } else if matches!(bytes[end], b' ' | b'-' | b'.' | b'+')
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
                {
                    end += 1;
                } else if bytes[end..].starts_with(b"%20")
                    && bytes.get(end + 3).is_some_and(u8::is_ascii_digit)
                {
                    end += 3;
                } else {
                    break;
                }
            }
            let secret = self.digits.iter().any(|s| {
                if s.len() >= LONG_DIGITS {
                    digits.contains(s.as_str())
                } else {
                    digits.as_str() == s.as_str()
                }
            });
            if secret {
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[copied..start]);
                o.push_str(REDACTED);
                copied = end;
            }
            i = end;
        }
        out.map(|mut o| {
            o.push_str(&text[copied..]);
            o
        })
    }
}

/// The answer with its body redacted, when the body holds a secret of `redactor`.
pub(crate) fn redacted_response(
    response: &http::Response<bytes::Bytes>,
    redactor: &Redactor,
) -> Option<http::Response<bytes::Bytes>> {
    let body = redactor.redact_bytes(response.body())?;
    let mut redacted = http::Response::new(bytes::Bytes::from(body));
    *redacted.status_mut() = response.status();
    *redacted.headers_mut() = response.headers().clone();
    *redacted.version_mut() = response.version();
    Some(redacted)
}

/// The error for an answer that was refused as received but reads once its echoed secrets are
/// redacted: it is not usable either way.
pub(crate) fn echoed_secret_error(redacted: &http::Response<bytes::Bytes>) -> crate::Error {
    crate::Error::ResponseUnreadable {
        status: Some(redacted.status().as_u16()),
        reason: crate::UnreadableReason::Malformed,
        retry_after: crate::transport::parse_retry_after(redacted.headers()),
        excerpt: Some(crate::error::excerpt(redacted.body(), 200)),
        source: Some("the answer echoes a secret of the request".into()),
    }
}

/// Percent-escapes normalized: `%XX` of an unreserved character becomes the character, other
/// escapes get upper-case hexadecimal digits.
fn normalize_percent(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push_str(&text[copied..i]);
            let byte = u8::try_from(hi * 16 + lo).unwrap_or(b'%');
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
            i += 3;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// `secret` as it appears inside a JSON string.
fn json_escaped(secret: &str, escape_slash: bool, ascii_only: bool) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(secret.len() + 8));
    for c in secret.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() || (ascii_only && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `secret` percent-encoded as a form value (unreserved characters kept).
fn percent_encoded(secret: &str, plus_for_space: bool) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(secret.len() * 3));
    for &b in secret.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' if plus_for_space => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `secret` with the HTML special characters escaped.
fn html_escaped(secret: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(secret.len() + 8));
    for c in secret.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_secrets_in_every_encoding() {
        let mut r = Redactor::new();
        r.add_text("s3 cr\"t/ü");
        for form in [
            "s3 cr\"t/ü",
            "s3 cr\\\"t/ü",
            "s3 cr\\\"t\\/ü",
            "s3 cr\\\"t\\/\\u00fc",
            "s3%20cr%22t%2F%C3%BC",
            "s3+cr%22t%2F%C3%BC",
            "s3 cr&quot;t/ü",
        ] {
            assert_eq!(r.redact(&format!("<{form}>")), "<[redacted]>", "{form}");
        }
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        assert_eq!(
            format!("{r:?}"),
            "Redactor { literals: 8, digit_secrets: 0 }"
        );
    }

    #[test]
    fn digit_secrets_in_runs() {
        let mut r = Redactor::new();
        r.add_digits("4111111111111111");
        r.add_digits("123");
        assert_eq!(r.redact("card 4111111111111111."), "card [redacted].");
        assert_eq!(r.redact("card 4111 1111-1111.1111 x"), "card [redacted] x");
        assert_eq!(r.redact("pan=x4111111111111111999"), "pan=x[redacted]");
        assert_eq!(r.redact("cvv 123, code 1234"), "cvv [redacted], code 1234");
        assert_eq!(r.redact("last4 1111 bin 411111"), "last4 1111 bin 411111");
        assert_eq!(r.redact("ünïcode 123 ok"), "ünïcode [redacted] ok");
    }

    #[test]
    fn any_percent_encoding_is_found() {
        let mut r = Redactor::new();
        r.add_text("a-b c");
        r.add_digits("4111111111111111");
        for body in ["x=a%2Db%20c", "x=%61-b+c", "x=a%2db%20c"] {
            assert_eq!(r.redact_bytes(body.as_bytes()).unwrap(), b"x=[redacted]");
        }
        assert_eq!(
            r.redact_bytes(b"pan=%34111%2011111111111111&y=%2f")
                .unwrap(),
            b"pan=[redacted]&y=%2F"
        );
        assert_eq!(r.redact_bytes(b"y=%2f%"), None);
    }

    #[test]
    fn bytes_keep_invalid_utf8() {
        let mut r = Redactor::new();
        r.add_text("pw");
        assert_eq!(
            r.redact_bytes(b"\xffpw\xfe").unwrap(),
            b"\xff[redacted]\xfe"
        );
        assert_eq!(r.redact_bytes(b"\xffok"), None);
        assert_eq!(Redactor::new().redact_bytes(b"pw"), None);
    }
}
