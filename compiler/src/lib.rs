//! `bona-compiler`: `.trust` source → diagnostics, formatted text, and the typed policy model
//! ([`bona_runtime::ir`]) that the runtime evaluates.
//!
//! The pipeline, one module per stage, each owning its salsa query beside its logic:
//! [`syntax`] (`parse`: lexer, parser, syntax tree) → [`resolve`] (`file_symbols`, `symbols`:
//! names across the whole policy set) → [`typeck`] (`check_file`: names, keys, clause
//! structure) → [`compile`] (`compile`: the policy set). [`lower`] turns expressions and
//! signers into the runtime's IR, checking types as it goes; `resolve` calls it for constant
//! values and named scopes, `typeck` for everything else. [`db`] holds only the inputs and the
//! database.
//!
//! # Dependency order
//!
//! Modules import only from modules above them in this list, never below (check with
//! `grep -rn "use crate::" compiler/src`); no two modules import each other.
//!
//! 1. leaves: [`codes`], [`attributes`], [`identity`], [`suggest`], [`disk`], [`generate`]
//! 2. [`db`]: the inputs (`SourceFile`, `Workspace`) and the database
//! 3. [`syntax`]: the syntax tree and the `parse` query
//! 4. [`files`]: the `line_starts` query and the codespan view
//! 5. [`diagnostics`]: typed diagnostics, their renderings, and the `Sink` stages report into
//! 6. [`lower`], [`testblock`]: expressions and signers to IR; `test` blocks
//! 7. [`resolve`]: the symbol table (lowers constants and named scopes)
//! 8. [`typeck`]: one file's items
//! 9. [`compile`]: the policy set
//! 10. [`testrun`], [`lint`]: what runs on a compiled set; [`fmt`] needs only [`syntax`]

pub mod attributes;
pub mod codes;
pub mod compile;
pub mod db;
pub mod diagnostics;
pub mod disk;
pub mod files;
pub mod fmt;
pub mod generate;
pub mod identity;
pub mod lint;
pub mod lower;
pub mod resolve;
pub mod suggest;
pub mod syntax;
pub mod testblock;
pub mod testrun;
pub mod typeck;
