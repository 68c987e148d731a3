//! Signers and trust roots (docs/language.md#keys-and-signers, docs/signatures.md#signers): a keyed
//! signer's `{ tlog ROOT }`, `keyless { … }` blocks lowered to identity constraints, and the names
//! of `signed by K` / `signed by N of [...]`.
//!
//! A keyless signer without an `issuer` or a `subject` constraint is refused outright: the
//! runtime would accept a certificate of anyone the trust root's CA ever certified.

use bona_runtime::ir::{
    IdentityAttr, IdentityConstraint, IdentityTest, ImageAtom, KeyId, RootId, Signer,
};

use super::constant::lower_const;
use super::literals::globs;
use super::names::{Const, DefKind, Names};
use super::report::{a, given_twice, unknown_name};
use crate::codes::Code;
use crate::diagnostics::Sink;
use crate::identity::{identity_attr, identity_attrs};
use crate::suggest;
use crate::syntax::ast::{
    CompareOp, Ident, KeyDecl, KeylessClauseKind, KeylessDecl, Operand, OperandKind,
};
use crate::syntax::span::Span;

/// A keyed signer's `{ tlog ROOT }`: `Some(tlog)` when the braces check (or are absent).
pub(crate) fn key_options(
    names: &mut dyn Names,
    sink: &mut Sink,
    k: &KeyDecl,
) -> Option<Option<RootId>> {
    let Some(opts) = &k.options else {
        return Some(None);
    };
    let mut ok = true;
    let mut tlog = None;
    let mut first: Option<Span> = None;
    for o in &opts.options {
        if o.word.name != "tlog" {
            let mut d = sink.diag(
                Code::E0410,
                o.word.span,
                format!(
                    "unknown word `{}` in key `{}`'s braces",
                    o.word.name, k.name.name
                ),
                "expected `tlog`",
            );
            d = match suggest::closest(&o.word.name, ["tlog"]) {
                Some(best) => d.did_you_mean(best),
                None => d.help("a key's braces hold `tlog TRUSTROOT`: its signatures must be in that trust root's transparency log"),
            };
            sink.push(d);
            ok = false;
            continue;
        }
        if let Some(first) = first {
            given_twice(
                sink,
                o.span,
                first,
                format!("`tlog` is given twice for key `{}`", k.name.name),
                "a key names at most one transparency log's trust root",
            );
            ok = false;
            continue;
        }
        first = Some(o.span);
        match root_ref(names, sink, &o.name) {
            Some(r) => tlog = Some(r),
            None => ok = false,
        }
    }
    ok.then_some(tlog)
}

/// A name that must be a trust root (`root R`, `tlog R`).
fn root_ref(names: &mut dyn Names, sink: &mut Sink, id: &Ident) -> Option<RootId> {
    match names.kind(&id.name) {
        Some(DefKind::TrustRoot) => names.trust_root(&id.name),
        Some(kind) => {
            sink.push(
                sink.diag(
                    Code::E0207,
                    id.span,
                    format!("`{}` is a {}, not a trust root", id.name, kind_word(kind)),
                    "expected a trust root",
                )
                .help("declare one with `trustroot NAME = file(\"trusted_root.json\")`"),
            );
            None
        }
        None => {
            unknown_name(names, sink, &id.name, id.span, &[DefKind::TrustRoot], &[]);
            None
        }
    }
}

fn kind_word(kind: DefKind) -> &'static str {
    match kind {
        DefKind::TrustRoot => "trust root",
        other => other.keyword(),
    }
}

/// A name that must be a signer (`signed by K`, the list of `signed by N of`).
pub(super) fn signer_ref(names: &mut dyn Names, sink: &mut Sink, key: &Ident) -> Option<KeyId> {
    match names.kind(&key.name) {
        Some(DefKind::Key) => names.key(&key.name),
        Some(DefKind::TrustRoot) => {
            sink.push(
                sink.diag(
                    Code::E0207,
                    key.span,
                    format!("`{}` is a trust root, not a key", key.name),
                    "expected a key",
                )
                .help(format!(
                    "a trust root anchors keyless signers: define one with `key NAME = keyless {{ root {} … }}` and sign by it",
                    key.name
                )),
            );
            None
        }
        Some(kind) => {
            sink.error(
                Code::E0207,
                key.span,
                format!("`{}` is a {}, not a key", key.name, kind.keyword()),
                "expected a key",
            );
            None
        }
        None => {
            unknown_name(names, sink, &key.name, key.span, &[DefKind::Key], &[]);
            None
        }
    }
}

/// `signed by N of [K1, …]`; one signer of one lowers to plain `signed by`.
pub(super) fn signed_by_n(
    names: &mut dyn Names,
    sink: &mut Sink,
    n: u64,
    n_span: Span,
    keys: &[Ident],
) -> Option<ImageAtom> {
    let mut ok = true;
    let mut ids = Vec::with_capacity(keys.len());
    let mut seen: Vec<&Ident> = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(first) = seen.iter().find(|s| s.name == k.name) {
            sink.push(
                sink.diag(
                    Code::E0411,
                    k.span,
                    format!("`{}` is named twice in `signed by {n} of`", k.name),
                    "named again here",
                )
                .related(sink.file, first.span, "first named here")
                .help("each signer counts once: remove the repeat"),
            );
            ok = false;
            continue;
        }
        seen.push(k);
        match signer_ref(names, sink, k) {
            Some(id) => ids.push(id),
            None => ok = false,
        }
    }
    let len = keys.len();
    if n == 0 {
        sink.push(
            sink.diag(
                Code::E0412,
                n_span,
                "`signed by 0 of […]` would hold for every image",
                "must be at least 1",
            )
            .help("require at least one signer"),
        );
        ok = false;
    } else if usize::try_from(n).map_or(true, |n| n > len) {
        let signers = if len == 1 { "signer" } else { "signers" };
        sink.push(
            sink.diag(
                Code::E0412,
                n_span,
                format!("`signed by {n} of […]` can never hold: the list names {len} {signers}"),
                format!("at most {len}"),
            )
            .help("lower the number or add signers to the list"),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    match ids.as_slice() {
        [key] => Some(ImageAtom::SignedBy { key: *key }),
        _ => Some(ImageAtom::SignedByN {
            n: u32::try_from(n).ok()?,
            keys: ids,
        }),
    }
}

/// A `keyless { … }` block.
pub(crate) fn keyless(names: &mut dyn Names, sink: &mut Sink, k: &KeylessDecl) -> Option<Signer> {
    let mut ok = true;
    let mut root: Option<(Option<RootId>, Span)> = None;
    let mut identity = Vec::new();
    let (mut has_issuer, mut has_subject) = (false, false);
    let mut syntax_error = false;
    for c in &k.clauses {
        match &c.kind {
            KeylessClauseKind::Word { word, name } if word.name == "root" => {
                if let Some((_, first)) = root {
                    given_twice(
                        sink,
                        c.span,
                        first,
                        format!("`root` is given twice in keyless signer `{}`", k.name.name),
                        "a keyless signer's certificates chain to one trust root",
                    );
                    ok = false;
                    continue;
                }
                let r = root_ref(names, sink, name);
                ok &= r.is_some();
                root = Some((r, c.span));
            }
            KeylessClauseKind::Word { word, .. } => {
                // `rot sigstore` names a root, misspelt: the block is not also without one.
                if unknown_word(sink, word) && root.is_none() {
                    root = Some((None, c.span));
                }
                ok = false;
            }
            KeylessClauseKind::Constraint {
                attr,
                op,
                op_span,
                value,
            } => {
                let Some(ia) = identity_attr(&attr.name) else {
                    // `isuer == …` is a typo of a constraint that is there, not a missing one.
                    match unknown_attr(sink, attr) {
                        Some("issuer") => has_issuer = true,
                        Some("subject") => has_subject = true,
                        _ => {}
                    }
                    ok = false;
                    continue;
                };
                // Counted even when the value is wrong, so that a typo in the value does not
                // also report the constraint as missing.
                has_issuer |= ia == IdentityAttr::Issuer;
                has_subject |= ia == IdentityAttr::Subject;
                match constraint_test(names, sink, &attr.name, *op, *op_span, value) {
                    Some(test) => identity.push(IdentityConstraint { attr: ia, test }),
                    None => ok = false,
                }
            }
            KeylessClauseKind::Error => syntax_error = true,
        }
    }
    if !syntax_error {
        for (has, attr, example) in [
            (
                has_issuer,
                "issuer",
                "issuer == \"https://token.actions.githubusercontent.com\"",
            ),
            (
                has_subject,
                "subject",
                "subject matches \"https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*\"",
            ),
        ] {
            if !has {
                sink.push(
                    sink.diag(
                        Code::E0407,
                        k.name.span,
                        format!(
                            "keyless signer `{}` has no `{attr}` constraint: it would trust any {attr}",
                            k.name.name
                        ),
                        format!("no `{attr}` constraint"),
                    )
                    .help(format!("add a line such as `{example}`")),
                );
                ok = false;
            }
        }
    }
    let root = match root {
        Some((r, _)) => r,
        None => implicit_root(names, sink, k),
    };
    if !ok || syntax_error {
        return None;
    }
    Some(Signer::Keyless {
        root: root?,
        identity,
    })
}

/// The set's only trust root, for a block without `root`.
fn implicit_root(names: &mut dyn Names, sink: &mut Sink, k: &KeylessDecl) -> Option<RootId> {
    let roots: Vec<String> = names
        .names()
        .into_iter()
        .filter(|(_, kind)| *kind == DefKind::TrustRoot)
        .map(|(n, _)| n.to_owned())
        .collect();
    match roots.as_slice() {
        [only] => names.trust_root(only),
        [] => {
            sink.push(
                sink.diag(
                    Code::E0409,
                    k.keyword,
                    format!("keyless signer `{}` has no trust root", k.name.name),
                    "no `trustroot` in the policy set",
                )
                .help("declare the trust root its certificates chain to: `trustroot sigstore = file(\"trusted_root.json\")`"),
            );
            None
        }
        several => {
            sink.push(
                sink.diag(
                    Code::E0409,
                    k.keyword,
                    format!(
                        "keyless signer `{}` does not say which of the {} trust roots it uses",
                        k.name.name,
                        several.len()
                    ),
                    "no `root`",
                )
                .help(format!(
                    "add `root NAME` with one of {}",
                    several
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            None
        }
    }
}

/// Reports a line that is neither `root` nor a constraint; returns whether it looks like a
/// misspelt `root`.
fn unknown_word(sink: &mut Sink, word: &Ident) -> bool {
    let mut d = sink.diag(
        Code::E0410,
        word.span,
        format!("unknown word `{}` in a keyless block", word.name),
        "expected `root` or a constraint",
    );
    d = if identity_attr(&word.name).is_some() {
        d.help(format!(
            "`{}` is an identity attribute: compare it with a value, e.g. `{} == \"…\"`",
            word.name, word.name
        ))
    } else if let Some(best) = suggest::closest(&word.name, ["root"]) {
        d.did_you_mean(best)
    } else {
        d.help("a keyless block holds `root TRUSTROOT` and constraints such as `issuer == \"https://…\"`")
    };
    let root = d.replacement.is_some();
    sink.push(d);
    root
}

/// Reports an unknown attribute; returns the suggested one.
fn unknown_attr(sink: &mut Sink, attr: &Ident) -> Option<&'static str> {
    let all = identity_attrs();
    let best = suggest::closest(&attr.name, all.iter().map(|a| a.name));
    let d = sink.diag(
        Code::E0408,
        attr.span,
        format!("unknown identity attribute `{}`", attr.name),
        "not an identity attribute",
    );
    sink.push(match best {
        Some(best) => d.did_you_mean(best),
        None => d.help("the identity attributes are `issuer`, `subject` and the Fulcio extensions by name, e.g. `source_repository_uri` (docs/language.md#keys-and-signers)"),
    });
    best
}

/// `OP VALUE` of one constraint.
fn constraint_test(
    names: &mut dyn Names,
    sink: &mut Sink,
    attr: &str,
    op: CompareOp,
    op_span: Span,
    value: &Operand,
) -> Option<IdentityTest> {
    if matches!(
        op,
        CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge
    ) {
        sink.push(
            sink.diag(
                Code::E0303,
                op_span,
                format!(
                    "operator `{}` is not defined for identity attributes",
                    op.as_str()
                ),
                "not defined for strings",
            )
            .help("identity constraints use `==`, `!=`, `in` and `matches`"),
        );
        return None;
    }
    let v = lower_const(names, sink, value)?;
    match (op, v) {
        (CompareOp::Eq, Const::Str(s)) => Some(IdentityTest::Eq(s)),
        (CompareOp::Ne, Const::Str(s)) => Some(IdentityTest::Ne(s)),
        (CompareOp::Eq | CompareOp::Ne, other) => {
            let found = other.type_name();
            let mut d = sink.diag(
                Code::E0301,
                value.span,
                format!(
                    "mismatched types: `{attr}` is a string, this is {}",
                    a(&found)
                ),
                format!("expected string, found {found}"),
            );
            if matches!(other, Const::List(_)) {
                d = d.help(format!("to test membership, write `{attr} in …`"));
            }
            sink.push(d);
            None
        }
        (CompareOp::In, v) => match string_list(&v) {
            Some(items) => Some(IdentityTest::In(items)),
            None => {
                let found = v.type_name();
                sink.push(
                    sink.diag(
                        Code::E0301,
                        value.span,
                        format!(
                            "mismatched types: `in` needs a list of strings, this is {}",
                            a(&found)
                        ),
                        "expected list<string>",
                    )
                    .help(format!(
                        "write `{attr} in [\"a\", \"b\"]`, or `{attr} == \"…\"` for one value"
                    )),
                );
                None
            }
        },
        (_, v) => {
            let pats: Vec<(String, Span)> = match (&v, &value.kind) {
                (Const::Str(s), _) => vec![(s.clone(), value.span)],
                (Const::List(_), OperandKind::List(items)) => string_list(&v)
                    .map(|ss| ss.into_iter().zip(items.iter().map(|i| i.span)).collect())
                    .unwrap_or_default(),
                (Const::List(_), _) => string_list(&v)
                    .map(|ss| ss.into_iter().map(|s| (s, value.span)).collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let is_patterns = matches!(v, Const::Str(_)) || string_list(&v).is_some();
            if !is_patterns {
                sink.push(
                    sink.diag(
                        Code::E0301,
                        value.span,
                        format!(
                            "mismatched types: `matches` needs a pattern or a list of patterns, this is {}",
                            a(&v.type_name())
                        ),
                        "expected a pattern",
                    )
                    .help(format!("write `{attr} matches \"prefix-*\"` or `{attr} matches [\"a-*\", \"b-*\"]`")),
                );
                return None;
            }
            globs(sink, pats).map(IdentityTest::Matches)
        }
    }
}

/// The strings of a list of strings (an empty list is one too).
fn string_list(v: &Const) -> Option<Vec<String>> {
    match v {
        Const::List(items) => items
            .iter()
            .map(|i| match i {
                Const::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}
