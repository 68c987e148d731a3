//! End-to-end tests of the real `bona` binary: exit codes, messages, `--help`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bona(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args)
        .output()
        .expect("run bona")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

const GOOD: &str = r#"
let corporate = ["registry.company.com"]

policy "corporate only" {
  action prevent
  trust registry in corporate
}
"#;

const INPUT: &str = r#"{ "time": "2026-11-22T00:00:00Z",
  "asset": { "namespace": "payments", "name": "api" },
  "images": [ { "ref": "registry.company.com/app:1.2.3" }, { "ref": "nginx:1.27" } ] }"#;

#[test]
fn help_on_every_command() {
    let out = bona(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in [
        "check", "fmt", "build", "eval", "audit", "test", "table", "diff", "lsp", "lint",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from --help:\n{help}");
        let sub = bona(&[cmd, "--help"]);
        assert!(sub.status.success(), "{cmd} --help failed");
        assert!(text(&sub.stdout).contains("Usage: bona"), "{cmd} --help");
    }
    let none = bona(&[]);
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn check_clean_warning_and_error_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.trust", GOOD);
    let out = bona(&["check", s(&good)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    let warn = write(dir.path(), "warn.trust", "policy \"p\" { action issue }\n");
    let out = bona(&["check", s(&warn)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("warning[W0002]"));

    let bad = write(
        dir.path(),
        "bad.trust",
        "policy \"p\" {\n  action prevent\n  trust regsitry == \"x\"\n}\n",
    );
    let out = bona(&["check", s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E0203]: unknown name `regsitry`"),
        "{err}"
    );
    assert!(err.contains("bad.trust:3:9"), "{err}");
    assert!(err.contains("did you mean `registry`?"), "{err}");
    assert!(err.contains("1 error, 0 warnings"), "{err}");

    let out = bona(&["check", "--format", "json", s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["diagnostics"][0]["code"], "E0203");
    assert_eq!(doc["diagnostics"][0]["start"]["line"], 3);
    assert_eq!(doc["diagnostics"][0]["start"]["column"], 9);
}

#[test]
fn unreadable_inputs_exit_2_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = bona(&["check", "/nonexistent/policies"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/policies: cannot read"));

    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let out = bona(&["check", s(&empty_dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no `.trust` files"));

    let latin1 = write(dir.path(), "latin1.trust", b"let x = \"caf\xe9\"\n");
    let out = bona(&["check", s(&latin1)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not UTF-8 text: invalid byte at line 1, column 13"),
        "{}",
        text(&out.stderr)
    );

    let huge = write(dir.path(), "huge.trust", vec![b'#'; 50 << 20]);
    let out = bona(&["check", s(&huge)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("huge.trust: file is 50.0 MiB"));
}

#[test]
fn empty_file_and_deep_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.trust", "");
    assert_eq!(bona(&["check", s(&empty)]).status.code(), Some(0));

    let deep = format!(
        "policy \"p\" {{\n  action issue\n  trust {}pinned{}\n}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let deep = write(dir.path(), "deep.trust", deep);
    let out = bona(&["check", s(&deep)]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error[E0108]"), "{err}");
    assert_eq!(err.matches("error[").count(), 1, "{err}");
}

#[test]
fn eval_exit_codes_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "p.trust", GOOD);
    let input = write(dir.path(), "input.json", INPUT);
    let args = [
        "eval",
        "--policy",
        s(&policy),
        "--input",
        s(&input),
        "--format",
        "json",
    ];
    let out = bona(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["decision"], "prevent");
    assert_eq!(doc["images"][1]["ref"], "docker.io/library/nginx:1.27");
    assert_eq!(doc["issues"].as_array().unwrap().len(), 1);

    let mut with_fail = args.to_vec();
    with_fail.push("--fail");
    assert_eq!(bona(&with_fail).status.code(), Some(3));

    let bad = write(
        dir.path(),
        "bad.json",
        "{ \"asset\": {}, \"images\": [ { \"ref\": \"Nginx\" } ] }",
    );
    let out = bona(&["eval", "--policy", s(&policy), "--input", s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.json: at images[0].ref"), "{err}");

    let broken = write(dir.path(), "broken.trust", "policy \"p\" { trust }");
    let out = bona(&["eval", "--policy", s(&broken), "--input", s(&input)]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn build_then_eval_bundle_matches_and_corruption_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "p.trust", GOOD);
    let input = write(dir.path(), "input.json", INPUT);
    let bundle = dir.path().join("p.bundle");
    let out = bona(&["build", s(&policy), "-o", s(&bundle)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = ["--input", s(&input), "--format", "json"];
    let from_bundle = bona(&[&["eval", "--bundle", s(&bundle)][..], &json].concat());
    let from_policy = bona(&[&["eval", "--policy", s(&policy)][..], &json].concat());
    assert_eq!(from_bundle.status.code(), Some(0));
    assert_eq!(from_bundle.stdout, from_policy.stdout);

    let mut bytes = std::fs::read(&bundle).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&bundle, bytes).unwrap();
    let out = bona(&["eval", "--bundle", s(&bundle), "--input", s(&input)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("p.bundle"));
}

#[test]
fn build_target_wasm_then_eval_the_module() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "p.trust", GOOD);
    let input = write(dir.path(), "input.json", INPUT);
    let module = dir.path().join("p.wasm");
    let out = bona(&[
        "build",
        s(&policy),
        "-o",
        s(&module),
        "--target",
        "wasm",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bytes = std::fs::read(&module).unwrap();
    assert!(bytes.starts_with(b"\0asm"), "a wasm module");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["target"], "wasm");
    assert_eq!(report["policies"], 1);
    assert_eq!(report["bytes"], bytes.len());
    assert_eq!(report["sha256"].as_str().map(str::len), Some(64));

    let json = ["--input", s(&input), "--format", "json"];
    let from_module = bona(&[&["eval", "--bundle", s(&module)][..], &json].concat());
    if !cfg!(feature = "wasm") {
        // This `bona` has no wasm host: it says how to get one.
        assert_eq!(from_module.status.code(), Some(2));
        assert!(text(&from_module.stderr).contains("--features wasm"));
        return;
    }
    let from_policy = bona(&[&["eval", "--policy", s(&policy)][..], &json].concat());
    assert_eq!(
        from_module.status.code(),
        Some(0),
        "{}",
        text(&from_module.stderr)
    );
    assert_eq!(text(&from_module.stdout), text(&from_policy.stdout));
    assert!(text(&from_module.stdout).contains("\"decision\": \"prevent\""));

    // Bad input is reported against its file, as with policies; the exit is 2.
    let bad = write(
        dir.path(),
        "bad.json",
        "{\"images\": [{\"ref\": \"Nginx\"}]}",
    );
    let out = bona(&["eval", "--bundle", s(&module), "--input", s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.json"),
        "{}",
        text(&out.stderr)
    );

    // Only `eval` runs modules; the others say so.
    let inventory = write(dir.path(), "inv.json", "{\"assets\": []}");
    let out = bona(&[
        "audit",
        "--bundle",
        s(&module),
        "--inventory",
        s(&inventory),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("wasm module"),
        "{}",
        text(&out.stderr)
    );

    // A truncated module is refused with a message, not a crash.
    std::fs::write(&module, &bytes[..bytes.len() / 2]).unwrap();
    let out = bona(&["eval", "--bundle", s(&module), "--input", s(&input)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("p.wasm"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn test_command_counts_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let src = format!(
        "{GOOD}\ntest \"docker hub is refused\" {{\n  input {{ time: \"2026-11-22T00:00:00Z\", asset: {{ name: \"api\" }}, images: [ {{ ref: \"nginx\" }} ] }}\n  expect prevent\n  expect issues runtime 1\n}}\n\ntest \"wrong on purpose\" {{\n  input {{ images: [ {{ ref: \"registry.company.com/app:1\" }} ] }}\n  expect prevent\n}}\n"
    );
    let p = write(dir.path(), "t.trust", src);
    let out = bona(&["test", s(&p), "--format", "table"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ok    docker hub is refused"), "{stdout}");
    assert!(stdout.contains("FAIL  wrong on purpose"), "{stdout}");
    assert!(stdout.contains("expected prevent, got allow"), "{stdout}");
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
}

#[test]
fn fmt_check_and_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let messy = write(
        dir.path(),
        "messy.trust",
        "policy   \"p\"{action prevent\n# why\ntrust registry==\"a\"   # trailing\n}\n",
    );
    let out = bona(&["fmt", "--check", s(&messy)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("messy.trust"));
    assert!(text(&out.stderr).contains("1 file(s) would be reformatted"));

    let out = bona(&["fmt", s(&messy)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let formatted = std::fs::read_to_string(&messy).unwrap();
    assert_eq!(
        formatted,
        "policy \"p\" {\n  action prevent\n  # why\n  trust registry == \"a\" # trailing\n}\n"
    );
    let out = bona(&["fmt", "--check", s(&messy)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());

    let broken = write(dir.path(), "broken.trust", "policy \"p\" { trust ( }\n");
    let before = std::fs::read_to_string(&broken).unwrap();
    let out = bona(&["fmt", s(&broken)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[E0106]"));
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), before);
}

#[test]
fn bundled_examples_are_formatted() {
    // Each example policy set checks clean on its own: tests/examples.rs. Together they are not
    // one set (policy-review holds two versions of the same policies).
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    let out = bona(&["fmt", "--check", examples]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn diff_exit_codes_and_bad_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = write(dir.path(), "old.trust", GOOD);
    let new = write(
        dir.path(),
        "new.trust",
        GOOD.replace(
            r#"["registry.company.com"]"#,
            r#"["registry.company.com", "docker.io"]"#,
        ),
    );
    let inventory = write(
        dir.path(),
        "inventory.json",
        r#"{ "time": "2026-11-22T00:00:00Z", "assets": [
          { "namespace": "payments", "name": "api", "images": [ { "ref": "nginx:1.27" } ] } ] }"#,
    );
    let run = |old: &Path, new: &Path, inventory: &Path| {
        bona(&[
            "diff",
            s(old),
            s(new),
            "--inventory",
            s(inventory),
            "--format",
            "json",
        ])
    };

    let out = run(&old, &new, &inventory);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["summary"]["newly_allowed"], 1, "{json:#}");
    assert_eq!(json["changes"][0]["decision"]["old"], "prevent");
    assert_eq!(json["changes"][0]["decision"]["new"], "allow");
    assert_eq!(
        json["changes"][0]["images"][0]["ref"],
        "docker.io/library/nginx:1.27"
    );

    // A set with errors: its diagnostics, exit 1.
    let broken = write(
        dir.path(),
        "broken.trust",
        "policy \"p\" { trust registy == \"x\" }",
    );
    let out = run(&old, &broken, &inventory);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("broken.trust"),
        "{}",
        text(&out.stderr)
    );

    // Not a bundle, a bad inventory, a missing file: one message naming the file, exit 2.
    let not_bundle = write(dir.path(), "old.bundle", "not a bundle");
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{ "assets": [ { "nmae": "api" } ] }"#,
    );
    let missing = dir.path().join("missing.json");
    for (old, inventory, named) in [
        (&not_bundle, &inventory, "old.bundle"),
        (&old, &bad, "bad.json"),
        (&old, &missing, "missing.json"),
    ] {
        let out = run(old, &new, inventory);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains(named) && err.lines().count() == 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn fmt_json_lists_changed_files_and_syntax_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = write(
        dir.path(),
        "messy.trust",
        "policy \"p\"{action prevent\ntrust registry==\"a\"}\n",
    );
    let broken = write(dir.path(), "broken.trust", "policy \"q\" {\n");
    let tidy = write(dir.path(), "tidy.trust", GOOD.trim_start());
    let out = bona(&["fmt", "--check", "--format", "json", s(dir.path())]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["changed"], serde_json::json!([s(&messy)]), "{json:#}");
    assert_eq!(
        json["syntax_errors"],
        serde_json::json!([s(&broken)]),
        "{json:#}"
    );
    let untouched = std::fs::read_to_string(&messy).expect("read");
    assert!(
        untouched.contains("{action prevent"),
        "--check wrote the file"
    );

    // Without --check the same files are rewritten, and a second run changes nothing.
    let out = bona(&["fmt", "--format", "json", s(&messy), s(&tidy)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["changed"], serde_json::json!([s(&messy)]), "{json:#}");
    let out = bona(&["fmt", "--check", "--format", "json", s(&messy), s(&tidy)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

/// A prevent policy for the corporate registry and an issue policy that audits scans: allow
/// wins, so a scanned image from anywhere is admitted (L0004); plus a rule that never holds.
const OVERRIDDEN: &str = r#"policy "corporate" {
  action prevent
  trust registry == "registry.company.com"
  trust registry == "a.example.com" and registry == "b.example.com"
}

policy "scanned" {
  action issue
  trust scanned
}
"#;

#[test]
fn lint_reports_findings_exits_by_deny_and_speaks_json_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let clean = write(dir.path(), "clean.trust", GOOD);
    let out = bona(&["lint", "--deny", s(&clean)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));

    let sub = tempfile::tempdir().unwrap();
    let file = write(sub.path(), "set.trust", OVERRIDDEN);
    let out = bona(&["lint", s(sub.path())]);
    assert_eq!(out.status.code(), Some(0), "findings alone exit 0");
    let err = text(&out.stderr);
    assert!(
        err.contains("warning[L0001]: this rule can never hold"),
        "{err}"
    );
    assert!(
        err.contains("warning[L0004]: prevent policy \"corporate\" is overridden by issue policy \"scanned\" where both apply"),
        "{err}"
    );
    // The example the finding rests on: an image the issue policy trusts and the prevent
    // policy rejects, on an asset both apply to.
    assert!(
        err.contains("this issue policy trusts `registry.example.com/app:1.0` (scanned) on Kubernetes workload default/app"),
        "{err}"
    );
    assert!(err.contains("set.trust:1:8"), "{err}");
    assert!(err.contains("0 errors, 2 warnings"), "{err}");

    let out = bona(&["lint", "--deny", s(&file)]);
    assert_eq!(out.status.code(), Some(1));

    let out = bona(&["lint", "--format", "json", s(&file)]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["errors"], 0);
    assert_eq!(doc["warnings"], 2);
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["L0004", "L0001"], "sorted by position");

    let out = bona(&["lint", "--format", "sarif", s(&file)]);
    assert_eq!(out.status.code(), Some(0));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "L0004");
    assert_eq!(results[0]["level"], "warning");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 8);

    // Compile errors: reported, exit 1, and no lint findings on a set that does not compile.
    let bad = write(dir.path(), "bad.trust", "policy \"p\" { trust x }\n");
    let out = bona(&["lint", s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stderr).contains("[L0"), "{}", text(&out.stderr));

    // `check` speaks SARIF too, with the compiler's codes.
    let out = bona(&["check", "--format", "sarif", s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .all(|r| r["ruleId"].as_str().is_some_and(|c| c.starts_with('E'))
                && r["level"] == "error"),
        "{results:?}"
    );
    assert!(!results.is_empty());

    let out = bona(&["lint", "/nonexistent/policies"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Runs `bona ARGS > /dev/full`.
fn bona_to_full(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args)
        .stdout(full)
        .output()
        .expect("run bona")
}

#[test]
fn a_failed_write_to_stdout_is_exit_2_with_one_message() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let production = repo.join("examples/production");
    let review = production.join("review.json");
    let scan = repo.join("examples/base-and-scan");
    let report = repo.join("tests/trivy/reports/image-v2.json");
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("p.bundle");
    let unformatted = write(dir.path(), "u.trust", "policy \"p\" {action issue}\n");
    let (scan_facts, scan_inventory) = (scan.join("facts.json"), scan.join("inventory.json"));
    let inventory = production.join("inventory.json");
    let build = bona(&["build", s(&production), "-o", s(&bundle)]);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let cases: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["table", s(&production)],
        vec!["check", s(&production), "--format", "json"],
        vec![
            "eval",
            "--policy",
            s(&production),
            "--admission-review",
            s(&review),
        ],
        vec![
            "audit",
            "--policy",
            s(&scan),
            "--facts",
            s(&scan_facts),
            "--inventory",
            s(&scan_inventory),
        ],
        vec!["test", s(&production)],
        vec!["facts", "trivy", s(&report)],
        vec!["lint", s(&production), "--format", "json"],
        vec![
            "diff",
            s(&production),
            s(&bundle),
            "--inventory",
            s(&inventory),
        ],
        vec!["fmt", "--check", s(&unformatted), "--format", "json"],
    ];
    for args in cases {
        let out = bona_to_full(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "bona {args:?}: {stderr}");
        assert_eq!(
            stderr
                .lines()
                .filter(|l| l.contains("cannot write to stdout"))
                .count(),
            1,
            "bona {args:?}: {stderr}"
        );
        assert!(
            stderr.contains("error: cannot write to stdout: no space left on device"),
            "bona {args:?}: {stderr}"
        );
    }
}

#[test]
fn output_files_replace_only_regular_files_and_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let production = repo.join("examples/production");
    let report = repo.join("tests/trivy/reports/image-v2.json");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let link = dir.path().join("link");
    let target = write(dir.path(), "target", "keep me\n");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    // A character device of our own (as root; the same major and minor as /dev/null), so that
    // a regression replaces a file in the temporary directory, not /dev/null itself.
    let device = dir.path().join("device");
    let mut cases = vec![
        (fifo.as_path(), "fifo"),
        (link.as_path(), "symbolic link"),
        (dir.path(), "directory"),
    ];
    let made = Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .output()
        .is_ok_and(|o| o.status.success());
    if made {
        cases.push((device.as_path(), "character device"));
    }
    for (path, kind) in cases {
        for args in [
            vec!["facts", "trivy", s(&report), "-o", s(path)],
            vec!["build", s(&production), "-o", s(path)],
        ] {
            let out = bona(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "{}: cannot write: it is a {kind}, not a regular file",
                    path.display()
                )),
                "{args:?}: {stderr}"
            );
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
        }
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");

    // An existing file keeps its mode; a new one follows the umask (not 0600).
    let existing = write(dir.path(), "facts.json", "{}");
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
    let new = dir.path().join("new.json");
    for path in [&existing, &new] {
        let out = bona(&["facts", "trivy", s(&report), "-o", s(path)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&existing), 0o640);
    let umask = Command::new("sh")
        .args(["-c", "umask"])
        .output()
        .unwrap()
        .stdout;
    let umask = u32::from_str_radix(text(&umask).trim(), 8).unwrap();
    assert_eq!(mode(&new), 0o666 & !umask);
}

/// Runs bona with a deadline: a command that hangs on a hostile file fails the test instead of
/// hanging it.
fn bona_within(args: &[&str], limit: std::time::Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run bona");
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bona {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Issue 10, D1 and D13: what sits in a policy directory, or what a key names, cannot hang or
/// exhaust a command: FIFOs, devices and symbolic link loops are bad input (exit 2) naming the
/// entry.
#[test]
fn hostile_policy_directories_and_key_files_are_bad_input() {
    let limit = std::time::Duration::from_secs(20);
    let input = {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "input.json", INPUT);
        (dir, p)
    };
    /// Makes a hostile entry in a directory; returns what the message must say.
    type Make = fn(&Path) -> String;
    let make: [(&str, Make); 4] = [
        ("fifo", |dir| {
            let fifo = dir.join("x.trust");
            assert!(
                Command::new("mkfifo")
                    .arg(&fifo)
                    .status()
                    .unwrap()
                    .success()
            );
            "x.trust: cannot read: it is a FIFO, not a regular file".into()
        }),
        ("zero", |dir| {
            std::os::unix::fs::symlink("/dev/zero", dir.join("z.trust")).unwrap();
            "z.trust: cannot read: it is a character device, not a regular file".into()
        }),
        ("loops", |dir| {
            std::os::unix::fs::symlink(".", dir.join("a")).unwrap();
            std::os::unix::fs::symlink(".", dir.join("b")).unwrap();
            "a: symbolic link loop".into()
        }),
        ("root", |dir| {
            std::os::unix::fs::symlink("/", dir.join("everything")).unwrap();
            "everything".into()
        }),
    ];
    for (what, make) in make {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "good.trust", GOOD);
        let expected = make(dir.path());
        for args in [
            vec!["check", s(dir.path())],
            vec![
                "eval",
                "--policy",
                s(dir.path()),
                "--input",
                s(&input.1),
                "--format",
                "json",
            ],
        ] {
            let out = bona_within(&args, limit);
            assert_eq!(out.status.code(), Some(2), "{what} {args:?}");
            let stderr = text(&out.stderr);
            assert!(stderr.contains(&expected), "{what} {args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{what}: one message: {stderr}");
        }
    }
    // A key file that is a device or a FIFO is a compile error at the key's string, at once.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("k.pub");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for key in ["/dev/zero", "k.pub"] {
        let policy = write(
            dir.path(),
            "p.trust",
            format!(
                "key k = file(\"{key}\")\npolicy \"p\" {{\n  action prevent\n  trust signed by k\n}}\n"
            ),
        );
        let out = bona_within(&["check", s(&policy)], limit);
        assert_eq!(out.status.code(), Some(1), "{key}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("error[E0401]") && stderr.contains("not a regular file"),
            "{key}: {stderr}"
        );
    }
}

/// Signed bundles (issue 10): `build --sign-key` writes `FILE.sig`; `--bundle-key` refuses a
/// bundle without one, with a changed body, or signed with another key. OpenSSL makes the keys
/// and checks the signature independently.
#[test]
fn signed_bundles_are_verified_before_they_decide() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            text(&out.stderr)
        );
    };
    for name in ["release", "other"] {
        crate::keys::p256_pair(d, name);
    }
    let policy = write(d, "p.trust", GOOD);
    let input = write(d, "input.json", INPUT);
    let bundle = d.join("p.bundle");
    let out = bona(&[
        "build",
        s(&policy),
        "-o",
        s(&bundle),
        "--sign-key",
        s(&d.join("release.key")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sig = d.join("p.bundle.sig");
    // OpenSSL agrees: the signature is base64 DER ECDSA over the bundle's bytes.
    let der = d.join("sig.der");
    openssl(&[
        "base64",
        "-d",
        "-A",
        "-in",
        "p.bundle.sig",
        "-out",
        "sig.der",
    ]);
    assert!(der.exists());
    openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "release.pub",
        "-signature",
        "sig.der",
        "p.bundle",
    ]);

    let eval = |bundle: &Path, key: &str| {
        bona(&[
            "eval",
            "--bundle",
            s(bundle),
            "--bundle-key",
            s(&d.join(key)),
            "--input",
            s(&input),
            "--format",
            "json",
        ])
    };
    let out = eval(&bundle, "release.pub");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"decision\": \"prevent\""));

    let out = eval(&bundle, "other.pub");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("does not verify under"),
        "{}",
        text(&out.stderr)
    );

    // A changed bundle (here, rebuilt without signing over the old signature) is refused.
    let relaxed = write(d, "relaxed.trust", GOOD.replace("prevent", "issue"));
    let out = bona(&["build", s(&relaxed), "-o", s(&bundle)]);
    assert_eq!(out.status.code(), Some(0));
    let out = eval(&bundle, "release.pub");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("does not verify under"),
        "{}",
        text(&out.stderr)
    );

    std::fs::remove_file(&sig).unwrap();
    let out = eval(&bundle, "release.pub");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the bundle is not signed"),
        "{}",
        text(&out.stderr)
    );

    // The audit checks it too; and --bundle-key makes no sense without --bundle.
    let out = bona(&[
        "audit",
        "--bundle",
        s(&bundle),
        "--bundle-key",
        s(&d.join("release.pub")),
        "--inventory",
        s(&input),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = bona(&[
        "eval",
        "--policy",
        s(&policy),
        "--bundle-key",
        s(&d.join("release.pub")),
        "--input",
        s(&input),
    ]);
    assert_eq!(out.status.code(), Some(2));

    // A key that cannot sign is refused before anything is written.
    let fresh = d.join("fresh.bundle");
    let out = bona(&[
        "build",
        s(&policy),
        "-o",
        s(&fresh),
        "--sign-key",
        s(&d.join("release.pub")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!fresh.exists());
}
