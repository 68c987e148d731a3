//! `--bundle FILE`: what passes the header's checksum must load or be refused cleanly.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(set) = bona_runtime::bundle::read_bundle(bytes) {
        let _ = bona_runtime::Engine::new(set);
    }
});
