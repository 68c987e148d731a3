//! `bona table PATHS`: print the compiled decision table.

use std::io::Write;
use std::path::PathBuf;

use bona_runtime::ir::{IdentityConstraint, IdentityTest, KeyDef, PolicySet, Signer};
use bona_runtime::ir_text;
use bona_runtime::table::rule_keys;

use crate::policies::{self, OutputFormat, PolicySource};
use crate::{Exit, bad_input};

/// Print the compiled decision table.
///
/// Shows every policy as the runtime sees it (constants inlined, scopes expanded, literals
/// normalised): its action, what an unknown verdict resolves to, its scope, its rules, and the
/// index keys that let a decision skip the rules that cannot hold for an image; then every
/// signer (key or keyless identity, its trust root and transparency-log requirement).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.trust` files).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Read a bundle instead of sources.
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub bundle: Option<PathBuf>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    if args.paths.is_empty() && args.bundle.is_none() {
        return bad_input(err, "give PATHS or --bundle FILE");
    }
    let source = PolicySource {
        policy: args.paths.clone(),
        bundle: args.bundle.clone(),
    };
    let engine = match policies::engine(&source, err) {
        Ok(e) => e,
        Err(exit) => return exit,
    };
    let set = engine.policy_set();
    let table = engine.table();
    if policies::format_or_default(args.format) == OutputFormat::Json {
        let doc = serde_json::json!({
            "policies": set.policies.iter().map(|p| serde_json::json!({
                "name": p.name,
                "action": p.action.as_str(),
                "on_unknown": p.on_unknown.as_str(),
                "scope": p.scope.as_ref().map(ir_text::asset_expr),
                "rules": p.rules.iter().map(|r| serde_json::json!({
                    "rule": ir_text::image_expr(r, &set.keys),
                    "index": rule_keys(r).map(|ks| ks.iter().map(key_text).collect::<Vec<_>>()),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "keys": set.keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>(),
            "signers": set.keys.iter().map(|k| signer_json(set, k)).collect::<Vec<_>>(),
            "trust_roots": set.trust_roots.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            "distinct_scopes": table.scope_count(),
            "unindexed_rules": table.unindexed_count(),
        });
        let _ = writeln!(out, "{doc:#}");
        return Exit::Ok;
    }
    let _ = writeln!(
        out,
        "{} policies, {} distinct scopes, {} keys; {} rule(s) evaluated for every image (unindexed)\n",
        set.policies.len(),
        table.scope_count(),
        set.keys.len(),
        table.unindexed_count()
    );
    for p in &set.policies {
        let unknown = if p.action == bona_runtime::ir::Action::Prevent {
            format!(", on unknown {}", p.on_unknown.as_str())
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "policy \"{}\"  action {}{unknown}",
            p.name,
            p.action.as_str()
        );
        let scope = p
            .scope
            .as_ref()
            .map_or_else(|| "every asset".to_owned(), ir_text::asset_expr);
        let _ = writeln!(out, "  scope  {scope}");
        if p.rules.is_empty() {
            let _ = writeln!(out, "  trust  nothing (no rule)");
        }
        for r in &p.rules {
            let index = match rule_keys(r) {
                Some(keys) => keys.iter().map(key_text).collect::<Vec<_>>().join(", "),
                None => "unindexed".into(),
            };
            let _ = writeln!(out, "  trust  {}", ir_text::image_expr(r, &set.keys));
            let _ = writeln!(out, "         index: {index}");
        }
        let _ = writeln!(out);
    }
    for k in &set.keys {
        let (kind, root, constraints) = signer_parts(set, k);
        let root = match (&k.signer, root) {
            (Signer::Key { .. }, Some(r)) => format!(", tlog {r}"),
            (_, Some(r)) => format!(", root {r}"),
            (_, None) => String::new(),
        };
        let _ = writeln!(out, "signer {}  {kind}{root}", k.name);
        for c in constraints {
            let _ = writeln!(out, "  {c}");
        }
    }
    Exit::Ok
}

/// A signer's kind, its trust root's name (the `root` of a keyless signer, the `tlog` of a key)
/// and its identity constraints as written in a `keyless` block.
fn signer_parts(set: &PolicySet, k: &KeyDef) -> (&'static str, Option<String>, Vec<String>) {
    let root_name = |id: u32| {
        usize::try_from(id)
            .ok()
            .and_then(|i| set.trust_roots.get(i))
            .map_or_else(|| format!("root#{id}"), |r| r.name.clone())
    };
    match &k.signer {
        Signer::Key { tlog, .. } => ("key", tlog.map(root_name), Vec::new()),
        Signer::Keyless { root, identity } => (
            "keyless",
            Some(root_name(*root)),
            identity.iter().map(constraint_text).collect(),
        ),
    }
}

fn signer_json(set: &PolicySet, k: &KeyDef) -> serde_json::Value {
    let (kind, root, constraints) = signer_parts(set, k);
    match &k.signer {
        Signer::Key { .. } => serde_json::json!({ "name": k.name, "kind": kind, "tlog": root }),
        Signer::Keyless { .. } => serde_json::json!({
            "name": k.name, "kind": kind, "root": root, "identity": constraints,
        }),
    }
}

/// `issuer == "https://…"`, as a `keyless` block says it.
fn constraint_text(c: &IdentityConstraint) -> String {
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let test = match &c.test {
        IdentityTest::Eq(v) => format!("== {}", quote(v)),
        IdentityTest::Ne(v) => format!("!= {}", quote(v)),
        IdentityTest::In(vs) => format!("in {}", list(vs.iter().map(|v| quote(v)).collect())),
        IdentityTest::Matches(gs) => match gs.as_slice() {
            [one] => format!("matches {}", quote(one.as_str())),
            _ => format!(
                "matches {}",
                list(gs.iter().map(|g| quote(g.as_str())).collect())
            ),
        },
    };
    format!("{} {test}", c.attr.name())
}

/// An index key as `registry/repository-prefix…`: images elsewhere skip the rule.
fn key_text(k: &bona_runtime::table::RuleKey) -> String {
    format!("{}/{}…", k.registry.as_deref().unwrap_or("*"), k.prefix)
}
