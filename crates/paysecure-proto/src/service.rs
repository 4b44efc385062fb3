//! One shape for every PaySecure operation: [`Service`] declares the route, whether a repeat
//! is harmless, the request and response DTOs, and the member success requires.

use core::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

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
    /// again (`TokenizeCard`).
    const IDEMPOTENT: bool;
    /// The wire name of the member an answer cannot do without (`KeyId`, `CardToken`), for
    /// error messages; [`Service::required`] reads it.
    const REQUIRED: &'static str;
    /// The request DTO.
    type Request: Serialize + DeserializeOwned + Debug;
    /// The response DTO.
    type Response: Answer + Serialize + DeserializeOwned + Debug;

    /// The value of [`Service::REQUIRED`] in `response`.
    fn required(response: &Self::Response) -> Option<&str>;

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

answer!(CreateKeySession, TokenizeCardResponse);

/// `POST /CreateKey`: a card-encryption key.
#[derive(Debug, Clone, Copy)]
pub struct CreateKey;

impl Service for CreateKey {
    const ROUTE: &'static str = "/CreateKey";
    const IDEMPOTENT: bool = true;
    const REQUIRED: &'static str = "KeyId";
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
    const REQUIRED: &'static str = "CardToken";
    type Request = TokenizeCardRequest;
    type Response = TokenizeCardResponse;

    fn required(response: &TokenizeCardResponse) -> Option<&str> {
        response.card_token.as_deref()
    }
}
