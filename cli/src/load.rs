//! Files on the command line: the policy set is read through `bona-host` (one walk for every
//! host), and output files are written here. Every failure is bad input (exit 2) with one
//! message naming the path.

use std::io::Write as _;
use std::path::Path;

pub use bona_compiler::disk::io_reason;
pub use bona_host::source::{policy_set, read_source};
pub use bona_host::walk::trust_files;

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
