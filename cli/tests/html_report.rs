//! `bona audit --format html` (docs/reports.md#html): the page is rendered by headless
//! Chromium, and what it shows is held to `bona audit --format json`; hostile asset names stay
//! text; 100,000 assets still make a usable page (aggregated charts, one page of rows); a
//! screenshot is taken.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::audit_stream::bona;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The page's DOM once its script has run; `None` without Chromium.
fn rendered(page: &Path, budget_ms: u32) -> Option<String> {
    if !Path::new(CHROMIUM).is_file() {
        crate::xcheck::tool_missing("chromium is not installed");
        return None;
    }
    let out = Command::new(CHROMIUM)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The number on card `name` (`images`, `untrusted`, `posture-issues` …).
fn card(dom: &str, name: &str) -> Option<u64> {
    let at = dom.find(&format!("id=\"card-{name}\"><b>"))?;
    let rest = &dom[at..];
    let start = rest.find("<b>")? + 3;
    let end = rest.find("</b>")?;
    rest.get(start..end)?.replace(',', "").parse().ok()
}

#[test]
fn the_page_shows_what_the_audit_finds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/production");
    let page = dir.path().join("report.html");
    let args = |format: &str| {
        vec![
            "audit".to_owned(),
            "--policy".into(),
            root.display().to_string(),
            "--inventory".into(),
            root.join("inventory.json").display().to_string(),
            "--format".into(),
            format.into(),
        ]
    };
    let mut html = args("html");
    html.extend(["-o".into(), page.display().to_string()]);
    let out = Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(&html)
        .output()
        .expect("run bona");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&page).expect("read");
    // Self-contained: nothing fetched from anywhere.
    for outside in ["<link", " src=", "http://", "https://", "@import", "url("] {
        assert!(!text.contains(outside), "{outside}");
    }
    let json = Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args("json"))
        .output()
        .expect("run bona");
    let audit: Value = serde_json::from_slice(&json.stdout).expect("json");
    let issues = audit["issues"].as_array().map_or(0, Vec::len) as u64;
    let Some(dom) = rendered(&page, 5_000) else {
        return;
    };
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the script did not finish"
    );
    assert_eq!(card(&dom, "posture-issues"), Some(issues));
    assert_eq!(card(&dom, "images"), Some(7));
    assert_eq!(card(&dom, "assets"), Some(5));
    assert_eq!(card(&dom, "untrusted"), Some(3));
    assert!(
        dom.contains("quay.io/prometheus/node-exporter:v1.8.2"),
        "{dom}"
    );
    assert!(dom.contains("page 1 of 1 (7 rows)"), "{dom}");
    assert!(dom.contains("By registry"), "{dom}");
    assert!(
        dom.contains("not pinned: the reference carries no digest"),
        "{dom}"
    );
    // A picture of it, for people.
    let shot = dir.path().join("report.png");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(["--window-size=1280,1500", "--virtual-time-budget=5000"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{}",
        png.len()
    );
}

#[test]
fn every_inventory_of_the_examples_gives_a_page_that_agrees_with_the_audit() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut dirs: Vec<_> = std::fs::read_dir(&examples)
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|d| d.join("inventory.json").is_file())
        .collect();
    dirs.sort();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    for case in dirs {
        let inventory = case.join("inventory.json");
        let facts = case.join("facts.json");
        let run = |format: &str, output: Option<&Path>| {
            let mut args = vec![
                "audit".to_owned(),
                "--policy".into(),
                case.display().to_string(),
                "--inventory".into(),
                inventory.display().to_string(),
                "--format".into(),
                format.into(),
            ];
            if facts.is_file() {
                args.extend(["--facts".into(), facts.display().to_string()]);
            }
            if let Some(path) = output {
                args.extend(["-o".into(), path.display().to_string()]);
            }
            Command::new(env!("CARGO_BIN_EXE_bona"))
                .args(&args)
                .output()
                .expect("run bona")
        };
        let json = run("json", None);
        if !json.status.success() {
            // A folder holding two policy sets (policy-review): not one to audit with.
            continue;
        }
        let audit: Value = serde_json::from_slice(&json.stdout).expect("json");
        let page = dir.path().join("report.html");
        assert!(run("html", Some(&page)).status.success());
        let parsed =
            bona_runtime::input::parse_inventory(&std::fs::read(&inventory).expect("read"))
                .expect("inventory");
        let images: usize = parsed.assets.iter().map(|a| a.images.len()).sum();
        let Some(dom) = rendered(&page, 5_000) else {
            return;
        };
        let context = case.display().to_string();
        assert!(dom.contains("data-ready=\"yes\""), "{context}");
        assert_eq!(card(&dom, "images"), Some(images as u64), "{context}");
        assert_eq!(
            card(&dom, "posture-issues"),
            Some(audit["issues"].as_array().map_or(0, Vec::len) as u64),
            "{context}"
        );
        for issue in audit["issues"].as_array().into_iter().flatten().take(50) {
            let image = issue["image"].as_str().unwrap_or_default();
            assert!(dom.contains(image), "{context}: {image}");
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} inventories checked");
}

/// The page `bona audit --format html` makes of `inventory` (JSON text) under one policy of
/// `action`, trusting `registry.company.com`.
fn page_of(dir: &Path, action: &str, inventory: &str) -> std::path::PathBuf {
    let policy = dir.join("p.trust");
    std::fs::write(
        &policy,
        format!(
            "policy \"corporate\" {{\n  action {action}\n  trust registry == \"registry.company.com\"\n}}\n"
        ),
    )
    .expect("write");
    let path = dir.join("inventory.json");
    std::fs::write(&path, inventory).expect("write");
    let page = dir.join("report.html");
    let out = bona(&[
        "audit",
        "--policy",
        policy.to_str().expect("utf-8"),
        "--inventory",
        path.to_str().expect("utf-8"),
        "--format",
        "html",
        "-o",
        page.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    page
}

#[test]
fn hostile_names_stay_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile =
        "</script><script>document.body.dataset.pwned='1'</script><img src=x onerror=alert(1)>";
    let doc = serde_json::json!({"assets": [{"namespace": hostile, "name": hostile,
        "images": [{"ref": "docker.io/library/redis:7.2"}]}]});
    let page = page_of(dir.path(), "issue", &doc.to_string());
    let text = std::fs::read_to_string(&page).expect("read");
    assert!(
        !text.contains("</script><script>document"),
        "the data closed its block"
    );
    let Some(dom) = rendered(&page, 5_000) else {
        return;
    };
    assert!(dom.contains("data-ready=\"yes\""));
    assert!(!dom.contains("data-pwned"), "{dom}");
    assert!(!dom.contains("<img src=\"x\""), "{dom}");
    assert!(
        dom.contains("&lt;/script&gt;&lt;script&gt;"),
        "the name is shown as text"
    );
}

#[test]
fn a_hundred_thousand_assets_make_a_usable_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut doc = String::from("{\"time\": \"2026-12-01T00:00:00Z\", \"assets\": [\n");
    for i in 0..100_000 {
        let sep = if i == 0 { "" } else { ",\n" };
        doc.push_str(&format!(
            "{sep}{{\"cluster\": \"prod\", \"namespace\": \"ns{}\", \"kind\": \"Deployment\", \"name\": \"app{i}\", \"images\": [{{\"ref\": \"registry.company.com/team{}/app:1.{}\"}}, {{\"ref\": \"docker.io/library/redis:7.{}\"}}, {{\"ref\": \"quay.io/org/tool:{}\"}}]}}",
            i % 400,
            i % 50,
            i % 9,
            i % 5,
            i % 3
        ));
    }
    doc.push_str("\n]}\n");
    let page = page_of(dir.path(), "prevent", &doc);
    let Some(dom) = rendered(&page, 60_000) else {
        return;
    };
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the script did not finish"
    );
    assert_eq!(card(&dom, "images"), Some(300_000));
    assert_eq!(card(&dom, "untrusted"), Some(200_000));
    assert_eq!(card(&dom, "posture-issues"), Some(200_000));
    // One page of rows, the largest groups in the charts.
    assert!(dom.contains("page 1 of 6000 (300,000 rows)"), "pager");
    assert_eq!(dom.matches("class=\"pill ").count(), 50 + 50);
    assert!(dom.contains("By namespace (15 of 400)"));
}
