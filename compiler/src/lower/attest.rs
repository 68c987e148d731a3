//! The attestation attributes of docs/attestations.md: `attested(K, "T")`,
//! `provenance(K).FIELD`, `vuln(K).FIELD` and `predicate(K, "T", "PATH")`. The grammar accepts
//! any `FUNC(ARGS).FIELDS`, so every name below is checked here, where a typo can be given a
//! did-you-mean instead of a parse error.

use bona_runtime::ir::{AttestedField, Expr as Ir, IdentityTest, ImageAtom, KeyId, VulnSeverity};

use super::compare::{bool_comparison, int_comparison, ordering, patterns, strings, warn_globs_in};
use super::constant::lower_const;
use super::expr::Value;
use super::literals::globs;
use super::names::{Const, Names};
use super::report::{bad_operator, describe_operand, mismatch, not_a_condition, string_ops_help};
use super::signers::signer_ref;
use crate::attributes::{ATTESTATION_FUNCTIONS as FUNCTIONS, PROVENANCE_FIELDS, VULN_FIELDS};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::suggest;
use crate::syntax::ast::{Call, CompareOp, Ident, Operand, OperandKind};
use crate::syntax::span::Span;

/// A checked attestation attribute; `name` is as written, for messages.
pub(super) struct Attr {
    name: String,
    kind: AttrKind,
}

enum AttrKind {
    Attested(KeyId, String),
    Str(KeyId, AttestedField),
    Vulns(KeyId, VulnSeverity),
    ScanAge(KeyId),
}

/// Checks `FUNC(ARGS).FIELDS`, reporting every problem with it.
pub(super) fn attribute(names: &mut dyn Names, sink: &mut Sink, o: &Operand) -> Option<Attr> {
    let OperandKind::Call(call) = &o.kind else {
        return None;
    };
    let Call { func, args, fields } = &**call;
    let name = describe_operand(o);
    let (want_args, field_names): (usize, &[&str]) = match func.name.as_str() {
        "attested" => (2, &[]),
        "provenance" => (1, PROVENANCE_FIELDS),
        "vuln" => (1, VULN_FIELDS),
        "predicate" => (3, &[]),
        other => {
            let mut d = sink.diag(
                Code::E0203,
                func.span,
                format!("unknown function `{other}`"),
                "not an attestation function",
            );
            d = match suggest::closest(other, FUNCTIONS.iter().copied()) {
                Some(best) => d.did_you_mean(best),
                None => {
                    d.help("the functions are `attested`, `provenance`, `vuln` and `predicate`")
                }
            };
            sink.push(d);
            return None;
        }
    };
    if args.len() != want_args {
        let shape = match func.name.as_str() {
            "attested" => "attested(KEY, \"PREDICATE-TYPE\")",
            "predicate" => "predicate(KEY, \"PREDICATE-TYPE\", \"a.b.c\")",
            "provenance" => "provenance(KEY).builder",
            _ => "vuln(KEY).critical",
        };
        sink.push(
            sink.diag(
                Code::E0313,
                o.span,
                format!(
                    "`{}` takes {want_args} argument{}, found {}",
                    func.name,
                    if want_args == 1 { "" } else { "s" },
                    args.len()
                ),
                "wrong number of arguments",
            )
            .help(format!("write `{shape}`")),
        );
        return None;
    }
    let key = key_arg(names, sink, &args[0]);
    let strs: Vec<Option<String>> = args[1..]
        .iter()
        .map(|a| string_arg(names, sink, &func.name, a))
        .collect();
    let field = field_of(sink, func, fields, field_names, o.span);
    let key = key?;
    let strs: Option<Vec<String>> = strs.into_iter().collect();
    let mut strs = strs?.into_iter();
    let kind = match (func.name.as_str(), field?.as_deref()) {
        ("attested", _) => AttrKind::Attested(key, strs.next()?),
        ("predicate", _) => {
            let predicate_type = strs.next()?;
            let path = strs.next()?;
            AttrKind::Str(
                key,
                AttestedField::Predicate {
                    predicate_type,
                    path,
                },
            )
        }
        ("provenance", Some("builder")) => AttrKind::Str(key, AttestedField::Builder),
        ("provenance", Some("build_type")) => AttrKind::Str(key, AttestedField::BuildType),
        ("provenance", Some("source")) => AttrKind::Str(key, AttestedField::Source),
        ("provenance", Some("ref")) => AttrKind::Str(key, AttestedField::Ref),
        ("vuln", Some("scanner")) => AttrKind::Str(key, AttestedField::Scanner),
        ("vuln", Some("critical")) => AttrKind::Vulns(key, VulnSeverity::Critical),
        ("vuln", Some("high")) => AttrKind::Vulns(key, VulnSeverity::High),
        ("vuln", Some("medium")) => AttrKind::Vulns(key, VulnSeverity::Medium),
        ("vuln", Some("low")) => AttrKind::Vulns(key, VulnSeverity::Low),
        ("vuln", Some("scan.age")) => AttrKind::ScanAge(key),
        // INVARIANT: field_of only returns names from the function's list.
        _ => return None,
    };
    Some(Attr { name, kind })
}

/// The dotted field after the call: none for `attested`/`predicate`, one of `fields` otherwise.
fn field_of(
    sink: &mut Sink,
    func: &Ident,
    fields: &[Ident],
    known: &[&str],
    span: Span,
) -> Option<Option<String>> {
    let written: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let joined = written.join(".");
    let field_span = match (fields.first(), fields.last()) {
        (Some(a), Some(b)) => Span::new(a.span.start(), b.span.end()),
        _ => span,
    };
    if known.is_empty() {
        if fields.is_empty() {
            return Some(None);
        }
        sink.push(
            sink.diag(
                Code::E0312,
                field_span,
                format!("`{}(…)` has no fields", func.name),
                "unexpected field",
            )
            .help(format!("remove `.{joined}`")),
        );
        return None;
    }
    if known.contains(&joined.as_str()) {
        return Some(Some(joined));
    }
    let list = known
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if fields.is_empty() {
        sink.push(
            sink.diag(
                Code::E0312,
                span,
                format!("`{}(…)` needs a field", func.name),
                "expected `.FIELD`",
            )
            .help(format!("the fields are {list}")),
        );
        return None;
    }
    let mut d = sink.diag(
        Code::E0312,
        field_span,
        format!("unknown field `{joined}` of `{}(…)`", func.name),
        "not a field",
    );
    d = match suggest::closest(&joined, known.iter().copied()) {
        Some(best) => d.did_you_mean(best),
        None => d.help(format!("the fields are {list}")),
    };
    sink.push(d);
    None
}

fn key_arg(names: &mut dyn Names, sink: &mut Sink, arg: &Operand) -> Option<KeyId> {
    match &arg.kind {
        OperandKind::Name(n) => signer_ref(
            names,
            sink,
            &Ident {
                name: n.clone(),
                span: arg.span,
            },
        ),
        _ => {
            sink.push(
                sink.diag(
                    Code::E0313,
                    arg.span,
                    format!("expected a key, found `{}`", describe_operand(arg)),
                    "expected a key name",
                )
                .help("the first argument names the signer: `key release = file(\"release.pub\")`"),
            );
            None
        }
    }
}

fn string_arg(names: &mut dyn Names, sink: &mut Sink, func: &str, arg: &Operand) -> Option<String> {
    match lower_const(names, sink, arg)? {
        Const::Str(s) if !s.is_empty() => Some(s),
        Const::Str(_) => {
            sink.error(
                Code::E0313,
                arg.span,
                format!("`{func}` needs a non-empty string here"),
                "empty string",
            );
            None
        }
        other => {
            sink.push(
                sink.diag(
                    Code::E0301,
                    arg.span,
                    format!(
                        "mismatched types: this argument of `{func}` is a string, this is {}",
                        super::report::a(&other.type_name())
                    ),
                    format!("expected string, found {}", other.type_name()),
                )
                .help(
                    "write the predicate type as a string, e.g. \"https://slsa.dev/provenance/v1\"",
                ),
            );
            None
        }
    }
}

/// A bare attestation attribute in a trust rule: only `attested(…)` is a condition.
pub(super) fn condition(
    names: &mut dyn Names,
    sink: &mut Sink,
    o: &Operand,
) -> Option<Ir<ImageAtom>> {
    let attr = attribute(names, sink, o)?;
    match attr.kind {
        AttrKind::Attested(key, predicate_type) => Some(Ir::Atom(ImageAtom::Attested {
            key,
            predicate_type,
        })),
        AttrKind::Str(..) => not_a_condition(sink, o.span, &attr.name, "string"),
        AttrKind::Vulns(..) => not_a_condition(sink, o.span, &attr.name, "int"),
        AttrKind::ScanAge(_) => not_a_condition(sink, o.span, &attr.name, "duration"),
    }
}

/// `ATTR OP VALUE` for an attestation attribute.
pub(super) fn compare(
    sink: &mut Sink,
    attr: Attr,
    op: CompareOp,
    op_span: Span,
    v: Value,
    rhs: &Operand,
) -> Option<Ir<ImageAtom>> {
    let name = attr.name.as_str();
    match attr.kind {
        AttrKind::Attested(key, predicate_type) => bool_comparison(
            sink,
            name,
            op,
            op_span,
            v,
            rhs,
            ImageAtom::Attested {
                key,
                predicate_type,
            },
        ),
        AttrKind::Str(key, field) => {
            let test = match op {
                CompareOp::Eq => IdentityTest::Eq(strings(sink, name, &v, rhs, false)?.pop()?),
                CompareOp::Ne => IdentityTest::Ne(strings(sink, name, &v, rhs, false)?.pop()?),
                CompareOp::In => {
                    let values = strings(sink, name, &v, rhs, true)?;
                    warn_globs_in(sink, name, &values, rhs);
                    IdentityTest::In(values)
                }
                CompareOp::Matches => {
                    let pats = patterns(sink, name, &v, rhs)?;
                    IdentityTest::Matches(globs(sink, pats)?)
                }
                _ => {
                    bad_operator(sink, name, "string", op, op_span, string_ops_help());
                    return None;
                }
            };
            Some(Ir::Atom(ImageAtom::AttestedStr {
                key,
                field: Box::new(field),
                test: Box::new(test),
            }))
        }
        AttrKind::Vulns(key, severity) => {
            int_comparison(sink, name, op, op_span, v, rhs, |op, value| {
                ImageAtom::AttestedVulns {
                    key,
                    severity,
                    op,
                    value,
                }
            })
        }
        AttrKind::ScanAge(key) => {
            let op = ordering(sink, name, "duration", op, op_span)?;
            match v {
                Value::Const(Const::Duration(seconds)) => {
                    Some(Ir::Atom(ImageAtom::AttestedScanAge { key, op, seconds }))
                }
                v => {
                    mismatch(sink, name, "duration", &v, rhs);
                    None
                }
            }
        }
    }
}
