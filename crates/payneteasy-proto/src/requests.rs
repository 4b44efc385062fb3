//! The requests of the payment lifecycle (issue 12): sale and preauth (v2 with card data, v4
//! with a hosted-fields token), the payment forms, capture, return, void, get-card-info,
//! make-rebill, account verification, transfer-by-ref and the v4 ephemeral ticket.
//!
//! Each `…Fields` struct *is* the declaration: its public fields, in wire order, with serde
//! attributes holding the wire names (the Rust names unless renamed). `…Request` is the same
//! fields, checked ([`Checked`]): build one with `…Request::try_from(fields)` (or a short
//! constructor), read it back with `fields()`. Required fields are plain values; optional ones
//! are `Option`s, left out of the body when `None`. `Default` gives empty values (which the
//! check refuses for required fields), for `..Default::default()`.
//!
//! Field lists and requirements are those of the specification's table A.2 (DOC, PHPLIB, HF
//! as noted per type); fields a source marks NOT FOUND are not invented.
//!
//! The field declarations repeat a few serde attribute shapes (`default`,
//! `skip_serializing_if`): that is the declaration itself, one per wire field.

use serde::{Deserialize, Serialize};

use crate::error::ProtoError;
use crate::messages::{Checked, checked_request};
use crate::values::{Amount, CardNumber, Currency, Cvv2};
use crate::wire::check_fields;

// ---------------------------------------------------------------------------------------------
// sale, preauth (v2, card data)

/// The fields of a [`SaleRequest`] (v2 `sale` and `preauth`), in wire order.
///
/// DOC `.com/…/api_v2_sale.html` (3.21); PHPLIB `SaleQuery`. `redirect_success_url`,
/// `redirect_fail_url` and `notify_url` are sent by Payneteasy's WooCommerce and Magento
/// plugins (not in the PHP library's table). No `login`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SaleFields {
    /// `client_orderid` (R, 128): the merchant's order id.
    pub client_orderid: String,
    /// `order_desc` (R, 64k): the order's description.
    pub order_desc: String,
    /// `first_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// `last_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `ssn` (O): the last four digits of the social security number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssn: Option<String>,
    /// `birthday` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// `address1` (R, 50).
    pub address1: String,
    /// `city` (R, 50).
    pub city: String,
    /// `state` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `zip_code` (R, 10).
    pub zip_code: String,
    /// `country` (R, 2: ISO 3166 alpha-2).
    pub country: String,
    /// `phone` (R, 15).
    pub phone: String,
    /// `cell_phone` (O, 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_phone: Option<String>,
    /// `email` (R, 50).
    pub email: String,
    /// `amount` (R): decimal major units.
    pub amount: Amount,
    /// `currency` (R).
    pub currency: Currency,
    /// `ipaddress` (R, 45): the payer's IP address.
    pub ipaddress: String,
    /// `site_url` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// `card_printed_name` (R): the cardholder's name.
    pub card_printed_name: String,
    /// `credit_card_number` (R): a secret.
    pub credit_card_number: CardNumber,
    /// `expire_month` (R).
    pub expire_month: String,
    /// `expire_year` (R).
    pub expire_year: String,
    /// `cvv2` (R): a secret.
    pub cvv2: Cvv2,
    /// `destination` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// `redirect_url` (R): where the payer returns after 3-D Secure (a POST, see
    /// [`CustomerReturn`](crate::CustomerReturn)).
    pub redirect_url: String,
    /// `server_callback_url` (O): where the gateway sends its callbacks (GET, see
    /// [`ServerCallback`](crate::ServerCallback)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_callback_url: Option<String>,
    /// `redirect_success_url` (O; plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_success_url: Option<String>,
    /// `redirect_fail_url` (O; plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_fail_url: Option<String>,
    /// `notify_url` (O; plugins): receives every new transaction type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
}

checked_request! {
    /// The v2 `sale` and `preauth` request: a payment with card data ([`SaleFields`]).
    ///
    /// `control = sha1(ENDPOINTID or ENDPOINTGROUPID + client_orderid + amount in minor units
    /// + email + merchant control key)`, appended by the codec.
    SaleRequest(SaleFields = "SaleFields")
}

// ---------------------------------------------------------------------------------------------
// sale (v4, hosted fields)

/// The fields of a [`SaleV4Request`] (v4 `sale` with a hosted-fields token), in wire order.
///
/// HF `rust-axum-js/src/paynet.rs create_sale` and `main.rs BROWSER_FIELDS` (the DOC page is
/// NOT FOUND). The token replaces the card data ("sending those is an error"); no `login`, no
/// `control` (OAuth). The ten `customer_browser_*` fields are the 3-D Secure 2 browser data,
/// "required by /api/v4/sale".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SaleV4Fields {
    /// `client_orderid` (R, 128).
    pub client_orderid: String,
    /// `order_desc` (R).
    pub order_desc: String,
    /// `amount` (R).
    pub amount: Amount,
    /// `currency` (R).
    pub currency: Currency,
    /// `hosted_fields_token` (R): the single-use token of the hosted card fields.
    pub hosted_fields_token: String,
    /// `card_printed_name` (O; the token lacks it and "some acquirers do not survive" its
    /// absence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_printed_name: Option<String>,
    /// `first_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// `last_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `address1` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    /// `city` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `zip_code` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// `country` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `state` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `phone` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `email` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `ipaddress` (R).
    pub ipaddress: String,
    /// `redirect_url` (R).
    pub redirect_url: String,
    /// `customer_browser_info` (R).
    pub customer_browser_info: String,
    /// `customer_browser_javascript_enabled` (R).
    pub customer_browser_javascript_enabled: String,
    /// `customer_browser_java_enabled` (R).
    pub customer_browser_java_enabled: String,
    /// `customer_browser_accept_language` (R).
    pub customer_browser_accept_language: String,
    /// `customer_browser_color_depth` (R).
    pub customer_browser_color_depth: String,
    /// `customer_browser_screen_width` (R).
    pub customer_browser_screen_width: String,
    /// `customer_browser_screen_height` (R).
    pub customer_browser_screen_height: String,
    /// `customer_browser_time_zone` (R).
    pub customer_browser_time_zone: String,
    /// `customer_browser_accept_header` (R).
    pub customer_browser_accept_header: String,
    /// `customer_browser_user_agent` (R).
    pub customer_browser_user_agent: String,
}

checked_request! {
    /// The v4 `sale` request with a hosted-fields token ([`SaleV4Fields`]), signed with OAuth.
    SaleV4Request(SaleV4Fields = "SaleV4Fields")
}

// ---------------------------------------------------------------------------------------------
// sale-form, preauth-form, transfer-form

/// The fields of a [`FormRequest`] (v2 `sale-form`, `preauth-form`, `transfer-form`), in wire
/// order: the sale's without card data.
///
/// PHPLIB `Prototype/PaymentFormQuery`; NODE `preauthReq`; WOO (`sale-form`, which also sends
/// the three plugin URLs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FormRequestFields {
    /// `client_orderid` (R, 128).
    pub client_orderid: String,
    /// `order_desc` (R, 64k).
    pub order_desc: String,
    /// `first_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// `last_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `ssn` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssn: Option<String>,
    /// `birthday` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// `address1` (R, 50).
    pub address1: String,
    /// `city` (R, 50).
    pub city: String,
    /// `state` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `zip_code` (R, 10).
    pub zip_code: String,
    /// `country` (R, 2).
    pub country: String,
    /// `phone` (R, 15).
    pub phone: String,
    /// `cell_phone` (O, 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_phone: Option<String>,
    /// `email` (R, 50).
    pub email: String,
    /// `amount` (R).
    pub amount: Amount,
    /// `currency` (R).
    pub currency: Currency,
    /// `ipaddress` (R, 45).
    pub ipaddress: String,
    /// `site_url` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// `redirect_url` (R).
    pub redirect_url: String,
    /// `server_callback_url` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_callback_url: Option<String>,
    /// `redirect_success_url` (O; plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_success_url: Option<String>,
    /// `redirect_fail_url` (O; plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_fail_url: Option<String>,
    /// `notify_url` (O; plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
}

checked_request! {
    /// The request of the three v2 payment forms ([`FormRequestFields`]): the gateway answers
    /// `async-form-response` with the `redirect-url` of its payment page.
    FormRequest(FormRequestFields = "FormRequestFields")
}

// ---------------------------------------------------------------------------------------------
// capture, return, void

/// The fields of a [`CaptureRequest`] (v2 `capture`), in wire order. DOC `.eu/…/api_v2_capture.html`
/// (3.6); NODE `captureReq`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct CaptureFields {
    /// `login` (R).
    pub login: String,
    /// `client_orderid` (R, 128).
    pub client_orderid: String,
    /// `orderid` (R, 20): the gateway's id of the preauth.
    pub orderid: String,
    /// `amount` (O, "may or may not be sent"): the amount to capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// `currency` (O; needed with `amount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

checked_request! {
    /// The v2 `capture` request ([`CaptureFields`]).
    CaptureRequest(CaptureFields = "CaptureFields")
}

impl CaptureRequest {
    /// Captures the whole preauth `orderid` (known to the merchant as `client_orderid`).
    ///
    /// # Errors
    /// As for [`Checked::check`].
    pub fn new(
        login: impl Into<String>,
        client_orderid: impl Into<String>,
        orderid: impl Into<String>,
    ) -> Result<Self, ProtoError> {
        Self::try_from(CaptureFields {
            login: login.into(),
            client_orderid: client_orderid.into(),
            orderid: orderid.into(),
            amount: None,
            currency: None,
        })
    }

    /// Captures `amount` of `currency` only (both then enter the `control`).
    ///
    /// # Errors
    /// [`ProtoError::InvalidAmount`] when the amount has more fraction digits than the
    /// currency.
    pub fn with_amount(self, amount: Amount, currency: Currency) -> Result<Self, ProtoError> {
        Self::try_from(CaptureFields {
            amount: Some(amount),
            currency: Some(currency),
            ..self.0
        })
    }
}

/// The fields of a [`ReturnRequest`] (v2 `return`: a refund of a sale or capture, a cancel of
/// a preauth), in wire order. DOC `.eu/…/api_v2_return.html` (3.19); PHPLIB `ReturnQuery`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ReturnFields {
    /// `login` (R, 20).
    pub login: String,
    /// `client_orderid` (R, 128).
    pub client_orderid: String,
    /// `orderid` (R, 20).
    pub orderid: String,
    /// `amount` (O): "If … omitted, initial transaction is reversed as a whole"; it "cannot
    /// exceed initial transaction amount".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// `currency` ("MUST be specified if amount is specified").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// `comment` (O, 50; the PHP library requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

checked_request! {
    /// The v2 `return` request ([`ReturnFields`]).
    ReturnRequest(ReturnFields = "ReturnFields")
}

impl ReturnRequest {
    /// Returns the whole order `orderid`.
    ///
    /// # Errors
    /// As for [`Checked::check`].
    pub fn new(
        login: impl Into<String>,
        client_orderid: impl Into<String>,
        orderid: impl Into<String>,
    ) -> Result<Self, ProtoError> {
        Self::try_from(ReturnFields {
            login: login.into(),
            client_orderid: client_orderid.into(),
            orderid: orderid.into(),
            ..ReturnFields::default()
        })
    }

    /// Returns `amount` of `currency` only (a partial refund).
    ///
    /// # Errors
    /// [`ProtoError::InvalidAmount`] when the amount has more fraction digits than the
    /// currency.
    pub fn with_amount(self, amount: Amount, currency: Currency) -> Result<Self, ProtoError> {
        Self::try_from(ReturnFields {
            amount: Some(amount),
            currency: Some(currency),
            ..self.0
        })
    }

    /// Adds a `comment`.
    ///
    /// # Errors
    /// As for [`Checked::check`], for `comment` (at most 50 characters).
    pub fn with_comment(self, comment: impl Into<String>) -> Result<Self, ProtoError> {
        Self::try_from(ReturnFields {
            comment: Some(comment.into()),
            ..self.0
        })
    }
}

/// The fields of a [`VoidRequest`] (v2 `void`), in wire order. DOC `.com/…/api_v2_void.html`
/// (3.25): "Void can only be processed for Sale and Capture transactions in the final
/// successful status". The doc marks `amount` both optional and mandatory and calls
/// `client_orderid` "Numeric 10" (spec R5): `comment` is sent, the amount is optional and is not
/// signed, `client_orderid` is text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct VoidFields {
    /// `login` (R, 20).
    pub login: String,
    /// `client_orderid` (R).
    pub client_orderid: String,
    /// `orderid` (R, 20).
    pub orderid: String,
    /// `amount` (O): "specifies amount to be reversed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// `currency` (C: with `amount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// `comment` (R, 50).
    pub comment: String,
}

checked_request! {
    /// The v2 `void` request ([`VoidFields`]).
    VoidRequest(VoidFields = "VoidFields")
}

impl VoidRequest {
    /// Voids the order `orderid`, with a `comment`.
    ///
    /// # Errors
    /// As for [`Checked::check`].
    pub fn new(
        login: impl Into<String>,
        client_orderid: impl Into<String>,
        orderid: impl Into<String>,
        comment: impl Into<String>,
    ) -> Result<Self, ProtoError> {
        Self::try_from(VoidFields {
            login: login.into(),
            client_orderid: client_orderid.into(),
            orderid: orderid.into(),
            amount: None,
            currency: None,
            comment: comment.into(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// get-card-info

/// The fields of a [`GetCardInfoRequest`] (v2 `get-card-info`). DOC
/// `.eu/…/api_v2_get-card-info.html` (3.12); PHPLIB `GetCardInfoQuery`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct GetCardInfoFields {
    /// `login` (R, 20).
    pub login: String,
    /// `cardrefid` (R, 20): the card reference.
    pub cardrefid: String,
}

checked_request! {
    /// The v2 `get-card-info` request ([`GetCardInfoFields`]).
    GetCardInfoRequest(GetCardInfoFields = "GetCardInfoFields")
}

impl GetCardInfoRequest {
    /// The stored card behind `cardrefid`.
    ///
    /// # Errors
    /// As for [`Checked::check`].
    pub fn new(login: impl Into<String>, cardrefid: impl Into<String>) -> Result<Self, ProtoError> {
        Self::try_from(GetCardInfoFields {
            login: login.into(),
            cardrefid: cardrefid.into(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// make-rebill-sale, make-rebill-preauth

/// The fields of a [`MakeRebillRequest`] (v2 `make-rebill-sale` and `make-rebill-preauth`: a
/// merchant-initiated charge of a card reference), in wire order.
///
/// DOC `.com/…/api_v2_make-rebill-sale.html` (3.15; its table is cut off after
/// `recurrent_scenario`); PHPLIB `MakeRebillQuery` (which also requires `order_desc` and
/// `ipaddress` and sends `comment`, `cvv2`, `server_callback_url`); NODE also sends
/// `redirect_url`. The DOC lists only the first five as required.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct MakeRebillFields {
    /// `login` (R, 20).
    pub login: String,
    /// `client_orderid` (R, 128).
    pub client_orderid: String,
    /// `cardrefid` (R, 20): from `create-card-ref`.
    pub cardrefid: String,
    /// `amount` (R).
    pub amount: Amount,
    /// `currency` (R).
    pub currency: Currency,
    /// `enumerate_amounts` (O, 128): a comma-separated list the gateway cycles through until
    /// one is approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enumerate_amounts: Option<String>,
    /// `recurrent_scenario` (O, 50: `REGULAR` or `IRREGULAR`, "only used for specific
    /// acquirers").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrent_scenario: Option<String>,
    /// `order_desc` (O; PHPLIB requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_desc: Option<String>,
    /// `ipaddress` (O; PHPLIB requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipaddress: Option<String>,
    /// `comment` (O; PHPLIB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `cvv2` (O; PHPLIB): a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvv2: Option<Cvv2>,
    /// `server_callback_url` (O; PHPLIB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_callback_url: Option<String>,
    /// `redirect_url` (O; NODE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}

checked_request! {
    /// The v2 `make-rebill-sale` / `make-rebill-preauth` request ([`MakeRebillFields`]).
    MakeRebillRequest(MakeRebillFields = "MakeRebillFields")
}

impl MakeRebillRequest {
    /// Charges `amount` of `currency` to the card reference `cardrefid`.
    ///
    /// # Errors
    /// As for [`Checked::check`].
    pub fn new(
        login: impl Into<String>,
        client_orderid: impl Into<String>,
        cardrefid: impl Into<String>,
        amount: Amount,
        currency: Currency,
    ) -> Result<Self, ProtoError> {
        Self::try_from(MakeRebillFields {
            login: login.into(),
            client_orderid: client_orderid.into(),
            cardrefid: cardrefid.into(),
            amount,
            currency,
            ..MakeRebillFields::default()
        })
    }
}

// ---------------------------------------------------------------------------------------------
// account-verification, sync/account-verification

/// The fields of an [`AccountVerificationRequest`] (v2 `account-verification` and
/// `sync/account-verification`: a card check without a charge), in wire order. PHPLIB
/// `{Sync}AccountVerificationQuery`; DOC `.eu/card_payment_API/account-verification.html`. No
/// `login`, no amount.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AccountVerificationFields {
    /// `client_orderid` (R, 128).
    pub client_orderid: String,
    /// `order_desc` (R).
    pub order_desc: String,
    /// `card_printed_name` (R).
    pub card_printed_name: String,
    /// `first_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// `last_name` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `ssn` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssn: Option<String>,
    /// `birthday` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// `address1` (R, 50).
    pub address1: String,
    /// `city` (R, 50).
    pub city: String,
    /// `state` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `zip_code` (R, 10).
    pub zip_code: String,
    /// `country` (R, 2).
    pub country: String,
    /// `phone` (O, 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `cell_phone` (O, 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_phone: Option<String>,
    /// `email` (R, 50).
    pub email: String,
    /// `credit_card_number` (R): a secret.
    pub credit_card_number: CardNumber,
    /// `expire_month` (R).
    pub expire_month: String,
    /// `expire_year` (R).
    pub expire_year: String,
    /// `cvv2` (R): a secret.
    pub cvv2: Cvv2,
    /// `ipaddress` (R, 45).
    pub ipaddress: String,
    /// `site_url` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// `purpose` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// `server_callback_url` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_callback_url: Option<String>,
}

checked_request! {
    /// The v2 `account-verification` (and `sync/account-verification`) request
    /// ([`AccountVerificationFields`]).
    AccountVerificationRequest(AccountVerificationFields = "AccountVerificationFields")
}

// ---------------------------------------------------------------------------------------------
// transfer-by-ref (v2)

/// The fields of a [`TransferByRefRequest`] (v2 `transfer-by-ref`: money from one card
/// reference to another), in wire order. PHPLIB `TransferByRefQuery`; RUBY. The card
/// reference fields are hyphenated on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TransferByRefFields {
    /// `login` (R).
    pub login: String,
    /// `client_orderid` (R, 128).
    pub client_orderid: String,
    /// `order_desc` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_desc: Option<String>,
    /// `amount` (R).
    pub amount: Amount,
    /// `currency` (R).
    pub currency: Currency,
    /// `ipaddress` (R, 45).
    pub ipaddress: String,
    /// `source-card-ref-id` (O): the payer's card reference (an empty `control` part when not
    /// sent).
    #[serde(
        rename = "source-card-ref-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub source_card_ref_id: Option<String>,
    /// `destination-card-ref-id` (R): the receiver's card reference.
    #[serde(rename = "destination-card-ref-id")]
    pub destination_card_ref_id: String,
    /// `cvv2` (O): a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvv2: Option<Cvv2>,
    /// `redirect_url` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// `server_callback_url` (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_callback_url: Option<String>,
}

checked_request! {
    /// The v2 `transfer-by-ref` request ([`TransferByRefFields`]).
    TransferByRefRequest(TransferByRefFields = "TransferByRefFields")
}

// ---------------------------------------------------------------------------------------------
// tokenize/create-ephemeral-ticket (v4)

/// The fields of a [`CreateEphemeralTicketRequest`]: none (HF `paynet.rs ephemeral_ticket`
/// posts an empty, OAuth-signed body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct CreateEphemeralTicketFields {}

checked_request! {
    /// The v4 `tokenize/create-ephemeral-ticket` request: an empty body.
    CreateEphemeralTicketRequest(CreateEphemeralTicketFields = "CreateEphemeralTicketFields")
}

impl CreateEphemeralTicketRequest {
    /// The (empty) request.
    pub fn new() -> Self {
        Self(CreateEphemeralTicketFields {})
    }
}

impl Default for CreateEphemeralTicketRequest {
    fn default() -> Self {
        Self::new()
    }
}

/// The v2 `create-card-ref` request: `login`, `client_orderid`, `orderid`, the same fields as
/// the v2 `status` request (`control = sha1(login + client_orderid + orderid + key)` for both).
pub type CreateCardRefV2Request = crate::StatusV2Request;
