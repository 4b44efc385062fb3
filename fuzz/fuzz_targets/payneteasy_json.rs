#![no_main]
// Payneteasy JSON-mode decoder: never panics; what decodes writes back as JSON and decodes equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| payneteasy_codec::json::fuzz_json_response(data));
