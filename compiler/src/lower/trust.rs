//! Trust rules: conditions on the image.

use bona_runtime::ir::{Expr as Ir, ImageAtom, ImageBoolAttr, ImageStrAttr, RefAttr, VulnSeverity};

use super::attest;
use super::compare::{
    bool_comparison, element_spans, eq_op, int_comparison, ordering, patterns, strings,
    warn_globs_in,
};
use super::expr::{Position, Value, lhs_attribute, rhs_value};
use super::literals::{check_digest, globs, normalise_reference, ref_patterns};
use super::names::{Const, DefKind, Names};
use super::report::{
    bad_operator, describe_operand, mismatch, not_a_condition, operand_type, string_ops_help,
    unknown_name, wrong_side,
};
use super::signers::{signed_by_n, signer_ref};
use crate::attributes::{ASSET_TYPES, AttrType, Attribute, Side, attribute};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::syntax::ast::{Compare, CompareOp, Expr, ExprKind, Operand, OperandKind};
use crate::syntax::span::Span;

pub(super) fn trust_leaf(
    names: &mut dyn Names,
    sink: &mut Sink,
    e: &Expr,
) -> Option<Ir<ImageAtom>> {
    match &e.kind {
        ExprKind::SignedBy(key) => {
            signer_ref(names, sink, key).map(|k| Ir::Atom(ImageAtom::SignedBy { key: k }))
        }
        ExprKind::SignedByN { n, n_span, keys } => {
            signed_by_n(names, sink, *n, *n_span, keys).map(Ir::Atom)
        }
        ExprKind::Operand(o) => trust_operand(names, sink, o),
        ExprKind::Compare(c) => {
            let Compare {
                lhs,
                op,
                op_span,
                rhs,
            } = &**c;
            if let OperandKind::Call(_) = lhs.kind {
                // Both sides are checked so that a bad key and a bad value are reported together.
                let attr = attest::attribute(names, sink, lhs);
                let value = rhs_value(names, sink, rhs)?;
                return attest::compare(sink, attr?, *op, *op_span, value, rhs);
            }
            let (attr, label) = lhs_attribute(names, sink, lhs, Position::Trust)?;
            let value = rhs_value(names, sink, rhs)?;
            trust_compare(sink, attr, label, *op, *op_span, value, rhs)
        }
        // INVARIANT: lower_bool handles the structural forms.
        ExprKind::Or(_) | ExprKind::And(_) | ExprKind::Not(_) | ExprKind::Paren(_) => None,
    }
}

/// A bare operand in a trust rule: `pinned`, `scanned`, or a boolean constant.
fn trust_operand(names: &mut dyn Names, sink: &mut Sink, o: &Operand) -> Option<Ir<ImageAtom>> {
    match &o.kind {
        OperandKind::Bool(b) => Some(Ir::Const(*b)),
        OperandKind::Call(_) => attest::condition(names, sink, o),
        OperandKind::Name(name) => match (attribute(name), names.kind(name)) {
            (Some(a), _) if a.side == Side::Scope => {
                wrong_side(sink, name, o.span, a);
                None
            }
            (Some(a), _) => match a.ty {
                AttrType::Bool => Some(Ir::Atom(ImageAtom::Bool(bool_attr(a.name)))),
                ty => not_a_condition(sink, o.span, name, ty.name()),
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

/// `ATTR OP VALUE` on the image: the attribute's type decides which operators and values it
/// takes.
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
        AttrType::Reference => image_matches(sink, name, op, op_span, v, rhs),
        AttrType::BaseReference if name == "declared_base" => {
            base_compare(sink, RefAttr::DeclaredBase, op, op_span, v, rhs)
        }
        AttrType::BaseReference => base_compare(sink, RefAttr::Base, op, op_span, v, rhs),
        AttrType::Bool => {
            let atom = ImageAtom::Bool(bool_attr(name));
            bool_comparison(sink, name, op, op_span, v, rhs, atom)
        }
        AttrType::Int => {
            let severity = vuln_severity(name);
            int_comparison(sink, name, op, op_span, v, rhs, |op, value| {
                ImageAtom::Vulns {
                    severity,
                    op,
                    value,
                }
            })
        }
        AttrType::Duration => scan_age_compare(sink, name, op, op_span, v, rhs),
        AttrType::Str | AttrType::AssetType => {
            let a = image_str_attr(name, label);
            string_compare(sink, name, a, op, op_span, v, rhs)
        }
    }
}

/// The boolean attribute `name` names.
fn bool_attr(name: &str) -> ImageBoolAttr {
    if name == "pinned" {
        ImageBoolAttr::Pinned
    } else {
        ImageBoolAttr::Scanned
    }
}

/// The severity a `vulns.*` attribute counts.
fn vuln_severity(name: &str) -> VulnSeverity {
    match name {
        "vulns.critical" => VulnSeverity::Critical,
        "vulns.high" => VulnSeverity::High,
        "vulns.medium" => VulnSeverity::Medium,
        _ => VulnSeverity::Low,
    }
}

/// The string attribute `name` (or `labels["k"]`) names.
fn image_str_attr(name: &str, label: Option<String>) -> ImageStrAttr {
    match (name, label) {
        (_, Some(k)) => ImageStrAttr::Label(k),
        ("registry", None) => ImageStrAttr::Registry,
        ("repository", None) => ImageStrAttr::Repository,
        ("tag", None) => ImageStrAttr::Tag,
        ("digest", None) => ImageStrAttr::Digest,
        _ => ImageStrAttr::Scanner,
    }
}

/// `image matches PATTERNS`: the only operator the whole reference takes.
fn image_matches(
    sink: &mut Sink,
    name: &str,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
) -> Option<Ir<ImageAtom>> {
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

/// `base == REF`, `declared_base in [REFS]`, `base matches PATTERNS`: references are
/// normalised, so `nginx` and `docker.io/library/nginx` compare equal.
fn base_compare(
    sink: &mut Sink,
    attr: RefAttr,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
) -> Option<Ir<ImageAtom>> {
    let name = attr.name();
    match op {
        CompareOp::Eq | CompareOp::Ne => {
            let value = strings(sink, name, &v, rhs, false)?.pop()?;
            let value = normalise_reference(sink, &value, rhs.span)?;
            Some(Ir::Atom(ImageAtom::RefEq {
                attr,
                op: eq_op(op),
                value,
            }))
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
            Some(Ir::Atom(ImageAtom::RefIn {
                attr,
                values: normalised?,
            }))
        }
        CompareOp::Matches => {
            let pats = patterns(sink, name, &v, rhs)?;
            Some(Ir::Atom(ImageAtom::RefMatches {
                attr,
                patterns: ref_patterns(sink, pats)?,
            }))
        }
        _ => {
            bad_operator(sink, name, "reference", op, op_span, string_ops_help());
            None
        }
    }
}

/// `scan.age OP DURATION`.
fn scan_age_compare(
    sink: &mut Sink,
    name: &str,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
) -> Option<Ir<ImageAtom>> {
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

/// `==`, `!=`, `in` and `matches` on a string attribute of the image. Registries are host
/// names, compared case-insensitively (docs/spec-map.md#details); digests must be valid.
fn string_compare(
    sink: &mut Sink,
    name: &str,
    a: ImageStrAttr,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
) -> Option<Ir<ImageAtom>> {
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
            Some(Ir::Atom(ImageAtom::Str {
                attr: a,
                op: eq_op(op),
                value,
            }))
        }
        CompareOp::In => {
            let values: Vec<String> = strings(sink, name, &v, rhs, true)?
                .into_iter()
                .map(fold)
                .collect();
            warn_globs_in(sink, name, &values, rhs);
            if a == ImageStrAttr::Digest && !digests_valid(sink, &values, rhs) {
                return None;
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

/// Checks every digest of an `in` list, reporting each invalid one; whether all are valid.
fn digests_valid(sink: &mut Sink, values: &[String], rhs: &Operand) -> bool {
    let spans = element_spans(rhs, values.len());
    let bad = values
        .iter()
        .zip(spans)
        .filter(|(d, span)| check_digest(sink, d, *span).is_none())
        .count();
    bad == 0
}
