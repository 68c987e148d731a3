//! `conformance-keyless DIR`: writes the keyless cases of the conformance corpus (see
//! `bona_testkit::conformance`), normally into `tests/conformance`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: conformance-keyless DIR");
        return ExitCode::from(2);
    };
    match bona_testkit::conformance::write_cases(Path::new(&dir)) {
        Ok(n) => {
            println!("wrote {n} keyless cases to {dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("conformance-keyless: cannot write {dir}: {e}");
            ExitCode::from(2)
        }
    }
}
