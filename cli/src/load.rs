//! Files on the command line: the policy set is read through `bona-host` (one walk for every
//! host), and output files are written here. Every failure is bad input (exit 2) with one
//! message naming the path.

use std::io::Write as _;
use std::path::Path;

pub use bona_compiler::files::io_reason;
pub use bona_host::source::{policy_set, read_source};
pub use bona_host::walk::trust_files;

/// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so that a
/// reader never sees a partial document and a failure leaves the old file as it was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".bona-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
