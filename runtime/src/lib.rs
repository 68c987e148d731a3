//! `bona-runtime`: what an admission component embeds to evaluate compiled Bona policies.
//!
//! It has no dependency on the compiler and performs no I/O of its own: callers hand it bytes
//! (a bundle, an input document) and get values back.
