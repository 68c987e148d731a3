//! YAML for the reports' `List`, as `kubectl get … -o yaml` users read it.
//!
//! JSON is YAML: a value is written as JSON, loaded by yaml-rust2 (which keeps the order of
//! keys, so a report reads `apiVersion`, `kind`, `metadata` … as in JSON) and emitted as block
//! YAML, which quotes every string that would otherwise read as another type.

use serde::Serialize;
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

/// `value` as block YAML, without the `---` document marker; `None` if it cannot be written.
fn block(json: &str) -> Option<String> {
    let docs = YamlLoader::load_from_str(json).ok()?;
    let doc = docs.first().cloned().unwrap_or(Yaml::Null);
    let mut out = String::new();
    YamlEmitter::new(&mut out).dump(&doc).ok()?;
    let body = out.strip_prefix("---\n").unwrap_or(&out);
    Some(body.to_owned())
}

/// `value` as one item of a block sequence: `- ` before its first line, its other lines
/// indented by two spaces, ending with a newline. A value yaml-rust2 cannot write is written
/// as JSON, which YAML reads as well.
pub(super) fn list_item(value: &impl Serialize) -> serde_json::Result<String> {
    let json = serde_json::to_string(value)?;
    let body = block(&json).unwrap_or(json);
    let mut out = String::with_capacity(body.len() + 64);
    for (n, line) in body.lines().enumerate() {
        out.push_str(if n == 0 { "- " } else { "  " });
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_read_back_as_the_value() {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            api_version: &'static str,
            kind: &'static str,
            rest: serde_json::Value,
        }
        let rest = serde_json::json!({
            "metadata": {"name": "bona-0123", "labels": {"bona.dev/cluster": "true"}},
            "results": [
                {"policy": "a: b", "message": "x\n- y", "scored": true, "digest": "", "n": 7},
                {"policy": "123", "message": "#not a comment", "scored": false}
            ],
            "empty": [],
            "none": {}
        });
        let value = Head {
            api_version: "wgpolicyk8s.io/v1alpha2",
            kind: "PolicyReport",
            rest,
        };
        let text = format!("items:\n{}", list_item(&value).unwrap_or_default());
        let docs = YamlLoader::load_from_str(&text).unwrap_or_default();
        let item = &docs[0]["items"][0]["rest"];
        assert_eq!(docs[0]["items"][0]["kind"].as_str(), Some("PolicyReport"));
        assert_eq!(
            item["metadata"]["labels"]["bona.dev/cluster"].as_str(),
            Some("true")
        );
        assert_eq!(item["results"][0]["policy"].as_str(), Some("a: b"));
        assert_eq!(item["results"][0]["message"].as_str(), Some("x\n- y"));
        assert_eq!(item["results"][0]["digest"].as_str(), Some(""));
        assert_eq!(item["results"][0]["n"].as_i64(), Some(7));
        assert_eq!(item["results"][1]["policy"].as_str(), Some("123"));
        assert_eq!(
            item["results"][1]["message"].as_str(),
            Some("#not a comment")
        );
        assert_eq!(item["results"][1]["scored"].as_bool(), Some(false));
        assert!(
            text.starts_with(
                "items:\n- apiVersion: wgpolicyk8s.io/v1alpha2\n  kind: PolicyReport\n"
            ),
            "{text}"
        );
    }
}
