//! Writes a generated policy set to a directory, for measuring `bona check` by hand:
//! `cargo run --release -p bona-compiler --example gen_policies -- /tmp/set 10000 1`
//! (policies, files).

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "generated".into()));
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let files: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    std::fs::create_dir_all(&dir).expect("create the output directory");
    for (i, text) in bona_compiler::generate::policy_set(n, files)
        .iter()
        .enumerate()
    {
        std::fs::write(dir.join(format!("policies{i:04}.trust")), text).expect("write");
    }
    eprintln!("wrote {n} policies in {files} file(s) to {}", dir.display());
}
