//! Stable diagnostic codes. `E01xx` lexing and parsing, `E02xx` names, `E03xx` types and
//! policy structure, `E04xx` keys and files, `W0xxx` warnings, `L0xxx` findings of `bona lint`
//! (warnings only the linter reports). A code, once released, keeps its meaning;
//! `docs/diagnostics.md` documents each one (a test checks that every code is there).

use std::fmt;

macro_rules! codes {
    ($($code:ident => $severity:ident, $summary:literal;)*) => {
        /// A diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($code),* }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$code),*];

            /// The code as printed (`E0101`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code)),* }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$code => $summary),* }
            }

            /// Whether the code is an error or a warning.
            pub fn severity(self) -> Severity {
                match self { $(Code::$code => Severity::$severity),* }
            }
        }
    };
}

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

codes! {
    E0101 => Error, "unexpected character";
    E0102 => Error, "unterminated string";
    E0103 => Error, "unknown escape sequence in a string";
    E0104 => Error, "number too large";
    E0105 => Error, "invalid duration";
    E0106 => Error, "unexpected token";
    E0107 => Error, "unexpected end of file";
    E0108 => Error, "expression nested too deeply";
    E0201 => Error, "name defined twice";
    E0202 => Error, "policy name used twice";
    E0203 => Error, "unknown name";
    E0204 => Error, "test name used twice";
    E0205 => Error, "name reserved for an attribute or asset type";
    E0206 => Error, "constants defined in a cycle";
    E0207 => Error, "name of the wrong kind";
    E0301 => Error, "mismatched types";
    E0302 => Error, "attribute used on the wrong side (scope vs trust)";
    E0303 => Error, "operator not defined for this type";
    E0304 => Error, "comparison needs an attribute on the left and a value on the right";
    E0305 => Error, "invalid glob pattern";
    E0306 => Error, "invalid image reference or reference pattern";
    E0307 => Error, "invalid digest";
    E0308 => Error, "invalid list";
    E0309 => Error, "not a condition";
    E0310 => Error, "invalid index";
    E0311 => Error, "invalid asset type";
    E0312 => Error, "unknown attestation field";
    E0313 => Error, "invalid arguments of an attestation function";
    E0320 => Error, "policy without `action`";
    E0321 => Error, "clause given twice";
    E0322 => Error, "`on unknown` on an `issue` policy";
    E0330 => Error, "invalid test block";
    E0401 => Error, "key file cannot be read";
    E0402 => Error, "not a supported public key";
    E0403 => Error, "unknown key source";
    E0404 => Error, "trust root file cannot be read";
    E0405 => Error, "not a Sigstore trust root";
    E0406 => Error, "unknown trust root source";
    E0407 => Error, "keyless signer without an `issuer` or `subject` constraint";
    E0408 => Error, "unknown identity attribute";
    E0409 => Error, "keyless signer without a trust root";
    E0410 => Error, "unknown word in a key block";
    E0411 => Error, "signer named twice in `signed by N of`";
    E0412 => Error, "`N` of `signed by N of` out of range";
    W0001 => Warning, "glob characters in an `in` list";
    W0002 => Warning, "policy with no `trust` rule";
    W0003 => Warning, "pattern normalisation adds a registry or `library/` before a glob";
    W0004 => Warning, "unused name";
    W0005 => Warning, "trust root whose keys of one kind have all expired";
    W0006 => Warning, "`prevent` policy on signatures or attestations under the default `on unknown issue`";
    L0001 => Warning, "rule that can never hold";
    L0002 => Warning, "rule subsumed by another rule of the same policy";
    L0003 => Warning, "policy whose trust another policy always grants";
    L0004 => Warning, "`prevent` policy overridden by an `issue` policy that trusts more";
    L0005 => Warning, "rule that trusts an image by its `base` alone";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
