//! Signing: protocol parameters in, base string + signature + header out.

use std::borrow::Cow;

use base64::Engine as _;
use sha2::Digest as _;

use crate::base_string::{Pairs, base_string};
use crate::header::push_header_param;
use crate::params::{ProtocolProblem, Text, check_protocol_parameters};
use crate::request::Request;
use crate::{Error, SignatureMethod, SigningKey};

/// The digest for `oauth_body_hash` (an extension for non-form bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyHash {
    /// SHA-1, what oauthlib sends whatever the signature method.
    Sha1,
    /// SHA-256, what Mastercard's APIs expect.
    Sha256,
}

impl BodyHash {
    /// `base64(hash(body))`.
    pub fn compute(self, body: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        match self {
            BodyHash::Sha1 => b64.encode(sha1::Sha1::digest(body)),
            BodyHash::Sha256 => b64.encode(sha2::Sha256::digest(body)),
        }
    }
}

/// The protocol parameters of one request. Values are plain text (the signer encodes them).
/// Time and nonce are inputs: pin them in tests, use `generate_nonce` and `unix_timestamp_now`
/// (feature `std`) or your own sources in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthParams<'a> {
    /// `oauth_consumer_key` (Payneteasy: the merchant login).
    pub consumer_key: &'a str,
    /// `oauth_nonce`: unique per (timestamp, consumer key); use a CSPRNG.
    pub nonce: &'a str,
    /// `oauth_timestamp`: Unix seconds, positive.
    pub timestamp: u64,
    /// `oauth_token`, if any.
    pub token: Option<&'a str>,
    /// `realm` for the header (never signed).
    pub realm: Option<&'a str>,
    /// Send and sign `oauth_version="1.0"` (on by default).
    pub include_version: bool,
    /// Send and sign `oauth_body_hash` for a non-form body (off by default; never on a form body).
    pub body_hash: Option<BodyHash>,
}

impl<'a> OAuthParams<'a> {
    /// Consumer key, nonce and timestamp; `oauth_version` on; no token, realm or body hash.
    pub fn new(consumer_key: &'a str, nonce: &'a str, timestamp: u64) -> Self {
        OAuthParams {
            consumer_key,
            nonce,
            timestamp,
            token: None,
            realm: None,
            include_version: true,
            body_hash: None,
        }
    }

    /// Adds `oauth_token`.
    #[must_use]
    pub fn with_token(self, token: &'a str) -> Self {
        OAuthParams {
            token: Some(token),
            ..self
        }
    }

    /// Adds `realm` to the header.
    #[must_use]
    pub fn with_realm(self, realm: &'a str) -> Self {
        OAuthParams {
            realm: Some(realm),
            ..self
        }
    }

    /// Turns `oauth_version="1.0"` on or off.
    #[must_use]
    pub fn with_version(self, include_version: bool) -> Self {
        OAuthParams {
            include_version,
            ..self
        }
    }

    /// Adds `oauth_body_hash` for non-form bodies.
    #[must_use]
    pub fn with_body_hash(self, body_hash: BodyHash) -> Self {
        OAuthParams {
            body_hash: Some(body_hash),
            ..self
        }
    }
}

/// The result of [`sign`]: every intermediate step, the signature and the header value.
///
/// `Debug` shows the method, the normalized parameters and the base string, but not the
/// signature or the header: for PLAINTEXT the signature *is* the secret, and a signed header
/// in a log can be replayed until its nonce is spent.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// The normalized parameter string (§3.4.1.3.2).
    pub normalized_parameters: String,
    /// The signature base string (§3.4.1).
    pub base_string: String,
    /// The raw signature bytes (for PLAINTEXT: the key text).
    pub signature: Vec<u8>,
    /// The method used.
    pub method: SignatureMethod,
    /// The protocol parameters, sorted by name, `oauth_signature` included (its value as it
    /// goes into the header, before percent-encoding).
    oauth_parameters: Vec<(&'static str, String)>,
    authorization: String,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("method", &self.method)
            .field("normalized_parameters", &self.normalized_parameters)
            .field("base_string", &self.base_string)
            .field("signature", &"<redacted>")
            .field("authorization", &"<redacted>")
            .finish()
    }
}

impl Signed {
    /// The signature in standard base64 with padding (what RSA and HMAC methods send).
    pub fn signature_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.signature)
    }

    /// The signature in lower-case hex.
    pub fn signature_hex(&self) -> String {
        hex::encode(&self.signature)
    }

    /// The `Authorization` header value: `OAuth ` then `realm` (if any) and the protocol
    /// parameters sorted by name, `name="enc(value)"`, separated by `", "`.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }

    /// The protocol parameters sorted by name, `oauth_signature` included, with plain values —
    /// for servers that take them in the query or the form body instead of the header.
    pub fn oauth_parameters(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.oauth_parameters.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

/// Signs a request (RFC 5849 §3.4): collects the query, the form body (only for an
/// `application/x-www-form-urlencoded` body) and the protocol parameters, normalizes them,
/// builds the base string, signs it with `key` and renders the `Authorization` header.
///
/// # Errors
/// [`Error::InvalidMethod`], [`Error::InvalidAuthority`], [`Error::InvalidParameter`] (empty
/// consumer key or nonce, zero timestamp), [`Error::ProtocolParameterInRequest`] (the request
/// already carries an `oauth_*` protocol parameter), or the key's own error.
pub fn sign(
    request: &Request<'_>,
    params: &OAuthParams<'_>,
    key: &dyn SigningKey,
) -> Result<Signed, Error> {
    let method = key.method();
    let mut pairs = Pairs::new();
    request.for_each_parameter(|n, v| pairs.push(n, v));
    check_protocol_parameters(
        params.consumer_key,
        params.nonce,
        params.timestamp,
        pairs.as_slice(),
    )
    .map_err(|problem| match problem {
        ProtocolProblem::Invalid { name, reason } => Error::InvalidParameter { name, reason },
        ProtocolProblem::InRequest { name } => Error::ProtocolParameterInRequest { name },
    })?;

    let timestamp = params.timestamp.to_string();
    let body_hash = match params.body_hash {
        Some(hash) if !request.has_form_body() => {
            Some(hash.compute(request.body().unwrap_or_default()))
        }
        _ => None,
    };
    // Sorted by name: this order is the header order.
    let mut protocol: Vec<(&'static str, Cow<'_, str>)> = Vec::with_capacity(8);
    if let Some(hash) = body_hash {
        protocol.push(("oauth_body_hash", Cow::Owned(hash)));
    }
    protocol.push(("oauth_consumer_key", Cow::Borrowed(params.consumer_key)));
    protocol.push(("oauth_nonce", Cow::Borrowed(params.nonce)));
    protocol.push(("oauth_signature_method", Cow::Borrowed(method.as_str())));
    protocol.push(("oauth_timestamp", Cow::Owned(timestamp)));
    if let Some(token) = params.token {
        protocol.push(("oauth_token", Cow::Borrowed(token)));
    }
    if params.include_version {
        protocol.push(("oauth_version", Cow::Borrowed("1.0")));
    }

    for (name, value) in &protocol {
        pairs.push(Text::Plain(name.as_bytes()), Text::Plain(value.as_bytes()));
    }
    let normalized_parameters = pairs.normalize();
    drop(pairs);
    let base_string = base_string(request, &normalized_parameters)?;
    let signature = key.sign(base_string.as_bytes())?;
    let signature_value = if method.signature_is_base64() {
        base64::engine::general_purpose::STANDARD.encode(&signature)
    } else {
        String::from_utf8_lossy(&signature).into_owned()
    };

    let mut authorization = String::with_capacity(
        64 + signature_value.len() * 3
            + protocol
                .iter()
                .map(|(n, v)| n.len() + v.len() * 3 + 5)
                .sum::<usize>(),
    );
    authorization.push_str("OAuth");
    let mut first = true;
    if let Some(realm) = params.realm {
        push_header_param(&mut authorization, &mut first, "realm", realm.as_bytes());
    }
    let mut oauth_parameters = Vec::with_capacity(protocol.len() + 1);
    for (name, value) in protocol {
        if name > "oauth_signature"
            && !oauth_parameters
                .iter()
                .any(|(n, _)| *n == "oauth_signature")
        {
            push_header_param(
                &mut authorization,
                &mut first,
                "oauth_signature",
                signature_value.as_bytes(),
            );
            oauth_parameters.push(("oauth_signature", signature_value.clone()));
        }
        push_header_param(&mut authorization, &mut first, name, value.as_bytes());
        oauth_parameters.push((name, value.into_owned()));
    }

    Ok(Signed {
        normalized_parameters,
        base_string,
        signature,
        method,
        oauth_parameters,
        authorization,
    })
}
