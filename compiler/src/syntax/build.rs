//! Small constructors the grammar's actions call: they keep `and`/`or` chains flat, and trim
//! the lists the parser grew one element at a time (a set of 10,000 policies is parsed whole).

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

/// A list the parser grew one element at a time, without its spare capacity.
pub fn trimmed<T>(mut list: Vec<T>) -> Vec<T> {
    list.shrink_to_fit();
    list
}

/// A whole expression (a clause's or a named scope's), its `and`/`or` lists trimmed.
pub fn finished(mut e: Expr) -> Expr {
    trim(&mut e);
    e
}

fn trim(e: &mut Expr) {
    match &mut e.kind {
        ExprKind::Or(list) | ExprKind::And(list) => {
            list.shrink_to_fit();
            list.iter_mut().for_each(trim);
        }
        ExprKind::Not(inner) | ExprKind::Paren(inner) => trim(inner),
        _ => {}
    }
}
