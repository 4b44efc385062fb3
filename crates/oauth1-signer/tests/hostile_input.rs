//! Hostile input to the verifier (issue 10): `Authorization` headers past every limit, and
//! nonce floods against the in-memory replay cache. No timing assertions: the parse-time
//! figures are in the `header_parse` bench.

use oauth1_signer::{
    AuthorizationHeader, DEFAULT_MAX_NONCE_BYTES, HeaderError, HeaderLimits, HmacKey,
    MemoryNonceStore, NonceCheck, NonceClaim, NonceStore, OAuthParams, Request, RequestUrl,
    VerifyError, VerifyPolicy, sign, verify,
};

/// `OAuth p0="", p1="", …` with `n` distinct parameters.
fn short_params(n: usize) -> String {
    let params: Vec<String> = (0..n).map(|i| format!("p{i}=\"\"")).collect();
    format!("OAuth {}", params.join(", "))
}

#[test]
fn hundred_thousand_parameters_are_refused() {
    let text = short_params(100_000);
    // Over the default total length: refused before it is read.
    assert_eq!(
        AuthorizationHeader::parse(&text),
        Err(HeaderError::TooLong {
            len: text.len(),
            max: HeaderLimits::DEFAULT.max_header_bytes
        })
    );
    // With the total length lifted, the count limit stops it at the 65th parameter.
    let mut limits = HeaderLimits::DEFAULT;
    limits.max_header_bytes = usize::MAX;
    assert_eq!(
        AuthorizationHeader::parse_with_limits(&text, &limits),
        Err(HeaderError::TooManyParameters { max: 64 })
    );
}

#[test]
fn parameter_count_limit_is_exact() {
    assert_eq!(
        AuthorizationHeader::parse(&short_params(64)).unwrap().len(),
        64
    );
    assert_eq!(
        AuthorizationHeader::parse(&short_params(65)),
        Err(HeaderError::TooManyParameters { max: 64 })
    );
}

#[test]
fn over_long_values_are_refused() {
    let max = HeaderLimits::DEFAULT.max_value_bytes;
    let at_limit = format!("OAuth a=\"{}\"", "x".repeat(max));
    assert_eq!(
        AuthorizationHeader::parse(&at_limit)
            .unwrap()
            .get_bytes("a")
            .map(<[u8]>::len),
        Some(max)
    );
    for over in [
        format!("OAuth a=\"{}\"", "x".repeat(max + 1)),
        // Escapes count as written: 3 bytes each.
        format!("OAuth a=\"{}\"", "%41".repeat(max / 3 + 1)),
        format!("OAuth a=\"{}%41\"", "x".repeat(max - 2)),
        // No closing quote: still the length error, not a scan to the end.
        format!("OAuth a=\"{}", "x".repeat(max + 5)),
    ] {
        assert_eq!(
            AuthorizationHeader::parse(&over),
            Err(HeaderError::ValueTooLong {
                name: "a".into(),
                max
            }),
            "{} bytes",
            over.len()
        );
    }
    let exactly = format!("OAuth a=\"{}%41\"", "x".repeat(max - 3));
    assert!(AuthorizationHeader::parse(&exactly).is_ok());
}

#[test]
fn over_long_header_is_refused_and_limits_are_configurable() {
    let text = format!(
        "OAuth a=\"{}\", b=\"{}\", c=\"{}\"",
        "x".repeat(6000),
        "y".repeat(6000),
        "z".repeat(6000)
    );
    assert!(matches!(
        AuthorizationHeader::parse(&text),
        Err(HeaderError::TooLong { max: 16384, .. })
    ));
    let mut limits = HeaderLimits::default();
    limits.max_header_bytes = 32 * 1024;
    assert_eq!(
        AuthorizationHeader::parse_with_limits(&text, &limits)
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        AuthorizationHeader::parse_with_limits(&text, &HeaderLimits::UNLIMITED)
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn duplicates_are_found_among_many_parameters() {
    let mut text = short_params(40_000);
    text.push_str(", p17=\"again\", p3=\"again\"");
    // The first repeated name in header order is reported.
    assert_eq!(
        AuthorizationHeader::parse_with_limits(&text, &HeaderLimits::UNLIMITED),
        Err(HeaderError::DuplicateParameter { name: "p17".into() })
    );
    let unique = short_params(40_000);
    assert_eq!(
        AuthorizationHeader::parse_with_limits(&unique, &HeaderLimits::UNLIMITED)
            .unwrap()
            .len(),
        40_000
    );
    // Few parameters: the pairwise path.
    assert_eq!(
        AuthorizationHeader::parse("OAuth a=\"1\", b=\"2\", a=\"3\""),
        Err(HeaderError::DuplicateParameter { name: "a".into() })
    );
}

fn signed_header(
    request: &Request<'_>,
    key: &HmacKey,
    nonce: &str,
    timestamp: u64,
) -> AuthorizationHeader {
    let signed = sign(request, &OAuthParams::new("ck", nonce, timestamp), key).unwrap();
    AuthorizationHeader::parse(signed.authorization()).unwrap()
}

#[test]
fn over_long_nonce_is_refused_before_the_store() {
    let key = HmacKey::new("cs", "");
    let url = RequestUrl::parse("https://example.com/r").unwrap();
    let request = Request::new("GET", url);
    let store = MemoryNonceStore::new(600, 1000);
    let policy = VerifyPolicy::new(1_000_000, 300).with_nonce_store(&store);

    let longest = "n".repeat(DEFAULT_MAX_NONCE_BYTES);
    let header = signed_header(&request, &key, &longest, 1_000_000);
    verify(&request, &header, &key, &policy).unwrap();
    assert_eq!(store.len(), 1);

    let nonce = "n".repeat(300);
    let header = signed_header(&request, &key, &nonce, 1_000_000);
    assert!(matches!(
        verify(&request, &header, &key, &policy),
        Err(VerifyError::NonceTooLong { len: 300, max: 128 })
    ));
    assert_eq!(store.len(), 1, "the store was not touched");

    // Refused before the signature is even checked: a forged one gives the same error.
    let forged = AuthorizationHeader::parse(&format!(
        "OAuth oauth_consumer_key=\"ck\", oauth_nonce=\"{nonce}\", oauth_signature=\"AAAA\", \
         oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1000000\""
    ))
    .unwrap();
    assert!(matches!(
        verify(&request, &forged, &key, &policy),
        Err(VerifyError::NonceTooLong { .. })
    ));

    // Configurable.
    let wider = policy.with_max_nonce_bytes(512);
    verify(&request, &header, &key, &wider).unwrap();
}

fn claim(nonce: &str, timestamp: u64) -> NonceClaim<'_> {
    NonceClaim {
        consumer_key: "ck",
        nonce,
        timestamp,
        remember_for_secs: 601,
    }
}

#[test]
fn a_store_full_of_fresh_nonces_keeps_serving_honest_clients() {
    let key = HmacKey::new("cs", "");
    let url = RequestUrl::parse("https://example.com/r").unwrap();
    let request = Request::new("GET", url);
    let now = 1_000_000;
    let capacity = 1_000;
    let store = MemoryNonceStore::new(600, capacity);
    // A flood of 20,000 fresh nonces, all inside the window, spread over the last 200 s.
    for i in 0..20_000u64 {
        let nonce = format!("flood{i}");
        let timestamp = now - 200 + i / 100;
        assert_eq!(
            store.check_and_remember(&claim(&nonce, timestamp)),
            NonceCheck::Fresh
        );
        assert!(store.len() <= capacity);
    }
    // Valid new requests are still accepted.
    let policy = VerifyPolicy::new(now, 300).with_nonce_store(&store);
    for i in 0..50 {
        let header = signed_header(&request, &key, &format!("honest{i}"), now);
        verify(&request, &header, &key, &policy).unwrap();
    }
    // No replay gets through: neither of a remembered nonce...
    let header = signed_header(&request, &key, "honest7", now);
    assert!(matches!(
        verify(&request, &header, &key, &policy),
        Err(VerifyError::ReplayedNonce)
    ));
    assert_eq!(
        store.check_and_remember(&claim("flood19999", now - 1)),
        NonceCheck::Replayed
    );
    // ...nor of a forgotten one: its timestamp is now refused as too old.
    let oldest_accepted = store.oldest_accepted();
    assert!(oldest_accepted > now - 200);
    assert_eq!(
        store.check_and_remember(&claim("flood0", now - 200)),
        NonceCheck::TooOld { oldest_accepted }
    );
    let header = signed_header(&request, &key, "flood0", now - 200);
    assert!(matches!(
        verify(&request, &header, &key, &policy),
        Err(VerifyError::NonceTooOld { .. })
    ));
}

#[test]
fn a_million_fresh_nonces_do_not_lock_out_the_next_request() {
    let store = MemoryNonceStore::default();
    let now = 1_700_000_000;
    for i in 0..1_000_000u64 {
        let nonce = format!("{i:032}");
        store.check_and_remember(&claim(&nonce, now - 300 + i / 4_000));
    }
    assert!(store.len() <= store.capacity());
    assert!(store.bytes_used() <= store.max_bytes());
    assert_eq!(
        store.check_and_remember(&claim("the next honest request", now)),
        NonceCheck::Fresh
    );
}

#[test]
fn the_store_is_bounded_by_bytes() {
    let max_bytes = 64 * 1024;
    let store = MemoryNonceStore::new(600, usize::MAX).with_max_bytes(max_bytes);
    assert_eq!(store.max_bytes(), max_bytes);
    let nonce = "n".repeat(DEFAULT_MAX_NONCE_BYTES - 8);
    for i in 0..5_000u64 {
        let nonce = format!("{nonce}{i:08}");
        assert_eq!(
            store.check_and_remember(&claim(&nonce, 1_000 + i / 10)),
            NonceCheck::Fresh
        );
        assert!(
            store.bytes_used() <= max_bytes,
            "{} bytes",
            store.bytes_used()
        );
    }
    // 128-byte nonces cost 128 + 2 + 72 bytes each: a few hundred fit, not 5,000.
    assert!(store.len() < 400, "{} held", store.len());
    assert!(store.len() > 250, "{} held", store.len());
}

#[test]
fn the_claim_says_how_long_to_remember() {
    let key = HmacKey::new("cs", "");
    let url = RequestUrl::parse("https://example.com/r").unwrap();
    let request = Request::new("GET", url);
    let header = signed_header(&request, &key, "abc", 1_000_100);
    // No store: the caller checks the claim itself (e.g. in a shared cache).
    let verified = verify(&request, &header, &key, &VerifyPolicy::new(1_000_000, 300)).unwrap();
    let claim = verified.nonce_claim();
    assert_eq!(
        (claim.consumer_key, claim.nonce, claim.timestamp),
        ("ck", "abc", 1_000_100)
    );
    // Accepted until now = timestamp + skew, inclusive.
    assert_eq!(claim.remember_for_secs, 1_000_100 + 300 + 1 - 1_000_000);
    let store = MemoryNonceStore::default();
    assert_eq!(store.check_and_remember(&claim), NonceCheck::Fresh);
    assert_eq!(store.check_and_remember(&claim), NonceCheck::Replayed);
    let signature_only = verify(&request, &header, &key, &VerifyPolicy::signature_only()).unwrap();
    assert_eq!(signature_only.remember_nonce_for_secs, u64::MAX);
}
