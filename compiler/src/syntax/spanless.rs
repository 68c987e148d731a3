//! Equality of syntax trees modulo spans.
//!
//! The formatter moves every token, so the trees of its input and output differ in every span
//! and nowhere else; [`SpanlessEq`] is the equality it checks after each run (and the property
//! tests check on generated policy sets). Everything the formatter promises to keep takes part:
//! names, literal values, a duration's text as written (`7d`), explicit parentheses, whether an
//! object key was quoted. Each implementation destructures its node without `..`, so adding a
//! field to the tree fails to compile here until someone decides whether it matters.

use crate::syntax::ast::{
    Clause, ClauseKind, Expr, ExprKind, Field, File, Ident, Item, KeyDecl, KeyOption, KeyOptions,
    KeylessClause, KeylessClauseKind, KeylessDecl, Let, Operand, OperandKind, Policy, ScopeDecl,
    StrLit, Test, TestClause, TestClauseKind, TrustRootDecl, Value, ValueKind,
};
use crate::syntax::lexer::DurationLit;

/// Structural equality that ignores every [`Span`](crate::syntax::span::Span).
pub trait SpanlessEq {
    /// Whether `self` and `other` are the same tree once spans are ignored.
    fn spanless_eq(&self, other: &Self) -> bool;
}

impl<T: SpanlessEq> SpanlessEq for Vec<T> {
    fn spanless_eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a.spanless_eq(b))
    }
}

impl<T: SpanlessEq> SpanlessEq for Option<T> {
    fn spanless_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Some(a), Some(b)) => a.spanless_eq(b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl<T: SpanlessEq> SpanlessEq for Box<T> {
    fn spanless_eq(&self, other: &Self) -> bool {
        (**self).spanless_eq(other)
    }
}

impl SpanlessEq for File {
    fn spanless_eq(&self, other: &Self) -> bool {
        let File { items } = self;
        items.spanless_eq(&other.items)
    }
}

impl SpanlessEq for Item {
    fn spanless_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Item::Let(a), Item::Let(b)) => a.spanless_eq(b),
            (Item::Key(a), Item::Key(b)) => a.spanless_eq(b),
            (Item::Keyless(a), Item::Keyless(b)) => a.spanless_eq(b),
            (Item::TrustRoot(a), Item::TrustRoot(b)) => a.spanless_eq(b),
            (Item::Scope(a), Item::Scope(b)) => a.spanless_eq(b),
            (Item::Policy(a), Item::Policy(b)) => a.spanless_eq(b),
            (Item::Test(a), Item::Test(b)) => a.spanless_eq(b),
            (Item::Error(_), Item::Error(_)) => true,
            _ => false,
        }
    }
}

impl SpanlessEq for Ident {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Ident { name, span: _ } = self;
        *name == other.name
    }
}

impl SpanlessEq for StrLit {
    fn spanless_eq(&self, other: &Self) -> bool {
        let StrLit { value, span: _ } = self;
        *value == other.value
    }
}

impl SpanlessEq for Let {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Let {
            name,
            value,
            span: _,
        } = self;
        name.spanless_eq(&other.name) && value.spanless_eq(&other.value)
    }
}

impl SpanlessEq for KeyDecl {
    fn spanless_eq(&self, other: &Self) -> bool {
        let KeyDecl {
            name,
            source,
            arg,
            options,
            span: _,
        } = self;
        name.spanless_eq(&other.name)
            && source.spanless_eq(&other.source)
            && arg.spanless_eq(&other.arg)
            && options.spanless_eq(&other.options)
    }
}

impl SpanlessEq for KeyOptions {
    fn spanless_eq(&self, other: &Self) -> bool {
        let KeyOptions { options, span: _ } = self;
        options.spanless_eq(&other.options)
    }
}

impl SpanlessEq for KeyOption {
    fn spanless_eq(&self, other: &Self) -> bool {
        let KeyOption {
            word,
            name,
            span: _,
        } = self;
        word.spanless_eq(&other.word) && name.spanless_eq(&other.name)
    }
}

impl SpanlessEq for KeylessDecl {
    fn spanless_eq(&self, other: &Self) -> bool {
        let KeylessDecl {
            name,
            keyword: _,
            clauses,
            span: _,
        } = self;
        name.spanless_eq(&other.name) && clauses.spanless_eq(&other.clauses)
    }
}

impl SpanlessEq for KeylessClause {
    fn spanless_eq(&self, other: &Self) -> bool {
        let KeylessClause { kind, span: _ } = self;
        match (kind, &other.kind) {
            (
                KeylessClauseKind::Word { word, name },
                KeylessClauseKind::Word {
                    word: word2,
                    name: name2,
                },
            ) => word.spanless_eq(word2) && name.spanless_eq(name2),
            (
                KeylessClauseKind::Constraint {
                    attr,
                    op,
                    op_span: _,
                    value,
                },
                KeylessClauseKind::Constraint {
                    attr: attr2,
                    op: op2,
                    op_span: _,
                    value: value2,
                },
            ) => attr.spanless_eq(attr2) && op == op2 && value.spanless_eq(value2),
            (KeylessClauseKind::Error, KeylessClauseKind::Error) => true,
            _ => false,
        }
    }
}

impl SpanlessEq for TrustRootDecl {
    fn spanless_eq(&self, other: &Self) -> bool {
        let TrustRootDecl {
            name,
            source,
            arg,
            span: _,
        } = self;
        name.spanless_eq(&other.name)
            && source.spanless_eq(&other.source)
            && arg.spanless_eq(&other.arg)
    }
}

impl SpanlessEq for ScopeDecl {
    fn spanless_eq(&self, other: &Self) -> bool {
        let ScopeDecl {
            name,
            expr,
            span: _,
        } = self;
        name.spanless_eq(&other.name) && expr.spanless_eq(&other.expr)
    }
}

impl SpanlessEq for Policy {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Policy {
            name,
            clauses,
            span: _,
        } = self;
        name.spanless_eq(&other.name) && clauses.spanless_eq(&other.clauses)
    }
}

impl SpanlessEq for Clause {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Clause { kind, span: _ } = self;
        kind.spanless_eq(&other.kind)
    }
}

impl SpanlessEq for ClauseKind {
    fn spanless_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ClauseKind::Action(a, _), ClauseKind::Action(b, _))
            | (ClauseKind::OnUnknown(a, _), ClauseKind::OnUnknown(b, _)) => a == b,
            (ClauseKind::Scope(a), ClauseKind::Scope(b))
            | (ClauseKind::Trust(a), ClauseKind::Trust(b)) => a.spanless_eq(b),
            (ClauseKind::Description(a), ClauseKind::Description(b)) => a.spanless_eq(b),
            (ClauseKind::Error, ClauseKind::Error) => true,
            _ => false,
        }
    }
}

impl SpanlessEq for Expr {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Expr { kind, span: _ } = self;
        kind.spanless_eq(&other.kind)
    }
}

impl SpanlessEq for ExprKind {
    fn spanless_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ExprKind::Or(a), ExprKind::Or(b)) | (ExprKind::And(a), ExprKind::And(b)) => {
                a.spanless_eq(b)
            }
            (ExprKind::Not(a), ExprKind::Not(b)) | (ExprKind::Paren(a), ExprKind::Paren(b)) => {
                a.spanless_eq(b)
            }
            (ExprKind::Compare(a), ExprKind::Compare(b)) => {
                a.op == b.op && a.lhs.spanless_eq(&b.lhs) && a.rhs.spanless_eq(&b.rhs)
            }
            (ExprKind::SignedBy(a), ExprKind::SignedBy(b)) => a.spanless_eq(b),
            (
                ExprKind::SignedByN { n, n_span: _, keys },
                ExprKind::SignedByN {
                    n: n2,
                    n_span: _,
                    keys: keys2,
                },
            ) => n == n2 && keys.spanless_eq(keys2),
            (ExprKind::Operand(a), ExprKind::Operand(b)) => a.spanless_eq(b),
            _ => false,
        }
    }
}

impl SpanlessEq for Operand {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Operand { kind, span: _ } = self;
        kind.spanless_eq(&other.kind)
    }
}

impl SpanlessEq for OperandKind {
    fn spanless_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (OperandKind::Str(a), OperandKind::Str(b))
            | (OperandKind::Name(a), OperandKind::Name(b)) => a == b,
            (OperandKind::Int(a), OperandKind::Int(b)) => a == b,
            (OperandKind::Duration(a), OperandKind::Duration(b)) => a.spanless_eq(b),
            (OperandKind::Bool(a), OperandKind::Bool(b)) => a == b,
            (OperandKind::List(a), OperandKind::List(b)) => a.spanless_eq(b),
            (OperandKind::Index(a), OperandKind::Index(b)) => {
                a.base.spanless_eq(&b.base) && a.key.spanless_eq(&b.key)
            }
            (OperandKind::Call(a), OperandKind::Call(b)) => {
                a.func.spanless_eq(&b.func)
                    && a.args.spanless_eq(&b.args)
                    && a.fields.spanless_eq(&b.fields)
            }
            _ => false,
        }
    }
}

impl SpanlessEq for DurationLit {
    fn spanless_eq(&self, other: &Self) -> bool {
        // No span inside, but the text as written is part of what the formatter keeps.
        self == other
    }
}

impl SpanlessEq for Test {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Test {
            name,
            clauses,
            span: _,
        } = self;
        name.spanless_eq(&other.name) && clauses.spanless_eq(&other.clauses)
    }
}

impl SpanlessEq for TestClause {
    fn spanless_eq(&self, other: &Self) -> bool {
        let TestClause { kind, span: _ } = self;
        kind.spanless_eq(&other.kind)
    }
}

impl SpanlessEq for TestClauseKind {
    fn spanless_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TestClauseKind::Input(a), TestClauseKind::Input(b)) => a.spanless_eq(b),
            (TestClauseKind::ExpectPrevent, TestClauseKind::ExpectPrevent)
            | (TestClauseKind::Error, TestClauseKind::Error) => true,
            (TestClauseKind::ExpectWord(a), TestClauseKind::ExpectWord(b)) => a.spanless_eq(b),
            (TestClauseKind::ExpectImage(w, s), TestClauseKind::ExpectImage(w2, s2)) => {
                w.spanless_eq(w2) && s.spanless_eq(s2)
            }
            (
                TestClauseKind::ExpectCount(w, k, n, _),
                TestClauseKind::ExpectCount(w2, k2, n2, _),
            ) => w.spanless_eq(w2) && k.spanless_eq(k2) && n == n2,
            _ => false,
        }
    }
}

impl SpanlessEq for Value {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Value { kind, span: _ } = self;
        kind.spanless_eq(&other.kind)
    }
}

impl SpanlessEq for ValueKind {
    fn spanless_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ValueKind::Str(a), ValueKind::Str(b)) => a == b,
            (ValueKind::Int(a), ValueKind::Int(b)) => a == b,
            (ValueKind::Bool(a), ValueKind::Bool(b)) => a == b,
            (ValueKind::List(a), ValueKind::List(b)) => a.spanless_eq(b),
            (ValueKind::Object(a), ValueKind::Object(b)) => a.spanless_eq(b),
            _ => false,
        }
    }
}

impl SpanlessEq for Field {
    fn spanless_eq(&self, other: &Self) -> bool {
        let Field { key, quoted, value } = self;
        *quoted == other.quoted && key.spanless_eq(&other.key) && value.spanless_eq(&other.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parser::parse;

    fn same(a: &str, b: &str) -> bool {
        let (pa, pb) = (parse(a), parse(b));
        assert!(pa.errors.is_empty() && pb.errors.is_empty());
        pa.file.spanless_eq(&pb.file)
    }

    #[test]
    fn whitespace_and_comments_do_not_matter() {
        assert!(same(
            "scope s = a == \"x\" and b",
            "scope   s =\n  a == \"x\" # c\n  and b\n"
        ));
        assert!(same(
            r#"test "t" { input { a: [1, 2,], } }"#,
            r#"test "t" {input{a:[1,2]}}"#
        ));
    }

    #[test]
    fn what_is_written_matters() {
        assert!(!same("scope s = a and b", "scope s = (a and b)"));
        assert!(!same("let d = 7d", "let d = 1w"));
        assert!(!same("let d = 7d", "let d = 07d"));
        assert!(!same(
            r#"test "t" { input { a: 1 } }"#,
            r#"test "t" { input { "a": 1 } }"#
        ));
        assert!(!same("let a = 1", "let b = 1"));
        assert!(!same("scope s = a or b and c", "scope s = a and b or c"));
        assert!(!same("let x = [1]", "let x = 1"));
    }
}
