//! Payneteasy API v2 and v4 as types: operations, their requests and responses, transaction statuses,
//! endpoints and environments, and the callback `control` checksum.
//!
//! This crate does no I/O and knows nothing of HTTP or of the byte format: `payneteasy-codec`
//! turns these types into signed requests and response bytes back into them.
//!
//! # Design
//! - An [`Operation`] declares its URL path, API version, authentication ([`Auth`]: OAuth
//!   RSA-SHA256, or a v2 SHA-1 `control` whose concatenation order is a list of
//!   [`ControlPart`]s), idempotency, request and response types, success `type` and whether
//!   the v4 body carries `login` ([`BodyLogin`]). Every operation is listed once, in
//!   [`for_each_operation!`]; [`request_field_names`] reads a request's wire names from its
//!   serde declaration.
//! - Messages are declared once with serde derives: the serde attributes are the only place
//!   a wire name is written (requests in `snake_case`, responses `kebab-case`). Any serde
//!   format reads and writes them; `payneteasy-codec` provides the gateway's form format.
//! - Values from the gateway never fail to decode because they are new: [`Status`],
//!   [`ResponseType`] and [`TransactionType`] keep unknown values (serialized as their raw
//!   strings), and responses keep unknown fields in `extra`, in wire order ([`wire::extra`]).
//!   Fields whose JSON type varies accept a number or a string ([`wire::text_or_number`]).
//! - Requests are validated on construction and on deserialization (the `…Fields` twin, then
//!   [`Checked`]): non-empty text within the documented length of its field ([`field_limit`],
//!   the DOC limits, not the PHP library's), no control characters, typed values
//!   ([`Amount`], [`Currency`] from the full ISO 4217 table [`ISO_4217`], the secret
//!   [`CardNumber`] and [`Cvv2`], whose wire names are [`SECRET_FIELDS`]), and an amount
//!   with no more fraction digits than its currency's minor unit.
//! - Amounts are exact decimal text in the body (`10.42`) and exact minor units in the
//!   `control` (`1042`), computed from the text with the ISO 4217 exponent
//!   ([`amount_minor_units`]), never through a float.
//! - The merchant control key is a [`ControlKey`]: redacted in `Debug`, zeroed on drop,
//!   compared in constant time. It signs v2 requests and checks callbacks ([`ServerCallback`],
//!   [`CustomerReturn`]).
//!
//! # Commands
//!
//! The specification's command table (payneteasy-lifecycle A.2; "DOC" is Payneteasy's
//! integration documentation, "PHPLIB" its PHP library, "NODE" `node-payneteasy`, "HF" its
//! hosted-fields examples). `amt` is the amount in minor units; `key` the merchant control key;
//! `[…]` a part present only when its field is sent.
//!
//! | operation | command | ver. | path | `control` (v2) | source of the formula | success `type` | idempotent |
//! |---|---|---|---|---|---|---|---|
//! | [`Sale`] | sale | v2 | `sale` | ENDPOINTID/GROUPID + client_orderid + amt + email + key | DOC sale 3.21, PHPLIB `SaleQuery` | `async-response` | no |
//! | [`SaleV4`] | sale | v4 | `sale` | — (OAuth; hosted-fields token, `customer_browser_*`) | HF `paynet.rs` | `async-response` (or none) | no |
//! | [`Preauth`] | preauth | v2 | `preauth` | as sale | PHPLIB `PreauthQuery` | `async-response` | no |
//! | [`SaleForm`], [`PreauthForm`], [`TransferForm`] | sale-form, preauth-form, transfer-form | v2 | same | as sale | PHPLIB `PaymentFormQuery`, NODE | `async-form-response` | no |
//! | [`Capture`] | capture | v2 | `capture` | login + client_orderid + orderid [+ amt + currency] | DOC capture 3.6 (R3) | `async-response` | no |
//! | [`Return`] | return | v2 | `return` | login + client_orderid + orderid [+ amt + currency] | DOC return 3.19 (R4) | `async-response` | no |
//! | [`Void`] | void | v2 | `void` | login + client_orderid + orderid | DOC void 3.25 (R5) | `async-response` | no |
//! | [`StatusCommand`] | status | v4 | `status` | — (OAuth; `login` in the body) | the v4 specification (PN), HF (R7) | `status-response` | yes |
//! | [`StatusV2`] | status | v2 | `status` | login + client_orderid + orderid | PHPLIB `StatusQuery`, NODE | `status-response` | yes |
//! | [`CreateCardRef`] | create-card-ref | v4 | `create-card-ref` | — (OAuth) | the v4 specification (PN) | `create-card-ref-response` | yes |
//! | [`CreateCardRefV2`] | create-card-ref | v2 | `create-card-ref` | login + client_orderid + orderid | DOC 3.7, PHPLIB, NODE | `create-card-ref-response` or `async-response` (R6) | yes |
//! | [`GetCardInfo`] | get-card-info | v2 | `get-card-info` | login + cardrefid | DOC 3.12, PHPLIB | `get-card-info-response` | yes |
//! | [`MakeRebillSale`], [`MakeRebillPreauth`] | make-rebill-sale, make-rebill-preauth | v2 | same (DOC, R2) | login + client_orderid + cardrefid + amt + currency | PHPLIB after `484bbc7`, NODE (R1) | `async-response` | no |
//! | [`AccountVerification`] | account-verification | v2 | `account-verification` | ENDPOINTID + client_orderid + email | PHPLIB | `async-response` | no |
//! | [`SyncAccountVerification`] | sync-account-verification | v2 | `sync/account-verification` | as account-verification | PHPLIB (`getUrl`) | `status-response` | no |
//! | [`TransferByRef`] | transfer-by-ref | v2 | `transfer-by-ref` | login + client_orderid + source-card-ref-id (empty when not sent) + destination-card-ref-id + amt + currency | PHPLIB, RUBY | `async-response` | no |
//! | [`CreateEphemeralTicket`] | tokenize-create-ephemeral-ticket | v4 | `tokenize/create-ephemeral-ticket` | — (OAuth; empty body) | HF `paynet.rs` | none (JSON `{ephemeralTicket}`) | yes |
//!
//! Every formula above is also in `testdata/vectors/payneteasy/control.json` (`formulas`),
//! whose vectors the codec's tests run through these operations. Where the PHP library
//! computes something else (capture and return without an amount, amounts with too many
//! decimals, floating-point minor units), the doc formula is used.
//!
//! ## Commands left out
//!
//! The specification marks their field lists or answers **NOT FOUND**; nothing is invented:
//!
//! - v4 `transfer` (RPI to PAN, …): field list NOT FOUND.
//! - `payout` / `payout-by-ref` (v4): field lists NOT FOUND (only example scripts).
//! - `payout-pay` (v4): its fields are known (`client_orderid`, `orderid`, `login`), but it only
//!   completes a payout, which is left out above.
//! - v4 `transfer-by-ref` (deposit to card): the DOC table is cut off after `amount`, the
//!   answer is NOT FOUND, and sources disagree on the spelling (`client_orderid` vs
//!   `client-order-id`, R7).
//! - Recurring-payment profiles (`create-recurring-payment`, `update-recurring-payment`,
//!   `create-recurring-payments`, v4): field lists cut off, `control` NOT FOUND.
//! - `3ds/v1/upload-cres-result`: request fields NOT FOUND (and only of interest to 3DS-server
//!   integrations).
//! - `bank-wire-transfer` (v2): a single unofficial source (NODE), a Russian bank-wire form.
//! - v4 variants of preauth, the forms, capture, return, void, get-card-info and make-rebill:
//!   NOT FOUND (use the v2 commands; a v4 merchant holds a control key too).
//!
//! # Quick start
//! ```
//! use payneteasy_proto::{
//!     Operation, CreateCardRef, CreateCardRefRequest, Endpoint, Environment, Status,
//!     ControlKey, verify_callback_control,
//! };
//!
//! # fn main() -> Result<(), payneteasy_proto::ProtoError> {
//! let request = CreateCardRefRequest::new("34T43R77N", "6868305")?;
//! assert_eq!(request.client_orderid(), "34T43R77N");
//!
//! let url = CreateCardRef::url(&Environment::Sandbox, &"39915".parse::<Endpoint>()?);
//! assert_eq!(url, "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915");
//!
//! let local = Environment::custom("http://127.0.0.1:8080/paynet/api/v4")?;
//! assert_eq!(
//!     CreateCardRef::url(&local, &Endpoint::Group(1144)),
//!     "http://127.0.0.1:8080/paynet/api/v4/create-card-ref/group/1144"
//! );
//!
//! assert!(Status::parse("approved").is_final());
//! assert!(!Status::parse("chain_declined").is_final()); // kept as Status::Unknown
//!
//! let key = ControlKey::new("test-merchant-control")?;
//! assert!(verify_callback_control(
//!     "approved", "1234567", "hf-abc", &key,
//!     "652ace404c4dfe8bba069ecee594ec23a89340e1",
//! ));
//! # Ok(())
//! # }
//! ```
//!
//! # Crate features
//! None: the crate always builds with `std`.
//!
//! # Unknowns
//! The gateway's error-code list is not published; codes are kept as text. The docs give no
//! exponent for currencies without two decimals (R10): the ISO 4217 exponent is used. `login`
//! is documented as 20 characters but longer logins are in use; it keeps the 128-character
//! identifier bound.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod callback;
mod catalog;
mod endpoint;
mod error;
mod iso4217;
mod messages;
mod operation;
pub mod requests;
pub mod responses;
mod status;
mod values;
pub mod wire;

pub use callback::{
    CallbackError, ControlInput, ControlKey, CustomerReturn, DedupKey, ServerCallback,
    compute_control, sha1_control, verify_callback_control,
};
pub use catalog::{request_field_names, struct_field_names};
pub use endpoint::{BaseUrl, Endpoint, Environment, PRODUCTION_BASE_URL, SANDBOX_BASE_URL};
pub use error::{MAX_ID_CHARS, ProtoError};
pub use iso4217::ISO_4217;
pub use messages::{
    Checked, CreateCardRefFields, CreateCardRefRequest, CreateCardRefResponse, StatusFields,
    StatusRequest, StatusResponse, StatusV2Fields, StatusV2Request,
};
pub use operation::{
    AccountVerification, ApiVersion, Auth, BodyLogin, Capture, ControlPart, CreateCardRef,
    CreateCardRefV2, CreateEphemeralTicket, GetCardInfo, Idempotency, MakeRebillPreauth,
    MakeRebillSale, Operation, Preauth, PreauthForm, Return, Sale, SaleForm, SaleV4, StatusCommand,
    StatusV2, SyncAccountVerification, TransferByRef, TransferForm, Void,
};
pub use requests::{
    AccountVerificationFields, AccountVerificationRequest, CaptureFields, CaptureRequest,
    CreateCardRefV2Request, CreateEphemeralTicketFields, CreateEphemeralTicketRequest, FormRequest,
    FormRequestFields, GetCardInfoFields, GetCardInfoRequest, MakeRebillFields, MakeRebillRequest,
    ReturnFields, ReturnRequest, SaleFields, SaleRequest, SaleV4Fields, SaleV4Request,
    TransferByRefFields, TransferByRefRequest, VoidFields, VoidRequest,
};
pub use responses::{
    AsyncResponse, EphemeralTicketResponse, FormResponse, GetCardInfoResponse,
    SyncAccountVerificationResponse,
};
pub use status::{ResponseType, Status, TransactionType};
pub use values::{
    Amount, AmountError, CardNumber, Currency, Cvv2, MAX_AMOUNT_DIGITS, MAX_CARD_NUMBER_DIGITS,
    MAX_LONG_TEXT_CHARS, SECRET_FIELDS, amount_minor_units, currency_exponent, field_limit,
    format_minor_units, is_secret_field,
};
