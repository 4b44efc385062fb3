//! The Payneteasy half's side of the console's request log ([`crate::console`]): each place
//! that decides a verdict marks its answer with a [`Decision`] through the functions here, and
//! the half records every request once, after its answer ([`PayneteasyHalf::record`]).

use bytes::Bytes;
use http::Response;

use super::orders::Refused;
use super::{
    ERR_INVALID_CONTROL, ERR_INVALID_REQUEST, ERR_LOGIN_MISMATCH, ERR_UNKNOWN_ENDPOINT,
    PayneteasyHalf, Refusal,
};
use crate::console::{Check, Context, Decision, MerchantView, Seen, Verdict, mark};

/// Marks a refusal before the command (HTTP 403, 400 or 503).
pub(super) fn refused(response: Response<Bytes>, refusal: Refusal) -> Response<Bytes> {
    let (check, detail) = match refusal {
        Refusal::UnknownMerchant => (
            Check::UnknownMerchant,
            "oauth_consumer_key is no merchant of the sandbox",
        ),
        Refusal::BadSignature => (Check::Signature, "the signature does not match the request"),
        Refusal::WrongEndpoint => (Check::WrongEndpoint, "the endpoint is not this merchant's"),
        Refusal::StaleTimestamp => (
            Check::Timestamp,
            "oauth_timestamp is outside the allowed window",
        ),
        Refusal::ReplayedNonce => (Check::ReplayedNonce, "the nonce was used already"),
        Refusal::ReplayCheckUnavailable => (
            Check::ReplayCheckUnavailable,
            "the shared replay cache could not answer",
        ),
        Refusal::Malformed("not RSA-SHA256") => (Check::SignatureMethod, "not RSA-SHA256"),
        Refusal::Malformed(reason) => (Check::Authorization, reason),
        Refusal::BadRequest(_) => (
            Check::Host,
            "the Host (or the request target's authority) is unusable",
        ),
    };
    let detail = match refusal {
        Refusal::BadRequest(reason) => reason.to_string(),
        _ => detail.to_owned(),
    };
    mark(
        response,
        Decision {
            verdict: Verdict::Refused,
            check: Some(check),
            error_code: None,
            detail: Some(detail),
        },
    )
}

/// Marks an in-band `validation-error` or `error` answer.
pub(super) fn rejected(response: Response<Bytes>, refused: &Refused) -> Response<Bytes> {
    let check = match refused.code {
        ERR_INVALID_CONTROL => Check::Control,
        ERR_LOGIN_MISMATCH => Check::Login,
        ERR_UNKNOWN_ENDPOINT => Check::UnknownEndpoint,
        ERR_INVALID_REQUEST => Check::InvalidRequest,
        _ => Check::Command,
    };
    mark(
        response,
        Decision {
            verdict: Verdict::Rejected,
            check: Some(check),
            error_code: Some(refused.code.to_owned()),
            detail: Some(refused.message.clone()),
        },
    )
}

/// Marks a command's success answer.
pub(super) fn accepted(response: Response<Bytes>) -> Response<Bytes> {
    mark(
        response,
        Decision {
            verdict: Verdict::Accepted,
            check: None,
            error_code: None,
            detail: None,
        },
    )
}

impl PayneteasyHalf {
    /// What the log keeps of `request` until its answer, when the log is on.
    pub(super) fn seen(&self, request: &http::Request<Bytes>) -> Option<Seen> {
        self.request_log
            .get()
            .filter(|log| log.enabled())
            .map(|_| Seen::of(request))
    }

    /// Records one request and its answer in the console's log.
    pub(super) fn record(&self, seen: Option<Seen>, response: &Response<Bytes>) {
        let (Some(seen), Some(log)) = (seen, self.request_log.get()) else {
            return;
        };
        let context = Context {
            scheme: self.scheme.get().copied().unwrap_or("http"),
            now: (self.clock)(),
            max_skew_secs: self.max_skew_secs,
            merchants: self
                .merchants
                .values()
                .map(|m| MerchantView {
                    login: &m.login,
                    key: &m.key,
                    endpoint_id: m.endpoint_id,
                    endpoint_group_id: m.endpoint_group_id,
                })
                .collect(),
        };
        log.record(&seen, response, &context);
    }
}
