//! The IR printed back in Bona's own syntax, for `bona table`, coverage reports and debugging.
//! Constants appear inlined and literals normalised, which is exactly what the runtime
//! evaluates, so the text shows what a policy *means* after compilation.

use std::fmt::{self, Write};

use crate::ir::{
    AssetAtom, AssetAttr, AssetKind, AttestedField, EqOp, Expr, ImageAtom, ImageBoolAttr,
    ImageStrAttr, KeyDef, KeyId, VulnSeverity,
};

/// A scope expression as text.
pub fn asset_expr(e: &Expr<AssetAtom>) -> String {
    let mut s = String::new();
    // INVARIANT: writing to a String cannot fail.
    let _ = expr(&mut s, e, &mut |out, a| asset_atom(out, a), 0);
    s
}

/// A trust rule as text; `keys` names the keys of `signed by`.
pub fn image_expr(e: &Expr<ImageAtom>, keys: &[KeyDef]) -> String {
    let mut s = String::new();
    let _ = expr(&mut s, e, &mut |out, a| image_atom(out, a, keys), 0);
    s
}

/// An image atom as text.
pub fn image_atom_text(a: &ImageAtom, keys: &[KeyDef]) -> String {
    let mut s = String::new();
    let _ = image_atom(&mut s, a, keys);
    s
}

type AtomWriter<'f, A> = dyn FnMut(&mut String, &A) -> fmt::Result + 'f;

/// Precedence levels: 0 or, 1 and, 2 not, 3 atom.
fn expr<A>(out: &mut String, e: &Expr<A>, atom: &mut AtomWriter<'_, A>, outer: u8) -> fmt::Result {
    let (level, text) = match e {
        Expr::Const(b) => (3, b.to_string()),
        Expr::Atom(a) => {
            let mut s = String::new();
            atom(&mut s, a)?;
            (3, s)
        }
        Expr::Not(inner) => {
            let mut s = String::from("not ");
            expr(&mut s, inner, atom, 2)?;
            (2, s)
        }
        Expr::And(parts) | Expr::Or(parts) => {
            let (level, word) = if matches!(e, Expr::Or(_)) {
                (0, " or ")
            } else {
                (1, " and ")
            };
            let mut s = String::new();
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    s.push_str(word);
                }
                expr(&mut s, p, atom, level + 1)?;
            }
            if parts.is_empty() {
                s.push_str(if level == 0 { "false" } else { "true" });
            }
            (level, s)
        }
    };
    if level < outer {
        write!(out, "({text})")
    } else {
        out.push_str(&text);
        Ok(())
    }
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

fn list(values: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = values.into_iter().collect();
    format!("[{}]", items.join(", "))
}

fn eq(op: EqOp) -> &'static str {
    match op {
        EqOp::Eq => "==",
        EqOp::Ne => "!=",
    }
}

fn asset_attr(a: &AssetAttr) -> String {
    match a {
        AssetAttr::Cloud => "cloud".into(),
        AssetAttr::Cluster => "cluster".into(),
        AssetAttr::Namespace => "namespace".into(),
        AssetAttr::Kind => "kind".into(),
        AssetAttr::Name => "name".into(),
        AssetAttr::Label(k) => format!("labels[{}]", quoted(k)),
    }
}

fn asset_atom(out: &mut String, a: &AssetAtom) -> fmt::Result {
    match a {
        AssetAtom::Type { op, value } => {
            let v = match value {
                AssetKind::Workload => "workload",
                AssetKind::Vm => "vm",
            };
            write!(out, "asset {} {v}", eq(*op))
        }
        AssetAtom::Str { attr, op, value } => {
            write!(out, "{} {} {}", asset_attr(attr), eq(*op), quoted(value))
        }
        AssetAtom::In { attr, values } => write!(
            out,
            "{} in {}",
            asset_attr(attr),
            list(values.iter().map(|v| quoted(v)))
        ),
        AssetAtom::Matches { attr, globs } => write!(
            out,
            "{} matches {}",
            asset_attr(attr),
            list(globs.iter().map(|g| quoted(g.as_str())))
        ),
    }
}

/// The attribute's name as written.
pub fn image_attr_name(a: &ImageStrAttr) -> String {
    match a {
        ImageStrAttr::Registry => "registry".into(),
        ImageStrAttr::Repository => "repository".into(),
        ImageStrAttr::Tag => "tag".into(),
        ImageStrAttr::Digest => "digest".into(),
        ImageStrAttr::Scanner => "scan.scanner".into(),
        ImageStrAttr::Label(k) => format!("labels[{}]", quoted(k)),
    }
}

fn image_atom(out: &mut String, a: &ImageAtom, keys: &[KeyDef]) -> fmt::Result {
    match a {
        ImageAtom::Str { attr, op, value } => {
            write!(
                out,
                "{} {} {}",
                image_attr_name(attr),
                eq(*op),
                quoted(value)
            )
        }
        ImageAtom::In { attr, values } => write!(
            out,
            "{} in {}",
            image_attr_name(attr),
            list(values.iter().map(|v| quoted(v)))
        ),
        ImageAtom::Matches { attr, globs } => write!(
            out,
            "{} matches {}",
            image_attr_name(attr),
            list(globs.iter().map(|g| quoted(g.as_str())))
        ),
        ImageAtom::BaseEq { op, value } => write!(out, "base {} {}", eq(*op), quoted(value)),
        ImageAtom::BaseIn { values } => {
            write!(out, "base in {}", list(values.iter().map(|v| quoted(v))))
        }
        ImageAtom::RefEq { attr, op, value } => {
            write!(out, "{} {} {}", attr.name(), eq(*op), quoted(value))
        }
        ImageAtom::RefIn { attr, values } => write!(
            out,
            "{} in {}",
            attr.name(),
            list(values.iter().map(|v| quoted(v)))
        ),
        ImageAtom::RefMatches { attr, patterns } => {
            write!(
                out,
                "{} matches {}",
                attr.name(),
                list(patterns.iter().map(|p| quoted(&p.to_string())))
            )
        }
        ImageAtom::Bool(ImageBoolAttr::Pinned) => out.write_str("pinned"),
        ImageAtom::Bool(ImageBoolAttr::Scanned) => out.write_str("scanned"),
        ImageAtom::Vulns {
            severity,
            op,
            value,
        } => {
            let s = match severity {
                VulnSeverity::Critical => "critical",
                VulnSeverity::High => "high",
                VulnSeverity::Medium => "medium",
                VulnSeverity::Low => "low",
            };
            write!(out, "vulns.{s} {} {value}", op.as_str())
        }
        ImageAtom::ScanAge { op, seconds } => {
            write!(out, "scan.age {} {}", op.as_str(), duration(*seconds))
        }
        ImageAtom::SignedBy { key } => write!(out, "signed by {}", key_name(*key, keys)),
        ImageAtom::Attested { key, .. }
        | ImageAtom::AttestedStr { key, .. }
        | ImageAtom::AttestedVulns { key, .. }
        | ImageAtom::AttestedScanAge { key, .. } => {
            let subject = attested_subject(a, &key_name(*key, keys)).unwrap_or_default();
            match a {
                ImageAtom::AttestedStr { test, .. } => write!(out, "{subject} {}", test.text()),
                ImageAtom::AttestedVulns { op, value, .. } => {
                    write!(out, "{subject} {} {value}", op.as_str())
                }
                ImageAtom::AttestedScanAge { op, seconds, .. } => {
                    write!(out, "{subject} {} {}", op.as_str(), duration(*seconds))
                }
                _ => out.write_str(&subject),
            }
        }
        ImageAtom::SignedByN { n, keys: ids } => write!(
            out,
            "signed by {n} of [{}]",
            ids.iter()
                .map(|k| key_name(*k, keys))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The left side of an attestation atom with the signer called `key`:
/// `attested(K, "TYPE")`, `provenance(K).builder`, `vuln(K).scan.age`,
/// `predicate(K, "TYPE", "a.b")`; `None` for other atoms.
pub fn attested_subject(a: &ImageAtom, key: &str) -> Option<String> {
    Some(match a {
        ImageAtom::Attested { predicate_type, .. } => {
            format!("attested({key}, {})", quoted(predicate_type))
        }
        ImageAtom::AttestedStr { field, .. } => match &**field {
            AttestedField::Builder => format!("provenance({key}).builder"),
            AttestedField::BuildType => format!("provenance({key}).build_type"),
            AttestedField::Source => format!("provenance({key}).source"),
            AttestedField::Ref => format!("provenance({key}).ref"),
            AttestedField::Scanner => format!("vuln({key}).scanner"),
            AttestedField::Predicate {
                predicate_type,
                path,
            } => format!(
                "predicate({key}, {}, {})",
                quoted(predicate_type),
                quoted(path)
            ),
        },
        ImageAtom::AttestedVulns { severity, .. } => {
            let s = match severity {
                VulnSeverity::Critical => "critical",
                VulnSeverity::High => "high",
                VulnSeverity::Medium => "medium",
                VulnSeverity::Low => "low",
            };
            format!("vuln({key}).{s}")
        }
        ImageAtom::AttestedScanAge { .. } => format!("vuln({key}).scan.age"),
        _ => return None,
    })
}

/// A signer's name, or `key#N` for an index the set does not define.
fn key_name(key: KeyId, keys: &[KeyDef]) -> String {
    usize::try_from(key)
        .ok()
        .and_then(|k| keys.get(k))
        .map_or_else(|| format!("key#{key}"), |k| k.name.clone())
}

/// A duration in the largest unit that divides it (`7d`, `90m`).
pub fn duration(seconds: u64) -> String {
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds >= size && seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{CmpOp, Expr};

    #[test]
    fn prints_with_minimal_parentheses() {
        let e: Expr<ImageAtom> = Expr::And(vec![
            Expr::Or(vec![
                Expr::Atom(ImageAtom::Bool(ImageBoolAttr::Pinned)),
                Expr::Atom(ImageAtom::Bool(ImageBoolAttr::Scanned)),
            ]),
            Expr::Not(Box::new(Expr::Atom(ImageAtom::ScanAge {
                op: CmpOp::Lt,
                seconds: 7 * 86_400,
            }))),
        ]);
        assert_eq!(
            image_expr(&e, &[]),
            "(pinned or scanned) and not scan.age < 1w"
        );
        let s = Expr::Atom(AssetAtom::Str {
            attr: AssetAttr::Label("team".into()),
            op: EqOp::Ne,
            value: "a\"b".into(),
        });
        assert_eq!(asset_expr(&s), "labels[\"team\"] != \"a\\\"b\"");
    }
}
