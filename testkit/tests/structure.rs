//! Structural checks of what the testkit makes: certificates parse and chain, the SCT verifies
//! over the precertificate, Merkle proofs recompute the root, SETs and checkpoints verify under
//! the log key, bundles have the fields of their version, and a seed always writes the same bytes.
//! The negatives are checked to break what they say (and, where cheap, only that).

use bona_testkit::fixtures::{self, Fixture, Variant};
use bona_testkit::keys::{Key, verify};
use bona_testkit::rekor::{self, leaf_hash, root, root_from_proof};
use bona_testkit::sigstore::{self, PrivateSigstore};
use bona_testkit::x509::{FulcioExt, SCT_LIST_OID, tbs_without};
use bona_testkit::{ct, unb64};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{OctetString, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};

fn world() -> PrivateSigstore {
    PrivateSigstore::new(7)
}

fn case(v: Variant) -> Fixture {
    let n = Variant::ALL.iter().position(|x| *x == v).unwrap();
    fixtures::build(&world(), v, n)
}

fn cert(der: &[u8]) -> Certificate {
    Certificate::from_der(der).expect("certificate parses with x509-cert")
}

fn ext_value(c: &Certificate, oid: &str) -> Option<Vec<u8>> {
    let oid = x509_cert::der::oid::ObjectIdentifier::new(oid).unwrap();
    c.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)
        .map(|e| e.extn_value.as_bytes().to_vec())
}

/// Verifies `child`'s signature with `issuer`'s public key.
fn signed_by(child: &[u8], issuer: &[u8]) -> bool {
    let c = cert(child);
    let i = cert(issuer);
    let spki = i.tbs_certificate.subject_public_key_info.to_der().unwrap();
    verify(
        &spki,
        &c.tbs_certificate.to_der().unwrap(),
        c.signature.raw_bytes(),
    )
}

fn sct_of(leaf_der: &[u8]) -> Option<ct::Sct> {
    let outer = ext_value(&cert(leaf_der), "1.3.6.1.4.1.11129.2.4.2")?;
    let inner = OctetString::from_der(&outer).unwrap();
    ct::parse_single(inner.as_bytes())
}

fn sct_verifies(f: &Fixture, ct_log: &Key) -> bool {
    let Some(sct) = sct_of(&f.leaf.der) else {
        return false;
    };
    let tbs = tbs_without(&f.leaf.der, SCT_LIST_OID).unwrap();
    let data = ct::precert_signed_data(sct.timestamp_ms, f.ca.intermediate.key.key_id(), &tbs);
    sct.log_id == ct_log.key_id() && verify(ct_log.spki_der(), &data, &sct.signature)
}

fn set_verifies(f: &Fixture, log: &Key) -> bool {
    let e = &f.entry;
    let payload = rekor::set_payload(&e.body, e.integrated_time, &e.log_id, e.log_index);
    verify(log.spki_der(), &payload, &e.set)
}

fn proof_verifies(f: &Fixture) -> bool {
    let p = &f.entry.proof;
    root_from_proof(
        p.log_index,
        p.tree_size,
        leaf_hash(&f.entry.body),
        &p.hashes,
    ) == Some(p.root_hash)
}

/// Parses the signed note and verifies its one signature under `log` (name, hint, signature).
fn checkpoint_verifies(f: &Fixture, log: &Key) -> bool {
    checkpoint_signed(f, log, log)
}

/// The note has `hint`'s key hint and a signature by `signer`.
fn checkpoint_signed(f: &Fixture, hint: &Key, signer: &Key) -> bool {
    let note = &f.entry.proof.checkpoint;
    let (text, sigs) = note.split_once("\n\n").unwrap();
    let text = format!("{text}\n");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], f.entry.proof.tree_size.to_string());
    assert_eq!(unb64(lines[2]).unwrap(), f.entry.proof.root_hash);
    let line = sigs.strip_suffix('\n').unwrap();
    let rest = line.strip_prefix("\u{2014} ").unwrap();
    let (name, sig) = rest.split_once(' ').unwrap();
    assert_eq!(name, sigstore::REKOR_NAME);
    let sig = unb64(sig).unwrap();
    sig[..4] == hint.key_id()[..4] && verify(signer.spki_der(), text.as_bytes(), &sig[4..])
}

#[test]
fn ca_chain_and_leaf_parse_and_chain() {
    let ss = world();
    let f = case(Variant::GoodMessageV03);
    assert!(
        signed_by(&ss.ca.root.der, &ss.ca.root.der),
        "root is self-signed"
    );
    assert!(signed_by(&ss.ca.intermediate.der, &ss.ca.root.der));
    assert!(signed_by(&f.leaf.der, &ss.ca.intermediate.der));
    let leaf = cert(&f.leaf.der);
    let v = &leaf.tbs_certificate.validity;
    let secs = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs();
    assert_eq!(
        secs(&v.not_after) - secs(&v.not_before),
        600,
        "Fulcio leaves live 10 minutes"
    );
    let eku = ExtendedKeyUsage::from_der(&ext_value(&leaf, "2.5.29.37").unwrap()).unwrap();
    assert!(
        eku.0.iter().any(|o| o.to_string() == "1.3.6.1.5.5.7.3.3"),
        "code signing EKU"
    );
    let san = SubjectAltName::from_der(&ext_value(&leaf, "2.5.29.17").unwrap()).unwrap();
    match &san.0[..] {
        [GeneralName::UniformResourceIdentifier(u)] => assert_eq!(u.as_str(), f.identity),
        other => panic!("unexpected SAN {other:?}"),
    }
}

#[test]
fn fulcio_extensions_are_encoded_as_oid_info_says() {
    let f = case(Variant::GoodMessageV03);
    let leaf = cert(&f.leaf.der);
    // 1.8 and later: DER UTF8String.
    let v = ext_value(&leaf, &FulcioExt::Issuer.oid().to_string()).unwrap();
    assert_eq!(
        Utf8StringRef::from_der(&v).unwrap().as_str(),
        sigstore::GITHUB_ISSUER
    );
    let v = ext_value(&leaf, &FulcioExt::SourceRepositoryUri.oid().to_string()).unwrap();
    assert_eq!(
        Utf8StringRef::from_der(&v).unwrap().as_str(),
        "https://github.com/company/app"
    );
    // 1.1–1.6: the raw string.
    let v = ext_value(&leaf, "1.3.6.1.4.1.57264.1.1").unwrap();
    assert_eq!(v, sigstore::GITHUB_ISSUER.as_bytes());
    assert_eq!(
        FulcioExt::SourceRepositoryVisibilityAtSigning
            .oid()
            .to_string(),
        "1.3.6.1.4.1.57264.1.22"
    );
}

#[test]
fn sct_verifies_over_the_precertificate_and_negatives_break_it() {
    let ss = world();
    assert!(sct_verifies(&case(Variant::GoodMessageV03), &ss.ct_log));
    assert!(sct_of(&case(Variant::SctMissing).leaf.der).is_none());
    let forged = case(Variant::SctForged);
    assert_eq!(sct_of(&forged.leaf.der).unwrap().log_id, ss.ct_log.key_id());
    assert!(!sct_verifies(&forged, &ss.ct_log));
    // The unrelated CA's leaf still has a valid SCT: only its chain is wrong.
    let wrong = case(Variant::WrongCa);
    assert!(sct_verifies(&wrong, &ss.ct_log));
    assert!(!signed_by(&wrong.leaf.der, &ss.ca.intermediate.der));
    assert!(signed_by(
        &wrong.leaf.der,
        &ss.unrelated_ca.intermediate.der
    ));
}

#[test]
fn merkle_proofs_recompute_the_root_for_every_size_and_index() {
    for n in 1..=33usize {
        let leaves: Vec<[u8; 32]> = (0..n)
            .map(|i| leaf_hash(format!("{i}").as_bytes()))
            .collect();
        let r = root(&leaves);
        for m in 0..n {
            let path = rekor::inclusion_path(m, &leaves);
            assert_eq!(
                root_from_proof(m as u64, n as u64, leaves[m], &path),
                Some(r),
                "n={n} m={m}"
            );
            if n > 1 {
                let other = (m + 1) % n;
                assert_ne!(
                    root_from_proof(m as u64, n as u64, leaves[other], &path),
                    Some(r)
                );
            }
        }
    }
    // RFC 6962 hashes of known vectors: the empty tree and a single empty leaf.
    assert_eq!(
        bona_testkit::hex(&root(&[])),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        bona_testkit::hex(&leaf_hash(b"")),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
}

#[test]
fn log_proofs_of_good_cases_verify_and_negatives_break_one() {
    let ss = world();
    for v in [
        Variant::GoodMessageV03,
        Variant::GoodDsseV03,
        Variant::GoodMessageV01,
    ] {
        let f = case(v);
        assert!(set_verifies(&f, &ss.rekor), "{v:?} SET");
        assert!(proof_verifies(&f), "{v:?} proof");
        assert!(checkpoint_verifies(&f, &ss.rekor), "{v:?} checkpoint");
        assert!(f.entry.proof.tree_size > 1 && !f.entry.proof.hashes.is_empty());
        assert_eq!(f.entry.log_id, ss.rekor.key_id());
    }
    let f = case(Variant::SetOverAnotherEntry);
    assert!(
        !set_verifies(&f, &ss.rekor) && proof_verifies(&f) && checkpoint_verifies(&f, &ss.rekor)
    );
    let f = case(Variant::InclusionProofForAnotherLeaf);
    assert!(
        set_verifies(&f, &ss.rekor) && !proof_verifies(&f) && checkpoint_verifies(&f, &ss.rekor)
    );
    let f = case(Variant::CheckpointSignedByAnotherKey);
    assert!(
        set_verifies(&f, &ss.rekor) && proof_verifies(&f) && !checkpoint_verifies(&f, &ss.rekor)
    );
    assert!(
        checkpoint_signed(&f, &ss.rekor, &ss.intruder),
        "the log's hint, the intruder's signature"
    );
}

fn body_json(f: &Fixture) -> serde_json::Value {
    serde_json::from_slice(&f.entry.body).unwrap()
}

#[test]
fn hashedrekord_body_is_canonical_and_names_the_signature() {
    let f = case(Variant::GoodMessageV03);
    let text = String::from_utf8(f.entry.body.clone()).unwrap();
    assert!(text.starts_with(r#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":""#));
    assert_eq!(bona_testkit::canonical_json(&body_json(&f)), text);
    let b = body_json(&f);
    assert_eq!(
        b["spec"]["signature"]["content"],
        bona_testkit::b64(&f.signature)
    );
    let pem = unb64(
        b["spec"]["signature"]["publicKey"]["content"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(pem, f.leaf.pem().as_bytes());
    assert_eq!(
        b["spec"]["data"]["hash"]["value"],
        bona_testkit::hex(&Sha256::digest(f.content.payload()))
    );
    // The signature verifies with the leaf key over the payload.
    assert!(verify(
        f.leaf.key.spki_der(),
        f.content.payload(),
        &f.signature
    ));

    let other = body_json(&case(Variant::LogBodyOtherSignature));
    assert_ne!(
        other["spec"]["signature"]["content"],
        b["spec"]["signature"]["content"]
    );
    let other = body_json(&case(Variant::LogBodyOtherDigest));
    assert_ne!(other["spec"]["data"], b["spec"]["data"]);
    let t = case(Variant::TamperedSignature);
    assert!(!verify(
        t.leaf.key.spki_der(),
        t.content.payload(),
        &t.signature
    ));
}

#[test]
fn dsse_body_and_envelope() {
    let f = case(Variant::GoodDsseV03);
    let b = body_json(&f);
    assert_eq!(b["kind"], "dsse");
    assert_eq!(
        b["spec"]["payloadHash"]["value"],
        bona_testkit::hex(&Sha256::digest(f.content.payload()))
    );
    let env = &f.bundle["dsseEnvelope"];
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(
        b["spec"]["signatures"][0]["signature"],
        env["signatures"][0]["sig"]
    );
    let pae = sigstore::pae("application/vnd.in-toto+json", f.content.payload());
    assert!(verify(f.leaf.key.spki_der(), &pae, &f.signature));
    let st: serde_json::Value = serde_json::from_slice(f.content.payload()).unwrap();
    assert_eq!(st["predicateType"], sigstore::COSIGN_SIGN_V1);
    assert_eq!(
        st["subject"][0]["digest"]["sha256"],
        bona_testkit::hex(&f.image_digest)
    );
    let st: serde_json::Value =
        serde_json::from_slice(case(Variant::DsseOtherSubjectDigest).content.payload()).unwrap();
    assert_ne!(
        st["subject"][0]["digest"]["sha256"],
        bona_testkit::hex(&f.image_digest)
    );
}

#[test]
fn bundles_have_the_fields_of_their_version() {
    let v01 = case(Variant::GoodMessageV01).bundle;
    assert_eq!(
        v01["mediaType"],
        "application/vnd.dev.sigstore.bundle+json;version=0.1"
    );
    assert!(
        v01["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"]
            .is_string()
    );
    let v03 = case(Variant::GoodMessageV03).bundle;
    assert_eq!(
        v03["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let e = &v03["verificationMaterial"]["tlogEntries"][0];
    assert!(v03["verificationMaterial"]["certificate"]["rawBytes"].is_string());
    assert!(e["inclusionPromise"]["signedEntryTimestamp"].is_string());
    assert!(e["inclusionProof"]["checkpoint"]["envelope"].is_string());
    assert!(
        e["logIndex"].is_string() && e["integratedTime"].is_string(),
        "int64 as strings"
    );
    assert_eq!(e["kindVersion"]["kind"], "hashedrekord");

    let no_proof = case(Variant::DowngradeV01WithoutInclusionProof).bundle;
    let e = &no_proof["verificationMaterial"]["tlogEntries"][0];
    assert!(e.get("inclusionProof").is_none() && e.get("inclusionPromise").is_some());
    let no_set = case(Variant::DowngradeV01WithoutSet).bundle;
    let e = &no_set["verificationMaterial"]["tlogEntries"][0];
    assert!(e.get("inclusionProof").is_some() && e.get("inclusionPromise").is_none());
    assert_eq!(no_set["mediaType"], v01["mediaType"]);
}

#[test]
fn facts_entries_follow_spec_7_1() {
    let f = case(Variant::GoodMessageV02);
    assert_eq!(f.bundle_entry["bundle"], f.bundle);
    assert_eq!(
        unb64(f.bundle_entry["payload"].as_str().unwrap()).unwrap(),
        f.content.payload()
    );
    let sig = f.sig_entry.as_ref().unwrap();
    assert!(
        sig["certificate"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
    assert_eq!(
        sig["chain"]
            .as_str()
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        2
    );
    let p = &sig["tlog"]["Payload"];
    assert_eq!(p["logID"], bona_testkit::hex(&f.entry.log_id));
    assert!(p["integratedTime"].is_u64() && p["logIndex"].is_u64());
    let facts = f.facts(&f.bundle_entry);
    let image = format!(
        "{}@sha256:{}",
        sigstore::IMAGE_REPO,
        bona_testkit::hex(&f.image_digest)
    );
    assert_eq!(facts["images"][&image]["signatures"][0], f.bundle_entry);
    assert_eq!(
        facts["images"][&image]["digest"],
        format!("sha256:{}", bona_testkit::hex(&f.image_digest))
    );
    let dsse = case(Variant::GoodDsseV03);
    assert!(dsse.bundle_entry.get("payload").is_none() && dsse.sig_entry.is_none());
    assert!(
        case(Variant::CheckpointSignedByAnotherKey)
            .sig_entry
            .is_none()
    );
    assert!(
        case(Variant::DowngradeV01WithoutSet)
            .sig_entry
            .unwrap()
            .get("tlog")
            .is_none()
    );
}

#[test]
fn trust_root_names_the_keys_and_the_expired_ca_window() {
    let ss = world();
    let tr = ss.trusted_root();
    assert_eq!(
        tr["tlogs"][0]["logId"]["keyId"],
        bona_testkit::b64(&ss.rekor.key_id())
    );
    assert_eq!(
        tr["ctlogs"][0]["publicKey"]["rawBytes"],
        bona_testkit::b64(ss.ct_log.spki_der())
    );
    let chain = tr["certificateAuthorities"][0]["certChain"]["certificates"]
        .as_array()
        .unwrap();
    assert_eq!(
        unb64(chain[0]["rawBytes"].as_str().unwrap()).unwrap(),
        ss.ca.intermediate.der
    );
    assert!(
        tr["certificateAuthorities"][0]["validFor"]
            .get("end")
            .is_none()
    );
    let expired = case(Variant::ExpiredCa).trusted_root;
    assert_eq!(
        expired["certificateAuthorities"][0]["validFor"]["end"],
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        sigstore::rfc3339(sigstore::SIGN_TIME),
        "2026-03-01T12:00:00Z"
    );
}

#[test]
fn canonical_json_sorts_keys_without_spaces() {
    let v = serde_json::json!({"b": [1, {"z": null, "a": "x\"y"}], "a": true, "A": 2});
    assert_eq!(
        bona_testkit::canonical_json(&v),
        r#"{"A":2,"a":true,"b":[1,{"a":"x\"y","z":null}]}"#
    );
}

#[test]
fn a_seed_always_writes_the_same_bytes() {
    let base = std::env::temp_dir().join(format!("bona-testkit-{}", std::process::id()));
    let (a, b, c) = (base.join("a"), base.join("b"), base.join("c"));
    fixtures::write_dir(3, &a).unwrap();
    fixtures::write_dir(3, &b).unwrap();
    fixtures::write_dir(4, &c).unwrap();
    let read = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
    for f in [
        "manifest.json",
        "trusted_root.json",
        "cases/good-message-v0.3/bundle.json",
    ] {
        assert_eq!(read(&a, f), read(&b, f), "{f}");
        assert_ne!(read(&a, f), read(&c, f), "{f}");
    }
    let manifest: serde_json::Value = serde_json::from_slice(&read(&a, "manifest.json")).unwrap();
    assert_eq!(
        manifest["cases"].as_array().unwrap().len(),
        Variant::ALL.len()
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn timestamps_cover_the_signature_and_negatives_break_one_thing() {
    let ss = world();
    let f = case(Variant::GoodMessageTimestampWithoutSet);
    let (imprint, gen_time) =
        bona_testkit::tsa::read_tst_info(f.timestamp.as_ref().unwrap()).unwrap();
    assert_eq!(imprint, <[u8; 32]>::from(Sha256::digest(&f.signature)));
    assert_eq!(gen_time, b"20260301120002Z");
    let e = &f.bundle["verificationMaterial"]["tlogEntries"][0];
    assert!(e.get("inclusionPromise").is_none() && e.get("inclusionProof").is_some());
    assert!(f.bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
        ["signedTimestamp"]
        .is_string());
    assert!(f.sig_entry.unwrap()["rfc3161_timestamp"].is_string());
    let tr = ss.trusted_root();
    let tsa_chain = tr["timestampAuthorities"][0]["certChain"]["certificates"]
        .as_array()
        .unwrap();
    assert_eq!(
        unb64(tsa_chain[0]["rawBytes"].as_str().unwrap()).unwrap(),
        ss.tsa.leaf.der
    );
    assert!(signed_by(&ss.tsa.leaf.der, &ss.tsa.root.der));

    let other = case(Variant::TimestampOverAnotherSignature);
    let (imprint, _) = bona_testkit::tsa::read_tst_info(other.timestamp.as_ref().unwrap()).unwrap();
    assert_ne!(imprint, <[u8; 32]>::from(Sha256::digest(&other.signature)));
    let late = case(Variant::TimestampAfterLeafExpiry);
    let (_, gen_time) = bona_testkit::tsa::read_tst_info(late.timestamp.as_ref().unwrap()).unwrap();
    assert_eq!(
        gen_time, b"20260301121000Z",
        "a minute after the leaf's notAfter"
    );
}

#[test]
fn identity_and_window_variants_break_what_they_say() {
    let ss = world();
    let leaf = cert(&case(Variant::LeafWithoutCodeSigning).leaf.der);
    let eku = ExtendedKeyUsage::from_der(&ext_value(&leaf, "2.5.29.37").unwrap()).unwrap();
    assert!(eku.0.iter().all(|o| o.to_string() != "1.3.6.1.5.5.7.3.3"));

    let issuer_of = |v: Variant, oid: &str| ext_value(&cert(&case(v).leaf.der), oid);
    let v2 = |b: Vec<u8>| Utf8StringRef::from_der(&b).unwrap().as_str().to_string();
    assert!(issuer_of(Variant::GoodIssuerOnlyV2, "1.3.6.1.4.1.57264.1.1").is_none());
    assert_eq!(
        v2(issuer_of(Variant::GoodIssuerOnlyV2, "1.3.6.1.4.1.57264.1.8").unwrap()),
        sigstore::GITHUB_ISSUER
    );
    let differs = Variant::IssuerV2DiffersFromLegacy;
    assert_eq!(
        issuer_of(differs, "1.3.6.1.4.1.57264.1.1").unwrap(),
        sigstore::GITHUB_ISSUER.as_bytes()
    );
    assert_ne!(
        v2(issuer_of(differs, "1.3.6.1.4.1.57264.1.8").unwrap()),
        sigstore::GITHUB_ISSUER
    );

    // An older tree head: signed by the log, but its root is not the proof's.
    let f = case(Variant::CheckpointOfAnotherTreeHead);
    assert!(proof_verifies(&f));
    let note = &f.entry.proof.checkpoint;
    let root_line = note.lines().nth(2).unwrap();
    assert_ne!(unb64(root_line).unwrap(), f.entry.proof.root_hash);
    let size_line = note.lines().nth(1).unwrap();
    assert_eq!(size_line, (f.entry.proof.tree_size - 1).to_string());

    let tr = case(Variant::LogKeyExpired).trusted_root;
    assert_eq!(
        tr["tlogs"][0]["publicKey"]["validFor"]["end"],
        "2026-01-01T00:00:00Z"
    );
    assert!(
        tr["ctlogs"][0]["publicKey"]["validFor"]
            .get("end")
            .is_none()
    );
    let tr = case(Variant::CtLogKeyExpired).trusted_root;
    assert_eq!(
        tr["ctlogs"][0]["publicKey"]["validFor"]["end"],
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        ss.trusted_root()["tlogs"][0]["publicKey"]["validFor"].get("end"),
        None
    );
}

#[test]
fn p384_ca_signs_with_sha384_and_its_leaf_has_a_valid_sct() {
    let ss = world();
    let f = case(Variant::GoodP384Ca);
    assert!(signed_by(
        &ss.ca_p384.intermediate.der,
        &ss.ca_p384.root.der
    ));
    assert!(signed_by(&f.leaf.der, &ss.ca_p384.intermediate.der));
    let leaf = cert(&f.leaf.der);
    assert_eq!(
        leaf.signature_algorithm.oid.to_string(),
        "1.2.840.10045.4.3.3"
    );
    assert_eq!(
        leaf.tbs_certificate.signature.oid.to_string(),
        "1.2.840.10045.4.3.3"
    );
    assert!(sct_verifies(&f, &ss.ct_log));
    let chain = f.trusted_root["certificateAuthorities"][0]["certChain"]["certificates"].clone();
    assert_eq!(
        unb64(chain[1]["rawBytes"].as_str().unwrap()).unwrap(),
        ss.ca_p384.root.der
    );
}

#[test]
fn othername_san_is_fulcios_username_form() {
    let f = case(Variant::GoodOtherNameSan);
    let san =
        SubjectAltName::from_der(&ext_value(&cert(&f.leaf.der), "2.5.29.17").unwrap()).unwrap();
    match &san.0[..] {
        [GeneralName::OtherName(on)] => {
            assert_eq!(on.type_id.to_string(), "1.3.6.1.4.1.57264.1.7");
            let v: Utf8StringRef<'_> = on.value.decode_as().unwrap();
            assert_eq!(v.as_str(), f.identity);
        }
        other => panic!("unexpected SAN {other:?}"),
    }
}

#[test]
fn sharded_index_and_extra_checkpoint_line_still_verify() {
    let ss = world();
    let f = case(Variant::GoodShardedLogIndex);
    assert_eq!(f.entry.log_index, f.entry.proof.log_index + 120_000_000);
    assert!(
        set_verifies(&f, &ss.rekor) && proof_verifies(&f) && checkpoint_verifies(&f, &ss.rekor)
    );
    let f = case(Variant::GoodCheckpointWithExtraLine);
    assert!(
        f.entry
            .proof
            .checkpoint
            .lines()
            .nth(3)
            .unwrap()
            .starts_with("Timestamp: ")
    );
    assert!(checkpoint_verifies(&f, &ss.rekor));
}

#[test]
fn dsse_negatives_and_tsa_window() {
    let good = body_json(&case(Variant::GoodDsseV03));
    let other = body_json(&case(Variant::DsseLogBodyOtherPayload));
    assert_ne!(other["spec"]["payloadHash"], good["spec"]["payloadHash"]);
    let f = case(Variant::DsseLogBodyOtherSignature);
    let b = body_json(&f);
    assert_ne!(
        b["spec"]["signatures"][0]["signature"],
        f.bundle["dsseEnvelope"]["signatures"][0]["sig"]
    );
    let t = case(Variant::DsseTamperedSignature);
    let pae = sigstore::pae("application/vnd.in-toto+json", t.content.payload());
    assert!(!verify(t.leaf.key.spki_der(), &pae, &t.signature));
    let tr = case(Variant::TsaKeyExpired).trusted_root;
    assert_eq!(
        tr["timestampAuthorities"][0]["validFor"]["end"],
        "2026-01-01T00:00:00Z"
    );
}

#[test]
fn sct_of_another_certificate_and_altered_time() {
    let ss = world();
    let f = case(Variant::SctOfAnotherCertificate);
    assert_eq!(sct_of(&f.leaf.der).unwrap().log_id, ss.ct_log.key_id());
    assert!(!sct_verifies(&f, &ss.ct_log));
    let f = case(Variant::IntegratedTimeAltered);
    let leaf = cert(&f.leaf.der);
    let not_after = leaf
        .tbs_certificate
        .validity
        .not_after
        .to_unix_duration()
        .as_secs();
    assert!(
        f.entry.integrated_time < not_after,
        "the claimed time is inside the validity"
    );
    assert!(!set_verifies(&f, &ss.rekor));
    let e = &f.entry;
    let real = rekor::set_payload(&e.body, sigstore::SIGN_TIME + 5, &e.log_id, e.log_index);
    assert!(
        verify(ss.rekor.spki_der(), &real, &e.set),
        "the SET signs the real time"
    );
}
