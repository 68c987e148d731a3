//! The generated policy sets and images of the decision benchmarks (see `decision.rs` for
//! their shapes), shared by `decision.rs` and `wasm.rs`.

#![allow(
    dead_code,
    reason = "each benchmark that includes this module uses a different part of it"
)]

use bona_runtime::Reference;
use bona_runtime::facts::{ImageFacts, Scan, Signature, Vulnerabilities};
use bona_runtime::glob::Glob;
use bona_runtime::input::ImageInput;
use bona_runtime::ir::{
    Action, AssetAtom, AssetAttr, CmpOp, EqOp, Expr, ImageAtom, ImageBoolAttr, ImageStrAttr,
    KeyDef, Policy, PolicySet, RefAttr, VulnSeverity,
};
use bona_runtime::refpattern::ReferencePattern;
use bona_runtime::signature::{PublicKey, SIMPLE_SIGNING_TYPE};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};

pub const NOW: i64 = 1_795_305_600;

pub fn glob(s: &str) -> Glob {
    Glob::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

pub fn atom(a: ImageAtom) -> Expr<ImageAtom> {
    Expr::Atom(a)
}

pub fn signing_key() -> SigningKey {
    SigningKey::from_slice(&[7u8; 32]).unwrap_or_else(|e| panic!("{e}"))
}

pub fn policy_set(n: usize) -> PolicySet {
    let key = PublicKey::from_verifying_key(*signing_key().verifying_key())
        .unwrap_or_else(|e| panic!("{e}"));
    let scopes = [
        None,
        Some(Expr::Atom(AssetAtom::Matches {
            attr: AssetAttr::Cluster,
            globs: vec![glob("prod-*")],
        })),
        Some(Expr::Atom(AssetAtom::Str {
            attr: AssetAttr::Namespace,
            op: EqOp::Ne,
            value: "sandbox".into(),
        })),
    ];
    let policies = (0..n)
        .map(|i| {
            let reg = format!("r{i}.company.com");
            let mirror = format!("m{i}.company.com");
            let repo = glob(&format!("team-{i}/**"));
            let rule = match i % 4 {
                0 => Expr::And(vec![
                    atom(ImageAtom::In {
                        attr: ImageStrAttr::Registry,
                        values: vec![reg],
                    }),
                    atom(ImageAtom::Matches {
                        attr: ImageStrAttr::Repository,
                        globs: vec![repo],
                    }),
                ]),
                1 => Expr::And(vec![
                    atom(ImageAtom::In {
                        attr: ImageStrAttr::Registry,
                        values: vec![reg, mirror],
                    }),
                    atom(ImageAtom::Bool(ImageBoolAttr::Pinned)),
                    atom(ImageAtom::SignedBy { key: 0 }),
                ]),
                2 => Expr::And(vec![
                    atom(ImageAtom::Str {
                        attr: ImageStrAttr::Registry,
                        op: EqOp::Eq,
                        value: reg,
                    }),
                    atom(ImageAtom::Matches {
                        attr: ImageStrAttr::Repository,
                        globs: vec![repo],
                    }),
                    atom(ImageAtom::Matches {
                        attr: ImageStrAttr::Tag,
                        globs: vec![glob("1.*")],
                    }),
                    Expr::Not(Box::new(atom(ImageAtom::Str {
                        attr: ImageStrAttr::Tag,
                        op: EqOp::Eq,
                        value: "latest".into(),
                    }))),
                    atom(ImageAtom::Bool(ImageBoolAttr::Scanned)),
                    atom(ImageAtom::Vulns {
                        severity: VulnSeverity::Critical,
                        op: CmpOp::Eq,
                        value: 0,
                    }),
                ]),
                _ => Expr::And(vec![
                    atom(ImageAtom::RefMatches {
                        attr: RefAttr::Image,
                        patterns: vec![
                            ReferencePattern::parse(&format!("{reg}/team-{i}/**"))
                                .unwrap_or_else(|e| panic!("{e}"))
                                .0,
                        ],
                    }),
                    atom(ImageAtom::BaseIn {
                        values: vec![
                            format!("{reg}/base/debian:12"),
                            format!("{reg}/base/alpine:3"),
                        ],
                    }),
                    atom(ImageAtom::SignedBy { key: 0 }),
                ]),
            };
            Policy {
                name: format!("policy {i:05}"),
                action: if i % 2 == 0 {
                    Action::Prevent
                } else {
                    Action::Issue
                },
                on_unknown: Action::Issue,
                scope: scopes.get(i % 3).cloned().flatten(),
                rules: vec![rule],
                description: None,
            }
        })
        .collect();
    PolicySet {
        trust_roots: Vec::new(),
        keys: vec![KeyDef::key("release", key.to_spki_der())],
        policies,
    }
}

/// A small deterministic generator (no `rand` needed).
pub struct Lcg(u64);

impl Lcg {
    pub fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % bound as u64).unwrap_or(0)
    }
}

pub fn digest(i: usize) -> String {
    format!("sha256:{i:064x}")
}

pub fn signature(digest: &str) -> Signature {
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"x"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{SIMPLE_SIGNING_TYPE}"}},"optional":null}}"#
    )
    .into_bytes();
    let sig: EcdsaSignature = signing_key().sign(&payload);
    Signature {
        payload,
        signature: sig.to_der().as_bytes().to_vec(),
        evidence: None,
    }
}

pub fn reference(s: &str) -> Reference {
    Reference::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// 1,000 images against a set of `n` policies.
pub fn images(n: usize) -> Vec<ImageInput> {
    let mut rng = Lcg(42);
    (0..1_000)
        .map(|k| {
            let i = rng.next(n);
            let reg = format!("r{i}.company.com");
            let d = digest(k);
            let good_facts = || ImageFacts {
                scanned: Some(true),
                base: Some(reference(&format!("{reg}/base/debian:12"))),
                scan: Some(Scan {
                    scanner: Some("trivy".into()),
                    finished_at: Some(NOW - 3_600),
                    vulnerabilities: Some(Vulnerabilities {
                        critical: Some(0),
                        ..Vulnerabilities::default()
                    }),
                }),
                signatures: Some(vec![signature(&d)]),
                ..ImageFacts::default()
            };
            match k % 10 {
                // Trusted by policy i.
                0 => {
                    let r = match i % 4 {
                        1 => format!("{reg}/app-{k}@{d}"),
                        _ => format!("{reg}/team-{i}/app-{k}:1.{k}@{d}"),
                    };
                    ImageInput {
                        reference: reference(&r),
                        facts: Some(good_facts()),
                    }
                }
                // Near miss: policy i's registry, wrong repository and tag, no facts.
                1 => ImageInput::new(reference(&format!("{reg}/other-{i}/app:latest"))),
                // Foreign.
                _ => {
                    let foreign = ["docker.io/library/nginx", "quay.io/org/app", "ghcr.io/o/r"];
                    let base = foreign.get(k % 3).copied().unwrap_or("nginx");
                    ImageInput::new(reference(&format!("{base}-{k}:1.{}", k % 7)))
                }
            }
        })
        .collect()
}
