//! Responses in (client side) and request bodies in (gateway emulator side).

use std::borrow::Cow;

use bytes::Bytes;
use payneteasy_proto::{Checked, Operation, ResponseType};

use crate::de::from_fields;
use crate::error::{DecodeError, GatewayErrorKind};
use crate::excerpt::text_excerpt;
use crate::form::{FORM_CONTENT_TYPE, FormFields};

/// Decoded form fields, borrowing from the body where no escape had to be undone.
pub type Fields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Bounds applied while decoding. The defaults suit the gateway's responses, including a
/// `status-response` carrying a 3-D Secure `html` page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Largest body accepted, in bytes (checked before any parsing). Default 256 KiB.
    pub max_body_bytes: usize,
    /// Most fields accepted in one form. Default 512.
    pub max_fields: usize,
    /// Longest excerpt kept from an error page, in characters. Default 200.
    pub max_excerpt_chars: usize,
}

impl DecodeLimits {
    /// The default limits.
    pub const fn new() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            max_fields: 512,
            max_excerpt_chars: 200,
        }
    }

    /// Sets [`max_body_bytes`](Self::max_body_bytes).
    pub const fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`max_fields`](Self::max_fields).
    pub const fn with_max_fields(mut self, fields: usize) -> Self {
        self.max_fields = fields;
        self
    }

    /// Sets [`max_excerpt_chars`](Self::max_excerpt_chars).
    pub const fn with_max_excerpt_chars(mut self, chars: usize) -> Self {
        self.max_excerpt_chars = chars;
        self
    }
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// Decodes a gateway response into the operation's typed response.
///
/// Reads the status, the `Content-Type` header and the body; see [`decode_response_parts`].
///
/// # Errors
/// As for [`decode_response_parts`].
pub fn decode_response<O: Operation>(
    response: &http::Response<Bytes>,
    limits: &DecodeLimits,
) -> Result<O::Response, DecodeError> {
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    decode_response_parts::<O>(
        response.status().as_u16(),
        content_type,
        response.body(),
        limits,
    )
}

/// Decodes a gateway response, given as its parts, into the operation's typed response.
///
/// A decline is *not* an error: it is a response whose `status` is `declined`, `filtered` or
/// `error`; the caller decides.
///
/// # Errors
/// - [`DecodeError::Gateway`] for `type=validation-error` or `type=error`, with the code,
///   message and serial number;
/// - [`DecodeError::UnexpectedType`] for a well-formed response of another type;
/// - [`DecodeError::MissingType`] for a form without `type`;
/// - [`DecodeError::Invalid`] when the operation's response lacks a required field (`status`);
/// - every error of [`decode_response_fields`].
pub fn decode_response_parts<O: Operation>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<O::Response, DecodeError> {
    let fields = decode_response_fields(status, content_type, body, limits)?;
    let Some(ty) = field(&fields, "type") else {
        return Err(DecodeError::MissingType);
    };
    if O::accepts_type(ty) {
        return from_fields(fields);
    }
    let response_type = ResponseType::parse(ty);
    if GatewayErrorKind::from_response_type(&response_type).is_none() {
        return Err(DecodeError::UnexpectedType {
            expected: O::SUCCESS_TYPE,
            found: response_type.as_str().to_owned(),
        });
    }
    Err(DecodeError::Gateway(from_fields(fields)?))
}

/// Checks the HTTP envelope of a response and decodes its body into form fields, in wire order.
///
/// Values lose their trailing `\n` or `\r\n`; `+` becomes a space and `%XX` a UTF-8 byte.
/// The `type` is not interpreted here (see [`decode_response_parts`]).
///
/// # Errors
/// In this order:
/// - [`DecodeError::AuthenticationRefused`] for HTTP 401 and 403 (the body is not parsed, only
///   a sanitized excerpt of its text is kept; an empty body is fine);
/// - [`DecodeError::UnexpectedStatus`] for any status but 200;
/// - [`DecodeError::TooLarge`] when the body exceeds [`DecodeLimits::max_body_bytes`];
/// - [`DecodeError::NotAForm`] for a JSON content type, or a body that looks like HTML or
///   JSON, or a field without `=` or with a name no form uses;
/// - [`DecodeError::InvalidUtf8`], [`DecodeError::InvalidPercentEncoding`];
/// - [`DecodeError::TooManyFields`], [`DecodeError::DuplicateField`].
pub fn decode_response_fields<'a>(
    status: u16,
    content_type: Option<&str>,
    body: &'a [u8],
    limits: &DecodeLimits,
) -> Result<Fields<'a>, DecodeError> {
    let text = response_text(status, content_type, body, limits)?;
    collect_fields(FormFields::response(text), limits)
}

/// The envelope checks of a response, in the documented order; the body as text.
fn response_text<'a>(
    status: u16,
    content_type: Option<&str>,
    body: &'a [u8],
    limits: &DecodeLimits,
) -> Result<&'a str, DecodeError> {
    match status {
        200 => {}
        401 | 403 => {
            return Err(DecodeError::AuthenticationRefused {
                status,
                excerpt: text_excerpt(body, limits.max_excerpt_chars),
            });
        }
        _ => {
            return Err(DecodeError::UnexpectedStatus {
                status,
                excerpt: text_excerpt(body, limits.max_excerpt_chars),
            });
        }
    }
    check_size(body, limits)?;
    if content_type.is_some_and(is_json_media_type) {
        return Err(not_a_form("the content type is JSON", body, limits));
    }
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => return Err(not_a_form("the body is HTML or XML", body, limits)),
        Some(b'{' | b'[') => return Err(not_a_form("the body is JSON", body, limits)),
        _ => {}
    }
    utf8(body)
}

/// Server side: checks a request's content type and decodes its form body into owned pairs,
/// in wire order (no line-terminator stripping: request bodies are plain forms).
///
/// # Errors
/// [`DecodeError::UnsupportedContentType`] unless the media type is
/// `application/x-www-form-urlencoded` (parameters such as `charset` are ignored);
/// [`DecodeError::TooLarge`], [`DecodeError::InvalidUtf8`],
/// [`DecodeError::InvalidPercentEncoding`], [`DecodeError::NotAForm`],
/// [`DecodeError::TooManyFields`], [`DecodeError::DuplicateField`].
pub fn decode_request_form(
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<Vec<(String, String)>, DecodeError> {
    Ok(request_fields(content_type, body, limits)?
        .into_iter()
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect())
}

/// Server side: decodes a request body into the operation's typed request.
///
/// Fields the request type does not know are ignored, as the gateway does.
///
/// # Errors
/// As for [`decode_request_form`], plus [`DecodeError::Invalid`] when a required field is
/// missing or a value breaks the request's validation rules.
pub fn decode_request<O: Operation>(
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<O::Request, DecodeError> {
    let fields = request_fields(content_type, body, limits)?;
    let unchecked = from_fields::<<O::Request as Checked>::Fields>(fields)?;
    <O::Request as Checked>::check(unchecked).map_err(DecodeError::Invalid)
}

fn request_fields<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
    limits: &DecodeLimits,
) -> Result<Fields<'a>, DecodeError> {
    let media_type = content_type
        .map(|ct| ct.split(';').next().unwrap_or("").trim())
        .unwrap_or("");
    if !media_type.eq_ignore_ascii_case(FORM_CONTENT_TYPE) {
        return Err(DecodeError::UnsupportedContentType {
            content_type: content_type.unwrap_or("").chars().take(100).collect(),
        });
    }
    check_size(body, limits)?;
    let text = utf8(body)?;
    collect_fields(FormFields::request(text), limits)
}

fn check_size(body: &[u8], limits: &DecodeLimits) -> Result<(), DecodeError> {
    if body.len() > limits.max_body_bytes {
        return Err(DecodeError::TooLarge {
            len: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    Ok(())
}

fn utf8(body: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(body).map_err(|e| DecodeError::InvalidUtf8 {
        position: e.valid_up_to(),
    })
}

fn not_a_form(reason: &'static str, body: &[u8], limits: &DecodeLimits) -> DecodeError {
    DecodeError::NotAForm {
        reason,
        excerpt: text_excerpt(body, limits.max_excerpt_chars),
    }
}

pub(crate) fn collect_fields<'a>(
    iter: FormFields<'a>,
    limits: &DecodeLimits,
) -> Result<Fields<'a>, DecodeError> {
    let mut fields = Vec::with_capacity(16);
    for item in iter {
        if fields.len() == limits.max_fields {
            return Err(DecodeError::TooManyFields {
                limit: limits.max_fields,
            });
        }
        fields.push(item?);
    }
    check_duplicates(&fields)?;
    Ok(fields)
}

/// Refuses a name that appears twice. Quadratic for the usual handful of fields (no allocation),
/// sort-based beyond.
fn check_duplicates(fields: &Fields<'_>) -> Result<(), DecodeError> {
    const QUADRATIC_UP_TO: usize = 24;
    let duplicate = if fields.len() <= QUADRATIC_UP_TO {
        fields
            .iter()
            .enumerate()
            .find(|(i, (name, _))| fields[..*i].iter().any(|(n, _)| n == name))
            .map(|(_, (name, _))| &**name)
    } else {
        let mut names: Vec<&str> = fields.iter().map(|(n, _)| &**n).collect();
        names.sort_unstable();
        names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    };
    match duplicate {
        Some(name) => Err(DecodeError::DuplicateField(name.to_owned())),
        None => Ok(()),
    }
}

fn field<'f>(fields: &'f Fields<'_>, name: &str) -> Option<&'f str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| &**v)
}

/// `application/json`, `application/vnd.pay+json`, ... (parameters ignored).
fn is_json_media_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim_end()
        .as_bytes();
    media.len() >= 4 && media[media.len() - 4..].eq_ignore_ascii_case(b"json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use payneteasy_proto::{CreateCardRef, ProtoError, Status, StatusCommand};

    const SEED: &str = "type=create-card-ref-response\n&serial-number=00000000-0000-0000-0000-000002de3113\n&card-ref-id=1461608\n&recurring-payment-id=1491863\n&dst-card-ref-id=1461608\n&status=approved";
    const HTML: &str = "text/html;charset=utf-8";

    fn ccr(
        status: u16,
        ct: Option<&str>,
        body: &str,
    ) -> Result<payneteasy_proto::CreateCardRefResponse, DecodeError> {
        decode_response_parts::<CreateCardRef>(
            status,
            ct,
            body.as_bytes(),
            &DecodeLimits::default(),
        )
    }

    #[test]
    fn seed_via_http_response() {
        let response = http::Response::builder()
            .status(200)
            .header("content-type", HTML)
            .body(Bytes::from_static(SEED.as_bytes()))
            .unwrap();
        let r = decode_response::<CreateCardRef>(&response, &DecodeLimits::default()).unwrap();
        assert_eq!(r.status, Status::Approved);
        assert_eq!(r.recurring_payment_id.as_deref(), Some("1491863"));
    }

    #[test]
    fn envelope_errors() {
        assert_eq!(
            ccr(500, Some(HTML), "<h1>Oops</h1>"),
            Err(DecodeError::UnexpectedStatus {
                status: 500,
                excerpt: "Oops".into()
            })
        );
        assert_eq!(
            ccr(302, None, ""),
            Err(DecodeError::UnexpectedStatus {
                status: 302,
                excerpt: String::new()
            })
        );
        let limits = DecodeLimits::default().with_max_body_bytes(10);
        assert_eq!(
            decode_response_parts::<CreateCardRef>(200, None, SEED.as_bytes(), &limits),
            Err(DecodeError::TooLarge {
                len: 174,
                limit: 10
            })
        );
        assert!(matches!(
            ccr(200, Some("application/vnd.pay+json"), "type=error"),
            Err(DecodeError::NotAForm {
                reason: "the content type is JSON",
                ..
            })
        ));
        assert!(matches!(
            ccr(200, Some(HTML), " \n<html><p>Maintenance</p></html>"),
            Err(DecodeError::NotAForm { reason: "the body is HTML or XML", excerpt }) if excerpt == "Maintenance"
        ));
        assert!(matches!(
            ccr(200, None, "{\"type\":\"error\"}"),
            Err(DecodeError::NotAForm {
                reason: "the body is JSON",
                ..
            })
        ));
        assert!(matches!(
            ccr(200, None, "Service unavailable"),
            Err(DecodeError::NotAForm { .. })
        ));
        assert_eq!(
            decode_response_parts::<CreateCardRef>(
                200,
                None,
                b"type=\xff",
                &DecodeLimits::default()
            ),
            Err(DecodeError::InvalidUtf8 { position: 5 })
        );
        assert_eq!(
            ccr(200, Some(HTML), "type=a%2"),
            Err(DecodeError::InvalidPercentEncoding { position: 6 })
        );
        assert_eq!(ccr(200, Some(HTML), ""), Err(DecodeError::MissingType));
        assert_eq!(
            ccr(200, Some(HTML), "status=approved\n"),
            Err(DecodeError::MissingType)
        );
        assert_eq!(
            ccr(200, Some(HTML), "type=error\n&type=error\n"),
            Err(DecodeError::DuplicateField("type".into()))
        );
        assert_eq!(
            ccr(200, Some(HTML), "type=error\n&a=1\n&%61=2"),
            Err(DecodeError::DuplicateField("a".into()))
        );
        let limits = DecodeLimits::default().with_max_fields(3);
        assert_eq!(
            decode_response_parts::<CreateCardRef>(200, None, SEED.as_bytes(), &limits),
            Err(DecodeError::TooManyFields { limit: 3 })
        );
    }

    #[test]
    fn many_fields_duplicate_check() {
        let mut fields: Vec<String> = (0..100).map(|i| format!("f{i}=v")).collect();
        let body = fields.join("\n&");
        assert_eq!(
            decode_response_fields(200, None, body.as_bytes(), &DecodeLimits::default())
                .unwrap()
                .len(),
            100
        );
        fields.push("f42=again".into());
        let body = fields.join("\n&");
        assert_eq!(
            decode_response_fields(200, None, body.as_bytes(), &DecodeLimits::default()),
            Err(DecodeError::DuplicateField("f42".into()))
        );
    }

    #[test]
    fn types() {
        assert_eq!(
            ccr(200, Some(HTML), "type=status-response\n&status=approved\n"),
            Err(DecodeError::UnexpectedType {
                expected: ResponseType::CreateCardRefResponse,
                found: "status-response".into()
            })
        );
        assert_eq!(
            ccr(
                200,
                Some(HTML),
                "type=create-card-ref-response\n&serial-number=1\n"
            ),
            Err(DecodeError::Invalid(ProtoError::MissingField("status")))
        );
        let err = ccr(200, Some(HTML), "type=validation-error\n&error-code=7\n").unwrap_err();
        let g = err.gateway_error().unwrap();
        assert_eq!(g.kind, GatewayErrorKind::ValidationError);
        assert_eq!(g.code.as_deref(), Some("7"));
        assert_eq!(g.message, None);
        assert_eq!(
            err.to_string(),
            "gateway answered validation-error (code 7)"
        );
        let s = decode_response_parts::<StatusCommand>(
            200,
            Some(HTML),
            b"type=status-response\n&status=processing\n&amount=10.00\n&html=%3Cform%3E\n&x-extra=1\n",
            &DecodeLimits::default(),
        )
        .unwrap();
        assert_eq!(s.status, Status::Processing);
        assert_eq!(s.html.as_deref(), Some("<form>"));
        assert_eq!(s.extra, [("x-extra".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn requests() {
        let limits = DecodeLimits::default();
        let ct = Some("application/x-www-form-urlencoded; charset=UTF-8");
        assert_eq!(
            decode_request_form(ct, b"client_orderid=34T43R77N&orderid=6868305", &limits).unwrap(),
            [
                ("client_orderid".to_owned(), "34T43R77N".to_owned()),
                ("orderid".to_owned(), "6868305".to_owned())
            ]
        );
        let r = decode_request::<CreateCardRef>(
            ct,
            b"login=m&client_orderid=a+b&orderid=1&other=x",
            &limits,
        )
        .unwrap();
        assert_eq!(
            (r.client_orderid(), r.orderid(), r.login()),
            ("a b", "1", Some("m"))
        );
        assert_eq!(
            decode_request::<CreateCardRef>(ct, b"client_orderid=a", &limits),
            Err(DecodeError::Invalid(ProtoError::MissingField("orderid")))
        );
        assert_eq!(
            decode_request::<CreateCardRef>(ct, b"client_orderid=a&orderid=1%0A", &limits),
            Err(DecodeError::Invalid(ProtoError::ControlCharacter {
                field: "orderid"
            }))
        );
        assert_eq!(
            decode_request_form(Some("application/json"), b"{}", &limits),
            Err(DecodeError::UnsupportedContentType {
                content_type: "application/json".into()
            })
        );
        assert_eq!(
            decode_request_form(None, b"a=1", &limits),
            Err(DecodeError::UnsupportedContentType {
                content_type: String::new()
            })
        );
        let s = decode_request::<StatusCommand>(ct, b"client_orderid=c&by-request-sn=9", &limits)
            .unwrap();
        assert_eq!(s.by_request_sn(), Some("9"));
    }
}
