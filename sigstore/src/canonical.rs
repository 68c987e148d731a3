//! RFC 8785 (JSON Canonicalization Scheme) serialisation.
//!
//! Rekor signs its Signed Entry Timestamp over the canonical JSON of
//! `{body, integratedTime, logID, logIndex}`, and stores `dsse`/`intoto` entries canonicalised,
//! so a verifier must reproduce those bytes exactly: object members sorted by the UTF-16 code
//! units of their names, no insignificant whitespace, strings escaped the ECMAScript way (only
//! `"`, `\` and control characters; `\b \t \n \f \r` short forms, otherwise `\u00xx` in lower
//! case), integers in plain decimal. Non-integral numbers, which these documents never contain,
//! are written with Rust's shortest round-trip form, which agrees with ECMAScript for values
//! between 1e-6 and 1e21.

use serde_json::Value;

/// The RFC 8785 canonical form of `value`.
pub fn to_canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
    }
}

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(f) = n.as_f64() {
        if f == 0.0 {
            out.push(b'0');
        } else if f.fract() == 0.0 && f.abs() < 1e21 {
            out.extend_from_slice(format!("{f:.0}").as_bytes());
        } else {
            out.extend_from_slice(format!("{f}").as_bytes());
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if u32::from(c) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", u32::from(c)).as_bytes());
            }
            c => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => unreachable!("{e}"),
        };
        String::from_utf8_lossy(&to_canonical_json(&v)).into_owned()
    }

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        assert_eq!(
            canon(
                r#"{ "logIndex": 42, "body": "YQ==", "logID": "ab", "integratedTime": 1700000000 }"#
            ),
            r#"{"body":"YQ==","integratedTime":1700000000,"logID":"ab","logIndex":42}"#
        );
        assert_eq!(
            canon(r#"{"b":[1,{"z":null,"a":true}],"a":-3}"#),
            r#"{"a":-3,"b":[1,{"a":true,"z":null}]}"#
        );
    }

    #[test]
    fn escapes_like_ecmascript() {
        assert_eq!(
            canon(r#""a\"b\\c\n\u0001/é€""#),
            "\"a\\\"b\\\\c\\n\\u0001/é€\""
        );
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16, after it in UTF-8.
        assert_eq!(
            canon("{\"\u{fb01}\":1,\"\u{1f600}\":2}"),
            "{\"\u{1f600}\":2,\"\u{fb01}\":1}"
        );
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::from),
            "[\u{0}-\u{1f}\"\\\\]{0,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("\\PC{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn canonical_form_reads_back_and_is_a_fixed_point(v in json_value()) {
            let bytes = to_canonical_json(&v);
            let back: Value = match serde_json::from_slice(&bytes) {
                Ok(b) => b,
                Err(e) => unreachable!("{e}: {}", String::from_utf8_lossy(&bytes)),
            };
            proptest::prop_assert_eq!(&back, &v);
            proptest::prop_assert_eq!(to_canonical_json(&back), bytes);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(canon("[1.0, 1e3, 0.5, -0]"), "[1,1000,0.5,0]");
    }
}
