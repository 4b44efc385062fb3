//! The services after `TokenizeCard`: each request against a sample written from the
//! published member lists (PascalCase exact), and tolerant decoding of their answers
//! (unknown members, lower-case names, missing members, nulls, unknown enum values, `History`
//! as an array), with property tests for round trips.

use paysecure_codec::{
    DecodeError, SuccessPolicy, decode_body, decode_request, decode_response, encode,
};
use paysecure_proto::card::EncryptedCardData;
use paysecure_proto::{
    Card, CardExpiration, CardInfoType, Initiate, InitiateRequest, JsonValue, MerchantDataElements,
    MerchantDescriptor, OriginalDataType, OriginalTransaction, Password, PreAuthCapture,
    PreAuthCaptureRequest, PreAuthVoid, PreAuthVoidRequest, PsBinCheck, PsBinCheckRequest,
    PsBinCheckResponse, RequestorCredentials, Reverse, ReverseRequest, TransType, Transaction,
    TransactionStatus, TransactionStatusRequest, TransactionStatusResponse, UnpublishedResponse,
};
use proptest::prelude::*;

const CREDENTIALS: &str =
    r#""Credentials":{"MerchantId":"M1","UserName":"u","Password":"pw","Version":"1.0"}"#;

fn credentials() -> RequestorCredentials {
    RequestorCredentials::new("M1", "u", Password::new("pw"), "1.0").unwrap()
}

fn policy() -> SuccessPolicy {
    SuccessPolicy::default()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Requests: PascalCase exact, from the spec's member lists.
// ---------------------------------------------------------------------------------------------

#[test]
fn psbincheck_request_is_credentials_and_bin() {
    let request = PsBinCheckRequest::new(credentials(), "411111").unwrap();
    assert_eq!(
        text(&encode(&request)),
        format!(r#"{{{CREDENTIALS},"BIN":"411111"}}"#)
    );
}

#[test]
fn transaction_status_request_is_credentials_and_original_data() {
    let request = TransactionStatusRequest::new(
        credentials(),
        OriginalTransaction::by_tran_id("T1").unwrap(),
    );
    assert_eq!(
        text(&encode(&request)),
        format!(
            r#"{{{CREDENTIALS},"OriginalData":{{"OriginalIdentifierType":"TransactionId","OriginalDataIdentifier":"T1"}}}}"#
        )
    );
}

#[test]
fn initiate_request_spells_card_key_id_as_its_dto_does() {
    let card = Card::encrypted(EncryptedCardData {
        key_id: "K1".into(),
        ciphertext: "QUJD".into(),
    });
    let mut request = InitiateRequest::new(
        credentials(),
        card,
        Some(CardExpiration::parse("1230").unwrap()),
        1999,
        "840",
        TransType::ECommerce,
    )
    .unwrap()
    .with_reference_key("order-1");
    request.custom1 = Some("c1".into());
    request.integrator_id = Some("I9".into());
    assert_eq!(
        text(&encode(&request)),
        format!(
            r#"{{{CREDENTIALS},"CardNumberInfo":{{"CardDataType":"Encrypted","CardNumberData":"QUJD","KeyID":"K1"}},"ExpirationDate":"1230","Amount":1999,"CurrencyCode":"840","TransType":"eCommerce","ReferenceKey":"order-1","Custom1":"c1","IntegratorID":"I9"}}"#
        )
    );
    let token = InitiateRequest::new(
        credentials(),
        Card::token("tok"),
        None,
        1,
        "USD",
        TransType::Wic,
    )
    .unwrap();
    assert!(text(&encode(&token)).contains(
        r#""CardNumberInfo":{"CardDataType":"Token","CardNumberData":"tok"},"Amount":1,"CurrencyCode":"USD","TransType":"WIC""#
    ));
}

#[test]
fn capture_request_members() {
    let mut request = PreAuthCaptureRequest::new(credentials(), "T1", 500, "840").unwrap();
    request.merchant_details = Some(MerchantDescriptor {
        name: Some("Shop".into()),
        mcc: Some("5999".into()),
        fns_num: Some("F1".into()),
        data_elements: Some(MerchantDataElements {
            refund_settlement_type_details: Some(1),
            send_recurring_pos_entry_mode_feature: Some(true),
            use_org_pos_code: Some(false),
        }),
        ..MerchantDescriptor::default()
    });
    request.custom5 = Some("c5".into());
    assert_eq!(
        text(&encode(&request)),
        format!(
            r#"{{{CREDENTIALS},"TranId":"T1","Amount":500,"CurrencyCode":"840","MerchantDetails":{{"Name":"Shop","MCC":"5999","FNSnum":"F1","DataElements":{{"RefundSettlementTypeDetails":1,"SendRecurringPOSEntryModeFeature":true,"UseOrgPOSCode":false}}}},"Custom5":"c5"}}"#
        )
    );
}

#[test]
fn void_and_reverse_requests() {
    let original = OriginalTransaction::by_reference_key("order-1").unwrap();
    let void = PreAuthVoidRequest::new(credentials(), original.clone(), Some(500)).unwrap();
    assert_eq!(
        text(&encode(&void)),
        format!(
            r#"{{{CREDENTIALS},"OriginalData":{{"OriginalIdentifierType":"ReferenceKey","OriginalDataIdentifier":"order-1"}},"Amount":500}}"#
        )
    );
    let reverse = ReverseRequest::new(credentials(), original);
    let body = encode(&reverse);
    assert_eq!(
        text(&body),
        format!(
            r#"{{{CREDENTIALS},"OriginalData":{{"OriginalIdentifierType":"ReferenceKey","OriginalDataIdentifier":"order-1"}}}}"#
        )
    );
    assert!(!text(&body).contains("Amount"), "Reverse has no Amount");
}

#[test]
fn requests_decode_case_insensitively_with_enum_numbers() {
    let body = format!(
        r#"{{{CREDENTIALS},"originaldata":{{"originalidentifiertype":3,"ORIGINALDATAIDENTIFIER":"A1"}},"Unknown":1}}"#
    );
    let request = decode_request::<TransactionStatus>(body.as_bytes()).unwrap();
    let original = request.original_data.unwrap();
    assert_eq!(
        original.original_identifier_type,
        Some(OriginalDataType::ExternalId)
    );
    assert_eq!(original.original_data_identifier.as_deref(), Some("A1"));
    let body = format!(
        r#"{{{CREDENTIALS},"CardNumberInfo":{{"carddatatype":"emv","KeyId":"K"}},"TransType":"Lottery"}}"#
    );
    let request = decode_request::<Initiate>(body.as_bytes()).unwrap();
    let card = request.card_number_info.unwrap();
    assert_eq!(card.card_data_type, Some(CardInfoType::Emv));
    assert_eq!(
        card.key_id.as_deref(),
        Some("K"),
        "KeyID matches KeyId ignoring case"
    );
    assert_eq!(request.trans_type, Some(TransType::Other("Lottery".into())));
    // An enum number outside the published ones is a type error, not a panic.
    let body = format!(
        r#"{{{CREDENTIALS},"OriginalData":{{"OriginalIdentifierType":9,"OriginalDataIdentifier":"A1"}}}}"#
    );
    assert!(matches!(
        decode_request::<Reverse>(body.as_bytes()),
        Err(DecodeError::Json(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Answers.
// ---------------------------------------------------------------------------------------------

#[test]
fn psbincheck_answer_tolerates_case_unknown_null_and_missing_members() {
    let body = br#"{"bin":"411111","PINLESSECOMMERCE":true,"Recurring":true,"DualMessage":null,
        "PinlessA2ADebit":false,"OTP":false,"FastFunds":"Y","NewFlag":true,"ErrorCode":"",
        "ExtendedData":{"ProductId":"P","CardAccountUpdater":{"CardDataType":"Hologram"}},
        "Timestamps":{"AppLayer":{"InTime":"\/Date(0)\/"}}}"#;
    let r = decode_response::<PsBinCheck>(200, None, body, &policy()).unwrap();
    assert_eq!(r.bin.as_deref(), Some("411111"));
    assert!(r.can_pinless_ecommerce() && r.can_recurring());
    assert_eq!(r.dual_message, None);
    assert_eq!(r.pinless_a2a_debit, Some(false));
    assert_eq!(r.pinless_bill_pay, None, "missing");
    let updater = r.extended_data.unwrap().card_account_updater.unwrap();
    assert_eq!(
        updater.card_data_type,
        Some(CardInfoType::Other("Hologram".into()))
    );
    let refused = br#"{"ErrorCode":"BIN_NOT_FOUND","ErrorMessage":"no"}"#;
    assert!(matches!(
        decode_response::<PsBinCheck>(200, None, refused, &policy()),
        Err(DecodeError::Rejected { ref error_code, .. }) if error_code == "BIN_NOT_FOUND"
    ));
}

#[test]
fn transaction_status_history_is_one_object_or_an_array() {
    let one = br#"{"History":{"tranid":"T1","Status":"Captured","TransactionAmount":500,
        "OpenAmount":0,"ExternalIds":["A1",null],"Unknown":{}}}"#;
    let r = decode_response::<TransactionStatus>(200, None, one, &policy()).unwrap();
    let h = r.history.unwrap();
    assert_eq!(h.tran_id.as_deref(), Some("T1"));
    assert_eq!(h.transaction_amount, Some(500));
    assert_eq!(h.external_ids, ["A1"]);
    let many = br#"{"history":[{"TRANID":"T1"},{"TranId":"T2"}]}"#;
    let r = decode_response::<TransactionStatus>(200, None, many, &policy()).unwrap();
    assert_eq!(r.history.unwrap().tran_id.as_deref(), Some("T1"));
    for none in [
        &br#"{"History":null}"#[..],
        br#"{"History":[]}"#,
        br#"{"History":[null]}"#,
        b"{}",
    ] {
        let r = decode_response::<TransactionStatus>(200, None, none, &policy()).unwrap();
        assert_eq!(r.history, None, "{}", text(none));
    }
    assert!(matches!(
        decode_response::<TransactionStatus>(200, None, br#"{"History":"T1"}"#, &policy()),
        Err(DecodeError::Json(_))
    ));
    // Re-encoded as the one object it is published as.
    let r: TransactionStatusResponse = decode_body(many).unwrap();
    assert_eq!(text(&encode(&r)), r#"{"History":{"TranId":"T1"}}"#);
    // The buffered path (a repeated member) reads the array too.
    let repeated = br#"{"ErrorCode":"1","History":[{"TranId":"T3"}],"ErrorCode":"0"}"#;
    let r = decode_response::<TransactionStatus>(200, None, repeated, &policy()).unwrap();
    assert_eq!(r.history.unwrap().tran_id.as_deref(), Some("T3"));
}

#[test]
fn initiate_answer_requires_tran_id() {
    let ok = br#"{"TranId":"T1","AccuId":"A1","ErrorCode":"0"}"#;
    let r = decode_response::<Initiate>(200, None, ok, &policy()).unwrap();
    assert_eq!(
        (r.tran_id.as_deref(), r.accu_id.as_deref()),
        (Some("T1"), Some("A1"))
    );
    assert!(matches!(
        decode_response::<Initiate>(200, None, br#"{"AccuId":"A1"}"#, &policy()),
        Err(DecodeError::Incomplete {
            field: "TranId",
            ..
        })
    ));
}

#[test]
fn unpublished_answers_keep_every_other_member_raw() {
    let body = br#"{"TranId":"T1","approvalcode":"123456","ResponseCode":"00","Nested":{"A":[1,2]},
        "Gone":null,"responsestatus":{"ErrorCode":"X","Message":"m"},
        "TIMESTAMPS":{"DBInsert":{"InTime":"\/Date(5+0100)\/"}}}"#;
    let r = decode_response::<PreAuthCapture>(200, None, body, &policy()).unwrap();
    assert_eq!(r.members.get_str("TranId"), Some("T1"));
    assert_eq!(r.members.get_str("ApprovalCode"), Some("123456"));
    assert_eq!(
        r.members.get("Nested"),
        Some(&serde_json::json!({"A": [1, 2]}))
    );
    assert_eq!(r.members.get("Gone"), None, "null members are left out");
    assert_eq!(r.members.len(), 4);
    assert_eq!(
        r.response_status.as_ref().unwrap().error_code.as_deref(),
        Some("X")
    );
    let db = r.timestamps.unwrap().db_insert.unwrap().in_time.unwrap();
    assert_eq!(db.to_string(), "/Date(5+0100)/");
    // In-band errors are judged from the raw members.
    let refused = br#"{"ErrorCode":"INVALID_TRANSACTION_STATE","ErrorMessage":"twice"}"#;
    match decode_response::<Reverse>(200, None, refused, &policy()) {
        Err(DecodeError::Rejected {
            error_code,
            error_message,
        }) => {
            assert_eq!(error_code, "INVALID_TRANSACTION_STATE");
            assert_eq!(error_message.as_deref(), Some("twice"));
        }
        other => panic!("{other:?}"),
    }
    // Nothing is required: an empty object is a success.
    assert_eq!(
        decode_response::<Reverse>(200, None, b"{}", &policy()).unwrap(),
        UnpublishedResponse::default()
    );
    // Written back: raw members in order, then ResponseStatus and Timestamps, dates escaped.
    let again = encode(&r);
    assert!(text(&again).starts_with(r#"{"TranId":"T1","approvalcode":"123456","ResponseCode":"00","Nested":{"A":[1,2]},"ResponseStatus":"#));
    assert!(text(&again).ends_with(r#""Timestamps":{"DBInsert":{"InTime":"\/Date(5+0100)\/"}}}"#));
}

#[test]
fn void_answer() {
    let body = br#"{"TranId":"T1","ResponseCode":"00","LocalDateTime":"x","Token":"t","Extra":[]}"#;
    let r = decode_response::<PreAuthVoid>(200, None, body, &policy()).unwrap();
    assert_eq!(r.response_code.as_deref(), Some("00"));
    assert_eq!(r.token.as_deref(), Some("t"));
}

#[test]
fn service_errors_come_through_for_every_service() {
    let body = br#"{"ResponseStatus":{"ErrorCode":"ValidationException","Message":"bad"}}"#;
    assert!(matches!(
        decode_response::<PreAuthCapture>(400, None, body, &policy()),
        Err(DecodeError::Service { status: 400, .. })
    ));
    assert!(matches!(
        decode_response::<TransactionStatus>(500, None, b"<html/>", &policy()),
        Err(DecodeError::HttpStatus { status: 500, .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Round trips.
// ---------------------------------------------------------------------------------------------

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[ -~]{0,12}")
}

fn transaction() -> impl Strategy<Value = Transaction> {
    (
        opt_text(),
        opt_text(),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::collection::vec("[a-z0-9]{1,6}", 0..3),
        opt_text(),
    )
        .prop_map(
            |(tran_id, status, amount, open, ids, currency)| Transaction {
                tran_id,
                status,
                transaction_amount: amount,
                open_amount: open,
                external_ids: ids,
                currency_code: currency,
                ..Transaction::default()
            },
        )
}

fn card_type() -> impl Strategy<Value = CardInfoType> {
    prop_oneof![
        proptest::sample::select(CardInfoType::KNOWN.to_vec()),
        "[A-Za-z]{1,10}".prop_map(|t| CardInfoType::parse(&t)),
    ]
}

proptest! {
    #[test]
    fn transaction_status_round_trips(history in proptest::option::of(transaction()), code in opt_text()) {
        let r = TransactionStatusResponse { history, error_code: code, ..Default::default() };
        prop_assert_eq!(decode_body::<TransactionStatusResponse>(&encode(&r)).unwrap(), r);
    }

    #[test]
    fn initiate_request_round_trips(
        kind in card_type(),
        data in opt_text(),
        amount in proptest::option::of(any::<u64>()),
        reference in opt_text(),
    ) {
        let mut r = InitiateRequest::new(credentials(), Card::token("t"), None, 1, "840", TransType::ECommerce).unwrap();
        r.card_number_info = Some(Card { card_data_type: Some(kind), card_number_data: data, key_id: None });
        r.amount = amount;
        r.reference_key = reference;
        prop_assert_eq!(decode_request::<Initiate>(&encode(&r)).unwrap(), r);
    }

    #[test]
    fn bin_check_round_trips(flags in proptest::collection::vec(proptest::option::of(any::<bool>()), 4), bin in opt_text()) {
        let r = PsBinCheckResponse {
            bin,
            pinless_ecommerce: flags[0],
            recurring: flags[1],
            dual_message: flags[2],
            incremental_auth: flags[3],
            ..Default::default()
        };
        prop_assert_eq!(decode_body::<PsBinCheckResponse>(&encode(&r)).unwrap(), r);
    }

    #[test]
    fn unpublished_round_trips(members in proptest::collection::vec(("[A-Za-z]{1,8}", any::<i32>()), 0..6)) {
        let mut r = UnpublishedResponse::default();
        for (name, value) in members {
            if !name.eq_ignore_ascii_case("Timestamps") && !name.eq_ignore_ascii_case("ResponseStatus") {
                r.members.insert(name, JsonValue::from(value));
            }
        }
        prop_assert_eq!(decode_body::<UnpublishedResponse>(&encode(&r)).unwrap(), r);
    }

    #[test]
    fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        paysecure_codec::fuzzing::response(&data);
    }

    #[test]
    fn json_shaped_input_never_panics(body in r#"\{("[A-Za-z]{1,6}":(null|1|"x"|\[\]|\{\}|\[\{"TranId":"T"\}\]),?){0,4}\}"#) {
        paysecure_codec::fuzzing::response(body.as_bytes());
    }
}
