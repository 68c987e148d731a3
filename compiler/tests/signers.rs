//! Keys and signers (docs/language.md#keys-and-signers, docs/signatures.md#signers): what
//! `trustroot`, `keyless { … }`, `{ tlog R }` and `signed by N of [...]` lower to, and one input
//! per diagnostic they can raise, with its code, the text under its primary span and a piece of
//! its message.
//!
//! The sources are compiled as if they stood in `tests/diagnostics/signers/`, so that
//! `file("../roots/…")` and `file("../keys/…")` name the corpus's fixtures.

use std::path::PathBuf;

use bona_compiler::codes::Code;
use bona_compiler::compile::{Compiled, compile};
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_runtime::glob::Glob;
use bona_runtime::ir::{
    Expr, IdentityAttr, IdentityConstraint, IdentityTest, ImageAtom, KeyDef, Signer, TrustRootDef,
};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/diagnostics/signers")
}

fn compile_text(text: &str) -> (Compiled, String) {
    let db = BonaDatabase::default();
    let file = SourceFile::new(&db, corpus_dir().join("case.trust"), text.to_owned());
    let ws = Workspace::new(&db, vec![file]);
    (compile(&db, ws).clone(), text.to_owned())
}

fn root_text(name: &str) -> String {
    std::fs::read_to_string(corpus_dir().join("../roots").join(name)).expect("fixture")
}

fn release_der() -> Vec<u8> {
    std::fs::read(corpus_dir().join("../keys/release.der")).expect("fixture")
}

const FULL: &str = r#"
trustroot sigstore = file("../roots/trusted_root.json")

key release_ci = keyless {
  root sigstore
  issuer == "https://token.actions.githubusercontent.com"
  subject matches "https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*"
  source_repository_uri in ["https://github.com/company/app", "https://github.com/company/lib"]
  runner_environment != "self-hosted"
}

key release = file("../keys/release.pub") { tlog sigstore }

policy "p" {
  action prevent
  on unknown prevent
  trust signed by release_ci or signed by 2 of [release, release_ci]
}
"#;

#[test]
fn the_spec_example_lowers_to_signers_and_n_of() {
    let (compiled, _) = compile_text(FULL);
    assert!(!compiled.has_errors(), "{:#?}", compiled.diagnostics);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:#?}",
        compiled.diagnostics
    );
    let set = &compiled.set;
    assert_eq!(
        set.trust_roots,
        vec![TrustRootDef {
            name: "sigstore".into(),
            document: root_text("trusted_root.json"),
        }]
    );
    let glob = |p: &str| Glob::parse(p).expect("glob");
    assert_eq!(
        set.keys,
        vec![
            KeyDef {
                name: "release".into(),
                signer: Signer::Key {
                    spki_der: release_der(),
                    tlog: Some(0),
                },
            },
            KeyDef {
                name: "release_ci".into(),
                signer: Signer::Keyless {
                    root: 0,
                    identity: vec![
                        IdentityConstraint {
                            attr: IdentityAttr::Issuer,
                            test: IdentityTest::Eq(
                                "https://token.actions.githubusercontent.com".into()
                            ),
                        },
                        IdentityConstraint {
                            attr: IdentityAttr::Subject,
                            test: IdentityTest::Matches(vec![glob(
                                "https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*"
                            )]),
                        },
                        IdentityConstraint {
                            attr: IdentityAttr::Extension("source_repository_uri".into()),
                            test: IdentityTest::In(vec![
                                "https://github.com/company/app".into(),
                                "https://github.com/company/lib".into(),
                            ]),
                        },
                        IdentityConstraint {
                            attr: IdentityAttr::Extension("runner_environment".into()),
                            test: IdentityTest::Ne("self-hosted".into()),
                        },
                    ],
                },
            },
        ]
    );
    assert_eq!(
        set.policies[0].rules,
        vec![Expr::Or(vec![
            Expr::Atom(ImageAtom::SignedBy { key: 1 }),
            Expr::Atom(ImageAtom::SignedByN {
                n: 2,
                keys: vec![0, 1]
            }),
        ])]
    );
}

#[test]
fn root_ids_follow_name_order_and_one_of_one_is_signed_by() {
    let (compiled, _) = compile_text(
        r#"
trustroot zeta = file("../roots/trusted_root.json")
trustroot alpha = file("../roots/trusted_root.json")
let repos = ["https://github.com/company/app"]
key ci = keyless {
  root zeta
  issuer == "https://accounts.google.com"
  subject == "release@company.com"
  source_repository_uri in repos
}
key legacy = keyless {
  root alpha
  issuer matches ["https://a.example/*", "https://b.example/*"]
  subject == "x@company.com"
}
policy "p" {
  action prevent
  on unknown prevent
  trust signed by 1 of [ci] and signed by 1 of [legacy, ci]
}
"#,
    );
    assert!(!compiled.has_errors(), "{:#?}", compiled.diagnostics);
    let names: Vec<&str> = compiled
        .set
        .trust_roots
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    let roots: Vec<u32> = compiled
        .set
        .keys
        .iter()
        .map(|k| match &k.signer {
            Signer::Keyless { root, .. } => *root,
            Signer::Key { .. } => u32::MAX,
        })
        .collect();
    assert_eq!(roots, [1, 0]);
    let Signer::Keyless { identity, .. } = &compiled.set.keys[0].signer else {
        panic!("keyless")
    };
    assert_eq!(
        identity[2].test,
        IdentityTest::In(vec!["https://github.com/company/app".into()])
    );
    assert_eq!(
        compiled.set.policies[0].rules,
        vec![Expr::And(vec![
            Expr::Atom(ImageAtom::SignedBy { key: 0 }),
            Expr::Atom(ImageAtom::SignedByN {
                n: 1,
                keys: vec![1, 0]
            }),
        ])]
    );
}

#[test]
fn a_lone_trust_root_is_implicit_and_counts_as_used() {
    let (compiled, _) = compile_text(
        r#"
trustroot only = file("../roots/trusted_root.json")
key ci = keyless {
  issuer == "https://accounts.google.com"
  subject == "release@company.com"
}
policy "p" {
  action prevent
  on unknown prevent
  trust signed by ci
}
"#,
    );
    assert!(
        compiled.diagnostics.is_empty(),
        "{:#?}",
        compiled.diagnostics
    );
    assert!(matches!(
        compiled.set.keys[0].signer,
        Signer::Keyless { root: 0, .. }
    ));
}

/// `(source, code, text under the primary span, fragment of the message)`.
const ERRORS: &[(&str, Code, &str, &str)] = &[
    (
        r#"trustroot t = file("../roots/missing.json")"#,
        Code::E0404,
        r#""../roots/missing.json""#,
        "cannot read trust root file",
    ),
    (
        r#"trustroot t = file("../roots/broken_root.json")"#,
        Code::E0405,
        r#""../roots/broken_root.json""#,
        "rawBytes",
    ),
    (
        r#"trustroot t = file("../keys/release.pub")"#,
        Code::E0405,
        r#""../keys/release.pub""#,
        "is not a Sigstore trust root",
    ),
    (
        r#"trustroot t = url("https://tuf.example")"#,
        Code::E0406,
        "url",
        "unknown trust root source `url`",
    ),
    (
        "key k = keyless {\n  root r\n  subject == \"a@b.c\"\n}",
        Code::E0407,
        "k",
        "no `issuer` constraint: it would trust any issuer",
    ),
    (
        "key k = keyless {\n  root r\n  issuer == \"https://x\"\n}",
        Code::E0407,
        "k",
        "no `subject` constraint",
    ),
    (
        "key k = keyless {\n  root r\n  issuer == \"https://x\"\n  subject == \"a\"\n  source_repo_uri == \"x\"\n}",
        Code::E0408,
        "source_repo_uri",
        "unknown identity attribute `source_repo_uri`",
    ),
    (
        "key k = keyless {\n  root r\n  isuer == \"https://x\"\n  subject == \"a\"\n}",
        Code::E0408,
        "isuer",
        "unknown identity attribute `isuer`",
    ),
    (
        "key k = keyless {\n  root nope\n  issuer == \"https://x\"\n  subject == \"a\"\n}",
        Code::E0203,
        "nope",
        "unknown name `nope`",
    ),
    (
        "let c = \"x\"\nkey k = keyless {\n  root c\n  issuer == \"https://x\"\n  subject == \"a\"\n}",
        Code::E0207,
        "c",
        "`c` is a let, not a trust root",
    ),
    (
        "key k = keyless {\n  root r\n  root r\n  issuer == \"https://x\"\n  subject == \"a\"\n}",
        Code::E0321,
        "root r",
        "`root` is given twice",
    ),
    (
        "key k = keyless {\n  rot r\n  issuer == \"https://x\"\n  subject == \"a\"\n}",
        Code::E0410,
        "rot",
        "unknown word `rot`",
    ),
    (
        "key k = keyless {\n  root r\n  issuer == 3\n  subject == \"a\"\n}",
        Code::E0301,
        "3",
        "`issuer` is a string, this is an int",
    ),
    (
        "key k = keyless {\n  root r\n  issuer in \"x\"\n  subject == \"a\"\n}",
        Code::E0301,
        "\"x\"",
        "`in` needs a list of strings, this is a string",
    ),
    (
        "key k = keyless {\n  root r\n  issuer == \"https://x\"\n  subject matches 7\n}",
        Code::E0301,
        "7",
        "`matches` needs a pattern",
    ),
    (
        "key k = keyless {\n  root r\n  issuer == \"https://x\"\n  subject < \"a\"\n}",
        Code::E0303,
        "<",
        "operator `<` is not defined for identity attributes",
    ),
    (
        "key k = keyless {\n  root r\n  issuer == \"https://x\"\n  subject matches \"ab***\"\n}",
        Code::E0305,
        "*",
        "invalid pattern",
    ),
    (
        "key k = file(\"../keys/release.pub\") { tlog nope }",
        Code::E0203,
        "nope",
        "unknown name `nope`",
    ),
    (
        "key k = file(\"../keys/release.pub\") { tlg r }",
        Code::E0410,
        "tlg",
        "unknown word `tlg`",
    ),
    (
        "key k = file(\"../keys/release.pub\") { tlog r tlog r }",
        Code::E0321,
        "tlog r",
        "`tlog` is given twice",
    ),
    (
        "key j = file(\"../keys/release.pub\")\nkey k = file(\"../keys/release.pub\") { tlog j }",
        Code::E0207,
        "j",
        "`j` is a key, not a trust root",
    ),
    (
        "policy \"p\" {\n  action prevent\n  on unknown prevent\n  trust signed by 2 of [a, b, a]\n}",
        Code::E0411,
        "a",
        "`a` is named twice in `signed by 2 of`",
    ),
    (
        "policy \"p\" {\n  action prevent\n  on unknown prevent\n  trust signed by 3 of [a, b]\n}",
        Code::E0412,
        "3",
        "can never hold: the list names 2 signers",
    ),
    (
        "policy \"p\" {\n  action prevent\n  on unknown prevent\n  trust signed by 0 of [a, b]\n}",
        Code::E0412,
        "0",
        "would hold for every image",
    ),
    (
        "policy \"p\" {\n  action prevent\n  on unknown prevent\n  trust signed by 1 of [a, nobody]\n}",
        Code::E0203,
        "nobody",
        "unknown name `nobody`",
    ),
    (
        "policy \"p\" {\n  action prevent\n  on unknown prevent\n  trust signed by r\n}",
        Code::E0207,
        "r",
        "`r` is a trust root, not a key",
    ),
];

/// What every error case has besides its own line: one trust root `r` and two keys `a`, `b`.
const PRELUDE: &str = "trustroot r = file(\"../roots/trusted_root.json\")\nkey a = file(\"../keys/release.pub\")\nkey b = file(\"../keys/p384.pub\")\n";

#[test]
fn every_signer_diagnostic_has_its_code_span_and_message() {
    for (case, code, under, fragment) in ERRORS {
        let text = format!("{PRELUDE}{case}\n");
        let (compiled, text) = compile_text(&text);
        let found = compiled.diagnostics.iter().find(|d| d.code == *code);
        let Some(d) = found else {
            panic!("{case}\nexpected {code}, got {:#?}", compiled.diagnostics);
        };
        assert_eq!(&text[d.span.range()], *under, "{case}\n{d:#?}");
        assert!(d.message.contains(fragment), "{case}\n{}", d.message);
        // One mistake, one diagnostic (unused names aside, which the prelude causes).
        let others: Vec<_> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.code != Code::W0004 && d.code != *code)
            .collect();
        assert!(others.is_empty(), "{case}\n{others:#?}");
    }
}

#[test]
fn a_misspelt_root_is_one_diagnostic_even_among_several_roots() {
    let (compiled, _) = compile_text(
        "trustroot r = file(\"../roots/trusted_root.json\")\ntrustroot s = file(\"../roots/trusted_root.json\")\nkey k = keyless {\n  rot r\n  issuer == \"https://x\"\n  subject == \"a\"\n}\npolicy \"p\" {\n  action prevent\n  on unknown prevent\n  trust signed by k\n}\n",
    );
    let codes: Vec<Code> = compiled
        .diagnostics
        .iter()
        .map(|d| d.code)
        .filter(|c| *c != Code::W0004)
        .collect();
    assert_eq!(codes, [Code::E0410], "{:#?}", compiled.diagnostics);
}

#[test]
fn keyless_without_a_root_needs_exactly_one_trust_root() {
    let body = "key k = keyless {\n  issuer == \"https://x\"\n  subject == \"a\"\n}\n";
    for (roots, fragment) in [
        ("", "has no trust root"),
        (
            "trustroot r = file(\"../roots/trusted_root.json\")\ntrustroot s = file(\"../roots/trusted_root.json\")\n",
            "which of the 2 trust roots",
        ),
    ] {
        let (compiled, text) = compile_text(&format!("{roots}{body}"));
        let d = compiled
            .diagnostics
            .iter()
            .find(|d| d.code == Code::E0409)
            .unwrap_or_else(|| panic!("{:#?}", compiled.diagnostics));
        assert_eq!(&text[d.span.range()], "keyless");
        assert!(d.message.contains(fragment), "{}", d.message);
    }
}

#[test]
fn an_expired_trust_root_is_a_warning_and_an_unused_one_too() {
    let (compiled, text) = compile_text(
        "trustroot old = file(\"../roots/expired_root.json\")\nkey k = keyless {\n  issuer == \"https://x\"\n  subject == \"a\"\n}\npolicy \"p\" {\n  action prevent\n  on unknown prevent\n  trust signed by k\n}\n",
    );
    assert!(!compiled.has_errors(), "{:#?}", compiled.diagnostics);
    let codes: Vec<Code> = compiled.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::W0005]);
    let d = &compiled.diagnostics[0];
    assert_eq!(&text[d.span.range()], "\"../roots/expired_root.json\"");
    assert!(
        d.message.contains("every transparency log key"),
        "{}",
        d.message
    );

    let (compiled, text) = compile_text("trustroot spare = file(\"../roots/trusted_root.json\")\n");
    let codes: Vec<Code> = compiled.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::W0004]);
    assert_eq!(&text[compiled.diagnostics[0].span.range()], "spare");
}

#[test]
fn a_trust_root_shares_the_item_namespace() {
    let (compiled, _) = compile_text(
        "trustroot k = file(\"../roots/trusted_root.json\")\nkey k = file(\"../keys/release.pub\") { tlog k }\n",
    );
    assert!(
        compiled.diagnostics.iter().any(|d| d.code == Code::E0201),
        "{:#?}",
        compiled.diagnostics
    );
}
