//! Fault injection: how the sandbox misbehaves on purpose, per route and per request.
//!
//! A fault is chosen for each request, first match wins:
//! 1. the request header `x-paygate-fault: SPEC` (one request, scriptable from any client),
//!    only when the sandbox was started with
//!    [`SandboxBuilder::allow_fault_header`](crate::SandboxBuilder::allow_fault_header)
//!    (`paygate sandbox --allow-fault-header`); otherwise the header is ignored, so that a
//!    client that merely reaches the sandbox cannot make it stall or send large bodies;
//! 2. the next queued fault for the route ([`FaultController::push`], consumed in order);
//! 3. the standing fault for the route ([`FaultController::set_always`]);
//! 4. the same two for the wildcard route `*`.
//!
//! Routes are the command names ([`ROUTES`]): the Payneteasy command paths (`sale`,
//! `status`, `create-card-ref`, `sync/account-verification`, …; a v2 and a v4 command of the
//! same path share the route), the PaySecure services `CreateKey` and `TokenizeCard`; `*` is
//! every route.
//!
//! `paygate sandbox --fault` takes `ROUTE:SPEC` ([`parse_route_fault`]), always with the route:
//! `status:delay=2s`, `create-card-ref:status=503`, `*:close`. The colon cannot be confused
//! with the `=` inside a spec, and a route that is also a fault name (`status`) needs no
//! guessing.
//!
//! | spec | fault | handler runs? |
//! |---|---|---|
//! | `delay=250ms` (`s`, `ms`; at most [`MAX_DELAY`]) | answer after a delay | yes |
//! | `close` | close the connection without an answer | yes: the effect happened, the answer is lost |
//! | `close-mid-body` | send headers and half the body, then close | yes |
//! | `status=503` / `status=503-empty` | that HTTP status, with a short text body or none (also 500, 502, 429, …); `status=503,retry-after=1` adds `Retry-After` (at most [`MAX_RETRY_AFTER_SECS`]) | no: like a proxy in front of the gateway |
//! | `garbage` | HTTP 200 with random-looking bytes | yes |
//! | `wrong-content-type` | the real answer under `Content-Type: application/octet-stream` | yes |
//! | `oversized=N` (at most [`MAX_OVERSIZED_BYTES`]) | HTTP 200 with an N-byte body | yes |
//! | `drip=20ms` (at most [`MAX_DRIP_INTERVAL`]) | the real answer one byte every 20 ms | yes |
//!
//! The bounds hold for every spec that is parsed (the header, `paygate sandbox --fault`,
//! [`parse_route_fault`]); a spec past them is a [`FaultParseError`] with
//! [`FaultSpecProblem`]. A [`Fault`] built in code and handed to [`FaultController`] is
//! trusted as it is (a test may want a 4 GiB body).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The request header that selects a fault for one request (honoured only when the sandbox
/// allows it, see the [module docs](self)).
pub const FAULT_HEADER: &str = "x-paygate-fault";

/// The routes a fault can be set for (the command names), besides `*` for every route.
pub const ROUTES: &[&str] = &[
    "sale",
    "preauth",
    "sale-form",
    "preauth-form",
    "transfer-form",
    "capture",
    "return",
    "void",
    "status",
    "create-card-ref",
    "get-card-info",
    "make-rebill-sale",
    "make-rebill-preauth",
    "account-verification",
    "sync/account-verification",
    "transfer-by-ref",
    "tokenize/create-ephemeral-ticket",
    "CreateKey",
    "TokenizeCard",
];

/// [`ROUTES`] as one line, for messages.
const ROUTE_LIST: &str = "sale, preauth, sale-form, preauth-form, transfer-form, capture, return, void, status, create-card-ref, get-card-info, make-rebill-sale, make-rebill-preauth, account-verification, sync/account-verification, transfer-by-ref, tokenize/create-ephemeral-ticket, CreateKey, TokenizeCard";

/// The longest `delay=` a spec may ask for.
pub const MAX_DELAY: Duration = Duration::from_secs(30);
/// The largest `oversized=` body a spec may ask for, in bytes (8 MiB).
pub const MAX_OVERSIZED_BYTES: usize = 8 * 1024 * 1024;
/// The longest `drip=` interval between two bytes a spec may ask for.
pub const MAX_DRIP_INTERVAL: Duration = Duration::from_secs(1);
/// The largest `retry-after=` a spec may ask for, in seconds.
pub const MAX_RETRY_AFTER_SECS: u64 = 3600;

/// One way to misbehave. See the [module docs](self) for the spec syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer normally after this delay.
    Delay(Duration),
    /// Process the request, then close the connection without answering.
    CloseBeforeAnswer,
    /// Process the request, send the headers and half the body, then close.
    CloseMidBody,
    /// Answer with this HTTP status without processing the request.
    Status {
        /// The HTTP status code.
        code: u16,
        /// Whether a short text body is sent.
        with_body: bool,
        /// A `Retry-After` header, in seconds.
        retry_after: Option<u64>,
    },
    /// Process the request, answer 200 with bytes that are no valid answer.
    Garbage,
    /// Process the request, answer with a wrong `Content-Type`.
    WrongContentType,
    /// Process the request, answer 200 with a body of this many bytes.
    Oversized(usize),
    /// Process the request, send the answer one byte per interval.
    SlowDrip(Duration),
}

impl Fault {
    /// Whether the gateway logic runs before the fault (see the module table).
    pub fn processes_request(&self) -> bool {
        !matches!(self, Fault::Status { .. })
    }
}

/// What is wrong with a fault spec ([`FaultParseError::problem`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultSpecProblem {
    /// Not one of the documented fault names, or a value where none is taken (or none where
    /// one is needed).
    #[error(
        "unknown fault; use delay=D, close, close-mid-body, status=N[-empty][,retry-after=S], garbage, wrong-content-type, oversized=N or drip=D"
    )]
    Unknown,
    /// A duration that is not `N` followed by `ms` or `s`.
    #[error("expected a duration such as 250ms or 2s")]
    BadDuration,
    /// A `delay=` above [`MAX_DELAY`].
    #[error("a delay is at most {}s", MAX_DELAY.as_secs())]
    DelayTooLong,
    /// A `drip=` interval above [`MAX_DRIP_INTERVAL`].
    #[error("a drip interval is at most {}ms", MAX_DRIP_INTERVAL.as_millis())]
    DripTooSlow,
    /// A `status=` that is not a number in `200..=599`.
    #[error("expected an HTTP status from 200 to 599")]
    BadStatus,
    /// A `retry-after=` that is not a number of seconds up to [`MAX_RETRY_AFTER_SECS`].
    #[error("retry-after must be a number of seconds up to {MAX_RETRY_AFTER_SECS}")]
    BadRetryAfter,
    /// An `oversized=` that is not a byte count.
    #[error("expected a byte count")]
    BadByteCount,
    /// An `oversized=` above [`MAX_OVERSIZED_BYTES`].
    #[error("an oversized body is at most {MAX_OVERSIZED_BYTES} bytes (8 MiB)")]
    OversizedTooLarge,
    /// A route fault ([`parse_route_fault`]) without the `ROUTE:` in front.
    #[error(
        "expected ROUTE:SPEC, where ROUTE is one of {ROUTE_LIST} or * for every route (e.g. status:delay=2s, *:status=503)"
    )]
    MissingRoute,
    /// A route fault ([`parse_route_fault`]) for a route that is not in [`ROUTES`] nor `*`.
    #[error("unknown route; the routes are {ROUTE_LIST}, or * for every route")]
    UnknownRoute,
}

/// A fault spec that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault spec {spec:?}: {problem}")]
#[non_exhaustive]
pub struct FaultParseError {
    spec: String,
    problem: FaultSpecProblem,
}

impl FaultParseError {
    /// What is wrong with the spec.
    #[must_use]
    pub fn problem(&self) -> FaultSpecProblem {
        self.problem
    }
}

fn parse_duration(text: &str) -> Option<Duration> {
    if let Some(ms) = text.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else if let Some(s) = text.strip_suffix('s') {
        s.parse().ok().map(Duration::from_secs)
    } else {
        None
    }
}

/// A duration no longer than `max`.
fn bounded_duration(
    text: &str,
    max: Duration,
    too_long: FaultSpecProblem,
) -> Result<Duration, FaultSpecProblem> {
    let d = parse_duration(text).ok_or(FaultSpecProblem::BadDuration)?;
    if d > max { Err(too_long) } else { Ok(d) }
}

fn parse_status(v: &str) -> Result<Fault, FaultSpecProblem> {
    let (code_part, retry_after) = match v.split_once(",retry-after=") {
        Some((c, ra)) => {
            let ra = ra
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= MAX_RETRY_AFTER_SECS)
                .ok_or(FaultSpecProblem::BadRetryAfter)?;
            (c, Some(ra))
        }
        None => (v, None),
    };
    let (code, with_body) = match code_part.strip_suffix("-empty") {
        Some(c) => (c, false),
        None => (code_part, true),
    };
    let code: u16 = code
        .parse()
        .ok()
        .filter(|c| (200..=599).contains(c))
        .ok_or(FaultSpecProblem::BadStatus)?;
    Ok(Fault::Status {
        code,
        with_body,
        retry_after,
    })
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let spec_trimmed = spec.trim();
        let (name, value) = match spec_trimmed.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (spec_trimmed, None),
        };
        let parsed = match (name, value) {
            ("delay", Some(v)) => {
                bounded_duration(v, MAX_DELAY, FaultSpecProblem::DelayTooLong).map(Fault::Delay)
            }
            ("close", None) => Ok(Fault::CloseBeforeAnswer),
            ("close-mid-body", None) => Ok(Fault::CloseMidBody),
            ("status", Some(v)) => parse_status(v),
            ("garbage", None) => Ok(Fault::Garbage),
            ("wrong-content-type", None) => Ok(Fault::WrongContentType),
            ("oversized", Some(v)) => match v.parse::<usize>() {
                Ok(n) if n <= MAX_OVERSIZED_BYTES => Ok(Fault::Oversized(n)),
                Ok(_) => Err(FaultSpecProblem::OversizedTooLarge),
                // All digits but past usize: too large, not malformed.
                Err(_) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                    Err(FaultSpecProblem::OversizedTooLarge)
                }
                Err(_) => Err(FaultSpecProblem::BadByteCount),
            },
            ("drip", Some(v)) => {
                bounded_duration(v, MAX_DRIP_INTERVAL, FaultSpecProblem::DripTooSlow)
                    .map(Fault::SlowDrip)
            }
            _ => Err(FaultSpecProblem::Unknown),
        };
        parsed.map_err(|problem| FaultParseError {
            spec: spec.chars().take(64).collect(),
            problem,
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Delay(d) => write!(f, "delay={}ms", d.as_millis()),
            Fault::CloseBeforeAnswer => f.write_str("close"),
            Fault::CloseMidBody => f.write_str("close-mid-body"),
            Fault::Status {
                code,
                with_body,
                retry_after,
            } => {
                write!(f, "status={code}")?;
                if !with_body {
                    f.write_str("-empty")?;
                }
                if let Some(ra) = retry_after {
                    write!(f, ",retry-after={ra}")?;
                }
                Ok(())
            }
            Fault::Garbage => f.write_str("garbage"),
            Fault::WrongContentType => f.write_str("wrong-content-type"),
            Fault::Oversized(n) => write!(f, "oversized={n}"),
            Fault::SlowDrip(d) => write!(f, "drip={}ms", d.as_millis()),
        }
    }
}

/// Parses `ROUTE:SPEC`, as `paygate sandbox --fault` takes it: ROUTE is one of [`ROUTES`] or
/// `*` for every route, SPEC a fault of the [module docs](self) (`status:delay=2s`,
/// `*:status=503`).
///
/// The route is always required: a bare `status=503` (which could mean "HTTP 503 on every
/// route" or "the `status` route") is refused, as is the older `ROUTE=SPEC` form.
///
/// # Errors
/// [`FaultParseError`]: [`FaultSpecProblem::MissingRoute`] without a `ROUTE:`,
/// [`FaultSpecProblem::UnknownRoute`] for a route not in [`ROUTES`], or the problem of the spec.
pub fn parse_route_fault(text: &str) -> Result<(String, Fault), FaultParseError> {
    let refuse = |problem| FaultParseError {
        spec: text.chars().take(64).collect(),
        problem,
    };
    let Some((route, spec)) = text.split_once(':') else {
        return Err(refuse(FaultSpecProblem::MissingRoute));
    };
    if route != "*" && !ROUTES.contains(&route) {
        return Err(refuse(FaultSpecProblem::UnknownRoute));
    }
    Ok((route.to_owned(), spec.parse()?))
}

#[derive(Default)]
struct Plan {
    queued: HashMap<String, VecDeque<Fault>>,
    always: HashMap<String, Fault>,
}

/// Scripts faults for a running sandbox. Cheap to clone; clones share the plan.
#[derive(Clone, Default)]
pub struct FaultController {
    plan: Arc<Mutex<Plan>>,
}

impl fmt::Debug for FaultController {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultController").finish_non_exhaustive()
    }
}

impl FaultController {
    /// Queues `fault` for the next request to `route` (`*` for any route).
    pub fn push(&self, route: &str, fault: Fault) {
        let mut plan = crate::lock(&self.plan);
        plan.queued
            .entry(route.to_owned())
            .or_default()
            .push_back(fault);
    }

    /// Sets (or with `None` clears) the fault applied to every request to `route`.
    pub fn set_always(&self, route: &str, fault: Option<Fault>) {
        let mut plan = crate::lock(&self.plan);
        match fault {
            Some(f) => {
                plan.always.insert(route.to_owned(), f);
            }
            None => {
                plan.always.remove(route);
            }
        }
    }

    /// Removes every queued and standing fault.
    pub fn clear(&self) {
        let mut plan = crate::lock(&self.plan);
        plan.queued.clear();
        plan.always.clear();
    }

    /// The fault for a request to `route`, consuming a queued one.
    pub(crate) fn take(&self, route: &str) -> Option<Fault> {
        let mut plan = crate::lock(&self.plan);
        for key in [route, "*"] {
            if let Some(f) = plan.queued.get_mut(key).and_then(VecDeque::pop_front) {
                return Some(f);
            }
            if let Some(f) = plan.always.get(key) {
                return Some(f.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip() {
        for spec in [
            "delay=250ms",
            "close",
            "close-mid-body",
            "status=503",
            "status=502-empty",
            "status=503,retry-after=1",
            "garbage",
            "wrong-content-type",
            "oversized=2000000",
            "drip=20ms",
        ] {
            let fault: Fault = spec.parse().unwrap();
            assert_eq!(fault.to_string(), spec);
        }
        assert_eq!(
            "delay=2s".parse::<Fault>().unwrap(),
            Fault::Delay(Duration::from_secs(2))
        );
    }

    #[test]
    fn bad_specs_are_errors() {
        for spec in [
            "",
            "delay",
            "delay=fast",
            "status=99",
            "status=abc",
            "explode",
            "oversized=-1",
            "delay=9999s",
        ] {
            assert!(spec.parse::<Fault>().is_err(), "{spec}");
        }
    }

    /// Every fault a spec can ask for is bounded, with a typed reason.
    #[test]
    fn specs_past_the_bounds_are_typed_errors() {
        let problem = |spec: &str| spec.parse::<Fault>().unwrap_err().problem();
        assert_eq!(problem("delay=31s"), FaultSpecProblem::DelayTooLong);
        assert_eq!(problem("delay=600s"), FaultSpecProblem::DelayTooLong);
        assert_eq!(problem("delay=30001ms"), FaultSpecProblem::DelayTooLong);
        assert_eq!(problem("delay=1h"), FaultSpecProblem::BadDuration);
        assert_eq!(
            problem("oversized=8388609"),
            FaultSpecProblem::OversizedTooLarge
        );
        assert_eq!(
            problem("oversized=67108864"),
            FaultSpecProblem::OversizedTooLarge
        );
        assert_eq!(
            problem("oversized=99999999999999999999999"),
            FaultSpecProblem::OversizedTooLarge
        );
        assert_eq!(problem("oversized=lots"), FaultSpecProblem::BadByteCount);
        assert_eq!(problem("drip=1001ms"), FaultSpecProblem::DripTooSlow);
        assert_eq!(problem("drip=10s"), FaultSpecProblem::DripTooSlow);
        assert_eq!(problem("status=600"), FaultSpecProblem::BadStatus);
        assert_eq!(
            problem("status=503,retry-after=3601"),
            FaultSpecProblem::BadRetryAfter
        );
        assert_eq!(problem("explode"), FaultSpecProblem::Unknown);
        // The bounds themselves are allowed.
        assert_eq!(
            "delay=30s".parse::<Fault>().unwrap(),
            Fault::Delay(MAX_DELAY)
        );
        assert_eq!(
            "oversized=8388608".parse::<Fault>().unwrap(),
            Fault::Oversized(MAX_OVERSIZED_BYTES)
        );
        assert_eq!(
            "drip=1s".parse::<Fault>().unwrap(),
            Fault::SlowDrip(MAX_DRIP_INTERVAL)
        );
        // The error quotes at most 64 characters of the spec.
        let long = format!("delay={}", "9".repeat(10_000));
        assert!(long.parse::<Fault>().unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn route_prefix() {
        assert_eq!(
            parse_route_fault("create-card-ref:close").unwrap(),
            ("create-card-ref".to_owned(), Fault::CloseBeforeAnswer)
        );
        assert_eq!(
            parse_route_fault("*:delay=1s").unwrap(),
            ("*".to_owned(), Fault::Delay(Duration::from_secs(1)))
        );
        assert_eq!(
            parse_route_fault("CreateKey:status=503").unwrap().1,
            Fault::Status {
                code: 503,
                with_body: true,
                retry_after: None
            }
        );
    }

    #[test]
    fn route_faults_are_unambiguous() {
        // `status` is a route and a fault name: both readings are written out.
        assert_eq!(
            parse_route_fault("status:delay=2s").unwrap(),
            ("status".to_owned(), Fault::Delay(Duration::from_secs(2)))
        );
        assert_eq!(
            parse_route_fault("status:status=503-empty").unwrap(),
            (
                "status".to_owned(),
                Fault::Status {
                    code: 503,
                    with_body: false,
                    retry_after: None
                }
            )
        );
        let problem = |text: &str| parse_route_fault(text).unwrap_err().problem();
        // Without a route: refused, not silently every route.
        assert_eq!(problem("status=503"), FaultSpecProblem::MissingRoute);
        assert_eq!(problem("delay=1s"), FaultSpecProblem::MissingRoute);
        // The older ROUTE=SPEC form, and a route that does not exist.
        assert_eq!(problem("status=delay=2s"), FaultSpecProblem::MissingRoute);
        assert_eq!(
            problem("create-card-ref=close"),
            FaultSpecProblem::MissingRoute
        );
        assert_eq!(problem("payout:close"), FaultSpecProblem::UnknownRoute);
        assert_eq!(problem("status:503"), FaultSpecProblem::Unknown);
        assert_eq!(
            parse_route_fault("sync/account-verification:close")
                .unwrap()
                .0,
            "sync/account-verification"
        );
        assert_eq!(ROUTE_LIST, ROUTES.join(", "));
        let message = parse_route_fault("payout:close").unwrap_err().to_string();
        for route in ROUTES {
            assert!(message.contains(route), "{message}");
        }
        let message = parse_route_fault("status=503").unwrap_err().to_string();
        assert!(
            message.contains("ROUTE:SPEC") && message.contains("*:status=503"),
            "{message}"
        );
    }

    #[test]
    fn queue_then_always_then_wildcard() {
        let c = FaultController::default();
        c.push("status", Fault::Garbage);
        c.set_always("status", Some(Fault::CloseBeforeAnswer));
        c.set_always("*", Some(Fault::WrongContentType));
        assert_eq!(c.take("status"), Some(Fault::Garbage));
        assert_eq!(c.take("status"), Some(Fault::CloseBeforeAnswer));
        assert_eq!(c.take("CreateKey"), Some(Fault::WrongContentType));
        c.clear();
        assert_eq!(c.take("status"), None);
    }
}
