//! `example-keyless DIR`: writes the data of `examples/keyless/` (see `bona_testkit::example`).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: example-keyless DIR");
        return ExitCode::from(2);
    };
    match bona_testkit::example::write_keyless(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-keyless: cannot write {dir}: {e}");
            ExitCode::from(2)
        }
    }
}
