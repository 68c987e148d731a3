//! Exit codes, in one place (docs/commands.md#exit-codes, docs/commands.md).

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success (warnings only, all tests passed, allowed).
    Ok,
    /// 1: compile errors, failed tests, `fmt --check` differences, lint findings with `--deny`.
    Findings,
    /// 2: unreadable or malformed input.
    BadInput,
    /// 3: `eval --fail` and the decision is `prevent`.
    Prevented,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Findings => 1,
            Exit::BadInput => 2,
            Exit::Prevented => 3,
        }
    }
}
