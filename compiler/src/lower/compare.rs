//! The shapes of a comparison's value (a string, a list, patterns, an int, a bool) and the
//! operators each type of attribute takes.

use bona_runtime::ir::{CmpOp, EqOp, Expr as Ir, ImageAtom};

use super::expr::{Value, value_type};
use super::names::Const;
use super::report::{a, bad_operator, mismatch, needs_list};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::syntax::ast::{CompareOp, Operand, OperandKind};
use crate::syntax::span::Span;

/// A boolean attribute compared with `true` or `false` (as `pinned == false`): the atom, or
/// its negation. Other operators are errors that suggest `NAME` or `not NAME`.
pub(super) fn bool_comparison(
    sink: &mut Sink,
    name: &str,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
    atom: ImageAtom,
) -> Option<Ir<ImageAtom>> {
    let b = match op {
        CompareOp::Eq | CompareOp::Ne => match v {
            Value::Const(Const::Bool(b)) => b,
            v => {
                mismatch(sink, name, "bool", &v, rhs);
                return None;
            }
        },
        _ => {
            bad_operator(
                sink,
                name,
                "bool",
                op,
                op_span,
                &format!("write `{name}` or `not {name}`"),
            );
            return None;
        }
    };
    let atom = Ir::Atom(atom);
    Some(if b == (op == CompareOp::Eq) {
        atom
    } else {
        Ir::Not(Box::new(atom))
    })
}

/// An integer attribute compared with a literal: an ordering, or `in [..]` as an `or` of
/// equalities. `atom` makes the atom for one operator and value.
pub(super) fn int_comparison(
    sink: &mut Sink,
    name: &str,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
    atom: impl Fn(CmpOp, u64) -> ImageAtom,
) -> Option<Ir<ImageAtom>> {
    if op == CompareOp::In {
        let Value::Const(Const::List(items)) = &v else {
            needs_list(sink, &v, rhs);
            return None;
        };
        let mut alts = Vec::with_capacity(items.len());
        for item in items {
            let Const::Int(n) = item else {
                mismatch(sink, name, "int", &Value::Const(item.clone()), rhs);
                return None;
            };
            alts.push(Ir::Atom(atom(CmpOp::Eq, *n)));
        }
        return Some(Ir::Or(alts));
    }
    let op = ordering(sink, name, "int", op, op_span)?;
    match v {
        Value::Const(Const::Int(value)) => Some(Ir::Atom(atom(op, value))),
        v => {
            mismatch(sink, name, "int", &v, rhs);
            None
        }
    }
}

pub(super) fn ordering(
    sink: &mut Sink,
    name: &str,
    ty: &str,
    op: CompareOp,
    span: Span,
) -> Option<CmpOp> {
    Some(match op {
        CompareOp::Eq => CmpOp::Eq,
        CompareOp::Ne => CmpOp::Ne,
        CompareOp::Lt => CmpOp::Lt,
        CompareOp::Le => CmpOp::Le,
        CompareOp::Gt => CmpOp::Gt,
        CompareOp::Ge => CmpOp::Ge,
        CompareOp::In | CompareOp::Matches => {
            bad_operator(
                sink,
                name,
                ty,
                op,
                span,
                "compare with `==`, `!=`, `<`, `<=`, `>` or `>=`",
            );
            return None;
        }
    })
}

/// String values of `==`/`!=` (one string) or `in` (a list of strings).
pub(super) fn strings(
    sink: &mut Sink,
    attr: &str,
    v: &Value,
    rhs: &Operand,
    list: bool,
) -> Option<Vec<String>> {
    match (v, list) {
        (Value::Const(Const::Str(s)), false) => Some(vec![s.clone()]),
        (Value::Const(Const::List(items)), true) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Const::Str(s) => out.push(s.clone()),
                    other => {
                        mismatch(sink, attr, "string", &Value::Const(other.clone()), rhs);
                        return None;
                    }
                }
            }
            Some(out)
        }
        (Value::Const(Const::List(_)), false) => {
            sink.push(
                sink.diag(
                    Code::E0301,
                    rhs.span,
                    format!("mismatched types: `{attr}` is a string, this is a list"),
                    "expected string, found list",
                )
                .help(format!("to test membership, write `{attr} in …`")),
            );
            None
        }
        (v, false) => {
            mismatch(sink, attr, "string", v, rhs);
            None
        }
        (v, true) => {
            needs_list(sink, v, rhs);
            None
        }
    }
}

/// The patterns of `matches`: one string or a list of strings.
pub(super) fn patterns(
    sink: &mut Sink,
    attr: &str,
    v: &Value,
    rhs: &Operand,
) -> Option<Vec<(String, Span)>> {
    match v {
        Value::Const(Const::Str(s)) => Some(vec![(s.clone(), rhs.span)]),
        Value::Const(Const::List(_)) => {
            let spans: Vec<Span> = match &rhs.kind {
                OperandKind::List(items) => items.iter().map(|i| i.span).collect(),
                _ => Vec::new(),
            };
            let values = strings(sink, attr, v, rhs, true)?;
            Some(
                values
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| (s, spans.get(i).copied().unwrap_or(rhs.span)))
                    .collect(),
            )
        }
        v => {
            let _ = attr;
            sink.push(
                sink.diag(
                    Code::E0301,
                    rhs.span,
                    format!(
                        "mismatched types: `matches` needs a pattern or a list of patterns, this is {}",
                        a(&value_type(v))
                    ),
                    "expected a pattern",
                )
                .help("write `matches \"prefix-*\"` or `matches [\"a-*\", \"b-*\"]`"),
            );
            None
        }
    }
}

pub(super) fn element_spans(rhs: &Operand, n: usize) -> Vec<Span> {
    match &rhs.kind {
        OperandKind::List(items) if items.len() == n => items.iter().map(|i| i.span).collect(),
        _ => vec![rhs.span; n],
    }
}

pub(super) fn warn_globs_in(sink: &mut Sink, attr: &str, values: &[String], rhs: &Operand) {
    let spans: Vec<Span> = match &rhs.kind {
        OperandKind::List(items) => items.iter().map(|i| i.span).collect(),
        _ => Vec::new(),
    };
    for (i, v) in values.iter().enumerate() {
        if v.contains(['*', '?']) {
            let span = spans.get(i).copied().unwrap_or(rhs.span);
            sink.push(
                sink.diag(
                    Code::W0001,
                    span,
                    format!("`in` compares exactly: \"{v}\" is not treated as a pattern"),
                    "contains `*` or `?`",
                )
                .help(format!("to match patterns, write `{attr} matches [...]`")),
            );
        }
    }
}

/// `==` or `!=` (the only operators it is called with), as the IR's equality operator.
pub(super) fn eq_op(op: CompareOp) -> EqOp {
    if op == CompareOp::Eq {
        EqOp::Eq
    } else {
        EqOp::Ne
    }
}
