//! The output buffer: a list of lines, each with its indentation and the comments that trail it.
//!
//! Lines stay separate until the very end because a comment sometimes arrives after its line is
//! finished: a comment that trailed code in the source is found only when the layout reaches the
//! next line, and is then attached to the last line of code. A line may collect several trailing
//! comments (one written after it, others that were inside the code the line holds); only one
//! can stay at the end of the line, so [`Printer::finish`] moves the earlier ones to their own
//! lines just above it, at the indentation a comment in that place gets on the next run.

use super::comments::Comments;

/// What a line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Code,
    Comment { doc: bool },
    Blank,
}

#[derive(Debug, Clone)]
struct Line {
    kind: Kind,
    indent: usize,
    text: String,
    /// Comments trailing the line (indices into [`Comments`]), in source order.
    trailing: Vec<usize>,
    /// Where comments moved above this line are indented: the line's own indentation, or one
    /// level deeper for a line that starts by closing a bracket (comments before a closing
    /// bracket belong inside it).
    above_indent: usize,
}

/// The output being built.
pub(super) struct Printer {
    lines: Vec<Line>,
    current: Option<Line>,
    /// End of the last source construct printed on the current line.
    src_pos: usize,
}

impl Printer {
    pub(super) fn new() -> Printer {
        Printer {
            lines: Vec::new(),
            current: None,
            src_pos: 0,
        }
    }

    /// Starts a line of code.
    pub(super) fn open(&mut self, indent: usize, above_indent: usize) {
        debug_assert!(self.current.is_none(), "a line is already open");
        self.current = Some(Line {
            kind: Kind::Code,
            indent,
            text: String::new(),
            trailing: Vec::new(),
            above_indent,
        });
    }

    /// Appends text to the open line.
    pub(super) fn push(&mut self, text: &str) {
        if let Some(line) = &mut self.current {
            line.text.push_str(text);
        }
    }

    /// Records that the source up to `pos` has been printed on the open line.
    pub(super) fn mark(&mut self, pos: usize) {
        self.src_pos = self.src_pos.max(pos);
    }

    /// The column where the next character goes (in characters).
    pub(super) fn column(&self) -> usize {
        self.current
            .as_ref()
            .map_or(0, |l| l.indent + l.text.chars().count())
    }

    /// The indentation of the open line.
    pub(super) fn indent(&self) -> usize {
        self.current.as_ref().map_or(0, |l| l.indent)
    }

    /// Whether the open line holds no text yet.
    pub(super) fn at_line_start(&self) -> bool {
        self.current.as_ref().is_none_or(|l| l.text.is_empty())
    }

    /// Finishes the open line. Comments that were inside the code it holds trail it.
    pub(super) fn close(&mut self, comments: &mut Comments) {
        if let Some(mut line) = self.current.take() {
            line.trailing.extend(comments.take_before(self.src_pos));
            self.lines.push(line);
        }
    }

    /// Attaches a comment to the end of the last line of code; false when there is none
    /// (the comment then goes on its own line).
    pub(super) fn attach_trailing(&mut self, comment: usize) -> bool {
        match self.lines.iter_mut().rev().find(|l| l.kind != Kind::Blank) {
            Some(line) if line.kind == Kind::Code => {
                line.trailing.push(comment);
                true
            }
            _ => false,
        }
    }

    /// Adds one empty line, unless the output is empty, already ends with one, or ends with a
    /// doc comment (which must stay directly above what it documents).
    pub(super) fn blank(&mut self) {
        if let Some(last) = self.lines.last()
            && matches!(last.kind, Kind::Code | Kind::Comment { doc: false })
        {
            self.lines.push(Line {
                kind: Kind::Blank,
                indent: 0,
                text: String::new(),
                trailing: Vec::new(),
                above_indent: 0,
            });
        }
    }

    /// Adds a comment on its own line.
    pub(super) fn comment_line(&mut self, indent: usize, comment: usize, comments: &Comments) {
        let c = comments.get(comment);
        self.lines.push(Line {
            kind: Kind::Comment { doc: c.doc },
            indent,
            text: c.text.clone(),
            trailing: Vec::new(),
            above_indent: indent,
        });
    }

    /// The finished text: one line per line, no trailing whitespace, one final newline (none
    /// for an empty file).
    pub(super) fn finish(mut self, comments: &mut Comments) -> String {
        self.close(comments);
        while self.lines.last().is_some_and(|l| l.kind == Kind::Blank) {
            self.lines.pop();
        }
        let mut out = String::new();
        for line in &self.lines {
            if let Some((last, above)) = line.trailing.split_last() {
                for &c in above {
                    push_line(&mut out, line.above_indent, &comments.get(c).text);
                }
                let text = format!("{} {}", line.text, comments.get(*last).text);
                push_line(&mut out, line.indent, text.trim_start());
            } else if line.kind == Kind::Blank {
                out.push('\n');
            } else {
                push_line(&mut out, line.indent, &line.text);
            }
        }
        out
    }
}

fn push_line(out: &mut String, indent: usize, text: &str) {
    let text = text.trim_end();
    if !text.is_empty() {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str(text);
    }
    out.push('\n');
}
