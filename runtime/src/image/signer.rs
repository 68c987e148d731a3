//! Signers: what `signed by` verifies a signature under (docs/signatures.md).
//!
//! A signer is a public key (which may also require that its signatures be in a transparency
//! log of a trust root, `{ tlog R }`) or a keyless identity: a Fulcio certificate anchored in
//! a trust root whose identity meets the signer's constraints. [`Signer::vouched`] answers,
//! for one signature entry, which image digest it vouches for under the signer (checks 1–6
//! and the payload's binding), and [`Signer::explain`] why it vouches for nothing. The
//! tri-state of `signed by K` and `signed by N of [...]` over a list of signatures is
//! [`quorum`]'s.

use std::fmt;
use std::sync::Arc;

use bona_sigstore::cert::Identity;
use bona_sigstore::trustroot::TrustedRoot;
use bona_sigstore::verify::{self, Failure, Step};
use sha2::{Digest as _, Sha256};

use crate::facts::Signature;
use crate::ir::{IdentityAttr, IdentityConstraint, IdentityTest, KeyDef, Signer as SignerDef};
use crate::signature::{KeyError, PublicKey, parse_payload, unbound_payload, verify};
use crate::tri::Tri;

/// A trust root of the policy set, parsed once.
#[derive(Debug)]
pub struct TrustRoot {
    /// The `trustroot` item's name.
    pub name: String,
    /// The parsed `TrustedRoot`.
    pub root: TrustedRoot,
    /// SHA-256 of the document: names the root in signer fingerprints.
    digest: [u8; 32],
}

impl TrustRoot {
    /// Parses a `TrustedRoot` document.
    ///
    /// # Errors
    /// Why the document is not a trust root.
    pub fn new(name: &str, document: &str) -> Result<TrustRoot, KeyError> {
        let root = TrustedRoot::from_json(document.as_bytes()).map_err(|e| KeyError {
            message: e.to_string(),
        })?;
        Ok(TrustRoot {
            name: name.to_owned(),
            root,
            digest: Sha256::digest(document.as_bytes()).into(),
        })
    }
}

/// What makes a signature a signer's.
#[derive(Debug, Clone)]
pub enum SignerKind {
    /// A public key; with `tlog`, the signature must also be in a log of that root.
    Key {
        key: Box<PublicKey>,
        tlog: Option<Arc<TrustRoot>>,
    },
    /// A Fulcio certificate of `root` whose identity meets every constraint.
    Keyless {
        root: Arc<TrustRoot>,
        identity: Vec<IdentityConstraint>,
    },
}

/// A signer ready to verify.
#[derive(Debug, Clone)]
pub struct Signer {
    name: String,
    kind: SignerKind,
    /// Names the signer in a verification cache: the key's fingerprint for a plain key (as
    /// before keyless signers existed), else a hash of everything the signer checks.
    fingerprint: [u8; 32],
}

impl Signer {
    /// A plain key signer.
    pub fn key(name: impl Into<String>, key: PublicKey) -> Signer {
        let fingerprint = key.fingerprint();
        Signer {
            name: name.into(),
            kind: SignerKind::Key {
                key: Box::new(key),
                tlog: None,
            },
            fingerprint,
        }
    }

    /// The signer a `key` definition describes; `roots` are the set's trust roots by index.
    ///
    /// # Errors
    /// A key that cannot be read, or a trust-root index the set does not define.
    pub fn from_def(def: &KeyDef, roots: &[Arc<TrustRoot>]) -> Result<Signer, KeyError> {
        let root = |id: u32| {
            usize::try_from(id)
                .ok()
                .and_then(|i| roots.get(i))
                .cloned()
                .ok_or_else(|| KeyError {
                    message: format!("it names trust root #{id}, which the set does not define"),
                })
        };
        match &def.signer {
            SignerDef::Key { spki_der, tlog } => {
                let key = PublicKey::from_spki_der(spki_der)?;
                let Some(id) = tlog else {
                    return Ok(Signer::key(def.name.clone(), key));
                };
                let root = root(*id)?;
                let mut h = Sha256::new();
                h.update(b"key+tlog");
                h.update(key.fingerprint());
                h.update(root.digest);
                Ok(Signer {
                    name: def.name.clone(),
                    fingerprint: h.finalize().into(),
                    kind: SignerKind::Key {
                        key: Box::new(key),
                        tlog: Some(root),
                    },
                })
            }
            SignerDef::Keyless { root: id, identity } => {
                let root = root(*id)?;
                let mut h = Sha256::new();
                h.update(b"keyless");
                h.update(root.digest);
                h.update(postcard::to_allocvec(identity).unwrap_or_default());
                Ok(Signer {
                    name: def.name.clone(),
                    fingerprint: h.finalize().into(),
                    kind: SignerKind::Keyless {
                        root,
                        identity: identity.clone(),
                    },
                })
            }
        }
    }

    /// The `key` item's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What kind of signer this is.
    pub fn kind(&self) -> &SignerKind {
        &self.kind
    }

    /// The public key of a key signer.
    pub fn public_key(&self) -> Option<&PublicKey> {
        match &self.kind {
            SignerKind::Key { key, .. } => Some(&**key),
            SignerKind::Keyless { .. } => None,
        }
    }

    /// A stable name for the signer and everything it checks.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The image digest `signature` vouches for under this signer at evaluation time `now`:
    /// `Some` when its payload binds an image (simple signing, or a cosign signature statement)
    /// and it verifies under the signer. The payload is read first, so a payload that binds
    /// nothing costs no cryptography.
    pub fn vouched(&self, signature: &Signature, now: i64) -> Option<String> {
        let payload = parse_payload(&signature.payload)?;
        self.verify(signature, now)
            .is_ok()
            .then_some(payload.docker_manifest_digest)
    }

    /// Every check but the payload's binding to an image, for signatures over artifacts that
    /// are not images (the files a Sigstore client signs); `Err` is the reason.
    ///
    /// # Errors
    /// The first check that failed, as a phrase.
    pub fn verify_unbound(&self, signature: &Signature, now: i64) -> Result<(), String> {
        self.verify(signature, now).map_err(|r| match r {
            Rejection::Signature(why) | Rejection::Identity(why) => why,
            Rejection::Check(f) => f.reason,
        })
    }

    /// Every check but the payload's binding; `Err` says which failed and why.
    fn verify(&self, signature: &Signature, now: i64) -> Result<(), Rejection> {
        match &self.kind {
            SignerKind::Key { key, tlog: None } => {
                if verify(key, &signature.payload, &signature.signature) {
                    Ok(())
                } else {
                    Err(Rejection::Signature(crate::signature::signature_failure(
                        key, signature,
                    )))
                }
            }
            SignerKind::Key {
                key,
                tlog: Some(root),
            } => {
                let Some(evidence) = &signature.evidence else {
                    return Err(Rejection::Check(Failure {
                        step: Step::Proof,
                        reason: format!(
                            "no transparency-log proof: the signature carries no log entry, \
                             and the key requires one in trust root `{}`",
                            root.name
                        ),
                    }));
                };
                verify::verify_keyed_in_log(
                    &evidence.sigstore,
                    &signature.payload,
                    key.sigstore_key(),
                    &root.root,
                    now,
                )
                .map(drop)
                .map_err(|f| Rejection::Check(in_root(f, &root.name)))
            }
            SignerKind::Keyless { root, identity } => {
                let Some(evidence) = &signature.evidence else {
                    return Err(Rejection::Check(Failure {
                        step: Step::Material,
                        reason: "the signature carries no certificate (a keyed signature, not \
                                 a keyless one)"
                            .to_owned(),
                    }));
                };
                let verified =
                    verify::verify_keyless(&evidence.sigstore, &signature.payload, &root.root, now)
                        .map_err(|f| Rejection::Check(in_root(f, &root.name)))?;
                let id = verified.identity.unwrap_or_default();
                match identity.iter().find_map(|c| identity_mismatch(&id, c)) {
                    None => Ok(()),
                    Some(why) => Err(Rejection::Identity(why)),
                }
            }
        }
    }

    /// Why `signature` vouches for nothing under this signer for an image of digest `digest`
    /// (or unknown digest): the first check that failed, ranked so that the closest of several
    /// signatures can be reported. Off the hot path: only called to explain a false answer.
    pub fn explain(&self, signature: &Signature, digest: Option<&str>, now: i64) -> Explanation {
        let Some(payload) = parse_payload(&signature.payload) else {
            return Explanation {
                rank: 0,
                reason: unbound_payload(&signature.payload),
            };
        };
        match self.verify(signature, now) {
            Err(Rejection::Signature(reason)) => Explanation { rank: 1, reason },
            Err(Rejection::Check(f)) => Explanation {
                rank: 1 + step_rank(f.step),
                reason: f.reason,
            },
            Err(Rejection::Identity(reason)) => Explanation { rank: 20, reason },
            Ok(()) => match digest {
                Some(d) if d != payload.docker_manifest_digest => Explanation {
                    rank: 30,
                    reason: format!(
                        "it verifies but names another image (`{}`)",
                        payload.docker_manifest_digest
                    ),
                },
                _ => Explanation {
                    rank: 40,
                    reason: "it verifies".to_owned(),
                },
            },
        }
    }
}

/// Why a signature vouches for nothing, with how far it got (higher is closer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub rank: u32,
    pub reason: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

enum Rejection {
    /// A plain key's signature check.
    Signature(String),
    /// One of checks 1–5.
    Check(Failure),
    /// Check 6.
    Identity(String),
}

fn step_rank(step: Step) -> u32 {
    match step {
        Step::Material => 1,
        Step::Proof => 2,
        Step::Log => 3,
        Step::Time => 4,
        Step::Chain => 5,
        Step::LeafValidity => 6,
        Step::Sct => 7,
        Step::Signature => 8,
        Step::Describes => 9,
    }
}

/// Names the trust root in reasons that speak of "the trust root".
fn in_root(f: Failure, root: &str) -> Failure {
    let reason = if f.reason.contains("the trust root") {
        f.reason
            .replace("the trust root", &format!("trust root `{root}`"))
    } else {
        f.reason
    };
    Failure { reason, ..f }
}

/// Why an identity constraint does not hold, or `None` when it does. A constraint on an
/// extension the certificate lacks does not hold, whatever its operator.
fn identity_mismatch(id: &Identity, c: &IdentityConstraint) -> Option<String> {
    let name = c.attr.name();
    let value = match &c.attr {
        IdentityAttr::Issuer => id.issuer.as_deref(),
        IdentityAttr::Subject => id.subject.as_deref(),
        IdentityAttr::Extension(ext) => id.extensions.get(ext).map(String::as_str),
    };
    let Some(value) = value else {
        return Some(format!(
            "identity {name} is absent from the certificate, the signer requires {}",
            describe_test(name, &c.test)
        ));
    };
    (!c.test.holds(value)).then(|| match &c.test {
        IdentityTest::Matches(globs) => format!(
            "identity {name} {value} does not match {}",
            globs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        IdentityTest::Eq(v) => format!("identity {name} {value} is not {v}"),
        test => format!(
            "identity {name} is {value}, the signer requires {}",
            describe_test(name, test)
        ),
    })
}

fn describe_test(name: &str, test: &IdentityTest) -> String {
    let list = |vs: &mut dyn Iterator<Item = String>| {
        format!(
            "[{}]",
            vs.map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
        )
    };
    match test {
        IdentityTest::Eq(v) => format!("`{name} == {v:?}`"),
        IdentityTest::Ne(v) => format!("`{name} != {v:?}`"),
        IdentityTest::In(vs) => format!("`{name} in {}`", list(&mut vs.iter().cloned())),
        IdentityTest::Matches(gs) => format!(
            "`{name} matches {}`",
            list(&mut gs.iter().map(ToString::to_string))
        ),
    }
}

/// What one signature vouches for under one signer, for an image whose digest may be unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vouch {
    /// It verifies and names this image.
    Yes,
    /// It verifies, but the image's digest is unknown: it may or may not be this image's.
    Maybe,
    /// It does not verify, or names another image.
    No,
}

impl Vouch {
    /// From the digest a signature vouches for and the image's digest.
    pub fn of(vouched: Option<&str>, digest: Option<&str>) -> Vouch {
        match (vouched, digest) {
            (None, _) => Vouch::No,
            (Some(v), Some(d)) if v == d => Vouch::Yes,
            (Some(_), Some(_)) => Vouch::No,
            (Some(_), None) => Vouch::Maybe,
        }
    }
}

/// `signed by n of [signers]` from what each signature vouches for under each signer
/// (`vouch(i, j)` for signer `i` and signature `j`), given `signatures` signatures:
/// true when `n` distinct signers can each be matched to a distinct signature that vouches for
/// the image; false when not even counting the maybes could reach `n`; else unknown.
pub fn quorum(
    n: usize,
    signers: usize,
    signatures: usize,
    mut vouch: impl FnMut(usize, usize) -> Vouch,
) -> Tri {
    let mut edges = vec![Vec::new(); signers];
    for (i, list) in edges.iter_mut().enumerate() {
        for j in 0..signatures {
            match vouch(i, j) {
                Vouch::No => {}
                v => list.push((j, v == Vouch::Yes)),
            }
        }
    }
    if matching(&edges, signatures, true) >= n {
        Tri::True
    } else if matching(&edges, signatures, false) < n {
        Tri::False
    } else {
        Tri::Unknown
    }
}

/// The size of a maximum matching between signers and signatures (Kuhn's augmenting paths;
/// both sides are small). With `sure_only`, only edges that surely vouch count.
fn matching(edges: &[Vec<(usize, bool)>], signatures: usize, sure_only: bool) -> usize {
    fn augment(
        i: usize,
        edges: &[Vec<(usize, bool)>],
        sure_only: bool,
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        let Some(list) = edges.get(i) else {
            return false;
        };
        for &(j, sure) in list {
            if sure_only && !sure {
                continue;
            }
            if seen.get(j).copied().unwrap_or(true) {
                continue;
            }
            if let Some(s) = seen.get_mut(j) {
                *s = true;
            }
            let current = owner.get(j).copied().flatten();
            let free = match current {
                None => true,
                Some(other) => augment(other, edges, sure_only, seen, owner),
            };
            if free {
                if let Some(o) = owner.get_mut(j) {
                    *o = Some(i);
                }
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; signatures];
    let mut matched = 0;
    for i in 0..edges.len() {
        let mut seen = vec![false; signatures];
        if augment(i, edges, sure_only, &mut seen, &mut owner) {
            matched += 1;
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table<'a>(rows: &'a [&'a str]) -> impl FnMut(usize, usize) -> Vouch + 'a {
        move |i, j| match rows.get(i).and_then(|r| r.as_bytes().get(j)) {
            Some(b'Y') => Vouch::Yes,
            Some(b'M') => Vouch::Maybe,
            _ => Vouch::No,
        }
    }

    #[test]
    fn each_signature_counts_for_one_signer() {
        // Both signers verify only signature 0: one signer, not two.
        assert_eq!(quorum(2, 2, 2, table(&["Y.", "Y."])), Tri::False);
        assert_eq!(quorum(1, 2, 2, table(&["Y.", "Y."])), Tri::True);
        // Distinct signatures: two.
        assert_eq!(quorum(2, 2, 2, table(&["Y.", ".Y"])), Tri::True);
        // A matching that must be rearranged: signer 0 takes 1 so that signer 1 can take 0.
        assert_eq!(quorum(2, 2, 2, table(&["YY", "Y."])), Tri::True);
        assert_eq!(quorum(3, 3, 3, table(&["YY.", "Y..", ".YY"])), Tri::True);
    }

    #[test]
    fn maybes_make_unknown() {
        assert_eq!(quorum(2, 2, 2, table(&["Y.", ".M"])), Tri::Unknown);
        assert_eq!(quorum(1, 1, 1, table(&["M"])), Tri::Unknown);
        assert_eq!(quorum(2, 2, 2, table(&["M.", "M."])), Tri::False);
        assert_eq!(quorum(1, 1, 0, table(&[])), Tri::False);
        assert_eq!(quorum(3, 3, 2, table(&["YY", "YY", "YY"])), Tri::False);
    }

    #[test]
    fn vouch_of_digests() {
        assert_eq!(Vouch::of(Some("a"), Some("a")), Vouch::Yes);
        assert_eq!(Vouch::of(Some("a"), Some("b")), Vouch::No);
        assert_eq!(Vouch::of(Some("a"), None), Vouch::Maybe);
        assert_eq!(Vouch::of(None, None), Vouch::No);
    }
}
