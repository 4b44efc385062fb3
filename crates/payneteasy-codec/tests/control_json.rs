//! The v2 `control` vectors of `testdata/vectors/payneteasy/control.json` and
//! `callback_control.json`, through the library's own operations.
//!
//! For every `requests[]` entry, the typed request of its `command` (the v2 operation of that
//! name in `for_each_operation!`) is built from `inputs` (the fields that do not enter the
//! checksum get placeholder values), its `control` is computed with `compute_control::<O>` and
//! compared with `expected`; when `expected` is null the request must be refused before
//! anything is computed. Where the PHP library disagrees (`phplib`), we follow the doc formula
//! (the vectors' `expected`). Every `callbacks[]` entry and every `callback_control.json` entry
//! goes through the callback parsers and verifier, and is refused with one hex digit changed.

use payneteasy_codec::{
    DecodeError, compute_control, encode_control_request, encode_form, parse_customer_return,
    parse_server_callback,
};
use payneteasy_proto::{
    ApiVersion, Auth, CallbackError, Checked, ControlInput, ControlKey, ControlPart, Endpoint,
    Environment, Operation, ProtoError, request_field_names, sha1_control,
};
use serde_json::{Map, Value};

fn read(name: &str) -> Value {
    let path = format!(
        "{}/../../testdata/vectors/payneteasy/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A valid value for a field that does not enter the checksum.
fn placeholder(field: &str) -> &'static str {
    match field {
        "credit_card_number" => "4111111111111111",
        "cvv2" => "123",
        "expire_month" => "12",
        "expire_year" => "2030",
        "country" => "US",
        "email" => "payer@example.com",
        "phone" | "cell_phone" => "+12025550123",
        "zip_code" => "10001",
        "ipaddress" => "127.0.0.1",
        "amount" => "1.00",
        "currency" => "USD",
        "redirect_url" | "server_callback_url" | "site_url" => "https://shop.example/return",
        _ => "placeholder",
    }
}

/// The fields that enter `O`'s control.
fn signed_fields<O: Operation>() -> Vec<&'static str> {
    let Auth::Control(parts) = O::AUTH else {
        panic!("{} is not a v2 operation", O::PATH)
    };
    parts
        .iter()
        .flat_map(|p| match *p {
            ControlPart::Field(f) => vec![f],
            ControlPart::FieldIfSent { field, if_sent } => vec![field, if_sent],
            ControlPart::AmountMinorUnits { amount, currency } => vec![amount, currency],
            _ => vec![],
        })
        .collect()
}

fn endpoint(inputs: &Value) -> Endpoint {
    match (
        inputs.get("endpoint_id").and_then(Value::as_str),
        inputs.get("endpoint_group_id").and_then(Value::as_str),
    ) {
        (Some(id), None) => Endpoint::Id(id.parse().unwrap()),
        (None, Some(group)) => Endpoint::Group(group.parse().unwrap()),
        other => panic!("endpoint {other:?}"),
    }
}

fn run<O: Operation>(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let inputs = &case["inputs"];
    let signed = signed_fields::<O>();
    let mut fields = Map::new();
    for field in request_field_names::<O>() {
        if let Some(v) = inputs.get(*field) {
            fields.insert((*field).to_owned(), v.clone());
        } else if !signed.contains(field) {
            fields.insert((*field).to_owned(), placeholder(field).into());
        }
    }
    let key = ControlKey::new(inputs["merchant_control"].as_str().unwrap()).unwrap();
    let endpoint = endpoint(inputs);
    let unchecked: <O::Request as Checked>::Fields =
        serde_json::from_value(Value::Object(fields)).unwrap();
    let built = <O::Request as Checked>::check(unchecked);

    match case["expected"].as_str() {
        Some(expected) => {
            let request = built.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                compute_control::<O>(&endpoint, &request, &key).unwrap(),
                expected,
                "{name}"
            );
            // The preimage is what is hashed.
            let preimage = case["preimage"].as_str().unwrap();
            assert_eq!(
                sha1_control(&[ControlInput::Text(preimage)], &key),
                expected,
                "{name}"
            );
            if let Some(phplib) = case.get("phplib").and_then(Value::as_str) {
                assert_ne!(phplib, expected, "{name}: a disagreement is recorded");
            }
            // The request on the wire: path, body ending with the control.
            let env = Environment::custom("http://127.0.0.1:1/paynet/api/v4").unwrap();
            let http = encode_control_request::<O>(&env, &endpoint, &request, &key).unwrap();
            let path = case["path"].as_str().unwrap();
            assert!(
                http.uri()
                    .to_string()
                    .ends_with(&format!("/paynet/api/v2/{path}")),
                "{name}: {}",
                http.uri()
            );
            let body = std::str::from_utf8(http.body()).unwrap();
            assert!(body.ends_with(&format!("&control={expected}")), "{name}");
        }
        None => match built {
            Err(ProtoError::InvalidAmount(_)) => {}
            Err(other) => panic!("{name}: refused for another reason: {other}"),
            Ok(request) => panic!(
                "{name}: accepted, control {:?}",
                compute_control::<O>(&endpoint, &request, &key)
            ),
        },
    }
}

#[test]
fn every_request_vector_through_its_operation() {
    let vectors = read("control.json");
    let requests = vectors["requests"].as_array().unwrap();
    assert!(requests.len() >= 30, "{}", requests.len());
    let mut covered = std::collections::BTreeSet::new();
    for case in requests {
        let command = case["command"].as_str().unwrap();
        let mut runs = 0;
        macro_rules! dispatch {
            ($op:ident, $name:literal) => {
                if <payneteasy_proto::$op as Operation>::VERSION == ApiVersion::V2
                    && $name == command
                {
                    run::<payneteasy_proto::$op>(case);
                    runs += 1;
                }
            };
        }
        payneteasy_proto::for_each_operation!(dispatch);
        assert_eq!(runs, 1, "{command}: one v2 operation");
        covered.insert(command.to_owned());
    }
    // Every formula of the file has a vector and an operation.
    for (command, _) in vectors["formulas"].as_object().unwrap() {
        if command != "callback" {
            assert!(covered.contains(command), "{command}");
        }
    }
}

fn flip_one_hex_digit(control: &str) -> String {
    let mut bytes = control.as_bytes().to_vec();
    bytes[17] = if bytes[17] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).unwrap()
}

fn params(case: &Value, control: &str) -> String {
    let pairs: Vec<(String, String)> = case["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, v)| {
            let v = if n == "control" {
                control
            } else {
                v.as_str().unwrap()
            };
            (n.clone(), v.to_owned())
        })
        .collect();
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (&**n, &**v)).collect();
    encode_form(&refs)
}

#[test]
fn every_callback_vector_through_the_parsers() {
    let vectors = read("control.json");
    let callbacks = vectors["callbacks"].as_array().unwrap();
    assert!(!callbacks.is_empty());
    for case in callbacks {
        let name = case["name"].as_str().unwrap();
        let key = ControlKey::new(case["inputs"]["merchant_control"].as_str().unwrap()).unwrap();
        let expected = case["expected"].as_str().unwrap();
        assert_eq!(case["params"]["control"], expected, "{name}");
        let good = params(case, expected);
        let bad = params(case, &flip_one_hex_digit(expected));
        match case["kind"].as_str().unwrap() {
            "server" => {
                let cb = parse_server_callback(&good).unwrap();
                assert_eq!(cb.verify(&key), Ok(()), "{name}");
                assert_eq!(
                    cb.client_id(),
                    case["inputs"]["client_orderid"].as_str(),
                    "{name}"
                );
                let forged = parse_server_callback(&format!("?{bad}")).unwrap();
                assert_eq!(
                    forged.verify(&key),
                    Err(CallbackError::BadControl),
                    "{name}"
                );
                assert_eq!(forged.dedup_key(), cb.dedup_key());
            }
            "customer_return" => {
                let ret = parse_customer_return(good.as_bytes()).unwrap();
                assert_eq!(ret.verify(&key), Ok(()), "{name}");
                let forged = parse_customer_return(bad.as_bytes()).unwrap();
                assert_eq!(
                    forged.verify(&key),
                    Err(CallbackError::BadControl),
                    "{name}"
                );
            }
            other => panic!("{name}: kind {other}"),
        }
    }
}

#[test]
fn callback_control_json_through_the_verifier() {
    let cases = read("callback_control.json");
    for case in cases.as_array().unwrap() {
        let s = |k: &str| case[k].as_str().unwrap();
        let key = ControlKey::new(s("merchant_control")).unwrap();
        let query = |control: &str| {
            encode_form(&[
                ("status", s("status")),
                ("orderid", s("orderid")),
                ("client_orderid", s("client_orderid")),
                ("control", control),
            ])
        };
        let cb = parse_server_callback(&query(s("control"))).unwrap();
        assert_eq!(cb.verify(&key), Ok(()));
        let forged = parse_server_callback(&query(&flip_one_hex_digit(s("control")))).unwrap();
        assert_eq!(forged.verify(&key), Err(CallbackError::BadControl));
        let ret = parse_customer_return(query(s("control")).as_bytes()).unwrap();
        assert_eq!(ret.verify(&key), Ok(()));
    }
    // A callback without a client id cannot be verified; a missing control does not parse.
    let key = ControlKey::new("k").unwrap();
    let cb = parse_server_callback("status=approved&orderid=1&control=00").unwrap();
    assert_eq!(cb.verify(&key), Err(CallbackError::MissingClientId));
    assert_eq!(
        parse_server_callback("status=approved&orderid=1").unwrap_err(),
        DecodeError::Invalid(ProtoError::MissingField("control"))
    );
}
