//! Completion, by context. The context is read from the tokens before the cursor rather than
//! from the syntax tree, because the text being typed rarely parses:
//!
//! - at item level: `policy let key trustroot scope test`; in a policy: its clauses; in a test:
//!   `input`, `expect` and the expectation words;
//! - in a `keyless { … }` block: `root` and the identity attributes; after `root `: trust root
//!   names; after an attribute: its operators; in a key's `{ … }`: `tlog`, then trust roots;
//! - in a `scope` (item or clause): asset attributes, named scopes and constants; in a `trust`
//!   rule: image attributes, constants and `signed by`; after an operand: `and or in matches`;
//! - after `action` or `on unknown`: `prevent issue`; after `asset ==`: `workload vm`; after
//!   `signed by`: key names (also in the list of `signed by N of [`); after a comparison
//!   operator: constants;
//! - inside `labels["…`: the label keys that the workspace's test inputs use (asset labels in a
//!   scope, image labels in a rule).
//!
//! Every item carries a text edit over the word being typed (dots included, so `scan.a`
//! completes to `scan.age`), so clients need not guess word boundaries.

use bona_compiler::attributes::{
    ATTESTATION_FUNCTIONS, ATTRIBUTES, KEYWORDS, PROVENANCE_FIELDS, Side, VULN_FIELDS,
    attestation_attr,
};
use bona_compiler::identity::{identity_attr, identity_attrs};
use bona_compiler::lower::Const;
use bona_compiler::lower::DefKind;
use bona_compiler::resolve::symbols;
use bona_compiler::syntax::lexer::{LexErrorKind, Token, lex};
use bona_compiler::syntax::span::Span;
use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, CompletionTextEdit,
    Documentation, MarkupContent, MarkupKind, TextEdit,
};

use crate::analysis::label_keys;
use crate::convert::LineIndex;
use crate::hover::attribute_doc;
use crate::session::Snapshot;

/// Item keywords.
const ITEMS: &[&str] = &["policy", "let", "key", "trustroot", "scope", "test"];
/// The operators of an identity constraint.
const IDENTITY_OPERATORS: &[&str] = &["==", "!=", "in", "matches"];
/// Policy clause keywords.
const CLAUSES: &[&str] = &["action", "on unknown", "scope", "trust", "description"];
/// What may follow an operand.
const OPERATORS: &[&str] = &["and", "or", "in", "matches"];

/// Answers `textDocument/completion`.
pub fn completion(snap: &Snapshot, params: &CompletionParams) -> Option<CompletionResponse> {
    let at = &params.text_document_position;
    let file = snap.file(&at.text_document.uri)?;
    let text = file.text(snap.db());
    let index = LineIndex::new(text);
    let offset = index.offset(at.position);
    let mut out = Items {
        snap,
        index: &index,
        edit: Span::new(offset, offset),
        items: Vec::new(),
    };
    let before = &text[..offset];

    // Inside a string: only `labels["…` completes.
    let lexed = lex(before);
    if let Some(e) = lexed.errors.last()
        && e.kind == LexErrorKind::UnterminatedString
        && e.span.end() == offset
    {
        let n = lexed.tokens.len();
        let is_labels = n >= 2
            && lexed.tokens[n - 1].1 == Token::LBracket
            && lexed.tokens[n - 2].1 == Token::Ident("labels".into());
        if !is_labels {
            return None;
        }
        out.edit = Span::new(e.span.start() + 1, offset);
        let context = Context::read(&lex(&before[..e.span.start()]).tokens);
        let keys = label_keys(snap.db(), snap.ws);
        let set = match context.side() {
            Some(Side::Scope) => keys.asset.iter().collect::<Vec<_>>(),
            Some(Side::Trust) => keys.image.iter().collect(),
            _ => keys.asset.union(&keys.image).collect(),
        };
        for key in set {
            out.push(key, CompletionItemKind::VALUE, Some("label key"), None);
        }
        return out.finish();
    }

    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .last()
        .map_or(offset, |(i, _)| i);
    out.edit = Span::new(word_start, offset);
    let tokens = lex(&before[..word_start]).tokens;
    // After `provenance(K).` / `vuln(K).`: the word starts at the dot, which stays.
    if before[word_start..].starts_with('.')
        && let Some(fields) = attestation_fields(&tokens)
    {
        out.edit = Span::new(word_start + 1, offset);
        for f in fields {
            let key = format!("{}.{f}", fields_owner(fields));
            let doc = attestation_attr(&key)
                .map(|a| format!("**`{}`**: `{}`\n\n{}", a.written, a.ty, a.from));
            let ty = attestation_attr(&key).map(|a| a.ty);
            out.push(f, CompletionItemKind::PROPERTY, ty, doc);
        }
        return out.finish();
    }
    let context = Context::read(&tokens);
    context.complete(&mut out);
    out.finish()
}

/// The fields of the attestation function whose call the tokens end with (`vuln ( K )`).
fn attestation_fields(tokens: &[(usize, Token, usize)]) -> Option<&'static [&'static str]> {
    let [
        ..,
        (_, Token::Ident(f), _),
        (_, Token::LParen, _),
        (_, Token::Ident(_), _),
        (_, Token::RParen, _),
    ] = tokens
    else {
        return None;
    };
    match f.as_str() {
        "provenance" => Some(PROVENANCE_FIELDS),
        "vuln" => Some(VULN_FIELDS),
        _ => None,
    }
}

fn fields_owner(fields: &[&str]) -> &'static str {
    if fields == PROVENANCE_FIELDS {
        "provenance"
    } else {
        "vuln"
    }
}

/// Where the cursor is, as far as the tokens before it tell.
struct Context {
    /// The enclosing block: `None` at item level.
    block: Option<Token>,
    /// Brace depth.
    depth: usize,
    /// The item keyword of the item being written at depth 0.
    item: Option<Token>,
    /// The clause keyword of the clause being written in a policy.
    clause: Option<Token>,
    prev: Option<Token>,
    prev2: Option<Token>,
    /// The key item being written is `keyless`.
    keyless: bool,
    /// Inside the list of `signed by N of [`.
    in_n_of: bool,
}

impl Context {
    fn read(tokens: &[(usize, Token, usize)]) -> Context {
        let mut c = Context {
            block: None,
            depth: 0,
            item: None,
            clause: None,
            prev: tokens.last().map(|t| t.1.clone()),
            prev2: tokens.len().checked_sub(2).map(|i| tokens[i].1.clone()),
            keyless: false,
            in_n_of: false,
        };
        for (_, tok, _) in tokens {
            match tok {
                Token::LBrace => {
                    if c.depth == 0 {
                        c.block = c.item.clone();
                        c.clause = None;
                    }
                    c.depth += 1;
                }
                Token::RBrace => {
                    c.depth = c.depth.saturating_sub(1);
                    if c.depth == 0 {
                        c.block = None;
                        c.item = None;
                    }
                }
                item if c.depth == 0 && item.starts_item() => {
                    c.item = Some(tok.clone());
                    c.keyless = false;
                }
                Token::Keyless if c.depth == 0 => c.keyless = true,
                Token::Of => c.in_n_of = true,
                Token::RBracket => c.in_n_of = false,
                Token::Action | Token::On | Token::Scope | Token::Trust | Token::Description
                    if c.depth == 1 && c.block == Some(Token::Policy) =>
                {
                    c.clause = Some(tok.clone());
                }
                _ => {}
            }
        }
        c
    }

    /// The attribute side of the expression being written.
    fn side(&self) -> Option<Side> {
        match (&self.block, self.depth, &self.item, &self.clause) {
            (None, 0, Some(Token::Scope), _) => Some(Side::Scope),
            (Some(Token::Policy), 1, _, Some(Token::Scope)) => Some(Side::Scope),
            (Some(Token::Policy), 1, _, Some(Token::Trust)) => Some(Side::Trust),
            _ => None,
        }
    }

    fn prev_is(&self, t: &Token) -> bool {
        self.prev.as_ref() == Some(t)
    }

    fn prev_ident(&self, name: &str) -> bool {
        matches!(&self.prev, Some(Token::Ident(n)) if n == name)
    }

    fn complete(&self, out: &mut Items) {
        let prev2_ident = |name: &str| matches!(&self.prev2, Some(Token::Ident(n)) if n == name);
        if self.prev_is(&Token::Action) || self.prev_is(&Token::Unknown) {
            return out.keywords(&["prevent", "issue"]);
        }
        if self.prev_is(&Token::On) {
            return out.keywords(&["unknown"]);
        }
        if self.prev_is(&Token::Signed) {
            return out.keywords(&["by"]);
        }
        if self.prev_is(&Token::By) {
            return out.names(&[DefKind::Key]);
        }
        if matches!(self.prev, Some(Token::Int(_))) && self.prev2 == Some(Token::By) {
            return out.keywords(&["of"]);
        }
        if self.in_n_of && matches!(self.prev, Some(Token::LBracket | Token::Comma)) {
            return out.names(&[DefKind::Key]);
        }
        if (self.prev_is(&Token::EqEq) || self.prev_is(&Token::NotEq)) && prev2_ident("asset") {
            for t in ["workload", "vm"] {
                out.push(t, CompletionItemKind::ENUM_MEMBER, Some("asset type"), None);
            }
            return;
        }
        match (&self.block, self.depth) {
            (Some(Token::Test), 1) => self.test_clause(out),
            (Some(Token::Test), _) => {}
            (Some(Token::Key), 1) if self.keyless => self.keyless_clause(out),
            (Some(Token::Key), 1) => {
                if self.prev_ident("tlog") {
                    out.names(&[DefKind::TrustRoot]);
                } else {
                    out.keywords(&["tlog"]);
                }
            }
            (Some(Token::Policy), 1) => match (&self.clause, self.side()) {
                (_, Some(side)) => self.expression(out, side, CLAUSES),
                _ => out.keywords(CLAUSES),
            },
            (Some(_), _) => {}
            (None, _) => self.item_level(out),
        }
    }

    fn keyless_clause(&self, out: &mut Items) {
        let value_position = matches!(
            self.prev,
            Some(
                Token::EqEq
                    | Token::NotEq
                    | Token::In
                    | Token::Matches
                    | Token::LBracket
                    | Token::Comma
            )
        );
        if self.prev_ident("root") {
            out.names(&[DefKind::TrustRoot]);
        } else if value_position {
            out.names(&[DefKind::Let]);
        } else if matches!(&self.prev, Some(Token::Ident(n)) if identity_attr(n).is_some()) {
            out.keywords(IDENTITY_OPERATORS);
        } else {
            out.keywords(&["root"]);
            for a in identity_attrs() {
                out.push(
                    a.name,
                    CompletionItemKind::PROPERTY,
                    Some("identity attribute"),
                    Some(a.doc),
                );
            }
        }
    }

    fn test_clause(&self, out: &mut Items) {
        if self.prev_ident("expect") {
            out.keywords(&["prevent", "allow", "trusted", "untrusted", "issues"]);
        } else if self.prev_ident("issues") {
            out.keywords(&["runtime", "posture"]);
        } else {
            out.keywords(&["input", "expect"]);
        }
    }

    fn item_level(&self, out: &mut Items) {
        let value = matches!(
            self.prev,
            Some(Token::Assign | Token::LBracket | Token::Comma)
        );
        match &self.item {
            Some(Token::Scope | Token::Let | Token::Key | Token::TrustRoot) if self.naming() => {}
            Some(Token::Scope) => self.expression(out, Side::Scope, ITEMS),
            Some(Token::Let) if value => {
                out.names(&[DefKind::Let]);
                out.keywords(&["true", "false"]);
            }
            Some(Token::Key) if self.prev_is(&Token::Assign) => {
                for f in ["file", "pem"] {
                    out.push(f, CompletionItemKind::FUNCTION, Some("key source"), None);
                }
                out.keywords(&["keyless"]);
            }
            Some(Token::TrustRoot) if self.prev_is(&Token::Assign) => {
                out.push(
                    "file",
                    CompletionItemKind::FUNCTION,
                    Some("trust root source"),
                    None,
                );
            }
            Some(Token::Policy | Token::Test) => {}
            _ => out.keywords(ITEMS),
        }
    }

    /// `let |`, `let x|`: a new name is being written.
    fn naming(&self) -> bool {
        matches!(
            self.prev,
            Some(Token::Let | Token::Key | Token::TrustRoot | Token::Scope)
        ) || matches!(
            (&self.prev2, &self.prev),
            (
                Some(Token::Let | Token::Key | Token::TrustRoot | Token::Scope),
                Some(Token::Ident(_))
            )
        )
    }

    /// Inside a scope or trust expression; `next` is what may follow a complete one.
    fn expression(&self, out: &mut Items, side: Side, next: &[&str]) {
        let value_position = matches!(
            self.prev,
            Some(
                Token::EqEq
                    | Token::NotEq
                    | Token::Lt
                    | Token::Le
                    | Token::Gt
                    | Token::Ge
                    | Token::In
                    | Token::Matches
                    | Token::LBracket
                    | Token::Comma
            )
        );
        let operand_position = matches!(
            self.prev,
            Some(
                Token::Assign
                    | Token::And
                    | Token::Or
                    | Token::Not
                    | Token::LParen
                    | Token::Scope
                    | Token::Trust
            )
        );
        if value_position {
            out.names(&[DefKind::Let]);
        } else if operand_position {
            for a in ATTRIBUTES
                .iter()
                .filter(|a| a.side == side || a.side == Side::Both)
            {
                out.push(
                    a.name,
                    CompletionItemKind::PROPERTY,
                    Some(a.ty.name()),
                    Some(attribute_doc(a)),
                );
            }
            // A bare operand is a condition: a named scope (in a scope) or a bool constant.
            if side == Side::Scope {
                out.names(&[DefKind::Scope]);
            }
            out.bool_constants();
            out.keywords(&["not"]);
            if side == Side::Trust {
                out.keywords(&["signed by"]);
                for f in ATTESTATION_FUNCTIONS {
                    let a = attestation_attr(f);
                    out.push(
                        f,
                        CompletionItemKind::FUNCTION,
                        a.map(|a| a.written),
                        a.map(|a| format!("**`{}`**: `{}`\n\n{}", a.written, a.ty, a.from)),
                    );
                }
            }
        } else {
            out.keywords(OPERATORS);
            out.keywords(next);
        }
    }
}

/// The items being collected.
struct Items<'a> {
    snap: &'a Snapshot,
    index: &'a LineIndex<'a>,
    /// What each item replaces.
    edit: Span,
    items: Vec<CompletionItem>,
}

impl Items<'_> {
    fn push(
        &mut self,
        label: &str,
        kind: CompletionItemKind,
        detail: Option<&str>,
        doc: Option<String>,
    ) {
        self.items.push(CompletionItem {
            label: label.to_owned(),
            kind: Some(kind),
            detail: detail.map(str::to_owned),
            documentation: doc.map(|value| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value,
                })
            }),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range: self.index.range(self.edit),
                new_text: label.to_owned(),
            })),
            ..CompletionItem::default()
        });
    }

    fn keywords(&mut self, words: &[&str]) {
        for w in words {
            let first = w.split(' ').next().unwrap_or(w);
            let doc = KEYWORDS
                .iter()
                .find(|(k, _)| *k == first)
                .map(|(_, d)| (*d).to_owned());
            self.push(w, CompletionItemKind::KEYWORD, None, doc);
        }
    }

    /// Defined names of the given kinds, in name order.
    fn names(&mut self, kinds: &[DefKind]) {
        let table = symbols(self.snap.db(), self.snap.ws);
        let names: Vec<(String, DefKind, Option<String>)> = table
            .defs
            .iter()
            .filter_map(|(name, defs)| {
                let kind = defs.first()?.kind;
                kinds.contains(&kind).then(|| {
                    let ty = table.consts.get(name).map(|c| c.type_name());
                    (name.clone(), kind, ty)
                })
            })
            .collect();
        for (name, kind, ty) in names {
            let (item_kind, detail) = match kind {
                DefKind::Let => (
                    CompletionItemKind::CONSTANT,
                    ty.map_or("constant".to_owned(), |t| format!("constant: {t}")),
                ),
                DefKind::Key => (CompletionItemKind::VARIABLE, "key".to_owned()),
                DefKind::Scope => (CompletionItemKind::MODULE, "scope".to_owned()),
                DefKind::TrustRoot => (CompletionItemKind::REFERENCE, "trust root".to_owned()),
            };
            self.push(&name, item_kind, Some(&detail), None);
        }
    }

    /// Constants whose value is a bool.
    fn bool_constants(&mut self) {
        let table = symbols(self.snap.db(), self.snap.ws);
        let names: Vec<String> = table
            .consts
            .iter()
            .filter(|(_, c)| matches!(c, Const::Bool(_)))
            .map(|(n, _)| n.clone())
            .collect();
        for name in names {
            self.push(
                &name,
                CompletionItemKind::CONSTANT,
                Some("constant: bool"),
                None,
            );
        }
    }

    fn finish(self) -> Option<CompletionResponse> {
        (!self.items.is_empty()).then_some(CompletionResponse::Array(self.items))
    }
}
