//! The client error, classified by how far the request got.
//!
//! A payment caller decides what to do next (retry, ask for the status, give up) from *where*
//! a call failed, so the error is an enum of dispatch states, never a string:
//!
//! | variant | reached the gateway? | typical next step |
//! |---|---|---|
//! | [`Error::NotSent`] | certainly not | fix the input, or retry |
//! | [`Error::MaybeSent`] | perhaps | retry only an idempotent call, or ask `status` |
//! | [`Error::ResponseUnreadable`] | yes, the answer is unusable | as `MaybeSent` |
//! | [`Error::AuthenticationRefused`] | yes, refused before processing | fix keys or credentials |
//! | [`Error::Rejected`] | yes, and it said no | show the code and message |

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// A boxed error source, `Send + Sync` so errors cross tasks.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Which gateway an error or a rejection came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Gateway {
    /// Payneteasy API v4.
    Payneteasy,
    /// PaySecure Pinless Web Services.
    PaySecure,
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gateway::Payneteasy => "Payneteasy",
            Gateway::PaySecure => "PaySecure",
        })
    }
}

/// How far a failed request got. See [`Error::dispatch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dispatch {
    /// Nothing reached the gateway.
    NotSent,
    /// The request may have reached the gateway; no answer arrived.
    MaybeSent,
    /// The gateway received the request and answered.
    Received,
}

/// Why a request was certainly not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotSentReason {
    /// The request could not be built (invalid field, bad URL, encoding failed).
    InvalidRequest,
    /// Plain `http` to a host that is not loopback, without the explicit opt-out.
    InsecureUrl,
    /// Signing or encryption failed before sending.
    Signing,
    /// The TCP connection could not be made (refused, unreachable, DNS failure).
    Connect,
    /// The connection was not made within the connect timeout.
    ConnectTimeout,
    /// The TLS handshake failed (for example an untrusted certificate).
    Tls,
    /// The overall deadline had passed before this attempt could start.
    DeadlineExceeded,
    /// The client's configuration is invalid (for example an unreadable CA certificate).
    Configuration,
}

/// Why a request may have been sent without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaybeSentReason {
    /// No response headers within the request timeout, or the total deadline passed.
    Timeout,
    /// The connection closed or failed after the request was (possibly) written.
    ConnectionLost,
}

/// Why a response that arrived could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnreadableReason {
    /// The body is larger than the configured limit; reading stopped at the limit.
    TooLarge,
    /// The connection broke or timed out while the body was being read.
    Truncated,
    /// An HTTP status the gateway does not use for answers (for example 500, 502, 503).
    UnexpectedStatus,
    /// The body is not in the gateway's format (HTML, JSON where a form was expected, …).
    Malformed,
}

/// A gateway's "no": a validation error, a processing error, or an in-band error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The gateway that said no.
    pub gateway: Gateway,
    /// The kind of answer, as the gateway names it (`validation-error`, `error`, an
    /// in-band `ErrorCode`, `ResponseStatus` of an HTTP 4xx, …).
    pub kind: RejectionKind,
    /// The gateway's error code, when it sent one.
    pub code: Option<String>,
    /// The gateway's message, when it sent one.
    pub message: Option<String>,
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// The gateway's serial number or request id, for support tickets.
    pub reference: Option<String>,
}

/// What kind of "no" a [`Rejection`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectionKind {
    /// The request was invalid (`validation-error`, HTTP 400 with `ResponseStatus`).
    Validation,
    /// The gateway could not process it (`type=error`, HTTP 4xx/5xx with `ResponseStatus`).
    Processing,
    /// HTTP 200 with an error code in the body (PaySecure's `ErrorCode`).
    InBand,
}

/// The error of every client call.
///
/// Match on the variant, or ask [`Error::dispatch`] whether the request may have reached the
/// gateway. The `Display` text never contains a secret: no key, password, PAN, CVN or
/// `Authorization` header.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Certainly not sent: nothing reached the gateway.
    NotSent {
        /// Why.
        reason: NotSentReason,
        /// The underlying error, when there is one.
        source: Option<BoxError>,
    },
    /// The request may have reached the gateway, but no answer arrived. Do not repeat a
    /// non-idempotent call blindly: ask the gateway for the status first.
    MaybeSent {
        /// Why.
        reason: MaybeSentReason,
        /// The underlying error, when there is one.
        source: Option<BoxError>,
    },
    /// A response arrived but could not be read or understood.
    ResponseUnreadable {
        /// The HTTP status, when the headers arrived.
        status: Option<u16>,
        /// Why the response is unusable.
        reason: UnreadableReason,
        /// The `Retry-After` the server sent with it, if any.
        retry_after: Option<Duration>,
        /// A short, sanitized excerpt of the body, when there is one.
        excerpt: Option<String>,
        /// The underlying error, when there is one.
        source: Option<BoxError>,
    },
    /// The gateway refused to authenticate the request (bad signature, wrong credentials).
    AuthenticationRefused {
        /// The gateway that refused.
        gateway: Gateway,
        /// The HTTP status (401 or 403).
        status: u16,
        /// A short, sanitized excerpt of the answer ("Access is denied").
        excerpt: String,
    },
    /// The gateway answered and said no.
    Rejected(Rejection),
}

impl Error {
    /// How far the request got.
    pub fn dispatch(&self) -> Dispatch {
        match self {
            Error::NotSent { .. } => Dispatch::NotSent,
            Error::MaybeSent { .. } => Dispatch::MaybeSent,
            Error::ResponseUnreadable { .. }
            | Error::AuthenticationRefused { .. }
            | Error::Rejected(_) => Dispatch::Received,
        }
    }

    /// `false` only when the request certainly did not reach the gateway.
    pub fn may_have_reached_gateway(&self) -> bool {
        self.dispatch() != Dispatch::NotSent
    }

    /// The server's `Retry-After`, when the answer carried one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::ResponseUnreadable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A stable, machine-readable name of the class (`not_sent`, `maybe_sent`,
    /// `response_unreadable`, `authentication_refused`, `rejected`).
    pub fn class(&self) -> &'static str {
        match self {
            Error::NotSent { .. } => "not_sent",
            Error::MaybeSent { .. } => "maybe_sent",
            Error::ResponseUnreadable { .. } => "response_unreadable",
            Error::AuthenticationRefused { .. } => "authentication_refused",
            Error::Rejected(_) => "rejected",
        }
    }

    pub(crate) fn not_sent(reason: NotSentReason, source: impl Into<BoxError>) -> Self {
        Error::NotSent {
            reason,
            source: Some(source.into()),
        }
    }

    pub(crate) fn maybe_sent(reason: MaybeSentReason, source: Option<BoxError>) -> Self {
        Error::MaybeSent { reason, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotSent { reason, source } => {
                write!(f, "request not sent ({reason:?})")?;
                if let Some(source) = source {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            Error::MaybeSent { reason, source } => {
                write!(
                    f,
                    "request may have reached the gateway, no answer ({reason:?})"
                )?;
                if let Some(source) = source {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            Error::ResponseUnreadable {
                status,
                reason,
                excerpt,
                source,
                ..
            } => {
                write!(f, "response unreadable ({reason:?}")?;
                if let Some(status) = status {
                    write!(f, ", HTTP {status}")?;
                }
                f.write_str(")")?;
                if let Some(source) = source {
                    write!(f, ": {source}")?;
                }
                if let Some(excerpt) = excerpt.as_deref().filter(|e| !e.is_empty()) {
                    write!(f, " [body: {excerpt}]")?;
                }
                Ok(())
            }
            Error::AuthenticationRefused {
                gateway,
                status,
                excerpt,
            } => {
                write!(f, "{gateway} refused authentication (HTTP {status})")?;
                if !excerpt.is_empty() {
                    write!(f, ": {excerpt}")?;
                }
                Ok(())
            }
            Error::Rejected(r) => {
                write!(f, "{} said no ({:?}", r.gateway, r.kind)?;
                if let Some(code) = &r.code {
                    write!(f, ", code {code}")?;
                }
                f.write_str(")")?;
                if let Some(message) = &r.message {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
        }
    }
}

impl Error {
    /// This error with every secret of `redactor` removed from the gateway text it holds:
    /// the rejection's code, message and reference, the excerpts, and the text of the source
    /// chain (a source whose text held a secret is replaced by its redacted text).
    pub(crate) fn redact(mut self, redactor: &crate::redact::Redactor) -> Self {
        if redactor.is_empty() {
            return self;
        }
        let fix = |text: &mut String| {
            if let std::borrow::Cow::Owned(clean) = redactor.redact(text) {
                *text = clean;
            }
        };
        let fix_source = |source: &mut Option<BoxError>| {
            let Some(inner) = source.as_deref() else {
                return;
            };
            let mut chain = inner.to_string();
            let mut next = inner.source();
            while let Some(e) = next {
                chain.push_str(": ");
                chain.push_str(&e.to_string());
                next = e.source();
            }
            if let std::borrow::Cow::Owned(clean) = redactor.redact(&chain) {
                *source = Some(Box::new(RedactedSource(clean)));
            }
        };
        match &mut self {
            Error::NotSent { source, .. } | Error::MaybeSent { source, .. } => fix_source(source),
            Error::ResponseUnreadable {
                excerpt, source, ..
            } => {
                if let Some(excerpt) = excerpt {
                    fix(excerpt);
                }
                fix_source(source);
            }
            Error::AuthenticationRefused { excerpt, .. } => fix(excerpt),
            Error::Rejected(r) => {
                for text in [&mut r.code, &mut r.message, &mut r.reference]
                    .into_iter()
                    .flatten()
                {
                    fix(text);
                }
            }
        }
        self
    }
}

/// The text of a source error that held a secret of the request, with the secret redacted
/// (see [`crate::redact`]). Its chain is flattened into the one message.
#[derive(Debug)]
struct RedactedSource(String);

impl fmt::Display for RedactedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for RedactedSource {}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::NotSent { source, .. }
            | Error::MaybeSent { source, .. }
            | Error::ResponseUnreadable { source, .. } => {
                source.as_deref().map(|e| e as &(dyn StdError + 'static))
            }
            Error::AuthenticationRefused { .. } | Error::Rejected(_) => None,
        }
    }
}

/// A short, printable excerpt of a body for error messages: HTML tags and control characters
/// removed, whitespace collapsed, at most `max` characters.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]);
    let mut out = String::new();
    let mut in_tag = false;
    let mut in_style = false;
    let mut last_space = true;
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if !in_tag && bytes[i] == b'<' {
            in_tag = true;
            if lower[i..].starts_with("<style") || lower[i..].starts_with("<script") {
                in_style = true;
            } else if lower[i..].starts_with("</style") || lower[i..].starts_with("</script") {
                in_style = false;
            }
            i += 1;
            continue;
        }
        if in_tag {
            if bytes[i] == b'>' {
                in_tag = false;
            }
            i += 1;
            continue;
        }
        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
        if !in_style {
            let ch = text[i..].chars().next().unwrap_or(' ');
            if ch.is_whitespace() || ch.is_control() {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            } else {
                out.push(ch);
                last_space = false;
            }
        }
        i += ch_len;
        if out.chars().count() >= max {
            break;
        }
    }
    let trimmed = out.trim();
    let mut result: String = trimmed.chars().take(max).collect();
    if trimmed.chars().count() > max {
        result.push('…');
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_strips_html_and_style() {
        let page = b"<!DOCTYPE html><html><head><title>403</title><style>body { x: y; }</style></head>\n<body>\n  <p>Access is denied</p>\n</body></html>";
        assert_eq!(excerpt(page, 200), "403 Access is denied");
    }

    #[test]
    fn excerpt_is_bounded_and_survives_bad_utf8() {
        let body = [0xffu8; 1000];
        assert!(excerpt(&body, 10).chars().count() <= 11);
        assert_eq!(excerpt(b"", 10), "");
    }

    #[test]
    fn dispatch_classes() {
        let e = Error::not_sent(NotSentReason::Connect, "refused");
        assert_eq!(e.dispatch(), Dispatch::NotSent);
        assert!(!e.may_have_reached_gateway());
        let e = Error::maybe_sent(MaybeSentReason::Timeout, None);
        assert!(e.may_have_reached_gateway());
        assert_eq!(e.class(), "maybe_sent");
    }
}
