//! Small constructors the grammar's actions call: they keep `and`/`or` chains flat.

use crate::syntax::ast::{Expr, ExprKind};
use crate::syntax::span::Span;

/// `a or b`, appending to `a` when it already is an unparenthesised `or`.
pub fn or(a: Expr, b: Expr, span: Span) -> Expr {
    match a.kind {
        ExprKind::Or(mut v) => {
            v.push(b);
            Expr {
                kind: ExprKind::Or(v),
                span,
            }
        }
        kind => Expr {
            kind: ExprKind::Or(vec![Expr { kind, span: a.span }, b]),
            span,
        },
    }
}

/// `a and b`, appending to `a` when it already is an unparenthesised `and`.
pub fn and(a: Expr, b: Expr, span: Span) -> Expr {
    match a.kind {
        ExprKind::And(mut v) => {
            v.push(b);
            Expr {
                kind: ExprKind::And(v),
                span,
            }
        }
        kind => Expr {
            kind: ExprKind::And(vec![Expr { kind, span: a.span }, b]),
            span,
        },
    }
}
