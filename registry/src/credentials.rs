//! Registry credentials from Docker's `config.json`, a mounted `.dockerconfigjson`, or a
//! Kubernetes pull Secret (docs/registry.md#credentials).
//!
//! - **Keys** of `auths` are compared without their scheme and a trailing `/v1/` or `/v2/`:
//!   first `REGISTRY/REPOSITORY`, then `REGISTRY`. Docker Hub has several names, and each of
//!   `https://index.docker.io/v1/`, `index.docker.io`, `docker.io` and `registry-1.docker.io`
//!   is tried for `docker.io`.
//! - **`auth`** (base64 of `user:password`) wins over `username` and `password`;
//!   `identitytoken` is an OAuth2 refresh token for the token endpoint.
//! - **Helpers never run.** A registry named in `credHelpers`, or any registry without an
//!   `auths` entry when `credsStore` is set, is delegated to a helper: Bona reads it
//!   anonymously and says which helper it did not run.
//! - **Secrets never print**: [`Secret`]'s `Debug` and `Display` write `<redacted>`, so a
//!   credential cannot reach a log line, an error or a metric by accident.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;

/// A password or token: its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends it (an `Authorization` header, a token
    /// request body).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What to present to a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// Nothing is configured for it.
    Anonymous,
    /// A user name and password (Basic, or for a token).
    Basic { username: String, password: Secret },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint.
    RefreshToken { username: String, token: Secret },
    /// The configuration delegates this registry to a credential helper, which Bona does not
    /// run: the registry is read anonymously.
    Helper { helper: String },
}

/// Why a credentials document cannot be used; the text names the place in the document, never
/// a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialsError(String);

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CredentialsError {}

/// The credentials of one document.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// By normalised key.
    auths: BTreeMap<String, Credential>,
    helpers: BTreeMap<String, String>,
    store: Option<String>,
}

/// One `auths` entry as written.
#[derive(Deserialize, Default)]
struct Entry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// `config.json` and `.dockerconfigjson`.
#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, Entry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

/// A Kubernetes Secret of type `kubernetes.io/dockerconfigjson` or `kubernetes.io/dockercfg`.
#[derive(Deserialize)]
struct SecretObject {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: BTreeMap<String, String>,
    #[serde(default, rename = "stringData")]
    string_data: BTreeMap<String, String>,
}

/// A YAML value as JSON: scalars as YAML 1.2 reads them, keys as strings.
fn yaml_to_json(yaml: &yaml_rust2::Yaml) -> serde_json::Value {
    use serde_json::Value;
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) | Yaml::Real(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((key, yaml_to_json(v)))
                })
                .collect(),
        ),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
    }
}

const DOCKER_HUB: [&str; 3] = ["index.docker.io", "docker.io", "registry-1.docker.io"];

impl Credentials {
    /// Reads a Docker `config.json` (or `.dockerconfigjson`), a legacy `.dockercfg` (the `auths`
    /// map alone), or a Kubernetes Secret of either type, in JSON; a Secret in YAML too (as
    /// `kubectl get secret -o yaml` prints it).
    ///
    /// # Errors
    /// The document is none of these, or an entry's `auth` is not base64 of `user:password`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CredentialsError> {
        let json = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_none_or(|b| *b == b'{');
        if json {
            return Self::from_json(bytes);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| CredentialsError("neither JSON nor YAML: not UTF-8".into()))?;
        let documents = yaml_rust2::YamlLoader::load_from_str(text)
            .map_err(|e| CredentialsError(format!("not JSON, and not YAML: {e}")))?;
        let [document] = documents.as_slice() else {
            return Err(CredentialsError(format!(
                "a YAML file of {} documents: give the one Secret",
                documents.len()
            )));
        };
        let value = yaml_to_json(document);
        if value.get("kind").and_then(|k| k.as_str()) != Some("Secret") {
            return Err(CredentialsError(
                "a YAML document that is not a Kubernetes Secret (Docker's config.json is JSON)"
                    .into(),
            ));
        }
        Self::from_secret(value)
    }

    /// As [`Credentials::from_bytes`], JSON only.
    ///
    /// # Errors
    /// As [`Credentials::from_bytes`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, CredentialsError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| CredentialsError(format!("not JSON: {e}")))?;
        if value.get("kind").and_then(|k| k.as_str()) == Some("Secret") {
            return Self::from_secret(value);
        }
        let is_config = ["auths", "credHelpers", "credsStore"]
            .iter()
            .any(|k| value.get(k).is_some());
        let config = if is_config {
            ConfigFile::deserialize(&value)
                .map_err(|e| CredentialsError(format!("not a Docker config: {e}")))?
        } else {
            // `.dockercfg`: the registries are the top-level keys.
            ConfigFile {
                auths: BTreeMap::deserialize(&value)
                    .map_err(|e| CredentialsError(format!("not a Docker config: {e}")))?,
                ..ConfigFile::default()
            }
        };
        Self::from_config(config)
    }

    fn from_secret(value: serde_json::Value) -> Result<Self, CredentialsError> {
        let secret = SecretObject::deserialize(&value)
            .map_err(|e| CredentialsError(format!("not a Kubernetes Secret: {e}")))?;
        let key = match secret.kind.as_str() {
            "kubernetes.io/dockerconfigjson" => ".dockerconfigjson",
            "kubernetes.io/dockercfg" => ".dockercfg",
            other => {
                return Err(CredentialsError(format!(
                    "a Secret of type {other:?}, not kubernetes.io/dockerconfigjson or \
                     kubernetes.io/dockercfg"
                )));
            }
        };
        let inner = match (secret.string_data.get(key), secret.data.get(key)) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| CredentialsError(format!("data.{key} is not base64")))?,
            (None, None) => {
                return Err(CredentialsError(format!(
                    "the Secret has no data.{key} or stringData.{key}"
                )));
            }
        };
        if inner.starts_with(b"{") && key == ".dockercfg" {
            let auths = serde_json::from_slice(&inner)
                .map_err(|e| CredentialsError(format!("{key} is not a Docker config: {e}")))?;
            return Self::from_config(ConfigFile {
                auths,
                ..ConfigFile::default()
            });
        }
        let config = serde_json::from_slice(&inner)
            .map_err(|e| CredentialsError(format!("{key} is not a Docker config: {e}")))?;
        Self::from_config(config)
    }

    fn from_config(config: ConfigFile) -> Result<Self, CredentialsError> {
        let mut auths = BTreeMap::new();
        for (key, entry) in config.auths {
            let credential = entry
                .credential()
                .map_err(|why| CredentialsError(format!("auths.{key:?}: {why}")))?;
            if credential != Credential::Anonymous {
                auths.insert(normalise_key(&key), credential);
            }
        }
        let helpers = config
            .cred_helpers
            .into_iter()
            .map(|(key, helper)| (normalise_key(&key), helper))
            .collect();
        Ok(Credentials {
            auths,
            helpers,
            store: config.creds_store.filter(|s| !s.is_empty()),
        })
    }

    /// What to present to `registry` (as in a normalised reference: `docker.io`,
    /// `ghcr.io`, `localhost:5000`) for `repository`.
    #[must_use]
    pub fn lookup(&self, registry: &str, repository: &str) -> Credential {
        let registry = registry.to_ascii_lowercase();
        let names: Vec<&str> = if DOCKER_HUB.contains(&registry.as_str()) {
            DOCKER_HUB.to_vec()
        } else {
            vec![registry.as_str()]
        };
        for name in &names {
            if let Some(helper) = self.helpers.get(*name) {
                return Credential::Helper {
                    helper: helper.clone(),
                };
            }
        }
        let with_repository = names.iter().map(|n| format!("{n}/{repository}"));
        let keys: Vec<String> = with_repository
            .chain(names.iter().map(|n| (*n).to_owned()))
            .collect();
        if let Some(found) = keys.iter().find_map(|k| self.auths.get(k)) {
            return found.clone();
        }
        match &self.store {
            Some(store) => Credential::Helper {
                helper: store.clone(),
            },
            None => Credential::Anonymous,
        }
    }
}

impl Entry {
    fn credential(self) -> Result<Credential, String> {
        if let Some(token) = self.identitytoken.filter(|t| !t.is_empty()) {
            let username = match self.auth.as_deref().filter(|a| !a.is_empty()) {
                Some(auth) => decode_auth(auth)?.0,
                None => self.username.unwrap_or_default(),
            };
            return Ok(Credential::RefreshToken {
                username,
                token: Secret(token),
            });
        }
        if let Some(auth) = self.auth.filter(|a| !a.is_empty()) {
            let (username, password) = decode_auth(&auth)?;
            return Ok(Credential::Basic {
                username,
                password: Secret(password),
            });
        }
        match (self.username, self.password) {
            (Some(username), Some(password)) if !username.is_empty() => Ok(Credential::Basic {
                username,
                password: Secret(password),
            }),
            _ => Ok(Credential::Anonymous),
        }
    }
}

/// `auth`: base64 of `user:password` (the password may hold `:`).
fn decode_auth(auth: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| "`auth` is not base64".to_owned())?;
    let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8".to_owned())?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| "`auth` is not of the form user:password".to_owned())?;
    Ok((user.to_owned(), password.to_owned()))
}

/// An `auths` or `credHelpers` key without its scheme and a trailing `/v1/` or `/v2/`, in lower
/// case (registry names are).
fn normalise_key(key: &str) -> String {
    let key = key.trim();
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let key = key.trim_end_matches('/');
    let key = key
        .strip_suffix("/v1")
        .or_else(|| key.strip_suffix("/v2"))
        .unwrap_or(key);
    key.trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn basic(user: &str, password: &str) -> Credential {
        Credential::Basic {
            username: user.into(),
            password: Secret::new(password),
        }
    }

    #[test]
    fn keys_match_without_scheme_and_api_version_repository_first() {
        let doc = format!(
            r#"{{"auths": {{
                "https://registry.company.com/v2/": {{"auth": "{}"}},
                "registry.company.com/team/app": {{"auth": "{}"}},
                "http://localhost:5000": {{"username": "u", "password": "p"}}
            }}}}"#,
            b64("all:one"),
            b64("team:two")
        );
        let c = Credentials::from_json(doc.as_bytes()).unwrap();
        assert_eq!(
            c.lookup("registry.company.com", "team/app"),
            basic("team", "two")
        );
        assert_eq!(
            c.lookup("registry.company.com", "team/other"),
            basic("all", "one")
        );
        assert_eq!(c.lookup("REGISTRY.company.com", "x"), basic("all", "one"));
        assert_eq!(c.lookup("localhost:5000", "x"), basic("u", "p"));
        assert_eq!(c.lookup("localhost:5001", "x"), Credential::Anonymous);
        assert_eq!(c.lookup("ghcr.io", "x"), Credential::Anonymous);
    }

    #[test]
    fn docker_hub_has_four_names() {
        for key in [
            "https://index.docker.io/v1/",
            "index.docker.io",
            "docker.io",
            "registry-1.docker.io",
        ] {
            let doc = format!(
                r#"{{"auths": {{"{key}": {{"auth": "{}"}}}}}}"#,
                b64("hub:pw")
            );
            let c = Credentials::from_json(doc.as_bytes()).unwrap();
            assert_eq!(
                c.lookup("docker.io", "library/nginx"),
                basic("hub", "pw"),
                "{key}"
            );
        }
    }

    #[test]
    fn auth_wins_over_username_and_password_and_may_hold_colons() {
        let doc = format!(
            r#"{{"auths": {{"r.io": {{"auth": "{}", "username": "other", "password": "x"}}}}}}"#,
            b64("user:pa:ss")
        );
        let c = Credentials::from_json(doc.as_bytes()).unwrap();
        assert_eq!(c.lookup("r.io", "a"), basic("user", "pa:ss"));
    }

    #[test]
    fn an_identity_token_is_a_refresh_token() {
        let doc = format!(
            r#"{{"auths": {{"r.io": {{"auth": "{}", "identitytoken": "rt"}}}}}}"#,
            b64("<token>:")
        );
        let c = Credentials::from_json(doc.as_bytes()).unwrap();
        assert_eq!(
            c.lookup("r.io", "a"),
            Credential::RefreshToken {
                username: "<token>".into(),
                token: Secret::new("rt")
            }
        );
    }

    #[test]
    fn helpers_are_named_never_run() {
        let doc = format!(
            r#"{{"auths": {{"r.io": {{"auth": "{}"}}, "ecr.aws": {{}}}},
                "credHelpers": {{"https://gcr.io": "gcloud", "r.io": "pass"}},
                "credsStore": "desktop"}}"#,
            b64("u:p")
        );
        let c = Credentials::from_json(doc.as_bytes()).unwrap();
        let helper = |h: &str| Credential::Helper { helper: h.into() };
        assert_eq!(c.lookup("gcr.io", "p/i"), helper("gcloud"));
        // credHelpers comes before auths, as in Docker.
        assert_eq!(c.lookup("r.io", "a"), helper("pass"));
        // An empty auths entry is what the store leaves behind.
        assert_eq!(c.lookup("ecr.aws", "a"), helper("desktop"));
        assert_eq!(c.lookup("ghcr.io", "a"), helper("desktop"));
    }

    #[test]
    fn kubernetes_secrets_of_both_types() {
        let config = format!(r#"{{"auths": {{"r.io": {{"auth": "{}"}}}}}}"#, b64("k:s"));
        let secret = format!(
            r#"{{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                "data": {{".dockerconfigjson": "{}"}}}}"#,
            b64(&config)
        );
        let c = Credentials::from_json(secret.as_bytes()).unwrap();
        assert_eq!(c.lookup("r.io", "a"), basic("k", "s"));

        let legacy = format!(r#"{{"r.io": {{"auth": "{}"}}}}"#, b64("old:s"));
        let secret = serde_json::json!({
            "kind": "Secret", "type": "kubernetes.io/dockercfg",
            "stringData": {".dockercfg": legacy},
        });
        let c = Credentials::from_json(secret.to_string().as_bytes()).unwrap();
        assert_eq!(c.lookup("r.io", "a"), basic("old", "s"));
        // The bare .dockercfg file too.
        let c = Credentials::from_json(legacy.as_bytes()).unwrap();
        assert_eq!(c.lookup("r.io", "a"), basic("old", "s"));

        let opaque = r#"{"kind": "Secret", "type": "Opaque", "data": {}}"#;
        let e = Credentials::from_json(opaque.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("\"Opaque\""), "{e}");
    }

    #[test]
    fn errors_never_show_a_credential() {
        let doc = r#"{"auths": {"r.io": {"auth": "c2VjcmV0LXdpdGhvdXQtY29sb24="}}}"#;
        let e = Credentials::from_json(doc.as_bytes())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "auths.\"r.io\": `auth` is not of the form user:password");
        assert!(!e.contains("secret-without-colon"));
        let c = basic("user", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{}", Secret::new("hunter2")).contains("hunter2"));
    }

    #[test]
    fn kubernetes_secrets_in_yaml_as_kubectl_prints_them() {
        let config = format!(r#"{{"auths": {{"r.io": {{"auth": "{}"}}}}}}"#, b64("k:s"));
        let secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pull\n  namespace: bona-system\n\
             type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
            b64(&config)
        );
        let c = Credentials::from_bytes(secret.as_bytes()).unwrap();
        assert_eq!(c.lookup("r.io", "a"), basic("k", "s"));
        // stringData, with the JSON inline as a block scalar.
        let secret = format!(
            "kind: Secret\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: |\n    {config}\n"
        );
        let c = Credentials::from_bytes(secret.as_bytes()).unwrap();
        assert_eq!(c.lookup("r.io", "a"), basic("k", "s"));
        // JSON still reads as JSON.
        assert_eq!(
            Credentials::from_bytes(config.as_bytes())
                .unwrap()
                .lookup("r.io", "a"),
            basic("k", "s")
        );
        for (bad, why) in [
            ("kind: ConfigMap\ndata: {}\n", "not a Kubernetes Secret"),
            ("kind: Secret\n---\nkind: Secret\n", "2 documents"),
            ("kind: [unclosed\n", "not YAML"),
            ("kind: Secret\ntype: Opaque\n", "\"Opaque\""),
        ] {
            let e = Credentials::from_bytes(bad.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_documents_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Credentials::from_json(&bytes);
            let _ = Credentials::from_bytes(&bytes);
        }

        #[test]
        fn arbitrary_yaml_text_never_panics(text in "[a-z:{}\\[\\] ,\n\"'|>-]{0,200}") {
            let _ = Credentials::from_bytes(text.as_bytes());
        }
    }
}
