//! A wasmtime host for modules written by `bona build --target wasm` (feature `wasm`).
//!
//! [`WasmPolicy::new`] compiles the module once, reads its manifest ([`crate::wasm_abi`]) and
//! rebuilds the policy set from it; each decision then instantiates the module in a fresh
//! [`Store`] bounded by fuel and a memory limit, writes the atom values the runtime's own
//! evaluator ([`crate::eval`]) computes, calls the module, and reads back S(A), the verdicts,
//! their resolutions, the images' trusted / prevented flags and the decision.
//!
//! The outputs are the runtime's: [`WasmPolicy::evaluate`] returns the same
//! [`Decision`] as [`crate::Engine::evaluate`] and [`WasmPolicy::audit`] the same [`Audit`].
//! Everything the rules decide — which policies apply, every v(p,i) and r(p,i), trusted,
//! prevented, the decision — comes from the module; the host adds only what is text: the
//! reasons (the interpreter's [`Evaluator::explain_policy`] on the manifest's rules) and the
//! issue texts of SPEC 4.3, built from the module's flags by the shared rule functions of
//! [`crate::decide`].
//!
//! # Limits
//! Each call gets fuel (by default enough for the module's code to run once per image and once
//! more, which a module written by `bona build` never exceeds: its code is straight-line but
//! for the loop over images and policies) and a memory ceiling. A module that runs out of fuel,
//! traps, lacks an export or writes an output byte outside the ABI gives a [`WasmError`], never
//! a panic or a partial decision.

use std::fmt;

use wasmtime::{
    Config, Engine as WasmEngine, Instance, Memory, Module, Store, StoreLimits, StoreLimitsBuilder,
    Trap,
};

use crate::decide::{posture_reason, runtime_issue, workload_decision};
use crate::eval::{Evaluator, KeyRing};
use crate::facts::FactsDocument;
use crate::image::ImageView;
use crate::input::{AdmissionInput, Asset, ImageInput, Inventory};
use crate::ir::PolicySet;
use crate::output::{
    AssetRef, Audit, Decision, DecisionKind, ImageDecision, PolicyOutcome, PostureIssue, Verdict,
};
use crate::signature::{KeyError, VerificationCache};
use crate::tri::Tri;
use crate::wasm_abi::{
    ABI_VERSION, AbiError, EVAL_EXPORT, Layout, MEMORY_EXPORT, Manifest, PAGE, byte_tri,
    find_manifest,
};

/// Fuel every call gets on top of the per-image allowance.
const BASE_FUEL: u64 = 1_000_000;

/// The default memory ceiling of one evaluation: 256 MiB.
pub const DEFAULT_MEMORY_LIMIT: usize = 256 << 20;

/// Why a module cannot be loaded or a decision cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WasmError {
    /// The bytes are not a valid wasm module (or wasmtime refuses it).
    Module(String),
    /// The manifest is missing or malformed.
    Manifest(String),
    /// The manifest is inconsistent, or of another ABI version.
    Abi(AbiError),
    /// A key of the manifest is not a P-256 public key.
    Key { name: String, error: KeyError },
    /// The module lacks an export of the ABI, or has it with another type.
    Export(String),
    /// Instantiation failed (a memory larger than the limit, a bad data segment…).
    Instantiate(String),
    /// The records of the images do not fit the memory limit.
    Memory { needed: u64, limit: usize },
    /// The call ran out of fuel.
    OutOfFuel { fuel: u64 },
    /// The module trapped.
    Trap(String),
    /// The module returned a failure status or wrote an output byte outside the ABI.
    Output(String),
}

impl fmt::Display for WasmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WasmError::Module(e) => write!(f, "not a loadable wasm module: {e}"),
            WasmError::Manifest(e) => write!(f, "the module's manifest cannot be read: {e}"),
            WasmError::Abi(e) => e.fmt(f),
            WasmError::Key { name, error } => write!(f, "key `{name}`: {error}"),
            WasmError::Export(e) => write!(f, "the module does not follow the bona ABI: {e}"),
            WasmError::Instantiate(e) => write!(f, "the module cannot be instantiated: {e}"),
            WasmError::Memory { needed, limit } => write!(
                f,
                "the images need {needed} bytes of wasm memory, over the limit of {limit} bytes"
            ),
            WasmError::OutOfFuel { fuel } => write!(
                f,
                "the module ran out of fuel ({fuel} units) before deciding"
            ),
            WasmError::Trap(e) => write!(f, "the module trapped: {e}"),
            WasmError::Output(e) => write!(f, "the module's output is not valid: {e}"),
        }
    }
}

impl std::error::Error for WasmError {}

impl From<AbiError> for WasmError {
    fn from(e: AbiError) -> Self {
        WasmError::Abi(e)
    }
}

/// Per-call limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmLimits {
    /// Fuel for one call; `None` computes it from the module's size and the image count.
    pub fuel: Option<u64>,
    /// The most linear memory one evaluation may use, in bytes.
    pub memory_bytes: usize,
}

impl Default for WasmLimits {
    fn default() -> Self {
        WasmLimits {
            fuel: None,
            memory_bytes: DEFAULT_MEMORY_LIMIT,
        }
    }
}

/// What the module wrote, for `n` images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawOutput {
    layout: Layout,
    policies: usize,
    /// The workload decision byte.
    pub decision: u8,
    /// 1 when some policy applies.
    pub any_applicable: u8,
    /// 1 when some `prevent` policy applies.
    pub any_prevent: u8,
    /// `applicable[p]`.
    pub applicable: Vec<u8>,
    /// The image records, `image_stride` bytes each.
    records: Vec<u8>,
}

impl RawOutput {
    fn byte(&self, image: usize, offset: u32) -> u8 {
        let at = image * self.layout.image_stride as usize + offset as usize;
        self.records.get(at).copied().unwrap_or(u8::MAX)
    }

    /// v(p,i) as written: 0 false, 1 true, 2 unknown, 3 not applicable.
    pub fn verdict(&self, image: usize, policy: usize) -> u8 {
        self.byte(image, self.layout.record_verdicts + policy as u32)
    }

    /// r(p,i) as written: 0 untrusted, 1 trusted, 3 not applicable.
    pub fn resolved(&self, image: usize, policy: usize) -> u8 {
        self.byte(image, self.layout.record_resolved + policy as u32)
    }

    /// The image's trusted byte.
    pub fn trusted(&self, image: usize) -> u8 {
        self.byte(image, self.layout.record_trusted)
    }

    /// The image's prevented byte.
    pub fn prevented(&self, image: usize) -> u8 {
        self.byte(image, self.layout.record_prevented)
    }

    /// How many policies the module knows.
    pub fn policy_count(&self) -> usize {
        self.policies
    }
}

/// A loaded wasm policy module.
pub struct WasmPolicy {
    engine: WasmEngine,
    module: Module,
    manifest: Manifest,
    set: PolicySet,
    keys: KeyRing,
    limits: WasmLimits,
    code_bytes: u64,
}

impl fmt::Debug for WasmPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmPolicy")
            .field("policies", &self.set.policies.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn bool_byte(b: u8, what: &str) -> Result<bool, WasmError> {
    match b {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(WasmError::Output(format!("{what} is {b}, not 0 or 1"))),
    }
}

impl WasmPolicy {
    /// Reads the manifest and compiles the module (cranelift; do it once per module).
    ///
    /// # Errors
    /// Bytes that are not a wasm module, a missing, malformed or future-version manifest, a key
    /// that is not a P-256 public key, or a module wasmtime refuses.
    pub fn new(bytes: &[u8]) -> Result<WasmPolicy, WasmError> {
        let manifest_json = find_manifest(bytes).map_err(WasmError::Manifest)?;
        let manifest = Manifest::parse(manifest_json)?;
        let set = manifest.policy_set()?;
        let keys = KeyRing::from_defs(&set.keys)
            .map_err(|(name, error)| WasmError::Key { name, error })?;
        let mut config = Config::new();
        config.consume_fuel(true);
        let engine = WasmEngine::new(&config).map_err(|e| WasmError::Module(e.to_string()))?;
        let module = Module::new(&engine, bytes).map_err(|e| WasmError::Module(e.to_string()))?;
        Ok(WasmPolicy {
            engine,
            module,
            manifest,
            set,
            keys,
            limits: WasmLimits::default(),
            code_bytes: bytes.len() as u64,
        })
    }

    /// The same policy with other per-call limits.
    #[must_use]
    pub fn with_limits(mut self, limits: WasmLimits) -> WasmPolicy {
        self.limits = limits;
        self
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The policy set the manifest describes, policies in name order.
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }

    /// The fuel a call for `n` images gets.
    pub fn fuel_for(&self, n: usize) -> u64 {
        self.limits.fuel.unwrap_or_else(|| {
            // Every instruction of a module from `bona build` runs at most once per image and
            // once more for the scopes; the entry loop's few instructions per policy are
            // covered by the policy function's own bytes.
            BASE_FUEL.saturating_add(
                self.code_bytes
                    .saturating_mul(8)
                    .saturating_mul(n as u64 + 1),
            )
        })
    }

    /// The ABI call itself: writes `asset_atoms` and, for each of the `n` images, its slice of
    /// `image_atoms` (`n` × the manifest's image atom count bytes), runs the module and returns
    /// what it wrote.
    ///
    /// # Errors
    /// Slices of the wrong length (as [`WasmError::Output`]), or any failure of the module.
    pub fn run(
        &self,
        asset_atoms: &[u8],
        image_atoms: &[u8],
        n: usize,
    ) -> Result<RawOutput, WasmError> {
        let layout = self.manifest.layout;
        let m = self.manifest.image_atoms.len();
        if asset_atoms.len() != self.manifest.asset_atoms.len() || image_atoms.len() != n * m {
            return Err(WasmError::Output(format!(
                "expected {} asset atom bytes and {} image atom bytes, got {} and {}",
                self.manifest.asset_atoms.len(),
                n * m,
                asset_atoms.len(),
                image_atoms.len()
            )));
        }
        let n_i32 = i32::try_from(n)
            .map_err(|_| WasmError::Output(format!("{n} images are too many for one call")))?;
        let mut store: Store<StoreLimits> = Store::new(
            &self.engine,
            StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_bytes)
                .instances(1)
                .build(),
        );
        store.limiter(|s| s);
        let fuel = self.fuel_for(n);
        store
            .set_fuel(fuel)
            .map_err(|e| WasmError::Instantiate(e.to_string()))?;
        let instance = Instance::new(&mut store, &self.module, &[])
            .map_err(|e| WasmError::Instantiate(e.to_string()))?;
        let memory = instance
            .get_memory(&mut store, MEMORY_EXPORT)
            .ok_or_else(|| WasmError::Export(format!("no exported memory `{MEMORY_EXPORT}`")))?;
        let eval = instance
            .get_typed_func::<i32, i32>(&mut store, EVAL_EXPORT)
            .map_err(|e| WasmError::Export(format!("`{EVAL_EXPORT}`: {e}")))?;

        let header = read(&memory, &store, 0, 4)?;
        if header != ABI_VERSION.to_le_bytes() {
            return Err(WasmError::Output(
                "the memory header does not carry the manifest's ABI version".to_owned(),
            ));
        }
        let needed = layout.bytes_for(n);
        let have = memory.data_size(&store) as u64;
        if needed > have {
            let pages = (needed - have).div_ceil(PAGE);
            memory
                .grow(&mut store, pages)
                .map_err(|_| WasmError::Memory {
                    needed,
                    limit: self.limits.memory_bytes,
                })?;
        }
        write(&memory, &mut store, layout.asset_atoms.into(), asset_atoms)?;
        if m > 0 {
            for (i, atoms) in image_atoms.chunks(m).enumerate() {
                write(&memory, &mut store, layout.record(i), atoms)?;
            }
        }

        let status = eval
            .call(&mut store, n_i32)
            .map_err(|e| match e.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => WasmError::OutOfFuel { fuel },
                Some(t) => WasmError::Trap(t.to_string()),
                None => WasmError::Trap(e.to_string()),
            })?;
        if status != 0 {
            return Err(WasmError::Output(format!(
                "`{EVAL_EXPORT}` returned status {status}"
            )));
        }
        let flags = read(&memory, &store, layout.decision.into(), 3)?;
        let p = self.manifest.policies.len();
        let applicable = read(&memory, &store, layout.applicable.into(), p)?;
        let records = read(
            &memory,
            &store,
            layout.images.into(),
            n * layout.image_stride as usize,
        )?;
        Ok(RawOutput {
            layout,
            policies: p,
            decision: flags.first().copied().unwrap_or(u8::MAX),
            any_applicable: flags.get(1).copied().unwrap_or(u8::MAX),
            any_prevent: flags.get(2).copied().unwrap_or(u8::MAX),
            applicable,
            records,
        })
    }

    /// Computes the atom values of an asset and its images and runs the module.
    fn run_images(
        &self,
        asset: &Asset,
        images: &[ImageInput],
        facts: Option<&FactsDocument>,
        time: i64,
        cache: &mut VerificationCache,
    ) -> Result<RawOutput, WasmError> {
        let asset_atoms = self.manifest.asset_atom_values(asset);
        let m = self.manifest.image_atoms.len();
        let mut image_atoms = vec![0u8; images.len() * m];
        if m > 0 {
            for (image, out) in images.iter().zip(image_atoms.chunks_mut(m)) {
                let view = ImageView::of_input(image, facts, time);
                let mut evaluator = Evaluator::new(view, &self.keys, cache);
                self.manifest.image_atom_values(&mut evaluator, out);
            }
        }
        self.run(&asset_atoms, &image_atoms, images.len())
    }

    /// The applicable policies (indices in name order) with each one's verdict for image `i`.
    fn judged(&self, raw: &RawOutput, i: usize) -> Result<Vec<(usize, Tri, Verdict)>, WasmError> {
        let mut out = Vec::new();
        for (p, &applies) in raw.applicable.iter().enumerate() {
            if !bool_byte(applies, "an applicable byte")? {
                continue;
            }
            let v = byte_tri(raw.verdict(i, p)).ok_or_else(|| {
                WasmError::Output(format!(
                    "verdict byte {} of an applicable policy",
                    raw.verdict(i, p)
                ))
            })?;
            let r = Verdict::from(bool_byte(raw.resolved(i, p), "a resolved byte")?);
            out.push((p, v, r));
        }
        Ok(out)
    }

    /// The admission decision of SPEC 4.3, as [`crate::Engine::evaluate`] gives it. `now` is
    /// used when the input carries no `time`.
    ///
    /// # Errors
    /// Any failure of the module ([`WasmError`]).
    pub fn evaluate(
        &self,
        input: &AdmissionInput,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Result<Decision, WasmError> {
        let time = input.time.unwrap_or(now);
        let raw = self.run_images(&input.asset, &input.images, facts, time, cache)?;
        let mut images = Vec::with_capacity(input.images.len());
        let mut issues = Vec::new();
        for (i, image) in input.images.iter().enumerate() {
            let judged = self.judged(&raw, i)?;
            let trusted = bool_byte(raw.trusted(i), "a trusted byte")?;
            let prevented = bool_byte(raw.prevented(i), "a prevented byte")?;
            let view = ImageView::of_input(image, facts, time);
            let mut evaluator = Evaluator::new(view, &self.keys, cache);
            let mut policies = Vec::with_capacity(judged.len());
            let mut names = Vec::with_capacity(judged.len());
            for &(p, v, r) in &judged {
                // INVARIANT: `judged` indexes the manifest's policies, which `set` mirrors.
                let Some(policy) = self.set.policies.get(p) else {
                    continue;
                };
                names.push(policy.name.as_str());
                policies.push(PolicyOutcome {
                    policy: policy.name.clone(),
                    action: policy.action,
                    result: v.into(),
                    resolved: r,
                    reasons: evaluator.explain_policy(policy, v),
                });
            }
            let reference = image.reference.to_string();
            issues.extend(runtime_issue(
                &input.asset,
                &reference,
                &names,
                trusted,
                prevented,
            ));
            images.push(ImageDecision {
                reference,
                verdict: trusted.into(),
                prevented,
                policies,
            });
        }
        let decision = if bool_byte(raw.decision, "the decision byte")? {
            DecisionKind::Prevent
        } else {
            DecisionKind::Allow
        };
        // The module's rule 5 and the images' flags must agree; a module that says otherwise
        // is not one `bona build` wrote.
        if decision != workload_decision(images.iter().map(|i| i.prevented)) {
            return Err(WasmError::Output(
                "the decision disagrees with the images' prevented flags".to_owned(),
            ));
        }
        Ok(Decision {
            decision,
            images,
            issues,
        })
    }

    /// The decision alone.
    ///
    /// # Errors
    /// Any failure of the module.
    pub fn verdict(
        &self,
        input: &AdmissionInput,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Result<DecisionKind, WasmError> {
        let time = input.time.unwrap_or(now);
        let raw = self.run_images(&input.asset, &input.images, facts, time, cache)?;
        Ok(if bool_byte(raw.decision, "the decision byte")? {
            DecisionKind::Prevent
        } else {
            DecisionKind::Allow
        })
    }

    /// The posture issues of one running asset (SPEC 4.2 rule 7), as
    /// [`crate::Engine::audit_asset`] gives them.
    ///
    /// # Errors
    /// Any failure of the module.
    pub fn audit_asset(
        &self,
        asset: &Asset,
        images: &[ImageInput],
        facts: Option<&FactsDocument>,
        time: i64,
        cache: &mut VerificationCache,
    ) -> Result<Vec<PostureIssue>, WasmError> {
        let raw = self.run_images(asset, images, facts, time, cache)?;
        let asset_ref = AssetRef::from(asset);
        let described = asset.describe();
        let mut out = Vec::new();
        for (i, image) in images.iter().enumerate() {
            let trusted = bool_byte(raw.trusted(i), "a trusted byte")?;
            let reference = image.reference.to_string();
            for (p, v, _) in self.judged(&raw, i)? {
                let Some(policy) = self.set.policies.get(p) else {
                    continue;
                };
                if let Some(reason) = posture_reason(policy, v, trusted) {
                    out.push(PostureIssue::new(
                        asset_ref.clone(),
                        &described,
                        reference.clone(),
                        policy.name.clone(),
                        reason,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// A whole audit (SPEC 4.4). `now` is used when the inventory carries no `time`.
    ///
    /// # Errors
    /// Any failure of the module.
    pub fn audit(
        &self,
        inventory: &Inventory,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Result<Audit, WasmError> {
        let time = inventory.time.unwrap_or(now);
        let mut issues = Vec::new();
        for entry in &inventory.assets {
            issues.extend(self.audit_asset(&entry.asset, &entry.images, facts, time, cache)?);
        }
        Ok(Audit { issues })
    }
}

fn read(
    memory: &Memory,
    store: &Store<StoreLimits>,
    at: u64,
    len: usize,
) -> Result<Vec<u8>, WasmError> {
    let mut buf = vec![0u8; len];
    let at = usize::try_from(at).map_err(|_| WasmError::Output("offset too large".to_owned()))?;
    memory
        .read(store, at, &mut buf)
        .map_err(|e| WasmError::Output(format!("reading {len} bytes at {at}: {e}")))?;
    Ok(buf)
}

fn write(
    memory: &Memory,
    store: &mut Store<StoreLimits>,
    at: u64,
    bytes: &[u8],
) -> Result<(), WasmError> {
    let at = usize::try_from(at).map_err(|_| WasmError::Output("offset too large".to_owned()))?;
    memory
        .write(store, at, bytes)
        .map_err(|e| WasmError::Output(format!("writing {} bytes at {at}: {e}", bytes.len())))
}
