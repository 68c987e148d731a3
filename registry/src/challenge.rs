//! `WWW-Authenticate` challenges and token responses of the registry token flow
//! (docs/registry.md#authentication).
//!
//! A registry answers an unauthenticated request with 401 and a challenge: `Basic realm="…"`,
//! or `Bearer realm="…",service="…",scope="…"`, where the realm is the token endpoint. The
//! client asks the realm for a token with scope `repository:NAME:pull` and sends it as
//! `Authorization: Bearer`. The realm is checked here: https, unless the registry itself is
//! one the operator declared insecure.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::credentials::Secret;

/// One challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, in lower case (`basic`, `bearer`).
    pub scheme: String,
    /// The parameters, names in lower case.
    pub params: BTreeMap<String, String>,
}

/// Why a challenge or a token response cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeError(String);

impl fmt::Display for ChallengeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChallengeError {}

/// Parses a `WWW-Authenticate` header value into its challenges (RFC 9110 §11.6.1: a scheme,
/// then comma-separated `name=value` parameters, values bare or quoted with `\` escapes; a
/// new scheme after a comma starts the next challenge).
///
/// # Errors
/// The header does not have that shape.
pub fn parse(header: &str) -> Result<Vec<Challenge>, ChallengeError> {
    let bad = |why: &str| ChallengeError(format!("malformed WWW-Authenticate header: {why}"));
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (token, after) = split_token(rest);
        if token.is_empty() {
            return Err(bad("expected a scheme or a parameter name"));
        }
        let after_ws = after.trim_start();
        if let Some(value_start) = after_ws.strip_prefix('=') {
            let Some(challenge) = challenges.last_mut() else {
                return Err(bad("a parameter before any scheme"));
            };
            let (value, after_value) = split_value(value_start.trim_start())
                .ok_or_else(|| bad("an unterminated quoted value"))?;
            challenge.params.insert(token.to_ascii_lowercase(), value);
            rest = after_value.trim_start();
        } else {
            challenges.push(Challenge {
                scheme: token.to_ascii_lowercase(),
                params: BTreeMap::new(),
            });
            rest = after_ws;
        }
        rest = match rest.strip_prefix(',') {
            Some(r) => r.trim_start(),
            None if rest.is_empty() => rest,
            // A scheme is followed by its first parameter without a comma.
            None if challenges.last().is_some_and(|c| c.params.is_empty()) => rest,
            None => return Err(bad("expected a comma between parameters")),
        };
    }
    if challenges.is_empty() {
        return Err(bad("empty"));
    }
    Ok(challenges)
}

/// A token: RFC 9110's `tchar`s (`token68` values end in `=`, which the caller handles).
fn split_token(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/".contains(c)))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// A parameter value, bare or quoted; `None` for an unterminated quote.
fn split_value(s: &str) -> Option<(String, &str)> {
    let Some(quoted) = s.strip_prefix('"') else {
        // Bare values should be tokens, but registries send bare URLs too: up to a comma or
        // white space.
        let end = s
            .find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(s.len());
        let (value, rest) = s.split_at(end);
        return Some((value.to_owned(), rest));
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &quoted[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// Where and how to ask for a bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// The realm (the token endpoint), with `service` and `scope` to add as query parameters.
    pub realm: String,
    pub service: Option<String>,
    /// `repository:NAME:pull`.
    pub scope: String,
}

/// The token request for pulling `repository`, from the `Bearer` challenge among
/// `challenges`; `None` when the registry asks for Basic only.
///
/// # Errors
/// The Bearer challenge has no realm, or its realm is not https while `insecure` is false.
pub fn token_request(
    challenges: &[Challenge],
    repository: &str,
    insecure: bool,
) -> Result<Option<TokenRequest>, ChallengeError> {
    let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") else {
        return Ok(None);
    };
    let realm = bearer
        .params
        .get("realm")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ChallengeError("the Bearer challenge names no realm".into()))?;
    let lower = realm.to_ascii_lowercase();
    let https = lower.starts_with("https://");
    if !(https || (insecure && lower.starts_with("http://"))) {
        return Err(ChallengeError(format!(
            "the token realm {realm} is not https (only an --insecure-registry may use http)"
        )));
    }
    // Always pull on this repository, whatever scope the challenge named: a registry that
    // names a wider one does not get a wider token asked for.
    let scope = format!("repository:{repository}:pull");
    Ok(Some(TokenRequest {
        realm: realm.clone(),
        service: bearer.params.get("service").cloned(),
        scope,
    }))
}

/// A token endpoint's answer.
#[derive(Debug)]
pub struct Token {
    pub token: Secret,
    /// Seconds it may be used for: `expires_in` (60 when absent) less 10, at least 0.
    pub lifetime: u64,
}

/// Reads a token endpoint's JSON answer: `token`, or `access_token` (OAuth2), and `expires_in`.
///
/// # Errors
/// The body is not such a document, or holds no token. The message never includes the body.
pub fn token_response(body: &[u8]) -> Result<Token, ChallengeError> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        expires_in: Option<u64>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|_| {
        ChallengeError("the token endpoint's answer is not a token document".into())
    })?;
    let token = answer
        .token
        .filter(|t| !t.is_empty())
        .or(answer.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| ChallengeError("the token endpoint's answer holds no token".into()))?;
    Ok(Token {
        token: Secret::new(token),
        lifetime: answer.expires_in.unwrap_or(60).saturating_sub(10),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_style_bearer() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;
        let c = parse(h).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].params["service"], "registry.docker.io");
        let request = token_request(&c, "library/nginx", false).unwrap().unwrap();
        assert_eq!(request.realm, "https://auth.docker.io/token");
        assert_eq!(request.scope, "repository:library/nginx:pull");
    }

    #[test]
    fn several_challenges_quotes_and_escapes() {
        let h = r#"Basic realm="a, \"quoted\" realm", Bearer realm=https://t.example/token , service=reg"#;
        let c = parse(h).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].params["realm"], r#"a, "quoted" realm"#);
        assert_eq!(c[1].params["realm"], "https://t.example/token");
        assert_eq!(c[1].params["service"], "reg");
        assert!(token_request(&c[..1], "x", false).unwrap().is_none());
    }

    #[test]
    fn malformed_headers_are_errors() {
        for h in [
            "",
            "=x",
            r#"Bearer realm="open"#,
            "Bearer realm=a service=b",
        ] {
            assert!(parse(h).is_err(), "{h:?}");
        }
    }

    #[test]
    fn the_realm_must_be_https_unless_the_registry_is_insecure() {
        let c = parse(r#"Bearer realm="http://t.example/token""#).unwrap();
        let e = token_request(&c, "x", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the token realm http://t.example/token is not https (only an --insecure-registry may use http)"
        );
        assert!(token_request(&c, "x", true).unwrap().is_some());
        let c = parse(r#"Bearer realm="file:///etc/passwd""#).unwrap();
        assert!(token_request(&c, "x", true).is_err());
        let c = parse("Bearer service=x").unwrap();
        assert!(token_request(&c, "x", false).is_err());
    }

    #[test]
    fn token_answers() {
        let t = token_response(br#"{"token": "abc", "expires_in": 300}"#).unwrap();
        assert_eq!((t.token.expose(), t.lifetime), ("abc", 290));
        let t = token_response(br#"{"access_token": "xyz"}"#).unwrap();
        assert_eq!((t.token.expose(), t.lifetime), ("xyz", 50));
        let e = token_response(br#"{"token": "", "other": "secret-value"}"#).unwrap_err();
        assert!(!e.to_string().contains("secret-value"));
        let e = token_response(b"secret-value").unwrap_err();
        assert!(!e.to_string().contains("secret-value"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_headers_never_panic(h in ".{0,200}") {
            let _ = parse(&h).map(|c| token_request(&c, "r", false));
        }
    }
}
