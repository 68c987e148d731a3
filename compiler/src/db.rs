//! The salsa database that the CLI and the language server share.
//!
//! Inputs are the source files and the workspace (the list of files). Every stage is a
//! tracked query: [`parse`] per file, [`symbols`] over the workspace (span-free, so an edit
//! that does not change names or values backdates it and spares every other file),
//! [`check_file`] per file (resolution, type checking and lowering to the runtime's IR), and
//! [`compile`] which assembles the policy set. Editing one file re-runs its `parse` and
//! `check_file`, re-runs `symbols` cheaply, and reuses every other file's results.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bona_runtime::ir;

use crate::diagnostics::{self, Diagnostic};
use crate::resolve::{self, SymbolTable};
use crate::syntax::parser::{self, Parsed};
use crate::testblock::TestCase;
use crate::typeck::{self, CheckedPolicy};

/// One `.trust` file.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(deref)]
    pub text: String,
}

/// The policy set: every file compiled together.
#[salsa::input(debug)]
pub struct Workspace {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
}

/// What the compiler needs from its host beyond the inputs.
#[salsa::db]
pub trait Db: salsa::Database {
    /// Reads a key file named by `key NAME = file("…")` (or a trust root's file).
    fn read_key(&self, path: &Path) -> std::io::Result<Vec<u8>>;

    /// The current time in Unix seconds, for the warning about expired trust roots.
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// Key files larger than this are refused unread: a PEM public key is under 2 KiB and a
/// Sigstore trusted root a few dozen, so this only stops a stray large file or a device.
pub const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// The database used by the CLI and the language server.
#[salsa::db]
#[derive(Clone)]
pub struct BonaDatabase {
    storage: salsa::Storage<Self>,
    log: Option<Arc<Mutex<Vec<String>>>>,
}

impl Default for BonaDatabase {
    fn default() -> BonaDatabase {
        BonaDatabase {
            storage: salsa::Storage::new(None),
            log: None,
        }
    }
}

impl BonaDatabase {
    /// A database that records which queries execute, for tests of incrementality.
    pub fn with_log() -> BonaDatabase {
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&log);
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind
                && let Ok(mut log) = sink.lock()
            {
                log.push(format!("{database_key:?}"));
            }
        })));
        BonaDatabase {
            storage,
            log: Some(log),
        }
    }

    /// The queries executed since the last call (only with [`BonaDatabase::with_log`]).
    pub fn take_log(&self) -> Vec<String> {
        self.log
            .as_ref()
            .and_then(|l| l.lock().ok().map(|mut l| std::mem::take(&mut *l)))
            .unwrap_or_default()
    }
}

#[salsa::db]
impl salsa::Database for BonaDatabase {}

#[salsa::db]
impl Db for BonaDatabase {
    fn read_key(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        Ok(crate::disk::read_regular(path, MAX_KEY_FILE_BYTES)?)
    }
}

/// Parses one file.
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> Parsed {
    parser::parse(file.text(db))
}

/// Byte offsets where lines start, for position conversion.
#[salsa::tracked(returns(deref))]
pub fn line_starts(db: &dyn Db, file: SourceFile) -> Vec<usize> {
    codespan_reporting::files::line_starts(file.text(db)).collect()
}

/// What one file defines and uses. Span-free.
#[salsa::tracked(returns(ref))]
pub fn file_symbols(db: &dyn Db, file: SourceFile) -> resolve::FileSymbols {
    resolve::file_symbols(db, file)
}

/// Every name of the policy set, with constant values and lowered scopes. Span-free.
#[salsa::tracked(returns(ref))]
pub fn symbols(db: &dyn Db, ws: Workspace) -> SymbolTable {
    resolve::symbols(db, ws)
}

/// The result of checking one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileCheck {
    /// Syntax, name, type and key diagnostics of this file (including duplicates it takes part in).
    pub diagnostics: Vec<Diagnostic>,
    pub policies: Vec<CheckedPolicy>,
    pub tests: Vec<TestCase>,
    /// Signers (`key` items) defined in this file, by name.
    pub keys: Vec<(String, ir::Signer)>,
    /// Trust roots defined in this file: name and document text.
    pub trust_roots: Vec<(String, String)>,
}

/// Resolves, type-checks and lowers one file against the workspace's symbols.
#[salsa::tracked(returns(ref))]
pub fn check_file(db: &dyn Db, ws: Workspace, file: SourceFile) -> FileCheck {
    typeck::check_file(db, ws, file)
}

/// The whole policy set, compiled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compiled {
    /// Every diagnostic, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The policy set (meaningful only when there are no errors).
    pub set: ir::PolicySet,
    /// Per policy (same order as `set.policies`): where it is written.
    pub origins: Vec<CheckedPolicy>,
    pub tests: Vec<TestCase>,
}

impl Compiled {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == crate::codes::Severity::Error)
    }
}

/// Compiles the workspace: every file's check, assembled.
#[salsa::tracked(returns(ref))]
pub fn compile(db: &dyn Db, ws: Workspace) -> Compiled {
    let table = symbols(db, ws);
    let mut out = Compiled::default();
    let mut keys: Vec<Option<ir::Signer>> = vec![None; table.keys.len()];
    let mut roots: Vec<Option<String>> = vec![None; table.trust_roots.len()];
    for &file in ws.files(db) {
        let checked = check_file(db, ws, file);
        out.diagnostics.extend(checked.diagnostics.iter().cloned());
        out.origins.extend(checked.policies.iter().cloned());
        out.tests.extend(checked.tests.iter().cloned());
        for (name, signer) in &checked.keys {
            if let Ok(i) = table.keys.binary_search(name)
                && keys[i].is_none()
            {
                keys[i] = Some(signer.clone());
            }
        }
        for (name, document) in &checked.trust_roots {
            if let Ok(i) = table.trust_roots.binary_search(name)
                && roots[i].is_none()
            {
                roots[i] = Some(document.clone());
            }
        }
    }
    diagnostics::sort(db, &mut out.diagnostics);
    // Policy order never matters to a decision; name order makes every output stable.
    out.origins
        .sort_by(|a, b| a.policy.name.cmp(&b.policy.name));
    out.tests.sort_by(|a, b| a.name.cmp(&b.name));
    out.set.policies = out.origins.iter().map(|o| o.policy.clone()).collect();
    out.set.keys = table
        .keys
        .iter()
        .zip(keys)
        .map(|(name, signer)| match signer {
            Some(signer) => ir::KeyDef {
                name: name.clone(),
                signer,
            },
            // Only with errors, which make the set unusable anyway.
            None => ir::KeyDef::key(name.clone(), Vec::new()),
        })
        .collect();
    out.set.trust_roots = table
        .trust_roots
        .iter()
        .zip(roots)
        .map(|(name, document)| ir::TrustRootDef {
            name: name.clone(),
            document: document.unwrap_or_default(),
        })
        .collect();
    out
}
