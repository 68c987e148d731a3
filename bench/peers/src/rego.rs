//! regorus: the workload as one Rego package, evaluated by regorus's tree-walking interpreter
//! ([`Engine::eval_rule`]) and by its register VM (RVM: the same package compiled to a
//! [`Program`] and run by [`RegoVM`]).
//!
//! The package (`data.bona`), per Bona policy:
//! - one `applicable` element (`{"policy": NAME, "prevent": BOOL}`) guarded by its scope;
//! - one `trusted_by_policy(img)` body per trust rule, guarded by the scope and the rule.
//!
//! and, once, the decision rules of SPEC §4.2 over them: `any_applicable`, `any_prevent`,
//! `trusted(img)` (no policy applies, or one trusts it), `decision` (`prevent` iff some image
//! is untrusted and a `prevent` policy applies). The entry points are:
//! - `data.bona.image_trusted_by_policy` (input `{asset, image}`): one image decision;
//! - `data.bona.any_applicable`, `data.bona.any_prevent` (input `{asset}`): S(A);
//! - `data.bona.decision` (input `{asset, images}`): the whole admission in one query.
//!
//! Globs use `glob.match(P, ["/"], X)`: `*` stops at `/` and `**` crosses it, as in Bona.
//!
//! At N = 10,000 the RVM program would exceed the RVM's 65,535-instruction limit, so
//! [`RegoVm`] splits the policies into programs of [`RVM_SHARD`] policies and combines their
//! answers in the host (`shard_summary`): that cell measures a sharded deployment.
//!
//! The policies are one module, like Bona's one `.trust` file and Cedar's one text, so the
//! engine's default source limits (20,000 lines, 1 MiB per module) are raised. Splitting the
//! module instead does not work in regorus 0.14.1: a function whose bodies sit in several
//! modules fails in the tree-walker with "binding plan not found for parameter".

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, PolicyLengthConfig, Rc, Value};
use serde_json::json;

use crate::peer::{Peer, Verdict};
use crate::workload::{self, APPROVED_BASES, Image, KEY_NAME, Policy, ScopeKind, Shape};

const IMAGE_RULE: &str = "data.bona.image_trusted_by_policy";
const ANY_APPLICABLE: &str = "data.bona.any_applicable";
const ANY_PREVENT: &str = "data.bona.any_prevent";
const DECISION: &str = "data.bona.decision";
const SHARD_SUMMARY: &str = "data.bona.shard_summary";
const ENTRY_POINTS: [&str; 5] = [
    IMAGE_RULE,
    ANY_APPLICABLE,
    ANY_PREVENT,
    DECISION,
    SHARD_SUMMARY,
];

/// Policies per RVM program. An RVM program holds at most 65,535 instructions (its program
/// counter is 16 bits); the 10,000 policies of this workload compile to 437,566, about 44 a
/// policy. Larger sets are split into programs of this many policies.
pub const RVM_SHARD: usize = 1_000;

/// The decision rules, shared by every policy set size.
const DECISION_MODULE: &str = r#"package bona

import rego.v1

# SPEC 4.2 over the per-policy rules of the other modules.
any_applicable if {
	some _ in applicable
}

any_prevent if {
	some p in applicable
	p.prevent
}

# Rule 1 (no applicable policy) and rule 3 (allow wins).
trusted(_) if not any_applicable

trusted(img) if trusted_by_policy(img)

# One image: the caller evaluates S(A) once per asset, as with Bona and Cedar.
image_trusted_by_policy if trusted_by_policy(input.image)

# Rules 4 and 5: one untrusted image under a prevent policy prevents the admission.
default decision := "allow"

decision := "prevent" if {
	any_prevent
	some img in input.images
	not trusted(img)
}

# For a host that splits the policies over several programs (the RVM beyond its program
# size limit): this part's S(A) and the images none of its applicable policies trusts.
shard_summary := {
	"applicable": count(applicable) > 0,
	"prevent": count({p | some p in applicable; p.prevent}) > 0,
	"untrusted": {i | some i, img in input.images; not trusted_by_policy(img)},
}
"#;

/// Rego set literal of strings.
fn set(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("{{{}}}", quoted.join(", "))
}

fn scope_lines(p: &Policy) -> Vec<String> {
    let t = p.team_name();
    match p.scope {
        ScopeKind::ProdCluster => vec![
            format!("input.asset.namespace == \"{t}\""),
            "glob.match(\"prod-*\", [\"/\"], input.asset.cluster)".into(),
        ],
        ScopeKind::Workload => vec![
            format!("input.asset.namespace == \"{t}\""),
            "input.asset.type == \"workload\"".into(),
        ],
        // A missing label makes the reference undefined: the body fails, as `==` is false.
        ScopeKind::TeamLabel => vec![format!("input.asset.labels.team == \"{t}\"")],
        ScopeKind::Namespaces => vec![format!(
            "input.asset.namespace in {}",
            set(&[&t, &format!("{t}-staging")])
        )],
    }
}

fn rule_lines(p: &Policy) -> Vec<Vec<String>> {
    let t = p.team_name();
    let reg = p.registry();
    let signed = format!("\"{KEY_NAME}\" in img.signed_by");
    match p.shape {
        Shape::Registry => vec![vec![
            format!("img.registry == \"{reg}\""),
            format!("glob.match(\"{t}/**\", [\"/\"], img.repository)"),
        ]],
        Shape::Signed => vec![vec![
            format!("img.registry in {}", set(&[&reg, &p.mirror()])),
            "img.pinned".into(),
            signed,
        ]],
        Shape::Tags => vec![vec![
            format!("img.registry == \"{reg}\""),
            format!("glob.match(\"{t}/**\", [\"/\"], img.repository)"),
            "glob.match(\"v*\", [\"/\"], img.tag)".into(),
            "img.tag != \"latest\"".into(),
            "img.scanned".into(),
            "img.vulns.critical == 0".into(),
        ]],
        Shape::Base => vec![
            vec![format!("img.base in {}", set(&APPROVED_BASES)), signed],
            vec![
                format!("img.registry == \"{reg}\""),
                format!("img.digest in {}", set(&[&p.allowed_digest()])),
            ],
        ],
    }
}

fn body(out: &mut String, head: &str, lines: &[String]) {
    // INVARIANT: writing to a String cannot fail.
    let _ = writeln!(out, "{head} if {{");
    for line in lines {
        let _ = writeln!(out, "\t{line}");
    }
    out.push_str("}\n\n");
}

/// The package as (file name, text) modules: the decision rules, then the policies.
pub fn source(policies: &[Policy]) -> Vec<(String, String)> {
    let mut out = String::from("package bona\n\nimport rego.v1\n\n");
    for p in policies {
        let scope = scope_lines(p);
        let _ = writeln!(out, "# {}", p.name());
        body(
            &mut out,
            &format!(
                "applicable contains {{\"policy\": \"{}\", \"prevent\": {}}}",
                p.name(),
                p.prevent
            ),
            &scope,
        );
        for rule in rule_lines(p) {
            let lines: Vec<String> = scope.iter().cloned().chain(rule).collect();
            body(&mut out, "trusted_by_policy(img)", &lines);
        }
    }
    vec![
        ("decision.rego".to_owned(), DECISION_MODULE.to_owned()),
        ("policies.rego".to_owned(), out),
    ]
}

/// The sources of the RVM's programs: one package per [`RVM_SHARD`] policies.
pub fn shard_sources(policies: &[Policy]) -> Vec<Vec<(String, String)>> {
    policies.chunks(RVM_SHARD).map(source).collect()
}

fn engine_with(modules: &[(String, String)]) -> Engine {
    let mut engine = Engine::new();
    // Room for 10,000 policies in one module (about 200,000 lines).
    engine.set_policy_length_config(PolicyLengthConfig {
        max_col: NonZeroU32::MAX,
        max_file_bytes: NonZeroUsize::MAX,
        max_lines: NonZeroUsize::MAX,
    });
    for (name, text) in modules {
        engine
            .add_policy(name.clone(), text.clone())
            .unwrap_or_else(|e| panic!("rego {name}: {e}"));
    }
    engine
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// The JSON of an asset, as Rego reads it.
fn asset_json(a: &workload::Asset) -> serde_json::Value {
    let mut labels = serde_json::Map::new();
    if let Some(t) = &a.team_label {
        labels.insert("team".into(), json!(t));
    }
    json!({
        "type": a.asset_type,
        "cluster": a.cluster,
        "namespace": a.namespace,
        "name": a.name,
        "labels": labels,
    })
}

fn image_json(i: &Image) -> serde_json::Value {
    json!({
        "registry": i.registry,
        "repository": i.repository,
        "tag": i.tag,
        "digest": i.digest,
        "pinned": i.pinned,
        "base": i.base,
        "scanned": i.scanned,
        "vulns": { "critical": i.critical },
        "signed_by": i.signed_by(),
    })
}

fn value(json: serde_json::Value) -> Value {
    Value::from(json)
}

/// The input of S(A): `{asset}`.
fn asset_input(a: &workload::Asset) -> Value {
    value(json!({ "asset": asset_json(a) }))
}

/// The input of one image decision: `{asset, image}`.
fn image_input(a: &workload::Asset, i: &Image) -> Value {
    value(json!({ "asset": asset_json(a), "image": image_json(i) }))
}

/// The input of an admission: `{asset, images}`.
fn admission_input(a: &workload::Asset, images: &[&Image]) -> Value {
    let images: Vec<serde_json::Value> = images.iter().map(|i| image_json(i)).collect();
    value(json!({ "asset": asset_json(a), "images": images }))
}

/// What both regorus modes evaluate: a rule path against an input.
trait Eval {
    fn eval(&mut self, rule: &str, input: &Value) -> Value;
}

/// The Rego [`Peer`] logic, shared by both evaluation modes.
fn scope_of(e: &mut impl Eval, input: &Value) -> (bool, bool) {
    (
        truthy(&e.eval(ANY_APPLICABLE, input)),
        truthy(&e.eval(ANY_PREVENT, input)),
    )
}

fn verdict_of(e: &mut impl Eval, scope: &(bool, bool), input: &Value) -> Verdict {
    let (any, prevent) = *scope;
    let trusted = !any || truthy(&e.eval(IMAGE_RULE, input));
    Verdict {
        trusted,
        prevented: !trusted && prevent,
    }
}

fn prevents_of(e: &mut impl Eval, input: &Value) -> bool {
    match e.eval(DECISION, input) {
        Value::String(s) if &*s == "prevent" => true,
        Value::String(s) if &*s == "allow" => false,
        other => panic!("rego decision: unexpected {other:?}"),
    }
}

/// The tree-walking interpreter.
pub struct RegoTree {
    engine: Engine,
}

impl RegoTree {
    /// Parses the modules and prepares the engine for evaluation (regorus analyses the
    /// modules at the first evaluation, so load runs one on an empty input).
    pub fn load(modules: &[(String, String)]) -> RegoTree {
        let mut tree = RegoTree {
            engine: engine_with(modules),
        };
        tree.eval(ANY_APPLICABLE, &value(json!({ "asset": {} })));
        tree
    }
}

impl Eval for RegoTree {
    fn eval(&mut self, rule: &str, input: &Value) -> Value {
        // `Value` is reference-counted: the clone is a pointer copy.
        self.engine.set_input(input.clone());
        self.engine
            .eval_rule(rule.to_owned())
            .unwrap_or_else(|e| panic!("rego {rule}: {e}"))
    }
}

/// One RVM program loaded into its VM.
struct Vm(RegoVM);

impl Vm {
    /// Parses the modules, compiles them to an RVM program and loads it into a VM.
    fn load(modules: &[(String, String)]) -> Vm {
        let mut engine = engine_with(modules);
        let entry: Rc<str> = DECISION.into();
        let compiled = engine
            .compile_with_entrypoint(&entry)
            .unwrap_or_else(|e| panic!("rego compile: {e}"));
        let program: Arc<Program> = Compiler::compile_from_policy(&compiled, &ENTRY_POINTS)
            .unwrap_or_else(|e| panic!("rvm compile: {e}"));
        let mut vm = RegoVM::new();
        vm.load_program(program);
        // The default budget (25,000 instructions) is for one small policy; a decision over
        // 1,000 policies executes hundreds of thousands.
        vm.set_max_instructions(usize::MAX);
        Vm(vm)
    }
}

impl Eval for Vm {
    fn eval(&mut self, rule: &str, input: &Value) -> Value {
        self.0.set_input(input.clone());
        self.0
            .execute_entry_point_by_name(rule)
            .unwrap_or_else(|e| panic!("rvm {rule}: {e}"))
    }
}

/// The RVM: one program per [`RVM_SHARD`] policies (one program up to N = 1,000).
pub struct RegoVm {
    shards: Vec<Vm>,
}

impl RegoVm {
    /// Loads the programs of [`shard_sources`].
    pub fn load(shards: &[Vec<(String, String)>]) -> RegoVm {
        RegoVm {
            shards: shards.iter().map(|modules| Vm::load(modules)).collect(),
        }
    }

    /// How many programs the policy set takes.
    pub fn programs(&self) -> usize {
        self.shards.len()
    }
}

impl Peer for RegoVm {
    type Asset = Value;
    type Scope = (bool, bool);
    type Image = Value;
    type Admission = Value;

    fn asset(&self, a: &workload::Asset) -> Value {
        asset_input(a)
    }

    fn image(&self, a: &workload::Asset, i: &Image) -> Value {
        image_input(a, i)
    }

    fn admission(&self, a: &workload::Asset, images: &[&Image]) -> Value {
        admission_input(a, images)
    }

    fn scope(&mut self, asset: &Value) -> (bool, bool) {
        self.shards
            .iter_mut()
            .fold((false, false), |(any, prevent), shard| {
                let (a, p) = scope_of(shard, asset);
                (any || a, prevent || p)
            })
    }

    fn image_verdict(&mut self, scope: &(bool, bool), image: &Value) -> Verdict {
        if let [one] = self.shards.as_mut_slice() {
            return verdict_of(one, scope, image);
        }
        let (any, prevent) = *scope;
        let trusted = !any
            || self
                .shards
                .iter_mut()
                .any(|shard| truthy(&shard.eval(IMAGE_RULE, image)));
        Verdict {
            trusted,
            prevented: !trusted && prevent,
        }
    }

    fn prevents(&mut self, admission: &Value) -> bool {
        if let [one] = self.shards.as_mut_slice() {
            return prevents_of(one, admission);
        }
        // SPEC 4.2 across programs: an image is untrusted when no program's applicable
        // policies trust it, so the untrusted sets intersect.
        let (mut any, mut prevent) = (false, false);
        let mut untrusted: Option<BTreeSet<Value>> = None;
        for shard in &mut self.shards {
            let summary = shard.eval(SHARD_SUMMARY, admission);
            any |= truthy(&summary["applicable"]);
            prevent |= truthy(&summary["prevent"]);
            let here: BTreeSet<Value> = summary["untrusted"]
                .as_set()
                .unwrap_or_else(|e| panic!("rvm shard summary: {e}"))
                .iter()
                .cloned()
                .collect();
            untrusted = Some(match untrusted {
                None => here,
                Some(before) => before.intersection(&here).cloned().collect(),
            });
        }
        any && prevent && untrusted.is_some_and(|u| !u.is_empty())
    }
}

impl Peer for RegoTree {
    type Asset = Value;
    type Scope = (bool, bool);
    type Image = Value;
    type Admission = Value;

    fn asset(&self, a: &workload::Asset) -> Value {
        asset_input(a)
    }

    fn image(&self, a: &workload::Asset, i: &Image) -> Value {
        image_input(a, i)
    }

    fn admission(&self, a: &workload::Asset, images: &[&Image]) -> Value {
        admission_input(a, images)
    }

    fn scope(&mut self, asset: &Value) -> (bool, bool) {
        scope_of(self, asset)
    }

    fn image_verdict(&mut self, scope: &(bool, bool), image: &Value) -> Verdict {
        verdict_of(self, scope, image)
    }

    fn prevents(&mut self, admission: &Value) -> bool {
        prevents_of(self, admission)
    }
}
