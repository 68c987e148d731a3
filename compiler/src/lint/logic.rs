//! The lint's reasoning over rules and scopes: negation normal form, per-attribute
//! satisfiability of conjunctions, and a sound test of pointwise order under Kleene logic.
//!
//! # Why these steps are sound under three values (docs/language.md#three-valued-logic)
//! Kleene's strong logic is a De Morgan algebra: `and`/`or` distribute, De Morgan's laws and
//! double negation hold; only the excluded middle and non-contradiction fail. So pushing `not`
//! down to the atoms ([`Nnf`]) and distributing into disjunctive normal form are equivalences,
//! and nothing here ever uses `x or not x`.
//!
//! A literal (an atom or its negation) is *true* only when its attribute is known and the
//! comparison holds. So "this conjunction is never true" is exactly "no values of the
//! attributes make every literal hold", which [`satisfiable`] decides one attribute at a time
//! (attributes are treated as independent: a dependency it ignores can only hide a
//! contradiction, never invent one).
//!
//! "`a` is never above `b`" (`a ≤ b` pointwise in false < unknown < true) is what makes a rule
//! or a policy redundant under `or` ([`le`]). Every literal of one attribute is unknown exactly
//! when that attribute is, so for a conjunction `A` and a disjunction `B` with literals on a
//! common attribute `x`: if `A`'s literals on `x` classically imply the `or` of `B`'s, then
//! `A ≤ B` — when `x` is unknown both sides have an unknown literal on `x` (`A ≤ unknown ≤ B`),
//! when it is known the classical implication decides. Everything else is structural (`or` on
//! the left, `and` on the right split exactly; `and` on the left and `or` on the right are tried
//! member by member). When an answer needs more work than the budget allows, the answer is "not
//! shown", so the lint stays quiet.

use std::collections::BTreeMap;
use std::sync::Arc;

use bona_runtime::ir::{
    AssetAtom, AssetAttr, AssetKind, CmpOp, EqOp, Expr, ImageAtom, ImageBoolAttr, ImageStrAttr,
    KeyId, RefAttr, VulnSeverity,
};

use crate::lint::strings::{self, Pat};
use crate::syntax::ast;
use crate::syntax::span::Span;

/// Which attribute a literal talks about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A string attribute of the image (registry, repository, tag, digest, scanner, labels).
    Image(ImgKey),
    /// `base`, compared by its printed reference.
    Base,
    Vulns(Sev),
    ScanAge,
    Pinned,
    Scanned,
    /// `signed by K`: only ever compared with itself.
    SignedBy(KeyId),
    /// `signed by N of [K, …]`: only ever compared with itself.
    SignedByN(u32, Vec<KeyId>),
    /// An attestation comparison (`provenance(K).builder == "…"`), by its IR: only ever
    /// compared with itself.
    Opaque(String),
    /// `image matches` / `base matches`, by their pattern texts: only compared with itself.
    RefMatches(bool, Vec<String>),
    /// `asset == workload`.
    AssetType,
    Asset(AssetKey),
}

/// [`ImageStrAttr`] with an order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImgKey {
    Registry,
    Repository,
    Tag,
    Digest,
    Scanner,
    Label(String),
}

/// [`AssetAttr`] with an order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetKey {
    Cloud,
    Cluster,
    Namespace,
    Kind,
    Name,
    Label(String),
}

/// [`VulnSeverity`] with an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sev {
    Critical,
    High,
    Medium,
    Low,
}

impl Key {
    /// Tags may be several (facts `tags` of a digest-only reference), and so may bases (found by
    /// layers): a comparison holds when it holds for one of them.
    fn multi(&self) -> bool {
        matches!(self, Key::Image(ImgKey::Tag) | Key::Base)
    }

    /// Labels may be missing from known labels; a missing one is in no set.
    fn may_be_missing(&self) -> bool {
        matches!(
            self,
            Key::Image(ImgKey::Label(_)) | Key::Asset(AssetKey::Label(_))
        )
    }
}

/// What a literal says about its attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pred {
    /// The value is (`inside`) or is not in the patterns' language. For tags, `exists` says
    /// whether some tag (`true`) or every tag (`false`) is meant.
    Str {
        inside: bool,
        exists: bool,
        pats: Arc<[Pat]>,
    },
    Num {
        op: CmpOp,
        value: u64,
    },
    /// A boolean atom (`pinned`, `signed by K`, …) or its negation.
    Bool(bool),
}

/// One literal, with the span of the comparison it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lit {
    pub key: Key,
    pub pred: Pred,
    pub span: Span,
}

impl Lit {
    fn negate(&self) -> Lit {
        let pred = match &self.pred {
            Pred::Str {
                inside,
                exists,
                pats,
            } => Pred::Str {
                inside: !inside,
                exists: if self.key.multi() { !exists } else { *exists },
                pats: Arc::clone(pats),
            },
            Pred::Num { op, value } => Pred::Num {
                op: op.negate(),
                value: *value,
            },
            Pred::Bool(b) => Pred::Bool(!b),
        };
        Lit {
            key: self.key.clone(),
            pred,
            span: self.span,
        }
    }
}

/// An expression in negation normal form; literals live in a [`Lits`] arena.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nnf {
    Const(bool),
    Lit(usize),
    And(Vec<Nnf>),
    Or(Vec<Nnf>),
}

/// The literals of one or more expressions.
pub type Lits = Vec<Lit>;

/// Atoms that become literals.
pub trait Atom {
    /// The atom as a positive literal.
    fn lit(&self, span: Span) -> Lit;
}

fn str_lit(key: Key, inside: bool, pats: Vec<Pat>, span: Span) -> Lit {
    Lit {
        key,
        pred: Pred::Str {
            inside,
            exists: true,
            pats: pats.into(),
        },
        span,
    }
}

fn img_key(a: &ImageStrAttr) -> ImgKey {
    match a {
        ImageStrAttr::Registry => ImgKey::Registry,
        ImageStrAttr::Repository => ImgKey::Repository,
        ImageStrAttr::Tag => ImgKey::Tag,
        ImageStrAttr::Digest => ImgKey::Digest,
        ImageStrAttr::Scanner => ImgKey::Scanner,
        ImageStrAttr::Label(k) => ImgKey::Label(k.clone()),
    }
}

fn asset_key(a: &AssetAttr) -> AssetKey {
    match a {
        AssetAttr::Cloud => AssetKey::Cloud,
        AssetAttr::Cluster => AssetKey::Cluster,
        AssetAttr::Namespace => AssetKey::Namespace,
        AssetAttr::Kind => AssetKey::Kind,
        AssetAttr::Name => AssetKey::Name,
        AssetAttr::Label(k) => AssetKey::Label(k.clone()),
    }
}

fn sev(s: VulnSeverity) -> Sev {
    match s {
        VulnSeverity::Critical => Sev::Critical,
        VulnSeverity::High => Sev::High,
        VulnSeverity::Medium => Sev::Medium,
        VulnSeverity::Low => Sev::Low,
    }
}

fn lits(values: &[String]) -> Vec<Pat> {
    values.iter().map(|v| Pat::Lit(v.clone())).collect()
}

impl Atom for ImageAtom {
    fn lit(&self, span: Span) -> Lit {
        match self {
            ImageAtom::Str { attr, op, value } => str_lit(
                Key::Image(img_key(attr)),
                *op == EqOp::Eq,
                vec![Pat::Lit(value.clone())],
                span,
            ),
            ImageAtom::In { attr, values } => {
                str_lit(Key::Image(img_key(attr)), true, lits(values), span)
            }
            ImageAtom::Matches { attr, globs } => str_lit(
                Key::Image(img_key(attr)),
                true,
                globs.iter().map(Pat::of_glob).collect(),
                span,
            ),
            ImageAtom::BaseEq { op, value }
            | ImageAtom::RefEq {
                attr: RefAttr::Base,
                op,
                value,
            } => str_lit(
                Key::Base,
                *op == EqOp::Eq,
                vec![Pat::Lit(value.clone())],
                span,
            ),
            ImageAtom::BaseIn { values }
            | ImageAtom::RefIn {
                attr: RefAttr::Base,
                values,
            } => str_lit(Key::Base, true, lits(values), span),
            ImageAtom::RefMatches {
                attr: attr @ (RefAttr::Image | RefAttr::Base),
                patterns,
            } => Lit {
                key: Key::RefMatches(
                    *attr == RefAttr::Base,
                    patterns.iter().map(|p| p.source().to_owned()).collect(),
                ),
                pred: Pred::Bool(true),
                span,
            },
            ImageAtom::Bool(b) => Lit {
                key: match b {
                    ImageBoolAttr::Pinned => Key::Pinned,
                    ImageBoolAttr::Scanned => Key::Scanned,
                },
                pred: Pred::Bool(true),
                span,
            },
            ImageAtom::Vulns {
                severity,
                op,
                value,
            } => Lit {
                key: Key::Vulns(sev(*severity)),
                pred: Pred::Num {
                    op: *op,
                    value: *value,
                },
                span,
            },
            ImageAtom::ScanAge { op, seconds } => Lit {
                key: Key::ScanAge,
                pred: Pred::Num {
                    op: *op,
                    value: *seconds,
                },
                span,
            },
            ImageAtom::SignedBy { key } => Lit {
                key: Key::SignedBy(*key),
                pred: Pred::Bool(true),
                span,
            },
            ImageAtom::SignedByN { n, keys } => Lit {
                key: Key::SignedByN(*n, keys.clone()),
                pred: Pred::Bool(true),
                span,
            },
            ImageAtom::Attested { .. }
            | ImageAtom::AttestedStr { .. }
            | ImageAtom::AttestedVulns { .. }
            | ImageAtom::AttestedScanAge { .. }
            // `declared_base` is rare enough that the lints compare it only with itself.
            | ImageAtom::RefEq { .. }
            | ImageAtom::RefIn { .. }
            | ImageAtom::RefMatches { .. } => Lit {
                key: Key::Opaque(format!("{self:?}")),
                pred: Pred::Bool(true),
                span,
            },
        }
    }
}

impl Atom for AssetAtom {
    fn lit(&self, span: Span) -> Lit {
        match self {
            AssetAtom::Type { op, value } => {
                let v = match value {
                    AssetKind::Workload => "workload",
                    AssetKind::Vm => "vm",
                };
                str_lit(
                    Key::AssetType,
                    *op == EqOp::Eq,
                    vec![Pat::Lit(v.into())],
                    span,
                )
            }
            AssetAtom::Str { attr, op, value } => str_lit(
                Key::Asset(asset_key(attr)),
                *op == EqOp::Eq,
                vec![Pat::Lit(value.clone())],
                span,
            ),
            AssetAtom::In { attr, values } => {
                str_lit(Key::Asset(asset_key(attr)), true, lits(values), span)
            }
            AssetAtom::Matches { attr, globs } => str_lit(
                Key::Asset(asset_key(attr)),
                true,
                globs.iter().map(Pat::of_glob).collect(),
                span,
            ),
        }
    }
}

/// Lowers `e` to negation normal form, adding its literals to `lits`. `ast` is the expression
/// as written, walked alongside to give each literal the span of the comparison it comes from
/// (a leaf of the syntax tree may lower to several atoms: a named scope, `vulns.high in [..]`);
/// where the two shapes part, literals get `span`.
pub fn nnf<A: Atom>(
    ast: Option<&ast::Expr>,
    e: &Expr<A>,
    negated: bool,
    span: Span,
    lits: &mut Lits,
) -> Nnf {
    let mut ast = ast;
    while let Some(ast::Expr {
        kind: ast::ExprKind::Paren(inner),
        ..
    }) = ast
    {
        ast = Some(inner);
    }
    let span = ast.map_or(span, |a| a.span);
    match e {
        Expr::Const(b) => Nnf::Const(*b != negated),
        Expr::Atom(a) => {
            let lit = a.lit(span);
            lits.push(if negated { lit.negate() } else { lit });
            Nnf::Lit(lits.len() - 1)
        }
        Expr::Not(inner) => match ast.map(|a| &a.kind) {
            Some(ast::ExprKind::Not(x)) => {
                let mut x: &ast::Expr = x;
                while let ast::ExprKind::Paren(y) = &x.kind {
                    x = y;
                }
                if matches!(
                    x.kind,
                    ast::ExprKind::And(_) | ast::ExprKind::Or(_) | ast::ExprKind::Not(_)
                ) {
                    nnf(Some(x), inner, !negated, span, lits)
                } else {
                    // `not (tag == "a")`: the literal is the whole negated comparison.
                    nnf(None, inner, !negated, span, lits)
                }
            }
            _ => nnf(None, inner, !negated, span, lits),
        },
        Expr::And(es) | Expr::Or(es) => {
            let subs: Option<&Vec<ast::Expr>> = match (ast.map(|a| &a.kind), e) {
                (Some(ast::ExprKind::And(xs)), Expr::And(_))
                | (Some(ast::ExprKind::Or(xs)), Expr::Or(_))
                    if xs.len() == es.len() =>
                {
                    Some(xs)
                }
                _ => None,
            };
            let parts = es
                .iter()
                .enumerate()
                .map(|(i, e)| nnf(subs.and_then(|xs| xs.get(i)), e, negated, span, lits))
                .collect();
            if matches!(e, Expr::And(_)) != negated {
                Nnf::And(parts)
            } else {
                Nnf::Or(parts)
            }
        }
    }
}

/// Whether a conjunction of literals can be true: `Some(false)` when it provably cannot,
/// `None` when the search gave up.
pub fn satisfiable(lits: &Lits, term: &[usize]) -> Option<bool> {
    let mut groups: BTreeMap<&Key, Vec<&Lit>> = BTreeMap::new();
    for &i in term {
        groups.entry(&lits[i].key).or_default().push(&lits[i]);
    }
    let mut gave_up = false;
    for (key, group) in groups {
        match group_satisfiable(key, &group) {
            Some(false) => return Some(false),
            None => gave_up = true,
            Some(true) => {}
        }
    }
    if gave_up { None } else { Some(true) }
}

/// The literals of `term` on one attribute that cannot all hold, as few as found: a
/// contradiction to show the user.
pub fn conflict(lits: &Lits, term: &[usize]) -> Option<Vec<usize>> {
    let mut groups: BTreeMap<&Key, Vec<usize>> = BTreeMap::new();
    for &i in term {
        groups.entry(&lits[i].key).or_default().push(i);
    }
    let unsat = |ids: &[usize]| {
        let key = &lits[ids[0]].key;
        let group: Vec<&Lit> = ids.iter().map(|&i| &lits[i]).collect();
        group_satisfiable(key, &group) == Some(false)
    };
    let mut core = groups.into_values().find(|ids| unsat(ids))?;
    // Drop literals the contradiction does not need (deletion-based minimal core).
    let mut i = 0;
    while i < core.len() && core.len() > 1 {
        let mut without = core.clone();
        without.remove(i);
        if unsat(&without) {
            core = without;
        } else {
            i += 1;
        }
    }
    Some(core)
}

/// Whether literals on one attribute can all be true at once.
pub fn group_satisfiable(key: &Key, group: &[&Lit]) -> Option<bool> {
    match key {
        Key::Vulns(_) | Key::ScanAge => Some(numbers_satisfiable(group)),
        Key::Pinned
        | Key::Scanned
        | Key::SignedBy(_)
        | Key::SignedByN(..)
        | Key::Opaque(_)
        | Key::RefMatches(..) => {
            let pos = group.iter().any(|l| l.pred == Pred::Bool(true));
            let neg = group.iter().any(|l| l.pred == Pred::Bool(false));
            Some(!(pos && neg))
        }
        _ => strings_satisfiable(key, group),
    }
}

fn numbers_satisfiable(group: &[&Lit]) -> bool {
    let (mut lo, mut hi) = (0u64, u64::MAX);
    let mut excluded = Vec::new();
    for l in group {
        let Pred::Num { op, value } = l.pred else {
            continue;
        };
        match op {
            CmpOp::Eq => {
                lo = lo.max(value);
                hi = hi.min(value);
            }
            CmpOp::Ne => excluded.push(value),
            CmpOp::Lt => match value.checked_sub(1) {
                Some(v) => hi = hi.min(v),
                None => return false,
            },
            CmpOp::Le => hi = hi.min(value),
            CmpOp::Gt => match value.checked_add(1) {
                Some(v) => lo = lo.max(v),
                None => return false,
            },
            CmpOp::Ge => lo = lo.max(value),
        }
    }
    if lo > hi {
        return false;
    }
    excluded.retain(|v| (lo..=hi).contains(v));
    excluded.sort_unstable();
    excluded.dedup();
    // The range holds `hi - lo + 1` values; unsatisfiable when the exclusions take them all.
    let size = u128::from(hi - lo) + 1;
    size > excluded.len() as u128
}

fn strings_satisfiable(key: &Key, group: &[&Lit]) -> Option<bool> {
    let mut each: Vec<(&[Pat], bool)> = Vec::new(); // every value: (pats, inside)
    let mut some: Vec<(&[Pat], bool)> = Vec::new(); // some tag
    for l in group {
        let Pred::Str {
            inside,
            exists,
            pats,
        } = &l.pred
        else {
            continue;
        };
        if key.multi() && *exists {
            some.push((pats, *inside));
        } else {
            each.push((pats, *inside));
        }
    }
    let asset_types: [Pat; 2] = [Pat::Lit("workload".into()), Pat::Lit("vm".into())];
    let solve = |extra: Option<(&[Pat], bool)>| {
        let mut pos: Vec<&[Pat]> = Vec::new();
        let mut neg: Vec<&[Pat]> = Vec::new();
        for (pats, inside) in each.iter().copied().chain(extra) {
            if inside {
                pos.push(pats);
            } else {
                neg.push(pats);
            }
        }
        if *key == Key::AssetType {
            pos.push(&asset_types);
        }
        strings::satisfiable(&pos, &neg)
    };
    if key.multi() {
        // Each "some tag" literal needs its own witness that every "each tag" literal allows;
        // with none, no tags at all (`tags: []`) satisfies every "each tag" literal.
        let mut gave_up = false;
        for s in &some {
            match solve(Some(*s)) {
                Some(false) => return Some(false),
                None => gave_up = true,
                Some(true) => {}
            }
        }
        return if gave_up { None } else { Some(true) };
    }
    if key.may_be_missing() && each.iter().all(|(_, inside)| !inside) {
        return Some(true); // a missing label is in no set
    }
    solve(None)
}

/// The negation of `n` in negation normal form (De Morgan down to the literals, which are
/// negated into `lits`): true exactly where `n` is false, under Kleene's logic as classically.
pub fn not(lits: &mut Lits, n: &Nnf) -> Nnf {
    match n {
        Nnf::Const(b) => Nnf::Const(!b),
        Nnf::Lit(i) => {
            let negated = lits[*i].negate();
            lits.push(negated);
            Nnf::Lit(lits.len() - 1)
        }
        Nnf::And(parts) => Nnf::Or(parts.iter().map(|p| not(lits, p)).collect()),
        Nnf::Or(parts) => Nnf::And(parts.iter().map(|p| not(lits, p)).collect()),
    }
}

/// Disjunctive normal form, or `None` past `cap` terms.
pub fn dnf(n: &Nnf, cap: usize) -> Option<Vec<Vec<usize>>> {
    match n {
        Nnf::Const(true) => Some(vec![vec![]]),
        Nnf::Const(false) => Some(vec![]),
        Nnf::Lit(i) => Some(vec![vec![*i]]),
        Nnf::Or(parts) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(dnf(p, cap)?);
                if out.len() > cap {
                    return None;
                }
            }
            Some(out)
        }
        Nnf::And(parts) => {
            let mut out: Vec<Vec<usize>> = vec![vec![]];
            for p in parts {
                let d = dnf(p, cap)?;
                if out.len().saturating_mul(d.len()) > cap {
                    return None;
                }
                out = out
                    .iter()
                    .flat_map(|t| {
                        d.iter().map(move |u| {
                            let mut v = t.clone();
                            v.extend_from_slice(u);
                            v
                        })
                    })
                    .collect();
            }
            Some(out)
        }
    }
}

/// DNF terms beyond which the lint stops expanding an expression.
pub const DNF_CAP: usize = 256;

/// Whether `n` can never be true (only `true` when that is shown).
pub fn never_true(lits: &Lits, n: &Nnf) -> bool {
    match dnf(n, DNF_CAP) {
        Some(terms) => terms.iter().all(|t| satisfiable(lits, t) == Some(false)),
        None => match n {
            Nnf::Const(b) => !b,
            Nnf::Lit(i) => satisfiable(lits, &[*i]) == Some(false),
            Nnf::And(parts) => parts.iter().any(|p| never_true(lits, p)),
            Nnf::Or(parts) => parts.iter().all(|p| never_true(lits, p)),
        },
    }
}

/// Steps [`le`] may take before answering "not shown".
pub const LE_BUDGET: usize = 2_000;

/// Whether `a ≤ b` pointwise (false < unknown < true) is shown; both index into `lits`.
pub fn le(lits: &Lits, a: &Nnf, b: &Nnf) -> bool {
    let mut budget = LE_BUDGET;
    le_in(lits, a, b, &mut budget)
}

fn le_in(lits: &Lits, a: &Nnf, b: &Nnf, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match (a, b) {
        (Nnf::Const(false), _) | (_, Nnf::Const(true)) => return true,
        (Nnf::Or(xs), _) => return xs.iter().all(|x| le_in(lits, x, b, budget)),
        (_, Nnf::And(ys)) => return ys.iter().all(|y| le_in(lits, a, y, budget)),
        _ => {}
    }
    if a == b {
        return true;
    }
    if let Nnf::And(xs) = a
        && xs.iter().any(|x| le_in(lits, x, b, budget))
    {
        return true;
    }
    if let Nnf::Or(ys) = b
        && ys.iter().any(|y| le_in(lits, a, y, budget))
    {
        return true;
    }
    let direct = |n: &Nnf| -> Vec<usize> {
        match n {
            Nnf::Lit(i) => vec![*i],
            Nnf::And(xs) | Nnf::Or(xs) => xs
                .iter()
                .filter_map(|x| match x {
                    Nnf::Lit(i) => Some(*i),
                    _ => None,
                })
                .collect(),
            Nnf::Const(_) => vec![],
        }
    };
    let (la, lb) = (direct(a), direct(b));
    for &i in &la {
        let key = &lits[i].key;
        if lb.iter().all(|&j| lits[j].key != *key) {
            continue;
        }
        // A's literals on `key`, and the negation of each of B's: unsatisfiable means A's
        // imply the `or` of B's.
        let mut group: Vec<&Lit> = la
            .iter()
            .map(|&i| &lits[i])
            .filter(|l| l.key == *key)
            .collect();
        let negated: Vec<Lit> = lb
            .iter()
            .map(|&j| &lits[j])
            .filter(|l| l.key == *key)
            .map(Lit::negate)
            .collect();
        group.extend(negated.iter());
        if group_satisfiable(key, &group) == Some(false) {
            return true;
        }
    }
    false
}
