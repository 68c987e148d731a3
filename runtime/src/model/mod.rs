//! What the compiler hands the runtime: the typed policy model ([`ir`]), printed back as Bona
//! text ([`ir_text`]) and stored as a versioned, checksummed bundle ([`bundle`]).

pub mod bundle;
pub mod ir;
pub mod ir_text;
