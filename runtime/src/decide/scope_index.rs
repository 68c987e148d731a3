//! S(A) through an index over the literals that scopes test.
//!
//! Every distinct scope gets *anchors*: facts about the asset, one of which must be true for the
//! scope to hold — `namespace` is `"team1"`, `cluster` starts with `"prod-"`, the asset is a
//! VM. An asset looks its own attributes up in the index and gets the scopes one of whose
//! anchors it meets; only those are evaluated ([`scope_holds`], the interpreter's definition),
//! together with the *residual* scopes that have no anchor (`not`, `!=`, a glob with no
//! literal prefix). So the index only ever skips scopes that are false, and S(A) costs a few
//! hash probes plus the scopes that could hold, whatever the size of the set.
//!
//! Anchors are derived structurally, as the rules' keys are ([`crate::table`]): `==`, `in`
//! and literal `matches` give exact values, a glob its literal prefix, `asset ==`/`!=` a type;
//! `and` keeps its most selective child's anchors, `or` unites its children's when each has
//! some, `false` has none (never a candidate), anything else has no anchor.

use crate::decide::fxhash::FxMap;
use crate::eval::{asset_attr, scope_holds};
use crate::input::{Asset, AssetType};
use crate::ir::{AssetAtom, AssetAttr, AssetKind, EqOp, Expr};

/// One fact an asset must meet for a scope to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Anchor<'a> {
    /// The attribute equals the value (a label: is present with the value).
    Exact(&'a AssetAttr, &'a str),
    /// The attribute starts with the (non-empty) prefix.
    Prefix(&'a AssetAttr, &'a str),
    /// The asset is of this type.
    Type(AssetType),
}

impl Anchor<'_> {
    /// How many assets an anchor lets through, roughly: lower is more selective. Names,
    /// namespaces and labels split a fleet finely; clusters less; kinds, clouds and prefixes
    /// coarsely; a type in two.
    fn weight(&self) -> usize {
        match self {
            Anchor::Exact(AssetAttr::Name | AssetAttr::Namespace | AssetAttr::Label(_), _) => 1,
            Anchor::Exact(AssetAttr::Cluster, _) => 2,
            Anchor::Exact(AssetAttr::Kind | AssetAttr::Cloud, _) | Anchor::Prefix(..) => 8,
            Anchor::Type(_) => 64,
        }
    }
}

/// The anchors of a scope: `None` when it has none (it must be evaluated for every asset),
/// `Some([])` when it never holds.
fn anchors(expr: &Expr<AssetAtom>) -> Option<Vec<Anchor<'_>>> {
    match expr {
        Expr::Const(false) => Some(Vec::new()),
        Expr::Const(true) | Expr::Not(_) => None,
        Expr::Atom(atom) => atom_anchors(atom),
        Expr::And(es) => es
            .iter()
            .filter_map(anchors)
            .min_by_key(|a| a.iter().map(Anchor::weight).sum::<usize>()),
        Expr::Or(es) => {
            let mut all = Vec::new();
            for e in es {
                all.extend(anchors(e)?);
            }
            Some(all)
        }
    }
}

fn atom_anchors(atom: &AssetAtom) -> Option<Vec<Anchor<'_>>> {
    match atom {
        AssetAtom::Type { op, value } => {
            let is = match value {
                AssetKind::Workload => AssetType::Workload,
                AssetKind::Vm => AssetType::Vm,
            };
            let other = match is {
                AssetType::Workload => AssetType::Vm,
                AssetType::Vm => AssetType::Workload,
            };
            Some(vec![Anchor::Type(match op {
                EqOp::Eq => is,
                EqOp::Ne => other,
            })])
        }
        AssetAtom::Str {
            attr,
            op: EqOp::Eq,
            value,
        } => Some(vec![Anchor::Exact(attr, value)]),
        AssetAtom::Str { op: EqOp::Ne, .. } => None,
        AssetAtom::In { attr, values } => {
            Some(values.iter().map(|v| Anchor::Exact(attr, v)).collect())
        }
        AssetAtom::Matches { attr, globs } => globs
            .iter()
            .map(|g| {
                if g.is_literal() {
                    Some(Anchor::Exact(attr, g.as_str()))
                } else {
                    let prefix = g.literal_prefix();
                    (!prefix.is_empty()).then_some(Anchor::Prefix(attr, prefix))
                }
            })
            .collect(),
    }
}

/// The exact values and prefixes of one attribute that some scope is anchored on.
#[derive(Debug, Default)]
struct AttrIndex {
    exact: FxMap<Box<str>, Vec<u32>>,
    prefixes: FxMap<Box<str>, Vec<u32>>,
    /// The distinct lengths of `prefixes`' keys, ascending: an asset probes only these.
    prefix_lengths: Vec<usize>,
}

/// The index of a table's distinct scopes (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct ScopeIndex {
    /// Scopes that hold for every asset (policies without a scope).
    always: Vec<u32>,
    /// Scopes without anchors: evaluated for every asset.
    residual: Vec<u32>,
    /// Scopes anchored on the asset type, workloads then VMs.
    by_type: [Vec<u32>; 2],
    /// Scopes anchored on an attribute's value or prefix.
    attrs: Vec<(AssetAttr, AttrIndex)>,
}

fn type_slot(t: AssetType) -> usize {
    match t {
        AssetType::Workload => 0,
        AssetType::Vm => 1,
    }
}

impl ScopeIndex {
    /// Indexes `scopes` (`None` is "no scope"); ids are positions in the slice.
    pub(crate) fn new(scopes: &[Option<Expr<AssetAtom>>]) -> ScopeIndex {
        let mut index = ScopeIndex::default();
        for (id, scope) in scopes.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            let Some(expr) = scope else {
                index.always.push(id);
                continue;
            };
            let Some(found) = anchors(expr) else {
                index.residual.push(id);
                continue;
            };
            for anchor in found {
                index.add(anchor, id);
            }
        }
        for (_, attr) in &mut index.attrs {
            attr.prefix_lengths = attr.prefixes.keys().map(|p| p.len()).collect();
            attr.prefix_lengths.sort_unstable();
            attr.prefix_lengths.dedup();
        }
        index
    }

    fn add(&mut self, anchor: Anchor<'_>, id: u32) {
        let (attr, value, exact) = match anchor {
            Anchor::Type(t) => {
                if let Some(ids) = self.by_type.get_mut(type_slot(t)) {
                    push_once(ids, id);
                }
                return;
            }
            Anchor::Exact(attr, value) => (attr, value, true),
            Anchor::Prefix(attr, prefix) => (attr, prefix, false),
        };
        let slot = match self.attrs.iter().position(|(a, _)| a == attr) {
            Some(i) => i,
            None => {
                self.attrs.push((attr.clone(), AttrIndex::default()));
                self.attrs.len() - 1
            }
        };
        if let Some((_, index)) = self.attrs.get_mut(slot) {
            let map = if exact {
                &mut index.exact
            } else {
                &mut index.prefixes
            };
            push_once(map.entry(value.into()).or_default(), id);
        }
    }

    /// How many scopes every asset evaluates.
    pub(crate) fn residual_count(&self) -> usize {
        self.residual.len()
    }

    /// Calls `holds` on every scope that holds for `asset`, in no particular order, and
    /// possibly more than once for a scope anchored on several attributes the asset meets
    /// (`namespace == "a" or labels["team"] == "a"`). Candidates from the index are evaluated
    /// with [`scope_holds`]; `scopes` is the slice the index was built from.
    pub(crate) fn holding(
        &self,
        scopes: &[Option<Expr<AssetAtom>>],
        asset: &Asset,
        mut holds: impl FnMut(u32),
    ) {
        self.always.iter().for_each(|id| holds(*id));
        let mut candidate = |id: u32| {
            if scopes
                .get(id as usize)
                .and_then(Option::as_ref)
                .is_some_and(|e| scope_holds(e, asset))
            {
                holds(id);
            }
        };
        self.residual.iter().for_each(|id| candidate(*id));
        if let Some(ids) = self.by_type.get(type_slot(asset.asset_type)) {
            ids.iter().for_each(|id| candidate(*id));
        }
        for (attr, index) in &self.attrs {
            let Some(value) = asset_attr(asset, attr) else {
                continue;
            };
            if let Some(ids) = index.exact.get(value) {
                ids.iter().for_each(|id| candidate(*id));
            }
            for len in &index.prefix_lengths {
                let Some(prefix) = value.get(..*len) else {
                    continue;
                };
                if let Some(ids) = index.prefixes.get(prefix) {
                    ids.iter().for_each(|id| candidate(*id));
                }
            }
        }
    }
}

/// Appends `id` unless it is already last: one scope's anchors are added together, so a
/// scope with the same anchor twice (`namespace in ["a", "a"]`) is listed once.
fn push_once(ids: &mut Vec<u32>, id: u32) {
    if ids.last() != Some(&id) {
        ids.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::Glob;

    fn eq(attr: AssetAttr, v: &str) -> Expr<AssetAtom> {
        Expr::Atom(AssetAtom::Str {
            attr,
            op: EqOp::Eq,
            value: v.into(),
        })
    }

    fn matches(attr: AssetAttr, g: &str) -> Expr<AssetAtom> {
        let glob = Glob::parse(g).unwrap_or_else(|e| panic!("{e}"));
        Expr::Atom(AssetAtom::Matches {
            attr,
            globs: vec![glob],
        })
    }

    fn asset(cluster: &str, namespace: &str) -> Asset {
        Asset {
            cluster: cluster.into(),
            namespace: namespace.into(),
            ..Asset::default()
        }
    }

    fn holding(scopes: &[Option<Expr<AssetAtom>>], a: &Asset) -> Vec<u32> {
        let index = ScopeIndex::new(scopes);
        let mut out = Vec::new();
        index.holding(scopes, a, |id| out.push(id));
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn a_conjunction_is_anchored_on_its_most_selective_side() {
        let scope = Expr::And(vec![
            matches(AssetAttr::Cluster, "prod-*"),
            eq(AssetAttr::Namespace, "team1"),
        ]);
        assert_eq!(
            anchors(&scope),
            Some(vec![Anchor::Exact(&AssetAttr::Namespace, "team1")])
        );
        let open = Expr::And(vec![matches(AssetAttr::Cluster, "*-prod")]);
        assert_eq!(anchors(&open), None);
        let either = Expr::Or(vec![
            eq(AssetAttr::Namespace, "a"),
            matches(AssetAttr::Cluster, "prod-*"),
        ]);
        assert_eq!(
            anchors(&either),
            Some(vec![
                Anchor::Exact(&AssetAttr::Namespace, "a"),
                Anchor::Prefix(&AssetAttr::Cluster, "prod-"),
            ])
        );
    }

    #[test]
    fn only_holding_scopes_are_reported() {
        let scopes = vec![
            None,
            Some(Expr::And(vec![
                matches(AssetAttr::Cluster, "prod-*"),
                eq(AssetAttr::Namespace, "team1"),
            ])),
            Some(eq(AssetAttr::Namespace, "team2")),
            Some(matches(AssetAttr::Cluster, "prod-*")),
            Some(Expr::Not(Box::new(eq(AssetAttr::Namespace, "team1")))),
            Some(Expr::Const(false)),
            Some(Expr::Or(vec![
                eq(AssetAttr::Namespace, "team1"),
                eq(AssetAttr::Label("team".into()), "team1"),
            ])),
        ];
        assert_eq!(holding(&scopes, &asset("prod-eu", "team1")), [0, 1, 3, 6]);
        assert_eq!(holding(&scopes, &asset("dev", "team1")), [0, 6]);
        assert_eq!(holding(&scopes, &asset("pro", "team2")), [0, 2, 4]);
    }
}
