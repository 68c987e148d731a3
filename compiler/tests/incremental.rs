//! Editing one file re-checks only what depends on it: the salsa log shows which queries ran.

use std::path::PathBuf;

use bona_compiler::compile::compile;
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use salsa::Setter;

fn file(db: &BonaDatabase, name: &str, text: &str) -> SourceFile {
    SourceFile::new(db, PathBuf::from(name), text.to_owned())
}

fn ran(log: &[String], query: &str) -> usize {
    log.iter().filter(|l| l.starts_with(query)).count()
}

#[test]
fn editing_one_file_rechecks_only_that_file() {
    let mut db = BonaDatabase::with_log();
    let a = file(
        &db,
        "a.trust",
        "let corporate = [\"registry.company.com\"]\n",
    );
    let b = file(
        &db,
        "b.trust",
        "policy \"b\" {\n  action prevent\n  trust registry in corporate\n}\n",
    );
    let c = file(
        &db,
        "c.trust",
        "policy \"c\" {\n  action issue\n  trust scanned\n}\n",
    );
    let ws = Workspace::new(&db, vec![a, b, c]);
    assert!(!compile(&db, ws).has_errors());
    let first = db.take_log();
    assert_eq!(ran(&first, "parse"), 3, "{first:#?}");
    assert_eq!(ran(&first, "check_file"), 3, "{first:#?}");

    // An edit inside c that changes no name: only c is parsed and checked again; the symbol
    // table is recomputed but equal, so a and b are not re-checked.
    c.set_text(&mut db)
        .to("policy \"c\" {\n  action issue\n  trust scanned and vulns.critical == 0\n}\n".into());
    assert!(!compile(&db, ws).has_errors());
    let second = db.take_log();
    assert_eq!(ran(&second, "parse"), 1, "{second:#?}");
    assert_eq!(ran(&second, "check_file"), 1, "{second:#?}");

    // Changing a constant's value re-checks the files that could use it.
    a.set_text(&mut db)
        .to("let corporate = [\"mirror.company.com\"]\n".into());
    let compiled = compile(&db, ws);
    assert!(!compiled.has_errors());
    let third = db.take_log();
    assert_eq!(ran(&third, "parse"), 1, "{third:#?}");
    assert!(ran(&third, "check_file") >= 2, "{third:#?}");
    let rule = &compiled.set.policies[0].rules[0];
    assert!(format!("{rule:?}").contains("mirror.company.com"));
}

#[test]
fn fixing_a_duplicate_in_one_file_clears_the_error_in_the_other() {
    let mut db = BonaDatabase::default();
    let a = file(&db, "a.trust", "let x = 1\n");
    let b = file(&db, "b.trust", "let x = 2\n");
    let ws = Workspace::new(&db, vec![a, b]);
    let all = &compile(&db, ws).diagnostics;
    let diags: Vec<_> = all
        .iter()
        .filter(|d| d.code.as_str().starts_with('E'))
        .collect();
    assert_eq!(diags.len(), 1, "{all:#?}");
    assert_eq!(diags[0].code.as_str(), "E0201");
    assert_eq!(diags[0].file, b);
    assert_eq!(diags[0].related[0].file, a);
    b.set_text(&mut db).to("let y = 2\n".into());
    assert!(!compile(&db, ws).has_errors());
}

#[test]
fn editing_a_keyless_constraint_rechecks_only_its_file() {
    let mut db = BonaDatabase::with_log();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/diagnostics/signers");
    let signer = |subject: &str| {
        format!(
            "trustroot sigstore = file(\"../roots/trusted_root.json\")\nkey ci = keyless {{\n  issuer == \"https://token.actions.githubusercontent.com\"\n  subject == \"{subject}\"\n}}\n"
        )
    };
    let a = SourceFile::new(&db, dir.join("a.trust"), signer("one@company.com"));
    let b = file(
        &db,
        "b.trust",
        "policy \"b\" {\n  action prevent\n  trust signed by 1 of [ci]\n}\n",
    );
    let ws = Workspace::new(&db, vec![a, b]);
    assert!(
        !compile(&db, ws).has_errors(),
        "{:#?}",
        compile(&db, ws).diagnostics
    );
    db.take_log();

    // A new constraint value changes no name: b is not checked again, and the set has it.
    a.set_text(&mut db).to(signer("two@company.com"));
    let compiled = compile(&db, ws);
    assert!(!compiled.has_errors());
    let log = db.take_log();
    assert_eq!(ran(&log, "check_file"), 1, "{log:#?}");
    assert!(format!("{:?}", compiled.set.keys).contains("two@company.com"));
}
