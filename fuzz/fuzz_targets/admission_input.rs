//! `bona eval --input`: Bona's own admission input (strict).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = bona_runtime::input::parse_admission_input(bytes);
});
