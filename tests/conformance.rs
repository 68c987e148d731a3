//! The conformance corpus: every folder `tests/conformance/<case>/` is one named test that
//! runs `bona eval` or `bona audit` in-process (through `bona::run`) and compares the JSON it
//! prints with the case's hand-written `expect.json`. The corpus pins docs/decisions.md's semantics; it
//! is the specification's oracle, not a snapshot of the implementation, so a failure is either
//! a bug in Bona or a mistake in the case, never something to re-record blindly.
//!
//! A case folder holds:
//!
//! - one or more `.trust` files (the policy set: the folder is passed as `--policy`);
//! - exactly one input: `input.json` (admission input, docs/output.md#admission-input, run as `eval --input`),
//!   `review.json` (an AdmissionReview, run as `eval --admission-review`) or `inventory.json`
//!   (docs/output.md#bona-audit inventory or a kubectl pod list, run as `audit --inventory`);
//! - optionally `facts.json` (passed as `--facts`), and extra arguments in `args.json` (a JSON
//!   array of strings, e.g. `["--cluster", "prod-eu-1"]`) or `cmd` (whitespace-separated);
//! - the expectation: `expect.json` (the exact output of `--format json`, exit 0), or
//!   `expect.exit` (the exit code) with an optional `expect.stderr` (a substring of stderr).
//!
//! JSON is compared parsed, field by field, except `reasons`, whose wording is Bona's own:
//! an expected `[]` requires `[]`; `["..."]` requires a non-empty list; any other strings are
//! pinned, and each must be one of the actual reasons.
//!
//! Every case whose policies compile runs again through the wasm module of `bona build
//! --target wasm`: as `wasm/<case>` (`eval` cases) with the module passed as `--bundle` to
//! Bona's wasmtime host, and as `node/<case>` (audits too) in `tests/wasm-host/host.mjs`, a
//! host in JavaScript on Node.js's own WebAssembly. Both are held to the same expectations as
//! the engine, exit codes and bad-input messages included.
//!
//! Cases listed in `tests/conformance/KNOWN_FAILURES` (one name per line, then the reason)
//! are marked ignored, so the suite stays green while a known bug waits for its fix; run them
//! with `--ignored` (or `--include-ignored`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// The `reasons` wildcard: any non-empty list.
const ANY_REASONS: &str = "...";

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// Case folders, sorted by name; folders whose name starts with `_` or `.` are shared
/// material, not cases.
fn discover() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| !n.starts_with('_') && !n.starts_with('.'))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// `KNOWN_FAILURES`: case name → reason.
fn known_failures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus_dir().join("KNOWN_FAILURES")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, reason)) => (name.to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

fn read(path: &Path) -> Result<String, Failed> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// The command line for a case, program name first.
fn command_line(dir: &Path) -> Result<Vec<OsString>, Failed> {
    let file = |name: &str| dir.join(name);
    let mut args: Vec<OsString> = vec!["bona".into()];
    if file("inventory.json").is_file() {
        args.extend(["audit".into(), "--policy".into(), dir.into()]);
        args.extend(["--inventory".into(), file("inventory.json").into()]);
    } else if file("review.json").is_file() {
        args.extend(["eval".into(), "--policy".into(), dir.into()]);
        args.extend(["--admission-review".into(), file("review.json").into()]);
    } else if file("input.json").is_file() {
        args.extend(["eval".into(), "--policy".into(), dir.into()]);
        args.extend(["--input".into(), file("input.json").into()]);
    } else {
        return Err("the case has no input.json, review.json or inventory.json".into());
    }
    if file("facts.json").is_file() {
        args.extend(["--facts".into(), file("facts.json").into()]);
    }
    if file("args.json").is_file() {
        let extra: Vec<String> = serde_json::from_str(&read(&file("args.json"))?)
            .map_err(|e| format!("args.json is not an array of strings: {e}"))?;
        args.extend(extra.into_iter().map(OsString::from));
    }
    if file("cmd").is_file() {
        args.extend(read(&file("cmd"))?.split_whitespace().map(OsString::from));
    }
    args.extend(["--format".into(), "json".into()]);
    Ok(args)
}

/// What one run of a case printed.
struct Outcome {
    code: u8,
    stdout: String,
    stderr: String,
    /// The command, for failure messages.
    shown: String,
}

fn run_case(dir: &Path) -> Result<(), Failed> {
    check(dir, &run_bona(command_line(dir)?))
}

fn run_bona(args: Vec<OsString>) -> Outcome {
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = bona::run(args, &mut out, &mut err).code();
    Outcome {
        code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        shown: shown.join(" "),
    }
}

/// Whether a case also runs through the wasm module: a case whose policies compile, and whose
/// expectation a module can meet (not `--fail`'s exit 3). The wasmtime variant goes through
/// `bona eval --bundle`, so it covers `eval` cases; the Node.js host covers audits too.
fn wasm_variants(dir: &Path) -> (bool, bool) {
    let Ok(args) = command_line(dir) else {
        return (false, false);
    };
    let expected_exit = read(&dir.join("expect.exit"))
        .ok()
        .and_then(|t| t.trim().parse::<u8>().ok());
    let compiles = !matches!(expected_exit, Some(1));
    let plain = !args.iter().any(|a| a == "--fail") && !matches!(expected_exit, Some(3));
    let eval = args.get(1).is_some_and(|a| a == "eval");
    (compiles && plain && eval, compiles && plain)
}

/// Builds the case's policies into a wasm module; it is removed when the guard drops.
struct Module(PathBuf);

impl Drop for Module {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn build_module(dir: &Path, variant: &str) -> Result<Module, Failed> {
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let module = Module(std::env::temp_dir().join(format!(
        "bona-conformance-{}-{variant}-{name}.wasm",
        std::process::id()
    )));
    let build: Vec<OsString> = vec![
        "bona".into(),
        "build".into(),
        dir.into(),
        "-o".into(),
        module.0.clone().into(),
        "--target".into(),
        "wasm".into(),
    ];
    let mut err = Vec::new();
    let code = bona::run(build, &mut Vec::new(), &mut err).code();
    if code != 0 {
        return Err(format!(
            "bona build --target wasm exited {code}\n{}",
            String::from_utf8_lossy(&err)
        )
        .into());
    }
    Ok(module)
}

/// The case with its policies built into a wasm module, passed as `--bundle` (the wasmtime
/// host of `bona eval`).
fn run_case_wasm(dir: &Path) -> Result<(), Failed> {
    let module = build_module(dir, "wasmtime")?;
    let mut args = command_line(dir)?;
    if let Some(i) = args.iter().position(|a| a == "--policy") {
        args.splice(i..i + 2, ["--bundle".into(), module.0.clone().into()]);
    }
    check(dir, &run_bona(args))
}

/// The case's module run by `tests/wasm-host/host.mjs` in Node.js: a host that is not Bona's.
fn run_case_node(dir: &Path) -> Result<(), Failed> {
    let module = build_module(dir, "node")?;
    let args = command_line(dir)?;
    let host = corpus_dir().join("../wasm-host/host.mjs");
    let mut cmd = std::process::Command::new("node");
    cmd.arg(&host).arg(&module.0);
    let mut command: Vec<OsString> = Vec::new();
    let mut flags: Vec<OsString> = Vec::new();
    let mut it = args.iter().skip(2);
    while let Some(a) = it.next() {
        let value = it.next().cloned().unwrap_or_default();
        match a.to_str().unwrap_or_default() {
            "--policy" | "--format" => {}
            "--input" => command = vec!["eval".into(), value],
            "--admission-review" => command = vec!["review".into(), value],
            "--inventory" => command = vec!["audit".into(), value],
            flag @ ("--facts" | "--cluster" | "--cloud") => flags.extend([flag.into(), value]),
            other => return Err(format!("no Node.js equivalent of `{other}`").into()),
        }
    }
    command.extend(flags);
    cmd.args(&command);
    let shown: Vec<String> = command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let shown = format!(
        "node {} {} {}",
        host.display(),
        module.0.display(),
        shown.join(" ")
    );
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run node (scripts/install-test-tools.sh installs it): {e}"))?;
    let outcome = Outcome {
        code: out
            .status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(255),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        shown,
    };
    check(dir, &outcome)
}

/// Compares an outcome with the case's expectation.
fn check(dir: &Path, outcome: &Outcome) -> Result<(), Failed> {
    let Outcome {
        code,
        stdout,
        stderr,
        shown,
    } = outcome;
    let code = *code;
    let context =
        format!("command: {shown}\nexit: {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    let exit_file = dir.join("expect.exit");
    if exit_file.is_file() {
        let want: u8 = read(&exit_file)?
            .trim()
            .parse()
            .map_err(|e| format!("expect.exit is not an exit code: {e}"))?;
        if code != want {
            return Err(format!("expected exit {want}, got {code}\n{context}").into());
        }
        let stderr_file = dir.join("expect.stderr");
        if stderr_file.is_file() {
            let fragment = read(&stderr_file)?;
            let fragment = fragment.trim_end_matches(['\n', '\r']);
            if !stderr.contains(fragment) {
                return Err(format!("stderr does not contain `{fragment}`\n{context}").into());
            }
        }
        return Ok(());
    }

    let expected: Value = serde_json::from_str(&read(&dir.join("expect.json"))?)
        .map_err(|e| format!("expect.json is not JSON: {e}"))?;
    if code != 0 {
        return Err(format!("expected exit 0, got {code}\n{context}").into());
    }
    let actual: Value = serde_json::from_str(stdout)
        .map_err(|e| format!("the output is not JSON: {e}\n{context}"))?;
    let mut diffs = Vec::new();
    compare(&expected, &actual, "$", &mut diffs);
    if diffs.is_empty() {
        return Ok(());
    }
    let mut msg = format!("{} difference(s) from expect.json:\n", diffs.len());
    for d in &diffs {
        let _ = writeln!(msg, "  {d}");
    }
    let _ = write!(msg, "{context}");
    Err(msg.into())
}

/// A short rendering of a JSON value for difference lines.
fn brief(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 300 {
        let cut: String = text.chars().take(300).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Compares `actual` with `expected`, pushing one line per difference with its JSON path.
fn compare(expected: &Value, actual: &Value, path: &str, diffs: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let sub = format!("{path}.{key}");
                match a.get(key) {
                    None => diffs.push(format!("{sub}: missing (expected {})", brief(ev))),
                    Some(av) if key == "reasons" => compare_reasons(ev, av, &sub, diffs),
                    Some(av) => compare(ev, av, &sub, diffs),
                }
            }
            for (key, av) in a {
                if !e.contains_key(key) {
                    diffs.push(format!("{path}.{key}: unexpected field {}", brief(av)));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare(ev, av, &format!("{path}[{i}]"), diffs);
            }
            if e.len() != a.len() {
                diffs.push(format!(
                    "{path}: expected {} element(s), got {}; expected {}, got {}",
                    e.len(),
                    a.len(),
                    brief(expected),
                    brief(actual)
                ));
            }
        }
        _ if expected == actual => {}
        _ => diffs.push(format!(
            "{path}: expected {}, got {}",
            brief(expected),
            brief(actual)
        )),
    }
}

/// The `reasons` rule: emptiness, or pinned strings that must appear.
fn compare_reasons(expected: &Value, actual: &Value, path: &str, diffs: &mut Vec<String>) {
    let (Value::Array(e), Value::Array(a)) = (expected, actual) else {
        compare(expected, actual, path, diffs);
        return;
    };
    if e.is_empty() {
        if !a.is_empty() {
            diffs.push(format!("{path}: expected [], got {}", brief(actual)));
        }
        return;
    }
    if a.is_empty() {
        diffs.push(format!("{path}: expected reasons, got []"));
        return;
    }
    for ev in e {
        if ev.as_str() != Some(ANY_REASONS) && !a.contains(ev) {
            diffs.push(format!(
                "{path}: pinned reason {} not among {}",
                brief(ev),
                brief(actual)
            ));
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let known = known_failures();
    let mut trials = Vec::new();
    for dir in discover() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ignored = known.contains_key(&name);
        let (wasmtime, node) = wasm_variants(&dir);
        if wasmtime {
            let dir = dir.clone();
            trials.push(
                Trial::test(format!("wasm/{name}"), move || run_case_wasm(&dir))
                    .with_ignored_flag(ignored),
            );
        }
        if node {
            let dir = dir.clone();
            trials.push(
                Trial::test(format!("node/{name}"), move || run_case_node(&dir))
                    .with_ignored_flag(ignored),
            );
        }
        trials.push(Trial::test(name, move || run_case(&dir)).with_ignored_flag(ignored));
    }
    libtest_mimic::run(&args, trials).exit();
}
