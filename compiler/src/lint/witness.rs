//! Concrete witnesses: an asset, or an image with its facts, that makes a conjunction of
//! literals true.
//!
//! A finding that says "this happens" rather than "this cannot happen" (L0004) is only as good
//! as its example, and the lint's reasoning treats attributes as independent where the runtime
//! does not (`registry` and `image matches` read the same reference; `pinned` is the presence
//! of a digest). So a witness is built from the literals, one attribute at a time, and then the
//! caller asks the runtime's own interpreter ([`bona_runtime::eval`]) whether it really does
//! what the lint claims; when it does not, or when no witness can be built, the finding is not
//! reported.
//!
//! A signature that verifies under the policy set's own key cannot be made up, so `signed by K`
//! is witnessed with a stand-in: a key pair derived from K's index, whose private half signs the
//! image's digest. The caller evaluates with [`keys`], the set's key ring with those stand-ins
//! in place of the keys the witness is signed by: the example then reads "an image signed by
//! `release`", which is what the policies see.

use std::collections::BTreeMap;

use bona_runtime::Reference;
use bona_runtime::eval::KeyRing;
use bona_runtime::facts::{ImageFacts, Scan, Signature, Vulnerabilities};
use bona_runtime::input::{Asset, AssetType};
use bona_runtime::ir::{CmpOp, KeyDef, KeyId, Signer};
use bona_runtime::signature::PublicKey;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as Ecdsa, SigningKey};

use crate::lint::logic::{AssetKey, ImgKey, Key, Lit, Lits, Pred, Sev};
use crate::lint::strings::{self, Pat};

/// The evaluation time of image witnesses (2027-01-15T08:00:00Z): scan ages count back from it.
pub const TIME: i64 = 1_800_000_000;

/// A digest for witnesses that need one and are not told which.
const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// An image witness: a reference, its facts, and what those facts say, for messages.
#[derive(Clone, Debug)]
pub struct Image {
    pub reference: Reference,
    pub facts: Option<ImageFacts>,
    /// The facts in words (`scanned`, `2 critical vulnerabilities`), in attribute order.
    pub described: Vec<String>,
    /// The keys the image is signed by, with stand-in keys ([`keys`]).
    pub signed_by: Vec<KeyId>,
}

/// The stand-in signing key for the set's key `id`: fixed, so findings are reproducible.
fn stand_in(id: KeyId) -> Option<SigningKey> {
    let mut scalar = [0u8; 32];
    scalar[28..].copy_from_slice(&id.checked_add(1)?.to_be_bytes());
    SigningKey::from_bytes(&scalar.into()).ok()
}

/// A cosign simple-signing signature of `digest` by the stand-in for key `id`.
fn sign(id: KeyId, reference: &Reference, digest: &str) -> Option<Signature> {
    let payload = serde_json::json!({
        "critical": {
            "identity": { "docker-reference": reference.to_string() },
            "image": { "docker-manifest-digest": digest },
            "type": "cosign container image signature",
        },
        "optional": null,
    })
    .to_string()
    .into_bytes();
    let signature: Ecdsa = stand_in(id)?.sign(&payload);
    Some(Signature {
        payload,
        signature: signature.to_der().as_bytes().to_vec(),
        evidence: None,
    })
}

/// The stand-in for the set's key `id`, as a SubjectPublicKeyInfo in DER: what a policy set
/// would hold to see the witness's signatures verify.
pub fn stand_in_spki(id: KeyId) -> Option<Vec<u8>> {
    use p256::pkcs8::EncodePublicKey;
    let der = stand_in(id)?.verifying_key().to_public_key_der().ok()?;
    Some(der.as_bytes().to_vec())
}

/// The key ring to evaluate `image` with: the set's keys, with the stand-ins for those the
/// image is signed by. A signer that is not a plain key (keyless, or requiring a log) is a
/// stand-in too: the witness's signatures are the stand-ins' own, so what matters is only
/// whether the signer is one the image is signed by.
pub fn keys(defs: &[KeyDef], image: &Image) -> Option<KeyRing> {
    let mut keys = Vec::with_capacity(defs.len());
    for (id, def) in (0..).zip(defs) {
        let key = match &def.signer {
            Signer::Key {
                spki_der,
                tlog: None,
            } if !image.signed_by.contains(&id) => PublicKey::from_spki_der(spki_der).ok()?,
            _ => PublicKey::from_verifying_key(*stand_in(id)?.verifying_key()).ok()?,
        };
        keys.push((def.name.clone(), key));
    }
    Some(KeyRing::from_keys(keys))
}

/// The term's literals, grouped by attribute.
fn groups<'a>(lits: &'a Lits, term: &[usize]) -> BTreeMap<&'a Key, Vec<&'a Lit>> {
    let mut out: BTreeMap<&Key, Vec<&Lit>> = BTreeMap::new();
    for &i in term {
        out.entry(&lits[i].key).or_default().push(&lits[i]);
    }
    out
}

/// A string every literal of `group` accepts, trying `defaults` first so that witnesses read
/// like real names. `Some(None)` when the group has no positive literal and `missing` is
/// allowed (a label left out is in no set, so every negative literal holds); `None` when there
/// is no such string or the search gave up.
fn string(group: &[&Lit], defaults: &[&str], missing: bool) -> Option<Option<String>> {
    let mut pos: Vec<&[Pat]> = Vec::new();
    let mut neg: Vec<&[Pat]> = Vec::new();
    for lit in group {
        match &lit.pred {
            Pred::Str { inside, pats, .. } => {
                if *inside {
                    pos.push(pats);
                } else {
                    neg.push(pats);
                }
            }
            // A string attribute only ever has string literals.
            Pred::Num { .. } | Pred::Bool(_) => return None,
        }
    }
    if pos.is_empty() && missing {
        return Some(None);
    }
    let accepts = |s: &str| {
        pos.iter().all(|ps| ps.iter().any(|p| p.matches(s)))
            && !neg.iter().any(|ps| ps.iter().any(|p| p.matches(s)))
    };
    // The values the patterns name, globs with their wildcards filled by a letter: the
    // shortest string of a language (`.example.com` for `*.example.com`) is rarely a name.
    let named = pos.iter().flat_map(|ps| ps.iter()).map(|p| match p {
        Pat::Lit(s) => s.clone(),
        Pat::Glob(g) => g.replace("**", "x").replace(['*', '?'], "x"),
    });
    let candidates = defaults.iter().map(|d| (*d).to_owned()).chain(named);
    if let Some(s) = candidates.into_iter().find(|s| accepts(s)) {
        return Some(Some(s));
    }
    strings::witness(&pos, &neg).flatten().map(Some)
}

/// [`string`] for an attribute that always has a value.
fn value(group: Option<&Vec<&Lit>>, defaults: &[&str]) -> Option<String> {
    match group {
        None => defaults.first().map(|d| (*d).to_owned()),
        Some(g) => string(g, defaults, false).flatten(),
    }
}

/// A number every literal of `group` accepts: the least of 0 and the values next to the
/// bounds, which is enough for conjunctions of comparisons with constants.
fn number(group: &[&Lit]) -> Option<u64> {
    let mut bounds = Vec::new();
    for lit in group {
        match &lit.pred {
            Pred::Num { op, value } => bounds.push((*op, *value)),
            Pred::Str { .. } | Pred::Bool(_) => return None,
        }
    }
    let mut candidates: Vec<u64> = vec![0];
    for &(_, v) in &bounds {
        candidates.extend([v.saturating_sub(1), v, v.saturating_add(1)]);
    }
    candidates.sort_unstable();
    candidates
        .into_iter()
        .find(|&n| bounds.iter().all(|&(op, v)| CmpOp::holds(op, n, v)))
}

/// The one value a group of boolean literals asks for (`None` when they disagree).
fn boolean(group: &[&Lit]) -> Option<bool> {
    let mut want = None;
    for lit in group {
        let Pred::Bool(b) = lit.pred else {
            return None;
        };
        if want.is_some_and(|w| w != b) {
            return None;
        }
        want = Some(b);
    }
    want
}

/// An asset for which every literal of `term` (asset arena) holds.
pub fn asset(lits: &Lits, term: &[usize]) -> Option<Asset> {
    let mut asset = Asset {
        name: "app".into(),
        namespace: "default".into(),
        ..Asset::default()
    };
    for (key, group) in groups(lits, term) {
        match key {
            Key::AssetType => {
                asset.asset_type = match string(&group, &["workload", "vm"], false)??.as_str() {
                    "workload" => AssetType::Workload,
                    "vm" => AssetType::Vm,
                    _ => return None,
                }
            }
            Key::Asset(AssetKey::Label(k)) => {
                if let Some(v) = string(&group, &["true"], true)? {
                    asset.labels.insert(k.clone(), v);
                }
            }
            Key::Asset(k) => {
                let (slot, defaults): (&mut String, &[&str]) = match k {
                    AssetKey::Cloud => (&mut asset.cloud, &["aws"]),
                    AssetKey::Cluster => (&mut asset.cluster, &["cluster-1"]),
                    AssetKey::Namespace => (&mut asset.namespace, &["default"]),
                    AssetKey::Kind => (&mut asset.kind, &["Deployment"]),
                    AssetKey::Name => (&mut asset.name, &["app"]),
                    AssetKey::Label(_) => return None,
                };
                *slot = string(&group, defaults, false)??;
            }
            // Image literals never occur in a scope.
            _ => return None,
        }
    }
    Some(asset)
}

/// Defaults for [`string`]: what a pattern hints at, then `fallback`.
fn hinted<'a>(hint: Option<&'a str>, fallback: &'a str) -> Vec<&'a str> {
    hint.into_iter().chain([fallback]).collect()
}

/// The reference the first positive `image matches` (or, with `base`, `base matches`) literal
/// names, each wildcard filled with a letter.
fn wanted_reference(g: &BTreeMap<&Key, Vec<&Lit>>, base: bool) -> Option<Reference> {
    g.iter().find_map(|(key, group)| match key {
        Key::RefMatches(b, patterns)
            if *b == base && group.iter().any(|l| l.pred == Pred::Bool(true)) =>
        {
            patterns
                .iter()
                .find_map(|p| Reference::parse(&p.replace("**", "x").replace(['*', '?'], "x")).ok())
        }
        _ => None,
    })
}

/// An image for which every literal of `term` (image arena) holds at [`TIME`], or `None` when
/// none can be built. Literals on `image matches` / `base matches` are not solved for (the
/// pattern's own reference is only tried first): the caller's check against the runtime
/// decides whether the built image satisfies them.
pub fn image(lits: &Lits, term: &[usize], keys: &[KeyDef]) -> Option<Image> {
    let g = groups(lits, term);
    let get = |k: Key| g.get(&k);
    // `image matches P` is not solved for, but the reference P names with its wildcards
    // filled is the first thing to try.
    let hint = wanted_reference(&g, false);
    let hint = hint.as_ref();
    let registry = value(
        get(Key::Image(ImgKey::Registry)),
        &hinted(hint.map(Reference::registry), "registry.example.com"),
    )?;
    let repository = value(
        get(Key::Image(ImgKey::Repository)),
        &hinted(hint.map(Reference::repository), "app"),
    )?;
    let tag = value(
        get(Key::Image(ImgKey::Tag)),
        &hinted(hint.and_then(Reference::tag), "1.0"),
    )?;
    let pinned = match get(Key::Pinned) {
        Some(group) => Some(boolean(group)?),
        None => None,
    };
    let digest = match get(Key::Image(ImgKey::Digest)) {
        Some(group) => Some(value(Some(group), &[DIGEST])?),
        None => None,
    };
    let mut text = format!("{registry}/{repository}:{tag}");
    // The digest goes into the reference when the term wants the image pinned, or names a
    // digest and does not forbid pinning; otherwise a wanted digest comes from the facts.
    let mut facts_digest = None;
    // Signed or not, the answer is known only where the digest is.
    let signatures = g
        .keys()
        .any(|k| matches!(k, Key::SignedBy(_) | Key::SignedByN(..)));
    match (pinned, digest) {
        (Some(true), d) => text = format!("{text}@{}", d.as_deref().unwrap_or(DIGEST)),
        (None, Some(d)) => text = format!("{text}@{d}"),
        (None, None) if signatures => text = format!("{text}@{DIGEST}"),
        (Some(false), d) => {
            facts_digest = d.or_else(|| signatures.then(|| DIGEST.to_owned()));
        }
        (None, None) => {}
    }
    let reference = Reference::parse(&text).ok()?;

    let mut facts = ImageFacts {
        digest: facts_digest,
        ..ImageFacts::default()
    };
    let mut described = Vec::new();
    let mut needs_facts = facts.digest.is_some();
    let mut scan = Scan::default();
    let mut vulns = Vulnerabilities::default();
    let mut labels = BTreeMap::new();
    let mut signed_by = Vec::new();
    for (key, group) in &g {
        match key {
            Key::Image(ImgKey::Scanner) => {
                let s = string(group, &["trivy"], false)??;
                described.push(format!("scanned by {s}"));
                scan.scanner = Some(s);
            }
            Key::Image(ImgKey::Label(k)) => {
                if let Some(v) = string(group, &["true"], true)? {
                    described.push(format!("label {k}={v}"));
                    labels.insert(k.clone(), v);
                } else {
                    described.push(format!("no label {k}"));
                }
            }
            Key::Base => {
                let hint = wanted_reference(&g, true).map(|r| r.to_string());
                let defaults = hinted(hint.as_deref(), "registry.example.com/base:1.0");
                let text = string(group, &defaults, false)??;
                facts.base = Some(Reference::parse(&text).ok()?);
                described.push(format!("base {text}"));
            }
            Key::Vulns(sev) => {
                let n = number(group)?;
                let (slot, word) = match sev {
                    Sev::Critical => (&mut vulns.critical, "critical"),
                    Sev::High => (&mut vulns.high, "high"),
                    Sev::Medium => (&mut vulns.medium, "medium"),
                    Sev::Low => (&mut vulns.low, "low"),
                };
                *slot = Some(n);
                described.push(format!("{n} {word} vulnerabilities"));
            }
            Key::ScanAge => {
                let age = number(group)?;
                scan.finished_at = Some(TIME - i64::try_from(age).ok()?);
                let ago = bona_runtime::eval::format_duration(age);
                described.push(format!("scanned {ago} ago"));
            }
            Key::Scanned => {
                let b = boolean(group)?;
                facts.scanned = Some(b);
                described.push(if b { "scanned" } else { "not scanned" }.to_owned());
            }
            Key::SignedBy(id) => {
                if boolean(group)? {
                    signed_by.push(*id);
                }
                facts.signatures.get_or_insert_with(Vec::new);
            }
            Key::SignedByN(n, ids) => {
                if boolean(group)? {
                    let n = usize::try_from(*n).ok()?;
                    signed_by.extend(
                        ids.iter()
                            .filter(|id| !signed_by.contains(id))
                            .take(n)
                            .copied()
                            .collect::<Vec<_>>(),
                    );
                }
                facts.signatures.get_or_insert_with(Vec::new);
            }
            Key::RefMatches(true, _) if !g.contains_key(&Key::Base) && facts.base.is_none() => {
                if let Some(base) = wanted_reference(&g, true) {
                    described.push(format!("base {base}"));
                    facts.base = Some(base);
                }
            }
            Key::Image(_) | Key::Pinned | Key::RefMatches(..) => {}
            // No witness is built for attestations: the search reports nothing it cannot show.
            Key::AssetType | Key::Asset(_) | Key::Opaque(_) => return None,
        }
        needs_facts |= !matches!(
            key,
            Key::Image(ImgKey::Registry | ImgKey::Repository | ImgKey::Tag | ImgKey::Digest)
                | Key::Pinned
                | Key::RefMatches(..)
        );
    }
    // "scanned 1h ago" or "scanned by trivy" already says "scanned".
    if described.iter().any(|d| d.starts_with("scanned ")) {
        described.retain(|d| d != "scanned");
    }
    if vulns != Vulnerabilities::default() {
        scan.vulnerabilities = Some(vulns);
    }
    if scan != Scan::default() {
        facts.scan = Some(scan);
    }
    if !labels.is_empty() || g.keys().any(|k| matches!(k, Key::Image(ImgKey::Label(_)))) {
        facts.labels = Some(labels);
    }
    if let Some(signatures) = &mut facts.signatures {
        let digest = reference.digest().or(facts.digest.as_deref())?.to_owned();
        for &id in &signed_by {
            signatures.push(sign(id, &reference, &digest)?);
        }
        let by: Vec<String> = signed_by
            .iter()
            .map(
                |&id| match usize::try_from(id).ok().and_then(|i| keys.get(i)) {
                    Some(def) => format!("`{}`", def.name),
                    None => format!("key #{id}"),
                },
            )
            .collect();
        described.push(if by.is_empty() {
            "no signatures".to_owned()
        } else {
            format!("signed by {}", crate::lint::and_list(&by))
        });
    }
    Some(Image {
        reference,
        facts: needs_facts.then_some(facts),
        described,
        signed_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::logic::Pred;
    use crate::syntax::span::Span;
    use std::sync::Arc;

    fn str_lit(key: Key, inside: bool, pats: &[Pat]) -> Lit {
        Lit {
            key,
            pred: Pred::Str {
                inside,
                exists: true,
                pats: Arc::from(pats.to_vec()),
            },
            span: Span::default(),
        }
    }

    fn lit(s: &str) -> Pat {
        Pat::Lit(s.to_owned())
    }

    #[test]
    fn defaults_fill_what_the_term_leaves_open() {
        let image = image(&Vec::new(), &[], &[]).expect("an image");
        assert_eq!(image.reference.to_string(), "registry.example.com/app:1.0");
        assert!(image.facts.is_none());
        let asset = asset(&Vec::new(), &[]).expect("an asset");
        assert_eq!(asset.describe(), "Kubernetes workload default/app");
    }

    #[test]
    fn strings_avoid_what_negative_literals_name() {
        let lits = vec![
            str_lit(
                Key::Image(ImgKey::Registry),
                false,
                &[lit("registry.example.com")],
            ),
            str_lit(
                Key::Image(ImgKey::Registry),
                true,
                &[Pat::Glob("*.example.com".into())],
            ),
        ];
        let image = image(&lits, &[0, 1], &[]).expect("an image");
        let registry = image.reference.registry();
        assert!(registry.ends_with(".example.com"), "{registry}");
        assert_ne!(registry, "registry.example.com");
    }

    #[test]
    fn numbers_meet_every_bound() {
        let num = |op, value| Lit {
            key: Key::Vulns(Sev::Critical),
            pred: Pred::Num { op, value },
            span: Span::default(),
        };
        let lits = vec![num(CmpOp::Gt, 2), num(CmpOp::Le, 5)];
        let image = image(&lits, &[0, 1], &[]).expect("an image");
        let scan = image.facts.and_then(|f| f.scan).expect("a scan");
        assert_eq!(scan.vulnerabilities.and_then(|v| v.critical), Some(3));
        let lits = vec![num(CmpOp::Gt, 5), num(CmpOp::Lt, 3)];
        assert!(super::image(&lits, &[0, 1], &[]).is_none());
    }

    #[test]
    fn a_required_signature_is_made_by_a_stand_in_key() {
        use bona_runtime::eval::Evaluator;
        use bona_runtime::image::ImageView;
        use bona_runtime::ir::ImageAtom;
        use bona_runtime::signature::VerificationCache;
        use bona_runtime::tri::Tri;

        let signed = |id, yes| Lit {
            key: Key::SignedBy(id),
            pred: Pred::Bool(yes),
            span: Span::default(),
        };
        let lits = vec![signed(0, true), signed(1, false)];
        let image = image(&lits, &[0, 1], &[]).expect("an image");
        assert_eq!(image.signed_by, [0]);
        // Two keys of the set (their own SPKI does not matter: both are replaced or unused).
        let spki = |id: KeyId| stand_in_spki(id + 10).expect("a key");
        let defs = [
            KeyDef::key("release", spki(0)),
            KeyDef::key("other", spki(1)),
        ];
        let ring = keys(&defs, &image).expect("a key ring");
        let mut cache = VerificationCache::new();
        let view = ImageView::new(&image.reference, image.facts.as_ref(), TIME);
        let mut eval = Evaluator::new(view, &ring, &mut cache);
        assert_eq!(eval.atom(&ImageAtom::SignedBy { key: 0 }), Tri::True);
        assert_eq!(eval.atom(&ImageAtom::SignedBy { key: 1 }), Tri::False);
        // Asking for the same key to sign and not to sign has no witness.
        let lits = vec![signed(0, true), signed(0, false)];
        assert!(super::image(&lits, &[0, 1], &[]).is_none());
    }

    #[test]
    fn labels_left_out_satisfy_negative_literals() {
        let lits = vec![str_lit(
            Key::Asset(AssetKey::Label("team".into())),
            false,
            &[lit("web")],
        )];
        let asset = asset(&lits, &[0]).expect("an asset");
        assert!(asset.labels.is_empty());
    }
}
