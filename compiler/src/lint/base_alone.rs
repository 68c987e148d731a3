//! L0005: a rule that trusts an image by its `base` alone.
//!
//! `base matches "registry.company.com/base/**"` reads "built on our base image", and since
//! bases are found by layer content (docs/images.md#base-by-layers) anyone who pulls that base
//! can build on it, publish anywhere, and be trusted. A rule that constrains `base` should
//! also say where the image comes from (`registry`, `repository`, `image`) or who signed it
//! (`signed by`). This is Prisma Cloud's "trust by image layers" with its usual companion.

use bona_runtime::ir::{Expr, ImageAtom, ImageStrAttr, RefAttr};

use crate::codes::Code;
use crate::diagnostics::Diagnostic;
use crate::lint::Model;

/// What a rule constrains, as far as this finding cares.
#[derive(Default)]
struct Constrains {
    base: bool,
    origin: bool,
}

fn walk(expr: &Expr<ImageAtom>, out: &mut Constrains) {
    match expr {
        Expr::Const(_) => {}
        Expr::Atom(atom) => match atom {
            ImageAtom::BaseEq { .. }
            | ImageAtom::BaseIn { .. }
            | ImageAtom::RefEq {
                attr: RefAttr::Base,
                ..
            }
            | ImageAtom::RefIn {
                attr: RefAttr::Base,
                ..
            }
            | ImageAtom::RefMatches {
                attr: RefAttr::Base,
                ..
            } => out.base = true,
            ImageAtom::Str { attr, .. }
            | ImageAtom::In { attr, .. }
            | ImageAtom::Matches { attr, .. }
                if matches!(attr, ImageStrAttr::Registry | ImageStrAttr::Repository) =>
            {
                out.origin = true;
            }
            ImageAtom::RefMatches {
                attr: RefAttr::Image,
                ..
            }
            | ImageAtom::SignedBy { .. }
            | ImageAtom::SignedByN { .. } => out.origin = true,
            _ => {}
        },
        Expr::Not(inner) => walk(inner, out),
        Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| walk(e, out)),
    }
}

pub fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for p in &m.policies {
        for (ir, rule) in p.policy.rules.iter().zip(&p.rules) {
            let mut c = Constrains::default();
            walk(ir, &mut c);
            if c.base && !c.origin {
                out.push(
                    Diagnostic::new(
                        Code::L0005,
                        p.origin.file,
                        rule.span,
                        format!(
                            "this rule of policy \"{}\" trusts an image by its `base` alone: anyone can build on a public base",
                            p.name()
                        ),
                        "says nothing of where the image comes from",
                    )
                    .help(
                        "also require `registry`, `repository`, `image matches` or `signed by`, for example `and registry == \"registry.company.com\"`",
                    ),
                );
            }
        }
    }
}
