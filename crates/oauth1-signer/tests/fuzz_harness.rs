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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn harnesses_hold_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..96)) {
        fuzzing::header(&data);
        fuzzing::params(&data);
        fuzzing::verify_request(&data);
    }

    #[test]
    fn harnesses_hold_on_header_like_input(text in "(OAuth|oauth)[ ]([a-z_]{1,8}=\"[a-zA-Z0-9%+=/ ]{0,8}\"(, ?)?){0,5}(\0[a-z=&%+0-9]{0,16})?") {
        fuzzing::header(text.as_bytes());
        fuzzing::params(text.as_bytes());
        fuzzing::verify_request(text.as_bytes());
    }
}
