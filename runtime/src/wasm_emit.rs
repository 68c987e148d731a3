//! `bona build --target wasm`: a policy set as a self-contained wasm module (feature
//! `wasm-emit`, wasm-encoder only).
//!
//! The module implements the ABI of [`crate::wasm_abi`]: the host writes atom values, the module
//! computes every scope, verdict and resolution of SPEC 4.2. Its shape:
//!
//! - function 0, exported as [`EVAL_EXPORT`]: checks that the image records fit the memory,
//!   calls every scope function once, then for each image and each applicable policy that
//!   policy's function, and applies rules 1 and 3–5 itself;
//! - functions `1..=P`, `policy_p(record) -> trusted`: v(p,i) as straight-line code over the
//!   record's atom bytes, writes v and r(p,i) (rule 2, whose on-unknown branch is a constant per
//!   policy) into the record and returns r;
//! - functions `P+1..=2P`, `scope_p() -> bits`: writes `applicable[p]` and returns bit 0
//!   "applies", bit 1 "applies and is a `prevent` policy";
//! - one table of those 2P functions, called with `call_indirect`, so that function 0 stays a
//!   small loop whatever the number of policies (a 10,000-policy set compiles as 20,001 small
//!   functions, which wasmtime compiles in parallel, instead of one huge one).
//!
//! # Tri-state arithmetic
//! Inside the module a tri-state value is a *rank*: false 0, unknown 1, true 2. Kleene's `and`
//! is then `min`, `or` is `max` and `not` is `2 - x` (SPEC 2.5; no excluded middle is assumed
//! because nothing is simplified). Atom bytes become ranks through a 256-byte table in memory,
//! which also makes every byte other than 0 and 1 read as unknown; verdicts go back through a
//! 3-byte table.

use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, CustomSection, DataSection, ElementSection, Elements,
    ExportKind, ExportSection, Function, FunctionSection, InstructionSink, MemArg, MemorySection,
    MemoryType, Module, RefType, TableSection, TableType, TypeSection, ValType,
};

use crate::ir::{Action, Expr, PolicySet};
use crate::wasm_abi::{
    ABI_VERSION, AbiError, EVAL_EXPORT, Layout, MANIFEST_SECTION, MEMORY_EXPORT, Manifest,
    NOT_APPLICABLE, RANK_TABLE_OFFSET, UNRANK_TABLE_OFFSET,
};

/// Type 0: `() -> i32` (scope functions).
const TY_SCOPE: u32 = 0;
/// Type 1: `(i32) -> i32` (policy functions and the entry point).
const TY_POLICY: u32 = 1;

/// Ranks of the internal tri-state encoding.
const RANK_FALSE: i32 = 0;
const RANK_TRUE: i32 = 2;

/// A memory operand; wasm-encoder 0.263 changed `MemArg`, so it is built in one place.
fn mem(offset: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align: 0,
        memory_index: 0,
    }
}

/// Writes a policy set as a wasm module (the manifest embedded).
///
/// # Errors
/// The set is not one a module can carry: duplicate policy names, a `signed by` naming no key,
/// or more than 4 GiB of layout.
pub fn emit(set: &PolicySet) -> Result<Vec<u8>, AbiError> {
    let manifest = Manifest::of_set(set)?;
    Ok(emit_manifest(&manifest))
}

/// Writes the module for an already numbered manifest.
pub fn emit_manifest(manifest: &Manifest) -> Vec<u8> {
    let layout = manifest.layout;
    let p = manifest.policies.len() as u32;
    let mut module = Module::new();

    // The manifest first, so that a host reads it after a few bytes.
    // INVARIANT: the manifest is plain data; serialising it into memory cannot fail.
    let json = serde_json::to_vec(manifest).unwrap_or_default();
    module.section(&CustomSection {
        name: MANIFEST_SECTION.into(),
        data: json.as_slice().into(),
    });

    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    types.ty().function([ValType::I32], [ValType::I32]);
    module.section(&types);

    let mut funcs = FunctionSection::new();
    funcs.function(TY_POLICY);
    for _ in 0..p {
        funcs.function(TY_POLICY);
    }
    for _ in 0..p {
        funcs.function(TY_SCOPE);
    }
    module.section(&funcs);

    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: u64::from(2 * p),
        maximum: Some(u64::from(2 * p)),
        shared: false,
    });
    module.section(&tables);

    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: u64::from(layout.initial_pages),
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);

    let mut exports = ExportSection::new();
    exports
        .export(MEMORY_EXPORT, ExportKind::Memory, 0)
        .export(EVAL_EXPORT, ExportKind::Func, 0);
    module.section(&exports);

    if p > 0 {
        let mut elements = ElementSection::new();
        let indices: Vec<u32> = (1..=2 * p).collect();
        elements.active(
            Some(0),
            &ConstExpr::i32_const(0),
            Elements::Functions(indices.into()),
        );
        module.section(&elements);
    }

    let mut code = CodeSection::new();
    code.function(&entry(&layout, p));
    for (k, policy) in manifest.policies.iter().enumerate() {
        let lenient = policy.action == Action::Prevent && policy.on_unknown == Action::Issue;
        code.function(&policy_function(&layout, k as u32, &policy.rules, lenient));
    }
    for (k, policy) in manifest.policies.iter().enumerate() {
        let prevent = policy.action == Action::Prevent;
        code.function(&scope_function(
            &layout,
            k as u32,
            policy.scope.as_ref(),
            prevent,
        ));
    }
    module.section(&code);

    let mut data = DataSection::new();
    let header = [
        ABI_VERSION,
        p,
        manifest.asset_atoms.len() as u32,
        manifest.image_atoms.len() as u32,
        layout.images,
        layout.image_stride,
    ];
    data.active(
        0,
        &ConstExpr::i32_const(0),
        header
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    // Byte → rank: 0 false, 1 true, anything else unknown.
    let rank: Vec<u8> = (0..=255u8)
        .map(|b| match b {
            0 => 0,
            1 => 2,
            _ => 1,
        })
        .collect();
    data.active(0, &ConstExpr::i32_const(RANK_TABLE_OFFSET as i32), rank);
    // Rank → byte: false 0, unknown 2, true 1.
    data.active(
        0,
        &ConstExpr::i32_const(UNRANK_TABLE_OFFSET as i32),
        [0u8, 2, 1],
    );
    module.section(&data);

    module.finish()
}

/// Where an expression's atoms are read from.
#[derive(Clone, Copy)]
enum Atoms {
    /// Image atoms: local 0 holds the record's address.
    Record,
    /// Asset atoms: a fixed region.
    Asset(u32),
}

/// Emits expressions over atom ranks. Depth `d` uses locals `first + 2d` (accumulator) and
/// `first + 2d + 1` (operand), so nested connectives never clobber each other.
struct ExprEmitter {
    atoms: Atoms,
    first_local: u32,
}

fn depth(e: &Expr<u32>) -> u32 {
    match e {
        Expr::Const(_) | Expr::Atom(_) => 0,
        Expr::Not(inner) => depth(inner),
        Expr::And(es) | Expr::Or(es) => 1 + es.iter().map(depth).max().unwrap_or(0),
    }
}

impl ExprEmitter {
    /// Pushes the rank of `e`.
    fn expr(&self, f: &mut InstructionSink<'_>, e: &Expr<u32>, d: u32) {
        match e {
            Expr::Const(b) => {
                f.i32_const(if *b { RANK_TRUE } else { RANK_FALSE });
            }
            Expr::Atom(i) => {
                match self.atoms {
                    Atoms::Record => f.local_get(0).i32_load8_u(mem(*i)),
                    Atoms::Asset(base) => f.i32_const(0).i32_load8_u(mem(base + i)),
                };
                f.i32_load8_u(mem(RANK_TABLE_OFFSET));
            }
            Expr::Not(inner) => {
                f.i32_const(RANK_TRUE);
                self.expr(f, inner, d);
                f.i32_sub();
            }
            Expr::And(es) => self.fold(f, es, d, true),
            Expr::Or(es) => self.fold(f, es, d, false),
        }
    }

    /// `and` (min, empty true) or `or` (max, empty false) of `es`.
    fn fold(&self, f: &mut InstructionSink<'_>, es: &[Expr<u32>], d: u32, and: bool) {
        let (acc, tmp) = (self.first_local + 2 * d, self.first_local + 2 * d + 1);
        let Some((first, rest)) = es.split_first() else {
            f.i32_const(if and { RANK_TRUE } else { RANK_FALSE });
            return;
        };
        self.expr(f, first, d + 1);
        if rest.is_empty() {
            return;
        }
        f.local_set(acc);
        for e in rest {
            self.expr(f, e, d + 1);
            f.local_set(tmp)
                .local_get(acc)
                .local_get(tmp)
                .local_get(acc)
                .local_get(tmp);
            if and {
                f.i32_lt_u();
            } else {
                f.i32_gt_u();
            }
            f.select().local_set(acc);
        }
        f.local_get(acc);
    }
}

/// `policy_k(record) -> trusted`: v(p,i) over the record, r(p,i) by rule 2, both written.
fn policy_function(layout: &Layout, k: u32, rules: &[Expr<u32>], lenient: bool) -> Function {
    let verdict = Expr::Or(rules.to_vec());
    let scratch = 2 * (depth(&verdict) + 1);
    // Locals: 0 record (param), 1 rank, 2 trusted, 3.. scratch.
    let mut func = Function::new([(2 + scratch, ValType::I32)]);
    let emitter = ExprEmitter {
        atoms: Atoms::Record,
        first_local: 3,
    };
    let mut f = func.instructions();
    emitter.expr(&mut f, &verdict, 0);
    f.local_set(1);
    // v(p,i)
    f.local_get(0)
        .local_get(1)
        .i32_load8_u(mem(UNRANK_TABLE_OFFSET))
        .i32_store8(mem(layout.record_verdicts + k));
    // r(p,i): trusted when true; when unknown, trusted only for `prevent … on unknown issue`.
    f.local_get(1)
        .i32_const(if lenient { 1 } else { RANK_TRUE })
        .i32_ge_u()
        .local_set(2);
    f.local_get(0)
        .local_get(2)
        .i32_store8(mem(layout.record_resolved + k));
    f.local_get(2).end();
    func
}

/// `scope_k() -> bits`: writes `applicable[k]`; bit 0 applies, bit 1 applies and prevents.
fn scope_function(layout: &Layout, k: u32, scope: Option<&Expr<u32>>, prevent: bool) -> Function {
    let scratch = 2 * (scope.map_or(0, depth) + 1);
    // Locals: 0 applies, 1.. scratch.
    let mut func = Function::new([(1 + scratch, ValType::I32)]);
    let emitter = ExprEmitter {
        atoms: Atoms::Asset(layout.asset_atoms),
        first_local: 1,
    };
    let mut f = func.instructions();
    match scope {
        Some(s) => emitter.expr(&mut f, s, 0),
        None => {
            f.i32_const(RANK_TRUE);
        }
    }
    f.i32_const(RANK_TRUE).i32_eq().local_set(0);
    f.i32_const(0)
        .local_get(0)
        .i32_store8(mem(layout.applicable + k));
    f.local_get(0);
    if prevent {
        f.i32_const(3).i32_mul();
    }
    f.end();
    func
}

/// The entry point `bona_eval(n_images) -> status`.
fn entry(layout: &Layout, p: u32) -> Function {
    // Locals: 0 n (param), 1 i, 2 record, 3 p, 4 bits, 5 trusted, 6 any_applicable,
    // 7 any_prevent, 8 decision, 9 prevented.
    const N: u32 = 0;
    const I: u32 = 1;
    const REC: u32 = 2;
    const P: u32 = 3;
    const BITS: u32 = 4;
    const TRUSTED: u32 = 5;
    const ANY_APP: u32 = 6;
    const ANY_PREV: u32 = 7;
    const DECISION: u32 = 8;
    const PREVENTED: u32 = 9;
    let np = p as i32;
    let mut func = Function::new([(9, ValType::I32)]);
    let mut f = func.instructions();

    // Status 1: a negative count, or records that do not fit the memory.
    f.local_get(N)
        .i32_const(0)
        .i32_lt_s()
        .if_(BlockType::Empty)
        .i32_const(1)
        .return_()
        .end();
    f.i64_const(i64::from(layout.images))
        .local_get(N)
        .i64_extend_i32_u()
        .i64_const(i64::from(layout.image_stride))
        .i64_mul()
        .i64_add()
        .memory_size(0)
        .i64_extend_i32_u()
        .i64_const(16)
        .i64_shl()
        .i64_gt_u()
        .if_(BlockType::Empty)
        .i32_const(1)
        .return_()
        .end();

    // S(A): every scope once.
    f.i32_const(0).local_set(P).i32_const(0).local_set(BITS);
    f.block(BlockType::Empty).loop_(BlockType::Empty);
    f.local_get(P).i32_const(np).i32_ge_u().br_if(1);
    f.local_get(BITS)
        .local_get(P)
        .i32_const(np)
        .i32_add()
        .call_indirect(0, TY_SCOPE)
        .i32_or()
        .local_set(BITS);
    f.local_get(P).i32_const(1).i32_add().local_set(P).br(0);
    f.end().end();
    f.local_get(BITS).i32_const(1).i32_and().local_set(ANY_APP);
    f.local_get(BITS)
        .i32_const(1)
        .i32_shr_u()
        .i32_const(1)
        .i32_and()
        .local_set(ANY_PREV);
    f.i32_const(0)
        .local_get(ANY_APP)
        .i32_store8(mem(layout.any_applicable));
    f.i32_const(0)
        .local_get(ANY_PREV)
        .i32_store8(mem(layout.any_prevent));

    // Every image.
    f.i32_const(layout.images as i32).local_set(REC);
    f.i32_const(0).local_set(I).i32_const(0).local_set(DECISION);
    f.block(BlockType::Empty).loop_(BlockType::Empty);
    f.local_get(I).local_get(N).i32_ge_u().br_if(1);
    f.i32_const(0).local_set(TRUSTED).i32_const(0).local_set(P);
    f.block(BlockType::Empty).loop_(BlockType::Empty);
    f.local_get(P).i32_const(np).i32_ge_u().br_if(1);
    f.local_get(P)
        .i32_load8_u(mem(layout.applicable))
        .if_(BlockType::Empty);
    // Rule 3: trusted iff some applicable policy resolves to trusted.
    f.local_get(TRUSTED)
        .local_get(REC)
        .local_get(P)
        .call_indirect(0, TY_POLICY)
        .i32_or()
        .local_set(TRUSTED);
    f.else_();
    f.local_get(REC)
        .local_get(P)
        .i32_add()
        .i32_const(i32::from(NOT_APPLICABLE))
        .i32_store8(mem(layout.record_verdicts));
    f.local_get(REC)
        .local_get(P)
        .i32_add()
        .i32_const(i32::from(NOT_APPLICABLE))
        .i32_store8(mem(layout.record_resolved));
    f.end();
    f.local_get(P).i32_const(1).i32_add().local_set(P).br(0);
    f.end().end();
    // Rule 1: no applicable policy trusts every image.
    f.local_get(ANY_APP)
        .i32_eqz()
        .if_(BlockType::Empty)
        .i32_const(1)
        .local_set(TRUSTED)
        .end();
    // Rule 4: prevented iff not trusted and some applicable policy prevents.
    f.local_get(TRUSTED)
        .i32_eqz()
        .local_get(ANY_PREV)
        .i32_and()
        .local_set(PREVENTED);
    f.local_get(REC)
        .local_get(TRUSTED)
        .i32_store8(mem(layout.record_trusted));
    f.local_get(REC)
        .local_get(PREVENTED)
        .i32_store8(mem(layout.record_prevented));
    // Rule 5: one prevented image prevents the workload.
    f.local_get(DECISION)
        .local_get(PREVENTED)
        .i32_or()
        .local_set(DECISION);
    f.local_get(REC)
        .i32_const(layout.image_stride as i32)
        .i32_add()
        .local_set(REC);
    f.local_get(I).i32_const(1).i32_add().local_set(I).br(0);
    f.end().end();
    f.i32_const(0)
        .local_get(DECISION)
        .i32_store8(mem(layout.decision));
    f.i32_const(0).end();
    func
}
