//! L0004: a `prevent` policy that an overlapping `issue` policy overrides.
//!
//! Allow wins whatever the action (docs/decisions.md#rule): where an `issue` policy I and a `prevent`
//! policy P both apply, an image I trusts is admitted even when P rejects it. Teams write I to
//! audit ("everything should be scanned") and P to block ("only our registries"), and expect
//! both to hold; instead, a scanned image from anywhere is let in, with no runtime issue.
//!
//! The finding is reported only with an example the runtime agrees with: an asset in both
//! scopes and an image for which I's verdict is true and P's is false (so P resolves to
//! untrusted whatever its `on unknown`), each built by [`witness`] from a term of the normal
//! form and then evaluated by [`bona_runtime::eval`] itself (with stand-in keys for the
//! signatures the example needs). No example, no finding.

use bona_runtime::eval::{Evaluator, KeyRing, policy_applies};
use bona_runtime::image::ImageView;
use bona_runtime::input::Asset;
use bona_runtime::ir::{KeyDef, PolicySet};
use bona_runtime::signature::VerificationCache;
use bona_runtime::tri::Tri;

use crate::codes::Code;
use crate::diagnostics::Diagnostic;
use crate::lint::dead::{Anchors, ScopeIndex, anchors};
use crate::lint::logic::{self, DNF_CAP, Lits, Nnf};
use crate::lint::witness::{self, Image};
use crate::lint::{Model, PolicyModel};

/// Issue policies named in one finding: once that many are found, the search stops.
const NAMED: usize = 3;

/// Issue policies tried per prevent policy. A set whose issue policies are scoped by labels and
/// whose prevent policies by namespace pairs every prevent policy with every issue policy; past
/// this many the lint stays quiet rather than slow (docs/choices.md, "Lint").
const TRIED: usize = 64;

/// An asset and an image on which an `issue` policy trusts what a `prevent` policy rejects.
#[derive(Clone, Debug)]
pub struct Example {
    pub asset: Asset,
    pub image: Image,
}

/// A `prevent` policy and the first issue policies found (in name order) that override it,
/// each with its example; policies are indices into [`Model::policies`].
#[derive(Clone, Debug)]
pub struct Override {
    pub prevent: usize,
    pub by: Vec<(usize, Example)>,
}

/// Reports each `prevent` policy that some `issue` policy overrides, once, with the first
/// issue policies found (in name order) and an example for the first.
pub fn check(m: &mut Model, set: &PolicySet, out: &mut Vec<Diagnostic>) {
    for o in search(m, set) {
        if let Some(d) = finding(m, o.prevent, o.by) {
            out.push(d);
        }
    }
}

/// Every `prevent` policy that some `issue` policy is shown to override.
pub fn search(m: &mut Model, set: &PolicySet) -> Vec<Override> {
    let mut out = Vec::new();
    let anchors: Vec<Anchors> = m
        .policies
        .iter()
        .map(|p| anchors(&m.asset, &p.scope))
        .collect();
    let issue = (0..m.policies.len()).filter(|&i| !m.policies[i].prevents());
    let index = ScopeIndex::new(&anchors, issue);
    // Keys that do not load are compile errors, and the lint runs only without errors.
    let Ok(ring) = KeyRing::from_set(&set.keys, &set.trust_roots) else {
        return out;
    };
    for (i, anchored) in anchors.iter().enumerate() {
        if !m.policies[i].prevents() {
            continue;
        }
        let mut found: Vec<(usize, Example)> = Vec::new();
        // The negated verdict, only once some issue policy is a candidate.
        let mut rejects: Option<Nnf> = None;
        for j in index.candidates(anchored).into_iter().take(TRIED) {
            if found.len() > NAMED {
                break;
            }
            let rejects = rejects.get_or_insert_with(|| {
                let verdict = m.policies[i].verdict();
                logic::not(&mut m.image, &verdict)
            });
            let keys = Keys {
                defs: &set.keys,
                ring: &ring,
            };
            let (p, q) = (&m.policies[i], &m.policies[j]);
            if let Some(example) = example(&m.asset, &m.image, keys, p, q, rejects) {
                found.push((j, example));
            }
        }
        if !found.is_empty() {
            out.push(Override {
                prevent: i,
                by: found,
            });
        }
    }
    out
}

/// The set's keys, as written and as loaded once for the whole search.
#[derive(Clone, Copy)]
struct Keys<'a> {
    defs: &'a [KeyDef],
    ring: &'a KeyRing,
}

/// An asset both policies apply to and an image `issue` trusts and `prevent` rejects, when
/// one is found and the runtime confirms it.
fn example(
    asset_lits: &Lits,
    image_lits: &Lits,
    keys: Keys,
    prevent: &PolicyModel,
    issue: &PolicyModel,
    rejects: &Nnf,
) -> Option<Example> {
    let (pp, ip) = (&prevent.policy, &issue.policy);
    let both = Nnf::And(vec![prevent.scope.clone(), issue.scope.clone()]);
    let asset = logic::dnf(&both, DNF_CAP)?
        .iter()
        .filter(|t| logic::satisfiable(asset_lits, t) != Some(false))
        .filter_map(|t| witness::asset(asset_lits, t))
        .find(|a| policy_applies(pp, a) && policy_applies(ip, a))?;
    let wanted = Nnf::And(vec![issue.verdict(), rejects.clone()]);
    let mut cache = VerificationCache::new();
    let image = logic::dnf(&wanted, DNF_CAP)?
        .iter()
        .filter(|t| logic::satisfiable(image_lits, t) != Some(false))
        .filter_map(|t| witness::image(image_lits, t, keys.defs))
        .find(|w| {
            // Stand-in keys only for an example that is signed; else the set's own ring.
            let stand_ins;
            let ring = if w.signed_by.is_empty() {
                keys.ring
            } else {
                let Some(ring) = witness::keys(keys.defs, w) else {
                    return false;
                };
                stand_ins = ring;
                &stand_ins
            };
            let view = ImageView::new(&w.reference, w.facts.as_ref(), witness::TIME);
            let mut eval = Evaluator::new(view, ring, &mut cache);
            eval.policy(ip) == Tri::True && eval.policy(pp) == Tri::False
        })?;
    Some(Example { asset, image })
}

/// The diagnostic for prevent policy `i` overridden by the issue policies of `found`.
fn finding(m: &Model, i: usize, found: Vec<(usize, Example)>) -> Option<Diagnostic> {
    let p = &m.policies[i];
    let (first, example) = found.first()?;
    let q = &m.policies[*first];
    let mut names: Vec<String> = found
        .iter()
        .take(NAMED)
        .map(|(j, _)| format!("\"{}\"", m.policies[*j].name()))
        .collect();
    if found.len() > NAMED {
        names.push("others".to_owned());
    }
    let (by, both, they) = if names.len() == 1 {
        ("issue policy", "both", "it trusts")
    } else {
        ("issue policies", "they", "they trust")
    };
    let mut image = format!("`{}`", example.image.reference);
    if !example.image.described.is_empty() {
        image = format!("{image} ({})", example.image.described.join(", "));
    }
    let mut d = Diagnostic::new(
        Code::L0004,
        p.origin.file,
        p.origin.name_span,
        format!(
            "prevent policy \"{}\" is overridden by {by} {} where {both} apply: allow wins, so \
             images {they} are admitted even when \"{}\" rejects them",
            p.name(),
            super::and_list(&names),
            p.name()
        ),
        format!("does not prevent what \"{}\" trusts", q.name()),
    );
    for (n, (j, _)) in found.iter().enumerate().take(NAMED) {
        let r = &m.policies[*j];
        let label = if n == 0 {
            format!(
                "this issue policy trusts {image} on {}, which \"{}\" rejects",
                asset(&example.asset),
                p.name()
            )
        } else {
            format!("this issue policy overrides \"{}\" too", p.name())
        };
        d = d.related(r.origin.file, r.origin.name_span, label);
    }
    Some(d.help(format!(
        "an image is trusted when any policy that applies trusts it, whatever that policy's \
         action (allow wins: docs/decisions.md#rule-3). To block what \"{p}\" rejects, add its conditions to the \
         rules of \"{q}\" with `and`, or narrow the scope of \"{q}\" so that it does not apply \
         where \"{p}\" does",
        p = p.name(),
        q = q.name()
    )))
}

/// The asset as an example: how issues name it, with the scope attributes that matter.
fn asset(a: &Asset) -> String {
    let mut extra = Vec::new();
    for (name, v) in [
        ("cloud", &a.cloud),
        ("cluster", &a.cluster),
        ("kind", &a.kind),
    ] {
        if !v.is_empty() {
            extra.push(format!("{name} \"{v}\""));
        }
    }
    for (k, v) in &a.labels {
        extra.push(format!("label {k}=\"{v}\""));
    }
    if extra.is_empty() {
        a.describe()
    } else {
        format!("{} ({})", a.describe(), extra.join(", "))
    }
}
