//! Go to definition and find references for `let`, `key` and `scope` names, across every file
//! of the policy set (names share one namespace, docs/language.md#items).

use bona_compiler::db::{SourceFile, Workspace};
use bona_compiler::syntax::span::Span;
use salsa::Database;
use tower_lsp_server::ls_types::{
    GotoDefinitionParams, GotoDefinitionResponse, Location, ReferenceParams,
    TextDocumentPositionParams,
};

use crate::analysis::{OccKind, Occurrence, definitions, occurrence_at, occurrences};
use crate::convert::LineIndex;
use crate::session::Snapshot;

/// The `let`/`key`/`scope` name at a position, with its file and line index.
pub fn name_at(
    snap: &Snapshot,
    at: &TextDocumentPositionParams,
) -> Option<(SourceFile, Occurrence)> {
    let file = snap.file(&at.text_document.uri)?;
    let db = snap.db();
    let index = LineIndex::new(file.text(db));
    let offset = index.offset(at.position);
    let occ = occurrence_at(occurrences(db, file), offset)?;
    occ.is_name().then(|| (file, occ.clone()))
}

/// Answers `textDocument/definition`: every definition of the name (two for a duplicate).
pub fn definition(
    snap: &Snapshot,
    params: &GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let (_, occ) = name_at(snap, &params.text_document_position_params)?;
    let locations: Vec<Location> = definitions(snap.db(), snap.ws, &occ.name)
        .into_iter()
        .filter_map(|(file, _, span)| location(snap, file, span))
        .collect();
    match locations.len() {
        0 => None,
        1 => locations
            .into_iter()
            .next()
            .map(GotoDefinitionResponse::Scalar),
        _ => Some(GotoDefinitionResponse::Array(locations)),
    }
}

/// Answers `textDocument/references`, in file and position order.
pub fn references(snap: &Snapshot, params: &ReferenceParams) -> Option<Vec<Location>> {
    let (_, occ) = name_at(snap, &params.text_document_position)?;
    let with_declaration = params.context.include_declaration;
    let found = all_occurrences(snap, snap.ws, &occ.name)
        .into_iter()
        .filter(|(_, o)| with_declaration || o.kind == OccKind::Reference)
        .filter_map(|(file, o)| location(snap, file, o.span))
        .collect();
    Some(found)
}

/// Every definition and use of a name in the workspace, in file and position order.
pub fn all_occurrences(
    snap: &Snapshot,
    ws: Workspace,
    name: &str,
) -> Vec<(SourceFile, Occurrence)> {
    let db = snap.db();
    let mut out = Vec::new();
    for &file in ws.files(db) {
        snap.db.unwind_if_revision_cancelled();
        out.extend(
            occurrences(db, file)
                .iter()
                .filter(|o| o.is_name() && o.name == name)
                .map(|o| (file, o.clone())),
        );
    }
    out
}

/// A location in a file of the workspace.
pub fn location(snap: &Snapshot, file: SourceFile, span: Span) -> Option<Location> {
    let uri = snap.uri(file)?;
    let index = LineIndex::new(file.text(snap.db()));
    Some(Location::new(uri, index.range(span)))
}
