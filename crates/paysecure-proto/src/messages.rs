//! The request and response DTOs of `CreateKey` and `TokenizeCard`, and ServiceStack's
//! `ResponseStatus`.
//!
//! Each DTO is declared once, here: its serde derive is the only place its wire names live.
//! Members are PascalCase (`rename_all`), with the names PascalCase cannot derive spelled out
//! (`TTLInMinutes`, `DBInsert`, `DBUpdate`, `CardBIN`, `EncryptedCVN`); they are written in
//! declaration order and `None` members are left out, as ServiceStack does.
//!
//! The members repeat one attribute shape (`skip_serializing_if = "Option::is_none"`): that is
//! the declaration itself, one per wire member, not repeated logic (a duplicate-code scan
//! lists it).

use serde::{Deserialize, Serialize};

use crate::card::{CardExpiration, EncryptedCardData};
use crate::credentials::RequestorCredentials;
use crate::date::WcfDate;
use crate::error::Error;

/// `CreateKeySessionRequest`, the body of `POST /CreateKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeySessionRequest {
    /// `Credentials`.
    pub credentials: RequestorCredentials,
    /// `TTLInMinutes`: the requested key lifetime (a .NET `int`; left out when `None`).
    #[serde(rename = "TTLInMinutes", skip_serializing_if = "Option::is_none")]
    pub ttl_in_minutes: Option<i32>,
}

impl CreateKeySessionRequest {
    /// A request with the given credentials and lifetime.
    #[must_use]
    pub fn new(credentials: RequestorCredentials, ttl_in_minutes: Option<i32>) -> Self {
        Self {
            credentials,
            ttl_in_minutes,
        }
    }
}

/// `CreateKeySession`, the response of `CreateKey`: an RSA public key for card encryption.
///
/// Every member is optional on the wire; the codec decides what counts as success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeySession {
    /// `KeyId`: sent back with data encrypted under this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// `Modulus`: the RSA modulus, hex or base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modulus: Option<String>,
    /// `Exponent`: the RSA public exponent, same encoding as the modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exponent: Option<String>,
    /// `ErrorMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `ErrorCode`: PaySecure's own code; no public list exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `Timestamps`: server-side stage timings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
}

/// `InOutTimes`: when a server stage started and ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InOutTimes {
    /// `InTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_time: Option<WcfDate>,
    /// `OutTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_time: Option<WcfDate>,
}

/// `RequestTimestamps`: the eleven optional stage timings PaySecure reports, in wire order.
///
/// A stage that did not run usually carries .NET `DateTime.MinValue` ([`WcfDate::is_unset`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Timestamps {
    /// `AppLayer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_layer: Option<InOutTimes>,
    /// `ParentLookup`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_lookup: Option<InOutTimes>,
    /// `RetryLookup`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_lookup: Option<InOutTimes>,
    /// `GetCardData`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_card_data: Option<InOutTimes>,
    /// `CardTokenize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_tokenize: Option<InOutTimes>,
    /// `CardEncrypt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_encrypt: Option<InOutTimes>,
    /// `DBInsert`.
    #[serde(rename = "DBInsert", skip_serializing_if = "Option::is_none")]
    pub db_insert: Option<InOutTimes>,
    /// `BackendProcess`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_process: Option<InOutTimes>,
    /// `DBUpdate`.
    #[serde(rename = "DBUpdate", skip_serializing_if = "Option::is_none")]
    pub db_update: Option<InOutTimes>,
    /// `ParentUpdate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_update: Option<InOutTimes>,
    /// `Network`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<InOutTimes>,
}

impl Timestamps {
    /// Every stage set to the same times (the sandbox's "not set" answer, the seed's sample).
    #[must_use]
    pub fn all(times: InOutTimes) -> Self {
        let t = Some(times);
        Self {
            app_layer: t,
            parent_lookup: t,
            retry_lookup: t,
            get_card_data: t,
            card_tokenize: t,
            card_encrypt: t,
            db_insert: t,
            backend_process: t,
            db_update: t,
            parent_update: t,
            network: t,
        }
    }

    /// The stages in wire order.
    #[must_use]
    pub fn stages(&self) -> [Option<InOutTimes>; 11] {
        [
            self.app_layer,
            self.parent_lookup,
            self.retry_lookup,
            self.get_card_data,
            self.card_tokenize,
            self.card_encrypt,
            self.db_insert,
            self.backend_process,
            self.db_update,
            self.parent_update,
            self.network,
        ]
    }
}

/// ServiceStack's `ResponseStatus`, the body of every 4xx/5xx answer (wrapped in
/// `{"ResponseStatus": …}`, see [`ErrorResponse`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseStatus {
    /// `ErrorCode`: usually the .NET exception name (`SerializationException`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `Message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `StackTrace` (only when the server runs in debug mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<String>,
    /// `Errors`: per-field validation errors; empty when absent (and left out when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ResponseError>,
}

/// One entry of [`ResponseStatus::errors`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseError {
    /// `ErrorCode` (`NotNull`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `FieldName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_name: Option<String>,
    /// `Message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The body of a ServiceStack error, `{"ResponseStatus": …}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorResponse {
    /// `ResponseStatus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_status: Option<ResponseStatus>,
}

/// `TokenizeCardRequest`: exchange encrypted card data for a token.
///
/// Based on PaySecure's published service metadata (`KeyId`, `EncryptedCardNumber`,
/// `Expiration`, `EncryptedCVN`, `VerifyCard`); the ciphertexts are text, as the encrypting
/// side wrote them. `KeyId`, `EncryptedCardNumber` and `Expiration` are required: decoding
/// refuses them missing, `null` or empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TokenizeCardRequest {
    /// `KeyId` of the key the card data was encrypted with.
    #[serde(deserialize_with = "crate::serde_support::non_empty")]
    pub key_id: String,
    /// `EncryptedCardNumber`.
    #[serde(deserialize_with = "crate::serde_support::non_empty")]
    pub encrypted_card_number: String,
    /// `Expiration`, `MMYY`.
    pub expiration: CardExpiration,
    /// `EncryptedCVN`.
    #[serde(rename = "EncryptedCVN", skip_serializing_if = "Option::is_none")]
    pub encrypted_cvn: Option<String>,
    /// `VerifyCard`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_card: Option<bool>,
}

impl TokenizeCardRequest {
    /// Builds the request from data encrypted with one key.
    ///
    /// # Errors
    /// [`Error::KeyIdMismatch`] when the CVN was encrypted under another key id than the PAN.
    pub fn new(
        card_number: EncryptedCardData,
        expiration: CardExpiration,
        cvn: Option<EncryptedCardData>,
        verify_card: Option<bool>,
    ) -> Result<Self, Error> {
        if cvn.as_ref().is_some_and(|c| c.key_id != card_number.key_id) {
            return Err(Error::KeyIdMismatch);
        }
        Ok(Self {
            key_id: card_number.key_id,
            encrypted_card_number: card_number.ciphertext,
            expiration,
            encrypted_cvn: cvn.map(|c| c.ciphertext),
            verify_card,
        })
    }
}

/// `TokenizeCardResponse`.
///
/// Every member is optional on the wire; the codec decides what counts as success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TokenizeCardResponse {
    /// `CardToken`: the token that replaces the card number in later calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_token: Option<String>,
    /// `CardHash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_hash: Option<String>,
    /// `CardLast4`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_last4: Option<String>,
    /// `CardBIN`.
    #[serde(rename = "CardBIN", skip_serializing_if = "Option::is_none")]
    pub card_bin: Option<String>,
    /// `CardExpiration`, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_expiration: Option<String>,
    /// `ResponseCode`, as sent (no public list exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    /// `ErrorMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `ErrorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `Timestamps` (every PaySecure response derives from `PaysecureResponseInternal`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_request_key_ids_must_match() {
        let pan = EncryptedCardData {
            key_id: "k1".into(),
            ciphertext: "AA==".into(),
        };
        let cvn = EncryptedCardData {
            key_id: "k2".into(),
            ciphertext: "AQ==".into(),
        };
        let exp = CardExpiration::new(1, 30).unwrap();
        assert_eq!(
            TokenizeCardRequest::new(pan.clone(), exp, Some(cvn), None),
            Err(Error::KeyIdMismatch)
        );
        let ok = TokenizeCardRequest::new(pan, exp, None, Some(true)).unwrap();
        assert_eq!(ok.key_id, "k1");
    }

    #[test]
    fn stages_in_wire_order() {
        let times = |ms| InOutTimes {
            in_time: Some(WcfDate::utc(ms).unwrap()),
            out_time: None,
        };
        let mut t = Timestamps::all(times(0));
        t.db_insert = Some(times(6));
        assert_eq!(t.stages()[6], Some(times(6)));
        assert_eq!(t.stages()[0], Some(times(0)));
    }
}
