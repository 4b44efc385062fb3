//! Requests out (client side) and response bodies out (gateway emulator side).

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use oauth1_signer::{OAuthParams, Request, RequestUrl, Signed, SigningKey, sign};
use payneteasy_proto::{
    Auth, BodyLogin, ControlInput, ControlKey, ControlPart, Endpoint, Environment, Operation,
    amount_minor_units, sha1_control,
};
use serde::Serialize;

use crate::error::{EncodeError, GatewayError};
use crate::form::{FORM_CONTENT_TYPE, encode_form, encode_response_body};
use crate::ser::to_fields;

/// The `Accept` header sent with every request. The form mode is the gateway's default; asking
/// for `application/vnd.pay+json` would switch to JSON, which this codec does not read.
pub const ACCEPT_VALUE: &str = "*/*";

/// The name of the v2 checksum field, appended after the request's own fields.
const CONTROL_FIELD: &str = "control";

/// The body field that carries the merchant login ([`BodyLogin::ConsumerKey`]).
const LOGIN_FIELD: &str = "login";

/// A request ready for a transport, with the signer's intermediates for debugging.
#[non_exhaustive]
pub struct EncodedRequest {
    /// `POST <exact URL>` with `Content-Type`, `Content-Length`, `Accept`, for OAuth
    /// operations `Authorization`, and the form body. The `Authorization` value is marked
    /// sensitive ([`HeaderValue::is_sensitive`]), so `Debug` of the request hides it.
    pub request: http::Request<Bytes>,
    /// The signer's output for an OAuth operation: the Authorization header value, the
    /// normalized parameters and the signature base string.
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

fn check_login(login: &str) -> Result<(), EncodeError> {
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
    Ok(())
}

/// `POST url` with the form headers and `body`, plus `extra` headers.
fn form_post(
    url: &str,
    body: String,
    extra: Option<(http::HeaderName, HeaderValue)>,
) -> Result<http::Request<Bytes>, EncodeError> {
    let mut builder = http::Request::builder()
        .method(http::Method::POST)
        .uri(url)
        .header(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE))
        .header(CONTENT_LENGTH, HeaderValue::from(body.len()))
        .header(ACCEPT, HeaderValue::from_static(ACCEPT_VALUE));
    if let Some((name, value)) = extra {
        builder = builder.header(name, value);
    }
    builder.body(Bytes::from(body)).map_err(EncodeError::Http)
}

/// Builds the signed HTTP request of OAuth operation `O` (v4).
///
/// The URL is [`Operation::url`]; the body is the request's form fields in declaration order,
/// form-encoded; the `Authorization` header is OAuth 1.0a RSA-SHA256 (or whatever `key` signs
/// with) over the exact URL and the body parameters, with `oauth_consumer_key = login` and
/// `oauth_version="1.0"`. For an operation whose [`Operation::BODY_LOGIN`] is
/// [`BodyLogin::ConsumerKey`] (v4 `status`), `login` is also sent first in the body when the
/// request has no `login` of its own. `nonce` and `timestamp` (Unix seconds) are inputs: this
/// function reads no clock and no RNG.
///
/// # Errors
/// [`EncodeError::WrongAuthentication`] for an operation authenticated by `control`;
/// [`EncodeError::InvalidLogin`] when `login` is empty or has control characters;
/// [`EncodeError::Signing`] when the signer refuses the URL, the nonce or the key, or fails;
/// [`EncodeError::Http`] when a header value is refused by `http`.
pub fn encode_request<O: Operation>(
    env: &Environment,
    endpoint: &Endpoint,
    request: &O::Request,
    login: &str,
    key: &dyn SigningKey,
    nonce: &str,
    timestamp: u64,
) -> Result<EncodedRequest, EncodeError> {
    if !matches!(O::AUTH, Auth::OAuthRsaSha256) {
        return Err(EncodeError::WrongAuthentication {
            expected: "a control checksum",
        });
    }
    check_login(login)?;
    let url = O::url(env, endpoint);
    let mut fields = to_fields(request)?;
    if matches!(O::BODY_LOGIN, BodyLogin::ConsumerKey) && !fields.iter().any(|(n, _)| n == "login")
    {
        fields.insert(0, (LOGIN_FIELD.to_owned(), login.to_owned()));
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
    let body = encode_form(&pairs);

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
    let request = form_post(&url, body, Some((AUTHORIZATION, authorization)))?;
    Ok(EncodedRequest { request, signed })
}

/// Builds the HTTP request of `control` operation `O` (v2): the request's form fields in
/// declaration order, then `control` ([`compute_control`]). No `Authorization` header.
///
/// # Errors
/// [`EncodeError::WrongAuthentication`] for an OAuth operation; as [`compute_control`];
/// [`EncodeError::Http`] when `http` refuses the URL.
pub fn encode_control_request<O: Operation>(
    env: &Environment,
    endpoint: &Endpoint,
    request: &O::Request,
    key: &ControlKey,
) -> Result<http::Request<Bytes>, EncodeError> {
    let mut fields = to_fields(request)?;
    let control = compute_control_of::<O>(&fields, endpoint, key)?;
    fields.push((CONTROL_FIELD.to_owned(), control));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
    form_post(&O::url(env, endpoint), encode_form(&pairs), None)
}

/// The v2 `control` of a request of operation `O`: SHA-1 (lowercase hex) over the parts its
/// [`Auth::Control`] lists, in that order.
///
/// # Errors
/// [`EncodeError::WrongAuthentication`] for an OAuth operation;
/// [`EncodeError::InvalidRequest`] when an amount has no exact minor-unit value in its
/// currency; [`EncodeError::Unsupported`] for a request that is not a struct of text.
pub fn compute_control<O: Operation>(
    endpoint: &Endpoint,
    request: &O::Request,
    key: &ControlKey,
) -> Result<String, EncodeError> {
    compute_control_of::<O>(&to_fields(request)?, endpoint, key)
}

fn compute_control_of<O: Operation>(
    fields: &[(String, String)],
    endpoint: &Endpoint,
    key: &ControlKey,
) -> Result<String, EncodeError> {
    let Auth::Control(parts) = O::AUTH else {
        return Err(EncodeError::WrongAuthentication {
            expected: "OAuth RSA-SHA256",
        });
    };
    let value = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    // Each part's text (`None` for the key), then the inputs borrowing them.
    let mut pieces: Vec<Option<Cow<'_, str>>> = Vec::with_capacity(parts.len());
    for part in parts {
        pieces.push(match part {
            ControlPart::Field(name) => Some(Cow::Borrowed(value(name).unwrap_or(""))),
            ControlPart::EndpointId => Some(Cow::Owned(match endpoint {
                Endpoint::Id(id) | Endpoint::Group(id) => id.to_string(),
            })),
            ControlPart::AmountMinorUnits { amount, currency } => Some(match value(amount) {
                Some(amount) => Cow::Owned(
                    amount_minor_units(amount, value(currency).unwrap_or(""))
                        .map_err(EncodeError::InvalidRequest)?
                        .to_string(),
                ),
                None => Cow::Borrowed(""),
            }),
            ControlPart::FieldIfSent { field, if_sent } => Some(Cow::Borrowed(
                value(if_sent).and(value(field)).unwrap_or(""),
            )),
            ControlPart::MerchantControl => None,
            _ => {
                return Err(EncodeError::Unsupported(
                    "a control part this codec does not know".to_owned(),
                ));
            }
        });
    }
    let inputs: Vec<ControlInput<'_>> = pieces
        .iter()
        .map(|p| p.as_deref().map_or(ControlInput::Key, ControlInput::Text))
        .collect();
    Ok(sha1_control(&inputs, key))
}

/// The form body of a request of operation `O`: `name=value&name=value`, in declaration order.
///
/// # Errors
/// [`EncodeError::Unsupported`] for a request that is not a struct of text values.
pub fn encode_request_body<O: Operation>(request: &O::Request) -> Result<String, EncodeError> {
    to_request_body(request)
}

/// The form body of any message: `name=value&name=value`, in declaration order.
///
/// # Errors
/// [`EncodeError::Unsupported`] for a message that is not a struct of text values.
pub fn to_request_body<T: Serialize + ?Sized>(message: &T) -> Result<String, EncodeError> {
    let fields = to_fields(message)?;
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
    Ok(encode_form(&pairs))
}

/// Server side: the body of any message written like the gateway does
/// (`name=value\n&name=value`, see [`encode_response_body`]).
///
/// # Errors
/// [`EncodeError::Unsupported`] for a message that is not a struct of text values.
pub fn to_response_body<T: Serialize + ?Sized>(message: &T) -> Result<String, EncodeError> {
    let fields = to_fields(message)?;
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
    Ok(encode_response_body(&pairs))
}

/// Server side: the body of a typed response of operation `O`, written like the gateway does.
///
/// # Errors
/// As [`to_response_body`].
pub fn encode_response<O: Operation>(response: &O::Response) -> Result<String, EncodeError> {
    to_response_body(response)
}

/// Server side: the body of a `validation-error` / `error` response: `type`,
/// `serial-number`, `error-message`, `error-code` (absent ones omitted).
///
/// # Errors
/// As [`to_response_body`] (never, for this type).
pub fn encode_gateway_error(error: &GatewayError) -> Result<String, EncodeError> {
    to_response_body(error)
}
