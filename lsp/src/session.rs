//! The session: the compiler's salsa database plus what the editor told us (the workspace
//! roots, the open documents and their versions), and what we last told the editor.
//!
//! # Concurrency (rust-analyzer's base-db layering, docs/architecture.md#the-salsa-database)
//!
//! The server keeps the session behind a `std::sync::Mutex` and never holds the lock across
//! an `.await` or a computation. Every write (an edit, an open, a close) locks, calls a salsa
//! setter on the one database and bumps [`Session::generation`]. Every read (diagnostics,
//! hover, completion, …) locks only to take a [`Snapshot`], a clone of the database that shares
//! its memoised results, then computes on a blocking thread without the lock.
//!
//! A salsa setter cancels the readers of older revisions and waits until their snapshots are
//! dropped: a reader's next query unwinds with `salsa::Cancelled`, which the server catches and
//! answers as *content modified* (or, for diagnostics, drops, since the edit's own run
//! publishes fresh ones). Readers therefore must never wait for the session lock while they
//! hold a snapshot; the server drops the snapshot before it locks again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bona_compiler::db::{BonaDatabase, Db, SourceFile, Workspace};
use bona_compiler::diagnostics::Diagnostic as CompilerDiagnostic;
use salsa::Setter;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

use crate::convert::UriOf;

/// Which file of the database a URI names, and back.
#[derive(Debug, Clone, Default)]
pub struct FileMap {
    /// Every file of the policy set, by path (file URIs) or by the URI's text (other schemes);
    /// the map's order is the workspace's order.
    by_key: BTreeMap<PathBuf, SourceFile>,
    /// The URI to use for each file: the client's own for open documents.
    uris: HashMap<SourceFile, Uri>,
    /// Versions of open documents.
    versions: HashMap<SourceFile, i32>,
}

impl FileMap {
    /// The file a URI names, if it is part of the policy set.
    pub fn file(&self, uri: &Uri) -> Option<SourceFile> {
        self.by_key.get(&key_of(uri)).copied()
    }

    /// Every file of the policy set, in workspace order.
    pub fn files(&self) -> impl Iterator<Item = SourceFile> + '_ {
        self.by_key.values().copied()
    }

    /// The version of an open document.
    pub fn version(&self, file: SourceFile) -> Option<i32> {
        self.versions.get(&file).copied()
    }

    /// Whether the editor has the document open.
    pub fn is_open(&self, file: SourceFile) -> bool {
        self.versions.contains_key(&file)
    }
}

impl UriOf for FileMap {
    fn uri_of(&self, file: SourceFile) -> Option<Uri> {
        self.uris.get(&file).cloned()
    }
}

/// The key of a URI in [`FileMap`]: the file's path for `file:` URIs, else the URI's text.
pub fn key_of(uri: &Uri) -> PathBuf {
    match uri.to_file_path() {
        Some(p) if uri.as_str().starts_with("file:") => p.into_owned(),
        _ => PathBuf::from(uri.as_str()),
    }
}

/// A read-only view for one computation: a database clone and the file map of its revision.
pub struct Snapshot {
    /// A clone of the session's database (shares its memoised results).
    pub db: BonaDatabase,
    /// The policy set.
    pub ws: Workspace,
    /// URIs, paths and versions of this revision.
    pub files: Arc<FileMap>,
    /// Whether diagnostics include `bona lint`'s findings.
    pub lint: bool,
}

impl Snapshot {
    /// The database as the compiler's queries take it.
    pub fn db(&self) -> &dyn Db {
        &self.db
    }

    /// The file a URI names.
    pub fn file(&self, uri: &Uri) -> Option<SourceFile> {
        self.files.file(uri)
    }

    /// The URI of a file.
    pub fn uri(&self, file: SourceFile) -> Option<Uri> {
        self.files.uri_of(file)
    }
}

/// What was last published for one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Published {
    /// The compiler's diagnostics it was made from.
    pub compiler: Vec<CompilerDiagnostic>,
    /// What the client was sent.
    pub lsp: Vec<Diagnostic>,
}

/// The session state; see the module doc.
pub struct Session {
    db: BonaDatabase,
    ws: Workspace,
    files: Arc<FileMap>,
    /// Bumped by every write; a computation publishes only if it is still current.
    pub generation: u64,
    /// Last publication per file.
    pub published: HashMap<SourceFile, Published>,
    /// Files whose text changed since their diagnostics were last converted (positions may
    /// have moved even where the compiler's byte spans did not).
    pub dirty: HashSet<SourceFile>,
    /// Files to publish even if their diagnostics did not change (just opened).
    pub force: HashSet<SourceFile>,
    /// Files removed from the policy set whose diagnostics must be cleared, with their URIs.
    pub removed: Vec<(SourceFile, Uri)>,
    /// The client accepts `documentChanges` in workspace edits.
    pub document_changes: bool,
    /// The client can watch files for us (`workspace/didChangeWatchedFiles` registered
    /// dynamically).
    pub watch_files: bool,
    /// The client re-requests code lenses when asked (`workspace/codeLens/refresh`): test
    /// results shown in one file change when a policy in another file is edited.
    pub refresh_lenses: bool,
    /// Publish `bona lint`'s findings with the compiler's diagnostics (the `lint` setting).
    pub lint: bool,
}

impl Default for Session {
    fn default() -> Session {
        let db = BonaDatabase::default();
        let ws = Workspace::new(&db, Vec::new());
        Session {
            db,
            ws,
            files: Arc::default(),
            generation: 0,
            published: HashMap::new(),
            dirty: HashSet::new(),
            force: HashSet::new(),
            removed: Vec::new(),
            document_changes: false,
            watch_files: false,
            refresh_lenses: false,
            lint: false,
        }
    }
}

impl Session {
    /// A snapshot for a computation.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            db: self.db.clone(),
            ws: self.ws,
            files: Arc::clone(&self.files),
            lint: self.lint,
        }
    }

    /// The file a URI names.
    pub fn file(&self, uri: &Uri) -> Option<SourceFile> {
        self.files.file(uri)
    }

    /// Turns the lint's findings on or off; every file is published again when it changes.
    pub fn set_lint(&mut self, lint: bool) -> bool {
        if self.lint == lint {
            return false;
        }
        self.lint = lint;
        self.generation += 1;
        self.force.extend(self.files.files());
        true
    }

    /// Loads every `.trust` file under `roots` that is not already known. Unreadable files are
    /// skipped (they are reported when opened). Returns how many were added.
    pub fn scan(&mut self, roots: &[PathBuf]) -> usize {
        let mut added = 0;
        // The command line's walk, so the editor and `bona check` see one policy set; its
        // problems are the command line's to report, the editor keeps the rest.
        for path in bona_host::walk::scan(roots).files {
            if self.files.by_key.contains_key(&path) {
                continue;
            }
            let Some(text) = read(&path) else { continue };
            let Some(uri) = Uri::from_file_path(&path) else {
                continue;
            };
            let file = SourceFile::new(&self.db, path.clone(), text);
            let map = Arc::make_mut(&mut self.files);
            map.by_key.insert(path, file);
            map.uris.insert(file, uri);
            self.dirty.insert(file);
            added += 1;
        }
        if added > 0 {
            self.sync_workspace();
        }
        added
    }

    /// `didOpen`: the editor's text wins over the disk's. Returns the file.
    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> SourceFile {
        let key = key_of(&uri);
        let file = match self.files.by_key.get(&key).copied() {
            Some(file) => {
                if file.text(&self.db) != text {
                    file.set_text(&mut self.db).to(text);
                }
                file
            }
            None => {
                let file = SourceFile::new(&self.db, key.clone(), text);
                Arc::make_mut(&mut self.files).by_key.insert(key, file);
                self.sync_workspace();
                file
            }
        };
        let map = Arc::make_mut(&mut self.files);
        map.uris.insert(file, uri);
        map.versions.insert(file, version);
        self.dirty.insert(file);
        self.generation += 1;
        file
    }

    /// `didChange`: applies the events to an open document. Returns `None` for a document that
    /// is not open (the notification is then ignored).
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: &[tower_lsp_server::ls_types::TextDocumentContentChangeEvent],
    ) -> Option<SourceFile> {
        let file = self.file(uri)?;
        if !self.files.is_open(file) {
            return None;
        }
        let mut text = file.text(&self.db).to_owned();
        crate::document::apply_changes(&mut text, changes);
        file.set_text(&mut self.db).to(text);
        Arc::make_mut(&mut self.files)
            .versions
            .insert(file, version);
        self.dirty.insert(file);
        self.generation += 1;
        Some(file)
    }

    /// `didClose`: the disk's text is the truth again; a document with no file on disk leaves
    /// the policy set. Returns `None` for a document that was not open.
    pub fn close(&mut self, uri: &Uri) -> Option<SourceFile> {
        let file = self.file(uri)?;
        if !self.files.is_open(file) {
            return None;
        }
        Arc::make_mut(&mut self.files).versions.remove(&file);
        let key = key_of(uri);
        match read(&key) {
            Some(text) => {
                if file.text(&self.db) != text {
                    file.set_text(&mut self.db).to(text);
                }
                self.dirty.insert(file);
            }
            None => self.forget(file, &key),
        }
        self.generation += 1;
        Some(file)
    }

    /// `didChangeWatchedFiles`: a file changed on disk. Open documents keep the editor's text.
    pub fn disk_changed(&mut self, uri: &Uri, deleted: bool) {
        let key = key_of(uri);
        if key.extension().is_none_or(|e| e != "trust") {
            return;
        }
        match self.files.by_key.get(&key).copied() {
            Some(file) if self.files.is_open(file) => {}
            Some(file) => match (deleted, read(&key)) {
                (false, Some(text)) => {
                    if file.text(&self.db) != text {
                        file.set_text(&mut self.db).to(text);
                        self.dirty.insert(file);
                        self.generation += 1;
                    }
                }
                _ => {
                    self.forget(file, &key);
                    self.generation += 1;
                }
            },
            None if !deleted => {
                if let (Some(text), Some(uri)) = (read(&key), Uri::from_file_path(&key)) {
                    let file = SourceFile::new(&self.db, key.clone(), text);
                    let map = Arc::make_mut(&mut self.files);
                    map.by_key.insert(key, file);
                    map.uris.insert(file, uri);
                    self.dirty.insert(file);
                    self.sync_workspace();
                    self.generation += 1;
                }
            }
            None => {}
        }
    }

    /// Removes a file from the policy set and schedules the clearing of its diagnostics.
    fn forget(&mut self, file: SourceFile, key: &Path) {
        let map = Arc::make_mut(&mut self.files);
        map.by_key.remove(key);
        if let Some(uri) = map.uris.remove(&file) {
            self.removed.push((file, uri));
        }
        self.published.remove(&file);
        self.dirty.remove(&file);
        self.sync_workspace();
    }

    fn sync_workspace(&mut self) {
        let files: Vec<SourceFile> = self.files.files().collect();
        self.ws.set_files(&mut self.db).to(files);
        self.generation += 1;
    }
}

/// Reads a policy file from disk, if it is a readable regular file of UTF-8 text of a sane
/// size (the command line's reader).
fn read(path: &Path) -> Option<String> {
    bona_host::source::read_source(path).ok()
}
