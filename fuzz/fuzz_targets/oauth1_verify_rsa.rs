#![no_main]
// RSA-SHA256 verification with the repository's test public key, on both back ends.
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth1_signer::fuzzing::verify_rsa(data));
