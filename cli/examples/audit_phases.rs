//! Times the phases of `bona audit` separately on one inventory: reading the JSON, deciding
//! (S(A) and the images' verdicts), building the issues, and printing them. Where the time of
//! docs/performance.md, "Audit", goes.
//!
//! ```sh
//! cargo run --release -p bona --example gen_inventory -- 100000 /tmp/audit-100k
//! cargo run --release -p bona --example audit_phases -- /tmp/audit-100k
//! ```

use std::fs::File;
use std::io::BufWriter;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bona_runtime::input::{InventoryAsset, InventoryTime, stream_inventory};
use bona_runtime::signature::VerificationCache;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: audit_phases DIR (with DIR/policies.trust and DIR/inventory.json)");
        return ExitCode::from(2);
    };
    let mut sink = Vec::new();
    let source = bona::policies::PolicySource {
        policy: vec![dir.join("policies.trust")],
        bundle: None,
    };
    let started = Instant::now();
    let Ok(engine) = bona::policies::engine(&source, &mut sink) else {
        eprintln!("{}", String::from_utf8_lossy(&sink));
        return ExitCode::FAILURE;
    };
    let compile = started.elapsed();
    let path = dir.join("inventory.json");

    // 1. Reading alone.
    let started = Instant::now();
    let mut assets: Vec<InventoryAsset> = Vec::new();
    let mut time = None;
    let read = File::open(&path)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            stream_inventory(file, InventoryTime::FromDocument, |t, asset| {
                time = t;
                assets.push(asset);
                ControlFlow::Continue(())
            })
            .map_err(|e| e.to_string())
        });
    if let Err(e) = read {
        eprintln!("{}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    let reading = started.elapsed();
    let now = time.unwrap_or(0);

    // 2. Deciding: S(A), then each image's verdict.
    let mut cache = VerificationCache::new();
    let started = Instant::now();
    let mut scope_time = Duration::ZERO;
    let mut untrusted = 0usize;
    for entry in &assets {
        let t = Instant::now();
        let scope = engine.scope(&entry.asset);
        scope_time += t.elapsed();
        for image in &entry.images {
            let verdict = engine.image_verdict(&scope, image, None, now, &mut cache);
            untrusted += usize::from(!verdict.trusted);
        }
    }
    let deciding = started.elapsed();

    // 3. The issues, as `bona audit` builds them.
    let started = Instant::now();
    let mut issues = Vec::new();
    for entry in &assets {
        issues.extend(engine.audit_asset(&entry.asset, &entry.images, None, now, &mut cache));
    }
    let auditing = started.elapsed();

    // 4. Printing them.
    let started = Instant::now();
    let printed = File::create("/dev/null").and_then(|file| {
        let mut out = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut out, &issues)?;
        out.flush()
    });
    let printing = started.elapsed();
    if let Err(e) = printed {
        eprintln!("/dev/null: {e}");
    }

    let images: usize = assets.iter().map(|a| a.images.len()).sum();
    println!(
        "{} assets, {images} images, {untrusted} untrusted images, {} posture issues",
        assets.len(),
        issues.len()
    );
    println!(
        "{} policies, {} distinct scopes",
        engine.policy_set().policies.len(),
        engine.table().scope_count()
    );
    println!("compile policies        {:>8.3} s", compile.as_secs_f64());
    println!("read inventory          {:>8.3} s", reading.as_secs_f64());
    println!(
        "decide (scope + verdict) {:>7.3} s (scope alone {:.3} s)",
        deciding.as_secs_f64(),
        scope_time.as_secs_f64()
    );
    println!("audit_asset (issues)    {:>8.3} s", auditing.as_secs_f64());
    println!("print JSON              {:>8.3} s", printing.as_secs_f64());
    ExitCode::SUCCESS
}
