//! Applying a signature to an `http::Request` (feature `http`).

use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};

use crate::{Error, OAuthParams, Request, RequestUrl, Signed, SigningKey, sign};

/// Signs an `http::Request` and inserts its `Authorization` header.
///
/// The request URI must be absolute (`https://host/path?query`); a `Host` header, if set,
/// overrides the authority used in the base string. The body counts only when `Content-Type` is
/// `application/x-www-form-urlencoded`.
///
/// # Errors
/// [`Error::InvalidUrl`] for a URI that is not absolute `http`/`https`, any error of [`sign`],
/// or [`Error::Header`] if the header value cannot be built.
pub fn sign_http_request<B: AsRef<[u8]>>(
    request: &mut http::Request<B>,
    params: &OAuthParams<'_>,
    key: &dyn SigningKey,
) -> Result<Signed, Error> {
    let uri = request.uri().to_string();
    let signed = {
        let url = RequestUrl::parse(&uri)?;
        let headers = request.headers();
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let host = headers.get(HOST).and_then(|v| v.to_str().ok());
        let mut oauth_request = Request::new(request.method().as_str(), url)
            .with_body(content_type, request.body().as_ref());
        if let Some(host) = host {
            oauth_request = oauth_request.with_authority(host);
        }
        sign(&oauth_request, params, key)?
    };
    let value = http::HeaderValue::from_str(signed.authorization())
        .map_err(|e| Error::Header(Box::new(e)))?;
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(signed)
}
