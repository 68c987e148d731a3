//! Proptest strategies shared by the differential tests: generated policy sets (random scopes,
//! rules over every atom kind, both actions, both on-unknown values), assets and images
//! (references with and without tag and digest, facts with every field known or unknown), and
//! two signing keys with a pool of signatures.

#![allow(
    dead_code,
    reason = "each test binary that includes this module uses a different part of it"
)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bona_runtime::Reference;
use bona_runtime::attestation::Attestation;
use bona_runtime::eval::KeyRing;
use bona_runtime::facts::{
    FactsDocument, ImageFacts, Incomplete, Scan, Signature, TagClaim, Vulnerabilities,
};
use bona_runtime::glob::Glob;
use bona_runtime::input::{Asset, AssetType, ImageInput};
use bona_runtime::ir::{
    Action, AssetAtom, AssetAttr, AssetKind, AttestedField, CmpOp, EqOp, Expr, IdentityTest,
    ImageAtom, ImageBoolAttr, ImageStrAttr, KeyDef, Policy, PolicySet, RefAttr, VulnSeverity,
};
use bona_runtime::refpattern::ReferencePattern;
use bona_runtime::signature::{PublicKey, SIMPLE_SIGNING_TYPE};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
use proptest::prelude::*;
use proptest::sample::select;

pub const NOW: i64 = 1_795_305_600;
pub const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
pub const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

pub const REGISTRIES: &[&str] = &[
    "docker.io",
    "registry.company.com",
    "mirror.company.com",
    "quay.io",
];
pub const REPOSITORIES: &[&str] = &[
    "library/alpine",
    "library/nginx",
    "team/app",
    "team/app/sub",
    "team/apple",
    "other/x",
];
pub const TAGS: &[&str] = &["latest", "1.0", "1.4.2", "2"];
pub const GLOBS: &[&str] = &[
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
pub const PATTERNS: &[&str] = &[
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
/// Layers of which every image's are a prefix, so that inline facts find their bases in the
/// document of [`base_document`].
pub const LAYERS: &[&str] = &[
    "sha256:a000000000000000000000000000000000000000000000000000000000000000",
    "sha256:b000000000000000000000000000000000000000000000000000000000000000",
    "sha256:c000000000000000000000000000000000000000000000000000000000000000",
];

pub const BASES: &[&str] = &[
    "debian:12",
    "registry.company.com/base/debian:12",
    "registry.company.com/base/debian@sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "alpine",
];
pub const LABEL_KEYS: &[&str] = &["team", "source"];
pub const LABEL_VALUES: &[&str] = &["pay", "ops", ""];

/// Two keys and a pool of signatures and attestations made once: signing in every case would
/// be slow.
pub struct Keys {
    pub defs: Vec<KeyDef>,
    pub ring: KeyRing,
    pub pool: Vec<Signature>,
    /// Attestation entries as JSON and as read: SLSA provenance (builder `b0` or `b1`) and
    /// vulnerability scans (`k` critical), by each key for each digest, and one whose
    /// signature is garbage.
    pub attestations: Vec<(serde_json::Value, Attestation)>,
}

pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
pub const VULN_V1: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
pub const BUILDERS: &[&str] = &["b0", "b1", "b9"];

/// A DSSE attestation entry of an in-toto statement about `digest`, signed by `key`.
fn attestation(
    key: &SigningKey,
    digest: &str,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> (serde_json::Value, Attestation) {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": digest.trim_start_matches("sha256:")}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
    .to_string()
    .into_bytes();
    // DSSE's pre-authentication encoding, written out so the wasm tests need no more crates.
    let payload_type = "application/vnd.in-toto+json";
    let mut pae = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        statement.len()
    )
    .into_bytes();
    pae.extend_from_slice(&statement);
    let sig: EcdsaSignature = key.sign(&pae);
    let entry = serde_json::json!({"envelope": {
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64(&statement),
        "signatures": [{"keyid": "", "sig": b64(sig.to_der().as_bytes())}],
    }});
    let read = serde_json::from_value(entry.clone()).unwrap_or_else(|e| panic!("{e}"));
    (entry, read)
}

pub fn keys() -> &'static Keys {
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
                evidence: None,
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
            evidence: None,
        });
        let mut attestations = Vec::new();
        for (k, signer) in signers.iter().enumerate() {
            for digest in [D1, D2] {
                attestations.push(attestation(
                    signer,
                    digest,
                    SLSA_V1,
                    serde_json::json!({"runDetails": {"builder": {"id": format!("b{k}")}}}),
                ));
                let vulns: Vec<serde_json::Value> = (0..k)
                    .map(|i| serde_json::json!({"VulnerabilityID": format!("CVE-{i}"), "PkgName": "p", "Severity": "CRITICAL"}))
                    .collect();
                attestations.push(attestation(
                    signer,
                    digest,
                    VULN_V1,
                    serde_json::json!({
                        "scanner": {"uri": "trivy", "result": {"Results": [{"Vulnerabilities": vulns}]}},
                        "metadata": {"scanFinishedOn": rfc3339(NOW - 2 * 86_400)},
                    }),
                ));
            }
        }
        let (mut garbage, _) = attestation(&signers[0], D1, SLSA_V1, serde_json::json!({}));
        garbage["envelope"]["signatures"][0]["sig"] = serde_json::json!("AAAA");
        let read = serde_json::from_value(garbage.clone()).unwrap_or_else(|e| panic!("{e}"));
        attestations.push((garbage, read));
        let defs = publics
            .iter()
            .enumerate()
            .map(|(i, p)| KeyDef::key(format!("k{i}"), p.to_spki_der()))
            .collect();
        let ring = KeyRing::from_keys(
            publics
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("k{i}"), p))
                .collect(),
        );
        Keys {
            defs,
            ring,
            pool,
            attestations,
        }
    })
}

pub fn s(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_owned)
}

pub fn strings(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(s(pool), 0..3)
}

pub fn globs() -> impl Strategy<Value = Vec<Glob>> {
    proptest::collection::vec(select(GLOBS), 1..3).prop_map(|gs| {
        gs.into_iter()
            .map(|g| Glob::parse(g).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    })
}

pub fn patterns() -> impl Strategy<Value = Vec<ReferencePattern>> {
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

pub fn str_attr() -> impl Strategy<Value = (ImageStrAttr, &'static [&'static str])> {
    prop_oneof![
        Just((ImageStrAttr::Registry, REGISTRIES)),
        Just((ImageStrAttr::Repository, REPOSITORIES)),
        Just((ImageStrAttr::Tag, TAGS)),
        Just((ImageStrAttr::Digest, &[D1, D2][..])),
        Just((ImageStrAttr::Scanner, &["trivy", "grype"][..])),
        select(LABEL_KEYS).prop_map(|k| (ImageStrAttr::Label(k.to_owned()), LABEL_VALUES)),
    ]
}

pub fn eq_op() -> impl Strategy<Value = EqOp> {
    prop_oneof![Just(EqOp::Eq), Just(EqOp::Ne)]
}

pub fn cmp_op() -> impl Strategy<Value = CmpOp> {
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

pub fn image_atom() -> impl Strategy<Value = ImageAtom> {
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
        (ref_attr(), eq_op(), select(BASES)).prop_map(|(attr, op, b)| ImageAtom::RefEq {
            attr,
            op,
            value: normalised(b),
        }),
        (ref_attr(), proptest::collection::vec(select(BASES), 0..3)).prop_map(|(attr, bs)| {
            ImageAtom::RefIn {
                attr,
                values: bs.into_iter().map(normalised).collect(),
            }
        }),
        (
            prop_oneof![
                Just(RefAttr::Image),
                Just(RefAttr::Base),
                Just(RefAttr::DeclaredBase)
            ],
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
        (1u32..=2).prop_map(|n| ImageAtom::SignedByN {
            n,
            keys: vec![0, 1]
        }),
        (
            0u32..2,
            select(&[SLSA_V1, VULN_V1, "slsa.dev/provenance/v1"][..])
        )
            .prop_map(|(key, t)| ImageAtom::Attested {
                key,
                predicate_type: t.to_owned()
            }),
        (0u32..2, select(BUILDERS), any::<bool>()).prop_map(|(key, b, eq)| {
            ImageAtom::AttestedStr {
                key,
                field: Box::new(AttestedField::Builder),
                test: Box::new(if eq {
                    IdentityTest::Eq(b.to_owned())
                } else {
                    IdentityTest::Ne(b.to_owned())
                }),
            }
        }),
        (0u32..2, cmp_op(), 0u64..3).prop_map(|(key, op, value)| ImageAtom::AttestedVulns {
            key,
            severity: VulnSeverity::Critical,
            op,
            value
        }),
        (0u32..2, cmp_op(), select(&[86_400u64, 7 * 86_400][..]))
            .prop_map(|(key, op, seconds)| ImageAtom::AttestedScanAge { key, op, seconds }),
    ]
}

pub fn normalised(b: &str) -> String {
    Reference::parse(b)
        .map(|r| r.to_string())
        .unwrap_or_default()
}

pub fn expr<A: Clone + std::fmt::Debug + 'static>(
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
pub fn rule() -> impl Strategy<Value = Expr<ImageAtom>> {
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

pub fn asset_atom() -> impl Strategy<Value = AssetAtom> {
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

pub fn policies() -> impl Strategy<Value = Vec<Policy>> {
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

pub fn reference() -> impl Strategy<Value = Reference> {
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

pub fn facts() -> impl Strategy<Value = ImageFacts> {
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
        proptest::option::of(proptest::collection::vec(0usize..9, 0..3)),
        (
            proptest::option::of(
                select(BASES).prop_map(|b| Reference::parse(b).unwrap_or_else(|e| panic!("{e}"))),
            ),
            proptest::option::of(0usize..=LAYERS.len()),
            any::<(bool, bool)>(),
        ),
    )
        .prop_map(
            |(digest, tags, base, scanned, scan, labels, sigs, atts, more)| ImageFacts {
                declared_base: more.0,
                layers: more
                    .1
                    .map(|n| LAYERS.iter().take(n).map(|l| (*l).to_owned()).collect()),
                incomplete: Incomplete {
                    signatures: more.2.0,
                    attestations: more.2.1,
                },
                created: None,
                // Set only by hosts that ask a registry; the wasm engine's JSON has no room for it.
                tag_claim: TagClaim::Unchecked,
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
                attestations: atts.map(|ix| {
                    ix.into_iter()
                        .filter_map(|i| keys().attestations.get(i).map(|(_, a)| a.clone()))
                        .collect()
                }),
            },
        )
}

pub fn image() -> impl Strategy<Value = ImageInput> {
    (reference(), proptest::option::of(facts()))
        .prop_map(|(reference, facts)| ImageInput { reference, facts })
}

pub fn asset() -> impl Strategy<Value = Asset> {
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

/// A team of a generated fleet.
fn team() -> impl Strategy<Value = String> {
    (0..6u8).prop_map(|k| format!("team{k}"))
}

fn asset_eq(attr: AssetAttr, value: String) -> Expr<AssetAtom> {
    Expr::Atom(AssetAtom::Str {
        attr,
        op: EqOp::Eq,
        value,
    })
}

/// Scopes of a fleet of teams: most of them indexable (a team's namespace or label, a cluster
/// prefix), some not (negations, globs without a literal prefix, no scope).
pub fn team_scope() -> impl Strategy<Value = Option<Expr<AssetAtom>>> {
    let label = || AssetAttr::Label("team".into());
    prop_oneof![
        1 => Just(None),
        4 => (team(), expr(asset_atom()))
            .prop_map(|(t, e)| Some(Expr::And(vec![asset_eq(AssetAttr::Namespace, t), e]))),
        2 => (team(), team(), select(&["prod-*", "*-1", "dev-?", "prod-1"][..])).prop_map(
            move |(t, u, g)| {
                Some(Expr::And(vec![
                    Expr::Atom(AssetAtom::In { attr: label(), values: vec![t, u] }),
                    Expr::Atom(AssetAtom::Matches {
                        attr: AssetAttr::Cluster,
                        globs: vec![Glob::parse(g).unwrap_or_else(|e| panic!("{e}"))],
                    }),
                ]))
            }
        ),
        2 => expr(asset_atom()).prop_map(Some),
        1 => team().prop_map(move |t| Some(Expr::Or(vec![
            asset_eq(AssetAttr::Namespace, t.clone()),
            asset_eq(label(), t),
        ]))),
    ]
}

/// 80 to 110 team-scoped policies: more distinct scopes than one word of bits holds, and
/// assets to which from none to dozens of rules apply (both ways of finding candidate rules).
pub fn team_policies() -> impl Strategy<Value = Vec<Policy>> {
    let one = (
        prop_oneof![
            Just((Action::Prevent, Action::Issue)),
            Just((Action::Prevent, Action::Prevent)),
            Just((Action::Issue, Action::Issue)),
        ],
        team_scope(),
        proptest::collection::vec(rule(), 0..3),
    );
    proptest::collection::vec(one, 80..110).prop_map(|ps| {
        ps.into_iter()
            .enumerate()
            .map(|(i, ((action, on_unknown), scope, rules))| {
                // Scopes made distinct by a condition that always holds (so that there are
                // more than 64), but for a few policies without a scope.
                let distinct = Expr::Not(Box::new(asset_eq(AssetAttr::Kind, format!("kind{i}"))));
                let scope = match scope {
                    None if i % 7 == 0 => None,
                    None => Some(distinct),
                    Some(e) => Some(Expr::And(vec![e, distinct])),
                };
                Policy {
                    name: format!("{} {i}", ["b", "a", "c", "B"].get(i % 4).unwrap_or(&"z")),
                    action,
                    on_unknown,
                    scope,
                    rules,
                    description: None,
                }
            })
            .collect()
    })
}

/// An asset of the fleet of [`team_scope`].
pub fn team_asset() -> impl Strategy<Value = Asset> {
    (
        prop_oneof![4 => Just(AssetType::Workload), 1 => Just(AssetType::Vm)],
        s(&["prod-1", "dev-1", "prod-eu"]),
        prop_oneof![3 => team(), 1 => Just("payments".to_owned())],
        s(&["Deployment", ""]),
        proptest::collection::btree_map(
            Just("team".to_owned()),
            prop_oneof![team(), Just("pay".to_owned())],
            0..2,
        ),
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

pub fn policy_set(policies: Vec<Policy>) -> PolicySet {
    PolicySet {
        trust_roots: Vec::new(),
        keys: keys().defs.clone(),
        policies,
    }
}

pub fn case() -> impl Strategy<Value = (Vec<Policy>, Vec<Policy>, Asset, Vec<ImageInput>)> {
    policies().prop_flat_map(|ps| {
        (
            Just(ps.clone()),
            Just(ps).prop_shuffle(),
            asset(),
            proptest::collection::vec(image(), 1..4),
        )
    })
}

/// `secs` as an RFC 3339 UTC timestamp.
pub fn rfc3339(secs: i64) -> String {
    bona_runtime::facts::format_rfc3339(secs)
}

/// Facts as the JSON of docs/images.md#facts (absent fields left out).
pub fn facts_json(f: &ImageFacts) -> serde_json::Value {
    use base64::Engine as _;
    use serde_json::{Map, Value, json};
    let b64 = |b: &[u8]| Value::String(base64::engine::general_purpose::STANDARD.encode(b));
    let mut o = Map::new();
    if let Some(d) = &f.digest {
        o.insert("digest".into(), json!(d));
    }
    if let Some(t) = &f.tags {
        o.insert("tags".into(), json!(t));
    }
    if let Some(b) = &f.base {
        o.insert("base".into(), json!(b.to_string()));
    }
    if let Some(s) = f.scanned {
        o.insert("scanned".into(), json!(s));
    }
    if let Some(scan) = &f.scan {
        let mut s = Map::new();
        if let Some(x) = &scan.scanner {
            s.insert("scanner".into(), json!(x));
        }
        if let Some(t) = scan.finished_at {
            s.insert("finished_at".into(), json!(rfc3339(t)));
        }
        if let Some(v) = &scan.vulnerabilities {
            let mut m = Map::new();
            for (k, n) in [
                ("critical", v.critical),
                ("high", v.high),
                ("medium", v.medium),
                ("low", v.low),
            ] {
                if let Some(n) = n {
                    m.insert(k.into(), json!(n));
                }
            }
            s.insert("vulnerabilities".into(), Value::Object(m));
        }
        o.insert("scan".into(), Value::Object(s));
    }
    if let Some(l) = &f.labels {
        o.insert("labels".into(), json!(l));
    }
    if let Some(sigs) = &f.signatures {
        let list: Vec<Value> = sigs
            .iter()
            .map(|s| json!({ "payload": b64(&s.payload), "signature": b64(&s.signature) }))
            .collect();
        o.insert("signatures".into(), Value::Array(list));
    }
    if let Some(atts) = &f.attestations {
        let list: Vec<Value> = atts
            .iter()
            .filter_map(|a| keys().attestations.iter().find(|(_, b)| b == a))
            .map(|(json, _)| json.clone())
            .collect();
        o.insert("attestations".into(), Value::Array(list));
    }
    Value::Object(o)
}

/// An admission input (docs/output.md#admission-input) as JSON bytes.
pub fn input_json(time: i64, asset: &Asset, images: &[ImageInput]) -> Vec<u8> {
    use serde_json::json;
    let images: Vec<serde_json::Value> = images
        .iter()
        .map(|i| match &i.facts {
            Some(f) => json!({ "ref": i.reference.to_string(), "facts": facts_json(f) }),
            None => json!({ "ref": i.reference.to_string() }),
        })
        .collect();
    let doc = json!({
        "time": rfc3339(time),
        "asset": {
            "type": asset.asset_type.as_str(),
            "cloud": asset.cloud,
            "cluster": asset.cluster,
            "namespace": asset.namespace,
            "kind": asset.kind,
            "name": asset.name,
            "labels": asset.labels,
        },
        "images": images,
    });
    doc.to_string().into_bytes()
}

/// `base` or `declared_base`.
fn ref_attr() -> impl Strategy<Value = RefAttr> {
    prop_oneof![Just(RefAttr::Base), Just(RefAttr::DeclaredBase)]
}

/// A facts document whose images are candidate bases: two with the first layer (so a base may
/// be two references at once) and one with the first two.
pub fn base_document() -> FactsDocument {
    let one = serde_json::json!([LAYERS[0]]);
    let two = serde_json::json!([LAYERS[0], LAYERS[1]]);
    let doc = serde_json::json!({ "images": {
        "debian:12": { "layers": one },
        "registry.company.com/base/debian:12": { "layers": one },
        "registry.company.com/base/alpine:3.19": { "layers": two },
    }});
    FactsDocument::from_json(doc.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}
