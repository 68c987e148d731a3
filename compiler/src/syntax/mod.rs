//! Text to syntax tree: [`lexer`] → [`parser`] (generated from `grammar/trust.lalrpop`) → [`ast`].

pub mod ast;
pub mod build;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod spanless;
