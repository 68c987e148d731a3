//! The Trivy corpus: every folder `tests/trivy/cases/<case>/` is one named test that runs
//! `bona facts trivy` in-process (through `bona::run`) on real Trivy reports from
//! `tests/trivy/reports/` and compares the result with the case's expectation.
//!
//! A case folder holds:
//!
//! - `reports`: the report file names, one a line, in argument order;
//! - either `expect.json`, the exact document expected on standard output (exit 0), written by
//!   `tests/trivy/expect.py`, an implementation of the rules in `docs/choices.md` that does not
//!   share code with Bona; or `expect.exit` (the exit code) and `expect.stderr` (a substring of
//!   the message).
//!
//! Every case also runs with `-o FILE`: on success the file holds the same bytes and standard
//! output is empty; on failure the file is not created. A successful document must load with
//! Bona's own facts reader. `tests/trivy/README.md` says how the reports were made.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use bona_runtime::facts::FactsDocument;
use libtest_mimic::{Arguments, Failed, Trial};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("trivy")
}

fn discover() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join("cases"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn read(path: &Path) -> Result<String, Failed> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Runs `bona ARGS` in-process: (exit code, stdout, stderr).
fn bona(args: &[OsString]) -> (u8, String, String) {
    let mut all: Vec<OsString> = vec!["bona".into()];
    all.extend(args.iter().cloned());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = bona::run(all, &mut out, &mut err);
    (
        exit.code(),
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn run_case(dir: &Path) -> Result<(), Failed> {
    let reports = corpus_dir().join("reports");
    let mut args: Vec<OsString> = vec!["facts".into(), "trivy".into()];
    for name in read(&dir.join("reports"))?
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        args.push(reports.join(name.trim()).into());
    }
    let case = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = std::env::temp_dir().join(format!(
        "bona-trivy-{}-{}",
        std::process::id(),
        case.unwrap_or_default()
    ));
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let result = check_case(dir, &args, &tmp.join("facts.json"));
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn check_case(dir: &Path, args: &[OsString], file: &Path) -> Result<(), Failed> {
    let mut with_output = args.to_vec();
    with_output.extend(["-o".into(), file.into()]);

    let (code, out, err) = bona(args);
    let (file_code, file_out, file_err) = bona(&with_output);
    if dir.join("expect.exit").exists() {
        let want: u8 = read(&dir.join("expect.exit"))?
            .trim()
            .parse()
            .map_err(|e| format!("expect.exit: {e}"))?;
        let stderr = read(&dir.join("expect.stderr"))?;
        for (code, out, err) in [(code, &out, &err), (file_code, &file_out, &file_err)] {
            if code != want {
                return Err(format!("exit {code}, expected {want}\nstderr:\n{err}").into());
            }
            if !err.contains(stderr.trim()) {
                return Err(format!("stderr lacks `{}`:\n{err}", stderr.trim()).into());
            }
            if !out.is_empty() {
                return Err(format!("bad input, yet stdout is:\n{out}").into());
            }
        }
        if file.exists() {
            return Err("bad input, yet -o FILE was written".into());
        }
        return Ok(());
    }
    if code != 0 {
        return Err(format!("exit {code}\nstderr:\n{err}").into());
    }
    let expected = read(&dir.join("expect.json"))?;
    if out.trim_end() != expected.trim_end() {
        return Err(format!("stdout differs from expect.json:\n{out}").into());
    }
    if file_code != 0 || !file_out.is_empty() {
        return Err(format!("with -o: exit {file_code}, stdout {file_out:?}\n{file_err}").into());
    }
    if read(file)? != out {
        return Err("-o FILE differs from standard output".into());
    }
    let doc = FactsDocument::from_json(out.as_bytes())
        .map_err(|e| format!("Bona's facts reader refuses the output: {e}"))?;
    if doc.is_empty() {
        return Err("empty facts document".into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let trials = discover()
        .into_iter()
        .map(|dir| {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(name, move || run_case(&dir))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
