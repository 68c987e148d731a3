//! Generates a large audit workload for `bona audit`: 1,000 policies and an inventory of N
//! assets × 3 images (docs/output.md#bona-audit), for timing and memory measurements (docs/performance.md,
//! "Audit"). Deterministic: the same arguments always give the same files.
//!
//! ```sh
//! cargo run --release -p bona --example gen_inventory -- 100000 /tmp/audit-100k
//! bona audit --policy /tmp/audit-100k/policies.trust \
//!     --inventory /tmp/audit-100k/inventory.json --format json > /dev/null
//! ```
//!
//! Options after the directory: `--policies N` (default 1000) and `--time-last` (write `time`
//! after `assets`, which makes `bona audit` read the file twice).
//!
//! The policies are `bona_compiler::generate::policy_set`: four shapes, policy `i` scoped to team
//! `team{i}` (by namespace, by `team` label, or by namespace and a `prod-*` cluster). The
//! inventory mixes assets the way a fleet does, so that the issue count stays realistic (about
//! 7 % of the images file a posture issue):
//!
//! - 45 % of the assets run in namespaces no policy scopes (`svc-*`): no applicable policy;
//! - the rest belong to a team, and run that team's images, which its policy trusts: the
//!   registry-and-repository policies, the label-scoped policies (with inline scan facts), the
//!   base-or-source-label policies (with inline image labels);
//! - the exceptions file issues: a public sidecar (`docker.io/library/redis`) beside a team's
//!   images, a scan with critical vulnerabilities, images without the facts a policy needs
//!   (`missing-information`), and the teams whose policy asks for cosign signatures, which no
//!   generated image carries (10 % of the team assets).

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// A small deterministic generator (xorshift64*); quality is irrelevant here.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn digest(&mut self) -> String {
        let mut s = String::from("sha256:");
        for _ in 0..4 {
            let _ = write!(s, "{:016x}", self.next());
        }
        s
    }
}

/// The audit's time, and a scan two days before it.
const TIME: &str = "2026-11-22T00:00:00Z";
const SCANNED: &str = "2026-11-20T00:00:00Z";

/// One image object.
fn image(rng: &mut Rng, reference: &str, facts: Option<String>) -> String {
    let pinned = if rng.chance(50) {
        format!("@{}", rng.digest())
    } else {
        String::new()
    };
    match facts {
        Some(facts) => format!(r#"{{"ref": "{reference}{pinned}", "facts": {facts}}}"#),
        None => format!(r#"{{"ref": "{reference}{pinned}"}}"#),
    }
}

/// The three images of a team asset, following policy `team`'s shape.
fn team_images(rng: &mut Rng, team: u64) -> Vec<String> {
    let registry = format!("registry{team}.company.com/team{team}");
    let minor = rng.below(20);
    let mut images = Vec::with_capacity(3);
    for part in ["app", "proxy", "init"] {
        let img = match team % 4 {
            // Registry and repository: trusted as is.
            0 => image(rng, &format!("{registry}/{part}:1.{minor}.0"), None),
            // Signed images: no generated image carries a signature.
            1 => image(rng, &format!("{registry}/{part}:1.{minor}.0"), None),
            // Scanned, `v*` tags: 10 % of the scans found critical vulnerabilities.
            2 => {
                let critical = u64::from(rng.chance(10)) * 2;
                let facts = format!(
                    r#"{{"scanned": true, "scan": {{"scanner": "trivy", "finished_at": "{SCANNED}", "vulnerabilities": {{"critical": {critical}, "high": {}}}}}}}"#,
                    rng.below(5)
                );
                image(rng, &format!("{registry}/{part}:v1.{minor}.0"), Some(facts))
            }
            // Source label: 10 % of the images come without facts (missing information).
            _ => {
                let facts = (!rng.chance(10)).then(|| {
                    format!(
                        r#"{{"labels": {{"org.opencontainers.image.source": "https://git.company.com/team{team}/{part}"}}}}"#
                    )
                });
                image(rng, &format!("{registry}/{part}:1.{minor}.0"), facts)
            }
        };
        images.push(img);
    }
    // A public sidecar beside the team's images, now and then.
    if rng.chance(4) {
        images[1] = image(rng, "docker.io/library/redis:7.2", None);
    }
    images
}

/// The inventory text for `assets` assets, with `time` first or last.
fn inventory(
    assets: u64,
    policies: u64,
    time_last: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    const KINDS: [&str; 4] = ["Deployment", "StatefulSet", "DaemonSet", "CronJob"];
    const CLUSTERS: [&str; 3] = ["prod-eu-1", "prod-us-1", "staging-1"];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    if time_last {
        writeln!(out, "{{\"assets\": [")?;
    } else {
        writeln!(out, "{{\"time\": \"{TIME}\",\n \"assets\": [")?;
    }
    for n in 0..assets {
        let (namespace, team_label, images) = if rng.chance(45) || policies == 0 {
            let svc = format!("svc-{}", rng.below(500));
            let images = (0..3)
                .map(|k| {
                    image(
                        &mut rng,
                        &format!("registry.company.com/{svc}/c{k}:2.{n}"),
                        None,
                    )
                })
                .collect();
            (svc.clone(), svc, images)
        } else {
            // One team asset in ten runs in a team whose policy asks for signatures (shape 1).
            let shape = if rng.chance(10) {
                1
            } else {
                [0, 2, 3][rng.below(3) as usize]
            };
            let team = (4 * rng.below(policies.div_ceil(4)) + shape) % policies;
            let images = team_images(&mut rng, team);
            (format!("team{team}"), format!("team{team}"), images)
        };
        let kind = KINDS[rng.below(4) as usize];
        let cluster = CLUSTERS[rng.below(3) as usize];
        let comma = if n + 1 == assets { "" } else { "," };
        writeln!(
            out,
            r#"  {{"type": "workload", "cloud": "aws", "cluster": "{cluster}", "namespace": "{namespace}", "kind": "{kind}", "name": "app-{n}", "labels": {{"team": "{team_label}", "app": "app-{n}"}}, "images": [{}]}}{comma}"#,
            images.join(", ")
        )?;
    }
    if time_last {
        writeln!(out, " ],\n \"time\": \"{TIME}\"}}")?;
    } else {
        writeln!(out, " ]}}")?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(assets), Some(dir)) = (
        args.first().and_then(|a| a.parse::<u64>().ok()),
        args.get(1).map(PathBuf::from),
    ) else {
        eprintln!("usage: gen_inventory ASSETS DIR [--policies N] [--time-last]");
        return ExitCode::from(2);
    };
    let time_last = args.iter().any(|a| a == "--time-last");
    let policies = args
        .iter()
        .position(|a| a == "--policies")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(1000);
    let run = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let n = usize::try_from(policies).unwrap_or(usize::MAX);
        let text = bona_compiler::generate::policy_set(n, 1).concat();
        std::fs::write(dir.join("policies.trust"), text)?;
        let file = std::fs::File::create(dir.join("inventory.json"))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        inventory(assets, policies, time_last, &mut out)?;
        out.flush()
    };
    match run() {
        Ok(()) => {
            eprintln!(
                "wrote {} ({policies} policies) and {} ({assets} assets x 3 images)",
                dir.join("policies.trust").display(),
                dir.join("inventory.json").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_inventory: {e}");
            ExitCode::FAILURE
        }
    }
}
