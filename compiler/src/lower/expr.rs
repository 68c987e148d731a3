//! Boolean structure (`and`, `or`, `not`, parentheses) shared by scopes and trust rules, and
//! the two sides of a comparison: the attribute on the left, the value on the right.

use bona_runtime::ir::{AssetAtom, AssetKind, Expr as Ir, ImageAtom};

use super::constant::lower_const;
use super::names::{Const, Names};
use super::report::{attestation_in_scope, describe_operand, unknown_name, wrong_side};
use super::scope::scope_leaf;
use super::trust::trust_leaf;
use crate::attributes::{ASSET_TYPES, Attribute, Side, attribute};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::syntax::ast::{Expr, ExprKind, Operand, OperandKind};

/// Which expression we are in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    Scope,
    Trust,
}

impl Position {
    pub(super) fn side(self) -> Side {
        match self {
            Position::Scope => Side::Scope,
            Position::Trust => Side::Trust,
        }
    }

    pub(super) fn attr_names(self) -> Vec<&'static str> {
        crate::attributes::ATTRIBUTES
            .iter()
            .filter(|a| a.side == self.side() || a.side == Side::Both)
            .map(|a| a.name)
            .collect()
    }
}

/// A scope expression (a policy's `scope` clause or a named `scope`).
pub fn lower_scope(names: &mut dyn Names, sink: &mut Sink, e: &Expr) -> Option<Ir<AssetAtom>> {
    lower_bool(names, sink, e, &mut |names, sink, e| {
        scope_leaf(names, sink, e)
    })
}

/// A trust rule.
pub fn lower_trust(names: &mut dyn Names, sink: &mut Sink, e: &Expr) -> Option<Ir<ImageAtom>> {
    lower_bool(names, sink, e, &mut |names, sink, e| {
        trust_leaf(names, sink, e)
    })
}

type Leaf<'f, A> = dyn FnMut(&mut dyn Names, &mut Sink, &Expr) -> Option<Ir<A>> + 'f;

/// The boolean structure, shared by both sides; leaves go to `leaf`.
pub(super) fn lower_bool<A>(
    names: &mut dyn Names,
    sink: &mut Sink,
    e: &Expr,
    leaf: &mut Leaf<'_, A>,
) -> Option<Ir<A>> {
    match &e.kind {
        ExprKind::Or(parts) | ExprKind::And(parts) => {
            let lowered: Vec<Option<Ir<A>>> = parts
                .iter()
                .map(|p| lower_bool(names, sink, p, leaf))
                .collect();
            let all: Option<Vec<Ir<A>>> = lowered.into_iter().collect();
            let all = all?;
            Some(if matches!(e.kind, ExprKind::Or(_)) {
                Ir::Or(all)
            } else {
                Ir::And(all)
            })
        }
        ExprKind::Not(inner) => Some(Ir::Not(Box::new(lower_bool(names, sink, inner, leaf)?))),
        ExprKind::Paren(inner) => lower_bool(names, sink, inner, leaf),
        _ => leaf(names, sink, e),
    }
}

/// The left side of a comparison: an attribute of this side, or `labels["k"]`.
pub(super) fn lhs_attribute(
    names: &mut dyn Names,
    sink: &mut Sink,
    lhs: &Operand,
    pos: Position,
) -> Option<(&'static Attribute, Option<String>)> {
    match &lhs.kind {
        OperandKind::Name(name) => match attribute(name) {
            Some(a) if a.name == "labels" => {
                sink.push(
                    sink.diag(
                        Code::E0310,
                        lhs.span,
                        "`labels` needs a key",
                        "expected `labels[\"KEY\"]`",
                    )
                    .help("write `labels[\"team\"] == \"payments\"`"),
                );
                None
            }
            Some(a) if a.side != pos.side() && a.side != Side::Both => {
                wrong_side(sink, name, lhs.span, a);
                None
            }
            Some(a) => Some((a, None)),
            None if names.kind(name).is_some() || ASSET_TYPES.contains(&name.as_str()) => {
                sink.push(
                    sink.diag(
                        Code::E0304,
                        lhs.span,
                        format!("`{name}` is not an attribute"),
                        "expected an attribute",
                    )
                    .help("a comparison is an attribute on the left and a value on the right"),
                );
                None
            }
            None => {
                unknown_name(names, sink, name, lhs.span, &[], &pos.attr_names());
                None
            }
        },
        OperandKind::Index(index) if index.base.name == "labels" => {
            // INVARIANT: `labels` is in the attribute table.
            attribute("labels").map(|a| (a, Some(index.key.value.clone())))
        }
        OperandKind::Call(_) => {
            attestation_in_scope(sink, lhs);
            None
        }
        OperandKind::Index(index) => {
            let base = &index.base;
            sink.push(
                sink.diag(
                    Code::E0310,
                    base.span,
                    format!("`{}` cannot be indexed", base.name),
                    "only `labels` takes a key",
                )
                .help("write `labels[\"KEY\"]`"),
            );
            None
        }
        _ => {
            sink.push(
                sink.diag(
                    Code::E0304,
                    lhs.span,
                    format!("`{}` is a value, not an attribute", describe_operand(lhs)),
                    "expected an attribute",
                )
                .help("put the attribute on the left: `registry == \"registry.company.com\"`"),
            );
            None
        }
    }
}

/// What a comparison's right side holds.
pub(super) enum Value {
    Const(Const),
    Asset(AssetKind),
}

pub(super) fn rhs_value(names: &mut dyn Names, sink: &mut Sink, rhs: &Operand) -> Option<Value> {
    if let OperandKind::Name(n) = &rhs.kind {
        match n.as_str() {
            "workload" => return Some(Value::Asset(AssetKind::Workload)),
            "vm" => return Some(Value::Asset(AssetKind::Vm)),
            _ => {}
        }
        if names.kind(n).is_none() && attribute(n).is_some() {
            sink.push(
                sink.diag(
                    Code::E0304,
                    rhs.span,
                    format!("`{n}` is an attribute: a comparison cannot compare two attributes"),
                    "expected a literal or a constant",
                )
                .help("compare the attribute with a literal or a `let` constant"),
            );
            return None;
        }
    }
    lower_const(names, sink, rhs).map(Value::Const)
}

pub(super) fn value_type(v: &Value) -> String {
    match v {
        Value::Const(c) => c.type_name(),
        Value::Asset(_) => "asset-type".into(),
    }
}
