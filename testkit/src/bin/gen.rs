//! `gen [--seed N] DIR`: writes the testkit's fixture directory (see `fixtures::write_dir`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut seed = 1u64;
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => match args.next().and_then(|s| s.parse().ok()) {
                Some(s) => seed = s,
                None => return usage("--seed needs a number"),
            },
            "-h" | "--help" => return usage(""),
            _ if dir.is_none() => dir = Some(a),
            _ => return usage("one directory only"),
        }
    }
    let Some(dir) = dir else {
        return usage("missing DIR");
    };
    match bona_testkit::fixtures::write_dir(seed, std::path::Path::new(&dir)) {
        Ok(()) => {
            println!("wrote fixtures of seed {seed} to {dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen: cannot write {dir}: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    if !msg.is_empty() {
        eprintln!("gen: {msg}");
    }
    eprintln!("usage: gen [--seed N] DIR");
    if msg.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
