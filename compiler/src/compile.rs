//! The last stage: every file's check assembled into one policy set, with every diagnostic
//! sorted. This is the query the CLI, the language server and the hosts ask for.

use bona_runtime::ir;

use crate::codes::Severity;
use crate::db::{Db, Workspace};
use crate::diagnostics::{self, Diagnostic};
use crate::resolve::symbols;
use crate::testblock::TestCase;
use crate::typeck::{CheckedPolicy, check_file};

/// The whole policy set, compiled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compiled {
    /// Every diagnostic, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The policy set (meaningful only when there are no errors).
    pub set: ir::PolicySet,
    /// Per policy (same order as `set.policies`): where it is written.
    pub origins: Vec<CheckedPolicy>,
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

/// Compiles the workspace: every file's check, assembled.
#[salsa::tracked(returns(ref))]
pub fn compile(db: &dyn Db, ws: Workspace) -> Compiled {
    let table = symbols(db, ws);
    let mut out = Compiled::default();
    let mut keys: Vec<Option<ir::Signer>> = vec![None; table.keys.len()];
    let mut roots: Vec<Option<String>> = vec![None; table.trust_roots.len()];
    for &file in ws.files(db) {
        let checked = check_file(db, ws, file);
        out.diagnostics.extend(checked.diagnostics.iter().cloned());
        out.origins.extend(checked.policies.iter().cloned());
        out.tests.extend(checked.tests.iter().cloned());
        for (name, signer) in &checked.keys {
            if let Ok(i) = table.keys.binary_search(name)
                && keys[i].is_none()
            {
                keys[i] = Some(signer.clone());
            }
        }
        for (name, document) in &checked.trust_roots {
            if let Ok(i) = table.trust_roots.binary_search(name)
                && roots[i].is_none()
            {
                roots[i] = Some(document.clone());
            }
        }
    }
    diagnostics::sort(db, &mut out.diagnostics);
    // Policy order never matters to a decision; name order makes every output stable.
    out.origins
        .sort_by(|a, b| a.policy.name.cmp(&b.policy.name));
    out.tests.sort_by(|a, b| a.name.cmp(&b.name));
    out.set.policies = out.origins.iter().map(|o| o.policy.clone()).collect();
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
