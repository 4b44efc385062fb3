//! Fuzz harness functions (used by `fuzz/fuzz_targets/`). Not a stable API.

use payneteasy_proto::{ControlKey, CreateCardRef, Operation, StatusCommand};

use crate::callback::{parse_customer_return, parse_server_callback};
use crate::ser::to_fields;

use crate::decode::{DecodeLimits, decode_response_fields, decode_response_parts};
use crate::encode::{encode_gateway_error, encode_response};
use crate::error::DecodeError;
use crate::form::encode_response_body;

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("text/html;charset=utf-8"),
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
];

/// Decodes arbitrary bytes as a gateway response and checks the invariants:
/// - no input makes the decoder panic (whatever the status and content type);
/// - a body that decodes to fields re-encodes (gateway style) and decodes to the same fields;
/// - a body that decodes to a typed response (of every modelled response type, and the
///   gateway's refusal) re-encodes and decodes to an equal response.
///
/// The first byte picks the HTTP status, the second the content type; the rest is the body.
///
/// # Panics
/// Only when an invariant is broken.
pub fn payneteasy_response(data: &[u8]) {
    let (status, content_type, body) = match data {
        [s, c, body @ ..] => {
            let status = match s % 8 {
                0..=3 => 200,
                4 => 401,
                5 => 403,
                6 => 500,
                _ => 100 + u16::from(*s),
            };
            (status, CONTENT_TYPES[usize::from(c % 4)], body)
        }
        _ => (200, None, data),
    };
    let limits = DecodeLimits::default().with_max_body_bytes(64 * 1024);
    // Re-encoding may triple the size of escaped text: decode it again without that bound.
    let roomy = DecodeLimits::default()
        .with_max_body_bytes(usize::MAX)
        .with_max_fields(usize::MAX);

    if let Ok(fields) = decode_response_fields(status, content_type, body, &limits) {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
        let again = encode_response_body(&pairs);
        let back = decode_response_fields(200, None, again.as_bytes(), &roomy)
            .expect("a re-encoded body decodes");
        assert_eq!(back, fields, "fields survive a round trip");
    }
    round_trip::<CreateCardRef>(status, content_type, body, &limits, &roomy);
    round_trip::<StatusCommand>(status, content_type, body, &limits, &roomy);
    // A gateway refusal re-encodes and decodes to an equal refusal, for every operation.
    if let Err(DecodeError::Gateway(g)) =
        decode_response_parts::<CreateCardRef>(status, content_type, body, &limits)
    {
        let again = encode_gateway_error(&g).expect("a refusal encodes");
        match decode_response_parts::<StatusCommand>(200, None, again.as_bytes(), &roomy) {
            Err(DecodeError::Gateway(back)) => assert_eq!(back, g, "refusal survives"),
            other => panic!("a re-encoded refusal decodes as one: {other:?}"),
        }
    }
}

/// Decodes a response of operation `O`; when it decodes, it re-encodes (gateway style) and
/// decodes to an equal response.
fn round_trip<O: Operation>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
    roomy: &DecodeLimits,
) where
    O::Response: PartialEq + std::fmt::Debug,
{
    if let Ok(r) = decode_response_parts::<O>(status, content_type, body, limits) {
        let again = encode_response::<O>(&r).expect("a decoded response encodes");
        let back = decode_response_parts::<O>(200, None, again.as_bytes(), roomy)
            .expect("a re-encoded response decodes");
        assert_eq!(back, r, "{} response survives a round trip", O::PATH);
    }
}

/// Parses arbitrary bytes as a server callback query and as a customer-return body, and
/// checks the invariants:
/// - no input makes the parsers or the verifier panic;
/// - a parsed callback re-encodes (as a query) and parses to an equal callback;
/// - verification with a key is stable, and a callback re-signed with that key verifies.
///
/// # Panics
/// Only when an invariant is broken.
pub fn payneteasy_callback(data: &[u8]) {
    let key = ControlKey::new("fuzz-control").expect("a non-empty key");
    let text = std::str::from_utf8(data).ok();
    if let Some(cb) = text.and_then(|t| parse_server_callback(t).ok()) {
        let fields = to_fields(&cb).expect("a callback encodes");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
        let again = crate::form::encode_form(&pairs);
        let back = parse_server_callback(&again).expect("a re-encoded callback parses");
        assert_eq!(back, cb, "callback survives a round trip");
        assert_eq!(back.verify(&key), cb.verify(&key));
        let _ = cb.dedup_key();
        if let Some(client) = cb.client_id() {
            let mut signed = cb.clone();
            signed.control =
                payneteasy_proto::compute_control(cb.status.as_str(), &cb.orderid, client, &key);
            assert_eq!(signed.verify(&key), Ok(()), "a signed callback verifies");
        }
    }
    if let Ok(ret) = parse_customer_return(data) {
        let fields = to_fields(&ret).expect("a return encodes");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
        let again = crate::form::encode_form(&pairs);
        let back = parse_customer_return(again.as_bytes()).expect("a re-encoded return parses");
        assert_eq!(back, ret, "return survives a round trip");
        let _ = ret.verify(&key);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn callback_seeds_hold_the_invariants() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/seeds/payneteasy_callback"
        );
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            super::payneteasy_callback(&data);
            super::payneteasy_callback(&data[..data.len() / 2]);
            seen += 1;
        }
        assert!(seen >= 5);
    }
}
