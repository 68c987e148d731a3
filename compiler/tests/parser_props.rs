//! No panics on input (STYLE "Habits"): the lexer, the parser and the whole checker take any
//! text — arbitrary strings, arbitrary bytes read lossily as UTF-8, soups of the language's own
//! tokens, and valid policies with tokens dropped, repeated and swapped — and answer with
//! diagnostics, never a panic. Every diagnostic must also be renderable: its span lies inside
//! its file, on character boundaries, so codespan and the JSON positions can use it.

use std::path::{Path, PathBuf};

use bona_compiler::compile::compile;
use bona_compiler::db::{Db, SourceFile, Workspace};
use bona_compiler::diagnostics::{render_text, to_json};
use bona_compiler::syntax::lexer::Token;
use bona_compiler::syntax::span::Span;
use bona_compiler::syntax::stream::{MAX_NESTING, TokenStream};
use bona_compiler::syntax::{lexer, parser};
use proptest::prelude::*;
use proptest::sample::select;

use crate::common;
use common::TOKENS;

/// A database whose key files never exist: generated `file("…")` paths must not touch the disk.
#[salsa::db]
#[derive(Clone)]
struct NoDiskDb {
    storage: salsa::Storage<Self>,
}

impl Default for NoDiskDb {
    fn default() -> NoDiskDb {
        NoDiskDb {
            storage: salsa::Storage::new(None),
        }
    }
}

#[salsa::db]
impl salsa::Database for NoDiskDb {}

#[salsa::db]
impl Db for NoDiskDb {
    fn read_key(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not read by property tests", path.display()),
        ))
    }
}

/// Lexes, parses and compiles `src` as one file, renders the diagnostics both ways, and
/// checks the invariants every consumer relies on.
fn check_everything(src: &str) -> Result<(), TestCaseError> {
    let lexed = lexer::lex(src);
    for (start, _, end) in &lexed.tokens {
        prop_assert!(start <= end && *end <= src.len());
    }
    let parsed = parser::parse(src);
    if !lexed.errors.is_empty() {
        prop_assert!(
            !parsed.errors.is_empty(),
            "a lexical error must surface as a syntax error"
        );
    }

    let db = NoDiskDb::default();
    let file = SourceFile::new(&db, PathBuf::from("prop.trust"), src.to_owned());
    let ws = Workspace::new(&db, vec![file]);
    let compiled = compile(&db, ws);
    if !parsed.errors.is_empty() {
        prop_assert!(
            compiled.has_errors(),
            "syntax errors must make the compilation fail"
        );
    }
    for d in &compiled.diagnostics {
        prop_assert!(d.span.start() <= d.span.end() && d.span.end() <= src.len());
        prop_assert!(src.is_char_boundary(d.span.start()) && src.is_char_boundary(d.span.end()));
        prop_assert!(!d.message.is_empty());
        for r in &d.related {
            let text = r.file.text(&db);
            prop_assert!(r.span.start() <= r.span.end() && r.span.end() <= text.len());
        }
    }
    let text = render_text(&db, &compiled.diagnostics);
    prop_assert_eq!(text.is_empty(), compiled.diagnostics.is_empty());
    prop_assert_eq!(
        to_json(&db, &compiled.diagnostics).len(),
        compiled.diagnostics.len()
    );
    Ok(())
}

const SEPARATORS: &[&str] = &[" ", " ", " ", "\n", ""];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((select(TOKENS), select(SEPARATORS)), 0..160).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(tok, sep)| [tok, sep])
            .collect::<String>()
    })
}

/// A valid policy set that exercises every item and clause, as whitespace-separated tokens.
const VALID: &str = r#"
let corporate = [ "registry.company.com" , "mirror.company.com" ]
let max_age = 7d
key release = pem ( "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" )
scope production = cluster matches "prod-*" and namespace != "sandbox"
policy "production images" {
  description "Only signed images."
  scope production and asset == workload
  action prevent
  on unknown prevent
  trust registry in corporate and pinned and signed by release
  trust image matches [ "docker.io/library/alpine:3.*" , "registry.company.com/**" ]
  trust not ( scanned and vulns.critical == 0 ) or scan.age < max_age
  trust labels [ "team" ] == "payments" and base == "debian:12"
}
test "hub" {
  input { time : "2026-11-22T00:00:00Z" , asset : { type : "workload" } , images : [ { ref : "nginx:1.27" } ] }
  expect prevent
  expect untrusted "nginx:1.27"
  expect issues runtime 1
}
"#;

/// One edit of a token list.
#[derive(Debug, Clone)]
enum Edit {
    Drop(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Insert(usize, &'static str),
}

/// The valid policy set with a few tokens dropped, repeated, swapped or inserted: the inputs
/// that reach deepest into error recovery and the checker.
fn mutated_policy() -> impl Strategy<Value = String> {
    let words: Vec<&'static str> = VALID.split_whitespace().collect();
    let n = words.len();
    let edit = prop_oneof![
        (0..n).prop_map(Edit::Drop),
        (0..n).prop_map(Edit::Duplicate),
        (0..n, 0..n).prop_map(|(a, b)| Edit::Swap(a, b)),
        (0..n, select(TOKENS)).prop_map(|(i, t)| Edit::Insert(i, t)),
    ];
    prop::collection::vec(edit, 1..6).prop_map(move |edits| {
        let mut w = words.clone();
        for e in edits {
            let len = w.len();
            if len == 0 {
                break;
            }
            match e {
                Edit::Drop(i) => {
                    w.remove(i % len);
                }
                Edit::Duplicate(i) => {
                    let t = w[i % len];
                    w.insert(i % len, t);
                }
                Edit::Swap(a, b) => w.swap(a % len, b % len),
                Edit::Insert(i, t) => w.insert(i % (len + 1), t),
            }
        }
        w.join(" ")
    })
}

/// Brackets and `not`s nested around the parser's limit, closed or not.
fn nesting() -> impl Strategy<Value = String> {
    (
        select(&["(", "[", "{", "not "][..]),
        100usize..160,
        any::<bool>(),
    )
        .prop_map(|(open, depth, closed)| {
            let close = match open {
                "(" => ")",
                "[" => "]",
                "{" => "}",
                _ => "",
            };
            let mut s = format!("scope s = {}cluster == \"x\"", open.repeat(depth));
            if closed {
                s.push_str(&close.repeat(depth));
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn lexer_and_parser_take_any_string(src in any::<String>()) {
        let _ = lexer::lex(&src);
        let _ = parser::parse(&src);
    }

    #[test]
    fn lexer_and_parser_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let src = String::from_utf8_lossy(&bytes);
        let _ = lexer::lex(&src);
        let _ = parser::parse(&src);
    }

    #[test]
    fn checker_takes_any_string(src in any::<String>()) {
        check_everything(&src)?;
    }

    #[test]
    fn checker_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_everything(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn checker_takes_token_soup(src in token_soup()) {
        check_everything(&src)?;
    }

    #[test]
    fn checker_takes_damaged_policies(src in mutated_policy()) {
        check_everything(&src)?;
    }

    #[test]
    fn checker_takes_deep_nesting(src in nesting()) {
        check_everything(&src)?;
    }

    #[test]
    fn the_token_stream_is_the_lexed_tokens_marked(
        src in prop_oneof![token_soup(), mutated_policy(), nesting(), test_blocks()],
    ) {
        same_as_batch(&src)?;
    }
}

/// Test blocks, closed or not, with `input` and `expect` inside and out, nested brackets, and
/// other items cutting them short: where `input` and `expect` are keywords.
fn test_blocks() -> impl Strategy<Value = String> {
    const PARTS: &[&str] = &[
        "test \"t\" {",
        "test",
        "\"t\"",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "input",
        "expect",
        "input {",
        "expect prevent",
        "policy \"p\" {",
        "let",
        "x",
        "=",
        "1",
        "scope",
    ];
    prop::collection::vec(select(PARTS), 0..60).prop_map(|parts| parts.join(" "))
}

/// The token stream against the tokens of [`lexer::lex`] run through the batch algorithms the
/// stream replaced: contextual keywords marked over the whole list, and the list cut at the
/// first token nested too deep.
fn same_as_batch(src: &str) -> Result<(), TestCaseError> {
    let lexed = lexer::lex(src);
    let mut expected = lexed.tokens.clone();
    mark_test_keywords(&mut expected);
    let deep = too_deep(&lexed.tokens);
    if let Some(at) = deep {
        expected.truncate(at);
    }
    let mut stream = TokenStream::new(src);
    let streamed: Vec<(usize, Token, usize)> = stream.by_ref().map_while(Result::ok).collect();
    stream.finish();
    prop_assert_eq!(streamed, expected);
    prop_assert_eq!(
        stream.too_deep,
        deep.map(|at| Span::new(lexed.tokens[at].0, lexed.tokens[at].2))
    );
    prop_assert_eq!(&stream.trivia, &lexed.trivia);
    prop_assert_eq!(&stream.errors, &lexed.errors);
    prop_assert_eq!(
        stream.last_token_end,
        lexed.tokens.last().map_or(0, |t| t.2)
    );
    Ok(())
}

/// The index of the first token where brackets or a chain of `not` nest too deep.
fn too_deep(tokens: &[(usize, Token, usize)]) -> Option<usize> {
    let (mut depth, mut nots) = (0usize, 0usize);
    for (i, (_, tok, _)) in tokens.iter().enumerate() {
        match tok {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        nots = if *tok == Token::Not { nots + 1 } else { 0 };
        if depth > MAX_NESTING || nots > MAX_NESTING {
            return Some(i);
        }
    }
    None
}

/// `input` and `expect` become keywords directly inside `test "NAME" { … }`, found by scanning
/// the whole list: each block from its brace to the brace closing it, or to an item keyword
/// at its own depth when it is never closed.
fn mark_test_keywords(tokens: &mut [(usize, Token, usize)]) {
    let mut i = 0;
    while i < tokens.len() {
        let opens_test = matches!(tokens[i].1, Token::Test)
            && matches!(tokens.get(i + 1), Some((_, Token::Str(_), _)))
            && matches!(tokens.get(i + 2), Some((_, Token::LBrace, _)));
        if !opens_test {
            i += 1;
            continue;
        }
        let mut depth = 0usize;
        let mut j = i + 2;
        while j < tokens.len() {
            match &tokens[j].1 {
                Token::LBrace | Token::LBracket | Token::LParen => depth += 1,
                Token::RBrace | Token::RBracket | Token::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                Token::Ident(name) if depth == 1 => match name.as_str() {
                    "input" => tokens[j].1 = Token::InputKw,
                    "expect" => tokens[j].1 = Token::ExpectKw,
                    _ => {}
                },
                item if depth == 1 && item.starts_item() => break,
                _ => {}
            }
            j += 1;
        }
        i = j.max(i + 1);
    }
}

#[test]
fn the_undamaged_policy_set_is_valid_but_for_its_dummy_key() {
    // Guards the mutation test: its starting point must parse cleanly, so that mutants
    // explore recovery from one mistake at a time rather than from a broken base.
    let parsed = parser::parse(VALID);
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
}
