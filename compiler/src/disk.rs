//! The one way Bona reads a file it was pointed at (a policy file, a key file): regular files
//! only, and never more bytes than a bound.
//!
//! A policy directory is often a mounted ConfigMap or a checkout that anyone on a team can
//! write to, so what sits in it cannot be trusted to be a small text file. A FIFO would block
//! the reader forever, `/dev/zero` behind a symlink would fill memory, and `metadata().len()`
//! of a device or a growing file says nothing about how much a read returns. So the kind of
//! the file is checked before it is opened (no open of a FIFO, which would wait for a writer)
//! and again on the opened handle (the path may have been swapped in between), the open does
//! not block, and the read stops one byte past the limit, counting bytes actually read.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::Read as _;
use std::path::Path;

/// What kind of file a path names, in the words an error message uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Directory,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Other,
}

impl FileKind {
    /// The kind of the file `meta` describes (after symlinks are followed).
    pub fn of(meta: &Metadata) -> FileKind {
        let ty = meta.file_type();
        if ty.is_file() {
            return FileKind::Regular;
        }
        if ty.is_dir() {
            return FileKind::Directory;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if ty.is_fifo() {
                return FileKind::Fifo;
            }
            if ty.is_char_device() {
                return FileKind::CharDevice;
            }
            if ty.is_block_device() {
                return FileKind::BlockDevice;
            }
            if ty.is_socket() {
                return FileKind::Socket;
            }
        }
        FileKind::Other
    }

    /// `a FIFO`, `a character device`, …
    pub fn described(self) -> &'static str {
        match self {
            FileKind::Regular => "a regular file",
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Other => "not a regular file",
        }
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system refused (missing file, permission, …).
    Io(std::io::Error),
    /// The path names a FIFO, a device, a socket or a directory.
    NotRegular(FileKind),
    /// The file holds more than the limit.
    TooLarge { limit: u64 },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read: {}", io_reason(e)),
            ReadError::NotRegular(kind) => {
                write!(
                    f,
                    "cannot read: it is {}, not a regular file",
                    kind.described()
                )
            }
            ReadError::TooLarge { limit } => write!(
                f,
                "file is larger than {}; files Bona reads may be at most that large",
                size(*limit)
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// As an I/O error whose text is the reason alone (callers add "cannot read …" themselves).
impl From<ReadError> for std::io::Error {
    fn from(e: ReadError) -> std::io::Error {
        use std::io::{Error, ErrorKind};
        match e {
            ReadError::Io(e) => e,
            ReadError::NotRegular(FileKind::Directory) => Error::from(ErrorKind::IsADirectory),
            ReadError::NotRegular(kind) => Error::new(
                ErrorKind::InvalidInput,
                format!("it is {}, not a regular file", kind.described()),
            ),
            // In bytes: callers lower-case I/O reasons, which would mangle `MiB`.
            ReadError::TooLarge { limit } => Error::new(
                ErrorKind::InvalidData,
                format!("the file holds more than {limit} bytes"),
            ),
        }
    }
}

/// `16 MiB`, `64 KiB`, `100 bytes`.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the regular file at `path` (symlinks followed), refusing anything else and any file
/// that holds more than `limit` bytes.
///
/// # Errors
/// [`ReadError`]: the path cannot be opened, is not a regular file, or is too large.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let kind = FileKind::of(&std::fs::metadata(path).map_err(ReadError::Io)?);
    if kind != FileKind::Regular {
        return Err(ReadError::NotRegular(kind));
    }
    let file = open_nonblocking(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    let kind = FileKind::of(&metadata);
    if kind != FileKind::Regular {
        return Err(ReadError::NotRegular(kind));
    }
    // Sized up front (one byte more, to see the end), rather than doubled as it is read.
    let expected = metadata.len().min(limit).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Opens for reading without waiting: a FIFO swapped in after the check must not block.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// An I/O error's reason in lower case, without Rust's `(os error N)` suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.find(" (os error").map_or(s.as_str(), |i| &s[..i]);
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.trust");
        std::fs::write(&path, "let x = 1\n").unwrap();
        assert_eq!(read_regular(&path, 100).unwrap(), b"let x = 1\n");
        assert_eq!(read_regular(&path, 10).unwrap().len(), 10);
        let err = read_regular(&path, 9).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit: 9 }));
        assert_eq!(
            err.to_string(),
            "file is larger than 9 bytes; files Bona reads may be at most that large"
        );
    }

    #[test]
    fn refuses_a_directory_and_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular(dir.path(), 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read: it is a directory, not a regular file"
        );
        let err = read_regular(&dir.path().join("missing"), 100).unwrap_err();
        assert_eq!(err.to_string(), "cannot read: no such file or directory");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_behind_symlinks_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("z.trust");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read_regular(&link, 1 << 30).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read: it is a character device, not a regular file"
        );
    }

    #[test]
    fn io_errors_carry_the_reason_alone() {
        let dir = tempfile::tempdir().unwrap();
        let e = std::io::Error::from(read_regular(dir.path(), 100).unwrap_err());
        assert_eq!(io_reason(&e), "is a directory");
        let path = dir.path().join("k.pub");
        std::fs::write(&path, [b'x'; 2048]).unwrap();
        let e = std::io::Error::from(read_regular(&path, 1024).unwrap_err());
        assert_eq!(io_reason(&e), "the file holds more than 1024 bytes");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.trust");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = read_regular(&fifo, 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read: it is a FIFO, not a regular file"
        );
    }
}
