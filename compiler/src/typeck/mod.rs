//! Type checking of one file against the policy set's symbols: names (duplicates, reserved
//! words, cycles: [`names`]), key and trust root files ([`keys`]), clause structure
//! ([`policy`]), and every expression, which `lower` checks as it lowers. The output is
//! the runtime's IR plus the diagnostics of this file, from the [`check_file`] query.

mod keys;
mod names;
mod policy;

use bona_runtime::ir;

use crate::codes::Code;
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostics::{Diagnostic, Sink};
use crate::lower::{self, lower_const, lower_scope};
use crate::resolve::symbols;
use crate::syntax::ast::Item;
use crate::syntax::parse;
use crate::syntax::span::Span;
use crate::testblock::{self, TestCase};
use keys::{load_key, load_trust_root};
use names::{check_name, cycle, duplicate};
use policy::check_policy;

/// A lowered policy and where its parts are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPolicy {
    pub policy: ir::Policy,
    pub origin: Origin,
}

/// Where a policy's parts are written (for coverage, hover and lints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: SourceFile,
    pub span: Span,
    pub name_span: Span,
    pub scope_span: Option<Span>,
    /// One per rule of `policy.rules`.
    pub rule_spans: Vec<Span>,
}

/// The result of checking one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileCheck {
    /// Syntax, name, type and key diagnostics of this file (including duplicates it takes part in).
    pub diagnostics: Vec<Diagnostic>,
    pub policies: Vec<ir::Policy>,
    /// Where each of `policies` is written (same order).
    pub origins: Vec<Origin>,
    pub tests: Vec<TestCase>,
    /// Signers (`key` items) defined in this file, by name.
    pub keys: Vec<(String, ir::Signer)>,
    /// Trust roots defined in this file: name and document text.
    pub trust_roots: Vec<(String, String)>,
}

/// Resolves, type-checks and lowers one file against the workspace's symbols.
#[salsa::tracked(returns(ref))]
pub fn check_file(db: &dyn Db, ws: Workspace, file: SourceFile) -> FileCheck {
    check_file_once(db, ws, file)
}

/// [`check_file`] without keeping the result in the database.
pub fn check_file_once(db: &dyn Db, ws: Workspace, file: SourceFile) -> FileCheck {
    let parsed = parse(db, file);
    let table = symbols(db, ws);
    let mut sink = Sink::new(file, file.text(db));
    sink.has_syntax_errors = !parsed.errors.is_empty();
    for e in &parsed.errors {
        let mut d = sink.diag(e.code, e.span, e.message.clone(), e.label.clone());
        d.help = e.help.clone();
        sink.push(d);
    }
    let mut out = FileCheck::default();
    let items = &parsed.file.items;
    let policies = items
        .iter()
        .filter(|i| matches!(i, Item::Policy(_)))
        .count();
    out.policies.reserve_exact(policies);
    out.origins.reserve_exact(policies);
    let mut names = table;
    for (index, item) in parsed.file.items.iter().enumerate() {
        // An item followed by text the parser skipped may have been cut short there
        // (`scope s = cluster = "prod"`): its syntax error is reported, judging it would echo.
        let cut_short = matches!(parsed.file.items.get(index + 1), Some(Item::Error(_)));
        if cut_short && matches!(item, Item::Let(_) | Item::Scope(_)) {
            continue;
        }
        match item {
            Item::Let(l) => {
                if check_name(db, &mut sink, table, file, index, &l.name.name, l.name.span) {
                    if let Some(path) = table.cyclic.get(&l.name.name) {
                        cycle(&mut sink, "constant", path, l.name.span);
                    } else {
                        lower_const(&mut names, &mut sink, &l.value);
                    }
                }
            }
            Item::Scope(s) => {
                if check_name(db, &mut sink, table, file, index, &s.name.name, s.name.span) {
                    if let Some(path) = table.cyclic.get(&s.name.name) {
                        cycle(&mut sink, "scope", path, s.name.span);
                    } else {
                        lower_scope(&mut names, &mut sink, &s.expr);
                    }
                }
            }
            Item::Key(k) => {
                if check_name(db, &mut sink, table, file, index, &k.name.name, k.name.span) {
                    let der = load_key(db, &mut sink, file, k);
                    let tlog = lower::key_options(&mut names, &mut sink, k);
                    if let (Some(spki_der), Some(tlog)) = (der, tlog) {
                        out.keys
                            .push((k.name.name.clone(), ir::Signer::Key { spki_der, tlog }));
                    }
                }
            }
            Item::Keyless(k) => {
                if check_name(db, &mut sink, table, file, index, &k.name.name, k.name.span)
                    && let Some(signer) = lower::keyless(&mut names, &mut sink, k)
                {
                    out.keys.push((k.name.name.clone(), signer));
                }
            }
            Item::TrustRoot(t) => {
                if check_name(db, &mut sink, table, file, index, &t.name.name, t.name.span)
                    && let Some(document) = load_trust_root(db, &mut sink, file, t)
                {
                    out.trust_roots.push((t.name.name.clone(), document));
                }
            }
            Item::Policy(p) => {
                duplicate(
                    db,
                    &mut sink,
                    table.policies.get(&p.name.value),
                    file,
                    index,
                    p.name.span,
                    Code::E0202,
                    &format!("policy \"{}\"", p.name.value),
                );
                if let Some(c) = check_policy(&mut names, &mut sink, file, p) {
                    out.policies.push(c.policy);
                    out.origins.push(c.origin);
                }
            }
            Item::Test(t) => {
                duplicate(
                    db,
                    &mut sink,
                    table.tests.get(&t.name.value),
                    file,
                    index,
                    t.name.span,
                    Code::E0204,
                    &format!("test \"{}\"", t.name.value),
                );
                if let Some(tc) = testblock::check(&mut sink, t) {
                    out.tests.push(tc);
                }
            }
            Item::Error(_) => {}
        }
    }
    out.diagnostics = sink.finish();
    out
}
