//! The Payneteasy client: every [`Operation`] of `payneteasy-proto` (the v2 payment commands
//! checked by a SHA-1 `control`, the v4 commands signed with OAuth), the asynchronous model
//! (waiting for a final status), JSON mode, and the callback checks.
//!
//! Built from the sans-IO layers: [`payneteasy_codec`] writes the form request (OAuth-signed
//! for v4 operations, with a SHA-1 `control` for v2 ones) and judges the answer,
//! [`oauth1_signer`] signs (RSA-SHA256 with the merchant's key), and the shared [`Transport`]
//! moves the bytes. This module adds the nonce and the clock, retries, tracing and the mapping
//! of [`DecodeError`] onto the client's dispatch-state [`Error`] (one function,
//! `map_decode_error`, for every operation).
//!
//! # Commands
//! [`PayneteasyClient::execute`] sends any operation: `execute::<Sale>(&endpoint, &request)`,
//! `execute::<MakeRebillSale>(…)`, `execute::<Return>(…)`… (the list is
//! `payneteasy_proto::for_each_operation!`; the commands the specification leaves without a
//! field list, such as v4 `transfer` and `payout`, are not modelled, see `payneteasy-proto`).
//! A v2 operation ([`Auth::Control`]) needs the merchant control key
//! ([`PayneteasyConfigBuilder::control_key`]); without it the call fails before sending with
//! [`Error::NotSent`] and [`NotSentReason::Configuration`]. The key never appears in `Debug`,
//! logs or errors. Retries follow each operation's declared [`Operation::IDEMPOTENCY`]: the
//! payments (`sale`, `capture`, `return`, `make-rebill-*`…) are never resent after an unknown
//! outcome; `status`, `create-card-ref` and `get-card-info` are.
//!
//! # Waiting for the outcome
//! A payment answers `async-response` (`processing`); its outcome comes from `status`.
//! [`PayneteasyClient::waiter`] / [`PayneteasyClient::wait_for_status`] poll it with the
//! documented cadence ([`PollSchedule`]), bounded by a deadline and cancellable (drop the
//! future), and return a [`WaitOutcome`]: the final status, or a [`NextAction`] for the payer
//! (`html` to show, a `redirect-to` URL, or for the form commands the `redirect-url`). See
//! [`StatusWaiter`].
//!
//! # JSON mode
//! [`PayneteasyConfigBuilder::json_mode`] sends `Accept: application/vnd.pay+json` and reads
//! the JSON answers with [`json::decode_json_response`]: values the gateway sends as numbers
//! become text, a missing `type` is the command's, and a rejection that arrives as HTTP 4xx
//! with a JSON body is [`Error::Rejected`] (not processed, like a form `validation-error`),
//! not a transport error. The answer is classified by its content type first, so a form
//! answer still reads. Form mode (the gateway's default) stays the default; answers are read
//! by their content type in both modes, so a JSON answer to a form request (the
//! `tokenize/create-ephemeral-ticket` answer is JSON only) is read too.
//!
//! # Callbacks and the payer's return
//! [`PayneteasyClient::confirm_callback`] and [`PayneteasyClient::confirm_customer_return`]
//! verify the `control` of a server callback or a customer return with the control key, then
//! ask `status` for the order, so the merchant acts on the gateway's answer
//! ([`Confirmation`]), never on the callback alone. The `paygate` crate's
//! `payneteasy_callbacks` example serves such an endpoint.
//!
//! # Answers
//!
//! | answer | result |
//! |---|---|
//! | HTTP 200, `type` = the command's response type | `Ok(response)`, **declines included** |
//! | HTTP 200, `type=validation-error` | [`Error::Rejected`], [`RejectionKind::Validation`] |
//! | HTTP 200, `type=error` | [`Error::Rejected`], [`RejectionKind::Processing`] |
//! | HTTP 401/403 (the "Access is denied" page) | [`Error::AuthenticationRefused`] with an excerpt |
//! | any other HTTP status | [`Error::ResponseUnreadable`], [`UnreadableReason::UnexpectedStatus`] (excerpt and `Retry-After` kept) |
//! | HTTP 200, not a form / no `type` / a duplicate field / bad UTF-8 or escapes / another `type` | [`Error::ResponseUnreadable`], [`UnreadableReason::Malformed`] |
//! | body over the limit | [`Error::ResponseUnreadable`], [`UnreadableReason::TooLarge`] |
//! | JSON mode: HTTP 4xx with a JSON `error-message` / `error-code` | [`Error::Rejected`], [`RejectionKind::Validation`] (or the `type` it carries) |
//! | JSON mode: HTTP 200, not a JSON object (truncated, HTML, invalid UTF-8) | [`Error::ResponseUnreadable`], [`UnreadableReason::Malformed`] |
//!
//! The rejection's `reference` is the gateway's `serial-number` (quote it to support).
//!
//! # Declines are not errors
//! A decoded response whose `status` is `declined`, `filtered` or `error` is returned as
//! `Ok`: the gateway processed the request and answered it. The caller decides what a decline
//! means for its business (look at [`Status::is_final`](payneteasy_proto::Status::is_final) and
//! [`Status::is_approved`](payneteasy_proto::Status::is_approved), and at
//! `error-code` / `error-message` of the response). `processing` and unknown statuses are not
//! final: ask [`PayneteasyClient::status`] again later (the documentation suggests every
//! 3–5 s for 5 minutes, then every 5–10 minutes up to an hour).
//!
//! # Signing and retries
//! Every attempt is signed afresh with a new nonce ([`oauth1_signer::generate_nonce`]) and the
//! current time: a signed request is never sent twice, because the gateway refuses a replayed
//! nonce. Whether an operation is retried follows its declared
//! [`Operation::IDEMPOTENCY`] (see [`crate::retry`]); `create-card-ref` and `status` are
//! idempotent.
//!
//! # Tracing
//! One `payneteasy` span per attempt with `gateway`, `command`, `endpoint` and `attempt`. No
//! key, no `Authorization` header and no body is ever recorded.
//!
//! # Secrets in answers
//! The `Authorization` header of a signed request is marked sensitive (its `Debug` shows
//! `Sensitive`). An answer that echoes the header, the `oauth_signature` (for PLAINTEXT, the
//! key itself) or card data of the body has them replaced by [`crate::redact::REDACTED`] in
//! the error it becomes.
//!
//! # Example
//! ```no_run
//! use std::sync::Arc;
//! use oauth1_signer::RsaPrivateKey;
//! use paygate_client::payneteasy::{PayneteasyClient, PayneteasyConfig};
//! use paygate_client::{Transport, TransportConfig};
//! use payneteasy_proto::{CreateCardRefRequest, Endpoint, Environment};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = RsaPrivateKey::from_pem(&std::fs::read_to_string("merchant-private.pem")?)?;
//! let config = PayneteasyConfig::builder(Environment::Sandbox, "MyLogin", Arc::new(key)).build()?;
//! let client = PayneteasyClient::new(config, Transport::new(TransportConfig::default())?);
//! let request = CreateCardRefRequest::new("34T43R77N", "6868305")?;
//! let response = client.create_card_ref(&Endpoint::Id(39915), &request).await?;
//! if response.status.is_approved() {
//!     println!("card reference {:?}", response.card_ref_id);
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use oauth1_signer::SigningKey;
use payneteasy_codec::{DecodeError, DecodeLimits, EncodedRequest, GatewayErrorKind, json};
use payneteasy_proto::{
    Auth, ControlKey, CreateCardRef, CreateCardRefRequest, CreateCardRefResponse, Endpoint,
    Environment, Operation, StatusCommand, StatusRequest, StatusResponse, StatusV2,
    StatusV2Request,
};
use tracing::Instrument as _;

use crate::error::{Error, Gateway, NotSentReason, Rejection, RejectionKind, UnreadableReason};
use crate::redact::{Redactor, echoed_secret_error, redacted_response};
use crate::retry::{Idempotency, RetryPolicy};
use crate::transport::{CallBudget, ConfigError, Transport};
use crate::with_retries;

mod confirm;
mod wait;
pub use confirm::{ConfirmError, Confirmation};
pub use wait::{
    MAX_WAIT, NextAction, PollSchedule, PollScheduleBuilder, StatusQuery, StatusWaiter, WaitOutcome,
};

/// The longest merchant login a [`PayneteasyConfigBuilder`] accepts, in characters: the bound
/// the protocol types apply to every identifier ([`payneteasy_proto::MAX_ID_CHARS`], which also
/// checks the `login` body field of v2 requests).
pub const MAX_LOGIN_CHARS: usize = payneteasy_proto::MAX_ID_CHARS;

/// Settings of a [`PayneteasyClient`], made by [`PayneteasyConfig::builder`] (validated).
///
/// ```
/// use std::sync::Arc;
/// use paygate_client::{ConfigError, PayneteasyConfig, RetryPolicy};
/// use payneteasy_proto::Environment;
///
/// let key = Arc::new(oauth1_signer::HmacKey::new("secret", ""));
/// let config = PayneteasyConfig::builder(Environment::Sandbox, "MyLogin", key.clone())
///     .send_login(true)
///     .retry(RetryPolicy::builder().max_attempts(2).build()?)
///     .build()?;
/// assert_eq!(config.login(), "MyLogin");
/// assert!(PayneteasyConfig::builder(Environment::Sandbox, "", key).build().is_err());
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct PayneteasyConfig {
    environment: Environment,
    login: String,
    key: Arc<dyn SigningKey>,
    send_login: bool,
    control_key: Option<ControlKey>,
    json_mode: bool,
    retry: RetryPolicy,
    limits: DecodeLimits,
}

impl PayneteasyConfig {
    /// A builder for this environment, login and key; the other settings start at their
    /// defaults: no `login` in the body, no control key, the default [`RetryPolicy`] and
    /// [`DecodeLimits`]. [`build`](PayneteasyConfigBuilder::build) validates.
    ///
    /// - `environment`: [`Environment::Sandbox`], [`Environment::Production`], or a custom
    ///   base URL up to the API version (white-label hosts, the paygate sandbox);
    /// - `login`: the merchant login, sent as `oauth_consumer_key`;
    /// - `key`: the merchant's private key (normally an [`oauth1_signer::RsaPrivateKey`]; any
    ///   [`SigningKey`], such as an HSM adapter, fits). Never printed.
    pub fn builder(
        environment: Environment,
        login: impl Into<String>,
        key: Arc<dyn SigningKey>,
    ) -> PayneteasyConfigBuilder {
        PayneteasyConfigBuilder(PayneteasyConfig {
            environment,
            login: login.into(),
            key,
            send_login: false,
            control_key: None,
            json_mode: false,
            retry: RetryPolicy::default(),
            limits: DecodeLimits::default(),
        })
    }

    /// A builder starting from these settings (to change one of them).
    pub fn to_builder(&self) -> PayneteasyConfigBuilder {
        PayneteasyConfigBuilder(self.clone())
    }

    /// Which installation the client talks to.
    #[must_use]
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The merchant login: sent as `oauth_consumer_key`.
    #[must_use]
    pub fn login(&self) -> &str {
        &self.login
    }

    /// The merchant's signing key.
    #[must_use]
    pub fn key(&self) -> &Arc<dyn SigningKey> {
        &self.key
    }

    /// Whether `login` is also sent in the body of `create-card-ref`.
    #[must_use]
    pub fn send_login(&self) -> bool {
        self.send_login
    }

    /// The merchant control key of v2 operations, if any.
    #[must_use]
    pub fn control_key(&self) -> Option<&ControlKey> {
        self.control_key.as_ref()
    }

    /// Whether answers are asked for in JSON (`Accept: application/vnd.pay+json`); see
    /// [`PayneteasyConfigBuilder::json_mode`].
    #[must_use]
    pub fn json_mode(&self) -> bool {
        self.json_mode
    }

    /// When to retry.
    #[must_use]
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Bounds applied when decoding answers.
    #[must_use]
    pub fn limits(&self) -> &DecodeLimits {
        &self.limits
    }
}

impl fmt::Debug for PayneteasyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayneteasyConfig")
            .field("environment", &self.environment)
            .field("login", &self.login)
            .field("key", &format_args!("<{}>", self.key.method()))
            .field("send_login", &self.send_login)
            .field("control_key", &self.control_key)
            .field("json_mode", &self.json_mode)
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Builds a [`PayneteasyConfig`]: [`PayneteasyConfig::builder`] takes the required settings,
/// the methods here the optional ones. [`build`](Self::build) validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct PayneteasyConfigBuilder(PayneteasyConfig);

impl PayneteasyConfigBuilder {
    /// Also send `login` in the body of `create-card-ref` (signed like every body field).
    /// Default `false`: the v4 pages put the login only in `oauth_consumer_key`.
    pub fn send_login(mut self, send: bool) -> Self {
        self.0.send_login = send;
        self
    }

    /// The merchant control key, for v2 operations (a `control` checksum instead of OAuth).
    /// Without it (the default) v2 operations are refused before sending. Never printed.
    pub fn control_key(mut self, key: ControlKey) -> Self {
        self.0.control_key = Some(key);
        self
    }

    /// JSON mode: send `Accept: application/vnd.pay+json` ([`json::JSON_ACCEPT`]) and read
    /// the JSON answers ([`json::decode_json_response`]). Requests stay form-encoded. A
    /// rejection then arrives as HTTP 4xx with a JSON body and is still a gateway answer
    /// ([`Error::Rejected`], not a transport error); values the gateway sends as numbers
    /// (`paynet-order-id`, `error-code`) are read as text, and a form answer is still read.
    /// Default `false`: the form mode, the gateway's default (`Accept: */*`). In both modes an
    /// answer is read by its content type (a JSON answer as JSON, any other as a form).
    pub fn json_mode(mut self, json: bool) -> Self {
        self.0.json_mode = json;
        self
    }

    /// When to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.0.retry = retry;
        self
    }

    /// Bounds applied when decoding answers (default [`DecodeLimits::default`]).
    pub fn limits(mut self, limits: DecodeLimits) -> Self {
        self.0.limits = limits;
        self
    }

    /// The configuration.
    ///
    /// # Errors
    /// [`ConfigError::InvalidText`] for a login that is empty, longer than
    /// [`MAX_LOGIN_CHARS`] characters or holds a control character (it would break the
    /// `Authorization` header or the body form).
    pub fn build(self) -> Result<PayneteasyConfig, ConfigError> {
        check_login(&self.0.login)?;
        Ok(self.0)
    }
}

// The refusal's text names the bound.
const _: () = assert!(MAX_LOGIN_CHARS == 128);

/// The login rules: non-empty, at most [`MAX_LOGIN_CHARS`] characters, no control character.
fn check_login(login: &str) -> Result<(), ConfigError> {
    let invalid = |reason| ConfigError::InvalidText {
        setting: "login",
        reason,
    };
    if login.is_empty() {
        return Err(invalid("is empty"));
    }
    if login.chars().count() > MAX_LOGIN_CHARS {
        return Err(invalid("is longer than 128 characters (MAX_LOGIN_CHARS)"));
    }
    if login.chars().any(char::is_control) {
        return Err(invalid("contains a control character"));
    }
    Ok(())
}

/// The Payneteasy client (v2 and v4 operations). Cheap to clone; clones share the transport.
#[derive(Clone)]
pub struct PayneteasyClient {
    transport: Transport,
    config: Arc<PayneteasyConfig>,
}

impl fmt::Debug for PayneteasyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayneteasyClient")
            .field("config", &self.config)
            .field("transport", &self.transport)
            .finish()
    }
}

impl PayneteasyClient {
    /// A client over an existing transport (share one transport between clients).
    #[must_use]
    pub fn new(config: PayneteasyConfig, transport: Transport) -> Self {
        PayneteasyClient {
            transport,
            config: Arc::new(config),
        }
    }

    crate::with_transport_config!(PayneteasyConfig);

    /// The settings in force.
    #[must_use]
    pub fn config(&self) -> &PayneteasyConfig {
        &self.config
    }

    /// The transport in use.
    #[must_use]
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// `create-card-ref`: a card reference for recurring payments from a first payment in a
    /// final status. Idempotent: the gateway keys it by the first payment's order ids.
    ///
    /// With [`PayneteasyConfig::send_login`], `login` is added to the body unless the request
    /// already carries one.
    ///
    /// # Errors
    /// As [`Self::execute`]. A decline is **not** an error: check `response.status`.
    pub async fn create_card_ref(
        &self,
        endpoint: &Endpoint,
        request: &CreateCardRefRequest,
    ) -> Result<CreateCardRefResponse, Error> {
        if self.config.send_login && request.login().is_none() {
            let with_login = request
                .clone()
                .with_login(self.config.login.as_str())
                .map_err(|e| Error::not_sent(NotSentReason::InvalidRequest, e))?;
            return self.execute::<CreateCardRef>(endpoint, &with_login).await;
        }
        self.execute::<CreateCardRef>(endpoint, request).await
    }

    /// v4 `status`: the current state of an order. A read, so idempotent.
    ///
    /// # Errors
    /// As [`Self::execute`].
    pub async fn status(
        &self,
        endpoint: &Endpoint,
        request: &StatusRequest,
    ) -> Result<StatusResponse, Error> {
        self.execute::<StatusCommand>(endpoint, request).await
    }

    /// v2 `status`, checked by `control` with [`PayneteasyConfig::control_key`].
    ///
    /// # Errors
    /// As [`Self::execute`].
    pub async fn status_v2(
        &self,
        endpoint: &Endpoint,
        request: &StatusV2Request,
    ) -> Result<StatusResponse, Error> {
        self.execute::<StatusV2>(endpoint, request).await
    }

    /// Builds one request of operation `O` now (for OAuth operations: signed with a fresh
    /// nonce and the current time), ready for [`Transport::send`]. [`Self::execute`] does this
    /// for every attempt; use it directly to inspect or log what would be sent.
    ///
    /// # Errors
    /// [`Error::NotSent`]: [`NotSentReason::Signing`] when no nonce can be drawn or the key
    /// fails, [`NotSentReason::InvalidRequest`] for an unusable login, URL or amount,
    /// [`NotSentReason::Configuration`] for a v2 operation without a control key.
    pub fn sign_request<O: Operation>(
        &self,
        endpoint: &Endpoint,
        request: &O::Request,
    ) -> Result<http::Request<Bytes>, Error> {
        Ok(self.encode::<O>(endpoint, request)?.0)
    }

    /// The request of one attempt and the secrets it carries (to redact from answers), with
    /// the `Accept` header of the configured mode.
    fn encode<O: Operation>(
        &self,
        endpoint: &Endpoint,
        request: &O::Request,
    ) -> Result<(http::Request<Bytes>, Redactor), Error> {
        let (mut http, redactor) = self.encode_form::<O>(endpoint, request)?;
        if self.config.json_mode {
            http.headers_mut().insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static(json::JSON_ACCEPT),
            );
        }
        Ok((http, redactor))
    }

    /// The form request of one attempt, as the codec builds it.
    fn encode_form<O: Operation>(
        &self,
        endpoint: &Endpoint,
        request: &O::Request,
    ) -> Result<(http::Request<Bytes>, Redactor), Error> {
        let not_sent = |e: payneteasy_codec::EncodeError| {
            let reason = match e {
                payneteasy_codec::EncodeError::Signing(_) => NotSentReason::Signing,
                _ => NotSentReason::InvalidRequest,
            };
            Error::not_sent(reason, e)
        };
        if let Auth::Control(_) = O::AUTH {
            let Some(key) = &self.config.control_key else {
                return Err(Error::not_sent(
                    NotSentReason::Configuration,
                    "a v2 operation needs the merchant control key (PayneteasyConfig::control_key)",
                ));
            };
            let http = payneteasy_codec::encode_control_request::<O>(
                &self.config.environment,
                endpoint,
                request,
                key,
            )
            .map_err(not_sent)?;
            return Ok((http, card_secrets::<O>(request, Redactor::new())));
        }
        let nonce = oauth1_signer::generate_nonce()
            .map_err(|e| Error::not_sent(NotSentReason::Signing, e))?;
        let timestamp = oauth1_signer::unix_timestamp_now();
        let encoded = payneteasy_codec::encode_request::<O>(
            &self.config.environment,
            endpoint,
            request,
            &self.config.login,
            self.config.key.as_ref(),
            &nonce,
            timestamp,
        )
        .map_err(not_sent)?;
        let redactor = card_secrets::<O>(request, signature_secrets(&encoded));
        Ok((encoded.request, redactor))
    }

    /// Sends operation `O` to `endpoint` and decodes the answer, retrying as
    /// [`PayneteasyConfig::retry`] allows for an operation of its declared
    /// [`Operation::IDEMPOTENCY`]. Every attempt is built (and signed) afresh.
    ///
    /// # Errors
    /// See the [module table](self): [`Error::NotSent`] (signing, bad URL, connect failure,
    /// no control key for a v2 operation), [`Error::MaybeSent`] (timeout, connection lost),
    /// [`Error::ResponseUnreadable`], [`Error::AuthenticationRefused`], [`Error::Rejected`].
    pub async fn execute<O: Operation>(
        &self,
        endpoint: &Endpoint,
        request: &O::Request,
    ) -> Result<O::Response, Error> {
        let endpoint_text = endpoint.to_string();
        let idempotency = match O::IDEMPOTENCY {
            payneteasy_proto::Idempotency::Idempotent => Idempotency::Idempotent,
            _ => Idempotency::NotIdempotent,
        };
        with_retries(&self.config.retry, idempotency, |budget, attempt| {
            let span = tracing::info_span!(
                "payneteasy",
                gateway = %Gateway::Payneteasy,
                command = O::PATH,
                version = O::VERSION.as_str(),
                endpoint = %endpoint_text,
                attempt
            );
            async move { self.attempt::<O>(endpoint, request, budget).await }.instrument(span)
        })
        .await
    }

    async fn attempt<O: Operation>(
        &self,
        endpoint: &Endpoint,
        request: &O::Request,
        budget: CallBudget,
    ) -> Result<O::Response, Error> {
        let (http_request, redactor) = self.encode::<O>(endpoint, request)?;
        let response = self.transport.send(http_request, Some(budget)).await?;
        let status = response.status().as_u16();
        let limits = &self.config.limits;
        // By content type first (R9), whatever was asked for: a JSON answer is read as JSON
        // (the ephemeral ticket is JSON only), anything else as a form.
        let decode = |response: &http::Response<Bytes>| {
            json::decode_json_http_response::<O>(response, limits)
        };
        let decoded = decode(&response).map_err(|e| {
            // An answer that echoes a secret sent is judged again with the secrets
            // redacted, so that no error value holds them.
            let error = match redacted_response(&response, &redactor) {
                None => map_decode_error(e, &response),
                Some(redacted) => match decode(&redacted) {
                    Err(e) => map_decode_error(e, &redacted),
                    Ok(_) => echoed_secret_error(&redacted),
                },
            };
            // Secrets nested in another encoding are found once decoded.
            error.redact(&redactor)
        });
        match &decoded {
            Ok(_) => tracing::debug!(http_status = status, "answered"),
            Err(e) => tracing::debug!(http_status = status, class = e.class(), "refused"),
        }
        decoded
    }
}

/// The secrets of a signed request: the `Authorization` header and its `oauth_signature`
/// value (for PLAINTEXT it is the key itself).
fn signature_secrets(encoded: &EncodedRequest) -> Redactor {
    let mut redactor = Redactor::new();
    for (name, value) in encoded.signed.oauth_parameters() {
        if name == "oauth_signature" {
            redactor.add_text(value);
        }
    }
    redactor.add_text(&encoded.signed.signature_base64());
    redactor.add_text(encoded.signed.authorization());
    redactor
}

/// Adds the card data of a request's body to `redactor` (the fields
/// [`payneteasy_proto::SECRET_FIELDS`] names), so that an answer echoing them never shows them.
fn card_secrets<O: Operation>(request: &O::Request, mut redactor: Redactor) -> Redactor {
    for (name, value) in payneteasy_codec::to_fields(request).unwrap_or_default() {
        // The secret field names are declared once, beside the card newtypes.
        if payneteasy_proto::is_secret_field(&name) {
            redactor.add_digits(&value);
        }
    }
    redactor
}

/// Maps a codec verdict on a received answer onto the client's [`Error`].
fn map_decode_error(error: DecodeError, response: &http::Response<Bytes>) -> Error {
    let status = response.status().as_u16();
    let unreadable =
        |reason, excerpt: Option<String>, error: DecodeError| Error::ResponseUnreadable {
            status: Some(status),
            reason,
            retry_after: crate::transport::parse_retry_after(response.headers()),
            excerpt,
            source: Some(Box::new(error)),
        };
    match error {
        DecodeError::AuthenticationRefused { status, excerpt } => Error::AuthenticationRefused {
            gateway: Gateway::Payneteasy,
            status,
            excerpt,
        },
        DecodeError::Gateway(refusal) => Error::Rejected(Rejection {
            gateway: Gateway::Payneteasy,
            kind: match refusal.kind {
                GatewayErrorKind::ValidationError => RejectionKind::Validation,
                _ => RejectionKind::Processing,
            },
            code: refusal.code,
            message: refusal.message,
            http_status: status,
            reference: refusal.serial_number,
        }),
        DecodeError::UnexpectedStatus { ref excerpt, .. } => {
            let excerpt = Some(excerpt.clone());
            unreadable(UnreadableReason::UnexpectedStatus, excerpt, error)
        }
        DecodeError::TooLarge { .. } => unreadable(UnreadableReason::TooLarge, None, error),
        DecodeError::NotAForm { ref excerpt, .. } => {
            let excerpt = Some(excerpt.clone());
            unreadable(UnreadableReason::Malformed, excerpt, error)
        }
        other => unreadable(UnreadableReason::Malformed, None, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(
        status: u16,
        headers: &[(&str, &str)],
        body: &'static str,
    ) -> http::Response<Bytes> {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Bytes::from_static(body.as_bytes())).unwrap()
    }

    fn decode(response: &http::Response<Bytes>) -> Result<CreateCardRefResponse, Error> {
        payneteasy_codec::decode_response::<CreateCardRef>(response, &DecodeLimits::default())
            .map_err(|e| map_decode_error(e, response))
    }

    #[test]
    fn decline_is_a_response() {
        let r = response(
            200,
            &[("content-type", "text/html;charset=utf-8")],
            "type=create-card-ref-response\n&serial-number=1\n&status=declined\n&error-code=5",
        );
        let decoded = decode(&r).unwrap();
        assert!(decoded.status.is_final() && !decoded.status.is_approved());
    }

    #[test]
    fn maps_every_class() {
        let cases: [(http::Response<Bytes>, &str); 7] = [
            (
                response(403, &[], "<html><p>Access is denied</p></html>"),
                "authentication_refused",
            ),
            (
                response(
                    200,
                    &[],
                    "type=validation-error\n&error-code=1\n&error-message=x\n&serial-number=s",
                ),
                "rejected",
            ),
            (response(200, &[], "type=error\n&error-code=2"), "rejected"),
            (
                response(503, &[("retry-after", "7")], "busy"),
                "response_unreadable",
            ),
            (response(200, &[], "<html>hi</html>"), "response_unreadable"),
            (response(200, &[], "status=approved"), "response_unreadable"),
            (response(200, &[], "type=x\n&type=y"), "response_unreadable"),
        ];
        for (r, class) in cases {
            assert_eq!(decode(&r).unwrap_err().class(), class, "{r:?}");
        }
        match decode(&response(
            200,
            &[],
            "type=error\n&error-code=2\n&serial-number=s1",
        )) {
            Err(Error::Rejected(r)) => {
                assert_eq!(r.kind, RejectionKind::Processing);
                assert_eq!(r.code.as_deref(), Some("2"));
                assert_eq!(r.reference.as_deref(), Some("s1"));
            }
            other => panic!("{other:?}"),
        }
        match decode(&response(200, &[], "type=validation-error\n&error-code=1")) {
            Err(Error::Rejected(r)) => assert_eq!(r.kind, RejectionKind::Validation),
            other => panic!("{other:?}"),
        }
        match decode(&response(503, &[("retry-after", "7")], "busy")) {
            Err(e @ Error::ResponseUnreadable { .. }) => {
                assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
                let Error::ResponseUnreadable {
                    reason, excerpt, ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!(reason, UnreadableReason::UnexpectedStatus);
                assert_eq!(excerpt.as_deref(), Some("busy"));
            }
            other => panic!("{other:?}"),
        }
        match decode(&response(403, &[], "<html><p>Access is denied</p></html>")) {
            Err(Error::AuthenticationRefused {
                status, excerpt, ..
            }) => {
                assert_eq!((status, excerpt.as_str()), (403, "Access is denied"));
            }
            other => panic!("{other:?}"),
        }
        let huge = response(200, &[], "type=create-card-ref-response\n&status=approved");
        let small = DecodeLimits::default().with_max_body_bytes(8);
        let e = payneteasy_codec::decode_response::<CreateCardRef>(&huge, &small).unwrap_err();
        assert!(matches!(
            map_decode_error(e, &huge),
            Error::ResponseUnreadable {
                reason: UnreadableReason::TooLarge,
                ..
            }
        ));
    }

    #[test]
    fn debug_hides_the_key() {
        let key = oauth1_signer::HmacKey::new("very-secret", "");
        let config = PayneteasyConfig::builder(Environment::Sandbox, "login", Arc::new(key))
            .control_key(ControlKey::new("control-secret-99").unwrap())
            .build()
            .unwrap();
        let text = format!("{config:?}");
        assert!(
            !text.contains("very-secret")
                && !text.contains("control-secret-99")
                && text.contains("HMAC-SHA1"),
            "{text}"
        );
        let builder = format!("{:?}", config.to_builder());
        assert!(
            !builder.contains("very-secret") && !builder.contains("control-secret-99"),
            "{builder}"
        );
    }

    fn build_with_login(login: &str) -> Result<PayneteasyConfig, ConfigError> {
        let key = Arc::new(oauth1_signer::HmacKey::new("k", ""));
        PayneteasyConfig::builder(Environment::Sandbox, login, key).build()
    }

    fn refused_because(login: &str) -> &'static str {
        match build_with_login(login) {
            Err(ConfigError::InvalidText {
                setting: "login",
                reason,
            }) => reason,
            other => panic!("{login:?}: {other:?}"),
        }
    }

    #[test]
    fn builder_refuses_an_empty_login() {
        assert_eq!(refused_because(""), "is empty");
    }

    #[test]
    fn builder_refuses_a_login_over_the_limit() {
        assert!(build_with_login(&"é".repeat(MAX_LOGIN_CHARS)).is_ok());
        let reason = refused_because(&"é".repeat(MAX_LOGIN_CHARS + 1));
        assert!(reason.contains("128"), "{reason}");
    }

    #[test]
    fn builder_refuses_control_characters_in_the_login() {
        for login in ["a\nb", "a\rb", "\0", "login\u{7f}", "tab\there"] {
            assert_eq!(refused_because(login), "contains a control character");
        }
        // The error does not quote the value.
        let err = build_with_login("secret\nlogin").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn builder_keeps_every_setting() {
        let key = Arc::new(oauth1_signer::HmacKey::new("k", ""));
        let retry = RetryPolicy::never(std::time::Duration::from_secs(3));
        let limits = DecodeLimits::default().with_max_body_bytes(99);
        let config = PayneteasyConfig::builder(Environment::Production, "Заказчик-1", key)
            .send_login(true)
            .control_key(ControlKey::new("ck").unwrap())
            .retry(retry.clone())
            .limits(limits)
            .build()
            .unwrap();
        assert_eq!(config.login(), "Заказчик-1");
        assert_eq!(config.environment(), &Environment::Production);
        assert!(config.send_login() && config.control_key().is_some());
        assert_eq!(config.retry(), &retry);
        assert_eq!(config.limits(), &limits);
        assert_eq!(
            config.key().method(),
            oauth1_signer::SignatureMethod::HmacSha1
        );
        let again = config.to_builder().send_login(false).build().unwrap();
        assert!(!again.send_login() && again.control_key().is_some());
    }
}
