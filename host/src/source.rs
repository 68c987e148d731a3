//! Reading a policy set into the compiler's database: the files of the [walk](crate::walk),
//! each read with the bounds of [`bona_compiler::disk`] and checked to be UTF-8 text.

use std::path::{Path, PathBuf};

use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_compiler::disk::{ReadError, read_regular};

use crate::walk::{WalkError, trust_files};

/// Policy files larger than this are refused rather than read: a generated file of 10,000
/// policies is about 4 MiB, so this leaves room without letting a stray file exhaust memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

fn error(path: &Path, message: impl Into<String>) -> WalkError {
    WalkError {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Reads one policy file as UTF-8 text.
///
/// # Errors
/// The file cannot be read, is not a regular file, is larger than [`MAX_FILE_BYTES`], or is
/// not UTF-8 (the message gives the line and column of the first bad byte).
pub fn read_source(path: &Path) -> Result<String, WalkError> {
    let bytes = read_regular(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadError::TooLarge { limit } => {
            // The size on disk, for the message only: the read itself stopped at the limit.
            let size = std::fs::metadata(path).map_or(limit + 1, |m| m.len());
            error(
                path,
                format!(
                    "file is {:.1} MiB; policy files may be at most {} MiB (split it into \
                     several files)",
                    size as f64 / f64::from(1 << 20),
                    limit >> 20
                ),
            )
        }
        other => error(path, other.to_string()),
    })?;
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

/// Reads the policy set under `paths` into a fresh database.
///
/// # Errors
/// The first problem of the walk or of a file's reading.
pub fn policy_set(paths: &[PathBuf]) -> Result<(BonaDatabase, Workspace), WalkError> {
    let db = BonaDatabase::default();
    let mut files = Vec::new();
    for path in trust_files(paths)? {
        let text = read_source(&path)?;
        files.push(SourceFile::new(&db, path, text));
    }
    let ws = Workspace::new(&db, files);
    Ok((db, ws))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_first_bad_byte_by_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.trust");
        std::fs::write(&path, b"let x = 1\nlet \xff = 2\n").unwrap();
        let err = read_source(&path).unwrap_err();
        assert_eq!(
            err.message,
            "not UTF-8 text: invalid byte at line 2, column 5"
        );
    }

    #[test]
    fn loads_a_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.trust"), "let x = 1\n").unwrap();
        std::fs::write(dir.path().join("b.trust"), "let y = 2\n").unwrap();
        let (db, ws) = policy_set(&[dir.path().to_owned()]).unwrap();
        assert_eq!(ws.files(&db).len(), 2);
    }
}
