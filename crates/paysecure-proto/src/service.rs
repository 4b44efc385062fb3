//! One shape for every PaySecure operation: [`Service`] declares the route, whether a repeat
//! is harmless, the request and response DTOs, and the member success requires.
//!
//! | service | idempotent | after an unknown outcome | success requires |
//! |---|---|---|---|
//! | [`CreateKey`] | yes: a second key is independent | retry | `KeyId` |
//! | [`TokenizeCard`] | no | never resend the card blindly; tokenize again later (a token is per card) | `CardToken` |
//! | [`PsBinCheck`] | yes: read-only | retry | nothing but a success `ErrorCode` |
//! | [`TransactionStatus`] | yes: read-only | retry | nothing but a success `ErrorCode` |
//! | [`Initiate`] | no: a second transaction | ask [`TransactionStatus`] by `ReferenceKey` | `TranId` |
//! | [`PreAuthCapture`] | no: may capture twice | ask [`TransactionStatus`] by `TranId` | nothing (DTO not published) |
//! | [`PreAuthVoid`] | no | ask [`TransactionStatus`] | nothing but a success `ErrorCode` |
//! | [`Reverse`] | no | ask [`TransactionStatus`] | nothing (DTO not published) |
//!
//! Not declared, because PaySecure publishes too little to build them without inventing
//! members: `PreAuthorize` (request fields not found; only a TypeScript page survives),
//! `PinDebit` (`AuthorizePinDebitRequest` fields not found), `IPDAuthorize` and
//! `IncrementalAuthorization` (the routes exist; request and response fields not found), and
//! any card refund or credit (no `/Refund`, `RefundRequest` or `CreditRequest` exists; only
//! ACH, EBT and POS-cardless refunds do).

use core::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::lifecycle::{
    InitiateRequest, InitiateResponse, PreAuthCaptureRequest, PreAuthCaptureResponse,
    PreAuthVoidRequest, PreAuthVoidResponse, PsBinCheckRequest, PsBinCheckResponse, ReverseRequest,
    ReverseResponse, TransactionStatusRequest, TransactionStatusResponse,
};
use crate::messages::{
    CreateKeySession, CreateKeySessionRequest, TokenizeCardRequest, TokenizeCardResponse,
};

/// A PaySecure Pinless operation. Implemented by marker types ([`CreateKey`],
/// [`TokenizeCard`]); codecs, clients and servers are generic over it.
pub trait Service {
    /// The route appended to the base URL, `/` and the ServiceStack operation name
    /// (`/CreateKey`).
    const ROUTE: &'static str;
    /// `true` when sending the request again is harmless (a second `CreateKey` makes a second,
    /// independent key); `false` when a request that may have been sent must never be sent
    /// again (`TokenizeCard`, the money-moving calls: resolve those with
    /// [`TransactionStatus`]). `paygate-client` reads it as its `Idempotency`.
    const IDEMPOTENT: bool;
    /// The wire name of the member an answer cannot do without (`KeyId`, `CardToken`,
    /// `TranId`), for error messages; [`Service::required`] reads it. `None` when a success
    /// `ErrorCode` is enough.
    const REQUIRED: Option<&'static str>;
    /// The request DTO.
    type Request: Serialize + DeserializeOwned + Debug;
    /// The response DTO.
    type Response: Answer + Serialize + DeserializeOwned + Debug;

    /// The value of [`Service::REQUIRED`] in `response` (never asked when it is `None`).
    fn required(_response: &Self::Response) -> Option<&str> {
        None
    }

    /// The operation name, [`Service::ROUTE`] without its `/` (`CreateKey`), for logs.
    #[must_use]
    fn name() -> &'static str {
        Self::ROUTE.trim_start_matches('/')
    }
}

/// What every PaySecure response carries (they derive from `PaysecureResponseInternal`): the
/// in-band error a codec judges.
pub trait Answer {
    /// `ErrorCode`.
    fn error_code(&self) -> Option<&str>;
    /// `ErrorMessage`.
    fn error_message(&self) -> Option<&str>;
}

macro_rules! answer {
    ($($response:ty),* $(,)?) => {$(
        impl Answer for $response {
            fn error_code(&self) -> Option<&str> {
                self.error_code.as_deref()
            }
            fn error_message(&self) -> Option<&str> {
                self.error_message.as_deref()
            }
        }
    )*};
}

answer!(
    CreateKeySession,
    TokenizeCardResponse,
    PsBinCheckResponse,
    TransactionStatusResponse,
    InitiateResponse,
    PreAuthVoidResponse,
);

/// `POST /CreateKey`: a card-encryption key.
#[derive(Debug, Clone, Copy)]
pub struct CreateKey;

impl Service for CreateKey {
    const ROUTE: &'static str = "/CreateKey";
    const IDEMPOTENT: bool = true;
    const REQUIRED: Option<&'static str> = Some("KeyId");
    type Request = CreateKeySessionRequest;
    type Response = CreateKeySession;

    fn required(response: &CreateKeySession) -> Option<&str> {
        response.key_id.as_deref()
    }
}

/// `POST /TokenizeCard`: a token for encrypted card data.
#[derive(Debug, Clone, Copy)]
pub struct TokenizeCard;

impl Service for TokenizeCard {
    const ROUTE: &'static str = "/TokenizeCard";
    const IDEMPOTENT: bool = false;
    const REQUIRED: Option<&'static str> = Some("CardToken");
    type Request = TokenizeCardRequest;
    type Response = TokenizeCardResponse;

    fn required(response: &TokenizeCardResponse) -> Option<&str> {
        response.card_token.as_deref()
    }
}

/// `POST /PSBINCheck`: what cards of a BIN can be used for. Read-only, so idempotent.
#[derive(Debug, Clone, Copy)]
pub struct PsBinCheck;

impl Service for PsBinCheck {
    const ROUTE: &'static str = "/PSBINCheck";
    const IDEMPOTENT: bool = true;
    const REQUIRED: Option<&'static str> = None;
    type Request = PsBinCheckRequest;
    type Response = PsBinCheckResponse;
}

/// `POST /TransactionStatus`: a transaction by any of its four identifiers. Read-only, so
/// idempotent: the way to resolve an unknown outcome of the other calls.
#[derive(Debug, Clone, Copy)]
pub struct TransactionStatus;

impl Service for TransactionStatus {
    const ROUTE: &'static str = "/TransactionStatus";
    const IDEMPOTENT: bool = true;
    const REQUIRED: Option<&'static str> = None;
    type Request = TransactionStatusRequest;
    type Response = TransactionStatusResponse;
}

/// `POST /Initiate`: starts a transaction. Not idempotent (a repeat makes a second one):
/// after an unknown outcome ask [`TransactionStatus`] by `ReferenceKey`.
#[derive(Debug, Clone, Copy)]
pub struct Initiate;

impl Service for Initiate {
    const ROUTE: &'static str = "/Initiate";
    const IDEMPOTENT: bool = false;
    const REQUIRED: Option<&'static str> = Some("TranId");
    type Request = InitiateRequest;
    type Response = InitiateResponse;

    fn required(response: &InitiateResponse) -> Option<&str> {
        response.tran_id.as_deref()
    }
}

/// `POST /PreAuthCapture`: completes an authorisation. Not idempotent (moves money): after an
/// unknown outcome ask [`TransactionStatus`]. Its response DTO is not published
/// ([`crate::UnpublishedResponse`]).
#[derive(Debug, Clone, Copy)]
pub struct PreAuthCapture;

impl Service for PreAuthCapture {
    const ROUTE: &'static str = "/PreAuthCapture";
    const IDEMPOTENT: bool = false;
    const REQUIRED: Option<&'static str> = None;
    type Request = PreAuthCaptureRequest;
    type Response = PreAuthCaptureResponse;
}

/// `POST /PreAuthVoid`: cancels an uncaptured authorisation. Not idempotent: after an unknown
/// outcome ask [`TransactionStatus`].
#[derive(Debug, Clone, Copy)]
pub struct PreAuthVoid;

impl Service for PreAuthVoid {
    const ROUTE: &'static str = "/PreAuthVoid";
    const IDEMPOTENT: bool = false;
    const REQUIRED: Option<&'static str> = None;
    type Request = PreAuthVoidRequest;
    type Response = PreAuthVoidResponse;
}

/// `POST /Reverse`: undoes a transaction in full. Not idempotent: after an unknown outcome
/// ask [`TransactionStatus`]. Its response DTO is not published
/// ([`crate::UnpublishedResponse`]).
#[derive(Debug, Clone, Copy)]
pub struct Reverse;

impl Service for Reverse {
    const ROUTE: &'static str = "/Reverse";
    const IDEMPOTENT: bool = false;
    const REQUIRED: Option<&'static str> = None;
    type Request = ReverseRequest;
    type Response = ReverseResponse;
}
