//! PaySecure Pinless Web Services as Rust types: the DTOs of `CreateKey`, `TokenizeCard`,
//! `PSBINCheck`, `TransactionStatus`, `Initiate`, `PreAuthCapture`, `PreAuthVoid` and
//! `Reverse`, ServiceStack's `ResponseStatus`, WCF dates, secret-safe credentials and card
//! data, and the [`Service`] trait that gives every operation one shape.
//!
//! The services, their idempotency and the services **left out** (each with the gap in
//! PaySecure's published metadata that keeps it out) are listed on [`Service`]'s module:
//! see [`PsBinCheck`] and its neighbours. Amounts are integers in **minor units**, an
//! inference from the published `int` type. Every enum is open: an unknown value keeps its
//! raw text ([`CardInfoType::Other`]). Answers whose DTO is not published
//! ([`PreAuthCaptureResponse`], [`ReverseResponse`]) decode only `ResponseStatus` and
//! `Timestamps` and keep every other member raw ([`UnpublishedResponse`]).
//!
//! # Design
//! - **Declared once.** Each DTO is a struct with serde derives; its wire names live in that
//!   declaration only (PascalCase, with `TTLInMinutes`, `DBInsert`, `DBUpdate`, `CardBIN`,
//!   `EncryptedCVN` spelled out). Members serialize in declaration order and `None` members are
//!   left out, as ServiceStack writes them. The JSON rules (case-insensitive names, `\/`
//!   escapes) live in `paysecure-codec`; the transport in `paygate-client`.
//! - **No I/O, no crypto.** Encrypting card data with the key of a `CreateKey` session is
//!   `paysecure_codec::card_crypto`; this crate needs no crypto library.
//! - **Validation in constructors and decoding:** [`RequestorCredentials::new`] (and
//!   deserializing one) requires its four members, [`card::Pan::new`] checks digits, length and
//!   Luhn, [`WcfDate::parse`] follows the `/Date(ms[±HHMM])/` pattern exactly and keeps the
//!   suffix so dates re-encode byte for byte.
//! - **Secrets** ([`Password`], [`card::Pan`], [`card::Cvn`]) are redacted in `Debug`/`Display`,
//!   absent from every error, and zeroized on drop. [`Password`] serializes its clear text:
//!   that is the wire.
//!
//! # Quick start
//! ```
//! use paysecure_proto::card::{CardExpiration, EncryptedCardData, Pan};
//! use paysecure_proto::{
//!     CreateKey, CreateKeySessionRequest, Password, RequestorCredentials, Service,
//!     TokenizeCardRequest,
//! };
//!
//! // What to send to POST /CreateKey.
//! let credentials = RequestorCredentials::new("merchant-1", "api-user", Password::new("pw"), "1.0")?;
//! let request = CreateKeySessionRequest::new(credentials, Some(15));
//! assert!(!format!("{request:?}").contains("\"pw\""));
//! assert_eq!((CreateKey::ROUTE, CreateKey::IDEMPOTENT), ("/CreateKey", true));
//!
//! // Card data is checked here and encrypted by paysecure-codec's card_crypto.
//! let pan = Pan::new("4111 1111 1111 1111")?;
//! assert_eq!(format!("{pan:?}"), "Pan(****1111)");
//! let encrypted = EncryptedCardData { key_id: "key-1".into(), ciphertext: "QUJD".into() };
//! let tokenize = TokenizeCardRequest::new(encrypted, CardExpiration::parse("1230")?, None, None)?;
//! assert_eq!(tokenize.key_id, "key-1");
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
mod enums;
mod error;
mod lifecycle;
mod messages;
mod raw;
#[doc(hidden)]
pub mod serde_support;
mod service;

pub use card::CardExpiration;
pub use credentials::{Password, RequestorCredentials};
pub use date::{DateKind, WcfDate, WcfOffset};
pub use enums::{CardInfoType, OriginalDataType, TelephoneType, TransType};
pub use error::{CardDataProblem, Error};
pub use lifecycle::{
    Avs, Card, CardAccountUpdaterDescriptor, ExtendedResponse, InitiateRequest, InitiateResponse,
    MerchantDataElements, MerchantDescriptor, OriginalTransaction, PreAuthCaptureRequest,
    PreAuthCaptureResponse, PreAuthVoidRequest, PreAuthVoidResponse, PsBinCheckRequest,
    PsBinCheckResponse, ReverseRequest, ReverseResponse, Transaction, TransactionStatusRequest,
    TransactionStatusResponse,
};
pub use messages::{
    CreateKeySession, CreateKeySessionRequest, ErrorResponse, InOutTimes, ResponseError,
    ResponseStatus, Timestamps, TokenizeCardRequest, TokenizeCardResponse,
};
pub use raw::{JsonValue, RawMembers, UnpublishedResponse};
pub use service::{
    Answer, CreateKey, Initiate, PreAuthCapture, PreAuthVoid, PsBinCheck, Reverse, Service,
    TokenizeCard, TransactionStatus,
};
