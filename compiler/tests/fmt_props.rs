//! Properties of `bona fmt` (STYLE "Tests"): on generated, well-formed policy sets written
//! with random whitespace, comments and empty lines between any two tokens, formatting
//! succeeds, is idempotent, keeps the syntax tree (modulo spans) and every comment in order,
//! and produces tidy text. On arbitrary text it never panics.
//!
//! The generator builds a small model of a file (items, clauses, expression trees with every
//! operand form, nested test input), turns it into tokens, and joins the tokens with noise
//! drawn from a byte vector, so both the structure and the noise shrink.

use bona_compiler::fmt::{FormatError, format};
use bona_compiler::syntax::lexer::escape;
use bona_compiler::syntax::parser::{Parsed, parse};
use bona_compiler::syntax::spanless::SpanlessEq;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::common;
use common::TOKENS;

// ---------------------------------------------------------------- the model

#[derive(Debug, Clone)]
struct Lit {
    value: String,
    /// Written with `\u{…}` escapes for everything but ASCII letters and digits.
    fancy: bool,
}

#[derive(Debug, Clone)]
enum Operand {
    Str(Lit),
    Int(u64, usize),
    Duration(String),
    Bool(bool),
    List(Vec<Operand>),
    Name(&'static str),
    Index(Lit),
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Paren(Box<Expr>),
    Compare(Operand, &'static str, Operand),
    SignedBy(&'static str),
    SignedByN(u64, Vec<&'static str>),
    Operand(Operand),
}

#[derive(Debug, Clone)]
enum Value {
    Str(Lit),
    Int(u64),
    Bool(bool),
    List(Vec<Value>),
    Object(Vec<(Key, Value)>),
}

#[derive(Debug, Clone)]
enum Key {
    Word(&'static str),
    Quoted(Lit),
}

#[derive(Debug, Clone)]
enum Clause {
    Action(&'static str),
    OnUnknown(&'static str),
    Scope(Expr),
    Trust(Expr),
    Description(Lit),
}

#[derive(Debug, Clone)]
enum TestClause {
    Input(Value),
    Prevent,
    Word(&'static str),
    Image(&'static str, Lit),
    Count(&'static str, &'static str, u64),
}

#[derive(Debug, Clone)]
enum Item {
    Let(&'static str, Operand),
    Key(&'static str, &'static str, Lit),
    /// `key N = file(…) { tlog R … }`, possibly with no option.
    KeyOptions(&'static str, Lit, Vec<&'static str>),
    /// `key N = keyless { … }`: `(attribute or "root", operator, value)`, the operator empty
    /// for `root R`.
    Keyless(&'static str, Vec<(&'static str, &'static str, Operand)>),
    TrustRoot(&'static str, Lit),
    Scope(&'static str, Expr),
    Policy(Lit, Vec<Clause>),
    Test(Lit, Vec<TestClause>),
}

// ---------------------------------------------------------------- strategies

const NAMES: &[&str] = &[
    "registry",
    "repository",
    "tag",
    "pinned",
    "corporate",
    "production",
    "scan.age",
    "vulns.critical",
    "x_1",
    "_y",
];
const WORDS: &[&str] = &[
    "ref", "type", "scope", "key", "test", "input", "expect", "policy", "a_b", "images", "facts",
    "true", "and",
];
const PIECES: &[&str] = &[
    "a",
    "registry.company.com",
    "/",
    "-",
    "*",
    "?",
    "é",
    "中",
    "\"",
    "\\",
    "\n",
    "\t",
    "\u{1}",
    " ",
    "mirror.company.com/library/very/long/path",
    "sha256:0123456789abcdef",
];

fn lit() -> impl Strategy<Value = Lit> {
    (vec(select(PIECES), 0..5), any::<bool>()).prop_map(|(parts, fancy)| Lit {
        value: parts.concat(),
        fancy,
    })
}

fn operand() -> impl Strategy<Value = Operand> {
    let leaf = prop_oneof![
        lit().prop_map(Operand::Str),
        (prop_oneof![0u64..1000, Just(u64::MAX)], 0usize..3)
            .prop_map(|(n, zeros)| Operand::Int(n, zeros)),
        select(&["7d", "30m", "1w", "0s", "007h"][..])
            .prop_map(|d| Operand::Duration(d.to_owned())),
        any::<bool>().prop_map(Operand::Bool),
        select(NAMES).prop_map(Operand::Name),
        lit().prop_map(Operand::Index),
    ];
    leaf.prop_recursive(2, 16, 6, |inner| vec(inner, 0..6).prop_map(Operand::List))
}

fn expr() -> impl Strategy<Value = Expr> {
    let ops = select(&["==", "!=", "<", "<=", ">", ">=", "in", "matches"][..]);
    let leaf = prop_oneof![
        (operand(), ops, operand()).prop_map(|(a, op, b)| Expr::Compare(a, op, b)),
        select(&["release", "backup"][..]).prop_map(Expr::SignedBy),
        (0u64..4, vec(select(&["release", "backup", "ci"][..]), 0..4))
            .prop_map(|(n, ks)| Expr::SignedByN(n, ks)),
        operand().prop_map(Expr::Operand),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 2..5).prop_map(Expr::Or),
            vec(inner.clone(), 2..5).prop_map(Expr::And),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            inner.prop_map(|e| Expr::Paren(Box::new(e))),
        ]
    })
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        lit().prop_map(Value::Str),
        (0u64..100_000).prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let key = prop_oneof![
            select(WORDS).prop_map(Key::Word),
            lit().prop_map(Key::Quoted)
        ];
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::List),
            vec((key, inner), 0..5).prop_map(Value::Object),
        ]
    })
}

fn clause() -> impl Strategy<Value = Clause> {
    let action = select(&["prevent", "issue"][..]);
    prop_oneof![
        action.clone().prop_map(Clause::Action),
        action.prop_map(Clause::OnUnknown),
        expr().prop_map(Clause::Scope),
        expr().prop_map(Clause::Trust),
        lit().prop_map(Clause::Description),
    ]
}

fn test_clause() -> impl Strategy<Value = TestClause> {
    prop_oneof![
        value().prop_map(TestClause::Input),
        Just(TestClause::Prevent),
        Just(TestClause::Word("allow")),
        (select(&["trusted", "untrusted"][..]), lit()).prop_map(|(w, s)| TestClause::Image(w, s)),
        (select(&["runtime", "posture"][..]), 0u64..10)
            .prop_map(|(k, n)| TestClause::Count("issues", k, n)),
    ]
}

fn keyless_clause() -> impl Strategy<Value = (&'static str, &'static str, Operand)> {
    prop_oneof![
        select(&["sigstore", "private"][..]).prop_map(|r| ("root", "", Operand::Name(r))),
        (
            select(&["issuer", "subject", "source_repository_uri", "x_1"][..]),
            select(&["==", "!=", "in", "matches", "<"][..]),
            operand()
        ),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        (select(NAMES), operand()).prop_map(|(n, o)| Item::Let(n, o)),
        (
            select(&["release", "backup"][..]),
            select(&["file", "pem"][..]),
            lit()
        )
            .prop_map(|(n, s, a)| Item::Key(n, s, a)),
        (select(NAMES), expr()).prop_map(|(n, e)| Item::Scope(n, e)),
        (
            select(&["release", "backup"][..]),
            lit(),
            vec(select(&["sigstore", "private"][..]), 0..3)
        )
            .prop_map(|(n, a, r)| Item::KeyOptions(n, a, r)),
        (select(&["ci", "release"][..]), vec(keyless_clause(), 0..5))
            .prop_map(|(n, c)| Item::Keyless(n, c)),
        (select(&["sigstore", "private"][..]), lit()).prop_map(|(n, a)| Item::TrustRoot(n, a)),
        (lit(), vec(clause(), 0..6)).prop_map(|(n, c)| Item::Policy(n, c)),
        (lit(), vec(test_clause(), 0..5)).prop_map(|(n, c)| Item::Test(n, c)),
    ]
}

// ---------------------------------------------------------------- printing with noise

fn string_token(l: &Lit) -> String {
    if !l.fancy {
        return escape(&l.value);
    }
    let mut out = String::from("\"");
    for c in l.value.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:X}}}", c as u32));
        }
    }
    out.push('"');
    out
}

fn operand_tokens(o: &Operand, t: &mut Vec<String>) {
    match o {
        Operand::Str(l) => t.push(string_token(l)),
        Operand::Int(n, zeros) => t.push(format!("{}{n}", "0".repeat(*zeros))),
        Operand::Duration(d) => t.push(d.clone()),
        Operand::Bool(b) => t.push(b.to_string()),
        Operand::List(items) => {
            t.push("[".into());
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                operand_tokens(x, t);
            }
            if !items.is_empty() && items.len() % 2 == 0 {
                t.push(",".into());
            }
            t.push("]".into());
        }
        Operand::Name(n) => match n.split_once('.') {
            Some((a, b)) => t.extend([a.to_owned(), ".".into(), b.to_owned()]),
            None => t.push((*n).to_owned()),
        },
        Operand::Index(k) => t.extend(["labels".into(), "[".into(), string_token(k), "]".into()]),
    }
}

fn expr_tokens(e: &Expr, t: &mut Vec<String>) {
    match e {
        Expr::Or(parts) | Expr::And(parts) => {
            let op = if matches!(e, Expr::Or(_)) {
                "or"
            } else {
                "and"
            };
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    t.push(op.into());
                }
                expr_tokens(p, t);
            }
        }
        Expr::Not(inner) => {
            t.push("not".into());
            expr_tokens(inner, t);
        }
        Expr::Paren(inner) => {
            t.push("(".into());
            expr_tokens(inner, t);
            t.push(")".into());
        }
        Expr::Compare(a, op, b) => {
            operand_tokens(a, t);
            t.push((*op).into());
            operand_tokens(b, t);
        }
        Expr::SignedBy(k) => t.extend(["signed".into(), "by".into(), (*k).into()]),
        Expr::SignedByN(n, keys) => {
            t.extend([
                "signed".into(),
                "by".into(),
                n.to_string(),
                "of".into(),
                "[".into(),
            ]);
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                t.push((*k).into());
            }
            t.push("]".into());
        }
        Expr::Operand(o) => operand_tokens(o, t),
    }
}

fn value_tokens(v: &Value, t: &mut Vec<String>) {
    match v {
        Value::Str(l) => t.push(string_token(l)),
        Value::Int(n) => t.push(n.to_string()),
        Value::Bool(b) => t.push(b.to_string()),
        Value::List(items) => {
            t.push("[".into());
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                value_tokens(x, t);
            }
            t.push("]".into());
        }
        Value::Object(fields) => {
            t.push("{".into());
            for (i, (k, x)) in fields.iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                match k {
                    Key::Word(w) => t.push((*w).into()),
                    Key::Quoted(l) => t.push(string_token(l)),
                }
                t.push(":".into());
                value_tokens(x, t);
            }
            if fields.len() == 1 {
                t.push(",".into());
            }
            t.push("}".into());
        }
    }
}

fn item_tokens(item: &Item, t: &mut Vec<String>) {
    match item {
        Item::Let(n, o) => {
            t.extend(["let".into(), n.replace('.', "_"), "=".into()]);
            operand_tokens(o, t);
        }
        Item::Key(n, s, a) => t.extend([
            "key".into(),
            (*n).into(),
            "=".into(),
            (*s).into(),
            "(".into(),
            string_token(a),
            ")".into(),
        ]),
        Item::KeyOptions(n, a, roots) => {
            t.extend([
                "key".into(),
                (*n).into(),
                "=".into(),
                "file".into(),
                "(".into(),
                string_token(a),
                ")".into(),
                "{".into(),
            ]);
            for r in roots {
                t.extend(["tlog".into(), (*r).into()]);
            }
            t.push("}".into());
        }
        Item::Keyless(n, clauses) => {
            t.extend([
                "key".into(),
                (*n).into(),
                "=".into(),
                "keyless".into(),
                "{".into(),
            ]);
            for (attr, op, value) in clauses {
                t.push((*attr).into());
                if !op.is_empty() {
                    t.push((*op).into());
                }
                operand_tokens(value, t);
            }
            t.push("}".into());
        }
        Item::TrustRoot(n, a) => t.extend([
            "trustroot".into(),
            (*n).into(),
            "=".into(),
            "file".into(),
            "(".into(),
            string_token(a),
            ")".into(),
        ]),
        Item::Scope(n, e) => {
            t.extend(["scope".into(), n.replace('.', "_"), "=".into()]);
            expr_tokens(e, t);
        }
        Item::Policy(name, clauses) => {
            t.extend(["policy".into(), string_token(name), "{".into()]);
            for c in clauses {
                match c {
                    Clause::Action(a) => t.extend(["action".into(), (*a).into()]),
                    Clause::OnUnknown(a) => {
                        t.extend(["on".into(), "unknown".into(), (*a).into()]);
                    }
                    Clause::Scope(e) | Clause::Trust(e) => {
                        let kw = if matches!(c, Clause::Scope(_)) {
                            "scope"
                        } else {
                            "trust"
                        };
                        t.push(kw.into());
                        expr_tokens(e, t);
                    }
                    Clause::Description(s) => t.extend(["description".into(), string_token(s)]),
                }
            }
            t.push("}".into());
        }
        Item::Test(name, clauses) => {
            t.extend(["test".into(), string_token(name), "{".into()]);
            for c in clauses {
                t.push(
                    if matches!(c, TestClause::Input(_)) {
                        "input"
                    } else {
                        "expect"
                    }
                    .into(),
                );
                match c {
                    TestClause::Input(v) => value_tokens(v, t),
                    TestClause::Prevent => t.push("prevent".into()),
                    TestClause::Word(w) => t.push((*w).into()),
                    TestClause::Image(w, s) => t.extend([(*w).into(), string_token(s)]),
                    TestClause::Count(w, k, n) => {
                        t.extend([(*w).into(), (*k).into(), n.to_string()]);
                    }
                }
            }
            t.push("}".into());
        }
    }
}

const COMMENTS: &[&str] = &[
    "",
    " c",
    " trailing   ",
    " ünïcödé ✓",
    "# hash",
    "\ttab",
    " a # b",
];

/// Whether two tokens may touch: only when one of them is punctuation.
fn may_touch(a: &str, b: &str) -> bool {
    let punct = |s: &str| {
        matches!(
            s,
            "[" | "]"
                | "("
                | ")"
                | "{"
                | "}"
                | ","
                | ":"
                | "."
                | "="
                | "=="
                | "!="
                | "<"
                | "<="
                | ">"
                | ">="
        )
    };
    punct(a) || punct(b)
}

/// Joins the tokens with whitespace, line breaks, empty lines and comments chosen by `noise`.
fn render(items: &[Item], noise: &[u8]) -> String {
    let mut tokens = Vec::new();
    for item in items {
        item_tokens(item, &mut tokens);
    }
    let mut out = String::new();
    let mut n = 0usize;
    let mut next = || {
        n += 1;
        noise.get(n % noise.len().max(1)).copied().unwrap_or(0)
    };
    let mut count = 0usize;
    let mut comment = |marker: &str, pick: u8| {
        count += 1;
        format!(
            "{marker}{}{count}",
            COMMENTS[pick as usize % COMMENTS.len()]
        )
    };
    for i in 0..=tokens.len() {
        let prev = if i == 0 { "{" } else { tokens[i - 1].as_str() };
        let here = tokens.get(i).map_or("}", String::as_str);
        let (choice, pick) = (next(), next());
        let sep = match choice {
            0..=110 => " ".to_owned(),
            111..=140 => format!("\n{}", " ".repeat(pick as usize % 7)),
            141..=155 => "\n\n".to_owned(),
            156..=175 if may_touch(prev, here) => String::new(),
            156..=185 => "\t ".to_owned(),
            186..=208 => format!(" {}\n", comment("#", pick)),
            209..=226 => format!("\n  {}\n", comment("#", pick)),
            227..=238 => format!("\n\n{}\n\n", comment("#", pick)),
            239..=246 => format!("\n{}\n", comment("##", pick)),
            _ => "   ".to_owned(),
        };
        out.push_str(&sep);
        if let Some(tok) = tokens.get(i) {
            out.push_str(tok);
        }
    }
    out
}

// ---------------------------------------------------------------- properties

fn comments(p: &Parsed) -> Vec<(bool, String)> {
    p.trivia.iter().map(|t| (t.doc, t.text.clone())).collect()
}

fn formatted(src: &str) -> Result<String, TestCaseError> {
    format(src).map_err(|e| TestCaseError::fail(format!("{e}: {e:?}\n--- input\n{src}")))
}

/// The properties every successful formatting must have.
fn check_formatting(src: &str, input: &Parsed) -> Result<(), TestCaseError> {
    let once = formatted(src)?;
    let twice = formatted(&once)?;
    prop_assert_eq!(
        &twice,
        &once,
        "not idempotent\n--- input\n{}\n--- once\n{}",
        src,
        once
    );
    let output = parse(&once);
    prop_assert!(output.errors.is_empty(), "{:?}", output.errors);
    prop_assert!(
        output.file.spanless_eq(&input.file),
        "the tree changed\n--- input\n{}\n--- output\n{}",
        src,
        once
    );
    prop_assert_eq!(comments(&output), comments(input));
    prop_assert!(once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")));
    prop_assert!(!once.starts_with('\n'), "{}", once);
    prop_assert!(
        !once.contains("\n\n\n"),
        "two empty lines in a row:\n{}",
        once
    );
    for line in once.lines() {
        prop_assert_eq!(line.trim_end(), line, "trailing whitespace:\n{}", once);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_files_format_idempotently_and_keep_the_tree(
        items in vec(item(), 0..6),
        noise in vec(any::<u8>(), 1..300),
    ) {
        let src = render(&items, &noise);
        let input = parse(&src);
        prop_assert!(input.errors.is_empty(), "generator bug: {:?}\n{}", input.errors, src);
        check_formatting(&src, &input)?;
    }

    #[test]
    fn generated_files_without_noise_format_too(items in vec(item(), 0..6)) {
        let src = render(&items, &[0]);
        let input = parse(&src);
        prop_assert!(input.errors.is_empty(), "generator bug: {:?}\n{}", input.errors, src);
        check_formatting(&src, &input)?;
    }
}

/// The parser tests' tokens plus the trivia the formatter must place: comments, blank lines.
fn soup() -> Vec<&'static str> {
    let trivia = ["# c\n", "## d\n", "\n", "\n\n", "@", "\""];
    TOKENS.iter().copied().chain(trivia).collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        match format(&src) {
            Ok(_) => check_formatting(&src, &parse(&src))?,
            Err(FormatError::Syntax(errors)) => prop_assert!(!errors.is_empty()),
            Err(e @ FormatError::Internal(_)) => prop_assert!(false, "{e}\n{src}"),
        }
    }

    #[test]
    fn token_soup_never_panics(tokens in vec(select(soup()), 0..40)) {
        let src = tokens.join(" ");
        match format(&src) {
            Ok(_) => check_formatting(&src, &parse(&src))?,
            Err(FormatError::Syntax(errors)) => prop_assert!(!errors.is_empty()),
            Err(e @ FormatError::Internal(_)) => prop_assert!(false, "{e}\n{src}"),
        }
    }
}
