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
//! total deadline: a retry whose wait would cross the deadline is not made.

use std::time::Duration;

use crate::error::{Error, Outcome};

/// Whether repeating an operation can cause a second effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// Repeating it gives the same result and no second effect.
    Idempotent,
    /// Repeating it may do the work twice.
    NotIdempotent,
}

/// When and how often to retry. The default makes up to 3 attempts within 30 s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// The wait before the first retry (before jitter).
    pub base_delay: Duration,
    /// The longest wait between two attempts (before `Retry-After`).
    pub max_delay: Duration,
    /// The whole call, every attempt and wait included, ends by then.
    pub total_deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            total_deadline: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries, with the given deadline.
    pub fn never(total_deadline: Duration) -> Self {
        RetryPolicy {
            max_attempts: 1,
            total_deadline,
            ..RetryPolicy::default()
        }
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
        if elapsed.saturating_add(wait) >= self.total_deadline {
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
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
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
        let p = RetryPolicy {
            total_deadline: Duration::from_secs(3),
            ..RetryPolicy::default()
        };
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
