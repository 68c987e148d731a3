//! `bona lsp`: the language server, speaking LSP on stdin and stdout.
//!
//! The editor starts it and talks to it; nothing here prints. The server itself lives in
//! `bona-lsp`; this module only gives it a tokio runtime and the process's standard streams.

use std::io::Write;
use std::time::Duration;

use crate::Exit;

/// Run the language server (LSP on stdin and stdout), for editors.
///
/// The editor starts `bona lsp` in the workspace; the server loads every `.trust` file under
/// the workspace root and publishes diagnostics, hover, completion, go to definition,
/// references, rename, formatting, symbols, semantic tokens, quick fixes and test results as
/// code lenses. See the README's "Editors" section for Neovim, Emacs, Helix and VS Code.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Use stdin and stdout (the only transport; accepted because editors pass it).
    #[arg(long)]
    pub stdio: bool,
}

/// Runs the command until the editor sends `exit` or closes stdin.
pub fn run(_args: Args, _out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bona-lsp")
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the language server: {e}");
            return Exit::BadInput;
        }
    };
    let output = match stdout() {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write to stdout: {e}");
            return Exit::BadInput;
        }
    };
    runtime.block_on(bona_lsp::serve(tokio::io::stdin(), output));
    // A blocking read of stdin may still be pending; it must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(100));
    Exit::Ok
}

/// Standard output as an async writer of its own. `main` holds the lock of Rust's `stdout()`
/// for the whole run, so writing through it from the runtime's threads would wait forever; a
/// duplicate of the file descriptor writes to the same pipe without that lock.
#[cfg(unix)]
fn stdout() -> std::io::Result<tokio::fs::File> {
    use std::os::fd::AsFd;
    let fd = std::io::stdout().as_fd().try_clone_to_owned()?;
    Ok(tokio::fs::File::from_std(std::fs::File::from(fd)))
}

/// Standard output as an async writer (see the Unix version).
#[cfg(not(unix))]
fn stdout() -> std::io::Result<tokio::io::Stdout> {
    Ok(tokio::io::stdout())
}
