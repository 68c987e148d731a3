//! SARIF 2.1.0 for `check` and `lint` (`--format sarif`): one run of the tool `bona`, a rule per
//! diagnostic code with its summary and a link to its section of `docs/diagnostics.md`, and a
//! result per diagnostic. Locations are relative to the current directory (base id
//! `%SRCROOT%`); lines and columns are 1-based, columns in UTF-16 code units (SARIF's default
//! `columnKind`), `endColumn` one past the last character.

use std::path::{Component, Path};

use bona_compiler::codes::{Code, Severity};
use bona_compiler::db::{Db, SourceFile};
use bona_compiler::diagnostics::Diagnostic;
use bona_compiler::files::line_starts;
use bona_compiler::syntax::span::Span;
use serde_json::{Value, json};

/// Where the rules' documentation lives.
pub const DOCS: &str = "https://example.invalid/bona/blob/main/docs/diagnostics.md";

/// The SARIF log of `diags`.
pub fn log(db: &dyn Db, diags: &[Diagnostic]) -> Value {
    let cwd = std::env::current_dir().unwrap_or_default();
    let rules: Vec<Value> = Code::ALL.iter().map(|c| rule(*c)).collect();
    let results: Vec<Value> = diags.iter().map(|d| result(db, &cwd, d)).collect();
    let mut root = file_uri(&cwd);
    if !root.ends_with('/') {
        root.push('/');
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "bona",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/bona",
                "rules": rules,
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root } },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    })
}

fn level(c: Code) -> &'static str {
    match c.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The GitHub anchor of `## CODE — SUMMARY`.
fn anchor(c: Code) -> String {
    format!("{} — {}", c.as_str(), c.summary())
        .to_lowercase()
        .chars()
        .filter(|ch| ch.is_alphanumeric() || *ch == ' ' || *ch == '-' || *ch == '_')
        .map(|ch| if ch == ' ' { '-' } else { ch })
        .collect()
}

fn rule(c: Code) -> Value {
    let name: String = c
        .summary()
        .chars()
        .filter(|ch| ch.is_alphanumeric() || *ch == ' ' || *ch == '-')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    json!({
        "id": c.as_str(),
        "name": name,
        "shortDescription": { "text": c.summary() },
        "helpUri": format!("{DOCS}#{}", anchor(c)),
        "help": { "text": format!("See {DOCS}#{}", anchor(c)) },
        "defaultConfiguration": { "level": level(c) },
    })
}

fn result(db: &dyn Db, cwd: &Path, d: &Diagnostic) -> Value {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let mut r = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": index,
        "level": level(d.code),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": physical(db, cwd, d.file, d.span),
            "message": { "text": d.label },
        }],
        "relatedLocations": d.related.iter().enumerate().map(|(i, r)| json!({
            "id": i,
            "physicalLocation": physical(db, cwd, r.file, r.span),
            "message": { "text": r.message },
        })).collect::<Vec<_>>(),
    });
    if let (Some(replacement), Some(obj)) = (&d.replacement, r.as_object_mut()) {
        obj.insert(
            "fixes".into(),
            json!([{
                "description": { "text": d.help.clone().unwrap_or_default() },
                "artifactChanges": [{
                    "artifactLocation": artifact(db, cwd, d.file),
                    "replacements": [{
                        "deletedRegion": region(db, d.file, d.span),
                        "insertedContent": { "text": replacement },
                    }],
                }],
            }]),
        );
    }
    r
}

fn physical(db: &dyn Db, cwd: &Path, file: SourceFile, span: Span) -> Value {
    json!({
        "artifactLocation": artifact(db, cwd, file),
        "region": region(db, file, span),
    })
}

fn artifact(db: &dyn Db, cwd: &Path, file: SourceFile) -> Value {
    let path = file.path(db);
    let relative = if path.is_absolute() {
        path.strip_prefix(cwd).ok()
    } else {
        Some(path.as_path())
    };
    match relative {
        Some(rel) => {
            let parts: Vec<String> = rel
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(encode(&s.to_string_lossy())),
                    Component::ParentDir => Some("..".to_owned()),
                    _ => None,
                })
                .collect();
            json!({ "uri": parts.join("/"), "uriBaseId": "%SRCROOT%" })
        }
        None => json!({ "uri": file_uri(path) }),
    }
}

/// A `file://` URI for an absolute path.
fn file_uri(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(encode(&s.to_string_lossy())),
            _ => None,
        })
        .collect();
    format!("file:///{}", parts.join("/"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// 1-based line and UTF-16 column of a byte offset.
fn position(db: &dyn Db, file: SourceFile, byte: usize) -> (usize, usize) {
    let starts = line_starts(db, file);
    let line = starts.partition_point(|&s| s <= byte).saturating_sub(1);
    let text = file.text(db);
    let start = starts.get(line).copied().unwrap_or(0);
    let column = text
        .get(start..byte.min(text.len()))
        .map_or(0, |s| s.encode_utf16().count());
    (line + 1, column + 1)
}

fn region(db: &dyn Db, file: SourceFile, span: Span) -> Value {
    let (start_line, start_column) = position(db, file, span.start());
    let (end_line, end_column) = position(db, file, span.end());
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}
