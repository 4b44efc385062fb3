//! Property tests: encoding round trips, normalization invariants, sign/verify, tamper
//! detection, parser robustness, replay and staleness, redaction.

mod common;

use oauth1_signer::{
    AuthorizationHeader, HmacKey, MemoryNonceStore, OAuthParams, PlaintextKey, Request, RequestUrl,
    SigningKey, VerifyError, VerifyPolicy, VerifyingKey, form_urlencode, normalize_parameters,
    percent_decode, percent_encode, sign, verify,
};
use proptest::prelude::*;

const FORM: &str = "application/x-www-form-urlencoded";

/// Renders a header from (name, decoded value) pairs, the way a sender would.
fn render_header(pairs: &[(String, Vec<u8>)]) -> String {
    let params: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{n}=\"{}\"", percent_encode(v)))
        .collect();
    format!("OAuth {}", params.join(", "))
}

fn header_pairs(header: &AuthorizationHeader) -> Vec<(String, Vec<u8>)> {
    header
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_vec()))
        .collect()
}

/// A plain-text parameter name or value with the characters that cause trouble.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 +%&=~!*'()/?#é\u{1F980}_.-]{0,12}").unwrap()
}

fn name() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 +%&=~!*_.-]{1,8}")
        .unwrap()
        .prop_filter("not a protocol parameter", |n| !n.starts_with("oauth_"))
}

#[derive(Debug, Clone)]
struct Case {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Vec<(String, String)>,
    consumer_key: String,
    nonce: String,
    timestamp: u64,
    token: Option<String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["GET", "POST", "put", "DELETE"]),
        proptest::string::string_regex("(/[a-zA-Z0-9%._~-]{0,6}){0,3}").unwrap(),
        prop::collection::vec((name(), text()), 0..4),
        prop::collection::vec((name(), text()), 0..4),
        "[a-zA-Z0-9]{1,12}",
        "[a-zA-Z0-9]{1,32}",
        1u64..4_000_000_000,
        proptest::option::of("[a-zA-Z0-9]{1,10}"),
    )
        .prop_map(
            |(method, path, query, body, consumer_key, nonce, timestamp, token)| Case {
                method: method.to_owned(),
                path: path.replace('%', "%25"),
                query,
                body,
                consumer_key,
                nonce,
                timestamp,
                token,
            },
        )
}

impl Case {
    fn url(&self) -> String {
        let query = form_urlencode(self.query.iter().map(|(n, v)| (n, v)));
        if query.is_empty() {
            format!("https://api.example.com{}", self.path)
        } else {
            format!("https://api.example.com{}?{query}", self.path)
        }
    }

    fn body(&self) -> String {
        form_urlencode(self.body.iter().map(|(n, v)| (n, v)))
    }

    fn params(&self) -> OAuthParams<'_> {
        OAuthParams {
            token: self.token.as_deref(),
            ..OAuthParams::new(&self.consumer_key, &self.nonce, self.timestamp)
        }
    }
}

/// Signs `case` with `key`, and checks that the request verifies and that every single change
/// makes verification fail.
fn sign_verify_and_tamper(case: &Case, signer: &dyn SigningKey, verifier: &dyn VerifyingKey) {
    let url = case.url();
    let body = case.body();
    let request = Request::new(&case.method, RequestUrl::parse(&url).unwrap())
        .with_body(Some(FORM), body.as_bytes());
    let signed = sign(&request, &case.params(), signer).unwrap();
    let header = AuthorizationHeader::parse(signed.authorization()).unwrap();
    let policy = VerifyPolicy::new(case.timestamp, 0);
    let verified = verify(&request, &header, verifier, &policy).unwrap();
    assert_eq!(verified.base_string, signed.base_string);
    assert_eq!(verified.consumer_key, case.consumer_key);
    assert_eq!(verified.token, case.token);

    let fails = |request: &Request<'_>, header: &AuthorizationHeader, what: &str| {
        let result = verify(request, header, verifier, &VerifyPolicy::signature_only());
        assert!(result.is_err(), "{what} still verifies");
    };

    // Method.
    let other_method = if case.method.eq_ignore_ascii_case("PATCH") {
        "HEAD"
    } else {
        "PATCH"
    };
    fails(
        &Request::new(other_method, *request.url()).with_body(Some(FORM), body.as_bytes()),
        &header,
        "method",
    );
    // URL: host, path, scheme, port, query.
    for changed in [
        url.replacen("api.example.com", "api.example.org", 1),
        url.replacen("api.example.com", "api.example.com/x", 1),
        url.replacen("https://", "http://", 1),
        url.replacen("api.example.com", "api.example.com:8443", 1),
        if url.contains('?') {
            format!("{url}&q=1")
        } else {
            format!("{url}?q=1")
        },
    ] {
        let request = Request::new(&case.method, RequestUrl::parse(&changed).unwrap())
            .with_body(Some(FORM), body.as_bytes());
        fails(&request, &header, &changed);
    }
    // Body: one more pair, one pair changed, or dropped.
    let more = if body.is_empty() {
        "z=1".to_owned()
    } else {
        format!("{body}&z=1")
    };
    fails(
        &Request::new(&case.method, *request.url()).with_body(Some(FORM), more.as_bytes()),
        &header,
        "body+",
    );
    if !case.body.is_empty() {
        let mut pairs = case.body.clone();
        pairs[0].1.push('x');
        let changed = form_urlencode(pairs.iter().map(|(n, v)| (n, v)));
        fails(
            &Request::new(&case.method, *request.url()).with_body(Some(FORM), changed.as_bytes()),
            &header,
            "body value",
        );
        fails(
            &Request::new(&case.method, *request.url()),
            &header,
            "body dropped",
        );
    }
    // Every header parameter changed in turn.
    let pairs = header_pairs(&header);
    for i in 0..pairs.len() {
        let mut changed = pairs.clone();
        if changed[i].0 == "oauth_signature" {
            changed[i].1[0] = if changed[i].1[0] == b'A' { b'B' } else { b'A' };
        } else {
            changed[i].1.push(b'1');
        }
        let changed = AuthorizationHeader::parse(&render_header(&changed)).unwrap();
        fails(
            &request,
            &changed,
            &format!("header parameter {}", pairs[i].0),
        );
    }
}

proptest! {
    #[test]
    fn percent_encoding_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let encoded = percent_encode(&bytes);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%ABCDEF".contains(&b)));
        let decoded = percent_decode(encoded.as_bytes()).unwrap();
        prop_assert_eq!(decoded.as_ref(), bytes.as_slice());
    }

    #[test]
    fn form_encoding_round_trips(pairs in prop::collection::vec((text(), text()), 0..6)) {
        let body = form_urlencode(pairs.iter().map(|(n, v)| (n, v)));
        let decoded = oauth1_signer::parse_form(body.as_bytes());
        let expected = pairs;
        prop_assert_eq!(decoded.len(), expected.len());
        for ((n, v), (en, ev)) in decoded.iter().zip(&expected) {
            prop_assert_eq!(n.as_ref(), en.as_bytes());
            prop_assert_eq!(v.as_ref(), ev.as_bytes());
        }
    }

    #[test]
    fn normalization_ignores_order_and_keeps_duplicates(
        (pairs, shuffled) in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..6), prop::collection::vec(any::<u8>(), 0..6)),
            0..10,
        ).prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        dup in any::<prop::sample::Index>(),
    ) {
        let normalized = normalize_parameters(&pairs);
        prop_assert_eq!(&normalize_parameters(&shuffled), &normalized);
        let count = if pairs.is_empty() { 0 } else { normalized.matches('&').count() + 1 };
        prop_assert_eq!(count, pairs.len());
        if !pairs.is_empty() {
            let mut with_dup = pairs.clone();
            with_dup.push(pairs[dup.index(pairs.len())].clone());
            let again = normalize_parameters(&with_dup);
            prop_assert_eq!(again.matches('&').count() + 1, pairs.len() + 1);
        }
        // Sorted by encoded name, then encoded value.
        let mut encoded: Vec<(String, String)> = pairs.iter().map(|(n, v)| (percent_encode(n), percent_encode(v))).collect();
        encoded.sort();
        let joined: Vec<String> = encoded.iter().map(|(n, v)| format!("{n}={v}")).collect();
        prop_assert_eq!(normalized, joined.join("&"));
    }

    #[test]
    fn hmac_sign_then_verify_and_any_change_fails(case in case(), secret in "[ -~]{0,16}", sha256 in any::<bool>()) {
        let key = if sha256 { HmacKey::sha256(&secret, "token secret") } else { HmacKey::new(&secret, "") };
        sign_verify_and_tamper(&case, &key, &key);
    }

    #[test]
    fn plaintext_sign_then_verify(case in case(), secret in "[ -~]{1,16}") {
        let key = PlaintextKey::new(&secret, "ts");
        let url = case.url();
        let body = case.body();
        let request = Request::new(&case.method, RequestUrl::parse(&url).unwrap()).with_body(Some(FORM), body.as_bytes());
        let signed = sign(&request, &case.params(), &key).unwrap();
        let header = AuthorizationHeader::parse(signed.authorization()).unwrap();
        verify(&request, &header, &key, &VerifyPolicy::signature_only()).unwrap();
        let wrong = PlaintextKey::new(&format!("{secret}x"), "ts");
        let is_mismatch = matches!(verify(&request, &header, &wrong, &VerifyPolicy::signature_only()), Err(VerifyError::SignatureMismatch { .. }));
        prop_assert!(is_mismatch);
    }

    #[test]
    fn header_parser_never_panics(input in any::<String>()) {
        if let Ok(header) = AuthorizationHeader::parse(&input) {
            prop_assert_eq!(AuthorizationHeader::parse(&header.to_string()).unwrap(), header);
        }
    }

    #[test]
    fn header_parser_never_panics_on_near_misses(input in "(OAuth|oauth|Basic)?[ \t]{0,2}([a-z_]{0,6}[ ]?=?[ ]?\"?[a-zA-Z0-9%\\\\ ]{0,5}\"?[ ]?,?[ ]?){0,4}") {
        if let Ok(header) = AuthorizationHeader::parse(&input) {
            prop_assert_eq!(AuthorizationHeader::parse(&header.to_string()).unwrap(), header);
        }
    }

    #[test]
    fn stale_timestamps_are_refused(timestamp in 1u64..10_000, now in 0u64..10_000, skew in 0u64..5_000) {
        let key = HmacKey::new("cs", "");
        let url = RequestUrl::parse("https://example.com/r").unwrap();
        let request = Request::new("GET", url);
        let signed = sign(&request, &OAuthParams::new("ck", "n", timestamp), &key).unwrap();
        let header = AuthorizationHeader::parse(signed.authorization()).unwrap();
        let result = verify(&request, &header, &key, &VerifyPolicy::new(now, skew));
        if timestamp.abs_diff(now) > skew {
            let is_stale = matches!(result, Err(VerifyError::StaleTimestamp { .. }));
            prop_assert!(is_stale);
        } else {
            prop_assert!(result.is_ok());
        }
    }

    #[test]
    fn replayed_nonces_are_refused(nonces in prop::collection::vec("[a-z]{1,3}", 1..12)) {
        let key = HmacKey::new("cs", "");
        let store = MemoryNonceStore::new(600, 1000);
        let url = RequestUrl::parse("https://example.com/r").unwrap();
        let request = Request::new("GET", url);
        let policy = VerifyPolicy::new(1_000_000, 300).with_nonce_store(&store);
        let mut seen = std::collections::HashSet::new();
        for nonce in &nonces {
            let signed = sign(&request, &OAuthParams::new("ck", nonce, 1_000_000), &key).unwrap();
            let header = AuthorizationHeader::parse(signed.authorization()).unwrap();
            let result = verify(&request, &header, &key, &policy);
            if seen.insert(nonce.clone()) {
                prop_assert!(result.is_ok());
            } else {
                let replayed = matches!(result, Err(VerifyError::ReplayedNonce));
                prop_assert!(replayed);
            }
        }
    }

    #[test]
    fn hmac_and_plaintext_debug_never_show_the_secret(secret in "[a-zA-Z0-9]{6,24}", token in "[a-zA-Z0-9]{6,24}") {
        let debug = format!("{:?} {:?} {:?}", HmacKey::new(&secret, &token), HmacKey::sha256(&secret, &token), PlaintextKey::new(&secret, &token));
        prop_assert!(!debug.contains(&secret));
        prop_assert!(!debug.contains(&token));
    }
}

#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
mod rsa_cases {
    use super::*;
    use oauth1_signer::RsaPrivateKey;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

        #[test]
        fn rsa_sign_then_verify_and_any_change_fails(case in case()) {
            let pem = common::read_vector("keys/rsa2048-pkcs8.pem");
            for backend in common::backends_for(2048) {
                let key = RsaPrivateKey::from_pem_with(backend, &pem).unwrap();
                sign_verify_and_tamper(&case, &key, &key.public_key());
            }
        }
    }
}
