//! Generates the parser from the one grammar, `grammar/trust.lalrpop`.
fn main() {
    // INVARIANT: cargo always sets CARGO_MANIFEST_DIR for build scripts.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let dir = std::path::PathBuf::from(manifest).join("../grammar");
    lalrpop::Configuration::new()
        .set_in_dir(&dir)
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop failed to generate the parser");
}
