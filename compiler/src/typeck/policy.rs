//! A policy's clause structure (docs/language.md#policies): which clauses it has, once each,
//! and the action they add up to; then its scope and rules, lowered.

use bona_runtime::ir;

use super::{CheckedPolicy, Origin};
use crate::codes::Code;
use crate::db::SourceFile;
use crate::diagnostics::Sink;
use crate::lower::{self, Names, given_twice, lower_scope, lower_trust};
use crate::resolve::SymbolTable;
use crate::syntax::ast::{Action, ClauseKind, Expr, Policy};
use crate::syntax::span::Span;

/// A policy's clauses, the first of each kind (a repeat is reported where it is read).
struct Clauses<'p> {
    action: Option<(Action, Span)>,
    on_unknown: Option<(Action, Span)>,
    scope: Option<(&'p Expr, Span)>,
    description: Option<(String, Span)>,
    rules: Vec<(&'p Expr, Span)>,
    /// Some clause could not be parsed.
    syntax_error: bool,
    /// No clause is repeated, and none is cut short by a syntax error.
    ok: bool,
}

/// The lowered scope and rules of a policy.
type Body = (
    Option<ir::Expr<ir::AssetAtom>>,
    Vec<ir::Expr<ir::ImageAtom>>,
);

/// Clause structure of docs/language.md#policies, then the expressions.
pub(super) fn check_policy(
    names: &mut &SymbolTable,
    sink: &mut Sink,
    file: SourceFile,
    p: &Policy,
) -> Option<CheckedPolicy> {
    let clauses = read_clauses(sink, p);
    let mut ok = clauses.ok;
    let action = match clauses.action {
        Some((a, _)) => a,
        None if clauses.syntax_error => return None,
        None => {
            missing_action(sink, p);
            ok = false;
            // Without an action, `on unknown` cannot be judged: check the rest as `prevent`.
            Action::Prevent
        }
    };
    let on_unknown = match (action, clauses.on_unknown) {
        (Action::Issue, Some((_, span))) => {
            on_unknown_in_issue(sink, p, span);
            ok = false;
            Action::Issue
        }
        (_, Some((a, _))) => a,
        (_, None) => Action::Issue,
    };
    if clauses.rules.is_empty() && ok && !clauses.syntax_error {
        trusts_nothing(sink, p);
    }
    let body = lower_body(names, sink, &clauses);
    let (scope, rules) = body.filter(|_| ok)?;
    if action == Action::Prevent && clauses.on_unknown.is_none() && rules.iter().any(uses_evidence)
    {
        let word = p.clauses.iter().find_map(|c| match c.kind {
            ClauseKind::Action(_, word) => Some(word),
            _ => None,
        });
        fails_open_on_evidence(sink, p, word.unwrap_or(p.name.span));
    }
    Some(CheckedPolicy {
        policy: ir::Policy {
            name: p.name.value.clone(),
            action: lower::action(action),
            on_unknown: lower::action(on_unknown),
            scope,
            rules,
            description: clauses.description.map(|d| d.0),
        },
        origin: Origin {
            file,
            span: p.span,
            name_span: p.name.span,
            scope_span: clauses.scope.map(|s| s.1),
            rule_spans: clauses.rules.iter().map(|r| r.1).collect(),
        },
    })
}

/// Sorts the clauses by kind, reporting each repeat of a clause that may appear once.
fn read_clauses<'p>(sink: &mut Sink, p: &'p Policy) -> Clauses<'p> {
    let mut c = Clauses {
        action: None,
        on_unknown: None,
        scope: None,
        description: None,
        rules: Vec::new(),
        // A clause the parser could not read hides what the policy meant: the clause right
        // before it may be cut short, and a missing `action` may be the one that failed.
        // Those checks are skipped so that one typo gives one diagnostic.
        syntax_error: p.clauses.iter().any(|c| c.kind == ClauseKind::Error),
        ok: true,
    };
    let cut_short = |i: usize| {
        p.clauses
            .get(i + 1)
            .is_some_and(|next| next.kind == ClauseKind::Error)
    };
    for (i, clause) in p.clauses.iter().enumerate() {
        // The first of a repeated clause counts; later ones are errors pointing back at it.
        let first = match &clause.kind {
            ClauseKind::Action(a, _) => first_of(&mut c.action, (*a, clause.span)),
            ClauseKind::OnUnknown(a, _) => first_of(&mut c.on_unknown, (*a, clause.span)),
            ClauseKind::Scope(e) if !cut_short(i) => first_of(&mut c.scope, (e, clause.span)),
            ClauseKind::Description(s) => {
                first_of(&mut c.description, (s.value.clone(), clause.span))
            }
            ClauseKind::Trust(e) if !cut_short(i) => {
                c.rules.push((e, clause.span));
                None
            }
            ClauseKind::Scope(_) | ClauseKind::Trust(_) | ClauseKind::Error => {
                c.ok = false;
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
            c.ok = false;
        }
    }
    c
}

/// Records the first occurrence of a clause; returns the span of the first when this is a repeat.
fn first_of<T>(slot: &mut Option<(T, Span)>, value: (T, Span)) -> Option<Span> {
    match slot {
        Some((_, first)) => Some(*first),
        None => {
            *slot = Some(value);
            None
        }
    }
}

/// E0320: the policy has no `action`.
fn missing_action(sink: &mut Sink, p: &Policy) {
    sink.push(
        sink.diag(
            Code::E0320,
            p.name.span,
            format!("policy \"{}\" has no `action`", p.name.value),
            "missing `action prevent` or `action issue`",
        )
        .help(
            "add `action prevent` to block untrusted images, or `action issue` to only report them",
        ),
    );
}

/// E0322: `on unknown` in an `issue` policy, which never blocks.
fn on_unknown_in_issue(sink: &mut Sink, p: &Policy, span: Span) {
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
        .help("remove it: an `issue` policy always reports missing information as an issue"),
    );
}

/// W0002: a policy without a `trust` rule trusts no image.
fn trusts_nothing(sink: &mut Sink, p: &Policy) {
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

/// Whether a rule reads signatures or attestations: evidence a registry may fail to give.
fn uses_evidence(rule: &ir::Expr<ir::ImageAtom>) -> bool {
    use ir::ImageAtom as A;
    match rule {
        ir::Expr::Const(_) => false,
        ir::Expr::Atom(atom) => matches!(
            atom,
            A::SignedBy { .. }
                | A::SignedByN { .. }
                | A::Attested { .. }
                | A::AttestedStr { .. }
                | A::AttestedVulns { .. }
                | A::AttestedScanAge { .. }
        ),
        ir::Expr::Not(inner) => uses_evidence(inner),
        ir::Expr::And(es) | ir::Expr::Or(es) => es.iter().any(uses_evidence),
    }
}

/// W0006: a `prevent` policy on signatures or attestations that lets unknown through by
/// default, so that an outage of the registry holding them admits what it refuses.
fn fails_open_on_evidence(sink: &mut Sink, p: &Policy, span: Span) {
    sink.push(
        sink.diag(
            Code::W0006,
            span,
            format!(
                "policy \"{}\" prevents on signatures or attestations, but under the default \
                 `on unknown issue` a registry outage or rate limit admits images this policy \
                 refuses",
                p.name.value
            ),
            "unknown evidence is let through",
        )
        .help(
            "add `on unknown prevent` to refuse images whose evidence cannot be read, or write \
             `on unknown issue` to say that admitting them is intended",
        ),
    );
}

/// Lowers the scope and every rule, all of them so that each reports its errors; `None` when
/// any does not check.
fn lower_body(names: &mut dyn Names, sink: &mut Sink, clauses: &Clauses) -> Option<Body> {
    let mut ok = true;
    let scope = match clauses.scope {
        Some((e, _)) => {
            let lowered = lower_scope(names, sink, e);
            ok &= lowered.is_some();
            lowered
        }
        None => None,
    };
    let mut rules = Vec::with_capacity(clauses.rules.len());
    for (e, _) in &clauses.rules {
        match lower_trust(names, sink, e) {
            Some(r) => rules.push(r),
            None => ok = false,
        }
    }
    ok.then_some((scope, rules))
}
