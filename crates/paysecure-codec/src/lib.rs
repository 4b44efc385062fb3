//! Sans-IO JSON codec for PaySecure Pinless Web Services (a ServiceStack host): typed requests
//! to bytes, and response bytes plus HTTP status to a typed response or a typed error.
//!
//! # Design
//! - **JSON only.** The seed's "HTTP + CSV" sample shows a JSON body under `text/csv` headers;
//!   that is an artefact of ServiceStack's metadata pages, which always render samples as JSON.
//!   Real ServiceStack CSV output of a `[DataContract]` response writes only its first complex
//!   property (`Timestamps`) and would lose `KeyId`, `Modulus` and `Exponent`, so a client must
//!   send `Content-Type: application/json` and `Accept: application/json`.
//! - **Output like ServiceStack's:** [`encode`] writes the DTOs' serde derives with `serde_json`:
//!   PascalCase members in declaration order, null members left out, dates written
//!   `"\/Date(ms[±HHMM])\/"`. The seed's samples re-encode byte for byte.
//! - **Card encryption** with the key of a `CreateKey` session: [`card_crypto`].
//! - **Input like ServiceStack's:** member names match ignoring ASCII case (`KeyId`, `KeyID`,
//!   `keyid`), unknown members are ignored, missing or `null` members are `None`, for a repeated
//!   member the last one wins. `serde_json` parses; the case-insensitive matching is an adapter
//!   that compares JSON names with the names the DTO's derive declares, so each wire name is
//!   written once, in `paysecure-proto`.
//! - **One operation shape:** every decoder is generic over [`paysecure_proto::Service`], which
//!   names the route, the request and response DTOs and the member success requires.
//! - **Three kinds of failure, kept apart** in [`DecodeError`]: HTTP 4xx/5xx with ServiceStack's
//!   `ResponseStatus` ([`DecodeError::Service`]), HTTP errors with any other body
//!   ([`DecodeError::HttpStatus`]), and HTTP 200 with PaySecure's own `ErrorCode`
//!   ([`DecodeError::Rejected`], judged by a [`SuccessPolicy`]).
//! - **Dates** follow `^/Date\((-?\d+)([+-]\d{4})?\)/$` and keep their suffix
//!   ([`paysecure_proto::WcfDate`]); ISO-8601 dates are rejected.
//!
//! # Quick start
//! ```
//! use paysecure_codec::{decode_response, encode, DecodeError, SuccessPolicy};
//! use paysecure_proto::{CreateKey, CreateKeySessionRequest, Password, RequestorCredentials};
//!
//! let credentials = RequestorCredentials::new("m-1", "user", Password::new("pw"), "1.0")?;
//! let body = encode(&CreateKeySessionRequest::new(credentials, Some(15)));
//! assert_eq!(
//!     body,
//!     br#"{"Credentials":{"MerchantId":"m-1","UserName":"user","Password":"pw","Version":"1.0"},"TTLInMinutes":15}"#
//! );
//!
//! // Member names match whatever their case; unknown members are ignored.
//! let policy = SuccessPolicy::default();
//! let reply = br#"{"KeyID":"k-9","Modulus":"C0FF","Exponent":"010001","ErrorCode":"0","Extra":1,
//!                  "Timestamps":{"DBInsert":{"InTime":"\/Date(1673335450123+0330)\/"}}}"#;
//! let session = decode_response::<CreateKey>(200, Some("application/json"), reply, &policy)?;
//! assert_eq!(session.key_id.as_deref(), Some("k-9"));
//! let in_time = session.timestamps.unwrap().db_insert.unwrap().in_time.unwrap();
//! assert_eq!(in_time.unix_millis(), 1_673_335_450_123);
//!
//! // PaySecure's in-band errors and ServiceStack's error bodies become typed errors.
//! let refused = br#"{"ErrorMessage":"Invalid merchant","ErrorCode":"1001"}"#;
//! match decode_response::<CreateKey>(200, None, refused, &policy) {
//!     Err(DecodeError::Rejected { error_code, .. }) => assert_eq!(error_code, "1001"),
//!     other => panic!("{other:?}"),
//! }
//! let denied = br#"{"ResponseStatus":{"ErrorCode":"AuthenticationException","Message":"Invalid UserName or Password"}}"#;
//! assert!(matches!(
//!     decode_response::<CreateKey>(401, Some("application/json"), denied, &policy),
//!     Err(DecodeError::Service { status: 401, .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//! - `time` (off by default): forwarded to `paysecure-proto`, adds conversions between
//!   [`paysecure_proto::WcfDate`] and `time::OffsetDateTime`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod card_crypto;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod json;

use paysecure_proto::{Answer, ErrorResponse, ResponseStatus, Service};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::{DecodeError, JsonError, JsonErrorKind};

/// Default limit for response bodies: 1 MiB (a `CreateKeySession` is about 1.3 KiB).
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 1 << 20;

/// Limit for request bodies decoded by a server: 64 KiB.
pub const MAX_REQUEST_BODY: usize = 64 << 10;

/// Longest body excerpt kept in an error, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// How responses are judged: which in-band `ErrorCode`s mean success, and how large a body may be.
///
/// PaySecure publishes no code list. **Decision:** success is an `ErrorCode` that is missing or
/// in the set (default `""`, `"0"`, `"00"`), together with the member the operation cannot do
/// without (`KeyId` for `CreateKey`, `CardToken` for `TokenizeCard`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccessPolicy {
    success_codes: Vec<String>,
    max_body_len: usize,
}

impl Default for SuccessPolicy {
    fn default() -> Self {
        Self {
            success_codes: vec![String::new(), "0".to_owned(), "00".to_owned()],
            max_body_len: DEFAULT_MAX_RESPONSE_BODY,
        }
    }
}

impl SuccessPolicy {
    /// A policy with exactly these success codes (a missing `ErrorCode` always counts as `""`).
    #[must_use]
    pub fn with_success_codes<I, S>(codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            success_codes: codes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Changes the body size limit.
    #[must_use]
    pub fn max_body_len(mut self, limit: usize) -> Self {
        self.max_body_len = limit;
        self
    }

    /// The body size limit in bytes.
    #[must_use]
    pub fn body_limit(&self) -> usize {
        self.max_body_len
    }

    /// `true` when `error_code` (missing = `""`) means success.
    #[must_use]
    pub fn is_success(&self, error_code: Option<&str>) -> bool {
        let code = error_code.unwrap_or("");
        self.success_codes.iter().any(|c| c == code)
    }
}

/// Writes a DTO (request or response) as ServiceStack does: members in declaration order,
/// `None` members left out, dates as `"\/Date(ms[±HHMM])\/"`.
///
/// A `CreateKeySessionRequest` body holds the password in clear text; zeroize it after
/// sending if that matters to you.
#[must_use]
pub fn encode<T: Serialize + ?Sized>(dto: &T) -> Vec<u8> {
    json::to_vec(dto)
}

/// ServiceStack's error body `{"ResponseStatus": …}`, as a server sends it with a 4xx/5xx
/// status (`Errors` is left out when empty).
#[must_use]
pub fn encode_error_response(status: &ResponseStatus) -> Vec<u8> {
    encode(&ErrorResponse {
        response_status: Some(status.clone()),
    })
}

/// Decodes the answer to a request of service `S` and judges it.
///
/// `content_type` is only reported in errors: the body is judged by its content, since the
/// seed shows JSON under `text/csv` headers.
///
/// # Errors
/// - [`DecodeError::TooLarge`] above the policy's body limit;
/// - non-2xx: [`DecodeError::Service`] with the `ResponseStatus`, else [`DecodeError::HttpStatus`];
/// - 2xx: [`DecodeError::InvalidUtf8`], [`DecodeError::NotJson`], [`DecodeError::Json`],
///   [`DecodeError::InvalidDate`]; then [`DecodeError::Rejected`] for an `ErrorCode` outside the
///   policy's set, [`DecodeError::Incomplete`] when [`Service::REQUIRED`] names a member that
///   is missing or empty.
pub fn decode_response<S: Service>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    policy: &SuccessPolicy,
) -> Result<S::Response, DecodeError> {
    let text = check_response(status, content_type, body, policy)?;
    let response: S::Response = decode_text(text)?;
    let error_code = response.error_code();
    let error_message = || response.error_message().map(str::to_owned);
    if !policy.is_success(error_code) {
        return Err(DecodeError::Rejected {
            error_code: error_code.unwrap_or_default().to_owned(),
            error_message: error_message(),
        });
    }
    if let Some(field) = S::REQUIRED
        && S::required(&response).is_none_or(str::is_empty)
    {
        return Err(DecodeError::Incomplete {
            field,
            error_code: error_code.map(str::to_owned),
            error_message: error_message(),
        });
    }
    Ok(response)
}

/// Decodes a DTO body as it is, without looking at status or success: for round trips,
/// servers' own tests and tools. Limit: [`DEFAULT_MAX_RESPONSE_BODY`].
///
/// # Errors
/// [`DecodeError::TooLarge`], [`DecodeError::InvalidUtf8`], [`DecodeError::Json`],
/// [`DecodeError::InvalidDate`], and [`DecodeError::Invalid`] when a required member of the
/// DTO is missing or a value breaks its rules.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    decode_text(utf8(body, DEFAULT_MAX_RESPONSE_BODY)?)
}

/// Decodes a ServiceStack error body `{"ResponseStatus": …}`; a body without one gives an empty
/// [`ResponseStatus`].
///
/// # Errors
/// As [`decode_body`].
pub fn decode_error_response(body: &[u8]) -> Result<ResponseStatus, DecodeError> {
    let ErrorResponse { response_status } = decode_body(body)?;
    Ok(response_status.unwrap_or_default())
}

/// Server side: decodes and validates the request body of service `S`.
///
/// # Errors
/// [`DecodeError::TooLarge`] above [`MAX_REQUEST_BODY`], [`DecodeError::InvalidUtf8`],
/// [`DecodeError::Json`], and [`DecodeError::Invalid`] when a required member (`Credentials`
/// and its four members; `KeyId`, `EncryptedCardNumber`, `Expiration`) is missing, `null` or
/// empty, or `Expiration` is not `MMYY`.
pub fn decode_request<S: Service>(body: &[u8]) -> Result<S::Request, DecodeError> {
    decode_text(utf8(body, MAX_REQUEST_BODY)?)
}

/// The one place a [`json::Failure`] becomes a [`DecodeError`].
fn decode_text<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    use serde_json::error::Category;
    let json_error = |at: usize, kind| {
        let (line, column) = json::line_column(text.as_bytes(), at);
        DecodeError::Json(JsonError { line, column, kind })
    };
    json::from_str(text).map_err(|failure| match failure {
        json::Failure::Json { category, at } => json_error(
            at,
            match category {
                Category::Eof => JsonErrorKind::Truncated,
                Category::Data => JsonErrorKind::Type,
                Category::Io | Category::Syntax => JsonErrorKind::Syntax,
            },
        ),
        json::Failure::Type { at } => json_error(at.unwrap_or(0), JsonErrorKind::Type),
        json::Failure::Date { value, source } => DecodeError::InvalidDate { value, source },
        json::Failure::Invalid(e) => DecodeError::Invalid(e),
        json::Failure::Missing(field) => {
            DecodeError::Invalid(paysecure_proto::Error::MissingField { field })
        }
        json::Failure::Empty => DecodeError::Invalid(paysecure_proto::Error::MissingField {
            field: "(document)",
        }),
        // `json::from_str` decodes such a body again instead of returning this.
        json::Failure::Repeated => json_error(0, JsonErrorKind::Type),
    })
}

fn utf8(body: &[u8], limit: usize) -> Result<&str, DecodeError> {
    if body.len() > limit {
        return Err(DecodeError::TooLarge {
            len: body.len(),
            limit,
        });
    }
    core::str::from_utf8(body).map_err(|e| DecodeError::InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })
}

/// Status, size and shape checks shared by every response decoder; returns the JSON text.
fn check_response<'b>(
    status: u16,
    content_type: Option<&str>,
    body: &'b [u8],
    policy: &SuccessPolicy,
) -> Result<&'b str, DecodeError> {
    let limit = policy.body_limit();
    if body.len() > limit {
        return Err(DecodeError::TooLarge {
            len: body.len(),
            limit,
        });
    }
    if !(200..300).contains(&status) {
        let service_error = core::str::from_utf8(body)
            .ok()
            .filter(|text| looks_like_object(text))
            .and_then(|text| decode_text::<ErrorResponse>(text).ok())
            .and_then(|error| error.response_status);
        if let Some(response_status) = service_error {
            return Err(DecodeError::Service {
                status,
                response_status,
            });
        }
        return Err(DecodeError::HttpStatus {
            status,
            content_type: content_type.map(|c| excerpt(c.as_bytes())),
            excerpt: excerpt(body),
        });
    }
    let text = core::str::from_utf8(body).map_err(|e| DecodeError::InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    if !looks_like_object(text) {
        return Err(DecodeError::NotJson {
            status,
            content_type: content_type.map(|c| excerpt(c.as_bytes())),
            excerpt: excerpt(body),
        });
    }
    Ok(text)
}

fn looks_like_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}'])
        .starts_with('{')
}

/// The start of a body for an error message: lossy UTF-8, control characters and runs of
/// whitespace turned into one space, at most [`EXCERPT_CHARS`] characters.
///
/// Not `payneteasy_codec::text_excerpt` (which `paygate-client` uses): that one strips HTML,
/// this one keeps a JSON error body's text as it is, and this crate does not depend on the
/// Payneteasy codec (the two codecs share no dependency that could hold one excerpt).
fn excerpt(body: &[u8]) -> String {
    // Never look at more than needed: 4 bytes per character is the UTF-8 maximum.
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(EXCERPT_CHARS.min(text.len()) + 3);
    let mut count = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = count > 0;
            continue;
        }
        if count + usize::from(pending_space) >= EXCERPT_CHARS {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    if body.len() > head.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_clean() {
        assert_eq!(excerpt(b""), "");
        assert_eq!(
            excerpt(b"  <html>\r\n  <body>\x00x</body>  "),
            "<html> <body> x</body>"
        );
        let long = "é".repeat(1000);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt(b"\xff\xfeabc"), "\u{fffd}\u{fffd}abc");
    }

    #[test]
    fn policy() {
        let p = SuccessPolicy::default();
        assert!(
            p.is_success(None)
                && p.is_success(Some(""))
                && p.is_success(Some("0"))
                && p.is_success(Some("00"))
        );
        assert!(!p.is_success(Some("000")) && !p.is_success(Some("1001")));
        let custom = SuccessPolicy::with_success_codes(["A"]).max_body_len(10);
        assert!(custom.is_success(Some("A")) && !custom.is_success(None));
        assert_eq!(custom.body_limit(), 10);
    }
}
