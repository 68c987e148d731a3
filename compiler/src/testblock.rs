//! `test` blocks (docs/language.md#tests): checked here, run by `bona test`. The `input` object is
//! converted to the JSON of docs/output.md#admission-input and validated by the runtime's own strict reader, so a
//! test input and an `bona eval --input` file accept exactly the same documents.

use bona_runtime::Reference;
use bona_runtime::input::parse_admission_input;
use serde_json::{Map, Value as Json};

use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::syntax::ast::{Ident, StrLit, Test, TestClause, TestClauseKind, Value, ValueKind};
use crate::syntax::span::Span;

/// One expectation of a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// `expect prevent` (true) or `expect allow` (false).
    Decision { prevent: bool },
    /// `expect trusted "REF"` / `expect untrusted "REF"`; the reference is normalised.
    Verdict { reference: String, trusted: bool },
    /// `expect issues runtime N`.
    RuntimeIssues(u64),
    /// `expect issues posture N`.
    PostureIssues(u64),
}

/// A checked test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    pub name: String,
    pub span: Span,
    pub name_span: Span,
    /// The admission input as JSON text (docs/output.md#admission-input).
    pub input: String,
    pub expectations: Vec<(Expectation, Span)>,
}

/// Checks a test block; reports every problem and returns it when it has none.
pub fn check(sink: &mut Sink, t: &Test) -> Option<TestCase> {
    // A clause the parser could not read is reported already; judging the rest would only
    // add echoes ("no input" when the input is the clause that failed).
    if t.clauses.iter().any(|c| c.kind == TestClauseKind::Error) {
        return None;
    }
    let mut ok = true;
    let mut input: Option<(Json, &Value)> = None;
    let mut expectations = Vec::new();
    for clause in &t.clauses {
        ok &= read_clause(sink, t, clause, &mut input, &mut expectations);
    }
    let Some((json, value)) = input else {
        no_input(sink, t);
        return None;
    };
    let text = json.to_string();
    ok &= check_input(sink, &text, value, &expectations);
    if expectations.is_empty() && ok {
        expects_nothing(sink, t);
        ok = false;
    }
    ok.then(|| TestCase {
        name: t.name.value.clone(),
        span: t.span,
        name_span: t.name.span,
        input: text,
        expectations,
    })
}

/// Reads one clause into `input` or `expectations`; whether it checks.
fn read_clause<'t>(
    sink: &mut Sink,
    t: &Test,
    clause: &'t TestClause,
    input: &mut Option<(Json, &'t Value)>,
    expectations: &mut Vec<(Expectation, Span)>,
) -> bool {
    let expectation = match &clause.kind {
        TestClauseKind::Input(v) => {
            if input.is_some() {
                sink.error(
                    Code::E0330,
                    clause.span,
                    format!("test \"{}\" has two `input` clauses", t.name.value),
                    "second input",
                );
                return false;
            }
            *input = Some((to_json(v), v));
            return true;
        }
        TestClauseKind::ExpectPrevent => Some(Expectation::Decision { prevent: true }),
        TestClauseKind::ExpectWord(w) if w.name == "allow" => {
            Some(Expectation::Decision { prevent: false })
        }
        TestClauseKind::ExpectImage(w, r) if w.name == "trusted" || w.name == "untrusted" => {
            verdict(sink, w, r)
        }
        TestClauseKind::ExpectCount(w, k, n, _) if w.name == "issues" => issue_count(sink, k, *n),
        TestClauseKind::ExpectImage(w, r) if w.name == "allow" => {
            allow_with_argument(sink, r);
            None
        }
        TestClauseKind::ExpectWord(w)
        | TestClauseKind::ExpectImage(w, _)
        | TestClauseKind::ExpectCount(w, ..) => {
            unknown_expectation(sink, w);
            None
        }
        TestClauseKind::Error => None,
    };
    match expectation {
        Some(e) => {
            expectations.push((e, clause.span));
            true
        }
        None => false,
    }
}

/// `expect trusted "REF"` / `expect untrusted "REF"`, with the reference normalised.
fn verdict(sink: &mut Sink, w: &Ident, r: &StrLit) -> Option<Expectation> {
    match Reference::parse(&r.value) {
        Ok(reference) => Some(Expectation::Verdict {
            reference: reference.to_string(),
            trusted: w.name == "trusted",
        }),
        Err(e) => {
            sink.error(
                Code::E0306,
                r.span,
                format!("invalid image reference `{}`: {}", r.value, e.message),
                format!("at character {}", e.position),
            );
            None
        }
    }
}

/// `expect issues KIND N`.
fn issue_count(sink: &mut Sink, k: &Ident, n: u64) -> Option<Expectation> {
    match k.name.as_str() {
        "runtime" => Some(Expectation::RuntimeIssues(n)),
        "posture" => Some(Expectation::PostureIssues(n)),
        _ => {
            sink.push(
                sink.diag(
                    Code::E0330,
                    k.span,
                    format!("unknown kind of issue `{}`", k.name),
                    "expected `runtime` or `posture`",
                )
                .help("write `expect issues runtime N` or `expect issues posture N`"),
            );
            None
        }
    }
}

/// `expect allow "REF"`: `allow` is about the whole input, so it takes no image.
fn allow_with_argument(sink: &mut Sink, r: &StrLit) {
    sink.push(
        sink.diag(
            Code::E0330,
            r.span,
            "`expect allow` takes no argument",
            "remove this",
        )
        .help(format!(
            "to expect an image to be trusted, write `expect trusted \"{}\"`",
            r.value
        )),
    );
}

fn unknown_expectation(sink: &mut Sink, w: &Ident) {
    sink.push(
        sink.diag(
            Code::E0330,
            w.span,
            format!("unknown expectation `expect {}`", w.name),
            "not an expectation",
        )
        .help("expectations are `expect prevent`, `expect allow`, `expect trusted \"REF\"`, `expect untrusted \"REF\"`, `expect issues runtime N` and `expect issues posture N`"),
    );
}

fn no_input(sink: &mut Sink, t: &Test) {
    sink.push(
        sink.diag(
            Code::E0330,
            t.name.span,
            format!("test \"{}\" has no `input`", t.name.value),
            "missing `input { … }`",
        )
        .help("add `input { asset: { … }, images: [ { ref: \"…\" } ] }`"),
    );
}

/// Validates the input with the runtime's own reader, and checks that every image an
/// expectation names is in it; whether both hold.
fn check_input(
    sink: &mut Sink,
    text: &str,
    value: &Value,
    expectations: &[(Expectation, Span)],
) -> bool {
    let mut ok = true;
    match parse_admission_input(text.as_bytes()) {
        Ok(parsed) => {
            let refs: Vec<String> = parsed
                .images
                .iter()
                .map(|i| i.reference.to_string())
                .collect();
            for (e, span) in expectations {
                if let Expectation::Verdict { reference, .. } = e
                    && !refs.contains(reference)
                {
                    sink.push(
                        sink.diag(
                            Code::E0330,
                            *span,
                            format!("the test's input has no image `{reference}`"),
                            "not among the input's images",
                        )
                        .help(if refs.is_empty() {
                            "the input has no images".to_owned()
                        } else {
                            format!("the input's images are: {}", refs.join(", "))
                        }),
                    );
                    ok = false;
                }
            }
        }
        Err(e) => {
            let span = span_at(value, &e.path).unwrap_or(value.span);
            sink.error(
                Code::E0330,
                span,
                format!("invalid test input at `{}`: {}", e.path, e.message),
                "here",
            );
            ok = false;
        }
    }
    ok
}

fn expects_nothing(sink: &mut Sink, t: &Test) {
    sink.push(
        sink.diag(
            Code::E0330,
            t.name.span,
            format!("test \"{}\" expects nothing", t.name.value),
            "no `expect` clause",
        )
        .help("add `expect prevent` or `expect allow`"),
    );
}

fn to_json(v: &Value) -> Json {
    match &v.kind {
        ValueKind::Str(s) => Json::String(s.clone()),
        ValueKind::Int(n) => Json::from(*n),
        ValueKind::Bool(b) => Json::Bool(*b),
        ValueKind::List(items) => Json::Array(items.iter().map(to_json).collect()),
        ValueKind::Object(fields) => {
            let mut map = Map::new();
            for f in fields {
                map.insert(f.key.value.clone(), to_json(&f.value));
            }
            Json::Object(map)
        }
    }
}

/// The span of the value at a JSON path such as `images[2].facts.scan` (as the runtime
/// reports it), so the error sits under the offending part of the test.
fn span_at(root: &Value, path: &str) -> Option<Span> {
    let mut cur = root;
    let mut rest = path.trim_start_matches('.');
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            let index: usize = after[..close].parse().ok()?;
            let ValueKind::List(items) = &cur.kind else {
                return Some(cur.span);
            };
            cur = items.get(index)?;
            rest = after[close + 1..].trim_start_matches('.');
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            let ValueKind::Object(fields) = &cur.kind else {
                return Some(cur.span);
            };
            match fields.iter().find(|f| f.key.value == key) {
                Some(f) => cur = &f.value,
                // An unknown field: point at its key.
                None => return Some(cur.span),
            }
            rest = rest[end..].trim_start_matches('.');
        }
    }
    Some(cur.span)
}
