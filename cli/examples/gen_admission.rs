//! Generates one large admission for `bona eval`: N policies that all apply to the workload
//! and a workload with M images, for the output cost and memory measurements of
//! docs/performance.md ("Eval output"). Deterministic.
//!
//! ```sh
//! cargo run --release -p bona --example gen_admission -- 10000 20 /tmp/eval-10k-20
//! bona eval --policy /tmp/eval-10k-20/policies.trust \
//!     --input /tmp/eval-10k-20/deploy.json --format json > /dev/null
//! ```
//!
//! The policies are `bona_compiler::generate::policy_set`'s four shapes with every scope
//! replaced by `cluster matches "prod-*"`, so each of the N policies judges each image and
//! prints its result and reasons. Image `j` is a release of team `j`'s registry (trusted or
//! near-miss for policy `j`, untrusted with reasons for every other policy); one in five is a
//! public image no policy names.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(policies), Some(images), Some(dir)) = (
        args.first().and_then(|a| a.parse::<usize>().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
        args.get(2).map(PathBuf::from),
    ) else {
        eprintln!("usage: gen_admission POLICIES IMAGES DIR");
        return ExitCode::from(2);
    };
    let mut text = String::new();
    for file in bona_compiler::generate::policy_set(policies, 1) {
        for line in file.lines() {
            if line.trim_start().starts_with("scope ") {
                text.push_str("  scope cluster matches \"prod-*\"\n");
            } else {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    let mut refs = Vec::new();
    for j in 0..images {
        let team = j % policies.max(1);
        refs.push(if j % 5 == 4 {
            format!("\"docker.io/library/redis:7.{j}\"")
        } else {
            format!("\"registry{team}.company.com/team{team}/app-{j}:v1.{j}\"")
        });
    }
    let mut input = String::from(
        "{\n  \"time\": \"2026-12-01T00:00:00Z\",\n  \"asset\": {\"cluster\": \"prod-eu-1\", \
         \"namespace\": \"payments\", \"kind\": \"Deployment\", \"name\": \"api\"},\n  \"images\": [\n",
    );
    for (n, r) in refs.iter().enumerate() {
        let sep = if n + 1 == refs.len() { "" } else { "," };
        let _ = writeln!(input, "    {{\"ref\": {r}}}{sep}");
    }
    input.push_str("  ]\n}\n");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("policies.trust"), text))
        .and_then(|()| std::fs::write(dir.join("deploy.json"), input));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_admission: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
