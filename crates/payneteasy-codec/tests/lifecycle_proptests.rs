//! Property tests of the lifecycle commands: amount conversion with the ISO 4217 table, and
//! for every operation of `for_each_operation!` a request encode → decode round trip (form
//! body, server side) and a response encode → decode round trip (form, and JSON with
//! `serde_json`).

use std::collections::HashSet;

use payneteasy_codec::{
    DecodeLimits, decode_request, decode_response_parts, encode_request_body, encode_response,
    encode_response_body,
};
use payneteasy_proto::{
    AmountError, Checked, ISO_4217, Operation, ProtoError, amount_minor_units, field_limit,
    format_minor_units, request_field_names,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const HTML: Option<&str> = Some("text/html;charset=utf-8");

/// A currency with minor units and a decimal amount in it: `(code, exponent, units, fraction)`
/// with at most 10 digits in all.
fn currency_amount() -> impl Strategy<Value = (&'static str, u8, u64, String)> {
    let with_units: Vec<(&'static str, u8)> = ISO_4217
        .iter()
        .filter_map(|(c, e)| e.map(|e| (*c, e)))
        .collect();
    proptest::sample::select(with_units).prop_flat_map(|(code, exponent)| {
        let e = usize::from(exponent);
        (0..=e).prop_flat_map(move |fraction_len| {
            let max_units_digits = 10 - fraction_len;
            (
                Just(code),
                Just(exponent),
                0..10u64.pow(max_units_digits as u32),
                proptest::string::string_regex(&format!("[0-9]{{{fraction_len}}}")).unwrap(),
            )
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Every decimal with up to the exponent's fraction digits converts exactly to minor units
    /// and back; one more fraction digit is a typed error.
    #[test]
    fn amounts_round_trip_through_minor_units((code, exponent, units, fraction) in currency_amount()) {
        let text = if fraction.is_empty() { units.to_string() } else { format!("{units}.{fraction}") };
        let minor = amount_minor_units(&text, code).unwrap();
        let scale = 10u64.pow(u32::from(exponent));
        let fraction_value = if fraction.is_empty() {
            0
        } else {
            fraction.parse::<u64>().unwrap() * 10u64.pow(u32::from(exponent) - fraction.len() as u32)
        };
        prop_assert_eq!(minor, units * scale + fraction_value);
        // Back to text: the same decimal with every fraction digit written.
        let back = format_minor_units(minor, exponent);
        let e = usize::from(exponent);
        let padded = if e == 0 { units.to_string() } else { format!("{units}.{fraction:0<e$}") };
        prop_assert_eq!(&back, &padded);
        if back.len() - usize::from(e > 0) <= 10 {
            prop_assert_eq!(amount_minor_units(&back, code), Ok(minor));
        }
        // One fraction digit more than the currency has.
        let too_precise = format!("{units}.{}", "1".repeat(e + 1));
        if units.to_string().len() + e < 10 {
            prop_assert_eq!(
                amount_minor_units(&too_precise, code),
                Err(ProtoError::InvalidAmount(AmountError::TooManyFractionDigits {
                    found: e + 1,
                    exponent,
                }))
            );
        }
    }
}

/// A valid value for request field `name`, or text within its limit.
fn field_value(name: &'static str) -> BoxedStrategy<String> {
    match name {
        "credit_card_number" => "[0-9]{12,19}".boxed(),
        "cvv2" => "[0-9]{3,4}".boxed(),
        "currency" => Just("USD".to_owned()).boxed(),
        "amount" => "[0-9]{1,8}(\\.[0-9]{1,2})?".boxed(),
        "expire_month" => "(0[1-9]|1[0-2])".boxed(),
        "expire_year" => "20[0-9]{2}".boxed(),
        "country" => "[A-Z]{2}".boxed(),
        _ => {
            let max = field_limit(name).min(24);
            // \PC: no control or format characters; `& = + %` and non-ASCII included.
            proptest::string::string_regex(&format!("(\\PC|[&=+%~ ]){{1,{max}}}"))
                .unwrap()
                .boxed()
        }
    }
}

/// For operation `O`: random fields (every field, then some left out where the request stays
/// valid), encoded as a form body and decoded server side, equal to what was sent.
fn request_round_trip<O: Operation>(runner: &mut TestRunner)
where
    O::Request: PartialEq + std::fmt::Debug,
{
    let names = request_field_names::<O>();
    let values: Vec<BoxedStrategy<String>> = names.iter().map(|n| field_value(n)).collect();
    let strategy = (
        values,
        proptest::collection::vec(any::<bool>(), names.len()),
    );
    runner
        .run(&strategy, |(values, drop)| {
            let mut map: Map<String, Value> = names
                .iter()
                .zip(values)
                .map(|(n, v)| ((*n).to_owned(), Value::String(v)))
                .collect();
            let build = |map: &Map<String, Value>| {
                serde_json::from_value::<<O::Request as Checked>::Fields>(Value::Object(
                    map.clone(),
                ))
                .ok()
                .and_then(|f| <O::Request as Checked>::check(f).ok())
            };
            let Some(mut request) = build(&map) else {
                return Err(TestCaseError::fail(format!(
                    "{}: a generated request is refused: {:?}",
                    O::PATH,
                    serde_json::from_value::<<O::Request as Checked>::Fields>(Value::Object(
                        map.clone()
                    ))
                    .map(<O::Request as Checked>::check)
                )));
            };
            for (name, drop) in names.iter().zip(drop) {
                if drop {
                    let value = map.remove(*name);
                    match build(&map) {
                        Some(smaller) => request = smaller,
                        None => {
                            map.insert((*name).to_owned(), value.unwrap());
                        }
                    }
                }
            }
            let body = encode_request_body::<O>(&request).unwrap();
            let back =
                decode_request::<O>(FORM, body.as_bytes(), &DecodeLimits::default()).unwrap();
            prop_assert_eq!(&back, &request, "{}", O::PATH);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{} v{:?}: {e}", O::PATH, O::VERSION));
}

/// Response field names worth generating (the modelled ones of every response type), plus
/// random ones.
const RESPONSE_NAMES: &[&str] = &[
    "status",
    "paynet-order-id",
    "merchant-order-id",
    "serial-number",
    "end-point-id",
    "error-message",
    "error-code",
    "redirect-url",
    "card-ref-id",
    "unq-card-ref-id",
    "recurring-payment-id",
    "amount",
    "currency",
    "last-four-digits",
    "bin",
    "html",
    "redirect-to",
    "transaction-type",
    "card-printed-name",
    "expire-year",
    "expire-month",
    "result-3d",
    "cardholder-name",
    "card-exp-month",
    "card-exp-year",
    "card-hash-id",
    "card-type",
    "phone",
    "email",
    "ephemeralTicket",
];

fn response_fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        3 => proptest::sample::select(RESPONSE_NAMES).prop_map(str::to_owned),
        1 => "[a-z][a-z-]{0,10}",
    ];
    let value = prop_oneof![any::<String>(), "[a-z0-9&=+%\n ~-]{0,12}"];
    proptest::collection::vec((name, value), 0..16).prop_map(|pairs| {
        let mut seen = HashSet::new();
        let mut out: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(n, _)| n != "type" && seen.insert(n.clone()))
            .collect();
        for required in ["status", "ephemeralTicket"] {
            if !out.iter().any(|(n, _)| n == required) {
                out.push((required.to_owned(), "approved".to_owned()));
            }
        }
        out
    })
}

/// For operation `O`: a success body (its type, random fields) decodes, re-encodes and decodes
/// equal (form); the typed response survives a JSON round trip.
fn response_round_trip<O: Operation>(runner: &mut TestRunner)
where
    O::Response: PartialEq + std::fmt::Debug,
{
    runner
        .run(&response_fields(), |mut fields| {
            let ty = O::SUCCESS_TYPE;
            let limits = DecodeLimits::default();
            let typed = !ty.as_str().is_empty();
            if typed {
                fields.insert(0, ("type".to_owned(), ty.as_str().to_owned()));
            }
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let body = encode_response_body(&refs);
            let response: O::Response = if typed {
                decode_response_parts::<O>(200, HTML, body.as_bytes(), &limits)
                    .map_err(|e| TestCaseError::fail(format!("{}: {e}", O::PATH)))?
            } else {
                // JSON only and without `type` (the ephemeral ticket).
                let object: Map<String, Value> = fields
                    .iter()
                    .map(|(n, v)| (n.clone(), Value::String(v.clone())))
                    .collect();
                serde_json::from_value(Value::Object(object)).unwrap()
            };
            if typed {
                let again = encode_response::<O>(&response).unwrap();
                let back = decode_response_parts::<O>(200, HTML, again.as_bytes(), &limits)
                    .map_err(|e| TestCaseError::fail(format!("{}: {e}", O::PATH)))?;
                prop_assert_eq!(&back, &response, "{}", O::PATH);
            }
            let json = serde_json::to_string(&response).unwrap();
            let back: O::Response = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &response, "{} (JSON)", O::PATH);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{} v{:?}: {e}", O::PATH, O::VERSION));
}

#[test]
fn every_request_round_trips() {
    let mut runner = TestRunner::new(Config::with_cases(96));
    let mut count = 0;
    macro_rules! each {
        ($op:ident, $name:literal) => {
            request_round_trip::<payneteasy_proto::$op>(&mut runner);
            count += 1;
        };
    }
    payneteasy_proto::for_each_operation!(each);
    assert_eq!(count, 20);
}

#[test]
fn every_response_round_trips() {
    let mut runner = TestRunner::new(Config::with_cases(96));
    macro_rules! each {
        ($op:ident, $name:literal) => {
            response_round_trip::<payneteasy_proto::$op>(&mut runner);
        };
    }
    payneteasy_proto::for_each_operation!(each);
}
