//! Key and trust root files: read (relative to the `.trust` file that names them) and checked
//! at compile time, with the reason in the user's terms when they are not usable.

use std::path::Path;

use bona_sigstore::trustroot::TrustedRoot;

use crate::codes::Code;
use crate::db::{Db, SourceFile};
use crate::diagnostics::Sink;
use crate::syntax::ast::{KeyDecl, TrustRootDecl};

pub(super) fn load_key(
    db: &dyn Db,
    sink: &mut Sink,
    file: SourceFile,
    k: &KeyDecl,
) -> Option<Vec<u8>> {
    let bytes = match k.source.name.as_str() {
        "pem" => k.arg.value.clone().into_bytes(),
        "file" => {
            let base = file.path(db).parent().unwrap_or(Path::new(""));
            let path = base.join(&k.arg.value);
            match db.read_key(&path) {
                // PEM text or, as some KMS exports write, DER: both are read below.
                Ok(bytes) => bytes,
                Err(e) => {
                    sink.push(
                        sink.diag(
                            Code::E0401,
                            k.arg.span,
                            format!(
                                "cannot read key file `{}`: {}",
                                path.display(),
                                crate::disk::io_reason(&e)
                            ),
                            "cannot be read",
                        )
                        .help("key paths are relative to the `.trust` file that names them"),
                    );
                    return None;
                }
            }
        }
        other => {
            sink.push(
                sink.diag(
                    Code::E0403,
                    k.source.span,
                    format!("unknown key source `{other}`"),
                    "expected `file` or `pem`",
                )
                .help("write `key NAME = file(\"keys/release.pub\")` or `key NAME = pem(\"-----BEGIN PUBLIC KEY-----…\")`"),
            );
            return None;
        }
    };
    match bona_sigstore::keys::PublicKey::from_pem_or_der(&bytes) {
        Ok(key) => Some(key.spki_der().to_vec()),
        Err(e) => {
            not_a_key(sink, k, &key_problem(&bytes, &e));
            None
        }
    }
}

/// Says why a key is not usable, in the user's terms: what the text or file is instead, or
/// which key type it holds when that type is not one of those docs/signatures.md#signers lists.
pub(super) fn key_problem(bytes: &[u8], err: &bona_sigstore::keys::KeyError) -> String {
    use bona_sigstore::keys::KeyError as E;
    let text = std::str::from_utf8(bytes).ok();
    if let Some(t) = text {
        if t.trim().is_empty() {
            return "the key is empty".into();
        }
        if t.contains("PRIVATE KEY") {
            return "this is a private key; point at the public key (e.g. `cosign.pub`)".into();
        }
    }
    let pem = text.is_some_and(|t| t.contains("-----BEGIN"));
    match err {
        E::BadPem => {
            "the text between the `-----BEGIN` and `-----END` lines is not valid base64".into()
        }
        E::BadDer if pem => "the PEM block does not hold a public key".into(),
        E::BadDer if text.is_some() => {
            "not a PEM block (`-----BEGIN PUBLIC KEY-----` … `-----END PUBLIC KEY-----`)".into()
        }
        E::BadDer => "the file is neither PEM text nor a DER public key".into(),
        E::WrongPemLabel(label) => format!("a PEM `{label}` block, not a `PUBLIC KEY`"),
        E::UnsupportedType(kind) => format!("the key type {kind} is not one Bona verifies"),
        E::UnsupportedCurve(curve) => {
            format!("it is an ECDSA key on curve {curve}, a curve Bona does not verify")
        }
        E::RsaSize(bits) => format!("it is an RSA {bits}-bit key; Bona accepts 2048 to 4096 bits"),
        E::InvalidKey(kind) => format!("the {kind} key is not a valid point or modulus"),
    }
}

pub(super) fn not_a_key(sink: &mut Sink, k: &KeyDecl, why: &str) {
    sink.push(
        sink.diag(
            Code::E0402,
            k.arg.span,
            format!("`{}` is not a supported public key: {why}", k.name.name),
            "not a supported public key",
        )
        .help("Bona verifies ECDSA P-256, P-384 and P-521, Ed25519 and RSA 2048–4096 keys, as `cosign generate-key-pair`, `cosign public-key` or a KMS export write them (`-----BEGIN PUBLIC KEY-----`, or DER)"),
    );
}

/// Reads and checks a `trustroot` item's document; warns when a kind of key has expired.
pub(super) fn load_trust_root(
    db: &dyn Db,
    sink: &mut Sink,
    file: SourceFile,
    t: &TrustRootDecl,
) -> Option<String> {
    if t.source.name != "file" {
        sink.push(
            sink.diag(
                Code::E0406,
                t.source.span,
                format!("unknown trust root source `{}`", t.source.name),
                "expected `file`",
            )
            .help("write `trustroot NAME = file(\"trusted_root.json\")`: Bona reads trust roots from files and never fetches them"),
        );
        return None;
    }
    let base = file.path(db).parent().unwrap_or(Path::new(""));
    let path = base.join(&t.arg.value);
    let bytes = match db.read_key(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            sink.push(
                sink.diag(
                    Code::E0404,
                    t.arg.span,
                    format!(
                        "cannot read trust root file `{}`: {}",
                        path.display(),
                        crate::disk::io_reason(&e)
                    ),
                    "cannot be read",
                )
                .help("trust root paths are relative to the `.trust` file that names them"),
            );
            return None;
        }
    };
    let parsed = TrustedRoot::from_json(&bytes);
    let (root, text) = match (parsed, String::from_utf8(bytes)) {
        (Ok(root), Ok(text)) => (root, text),
        (Err(e), _) => {
            not_a_trust_root(sink, t, &path, &e.0.to_string());
            return None;
        }
        (Ok(_), Err(_)) => {
            not_a_trust_root(sink, t, &path, "the file is not UTF-8 text");
            return None;
        }
    };
    let expired = root.expired_kinds(db.now());
    if !expired.is_empty() {
        sink.push(
            sink.diag(
                Code::W0005,
                t.arg.span,
                format!(
                    "trust root `{}` is out of date: every {} key's `validFor` has ended",
                    t.name.name,
                    expired.join(" and every ")
                ),
                "expired keys",
            )
            .help("replace the file with a current `trusted_root.json`; Bona never refreshes it"),
        );
    }
    Some(text)
}

pub(super) fn not_a_trust_root(sink: &mut Sink, t: &TrustRootDecl, path: &Path, why: &str) {
    sink.push(
        sink.diag(
            Code::E0405,
            t.arg.span,
            format!(
                "`{}` is not a Sigstore trust root: {why}",
                path.display()
            ),
            "not a `TrustedRoot` document",
        )
        .help("use the `trusted_root.json` of the Sigstore TUF repository, or one written by `cosign trusted-root create`"),
    );
}
