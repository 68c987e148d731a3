//! `bona-lsp`: the language server over the compiler's salsa database (issue 5).
