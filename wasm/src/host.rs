//! A wasmtime host for policy modules written by `bona build --target wasm` (feature `wasm`).
//!
//! [`WasmPolicy::new`] compiles a module once and checks that it speaks ABI version 2
//! ([`crate::abi`]). [`WasmPolicy::instance`] makes a [`WasmInstance`], which keeps the
//! module's state between calls (the engine it loads from its bundle on the first call, its
//! signature cache); the one-shot methods of [`WasmPolicy`] make a fresh instance per call.
//! Each call copies the documents into the module, runs it, and parses its JSON output into the
//! runtime's own [`Decision`] or [`Audit`], so a caller cannot tell the module from the
//! [`bona_runtime::Engine`] but by the speed.
//!
//! # Limits
//! Every instance has a memory ceiling ([`WasmOptions::memory_bytes`]) and every call a fuel
//! allowance ([`WasmOptions::fuel`]); running out of either, a trap, a missing export or an
//! output that is not the expected JSON is a [`WasmError`], never a panic or a partial result.

use std::fmt;

use wasmtime::{
    Config, Engine as WasmEngine, Instance, Memory, Module, Store, StoreLimits, StoreLimitsBuilder,
    Trap, TypedFunc,
};

use crate::abi::{
    ABI_EXPORT, ABI_VERSION, AUDIT_EXPORT, BUFFER_EXPORT, EVAL_EXPORT, MEMORY_EXPORT,
    OUTPUT_LEN_EXPORT, OUTPUT_PTR_EXPORT, REVIEW_EXPORT, SLOT_DOCUMENT, SLOT_FACTS, SLOT_OPTIONS,
    STATUS_BAD_INPUT, STATUS_NO_POLICY, STATUS_OK,
};
use bona_runtime::input::ReviewOptions;
use bona_runtime::output::{Audit, Decision};

/// The default memory ceiling of one instance: 256 MiB.
pub const DEFAULT_MEMORY_LIMIT: usize = 256 << 20;

/// The default fuel of one call: about ten seconds of the module's work, far more than any
/// decision takes (a few microseconds) or an audit of a large inventory.
pub const DEFAULT_FUEL: u64 = 20_000_000_000;

/// Why a module cannot be loaded or a call cannot be answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WasmError {
    /// The bytes are not a valid wasm module (or wasmtime refuses it).
    Module(String),
    /// The module lacks an export of the ABI, or has it with another type.
    Export(String),
    /// The module implements another ABI version.
    Abi { found: u32, supported: u32 },
    /// The module holds no policy set, or a corrupt one (the module's message).
    NoPolicy(String),
    /// A document is malformed (the module's message, naming the document and the place).
    BadInput(String),
    /// Instantiation failed (a memory larger than the limit, a bad data segment…).
    Instantiate(String),
    /// The call ran out of fuel.
    OutOfFuel { fuel: u64 },
    /// The module trapped (or ran out of memory).
    Trap(String),
    /// The module's output is not what the ABI promises.
    Output(String),
}

impl fmt::Display for WasmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WasmError::Module(e) => write!(f, "not a loadable wasm module: {e}"),
            WasmError::Export(e) => write!(f, "not a Bona policy module: {e}"),
            WasmError::Abi { found, supported } => write!(
                f,
                "the module implements Bona's wasm ABI version {found}, and this host \
                 version {supported}: rebuild it with `bona build --target wasm` of this Bona"
            ),
            WasmError::NoPolicy(e) | WasmError::BadInput(e) => f.write_str(e),
            WasmError::Instantiate(e) => write!(f, "the module cannot be instantiated: {e}"),
            WasmError::OutOfFuel { fuel } => {
                write!(
                    f,
                    "the module ran out of fuel ({fuel} units) before answering"
                )
            }
            WasmError::Trap(e) => write!(f, "the module trapped: {e}"),
            WasmError::Output(e) => write!(f, "the module's output is not valid: {e}"),
        }
    }
}

impl std::error::Error for WasmError {}

/// How a module is compiled, and the limits of its instances and calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmOptions {
    /// Fuel for one call.
    pub fuel: u64,
    /// The most linear memory an instance may use, in bytes.
    pub memory_bytes: usize,
    /// Which of wasmtime's compilers.
    pub compiler: WasmCompiler,
}

/// wasmtime's two compilers: the choice is between compiling fast and running fast.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WasmCompiler {
    /// Cranelift: seconds to compile the engine, the fastest decisions. For a host that keeps
    /// the module loaded.
    #[default]
    Optimizing,
    /// Winch, a single-pass compiler: about a tenth of the compile time, slower code. For one
    /// decision (`bona eval`).
    Baseline,
}

impl Default for WasmOptions {
    fn default() -> Self {
        WasmOptions {
            fuel: DEFAULT_FUEL,
            memory_bytes: DEFAULT_MEMORY_LIMIT,
            compiler: WasmCompiler::default(),
        }
    }
}

/// A compiled policy module.
pub struct WasmPolicy {
    engine: WasmEngine,
    module: Module,
    options: WasmOptions,
}

impl fmt::Debug for WasmPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmPolicy")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl WasmPolicy {
    /// Compiles `bytes` with the default limits and checks its ABI.
    ///
    /// # Errors
    /// The bytes are not a module wasmtime accepts, or not one of this ABI.
    pub fn new(bytes: &[u8]) -> Result<WasmPolicy, WasmError> {
        WasmPolicy::with_options(bytes, WasmOptions::default())
    }

    /// [`WasmPolicy::new`] with another compiler or other limits.
    ///
    /// # Errors
    /// As [`WasmPolicy::new`].
    pub fn with_options(bytes: &[u8], options: WasmOptions) -> Result<WasmPolicy, WasmError> {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.strategy(match options.compiler {
            WasmCompiler::Optimizing => wasmtime::Strategy::Cranelift,
            WasmCompiler::Baseline => wasmtime::Strategy::Winch,
        });
        let engine = WasmEngine::new(&config).map_err(|e| WasmError::Module(e.to_string()))?;
        let module = Module::new(&engine, bytes).map_err(|e| WasmError::Module(e.to_string()))?;
        let policy = WasmPolicy {
            engine,
            module,
            options,
        };
        // Reading the version instantiates the module: a module that would fail later fails
        // here, once.
        policy.instance()?;
        Ok(policy)
    }

    /// A fresh instance, for a series of calls.
    ///
    /// # Errors
    /// Instantiation fails, an export is missing or mistyped, or the ABI version differs.
    pub fn instance(&self) -> Result<WasmInstance, WasmError> {
        WasmInstance::new(self)
    }

    /// [`WasmInstance::evaluate`] on a fresh instance.
    ///
    /// # Errors
    /// As [`WasmInstance::evaluate`].
    pub fn evaluate(
        &self,
        input: &[u8],
        facts: Option<&[u8]>,
        now: i64,
    ) -> Result<Decision, WasmError> {
        self.instance()?.evaluate(input, facts, now)
    }

    /// [`WasmInstance::review`] on a fresh instance.
    ///
    /// # Errors
    /// As [`WasmInstance::review`].
    pub fn review(
        &self,
        review: &[u8],
        opts: &ReviewOptions,
        facts: Option<&[u8]>,
        now: i64,
    ) -> Result<Decision, WasmError> {
        self.instance()?.review(review, opts, facts, now)
    }

    /// [`WasmInstance::audit`] on a fresh instance.
    ///
    /// # Errors
    /// As [`WasmInstance::audit`].
    pub fn audit(
        &self,
        inventory: &[u8],
        opts: &ReviewOptions,
        facts: Option<&[u8]>,
        now: i64,
    ) -> Result<Audit, WasmError> {
        self.instance()?.audit(inventory, opts, facts, now)
    }
}

/// One instance of a policy module: its memory, exports and state.
pub struct WasmInstance {
    store: Store<StoreLimits>,
    memory: Memory,
    buffer: TypedFunc<(u32, u32), u32>,
    eval: TypedFunc<i64, u32>,
    review: TypedFunc<i64, u32>,
    audit: TypedFunc<i64, u32>,
    output_ptr: TypedFunc<(), u32>,
    output_len: TypedFunc<(), u32>,
    fuel: u64,
}

fn typed<P, R>(
    store: &mut Store<StoreLimits>,
    i: &Instance,
    name: &str,
) -> Result<TypedFunc<P, R>, WasmError>
where
    P: wasmtime::WasmParams,
    R: wasmtime::WasmResults,
{
    i.get_typed_func::<P, R>(&mut *store, name)
        .map_err(|e| WasmError::Export(format!("export `{name}`: {e}")))
}

impl WasmInstance {
    fn new(policy: &WasmPolicy) -> Result<WasmInstance, WasmError> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(policy.options.memory_bytes)
            .instances(1)
            .build();
        let mut store = Store::new(&policy.engine, limits);
        store.limiter(|l| l);
        let fuel = policy.options.fuel;
        store
            .set_fuel(fuel)
            .map_err(|e| WasmError::Instantiate(e.to_string()))?;
        let instance = Instance::new(&mut store, &policy.module, &[])
            .map_err(|e| WasmError::Instantiate(format!("{e:#}")))?;
        let memory = instance
            .get_memory(&mut store, MEMORY_EXPORT)
            .ok_or_else(|| WasmError::Export(format!("no memory `{MEMORY_EXPORT}`")))?;
        let abi: TypedFunc<(), u32> = typed(&mut store, &instance, ABI_EXPORT)?;
        let found = abi
            .call(&mut store, ())
            .map_err(|e| WasmError::Trap(format!("{e:#}")))?;
        if found != ABI_VERSION {
            return Err(WasmError::Abi {
                found,
                supported: ABI_VERSION,
            });
        }
        Ok(WasmInstance {
            buffer: typed(&mut store, &instance, BUFFER_EXPORT)?,
            eval: typed(&mut store, &instance, EVAL_EXPORT)?,
            review: typed(&mut store, &instance, REVIEW_EXPORT)?,
            audit: typed(&mut store, &instance, AUDIT_EXPORT)?,
            output_ptr: typed(&mut store, &instance, OUTPUT_PTR_EXPORT)?,
            output_len: typed(&mut store, &instance, OUTPUT_LEN_EXPORT)?,
            store,
            memory,
            fuel,
        })
    }

    /// One admission decision of an admission input (docs/output.md#admission-input, Bona's own JSON), with an
    /// optional facts document; `now` (unix seconds) when the input has no `time`. The same
    /// [`Decision`] as [`bona_runtime::Engine::evaluate`].
    ///
    /// # Errors
    /// [`WasmError::BadInput`] for a malformed document (its message names it: `input: …`,
    /// `facts: …`); the others when the module misbehaves or exceeds its limits.
    pub fn evaluate(
        &mut self,
        input: &[u8],
        facts: Option<&[u8]>,
        now: i64,
    ) -> Result<Decision, WasmError> {
        self.put(SLOT_DOCUMENT, input)?;
        self.put(SLOT_FACTS, facts.unwrap_or_default())?;
        let eval = self.eval.clone();
        let output = self.run(&eval, now)?;
        parse_output(&output)
    }

    /// One admission decision of a Kubernetes AdmissionReview (v1), as
    /// `bona eval --admission-review` makes it.
    ///
    /// # Errors
    /// As [`WasmInstance::evaluate`].
    pub fn review(
        &mut self,
        review: &[u8],
        opts: &ReviewOptions,
        facts: Option<&[u8]>,
        now: i64,
    ) -> Result<Decision, WasmError> {
        self.put(SLOT_DOCUMENT, review)?;
        self.put(SLOT_FACTS, facts.unwrap_or_default())?;
        self.put(SLOT_OPTIONS, &options_json(opts))?;
        let f = self.review.clone();
        let output = self.run(&f, now)?;
        parse_output(&output)
    }

    /// The posture issues of an inventory (docs/output.md#bona-audit: Bona's inventory, or a kubectl list
    /// whose assets take `opts`), as `bona audit` finds them.
    ///
    /// # Errors
    /// As [`WasmInstance::evaluate`].
    pub fn audit(
        &mut self,
        inventory: &[u8],
        opts: &ReviewOptions,
        facts: Option<&[u8]>,
        now: i64,
    ) -> Result<Audit, WasmError> {
        self.put(SLOT_DOCUMENT, inventory)?;
        self.put(SLOT_FACTS, facts.unwrap_or_default())?;
        self.put(SLOT_OPTIONS, &options_json(opts))?;
        let f = self.audit.clone();
        let output = self.run(&f, now)?;
        parse_output(&output)
    }

    /// Copies `bytes` into the module's buffer for `slot`.
    fn put(&mut self, slot: u32, bytes: &[u8]) -> Result<(), WasmError> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| WasmError::BadInput("a document over 4 GiB".into()))?;
        self.refuel()?;
        let ptr = self
            .buffer
            .call(&mut self.store, (slot, len))
            .map_err(|e| trap(e, self.fuel))?;
        if ptr == 0 && len > 0 {
            return Err(WasmError::Output(format!("no buffer for slot {slot}")));
        }
        self.memory
            .write(&mut self.store, ptr as usize, bytes)
            .map_err(|e| WasmError::Output(format!("buffer of slot {slot}: {e}")))
    }

    /// Calls an entry point and returns its output.
    fn run(&mut self, f: &TypedFunc<i64, u32>, now: i64) -> Result<Vec<u8>, WasmError> {
        self.refuel()?;
        let status = f
            .call(&mut self.store, now)
            .map_err(|e| trap(e, self.fuel))?;
        let ptr = self
            .output_ptr
            .call(&mut self.store, ())
            .map_err(|e| trap(e, self.fuel))?;
        let len = self
            .output_len
            .call(&mut self.store, ())
            .map_err(|e| trap(e, self.fuel))?;
        let mut output = vec![0; len as usize];
        self.memory
            .read(&self.store, ptr as usize, &mut output)
            .map_err(|e| WasmError::Output(format!("output out of bounds: {e}")))?;
        let text = || String::from_utf8_lossy(&output).into_owned();
        match status {
            STATUS_OK => Ok(output),
            STATUS_NO_POLICY => Err(WasmError::NoPolicy(text())),
            STATUS_BAD_INPUT => Err(WasmError::BadInput(text())),
            other => Err(WasmError::Output(format!("unknown status {other}"))),
        }
    }

    fn refuel(&mut self) -> Result<(), WasmError> {
        self.store
            .set_fuel(self.fuel)
            .map_err(|e| WasmError::Trap(e.to_string()))
    }
}

fn options_json(opts: &ReviewOptions) -> Vec<u8> {
    serde_json::json!({ "cluster": opts.cluster, "cloud": opts.cloud })
        .to_string()
        .into_bytes()
}

fn parse_output<T: serde::de::DeserializeOwned>(output: &[u8]) -> Result<T, WasmError> {
    serde_json::from_slice(output).map_err(|e| WasmError::Output(e.to_string()))
}

fn trap(e: wasmtime::Error, fuel: u64) -> WasmError {
    if e.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) {
        WasmError::OutOfFuel { fuel }
    } else {
        WasmError::Trap(format!("{e:#}"))
    }
}
