//! Hover: what the thing under the cursor is.
//!
//! - an attribute: its side, type, when it is known, and what it is, from the compiler's one
//!   attribute table ([`ATTRIBUTES`](bona_compiler::attributes::ATTRIBUTES)), the same text as
//!   `docs/language.md`;
//! - a `let`, `key`, `trustroot` or `scope` name (where it is used or defined): the definition
//!   as written, the constant's type or the signer's trust root and constraints, and the item's
//!   `##` doc comment;
//! - an identity attribute in a `keyless` block: the certificate field it reads, from the
//!   compiler's identity table ([`identity_attrs`](bona_compiler::identity::identity_attrs));
//! - a policy's name: a summary (action, on unknown, scope, number of rules, description);
//! - a keyword: its meaning, from [`KEYWORDS`](bona_compiler::attributes::KEYWORDS).

use bona_compiler::attributes::{Attribute, KEYWORDS, Side, attribute};
use bona_compiler::db::SourceFile;
use bona_compiler::resolve::symbols;
use bona_compiler::syntax::ast::{
    Action, ClauseKind, Item, KeylessClauseKind, KeylessDecl, Policy,
};
use bona_compiler::syntax::lexer::Token;
use bona_compiler::syntax::parse;
use bona_compiler::syntax::span::Span;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::analysis::{OccKind, definitions, doc_comment, occurrence_at, occurrences, token_at};
use crate::convert::LineIndex;
use crate::session::Snapshot;

/// Answers `textDocument/hover`.
pub fn hover(snap: &Snapshot, params: &HoverParams) -> Option<Hover> {
    let at = &params.text_document_position_params;
    let file = snap.file(&at.text_document.uri)?;
    let db = snap.db();
    let text = file.text(db);
    let index = LineIndex::new(text);
    let offset = index.offset(at.position);
    let (markdown, span) = if let Some(occ) = occurrence_at(occurrences(db, file), offset) {
        let md = match occ.kind {
            OccKind::Attribute => attribute(&occ.name).map(attribute_doc).or_else(|| {
                bona_compiler::attributes::attestation_attr(&occ.name).map(|a| {
                    format!(
                        "**`{}`**: `{}`, attestation attribute (in `trust` rules)\n\n{}",
                        a.written, a.ty, a.from
                    )
                })
            }),
            OccKind::Identity => bona_compiler::identity::identity_doc(&occ.name)
                .map(|doc| format!("**`{}`**: identity attribute of a keyless signer\n\n{doc}", occ.name)),
            OccKind::Definition(_) | OccKind::Reference => name_doc(snap, file, &occ.name),
            OccKind::AssetType => Some(format!(
                "**`{}`**: asset type\n\nCompare with `asset == {}` or `asset != {}`.",
                occ.name, occ.name, occ.name
            )),
            OccKind::Pattern => Some(
                "glob pattern: `*` any run of characters without `/`, `**` any run, `?` one character other than `/`"
                    .to_owned(),
            ),
        };
        (md?, occ.span)
    } else {
        let (span, token) = token_at(text, offset)?;
        (token_doc(snap, file, span, &token)?, span)
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(index.range(span)),
    })
}

/// The documentation of an attribute.
pub fn attribute_doc(a: &Attribute) -> String {
    let side = match a.side {
        Side::Scope => "asset attribute (in `scope` expressions)",
        Side::Trust => "image attribute (in `trust` rules)",
        Side::Both => "asset attribute in `scope` expressions, image attribute in `trust` rules",
    };
    let name = if a.name == "labels" {
        "labels[\"k\"]"
    } else {
        a.name
    };
    format!(
        "**`{name}`**: `{}`, {side}\n\n{}\n\nKnown: {}",
        a.ty.name(),
        a.doc,
        a.known
    )
}

/// The documentation of a `let`, `key` or `scope` name.
fn name_doc(snap: &Snapshot, here: SourceFile, name: &str) -> Option<String> {
    let db = snap.db();
    let (file, item_index, _) = definitions(db, snap.ws, name).into_iter().next()?;
    let parsed = parse(db, file);
    let item = parsed.file.items.get(item_index)?;
    let text = file.text(db);
    let written = text.get(item.span().range()).unwrap_or("");
    let mut md = format!("```bona\n{}\n```", shorten(written));
    match item {
        Item::Let(_) => {
            if let Some(c) = symbols(db, snap.ws).consts.get(name) {
                md.push_str(&format!("\n\nconstant of type `{}`", c.type_name()));
            }
        }
        Item::Key(k) => {
            md.push_str("\n\npublic key (ECDSA, Ed25519 or RSA), for `signed by`");
            if let Some(o) = k
                .options
                .iter()
                .flat_map(|o| &o.options)
                .find(|o| o.word.name == "tlog")
            {
                md.push_str(&format!(
                    "; its signatures must also be in a transparency log of trust root `{}`",
                    o.name.name
                ));
            }
        }
        Item::Keyless(k) => md.push_str(&keyless_doc(snap, k)),
        Item::TrustRoot(_) => md.push_str(
            "\n\nSigstore trust root: the certificate authorities, transparency logs and timestamp authorities keyless signers (`root`) and logged keys (`tlog`) are checked against",
        ),
        Item::Scope(_) => md.push_str("\n\nnamed scope over asset attributes"),
        _ => {}
    }
    if let Some(doc) = doc_comment(parsed, text, item.span().start()) {
        md.push_str("\n\n");
        md.push_str(&doc);
    }
    if file != here {
        let shown = file.path(db).file_name().map_or_else(
            || file.path(db).display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        md.push_str(&format!("\n\n*defined in `{shown}`*"));
    }
    Some(md)
}

/// A keyless signer's trust root and constraints, one per line.
fn keyless_doc(snap: &Snapshot, k: &KeylessDecl) -> String {
    let mut root = None;
    let mut lines = Vec::new();
    for c in &k.clauses {
        match &c.kind {
            KeylessClauseKind::Word { word, name } if word.name == "root" => {
                root = Some(format!("trust root `{}`", name.name));
            }
            KeylessClauseKind::Constraint {
                attr, op, value, ..
            } => {
                lines.push(format!(
                    "- `{}` {} {}",
                    attr.name,
                    op.as_str(),
                    value_text(value)
                ));
            }
            _ => {}
        }
    }
    let root = root.unwrap_or_else(
        || match symbols(snap.db(), snap.ws).trust_roots.as_slice() {
            [only] => format!("trust root `{only}` (the policy set's only one)"),
            _ => "no trust root named".to_owned(),
        },
    );
    format!(
        "\n\nkeyless signer, for `signed by`: a Fulcio certificate of {root} whose identity meets every constraint:\n\n{}",
        lines.join("\n")
    )
}

/// A constraint's value as written, in backticks.
fn value_text(o: &bona_compiler::syntax::ast::Operand) -> String {
    use bona_compiler::syntax::ast::OperandKind;
    match &o.kind {
        OperandKind::Str(s) => format!("`\"{s}\"`"),
        OperandKind::List(items) => format!(
            "[{}]",
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        ),
        OperandKind::Name(n) => format!("`{n}`"),
        OperandKind::Int(n) => format!("`{n}`"),
        _ => "…".to_owned(),
    }
}

/// At most 20 lines of an item's text.
fn shorten(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 20 {
        return text.to_owned();
    }
    format!("{}\n  …", lines[..20].join("\n"))
}

/// Keywords, and policy names.
fn token_doc(snap: &Snapshot, file: SourceFile, span: Span, token: &Token) -> Option<String> {
    if let Token::Str(_) = token {
        let parsed = parse(snap.db(), file);
        return parsed.file.items.iter().find_map(|item| match item {
            Item::Policy(p) if p.name.span == span => Some(policy_doc(snap, file, p)),
            _ => None,
        });
    }
    if let Token::Ident(_) = token {
        // In a clause the parser could not read, the tree has no occurrence: the text still
        // says which attribute (dotted ones included) or name this is.
        let text = file.text(snap.db());
        let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
        let start = text[..span.start()]
            .char_indices()
            .rev()
            .find(|(_, c)| !is_word(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = text[span.end()..]
            .find(|c: char| !is_word(c))
            .map_or(text.len(), |i| span.end() + i);
        let word = &text[start..end];
        return match attribute(word) {
            Some(a) => Some(attribute_doc(a)),
            None => name_doc(snap, file, text.get(span.range()).unwrap_or(""))
                .or_else(|| key_word_doc(word)),
        };
    }
    let word = token.to_string();
    let word = word.trim_matches('`');
    let (_, doc) = KEYWORDS.iter().find(|(k, _)| *k == word)?;
    Some(format!("**`{word}`**: keyword\n\n{doc}"))
}

/// `root` and `tlog`: words of a key's braces, not keywords (they stay usable as names).
fn key_word_doc(word: &str) -> Option<String> {
    let doc = match word {
        "root" => {
            "in a `keyless` block, `root TRUSTROOT` names the trust root whose certificate authorities must have issued the signing certificate; optional when the policy set declares one `trustroot`"
        }
        "tlog" => {
            "after a key, `{ tlog TRUSTROOT }` requires each signature to be in a transparency log of that trust root"
        }
        _ => return None,
    };
    Some(format!("**`{word}`**\n\n{doc}"))
}

/// The summary of a policy.
fn policy_doc(snap: &Snapshot, file: SourceFile, p: &Policy) -> String {
    let text = file.text(snap.db());
    let word = |a: Action| match a {
        Action::Prevent => "prevent",
        Action::Issue => "issue",
    };
    let mut action = None;
    let mut on_unknown = None;
    let mut scope = None;
    let mut description = None;
    let mut rules = 0;
    for c in &p.clauses {
        match &c.kind {
            ClauseKind::Action(a, _) => action = action.or(Some(*a)),
            ClauseKind::OnUnknown(a, _) => on_unknown = on_unknown.or(Some(*a)),
            ClauseKind::Scope(e) => scope = scope.or(text.get(e.span.range())),
            ClauseKind::Trust(_) => rules += 1,
            ClauseKind::Description(d) => description = description.or(Some(d.value.as_str())),
            ClauseKind::Error => {}
        }
    }
    let mut md = format!("**policy \"{}\"**", p.name.value);
    if let Some(d) = description {
        md.push_str(&format!("\n\n{d}"));
    }
    if let Some(doc) = doc_comment(parse(snap.db(), file), text, p.span.start()) {
        md.push_str(&format!("\n\n{doc}"));
    }
    let action_text = action.map_or("missing".to_owned(), |a| format!("`{}`", word(a)));
    let unknown_text = match (action, on_unknown) {
        (_, Some(a)) => format!("`{}`", word(a)),
        (Some(Action::Issue), None) => "reported as an issue".to_owned(),
        _ => "`issue` (default)".to_owned(),
    };
    let scope_text = scope.map_or("every asset".to_owned(), |s| {
        format!("`{}`", s.split_whitespace().collect::<Vec<_>>().join(" "))
    });
    let plural = if rules == 1 { "" } else { "s" };
    md.push_str(&format!(
        "\n\n- action: {action_text}\n- on unknown: {unknown_text}\n- scope: {scope_text}\n- {rules} trust rule{plural}"
    ));
    md
}
