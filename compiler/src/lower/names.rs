//! What lowering asks about names: the [`Names`] trait (answered by the symbol table when a
//! file is checked, and by the lazy builder while the table is computed), the kinds of names
//! ([`DefKind`]) and the values of constants ([`Const`]).

use bona_runtime::ir;

/// What kind of thing a name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefKind {
    Let,
    /// A `key` item: a public key or a keyless signer.
    Key,
    Scope,
    TrustRoot,
}

impl DefKind {
    /// The item keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            DefKind::Let => "let",
            DefKind::Key => "key",
            DefKind::Scope => "scope",
            DefKind::TrustRoot => "trustroot",
        }
    }
}

/// A constant's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Const {
    Str(String),
    Int(u64),
    /// Seconds.
    Duration(u64),
    Bool(bool),
    /// Elements of one type (checked when built).
    List(Vec<Const>),
}

impl Const {
    /// The type's name in messages (`list<string>`).
    pub fn type_name(&self) -> String {
        match self {
            Const::Str(_) => "string".into(),
            Const::Int(_) => "int".into(),
            Const::Duration(_) => "duration".into(),
            Const::Bool(_) => "bool".into(),
            Const::List(items) => match items.first() {
                Some(first) => format!("list<{}>", first.type_name()),
                None => "list".into(),
            },
        }
    }
}

/// What expressions may ask about names. Implemented by the symbol table (when checking a
/// file) and by the lazy builder that computes the table itself.
pub trait Names {
    /// The kind of a defined `let`/`key`/`scope` name.
    fn kind(&self, name: &str) -> Option<DefKind>;
    /// A constant's value; `None` when its definition has errors (reported there).
    fn constant(&mut self, name: &str) -> Option<Const>;
    /// A named scope, lowered; `None` when its definition has errors.
    fn scope(&mut self, name: &str) -> Option<ir::Expr<ir::AssetAtom>>;
    /// A key's index in the policy set.
    fn key(&self, name: &str) -> Option<ir::KeyId>;
    /// A trust root's index in the policy set.
    fn trust_root(&self, name: &str) -> Option<ir::RootId>;
    /// Every defined name, for suggestions.
    fn names(&self) -> Vec<(&str, DefKind)>;
}
