//! Syntax-level facts that several features share, computed on top of the compiler's `parse`
//! and `symbols` queries: where each name and attribute occurs in a file ([`occurrences`], a
//! salsa query of this crate, so it is computed once per revision of a file), what is at an
//! offset, where a name is defined, the `##` doc comment of an item, and the label keys that
//! the workspace's tests use.
//!
//! These work on whatever the parser recovered, so a file with syntax errors still answers
//! for the parts that parsed.

use std::collections::BTreeSet;

use bona_compiler::attributes::{ASSET_TYPES, attribute};
use bona_compiler::db::{Db, SourceFile, Workspace};
use bona_compiler::lower::DefKind;
use bona_compiler::resolve::symbols;
use bona_compiler::syntax::ast::{
    Call, ClauseKind, CompareOp, Expr, ExprKind, Ident, Item, KeylessClauseKind, Operand,
    OperandKind, TestClauseKind, Value, ValueKind,
};
use bona_compiler::syntax::lexer::{Token, lex};
use bona_compiler::syntax::parse;
use bona_compiler::syntax::parser::Parsed;
use bona_compiler::syntax::span::Span;

/// What an occurrence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OccKind {
    /// The name of a `let`, `key`, `trustroot` or `scope` item, where it is defined.
    Definition(DefKind),
    /// A name used in an expression (a constant, a named scope, or the key of `signed by`), or
    /// the trust root of a key's `root` or `tlog`.
    Reference,
    /// An identity attribute in a `keyless` block (`issuer`, `source_repository_uri`).
    Identity,
    /// An attribute (`registry`, `scan.age`, the `labels` of `labels["k"]`).
    Attribute,
    /// `workload` or `vm`.
    AssetType,
    /// A string literal used as a glob pattern (the right of `matches`).
    Pattern,
}

/// One name, attribute or pattern in a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Occurrence {
    /// Where it is written.
    pub span: Span,
    /// The name as written (`scan.age` for a dotted attribute); a pattern's value.
    pub name: String,
    /// What it is.
    pub kind: OccKind,
}

impl Occurrence {
    /// Whether this names a `let`, `key` or `scope` (defined or used).
    pub fn is_name(&self) -> bool {
        matches!(self.kind, OccKind::Definition(_) | OccKind::Reference)
    }
}

/// Every occurrence in a file, ordered by position.
#[salsa::tracked(returns(ref))]
pub fn occurrences(db: &dyn Db, file: SourceFile) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for item in &parse(db, file).file.items {
        match item {
            Item::Let(l) => {
                definition(&l.name, DefKind::Let, &mut out);
                operand(&l.value, false, &mut out);
            }
            Item::Key(k) => {
                definition(&k.name, DefKind::Key, &mut out);
                for o in k.options.iter().flat_map(|o| &o.options) {
                    reference(&o.name, &mut out);
                }
            }
            Item::Keyless(k) => {
                definition(&k.name, DefKind::Key, &mut out);
                for c in &k.clauses {
                    match &c.kind {
                        KeylessClauseKind::Word { name, .. } => reference(name, &mut out),
                        KeylessClauseKind::Constraint {
                            attr, op, value, ..
                        } => {
                            out.push(Occurrence {
                                span: attr.span,
                                name: attr.name.clone(),
                                kind: OccKind::Identity,
                            });
                            operand(value, *op == CompareOp::Matches, &mut out);
                        }
                        KeylessClauseKind::Error => {}
                    }
                }
            }
            Item::TrustRoot(t) => definition(&t.name, DefKind::TrustRoot, &mut out),
            Item::Scope(s) => {
                definition(&s.name, DefKind::Scope, &mut out);
                expr(&s.expr, &mut out);
            }
            Item::Policy(p) => {
                for c in &p.clauses {
                    if let ClauseKind::Scope(e) | ClauseKind::Trust(e) = &c.kind {
                        expr(e, &mut out);
                    }
                }
            }
            Item::Test(_) | Item::Error(_) => {}
        }
    }
    out.sort_by_key(|o| (o.span.start(), o.span.end()));
    out
}

fn definition(name: &Ident, kind: DefKind, out: &mut Vec<Occurrence>) {
    out.push(Occurrence {
        span: name.span,
        name: name.name.clone(),
        kind: OccKind::Definition(kind),
    });
}

fn reference(name: &Ident, out: &mut Vec<Occurrence>) {
    out.push(Occurrence {
        span: name.span,
        name: name.name.clone(),
        kind: OccKind::Reference,
    });
}

fn expr(e: &Expr, out: &mut Vec<Occurrence>) {
    match &e.kind {
        ExprKind::Or(es) | ExprKind::And(es) => es.iter().for_each(|e| expr(e, out)),
        ExprKind::Not(e) | ExprKind::Paren(e) => expr(e, out),
        ExprKind::Compare(c) => {
            operand(&c.lhs, false, out);
            operand(&c.rhs, c.op == CompareOp::Matches, out);
        }
        ExprKind::SignedBy(k) => reference(k, out),
        ExprKind::SignedByN { keys, .. } => keys.iter().for_each(|k| reference(k, out)),
        ExprKind::Operand(o) => operand(o, false, out),
    }
}

fn operand(o: &Operand, pattern: bool, out: &mut Vec<Occurrence>) {
    match &o.kind {
        OperandKind::Str(s) if pattern => out.push(Occurrence {
            span: o.span,
            name: s.clone(),
            kind: OccKind::Pattern,
        }),
        OperandKind::List(items) => items.iter().for_each(|i| operand(i, pattern, out)),
        OperandKind::Name(n) => out.push(Occurrence {
            span: o.span,
            name: n.clone(),
            kind: name_kind(n),
        }),
        OperandKind::Index(index) => out.push(Occurrence {
            span: index.base.span,
            name: index.base.name.clone(),
            kind: name_kind(&index.base.name),
        }),
        OperandKind::Call(call) => {
            let Call { func, args, fields } = &**call;
            out.push(Occurrence {
                span: func.span,
                name: func.name.clone(),
                kind: OccKind::Attribute,
            });
            args.iter().for_each(|a| operand(a, false, out));
            // Hover reads the field with its function, and each part of a dotted field as the
            // whole (`scan` in `vuln(K).scan.age` is `vuln.scan.age`).
            let path: String = std::iter::once(func.name.as_str())
                .chain(fields.iter().map(|f| f.name.as_str()))
                .collect::<Vec<_>>()
                .join(".");
            for f in fields {
                out.push(Occurrence {
                    span: f.span,
                    name: path.clone(),
                    kind: OccKind::Attribute,
                });
            }
        }
        _ => {}
    }
}

fn name_kind(name: &str) -> OccKind {
    if attribute(name).is_some() {
        OccKind::Attribute
    } else if ASSET_TYPES.contains(&name) {
        OccKind::AssetType
    } else {
        OccKind::Reference
    }
}

/// The occurrence at `offset` (its end counts, so a cursor just after a name finds it).
pub fn occurrence_at(occs: &[Occurrence], offset: usize) -> Option<&Occurrence> {
    let i = occs.partition_point(|o| o.span.start() <= offset);
    // Prefer the occurrence that starts at the offset over one that ends there.
    occs[..i]
        .iter()
        .rev()
        .take(2)
        .find(|o| o.span.start() <= offset && offset < o.span.end())
        .or_else(|| occs[..i].last().filter(|o| o.span.end() == offset))
}

/// The token at `offset` (a token ending at the offset counts when none starts there).
pub fn token_at(text: &str, offset: usize) -> Option<(Span, Token)> {
    let tokens = lex(text).tokens;
    let i = tokens.partition_point(|t| t.0 <= offset);
    let inside = i
        .checked_sub(1)
        .and_then(|j| tokens.get(j))
        .filter(|t| offset <= t.2);
    inside.map(|(s, t, e)| (Span::new(*s, *e), t.clone()))
}

/// The `##` doc comment right above the item starting at `start`, without the `##`.
pub fn doc_comment(parsed: &Parsed, text: &str, start: usize) -> Option<String> {
    let before = parsed.trivia.partition_point(|t| t.span.end() <= start);
    let mut lines = Vec::new();
    let mut pos = start;
    for t in parsed.trivia[..before].iter().rev() {
        let between = text.get(t.span.end()..pos).unwrap_or("x");
        if !t.doc || !between.trim().is_empty() || between.matches('\n').count() > 1 {
            break;
        }
        lines.push(t.text.strip_prefix(' ').unwrap_or(&t.text).to_owned());
        pos = t.span.start();
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// Every definition of a `let`/`key`/`trustroot`/`scope` name (more than one is a duplicate), with the
/// item's index in its file.
pub fn definitions(db: &dyn Db, ws: Workspace, name: &str) -> Vec<(SourceFile, usize, Span)> {
    let Some(defs) = symbols(db, ws).defs.get(name) else {
        return Vec::new();
    };
    defs.iter()
        .filter_map(|d| {
            let item = parse(db, d.file).file.items.get(d.item)?;
            Some((d.file, d.item, item.name_span()))
        })
        .collect()
}

/// Label keys that the workspace's test inputs use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelKeys {
    /// Keys of `asset.labels`.
    pub asset: BTreeSet<String>,
    /// Keys of `images[].facts.labels`.
    pub image: BTreeSet<String>,
}

/// The label keys of every test input of the workspace.
#[salsa::tracked(returns(ref))]
pub fn label_keys(db: &dyn Db, ws: Workspace) -> LabelKeys {
    let mut keys = LabelKeys::default();
    for &file in ws.files(db) {
        for item in &parse(db, file).file.items {
            let Item::Test(t) = item else { continue };
            for c in &t.clauses {
                let TestClauseKind::Input(v) = &c.kind else {
                    continue;
                };
                if let Some(labels) = field(v, "asset").and_then(|a| field(a, "labels")) {
                    keys.asset.extend(object_keys(labels));
                }
                if let Some(ValueKind::List(images)) = field(v, "images").map(|i| &i.kind) {
                    for image in images {
                        if let Some(labels) = field(image, "facts").and_then(|f| field(f, "labels"))
                        {
                            keys.image.extend(object_keys(labels));
                        }
                    }
                }
            }
        }
    }
    keys
}

fn field<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match &v.kind {
        ValueKind::Object(fields) => fields.iter().find(|f| f.key.value == key).map(|f| &f.value),
        _ => None,
    }
}

fn object_keys(v: &Value) -> Vec<String> {
    match &v.kind {
        ValueKind::Object(fields) => fields.iter().map(|f| f.key.value.clone()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use bona_compiler::syntax::parser::parse as parse_text;

    use super::*;

    #[test]
    fn doc_comments_attach_to_the_next_item_only() {
        let text = "## one\n## two\nlet a = 1\n## far\n\nlet b = 2\n# plain\nlet c = 3\n";
        let p = parse_text(text);
        let start = |n: &str| text.find(n).unwrap();
        assert_eq!(
            doc_comment(&p, text, start("let a")).as_deref(),
            Some("one\ntwo")
        );
        assert_eq!(doc_comment(&p, text, start("let b")), None);
        assert_eq!(doc_comment(&p, text, start("let c")), None);
    }

    #[test]
    fn tokens_and_occurrences_at_offsets() {
        let text = "scope s = cluster == \"a\"";
        assert!(matches!(token_at(text, 0), Some((_, Token::Scope))));
        assert!(matches!(token_at(text, 5), Some((_, Token::Scope))));
        assert!(matches!(token_at(text, 6), Some((_, Token::Ident(_)))));
        let occs = vec![
            Occurrence {
                span: Span::new(0, 3),
                name: "abc".into(),
                kind: OccKind::Reference,
            },
            Occurrence {
                span: Span::new(3, 5),
                name: "de".into(),
                kind: OccKind::Attribute,
            },
        ];
        assert_eq!(occurrence_at(&occs, 3).map(|o| o.name.as_str()), Some("de"));
        assert_eq!(occurrence_at(&occs, 5).map(|o| o.name.as_str()), Some("de"));
        assert_eq!(
            occurrence_at(&occs, 1).map(|o| o.name.as_str()),
            Some("abc")
        );
        assert_eq!(occurrence_at(&occs, 6), None);
    }
}
