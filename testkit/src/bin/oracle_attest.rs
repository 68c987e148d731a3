//! `oracle-attest FILE`: writes the pool of signed attestations the Python oracle draws from
//! (see `bona_testkit::conformance_attest::oracle_pool`), normally
//! `tests/oracle/atts/table.json`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: oracle-attest FILE");
        return ExitCode::from(2);
    };
    match bona_testkit::conformance_attest::write_oracle_pool(Path::new(&path)) {
        Ok(n) => {
            println!("wrote {n} attestations to {path}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oracle-attest: cannot write {path}: {e}");
            ExitCode::from(2)
        }
    }
}
