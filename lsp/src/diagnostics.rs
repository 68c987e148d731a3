//! Diagnostics for every file of the policy set: exactly what `bona check` reports (the same
//! queries, so the same errors, codes, spans and help), converted to LSP and published
//! for each file whose diagnostics changed.
//!
//! The diagnostics are the compiler's `check_file` of each file, which `compile` (and so
//! `bona check`) concatenates.
//!
//! A change in one file can change another file's diagnostics (fixing one of two duplicate
//! definitions clears the error in the other file), so every run looks at every file. It stays
//! cheap: the compiler's diagnostics are compared first, and only the files whose compiler
//! diagnostics changed, or whose text moved under them ([`Session::dirty`]), are converted
//! to line and UTF-16 positions again.
//!
//! With the `lint` setting on, each file also gets `bona lint`'s findings about it (the same
//! findings, codes and texts as the command, computed on the whole set when it has no error).
//!
//! [`Session::dirty`]: crate::session::Session::dirty

use std::collections::{HashMap, HashSet};

use bona_compiler::compile::compile;
use bona_compiler::db::SourceFile;
use bona_compiler::diagnostics::Diagnostic as CompilerDiagnostic;
use bona_compiler::lint;
use bona_compiler::typeck::check_file;
use salsa::Database;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

use crate::convert::{self, LineIndex};
use crate::session::{Published, Snapshot};

/// One `textDocument/publishDiagnostics` to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    /// The document.
    pub uri: Uri,
    /// Its version, when the editor has it open.
    pub version: Option<i32>,
    /// Every diagnostic of the document (an empty list clears them).
    pub diagnostics: Vec<Diagnostic>,
}

/// The outcome of one run: what to remember and what to send.
#[derive(Debug, Default)]
pub struct Run {
    /// New state of every file that was converted.
    pub updated: Vec<(SourceFile, Published)>,
    /// What to send.
    pub publications: Vec<Publication>,
}

/// Computes the diagnostics of every file. `previous` is what was last published, `dirty` the
/// files whose text changed since, and `force` the files to publish even if unchanged (those just
/// opened, so the editor always hears about them).
pub fn run(
    snap: &Snapshot,
    previous: &HashMap<SourceFile, Published>,
    dirty: &HashSet<SourceFile>,
    force: &HashSet<SourceFile>,
) -> Run {
    let db = snap.db();
    let mut out = Run::default();
    let mut findings: HashMap<SourceFile, Vec<CompilerDiagnostic>> = HashMap::new();
    if snap.lint {
        let compiled = compile(db, snap.ws);
        if !compiled.has_errors() {
            for finding in lint::findings(db, compiled) {
                findings.entry(finding.file).or_default().push(finding);
            }
        }
    }
    for file in snap.files.files() {
        snap.db.unwind_if_revision_cancelled();
        // `compile` gathers exactly these (and sorts them the same way), but also assembles
        // the whole policy set, which an edit does not need.
        let mut diags = check_file(db, snap.ws, file).diagnostics.clone();
        diags.extend(findings.remove(&file).unwrap_or_default());
        diags.sort_by_key(|d| (d.span.start(), d.span.end(), d.code));
        let prev = previous.get(&file);
        let moved = dirty.contains(&file)
            || diags
                .iter()
                .any(|d| d.related.iter().any(|r| dirty.contains(&r.file)));
        let same = prev.is_some_and(|p| p.compiler == diags);
        if same && !moved && !force.contains(&file) {
            continue;
        }
        if prev.is_none() && diags.is_empty() && !force.contains(&file) {
            // Nothing was ever said about this file and there is nothing to say.
            continue;
        }
        let Some(uri) = snap.uri(file) else { continue };
        let text = file.text(db);
        let index = LineIndex::new(text);
        let lsp: Vec<Diagnostic> = diags
            .iter()
            .map(|d| convert::diagnostic(db, snap.files.as_ref(), &index, d))
            .collect();
        let changed = prev.is_none_or(|p| p.lsp != lsp);
        if changed || force.contains(&file) {
            out.publications.push(Publication {
                uri,
                version: snap.files.version(file),
                diagnostics: lsp.clone(),
            });
        }
        out.updated.push((
            file,
            Published {
                compiler: diags,
                lsp,
            },
        ));
    }
    out
}
