//! The indexed decision table: what the engine evaluates on the hot path.
//!
//! The interpreter ([`crate::decide`]) evaluates every rule of every applicable policy for every
//! image; its cost grows with the policy set. The table is built once from a [`PolicySet`] and
//! makes an image decision cost roughly the same at 10,000 policies as at one:
//!
//! 1. **Scopes are deduplicated, indexed, and evaluated once per asset.** Policies share scope
//!    expressions (named scopes are expanded by the compiler); S(A) is the set of distinct
//!    scopes that hold ([`AssetScope`]: a `u64` of bits up to 64 scopes, else the sorted ids
//!    that hold), together with "some policy applies" (rule 1) and "some applicable policy
//!    prevents" (rule 4). The scopes that can hold are found through an index over the
//!    literals they test (`crate::decide::scope_index`), so S(A) costs a few probes at
//!    10,000 team-scoped policies; scopes the index cannot skip are evaluated for every asset,
//!    and then S(A) is memoised by the attributes the scopes read
//!    (`crate::decide::scope_memo`). When the applicable policies have few rules, an image
//!    evaluates those directly instead of walking the rule index.
//! 2. **Rules are indexed by what the image is.** A rule that is a conjunction containing a
//!    `registry`, `repository` or `image matches` constraint the image fails is false whatever
//!    else it holds (`false and x` is false, docs/language.md#three-valued-logic), and registry and repository are always
//!    known. So each rule gets *keys* — (registry or any, repository literal prefix) pairs, one
//!    of which the image must match for the rule to be anything but false — and goes into a
//!    per-registry byte trie over repository prefixes. An image visits its registry's trie and
//!    the any-registry trie along its repository, plus the short list of rules that have no
//!    key; every rule it does not meet is false without being looked at.
//! 3. **Candidates are evaluated in a compiled form.** Registry and repository comparisons use
//!    interned strings (one hash probe per image instead of string comparisons per rule), and
//!    conjunctions and disjunctions test their cheap children first (Kleene `and`/`or` are
//!    commutative, so the value is the same). Fact-derived atoms go to the interpreter's
//!    [`Evaluator::atom`], the single definition of their meaning.
//! 4. **The fast verdict allocates nothing.** An image is trusted iff some applicable candidate
//!    rule is true, or unknown in a `prevent` policy with `on unknown issue` (whose unknown
//!    resolves to trusted, rule 2): the first such rule ends the search. Prevented follows
//!    from the asset's prevent bit (rule 4).
//!
//! Reasons are never computed on the fast path; the explained output asks the interpreter for
//! them ([`Evaluator::explain_policy`]) only for the policies it prints, so they are the
//! interpreter's by construction. The property tests check that the table and the interpreter
//! agree on every verdict, decision and issue.
//!
//! Keys are derived structurally ([`rule_keys`]): an atom on `registry` (`==`, `in`, literal
//! `matches`), on `repository` (`==`, `in`, `matches` by literal prefix) or `image matches`
//! gives keys; `and` intersects its children's keys (pairs of keys whose registries agree and
//! whose prefixes nest), `or` unites them when every child has some, `false` has none (never a
//! candidate). Anything else — `not`, `!=`, facts — gives no key, and a rule with no key is
//! evaluated for every image.

use std::borrow::Cow;
use std::hash::{Hash as _, Hasher};

use crate::decide::fxhash::{FxHasher, FxMap};
use crate::decide::scope_index::ScopeIndex;
use crate::decide::scope_memo::ScopeMemo;
use crate::decide::{Judged, by_name};
use crate::eval::Evaluator;
use crate::glob::Glob;
use crate::input::Asset;
use crate::ir::{
    Action, AssetAtom, EqOp, Expr, ImageAtom, ImageStrAttr, KeyId, Policy, PolicySet, RefAttr,
};
use crate::tri::Tri;

/// An interned string: registries and repositories named anywhere in the policy set.
type Sym = u32;

/// Interns strings of the policy set: the texts live in one arena, a hash table maps each
/// hash to the first symbol with it, and symbols with the same hash are chained (so a collision
/// costs a comparison, never a wrong answer). Building it allocates a handful of times, not once
/// per string.
#[derive(Debug, Default)]
struct Interner {
    arena: String,
    spans: Vec<(u32, u32)>,
    first: FxMap<u64, Sym>,
    next: Vec<Sym>,
}

/// No symbol (end of a hash chain).
const NO_SYM: Sym = Sym::MAX;

fn str_hash(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

impl Interner {
    fn text(&self, sym: Sym) -> &str {
        self.spans
            .get(sym as usize)
            .and_then(|(a, b)| self.arena.get(*a as usize..*b as usize))
            .unwrap_or_default()
    }

    fn find(&self, s: &str, hash: u64) -> Option<Sym> {
        let mut sym = *self.first.get(&hash)?;
        while sym != NO_SYM {
            if self.text(sym) == s {
                return Some(sym);
            }
            sym = self.next.get(sym as usize).copied().unwrap_or(NO_SYM);
        }
        None
    }

    fn intern(&mut self, s: &str) -> Sym {
        let hash = str_hash(s);
        if let Some(sym) = self.find(s, hash) {
            return sym;
        }
        let sym = Sym::try_from(self.spans.len()).unwrap_or(NO_SYM);
        let start = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        self.arena.push_str(s);
        let end = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        self.spans.push((start, end));
        let previous = self.first.insert(hash, sym);
        self.next.push(previous.unwrap_or(NO_SYM));
        sym
    }

    fn get(&self, s: &str) -> Option<Sym> {
        self.find(s, str_hash(s))
    }

    fn len(&self) -> usize {
        self.spans.len()
    }
}

/// A compiled atom. Compiled expressions mirror the IR's shape, and are always evaluated side
/// by side with the IR node they were compiled from, so atoms the table does not specialise
/// need no copy: they are read from the IR.
#[derive(Debug)]
enum CAtom {
    /// `registry == / in / !=`: membership of the image's interned registry, negated for `!=`.
    Registry { set: Box<[Sym]>, negated: bool },
    /// `repository == / in / !=`.
    Repository { set: Box<[Sym]>, negated: bool },
    /// Any other atom, evaluated by the interpreter's atom semantics on the IR node.
    Ir { cost: u8 },
}

/// A compiled expression. `And` and `Or` keep, beside each compiled child, the index of the IR
/// child it comes from, because children are reordered (cheap ones first).
#[derive(Debug)]
enum CExpr {
    Const(Tri),
    Atom(CAtom),
    Not(Box<CExpr>),
    And(Box<[(u32, CExpr)]>),
    Or(Box<[(u32, CExpr)]>),
}

impl CExpr {
    /// A rough cost used to test cheap children first.
    fn cost(&self) -> u8 {
        match self {
            CExpr::Const(_) => 0,
            CExpr::Atom(CAtom::Registry { .. } | CAtom::Repository { .. }) => 1,
            CExpr::Atom(CAtom::Ir { cost }) => *cost,
            CExpr::Not(e) => e.cost(),
            CExpr::And(es) | CExpr::Or(es) => es.iter().map(|e| e.1.cost()).max().unwrap_or(0),
        }
    }
}

/// A rule of a policy, as stored in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RuleRef {
    policy: u32,
    rule: u32,
}

/// A compiled policy.
#[derive(Debug)]
struct CPolicy {
    scope: u32,
    /// `prevent` with `on unknown issue`: an unknown verdict resolves to trusted.
    lenient: bool,
    rules: Box<[CExpr]>,
}

/// A byte trie over repository prefixes; each node holds the rules keyed by its prefix.
/// Node 0 is the root (the empty prefix), always present.
#[derive(Debug)]
struct Trie {
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Default)]
struct TrieNode {
    /// Sorted by byte.
    children: Vec<(u8, u32)>,
    rules: Vec<RuleRef>,
}

impl Trie {
    fn new() -> Trie {
        Trie {
            nodes: vec![TrieNode::default()],
        }
    }

    fn insert(&mut self, prefix: &str, rule: RuleRef) {
        let mut at = 0usize;
        for &b in prefix.as_bytes() {
            let Some(node) = self.nodes.get(at) else {
                return;
            };
            at = match node.children.binary_search_by_key(&b, |c| c.0) {
                Ok(i) => node.children.get(i).map_or(0, |c| c.1 as usize),
                Err(i) => {
                    let next = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    if let Some(node) = self.nodes.get_mut(at) {
                        node.children
                            .insert(i, (b, u32::try_from(next).unwrap_or(u32::MAX)));
                    }
                    next
                }
            };
        }
        if let Some(node) = self.nodes.get_mut(at) {
            node.rules.push(rule);
        }
    }

    /// Calls `f` on the rules of every prefix of `s`, shortest first, until `f` says stop.
    fn visit(&self, s: &str, f: &mut impl FnMut(RuleRef) -> bool) -> bool {
        let mut node = self.nodes.first();
        let mut bytes = s.as_bytes().iter();
        while let Some(n) = node {
            for r in &n.rules {
                if f(*r) {
                    return true;
                }
            }
            let Some(b) = bytes.next() else {
                break;
            };
            node = n
                .children
                .binary_search_by_key(b, |c| c.0)
                .ok()
                .and_then(|i| n.children.get(i))
                .and_then(|c| self.nodes.get(c.1 as usize));
        }
        false
    }
}

/// The rules keyed under one registry: a short list scanned linearly, or a trie once the list
/// is long enough that scanning it would make the cost grow with the policy set. Prefixes of
/// short lists live in the table's prefix arena.
#[derive(Debug)]
enum Bucket {
    Small(Box<[(u32, u32, RuleRef)]>),
    Trie(Trie),
}

/// Above this many keys a registry's rules go into a trie.
const SMALL_BUCKET: usize = 16;

impl Bucket {
    fn new(entries: &mut [(&str, RuleRef)], arena: &mut String) -> Bucket {
        // Shortest prefixes first, as the trie visits them.
        entries.sort_by(|a, b| (a.0.len(), a.0, a.1).cmp(&(b.0.len(), b.0, b.1)));
        if entries.len() <= SMALL_BUCKET {
            Bucket::Small(
                entries
                    .iter()
                    .map(|(p, r)| {
                        let start = u32::try_from(arena.len()).unwrap_or(u32::MAX);
                        arena.push_str(p);
                        let end = u32::try_from(arena.len()).unwrap_or(u32::MAX);
                        (start, end, *r)
                    })
                    .collect(),
            )
        } else {
            let mut trie = Trie::new();
            for (p, r) in entries.iter() {
                trie.insert(p, *r);
            }
            Bucket::Trie(trie)
        }
    }

    /// Calls `f` on the rules whose prefix starts `s`, until `f` says stop.
    fn visit(&self, arena: &str, s: &str, f: &mut impl FnMut(RuleRef) -> bool) -> bool {
        match self {
            Bucket::Small(entries) => entries.iter().any(|(a, b, r)| {
                arena
                    .get(*a as usize..*b as usize)
                    .is_some_and(|prefix| s.starts_with(prefix))
                    && f(*r)
            }),
            Bucket::Trie(trie) => trie.visit(s, f),
        }
    }
}

/// A structural hash of a scope, so that identical scopes share one id without serialising.
fn scope_hash(scope: &Option<Expr<AssetAtom>>) -> u64 {
    fn expr(e: &Expr<AssetAtom>, h: &mut FxHasher) {
        match e {
            Expr::Const(b) => {
                h.write_u8(0);
                b.hash(h);
            }
            Expr::Atom(a) => {
                h.write_u8(1);
                atom(a, h);
            }
            Expr::Not(inner) => {
                h.write_u8(2);
                expr(inner, h);
            }
            Expr::And(es) | Expr::Or(es) => {
                h.write_u8(if matches!(e, Expr::And(_)) { 3 } else { 4 });
                h.write_usize(es.len());
                es.iter().for_each(|e| expr(e, h));
            }
        }
    }
    fn atom(a: &AssetAtom, h: &mut FxHasher) {
        match a {
            AssetAtom::Type { op, value } => (0u8, op, value).hash(h),
            AssetAtom::Str { attr, op, value } => (1u8, attr, op, value).hash(h),
            AssetAtom::In { attr, values } => (2u8, attr, values).hash(h),
            AssetAtom::Matches { attr, globs } => (3u8, attr, globs).hash(h),
        }
    }
    let mut h = FxHasher::default();
    match scope {
        None => h.write_u8(9),
        Some(e) => expr(e, &mut h),
    }
    h.finish()
}

/// S(A) for one asset, as the table sees it: computed once per asset by [`Table::scope`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetScope {
    bits: ScopeBits,
    any: bool,
    prevent: bool,
    /// How many rules the applicable policies have (saturating).
    rules: u32,
}

/// The distinct scopes that hold.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ScopeBits {
    /// A bit per scope, when the set has at most 64.
    Small(u64),
    /// The ids that hold, ascending: an asset is in few of many scopes.
    Sparse(Box<[u32]>),
}

impl ScopeBits {
    fn get(&self, i: u32) -> bool {
        match self {
            ScopeBits::Small(w) => i < 64 && (w >> i) & 1 == 1,
            ScopeBits::Sparse(ids) => ids.binary_search(&i).is_ok(),
        }
    }

    /// The ids that hold, ascending.
    fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        let (word, list) = match self {
            ScopeBits::Small(w) => (*w, &[][..]),
            ScopeBits::Sparse(ids) => (0, &ids[..]),
        };
        (0..64u32)
            .filter(move |i| (word >> i) & 1 == 1)
            .chain(list.iter().copied())
    }
}

impl AssetScope {
    /// Whether some policy applies to the asset (if none, docs/decisions.md#rule trusts every image).
    pub fn any_applicable(&self) -> bool {
        self.any
    }

    /// Whether some applicable policy has action `prevent` (docs/decisions.md#rule).
    pub fn any_prevent(&self) -> bool {
        self.prevent
    }

    /// How many rules the applicable policies have: what judging one image costs, at most,
    /// in rule evaluations (saturating).
    pub fn applicable_rules(&self) -> u32 {
        self.rules
    }
}

/// One image's fast verdict (docs/decisions.md rules 1–4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageVerdict {
    /// Some applicable policy resolves to trusted, or none applies.
    pub trusted: bool,
    /// Not trusted, and some applicable policy prevents.
    pub prevented: bool,
}

/// Why a policy set cannot be made into a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableError {
    /// Two policies share a name.
    DuplicatePolicy(String),
    /// A `signed by` names a key index the set does not define.
    UnknownKey {
        /// The policy using it.
        policy: String,
        /// The index.
        key: KeyId,
    },
}

/// The indexed decision table of a policy set.
#[derive(Debug)]
pub struct Table {
    set: PolicySet,
    policies: Vec<CPolicy>,
    /// Distinct scopes; `None` is "no scope" (every asset).
    scopes: Vec<Option<Expr<AssetAtom>>>,
    /// Per distinct scope: whether some `prevent` policy has it.
    scope_prevents: Vec<bool>,
    /// Per distinct scope: its policies, in name order.
    scope_policies: Vec<Vec<u32>>,
    /// Per distinct scope: how many rules its policies have.
    scope_rules: Vec<u32>,
    /// The scopes by the literals they test.
    scope_index: ScopeIndex,
    /// S(A) by the asset attributes the scopes read, when some scope is not indexed.
    scope_memo: Option<ScopeMemo>,
    /// Registry literals (lower case).
    registries: Interner,
    /// Repository literals.
    repositories: Interner,
    /// Rules per interned registry, indexed by its symbol.
    by_registry: Vec<Option<Bucket>>,
    /// Rules whose keys name no registry.
    any_registry: Bucket,
    /// The prefixes of the short buckets.
    prefixes: String,
    /// Rules with no key: evaluated for every image.
    unindexed: Vec<RuleRef>,
}

/// The (registry, repository prefix) pairs one of which an image must match for a rule to be
/// anything but false; `None` when the rule gives no such constraint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleKey {
    /// The registry, lower case; `None` for any registry.
    pub registry: Option<String>,
    /// A prefix of the repository.
    pub prefix: String,
}

/// At most this many applicable rules are evaluated directly rather than through the index.
const DIRECT_RULES: u32 = 16;

/// How many distinct assets' S(A) the memo keeps.
const MEMO_ENTRIES: usize = 4096;

/// Above this many keys an `and` keeps its smaller side instead of the product.
const MAX_KEYS: usize = 64;

/// The keys of a rule (see the module docs); `None` when it has none.
pub fn rule_keys(expr: &Expr<ImageAtom>) -> Option<Vec<RuleKey>> {
    let (_, keys) = compile(expr, &mut Interners::default(), &mut None);
    keys.map(|ks| {
        ks.into_iter()
            .map(|k| RuleKey {
                registry: k.registry.map(Cow::into_owned),
                prefix: k.prefix.to_owned(),
            })
            .collect()
    })
}

/// A [`RuleKey`] borrowing from the IR.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key<'a> {
    registry: Option<Cow<'a, str>>,
    prefix: &'a str,
}

/// Sorts and deduplicates keys.
fn normalise_keys(mut keys: Vec<Key<'_>>) -> Vec<Key<'_>> {
    if keys.len() > 1 {
        keys.sort();
        keys.dedup();
    }
    keys
}

fn atom_keys(atom: &ImageAtom) -> Option<Vec<Key<'_>>> {
    let registry = |r| Key {
        registry: Some(host(r)),
        prefix: "",
    };
    let repository = |p| Key {
        registry: None,
        prefix: p,
    };
    match atom {
        ImageAtom::Str {
            attr: ImageStrAttr::Registry,
            op: EqOp::Eq,
            value,
        } => Some(vec![registry(value)]),
        ImageAtom::In {
            attr: ImageStrAttr::Registry,
            values,
        } => Some(values.iter().map(|v| registry(v)).collect()),
        ImageAtom::Matches {
            attr: ImageStrAttr::Registry,
            globs,
        } if globs.iter().all(Glob::is_literal) => {
            Some(globs.iter().map(|g| registry(g.as_str())).collect())
        }
        ImageAtom::Str {
            attr: ImageStrAttr::Repository,
            op: EqOp::Eq,
            value,
        } => Some(vec![repository(value)]),
        ImageAtom::In {
            attr: ImageStrAttr::Repository,
            values,
        } => Some(values.iter().map(|v| repository(v)).collect()),
        ImageAtom::Matches {
            attr: ImageStrAttr::Repository,
            globs,
        } => Some(
            globs
                .iter()
                .map(|g| repository(g.literal_prefix()))
                .collect(),
        ),
        ImageAtom::RefMatches {
            attr: RefAttr::Image,
            patterns,
        } => Some(
            patterns
                .iter()
                .map(|p| Key {
                    registry: p
                        .registry()
                        .is_literal()
                        .then(|| host(p.registry().as_str())),
                    prefix: p.repository().literal_prefix(),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The keys satisfying both sides: registries agree, prefixes nest (the longer one stays).
fn intersect<'a>(a: Vec<Key<'a>>, b: Vec<Key<'a>>) -> Vec<Key<'a>> {
    if a.len().saturating_mul(b.len()) > MAX_KEYS {
        return if a.len() <= b.len() { a } else { b };
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for x in &a {
        for y in &b {
            let registry = match (&x.registry, &y.registry) {
                (Some(r), Some(s)) if r != s => continue,
                (Some(r), _) | (None, Some(r)) => Some(r.clone()),
                (None, None) => None,
            };
            let prefix = if x.prefix.starts_with(y.prefix) {
                x.prefix
            } else if y.prefix.starts_with(x.prefix) {
                y.prefix
            } else {
                continue;
            };
            out.push(Key { registry, prefix });
        }
    }
    out
}

/// A registry literal as the index and the interner hold it: lower case.
fn host(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Compiles an expression, interning registry and repository literals, and derives its
/// index keys in the same walk (a walk over a freshly loaded policy set is dominated by cache
/// misses, so one walk instead of three is most of the build time saved). `max_key` collects
/// the largest key id a `signed by` uses.
fn compile<'a>(
    expr: &'a Expr<ImageAtom>,
    interners: &mut Interners,
    max_key: &mut Option<KeyId>,
) -> (CExpr, Option<Vec<Key<'a>>>) {
    match expr {
        Expr::Const(b) => (CExpr::Const(Tri::from(*b)), (!*b).then(Vec::new)),
        Expr::Atom(atom) => {
            let used: &[KeyId] = match atom {
                ImageAtom::SignedBy { key } => std::slice::from_ref(key),
                ImageAtom::SignedByN { keys, .. } => keys,
                ImageAtom::Attested { key, .. }
                | ImageAtom::AttestedStr { key, .. }
                | ImageAtom::AttestedVulns { key, .. }
                | ImageAtom::AttestedScanAge { key, .. } => std::slice::from_ref(key),
                _ => &[],
            };
            for key in used {
                *max_key = Some(max_key.map_or(*key, |m| m.max(*key)));
            }
            (
                CExpr::Atom(compile_atom(atom, interners)),
                atom_keys(atom).map(normalise_keys),
            )
        }
        Expr::Not(inner) => (
            CExpr::Not(Box::new(compile(inner, interners, max_key).0)),
            None,
        ),
        Expr::And(es) | Expr::Or(es) => {
            let and = matches!(expr, Expr::And(_));
            let mut children = Vec::with_capacity(es.len());
            let mut keys: Option<Vec<Key<'a>>> = if and { None } else { Some(Vec::new()) };
            for (i, e) in es.iter().enumerate() {
                let (c, k) = compile(e, interners, max_key);
                children.push((u32::try_from(i).unwrap_or(u32::MAX), c));
                keys = match (and, keys, k) {
                    // `and`: every keyed child constrains; intersect them.
                    (true, None, k) => k,
                    (true, Some(acc), None) => Some(acc),
                    (true, Some(acc), Some(k)) => Some(intersect(acc, k)),
                    // `or`: keyed only when every child is; unite them.
                    (false, Some(mut acc), Some(k)) => {
                        acc.extend(k);
                        Some(acc)
                    }
                    (false, _, _) => None,
                };
            }
            children.sort_by_key(|c: &(u32, CExpr)| c.1.cost());
            let children = children.into_boxed_slice();
            let compiled = if and {
                CExpr::And(children)
            } else {
                CExpr::Or(children)
            };
            (compiled, keys.map(normalise_keys))
        }
    }
}

/// The table's two interners.
#[derive(Debug, Default)]
struct Interners {
    registries: Interner,
    repositories: Interner,
}

fn compile_atom(atom: &ImageAtom, interners: &mut Interners) -> CAtom {
    fn syms<'v>(interner: &mut Interner, values: impl Iterator<Item = Cow<'v, str>>) -> Box<[Sym]> {
        let mut set: Vec<Sym> = values.map(|v| interner.intern(&v)).collect();
        set.sort_unstable();
        set.dedup();
        set.into_boxed_slice()
    }
    let Interners {
        registries,
        repositories,
    } = interners;
    match atom {
        ImageAtom::Str {
            attr: ImageStrAttr::Registry,
            op,
            value,
        } => CAtom::Registry {
            set: syms(registries, std::iter::once(host(value))),
            negated: *op == EqOp::Ne,
        },
        ImageAtom::In {
            attr: ImageStrAttr::Registry,
            values,
        } => CAtom::Registry {
            set: syms(registries, values.iter().map(|v| host(v))),
            negated: false,
        },
        ImageAtom::Str {
            attr: ImageStrAttr::Repository,
            op,
            value,
        } => CAtom::Repository {
            set: syms(repositories, std::iter::once(Cow::Borrowed(value.as_str()))),
            negated: *op == EqOp::Ne,
        },
        ImageAtom::In {
            attr: ImageStrAttr::Repository,
            values,
        } => CAtom::Repository {
            set: syms(
                repositories,
                values.iter().map(|v| Cow::Borrowed(v.as_str())),
            ),
            negated: false,
        },
        ImageAtom::Matches {
            attr: ImageStrAttr::Registry | ImageStrAttr::Repository,
            ..
        } => CAtom::Ir { cost: 2 },
        ImageAtom::SignedBy { .. }
        | ImageAtom::SignedByN { .. }
        | ImageAtom::Attested { .. }
        | ImageAtom::AttestedStr { .. }
        | ImageAtom::AttestedVulns { .. }
        | ImageAtom::AttestedScanAge { .. } => CAtom::Ir { cost: 5 },
        _ => CAtom::Ir { cost: 3 },
    }
}

/// One image as the compiled rules probe it.
struct Probe<'a, 'b, 'c, 't> {
    registry: Option<Sym>,
    /// Looked up on first use: most images meet no repository comparison.
    repository: Option<Option<Sym>>,
    repositories: &'t Interner,
    evaluator: &'b mut Evaluator<'a, 'c>,
}

impl Probe<'_, '_, '_, '_> {
    /// Evaluates the compiled `expr` beside the IR node `ir` it was compiled from.
    fn eval(&mut self, expr: &CExpr, ir: &Expr<ImageAtom>) -> Tri {
        match (expr, ir) {
            (CExpr::Const(t), _) => *t,
            (CExpr::Atom(CAtom::Ir { .. }), Expr::Atom(atom)) => self.evaluator.atom(atom),
            (CExpr::Atom(atom), _) => self.atom(atom),
            (CExpr::Not(c), Expr::Not(i)) => self.eval(c, i).not(),
            (CExpr::And(cs), Expr::And(is)) => {
                let mut acc = Tri::True;
                for (k, c) in cs {
                    acc = acc.and(self.child(c, is, *k));
                    if acc == Tri::False {
                        break;
                    }
                }
                acc
            }
            (CExpr::Or(cs), Expr::Or(is)) => {
                let mut acc = Tri::False;
                for (k, c) in cs {
                    acc = acc.or(self.child(c, is, *k));
                    if acc == Tri::True {
                        break;
                    }
                }
                acc
            }
            // INVARIANT: compiled expressions mirror their IR node (see `compile`); a mismatch
            // cannot happen, and unknown is the answer that asserts nothing.
            _ => Tri::Unknown,
        }
    }

    fn child(&mut self, expr: &CExpr, ir: &[Expr<ImageAtom>], index: u32) -> Tri {
        match ir.get(index as usize) {
            Some(node) => self.eval(expr, node),
            None => Tri::Unknown,
        }
    }

    fn atom(&mut self, atom: &CAtom) -> Tri {
        let member = |set: &[Sym], sym: Option<Sym>| sym.is_some_and(|s| set.contains(&s));
        match atom {
            CAtom::Registry { set, negated } => Tri::from(member(set, self.registry) != *negated),
            CAtom::Repository { set, negated } => {
                let repositories = self.repositories;
                let image = self.evaluator.image().repository();
                let sym = *self
                    .repository
                    .get_or_insert_with(|| repositories.get(image));
                Tri::from(member(set, sym) != *negated)
            }
            // Reached only beside a non-atom IR node, which `compile` never produces.
            CAtom::Ir { .. } => Tri::Unknown,
        }
    }
}

impl Table {
    /// Builds the table. Policies are put in name order first, so the input order never
    /// matters.
    ///
    /// # Errors
    /// Two policies with one name, or a `signed by` naming a key the set does not define.
    pub fn new(mut set: PolicySet) -> Result<Table, TableError> {
        set.policies.sort_by(by_name);
        if let Some(pair) = set.policies.windows(2).find(|w| match w {
            [a, b] => a.name == b.name,
            _ => false,
        }) && let Some(p) = pair.first()
        {
            return Err(TableError::DuplicatePolicy(p.name.clone()));
        }
        let key_count = set.keys.len();
        let mut interners = Interners::default();
        let mut scope_ids: FxMap<u64, Vec<u32>> = FxMap::default();
        let mut scopes: Vec<Option<Expr<AssetAtom>>> = Vec::new();
        let mut scope_prevents = Vec::new();
        let mut scope_policies: Vec<Vec<u32>> = Vec::new();
        let mut scope_rules = Vec::new();
        let mut policies = Vec::with_capacity(set.policies.len());
        let mut keyed: Vec<(Sym, &str, RuleRef)> = Vec::new();
        let mut any_keyed = Vec::new();
        let mut unindexed = Vec::new();
        for (pi, policy) in set.policies.iter().enumerate() {
            // Identical scope expressions share one id.
            let ids = scope_ids.entry(scope_hash(&policy.scope)).or_default();
            let found = ids
                .iter()
                .copied()
                .find(|id| scopes.get(*id as usize) == Some(&policy.scope));
            let scope = found.unwrap_or_else(|| {
                scopes.push(policy.scope.clone());
                scope_prevents.push(false);
                scope_policies.push(Vec::new());
                scope_rules.push(0u32);
                let id = u32::try_from(scopes.len() - 1).unwrap_or(u32::MAX);
                ids.push(id);
                id
            });
            if policy.action == Action::Prevent
                && let Some(flag) = scope_prevents.get_mut(scope as usize)
            {
                *flag = true;
            }
            let pi = u32::try_from(pi).unwrap_or(u32::MAX);
            if let (Some(list), Some(count)) = (
                scope_policies.get_mut(scope as usize),
                scope_rules.get_mut(scope as usize),
            ) {
                list.push(pi);
                let n = u32::try_from(policy.rules.len()).unwrap_or(u32::MAX);
                *count = count.saturating_add(n);
            }
            let mut rules = Vec::with_capacity(policy.rules.len());
            let mut max_key = None;
            for (ri, rule) in policy.rules.iter().enumerate() {
                let r = RuleRef {
                    policy: pi,
                    rule: u32::try_from(ri).unwrap_or(u32::MAX),
                };
                let (compiled, keys) = compile(rule, &mut interners, &mut max_key);
                rules.push(compiled);
                match keys {
                    None => unindexed.push(r),
                    Some(keys) => {
                        for k in keys {
                            match k.registry {
                                Some(reg) => {
                                    keyed.push((interners.registries.intern(&reg), k.prefix, r));
                                }
                                None => any_keyed.push((k.prefix, r)),
                            }
                        }
                    }
                }
            }
            if let Some(key) = max_key
                && usize::try_from(key).map_or(true, |k| k >= key_count)
            {
                return Err(TableError::UnknownKey {
                    policy: policy.name.clone(),
                    key,
                });
            }
            policies.push(CPolicy {
                scope,
                lenient: policy.action == Action::Prevent && policy.on_unknown == Action::Issue,
                rules: rules.into_boxed_slice(),
            });
        }
        // Group the keyed rules by registry: one sort instead of a map of vectors.
        keyed.sort_by_key(|k| k.0);
        let mut prefixes = String::new();
        let mut by_registry: Vec<Option<Bucket>> = Vec::new();
        by_registry.resize_with(interners.registries.len(), || None);
        let mut entries: Vec<(&str, RuleRef)> = Vec::new();
        for (i, (sym, prefix, rule)) in keyed.iter().enumerate() {
            entries.push((prefix, *rule));
            if keyed.get(i + 1).is_none_or(|next| next.0 != *sym) {
                if let Some(slot) = by_registry.get_mut(*sym as usize) {
                    *slot = Some(Bucket::new(&mut entries, &mut prefixes));
                }
                entries.clear();
            }
        }
        let any_registry = Bucket::new(&mut any_keyed, &mut prefixes);
        let Interners {
            registries,
            repositories,
        } = interners;
        let scope_index = ScopeIndex::new(&scopes);
        let scope_memo =
            (scope_index.residual_count() > 0).then(|| ScopeMemo::new(&scopes, MEMO_ENTRIES));
        Ok(Table {
            set,
            policies,
            scopes,
            scope_prevents,
            scope_policies,
            scope_rules,
            scope_index,
            scope_memo,
            registries,
            repositories,
            by_registry,
            any_registry,
            prefixes,
            unindexed,
        })
    }

    /// The policy set, policies in name order.
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }

    /// How many distinct scope expressions the set has.
    pub fn scope_count(&self) -> usize {
        self.scopes.len()
    }

    /// How many rules have no index key and are evaluated for every image.
    pub fn unindexed_count(&self) -> usize {
        self.unindexed.len()
    }

    /// How many distinct scopes are evaluated for every asset (the index cannot skip them).
    pub fn residual_scope_count(&self) -> usize {
        self.scope_index.residual_count()
    }

    /// S(A): the distinct scopes that hold for `asset`, through the scope index (and its memo
    /// when some scope is not indexed).
    pub fn scope(&self, asset: &Asset) -> AssetScope {
        match &self.scope_memo {
            Some(memo) => memo.get_or(asset, || self.scope_indexed(asset)),
            None => self.scope_indexed(asset),
        }
    }

    fn scope_indexed(&self, asset: &Asset) -> AssetScope {
        let mut word = 0u64;
        let mut ids = Vec::new();
        let small = self.scopes.len() <= 64;
        self.scope_index.holding(&self.scopes, asset, |id| {
            if small {
                word |= 1 << id;
            } else {
                ids.push(id);
            }
        });
        let bits = if small {
            ScopeBits::Small(word)
        } else {
            ids.sort_unstable();
            ids.dedup();
            ScopeBits::Sparse(ids.into_boxed_slice())
        };
        let mut scope = AssetScope {
            bits,
            any: false,
            prevent: false,
            rules: 0,
        };
        for id in scope.bits.ids() {
            let i = id as usize;
            scope.any = true;
            scope.prevent |= self.scope_prevents.get(i).copied().unwrap_or(false);
            let rules = self.scope_rules.get(i).copied().unwrap_or(0);
            scope.rules = scope.rules.saturating_add(rules);
        }
        scope
    }

    /// Whether policy `index` (in name order) is in S(A).
    fn in_scope(&self, scope: &AssetScope, index: u32) -> bool {
        self.policies
            .get(index as usize)
            .is_some_and(|p| scope.bits.get(p.scope))
    }

    /// S(A) as indexes into [`Table::policy_set`]'s policies, in name order.
    pub fn applicable(&self, scope: &AssetScope) -> Vec<u32> {
        let mut out: Vec<u32> = scope
            .bits
            .ids()
            .filter_map(|id| self.scope_policies.get(id as usize))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out
    }

    /// Calls `f` on every candidate rule of an applicable policy: the index buckets along the
    /// image's registry and repository, then the unindexed rules. Stops when `f` says so.
    fn candidates(
        &self,
        scope: &AssetScope,
        registry: Option<Sym>,
        repository: &str,
        mut f: impl FnMut(RuleRef, &CExpr, &Expr<ImageAtom>) -> bool,
    ) {
        let direct = scope.rules <= DIRECT_RULES;
        let mut visit = |r: RuleRef| {
            if !direct && !self.in_scope(scope, r.policy) {
                return false;
            }
            let compiled = self
                .policies
                .get(r.policy as usize)
                .and_then(|p| p.rules.get(r.rule as usize));
            let ir = self
                .set
                .policies
                .get(r.policy as usize)
                .and_then(|p| p.rules.get(r.rule as usize));
            match (compiled, ir) {
                (Some(rule), Some(ir)) => f(r, rule, ir),
                _ => false,
            }
        };
        if direct {
            // Few applicable rules (one team's policies among thousands): evaluating them is
            // cheaper than walking index buckets full of other scopes' rules.
            for id in scope.bits.ids() {
                for &policy in self.scope_policies.get(id as usize).into_iter().flatten() {
                    let count = self
                        .policies
                        .get(policy as usize)
                        .map_or(0, |p| p.rules.len());
                    for rule in 0..u32::try_from(count).unwrap_or(u32::MAX) {
                        if visit(RuleRef { policy, rule }) {
                            return;
                        }
                    }
                }
            }
            return;
        }
        if let Some(bucket) = registry
            .and_then(|sym| self.by_registry.get(sym as usize))
            .and_then(Option::as_ref)
            && bucket.visit(&self.prefixes, repository, &mut visit)
        {
            return;
        }
        if self
            .any_registry
            .visit(&self.prefixes, repository, &mut visit)
        {
            return;
        }
        for r in &self.unindexed {
            if visit(*r) {
                return;
            }
        }
    }

    /// The fast verdict of one image (rules 1–4), allocating nothing.
    pub fn verdict(&self, scope: &AssetScope, evaluator: &mut Evaluator<'_, '_>) -> ImageVerdict {
        if !scope.any {
            // Rule 1: no applicable policy, every image is trusted.
            return ImageVerdict {
                trusted: true,
                prevented: false,
            };
        }
        let image = *evaluator.image();
        let mut probe = Probe {
            registry: self.registries.get(image.registry()),
            repository: None,
            repositories: &self.repositories,
            evaluator,
        };
        let mut trusted = false;
        self.candidates(scope, probe.registry, image.repository(), |r, rule, ir| {
            let v = probe.eval(rule, ir);
            let lenient = self
                .policies
                .get(r.policy as usize)
                .is_some_and(|p| p.lenient);
            // r(p, i) = trusted iff v = true, or v = unknown and p prevents with `on unknown
            // issue`; with one such rule the policy's `or` is one of those two.
            trusted = v == Tri::True || (v == Tri::Unknown && lenient);
            trusted
        });
        ImageVerdict {
            trusted,
            prevented: !trusted && scope.prevent,
        }
    }

    /// Every applicable policy (`applicable`, from [`Table::applicable`]) with its verdict for
    /// the image: candidates are evaluated, every other policy is untrusted (false).
    pub fn judge<'t>(
        &'t self,
        scope: &AssetScope,
        applicable: &[u32],
        evaluator: &mut Evaluator<'_, '_>,
    ) -> Vec<Judged<'t>> {
        let image = *evaluator.image();
        let mut probe = Probe {
            registry: self.registries.get(image.registry()),
            repository: None,
            repositories: &self.repositories,
            evaluator,
        };
        let mut found: Vec<(u32, Tri)> = Vec::new();
        self.candidates(scope, probe.registry, image.repository(), |r, rule, ir| {
            found.push((r.policy, probe.eval(rule, ir)));
            false
        });
        found.sort_by_key(|f| f.0);
        // A policy's verdict is the OR of its rules' (merged in place: no second vector).
        found.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = kept.1.or(later.1);
            }
            same
        });
        let verdicts = found;
        applicable
            .iter()
            .filter_map(|i| {
                let policy: &Policy = self.set.policies.get(*i as usize)?;
                let verdict = verdicts
                    .binary_search_by_key(i, |v| v.0)
                    .ok()
                    .and_then(|k| verdicts.get(k))
                    .map_or(Tri::False, |v| v.1);
                Some(Judged { policy, verdict })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refpattern::ReferencePattern;

    fn glob(s: &str) -> Glob {
        Glob::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn registry_in(values: &[&str]) -> Expr<ImageAtom> {
        Expr::Atom(ImageAtom::In {
            attr: ImageStrAttr::Registry,
            values: values.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    fn repo_matches(g: &str) -> Expr<ImageAtom> {
        Expr::Atom(ImageAtom::Matches {
            attr: ImageStrAttr::Repository,
            globs: vec![glob(g)],
        })
    }

    fn key(registry: Option<&str>, prefix: &str) -> RuleKey {
        RuleKey {
            registry: registry.map(str::to_owned),
            prefix: prefix.to_owned(),
        }
    }

    #[test]
    fn keys_of_a_conjunction_are_intersected() {
        let rule = Expr::And(vec![
            registry_in(&["a.io", "B.io"]),
            repo_matches("team/**"),
            Expr::Atom(ImageAtom::Bool(crate::ir::ImageBoolAttr::Pinned)),
        ]);
        assert_eq!(
            rule_keys(&rule),
            Some(vec![key(Some("a.io"), "team/"), key(Some("b.io"), "team/")])
        );
    }

    #[test]
    fn keys_of_patterns_and_disjunctions() {
        let (p, _) = ReferencePattern::parse("alpine:3.*").unwrap_or_else(|e| panic!("{e}"));
        let (q, _) = ReferencePattern::parse("*.corp.io/app").unwrap_or_else(|e| panic!("{e}"));
        let rule = Expr::Atom(ImageAtom::RefMatches {
            attr: RefAttr::Image,
            patterns: vec![p, q],
        });
        assert_eq!(
            rule_keys(&rule),
            Some(vec![
                key(None, "app"),
                key(Some("docker.io"), "library/alpine")
            ])
        );
        let either = Expr::Or(vec![registry_in(&["x.io"]), Expr::Const(false)]);
        assert_eq!(rule_keys(&either), Some(vec![key(Some("x.io"), "")]));
        let open = Expr::Or(vec![registry_in(&["x.io"]), Expr::Const(true)]);
        assert_eq!(rule_keys(&open), None);
        let negated = Expr::Not(Box::new(registry_in(&["x.io"])));
        assert_eq!(rule_keys(&negated), None);
        let disjoint = Expr::And(vec![registry_in(&["x.io"]), registry_in(&["y.io"])]);
        assert_eq!(rule_keys(&disjoint), Some(vec![]));
    }

    #[test]
    fn trie_visits_every_prefix() {
        let mut t = Trie::new();
        let r = |policy| RuleRef { policy, rule: 0 };
        t.insert("", r(0));
        t.insert("team/", r(1));
        t.insert("team/app", r(2));
        t.insert("other", r(3));
        let mut seen = Vec::new();
        t.visit("team/app-2", &mut |x| {
            seen.push(x.policy);
            false
        });
        assert_eq!(seen, [0, 1, 2]);
    }
}
