//! Signed attestations through the evaluator (docs/attestations.md): keyed DSSE envelopes made
//! here with a testkit key, and a keyless SLSA attestation of the private Sigstore; which
//! attestations count, the typed attributes, and the three values.

use bona_runtime::eval::{Evaluator, KeyRing};
use bona_runtime::facts::FactsDocument;
use bona_runtime::glob::Glob;
use bona_runtime::image::ImageView;
use bona_runtime::ir::{
    AttestedField, CmpOp, IdentityAttr, IdentityConstraint, IdentityTest, ImageAtom, KeyDef,
    Signer, TrustRootDef, VulnSeverity,
};
use bona_runtime::reference::Reference;
use bona_runtime::signature::VerificationCache;
use bona_runtime::tri::Tri;
use bona_testkit::fixtures::{self, Variant};
use bona_testkit::keys::Key;
use bona_testkit::sigstore::{IMAGE_REPO, PrivateSigstore};
use bona_testkit::{b64, hex};
use serde_json::{Value, json};

/// 2026-11-22T00:00:00Z.
const NOW: i64 = 1_795_305_600;
const D1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
const VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";

fn statement(predicate_type: &str, digest: &str, predicate: Value) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.company.com/app", "digest": {"sha256": digest}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

/// A DSSE envelope of `statement` signed by `key` over the pre-authentication encoding.
fn envelope(statement: &Value, key: &Key) -> Value {
    let payload = statement.to_string().into_bytes();
    let pae = bona_sigstore::dsse::pae("application/vnd.in-toto+json", &payload);
    json!({"envelope": {
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64(&payload),
        "signatures": [{"keyid": "", "sig": b64(&key.sign(&pae))}],
    }})
}

fn provenance(digest: &str) -> Value {
    statement(
        SLSA_V1,
        digest,
        json!({
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": "refs/tags/v1.2.3",
                    "repository": "https://github.com/company/app",
                    "path": ".github/workflows/release.yml"}},
            },
            "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}},
        }),
    )
}

fn vuln(digest: &str, finished: &str, critical: usize) -> Value {
    let vulns: Vec<Value> = (0..critical)
        .map(|i| json!({"VulnerabilityID": format!("CVE-2026-{i}"), "PkgName": "openssl", "Severity": "CRITICAL"}))
        .chain([json!({"VulnerabilityID": "CVE-2025-1", "PkgName": "zlib", "Severity": "LOW"})])
        .collect();
    statement(
        VULN,
        digest,
        json!({
            "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.0", "version": "0.58.0",
                        "result": {"SchemaVersion": 2, "Results": [{"Vulnerabilities": vulns}]}},
            "metadata": {"scanStartedOn": finished, "scanFinishedOn": finished},
        }),
    )
}

struct World {
    key: Key,
    ring: KeyRing,
}

fn world() -> World {
    let key = Key::derive(3, "attestations/release");
    let other = Key::derive(3, "attestations/other");
    let ring = KeyRing::from_set(
        &[
            KeyDef::key("release", key.spki_der().to_vec()),
            KeyDef::key("other", other.spki_der().to_vec()),
        ],
        &[],
    )
    .unwrap_or_else(|(n, e)| panic!("{n}: {e}"));
    World { key, ring }
}

/// `atom` for `registry.company.com/app@sha256:D1` (or the tag-only reference when
/// `pinned` is false) with `facts`.
fn eval_with(
    ring: &KeyRing,
    reference: &str,
    facts: Value,
    atom: &ImageAtom,
) -> (Tri, Vec<String>) {
    let doc = json!({"images": {reference: facts}}).to_string();
    let doc = FactsDocument::from_json(doc.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let r = Reference::parse(reference).unwrap_or_else(|e| panic!("{e}"));
    let view = ImageView::new(&r, doc.lookup(&r), NOW);
    let mut cache = VerificationCache::new();
    let mut eval = Evaluator::new(view, ring, &mut cache);
    let got = eval.atom(atom);
    let mut reasons = Vec::new();
    if got != Tri::True {
        eval.explain(
            &bona_runtime::ir::Expr::Atom(atom.clone()),
            true,
            &mut reasons,
        );
    }
    (got, reasons)
}

fn pinned() -> String {
    format!("registry.company.com/app@sha256:{D1}")
}

fn eval(w: &World, attestations: Option<Vec<Value>>, atom: &ImageAtom) -> (Tri, Vec<String>) {
    let facts = match attestations {
        Some(a) => json!({"attestations": a}),
        None => json!({"scanned": true}),
    };
    eval_with(&w.ring, &pinned(), facts, atom)
}

fn attested(key: u32, t: &str) -> ImageAtom {
    ImageAtom::Attested {
        key,
        predicate_type: t.to_owned(),
    }
}

fn field(field: AttestedField, test: IdentityTest) -> ImageAtom {
    ImageAtom::AttestedStr {
        key: 0,
        field: Box::new(field),
        test: Box::new(test),
    }
}

#[test]
fn which_attestations_count() {
    let w = world();
    let good = envelope(&provenance(D1), &w.key);
    assert_eq!(
        eval(&w, Some(vec![good.clone()]), &attested(0, SLSA_V1)).0,
        Tri::True
    );
    // The predicate type matches with and without `https://`.
    assert_eq!(
        eval(
            &w,
            Some(vec![good.clone()]),
            &attested(0, "slsa.dev/provenance/v1")
        )
        .0,
        Tri::True
    );
    // Another type, another signer, another image: false.
    assert_eq!(
        eval(&w, Some(vec![good.clone()]), &attested(0, VULN)).0,
        Tri::False
    );
    let (got, reasons) = eval(&w, Some(vec![good.clone()]), &attested(1, SLSA_V1));
    assert_eq!(got, Tri::False);
    assert!(
        reasons[0].contains("no attestation of type https://slsa.dev/provenance/v1 verifies"),
        "{reasons:?}"
    );
    // The first failed check is the signature's, not the payload's: a statement is not meant
    // to be a cosign signature.
    assert!(
        reasons[0].contains("(the signature does not verify under the ECDSA P-256 key)"),
        "{reasons:?}"
    );
    let elsewhere = envelope(&provenance(D2), &w.key);
    let (got, reasons) = eval(&w, Some(vec![elsewhere]), &attested(0, SLSA_V1));
    assert_eq!(got, Tri::False);
    assert!(
        reasons[0].contains("none of its subjects is the image's digest"),
        "{reasons:?}"
    );
    // Absent attestations: unknown; `[]`: false.
    let (got, reasons) = eval(&w, None, &attested(0, SLSA_V1));
    assert_eq!(got, Tri::Unknown);
    assert!(
        reasons[0].contains("the facts give no attestations"),
        "{reasons:?}"
    );
    assert_eq!(eval(&w, Some(vec![]), &attested(0, SLSA_V1)).0, Tri::False);
    // The digest unknown and an attestation of the type verifies: unknown.
    let tagged = "registry.company.com/app:1.2.3";
    let facts = json!({"attestations": [good.clone()]});
    assert_eq!(
        eval_with(&w.ring, tagged, facts, &attested(0, SLSA_V1)).0,
        Tri::Unknown
    );
    // A tampered payload verifies nothing.
    let mut tampered = good.clone();
    tampered["envelope"]["payload"] = json!(b64(provenance(D1)
        .to_string()
        .replace("v1.2.3", "v6.6.6")
        .as_bytes()));
    assert_eq!(
        eval(&w, Some(vec![tampered]), &attested(0, SLSA_V1)).0,
        Tri::False
    );
}

/// A cosign signature statement is a signature, never an attestation.
#[test]
fn a_signature_statement_is_not_an_attestation() {
    let w = world();
    let sign = envelope(
        &statement("https://sigstore.dev/cosign/sign/v1", D1, json!({})),
        &w.key,
    );
    assert_eq!(
        eval(
            &w,
            Some(vec![sign]),
            &attested(0, "https://sigstore.dev/cosign/sign/v1")
        )
        .0,
        Tri::False
    );
}

#[test]
fn provenance_fields() {
    let w = world();
    let good = Some(vec![envelope(&provenance(D1), &w.key)]);
    let eq = |v: &str| IdentityTest::Eq(v.to_owned());
    for (f, test, want) in [
        (
            AttestedField::Builder,
            eq("https://github.com/actions/runner/github-hosted"),
            Tri::True,
        ),
        (
            AttestedField::Builder,
            eq("https://github.com/actions/runner/self-hosted"),
            Tri::False,
        ),
        (
            AttestedField::Source,
            eq("github.com/company/app"),
            Tri::True,
        ),
        (
            AttestedField::Ref,
            IdentityTest::Matches(vec![
                Glob::parse("refs/tags/v*").unwrap_or_else(|e| panic!("{e}")),
            ]),
            Tri::True,
        ),
        (
            AttestedField::BuildType,
            IdentityTest::Ne("x".into()),
            Tri::True,
        ),
        // A field the predicate lacks is unknown.
        (
            AttestedField::Predicate {
                predicate_type: SLSA_V1.into(),
                path: "runDetails.metadata.invocationId".into(),
            },
            eq("1"),
            Tri::Unknown,
        ),
        (
            AttestedField::Predicate {
                predicate_type: SLSA_V1.into(),
                path: "buildDefinition.externalParameters.workflow.path".into(),
            },
            eq(".github/workflows/release.yml"),
            Tri::True,
        ),
    ] {
        let (got, reasons) = eval(&w, good.clone(), &field(f.clone(), test.clone()));
        assert_eq!(got, want, "{f:?} {test:?}: {reasons:?}");
    }
    let (_, reasons) = eval(
        &w,
        good.clone(),
        &field(AttestedField::Builder, eq("https://ci.example.com")),
    );
    assert_eq!(
        reasons,
        vec!["provenance(`release`).builder is \"https://github.com/actions/runner/github-hosted\", the rule needs `== \"https://ci.example.com\"`".to_owned()]
    );
    // Several count: the comparison holds if it holds for one.
    let mut other_builder = provenance(D1);
    other_builder["predicate"]["runDetails"]["builder"]["id"] = json!("https://ci.example.com");
    let two = Some(vec![
        envelope(&other_builder, &w.key),
        envelope(&provenance(D1), &w.key),
    ]);
    assert_eq!(
        eval(
            &w,
            two,
            &field(
                AttestedField::Builder,
                eq("https://github.com/actions/runner/github-hosted")
            )
        )
        .0,
        Tri::True
    );
}

#[test]
fn vulnerability_attestations() {
    let w = world();
    let recent = Some(vec![envelope(&vuln(D1, "2026-11-20T00:00:00Z", 0), &w.key)]);
    let old = Some(vec![envelope(&vuln(D1, "2026-11-01T00:00:00Z", 2), &w.key)]);
    let critical = |op, value| ImageAtom::AttestedVulns {
        key: 0,
        severity: VulnSeverity::Critical,
        op,
        value,
    };
    let low = ImageAtom::AttestedVulns {
        key: 0,
        severity: VulnSeverity::Low,
        op: CmpOp::Eq,
        value: 1,
    };
    let week = ImageAtom::AttestedScanAge {
        key: 0,
        op: CmpOp::Le,
        seconds: 7 * 86_400,
    };
    assert_eq!(
        eval(&w, recent.clone(), &critical(CmpOp::Eq, 0)).0,
        Tri::True
    );
    assert_eq!(eval(&w, recent.clone(), &low).0, Tri::True);
    assert_eq!(eval(&w, recent.clone(), &week).0, Tri::True);
    assert_eq!(eval(&w, old.clone(), &critical(CmpOp::Lt, 1)).0, Tri::False);
    let (got, reasons) = eval(&w, old.clone(), &week);
    assert_eq!(got, Tri::False);
    assert_eq!(
        reasons,
        vec!["vuln(`release`).scan.age is 21d, the rule needs `<= 7d`".to_owned()]
    );
    let scanner = field(
        AttestedField::Scanner,
        IdentityTest::Matches(vec![
            Glob::parse("pkg:github/aquasecurity/trivy@*").unwrap_or_else(|e| panic!("{e}")),
        ]),
    );
    assert_eq!(eval(&w, recent, &scanner).0, Tri::True);
}

/// A keyless SLSA attestation of the private Sigstore (a bundle with a DSSE envelope), under a
/// keyless signer for its identity, and for another identity.
#[test]
fn keyless_attestations() {
    let ss = PrivateSigstore::new(1);
    let n = Variant::ALL
        .iter()
        .position(|v| *v == Variant::DsseOtherPredicateType)
        .unwrap_or(0);
    let f = fixtures::build(&ss, Variant::DsseOtherPredicateType, n);
    let signer = |subject: &str| KeyDef {
        name: "ci".into(),
        signer: Signer::Keyless {
            root: 0,
            identity: vec![
                IdentityConstraint {
                    attr: IdentityAttr::Issuer,
                    test: IdentityTest::Eq(f.issuer.clone()),
                },
                IdentityConstraint {
                    attr: IdentityAttr::Subject,
                    test: IdentityTest::Eq(subject.to_owned()),
                },
            ],
        },
    };
    let roots = [TrustRootDef {
        name: "private".into(),
        document: f.trusted_root.to_string(),
    }];
    let reference = format!("{IMAGE_REPO}@sha256:{}", hex(&f.image_digest));
    // A DSSE bundle's facts entry is `{"bundle": …}`: the same shape as an attestation entry.
    let facts = json!({"attestations": [f.bundle_entry.clone()]});
    let ring = KeyRing::from_set(&[signer(&f.identity)], &roots)
        .unwrap_or_else(|(n, e)| panic!("{n}: {e}"));
    assert_eq!(
        eval_with(&ring, &reference, facts.clone(), &attested(0, SLSA_V1)).0,
        Tri::True
    );
    let wrong = KeyRing::from_set(
        &[signer(
            "https://github.com/company/app/.github/workflows/other.yml@refs/heads/main",
        )],
        &roots,
    )
    .unwrap_or_else(|(n, e)| panic!("{n}: {e}"));
    let (got, reasons) = eval_with(&wrong, &reference, facts, &attested(0, SLSA_V1));
    assert_eq!(got, Tri::False);
    assert!(reasons[0].contains("identity subject"), "{reasons:?}");
}

#[test]
fn attestation_entries_are_read_strictly() {
    for (entry, message) in [
        (
            json!({"envelope": {"payloadType": "x", "payload": "e30=", "signatures": []}, "extra": 1}),
            "unknown field `extra`",
        ),
        (json!({}), "missing field `envelope`"),
        (json!({"envelope": {"payload": "e30="}}), "payloadType"),
        (
            json!({"bundle": {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}, "certificate": "x"}),
            "takes nothing beside it",
        ),
    ] {
        let doc = json!({"images": {pinned(): {"attestations": [entry.clone()]}}}).to_string();
        match FactsDocument::from_json(doc.as_bytes()) {
            Ok(_) => panic!("{entry} should be refused"),
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains("attestations[0]") && text.contains(message),
                    "{entry}: {text}"
                );
            }
        }
    }
}

/// Changes one byte (`at`, XOR `bit`) of the base64 field `field` of `entry`'s envelope.
fn damage(mut entry: Value, envelope: &[&str], at: usize, bit: u8) -> Value {
    let mut slot = &mut entry;
    for key in envelope {
        slot = &mut slot[*key];
    }
    let text = slot.as_str().unwrap_or_default();
    let mut bytes = bona_testkit::unb64(text).unwrap_or_default();
    let len = bytes.len().max(1);
    if let Some(b) = bytes.get_mut(at % len) {
        *b ^= bit;
    }
    *slot = json!(b64(&bytes));
    entry
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any change to a byte of the payload or the signature of a keyed envelope, or of the
    /// `dsseEnvelope` of a keyless bundle, makes the attestation count for nothing: never
    /// true, never a panic. (The change may leave no statement at all, or one of another
    /// type; either way it does not count.)
    #[test]
    fn a_changed_byte_breaks_the_attestation(
        at in 0usize..4_096,
        bit in proptest::sample::select(vec![1u8, 2, 4, 8, 16, 32, 64, 128]),
        target in 0usize..4,
    ) {
        let got = if target < 2 {
            let w = world();
            let entry = envelope(&provenance(D1), &w.key);
            let damaged = if target == 0 {
                damage(entry, &["envelope", "payload"], at, bit)
            } else {
                let mut e = entry;
                let sig = e["envelope"]["signatures"][0]["sig"].clone();
                let holder = damage(json!({"sig": sig}), &["sig"], at, bit);
                e["envelope"]["signatures"][0]["sig"] = holder["sig"].clone();
                e
            };
            eval(&w, Some(vec![damaged]), &attested(0, SLSA_V1)).0
        } else {
            let ss = PrivateSigstore::new(1);
            let f = fixtures::build(&ss, Variant::DsseOtherPredicateType, 0);
            let ring = KeyRing::from_set(
                &[KeyDef {
                    name: "ci".into(),
                    signer: Signer::Keyless {
                        root: 0,
                        identity: vec![
                            IdentityConstraint {
                                attr: IdentityAttr::Issuer,
                                test: IdentityTest::Eq(f.issuer.clone()),
                            },
                            IdentityConstraint {
                                attr: IdentityAttr::Subject,
                                test: IdentityTest::Eq(f.identity.clone()),
                            },
                        ],
                    },
                }],
                &[TrustRootDef { name: "private".into(), document: f.trusted_root.to_string() }],
            )
            .unwrap_or_else(|(n, e)| panic!("{n}: {e}"));
            let field = if target == 2 { "payload" } else { "sig" };
            let mut entry = f.bundle_entry.clone();
            if field == "payload" {
                entry = damage(entry, &["bundle", "dsseEnvelope", "payload"], at, bit);
            } else {
                let sig = entry["bundle"]["dsseEnvelope"]["signatures"][0]["sig"].clone();
                let holder = damage(json!({"sig": sig}), &["sig"], at, bit);
                entry["bundle"]["dsseEnvelope"]["signatures"][0]["sig"] = holder["sig"].clone();
            }
            let reference = format!("{IMAGE_REPO}@sha256:{}", hex(&f.image_digest));
            let facts = json!({"attestations": [entry]});
            let doc = json!({"images": {&reference: &facts}}).to_string();
            if FactsDocument::from_json(doc.as_bytes()).is_err() {
                // Refused as a whole: nothing counts.
                Tri::False
            } else {
                eval_with(&ring, &reference, facts, &attested(0, SLSA_V1)).0
            }
        };
        proptest::prop_assert_ne!(got, Tri::True, "target {} at {} bit {}", target, at, bit);
    }

    /// Damaged attestation facts are refused with a message or read; they never panic.
    #[test]
    fn damaged_attestation_facts_never_panic(at in 0usize..2_000, byte in proptest::prelude::any::<u8>()) {
        let w = world();
        let doc = json!({"images": {pinned(): {"attestations": [
            envelope(&provenance(D1), &w.key),
            envelope(&vuln(D1, "2026-11-20T00:00:00Z", 1), &w.key),
        ]}}}).to_string();
        let mut bytes = doc.into_bytes();
        let len = bytes.len();
        if let Some(b) = bytes.get_mut(at % len) {
            *b = byte;
        }
        let _ = FactsDocument::from_json(&bytes);
    }
}
