//! Bona: the workload as `.trust` source, compiled by `bona-compiler` and decided by
//! `bona-runtime`'s [`Engine`].
//!
//! Bona gets real evidence: each signed image carries a cosign simple-signing payload and an
//! ECDSA P-256 signature made here with a fixed key, and `signed by release` verifies it (the
//! verification cache is warmed first, as a long-running webhook's would be). The peers are
//! given the outcome of that verification instead (see `workload::Signing`).

use std::fmt::Write as _;
use std::path::PathBuf;

use bona_compiler::compile::compile;
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_runtime::bundle::write_bundle;
use bona_runtime::engine::Engine;
use bona_runtime::facts::{ImageFacts, Scan, Signature, Vulnerabilities};
use bona_runtime::input::{AdmissionInput, Asset as BonaAsset, AssetType, ImageInput};
use bona_runtime::output::DecisionKind;
use bona_runtime::signature::{SIMPLE_SIGNING_TYPE, VerificationCache};
use bona_runtime::table::AssetScope;
use bona_runtime::{Reference, table::ImageVerdict};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};

use crate::peer::{Peer, Verdict};
use crate::workload::{self, APPROVED_BASES, Image, KEY_NAME, Policy, ScopeKind, Shape, Signing};

/// The evaluation time given to every decision (no rule reads the clock in this workload).
pub const NOW: i64 = 1_795_305_600;

/// The release key's private half: fixed, so the source text and signatures are deterministic.
fn signing_key() -> SigningKey {
    SigningKey::from_slice(&[7u8; 32]).unwrap_or_else(|e| panic!("signing key: {e}"))
}

/// The whole policy set as one `.trust` file.
pub fn source(policies: &[Policy]) -> String {
    let pem = signing_key()
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap_or_else(|e| panic!("public key PEM: {e}"));
    let mut out = format!(
        "key {KEY_NAME} = pem(\"{}\")\n",
        pem.trim_end().replace('\n', "\\n")
    );
    for p in policies {
        out.push('\n');
        policy(&mut out, p);
    }
    out
}

/// One policy, in the layout `bona fmt` prints.
fn policy(out: &mut String, p: &Policy) {
    let t = p.team_name();
    let reg = p.registry();
    let scope = match p.scope {
        ScopeKind::ProdCluster => format!("namespace == \"{t}\" and cluster matches \"prod-*\""),
        ScopeKind::Workload => format!("namespace == \"{t}\" and asset == workload"),
        ScopeKind::TeamLabel => format!("labels[\"team\"] == \"{t}\""),
        ScopeKind::Namespaces => format!("namespace in [\"{t}\", \"{t}-staging\"]"),
    };
    let rules = match p.shape {
        Shape::Registry => vec![format!(
            "registry == \"{reg}\" and repository matches \"{t}/**\""
        )],
        Shape::Signed => vec![format!(
            "registry in [\"{reg}\", \"{}\"] and pinned and signed by {KEY_NAME}",
            p.mirror()
        )],
        Shape::Tags => vec![format!(
            "registry == \"{reg}\" and repository matches \"{t}/**\" and tag matches \"v*\" and tag != \"latest\" and scanned and vulns.critical == 0"
        )],
        Shape::Base => vec![
            format!(
                "base in [\"{}\", \"{}\"] and signed by {KEY_NAME}",
                APPROVED_BASES[0], APPROVED_BASES[1]
            ),
            format!(
                "registry == \"{reg}\" and digest in [\"{}\"]",
                p.allowed_digest()
            ),
        ],
    };
    let action = if p.prevent { "prevent" } else { "issue" };
    // INVARIANT: writing to a String cannot fail.
    let _ = writeln!(out, "policy \"{}\" {{", p.name());
    let _ = writeln!(out, "  scope {scope}");
    let _ = writeln!(out, "  action {action}");
    for rule in rules {
        let _ = writeln!(out, "  trust {rule}");
    }
    out.push_str("}\n");
}

/// Compiles source text to an engine: what `bona check` + `bona build` + loading do.
pub fn compile_source(text: &str) -> Engine {
    let db = BonaDatabase::default();
    let file = SourceFile::new(&db, PathBuf::from("workload.trust"), text.to_owned());
    let ws = Workspace::new(&db, vec![file]);
    let compiled = compile(&db, ws);
    if compiled.has_errors() {
        let shown: Vec<String> = compiled
            .diagnostics
            .iter()
            .take(5)
            .map(|d| format!("{d:?}"))
            .collect();
        panic!(
            "the generated .trust source does not compile:\n{}",
            shown.join("\n")
        );
    }
    Engine::new(compiled.set.clone()).unwrap_or_else(|e| panic!("engine: {e}"))
}

/// The bytes `bona build` would write for the same set.
pub fn bundle(engine: &Engine) -> Vec<u8> {
    write_bundle(engine.policy_set())
}

/// Loads a bundle: what an admission webhook does at start-up.
pub fn load_bundle(bytes: &[u8]) -> Engine {
    Engine::from_bundle(bytes).unwrap_or_else(|e| panic!("bundle: {e}"))
}

/// A cosign simple-signing signature by the release key over `digest`.
fn signature(image: &Image, digest: &str) -> Signature {
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{}/{}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{SIMPLE_SIGNING_TYPE}"}},"optional":null}}"#,
        image.registry, image.repository
    )
    .into_bytes();
    let sig: EcdsaSignature = signing_key().sign(&payload);
    Signature::simple(payload, sig.to_der().as_bytes().to_vec())
}

/// Bona's image input: the parsed reference and complete inline facts.
pub fn image(image: &Image) -> ImageInput {
    let text = image.reference();
    let reference = Reference::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    // The peers read the workload's fields directly: make sure Bona's parse sees the same.
    assert_eq!(reference.registry(), image.registry, "{text}");
    assert_eq!(reference.repository(), image.repository, "{text}");
    assert_eq!(reference.tag(), Some(image.tag.as_str()), "{text}");
    assert_eq!(reference.is_pinned(), image.pinned, "{text}");
    let base = Reference::parse(&image.base).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(base.to_string(), image.base, "bases are written normalised");
    let signatures = match image.signing {
        Signing::Unsigned => Vec::new(),
        Signing::Release => vec![signature(image, &image.digest)],
        Signing::ReleaseOtherDigest => {
            vec![signature(image, &workload::digest(0xbad, 0xd16e57))]
        }
    };
    let facts = ImageFacts {
        digest: Some(image.digest.clone()),
        base: Some(base),
        scanned: Some(image.scanned),
        scan: Some(Scan {
            vulnerabilities: Some(Vulnerabilities {
                critical: Some(image.critical),
                ..Vulnerabilities::default()
            }),
            ..Scan::default()
        }),
        signatures: Some(signatures),
        ..ImageFacts::default()
    };
    ImageInput {
        reference,
        facts: Some(facts),
    }
}

/// Bona's asset.
pub fn asset(asset: &workload::Asset) -> BonaAsset {
    BonaAsset {
        asset_type: if asset.asset_type == "vm" {
            AssetType::Vm
        } else {
            AssetType::Workload
        },
        cluster: asset.cluster.clone(),
        namespace: asset.namespace.clone(),
        kind: "Deployment".into(),
        name: asset.name.clone(),
        labels: asset
            .team_label
            .iter()
            .map(|t| ("team".to_owned(), t.clone()))
            .collect(),
        ..BonaAsset::default()
    }
}

/// Bona behind the [`Peer`] interface: an engine and the caller-owned signature cache.
pub struct Bona {
    pub engine: Engine,
    cache: VerificationCache,
}

impl Bona {
    pub fn new(engine: Engine) -> Bona {
        Bona {
            engine,
            cache: VerificationCache::new(),
        }
    }
}

impl Peer for Bona {
    type Asset = BonaAsset;
    type Scope = AssetScope;
    type Image = ImageInput;
    type Admission = AdmissionInput;

    fn asset(&self, a: &workload::Asset) -> BonaAsset {
        asset(a)
    }

    fn image(&self, _: &workload::Asset, i: &Image) -> ImageInput {
        image(i)
    }

    fn admission(&self, a: &workload::Asset, images: &[&Image]) -> AdmissionInput {
        AdmissionInput {
            time: Some(NOW),
            asset: asset(a),
            images: images.iter().map(|i| image(i)).collect(),
        }
    }

    fn scope(&mut self, asset: &BonaAsset) -> AssetScope {
        self.engine.scope(asset)
    }

    fn image_verdict(&mut self, scope: &AssetScope, image: &ImageInput) -> Verdict {
        let ImageVerdict { trusted, prevented } =
            self.engine
                .image_verdict(scope, image, None, NOW, &mut self.cache);
        Verdict { trusted, prevented }
    }

    fn prevents(&mut self, admission: &AdmissionInput) -> bool {
        self.engine.verdict(admission, None, NOW, &mut self.cache) == DecisionKind::Prevent
    }
}
