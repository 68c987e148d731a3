//! Literals with a syntax of their own, parsed at compile time: globs, reference patterns,
//! digests and image references. Each failure is reported under its offending character.

use bona_runtime::glob::Glob;
use bona_runtime::reference::{Reference, is_valid_digest};
use bona_runtime::refpattern::ReferencePattern;

use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::syntax::span::Span;

pub(super) fn globs(sink: &mut Sink, pats: Vec<(String, Span)>) -> Option<Vec<Glob>> {
    parse_each(
        sink,
        pats,
        (Code::E0305, "pattern", &|_| "here".into()),
        "`*` matches within one path component, `**` across `/`, `?` one character",
        |_, p, _| Glob::parse(p).map_err(|e| (e.position, e.message)),
    )
}

pub(super) fn ref_patterns(
    sink: &mut Sink,
    pats: Vec<(String, Span)>,
) -> Option<Vec<ReferencePattern>> {
    parse_each(
        sink,
        pats,
        (Code::E0306, "reference pattern", &|at| {
            format!("at character {at}")
        }),
        "a reference pattern is `[registry/]repository[:tag][@digest]` with `*`, `**` or `?` wildcards",
        |sink, p, span| {
            let (pattern, normalised) =
                ReferencePattern::parse(p).map_err(|e| (e.position, e.message))?;
            if normalised.is_surprising() {
                let mut added = Vec::new();
                if normalised.added_registry {
                    added.push("`docker.io/`");
                }
                if normalised.added_library {
                    added.push("`library/`");
                }
                sink.push(
                    sink.diag(
                        Code::W0003,
                        span,
                        format!("pattern `{p}` is read as `{pattern}`"),
                        format!("{} added next to a wildcard", added.join(" and ")),
                    )
                    .help(format!(
                        "patterns are normalised like references; write `{pattern}` if that is what you mean, or name the registry (`registry.example.com/…`)"
                    )),
                );
            }
            Ok(pattern)
        },
    )
}

/// Parses every literal with `parse`, reporting each failure under its offending character;
/// `None` when any failed. `parse` gets the sink too, for warnings about literals that parse.
fn parse_each<T>(
    sink: &mut Sink,
    literals: Vec<(String, Span)>,
    (code, what, label): (Code, &str, &dyn Fn(usize) -> String),
    help: &str,
    mut parse: impl FnMut(&mut Sink, &str, Span) -> Result<T, (usize, String)>,
) -> Option<Vec<T>> {
    let mut ok = true;
    let mut out = Vec::with_capacity(literals.len());
    for (literal, span) in literals {
        match parse(sink, &literal, span) {
            Ok(value) => out.push(value),
            Err((position, message)) => {
                sink.push(
                    sink.diag(
                        code,
                        char_span(sink, span, position),
                        format!("invalid {what} `{literal}`: {message}"),
                        label(position),
                    )
                    .help(help.to_owned()),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Narrows a string literal's span to its `position`-th character (1-based) when the literal
/// has no escapes, so the label sits under the offending character.
fn char_span(sink: &Sink, span: Span, position: usize) -> Span {
    let Some(text) = sink.text.get(span.start()..span.end()) else {
        return span;
    };
    if !text.starts_with('"') || text.contains('\\') || position == 0 {
        return span;
    }
    let body = &text[1..text.len().saturating_sub(1)];
    match body.char_indices().nth(position - 1) {
        Some((i, c)) => Span::new(span.start() + 1 + i, span.start() + 1 + i + c.len_utf8()),
        None => span,
    }
}

pub(super) fn check_digest(sink: &mut Sink, d: &str, span: Span) -> Option<()> {
    if is_valid_digest(d) {
        return Some(());
    }
    sink.push(
        sink.diag(
            Code::E0307,
            span,
            format!("invalid digest `{d}`"),
            "not a digest",
        )
        .help("a digest is `sha256:` with 64 lower-case hex digits, or `sha512:` with 128"),
    );
    None
}

pub(super) fn normalise_reference(sink: &mut Sink, s: &str, span: Span) -> Option<String> {
    match Reference::parse(s) {
        Ok(r) => Some(r.to_string()),
        Err(e) => {
            sink.push(
                sink.diag(
                    Code::E0306,
                    char_span(sink, span, e.position),
                    format!("invalid image reference `{s}`: {}", e.message),
                    format!("at character {}", e.position),
                )
                .help("a reference is `[registry/]repository[:tag][@digest]`, repository in lower case"),
            );
            None
        }
    }
}
