//! Runs the fuzz harnesses (feature `fuzzing`) over seeds and random inputs, so their
//! invariants are checked by `cargo test` too, not only by `cargo fuzz`.
#![cfg(feature = "fuzzing")]

use oauth1_signer::fuzzing;
use proptest::prelude::*;

const SEEDS: &[&[u8]] = &[
    b"",
    b"OAuth",
    b"OAuth realm=\"x\", oauth_consumer_key=\"k%FF\", a = \"b\"",
    b"OAuth a=\"1\",",
    b"oauth oauth_consumer_key=\"fuzz-consumer\", oauth_nonce=\"n\", oauth_signature=\"AAAA\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1\"\0a=1&b=%FF+",
    b"\x05a=1&ba=2&a=1&&=&%zz=%",
    b"\xffq=1&q=1&q=2",
];

#[test]
fn harnesses_accept_the_seeds() {
    for seed in SEEDS {
        fuzzing::header(seed);
        fuzzing::params(seed);
        fuzzing::verify_request(seed);
    }
}

/// The checked-in seeds of `fuzz/seeds/<target>/`, for the targets of this crate.
fn checked_in_seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = format!("{}/../../fuzz/seeds/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {dir}");
    seeds
}

#[test]
fn harnesses_accept_the_checked_in_seeds() {
    for seed in checked_in_seeds("oauth1_header") {
        fuzzing::header(&seed);
    }
    for seed in checked_in_seeds("oauth1_params") {
        fuzzing::params(&seed);
    }
    for seed in checked_in_seeds("oauth1_verify") {
        fuzzing::verify_request(&seed);
    }
}

#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
mod rsa {
    use super::*;
    use oauth1_signer::{
        AuthorizationHeader, Request, RequestUrl, RsaPrivateKey, RsaPublicKey, VerifyPolicy, verify,
    };

    #[test]
    fn key_seeds_load_and_hold() {
        let seeds = checked_in_seeds("oauth1_keys");
        let loaded = seeds
            .iter()
            .filter(|seed| {
                let text = std::str::from_utf8(seed).ok();
                text.is_some_and(|t| {
                    RsaPrivateKey::from_pem(t).is_ok() || RsaPublicKey::from_pem(t).is_ok()
                }) || RsaPrivateKey::from_der(seed).is_ok()
                    || RsaPublicKey::from_der(seed).is_ok()
            })
            .count();
        assert!(loaded >= 8, "only {loaded} seeds load");
        for seed in &seeds {
            fuzzing::keys(seed);
            // Truncated and flipped variants must not panic either.
            fuzzing::keys(&seed[..seed.len() / 2]);
            let mut flipped = seed.clone();
            let middle = flipped.len() / 2;
            flipped[middle] ^= 0x01;
            fuzzing::keys(&flipped);
        }
    }

    /// The RSA seeds are validly signed, so the target starts at the RSA check itself.
    #[test]
    fn verify_rsa_seeds_are_validly_signed() {
        let public = RsaPublicKey::from_pem(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../testdata/vectors/keys/rsa2048-public.pem"
            ))
            .unwrap(),
        )
        .unwrap();
        let url = RequestUrl::parse("https://api.example.com/v1/pay?x=1").unwrap();
        for seed in checked_in_seeds("oauth1_verify_rsa") {
            fuzzing::verify_rsa(&seed);
            let split = seed.iter().position(|&b| b == 0).unwrap();
            let header =
                AuthorizationHeader::parse(std::str::from_utf8(&seed[..split]).unwrap()).unwrap();
            let request = Request::new("POST", url).with_body(
                Some("application/x-www-form-urlencoded"),
                &seed[split + 1..],
            );
            verify(&request, &header, &public, &VerifyPolicy::signature_only()).unwrap();
            // A flipped signature byte is refused, and the harness agrees.
            let mut tampered = seed.clone();
            let at = seed
                .windows(17)
                .position(|w| w == b"oauth_signature=\"")
                .unwrap()
                + 20;
            tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
            fuzzing::verify_rsa(&tampered);
        }
        assert_eq!(
            fuzzing::verify_rsa_seed("n", 1, b"a=1"),
            fuzzing::verify_rsa_seed("n", 1, b"a=1"),
            "PKCS#1 v1.5 signatures are deterministic"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn harnesses_hold_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..96)) {
        fuzzing::header(&data);
        fuzzing::params(&data);
        fuzzing::verify_request(&data);
        #[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
        {
            fuzzing::keys(&data);
            fuzzing::verify_rsa(&data);
        }
    }

    #[test]
    fn harnesses_hold_on_header_like_input(text in "(OAuth|oauth)[ ]([a-z_]{1,8}=\"[a-zA-Z0-9%+=/ ]{0,8}\"(, ?)?){0,5}(\0[a-z=&%+0-9]{0,16})?") {
        fuzzing::header(text.as_bytes());
        fuzzing::params(text.as_bytes());
        fuzzing::verify_request(text.as_bytes());
    }
}
