#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| compel_fuzz::check_target(data));
