//! Keyless signers and keys that require a transparency log, through the runtime's evaluator,
//! against every case of the private Sigstore of `bona-testkit`: each good case verifies in
//! both facts forms it has (bundle entry, cosign `.sig` entry), each negative one is refused,
//! and by the check it was made to break (docs/signatures.md#when-a-signature-verifies).

use bona_runtime::eval::{Evaluator, KeyRing};
use bona_runtime::facts::FactsDocument;
use bona_runtime::glob::Glob;
use bona_runtime::image::ImageView;
use bona_runtime::ir::{
    Action, Expr, IdentityAttr, IdentityConstraint, IdentityTest, ImageAtom, KeyDef, Policy,
    Signer, TrustRootDef,
};
use bona_runtime::reference::Reference;
use bona_runtime::signature::VerificationCache;
use bona_runtime::tri::Tri;
use bona_sigstore::verify::{self, Step};
use bona_testkit::fixtures::{self, Fixture, Variant};
use bona_testkit::sigstore::{IMAGE_REPO, PrivateSigstore};
use bona_testkit::{b64, hex};
use serde_json::{Value, json};

/// Three months after the fixtures' signing time.
const NOW: i64 = 1_780_000_000;

fn eq(attr: IdentityAttr, value: &str) -> IdentityConstraint {
    IdentityConstraint {
        attr,
        test: IdentityTest::Eq(value.to_owned()),
    }
}

fn ext(name: &str) -> IdentityAttr {
    IdentityAttr::Extension(name.to_owned())
}

/// The exact identity the fixture was issued for.
fn exact(f: &Fixture) -> Vec<IdentityConstraint> {
    vec![
        eq(IdentityAttr::Issuer, &f.issuer),
        eq(IdentityAttr::Subject, &f.identity),
    ]
}

fn ring(root: &Value, signers: Vec<Signer>) -> KeyRing {
    let defs: Vec<KeyDef> = signers
        .into_iter()
        .enumerate()
        .map(|(i, signer)| KeyDef {
            name: format!("s{i}"),
            signer,
        })
        .collect();
    let roots = [TrustRootDef {
        name: "private".into(),
        document: root.to_string(),
    }];
    KeyRing::from_set(&defs, &roots).unwrap_or_else(|(name, e)| panic!("{name}: {e}"))
}

fn keyless(identity: Vec<IdentityConstraint>) -> Signer {
    Signer::Keyless { root: 0, identity }
}

/// `atom` for the fixture's image with `entry` as its one signature, and the policy's reasons
/// when it is not true.
fn decide(f: &Fixture, entry: &Value, ring: &KeyRing, atom: ImageAtom) -> (Tri, Vec<String>) {
    let facts = f.facts(entry).to_string();
    let doc = FactsDocument::from_json(facts.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let reference = Reference::parse(&format!("{IMAGE_REPO}@sha256:{}", hex(&f.image_digest)))
        .unwrap_or_else(|e| panic!("{e}"));
    let view = ImageView::new(&reference, doc.lookup(&reference), NOW);
    let mut cache = VerificationCache::new();
    let mut eval = Evaluator::new(view, ring, &mut cache);
    let verdict = eval.atom(&atom);
    let policy = Policy {
        name: "p".into(),
        action: Action::Prevent,
        on_unknown: Action::Prevent,
        scope: None,
        rules: vec![Expr::Atom(atom)],
        description: None,
    };
    let reasons = if verdict == Tri::True {
        Vec::new()
    } else {
        eval.explain_policy(&policy, verdict)
    };
    (verdict, reasons)
}

/// The facts forms of a fixture: its bundle entry and, when it has one, its `.sig` entry.
fn forms(f: &Fixture) -> Vec<(&'static str, Value)> {
    let mut out = vec![("bundle", f.bundle_entry.clone())];
    if let Some(sig) = &f.sig_entry {
        out.push((".sig", sig.clone()));
    }
    out
}

#[test]
fn every_fixture_verifies_exactly_when_the_manifest_says() {
    let ss = PrivateSigstore::new(1);
    let mut verified = 0;
    let mut refused = 0;
    for f in fixtures::all(&ss) {
        let ring = ring(&f.trusted_root, vec![keyless(exact(&f))]);
        for (form, entry) in forms(&f) {
            let (got, reasons) = decide(&f, &entry, &ring, ImageAtom::SignedBy { key: 0 });
            let id = f.variant.id();
            // A `.sig` entry without `tlog` has no log proof at all (a timestamp is not one),
            // whatever its bundle form carries.
            let in_log = form == "bundle" || entry.get("tlog").is_some();
            if f.variant.verifies() && in_log {
                assert_eq!(got, Tri::True, "{id} ({form}): {reasons:?}");
                verified += 1;
            } else {
                // The image's digest is known, so a refused signature is false, never unknown.
                assert_eq!(got, Tri::False, "{id} ({form}) should be refused");
                assert_eq!(reasons.len(), 1, "{id} ({form}): {reasons:?}");
                assert!(
                    reasons[0]
                        .starts_with("not signed by `s0`: the one signature does not verify (")
                        || reasons[0].contains("names another image"),
                    "{id} ({form}): {reasons:?}"
                );
                refused += 1;
            }
        }
    }
    assert!(
        verified >= 20 && refused >= 40,
        "{verified} verified, {refused} refused"
    );
}

/// Which check of §7.2 a negative fixture was made to break, from its manifest line.
fn broken_check(variant: Variant) -> Option<&'static str> {
    let breaks = variant.breaks();
    [
        "check 1", "check 2", "check 3", "check 4", "check 5", "check 6", "binding",
    ]
    .into_iter()
    .find(|c| breaks.starts_with(c))
}

/// Every negative fixture is refused by the check it breaks, and only by it: the checks
/// before it pass (the reason is that check's), and identity or binding breaks pass checks 1–5.
#[test]
fn each_negative_fixture_is_caught_by_its_own_check() {
    let ss = PrivateSigstore::new(1);
    for f in fixtures::all(&ss) {
        let Some(check) = broken_check(f.variant) else {
            continue;
        };
        let root =
            bona_sigstore::trustroot::TrustedRoot::from_json(f.trusted_root.to_string().as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        for (form, entry) in forms(&f) {
            let facts = f.facts(&entry).to_string();
            let doc = FactsDocument::from_json(facts.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            let (_, image) = doc.iter().next().unwrap_or_else(|| panic!("no image"));
            let signature = &image.signatures.as_ref().unwrap_or_else(|| panic!("none"))[0];
            let evidence = &signature
                .evidence
                .as_ref()
                .unwrap_or_else(|| panic!("none"))
                .sigstore;
            let result = verify::verify_keyless(evidence, &signature.payload, &root, NOW);
            let id = f.variant.id();
            let allowed: &[Step] = match check {
                "check 1" => &[Step::Chain],
                "check 2" => &[Step::Proof, Step::Log, Step::Time, Step::LeafValidity],
                "check 3" => &[Step::Sct],
                "check 4" => &[Step::Signature],
                "check 5" => &[Step::Describes],
                _ => &[],
            };
            match result {
                Err(failure) => assert!(
                    allowed.contains(&failure.step),
                    "{id} ({form}) breaks {check} but failed at {:?}: {}",
                    failure.step,
                    failure.reason
                ),
                Ok(_) => assert!(
                    allowed.is_empty(),
                    "{id} ({form}) breaks {check} but passed checks 1-5"
                ),
            }
        }
    }
}

/// Fixture by variant.
fn fixture(ss: &PrivateSigstore, variant: Variant) -> Fixture {
    let n = Variant::ALL.iter().position(|v| *v == variant).unwrap_or(0);
    fixtures::build(ss, variant, n)
}

fn glob(text: &str) -> Glob {
    Glob::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn identity_constraints_are_anchored_and_all_must_hold() {
    let ss = PrivateSigstore::new(1);
    let good = fixture(&ss, Variant::GoodMessageV03);
    let evil = fixture(&ss, Variant::IdentityOtherOrg);
    let suffix = fixture(&ss, Variant::IdentitySuffix);
    let release = IdentityConstraint {
        attr: IdentityAttr::Subject,
        test: IdentityTest::Matches(vec![glob(
            "https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*",
        )]),
    };
    let issuer = eq(IdentityAttr::Issuer, &good.issuer);
    let cases: Vec<(&str, Vec<IdentityConstraint>, &Fixture, Tri)> = vec![
        (
            "glob",
            vec![issuer.clone(), release.clone()],
            &good,
            Tri::True,
        ),
        (
            "other org",
            vec![issuer.clone(), release.clone()],
            &evil,
            Tri::False,
        ),
        // Anchored at the end: an added suffix does not match.
        (
            "suffix",
            vec![issuer.clone(), release.clone()],
            &suffix,
            Tri::False,
        ),
        (
            "extension ==",
            vec![
                issuer.clone(),
                release.clone(),
                eq(
                    ext("source_repository_uri"),
                    "https://github.com/company/app",
                ),
            ],
            &good,
            Tri::True,
        ),
        (
            "extension near miss",
            vec![
                issuer.clone(),
                release.clone(),
                eq(
                    ext("source_repository_uri"),
                    "https://github.com/company/ap",
                ),
            ],
            &good,
            Tri::False,
        ),
        (
            "in",
            vec![
                issuer.clone(),
                release.clone(),
                IdentityConstraint {
                    attr: ext("runner_environment"),
                    test: IdentityTest::In(vec!["self-hosted".into(), "github-hosted".into()]),
                },
            ],
            &good,
            Tri::True,
        ),
        (
            "!= holds",
            vec![
                issuer.clone(),
                release.clone(),
                IdentityConstraint {
                    attr: ext("runner_environment"),
                    test: IdentityTest::Ne("self-hosted".into()),
                },
            ],
            &good,
            Tri::True,
        ),
        (
            // A constraint on an extension the certificate lacks never holds, `!=` included.
            "!= on a missing extension",
            vec![
                issuer.clone(),
                release.clone(),
                IdentityConstraint {
                    attr: ext("deployment_environment"),
                    test: IdentityTest::Ne("production".into()),
                },
            ],
            &good,
            Tri::False,
        ),
        (
            "issuer near miss",
            vec![
                eq(
                    IdentityAttr::Issuer,
                    "https://token.actions.githubusercontent.co",
                ),
                release.clone(),
            ],
            &good,
            Tri::False,
        ),
    ];
    for (name, identity, f, want) in cases {
        let ring = ring(&f.trusted_root, vec![keyless(identity)]);
        let (got, reasons) = decide(f, &f.bundle_entry, &ring, ImageAtom::SignedBy { key: 0 });
        assert_eq!(got, want, "{name}: {reasons:?}");
        if want == Tri::False {
            assert!(
                reasons.iter().any(|r| r.contains("identity")),
                "{name}: {reasons:?}"
            );
        }
    }
}

#[test]
fn identity_reasons_say_what_was_found_and_wanted() {
    let ss = PrivateSigstore::new(1);
    let evil = fixture(&ss, Variant::IdentityOtherOrg);
    let ring = ring(
        &evil.trusted_root,
        vec![keyless(vec![
            eq(IdentityAttr::Issuer, &evil.issuer),
            IdentityConstraint {
                attr: IdentityAttr::Subject,
                test: IdentityTest::Matches(vec![glob("https://github.com/company/**")]),
            },
        ])],
    );
    let (_, reasons) = decide(
        &evil,
        &evil.bundle_entry,
        &ring,
        ImageAtom::SignedBy { key: 0 },
    );
    assert_eq!(
        reasons,
        vec![format!(
            "not signed by `s0`: the one signature does not verify (identity subject {} does not \
             match https://github.com/company/**)",
            evil.identity.replace("/company/", "/company-evil/")
        )]
    );
}

#[test]
fn a_wrong_trust_root_names_the_root() {
    let ss = PrivateSigstore::new(1);
    let good = fixture(&ss, Variant::GoodMessageV03);
    let other = PrivateSigstore::new(2);
    let ring = ring(&other.trusted_root(), vec![keyless(exact(&good))]);
    let (got, reasons) = decide(
        &good,
        &good.bundle_entry,
        &ring,
        ImageAtom::SignedBy { key: 0 },
    );
    assert_eq!(got, Tri::False);
    assert!(reasons[0].contains("trust root `private`"), "{reasons:?}");
}

/// A keyless signer never accepts a keyed signature, and a key never accepts a keyless one
/// (the certificate's key is not the key).
#[test]
fn keyless_and_keyed_do_not_mix() {
    let ss = PrivateSigstore::new(1);
    let good = fixture(&ss, Variant::GoodMessageV03);
    let ring = ring(&good.trusted_root, vec![keyless(exact(&good))]);
    let keyed = json!({"payload": good.sig_entry.as_ref().map_or(Value::Null, |e| e["payload"].clone()),
                       "signature": good.sig_entry.as_ref().map_or(Value::Null, |e| e["signature"].clone())});
    let (got, reasons) = decide(&good, &keyed, &ring, ImageAtom::SignedBy { key: 0 });
    assert_eq!(got, Tri::False);
    assert!(reasons[0].contains("no certificate"), "{reasons:?}");
}

/// `signed by N of [...]` with keyless signers: two identities and one signature make one
/// signer, not two.
#[test]
fn n_of_counts_each_signature_once() {
    let ss = PrivateSigstore::new(1);
    let good = fixture(&ss, Variant::GoodMessageV03);
    let loose = vec![
        eq(IdentityAttr::Issuer, &good.issuer),
        IdentityConstraint {
            attr: IdentityAttr::Subject,
            test: IdentityTest::Matches(vec![glob("https://github.com/company/**")]),
        },
    ];
    let ring = ring(
        &good.trusted_root,
        vec![keyless(exact(&good)), keyless(loose)],
    );
    let two = ImageAtom::SignedByN {
        n: 2,
        keys: vec![0, 1],
    };
    let (got, reasons) = decide(&good, &good.bundle_entry, &ring, two.clone());
    assert_eq!(got, Tri::False);
    assert!(reasons[0].contains("not 2 distinct ones"), "{reasons:?}");
    let one = ImageAtom::SignedByN {
        n: 1,
        keys: vec![0, 1],
    };
    assert_eq!(decide(&good, &good.bundle_entry, &ring, one).0, Tri::True);
    // The same signature in two entries (its bundle and its `.sig` form) is still one
    // signature: it cannot count for both signers.
    let Some(sig_entry) = &good.sig_entry else {
        panic!("the good v0.3 message case has a .sig form")
    };
    let facts = decide_many(
        &good,
        &[good.bundle_entry.clone(), sig_entry.clone()],
        &ring,
        two,
    );
    assert_eq!(facts, Tri::False);
}

/// `atom` with several signature entries.
fn decide_many(f: &Fixture, entries: &[Value], ring: &KeyRing, atom: ImageAtom) -> Tri {
    let mut facts = f.facts(&json!(null));
    if let Some(images) = facts["images"].as_object_mut() {
        for image in images.values_mut() {
            image["signatures"] = json!(entries);
        }
    }
    let doc =
        FactsDocument::from_json(facts.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let reference = Reference::parse(&format!("{IMAGE_REPO}@sha256:{}", hex(&f.image_digest)))
        .unwrap_or_else(|e| panic!("{e}"));
    let view = ImageView::new(&reference, doc.lookup(&reference), NOW);
    let mut cache = VerificationCache::new();
    Evaluator::new(view, ring, &mut cache).atom(&atom)
}

/// A key with `{ tlog R }`: its signature must be in a log of R, and the log entry must name
/// this signature and key; without a log entry the signature no longer counts.
#[test]
fn a_key_that_requires_the_log() {
    use bona_testkit::keys::Key;
    use bona_testkit::rekor::{Log, hashedrekord_body};
    use bona_testkit::sigstore::simple_signing_payload;
    use sha2::{Digest as _, Sha256};

    let ss = PrivateSigstore::new(1);
    let good = fixture(&ss, Variant::GoodMessageV03);
    let key = Key::derive(1, "keyed-with-log");
    let payload = simple_signing_payload(IMAGE_REPO, &good.image_digest);
    let signature = key.sign(&payload);
    let digest: [u8; 32] = Sha256::digest(&payload).into();
    let mut log = Log::new(ss.rekor.clone(), "rekor.testkit.bona.invalid", 7);
    log.append(b"{}".to_vec(), 1_772_366_000);
    let index = log.append(
        hashedrekord_body(&digest, &signature, &key.public_pem()),
        1_772_366_405,
    );
    // A genuine entry of the same key for another signature: its SET verifies, but it does not
    // describe this signature (check 5).
    let elsewhere = log.append(
        hashedrekord_body(&[7u8; 32], &key.sign(b"another payload"), &key.public_pem()),
        1_772_366_410,
    );
    let elsewhere = log.entry(elsewhere);
    let entry = log.entry(index);
    let tlog = |body: &[u8]| {
        json!({
            "SignedEntryTimestamp": b64(&entry.set),
            "Payload": {"body": b64(body), "integratedTime": entry.integrated_time,
                        "logIndex": entry.log_index, "logID": hex(&entry.log_id)}
        })
    };
    let logged =
        json!({"payload": b64(&payload), "signature": b64(&signature), "tlog": tlog(&entry.body)});
    let bare = json!({"payload": b64(&payload), "signature": b64(&signature)});
    let other_body = hashedrekord_body(&[0u8; 32], &signature, &key.public_pem());
    let forged =
        json!({"payload": b64(&payload), "signature": b64(&signature), "tlog": tlog(&other_body)});

    let spki = key.spki_der().to_vec();
    let ring = ring(
        &good.trusted_root,
        vec![
            Signer::Key {
                spki_der: spki.clone(),
                tlog: Some(0),
            },
            Signer::Key {
                spki_der: spki,
                tlog: None,
            },
        ],
    );
    let by_logged = ImageAtom::SignedBy { key: 0 };
    let by_plain = ImageAtom::SignedBy { key: 1 };
    assert_eq!(
        decide(&good, &logged, &ring, by_logged.clone()).0,
        Tri::True
    );
    assert_eq!(decide(&good, &logged, &ring, by_plain.clone()).0, Tri::True);
    // The plain key ignores log material; the logged key needs it.
    assert_eq!(decide(&good, &bare, &ring, by_plain).0, Tri::True);
    let (got, reasons) = decide(&good, &bare, &ring, by_logged.clone());
    assert_eq!(got, Tri::False);
    assert!(
        reasons[0].contains("no transparency-log proof"),
        "{reasons:?}"
    );
    // A SET over another body fails check 2 before check 5 is reached.
    let (got, reasons) = decide(&good, &forged, &ring, by_logged.clone());
    assert_eq!(got, Tri::False, "{reasons:?}");
    let other_entry = json!({
        "payload": b64(&payload), "signature": b64(&signature),
        "tlog": {
            "SignedEntryTimestamp": b64(&elsewhere.set),
            "Payload": {"body": b64(&elsewhere.body), "integratedTime": elsewhere.integrated_time,
                        "logIndex": elsewhere.log_index, "logID": hex(&elsewhere.log_id)}
        }
    });
    let (got, reasons) = decide(&good, &other_entry, &ring, by_logged);
    assert_eq!(got, Tri::False, "{reasons:?}");
    assert!(reasons[0].contains("signature"), "{reasons:?}");
}

/// Where a single change is made in a verifying bundle.
#[derive(Clone, Copy, Debug)]
enum Target {
    Certificate,
    Signature,
    Set,
    ProofHash,
    RootHash,
    Checkpoint,
    Body,
}

/// Flips one bit of a base64 field (or changes one character of a text field) of the good
/// v0.2 bundle, which carries a certificate chain, a SET, an inclusion proof and a checkpoint.
fn mutate(bundle: &mut Value, target: Target, at: usize, bit: u8) {
    let entry = &mut bundle["verificationMaterial"]["tlogEntries"][0];
    let field: &mut Value = match target {
        Target::Certificate => {
            &mut bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"]
        }
        Target::Signature => &mut bundle["messageSignature"]["signature"],
        Target::Set => &mut entry["inclusionPromise"]["signedEntryTimestamp"],
        Target::ProofHash => &mut entry["inclusionProof"]["hashes"][0],
        Target::RootHash => &mut entry["inclusionProof"]["rootHash"],
        Target::Body => &mut entry["canonicalizedBody"],
        Target::Checkpoint => {
            // The signed note (origin, size, root hash, other lines) or a bit of the log's
            // signature after its key hint. The name on the signature line is not signed and
            // not compared (as sigstore-go does; docs/choices.md), so it is not a target.
            let text = entry["inclusionProof"]["checkpoint"]["envelope"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let (body, signatures) = text.split_once("\n\n").unwrap_or((&text, ""));
            let changed = if at.is_multiple_of(2) {
                let mut chars: Vec<char> = body.chars().collect();
                let i = at / 2 % chars.len().max(1);
                if let Some(c) = chars.get_mut(i) {
                    *c = if *c == 'A' { 'B' } else { 'A' };
                }
                format!("{}\n\n{signatures}", chars.into_iter().collect::<String>())
            } else {
                let line = signatures.lines().next().unwrap_or_default();
                let (name, sig) = line.rsplit_once(' ').unwrap_or((line, ""));
                let mut raw = bona_testkit::unb64(sig).unwrap_or_default();
                let len = raw.len().saturating_sub(4).max(1);
                if let Some(b) = raw.get_mut(4 + at / 2 % len) {
                    *b ^= 1 << (bit % 8);
                }
                format!("{body}\n\n{name} {}\n", b64(&raw))
            };
            entry["inclusionProof"]["checkpoint"]["envelope"] = json!(changed);
            return;
        }
    };
    let mut bytes = bona_testkit::unb64(field.as_str().unwrap_or_default()).unwrap_or_default();
    let len = bytes.len().max(1);
    if let Some(b) = bytes.get_mut(at % len) {
        *b ^= 1 << (bit % 8);
    }
    *field = json!(b64(&bytes));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Any single-bit change to the certificate, signature, SET, a proof hash, the root hash
    /// or the log body, and any one-character change to the checkpoint, makes the verifying
    /// signature stop verifying (false: the digest is known), and nothing panics.
    #[test]
    fn a_single_change_breaks_verification(
        target in proptest::sample::select(vec![
            Target::Certificate, Target::Signature, Target::Set, Target::ProofHash,
            Target::RootHash, Target::Checkpoint, Target::Body,
        ]),
        at in 0usize..4096,
        bit in 0u8..8,
    ) {
        let ss = PrivateSigstore::new(1);
        let good = fixture(&ss, Variant::GoodMessageV02);
        let ring = ring(&good.trusted_root, vec![keyless(exact(&good))]);
        let mut bundle = good.bundle.clone();
        mutate(&mut bundle, target, at, bit);
        let mut entry = good.bundle_entry.clone();
        entry["bundle"] = bundle;
        let facts = good.facts(&entry).to_string();
        // A change may make the entry unreadable (bad input) or readable and refused.
        if let Ok(doc) = FactsDocument::from_json(facts.as_bytes()) {
            let reference = Reference::parse(&format!("{IMAGE_REPO}@sha256:{}", hex(&good.image_digest)))
                .unwrap_or_else(|e| panic!("{e}"));
            let view = ImageView::new(&reference, doc.lookup(&reference), NOW);
            let mut cache = VerificationCache::new();
            let got = Evaluator::new(view, &ring, &mut cache).atom(&ImageAtom::SignedBy { key: 0 });
            proptest::prop_assert_eq!(got, Tri::False, "{:?} at {} bit {}", target, at, bit);
        }
    }

    /// Arbitrary damage anywhere in a keyless facts document never panics the reader or the
    /// verifier.
    #[test]
    fn damaged_facts_never_panic(at in 0usize..20_000, byte in proptest::prelude::any::<u8>()) {
        let ss = PrivateSigstore::new(1);
        let good = fixture(&ss, Variant::GoodDsseV03);
        let ring = ring(&good.trusted_root, vec![keyless(exact(&good))]);
        let mut text = good.facts(&good.bundle_entry).to_string().into_bytes();
        let len = text.len();
        if let Some(b) = text.get_mut(at % len) {
            *b = byte;
        }
        if let Ok(doc) = FactsDocument::from_json(&text) {
            let reference = Reference::parse(&format!("{IMAGE_REPO}@sha256:{}", hex(&good.image_digest)))
                .unwrap_or_else(|e| panic!("{e}"));
            let view = ImageView::new(&reference, doc.lookup(&reference), NOW);
            let mut cache = VerificationCache::new();
            let _ = Evaluator::new(view, &ring, &mut cache).atom(&ImageAtom::SignedBy { key: 0 });
        }
    }
}
