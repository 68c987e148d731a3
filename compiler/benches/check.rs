//! `bona check` of generated policy sets through the compiler's database, re-checking after a
//! one-file edit, and `bona lint` of the same sets. Numbers go to docs/performance.md.

use std::path::PathBuf;

use bona_compiler::compile::compile;
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_compiler::generate::policy_set;
use criterion::{Criterion, criterion_group, criterion_main};
use salsa::Setter;

fn load(db: &BonaDatabase, texts: &[String]) -> (Vec<SourceFile>, Workspace) {
    let files: Vec<SourceFile> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| SourceFile::new(db, PathBuf::from(format!("p{i}.trust")), t.clone()))
        .collect();
    let ws = Workspace::new(db, files.clone());
    (files, ws)
}

/// `run` on the 10,000-policy set in one file, each iteration on a fresh database.
fn cold_10k(c: &mut Criterion, group: &str, run: impl Fn(&BonaDatabase, Workspace) -> usize) {
    let texts = policy_set(10_000, 1);
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.bench_function("10000 policies, cold database", |b| {
        b.iter(|| {
            let db = BonaDatabase::default();
            let (_, ws) = load(&db, &texts);
            run(&db, ws)
        })
    });
    g.finish();
}

fn check_10k(c: &mut Criterion) {
    cold_10k(c, "check", |db, ws| {
        let compiled = compile(db, ws);
        assert!(!compiled.has_errors());
        compiled.set.policies.len()
    });
}

fn recheck_after_edit(c: &mut Criterion) {
    let texts = policy_set(10_000, 1_000);
    let mut db = BonaDatabase::default();
    let (files, ws) = load(&db, &texts);
    assert!(!compile(&db, ws).has_errors());
    let target = files[500];
    let original = texts[500].clone();
    let mut flip = false;
    c.bench_function("re-check after editing 1 of 1000 files", |b| {
        b.iter(|| {
            flip = !flip;
            // Change a rule's literal: the file changes, no name does.
            let text = if flip {
                original.replace(".company.com\"", ".company.org\"")
            } else {
                original.clone()
            };
            target.set_text(&mut db).to(text);
            compile(&db, ws).diagnostics.len()
        })
    });
    c.bench_function(
        "diagnostics of the edited file after editing 1 of 1000 files",
        |b| {
            b.iter(|| {
                flip = !flip;
                let text = if flip {
                    original.replace(".company.com\"", ".company.org\"")
                } else {
                    original.clone()
                };
                target.set_text(&mut db).to(text);
                bona_compiler::typeck::check_file(&db, ws, target)
                    .diagnostics
                    .len()
            })
        },
    );
}

fn lint_10k(c: &mut Criterion) {
    cold_10k(c, "lint", |db, ws| bona_compiler::lint::lint(db, ws).len());
}

criterion_group!(benches, check_10k, recheck_after_edit, lint_10k);
criterion_main!(benches);
