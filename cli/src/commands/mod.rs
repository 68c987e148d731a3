//! One module per command.

pub mod audit;
pub mod build;
pub mod check;
// pub mod fmt;
pub mod eval;
pub mod table;
pub mod test;
