//! The `bona` binary: parses arguments and hands over to [`bona::run`].

use std::io::Write;
use std::process::ExitCode;

// mimalloc gives freed pages back to the system within milliseconds; glibc's malloc kept the
// 150 MiB a huge admission review takes to decide in the deciding thread's arena for good
// (docs/performance.md, "Admission webhook under hostile clients"). Its v2 line, because v3
// keeps freed pages for a second: an audit compiled from source held the compiler's memory
// through the whole audit (64 MB instead of 49). Built without transparent huge pages
// (`no_thp`): with them, every arena mimalloc touched counted 2 MiB at a time, and an audit
// with 10,000 policies peaked at 74 MB instead of 44 MB (docs/choices.md, "mimalloc").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Deeply nested input is bounded by the parser, but a generous stack keeps every later
    // recursive walk safe too, whatever the platform's default main-thread stack is.
    let worker = std::thread::Builder::new()
        .name("bona".into())
        .stack_size(256 << 20)
        .spawn(|| {
            let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            let code = bona::run(args, &mut stdout.lock(), &mut stderr.lock());
            let _ = std::io::stdout().flush();
            code
        });
    match worker.map(|h| h.join()) {
        Ok(Ok(exit)) => ExitCode::from(exit.code()),
        _ => {
            eprintln!("bona: internal error (this is a bug; please report it)");
            ExitCode::from(101)
        }
    }
}
