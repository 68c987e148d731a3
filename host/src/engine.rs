//! From what the user names (`.trust` sources or a bundle from `bona build`) to an [`Engine`]:
//! the one path that every command, the webhook and its reloads take.

use std::path::{Path, PathBuf};

use bona_compiler::compile::compile_once;
use bona_compiler::db::BonaDatabase;
use bona_compiler::diagnostics::Diagnostic;
use bona_compiler::disk::io_reason;
use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;

use crate::source::policy_set;

/// Where a policy set comes from.
#[derive(Debug, Clone, Copy)]
pub enum PolicySource<'a> {
    /// `.trust` files or directories, compiled now.
    Sources(&'a [PathBuf]),
    /// A bundle written by `bona build`, and the public key its signature must verify under
    /// (`--bundle-key`), if one is required.
    Bundle {
        path: &'a Path,
        key: Option<&'a Path>,
    },
}

/// Where a policy set comes from, owned: what a command line or a server keeps between loads.
#[derive(Clone, Debug, Default)]
pub struct PolicyFiles {
    /// `.trust` files or directories, compiled at each load.
    pub policy: Vec<PathBuf>,
    /// A bundle written by `bona build`; when given, `policy` is not read.
    pub bundle: Option<PathBuf>,
    /// The public key the bundle's signature (`BUNDLE.sig`) must verify under, if required.
    pub bundle_key: Option<PathBuf>,
}

impl PolicyFiles {
    /// The source to load: the bundle when there is one, else the sources.
    pub fn source(&self) -> PolicySource<'_> {
        match &self.bundle {
            Some(path) => PolicySource::Bundle {
                path,
                key: self.bundle_key.as_deref(),
            },
            None => PolicySource::Sources(&self.policy),
        }
    }
}

/// Why no engine could be had.
#[derive(Debug)]
pub enum LoadError {
    /// Unreadable or malformed input (exit 2), as one message naming the file.
    BadInput(String),
    /// The sources do not compile (exit 1): the database and its diagnostics, for the caller
    /// to render as it renders diagnostics.
    Compile(Box<CompileFailure>),
}

/// A policy set with compile errors.
pub struct CompileFailure {
    pub db: BonaDatabase,
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Debug for CompileFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileFailure")
            .field("diagnostics", &self.diagnostics)
            .finish_non_exhaustive()
    }
}

/// Compiles the sources, or reads the bundle, into an engine.
///
/// # Errors
/// [`LoadError`]: compile errors, or input that cannot be read or is not a bundle (a wasm
/// module from `bona build --target wasm` is named as such).
pub fn load_engine(source: PolicySource<'_>) -> Result<Engine, LoadError> {
    match source {
        PolicySource::Bundle { path, key } => {
            let bytes = read_input(path).map_err(LoadError::BadInput)?;
            if let Some(key) = key {
                verify_signed(path, &bytes, key).map_err(LoadError::BadInput)?;
            }
            if bona_wasm::abi::is_wasm(&bytes) {
                return Err(LoadError::BadInput(format!(
                    "{}: this is a wasm module (`bona build --target wasm`), which only \
                     `bona eval` runs; give a bundle from `bona build`",
                    path.display()
                )));
            }
            Engine::from_bundle(&bytes)
                .map_err(|e| LoadError::BadInput(format!("{}: {e}", path.display())))
        }
        PolicySource::Sources(paths) => {
            let (db, ws) = policy_set(paths).map_err(|e| LoadError::BadInput(e.to_string()))?;
            let compiled = compile_once(&db, ws);
            if compiled.has_errors() {
                return Err(LoadError::Compile(Box::new(CompileFailure {
                    db,
                    diagnostics: compiled.diagnostics,
                })));
            }
            // The database holds every file's syntax tree: gone before the table is built, so a
            // large set's peak is the larger of the two, not their sum.
            drop(db);
            Engine::new(compiled.set).map_err(|e| LoadError::BadInput(e.to_string()))
        }
    }
}

/// Checks a bundle's (or wasm module's) signature under the public key in `key`.
///
/// # Errors
/// One message naming the file: an unreadable key, a missing or bad signature.
pub fn verify_signed(path: &Path, bytes: &[u8], key: &Path) -> Result<(), String> {
    let public = crate::signing::read_public_key(key)?;
    crate::signing::verify(path, bytes, &public, key)
}

/// Reads a whole input file (an input document, facts, an inventory).
///
/// # Errors
/// The message names the file and the reason.
pub fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: cannot read: {}", path.display(), io_reason(&e)))
}

/// Reads a facts document (`--facts FILE`).
///
/// # Errors
/// The message names the file and the place of the first problem.
pub fn read_facts(path: &Path) -> Result<FactsDocument, String> {
    let bytes = read_input(path)?;
    FactsDocument::from_json(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}
