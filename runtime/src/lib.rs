//! `bona-runtime`: what an admission component embeds to evaluate compiled Bona policies.
//!
//! It has no dependency on the compiler and performs no I/O of its own: callers hand it bytes
//! (a bundle, an input document) and get values back.

pub mod decide;
pub mod eval;
pub mod facts;
pub mod glob;
pub mod image;
pub mod input;
pub mod ir;
pub mod json;
pub mod output;
pub mod reference;
pub mod refpattern;
pub mod signature;
pub mod tri;

pub use reference::{Reference, ReferenceError};
pub use tri::Tri;
