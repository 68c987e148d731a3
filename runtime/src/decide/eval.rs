//! Direct evaluation of the typed policy model: atoms, expressions, scopes, and the reasons that
//! explain a verdict.
//!
//! This is the *interpreter*: it walks [`crate::ir`] as written, with no index and no
//! precomputation, so that it can serve as the oracle the decision table is tested against. It
//! is also where the meaning of each atom lives (docs/language.md#attributes, docs/images.md); the
//! table reuses [`Evaluator::atom`] for the fact-derived atoms and only re-implements the
//! always-known registry and repository comparisons over interned strings.
//!
//! # Three-valued logic
//! Expressions follow Kleene's strong logic ([`Tri`]): `And` stops at the first false, `Or` at
//! the first true, and nothing assumes the excluded middle. Each atom decides its own
//! unknowns:
//!
//! - a string comparison on an attribute that may have several values (the facts' `tags` of a
//!   digest-only reference) holds when it holds for one of them — `!=` included, so `tag !=
//!   "latest"` means "some tag is not `latest`", which is not `not (tag == "latest")`;
//! - a label missing from labels that are known compares unequal to everything: `!=` holds,
//!   `==`, `in` and `matches` do not;
//! - registries are host names and compare ignoring ASCII case (docs/images.md).
//!
//! # Reasons
//! [`Evaluator::explain_policy`] explains a policy's untrusted or unknown verdict "down to the
//! atom that failed or was unknown, with what would have made it hold"
//! (docs/decisions.md#reasons). The walk carries the value the node should have had (`want`; a
//! `not` flips it) and descends only into the children that share the node's wrong value: those
//! are exactly the ones that made it wrong. For an untrusted policy every rule is explained; for
//! an unknown one only the unknown rules, since the false ones did not stop the verdict from being
//! known (the example of docs/decisions.md#reasons shows the unknown tag, not the failed registry
//! rule). Reasons are deduplicated, keeping the first occurrence, and depend only on the policy
//! and the image, so the table and the interpreter print the same ones.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::attestation::{self, Attestation};
use crate::glob::Glob;
use crate::image::{BaseKnowledge, ImageView, TagKnowledge};
use crate::input::{Asset, AssetType};
use crate::ir::{
    AssetAtom, AssetAttr, AssetKind, AttestedField, EqOp, Expr, ImageAtom, ImageBoolAttr,
    ImageStrAttr, KeyDef, KeyId, Policy, RefAttr, TrustRootDef, VulnSeverity,
};
use crate::reference::Reference;
use crate::refpattern::{ReferencePattern, Tags};
use crate::severity::SeverityCounts;
use crate::signature::{KeyError, PublicKey, VerificationCache};
use crate::signer::{Signer, SignerKind, TrustRoot};
use crate::tri::Tri;
use bona_sigstore::intoto::Statement;

/// The policy set's signers (keys and keyless identities), parsed once, with their names for
/// reasons.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    signers: Vec<Signer>,
}

impl KeyRing {
    /// Parses plain key definitions, in order (index = [`KeyId`]), for a set with no trust
    /// roots.
    ///
    /// # Errors
    /// The name of the first key that cannot be read, and why.
    pub fn from_defs(defs: &[KeyDef]) -> Result<KeyRing, (String, KeyError)> {
        KeyRing::from_set(defs, &[])
    }

    /// Parses the trust roots, then every signer, in order (index = [`KeyId`]).
    ///
    /// # Errors
    /// The name of the first trust root or signer that cannot be read, and why.
    pub fn from_set(
        defs: &[KeyDef],
        roots: &[TrustRootDef],
    ) -> Result<KeyRing, (String, KeyError)> {
        let roots = roots
            .iter()
            .map(|r| {
                TrustRoot::new(&r.name, &r.document)
                    .map(Arc::new)
                    .map_err(|e| (r.name.clone(), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let signers = defs
            .iter()
            .map(|d| Signer::from_def(d, &roots).map_err(|e| (d.name.clone(), e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KeyRing { signers })
    }

    /// A ring of already parsed keys with their names.
    pub fn from_keys(keys: Vec<(String, PublicKey)>) -> KeyRing {
        KeyRing {
            signers: keys
                .into_iter()
                .map(|(name, key)| Signer::key(name, key))
                .collect(),
        }
    }

    /// The signer with this id.
    pub fn get(&self, id: KeyId) -> Option<&Signer> {
        self.signers.get(usize::try_from(id).ok()?)
    }

    /// The public key of the key signer with this id.
    pub fn key(&self, id: KeyId) -> Option<&PublicKey> {
        self.get(id).and_then(Signer::public_key)
    }

    /// How many signers the ring holds.
    pub fn len(&self) -> usize {
        self.signers.len()
    }

    /// Whether the ring holds no signer.
    pub fn is_empty(&self) -> bool {
        self.signers.is_empty()
    }

    /// How reasons name the signer: `` `release` ``, or `key #3` for an id with no signer.
    fn describe(&self, id: KeyId) -> String {
        match self.get(id) {
            Some(s) => format!("`{}`", s.name()),
            None => format!("key #{id}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scopes (asset side): plain booleans.

/// Whether a scope expression holds for `asset` (assets are always known,
/// docs/language.md#attributes).
pub fn scope_holds(expr: &Expr<AssetAtom>, asset: &Asset) -> bool {
    match expr {
        Expr::Const(b) => *b,
        Expr::Atom(atom) => asset_atom_holds(atom, asset),
        Expr::Not(inner) => !scope_holds(inner, asset),
        Expr::And(es) => es.iter().all(|e| scope_holds(e, asset)),
        Expr::Or(es) => es.iter().any(|e| scope_holds(e, asset)),
    }
}

/// Whether a policy's scope holds for `asset`; no scope covers every asset.
pub fn policy_applies(policy: &Policy, asset: &Asset) -> bool {
    policy.scope.as_ref().is_none_or(|s| scope_holds(s, asset))
}

/// One scope comparison. A label missing from the asset compares unequal to everything.
pub fn asset_atom_holds(atom: &AssetAtom, asset: &Asset) -> bool {
    match atom {
        AssetAtom::Type { op, value } => {
            let is = matches!(
                (asset.asset_type, value),
                (AssetType::Workload, AssetKind::Workload) | (AssetType::Vm, AssetKind::Vm)
            );
            match op {
                EqOp::Eq => is,
                EqOp::Ne => !is,
            }
        }
        AssetAtom::Str { attr, op, value } => match (asset_attr(asset, attr), op) {
            (Some(v), EqOp::Eq) => v == value,
            (Some(v), EqOp::Ne) => v != value,
            (None, EqOp::Eq) => false,
            (None, EqOp::Ne) => true,
        },
        AssetAtom::In { attr, values } => {
            asset_attr(asset, attr).is_some_and(|v| values.iter().any(|x| x == v))
        }
        AssetAtom::Matches { attr, globs } => {
            asset_attr(asset, attr).is_some_and(|v| globs.iter().any(|g| g.matches(v)))
        }
    }
}

/// An asset attribute's value; `None` for a missing label.
pub(crate) fn asset_attr<'a>(asset: &'a Asset, attr: &AssetAttr) -> Option<&'a str> {
    match attr {
        AssetAttr::Cloud => Some(&asset.cloud),
        AssetAttr::Cluster => Some(&asset.cluster),
        AssetAttr::Namespace => Some(&asset.namespace),
        AssetAttr::Kind => Some(&asset.kind),
        AssetAttr::Name => Some(&asset.name),
        AssetAttr::Label(k) => asset.labels.get(k).map(String::as_str),
    }
}

// ---------------------------------------------------------------------------------------------
// Image side: tri-state.

/// What a string attribute is, for one image.
#[derive(Clone, Copy, Debug)]
enum StrValue<'a> {
    /// One known value.
    One(&'a str),
    /// Several known values (tags): a comparison holds if it holds for one.
    Many(&'a [String]),
    /// A label known to be absent: unequal to everything.
    Missing,
    /// Not known.
    Unknown,
}

impl StrValue<'_> {
    /// Whether `pred` holds for some value; `Missing` holds nothing.
    fn any(self, pred: impl Fn(&str) -> bool) -> Tri {
        match self {
            StrValue::One(v) => Tri::from(pred(v)),
            StrValue::Many(vs) => Tri::from(vs.iter().any(|v| pred(v))),
            StrValue::Missing => Tri::False,
            StrValue::Unknown => Tri::Unknown,
        }
    }
}

/// Compares two registries, which are host names (docs/images.md#references: case-insensitive).
fn same_host(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `attr == value` (string equality; registries ignore case).
fn str_eq(attr: &ImageStrAttr, actual: &str, value: &str) -> bool {
    match attr {
        ImageStrAttr::Registry => same_host(actual, value),
        _ => actual == value,
    }
}

/// `attr matches glob` (registries ignore case).
fn str_matches(attr: &ImageStrAttr, glob: &Glob, actual: &str) -> bool {
    match attr {
        ImageStrAttr::Registry => glob.matches_ignore_ascii_case(actual),
        _ => glob.matches(actual),
    }
}

/// Evaluates image atoms and expressions for one image, and explains their failures.
///
/// It owns nothing: the image view, the key ring and the signature cache are borrowed, so one
/// evaluator per image costs nothing to build.
pub struct Evaluator<'a, 'c> {
    image: ImageView<'a>,
    keys: &'a KeyRing,
    cache: &'c mut VerificationCache,
}

impl<'a, 'c> Evaluator<'a, 'c> {
    /// An evaluator for `image`.
    pub fn new(image: ImageView<'a>, keys: &'a KeyRing, cache: &'c mut VerificationCache) -> Self {
        Evaluator { image, keys, cache }
    }

    /// The image being evaluated.
    pub fn image(&self) -> &ImageView<'a> {
        &self.image
    }

    /// A string attribute's value.
    fn str_value(&self, attr: &ImageStrAttr) -> StrValue<'a> {
        let image = &self.image;
        match attr {
            ImageStrAttr::Registry => StrValue::One(image.registry()),
            ImageStrAttr::Repository => StrValue::One(image.repository()),
            ImageStrAttr::Tag => match image.tags() {
                TagKnowledge::One(t) => StrValue::One(t),
                TagKnowledge::Many(ts) => StrValue::Many(ts),
                TagKnowledge::Unknown => StrValue::Unknown,
            },
            ImageStrAttr::Digest => image.digest().map_or(StrValue::Unknown, StrValue::One),
            ImageStrAttr::Scanner => image.scanner().map_or(StrValue::Unknown, StrValue::One),
            ImageStrAttr::Label(k) => label_value(image.labels(), k),
        }
    }

    /// The values of a reference attribute: `base` may have several (a comparison holds if it
    /// holds for one, docs/images.md#base-by-layers), `declared_base` at most one.
    fn ref_values(&self, attr: RefAttr) -> BaseKnowledge<'a> {
        let image = &self.image;
        match attr {
            RefAttr::Base => image.base(),
            RefAttr::DeclaredBase => BaseKnowledge {
                stated: image.declared_base(),
                by_layers: None,
            },
            RefAttr::Image => BaseKnowledge {
                stated: Some(image.reference()),
                by_layers: None,
            },
        }
    }

    /// `attr == "ref"` / `attr != "ref"`, the literal a normalised reference.
    fn ref_eq(&self, attr: RefAttr, op: EqOp, value: &str) -> Tri {
        self.ref_values(attr)
            .any(|r| displays_as(r, value) == (op == EqOp::Eq))
            .map_or(Tri::Unknown, Tri::from)
    }

    /// `attr in [..]` with normalised references.
    fn ref_in(&self, attr: RefAttr, values: &[String]) -> Tri {
        self.ref_values(attr)
            .any(|r| values.iter().any(|v| displays_as(r, v)))
            .map_or(Tri::Unknown, Tri::from)
    }

    /// One atom, tri-state. Over a partial list (docs/images.md#partial-evidence) an atom is
    /// true when an entry found satisfies it and otherwise unknown: the entries not read might.
    pub fn atom(&mut self, atom: &ImageAtom) -> Tri {
        match self.atom_value(atom) {
            Tri::False if self.over_partial_list(atom) => Tri::Unknown,
            value => value,
        }
    }

    /// Whether `atom` reads a list the facts mark incomplete.
    fn over_partial_list(&self, atom: &ImageAtom) -> bool {
        let incomplete = self.image.incomplete();
        match atom {
            ImageAtom::SignedBy { .. } | ImageAtom::SignedByN { .. } => incomplete.signatures,
            ImageAtom::Attested { .. }
            | ImageAtom::AttestedStr { .. }
            | ImageAtom::AttestedVulns { .. }
            | ImageAtom::AttestedScanAge { .. } => incomplete.attestations,
            _ => false,
        }
    }

    /// One atom, tri-state, as if every list were complete.
    fn atom_value(&mut self, atom: &ImageAtom) -> Tri {
        let image = self.image;
        match atom {
            ImageAtom::Str { attr, op, value } => {
                let v = self.str_value(attr);
                match op {
                    EqOp::Eq => v.any(|s| str_eq(attr, s, value)),
                    // "Missing compares unequal to everything": `!=` holds.
                    EqOp::Ne => match v {
                        StrValue::Missing => Tri::True,
                        _ => v.any(|s| !str_eq(attr, s, value)),
                    },
                }
            }
            ImageAtom::In { attr, values } => self
                .str_value(attr)
                .any(|s| values.iter().any(|x| str_eq(attr, s, x))),
            ImageAtom::Matches { attr, globs } => self
                .str_value(attr)
                .any(|s| globs.iter().any(|g| str_matches(attr, g, s))),
            ImageAtom::BaseEq { op, value } => self.ref_eq(RefAttr::Base, *op, value),
            ImageAtom::RefEq { attr, op, value } => self.ref_eq(*attr, *op, value),
            ImageAtom::BaseIn { values } => self.ref_in(RefAttr::Base, values),
            ImageAtom::RefIn { attr, values } => self.ref_in(*attr, values),
            ImageAtom::RefMatches {
                attr: RefAttr::Image,
                patterns,
            } => Tri::any(patterns.iter().map(|p| {
                p.matches(
                    image.registry(),
                    image.repository(),
                    image.tags().as_tags(),
                    image.digest(),
                )
            })),
            ImageAtom::RefMatches { attr, patterns } => {
                let values = self.ref_values(*attr);
                if values.is_unknown() {
                    return Tri::Unknown;
                }
                Tri::any(
                    values
                        .iter()
                        .flat_map(|r| patterns.iter().map(move |p| base_matches(p, r))),
                )
            }
            ImageAtom::Bool(ImageBoolAttr::Pinned) => Tri::from(image.pinned()),
            ImageAtom::Bool(ImageBoolAttr::Scanned) => {
                image.scanned().map_or(Tri::Unknown, Tri::from)
            }
            ImageAtom::Vulns {
                severity,
                op,
                value,
            } => image
                .vulns(*severity)
                .map_or(Tri::Unknown, |n| Tri::from(op.holds(n, *value))),
            ImageAtom::ScanAge { op, seconds } => image
                .scan_age()
                .map_or(Tri::Unknown, |age| Tri::from(op.holds(age, *seconds))),
            ImageAtom::SignedBy { key } => match self.keys.get(*key) {
                None => Tri::Unknown,
                Some(s) => self.cache.signed_by_signers(
                    1,
                    &[s],
                    image.signatures(),
                    image.digest(),
                    image.time(),
                ),
            },
            ImageAtom::SignedByN { n, keys } => {
                let Some(signers) = keys
                    .iter()
                    .map(|k| self.keys.get(*k))
                    .collect::<Option<Vec<_>>>()
                else {
                    return Tri::Unknown;
                };
                self.cache.signed_by_signers(
                    usize::try_from(*n).unwrap_or(usize::MAX),
                    &signers,
                    image.signatures(),
                    image.digest(),
                    image.time(),
                )
            }
            ImageAtom::Attested {
                key,
                predicate_type,
            } => match self.counting(*key, |st| attestation::is_of_type(st, predicate_type)) {
                Counting::Known(counted) => Tri::from(!counted.is_empty()),
                Counting::Unknown => Tri::Unknown,
            },
            ImageAtom::AttestedStr { key, field, test } => {
                self.over_counting(*key, &field_types(field), |a| {
                    attested_string(a.statement()?, field).map(|v| test.holds(&v))
                })
            }
            ImageAtom::AttestedVulns {
                key,
                severity,
                op,
                value,
            } => self.over_counting(*key, &[attestation::COSIGN_VULN_V1], |a| {
                let counts = a.vuln?.counts?;
                Some(op.holds(severity_count(&counts, *severity), *value))
            }),
            ImageAtom::AttestedScanAge { key, op, seconds } => {
                let now = image.time();
                self.over_counting(*key, &[attestation::COSIGN_VULN_V1], |a| {
                    let finished = a.vuln?.finished?;
                    let age = u64::try_from(now.saturating_sub(finished)).unwrap_or(0);
                    Some(op.holds(age, *seconds))
                })
            }
        }
    }

    /// The statements of attestations that count for signer `key` (docs/attestations.md):
    /// of a type `is_type` accepts, verifying under the signer, with the image's digest among
    /// their subjects. Unknown when the facts give no attestations, the set defines no such
    /// signer, or the image's digest is unknown and one of the type verifies.
    fn counting(&mut self, key: KeyId, is_type: impl Fn(&Statement) -> bool) -> Counting<'a> {
        let image = self.image;
        let (Some(signer), Some(attestations)) = (self.keys.get(key), image.attestations()) else {
            return Counting::Unknown;
        };
        let digest = image.digest();
        let mut counted = Vec::new();
        let mut verified = false;
        for a in attestations {
            let Some(statement) = &a.statement else {
                continue;
            };
            if !is_type(statement) {
                continue;
            }
            if !a
                .signatures
                .iter()
                .zip(&a.cache_keys)
                .any(|(s, k)| self.cache.verifies_keyed(signer, s, *k, image.time()))
            {
                continue;
            }
            verified = true;
            if digest.is_some_and(|d| statement.has_subject_digest(d)) {
                counted.push(a);
            }
        }
        if digest.is_none() && verified {
            Counting::Unknown
        } else {
            Counting::Known(counted)
        }
    }

    /// A comparison over the attestations that count: it holds if it holds for one; a field
    /// missing from one is unknown for it; none counting (attestations known) is false.
    fn over_counting(
        &mut self,
        key: KeyId,
        types: &[&str],
        mut value: impl FnMut(&Attestation) -> Option<bool>,
    ) -> Tri {
        let is_type = |st: &Statement| types.iter().any(|t| attestation::is_of_type(st, t));
        match self.counting(key, is_type) {
            Counting::Unknown => Tri::Unknown,
            Counting::Known(counted) => Tri::any(
                counted
                    .iter()
                    .map(|a| value(a).map_or(Tri::Unknown, Tri::from)),
            ),
        }
    }

    /// An expression, tri-state (Kleene; `And` stops at the first false, `Or` at the first true).
    pub fn expr(&mut self, expr: &Expr<ImageAtom>) -> Tri {
        match expr {
            Expr::Const(b) => Tri::from(*b),
            Expr::Atom(atom) => self.atom(atom),
            Expr::Not(inner) => self.expr(inner).not(),
            Expr::And(es) => {
                let mut acc = Tri::True;
                for e in es {
                    acc = acc.and(self.expr(e));
                    if acc == Tri::False {
                        break;
                    }
                }
                acc
            }
            Expr::Or(es) => {
                let mut acc = Tri::False;
                for e in es {
                    acc = acc.or(self.expr(e));
                    if acc == Tri::True {
                        break;
                    }
                }
                acc
            }
        }
    }

    /// A policy's verdict v(p, i): the tri-state `or` of its rules; untrusted with no rule.
    pub fn policy(&mut self, policy: &Policy) -> Tri {
        let mut acc = Tri::False;
        for rule in &policy.rules {
            acc = acc.or(self.expr(rule));
            if acc == Tri::True {
                break;
            }
        }
        acc
    }

    /// Why `policy`'s verdict is `verdict` rather than trusted; `[]` when it is trusted.
    pub fn explain_policy(&mut self, policy: &Policy, verdict: Tri) -> Vec<String> {
        let mut out = Vec::new();
        if verdict == Tri::True {
            return out;
        }
        if policy.rules.is_empty() {
            out.push("the policy has no trust rule".to_owned());
            return out;
        }
        for rule in &policy.rules {
            if self.expr(rule) == verdict {
                self.explain(rule, true, &mut out);
            }
        }
        dedup_keep_first(&mut out);
        out
    }

    /// Explains why `expr` does not evaluate to `want`; adds nothing when it does.
    pub fn explain(&mut self, expr: &Expr<ImageAtom>, want: bool, out: &mut Vec<String>) {
        let value = self.expr(expr);
        if value == Tri::from(want) {
            return;
        }
        match expr {
            Expr::Const(b) => out.push(if *b {
                "`true` always holds, and the rule negates it".to_owned()
            } else {
                "the rule is `false`".to_owned()
            }),
            Expr::Atom(atom) => self.explain_atom(atom, value, want, out),
            Expr::Not(inner) => self.explain(inner, !want, out),
            Expr::And(es) | Expr::Or(es) => {
                let before = out.len();
                // The children sharing the node's (wrong) value are the ones that made it so.
                for e in es {
                    if self.expr(e) == value {
                        self.explain(e, want, out);
                    }
                }
                if out.len() == before {
                    out.push(match expr {
                        Expr::And(_) => "an empty `and` always holds".to_owned(),
                        _ => "an empty `or` never holds".to_owned(),
                    });
                }
            }
        }
    }

    /// Explains one atom whose value is `value` where `want` was needed.
    fn explain_atom(&mut self, atom: &ImageAtom, value: Tri, want: bool, out: &mut Vec<String>) {
        if value == Tri::Unknown {
            self.explain_unknown(atom, out);
        } else {
            out.push(self.explain_failed(atom, want));
        }
    }

    /// Why an atom is unknown: which fact is missing.
    fn explain_unknown(&mut self, atom: &ImageAtom, out: &mut Vec<String>) {
        let image = self.image;
        match atom {
            ImageAtom::Attested { key, .. }
            | ImageAtom::AttestedStr { key, .. }
            | ImageAtom::AttestedVulns { key, .. }
            | ImageAtom::AttestedScanAge { key, .. } => out.push(self.unknown_attested(atom, *key)),
            ImageAtom::Str { attr, .. }
            | ImageAtom::In { attr, .. }
            | ImageAtom::Matches { attr, .. } => out.push(self.unknown_str(attr)),
            ImageAtom::BaseEq { .. } | ImageAtom::BaseIn { .. } => {
                out.push(self.unknown_ref(RefAttr::Base));
            }
            ImageAtom::RefEq { attr, .. } | ImageAtom::RefIn { attr, .. } => {
                out.push(self.unknown_ref(*attr));
            }
            ImageAtom::RefMatches { attr, patterns } => {
                for p in patterns {
                    match attr {
                        RefAttr::Image => {
                            let r = p.matches(
                                image.registry(),
                                image.repository(),
                                image.tags().as_tags(),
                                image.digest(),
                            );
                            if r != Tri::Unknown {
                                continue;
                            }
                            if p.tag().is_some() && image.tags() == TagKnowledge::Unknown {
                                out.push(self.unknown_str(&ImageStrAttr::Tag));
                            }
                            if p.digest().is_some() && image.digest().is_none() {
                                out.push(self.unknown_str(&ImageStrAttr::Digest));
                            }
                        }
                        RefAttr::Base | RefAttr::DeclaredBase => {
                            let values = self.ref_values(*attr);
                            if values.is_unknown() {
                                out.push(self.unknown_ref(*attr));
                            }
                            let name = attr.name();
                            for base in values.iter() {
                                if base_matches(p, base) != Tri::Unknown {
                                    continue;
                                }
                                if p.tag().is_some() && base.tag().is_none() {
                                    out.push(format!(
                                        "the tag of {name} `{base}` is unknown: the {name} \
                                         reference has only a digest"
                                    ));
                                }
                                if p.digest().is_some() && base.digest().is_none() {
                                    out.push(format!(
                                        "the digest of {name} `{base}` is unknown: the \
                                         {name} reference has no digest"
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            ImageAtom::Bool(ImageBoolAttr::Pinned) => {}
            ImageAtom::Bool(ImageBoolAttr::Scanned) => out.push(self.missing_fact(
                "scanned",
                "the facts do not say whether the image was scanned",
            )),
            ImageAtom::Vulns { severity, .. } => {
                let name = severity_name(*severity);
                out.push(self.missing_fact(
                    &format!("vulns.{name}"),
                    &format!("the facts give no scan.vulnerabilities.{name}"),
                ));
            }
            ImageAtom::ScanAge { .. } => {
                out.push(self.missing_fact("scan.age", "the facts give no scan.finished_at"))
            }
            ImageAtom::SignedBy { key } => {
                let name = self.keys.describe(*key);
                out.push(if self.keys.get(*key).is_none() {
                    format!("signed by {name} is unknown: the policy set defines no such key")
                } else if !image.has_facts() {
                    format!("signed by {name} is unknown: no facts for this image")
                } else if image.signatures().is_none() {
                    format!("signed by {name} is unknown: the facts give no signatures")
                } else if image.incomplete().signatures && self.atom_value(atom) == Tri::False {
                    format!("signed by {name} is unknown: {PARTIAL_SIGNATURES}")
                } else {
                    format!(
                        "signed by {name} is unknown: a signature verifies under the key but the \
                         image's digest is unknown"
                    )
                });
            }
            ImageAtom::SignedByN { n, keys } => {
                let what = self.describe_quorum(*n, keys);
                out.push(if keys.iter().any(|k| self.keys.get(*k).is_none()) {
                    format!("{what} is unknown: the policy set defines no such key")
                } else if !image.has_facts() {
                    format!("{what} is unknown: no facts for this image")
                } else if image.signatures().is_none() {
                    format!("{what} is unknown: the facts give no signatures")
                } else if image.incomplete().signatures && self.atom_value(atom) == Tri::False {
                    format!("{what} is unknown: {PARTIAL_SIGNATURES}")
                } else {
                    format!(
                        "{what} is unknown: enough signatures verify under the signers but the \
                         image's digest is unknown"
                    )
                });
            }
        }
    }

    /// How reasons name an attestation atom's left side: `provenance(`ci`).builder`.
    fn attested_subject(&self, atom: &ImageAtom, key: KeyId) -> String {
        crate::ir_text::attested_subject(atom, &self.keys.describe(key)).unwrap_or_default()
    }

    /// Why an attestation atom is unknown.
    fn unknown_attested(&mut self, atom: &ImageAtom, key: KeyId) -> String {
        let image = self.image;
        let what = self.attested_subject(atom, key);
        if self.keys.get(key).is_none() {
            format!("{what} is unknown: the policy set defines no such key")
        } else if !image.has_facts() {
            format!("{what} is unknown: no facts for this image")
        } else if image.attestations().is_none() {
            format!("{what} is unknown: the facts give no attestations")
        } else if image.incomplete().attestations && self.atom_value(atom) == Tri::False {
            format!(
                "{what} is unknown: the attestations are incomplete (a source of them could not \
                 be read), and none of those found makes it hold"
            )
        } else if image.digest().is_none() {
            format!(
                "{what} is unknown: an attestation of the type verifies under the signer but the \
                 image's digest is unknown"
            )
        } else {
            format!("{what} is unknown: the attestations that count do not give it")
        }
    }

    /// Why an attestation atom is false: the values the attestations that count give, or why
    /// none counts (none of the type, none that verifies, or one for another image).
    fn explain_attested(&mut self, atom: &ImageAtom, key: KeyId, want: bool) -> String {
        let image = self.image;
        let what = self.attested_subject(atom, key);
        if !want {
            return format!("{what} holds, the rule needs an image for which it does not");
        }
        let types: Vec<String> = match atom {
            ImageAtom::Attested { predicate_type, .. } => vec![predicate_type.clone()],
            ImageAtom::AttestedStr { field, .. } => {
                field_types(field).into_iter().map(str::to_owned).collect()
            }
            _ => vec![attestation::COSIGN_VULN_V1.to_owned()],
        };
        let is_type = |st: &Statement| types.iter().any(|t| attestation::is_of_type(st, t));
        if let Counting::Known(counted) = self.counting(key, is_type)
            && !counted.is_empty()
        {
            let values: Vec<String> = counted
                .iter()
                .map(|a| match atom {
                    ImageAtom::AttestedStr { field, .. } => a
                        .statement()
                        .and_then(|st| attested_string(st, field))
                        .map_or_else(|| "absent".to_owned(), |v| format!("{v:?}")),
                    ImageAtom::AttestedVulns { severity, .. } => {
                        a.vuln.and_then(|v| v.counts).map_or_else(
                            || "absent".to_owned(),
                            |c| severity_count(&c, *severity).to_string(),
                        )
                    }
                    ImageAtom::AttestedScanAge { .. } => {
                        a.vuln.and_then(|v| v.finished).map_or_else(
                            || "absent".to_owned(),
                            |f| {
                                format_duration(
                                    u64::try_from(image.time().saturating_sub(f)).unwrap_or(0),
                                )
                            },
                        )
                    }
                    _ => String::new(),
                })
                .collect();
            let rule = match atom {
                ImageAtom::AttestedStr { test, .. } => test.text(),
                ImageAtom::AttestedVulns { op, value, .. } => format!("{} {value}", op.as_str()),
                ImageAtom::AttestedScanAge { op, seconds, .. } => {
                    format!("{} {}", op.as_str(), format_duration(*seconds))
                }
                _ => String::new(),
            };
            return format!(
                "{what} is {}, the rule needs `{rule}`",
                values.join(" and ")
            );
        }
        let kind = types.join(" or ");
        let of_type: Vec<&crate::attestation::Attestation> = image
            .attestations()
            .unwrap_or_default()
            .iter()
            .filter(|a| a.statement.as_ref().is_some_and(&is_type))
            .collect();
        let Some(signer) = self.keys.get(key) else {
            return format!("{what} does not hold: the policy set defines no such key");
        };
        if of_type.is_empty() {
            return format!("{what} does not hold: the facts have no attestation of type {kind}");
        }
        let mut closest = None;
        for a in &of_type {
            for s in &a.signatures {
                match signer.verify_unbound(s, image.time()) {
                    Ok(()) => {
                        return format!(
                            "{what} does not hold: the attestation of type {kind} verifies under \
                             the signer but none of its subjects is the image's digest `{}`",
                            image.digest().unwrap_or("unknown")
                        );
                    }
                    Err(why) => {
                        closest.get_or_insert(why);
                    }
                }
            }
        }
        format!(
            "{what} does not hold: no attestation of type {kind} verifies under the signer ({})",
            closest.unwrap_or_else(|| "the envelope has no signature".to_owned())
        )
    }

    /// `signed by 2 of [a, b, c]`, as reasons name it.
    fn describe_quorum(&self, n: u32, keys: &[KeyId]) -> String {
        let names: Vec<String> = keys
            .iter()
            .map(|k| match self.keys.get(*k) {
                Some(s) => s.name().to_owned(),
                None => format!("key #{k}"),
            })
            .collect();
        format!("signed by {n} of [{}]", names.join(", "))
    }

    /// For each signature, why it vouches for nothing under `signer`, and the closest of them
    /// (the one that passed the most checks; the first of equals).
    fn closest(&self, signer: &Signer) -> Option<crate::signer::Explanation> {
        let image = self.image;
        let mut best: Option<crate::signer::Explanation> = None;
        for s in image.signatures().unwrap_or_default() {
            let e = signer.explain(s, image.digest(), image.time());
            if best.as_ref().is_none_or(|b| e.rank > b.rank) {
                best = Some(e);
            }
        }
        best
    }

    /// Why `signed by K` is false for a signer that is not a plain key (keyless, or a key that
    /// requires a transparency log): the closest signature's first failed check.
    fn explain_not_signed(&self, name: &str, signer: &Signer) -> String {
        let signatures = self.image.signatures().unwrap_or_default();
        let digest = self.image.digest().unwrap_or("unknown");
        match (signatures.len(), self.closest(signer)) {
            (_, Some(e)) if e.rank >= 30 => format!(
                "not signed by {name}: a signature verifies under the signer but names another \
                 image than the digest `{digest}`"
            ),
            (1, Some(e)) => {
                format!("not signed by {name}: the one signature does not verify ({e})")
            }
            (n, Some(e)) => {
                format!("not signed by {name}: none of {n} signatures verifies; the closest: {e}")
            }
            (_, None) => format!("not signed by {name}: the facts list no signatures"),
        }
    }

    /// Why `signed by N of [...]` is false: which signers are satisfied and, for the others,
    /// their closest signature's first failed check.
    fn explain_quorum(&mut self, n: u32, keys: &[KeyId]) -> String {
        let what = self.describe_quorum(n, keys);
        let image = self.image;
        let signatures = image.signatures().unwrap_or_default();
        if signatures.is_empty() {
            return format!("not {what}: the facts list no signatures");
        }
        let mut satisfied = Vec::new();
        let mut others = Vec::new();
        for &k in keys {
            let Some(signer) = self.keys.get(k) else {
                continue;
            };
            let one = self.cache.signed_by_signers(
                1,
                &[signer],
                Some(signatures),
                image.digest(),
                image.time(),
            );
            if one == Tri::True {
                satisfied.push(format!("`{}`", signer.name()));
            } else {
                let why = self
                    .closest(signer)
                    .map_or_else(|| "no signature".to_owned(), |e| e.reason);
                others.push(format!("`{}`: {why}", signer.name()));
            }
        }
        let mut out = format!("not {what}: ");
        if satisfied.is_empty() {
            out.push_str("no signer has a signature for this image");
        } else if u32::try_from(satisfied.len()).unwrap_or(u32::MAX) >= n {
            let _ = write!(
                out,
                "{} have signatures for this image, but not {n} distinct ones (each signature \
                 counts for one signer)",
                satisfied.join(", ")
            );
        } else {
            let _ = write!(
                out,
                "only {} of the {n} needed ({})",
                satisfied.len(),
                satisfied.join(", ")
            );
        }
        for o in others {
            let _ = write!(out, "; {o}");
        }
        out
    }

    /// `NAME is unknown: WHY`, with "no facts for this image" when there are none.
    fn missing_fact(&self, name: &str, why: &str) -> String {
        if self.image.has_facts() {
            format!("{name} is unknown: {why}")
        } else {
            format!("{name} is unknown: no facts for this image")
        }
    }

    /// Why a string attribute is unknown.
    fn unknown_str(&self, attr: &ImageStrAttr) -> String {
        match attr {
            // Always known; kept total rather than unreachable.
            ImageStrAttr::Registry => "registry is unknown".to_owned(),
            ImageStrAttr::Repository => "repository is unknown".to_owned(),
            ImageStrAttr::Tag if self.image.reference().tag().is_some() => format!(
                "tag is unknown: the registry could not confirm that `{}` names the digest",
                self.image.reference().tag().unwrap_or_default()
            ),
            ImageStrAttr::Tag => {
                "tag is unknown: the reference has only a digest and no facts give its tags"
                    .to_owned()
            }
            ImageStrAttr::Digest => {
                "digest is unknown: the reference has no digest and no facts give one".to_owned()
            }
            ImageStrAttr::Scanner => {
                self.missing_fact("scan.scanner", "the facts give no scan.scanner")
            }
            ImageStrAttr::Label(k) => {
                self.missing_fact(&format!("label `{k}`"), "the facts give no labels")
            }
        }
    }

    /// Why `base` or `declared_base` is unknown.
    fn unknown_ref(&self, attr: RefAttr) -> String {
        match attr {
            RefAttr::Base => self.missing_fact("base", "the facts give neither base nor layers"),
            _ => self.missing_fact(attr.name(), "the facts give no declared_base"),
        }
    }

    /// Why a string attribute's comparison has the wrong value.
    fn describe_str(&self, attr: &ImageStrAttr, req: &Requirement<'_>, want: bool) -> String {
        let reference = self.image.reference();
        if let (ImageStrAttr::Tag, Some(tag), Some(_), TagKnowledge::Many([])) =
            (attr, reference.tag(), reference.digest(), self.image.tags())
        {
            return format!(
                "the registry names another digest under tag `{tag}`, so the image has no tag \
                 known; the rule needs a tag that is {}",
                req.describe(want)
            );
        }
        describe_str(attr, self.str_value(attr), req, want)
    }

    /// Why a reference attribute's comparison has the wrong value.
    fn describe_ref(&self, attr: RefAttr, req: &Requirement<'_>, want: bool) -> String {
        let values = self.ref_values(attr);
        let known = (!values.is_unknown()).then(|| values.iter().collect());
        describe_refs(attr.name(), known, req, want)
    }

    /// Why a known atom has the wrong value, and what would have made it right.
    fn explain_failed(&mut self, atom: &ImageAtom, want: bool) -> String {
        let image = self.image;
        match atom {
            ImageAtom::Attested { key, .. }
            | ImageAtom::AttestedStr { key, .. }
            | ImageAtom::AttestedVulns { key, .. }
            | ImageAtom::AttestedScanAge { key, .. } => self.explain_attested(atom, *key, want),
            ImageAtom::Str { attr, op, value } => {
                self.describe_str(attr, &Requirement::Eq(*op, value), want)
            }
            ImageAtom::In { attr, values } => {
                self.describe_str(attr, &Requirement::In(values), want)
            }
            ImageAtom::Matches { attr, globs } => {
                self.describe_str(attr, &Requirement::Globs(globs), want)
            }
            ImageAtom::BaseEq { op, value } => {
                self.describe_ref(RefAttr::Base, &Requirement::Eq(*op, value), want)
            }
            ImageAtom::RefEq { attr, op, value } => {
                self.describe_ref(*attr, &Requirement::Eq(*op, value), want)
            }
            ImageAtom::BaseIn { values } => {
                self.describe_ref(RefAttr::Base, &Requirement::In(values), want)
            }
            ImageAtom::RefIn { attr, values } => {
                self.describe_ref(*attr, &Requirement::In(values), want)
            }
            ImageAtom::RefMatches { attr, patterns } => {
                self.describe_ref(*attr, &Requirement::Patterns(patterns), want)
            }
            ImageAtom::Bool(ImageBoolAttr::Pinned) => {
                if want {
                    "not pinned: the reference carries no digest, the rule needs one".to_owned()
                } else {
                    "pinned: the reference carries a digest, the rule needs one without".to_owned()
                }
            }
            ImageAtom::Bool(ImageBoolAttr::Scanned) => {
                if want {
                    "not scanned: the facts say the image was not scanned".to_owned()
                } else {
                    "scanned: the rule needs an image that was not scanned".to_owned()
                }
            }
            ImageAtom::Vulns {
                severity,
                op,
                value,
            } => {
                let actual = image
                    .vulns(*severity)
                    .map_or_else(|| "unknown".to_owned(), |n| n.to_string());
                let op = if want { *op } else { op.negate() };
                format!(
                    "vulns.{} is {actual}, the rule needs `{} {value}`",
                    severity_name(*severity),
                    op.as_str()
                )
            }
            ImageAtom::ScanAge { op, seconds } => {
                let actual = image
                    .scan_age()
                    .map_or_else(|| "unknown".to_owned(), format_duration);
                let op = if want { *op } else { op.negate() };
                format!(
                    "scan.age is {actual}, the rule needs `{} {}`",
                    op.as_str(),
                    format_duration(*seconds)
                )
            }
            ImageAtom::SignedByN { n, keys } => {
                if !want {
                    let what = self.describe_quorum(*n, keys);
                    return format!("{what}, the rule needs an image that is not");
                }
                self.explain_quorum(*n, keys)
            }
            ImageAtom::SignedBy { key } => {
                let name = self.keys.describe(*key);
                if !want {
                    return format!("signed by {name}, the rule needs an image that is not");
                }
                let signatures = image.signatures().unwrap_or_default();
                if signatures.is_empty() {
                    return format!("not signed by {name}: the facts list no signatures");
                }
                if let Some(signer) = self.keys.get(*key)
                    && !matches!(signer.kind(), SignerKind::Key { tlog: None, .. })
                {
                    return self.explain_not_signed(&name, signer);
                }
                // With no digest, the cached answer is unknown exactly when some signature
                // verifies under the key: it tells the two kinds of failure apart for free.
                let some_verify = self.keys.key(*key).is_some_and(|k| {
                    self.cache.signed_by_cached(k, Some(signatures), None) == Tri::Unknown
                });
                let digest = image.digest().unwrap_or("unknown");
                match (signatures.len(), some_verify) {
                    (1, true) => format!(
                        "not signed by {name}: the signature verifies under the key but names \
                         another image than the digest `{digest}`"
                    ),
                    (_, true) => format!(
                        "not signed by {name}: a signature verifies under the key but none that \
                         does names the image's digest `{digest}`"
                    ),
                    (1, false) => {
                        let why = match (self.keys.key(*key), signatures.first()) {
                            (Some(k), Some(s)) => crate::signature::failed_check(k, s),
                            _ => "no key".to_owned(),
                        };
                        format!(
                            "not signed by {name}: the one signature does not verify under the \
                             key ({why})"
                        )
                    }
                    (n, false) => {
                        format!(
                            "not signed by {name}: none of {n} signatures verifies under the key"
                        )
                    }
                }
            }
        }
    }
}

/// What the attestations that count for a signer are, for one image.
enum Counting<'a> {
    /// Not known: no attestations in the facts, no such signer, or the image's digest is
    /// unknown while an attestation of the type verifies.
    Unknown,
    /// These count (possibly none).
    Known(Vec<&'a Attestation>),
}

/// The predicate types an attestation string field is read from.
fn field_types(field: &AttestedField) -> Vec<&str> {
    match field {
        AttestedField::Builder
        | AttestedField::BuildType
        | AttestedField::Source
        | AttestedField::Ref => vec![
            attestation::SLSA_PROVENANCE_V1,
            attestation::SLSA_PROVENANCE_V02,
        ],
        AttestedField::Scanner => vec![attestation::COSIGN_VULN_V1],
        AttestedField::Predicate { predicate_type, .. } => vec![predicate_type.as_str()],
    }
}

/// A string field of one statement.
fn attested_string(statement: &Statement, field: &AttestedField) -> Option<String> {
    match field {
        AttestedField::Scanner => attestation::vuln_scanner(statement),
        AttestedField::Predicate { path, .. } => attestation::predicate_string(statement, path),
        _ => attestation::provenance(statement, field),
    }
}

fn severity_count(counts: &SeverityCounts, severity: VulnSeverity) -> u64 {
    match severity {
        VulnSeverity::Critical => counts.critical,
        VulnSeverity::High => counts.high,
        VulnSeverity::Medium => counts.medium,
        VulnSeverity::Low => counts.low,
    }
}

/// A label's value among known or unknown labels.
fn label_value<'a>(labels: Option<&'a BTreeMap<String, String>>, key: &str) -> StrValue<'a> {
    match labels {
        None => StrValue::Unknown,
        Some(map) => map.get(key).map_or(StrValue::Missing, |v| StrValue::One(v)),
    }
}

/// `base matches P`: part by part, the base's tag being its written one or the implied `latest`
/// (unknown for a digest-only base) and its digest its own (unknown without one).
fn base_matches(pattern: &ReferencePattern, base: &Reference) -> Tri {
    let tags = base.tag().map_or(Tags::Unknown, Tags::One);
    pattern.matches(base.registry(), base.repository(), tags, base.digest())
}

/// Whether `reference` prints exactly as `expected`, without allocating the printed form.
pub fn displays_as(reference: &Reference, expected: &str) -> bool {
    struct Cmp<'s> {
        rest: &'s str,
        same: bool,
    }
    impl fmt::Write for Cmp<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            match self.rest.strip_prefix(s) {
                Some(rest) if self.same => self.rest = rest,
                _ => self.same = false,
            }
            Ok(())
        }
    }
    let mut cmp = Cmp {
        rest: expected,
        same: true,
    };
    // Writing into `Cmp` never fails; a failing `Display` would leave `same` meaningful anyway.
    let _ = write!(cmp, "{reference}");
    cmp.same && cmp.rest.is_empty()
}

/// `critical`, `high`, `medium`, `low`.
fn severity_name(s: VulnSeverity) -> &'static str {
    match s {
        VulnSeverity::Critical => "critical",
        VulnSeverity::High => "high",
        VulnSeverity::Medium => "medium",
        VulnSeverity::Low => "low",
    }
}

/// Seconds as the language writes durations, in compound form when needed: `7d`, `9d 3h`,
/// `90s` → `1m 30s`, `0s`.
pub fn format_duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{n}{unit}");
        }
    }
    out
}

/// What a comparison asks of a value.
enum Requirement<'r> {
    Eq(EqOp, &'r str),
    In(&'r [String]),
    Globs(&'r [Glob]),
    Patterns(&'r [ReferencePattern]),
}

/// `` `a` ``, `` `a`, `b` ``, written where it is used (a reason is one allocation).
fn quoted<T: fmt::Display>(items: &[T]) -> impl fmt::Display + '_ {
    fmt::from_fn(move |f| {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{item}`")?;
        }
        Ok(())
    })
}

impl Requirement<'_> {
    /// What the comparison needs of the value, `holds` saying whether it must hold or fail.
    fn describe(&self, holds: bool) -> impl fmt::Display + '_ {
        fn list<T: fmt::Display>(
            f: &mut fmt::Formatter<'_>,
            items: &[T],
            one: &str,
            many: &str,
        ) -> fmt::Result {
            match items {
                [item] => write!(f, "{one}`{item}`"),
                [] => write!(f, "{many}no value"),
                _ => write!(f, "{many}{}", quoted(items)),
            }
        }
        fmt::from_fn(move |f| match (self, holds) {
            (Requirement::Eq(EqOp::Eq, v), true) | (Requirement::Eq(EqOp::Ne, v), false) => {
                write!(f, "`{v}`")
            }
            (Requirement::Eq(_, v), _) => write!(f, "anything but `{v}`"),
            (Requirement::In(vs), true) => list(f, vs, "", "one of "),
            (Requirement::In(vs), false) => list(f, vs, "anything but ", "none of "),
            (Requirement::Globs(gs), true) => list(f, gs, "a match for ", "a match for one of "),
            (Requirement::Globs(gs), false) => list(f, gs, "no match for ", "no match for any of "),
            (Requirement::Patterns(ps), true) => list(f, ps, "a match for ", "a match for one of "),
            (Requirement::Patterns(ps), false) => {
                list(f, ps, "no match for ", "no match for any of ")
            }
        })
    }
}

/// Why a check over partial signatures is unknown.
const PARTIAL_SIGNATURES: &str = "the signatures are incomplete (a source of them could not be \
                                  read), and none of those found verifies";

/// `registry`, `tag`, `label `k``…
fn str_attr_name(attr: &ImageStrAttr) -> impl fmt::Display + '_ {
    fmt::from_fn(move |f| match attr {
        ImageStrAttr::Registry => f.write_str("registry"),
        ImageStrAttr::Repository => f.write_str("repository"),
        ImageStrAttr::Tag => f.write_str("tag"),
        ImageStrAttr::Digest => f.write_str("digest"),
        ImageStrAttr::Scanner => f.write_str("scan.scanner"),
        ImageStrAttr::Label(k) => write!(f, "label `{k}`"),
    })
}

/// A reason's text, in a string with room for a typical one: `format!` sizes it by the literal
/// parts alone, and regrew it once or twice per reason.
fn reason(args: fmt::Arguments<'_>) -> String {
    let mut text = String::with_capacity(128);
    let _ = text.write_fmt(args);
    text
}

/// `registry is `docker.io`, the rule needs one of `a`, `b``, and the variants for several
/// tags and missing labels.
fn describe_str(
    attr: &ImageStrAttr,
    value: StrValue<'_>,
    req: &Requirement<'_>,
    want: bool,
) -> String {
    let name = str_attr_name(attr);
    match value {
        StrValue::One(v) => reason(format_args!(
            "{name} is `{v}`, the rule needs {}",
            req.describe(want)
        )),
        StrValue::Many([]) => reason(format_args!(
            "the facts list no tags, the rule needs a tag that is {}",
            req.describe(want)
        )),
        StrValue::Many(vs) if want => reason(format_args!(
            "tags are {}, the rule needs one of them to be {}",
            quoted(vs),
            req.describe(true)
        )),
        StrValue::Many(vs) => reason(format_args!(
            "tags are {}, the rule needs none of them to be {}",
            quoted(vs),
            req.describe(true)
        )),
        StrValue::Missing => reason(format_args!(
            "{name} is not set, the rule needs {}",
            req.describe(want)
        )),
        StrValue::Unknown => reason(format_args!("{name} is unknown")),
    }
}

/// `base is `…`, the rule needs …` for reference-valued attributes, and the variants for
/// several bases and none.
fn describe_refs(
    name: &str,
    values: Option<Vec<&Reference>>,
    req: &Requirement<'_>,
    want: bool,
) -> String {
    match values.as_deref() {
        None => reason(format_args!("{name} is unknown")),
        Some([r]) => reason(format_args!(
            "{name} is `{r}`, the rule needs {}",
            req.describe(want)
        )),
        Some([]) => reason(format_args!(
            "no image of the facts is the {name} by its layers, the rule needs a {name} that is {}",
            req.describe(want)
        )),
        Some(rs) if want => reason(format_args!(
            "{name} is each of {}, the rule needs one of them to be {}",
            quoted(rs),
            req.describe(true)
        )),
        Some(rs) => reason(format_args!(
            "{name} is each of {}, the rule needs none of them to be {}",
            quoted(rs),
            req.describe(true)
        )),
    }
}

/// Removes repeated reasons, keeping each one's first place. A policy has a handful of
/// reasons, and `bona eval` explains millions of them: comparing with the kept ones beats
/// hashing copies of each.
fn dedup_keep_first(reasons: &mut Vec<String>) {
    if reasons.len() > 32 {
        let mut seen = std::collections::HashSet::new();
        reasons.retain(|r| seen.insert(r.clone()));
        return;
    }
    let mut kept: Vec<String> = Vec::with_capacity(reasons.len());
    for reason in reasons.drain(..) {
        if !kept.contains(&reason) {
            kept.push(reason);
        }
    }
    *reasons = kept;
}
