//! The client error, classified by how far the request got and by what that proves.
//!
//! A payment caller decides what to do next (retry, ask for the status, give up) from *where*
//! a call failed, so the error is an enum of dispatch states, never a string. Two questions
//! are answered separately:
//!
//! - [`Error::dispatch`]: how far the **bytes** went (not sent, perhaps sent, an answer
//!   received). A 404 page *was* received: the request reached a server.
//! - [`Error::outcome`]: what that proves about the **payment** ([`Outcome`]): the gateway
//!   certainly did not act on it ([`Outcome::NotProcessed`]), it acted and answered
//!   ([`Outcome::Processed`]), or nobody knows ([`Outcome::Unknown`]: ask `status`). A 404 for
//!   a route that does not exist was received, yet proves that nothing was processed.
//!
//! | error | dispatch | outcome | [`retryable`](Error::is_retryable) (any call) | retried by [`RetryPolicy`](crate::RetryPolicy) for an idempotent call |
//! |---|---|---|---|---|
//! | [`Error::NotSent`], [`Connect`](NotSentReason::Connect), [`ConnectTimeout`](NotSentReason::ConnectTimeout) | not sent | not processed | **yes** | yes |
//! | [`Error::NotSent`], any other reason (bad input, `https` rule, signing, TLS, deadline, configuration) | not sent | not processed | no: it would fail the same way | no |
//! | [`Error::MaybeSent`] (timeout, connection lost) | maybe sent | **unknown** | no | yes |
//! | [`Error::ResponseUnreadable`] with a [refusing status](#statuses-that-prove-nothing-was-processed): 429, 408 | received | not processed | **yes** | yes |
//! | [`Error::ResponseUnreadable`] with another refusing status (400, 401, 403, 404, 405, 406, 411, 413, 414, 415, 431) | received | not processed | no | no |
//! | [`Error::ResponseUnreadable`], HTTP 503 **with** `Retry-After` | received | not processed | **yes** | yes |
//! | [`Error::ResponseUnreadable`], HTTP 502, 504, 503 without `Retry-After`, or a truncated body | received | **unknown** | no | yes |
//! | [`Error::ResponseUnreadable`], anything else (500, too large, malformed, another status) | received | **unknown** | no | no |
//! | [`Error::AuthenticationRefused`] (401/403) | received | not processed | no | no |
//! | [`Error::Rejected`], [`RejectionKind::Validation`], or any rejection with a refusing status | received | not processed | no | no |
//! | [`Error::Rejected`], [`Processing`](RejectionKind::Processing) or [`InBand`](RejectionKind::InBand) | received | **processed** | no | no |
//!
//! *Retryable* means "safe to send the same request again now, whatever the operation": the
//! gateway certainly did not act and the cause may pass. An idempotent operation may also be
//! repeated after an *unknown* outcome with a transient cause; [`Error::is_retryable_for`]
//! answers for a given [`Idempotency`], and [`RetryPolicy::decide`](crate::RetryPolicy::decide)
//! uses exactly that rule.
//!
//! ## Why each outcome
//! - **Not sent** is not processed by construction. A TLS failure happens in the handshake,
//!   before the first byte of the request.
//! - **Authentication refused** (401/403): the gateway checks the signature or the credentials
//!   before it runs the operation.
//! - **Validation rejection** (Payneteasy `type=validation-error`, PaySecure HTTP 400 with a
//!   `ResponseStatus`): the gateway refused the request *as invalid*, before acting on it
//!   (ServiceStack runs validation before the service; Payneteasy's validation error carries a
//!   `serial-number` for support but no `paynet-order-id`: no order exists).
//! - **Processing or in-band rejection**: the gateway accepted the request and decided; an
//!   order or a record may exist under its reference. Its answer is final: no `status` needed.
//! - **Unknown**: no answer, or an answer that proves nothing (a 500 may come from a handler
//!   that crashed after charging; a 502/504 from a proxy whose upstream may have run it; an
//!   HTTP 200 whose body is cut or unreadable). Ask `status` before repeating a payment.
//!
//! ## Statuses that prove nothing was processed
//! HTTP semantics (RFC 9110, RFC 6585) define these as a refusal of the request *as sent*,
//! before the target resource acts: 400 (unparsable request), 401, 403, 404 (no such route:
//! a mistyped path or API version), 405 (method not allowed), 406, 408 (the server gave up
//! waiting for the request), 411, 413, 414, 415, 429 (rate limited), 431; and 503 when the
//! server adds `Retry-After` (it says it is unable to handle the request for now). 408 and 429
//! are transient: retryable. Any other status proves nothing.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::retry::Idempotency;

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

/// What a failed call proves about the gateway's processing. See the
/// [module table](self) and [`Error::outcome`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Proved: the gateway did not act on the request (nothing was sent, or its answer says
    /// it refused the request before acting). Sending it again cannot do anything twice.
    NotProcessed,
    /// The gateway acted on the request and answered (a processing or in-band rejection).
    /// Its answer is final.
    Processed,
    /// Nobody knows whether the gateway acted: ask it (`status`) before repeating a
    /// non-idempotent call.
    Unknown,
}

impl Outcome {
    /// A stable, machine-readable name: `not_processed`, `processed`, `unknown`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Outcome::NotProcessed => "not_processed",
            Outcome::Processed => "processed",
            Outcome::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
/// Match on the variant, or ask [`Error::outcome`] whether the gateway processed the request,
/// [`Error::is_retryable`] whether it may be sent again now, and [`Error::dispatch`] how far
/// it got. The `Display` text includes the whole chain of causes (an untrusted certificate,
/// a refused connection, a DNS failure several levels down), each message once; it never
/// contains a secret: no key, password, PAN, CVN or `Authorization` header. Because `Display`
/// already holds the chain, print it alone: a reporter that also walks
/// [`source`](StdError::source) (kept for downcasting) repeats the causes.
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
    /// How far the request got (the bytes, not the payment: see [`Error::outcome`]).
    #[must_use]
    pub fn dispatch(&self) -> Dispatch {
        match self {
            Error::NotSent { .. } => Dispatch::NotSent,
            Error::MaybeSent { .. } => Dispatch::MaybeSent,
            Error::ResponseUnreadable { .. }
            | Error::AuthenticationRefused { .. }
            | Error::Rejected(_) => Dispatch::Received,
        }
    }

    /// `false` only when the request certainly did not reach the gateway's host. An answer
    /// such as a 404 did reach it; whether the gateway *processed* the request is
    /// [`Error::outcome`].
    #[must_use]
    pub fn may_have_reached_gateway(&self) -> bool {
        self.dispatch() != Dispatch::NotSent
    }

    /// What this failure proves about the gateway's processing (the [module table](self)).
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        self.verdict().outcome
    }

    /// Whether the same request may be sent again now, whatever the operation: the gateway
    /// certainly did not act and the cause may pass (a refused or timed-out connection, 429,
    /// 408, 503 with `Retry-After`). The [module table](self) lists every case.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        let verdict = self.verdict();
        verdict.transient && verdict.outcome == Outcome::NotProcessed
    }

    /// Whether an operation of this [`Idempotency`] may be sent again after this error: as
    /// [`Error::is_retryable`], and for an idempotent operation also after a transient
    /// failure whose outcome is unknown (timeout, connection lost, truncated body, 502, 503,
    /// 504). The one rule [`RetryPolicy::decide`](crate::RetryPolicy::decide) applies.
    #[must_use]
    pub fn is_retryable_for(&self, idempotency: Idempotency) -> bool {
        let verdict = self.verdict();
        verdict.transient
            && match verdict.outcome {
                Outcome::NotProcessed => true,
                Outcome::Unknown => idempotency == Idempotency::Idempotent,
                Outcome::Processed => false,
            }
    }

    /// The outcome and whether the cause may pass: the single source of the module table.
    fn verdict(&self) -> Verdict {
        use Outcome::{NotProcessed, Processed, Unknown};
        let verdict = |outcome, transient| Verdict { outcome, transient };
        match self {
            Error::NotSent { reason, .. } => verdict(
                NotProcessed,
                matches!(
                    reason,
                    NotSentReason::Connect | NotSentReason::ConnectTimeout
                ),
            ),
            Error::MaybeSent { .. } => verdict(Unknown, true),
            Error::ResponseUnreadable {
                status,
                reason,
                retry_after,
                ..
            } => match (*status, reason) {
                (Some(status), _) if refuses_request(status) => {
                    verdict(NotProcessed, matches!(status, 408 | 429))
                }
                (Some(503), _) if retry_after.is_some() => verdict(NotProcessed, true),
                (_, UnreadableReason::Truncated) | (Some(502..=504), _) => verdict(Unknown, true),
                _ => verdict(Unknown, false),
            },
            Error::AuthenticationRefused { .. } => verdict(NotProcessed, false),
            Error::Rejected(r) => {
                if r.kind == RejectionKind::Validation || refuses_request(r.http_status) {
                    verdict(NotProcessed, false)
                } else {
                    verdict(Processed, false)
                }
            }
        }
    }

    /// The server's `Retry-After`, when the answer carried one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::ResponseUnreadable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A stable, machine-readable name of the class (`not_sent`, `maybe_sent`,
    /// `response_unreadable`, `authentication_refused`, `rejected`).
    #[must_use]
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

/// See [`Error::verdict`].
#[derive(Clone, Copy)]
struct Verdict {
    outcome: Outcome,
    /// The cause may pass: the same request may succeed later.
    transient: bool,
}

/// An HTTP status that refuses the request as sent, before the target resource acts
/// (module doc, "Statuses that prove nothing was processed").
fn refuses_request(status: u16) -> bool {
    matches!(
        status,
        400 | 401 | 403 | 404 | 405 | 406 | 408 | 411 | 413 | 414 | 415 | 429 | 431
    )
}

/// Writes `: cause` for every error of `source`'s chain, skipping a message already written
/// (hyper and io errors often repeat their inner error's text). Bounded, in case a
/// pathological error type points back at itself.
fn write_chain(f: &mut fmt::Formatter<'_>, source: Option<&BoxError>) -> fmt::Result {
    let mut current: Option<&(dyn StdError + 'static)> =
        source.map(|e| &**e as &(dyn StdError + 'static));
    let mut written: Vec<String> = Vec::new();
    for _ in 0..16 {
        let Some(error) = current else { break };
        let text = error.to_string();
        let text = text.trim();
        if !text.is_empty() && !written.iter().any(|w| w.contains(text)) {
            write!(f, ": {text}")?;
            written.push(text.to_owned());
        }
        current = error.source();
    }
    Ok(())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotSent { reason, source } => {
                write!(f, "request not sent ({reason:?})")?;
                write_chain(f, source.as_ref())
            }
            Error::MaybeSent { reason, source } => {
                write!(
                    f,
                    "request may have reached the gateway, no answer ({reason:?})"
                )?;
                write_chain(f, source.as_ref())
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
                write_chain(f, source.as_ref())?;
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

/// A short, printable excerpt of a body for error messages: HTML comments, tags and the
/// content of `<style>`/`<script>` removed, control characters dropped, whitespace
/// collapsed, at most `max` characters (an ellipsis marks a cut).
///
/// The same excerpt as the Payneteasy codec's ([`payneteasy_codec::text_excerpt`]): one
/// implementation for both gateways' error pages.
#[must_use]
pub fn excerpt(body: &[u8], max: usize) -> String {
    payneteasy_codec::text_excerpt(body, max)
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

    fn unreadable(status: u16, reason: UnreadableReason, retry_after: Option<u64>) -> Error {
        Error::ResponseUnreadable {
            status: Some(status),
            reason,
            retry_after: retry_after.map(Duration::from_secs),
            excerpt: None,
            source: None,
        }
    }

    fn rejected(kind: RejectionKind, http_status: u16) -> Error {
        Error::Rejected(Rejection {
            gateway: Gateway::PaySecure,
            kind,
            code: None,
            message: None,
            http_status,
            reference: None,
        })
    }

    /// The module table, row by row: (error, outcome, retryable, retryable if idempotent).
    #[test]
    fn outcome_and_retry_table() {
        use Outcome::{NotProcessed, Processed, Unknown};
        use UnreadableReason::{Malformed, TooLarge, Truncated, UnexpectedStatus};
        #[rustfmt::skip]
        let cases: Vec<(Error, Outcome, bool, bool)> = vec![
            (Error::not_sent(NotSentReason::Connect, "refused"), NotProcessed, true, true),
            (Error::not_sent(NotSentReason::ConnectTimeout, "slow"), NotProcessed, true, true),
            (Error::not_sent(NotSentReason::Tls, "UnknownIssuer"), NotProcessed, false, false),
            (Error::not_sent(NotSentReason::InvalidRequest, "x"), NotProcessed, false, false),
            (Error::not_sent(NotSentReason::InsecureUrl, "x"), NotProcessed, false, false),
            (Error::not_sent(NotSentReason::Signing, "x"), NotProcessed, false, false),
            (Error::not_sent(NotSentReason::DeadlineExceeded, "x"), NotProcessed, false, false),
            (Error::not_sent(NotSentReason::Configuration, "x"), NotProcessed, false, false),
            (Error::maybe_sent(MaybeSentReason::Timeout, None), Unknown, false, true),
            (Error::maybe_sent(MaybeSentReason::ConnectionLost, None), Unknown, false, true),
            // The mistyped path: received, yet proved not processed.
            (unreadable(404, UnexpectedStatus, None), NotProcessed, false, false),
            (unreadable(404, TooLarge, None), NotProcessed, false, false),
            (unreadable(405, UnexpectedStatus, None), NotProcessed, false, false),
            (unreadable(400, UnexpectedStatus, None), NotProcessed, false, false),
            (unreadable(401, UnexpectedStatus, None), NotProcessed, false, false),
            (unreadable(429, UnexpectedStatus, None), NotProcessed, true, true),
            (unreadable(408, UnexpectedStatus, None), NotProcessed, true, true),
            (unreadable(503, UnexpectedStatus, Some(1)), NotProcessed, true, true),
            (unreadable(503, UnexpectedStatus, None), Unknown, false, true),
            (unreadable(502, UnexpectedStatus, None), Unknown, false, true),
            (unreadable(504, UnexpectedStatus, Some(1)), Unknown, false, true),
            (unreadable(200, Truncated, None), Unknown, false, true),
            (unreadable(500, UnexpectedStatus, None), Unknown, false, false),
            (unreadable(409, UnexpectedStatus, None), Unknown, false, false),
            (unreadable(303, UnexpectedStatus, None), Unknown, false, false),
            (unreadable(200, Malformed, None), Unknown, false, false),
            (unreadable(200, TooLarge, None), Unknown, false, false),
            (Error::AuthenticationRefused { gateway: Gateway::Payneteasy, status: 403, excerpt: String::new() }, NotProcessed, false, false),
            (rejected(RejectionKind::Validation, 400), NotProcessed, false, false),
            (rejected(RejectionKind::Validation, 200), NotProcessed, false, false),
            (rejected(RejectionKind::Processing, 404), NotProcessed, false, false),
            (rejected(RejectionKind::Processing, 200), Processed, false, false),
            (rejected(RejectionKind::Processing, 500), Processed, false, false),
            (rejected(RejectionKind::InBand, 200), Processed, false, false),
        ];
        for (i, (error, outcome, retryable, if_idempotent)) in cases.iter().enumerate() {
            assert_eq!(error.outcome(), *outcome, "case {i}: {error:?}");
            assert_eq!(error.is_retryable(), *retryable, "case {i}: {error:?}");
            assert_eq!(
                error.is_retryable_for(Idempotency::NotIdempotent),
                *retryable,
                "case {i}: {error:?}"
            );
            assert_eq!(
                error.is_retryable_for(Idempotency::Idempotent),
                *if_idempotent,
                "case {i}: {error:?}"
            );
        }
    }

    /// An error with a chain of sources, like hyper's `client error (Connect)` around a
    /// connector error around an io error.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn display_walks_the_whole_chain_once() {
        let root = Layer("invalid peer certificate: UnknownIssuer", None);
        // io::Error repeats its inner error's text; the repeat is written once.
        let repeat = Layer(
            "invalid peer certificate: UnknownIssuer",
            Some(Box::new(root)),
        );
        let connect = Layer("client error (Connect)", Some(Box::new(repeat)));
        let e = Error::not_sent(NotSentReason::Tls, connect);
        assert_eq!(
            e.to_string(),
            "request not sent (Tls): client error (Connect): invalid peer certificate: UnknownIssuer"
        );
        let e = Error::maybe_sent(
            MaybeSentReason::ConnectionLost,
            Some(Box::new(Layer(
                "connection closed",
                Some(Box::new(Layer("reset by peer", None))),
            ))),
        );
        assert_eq!(
            e.to_string(),
            "request may have reached the gateway, no answer (ConnectionLost): connection closed: reset by peer"
        );
    }

    #[test]
    fn display_of_a_redacted_chain_holds_no_secret() {
        let secret = "s3cr3t-password";
        // The secret two levels down, where the old `Display` did not look.
        let deep = Layer("echo s3cr3t-password back", None);
        let outer = Layer("client error (SendRequest)", Some(Box::new(deep)));
        let e = Error::maybe_sent(MaybeSentReason::ConnectionLost, Some(Box::new(outer)));
        assert!(e.to_string().contains(secret), "the chain is shown");
        let mut redactor = crate::redact::Redactor::new();
        redactor.add_text(secret);
        let text = e.redact(&redactor).to_string();
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains(crate::redact::REDACTED), "{text}");
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
