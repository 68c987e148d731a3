//! L0003: a `prevent` policy whose trust another `prevent` policy always grants.
//!
//! Allow wins (docs/decisions.md#rule): an image is trusted when any applicable policy trusts it. If
//! policy Q applies wherever P does (`scope(P) ≤ scope(Q)`) and resolves to trusted whenever P
//! does, then P's trust never decides anything, and since Q is a `prevent` policy too, neither
//! does P's prevention: every decision is the same without P. That is the common mistake of a
//! stricter policy for a narrower scope ("production needs signatures") under a laxer one for
//! everything ("corporate registries are fine"): the laxer one wins.
//!
//! P resolves to trusted when its verdict is true, or unknown with `on unknown issue`. So
//! `verdict(P) ≤ verdict(Q)` suffices unless P lets unknown through and Q does not; that case
//! is not reported. An `issue` policy is never dead in this sense: it files posture issues of
//! its own whatever other policies trust.
//!
//! Pairs are found through an index on scope values ([`Anchors`]), so a set of 10,000 policies
//! in distinct namespaces compares each policy with a handful of others, not with all of them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bona_runtime::ir::Action;

use crate::codes::Code;
use crate::diagnostics::Diagnostic;
use crate::lint::logic::{self, DNF_CAP, Key, Lits, Nnf, Pred};
use crate::lint::{Model, PolicyModel};

/// For each asset attribute a scope pins to finitely many values, those values: every asset in
/// the scope has one of them.
pub type Anchors = BTreeMap<Key, BTreeSet<String>>;

/// The anchors of a scope (none when it cannot be put in normal form cheaply).
pub fn anchors(lits: &Lits, scope: &Nnf) -> Anchors {
    let Some(terms) = logic::dnf(scope, DNF_CAP) else {
        return Anchors::new();
    };
    let mut out: Option<Anchors> = None;
    for term in terms {
        let mut mine: Anchors = Anchors::new();
        for &i in &term {
            let l = &lits[i];
            let Pred::Str {
                inside: true, pats, ..
            } = &l.pred
            else {
                continue;
            };
            let Some(values) = pats
                .iter()
                .map(|p| p.literal().map(str::to_owned))
                .collect::<Option<BTreeSet<String>>>()
            else {
                continue;
            };
            mine.entry(l.key.clone())
                .and_modify(|s| *s = s.intersection(&values).cloned().collect())
                .or_insert(values);
        }
        out = Some(match out {
            None => mine,
            Some(acc) => acc
                .into_iter()
                .filter_map(|(k, mut v)| {
                    let more = mine.get(&k)?;
                    v.extend(more.iter().cloned());
                    Some((k, v))
                })
                .collect(),
        });
    }
    out.unwrap_or_default()
}

/// Policies indexed by one anchor each, to find those whose scope may contain (or meet)
/// another's.
pub struct ScopeIndex {
    /// Policies with no anchor: candidates for every query.
    free: Vec<usize>,
    /// Anchor attribute → value → policies.
    by_value: HashMap<Key, HashMap<String, Vec<usize>>>,
    /// Anchor attribute → every policy anchored on it.
    by_key: HashMap<Key, Vec<usize>>,
}

impl ScopeIndex {
    /// Indexes `members` (indices into `anchors`).
    pub fn new(anchors: &[Anchors], members: impl Iterator<Item = usize>) -> ScopeIndex {
        let mut ix = ScopeIndex {
            free: Vec::new(),
            by_value: HashMap::new(),
            by_key: HashMap::new(),
        };
        for i in members {
            // The most selective anchor; the asset type only when there is no other.
            let best = anchors[i]
                .iter()
                .min_by_key(|(k, v)| (**k == Key::AssetType, v.len()));
            match best {
                None => ix.free.push(i),
                Some((k, values)) => {
                    ix.by_key.entry(k.clone()).or_default().push(i);
                    let slot = ix.by_value.entry(k.clone()).or_default();
                    for v in values {
                        slot.entry(v.clone()).or_default().push(i);
                    }
                }
            }
        }
        ix
    }

    /// Indexed policies whose scope may share an asset with a scope that has `anchors`.
    pub fn candidates(&self, anchors: &Anchors) -> Vec<usize> {
        let mut out: Vec<usize> = self.free.clone();
        for (k, all) in &self.by_key {
            match anchors.get(k) {
                // Both pin `k`: only those sharing a value can meet.
                Some(values) => {
                    if let Some(slot) = self.by_value.get(k) {
                        for v in values {
                            out.extend(slot.get(v).into_iter().flatten());
                        }
                    }
                }
                None => out.extend(all),
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Whether `q` covers `p`: it applies wherever `p` does and resolves to trusted whenever `p`
/// does.
fn covers(m: &Model, p: &PolicyModel, q: &PolicyModel) -> bool {
    let (pp, qp) = (&p.policy, &q.policy);
    if pp.on_unknown == Action::Issue && qp.on_unknown == Action::Prevent {
        return false;
    }
    logic::le(&m.asset, &p.scope, &q.scope) && logic::le(&m.image, &p.verdict(), &q.verdict())
}

/// Reports each dead `prevent` policy once, naming the first policy (by name) that covers it.
pub fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let anchors: Vec<Anchors> = m
        .policies
        .iter()
        .map(|p| anchors(&m.asset, &p.scope))
        .collect();
    let prevent = (0..m.policies.len()).filter(|&i| m.policies[i].prevents());
    let index = ScopeIndex::new(&anchors, prevent.clone());
    for i in prevent {
        let p = &m.policies[i];
        let by = index.candidates(&anchors[i]).into_iter().find(|&j| {
            let q = &m.policies[j];
            j != i && covers(m, p, q)
                // Two policies that cover each other: report only the second by name.
                && !(j > i && covers(m, q, p))
        });
        let Some(j) = by else { continue };
        let q = &m.policies[j];
        out.push(
            Diagnostic::new(
                Code::L0003,
                p.origin.file,
                p.origin.name_span,
                format!(
                    "policy \"{}\" never decides anything: \"{}\" applies wherever it does and trusts every image it trusts",
                    p.name(),
                    q.name()
                ),
                "its trust is always granted by another policy",
            )
            .related(
                q.origin.file,
                q.origin.name_span,
                "this policy applies to the same assets and trusts at least as much",
            )
            .help(format!(
                "allow wins: an image \"{}\" trusts is admitted whatever \"{}\" requires, and \"{}\" \
                 prevents the rest. To require more where \"{}\" applies, exclude those assets from \
                 the scope of \"{}\" (`scope … and not (…)`); otherwise remove \"{}\"",
                q.name(),
                p.name(),
                q.name(),
                p.name(),
                q.name(),
                p.name()
            )),
        );
    }
}
