//! Every case of `testdata/vectors/payneteasy/responses.json`, each expectation asserted.

use payneteasy_codec::to_fields;
use payneteasy_codec::{DecodeError, DecodeLimits, GatewayErrorKind, decode_response_parts};
use payneteasy_proto::CreateCardRef;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/payneteasy/responses.json"
    ))
    .expect("testdata/vectors is in the repository");
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    v.as_array().expect("an array").clone()
}

#[test]
fn every_response_vector() {
    let cases = cases();
    assert!(cases.len() >= 9, "expected the full vector set");
    let limits = DecodeLimits::default();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let status = u16::try_from(case["http_status"].as_u64().unwrap()).unwrap();
        let content_type = case["content_type"].as_str();
        let body = case["body"].as_str().unwrap();
        let expect = case["expect"].as_object().unwrap();
        let kind = expect["kind"].as_str().unwrap();
        let result =
            decode_response_parts::<CreateCardRef>(status, content_type, body.as_bytes(), &limits);
        let mut checked = 1; // kind
        match kind {
            "create-card-ref-response" => {
                let r = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert_eq!(r.response_type.as_str(), kind, "{name}");
                let form = to_fields(&r).unwrap();
                for (key, want) in expect {
                    match key.as_str() {
                        "kind" => continue,
                        "final" => {
                            assert_eq!(r.status.is_final(), want.as_bool().unwrap(), "{name}");
                        }
                        "status" => assert_eq!(r.status.as_str(), want.as_str().unwrap()),
                        field => {
                            let got = form
                                .iter()
                                .find(|(n, _)| n == field)
                                .map(|(_, v)| v.as_str());
                            assert_eq!(got, want.as_str(), "{name}: {field}");
                        }
                    }
                    checked += 1;
                }
            }
            "validation-error" | "error" => {
                let err = result.expect_err(name);
                let g = err
                    .gateway_error()
                    .unwrap_or_else(|| panic!("{name}: {err:?}"));
                let want_kind = if kind == "error" {
                    GatewayErrorKind::Error
                } else {
                    GatewayErrorKind::ValidationError
                };
                assert_eq!(g.kind, want_kind, "{name}");
                assert!(g.serial_number.is_some(), "{name}");
                for (key, want) in expect {
                    let got = match key.as_str() {
                        "kind" => continue,
                        "error-code" => g.code.as_deref(),
                        "error-message" => g.message.as_deref(),
                        other => panic!("{name}: unhandled expectation {other}"),
                    };
                    assert_eq!(got, want.as_str(), "{name}: {key}");
                    checked += 1;
                }
            }
            "authentication-failed" => {
                let err = result.expect_err(name);
                let DecodeError::AuthenticationRefused {
                    status: got_status,
                    excerpt,
                } = &err
                else {
                    panic!("{name}: {err:?}");
                };
                assert_eq!(*got_status, status, "{name}");
                assert!(excerpt.chars().count() <= limits.max_excerpt_chars + 1);
                assert!(
                    !excerpt.contains('<') && !excerpt.contains('\n'),
                    "{excerpt}"
                );
                for (key, want) in expect {
                    match key.as_str() {
                        "kind" => continue,
                        "excerpt_contains" => {
                            assert!(
                                excerpt.contains(want.as_str().unwrap()),
                                "{name}: {excerpt}"
                            );
                        }
                        other => panic!("{name}: unhandled expectation {other}"),
                    }
                    checked += 1;
                }
            }
            other => panic!("{name}: unknown expected kind {other}"),
        }
        assert_eq!(
            checked,
            expect.len(),
            "{name}: every expectation was checked"
        );
    }
}

#[test]
fn seed_success_is_fully_decoded() {
    let cases = cases();
    let seed = cases.iter().find(|c| c["name"] == "seed_success").unwrap();
    let body = seed["body"].as_str().unwrap();
    assert_eq!(body.len(), 174, "the seed's Content-Length");
    let r = decode_response_parts::<CreateCardRef>(
        200,
        Some("text/html;charset=utf-8"),
        body.as_bytes(),
        &DecodeLimits::default(),
    )
    .unwrap();
    assert_eq!(
        r.serial_number.as_deref(),
        Some("00000000-0000-0000-0000-000002de3113")
    );
    assert_eq!(r.card_ref_id.as_deref(), Some("1461608"));
    assert_eq!(r.recurring_payment_id.as_deref(), Some("1491863"));
    assert_eq!(r.dst_card_ref_id.as_deref(), Some("1461608"));
    assert_eq!(r.unq_card_ref_id, None);
    assert!(r.extra.is_empty());
    // The encoder writes the gateway's exact bytes back.
    assert_eq!(
        payneteasy_codec::encode_response::<CreateCardRef>(&r).unwrap(),
        body
    );
}
