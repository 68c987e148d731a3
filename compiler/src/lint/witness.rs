//! Concrete witnesses.
