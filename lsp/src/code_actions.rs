//! Quick fixes for the diagnostics under the cursor, computed from the compiler's own
//! diagnostics of the file (not from what the client echoes back):
//!
//! - any diagnostic whose fix is an edit (E0203's "did you mean `x`?"): apply it;
//! - `W0001` (glob characters in an `in` list): turn `in [globs…]` into `matches [globs…]`;
//! - `E0320` (policy without `action`): add `action prevent` (preferred) or `action issue`.

use std::collections::HashMap;

use bona_compiler::codes::Code;
use bona_compiler::db::SourceFile;
use bona_compiler::syntax::ast::{ClauseKind, CompareOp, Expr, ExprKind, Item, Policy};
use bona_compiler::syntax::parse;
use bona_compiler::syntax::span::Span;
use bona_compiler::typeck::check_file;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    TextEdit, WorkspaceEdit,
};

use crate::convert::{self, LineIndex};
use crate::session::Snapshot;

/// Answers `textDocument/codeAction`.
pub fn actions(snap: &Snapshot, params: &CodeActionParams) -> Option<CodeActionResponse> {
    let uri = &params.text_document.uri;
    let file = snap.file(uri)?;
    let db = snap.db();
    let text = file.text(db);
    let index = LineIndex::new(text);
    let range = index.span(params.range);
    let mut out = Vec::new();
    let mut seen: Vec<Span> = Vec::new();
    for d in &check_file(db, snap.ws, file).diagnostics {
        if d.span.start() > range.end() || range.start() > d.span.end() {
            continue;
        }
        let fixes: Vec<(String, TextEdit, bool)> = match d.code {
            _ if d.replacement.is_some() => d
                .replacement
                .as_deref()
                .map(|name| {
                    let title = format!(
                        "Replace `{}` with `{name}`",
                        text.get(d.span.range()).unwrap_or("")
                    );
                    (
                        title,
                        TextEdit::new(index.range(d.span), name.to_owned()),
                        true,
                    )
                })
                .into_iter()
                .collect(),
            Code::W0001 => match in_comparison(snap, file, d.span) {
                Some(op) if !seen.contains(&op) => {
                    seen.push(op);
                    vec![(
                        "Use `matches` to compare with glob patterns".to_owned(),
                        TextEdit::new(index.range(op), "matches".to_owned()),
                        true,
                    )]
                }
                _ => Vec::new(),
            },
            Code::E0320 => missing_action(snap, file, &index, d.span),
            _ => Vec::new(),
        };
        if fixes.is_empty() {
            continue;
        }
        let lsp = convert::diagnostic(db, snap.files.as_ref(), &index, d);
        for (title, edit, preferred) in fixes {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp.clone()]),
                edit: Some(WorkspaceEdit::new(HashMap::from([(
                    uri.clone(),
                    vec![edit],
                )]))),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            }));
        }
    }
    Some(out)
}

/// The operator span of the `in` comparison whose list holds `span`.
fn in_comparison(snap: &Snapshot, file: SourceFile, span: Span) -> Option<Span> {
    fn walk(e: &Expr, span: Span) -> Option<Span> {
        match &e.kind {
            ExprKind::Or(es) | ExprKind::And(es) => es.iter().find_map(|e| walk(e, span)),
            ExprKind::Not(e) | ExprKind::Paren(e) => walk(e, span),
            ExprKind::Compare(c)
                if c.op == CompareOp::In
                    && c.rhs.span.start() <= span.start()
                    && span.end() <= c.rhs.span.end() =>
            {
                Some(c.op_span)
            }
            _ => None,
        }
    }
    parse(snap.db(), file)
        .file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Scope(s) => walk(&s.expr, span),
            Item::Policy(p) => p.clauses.iter().find_map(|c| match &c.kind {
                ClauseKind::Scope(e) | ClauseKind::Trust(e) => walk(e, span),
                _ => None,
            }),
            _ => None,
        })
}

/// Inserting `action prevent` / `action issue` into the policy named at `name`.
fn missing_action(
    snap: &Snapshot,
    file: SourceFile,
    index: &LineIndex,
    name: Span,
) -> Vec<(String, TextEdit, bool)> {
    let parsed = parse(snap.db(), file);
    let Some(p) = parsed.file.items.iter().find_map(|i| match i {
        Item::Policy(p) if p.name.span == name => Some(p),
        _ => None,
    }) else {
        return Vec::new();
    };
    let Some((at, template)) = insertion(index, p) else {
        return Vec::new();
    };
    ["prevent", "issue"]
        .iter()
        .enumerate()
        .map(|(i, action)| {
            (
                format!("Add `action {action}`"),
                TextEdit::new(
                    index.range(Span::new(at, at)),
                    template.replace("ACTION", action),
                ),
                i == 0,
            )
        })
        .collect()
}

/// Where a new clause goes, and its text with `ACTION` to fill in: on its own line before
/// the first clause when the policy is laid out on several lines, else right after `{`.
fn insertion(index: &LineIndex, p: &Policy) -> Option<(usize, String)> {
    let text = index.text();
    let brace = p.name.span.end() + text.get(p.name.span.end()..p.span.end())?.find('{')?;
    let line = |offset: usize| index.position(offset).line;
    match p.clauses.first() {
        Some(first) if line(first.span.start()) != line(brace) => {
            let line_start = text[..first.span.start()].rfind('\n').map_or(0, |i| i + 1);
            let indent = &text[line_start..first.span.start()];
            let indent = if indent.trim().is_empty() {
                indent
            } else {
                "  "
            };
            Some((line_start, format!("{indent}action ACTION\n")))
        }
        None if line(p.span.end().saturating_sub(1)) != line(brace) => {
            Some((brace + 1, "\n  action ACTION".to_owned()))
        }
        _ => Some((brace + 1, " action ACTION".to_owned())),
    }
}
