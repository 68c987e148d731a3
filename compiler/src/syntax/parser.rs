//! Source text → syntax tree: run the lalrpop parser (with recovery) on the
//! [token stream](crate::syntax::stream), and turn every lexical and syntax error into a
//! [`SyntaxError`] with a stable code, the exact span and a help line.

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::codes::Code;
use crate::syntax::ast::File;
use crate::syntax::lexer::{LexError, LexErrorKind, Token, Trivia};
use crate::syntax::stream::{MAX_NESTING, TokenStream};

use crate::syntax::span::Span;

lalrpop_util::lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        unused_parens,
        unused_imports,
        missing_docs
    )]
    grammar,
    "/trust.rs"
);

/// One lexical or syntax error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    pub code: Code,
    pub message: String,
    pub span: Span,
    pub label: String,
    pub help: Option<String>,
}

/// The result of parsing one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub file: File,
    pub trivia: Vec<Trivia>,
    pub errors: Vec<SyntaxError>,
}

/// Parses one file's text. Never panics; always returns a tree (possibly with `Error` items).
pub fn parse(src: &str) -> Parsed {
    let mut stream = TokenStream::new(src);
    let mut recovered: Vec<ErrorRecovery<usize, Token, LexError>> = Vec::new();
    let result = grammar::FileParser::new().parse(&mut recovered, &mut stream);
    stream.finish();
    let mut errors: Vec<SyntaxError> = stream.errors.iter().map(|e| lex_error(src, e)).collect();
    if let Some(span) = stream.too_deep {
        errors.push(SyntaxError {
            code: Code::E0108,
            message: format!("expression nested more than {MAX_NESTING} levels deep"),
            span,
            label: "too deep".into(),
            help: Some("split the expression into named `let` or `scope` items".into()),
        });
        return Parsed {
            file: File::default(),
            trivia: stream.trivia,
            errors,
        };
    }
    let file = match result {
        Ok(file) => file,
        Err(e) => {
            recovered.push(ErrorRecovery {
                error: e,
                dropped_tokens: Vec::new(),
            });
            File::default()
        }
    };
    for r in recovered {
        let at_eof = matches!(r.error, ParseError::UnrecognizedEof { .. });
        let err = parse_error(src, r.error);
        // At the end of the file, the parser reports the end of the last good token: a
        // lexical error after it (an unterminated string) is the real cause.
        let eof_echo = at_eof
            && stream
                .errors
                .iter()
                .any(|l| l.span.start() >= stream.last_token_end);
        if !eof_echo && !stream.follows_lex_error(err.span.start()) {
            errors.push(err);
        }
    }
    errors.sort_by_key(|e| (e.span.start(), e.span.end()));
    errors.dedup_by(|a, b| a.span == b.span && a.code == b.code);
    let mut trivia = stream.trivia;
    // Kept as long as the tree: a generated set has comments for every policy.
    trivia.shrink_to_fit();
    Parsed {
        file,
        trivia,
        errors,
    }
}

fn lex_error(src: &str, e: &LexError) -> SyntaxError {
    let text = src.get(e.span.range()).unwrap_or("");
    match &e.kind {
        LexErrorKind::SingleQuoted => SyntaxError {
            code: Code::E0101,
            message: format!("single quotes do not make a string: `{text}`"),
            span: e.span,
            label: "use double quotes".into(),
            help: Some(format!(
                "write `\"{}\"`",
                text.trim_matches('\'')
            )),
        },
        LexErrorKind::ForeignOperator => {
            let (word, fix) = match text {
                "&&" | "&" => ("`and`", "a and b"),
                "||" | "|" => ("`or`", "a or b"),
                _ => ("`not` (or `!=` to compare)", "not a, a != b"),
            };
            SyntaxError {
                code: Code::E0101,
                message: format!("`{text}` is not an operator in Bona"),
                span: e.span,
                label: format!("use {word}"),
                help: Some(format!("Bona spells its logic in words: `{fix}`")),
            }
        }
        LexErrorKind::UnexpectedChar => SyntaxError {
            code: Code::E0101,
            message: format!("unexpected character `{}`", printable(text)),
            span: e.span,
            label: "not part of any token".into(),
            help: match text {
                "'" => Some("strings use double quotes: `\"…\"`".into()),
                "!" => Some("use `not` for negation, `!=` for inequality".into()),
                "&" => Some("use `and`".into()),
                "|" => Some("use `or`".into()),
                _ => Some("remove it, or put it inside a string".into()),
            },
        },
        LexErrorKind::UnterminatedString => SyntaxError {
            code: Code::E0102,
            message: "unterminated string".into(),
            span: e.span,
            label: "this string has no closing `\"`".into(),
            help: Some("close the string on the same line; write a newline as `\\n`".into()),
        },
        LexErrorKind::BadEscape(_) if text.starts_with("\\u") => SyntaxError {
            code: Code::E0103,
            message: format!("invalid unicode escape `{}`", printable(text)),
            span: e.span,
            label: "not a Unicode scalar value in 1 to 6 hex digits".into(),
            help: Some("write `\\u{HEX}` with the code point in hexadecimal, e.g. `\\u{e9}`".into()),
        },
        LexErrorKind::BadEscape(_) => SyntaxError {
            code: Code::E0103,
            message: format!("unknown escape sequence `{}`", printable(text)),
            span: e.span,
            label: "not a valid escape".into(),
            help: Some("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{HEX}`".into()),
        },
        LexErrorKind::IntegerTooLarge => SyntaxError {
            code: Code::E0104,
            message: format!("number `{text}` is too large"),
            span: e.span,
            label: "does not fit in 64 bits".into(),
            help: Some("integers and durations must be below 2^64 (in seconds)".into()),
        },
        LexErrorKind::BadDuration => SyntaxError {
            code: Code::E0105,
            message: format!("invalid duration `{text}`"),
            span: e.span,
            label: "expected a number followed by one unit".into(),
            help: Some(
                "a duration is one integer with one unit `s`, `m`, `h`, `d` or `w`: `90m`, not `1h30m`"
                    .into(),
            ),
        },
    }
}

/// Shows user text as written, escaping only what a terminal cannot show.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_debug().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn parse_error(src: &str, e: ParseError<usize, Token, LexError>) -> SyntaxError {
    match e {
        ParseError::InvalidToken { location } => SyntaxError {
            code: Code::E0101,
            message: "invalid token".into(),
            span: Span::new(location, next_char(src, location)),
            label: "not part of any token".into(),
            help: None,
        },
        ParseError::UnrecognizedEof { location, expected } => SyntaxError {
            code: Code::E0107,
            message: "unexpected end of file".into(),
            span: Span::new(location, location),
            label: format!("expected {}", describe_expected(&expected)),
            help: eof_help(&expected),
        },
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => SyntaxError {
            code: Code::E0106,
            message: format!("unexpected {tok}"),
            span: Span::new(l, r),
            label: format!("expected {}", describe_expected(&expected)),
            help: token_help(&tok, &expected),
        },
        ParseError::ExtraToken { token: (l, tok, r) } => SyntaxError {
            code: Code::E0106,
            message: format!("unexpected {tok}"),
            span: Span::new(l, r),
            label: "expected the end of the file".into(),
            help: None,
        },
        ParseError::User { error } => lex_error(src, &error),
    }
}

fn next_char(src: &str, at: usize) -> usize {
    src.get(at..)
        .and_then(|s| s.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

/// lalrpop's expected terminals are the grammar's quoted names (`"\"name\""`): turn them into
/// words a user reads.
fn describe_expected(expected: &[String]) -> String {
    let mut words: Vec<String> = expected.iter().map(|e| terminal_word(e)).collect();
    words.sort();
    words.dedup();
    if words.is_empty() {
        return "something else".into();
    }
    if words.len() > 8 {
        let has = |w: &str| words.iter().any(|x| x == w);
        if has("`policy`") && has("`let`") {
            return "an item: `policy`, `let`, `key`, `trustroot`, `scope` or `test`".into();
        }
        if has("`trust`") && has("`action`") {
            return "a clause (`action`, `on unknown`, `scope`, `trust`, `description`) or `}`"
                .into();
        }
        if has("a string") && has("a name") {
            return "a value: a string, number, list, name or attribute".into();
        }
        words.truncate(8);
        words.push("…".into());
    }
    match words.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
        [] => "something else".into(),
    }
}

fn terminal_word(quoted: &str) -> String {
    let t = quoted.trim_matches('"');
    match t {
        "name" => "a name".into(),
        "string" => "a string".into(),
        "integer" => "an integer".into(),
        "duration" => "a duration".into(),
        other => format!("`{}`", other.replace("\\\"", "\"")),
    }
}

fn eof_help(expected: &[String]) -> Option<String> {
    if expected.iter().any(|e| e.contains('}')) {
        Some("a block is missing its closing `}`".into())
    } else {
        None
    }
}

fn token_help(tok: &Token, expected: &[String]) -> Option<String> {
    let wants = |w: &str| expected.iter().any(|e| e.trim_matches('"') == w);
    match tok {
        Token::Assign if wants("==") => Some("compare with `==`; `=` only defines names".into()),
        Token::Ident(n) if wants("policy") && wants("let") => Some(format!(
            "items start with `policy`, `let`, `key`, `trustroot`, `scope` or `test`; `{n}` is none of them"
        )),
        Token::Ident(n) if wants("trust") && wants("action") => Some(format!(
            "a policy's clauses are `action`, `on unknown`, `scope`, `trust` and `description`; `{n}` is none of them"
        )),
        Token::Ident(_) if wants("policy") => None,
        _ if wants("]") && wants(",") => Some("separate list elements with `,`".into()),
        _ if wants("}") && wants(",") => Some("separate fields with `,`".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{ClauseKind, ExprKind, Item};

    #[test]
    fn parses_the_spec_example() {
        let src = r#"
## Corporate registries.
let corporate = ["registry.company.com", "mirror.company.com"]
key release = file("keys/release.pub")
scope production = cluster matches "prod-*" and namespace != "sandbox"
policy "production images" {
  description "Only signed images."
  scope production and asset == workload
  action prevent
  on unknown prevent
  trust registry in corporate and pinned and signed by release
  trust image matches "docker.io/library/alpine:3.*"
}
policy "audit" {
  action issue
  trust scanned and vulns.critical == 0 and scan.age < 7d and labels["a.b"] == "x"
}
"#;
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.file.items.len(), 5);
        let Item::Policy(pol) = &p.file.items[3] else {
            panic!("not a policy")
        };
        assert_eq!(pol.clauses.len(), 6);
        let ClauseKind::Trust(e) = &pol.clauses[4].kind else {
            panic!("not trust")
        };
        let ExprKind::And(parts) = &e.kind else {
            panic!("not and")
        };
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn precedence_or_and_not() {
        let p = parse(r#"scope s = not a == "1" and b == "2" or c == "3""#);
        assert!(p.errors.is_empty());
        let Item::Scope(s) = &p.file.items[0] else {
            panic!()
        };
        let ExprKind::Or(alts) = &s.expr.kind else {
            panic!("or is loosest")
        };
        let ExprKind::And(conj) = &alts[0].kind else {
            panic!("and next")
        };
        assert!(matches!(conj[0].kind, ExprKind::Not(_)));
    }

    #[test]
    fn three_independent_errors_are_three_diagnostics() {
        let src = r#"
policy "a" { action prevent trust registry == }
policy "b" { action issue trust registry = "x" }
policy "c" { action prevent trust ( registry == "x" }
policy "d" { action prevent trust registry == "ok" }
"#;
        let p = parse(src);
        assert_eq!(p.errors.len(), 3, "{:#?}", p.errors);
        assert!(
            p.file.items.iter().any(
                |i| matches!(i, Item::Policy(p) if p.name.value == "d" && p.clauses.len() == 2)
            )
        );
    }

    #[test]
    fn test_blocks_and_contextual_keywords() {
        let src = r#"
let input = "x"
test "t" {
  input { time: "2026-11-22T00:00:00Z", asset: { type: "workload", "labels": { team: "a" } }, images: [ { ref: "nginx" } ] }
  expect prevent
  expect allow
  expect untrusted "nginx"
  expect issues runtime 1
}
"#;
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let Item::Test(t) = &p.file.items[1] else {
            panic!()
        };
        assert_eq!(t.clauses.len(), 5);
    }

    #[test]
    fn deep_nesting_is_one_error() {
        let src = format!("scope s = {}a{}", "(".repeat(10_000), ")".repeat(10_000));
        let p = parse(&src);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].code, Code::E0108);
    }

    #[test]
    fn lex_error_is_not_echoed() {
        let p = parse("let x = \"abc\nlet y = 1\n");
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].code, Code::E0102);
    }
}
