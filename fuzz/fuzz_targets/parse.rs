#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| compel_fuzz::parse_target(data));
