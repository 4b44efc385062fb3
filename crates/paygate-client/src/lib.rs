//! The thin async transport of paygate and the gateway clients built on the sans-IO layers.
//!
//! This is the only paygate crate that knows tokio, hyper and TLS. It adds to the layers
//! below: a pooled HTTP/1.1 client over rustls (aws-lc-rs, the same crypto library that signs),
//! **one deadline per call** ([`RetryPolicy::deadline`], retries included), a response size
//! limit, the `https` rule (plain `http` only to loopback unless you opt out), `tracing` spans
//! that carry no secret, and an [`Error`] that says what the failure proves
//! ([`Error::outcome`]: not processed, processed, unknown), whether the request may be sent
//! again now ([`Error::is_retryable`]), names the root cause in its `Display`, and never holds
//! a secret the request carried, even when the gateway echoes it ([`redact`]).
//!
//! # Configuration
//! [`TransportConfig::builder`] and [`RetryPolicy::builder`] validate what they are given and
//! return a [`ConfigError`] for a zero or absurd value; both types have a `Default`. The
//! gateway configurations are built the same way and validated by their `build`:
//! `PayneteasyConfig::builder(environment, login, key)` (the login is checked) and
//! `PaySecureConfig::builder(credentials)` (the base URL and the key cache bounds are
//! checked); all four types are `#[non_exhaustive]` with private fields and getters. Both
//! gateway clients are made the same way: `Client::new(config, transport)` over a shared
//! [`Transport`], or `Client::with_transport_config(config, transport_config)`.
//!
//! ```
//! use std::time::Duration;
//! use paygate_client::{RetryPolicy, TransportConfig};
//!
//! let transport = TransportConfig::builder()
//!     .max_response_bytes(256 * 1024)
//!     .build()?;
//! let retry = RetryPolicy::builder()
//!     .deadline(Duration::from_secs(20)) // the whole call, retries included
//!     .max_attempts(2)
//!     .build()?;
//! assert!(TransportConfig::builder().connect_timeout(Duration::ZERO).build().is_err());
//! # let _ = (transport, retry);
//! # Ok::<(), paygate_client::ConfigError>(())
//! ```
//!
//! # Quick start
//! ```
//! use paygate_client::{Transport, TransportConfig, Error, NotSentReason, Outcome};
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
//! assert_eq!(err.outcome(), Outcome::NotProcessed);
//! assert!(!err.is_retryable(), "it would be refused again");
//! # }
//! ```
//!
//! # Retries
//! Each client retries by its [`RetryPolicy`] ([`retry`] has the rules); [`count_attempts`]
//! tells how many attempts a call made, for logs and error reports.
//!
//! # Crate features
//! - `payneteasy` (default): the Payneteasy client ([`payneteasy`]), with the Payneteasy
//!   protocol types, its form codec and the OAuth 1.0a signer.
//! - `paysecure` (default): the PaySecure client ([`paysecure`]), with the PaySecure DTOs and
//!   its JSON codec.
//! - `webpki-roots` (default): trust the Mozilla root set compiled into the binary.
//! - `native-roots`: trust the operating system's store instead ([`Roots::Native`]).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(feature = "payneteasy", feature = "paysecure"))]
/// The constructor both gateway clients share, written once: inside a client's `impl`,
/// `crate::with_transport_config!(Config);` defines `with_transport_config(config,
/// transport_config)`, the client's `new` over a [`Transport`] of its own.
macro_rules! with_transport_config {
    ($config:ty) => {
        /// A client with its own transport, built by
        /// [`Transport::new`](crate::Transport::new) (to share one transport between
        /// clients, use `new`).
        ///
        /// # Errors
        /// As [`Transport::new`](crate::Transport::new): [`Error::NotSent`](crate::Error::NotSent)
        /// with [`NotSentReason::Configuration`](crate::NotSentReason::Configuration).
        pub fn with_transport_config(
            config: $config,
            transport: $crate::TransportConfig,
        ) -> Result<Self, $crate::Error> {
            Ok(Self::new(config, $crate::Transport::new(transport)?))
        }
    };
}
#[cfg(any(feature = "payneteasy", feature = "paysecure"))]
pub(crate) use with_transport_config;

pub mod error;
#[cfg(feature = "payneteasy")]
#[cfg_attr(docsrs, doc(cfg(feature = "payneteasy")))]
pub mod payneteasy;
#[cfg(feature = "paysecure")]
#[cfg_attr(docsrs, doc(cfg(feature = "paysecure")))]
pub mod paysecure;
pub mod redact;
pub mod retry;
pub mod transport;

pub use error::{
    Dispatch, Error, Gateway, MaybeSentReason, NotSentReason, Outcome, Rejection, RejectionKind,
    UnreadableReason,
};
#[cfg(feature = "payneteasy")]
pub use payneteasy::{PayneteasyClient, PayneteasyConfig, PayneteasyConfigBuilder};
#[cfg(feature = "paysecure")]
pub use paysecure::{IssuedKey, PaySecureClient, PaySecureConfig, PaySecureConfigBuilder};
pub use retry::{Decision, Idempotency, RetryPolicy, RetryPolicyBuilder, StopReason};
pub use transport::{
    CallBudget, ConfigError, Roots, Transport, TransportConfig, TransportConfigBuilder,
};

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

/// Runs `attempt` until it succeeds or the retry policy says stop. Each attempt receives its
/// [`CallBudget`]: the call's deadline ([`RetryPolicy::deadline`]) and, for an idempotent
/// operation that may still be retried, its share of the time left for the response headers
/// (see [`RetryPolicy`]). A new attempt must build (and sign) a fresh request.
#[cfg(any(feature = "payneteasy", feature = "paysecure"))]
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
    let call = CallBudget::until(started + policy.deadline());
    let mut number = 1u32;
    loop {
        // Only inside `count_attempts`; elsewhere there is nothing to record into.
        let _ = ATTEMPTS.try_with(|count| count.set(number));
        let attempts_left = policy.max_attempts().saturating_sub(number - 1).max(1);
        let budget = if idempotency == Idempotency::Idempotent && attempts_left > 1 {
            let now = Instant::now();
            let left = call.deadline.saturating_duration_since(now);
            call.with_headers_by(now + left / attempts_left)
        } else {
            call
        };
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

#[cfg(any(feature = "payneteasy", feature = "paysecure"))]
/// A number in `[0, 1)` for backoff jitter. Not cryptographic; it only spreads retries.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The default deadline of a call: [`RetryPolicy::default`]'s, and [`Transport::send`]'s
/// when it is given no [`CallBudget`].
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// The Rust examples of `docs/payneteasy.md`, compiled as doctests of this crate.
#[cfg(all(doctest, feature = "payneteasy"))]
#[doc = include_str!("../../../docs/payneteasy.md")]
pub struct PayneteasyGuideDoctests;
