//! JSON mode: the gateway's answers to a request sent with `Accept: application/vnd.pay+json`
//! ([`JSON_ACCEPT`]).
//!
//! Requests stay form-encoded (the same [`encode_request`](crate::encode_request) and
//! [`encode_control_request`](crate::encode_control_request)); only the answer changes. The
//! differences from the form mode, and what [`decode_json_response`] does about them:
//!
//! | JSON mode | handling |
//! |---|---|
//! | values are strings or numbers depending on the command (`paynet-order-id` is a number in a v4 `sale` reply and a string elsewhere; `error-code` is a number) | every scalar becomes text (numbers as written by `serde_json`, booleans as `true`/`false`; `null` is an absent field), then the **same** deserializer as the form mode ([`from_fields`]) builds the message: one set of declarations, one set of rules |
//! | a reply may carry no `type` (the gateway emulator of Payneteasy's own examples omits it) | at HTTP 200 the operation's success type is assumed |
//! | a rejection is **HTTP 4xx with a JSON body** carrying `error-message` (and a numeric `error-code`), not HTTP 200 with `type=validation-error` | [`DecodeError::Gateway`]: the `type` it carries, else [`GatewayErrorKind::ValidationError`] (the request was refused as invalid) |
//!
//! The answer is classified by its **content type first**, then by its status (the
//! specification's recommendation R9): a JSON media type (`application/json`,
//! `application/vnd.pay+json`, any `…+json`), or no content type and a body that opens with
//! `{`, is read as JSON; anything else (a form answer from a gateway that ignored the
//! `Accept` header, the HTML "Access is denied" page) goes to the form decoder
//! ([`decode_response_parts`]), so a client in JSON mode still reads form answers.
//!
//! Nested objects and arrays (none is documented) are kept as their compact JSON text, so an
//! unknown field never makes an answer unreadable; it lands in the message's `extra`.

use std::borrow::Cow;
use std::fmt;

use payneteasy_proto::{Operation, ResponseType};
use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::de::from_fields;
use crate::decode::{DecodeLimits, Fields, decode_response_parts};
use crate::error::{DecodeError, GatewayError, GatewayErrorKind};
use crate::excerpt::text_excerpt;

/// The `Accept` value that asks the gateway for JSON answers.
pub const JSON_ACCEPT: &str = "application/vnd.pay+json";

/// Decodes a gateway answer in JSON mode into the operation's typed response.
///
/// `http_status`, `content_type` (the header's value, if any) and `body` are the answer's
/// parts; `limits` bounds the body size and the number of fields. A decline is **not** an
/// error: it is a response whose `status` says so.
///
/// # Errors
/// For a JSON answer (see the [module documentation](self)), in this order:
/// - [`DecodeError::AuthenticationRefused`] for HTTP 401 and 403 (the excerpt is the body's
///   `error-message` when it has one);
/// - [`DecodeError::UnexpectedStatus`] for a status other than 200 and 4xx, and for a 4xx
///   whose body is not a JSON object with `error-message`, `error-code` or a `type`;
/// - [`DecodeError::TooLarge`], [`DecodeError::InvalidUtf8`] (the position of the first bad
///   byte), [`DecodeError::TooManyFields`], [`DecodeError::DuplicateField`];
/// - [`DecodeError::Mismatch`] for a body at HTTP 200 that is not a JSON object (truncated,
///   invalid, an array);
/// - [`DecodeError::Gateway`] for a refusal: `type` `validation-error` or `error`, or a 4xx
///   body with `error-message` or `error-code`;
/// - [`DecodeError::UnexpectedType`] for another `type` at HTTP 200;
/// - [`DecodeError::Invalid`] or [`DecodeError::Mismatch`] when the fields do not make the
///   response (a required field is missing).
///
/// Any other answer is decoded as a form ([`decode_response_parts`]) and fails as it does.
pub fn decode_json_response<O: Operation>(
    http_status: u16,
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<O::Response, DecodeError> {
    let is_json = match content_type {
        Some(content_type) => is_json_media_type(content_type),
        None => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    };
    if !is_json {
        return decode_response_parts::<O>(http_status, content_type, body, limits);
    }
    let excerpt = || text_excerpt(body, limits.max_excerpt_chars);
    let client_error = (400..500).contains(&http_status);
    if !matches!(http_status, 200 | 400..=499) {
        return Err(DecodeError::UnexpectedStatus {
            status: http_status,
            excerpt: excerpt(),
        });
    }
    let parse = || {
        std::str::from_utf8(body)
            .map_err(|e| DecodeError::InvalidUtf8 {
                position: e.valid_up_to(),
            })
            .and_then(|text| json_fields(text, limits))
    };
    if matches!(http_status, 401 | 403) {
        // The excerpt is the refusal's own message when the body is a small JSON object.
        let message = (body.len() <= limits.max_body_bytes)
            .then(parse)
            .and_then(Result::ok)
            .and_then(|fields| {
                field(&fields, "error-message")
                    .map(|m| text_excerpt(m.as_bytes(), limits.max_excerpt_chars))
            });
        return Err(DecodeError::AuthenticationRefused {
            status: http_status,
            excerpt: message.unwrap_or_else(excerpt),
        });
    }
    if body.len() > limits.max_body_bytes {
        return Err(DecodeError::TooLarge {
            len: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    let parsed = parse();
    let mut fields = match parsed {
        Ok(fields) => fields,
        Err(DecodeError::Mismatch(_)) if client_error => {
            return Err(DecodeError::UnexpectedStatus {
                status: http_status,
                excerpt: excerpt(),
            });
        }
        Err(e) => return Err(e),
    };
    let response_type = field(&fields, "type").map(ResponseType::parse);
    match response_type {
        Some(ty) if O::accepts_type(ty.as_str()) => from_fields(fields),
        Some(ty) if ty.is_gateway_error() => Err(DecodeError::Gateway(from_fields(fields)?)),
        None if !client_error => {
            // An untyped answer (the ephemeral ticket) has no `type` to fill in.
            let success = O::SUCCESS_TYPE.as_str().to_owned();
            if !success.is_empty() {
                fields.insert(0, (Cow::Borrowed("type"), Cow::Owned(success)));
            }
            from_fields(fields)
        }
        _ if client_error
            && (field(&fields, "error-message").is_some()
                || field(&fields, "error-code").is_some()) =>
        {
            // A 4xx refusal without a refusal type: the request was refused as invalid.
            fields.retain(|(name, _)| name != "type");
            fields.insert(
                0,
                (
                    Cow::Borrowed("type"),
                    Cow::Borrowed(GatewayErrorKind::ValidationError.as_str()),
                ),
            );
            Err(DecodeError::Gateway(from_fields::<GatewayError>(fields)?))
        }
        Some(ty) if !client_error => Err(DecodeError::UnexpectedType {
            expected: O::SUCCESS_TYPE,
            found: ty.as_str().to_owned(),
        }),
        _ => Err(DecodeError::UnexpectedStatus {
            status: http_status,
            excerpt: excerpt(),
        }),
    }
}

/// Decodes a JSON-mode answer given as an [`http::Response`]: its status, `Content-Type` and
/// body go to [`decode_json_response`].
///
/// # Errors
/// As [`decode_json_response`].
pub fn decode_json_http_response<O: Operation>(
    response: &http::Response<bytes::Bytes>,
    limits: &DecodeLimits,
) -> Result<O::Response, DecodeError> {
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    decode_json_response::<O>(
        response.status().as_u16(),
        content_type,
        response.body(),
        limits,
    )
}

/// `application/json`, `application/vnd.pay+json`, any `type/…+json` (parameters ignored,
/// case-insensitive).
fn is_json_media_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.split_once('/') {
        Some((_, subtype)) => subtype == "json" || subtype.ends_with("+json"),
        None => false,
    }
}

fn field<'f>(fields: &'f Fields<'_>, name: &str) -> Option<&'f str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| &**v)
}

/// The members of a JSON object as text pairs, in wire order (see the module documentation
/// for how values become text).
///
/// # Errors
/// [`DecodeError::Mismatch`] when the text is not one JSON object (with trailing
/// whitespace only); [`DecodeError::TooManyFields`]; [`DecodeError::DuplicateField`].
fn json_fields<'a>(text: &str, limits: &DecodeLimits) -> Result<Fields<'a>, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = deserializer
        .deserialize_map(Members {
            limit: limits.max_fields,
        })
        .and_then(|members| deserializer.end().map(|()| members))
        .map_err(|e| DecodeError::Mismatch(format!("the body is not a JSON object: {e}")))?;
    let members = members?;
    let mut fields: Fields<'a> = Vec::with_capacity(members.len());
    for (name, value) in members {
        if fields.iter().any(|(n, _)| *n == name) {
            return Err(DecodeError::DuplicateField(name));
        }
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            nested => nested.to_string(),
        };
        fields.push((Cow::Owned(name), Cow::Owned(text)));
    }
    Ok(fields)
}

/// The members of the top-level object, in order, duplicates kept (checked afterwards, so the
/// error stays typed). Past `limit` members, the rest is skipped and the answer is
/// [`DecodeError::TooManyFields`] (carried in the `Ok` so serde's error does not erase it).
struct Members {
    limit: usize,
}

type MemberList = Vec<(String, serde_json::Value)>;

impl<'de> Visitor<'de> for Members {
    type Value = Result<MemberList, DecodeError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.len() == self.limit {
                // The rest is skipped (the body size is already bounded), so that serde_json
                // reaches the end of the object and the typed error comes out.
                map.next_value::<IgnoredAny>()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(Err(DecodeError::TooManyFields { limit: self.limit }));
            }
            let value = map.next_value::<serde_json::Value>()?;
            members.push((name, value));
        }
        Ok(Ok(members))
    }
}

/// Fuzz harness (used by `fuzz/fuzz_targets/payneteasy_json.rs`). Not a stable API.
///
/// Decodes arbitrary bytes as a JSON-mode answer and checks that no input panics, and that
/// a body that decodes to a typed response (or to a refusal) written back as JSON
/// (`serde_json`) decodes to an equal value. The first byte picks the HTTP status, the second
/// the content type; the rest is the body.
///
/// # Panics
/// Only when an invariant is broken.
#[doc(hidden)]
pub fn fuzz_json_response(data: &[u8]) {
    const CONTENT_TYPES: [Option<&str>; 4] = [
        None,
        Some("application/vnd.pay+json"),
        Some("application/json; charset=utf-8"),
        Some("text/html;charset=utf-8"),
    ];
    let (status, content_type, body) = match data {
        [s, c, body @ ..] => {
            let status = match s % 8 {
                0..=3 => 200,
                4 => 400,
                5 => 403,
                6 => 422,
                _ => 100 + u16::from(*s),
            };
            (status, CONTENT_TYPES[usize::from(c % 4)], body)
        }
        _ => (200, None, data),
    };
    let limits = DecodeLimits::default().with_max_body_bytes(64 * 1024);
    let roomy = DecodeLimits::default()
        .with_max_body_bytes(usize::MAX)
        .with_max_fields(usize::MAX);
    round_trip::<payneteasy_proto::StatusCommand>(status, content_type, body, &limits, &roomy);
    round_trip::<payneteasy_proto::CreateCardRef>(status, content_type, body, &limits, &roomy);
}

fn round_trip<O: Operation>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
    roomy: &DecodeLimits,
) where
    O::Response: PartialEq + fmt::Debug,
{
    const JSON: Option<&str> = Some(JSON_ACCEPT);
    match decode_json_response::<O>(status, content_type, body, limits) {
        Ok(response) => {
            let again = serde_json::to_vec(&response).expect("a decoded response writes as JSON");
            let back = decode_json_response::<O>(200, JSON, &again, roomy)
                .expect("a re-encoded response decodes");
            assert_eq!(back, response, "{} response survives a round trip", O::PATH);
        }
        Err(DecodeError::Gateway(refusal)) => {
            let again = serde_json::to_vec(&refusal).expect("a refusal writes as JSON");
            match decode_json_response::<O>(400, JSON, &again, roomy) {
                Err(DecodeError::Gateway(back)) => assert_eq!(back, refusal, "refusal survives"),
                other => panic!("a re-encoded refusal decodes as one: {other:?}"),
            }
        }
        Err(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payneteasy_proto::{CreateCardRef, ProtoError, Status, StatusCommand};

    const PAY_JSON: Option<&str> = Some("application/vnd.pay+json;charset=UTF-8");

    fn status(
        http: u16,
        ct: Option<&str>,
        body: &str,
    ) -> Result<payneteasy_proto::StatusResponse, DecodeError> {
        decode_json_response::<StatusCommand>(http, ct, body.as_bytes(), &DecodeLimits::default())
    }

    #[test]
    fn numbers_and_strings_both_read_as_text() {
        let numbers = status(
            200,
            PAY_JSON,
            r#"{"type":"status-response","status":"approved","paynet-order-id":6868305,
                "amount":10.42,"error-code":0,"x-flag":true,"x-none":null,"x-nested":{"a":[1]}}"#,
        )
        .unwrap();
        assert_eq!(numbers.status, Status::Approved);
        assert_eq!(numbers.paynet_order_id.as_deref(), Some("6868305"));
        assert_eq!(numbers.amount.as_deref(), Some("10.42"));
        assert_eq!(numbers.error_code.as_deref(), Some("0"));
        assert_eq!(
            numbers.extra,
            [
                ("x-flag".to_owned(), "true".to_owned()),
                ("x-nested".to_owned(), r#"{"a":[1]}"#.to_owned())
            ]
        );
        let strings = status(
            200,
            Some("application/json"),
            r#"{"type":"status-response","status":"approved","paynet-order-id":"6868305"}"#,
        )
        .unwrap();
        assert_eq!(strings.paynet_order_id, numbers.paynet_order_id);
    }

    #[test]
    fn a_missing_type_is_the_success_type() {
        let r = status(
            200,
            PAY_JSON,
            r#"{"status":"processing","paynet-order-id":1,"html":"<form></form>"}"#,
        )
        .unwrap();
        assert_eq!(r.response_type, ResponseType::StatusResponse);
        assert_eq!(r.status, Status::Processing);
        assert_eq!(r.html.as_deref(), Some("<form></form>"));
        // Sniffed without a content type, too.
        assert!(status(200, None, r#" {"status":"approved"}"#).is_ok());
        // Still needs its required fields.
        assert_eq!(
            status(200, PAY_JSON, r#"{"paynet-order-id":1}"#),
            Err(DecodeError::Invalid(ProtoError::MissingField("status")))
        );
    }

    #[test]
    fn client_errors_with_json_are_gateway_answers() {
        let e = status(
            400,
            PAY_JSON,
            r#"{"error-message":"bad amount","error-code":2,"serial-number":"s-1"}"#,
        )
        .unwrap_err();
        let g = e.gateway_error().expect("a gateway refusal");
        assert_eq!(g.kind, GatewayErrorKind::ValidationError);
        assert_eq!(g.code.as_deref(), Some("2"));
        assert_eq!(g.message.as_deref(), Some("bad amount"));
        assert_eq!(g.serial_number.as_deref(), Some("s-1"));
        // The type it carries wins.
        let e = status(422, PAY_JSON, r#"{"type":"error","error-message":"x"}"#).unwrap_err();
        assert_eq!(e.gateway_error().unwrap().kind, GatewayErrorKind::Error);
        // At HTTP 200 too.
        let e = status(
            200,
            PAY_JSON,
            r#"{"type":"validation-error","error-code":"7"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.gateway_error().unwrap().kind,
            GatewayErrorKind::ValidationError
        );
        // A decline that arrives as 4xx with the success type is a response.
        let declined = status(
            400,
            PAY_JSON,
            r#"{"type":"status-response","status":"declined","error-code":5}"#,
        )
        .unwrap();
        assert_eq!(declined.status, Status::Declined);
        // A 4xx JSON body that is no gateway answer proves nothing about it.
        for body in [r#"{"detail":"not found"}"#, "[1,2]", "{", ""] {
            assert!(
                matches!(
                    status(404, PAY_JSON, body),
                    Err(DecodeError::UnexpectedStatus { status: 404, .. })
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn authentication_and_other_statuses() {
        assert_eq!(
            status(403, PAY_JSON, r#"{"error-message":"Access is denied"}"#),
            Err(DecodeError::AuthenticationRefused {
                status: 403,
                excerpt: "Access is denied".into()
            })
        );
        // The form decoder's HTML page, whatever the mode.
        assert_eq!(
            status(
                403,
                Some("text/html"),
                "<html><p>Access is denied</p></html>"
            ),
            Err(DecodeError::AuthenticationRefused {
                status: 403,
                excerpt: "Access is denied".into()
            })
        );
        assert!(matches!(
            status(500, PAY_JSON, r#"{"error-message":"x"}"#),
            Err(DecodeError::UnexpectedStatus { status: 500, .. })
        ));
    }

    #[test]
    fn html_truncated_and_invalid_bodies_are_typed_errors() {
        // HTML at 200 under an HTML content type: the form decoder refuses it.
        assert!(matches!(
            status(200, Some("text/html"), "<html>hi</html>"),
            Err(DecodeError::NotAForm { .. })
        ));
        // HTML under a JSON content type.
        assert!(matches!(
            status(200, PAY_JSON, "<html>hi</html>"),
            Err(DecodeError::Mismatch(_))
        ));
        for truncated in [
            r#"{"type":"status-response","status":"appr"#,
            r#"{"type":"status-response","#,
            "{",
            "",
            "[]",
            r#""text""#,
            r#"{"status":"approved"} trailing"#,
        ] {
            assert!(
                matches!(
                    status(200, PAY_JSON, truncated),
                    Err(DecodeError::Mismatch(_))
                ),
                "{truncated}"
            );
        }
        assert_eq!(
            decode_json_response::<StatusCommand>(
                200,
                PAY_JSON,
                b"{\"status\":\"ok\xff\"}",
                &DecodeLimits::default()
            ),
            Err(DecodeError::InvalidUtf8 { position: 13 })
        );
        assert_eq!(
            status(
                200,
                PAY_JSON,
                r#"{"status":"approved","status":"declined"}"#
            ),
            Err(DecodeError::DuplicateField("status".into()))
        );
        assert_eq!(
            status(
                200,
                PAY_JSON,
                r#"{"type":"create-card-ref-response","status":"approved"}"#
            ),
            Err(DecodeError::UnexpectedType {
                expected: ResponseType::StatusResponse,
                found: "create-card-ref-response".into()
            })
        );
        let small = DecodeLimits::default().with_max_body_bytes(8);
        assert_eq!(
            decode_json_response::<StatusCommand>(200, PAY_JSON, b"{\"status\":1}", &small),
            Err(DecodeError::TooLarge { len: 12, limit: 8 })
        );
        let few = DecodeLimits::default().with_max_fields(1);
        assert_eq!(
            decode_json_response::<StatusCommand>(
                200,
                PAY_JSON,
                br#"{"status":"approved","type":"status-response"}"#,
                &few
            ),
            Err(DecodeError::TooManyFields { limit: 1 })
        );
    }

    #[test]
    fn an_untyped_answer_gets_no_type() {
        let ticket = decode_json_response::<payneteasy_proto::CreateEphemeralTicket>(
            200,
            PAY_JSON,
            br#"{"ephemeralTicket":"t-1"}"#,
            &DecodeLimits::default(),
        )
        .unwrap();
        assert_eq!(ticket.ephemeral_ticket, "t-1");
        assert!(ticket.extra.is_empty(), "{:?}", ticket.extra);
        // v4 sale's answer without `type` (Payneteasy's own emulator): an async-response.
        let sale = decode_json_response::<payneteasy_proto::SaleV4>(
            200,
            PAY_JSON,
            br#"{"paynet-order-id":6868305,"merchant-order-id":"a","serial-number":"s"}"#,
            &DecodeLimits::default(),
        )
        .unwrap();
        assert_eq!(sale.response_type, ResponseType::AsyncResponse);
        assert_eq!(sale.paynet_order_id.as_deref(), Some("6868305"));
    }

    #[test]
    fn form_answers_still_decode() {
        let r = decode_json_response::<CreateCardRef>(
            200,
            Some("text/html;charset=utf-8"),
            b"type=create-card-ref-response\n&card-ref-id=1461608\n&status=approved",
            &DecodeLimits::default(),
        )
        .unwrap();
        assert_eq!(r.card_ref_id.as_deref(), Some("1461608"));
    }

    #[test]
    fn content_types() {
        for (ct, json) in [
            ("application/json", true),
            ("Application/Vnd.Pay+JSON; charset=utf-8", true),
            ("text/json", true),
            ("text/html;charset=utf-8", false),
            ("application/x-www-form-urlencoded", false),
            ("json", false),
            ("application/jsonx", false),
        ] {
            assert_eq!(is_json_media_type(ct), json, "{ct}");
        }
    }

    #[test]
    fn the_fuzz_harness_holds_on_samples() {
        let samples: [&[u8]; 8] = [
            br#"{"type":"status-response","status":"approved","paynet-order-id":1,"x":[1,{"b":null}]}"#,
            br#"{"status":"declined","error-code":5.5e3}"#,
            br#"{"error-message":"bad","error-code":2}"#,
            br#"{"type":"error","serial-number":"s"}"#,
            br#"{"type":"create-card-ref-response","status":"approved","card-ref-id":7}"#,
            b"type=status-response\n&status=approved",
            b"<html>",
            b"{\"a\":\"\xff\"}",
        ];
        for sample in samples {
            for s in 0..8u8 {
                for c in 0..4u8 {
                    let mut data = vec![s, c];
                    data.extend_from_slice(sample);
                    fuzz_json_response(&data);
                }
            }
        }
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::fuzz_json_response;

    proptest! {
        /// The fuzz harness's invariants on arbitrary bytes and on JSON objects of text,
        /// number, boolean and null members.
        #[test]
        fn decoding_holds_its_invariants(
            selector in any::<[u8; 2]>(),
            raw in proptest::collection::vec(any::<u8>(), 0..256),
            members in proptest::collection::vec(
                ("(type|status|paynet-order-id|error-code|error-message|html|[a-z-]{1,8})",
                 prop_oneof![
                     "[ -~]{0,12}".prop_map(serde_json::Value::from),
                     any::<i64>().prop_map(serde_json::Value::from),
                     any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
                     any::<bool>().prop_map(serde_json::Value::from),
                     Just(serde_json::Value::Null),
                     Just(serde_json::Value::from("status-response")),
                     Just(serde_json::Value::from("approved")),
                 ]),
                0..8,
            ),
        ) {
            let mut data = selector.to_vec();
            data.extend_from_slice(&raw);
            fuzz_json_response(&data);
            let object: serde_json::Map<String, serde_json::Value> = members.into_iter().collect();
            let mut data = selector.to_vec();
            data.extend_from_slice(serde_json::to_string(&object).unwrap().as_bytes());
            fuzz_json_response(&data);
        }
    }
}
