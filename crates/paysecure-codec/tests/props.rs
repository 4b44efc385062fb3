//! Property tests: date round trips over the whole .NET range, response round trips with
//! arbitrary text, and decoders that never panic.

use paysecure_codec::{decode_body, encode, fuzzing};
use paysecure_proto::{CreateKeySession, InOutTimes, Timestamps, WcfDate, WcfOffset};
use proptest::prelude::*;

fn offset() -> impl Strategy<Value = Option<WcfOffset>> {
    prop_oneof![
        Just(None),
        Just(Some(WcfOffset::UNSPECIFIED)),
        Just(Some(WcfOffset::PLUS_ZERO)),
        (any::<bool>(), 0u8..=14, 0u8..=59).prop_filter_map("at most 14:00", |(neg, h, m)| {
            WcfOffset::new(neg, h, m).ok().map(Some)
        }),
    ]
}

fn date() -> impl Strategy<Value = WcfDate> {
    let millis = prop_oneof![
        WcfDate::MIN_MS..=WcfDate::MAX_MS,
        Just(WcfDate::MIN_MS),
        Just(WcfDate::MAX_MS),
        Just(WcfDate::DOTNET_MIN_MS),
        Just(WcfDate::DOTNET_MAX_MS),
        -1000i64..=1000,
    ];
    (millis, offset()).prop_map(|(ms, o)| WcfDate::new(ms, o).unwrap())
}

fn times() -> impl Strategy<Value = Option<InOutTimes>> {
    proptest::option::of((proptest::option::of(date()), proptest::option::of(date())))
        .prop_map(|t| t.map(|(in_time, out_time)| InOutTimes { in_time, out_time }))
}

fn timestamps() -> impl Strategy<Value = Option<Timestamps>> {
    // A vector, not an 11-tuple: the tuple's strategy overflows a debug test thread's stack.
    proptest::option::of(proptest::collection::vec(times(), 11)).prop_map(|stages| {
        stages.map(|s| Timestamps {
            app_layer: s[0],
            parent_lookup: s[1],
            retry_lookup: s[2],
            get_card_data: s[3],
            card_tokenize: s[4],
            card_encrypt: s[5],
            db_insert: s[6],
            backend_process: s[7],
            db_update: s[8],
            parent_update: s[9],
            network: s[10],
        })
    })
}

fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        any::<String>(),
        "[\"\\\\/\\x00-\\x1fa-z\u{e9}\u{1F600}]{0,12}",
        Just("\\/Date(0)\\/".to_owned()),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn date_display_parse_round_trip(d in date()) {
        let shown = d.to_string();
        prop_assert_eq!(WcfDate::parse(&shown).unwrap(), d);
        fuzzing::date(shown.as_bytes());
    }

    #[test]
    fn date_system_time_round_trip(d in date()) {
        let t = d.to_system_time().unwrap();
        prop_assert_eq!(WcfDate::from_system_time(t).unwrap().unix_millis(), d.unix_millis());
    }

    #[test]
    fn date_parse_never_panics(s in "\\PC{0,40}", t in "/Date\\(-?[0-9]{0,22}([+-][0-9]{0,5})?\\)/") {
        let _ = WcfDate::parse(&s);
        fuzzing::date(s.as_bytes());
        fuzzing::date(t.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn response_round_trip(
        key_id in text(), modulus in text(), exponent in text(), error_message in text(), error_code in text(),
        timestamps in timestamps(),
    ) {
        let session = CreateKeySession { key_id, modulus, exponent, error_message, error_code, timestamps };
        let body = encode(&session);
        prop_assert!(std::str::from_utf8(&body).is_ok());
        prop_assert_eq!(decode_body::<CreateKeySession>(&body).unwrap(), session);
        fuzzing::response(&body);
    }

    #[test]
    fn decoders_never_panic_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzzing::response(&data);
    }

    #[test]
    fn decoders_never_panic_on_json_like_text(
        data in "[{}\\[\\]\":,\\\\/ a-zA-Z0-9.+-]{0,200}",
        prefix in prop_oneof![Just(""), Just("{\"Timestamps\":{\"AppLayer\":{\"InTime\":"), Just("{\"ResponseStatus\":")],
    ) {
        let body = format!("{prefix}{data}");
        fuzzing::response(body.as_bytes());
    }
}

/// Any JSON value, as text.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(|v| v.to_string())
}

/// A string written with every character as a `\uXXXX` escape (surrogate pairs above U+FFFF).
fn all_escaped(s: &str) -> String {
    let mut out = String::from("\"");
    for unit in s.encode_utf16() {
        out.push_str(&format!("\\u{unit:04X}"));
    }
    out.push('"');
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The reader accepts exactly what serde_json accepts, for unknown members of any shape.
    #[test]
    fn reader_agrees_with_serde_json(
        value in prop_oneof![json_value(), "[\\[\\]{}\":,0-9eE.+\\- tfrueanl\\\\u]{0,40}"],
    ) {
        let body = format!("{{\"Unknown\":{value},\"KeyId\":\"k\"}}");
        let ours = decode_body::<CreateKeySession>(body.as_bytes());
        let theirs = serde_json::from_str::<serde_json::Value>(&body);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{} ours={:?} theirs={:?}", body, ours, theirs);
        if let Ok(session) = ours {
            prop_assert_eq!(session.key_id.as_deref(), Some("k"));
        }
    }

    /// Strings decode the same whatever escapes the sender chose.
    #[test]
    fn escaped_strings_decode(s in any::<String>()) {
        for json in [all_escaped(&s), serde_json::to_string(&s).unwrap()] {
            let body = format!("{{\"ErrorMessage\":{json}}}");
            let session = decode_body::<CreateKeySession>(body.as_bytes()).unwrap();
            prop_assert_eq!(session.error_message.as_deref(), Some(s.as_str()));
        }
    }
}

/// Changes the case of every member name as `upper` says (cycled), recursively.
fn vary_case(value: &mut serde_json::Value, upper: &[bool], at: &mut usize) {
    match value {
        serde_json::Value::Object(map) => {
            let members: Vec<_> = std::mem::take(map).into_iter().collect();
            for (name, mut member) in members {
                vary_case(&mut member, upper, at);
                let flip = upper
                    .get(*at % upper.len().max(1))
                    .copied()
                    .unwrap_or(false);
                *at += 1;
                let name = if flip {
                    name.to_ascii_uppercase()
                } else {
                    name.to_ascii_lowercase()
                };
                map.insert(name, member);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                vary_case(item, upper, at);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// What a ServiceStack server may send instead of our exact bytes: member names in any
    /// case, unknown members of any shape, explicit nulls. It decodes to the same value.
    #[test]
    fn round_trip_with_varied_case_unknowns_and_nulls(
        key_id in text(), modulus in text(), error_code in text(),
        timestamps in timestamps(),
        upper in proptest::collection::vec(any::<bool>(), 1..16),
        unknown in json_value(),
    ) {
        let session = CreateKeySession {
            key_id, modulus, exponent: None, error_message: None, error_code, timestamps,
        };
        let mut value: serde_json::Value = serde_json::from_slice(&encode(&session)).unwrap();
        vary_case(&mut value, &upper, &mut 0);
        let map = value.as_object_mut().unwrap();
        map.insert("Exponent".into(), serde_json::Value::Null);
        map.insert("errorMESSAGE".into(), serde_json::Value::Null);
        map.insert("SomethingNew".into(), serde_json::from_str(&unknown).unwrap());
        let body = serde_json::to_vec(&value).unwrap();
        prop_assert_eq!(decode_body::<CreateKeySession>(&body).unwrap(), session);
    }
}
