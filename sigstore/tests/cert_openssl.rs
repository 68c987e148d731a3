//! `cert` on a private PKI made with the `openssl` command line (a root, an intermediate and
//! Fulcio-like leaves), so that each chain and identity check has a fixture only it rejects,
//! independent of the third-party corpus: a non-CA certificate posing as an intermediate, a leaf
//! without the code-signing usage, a leaf outside its validity, a CA window that excludes the
//! signing time, a forged intermediate with the right name and the wrong key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;

use base64::Engine as _;
use bona_sigstore::cert::{self, Cert, CertError};
use bona_sigstore::trustroot::TrustedRoot;
use common::openssl;

const EXT: &str = "
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = URI:https://github.com/company/app/.github/workflows/release.yml@refs/tags/v1.2.3
1.3.6.1.4.1.57264.1.1 = DER:68747470733a2f2f6f6c642e6578616d706c65
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:https://token.actions.githubusercontent.com
1.3.6.1.4.1.57264.1.12 = ASN1:UTF8String:https://github.com/company/app
1.3.6.1.4.1.57264.1.20 = ASN1:UTF8String:push
[mail]
basicConstraints = critical, CA:false
extendedKeyUsage = codeSigning
subjectAltName = email:dev@example.com
1.3.6.1.4.1.57264.1.1 = DER:68747470733a2f2f6769746875622e636f6d2f6c6f67696e2f6f61757468
[noeku]
basicConstraints = critical, CA:false
extendedKeyUsage = serverAuth
subjectAltName = URI:https://example.com/x
";

fn key(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &format!("{name}.key"),
        ],
    );
}

/// Signs `name`'s request by `issuer` (or self-signs) with extension section `section`.
fn cert(dir: &Path, name: &str, subject: &str, issuer: Option<&str>, section: &str, days: &str) {
    key(dir, name);
    let (k, csr, crt) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
    );
    match issuer {
        None => openssl(
            dir,
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                &k,
                "-subj",
                subject,
                "-days",
                days,
                "-extensions",
                section,
                "-config",
                "ext.cnf",
                "-out",
                &crt,
            ],
        ),
        Some(i) => {
            openssl(
                dir,
                &[
                    "req", "-new", "-key", &k, "-subj", subject, "-config", "ext.cnf", "-out", &csr,
                ],
            );
            let (ik, ic) = (format!("{i}.key"), format!("{i}.crt"));
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &ic,
                    "-CAkey",
                    &ik,
                    "-CAcreateserial",
                    "-days",
                    days,
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    section,
                    "-out",
                    &crt,
                ],
            );
        }
    }
}

fn der(dir: &Path, name: &str) -> Vec<u8> {
    let crt = format!("{name}.crt");
    let out = format!("{name}.der");
    openssl(dir, &["x509", "-in", &crt, "-outform", "DER", "-out", &out]);
    std::fs::read(dir.join(out)).unwrap()
}

fn trust_root(chain: &[Vec<u8>], start: &str, end: Option<&str>) -> TrustedRoot {
    let b64 = |d: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(d);
    let certs: Vec<String> = chain
        .iter()
        .map(|c| format!(r#"{{"rawBytes":"{}"}}"#, b64(c)))
        .collect();
    let end = end.map(|e| format!(r#","end":"{e}""#)).unwrap_or_default();
    let json = format!(
        r#"{{"certificateAuthorities":[{{"subject":{{"organization":"test","commonName":"test"}},"uri":"https://ca.example",
        "certChain":{{"certificates":[{}]}},"validFor":{{"start":"{start}"{end}}}}}]}}"#,
        certs.join(",")
    );
    TrustedRoot::from_json(json.as_bytes()).unwrap()
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[test]
fn private_pki_chains_and_identities() {
    if !common::have_openssl() {
        return;
    }
    let d = common::scratch("cert");
    let dir = &d.0;
    std::fs::write(
        dir.join("ext.cnf"),
        format!("[req]\ndistinguished_name = dn\n[dn]\n{EXT}"),
    )
    .unwrap();
    cert(dir, "root", "/O=test/CN=root", None, "ca", "3650");
    cert(
        dir,
        "inter",
        "/O=test/CN=intermediate",
        Some("root"),
        "ca",
        "3650",
    );
    cert(dir, "leaf", "/O=test", Some("inter"), "leaf", "1");
    cert(dir, "mail", "/O=test", Some("inter"), "mail", "1");
    cert(dir, "noeku", "/O=test", Some("inter"), "noeku", "1");
    // A leaf that signs another "leaf": not a CA, so never an intermediate.
    cert(dir, "evil", "/O=evil", Some("leaf"), "leaf", "1");
    // Another CA with the intermediate's name but its own key.
    cert(dir, "forged", "/O=test/CN=intermediate", None, "ca", "3650");
    cert(dir, "forgedleaf", "/O=test", Some("forged"), "leaf", "1");

    let (root_der, inter_der) = (der(dir, "root"), der(dir, "inter"));
    let tr = trust_root(
        &[inter_der.clone(), root_der.clone()],
        "2020-01-01T00:00:00Z",
        None,
    );
    let t = now();
    let load = |n: &str| Cert::from_der(&der(dir, n)).unwrap();

    // The genuine leaf: anchored, code signing, valid now, identity read.
    let leaf = load("leaf");
    let chain = cert::verify_chain(&leaf, &[], &tr, t).unwrap();
    assert_eq!(chain.issuer.der, inter_der);
    cert::check_code_signing(&leaf).unwrap();
    cert::check_leaf_valid_at(&leaf, t).unwrap();
    let id = leaf.identity().unwrap();
    assert_eq!(
        id.issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com"),
        "1.8 wins over 1.1"
    );
    assert_eq!(
        id.subject.as_deref(),
        Some("https://github.com/company/app/.github/workflows/release.yml@refs/tags/v1.2.3")
    );
    assert_eq!(
        id.extensions
            .get("source_repository_uri")
            .map(String::as_str),
        Some("https://github.com/company/app")
    );
    assert_eq!(
        id.extensions.get("build_trigger").map(String::as_str),
        Some("push")
    );
    assert_eq!(
        id.extensions.get("issuer_v1").map(String::as_str),
        Some("https://old.example")
    );

    // An edited identity (one byte of the SAN) parses but no longer chains.
    let mut edited = leaf.der.clone();
    let at = edited.windows(6).position(|w| w == b"v1.2.3").unwrap();
    edited[at + 1] = b'9';
    let edited = Cert::from_der(&edited).unwrap();
    assert!(
        edited
            .identity()
            .unwrap()
            .subject
            .unwrap()
            .ends_with("v9.2.3")
    );
    assert!(matches!(
        cert::verify_chain(&edited, &[], &tr, t),
        Err(CertError::UntrustedIssuer(_))
    ));

    // An e-mail identity with only the legacy issuer extension.
    let mail = load("mail");
    let id = mail.identity().unwrap();
    assert_eq!(
        (id.subject.as_deref(), id.issuer.as_deref()),
        (
            Some("dev@example.com"),
            Some("https://github.com/login/oauth")
        )
    );

    // Only the code-signing check rejects a leaf for another usage.
    let noeku = load("noeku");
    cert::verify_chain(&noeku, &[], &tr, t).unwrap();
    assert_eq!(
        cert::check_code_signing(&noeku),
        Err(CertError::NotCodeSigning)
    );

    // A leaf is not a CA: a certificate it signed does not chain, even given the leaf.
    let evil = load("evil");
    assert!(matches!(
        cert::verify_chain(&evil, std::slice::from_ref(&leaf), &tr, t),
        Err(CertError::UntrustedIssuer(_))
    ));
    // A forged intermediate with the right name but another key anchors nothing.
    let forged_leaf = load("forgedleaf");
    assert!(matches!(
        cert::verify_chain(&forged_leaf, &[load("forged")], &tr, t),
        Err(CertError::UntrustedIssuer(_))
    ));
    assert!(matches!(
        cert::verify_chain(&forged_leaf, &[], &tr, t),
        Err(CertError::UntrustedIssuer(_))
    ));

    // Times: a leaf outside its validity; a CA window that excludes the signing time; the
    // trust root's intermediate brought along by the signature is fine.
    assert_eq!(
        cert::check_leaf_valid_at(&leaf, t + 3 * 86_400),
        Err(CertError::NotValidAt {
            which: "leaf",
            time: t + 3 * 86_400
        })
    );
    let closed = trust_root(
        &[inter_der.clone(), root_der.clone()],
        "2020-01-01T00:00:00Z",
        Some("2021-01-01T00:00:00Z"),
    );
    assert_eq!(
        cert::verify_chain(&leaf, &[], &closed, t).err(),
        Some(CertError::CaNotValidAt(t))
    );
    cert::verify_chain(&leaf, &[load("inter")], &tr, t).unwrap();
    // With only the root as anchor, the intermediate must come from the signature.
    let root_only = trust_root(
        std::slice::from_ref(&root_der),
        "2020-01-01T00:00:00Z",
        None,
    );
    assert!(cert::verify_chain(&leaf, &[], &root_only, t).is_err());
    let chain = cert::verify_chain(&leaf, &[load("inter")], &root_only, t).unwrap();
    assert_eq!(chain.issuer.der, inter_der);
    // A self-signed root brought by the signature is never an anchor.
    assert!(
        cert::verify_chain(
            &leaf,
            &[load("inter"), load("root")],
            &trust_root(&[load("forged").der], "2020-01-01T00:00:00Z", None),
            t
        )
        .is_err()
    );
    assert_eq!(
        cert::check_no_root_in_chain(&[load("root")]),
        Err(CertError::RootInChain)
    );
    // PEM chains as cosign's annotations carry them.
    let pem = std::fs::read_to_string(dir.join("leaf.crt")).unwrap()
        + &std::fs::read_to_string(dir.join("inter.crt")).unwrap();
    let certs = Cert::from_pem_chain(&pem).unwrap();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0].der, leaf.der);
}
