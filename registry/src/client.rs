//! The HTTP side of the registry client (docs/registry.md): one request at a time over
//! HTTP/1.1, with the checks of the other modules applied at every step.
//!
//! - **Before connecting**, the registry must be in `--registry-allow`, and every address its
//!   name resolves to is checked ([`RegistryAllow::address`]); a redirect or token endpoint on
//!   another host may not resolve to a loopback or link-local address either.
//! - **Transport**: TLS with the system's certificate authorities and `--registry-ca`; plain
//!   HTTP only for an `--insecure-registry`. At most [`MAX_REDIRECTS`] redirects, never from
//!   https to http, and `Authorization` only ever goes to the origin it was meant for.
//! - **Auth**: anonymous first; on 401 the challenge decides: Basic with the configured
//!   credential, or a Bearer token from the realm, cached per repository for its lifetime.
//! - **Bodies** are read up to a limit given by the caller and refused past it.
//! - **Errors** name the registry and what failed, never a credential.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::allow::{Refused, RegistryAllow};
use crate::cache::{Backoff, retry_after};
use crate::challenge::{self, TokenRequest};
use crate::credentials::{Credential, Credentials, Secret};
use crate::manifest::TOKEN_LIMIT;

/// Redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// What a client is made with.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    pub allow: RegistryAllow,
    /// `--insecure-registry`: `host[:port]` spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// `--registry-ca`: certificate authorities trusted beside the system's.
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub credentials: Credentials,
    /// The longest one request (and its redirects) may take.
    pub timeout: Duration,
}

/// Why a request failed; the text is the user-facing reason and never holds a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    Refused(Refused),
    /// The name does not resolve, the connection or the TLS handshake failed.
    Connect {
        host: String,
        why: String,
    },
    Timeout {
        registry: String,
    },
    /// A 401 that no configured credential answers.
    Unauthorized {
        registry: String,
        offered: Offered,
    },
    /// Another status than the one expected.
    Status {
        registry: String,
        status: u16,
        what: String,
    },
    /// A redirect that is not followed.
    Redirect {
        registry: String,
        why: String,
    },
    /// A body past its limit.
    TooLarge {
        what: String,
        limit: u64,
    },
    /// The token flow failed.
    Auth {
        registry: String,
        why: String,
    },
    /// The registry answered 429, now or earlier: no request until `until` (Unix seconds).
    RateLimited {
        registry: String,
        until: i64,
    },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Refused(r) => r.fmt(f),
            FetchError::Connect { host, why } => write!(f, "cannot reach {host}: {why}"),
            FetchError::Timeout { registry } => write!(f, "registry {registry} timed out"),
            FetchError::Unauthorized {
                registry,
                offered: Offered::Helper(helper),
            } => write!(
                f,
                "{registry} requires credentials (delegated to helper {helper}, which Bona does not run)"
            ),
            FetchError::Unauthorized {
                registry,
                offered: Offered::Nothing,
            } => write!(
                f,
                "{registry} requires credentials, and none are configured for it (--registry-config)"
            ),
            FetchError::Unauthorized {
                registry,
                offered: Offered::Refused,
            } => write!(f, "{registry} refused the credentials given (401)"),
            FetchError::Status {
                registry,
                status,
                what,
            } => write!(f, "{registry} answered {status} for {what}"),
            FetchError::Redirect { registry, why } => {
                write!(f, "{registry}: redirect not followed: {why}")
            }
            FetchError::TooLarge { what, limit } => {
                write!(f, "the {what} is larger than {limit} bytes")
            }
            FetchError::Auth { registry, why } => write!(f, "{registry}: {why}"),
            FetchError::RateLimited { registry, until } => {
                write!(
                    f,
                    "rate-limited by {registry} until {}",
                    format_time(*until)
                )
            }
        }
    }
}

impl std::error::Error for FetchError {}

/// What the client had to offer a registry that answered 401.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offered {
    /// No credential is configured for it.
    Nothing,
    /// Its credential is a helper's, which Bona does not run.
    Helper(String),
    /// The configured credential was refused.
    Refused,
}

impl Offered {
    fn of(credential: &Credential, tried: bool) -> Offered {
        match credential {
            Credential::Helper { helper } => Offered::Helper(helper.clone()),
            Credential::Anonymous => Offered::Nothing,
            Credential::Basic { .. } | Credential::RefreshToken { .. } if tried => Offered::Refused,
            Credential::Basic { .. } | Credential::RefreshToken { .. } => Offered::Nothing,
        }
    }
}

/// A response's status, the headers the client reads, and its body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    /// `Docker-Content-Digest`.
    pub digest: Option<String>,
    /// `Link` (RFC 8288), raw; several `Link` fields are joined with `, `, as one field.
    pub link: Option<String>,
    /// `Retry-After`, raw.
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    https: bool,
    host: String,
    port: u16,
    /// Path and query.
    path: String,
}

impl Target {
    fn origin(&self) -> (bool, &str, u16) {
        (self.https, &self.host, self.port)
    }

    fn authority(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// An absolute URL, or `None` for other schemes and malformed ones.
    fn parse(url: &str) -> Option<Target> {
        let uri: Uri = url.parse().ok()?;
        let https = match uri.scheme_str()? {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        Some(Target {
            https,
            host: host.to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
            path: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        })
    }

    /// `location` (absolute, or a path on this origin) resolved against this target.
    fn join(&self, location: &str) -> Option<Target> {
        if location.starts_with('/') && !location.starts_with("//") {
            Some(Target {
                path: location.to_owned(),
                ..self.clone()
            })
        } else {
            Target::parse(location)
        }
    }
}

/// A registry client; one per command or server, shared by its requests.
pub struct Client {
    allow: RegistryAllow,
    insecure: Vec<String>,
    credentials: Credentials,
    tls: tokio_rustls::TlsConnector,
    timeout: Duration,
    /// Bearer tokens by `registry/repository`, with when they stop being used.
    tokens: Mutex<HashMap<String, (Secret, Instant)>>,
    /// Registries that answered 429, and until when they get no request.
    backoff: Backoff,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("allow", &self.allow)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client; the system's certificate authorities are read once, here.
    ///
    /// # Errors
    /// No certificate authority at all could be loaded.
    pub fn new(options: ClientOptions) -> Result<Client, String> {
        let mut roots = rustls::RootCertStore::empty();
        let system = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(system.certs);
        for root in options.extra_roots {
            roots
                .add(root)
                .map_err(|e| format!("--registry-ca: a certificate is not usable: {e}"))?;
        }
        if roots.is_empty() && options.insecure.is_empty() {
            return Err("no certificate authority found (the system's, or --registry-ca)".into());
        }
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Client {
            allow: options.allow,
            insecure: options
                .insecure
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            credentials: options.credentials,
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
            timeout: options.timeout,
            tokens: Mutex::new(HashMap::new()),
            backoff: Backoff::new(),
        })
    }

    /// Whether `registry` may be contacted at all (before any request).
    ///
    /// # Errors
    /// It is not in `--registry-allow`.
    pub fn allowed(&self, registry: &str) -> Result<(), FetchError> {
        self.allow.registry(registry).map_err(FetchError::Refused)
    }

    /// `GET /v2/REPOSITORY/PATH` on `registry` (as in a normalised reference), with `accept`,
    /// authenticating when challenged, and reading at most `limit` bytes of the body.
    ///
    /// # Errors
    /// The registry is not allowed or cannot be reached, refuses the credentials, redirects
    /// where it may not, times out, or sends more than `limit` bytes.
    pub async fn get(
        &self,
        registry: &str,
        repository: &str,
        path: &str,
        accept: Option<&str>,
        limit: u64,
    ) -> Result<Response, FetchError> {
        self.allowed(registry)?;
        let limited = |wait: Duration| FetchError::RateLimited {
            registry: registry.to_owned(),
            until: unix_seconds(SystemTime::now() + wait),
        };
        let now = tokio::time::Instant::now();
        if let Some(until) = self.backoff.blocked_until(registry) {
            return Err(limited(until.saturating_duration_since(now)));
        }
        let timeout = FetchError::Timeout {
            registry: registry.to_owned(),
        };
        let response = tokio::time::timeout(
            self.timeout,
            self.get_authenticated(registry, repository, path, accept, limit),
        )
        .await
        .map_err(|_| timeout)??;
        if response.status == 429 {
            // No request to that registry until it says, whatever is asked (at most 5 min).
            let wait = retry_after(response.retry_after.as_deref(), SystemTime::now());
            self.backoff
                .block(registry, tokio::time::Instant::now() + wait);
            return Err(limited(wait));
        }
        Ok(response)
    }

    async fn get_authenticated(
        &self,
        registry: &str,
        repository: &str,
        path: &str,
        accept: Option<&str>,
        limit: u64,
    ) -> Result<Response, FetchError> {
        let target = self.registry_target(registry, &format!("/v2/{repository}/{path}"));
        let key = format!("{registry}/{repository}");
        let cached = self.cached_token(&key);
        let mut authorization = cached.map(|t| format!("Bearer {}", t.expose()));
        let mut answered = false;
        loop {
            let (response, challenge) = self
                .follow(registry, &target, accept, authorization.as_deref(), limit)
                .await?;
            if response.status != 401 {
                return Ok(response);
            }
            let credential = self.credentials.lookup(registry, repository);
            if answered {
                return Err(FetchError::Unauthorized {
                    registry: registry.to_owned(),
                    offered: Offered::of(&credential, true),
                });
            }
            answered = true;
            let challenges = challenge
                .as_deref()
                .map(challenge::parse)
                .transpose()
                .map_err(|e| FetchError::Auth {
                    registry: registry.to_owned(),
                    why: e.to_string(),
                })?
                .unwrap_or_default();
            let insecure = !target.https;
            let request =
                challenge::token_request(&challenges, repository, insecure).map_err(|e| {
                    FetchError::Auth {
                        registry: registry.to_owned(),
                        why: e.to_string(),
                    }
                })?;
            authorization = match (request, credential) {
                (Some(request), credential) => {
                    let token = self.token(registry, &request, &credential).await?;
                    let header = format!("Bearer {}", token.token.expose());
                    self.store_token(&key, token.token, token.lifetime);
                    Some(header)
                }
                (None, Credential::Basic { username, password }) => {
                    Some(basic(&username, password.expose()))
                }
                (None, credential) => {
                    return Err(FetchError::Unauthorized {
                        registry: registry.to_owned(),
                        offered: Offered::of(&credential, false),
                    });
                }
            };
        }
    }

    fn registry_target(&self, registry: &str, path: &str) -> Target {
        let https = !self.insecure.iter().any(|h| h == registry);
        // Docker Hub's API lives under another name than its images.
        let authority = if registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            registry
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                (host, port.parse().unwrap_or(if https { 443 } else { 80 }))
            }
            _ => (authority, if https { 443 } else { 80 }),
        };
        Target {
            https,
            host: host.to_ascii_lowercase(),
            port,
            path: path.to_owned(),
        }
    }

    fn cached_token(&self, key: &str) -> Option<Secret> {
        let tokens = self.tokens.lock().ok()?;
        tokens
            .get(key)
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(token, _)| token.clone())
    }

    fn store_token(&self, key: &str, token: Secret, lifetime: u64) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(
                key.to_owned(),
                (token, Instant::now() + Duration::from_secs(lifetime)),
            );
        }
    }

    /// Asks the realm for a pull token: GET with Basic credentials when there are any, or POST
    /// of a refresh token.
    async fn token(
        &self,
        registry: &str,
        request: &TokenRequest,
        credential: &Credential,
    ) -> Result<challenge::Token, FetchError> {
        let auth_error = |why: String| FetchError::Auth {
            registry: registry.to_owned(),
            why,
        };
        let realm = Target::parse(&request.realm)
            .ok_or_else(|| auth_error(format!("the token realm {} is not a URL", request.realm)))?;
        let mut query = vec![("scope", request.scope.as_str())];
        if let Some(service) = &request.service {
            query.push(("service", service));
        }
        let (method, target, authorization, body) = match credential {
            Credential::RefreshToken { token, .. } => {
                query.extend([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", token.expose()),
                    ("client_id", "bona"),
                ]);
                (Method::POST, realm, None, Some(form(&query)))
            }
            Credential::Basic { username, password } => {
                let target = with_query(&realm, &form(&query));
                let header = basic(username, password.expose());
                (Method::GET, target, Some(header), None)
            }
            Credential::Anonymous | Credential::Helper { .. } => {
                (Method::GET, with_query(&realm, &form(&query)), None, None)
            }
        };
        let response = self
            .send_raw(
                registry,
                false,
                &target,
                method,
                None,
                authorization.as_deref(),
                body,
                TOKEN_LIMIT,
                "token answer",
            )
            .await?;
        match response.status {
            200 => challenge::token_response(&response.body).map_err(|e| auth_error(e.to_string())),
            401 | 403 => Err(FetchError::Unauthorized {
                registry: registry.to_owned(),
                offered: Offered::of(credential, true),
            }),
            status => Err(auth_error(format!("the token endpoint answered {status}"))),
        }
    }

    /// One request and its redirects. Returns the final response and, for a 401, its
    /// challenge.
    async fn follow(
        &self,
        registry: &str,
        start: &Target,
        accept: Option<&str>,
        authorization: Option<&str>,
        limit: u64,
    ) -> Result<(Response, Option<String>), FetchError> {
        let mut target = start.clone();
        for _ in 0..=MAX_REDIRECTS {
            // Authorization goes to the origin it was made for, never across a redirect.
            let authorization = authorization.filter(|_| target.origin() == start.origin());
            let registry_host = target.origin() == start.origin();
            let response = self
                .send_raw(
                    registry,
                    registry_host,
                    &target,
                    Method::GET,
                    accept,
                    authorization,
                    None,
                    limit,
                    "response",
                )
                .await?;
            let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
            if !status.is_redirection() {
                let challenge = response.challenge.clone();
                return Ok((response.into(), challenge));
            }
            let location = response
                .location
                .clone()
                .ok_or_else(|| FetchError::Redirect {
                    registry: registry.to_owned(),
                    why: format!("a {status} without a Location"),
                })?;
            let next = target.join(&location).ok_or_else(|| FetchError::Redirect {
                registry: registry.to_owned(),
                why: format!("to {location:?}, which is not an http(s) URL"),
            })?;
            if target.https && !next.https {
                return Err(FetchError::Redirect {
                    registry: registry.to_owned(),
                    why: format!("from https to http ({})", next.authority()),
                });
            }
            target = next;
        }
        Err(FetchError::Redirect {
            registry: registry.to_owned(),
            why: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// One HTTP exchange, on a new connection.
    #[allow(clippy::too_many_arguments)]
    async fn send_raw(
        &self,
        registry: &str,
        registry_host: bool,
        target: &Target,
        method: Method,
        accept: Option<&str>,
        authorization: Option<&str>,
        body: Option<String>,
        limit: u64,
        what: &str,
    ) -> Result<Raw, FetchError> {
        let connect = |why: String| FetchError::Connect {
            host: target.authority(),
            why,
        };
        let address = self.address(registry, registry_host, target).await?;
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| connect(e.to_string()))?;
        let mut request = Request::builder()
            .method(method)
            .uri(&target.path)
            .header("host", target.authority())
            .header("user-agent", concat!("bona/", env!("CARGO_PKG_VERSION")));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(body)).boxed()),
            None => request.body(Empty::<Bytes>::new().boxed()),
        }
        .map_err(|e| connect(format!("cannot build the request: {e}")))?;
        let response = if target.https {
            let name = ServerName::try_from(target.host.clone())
                .map_err(|_| connect("not a valid TLS server name".into()))?;
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| connect(format!("TLS: {e}")))?;
            exchange(TokioIo::new(tls), request).await
        } else {
            exchange(TokioIo::new(tcp), request).await
        }
        .map_err(|e| connect(e.to_string()))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (status, content_type, digest, challenge, location, retry_after) = (
            response.status().as_u16(),
            header("content-type"),
            header("docker-content-digest"),
            header("www-authenticate"),
            header("location"),
            header("retry-after"),
        );
        let links: Vec<&str> = response
            .headers()
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let link = (!links.is_empty()).then(|| links.join(", "));
        let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
        let body = Limited::new(response.into_body(), limit_usize)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    FetchError::TooLarge {
                        what: what.to_owned(),
                        limit,
                    }
                } else {
                    connect(format!("reading the {what}: {e}"))
                }
            })?
            .to_bytes()
            .to_vec();
        Ok(Raw {
            status,
            content_type,
            digest,
            challenge,
            location,
            link,
            retry_after,
            body,
        })
    }

    /// The address to connect to: the first the name resolves to, once every one is allowed.
    async fn address(
        &self,
        registry: &str,
        registry_host: bool,
        target: &Target,
    ) -> Result<SocketAddr, FetchError> {
        let addresses: Vec<SocketAddr> =
            tokio::net::lookup_host((target.host.as_str(), target.port))
                .await
                .map_err(|e| FetchError::Connect {
                    host: target.authority(),
                    why: e.to_string(),
                })?
                .collect();
        for address in &addresses {
            let checked = if registry_host {
                self.allow.address(registry, address.ip())
            } else {
                // A redirect or token endpoint: not a registry of its own, but it may not lead
                // to the local host or a metadata service unless named literally.
                self.allow
                    .address(&target.authority(), address.ip())
                    .or_else(|refused| match refused {
                        Refused::NotAllowed { .. } => Ok(()),
                        other => Err(other),
                    })
            };
            checked.map_err(FetchError::Refused)?;
        }
        addresses
            .first()
            .copied()
            .ok_or_else(|| FetchError::Connect {
                host: target.authority(),
                why: "the name resolves to no address".into(),
            })
    }
}

/// The certificates of a PEM file (`--registry-ca`).
///
/// # Errors
/// The file holds no certificate, or one that does not decode.
pub fn pem_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject as _;
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate in the file".into());
    }
    Ok(certs)
}

/// A response with the headers the client itself reads.
struct Raw {
    status: u16,
    content_type: Option<String>,
    digest: Option<String>,
    challenge: Option<String>,
    location: Option<String>,
    link: Option<String>,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl From<Raw> for Response {
    fn from(raw: Raw) -> Self {
        Response {
            status: raw.status,
            content_type: raw.content_type,
            digest: raw.digest,
            link: raw.link,
            retry_after: raw.retry_after,
            body: raw.body,
        }
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

/// Sends `request` on a new HTTP/1.1 connection over `io`.
async fn exchange<T>(
    io: TokioIo<T>,
    request: Request<Body>,
) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(connection);
    sender.send_request(request).await
}

fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// `application/x-www-form-urlencoded` of `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn with_query(target: &Target, query: &str) -> Target {
    let separator = if target.path.contains('?') { '&' } else { '?' };
    Target {
        path: format!("{}{separator}{query}", target.path),
        ..target.clone()
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `2026-12-07T14:46:38Z`, for messages.
pub fn format_time(unix: i64) -> String {
    bona_runtime::facts::format_rfc3339(unix)
}

#[cfg(test)]
mod tests {

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_795_305_600), "2026-11-22T00:00:00Z");
        assert_eq!(format_time(951_782_400 + 86_399), "2000-02-29T23:59:59Z");
    }

    use super::*;

    #[test]
    fn targets_and_redirects() {
        let t = Target::parse("https://Registry.Example:5000/v2/x?y=1").unwrap();
        assert_eq!(
            (t.https, t.host.as_str(), t.port, t.path.as_str()),
            (true, "registry.example", 5000, "/v2/x?y=1")
        );
        assert_eq!(t.authority(), "registry.example:5000");
        let same = t.join("/v2/blobs/1").unwrap();
        assert_eq!(same.origin(), t.origin());
        let other = t.join("https://storage.example/blob?sig=1").unwrap();
        assert_eq!((other.host.as_str(), other.port), ("storage.example", 443));
        assert!(t.join("ftp://x/y").is_none());
        assert!(t.join("//evil.example/x").is_none());
        assert!(Target::parse("file:///etc/passwd").is_none());
    }

    #[test]
    fn forms_are_encoded() {
        assert_eq!(
            form(&[("scope", "repository:a/b:pull"), ("x", "a b&c=d")]),
            "scope=repository:a/b:pull&x=a%20b%26c%3Dd"
        );
    }

    #[test]
    fn errors_read_well_and_hold_no_secret() {
        let e = FetchError::Unauthorized {
            registry: "gcr.io".into(),
            offered: Offered::Helper("gcloud".into()),
        };
        assert_eq!(
            e.to_string(),
            "gcr.io requires credentials (delegated to helper gcloud, which Bona does not run)"
        );
        assert!(basic("u", "hunter2").starts_with("Basic "));
    }
}
