//! `bona audit --inventory`: Bona's inventory (strict) and kubectl lists (lenient).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let options = bona_runtime::input::ReviewOptions {
        cluster: "prod".into(),
        cloud: String::new(),
    };
    let _ = bona_runtime::input::parse_inventory(bytes);
    if bona_runtime::input::is_kubectl_list(bytes) {
        let _ = bona_runtime::input::parse_kubectl_list(bytes, &options);
    }
});
