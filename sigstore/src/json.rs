//! Lenient JSON field access that names the JSON path of whatever is missing or mistyped.
//!
//! Sigstore documents (trust roots, bundles, Rekor entry bodies) evolve by adding fields, so
//! readers here ignore unknown fields and look up only what they need in a
//! `serde_json::Value`. Every failure carries the dotted path (`tlogs[0].publicKey.rawBytes`)
//! so that a user can find the offending spot in a file they did not write.

use std::fmt;

use serde_json::{Map, Value};

/// A field that is missing, of the wrong type, or whose text is not what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Dotted JSON path of the value (`$` for the document itself).
    pub path: String,
    /// What is wrong with it, as the end of a sentence ("is missing", "is not base64").
    pub problem: String,
}

impl JsonError {
    /// An error at `path`.
    pub fn new(path: &str, problem: impl Into<String>) -> Self {
        JsonError {
            path: path.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.path, self.problem)
    }
}

impl std::error::Error for JsonError {}

/// Parses a JSON document, naming the line and column of a syntax error.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    serde_json::from_slice(bytes).map_err(|e| {
        JsonError::new(
            "$",
            format!("is not JSON (line {}, column {})", e.line(), e.column()),
        )
    })
}

/// `path.name`, or `name` when `path` is the root.
pub fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "$" {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// `path[i]`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The value as an object.
pub fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, JsonError> {
    v.as_object()
        .ok_or_else(|| JsonError::new(path, "is not an object"))
}

/// A member that must be present (JSON `null` counts as absent).
pub fn required<'a>(v: &'a Value, path: &str, name: &str) -> Result<&'a Value, JsonError> {
    match object(v, path)?.get(name) {
        Some(Value::Null) | None => Err(JsonError::new(&join(path, name), "is missing")),
        Some(x) => Ok(x),
    }
}

/// A member that may be absent (or `null`).
pub fn optional<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v.get(name) {
        Some(Value::Null) | None => None,
        Some(x) => Some(x),
    }
}

/// A required string member.
pub fn string<'a>(v: &'a Value, path: &str, name: &str) -> Result<&'a str, JsonError> {
    required(v, path, name)?
        .as_str()
        .ok_or_else(|| JsonError::new(&join(path, name), "is not a string"))
}

/// An optional string member (present but not a string is an error).
pub fn opt_string<'a>(v: &'a Value, path: &str, name: &str) -> Result<Option<&'a str>, JsonError> {
    match optional(v, name) {
        None => Ok(None),
        Some(x) => x
            .as_str()
            .map(Some)
            .ok_or_else(|| JsonError::new(&join(path, name), "is not a string")),
    }
}

/// A required array member.
pub fn array<'a>(v: &'a Value, path: &str, name: &str) -> Result<&'a [Value], JsonError> {
    required(v, path, name)?
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| JsonError::new(&join(path, name), "is not an array"))
}

/// An optional array member; absent is empty (proto3 JSON drops empty lists).
pub fn opt_array<'a>(v: &'a Value, path: &str, name: &str) -> Result<&'a [Value], JsonError> {
    match optional(v, name) {
        None => Ok(&[]),
        Some(x) => x
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| JsonError::new(&join(path, name), "is not an array")),
    }
}

/// A required base64 (standard, whitespace-tolerant) member, decoded.
pub fn base64(v: &Value, path: &str, name: &str) -> Result<Vec<u8>, JsonError> {
    let s = string(v, path, name)?;
    crate::keys::decode_base64_lenient(s)
        .map_err(|_| JsonError::new(&join(path, name), "is not base64"))
}

/// An optional base64 member, decoded.
pub fn opt_base64(v: &Value, path: &str, name: &str) -> Result<Option<Vec<u8>>, JsonError> {
    match opt_string(v, path, name)? {
        None => Ok(None),
        Some(s) => crate::keys::decode_base64_lenient(s)
            .map(Some)
            .map_err(|_| JsonError::new(&join(path, name), "is not base64")),
    }
}

/// A signed 64-bit integer member written as a JSON number or, as proto3 JSON writes 64-bit
/// integers, a decimal string. `None` when absent (proto3 drops zero values).
pub fn opt_i64(v: &Value, path: &str, name: &str) -> Result<Option<i64>, JsonError> {
    match optional(v, name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| JsonError::new(&join(path, name), "is not a 64-bit integer")),
        Some(Value::String(s)) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| JsonError::new(&join(path, name), "is not a 64-bit integer")),
        Some(_) => Err(JsonError::new(&join(path, name), "is not an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_field() {
        let v: Value = serde_json::json!({"a": {"b": [1, {"c": 5}]}, "n": "12", "z": null});
        let e = string(&v, "$", "missing");
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("`missing` is missing".to_string())
        );
        let Some(inner) = v.pointer("/a/b/1") else {
            unreachable!()
        };
        let e = string(inner, "a.b[1]", "c");
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("`a.b[1].c` is not a string".to_string())
        );
        assert_eq!(opt_i64(&v, "$", "n"), Ok(Some(12)));
        assert_eq!(opt_i64(&v, "$", "z"), Ok(None));
        assert!(required(&v, "$", "z").is_err());
    }
}
