#![no_main]
// Key loading, PEM and DER, private and public, with both RSA back ends compiled in.
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth1_signer::fuzzing::keys(data));
