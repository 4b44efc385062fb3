//! Property tests: round trips of the form format and "no panic on any input".

use std::collections::HashSet;

use payneteasy_codec::{
    DecodeLimits, decode_request, decode_request_form, decode_response_fields,
    decode_response_parts, encode_request_body, encode_response, encode_response_body, fuzzing,
};
use payneteasy_proto::{
    CreateCardRef, CreateCardRefRequest, CreateCardRefResponse, Status, StatusCommand,
    StatusRequest, StatusResponse,
};
use proptest::prelude::*;

fn unique_fields() -> impl Strategy<Value = Vec<(String, String)>> {
    // Any Unicode text, biased towards the characters the format treats specially.
    let text = prop_oneof![
        any::<String>(),
        "[a-z&=+%\n\r ~*._-]{0,12}",
        "[\\PC&=+%]{0,12}(\n|\r\n|\r)?",
    ];
    proptest::collection::vec((text.clone(), text), 0..12).prop_map(|pairs| {
        let mut seen = HashSet::new();
        pairs
            .into_iter()
            .filter(|(n, _)| !n.is_empty() && seen.insert(n.clone()))
            .collect()
    })
}

fn id() -> impl Strategy<Value = String> {
    // \PC excludes every control and format character.
    "\\PC{1,40}"
}

/// A gateway order id: at most 20 characters (DOC).
fn order_id() -> impl Strategy<Value = String> {
    "\\PC{1,20}"
}

const HTML: Option<&str> = Some("text/html;charset=utf-8");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any list of uniquely named fields survives encode → decode, with the gateway's
    /// terminators and with an extra final line feed or CRLF terminators.
    #[test]
    fn response_fields_round_trip(fields in unique_fields(), crlf in any::<bool>(), final_lf in any::<bool>()) {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let mut body = encode_response_body(&refs);
        if crlf {
            body = body.replace("\n&", "\r\n&");
        }
        if final_lf && !body.is_empty() {
            body.push_str(if crlf { "\r\n" } else { "\n" });
        }
        let decoded = decode_response_fields(200, HTML, body.as_bytes(), &DecodeLimits::default()).unwrap();
        let decoded: Vec<(String, String)> =
            decoded.into_iter().map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
        prop_assert_eq!(decoded, fields);
    }

    /// Typed responses survive encode → decode.
    #[test]
    fn typed_response_round_trip(
        status in prop_oneof![Just("approved".to_owned()), Just("declined".to_owned()), any::<String>()],
        card_ref in proptest::option::of(any::<String>()),
        message in proptest::option::of(any::<String>()),
        extra in unique_fields(),
    ) {
        let mut r = CreateCardRefResponse::new(Status::parse(&status));
        r.card_ref_id = card_ref;
        r.error_message = message;
        r.extra = extra
            .into_iter()
            .filter(|(n, _)| !matches!(n.as_str(), "type" | "status" | "serial-number" | "card-ref-id"
                | "unq-card-ref-id" | "recurring-payment-id" | "dst-card-ref-id"
                | "dst-unq-card-ref-id" | "dst-recurring-payment-id" | "error-message" | "error-code"))
            .collect();
        let body = encode_response::<CreateCardRef>(&r).unwrap();
        let back = decode_response_parts::<CreateCardRef>(200, HTML, body.as_bytes(), &DecodeLimits::default()).unwrap();
        prop_assert_eq!(back, r);
    }

    /// Typed requests survive encode → decode (server side).
    #[test]
    fn request_round_trip(client in id(), order in order_id(), login in proptest::option::of(id())) {
        let mut r = CreateCardRefRequest::new(client, order).unwrap();
        if let Some(login) = login {
            r = r.with_login(login).unwrap();
        }
        let body = encode_request_body::<CreateCardRef>(&r).unwrap();
        let back = decode_request::<CreateCardRef>(
            Some("application/x-www-form-urlencoded"), body.as_bytes(), &DecodeLimits::default(),
        ).unwrap();
        prop_assert_eq!(back, r);
    }

    /// Status responses (every modelled field, text with `+ % & = \n` and non-ASCII, unknown
    /// fields in order) survive encode → decode.
    #[test]
    fn status_response_round_trip(
        status in any::<String>(),
        values in proptest::collection::vec(proptest::option::of(any::<String>()), 12),
        extra in unique_fields(),
    ) {
        let mut r = StatusResponse::new(Status::parse(&status));
        let slots = [
            &mut r.amount, &mut r.currency, &mut r.paynet_order_id, &mut r.merchant_order_id,
            &mut r.serial_number, &mut r.card_ref_id, &mut r.last_four_digits, &mut r.bin,
            &mut r.error_message, &mut r.error_code, &mut r.html, &mut r.redirect_to,
        ];
        for (slot, value) in slots.into_iter().zip(values) {
            *slot = value;
        }
        let known: Vec<String> = payneteasy_codec::to_fields(&StatusResponse::new(Status::Approved))
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .chain(["amount", "currency", "paynet-order-id", "merchant-order-id", "serial-number",
                "card-ref-id", "last-four-digits", "bin", "error-message", "error-code", "html",
                "redirect-to", "transaction-type"].map(str::to_owned))
            .collect();
        r.extra = extra.into_iter().filter(|(n, _)| !known.contains(n)).collect();
        let body = encode_response::<StatusCommand>(&r).unwrap();
        let back = decode_response_parts::<StatusCommand>(200, HTML, body.as_bytes(), &DecodeLimits::default()).unwrap();
        prop_assert_eq!(back, r);
    }

    /// Status requests survive encode → decode (server side).
    #[test]
    fn status_request_round_trip(client in id(), order in proptest::option::of(order_id()), sn in proptest::option::of(id())) {
        let mut r = StatusRequest::new(client).unwrap();
        if let Some(order) = order {
            r = r.with_orderid(order).unwrap();
        }
        if let Some(sn) = sn {
            r = r.with_by_request_sn(sn).unwrap();
        }
        let body = encode_request_body::<StatusCommand>(&r).unwrap();
        let back = decode_request::<StatusCommand>(
            Some("application/x-www-form-urlencoded"), body.as_bytes(), &DecodeLimits::default(),
        ).unwrap();
        prop_assert_eq!(back, r);
    }

    /// No input makes any decoder panic, and the fuzz invariants hold.
    #[test]
    fn decoders_never_panic(
        status in prop_oneof![Just(200u16), Just(401), Just(403), any::<u16>()],
        content_type in proptest::option::of(prop_oneof![
            Just("text/html;charset=utf-8".to_owned()),
            Just("application/x-www-form-urlencoded".to_owned()),
            Just("application/json".to_owned()),
            any::<String>(),
        ]),
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..256),
            "[a-z=&%+\n\r0-9A-Fé<{]{0,64}".prop_map(String::into_bytes),
        ],
    ) {
        let limits = DecodeLimits::default();
        let ct = content_type.as_deref();
        let _ = decode_response_parts::<CreateCardRef>(status, ct, &body, &limits);
        let _ = decode_response_parts::<StatusCommand>(status, ct, &body, &limits);
        let _ = decode_request_form(ct, &body, &limits);
        let _ = decode_request::<StatusCommand>(ct, &body, &limits);
        let mut data = vec![(status % 256) as u8, 1];
        data.extend_from_slice(&body);
        fuzzing::payneteasy_response(&data);
        fuzzing::payneteasy_response(&body);
    }
}
