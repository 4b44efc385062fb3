//! Sans-IO wire format of the Payneteasy API, as a serde format.
//!
//! Typed requests from [`payneteasy_proto`] become signed `http::Request<Bytes>` values
//! ([`encode_request`] for v4 OAuth operations, [`encode_control_request`] for v2 operations
//! checked by a SHA-1 `control` computed from the operation's declared part list,
//! [`compute_control`]); gateway responses (status, content type, body) become typed
//! responses or a typed [`DecodeError`] ([`decode_response`]).
//!
//! The form format is a serde serializer ([`to_fields`], [`to_request_body`],
//! [`to_response_body`]) and deserializer ([`from_fields`] over the pairs that
//! [`decode_response_fields`] or [`FormFields`] read), so every message declared with serde
//! derives in `payneteasy-proto` (or elsewhere) is read and written without per-message code.
//! The same declarations read JSON with `serde_json` (numbers and strings both accepted where
//! the gateway varies). No sockets, no clock, no RNG: the nonce and
//! timestamp are arguments, so tests pin them and compare exact bytes.
//!
//! # The wire format
//! - Requests: `POST <base>/<command>/<endpoint>`, `Content-Type:
//!   application/x-www-form-urlencoded`, an `Authorization: OAuth …` header from
//!   [`oauth1_signer`], and the form body with the fields in declaration order.
//! - Responses (form mode, the gateway's default): HTTP 200, `Content-Type: text/html`, a form
//!   body where every value is followed by a line feed: `type=…\n&serial-number=…\n&status=…`.
//!   The decoder accepts each value with or without its `\n` or `\r\n` and removes exactly one
//!   such terminator (no other trimming), decodes `+` as a space and `%XX` as UTF-8.
//! - `type=validation-error` and `type=error` become [`DecodeError::Gateway`]; a decline is a
//!   normal response whose `status` says so (the caller decides).
//! - HTTP 401 and 403 (an HTML "Access is denied" page) become
//!   [`DecodeError::AuthenticationRefused`] with a short sanitized excerpt; the page is never
//!   parsed as a form.
//! - The body limit is checked before parsing ([`DecodeLimits`]).
//!
//! - v2 requests: [`encode_control_request`] appends `control`, the SHA-1 of the operation's
//!   declared parts ([`payneteasy_proto::Auth::Control`]; amounts in exact minor units);
//!   [`compute_control`] gives it alone. v4 `status` also sends `login` in the body (the OAuth
//!   consumer key, [`payneteasy_proto::BodyLogin::ConsumerKey`]).
//! - Callbacks: [`parse_server_callback`] reads the server-to-server callback's query string and
//!   [`parse_customer_return`] the payer's POST back to `redirect_url`, into
//!   [`payneteasy_proto::ServerCallback`] and [`payneteasy_proto::CustomerReturn`], whose
//!   `verify` checks the `control` in constant time. A parameter given twice is refused.
//!
//! The same functions serve a gateway emulator: [`decode_request`] / [`decode_request_form`]
//! read request bodies, [`encode_response`], [`encode_gateway_error`] and
//! [`encode_response_body`] write response bodies exactly like the gateway (a line feed after
//! every value but the last, as in the seed's 174-byte response).
//!
//! # Quick start
//! ```
//! use bytes::Bytes;
//! use payneteasy_codec::{DecodeError, DecodeLimits, decode_response, encode_request};
//! use payneteasy_proto::{CreateCardRef, CreateCardRefRequest, Endpoint, Environment, Status};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Payneteasy wants an RSA key (oauth1_signer's RsaPrivateKey::from_pem); an HMAC key keeps
//! // this example self-contained.
//! let key = oauth1_signer::HmacKey::new("consumer-secret", "");
//! let request = CreateCardRefRequest::new("34T43R77N", "6868305")?;
//! let encoded = encode_request::<CreateCardRef>(
//!     &Environment::Sandbox,
//!     &Endpoint::Id(39915),
//!     &request,
//!     "TestMerchant",
//!     &key,
//!     "KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q",
//!     1_673_335_450,
//! )?;
//! assert_eq!(
//!     encoded.request.uri(),
//!     "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915"
//! );
//! assert_eq!(encoded.request.body(), "client_orderid=34T43R77N&orderid=6868305");
//! assert!(encoded.signed.authorization().starts_with("OAuth "));
//!
//! // ... send it, then:
//! let response = http::Response::builder()
//!     .status(200)
//!     .header("content-type", "text/html;charset=utf-8")
//!     .body(Bytes::from_static(
//!         b"type=create-card-ref-response\n&serial-number=1\n&card-ref-id=1461608\n&status=approved",
//!     ))?;
//! let limits = DecodeLimits::default();
//! let decoded = decode_response::<CreateCardRef>(&response, &limits)?;
//! assert_eq!(decoded.status, Status::Approved);
//! assert_eq!(decoded.card_ref_id.as_deref(), Some("1461608"));
//!
//! let refused = http::Response::builder()
//!     .status(403)
//!     .body(Bytes::from_static(b"<html><body><p>Access is denied</p></body></html>"))?;
//! match decode_response::<CreateCardRef>(&refused, &limits) {
//!     Err(DecodeError::AuthenticationRefused { status: 403, excerpt }) => {
//!         assert_eq!(excerpt, "Access is denied")
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Crate features
//! None. The crate needs `std`; it uses `oauth1-signer` without its default features (the
//! caller chooses the RSA back end by enabling it on `oauth1-signer`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod callback;
mod de;
mod decode;
mod encode;
mod error;
mod excerpt;
mod form;
#[doc(hidden)]
pub mod fuzzing;
mod ser;

pub use callback::{
    parse_customer_return, parse_customer_return_with, parse_server_callback,
    parse_server_callback_with,
};
pub use de::from_fields;
pub use decode::{
    DecodeLimits, Fields, decode_request, decode_request_form, decode_response,
    decode_response_fields, decode_response_parts,
};
pub use encode::{
    ACCEPT_VALUE, EncodedRequest, compute_control, encode_control_request, encode_gateway_error,
    encode_request, encode_request_body, encode_response, to_request_body, to_response_body,
};
pub use error::{DecodeError, EncodeError, GatewayError, GatewayErrorKind};
pub use excerpt::text_excerpt;
pub use form::{FORM_CONTENT_TYPE, FormFields, encode_form, encode_response_body};
pub use ser::to_fields;
