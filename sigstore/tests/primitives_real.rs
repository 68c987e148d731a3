//! Each primitive on real Sigstore data, with the exact error it must give for the corpus's
//! negative fixture and for targeted tampering (one field changed, everything else genuine), so
//! that a check is shown to be the one that catches its attack.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::{Path, PathBuf};

use bona_sigstore::bundle::{Bundle, Content};
use bona_sigstore::cert::{self, Cert, CertError};
use bona_sigstore::checkpoint::{Checkpoint, CheckpointError};
use bona_sigstore::merkle::{self, MerkleError};
use bona_sigstore::rekor::{self, RekorError, SetPayload};
use bona_sigstore::sct::{self, SctError};
use bona_sigstore::trustroot::TrustedRoot;
use bona_sigstore::tsa::{self, TsaError};

struct Corpus(PathBuf);

impl Corpus {
    fn get(test: &str) -> Option<Self> {
        common::corpus(test).map(|c| Corpus(c.join("sigstore")))
    }

    fn case(&self, name: &str) -> PathBuf {
        self.0.join("sigstore-conformance/bundle-verify").join(name)
    }

    fn bundle(&self, name: &str) -> Bundle {
        Bundle::from_json(&std::fs::read(self.case(name).join("bundle.sigstore.json")).unwrap())
            .unwrap()
    }

    /// The case's own trust root, else production.
    fn root(&self, name: &str) -> TrustedRoot {
        let own = self.case(name).join("trusted_root.json");
        let path = if own.exists() {
            own
        } else {
            self.production_path()
        };
        TrustedRoot::from_json(&std::fs::read(path).unwrap()).unwrap()
    }

    fn production_path(&self) -> PathBuf {
        self.0
            .join("trust-roots/public-good-production.trusted_root.json")
    }
}

fn leaf_of(b: &Bundle) -> Cert {
    Cert::from_der(b.material.leaf().unwrap()).unwrap()
}

fn set_payload(b: &Bundle) -> SetPayload {
    let e = &b.tlog_entries[0];
    SetPayload {
        body: e.body.clone(),
        integrated_time: e.integrated_time.unwrap(),
        log_index: e.log_index,
        log_id: e.log_id.clone(),
    }
}

#[test]
fn trust_roots_of_the_corpus_read() {
    let Some(c) = Corpus::get("trust_roots_of_the_corpus_read") else {
        return;
    };
    let prod = TrustedRoot::from_json(&std::fs::read(c.production_path()).unwrap()).unwrap();
    assert_eq!(
        (
            prod.tlogs.len(),
            prod.certificate_authorities.len(),
            prod.ctlogs.len()
        ),
        (2, 2, 2)
    );
    assert_eq!(prod.timestamp_authorities.len(), 1);
    assert_eq!(prod.tlogs[0].key.kind(), "ECDSA P-256");
    // Rekor v1's log ID is the SHA-256 of its key.
    assert_eq!(
        prod.tlogs[0].log_id,
        prod.tlogs[0].key.fingerprint().to_vec()
    );
    let mut read = 0;
    for dir in [
        c.0.join("sigstore-conformance/bundle-verify"),
        c.0.join("extra"),
        c.0.join("trust-roots"),
    ] {
        for entry in walk(&dir) {
            if entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("trusted_root.json"))
            {
                let r = TrustedRoot::from_json(&std::fs::read(&entry).unwrap());
                let bad = entry.to_string_lossy().contains("missing-validity-start");
                assert_eq!(r.is_err(), bad, "{}: {r:?}", entry.display());
                read += 1;
            }
        }
    }
    assert!(read > 20, "{read}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn set_verifies_and_each_field_is_bound() {
    let Some(c) = Corpus::get("set_verifies_and_each_field_is_bound") else {
        return;
    };
    let b = c.bundle("happy-path-v0.3");
    let root = c.root("happy-path-v0.3");
    let set = b.tlog_entries[0].set.clone().unwrap();
    let good = set_payload(&b);
    rekor::verify_set(&set, &good, &root).unwrap();
    // Each signed field changed alone breaks the SET.
    for p in [
        SetPayload {
            integrated_time: good.integrated_time + 1,
            ..good.clone()
        },
        SetPayload {
            log_index: good.log_index + 1,
            ..good.clone()
        },
        SetPayload {
            body: [good.body.clone(), b" ".to_vec()].concat(),
            ..good.clone()
        },
    ] {
        assert_eq!(rekor::verify_set(&set, &p, &root), Err(RekorError::BadSet));
    }
    // The log's key must be valid at the integrated time (prod's Rekor key starts 2021-01-12).
    let early = SetPayload {
        integrated_time: 1_600_000_000,
        ..good.clone()
    };
    assert_eq!(
        rekor::verify_set(&set, &early, &root),
        Err(RekorError::LogKeyNotValid(1_600_000_000))
    );
    // The same window applies to checkpoints, whose signatures carry no time.
    let log = rekor::find_log(&root, &good.log_id).unwrap();
    rekor::check_log_valid_at(log, good.integrated_time).unwrap();
    assert_eq!(
        rekor::check_log_valid_at(log, 1_600_000_000),
        Err(RekorError::LogKeyNotValid(1_600_000_000))
    );
    // The corpus's negative: an invalid SET.
    let bad = c.bundle("set-invalid-signature_fail");
    let e = rekor::verify_set(
        bad.tlog_entries[0].set.as_ref().unwrap(),
        &set_payload(&bad),
        &root,
    );
    assert_eq!(e, Err(RekorError::BadSet));
    // The staging log is not in the production root.
    let staging = c.bundle("bundle-from-wrong-instance_fail");
    let e = rekor::verify_set(
        staging.tlog_entries[0].set.as_ref().unwrap(),
        &set_payload(&staging),
        &root,
    );
    assert!(matches!(e, Err(RekorError::UnknownLog(_))), "{e:?}");
    // cosign's annotation form of the same entry.
    let cosign = serde_json::json!({
        "body": base64_std(&good.body), "integratedTime": good.integrated_time,
        "logIndex": good.log_index, "logID": bona_sigstore::keys::hex(&good.log_id),
    });
    let from_cosign = rekor::set_payload_from_cosign(&cosign, "tlog.Payload").unwrap();
    assert_eq!(from_cosign, good);
}

fn base64_std(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[test]
fn inclusion_proofs_and_checkpoints() {
    let Some(c) = Corpus::get("inclusion_proofs_and_checkpoints") else {
        return;
    };
    let root = c.root("happy-path-v0.3");
    let check = |name: &str| -> (Result<(), MerkleError>, Result<(), CheckpointError>) {
        let b = c.bundle(name);
        let e = &b.tlog_entries[0];
        let p = e.inclusion_proof.as_ref().unwrap();
        let leaf = merkle::leaf_hash(&e.body);
        let m = merkle::verify_inclusion(
            p.log_index as u64,
            p.tree_size as u64,
            &leaf,
            &p.hashes,
            &p.root_hash,
        );
        let log = rekor::find_log(&root, &e.log_id).unwrap();
        let cp = Checkpoint::parse(p.checkpoint.as_deref().unwrap()).and_then(|cp| {
            cp.verify_signature(&log.key, &log.log_id)?;
            cp.check_proof_root(&p.root_hash, Some(p.tree_size as u64))
        });
        (m, cp)
    };
    assert_eq!(check("happy-path-v0.3"), (Ok(()), Ok(())));
    let (m, cp) = check("inclusion-proof-corrupted-hash_fail");
    assert!(matches!(m, Err(MerkleError::RootMismatch { .. })), "{m:?}");
    assert_eq!(
        cp,
        Ok(()),
        "only the Merkle check catches a corrupted path hash"
    );
    let (m, cp) = check("checkpoint-bad-keyhint_fail");
    assert_eq!(
        (m, cp),
        (
            Ok(()),
            Err(CheckpointError::NoSignatureByLog {
                expected: [0xc0, 0xd2, 0x3d, 0x6a]
            })
        )
    );
    assert_eq!(
        check("invalid-checkpoint-signature_fail"),
        (Ok(()), Err(CheckpointError::BadSignature))
    );
    assert_eq!(
        check("checkpoint-wrong-roothash_fail"),
        (Ok(()), Err(CheckpointError::RootMismatch))
    );

    // Rekor v2 (Ed25519 note keys, witness cosignatures in any order).
    for (name, want) in [
        ("rekor2-happy-path", Ok(())),
        ("rekor2-checkpoint-cosigned", Ok(())),
        ("rekor2-checkpoint-origin-not-first", Ok(())),
        ("rekor2-checkpoint-two-sigs-from-origin", Ok(())),
        (
            "rekor2-checkpoint-no-matching-signature_fail",
            Err(CheckpointError::BadSignature),
        ),
        (
            "rekor2-checkpoint-missing-log-signature_fail",
            Err(CheckpointError::Malformed("it has no signature")),
        ),
    ] {
        let b = c.bundle(name);
        let root = c.root(name);
        let e = &b.tlog_entries[0];
        let p = e.inclusion_proof.as_ref().unwrap();
        let log = rekor::find_log(&root, &e.log_id).unwrap();
        let got = Checkpoint::parse(p.checkpoint.as_deref().unwrap())
            .and_then(|cp| cp.verify_signature(&log.key, &log.log_id));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn fulcio_identity_and_extensions() {
    let Some(c) = Corpus::get("fulcio_identity_and_extensions") else {
        return;
    };
    let leaf = leaf_of(&c.bundle("happy-path-v0.1"));
    let id = leaf.identity().unwrap();
    assert_eq!(
        id.issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(
        id.subject.as_deref(),
        Some(
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
        )
    );
    let ext = |k: &str| id.extensions.get(k).map(String::as_str);
    assert_eq!(ext("github_workflow_trigger"), Some("workflow_dispatch"));
    assert_eq!(ext("github_workflow_ref"), Some("refs/heads/main"));
    assert_eq!(ext("runner_environment"), Some("github-hosted"));
    assert_eq!(
        ext("source_repository_uri"),
        Some("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon")
    );
    assert_eq!(ext("source_repository_ref"), Some("refs/heads/main"));
    assert_eq!(ext("build_trigger"), Some("workflow_dispatch"));
    assert_eq!(
        ext("issuer_v1"),
        Some("https://token.actions.githubusercontent.com")
    );
    assert!(ext("run_invocation_uri").is_some_and(|u| u.contains("/actions/runs/")));
    // An e-mail identity (GitHub OAuth).
    let b = Bundle::from_json(
        &std::fs::read(c.0.join("extra/cosign-oci-attestation/bundle.sigstore.json")).unwrap(),
    )
    .unwrap();
    let id = leaf_of(&b).identity().unwrap();
    assert_eq!(
        (id.subject.as_deref(), id.issuer.as_deref()),
        (
            Some("cody@soyland.com"),
            Some("https://github.com/login/oauth")
        )
    );
    cert::check_code_signing(&leaf_of(&b)).unwrap();
}

#[test]
fn chains_anchor_only_in_the_trust_root() {
    let Some(c) = Corpus::get("chains_anchor_only_in_the_trust_root") else {
        return;
    };
    let b = c.bundle("happy-path-v0.1");
    let root = c.root("happy-path-v0.1");
    let leaf = leaf_of(&b);
    let inter: Vec<Cert> = b
        .material
        .intermediates()
        .iter()
        .map(|d| Cert::from_der(d).unwrap())
        .collect();
    let t = b.tlog_entries[0].integrated_time.unwrap();
    let chain = cert::verify_chain(&leaf, &inter, &root, t).unwrap();
    assert_eq!(chain.authority.uri, "https://fulcio.sigstore.dev");
    cert::check_leaf_valid_at(&leaf, t).unwrap();
    // Ten minutes later the leaf has expired.
    assert_eq!(
        cert::check_leaf_valid_at(&leaf, t + 3600),
        Err(CertError::NotValidAt {
            which: "leaf",
            time: t + 3600
        })
    );
    // The staging trust root does not anchor a production leaf, even given its chain.
    let staging = TrustedRoot::from_json(
        &std::fs::read(c.0.join("trust-roots/public-good-staging.trusted_root.json")).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        cert::verify_chain(&leaf, &inter, &staging, t),
        Err(CertError::UntrustedIssuer(_))
    ));
    // A CA whose validFor ended before the signing time does not anchor it.
    let mut expired = root.clone();
    for ca in &mut expired.certificate_authorities {
        ca.valid_for.end = Some(t - 1);
    }
    assert_eq!(
        cert::verify_chain(&leaf, &inter, &expired, t).err(),
        Some(CertError::CaNotValidAt(t))
    );
    // A bundle bringing its own root: never an anchor; the strict check names it.
    let with_root = c.bundle("bundle-with-root-cert_fail");
    let certs: Vec<Cert> = with_root
        .material
        .intermediates()
        .iter()
        .map(|d| Cert::from_der(d).unwrap())
        .collect();
    assert_eq!(
        cert::check_no_root_in_chain(&certs),
        Err(CertError::RootInChain)
    );
    // A trust root with no CA anchors nothing.
    let mut empty = root.clone();
    empty.certificate_authorities.clear();
    assert!(matches!(
        cert::verify_chain(&leaf, &inter, &empty, t),
        Err(CertError::UntrustedIssuer(_))
    ));
}

#[test]
fn embedded_scts() {
    let Some(c) = Corpus::get("embedded_scts") else {
        return;
    };
    let b = c.bundle("happy-path-v0.1");
    let root = c.root("happy-path-v0.1");
    let leaf = leaf_of(&b);
    let inter: Vec<Cert> = b
        .material
        .intermediates()
        .iter()
        .map(|d| Cert::from_der(d).unwrap())
        .collect();
    let t = b.tlog_entries[0].integrated_time.unwrap();
    let issuer = cert::verify_chain(&leaf, &inter, &root, t).unwrap().issuer;
    sct::verify_embedded_sct(&leaf, &issuer, &root).unwrap();
    // The SCT binds the issuer's key: another issuer key fails.
    let other_issuer = Cert::from_der(&root.certificate_authorities[0].chain[0]).unwrap();
    assert_eq!(
        sct::verify_embedded_sct(&leaf, &other_issuer, &root),
        Err(SctError::BadSignature)
    );
    // A CT log key outside its validFor at the SCT's time.
    let mut late = root.clone();
    for l in &mut late.ctlogs {
        l.valid_for.start = i64::MAX - 1;
    }
    assert!(matches!(
        sct::verify_embedded_sct(&leaf, &issuer, &late),
        Err(SctError::KeyNotValid(_))
    ));
    // The corpus's negative: the trust root's CT key is another log's.
    let bad = c.bundle("invalid-ct-key_fail");
    let bad_root = c.root("invalid-ct-key_fail");
    let leaf = leaf_of(&bad);
    let inter: Vec<Cert> = bad
        .material
        .intermediates()
        .iter()
        .map(|d| Cert::from_der(d).unwrap())
        .collect();
    let issuer = cert::verify_chain(
        &leaf,
        &inter,
        &bad_root,
        bad.tlog_entries[0].integrated_time.unwrap(),
    )
    .unwrap()
    .issuer;
    assert!(matches!(
        sct::verify_embedded_sct(&leaf, &issuer, &bad_root),
        Err(SctError::UnknownLog(_))
    ));
    // SCTs with extensions (Static CT).
    let b = c.bundle("bundle-with-sct-with-extensions");
    let scts = sct::embedded_scts(&leaf_of(&b)).unwrap();
    assert!(scts.iter().any(|s| !s.extensions.is_empty()));
}

#[test]
fn rfc3161_timestamps() {
    let Some(c) = Corpus::get("rfc3161_timestamps") else {
        return;
    };
    let check = |name: &str| -> Result<i64, TsaError> {
        let b = c.bundle(name);
        let sig = match &b.content {
            Content::MessageSignature { signature, .. } => signature.clone(),
            Content::Dsse(env) => env.signatures[0].sig.clone(),
        };
        tsa::verify_rfc3161(&b.rfc3161_timestamps[0], &sig, &c.root(name))
    };
    let t = check("rekor2-happy-path").unwrap();
    assert!(t > 1_700_000_000);
    check("rekor2-timestamp-with-embedded-cert").unwrap();
    check("rekor2-timestamp-without-embedded-cert").unwrap();
    check("trust-root-tsa-validity-end-inclusive").unwrap();
    assert_eq!(
        check("rekor2-timestamp-payload-mismatch_fail"),
        Err(TsaError::ImprintMismatch)
    );
    assert_eq!(
        check("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail"),
        Err(TsaError::UntrustedTsa)
    );
    assert_eq!(
        check("rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail"),
        Err(TsaError::NoSignerCertificate)
    );
    assert!(matches!(
        check("rekor2-timestamp-outside-trust-root-tsa-validity_fail"),
        Err(TsaError::TsaNotValidAt(_))
    ));
    assert!(matches!(
        check("rekor2-timestamp-outside-tsa-cert-validity_fail"),
        Err(TsaError::CertificateNotValidAt(_))
    ));
    // The timestamp is over the signature bytes: any other bytes fail.
    let b = c.bundle("rekor2-happy-path");
    assert_eq!(
        tsa::verify_rfc3161(
            &b.rfc3161_timestamps[0],
            b"other",
            &c.root("rekor2-happy-path")
        ),
        Err(TsaError::ImprintMismatch)
    );
    // A flipped byte in the TSTInfo breaks the CMS signature or its digest.
    let mut der = b.rfc3161_timestamps[0].clone();
    let pos = der
        .windows(4)
        .position(|w| w == b"2025" || w == b"2026")
        .unwrap();
    der[pos + 3] ^= 1;
    let sig = match &b.content {
        Content::MessageSignature { signature, .. } => signature.clone(),
        _ => unreachable!(),
    };
    let e = tsa::verify_rfc3161(&der, &sig, &c.root("rekor2-happy-path"));
    assert_eq!(e, Err(TsaError::ContentDigestMismatch));
}

/// Real artifacts with one byte changed never make a reader or check panic.
mod mutations {
    use super::*;
    use proptest::prelude::*;

    type Inputs = (Bundle, Vec<u8>, TrustedRoot);

    /// Read once (and the absence noted once) for all cases.
    fn inputs() -> Option<&'static Inputs> {
        static INPUTS: std::sync::OnceLock<Option<Inputs>> = std::sync::OnceLock::new();
        INPUTS
            .get_or_init(|| {
                let c = Corpus(common::corpus("mutations")?.join("sigstore"));
                let bytes = std::fs::read(c.case("rekor2-happy-path").join("bundle.sigstore.json"))
                    .unwrap();
                Some((
                    Bundle::from_json(&bytes).unwrap(),
                    bytes,
                    c.root("rekor2-happy-path"),
                ))
            })
            .as_ref()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn mutated_certificates_timestamps_and_bundles(pos in any::<usize>(), byte in any::<u8>()) {
            let Some((bundle, json, root)) = inputs() else { return Ok(()) };
            let mut leaf = bundle.material.leaf().unwrap().to_vec();
            let i = pos % leaf.len();
            leaf[i] = byte;
            if let Ok(c) = Cert::from_der(&leaf) {
                let _ = c.identity();
                let _ = cert::check_code_signing(&c);
                let _ = cert::verify_chain(&c, &[], root, 1_750_000_000);
                let _ = sct::embedded_scts(&c);
                let _ = sct::verify_embedded_sct(&c, &c, root);
            }
            let mut ts = bundle.rfc3161_timestamps[0].clone();
            let i = pos % ts.len();
            ts[i] = byte;
            let _ = tsa::verify_rfc3161(&ts, b"sig", root);
            let mut js = json.clone();
            let i = pos % js.len();
            js[i] = byte;
            if let Ok(b) = Bundle::from_json(&js) {
                let _ = bona_sigstore::bundle::check_tlog_requirements(&b);
                for e in &b.tlog_entries {
                    let _ = rekor::EntryBody::parse(&e.body);
                    if let Some(cp) = e.inclusion_proof.as_ref().and_then(|p| p.checkpoint.as_deref()) {
                        let _ = Checkpoint::parse(cp);
                    }
                }
            }
        }
    }
}

/// Rekor stores entry bodies in RFC 8785 form and DSSE payloads are in-toto statements: every
/// body of the corpus is its own canonical JSON, and every DSSE payload reads as a statement.
#[test]
fn canonical_bodies_and_statements_of_the_corpus() {
    let Some(c) = Corpus::get("canonical_bodies_and_statements_of_the_corpus") else {
        return;
    };
    let (mut bodies, mut statements) = (0, 0);
    for path in walk(&c.0) {
        if !path.to_string_lossy().ends_with("bundle.sigstore.json") {
            continue;
        }
        let Ok(b) = Bundle::from_json(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        for e in &b.tlog_entries {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&e.body) else {
                continue;
            };
            // Rekor v2 bodies are protobuf JSON, not canonicalised; v1 bodies are.
            if e.version.starts_with("0.0.1") || e.kind == "intoto" {
                let canon = bona_sigstore::canonical::to_canonical_json(&v);
                assert_eq!(
                    String::from_utf8_lossy(&canon),
                    String::from_utf8_lossy(&e.body),
                    "{}",
                    path.display()
                );
                bodies += 1;
            }
        }
        if let Content::Dsse(env) = &b.content {
            let st = bona_sigstore::intoto::Statement::from_json(&env.payload);
            assert!(st.is_ok(), "{}: {st:?}", path.display());
            assert!(!st.unwrap().subjects.is_empty());
            statements += 1;
        }
    }
    assert!(
        bodies > 40 && statements > 20,
        "{bodies} bodies, {statements} statements"
    );
}
