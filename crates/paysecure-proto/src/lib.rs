//! PaySecure Pinless Web Services as Rust types: the `CreateKey` and `TokenizeCard` DTOs,
//! ServiceStack's `ResponseStatus`, WCF dates, secret-safe credentials, and encryption of card
//! data with the RSA key a `CreateKey` session returns.
//!
//! # Design
//! - Data and validation only: no I/O, no HTTP types, no wire format. The JSON rules live in
//!   `paysecure-codec`; the transport in `paygate-client`.
//! - Validation in constructors: [`RequestorCredentials::new`] requires its four members,
//!   [`card::Pan::new`] checks digits, length and Luhn, [`WcfDate::parse`] follows the
//!   `/Date(ms[±HHMM])/` pattern exactly and keeps the suffix so dates re-encode byte for byte.
//! - Secrets ([`Password`], [`card::Pan`], [`card::Cvn`]) are redacted in `Debug`/`Display`,
//!   absent from every error, and zeroized on drop.
//! - Time is an input: [`card::CardEncryptionKey`] is told when it was issued and answers
//!   `is_expired(now)`; nothing here reads the clock.
//!
//! # Quick start
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use paysecure_proto::{CreateKeySessionRequest, Password, RequestorCredentials};
//! use paysecure_proto::card::{CardEncryptionKey, KeyEncoding, Output, Padding, Pan};
//!
//! // What to send to POST /CreateKey.
//! let credentials = RequestorCredentials::new("merchant-1", "api-user", Password::new("pw"), "1.0")?;
//! let request = CreateKeySessionRequest::new(credentials, Some(15));
//! assert!(!format!("{request:?}").contains("\"pw\""));
//!
//! // What came back (normally decoded by paysecure-codec); here a session with a test key.
//! # let session = paysecure_proto::CreateKeySession {
//! #     key_id: Some("key-1".into()),
//! #     modulus: Some(format!("C{}", "F".repeat(510)) + "1"),
//! #     exponent: Some("010001".into()),
//! #     ..Default::default()
//! # };
//! let issued_at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let key = CardEncryptionKey::from_session(&session, KeyEncoding::Auto, issued_at)?.with_ttl_minutes(15);
//! assert!(!key.is_expired(issued_at + Duration::from_secs(60)));
//!
//! let pan = Pan::new("4111 1111 1111 1111")?;
//! let encrypted = key.encrypt_pan(&pan, Padding::Pkcs1v15, Output::Base64)?;
//! assert_eq!(encrypted.key_id, "key-1");
//! assert_eq!(encrypted.ciphertext.len(), 344); // 2048-bit ciphertext in base64
//! # let _ = SystemTime::now;
//! # Ok::<(), paysecure_proto::Error>(())
//! ```
//!
//! # Crate features
//! - `time` (off by default): [`WcfDate::to_offset_date_time`] and
//!   `TryFrom<time::OffsetDateTime> for WcfDate`.
// Without the feature the method has no page: point the link at the feature list.
#![cfg_attr(
    not(feature = "time"),
    doc = "\n\n[`WcfDate::to_offset_date_time`]: #crate-features"
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod card;
mod credentials;
mod date;
mod error;
mod messages;

pub use credentials::{Password, RequestorCredentials};
pub use date::{DateKind, WcfDate, WcfOffset};
pub use error::{CardDataProblem, Error};
pub use messages::{
    CardExpiration, CreateKeySession, CreateKeySessionRequest, InOutTimes, ResponseError,
    ResponseStatus, Timestamps, TokenizeCardRequest, TokenizeCardResponse,
};
