//! Rename of `let`, `key` and `scope` names across the policy set.
//!
//! `prepareRename` refuses keywords and attributes with a message saying why (they are the
//! language's, not the user's), and answers nothing elsewhere outside a name. `rename` checks
//! the new name the way the compiler would (an identifier, not a keyword, not reserved for an
//! attribute or asset type, not already defined) so that a rename never introduces an error.

use std::collections::HashMap;

use bona_compiler::attributes::{KEYWORDS, attribute, is_reserved};
use bona_compiler::db::SourceFile;
use bona_compiler::resolve::symbols;
use bona_compiler::syntax::lexer::Token;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier, PrepareRenameResponse,
    RenameParams, TextDocumentEdit, TextDocumentPositionParams, TextEdit, Uri, WorkspaceEdit,
};

use crate::analysis::{occurrence_at, occurrences, token_at};
use crate::convert::LineIndex;
use crate::navigation::{all_occurrences, name_at};
use crate::session::Snapshot;

/// Answers `textDocument/prepareRename`.
pub fn prepare(
    snap: &Snapshot,
    at: &TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    let Some(file) = snap.file(&at.text_document.uri) else {
        return Ok(None);
    };
    let db = snap.db();
    let text = file.text(db);
    let index = LineIndex::new(text);
    let offset = index.offset(at.position);
    if let Some(occ) = occurrence_at(occurrences(db, file), offset) {
        if occ.is_name() {
            return Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
                range: index.range(occ.span),
                placeholder: occ.name.clone(),
            }));
        }
        if attribute(&occ.name).is_some() {
            return Err(Error::invalid_params(format!(
                "`{}` is an attribute of the language and cannot be renamed",
                occ.name
            )));
        }
        return Ok(None);
    }
    match token_at(text, offset) {
        Some((_, token)) if is_keyword(&token) => Err(Error::invalid_params(format!(
            "{token} is a keyword and cannot be renamed"
        ))),
        _ => Ok(None),
    }
}

fn is_keyword(token: &Token) -> bool {
    let word = token.to_string();
    KEYWORDS.iter().any(|(k, _)| word == format!("`{k}`"))
}

/// Answers `textDocument/rename`.
pub fn rename(
    snap: &Snapshot,
    params: &RenameParams,
    document_changes: bool,
) -> Result<Option<WorkspaceEdit>> {
    let Some((_, occ)) = name_at(snap, &params.text_document_position) else {
        return Err(Error::invalid_params("there is no name to rename here"));
    };
    let new = params.new_name.as_str();
    check_new_name(snap, &occ.name, new)?;
    let mut per_file: Vec<(SourceFile, Vec<TextEdit>)> = Vec::new();
    for (file, o) in all_occurrences(snap, snap.ws, &occ.name) {
        let index = LineIndex::new(file.text(snap.db()));
        let edit = TextEdit::new(index.range(o.span), new.to_owned());
        match per_file.last_mut() {
            Some((f, edits)) if *f == file => edits.push(edit),
            _ => per_file.push((file, vec![edit])),
        }
    }
    let with_uri: Vec<(Uri, SourceFile, Vec<TextEdit>)> = per_file
        .into_iter()
        .filter_map(|(f, e)| Some((snap.uri(f)?, f, e)))
        .collect();
    if document_changes {
        let edits = with_uri
            .into_iter()
            .map(|(uri, file, edits)| TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri,
                    version: snap.files.version(file),
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            })
            .collect();
        return Ok(Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(edits)),
            ..WorkspaceEdit::default()
        }));
    }
    let changes: HashMap<Uri, Vec<TextEdit>> = with_uri
        .into_iter()
        .map(|(uri, _, edits)| (uri, edits))
        .collect();
    Ok(Some(WorkspaceEdit::new(changes)))
}

fn check_new_name(snap: &Snapshot, old: &str, new: &str) -> Result<()> {
    let mut chars = new.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Err(Error::invalid_params(format!(
            "`{new}` is not a name: names are letters, digits and `_`, not starting with a digit"
        )));
    }
    if KEYWORDS.iter().any(|(k, _)| *k == new) {
        return Err(Error::invalid_params(format!("`{new}` is a keyword")));
    }
    if is_reserved(new) {
        return Err(Error::invalid_params(format!(
            "`{new}` is reserved: it names an attribute or an asset type"
        )));
    }
    if new != old && symbols(snap.db(), snap.ws).defs.contains_key(new) {
        return Err(Error::invalid_params(format!("`{new}` is already defined")));
    }
    Ok(())
}
