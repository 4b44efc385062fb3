//! The crate's error types.
//!
//! [`Error`] is what signing and request handling return. [`KeyError`] describes why a key could
//! not be loaded or used (it is also carried by [`Error::Key`]). [`HeaderError`] comes from
//! [`AuthorizationHeader::parse`](crate::AuthorizationHeader::parse), and [`VerifyError`] says
//! which check of [`verify`](crate::verify) failed.
//!
//! None of these types ever carries key material. [`VerifyError::SignatureMismatch`] carries the
//! base string the verifier computed (so an operator can compare it with the sender's), but its
//! `Display` text leaves it out so logs do not receive request parameters by accident.

use crate::SignatureMethod;

/// A boxed error from a pluggable signer or verifier (HSM, KMS, …) or from an RSA back end.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors from building the signature base string, signing, and the convenience helpers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request URL is not an absolute `http`/`https` URL as sent on the wire.
    #[error("invalid request URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The authority override (`host[:port]`) is malformed.
    #[error("invalid authority override: {reason}")]
    InvalidAuthority {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The HTTP method is empty or not an HTTP token.
    #[error("invalid HTTP method: it must be a non-empty HTTP token such as POST")]
    InvalidMethod,
    /// A signature method name this crate does not know (names are case-sensitive).
    #[error("unsupported signature method {name:?}")]
    UnsupportedSignatureMethod {
        /// The name as given.
        name: String,
    },
    /// A protocol parameter (`consumer_key`, `nonce`, `timestamp`) has an unusable value.
    #[error("invalid protocol parameter {name}: {reason}")]
    InvalidParameter {
        /// The `oauth_*` parameter name.
        name: &'static str,
        /// What is wrong with its value.
        reason: &'static str,
    },
    /// The query or the form body already carries a protocol parameter that the signer adds
    /// itself; each protocol parameter may appear only once in a request.
    #[error("the request already carries the protocol parameter {name:?}")]
    ProtocolParameterInRequest {
        /// The parameter name.
        name: String,
    },
    /// The key could not be loaded, or cannot produce this kind of signature.
    #[error("key error")]
    Key(#[from] KeyError),
    /// A pluggable signer (HSM, KMS, …) or the crypto back end failed to produce a signature.
    #[error("signing failed")]
    Signing(#[source] BoxError),
    /// Returned by [`VerifyingKey::verify`](crate::VerifyingKey::verify): the signature does not
    /// match. Any other error from a verifier is reported as a verifier failure.
    #[error("the signature does not match")]
    BadSignature,
    /// The operating system's random number generator failed (only from the `std` helpers).
    #[error("the operating system RNG failed")]
    Random(#[source] BoxError),
    /// The Authorization header could not be built into an `http::HeaderValue` (feature `http`).
    #[error("could not build the HTTP Authorization header")]
    Header(#[source] BoxError),
}

/// Why a key could not be loaded or used. Never contains key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text has no `-----BEGIN …-----` line.
    #[error("not a PEM document: no \"-----BEGIN ...-----\" line found")]
    NotPem,
    /// The PEM framing is broken (missing END line, bad base64, …).
    #[error("malformed PEM: {reason}")]
    Pem {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The key is encrypted with a passphrase; decrypt it first (e.g. `openssl pkey -in k.pem`).
    #[error(
        "the private key is encrypted ({format}); decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`"
    )]
    Encrypted {
        /// Which encrypted format was found.
        format: &'static str,
    },
    /// The document is a kind of PEM/DER object this loader does not read.
    #[error("unsupported key format: {found}")]
    UnsupportedFormat {
        /// What was found (a PEM label or a short description).
        found: String,
    },
    /// The key is not an RSA key.
    #[error("not an RSA key: found {algorithm}")]
    NotRsa {
        /// The algorithm found instead.
        algorithm: &'static str,
    },
    /// A public key was given where a private key is needed, or the other way round.
    #[error("expected {expected}, found {found}")]
    WrongKind {
        /// What the loader needs.
        expected: &'static str,
        /// What it was given.
        found: &'static str,
    },
    /// The DER structure is truncated or is not the expected ASN.1 structure.
    #[error("malformed {format} DER: {reason}")]
    Der {
        /// The structure being read (`PKCS#1`, `PKCS#8`, `SPKI`).
        format: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The modulus is smaller than the back end accepts.
    #[error("{bits}-bit RSA key is too small for the {backend} back end (minimum {min_bits} bits)")]
    TooSmall {
        /// Size of the key.
        bits: usize,
        /// Smallest size the back end accepts.
        min_bits: usize,
        /// Back end name.
        backend: &'static str,
    },
    /// The modulus is larger than the back end accepts.
    #[error("{bits}-bit RSA key is too large for the {backend} back end (maximum {max_bits} bits)")]
    TooLarge {
        /// Size of the key.
        bits: usize,
        /// Largest size the back end accepts.
        max_bits: usize,
        /// Back end name.
        backend: &'static str,
    },
    /// The back end rejected the key after the structure was read.
    #[error("the {backend} back end rejected the key")]
    Rejected {
        /// Back end name.
        backend: &'static str,
        /// The back end's own error.
        #[source]
        source: BoxError,
    },
    /// The key cannot produce or check signatures with this method.
    #[error("this key cannot be used with {method}: {reason}")]
    MethodNotSupported {
        /// The method asked for.
        method: SignatureMethod,
        /// Why not.
        reason: &'static str,
    },
}

/// Why an `Authorization` header could not be parsed. Positions are byte offsets in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header does not start with the `OAuth` scheme (case-insensitive).
    #[error("not an OAuth Authorization header (the scheme must be \"OAuth\")")]
    UnknownScheme,
    /// A parameter name was expected at this position.
    #[error("expected a parameter name at byte {position}")]
    ExpectedName {
        /// Byte offset.
        position: usize,
    },
    /// The parameter name is not followed by `=`.
    #[error("parameter {name:?} is not followed by '=' (byte {position})")]
    MissingEquals {
        /// Parameter name.
        name: String,
        /// Byte offset.
        position: usize,
    },
    /// The value is not a double-quoted string.
    #[error("the value of {name:?} is not quoted (byte {position})")]
    UnquotedValue {
        /// Parameter name.
        name: String,
        /// Byte offset.
        position: usize,
    },
    /// The closing quote is missing.
    #[error("the value of {name:?} has no closing quote")]
    UnterminatedValue {
        /// Parameter name.
        name: String,
    },
    /// A `%` is not followed by two hexadecimal digits.
    #[error("bad percent-escape in the value of {name:?} (byte {position})")]
    BadEscape {
        /// Parameter name.
        name: String,
        /// Byte offset.
        position: usize,
    },
    /// A character that may not appear in a quoted value (control, non-ASCII, `\`).
    #[error("invalid character in the value of {name:?} (byte {position})")]
    InvalidCharacter {
        /// Parameter name.
        name: String,
        /// Byte offset.
        position: usize,
    },
    /// The same parameter appears twice.
    #[error("duplicate parameter {name:?}")]
    DuplicateParameter {
        /// Parameter name.
        name: String,
    },
    /// Something other than `,` follows a parameter, or a trailing comma.
    #[error("unexpected characters at byte {position}")]
    TrailingGarbage {
        /// Byte offset.
        position: usize,
    },
    /// The header is longer than [`HeaderLimits::max_header_bytes`](crate::HeaderLimits);
    /// refused before it is read.
    #[error("the Authorization header is {len} bytes long (at most {max} accepted)")]
    TooLong {
        /// Length of the header value, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The header has more parameters than
    /// [`HeaderLimits::max_params`](crate::HeaderLimits).
    #[error("the Authorization header has more than {max} parameters")]
    TooManyParameters {
        /// The limit.
        max: usize,
    },
    /// A value is longer (as written, percent-encoded) than
    /// [`HeaderLimits::max_value_bytes`](crate::HeaderLimits).
    #[error("the value of {name:?} is longer than {max} bytes")]
    ValueTooLong {
        /// Parameter name.
        name: String,
        /// The limit.
        max: usize,
    },
}

/// Which check of [`verify`](crate::verify) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A required protocol parameter is absent from the header.
    #[error("missing protocol parameter {name}")]
    MissingParameter {
        /// Parameter name.
        name: &'static str,
    },
    /// A protocol parameter is present but unusable (timestamp not a positive integer,
    /// signature not base64, value not UTF-8, …).
    #[error("malformed protocol parameter {name}: {reason}")]
    MalformedParameter {
        /// Parameter name.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A protocol parameter also appears in the query or the form body.
    #[error("protocol parameter {name:?} appears both in the header and in the request")]
    DuplicateParameter {
        /// Parameter name.
        name: String,
    },
    /// `oauth_version` is present and is not `1.0`.
    #[error("unsupported oauth_version {version:?} (only \"1.0\")")]
    UnsupportedVersion {
        /// The version sent.
        version: String,
    },
    /// `oauth_signature_method` is not the method of the verifying key.
    #[error("signature method {found:?} does not match the key's {expected}")]
    MethodMismatch {
        /// The key's method.
        expected: SignatureMethod,
        /// The method named in the header.
        found: String,
    },
    /// The timestamp is further from `now` than the policy allows.
    #[error("timestamp {timestamp} is more than {max_skew_secs}s away from now ({now})")]
    StaleTimestamp {
        /// The request's timestamp.
        timestamp: u64,
        /// The verifier's clock.
        now: u64,
        /// The allowed skew.
        max_skew_secs: u64,
    },
    /// The nonce store has already seen this (consumer key, timestamp, nonce).
    #[error("the nonce was already used (replayed request)")]
    ReplayedNonce,
    /// `oauth_nonce` is longer than [`VerifyPolicy::max_nonce_bytes`](crate::VerifyPolicy);
    /// checked before the signature and before any nonce store access.
    #[error("oauth_nonce is {len} bytes long (at most {max} accepted)")]
    NonceTooLong {
        /// Length of the nonce, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The nonce store no longer remembers nonces as old as this timestamp (outside its window,
    /// or forgotten to make room), so it cannot prove the request is not a replay
    /// ([`NonceCheck::TooOld`](crate::NonceCheck::TooOld)). Resending with a current
    /// timestamp succeeds.
    #[error(
        "timestamp {timestamp} is older than the replay cache remembers (oldest accepted: {oldest_accepted})"
    )]
    NonceTooOld {
        /// The request's timestamp.
        timestamp: u64,
        /// The oldest timestamp the store accepts now.
        oldest_accepted: u64,
    },
    /// The nonce store is full of nonces at least as recent as this one
    /// ([`NonceCheck::Full`](crate::NonceCheck::Full)): a transient refusal, not a replay.
    #[error("the replay cache is full; retry with a new timestamp")]
    NonceStoreFull,
    /// The nonce store could not be consulted (unreachable, timed out, answered an error), so
    /// the request is refused: replay protection fails closed, never open.
    #[error("{0}")]
    ReplayCheckUnavailable(#[source] ReplayCheckUnavailable),
    /// `oauth_body_hash` does not match the body.
    #[error("oauth_body_hash does not match the body")]
    BodyHashMismatch,
    /// `oauth_body_hash` was sent with a form body, where it is not allowed.
    #[error("oauth_body_hash is not allowed on a form-encoded body")]
    BodyHashOnFormBody,
    /// The signature does not match. `base_string` is the one this verifier computed; it is
    /// left out of the `Display` text on purpose.
    #[error("the signature does not match the request")]
    SignatureMismatch {
        /// The signature base string computed from the request.
        base_string: String,
    },
    /// The request itself is unusable (bad URL, bad method, bad authority override).
    #[error("the request cannot be verified")]
    Request(#[source] Error),
    /// The verifying key failed for a reason other than a mismatch (e.g. an HSM error).
    #[error("the verifier failed")]
    Verifier(#[source] Error),
}

/// A nonce store could not answer (a network store that is unreachable, timed out or answered
/// an error): the replay check is **unavailable** and the request must be refused.
///
/// Returned by an [`AsyncNonceStore`](crate::AsyncNonceStore) and carried by
/// [`VerifyError::ReplayCheckUnavailable`]. Its `Display` says that the request was refused;
/// the store's own error is its [`source`](std::error::Error::source). Stores must not put
/// credentials (e.g. a password in a connection URL) in that source.
#[derive(Debug, thiserror::Error)]
#[error(
    "replay check unavailable: the nonce store could not be consulted, so the request is refused (fail closed)"
)]
pub struct ReplayCheckUnavailable {
    #[source]
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl ReplayCheckUnavailable {
    /// Wraps the store's error.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        ReplayCheckUnavailable {
            source: source.into(),
        }
    }

    /// The store's error.
    pub fn reason(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.source
    }
}
