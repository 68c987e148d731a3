//! `bona lint`: static analysis of a compiled policy set (docs/language.md#linting), one file per finding.
//!
//! | code | file | finding |
//! |---|---|---|
//! | L0001 | [`never`] | a rule that can never hold |
//! | L0002 | [`subsumed`] | a rule that another rule of its policy makes redundant |
//! | L0003 | [`dead`] | a `prevent` policy whose trust another one always grants |
//! | L0004 | [`overridden`] | a `prevent` policy that an overlapping `issue` policy overrides |
//! | L0005 | [`base_alone`] | a rule that trusts an image by its `base` alone |
//!
//! The analysis runs over the lowered form (the runtime's IR, where constants and named scopes
//! are already inlined), walked alongside the syntax tree for spans. Soundness comes first: a
//! finding is reported only when it is proven ([`logic`] says how, under Kleene's logic), or, for
//! L0004, when a concrete asset and image show it under the runtime's own interpreter
//! ([`witness`]). Whatever cannot be decided cheaply is not reported.

mod base_alone;
mod dead;
pub mod logic;
mod never;
pub mod overridden;
pub mod strings;
mod subsumed;
pub mod witness;

use bona_runtime::ir::{self, Action};

use crate::compile::{Compiled, compile};
use crate::db::{Db, Workspace};
use crate::diagnostics::{self, Diagnostic};
use crate::syntax::ast::{self, ClauseKind, Item};
use crate::syntax::parse;
use crate::syntax::span::Span;
use crate::typeck::Origin;
use logic::{Lits, Nnf};

/// A policy as the lint sees it: its rules and scope in negation normal form.
pub struct PolicyModel<'a> {
    pub policy: &'a ir::Policy,
    pub origin: &'a Origin,
    /// One per rule, in the image arena ([`Model::image`]).
    pub rules: Vec<Rule>,
    /// In the asset arena ([`Model::asset`]); no scope is `Const(true)`.
    pub scope: Nnf,
    /// Rules found to never hold (L0001): left out of the other findings.
    pub never: Vec<bool>,
}

impl PolicyModel<'_> {
    /// The policy's verdict, the `or` of its rules.
    pub fn verdict(&self) -> Nnf {
        Nnf::Or(self.rules.iter().map(|r| r.nnf.clone()).collect())
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.policy.name
    }

    /// Whether this is a `prevent` policy.
    pub fn prevents(&self) -> bool {
        self.policy.action == Action::Prevent
    }
}

/// One `trust` rule.
pub struct Rule {
    pub nnf: Nnf,
    /// The rule's expression (after `trust`).
    pub span: Span,
}

/// Every policy of the set, with the literal arenas their expressions index.
pub struct Model<'a> {
    pub image: Lits,
    pub asset: Lits,
    pub policies: Vec<PolicyModel<'a>>,
}

/// Builds the model of a compiled set (policies in name order, as compiled).
pub fn model<'a>(db: &dyn Db, compiled: &'a Compiled) -> Model<'a> {
    let mut m = Model {
        image: Vec::new(),
        asset: Vec::new(),
        policies: Vec::new(),
    };
    for (policy, origin) in compiled.set.policies.iter().zip(&compiled.origins) {
        let parsed = parse(db, origin.file);
        let syntax = parsed.file.items.iter().find_map(|i| match i {
            Item::Policy(p) if p.span == origin.span => Some(p),
            _ => None,
        });
        let clause = |span: Span| -> Option<&ast::Expr> {
            syntax?
                .clauses
                .iter()
                .find(|c| c.span == span)
                .and_then(|c| match &c.kind {
                    ClauseKind::Trust(e) | ClauseKind::Scope(e) => Some(e),
                    _ => None,
                })
        };
        let rules: Vec<Rule> = policy
            .rules
            .iter()
            .zip(&origin.rule_spans)
            .map(|(ir, &clause_span)| {
                let expr = clause(clause_span);
                let span = expr.map_or(clause_span, |e| e.span);
                Rule {
                    nnf: logic::nnf(expr, ir, false, span, &mut m.image),
                    span,
                }
            })
            .collect();
        let scope = match (&policy.scope, origin.scope_span) {
            (Some(ir), Some(span)) => {
                let expr = clause(span);
                logic::nnf(expr, ir, false, span, &mut m.asset)
            }
            (Some(ir), None) => logic::nnf(None, ir, false, origin.name_span, &mut m.asset),
            (None, _) => Nnf::Const(true),
        };
        let never = vec![false; rules.len()];
        m.policies.push(PolicyModel {
            policy,
            origin,
            rules,
            scope,
            never,
        });
    }
    m
}

/// The lint's own findings for a compiled set without errors.
pub fn findings(db: &dyn Db, compiled: &Compiled) -> Vec<Diagnostic> {
    let mut m = model(db, compiled);
    let mut out = Vec::new();
    never::check(db, &mut m, &mut out);
    subsumed::check(&m, &mut out);
    dead::check(&m, &mut out);
    overridden::check(&mut m, &compiled.set, &mut out);
    base_alone::check(&m, &mut out);
    out
}

/// Everything `bona lint` reports: the compiler's diagnostics and, when there is no error, the
/// lint's findings, sorted by file and position.
pub fn lint(db: &dyn Db, ws: Workspace) -> Vec<Diagnostic> {
    let compiled = compile(db, ws);
    let mut out = compiled.diagnostics.clone();
    if !compiled.has_errors() {
        out.extend(findings(db, compiled));
    }
    diagnostics::sort(db, &mut out);
    out
}

/// The source text of a span, for messages.
pub(crate) fn text(db: &dyn Db, file: crate::db::SourceFile, span: Span) -> String {
    file.text(db)
        .get(span.range())
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
