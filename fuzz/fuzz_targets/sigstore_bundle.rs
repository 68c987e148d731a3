//! Sigstore bundles inside facts entries (read leniently).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = bona_sigstore::bundle::Bundle::from_json(bytes);
});
