//! The crate's one error type.

use paysecure_proto::ResponseStatus;

/// Why a body could not be turned into the expected PaySecure value.
///
/// The variants follow the three ways PaySecure reports failure (HTTP error with ServiceStack's
/// `ResponseStatus`, HTTP error with some other body, HTTP 200 with PaySecure's own `ErrorCode`)
/// plus the ways a body itself can be broken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// HTTP 4xx/5xx whose body is ServiceStack's `{"ResponseStatus": …}`.
    #[error("HTTP {status}: {}", response_status.message.as_deref().or(response_status.error_code.as_deref()).unwrap_or("(no message)"))]
    Service {
        /// The HTTP status code.
        status: u16,
        /// The decoded `ResponseStatus`.
        response_status: ResponseStatus,
    },

    /// A non-2xx status whose body is HTML, empty, or anything but a `ResponseStatus`.
    #[error("HTTP {status} with a body that is not a ServiceStack error: {excerpt:?}")]
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The start of the body, control characters replaced, at most 200 characters.
        excerpt: String,
    },

    /// A 2xx status whose body is not a JSON object (HTML, empty, plain text).
    #[error("HTTP {status} with a body that is not a JSON object: {excerpt:?}")]
    NotJson {
        /// The HTTP status code.
        status: u16,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The start of the body, control characters replaced, at most 200 characters.
        excerpt: String,
    },

    /// HTTP 2xx carrying PaySecure's own `ErrorCode` outside the [`crate::SuccessPolicy`]'s set.
    #[error("PaySecure error {error_code:?}: {}", error_message.as_deref().unwrap_or("(no message)"))]
    Rejected {
        /// `ErrorCode` exactly as sent.
        error_code: String,
        /// `ErrorMessage` exactly as sent.
        error_message: Option<String>,
    },

    /// HTTP 2xx with a success code but without the member success requires
    /// ([`paysecure_proto::Service::REQUIRED`]: `KeyId`, `CardToken`).
    #[error(
        "response without `{field}` (ErrorCode {error_code:?}, ErrorMessage {error_message:?})"
    )]
    Incomplete {
        /// The missing or empty member.
        field: &'static str,
        /// `ErrorCode` as sent.
        error_code: Option<String>,
        /// `ErrorMessage` as sent.
        error_message: Option<String>,
    },

    /// The body is not well-formed JSON, or a member has the wrong JSON type.
    #[error("malformed JSON body")]
    Json(#[source] JsonError),

    /// A date member is not a WCF date (`"\/Date(ms[±HHMM])\/"`).
    #[error("invalid WCF date {value:?} in JSON body")]
    InvalidDate {
        /// The rejected value (JSON string content or JSON number text), cut to 64 characters.
        value: String,
        /// The parse error, which names the reason.
        #[source]
        source: paysecure_proto::Error,
    },

    /// A request body decoded, but its content breaks a rule of the DTO (missing credentials,
    /// bad expiration, …). Servers answer this with a 400.
    #[error("invalid request")]
    Invalid(#[source] paysecure_proto::Error),

    /// The body is longer than the configured limit; nothing was parsed.
    #[error("body of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// The body length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },

    /// The body is not UTF-8 (JSON must be).
    #[error("body is not UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
}

/// Where and why a body stopped being acceptable JSON (or had a member of the wrong JSON type).
///
/// Built from serde_json's error: its position and category, never its message, which may
/// quote the body (a password on the server side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at line {line} column {column}")]
pub struct JsonError {
    /// 1-based line in the body.
    pub line: usize,
    /// 1-based column (in bytes) in that line.
    pub column: usize,
    /// What went wrong.
    pub kind: JsonErrorKind,
}

/// The kind of a [`JsonError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// Not JSON: a stray character, a bad escape, a lone surrogate, nesting deeper than 128.
    #[error("JSON syntax error")]
    Syntax,
    /// Well-formed JSON, but a member has the wrong type or is out of range (`"KeyId":5`).
    #[error("member of the wrong JSON type")]
    Type,
    /// The body ends in the middle of a value.
    #[error("JSON body cut short")]
    Truncated,
}
