//! Transaction statuses and response types, both open-ended.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// The status of a transaction, as the gateway reports it in `status`.
///
/// Parsing never fails: a value this crate does not model is kept verbatim in
/// [`Status::Unknown`]. That includes `pending`, `unknown` and `chain_declined`, which have been
/// seen but are not documented as final. Matching is exact (the gateway writes lowercase).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `approved`: final, the operation succeeded.
    Approved,
    /// `declined`: final, refused by the issuer or the gateway.
    Declined,
    /// `error`: final, the operation failed.
    Error,
    /// `filtered`: final, declined by fraud control.
    Filtered,
    /// `processing`: not final, ask again later.
    Processing,
    /// Any other value, kept as received. Never final.
    Unknown(String),
}

impl Status {
    /// Reads a status value; unknown values become [`Status::Unknown`].
    pub fn parse(value: &str) -> Self {
        match value {
            "approved" => Self::Approved,
            "declined" => Self::Declined,
            "error" => Self::Error,
            "filtered" => Self::Filtered,
            "processing" => Self::Processing,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Error => "error",
            Self::Filtered => "filtered",
            Self::Processing => "processing",
            Self::Unknown(other) => other,
        }
    }

    /// Whether the gateway will not change this status any more.
    ///
    /// `approved`, `declined`, `error` and `filtered` are final; `processing` and every unknown
    /// value are not (the caller keeps asking with the `status` command).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Approved | Self::Declined | Self::Error | Self::Filtered
        )
    }

    /// Whether this is `approved`.
    pub fn is_approved(&self) -> bool {
        matches!(self, Self::Approved)
    }
}

impl From<&str> for Status {
    fn from(value: &str) -> Self {
        Self::parse(value)
    }
}

impl FromStr for Status {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `type` field of a response: what kind of answer the gateway gave.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseType {
    /// `create-card-ref-response`.
    CreateCardRefResponse,
    /// `status-response`.
    StatusResponse,
    /// `async-response`: the command was accepted; poll `status` for its outcome.
    AsyncResponse,
    /// `async-form-response`: a form command was accepted; send the payer to `redirect-url`.
    AsyncFormResponse,
    /// `get-card-info-response`.
    GetCardInfoResponse,
    /// `validation-error`: the request was refused before processing.
    ValidationError,
    /// `error`: processing failed.
    Error,
    /// Any other value, kept as received.
    Unknown(String),
}

impl ResponseType {
    /// The empty type: what a response without `type` reports (the v4 ephemeral ticket's JSON
    /// answer).
    pub const UNTYPED: ResponseType = ResponseType::Unknown(String::new());

    /// Reads a `type` value; unknown values become [`ResponseType::Unknown`].
    pub fn parse(value: &str) -> Self {
        match value {
            "create-card-ref-response" => Self::CreateCardRefResponse,
            "status-response" => Self::StatusResponse,
            "async-response" => Self::AsyncResponse,
            "async-form-response" => Self::AsyncFormResponse,
            "get-card-info-response" => Self::GetCardInfoResponse,
            "validation-error" => Self::ValidationError,
            "error" => Self::Error,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::CreateCardRefResponse => "create-card-ref-response",
            Self::StatusResponse => "status-response",
            Self::AsyncResponse => "async-response",
            Self::AsyncFormResponse => "async-form-response",
            Self::GetCardInfoResponse => "get-card-info-response",
            Self::ValidationError => "validation-error",
            Self::Error => "error",
            Self::Unknown(other) => other,
        }
    }

    /// Whether this type reports a refusal (`validation-error` or `error`) rather than a result.
    pub fn is_gateway_error(&self) -> bool {
        matches!(self, Self::ValidationError | Self::Error)
    }
}

impl From<&str> for ResponseType {
    fn from(value: &str) -> Self {
        Self::parse(value)
    }
}

impl FromStr for ResponseType {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a transaction: `transaction-type` of a `status-response`, `type` of a server
/// callback. Open: unknown values are kept.
///
/// `sale`, `reversal` and `chargeback` are the callback types of the PHP library
/// (`CallbackFactory.php`) and the values WooCommerce's plugin reads from
/// `transaction-type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionType {
    /// `sale`: a payment.
    Sale,
    /// `reversal`: a refund (a `return` of a sale or capture).
    Reversal,
    /// `chargeback`: the payer's bank took the money back.
    Chargeback,
    /// Any other value, kept as received.
    Unknown(String),
}

impl TransactionType {
    /// Reads a value; unknown values become [`TransactionType::Unknown`].
    pub fn parse(value: &str) -> Self {
        match value {
            "sale" => Self::Sale,
            "reversal" => Self::Reversal,
            "chargeback" => Self::Chargeback,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sale => "sale",
            Self::Reversal => "reversal",
            Self::Chargeback => "chargeback",
            Self::Unknown(other) => other,
        }
    }
}

impl From<&str> for TransactionType {
    fn from(value: &str) -> Self {
        Self::parse(value)
    }
}

impl FromStr for TransactionType {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

impl fmt::Display for TransactionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// serde as the raw wire string, unknown values kept (open enums).
macro_rules! open_enum_serde {
    ($ty:ident, $expecting:literal) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        Ok($ty::parse(v))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

open_enum_serde!(Status, "a transaction status");
open_enum_serde!(ResponseType, "a response type");
open_enum_serde!(TransactionType, "a transaction type");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let table = [
            ("approved", Status::Approved, true),
            ("declined", Status::Declined, true),
            ("error", Status::Error, true),
            ("filtered", Status::Filtered, true),
            ("processing", Status::Processing, false),
            ("pending", Status::Unknown("pending".into()), false),
            ("unknown", Status::Unknown("unknown".into()), false),
            (
                "chain_declined",
                Status::Unknown("chain_declined".into()),
                false,
            ),
            ("APPROVED", Status::Unknown("APPROVED".into()), false),
            ("", Status::Unknown(String::new()), false),
        ];
        for (wire, status, fin) in table {
            let parsed = Status::parse(wire);
            assert_eq!(parsed, status, "{wire}");
            assert_eq!(parsed.is_final(), fin, "{wire}");
            assert_eq!(parsed.as_str(), wire);
            assert_eq!(parsed.to_string(), wire);
            assert_eq!(wire.parse::<Status>(), Ok(status));
        }
        assert!(Status::Approved.is_approved());
        let json = serde_json::to_string(&Status::Unknown("chain_declined".into())).unwrap();
        assert_eq!(json, "\"chain_declined\"");
        let back: Status = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Status::Unknown("chain_declined".into()));
        let ty: ResponseType = serde_json::from_str("\"async-response\"").unwrap();
        assert_eq!(ty.as_str(), "async-response");
        assert!(!Status::Filtered.is_approved());
    }

    #[test]
    fn response_types() {
        for (wire, ty) in [
            (
                "create-card-ref-response",
                ResponseType::CreateCardRefResponse,
            ),
            ("status-response", ResponseType::StatusResponse),
            ("async-response", ResponseType::AsyncResponse),
            ("async-form-response", ResponseType::AsyncFormResponse),
            ("get-card-info-response", ResponseType::GetCardInfoResponse),
            ("validation-error", ResponseType::ValidationError),
            ("error", ResponseType::Error),
            (
                "sale-response",
                ResponseType::Unknown("sale-response".into()),
            ),
        ] {
            let parsed = ResponseType::parse(wire);
            assert_eq!(parsed, ty);
            assert_eq!(parsed.as_str(), wire);
            assert_eq!(ResponseType::from(wire).to_string(), wire);
        }
        assert!(ResponseType::Error.is_gateway_error());
        assert!(ResponseType::ValidationError.is_gateway_error());
        assert!(!ResponseType::StatusResponse.is_gateway_error());
        for (wire, ty) in [
            ("sale", TransactionType::Sale),
            ("reversal", TransactionType::Reversal),
            ("chargeback", TransactionType::Chargeback),
            ("refund", TransactionType::Unknown("refund".into())),
        ] {
            assert_eq!(TransactionType::parse(wire), ty);
            assert_eq!(ty.as_str(), wire);
            let json = serde_json::to_string(&ty).unwrap();
            assert_eq!(serde_json::from_str::<TransactionType>(&json).unwrap(), ty);
        }
    }
}
