//! The PaySecure half of the sandbox under `/paysecure/`: `CreateKey` with real RSA keys,
//! `TokenizeCard` that really decrypts, `PSBINCheck` with test BINs, and a transaction state
//! machine behind `Initiate`, `PreAuthCapture`, `PreAuthVoid`, `Reverse` and
//! `TransactionStatus`.
//!
//! | request | answer |
//! |---|---|
//! | `POST /paysecure/CreateKey` (also `/CreateKey.json`, `/json/reply/CreateKeySessionRequest`) | a `CreateKeySession` with a fresh 2048-bit key |
//! | … with unknown credentials | HTTP 401, `ResponseStatus` `ErrorCode` `Unauthorized` |
//! | … with malformed JSON | HTTP 400, `ResponseStatus` `ErrorCode` `SerializationException` |
//! | … with a missing or empty member, or a negative `TTLInMinutes` | HTTP 400, `ResponseStatus` with `Errors[].FieldName` |
//! | … with a `TTLInMinutes` above [`PaySecureSandboxConfig::max_ttl_minutes`] (default [`DEFAULT_MAX_TTL_MINUTES`], one day) | HTTP 200, in-band `ErrorCode` [`TTL_TOO_LONG`], no key |
//! | … while [`PaySecureSandboxConfig::max_key_generations`] keys are being generated and the queue is full or the wait runs out | HTTP 503, `ResponseStatus` `ErrorCode` `ServiceUnavailable`, `Retry-After: 1` |
//! | `POST /paysecure/TokenizeCard` (also `.json`, `/json/reply/TokenizeCardRequest`) | a `TokenizeCardResponse`: `CardToken`, `CardLast4`, `CardBIN`, `CardExpiration`, `ResponseCode` `00` |
//! | … under an unknown / expired `KeyId` | HTTP 200, in-band `ErrorCode` [`KEY_NOT_FOUND`] / [`KEY_EXPIRED`] |
//! | … that does not decrypt, or a PAN failing Luhn, or a bad CVN | HTTP 200, in-band [`DECRYPTION_FAILED`] / [`INVALID_CARD_NUMBER`] / [`INVALID_CVN`] |
//! | `POST /paysecure/PSBINCheck` | the BIN's profile from [`TEST_BINS`]; any other BIN: in-band [`BIN_NOT_FOUND`] |
//! | `POST /paysecure/Initiate` (`CardDataType` `Token` from this sandbox's `TokenizeCard`, or `Encrypted` with `KeyID`) | `TranId` and `AccuId`; the transaction is *Authorized* for `Amount` |
//! | … with a card whose BIN is not pinless e-commerce, a `TransType` other than `eCommerce`, a `ReferenceKey` used before, an unknown token or key | in-band [`CARD_NOT_ELIGIBLE`], [`TRANS_TYPE_NOT_SUPPORTED`], [`DUPLICATE_REFERENCE_KEY`], [`TOKEN_NOT_FOUND`], [`KEY_NOT_FOUND`] / [`KEY_EXPIRED`] |
//! | `POST /paysecure/PreAuthCapture` | once, for up to the authorised amount: *Captured*; else in-band [`INVALID_TRANSACTION_STATE`], [`AMOUNT_EXCEEDS_AUTHORIZED`], [`CURRENCY_MISMATCH`] |
//! | `POST /paysecure/PreAuthVoid` | an *Authorized* transaction becomes *Voided* (`Amount`, when given, must be the whole amount: else [`PARTIAL_VOID_NOT_SUPPORTED`]) |
//! | `POST /paysecure/Reverse` | an *Authorized* or *Captured* transaction becomes *Reversed* (in full) |
//! | `POST /paysecure/TransactionStatus` | `History` found by `TransactionId` (`TranId`), `ReferenceKey`, `ExternalId` (`NET…`, listed in `ExternalIds`) or `InternalTransactionId` (the `AccuId` that `Initiate` answered); else in-band [`TRANSACTION_NOT_FOUND`] |
//! | any of these with unknown credentials, or a missing member | HTTP 401 / HTTP 400 with `Errors[].FieldName`, as `CreateKey` |
//! | any other path | HTTP 404, `ResponseStatus` `NotFound` |
//! | any method but `POST` | HTTP 405, `ResponseStatus` `MethodNotAllowed`, `Allow: POST` |
//!
//! # Test BINs
//! `PSBINCheck` answers these profiles ([`TEST_BINS`]; every other flag `false`); `Initiate`
//! accepts a card only when its BIN's profile is pinless e-commerce.
//!
//! | const | BIN | test card | `PinlessEcommerce` | `PinlessBillPay` | `Recurring` | `DualMessage` | `InternetPinDebit` | `IncrementalAuth` | `CardVerify` |
//! |---|---|---|---|---|---|---|---|---|---|
//! | [`BIN_FULL_PINLESS`] | `411111` | 4111111111111111 | yes | yes | yes | yes | yes | yes | yes |
//! | [`BIN_ECOMMERCE_ONLY`] | `555555` | 5555555555554444 | yes | no | no | no | no | no | yes |
//! | [`BIN_BILL_PAY_ONLY`] | `601111` | 6011111111111117 | no | yes | yes | no | no | no | no |
//! | [`BIN_PIN_ONLY`] | `400005` | 4000056655665556 | no | no | no | no | yes | no | no |
//! | [`BIN_NOT_ELIGIBLE`] | `378282` | 378282246310005 | no | no | no | no | no | no | no |
//! | any other | | | in-band [`BIN_NOT_FOUND`] | | | | | | |
//!
//! Sandbox behaviour where PaySecure documents nothing:
//! - `TTLInMinutes` missing or `0` (a .NET `int` cannot tell them apart) means
//!   [`PaySecureSandboxConfig::default_ttl_minutes`]; a key is refused from its expiry on.
//! - Card data is decrypted with RSA PKCS#1 v1.5 only; the ciphertext may be base64 or hex.
//! - The token is HMAC-SHA256 of the PAN digits under a secret made when the sandbox starts,
//!   in lower-case hex: the same card gives the same token for the life of the sandbox.
//! - `VerifyCard` is accepted and ignored.
//! - PaySecure publishes no `Status`, `ResponseCode` or `ErrorCode` values: the sandbox writes
//!   `Status` *Authorized*, *Captured*, *Voided* or *Reversed*, `ResponseCode` `00`, and the
//!   error codes listed here (its own). The answers of `PreAuthCapture` and `Reverse` (DTOs
//!   not published) carry `TranId`, `ApprovalCode`, `ResponseCode` (and the capture's
//!   `ApprovedAmount`), the members the ACH analogue suggests.
//! - `TransactionDT` and `LocalDateTime` are written as WCF dates (`\/Date(ms)\/`).
//! - At most [`PaySecureSandboxConfig::max_transactions`] transactions (and as many tokens)
//!   are kept; the oldest is forgotten first.
//! - Stage times are real: `AppLayer` spans the handler, `CardEncrypt` the key generation (or
//!   the pick from the pre-generated pool), `DBInsert` the key store; for `TokenizeCard`,
//!   `GetCardData` spans the decryption and `CardTokenize` the token. Stages that do not run
//!   carry .NET `DateTime.MinValue` (`\/Date(-62135596800000-0000)\/`), as in the seed.
//!
//! RSA-2048 generation takes tens to hundreds of milliseconds, so a small pool of keys is
//! generated ahead on a background thread ([`PaySecureSandboxConfig::key_pool_size`]).
//!
//! # Bounds
//! - The key store holds at most [`PaySecureSandboxConfig::max_keys`] keys (default
//!   [`DEFAULT_MAX_KEYS`]). When it is full, a new key first evicts the keys that have expired,
//!   then the oldest key still valid (its `TokenizeCard` then gets [`KEY_NOT_FOUND`]): the
//!   sandbox keeps issuing keys rather than lock every client out, and counts evictions in
//!   [`PaySecureStats::keys_evicted`].
//! - At most [`PaySecureSandboxConfig::max_key_generations`] RSA keys are generated at once
//!   (default 2, the background refill included), and at most that many `CreateKey` requests
//!   hold a blocking thread; at most [`PaySecureSandboxConfig::key_generation_queue`] more
//!   wait for a turn as tasks (no thread), each at most
//!   [`PaySecureSandboxConfig::key_generation_wait`]; the rest get HTTP 503 at once. So
//!   concurrent `CreateKey` calls hold a bounded number of threads.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, SystemTime};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rsa::{KeyPair, KeySize, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use paysecure_codec::DecodeError;
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{
    CreateKey, CreateKeySession, InOutTimes, Initiate, Password, PreAuthCapture, PreAuthVoid,
    PsBinCheck, ResponseError, ResponseStatus, Reverse, Service, Timestamps, TokenizeCard,
    TokenizeCardResponse, TransactionStatus, WcfDate,
};
use zeroize::Zeroizing;

use crate::admission::BlockingAdmission;
use crate::lock;
use crate::server::GatewayHalf;

/// `MerchantId` of the default test merchant.
pub const TEST_MERCHANT_ID: &str = "PGTEST01";
/// `UserName` of the default test merchant.
pub const TEST_USER_NAME: &str = "paygate-test";
/// `Password` of the default test merchant. Public: it protects nothing.
pub const TEST_PASSWORD: &str = "sandbox-password";
/// `Version` of the default test merchant.
pub const TEST_VERSION: &str = "1.0";

/// In-band `ErrorCode`: the `KeyId` was never issued (or was forgotten long after expiry).
pub const KEY_NOT_FOUND: &str = "KEY_NOT_FOUND";
/// In-band `ErrorCode`: the key's `TTLInMinutes` has run out.
pub const KEY_EXPIRED: &str = "KEY_EXPIRED";
/// In-band `ErrorCode`: a ciphertext is not base64/hex or does not decrypt under the key.
pub const DECRYPTION_FAILED: &str = "DECRYPTION_FAILED";
/// In-band `ErrorCode`: the decrypted card number is not 12–19 digits with a valid Luhn digit.
pub const INVALID_CARD_NUMBER: &str = "INVALID_CARD_NUMBER";
/// In-band `ErrorCode`: the decrypted CVN is not 3–4 digits.
pub const INVALID_CVN: &str = "INVALID_CVN";
/// In-band `ErrorCode` of `CreateKey`: `TTLInMinutes` is above the sandbox's maximum.
pub const TTL_TOO_LONG: &str = "TTL_TOO_LONG";

/// In-band `ErrorCode` of `PSBINCheck`: the BIN is not one of [`TEST_BINS`].
pub const BIN_NOT_FOUND: &str = "BIN_NOT_FOUND";
/// In-band `ErrorCode` of `Initiate`: the card's BIN is not usable for pinless e-commerce.
pub const CARD_NOT_ELIGIBLE: &str = "CARD_NOT_ELIGIBLE";
/// In-band `ErrorCode` of `Initiate`: a `TransType` other than `eCommerce`.
pub const TRANS_TYPE_NOT_SUPPORTED: &str = "TRANS_TYPE_NOT_SUPPORTED";
/// In-band `ErrorCode` of `Initiate`: a `CardDataType` other than `Token` or `Encrypted`.
pub const CARD_DATA_TYPE_NOT_SUPPORTED: &str = "CARD_DATA_TYPE_NOT_SUPPORTED";
/// In-band `ErrorCode` of `Initiate`: the token was not issued by this sandbox.
pub const TOKEN_NOT_FOUND: &str = "TOKEN_NOT_FOUND";
/// In-band `ErrorCode` of `Initiate`: the `ReferenceKey` names an earlier transaction.
pub const DUPLICATE_REFERENCE_KEY: &str = "DUPLICATE_REFERENCE_KEY";
/// In-band `ErrorCode`: no transaction has this identifier.
pub const TRANSACTION_NOT_FOUND: &str = "TRANSACTION_NOT_FOUND";
/// In-band `ErrorCode`: the transaction's state does not allow the call (a second capture, a
/// void after a capture, anything after a reversal).
pub const INVALID_TRANSACTION_STATE: &str = "INVALID_TRANSACTION_STATE";
/// In-band `ErrorCode` of `PreAuthCapture`: `Amount` above the authorised amount.
pub const AMOUNT_EXCEEDS_AUTHORIZED: &str = "AMOUNT_EXCEEDS_AUTHORIZED";
/// In-band `ErrorCode` of `PreAuthCapture`: `CurrencyCode` is not the transaction's.
pub const CURRENCY_MISMATCH: &str = "CURRENCY_MISMATCH";
/// In-band `ErrorCode` of `PreAuthVoid`: an `Amount` that is not the whole authorised amount.
pub const PARTIAL_VOID_NOT_SUPPORTED: &str = "PARTIAL_VOID_NOT_SUPPORTED";

/// Default [`PaySecureSandboxConfig::max_transactions`].
pub const DEFAULT_MAX_TRANSACTIONS: usize = 100_000;

mod lifecycle;

pub use lifecycle::{
    BIN_BILL_PAY_ONLY, BIN_ECOMMERCE_ONLY, BIN_FULL_PINLESS, BIN_NOT_ELIGIBLE, BIN_PIN_ONLY,
    TEST_BINS, TestBin, test_bin,
};

/// Default [`PaySecureSandboxConfig::max_ttl_minutes`]: one day.
pub const DEFAULT_MAX_TTL_MINUTES: u32 = 1440;
/// Default [`PaySecureSandboxConfig::max_keys`].
pub const DEFAULT_MAX_KEYS: usize = 10_000;

pub use crate::Clock;

/// A merchant the sandbox accepts in `Credentials`.
#[derive(Clone, Debug)]
pub struct PaySecureMerchant {
    /// `MerchantId`.
    pub merchant_id: String,
    /// `UserName`.
    pub user_name: String,
    /// `Password` (redacted in `Debug`).
    pub password: Password,
    /// `Version`.
    pub version: String,
}

impl PaySecureMerchant {
    /// The default test merchant: [`TEST_MERCHANT_ID`], [`TEST_USER_NAME`], [`TEST_PASSWORD`],
    /// [`TEST_VERSION`].
    #[must_use]
    pub fn test() -> Self {
        PaySecureMerchant {
            merchant_id: TEST_MERCHANT_ID.to_owned(),
            user_name: TEST_USER_NAME.to_owned(),
            password: Password::new(TEST_PASSWORD),
            version: TEST_VERSION.to_owned(),
        }
    }
}

/// Settings of the PaySecure half, mounted with [`crate::SandboxBuilder::paysecure`].
#[derive(Clone)]
pub struct PaySecureSandboxConfig {
    /// The merchants accepted. Default: [`PaySecureMerchant::test`].
    pub merchants: Vec<PaySecureMerchant>,
    /// Lifetime of a key when `TTLInMinutes` is missing or 0. Default 15.
    pub default_ttl_minutes: u32,
    /// RSA key size: 2048, 3072 or 4096. Default 2048.
    pub key_bits: usize,
    /// Keys generated ahead on a background thread (0: generate in the request). Default 2.
    pub key_pool_size: usize,
    /// The longest `TTLInMinutes` accepted; above it `CreateKey` answers the in-band
    /// [`TTL_TOO_LONG`]. Default [`DEFAULT_MAX_TTL_MINUTES`] (one day).
    pub max_ttl_minutes: u32,
    /// The most keys kept (valid and recently expired together). Default [`DEFAULT_MAX_KEYS`].
    /// See the [module docs](self) for what a full store does.
    pub max_keys: usize,
    /// The most RSA key generations running at once (at least 1). Default 2.
    pub max_key_generations: usize,
    /// The most `CreateKey` requests waiting for a generation slot; past it, HTTP 503 at once.
    /// Default 16.
    pub key_generation_queue: usize,
    /// How long a `CreateKey` request waits for a generation slot before HTTP 503. Default 5 s.
    pub key_generation_wait: Duration,
    /// The most transactions kept (and, separately, tokens remembered for `Initiate`); the
    /// oldest is forgotten first. Default [`DEFAULT_MAX_TRANSACTIONS`].
    pub max_transactions: usize,
    /// Where the sandbox reads the time. Default [`SystemTime::now`].
    pub clock: Clock,
}

impl Default for PaySecureSandboxConfig {
    fn default() -> Self {
        PaySecureSandboxConfig {
            merchants: vec![PaySecureMerchant::test()],
            default_ttl_minutes: 15,
            key_bits: 2048,
            key_pool_size: 2,
            max_ttl_minutes: DEFAULT_MAX_TTL_MINUTES,
            max_keys: DEFAULT_MAX_KEYS,
            max_key_generations: 2,
            key_generation_queue: 16,
            key_generation_wait: Duration::from_secs(5),
            max_transactions: DEFAULT_MAX_TRANSACTIONS,
            clock: Arc::new(SystemTime::now),
        }
    }
}

impl fmt::Debug for PaySecureSandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaySecureSandboxConfig")
            .field("merchants", &self.merchants)
            .field("default_ttl_minutes", &self.default_ttl_minutes)
            .field("key_bits", &self.key_bits)
            .field("key_pool_size", &self.key_pool_size)
            .field("max_ttl_minutes", &self.max_ttl_minutes)
            .field("max_keys", &self.max_keys)
            .field("max_key_generations", &self.max_key_generations)
            .field("key_generation_queue", &self.key_generation_queue)
            .field("key_generation_wait", &self.key_generation_wait)
            .field("max_transactions", &self.max_transactions)
            .finish_non_exhaustive()
    }
}

/// What the PaySecure half has done so far ([`crate::Sandbox::paysecure_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaySecureStats {
    /// Keys issued by `CreateKey`.
    pub keys_issued: u64,
    /// Cards tokenized by `TokenizeCard` (successful answers only).
    pub tokenizations: u64,
    /// `CreateKey` requests refused for their credentials.
    pub authentication_failures: u64,
    /// In-band errors answered by `TokenizeCard` and `CreateKey`.
    pub in_band_errors: u64,
    /// Keys dropped from a full key store (expired or, failing that, the oldest).
    pub keys_evicted: u64,
    /// `CreateKey` requests answered HTTP 503 because key generation was saturated.
    pub busy_refusals: u64,
    /// `PSBINCheck` requests answered.
    pub bin_checks: u64,
    /// Transactions made by `Initiate`.
    pub transactions: u64,
    /// Successful `PreAuthCapture` calls.
    pub captures: u64,
    /// Successful `PreAuthVoid` calls.
    pub voids: u64,
    /// Successful `Reverse` calls.
    pub reversals: u64,
    /// `TransactionStatus` requests answered.
    pub status_queries: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    keys_issued: AtomicU64,
    tokenizations: AtomicU64,
    authentication_failures: AtomicU64,
    in_band_errors: AtomicU64,
    keys_evicted: AtomicU64,
    busy_refusals: AtomicU64,
    bin_checks: AtomicU64,
    transactions: AtomicU64,
    captures: AtomicU64,
    voids: AtomicU64,
    reversals: AtomicU64,
    status_queries: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> PaySecureStats {
        PaySecureStats {
            keys_issued: self.keys_issued.load(Ordering::Relaxed),
            tokenizations: self.tokenizations.load(Ordering::Relaxed),
            authentication_failures: self.authentication_failures.load(Ordering::Relaxed),
            in_band_errors: self.in_band_errors.load(Ordering::Relaxed),
            keys_evicted: self.keys_evicted.load(Ordering::Relaxed),
            busy_refusals: self.busy_refusals.load(Ordering::Relaxed),
            bin_checks: self.bin_checks.load(Ordering::Relaxed),
            transactions: self.transactions.load(Ordering::Relaxed),
            captures: self.captures.load(Ordering::Relaxed),
            voids: self.voids.load(Ordering::Relaxed),
            reversals: self.reversals.load(Ordering::Relaxed),
            status_queries: self.status_queries.load(Ordering::Relaxed),
        }
    }
}

/// Why no key could be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TakeError {
    /// Generation is saturated: the queue is full or the wait ran out.
    Busy,
    /// The generator failed.
    Failed,
}

// Alike in shape to `crate::admission::BlockingAdmission`, but not the same mechanism: that
// one admits async requests with a Tokio semaphore, this one bounds RSA key generation on
// plain threads (the background refill has no runtime), so it waits on a `Condvar`.
/// At most `max_running` RSA generations at once, at most `max_waiting` requests waiting
/// for a turn, each at most `wait`.
struct GenerationLimit {
    /// (running, waiting).
    state: Mutex<(usize, usize)>,
    freed: Condvar,
    max_running: usize,
    max_waiting: usize,
    wait: Duration,
}

/// A generation slot; frees it on drop.
struct GenerationPermit<'a>(&'a GenerationLimit);

impl Drop for GenerationPermit<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).0 -= 1;
        self.0.freed.notify_one();
    }
}

impl GenerationLimit {
    fn new(max_running: usize, max_waiting: usize, wait: Duration) -> Self {
        GenerationLimit {
            state: Mutex::new((0, 0)),
            freed: Condvar::new(),
            max_running: max_running.max(1),
            max_waiting,
            wait,
        }
    }

    /// A slot for a request: now, or after waiting in the bounded queue for a bounded time.
    fn acquire(&self) -> Result<GenerationPermit<'_>, TakeError> {
        let mut state = lock(&self.state);
        if state.0 < self.max_running {
            state.0 += 1;
            return Ok(GenerationPermit(self));
        }
        if state.1 >= self.max_waiting {
            return Err(TakeError::Busy);
        }
        state.1 += 1;
        let (mut state, _) = self
            .freed
            .wait_timeout_while(state, self.wait, |s| s.0 >= self.max_running)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.1 -= 1;
        if state.0 < self.max_running {
            state.0 += 1;
            Ok(GenerationPermit(self))
        } else {
            Err(TakeError::Busy)
        }
    }

    /// A slot for the background refill, which has its own thread and may wait for long.
    fn acquire_background(&self) -> GenerationPermit<'_> {
        let state = lock(&self.state);
        let mut state = self
            .freed
            .wait_while(state, |s| s.0 >= self.max_running)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 += 1;
        GenerationPermit(self)
    }
}

/// Keys made ahead of time on a background thread.
struct KeyPool {
    ready: Mutex<Vec<PrivateDecryptingKey>>,
    target: usize,
    size: KeySize,
    refilling: AtomicBool,
    limit: GenerationLimit,
}

impl KeyPool {
    fn new(size: KeySize, target: usize, limit: GenerationLimit) -> Arc<Self> {
        let pool = Arc::new(KeyPool {
            ready: Mutex::new(Vec::with_capacity(target)),
            target,
            size,
            refilling: AtomicBool::new(false),
            limit,
        });
        pool.refill_in_background();
        pool
    }

    /// A pooled key, or a new one when the pool is empty and a generation slot is free.
    fn take(self: &Arc<Self>) -> Result<PrivateDecryptingKey, TakeError> {
        let pooled = lock(&self.ready).pop();
        self.refill_in_background();
        if let Some(key) = pooled {
            return Ok(key);
        }
        let _permit = self.limit.acquire()?;
        PrivateDecryptingKey::generate(self.size).map_err(|_| TakeError::Failed)
    }

    fn refill_in_background(self: &Arc<Self>) {
        if self.target == 0 || self.refilling.swap(true, Ordering::AcqRel) {
            return;
        }
        // The thread holds only a weak reference: it ends once the sandbox is gone.
        let weak: Weak<KeyPool> = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("paysecure-keygen".into())
            .spawn(move || {
                while let Some(pool) = weak.upgrade() {
                    if lock(&pool.ready).len() >= pool.target {
                        pool.refilling.store(false, Ordering::Release);
                        return;
                    }
                    let generated = {
                        let _permit = pool.limit.acquire_background();
                        PrivateDecryptingKey::generate(pool.size)
                    };
                    match generated {
                        Ok(key) => lock(&pool.ready).push(key),
                        Err(_) => {
                            pool.refilling.store(false, Ordering::Release);
                            return;
                        }
                    }
                }
            });
        if spawned.is_err() {
            self.refilling.store(false, Ordering::Release);
        }
    }
}

struct StoredKey {
    key: Pkcs1PrivateDecryptingKey,
    expires_at: SystemTime,
    /// Issue order, to evict the oldest key from a full store.
    issued: u64,
}

/// The keys issued, bounded ([`PaySecureSandboxConfig::max_keys`]).
#[derive(Default)]
struct KeyStore {
    keys: HashMap<String, StoredKey>,
    issued: u64,
}

/// Expired keys are remembered this long, so late requests get `KEY_EXPIRED` rather than
/// `KEY_NOT_FOUND`.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

impl KeyStore {
    /// Stores a key, first forgetting keys long expired; when the store is still full, evicts
    /// the expired keys, then the oldest. Returns how many keys were evicted to make room.
    fn insert(
        &mut self,
        key_id: String,
        key: Pkcs1PrivateDecryptingKey,
        expires_at: SystemTime,
        now: SystemTime,
        max: usize,
    ) -> u64 {
        self.keys.retain(|_, k| {
            k.expires_at
                .checked_add(FORGET_AFTER)
                .is_none_or(|forget| forget > now)
        });
        let mut evicted = 0;
        if self.keys.len() >= max {
            let before = self.keys.len();
            self.keys.retain(|_, k| now < k.expires_at);
            evicted += (before - self.keys.len()) as u64;
        }
        while self.keys.len() >= max {
            let Some(oldest) = self
                .keys
                .iter()
                .min_by_key(|(_, k)| k.issued)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            self.keys.remove(&oldest);
            evicted += 1;
        }
        self.issued += 1;
        self.keys.insert(
            key_id,
            StoredKey {
                key,
                expires_at,
                issued: self.issued,
            },
        );
        evicted
    }
}

/// The PaySecure gateway half.
pub(crate) struct PaySecureHalf {
    config: PaySecureSandboxConfig,
    pool: Arc<KeyPool>,
    keys: Mutex<KeyStore>,
    txns: Mutex<lifecycle::TxnStore>,
    token_key: hmac::Key,
    counters: Arc<Counters>,
    /// Bounds the `CreateKey` requests on the blocking pool (the server asks before it hands
    /// one a thread).
    admission: BlockingAdmission,
}

impl PaySecureHalf {
    /// Checks the configuration and starts filling the key pool.
    pub(crate) fn new(
        config: PaySecureSandboxConfig,
        counters: Arc<Counters>,
    ) -> Result<Self, String> {
        let size = match config.key_bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            other => {
                return Err(format!(
                    "PaySecure key_bits must be 2048, 3072 or 4096, not {other}"
                ));
            }
        };
        for (i, m) in config.merchants.iter().enumerate() {
            if m.merchant_id.is_empty()
                || m.user_name.is_empty()
                || m.password.is_empty()
                || m.version.is_empty()
            {
                return Err(format!("PaySecure merchant #{i} has an empty member"));
            }
            if config.merchants[..i]
                .iter()
                .any(|o| o.merchant_id == m.merchant_id && o.user_name == m.user_name)
            {
                return Err(format!(
                    "PaySecure merchant {} / {} is listed twice",
                    m.merchant_id, m.user_name
                ));
            }
        }
        if config.default_ttl_minutes > config.max_ttl_minutes {
            return Err(format!(
                "PaySecure default_ttl_minutes ({}) is above max_ttl_minutes ({})",
                config.default_ttl_minutes, config.max_ttl_minutes
            ));
        }
        if config.max_keys == 0 || config.max_key_generations == 0 || config.max_transactions == 0 {
            return Err(
                "PaySecure max_keys, max_key_generations and max_transactions must be at least 1"
                    .into(),
            );
        }
        let limit = GenerationLimit::new(
            config.max_key_generations,
            config.key_generation_queue,
            config.key_generation_wait,
        );
        let admission = {
            let counters = counters.clone();
            BlockingAdmission::new(
                config.max_key_generations,
                config.key_generation_queue,
                config.key_generation_wait,
                Box::new(move || busy(&counters)),
            )
        };
        let mut secret = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(secret.as_mut_slice())
            .map_err(|_| "no randomness for the token secret".to_owned())?;
        Ok(PaySecureHalf {
            pool: KeyPool::new(size, config.key_pool_size, limit),
            config,
            keys: Mutex::new(KeyStore::default()),
            txns: Mutex::new(lifecycle::TxnStore::default()),
            token_key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_slice()),
            admission,
            counters,
        })
    }

    fn now(&self) -> SystemTime {
        (self.config.clock)()
    }

    fn create_key(&self, body: &[u8]) -> Response<Bytes> {
        let app_in = self.now();
        let request = match paysecure_codec::decode_request::<CreateKey>(body) {
            Ok(request) => request,
            Err(e) => return bad_request(&e),
        };
        if request.ttl_in_minutes.is_some_and(|m| m < 0) {
            return field_error(
                "TTLInMinutes",
                "GreaterThanOrEqual",
                "'TTLInMinutes' must not be negative.",
            );
        }
        if let Err(refused) = self.authenticate(&request.credentials) {
            return *refused;
        }
        let minutes = match request.ttl_in_minutes {
            None | Some(0) => self.config.default_ttl_minutes,
            Some(m) => m.unsigned_abs(),
        };
        if minutes > self.config.max_ttl_minutes {
            self.counters.in_band_errors.fetch_add(1, Ordering::Relaxed);
            let mut timestamps = unset_timestamps();
            timestamps.app_layer = Some(span(app_in, self.now()));
            let session = CreateKeySession {
                error_code: Some(TTL_TOO_LONG.to_owned()),
                error_message: Some(format!(
                    "TTLInMinutes must be at most {} minutes",
                    self.config.max_ttl_minutes
                )),
                timestamps: Some(timestamps),
                ..CreateKeySession::default()
            };
            return answer(paysecure_codec::encode(&session));
        }

        let encrypt_in = self.now();
        let private = match self.pool.take() {
            Ok(private) => private,
            Err(TakeError::Busy) => return busy(&self.counters),
            Err(TakeError::Failed) => return internal_error("RSA key generation failed"),
        };
        let Some((modulus, exponent)) = public_components(&private) else {
            return internal_error("RSA public key could not be read");
        };
        let Ok(private) = Pkcs1PrivateDecryptingKey::new(private) else {
            return internal_error("RSA key refused for PKCS#1 decryption");
        };
        let key_id = random_key_id();
        let encrypt_out = self.now();

        let insert_in = self.now();
        let expires_at = insert_in
            .checked_add(Duration::from_secs(u64::from(minutes) * 60))
            .unwrap_or(insert_in);
        let evicted = lock(&self.keys).insert(
            key_id.clone(),
            private,
            expires_at,
            insert_in,
            self.config.max_keys,
        );
        if evicted > 0 {
            self.counters
                .keys_evicted
                .fetch_add(evicted, Ordering::Relaxed);
        }
        let insert_out = self.now();
        self.counters.keys_issued.fetch_add(1, Ordering::Relaxed);

        let mut timestamps = unset_timestamps();
        timestamps.card_encrypt = Some(span(encrypt_in, encrypt_out));
        timestamps.db_insert = Some(span(insert_in, insert_out));
        timestamps.app_layer = Some(span(app_in, self.now()));
        let session = CreateKeySession {
            key_id: Some(key_id),
            modulus: Some(hex::encode_upper(modulus)),
            exponent: Some(hex::encode_upper(exponent)),
            timestamps: Some(timestamps),
            ..CreateKeySession::default()
        };
        answer(paysecure_codec::encode(&session))
    }

    fn tokenize(&self, body: &[u8]) -> Response<Bytes> {
        let app_in = self.now();
        let request = match paysecure_codec::decode_request::<TokenizeCard>(body) {
            Ok(request) => request,
            Err(e) => return bad_request(&e),
        };
        let mut timestamps = unset_timestamps();
        let card_in = self.now();
        let decrypted = {
            let store = lock(&self.keys);
            match store.keys.get(&request.key_id) {
                None => Err((KEY_NOT_FOUND, "KeyId is unknown")),
                Some(stored) if app_in >= stored.expires_at => {
                    Err((KEY_EXPIRED, "the key has expired: call CreateKey again"))
                }
                Some(stored) => decrypt(&stored.key, &request.encrypted_card_number)
                    .and_then(|digits| {
                        Pan::new(&digits).map_err(|_| {
                            (
                                INVALID_CARD_NUMBER,
                                "the card number is not 12-19 digits with a valid check digit",
                            )
                        })
                    })
                    .and_then(|pan| match &request.encrypted_cvn {
                        None => Ok(pan),
                        Some(cvn) => decrypt(&stored.key, cvn).and_then(|digits| {
                            Cvn::new(&digits)
                                .map(|_| pan)
                                .map_err(|_| (INVALID_CVN, "the CVN is not 3 or 4 digits"))
                        }),
                    }),
            }
        };
        timestamps.get_card_data = Some(span(card_in, self.now()));
        let pan = match decrypted {
            Ok(pan) => pan,
            Err((code, message)) => {
                self.counters.in_band_errors.fetch_add(1, Ordering::Relaxed);
                timestamps.app_layer = Some(span(app_in, self.now()));
                let response = TokenizeCardResponse {
                    error_code: Some(code.to_owned()),
                    error_message: Some(message.to_owned()),
                    timestamps: Some(timestamps),
                    ..TokenizeCardResponse::default()
                };
                return answer(paysecure_codec::encode(&response));
            }
        };
        let tokenize_in = self.now();
        let tag = hmac::sign(&self.token_key, pan.expose().as_bytes());
        let token = hex::encode(tag.as_ref());
        lock(&self.txns).remember_token(&token, pan.bin(), self.config.max_transactions);
        timestamps.card_tokenize = Some(span(tokenize_in, self.now()));
        self.counters.tokenizations.fetch_add(1, Ordering::Relaxed);
        timestamps.app_layer = Some(span(app_in, self.now()));
        let response = TokenizeCardResponse {
            card_token: Some(token),
            card_last4: Some(pan.last4().to_owned()),
            card_bin: Some(pan.bin().to_owned()),
            card_expiration: Some(request.expiration.to_string()),
            response_code: Some("00".to_owned()),
            timestamps: Some(timestamps),
            ..TokenizeCardResponse::default()
        };
        answer(paysecure_codec::encode(&response))
    }
}

impl GatewayHalf for PaySecureHalf {
    fn prefix(&self) -> &str {
        "/paysecure/"
    }

    fn may_block(&self, route: &str) -> bool {
        // An empty key pool means generating an RSA key on the request path (~100 ms).
        route == CreateKey::name()
    }

    fn blocking_admission(&self) -> Option<&BlockingAdmission> {
        Some(&self.admission)
    }

    fn route<'a>(&self, path: &'a str) -> Option<&'a str> {
        // ServiceStack serves each operation as `/Name`, `/Name.json` and
        // `/json/reply/RequestDto`.
        let rest = path.strip_prefix("/paysecure/")?;
        [
            (CreateKey::name(), "CreateKeySessionRequest"),
            (TokenizeCard::name(), "TokenizeCardRequest"),
            (PsBinCheck::name(), "PSBINCheckRequest"),
            (TransactionStatus::name(), "TransactionStatusRequest"),
            (Initiate::name(), "InitiateRequest"),
            (PreAuthCapture::name(), "PreAuthCaptureRequest"),
            (PreAuthVoid::name(), "PreAuthVoidRequest"),
            (Reverse::name(), "ReverseRequest"),
        ]
        .into_iter()
        .find(|&(name, dto)| {
            rest == name
                || rest.strip_suffix(".json") == Some(name)
                || rest.strip_prefix("json/reply/") == Some(dto)
        })
        .map(|(name, _)| name)
    }

    fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let Some(route) = self.route(request.uri().path()) else {
            return service_error(
                StatusCode::NOT_FOUND,
                ResponseStatus {
                    error_code: Some("NotFound".into()),
                    message: Some(format!(
                        "Handler for Request not found: {}",
                        bounded(request.uri().path(), 100)
                    )),
                    ..ResponseStatus::default()
                },
            );
        };
        if request.method() != Method::POST {
            let mut response = service_error(
                StatusCode::METHOD_NOT_ALLOWED,
                ResponseStatus {
                    error_code: Some("MethodNotAllowed".into()),
                    message: Some(format!("{route} accepts POST only")),
                    ..ResponseStatus::default()
                },
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let body = request.body();
        match route {
            r if r == CreateKey::name() => self.create_key(body),
            r if r == TokenizeCard::name() => self.tokenize(body),
            r if r == PsBinCheck::name() => self.bin_check(body),
            r if r == TransactionStatus::name() => self.transaction_status(body),
            r if r == Initiate::name() => self.initiate(body),
            r if r == PreAuthCapture::name() => self.capture(body),
            r if r == PreAuthVoid::name() => self.void(body),
            _ => self.reverse(body),
        }
    }
}

/// Decrypts one ciphertext (base64, or hex of exactly the key's size) into ASCII text.
fn decrypt(
    key: &Pkcs1PrivateDecryptingKey,
    text: &str,
) -> Result<Zeroizing<String>, (&'static str, &'static str)> {
    const FAILED: (&str, &str) = (DECRYPTION_FAILED, "card data could not be decrypted");
    let size = key.key_size_bytes();
    let ciphertext = if text.len() == size * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).map_err(|_| FAILED)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| FAILED)?
    };
    if ciphertext.len() != size {
        return Err(FAILED);
    }
    let mut buffer = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let plaintext = key.decrypt(&ciphertext, &mut buffer).map_err(|_| FAILED)?;
    let text = std::str::from_utf8(plaintext).map_err(|_| FAILED)?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// The big-endian modulus and exponent of a generated key, without leading zeros.
fn public_components(key: &PrivateDecryptingKey) -> Option<(Vec<u8>, Vec<u8>)> {
    let pkcs8 = key.as_der().ok()?;
    let pair = KeyPair::from_pkcs8(pkcs8.as_ref()).ok()?;
    let public = pair.public_key();
    Some((
        public.modulus().big_endian_without_leading_zero().to_vec(),
        public.exponent().big_endian_without_leading_zero().to_vec(),
    ))
}

/// 32 upper-case hex digits from the system's random generator.
fn random_key_id() -> String {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // Never reached in practice; a counter-free fallback would collide, so use the time.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = nanos.to_be_bytes();
    }
    hex::encode_upper(bytes)
}

fn date(t: SystemTime) -> WcfDate {
    WcfDate::from_system_time(t).unwrap_or(WcfDate::NOT_SET)
}

fn span(in_time: SystemTime, out_time: SystemTime) -> InOutTimes {
    InOutTimes {
        in_time: Some(date(in_time)),
        out_time: Some(date(out_time)),
    }
}

/// Every stage present and "not set", the way the seed shows them.
fn unset_timestamps() -> Timestamps {
    Timestamps::all(InOutTimes {
        in_time: Some(WcfDate::NOT_SET),
        out_time: Some(WcfDate::NOT_SET),
    })
}

/// HTTP 200 with a response DTO's body.
fn answer(body: Vec<u8>) -> Response<Bytes> {
    json(StatusCode::OK, body)
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn service_error(status: StatusCode, response_status: ResponseStatus) -> Response<Bytes> {
    json(
        status,
        paysecure_codec::encode_error_response(&response_status),
    )
}

/// HTTP 503 in ServiceStack's shape, with `Retry-After: 1`: key generation is saturated.
fn busy(counters: &Counters) -> Response<Bytes> {
    counters.busy_refusals.fetch_add(1, Ordering::Relaxed);
    let mut response = service_error(
        StatusCode::SERVICE_UNAVAILABLE,
        ResponseStatus {
            error_code: Some("ServiceUnavailable".into()),
            message: Some("Too many keys are being generated: retry shortly".into()),
            ..ResponseStatus::default()
        },
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn internal_error(message: &str) -> Response<Bytes> {
    service_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        ResponseStatus {
            error_code: Some("InvalidOperationException".into()),
            message: Some(message.to_owned()),
            ..ResponseStatus::default()
        },
    )
}

fn field_error(field: &str, code: &str, message: &str) -> Response<Bytes> {
    service_error(
        StatusCode::BAD_REQUEST,
        ResponseStatus {
            error_code: Some(code.to_owned()),
            message: Some(message.to_owned()),
            stack_trace: None,
            errors: vec![ResponseError {
                error_code: Some(code.to_owned()),
                field_name: Some(field.to_owned()),
                message: Some(message.to_owned()),
            }],
        },
    )
}

/// HTTP 400 for a request body that did not decode or broke a DTO rule. The body itself is
/// never quoted (it may hold a password).
fn bad_request(error: &DecodeError) -> Response<Bytes> {
    match error {
        DecodeError::Invalid(paysecure_proto::Error::MissingField { field }) => {
            field_error(field, "NotEmpty", &format!("'{field}' must not be empty."))
        }
        DecodeError::Invalid(e @ paysecure_proto::Error::InvalidExpiration { .. }) => {
            field_error("Expiration", "InvalidFormat", &e.to_string())
        }
        DecodeError::Invalid(e) => service_error(
            StatusCode::BAD_REQUEST,
            ResponseStatus {
                error_code: Some("ArgumentException".into()),
                message: Some(e.to_string()),
                ..ResponseStatus::default()
            },
        ),
        other => service_error(
            StatusCode::BAD_REQUEST,
            ResponseStatus {
                error_code: Some("SerializationException".into()),
                message: Some(format!(
                    "Could not deserialize 'application/json' request: {other}"
                )),
                ..ResponseStatus::default()
            },
        ),
    }
}

fn bounded(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn half(pool: usize) -> PaySecureHalf {
        PaySecureHalf::new(
            PaySecureSandboxConfig {
                key_pool_size: pool,
                ..PaySecureSandboxConfig::default()
            },
            Arc::default(),
        )
        .unwrap()
    }

    fn post(half: &PaySecureHalf, path: &str, body: &str) -> Response<Bytes> {
        half.handle(
            Request::post(path)
                .body(Bytes::copy_from_slice(body.as_bytes()))
                .unwrap(),
        )
    }

    const CREDENTIALS: &str = r#"{"Credentials":{"MerchantId":"PGTEST01","UserName":"paygate-test","Password":"sandbox-password","Version":"1.0"}}"#;

    #[test]
    fn generation_time_is_measured() {
        // Not an assertion on speed: prints what one key costs here, to justify the pool.
        let started = Instant::now();
        let key = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
        let took = started.elapsed();
        eprintln!("RSA-2048 generation took {took:?}");
        let (modulus, exponent) = public_components(&key).unwrap();
        assert_eq!(modulus.len(), 256);
        assert_eq!(exponent, [1, 0, 1]);
    }

    #[test]
    fn create_key_answers_like_servicestack() {
        let h = half(0);
        let r = post(&h, "/paysecure/CreateKey", CREDENTIALS);
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/json; charset=utf-8"
        );
        let text = std::str::from_utf8(r.body()).unwrap();
        assert!(text.starts_with(r#"{"KeyId":""#), "{text}");
        assert!(
            text.contains(r#""Exponent":"010001","Timestamps":{"AppLayer":{"InTime":"\/Date("#)
        );
        assert!(text.contains(r#""ParentLookup":{"InTime":"\/Date(-62135596800000-0000)\/""#));
        assert!(!text.contains("null") && !text.contains("ErrorCode"));
        let session = paysecure_codec::decode_body::<CreateKeySession>(r.body()).unwrap();
        let modulus = session.modulus.unwrap();
        assert_eq!(modulus.len(), 512);
        assert!(
            modulus
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
        let t = session.timestamps.unwrap();
        for stage in [t.app_layer, t.card_encrypt, t.db_insert] {
            let stage = stage.unwrap();
            assert!(!stage.in_time.unwrap().is_unset());
            assert!(stage.in_time.unwrap().unix_millis() <= stage.out_time.unwrap().unix_millis());
        }
    }

    #[test]
    fn errors_and_routes() {
        let h = half(0);
        let wrong = CREDENTIALS.replace("sandbox-password", "nope");
        let r = post(&h, "/paysecure/CreateKey", &wrong);
        assert_eq!(r.status(), 401);
        assert!(
            std::str::from_utf8(r.body())
                .unwrap()
                .contains(r#""ErrorCode":"Unauthorized""#)
        );

        let missing = CREDENTIALS.replace(r#","Version":"1.0""#, "");
        let r = post(&h, "/paysecure/CreateKey", &missing);
        assert_eq!(r.status(), 400);
        let status = paysecure_codec::decode_error_response(r.body()).unwrap();
        assert_eq!(status.errors[0].field_name.as_deref(), Some("Version"));

        let r = post(&h, "/paysecure/CreateKey", "{\"Credentials\":");
        assert_eq!(r.status(), 400);
        let status = paysecure_codec::decode_error_response(r.body()).unwrap();
        assert_eq!(status.error_code.as_deref(), Some("SerializationException"));

        let negative = CREDENTIALS.replace("}}", r#"},"TTLInMinutes":-1}"#);
        assert_eq!(post(&h, "/paysecure/CreateKey", &negative).status(), 400);

        let r = post(&h, "/paysecure/Nope", "{}");
        assert_eq!(r.status(), 404);
        let r = h.handle(
            Request::get("/paysecure/CreateKey")
                .body(Bytes::new())
                .unwrap(),
        );
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()[header::ALLOW], "POST");

        let r = post(
            &h,
            "/paysecure/TokenizeCard",
            r#"{"KeyId":"nope","EncryptedCardNumber":"AAAA","Expiration":"1230"}"#,
        );
        assert_eq!(r.status(), 200);
        let body = paysecure_codec::decode_body::<TokenizeCardResponse>(r.body()).unwrap();
        assert_eq!(body.error_code.as_deref(), Some(KEY_NOT_FOUND));
        assert_eq!(h.counters.snapshot().in_band_errors, 1);
        assert_eq!(h.counters.snapshot().authentication_failures, 1);
    }

    fn key_id(r: &Response<Bytes>) -> String {
        assert_eq!(r.status(), 200, "{:?}", r.body());
        paysecure_codec::decode_body::<CreateKeySession>(r.body())
            .unwrap()
            .key_id
            .unwrap()
    }

    fn tokenize_error(h: &PaySecureHalf, key_id: &str) -> Option<String> {
        let body =
            format!(r#"{{"KeyId":"{key_id}","EncryptedCardNumber":"AAAA","Expiration":"1230"}}"#);
        let r = post(h, "/paysecure/TokenizeCard", &body);
        paysecure_codec::decode_body::<TokenizeCardResponse>(r.body())
            .unwrap()
            .error_code
    }

    /// Defect: `TTLInMinutes` of `i32::MAX` kept a key for ~4,000 years.
    #[test]
    fn a_ttl_above_the_maximum_is_an_in_band_error() {
        let h = half(0);
        for ttl in [DEFAULT_MAX_TTL_MINUTES as i64 + 1, i64::from(i32::MAX)] {
            let body = CREDENTIALS.replace("}}", &format!(r#"}},"TTLInMinutes":{ttl}}}"#));
            let r = post(&h, "/paysecure/CreateKey", &body);
            assert_eq!(r.status(), 200);
            let session = paysecure_codec::decode_body::<CreateKeySession>(r.body());
            let text = std::str::from_utf8(r.body()).unwrap();
            assert!(text.contains(r#""ErrorCode":"TTL_TOO_LONG""#), "{text}");
            assert!(session.map_or(true, |s| s.key_id.is_none()), "{text}");
        }
        assert_eq!(h.counters.snapshot().keys_issued, 0);
        assert_eq!(h.counters.snapshot().in_band_errors, 2);
        assert_eq!(lock(&h.keys).keys.len(), 0);
        let body = CREDENTIALS.replace("}}", r#"},"TTLInMinutes":1440}"#);
        key_id(&post(&h, "/paysecure/CreateKey", &body));
        assert!(
            PaySecureHalf::new(
                PaySecureSandboxConfig {
                    default_ttl_minutes: 2000,
                    key_pool_size: 0,
                    ..PaySecureSandboxConfig::default()
                },
                Arc::default()
            )
            .is_err()
        );
    }

    /// Defect: the key map had no cap. A full store evicts expired keys first, then the oldest.
    #[test]
    fn the_key_store_is_bounded_expired_first_then_oldest() {
        let now = Arc::new(Mutex::new(SystemTime::now()));
        let clock_now = now.clone();
        let h = PaySecureHalf::new(
            PaySecureSandboxConfig {
                key_pool_size: 0,
                max_keys: 3,
                clock: Arc::new(move || *lock(&clock_now)),
                ..PaySecureSandboxConfig::default()
            },
            Arc::default(),
        )
        .unwrap();
        let create = |ttl: u32| {
            let body = CREDENTIALS.replace("}}", &format!(r#"}},"TTLInMinutes":{ttl}}}"#));
            key_id(&post(&h, "/paysecure/CreateKey", &body))
        };
        let short = create(1);
        let a = create(60);
        let b = create(60);
        *lock(&now) += Duration::from_secs(120);
        assert_eq!(tokenize_error(&h, &short).as_deref(), Some(KEY_EXPIRED));
        // Full: the expired key goes first.
        let c = create(60);
        assert_eq!(tokenize_error(&h, &short).as_deref(), Some(KEY_NOT_FOUND));
        assert_eq!(tokenize_error(&h, &a).as_deref(), Some(DECRYPTION_FAILED));
        // Full of valid keys: the oldest goes.
        let d = create(60);
        assert_eq!(tokenize_error(&h, &a).as_deref(), Some(KEY_NOT_FOUND));
        for key in [&b, &c, &d] {
            assert_eq!(tokenize_error(&h, key).as_deref(), Some(DECRYPTION_FAILED));
        }
        assert_eq!(lock(&h.keys).keys.len(), 3);
        assert_eq!(h.counters.snapshot().keys_evicted, 2);
        assert_eq!(h.counters.snapshot().keys_issued, 5);
    }

    /// Defect: each concurrent `CreateKey` held a blocking thread generating a key. Now at
    /// most `max_key_generations` run; past the bounded queue the answer is HTTP 503 at once.
    #[test]
    fn key_generation_is_bounded() {
        let h = PaySecureHalf::new(
            PaySecureSandboxConfig {
                key_pool_size: 0,
                max_key_generations: 1,
                key_generation_queue: 0,
                ..PaySecureSandboxConfig::default()
            },
            Arc::default(),
        )
        .unwrap();
        let permit = h.pool.limit.acquire().unwrap();
        let r = post(&h, "/paysecure/CreateKey", CREDENTIALS);
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let status = paysecure_codec::decode_error_response(r.body()).unwrap();
        assert_eq!(status.error_code.as_deref(), Some("ServiceUnavailable"));
        assert_eq!(h.counters.snapshot().busy_refusals, 1);
        drop(permit);
        key_id(&post(&h, "/paysecure/CreateKey", CREDENTIALS));
    }

    #[test]
    fn the_generation_limit_queues_for_a_bounded_time() {
        let limit = GenerationLimit::new(1, 1, Duration::from_millis(50));
        let held = limit.acquire().unwrap();
        std::thread::scope(|scope| {
            // One waiter is queued; it times out while the slot stays taken.
            let waiter = scope.spawn(|| limit.acquire().map(|_| ()));
            // Wait until it is queued, then a second waiter finds the queue full.
            while lock(&limit.state).1 == 0 {
                std::thread::yield_now();
            }
            assert_eq!(limit.acquire().err(), Some(TakeError::Busy));
            assert_eq!(waiter.join().unwrap(), Err(TakeError::Busy));
        });
        // A waiter gets the slot once it is freed.
        let limit = GenerationLimit::new(1, 1, Duration::from_secs(600));
        let held2 = limit.acquire().unwrap();
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| limit.acquire().map(|_| ()));
            while lock(&limit.state).1 == 0 {
                std::thread::yield_now();
            }
            drop(held2);
            assert_eq!(waiter.join().unwrap(), Ok(()));
        });
        assert_eq!(*lock(&limit.state), (0, 0));
        drop(held);
    }

    #[test]
    fn bad_configuration_is_refused() {
        let bits = PaySecureSandboxConfig {
            key_bits: 1024,
            ..PaySecureSandboxConfig::default()
        };
        assert!(PaySecureHalf::new(bits, Arc::default()).is_err());
        let twice = PaySecureSandboxConfig {
            merchants: vec![PaySecureMerchant::test(), PaySecureMerchant::test()],
            key_pool_size: 0,
            ..PaySecureSandboxConfig::default()
        };
        assert!(PaySecureHalf::new(twice, Arc::default()).is_err());
        assert!(!format!("{:?}", PaySecureSandboxConfig::default()).contains(TEST_PASSWORD));
    }

    /// The lifecycle answers are ServiceStack's JSON: PascalCase, no nulls, escaped dates.
    #[test]
    fn lifecycle_answers_like_servicestack() {
        let h = half(0);
        let creds = &CREDENTIALS[1..CREDENTIALS.len() - 1];
        let r = post(
            &h,
            "/paysecure/PSBINCheck",
            &format!(r#"{{{creds},"BIN":"411111"}}"#),
        );
        assert_eq!(r.status(), 200);
        let text = std::str::from_utf8(r.body()).unwrap();
        assert!(
            text.starts_with(r#"{"BIN":"411111","InternetPinDebit":true,"EcomEBTSNAP":false,"#),
            "{text}"
        );
        assert!(
            text.contains(r#""PinlessA2ACredit":false"#)
                && text.contains(r#""POSPinlessDualMessageFlag":false"#)
        );
        assert!(
            text.contains(r#""Timestamps":{"AppLayer":{"InTime":"\/Date("#),
            "{text}"
        );
        assert!(
            !text.contains("null") && !text.contains("ErrorCode"),
            "{text}"
        );
        for table in TEST_BINS {
            assert!(Pan::new(table.pan).is_ok() && table.pan.starts_with(table.bin));
        }

        // A token from TokenizeCard is not needed to see the shape of a refusal.
        let body = format!(
            r#"{{{creds},"CardNumberInfo":{{"CardDataType":"Token","CardNumberData":"nope"}},"Amount":5,"CurrencyCode":"840"}}"#
        );
        let r = post(&h, "/paysecure/Initiate", &body);
        let text = std::str::from_utf8(r.body()).unwrap();
        assert!(text.starts_with(r#"{"ErrorMessage":"the card token is unknown","ErrorCode":"TOKEN_NOT_FOUND","Timestamps":"#), "{text}");
        let r = post(
            &h,
            "/paysecure/Initiate",
            &format!(r#"{{{creds},"Amount":5}}"#),
        );
        assert_eq!(r.status(), 400);
        let status = paysecure_codec::decode_error_response(r.body()).unwrap();
        assert_eq!(
            status.errors[0].field_name.as_deref(),
            Some("CardNumberInfo")
        );
        let r = post(
            &h,
            "/paysecure/Reverse",
            &format!(
                r#"{{{creds},"OriginalData":{{"OriginalIdentifierType":"Serial","OriginalDataIdentifier":"1"}}}}"#
            ),
        );
        assert_eq!(r.status(), 400);
        let r = post(
            &h,
            "/paysecure/json/reply/TransactionStatusRequest",
            &format!(r#"{{{creds}}}"#),
        );
        assert_eq!(r.status(), 400);
        let wrong = CREDENTIALS.replace("sandbox-password", "nope");
        let r = post(&h, "/paysecure/PreAuthVoid", &wrong);
        assert_eq!(r.status(), 401);
    }

    #[test]
    fn every_service_is_a_fault_route() {
        let h = half(1);
        for path in [
            "/paysecure/CreateKey",
            "/paysecure/TokenizeCard",
            "/paysecure/PSBINCheck",
            "/paysecure/TransactionStatus",
            "/paysecure/Initiate",
            "/paysecure/PreAuthCapture",
            "/paysecure/PreAuthVoid",
            "/paysecure/Reverse",
        ] {
            let route = h.route(path).unwrap();
            assert!(crate::faults::ROUTES.contains(&route), "{route}");
        }
    }
}
