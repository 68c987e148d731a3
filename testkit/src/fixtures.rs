//! The named fixtures: good bundles of every version and kind, and negatives that each break
//! exactly one thing, written to a directory with a `manifest.json` that says, per case, what it
//! breaks and whether a verifier following docs/signatures.md#when-a-signature-verifies must
//! accept it.
//!
//! Every case has its own small log (a few filler entries around its own, so inclusion proofs
//! have several levels) under the one Rekor key, and its own signer key; everything is derived
//! from the seed, so the same seed writes the same bytes.

use crate::keys::Key;
use crate::rekor::{Log, LogEntry, hashedrekord_body};
use crate::sigstore::*;
use crate::x509::{CaChain, FulcioExt, Issued, LeafSpec, San, SctMode, issue_leaf};
use crate::{b64, canonical_json, hex};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Every fixture, by name. The `Good*` ones and `DowngradeV01WithoutInclusionProof` verify
/// ([`Variant::verifies`]); every other breaks the one thing its name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// messageSignature over the simple-signing payload, bundle v0.1 (SET and inclusion proof).
    GoodMessageV01,
    /// The same as a v0.2 bundle.
    GoodMessageV02,
    /// The same as a v0.3 bundle (`certificate`, not a chain).
    GoodMessageV03,
    /// A v0.3 message signature by an e-mail identity.
    GoodMessageEmail,
    /// dsseEnvelope with a `https://sigstore.dev/cosign/sign/v1` statement, bundle v0.3.
    GoodDsseV03,
    /// The same DSSE signature as a v0.2 bundle.
    GoodDsseV02,
    /// The leaf comes from a CA the trust root does not name.
    WrongCa,
    /// The trust root's CA `validFor` ended before the signing time.
    ExpiredCa,
    /// The leaf's 10 minutes ended before the entry's integrated time.
    LeafExpiredBeforeIntegratedTime,
    /// The leaf has no embedded SCT.
    SctMissing,
    /// The SCT carries the CT log's ID but another key signed it.
    SctForged,
    /// The SET is the log's signature over another entry.
    SetOverAnotherEntry,
    /// The inclusion proof (index and hashes) is another leaf's, of the same signed tree.
    InclusionProofForAnotherLeaf,
    /// The checkpoint has the log's name and key hint but another key signed it.
    CheckpointSignedByAnotherKey,
    /// The log entry's body names another signature (by the same key, over something else).
    LogBodyOtherSignature,
    /// The log entry's body names another artifact digest.
    LogBodyOtherDigest,
    /// mediaType relabelled v0.1 and the inclusion proof removed (the SET stays).
    DowngradeV01WithoutInclusionProof,
    /// mediaType relabelled v0.1 and the SET removed (the inclusion proof stays).
    DowngradeV01WithoutSet,
    /// SAN `https://github.com/company-evil/app/...` where `company/app` is expected.
    IdentityOtherOrg,
    /// SAN = the expected identity plus the suffix `/evil`.
    IdentitySuffix,
    /// A DSSE statement of another predicate type (an attestation, not a signature).
    DsseOtherPredicateType,
    /// A DSSE statement whose subject is another image's digest.
    DsseOtherSubjectDigest,
    /// The bundle's signature has one byte flipped.
    TamperedSignature,
    /// v0.3 with SET, inclusion proof and an RFC 3161 timestamp from the trust root's TSA.
    GoodMessageTimestamp,
    /// v0.3 with an inclusion proof and a timestamp but no SET (Rekor v2 style: the time comes
    /// from the TSA).
    GoodMessageTimestampWithoutSet,
    /// Like `GoodMessageTimestampWithoutSet`, with a fraction of a second in `genTime`, as RFC
    /// 3161 §2.4.2 allows and real TSAs write (`…02.25Z`).
    GoodTimestampFractionalSecond,
    /// No SET, and the timestamp's message imprint is another signature's.
    TimestampOverAnotherSignature,
    /// No SET, and the timestamp is from a TSA the trust root does not name.
    TimestampFromUnrelatedTsa,
    /// No SET, and the timestamp's genTime is after the leaf's notAfter.
    TimestampAfterLeafExpiry,
    /// The leaf's EKU is e-mail protection, not code signing.
    LeafWithoutCodeSigning,
    /// Both issuer extensions say `https://token.actions.githubusercontent.com.evil.example`.
    IssuerNearMiss,
    /// The leaf has only the issuer extension 1.8 (no legacy 1.1): the issuer is read from it.
    GoodIssuerOnlyV2,
    /// The CA is P-384 and signs with SHA-384 (like the public-good Fulcio); its own trust root.
    GoodP384Ca,
    /// A v0.3 message signature by a username identity (Fulcio's otherName SAN).
    GoodOtherNameSan,
    /// A sharded log: the entry's global `logIndex` is not its position in the proof's tree.
    GoodShardedLogIndex,
    /// The checkpoint has an extra line after the root hash (the note's other content).
    GoodCheckpointWithExtraLine,
    /// DSSE: the log body's payload hash is another payload's.
    DsseLogBodyOtherPayload,
    /// DSSE: the log body names another signature.
    DsseLogBodyOtherSignature,
    /// DSSE: the envelope's signature has one bit flipped.
    DsseTamperedSignature,
    /// No SET, and the trust root's TSA `validFor` ended before the timestamp's genTime.
    TsaKeyExpired,
    /// The SCT is the CT log's genuine signature, but over another certificate.
    SctOfAnotherCertificate,
    /// The leaf expired before the entry was integrated; the bundle claims an integratedTime
    /// inside the leaf's validity, which the SET does not sign.
    IntegratedTimeAltered,
    /// Issuer 1.8 is a near miss while the legacy 1.1 is the expected issuer: 1.8 wins
    /// (docs/signatures.md#when-a-signature-verifies).
    IssuerV2DiffersFromLegacy,
    /// The checkpoint is the log's, validly signed, but for an older tree (another size and root).
    CheckpointOfAnotherTreeHead,
    /// The trust root's Rekor key `validFor` ended before the signing time.
    LogKeyExpired,
    /// The trust root's CT log key `validFor` ended before the SCT's time.
    CtLogKeyExpired,
}

impl Variant {
    pub const ALL: [Variant; 46] = [
        Variant::GoodMessageV01,
        Variant::GoodMessageV02,
        Variant::GoodMessageV03,
        Variant::GoodMessageEmail,
        Variant::GoodDsseV03,
        Variant::GoodDsseV02,
        Variant::WrongCa,
        Variant::ExpiredCa,
        Variant::LeafExpiredBeforeIntegratedTime,
        Variant::SctMissing,
        Variant::SctForged,
        Variant::SetOverAnotherEntry,
        Variant::InclusionProofForAnotherLeaf,
        Variant::CheckpointSignedByAnotherKey,
        Variant::LogBodyOtherSignature,
        Variant::LogBodyOtherDigest,
        Variant::DowngradeV01WithoutInclusionProof,
        Variant::DowngradeV01WithoutSet,
        Variant::IdentityOtherOrg,
        Variant::IdentitySuffix,
        Variant::DsseOtherPredicateType,
        Variant::DsseOtherSubjectDigest,
        Variant::TamperedSignature,
        Variant::GoodMessageTimestamp,
        Variant::GoodMessageTimestampWithoutSet,
        Variant::GoodTimestampFractionalSecond,
        Variant::TimestampOverAnotherSignature,
        Variant::TimestampFromUnrelatedTsa,
        Variant::TimestampAfterLeafExpiry,
        Variant::LeafWithoutCodeSigning,
        Variant::IssuerNearMiss,
        Variant::GoodIssuerOnlyV2,
        Variant::GoodP384Ca,
        Variant::GoodOtherNameSan,
        Variant::GoodShardedLogIndex,
        Variant::GoodCheckpointWithExtraLine,
        Variant::DsseLogBodyOtherPayload,
        Variant::DsseLogBodyOtherSignature,
        Variant::DsseTamperedSignature,
        Variant::TsaKeyExpired,
        Variant::SctOfAnotherCertificate,
        Variant::IntegratedTimeAltered,
        Variant::IssuerV2DiffersFromLegacy,
        Variant::CheckpointOfAnotherTreeHead,
        Variant::LogKeyExpired,
        Variant::CtLogKeyExpired,
    ];

    /// The case's directory name.
    pub fn id(self) -> &'static str {
        use Variant::*;
        match self {
            GoodMessageV01 => "good-message-v0.1",
            GoodMessageV02 => "good-message-v0.2",
            GoodMessageV03 => "good-message-v0.3",
            GoodMessageEmail => "good-message-email",
            GoodDsseV03 => "good-dsse-v0.3",
            GoodDsseV02 => "good-dsse-v0.2",
            WrongCa => "bad-wrong-ca",
            ExpiredCa => "bad-expired-ca",
            LeafExpiredBeforeIntegratedTime => "bad-leaf-expired-before-integrated-time",
            SctMissing => "bad-sct-missing",
            SctForged => "bad-sct-forged",
            SetOverAnotherEntry => "bad-set-over-another-entry",
            InclusionProofForAnotherLeaf => "bad-inclusion-proof-for-another-leaf",
            CheckpointSignedByAnotherKey => "bad-checkpoint-signed-by-another-key",
            LogBodyOtherSignature => "bad-log-body-other-signature",
            LogBodyOtherDigest => "bad-log-body-other-digest",
            DowngradeV01WithoutInclusionProof => "downgrade-v0.1-without-inclusion-proof",
            DowngradeV01WithoutSet => "bad-downgrade-v0.1-without-set",
            IdentityOtherOrg => "bad-identity-other-org",
            IdentitySuffix => "bad-identity-suffix",
            DsseOtherPredicateType => "bad-dsse-other-predicate-type",
            DsseOtherSubjectDigest => "bad-dsse-other-subject-digest",
            TamperedSignature => "bad-tampered-signature",
            GoodMessageTimestamp => "good-message-timestamp",
            GoodMessageTimestampWithoutSet => "good-message-timestamp-without-set",
            GoodTimestampFractionalSecond => "good-timestamp-fractional-second",
            TimestampOverAnotherSignature => "bad-timestamp-over-another-signature",
            TimestampFromUnrelatedTsa => "bad-timestamp-from-unrelated-tsa",
            TimestampAfterLeafExpiry => "bad-timestamp-after-leaf-expiry",
            LeafWithoutCodeSigning => "bad-leaf-without-code-signing-eku",
            IssuerNearMiss => "bad-issuer-near-miss",
            GoodIssuerOnlyV2 => "good-issuer-only-v2",
            GoodP384Ca => "good-p384-ca",
            GoodOtherNameSan => "good-othername-san",
            GoodShardedLogIndex => "good-sharded-log-index",
            GoodCheckpointWithExtraLine => "good-checkpoint-with-extra-line",
            DsseLogBodyOtherPayload => "bad-dsse-log-body-other-payload",
            DsseLogBodyOtherSignature => "bad-dsse-log-body-other-signature",
            DsseTamperedSignature => "bad-dsse-tampered-signature",
            TsaKeyExpired => "bad-tsa-validfor-ended",
            SctOfAnotherCertificate => "bad-sct-of-another-certificate",
            IntegratedTimeAltered => "bad-integrated-time-altered",

            IssuerV2DiffersFromLegacy => "bad-issuer-v2-differs-from-legacy",
            CheckpointOfAnotherTreeHead => "bad-checkpoint-of-another-tree-head",
            LogKeyExpired => "bad-log-key-expired",
            CtLogKeyExpired => "bad-ctlog-key-expired",
        }
    }

    /// What the case breaks, in one sentence (empty for good cases).
    pub fn breaks(self) -> &'static str {
        use Variant::*;
        match self {
            GoodMessageV01
            | GoodMessageV02
            | GoodMessageV03
            | GoodMessageEmail
            | GoodDsseV03
            | GoodDsseV02
            | GoodMessageTimestamp
            | GoodMessageTimestampWithoutSet
            | GoodTimestampFractionalSecond
            | GoodIssuerOnlyV2
            | GoodP384Ca
            | GoodOtherNameSan
            | GoodShardedLogIndex
            | GoodCheckpointWithExtraLine => "",
            WrongCa => {
                "check 1: the leaf chains to a CA that is not in the trust root (the .sig entry's \
                 chain carries that CA's intermediate and root: chain never supplies anchors)"
            }
            ExpiredCa => "check 1: the trust root's CA validFor ended before the signing time",
            LeafExpiredBeforeIntegratedTime => {
                "check 2: the verified time (integratedTime) is after the leaf's notAfter"
            }
            SctMissing => "check 3: the leaf has no embedded SCT while the trust root has a CT log",
            SctForged => "check 3: the SCT names the CT log but its signature is by another key",
            SetOverAnotherEntry => "check 2: the SET verifies only for another entry of the log",
            InclusionProofForAnotherLeaf => {
                "check 2: the inclusion proof is another leaf's; this body does not reach the root"
            }
            CheckpointSignedByAnotherKey => {
                "check 2: the checkpoint has the log's key hint but another key's signature"
            }
            LogBodyOtherSignature => "check 5: the log body names another signature",
            LogBodyOtherDigest => "check 5: the log body names another artifact digest",
            DowngradeV01WithoutInclusionProof => {
                "relabelled v0.1 without its inclusion proof: the SET alone is a proof (§7.2 \
                 check 2), so a verifier following docs/signatures.md accepts; sigstore-python wants a proof in every version"
            }
            DowngradeV01WithoutSet => {
                "relabelled v0.1 without its SET: v0.1 requires a SET, and no verified time remains"
            }
            IdentityOtherOrg => "check 6: the SAN is https://github.com/company-evil/app/...",
            IdentitySuffix => "check 6: the SAN is the expected identity with /evil appended",
            DsseOtherPredicateType => {
                "binding: the statement's predicate type is not https://sigstore.dev/cosign/sign/v1"
            }
            DsseOtherSubjectDigest => "binding: the statement's subject is another image's digest",
            TamperedSignature => "check 4: one byte of the signature is flipped",
            TimestampOverAnotherSignature => {
                "check 2: without a SET the only time source is a timestamp over another signature"
            }
            TimestampFromUnrelatedTsa => {
                "check 2: without a SET the only time source is a TSA the trust root does not name"
            }
            TimestampAfterLeafExpiry => {
                "check 2: without a SET the only verified time (genTime) is after the leaf's notAfter"
            }
            SctOfAnotherCertificate => {
                "check 3: the SCT is genuinely the CT log's, but for another certificate"
            }
            IntegratedTimeAltered => {
                "check 2: integratedTime was moved into the leaf's validity; the SET signs the real (later) time"
            }

            DsseLogBodyOtherPayload => "check 5: the dsse log body names another payload hash",
            DsseLogBodyOtherSignature => "check 5: the dsse log body names another signature",
            DsseTamperedSignature => "check 4: one bit of the DSSE signature is flipped",
            TsaKeyExpired => {
                "check 2: without a SET the only time source is a TSA whose validFor ended before its genTime"
            }

            LeafWithoutCodeSigning => {
                "check 1: the leaf's extended key usage is e-mail protection, not code signing"
            }
            IssuerNearMiss => {
                "check 6: the OIDC issuer is https://token.actions.githubusercontent.com.evil.example"
            }
            IssuerV2DiffersFromLegacy => {
                "check 6: the issuer extension 1.8 (which docs/signatures.md#when-a-signature-verifies reads first) is a near miss; only the legacy 1.1 matches"
            }
            CheckpointOfAnotherTreeHead => {
                "check 2: the checkpoint is a genuine one of an older tree head, not of the proof's root"
            }
            LogKeyExpired => "check 2: the log key's validFor ended before the integrated time",
            CtLogKeyExpired => {
                "check 3: the CT log key's validFor ended before the SCT's timestamp"
            }
        }
    }

    /// Whether a verifier following docs/signatures.md#when-a-signature-verifies accepts the case
    /// as a signature of the image by the expected identity.
    pub fn verifies(self) -> bool {
        use Variant::*;
        matches!(
            self,
            GoodMessageV01
                | GoodMessageV02
                | GoodMessageV03
                | GoodMessageEmail
                | GoodDsseV03
                | GoodDsseV02
                | DowngradeV01WithoutInclusionProof
                | GoodMessageTimestamp
                | GoodMessageTimestampWithoutSet
                | GoodTimestampFractionalSecond
                | GoodIssuerOnlyV2
                | GoodP384Ca
                | GoodOtherNameSan
                | GoodShardedLogIndex
                | GoodCheckpointWithExtraLine
        )
    }

    fn knobs(self, ss: &PrivateSigstore) -> Knobs {
        use Variant::*;
        let mut k = Knobs::good(ss);
        match self {
            GoodMessageV01 => k.version = BundleVersion::V01,
            GoodMessageV02 => k.version = BundleVersion::V02,
            GoodMessageV03 => {}
            GoodMessageEmail => {
                k.san = San::Email("release@company.example".to_string());
                k.expected_identity = k.san.value().to_string();
                k.issuer = EMAIL_ISSUER.to_string();
                k.extensions = vec![
                    (FulcioExt::IssuerV1, EMAIL_ISSUER.to_string()),
                    (FulcioExt::Issuer, EMAIL_ISSUER.to_string()),
                ];
            }
            GoodDsseV03 => k.dsse = true,
            GoodDsseV02 => {
                k.dsse = true;
                k.version = BundleVersion::V02;
            }
            WrongCa => k.unrelated_ca = true,
            ExpiredCa => k.ends.ca = Some(EXPIRED_CA_END),
            LeafExpiredBeforeIntegratedTime => {
                k.leaf_window = (SIGN_TIME - 1200, SIGN_TIME - 600);
                k.sct_time = SIGN_TIME - 1190;
            }
            SctMissing => k.sct = SctMode::Missing,
            SctForged => k.sct = SctMode::Forged,
            SetOverAnotherEntry => k.set_of_neighbour = true,
            InclusionProofForAnotherLeaf => k.proof_of_neighbour = true,
            CheckpointSignedByAnotherKey => k.checkpoint_by_intruder = true,
            LogBodyOtherSignature => k.body_other_signature = true,
            LogBodyOtherDigest => k.body_other_digest = true,
            DowngradeV01WithoutInclusionProof => {
                k.version = BundleVersion::V01;
                k.proofs.inclusion = false;
            }
            DowngradeV01WithoutSet => {
                k.version = BundleVersion::V01;
                k.proofs.set = false;
            }
            IdentityOtherOrg => {
                let (san, exts) = github_identity("company-evil", "app", "v1.0.0");
                k.san = san;
                k.extensions = exts;
            }
            IdentitySuffix => {
                let (san, exts) = github_identity("company", "app", "v1.0.0");
                k.san = San::Uri(format!("{}/evil", san.value()));
                k.extensions = exts;
            }
            DsseOtherPredicateType => {
                k.dsse = true;
                k.predicate_type = "https://slsa.dev/provenance/v1".to_string();
            }
            DsseOtherSubjectDigest => {
                k.dsse = true;
                k.subject_digest = ss.other_image_digest();
            }
            TamperedSignature => k.tamper_signature = true,
            GoodMessageTimestamp => k.timestamp = Some(TimestampMode::Good),
            GoodMessageTimestampWithoutSet => {
                k.timestamp = Some(TimestampMode::Good);
                k.proofs.set = false;
            }
            GoodTimestampFractionalSecond => {
                k.timestamp = Some(TimestampMode::FractionalSecond);
                k.proofs.set = false;
            }
            TimestampOverAnotherSignature => {
                k.timestamp = Some(TimestampMode::OverAnotherSignature);
                k.proofs.set = false;
            }
            TimestampFromUnrelatedTsa => {
                k.timestamp = Some(TimestampMode::UnrelatedTsa);
                k.proofs.set = false;
            }
            TimestampAfterLeafExpiry => {
                k.timestamp = Some(TimestampMode::AfterLeafExpiry);
                k.proofs.set = false;
            }
            LeafWithoutCodeSigning => {
                k.code_signing = false;
            }
            IssuerNearMiss => {
                set_issuer(&mut k.extensions, FulcioExt::IssuerV1, EVIL_ISSUER);
                set_issuer(&mut k.extensions, FulcioExt::Issuer, EVIL_ISSUER);
            }
            GoodP384Ca => k.p384_ca = true,
            GoodShardedLogIndex => k.index_offset = 120_000_000,
            GoodCheckpointWithExtraLine => k.checkpoint_extra_line = true,
            SctOfAnotherCertificate => {
                k.sct = SctMode::OtherCertificate;
            }
            IntegratedTimeAltered => {
                k.leaf_window = (SIGN_TIME - 1200, SIGN_TIME - 600);
                k.sct_time = SIGN_TIME - 1190;
                k.claimed_time = Some(SIGN_TIME - 900);
            }

            DsseLogBodyOtherPayload => {
                k.dsse = true;
                k.body_other_digest = true;
            }
            DsseLogBodyOtherSignature => {
                k.dsse = true;
                k.body_other_signature = true;
            }
            DsseTamperedSignature => {
                k.dsse = true;
                k.tamper_signature = true;
            }
            TsaKeyExpired => {
                k.timestamp = Some(TimestampMode::Good);
                k.proofs.set = false;
                k.ends.tsa = Some(EXPIRED_CA_END);
            }

            GoodOtherNameSan => {
                k.san = San::OtherName("release-bot!company.example".to_string());
                k.expected_identity = k.san.value().to_string();
                k.issuer = EMAIL_ISSUER.to_string();
                k.extensions = vec![
                    (FulcioExt::IssuerV1, EMAIL_ISSUER.to_string()),
                    (FulcioExt::Issuer, EMAIL_ISSUER.to_string()),
                ];
            }
            GoodIssuerOnlyV2 => {
                k.extensions.retain(|(e, _)| *e != FulcioExt::IssuerV1);
            }
            IssuerV2DiffersFromLegacy => {
                set_issuer(&mut k.extensions, FulcioExt::Issuer, EVIL_ISSUER);
            }
            CheckpointOfAnotherTreeHead => {
                k.checkpoint_older = true;
            }
            LogKeyExpired => {
                k.ends.tlog = Some(EXPIRED_CA_END);
            }
            CtLogKeyExpired => {
                k.ends.ctlog = Some(EXPIRED_CA_END);
            }
        }
        k
    }
}

/// A near miss of the GitHub issuer.
const EVIL_ISSUER: &str = "https://token.actions.githubusercontent.com.evil.example";

fn set_issuer(exts: &mut [(FulcioExt, String)], which: FulcioExt, value: &str) {
    for (e, v) in exts.iter_mut() {
        if *e == which {
            *v = value.to_string();
        }
    }
}

/// How a case's RFC 3161 timestamp is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimestampMode {
    Good,
    FractionalSecond,
    OverAnotherSignature,
    UnrelatedTsa,
    AfterLeafExpiry,
}

/// Everything one case varies.
#[derive(Clone, Debug)]
struct Knobs {
    version: BundleVersion,
    dsse: bool,
    unrelated_ca: bool,
    san: San,
    extensions: Vec<(FulcioExt, String)>,
    expected_identity: String,
    issuer: String,
    leaf_window: (u64, u64),
    sct: SctMode,
    sct_time: u64,
    predicate_type: String,
    subject_digest: [u8; 32],
    set_of_neighbour: bool,
    proof_of_neighbour: bool,
    checkpoint_by_intruder: bool,
    body_other_signature: bool,
    body_other_digest: bool,
    proofs: Proofs,
    tamper_signature: bool,
    timestamp: Option<TimestampMode>,
    code_signing: bool,
    checkpoint_older: bool,
    ends: Ends,
    p384_ca: bool,
    index_offset: u64,
    checkpoint_extra_line: bool,
    claimed_time: Option<u64>,
}

impl Knobs {
    fn good(ss: &PrivateSigstore) -> Knobs {
        let (san, extensions) = github_identity("company", "app", "v1.0.0");
        Knobs {
            version: BundleVersion::V03,
            dsse: false,
            unrelated_ca: false,
            expected_identity: san.value().to_string(),
            san,
            extensions,
            issuer: GITHUB_ISSUER.to_string(),
            leaf_window: (SIGN_TIME - 60, SIGN_TIME + 540),
            sct: SctMode::Valid,
            sct_time: SIGN_TIME - 59,
            predicate_type: COSIGN_SIGN_V1.to_string(),
            subject_digest: ss.image_digest(),
            set_of_neighbour: false,
            proof_of_neighbour: false,
            checkpoint_by_intruder: false,
            body_other_signature: false,
            body_other_digest: false,
            proofs: Proofs {
                set: true,
                inclusion: true,
            },
            tamper_signature: false,
            timestamp: None,
            code_signing: true,
            checkpoint_older: false,
            ends: Ends::default(),
            p384_ca: false,
            index_offset: 0,
            checkpoint_extra_line: false,
            claimed_time: None,
        }
    }
}

/// One generated case.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub variant: Variant,
    /// The signing certificate (the leaf).
    pub leaf: Issued,
    /// The CA that issued it (the trust root's, or an unrelated one).
    pub ca: CaChain,
    pub content: Content,
    /// The signature in the bundle (tampered where the case says so).
    pub signature: Vec<u8>,
    /// The log entry as the bundle presents it.
    pub entry: LogEntry,
    /// The Sigstore bundle.
    pub bundle: Value,
    /// The docs/signatures.md#signature-entries bundle facts entry.
    pub bundle_entry: Value,
    /// The docs/signatures.md#signature-entries cosign `.sig` facts entry, for message signatures
    /// whose break that form can carry (it has no inclusion proof, so proof and checkpoint breaks
    /// have none).
    pub sig_entry: Option<Value>,
    /// The DER `TimeStampResp`, when the case has one.
    pub timestamp: Option<Vec<u8>>,
    /// The trust root to verify under.
    pub trusted_root: Value,
    /// The identity and OIDC issuer a verifier expects.
    pub identity: String,
    pub issuer: String,
    /// The image the signature must bind.
    pub image_digest: [u8; 32],
}

impl Fixture {
    /// A docs/images.md#facts-document facts document: the signed image, by digest, with `entry`
    /// as its one signature.
    pub fn facts(&self, entry: &Value) -> Value {
        let digest = format!("sha256:{}", hex(&self.image_digest));
        let mut images = serde_json::Map::new();
        images.insert(
            format!("{IMAGE_REPO}@{digest}"),
            json!({"digest": digest, "signatures": [entry]}),
        );
        json!({ "images": images })
    }

    /// What sigstore-python's CLI is given as the artifact: the payload's digest for message
    /// signatures (the bundle signs the payload), the image digest for DSSE (a subject of it).
    pub fn cli_artifact_digest(&self) -> [u8; 32] {
        match &self.content {
            Content::Message { payload } => Sha256::digest(payload).into(),
            Content::Dsse { .. } => self.image_digest,
        }
    }
}

/// Builds one case. `n` (the case's position) only varies the shape of its log.
pub fn build(ss: &PrivateSigstore, variant: Variant, n: usize) -> Fixture {
    build_with(ss, variant, n, None)
}

/// Builds one case of a DSSE variant whose envelope carries `statement` (an in-toto statement
/// with any subject and predicate) instead of the variant's own: a keyless attestation, broken
/// as the variant says.
pub fn build_attestation(
    ss: &PrivateSigstore,
    variant: Variant,
    n: usize,
    statement: Vec<u8>,
) -> Fixture {
    build_with(ss, variant, n, Some(statement))
}

fn build_with(
    ss: &PrivateSigstore,
    variant: Variant,
    n: usize,
    payload: Option<Vec<u8>>,
) -> Fixture {
    let k = variant.knobs(ss);
    let trusted_ca = if k.p384_ca { &ss.ca_p384 } else { &ss.ca };
    let ca = if k.unrelated_ca {
        &ss.unrelated_ca
    } else {
        trusted_ca
    };
    let signer = Key::derive(ss.seed, &format!("signer/{}", variant.id()));
    let leaf = issue_leaf(
        ss.seed,
        ca,
        &signer,
        &LeafSpec {
            san: k.san.clone(),
            extensions: k.extensions.clone(),
            not_before: k.leaf_window.0,
            not_after: k.leaf_window.1,
            sct: k.sct,
            sct_time: k.sct_time,
            code_signing: k.code_signing,
        },
        &ss.ct_log,
        &ss.intruder,
    );
    let content = if k.dsse || payload.is_some() {
        Content::Dsse {
            payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
            payload: payload
                .unwrap_or_else(|| statement(IMAGE_REPO, &k.subject_digest, &k.predicate_type)),
        }
    } else {
        Content::Message {
            payload: simple_signing_payload(IMAGE_REPO, &ss.image_digest()),
        }
    };
    let signature = signer.sign(&content.signed_bytes());
    let other_signature = signer.sign(b"another payload");
    let logged_signature = if k.body_other_signature {
        &other_signature
    } else {
        &signature
    };
    let cert_pem = leaf.pem();
    let body = match &content {
        Content::Message { payload } => {
            let digest: [u8; 32] = if k.body_other_digest {
                Sha256::digest(b"another payload").into()
            } else {
                Sha256::digest(payload).into()
            };
            hashedrekord_body(&digest, logged_signature, &cert_pem)
        }
        Content::Dsse { payload, .. } => {
            // INVARIANT: DSSE content always has an envelope.
            let env = content.envelope(logged_signature).expect("envelope");
            let logged_payload: &[u8] = if k.body_other_digest {
                b"another payload"
            } else {
                payload
            };
            crate::rekor::dsse_body(
                canonical_json(&env).as_bytes(),
                logged_payload,
                logged_signature,
                &cert_pem,
            )
        }
    };

    // The case's log: fillers, this entry, more fillers.
    let mut log = Log::new(ss.rekor.clone(), REKOR_NAME, 1_000 + ss.seed % 1_000);
    log.index_offset = k.index_offset;
    if k.checkpoint_extra_line {
        log.extra_lines
            .push(format!("Timestamp: {}000000000", SIGN_TIME + 40));
    }
    let filler = Key::derive(ss.seed, "filler");
    let (before, after) = (2 + n % 5, 1 + n % 3);
    let mut time = SIGN_TIME - 300;
    for i in 0..before {
        let sig = filler.sign(format!("filler {n} {i}").as_bytes());
        log.append(
            hashedrekord_body(&Sha256::digest(format!("{n}/{i}")), &sig, &cert_pem),
            time,
        );
        time += 17;
    }
    let index = log.append(body, SIGN_TIME + 5);
    for i in 0..after {
        let sig = filler.sign(format!("filler {n} after {i}").as_bytes());
        log.append(
            hashedrekord_body(&Sha256::digest(format!("{n}/a{i}")), &sig, &cert_pem),
            SIGN_TIME + 30,
        );
    }
    let mut entry = log.entry(index);
    let neighbour = log.entry(index - 1);
    if k.set_of_neighbour {
        entry.set = neighbour.set.clone();
    }
    if k.proof_of_neighbour {
        entry.proof = neighbour.proof.clone();
    }
    if let Some(t) = k.claimed_time {
        entry.integrated_time = t;
    }
    if k.checkpoint_older {
        entry.proof.checkpoint = log.checkpoint_at(log.size() - 1, &ss.rekor);
    }
    if k.checkpoint_by_intruder {
        entry.proof.checkpoint = log.checkpoint_signed_by(&ss.intruder);
    }

    let mut bundle_signature = signature.clone();
    if k.tamper_signature {
        // Flip a bit inside the DER INTEGER r (byte 8), keeping the encoding well-formed.
        bundle_signature[8] ^= 0x01;
    }
    let timestamp = k.timestamp.map(|mode| {
        let (tsa, over, time) = match mode {
            TimestampMode::Good | TimestampMode::FractionalSecond => {
                (&ss.tsa, &signature, SIGN_TIME + 2)
            }
            TimestampMode::OverAnotherSignature => (&ss.tsa, &other_signature, SIGN_TIME + 2),
            TimestampMode::UnrelatedTsa => (&ss.unrelated_tsa, &signature, SIGN_TIME + 2),
            TimestampMode::AfterLeafExpiry => (&ss.tsa, &signature, k.leaf_window.1 + 60),
        };
        let fraction = (mode == TimestampMode::FractionalSecond).then_some("25");
        crate::tsa::timestamp_response_at(&tsa.leaf, over, time, fraction, 10_000 + n as u64)
    });
    let tlog = tlog_entry_json(&entry, content.kind(), k.proofs);
    let bundle = bundle_json(
        k.version,
        &leaf,
        &content,
        &bundle_signature,
        tlog,
        timestamp.as_deref(),
    );
    let bundle_entry = bundle_facts_entry(&bundle, &content);
    let sig_entry = match &content {
        Content::Message { payload }
            if !(k.proof_of_neighbour || k.checkpoint_by_intruder || k.checkpoint_older) =>
        {
            Some(sig_facts_entry(
                payload,
                &bundle_signature,
                &leaf,
                ca,
                &entry,
                k.proofs.set,
                timestamp.as_deref(),
            ))
        }
        _ => None,
    };
    Fixture {
        variant,
        leaf,
        ca: ca.clone(),
        content,
        signature: bundle_signature,
        entry,
        bundle,
        bundle_entry,
        sig_entry,
        timestamp,
        trusted_root: ss.trusted_root_for(trusted_ca, &k.ends),
        identity: k.expected_identity,
        issuer: k.issuer,
        image_digest: ss.image_digest(),
    }
}

/// Every case of [`Variant::ALL`].
pub fn all(ss: &PrivateSigstore) -> Vec<Fixture> {
    Variant::ALL
        .iter()
        .enumerate()
        .map(|(n, v)| build(ss, *v, n))
        .collect()
}

/// Writes the fixture directory:
///
/// ```text
/// DIR/trusted_root.json             the trust root (most cases use it)
/// DIR/manifest.json                 every case: id, breaks, expect, identity, issuer, digests,
/// files DIR/keys/{rekor,ctlog,intruder}.pub.pem    public keys
/// DIR/keys/{ca,unrelated,tsa,unrelated-tsa}-*.pem  CA and TSA certificates
/// DIR/cases/ID/bundle.json          the Sigstore bundle
/// DIR/cases/ID/entry.json           the docs/signatures.md#signature-entries bundle facts entry
/// DIR/cases/ID/sig-entry.json       the docs/signatures.md#signature-entries cosign .sig facts
/// entry (message signatures) DIR/cases/ID/facts.json, facts-sig.json
/// docs/images.md#facts-document facts documents with the one entry DIR/cases/ID/trusted_root.json
///    only where the case's trust root differs DIR/cases/ID/leaf.pem             the signing
/// certificate DIR/cases/ID/timestamp.tsr        the RFC 3161 TimeStampResp (DER), where the case
/// has one
/// ```
pub fn write_dir(seed: u64, dir: &Path) -> std::io::Result<()> {
    let ss = PrivateSigstore::new(seed);
    let default_root = ss.trusted_root();
    std::fs::create_dir_all(dir.join("cases"))?;
    std::fs::create_dir_all(dir.join("keys"))?;
    write_json(&dir.join("trusted_root.json"), &default_root)?;
    for (name, key) in [
        ("rekor", &ss.rekor),
        ("ctlog", &ss.ct_log),
        ("intruder", &ss.intruder),
    ] {
        std::fs::write(dir.join(format!("keys/{name}.pub.pem")), key.public_pem())?;
    }
    for (name, cert) in [
        ("ca-root", &ss.ca.root),
        ("ca-intermediate", &ss.ca.intermediate),
        ("ca-p384-root", &ss.ca_p384.root),
        ("ca-p384-intermediate", &ss.ca_p384.intermediate),
        ("unrelated-root", &ss.unrelated_ca.root),
        ("unrelated-intermediate", &ss.unrelated_ca.intermediate),
        ("tsa-root", &ss.tsa.root),
        ("tsa-leaf", &ss.tsa.leaf),
        ("unrelated-tsa-root", &ss.unrelated_tsa.root),
        ("unrelated-tsa-leaf", &ss.unrelated_tsa.leaf),
    ] {
        std::fs::write(dir.join(format!("keys/{name}.pem")), cert.pem())?;
    }
    let mut cases = Vec::new();
    for f in all(&ss) {
        let id = f.variant.id();
        let cdir = dir.join("cases").join(id);
        std::fs::create_dir_all(&cdir)?;
        write_json(&cdir.join("bundle.json"), &f.bundle)?;
        write_json(&cdir.join("entry.json"), &f.bundle_entry)?;
        std::fs::write(cdir.join("leaf.pem"), f.leaf.pem())?;
        if let Some(ts) = &f.timestamp {
            std::fs::write(cdir.join("timestamp.tsr"), ts)?;
        }
        write_json(&cdir.join("facts.json"), &f.facts(&f.bundle_entry))?;
        let mut files = json!({
            "bundle": format!("cases/{id}/bundle.json"),
            "entry": format!("cases/{id}/entry.json"),
            "facts": format!("cases/{id}/facts.json"),
        });
        if let Some(sig) = &f.sig_entry {
            write_json(&cdir.join("sig-entry.json"), sig)?;
            write_json(&cdir.join("facts-sig.json"), &f.facts(sig))?;
            files["sig_entry"] = json!(format!("cases/{id}/sig-entry.json"));
            files["facts_sig"] = json!(format!("cases/{id}/facts-sig.json"));
        }
        let root_file = if f.trusted_root == default_root {
            "trusted_root.json".to_string()
        } else {
            write_json(&cdir.join("trusted_root.json"), &f.trusted_root)?;
            format!("cases/{id}/trusted_root.json")
        };
        files["trusted_root"] = json!(root_file);
        cases.push(json!({
            "id": id,
            "kind": match f.content { Content::Message { .. } => "messageSignature", Content::Dsse { .. } => "dsseEnvelope" },
            "bundle_version": f.bundle["mediaType"],
            "breaks": f.variant.breaks(),
            "expect": if f.variant.verifies() { "success" } else { "failure" },
            "identity": f.identity,
            "issuer": f.issuer,
            "image_digest": format!("sha256:{}", hex(&f.image_digest)),
            "artifact_digest": format!("sha256:{}", hex(&f.cli_artifact_digest())),
            "payload": b64(f.content.payload()),
            "files": files,
        }));
    }
    write_json(
        &dir.join("manifest.json"),
        &json!({
            "generator": "bona-testkit",
            "seed": seed,
            "signing_time": rfc3339(SIGN_TIME),
            "image": format!("{IMAGE_REPO}@sha256:{}", hex(&ss.image_digest())),
            "cases": cases,
        }),
    )
}

fn write_json(path: &Path, v: &Value) -> std::io::Result<()> {
    // INVARIANT: serde_json Values always serialise.
    let mut s = serde_json::to_string_pretty(v).expect("JSON");
    s.push('\n');
    std::fs::write(path, s)
}
