//! A codespan-reporting view of the database's source files, and byte offset → line/column
//! conversion (1-based lines and characters; the LSP converts to UTF-16 itself).

use std::ops::Range;

use codespan_reporting::files::{Error, Files};
use serde::Serialize;

use crate::db::{Db, SourceFile};

/// Byte offsets where lines start, for position conversion.
#[salsa::tracked(returns(deref))]
pub fn line_starts(db: &dyn Db, file: SourceFile) -> Vec<usize> {
    codespan_reporting::files::line_starts(file.text(db)).collect()
}

/// Files as codespan sees them: names and text come straight from the salsa inputs.
pub struct DbFiles<'db> {
    db: &'db dyn Db,
}

/// A 1-based line and character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl<'db> DbFiles<'db> {
    /// A view over `db`.
    pub fn new(db: &'db dyn Db) -> DbFiles<'db> {
        DbFiles { db }
    }

    /// The 1-based line and character column of a byte offset.
    pub fn position(&self, file: SourceFile, byte: usize) -> Position {
        let starts = line_starts(self.db, file);
        let line = starts.partition_point(|&s| s <= byte).saturating_sub(1);
        let text = file.text(self.db);
        let start = starts.get(line).copied().unwrap_or(0);
        let column = text
            .get(start..byte.min(text.len()))
            .map_or(0, |s| s.chars().count());
        Position {
            line: line + 1,
            column: column + 1,
        }
    }
}

impl<'db> Files<'db> for DbFiles<'db> {
    type FileId = SourceFile;
    type Name = String;
    type Source = &'db str;

    fn name(&'db self, id: SourceFile) -> Result<String, Error> {
        Ok(id.path(self.db).display().to_string())
    }

    fn source(&'db self, id: SourceFile) -> Result<&'db str, Error> {
        Ok(id.text(self.db))
    }

    fn line_index(&'db self, id: SourceFile, byte_index: usize) -> Result<usize, Error> {
        let starts = line_starts(self.db, id);
        Ok(starts
            .partition_point(|&s| s <= byte_index)
            .saturating_sub(1))
    }

    fn line_range(&'db self, id: SourceFile, line_index: usize) -> Result<Range<usize>, Error> {
        let starts = line_starts(self.db, id);
        let len = id.text(self.db).len();
        let start = *starts.get(line_index).ok_or(Error::LineTooLarge {
            given: line_index,
            max: starts.len().saturating_sub(1),
        })?;
        let end = starts.get(line_index + 1).copied().unwrap_or(len);
        Ok(start..end)
    }
}
