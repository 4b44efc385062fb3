//! Error types.
//!
//! The two enums follow the dispatch state a caller must know: an [`EncodeError`] means the
//! request was never built (nothing was sent); a [`DecodeError`] means a response arrived and
//! says why it cannot be used. [`GatewayError`] is the gateway's own, well-formed refusal.

use std::fmt;

use payneteasy_proto::{ProtoError, ResponseType};
use serde::{Deserialize, Serialize};

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
    /// A message has a shape the form format cannot write (not a struct of text values).
    #[error("the message cannot be written as a form: {0}")]
    Unsupported(String),
    /// The request's values do not make a `control` checksum (an amount that is not a
    /// decimal in the currency's minor units).
    #[error("invalid request")]
    InvalidRequest(#[source] ProtoError),
    /// The operation is authenticated otherwise than the encoder called
    /// ([`encode_request`](crate::encode_request) signs with OAuth,
    /// [`encode_control_request`](crate::encode_control_request) adds a `control`).
    #[error("the operation is authenticated by {expected}, not by this encoder")]
    WrongAuthentication {
        /// How the operation is authenticated.
        expected: &'static str,
    },
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
    /// A value does not fit the type of its field (the deserializer's own words).
    #[error("a field does not fit the message: {0}")]
    Mismatch(String),
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
    /// The kind of a response `type`, when it is a refusal.
    pub fn from_response_type(response_type: &ResponseType) -> Option<Self> {
        match response_type {
            ResponseType::ValidationError => Some(Self::ValidationError),
            ResponseType::Error => Some(Self::Error),
            _ => None,
        }
    }

    /// The response `type` of this kind.
    pub fn response_type(self) -> ResponseType {
        match self {
            Self::ValidationError => ResponseType::ValidationError,
            Self::Error => ResponseType::Error,
        }
    }

    /// The wire value of `type` (the one [`ResponseType`] declares).
    pub fn as_str(self) -> &'static str {
        static VALIDATION_ERROR: ResponseType = ResponseType::ValidationError;
        static ERROR: ResponseType = ResponseType::Error;
        match self {
            Self::ValidationError => VALIDATION_ERROR.as_str(),
            Self::Error => ERROR.as_str(),
        }
    }
}

impl Serialize for GatewayErrorKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GatewayErrorKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ty = ResponseType::deserialize(d)?;
        Self::from_response_type(&ty).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(ty.as_str()),
                &"validation-error or error",
            )
        })
    }
}

/// A refusal from the gateway: `type=validation-error` or `type=error` with its details.
///
/// Not a decline: a decline is a normal response whose `status` is `declined`, `filtered` or
/// `error`. Declared once, like the messages of `payneteasy-proto`: the fields are written in
/// this order, other fields are ignored when reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GatewayError {
    /// Validation error or processing error.
    #[serde(rename = "type")]
    pub kind: GatewayErrorKind,
    /// `serial-number` of the request, for support tickets.
    #[serde(
        rename = "serial-number",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub serial_number: Option<String>,
    /// `error-message`, as sent.
    #[serde(
        rename = "error-message",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// `error-code`, as sent (a number in JSON mode).
    #[serde(
        rename = "error-code",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "payneteasy_proto::wire::text_or_number"
    )]
    pub code: Option<String>,
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
