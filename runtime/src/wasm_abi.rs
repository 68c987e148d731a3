//! The contract between a Bona wasm module (`bona build --target wasm`) and its host: atom
//! numbering, the manifest, and the memory layout. No wasm engine here — the emitter
//! ([`crate::wasm_emit`]) and the wasmtime host ([`crate::wasm_host`]) both build on it, and so
//! can any other Rust host. `docs/wasm-abi.md` is the prose version for hosts in other languages.
//!
//! # Design
//! String matching stays on the host: globs, reference patterns, signatures and facts lookup
//! are the runtime's [`crate::eval`], and duplicating them in wasm would give two
//! implementations to keep equal. The module carries what is left — the boolean structure of
//! every scope and rule, and SPEC 4.2's resolution — over *atoms*, each a single comparison:
//!
//! 1. the host reads the manifest (custom section [`MANIFEST_SECTION`], JSON), which lists the
//!    distinct asset atoms and image atoms in index order;
//! 2. it writes one byte per atom into the exported memory: each asset atom's value once, each
//!    image atom's value once per image ([`FALSE`], [`TRUE`], [`UNKNOWN`]);
//! 3. it calls [`EVAL_EXPORT`]`(n_images)`, which writes S(A), every v(p,i), r(p,i), each
//!    image's trusted and prevented flags and the workload decision at the offsets of
//!    [`Layout`].
//!
//! Atoms are numbered in policy-name order, scope first and then rules, by first occurrence;
//! equal atoms (equal JSON) share one index, so a host evaluates `registry == "x"` once per
//! image however many policies use it.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::eval::{Evaluator, asset_atom_holds};
use crate::input::Asset;
use crate::ir::{Action, AssetAtom, Expr, ImageAtom, KeyDef, Policy, PolicySet};
use crate::ir_text;
use crate::tri::Tri;

/// The ABI this runtime writes and reads. A host refuses a module with another version.
pub const ABI_VERSION: u32 = 1;

/// The name of the custom section holding the manifest (JSON, UTF-8).
pub const MANIFEST_SECTION: &str = "bona.manifest";

/// The exported memory.
pub const MEMORY_EXPORT: &str = "memory";

/// The exported function `(n_images: i32) -> i32`: 0 on success, 1 when `n_images` is negative
/// or the image records do not fit the memory (grow it and call again).
pub const EVAL_EXPORT: &str = "bona_eval";

/// Atom byte: false.
pub const FALSE: u8 = 0;
/// Atom byte: true.
pub const TRUE: u8 = 1;
/// Atom byte: unknown. Any byte other than 0 and 1 reads as unknown.
pub const UNKNOWN: u8 = 2;
/// Output byte for a policy that does not apply to the asset (verdict and resolved).
pub const NOT_APPLICABLE: u8 = 3;

/// Bytes of one wasm page.
pub const PAGE: u64 = 65_536;

/// Header fields (little-endian u32 at offsets 0..24, written by the module's data segment,
/// read-only for the host): ABI version, policies, asset atoms, image atoms, images offset,
/// image stride.
pub const HEADER_WORDS: usize = 6;
/// Output byte: the workload decision, 0 allow, 1 prevent (rule 5).
pub const DECISION_OFFSET: u32 = 32;
/// Output byte: 1 when some policy applies to the asset.
pub const ANY_APPLICABLE_OFFSET: u32 = 33;
/// Output byte: 1 when some `prevent` policy applies to the asset.
pub const ANY_PREVENT_OFFSET: u32 = 34;
/// Reserved: the module's 256-byte table mapping an atom byte to its internal rank.
pub const RANK_TABLE_OFFSET: u32 = 64;
/// Reserved: the module's 3-byte table mapping a rank back to an atom byte.
pub const UNRANK_TABLE_OFFSET: u32 = 320;
/// Input: one byte per asset atom.
pub const ASSET_ATOMS_OFFSET: u32 = 384;

/// Where everything lives in the module's memory. Every field is a byte offset; the `record_*`
/// ones are relative to the start of an image record.
///
/// ```text
/// 0      header (6 × u32 LE)            32 decision   33 any_applicable   34 any_prevent
/// 64     reserved (rank tables)
/// 384    asset_atoms[A]       input
///        applicable[P]        output: 1 when policy p's scope holds
/// images record 0, record 1, … each `image_stride` bytes (8-aligned):
///        +0      image_atoms[M]   input
///        +M      verdict[P]       output: v(p,i) 0 false, 1 true, 2 unknown, 3 not applicable
///        +M+P    resolved[P]      output: r(p,i) 0 untrusted, 1 trusted, 3 not applicable
///        +M+2P   trusted          output: 0 / 1 (rules 1 and 3)
///        +M+2P+1 prevented        output: 0 / 1 (rule 4)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub decision: u32,
    pub any_applicable: u32,
    pub any_prevent: u32,
    pub asset_atoms: u32,
    pub applicable: u32,
    pub images: u32,
    pub image_stride: u32,
    pub record_atoms: u32,
    pub record_verdicts: u32,
    pub record_resolved: u32,
    pub record_trusted: u32,
    pub record_prevented: u32,
    /// The memory's initial size in pages: room for at least one image record.
    pub initial_pages: u32,
}

/// Why a layout cannot be made: the module would not fit a 32-bit memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLarge;

fn align8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

impl Layout {
    /// The layout of a module with `policies` policies, `asset_atoms` asset atoms and
    /// `image_atoms` image atoms.
    ///
    /// # Errors
    /// [`TooLarge`] when one image record would not fit 4 GiB.
    pub fn new(
        policies: usize,
        asset_atoms: usize,
        image_atoms: usize,
    ) -> Result<Layout, TooLarge> {
        let (p, a, m) = (policies as u64, asset_atoms as u64, image_atoms as u64);
        let applicable = u64::from(ASSET_ATOMS_OFFSET) + a;
        let images = align8(applicable + p);
        let stride = align8(m + 2 * p + 2);
        let initial_pages = (images + stride).div_ceil(PAGE).max(1);
        let small = |x: u64| u32::try_from(x).map_err(|_| TooLarge);
        if images + stride > u64::from(u32::MAX) {
            return Err(TooLarge);
        }
        Ok(Layout {
            decision: DECISION_OFFSET,
            any_applicable: ANY_APPLICABLE_OFFSET,
            any_prevent: ANY_PREVENT_OFFSET,
            asset_atoms: ASSET_ATOMS_OFFSET,
            applicable: small(applicable)?,
            images: small(images)?,
            image_stride: small(stride)?,
            record_atoms: 0,
            record_verdicts: small(m)?,
            record_resolved: small(m + p)?,
            record_trusted: small(m + 2 * p)?,
            record_prevented: small(m + 2 * p + 1)?,
            initial_pages: small(initial_pages)?,
        })
    }

    /// Bytes of memory needed for `n` image records.
    pub fn bytes_for(&self, n: usize) -> u64 {
        u64::from(self.images) + n as u64 * u64::from(self.image_stride)
    }

    /// Offset of image `i`'s record.
    pub fn record(&self, i: usize) -> u64 {
        u64::from(self.images) + i as u64 * u64::from(self.image_stride)
    }
}

/// One atom in the manifest: its meaning as data, and as Bona text for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtomEntry<A> {
    /// The atom in Bona syntax (normalised literals, key names), informative only.
    pub text: String,
    /// The atom, in the IR's JSON form (`docs/wasm-abi.md` lists every shape).
    pub atom: A,
}

/// A public key of the policy set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestKey {
    /// The `key` item's name.
    pub name: String,
    /// The DER SubjectPublicKeyInfo (P-256), base64 (standard alphabet, padded).
    pub spki_der: String,
}

/// A policy, its expressions over atom indices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPolicy {
    pub name: String,
    pub action: Action,
    pub on_unknown: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Over asset atom indices; `null` covers every asset.
    pub scope: Option<Expr<u32>>,
    /// Over image atom indices.
    pub rules: Vec<Expr<u32>>,
}

/// The manifest: what a host needs to drive the module, and what it needs to explain results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`ABI_VERSION`] of the writer.
    pub abi: u32,
    /// Policies in name order: index p of every per-policy array of the layout.
    pub policies: Vec<ManifestPolicy>,
    /// Keys: index of `SignedBy { key }`.
    pub keys: Vec<ManifestKey>,
    pub asset_atoms: Vec<AtomEntry<AssetAtom>>,
    pub image_atoms: Vec<AtomEntry<ImageAtom>>,
    pub layout: Layout,
}

/// Why a policy set cannot become a module, or a manifest is not a usable one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AbiError {
    /// Two policies share a name.
    DuplicatePolicy(String),
    /// A `signed by` names a key the set does not define.
    UnknownKey { policy: String, key: u32 },
    /// An expression names an atom index the manifest does not list.
    UnknownAtom { policy: String, index: u32 },
    /// A key is not base64.
    BadKey(String),
    /// The layout does not match the counts (or they would not fit 4 GiB).
    BadLayout,
    /// The module speaks another ABI version.
    Version { found: u32, supported: u32 },
    /// The manifest is not the JSON this ABI describes.
    Malformed(String),
}

impl fmt::Display for AbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbiError::DuplicatePolicy(n) => write!(f, "two policies are named `{n}`"),
            AbiError::UnknownKey { policy, key } => write!(
                f,
                "policy `{policy}` uses key #{key}, which the policy set does not define"
            ),
            AbiError::UnknownAtom { policy, index } => write!(
                f,
                "policy `{policy}` uses atom #{index}, which the manifest does not list"
            ),
            AbiError::BadKey(n) => write!(f, "key `{n}` is not base64"),
            AbiError::BadLayout => write!(
                f,
                "the manifest's memory layout does not match its policies and atoms"
            ),
            AbiError::Version { found, supported } => write!(
                f,
                "the module speaks wasm ABI version {found}, but this runtime speaks version \
                 {supported}: rebuild it with a matching `bona build --target wasm`"
            ),
            AbiError::Malformed(e) => write!(f, "the manifest is malformed: {e}"),
        }
    }
}

impl std::error::Error for AbiError {}

/// Interns atoms by their JSON form, keeping first-occurrence order.
struct Interner<A> {
    index: HashMap<String, u32>,
    atoms: Vec<A>,
}

impl<A: Serialize + Clone> Interner<A> {
    fn new() -> Self {
        Interner {
            index: HashMap::new(),
            atoms: Vec::new(),
        }
    }

    fn expr(&mut self, e: &Expr<A>) -> Expr<u32> {
        match e {
            Expr::Const(b) => Expr::Const(*b),
            Expr::Atom(a) => {
                // Serialising plain IR data cannot fail; the debug form is a safe fallback key.
                let key = serde_json::to_string(a).unwrap_or_default();
                let next = self.atoms.len() as u32;
                let id = *self.index.entry(key).or_insert(next);
                if id == next {
                    self.atoms.push(a.clone());
                }
                Expr::Atom(id)
            }
            Expr::Not(inner) => Expr::Not(Box::new(self.expr(inner))),
            Expr::And(es) => Expr::And(es.iter().map(|e| self.expr(e)).collect()),
            Expr::Or(es) => Expr::Or(es.iter().map(|e| self.expr(e)).collect()),
        }
    }
}

impl Manifest {
    /// Numbers the atoms of a policy set and lays out the memory: the manifest the emitter
    /// embeds. Policies are taken in name order.
    ///
    /// # Errors
    /// Duplicate policy names, a `signed by` naming no key, or a set too large for 4 GiB.
    pub fn of_set(set: &PolicySet) -> Result<Manifest, AbiError> {
        let mut policies: Vec<&Policy> = set.policies.iter().collect();
        policies.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = policies.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(AbiError::DuplicatePolicy(w[0].name.clone()));
        }
        let mut assets = Interner::new();
        let mut images = Interner::new();
        let mut out = Vec::with_capacity(policies.len());
        for p in policies {
            for rule in &p.rules {
                let mut bad = None;
                rule.for_each_atom(&mut |a| {
                    if let ImageAtom::SignedBy { key } = a
                        && *key as usize >= set.keys.len()
                    {
                        bad = Some(*key);
                    }
                });
                if let Some(key) = bad {
                    return Err(AbiError::UnknownKey {
                        policy: p.name.clone(),
                        key,
                    });
                }
            }
            out.push(ManifestPolicy {
                name: p.name.clone(),
                action: p.action,
                on_unknown: p.on_unknown,
                description: p.description.clone(),
                scope: p.scope.as_ref().map(|s| assets.expr(s)),
                rules: p.rules.iter().map(|r| images.expr(r)).collect(),
            });
        }
        let layout = Layout::new(out.len(), assets.atoms.len(), images.atoms.len())
            .map_err(|TooLarge| AbiError::BadLayout)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(Manifest {
            abi: ABI_VERSION,
            policies: out,
            keys: set
                .keys
                .iter()
                .map(|k| ManifestKey {
                    name: k.name.clone(),
                    spki_der: b64.encode(&k.spki_der),
                })
                .collect(),
            asset_atoms: assets
                .atoms
                .into_iter()
                .map(|a| AtomEntry {
                    text: ir_text::asset_expr(&Expr::Atom(a.clone())),
                    atom: a,
                })
                .collect(),
            image_atoms: images
                .atoms
                .into_iter()
                .map(|a| AtomEntry {
                    text: ir_text::image_atom_text(&a, &set.keys),
                    atom: a,
                })
                .collect(),
            layout,
        })
    }

    /// Reads a manifest and checks its version, layout and atom indices.
    ///
    /// # Errors
    /// Malformed JSON, another ABI version, or an inconsistent manifest.
    pub fn parse(json: &[u8]) -> Result<Manifest, AbiError> {
        #[derive(Deserialize)]
        struct Version {
            abi: u32,
        }
        // The version first, so that a future manifest is refused for its version rather than
        // for a field this runtime does not know.
        let malformed = |e: serde_json::Error| AbiError::Malformed(e.to_string());
        let v: Version = serde_json::from_slice(json).map_err(malformed)?;
        if v.abi != ABI_VERSION {
            return Err(AbiError::Version {
                found: v.abi,
                supported: ABI_VERSION,
            });
        }
        let m: Manifest = serde_json::from_slice(json).map_err(malformed)?;
        m.check()?;
        Ok(m)
    }

    /// Checks the layout against the counts and every atom index against the atom lists.
    ///
    /// # Errors
    /// The first inconsistency.
    pub fn check(&self) -> Result<(), AbiError> {
        let expected = Layout::new(
            self.policies.len(),
            self.asset_atoms.len(),
            self.image_atoms.len(),
        )
        .map_err(|TooLarge| AbiError::BadLayout)?;
        if expected != self.layout {
            return Err(AbiError::BadLayout);
        }
        for p in &self.policies {
            let mut bad = None;
            let check = |n: usize| {
                move |i: &u32| {
                    if *i as usize >= n { Some(*i) } else { None }
                }
            };
            let asset = check(self.asset_atoms.len());
            if let Some(s) = &p.scope {
                s.for_each_atom(&mut |i| bad = bad.or(asset(i)));
            }
            let image = check(self.image_atoms.len());
            for r in &p.rules {
                r.for_each_atom(&mut |i| bad = bad.or(image(i)));
            }
            if let Some(index) = bad {
                return Err(AbiError::UnknownAtom {
                    policy: p.name.clone(),
                    index,
                });
            }
        }
        Ok(())
    }

    /// The policy set the manifest describes (policies in name order), for explanations.
    ///
    /// # Errors
    /// A key that is not base64, or an atom index out of range.
    pub fn policy_set(&self) -> Result<PolicySet, AbiError> {
        self.check()?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let keys = self
            .keys
            .iter()
            .map(|k| {
                Ok(KeyDef {
                    name: k.name.clone(),
                    spki_der: b64
                        .decode(&k.spki_der)
                        .map_err(|_| AbiError::BadKey(k.name.clone()))?,
                })
            })
            .collect::<Result<_, AbiError>>()?;
        let policies = self
            .policies
            .iter()
            .map(|p| Policy {
                name: p.name.clone(),
                action: p.action,
                on_unknown: p.on_unknown,
                scope: p.scope.as_ref().map(|s| substitute(s, &self.asset_atoms)),
                rules: p
                    .rules
                    .iter()
                    .map(|r| substitute(r, &self.image_atoms))
                    .collect(),
                description: p.description.clone(),
            })
            .collect();
        Ok(PolicySet { keys, policies })
    }

    /// The value byte of every asset atom for `asset`, in index order.
    pub fn asset_atom_values(&self, asset: &Asset) -> Vec<u8> {
        self.asset_atoms
            .iter()
            .map(|a| {
                if asset_atom_holds(&a.atom, asset) {
                    TRUE
                } else {
                    FALSE
                }
            })
            .collect()
    }

    /// Writes the value byte of every image atom for the evaluator's image into `out` (whose
    /// length is the number of image atoms).
    pub fn image_atom_values(&self, evaluator: &mut Evaluator<'_, '_>, out: &mut [u8]) {
        for (slot, a) in out.iter_mut().zip(&self.image_atoms) {
            *slot = tri_byte(evaluator.atom(&a.atom));
        }
    }
}

/// Replaces atom indices by the atoms. INVARIANT: [`Manifest::check`] has passed.
fn substitute<A: Clone>(e: &Expr<u32>, atoms: &[AtomEntry<A>]) -> Expr<A> {
    match e {
        Expr::Const(b) => Expr::Const(*b),
        Expr::Atom(i) => match atoms.get(*i as usize) {
            Some(a) => Expr::Atom(a.atom.clone()),
            // Unreachable after the check; a constant keeps this total.
            None => Expr::Const(false),
        },
        Expr::Not(inner) => Expr::Not(Box::new(substitute(inner, atoms))),
        Expr::And(es) => Expr::And(es.iter().map(|e| substitute(e, atoms)).collect()),
        Expr::Or(es) => Expr::Or(es.iter().map(|e| substitute(e, atoms)).collect()),
    }
}

/// The atom byte of a tri-state value.
pub fn tri_byte(t: Tri) -> u8 {
    match t {
        Tri::False => FALSE,
        Tri::True => TRUE,
        Tri::Unknown => UNKNOWN,
    }
}

/// The tri-state value of an output verdict byte; `None` for anything but 0, 1, 2.
pub fn byte_tri(b: u8) -> Option<Tri> {
    match b {
        FALSE => Some(Tri::False),
        TRUE => Some(Tri::True),
        UNKNOWN => Some(Tri::Unknown),
        _ => None,
    }
}

/// Reads the custom section [`MANIFEST_SECTION`] from module bytes with a minimal walk of the
/// wasm binary format (magic, version, then `id size payload` sections), so that a host needs
/// no wasm parser to find it.
///
/// # Errors
/// Not a wasm module, a truncated section, or no manifest section.
pub fn find_manifest(bytes: &[u8]) -> Result<&[u8], String> {
    const MAGIC: &[u8] = b"\0asm\x01\0\0\0";
    let mut rest = bytes
        .strip_prefix(MAGIC)
        .ok_or("not a wasm module: the file does not start with the wasm magic and version 1")?;
    while let Some((&id, after)) = rest.split_first() {
        let (size, after) = leb_u32(after).ok_or("a section's size is malformed")?;
        let size = size as usize;
        if after.len() < size {
            return Err("a section is truncated".to_owned());
        }
        let (payload, next) = after.split_at(size);
        if id == 0 {
            let (name_len, name_rest) = leb_u32(payload).ok_or("a custom section is malformed")?;
            let name_len = name_len as usize;
            if name_rest.len() >= name_len && &name_rest[..name_len] == MANIFEST_SECTION.as_bytes()
            {
                return Ok(&name_rest[name_len..]);
            }
        }
        rest = next;
    }
    Err(format!(
        "the module has no `{MANIFEST_SECTION}` section: it was not written by `bona build --target wasm`"
    ))
}

/// An unsigned LEB128 u32 and the bytes after it.
fn leb_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((u32::try_from(value).ok()?, bytes.get(i + 1..)?));
        }
    }
    None
}

/// Whether bytes start like a wasm module (`\0asm`), to tell a module from a bundle.
pub fn is_wasm(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\0asm")
}

/// The resolved byte a policy gives a verdict (rule 2), as the module computes it.
pub fn resolved_byte(policy: &ManifestPolicy, verdict: Tri) -> u8 {
    let trusted = crate::decide::resolve(policy.action, policy.on_unknown, verdict).is_trusted();
    u8::from(trusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{EqOp, ImageStrAttr};

    fn reg(v: &str) -> Expr<ImageAtom> {
        Expr::Atom(ImageAtom::Str {
            attr: ImageStrAttr::Registry,
            op: EqOp::Eq,
            value: v.into(),
        })
    }

    fn policy(name: &str, rules: Vec<Expr<ImageAtom>>) -> Policy {
        Policy {
            name: name.into(),
            action: Action::Prevent,
            on_unknown: Action::Issue,
            scope: None,
            rules,
            description: None,
        }
    }

    #[test]
    fn atoms_are_shared_and_numbered_in_name_order() {
        let set = PolicySet {
            keys: vec![],
            policies: vec![
                policy("b", vec![reg("y"), reg("x")]),
                policy("a", vec![reg("x")]),
            ],
        };
        let m = Manifest::of_set(&set).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.policies[0].name, "a");
        assert_eq!(m.image_atoms.len(), 2);
        assert_eq!(m.image_atoms[0].text, r#"registry == "x""#);
        assert_eq!(m.policies[1].rules, [Expr::Atom(1), Expr::Atom(0)]);
        let json = serde_json::to_vec(&m).unwrap_or_default();
        let back = Manifest::parse(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, m);
        let mut sorted = set.clone();
        sorted.policies.reverse();
        assert_eq!(back.policy_set(), Ok(sorted));
    }

    #[test]
    fn refuses_bad_sets_and_manifests() {
        let dup = PolicySet {
            keys: vec![],
            policies: vec![policy("a", vec![]), policy("a", vec![])],
        };
        assert_eq!(
            Manifest::of_set(&dup),
            Err(AbiError::DuplicatePolicy("a".into()))
        );
        let key = PolicySet {
            keys: vec![],
            policies: vec![policy(
                "a",
                vec![Expr::Atom(ImageAtom::SignedBy { key: 0 })],
            )],
        };
        assert!(matches!(
            Manifest::of_set(&key),
            Err(AbiError::UnknownKey { .. })
        ));
        let future = br#"{"abi": 99, "whatever": true}"#;
        assert_eq!(
            Manifest::parse(future),
            Err(AbiError::Version {
                found: 99,
                supported: ABI_VERSION
            })
        );
        let mut m = Manifest::of_set(&PolicySet {
            keys: vec![],
            policies: vec![policy("a", vec![reg("x")])],
        })
        .unwrap_or_else(|e| panic!("{e}"));
        m.policies[0].rules = vec![Expr::Atom(7)];
        assert!(matches!(
            m.check(),
            Err(AbiError::UnknownAtom { index: 7, .. })
        ));
    }

    #[test]
    fn finds_the_manifest_without_a_wasm_parser() {
        assert!(find_manifest(b"BONA-BUNDLE 1").is_err());
        assert!(find_manifest(b"\0asm\x01\0\0\0").is_err());
        // A custom section "bona.manifest" holding `{}`.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let name = MANIFEST_SECTION.as_bytes();
        m.extend([0, (1 + name.len() + 2) as u8, name.len() as u8]);
        m.extend(name);
        m.extend(b"{}");
        assert_eq!(find_manifest(&m), Ok(&b"{}"[..]));
        m.pop();
        assert!(find_manifest(&m).is_err());
    }

    #[test]
    fn layout_keeps_records_aligned() {
        let l = Layout::new(3, 2, 5).unwrap_or_else(|_| panic!("fits"));
        assert_eq!(l.applicable, ASSET_ATOMS_OFFSET + 2);
        assert_eq!(l.images % 8, 0);
        assert_eq!(l.image_stride, 16);
        assert_eq!(l.record_prevented, 5 + 6 + 1);
        assert!(Layout::new(usize::MAX / 4, 0, 0).is_err());
    }
}
