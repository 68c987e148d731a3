//! One module per command.

pub mod audit;
pub mod build;
pub mod check;
pub mod diff;
pub mod eval;
pub mod facts;
pub mod fmt;
pub mod learn;
pub mod lint;
pub mod lsp;
pub mod registry_facts;
pub mod registry_targets;
pub mod serve;
pub mod table;
pub mod test;
