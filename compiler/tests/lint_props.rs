//! Soundness of `bona lint` (docs/choices.md, "Lint"): on generated policy sets, every finding
//! is checked against the runtime, never against the lint's own reasoning.
//!
//! - L0001 "this rule can never hold": no sampled image makes the rule true.
//! - L0002 "this rule is subsumed": the policy's verdict, in all three values, is the same
//!   without the rule on every sampled image.
//! - L0003 "this policy never decides anything": every sampled asset and image gets the same
//!   trusted / prevented verdict from the compiled table with and without the policy.
//! - L0004 "this prevent policy is overridden": the example it rests on, decided by the full
//!   engine (the compiled table, with the stand-in keys for the example's signatures), is an
//!   image the issue policy trusts, the prevent policy rejects, and the set admits.
//!
//! Samples are drawn from the same small pools of values the generated conditions name, so
//! that both sides of most comparisons are met.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bona_compiler::codes::Code;
use bona_compiler::compile::compile;
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_compiler::lint::{self, overridden, witness};
use bona_runtime::Reference;
use bona_runtime::engine::Engine;
use bona_runtime::eval::{Evaluator, KeyRing};
use bona_runtime::facts::{ImageFacts, Scan, Vulnerabilities};
use bona_runtime::image::ImageView;
use bona_runtime::input::{AdmissionInput, Asset, AssetType, ImageInput};
use bona_runtime::ir::{Action, PolicySet};
use bona_runtime::output::Verdict;
use bona_runtime::signature::VerificationCache;
use bona_runtime::tri::Tri;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const KEY: &str = r#"key release = pem("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1HDZY4CRoOCXviSn/q94Qpi/Urs1\nrds0yOrt9eP+lC/3jT0YTHQ4SvGpF5K1dkF5XPY/o4+HStWG6weyKOia0w==\n-----END PUBLIC KEY-----")"#;

const IMAGE_ATOMS: &[&str] = &[
    r#"registry == "r1.io""#,
    r#"registry == "r2.io""#,
    r#"registry matches "*.io""#,
    r#"registry in ["r1.io", "x.r"]"#,
    r#"repository matches "team/**""#,
    r#"repository == "app""#,
    r#"tag == "1.0""#,
    r#"tag matches "1.*""#,
    r#"tag != "2.0""#,
    "pinned",
    "scanned",
    "vulns.critical == 0",
    "vulns.high < 2",
    "vulns.high > 1",
    "scan.age < 1d",
    r#"labels["x"] == "y""#,
    r#"base == "debian:12""#,
    r#"image matches "r1.io/app:*""#,
    "signed by release",
];

const SCOPE_ATOMS: &[&str] = &[
    r#"cluster == "a""#,
    r#"cluster matches "a*""#,
    r#"cluster in ["b", "c"]"#,
    r#"namespace == "x""#,
    r#"namespace != "y""#,
    r#"labels["team"] == "t""#,
    "asset == vm",
    "asset == workload",
];

/// An expression over `atoms`, at most two levels of `and` / `or` / `not`.
fn expr(atoms: &'static [&'static str]) -> impl Strategy<Value = String> {
    let leaf = select(atoms).prop_map(str::to_owned);
    leaf.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 2..=3).prop_map(|es| format!("({})", es.join(" and "))),
            vec(inner.clone(), 2..=3).prop_map(|es| format!("({})", es.join(" or "))),
            inner.prop_map(|e| format!("not {e}")),
        ]
    })
}

#[derive(Debug, Clone)]
struct PolicyGen {
    prevent: bool,
    strict: bool,
    scope: Option<String>,
    rules: Vec<String>,
}

fn policy() -> impl Strategy<Value = PolicyGen> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(expr(SCOPE_ATOMS)),
        vec(expr(IMAGE_ATOMS), 1..=3),
    )
        .prop_map(|(prevent, strict, scope, rules)| PolicyGen {
            prevent,
            strict,
            scope,
            rules,
        })
}

/// What a line of the generated text is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Line {
    Policy(usize),
    Rule(usize, usize),
    Other,
}

/// The set's text and what each line holds. Policy `i` is named `p{i}` (name order = index).
fn render(policies: &[PolicyGen]) -> (String, Vec<Line>) {
    let mut text = String::new();
    let mut lines = Vec::new();
    let mut push = |text: &mut String, line: String, what: Line| {
        text.push_str(&line);
        text.push('\n');
        lines.push(what);
    };
    push(&mut text, KEY.to_owned(), Line::Other);
    for (i, p) in policies.iter().enumerate() {
        push(&mut text, format!("policy \"p{i}\" {{"), Line::Policy(i));
        let action = if p.prevent { "prevent" } else { "issue" };
        push(&mut text, format!("  action {action}"), Line::Other);
        if p.prevent && p.strict {
            push(&mut text, "  on unknown prevent".into(), Line::Other);
        }
        if let Some(scope) = &p.scope {
            push(&mut text, format!("  scope {scope}"), Line::Other);
        }
        for (r, rule) in p.rules.iter().enumerate() {
            push(&mut text, format!("  trust {rule}"), Line::Rule(i, r));
        }
        push(&mut text, "}".into(), Line::Other);
    }
    (text, lines)
}

fn assets() -> Vec<Asset> {
    let mut out = Vec::new();
    for asset_type in [AssetType::Workload, AssetType::Vm] {
        for cluster in ["a", "ab", "b"] {
            for namespace in ["x", "y"] {
                for team in [None, Some("t")] {
                    let mut labels = BTreeMap::new();
                    if let Some(t) = team {
                        labels.insert("team".to_owned(), t.to_owned());
                    }
                    out.push(Asset {
                        asset_type,
                        cluster: cluster.into(),
                        namespace: namespace.into(),
                        name: "app".into(),
                        labels,
                        ..Asset::default()
                    });
                }
            }
        }
    }
    out
}

fn facts_variants() -> Vec<Option<ImageFacts>> {
    let scan = |critical, high, age: i64| Scan {
        scanner: Some("trivy".into()),
        finished_at: Some(witness::TIME - age),
        vulnerabilities: Some(Vulnerabilities {
            critical: Some(critical),
            high: Some(high),
            medium: None,
            low: None,
        }),
    };
    let labels = |pairs: &[(&str, &str)]| {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    };
    vec![
        None,
        Some(ImageFacts::default()),
        Some(ImageFacts {
            scanned: Some(true),
            scan: Some(scan(0, 0, 3_600)),
            labels: labels(&[("x", "y")]),
            base: Reference::parse("debian:12").ok(),
            signatures: Some(Vec::new()),
            ..ImageFacts::default()
        }),
        Some(ImageFacts {
            scanned: Some(true),
            scan: Some(scan(1, 3, 2 * 86_400)),
            labels: labels(&[]),
            base: Reference::parse("alpine:3").ok(),
            ..ImageFacts::default()
        }),
        Some(ImageFacts {
            scanned: Some(false),
            labels: labels(&[("x", "z")]),
            signatures: Some(Vec::new()),
            ..ImageFacts::default()
        }),
        Some(ImageFacts {
            scanned: Some(true),
            scan: Some(scan(0, 2, 0)),
            ..ImageFacts::default()
        }),
    ]
}

fn images() -> Vec<ImageInput> {
    let mut out = Vec::new();
    let facts = facts_variants();
    let mut n = 0usize;
    for registry in ["r1.io", "r2.io", "x.r"] {
        for repository in ["team/app", "app"] {
            for tag in ["1.0", "1.5", "2.0"] {
                for pinned in [false, true] {
                    let mut text = format!("{registry}/{repository}:{tag}");
                    if pinned {
                        text.push_str("@sha256:");
                        text.push_str(&"ab".repeat(32));
                    }
                    let reference = Reference::parse(&text).expect("a valid reference");
                    // Two facts variants per reference, turning through all of them.
                    for k in 0..2 {
                        out.push(ImageInput {
                            reference: reference.clone(),
                            facts: facts[(n + k * 3) % facts.len()].clone(),
                        });
                    }
                    n += 1;
                }
            }
        }
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|b| *b == b'\n').count()
}

fn trusted_prevented(engine: &Engine, asset: &Asset, image: &ImageInput) -> (bool, bool) {
    let mut cache = VerificationCache::new();
    let scope = engine.scope(asset);
    let v = engine.image_verdict(&scope, image, None, witness::TIME, &mut cache);
    (v.trusted, v.prevented)
}

fn without(set: &PolicySet, name: &str) -> PolicySet {
    let mut set = set.clone();
    set.policies.retain(|p| p.name != name);
    set
}

fn check(policies: &[PolicyGen]) -> Result<(), TestCaseError> {
    let (text, lines) = render(policies);
    let db = BonaDatabase::default();
    let file = SourceFile::new(&db, PathBuf::from("set.trust"), text.clone());
    let ws = Workspace::new(&db, vec![file]);
    let compiled = compile(&db, ws);
    if compiled.has_errors() {
        return Ok(());
    }
    let set = &compiled.set;
    let keys = KeyRing::from_defs(&set.keys).expect("the key loads");
    let images = images();
    let assets = assets();
    let engine = Engine::new(set.clone()).expect("an engine");
    for d in lint::findings(&db, compiled) {
        let line = lines[line_of(&text, d.span.start())];
        match (d.code, line) {
            (Code::L0001, Line::Rule(p, r)) => {
                let rule = &set.policies[p].rules[r];
                for image in &images {
                    let mut cache = VerificationCache::new();
                    let view = ImageView::of_input(image, None, witness::TIME);
                    let got = Evaluator::new(view, &keys, &mut cache).expr(rule);
                    prop_assert_ne!(got, Tri::True, "L0001 on p{} rule {}:\n{}", p, r, text);
                }
            }
            (Code::L0002, Line::Rule(p, r)) => {
                let full = &set.policies[p];
                let mut less = full.clone();
                less.rules.remove(r);
                for image in &images {
                    let mut cache = VerificationCache::new();
                    let view = ImageView::of_input(image, None, witness::TIME);
                    let mut eval = Evaluator::new(view, &keys, &mut cache);
                    let (a, b) = (eval.policy(full), eval.policy(&less));
                    prop_assert_eq!(a, b, "L0002 on p{} rule {}:\n{}", p, r, text);
                }
            }
            (Code::L0003, Line::Policy(p)) => {
                let name = format!("p{p}");
                let rest = Engine::new(without(set, &name)).expect("an engine");
                for asset in &assets {
                    for image in &images {
                        prop_assert_eq!(
                            trusted_prevented(&engine, asset, image),
                            trusted_prevented(&rest, asset, image),
                            "L0003 on {} for {:?} {}:\n{}",
                            name,
                            asset,
                            image.reference,
                            text
                        );
                    }
                }
            }
            (Code::L0004, Line::Policy(_)) => {}
            // A finding about what the rule says, not about what it decides: the rule names
            // `base` and none of the attributes that say where an image comes from.
            (Code::L0005, Line::Rule(p, r)) => {
                let rule = bona_runtime::ir_text::image_expr(&set.policies[p].rules[r], &set.keys);
                prop_assert!(
                    rule.contains("base"),
                    "L0005 on p{} rule {}:\n{}",
                    p,
                    r,
                    text
                );
                for origin in ["registry", "repository", "image matches", "signed by"] {
                    prop_assert!(
                        !rule.contains(origin),
                        "L0005 on p{} rule {}:\n{}",
                        p,
                        r,
                        text
                    );
                }
            }
            (code, line) => prop_assert!(false, "{code:?} at {line:?}:\n{text}"),
        }
    }
    // L0004: each example, decided by the whole engine.
    let mut m = lint::model(&db, compiled);
    for o in overridden::search(&mut m, set) {
        let prevent = m.policies[o.prevent].name().to_owned();
        for (j, example) in &o.by {
            let issue = m.policies[*j].name().to_owned();
            let mut stand_in = set.clone();
            for (id, key) in (0..).zip(stand_in.keys.iter_mut()) {
                if example.image.signed_by.contains(&id) {
                    key.signer = bona_runtime::ir::Signer::Key {
                        spki_der: witness::stand_in_spki(id).expect("a stand-in key"),
                        tlog: None,
                    };
                }
            }
            let engine = Engine::new(stand_in).expect("an engine");
            let input = AdmissionInput {
                time: Some(witness::TIME),
                asset: example.asset.clone(),
                images: vec![ImageInput {
                    reference: example.image.reference.clone(),
                    facts: example.image.facts.clone(),
                }],
            };
            let mut cache = VerificationCache::new();
            let decision = engine.evaluate(&input, None, witness::TIME, &mut cache);
            let image = &decision.images[0];
            let outcome = |name: &str| image.policies.iter().find(|p| p.policy == name);
            let (Some(p), Some(i)) = (outcome(&prevent), outcome(&issue)) else {
                return Err(TestCaseError::fail(format!(
                    "L0004 example outside a scope: {prevent} / {issue}:\n{text}"
                )));
            };
            prop_assert_eq!(p.action, Action::Prevent);
            prop_assert_eq!(p.resolved, Verdict::Untrusted, "{}", text);
            prop_assert_eq!(i.resolved, Verdict::Trusted, "{}", text);
            prop_assert_eq!(image.verdict, Verdict::Trusted, "{}", text);
            prop_assert!(!image.prevented);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_lint_finding_holds_under_the_runtime(policies in vec(policy(), 2..=4)) {
        check(&policies)?;
    }
}

/// The generator reaches every finding the properties check (else they would check nothing).
#[test]
fn the_generated_sets_produce_every_finding() {
    let set = |policies: &[(&str, bool, Option<&str>, &[&str])]| -> Vec<PolicyGen> {
        policies
            .iter()
            .map(|(_, prevent, scope, rules)| PolicyGen {
                prevent: *prevent,
                strict: false,
                scope: scope.map(str::to_owned),
                rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            })
            .collect()
    };
    let policies = set(&[
        (
            "p0",
            true,
            None,
            &[
                r#"registry matches "*.io""#,
                r#"(registry == "r1.io" and registry == "r2.io")"#,
                r#"registry == "r1.io""#,
            ],
        ),
        (
            "p1",
            true,
            Some(r#"cluster == "a""#),
            &[r#"(registry == "r1.io" and pinned)"#],
        ),
        ("p2", false, None, &["scanned"]),
    ]);
    let (text, _) = render(&policies);
    let db = BonaDatabase::default();
    let file = SourceFile::new(&db, PathBuf::from("set.trust"), text);
    let compiled = compile(&db, Workspace::new(&db, vec![file]));
    let mut codes: Vec<Code> = lint::findings(&db, compiled)
        .iter()
        .map(|d| d.code)
        .collect();
    codes.sort_by_key(|c| c.as_str());
    codes.dedup();
    assert_eq!(codes, [Code::L0001, Code::L0002, Code::L0003, Code::L0004]);
    check(&policies).expect("sound");
}
