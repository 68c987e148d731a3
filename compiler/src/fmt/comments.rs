//! The comment table: every comment of the file, in source order, with the two facts about
//! its position that decide how it is printed (is it alone on its line? is there a blank line
//! above it?), a cursor that hands each comment out exactly once, and the position queries
//! the layout uses to decide which constructs a comment forces onto several lines.
//!
//! Every query here is a pure function of byte positions in the source, never of what has
//! been printed so far: that is what makes the layout decisions the same on the formatter's
//! own output as on its input (idempotence).

use std::ops::Range;

use crate::syntax::lexer::Trivia;

/// One comment, as the printer needs it.
#[derive(Debug, Clone)]
pub(super) struct Comment {
    pub start: usize,
    /// The comment as it is printed: the marker (`#` or `##`) and the text verbatim.
    pub text: String,
    pub doc: bool,
    /// Nothing but whitespace before it on its line (otherwise it trails some code).
    pub own_line: bool,
    /// An empty line separates it from what precedes it.
    pub blank_before: bool,
}

/// The comments of one file and the cursor over them.
pub(super) struct Comments {
    list: Vec<Comment>,
    next: usize,
}

impl Comments {
    pub(super) fn new(src: &str, trivia: &[Trivia]) -> Comments {
        let mut list: Vec<Comment> = trivia
            .iter()
            .map(|t| Comment {
                start: t.span.start(),
                text: format!("{}{}", if t.doc { "##" } else { "#" }, t.text),
                doc: t.doc,
                own_line: alone_on_line(src, t.span.start()),
                blank_before: blank_line_before(src, t.span.start()),
            })
            .collect();
        list.sort_by_key(|c| c.start);
        Comments { list, next: 0 }
    }

    /// The comment with index `i` (as returned by [`Comments::take_before`]).
    pub(super) fn get(&self, i: usize) -> &Comment {
        // INVARIANT: indices only come from `take_before`, which stays within the list.
        &self.list[i]
    }

    /// Hands out every comment not yet handed out that starts before `pos`.
    pub(super) fn take_before(&mut self, pos: usize) -> Range<usize> {
        let end = self.list.partition_point(|c| c.start < pos).max(self.next);
        let taken = self.next..end;
        self.next = end;
        taken
    }

    /// Whether some comment (handed out or not) starts in `[from, to)`.
    pub(super) fn any_in(&self, from: usize, to: usize) -> bool {
        let i = self.list.partition_point(|c| c.start < from);
        self.list.get(i).is_some_and(|c| c.start < to)
    }
}

/// Whether only whitespace precedes `pos` on its line.
fn alone_on_line(src: &str, pos: usize) -> bool {
    let before = src.get(..pos).unwrap_or("");
    before
        .bytes()
        .rev()
        .take_while(|&b| b != b'\n')
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\x0c'))
}

/// Whether the whitespace right before `pos` holds an empty line (two line breaks or more).
pub(super) fn blank_line_before(src: &str, pos: usize) -> bool {
    let before = src.get(..pos).unwrap_or("");
    before
        .bytes()
        .rev()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c'))
        .filter(|&b| b == b'\n')
        .count()
        >= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::lexer::lex;

    #[test]
    fn positions() {
        let src = "let a = 1 # t\n\n# own\n## doc\nlet b = 2\n";
        let c = Comments::new(src, &lex(src).trivia);
        let all: Vec<(bool, bool, &str)> = c
            .list
            .iter()
            .map(|c| (c.own_line, c.blank_before, c.text.as_str()))
            .collect();
        assert_eq!(
            all,
            vec![
                (false, false, "# t"),
                (true, true, "# own"),
                (true, false, "## doc")
            ]
        );
        assert!(c.any_in(0, 11));
        assert!(!c.any_in(0, 10));
    }

    #[test]
    fn cursor_hands_out_once() {
        let src = "# a\n# b\nlet x = 1 # c\n";
        let mut c = Comments::new(src, &lex(src).trivia);
        assert_eq!(c.take_before(8), 0..2);
        assert_eq!(c.take_before(3), 2..2);
        assert_eq!(c.take_before(usize::MAX), 2..3);
        assert_eq!(c.get(2).text, "# c");
    }
}
