//! The one table of attributes (docs/language.md#attributes). The type checker, hover, completion
//! and `docs/language.md` all read it; a test checks that the documentation says the same.

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
    /// `base`, `declared_base`: a reference compared as a normalised string, or matched part
    /// by part.
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
        known: "when the facts give `base`, or `layers` (the images of the facts document whose layers are the longest prefix of the image's: a comparison holds if it holds for one)",
        doc: "The base image, a normalised reference. `==`/`in` literals are normalised too; `base matches P` compares part by part like `image matches`.",
    },
    Attribute {
        name: "declared_base",
        side: Side::Trust,
        ty: AttrType::BaseReference,
        known: "when the facts give `declared_base` (the `org.opencontainers.image.base.name` annotation)",
        doc: "The base image the image declares, a normalised reference; self-declared, so anyone can claim any base. Compared like `base`.",
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

/// One attestation attribute of docs/attestations.md#attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttestationAttr {
    /// The function and its fields, dotted (`provenance.builder`): how the LSP names it.
    pub key: &'static str,
    /// As written in a rule.
    pub written: &'static str,
    pub ty: &'static str,
    /// What it is read from (the "from" column of docs/attestations.md#attributes).
    pub from: &'static str,
}

/// The attestation attributes; `attested` and `predicate` have no fields, `provenance` and
/// `vuln` are listed bare too so that hover on the function name says what it is.
pub const ATTESTATION_ATTRS: &[AttestationAttr] = &[
    AttestationAttr {
        key: "attested",
        written: "attested(K, \"TYPE\")",
        ty: "bool",
        from: "an attestation of that predicate type counts for signer K",
    },
    AttestationAttr {
        key: "provenance",
        written: "provenance(K).FIELD",
        ty: "string",
        from: "the SLSA provenance attestations that count for signer K: `.builder`, `.build_type`, `.source`, `.ref`",
    },
    AttestationAttr {
        key: "provenance.builder",
        written: "provenance(K).builder",
        ty: "string",
        from: "SLSA provenance v1 `runDetails.builder.id`; v0.2 `builder.id`",
    },
    AttestationAttr {
        key: "provenance.build_type",
        written: "provenance(K).build_type",
        ty: "string",
        from: "v1 `buildDefinition.buildType`; v0.2 `buildType`",
    },
    AttestationAttr {
        key: "provenance.source",
        written: "provenance(K).source",
        ty: "string",
        from: "the source repository, as `slsa-verifier --source-uri` reads it (`github.com/company/app`)",
    },
    AttestationAttr {
        key: "provenance.ref",
        written: "provenance(K).ref",
        ty: "string",
        from: "the source ref (`refs/tags/v1.2.3`)",
    },
    AttestationAttr {
        key: "vuln",
        written: "vuln(K).FIELD",
        ty: "string, int or duration",
        from: "the vulnerability scan attestations that count for signer K: `.scanner`, `.scan.age`, `.critical`, `.high`, `.medium`, `.low`",
    },
    AttestationAttr {
        key: "vuln.scanner",
        written: "vuln(K).scanner",
        ty: "string",
        from: "cosign vulnerability predicate `scanner.uri`",
    },
    AttestationAttr {
        key: "vuln.scan.age",
        written: "vuln(K).scan.age",
        ty: "duration",
        from: "evaluation time − `metadata.scanFinishedOn`",
    },
    AttestationAttr {
        key: "vuln.critical",
        written: "vuln(K).critical",
        ty: "int",
        from: "critical vulnerabilities in `scanner.result` (a Trivy JSON report), counted as `bona facts trivy` counts them",
    },
    AttestationAttr {
        key: "vuln.high",
        written: "vuln(K).high",
        ty: "int",
        from: "high-severity vulnerabilities in `scanner.result` (a Trivy JSON report), counted as `bona facts trivy` counts them",
    },
    AttestationAttr {
        key: "vuln.medium",
        written: "vuln(K).medium",
        ty: "int",
        from: "medium-severity vulnerabilities in `scanner.result` (a Trivy JSON report), counted as `bona facts trivy` counts them",
    },
    AttestationAttr {
        key: "vuln.low",
        written: "vuln(K).low",
        ty: "int",
        from: "low-severity vulnerabilities in `scanner.result` (a Trivy JSON report), counted as `bona facts trivy` counts them",
    },
    AttestationAttr {
        key: "predicate",
        written: "predicate(K, \"TYPE\", \"a.b.c\")",
        ty: "string",
        from: "any string field of that predicate type by dotted path",
    },
];

/// The attestation functions.
pub const ATTESTATION_FUNCTIONS: &[&str] = &["attested", "provenance", "vuln", "predicate"];
/// The fields after `provenance(K).`.
pub const PROVENANCE_FIELDS: &[&str] = &["builder", "build_type", "source", "ref"];
/// The fields after `vuln(K).`.
pub const VULN_FIELDS: &[&str] = &["scanner", "critical", "high", "medium", "low", "scan.age"];

/// Looks an attestation attribute up by its dotted key (`vuln.scan.age`).
pub fn attestation_attr(key: &str) -> Option<&'static AttestationAttr> {
    ATTESTATION_ATTRS.iter().find(|a| a.key == key)
}

/// Names that are neither attributes nor definable: the asset-type values.
pub const ASSET_TYPES: &[&str] = &["workload", "vm"];

/// Looks an attribute up by name.
pub fn attribute(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.name == name)
}

/// Whether a `let`/`key`/`scope` may not take this name (docs/language.md#names).
pub fn is_reserved(name: &str) -> bool {
    attribute(name).is_some()
        || ASSET_TYPES.contains(&name)
        || ATTRIBUTES
            .iter()
            .any(|a| a.name.split('.').next() == Some(name))
}

/// The keywords (docs/language.md#lexical-rules) with their meaning (hover and completion read
/// this).
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
    // The bare `provenance`/`vuln` rows exist for hover; the table lists the fields.
    for a in ATTESTATION_ATTRS
        .iter()
        .filter(|a| !matches!(a.key, "provenance" | "vuln"))
    {
        s.push_str(&format!(
            "| `{}` | trust (image) | {} | when the facts give `attestations` ([attestations.md](attestations.md#tri-state)) | {} |\n",
            a.written.replace('|', "\\|"),
            a.ty,
            a.from.replace('|', "\\|")
        ));
    }
    s
}
