//! The typed policy model: what the compiler's type checker produces and what every evaluator
//! (the direct interpreter, the indexed decision table, the wasm module) consumes.
//!
//! It lives in the runtime, not the compiler, so that an admission component can load a bundle
//! of it without linking the compiler. Every name is resolved and every literal is validated and
//! normalised here: `let` constants are inlined, `scope` names are expanded, registries are lower
//! case, `base` literals are normalised references, patterns are parsed. What remains is the
//! boolean structure over atoms, each atom a single comparison the runtime knows how to decide.

use serde::{Deserialize, Serialize};

use crate::glob::Glob;
use crate::refpattern::ReferencePattern;

/// A whole compiled policy set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PolicySet {
    /// Signers (keys and keyless identities), referenced by [`ImageAtom::SignedBy`] and
    /// [`ImageAtom::SignedByN`] through their index.
    pub keys: Vec<KeyDef>,
    /// Policies in name order (names are unique).
    pub policies: Vec<Policy>,
    /// Sigstore trust roots, referenced by signers through their index.
    pub trust_roots: Vec<TrustRootDef>,
}

/// A signer for `signed by`: a `key` item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDef {
    /// The `key` item's name.
    pub name: String,
    /// What makes a signature this signer's.
    pub signer: Signer,
}

impl KeyDef {
    /// A plain public key with no transparency-log requirement.
    pub fn key(name: impl Into<String>, spki_der: Vec<u8>) -> KeyDef {
        KeyDef {
            name: name.into(),
            signer: Signer::Key {
                spki_der,
                tlog: None,
            },
        }
    }
}

/// The two kinds of signer (docs/language.md#keys-and-signers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signer {
    /// `key K = file(…)`: a public key (DER SubjectPublicKeyInfo, any type of
    /// docs/language.md#keys-and-signers); with `{ tlog R }`, its signatures must also be in a
    /// transparency log of trust root `R`.
    Key {
        spki_der: Vec<u8>,
        tlog: Option<RootId>,
    },
    /// `key K = keyless { … }`: a Fulcio certificate of trust root `root` whose identity meets
    /// every constraint.
    Keyless {
        root: RootId,
        identity: Vec<IdentityConstraint>,
    },
}

/// Index into [`PolicySet::keys`].
pub type KeyId = u32;

/// Index into [`PolicySet::trust_roots`].
pub type RootId = u32;

/// A `trustroot` item: a Sigstore `TrustedRoot` document, kept as read (the compiler has
/// checked that it parses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustRootDef {
    /// The `trustroot` item's name.
    pub name: String,
    /// The `trusted_root.json` text.
    pub document: String,
}

/// The identity attributes of a Fulcio certificate a keyless signer can constrain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IdentityAttr {
    /// The OIDC issuer (extension 1.3.6.1.4.1.57264.1.8, else the legacy 1.1).
    Issuer,
    /// The certificate's subject alternative name.
    Subject,
    /// A Fulcio extension by its documented name (`source_repository_uri`, …).
    Extension(String),
}

impl IdentityAttr {
    /// The attribute as written in a `keyless` block.
    pub fn name(&self) -> &str {
        match self {
            IdentityAttr::Issuer => "issuer",
            IdentityAttr::Subject => "subject",
            IdentityAttr::Extension(name) => name,
        }
    }
}

/// What one identity constraint requires of its attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityTest {
    /// `== "v"`.
    Eq(String),
    /// `!= "v"`.
    Ne(String),
    /// `in ["a", "b"]`.
    In(Vec<String>),
    /// `matches ["glob", …]`: one glob matches the whole value (always anchored).
    Matches(Vec<Glob>),
}

impl IdentityTest {
    /// Whether `value` passes the test.
    pub fn holds(&self, value: &str) -> bool {
        match self {
            IdentityTest::Eq(v) => value == v,
            IdentityTest::Ne(v) => value != v,
            IdentityTest::In(vs) => vs.iter().any(|v| v == value),
            IdentityTest::Matches(globs) => globs.iter().any(|g| g.matches(value)),
        }
    }

    /// The test as written after an attribute (`== "v"`, `in ["a", "b"]`).
    pub fn text(&self) -> String {
        let list = |vs: Vec<String>| {
            let quoted: Vec<String> = vs.iter().map(|v| format!("{v:?}")).collect();
            format!("[{}]", quoted.join(", "))
        };
        match self {
            IdentityTest::Eq(v) => format!("== {v:?}"),
            IdentityTest::Ne(v) => format!("!= {v:?}"),
            IdentityTest::In(vs) => format!("in {}", list(vs.clone())),
            IdentityTest::Matches(gs) if gs.len() == 1 => {
                format!(
                    "matches {:?}",
                    gs.first().map(Glob::as_str).unwrap_or_default()
                )
            }
            IdentityTest::Matches(gs) => format!(
                "matches {}",
                list(gs.iter().map(|g| g.as_str().to_owned()).collect())
            ),
        }
    }
}

/// One line of a `keyless` block: `ATTR OP VALUE`. A constraint on an extension the
/// certificate lacks does not hold, whatever its operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityConstraint {
    pub attr: IdentityAttr,
    pub test: IdentityTest,
}

/// What a policy does to an image it does not trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Block at admission.
    Prevent,
    /// Audit only: file issues, never block.
    Issue,
}

impl Action {
    /// The keyword as written in `.trust` files and printed in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Prevent => "prevent",
            Action::Issue => "issue",
        }
    }
}

/// One policy, after resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub action: Action,
    /// How an unknown verdict resolves for a `prevent` policy; always `Issue` for `issue` policies.
    pub on_unknown: Action,
    /// `None` covers every asset.
    pub scope: Option<Expr<AssetAtom>>,
    /// The `trust` rules; the verdict is their tri-state `or` (no rules: untrusted).
    pub rules: Vec<Expr<ImageAtom>>,
    pub description: Option<String>,
}

/// Boolean structure over atoms. `And`/`Or` are n-ary so that long chains stay flat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expr<A> {
    Const(bool),
    Atom(A),
    Not(Box<Expr<A>>),
    And(Vec<Expr<A>>),
    Or(Vec<Expr<A>>),
}

impl<A> Expr<A> {
    /// Calls `f` on every atom, left to right.
    pub fn for_each_atom<'a>(&'a self, f: &mut impl FnMut(&'a A)) {
        match self {
            Expr::Const(_) => {}
            Expr::Atom(a) => f(a),
            Expr::Not(e) => e.for_each_atom(f),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.for_each_atom(f)),
        }
    }
}

/// Equality-style comparison operators on strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EqOp {
    Eq,
    Ne,
}

/// Ordering comparisons on ints and durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator that holds exactly when `self` does not (on known operands).
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Applies the operator.
    pub fn holds<T: Ord>(self, lhs: T, rhs: T) -> bool {
        match self {
            CmpOp::Eq => lhs == rhs,
            CmpOp::Ne => lhs != rhs,
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs >= rhs,
        }
    }
}

/// Which asset the scope talks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    Workload,
    Vm,
}

/// String attributes of an asset.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AssetAttr {
    Cloud,
    Cluster,
    Namespace,
    Kind,
    Name,
    /// `labels["k"]`: a missing key compares unequal to everything.
    Label(String),
}

/// One comparison over an asset. Assets are always known, so these are plain booleans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetAtom {
    /// `asset == workload` (`op` Ne for `!=`).
    Type { op: EqOp, value: AssetKind },
    /// `attr == "v"` / `attr != "v"`.
    Str {
        attr: AssetAttr,
        op: EqOp,
        value: String,
    },
    /// `attr in [..]`: exact membership.
    In {
        attr: AssetAttr,
        values: Vec<String>,
    },
    /// `attr matches [..]`: one glob matches the whole string.
    Matches { attr: AssetAttr, globs: Vec<Glob> },
}

/// String-valued attributes of an image.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImageStrAttr {
    Registry,
    Repository,
    /// Possibly several known tags (facts `tags` of a digest-only reference): a comparison
    /// holds if it holds for one of them.
    Tag,
    Digest,
    /// `scan.scanner`.
    Scanner,
    /// `labels["k"]` of the image config.
    Label(String),
}

/// Integer-valued attributes of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VulnSeverity {
    Critical,
    High,
    Medium,
    Low,
}

/// Reference-valued attributes: the image itself (`image`), its base (`base`) and the base it
/// declares (`declared_base`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefAttr {
    Image,
    Base,
    DeclaredBase,
}

impl RefAttr {
    /// The attribute as written.
    pub fn name(self) -> &'static str {
        match self {
            RefAttr::Image => "image",
            RefAttr::Base => "base",
            RefAttr::DeclaredBase => "declared_base",
        }
    }
}

/// Boolean attributes of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImageBoolAttr {
    Pinned,
    Scanned,
}

/// One comparison over an image, evaluated to true / false / unknown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageAtom {
    /// `attr == "v"` / `attr != "v"`.
    Str {
        attr: ImageStrAttr,
        op: EqOp,
        value: String,
    },
    /// `attr in [..]`: exact membership.
    In {
        attr: ImageStrAttr,
        values: Vec<String>,
    },
    /// `attr matches [..]` for string attributes.
    Matches {
        attr: ImageStrAttr,
        globs: Vec<Glob>,
    },
    /// `base == "ref"` as bundles of format 2 write it; the compiler now writes
    /// [`ImageAtom::RefEq`], which means the same.
    BaseEq { op: EqOp, value: String },
    /// `base in [..]` as bundles of format 2 write it; now [`ImageAtom::RefIn`].
    BaseIn { values: Vec<String> },
    /// `image matches [..]` / `base matches [..]`: reference patterns compared part by part.
    RefMatches {
        attr: RefAttr,
        patterns: Vec<ReferencePattern>,
    },
    /// `pinned`, `scanned` (and `== true/false`, lowered to the atom or its negation).
    Bool(ImageBoolAttr),
    /// `vulns.critical < 1` and friends.
    Vulns {
        severity: VulnSeverity,
        op: CmpOp,
        value: u64,
    },
    /// `scan.age < 7d`, in seconds.
    ScanAge { op: CmpOp, seconds: u64 },
    /// `signed by K` (the same as `signed by 1 of [K]`).
    SignedBy { key: KeyId },
    /// `signed by N of [K1, K2, …]`: at least `n` distinct signers of `keys` each have a
    /// signature that verifies, each signature counting for at most one signer.
    SignedByN { n: u32, keys: Vec<KeyId> },
    /// `attested(K, "TYPE")`: an attestation of that predicate type counts for signer `key`.
    Attested { key: KeyId, predicate_type: String },
    /// A string read from the attestations that count for `key`
    /// (`provenance(K).builder == "…"`, `predicate(K, "TYPE", "a.b") matches "…"`). The field
    /// and the test are boxed: inline they made every atom 88 bytes instead of 56 (a box is
    /// written as what it holds, so bundles do not change).
    AttestedStr {
        key: KeyId,
        field: Box<AttestedField>,
        test: Box<IdentityTest>,
    },
    /// `vuln(K).critical < 1` and friends: counts of the vulnerability attestations of `key`.
    AttestedVulns {
        key: KeyId,
        severity: VulnSeverity,
        op: CmpOp,
        value: u64,
    },
    /// `vuln(K).scan.age <= 7d`, in seconds.
    AttestedScanAge { key: KeyId, op: CmpOp, seconds: u64 },
    /// `base == "ref"`, `declared_base != "ref"`: the literal is a normalised reference. Never
    /// with [`RefAttr::Image`] (`image` is only matched).
    RefEq {
        attr: RefAttr,
        op: EqOp,
        value: String,
    },
    /// `base in [..]`, `declared_base in [..]` with normalised references.
    RefIn { attr: RefAttr, values: Vec<String> },
}

/// The string attributes of attestations (docs/attestations.md#attributes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttestedField {
    /// `provenance(K).builder`.
    Builder,
    /// `provenance(K).build_type`.
    BuildType,
    /// `provenance(K).source`.
    Source,
    /// `provenance(K).ref`.
    Ref,
    /// `vuln(K).scanner`.
    Scanner,
    /// `predicate(K, "TYPE", "a.b.c")`: a string field of that predicate type by dotted path.
    Predicate {
        predicate_type: String,
        path: String,
    },
}
