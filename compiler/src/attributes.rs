//! The one table of attributes (SPEC §2.4). The type checker, hover, completion and
//! `docs/language.md` all read it; a test checks that the documentation says the same.

/// Which expressions may use an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Scope expressions: the asset.
    Scope,
    /// Trust rules: the image.
    Trust,
    /// Both (`labels["k"]`: the asset's in a scope, the image's in a rule).
    Both,
}

impl Side {
    /// Where an attribute of this side belongs, for messages.
    pub fn place(self) -> &'static str {
        match self {
            Side::Scope => "a `scope` expression (it describes the asset)",
            Side::Trust => "a `trust` rule (it describes the image)",
            Side::Both => "a `scope` expression or a `trust` rule",
        }
    }
}

/// An attribute's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    Str,
    Bool,
    Int,
    Duration,
    AssetType,
    /// `image`: a reference, usable only with `matches`.
    Reference,
    /// `base`: a reference compared as a normalised string, or matched part by part.
    BaseReference,
}

impl AttrType {
    /// The type's name in messages and docs.
    pub fn name(self) -> &'static str {
        match self {
            AttrType::Str => "string",
            AttrType::Bool => "bool",
            AttrType::Int => "int",
            AttrType::Duration => "duration",
            AttrType::AssetType => "asset-type",
            AttrType::Reference => "reference-pattern subject",
            AttrType::BaseReference => "string (a reference)",
        }
    }
}

/// One attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// As written (`scan.age`); `labels` stands for `labels["k"]`.
    pub name: &'static str,
    pub side: Side,
    pub ty: AttrType,
    /// When the value is known.
    pub known: &'static str,
    /// What it is.
    pub doc: &'static str,
}

/// Every attribute, asset side first.
pub const ATTRIBUTES: &[Attribute] = &[
    Attribute {
        name: "asset",
        side: Side::Scope,
        ty: AttrType::AssetType,
        known: "always",
        doc: "The kind of asset: `workload` (a Kubernetes workload) or `vm` (a virtual machine). Compare with `asset == workload`.",
    },
    Attribute {
        name: "cloud",
        side: Side::Scope,
        ty: AttrType::Str,
        known: "always (absent in the input means `\"\"`)",
        doc: "The cloud account or provider the asset runs in.",
    },
    Attribute {
        name: "cluster",
        side: Side::Scope,
        ty: AttrType::Str,
        known: "always (absent in the input means `\"\"`)",
        doc: "The Kubernetes cluster name.",
    },
    Attribute {
        name: "namespace",
        side: Side::Scope,
        ty: AttrType::Str,
        known: "always (absent in the input means `\"\"`)",
        doc: "The Kubernetes namespace.",
    },
    Attribute {
        name: "kind",
        side: Side::Scope,
        ty: AttrType::Str,
        known: "always (absent in the input means `\"\"`)",
        doc: "The workload kind: `Deployment`, `Pod`, `StatefulSet`, …",
    },
    Attribute {
        name: "name",
        side: Side::Scope,
        ty: AttrType::Str,
        known: "always (absent in the input means `\"\"`)",
        doc: "The workload's (or VM's) name.",
    },
    Attribute {
        name: "labels",
        side: Side::Both,
        ty: AttrType::Str,
        known: "in a scope: always (a missing key compares unequal to everything); in a rule: when the facts carry `labels`",
        doc: "`labels[\"k\"]`: the asset's labels in a scope, the image config's labels in a trust rule.",
    },
    Attribute {
        name: "image",
        side: Side::Trust,
        ty: AttrType::Reference,
        known: "always; the tag and digest parts as for `tag` and `digest`",
        doc: "The image reference, only with `matches`: `image matches \"registry.company.com/app:1.*\"` compares registry, repository, and the tag and digest when the pattern has them.",
    },
    Attribute {
        name: "registry",
        side: Side::Trust,
        ty: AttrType::Str,
        known: "always (normalised: `docker.io` for Docker Hub, lower case)",
        doc: "The registry host of the image reference.",
    },
    Attribute {
        name: "repository",
        side: Side::Trust,
        ty: AttrType::Str,
        known: "always (normalised: `library/nginx` for `nginx`)",
        doc: "The repository path of the image reference, without registry, tag or digest.",
    },
    Attribute {
        name: "pinned",
        side: Side::Trust,
        ty: AttrType::Bool,
        known: "always",
        doc: "Whether the reference carries a digest.",
    },
    Attribute {
        name: "tag",
        side: Side::Trust,
        ty: AttrType::Str,
        known: "the reference's tag (`latest` when it has neither tag nor digest); for a digest-only reference, the facts' `tags` (a comparison holds if it holds for one of them); else unknown",
        doc: "The image tag.",
    },
    Attribute {
        name: "digest",
        side: Side::Trust,
        ty: AttrType::Str,
        known: "the reference's digest; else the facts' `digest`; else unknown",
        doc: "The manifest digest, `sha256:…` or `sha512:…`.",
    },
    Attribute {
        name: "base",
        side: Side::Trust,
        ty: AttrType::BaseReference,
        known: "when the facts give `base`",
        doc: "The base image, a normalised reference. `==`/`in` literals are normalised too; `base matches P` compares part by part like `image matches`.",
    },
    Attribute {
        name: "scanned",
        side: Side::Trust,
        ty: AttrType::Bool,
        known: "when the facts give `scanned`",
        doc: "Whether the image has been scanned for vulnerabilities.",
    },
    Attribute {
        name: "scan.age",
        side: Side::Trust,
        ty: AttrType::Duration,
        known: "when the facts give `scan.finished_at`",
        doc: "Evaluation time minus the scan's finish time (0 when the scan finished later).",
    },
    Attribute {
        name: "scan.scanner",
        side: Side::Trust,
        ty: AttrType::Str,
        known: "when the facts give `scan.scanner`",
        doc: "The scanner that produced the scan (`trivy`, …).",
    },
    Attribute {
        name: "vulns.critical",
        side: Side::Trust,
        ty: AttrType::Int,
        known: "when the facts give `scan.vulnerabilities.critical`",
        doc: "Number of critical vulnerabilities found by the scan.",
    },
    Attribute {
        name: "vulns.high",
        side: Side::Trust,
        ty: AttrType::Int,
        known: "when the facts give `scan.vulnerabilities.high`",
        doc: "Number of high-severity vulnerabilities found by the scan.",
    },
    Attribute {
        name: "vulns.medium",
        side: Side::Trust,
        ty: AttrType::Int,
        known: "when the facts give `scan.vulnerabilities.medium`",
        doc: "Number of medium-severity vulnerabilities found by the scan.",
    },
    Attribute {
        name: "vulns.low",
        side: Side::Trust,
        ty: AttrType::Int,
        known: "when the facts give `scan.vulnerabilities.low`",
        doc: "Number of low-severity vulnerabilities found by the scan.",
    },
];

/// Names that are neither attributes nor definable: the asset-type values.
pub const ASSET_TYPES: &[&str] = &["workload", "vm"];

/// Looks an attribute up by name.
pub fn attribute(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.name == name)
}

/// Whether a `let`/`key`/`scope` may not take this name (SPEC §4.5 "Names").
pub fn is_reserved(name: &str) -> bool {
    attribute(name).is_some()
        || ASSET_TYPES.contains(&name)
        || ATTRIBUTES
            .iter()
            .any(|a| a.name.split('.').next() == Some(name))
}

/// The keywords of SPEC §2.1 with their meaning (hover and completion read this).
pub const KEYWORDS: &[(&str, &str)] = &[
    (
        "policy",
        "`policy \"NAME\" { … }` declares a policy: an action, an optional scope and trust rules.",
    ),
    (
        "let",
        "`let NAME = VALUE` defines a constant: a string, int, duration, bool, or a list of one of them.",
    ),
    (
        "key",
        "`key NAME = file(\"path.pub\")` or `pem(\"…\")` declares a public key (ECDSA P-256/P-384/P-521, Ed25519 or RSA) for `signed by`, optionally `{ tlog ROOT }`; `key NAME = keyless { … }` a keyless signer.",
    ),
    (
        "scope",
        "`scope EXPR` limits a policy to the assets the expression holds for; `scope NAME = EXPR` names one.",
    ),
    (
        "test",
        "`test \"NAME\" { input {…} expect … }` describes an admission input and the expected outcome.",
    ),
    (
        "action",
        "`action prevent` blocks untrusted images at admission; `action issue` only files issues.",
    ),
    (
        "on",
        "`on unknown prevent | issue`: what a `prevent` policy does when its verdict is unknown (default `issue`).",
    ),
    (
        "unknown",
        "`on unknown prevent | issue`: what a `prevent` policy does when its verdict is unknown (default `issue`).",
    ),
    (
        "prevent",
        "The action that blocks an untrusted image at admission.",
    ),
    (
        "issue",
        "The audit-only action: untrusted images are allowed and produce issues.",
    ),
    (
        "trust",
        "`trust EXPR` is a rule: the policy trusts an image when any of its rules holds.",
    ),
    (
        "and",
        "Tri-state conjunction: false if either side is false, unknown if either is unknown.",
    ),
    (
        "or",
        "Tri-state disjunction: true if either side is true, unknown if either is unknown.",
    ),
    ("not", "Tri-state negation: `not unknown` is unknown."),
    ("in", "`X in [a, b]`: exact membership in a list."),
    (
        "matches",
        "`X matches \"glob\"` or a list of globs: `*` any run without `/`, `**` any run, `?` one character.",
    ),
    (
        "signed",
        "`signed by KEY` or `signed by N of [K1, K2, …]`: a signature of the image's digest verifies under the signer.",
    ),
    (
        "by",
        "`signed by KEY`: a cosign signature of the image's digest verifies under the key.",
    ),
    ("true", "The boolean true."),
    ("false", "The boolean false."),
    (
        "description",
        "`description \"…\"`: a sentence describing the policy.",
    ),
    (
        "trustroot",
        "`trustroot NAME = file(\"trusted_root.json\")` declares a Sigstore trust root: the CAs and logs keyless signatures are checked against.",
    ),
    (
        "keyless",
        "`key NAME = keyless { root R  issuer == …  subject matches … }` declares a keyless signer: a Fulcio certificate whose identity meets every constraint.",
    ),
    (
        "of",
        "`signed by N of [K1, K2, …]`: at least N distinct signers of the list each have a signature that verifies.",
    ),
];

/// The attribute table as Markdown, for `docs/language.md` (a test keeps the two equal).
pub fn markdown_table() -> String {
    let mut s =
        String::from("| attribute | side | type | known when | meaning |\n|---|---|---|---|---|\n");
    for a in ATTRIBUTES {
        let side = match a.side {
            Side::Scope => "scope (asset)",
            Side::Trust => "trust (image)",
            Side::Both => "both",
        };
        let name = if a.name == "labels" {
            "`labels[\"k\"]`".to_owned()
        } else {
            format!("`{}`", a.name)
        };
        s.push_str(&format!(
            "| {name} | {side} | {} | {} | {} |\n",
            a.ty.name(),
            a.known.replace('|', "\\|"),
            a.doc.replace('|', "\\|")
        ));
    }
    s
}
