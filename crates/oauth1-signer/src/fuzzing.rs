//! Fuzz harnesses (feature `fuzzing`). Each takes arbitrary bytes, never panics on its own, and
//! panics only when an invariant is broken. The targets in `fuzz/fuzz_targets/` call these.

use base64::Engine as _;

use crate::{
    AuthorizationHeader, HmacKey, OAuthParams, Request, RequestUrl, SigningKey, VerifyPolicy,
    normalize_parameters, percent_decode, percent_encode, sign, verify,
};

/// Header parser: parsing never panics; whatever parses re-renders to a header that parses to
/// the same value.
pub fn header(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = AuthorizationHeader::parse(text) {
        let rendered = parsed.to_string();
        match AuthorizationHeader::parse(&rendered) {
            Ok(again) => assert_eq!(
                again, parsed,
                "re-rendered header parses differently: {rendered:?}"
            ),
            Err(e) => panic!("re-rendered header does not parse: {rendered:?}: {e}"),
        }
    }
}

/// Parameter collection: query and form body from arbitrary bytes never panic; normalization does
/// not depend on input order and keeps every pair; §3.6 encoding round-trips.
pub fn params(data: &[u8]) {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (query, body) = data.split_at(split);
    assert_eq!(
        percent_decode(percent_encode(body).as_bytes())
            .ok()
            .as_deref(),
        Some(body)
    );

    let query: String = query
        .iter()
        .filter(|b| (0x21..=0x7e).contains(*b) && **b != b'#')
        .map(|&b| char::from(b))
        .collect();
    let url = format!("https://example.com/p?{query}");
    let Ok(url) = RequestUrl::parse(&url) else {
        return;
    };
    let request =
        Request::new("POST", url).with_body(Some("application/x-www-form-urlencoded"), body);
    let pairs = request.parameters();
    let forward = normalize_parameters(&pairs);
    let mut reversed = pairs.clone();
    reversed.reverse();
    assert_eq!(
        normalize_parameters(&reversed),
        forward,
        "normalization depends on order"
    );
    // Encoded names and values never contain a raw '&', so the separators count the pairs.
    let joined = if pairs.is_empty() {
        0
    } else {
        forward.matches('&').count() + 1
    };
    assert_eq!(joined, pairs.len(), "a pair was lost or invented");
}

const CONSUMER_SECRET: &str = "fuzz-consumer-secret";

/// Verification against a fixed HMAC-SHA1 key: an arbitrary header and body never panic and
/// never verify unless the signature really is the HMAC of the computed base string; a request
/// signed from the same bytes verifies, and any change of its body makes it fail.
pub fn verify_request(data: &[u8]) {
    let key = HmacKey::new(CONSUMER_SECRET, "");
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let url = RequestUrl::parse("https://api.example.com/v1/pay?x=1")
        .unwrap_or_else(|e| panic!("fixed URL: {e}"));
    let request =
        Request::new("POST", url).with_body(Some("application/x-www-form-urlencoded"), body);
    let policy = VerifyPolicy::signature_only();

    // 1. Arbitrary header against the fixed key.
    let accepted = std::str::from_utf8(head)
        .ok()
        .and_then(|text| AuthorizationHeader::parse(text).ok())
        .and_then(|header| {
            verify(&request, &header, &key, &policy)
                .ok()
                .map(|verified| (header, verified))
        });
    if let Some((header, verified)) = accepted {
        let expected = key
            .sign(verified.base_string.as_bytes())
            .unwrap_or_default();
        let sent = header
            .get_bytes("oauth_signature")
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .unwrap_or_default();
        assert_eq!(sent, expected, "verified a signature that does not match");
    }

    // 2. Sign with values taken from the input, verify, then tamper with the body.
    let nonce = if head.is_empty() {
        "n".to_owned()
    } else {
        percent_encode(&head[..head.len().min(16)])
    };
    let params = OAuthParams::new("fuzz-consumer", &nonce, 1_700_000_000);
    let Ok(signed) = sign(&request, &params, &key) else {
        return;
    };
    let header = AuthorizationHeader::parse(signed.authorization())
        .unwrap_or_else(|e| panic!("own header does not parse: {e}: {}", signed.authorization()));
    if let Err(e) = verify(&request, &header, &key, &policy) {
        panic!("own signature does not verify: {e}");
    }
    if !body.is_empty() {
        let mut changed = body.to_vec();
        changed.push(b'&');
        changed.extend_from_slice(b"extra=1");
        let tampered = Request::new("POST", url)
            .with_body(Some("application/x-www-form-urlencoded"), &changed);
        assert!(
            verify(&tampered, &header, &key, &policy).is_err(),
            "a changed body still verifies"
        );
    }
}
