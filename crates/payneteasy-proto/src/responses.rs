//! The responses of the payment lifecycle commands (see [`crate::requests`] for the requests).
//!
//! Public fields, kept as the gateway said them; every field this crate does not model is kept
//! in `extra`, in wire order. Values whose JSON type varies (`paynet-order-id`, `error-code`,
//! …) accept a number or a string ([`text_or_number`]).

use serde::{Deserialize, Serialize};

use crate::status::{ResponseType, Status};
use crate::wire::{extra, text_or_number};

/// The answer to an asynchronous command (`type=async-response`): sale, preauth, capture,
/// return, void, make-rebill, account verification, transfer-by-ref (and the v4 sale). The
/// outcome comes later: poll `status` with the order id.
///
/// Fields: PHPLIB's required list (type, status, paynet-order-id, merchant-order-id,
/// serial-number) and the DOC capture table (error-message, error-code), plus `end-point-id`
/// (OAPI example).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct AsyncResponse {
    /// `type`.
    #[serde(rename = "type")]
    pub response_type: ResponseType,
    /// `status` (usually `processing`; PHPLIB treats a missing one as `processing`, see
    /// [`AsyncResponse::status_or_processing`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// `paynet-order-id`: the gateway's order id (`orderid` of later commands; a JSON number
    /// in a v4 sale answer).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub paynet_order_id: Option<String>,
    /// `merchant-order-id`: the merchant's `client_orderid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order_id: Option<String>,
    /// `serial-number`: the gateway's id of this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// `end-point-id`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub end_point_id: Option<String>,
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
    /// Any other field, in wire order.
    #[serde(flatten, with = "extra")]
    pub extra: Vec<(String, String)>,
}

impl AsyncResponse {
    /// An `async-response` with the given status and no other field (for emulators and tests).
    pub fn new(status: Status) -> Self {
        Self {
            response_type: ResponseType::AsyncResponse,
            status: Some(status),
            paynet_order_id: None,
            merchant_order_id: None,
            serial_number: None,
            end_point_id: None,
            error_message: None,
            error_code: None,
            extra: Vec::new(),
        }
    }

    /// The status, `processing` when the gateway sent none (as the PHP library reads it).
    pub fn status_or_processing(&self) -> Status {
        self.status.clone().unwrap_or(Status::Processing)
    }
}

/// The answer to a form command (`type=async-form-response`): send the payer to
/// [`redirect_url`](Self::redirect_url) (PHPLIB `PaymentFormQuery`: needed action
/// `redirect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct FormResponse {
    /// `type`.
    #[serde(rename = "type")]
    pub response_type: ResponseType,
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// `paynet-order-id`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub paynet_order_id: Option<String>,
    /// `merchant-order-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order_id: Option<String>,
    /// `serial-number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// `redirect-url`: the gateway's payment page for the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// `error-message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `error-code`.
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

impl FormResponse {
    /// An `async-form-response` with the given status and payment page (for emulators and
    /// tests).
    pub fn new(status: Status, redirect_url: Option<String>) -> Self {
        Self {
            response_type: ResponseType::AsyncFormResponse,
            status: Some(status),
            paynet_order_id: None,
            merchant_order_id: None,
            serial_number: None,
            redirect_url,
            error_message: None,
            error_code: None,
            extra: Vec::new(),
        }
    }
}

/// The `get-card-info` answer (`type=get-card-info-response`): the stored card behind a card
/// reference. DOC `.eu/…/api_v2_get-card-info.html` (3.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct GetCardInfoResponse {
    /// `type`.
    #[serde(rename = "type")]
    pub response_type: ResponseType,
    /// `serial-number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// `card-printed-name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_printed_name: Option<String>,
    /// `bin`: the first six digits.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub bin: Option<String>,
    /// `last-four-digits`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub last_four_digits: Option<String>,
    /// `expire-year`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub expire_year: Option<String>,
    /// `expire-month`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub expire_month: Option<String>,
    /// `result-3d`: the "3DS completion result".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_3d: Option<String>,
    /// `error-message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `error-code`.
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

impl GetCardInfoResponse {
    /// A `get-card-info-response` with no field but its type (for emulators and tests).
    pub fn new() -> Self {
        Self {
            response_type: ResponseType::GetCardInfoResponse,
            serial_number: None,
            card_printed_name: None,
            bin: None,
            last_four_digits: None,
            expire_year: None,
            expire_month: None,
            result_3d: None,
            error_message: None,
            error_code: None,
            extra: Vec::new(),
        }
    }
}

impl Default for GetCardInfoResponse {
    fn default() -> Self {
        Self::new()
    }
}

/// The `sync/account-verification` answer (`type=status-response`, synchronous): the verified
/// card and its reference. PHPLIB `SyncAccountVerificationQuery` requires every field below on
/// success; they are optional here so that a decline decodes too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct SyncAccountVerificationResponse {
    /// `type`.
    #[serde(rename = "type")]
    pub response_type: ResponseType,
    /// `status`.
    pub status: Status,
    /// `paynet-order-id`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub paynet_order_id: Option<String>,
    /// `merchant-order-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order_id: Option<String>,
    /// `serial-number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// `phone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `last-four-digits`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub last_four_digits: Option<String>,
    /// `bin`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub bin: Option<String>,
    /// `cardholder-name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardholder_name: Option<String>,
    /// `card-exp-month`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub card_exp_month: Option<String>,
    /// `card-exp-year`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub card_exp_year: Option<String>,
    /// `card-ref-id`: the card reference, ready for `make-rebill-*`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
    pub card_ref_id: Option<String>,
    /// `card-hash-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_hash_id: Option<String>,
    /// `card-type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    /// `error-message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `error-code`.
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

impl SyncAccountVerificationResponse {
    /// A `status-response` of a verification with the given status (for emulators and tests).
    pub fn new(status: Status) -> Self {
        Self {
            response_type: ResponseType::StatusResponse,
            status,
            paynet_order_id: None,
            merchant_order_id: None,
            serial_number: None,
            phone: None,
            email: None,
            last_four_digits: None,
            bin: None,
            cardholder_name: None,
            card_exp_month: None,
            card_exp_year: None,
            card_ref_id: None,
            card_hash_id: None,
            card_type: None,
            error_message: None,
            error_code: None,
            extra: Vec::new(),
        }
    }
}

/// The v4 `tokenize/create-ephemeral-ticket` answer: JSON `{"ephemeralTicket": …}` (single
/// use, valid 15 minutes; HF `paynet.rs ephemeral_ticket`). It has no `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EphemeralTicketResponse {
    /// `ephemeralTicket` (camelCase on the wire): for the hosted card fields.
    #[serde(rename = "ephemeralTicket")]
    pub ephemeral_ticket: String,
    /// Any other field, in wire order.
    #[serde(flatten, with = "extra")]
    pub extra: Vec<(String, String)>,
}

impl EphemeralTicketResponse {
    /// A ticket answer (for emulators and tests).
    pub fn new(ephemeral_ticket: impl Into<String>) -> Self {
        Self {
            ephemeral_ticket: ephemeral_ticket.into(),
            extra: Vec::new(),
        }
    }
}
