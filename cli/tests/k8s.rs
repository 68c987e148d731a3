//! What the tests of Kubernetes-facing output share (`deploy`, `policyreport`): the schema
//! checkers of scripts/k8s-tools.sh, and YAML read back as the JSON value it stands for.

use std::path::PathBuf;

use serde_json::Value;
use yaml_rust2::Yaml;

/// A program of the virtual environment scripts/k8s-tools.sh makes (`kubernetes-validate`,
/// `check-jsonschema`), when it is there; otherwise the missing tool is reported (a failure
/// under `BONA_REQUIRE_TOOLS=1`) and `None` returned.
pub fn tool(name: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("BONA_K8S_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            Some(cache.join("bona-k8s-tools"))
        })?;
    let path = venv.join("bin").join(name);
    if path.is_file() {
        Some(path)
    } else {
        crate::xcheck::tool_missing(&format!(
            "{name} is not installed (scripts/k8s-tools.sh --install)"
        ));
        None
    }
}

/// A YAML document as the JSON value it stands for.
pub fn from_yaml(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Real(r) => r.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::from(s.as_str()),
        Yaml::Boolean(b) => Value::from(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(from_yaml).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), from_yaml(v)))
                .collect(),
        ),
        _ => Value::Null,
    }
}
