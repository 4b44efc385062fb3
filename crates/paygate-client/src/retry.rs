//! The retry rules, as a pure function of (error, operation, attempt, elapsed time, jitter).
//!
//! Whether an error may be retried at all is **one rule**, [`Error::is_retryable_for`] (the
//! table is in [`crate::error`]): retry any operation when the gateway certainly did not act
//! and the cause may pass ([`Error::is_retryable`]: connect failure or timeout, 429, 408, 503
//! with `Retry-After`); retry an idempotent operation also when the outcome is unknown but the
//! cause may pass (timeout, connection lost, truncated body, 502/503/504); never otherwise
//! (bad input, `https` rule, signing, TLS, authentication refused, rejections, 500, too large,
//! malformed). [`RetryPolicy::decide`] adds the attempt count, the backoff and the deadline.
//!
//! Which operations are idempotent, and why:
//! - Payneteasy `create-card-ref`: the gateway keys it by the first payment's order
//!   (`client_orderid` + `orderid`); asking again returns the same card reference.
//! - Payneteasy `status`: a read.
//! - PaySecure `CreateKey`: a repeat makes a second, independent key; the first simply
//!   expires unused after its TTL. Nothing is charged or stored for the card holder.
//! - PaySecure `TokenizeCard`: **not** treated as idempotent. Tokenizing the same card twice
//!   is harmless at the gateways we know, but the published metadata does not promise it, and
//!   with `VerifyCard` it may trigger a verification on the card.
//!
//! Backoff is exponential (`base * 2^(attempt-1)`, capped at `max_delay`) with "equal
//! jitter" (half fixed, half random), at least the server's `Retry-After`, and never past the
//! call's deadline ([`RetryPolicy::deadline`], the one deadline knob): a retry whose wait
//! would cross it is not made.

use std::time::Duration;

use crate::error::{Error, Outcome};
use crate::transport::{ConfigError, check_at_most, check_duration};

/// Whether repeating an operation can cause a second effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// Repeating it gives the same result and no second effect.
    Idempotent,
    /// Repeating it may do the work twice.
    NotIdempotent,
}

/// When and how often to retry, and the **one deadline** of a call: its attempts, their waits
/// and the reading of the answer all end by [`RetryPolicy::deadline`]. Made by
/// [`RetryPolicy::builder`] (validated), [`RetryPolicy::never`] or [`Default`]: up to 3
/// attempts within 30 s.
///
/// No attempt has a timeout of its own to configure: an attempt of an **idempotent**
/// operation that may still be retried waits for the response headers for its share of the
/// time left (`time left / attempts left`), so a hung attempt leaves time for another; any
/// other attempt may use all the time left (a timed-out non-idempotent call is never
/// repeated, so cutting it short would only lose its answer).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    deadline: Duration,
}

/// The most attempts a policy may make.
pub const MAX_ATTEMPTS: u32 = 10;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            deadline: crate::DEFAULT_DEADLINE,
        }
    }
}

impl RetryPolicy {
    /// A builder starting from the [defaults](RetryPolicy::default).
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder(RetryPolicy::default())
    }

    /// A builder starting from this policy (to change one setting of a client's policy).
    pub fn to_builder(&self) -> RetryPolicyBuilder {
        RetryPolicyBuilder(self.clone())
    }

    /// A policy that never retries, with the given deadline (brought into `1 ms ..=`
    /// [`MAX_TIMEOUT`](crate::transport::MAX_TIMEOUT)).
    #[must_use]
    pub fn never(deadline: Duration) -> Self {
        RetryPolicy {
            max_attempts: 1,
            deadline: deadline.clamp(Duration::from_millis(1), crate::transport::MAX_TIMEOUT),
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included; `1` means no retry.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before the first retry (before jitter).
    #[must_use]
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest wait between two attempts (before `Retry-After`).
    #[must_use]
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The call's whole budget: every attempt, every wait and the answer's body end by then.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }
}

/// Builds a [`RetryPolicy`]; every setting starts at its default. [`build`](Self::build)
/// validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct RetryPolicyBuilder(RetryPolicy);

impl RetryPolicyBuilder {
    /// Attempts in all, the first included (default 3, from 1 to [`MAX_ATTEMPTS`]).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.0.max_attempts = attempts;
        self
    }

    /// The wait before the first retry, doubled after each (default 200 ms, at most
    /// `max_delay`).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.0.base_delay = delay;
        self
    }

    /// The longest wait between two attempts (default 5 s, at most
    /// [`MAX_TIMEOUT`](crate::transport::MAX_TIMEOUT); a wait that would cross the deadline is
    /// never made).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.0.max_delay = delay;
        self
    }

    /// The call's whole budget, retries included (default 30 s, at most
    /// [`MAX_TIMEOUT`](crate::transport::MAX_TIMEOUT)).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.0.deadline = deadline;
        self
    }

    /// The policy.
    ///
    /// # Errors
    /// [`ConfigError`]: no attempt or more than [`MAX_ATTEMPTS`], a zero or over-long
    /// deadline or `max_delay`, or `base_delay` over `max_delay`.
    pub fn build(self) -> Result<RetryPolicy, ConfigError> {
        let policy = self.0;
        if policy.max_attempts == 0 {
            return Err(ConfigError::Zero {
                setting: "max_attempts",
            });
        }
        check_at_most("max_attempts", policy.max_attempts, MAX_ATTEMPTS)?;
        check_duration("deadline", policy.deadline)?;
        check_duration("max_delay", policy.max_delay)?;
        if policy.base_delay > policy.max_delay {
            return Err(ConfigError::Inconsistent(
                "base_delay must not be longer than max_delay",
            ));
        }
        Ok(policy)
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Give up and return the error.
    Stop(StopReason),
}

/// Why no retry is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The error is permanent (bad input, authentication, a gateway's "no", …).
    NotRetryable,
    /// The request may have been processed and the operation is not idempotent.
    MaybeProcessed,
    /// `max_attempts` reached.
    AttemptsExhausted,
    /// The next attempt could not finish before the total deadline.
    DeadlineExceeded,
}

impl RetryPolicy {
    /// Decides after attempt number `attempt` (1 for the first) failed with `error`, when
    /// `elapsed` has passed since the call started. `jitter` is a number in `[0, 1)` from the
    /// caller's random source (tests pin it).
    pub fn decide(
        &self,
        error: &Error,
        idempotency: Idempotency,
        attempt: u32,
        elapsed: Duration,
        jitter: f64,
    ) -> Decision {
        if !error.is_retryable_for(idempotency) {
            // Retryable for an idempotent call only: the request may have been processed.
            let maybe_processed = error.outcome() == Outcome::Unknown
                && error.is_retryable_for(Idempotency::Idempotent);
            return Decision::Stop(if maybe_processed {
                StopReason::MaybeProcessed
            } else {
                StopReason::NotRetryable
            });
        }
        if attempt >= self.max_attempts {
            return Decision::Stop(StopReason::AttemptsExhausted);
        }
        let wait = self
            .backoff(attempt, jitter)
            .max(error.retry_after().unwrap_or_default());
        // Leave room for the next attempt to do something useful: a wait that ends at the
        // deadline would only produce a guaranteed timeout.
        if elapsed.saturating_add(wait) >= self.deadline {
            return Decision::Stop(StopReason::DeadlineExceeded);
        }
        Decision::RetryAfter(wait)
    }

    /// The wait after attempt `attempt` before `Retry-After`: exponential, capped, with equal
    /// jitter (`d/2 + jitter * d/2`).
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let raw = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        raw / 2 + raw.mul_f64(jitter / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{
        Gateway, MaybeSentReason, NotSentReason, Rejection, RejectionKind, UnreadableReason,
    };

    fn not_sent(reason: NotSentReason) -> Error {
        Error::NotSent {
            reason,
            source: None,
        }
    }
    fn maybe(reason: MaybeSentReason) -> Error {
        Error::MaybeSent {
            reason,
            source: None,
        }
    }
    fn unreadable(status: Option<u16>, reason: UnreadableReason, ra: Option<u64>) -> Error {
        Error::ResponseUnreadable {
            status,
            reason,
            retry_after: ra.map(Duration::from_secs),
            excerpt: None,
            source: None,
        }
    }
    fn rejected(kind: RejectionKind) -> Error {
        Error::Rejected(Rejection {
            gateway: Gateway::Payneteasy,
            kind,
            code: Some("1".into()),
            message: None,
            http_status: 200,
            reference: None,
        })
    }

    const I: Idempotency = Idempotency::Idempotent;
    const N: Idempotency = Idempotency::NotIdempotent;

    #[test]
    fn table() {
        let p = RetryPolicy::default();
        let z = Duration::ZERO;
        let retry = |d: Decision| matches!(d, Decision::RetryAfter(_));
        #[rustfmt::skip]
        let cases: Vec<(Error, Idempotency, bool, Option<StopReason>)> = vec![
            (not_sent(NotSentReason::Connect), N, true, None),
            (not_sent(NotSentReason::ConnectTimeout), N, true, None),
            (not_sent(NotSentReason::Tls), I, false, Some(StopReason::NotRetryable)),
            (not_sent(NotSentReason::InvalidRequest), I, false, Some(StopReason::NotRetryable)),
            (not_sent(NotSentReason::InsecureUrl), I, false, Some(StopReason::NotRetryable)),
            (not_sent(NotSentReason::Signing), I, false, Some(StopReason::NotRetryable)),
            (not_sent(NotSentReason::DeadlineExceeded), I, false, Some(StopReason::NotRetryable)),
            (maybe(MaybeSentReason::Timeout), I, true, None),
            (maybe(MaybeSentReason::Timeout), N, false, Some(StopReason::MaybeProcessed)),
            (maybe(MaybeSentReason::ConnectionLost), I, true, None),
            (maybe(MaybeSentReason::ConnectionLost), N, false, Some(StopReason::MaybeProcessed)),
            (unreadable(Some(503), UnreadableReason::UnexpectedStatus, None), I, true, None),
            (unreadable(Some(502), UnreadableReason::UnexpectedStatus, None), I, true, None),
            (unreadable(Some(504), UnreadableReason::UnexpectedStatus, None), I, true, None),
            (unreadable(Some(429), UnreadableReason::UnexpectedStatus, None), I, true, None),
            (unreadable(Some(503), UnreadableReason::UnexpectedStatus, None), N, false, Some(StopReason::MaybeProcessed)),
            // 503 with Retry-After and 429 refuse the request before acting: any operation.
            (unreadable(Some(503), UnreadableReason::UnexpectedStatus, Some(1)), N, true, None),
            (unreadable(Some(429), UnreadableReason::UnexpectedStatus, None), N, true, None),
            // A 404 (mistyped route) is not processed, and would fail the same way again.
            (unreadable(Some(404), UnreadableReason::UnexpectedStatus, None), I, false, Some(StopReason::NotRetryable)),
            (unreadable(Some(500), UnreadableReason::UnexpectedStatus, None), I, false, Some(StopReason::NotRetryable)),
            (unreadable(Some(200), UnreadableReason::TooLarge, None), I, false, Some(StopReason::NotRetryable)),
            (unreadable(Some(200), UnreadableReason::Malformed, None), I, false, Some(StopReason::NotRetryable)),
            (unreadable(Some(200), UnreadableReason::Truncated, None), I, true, None),
            (unreadable(Some(200), UnreadableReason::Truncated, None), N, false, Some(StopReason::MaybeProcessed)),
            (Error::AuthenticationRefused { gateway: Gateway::Payneteasy, status: 403, excerpt: String::new() }, I, false, Some(StopReason::NotRetryable)),
            (rejected(RejectionKind::Validation), I, false, Some(StopReason::NotRetryable)),
            (rejected(RejectionKind::Processing), I, false, Some(StopReason::NotRetryable)),
            (rejected(RejectionKind::InBand), I, false, Some(StopReason::NotRetryable)),
        ];
        for (i, (err, idem, should_retry, stop)) in cases.iter().enumerate() {
            let d = p.decide(err, *idem, 1, z, 0.5);
            assert_eq!(
                retry(d),
                *should_retry,
                "case {i}: {err:?} {idem:?} -> {d:?}"
            );
            if let Some(stop) = stop {
                assert_eq!(d, Decision::Stop(*stop), "case {i}");
            }
        }
    }

    #[test]
    fn attempts_are_bounded() {
        let p = RetryPolicy::default();
        let e = not_sent(NotSentReason::Connect);
        assert!(matches!(
            p.decide(&e, N, 2, Duration::ZERO, 0.0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            p.decide(&e, N, 3, Duration::ZERO, 0.0),
            Decision::Stop(StopReason::AttemptsExhausted)
        );
        let never = RetryPolicy::never(Duration::from_secs(5));
        assert_eq!(
            never.decide(&e, I, 1, Duration::ZERO, 0.0),
            Decision::Stop(StopReason::AttemptsExhausted)
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::builder()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000))
            .build()
            .unwrap();
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(2, 0.0), Duration::from_millis(100));
        assert_eq!(p.backoff(3, 0.0), Duration::from_millis(200));
        assert_eq!(p.backoff(10, 1.0), Duration::from_millis(1000));
        assert_eq!(p.backoff(u32::MAX, 0.0), Duration::from_millis(500));
        // Out-of-range jitter is clamped, never a panic.
        assert_eq!(p.backoff(1, f64::NAN), Duration::from_millis(50));
        assert_eq!(p.backoff(1, 7.0), Duration::from_millis(100));
    }

    #[test]
    fn the_builder_refuses_zero_and_absurd_values() {
        let s = Duration::from_secs;
        #[rustfmt::skip]
        let refused = [
            (RetryPolicy::builder().max_attempts(0), "max_attempts"),
            (RetryPolicy::builder().max_attempts(1000), "max_attempts"),
            (RetryPolicy::builder().deadline(Duration::ZERO), "deadline"),
            (RetryPolicy::builder().deadline(s(86_400)), "deadline"),
            (RetryPolicy::builder().max_delay(Duration::ZERO), "max_delay"),
            (RetryPolicy::builder().base_delay(s(10)), "base_delay"),
            (RetryPolicy::builder().max_delay(s(86_400)), "max_delay"),
        ];
        for (builder, setting) in refused {
            let err = builder.build().unwrap_err();
            assert!(err.to_string().contains(setting), "{setting}: {err}");
        }
        assert_eq!(
            RetryPolicy::builder().build().unwrap(),
            RetryPolicy::default()
        );
        let short = RetryPolicy::default()
            .to_builder()
            .deadline(s(2))
            .build()
            .unwrap();
        assert_eq!((short.deadline(), short.max_attempts()), (s(2), 3));
        assert_eq!(
            RetryPolicy::never(Duration::ZERO).deadline(),
            Duration::from_millis(1)
        );
        assert_eq!(RetryPolicy::never(s(5)).max_attempts(), 1);
    }

    #[test]
    fn retry_after_is_honoured() {
        let p = RetryPolicy::default();
        let e = unreadable(Some(503), UnreadableReason::UnexpectedStatus, Some(2));
        assert_eq!(
            p.decide(&e, I, 1, Duration::ZERO, 0.0),
            Decision::RetryAfter(Duration::from_secs(2))
        );
    }

    #[test]
    fn deadline_is_never_exceeded() {
        let p = RetryPolicy::builder()
            .deadline(Duration::from_secs(3))
            .build()
            .unwrap();
        let e = unreadable(Some(503), UnreadableReason::UnexpectedStatus, Some(5));
        assert_eq!(
            p.decide(&e, I, 1, Duration::ZERO, 0.0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
        let e = not_sent(NotSentReason::Connect);
        assert_eq!(
            p.decide(&e, I, 1, Duration::from_millis(2950), 1.0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
    }
}
