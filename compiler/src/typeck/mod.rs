//! Type checking and lowering of one file against the policy set's symbols: names (duplicates,
//! reserved words, cycles), keys, clause structure, and every expression (in [`expr`]).
//! The output is the runtime's IR plus the diagnostics of this file.

mod attest;
mod expr;
mod signers;

use std::path::Path;

use bona_runtime::ir::{self, Action};

pub use expr::{lower_const, lower_scope, lower_trust};

use crate::attributes::is_reserved;
use crate::codes::Code;
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostics::Diagnostic;
use crate::resolve::{DefKind, SymbolTable, names_of, symbols};
use crate::syntax::ast::{ClauseKind, Item, KeyDecl, Policy};
use crate::syntax::parse;
use crate::syntax::span::Span;
use crate::testblock::{self, TestCase};

/// A constant's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Const {
    Str(String),
    Int(u64),
    /// Seconds.
    Duration(u64),
    Bool(bool),
    /// Elements of one type (checked when built).
    List(Vec<Const>),
}

impl Const {
    /// The type's name in messages (`list<string>`).
    pub fn type_name(&self) -> String {
        match self {
            Const::Str(_) => "string".into(),
            Const::Int(_) => "int".into(),
            Const::Duration(_) => "duration".into(),
            Const::Bool(_) => "bool".into(),
            Const::List(items) => match items.first() {
                Some(first) => format!("list<{}>", first.type_name()),
                None => "list".into(),
            },
        }
    }
}

/// What expressions may ask about names. Implemented by the symbol table (when checking a
/// file) and by the lazy builder that computes the table itself.
pub trait Names {
    /// The kind of a defined `let`/`key`/`scope` name.
    fn kind(&self, name: &str) -> Option<DefKind>;
    /// A constant's value; `None` when its definition has errors (reported there).
    fn constant(&mut self, name: &str) -> Option<Const>;
    /// A named scope, lowered; `None` when its definition has errors.
    fn scope(&mut self, name: &str) -> Option<ir::Expr<ir::AssetAtom>>;
    /// A key's index in the policy set.
    fn key(&self, name: &str) -> Option<ir::KeyId>;
    /// A trust root's index in the policy set.
    fn trust_root(&self, name: &str) -> Option<ir::RootId>;
    /// Every defined name, for suggestions.
    fn names(&self) -> Vec<(&str, DefKind)>;
}

impl Names for &SymbolTable {
    fn kind(&self, name: &str) -> Option<DefKind> {
        self.def(name).map(|d| d.kind)
    }

    fn constant(&mut self, name: &str) -> Option<Const> {
        self.consts.get(name).cloned()
    }

    fn scope(&mut self, name: &str) -> Option<ir::Expr<ir::AssetAtom>> {
        self.scopes.get(name).cloned()
    }

    fn key(&self, name: &str) -> Option<ir::KeyId> {
        self.keys
            .binary_search_by(|k| k.as_str().cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    fn trust_root(&self, name: &str) -> Option<ir::RootId> {
        SymbolTable::trust_root(self, name)
    }

    fn names(&self) -> Vec<(&str, DefKind)> {
        names_of(self)
    }
}

/// Where diagnostics go: a file's list, or nowhere (when the same expression is lowered a
/// second time for the symbol table, its errors were or will be reported by its own file).
pub struct Sink<'a> {
    pub file: SourceFile,
    pub text: &'a str,
    /// The file has syntax errors: warnings that judge the whole file (unused names) would
    /// only echo them.
    pub has_syntax_errors: bool,
    out: Option<Vec<Diagnostic>>,
}

impl<'a> Sink<'a> {
    /// A sink that records.
    pub fn new(file: SourceFile, text: &'a str) -> Sink<'a> {
        Sink {
            file,
            text,
            has_syntax_errors: false,
            out: Some(Vec::new()),
        }
    }

    /// A sink that drops everything.
    pub fn silent(file: SourceFile) -> Sink<'static> {
        Sink {
            file,
            text: "",
            has_syntax_errors: false,
            out: None,
        }
    }

    /// A diagnostic in this sink's file.
    pub fn diag(
        &self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(code, self.file, span, message, label)
    }

    /// Records a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        if let Some(out) = &mut self.out {
            out.push(d);
        }
    }

    /// Records a diagnostic without help.
    pub fn error(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) {
        let d = self.diag(code, span, message, label);
        self.push(d);
    }

    /// What was recorded.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.out.unwrap_or_default()
    }
}

/// A lowered policy and where its parts are written (for coverage, hover and lints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPolicy {
    pub policy: ir::Policy,
    pub file: SourceFile,
    pub span: Span,
    pub name_span: Span,
    pub scope_span: Option<Span>,
    /// One per rule of `policy.rules`.
    pub rule_spans: Vec<Span>,
}

/// The result of checking one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileCheck {
    /// Syntax, name, type and key diagnostics of this file (including duplicates it takes part in).
    pub diagnostics: Vec<Diagnostic>,
    pub policies: Vec<CheckedPolicy>,
    pub tests: Vec<TestCase>,
    /// Signers (`key` items) defined in this file, by name.
    pub keys: Vec<(String, ir::Signer)>,
    /// Trust roots defined in this file: name and document text.
    pub trust_roots: Vec<(String, String)>,
}

/// Resolves, type-checks and lowers one file against the workspace's symbols.
#[salsa::tracked(returns(ref))]
pub fn check_file(db: &dyn Db, ws: Workspace, file: SourceFile) -> FileCheck {
    let parsed = parse(db, file);
    let table = symbols(db, ws);
    let mut sink = Sink::new(file, file.text(db));
    sink.has_syntax_errors = !parsed.errors.is_empty();
    for e in &parsed.errors {
        let mut d = sink.diag(e.code, e.span, e.message.clone(), e.label.clone());
        d.help = e.help.clone();
        sink.push(d);
    }
    let mut out = FileCheck::default();
    let mut names = table;
    for (index, item) in parsed.file.items.iter().enumerate() {
        // An item followed by text the parser skipped may have been cut short there
        // (`scope s = cluster = "prod"`): its syntax error is reported, judging it would echo.
        let cut_short = matches!(parsed.file.items.get(index + 1), Some(Item::Error(_)));
        if cut_short && matches!(item, Item::Let(_) | Item::Scope(_)) {
            continue;
        }
        match item {
            Item::Let(l) => {
                if check_name(db, &mut sink, table, file, index, &l.name.name, l.name.span) {
                    if let Some(path) = table.cyclic.get(&l.name.name) {
                        cycle(&mut sink, "constant", path, l.name.span);
                    } else {
                        lower_const(&mut names, &mut sink, &l.value);
                    }
                }
            }
            Item::Scope(s) => {
                if check_name(db, &mut sink, table, file, index, &s.name.name, s.name.span) {
                    if let Some(path) = table.cyclic.get(&s.name.name) {
                        cycle(&mut sink, "scope", path, s.name.span);
                    } else {
                        lower_scope(&mut names, &mut sink, &s.expr);
                    }
                }
            }
            Item::Key(k) => {
                if check_name(db, &mut sink, table, file, index, &k.name.name, k.name.span) {
                    let der = load_key(db, &mut sink, file, k);
                    let tlog = signers::key_options(&mut names, &mut sink, k);
                    if let (Some(spki_der), Some(tlog)) = (der, tlog) {
                        out.keys
                            .push((k.name.name.clone(), ir::Signer::Key { spki_der, tlog }));
                    }
                }
            }
            Item::Keyless(k) => {
                if check_name(db, &mut sink, table, file, index, &k.name.name, k.name.span)
                    && let Some(signer) = signers::keyless(&mut names, &mut sink, k)
                {
                    out.keys.push((k.name.name.clone(), signer));
                }
            }
            Item::TrustRoot(t) => {
                if check_name(db, &mut sink, table, file, index, &t.name.name, t.name.span)
                    && let Some(document) = signers::load_trust_root(db, &mut sink, file, t)
                {
                    out.trust_roots.push((t.name.name.clone(), document));
                }
            }
            Item::Policy(p) => {
                duplicate(
                    db,
                    &mut sink,
                    table.policies.get(&p.name.value),
                    file,
                    index,
                    p.name.span,
                    Code::E0202,
                    &format!("policy \"{}\"", p.name.value),
                );
                if let Some(c) = check_policy(&mut names, &mut sink, file, p) {
                    out.policies.push(c);
                }
            }
            Item::Test(t) => {
                duplicate(
                    db,
                    &mut sink,
                    table.tests.get(&t.name.value),
                    file,
                    index,
                    t.name.span,
                    Code::E0204,
                    &format!("test \"{}\"", t.name.value),
                );
                if let Some(tc) = testblock::check(&mut sink, t) {
                    out.tests.push(tc);
                }
            }
            Item::Error(_) => {}
        }
    }
    out.diagnostics = sink.finish();
    out
}

/// Whether some use of an undefined name looks like a misspelling of `name`: then `name` is
/// unused only because of that typo, which E0203 reports with the fix already.
fn misspelt_use(table: &SymbolTable, name: &str) -> bool {
    table
        .used
        .iter()
        .any(|u| table.def(u).is_none() && crate::suggest::closest(u, [name]) == Some(name))
}

fn cycle(sink: &mut Sink, what: &str, path: &[String], span: Span) {
    let name = path.first().map_or("", String::as_str);
    sink.push(
        sink.diag(
            Code::E0206,
            span,
            format!(
                "{what} `{name}` is defined in terms of itself: {}",
                path.join(" → ")
            ),
            "part of a cycle",
        )
        .help("break the cycle by writing one of the values out"),
    );
}

/// Reserved names and duplicates of a `let`/`key`/`trustroot`/`scope`. Returns whether to
/// check further.
fn check_name(
    db: &dyn Db,
    sink: &mut Sink,
    table: &SymbolTable,
    file: SourceFile,
    index: usize,
    name: &str,
    span: Span,
) -> bool {
    if is_reserved(name) {
        sink.push(
            sink.diag(
                Code::E0205,
                span,
                format!("`{name}` is reserved: it names an attribute or an asset type"),
                "reserved name",
            )
            .help(format!("choose another name, e.g. `my_{name}`")),
        );
        return false;
    }
    let Some(defs) = table.defs.get(name) else {
        return true;
    };
    let sites: Vec<(SourceFile, usize)> = defs.iter().map(|d| (d.file, d.item)).collect();
    duplicate(
        db,
        sink,
        Some(&sites),
        file,
        index,
        span,
        Code::E0201,
        &format!("`{name}`"),
    );
    // Only the first definition is checked further; the others are errors already.
    let first = sites.first() == Some(&(file, index));
    let kind = table.def(name).map(|d| d.kind);
    // A `keyless` block without `root` uses the set's only trust root; with several, it is an
    // error already (E0409), and calling each root unused would only echo it.
    let implicitly_used = kind == Some(DefKind::TrustRoot) && table.implicit_root;
    if first
        && !table.used.contains(name)
        && !implicitly_used
        && !sink.has_syntax_errors
        && !misspelt_use(table, name)
    {
        let kind = match kind {
            Some(DefKind::Let) => "constant",
            Some(DefKind::Key) => "key",
            Some(DefKind::TrustRoot) => "trust root",
            _ => "scope",
        };
        sink.push(
            sink.diag(
                Code::W0004,
                span,
                format!("`{name}` is never used"),
                if kind == "trust root" {
                    "this trust root is not named by any key".to_owned()
                } else {
                    format!("this {kind} is not referred to by any policy, scope or constant")
                },
            )
            .help(if kind == "trust root" {
                "remove it, or name it in a key's `root` or `tlog`"
            } else {
                "remove it, or use it in a `scope` or `trust` expression"
            }),
        );
    }
    first
}

/// Reports a duplicate definition at every site after the first, pointing at the first.
#[allow(clippy::too_many_arguments)]
fn duplicate(
    db: &dyn Db,
    sink: &mut Sink,
    sites: Option<&Vec<(SourceFile, usize)>>,
    file: SourceFile,
    index: usize,
    span: Span,
    code: Code,
    what: &str,
) {
    let Some(sites) = sites else { return };
    let Some(&(first_file, first_item)) = sites.first() else {
        return;
    };
    if sites.len() < 2 || (first_file, first_item) == (file, index) {
        return;
    }
    let first_span = parse(db, first_file)
        .file
        .items
        .get(first_item)
        .map(Item::name_span)
        .unwrap_or_default();
    sink.push(
        sink.diag(
            code,
            span,
            format!("{what} is defined twice"),
            "defined again here",
        )
        .related(first_file, first_span, "first defined here")
        .help("rename one of them or remove the duplicate"),
    );
}

fn load_key(db: &dyn Db, sink: &mut Sink, file: SourceFile, k: &KeyDecl) -> Option<Vec<u8>> {
    let bytes = match k.source.name.as_str() {
        "pem" => k.arg.value.clone().into_bytes(),
        "file" => {
            let base = file.path(db).parent().unwrap_or(Path::new(""));
            let path = base.join(&k.arg.value);
            match db.read_key(&path) {
                // PEM text or, as some KMS exports write, DER: both are read below.
                Ok(bytes) => bytes,
                Err(e) => {
                    sink.push(
                        sink.diag(
                            Code::E0401,
                            k.arg.span,
                            format!(
                                "cannot read key file `{}`: {}",
                                path.display(),
                                crate::files::io_reason(&e)
                            ),
                            "cannot be read",
                        )
                        .help("key paths are relative to the `.trust` file that names them"),
                    );
                    return None;
                }
            }
        }
        other => {
            sink.push(
                sink.diag(
                    Code::E0403,
                    k.source.span,
                    format!("unknown key source `{other}`"),
                    "expected `file` or `pem`",
                )
                .help("write `key NAME = file(\"keys/release.pub\")` or `key NAME = pem(\"-----BEGIN PUBLIC KEY-----…\")`"),
            );
            return None;
        }
    };
    match bona_sigstore::keys::PublicKey::from_pem_or_der(&bytes) {
        Ok(key) => Some(key.spki_der().to_vec()),
        Err(e) => {
            not_a_key(sink, k, &key_problem(&bytes, &e));
            None
        }
    }
}

/// Says why a key is not usable, in the user's terms: what the text or file is instead, or
/// which key type it holds when that type is not one of SPEC §6.1's.
fn key_problem(bytes: &[u8], err: &bona_sigstore::keys::KeyError) -> String {
    use bona_sigstore::keys::KeyError as E;
    let text = std::str::from_utf8(bytes).ok();
    if let Some(t) = text {
        if t.trim().is_empty() {
            return "the key is empty".into();
        }
        if t.contains("PRIVATE KEY") {
            return "this is a private key; point at the public key (e.g. `cosign.pub`)".into();
        }
    }
    let pem = text.is_some_and(|t| t.contains("-----BEGIN"));
    match err {
        E::BadPem => {
            "the text between the `-----BEGIN` and `-----END` lines is not valid base64".into()
        }
        E::BadDer if pem => "the PEM block does not hold a public key".into(),
        E::BadDer if text.is_some() => {
            "not a PEM block (`-----BEGIN PUBLIC KEY-----` … `-----END PUBLIC KEY-----`)".into()
        }
        E::BadDer => "the file is neither PEM text nor a DER public key".into(),
        E::WrongPemLabel(label) => format!("a PEM `{label}` block, not a `PUBLIC KEY`"),
        E::UnsupportedType(kind) => format!("the key type {kind} is not one Bona verifies"),
        E::UnsupportedCurve(curve) => {
            format!("it is an ECDSA key on curve {curve}, a curve Bona does not verify")
        }
        E::RsaSize(bits) => format!("it is an RSA {bits}-bit key; Bona accepts 2048 to 4096 bits"),
        E::InvalidKey(kind) => format!("the {kind} key is not a valid point or modulus"),
    }
}

fn not_a_key(sink: &mut Sink, k: &KeyDecl, why: &str) {
    sink.push(
        sink.diag(
            Code::E0402,
            k.arg.span,
            format!("`{}` is not a supported public key: {why}", k.name.name),
            "not a supported public key",
        )
        .help("Bona verifies ECDSA P-256, P-384 and P-521, Ed25519 and RSA 2048–4096 keys, as `cosign generate-key-pair`, `cosign public-key` or a KMS export write them (`-----BEGIN PUBLIC KEY-----`, or DER)"),
    );
}

/// Records the first occurrence of a clause; returns the span of the first when this is a repeat.
/// E0321: a clause that may appear once appears again at `span`, first at `first`.
pub(super) fn given_twice(sink: &mut Sink, span: Span, first: Span, message: String, help: &str) {
    sink.push(
        sink.diag(Code::E0321, span, message, "second one here")
            .related(sink.file, first, "first one here")
            .help(help),
    );
}

fn first_of<T>(slot: &mut Option<(T, Span)>, value: (T, Span)) -> Option<Span> {
    match slot {
        Some((_, first)) => Some(*first),
        None => {
            *slot = Some(value);
            None
        }
    }
}

/// Clause structure of SPEC §2.2, then the expressions.
fn check_policy(
    names: &mut &SymbolTable,
    sink: &mut Sink,
    file: SourceFile,
    p: &Policy,
) -> Option<CheckedPolicy> {
    let mut action: Option<(Action, Span)> = None;
    let mut on_unknown: Option<(Action, Span)> = None;
    let mut scope: Option<(&crate::syntax::ast::Expr, Span)> = None;
    let mut description: Option<(String, Span)> = None;
    let mut rules = Vec::new();
    let mut ok = true;
    // A clause the parser could not read hides what the policy meant: the clause right
    // before it may be cut short, and a missing `action` may be the one that failed. Those
    // checks are skipped so that one typo gives one diagnostic.
    let syntax_error = p.clauses.iter().any(|c| c.kind == ClauseKind::Error);
    let cut_short = |i: usize| {
        p.clauses
            .get(i + 1)
            .is_some_and(|next| next.kind == ClauseKind::Error)
    };
    for (i, clause) in p.clauses.iter().enumerate() {
        // The first of a repeated clause counts; later ones are errors pointing back at it.
        let first = match &clause.kind {
            ClauseKind::Action(a, _) => first_of(&mut action, (*a, clause.span)),
            ClauseKind::OnUnknown(a, _) => first_of(&mut on_unknown, (*a, clause.span)),
            ClauseKind::Scope(e) if !cut_short(i) => first_of(&mut scope, (e, clause.span)),
            ClauseKind::Description(s) => {
                first_of(&mut description, (s.value.clone(), clause.span))
            }
            ClauseKind::Trust(e) if !cut_short(i) => {
                rules.push((e, clause.span));
                None
            }
            ClauseKind::Scope(_) | ClauseKind::Trust(_) | ClauseKind::Error => {
                ok = false;
                None
            }
        };
        if let Some(first) = first {
            given_twice(
                sink,
                clause.span,
                first,
                format!(
                    "`{}` is given twice in policy \"{}\"",
                    clause.kind.keyword(),
                    p.name.value
                ),
                "a policy has at most one of each clause, except `trust`",
            );
            ok = false;
        }
    }
    let action = match action {
        Some((a, _)) => a,
        None if syntax_error => return None,
        None => {
            sink.push(
                sink.diag(
                    Code::E0320,
                    p.name.span,
                    format!("policy \"{}\" has no `action`", p.name.value),
                    "missing `action prevent` or `action issue`",
                )
                .help("add `action prevent` to block untrusted images, or `action issue` to only report them"),
            );
            ok = false;
            // Without an action, `on unknown` cannot be judged: check the rest as `prevent`.
            Action::Prevent
        }
    };
    let on_unknown = match (action, on_unknown) {
        (Action::Issue, Some((_, span))) => {
            sink.push(
                sink.diag(
                    Code::E0322,
                    span,
                    format!(
                        "`on unknown` is only for `prevent` policies; \"{}\" is an `issue` policy",
                        p.name.value
                    ),
                    "not allowed with `action issue`",
                )
                .help(
                    "remove it: an `issue` policy always reports missing information as an issue",
                ),
            );
            ok = false;
            Action::Issue
        }
        (_, Some((a, _))) => a,
        (_, None) => Action::Issue,
    };
    if rules.is_empty() && ok && !syntax_error {
        sink.push(
            sink.diag(
                Code::W0002,
                p.name.span,
                format!(
                    "policy \"{}\" has no `trust` rule, so it trusts no image",
                    p.name.value
                ),
                "trusts nothing",
            )
            .help("add a rule such as `trust registry == \"registry.company.com\"`"),
        );
    }
    let scope_ir = match scope {
        Some((e, _)) => match lower_scope(names, sink, e) {
            Some(s) => Some(s),
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    let mut lowered = Vec::with_capacity(rules.len());
    for (e, _) in &rules {
        match lower_trust(names, sink, e) {
            Some(r) => lowered.push(r),
            None => ok = false,
        }
    }
    ok.then(|| CheckedPolicy {
        policy: ir::Policy {
            name: p.name.value.clone(),
            action,
            on_unknown,
            scope: scope_ir,
            rules: lowered,
            description: description.map(|d| d.0),
        },
        file,
        span: p.span,
        name_span: p.name.span,
        scope_span: scope.map(|s| s.1),
        rule_spans: rules.iter().map(|r| r.1).collect(),
    })
}
