//! Payneteasy API v2 and v4 as types: operations, their requests and responses, transaction statuses,
//! endpoints and environments, and the callback `control` checksum.
//!
//! This crate does no I/O and knows nothing of HTTP or of the byte format: `payneteasy-codec`
//! turns these types into signed requests and response bytes back into them.
//!
//! # Design
//! - An [`Operation`] declares its URL path, API version, authentication ([`Auth`]: OAuth
//!   RSA-SHA256, or a v2 SHA-1 `control` whose concatenation order is a list of
//!   [`ControlPart`]s), idempotency, request and response types and success `type`.
//!   [`CreateCardRef`], [`StatusCommand`] (v4) and [`StatusV2`] are modelled so far; adding a
//!   command is its messages plus one impl.
//! - Messages are declared once with serde derives: the serde attributes are the only place
//!   a wire name is written (requests in `snake_case`, responses `kebab-case`). Any serde
//!   format reads and writes them; `payneteasy-codec` provides the gateway's form format.
//! - Values from the gateway never fail to decode because they are new: [`Status`] and
//!   [`ResponseType`] keep unknown values (serialized as their raw strings), and responses
//!   keep unknown fields in `extra`, in wire order ([`wire::extra`]). Fields whose JSON type
//!   varies accept a number or a string ([`wire::text_or_number`]).
//! - Requests are validated on construction and on deserialization (non-empty, at most
//!   [`MAX_ID_CHARS`] characters, no control characters); see [`Checked`].
//! - The merchant control key is a [`ControlKey`]: redacted in `Debug`, zeroed on drop,
//!   compared in constant time.
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
//! The gateway's error-code list is not published; codes are kept as text.
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
