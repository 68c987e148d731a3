//! `bona build PATHS -o FILE [--target bundle|wasm]`: compile a policy set into a bundle for
//! `eval --bundle`, `bona serve` and embedders of `bona-runtime`, or into a self-contained wasm
//! module that any wasm host can run (ABI in `docs/wasm-abi.md`).

use std::io::Write;
use std::path::PathBuf;

use bona_compiler::compile::compile;

use bona_host::signing;

use crate::commands::check::print_diagnostics;
use crate::{Exit, bad_input, load};

/// Compile a policy set into a bundle file or a wasm module.
///
/// The bundle carries a versioned header and the sha256 of its body; loading it checks both,
/// so a corrupt or truncated bundle is refused rather than misread. `--target wasm` writes a
/// wasm module instead: Bona's runtime compiled to WebAssembly with the policies inside, no
/// imports, answering with the JSON of `bona eval` and `bona audit` in any wasm host (Node.js,
/// browsers, wasmtime, wazero…; ABI in docs/wasm-abi.md).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.trust` files).
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Where to write the bundle.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// What to build.
    #[arg(long, value_enum, default_value_t = Target::Bundle)]
    pub target: Target,
    /// Sign the output with this ECDSA P-256 private key (unencrypted PEM) and write the
    /// signature to `FILE.sig`, for `--bundle-key` on `eval`, `audit` and `serve`.
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
    /// `json` prints `{"output", "target", "policies", "bytes", "sha256"}` on stdout; without
    /// it a line on stderr says what was written.
    #[arg(long, value_enum)]
    pub format: Option<BuildFormat>,
}

/// Output formats of `build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BuildFormat {
    /// What was written, as JSON (docs/output.md).
    Json,
    /// One line on stderr.
    Text,
}

/// Build targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Bona's bundle format, loaded by `bona-runtime`.
    Bundle,
    /// A self-contained wasm module: the runtime and the policies (docs/wasm-abi.md).
    Wasm,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    // The key is read first: a bad key must not leave a new, unsigned bundle behind.
    let signer = match args
        .sign_key
        .as_deref()
        .map(signing::read_signing_key)
        .transpose()
    {
        Ok(signer) => signer,
        Err(message) => return bad_input(err, message),
    };
    let (db, ws) = match load::policy_set(&args.paths) {
        Ok(x) => x,
        Err(e) => return bad_input(err, e),
    };
    let compiled = compile(&db, ws);
    if !compiled.diagnostics.is_empty() {
        print_diagnostics(&db, &compiled.diagnostics, err);
    }
    if compiled.has_errors() {
        let _ = writeln!(
            err,
            "{}; no bundle written",
            bona_compiler::diagnostics::summary(&compiled.diagnostics)
        );
        return Exit::Findings;
    }
    let bytes = match args.target {
        Target::Bundle => bona_runtime::bundle::write_bundle(&compiled.set),
        Target::Wasm => match bona_wasm::module::build(&compiled.set) {
            Ok(bytes) => bytes,
            Err(e) => return bad_input(err, format!("cannot build a wasm module: {e}")),
        },
    };
    // A failed write leaves the old file, never half a bundle. The signature goes first, so
    // a bundle is never newer than its signature.
    let mut written = vec![(args.output.clone(), bytes.clone())];
    if let Some(signer) = &signer {
        let signature = signing::sign(signer, &bytes);
        written.insert(
            0,
            (
                signing::signature_path(&args.output),
                signature.into_bytes(),
            ),
        );
    }
    for (path, contents) in &written {
        if let Err(e) = load::write_atomically(path, contents) {
            return bad_input(
                err,
                format!("{}: cannot write: {}", path.display(), load::io_reason(&e)),
            );
        }
    }
    if args.format == Some(BuildFormat::Json) {
        use sha2::Digest as _;
        let sha256: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let doc = serde_json::json!({
            "output": args.output.display().to_string(),
            "target": match args.target { Target::Bundle => "bundle", Target::Wasm => "wasm" },
            "policies": compiled.set.policies.len(),
            "bytes": bytes.len(),
            "sha256": sha256,
        });
        let _ = writeln!(out, "{doc:#}");
    } else {
        let _ = writeln!(
            err,
            "wrote {} ({} policies, {} bytes)",
            args.output.display(),
            compiled.set.policies.len(),
            bytes.len()
        );
    }
    Exit::Ok
}
