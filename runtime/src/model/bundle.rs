//! The compiled bundle that `bona build` writes and admission components load.
//!
//! A bundle is one header line followed by the body:
//!
//! ```text
//! BONA-BUNDLE 3 sha256:<64 lower-case hex digits> <body length in bytes>\n
//! <body>
//! ```
//!
//! - The magic `BONA-BUNDLE` tells a bundle from any other file at the first bytes.
//! - The format version lets a runtime refuse a bundle written by a newer `bona build` with a
//!   message that says so, instead of misreading it. A runtime reads every version up to its
//!   own ([`FORMAT_VERSION`]).
//! - The SHA-256 and the length of the body catch truncation (a half-copied file, a cut
//!   download) and corruption before anything is deserialised.
//! - The body is the [`PolicySet`] in `postcard`, a compact binary serde format (varint
//!   lengths and enum tags, no field names). JSON was measured first: a 10,000-policy set is
//!   3.7 MB of JSON and took about 14 ms to parse on the reference machine, before the table is
//!   built; postcard makes the body about a third of the size and parses several times faster,
//!   which keeps `Engine::from_bundle` of 10,000 policies within the 20 ms budget (numbers in
//!   `docs/performance.md`). The compiler's JSON view of the IR (`bona table`) remains the
//!   readable form.
//!
//! The header is ASCII text so that `head -1 policy.bundle` shows what a file is. Version 1 is
//! this layout with a postcard body; version 2 added keyless signers, `{ tlog R }` on keys,
//! trust roots and `signed by N of [...]` (a v1 body is read through [`v1`] and converted, so
//! bundles built before keyless signers still load); version 3 appended `declared_base` and the
//! reference comparisons that name their attribute (a version-2 body reads as it is).

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::ir::PolicySet;

/// The magic at the start of every bundle.
pub const MAGIC: &str = "BONA-BUNDLE";

/// The bundle format this runtime writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 3;

/// The longest header a well-formed bundle can have.
const MAX_HEADER: usize = 128;

/// Why bytes are not a loadable bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// The bytes do not start with [`MAGIC`].
    NotABundle,
    /// The header line is not `BONA-BUNDLE VERSION sha256:HEX LENGTH`.
    BadHeader(String),
    /// Written by a newer `bona build` than this runtime understands.
    FutureVersion {
        /// The bundle's format version.
        found: u32,
        /// The newest version this runtime reads.
        supported: u32,
    },
    /// The body is shorter than the header says.
    Truncated {
        /// Body bytes the header announces.
        expected: usize,
        /// Body bytes present.
        found: usize,
    },
    /// The body's length or SHA-256 does not match the header.
    Corrupt(String),
    /// The body passed its checks but is not a policy set this runtime can read.
    Body(String),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::NotABundle => write!(
                f,
                "not a bona bundle: the file does not start with `{MAGIC}` (build one with `bona build`)"
            ),
            BundleError::BadHeader(why) => write!(f, "malformed bundle header: {why}"),
            BundleError::FutureVersion { found, supported } => write!(
                f,
                "the bundle has format version {found}, but this runtime reads versions up to \
                 {supported}: upgrade the runtime or rebuild the bundle with a matching `bona build`"
            ),
            BundleError::Truncated { expected, found } => write!(
                f,
                "the bundle is truncated: its header announces {expected} bytes of policies, \
                 only {found} are present"
            ),
            BundleError::Corrupt(why) => write!(f, "the bundle is corrupt: {why}"),
            BundleError::Body(why) => write!(f, "the bundle's policies cannot be read: {why}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// Serialises a policy set into a bundle.
pub fn write_bundle(set: &PolicySet) -> Vec<u8> {
    // Serialising plain data into memory cannot fail; an empty body would still be refused at
    // load, never misread.
    let body = postcard::to_allocvec(set).unwrap_or_default();
    let hash = hex(&Sha256::digest(&body));
    let mut out = format!("{MAGIC} {FORMAT_VERSION} sha256:{hash} {}\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Reads a bundle, refusing foreign, future-version, truncated and corrupt ones.
///
/// # Errors
/// A [`BundleError`] saying which check failed.
pub fn read_bundle(bytes: &[u8]) -> Result<PolicySet, BundleError> {
    let (version, body) = check_bundle(bytes)?;
    if version == 1 {
        return decode::<v1::PolicySet>(body).map(PolicySet::from);
    }
    decode::<PolicySet>(body)
}

/// Decodes a whole postcard body: bytes left over are an error.
fn decode<'de, T: serde::Deserialize<'de>>(body: &'de [u8]) -> Result<T, BundleError> {
    match postcard::take_from_bytes::<T>(body) {
        Ok((set, [])) => Ok(set),
        Ok((_, rest)) => Err(BundleError::Body(format!(
            "{} bytes are left after the policy set",
            rest.len()
        ))),
        Err(e) => Err(BundleError::Body(e.to_string())),
    }
}

/// The body of a version-1 bundle: keys were plain public keys and there were no trust roots.
/// Policies are unchanged (version 2 only appended an atom), so they are read as they are.
mod v1 {
    use serde::Deserialize;

    use crate::ir::{self, Policy};

    #[derive(Deserialize)]
    pub struct PolicySet {
        keys: Vec<KeyDef>,
        policies: Vec<Policy>,
    }

    #[derive(Deserialize)]
    struct KeyDef {
        name: String,
        spki_der: Vec<u8>,
    }

    impl From<PolicySet> for ir::PolicySet {
        fn from(old: PolicySet) -> ir::PolicySet {
            ir::PolicySet {
                keys: old
                    .keys
                    .into_iter()
                    .map(|k| ir::KeyDef::key(k.name, k.spki_der))
                    .collect(),
                policies: old.policies,
                trust_roots: Vec::new(),
            }
        }
    }
}

/// Checks the header, length and hash, and returns the format version and the body.
///
/// # Errors
/// As [`read_bundle`], except for the body's contents.
pub fn check_bundle(bytes: &[u8]) -> Result<(u32, &[u8]), BundleError> {
    let magic = MAGIC.as_bytes();
    if bytes.len() < magic.len() {
        return if magic.starts_with(bytes) && !bytes.is_empty() {
            Err(BundleError::BadHeader(
                "the file ends inside the header".into(),
            ))
        } else {
            Err(BundleError::NotABundle)
        };
    }
    if !bytes.starts_with(magic) {
        return Err(BundleError::NotABundle);
    }
    let window = bytes.get(..MAX_HEADER.min(bytes.len())).unwrap_or(bytes);
    let Some(end) = window.iter().position(|b| *b == b'\n') else {
        return Err(BundleError::BadHeader(if bytes.len() < MAX_HEADER {
            "the file ends inside the header".into()
        } else {
            "no end of line within the first 128 bytes".into()
        }));
    };
    let header = std::str::from_utf8(bytes.get(..end).unwrap_or_default())
        .map_err(|_| BundleError::BadHeader("the header is not text".into()))?;
    let body = bytes.get(end + 1..).unwrap_or_default();
    let fields: Vec<&str> = header.split(' ').collect();
    let [_, version, hash, length] = fields.as_slice() else {
        return Err(BundleError::BadHeader(format!(
            "expected `{MAGIC} VERSION sha256:HEX LENGTH`, found `{header}`"
        )));
    };
    let version: u32 = version
        .parse()
        .map_err(|_| BundleError::BadHeader(format!("`{version}` is not a format version")))?;
    if version == 0 {
        return Err(BundleError::BadHeader(
            "format version 0 does not exist".into(),
        ));
    }
    if version > FORMAT_VERSION {
        return Err(BundleError::FutureVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let expected_hash = hash
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            BundleError::BadHeader(format!("`{hash}` is not `sha256:` and 64 hex digits"))
        })?;
    let length: usize = length
        .parse()
        .map_err(|_| BundleError::BadHeader(format!("`{length}` is not a length")))?;
    if body.len() < length {
        return Err(BundleError::Truncated {
            expected: length,
            found: body.len(),
        });
    }
    if body.len() > length {
        return Err(BundleError::Corrupt(format!(
            "{} bytes follow the {length} bytes the header announces",
            body.len() - length
        )));
    }
    if !hex(&Sha256::digest(body)).eq_ignore_ascii_case(expected_hash) {
        return Err(BundleError::Corrupt(
            "the SHA-256 of the policies does not match the header".into(),
        ));
    }
    Ok((version, body))
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // INVARIANT: a nibble is below 16, the length of DIGITS.
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{
        Action, Expr, IdentityAttr, IdentityConstraint, IdentityTest, ImageAtom, ImageStrAttr,
        KeyDef, Policy, Signer, TrustRootDef,
    };

    fn set() -> PolicySet {
        PolicySet {
            trust_roots: Vec::new(),
            keys: vec![KeyDef::key("release", vec![1, 2, 3])],
            policies: vec![Policy {
                name: "corp".into(),
                action: Action::Prevent,
                on_unknown: Action::Issue,
                scope: None,
                rules: vec![Expr::Atom(ImageAtom::Str {
                    attr: ImageStrAttr::Registry,
                    op: crate::ir::EqOp::Eq,
                    value: "registry.company.com".into(),
                })],
                description: Some("d".into()),
            }],
        }
    }

    /// A set with everything version 2 added.
    fn keyless_set() -> PolicySet {
        let mut s = set();
        s.trust_roots.push(TrustRootDef {
            name: "sigstore".into(),
            document: "{}".into(),
        });
        s.keys.push(KeyDef {
            name: "ci".into(),
            signer: Signer::Keyless {
                root: 0,
                identity: vec![IdentityConstraint {
                    attr: IdentityAttr::Extension("source_repository_uri".into()),
                    test: IdentityTest::In(vec!["https://github.com/company/app".into()]),
                }],
            },
        });
        s.policies[0].rules.push(Expr::Atom(ImageAtom::SignedByN {
            n: 2,
            keys: vec![0, 1],
        }));
        s
    }

    #[test]
    fn round_trip() {
        let bytes = write_bundle(&set());
        assert!(bytes.starts_with(b"BONA-BUNDLE 3 sha256:"));
        assert_eq!(read_bundle(&bytes), Ok(set()));
        let bytes = write_bundle(&keyless_set());
        assert_eq!(read_bundle(&bytes), Ok(keyless_set()));
    }

    /// A version-1 bundle, as `bona build` wrote it before keyless signers: the same policies,
    /// its keys read as plain keys.
    #[test]
    fn reads_version_1() {
        #[derive(serde::Serialize)]
        struct OldKey<'a> {
            name: &'a str,
            spki_der: Vec<u8>,
        }
        #[derive(serde::Serialize)]
        struct OldSet<'a> {
            keys: Vec<OldKey<'a>>,
            policies: Vec<Policy>,
        }
        let old = OldSet {
            keys: vec![OldKey {
                name: "release",
                spki_der: vec![1, 2, 3],
            }],
            policies: set().policies,
        };
        let body = postcard::to_allocvec(&old).unwrap_or_default();
        let hash = hex(&Sha256::digest(&body));
        let mut bytes = format!("BONA-BUNDLE 1 sha256:{hash} {}\n", body.len()).into_bytes();
        bytes.extend_from_slice(&body);
        assert_eq!(read_bundle(&bytes), Ok(set()));
        // A newer body under a version-1 header is not misread.
        let v3 = write_bundle(&keyless_set());
        let relabelled =
            String::from_utf8_lossy(&v3).replacen("BONA-BUNDLE 3 ", "BONA-BUNDLE 1 ", 1);
        assert_ne!(read_bundle(relabelled.as_bytes()), Ok(keyless_set()));
    }

    /// Version 3 only appended atoms and a reference attribute: a version-2 body reads as it is.
    #[test]
    fn reads_version_2() {
        let v3 = write_bundle(&keyless_set());
        let v2 = String::from_utf8_lossy(&v3).replacen("BONA-BUNDLE 3 ", "BONA-BUNDLE 2 ", 1);
        assert_eq!(read_bundle(v2.as_bytes()), Ok(keyless_set()));
    }

    #[test]
    fn refuses_truncated() {
        let bytes = write_bundle(&set());
        for cut in [bytes.len() - 1, bytes.len() / 2, 40, 11, 5, 0] {
            let err = read_bundle(bytes.get(..cut).unwrap_or_default());
            assert!(err.is_err(), "cut at {cut}");
            if cut > 100 {
                assert!(matches!(err, Err(BundleError::Truncated { .. })), "{err:?}");
            }
        }
        let e = read_bundle(bytes.get(..bytes.len() - 1).unwrap_or_default());
        assert!(e.is_err_and(|e| e.to_string().contains("truncated")));
    }

    #[test]
    fn refuses_corrupt() {
        let mut bytes = write_bundle(&set());
        let last = bytes.len() - 3;
        if let Some(b) = bytes.get_mut(last) {
            *b ^= 0x20;
        }
        let err = read_bundle(&bytes);
        assert!(matches!(err, Err(BundleError::Corrupt(_))), "{err:?}");
        assert!(err.is_err_and(|e| e.to_string().contains("SHA-256")));
        let mut longer = write_bundle(&set());
        longer.push(b' ');
        assert!(matches!(read_bundle(&longer), Err(BundleError::Corrupt(_))));
    }

    #[test]
    fn refuses_future_versions() {
        let bytes = write_bundle(&set());
        let text = String::from_utf8_lossy(&bytes).replacen("BONA-BUNDLE 3 ", "BONA-BUNDLE 7 ", 1);
        let err = read_bundle(text.as_bytes());
        assert_eq!(
            err,
            Err(BundleError::FutureVersion {
                found: 7,
                supported: 3
            })
        );
        assert!(err.is_err_and(|e| e.to_string().contains("version 7")));
    }

    #[test]
    fn refuses_foreign_and_malformed() {
        assert_eq!(
            read_bundle(b"{\"policies\": []}"),
            Err(BundleError::NotABundle)
        );
        assert!(matches!(
            read_bundle(b"BONA-BUNDLE one sha256:00 1\n{"),
            Err(BundleError::BadHeader(_))
        ));
        assert!(matches!(
            read_bundle(b"BONA-BUNDLE 1 md5:00 1\n{"),
            Err(BundleError::BadHeader(_))
        ));
        // Bodies that pass the hash but are not a policy set, or have bytes left over.
        let mut trailing = postcard::to_allocvec(&set()).unwrap_or_default();
        trailing.push(0);
        for body in [b"[1, 2]".to_vec(), vec![], vec![0xff; 3], trailing] {
            let hash = hex(&Sha256::digest(&body));
            let mut bytes = format!("BONA-BUNDLE 2 sha256:{hash} {}\n", body.len()).into_bytes();
            bytes.extend_from_slice(&body);
            let err = read_bundle(&bytes);
            assert!(
                matches!(err, Err(BundleError::Body(_))),
                "{body:?}: {err:?}"
            );
        }
    }
}
