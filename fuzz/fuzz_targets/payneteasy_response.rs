#![no_main]
// Payneteasy response decoder: never panics; what decodes re-encodes and decodes equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| payneteasy_codec::fuzzing::payneteasy_response(data));
