//! Request and response messages of the modelled commands.
//!
//! Each message is declared once: its serde attributes are the only place its wire names are
//! written. Requests use the gateway's `snake_case` names (the Rust field names themselves);
//! responses use `kebab-case` (`rename_all`), with `type` renamed.
//!
//! A request has private fields and is built by a validating constructor; it deserializes
//! through its `…Fields` twin (`#[serde(try_from)]`), so that no serde format can build an
//! unchecked request. Responses have public fields: what the gateway says is kept as said.
//!
//! The field declarations repeat a few serde attribute shapes (`default`,
//! `skip_serializing_if`, `deserialize_with = "text_or_number"`): that is the declaration
//! itself, one per wire field, not repeated logic (a duplicate-code scan lists it).

use serde::{Deserialize, Serialize};

use crate::error::ProtoError;
use crate::status::{ResponseType, Status, TransactionType};
use crate::wire::{check_fields, extra, text_or_number};

/// A request whose fields are checked on construction and on deserialization.
///
/// A codec decodes [`Checked::Fields`] and calls [`Checked::check`], so that it gets the typed
/// [`ProtoError`] (serde's `try_from` would turn it into text).
pub trait Checked: Sized {
    /// The same fields, not yet checked.
    type Fields: for<'de> Deserialize<'de>;

    /// Checks the fields: every present text is non-empty, within its field's documented
    /// length ([`field_limit`](crate::field_limit)) and free of control characters; typed values
    /// ([`Amount`](crate::Amount), [`Currency`](crate::Currency), [`CardNumber`](crate::CardNumber),
    /// [`Cvv2`](crate::Cvv2)) have their format; an `amount` comes with its `currency` and has
    /// no more fraction digits than the currency's ISO 4217 minor unit.
    ///
    /// # Errors
    /// [`ProtoError::Empty`], [`ProtoError::TooLong`], [`ProtoError::ControlCharacter`],
    /// [`ProtoError::InvalidAmount`] or [`ProtoError::InvalidValue`], naming the first
    /// offending field where there is one.
    fn check(fields: Self::Fields) -> Result<Self, ProtoError>;
}

/// Declares a checked request: the public type (private fields, `try_from` its fields twin)
/// and the `Checked` impl. The fields are declared once, in the twin.
macro_rules! checked_request {
    ($(#[$meta:meta])* $name:ident($fields:ident = $fields_str:literal)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = $fields_str)]
        pub struct $name($fields);

        impl TryFrom<$fields> for $name {
            type Error = ProtoError;
            fn try_from(fields: $fields) -> Result<Self, ProtoError> {
                check_fields(&fields)?;
                Ok(Self(fields))
            }
        }

        impl Checked for $name {
            type Fields = $fields;
            fn check(fields: $fields) -> Result<Self, ProtoError> {
                Self::try_from(fields)
            }
        }

        impl $name {
            /// The checked fields.
            pub fn fields(&self) -> &$fields {
                &self.0
            }

            /// The checked fields, by value (to change one and check again with
            /// `try_from`).
            pub fn into_fields(self) -> $fields {
                self.0
            }
        }
    };
}

pub(crate) use checked_request;

// ---------------------------------------------------------------------------------------------
// create-card-ref

/// The fields of a [`CreateCardRefRequest`], in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[doc(hidden)]
pub struct CreateCardRefFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    login: Option<String>,
    client_orderid: String,
    orderid: String,
}

checked_request! {
    /// The `create-card-ref` request: identifies the first payment of a recurring series.
    ///
    /// Both ids refer to a payment that must already be in a final status. Fields: `login`
    /// (when opted in), `client_orderid`, `orderid`; other fields are ignored when reading.
    CreateCardRefRequest(CreateCardRefFields = "CreateCardRefFields")
}

impl CreateCardRefRequest {
    /// A request for the payment the merchant knows as `client_orderid` and the gateway as
    /// `orderid`.
    ///
    /// # Errors
    /// [`ProtoError::Empty`], [`ProtoError::TooLong`] (over
    /// [`MAX_ID_CHARS`](crate::MAX_ID_CHARS)) or [`ProtoError::ControlCharacter`] for either id.
    pub fn new(
        client_orderid: impl Into<String>,
        orderid: impl Into<String>,
    ) -> Result<Self, ProtoError> {
        Self::try_from(CreateCardRefFields {
            login: None,
            client_orderid: client_orderid.into(),
            orderid: orderid.into(),
        })
    }

    /// Also sends `login` in the body (it is then signed like every body parameter).
    ///
    /// The create-card-ref table lists `login`, while other v4 pages say the login travels only
    /// as `oauth_consumer_key`; by default it is not sent. Use the same value as the OAuth
    /// consumer key.
    ///
    /// # Errors
    /// As for [`CreateCardRefRequest::new`], for `login`.
    pub fn with_login(self, login: impl Into<String>) -> Result<Self, ProtoError> {
        Self::try_from(CreateCardRefFields {
            login: Some(login.into()),
            ..self.0
        })
    }

    /// The merchant's order id of the first payment.
    pub fn client_orderid(&self) -> &str {
        &self.0.client_orderid
    }

    /// The gateway's order id of the first payment.
    pub fn orderid(&self) -> &str {
        &self.0.orderid
    }

    /// The login sent in the body, when opted in.
    pub fn login(&self) -> Option<&str> {
        self.0.login.as_deref()
    }
}

/// The `create-card-ref` response (`type=create-card-ref-response`).
///
/// Every documented field is modelled; fields this crate does not know are kept in
/// [`extra`](Self::extra) in wire order. A decline is a normal response whose
/// [`status`](Self::status) says so. Fields are written in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct CreateCardRefResponse {
    /// `type`.
    #[serde(rename = "type")]
    pub response_type: ResponseType,
    /// `serial-number`: the gateway's id of this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// `card-ref-id`: the card reference for subsequent recurring payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_ref_id: Option<String>,
    /// `unq-card-ref-id`: unique per PAN (loyalty, fraud control).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unq_card_ref_id: Option<String>,
    /// `recurring-payment-id`: the payer's tokenized card data id (RPI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring_payment_id: Option<String>,
    /// `dst-card-ref-id`: the receiver's card reference (transfer APIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_card_ref_id: Option<String>,
    /// `dst-unq-card-ref-id`: the receiver's unique card reference (transfer APIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_unq_card_ref_id: Option<String>,
    /// `dst-recurring-payment-id`: the receiver's RPI (transfer APIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_recurring_payment_id: Option<String>,
    /// `status` of the operation.
    pub status: Status,
    /// `error-message`: reason of a decline or error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `error-code`: code of a decline or error (a number in JSON mode).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub error_code: Option<String>,
    /// Any other field, in wire order.
    #[serde(flatten, with = "extra")]
    pub extra: Vec<(String, String)>,
}

impl CreateCardRefResponse {
    /// A `create-card-ref-response` with the given status and no other field (for emulators
    /// and tests; set the public fields afterwards).
    pub fn new(status: Status) -> Self {
        Self {
            response_type: ResponseType::CreateCardRefResponse,
            status,
            serial_number: None,
            card_ref_id: None,
            unq_card_ref_id: None,
            recurring_payment_id: None,
            dst_card_ref_id: None,
            dst_unq_card_ref_id: None,
            dst_recurring_payment_id: None,
            error_message: None,
            error_code: None,
            extra: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// status

/// The fields of a [`StatusRequest`], in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[doc(hidden)]
pub struct StatusFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    login: Option<String>,
    client_orderid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    orderid: Option<String>,
    #[serde(
        rename = "by-request-sn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    by_request_sn: Option<String>,
}

checked_request! {
    /// The v4 `status` request: `login` (see [`StatusRequest::with_login`]), `client_orderid`,
    /// and the gateway's `orderid` and the `by-request-sn` serial number when given; other
    /// fields are ignored when reading.
    StatusRequest(StatusFields = "StatusFields")
}

impl StatusRequest {
    /// A status request for the merchant's order `client_orderid`.
    ///
    /// # Errors
    /// [`ProtoError::Empty`], [`ProtoError::TooLong`] or [`ProtoError::ControlCharacter`].
    pub fn new(client_orderid: impl Into<String>) -> Result<Self, ProtoError> {
        Self::try_from(StatusFields {
            login: None,
            client_orderid: client_orderid.into(),
            orderid: None,
            by_request_sn: None,
        })
    }

    /// Adds the gateway's `orderid` (needed when known).
    ///
    /// # Errors
    /// As for [`StatusRequest::new`], for `orderid`.
    pub fn with_orderid(self, orderid: impl Into<String>) -> Result<Self, ProtoError> {
        Self::try_from(StatusFields {
            orderid: Some(orderid.into()),
            ..self.0
        })
    }

    /// Adds `by-request-sn`: the status of the request with this serial number.
    ///
    /// # Errors
    /// As for [`StatusRequest::new`], for `by-request-sn`.
    pub fn with_by_request_sn(self, serial: impl Into<String>) -> Result<Self, ProtoError> {
        Self::try_from(StatusFields {
            by_request_sn: Some(serial.into()),
            ..self.0
        })
    }

    /// Sets `login` in the body. Without it, [`StatusCommand`](crate::StatusCommand)'s
    /// [`BodyLogin::ConsumerKey`](crate::BodyLogin::ConsumerKey) makes the encoder send the
    /// OAuth consumer key as `login`, as Payneteasy's own examples do.
    ///
    /// # Errors
    /// As for [`StatusRequest::new`], for `login`.
    pub fn with_login(self, login: impl Into<String>) -> Result<Self, ProtoError> {
        Self::try_from(StatusFields {
            login: Some(login.into()),
            ..self.0
        })
    }

    /// The login set in the request, if any.
    pub fn login(&self) -> Option<&str> {
        self.0.login.as_deref()
    }

    /// The merchant's order id.
    pub fn client_orderid(&self) -> &str {
        &self.0.client_orderid
    }

    /// The gateway's order id, when given.
    pub fn orderid(&self) -> Option<&str> {
        self.0.orderid.as_deref()
    }

    /// The request serial number, when given.
    pub fn by_request_sn(&self) -> Option<&str> {
        self.0.by_request_sn.as_deref()
    }
}

/// The fields of a [`StatusV2Request`], in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[doc(hidden)]
pub struct StatusV2Fields {
    login: String,
    client_orderid: String,
    orderid: String,
}

checked_request! {
    /// The v2 `status` request: `login`, `client_orderid`, `orderid` (all required); the codec
    /// appends `control = sha1(login + client_orderid + orderid + merchant control key)`.
    StatusV2Request(StatusV2Fields = "StatusV2Fields")
}

impl StatusV2Request {
    /// A v2 status request of the merchant `login` for the order known as `client_orderid`
    /// by the merchant and as `orderid` by the gateway.
    ///
    /// # Errors
    /// [`ProtoError::Empty`], [`ProtoError::TooLong`] or [`ProtoError::ControlCharacter`].
    pub fn new(
        login: impl Into<String>,
        client_orderid: impl Into<String>,
        orderid: impl Into<String>,
    ) -> Result<Self, ProtoError> {
        Self::try_from(StatusV2Fields {
            login: login.into(),
            client_orderid: client_orderid.into(),
            orderid: orderid.into(),
        })
    }

    /// The merchant login.
    pub fn login(&self) -> &str {
        &self.0.login
    }

    /// The merchant's order id.
    pub fn client_orderid(&self) -> &str {
        &self.0.client_orderid
    }

    /// The gateway's order id.
    pub fn orderid(&self) -> &str {
        &self.0.orderid
    }
}

/// The `status` response (`type=status-response`), for v4 and v2.
///
/// The documented fields are modelled; every other field (the gateway sends many more,
/// depending on the transaction type) is kept in [`extra`](Self::extra) in wire order.
/// Fields are written in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct StatusResponse {
    /// `type`.
    #[serde(rename = "type")]
    pub response_type: ResponseType,
    /// `status` of the order.
    pub status: Status,
    /// `amount`, as sent (decimal text; a number in JSON mode).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub amount: Option<String>,
    /// `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// `paynet-order-id`: the gateway's order id (a number in JSON mode).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub paynet_order_id: Option<String>,
    /// `merchant-order-id`: the merchant's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order_id: Option<String>,
    /// `serial-number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// `card-ref-id`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub card_ref_id: Option<String>,
    /// `last-four-digits` of the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_four_digits: Option<String>,
    /// `bin` of the card.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub bin: Option<String>,
    /// `error-message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `error-code` (a number in JSON mode).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub error_code: Option<String>,
    /// `transaction-type`: `sale`, `reversal`, `chargeback`, … (WooCommerce's plugin reads it
    /// with `status` to tell a payment from a refund or a chargeback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<TransactionType>,
    /// `html`: a 3-D Secure page to show to the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// `redirect-to`: where to send the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
    /// Any other field, in wire order.
    #[serde(flatten, with = "extra")]
    pub extra: Vec<(String, String)>,
}

impl StatusResponse {
    /// A `status-response` with the given status and no other field (for emulators and tests;
    /// set the public fields afterwards).
    pub fn new(status: Status) -> Self {
        Self {
            response_type: ResponseType::StatusResponse,
            status,
            amount: None,
            currency: None,
            paynet_order_id: None,
            merchant_order_id: None,
            serial_number: None,
            card_ref_id: None,
            last_four_digits: None,
            bin: None,
            error_message: None,
            error_code: None,
            transaction_type: None,
            html: None,
            redirect_to: None,
            extra: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_card_ref_request_checks() {
        let r = CreateCardRefRequest::new("34T43R77N", "6868305").unwrap();
        assert_eq!(r.login(), None);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"client_orderid":"34T43R77N","orderid":"6868305"}"#
        );
        let r = r.with_login("merchantlogin").unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"login":"merchantlogin","client_orderid":"34T43R77N","orderid":"6868305"}"#
        );
        let back: CreateCardRefRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            CreateCardRefRequest::new("", "1"),
            Err(ProtoError::Empty {
                field: "client_orderid"
            })
        );
        assert_eq!(
            CreateCardRefRequest::new("a", "1\r"),
            Err(ProtoError::ControlCharacter { field: "orderid" })
        );
        assert_eq!(
            r.clone().with_login("a\nb"),
            Err(ProtoError::ControlCharacter { field: "login" })
        );
        // Deserialization checks too, whatever the format; unknown fields are ignored.
        assert!(
            serde_json::from_str::<CreateCardRefRequest>(r#"{"client_orderid":"","orderid":"1"}"#)
                .is_err()
        );
        let fields: CreateCardRefFields =
            serde_json::from_str(r#"{"client_orderid":"a","orderid":"1\n","x":1}"#).unwrap();
        assert_eq!(
            CreateCardRefRequest::check(fields),
            Err(ProtoError::ControlCharacter { field: "orderid" })
        );
    }

    #[test]
    fn status_request_checks() {
        let r = StatusRequest::new("inv-1")
            .unwrap()
            .with_orderid("77")
            .unwrap()
            .with_by_request_sn("00000000-0000-0000-0000-000002de3113")
            .unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"client_orderid":"inv-1","orderid":"77","by-request-sn":"00000000-0000-0000-0000-000002de3113"}"#
        );
        assert_eq!(
            r.by_request_sn(),
            Some("00000000-0000-0000-0000-000002de3113")
        );
        assert!(StatusRequest::new("x").unwrap().with_orderid("").is_err());
        assert_eq!(
            StatusRequest::new("x").unwrap().with_by_request_sn(""),
            Err(ProtoError::Empty {
                field: "by-request-sn"
            })
        );
        assert_eq!(
            StatusV2Request::new("m", &*"9".repeat(129), "1"),
            Err(ProtoError::TooLong {
                field: "client_orderid",
                len: 129,
                max: crate::MAX_ID_CHARS
            })
        );
        // DOC: orderid is 20 characters.
        assert_eq!(
            StatusV2Request::new("m", "c", &*"9".repeat(21)),
            Err(ProtoError::TooLong {
                field: "orderid",
                len: 21,
                max: 20
            })
        );
    }

    #[test]
    fn responses_keep_unknown_fields_in_order() {
        let json = r#"{"type":"create-card-ref-response","serial-number":"s","card-ref-id":"1461608",
            "zeta":"1","status":"approved","alpha":2,"error-code":7}"#;
        let r: CreateCardRefResponse = serde_json::from_str(json).unwrap();
        assert_eq!(r.response_type, ResponseType::CreateCardRefResponse);
        assert_eq!(r.status, Status::Approved);
        assert_eq!(r.error_code.as_deref(), Some("7"));
        assert_eq!(
            r.extra,
            [("zeta".into(), "1".into()), ("alpha".into(), "2".into())]
        );
        assert!(
            serde_json::from_str::<CreateCardRefResponse>(r#"{"type":"x"}"#)
                .unwrap_err()
                .to_string()
                .contains("missing field `status`")
        );
        let mut s = StatusResponse::new(Status::Unknown("pending".into()));
        s.html = Some("<html>3ds</html>".into());
        s.extra.push(("descriptor".into(), "shop".into()));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"type":"status-response","status":"pending","html":"<html>3ds</html>","descriptor":"shop"}"#
        );
        assert_eq!(serde_json::from_str::<StatusResponse>(&json).unwrap(), s);
        let n: StatusResponse = serde_json::from_str(
            r#"{"type":"status-response","status":"approved","paynet-order-id":6868305,"amount":10.42}"#,
        )
        .unwrap();
        assert_eq!(n.paynet_order_id.as_deref(), Some("6868305"));
        assert_eq!(n.amount.as_deref(), Some("10.42"));
    }
}
