//! The thin async transport of paygate and the gateway clients built on the sans-IO layers.
//!
//! This is the only paygate crate that knows tokio, hyper and TLS. It adds to the layers
//! below: a pooled HTTP/1.1 client over rustls (aws-lc-rs, the same crypto library that signs),
//! connect/request/total timeouts with non-zero defaults, a response size limit, the `https`
//! rule (plain `http` only to loopback unless you opt out), `tracing` spans that carry no
//! secret, and an [`Error`] that says whether the request may have reached the gateway and
//! never holds a secret the request carried, even when the gateway echoes it ([`redact`]).
//!
//! # Quick start
//! ```
//! use paygate_client::{Transport, TransportConfig, Error, NotSentReason};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let transport = Transport::new(TransportConfig::default()).expect("valid configuration");
//! // Plain http to a public host is refused before anything is sent:
//! let request = http::Request::post("http://gate.example/paynet/api/v4/status/1")
//!     .body(bytes::Bytes::new())
//!     .unwrap();
//! let err = transport.send(request, None).await.unwrap_err();
//! assert!(matches!(err, Error::NotSent { reason: NotSentReason::InsecureUrl, .. }));
//! assert!(!err.may_have_reached_gateway());
//! # }
//! ```
//!
//! # Retries
//! Each client retries by its [`RetryPolicy`] ([`retry`] has the rules); [`count_attempts`]
//! tells how many attempts a call made, for logs and error reports.
//!
//! # Crate features
//! - `webpki-roots` (default): trust the Mozilla root set compiled into the binary.
//! - `native-roots`: trust the operating system's store instead ([`Roots::Native`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod payneteasy;
pub mod paysecure;
pub mod redact;
pub mod retry;
pub mod transport;

pub use error::{
    Dispatch, Error, Gateway, MaybeSentReason, NotSentReason, Outcome, Rejection, RejectionKind,
    UnreadableReason,
};
pub use payneteasy::{PayneteasyClient, PayneteasyConfig};
pub use paysecure::{IssuedKey, PaySecureClient, PaySecureConfig};
pub use retry::{Decision, Idempotency, RetryPolicy, StopReason};
pub use transport::{CallBudget, Roots, Transport, TransportConfig};

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    /// The attempts of the latest gateway call, inside [`count_attempts`].
    static ATTEMPTS: Cell<u32>;
}

/// Runs `calls` (one or more gateway calls of this crate's clients, awaited in the same task)
/// and returns its output with the number of attempts the **last** of those calls made: `1`
/// when it was not retried, `3` after two retries, `0` when no request was attempted at all
/// (for example an error found before sending).
///
/// The count is opt-in and costs nothing outside this function; the clients' results and
/// errors are unchanged. A call spawned onto another task is not counted.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (value, attempts) = paygate_client::count_attempts(async { 42 }).await;
/// assert_eq!((value, attempts), (42, 0));
/// # }
/// ```
pub async fn count_attempts<F: Future>(calls: F) -> (F::Output, u32) {
    ATTEMPTS
        .scope(Cell::new(0), async move {
            let output = calls.await;
            (output, ATTEMPTS.with(Cell::get))
        })
        .await
}

/// Runs `attempt` until it succeeds or the retry policy says stop. Each attempt receives the
/// call's deadline; a new attempt must build (and sign) a fresh request.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    idempotency: Idempotency,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut(CallBudget, u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let budget = CallBudget {
        deadline: started + policy.total_deadline,
    };
    let mut number = 1u32;
    loop {
        // Only inside `count_attempts`; elsewhere there is nothing to record into.
        let _ = ATTEMPTS.try_with(|count| count.set(number));
        let error = match attempt(budget, number).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        match policy.decide(&error, idempotency, number, started.elapsed(), jitter()) {
            Decision::RetryAfter(wait) => {
                tracing::debug!(
                    attempt = number,
                    class = error.class(),
                    wait_ms = wait.as_millis() as u64,
                    "retrying"
                );
                tokio::time::sleep(wait).await;
                number += 1;
            }
            Decision::Stop(reason) => {
                tracing::debug!(
                    attempt = number,
                    class = error.class(),
                    ?reason,
                    "giving up"
                );
                return Err(error);
            }
        }
    }
}

/// A number in `[0, 1)` for backoff jitter. Not cryptographic; it only spreads retries.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The default per-call deadline used when a client has no retry policy of its own.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// The Rust examples of the workspace README, compiled and run as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The Rust examples of `docs/payneteasy.md`, compiled as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/payneteasy.md")]
pub struct PayneteasyGuideDoctests;
