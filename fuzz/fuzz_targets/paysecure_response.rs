#![no_main]
// Every PaySecure decoder (each request and response type of every service: CreateKey,
// TokenizeCard, PSBINCheck, TransactionStatus, Initiate, PreAuthCapture, PreAuthVoid, Reverse)
// never panics; decoded → encoded → decoded is equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysecure_codec::fuzzing::response(data));
