//! The PaySecure DTOs as [`Object`]s of the JSON [`reader`](crate::reader): wire names in
//! declaration order, matched ignoring ASCII case; `null` means absent; for a repeated member
//! the last one wins; unknown members are skipped.

use paysecure_proto::{
    CardExpiration, CreateKeySession, CreateKeySessionRequest, InOutTimes, Password,
    RequestorCredentials, ResponseError, ResponseStatus, Timestamps, TokenizeCardRequest,
    TokenizeCardResponse,
};

use crate::error::DecodeError;
use crate::reader::{Object, Reader};

impl Object for InOutTimes {
    const FIELDS: &'static [&'static str] = &["InTime", "OutTime"];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        let date = r.opt_date()?;
        if index == 0 {
            self.in_time = date;
        } else {
            self.out_time = date;
        }
        Ok(())
    }
}

impl Object for Timestamps {
    const FIELDS: &'static [&'static str] = &Timestamps::STAGE_NAMES;

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        let stage = r.object::<InOutTimes>()?;
        if let Some(slot) = self.stage_mut(index) {
            *slot = stage;
        }
        Ok(())
    }
}

impl Object for CreateKeySession {
    const FIELDS: &'static [&'static str] = &[
        "KeyId",
        "Modulus",
        "Exponent",
        "ErrorMessage",
        "ErrorCode",
        "Timestamps",
    ];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        match index {
            0 => self.key_id = r.opt_string()?,
            1 => self.modulus = r.opt_string()?,
            2 => self.exponent = r.opt_string()?,
            3 => self.error_message = r.opt_string()?,
            4 => self.error_code = r.opt_string()?,
            _ => self.timestamps = r.object::<Timestamps>()?,
        }
        Ok(())
    }
}

impl Object for TokenizeCardResponse {
    const FIELDS: &'static [&'static str] = &[
        "CardToken",
        "CardHash",
        "CardLast4",
        "CardBIN",
        "CardExpiration",
        "ResponseCode",
        "ErrorMessage",
        "ErrorCode",
        "Timestamps",
    ];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        match index {
            0 => self.card_token = r.opt_string()?,
            1 => self.card_hash = r.opt_string()?,
            2 => self.card_last4 = r.opt_string()?,
            3 => self.card_bin = r.opt_string()?,
            4 => self.card_expiration = r.opt_string()?,
            5 => self.response_code = r.opt_string()?,
            6 => self.error_message = r.opt_string()?,
            7 => self.error_code = r.opt_string()?,
            _ => self.timestamps = r.object::<Timestamps>()?,
        }
        Ok(())
    }
}

impl Object for ResponseError {
    const FIELDS: &'static [&'static str] = &["ErrorCode", "FieldName", "Message"];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        match index {
            0 => self.error_code = r.opt_string()?,
            1 => self.field_name = r.opt_string()?,
            _ => self.message = r.opt_string()?,
        }
        Ok(())
    }
}

impl Object for ResponseStatus {
    const FIELDS: &'static [&'static str] = &["ErrorCode", "Message", "StackTrace", "Errors"];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        match index {
            0 => self.error_code = r.opt_string()?,
            1 => self.message = r.opt_string()?,
            2 => self.stack_trace = r.opt_string()?,
            _ => self.errors = r.list::<ResponseError>()?,
        }
        Ok(())
    }
}

/// `{"ResponseStatus": …}`, the body of a ServiceStack error.
#[derive(Default)]
pub(crate) struct ErrorBody(pub(crate) Option<ResponseStatus>);

impl Object for ErrorBody {
    const FIELDS: &'static [&'static str] = &["ResponseStatus"];

    fn member(&mut self, _: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        self.0 = r.object::<ResponseStatus>()?;
        Ok(())
    }
}

/// `RequestorCredentials` as received, before validation. The password goes straight into a
/// [`Password`] so it is zeroized whatever happens next.
#[derive(Default)]
struct RawCredentials {
    merchant_id: Option<String>,
    user_name: Option<String>,
    password: Option<Password>,
    version: Option<String>,
}

impl Object for RawCredentials {
    const FIELDS: &'static [&'static str] = &["MerchantId", "UserName", "Password", "Version"];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        match index {
            0 => self.merchant_id = r.opt_string()?,
            1 => self.user_name = r.opt_string()?,
            2 => self.password = r.opt_string()?.map(Password::from),
            _ => self.version = r.opt_string()?,
        }
        Ok(())
    }
}

/// `CreateKeySessionRequest` as received, before validation.
#[derive(Default)]
pub(crate) struct RawCreateKeyRequest {
    credentials: Option<RawCredentials>,
    ttl_in_minutes: Option<i32>,
}

impl Object for RawCreateKeyRequest {
    const FIELDS: &'static [&'static str] = &["Credentials", "TTLInMinutes"];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        match index {
            0 => self.credentials = r.object::<RawCredentials>()?,
            _ => self.ttl_in_minutes = r.opt_i32()?,
        }
        Ok(())
    }
}

impl RawCreateKeyRequest {
    /// Applies the DTO's rules.
    pub(crate) fn validate(self) -> Result<CreateKeySessionRequest, paysecure_proto::Error> {
        let c = self
            .credentials
            .ok_or(paysecure_proto::Error::MissingField {
                field: "Credentials",
            })?;
        let credentials = RequestorCredentials::new(
            c.merchant_id.unwrap_or_default(),
            c.user_name.unwrap_or_default(),
            c.password.unwrap_or_else(|| Password::new(String::new())),
            c.version.unwrap_or_default(),
        )?;
        Ok(CreateKeySessionRequest::new(
            credentials,
            self.ttl_in_minutes,
        ))
    }
}

/// `TokenizeCardRequest` as received, before validation.
#[derive(Default)]
pub(crate) struct RawTokenizeRequest {
    key_id: Option<String>,
    encrypted_card_number: Option<String>,
    expiration: Option<String>,
    encrypted_cvn: Option<String>,
    verify_card: Option<bool>,
}

impl Object for RawTokenizeRequest {
    const FIELDS: &'static [&'static str] = &[
        "KeyId",
        "EncryptedCardNumber",
        "Expiration",
        "EncryptedCVN",
        "VerifyCard",
    ];

    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        match index {
            0 => self.key_id = r.opt_string()?,
            1 => self.encrypted_card_number = r.opt_string()?,
            2 => self.expiration = r.opt_string()?,
            3 => self.encrypted_cvn = r.opt_string()?,
            _ => self.verify_card = r.opt_bool()?,
        }
        Ok(())
    }
}

impl RawTokenizeRequest {
    /// Applies the DTO's rules: `KeyId`, `EncryptedCardNumber` and `Expiration` are required.
    pub(crate) fn validate(self) -> Result<TokenizeCardRequest, paysecure_proto::Error> {
        let required = |v: Option<String>, field: &'static str| {
            v.filter(|s| !s.is_empty())
                .ok_or(paysecure_proto::Error::MissingField { field })
        };
        let key_id = required(self.key_id, "KeyId")?;
        let encrypted_card_number = required(self.encrypted_card_number, "EncryptedCardNumber")?;
        let expiration = CardExpiration::parse(&required(self.expiration, "Expiration")?)?;
        Ok(TokenizeCardRequest {
            key_id,
            encrypted_card_number,
            expiration,
            encrypted_cvn: self.encrypted_cvn,
            verify_card: self.verify_card,
        })
    }
}
