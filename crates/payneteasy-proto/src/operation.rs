//! Operations: one declaration per API call (path, API version, authentication, idempotency,
//! request and response types, success `type`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::endpoint::{Endpoint, Environment};
use crate::error::ProtoError;
use crate::messages::{
    Checked, CreateCardRefRequest, CreateCardRefResponse, StatusRequest, StatusResponse,
    StatusV2Request,
};
use crate::status::ResponseType;

/// The API version of an operation: the `v2` or `v4` segment of its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `/paynet/api/v2/…`: authenticated by a SHA-1 `control` field.
    V2,
    /// `/paynet/api/v4/…`: authenticated by OAuth 1.0a RSA-SHA256.
    V4,
}

impl ApiVersion {
    /// The URL segment: `v2` or `v4`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::V4 => "v4",
        }
    }
}

/// How an operation is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// An OAuth 1.0a `Authorization` header signed with the merchant's RSA key (v4).
    OAuthRsaSha256,
    /// A `control` body field: the SHA-1 (lowercase hex) of these parts concatenated, in this
    /// order (v2). The order is data from the specification's table, not code.
    Control(&'static [ControlPart]),
}

/// One part of a v2 `control` concatenation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlPart {
    /// The value of this request field, or nothing when the field is not sent.
    Field(&'static str),
    /// The number of the endpoint (`ENDPOINTID` or `ENDPOINTGROUPID`).
    EndpointId,
    /// The decimal `amount` field in minor units of the `currency` field (`10.42` USD is
    /// `1042`), or nothing when no amount is sent.
    AmountMinorUnits {
        /// The wire name of the amount field.
        amount: &'static str,
        /// The wire name of the currency field.
        currency: &'static str,
    },
    /// The merchant control key (a secret).
    MerchantControl,
}

/// Whether sending an operation twice is safe; the client maps it onto its retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Idempotency {
    /// Repeating it gives the same result and no second effect.
    Idempotent,
    /// Repeating it may do the work twice (a payment).
    NotIdempotent,
}

/// A Payneteasy API call, declared once: adding a command is its messages (structs with serde
/// attributes) plus one implementation of this trait. Codecs, clients and the sandbox are
/// generic over it.
pub trait Operation {
    /// The path segment(s) after the version, e.g. `create-card-ref`.
    const PATH: &'static str;
    /// The API version (part of the URL).
    const VERSION: ApiVersion;
    /// How requests are authenticated.
    const AUTH: Auth;
    /// Whether a request may be sent again.
    const IDEMPOTENCY: Idempotency;
    /// The `type` of a successful response, e.g. `create-card-ref-response`.
    const SUCCESS_TYPE: ResponseType;
    /// What the merchant sends.
    type Request: Serialize + Checked;
    /// What the gateway answers when `type` is [`Self::SUCCESS_TYPE`].
    type Response: Serialize + DeserializeOwned;

    /// The full URL: `<base with this version>/<PATH>/<endpoint>` (see
    /// [`Environment::operation_url`]).
    fn url(env: &Environment, endpoint: &Endpoint) -> String {
        env.operation_url(Self::VERSION, Self::PATH, endpoint)
    }

    /// Whether a response `type` is this operation's success.
    fn accepts_type(response_type: &str) -> bool {
        response_type == Self::SUCCESS_TYPE.as_str()
    }
}

// The operations below repeat one shape on purpose: each is a declaration (path, version,
// authentication, idempotency, types), data rather than logic, written once per operation.

/// v4 `create-card-ref`: turn a finished payment into a card reference for recurring payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CreateCardRef;

impl Operation for CreateCardRef {
    const PATH: &'static str = "create-card-ref";
    const VERSION: ApiVersion = ApiVersion::V4;
    const AUTH: Auth = Auth::OAuthRsaSha256;
    const IDEMPOTENCY: Idempotency = Idempotency::Idempotent;
    const SUCCESS_TYPE: ResponseType = ResponseType::CreateCardRefResponse;
    type Request = CreateCardRefRequest;
    type Response = CreateCardRefResponse;
}

/// v4 `status`: the current state of an order (resolves an unknown outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusCommand;

impl Operation for StatusCommand {
    const PATH: &'static str = "status";
    const VERSION: ApiVersion = ApiVersion::V4;
    const AUTH: Auth = Auth::OAuthRsaSha256;
    const IDEMPOTENCY: Idempotency = Idempotency::Idempotent;
    const SUCCESS_TYPE: ResponseType = ResponseType::StatusResponse;
    type Request = StatusRequest;
    type Response = StatusResponse;
}

/// v2 `status`: `control = sha1(login + client_orderid + orderid + merchant control key)`
/// (specification table A.2, row 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusV2;

impl Operation for StatusV2 {
    const PATH: &'static str = "status";
    const VERSION: ApiVersion = ApiVersion::V2;
    const AUTH: Auth = Auth::Control(&[
        ControlPart::Field("login"),
        ControlPart::Field("client_orderid"),
        ControlPart::Field("orderid"),
        ControlPart::MerchantControl,
    ]);
    const IDEMPOTENCY: Idempotency = Idempotency::Idempotent;
    const SUCCESS_TYPE: ResponseType = ResponseType::StatusResponse;
    type Request = StatusV2Request;
    type Response = StatusResponse;
}

/// ISO 4217 currencies whose minor unit is not 2 digits (the rest have 2).
const EXPONENTS: &[(&str, u32)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// A decimal amount (`10.42`) in minor units of `currency` (`1042` for USD), computed from the
/// text, never through a float.
///
/// # Errors
/// [`ProtoError::InvalidAmount`] when the amount is not `digits[.digits]`, has more fraction
/// digits than the currency allows, or does not fit in 64 bits, or the currency is not three
/// ASCII capital letters.
pub fn amount_minor_units(amount: &str, currency: &str) -> Result<u64, ProtoError> {
    let invalid = |reason| ProtoError::InvalidAmount { reason };
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid("the currency is not an ISO 4217 code"));
    }
    let exponent = EXPONENTS
        .iter()
        .find(|(c, _)| *c == currency)
        .map_or(2, |(_, e)| *e);
    let (units, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(units) || (amount.contains('.') && !digits(fraction)) {
        return Err(invalid("the amount is not a decimal number"));
    }
    if fraction.len() > exponent as usize {
        return Err(invalid(
            "the amount has more fraction digits than the currency",
        ));
    }
    let padded = format!("{units}{fraction:0<width$}", width = exponent as usize);
    padded
        .parse()
        .map_err(|_| invalid("the amount is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            CreateCardRef::url(&Environment::Sandbox, &Endpoint::Id(39915)),
            "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915"
        );
        assert_eq!(
            StatusCommand::url(&Environment::Production, &Endpoint::Group(1144)),
            "https://gate.payneteasy.com/paynet/api/v4/status/group/1144"
        );
        assert_eq!(
            StatusV2::url(&Environment::Sandbox, &Endpoint::Id(1)),
            "https://sandbox.payneteasy.com/paynet/api/v2/status/1"
        );
        assert!(CreateCardRef::accepts_type("create-card-ref-response"));
        assert!(!CreateCardRef::accepts_type("status-response"));
    }

    #[test]
    fn minor_units() {
        for (amount, currency, minor) in [
            ("10.42", "USD", 1042),
            ("10.4", "USD", 1040),
            ("10", "USD", 1000),
            ("0.01", "EUR", 1),
            ("1000", "JPY", 1000),
            ("1.234", "KWD", 1234),
        ] {
            assert_eq!(amount_minor_units(amount, currency), Ok(minor), "{amount}");
        }
        for (amount, currency) in [
            ("10.421", "USD"),
            ("1.5", "JPY"),
            ("", "USD"),
            ("1.", "USD"),
            (".5", "USD"),
            ("-1", "USD"),
            ("1e3", "USD"),
            ("1", "usd"),
            ("99999999999999999999", "USD"),
        ] {
            assert!(amount_minor_units(amount, currency).is_err(), "{amount}");
        }
    }
}
