//! The salsa database that the CLI and the language server share: its inputs and nothing else.
//!
//! Inputs are the source files and the workspace (the list of files). Each stage owns its
//! tracked query beside its logic: `syntax::parse` per file, `resolve::symbols` over the
//! workspace (span-free, so an edit that does not change names or values backdates it and
//! spares every other file), `typeck::check_file` per file (resolution, type checking and
//! lowering to the runtime's IR), and `compile::compile` which assembles the policy set.
//! This module imports no stage: every stage imports it.
//! Editing one file re-runs its `parse` and `check_file`, re-runs `symbols` cheaply, and reuses
//! every other file's results.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
