//! `TokenizeCard` member names as PaySecure's published metadata spells them.

use paysecure_codec::{decode_body, encode};
use paysecure_proto::TokenizeCardResponse;

#[test]
fn card_bin_is_spelled_as_published_and_read_in_any_case() {
    let body = br#"{"CardToken":"t-1","CardLast4":"1111","CardBIN":"411111","ResponseCode":"00"}"#;
    let decoded: TokenizeCardResponse = decode_body::<TokenizeCardResponse>(body).unwrap();
    assert_eq!(decoded.card_bin.as_deref(), Some("411111"));
    let encoded = String::from_utf8(encode(&decoded)).unwrap();
    assert!(encoded.contains(r#""CardBIN":"411111""#), "{encoded}");
    let lower = br#"{"cardtoken":"t-1","cardbin":"411111"}"#;
    assert_eq!(
        decode_body::<TokenizeCardResponse>(lower)
            .unwrap()
            .card_bin
            .as_deref(),
        Some("411111")
    );
}
