//! The `bona` command line. [`run`] parses the arguments and dispatches to one module per
//! command under `commands/`; each returns an [`Exit`], so exit codes are decided in one
//! place per command and mapped to numbers in one place ([`exit`]).

pub mod commands;
pub mod exit;
pub mod load;
pub mod policies;
pub mod progress;
pub mod registry;
pub mod render;
pub mod sarif;

use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand};

pub use exit::Exit;

/// Bona: a policy language and engine for container-image trust.
///
/// Write `.trust` files that say which images are trusted where, check and test them in CI,
/// and evaluate images against them at admission and in audits.
#[derive(Debug, Parser)]
#[command(name = "bona", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Check(commands::check::Args),
    Build(commands::build::Args),
    Eval(commands::eval::Args),
    Audit(commands::audit::Args),
    Test(commands::test::Args),
    Table(commands::table::Args),
    Diff(commands::diff::Args),
    Facts(commands::facts::Args),
    Fmt(commands::fmt::Args),
    Lsp(commands::lsp::Args),
    Serve(Box<commands::serve::Args>),
    Lint(commands::lint::Args),
    Learn(commands::learn::Args),
}

/// Runs `bona` with `args` (the first is the program name), writing to `out` and `err`.
///
/// A write to `out` that fails (a full disk, `> /dev/full`) makes the command fail with exit 2
/// and one message, whatever it returned: its output is lost. A closed pipe (`bona … | head`)
/// is not a failure: the reader has all it wanted.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let mut checked = Checked {
        inner: out,
        failed: None,
    };
    let exit = dispatch(args, &mut checked, err);
    let _ = checked.flush();
    match checked.failed {
        Some(reason) => {
            let _ = writeln!(err, "error: cannot write to stdout: {reason}");
            Exit::BadInput
        }
        None => exit,
    }
}

/// Standard output as the commands see it: the first write error is kept for [`run`].
struct Checked<'a> {
    inner: &'a mut dyn Write,
    failed: Option<String>,
}

impl Checked<'_> {
    fn note<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() != std::io::ErrorKind::BrokenPipe
            && e.kind() != std::io::ErrorKind::Interrupted
            && self.failed.is_none()
        {
            self.failed = Some(load::io_reason(e));
        }
        result
    }
}

impl Write for Checked<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.note(result)
    }
}

fn dispatch(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    let _ = write!(out, "{text}");
                    Exit::Ok
                }
                clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = write!(err, "{text}");
                    Exit::BadInput
                }
                _ => {
                    let _ = write!(err, "{}", e.render());
                    Exit::BadInput
                }
            };
        }
    };
    match cli.command {
        Command::Check(a) => commands::check::run(a, out, err),
        Command::Build(a) => commands::build::run(a, out, err),
        Command::Eval(a) => commands::eval::run(a, out, err),
        Command::Audit(a) => commands::audit::run(a, out, err),
        Command::Learn(a) => commands::learn::run(a, out, err),
        Command::Test(a) => commands::test::run(a, out, err),
        Command::Table(a) => commands::table::run(a, out, err),
        Command::Diff(a) => commands::diff::run(a, out, err),
        Command::Facts(a) => commands::facts::run(a, out, err),
        Command::Fmt(a) => commands::fmt::run(a, out, err),
        Command::Lsp(a) => commands::lsp::run(a, out, err),
        Command::Serve(a) => commands::serve::run(*a, out, err),
        Command::Lint(a) => commands::lint::run(a, out, err),
    }
}

/// Prints a bad-input error (`bona: PATH: message`) and returns exit 2.
pub fn bad_input(err: &mut dyn Write, message: impl std::fmt::Display) -> Exit {
    let _ = writeln!(err, "error: {message}");
    Exit::BadInput
}
