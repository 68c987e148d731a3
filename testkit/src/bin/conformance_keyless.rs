//! `conformance-keyless DIR`: writes the keyless cases of the conformance corpus (see
//! `bona_testkit::conformance`) and its attestation cases (`bona_testkit::conformance_attest`),
//! normally into `tests/conformance`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: conformance-keyless DIR");
        return ExitCode::from(2);
    };
    let dir_path = Path::new(&dir);
    let written = bona_testkit::conformance::write_cases(dir_path).and_then(|keyless| {
        bona_testkit::conformance_attest::write_cases(dir_path).map(|attest| (keyless, attest))
    });
    match written {
        Ok((keyless, attest)) => {
            println!("wrote {keyless} keyless and {attest} attestation cases to {dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("conformance-keyless: cannot write {dir}: {e}");
            ExitCode::from(2)
        }
    }
}
