//! The PaySecure Pinless client: one generic [`PaySecureClient::execute`] for every
//! [`Service`], a key cache that rotates, and thin wrappers for `CreateKey`, `TokenizeCard`,
//! `PSBINCheck`, `TransactionStatus`, `Initiate`, `PreAuthCapture`, `PreAuthVoid` and
//! `Reverse`.
//!
//! Built from the sans-IO layers: [`paysecure_proto`] declares the DTOs and the services,
//! [`paysecure_codec`] writes and judges the JSON and ([`paysecure_codec::card_crypto`]) checks
//! the RSA key and encrypts card data, and the shared [`Transport`] moves the bytes. This
//! module adds the URL, the headers, retries, tracing and the mapping of [`DecodeError`] onto
//! the client's dispatch-state [`Error`] (one function, for every service):
//!
//! | answer | error |
//! |---|---|
//! | HTTP 401/403 (any body) | [`Error::AuthenticationRefused`] |
//! | HTTP 400 with `ResponseStatus` | [`Error::Rejected`], [`RejectionKind::Validation`] |
//! | other 4xx/5xx with `ResponseStatus` | [`Error::Rejected`], [`RejectionKind::Processing`] |
//! | 4xx/5xx with HTML or an empty body | [`Error::ResponseUnreadable`], [`UnreadableReason::UnexpectedStatus`] (excerpt and `Retry-After` kept) |
//! | HTTP 200 with an `ErrorCode` outside the [`SuccessPolicy`] | [`Error::Rejected`], [`RejectionKind::InBand`] |
//! | … that is one of [`PaySecureConfig::key_refusal_codes`] | [`Error::Rejected`], [`RejectionKind::Validation`] (not processed) |
//! | HTTP 200, not JSON / malformed / bad date / not UTF-8 / no `KeyId` (`CardToken`, `TranId`) / unusable key | [`Error::ResponseUnreadable`], [`UnreadableReason::Malformed`] |
//! | body over the limit | [`Error::ResponseUnreadable`], [`UnreadableReason::TooLarge`] |
//!
//! # Wire format
//! **JSON only**: every request carries `Content-Type: application/json` and
//! `Accept: application/json`. The seed's "HTTP + CSV" sample is an artefact of ServiceStack's
//! metadata pages; real CSV output of a `CreateKeySession` would lose `KeyId`, `Modulus` and
//! `Exponent`.
//!
//! # `TokenizeCard`
//! PaySecure publishes no integration guide for `TokenizeCard`; the request is based on the
//! service metadata it publishes (`KeyId`, `EncryptedCardNumber`, `Expiration`, `EncryptedCVN`,
//! `VerifyCard`). The formats chosen (the spec's **Decisions**, configurable in
//! [`PaySecureConfig`]): the ASCII digits of the PAN and CVN are encrypted with RSA
//! **PKCS#1 v1.5** under the `CreateKey` key, the ciphertext is written as standard **base64**,
//! and `Expiration` is **`MMYY`**.
//!
//! # Retries
//! A service declares whether a repeat is harmless ([`Service::IDEMPOTENT`], read as the
//! client's one [`Idempotency`] by [`idempotency`]). `CreateKey`, `PSBINCheck` and
//! `TransactionStatus` are: they are retried as [`Idempotency::Idempotent`]. `TokenizeCard`,
//! `Initiate`, `PreAuthCapture`, `PreAuthVoid` and `Reverse` are not
//! ([`Idempotency::NotIdempotent`], see [`crate::retry`]): once they may have been sent they
//! are never repeated; [`PaySecureClient::resolve`] asks `TransactionStatus` after an unknown
//! outcome instead.
//!
//! # Keys that rotate
//! [`PaySecureClient::cached_key`] replaces the cached key
//! [`PaySecureConfig::cache_refresh_margin`] before it expires. When the gateway still refuses
//! a key as expired or unknown ([`PaySecureConfig::key_refusal_codes`], an in-band answer that
//! proves nothing was done with the card: [`RejectionKind::Validation`], outcome not
//! processed), [`PaySecureClient::tokenize_card`] and [`PaySecureClient::initiate_card`]
//! fetch a fresh key, encrypt the card again and send once more. Any other failure, above all
//! an unknown outcome, is returned as it is: a card is never sent twice when the first
//! outcome is unknown.
//!
//! # Secrets
//! The password, PAN and CVN are never in `Debug`, `Display`, errors or tracing fields. The
//! request body of `CreateKey` holds the password in clear text only while it is sent; the
//! request is never printed or kept in an error. An answer that echoes the password, the PAN
//! or the CVN has them replaced by [`crate::redact::REDACTED`] in the error it becomes.
//!
//! # Quick start
//! ```
//! use paygate_client::paysecure::PlainCard;
//! use paygate_client::{PaySecureClient, PaySecureConfig, TransportConfig};
//! use paysecure_proto::card::Pan;
//! use paysecure_proto::{CardExpiration, Password};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The embedded sandbox stands in for https://api.paysecure.acculynk.net here.
//! let sandbox = paygate_sandbox::Sandbox::builder()
//!     .paysecure(Default::default())
//!     .start()
//!     .await?;
//! let config = PaySecureConfig::from_parts(
//!     "PGTEST01",
//!     "paygate-test",
//!     Password::new("sandbox-password"),
//!     "1.0",
//! )?
//! .base_url(sandbox.paysecure_base_url())
//! .build()?;
//! let client = PaySecureClient::with_transport_config(config, TransportConfig::default())?;
//!
//! let issued = client.create_key(Some(15)).await?;
//! assert_eq!(issued.key.bits(), 2048);
//!
//! let card = PlainCard::new(Pan::new("4111 1111 1111 1111")?, CardExpiration::parse("1230")?);
//! let response = client.tokenize_card(&card).await?;
//! assert_eq!(response.card_last4.as_deref(), Some("1111"));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use paysecure_codec::card_crypto::{CardEncryptionKey, KeyEncoding, Output, Padding};
use paysecure_codec::{DecodeError, SuccessPolicy};
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{
    Card, CardExpiration, CreateKey, CreateKeySession, CreateKeySessionRequest, Initiate,
    InitiateRequest, InitiateResponse, OriginalTransaction, Password, PreAuthCapture,
    PreAuthCaptureRequest, PreAuthCaptureResponse, PreAuthVoid, PreAuthVoidRequest,
    PreAuthVoidResponse, PsBinCheck, PsBinCheckRequest, PsBinCheckResponse, RequestorCredentials,
    ResponseStatus, Reverse, ReverseRequest, ReverseResponse, Service, TokenizeCard,
    TokenizeCardRequest, TokenizeCardResponse, TransType, Transaction, TransactionStatus,
    TransactionStatusRequest, TransactionStatusResponse,
};
use tracing::Instrument as _;

use crate::error::{
    Error, Gateway, NotSentReason, Outcome, Rejection, RejectionKind, UnreadableReason,
};
use crate::redact::{Redactor, echoed_secret_error, redacted_response};
use crate::retry::{Idempotency, RetryPolicy};
use crate::transport::{CallBudget, ConfigError, Transport, check_at_most};
use crate::with_retries;

/// The production host of PaySecure Pinless Web Services.
pub const PRODUCTION_BASE_URL: &str = "https://api.paysecure.acculynk.net";

/// The clock the client reads to date keys; injectable for tests.
// The client's only clock. `paygate_sandbox::Clock` has the same shape, but the two crates share
// no dependency where a clock belongs (the sans-IO layers take time as an argument), so each
// declares its own once.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The longest key lifetime a [`PaySecureConfigBuilder`] accepts for cached keys, in minutes
/// (one day). PaySecure documents no range for `TTLInMinutes`; this bound is the paygate
/// sandbox's default maximum.
pub const MAX_CACHE_TTL_MINUTES: u32 = 1440;

/// Settings of a [`PaySecureClient`], made by [`PaySecureConfig::builder`] (validated).
///
/// ```
/// use std::time::Duration;
/// use paygate_client::PaySecureConfig;
/// use paysecure_proto::{Password, RequestorCredentials};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let credentials = RequestorCredentials::new("M1", "user", Password::new("pw"), "1.0")?;
/// let config = PaySecureConfig::builder(credentials.clone())
///     .base_url("https://api.paysecure.example/pinless")
///     .cache_ttl_minutes(30)
///     .cache_refresh_margin(Duration::from_secs(120))
///     .build()?;
/// assert_eq!(config.cache_ttl_minutes(), 30);
/// assert!(PaySecureConfig::builder(credentials).base_url("ftp://host").build().is_err());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PaySecureConfig {
    base_url: String,
    credentials: RequestorCredentials,
    success_policy: SuccessPolicy,
    retry: RetryPolicy,
    key_encoding: KeyEncoding,
    padding: Padding,
    ciphertext_output: Output,
    cache_ttl_minutes: u32,
    cache_refresh_margin: Duration,
    key_refusal_codes: Vec<String>,
}

/// The default [`PaySecureConfig::key_refusal_codes`]: the paygate sandbox's `KEY_EXPIRED`
/// and `KEY_NOT_FOUND`. PaySecure publishes no `ErrorCode` list, so the production codes
/// for a refused key are unknown: set them once PaySecure confirms them.
pub const DEFAULT_KEY_REFUSAL_CODES: &[&str] = &["KEY_EXPIRED", "KEY_NOT_FOUND"];

impl PaySecureConfig {
    /// A builder for these credentials (checked when made, by
    /// [`RequestorCredentials::new`]); the other settings start at their defaults: production
    /// ([`PRODUCTION_BASE_URL`]), the default [`SuccessPolicy`] and [`RetryPolicy`], key
    /// encoding detected, PKCS#1 v1.5, base64, cached keys of 15 minutes replaced 60 s before
    /// they expire. [`build`](PaySecureConfigBuilder::build) validates.
    pub fn builder(credentials: RequestorCredentials) -> PaySecureConfigBuilder {
        PaySecureConfigBuilder(PaySecureConfig {
            base_url: PRODUCTION_BASE_URL.to_owned(),
            credentials,
            success_policy: SuccessPolicy::default(),
            retry: RetryPolicy::default(),
            key_encoding: KeyEncoding::Auto,
            padding: Padding::Pkcs1v15,
            ciphertext_output: Output::Base64,
            cache_ttl_minutes: 15,
            cache_refresh_margin: Duration::from_secs(60),
            key_refusal_codes: DEFAULT_KEY_REFUSAL_CODES
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
        })
    }

    /// Checks the four credential members, then as [`Self::builder`].
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::InvalidRequest`] naming the first empty member
    /// (`MerchantId`, `UserName`, `Password`, `Version`); the password is never quoted.
    pub fn from_parts(
        merchant_id: impl Into<String>,
        user_name: impl Into<String>,
        password: Password,
        version: impl Into<String>,
    ) -> Result<PaySecureConfigBuilder, Error> {
        let credentials = RequestorCredentials::new(merchant_id, user_name, password, version)
            .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
        Ok(Self::builder(credentials))
    }

    /// A builder starting from these settings (to change one of them).
    pub fn to_builder(&self) -> PaySecureConfigBuilder {
        PaySecureConfigBuilder(self.clone())
    }

    /// Scheme, host and optional path prefix, without the route. Each service appends its
    /// [`Service::ROUTE`] (`/CreateKey`, `/TokenizeCard`).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Who is calling. The password is redacted in `Debug`.
    #[must_use]
    pub fn credentials(&self) -> &RequestorCredentials {
        &self.credentials
    }

    /// Which in-band `ErrorCode`s mean success, and the body size limit.
    #[must_use]
    pub fn success_policy(&self) -> &SuccessPolicy {
        &self.success_policy
    }

    /// When to retry.
    #[must_use]
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// How `Modulus` and `Exponent` are read.
    #[must_use]
    pub fn key_encoding(&self) -> KeyEncoding {
        self.key_encoding
    }

    /// RSA padding for card data.
    #[must_use]
    pub fn padding(&self) -> Padding {
        self.padding
    }

    /// Ciphertext encoding.
    #[must_use]
    pub fn ciphertext_output(&self) -> Output {
        self.ciphertext_output
    }

    /// The lifetime asked for keys fetched by [`PaySecureClient::cached_key`], in minutes.
    #[must_use]
    pub fn cache_ttl_minutes(&self) -> u32 {
        self.cache_ttl_minutes
    }

    /// A cached key is replaced once it has this little time left.
    #[must_use]
    pub fn cache_refresh_margin(&self) -> Duration {
        self.cache_refresh_margin
    }

    /// The in-band `ErrorCode`s that mean "this `KeyId` was refused (expired or unknown)"
    /// (default [`DEFAULT_KEY_REFUSAL_CODES`]). Such an answer proves the card was not
    /// processed: it becomes [`Error::Rejected`] with [`RejectionKind::Validation`] (outcome
    /// not processed), and the calls that encrypt with the cached key re-encrypt under a
    /// fresh key and send once more.
    #[must_use]
    pub fn key_refusal_codes(&self) -> &[String] {
        &self.key_refusal_codes
    }

    /// The URL of service `S`: the base URL and [`Service::ROUTE`].
    fn url<S: Service>(&self) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), S::ROUTE)
    }
}

/// Builds a [`PaySecureConfig`]: [`PaySecureConfig::builder`] takes the credentials, the
/// methods here the other settings. [`build`](Self::build) validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct PaySecureConfigBuilder(PaySecureConfig);

// The setters share their shape with `PayneteasyConfigBuilder`'s (one field each, one `build`
// that validates): they set different settings with their own documentation, which a macro
// would hide, so they stay written out.
impl PaySecureConfigBuilder {
    /// Scheme, host and optional path prefix, without the route (default
    /// [`PRODUCTION_BASE_URL`]; the sandbox's is `http://127.0.0.1:PORT/paysecure`). An
    /// absolute `http` or `https` URL without query or fragment; whether plain `http` may be
    /// used is the [`Transport`]'s rule (only to loopback unless allowed).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.0.base_url = base_url.into();
        self
    }

    /// Which in-band `ErrorCode`s mean success, and the body size limit (default
    /// [`SuccessPolicy::default`]).
    pub fn success_policy(mut self, policy: SuccessPolicy) -> Self {
        self.0.success_policy = policy;
        self
    }

    /// When to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.0.retry = retry;
        self
    }

    /// How `Modulus` and `Exponent` are written (default [`KeyEncoding::Auto`]: detect).
    pub fn key_encoding(mut self, encoding: KeyEncoding) -> Self {
        self.0.key_encoding = encoding;
        self
    }

    /// RSA padding for card data (default [`Padding::Pkcs1v15`]).
    pub fn padding(mut self, padding: Padding) -> Self {
        self.0.padding = padding;
        self
    }

    /// Ciphertext encoding (default [`Output::Base64`]).
    pub fn ciphertext_output(mut self, output: Output) -> Self {
        self.0.ciphertext_output = output;
        self
    }

    /// The lifetime asked for keys fetched by [`PaySecureClient::cached_key`], in minutes
    /// (default 15, at least 1, at most [`MAX_CACHE_TTL_MINUTES`]).
    pub fn cache_ttl_minutes(mut self, minutes: u32) -> Self {
        self.0.cache_ttl_minutes = minutes;
        self
    }

    /// A cached key is replaced once it has this little time left (default 60 s; more than
    /// zero and less than [`cache_ttl_minutes`](Self::cache_ttl_minutes), or every call would
    /// fetch a new key).
    pub fn cache_refresh_margin(mut self, margin: Duration) -> Self {
        self.0.cache_refresh_margin = margin;
        self
    }

    /// The in-band `ErrorCode`s that mean a refused key (default
    /// [`DEFAULT_KEY_REFUSAL_CODES`]; see [`PaySecureConfig::key_refusal_codes`]).
    pub fn key_refusal_codes<I, S>(mut self, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0.key_refusal_codes = codes.into_iter().map(Into::into).collect();
        self
    }

    /// The configuration.
    ///
    /// # Errors
    /// [`ConfigError::InvalidUrl`] for a base URL that is not an absolute `http(s)` URL or
    /// has a query or fragment; [`ConfigError::Zero`] or [`ConfigError::TooLarge`] for a key
    /// lifetime outside `1..=`[`MAX_CACHE_TTL_MINUTES`] or a zero refresh margin;
    /// [`ConfigError::Inconsistent`] for a refresh margin not shorter than the lifetime.
    pub fn build(self) -> Result<PaySecureConfig, ConfigError> {
        let config = self.0;
        check_base_url(&config.base_url)?;
        if config.cache_ttl_minutes == 0 {
            return Err(ConfigError::Zero {
                setting: "cache_ttl_minutes",
            });
        }
        check_at_most(
            "cache_ttl_minutes",
            config.cache_ttl_minutes,
            MAX_CACHE_TTL_MINUTES,
        )?;
        if config.cache_refresh_margin.is_zero() {
            return Err(ConfigError::Zero {
                setting: "cache_refresh_margin",
            });
        }
        let ttl = Duration::from_secs(u64::from(config.cache_ttl_minutes) * 60);
        if config.cache_refresh_margin >= ttl {
            return Err(ConfigError::Inconsistent(
                "cache_refresh_margin must be shorter than cache_ttl_minutes",
            ));
        }
        Ok(config)
    }
}

/// The client's one notion of idempotency for a PaySecure service: [`Service::IDEMPOTENT`]
/// as [`Idempotency`].
#[must_use]
pub fn idempotency<S: Service>() -> Idempotency {
    if S::IDEMPOTENT {
        Idempotency::Idempotent
    } else {
        Idempotency::NotIdempotent
    }
}

impl PaySecureConfig {
    /// An in-band refusal of the key becomes a validation rejection: the answer proves the
    /// request was refused before anything was done with the card.
    fn key_refusal(&self, error: Error) -> Error {
        match error {
            Error::Rejected(mut r)
                if r.kind == RejectionKind::InBand
                    && r.code
                        .as_ref()
                        .is_some_and(|c| self.key_refusal_codes.iter().any(|k| k == c)) =>
            {
                r.kind = RejectionKind::Validation;
                Error::Rejected(r)
            }
            other => other,
        }
    }

    /// Whether `error` is a refused key ([`Self::key_refusal_codes`]) proved not processed:
    /// the one case a card is encrypted again and resent.
    fn is_key_refusal(&self, error: &Error) -> bool {
        matches!(error, Error::Rejected(r)
            if r.kind == RejectionKind::Validation
                && r.code.as_ref().is_some_and(|c| self.key_refusal_codes.iter().any(|k| k == c)))
            && error.outcome() == Outcome::NotProcessed
    }
}

/// An absolute `http` or `https` URL with a host, without query or fragment (the client
/// appends the service's route to it).
fn check_base_url(url: &str) -> Result<(), ConfigError> {
    let invalid = |reason| ConfigError::InvalidUrl {
        setting: "base_url",
        reason,
    };
    if url.contains(['?', '#']) {
        return Err(invalid("it has a query or a fragment"));
    }
    let uri: http::Uri = url.parse().map_err(|_| invalid("it does not parse"))?;
    match uri.scheme_str() {
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => {}
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => {}
        Some(_) => return Err(invalid("the scheme is neither http nor https")),
        None => return Err(invalid("it is not absolute")),
    }
    match uri.authority() {
        Some(authority) if !authority.host().is_empty() => {}
        _ => return Err(invalid("it has no host")),
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(invalid("it carries user information"));
    }
    Ok(())
}

/// Plain card data for `TokenizeCard`, which the client encrypts under a `CreateKey` key:
/// the PAN and expiration, optionally the CVN and `VerifyCard`. `Debug` shows only the last
/// four digits of the PAN and never the CVN.
///
/// ```
/// use paygate_client::paysecure::PlainCard;
/// use paysecure_proto::card::{Cvn, Pan};
/// use paysecure_proto::CardExpiration;
///
/// let card = PlainCard::new(Pan::new("4111111111111111")?, CardExpiration::parse("1230")?)
///     .cvn(Cvn::new("123")?)
///     .verify(true);
/// assert!(!format!("{card:?}").contains("123,"));
/// # Ok::<(), paysecure_proto::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PlainCard {
    pan: Pan,
    expiration: CardExpiration,
    cvn: Option<Cvn>,
    verify_card: Option<bool>,
}

impl PlainCard {
    /// A card with its number and expiration, without CVN and without `VerifyCard`.
    #[must_use]
    pub fn new(pan: Pan, expiration: CardExpiration) -> Self {
        Self {
            pan,
            expiration,
            cvn: None,
            verify_card: None,
        }
    }

    /// Adds the CVN (encrypted under the same key as the PAN).
    #[must_use]
    pub fn cvn(mut self, cvn: Cvn) -> Self {
        self.cvn = Some(cvn);
        self
    }

    /// Sets `VerifyCard`.
    #[must_use]
    pub fn verify(mut self, verify_card: bool) -> Self {
        self.verify_card = Some(verify_card);
        self
    }

    /// Encrypts the PAN (and CVN) under `key` into the `TokenizeCard` request.
    fn encrypt(
        &self,
        key: &CardEncryptionKey,
        padding: Padding,
        output: Output,
    ) -> Result<TokenizeCardRequest, Error> {
        let encrypt_error = |e| Error::not_sent(NotSentReason::Signing, e);
        let card_number = key
            .encrypt_pan(&self.pan, padding, output)
            .map_err(encrypt_error)?;
        let cvn = self
            .cvn
            .as_ref()
            .map(|c| key.encrypt_cvn(c, padding, output))
            .transpose()
            .map_err(encrypt_error)?;
        TokenizeCardRequest::new(card_number, self.expiration, cvn, self.verify_card)
            .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))
    }
}

/// What [`PaySecureClient::resolve`] found out.
#[derive(Debug)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per call; the answers `R` are about as large as a `Transaction`"
)]
pub enum Settled<R> {
    /// The call was answered.
    Answered(R),
    /// The call's outcome was unknown; `TransactionStatus` was asked instead of sending
    /// again.
    Resolved {
        /// The call's error (its outcome [`Outcome::Unknown`]).
        error: Error,
        /// The transaction as the gateway holds it (`None`: it has none; for an `Initiate`,
        /// nothing was made and it may be sent again with a new `ReferenceKey`).
        history: Option<Transaction>,
    },
}

/// A key from `CreateKey`: the session as received and the checked encryption key.
#[derive(Clone, Debug)]
pub struct IssuedKey {
    /// The decoded `CreateKeySession` (`KeyId`, `Modulus`, `Exponent`, `Timestamps`, …).
    pub session: CreateKeySession,
    /// The RSA public key, dated by the client's clock when the request was sent.
    pub key: CardEncryptionKey,
}

/// The PaySecure Pinless client. Cheap to clone; clones share the transport and the key cache.
#[derive(Clone)]
pub struct PaySecureClient {
    transport: Transport,
    config: Arc<PaySecureConfig>,
    cache: Arc<tokio::sync::Mutex<Option<IssuedKey>>>,
    clock: Clock,
}

impl fmt::Debug for PaySecureClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaySecureClient")
            .field("config", &self.config)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl PaySecureClient {
    /// A client over an existing transport (share one transport between clients).
    #[must_use]
    pub fn new(config: PaySecureConfig, transport: Transport) -> Self {
        PaySecureClient {
            transport,
            config: Arc::new(config),
            cache: Arc::new(tokio::sync::Mutex::new(None)),
            clock: Arc::new(SystemTime::now),
        }
    }

    crate::with_transport_config!(PaySecureConfig);

    /// Replaces the clock used to date keys and judge the cache (tests pin it).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The settings in force.
    #[must_use]
    pub fn config(&self) -> &PaySecureConfig {
        &self.config
    }

    /// Sends `request` to `POST {base}{S::ROUTE}` and judges the answer: every PaySecure
    /// service goes through here. Retried as [`Service::IDEMPOTENT`] allows; an answer that
    /// echoes the password has it redacted in the error.
    ///
    /// # Errors
    /// See the [module table](self): [`Error::NotSent`] (bad URL, connect failure),
    /// [`Error::MaybeSent`], [`Error::ResponseUnreadable`], [`Error::AuthenticationRefused`],
    /// [`Error::Rejected`] (also an answer without [`Service::REQUIRED`]).
    pub async fn execute<S: Service>(&self, request: &S::Request) -> Result<S::Response, Error> {
        self.send::<S>(request, &self.sent_secrets(None, None))
            .await
    }

    /// [`Self::execute`] with the secrets the request carries, to redact from any answer.
    async fn send<S: Service>(
        &self,
        request: &S::Request,
        redactor: &Redactor,
    ) -> Result<S::Response, Error> {
        let config = &self.config;
        let url = config.url::<S>();
        let body = Bytes::from(paysecure_codec::encode(request));
        let idempotency = idempotency::<S>();
        with_retries(&config.retry, idempotency, |budget, attempt| {
            let span = tracing::info_span!(
                "paysecure",
                gateway = %Gateway::PaySecure,
                command = S::name(),
                attempt
            );
            let (url, body) = (&url, body.clone());
            async move {
                let response = self.post(url, body, budget).await?;
                judge(&response, redactor, |r| {
                    paysecure_codec::decode_response::<S>(
                        r.status().as_u16(),
                        content_type(r),
                        r.body(),
                        &config.success_policy,
                    )
                })
                .map_err(|e| config.key_refusal(e))
            }
            .instrument(span)
        })
        .await
    }

    /// `CreateKey`: asks for a new card-encryption key living `ttl_minutes` (the server's
    /// default when `None`).
    ///
    /// The key is dated by the client's clock before the request is sent (a conservative
    /// start), and given the lifetime asked for, if any.
    ///
    /// # Errors
    /// As [`Self::execute`], and [`Error::ResponseUnreadable`] for a key that fails the checks
    /// of [`CardEncryptionKey::from_session`].
    pub async fn create_key(&self, ttl_minutes: Option<i32>) -> Result<IssuedKey, Error> {
        let config = &self.config;
        let request = CreateKeySessionRequest::new(config.credentials.clone(), ttl_minutes);
        let issued_at = (self.clock)();
        let session = self.execute::<CreateKey>(&request).await?;
        let mut key = CardEncryptionKey::from_session(&session, config.key_encoding, issued_at)
            .map_err(|e| Error::ResponseUnreadable {
                status: Some(200),
                reason: UnreadableReason::Malformed,
                retry_after: None,
                excerpt: None,
                source: Some(Box::new(e)),
            })?;
        if let Some(minutes) = ttl_minutes.and_then(|m| u32::try_from(m).ok()) {
            key = key.with_ttl_minutes(minutes);
        }
        tracing::debug!(key_id = key.key_id(), bits = key.bits(), "key issued");
        Ok(IssuedKey { session, key })
    }

    /// The cached key while it has more than [`PaySecureConfig::cache_refresh_margin`] left,
    /// else a new one from [`Self::create_key`] asking for
    /// [`PaySecureConfig::cache_ttl_minutes`]. Concurrent callers wait for one fetch.
    ///
    /// # Errors
    /// As [`Self::create_key`]; the cache is left as it was.
    pub async fn cached_key(&self) -> Result<IssuedKey, Error> {
        let mut slot = self.cache.lock().await;
        let now = (self.clock)();
        if let Some(cached) = slot.as_ref() {
            let fresh = cached.key.expires_at().is_some_and(|at| {
                at.duration_since(now)
                    .is_ok_and(|left| left > self.config.cache_refresh_margin)
            });
            if fresh {
                return Ok(cached.clone());
            }
        }
        let ttl = i32::try_from(self.config.cache_ttl_minutes).unwrap_or(i32::MAX);
        let issued = self.create_key(Some(ttl)).await?;
        *slot = Some(issued.clone());
        Ok(issued)
    }

    /// Forgets the cached key (for example after the gateway said it expired early).
    pub async fn clear_cached_key(&self) {
        *self.cache.lock().await = None;
    }

    /// Encrypts the card with the cached key ([`Self::cached_key`]) and posts `TokenizeCard`.
    ///
    /// # Errors
    /// As [`Self::cached_key`], then as [`Self::tokenize_card_with_key`].
    pub async fn tokenize_card(&self, card: &PlainCard) -> Result<TokenizeCardResponse, Error> {
        self.with_rotating_key(|key| async move { self.tokenize_card_with_key(&key, card).await })
            .await
    }

    /// Runs `call` with the cached key; when the gateway refuses that key as expired or
    /// unknown **and** its answer proves nothing was processed
    /// ([`PaySecureConfig::key_refusal_codes`]), forgets it, fetches a fresh one and runs
    /// `call` once more (so the card is encrypted again). Any other failure, an unknown
    /// outcome above all, is returned as it is: a card is never sent twice when the first
    /// outcome is unknown.
    async fn with_rotating_key<T, F, Fut>(&self, call: F) -> Result<T, Error>
    where
        F: Fn(CardEncryptionKey) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let issued = self.cached_key().await?;
        let key_id = issued.key.key_id().to_owned();
        match call(issued.key).await {
            Err(e) if self.config.is_key_refusal(&e) => {
                tracing::info!(key_id, "key refused as expired or unknown: rotating");
                self.clear_cached_key().await;
                let fresh = self.cached_key().await?;
                call(fresh.key).await
            }
            other => other,
        }
    }

    /// Encrypts the PAN (and CVN) under `key` and posts `TokenizeCard` (`KeyId`,
    /// `EncryptedCardNumber`, `Expiration` `MMYY`, `EncryptedCVN`, `VerifyCard`). Not retried
    /// once it may have been sent. Whether `key` has expired is the caller's concern.
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::Signing`] when encryption fails; then as
    /// [`Self::execute`], with `CardToken` as the member success requires. An unknown or
    /// expired key is PaySecure's in-band [`Error::Rejected`].
    pub async fn tokenize_card_with_key(
        &self,
        key: &CardEncryptionKey,
        card: &PlainCard,
    ) -> Result<TokenizeCardResponse, Error> {
        let config = &self.config;
        let request = card.encrypt(key, config.padding, config.ciphertext_output)?;
        let redactor = self.sent_secrets(Some(&card.pan), card.cvn.as_ref());
        self.send::<TokenizeCard>(&request, &redactor)
            .instrument(tracing::debug_span!("tokenize", key_id = key.key_id()))
            .await
    }

    /// `PSBINCheck`: what cards of `bin` can be used for (idempotent, retried).
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::InvalidRequest`] for a BIN that is not 6–11
    /// digits; then as [`Self::execute`].
    pub async fn bin_check(&self, bin: &str) -> Result<PsBinCheckResponse, Error> {
        let request = PsBinCheckRequest::new(self.config.credentials.clone(), bin)
            .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
        self.execute::<PsBinCheck>(&request).await
    }

    /// `TransactionStatus`: the transaction `original` names (idempotent, retried). An
    /// in-band error (PaySecure's codes are not published) is [`Error::Rejected`].
    ///
    /// # Errors
    /// As [`Self::execute`].
    pub async fn transaction_status(
        &self,
        original: OriginalTransaction,
    ) -> Result<TransactionStatusResponse, Error> {
        let request = TransactionStatusRequest::new(self.config.credentials.clone(), original);
        self.execute::<TransactionStatus>(&request).await
    }

    /// `Initiate` with the card encrypted under the cached key (`CardDataType` `Encrypted`,
    /// `KeyID`), re-encrypted under a fresh key when the gateway refuses the key and proves
    /// nothing was processed. Not retried once it may have been sent: on an unknown outcome
    /// use [`Self::resolve`] or [`Self::transaction_status`] by `ReferenceKey`.
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::InvalidRequest`] for a zero amount or an
    /// empty currency code; then as [`Self::cached_key`] and [`Self::execute`].
    pub async fn initiate_card(
        &self,
        card: &PlainCard,
        amount: u64,
        currency_code: &str,
        reference_key: Option<&str>,
    ) -> Result<InitiateResponse, Error> {
        let config = &self.config;
        self.with_rotating_key(|key| async move {
            let encrypted = key
                .encrypt_pan(&card.pan, config.padding, config.ciphertext_output)
                .map_err(|e| Error::not_sent(NotSentReason::Signing, e))?;
            let mut request = InitiateRequest::new(
                config.credentials.clone(),
                Card::encrypted(encrypted),
                Some(card.expiration),
                amount,
                currency_code,
                TransType::ECommerce,
            )
            .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
            request.reference_key = reference_key.map(str::to_owned);
            let redactor = self.sent_secrets(Some(&card.pan), None);
            self.send::<Initiate>(&request, &redactor).await
        })
        .await
    }

    /// `Initiate` with a `CardToken` from [`Self::tokenize_card`] (`CardDataType` `Token`).
    /// Not retried once it may have been sent.
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::InvalidRequest`] for a zero amount or an
    /// empty currency code; then as [`Self::execute`].
    pub async fn initiate_token(
        &self,
        card_token: &str,
        expiration: Option<CardExpiration>,
        amount: u64,
        currency_code: &str,
        reference_key: Option<&str>,
    ) -> Result<InitiateResponse, Error> {
        let mut request = InitiateRequest::new(
            self.config.credentials.clone(),
            Card::token(card_token),
            expiration,
            amount,
            currency_code,
            TransType::ECommerce,
        )
        .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
        request.reference_key = reference_key.map(str::to_owned);
        self.execute::<Initiate>(&request).await
    }

    /// `PreAuthCapture` of `amount` minor units of `tran_id`. Not retried once it may have
    /// been sent (it moves money): resolve an unknown outcome with [`Self::resolve`].
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::InvalidRequest`] for an empty `tran_id`, a
    /// zero amount or an empty currency; then as [`Self::execute`].
    pub async fn pre_auth_capture(
        &self,
        tran_id: &str,
        amount: u64,
        currency_code: &str,
    ) -> Result<PreAuthCaptureResponse, Error> {
        let request = PreAuthCaptureRequest::new(
            self.config.credentials.clone(),
            tran_id,
            amount,
            currency_code,
        )
        .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
        self.execute::<PreAuthCapture>(&request).await
    }

    /// `PreAuthVoid` of `original` (for `amount` when given). Not retried once it may have
    /// been sent.
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::InvalidRequest`] for a zero amount; then as
    /// [`Self::execute`].
    pub async fn pre_auth_void(
        &self,
        original: OriginalTransaction,
        amount: Option<u64>,
    ) -> Result<PreAuthVoidResponse, Error> {
        let request = PreAuthVoidRequest::new(self.config.credentials.clone(), original, amount)
            .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
        self.execute::<PreAuthVoid>(&request).await
    }

    /// `Reverse`: undoes `original` in full. Not retried once it may have been sent.
    ///
    /// # Errors
    /// As [`Self::execute`].
    pub async fn reverse(&self, original: OriginalTransaction) -> Result<ReverseResponse, Error> {
        let request = ReverseRequest::new(self.config.credentials.clone(), original);
        self.execute::<Reverse>(&request).await
    }

    /// Sends `request` once; when its outcome is **unknown** (the answer was lost, a 502, a
    /// truncated body) it asks `TransactionStatus` for `lookup` (the request's `ReferenceKey`
    /// for an `Initiate`, its `TranId` afterwards) instead of sending again. The helper for
    /// the services that must not be repeated ([`Service::IDEMPOTENT`] `false`).
    ///
    /// # Errors
    /// The call's own error when its outcome is known (not processed, or processed and
    /// refused); the **call's** error too when the status query fails as well (the outcome
    /// then stays unknown).
    pub async fn resolve<S: Service>(
        &self,
        request: &S::Request,
        lookup: OriginalTransaction,
    ) -> Result<Settled<S::Response>, Error> {
        match self.execute::<S>(request).await {
            Ok(response) => Ok(Settled::Answered(response)),
            Err(error) if error.outcome() == Outcome::Unknown => {
                match self.transaction_status(lookup).await {
                    Ok(status) => Ok(Settled::Resolved {
                        error,
                        history: status.history,
                    }),
                    // PaySecure's codes are unpublished: an in-band answer is read as "no
                    // such transaction".
                    Err(Error::Rejected(r)) if r.kind == RejectionKind::InBand => {
                        Ok(Settled::Resolved {
                            error,
                            history: None,
                        })
                    }
                    Err(_) => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The secrets a request of this client may carry, to redact from any answer that
    /// echoes them: the password, and the card data of a `TokenizeCard`.
    fn sent_secrets(&self, pan: Option<&Pan>, cvn: Option<&Cvn>) -> Redactor {
        let mut redactor = Redactor::new();
        redactor.add_text(self.config.credentials.password().expose());
        if let Some(pan) = pan {
            redactor.add_digits(pan.expose());
        }
        if let Some(cvn) = cvn {
            redactor.add_digits(cvn.expose());
        }
        redactor
    }

    /// The request is built here and consumed by the transport: it is never logged, printed
    /// or kept in an error, since its body holds the password (`CreateKey`).
    async fn post(
        &self,
        url: &str,
        body: impl Into<Bytes>,
        budget: CallBudget,
    ) -> Result<Response<Bytes>, Error> {
        const JSON: HeaderValue = HeaderValue::from_static("application/json");
        let request = Request::post(url)
            .header(header::CONTENT_TYPE, JSON)
            .header(header::ACCEPT, JSON)
            .body(body.into())
            .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
        let response = self.transport.send(request, Some(budget)).await?;
        tracing::debug!(status = response.status().as_u16(), "answer received");
        Ok(response)
    }
}

/// Decodes an answer; when it is refused and echoes a secret of the request, it is judged
/// again with the secrets redacted, and the error's texts are redacted once more after
/// decoding, so that no error value holds them.
fn judge<T>(
    response: &Response<Bytes>,
    redactor: &Redactor,
    decode: impl Fn(&Response<Bytes>) -> Result<T, DecodeError>,
) -> Result<T, Error> {
    decode(response).map_err(|e| {
        let error = match redacted_response(response, redactor) {
            None => map_decode_error(e, response),
            Some(redacted) => match decode(&redacted) {
                Err(e) => map_decode_error(e, &redacted),
                Ok(_) => echoed_secret_error(&redacted),
            },
        };
        // Secrets nested in another encoding (a body quoted inside a JSON string) are found
        // once decoded.
        error.redact(redactor)
    })
}

fn content_type(response: &Response<Bytes>) -> Option<&str> {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// Longest body excerpt kept in a client error, in characters.
const EXCERPT_CHARS: usize = 200;

/// Maps the codec's verdict onto the client's dispatch-state error (see the module table).
fn map_decode_error(error: DecodeError, response: &Response<Bytes>) -> Error {
    let status = response.status().as_u16();
    let body_excerpt = || crate::error::excerpt(response.body(), EXCERPT_CHARS);
    let unreadable =
        |reason, excerpt: Option<String>, error: DecodeError| Error::ResponseUnreadable {
            status: Some(status),
            reason,
            retry_after: crate::transport::parse_retry_after(response.headers()),
            excerpt,
            source: Some(Box::new(error)),
        };
    match error {
        DecodeError::Service {
            status: status @ (401 | 403),
            response_status,
        } => Error::AuthenticationRefused {
            gateway: Gateway::PaySecure,
            status,
            excerpt: response_status
                .message
                .or(response_status.error_code)
                .unwrap_or_default(),
        },
        DecodeError::HttpStatus {
            status: status @ (401 | 403),
            ..
        } => Error::AuthenticationRefused {
            gateway: Gateway::PaySecure,
            status,
            excerpt: body_excerpt(),
        },
        DecodeError::Service {
            status,
            response_status,
        } => Error::Rejected(Rejection {
            gateway: Gateway::PaySecure,
            kind: if status == 400 {
                RejectionKind::Validation
            } else {
                RejectionKind::Processing
            },
            code: response_status.error_code.clone(),
            message: service_message(&response_status),
            http_status: status,
            reference: None,
        }),
        DecodeError::Rejected {
            error_code,
            error_message,
        } => Error::Rejected(Rejection {
            gateway: Gateway::PaySecure,
            kind: RejectionKind::InBand,
            code: Some(error_code),
            message: error_message,
            http_status: status,
            reference: None,
        }),
        e @ DecodeError::HttpStatus { .. } => {
            unreadable(UnreadableReason::UnexpectedStatus, Some(body_excerpt()), e)
        }
        e @ DecodeError::NotJson { .. } => {
            unreadable(UnreadableReason::Malformed, Some(body_excerpt()), e)
        }
        e @ DecodeError::TooLarge { .. } => unreadable(UnreadableReason::TooLarge, None, e),
        e => unreadable(UnreadableReason::Malformed, None, e),
    }
}

/// `Message`, followed by the per-field errors as `[FieldName: Message]`.
fn service_message(status: &ResponseStatus) -> Option<String> {
    let mut parts: Vec<String> = status.message.iter().cloned().collect();
    for e in &status.errors {
        let field = e.field_name.as_deref().unwrap_or("?");
        let text = e
            .message
            .as_deref()
            .or(e.error_code.as_deref())
            .unwrap_or("invalid");
        parts.push(format!("[{field}: {text}]"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &'static str) -> Response<Bytes> {
        let mut r = Response::new(Bytes::from_static(body.as_bytes()));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
        r
    }

    fn decode(status: u16, body: &'static str) -> Error {
        let r = response(status, body);
        let e = paysecure_codec::decode_response::<CreateKey>(
            status,
            None,
            r.body(),
            &SuccessPolicy::default(),
        )
        .unwrap_err();
        map_decode_error(e, &r)
    }

    #[test]
    fn classes() {
        let e = decode(
            401,
            r#"{"ResponseStatus":{"ErrorCode":"Unauthorized","Message":"no"}}"#,
        );
        assert!(
            matches!(e, Error::AuthenticationRefused { status: 401, ref excerpt, .. } if excerpt == "no")
        );
        let e = decode(403, "<html><body>Access is denied</body></html>");
        assert!(
            matches!(e, Error::AuthenticationRefused { status: 403, ref excerpt, .. } if excerpt == "Access is denied")
        );
        let e = decode(
            400,
            r#"{"ResponseStatus":{"ErrorCode":"ValidationException","Message":"bad","Errors":[{"FieldName":"UserName","Message":"empty"}]}}"#,
        );
        match e {
            Error::Rejected(r) => {
                assert_eq!(r.kind, RejectionKind::Validation);
                assert_eq!(r.code.as_deref(), Some("ValidationException"));
                assert_eq!(r.message.as_deref(), Some("bad [UserName: empty]"));
                assert_eq!(r.http_status, 400);
            }
            other => panic!("{other:?}"),
        }
        let e = decode(
            500,
            r#"{"ResponseStatus":{"ErrorCode":"NullReferenceException"}}"#,
        );
        assert!(
            matches!(e, Error::Rejected(ref r) if r.kind == RejectionKind::Processing && r.message.is_none())
        );
        let mut r = response(503, "<html><h1>Service Unavailable</h1></html>");
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        let err = paysecure_codec::decode_response::<CreateKey>(
            503,
            None,
            r.body(),
            &SuccessPolicy::default(),
        )
        .unwrap_err();
        match map_decode_error(err, &r) {
            Error::ResponseUnreadable {
                status: Some(503),
                reason: UnreadableReason::UnexpectedStatus,
                retry_after: Some(ra),
                excerpt: Some(excerpt),
                ..
            } => {
                assert_eq!(ra, Duration::from_secs(3));
                assert_eq!(excerpt, "Service Unavailable");
            }
            other => panic!("{other:?}"),
        }
        let e = decode(502, "");
        assert!(matches!(
            e,
            Error::ResponseUnreadable {
                reason: UnreadableReason::UnexpectedStatus,
                ..
            }
        ));
        let e = decode(
            200,
            r#"{"ErrorCode":"1001","ErrorMessage":"Invalid merchant"}"#,
        );
        assert!(
            matches!(e, Error::Rejected(ref r) if r.kind == RejectionKind::InBand && r.code.as_deref() == Some("1001"))
        );
        for body in ["<html/>", "{\"KeyId\":", "{\"ErrorCode\":\"0\"}", ""] {
            let e = decode(200, body);
            assert!(
                matches!(
                    e,
                    Error::ResponseUnreadable {
                        reason: UnreadableReason::Malformed,
                        ..
                    }
                ),
                "{body}: {e:?}"
            );
        }
        let r = response(200, "\u{7f}");
        let body = vec![0xffu8, 0xfe];
        let err = paysecure_codec::decode_response::<CreateKey>(
            200,
            None,
            &body,
            &SuccessPolicy::default(),
        )
        .unwrap_err();
        assert!(matches!(
            map_decode_error(err, &r),
            Error::ResponseUnreadable {
                reason: UnreadableReason::Malformed,
                ..
            }
        ));
        let err = paysecure_codec::decode_response::<CreateKey>(
            200,
            None,
            b"{}",
            &SuccessPolicy::default().max_body_len(1),
        )
        .unwrap_err();
        assert!(matches!(
            map_decode_error(err, &r),
            Error::ResponseUnreadable {
                reason: UnreadableReason::TooLarge,
                ..
            }
        ));
    }

    #[test]
    fn config_hides_the_password_and_validates() {
        let config = PaySecureConfig::from_parts("m", "u", Password::new("pa55-w0rd"), "1.0")
            .unwrap()
            .base_url("http://127.0.0.1:1/paysecure/")
            .build()
            .unwrap();
        assert!(!format!("{config:?}").contains("pa55-w0rd"));
        assert_eq!(
            config.url::<CreateKey>(),
            "http://127.0.0.1:1/paysecure/CreateKey"
        );
        assert_eq!(
            config.url::<TokenizeCard>(),
            "http://127.0.0.1:1/paysecure/TokenizeCard"
        );
        let err =
            PaySecureConfig::from_parts("m", "", Password::new("pa55-w0rd"), "1.0").unwrap_err();
        assert!(matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::InvalidRequest,
                ..
            }
        ));
        assert!(err.to_string().contains("UserName"));
        assert!(!err.to_string().contains("pa55-w0rd"));
    }

    fn builder() -> PaySecureConfigBuilder {
        PaySecureConfig::from_parts("m", "u", Password::new("pa55-w0rd"), "1.0").unwrap()
    }

    fn url_refusal(url: &str) -> &'static str {
        match builder().base_url(url).build() {
            Err(ConfigError::InvalidUrl {
                setting: "base_url",
                reason,
            }) => reason,
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn builder_defaults_and_accepts_http_and_https() {
        let config = builder().build().unwrap();
        assert_eq!(config.base_url(), PRODUCTION_BASE_URL);
        assert_eq!(config.cache_ttl_minutes(), 15);
        assert_eq!(config.cache_refresh_margin(), Duration::from_secs(60));
        assert_eq!(config.padding(), Padding::Pkcs1v15);
        assert_eq!(config.ciphertext_output(), Output::Base64);
        assert_eq!(config.key_encoding(), KeyEncoding::Auto);
        assert_eq!(config.credentials().user_name(), "u");
        for url in [
            "https://api.paysecure.acculynk.net",
            "HTTPS://host.example:8443/prefix/",
            "http://127.0.0.1:8080/paysecure",
            "http://[::1]:1/",
        ] {
            assert!(builder().base_url(url).build().is_ok(), "{url}");
        }
        let changed = builder()
            .padding(Padding::OaepSha256)
            .ciphertext_output(Output::Hex)
            .key_encoding(KeyEncoding::Hex)
            .retry(RetryPolicy::never(Duration::from_secs(2)))
            .success_policy(SuccessPolicy::default().max_body_len(10))
            .build()
            .unwrap();
        assert_eq!(changed.padding(), Padding::OaepSha256);
        assert_eq!(changed.ciphertext_output(), Output::Hex);
        assert_eq!(changed.key_encoding(), KeyEncoding::Hex);
        assert_eq!(changed.retry().max_attempts(), 1);
        let again = changed.to_builder().cache_ttl_minutes(5).build().unwrap();
        assert_eq!(
            (again.cache_ttl_minutes(), again.padding()),
            (5, Padding::OaepSha256)
        );
    }

    #[test]
    fn builder_refuses_a_base_url_with_another_scheme() {
        for url in ["ftp://host/x", "file://host/etc/passwd", "ws://host"] {
            assert_eq!(
                url_refusal(url),
                "the scheme is neither http nor https",
                "{url}"
            );
        }
    }

    #[test]
    fn builder_refuses_a_relative_base_url() {
        assert_eq!(url_refusal("/paysecure"), "it is not absolute");
        assert_eq!(
            url_refusal("api.paysecure.acculynk.net"),
            "it is not absolute"
        );
    }

    #[test]
    fn builder_refuses_a_base_url_that_does_not_parse() {
        for url in ["", "https://exa mple.com", "https://host/\n", "http://"] {
            assert!(
                matches!(
                    builder().base_url(url).build(),
                    Err(ConfigError::InvalidUrl { .. })
                ),
                "{url:?}"
            );
        }
    }

    #[test]
    fn builder_refuses_a_base_url_with_query_or_fragment() {
        assert_eq!(
            url_refusal("https://host/p?x=1"),
            "it has a query or a fragment"
        );
        assert_eq!(
            url_refusal("https://host/p#f"),
            "it has a query or a fragment"
        );
    }

    #[test]
    fn builder_refuses_user_information_in_the_base_url() {
        assert_eq!(
            url_refusal("https://user:secret@host/p"),
            "it carries user information"
        );
        let err = builder()
            .base_url("https://user:secret@host/p")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn builder_refuses_a_zero_ttl() {
        assert_eq!(
            builder().cache_ttl_minutes(0).build().unwrap_err(),
            ConfigError::Zero {
                setting: "cache_ttl_minutes"
            }
        );
    }

    #[test]
    fn builder_refuses_a_ttl_over_a_day() {
        assert!(
            builder()
                .cache_ttl_minutes(MAX_CACHE_TTL_MINUTES)
                .build()
                .is_ok()
        );
        assert!(matches!(
            builder()
                .cache_ttl_minutes(MAX_CACHE_TTL_MINUTES + 1)
                .build(),
            Err(ConfigError::TooLarge {
                setting: "cache_ttl_minutes",
                ..
            })
        ));
    }

    #[test]
    fn builder_refuses_a_zero_refresh_margin() {
        assert_eq!(
            builder()
                .cache_refresh_margin(Duration::ZERO)
                .build()
                .unwrap_err(),
            ConfigError::Zero {
                setting: "cache_refresh_margin"
            }
        );
    }

    #[test]
    fn builder_refuses_a_refresh_margin_not_shorter_than_the_ttl() {
        let at = |minutes, margin| {
            builder()
                .cache_ttl_minutes(minutes)
                .cache_refresh_margin(margin)
                .build()
        };
        assert!(at(2, Duration::from_secs(119)).is_ok());
        for (minutes, margin) in [
            (2, Duration::from_secs(120)),
            (1, Duration::from_secs(3600)),
        ] {
            assert!(
                matches!(at(minutes, margin), Err(ConfigError::Inconsistent(_))),
                "{minutes} {margin:?}"
            );
        }
    }

    #[test]
    fn builder_debug_hides_the_password() {
        assert!(!format!("{:?}", builder()).contains("pa55-w0rd"));
    }
}
