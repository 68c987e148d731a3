//! A policy's clause structure (docs/language.md#policies): which clauses it has, once each,
//! and the action they add up to; then its scope and rules, lowered.

use bona_runtime::ir;

use super::CheckedPolicy;
use crate::codes::Code;
use crate::db::SourceFile;
use crate::diagnostics::Sink;
use crate::lower::{self, given_twice, lower_scope, lower_trust};
use crate::resolve::SymbolTable;
use crate::syntax::ast::{Action, ClauseKind, Expr, Policy};
use crate::syntax::span::Span;

pub(super) fn first_of<T>(slot: &mut Option<(T, Span)>, value: (T, Span)) -> Option<Span> {
    match slot {
        Some((_, first)) => Some(*first),
        None => {
            *slot = Some(value);
            None
        }
    }
}

/// Clause structure of SPEC §2.2, then the expressions.
pub(super) fn check_policy(
    names: &mut &SymbolTable,
    sink: &mut Sink,
    file: SourceFile,
    p: &Policy,
) -> Option<CheckedPolicy> {
    let mut action: Option<(Action, Span)> = None;
    let mut on_unknown: Option<(Action, Span)> = None;
    let mut scope: Option<(&Expr, Span)> = None;
    let mut description: Option<(String, Span)> = None;
    let mut rules = Vec::new();
    let mut ok = true;
    // A clause the parser could not read hides what the policy meant: the clause right
    // before it may be cut short, and a missing `action` may be the one that failed. Those
    // checks are skipped so that one typo gives one diagnostic.
    let syntax_error = p.clauses.iter().any(|c| c.kind == ClauseKind::Error);
    let cut_short = |i: usize| {
        p.clauses
            .get(i + 1)
            .is_some_and(|next| next.kind == ClauseKind::Error)
    };
    for (i, clause) in p.clauses.iter().enumerate() {
        // The first of a repeated clause counts; later ones are errors pointing back at it.
        let first = match &clause.kind {
            ClauseKind::Action(a, _) => first_of(&mut action, (*a, clause.span)),
            ClauseKind::OnUnknown(a, _) => first_of(&mut on_unknown, (*a, clause.span)),
            ClauseKind::Scope(e) if !cut_short(i) => first_of(&mut scope, (e, clause.span)),
            ClauseKind::Description(s) => {
                first_of(&mut description, (s.value.clone(), clause.span))
            }
            ClauseKind::Trust(e) if !cut_short(i) => {
                rules.push((e, clause.span));
                None
            }
            ClauseKind::Scope(_) | ClauseKind::Trust(_) | ClauseKind::Error => {
                ok = false;
                None
            }
        };
        if let Some(first) = first {
            given_twice(
                sink,
                clause.span,
                first,
                format!(
                    "`{}` is given twice in policy \"{}\"",
                    clause.kind.keyword(),
                    p.name.value
                ),
                "a policy has at most one of each clause, except `trust`",
            );
            ok = false;
        }
    }
    let action = match action {
        Some((a, _)) => a,
        None if syntax_error => return None,
        None => {
            sink.push(
                sink.diag(
                    Code::E0320,
                    p.name.span,
                    format!("policy \"{}\" has no `action`", p.name.value),
                    "missing `action prevent` or `action issue`",
                )
                .help("add `action prevent` to block untrusted images, or `action issue` to only report them"),
            );
            ok = false;
            // Without an action, `on unknown` cannot be judged: check the rest as `prevent`.
            Action::Prevent
        }
    };
    let on_unknown = match (action, on_unknown) {
        (Action::Issue, Some((_, span))) => {
            sink.push(
                sink.diag(
                    Code::E0322,
                    span,
                    format!(
                        "`on unknown` is only for `prevent` policies; \"{}\" is an `issue` policy",
                        p.name.value
                    ),
                    "not allowed with `action issue`",
                )
                .help(
                    "remove it: an `issue` policy always reports missing information as an issue",
                ),
            );
            ok = false;
            Action::Issue
        }
        (_, Some((a, _))) => a,
        (_, None) => Action::Issue,
    };
    if rules.is_empty() && ok && !syntax_error {
        sink.push(
            sink.diag(
                Code::W0002,
                p.name.span,
                format!(
                    "policy \"{}\" has no `trust` rule, so it trusts no image",
                    p.name.value
                ),
                "trusts nothing",
            )
            .help("add a rule such as `trust registry == \"registry.company.com\"`"),
        );
    }
    let scope_ir = match scope {
        Some((e, _)) => match lower_scope(names, sink, e) {
            Some(s) => Some(s),
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    let mut lowered = Vec::with_capacity(rules.len());
    for (e, _) in &rules {
        match lower_trust(names, sink, e) {
            Some(r) => lowered.push(r),
            None => ok = false,
        }
    }
    ok.then(|| CheckedPolicy {
        policy: ir::Policy {
            name: p.name.value.clone(),
            action: lower::action(action),
            on_unknown: lower::action(on_unknown),
            scope: scope_ir,
            rules: lowered,
            description: description.map(|d| d.0),
        },
        file,
        span: p.span,
        name_span: p.name.span,
        scope_span: scope.map(|s| s.1),
        rule_spans: rules.iter().map(|r| r.1).collect(),
    })
}
