//! The TextMate grammar for editors (`grammar/trust.tmLanguage.json`, used by the VS Code
//! extension) parses as JSON and highlights every keyword of the lexer and every attribute.

use std::collections::BTreeSet;
use std::path::Path;

use bona_compiler::attributes::{ATTRIBUTES, KEYWORDS};
use serde_json::Value;

fn grammar() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../grammar/trust.tmLanguage.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every `match` regex under `value`, recursively.
fn matches(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "match" {
                    if let Value::String(s) = v {
                        out.push(s.clone());
                    }
                } else {
                    matches(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| matches(v, out)),
        _ => {}
    }
}

/// The literal words of the `match` regexes under `repository.<section>`: `\.` becomes `.`,
/// and words are split at anything that is not a letter, digit, `_` or `.`.
fn words(grammar: &Value, section: &str) -> BTreeSet<String> {
    let node = &grammar["repository"][section];
    assert!(!node.is_null(), "the grammar has no repository.{section}");
    let mut regexes = Vec::new();
    matches(node, &mut regexes);
    regexes
        .iter()
        .flat_map(|r| {
            r.replace("\\.", ".")
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn grammar_is_json_with_the_right_scope() {
    let g = grammar();
    assert_eq!(g["scopeName"], "source.trust");
    assert!(g["patterns"].is_array());
}

#[test]
fn every_keyword_is_highlighted() {
    let words = words(&grammar(), "keywords");
    let missing: Vec<_> = KEYWORDS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !words.contains(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "keywords missing from the grammar: {missing:?}"
    );
}

#[test]
fn every_attribute_is_highlighted() {
    let words = words(&grammar(), "attributes");
    let missing: Vec<_> = ATTRIBUTES
        .iter()
        .map(|a| a.name)
        .filter(|n| !words.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "attributes missing from the grammar: {missing:?}"
    );
}

#[test]
fn every_identity_attribute_is_highlighted() {
    let words = words(&grammar(), "identity");
    let missing: Vec<_> = bona_compiler::identity::identity_attrs()
        .into_iter()
        .map(|a| a.name)
        .filter(|n| !words.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "identity attributes missing from the grammar: {missing:?}"
    );
}

#[test]
fn every_attestation_function_and_field_is_highlighted() {
    use bona_compiler::attributes::{ATTESTATION_FUNCTIONS, PROVENANCE_FIELDS, VULN_FIELDS};
    let words = words(&grammar(), "attestations");
    let missing: Vec<_> = ATTESTATION_FUNCTIONS
        .iter()
        .chain(PROVENANCE_FIELDS)
        .chain(VULN_FIELDS)
        .filter(|n| !words.contains(**n))
        .collect();
    assert!(
        missing.is_empty(),
        "attestation functions or fields missing from the grammar: {missing:?}"
    );
}
