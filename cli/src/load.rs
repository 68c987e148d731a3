//! Reading a policy set from the paths given on the command line into the compiler's
//! database. Every failure here is bad input (exit 2) with one message naming the path.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};

/// Policy files larger than this are refused rather than read: a generated file of 10,000
/// policies is about 4 MiB, so this leaves room without letting a stray file exhaust memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why the policy set could not be read.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

fn error(path: &Path, message: impl Into<String>) -> LoadError {
    LoadError {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Collects the `.trust` files under `paths` (a file is taken as given; a directory is
/// searched recursively), in a stable order.
pub fn trust_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| error(path, format!("cannot read: {}", io_reason(&e))))?;
        if meta.is_dir() {
            let before = out.len();
            walk(path, &mut out)?;
            if out.len() == before {
                return Err(error(path, "no `.trust` files in this directory"));
            }
        } else {
            out.push(path.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| error(dir, format!("cannot read directory: {}", io_reason(&e))))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "trust") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads one policy file as UTF-8 text.
pub fn read_source(path: &Path) -> Result<String, LoadError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| error(path, format!("cannot read: {}", io_reason(&e))))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(error(
            path,
            format!(
                "file is {:.1} MiB; policy files may be at most {} MiB (split it into several files)",
                meta.len() as f64 / f64::from(1 << 20),
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| error(path, format!("cannot read: {}", io_reason(&e))))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // INVARIANT: `valid_up_to` marks the longest valid UTF-8 prefix.
        let text = std::str::from_utf8(good).unwrap_or("");
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        error(
            path,
            format!("not UTF-8 text: invalid byte at line {line}, column {column}"),
        )
    })
}

pub use bona_compiler::files::io_reason;

/// Reads the policy set into a fresh database.
pub fn policy_set(paths: &[PathBuf]) -> Result<(BonaDatabase, Workspace), LoadError> {
    let db = BonaDatabase::default();
    let mut files = Vec::new();
    for path in trust_files(paths)? {
        let text = read_source(&path)?;
        files.push(SourceFile::new(&db, path, text));
    }
    let ws = Workspace::new(&db, files);
    Ok((db, ws))
}

/// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so that a
/// reader never sees a partial document and a failure leaves the old file as it was.
///
/// Only a regular file is replaced: a symlink, FIFO, device, socket or directory at `path` is
/// an error (renaming over it would swap a device node or a link for a plain file), checked
/// just before the rename. An existing file keeps its permission bits; a new one gets those of
/// any file the user creates (0666 less the umask), not the temporary file's 0600.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let existing = || match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => Ok(Some(meta.permissions())),
        Ok(meta) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "it is a {}, not a regular file; refusing to replace it",
                file_kind(&meta.file_type())
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    };
    let permissions = existing()?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // The mode given to open(2), which the kernel reduces by the umask.
    let mut tmp = tempfile::Builder::new()
        .prefix(".bona-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some(permissions) = permissions {
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.as_file().sync_all()?;
    // Again: whatever appeared at `path` while writing must be a regular file too.
    existing()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `symbolic link`, `FIFO`, … for a message.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_symlink() {
        "symbolic link"
    } else if kind.is_dir() {
        "directory"
    } else if kind.is_fifo() {
        "FIFO"
    } else if kind.is_char_device() {
        "character device"
    } else if kind.is_block_device() {
        "block device"
    } else if kind.is_socket() {
        "socket"
    } else {
        "special file"
    }
}
