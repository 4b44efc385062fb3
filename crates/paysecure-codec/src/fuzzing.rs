//! Fuzz harnesses, shared by `fuzz/fuzz_targets/paysecure_*.rs` and the proptests.
//!
//! Each function accepts any bytes, never panics on its own, and panics only when an invariant
//! is broken.

use paysecure_proto::WcfDate;

use crate::{
    SuccessPolicy, decode_create_key_body, decode_create_key_request, decode_create_key_response,
    decode_error_response, decode_tokenize_card_body, decode_tokenize_card_request,
    decode_tokenize_card_response, encode_create_key_request, encode_create_key_response,
    encode_error_response, encode_tokenize_card_request, encode_tokenize_card_response,
};

/// `WcfDate`: parse → display → parse gives the same value, and the display of a value parsed
/// from its own display is identical.
pub fn date(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(date) = WcfDate::parse(text) {
        let shown = date.to_string();
        let again = WcfDate::parse(&shown).expect("a displayed date parses");
        assert_eq!(again, date);
        assert_eq!(again.to_string(), shown);
    }
}

/// Every decoder survives any bytes; whatever decodes re-encodes to bytes that decode to the
/// same value. The first byte picks an HTTP status for the status-aware decoders.
pub fn response(data: &[u8]) {
    let status = match data.first() {
        Some(b) if b % 4 == 0 => 400 + u16::from(*b % 100),
        Some(b) if b % 4 == 1 => 500 + u16::from(*b % 100),
        _ => 200,
    };
    let policy = SuccessPolicy::default();
    let _ = decode_create_key_response(status, Some("application/json"), data, &policy);
    let _ = decode_tokenize_card_response(status, None, data, &policy);

    if let Ok(v) = decode_create_key_body(data) {
        assert_eq!(
            decode_create_key_body(&encode_create_key_response(&v)).expect("re-decodes"),
            v
        );
    }
    if let Ok(v) = decode_tokenize_card_body(data) {
        assert_eq!(
            decode_tokenize_card_body(&encode_tokenize_card_response(&v)).expect("re-decodes"),
            v
        );
    }
    if let Ok(v) = decode_error_response(data) {
        assert_eq!(
            decode_error_response(&encode_error_response(&v)).expect("re-decodes"),
            v
        );
    }
    if let Ok(v) = decode_create_key_request(data) {
        assert_eq!(
            decode_create_key_request(&encode_create_key_request(&v)).expect("re-decodes"),
            v
        );
    }
    if let Ok(v) = decode_tokenize_card_request(data) {
        assert_eq!(
            decode_tokenize_card_request(&encode_tokenize_card_request(&v)).expect("re-decodes"),
            v
        );
    }
}
