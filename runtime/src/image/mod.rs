//! One image as the trust rules see it: its reference ([`reference`]) and the patterns it is
//! matched against ([`glob`], [`refpattern`]), what is known about it ([`facts`]), whether it
//! is signed ([`signature`], under which [`signer`]), and the per-image view that joins them ([`view`]).

pub mod attestation;
pub mod facts;
pub mod glob;
pub mod reference;
pub mod refpattern;
pub mod severity;
pub mod signature;
pub mod signer;
pub mod view;

pub use view::{BaseKnowledge, DigestSource, ImageView, TagKnowledge};
