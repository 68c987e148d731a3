//! One test per rule of docs/decisions.md, per bullet of docs/spec-map.md#details that concerns decisions, and the three
//! worked examples of 4.2, on IR values built by hand.
//!
//! Every admission goes through [`admit`], which also checks that the table (`evaluate`), the
//! interpreter (`interpret`) and the fast path (`verdict`, `image_verdict`) agree; every audit
//! through [`audit`], which checks the table against the interpreter.

use std::collections::BTreeMap;

use bona_runtime::Reference;
use bona_runtime::engine::Engine;
use bona_runtime::facts::{FactsDocument, ImageFacts, Scan, Signature, Vulnerabilities};
use bona_runtime::glob::Glob;
use bona_runtime::input::{
    AdmissionInput, Asset, AssetType, ImageInput, Inventory, InventoryAsset,
};
use bona_runtime::ir::{
    Action, AssetAtom, AssetAttr, AssetKind, CmpOp, EqOp, Expr, ImageAtom, ImageBoolAttr,
    ImageStrAttr, KeyDef, Policy, PolicySet, RefAttr, VulnSeverity,
};
use bona_runtime::output::{Audit, Decision, DecisionKind, PolicyResult, PostureReason, Verdict};
use bona_runtime::refpattern::ReferencePattern;
use bona_runtime::signature::{PublicKey, SIMPLE_SIGNING_TYPE, VerificationCache};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};

const NOW: i64 = 1_795_305_600; // 2026-11-22T00:00:00Z
const DIGEST: &str = "sha256:5544433322211100000000000000000000000000000000000000000000000000";
const OTHER: &str = "sha256:9999999999999999999999999999999999999999999999999999999999999999";

// ---------------------------------------------------------------------------------------------
// Builders.

fn reference(s: &str) -> Reference {
    Reference::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn image(s: &str) -> ImageInput {
    ImageInput::new(reference(s))
}

fn image_with(s: &str, facts: ImageFacts) -> ImageInput {
    ImageInput {
        reference: reference(s),
        facts: Some(facts),
    }
}

fn workload(namespace: &str, name: &str) -> Asset {
    Asset {
        asset_type: AssetType::Workload,
        cluster: "prod-eu-1".into(),
        namespace: namespace.into(),
        kind: "Deployment".into(),
        name: name.into(),
        ..Asset::default()
    }
}

fn policy(name: &str, action: Action, on_unknown: Action, rules: Vec<Expr<ImageAtom>>) -> Policy {
    Policy {
        name: name.into(),
        action,
        on_unknown,
        scope: None,
        rules,
        description: None,
    }
}

fn prevent(name: &str, rules: Vec<Expr<ImageAtom>>) -> Policy {
    policy(name, Action::Prevent, Action::Issue, rules)
}

fn strict(name: &str, rules: Vec<Expr<ImageAtom>>) -> Policy {
    policy(name, Action::Prevent, Action::Prevent, rules)
}

fn issue(name: &str, rules: Vec<Expr<ImageAtom>>) -> Policy {
    policy(name, Action::Issue, Action::Issue, rules)
}

fn scoped(mut p: Policy, scope: Expr<AssetAtom>) -> Policy {
    p.scope = Some(scope);
    p
}

fn atom(a: ImageAtom) -> Expr<ImageAtom> {
    Expr::Atom(a)
}

fn str_atom(attr: ImageStrAttr, op: EqOp, value: &str) -> Expr<ImageAtom> {
    atom(ImageAtom::Str {
        attr,
        op,
        value: value.into(),
    })
}

fn registry_is(value: &str) -> Expr<ImageAtom> {
    str_atom(ImageStrAttr::Registry, EqOp::Eq, value)
}

fn registry_in(values: &[&str]) -> Expr<ImageAtom> {
    atom(ImageAtom::In {
        attr: ImageStrAttr::Registry,
        values: values.iter().map(|s| (*s).to_owned()).collect(),
    })
}

fn tag(op: EqOp, value: &str) -> Expr<ImageAtom> {
    str_atom(ImageStrAttr::Tag, op, value)
}

fn glob(s: &str) -> Glob {
    Glob::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn pattern(s: &str) -> ReferencePattern {
    ReferencePattern::parse(s)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

fn image_matches(p: &str) -> Expr<ImageAtom> {
    atom(ImageAtom::RefMatches {
        attr: RefAttr::Image,
        patterns: vec![pattern(p)],
    })
}

fn base_matches(p: &str) -> Expr<ImageAtom> {
    atom(ImageAtom::RefMatches {
        attr: RefAttr::Base,
        patterns: vec![pattern(p)],
    })
}

fn base_is(value: &str) -> Expr<ImageAtom> {
    atom(ImageAtom::BaseEq {
        op: EqOp::Eq,
        value: reference(value).to_string(),
    })
}

fn scanned() -> Expr<ImageAtom> {
    atom(ImageAtom::Bool(ImageBoolAttr::Scanned))
}

fn pinned() -> Expr<ImageAtom> {
    atom(ImageAtom::Bool(ImageBoolAttr::Pinned))
}

fn not(e: Expr<ImageAtom>) -> Expr<ImageAtom> {
    Expr::Not(Box::new(e))
}

fn label(k: &str, op: EqOp, v: &str) -> Expr<ImageAtom> {
    str_atom(ImageStrAttr::Label(k.into()), op, v)
}

fn cluster_matches(g: &str) -> Expr<AssetAtom> {
    Expr::Atom(AssetAtom::Matches {
        attr: AssetAttr::Cluster,
        globs: vec![glob(g)],
    })
}

fn set(policies: Vec<Policy>) -> PolicySet {
    PolicySet {
        trust_roots: Vec::new(),
        keys: vec![],
        policies,
    }
}

fn engine(set: PolicySet) -> Engine {
    Engine::new(set).unwrap_or_else(|e| panic!("{e}"))
}

/// Decides with the table, checks the interpreter and the fast paths agree, returns the table's.
fn admit_with(
    engine: &Engine,
    asset: Asset,
    images: Vec<ImageInput>,
    facts: Option<&FactsDocument>,
) -> Decision {
    let input = AdmissionInput {
        time: Some(NOW),
        asset,
        images,
    };
    let mut cache = VerificationCache::new();
    let table = engine.evaluate(&input, facts, 0, &mut cache);
    let oracle = engine.interpret(&input, facts, 0, &mut VerificationCache::new());
    assert_eq!(table, oracle, "table and interpreter disagree");
    assert_eq!(engine.verdict(&input, facts, 0, &mut cache), table.decision);
    let scope = engine.scope(&input.asset);
    for (img, out) in input.images.iter().zip(&table.images) {
        let v = engine.image_verdict(&scope, img, facts, NOW, &mut cache);
        assert_eq!(
            v.trusted,
            out.verdict == Verdict::Trusted,
            "{}",
            out.reference
        );
        assert_eq!(v.prevented, out.prevented, "{}", out.reference);
    }
    table
}

fn admit(engine: &Engine, asset: Asset, images: Vec<ImageInput>) -> Decision {
    admit_with(engine, asset, images, None)
}

/// Audits with the table and checks the interpreter agrees.
fn audit(engine: &Engine, assets: Vec<(Asset, Vec<ImageInput>)>) -> Audit {
    let inventory = Inventory {
        time: Some(NOW),
        assets: assets
            .into_iter()
            .map(|(asset, images)| InventoryAsset { asset, images })
            .collect(),
    };
    let table = engine.audit(&inventory, None, 0, &mut VerificationCache::new());
    let oracle = engine.interpret_audit(&inventory, None, 0, &mut VerificationCache::new());
    assert_eq!(table, oracle, "table and interpreter disagree");
    table
}

fn reasons_of(d: &Decision, image: usize, policy: usize) -> Vec<String> {
    d.images
        .get(image)
        .and_then(|i| i.policies.get(policy))
        .map(|p| p.reasons.clone())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// docs/decisions.md: the three worked examples.

/// alpine `docker.io/library/alpine:1.2.3`, two prevent policies, one trusting registry
/// `docker.io`: allowed, no issues.
#[test]
fn cortex_example_1_alpine_allowed_by_one_of_two_prevent_policies() {
    let e = engine(set(vec![
        prevent("corporate only", vec![registry_is("registry.company.com")]),
        prevent("docker hub", vec![registry_is("docker.io")]),
    ]));
    let d = admit(
        &e,
        workload("payments", "api"),
        vec![image("docker.io/library/alpine:1.2.3")],
    );
    assert_eq!(d.decision, DecisionKind::Allow);
    assert_eq!(d.images.first().map(|i| i.verdict), Some(Verdict::Trusted));
    assert!(d.issues.is_empty());
    let posture = audit(
        &e,
        vec![(workload("payments", "api"), vec![image("alpine:1.2.3")])],
    );
    assert!(posture.issues.is_empty());
}

fn cortex_2_and_3(on_unknown: Action) -> (Engine, ImageInput) {
    let e = engine(set(vec![
        policy(
            "policy 1",
            Action::Prevent,
            on_unknown,
            vec![image_matches("production/alpine:1.2.3")],
        ),
        issue("policy 2", vec![base_is("base1")]),
        issue("policy 3", vec![scanned()]),
    ]));
    let img = image_with(
        &format!("production/alpine@{DIGEST}"),
        ImageFacts {
            base: Some(reference("base2")),
            ..ImageFacts::default()
        },
    );
    (e, img)
}

/// `production/alpine@sha256:554443…` (base `base2`), policy 1 prevent with `image matches
/// "production/alpine:1.2.3"` and `on unknown prevent`, policy 2 issue trusting `base ==
/// "base1"`, policy 3 issue trusting `scanned`: prevented, one runtime security issue, no
/// posture issue.
#[test]
fn cortex_example_2_unknown_tag_prevented() {
    let (e, img) = cortex_2_and_3(Action::Prevent);
    let d = admit(&e, workload("payments", "api"), vec![img]);
    assert_eq!(d.decision, DecisionKind::Prevent);
    let i = d.images.first().unwrap_or_else(|| panic!("one image"));
    assert_eq!(i.verdict, Verdict::Untrusted);
    assert!(i.prevented);
    let results: Vec<(PolicyResult, Verdict)> =
        i.policies.iter().map(|p| (p.result, p.resolved)).collect();
    assert_eq!(
        results,
        [
            (PolicyResult::Unknown, Verdict::Untrusted),
            (PolicyResult::Untrusted, Verdict::Untrusted),
            (PolicyResult::Unknown, Verdict::Untrusted),
        ]
    );
    assert_eq!(
        reasons_of(&d, 0, 0),
        ["tag is unknown: the reference has only a digest and no facts give its tags"]
    );
    assert_eq!(d.issues.len(), 1);
    let issue = d.issues.first().unwrap_or_else(|| panic!("one issue"));
    assert_eq!(issue.policies, ["policy 1", "policy 2", "policy 3"]);
    assert!(issue.prevented);
    assert_eq!(
        issue.title,
        "Untrusted image prevented in Kubernetes workload payments/api"
    );
    assert_eq!(
        issue.description,
        format!(
            "Kubernetes workload payments/api uses the image docker.io/production/alpine@{DIGEST}, \
             which no trusted image policy in scope trusts (policy 1, policy 2, policy 3)."
        )
    );
    // "No posture issue": the decision has none; the type has no place for one.
    let json = serde_json::to_string(&d).unwrap_or_default();
    assert!(!json.contains("posture"));
}

/// The same with policy 1 `on unknown issue`: allowed, no runtime security issue.
#[test]
fn cortex_example_3_on_unknown_issue_allows() {
    let (e, img) = cortex_2_and_3(Action::Issue);
    let d = admit(&e, workload("payments", "api"), vec![img.clone()]);
    assert_eq!(d.decision, DecisionKind::Allow);
    assert_eq!(d.images.first().map(|i| i.verdict), Some(Verdict::Trusted));
    assert!(d.issues.is_empty());
    // The next audit files: policy 1 (4.5, missing information), policy 2 (untrusted), policy 3
    // (missing information).
    let a = audit(&e, vec![(workload("payments", "api"), vec![img])]);
    let got: Vec<(&str, PostureReason)> = a
        .issues
        .iter()
        .map(|i| (i.policy.as_str(), i.reason))
        .collect();
    assert_eq!(
        got,
        [
            ("policy 1", PostureReason::MissingInformation),
            ("policy 2", PostureReason::Untrusted),
            ("policy 3", PostureReason::MissingInformation),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// docs/decisions.md rules.

/// Rule 1: no applicable policy: every image is trusted, `allow`, no issues, `policies: []`.
#[test]
fn rule_1_no_applicable_policy() {
    let e = engine(set(vec![scoped(
        strict("prod", vec![registry_is("registry.company.com")]),
        cluster_matches("staging-*"),
    )]));
    let d = admit(
        &e,
        workload("payments", "api"),
        vec![image("nginx:1.27"), image("evil.io/x")],
    );
    assert_eq!(d.decision, DecisionKind::Allow);
    assert!(d.issues.is_empty());
    for i in &d.images {
        assert_eq!(i.verdict, Verdict::Trusted);
        assert!(!i.prevented);
        assert!(i.policies.is_empty());
    }
    let json = serde_json::to_string(&d).unwrap_or_default();
    assert!(json.contains(r#""policies":[]"#));
    // An empty policy set is the same.
    let empty = engine(PolicySet::default());
    let d = admit(&empty, workload("payments", "api"), vec![image("nginx")]);
    assert_eq!(d.decision, DecisionKind::Allow);
    assert!(
        audit(&empty, vec![(workload("a", "b"), vec![image("nginx")])])
            .issues
            .is_empty()
    );
}

/// Rule 2: v(p, i) is the tri-state `or` of the rules; a policy with no rules is untrusted.
#[test]
fn rule_2_verdict_is_the_or_of_the_rules() {
    let e = engine(set(vec![
        issue(
            "any",
            vec![registry_is("x.io"), scanned(), registry_is("docker.io")],
        ),
        issue("none", vec![]),
        issue("unknown", vec![registry_is("x.io"), scanned()]),
    ]));
    let d = admit(&e, workload("a", "b"), vec![image("nginx:1")]);
    let results: Vec<PolicyResult> = d
        .images
        .iter()
        .flat_map(|i| i.policies.iter().map(|p| p.result))
        .collect();
    assert_eq!(
        results,
        [
            PolicyResult::Trusted,
            PolicyResult::Untrusted,
            PolicyResult::Unknown
        ]
    );
    assert_eq!(reasons_of(&d, 0, 1), ["the policy has no trust rule"]);
    assert_eq!(reasons_of(&d, 0, 0), Vec::<String>::new());
}

/// Rule 2: resolution of unknown: prevent/on unknown issue → trusted; prevent/on unknown
/// prevent → untrusted; issue → untrusted.
#[test]
fn rule_2_resolution_of_unknown() {
    for (p, resolved) in [
        (prevent("p", vec![scanned()]), Verdict::Trusted),
        (strict("p", vec![scanned()]), Verdict::Untrusted),
        (issue("p", vec![scanned()]), Verdict::Untrusted),
    ] {
        let e = engine(set(vec![p]));
        let d = admit(&e, workload("a", "b"), vec![image("nginx:1")]);
        let out = d
            .images
            .first()
            .and_then(|i| i.policies.first())
            .unwrap_or_else(|| panic!("one policy"));
        assert_eq!(out.result, PolicyResult::Unknown);
        assert_eq!(out.resolved, resolved);
        assert_eq!(out.reasons, ["scanned is unknown: no facts for this image"]);
    }
}

/// Rule 3: allow wins, whatever the trusting policy's action; order never matters.
#[test]
fn rule_3_allow_wins_and_order_does_not_matter() {
    let a = issue("a lenient audit", vec![registry_is("docker.io")]);
    let b = strict("b strict", vec![registry_is("registry.company.com")]);
    let d1 = admit(
        &engine(set(vec![a.clone(), b.clone()])),
        workload("x", "y"),
        vec![image("nginx")],
    );
    let d2 = admit(
        &engine(set(vec![b, a])),
        workload("x", "y"),
        vec![image("nginx")],
    );
    assert_eq!(d1, d2);
    assert_eq!(d1.decision, DecisionKind::Allow);
    assert_eq!(d1.images.first().map(|i| i.verdict), Some(Verdict::Trusted));
    assert!(d1.issues.is_empty());
}

/// Rule 4: prevented iff not trusted and S(A) holds a prevent policy; otherwise an untrusted
/// image is allowed, with issues.
#[test]
fn rule_4_prevented_needs_a_prevent_policy() {
    let only_issue = engine(set(vec![issue("audit", vec![registry_is("x.io")])]));
    let d = admit(&only_issue, workload("a", "b"), vec![image("nginx")]);
    assert_eq!(d.decision, DecisionKind::Allow);
    assert_eq!(
        d.images.first().map(|i| (i.verdict, i.prevented)),
        Some((Verdict::Untrusted, false))
    );
    assert_eq!(d.issues.len(), 1);
    assert!(d.issues.iter().all(|i| !i.prevented));
    assert_eq!(
        d.issues.first().map(|i| i.title.as_str()),
        Some("Untrusted image deployed in Kubernetes workload a/b")
    );
    // A prevent policy that applies, even one trusting nothing of this, makes it prevented.
    let with_prevent = engine(set(vec![
        issue("audit", vec![registry_is("x.io")]),
        prevent("gate", vec![registry_is("y.io")]),
    ]));
    let d = admit(&with_prevent, workload("a", "b"), vec![image("nginx")]);
    assert_eq!(d.decision, DecisionKind::Prevent);
    assert_eq!(d.images.first().map(|i| i.prevented), Some(true));
}

/// Rule 5: one prevented image blocks the whole workload.
#[test]
fn rule_5_one_prevented_image_blocks_the_workload() {
    let e = engine(set(vec![prevent(
        "corp",
        vec![registry_is("registry.company.com")],
    )]));
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            image("registry.company.com/app:1"),
            image("nginx"),
            image("registry.company.com/db:2"),
        ],
    );
    assert_eq!(d.decision, DecisionKind::Prevent);
    let flags: Vec<bool> = d.images.iter().map(|i| i.prevented).collect();
    assert_eq!(flags, [false, true, false]);
}

/// Rule 6: exactly one runtime issue per image that is not trusted, naming every applicable
/// policy in name order; none for a trusted image; issues follow the images' order.
#[test]
fn rule_6_one_runtime_issue_per_untrusted_image() {
    let e = engine(set(vec![
        prevent("zeta", vec![registry_is("z.io")]),
        issue("alpha", vec![registry_is("a.io")]),
        scoped(prevent("elsewhere", vec![]), cluster_matches("dev-*")),
    ]));
    let d = admit(
        &e,
        workload("payments", "api"),
        vec![image("nginx"), image("a.io/ok"), image("quay.io/x/y:2")],
    );
    let issued: Vec<(&str, Vec<String>)> = d
        .issues
        .iter()
        .map(|i| (i.image.as_str(), i.policies.clone()))
        .collect();
    assert_eq!(
        issued,
        [
            (
                "docker.io/library/nginx:latest",
                vec!["alpha".to_owned(), "zeta".to_owned()]
            ),
            ("quay.io/x/y:2", vec!["alpha".to_owned(), "zeta".to_owned()]),
        ]
    );
    assert_eq!(
        d.issues.first().map(|i| i.description.as_str()),
        Some(
            "Kubernetes workload payments/api uses the image docker.io/library/nginx:latest, \
             which no trusted image policy in scope trusts (alpha, zeta)."
        )
    );
}

/// Rule 7, first bullet: each issue policy with r = untrusted files one posture issue, reason
/// `untrusted`, or `missing-information` when v was unknown — even when another policy trusts
/// the image.
#[test]
fn rule_7_issue_policies_file_posture_issues() {
    let e = engine(set(vec![
        issue("b scanned", vec![scanned()]),
        issue("a registry", vec![registry_is("x.io")]),
        issue("c trusts", vec![registry_is("docker.io")]),
    ]));
    let a = audit(&e, vec![(workload("ns", "w"), vec![image("nginx")])]);
    let got: Vec<(&str, PostureReason)> = a
        .issues
        .iter()
        .map(|i| (i.policy.as_str(), i.reason))
        .collect();
    assert_eq!(
        got,
        [
            ("a registry", PostureReason::Untrusted),
            ("b scanned", PostureReason::MissingInformation),
        ]
    );
    let first = a.issues.first().unwrap_or_else(|| panic!("issues"));
    assert_eq!(
        first.title,
        "Untrusted image running in Kubernetes workload ns/w"
    );
    assert_eq!(
        first.description,
        "Kubernetes workload ns/w is running the image docker.io/library/nginx:latest that does \
         not comply with the trust criteria defined in the Trusted Images policy a registry."
    );
}

/// Rule 7, second bullet: prevent policies file only when the image is not trusted.
#[test]
fn rule_7_prevent_policies_file_only_for_untrusted_images() {
    let e = engine(set(vec![
        strict("gate", vec![registry_is("x.io")]),
        strict("strict unknown", vec![scanned()]),
    ]));
    let a = audit(
        &e,
        vec![(workload("ns", "w"), vec![image("nginx"), image("x.io/app")])],
    );
    let got: Vec<(&str, &str, PostureReason)> = a
        .issues
        .iter()
        .map(|i| (i.image.as_str(), i.policy.as_str(), i.reason))
        .collect();
    assert_eq!(
        got,
        [
            (
                "docker.io/library/nginx:latest",
                "gate",
                PostureReason::Untrusted
            ),
            (
                "docker.io/library/nginx:latest",
                "strict unknown",
                PostureReason::MissingInformation
            ),
        ]
    );
}

/// Rule 7 order: assets in input order, then images, then policy name; asset object shape.
#[test]
fn rule_7_order_and_shape() {
    let e = engine(set(vec![issue("b", vec![]), issue("a", vec![])]));
    let vm = Asset {
        asset_type: AssetType::Vm,
        name: "vm-1".into(),
        cloud: "aws".into(),
        ..Asset::default()
    };
    let a = audit(
        &e,
        vec![
            (workload("z", "w"), vec![image("nginx"), image("alpine")]),
            (vm, vec![image("redis")]),
        ],
    );
    let got: Vec<(String, &str, &str)> = a
        .issues
        .iter()
        .map(|i| (i.asset.name.clone(), i.image.as_str(), i.policy.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("w".to_owned(), "docker.io/library/nginx:latest", "a"),
            ("w".to_owned(), "docker.io/library/nginx:latest", "b"),
            ("w".to_owned(), "docker.io/library/alpine:latest", "a"),
            ("w".to_owned(), "docker.io/library/alpine:latest", "b"),
            ("vm-1".to_owned(), "docker.io/library/redis:latest", "a"),
            ("vm-1".to_owned(), "docker.io/library/redis:latest", "b"),
        ]
    );
    let last = serde_json::to_string(a.issues.last().unwrap_or_else(|| panic!("issues")))
        .unwrap_or_default();
    assert!(last.starts_with(
        r#"{"type":"posture","asset":{"type":"vm","cloud":"aws","cluster":"","namespace":"","kind":"","name":"vm-1"},"image":"docker.io/library/redis:latest","policy":"b","reason":"untrusted","title":"Untrusted image running in Virtual machine vm-1","#
    ));
}

// ---------------------------------------------------------------------------------------------
// docs/spec-map.md#details bullets.

/// 4.5 "Posture issues": a prevent policy with `on unknown issue` whose verdict is unknown lets
/// the image run and still files one posture issue, reason missing-information, at every
/// audit — also when another policy trusts the image (see docs/choices.md, "Decisions").
#[test]
fn spec_4_5_prevent_on_unknown_issue_files_missing_information() {
    let e = engine(set(vec![
        prevent("lenient", vec![scanned()]),
        prevent("hub", vec![registry_is("docker.io")]),
    ]));
    let d = admit(&e, workload("ns", "w"), vec![image("nginx")]);
    assert_eq!(d.decision, DecisionKind::Allow);
    assert!(d.issues.is_empty());
    let a = audit(&e, vec![(workload("ns", "w"), vec![image("nginx")])]);
    let got: Vec<(&str, PostureReason)> = a
        .issues
        .iter()
        .map(|i| (i.policy.as_str(), i.reason))
        .collect();
    assert_eq!(got, [("lenient", PostureReason::MissingInformation)]);
    assert_eq!(
        a.issues.first().map(|i| i.description.as_str()),
        Some(
            "Kubernetes workload ns/w is running the image docker.io/library/nginx:latest. \
             Information is missing to determine compliance with the trust criteria defined in \
             the Trusted Images policy lenient."
        )
    );
}

/// 4.5 "Printed references": normalised, `:latest` added with neither tag nor digest.
#[test]
fn spec_4_5_printed_references_are_normalised() {
    let e = engine(set(vec![prevent("p", vec![registry_is("x.io")])]));
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            image("nginx"),
            image("Index.Docker.IO/team/app:1"),
            image(&format!("alpine@{DIGEST}")),
        ],
    );
    let refs: Vec<&str> = d.images.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(
        refs,
        [
            "docker.io/library/nginx:latest".to_owned(),
            "docker.io/team/app:1".to_owned(),
            format!("docker.io/library/alpine@{DIGEST}"),
        ]
    );
}

/// 4.5 "Registries": host names, compared case-insensitively.
#[test]
fn spec_4_5_registries_ignore_case() {
    let e = engine(set(vec![prevent(
        "corp",
        vec![
            registry_is("Registry.Company.com"),
            atom(ImageAtom::Matches {
                attr: ImageStrAttr::Registry,
                globs: vec![glob("*.MIRROR.io")],
            }),
        ],
    )]));
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            image("REGISTRY.company.com/app:1"),
            image("eu.mirror.io/app:1"),
            image("nginx"),
        ],
    );
    let v: Vec<Verdict> = d.images.iter().map(|i| i.verdict).collect();
    assert_eq!(v, [Verdict::Trusted, Verdict::Trusted, Verdict::Untrusted]);
    assert_eq!(
        reasons_of(&d, 2, 0),
        [
            "registry is `docker.io`, the rule needs `Registry.Company.com`",
            "registry is `docker.io`, the rule needs a match for `*.MIRROR.io`",
        ]
    );
}

/// 4.5 "Patterns": normalised literally; `**` needs at least the `/`.
#[test]
fn spec_4_5_patterns_normalise_literally() {
    let e = engine(set(vec![
        prevent("star", vec![image_matches("*")]),
        prevent("team", vec![image_matches("quay.io/team/**")]),
    ]));
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            image("nginx"),
            image("bitnami/redis"),
            image("quay.io/team"),
            image("quay.io/team/a/b"),
        ],
    );
    let v: Vec<Verdict> = d.images.iter().map(|i| i.verdict).collect();
    assert_eq!(
        v,
        [
            Verdict::Trusted,
            Verdict::Untrusted,
            Verdict::Untrusted,
            Verdict::Trusted
        ]
    );
    assert_eq!(
        reasons_of(&d, 1, 0),
        [
            "image is `docker.io/bitnami/redis:latest`, the rule needs a match for `docker.io/library/*`"
        ]
    );
}

/// 4.5 "base": literals normalised; `base matches P` part by part, no tag in P: any tag.
#[test]
fn spec_4_5_base_is_a_reference() {
    let e = engine(set(vec![
        issue("eq", vec![base_is("debian:12")]),
        issue(
            "matches",
            vec![base_matches("registry.company.com/base/**")],
        ),
        issue(
            "tagged",
            vec![base_matches("registry.company.com/base/**:12")],
        ),
    ]));
    let with_base = |b: &str| {
        image_with(
            "registry.company.com/app:1",
            ImageFacts {
                base: Some(reference(b)),
                ..ImageFacts::default()
            },
        )
    };
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            with_base("docker.io/library/debian:12"),
            with_base("registry.company.com/base/debian:13"),
            with_base(&format!("registry.company.com/base/debian@{DIGEST}")),
            image("registry.company.com/app:1"),
        ],
    );
    let results: Vec<Vec<PolicyResult>> = d
        .images
        .iter()
        .map(|i| i.policies.iter().map(|p| p.result).collect())
        .collect();
    use PolicyResult::{Trusted as T, Unknown as U, Untrusted as F};
    assert_eq!(
        results,
        [vec![T, F, F], vec![F, T, F], vec![F, T, U], vec![U, U, U]]
    );
    assert_eq!(
        reasons_of(&d, 3, 0),
        ["base is unknown: no facts for this image"]
    );
    assert_eq!(
        reasons_of(&d, 2, 2),
        [format!(
            "the tag of base `registry.company.com/base/debian@{DIGEST}` is unknown: the base \
             reference has only a digest"
        )]
    );
}

/// 4.5 "Several known tags": `tag != "latest"` and `not (tag == "latest")` differ; `tags: []`
/// makes every tag comparison and every tagged `image matches` false.
#[test]
fn spec_4_5_several_known_tags() {
    let e = engine(set(vec![
        issue("ne", vec![tag(EqOp::Ne, "latest")]),
        issue("not eq", vec![not(tag(EqOp::Eq, "latest"))]),
        issue("pattern", vec![image_matches("alpine:1.*")]),
        issue("untagged pattern", vec![image_matches("alpine")]),
    ]));
    let with_tags = |tags: Vec<&str>| {
        image_with(
            &format!("alpine@{DIGEST}"),
            ImageFacts {
                tags: Some(tags.into_iter().map(str::to_owned).collect()),
                ..ImageFacts::default()
            },
        )
    };
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            with_tags(vec!["latest", "1.4.2"]),
            with_tags(vec![]),
            image(&format!("alpine@{DIGEST}")),
        ],
    );
    let results: Vec<Vec<PolicyResult>> = d
        .images
        .iter()
        .map(|i| i.policies.iter().map(|p| p.result).collect())
        .collect();
    use PolicyResult::{Trusted as T, Unknown as U, Untrusted as F};
    // Policies in name order: ne, not eq, pattern, untagged pattern.
    assert_eq!(
        results,
        [vec![T, F, T, T], vec![F, T, F, T], vec![U, U, U, T]]
    );
    assert_eq!(
        reasons_of(&d, 0, 1),
        ["tags are `latest`, `1.4.2`, the rule needs none of them to be `latest`"]
    );
    assert_eq!(
        reasons_of(&d, 1, 0),
        ["the facts list no tags, the rule needs a tag that is anything but `latest`"]
    );
}

/// 4.5 "Labels": a missing key of known labels is unequal to everything; without `labels` in
/// the facts every image label is unknown. Asset labels likewise in scopes.
#[test]
fn spec_4_5_labels() {
    let team = |op| label("team", op, "pay");
    let team_in = atom(ImageAtom::In {
        attr: ImageStrAttr::Label("team".into()),
        values: vec!["pay".into()],
    });
    let team_matches = atom(ImageAtom::Matches {
        attr: ImageStrAttr::Label("team".into()),
        globs: vec![glob("*")],
    });
    let e = engine(set(vec![
        issue("1 eq", vec![team(EqOp::Eq)]),
        issue("2 ne", vec![team(EqOp::Ne)]),
        issue("3 in", vec![team_in]),
        issue("4 matches", vec![team_matches]),
    ]));
    let labelled = |labels: &[(&str, &str)]| {
        image_with(
            "nginx:1",
            ImageFacts {
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect::<BTreeMap<_, _>>(),
                ),
                ..ImageFacts::default()
            },
        )
    };
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            labelled(&[("other", "x")]),
            labelled(&[("team", "pay")]),
            image_with("nginx:1", ImageFacts::default()),
        ],
    );
    let results: Vec<Vec<PolicyResult>> = d
        .images
        .iter()
        .map(|i| i.policies.iter().map(|p| p.result).collect())
        .collect();
    use PolicyResult::{Trusted as T, Unknown as U, Untrusted as F};
    assert_eq!(
        results,
        [vec![F, T, F, F], vec![T, F, T, T], vec![U, U, U, U]]
    );
    assert_eq!(
        reasons_of(&d, 0, 0),
        ["label `team` is not set, the rule needs `pay`"]
    );
    assert_eq!(
        reasons_of(&d, 2, 0),
        ["label `team` is unknown: the facts give no labels"]
    );

    // Asset labels in a scope: missing compares unequal.
    let scope_ne = Expr::Atom(AssetAtom::Str {
        attr: AssetAttr::Label("tier".into()),
        op: EqOp::Ne,
        value: "gold".into(),
    });
    let e = engine(set(vec![scoped(strict("not gold", vec![]), scope_ne)]));
    let d = admit(&e, workload("a", "b"), vec![image("nginx")]);
    assert_eq!(d.decision, DecisionKind::Prevent);
    let mut gold = workload("a", "b");
    gold.labels.insert("tier".into(), "gold".into());
    assert_eq!(
        admit(&e, gold, vec![image("nginx")]).decision,
        DecisionKind::Allow
    );
}

fn payload(digest: &str) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"registry.company.com/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{SIMPLE_SIGNING_TYPE}"}},"optional":null}}"#
    )
    .into_bytes()
}

fn sign(key: &SigningKey, digest: &str) -> Signature {
    let payload = payload(digest);
    let sig: EcdsaSignature = key.sign(&payload);
    Signature {
        payload,
        signature: sig.to_der().as_bytes().to_vec(),
        evidence: None,
    }
}

/// 4.5 "Signatures": true / false / unknown, with keys the test generates.
#[test]
fn spec_4_5_signatures() {
    let release = SigningKey::random(&mut rand_core::OsRng);
    let stranger = SigningKey::random(&mut rand_core::OsRng);
    let public =
        PublicKey::from_verifying_key(*release.verifying_key()).unwrap_or_else(|e| panic!("{e}"));
    let e = engine(PolicySet {
        trust_roots: Vec::new(),
        keys: vec![KeyDef::key("release", public.to_spki_der())],
        policies: vec![prevent(
            "signed",
            vec![atom(ImageAtom::SignedBy { key: 0 })],
        )],
    });
    let signed = |r: &str, sigs: Option<Vec<Signature>>, digest: Option<&str>| {
        image_with(
            r,
            ImageFacts {
                signatures: sigs,
                digest: digest.map(str::to_owned),
                ..ImageFacts::default()
            },
        )
    };
    let pinned_ref = format!("registry.company.com/app@{DIGEST}");
    let d = admit(
        &e,
        workload("a", "b"),
        vec![
            signed(&pinned_ref, Some(vec![sign(&release, DIGEST)]), None),
            signed(
                &pinned_ref,
                Some(vec![sign(&stranger, DIGEST), sign(&stranger, OTHER)]),
                None,
            ),
            signed(&pinned_ref, Some(vec![sign(&release, OTHER)]), None),
            signed(&pinned_ref, Some(vec![]), None),
            signed(&pinned_ref, None, None),
            signed(
                "registry.company.com/app:1",
                Some(vec![sign(&release, DIGEST)]),
                None,
            ),
            signed(
                "registry.company.com/app:1",
                Some(vec![sign(&release, DIGEST)]),
                Some(DIGEST),
            ),
        ],
    );
    let results: Vec<PolicyResult> = d
        .images
        .iter()
        .filter_map(|i| i.policies.first().map(|p| p.result))
        .collect();
    use PolicyResult::{Trusted as T, Unknown as U, Untrusted as F};
    assert_eq!(results, [T, F, F, F, U, U, T]);
    let reasons: Vec<Vec<String>> = (1..6).map(|i| reasons_of(&d, i, 0)).collect();
    assert_eq!(
        reasons,
        [
            vec!["not signed by `release`: none of 2 signatures verifies under the key".to_owned()],
            vec![format!(
                "not signed by `release`: the signature verifies under the key but names another \
                 image than the digest `{DIGEST}`"
            )],
            vec!["not signed by `release`: the facts list no signatures".to_owned()],
            vec!["signed by `release` is unknown: the facts give no signatures".to_owned()],
            vec![
                "signed by `release` is unknown: a signature verifies under the key but the \
                 image's digest is unknown"
                    .to_owned()
            ],
        ]
    );
}

/// 4.5 "Facts lookup": inline facts win; the document is searched by digest, then full
/// reference; a digest-only reference never takes the facts of `REPO:latest`. A `scan.age` of a
/// scan finished after `time` is 0.
#[test]
fn spec_4_5_facts_lookup_and_scan_age() {
    let doc = FactsDocument::from_json(
        format!(
            r#"{{"images": {{
                "{DIGEST}": {{"scanned": true}},
                "docker.io/library/nginx:1.27": {{"scanned": false}},
                "docker.io/library/alpine:latest": {{"scanned": true}},
                "docker.io/library/redis:7": {{"scan": {{"finished_at": "2026-11-23T00:00:00Z"}}}}
            }}}}"#
        )
        .as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = engine(set(vec![issue(
        "fresh",
        vec![
            scanned(),
            atom(ImageAtom::ScanAge {
                op: CmpOp::Le,
                seconds: 0,
            }),
        ],
    )]));
    let d = admit_with(
        &e,
        workload("a", "b"),
        vec![
            image(&format!("quay.io/x/y:1@{DIGEST}")),
            image("nginx:1.27"),
            image_with(
                "nginx:1.27",
                ImageFacts {
                    scanned: Some(true),
                    ..ImageFacts::default()
                },
            ),
            image(&format!("alpine@{OTHER}")),
            image("redis:7"),
        ],
        Some(&doc),
    );
    let results: Vec<PolicyResult> = d
        .images
        .iter()
        .filter_map(|i| i.policies.first().map(|p| p.result))
        .collect();
    use PolicyResult::{Trusted as T, Unknown as U};
    // Digest key; reference key says not scanned and has no scan (age unknown); inline wins;
    // digest-only alpine does not take alpine:latest; redis' scan finished after `time`.
    assert_eq!(results, [T, U, T, U, T]);
    assert_eq!(
        reasons_of(&d, 1, 0),
        ["scan.age is unknown: the facts give no scan.finished_at"]
    );
    assert_eq!(
        reasons_of(&d, 3, 0),
        [
            "scanned is unknown: no facts for this image",
            "scan.age is unknown: no facts for this image"
        ]
    );
}

/// 4.5 "Assets": absent type is workload; prevention applies to VMs too; issue texts name them.
#[test]
fn spec_4_5_assets() {
    let is_vm = Expr::Atom(AssetAtom::Type {
        op: EqOp::Eq,
        value: AssetKind::Vm,
    });
    let e = engine(set(vec![scoped(strict("vms", vec![]), is_vm)]));
    let vm = Asset {
        asset_type: AssetType::Vm,
        name: "db-1".into(),
        ..Asset::default()
    };
    let d = admit(&e, vm, vec![image("postgres:16")]);
    assert_eq!(d.decision, DecisionKind::Prevent);
    assert_eq!(
        d.issues.first().map(|i| i.title.as_str()),
        Some("Untrusted image prevented in Virtual machine db-1")
    );
    assert_eq!(Asset::default().asset_type, AssetType::Workload);
    let d = admit(&e, Asset::default(), vec![image("postgres:16")]);
    assert_eq!(d.decision, DecisionKind::Allow);
}

/// 4.5 "Order": `policies` by name in code-point order, whatever the set's order.
#[test]
fn spec_4_5_policies_in_code_point_order() {
    let names = ["b", "B", "a", "ä", "A b"];
    let e = engine(set(names.iter().map(|n| issue(n, vec![])).collect()));
    let d = admit(&e, workload("a", "b"), vec![image("nginx")]);
    let got: Vec<&str> = d
        .images
        .iter()
        .flat_map(|i| i.policies.iter().map(|p| p.policy.as_str()))
        .collect();
    assert_eq!(got, ["A b", "B", "a", "b", "ä"]);
}

/// docs/language.md#three-valued-logic through the decision: `x or not x` stays unknown, so it does not trust.
#[test]
fn excluded_middle_does_not_trust() {
    let e = engine(set(vec![strict(
        "tautology?",
        vec![Expr::Or(vec![
            tag(EqOp::Eq, "1.0"),
            not(tag(EqOp::Eq, "1.0")),
        ])],
    )]));
    let d = admit(
        &e,
        workload("a", "b"),
        vec![image(&format!("alpine@{DIGEST}"))],
    );
    assert_eq!(d.decision, DecisionKind::Prevent);
    assert_eq!(
        d.images
            .first()
            .and_then(|i| i.policies.first())
            .map(|p| p.result),
        Some(PolicyResult::Unknown)
    );
}

/// Reasons for the brief's canonical cases: a failed registry list, pinned, vulns.
#[test]
fn reasons_name_the_atom_and_what_would_hold() {
    let e = engine(set(vec![strict(
        "production images",
        vec![
            Expr::And(vec![
                registry_in(&["registry.company.com", "mirror.company.com"]),
                pinned(),
            ]),
            Expr::And(vec![
                scanned(),
                atom(ImageAtom::Vulns {
                    severity: VulnSeverity::Critical,
                    op: CmpOp::Eq,
                    value: 0,
                }),
                atom(ImageAtom::ScanAge {
                    op: CmpOp::Lt,
                    seconds: 7 * 86_400,
                }),
            ]),
        ],
    )]));
    let facts = ImageFacts {
        scanned: Some(true),
        scan: Some(Scan {
            scanner: Some("trivy".into()),
            finished_at: Some(NOW - 9 * 86_400 - 3 * 3_600),
            vulnerabilities: Some(Vulnerabilities {
                critical: Some(2),
                ..Vulnerabilities::default()
            }),
        }),
        ..ImageFacts::default()
    };
    let d = admit(&e, workload("a", "b"), vec![image_with("nginx:1", facts)]);
    assert_eq!(
        reasons_of(&d, 0, 0),
        [
            "registry is `docker.io`, the rule needs one of `registry.company.com`, \
             `mirror.company.com`",
            "not pinned: the reference carries no digest, the rule needs one",
            "vulns.critical is 2, the rule needs `== 0`",
            "scan.age is 9d 3h, the rule needs `< 7d`",
        ]
    );
    // A trusted result has no reasons.
    let ok = admit(
        &e,
        workload("a", "b"),
        vec![image(&format!("registry.company.com/a@{DIGEST}"))],
    );
    assert_eq!(reasons_of(&ok, 0, 0), Vec::<String>::new());
}

/// Engine construction refuses what would make decisions ill-defined.
#[test]
fn engine_refuses_duplicate_names_and_unknown_keys() {
    let dup = Engine::new(set(vec![issue("p", vec![]), issue("p", vec![])]));
    assert!(dup.is_err_and(|e| e.to_string() == "two policies are named `p`"));
    let unknown = Engine::new(set(vec![issue(
        "p",
        vec![atom(ImageAtom::SignedBy { key: 3 })],
    )]));
    assert!(unknown.is_err_and(|e| e.to_string().contains("key #3")));
    let bad_key = Engine::new(PolicySet {
        trust_roots: Vec::new(),
        keys: vec![KeyDef::key("k", vec![1, 2, 3])],
        policies: vec![],
    });
    assert!(bad_key.is_err_and(|e| e.to_string().starts_with("key `k`:")));
}

/// The bundle round trip gives an engine that decides the same.
#[test]
fn bundle_round_trip_decides_the_same() {
    let (e, img) = cortex_2_and_3(Action::Prevent);
    let bytes = bona_runtime::bundle::write_bundle(e.policy_set());
    let loaded = Engine::from_bundle(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let a = admit(&e, workload("a", "b"), vec![img.clone()]);
    let b = admit(&loaded, workload("a", "b"), vec![img]);
    assert_eq!(a, b);
}

/// docs/output.md#bona-eval's example: the failed registry rule is not a reason for an unknown result; the
/// unknown tag of the pattern rule is.
#[test]
fn spec_4_3_example_reasons() {
    let release = SigningKey::random(&mut rand_core::OsRng);
    let public =
        PublicKey::from_verifying_key(*release.verifying_key()).unwrap_or_else(|e| panic!("{e}"));
    let e = engine(PolicySet {
        trust_roots: Vec::new(),
        keys: vec![KeyDef::key("release", public.to_spki_der())],
        policies: vec![strict(
            "production images",
            vec![
                Expr::And(vec![
                    registry_in(&["registry.company.com", "mirror.company.com"]),
                    pinned(),
                    atom(ImageAtom::SignedBy { key: 0 }),
                ]),
                image_matches("docker.io/library/alpine:3.*"),
            ],
        )],
    });
    let d = admit(
        &e,
        workload("payments", "api"),
        vec![image(&format!("docker.io/library/alpine@{DIGEST}"))],
    );
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(
        json["images"][0]["policies"][0],
        serde_json::json!({
            "policy": "production images", "action": "prevent",
            "result": "unknown", "resolved": "untrusted",
            "reasons": ["tag is unknown: the reference has only a digest and no facts give its tags"]
        })
    );
    assert_eq!(json["decision"], "prevent");
    assert_eq!(json["issues"][0]["type"], "runtime-security");
    assert_eq!(
        json["issues"][0]["title"],
        "Untrusted image prevented in Kubernetes workload payments/api"
    );
}
