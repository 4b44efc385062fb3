//! Error types.
//!
//! The two enums follow the dispatch state a caller must know: an [`EncodeError`] means the
//! request was never built (nothing was sent); a [`DecodeError`] means a response arrived and
//! says why it cannot be used. [`GatewayError`] is the gateway's own, well-formed refusal.

use std::fmt;

use payneteasy_proto::{ProtoError, ResponseType};

/// Why a request could not be built. Nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The merchant login (OAuth consumer key) is empty or contains control characters.
    #[error("invalid merchant login: {reason}")]
    InvalidLogin {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The OAuth signer refused the request or failed to sign it.
    #[error("OAuth signing failed")]
    Signing(#[source] oauth1_signer::Error),
    /// The HTTP request could not be assembled (for example a header value it refuses).
    #[error("could not build the HTTP request")]
    Http(#[source] http::Error),
}

/// Why a response (or, server side, a request body) cannot be turned into the expected message.
///
/// Match on the variant to classify: [`DecodeError::AuthenticationRefused`] (fix credentials,
/// never retry), [`DecodeError::Gateway`] (a well-formed refusal with code and message), and
/// the rest (a response arrived but is unreadable: its outcome is unknown, ask `status`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// HTTP 401 or 403: the gateway refused the signature, the key or the login. The body (an
    /// HTML page) is not parsed; `excerpt` is its visible text, sanitized and bounded.
    #[error("authentication refused (HTTP {status}): {excerpt}")]
    AuthenticationRefused {
        /// The HTTP status code.
        status: u16,
        /// The page's visible text, at most [`DecodeLimits::max_excerpt_chars`](crate::DecodeLimits::max_excerpt_chars) characters.
        excerpt: String,
    },
    /// An HTTP status other than 200, 401 and 403.
    #[error("unexpected HTTP status {status}: {excerpt}")]
    UnexpectedStatus {
        /// The HTTP status code.
        status: u16,
        /// The body's visible text, sanitized and bounded.
        excerpt: String,
    },
    /// The body is larger than [`DecodeLimits::max_body_bytes`](crate::DecodeLimits::max_body_bytes); it was not parsed.
    #[error("body of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// The body length.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The body has more fields than [`DecodeLimits::max_fields`](crate::DecodeLimits::max_fields).
    #[error("more than {limit} fields")]
    TooManyFields {
        /// The configured limit.
        limit: usize,
    },
    /// The body, or a percent-decoded name or value, is not valid UTF-8.
    #[error("invalid UTF-8 at byte {position}")]
    InvalidUtf8 {
        /// Byte offset in the body (for a decoded component: where the component starts).
        position: usize,
    },
    /// A `%` is not followed by two hexadecimal digits.
    #[error("invalid percent-encoding at byte {position}")]
    InvalidPercentEncoding {
        /// Byte offset of the `%` in the body.
        position: usize,
    },
    /// The body is not form data (an HTML page at HTTP 200, JSON, plain text).
    #[error("the body is not form data ({reason}): {excerpt}")]
    NotAForm {
        /// Why it was refused.
        reason: &'static str,
        /// The body's visible text, sanitized and bounded.
        excerpt: String,
    },
    /// The same field name appears twice.
    #[error("field `{0}` appears more than once")]
    DuplicateField(String),
    /// A form without a `type` field.
    #[error("the response has no `type` field")]
    MissingType,
    /// `type=validation-error` or `type=error`: the gateway refused the request.
    #[error(transparent)]
    Gateway(GatewayError),
    /// A well-formed response of another `type` than the command's.
    #[error("expected a `{expected}` response, got `{found}`")]
    UnexpectedType {
        /// The command's response type.
        expected: ResponseType,
        /// The `type` received.
        found: String,
    },
    /// Server side: the request's `Content-Type` is not form data.
    #[error("unsupported request content type {content_type:?}")]
    UnsupportedContentType {
        /// The content type received (empty when absent), at most 100 characters.
        content_type: String,
    },
    /// The fields do not make the expected message (a required field is missing, a request
    /// value is invalid, ...).
    #[error("invalid message")]
    Invalid(#[source] ProtoError),
}

impl DecodeError {
    /// The gateway's refusal, when this is one.
    pub fn gateway_error(&self) -> Option<&GatewayError> {
        match self {
            Self::Gateway(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the gateway refused the credentials (HTTP 401/403).
    pub fn is_authentication_refused(&self) -> bool {
        matches!(self, Self::AuthenticationRefused { .. })
    }
}

impl From<ProtoError> for DecodeError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::DuplicateField(name) => Self::DuplicateField(name),
            other => Self::Invalid(other),
        }
    }
}

/// Which kind of refusal the gateway sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GatewayErrorKind {
    /// `type=validation-error`: the request was refused before processing.
    ValidationError,
    /// `type=error`: processing failed.
    Error,
}

impl GatewayErrorKind {
    /// The wire value of `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "validation-error",
            Self::Error => "error",
        }
    }
}

/// A refusal from the gateway: `type=validation-error` or `type=error` with its details.
///
/// Not a decline: a decline is a normal response whose `status` is `declined`, `filtered` or
/// `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewayError {
    /// Validation error or processing error.
    pub kind: GatewayErrorKind,
    /// `error-code`, as sent.
    pub code: Option<String>,
    /// `error-message`, as sent.
    pub message: Option<String>,
    /// `serial-number` of the request, for support tickets.
    pub serial_number: Option<String>,
}

impl GatewayError {
    /// A refusal with no details (set the public fields afterwards).
    pub fn new(kind: GatewayErrorKind) -> Self {
        Self {
            kind,
            code: None,
            message: None,
            serial_number: None,
        }
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gateway answered {}", self.kind.as_str())?;
        if let Some(code) = &self.code {
            write!(f, " (code {code})")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(serial) = &self.serial_number {
            write!(f, " [serial-number {serial}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for GatewayError {}
