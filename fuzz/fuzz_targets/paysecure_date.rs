#![no_main]
// WcfDate: parse → display → parse gives the same value, also as a JSON date member.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysecure_codec::fuzzing::date(data));
