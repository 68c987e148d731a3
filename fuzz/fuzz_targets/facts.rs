//! `--facts FILE` and inline facts.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = bona_runtime::facts::FactsDocument::from_json(bytes);
});
