//! Text to syntax tree: [`lexer`] → [`stream`] → [`parser`] (generated from
//! `grammar/trust.lalrpop`) → [`ast`].
//!
//! [`parse`] is the stage's salsa query: one parse per file, re-run only when its text changes.

pub mod ast;
pub mod build;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod spanless;
pub mod stream;

use crate::db::{Db, SourceFile};
use parser::Parsed;

/// Parses one file.
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> Parsed {
    parser::parse(file.text(db))
}
