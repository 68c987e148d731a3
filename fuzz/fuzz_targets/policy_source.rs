//! `.trust` files: parsing, resolution and type checking of one file.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let db = bona_compiler::db::BonaDatabase::default();
    let file = bona_compiler::db::SourceFile::new(&db, "fuzz.trust".into(), text.to_owned());
    let ws = bona_compiler::db::Workspace::new(&db, vec![file]);
    let _ = bona_compiler::compile::compile(&db, ws);
});
