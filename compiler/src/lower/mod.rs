//! Lowering: the syntax tree's expressions and signers → the runtime's IR, checking types,
//! sides and literals on the way. Both `resolve` (constant values and named scopes, for the
//! symbol table) and `typeck` (every item of a file) call it; it asks about names
//! only through [`Names`], so it sits below both.
//!
//! One function per position (constant, scope, trust rule, signer); each reports every error
//! it finds and returns `None` for the parts that do not check, so one mistake never hides
//! another.
//!
//! | file | job |
//! |---|---|
//! | [`names`] | what lowering asks about names; constant values |
//! | [`constant`] | `let` values and comparison right-hand sides |
//! | [`expr`] | `and`/`or`/`not`, and the two sides of a comparison |
//! | [`scope`] | conditions on the asset |
//! | [`trust`] | conditions on the image |
//! | [`attest`] | attestation attributes |
//! | [`signers`] | `keyless` blocks, `{ tlog R }`, `signed by` |
//! | [`compare`] | a comparison's value shapes and operators |
//! | [`literals`] | globs, reference patterns, digests, references |
//! | [`report`] | diagnostics shared by the above |

mod attest;
mod compare;
mod constant;
mod expr;
mod literals;
mod names;
mod report;
mod scope;
mod signers;
mod trust;

pub use constant::lower_const;
pub use expr::{lower_scope, lower_trust};
pub use names::{Const, DefKind, Names};
pub(crate) use report::given_twice;
pub(crate) use signers::{key_options, keyless};

use bona_runtime::ir;

use crate::syntax::ast;

/// A policy's `action` or `on unknown` word, in the runtime's terms.
pub fn action(a: ast::Action) -> ir::Action {
    match a {
        ast::Action::Prevent => ir::Action::Prevent,
        ast::Action::Issue => ir::Action::Issue,
    }
}
