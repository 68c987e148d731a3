//! Document symbols (the outline: every item, and a policy's `scope` and `trust` clauses as its
//! children) and workspace symbols (every item of the policy set whose name contains the
//! query, case-insensitively).

use bona_compiler::db::SourceFile;
use bona_compiler::syntax::ast::{Action, ClauseKind, Item};
use bona_compiler::syntax::parse;
use bona_compiler::syntax::span::Span;
use salsa::Database;
use tower_lsp_server::ls_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, Location, SymbolInformation,
    SymbolKind, WorkspaceSymbolParams, WorkspaceSymbolResponse,
};

use crate::convert::LineIndex;
use crate::session::Snapshot;

/// Workspace symbol answers stop at this many (a 10,000-policy set matches a lot of `a`s).
pub const MAX_WORKSPACE_SYMBOLS: usize = 1_000;

/// Name, kind and detail of an item, as the outline shows it.
fn describe(item: &Item) -> Option<(String, SymbolKind, Option<String>)> {
    Some(match item {
        Item::Let(l) => (
            l.name.name.clone(),
            SymbolKind::CONSTANT,
            Some("let".into()),
        ),
        Item::Key(k) => (k.name.name.clone(), SymbolKind::KEY, Some("key".into())),
        Item::Keyless(k) => (
            k.name.name.clone(),
            SymbolKind::KEY,
            Some("key, keyless".into()),
        ),
        Item::TrustRoot(t) => (
            t.name.name.clone(),
            SymbolKind::PACKAGE,
            Some("trustroot".into()),
        ),
        Item::Scope(s) => (
            s.name.name.clone(),
            SymbolKind::NAMESPACE,
            Some("scope".into()),
        ),
        Item::Policy(p) => {
            let action = p.clauses.iter().find_map(|c| match &c.kind {
                ClauseKind::Action(Action::Prevent, _) => Some("policy, prevent".to_owned()),
                ClauseKind::Action(Action::Issue, _) => Some("policy, issue".to_owned()),
                _ => None,
            });
            (
                p.name.value.clone(),
                SymbolKind::OBJECT,
                Some(action.unwrap_or_else(|| "policy".into())),
            )
        }
        Item::Test(t) => (t.name.value.clone(), SymbolKind::EVENT, Some("test".into())),
        Item::Error(_) => return None,
    })
}

/// One line of a clause's text, whitespace collapsed, at most 80 characters.
fn one_line(text: &str, span: Span) -> String {
    let s: Vec<&str> = text
        .get(span.range())
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let s = s.join(" ");
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// Answers `textDocument/documentSymbol`.
pub fn document(snap: &Snapshot, params: &DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let file = snap.file(&params.text_document.uri)?;
    let db = snap.db();
    let text = file.text(db);
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for item in &parse(db, file).file.items {
        let Some((name, kind, detail)) = describe(item) else {
            continue;
        };
        let children = match item {
            Item::Policy(p) => Some(
                p.clauses
                    .iter()
                    .filter(|c| matches!(c.kind, ClauseKind::Scope(_) | ClauseKind::Trust(_)))
                    .map(|c| {
                        symbol(
                            one_line(text, c.span),
                            SymbolKind::FIELD,
                            None,
                            &index,
                            c.span,
                            c.span,
                            None,
                        )
                    })
                    .collect(),
            ),
            _ => None,
        };
        out.push(symbol(
            name,
            kind,
            detail,
            &index,
            item.span(),
            item.name_span(),
            children,
        ));
    }
    Some(DocumentSymbolResponse::Nested(out))
}

#[allow(deprecated)] // `deprecated` must be written even though it is deprecated.
fn symbol(
    name: String,
    kind: SymbolKind,
    detail: Option<String>,
    index: &LineIndex,
    span: Span,
    name_span: Span,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: index.range(span),
        selection_range: index.range(name_span),
        children,
    }
}

/// Answers `workspace/symbol`.
pub fn workspace(
    snap: &Snapshot,
    params: &WorkspaceSymbolParams,
) -> Option<WorkspaceSymbolResponse> {
    let db = snap.db();
    let query = params.query.to_lowercase();
    let mut out = Vec::new();
    'files: for file in snap.files.files() {
        snap.db.unwind_if_revision_cancelled();
        let Some(uri) = snap.uri(file) else { continue };
        let mut index: Option<LineIndex> = None;
        for item in &parse(db, file).file.items {
            let Some((name, kind, _)) = describe(item) else {
                continue;
            };
            if !name.to_lowercase().contains(&query) {
                continue;
            }
            if out.len() == MAX_WORKSPACE_SYMBOLS {
                break 'files;
            }
            let index = index.get_or_insert_with(|| LineIndex::new(file.text(db)));
            out.push(information(
                name,
                kind,
                Location::new(uri.clone(), index.range(item.name_span())),
                file_name(snap, file),
            ));
        }
    }
    Some(WorkspaceSymbolResponse::Flat(out))
}

#[allow(deprecated)] // `deprecated` must be written even though it is deprecated.
fn information(
    name: String,
    kind: SymbolKind,
    location: Location,
    container: String,
) -> SymbolInformation {
    SymbolInformation {
        name,
        kind,
        tags: None,
        deprecated: None,
        location,
        container_name: Some(container),
    }
}

fn file_name(snap: &Snapshot, file: SourceFile) -> String {
    let path = file.path(snap.db());
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
