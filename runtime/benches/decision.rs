//! Decision cost against policy-set size, and bundle load time.
//!
//! Policy sets of N = 1, 100, 1,000 and 10,000 policies are generated, each policy with its own
//! registry group (`rI.company.com`, `mI.company.com`) and repository glob (`team-I/**`), and one
//! of four shapes:
//! 0. registry + repository glob;
//! 1. two registries + pinned + signed by a key;
//! 2. tag glob and not latest + scanned + no critical vulnerabilities;
//! 3. image pattern + base image in a set + signed.
//!
//! 1,000 images: 10% trusted by some policy, 10% near misses (a policy's registry with the wrong
//! repository, tag or facts), 80% foreign (registries no policy names). The benchmark measures
//! one image decision (the fast verdict, [`Engine::image_verdict`], scopes evaluated once per
//! asset beforehand) per N, cycling through all the images and through each kind alone, and the
//! load of a 10,000-policy bundle.
//!
//! Run: `cargo bench -p bona-runtime --bench decision`.

use std::hint::black_box;
use std::time::Duration;

use bona_runtime::Reference;
use bona_runtime::bundle::{read_bundle, write_bundle};
use bona_runtime::engine::Engine;
use bona_runtime::facts::{ImageFacts, Scan, Signature, Vulnerabilities};
use bona_runtime::glob::Glob;
use bona_runtime::input::{Asset, ImageInput};
use bona_runtime::ir::{
    Action, AssetAtom, AssetAttr, CmpOp, EqOp, Expr, ImageAtom, ImageBoolAttr, ImageStrAttr,
    KeyDef, Policy, PolicySet, RefAttr, VulnSeverity,
};
use bona_runtime::refpattern::ReferencePattern;
use bona_runtime::signature::{PublicKey, SIMPLE_SIGNING_TYPE, VerificationCache};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};

const NOW: i64 = 1_795_305_600;

fn glob(s: &str) -> Glob {
    Glob::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn atom(a: ImageAtom) -> Expr<ImageAtom> {
    Expr::Atom(a)
}

fn signing_key() -> SigningKey {
    SigningKey::from_slice(&[7u8; 32]).unwrap_or_else(|e| panic!("{e}"))
}

fn policy_set(n: usize) -> PolicySet {
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
        keys: vec![KeyDef {
            name: "release".into(),
            spki_der: key.to_spki_der(),
        }],
        policies,
    }
}

/// A small deterministic generator (no `rand` needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % bound as u64).unwrap_or(0)
    }
}

fn digest(i: usize) -> String {
    format!("sha256:{i:064x}")
}

fn signature(digest: &str) -> Signature {
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"x"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{SIMPLE_SIGNING_TYPE}"}},"optional":null}}"#
    )
    .into_bytes();
    let sig: EcdsaSignature = signing_key().sign(&payload);
    Signature {
        payload,
        signature: sig.to_der().as_bytes().to_vec(),
    }
}

fn reference(s: &str) -> Reference {
    Reference::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// 1,000 images against a set of `n` policies.
fn images(n: usize) -> Vec<ImageInput> {
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

/// Which image indexes a benchmark keeps.
type Keep = fn(usize) -> bool;

fn bench_decisions(c: &mut Criterion) {
    let asset = Asset {
        cluster: "prod-eu-1".into(),
        namespace: "payments".into(),
        kind: "Deployment".into(),
        name: "api".into(),
        ..Asset::default()
    };
    let mut group = c.benchmark_group("image decision");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for n in [1usize, 100, 1_000, 10_000] {
        let engine = Engine::new(policy_set(n)).unwrap_or_else(|e| panic!("{e}"));
        let images = images(n);
        let scope = engine.scope(&asset);
        let mut cache = VerificationCache::new();
        // Warm the signature cache, as a long-running webhook's would be.
        let trusted = images
            .iter()
            .filter(|image| {
                engine
                    .image_verdict(&scope, image, None, NOW, &mut cache)
                    .trusted
            })
            .count();
        eprintln!(
            "N = {n}: {trusted} of {} images trusted, {} unindexed rules",
            images.len(),
            engine.table().unindexed_count()
        );
        // Every image in turn, then each kind of image alone (`images` makes image k trusted
        // when k % 10 == 0, a near miss when k % 10 == 1, foreign otherwise).
        let classes: [(&str, Keep); 4] = [
            ("all", |_| true),
            ("trusted", |k| k % 10 == 0),
            ("near-miss", |k| k % 10 == 1),
            ("foreign", |k| k % 10 > 1),
        ];
        for (class, keep) in classes {
            let chosen: Vec<&ImageInput> = images
                .iter()
                .enumerate()
                .filter(|(k, _)| keep(*k))
                .map(|(_, image)| image)
                .collect();
            let mut next = 0usize;
            group.bench_function(BenchmarkId::new(class, n), |b| {
                b.iter(|| {
                    next = (next + 1) % chosen.len();
                    let image = chosen.get(next).unwrap_or_else(|| panic!("in range"));
                    black_box(engine.image_verdict(&scope, black_box(image), None, NOW, &mut cache))
                });
            });
        }
    }
    group.finish();
}

fn bench_bundle(c: &mut Criterion) {
    let bytes = write_bundle(&policy_set(10_000));
    let mut group = c.benchmark_group("bundle load 10000");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("read_bundle", |b| {
        // Dropping 10,000 policies is not part of loading them: keep it out of the timing.
        b.iter_with_large_drop(|| read_bundle(black_box(&bytes)));
    });
    group.bench_function("Engine::from_bundle", |b| {
        b.iter_with_large_drop(|| Engine::from_bundle(black_box(&bytes)));
    });
    group.finish();
}

criterion_group!(benches, bench_decisions, bench_bundle);
criterion_main!(benches);
