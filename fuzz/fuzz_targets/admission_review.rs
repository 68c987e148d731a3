//! `bona eval --admission-review` and the webhook's request bodies (lenient).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let options = bona_runtime::input::ReviewOptions {
        cluster: "prod".into(),
        cloud: String::new(),
    };
    let _ = bona_runtime::input::parse_admission_review(bytes, &options);
});
