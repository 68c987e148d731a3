//! Names across the whole policy set (the [`file_symbols`] and [`symbols`] queries): which `let`, `key`, `trustroot` and `scope` items exist,
//! where, the value of every constant and the lowered form of every named scope.
//!
//! The table is deliberately span-free: it changes only when a name, a constant's value or a
//! scope's meaning changes, so salsa backdates it after ordinary edits and no other file is
//! re-checked. Diagnostics about names are produced per file by the type checker, which
//! reads this table.

use std::collections::{BTreeMap, BTreeSet};

use bona_runtime::ir::{self, AssetAtom, Expr as IrExpr};

use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostics::Sink;
use crate::lower::{Const, DefKind, Names, lower_const, lower_scope};
use crate::syntax::ast::{
    ClauseKind, Expr, ExprKind, Item, KeylessClauseKind, KeylessDecl, Operand, OperandKind,
};
use crate::syntax::parse;

/// One definition site: the file and the item's index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Def {
    pub kind: DefKind,
    pub file: SourceFile,
    pub item: usize,
}

/// Every name of the policy set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SymbolTable {
    /// `let`, `key` and `scope` definitions; more than one entry is a duplicate.
    pub defs: BTreeMap<String, Vec<Def>>,
    /// Policy names and where they are defined (file, item index).
    pub policies: BTreeMap<String, Vec<(SourceFile, usize)>>,
    /// Test names likewise.
    pub tests: BTreeMap<String, Vec<(SourceFile, usize)>>,
    /// Values of constants that evaluate without error.
    pub consts: BTreeMap<String, Const>,
    /// Lowered named scopes that check without error.
    pub scopes: BTreeMap<String, IrExpr<AssetAtom>>,
    /// Constants and scopes defined in terms of themselves, each with its cycle
    /// (`["a", "b", "a"]`).
    pub cyclic: BTreeMap<String, Vec<String>>,
    /// Key names, sorted: a key's index here is its `KeyId`.
    pub keys: Vec<String>,
    /// Trust root names, sorted: an index here is a `RootId`.
    pub trust_roots: Vec<String>,
    /// Some `keyless` block names no `root`, and so uses the set's only trust root.
    pub implicit_root: bool,
    /// Every name some expression refers to (for the unused-name warning).
    pub used: BTreeSet<String>,
}

impl SymbolTable {
    /// The first definition of a name.
    pub fn def(&self, name: &str) -> Option<&Def> {
        self.defs.get(name).and_then(|d| d.first())
    }

    /// A trust root's index in the policy set.
    pub fn trust_root(&self, name: &str) -> Option<u32> {
        self.trust_roots
            .binary_search_by(|k| k.as_str().cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }
}

/// What one file defines and uses, without spans: the per-file half of [`symbols`], so that
/// an edit re-reads only the edited file's items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileSymbols {
    /// `let`/`key`/`scope` names with their kind and item index.
    pub defs: Vec<(String, DefKind, usize)>,
    /// Policy names with their item index.
    pub policies: Vec<(String, usize)>,
    /// Test names with their item index.
    pub tests: Vec<(String, usize)>,
    /// Names the file's expressions refer to.
    pub used: BTreeSet<String>,
    /// Some `keyless` block of the file names no `root`.
    pub implicit_root: bool,
}

/// What one file defines and uses. Span-free.
#[salsa::tracked(returns(ref))]
pub fn file_symbols(db: &dyn Db, file: SourceFile) -> FileSymbols {
    let mut out = FileSymbols::default();
    for (i, item) in parse(db, file).file.items.iter().enumerate() {
        uses_in_item(item, &mut out.used);
        match item {
            Item::Let(l) => out.defs.push((l.name.name.clone(), DefKind::Let, i)),
            Item::Key(k) => out.defs.push((k.name.name.clone(), DefKind::Key, i)),
            Item::Keyless(k) => {
                out.defs.push((k.name.name.clone(), DefKind::Key, i));
                out.implicit_root |= !names_root(k);
            }
            Item::TrustRoot(t) => out.defs.push((t.name.name.clone(), DefKind::TrustRoot, i)),
            Item::Scope(s) => out.defs.push((s.name.name.clone(), DefKind::Scope, i)),
            Item::Policy(p) => out.policies.push((p.name.value.clone(), i)),
            Item::Test(t) => out.tests.push((t.name.value.clone(), i)),
            Item::Error(_) => {}
        }
    }
    out
}

/// Whether a `keyless` block has a `root` line.
fn names_root(k: &KeylessDecl) -> bool {
    k.clauses.iter().any(|c| match &c.kind {
        KeylessClauseKind::Word { word, .. } => word.name == "root",
        _ => false,
    })
}

/// Every name of the policy set, with constant values and lowered scopes. Span-free.
#[salsa::tracked(returns(ref))]
pub fn symbols(db: &dyn Db, ws: Workspace) -> SymbolTable {
    let mut table = SymbolTable::default();
    for &file in ws.files(db) {
        let summary = file_symbols(db, file);
        table.used.extend(summary.used.iter().cloned());
        table.implicit_root |= summary.implicit_root;
        for (name, i) in &summary.policies {
            table
                .policies
                .entry(name.clone())
                .or_default()
                .push((file, *i));
        }
        for (name, i) in &summary.tests {
            table
                .tests
                .entry(name.clone())
                .or_default()
                .push((file, *i));
        }
        for (name, kind, i) in &summary.defs {
            table.defs.entry(name.clone()).or_default().push(Def {
                kind: *kind,
                file,
                item: *i,
            });
        }
    }
    table.keys = table
        .defs
        .iter()
        .filter(|(_, d)| d.first().is_some_and(|d| d.kind == DefKind::Key))
        .map(|(n, _)| n.clone())
        .collect();
    table.trust_roots = table
        .defs
        .iter()
        .filter(|(_, d)| d.first().is_some_and(|d| d.kind == DefKind::TrustRoot))
        .map(|(n, _)| n.clone())
        .collect();

    let mut builder = Builder {
        db,
        table,
        in_progress: Vec::new(),
        failed: BTreeSet::new(),
    };
    let names: Vec<(String, DefKind)> = builder
        .table
        .defs
        .iter()
        .filter_map(|(n, d)| d.first().map(|d| (n.clone(), d.kind)))
        .collect();
    for (name, kind) in names {
        match kind {
            DefKind::Let => {
                builder.constant(&name);
            }
            DefKind::Scope => {
                builder.scope(&name);
            }
            DefKind::Key | DefKind::TrustRoot => {}
        }
    }
    builder.table
}

/// Evaluates constants and scopes on demand, memoising, and detecting cycles.
struct Builder<'a> {
    db: &'a dyn Db,
    table: SymbolTable,
    /// The names being evaluated, outermost first: a repeat closes a cycle.
    in_progress: Vec<String>,
    failed: BTreeSet<String>,
}

impl Builder<'_> {
    /// Starts evaluating `name`; on a cycle, records it for every member and returns false.
    fn enter(&mut self, name: &str) -> bool {
        if let Some(start) = self.in_progress.iter().position(|n| n == name) {
            let mut cycle: Vec<String> = self.in_progress[start..].to_vec();
            cycle.push(name.to_owned());
            for member in &self.in_progress[start..] {
                // Each member sees the cycle starting from itself.
                let at = cycle.iter().position(|n| n == member).unwrap_or(0);
                let mut path: Vec<String> = cycle[at..cycle.len() - 1].to_vec();
                path.extend_from_slice(&cycle[..=at]);
                self.table.cyclic.insert(member.clone(), path);
            }
            return false;
        }
        self.in_progress.push(name.to_owned());
        true
    }

    fn leave(&mut self) {
        self.in_progress.pop();
    }

    fn let_value(&self, name: &str) -> Option<(SourceFile, Operand)> {
        let def = self.table.def(name)?;
        match parse(self.db, def.file).file.items.get(def.item)? {
            Item::Let(l) => Some((def.file, l.value.clone())),
            _ => None,
        }
    }
}

impl Names for Builder<'_> {
    fn kind(&self, name: &str) -> Option<DefKind> {
        self.table.def(name).map(|d| d.kind)
    }

    fn constant(&mut self, name: &str) -> Option<Const> {
        if let Some(c) = self.table.consts.get(name) {
            return Some(c.clone());
        }
        if self.failed.contains(name) {
            return None;
        }
        if !self.enter(name) {
            return None;
        }
        let value = self.let_value(name).and_then(|(file, operand)| {
            let mut sink = Sink::silent(file);
            lower_const(self, &mut sink, &operand)
        });
        self.leave();
        match value {
            Some(v) if !self.table.cyclic.contains_key(name) => {
                self.table.consts.insert(name.to_owned(), v.clone());
                Some(v)
            }
            _ => {
                self.failed.insert(name.to_owned());
                None
            }
        }
    }

    fn scope(&mut self, name: &str) -> Option<IrExpr<AssetAtom>> {
        if let Some(s) = self.table.scopes.get(name) {
            return Some(s.clone());
        }
        if self.failed.contains(name) {
            return None;
        }
        if !self.enter(name) {
            return None;
        }
        let def = self.table.def(name).copied();
        let lowered = def.and_then(|def| {
            let parsed = parse(self.db, def.file);
            let Some(Item::Scope(s)) = parsed.file.items.get(def.item) else {
                return None;
            };
            let mut sink = Sink::silent(def.file);
            lower_scope(self, &mut sink, &s.expr)
        });
        self.leave();
        match lowered {
            Some(e) if !self.table.cyclic.contains_key(name) => {
                self.table.scopes.insert(name.to_owned(), e.clone());
                Some(e)
            }
            _ => {
                self.failed.insert(name.to_owned());
                None
            }
        }
    }

    fn key(&self, name: &str) -> Option<u32> {
        self.table
            .keys
            .binary_search_by(|k| k.as_str().cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    fn trust_root(&self, name: &str) -> Option<u32> {
        self.table.trust_root(name)
    }

    fn names(&self) -> Vec<(&str, DefKind)> {
        names_of(&self.table)
    }
}

impl Names for &SymbolTable {
    fn kind(&self, name: &str) -> Option<DefKind> {
        self.def(name).map(|d| d.kind)
    }

    fn constant(&mut self, name: &str) -> Option<Const> {
        self.consts.get(name).cloned()
    }

    fn scope(&mut self, name: &str) -> Option<ir::Expr<ir::AssetAtom>> {
        self.scopes.get(name).cloned()
    }

    fn key(&self, name: &str) -> Option<ir::KeyId> {
        self.keys
            .binary_search_by(|k| k.as_str().cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    fn trust_root(&self, name: &str) -> Option<ir::RootId> {
        SymbolTable::trust_root(self, name)
    }

    fn names(&self) -> Vec<(&str, DefKind)> {
        names_of(self)
    }
}

/// Every defined name with its kind (for suggestions).
pub fn names_of(table: &SymbolTable) -> Vec<(&str, DefKind)> {
    table
        .defs
        .iter()
        .filter_map(|(n, d)| d.first().map(|d| (n.as_str(), d.kind)))
        .collect()
}

/// Adds the names an item refers to.
fn uses_in_item(item: &Item, used: &mut BTreeSet<String>) {
    match item {
        Item::Let(l) => uses_in_operand(&l.value, used),
        Item::Scope(s) => uses_in_expr(&s.expr, used),
        Item::Policy(p) => {
            for c in &p.clauses {
                if let ClauseKind::Scope(e) | ClauseKind::Trust(e) = &c.kind {
                    uses_in_expr(e, used);
                }
            }
        }
        Item::Key(k) => {
            for o in k.options.iter().flat_map(|o| &o.options) {
                used.insert(o.name.name.clone());
            }
        }
        Item::Keyless(k) => {
            for c in &k.clauses {
                match &c.kind {
                    KeylessClauseKind::Word { name, .. } => {
                        used.insert(name.name.clone());
                    }
                    KeylessClauseKind::Constraint { value, .. } => uses_in_operand(value, used),
                    KeylessClauseKind::Error => {}
                }
            }
        }
        Item::TrustRoot(_) | Item::Test(_) | Item::Error(_) => {}
    }
}

fn uses_in_expr(e: &Expr, used: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Or(es) | ExprKind::And(es) => es.iter().for_each(|e| uses_in_expr(e, used)),
        ExprKind::Not(e) | ExprKind::Paren(e) => uses_in_expr(e, used),
        ExprKind::Compare(c) => {
            uses_in_operand(&c.lhs, used);
            uses_in_operand(&c.rhs, used);
        }
        ExprKind::SignedBy(k) => {
            used.insert(k.name.clone());
        }
        ExprKind::SignedByN { keys, .. } => {
            used.extend(keys.iter().map(|k| k.name.clone()));
        }
        ExprKind::Operand(o) => uses_in_operand(o, used),
    }
}

fn uses_in_operand(o: &Operand, used: &mut BTreeSet<String>) {
    match &o.kind {
        // Attributes and asset types are not user names: leaving them out keeps the table
        // unchanged by edits that only touch conditions.
        OperandKind::Name(n)
            if crate::attributes::attribute(n).is_none()
                && !crate::attributes::ASSET_TYPES.contains(&n.as_str()) =>
        {
            used.insert(n.clone());
        }
        OperandKind::List(items) => items.iter().for_each(|i| uses_in_operand(i, used)),
        OperandKind::Call(call) => call.args.iter().for_each(|a| uses_in_operand(a, used)),
        _ => {}
    }
}
