//! `docs/language.md` shows the compiler's one attribute table verbatim. Run with
//! `BONA_BLESS=1` to rewrite the documented table after changing `attributes.rs`.

const BEGIN: &str = "<!-- attributes:begin (generated from compiler/src/attributes.rs) -->\n";
const END: &str = "<!-- attributes:end -->";

#[test]
fn documented_attribute_table_matches_the_compiler() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/language.md");
    let doc = std::fs::read_to_string(path).expect("docs/language.md exists");
    let start = doc.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = doc[start..].find(END).expect("end marker") + start;
    let table = bona_compiler::attributes::markdown_table();
    if std::env::var_os("BONA_BLESS").is_some() {
        let updated = format!("{}{}{}", &doc[..start], table, &doc[end..]);
        std::fs::write(path, updated).expect("write docs/language.md");
        return;
    }
    assert_eq!(
        &doc[start..end],
        table,
        "docs/language.md's attribute table is out of date: run `BONA_BLESS=1 cargo test -p bona-compiler --test docs_attributes`"
    );
}

const IDENTITY_BEGIN: &str = "<!-- identity:begin (generated from compiler/src/identity.rs) -->\n";
const IDENTITY_END: &str = "<!-- identity:end -->";

#[test]
fn documented_identity_table_matches_the_compiler() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/language.md");
    let doc = std::fs::read_to_string(path).expect("docs/language.md exists");
    let start = doc.find(IDENTITY_BEGIN).expect("begin marker") + IDENTITY_BEGIN.len();
    let end = doc[start..].find(IDENTITY_END).expect("end marker") + start;
    let table = bona_compiler::identity::markdown_table();
    if std::env::var_os("BONA_BLESS").is_some() {
        let updated = format!("{}{}{}", &doc[..start], table, &doc[end..]);
        std::fs::write(path, updated).expect("write docs/language.md");
        return;
    }
    assert_eq!(
        &doc[start..end],
        table,
        "docs/language.md's identity attribute table is out of date: run `BONA_BLESS=1 cargo test -p bona-compiler --test integration docs_attributes`"
    );
}
