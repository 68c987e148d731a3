//! Diagnostics that lowering reports from more than one place, and how operands are named
//! in them.

use bona_runtime::ir::Expr as Ir;

use super::expr::{Value, value_type};
use super::names::{DefKind, Names};
use crate::attributes::{Attribute, Side};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::suggest;
use crate::syntax::ast::{CompareOp, Operand, OperandKind};
use crate::syntax::span::Span;

/// Reports an unknown name with the closest known one of the expected kinds.
pub(super) fn unknown_name(
    names: &dyn Names,
    sink: &mut Sink,
    name: &str,
    span: Span,
    kinds: &[DefKind],
    attrs: &[&str],
) {
    let mut candidates: Vec<&str> = names
        .names()
        .into_iter()
        .filter(|(_, k)| kinds.contains(k))
        .map(|(n, _)| n)
        .collect();
    candidates.extend_from_slice(attrs);
    let mut d = sink.diag(
        Code::E0203,
        span,
        format!("unknown name `{name}`"),
        "not defined",
    );
    if let Some(best) = suggest::closest(name, candidates.iter().copied()) {
        d = d.did_you_mean(best);
    } else if let Some(kind) = kinds.first() {
        d = d.help(format!("define it with `{} {name} = …`", kind.keyword()));
    }
    sink.push(d);
}

pub(super) fn wrong_side(sink: &mut Sink, name: &str, span: Span, attr: &Attribute) {
    let (here, there) = match attr.side {
        Side::Trust => ("an image attribute", "a `trust` rule"),
        _ => ("an asset attribute", "a `scope` expression"),
    };
    sink.push(
        sink.diag(
            Code::E0302,
            span,
            format!("`{name}` is {here}: it belongs in {there}"),
            format!("{here} used here"),
        )
        .help(format!("move this comparison to {}", attr.side.place())),
    );
}

pub(super) fn attestation_in_scope(sink: &mut Sink, o: &Operand) {
    sink.push(
        sink.diag(
            Code::E0302,
            o.span,
            format!(
                "`{}` describes the image's attestations, not the asset",
                describe_operand(o)
            ),
            "not allowed in a scope",
        )
        .help("move it to a `trust` rule"),
    );
}

pub(super) fn not_a_condition<A>(
    sink: &mut Sink,
    span: Span,
    what: &str,
    ty: &str,
) -> Option<Ir<A>> {
    sink.push(
        sink.diag(
            Code::E0309,
            span,
            format!("`{what}` is {}, not a condition", a(ty)),
            "expected a condition",
        )
        .help("compare it with a value, e.g. `registry == \"registry.company.com\"`"),
    );
    None
}

pub(super) fn describe_operand(o: &Operand) -> String {
    match &o.kind {
        OperandKind::Str(s) => format!("\"{s}\""),
        OperandKind::Int(n) => n.to_string(),
        OperandKind::Duration(d) => d.text.clone(),
        OperandKind::Bool(b) => b.to_string(),
        OperandKind::List(_) => "[…]".into(),
        OperandKind::Name(n) => n.clone(),
        OperandKind::Index(index) => format!("{}[\"{}\"]", index.base.name, index.key.value),
        OperandKind::Call(call) => {
            let args: Vec<String> = call.args.iter().map(describe_operand).collect();
            let mut s = format!("{}({})", call.func.name, args.join(", "));
            for f in &call.fields {
                s.push('.');
                s.push_str(&f.name);
            }
            s
        }
    }
}

pub(super) fn operand_type(o: &Operand) -> &'static str {
    match &o.kind {
        OperandKind::Str(_) => "string",
        OperandKind::Int(_) => "int",
        OperandKind::Duration(_) => "duration",
        OperandKind::Bool(_) => "bool",
        OperandKind::List(_) => "list",
        OperandKind::Name(_) => "name",
        OperandKind::Index(_) => "string",
        OperandKind::Call(_) => "attribute",
    }
}

pub(super) fn mismatch(sink: &mut Sink, attr: &str, want: &str, v: &Value, rhs: &Operand) {
    let found = value_type(v);
    let mut d = sink.diag(
        Code::E0301,
        rhs.span,
        format!(
            "mismatched types: `{attr}` is {}, this is {}",
            a(want),
            a(&found)
        ),
        format!("expected {want}, found {found}"),
    );
    d = match (want, &*found) {
        ("duration", "int") => d.help("write a duration with its unit, e.g. `7d` or `12h`"),
        ("asset-type", "string") => {
            d.help("write `asset == workload` or `asset == vm`, without quotes")
        }
        ("bool", _) => d.help(format!("write `{attr}` or `not {attr}`")),
        _ => d,
    };
    sink.push(d);
}

pub(super) fn bad_operator(
    sink: &mut Sink,
    attr: &str,
    ty: &str,
    op: CompareOp,
    span: Span,
    help: &str,
) {
    sink.push(
        sink.diag(
            Code::E0303,
            span,
            format!("`{}` is not defined for `{attr}` ({ty})", op.as_str()),
            "operator not allowed here",
        )
        .help(help.to_owned()),
    );
}

pub(super) fn string_ops_help() -> &'static str {
    "strings take `==`, `!=`, `in [..]` and `matches`"
}

pub(super) fn needs_list(sink: &mut Sink, v: &Value, rhs: &Operand) {
    sink.push(
        sink.diag(
            Code::E0301,
            rhs.span,
            format!(
                "mismatched types: `in` needs a list, this is {}",
                a(&value_type(v))
            ),
            "expected a list",
        )
        .help("write `in [\"a\", \"b\"]`, or use `==` for one value"),
    );
}

/// The type name with its indefinite article (`an int`, `a string`).
pub(super) fn a(ty: &str) -> String {
    if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {ty}")
    } else {
        format!("a {ty}")
    }
}

/// E0321: a clause that may appear once appears again at `span`, first at `first`.
pub(crate) fn given_twice(sink: &mut Sink, span: Span, first: Span, message: String, help: &str) {
    sink.push(
        sink.diag(Code::E0321, span, message, "second one here")
            .related(sink.file, first, "first one here")
            .help(help),
    );
}
