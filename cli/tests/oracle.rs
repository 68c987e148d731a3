//! The real `bona` binary against an independent oracle of the documented semantics
//! (`tests/oracle/`, Python standard library only): random policy sets, admission inputs,
//! inventories and facts documents, each run through `bona eval` and `bona audit --format
//! json`, and every field of docs/output.md#bona-eval and #bona-audit compared with what the
//! oracle computes from the rules alone (reasons only as empty or not: their wording is Bona's). Bounded and deterministic: fixed seeds, a few hundred
//! cases, two processes.

use std::path::Path;
use std::process::Command;

#[test]
fn bona_agrees_with_the_independent_oracle_on_random_cases() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok());
    let Some(python) = python else {
        // scripts/install-test-tools.sh installs Python where it is missing; without it the
        // oracle cannot run, and saying so beats failing on a machine that was never set up.
        eprintln!("skipped: no python3 (run scripts/install-test-tools.sh)");
        return;
    };
    for seed in ["1", "2"] {
        let out = Command::new(python)
            .arg(repo.join("tests/oracle/run.py"))
            .args(["--bona", env!("CARGO_BIN_EXE_bona")])
            .args(["--seed", seed, "--count", "300", "--jobs", "2"])
            .output()
            .expect("run the oracle");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "bona and the oracle disagree (seed {seed}; rerun with \
             `python3 tests/oracle/run.py --bona target/debug/bona --seed {seed} --count 300 --work /tmp/cases`):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("disagreeing 0"), "{stdout}");
    }
}
