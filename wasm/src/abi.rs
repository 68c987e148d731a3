//! The contract between a Bona policy module (`bona build --target wasm`) and its host, ABI
//! version 2: export names, buffer slots, status codes, the embedded policy region and the
//! manifest. No wasm engine here: the engine (`wasm-engine/`), the builder
//! ([`crate::module`]) and the wasmtime host ([`crate::host`]) all build on these
//! constants. `docs/wasm-abi.md` is the prose version for hosts in other languages.
//!
//! # Design
//! The module is this runtime compiled to wasm with one policy set inside: it parses the same
//! documents, applies the same rules and writes the same JSON as `bona eval` and `bona audit`.
//! A host only moves bytes: it asks for a buffer ([`BUFFER_EXPORT`]), copies a document into
//! it, calls [`EVAL_EXPORT`], [`REVIEW_EXPORT`] or [`AUDIT_EXPORT`] with the time, and reads the
//! output ([`OUTPUT_PTR_EXPORT`], [`OUTPUT_LEN_EXPORT`]).

use serde::{Deserialize, Serialize};

use bona_runtime::ir::{Action, PolicySet};
use bona_runtime::ir_text;

/// The ABI the engine implements and the host accepts.
pub const ABI_VERSION: u32 = 2;

/// The exported memory.
pub const MEMORY_EXPORT: &str = "memory";
/// `() -> i32`: the ABI version.
pub const ABI_EXPORT: &str = "bona_abi_version";
/// `(slot: i32, len: i32) -> i32`: the address of `len` writable bytes for input `slot`
/// ([`SLOT_DOCUMENT`], [`SLOT_FACTS`], [`SLOT_OPTIONS`]); 0 for an unknown slot.
pub const BUFFER_EXPORT: &str = "bona_buffer";
/// `(now: i64) -> i32`: decide the admission input (docs/output.md#admission-input) of the document slot.
pub const EVAL_EXPORT: &str = "bona_eval";
/// `(now: i64) -> i32`: decide the AdmissionReview (v1) of the document slot.
pub const REVIEW_EXPORT: &str = "bona_review";
/// `(now: i64) -> i32`: audit the inventory (docs/output.md#bona-audit) of the document slot.
pub const AUDIT_EXPORT: &str = "bona_audit";
/// `() -> i32`: the address of the last call's output.
pub const OUTPUT_PTR_EXPORT: &str = "bona_output_ptr";
/// `() -> i32`: the length of the last call's output.
pub const OUTPUT_LEN_EXPORT: &str = "bona_output_len";

/// Input slot: the document (admission input, AdmissionReview or inventory).
pub const SLOT_DOCUMENT: u32 = 0;
/// Input slot: the facts document of `--facts` (docs/images.md#facts); empty for none.
pub const SLOT_FACTS: u32 = 1;
/// Input slot: `{"cluster": NAME, "cloud": NAME}` for AdmissionReviews and kubectl lists;
/// empty for both `""`.
pub const SLOT_OPTIONS: u32 = 2;

/// Status: the output is the JSON result.
pub const STATUS_OK: u32 = 0;
/// Status: the module holds no policy set, or a corrupt one; the output says which.
pub const STATUS_NO_POLICY: u32 = 1;
/// Status: a document is malformed (docs/commands.md, exit 2); the output is the message.
pub const STATUS_BAD_INPUT: u32 = 2;

/// The start of the embedded policy region: 8 bytes of magic, the bundle's length (u32
/// little-endian), 4 reserved bytes, then the bundle of [`bona_runtime::bundle`]. The region begins
/// at the first 8-aligned address at or after the engine's `__heap_base`.
pub const POLICY_MAGIC: &[u8; 8] = b"BONAPSET";
/// Bytes before the bundle in the policy region.
pub const POLICY_HEADER: usize = 16;
/// Alignment of the policy region.
pub const POLICY_ALIGN: usize = 8;

/// The custom section holding the [`Manifest`] (JSON, UTF-8).
pub const MANIFEST_SECTION: &str = "bona.manifest";

/// Bytes of one wasm page.
pub const PAGE: usize = 65_536;

/// What a host can read about a module without running it: the custom section
/// [`MANIFEST_SECTION`]. The module decides from its embedded bundle, not from this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`ABI_VERSION`].
    pub abi: u32,
    /// The version of Bona that wrote the module.
    pub bona: String,
    /// The policies, in name order.
    pub policies: Vec<ManifestPolicy>,
    /// The names of the keys the policies use.
    pub keys: Vec<String>,
}

/// One policy as the manifest describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPolicy {
    pub name: String,
    /// `"prevent"` or `"issue"`.
    pub action: String,
    /// `"prevent"` or `"issue"`; always `"issue"` for an `issue` policy.
    pub on_unknown: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// The scope in Bona syntax; `None` when the policy covers every asset.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<String>,
    /// Each `trust` rule in Bona syntax.
    pub rules: Vec<String>,
}

fn action_name(a: Action) -> String {
    match a {
        Action::Prevent => "prevent",
        Action::Issue => "issue",
    }
    .to_owned()
}

impl Manifest {
    /// The manifest of a policy set (policies sorted by name, as the decisions list them).
    pub fn of_set(set: &PolicySet) -> Manifest {
        let mut policies: Vec<ManifestPolicy> = set
            .policies
            .iter()
            .map(|p| ManifestPolicy {
                name: p.name.clone(),
                action: action_name(p.action),
                on_unknown: action_name(p.on_unknown),
                description: p.description.clone(),
                scope: p.scope.as_ref().map(ir_text::asset_expr),
                rules: p
                    .rules
                    .iter()
                    .map(|r| ir_text::image_expr(r, &set.keys))
                    .collect(),
            })
            .collect();
        policies.sort_by(|a, b| a.name.cmp(&b.name));
        Manifest {
            abi: ABI_VERSION,
            bona: env!("CARGO_PKG_VERSION").to_owned(),
            policies,
            keys: set.keys.iter().map(|k| k.name.clone()).collect(),
        }
    }
}

/// Whether `bytes` start like a wasm module (rather than a bundle).
pub fn is_wasm(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\0asm")
}
