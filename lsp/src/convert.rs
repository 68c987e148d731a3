//! Conversion at the protocol's edge: byte offsets (what the compiler speaks) to and from LSP
//! positions (line and UTF-16 code unit, what LSP 3.17 speaks by default), and compiler
//! diagnostics to LSP diagnostics.
//!
//! Positions from the client are clamped, never trusted: a line past the end means the end of
//! the text, a character past the end of its line means the end of that line, and a position
//! inside a surrogate pair or a multi-byte character snaps to the character's start. The LSP
//! specification asks servers to treat out-of-range characters that way, and it keeps every
//! later slice of the text on a character boundary.

use bona_compiler::codes::Severity;
use bona_compiler::db::{Db, SourceFile};
use bona_compiler::diagnostics::Diagnostic as CompilerDiagnostic;
use bona_compiler::syntax::span::Span;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, Uri,
};

/// Line starts of one text, for conversions in both directions.
#[derive(Debug, Clone)]
pub struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset where each line starts; the first is 0.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text`. Lines end at `\n` (a `\r` before it belongs to the line's text, as
    /// clients count it).
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The text indexed.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The LSP position of a byte offset (clamped to the text, snapped to a character start).
    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = utf16_len(self.text.get(start..offset).unwrap_or(""));
        Position::new(u32_of(line), u32_of(character))
    }

    /// The LSP range of a span.
    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start()), self.position(span.end()))
    }

    /// The byte offset of an LSP position, clamped as the module doc says.
    pub fn offset(&self, position: Position) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return self.text.len();
        };
        let end = self.line_end(line);
        let mut units = 0usize;
        let wanted = position.character as usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= wanted {
                return start + i;
            }
            units += c.len_utf16();
            if units > wanted {
                // Inside a surrogate pair: the character's start.
                return start + i;
            }
        }
        end
    }

    /// The span of an LSP range (start and end ordered).
    pub fn span(&self, range: Range) -> Span {
        let (a, b) = (self.offset(range.start), self.offset(range.end));
        Span::new(a.min(b), a.max(b))
    }

    /// The position just past the last character.
    pub fn end(&self) -> Position {
        self.position(self.text.len())
    }

    /// Where line `line`'s text ends (before its `\n`).
    fn line_end(&self, line: usize) -> usize {
        match self.starts.get(line + 1) {
            Some(&next) => next - 1,
            None => self.text.len(),
        }
    }
}

/// The UTF-16 length of a string.
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The largest character boundary at or before `i`.
pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Saturating `usize` → `u32` (LSP positions are `u32`; no real text reaches the limit).
pub fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How the language server names the files of diagnostics' related places.
pub trait UriOf {
    /// The URI of a file of the workspace.
    fn uri_of(&self, file: SourceFile) -> Option<Uri>;
}

/// Converts one compiler diagnostic. `index` is the line index of `d.file`; related places in
/// other files are indexed on the fly.
///
/// The message is the compiler's message, followed by `help: …` on a second line when the
/// diagnostic has a fix, so every client shows it; the label of each related place becomes
/// [`DiagnosticRelatedInformation`]. Code and source are `E0203` and `bona`, as `bona check`
/// prints them.
pub fn diagnostic(
    db: &dyn Db,
    uris: &dyn UriOf,
    index: &LineIndex,
    d: &CompilerDiagnostic,
) -> Diagnostic {
    let severity = match d.severity() {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
    };
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            let uri = uris.uri_of(r.file)?;
            let range = if r.file == d.file {
                index.range(r.span)
            } else {
                LineIndex::new(r.file.text(db)).range(r.span)
            };
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri, range),
                message: r.message.clone(),
            })
        })
        .collect();
    Diagnostic {
        range: index.range(d.span),
        severity: Some(severity),
        code: Some(NumberOrString::String(d.code.as_str().to_owned())),
        code_description: None,
        source: Some("bona".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_round_trip() {
        // `é` is 2 bytes / 1 unit, `😀` 4 bytes / 2 units.
        let text = "ab\né😀x\r\nlast";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(x), Position::new(1, 3));
        assert_eq!(idx.offset(Position::new(1, 3)), x);
        assert_eq!(idx.offset(Position::new(1, 1)), text.find('😀').unwrap());
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(idx.offset(Position::new(1, 2)), text.find('😀').unwrap());
        // Past the line's end (the `\r` counts as a character of the line).
        assert_eq!(idx.offset(Position::new(1, 99)), text.rfind('\n').unwrap());
        assert_eq!(idx.offset(Position::new(9, 0)), text.len());
        assert_eq!(idx.end(), Position::new(2, 4));
        // A byte offset inside a character snaps back.
        assert_eq!(
            idx.position(text.find('😀').unwrap() + 1),
            Position::new(1, 1)
        );
    }

    #[test]
    fn empty_text() {
        let idx = LineIndex::new("");
        assert_eq!(idx.position(5), Position::new(0, 0));
        assert_eq!(idx.offset(Position::new(3, 3)), 0);
    }
}
