//! Requests out (client side) and response bodies out (gateway emulator side).

use std::fmt;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use oauth1_signer::{OAuthParams, Request, RequestUrl, Signed, SigningKey, sign};
use payneteasy_proto::{Command, Endpoint, Environment, ToForm};

use crate::error::{EncodeError, GatewayError};
use crate::form::{FORM_CONTENT_TYPE, encode_form, encode_response_body};

/// The `Accept` header sent with every request. The form mode is the gateway's default; asking
/// for `application/vnd.pay+json` would switch to JSON, which this codec does not read.
pub const ACCEPT_VALUE: &str = "*/*";

/// A signed request ready for a transport, with the signer's intermediates for debugging.
#[non_exhaustive]
pub struct EncodedRequest {
    /// `POST <exact URL>` with `Content-Type`, `Content-Length`, `Accept`, `Authorization` and
    /// the form body. The `Authorization` value is marked sensitive
    /// ([`HeaderValue::is_sensitive`]), so `Debug` of the request hides it.
    pub request: http::Request<Bytes>,
    /// The signer's output: the Authorization header value, the normalized parameters and the
    /// signature base string.
    pub signed: Signed,
}

impl fmt::Debug for EncodedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedRequest")
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("body", self.request.body())
            .field("base_string", &self.signed.base_string)
            .finish_non_exhaustive()
    }
}

/// Builds the signed HTTP request of command `C`.
///
/// The URL is `<environment base>/<C::PATH>/<endpoint>`; the body is the request's form fields
/// in declaration order, form-encoded; the `Authorization` header is OAuth 1.0a RSA-SHA256 (or
/// whatever `key` signs with) over the exact URL and the body parameters, with
/// `oauth_consumer_key = login` and `oauth_version="1.0"`. `nonce` and `timestamp` (Unix
/// seconds) are inputs: this function reads no clock and no RNG.
///
/// # Errors
/// [`EncodeError::InvalidLogin`] when `login` is empty or has control characters;
/// [`EncodeError::Signing`] when the signer refuses the URL, the nonce or the key, or fails;
/// [`EncodeError::Http`] when a header value is refused by `http`.
pub fn encode_request<C: Command>(
    env: &Environment,
    endpoint: &Endpoint,
    request: &C::Request,
    login: &str,
    key: &dyn SigningKey,
    nonce: &str,
    timestamp: u64,
) -> Result<EncodedRequest, EncodeError> {
    if login.is_empty() {
        return Err(EncodeError::InvalidLogin {
            reason: "it is empty",
        });
    }
    if login.chars().any(char::is_control) {
        return Err(EncodeError::InvalidLogin {
            reason: "it contains a control character",
        });
    }
    let url = C::url(env, endpoint);
    let body = encode_form(&request.to_form());

    let signed = {
        let request_url = RequestUrl::parse(&url).map_err(EncodeError::Signing)?;
        let to_sign =
            Request::new("POST", request_url).with_body(Some(FORM_CONTENT_TYPE), body.as_bytes());
        let params = OAuthParams::new(login, nonce, timestamp);
        sign(&to_sign, &params, key).map_err(EncodeError::Signing)?
    };
    let mut authorization =
        HeaderValue::from_str(signed.authorization()).map_err(|e| EncodeError::Http(e.into()))?;
    // `Debug` of the request (and of its headers) then shows `Sensitive`: the header carries
    // the signature, which for PLAINTEXT is the key, and can be replayed until its nonce is
    // spent. HTTP/2 encoders also keep it out of their compression tables.
    authorization.set_sensitive(true);
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(url.as_str())
        .header(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE))
        .header(CONTENT_LENGTH, HeaderValue::from(body.len()))
        .header(ACCEPT, HeaderValue::from_static(ACCEPT_VALUE))
        .header(AUTHORIZATION, authorization)
        .body(Bytes::from(body))
        .map_err(EncodeError::Http)?;
    Ok(EncodedRequest { request, signed })
}

/// The form body of a request of command `C`: `name=value&name=value`, in declaration order.
pub fn encode_request_body<C: Command>(request: &C::Request) -> String {
    encode_form(&request.to_form())
}

/// Server side: the body of a typed response, written like the gateway does
/// (`name=value\n&name=value`, see [`encode_response_body`]).
pub fn encode_response<C: Command>(response: &C::Response) -> String {
    encode_response_body(&response.to_form())
}

/// Server side: the body of a `validation-error` / `error` response: `type`,
/// `serial-number`, `error-message`, `error-code` (absent ones omitted).
pub fn encode_gateway_error(error: &GatewayError) -> String {
    let mut fields = vec![("type", error.kind.as_str())];
    if let Some(v) = &error.serial_number {
        fields.push(("serial-number", v));
    }
    if let Some(v) = &error.message {
        fields.push(("error-message", v));
    }
    if let Some(v) = &error.code {
        fields.push(("error-code", v));
    }
    encode_response_body(&fields)
}
