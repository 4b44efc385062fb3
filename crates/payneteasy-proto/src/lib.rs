//! Payneteasy API v4 as types: commands, their requests and responses, transaction statuses,
//! endpoints and environments, and the callback `control` checksum.
//!
//! This crate does no I/O and knows nothing of HTTP or of the byte format: `payneteasy-codec`
//! turns these types into signed requests and response bytes back into them.
//!
//! # Design
//! - A [`Command`] declares its URL path, request and response types; [`CreateCardRef`] and
//!   [`StatusCommand`] are the two modelled so far. Adding a v4 command is one impl.
//! - Messages convert to and from ordered form fields ([`ToForm`], [`FromForm`]), in both
//!   directions, so a gateway emulator can reuse them. A [`FormBuilder`] takes fields one at
//!   a time, so a decoder can stream into it without collecting them first.
//! - Values from the gateway never fail to decode because they are new: [`Status`] and
//!   [`ResponseType`] keep unknown values, and responses keep unknown fields in `extra`.
//! - Request identifiers are validated on construction (non-empty, at most [`MAX_ID_CHARS`]
//!   characters, no control characters).
//! - The merchant control key is a [`ControlKey`]: redacted in `Debug`, zeroed on drop,
//!   compared in constant time.
//!
//! # Quick start
//! ```
//! use payneteasy_proto::{
//!     Command, CreateCardRef, CreateCardRefRequest, Endpoint, Environment, ToForm, Status,
//!     ControlKey, verify_callback_control,
//! };
//!
//! # fn main() -> Result<(), payneteasy_proto::ProtoError> {
//! let request = CreateCardRefRequest::new("34T43R77N", "6868305")?;
//! assert_eq!(request.to_form(), [("client_orderid", "34T43R77N"), ("orderid", "6868305")]);
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
mod command;
mod endpoint;
mod error;
mod form;
mod messages;
mod status;

pub use callback::{ControlKey, compute_control, verify_callback_control};
pub use command::{Command, CreateCardRef, StatusCommand};
pub use endpoint::{BaseUrl, Endpoint, Environment, PRODUCTION_BASE_URL, SANDBOX_BASE_URL};
pub use error::{MAX_ID_CHARS, ProtoError};
pub use form::{FormBuilder, FromForm, ToForm};
pub use messages::{
    CreateCardRefRequest, CreateCardRefRequestBuilder, CreateCardRefResponse,
    CreateCardRefResponseBuilder, StatusRequest, StatusRequestBuilder, StatusResponse,
    StatusResponseBuilder,
};
pub use status::{ResponseType, Status};
