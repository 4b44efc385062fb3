//! A Redis nonce store for [`oauth1_signer`]: one replay cache shared by every instance of a
//! verifying service, failing closed when Redis cannot answer.
//!
//! [`MemoryNonceStore`](oauth1_signer::MemoryNonceStore) protects one process. Behind a load
//! balancer, each instance would accept a request another instance has already seen; a
//! [`RedisNonceStore`] makes the replay check span all of them. It implements
//! [`AsyncNonceStore`], the asynchronous second step of the signer's two-step verification:
//!
//! ```no_run
//! # async fn example(
//! #     request: &oauth1_signer::Request<'_>,
//! #     header: &oauth1_signer::AuthorizationHeader,
//! #     key: &oauth1_signer::RsaPublicKey,
//! #     now: u64,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use oauth1_nonce_redis::{RedisNonceStore, RedisNonceStoreConfig};
//! use oauth1_signer::{VerifyError, VerifyPolicy, claim_nonce, verify_without_replay};
//!
//! // Once, at start (inside the tokio runtime).
//! let store = RedisNonceStore::connect(RedisNonceStoreConfig::new("redis://127.0.0.1:6379")?).await?;
//!
//! // Per request: the synchronous, I/O-free verification, then the shared claim.
//! let verified = verify_without_replay(request, header, key, &VerifyPolicy::new(now, 300))?;
//! match claim_nonce(&store, verified.nonce_claim()).await {
//!     Ok(()) => { /* accept */ }
//!     Err(VerifyError::ReplayCheckUnavailable(_)) => { /* refuse: 503, try again later */ }
//!     Err(_replay) => { /* refuse: 403 */ }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # How a claim is stored
//!
//! One command per claim, atomic on the server: `SET <key> 1 NX PX <ms>`. `OK` means the nonce
//! was new ([`NonceCheck::Fresh`]); a nil reply means the key exists ([`NonceCheck::Replayed`]).
//! Two verifiers racing on the same nonce therefore accept it exactly once. The expiry is the
//! claim's [`remember_for_secs`](oauth1_signer::NonceClaim::remember_for_secs): how long the
//! request would still pass the verifier's timestamp check, after which it is refused as stale
//! anyway. It is capped at [`RedisNonceStoreConfig::max_remember`] (24 h by default), which
//! only matters for a verifier that turned the timestamp check off: such a verifier gets
//! replay protection for that long only.
//!
//! Keys are `<prefix><consumer key>:<timestamp>:<nonce>` with the default prefix
//! [`DEFAULT_PREFIX`] (`oauth1:nonce:`), so every consumer has its own namespace (`SCAN` with
//! `oauth1:nonce:<consumer>:*` lists its nonces). The consumer key and the nonce are
//! percent-encoded: every byte outside `A–Z a–z 0–9 - . _ ~` becomes `%XX`. A `:` in a
//! consumer key is therefore written `%3A` and cannot make two different (consumer, timestamp,
//! nonce) triples share a key, and braces cannot pick a Redis Cluster hash slot. The nonce
//! length bound of the signer ([`VerifyPolicy::max_nonce_bytes`](oauth1_signer::VerifyPolicy),
//! 128 bytes by default) is applied by the verification step, before any Redis call; this store
//! also refuses (without a Redis call) a claim whose key would exceed
//! [`RedisNonceStoreConfig::max_key_bytes`].
//!
//! # Failing closed
//!
//! Every call is bounded by [`RedisNonceStoreConfig::timeout`] (250 ms by default). When Redis
//! cannot be reached, does not answer in time, or answers with an error, the claim fails with
//! [`RedisNonceError`], which [`AsyncNonceStore`] reports as
//! [`ReplayCheckUnavailable`]: the request is refused ("replay check unavailable"), never
//! accepted.
//!
//! # Connections
//!
//! The store holds one redis-rs [`ConnectionManager`]: a single multiplexed connection that
//! pipelines the commands of every task sharing the store (clones of the store share it) and
//! reconnects by itself, with exponential backoff, after the connection breaks. A claim is
//! one small command with a one-word reply, so one pipelined connection carries tens of
//! thousands of claims a second (see the repository's `BENCHMARKS.md`) and a pool of
//! connections would only add sockets: there is nothing that blocks a connection while a
//! command runs. While Redis is down, claims fail closed at once or after the timeout; once it
//! is back, the next claims reconnect and succeed.
//!
//! Connection URLs may carry a password (`redis://:secret@host/`): it never appears in this
//! crate's `Debug` output or errors.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::time::Duration;

use oauth1_signer::{
    AsyncNonceStore, NonceCheck, NonceCheckFuture, NonceClaim, ReplayCheckUnavailable, VerifyError,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "oauth1:nonce:";

/// Why the Redis store could not be set up or could not answer a claim. Every variant refuses
/// the request (see [`RedisNonceStore::check_and_remember`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisNonceError {
    /// The connection URL is not a usable Redis URL (the URL itself is left out: it may hold a
    /// password).
    #[error("invalid Redis URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// A configuration value is out of range.
    #[error("invalid Redis nonce store configuration: {0}")]
    Config(&'static str),
    /// Redis did not answer within [`RedisNonceStoreConfig::timeout`].
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    /// Redis could not be reached or answered an error.
    #[error("Redis failed: {0}")]
    Redis(#[source] redis::RedisError),
    /// Redis answered something else than `OK` or nil to `SET NX`.
    #[error("unexpected Redis reply to SET NX: {0}")]
    UnexpectedReply(String),
    /// The key for this claim would be longer than [`RedisNonceStoreConfig::max_key_bytes`].
    #[error("the replay-cache key would be {len} bytes (at most {max})")]
    KeyTooLong {
        /// The key's length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// How to reach Redis and how to name and bound the keys.
#[derive(Clone)]
pub struct RedisNonceStoreConfig {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    max_remember: Duration,
    max_key_bytes: usize,
}

impl fmt::Debug for RedisNonceStoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.client.get_connection_info();
        f.debug_struct("RedisNonceStoreConfig")
            .field("addr", &info.addr().to_string())
            .field("db", &info.redis_settings().db())
            .field("password", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("max_remember", &self.max_remember)
            .field("max_key_bytes", &self.max_key_bytes)
            .finish()
    }
}

impl RedisNonceStoreConfig {
    /// Default [`timeout`](Self::timeout): 250 ms.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);
    /// Default [`max_remember`](Self::max_remember): 24 hours.
    pub const DEFAULT_MAX_REMEMBER: Duration = Duration::from_secs(24 * 3600);
    /// Default [`max_key_bytes`](Self::max_key_bytes): 4 KiB.
    pub const DEFAULT_MAX_KEY_BYTES: usize = 4096;

    /// A configuration for the server at `url` (`redis://[:password@]host[:port][/db]`, or
    /// `redis+unix:///path`), with the defaults.
    ///
    /// # Errors
    /// [`RedisNonceError::InvalidUrl`].
    pub fn new(url: &str) -> Result<Self, RedisNonceError> {
        let client = redis::Client::open(url).map_err(|e| RedisNonceError::InvalidUrl {
            // redis-rs's parse errors describe the problem without echoing the URL; keep only
            // the kind and description to be sure no password leaks.
            reason: e.detail().map_or_else(
                || format!("{:?}", e.kind()),
                |detail| format!("{:?}: {detail}", e.kind()),
            ),
        })?;
        Ok(RedisNonceStoreConfig {
            client,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            max_remember: Self::DEFAULT_MAX_REMEMBER,
            max_key_bytes: Self::DEFAULT_MAX_KEY_BYTES,
        })
    }

    /// Sets the key prefix (default [`DEFAULT_PREFIX`]). Use a different prefix for each
    /// service whose replay caches must be separate on one Redis.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the bound on each call (connecting included); past it the claim fails closed with
    /// [`RedisNonceError::Timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the longest time a nonce is remembered (the cap on a claim's
    /// [`remember_for_secs`](NonceClaim::remember_for_secs)).
    #[must_use]
    pub fn max_remember(mut self, max_remember: Duration) -> Self {
        self.max_remember = max_remember;
        self
    }

    /// Sets the longest key accepted, in bytes (prefix included).
    #[must_use]
    pub fn max_key_bytes(mut self, max_key_bytes: usize) -> Self {
        self.max_key_bytes = max_key_bytes;
        self
    }

    fn validate(&self) -> Result<(), RedisNonceError> {
        if self.timeout.is_zero() {
            return Err(RedisNonceError::Config("the timeout must be above zero"));
        }
        if self.max_remember < Duration::from_secs(1) {
            return Err(RedisNonceError::Config(
                "max_remember must be at least one second",
            ));
        }
        Ok(())
    }
}

/// A shared, fail-closed [`AsyncNonceStore`] on Redis (see the [crate docs](crate)). Cheap to
/// clone: clones share the connection.
#[derive(Clone)]
pub struct RedisNonceStore {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
    max_remember_ms: u64,
    max_key_bytes: usize,
}

impl fmt::Debug for RedisNonceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisNonceStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("max_remember_ms", &self.max_remember_ms)
            .field("max_key_bytes", &self.max_key_bytes)
            .finish_non_exhaustive()
    }
}

impl RedisNonceStore {
    /// Connects to Redis and checks that it answers (`PING`). Must run inside a tokio runtime,
    /// which the connection's background task lives on.
    ///
    /// # Errors
    /// [`RedisNonceError::Config`], [`RedisNonceError::Timeout`] or [`RedisNonceError::Redis`]
    /// when Redis cannot be reached.
    pub async fn connect(config: RedisNonceStoreConfig) -> Result<Self, RedisNonceError> {
        let store = Self::lazy(config)?;
        let mut connection = store.connection.clone();
        let ping = redis::cmd("PING");
        match tokio::time::timeout(
            store.timeout,
            ping.query_async::<redis::Value>(&mut connection),
        )
        .await
        {
            Ok(Ok(_)) => Ok(store),
            Ok(Err(e)) => Err(RedisNonceError::Redis(e)),
            Err(_) => Err(RedisNonceError::Timeout(store.timeout)),
        }
    }

    /// A store that connects on its first claim (so a service can start before Redis; claims
    /// fail closed until it is reachable). Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// [`RedisNonceError::Config`], or [`RedisNonceError::Redis`] if the connection manager
    /// cannot be made.
    pub fn lazy(config: RedisNonceStoreConfig) -> Result<Self, RedisNonceError> {
        config.validate()?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            // Reconnect attempts after a break: quick, a few, then the next claim starts
            // another round. Claims never wait for them beyond `timeout`.
            .set_number_of_retries(3)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(config.client, manager_config)
            .map_err(RedisNonceError::Redis)?;
        Ok(RedisNonceStore {
            connection,
            prefix: config.prefix,
            timeout: config.timeout,
            max_remember_ms: u64::try_from(config.max_remember.as_millis()).unwrap_or(u64::MAX),
            max_key_bytes: config.max_key_bytes,
        })
    }

    /// The Redis key of `claim`: `<prefix><consumer key>:<timestamp>:<nonce>`, the consumer key
    /// and the nonce percent-encoded (see the [crate docs](crate#how-a-claim-is-stored)).
    pub fn key(&self, claim: &NonceClaim<'_>) -> String {
        let mut key = String::with_capacity(
            self.prefix.len() + claim.consumer_key.len() + claim.nonce.len() + 24,
        );
        key.push_str(&self.prefix);
        // The signer's RFC 5849 §3.6 encoder: every byte outside `A–Z a–z 0–9 - . _ ~` as
        // `%XX`, so that `:` never occurs inside a part and the key stays injective.
        oauth1_signer::percent_encode_into(&mut key, claim.consumer_key.as_bytes());
        key.push(':');
        key.push_str(&claim.timestamp.to_string());
        key.push(':');
        oauth1_signer::percent_encode_into(&mut key, claim.nonce.as_bytes());
        key
    }

    /// The expiry of `claim`'s key, in milliseconds: its `remember_for_secs`, at least one
    /// second, at most [`RedisNonceStoreConfig::max_remember`].
    pub fn expiry_ms(&self, claim: &NonceClaim<'_>) -> u64 {
        claim
            .remember_for_secs
            .max(1)
            .saturating_mul(1000)
            .min(self.max_remember_ms)
    }

    /// Atomically claims `claim` (`SET key 1 NX PX ms`).
    ///
    /// # Errors
    /// [`RedisNonceError::KeyTooLong`] (no Redis call), [`RedisNonceError::Timeout`],
    /// [`RedisNonceError::Redis`], [`RedisNonceError::UnexpectedReply`]: the replay check is
    /// unavailable and the request must be refused.
    pub async fn check_and_remember(
        &self,
        claim: &NonceClaim<'_>,
    ) -> Result<NonceCheck, RedisNonceError> {
        let key = self.key(claim);
        if key.len() > self.max_key_bytes {
            return Err(RedisNonceError::KeyTooLong {
                len: key.len(),
                max: self.max_key_bytes,
            });
        }
        let mut set = redis::cmd("SET");
        set.arg(&key)
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(self.expiry_ms(claim));
        let mut connection = self.connection.clone();
        let reply = match tokio::time::timeout(
            self.timeout,
            set.query_async::<redis::Value>(&mut connection),
        )
        .await
        {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => return Err(RedisNonceError::Redis(e)),
            Err(_) => return Err(RedisNonceError::Timeout(self.timeout)),
        };
        match reply {
            redis::Value::Okay => Ok(NonceCheck::Fresh),
            redis::Value::Nil => Ok(NonceCheck::Replayed),
            other => Err(RedisNonceError::UnexpectedReply(format!("{other:?}"))),
        }
    }

    /// Claims `claim` with the verdict mapped as [`oauth1_signer::verify`] maps it.
    ///
    /// # Errors
    /// [`VerifyError::ReplayedNonce`], or [`VerifyError::ReplayCheckUnavailable`] (with the
    /// [`RedisNonceError`] as its reason) when Redis could not answer.
    pub async fn claim(&self, claim: &NonceClaim<'_>) -> Result<(), VerifyError> {
        self.check_and_remember(claim)
            .await
            .map_err(|e| VerifyError::ReplayCheckUnavailable(ReplayCheckUnavailable::new(e)))?
            .into_result(claim.timestamp)
    }
}

impl AsyncNonceStore for RedisNonceStore {
    fn check_and_remember_async<'a>(&'a self, claim: NonceClaim<'a>) -> NonceCheckFuture<'a> {
        Box::pin(async move {
            match self.check_and_remember(&claim).await {
                Ok(check) => Ok(check),
                Err(e) => {
                    // The caller refuses the request and logs it (rate-limited, one hopes):
                    // at DEBUG here, so that a Redis outage is not one WARN line per request.
                    tracing::debug!(error = %e, "replay check unavailable: request refused (fail closed)");
                    Err(ReplayCheckUnavailable::new(e))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim<'a>(consumer_key: &'a str, timestamp: u64, nonce: &'a str) -> NonceClaim<'a> {
        NonceClaim {
            consumer_key,
            nonce,
            timestamp,
            remember_for_secs: 301,
        }
    }

    #[tokio::test]
    async fn keys_are_namespaced_and_injective() {
        // A lazy store never connects until a claim: no server is needed here.
        let store =
            RedisNonceStore::lazy(RedisNonceStoreConfig::new("redis://127.0.0.1:1").unwrap())
                .unwrap();
        assert_eq!(
            store.key(&claim("TestMerchant", 1673335450, "KT6cZmuV")),
            "oauth1:nonce:TestMerchant:1673335450:KT6cZmuV"
        );
        // A ':' in the consumer key cannot pose as the separator.
        let a = store.key(&claim("a:1", 2, "n"));
        let b = store.key(&claim("a", 1, "2:n"));
        assert_ne!(a, b);
        assert_eq!(a, "oauth1:nonce:a%3A1:2:n");
        assert_eq!(b, "oauth1:nonce:a:1:2%3An");
        assert_eq!(
            store.key(&claim("{slot}%", 1, "é")),
            "oauth1:nonce:%7Bslot%7D%25:1:%C3%A9"
        );
        let custom = RedisNonceStore::lazy(
            RedisNonceStoreConfig::new("redis://127.0.0.1:1")
                .unwrap()
                .prefix("svc:"),
        )
        .unwrap();
        assert_eq!(custom.key(&claim("k", 1, "n")), "svc:k:1:n");
    }

    #[tokio::test]
    async fn expiry_is_the_window_capped() {
        let store = RedisNonceStore::lazy(
            RedisNonceStoreConfig::new("redis://127.0.0.1:1")
                .unwrap()
                .max_remember(Duration::from_secs(3600)),
        )
        .unwrap();
        assert_eq!(store.expiry_ms(&claim("k", 1, "n")), 301_000);
        let forever = NonceClaim {
            remember_for_secs: u64::MAX,
            ..claim("k", 1, "n")
        };
        assert_eq!(store.expiry_ms(&forever), 3_600_000);
        let zero = NonceClaim {
            remember_for_secs: 0,
            ..claim("k", 1, "n")
        };
        assert_eq!(store.expiry_ms(&zero), 1000);
    }

    #[tokio::test]
    async fn an_over_long_key_is_refused_without_a_call() {
        let store = RedisNonceStore::lazy(
            RedisNonceStoreConfig::new("redis://127.0.0.1:1")
                .unwrap()
                .max_key_bytes(64),
        )
        .unwrap();
        let long = "x".repeat(100);
        assert!(matches!(
            store.check_and_remember(&claim("k", 1, &long)).await,
            Err(RedisNonceError::KeyTooLong { max: 64, .. })
        ));
    }

    #[test]
    fn bad_urls_and_config_are_typed_errors_without_the_password() {
        let err = RedisNonceStoreConfig::new("http://:hunter2@example.com").unwrap_err();
        assert!(matches!(err, RedisNonceError::InvalidUrl { .. }));
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let config = RedisNonceStoreConfig::new("redis://:hunter2@127.0.0.1:1/").unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(matches!(
                RedisNonceStore::lazy(config.clone().timeout(Duration::ZERO)),
                Err(RedisNonceError::Config(_))
            ));
            let store = RedisNonceStore::lazy(config).unwrap();
            assert!(!format!("{store:?}").contains("hunter2"));
        });
    }
}
