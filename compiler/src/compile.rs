//! The last stage: every file's check assembled into one policy set, with every diagnostic
//! sorted. This is the query the CLI, the language server and the hosts ask for.

use bona_runtime::ir;

use crate::codes::Severity;
use crate::db::{Db, Workspace};
use crate::diagnostics::{self, Diagnostic};
use crate::resolve::symbols;
use crate::testblock::TestCase;
use crate::typeck::{FileCheck, Origin, check_file, check_file_once};

/// The whole policy set, compiled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compiled {
    /// Every diagnostic, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The policy set (meaningful only when there are no errors).
    pub set: ir::PolicySet,
    /// Per policy (same order as `set.policies`): where it is written.
    pub origins: Vec<Origin>,
    pub tests: Vec<TestCase>,
}

impl Compiled {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }
}

/// Compiles the workspace: every file's check, assembled. This is the query the language
/// server and the CLI's checks ask for.
#[salsa::tracked(returns(ref))]
pub fn compile(db: &dyn Db, ws: Workspace) -> Compiled {
    assemble(
        db,
        ws,
        ws.files(db)
            .iter()
            .map(|&file| check_file(db, ws, file).clone()),
    )
}

/// Compiles the workspace once, for a caller that only wants the result (an engine to load):
/// nothing of the checks is kept in the database, so a large set is held once, not twice.
pub fn compile_once(db: &dyn Db, ws: Workspace) -> Compiled {
    assemble(
        db,
        ws,
        ws.files(db)
            .iter()
            .map(|&file| check_file_once(db, ws, file)),
    )
}

/// Assembles the files' checks (in the workspace's file order) into one policy set.
fn assemble(db: &dyn Db, ws: Workspace, checks: impl Iterator<Item = FileCheck>) -> Compiled {
    let table = symbols(db, ws);
    let mut out = Compiled::default();
    let mut keys: Vec<Option<ir::Signer>> = vec![None; table.keys.len()];
    let mut roots: Vec<Option<String>> = vec![None; table.trust_roots.len()];
    for checked in checks {
        out.diagnostics.extend(checked.diagnostics);
        if out.set.policies.is_empty() {
            out.set.policies = checked.policies;
            out.origins = checked.origins;
        } else {
            out.set.policies.extend(checked.policies);
            out.origins.extend(checked.origins);
        }
        out.tests.extend(checked.tests);
        for (name, signer) in checked.keys {
            if let Ok(i) = table.keys.binary_search(&name)
                && keys[i].is_none()
            {
                keys[i] = Some(signer);
            }
        }
        for (name, document) in checked.trust_roots {
            if let Ok(i) = table.trust_roots.binary_search(&name)
                && roots[i].is_none()
            {
                roots[i] = Some(document);
            }
        }
    }
    diagnostics::sort(db, &mut out.diagnostics);
    // Policy order never matters to a decision; name order makes every output stable.
    sort_by_name(&mut out.set.policies, &mut out.origins);
    out.tests.sort_by(|a, b| a.name.cmp(&b.name));
    out.set.keys = table
        .keys
        .iter()
        .zip(keys)
        .map(|(name, signer)| match signer {
            Some(signer) => ir::KeyDef {
                name: name.clone(),
                signer,
            },
            // Only with errors, which make the set unusable anyway.
            None => ir::KeyDef::key(name.clone(), Vec::new()),
        })
        .collect();
    out.set.trust_roots = table
        .trust_roots
        .iter()
        .zip(roots)
        .map(|(name, document)| ir::TrustRootDef {
            name: name.clone(),
            document: document.unwrap_or_default(),
        })
        .collect();
    out
}

/// Sorts the policies by name and their origins alongside, in place: a large set is not copied
/// to be sorted.
fn sort_by_name(policies: &mut [ir::Policy], origins: &mut [Origin]) {
    let mut order: Vec<usize> = (0..policies.len()).collect();
    order.sort_by(|&a, &b| policies[a].name.cmp(&policies[b].name));
    // Place `i` receives what was at `order[i]`: each cycle of the permutation is followed once,
    // carrying the element of its first place along to where it belongs.
    const PLACED: usize = usize::MAX;
    for first in 0..order.len() {
        let mut at = first;
        while order[at] != PLACED {
            let from = order[at];
            order[at] = PLACED;
            if from == first {
                break;
            }
            policies.swap(at, from);
            origins.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::db::{BonaDatabase, SourceFile};
    use crate::syntax::span::Span;

    #[test]
    fn sorting_by_name_keeps_each_origin_with_its_policy() {
        let db = BonaDatabase::default();
        let file = SourceFile::new(&db, PathBuf::from("a.trust"), String::new());
        let mut seed = 7u64;
        for trial in 0..300 {
            let n = trial % 13;
            let mut names: Vec<usize> = (0..n).collect();
            // A Fisher-Yates shuffle driven by a fixed linear congruential sequence.
            for i in (1..n).rev() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                names.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let mut policies: Vec<ir::Policy> = names
                .iter()
                .map(|&k| ir::Policy {
                    name: format!("p{k:02}"),
                    action: ir::Action::Issue,
                    on_unknown: ir::Action::Issue,
                    scope: None,
                    rules: Vec::new(),
                    description: None,
                })
                .collect();
            let mut origins: Vec<Origin> = names
                .iter()
                .map(|&k| Origin {
                    file,
                    span: Span::new(k, k + 1),
                    name_span: Span::new(k, k),
                    scope_span: None,
                    rule_spans: Vec::new(),
                })
                .collect();
            sort_by_name(&mut policies, &mut origins);
            for (k, (policy, origin)) in policies.iter().zip(&origins).enumerate() {
                assert_eq!(policy.name, format!("p{k:02}"), "{names:?}");
                assert_eq!(origin.span, Span::new(k, k + 1), "{names:?}");
            }
        }
    }
}
