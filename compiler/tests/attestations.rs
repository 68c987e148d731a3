//! Attestation attributes (docs/attestations.md#attributes): what each form lowers to, and one
//! input per diagnostic it can raise, with its code, the text under its primary span and a
//! piece of its message.

use std::path::PathBuf;

use bona_compiler::codes::Code;
use bona_compiler::compile::{Compiled, compile};
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_runtime::glob::Glob;
use bona_runtime::ir::{AttestedField, CmpOp, Expr, IdentityTest, ImageAtom, VulnSeverity};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/diagnostics/signers")
}

fn compile_text(text: &str) -> (Compiled, String) {
    let db = BonaDatabase::default();
    let file = SourceFile::new(&db, corpus_dir().join("case.trust"), text.to_owned());
    let ws = Workspace::new(&db, vec![file]);
    (compile(&db, ws).clone(), text.to_owned())
}

/// Two keys, so that the key index in the IR is checked too (`a` is 0, `b` is 1).
const PRELUDE: &str = "key a = file(\"../keys/release.pub\")\nkey b = file(\"../keys/p384.pub\")\n";

fn rule(trust: &str) -> Expr<ImageAtom> {
    let text = format!(
        "{PRELUDE}policy \"p\" {{\n  action prevent\n  on unknown prevent\n  trust signed by a or signed by b\n  trust {trust}\n}}\n"
    );
    let (compiled, _) = compile_text(&text);
    assert!(
        compiled.diagnostics.is_empty(),
        "{trust}\n{:#?}",
        compiled.diagnostics
    );
    compiled.set.policies[0].rules[1].clone()
}

fn atom(a: ImageAtom) -> Expr<ImageAtom> {
    Expr::Atom(a)
}

fn not(e: Expr<ImageAtom>) -> Expr<ImageAtom> {
    Expr::Not(Box::new(e))
}

#[test]
fn attested_is_a_condition_and_negates() {
    let attested = |key| {
        atom(ImageAtom::Attested {
            key,
            predicate_type: "https://slsa.dev/provenance/v1".into(),
        })
    };
    assert_eq!(
        rule("attested(b, \"https://slsa.dev/provenance/v1\")"),
        attested(1)
    );
    assert_eq!(
        rule("not attested(a, \"https://slsa.dev/provenance/v1\")"),
        not(attested(0))
    );
    assert_eq!(
        rule("attested(a, \"https://slsa.dev/provenance/v1\") == false"),
        not(attested(0))
    );
}

#[test]
fn string_fields_lower_to_identity_tests() {
    let s = |field, test| {
        atom(ImageAtom::AttestedStr {
            key: 0,
            field: Box::new(field),
            test: Box::new(test),
        })
    };
    assert_eq!(
        rule("provenance(a).builder == \"https://ci\""),
        s(
            AttestedField::Builder,
            IdentityTest::Eq("https://ci".into())
        )
    );
    assert_eq!(
        rule("provenance(a).build_type != \"x\""),
        s(AttestedField::BuildType, IdentityTest::Ne("x".into()))
    );
    assert_eq!(
        rule("provenance(a).source in [\"github.com/c/app\", \"github.com/c/lib\"]"),
        s(
            AttestedField::Source,
            IdentityTest::In(vec!["github.com/c/app".into(), "github.com/c/lib".into()])
        )
    );
    assert_eq!(
        rule("provenance(a).ref matches \"refs/tags/v*\""),
        s(
            AttestedField::Ref,
            IdentityTest::Matches(vec![Glob::parse("refs/tags/v*").expect("glob")])
        )
    );
    assert_eq!(
        rule("vuln(a).scanner matches [\"https://trivy*\", \"https://grype*\"]"),
        s(
            AttestedField::Scanner,
            IdentityTest::Matches(vec![
                Glob::parse("https://trivy*").expect("glob"),
                Glob::parse("https://grype*").expect("glob"),
            ])
        )
    );
    assert_eq!(
        rule("predicate(a, \"https://spdx.dev/Document\", \"creationInfo.creators\") == \"x\""),
        s(
            AttestedField::Predicate {
                predicate_type: "https://spdx.dev/Document".into(),
                path: "creationInfo.creators".into(),
            },
            IdentityTest::Eq("x".into())
        )
    );
    assert_eq!(
        rule("not provenance(a).builder == \"y\""),
        not(s(AttestedField::Builder, IdentityTest::Eq("y".into())))
    );
}

#[test]
fn vulnerability_counts_and_scan_age_lower_to_comparisons() {
    let v = |severity, op, value| {
        atom(ImageAtom::AttestedVulns {
            key: 1,
            severity,
            op,
            value,
        })
    };
    assert_eq!(
        rule("vuln(b).critical < 1"),
        v(VulnSeverity::Critical, CmpOp::Lt, 1)
    );
    assert_eq!(
        rule("vuln(b).high <= 2"),
        v(VulnSeverity::High, CmpOp::Le, 2)
    );
    assert_eq!(
        rule("vuln(b).medium != 3"),
        v(VulnSeverity::Medium, CmpOp::Ne, 3)
    );
    assert_eq!(rule("vuln(b).low >= 4"), v(VulnSeverity::Low, CmpOp::Ge, 4));
    assert_eq!(
        rule("vuln(b).low in [0, 1]"),
        Expr::Or(vec![
            v(VulnSeverity::Low, CmpOp::Eq, 0),
            v(VulnSeverity::Low, CmpOp::Eq, 1)
        ])
    );
    assert_eq!(
        rule("vuln(b).scan.age <= 7d"),
        atom(ImageAtom::AttestedScanAge {
            key: 1,
            op: CmpOp::Le,
            seconds: 7 * 86_400,
        })
    );
}

#[test]
fn constants_work_as_values_and_predicate_types() {
    let text = format!(
        "{PRELUDE}let slsa = \"https://slsa.dev/provenance/v1\"\nlet week = 7d\npolicy \"p\" {{\n  action prevent\n  on unknown prevent\n  trust signed by b\n  trust attested(a, slsa) and vuln(a).scan.age < week\n}}\n"
    );
    let (compiled, _) = compile_text(&text);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:#?}",
        compiled.diagnostics
    );
    assert_eq!(
        compiled.set.policies[0].rules[1],
        Expr::And(vec![
            atom(ImageAtom::Attested {
                key: 0,
                predicate_type: "https://slsa.dev/provenance/v1".into(),
            }),
            atom(ImageAtom::AttestedScanAge {
                key: 0,
                op: CmpOp::Lt,
                seconds: 7 * 86_400,
            }),
        ])
    );
}

const ERRORS: &[(&str, Code, &str, &str)] = &[
    (
        "provenance(a).bilder == \"x\"",
        Code::E0312,
        "bilder",
        "unknown field `bilder` of `provenance(…)`",
    ),
    (
        "vuln(a).scan.ag <= 7d",
        Code::E0312,
        "scan.ag",
        "unknown field `scan.ag` of `vuln(…)`",
    ),
    (
        "vuln(a) == \"x\"",
        Code::E0312,
        "vuln(a)",
        "`vuln(…)` needs a field",
    ),
    (
        "attested(a, \"T\").builder",
        Code::E0312,
        "builder",
        "`attested(…)` has no fields",
    ),
    (
        "provenence(a).builder == \"x\"",
        Code::E0203,
        "provenence",
        "unknown function `provenence`",
    ),
    (
        "attested(a)",
        Code::E0313,
        "attested(a)",
        "`attested` takes 2 arguments, found 1",
    ),
    (
        "attested(\"a\", \"T\")",
        Code::E0313,
        "\"a\"",
        "expected a key",
    ),
    (
        "attested(nobody, \"T\")",
        Code::E0203,
        "nobody",
        "unknown name `nobody`",
    ),
    (
        "attested(s, \"T\")",
        Code::E0207,
        "s",
        "`s` is a let, not a key",
    ),
    (
        "attested(a, 3)",
        Code::E0301,
        "3",
        "this argument of `attested` is a string, this is an int",
    ),
    (
        "vuln(a).scan.age <= 7",
        Code::E0301,
        "7",
        "`vuln(a).scan.age` is a duration, this is an int",
    ),
    (
        "vuln(a).critical < \"1\"",
        Code::E0301,
        "\"1\"",
        "`vuln(a).critical` is an int, this is a string",
    ),
    (
        "provenance(a).builder == 1",
        Code::E0301,
        "1",
        "`provenance(a).builder` is a string, this is an int",
    ),
    (
        "provenance(a).builder < \"x\"",
        Code::E0303,
        "<",
        "`<` is not defined for `provenance(a).builder`",
    ),
    (
        "vuln(a).critical matches \"x\"",
        Code::E0303,
        "matches",
        "`matches` is not defined for `vuln(a).critical`",
    ),
    (
        "provenance(a).builder",
        Code::E0309,
        "provenance(a).builder",
        "is a string, not a condition",
    ),
    (
        "registry == provenance(a).builder",
        Code::E0304,
        "provenance(a).builder",
        "is an attribute, not a value",
    ),
];

#[test]
fn every_attestation_diagnostic_has_its_code_span_and_message() {
    for (case, code, under, fragment) in ERRORS {
        let text = format!(
            "{PRELUDE}let s = \"x\"\npolicy \"p\" {{\n  action prevent\n  on unknown prevent\n  trust signed by a or signed by b\n  trust {case}\n}}\n"
        );
        let (compiled, text) = compile_text(&text);
        let found = compiled.diagnostics.iter().find(|d| d.code == *code);
        let Some(d) = found else {
            panic!("{case}\nexpected {code}, got {:#?}", compiled.diagnostics);
        };
        assert_eq!(&text[d.span.range()], *under, "{case}\n{d:#?}");
        assert!(d.message.contains(fragment), "{case}\n{}", d.message);
        let others: Vec<_> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.code != Code::W0004 && d.code != *code)
            .collect();
        assert!(others.is_empty(), "{case}\n{others:#?}");
    }
}

#[test]
fn a_misspelt_field_suggests_the_right_one() {
    let (compiled, _) = compile_text(&format!(
        "{PRELUDE}policy \"p\" {{\n  action prevent\n  on unknown prevent\n  trust signed by b\n  trust vuln(a).critcal < 1\n}}\n"
    ));
    let d = compiled
        .diagnostics
        .iter()
        .find(|d| d.code == Code::E0312)
        .expect("E0312");
    assert_eq!(d.replacement.as_deref(), Some("critical"));
}

#[test]
fn attestations_do_not_belong_in_a_scope() {
    let (compiled, text) = compile_text(&format!(
        "{PRELUDE}policy \"p\" {{\n  action prevent\n  scope attested(a, \"T\")\n  trust signed by a or signed by b\n}}\n"
    ));
    let d = compiled
        .diagnostics
        .iter()
        .find(|d| d.code == Code::E0302)
        .unwrap_or_else(|| panic!("{:#?}", compiled.diagnostics));
    assert_eq!(&text[d.span.range()], "attested(a, \"T\")");
}

#[test]
fn a_key_used_only_in_an_attestation_is_used() {
    let (compiled, _) = compile_text(&format!(
        "{PRELUDE}policy \"p\" {{\n  action prevent\n  on unknown prevent\n  trust attested(a, \"T\") and vuln(b).critical == 0\n}}\n"
    ));
    assert!(
        compiled.diagnostics.is_empty(),
        "{:#?}",
        compiled.diagnostics
    );
}
