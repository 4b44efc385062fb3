#![no_main]
// Payneteasy callback and customer-return parsers and verifier: never panic; what parses re-encodes and parses equal.

libfuzzer_sys::fuzz_target!(|data: &[u8]| payneteasy_codec::fuzzing::payneteasy_callback(data));
