//! `bona fmt`: the one canonical layout of a `.trust` file (docs/language.md#linting), comments kept.
//!
//! # Design
//!
//! The formatter prints the syntax tree, not the tokens: every node has a span, `and`/`or`
//! chains are flat and explicit parentheses are `Paren` nodes, so the tree holds everything the
//! layout needs and nothing the author's whitespace could leak into it. Comments are not in the
//! tree; the lexer keeps them in a side table (trivia), and the layout hands each one out at the
//! first line break after it (the `layout` module explains the rule). Two facts about a comment decide
//! where it goes: whether it stood alone on its line or trailed code, and whether an empty line
//! preceded it. Both are read from the source, so the formatter's own output (where comments
//! stand where the formatter put them) yields the same decisions: formatting is idempotent.
//!
//! The formatter refuses a file with syntax errors ([`FormatError::Syntax`]): error recovery
//! drops tokens, and printing a recovered tree would delete the user's text. In debug builds
//! it also re-parses its own output and compares it with the input, modulo spans
//! ([`SpanlessEq`]), and compares the comments in order; a mismatch is a formatter bug and
//! comes back as [`FormatError::Internal`] rather than as a corrupted file (cedar's formatter
//! does the same).
//!
//! # The canonical layout
//!
//! - Items: exactly one empty line before and after every `policy` and `test` block. Between
//!   two declarations (`let`, `key`, `scope`) one empty line where the source had at least
//!   one, none where it had none, so groups of related declarations stay together.
//! - Blocks: `policy "NAME" {`, one clause per line indented by 2, `}`; clauses keep their
//!   order (comments are attached to them). Empty lines between clauses are kept (at most one),
//!   never right after `{` or before `}`. An empty block without comments is `{}`.
//! - Expressions: single spaces around operators, `not x`, `(x)` exactly where the source has
//!   parentheses. A clause whose line would pass 100 columns breaks its loosest chain before
//!   each operator, operands on continuation lines 4 deeper; an operand that still does not fit
//!   breaks in turn. Broken parentheses put `(` at the end of the line, the contents 4 deeper
//!   and `)` on its own line.
//! - Lists `[a, b]` and test input objects `{ key: value }` stay on one line when they fit,
//!   else one element per line with a trailing comma (4 deeper in expressions, 2 in test
//!   input), the closing bracket back at the opening line's indentation.
//! - Literals: strings re-escaped canonically ([`escape`]), durations as written (`7d`),
//!   integers in decimal, object keys quoted exactly when they were (or when they must be).
//! - Comments: kept verbatim (`#` or `##` and the text; trailing whitespace removed). A comment
//!   on its own line stays on its own line above the code that followed it, at that code's
//!   indentation; a comment after code stays at the end of that line, one space after it.
//!   A comment between the operands of a chain, or anywhere in a list, object or parentheses,
//!   keeps that construct broken so that the comment keeps its place; one inside a comparison
//!   moves to the end of the line. Comments before a block's `}` stay inside the block. A
//!   `##` doc comment is never separated from what follows by an empty line.
//! - Whitespace: no trailing whitespace, no empty line at the start or end, exactly one final
//!   newline (an empty file stays empty).
//!
//! [`escape`]: crate::syntax::lexer::escape

mod comments;
mod layout;
mod printer;

use std::fmt;

use crate::syntax::parser::{Parsed, SyntaxError, parse};
use crate::syntax::spanless::SpanlessEq;

use comments::Comments;
use layout::Layout;

/// Longest line the layout aims for, in characters. Only what cannot be broken (a long string,
/// a comparison of long operands, a comment) makes a longer line.
pub const MAX_WIDTH: usize = 100;

/// Why [`format`] returned no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file does not parse; these are its syntax errors (print them instead).
    Syntax(Vec<SyntaxError>),
    /// The formatter's self-check failed: its output would not mean what the input means.
    /// This is a bug in the formatter; the file must be left unchanged.
    Internal(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Syntax(errors) => write!(
                f,
                "cannot format a file with syntax errors ({} found)",
                errors.len()
            ),
            FormatError::Internal(why) => {
                write!(f, "internal formatter error, file left unchanged: {why}")
            }
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats one file's text into the canonical layout.
///
/// Returns [`FormatError::Syntax`] when the text does not parse cleanly. Never panics.
pub fn format(src: &str) -> Result<String, FormatError> {
    let parsed = parse(src);
    if !parsed.errors.is_empty() {
        return Err(FormatError::Syntax(parsed.errors));
    }
    let out = format_parsed(src, &parsed)?;
    if cfg!(debug_assertions) {
        check(&parsed, &out)?;
    }
    Ok(out)
}

/// Lays out an already parsed, error-free file.
fn format_parsed(src: &str, parsed: &Parsed) -> Result<String, FormatError> {
    let comments = Comments::new(src, &parsed.trivia);
    Layout::new(src, comments)
        .file(&parsed.file)
        .map_err(|node| {
            FormatError::Internal(format!(
                "the tree holds an error node at {:?} but no syntax error was reported",
                node.0
            ))
        })
}

/// The self-check: the output parses, to the same tree, with the same comments in order.
fn check(input: &Parsed, out: &str) -> Result<(), FormatError> {
    let again = parse(out);
    if let Some(e) = again.errors.first() {
        return Err(FormatError::Internal(format!(
            "the output does not parse ({} at {:?})",
            e.message, e.span
        )));
    }
    if !again.file.spanless_eq(&input.file) {
        return Err(FormatError::Internal(
            "the output parses to a different syntax tree".into(),
        ));
    }
    let texts = |p: &Parsed| -> Vec<(bool, String)> {
        p.trivia.iter().map(|t| (t.doc, t.text.clone())).collect()
    };
    if texts(&again) != texts(input) {
        return Err(FormatError::Internal(
            "the output loses, changes or reorders a comment".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        match format(src) {
            Ok(s) => s,
            Err(e) => panic!("{e}: {e:?}"),
        }
    }

    #[test]
    fn spec_items() {
        let src = "let  a=[\"x\" ,\"y\",]\nkey k = file( \"k.pub\" )\nscope s=cluster matches \"p-*\"and namespace!=\"x\"\npolicy \"p\"{action prevent trust registry in a}";
        assert_eq!(
            fmt(src),
            "let a = [\"x\", \"y\"]\nkey k = file(\"k.pub\")\nscope s = cluster matches \"p-*\" and namespace != \"x\"\n\npolicy \"p\" {\n  action prevent\n  trust registry in a\n}\n"
        );
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n  \n"), "");
        assert_eq!(fmt("# a   \n\n\n# b"), "# a\n\n# b\n");
    }

    #[test]
    fn long_chains_break_before_operators() {
        let long = "registry == \"registry.company.com\"";
        let src = format!("policy \"p\" {{ trust {long} or {long} and pinned or {long} }}");
        assert_eq!(
            fmt(&src),
            format!(
                "policy \"p\" {{\n  trust {long}\n      or {long} and pinned\n      or {long}\n}}\n"
            )
        );
    }

    #[test]
    fn comments_keep_their_places() {
        let src = "policy \"p\" { # head\n  # lead\n  trust a # t1\n    or b\n  # end\n}\n";
        assert_eq!(
            fmt(src),
            "policy \"p\" { # head\n  # lead\n  trust a # t1\n      or b\n  # end\n}\n"
        );
    }

    #[test]
    fn refuses_syntax_errors() {
        assert!(matches!(format("policy {"), Err(FormatError::Syntax(e)) if !e.is_empty()));
        assert!(matches!(format("let x = \"a"), Err(FormatError::Syntax(_))));
    }

    /// Found by the property test: the room kept for a comparison's right-hand list must not
    /// depend on whether a comment sits just before or just after its `[`.
    #[test]
    fn compare_layout_ignores_comment_positions() {
        let long = format!("labels[\"{}\"]", "x".repeat(80));
        let src = format!("policy \"p\" {{ trust a or [\"\", \"\"] == #1\n[ {long} ] and b }}");
        let once = fmt(&src);
        assert_eq!(fmt(&once), once);
    }

    #[test]
    fn crlf_and_tabs() {
        let src =
            "let a = 1\r\n\r\n# c\r\nlet b = 2 # t\r\n\tpolicy \"p\" {\r\n\taction issue\r\n}\r\n";
        assert_eq!(
            fmt(src),
            "let a = 1\n\n# c\nlet b = 2 # t\n\npolicy \"p\" {\n  action issue\n}\n"
        );
    }

    /// The deepest nesting the parser accepts formats without exhausting the stack.
    #[test]
    fn deepest_nesting() {
        let depth = crate::syntax::stream::MAX_NESTING - 1;
        let parens = format!("scope s = {}a{}", "not (".repeat(depth), ")".repeat(depth));
        let lists = format!("let l = {}1{}", "[".repeat(depth), "]".repeat(depth));
        for src in [parens, lists] {
            let once = fmt(&src);
            assert_eq!(fmt(&once), once);
        }
    }

    #[test]
    fn idempotent_on_a_tricky_case() {
        let src = "scope s = registry # c1\n == \"a\" # c2\n or ( # c3\n b\n # c4\n ) and [ # c5\n 1 ] == x\n";
        let once = fmt(src);
        assert_eq!(fmt(&once), once);
    }
}
