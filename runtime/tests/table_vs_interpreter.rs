//! Differential property tests: the indexed decision table against the direct interpreter.
//!
//! Generated policy sets (random scopes, rules over every atom kind, both actions, both
//! on-unknown values) and generated images (references with and without tag and digest, facts
//! with every field known or unknown) must give identical outputs — decision, verdicts, reasons,
//! runtime and posture issues — from [`Engine::evaluate`] / [`Engine::audit`] (the table) and
//! [`Engine::interpret`] / [`Engine::interpret_audit`] (the oracle); the fast paths must agree
//! with both; and shuffling the policies must never change any output.
//!
//! The Kleene-law properties at the end check the evaluator on generated expressions: de
//! Morgan's laws hold, and `x or not x` is unknown whenever `x` is.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bona_runtime::Reference;
use bona_runtime::engine::Engine;
use bona_runtime::eval::{Evaluator, KeyRing};
use bona_runtime::facts::{ImageFacts, Scan, Signature, Vulnerabilities};
use bona_runtime::glob::Glob;
use bona_runtime::image::ImageView;
use bona_runtime::input::{
    AdmissionInput, Asset, AssetType, ImageInput, Inventory, InventoryAsset,
};
use bona_runtime::ir::{
    Action, AssetAtom, AssetAttr, AssetKind, CmpOp, EqOp, Expr, ImageAtom, ImageBoolAttr,
    ImageStrAttr, KeyDef, Policy, PolicySet, RefAttr, VulnSeverity,
};
use bona_runtime::output::Verdict;
use bona_runtime::refpattern::ReferencePattern;
use bona_runtime::signature::{PublicKey, SIMPLE_SIGNING_TYPE, VerificationCache};
use bona_runtime::tri::Tri;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
use proptest::prelude::*;
use proptest::sample::select;

const NOW: i64 = 1_795_305_600;
const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

const REGISTRIES: &[&str] = &[
    "docker.io",
    "registry.company.com",
    "mirror.company.com",
    "quay.io",
];
const REPOSITORIES: &[&str] = &[
    "library/alpine",
    "library/nginx",
    "team/app",
    "team/app/sub",
    "team/apple",
    "other/x",
];
const TAGS: &[&str] = &["latest", "1.0", "1.4.2", "2"];
const GLOBS: &[&str] = &[
    "*",
    "**",
    "team/**",
    "library/*",
    "1.*",
    "*.company.com",
    "docker.io",
    "QUAY.io",
    "team/app",
    "t*",
    "l?brary/**",
    "sha256:1*",
    "trivy",
];
const PATTERNS: &[&str] = &[
    "alpine",
    "alpine:1.*",
    "team/app:latest",
    "team/**",
    "quay.io/team/**",
    "*.company.com/**",
    "registry.company.com/team/app@sha256:1*",
    "docker.io/library/nginx:latest",
    "registry.company.com/**:2",
    "**/**",
];
const BASES: &[&str] = &[
    "debian:12",
    "registry.company.com/base/debian:12",
    "registry.company.com/base/debian@sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "alpine",
];
const LABEL_KEYS: &[&str] = &["team", "source"];
const LABEL_VALUES: &[&str] = &["pay", "ops", ""];

/// Two keys and a pool of signatures made once: signing in every case would be slow.
struct Keys {
    defs: Vec<KeyDef>,
    ring: KeyRing,
    pool: Vec<Signature>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let signers: Vec<SigningKey> = (0..2)
            .map(|_| SigningKey::random(&mut rand_core::OsRng))
            .collect();
        let publics: Vec<PublicKey> = signers
            .iter()
            .map(|s| PublicKey::from_verifying_key(*s.verifying_key()).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let sign = |k: &SigningKey, digest: &str| {
            let payload = format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"x"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{SIMPLE_SIGNING_TYPE}"}},"optional":null}}"#
            )
            .into_bytes();
            let sig: EcdsaSignature = k.sign(&payload);
            Signature {
                payload,
                signature: sig.to_der().as_bytes().to_vec(),
            }
        };
        let mut pool = Vec::new();
        for s in &signers {
            pool.push(sign(s, D1));
            pool.push(sign(s, D2));
        }
        pool.push(Signature {
            payload: b"not a payload".to_vec(),
            signature: vec![0; 64],
        });
        let defs = publics
            .iter()
            .enumerate()
            .map(|(i, p)| KeyDef {
                name: format!("k{i}"),
                spki_der: p.to_spki_der(),
            })
            .collect();
        let ring = KeyRing::from_keys(
            publics
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("k{i}"), p))
                .collect(),
        );
        Keys { defs, ring, pool }
    })
}

fn s(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_owned)
}

fn strings(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(s(pool), 0..3)
}

fn globs() -> impl Strategy<Value = Vec<Glob>> {
    proptest::collection::vec(select(GLOBS), 1..3).prop_map(|gs| {
        gs.into_iter()
            .map(|g| Glob::parse(g).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    })
}

fn patterns() -> impl Strategy<Value = Vec<ReferencePattern>> {
    proptest::collection::vec(select(PATTERNS), 1..3).prop_map(|ps| {
        ps.into_iter()
            .map(|p| {
                ReferencePattern::parse(p)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .0
            })
            .collect()
    })
}

fn str_attr() -> impl Strategy<Value = (ImageStrAttr, &'static [&'static str])> {
    prop_oneof![
        Just((ImageStrAttr::Registry, REGISTRIES)),
        Just((ImageStrAttr::Repository, REPOSITORIES)),
        Just((ImageStrAttr::Tag, TAGS)),
        Just((ImageStrAttr::Digest, &[D1, D2][..])),
        Just((ImageStrAttr::Scanner, &["trivy", "grype"][..])),
        select(LABEL_KEYS).prop_map(|k| (ImageStrAttr::Label(k.to_owned()), LABEL_VALUES)),
    ]
}

fn eq_op() -> impl Strategy<Value = EqOp> {
    prop_oneof![Just(EqOp::Eq), Just(EqOp::Ne)]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    select(
        &[
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ][..],
    )
}

fn image_atom() -> impl Strategy<Value = ImageAtom> {
    prop_oneof![
        (str_attr(), eq_op(), any::<prop::sample::Index>()).prop_map(|((attr, pool), op, i)| {
            ImageAtom::Str {
                attr,
                op,
                value: (*i.get(pool)).to_owned(),
            }
        }),
        str_attr().prop_flat_map(|(attr, pool)| {
            proptest::collection::vec(select(pool), 0..3).prop_map(move |vs| ImageAtom::In {
                attr: attr.clone(),
                values: vs.into_iter().map(str::to_owned).collect(),
            })
        }),
        (str_attr(), globs()).prop_map(|((attr, _), globs)| ImageAtom::Matches { attr, globs }),
        (eq_op(), select(BASES)).prop_map(|(op, b)| ImageAtom::BaseEq {
            op,
            value: normalised(b),
        }),
        proptest::collection::vec(select(BASES), 0..3).prop_map(|bs| ImageAtom::BaseIn {
            values: bs.into_iter().map(normalised).collect(),
        }),
        (
            prop_oneof![Just(RefAttr::Image), Just(RefAttr::Base)],
            patterns()
        )
            .prop_map(|(attr, patterns)| ImageAtom::RefMatches { attr, patterns }),
        prop_oneof![
            Just(ImageAtom::Bool(ImageBoolAttr::Pinned)),
            Just(ImageAtom::Bool(ImageBoolAttr::Scanned))
        ],
        (
            select(
                &[
                    VulnSeverity::Critical,
                    VulnSeverity::High,
                    VulnSeverity::Medium,
                    VulnSeverity::Low
                ][..]
            ),
            cmp_op(),
            0u64..3
        )
            .prop_map(|(severity, op, value)| ImageAtom::Vulns {
                severity,
                op,
                value
            }),
        (cmp_op(), select(&[0u64, 3_600, 86_400, 7 * 86_400][..]))
            .prop_map(|(op, seconds)| ImageAtom::ScanAge { op, seconds }),
        (0u32..2).prop_map(|key| ImageAtom::SignedBy { key }),
    ]
}

fn normalised(b: &str) -> String {
    Reference::parse(b)
        .map(|r| r.to_string())
        .unwrap_or_default()
}

fn expr<A: Clone + std::fmt::Debug + 'static>(
    leaf: impl Strategy<Value = A> + 'static,
) -> impl Strategy<Value = Expr<A>> {
    let leaf = prop_oneof![
        8 => leaf.prop_map(Expr::Atom),
        1 => any::<bool>().prop_map(Expr::Const),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Expr::And),
            proptest::collection::vec(inner, 0..4).prop_map(Expr::Or),
        ]
    })
}

/// Rules biased towards the shapes the index keys on: conjunctions led by a registry,
/// repository or image constraint.
fn rule() -> impl Strategy<Value = Expr<ImageAtom>> {
    let anchor = prop_oneof![
        (s(REGISTRIES)).prop_map(|r| ImageAtom::Str {
            attr: ImageStrAttr::Registry,
            op: EqOp::Eq,
            value: r,
        }),
        strings(REGISTRIES).prop_map(|values| ImageAtom::In {
            attr: ImageStrAttr::Registry,
            values,
        }),
        globs().prop_map(|globs| ImageAtom::Matches {
            attr: ImageStrAttr::Repository,
            globs,
        }),
        patterns().prop_map(|patterns| ImageAtom::RefMatches {
            attr: RefAttr::Image,
            patterns,
        }),
    ];
    prop_oneof![
        2 => expr(image_atom()),
        2 => (anchor, proptest::collection::vec(expr(image_atom()), 0..3)).prop_map(|(a, rest)| {
            let mut all = vec![Expr::Atom(a)];
            all.extend(rest);
            Expr::And(all)
        }),
    ]
}

fn asset_atom() -> impl Strategy<Value = AssetAtom> {
    let attr = prop_oneof![
        Just(AssetAttr::Cluster),
        Just(AssetAttr::Namespace),
        Just(AssetAttr::Kind),
        Just(AssetAttr::Label("team".into())),
    ];
    prop_oneof![
        (
            eq_op(),
            prop_oneof![Just(AssetKind::Workload), Just(AssetKind::Vm)]
        )
            .prop_map(|(op, value)| AssetAtom::Type { op, value }),
        (
            attr.clone(),
            eq_op(),
            s(&["prod-1", "payments", "Deployment", "pay", ""])
        )
            .prop_map(|(attr, op, value)| AssetAtom::Str { attr, op, value }),
        (attr.clone(), strings(&["prod-1", "payments", "pay"]))
            .prop_map(|(attr, values)| AssetAtom::In { attr, values }),
        (
            attr,
            proptest::collection::vec(select(&["prod-*", "*", "pay*"][..]), 1..3)
        )
            .prop_map(|(attr, gs)| AssetAtom::Matches {
                attr,
                globs: gs
                    .into_iter()
                    .map(|g| Glob::parse(g).unwrap_or_else(|e| panic!("{e}")))
                    .collect(),
            }),
    ]
}

fn policies() -> impl Strategy<Value = Vec<Policy>> {
    let one = (
        prop_oneof![
            Just((Action::Prevent, Action::Issue)),
            Just((Action::Prevent, Action::Prevent)),
            Just((Action::Issue, Action::Issue)),
        ],
        prop_oneof![
            2 => Just(None),
            1 => expr(asset_atom()).prop_map(Some),
        ],
        proptest::collection::vec(rule(), 0..4),
    );
    proptest::collection::vec(one, 0..7).prop_map(|ps| {
        ps.into_iter()
            .enumerate()
            .map(|(i, ((action, on_unknown), scope, rules))| Policy {
                // Distinct names whose order is not the generation order.
                name: format!("{} {i}", ["b", "a", "c", "B"].get(i % 4).unwrap_or(&"z")),
                action,
                on_unknown,
                scope,
                rules,
                description: None,
            })
            .collect()
    })
}

fn reference() -> impl Strategy<Value = Reference> {
    (
        s(REGISTRIES),
        s(REPOSITORIES),
        proptest::option::of(s(TAGS)),
        proptest::option::of(select(&[D1, D2][..])),
    )
        .prop_map(|(reg, repo, tag, digest)| {
            let mut text = format!("{reg}/{repo}");
            if let Some(t) = tag {
                text.push(':');
                text.push_str(&t);
            }
            if let Some(d) = digest {
                text.push('@');
                text.push_str(d);
            }
            Reference::parse(&text).unwrap_or_else(|e| panic!("{e}"))
        })
}

fn facts() -> impl Strategy<Value = ImageFacts> {
    let scan = (
        proptest::option::of(s(&["trivy", "grype"])),
        proptest::option::of(select(&[NOW - 8 * 86_400, NOW - 3_600, NOW, NOW + 60][..])),
        proptest::option::of(
            (
                proptest::option::of(0u64..3),
                proptest::option::of(0u64..3),
                proptest::option::of(0u64..3),
                proptest::option::of(0u64..3),
            )
                .prop_map(|(critical, high, medium, low)| Vulnerabilities {
                    critical,
                    high,
                    medium,
                    low,
                }),
        ),
    )
        .prop_map(|(scanner, finished_at, vulnerabilities)| Scan {
            scanner,
            finished_at,
            vulnerabilities,
        });
    let labels = proptest::collection::btree_map(s(LABEL_KEYS), s(LABEL_VALUES), 0..3);
    (
        proptest::option::of(select(&[D1, D2][..]).prop_map(str::to_owned)),
        proptest::option::of(strings(TAGS)),
        proptest::option::of(
            select(BASES).prop_map(|b| Reference::parse(b).unwrap_or_else(|e| panic!("{e}"))),
        ),
        proptest::option::of(any::<bool>()),
        proptest::option::of(scan),
        proptest::option::of(labels),
        proptest::option::of(proptest::collection::vec(0usize..5, 0..3)),
    )
        .prop_map(
            |(digest, tags, base, scanned, scan, labels, sigs)| ImageFacts {
                digest,
                tags,
                base,
                scanned,
                scan,
                labels: labels.map(|l: BTreeMap<String, String>| l),
                signatures: sigs.map(|ix| {
                    ix.into_iter()
                        .filter_map(|i| keys().pool.get(i).cloned())
                        .collect()
                }),
            },
        )
}

fn image() -> impl Strategy<Value = ImageInput> {
    (reference(), proptest::option::of(facts()))
        .prop_map(|(reference, facts)| ImageInput { reference, facts })
}

fn asset() -> impl Strategy<Value = Asset> {
    (
        prop_oneof![Just(AssetType::Workload), Just(AssetType::Vm)],
        s(&["prod-1", "dev-1"]),
        s(&["payments", "sandbox"]),
        s(&["Deployment", ""]),
        proptest::collection::btree_map(Just("team".to_owned()), s(&["pay", "ops"]), 0..2),
    )
        .prop_map(|(asset_type, cluster, namespace, kind, labels)| Asset {
            asset_type,
            cluster,
            namespace,
            kind,
            name: "api".into(),
            labels,
            ..Asset::default()
        })
}

fn policy_set(policies: Vec<Policy>) -> PolicySet {
    PolicySet {
        keys: keys().defs.clone(),
        policies,
    }
}

fn case() -> impl Strategy<Value = (Vec<Policy>, Vec<Policy>, Asset, Vec<ImageInput>)> {
    policies().prop_flat_map(|ps| {
        (
            Just(ps.clone()),
            Just(ps).prop_shuffle(),
            asset(),
            proptest::collection::vec(image(), 1..4),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn table_agrees_with_interpreter((policies, shuffled, asset, images) in case()) {
        let engine = Engine::new(policy_set(policies)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reordered = Engine::new(policy_set(shuffled)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let input = AdmissionInput { time: Some(NOW), asset: asset.clone(), images: images.clone() };
        let mut cache = VerificationCache::new();

        let table = engine.evaluate(&input, None, 0, &mut cache);
        let oracle = engine.interpret(&input, None, 0, &mut VerificationCache::new());
        prop_assert_eq!(&table, &oracle);
        prop_assert_eq!(&reordered.evaluate(&input, None, 0, &mut cache), &table);
        prop_assert_eq!(&reordered.interpret(&input, None, 0, &mut cache), &table);

        // The fast paths.
        prop_assert_eq!(engine.verdict(&input, None, 0, &mut cache), table.decision);
        let scope = engine.scope(&asset);
        for (img, out) in images.iter().zip(&table.images) {
            let v = engine.image_verdict(&scope, img, None, NOW, &mut cache);
            prop_assert_eq!(v.trusted, out.verdict == Verdict::Trusted);
            prop_assert_eq!(v.prevented, out.prevented);
        }

        // Audits of the same asset as running.
        let inventory = Inventory {
            time: Some(NOW),
            assets: vec![InventoryAsset { asset, images }],
        };
        let audit = engine.audit(&inventory, None, 0, &mut cache);
        prop_assert_eq!(&audit, &engine.interpret_audit(&inventory, None, 0, &mut cache));
        prop_assert_eq!(&audit, &reordered.audit(&inventory, None, 0, &mut cache));
    }

    #[test]
    fn de_morgan_holds(a in expr(image_atom()), b in expr(image_atom()), img in image()) {
        let mut cache = VerificationCache::new();
        let view = ImageView::new(&img.reference, img.facts.as_ref(), NOW);
        let mut ev = Evaluator::new(view, &keys().ring, &mut cache);
        let not = |e: &Expr<ImageAtom>| Expr::Not(Box::new(e.clone()));
        let lhs = ev.expr(&not(&Expr::And(vec![a.clone(), b.clone()])));
        let rhs = ev.expr(&Expr::Or(vec![not(&a), not(&b)]));
        prop_assert_eq!(lhs, rhs);
        let lhs = ev.expr(&not(&Expr::Or(vec![a.clone(), b.clone()])));
        let rhs = ev.expr(&Expr::And(vec![not(&a), not(&b)]));
        prop_assert_eq!(lhs, rhs);
        // The connectives agree with Tri's.
        let (va, vb) = (ev.expr(&a), ev.expr(&b));
        prop_assert_eq!(ev.expr(&Expr::And(vec![a.clone(), b.clone()])), va.and(vb));
        prop_assert_eq!(ev.expr(&Expr::Or(vec![a, b])), va.or(vb));
    }

    #[test]
    fn excluded_middle_is_not_assumed(x in expr(image_atom()), img in image()) {
        let mut cache = VerificationCache::new();
        let view = ImageView::new(&img.reference, img.facts.as_ref(), NOW);
        let mut ev = Evaluator::new(view, &keys().ring, &mut cache);
        let v = ev.expr(&x);
        let middle = ev.expr(&Expr::Or(vec![x.clone(), Expr::Not(Box::new(x.clone()))]));
        prop_assert_eq!(middle == Tri::Unknown, v == Tri::Unknown);
        let contradiction = ev.expr(&Expr::And(vec![x.clone(), Expr::Not(Box::new(x))]));
        prop_assert_eq!(contradiction == Tri::Unknown, v == Tri::Unknown);
    }

    /// Reasons exist exactly for the results that are not trusted, and never repeat.
    #[test]
    fn reasons_explain_every_non_trusted_result((policies, _s, asset, images) in case()) {
        let engine = Engine::new(policy_set(policies)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let input = AdmissionInput { time: Some(NOW), asset, images };
        let d = engine.evaluate(&input, None, 0, &mut VerificationCache::new());
        for image in &d.images {
            for p in &image.policies {
                let trusted = p.result == bona_runtime::output::PolicyResult::Trusted;
                prop_assert_eq!(p.reasons.is_empty(), trusted, "{:?}", p);
                let mut unique = p.reasons.clone();
                unique.sort();
                unique.dedup();
                prop_assert_eq!(unique.len(), p.reasons.len());
            }
        }
    }
}
