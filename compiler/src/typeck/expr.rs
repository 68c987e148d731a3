//! Expressions → the runtime's IR. One function per expression position (constant, scope,
//! trust rule); each reports every error it finds and returns `None` for the parts that do not
//! check, so one mistake never hides another.

use bona_runtime::glob::Glob;
use bona_runtime::ir::{
    AssetAtom, AssetAttr, AssetKind, CmpOp, EqOp, Expr as Ir, ImageAtom, ImageBoolAttr,
    ImageStrAttr, RefAttr, VulnSeverity,
};
use bona_runtime::reference::{Reference, is_valid_digest};
use bona_runtime::refpattern::ReferencePattern;

use crate::attributes::{ASSET_TYPES, AttrType, Attribute, Side, attribute};
use crate::codes::Code;
use crate::resolve::DefKind;
use crate::suggest;
use crate::syntax::ast::{CompareOp, Expr, ExprKind, Operand, OperandKind};
use crate::syntax::span::Span;
use crate::typeck::{Const, Names, Sink};

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
        OperandKind::Index { base, .. } => {
            sink.error(
                Code::E0304,
                operand.span,
                format!("`{}[…]` is an attribute, not a value", base.name),
                "attributes cannot be values",
            );
            None
        }
        OperandKind::Call { func, .. } => {
            sink.error(
                Code::E0304,
                operand.span,
                format!("`{}(…)` is an attribute, not a value", func.name),
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

/// Which expression we are in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Scope,
    Trust,
}

impl Position {
    fn side(self) -> Side {
        match self {
            Position::Scope => Side::Scope,
            Position::Trust => Side::Trust,
        }
    }

    fn attr_names(self) -> Vec<&'static str> {
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
fn lower_bool<A>(
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

fn scope_leaf(names: &mut dyn Names, sink: &mut Sink, e: &Expr) -> Option<Ir<AssetAtom>> {
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
        ExprKind::Compare {
            lhs,
            op,
            op_span,
            rhs,
        } => {
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

fn trust_leaf(names: &mut dyn Names, sink: &mut Sink, e: &Expr) -> Option<Ir<ImageAtom>> {
    match &e.kind {
        ExprKind::SignedBy(key) => super::signers::signer_ref(names, sink, key)
            .map(|k| Ir::Atom(ImageAtom::SignedBy { key: k })),
        ExprKind::SignedByN { n, n_span, keys } => {
            super::signers::signed_by_n(names, sink, *n, *n_span, keys).map(Ir::Atom)
        }
        ExprKind::Operand(o) => trust_operand(names, sink, o),
        ExprKind::Compare {
            lhs,
            op,
            op_span,
            rhs,
        } => {
            if let OperandKind::Call { .. } = lhs.kind {
                // Both sides are checked so that a bad key and a bad value are reported together.
                let attr = super::attest::attribute(names, sink, lhs);
                let value = rhs_value(names, sink, rhs)?;
                return super::attest::compare(sink, attr?, *op, *op_span, value, rhs);
            }
            let (attr, label) = lhs_attribute(names, sink, lhs, Position::Trust)?;
            let value = rhs_value(names, sink, rhs)?;
            trust_compare(sink, attr, label, *op, *op_span, value, rhs)
        }
        // INVARIANT: lower_bool handles the structural forms.
        ExprKind::Or(_) | ExprKind::And(_) | ExprKind::Not(_) | ExprKind::Paren(_) => None,
    }
}

fn wrong_side(sink: &mut Sink, name: &str, span: Span, attr: &Attribute) {
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

fn attestation_in_scope(sink: &mut Sink, o: &Operand) {
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

/// A bare operand in a scope: a named scope or a boolean constant.
fn scope_operand(names: &mut dyn Names, sink: &mut Sink, o: &Operand) -> Option<Ir<AssetAtom>> {
    match &o.kind {
        OperandKind::Bool(b) => Some(Ir::Const(*b)),
        OperandKind::Call { .. } => {
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

/// A bare operand in a trust rule: `pinned`, `scanned`, or a boolean constant.
fn trust_operand(names: &mut dyn Names, sink: &mut Sink, o: &Operand) -> Option<Ir<ImageAtom>> {
    match &o.kind {
        OperandKind::Bool(b) => Some(Ir::Const(*b)),
        OperandKind::Call { .. } => super::attest::condition(names, sink, o),
        OperandKind::Name(name) => match (attribute(name), names.kind(name)) {
            (Some(a), _) if a.side == Side::Scope => {
                wrong_side(sink, name, o.span, a);
                None
            }
            (Some(a), _) => match (a.ty, a.name) {
                (AttrType::Bool, "pinned") => {
                    Some(Ir::Atom(ImageAtom::Bool(ImageBoolAttr::Pinned)))
                }
                (AttrType::Bool, _) => Some(Ir::Atom(ImageAtom::Bool(ImageBoolAttr::Scanned))),
                (ty, _) => not_a_condition(sink, o.span, name, ty.name()),
            },
            (None, Some(DefKind::Let)) => match names.constant(name)? {
                Const::Bool(b) => Some(Ir::Const(b)),
                other => not_a_condition(sink, o.span, name, &other.type_name()),
            },
            (None, Some(DefKind::Scope)) => {
                sink.push(
                    sink.diag(
                        Code::E0207,
                        o.span,
                        format!("`{name}` is a scope: scopes describe assets, not images"),
                        "scope used in a trust rule",
                    )
                    .help(format!(
                        "use it in the policy's `scope` clause: `scope {name}`"
                    )),
                );
                None
            }
            (None, Some(DefKind::Key)) => {
                sink.push(
                    sink.diag(
                        Code::E0207,
                        o.span,
                        format!("`{name}` is a key, not a condition"),
                        "key used as a condition",
                    )
                    .help(format!("write `signed by {name}`")),
                );
                None
            }
            (None, Some(DefKind::TrustRoot)) => {
                sink.push(
                    sink.diag(
                        Code::E0207,
                        o.span,
                        format!("`{name}` is a trust root, not a condition"),
                        "trust root used as a condition",
                    )
                    .help("sign by a keyless signer anchored in it: `signed by KEY`"),
                );
                None
            }
            (None, None) if ASSET_TYPES.contains(&name.as_str()) => {
                sink.push(
                    sink.diag(
                        Code::E0311,
                        o.span,
                        format!("`{name}` is an asset type, not a condition on the image"),
                        "asset type used in a trust rule",
                    )
                    .help(format!(
                        "compare the asset in the policy's scope: `scope asset == {name}`"
                    )),
                );
                None
            }
            (None, None) => {
                unknown_name(
                    names,
                    sink,
                    name,
                    o.span,
                    &[DefKind::Let],
                    &Position::Trust.attr_names(),
                );
                None
            }
        },
        _ => not_a_condition(sink, o.span, &describe_operand(o), operand_type(o)),
    }
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
        OperandKind::Index { base, key } => format!("{}[\"{}\"]", base.name, key.value),
        OperandKind::Call { func, args, fields } => {
            let args: Vec<String> = args.iter().map(describe_operand).collect();
            let mut s = format!("{}({})", func.name, args.join(", "));
            for f in fields {
                s.push('.');
                s.push_str(&f.name);
            }
            s
        }
    }
}

fn operand_type(o: &Operand) -> &'static str {
    match &o.kind {
        OperandKind::Str(_) => "string",
        OperandKind::Int(_) => "int",
        OperandKind::Duration(_) => "duration",
        OperandKind::Bool(_) => "bool",
        OperandKind::List(_) => "list",
        OperandKind::Name(_) => "name",
        OperandKind::Index { .. } => "string",
        OperandKind::Call { .. } => "attribute",
    }
}

/// The left side of a comparison: an attribute of this side, or `labels["k"]`.
fn lhs_attribute(
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
        OperandKind::Index { base, key } if base.name == "labels" => {
            // INVARIANT: `labels` is in the attribute table.
            attribute("labels").map(|a| (a, Some(key.value.clone())))
        }
        OperandKind::Call { .. } => {
            attestation_in_scope(sink, lhs);
            None
        }
        OperandKind::Index { base, .. } => {
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

fn rhs_value(names: &mut dyn Names, sink: &mut Sink, rhs: &Operand) -> Option<Value> {
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

fn value_type(v: &Value) -> String {
    match v {
        Value::Const(c) => c.type_name(),
        Value::Asset(_) => "asset-type".into(),
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

pub(super) fn globs(sink: &mut Sink, pats: Vec<(String, Span)>) -> Option<Vec<Glob>> {
    parse_each(
        sink,
        pats,
        (Code::E0305, "pattern", &|_| "here".into()),
        "`*` matches within one path component, `**` across `/`, `?` one character",
        |_, p, _| Glob::parse(p).map_err(|e| (e.position, e.message)),
    )
}

/// Parses every literal with `parse`, reporting each failure under its offending character;
/// `None` when any failed. `parse` gets the sink too, for warnings about literals that parse.
fn parse_each<T>(
    sink: &mut Sink,
    literals: Vec<(String, Span)>,
    (code, what, label): (Code, &str, &dyn Fn(usize) -> String),
    help: &str,
    mut parse: impl FnMut(&mut Sink, &str, Span) -> Result<T, (usize, String)>,
) -> Option<Vec<T>> {
    let mut ok = true;
    let mut out = Vec::with_capacity(literals.len());
    for (literal, span) in literals {
        match parse(sink, &literal, span) {
            Ok(value) => out.push(value),
            Err((position, message)) => {
                sink.push(
                    sink.diag(
                        code,
                        char_span(sink, span, position),
                        format!("invalid {what} `{literal}`: {message}"),
                        label(position),
                    )
                    .help(help.to_owned()),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Narrows a string literal's span to its `position`-th character (1-based) when the literal
/// has no escapes, so the label sits under the offending character.
fn char_span(sink: &Sink, span: Span, position: usize) -> Span {
    let Some(text) = sink.text.get(span.start..span.end) else {
        return span;
    };
    if !text.starts_with('"') || text.contains('\\') || position == 0 {
        return span;
    }
    let body = &text[1..text.len().saturating_sub(1)];
    match body.char_indices().nth(position - 1) {
        Some((i, c)) => Span::new(span.start + 1 + i, span.start + 1 + i + c.len_utf8()),
        None => span,
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
            let op = if op == CompareOp::Eq {
                EqOp::Eq
            } else {
                EqOp::Ne
            };
            Some(Ir::Atom(AssetAtom::Str { attr: a, op, value }))
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

fn trust_compare(
    sink: &mut Sink,
    attr: &'static Attribute,
    label: Option<String>,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
) -> Option<Ir<ImageAtom>> {
    let name = attr.name;
    match attr.ty {
        AttrType::Reference => {
            if op != CompareOp::Matches {
                bad_operator(
                    sink,
                    name,
                    "reference",
                    op,
                    op_span,
                    "write `image matches \"registry/repository:tag\"`, or compare `registry`, `repository`, `tag` or `digest`",
                );
                return None;
            }
            let pats = patterns(sink, name, &v, rhs)?;
            Some(Ir::Atom(ImageAtom::RefMatches {
                attr: RefAttr::Image,
                patterns: ref_patterns(sink, pats)?,
            }))
        }
        AttrType::BaseReference => match op {
            CompareOp::Eq | CompareOp::Ne => {
                let value = strings(sink, name, &v, rhs, false)?.pop()?;
                let value = normalise_reference(sink, &value, rhs.span)?;
                let op = if op == CompareOp::Eq {
                    EqOp::Eq
                } else {
                    EqOp::Ne
                };
                Some(Ir::Atom(ImageAtom::BaseEq { op, value }))
            }
            CompareOp::In => {
                let values = strings(sink, name, &v, rhs, true)?;
                warn_globs_in(sink, name, &values, rhs);
                let spans = element_spans(rhs, values.len());
                let normalised: Option<Vec<String>> = values
                    .iter()
                    .zip(spans)
                    .map(|(s, span)| normalise_reference(sink, s, span))
                    .collect();
                Some(Ir::Atom(ImageAtom::BaseIn {
                    values: normalised?,
                }))
            }
            CompareOp::Matches => {
                let pats = patterns(sink, name, &v, rhs)?;
                Some(Ir::Atom(ImageAtom::RefMatches {
                    attr: RefAttr::Base,
                    patterns: ref_patterns(sink, pats)?,
                }))
            }
            _ => {
                bad_operator(sink, name, "reference", op, op_span, string_ops_help());
                None
            }
        },
        AttrType::Bool => {
            let atom = ImageAtom::Bool(if name == "pinned" {
                ImageBoolAttr::Pinned
            } else {
                ImageBoolAttr::Scanned
            });
            bool_comparison(sink, name, op, op_span, v, rhs, atom)
        }
        AttrType::Int => {
            let severity = match name {
                "vulns.critical" => VulnSeverity::Critical,
                "vulns.high" => VulnSeverity::High,
                "vulns.medium" => VulnSeverity::Medium,
                _ => VulnSeverity::Low,
            };
            int_comparison(sink, name, op, op_span, v, rhs, |op, value| {
                ImageAtom::Vulns {
                    severity,
                    op,
                    value,
                }
            })
        }
        AttrType::Duration => {
            let op = ordering(sink, name, "duration", op, op_span)?;
            match v {
                Value::Const(Const::Duration(seconds)) => {
                    Some(Ir::Atom(ImageAtom::ScanAge { op, seconds }))
                }
                v => {
                    mismatch(sink, name, "duration", &v, rhs);
                    None
                }
            }
        }
        AttrType::Str | AttrType::AssetType => {
            let a = match (name, label) {
                (_, Some(k)) => ImageStrAttr::Label(k),
                ("registry", None) => ImageStrAttr::Registry,
                ("repository", None) => ImageStrAttr::Repository,
                ("tag", None) => ImageStrAttr::Tag,
                ("digest", None) => ImageStrAttr::Digest,
                _ => ImageStrAttr::Scanner,
            };
            // Registries are host names, compared case-insensitively (docs/spec-map.md#details).
            let fold = |s: String| {
                if a == ImageStrAttr::Registry {
                    s.to_ascii_lowercase()
                } else {
                    s
                }
            };
            match op {
                CompareOp::Eq | CompareOp::Ne => {
                    let value = fold(strings(sink, name, &v, rhs, false)?.pop()?);
                    if a == ImageStrAttr::Digest {
                        check_digest(sink, &value, rhs.span)?;
                    }
                    let op = if op == CompareOp::Eq {
                        EqOp::Eq
                    } else {
                        EqOp::Ne
                    };
                    Some(Ir::Atom(ImageAtom::Str { attr: a, op, value }))
                }
                CompareOp::In => {
                    let values: Vec<String> = strings(sink, name, &v, rhs, true)?
                        .into_iter()
                        .map(fold)
                        .collect();
                    warn_globs_in(sink, name, &values, rhs);
                    if a == ImageStrAttr::Digest {
                        let spans = element_spans(rhs, values.len());
                        let bad = values
                            .iter()
                            .zip(spans)
                            .filter(|(d, span)| check_digest(sink, d, *span).is_none())
                            .count();
                        if bad > 0 {
                            return None;
                        }
                    }
                    Some(Ir::Atom(ImageAtom::In { attr: a, values }))
                }
                CompareOp::Matches => {
                    let pats: Vec<(String, Span)> = patterns(sink, name, &v, rhs)?
                        .into_iter()
                        .map(|(p, s)| (fold(p), s))
                        .collect();
                    Some(Ir::Atom(ImageAtom::Matches {
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
    }
}

fn element_spans(rhs: &Operand, n: usize) -> Vec<Span> {
    match &rhs.kind {
        OperandKind::List(items) if items.len() == n => items.iter().map(|i| i.span).collect(),
        _ => vec![rhs.span; n],
    }
}

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

fn check_digest(sink: &mut Sink, d: &str, span: Span) -> Option<()> {
    if is_valid_digest(d) {
        return Some(());
    }
    sink.push(
        sink.diag(
            Code::E0307,
            span,
            format!("invalid digest `{d}`"),
            "not a digest",
        )
        .help("a digest is `sha256:` with 64 lower-case hex digits, or `sha512:` with 128"),
    );
    None
}

fn normalise_reference(sink: &mut Sink, s: &str, span: Span) -> Option<String> {
    match Reference::parse(s) {
        Ok(r) => Some(r.to_string()),
        Err(e) => {
            sink.push(
                sink.diag(
                    Code::E0306,
                    char_span(sink, span, e.position),
                    format!("invalid image reference `{s}`: {}", e.message),
                    format!("at character {}", e.position),
                )
                .help("a reference is `[registry/]repository[:tag][@digest]`, repository in lower case"),
            );
            None
        }
    }
}

fn ref_patterns(sink: &mut Sink, pats: Vec<(String, Span)>) -> Option<Vec<ReferencePattern>> {
    parse_each(
        sink,
        pats,
        (Code::E0306, "reference pattern", &|at| {
            format!("at character {at}")
        }),
        "a reference pattern is `[registry/]repository[:tag][@digest]` with `*`, `**` or `?` wildcards",
        |sink, p, span| {
            let (pattern, normalised) =
                ReferencePattern::parse(p).map_err(|e| (e.position, e.message))?;
            if normalised.is_surprising() {
                let mut added = Vec::new();
                if normalised.added_registry {
                    added.push("`docker.io/`");
                }
                if normalised.added_library {
                    added.push("`library/`");
                }
                sink.push(
                    sink.diag(
                        Code::W0003,
                        span,
                        format!("pattern `{p}` is read as `{pattern}`"),
                        format!("{} added next to a wildcard", added.join(" and ")),
                    )
                    .help(format!(
                        "patterns are normalised like references; write `{pattern}` if that is what you mean, or name the registry (`registry.example.com/…`)"
                    )),
                );
            }
            Ok(pattern)
        },
    )
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
