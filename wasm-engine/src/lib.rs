//! `bona-runtime` as a self-contained WebAssembly module (ABI version 2, `docs/wasm-abi.md`).
//!
//! This crate is compiled once for `wasm32-unknown-unknown` (`scripts/build-wasm-engine.sh`)
//! and committed as `bona-engine.wasm`. The engine carries no policies: `bona build --target
//! wasm` copies it and places a policy bundle at the start of its heap region (after
//! `__heap_base`, see [`embedded_bundle`]), growing the initial memory to hold it. So the module
//! that users run holds the whole runtime — reference parsing, globs, facts, signatures, the
//! table and docs/decisions.md's rules — and its policies, imports nothing, and answers with exactly the
//! JSON of `bona eval --format json` and `bona audit --format json`.
//!
//! The host's side is small: write a document into a buffer the module hands out
//! ([`bona_buffer`]), call [`bona_eval`], [`bona_review`] or [`bona_audit`] with the current
//! time, read the output ([`bona_output_ptr`], [`bona_output_len`]). Everything a call needs
//! is in the module's own memory, so the exports are safe Rust apart from the `no_mangle`
//! attributes and the one read of the embedded bundle.
//!
//! On every other target the crate is empty.

#![cfg(target_family = "wasm")]

use std::cell::RefCell;

use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;
use bona_runtime::input::{
    ReviewOptions, is_kubectl_list, parse_admission_input, parse_admission_review, parse_inventory,
    parse_kubectl_list,
};
use bona_runtime::signature::VerificationCache;
use bona_wasm::abi::{
    self, ABI_VERSION, POLICY_HEADER, POLICY_MAGIC, STATUS_BAD_INPUT, STATUS_NO_POLICY, STATUS_OK,
};

/// The input buffers: the document, the facts document (empty: none), the options.
const SLOTS: usize = 3;
const SLOT_DOCUMENT: usize = abi::SLOT_DOCUMENT as usize;
const SLOT_FACTS: usize = abi::SLOT_FACTS as usize;
const SLOT_OPTIONS: usize = abi::SLOT_OPTIONS as usize;

/// The module's state: one instance serves one caller at a time (wasm is single-threaded).
struct State {
    buffers: [Vec<u8>; SLOTS],
    output: Vec<u8>,
    /// Loaded on the first call; the error is kept so every call reports it.
    engine: Option<Result<Engine, String>>,
    /// Signature verifications, remembered across calls of this instance.
    cache: VerificationCache,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        buffers: Default::default(),
        output: Vec::new(),
        engine: None,
        cache: VerificationCache::new(),
    });
}

#[expect(
    unsafe_code,
    reason = "the linker's symbol is reached through an extern block"
)]
unsafe extern "C" {
    /// The linker's first address past the stack and static data: nothing of the program
    /// lives at or after it in the initial memory, since the allocator takes only pages it
    /// grows (`memory.grow`).
    static __heap_base: u8;
}

/// The bundle `bona build --target wasm` placed at the first 8-aligned address at or after
/// `__heap_base`, or `None` when there is none (the bare engine).
fn embedded_bundle() -> Option<&'static [u8]> {
    let start = ((&raw const __heap_base) as usize).next_multiple_of(8);
    let memory = core::arch::wasm32::memory_size(0).checked_mul(65_536)?;
    let header_end = start.checked_add(POLICY_HEADER)?;
    if header_end > memory {
        return None;
    }
    let read = |from: usize, len: usize| -> &'static [u8] {
        #[expect(
            unsafe_code,
            reason = "the builder's region is outside every Rust allocation, so it is reached \
                      by address; the caller checked it lies inside the memory, and nothing \
                      writes it (see `__heap_base`)"
        )]
        // SAFETY: `from..from + len` is inside the linear memory (checked by the callers), is
        // never written after instantiation, and wasm memory is never unmapped.
        unsafe {
            std::slice::from_raw_parts(from as *const u8, len)
        }
    };
    let header = read(start, POLICY_HEADER);
    if &header[..8] != POLICY_MAGIC {
        return None;
    }
    let len = u32::from_le_bytes([header[8], header[9], header[10], header[11]]) as usize;
    let end = header_end.checked_add(len)?;
    (end <= memory).then(|| read(header_end, len))
}

fn load_engine() -> Result<Engine, String> {
    let bundle = embedded_bundle().ok_or_else(|| {
        "this module holds no policy set: it is Bona's bare engine; make a policy module with \
         `bona build POLICIES -o policies.wasm --target wasm`"
            .to_owned()
    })?;
    Engine::from_bundle(bundle).map_err(|e| format!("the module's policy set: {e}"))
}

/// Returns the address of `len` writable bytes for input `slot` (0 the document, 1 the facts
/// document, 2 the options), or 0 for an unknown slot. The bytes stay valid until the next
/// `bona_buffer` call for the same slot; a length of 0 empties the slot.
#[expect(unsafe_code, reason = "a wasm export needs an unmangled name")]
#[unsafe(no_mangle)]
pub extern "C" fn bona_buffer(slot: u32, len: u32) -> *mut u8 {
    STATE.with_borrow_mut(|state| match state.buffers.get_mut(slot as usize) {
        Some(buffer) => {
            buffer.clear();
            buffer.resize(len as usize, 0);
            buffer.as_mut_ptr()
        }
        None => std::ptr::null_mut(),
    })
}

/// The ABI version (2).
#[expect(unsafe_code, reason = "a wasm export needs an unmangled name")]
#[unsafe(no_mangle)]
pub extern "C" fn bona_abi_version() -> u32 {
    ABI_VERSION
}

/// The address of the last call's output.
#[expect(unsafe_code, reason = "a wasm export needs an unmangled name")]
#[unsafe(no_mangle)]
pub extern "C" fn bona_output_ptr() -> *const u8 {
    STATE.with_borrow(|state| state.output.as_ptr())
}

/// The length in bytes of the last call's output.
#[expect(unsafe_code, reason = "a wasm export needs an unmangled name")]
#[unsafe(no_mangle)]
pub extern "C" fn bona_output_len() -> u32 {
    STATE.with_borrow(|state| state.output.len() as u32)
}

/// One admission decision (docs/output.md#admission-input) of the admission input in slot 0, with the facts
/// document in slot 1 when it is not empty. `now` (unix seconds) is used when the input has
/// no `time`. Output: the decision JSON of `bona eval --format json`.
#[expect(unsafe_code, reason = "a wasm export needs an unmangled name")]
#[unsafe(no_mangle)]
pub extern "C" fn bona_eval(now: i64) -> u32 {
    call(|state, engine| {
        let input = parse_admission_input(&state.buffers[SLOT_DOCUMENT])
            .map_err(|e| format!("input: {e}"))?;
        let facts = facts(state)?;
        let decision = engine.evaluate(&input, facts.as_ref(), now, &mut state.cache);
        serde_json::to_vec_pretty(&decision).map_err(|e| e.to_string())
    })
}

/// The same decision for a Kubernetes AdmissionReview (v1) in slot 0; slot 2 may hold
/// `{"cluster": NAME, "cloud": NAME}` (docs/spec-map.md#details: both default to `""`).
#[expect(unsafe_code, reason = "a wasm export needs an unmangled name")]
#[unsafe(no_mangle)]
pub extern "C" fn bona_review(now: i64) -> u32 {
    call(|state, engine| {
        let opts = options(state)?;
        let review = parse_admission_review(&state.buffers[SLOT_DOCUMENT], &opts)
            .map_err(|e| format!("admission review: {e}"))?;
        let facts = facts(state)?;
        let decision = engine.evaluate(&review.input, facts.as_ref(), now, &mut state.cache);
        serde_json::to_vec_pretty(&decision).map_err(|e| e.to_string())
    })
}

/// The posture issues (docs/output.md#bona-audit) of the inventory in slot 0: Bona's inventory, or a
/// `kubectl get pods -A -o json` list whose assets take the cluster and cloud of slot 2.
/// Output: `{"issues": [...]}`, as `bona audit --format json`.
#[expect(unsafe_code, reason = "a wasm export needs an unmangled name")]
#[unsafe(no_mangle)]
pub extern "C" fn bona_audit(now: i64) -> u32 {
    call(|state, engine| {
        let opts = options(state)?;
        let document = &state.buffers[SLOT_DOCUMENT];
        let inventory = if is_kubectl_list(document) {
            parse_kubectl_list(document, &opts)
        } else {
            parse_inventory(document)
        }
        .map_err(|e| format!("inventory: {e}"))?;
        let facts = facts(state)?;
        let audit = engine.audit(&inventory, facts.as_ref(), now, &mut state.cache);
        serde_json::to_vec_pretty(&audit).map_err(|e| e.to_string())
    })
}

/// Runs one call: loads the engine on first use, then `f`, and stores its output or message.
fn call(f: impl FnOnce(&mut State, &Engine) -> Result<Vec<u8>, String>) -> u32 {
    STATE.with_borrow_mut(|state| {
        let engine = state.engine.take().unwrap_or_else(load_engine);
        let status = match &engine {
            Err(message) => {
                state.output = message.clone().into_bytes();
                STATUS_NO_POLICY
            }
            Ok(engine) => match f(state, engine) {
                Ok(output) => {
                    state.output = output;
                    STATUS_OK
                }
                Err(message) => {
                    state.output = message.into_bytes();
                    STATUS_BAD_INPUT
                }
            },
        };
        state.engine = Some(engine);
        status
    })
}

fn facts(state: &State) -> Result<Option<FactsDocument>, String> {
    let bytes = &state.buffers[SLOT_FACTS];
    if bytes.is_empty() {
        return Ok(None);
    }
    FactsDocument::from_json(bytes)
        .map(Some)
        .map_err(|e| format!("facts: {e}"))
}

/// The options of slot 2: empty, or an object with `cluster` and `cloud` strings.
fn options(state: &State) -> Result<ReviewOptions, String> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default, deny_unknown_fields)]
    struct Options {
        cluster: String,
        cloud: String,
    }
    let bytes = &state.buffers[SLOT_OPTIONS];
    let o: Options = if bytes.is_empty() {
        Options::default()
    } else {
        serde_json::from_slice(bytes).map_err(|e| format!("options: {e}"))?
    };
    Ok(ReviewOptions {
        cluster: o.cluster,
        cloud: o.cloud,
    })
}
