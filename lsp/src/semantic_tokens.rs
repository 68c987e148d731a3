//! Semantic tokens (whole document, a range, or the edits since the last result): keywords, attributes, names, strings, patterns, numbers and
//! durations, comments. The lexer says what each token is; the occurrence index says what an
//! identifier means (an attribute, a constant, a scope, a key) and which strings are glob
//! patterns, so colouring follows the language's meaning, not just its spelling.

use bona_compiler::lower::DefKind;
use bona_compiler::resolve::symbols;
use bona_compiler::syntax::ast::Item;
use bona_compiler::syntax::lexer::{Token, lex};
use bona_compiler::syntax::parse;
use bona_compiler::syntax::span::Span;
use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    Range, SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens,
    SemanticTokensDelta, SemanticTokensEdit, SemanticTokensFullDeltaResult, SemanticTokensLegend,
    Uri,
};

use crate::analysis::{OccKind, Occurrence, occurrences};
use crate::convert::{LineIndex, u32_of, utf16_len};

/// Token types, in legend order.
const KEYWORD: u32 = 0;
const PROPERTY: u32 = 1;
const VARIABLE: u32 = 2;
const NAMESPACE: u32 = 3;
const STRING: u32 = 4;
const REGEXP: u32 = 5;
const NUMBER: u32 = 6;
const COMMENT: u32 = 7;
const ENUM_MEMBER: u32 = 8;
const FUNCTION: u32 = 9;

/// Modifier bits, in legend order.
const DECLARATION: u32 = 1 << 0;
const READONLY: u32 = 1 << 1;
const DOCUMENTATION: u32 = 1 << 2;
/// A number that is a duration (`7d`): a modifier of Bona's own, which clients that do not
/// know it ignore.
const DURATION: u32 = 1 << 3;

/// The legend announced in the server's capabilities.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: vec![
            SemanticTokenType::KEYWORD,
            SemanticTokenType::PROPERTY,
            SemanticTokenType::VARIABLE,
            SemanticTokenType::NAMESPACE,
            SemanticTokenType::STRING,
            SemanticTokenType::REGEXP,
            SemanticTokenType::NUMBER,
            SemanticTokenType::COMMENT,
            SemanticTokenType::ENUM_MEMBER,
            SemanticTokenType::FUNCTION,
        ],
        token_modifiers: vec![
            SemanticTokenModifier::DECLARATION,
            SemanticTokenModifier::READONLY,
            SemanticTokenModifier::DOCUMENTATION,
            SemanticTokenModifier::new("duration"),
        ],
    }
}

/// The last tokens sent for each document, so that `semanticTokens/full/delta` can answer with
/// the edits since then instead of the whole list.
#[derive(Default)]
pub struct Sent {
    next_id: u64,
    by_uri: HashMap<Uri, (String, Vec<SemanticToken>)>,
}

impl Sent {
    /// Remembers `data` as the latest result for `uri` and returns it with its new id.
    pub fn record(&mut self, uri: &Uri, data: Vec<SemanticToken>) -> SemanticTokens {
        self.next_id += 1;
        let id = self.next_id.to_string();
        self.by_uri.insert(uri.clone(), (id.clone(), data.clone()));
        SemanticTokens {
            result_id: Some(id),
            data,
        }
    }

    /// The edits from result `previous` to `data`, or the whole of `data` when `previous` is
    /// not the latest result sent for `uri` (the client missed one, or the server restarted).
    pub fn delta(
        &mut self,
        uri: &Uri,
        previous: &str,
        data: Vec<SemanticToken>,
    ) -> SemanticTokensFullDeltaResult {
        let edits = match self.by_uri.get(uri) {
            Some((id, old)) if id == previous => Some(edits(old, &data)),
            _ => None,
        };
        let sent = self.record(uri, data);
        match edits {
            Some(edits) => SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta {
                result_id: sent.result_id,
                edits,
            }),
            None => SemanticTokensFullDeltaResult::Tokens(sent),
        }
    }

    /// Forgets a closed document.
    pub fn forget(&mut self, uri: &Uri) {
        self.by_uri.remove(uri);
    }
}

/// One edit replacing what lies between the common prefix and the common suffix of the two
/// token lists. Offsets count integers (five per token), as LSP prescribes. An edit usually
/// touches one line, so one edit carries a few tokens where the full list carries thousands.
fn edits(old: &[SemanticToken], new: &[SemanticToken]) -> Vec<SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let removed = old.len() - prefix - suffix;
    let inserted = &new[prefix..new.len() - suffix];
    if removed == 0 && inserted.is_empty() {
        return Vec::new();
    }
    vec![SemanticTokensEdit {
        start: u32_of(prefix * 5),
        delete_count: u32_of(removed * 5),
        data: Some(inserted.to_vec()),
    }]
}

/// The tokens of the document, or of those lines of it that `range` touches (LSP lets a range
/// answer cover more than asked; whole lines keep the answer simple and correct).
pub fn tokens(
    snap: &crate::session::Snapshot,
    uri: &Uri,
    range: Option<Range>,
) -> Option<Vec<SemanticToken>> {
    let file = snap.file(uri)?;
    let db = snap.db();
    let text = file.text(db);
    let occs = occurrences(db, file);
    let table = symbols(db, snap.ws);
    let tests: Vec<Span> = parse(db, file)
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Test(t) => Some(t.span),
            _ => None,
        })
        .collect();
    let lexed = lex(text);
    let mut raw: Vec<(Span, u32, u32)> = Vec::new();
    for (i, (start, tok, end)) in lexed.tokens.iter().enumerate() {
        let span = Span::new(*start, *end);
        let next = lexed.tokens.get(i + 1).map(|t| &t.1);
        let class = match tok {
            Token::Policy
            | Token::Let
            | Token::Key
            | Token::Scope
            | Token::Test
            | Token::Action
            | Token::On
            | Token::Unknown
            | Token::Prevent
            | Token::Issue
            | Token::Trust
            | Token::And
            | Token::Or
            | Token::Not
            | Token::In
            | Token::Matches
            | Token::Signed
            | Token::By
            | Token::True
            | Token::False
            | Token::Description
            | Token::TrustRoot
            | Token::Keyless
            | Token::Of => Some((KEYWORD, 0)),
            Token::Str(_) => Some(match find(occs, span) {
                Some(o) if o.kind == OccKind::Pattern => (REGEXP, 0),
                _ => (STRING, 0),
            }),
            Token::Int(_) => Some((NUMBER, 0)),
            Token::Duration(_) => Some((NUMBER, DURATION)),
            Token::Ident(name) => match find(occs, span) {
                Some(o) => match o.kind {
                    OccKind::Attribute | OccKind::Identity => Some((PROPERTY, 0)),
                    OccKind::AssetType => Some((ENUM_MEMBER, 0)),
                    OccKind::Pattern => None,
                    OccKind::Definition(DefKind::Scope) => Some((NAMESPACE, DECLARATION)),
                    OccKind::Definition(_) => Some((VARIABLE, DECLARATION | READONLY)),
                    OccKind::Reference => match table.def(name).map(|d| d.kind) {
                        Some(DefKind::Scope) => Some((NAMESPACE, 0)),
                        _ => Some((VARIABLE, READONLY)),
                    },
                },
                None if tests.iter().any(|t| t.start() <= *start && *end <= t.end()) => {
                    match (name.as_str(), next) {
                        (_, Some(Token::Colon)) => Some((PROPERTY, 0)),
                        (
                            "input" | "expect" | "allow" | "trusted" | "untrusted" | "issues"
                            | "runtime" | "posture",
                            _,
                        ) => Some((KEYWORD, 0)),
                        _ => None,
                    }
                }
                None if matches!(next, Some(Token::LParen)) => Some((FUNCTION, 0)),
                // `root R` in a keyless block, `tlog R` in a key's braces: the words the
                // grammar reads as names but the checker as keywords.
                None if matches!(name.as_str(), "root" | "tlog")
                    && matches!(next, Some(Token::Ident(_))) =>
                {
                    Some((KEYWORD, 0))
                }
                None => None,
            },
            _ => None,
        };
        if let Some((ty, mods)) = class {
            raw.push((span, ty, mods));
        }
    }
    for t in &lexed.trivia {
        raw.push((t.span, COMMENT, if t.doc { DOCUMENTATION } else { 0 }));
    }
    raw.sort_by_key(|(s, _, _)| s.start());
    let index = LineIndex::new(text);
    if let Some(range) = range {
        raw.retain(|(span, _, _)| {
            let line = index.position(span.start()).line;
            range.start.line <= line && line <= range.end.line
        });
    }
    Some(encode(text, &index, &raw))
}

/// The occurrence whose span contains `span`.
fn find(occs: &[Occurrence], span: Span) -> Option<&Occurrence> {
    let i = occs.partition_point(|o| o.span.start() <= span.start());
    occs[..i]
        .last()
        .filter(|o| o.span.start() <= span.start() && span.end() <= o.span.end())
}

/// LSP's relative encoding. Tokens are single-line (strings and comments cannot hold a
/// newline), so each token's length is its UTF-16 length.
fn encode(text: &str, index: &LineIndex, raw: &[(Span, u32, u32)]) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(raw.len());
    let (mut line, mut col) = (0u32, 0u32);
    for (span, ty, mods) in raw {
        let pos = index.position(span.start());
        let length = u32_of(utf16_len(text.get(span.range()).unwrap_or("")));
        let delta_line = pos.line.saturating_sub(line);
        let delta_start = if delta_line == 0 {
            pos.character.saturating_sub(col)
        } else {
            pos.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: *ty,
            token_modifiers_bitset: *mods,
        });
        line = pos.line;
        col = pos.character;
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn token(line: u32, ty: u32) -> SemanticToken {
        SemanticToken {
            delta_line: line,
            delta_start: 0,
            length: 1,
            token_type: ty,
            token_modifiers_bitset: 0,
        }
    }

    /// What a client does with the edits: splice them into its integer array.
    fn apply(old: &[SemanticToken], edits: &[SemanticTokensEdit]) -> Vec<SemanticToken> {
        let mut out = old.to_vec();
        for edit in edits.iter().rev() {
            let start = edit.start as usize / 5;
            let end = start + edit.delete_count as usize / 5;
            out.splice(start..end, edit.data.clone().unwrap_or_default());
        }
        out
    }

    proptest! {
        #[test]
        fn edits_turn_the_old_tokens_into_the_new(
            old in prop::collection::vec((0u32..3, 0u32..3), 0..20),
            new in prop::collection::vec((0u32..3, 0u32..3), 0..20),
        ) {
            let old: Vec<_> = old.into_iter().map(|(l, t)| token(l, t)).collect();
            let new: Vec<_> = new.into_iter().map(|(l, t)| token(l, t)).collect();
            let edits = edits(&old, &new);
            prop_assert_eq!(apply(&old, &edits), new.clone());
            prop_assert_eq!(edits.is_empty(), old == new);
        }
    }
}
