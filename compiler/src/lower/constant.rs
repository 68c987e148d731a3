//! Constants: `let` values and the right-hand side of comparisons.

use super::names::{Const, DefKind, Names};
use super::report::{a, unknown_name};
use crate::attributes::{ASSET_TYPES, attribute};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::syntax::ast::{Operand, OperandKind};
use crate::syntax::span::Span;

/// A constant: `let` values and the right-hand side of comparisons.
pub fn lower_const(names: &mut dyn Names, sink: &mut Sink, operand: &Operand) -> Option<Const> {
    match &operand.kind {
        OperandKind::Str(s) => Some(Const::Str(s.clone())),
        OperandKind::Int(n) => Some(Const::Int(*n)),
        OperandKind::Duration(d) => Some(Const::Duration(d.seconds)),
        OperandKind::Bool(b) => Some(Const::Bool(*b)),
        OperandKind::List(items) => {
            let mut values = Vec::with_capacity(items.len());
            let mut first: Option<(String, &Operand)> = None;
            let mut ok = true;
            for item in items {
                let Some(v) = lower_const(names, sink, item) else {
                    ok = false;
                    continue;
                };
                if let Const::List(_) = v {
                    sink.error(
                        Code::E0308,
                        item.span,
                        "lists cannot contain lists",
                        "a list here",
                    );
                    ok = false;
                    continue;
                }
                match &first {
                    None => first = Some((v.type_name(), item)),
                    Some((ty, first_item)) if *ty != v.type_name() => {
                        sink.push(
                            sink.diag(
                                Code::E0308,
                                item.span,
                                format!(
                                    "list elements must have one type: this is {}, the first is {}",
                                    a(&v.type_name()),
                                    a(ty)
                                ),
                                format!("expected {ty}"),
                            )
                            .related(
                                sink.file,
                                first_item.span,
                                format!("this is {}", a(ty)),
                            ),
                        );
                        ok = false;
                        continue;
                    }
                    Some(_) => {}
                }
                values.push(v);
            }
            ok.then_some(Const::List(values))
        }
        OperandKind::Name(name) => named_const(names, sink, name, operand.span),
        OperandKind::Index(index) => {
            sink.error(
                Code::E0304,
                operand.span,
                format!("`{}[…]` is an attribute, not a value", index.base.name),
                "attributes cannot be values",
            );
            None
        }
        OperandKind::Call(call) => {
            sink.error(
                Code::E0304,
                operand.span,
                format!("`{}(…)` is an attribute, not a value", call.func.name),
                "attributes cannot be values",
            );
            None
        }
    }
}

fn named_const(names: &mut dyn Names, sink: &mut Sink, name: &str, span: Span) -> Option<Const> {
    match names.kind(name) {
        Some(DefKind::Let) => names.constant(name),
        Some(kind) => {
            sink.error(
                Code::E0207,
                span,
                format!("`{name}` is a {}, not a constant", kind.keyword()),
                "expected a value",
            );
            None
        }
        None if attribute(name).is_some() => {
            sink.push(
                sink.diag(
                    Code::E0304,
                    span,
                    format!("`{name}` is an attribute, not a value"),
                    "expected a literal or a constant",
                )
                .help("a comparison is an attribute on the left and a value on the right"),
            );
            None
        }
        None if ASSET_TYPES.contains(&name) => {
            sink.error(
                Code::E0311,
                span,
                format!("`{name}` is an asset type and can only be compared with `asset`"),
                "not a value",
            );
            None
        }
        None => {
            unknown_name(names, sink, name, span, &[DefKind::Let], &[]);
            None
        }
    }
}
