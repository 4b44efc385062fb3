#![no_main]
// Decoders never panic; decoded → encoded → decoded is equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysecure_codec::fuzzing::response(data));
