//! The shared PaySecure vectors (`testdata/vectors/paysecure/`) and the wire rules of the spec.

use paysecure_codec::{
    DecodeError, SuccessPolicy, decode_body, decode_error_response, decode_request,
    decode_response, encode, encode_error_response,
};
use paysecure_proto::{
    CardExpiration, CreateKey, CreateKeySession, DateKind, Error as ProtoError, ResponseStatus,
    TokenizeCard, TokenizeCardRequest, TokenizeCardResponse, WcfDate,
};
use serde_json::Value;

fn vector(name: &str) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/paysecure/"
    );
    std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The vector files end with one line feed that is not part of the sample.
fn without_final_newline(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\n").unwrap_or(bytes)
}

#[test]
fn seed_request_round_trips_byte_for_byte() {
    let file = vector("createkey_request_seed.json");
    let request = decode_request::<CreateKey>(&file).unwrap();
    assert_eq!(request.credentials.merchant_id(), "String");
    assert_eq!(request.credentials.password().expose(), "String");
    assert_eq!(request.ttl_in_minutes, Some(0));
    assert_eq!(
        String::from_utf8(encode(&request)).unwrap(),
        String::from_utf8(without_final_newline(&file).to_vec()).unwrap()
    );
}

#[test]
fn seed_response_round_trips_byte_for_byte() {
    let file = vector("createkey_response_seed.json");
    let session = decode_body::<CreateKeySession>(&file).unwrap();
    assert_eq!(session.key_id.as_deref(), Some("String"));
    assert_eq!(session.error_code.as_deref(), Some("String"));
    let timestamps = session.timestamps.unwrap();
    for stage in timestamps.stages() {
        let stage = stage.unwrap();
        for date in [stage.in_time.unwrap(), stage.out_time.unwrap()] {
            assert!(date.is_unset());
            assert_eq!(date.kind(), DateKind::Unspecified);
            assert_eq!(date, WcfDate::NOT_SET);
        }
    }
    assert_eq!(
        String::from_utf8(encode(&session)).unwrap(),
        String::from_utf8(without_final_newline(&file).to_vec()).unwrap()
    );
}

#[test]
fn seed_response_is_an_in_band_error_under_the_default_policy() {
    // The sample's placeholder ErrorCode is "String": not a success code.
    let file = vector("createkey_response_seed.json");
    match decode_response::<CreateKey>(200, Some("text/csv"), &file, &SuccessPolicy::default()) {
        Err(DecodeError::Rejected {
            error_code,
            error_message,
        }) => {
            assert_eq!(error_code, "String");
            assert_eq!(error_message.as_deref(), Some("String"));
        }
        other => panic!("{other:?}"),
    }
    let lenient = SuccessPolicy::with_success_codes(["", "String"]);
    assert!(decode_response::<CreateKey>(200, Some("text/csv"), &file, &lenient).is_ok());
}

/// Puts a date member's JSON text into a response body.
fn body_with_date(json: &str) -> Vec<u8> {
    format!(r#"{{"KeyId":"k","Timestamps":{{"Network":{{"InTime":{json}}}}}}}"#).into_bytes()
}

#[test]
fn dates_vectors() {
    let dates: Value = serde_json::from_slice(&vector("dates.json")).unwrap();
    let valid = dates["valid"].as_array().unwrap();
    assert_eq!(valid.len(), 6);
    for case in valid {
        let json = case["json"].as_str().unwrap();
        let body = body_with_date(json);
        let session =
            decode_body::<CreateKeySession>(&body).unwrap_or_else(|e| panic!("{json}: {e}"));
        let date = session
            .timestamps
            .unwrap()
            .network
            .unwrap()
            .in_time
            .unwrap();
        assert_eq!(
            date.unix_millis(),
            case["unix_ms"].as_i64().unwrap(),
            "{json}"
        );
        assert_eq!(
            date.suffix().map(|o| o.to_string()),
            case["offset"].as_str().map(str::to_owned),
            "{json}"
        );
        // Re-encoding writes the escaped form, keeping the suffix.
        let reencoded =
            String::from_utf8(encode(&decode_body::<CreateKeySession>(&body).unwrap())).unwrap();
        let expected = format!(
            r#""\/Date({}{})\/""#,
            date.unix_millis(),
            case["offset"].as_str().unwrap_or("")
        );
        assert!(reencoded.contains(&expected), "{reencoded}");
    }
    assert_eq!(
        decode_body::<CreateKeySession>(&body_with_date(valid[0]["json"].as_str().unwrap()))
            .unwrap()
            .timestamps
            .unwrap()
            .network
            .unwrap()
            .in_time
            .unwrap()
            .kind(),
        DateKind::Unspecified
    );

    let invalid = dates["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 7);
    // ISO-8601 is rejected too (documented decision).
    let decide = dates["decide"].as_array().unwrap();
    for json in invalid.iter().chain(decide) {
        let json = json.as_str().unwrap();
        let quoted = match serde_json::from_str::<Value>(json).unwrap() {
            Value::String(s) => s,
            other => other.to_string(),
        };
        match decode_body::<CreateKeySession>(&body_with_date(json)) {
            Err(DecodeError::InvalidDate { value, source }) => {
                assert_eq!(value, quoted, "{json}");
                assert!(matches!(source, ProtoError::InvalidDate { .. }));
                assert!(source.to_string().contains(&quoted), "{source}");
                let shown = DecodeError::InvalidDate {
                    value: value.clone(),
                    source,
                }
                .to_string();
                assert!(shown.contains(&quoted), "{shown}");
            }
            other => panic!("{json} gave {other:?}"),
        }
    }
}

#[test]
fn null_date_means_absent() {
    let session = decode_body::<CreateKeySession>(&body_with_date("null")).unwrap();
    assert_eq!(session.timestamps.unwrap().network.unwrap().in_time, None);
}

#[test]
fn errors_vectors() {
    let cases: Value = serde_json::from_slice(&vector("errors.json")).unwrap();
    let policy = SuccessPolicy::default();
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let status = u16::try_from(case["http_status"].as_u64().unwrap()).unwrap();
        let body = case["body"].as_str().unwrap().as_bytes();
        let create = decode_response::<CreateKey>(status, Some("application/json"), body, &policy);
        let tokenize =
            decode_response::<TokenizeCard>(status, Some("application/json"), body, &policy);
        for result in [create.map(|_| ()), tokenize.map(|_| ())] {
            let err = result.expect_err(name);
            match name {
                "servicestack_error_response" => match err {
                    DecodeError::Service {
                        status: 400,
                        response_status,
                    } => {
                        assert_eq!(
                            response_status.error_code.as_deref(),
                            Some("SerializationException")
                        );
                        assert_eq!(
                            response_status.message.as_deref(),
                            Some("Could not deserialize 'application/json' request")
                        );
                        assert_eq!(response_status.errors.len(), 1);
                        assert_eq!(
                            response_status.errors[0].error_code.as_deref(),
                            Some("NotNull")
                        );
                        assert_eq!(
                            response_status.errors[0].field_name.as_deref(),
                            Some("Credentials")
                        );
                        assert_eq!(
                            response_status.errors[0].message.as_deref(),
                            Some("'Credentials' must not be empty.")
                        );
                    }
                    other => panic!("{name}: {other:?}"),
                },
                "servicestack_401" => match err {
                    DecodeError::Service {
                        status: 401,
                        response_status,
                    } => {
                        assert_eq!(
                            response_status.error_code.as_deref(),
                            Some("AuthenticationException")
                        );
                        assert_eq!(
                            response_status.message.as_deref(),
                            Some("Invalid UserName or Password")
                        );
                        assert!(response_status.errors.is_empty());
                    }
                    other => panic!("{name}: {other:?}"),
                },
                "in_band_error_200" => match err {
                    DecodeError::Rejected {
                        error_code,
                        error_message,
                    } => {
                        assert_eq!(error_code, "1001");
                        assert_eq!(error_message.as_deref(), Some("Invalid merchant"));
                    }
                    other => panic!("{name}: {other:?}"),
                },
                "html_500" => match err {
                    DecodeError::HttpStatus {
                        status: 500,
                        excerpt,
                        content_type,
                    } => {
                        assert_eq!(excerpt, "<html><body><h1>Runtime Error</h1></body></html>");
                        assert_eq!(content_type.as_deref(), Some("application/json"));
                    }
                    other => panic!("{name}: {other:?}"),
                },
                "empty_502" => match err {
                    DecodeError::HttpStatus {
                        status: 502,
                        excerpt,
                        ..
                    } => assert_eq!(excerpt, ""),
                    other => panic!("{name}: {other:?}"),
                },
                other => panic!("unknown case {other}: add an expectation"),
            }
        }
    }
}

#[test]
fn error_body_round_trips() {
    let cases: Value = serde_json::from_slice(&vector("errors.json")).unwrap();
    let body = cases[0]["body"].as_str().unwrap();
    let status = decode_error_response(body.as_bytes()).unwrap();
    assert_eq!(
        String::from_utf8(encode_error_response(&status)).unwrap(),
        body
    );
}

#[test]
fn member_names_ignore_case_and_unknowns() {
    let policy = SuccessPolicy::default();
    for body in [
        r#"{"KeyId":"k1","Modulus":"m","Exponent":"e"}"#,
        r#"{"KeyID":"k1","MODULUS":"m","exponent":"e"}"#,
        r#"{"keyid":"k1","modulus":"m","Exponent":"e","Unknown":{"a":[1,2,{"b":null}]},"More":"x"}"#,
        r#"{"keyId":"zzz","keyid":"k1","Modulus":"m","Exponent":"e","ErrorCode":null,"Timestamps":null}"#,
        " \r\n\t{\"KEYID\":\"k1\",\"modulus\":\"m\",\"exponent\":\"e\",\"errorcode\":\"00\"} \n",
    ] {
        let s = decode_response::<CreateKey>(200, None, body.as_bytes(), &policy)
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(
            (
                s.key_id.as_deref(),
                s.modulus.as_deref(),
                s.exponent.as_deref()
            ),
            (Some("k1"), Some("m"), Some("e")),
            "{body}"
        );
        assert_eq!(s.timestamps, None);
    }
    let ts = decode_body::<CreateKeySession>(br#"{"timestamps":{"dbinsert":{"intime":"\/Date(5)\/"},"DBUPDATE":{"OUTTIME":"/Date(6)/"}}}"#)
        .unwrap()
        .timestamps
        .unwrap();
    assert_eq!(ts.db_insert.unwrap().in_time.unwrap().unix_millis(), 5);
    assert_eq!(ts.db_update.unwrap().out_time.unwrap().unix_millis(), 6);
}

#[test]
fn each_failure_has_its_own_variant() {
    let policy = SuccessPolicy::default();
    let create = |status, body: &[u8]| {
        decode_response::<CreateKey>(status, Some("text/html"), body, &policy)
    };

    assert!(matches!(
        create(200, b"{\"KeyId\":"),
        Err(DecodeError::Json(_))
    ));
    assert!(matches!(
        create(200, b"{\"KeyId\":\"k\"} trailing"),
        Err(DecodeError::Json(_))
    ));
    assert!(matches!(
        create(200, b"{\"KeyId\":5}"),
        Err(DecodeError::Json(_))
    ));
    assert!(matches!(
        create(200, b"{\"KeyId\":\"k\xff\"}"),
        Err(DecodeError::InvalidUtf8 { valid_up_to: 11 })
    ));
    assert!(matches!(
        create(200, b"<html>Service Unavailable</html>"),
        Err(DecodeError::NotJson { status: 200, ref excerpt, .. }) if excerpt == "<html>Service Unavailable</html>"
    ));
    assert!(matches!(create(200, b""), Err(DecodeError::NotJson { .. })));
    assert!(matches!(
        create(200, b"[]"),
        Err(DecodeError::NotJson { .. })
    ));
    assert!(matches!(
        create(200, br#"{"ErrorCode":"0","Modulus":"m"}"#),
        Err(DecodeError::Incomplete { field: "KeyId", .. })
    ));
    assert!(matches!(
        create(200, br#"{"KeyId":"","ErrorCode":""}"#),
        Err(DecodeError::Incomplete { field: "KeyId", .. })
    ));
    assert!(matches!(
        create(200, br#"{"KeyId":"k","ErrorCode":"E42","ErrorMessage":"nope"}"#),
        Err(DecodeError::Rejected { ref error_code, .. }) if error_code == "E42"
    ));
    let big = vec![b' '; 2_000_000];
    assert!(matches!(
        create(200, &big),
        Err(DecodeError::TooLarge {
            len: 2_000_000,
            limit: 1_048_576
        })
    ));
    let small = SuccessPolicy::default().max_body_len(4);
    assert!(matches!(
        decode_response::<CreateKey>(500, None, b"12345", &small),
        Err(DecodeError::TooLarge { len: 5, limit: 4 })
    ));
    // A 4xx whose JSON is not a ResponseStatus is still an HTTP error, with the body excerpt.
    assert!(matches!(
        create(404, br#"{"KeyId":"k"}"#),
        Err(DecodeError::HttpStatus { status: 404, ref excerpt, .. }) if excerpt == r#"{"KeyId":"k"}"#
    ));
    // Long HTML error pages are cut.
    let page = format!("<html>{}</html>", "x".repeat(5000));
    match create(503, page.as_bytes()) {
        Err(DecodeError::HttpStatus { excerpt, .. }) => assert!(excerpt.chars().count() <= 201),
        other => panic!("{other:?}"),
    }
    // 3xx is not success either.
    assert!(matches!(
        create(302, b""),
        Err(DecodeError::HttpStatus { status: 302, .. })
    ));
}

#[test]
fn server_side_request_validation() {
    let missing = |body: &str| match decode_request::<CreateKey>(body.as_bytes()) {
        Err(DecodeError::Invalid(ProtoError::MissingField { field })) => field,
        other => panic!("{body}: {other:?}"),
    };
    assert_eq!(missing(r#"{"TTLInMinutes":5}"#), "Credentials");
    assert_eq!(missing(r#"{"Credentials":null}"#), "Credentials");
    assert_eq!(
        missing(r#"{"Credentials":{"UserName":"u","Password":"p","Version":"v"}}"#),
        "MerchantId"
    );
    assert_eq!(
        missing(r#"{"Credentials":{"MerchantId":"m","UserName":"u","Password":"","Version":"v"}}"#),
        "Password"
    );
    let ok = decode_request::<CreateKey>(
        br#"{"credentials":{"merchantid":"m","username":"u","password":"p","version":"v"}}"#,
    )
    .unwrap();
    assert_eq!(ok.ttl_in_minutes, None);
    assert_eq!(
        encode(&ok),
        br#"{"Credentials":{"MerchantId":"m","UserName":"u","Password":"p","Version":"v"}}"#
    );
    assert!(matches!(
        decode_request::<CreateKey>(br#"{"TTLInMinutes":"x"}"#),
        Err(DecodeError::Json(_))
    ));
    assert!(matches!(
        decode_request::<CreateKey>(&vec![b' '; 70_000]),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn password_never_in_debug_or_errors() {
    let body = br#"{"Credentials":{"MerchantId":"m","UserName":"u","Password":"hunter2-secret","Version":"v"}}"#;
    let request = decode_request::<CreateKey>(body).unwrap();
    assert!(!format!("{request:?}").contains("hunter2-secret"));
    let bad = br#"{"Credentials":{"MerchantId":"","UserName":"u","Password":"hunter2-secret","Version":"v"}}"#;
    let err = decode_request::<CreateKey>(bad).unwrap_err();
    assert!(!format!("{err:?} {err}").contains("hunter2-secret"));
}

#[test]
fn tokenize_round_trips() {
    let request = TokenizeCardRequest {
        key_id: "k-1".into(),
        encrypted_card_number: "QUJD+/==".into(),
        expiration: CardExpiration::new(9, 27).unwrap(),
        encrypted_cvn: Some("REVG".into()),
        verify_card: Some(false),
    };
    let body = encode(&request);
    assert_eq!(
        body,
        br#"{"KeyId":"k-1","EncryptedCardNumber":"QUJD+/==","Expiration":"0927","EncryptedCVN":"REVG","VerifyCard":false}"#
    );
    assert_eq!(decode_request::<TokenizeCard>(&body).unwrap(), request);
    assert!(matches!(
        decode_request::<TokenizeCard>(
            br#"{"KeyId":"k","EncryptedCardNumber":"x","Expiration":"1399"}"#
        ),
        Err(DecodeError::Invalid(ProtoError::InvalidExpiration { .. }))
    ));
    assert!(matches!(
        decode_request::<TokenizeCard>(br#"{"KeyId":"k","Expiration":"0130"}"#),
        Err(DecodeError::Invalid(ProtoError::MissingField {
            field: "EncryptedCardNumber"
        }))
    ));

    let response = TokenizeCardResponse {
        card_token: Some("tok_1".into()),
        card_last4: Some("1111".into()),
        response_code: Some("00".into()),
        error_code: Some("0".into()),
        ..Default::default()
    };
    let body = encode(&response);
    assert_eq!(
        body,
        br#"{"CardToken":"tok_1","CardLast4":"1111","ResponseCode":"00","ErrorCode":"0"}"#
    );
    let policy = SuccessPolicy::default();
    assert_eq!(
        decode_response::<TokenizeCard>(200, None, &body, &policy).unwrap(),
        response
    );
    assert!(matches!(
        decode_response::<TokenizeCard>(200, None, br#"{"ErrorCode":"0"}"#, &policy),
        Err(DecodeError::Incomplete {
            field: "CardToken",
            ..
        })
    ));
}

#[test]
fn response_status_defaults() {
    assert_eq!(
        decode_error_response(b"{}").unwrap(),
        ResponseStatus::default()
    );
    assert_eq!(
        decode_error_response(br#"{"responsestatus":{"errors":null}}"#).unwrap(),
        ResponseStatus::default()
    );
    assert_eq!(
        decode_error_response(br#"{"ResponseStatus":{"Errors":[null,{}]}}"#)
            .unwrap()
            .errors
            .len(),
        1
    );
}

#[test]
fn escaped_member_names_and_nesting_limit() {
    let s = decode_body::<CreateKeySession>(br#"{"K\u0065yId":"k","Modulus":"a\/b"}"#).unwrap();
    assert_eq!(s.key_id.as_deref(), Some("k"));
    assert_eq!(s.modulus.as_deref(), Some("a/b"));
    let deep = format!("{{\"X\":{}{}}}", "[".repeat(200), "]".repeat(200));
    assert!(matches!(
        decode_body::<CreateKeySession>(deep.as_bytes()),
        Err(DecodeError::Json(_))
    ));
    let fine = format!("{{\"X\":{}{}}}", "[".repeat(100), "]".repeat(100));
    assert!(decode_body::<CreateKeySession>(fine.as_bytes()).is_ok());
    for bad in [
        r#"{"KeyId":"\ud800"}"#,
        r#"{"KeyId":"\udc00"}"#,
        "{\"KeyId\":\"a\u{1}\"}",
        r#"{"KeyId":"\x"}"#,
        "{,}",
        "{\"a\":1,}",
        "{} {}",
        "nul",
    ] {
        assert!(
            matches!(
                decode_body::<CreateKeySession>(bad.as_bytes()),
                Err(DecodeError::Json(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn escaped_invalid_date_is_quoted_unescaped() {
    match decode_body::<CreateKeySession>(&body_with_date(r#""\/Date(1+0560)\/""#)) {
        Err(DecodeError::InvalidDate { value, .. }) => assert_eq!(value, "/Date(1+0560)/"),
        other => panic!("{other:?}"),
    }
    match decode_body::<CreateKeySession>(&body_with_date(r#""\/Date(1)\/ ""#)) {
        Err(DecodeError::InvalidDate { value, .. }) => assert_eq!(value, "/Date(1)/ "),
        other => panic!("{other:?}"),
    }
    let ok = decode_body::<CreateKeySession>(&body_with_date(r#""\/\u0044ate(7)\/""#)).unwrap();
    assert_eq!(
        ok.timestamps
            .unwrap()
            .network
            .unwrap()
            .in_time
            .unwrap()
            .unix_millis(),
        7
    );
}

#[test]
fn json_errors_have_line_column_and_never_quote_the_body() {
    use paysecure_codec::{JsonError, JsonErrorKind};
    let json = |body: &[u8]| match decode_body::<CreateKeySession>(body) {
        Err(DecodeError::Json(e)) => e,
        other => panic!("{other:?}"),
    };
    // A type error inside a nested member is placed where the value starts.
    let body = b"{\n  \"KeyId\": \"k\",\n  \"Timestamps\": {\"DBInsert\": 7}\n}";
    assert_eq!(
        json(body),
        JsonError {
            line: 3,
            column: 30,
            kind: JsonErrorKind::Type
        }
    );
    assert_eq!(json(b"{\"KeyId\":\"k\"").kind, JsonErrorKind::Truncated);
    let syntax = json(b"{\"KeyId\" \"k\"}");
    assert_eq!((syntax.line, syntax.kind), (1, JsonErrorKind::Syntax));
    // serde_json's own message would quote the value ("invalid type: string \"hunter2…\"").
    let err = decode_request::<CreateKey>(
        br#"{"Credentials":{"MerchantId":"m","UserName":"u","Password":"hunter2-secret","Version":"v"},"TTLInMinutes":"hunter2-secret"}"#,
    )
    .unwrap_err();
    let shown = format!("{err} {err:?} {}", std::error::Error::source(&err).unwrap());
    assert!(!shown.contains("hunter2"), "{shown}");
}
