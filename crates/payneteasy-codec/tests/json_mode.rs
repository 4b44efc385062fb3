//! JSON-mode readiness: the same response declarations read a JSON body (`serde_json`), with
//! numbers where the form mode has text (`paynet-order-id`, `error-code`). Full JSON client
//! mode is not built here.

use payneteasy_codec::{GatewayError, GatewayErrorKind};
use payneteasy_proto::{
    CreateCardRefResponse, ResponseType, Status, StatusResponse, TransactionType,
};

#[test]
fn json_bodies_decode_into_the_response_types() {
    let status: StatusResponse = serde_json::from_str(
        r#"{"type":"status-response","status":"approved","paynet-order-id":6868305,
            "merchant-order-id":"34T43R77N","amount":10.42,"currency":"USD",
            "serial-number":"00000000-0000-0000-0000-000002de3113","transaction-type":"sale"}"#,
    )
    .unwrap();
    assert_eq!(status.status, Status::Approved);
    assert_eq!(status.paynet_order_id.as_deref(), Some("6868305"));
    assert_eq!(status.amount.as_deref(), Some("10.42"));
    assert_eq!(status.transaction_type, Some(TransactionType::Sale));
    assert!(status.extra.is_empty());

    let card_ref: CreateCardRefResponse = serde_json::from_str(
        r#"{"type":"create-card-ref-response","status":"declined","card-ref-id":"1461608","error-code":1234}"#,
    )
    .unwrap();
    assert_eq!(card_ref.response_type, ResponseType::CreateCardRefResponse);
    assert_eq!(card_ref.error_code.as_deref(), Some("1234"));

    // A 4xx JSON rejection, {error-message, error-code (number)}, with its type.
    let refusal: GatewayError = serde_json::from_str(
        r#"{"type":"validation-error","error-message":"bad amount","error-code":2}"#,
    )
    .unwrap();
    assert_eq!(refusal.kind, GatewayErrorKind::ValidationError);
    assert_eq!(refusal.code.as_deref(), Some("2"));
    assert_eq!(refusal.message.as_deref(), Some("bad amount"));
}
