//! Text synchronisation: applying the client's `didChange` events to a document's text.
//!
//! The server asks for incremental sync, so most events carry a range (line and UTF-16
//! character, relative to the text as left by the previous event of the same notification) and
//! the replacement text; an event without a range replaces the whole document. Ranges are
//! clamped by [`LineIndex`](crate::convert::LineIndex), so a client that sends a range past the
//! end edits at the end rather than crashing the server.

use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use crate::convert::LineIndex;

/// Applies `changes` in order to `text`.
pub fn apply_changes(text: &mut String, changes: &[TextDocumentContentChangeEvent]) {
    for change in changes {
        match change.range {
            None => change.text.clone_into(text),
            Some(range) => {
                let span = LineIndex::new(text).span(range);
                text.replace_range(span.range(), &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tower_lsp_server::ls_types::{Position, Range};

    use super::*;

    fn edit(range: Option<((u32, u32), (u32, u32))>, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range
                .map(|((a, b), (c, d))| Range::new(Position::new(a, b), Position::new(c, d))),
            range_length: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn incremental_edits_in_utf16() {
        let mut text = "let a = \"😀\"\nlet b = 1\n".to_owned();
        // Replace the `1` on line 1, then insert after the emoji (2 UTF-16 units) on line 0.
        apply_changes(
            &mut text,
            &[
                edit(Some(((1, 8), (1, 9))), "22"),
                edit(Some(((0, 11), (0, 11))), "x"),
            ],
        );
        assert_eq!(text, "let a = \"😀x\"\nlet b = 22\n");
        // A range past the end appends; a whole-document event replaces.
        apply_changes(&mut text, &[edit(Some(((9, 0), (9, 5))), "# end\n")]);
        assert!(text.ends_with("22\n# end\n"));
        apply_changes(&mut text, &[edit(None, "new")]);
        assert_eq!(text, "new");
        // Reversed ranges are ordered, not rejected.
        apply_changes(&mut text, &[edit(Some(((0, 3), (0, 0))), "")]);
        assert_eq!(text, "");
    }
}
