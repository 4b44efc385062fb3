//! The request and response DTOs of `CreateKey` and `TokenizeCard`, and ServiceStack's
//! `ResponseStatus`.

use crate::card::EncryptedCardData;
use crate::credentials::RequestorCredentials;
use crate::date::WcfDate;
use crate::error::Error;

/// `CreateKeySessionRequest`, the body of `POST /CreateKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateKeySessionRequest {
    /// `Credentials`.
    pub credentials: RequestorCredentials,
    /// `TTLInMinutes`: the requested key lifetime (a .NET `int`; left out when `None`).
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateKeySession {
    /// `KeyId`: sent back with data encrypted under this key.
    pub key_id: Option<String>,
    /// `Modulus`: the RSA modulus, hex or base64 (see [`crate::card::KeyEncoding`]).
    pub modulus: Option<String>,
    /// `Exponent`: the RSA public exponent, same encoding as the modulus.
    pub exponent: Option<String>,
    /// `ErrorMessage`.
    pub error_message: Option<String>,
    /// `ErrorCode`: PaySecure's own code; no public list exists.
    pub error_code: Option<String>,
    /// `Timestamps`: server-side stage timings.
    pub timestamps: Option<Timestamps>,
}

/// `InOutTimes`: when a server stage started and ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct InOutTimes {
    /// `InTime`.
    pub in_time: Option<WcfDate>,
    /// `OutTime`.
    pub out_time: Option<WcfDate>,
}

/// `RequestTimestamps`: the eleven optional stage timings PaySecure reports.
///
/// A stage that did not run usually carries .NET `DateTime.MinValue` ([`WcfDate::is_unset`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Timestamps {
    /// `AppLayer`.
    pub app_layer: Option<InOutTimes>,
    /// `ParentLookup`.
    pub parent_lookup: Option<InOutTimes>,
    /// `RetryLookup`.
    pub retry_lookup: Option<InOutTimes>,
    /// `GetCardData`.
    pub get_card_data: Option<InOutTimes>,
    /// `CardTokenize`.
    pub card_tokenize: Option<InOutTimes>,
    /// `CardEncrypt`.
    pub card_encrypt: Option<InOutTimes>,
    /// `DBInsert`.
    pub db_insert: Option<InOutTimes>,
    /// `BackendProcess`.
    pub backend_process: Option<InOutTimes>,
    /// `DBUpdate`.
    pub db_update: Option<InOutTimes>,
    /// `ParentUpdate`.
    pub parent_update: Option<InOutTimes>,
    /// `Network`.
    pub network: Option<InOutTimes>,
}

impl Timestamps {
    /// The wire names of the stages, in wire order.
    pub const STAGE_NAMES: [&'static str; 11] = [
        "AppLayer",
        "ParentLookup",
        "RetryLookup",
        "GetCardData",
        "CardTokenize",
        "CardEncrypt",
        "DBInsert",
        "BackendProcess",
        "DBUpdate",
        "ParentUpdate",
        "Network",
    ];

    /// The stages in wire order, paired with [`Self::STAGE_NAMES`].
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

    /// Mutable access to the stage at `index` of [`Self::STAGE_NAMES`]; `None` past the end.
    pub fn stage_mut(&mut self, index: usize) -> Option<&mut Option<InOutTimes>> {
        Some(match index {
            0 => &mut self.app_layer,
            1 => &mut self.parent_lookup,
            2 => &mut self.retry_lookup,
            3 => &mut self.get_card_data,
            4 => &mut self.card_tokenize,
            5 => &mut self.card_encrypt,
            6 => &mut self.db_insert,
            7 => &mut self.backend_process,
            8 => &mut self.db_update,
            9 => &mut self.parent_update,
            10 => &mut self.network,
            _ => return None,
        })
    }
}

/// ServiceStack's `ResponseStatus`, the body of every 4xx/5xx answer (wrapped in
/// `{"ResponseStatus": …}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseStatus {
    /// `ErrorCode`: usually the .NET exception name (`SerializationException`, …).
    pub error_code: Option<String>,
    /// `Message`.
    pub message: Option<String>,
    /// `StackTrace` (only when the server runs in debug mode).
    pub stack_trace: Option<String>,
    /// `Errors`: per-field validation errors; empty when absent.
    pub errors: Vec<ResponseError>,
}

/// One entry of [`ResponseStatus::errors`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseError {
    /// `ErrorCode` (`NotNull`, …).
    pub error_code: Option<String>,
    /// `FieldName`.
    pub field_name: Option<String>,
    /// `Message`.
    pub message: Option<String>,
}

/// A card expiration date, `MMYY` on the wire.
///
/// **Decision:** PaySecure's metadata types `Expiration` as a string without a format; `MMYY`
/// (four digits, month first) is what card-present and e-commerce APIs of the era used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CardExpiration {
    month: u8,
    year: u8,
}

impl CardExpiration {
    /// From a month (`1..=12`) and a two-digit year (`0..=99`).
    ///
    /// # Errors
    /// [`Error::InvalidExpiration`] for a month outside `1..=12` or a year above 99.
    pub const fn new(month: u8, year_two_digits: u8) -> Result<Self, Error> {
        if month == 0 || month > 12 {
            return Err(Error::InvalidExpiration {
                reason: "month must be 01..=12",
            });
        }
        if year_two_digits > 99 {
            return Err(Error::InvalidExpiration {
                reason: "year must be two digits",
            });
        }
        Ok(Self {
            month,
            year: year_two_digits,
        })
    }

    /// Parses `MMYY`.
    ///
    /// # Errors
    /// [`Error::InvalidExpiration`] unless the text is four ASCII digits with a month `01..=12`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.as_bytes() {
            [m1, m2, y1, y2] if [m1, m2, y1, y2].iter().all(|b| b.is_ascii_digit()) => Self::new(
                (m1 - b'0') * 10 + (m2 - b'0'),
                (y1 - b'0') * 10 + (y2 - b'0'),
            ),
            _ => Err(Error::InvalidExpiration {
                reason: "expected four digits",
            }),
        }
    }

    /// The month, `1..=12`.
    #[must_use]
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The two-digit year.
    #[must_use]
    pub const fn year_two_digits(self) -> u8 {
        self.year
    }
}

impl core::fmt::Display for CardExpiration {
    /// `MMYY`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:02}{:02}", self.month, self.year)
    }
}

/// `TokenizeCardRequest`: exchange encrypted card data for a token.
///
/// Based on PaySecure's published service metadata (`KeyId`, `EncryptedCardNumber`,
/// `Expiration`, `EncryptedCVN`, `VerifyCard`); the ciphertexts are what
/// [`crate::card::CardEncryptionKey`] produced, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizeCardRequest {
    /// `KeyId` of the key the card data was encrypted with.
    pub key_id: String,
    /// `EncryptedCardNumber`.
    pub encrypted_card_number: String,
    /// `Expiration`, `MMYY`.
    pub expiration: CardExpiration,
    /// `EncryptedCVN`.
    pub encrypted_cvn: Option<String>,
    /// `VerifyCard`.
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenizeCardResponse {
    /// `CardToken`: the token that replaces the card number in later calls.
    pub card_token: Option<String>,
    /// `CardHash`.
    pub card_hash: Option<String>,
    /// `CardLast4`.
    pub card_last4: Option<String>,
    /// `CardBIN`.
    pub card_bin: Option<String>,
    /// `CardExpiration`, as sent.
    pub card_expiration: Option<String>,
    /// `ResponseCode`, as sent (no public list exists).
    pub response_code: Option<String>,
    /// `ErrorCode`.
    pub error_code: Option<String>,
    /// `ErrorMessage`.
    pub error_message: Option<String>,
    /// `Timestamps` (every PaySecure response derives from `PaysecureResponseInternal`).
    pub timestamps: Option<Timestamps>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration() {
        let e = CardExpiration::parse("0927").unwrap();
        assert_eq!((e.month(), e.year_two_digits()), (9, 27));
        assert_eq!(e.to_string(), "0927");
        for bad in ["1327", "0027", "927", "09/27", "092a", ""] {
            assert!(
                matches!(
                    CardExpiration::parse(bad),
                    Err(Error::InvalidExpiration { .. })
                ),
                "{bad}"
            );
        }
    }

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
    fn stage_names_line_up() {
        let mut t = Timestamps::default();
        for i in 0..11 {
            *t.stage_mut(i).unwrap() = Some(InOutTimes {
                in_time: Some(WcfDate::utc(i as i64).unwrap()),
                out_time: None,
            });
        }
        assert!(t.stage_mut(11).is_none());
        for (i, s) in t.stages().iter().enumerate() {
            assert_eq!(s.unwrap().in_time.unwrap().unix_millis(), i as i64);
        }
        assert_eq!(t.db_insert.unwrap().in_time.unwrap().unix_millis(), 6);
    }
}
