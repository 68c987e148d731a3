//! Typed diagnostics, and their two renderings: codespan-reporting's text (with source
//! snippets) and a stable JSON shape for tools.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use serde::Serialize;

use crate::codes::{Code, Severity};
use crate::db::{Db, SourceFile};
use crate::files::{DbFiles, Position};
use crate::syntax::span::Span;

/// A secondary place a diagnostic points at (the other definition of a duplicate name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Related {
    pub file: SourceFile,
    pub span: Span,
    pub message: String,
}

/// One error or warning, at one exact span.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    /// One lower-case sentence, user input in backticks.
    pub message: String,
    pub file: SourceFile,
    pub span: Span,
    /// Under the span.
    pub label: String,
    pub related: Vec<Related>,
    /// The fix.
    pub help: Option<String>,
    /// The fix as an edit, when it is one: the text to put in place of `span` (what an
    /// editor's quick fix applies).
    pub replacement: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with no related places and no help.
    pub fn new(
        code: Code,
        file: SourceFile,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            file,
            span,
            label: label.into(),
            related: Vec::new(),
            help: None,
            replacement: None,
        }
    }

    /// Adds the fix.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds the fix "did you mean `name`?", which replaces the span with `name`.
    pub fn did_you_mean(mut self, name: &str) -> Diagnostic {
        self.help = Some(format!("did you mean `{name}`?"));
        self.replacement = Some(name.to_owned());
        self
    }

    /// Adds a secondary place.
    pub fn related(
        mut self,
        file: SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.related.push(Related {
            file,
            span,
            message: message.into(),
        });
        self
    }

    /// Error or warning (fixed by the code).
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// The codespan-reporting form.
    pub fn to_codespan(&self) -> CsDiagnostic<SourceFile> {
        let base = match self.severity() {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        let mut labels =
            vec![CsLabel::primary(self.file, self.span.range()).with_message(&self.label)];
        labels.extend(
            self.related
                .iter()
                .map(|r| CsLabel::secondary(r.file, r.span.range()).with_message(&r.message)),
        );
        let mut d = base
            .with_code(self.code.as_str())
            .with_message(&self.message)
            .with_labels(labels);
        if let Some(help) = &self.help {
            d = d.with_notes(vec![format!("help: {help}")]);
        }
        d
    }
}

/// Orders diagnostics for output: by file path, then position, then code.
pub fn sort(db: &dyn Db, diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.file.path(db), a.span.start(), a.span.end(), a.code).cmp(&(
            b.file.path(db),
            b.span.start(),
            b.span.end(),
            b.code,
        ))
    });
}

/// Renders diagnostics as codespan text, without colour.
pub fn render_text(db: &dyn Db, diags: &[Diagnostic]) -> String {
    let files = DbFiles::new(db);
    let config = codespan_reporting::term::Config::default();
    let mut out = String::new();
    for d in diags {
        // INVARIANT: every span comes from the file it names, so codespan's lookups succeed;
        // should one not, the message is still printed, without a snippet.
        match codespan_reporting::term::emit_into_string(&config, &files, &d.to_codespan()) {
            Ok(text) => out.push_str(&text),
            Err(_) => out.push_str(&format!("{}[{}]: {}\n", kind(d), d.code, d.message)),
        }
    }
    out
}

fn kind(d: &Diagnostic) -> &'static str {
    match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The one-line summary after the diagnostics.
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// The JSON shape of one diagnostic (documented in `docs/diagnostics.md`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    pub file: String,
    pub start: Position,
    pub end: Position,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub related: Vec<JsonRelated>,
}

/// A related place in JSON.
#[derive(Debug, Serialize)]
pub struct JsonRelated {
    pub file: String,
    pub start: Position,
    pub end: Position,
    pub message: String,
}

/// Converts diagnostics to their JSON shape.
pub fn to_json(db: &dyn Db, diags: &[Diagnostic]) -> Vec<JsonDiagnostic> {
    let files = DbFiles::new(db);
    diags
        .iter()
        .map(|d| JsonDiagnostic {
            severity: kind(d),
            code: d.code.as_str(),
            message: d.message.clone(),
            file: d.file.path(db).display().to_string(),
            start: files.position(d.file, d.span.start()),
            end: files.position(d.file, d.span.end()),
            label: d.label.clone(),
            help: d.help.clone(),
            related: d
                .related
                .iter()
                .map(|r| JsonRelated {
                    file: r.file.path(db).display().to_string(),
                    start: files.position(r.file, r.span.start()),
                    end: files.position(r.file, r.span.end()),
                    message: r.message.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Where diagnostics go: a file's list, or nowhere (when the same expression is lowered a
/// second time for the symbol table, its errors were or will be reported by its own file).
pub struct Sink<'a> {
    pub file: SourceFile,
    pub text: &'a str,
    /// The file has syntax errors: warnings that judge the whole file (unused names) would
    /// only echo them.
    pub has_syntax_errors: bool,
    out: Option<Vec<Diagnostic>>,
}

impl<'a> Sink<'a> {
    /// A sink that records.
    pub fn new(file: SourceFile, text: &'a str) -> Sink<'a> {
        Sink {
            file,
            text,
            has_syntax_errors: false,
            out: Some(Vec::new()),
        }
    }

    /// A sink that drops everything.
    pub fn silent(file: SourceFile) -> Sink<'static> {
        Sink {
            file,
            text: "",
            has_syntax_errors: false,
            out: None,
        }
    }

    /// A diagnostic in this sink's file.
    pub fn diag(
        &self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(code, self.file, span, message, label)
    }

    /// Records a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        if let Some(out) = &mut self.out {
            out.push(d);
        }
    }

    /// Records a diagnostic without help.
    pub fn error(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) {
        let d = self.diag(code, span, message, label);
        self.push(d);
    }

    /// What was recorded.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.out.unwrap_or_default()
    }
}
