//! `bona build --target wasm`: Bona's wasm engine with one policy set inside (feature
//! `wasm-build`).
//!
//! [`ENGINE`] is `bona-runtime` compiled for `wasm32-unknown-unknown` (`wasm-engine/`, rebuilt
//! by `scripts/build-wasm-engine.sh`). [`build`] copies it section by section and changes three
//! things, so that the result is one module with no imports:
//!
//! - the data section gains a segment holding the policy region of [`crate::abi`]
//!   (magic, length, then the bundle of [`bona_runtime::bundle::write_bundle`]) at the first aligned
//!   address at or after the engine's `__heap_base`, where the linker put nothing and the
//!   allocator never looks (it takes only pages it grows); the data count section follows;
//! - the memory's initial size grows to hold that region;
//! - a custom section [`MANIFEST_SECTION`] in front says what the module holds.
//!
//! Every other byte of the engine is kept, so the policy module runs exactly the code the
//! conformance corpus tested.

use std::fmt;

use wasm_encoder::{ConstExpr, CustomSection, DataSection, MemorySection, MemoryType, RawSection};
use wasmparser::{DataKind, ExternalKind, MemoryType as ParsedMemory, Operator, Parser, Payload};

use crate::abi::{MANIFEST_SECTION, Manifest, PAGE, POLICY_ALIGN, POLICY_HEADER, POLICY_MAGIC};
use bona_runtime::bundle::write_bundle;
use bona_runtime::ir::PolicySet;

/// The engine: `wasm-engine/` built by `scripts/build-wasm-engine.sh`.
pub const ENGINE: &[u8] = include_bytes!("../../wasm-engine/bona-engine.wasm");

/// Why a module could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError(pub String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl From<wasmparser::BinaryReaderError> for BuildError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        BuildError(format!("the wasm engine is malformed: {e}"))
    }
}

/// Writes `set` as a policy module on Bona's own [`ENGINE`].
///
/// # Errors
/// Only if the engine were not the one this crate ships, or the set too large for a 4 GiB
/// memory.
pub fn build(set: &PolicySet) -> Result<Vec<u8>, BuildError> {
    build_on(ENGINE, set)
}

/// What [`build`] needs to know of an engine.
struct EngineFacts {
    heap_base: usize,
    memory: ParsedMemory,
}

fn engine_facts(engine: &[u8]) -> Result<EngineFacts, BuildError> {
    let mut heap_base_global = None;
    let mut globals: Vec<Option<i64>> = Vec::new();
    let mut memory = None;
    let mut imports = 0;
    for payload in Parser::new(0).parse_all(engine) {
        match payload? {
            Payload::ImportSection(reader) => imports += reader.count(),
            Payload::MemorySection(reader) => {
                for m in reader {
                    memory = Some(m?);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g?;
                    let mut ops = g.init_expr.get_operators_reader();
                    globals.push(match ops.read()? {
                        Operator::I32Const { value } => Some(i64::from(value)),
                        _ => None,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e?;
                    if e.name == "__heap_base" && e.kind == ExternalKind::Global {
                        heap_base_global = Some(e.index as usize);
                    }
                }
            }
            _ => {}
        }
    }
    if imports != 0 {
        return Err(BuildError("the wasm engine has imports".into()));
    }
    let heap_base = heap_base_global
        .and_then(|i| globals.get(i).copied().flatten())
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| BuildError("the wasm engine exports no `__heap_base`".into()))?;
    let memory = memory.ok_or_else(|| BuildError("the wasm engine has no memory".into()))?;
    Ok(EngineFacts { heap_base, memory })
}

/// [`build`] on a given engine (tests use a bare one).
///
/// # Errors
/// The engine lacks what the ABI needs (a memory, an exported `__heap_base`, no imports), or
/// the set does not fit a 32-bit memory.
pub fn build_on(engine: &[u8], set: &PolicySet) -> Result<Vec<u8>, BuildError> {
    let facts = engine_facts(engine)?;
    let bundle = write_bundle(set);
    let start = facts.heap_base.next_multiple_of(POLICY_ALIGN);
    let too_large = || BuildError("the policy set is too large for a wasm module".into());
    let len = u32::try_from(bundle.len()).map_err(|_| too_large())?;
    let end = start + POLICY_HEADER + bundle.len();
    let pages = u64::try_from(end.div_ceil(PAGE)).map_err(|_| too_large())?;
    if pages > 65_536 {
        return Err(too_large());
    }
    let mut region = Vec::with_capacity(POLICY_HEADER + bundle.len());
    region.extend_from_slice(POLICY_MAGIC);
    region.extend_from_slice(&len.to_le_bytes());
    region.extend_from_slice(&[0; 4]);
    region.extend_from_slice(&bundle);
    let offset = i32::try_from(start).map_err(|_| too_large())?;

    let manifest = serde_json::to_vec(&Manifest::of_set(set))
        .map_err(|e| BuildError(format!("cannot write the manifest: {e}")))?;
    let mut out = Vec::with_capacity(engine.len() + region.len() + manifest.len() + 64);
    out.extend_from_slice(&engine[..8]);
    push_section(
        &mut out,
        &CustomSection {
            name: MANIFEST_SECTION.into(),
            data: manifest.as_slice().into(),
        },
    );
    let mut wrote_data = false;
    for payload in Parser::new(0).parse_all(engine) {
        let payload = payload?;
        match &payload {
            Payload::MemorySection(_) => {
                let m = facts.memory;
                let mut section = MemorySection::new();
                section.memory(MemoryType {
                    minimum: m.initial.max(pages),
                    maximum: m.maximum.map(|max| max.max(pages)),
                    memory64: m.memory64,
                    shared: m.shared,
                    page_size_log2: m.page_size_log2,
                });
                push_section(&mut out, &section);
            }
            Payload::DataCountSection { count, .. } => {
                push_section(
                    &mut out,
                    &RawSection {
                        id: wasm_encoder::SectionId::DataCount as u8,
                        data: &leb128(count + 1),
                    },
                );
            }
            Payload::DataSection(reader) => {
                let mut section = DataSection::new();
                for data in reader.clone() {
                    let data = data?;
                    match data.kind {
                        DataKind::Passive => {
                            section.passive(data.data.iter().copied());
                        }
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => {
                            let mut ops = offset_expr.get_operators_reader();
                            let Operator::I32Const { value } = ops.read()? else {
                                return Err(BuildError(
                                    "the wasm engine has a data segment at a computed address"
                                        .into(),
                                ));
                            };
                            section.active(
                                memory_index,
                                &ConstExpr::i32_const(value),
                                data.data.iter().copied(),
                            );
                        }
                    }
                }
                section.active(0, &ConstExpr::i32_const(offset), region.iter().copied());
                push_section(&mut out, &section);
                wrote_data = true;
            }
            Payload::End(_) => {
                if !wrote_data {
                    let mut section = DataSection::new();
                    section.active(0, &ConstExpr::i32_const(offset), region.iter().copied());
                    push_section(&mut out, &section);
                }
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    push_section(
                        &mut out,
                        &RawSection {
                            id,
                            data: &engine[range],
                        },
                    );
                }
            }
        }
    }
    Ok(out)
}

fn push_section(out: &mut Vec<u8>, section: &impl wasm_encoder::Section) {
    out.push(section.id());
    section.encode(out);
}

fn leb128(mut v: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// The manifest of a policy module, or `None` when it has none (or it is not JSON of this
/// ABI).
pub fn manifest(module: &[u8]) -> Option<Manifest> {
    for payload in Parser::new(0).parse_all(module) {
        if let Ok(Payload::CustomSection(reader)) = payload
            && reader.name() == MANIFEST_SECTION
        {
            return serde_json::from_slice(reader.data()).ok();
        }
    }
    None
}
