//! Formatting: the editor's text through the same function as `bona fmt`
//! ([`bona_compiler::fmt::format`]), so the result is byte-identical.
//!
//! The answer is one edit replacing the whole document (none when it is already formatted).
//! A file with syntax errors is not formatted (the formatter refuses it rather than drop the
//! text it could not parse): the answer is no edit, and the diagnostics say why. The layout
//! is a property of the whole file, so range formatting formats the document when the range
//! covers all of it, and otherwise answers no edit.

use tower_lsp_server::ls_types::{DocumentRangeFormattingParams, Range, TextEdit, Uri};

use crate::convert::LineIndex;
use crate::session::Snapshot;

/// Answers `textDocument/formatting`.
pub fn document(snap: &Snapshot, uri: &Uri) -> Option<Vec<TextEdit>> {
    let file = snap.file(uri)?;
    let text = file.text(snap.db());
    let Ok(formatted) = bona_compiler::fmt::format(text) else {
        return Some(Vec::new());
    };
    if formatted == text {
        return Some(Vec::new());
    }
    let index = LineIndex::new(text);
    Some(vec![TextEdit::new(
        Range::new(index.position(0), index.end()),
        formatted,
    )])
}

/// Answers `textDocument/rangeFormatting`.
pub fn range(snap: &Snapshot, params: &DocumentRangeFormattingParams) -> Option<Vec<TextEdit>> {
    let file = snap.file(&params.text_document.uri)?;
    let text = file.text(snap.db());
    let index = LineIndex::new(text);
    let span = index.span(params.range);
    // Whitespace outside the range does not matter: the formatter drops it anyway.
    let covers = text[..span.start()].trim().is_empty() && text[span.end()..].trim().is_empty();
    if covers {
        document(snap, &params.text_document.uri)
    } else {
        Some(Vec::new())
    }
}
