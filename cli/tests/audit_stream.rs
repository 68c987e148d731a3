//! `bona audit` streams Bona's inventory: these tests run the real binary and hold it to what
//! reading the whole inventory into memory and rendering the whole audit at once gives, and to
//! docs/commands.md on bad input (one message with the place, exit 2, never a partial result).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bona::policies::{self, PolicySource};
use bona_runtime::input::{ReviewOptions, is_kubectl_list, parse_inventory, parse_kubectl_list};
use bona_runtime::signature::VerificationCache;

/// Runs the `bona` binary under test.
pub(crate) fn bona(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args)
        .output()
        .expect("run bona")
}

/// Output bytes as text.
pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A path as an argument.
pub(crate) fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// What `bona audit` printed before it streamed: the whole inventory parsed in memory, the
/// whole audit computed, then printed at once (JSON and table).
fn in_memory(
    policy: &Path,
    inventory: &Path,
    facts: Option<&Path>,
    opts: &ReviewOptions,
) -> Result<(String, String), String> {
    let mut sink = Vec::new();
    let source = PolicySource {
        policy: vec![policy.to_owned()],
        bundle: None,
    };
    let engine = policies::engine(&source, &mut sink).map_err(|_| "compile".to_owned())?;
    let facts = policies::facts(facts, &mut sink).map_err(|_| "facts".to_owned())?;
    let bytes = std::fs::read(inventory).map_err(|e| e.to_string())?;
    let inv = if is_kubectl_list(&bytes) {
        parse_kubectl_list(&bytes, opts)
    } else {
        parse_inventory(&bytes)
    }
    .map_err(|e| format!("{}: {e}", inventory.display()))?;
    let audit = engine.audit(
        &inv,
        facts.as_ref(),
        policies::now(),
        &mut VerificationCache::new(),
    );
    let json = serde_json::to_string_pretty(&audit).expect("serialise") + "\n";
    Ok((json, bona_host::audit::audit_text(&audit)))
}

/// `--cluster` / `--cloud` from a conformance case's `args.json`.
pub(crate) fn case_options(dir: &Path) -> (ReviewOptions, Vec<String>) {
    let args: Vec<String> = std::fs::read_to_string(dir.join("args.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_default()
    };
    let opts = ReviewOptions {
        cluster: value("--cluster"),
        cloud: value("--cloud"),
    };
    (opts, args)
}

/// Every inventory of the repository: the examples' and the conformance corpus's, and a kubectl
/// list made by the real kubectl (with a policy set of the examples).
pub(crate) fn fixtures() -> Vec<(PathBuf, PathBuf)> {
    let root = root();
    let mut cases = Vec::new();
    for corpus in ["examples", "tests/conformance"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(corpus))
            .expect("corpus")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("inventory.json").is_file())
            .collect();
        dirs.sort();
        cases.extend(
            dirs.into_iter()
                .map(|d| (d.clone(), d.join("inventory.json"))),
        );
    }
    cases.push((
        root.join("examples/production"),
        root.join("runtime/tests/fixtures/kubernetes/pods-list.json"),
    ));
    cases
}

#[test]
fn streaming_prints_what_the_in_memory_audit_prints_on_every_fixture() {
    let mut compared = 0;
    for (dir, inventory) in fixtures() {
        let (mut opts, extra) = case_options(&dir);
        if inventory.ends_with("pods-list.json") {
            opts.cluster = "prod-eu-1".into();
        }
        let facts = Some(dir.join("facts.json")).filter(|f| f.is_file());
        let expected = in_memory(&dir, &inventory, facts.as_deref(), &opts);
        for format in ["json", "table"] {
            let mut args = vec!["audit", "--policy", s(&dir), "--inventory", s(&inventory)];
            if let Some(facts) = &facts {
                args.extend(["--facts", s(facts)]);
            }
            args.extend(["--cluster", &opts.cluster, "--cloud", &opts.cloud]);
            args.extend(["--format", format]);
            let out = bona(&args);
            let context = format!(
                "{} {format} (case args {extra:?})\nstderr: {}",
                inventory.display(),
                text(&out.stderr)
            );
            match &expected {
                Ok((json, table)) => {
                    assert_eq!(out.status.code(), Some(0), "{context}");
                    let want = if format == "json" { json } else { table };
                    assert_eq!(&text(&out.stdout), want, "{context}");
                    assert!(out.stderr.is_empty(), "{context}");
                    compared += 1;
                }
                Err(reason) if reason == "compile" => {
                    assert_eq!(out.status.code(), Some(1), "{context}");
                }
                Err(message) => {
                    assert_eq!(out.status.code(), Some(2), "{context}");
                    assert!(out.stdout.is_empty(), "{context}");
                    assert_eq!(
                        text(&out.stderr),
                        format!("error: {message}\n"),
                        "{context}"
                    );
                }
            }
        }
    }
    assert!(compared >= 40, "only {compared} outputs compared");
}

const POLICY: &str = r#"
policy "corporate only" {
  action issue
  trust registry == "registry.company.com"
}
"#;

/// `n` assets whose images all file an issue (a public registry), so that the output is large.
fn big_inventory(n: usize, bad_at: Option<usize>) -> String {
    let mut doc = String::from("{\"time\": \"2026-11-22T00:00:00Z\",\n \"assets\": [\n");
    for i in 0..n {
        let second = if bad_at == Some(i) {
            "registry.company.com/Bad//ref"
        } else {
            "docker.io/library/redis:7.2"
        };
        let _ = writeln!(
            doc,
            r#"  {{"namespace": "ns{}", "name": "app-{i}", "images": [{{"ref": "nginx:1.{i}"}}, {{"ref": "{second}"}}]}}{}"#,
            i % 100,
            if i + 1 == n { "" } else { "," }
        );
    }
    doc.push_str(" ]}\n");
    doc
}

#[test]
fn a_bad_asset_deep_in_the_stream_gives_its_place_and_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.trust");
    std::fs::write(&policy, POLICY).expect("write");
    let inventory = dir.path().join("inventory.json");
    std::fs::write(&inventory, big_inventory(71_300, Some(71_234))).expect("write");
    for format in ["json", "table"] {
        let out = bona(&[
            "audit",
            "--policy",
            s(&policy),
            "--inventory",
            s(&inventory),
            "--format",
            format,
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        // 142,468 issues (tens of megabytes) were found before the bad asset: none is printed.
        assert!(out.stdout.is_empty(), "partial output on bad input");
        assert!(
            err.starts_with(&format!(
                "error: {}: at assets[71234].images[1].ref (line 71237, column ",
                inventory.display()
            )),
            "{err}"
        );
        assert!(err.contains("invalid image reference"), "{err}");
        assert_eq!(err.lines().count(), 1, "one message: {err}");
    }
}

#[test]
fn a_large_audit_is_complete_and_silent_on_a_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.trust");
    std::fs::write(&policy, POLICY).expect("write");
    let inventory = dir.path().join("inventory.json");
    std::fs::write(&inventory, big_inventory(20_000, None)).expect("write");
    let out = bona(&[
        "audit",
        "--policy",
        s(&policy),
        "--inventory",
        s(&inventory),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // No progress bar: stderr is a pipe.
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let (json, _) =
        in_memory(&policy, &inventory, None, &ReviewOptions::default()).expect("in-memory audit");
    assert!(json.len() > 8 << 20, "the output must spill to a file");
    assert!(out.stdout == json.as_bytes(), "streamed output differs");
}

#[test]
fn an_empty_inventory_has_no_issues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.trust");
    std::fs::write(&policy, POLICY).expect("write");
    for (i, doc) in [
        "{}",
        r#"{"assets": []}"#,
        r#"{"assets": null, "time": null}"#,
    ]
    .into_iter()
    .enumerate()
    {
        let inventory = dir.path().join(format!("empty{i}.json"));
        std::fs::write(&inventory, doc).expect("write");
        let args = [
            "audit",
            "--policy",
            s(&policy),
            "--inventory",
            s(&inventory),
        ];
        let json = bona(&[&args[..], &["--format", "json"]].concat());
        assert_eq!(json.status.code(), Some(0), "{doc}: {}", text(&json.stderr));
        assert_eq!(text(&json.stdout), "{\n  \"issues\": []\n}\n", "{doc}");
        let table = bona(&[&args[..], &["--format", "table"]].concat());
        assert_eq!(text(&table.stdout), "no posture issues\n", "{doc}");
    }
}

#[test]
fn time_after_assets_is_the_time_of_every_asset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.trust");
    std::fs::write(
        &policy,
        "policy \"fresh scans\" {\n  action issue\n  trust scanned and scan.age < 7d\n}\n",
    )
    .expect("write");
    // Scanned five days before the inventory's time: fresh then, years old now.
    let assets = r#"[{"name": "a", "images": [{"ref": "nginx", "facts": {"scanned": true, "scan": {"finished_at": "2020-01-05T00:00:00Z"}}}]},
                     {"name": "b", "images": [{"ref": "redis", "facts": {"scanned": true, "scan": {"finished_at": "2019-12-01T00:00:00Z"}}}]}]"#;
    let time = r#""time": "2020-01-10T00:00:00Z""#;
    let docs = [
        format!("{{{time}, \"assets\": {assets}}}"),
        format!("{{\"assets\": {assets},\n {time}}}"),
        format!("{{\"assets\": {assets}}}"),
    ];
    let outputs: Vec<String> = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let inventory = dir.path().join(format!("inv{i}.json"));
            std::fs::write(&inventory, doc).expect("write");
            let out = bona(&[
                "audit",
                "--policy",
                s(&policy),
                "--inventory",
                s(&inventory),
                "--format",
                "json",
            ]);
            assert_eq!(out.status.code(), Some(0), "{doc}: {}", text(&out.stderr));
            text(&out.stdout)
        })
        .collect();
    assert_eq!(outputs[0], outputs[1]);
    // At the inventory's time only `b`'s scan is too old; "now", both are.
    assert_eq!(outputs[0].matches("\"type\": \"posture\"").count(), 1);
    assert!(outputs[0].contains("workload /b"), "{}", outputs[0]);
    assert_eq!(outputs[2].matches("\"type\": \"posture\"").count(), 2);

    // A bad `time` after the assets is still bad input, with nothing printed.
    let inventory = dir.path().join("bad-time.json");
    std::fs::write(
        &inventory,
        format!("{{\"assets\": {assets},\n \"time\": \"yesterday\"}}"),
    )
    .expect("write");
    let out = bona(&[
        "audit",
        "--policy",
        s(&policy),
        "--inventory",
        s(&inventory),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains(": at time (line 3, column "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unreadable_inventories_are_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.trust");
    std::fs::write(&policy, POLICY).expect("write");
    let missing = dir.path().join("missing.json");
    for (path, message) in [
        (&missing, "cannot read: no such file"),
        (&dir.path().to_owned(), "cannot read: is a directory"),
    ] {
        let out = bona(&["audit", "--policy", s(&policy), "--inventory", s(path)]);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
    }
    // Not an inventory, not a kubectl list: the strict reader's message.
    let other = dir.path().join("deployment.json");
    std::fs::write(&other, r#"{"apiVersion": "apps/v1", "kind": "Deployment"}"#).expect("write");
    let out = bona(&["audit", "--policy", s(&policy), "--inventory", s(&other)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("at apiVersion (line 1, column "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_says_what_streams() {
    let out = bona(&["audit", "--help"]);
    let help = text(&out.stdout);
    assert!(help.contains("streamed"), "{help}");
    assert!(help.contains("kubectl list is read"), "{help}");
}
