//! Fuzz harnesses, shared by `fuzz/fuzz_targets/paysecure_*.rs` and the proptests.
//!
//! Each function accepts any bytes, never panics on its own, and panics only when an invariant
//! is broken.

use core::fmt::Debug;

use paysecure_proto::{
    Card, CreateKey, ErrorResponse, ExtendedResponse, InOutTimes, Initiate, MerchantDescriptor,
    OriginalTransaction, PreAuthCapture, PreAuthVoid, PsBinCheck, ResponseError, ResponseStatus,
    Reverse, Service, Timestamps, TokenizeCard, Transaction, TransactionStatus, WcfDate,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{SuccessPolicy, decode_body, decode_request, decode_response, encode};

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
    // The same text as a JSON date member.
    round_trip::<InOutTimes>(format!("{{\"InTime\":{text}}}").as_bytes());
}

/// Every decoder survives any bytes; whatever decodes re-encodes to bytes that decode to the
/// same value. The first byte picks an HTTP status for the status-aware decoders.
pub fn response(data: &[u8]) {
    let status = match data.first() {
        Some(b) if b % 4 == 0 => 400 + u16::from(*b % 100),
        Some(b) if b % 4 == 1 => 500 + u16::from(*b % 100),
        _ => 200,
    };
    service::<CreateKey>(status, data);
    service::<TokenizeCard>(status, data);
    service::<PsBinCheck>(status, data);
    service::<TransactionStatus>(status, data);
    service::<Initiate>(status, data);
    service::<PreAuthCapture>(status, data);
    service::<PreAuthVoid>(status, data);
    service::<Reverse>(status, data);
    round_trip::<Transaction>(data);
    round_trip::<Card>(data);
    round_trip::<OriginalTransaction>(data);
    round_trip::<MerchantDescriptor>(data);
    round_trip::<ExtendedResponse>(data);
    round_trip::<ErrorResponse>(data);
    round_trip::<ResponseStatus>(data);
    round_trip::<ResponseError>(data);
    round_trip::<Timestamps>(data);
}

/// Every message of service `S`: the judged answer, the bare response and the request.
fn service<S: Service>(status: u16, data: &[u8])
where
    S::Request: PartialEq,
    S::Response: PartialEq,
{
    let _ = decode_response::<S>(
        status,
        Some("application/json"),
        data,
        &SuccessPolicy::default(),
    );
    round_trip::<S::Response>(data);
    if let Ok(v) = decode_request::<S>(data) {
        assert_eq!(decode_request::<S>(&encode(&v)).expect("re-decodes"), v);
    }
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) {
    if let Ok(v) = decode_body::<T>(data) {
        let body = encode(&v);
        assert_eq!(decode_body::<T>(&body).expect("re-decodes"), v);
    }
}
