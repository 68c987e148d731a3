//! `bona eval` writes its decision image by image (docs/choices.md, "Flat in N"): the real
//! binary's output, in both formats, is held to the whole decision computed in memory and
//! rendered at once, on every admission input of the examples.

use std::path::{Path, PathBuf};
use std::process::Command;

use bona::policies::{self, PolicySource};
use bona::render;
use bona_runtime::input::parse_admission_input;
use bona_runtime::signature::VerificationCache;

fn inputs() -> Vec<(PathBuf, PathBuf)> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&examples).expect("examples").flatten() {
        let dir = dir.path();
        for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = file.path();
            let text = std::fs::read(&path).unwrap_or_default();
            if path.extension().is_some_and(|e| e == "json") && parse_admission_input(&text).is_ok()
            {
                out.push((dir.clone(), path));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_streamed_decision_is_the_whole_decision_in_both_formats() {
    let mut compared = 0;
    for (dir, input) in inputs() {
        let mut sink = Vec::new();
        let source = PolicySource {
            policy: vec![dir.clone()],
            bundle: None,
        };
        let Ok(engine) = policies::engine(&source, &mut sink) else {
            continue;
        };
        let facts_path = dir.join("facts.json");
        let facts = policies::facts(
            Some(&facts_path)
                .filter(|f| f.is_file())
                .map(PathBuf::as_path),
            &mut sink,
        )
        .unwrap_or_else(|_| panic!("facts of {}", dir.display()));
        let parsed = parse_admission_input(&std::fs::read(&input).expect("read")).expect("input");
        let decision = engine.evaluate(
            &parsed,
            facts.as_ref(),
            policies::now(),
            &mut VerificationCache::new(),
        );
        let json = serde_json::to_string_pretty(&decision).expect("json") + "\n";
        let table = render::decision(&parsed, &decision);
        for (format, want) in [("json", &json), ("table", &table)] {
            let mut args = vec![
                "eval".to_owned(),
                "--policy".into(),
                dir.display().to_string(),
                "--input".into(),
                input.display().to_string(),
                "--format".into(),
                format.into(),
            ];
            if facts_path.is_file() {
                args.extend(["--facts".into(), facts_path.display().to_string()]);
            }
            let out = Command::new(env!("CARGO_BIN_EXE_bona"))
                .args(&args)
                .output()
                .expect("run bona");
            assert_eq!(
                &String::from_utf8_lossy(&out.stdout),
                want,
                "{} {format}: {}",
                input.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} outputs compared");
}
