//! One dependency for Payneteasy and PaySecure.
//!
//! `paygate` re-exports the layers of the workspace under one name, so an integration needs one
//! line in `Cargo.toml`:
//!
//! | module | what | from |
//! |---|---|---|
//! | crate root | the transport, its configuration, [`Error`] and its [`Outcome`], retries | `paygate-client` |
//! | [`payneteasy`] | the Payneteasy client, its operations, requests, responses, statuses, callback checks, and the wire codec as [`payneteasy::codec`] | `paygate-client`, `payneteasy-proto`, `payneteasy-codec` |
//! | [`paysecure`] | the PaySecure client, its DTOs and services, card data types, and the JSON codec and card encryption as [`paysecure::codec`] | `paygate-client`, `paysecure-proto`, `paysecure-codec` |
//! | [`oauth1`] | the OAuth 1.0a signer: key types (`RsaPrivateKey`, `RsaPublicKey`, `HmacKey`), signing and verification | `oauth1-signer` |
//! | [`sandbox`] (feature `sandbox`) | the embedded emulator of both gateways, for your integration tests | `paygate-sandbox` |
//!
//! The single crates stay available for those who want less (the signer alone, a codec without
//! tokio); the types are the same, so both can be mixed.
//!
//! # Quick start
//! Ask the embedded sandbox for the status of one of its seeded orders, the way you would ask
//! Payneteasy (swap the environment for [`payneteasy::Environment::Production`] and the key
//! for your own):
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use paygate::oauth1::RsaPrivateKey;
//! use paygate::payneteasy::{self, Endpoint, Environment, StatusRequest};
//! use paygate::sandbox::payneteasy::{
//!     APPROVED_CLIENT_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_PEM,
//! };
//! use paygate::sandbox::{PayneteasySandboxConfig, Sandbox};
//!
//! let sandbox = Sandbox::builder()
//!     .payneteasy(PayneteasySandboxConfig::default())
//!     .start()
//!     .await?;
//!
//! let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM)?;
//! let environment = Environment::custom(&sandbox.payneteasy_base_url())?;
//! let config = payneteasy::Config::builder(environment, TEST_MERCHANT_LOGIN, Arc::new(key))
//!     .build()?;
//! let client = payneteasy::Client::with_transport_config(config, Default::default())?;
//!
//! let request = StatusRequest::new(APPROVED_CLIENT_ORDERID)?;
//! match client.status(&Endpoint::Id(TEST_ENDPOINT_ID), &request).await {
//!     Ok(answer) => assert!(answer.status.is_approved()),
//!     Err(e) => match e.outcome() {
//!         paygate::Outcome::NotProcessed => panic!("nothing happened, safe to fix and resend: {e}"),
//!         paygate::Outcome::Processed => panic!("the gateway said no: {e}"),
//!         _ => panic!("unknown outcome, ask `status` again before acting: {e}"),
//!     },
//! }
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Crate features
//! - `payneteasy` (default): [`payneteasy`].
//! - `paysecure` (default): [`paysecure`].
//! - `sandbox`: [`sandbox`], the embedded emulator (pulls in the server side of hyper and
//!   certificate generation; keep it in `dev-dependencies`).
//! - `webpki-roots` (default): trust the Mozilla root set compiled into the binary.
//! - `native-roots`: trust the operating system's root certificates instead.
// Without a feature its module has no page: point the links at the feature list.
#![cfg_attr(not(feature = "sandbox"), doc = "\n\n[`sandbox`]: #crate-features")]
#![cfg_attr(
    not(feature = "payneteasy"),
    doc = "\n\n[`payneteasy`]: #crate-features\n[`payneteasy::codec`]: #crate-features\n[`payneteasy::Environment::Production`]: #crate-features"
)]
#![cfg_attr(
    not(feature = "paysecure"),
    doc = "\n\n[`paysecure`]: #crate-features\n[`paysecure::codec`]: #crate-features"
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use paygate_client::{
    CallBudget, ConfigError, Dispatch, Error, Gateway, Idempotency, MaybeSentReason, NotSentReason,
    Outcome, Rejection, RejectionKind, RetryPolicy, RetryPolicyBuilder, Roots, Transport,
    TransportConfig, TransportConfigBuilder, UnreadableReason, count_attempts, redact,
};

/// The OAuth 1.0a signer (`oauth1-signer`): key types, signing, verification, replay checks.
pub use oauth1_signer as oauth1;

/// Payneteasy: the client, its operations and messages, and the wire codec.
#[cfg(feature = "payneteasy")]
#[cfg_attr(docsrs, doc(cfg(feature = "payneteasy")))]
pub mod payneteasy {
    pub use paygate_client::payneteasy::{
        ConfirmError, Confirmation, MAX_LOGIN_CHARS, MAX_WAIT, NextAction,
        PayneteasyClient as Client, PayneteasyConfig as Config,
        PayneteasyConfigBuilder as ConfigBuilder, PollSchedule, PollScheduleBuilder, StatusQuery,
        StatusWaiter, WaitOutcome,
    };
    pub use payneteasy_proto::*;

    /// The sans-IO wire format (`payneteasy-codec`): signed requests, decoded answers.
    pub use payneteasy_codec as codec;
}

/// PaySecure: the client, its services and DTOs, the JSON codec and card encryption.
#[cfg(feature = "paysecure")]
#[cfg_attr(docsrs, doc(cfg(feature = "paysecure")))]
pub mod paysecure {
    pub use paygate_client::paysecure::{
        IssuedKey, MAX_CACHE_TTL_MINUTES, PaySecureClient as Client, PaySecureConfig as Config,
        PaySecureConfigBuilder as ConfigBuilder, PlainCard,
    };
    pub use paysecure_codec::card_crypto::CardEncryptionKey;
    pub use paysecure_proto::*;

    /// The sans-IO JSON codec and card encryption (`paysecure-codec`).
    pub use paysecure_codec as codec;
}

/// The embedded sandbox of both gateways (`paygate-sandbox`), for integration tests.
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub use paygate_sandbox as sandbox;

/// The Rust examples of the workspace README, compiled and run as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
