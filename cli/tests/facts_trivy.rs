//! End-to-end tests of `bona facts trivy` with the real binary, on the real Trivy reports of
//! `tests/trivy/reports/` (see `tests/trivy/README.md`): bad input, `-o`, and the facts driving
//! a decision through `bona eval --facts`.

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

fn report(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/trivy/reports")
        .join(name);
    p.to_str().expect("utf-8 path").to_owned()
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p.to_str().expect("utf-8 path").to_owned()
}

fn json(path: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// The digest of the image a report describes.
fn digest(report_path: &str) -> String {
    let doc = json(report_path);
    let repo_digest = doc["Metadata"]["RepoDigests"][0]
        .as_str()
        .expect("a digest");
    repo_digest
        .split_once('@')
        .map(|(_, d)| d.to_owned())
        .expect("REPO@DIGEST")
}

#[test]
fn help_teaches_with_an_example() {
    let out = bona(&["facts", "trivy", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("Usage: bona facts trivy"), "{help}");
    assert!(
        help.contains("bona facts trivy app.json -o facts.json"),
        "{help}"
    );
    assert!(help.contains("--facts facts.json"), "{help}");
    let out = bona(&["--help"]);
    assert!(text(&out.stdout).contains("facts"));
    let out = bona(&["facts", "--help"]);
    assert!(text(&out.stdout).contains("trivy"));
    // No report: a usage error.
    assert_eq!(bona(&["facts", "trivy"]).status.code(), Some(2));
}

#[test]
fn bad_input_exits_2_names_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let good = report("image-v1.json");
    let cases: Vec<(String, &str)> = vec![
        (
            d.join("missing.json").to_string_lossy().into_owned(),
            "missing.json: cannot read",
        ),
        (
            write(
                d,
                "malformed.json",
                "{\"SchemaVersion\": 2,\n \"ArtifactName\": }",
            ),
            "malformed.json: at ArtifactName (line 2, column 18): expected value",
        ),
        (
            write(d, "facts.json", "{\"images\": {}}"),
            "facts.json: at .: not a Trivy JSON report: no `SchemaVersion`",
        ),
        (
            write(d, "nameless.json", "{\"SchemaVersion\": 2}"),
            "nameless.json: at .: not a Trivy JSON report: no `ArtifactName`",
        ),
        (
            write(
                d,
                "v1.json",
                "{\"SchemaVersion\": 3, \"ArtifactName\": \"x\"}",
            ),
            "v1.json: at SchemaVersion (line 1, column 19): unsupported `SchemaVersion` 3",
        ),
        (
            write(
                d,
                "array.json",
                "[{\"Target\": \"x\", \"Vulnerabilities\": []}]",
            ),
            "invalid type: sequence, expected a Trivy JSON report",
        ),
        (
            report("fs-lock-files.json"),
            "fs-lock-files.json: at Metadata: a `filesystem` report of `.` names no image",
        ),
    ];
    for (bad, message) in &cases {
        let output = d.join("out.json");
        let out = bona(&[
            "facts",
            "trivy",
            &good,
            bad,
            "-o",
            &output.to_string_lossy(),
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains(message),
            "{bad}: expected `{message}` in:\n{err}"
        );
        assert_eq!(err.matches("error:").count(), 1, "{err}");
        assert!(out.stdout.is_empty());
        assert!(!output.exists(), "{bad}: -o written");
        let out = bona(&["facts", "trivy", bad, &good]);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty(), "{bad}: partial output");
    }
}

#[test]
fn output_file_is_replaced_only_on_success() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = write(dir.path(), "facts.json", "old");
    let bad = write(dir.path(), "bad.json", "{}");
    let out = bona(&["facts", "trivy", &bad, "-o", &output]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&output).expect("read"), "old");

    let out = bona(&["facts", "trivy", &report("image-v2.json"), "-o", &output]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("facts.json (2 keys from 1 report)"),
        "{}",
        text(&out.stderr)
    );
    let doc = json(&output);
    assert_eq!(doc["images"].as_object().map(|m| m.len()), Some(2));
    // No temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    let missing_dir = dir.path().join("no/such/dir/facts.json");
    let out = bona(&[
        "facts",
        "trivy",
        &report("image-v2.json"),
        "-o",
        &missing_dir.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot write"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unknown_severities_are_noted_on_stderr() {
    let out = bona(&[
        "facts",
        "trivy",
        &report("image-v1.json"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("image-v1.json: 1 vulnerability of UNKNOWN severity is in none of the counts"),
        "{err}"
    );
    assert_eq!(
        bona(&[
            "facts",
            "trivy",
            &report("image-v1.json"),
            "--format",
            "table"
        ])
        .status
        .code(),
        Some(2)
    );
}

const POLICY: &str = r#"
policy "scanned recently and no critical vulnerability" {
  action prevent
  trust scan.age < 7d and vulns.critical == 0
}
"#;

#[test]
fn facts_from_trivy_drive_eval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = (report("image-v1.json"), report("image-v2.json"));
    let facts = dir.path().join("facts.json").to_string_lossy().into_owned();
    let out = bona(&["facts", "trivy", &v1, &v2, "-o", &facts]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let policy = write(dir.path(), "p.trust", POLICY);
    let scanned_at = json(&v2)["CreatedAt"]
        .as_str()
        .expect("CreatedAt")
        .to_owned();
    let d2 = digest(&v2);
    let input = |time: &str| {
        format!(
            r#"{{ "time": "{time}", "asset": {{ "namespace": "shop", "name": "web" }},
               "images": [ {{ "ref": "127.0.0.1:5055/demo/app:v2" }},
                           {{ "ref": "127.0.0.1:5055/demo/app:v1" }},
                           {{ "ref": "mirror.example.com/demo/app@{d2}" }},
                           {{ "ref": "127.0.0.1:5055/demo/app:v3" }} ] }}"#
        )
    };
    let eval = |time: &str| {
        let path = write(dir.path(), "input.json", input(time));
        let out = bona(&[
            "eval", "--policy", &policy, "--input", &path, "--facts", &facts, "--format", "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let results: Vec<String> = (0..4)
            .map(|i| {
                doc["images"][i]["policies"][0]["result"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect();
        results
    };
    // Just after the scans: v2 (by tag, and by digest under another registry) is clean, v1 has
    // two critical vulnerabilities, v3 was never scanned.
    assert_eq!(
        eval(&scanned_at),
        ["trusted", "untrusted", "trusted", "unknown"]
    );
    // Long after: every scan is too old.
    assert_eq!(
        eval("2099-01-01T00:00:00Z"),
        ["untrusted", "untrusted", "untrusted", "unknown"]
    );
}
