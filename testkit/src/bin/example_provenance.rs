//! `example-provenance DIR`: writes the data of `examples/provenance/` (see `bona_testkit::example_provenance`).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: example-provenance DIR");
        return ExitCode::from(2);
    };
    match bona_testkit::example_provenance::write_provenance(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-provenance: cannot write {dir}: {e}");
            ExitCode::from(2)
        }
    }
}
