//! Scope expressions: conditions on the asset.

use bona_runtime::ir::{AssetAtom, AssetAttr, EqOp, Expr as Ir};

use super::compare::{eq_op, patterns, strings, warn_globs_in};
use super::expr::{Position, Value, lhs_attribute, rhs_value};
use super::literals::globs;
use super::names::{Const, DefKind, Names};
use super::report::{
    attestation_in_scope, bad_operator, describe_operand, mismatch, not_a_condition, operand_type,
    string_ops_help, unknown_name, wrong_side,
};
use crate::attributes::{AttrType, Attribute, Side, attribute};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::syntax::ast::{Compare, CompareOp, Expr, ExprKind, Operand, OperandKind};
use crate::syntax::span::Span;

pub(super) fn scope_leaf(
    names: &mut dyn Names,
    sink: &mut Sink,
    e: &Expr,
) -> Option<Ir<AssetAtom>> {
    match &e.kind {
        ExprKind::SignedBy(_) | ExprKind::SignedByN { .. } => {
            sink.push(
                sink.diag(
                    Code::E0302,
                    e.span,
                    "`signed by` describes the image, not the asset",
                    "not allowed in a scope",
                )
                .help("move it to a `trust` rule"),
            );
            None
        }
        ExprKind::Operand(o) => scope_operand(names, sink, o),
        ExprKind::Compare(c) => {
            let Compare {
                lhs,
                op,
                op_span,
                rhs,
            } = &**c;
            let (attr, label) = lhs_attribute(names, sink, lhs, Position::Scope)?;
            if attr.ty == AttrType::AssetType && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                bad_operator(
                    sink,
                    attr.name,
                    "asset-type",
                    *op,
                    *op_span,
                    "write `asset == workload` or `asset != vm`",
                );
                return None;
            }
            let value = rhs_value(names, sink, rhs)?;
            scope_compare(sink, attr, label, *op, *op_span, value, rhs)
        }
        // INVARIANT: lower_bool handles the structural forms.
        ExprKind::Or(_) | ExprKind::And(_) | ExprKind::Not(_) | ExprKind::Paren(_) => None,
    }
}

/// A bare operand in a scope: a named scope or a boolean constant.
fn scope_operand(names: &mut dyn Names, sink: &mut Sink, o: &Operand) -> Option<Ir<AssetAtom>> {
    match &o.kind {
        OperandKind::Bool(b) => Some(Ir::Const(*b)),
        OperandKind::Call(_) => {
            attestation_in_scope(sink, o);
            None
        }
        OperandKind::Name(name) => match names.kind(name) {
            Some(DefKind::Scope) => names.scope(name),
            Some(DefKind::Let) => match names.constant(name)? {
                Const::Bool(b) => Some(Ir::Const(b)),
                other => not_a_condition(sink, o.span, name, &other.type_name()),
            },
            Some(kind @ (DefKind::Key | DefKind::TrustRoot)) => {
                let what = if kind == DefKind::Key {
                    "key"
                } else {
                    "trust root"
                };
                sink.error(
                    Code::E0207,
                    o.span,
                    format!("`{name}` is a {what}, not a scope"),
                    "expected a condition",
                );
                None
            }
            None => match attribute(name) {
                Some(a) if a.side == Side::Trust => {
                    wrong_side(sink, name, o.span, a);
                    None
                }
                Some(a) => not_a_condition(sink, o.span, name, a.ty.name()),
                None => {
                    unknown_name(
                        names,
                        sink,
                        name,
                        o.span,
                        &[DefKind::Scope, DefKind::Let],
                        &Position::Scope.attr_names(),
                    );
                    None
                }
            },
        },
        _ => not_a_condition(sink, o.span, &describe_operand(o), operand_type(o)),
    }
}

fn scope_compare(
    sink: &mut Sink,
    attr: &'static Attribute,
    label: Option<String>,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
) -> Option<Ir<AssetAtom>> {
    if attr.ty == AttrType::AssetType {
        let eq = match op {
            CompareOp::Eq => EqOp::Eq,
            CompareOp::Ne => EqOp::Ne,
            _ => {
                bad_operator(
                    sink,
                    attr.name,
                    "asset-type",
                    op,
                    op_span,
                    "write `asset == workload` or `asset != vm`",
                );
                return None;
            }
        };
        return match v {
            Value::Asset(value) => Some(Ir::Atom(AssetAtom::Type { op: eq, value })),
            v => {
                mismatch(sink, attr.name, "asset-type", &v, rhs);
                None
            }
        };
    }
    let a = match (attr.name, label) {
        (_, Some(k)) => AssetAttr::Label(k),
        ("cloud", None) => AssetAttr::Cloud,
        ("cluster", None) => AssetAttr::Cluster,
        ("namespace", None) => AssetAttr::Namespace,
        ("kind", None) => AssetAttr::Kind,
        _ => AssetAttr::Name,
    };
    let name = attr.name;
    match op {
        CompareOp::Eq | CompareOp::Ne => {
            let value = strings(sink, name, &v, rhs, false)?.pop()?;
            Some(Ir::Atom(AssetAtom::Str {
                attr: a,
                op: eq_op(op),
                value,
            }))
        }
        CompareOp::In => {
            let values = strings(sink, name, &v, rhs, true)?;
            warn_globs_in(sink, name, &values, rhs);
            Some(Ir::Atom(AssetAtom::In { attr: a, values }))
        }
        CompareOp::Matches => {
            let pats = patterns(sink, name, &v, rhs)?;
            Some(Ir::Atom(AssetAtom::Matches {
                attr: a,
                globs: globs(sink, pats)?,
            }))
        }
        _ => {
            bad_operator(sink, name, "string", op, op_span, string_ops_help());
            None
        }
    }
}
