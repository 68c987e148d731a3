//! `trustroot NAME = file(...)`: Sigstore TrustedRoot documents.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = bona_sigstore::trustroot::TrustedRoot::from_json(bytes);
});
