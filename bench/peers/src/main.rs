//! Bona against Cedar and regorus (tree-walking interpreter and RVM) on one generated
//! image-trust workload: for each N, check that all engines decide alike, then time one image
//! decision, one admission and loading the policy set, and print one table.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-peers cargo run --release` in `bench/peers`; give sizes
//! as arguments (`-- 10 100`) to run only those. See README.md for the workload and encodings.

mod bona;
mod cedar;
mod check;
mod peer;
mod rego;
mod timing;
mod workload;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::bona::Bona;
use crate::cedar::Cedar;
use crate::check::{Case, Outcomes, Summary};
use crate::peer::Peer;
use crate::rego::{RegoTree, RegoVm};
use crate::workload::Image;

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// One line of the table; `None` where an engine has no such operation.
struct Row {
    n: usize,
    what: &'static str,
    bona: Duration,
    cedar: Option<Duration>,
    tree: Option<Duration>,
    rvm: Option<Duration>,
    /// How many programs the RVM needed (more than one: the footnote applies).
    rvm_programs: usize,
}

/// The engines built for one N.
struct Engines {
    bona: Bona,
    cedar: Cedar,
    tree: RegoTree,
    rvm: RegoVm,
}

/// The texts each engine loads for one N.
struct Sources {
    bona: String,
    cedar: cedar::Source,
    rego: Vec<(String, String)>,
    /// The RVM's programs' sources (one up to N = 1,000).
    rvm: Vec<Vec<(String, String)>>,
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--dump DIR N`: write the three encodings of the N-policy set, to read them.
    if args.first().map(String::as_str) == Some("--dump") {
        let (Some(dir), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else {
            eprintln!("usage: bona-peer-bench --dump DIR N");
            return ExitCode::FAILURE;
        };
        dump(std::path::Path::new(dir), n);
        return ExitCode::SUCCESS;
    }
    let sizes: Vec<usize> = args
        .drain(..)
        .map(|a| {
            a.replace(['_', ','], "")
                .parse()
                .unwrap_or_else(|e| panic!("{a}: {e}"))
        })
        .collect();
    let sizes = if sizes.is_empty() {
        SIZES.to_vec()
    } else {
        sizes
    };
    let started = Instant::now();
    let mut rows = Vec::new();
    for n in sizes {
        let policies = workload::policies(n);
        let sources = Sources {
            bona: bona::source(&policies),
            cedar: cedar::source(&policies),
            rego: rego::source(&policies),
            rvm: rego::shard_sources(&policies),
        };
        let mut engines = Engines {
            bona: Bona::new(bona::compile_source(&sources.bona)),
            cedar: Cedar::new(cedar::load(&sources.cedar)),
            tree: RegoTree::load(&sources.rego),
            rvm: RegoVm::load(&sources.rvm),
        };
        if let Err(message) = agree(n, &mut engines) {
            eprintln!("DISAGREEMENT at N = {n}:\n{message}");
            return ExitCode::FAILURE;
        }
        rows.extend(measure(n, &mut engines, &sources));
        eprintln!(
            "N = {n}: measured ({:.0} s elapsed)",
            started.elapsed().as_secs_f64()
        );
    }
    print_table(&rows);
    ExitCode::SUCCESS
}

/// Writes the encodings of the `n`-policy set under `dir`.
fn dump(dir: &std::path::Path, n: usize) {
    let policies = workload::policies(n);
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    write("workload.trust", &bona::source(&policies));
    let cedar = cedar::source(&policies);
    write("trust.cedar", &cedar.trust);
    write("scope.cedar", &cedar.scope);
    for (name, text) in rego::source(&policies) {
        write(&name, &text);
    }
}

/// Checks that every engine (and Bona loaded from its bundle) reaches Bona's decisions.
fn agree(n: usize, engines: &mut Engines) -> Result<(), String> {
    let cases = check::sample(n);
    let expected = check::outcomes(&mut engines.bona, &cases);
    let summary = Summary::of(&expected);
    if !summary.covers_everything() {
        return Err(format!(
            "the sample does not exercise every outcome ({summary})"
        ));
    }
    let bytes = bona::bundle(&engines.bona.engine);
    let mut from_bundle = Bona::new(bona::load_bundle(&bytes));
    let peers: [(&str, Outcomes); 4] = [
        (
            "Bona from its bundle",
            check::outcomes(&mut from_bundle, &cases),
        ),
        ("Cedar", check::outcomes(&mut engines.cedar, &cases)),
        (
            "regorus tree-walk",
            check::outcomes(&mut engines.tree, &cases),
        ),
        ("regorus RVM", check::outcomes(&mut engines.rvm, &cases)),
    ];
    let mut failures = String::new();
    for (name, outcomes) in &peers {
        let diffs = check::differences(&cases, &expected, outcomes);
        if !diffs.is_empty() {
            failures.push_str(&format!("{name}: {} differences, first:\n", diffs.len()));
            for d in diffs.iter().take(10) {
                failures.push_str(&format!("  {d}\n"));
            }
        }
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    eprintln!(
        "N = {n}: all engines agree on {} image decisions and {} admissions ({summary})",
        expected.images.len(),
        expected.admissions.len()
    );
    Ok(())
}

/// The assets and images the decisions are timed on: the production workloads of four
/// consecutive teams from the middle of the set, each in scope of both of its team's policies,
/// with all of their team's images. Team `t`'s shapes are `3t % 4` and `(3t + 1) % 4`, so four
/// consecutive teams from a multiple of four hold every shape twice: the same mix at every N.
fn timed_cases(n: usize) -> Vec<Case> {
    let teams = workload::teams(n);
    let first = (teams / 2) / 4 * 4;
    (first..first + 4)
        .map(|team| Case {
            team,
            asset: workload::assets(team).swap_remove(0),
            images: workload::images(team, teams),
        })
        .collect()
}

/// One image decision, cycling through every (asset, image) pair of the cases, each asset's
/// S(A) evaluated beforehand.
fn time_image<P: Peer>(peer: &mut P, cases: &[Case]) -> Duration {
    let mut scopes = Vec::new();
    let mut natives: Vec<(usize, P::Image)> = Vec::new();
    for case in cases {
        let asset = peer.asset(&case.asset);
        scopes.push(peer.scope(&asset));
        for image in &case.images {
            natives.push((scopes.len() - 1, peer.image(&case.asset, image)));
        }
    }
    let mut k = 0;
    timing::measure(|| {
        k = (k + 1) % natives.len();
        let (scope, image) = &natives[k];
        peer.image_verdict(&scopes[*scope], image)
    })
}

/// One whole admission (scopes, three images, the decision), cycling through the
/// [`workload::ADMISSIONS`] of every case.
fn time_admission<P: Peer>(peer: &mut P, cases: &[Case]) -> Duration {
    let natives: Vec<P::Admission> = cases
        .iter()
        .flat_map(|case| {
            workload::ADMISSIONS.iter().map(|chosen| {
                let picked: Vec<&Image> = chosen.iter().map(|&k| &case.images[k]).collect();
                peer.admission(&case.asset, &picked)
            })
        })
        .collect();
    let mut k = 0;
    timing::measure(|| {
        k = (k + 1) % natives.len();
        peer.prevents(&natives[k])
    })
}

fn measure(n: usize, e: &mut Engines, sources: &Sources) -> Vec<Row> {
    let cases = timed_cases(n);
    let rvm_programs = e.rvm.programs();
    let image = Row {
        n,
        what: "image decision",
        bona: time_image(&mut e.bona, &cases),
        cedar: Some(time_image(&mut e.cedar, &cases)),
        tree: Some(time_image(&mut e.tree, &cases)),
        rvm: Some(time_image(&mut e.rvm, &cases)),
        rvm_programs,
    };
    let admission = Row {
        n,
        what: "admission (3 images)",
        bona: time_admission(&mut e.bona, &cases),
        cedar: Some(time_admission(&mut e.cedar, &cases)),
        tree: Some(time_admission(&mut e.tree, &cases)),
        rvm: Some(time_admission(&mut e.rvm, &cases)),
        rvm_programs,
    };
    let load = Row {
        n,
        what: "load from source",
        bona: timing::measure(|| bona::compile_source(&sources.bona)),
        cedar: Some(timing::measure(|| cedar::load(&sources.cedar))),
        tree: Some(timing::measure(|| RegoTree::load(&sources.rego))),
        rvm: Some(timing::measure(|| RegoVm::load(&sources.rvm))),
        rvm_programs,
    };
    let bytes = bona::bundle(&e.bona.engine);
    let bundle = Row {
        n,
        what: "load from bundle",
        bona: timing::measure(|| bona::load_bundle(&bytes)),
        cedar: None,
        tree: None,
        rvm: None,
        rvm_programs: 1,
    };
    vec![image, admission, load, bundle]
}

fn print_table(rows: &[Row]) {
    let cell = |d: Option<Duration>| d.map_or_else(|| "—".to_owned(), timing::format);
    let rvm_cell = |r: &Row| {
        let text = cell(r.rvm);
        if r.rvm_programs > 1 {
            format!("{text} ¹")
        } else {
            text
        }
    };
    let ratio = |d: Option<Duration>, base: Duration| {
        d.map_or_else(|| "—".to_owned(), |d| timing::ratio(d, base))
    };
    println!(
        "| N | measurement | Bona | Cedar | regorus tree-walk | regorus RVM | Cedar / Bona | tree-walk / Bona | RVM / Bona |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            group_digits(r.n),
            r.what,
            timing::format(r.bona),
            cell(r.cedar),
            cell(r.tree),
            rvm_cell(r),
            ratio(r.cedar, r.bona),
            ratio(r.tree, r.bona),
            ratio(r.rvm, r.bona),
        );
    }
    if let Some(r) = rows.iter().find(|r| r.rvm_programs > 1) {
        println!(
            "\n¹ N = {}: {} RVM programs of {} policies each, their answers combined by the host; \
             one program of more than about 1,500 policies exceeds the RVM's 65,535-instruction \
             limit.",
            group_digits(r.n),
            r.rvm_programs,
            group_digits(rego::RVM_SHARD)
        );
    }
}

/// `10000` as `10,000`.
fn group_digits(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
