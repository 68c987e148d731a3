//! The syntax tree, as written: every node carries its span, nothing is resolved yet.
//!
//! `and`/`or` chains are n-ary (`And(vec)`), and explicit parentheses are kept as `Paren`
//! nodes, so that the formatter reproduces what the author grouped and long chains never
//! make the tree deep.

use crate::syntax::lexer::DurationLit;
use crate::syntax::span::Span;

/// One parsed `.trust` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

/// A top-level item. The items other than policies and tests are boxed: a generated set is
/// mostly policies, and a key declaration is twice their size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Let(Box<Let>),
    Key(Box<KeyDecl>),
    Keyless(Box<KeylessDecl>),
    TrustRoot(Box<TrustRootDecl>),
    Scope(Box<ScopeDecl>),
    Policy(Policy),
    Test(Test),
    /// Text the parser skipped while recovering from a syntax error.
    Error(Span),
}

impl Item {
    /// The span of the whole item.
    pub fn span(&self) -> Span {
        match self {
            Item::Let(x) => x.span,
            Item::Key(x) => x.span,
            Item::Keyless(x) => x.span,
            Item::TrustRoot(x) => x.span,
            Item::Scope(x) => x.span,
            Item::Policy(x) => x.span,
            Item::Test(x) => x.span,
            Item::Error(s) => *s,
        }
    }

    /// The span of the item's name (the whole skipped text for an `Error` item).
    pub fn name_span(&self) -> Span {
        match self {
            Item::Let(l) => l.name.span,
            Item::Key(k) => k.name.span,
            Item::Keyless(k) => k.name.span,
            Item::TrustRoot(t) => t.name.span,
            Item::Scope(s) => s.name.span,
            Item::Policy(p) => p.name.span,
            Item::Test(t) => t.name.span,
            Item::Error(s) => *s,
        }
    }
}

/// A name as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal; `value` is unescaped, `span` covers the quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// `let NAME = VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Let {
    pub name: Ident,
    pub value: Operand,
    pub span: Span,
}

/// `key NAME = file("…")` or `key NAME = pem("…")`, optionally followed by `{ tlog ROOT }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDecl {
    pub name: Ident,
    /// `file` or `pem` (anything else is reported by the checker).
    pub source: Ident,
    pub arg: StrLit,
    pub options: Option<KeyOptions>,
    pub span: Span,
}

/// The `{ … }` after a keyed signer's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOptions {
    pub options: Vec<KeyOption>,
    pub span: Span,
}

/// `WORD NAME` inside a keyed signer's braces; only `tlog ROOT` means something (the checker
/// says so otherwise), which keeps the grammar open to more options without new keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOption {
    pub word: Ident,
    pub name: Ident,
    pub span: Span,
}

/// `key NAME = keyless { clauses }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessDecl {
    pub name: Ident,
    /// The `keyless` keyword.
    pub keyword: Span,
    pub clauses: Vec<KeylessClause>,
    pub span: Span,
}

/// One line of a `keyless` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessClause {
    pub kind: KeylessClauseKind,
    pub span: Span,
}

/// The forms of a `keyless` block's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeylessClauseKind {
    /// `WORD NAME`: `root sigstore` (any other word is reported by the checker).
    Word { word: Ident, name: Ident },
    /// `ATTRIBUTE OP VALUE`: `issuer == "https://…"`.
    Constraint {
        attr: Ident,
        op: CompareOp,
        op_span: Span,
        value: Operand,
    },
    /// Skipped by error recovery.
    Error,
}

/// `trustroot NAME = file("…")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustRootDecl {
    pub name: Ident,
    /// `file` (anything else is reported by the checker).
    pub source: Ident,
    pub arg: StrLit,
    pub span: Span,
}

/// `scope NAME = EXPR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeDecl {
    pub name: Ident,
    pub expr: Expr,
    pub span: Span,
}

/// `policy "NAME" { clauses }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: StrLit,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

/// An action word, as written after `action` or `on unknown`. The syntax tree owns it; lowering
/// converts it to the runtime's `ir::Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Prevent,
    Issue,
}

impl Action {
    /// The word as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Prevent => "prevent",
            Action::Issue => "issue",
        }
    }
}

/// One clause of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub kind: ClauseKind,
    pub span: Span,
}

/// The clause kinds of docs/language.md#items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClauseKind {
    /// `action prevent | issue`; the span is the action word's.
    Action(Action, Span),
    /// `on unknown prevent | issue`; the span is the action word's.
    OnUnknown(Action, Span),
    Scope(Expr),
    Trust(Expr),
    Description(StrLit),
    /// Skipped by error recovery.
    Error,
}

impl ClauseKind {
    /// The clause keyword, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            ClauseKind::Action(..) => "action",
            ClauseKind::OnUnknown(..) => "on unknown",
            ClauseKind::Scope(_) => "scope",
            ClauseKind::Trust(_) => "trust",
            ClauseKind::Description(_) => "description",
            ClauseKind::Error => "",
        }
    }
}

/// An expression: boolean structure over comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `( EXPR )`, kept for the formatter.
    Paren(Box<Expr>),
    /// `LHS OP RHS` with `OP` one of `== != < <= > >= in matches`. Boxed, as are the large
    /// operands, so that a node of a generated set of 10,000 policies stays small.
    Compare(Box<Compare>),
    /// `signed by KEY`.
    SignedBy(Ident),
    /// `signed by N of [K1, K2, …]`; `n_span` is the number's.
    SignedByN {
        n: u64,
        n_span: Span,
        keys: Vec<Ident>,
    },
    /// A bare operand: a boolean attribute (`pinned`), a `scope` name, a bool constant.
    Operand(Operand),
}

/// `LHS OP RHS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compare {
    pub lhs: Operand,
    pub op: CompareOp,
    pub op_span: Span,
    pub rhs: Operand,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Matches,
}

impl CompareOp {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::In => "in",
            CompareOp::Matches => "matches",
        }
    }
}

/// An operand of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    pub kind: OperandKind,
    pub span: Span,
}

/// Operand forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperandKind {
    Str(String),
    Int(u64),
    Duration(Box<DurationLit>),
    Bool(bool),
    List(Vec<Operand>),
    /// A name or attribute; dotted attributes (`scan.age`) are joined with `.`.
    Name(String),
    /// `BASE["KEY"]`; only `labels` is meaningful (the checker says so otherwise).
    Index(Box<Index>),
    /// `FUNC(ARGS).FIELD.FIELD`: the attestation attributes (`attested(K, "T")`,
    /// `provenance(K).builder`, `vuln(K).scan.age`, `predicate(K, "T", "a.b")`).
    Call(Box<Call>),
}

/// `BASE["KEY"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub base: Ident,
    pub key: StrLit,
}

/// `FUNC(ARGS).FIELD.FIELD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub func: Ident,
    pub args: Vec<Operand>,
    pub fields: Vec<Ident>,
}

/// `test "NAME" { … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    pub name: StrLit,
    pub clauses: Vec<TestClause>,
    pub span: Span,
}

/// A clause of a test block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestClause {
    pub kind: TestClauseKind,
    pub span: Span,
}

/// `input VALUE` or `expect …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestClauseKind {
    Input(Value),
    /// `expect prevent`.
    ExpectPrevent,
    /// `expect WORD` (`allow`).
    ExpectWord(Ident),
    /// `expect WORD "REF"` (`trusted`, `untrusted`).
    ExpectImage(Ident, StrLit),
    /// `expect WORD WORD N` (`issues runtime 1`, `issues posture 0`).
    ExpectCount(Ident, Ident, u64, Span),
    Error,
}

/// A JSON-like value in a test's `input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

/// Value forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueKind {
    Str(String),
    Int(u64),
    Bool(bool),
    List(Vec<Value>),
    Object(Vec<Field>),
}

/// `key: value` in an object; the key was an identifier or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: StrLit,
    /// Written as a string literal (kept for the formatter).
    pub quoted: bool,
    pub value: Value,
}
