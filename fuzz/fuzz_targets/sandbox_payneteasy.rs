#![no_main]

// The sandbox's request decoding and authentication (Payneteasy half, fixed clock): never
// panics, and an accepted request carries a valid signature for the URL it was routed on.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    paygate_sandbox::fuzzing::payneteasy_request(data);
});
