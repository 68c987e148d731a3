//! From a policy set and an asset's images to a decision, in the order a decision is made:
//! three-valued truth ([`tri`]), atoms and expressions with their reasons ([`eval`]), the
//! decision rules with the direct interpreter ([`rules`], re-exported here) and the indexed
//! table that must agree with it ([`table`]), the [`engine`] that callers hold, and the
//! [`output`] shapes it answers with.

pub mod engine;
pub mod eval;
pub mod evaluation;
mod fxhash;
pub mod output;
pub mod rules;
mod scope_index;
mod scope_memo;
pub mod table;
pub mod tri;

pub use rules::*;
