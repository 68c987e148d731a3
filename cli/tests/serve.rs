//! End-to-end tests of `bona serve`: the real binary on 127.0.0.1 with a certificate made by
//! `openssl` for the test, and a rustls client (hyper over tokio-rustls, trusting only the
//! test's CA) sending AdmissionReview bodies the way the API server does. No API server can run
//! here; the review bodies are what it sends, made from `kubectl … --dry-run=client -o json`
//! (examples/production/make-review.sh, cli/tests/serve/make-fixtures.sh).
//!
//! Every server is a child process killed when its guard drops; every wait has a deadline.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

#[path = "serve/hostile.rs"]
mod hostile;
#[path = "serve/registry.rs"]
mod registry;

const BONA: &str = env!("CARGO_BIN_EXE_bona");
/// How long any wait may take before the test fails. Generous: a debug build deciding huge
/// reviews on a loaded 2-core machine is slow, and a hang fails all the same.
const DEADLINE: Duration = Duration::from_secs(30);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn review_json() -> PathBuf {
    repo().join("examples/production/review.json")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/serve")
        .join(name)
}

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it, made by openssl.
pub(crate) struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    pub(crate) fn new() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("openssl must be installed (scripts/install-test-tools.sh)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        run(&[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.crt"],
            &["-days", "1", "-subj", "/CN=bona test CA"],
        ]
        .concat());
        run(&[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "tls.key", "-out", "tls.crt"],
            &[
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
            ],
            &["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            &["-addext", "basicConstraints=critical,CA:FALSE"],
            &["-addext", "extendedKeyUsage=serverAuth"],
        ]
        .concat());
        Certs { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A client certificate (`client.crt`, `client.key`) signed by this CA, as the API server
    /// presents to webhooks.
    fn client(&self) -> (PathBuf, PathBuf) {
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "client.key",
                "-out",
                "client.crt",
                "-days",
                "1",
                "-subj",
                "/CN=kube-apiserver",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "extendedKeyUsage=clientAuth",
            ])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (self.path("client.crt"), self.path("client.key"))
    }
}

/// Lines of the server's stderr, collected by a thread.
#[derive(Default)]
struct Log {
    lines: Mutex<Vec<String>>,
    grew: Condvar,
}

impl Log {
    /// Waits until `count` lines contain `needle`.
    fn wait_for(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + DEADLINE;
        let mut lines = self.lines.lock().unwrap();
        while lines.iter().filter(|l| l.contains(needle)).count() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no log line with {needle:?}:\n{}",
                lines.join("\n")
            );
            lines = self.grew.wait_timeout(lines, left).unwrap().0;
        }
    }

    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

/// A running `bona serve`, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Log>,
    ca: PathBuf,
    _certs: Certs,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Server {
    let certs = Certs::new();
    let mut child = Command::new(BONA)
        .arg("serve")
        .args(args)
        .arg("--tls-cert")
        .arg(certs.path("tls.crt"))
        .arg("--tls-key")
        .arg(certs.path("tls.key"))
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Log::default());
    let stderr = child.stderr.take().unwrap();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            sink.lines.lock().unwrap().push(line);
            sink.grew.notify_all();
        }
    });
    // The first stdout line says where the server listens; read it with a deadline.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(DEADLINE).unwrap_or_default();
    let mut server = Server {
        child,
        addr: "127.0.0.1:1".parse().unwrap(),
        log,
        ca: certs.path("ca.crt"),
        _certs: certs,
    };
    let Some(addr) = line.trim().strip_prefix("listening on https://") else {
        std::thread::sleep(Duration::from_millis(200));
        panic!(
            "no address on stdout ({line:?}); stderr:\n{}",
            server.log.text()
        );
    };
    server.addr = addr.parse().unwrap();
    server
}

/// A response: status, content type, body.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

impl Server {
    /// Sends one request over a new TLS connection; `h2` picks HTTP/2 by ALPN.
    fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        h2: bool,
    ) -> Answer {
        self.send_with(self.client_config(h2), method, path, content_type, body)
    }

    /// As [`Server::send`], with the client's TLS configuration given.
    fn send_with(
        &self,
        config: rustls::ClientConfig,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let h2 = config.alpn_protocols.first().is_some_and(|p| p == b"h2");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _entered = runtime.enter();
        runtime
            .block_on(tokio::time::timeout(DEADLINE, async {
                let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
                let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                    .connect(ServerName::try_from("localhost").unwrap(), tcp)
                    .await
                    .expect("TLS handshake with the test CA");
                let mut request = hyper::Request::builder()
                    .method(method)
                    .uri(format!("https://localhost:{}{path}", self.addr.port()));
                if !h2 {
                    request = request.header("host", "localhost");
                }
                if let Some(ct) = content_type {
                    request = request.header("content-type", ct);
                }
                let request = request.body(Full::new(Bytes::from(body))).unwrap();
                let response = if h2 {
                    let (mut sender, conn) = hyper::client::conn::http2::handshake(
                        TokioExecutor::new(),
                        TokioIo::new(tls),
                    )
                    .await
                    .unwrap();
                    tokio::spawn(conn);
                    sender.send_request(request).await.unwrap()
                } else {
                    let (mut sender, conn) =
                        hyper::client::conn::http1::handshake(TokioIo::new(tls))
                            .await
                            .unwrap();
                    tokio::spawn(conn);
                    sender.send_request(request).await.unwrap()
                };
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .to_vec();
                Answer {
                    status,
                    content_type,
                    body,
                }
            }))
            .expect("the server answers within the deadline")
    }

    /// Writes `head` on a new TLS connection and returns what comes back until the end of the
    /// response headers.
    fn raw(&self, head: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _entered = runtime.enter();
        runtime
            .block_on(tokio::time::timeout(DEADLINE, async {
                let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
                let mut tls = tokio_rustls::TlsConnector::from(Arc::new(self.client_config(false)))
                    .connect(ServerName::try_from("localhost").unwrap(), tcp)
                    .await
                    .unwrap();
                tls.write_all(head.as_bytes()).await.unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                String::from_utf8_lossy(&got).into_owned()
            }))
            .expect("the server answers within the deadline")
    }

    /// A client that trusts only the test's CA, offering HTTP/2 or HTTP/1.1 by ALPN.
    fn client_config(&self, h2: bool) -> rustls::ClientConfig {
        self.client_config_as(h2, None)
    }

    /// As [`Server::client_config`], presenting the client certificate and key `identity`.
    fn client_config_as(&self, h2: bool, identity: Option<(&Path, &Path)>) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(&self.ca).unwrap())
            .unwrap();
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
        let mut config = match identity {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_file(cert).unwrap()],
                    rustls::pki_types::PrivateKeyDer::from_pem_file(key).unwrap(),
                )
                .unwrap(),
        };
        config.alpn_protocols = vec![if h2 {
            b"h2".to_vec()
        } else {
            b"http/1.1".to_vec()
        }];
        config
    }

    fn validate(&self, body: Vec<u8>) -> Answer {
        self.send("POST", "/validate", Some("application/json"), body, false)
    }

    fn validate_file(&self, path: &Path) -> Value {
        let answer = self.validate(std::fs::read(path).unwrap());
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.content_type, "application/json");
        answer.json()
    }

    fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, Vec::new(), false)
    }

    fn signal(&self, name: &str) {
        signal(&self.child, name);
    }
}

/// Sends the signal `name` (`TERM`, `HUP`, …) to `child`.
fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `bona eval --admission-review FILE --format json` with the same policies and cluster.
fn eval(policy: &Path, review: &Path, cluster: &str) -> Value {
    let out = Command::new(BONA)
        .arg("eval")
        .arg("--policy")
        .arg(policy)
        .arg("--admission-review")
        .arg(review)
        .args(["--cluster", cluster, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The decision document the server put in `auditAnnotations.details`.
fn details(answer: &Value) -> Value {
    let text = answer["response"]["auditAnnotations"]["details"]
        .as_str()
        .expect("details annotation");
    serde_json::from_str(text).unwrap()
}

const REVIEW_UID: &str = "3f1c9a52-7e0b-4d7e-9a41-5b2d8c6e0f17";

#[test]
fn production_review_is_denied_and_agrees_with_eval() {
    let policy = repo().join("examples/production");
    let server = serve(&[
        "--policy",
        policy.to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
    ]);
    let answer = server.validate_file(&review_json());
    assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(answer["kind"], "AdmissionReview");
    let response = &answer["response"];
    assert_eq!(response["uid"], REVIEW_UID);
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 403);
    assert_eq!(
        response["status"]["message"],
        "image registry.company.com/payments/api:1.4.2 is not trusted by policy \"production images\" \
         (not pinned: the reference carries no digest, the rule needs one); \
         image docker.io/library/redis:7.2 is not trusted by policy \"production images\" \
         (registry is `docker.io`, the rule needs one of `registry.company.com`, `mirror.company.com`)"
    );
    assert!(response.get("warnings").is_none());
    assert_eq!(response["auditAnnotations"]["decision"], "prevent");
    // The same engine as `bona eval`: the same decision document, field for field.
    assert_eq!(details(&answer), eval(&policy, &review_json(), "prod-eu-1"));

    // The Pod (from a Job template, no name yet) and the CronJob are judged too.
    for (file, image) in [("pod.json", "nginx:1.27"), ("cronjob.json", "busybox:1.36")] {
        let answer = server.validate_file(&fixture(file));
        assert_eq!(answer["response"]["allowed"], false, "{file}");
        let message = answer["response"]["status"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("docker.io/library/{image}")),
            "{message}"
        );
        assert_eq!(details(&answer), eval(&policy, &fixture(file), "prod-eu-1"));
    }
    server.log.wait_for(
        &format!("uid={REVIEW_UID} kind=Deployment namespace=payments name=api decision=prevent"),
        1,
    );
}

#[test]
fn staging_review_is_allowed_with_a_warning_over_http2() {
    let policy = repo().join("examples/production");
    let server = serve(&[
        "--policy",
        policy.to_str().unwrap(),
        "--cluster",
        "staging-1",
    ]);
    // The API server speaks HTTP/2 to webhooks when offered.
    let answer = server.send(
        "POST",
        "/validate?timeout=10s",
        Some("application/json"),
        std::fs::read(review_json()).unwrap(),
        true,
    );
    assert_eq!(answer.status, 200);
    let answer = answer.json();
    let response = &answer["response"];
    assert_eq!(response["uid"], REVIEW_UID);
    assert_eq!(response["allowed"], true);
    assert!(response.get("status").is_none());
    assert_eq!(
        response["warnings"],
        serde_json::json!([
            "image docker.io/library/redis:7.2 is not trusted by policy \"staging images\" \
             (registry is `docker.io`, the rule needs one of `registry.company.com`, `mirror.company.com`)"
        ])
    );
    assert_eq!(
        response["auditAnnotations"]["untrusted-images"],
        "docker.io/library/redis:7.2"
    );
    assert_eq!(details(&answer), eval(&policy, &review_json(), "staging-1"));
}

#[test]
fn delete_configmap_and_bad_requests() {
    let policy = repo().join("examples/production");
    let server = serve(&[
        "--policy",
        policy.to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
    ]);
    for (file, uid) in [
        ("delete.json", "6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d03"),
        ("configmap.json", "6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d02"),
    ] {
        let answer = server.validate_file(&fixture(file));
        assert_eq!(answer["response"]["uid"], uid, "{file}");
        assert_eq!(answer["response"]["allowed"], true, "{file}");
        assert!(answer["response"].get("warnings").is_none(), "{file}");
    }

    // An image the API server accepted but that is not a valid reference: answered, denied.
    let answer = server.validate_file(&fixture("bad-image.json"));
    assert_eq!(
        answer["response"]["uid"],
        "6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d04"
    );
    assert_eq!(answer["response"]["allowed"], false);
    assert_eq!(answer["response"]["status"]["code"], 400);
    let message = answer["response"]["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("repository must be lower case"),
        "{message}"
    );

    // Malformed JSON, a review without uid, a document that is not a review: 400 with JSON.
    for body in [
        &b"{\"kind\": \"AdmissionReview\", \"request\": "[..],
        b"{\"kind\":\"AdmissionReview\",\"request\":{}}",
        b"{\"kind\":\"Pod\"}",
        b"[]",
    ] {
        let answer = server.validate(body.to_vec());
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(answer.content_type, "application/json");
        assert!(
            answer.json()["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty())
        );
    }
    let answer = server.send(
        "POST",
        "/validate",
        Some("text/plain"),
        b"{}".to_vec(),
        false,
    );
    assert_eq!(answer.status, 415);
    // A body over the limit is refused from its Content-Length, before it is sent (a client still
    // writing a refused body would race the server closing the connection).
    let head = server.raw(
        "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         content-length: 5242880\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
    assert_eq!(server.get("/validate").status, 405);
    assert_eq!(server.get("/nope").status, 404);
    // Still serving after all that.
    assert_eq!(
        server.validate_file(&fixture("configmap.json"))["response"]["allowed"],
        true
    );

    let metrics = String::from_utf8(server.get("/metrics").body).unwrap();
    for line in [
        "bona_admission_requests_total{decision=\"allow\"} 3",
        "bona_admission_requests_total{decision=\"prevent\"} 0",
        "bona_admission_errors_total{reason=\"bad_request\"} 4",
        "bona_admission_errors_total{reason=\"bad_image\"} 1",
        "bona_admission_errors_total{reason=\"unsupported_media_type\"} 1",
        "bona_admission_errors_total{reason=\"too_large\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in:\n{metrics}"
        );
    }
}

#[test]
fn health_readiness_metrics_and_graceful_stop() {
    let policy = repo().join("examples/production");
    let mut server = serve(&[
        "--policy",
        policy.to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
        "--shutdown-delay",
        "0.5",
    ]);
    for path in ["/healthz", "/readyz"] {
        let answer = server.get(path);
        assert_eq!(
            (answer.status, answer.body.as_slice()),
            (200, &b"ok\n"[..]),
            "{path}"
        );
    }
    server.validate_file(&review_json());
    let answer = server.get("/metrics");
    assert_eq!(answer.status, 200);
    assert!(answer.content_type.starts_with("text/plain; version=0.0.4"));
    let text = String::from_utf8(answer.body).unwrap();
    for line in [
        "bona_admission_requests_total{decision=\"prevent\"} 1",
        "bona_admission_images_total{result=\"prevented\"} 2",
        "bona_admission_duration_seconds_count 1",
        "bona_admission_duration_seconds_bucket{le=\"+Inf\"} 1",
        "bona_policies 2",
        "bona_policy_reloads_total{result=\"success\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }

    server.signal("TERM");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}\n{}", server.log.text());
    server.log.wait_for("stopped", 1);
}

#[test]
fn a_bundle_decides_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("production.bundle");
    let policy = repo().join("examples/production");
    let built = Command::new(BONA)
        .arg("build")
        .arg(&policy)
        .arg("-o")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let server = serve(&[
        "--bundle",
        bundle.to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
    ]);
    let answer = server.validate_file(&review_json());
    assert_eq!(answer["response"]["allowed"], false);
    assert_eq!(details(&answer), eval(&policy, &review_json(), "prod-eu-1"));
}

/// A copy of examples/production to edit.
fn policy_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["production.trust", "registries.trust", "staging.trust"] {
        std::fs::copy(
            repo().join("examples/production").join(file),
            dir.path().join(file),
        )
        .unwrap();
    }
    dir
}

#[test]
fn sighup_reloads_and_a_broken_edit_keeps_the_old_set() {
    let policies = policy_copy();
    let server = serve(&[
        "--policy",
        policies.path().to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
        "--reload-interval",
        "0",
    ]);
    let allowed =
        |server: &Server| server.validate_file(&review_json())["response"]["allowed"].clone();
    assert_eq!(allowed(&server), false);

    // Production only reports now: the same review is allowed, with warnings.
    let file = policies.path().join("production.trust");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("action prevent", "action issue")
            .replace("  on unknown prevent\n", ""),
    )
    .unwrap();
    server.signal("HUP");
    server.log.wait_for("policies reloaded (SIGHUP)", 1);
    let answer = server.validate_file(&review_json());
    assert_eq!(answer["response"]["allowed"], true);
    assert_eq!(answer["response"]["warnings"].as_array().unwrap().len(), 2);

    // A broken edit is refused with its diagnostics; the set in use stays.
    std::fs::write(
        &file,
        "policy \"production images\" {\n  action sometimes\n",
    )
    .unwrap();
    server.signal("HUP");
    server.log.wait_for(
        "policy reload failed (SIGHUP); keeping the previous policies",
        1,
    );
    // The diagnostics follow on the next lines; the summary is the last.
    server.log.wait_for("fix the policies first", 1);
    assert!(
        server.log.text().contains("production.trust"),
        "{}",
        server.log.text()
    );
    assert_eq!(allowed(&server), true);
    let metrics = String::from_utf8(server.get("/metrics").body).unwrap();
    assert!(
        metrics.contains("bona_policy_reloads_total{result=\"failure\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bona_policy_reloads_total{result=\"success\"} 2\n"),
        "{metrics}"
    );
}

#[test]
fn changed_files_are_picked_up_by_polling() {
    let policies = policy_copy();
    let server = serve(&[
        "--policy",
        policies.path().to_str().unwrap(),
        "--cluster",
        "staging-1",
        "--reload-interval",
        "1",
    ]);
    assert_eq!(
        server.validate_file(&review_json())["response"]["allowed"],
        true
    );
    let file = policies.path().join("staging.trust");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("action issue", "action prevent")).unwrap();
    server.log.wait_for("policies reloaded (files changed)", 1);
    let answer = server.validate_file(&review_json());
    assert_eq!(answer["response"]["allowed"], false);
    assert!(
        answer["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("\"staging images\"")
    );
}

/// Runs `bona serve` expecting it to refuse to start.
fn refuse(args: &[&std::ffi::OsStr]) -> (i32, String) {
    use std::io::Read as _;
    let mut child = Command::new(BONA)
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: a server that starts (or hangs reading a file) is killed and fails the test.
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bona serve {args:?} did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    (status.code().unwrap_or(-1), stderr)
}

#[test]
fn unusable_tls_files_and_policies_refuse_to_start() {
    let certs = Certs::new();
    let policy = repo().join("examples/production");
    let missing = certs.path("missing.crt");
    let garbage = certs.path("garbage.pem");
    std::fs::write(&garbage, "not a pem file\n").unwrap();
    let arg = |p: &Path| p.as_os_str().to_owned();
    let run = |cert: &Path, key: &Path| {
        refuse(&[
            "--policy".as_ref(),
            &arg(&policy),
            "--tls-cert".as_ref(),
            &arg(cert),
            "--tls-key".as_ref(),
            &arg(key),
        ])
    };
    let (code, stderr) = run(&missing, &certs.path("tls.key"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: cannot read the TLS certificate",
            missing.display()
        )),
        "{stderr}"
    );
    let (code, stderr) = run(&garbage, &certs.path("tls.key"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{}: no certificate found", garbage.display())),
        "{stderr}"
    );
    let (code, stderr) = run(&certs.path("tls.crt"), &garbage);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{}: no private key found", garbage.display())),
        "{stderr}"
    );
    // The CA's key is a key, but not the server certificate's.
    let (code, stderr) = run(&certs.path("tls.crt"), &certs.path("ca.key"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the key does not belong to the certificate"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one clear message: {stderr}");
    // A FIFO (which would block the read) and a device that never ends are refused at once.
    let fifo = certs.path("fifo.crt");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for special in [fifo.as_path(), Path::new("/dev/zero")] {
        let (code, stderr) = run(special, &certs.path("tls.key"));
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{}: cannot read the TLS certificate: not a regular file",
                special.display()
            )),
            "{stderr}"
        );
    }
    let huge = certs.path("huge.crt");
    std::fs::write(&huge, vec![b'x'; (1 << 20) + 1]).unwrap();
    let (code, stderr) = run(&certs.path("tls.crt"), &huge);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("larger than 1 MiB"), "{stderr}");
    // A half-written certificate is described in words, not as byte values.
    let pem = std::fs::read_to_string(certs.path("tls.crt")).unwrap();
    let truncated = certs.path("truncated.crt");
    std::fs::write(&truncated, &pem[..pem.len() / 2]).unwrap();
    let (code, stderr) = run(&truncated, &certs.path("tls.key"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("a PEM block is not finished: `-----END CERTIFICATE-----` is missing"),
        "{stderr}"
    );
    assert!(!stderr.contains("[67, 69, 82"), "{stderr}");

    // Policies with compile errors: exit 1 with the diagnostics, as every command.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("p.trust"),
        "policy \"x\" {\n  action sometimes\n}\n",
    )
    .unwrap();
    let (code, stderr) = refuse(&[
        "--policy".as_ref(),
        broken.path().as_os_str(),
        "--tls-cert".as_ref(),
        &arg(&certs.path("tls.crt")),
        "--tls-key".as_ref(),
        &arg(&certs.path("tls.key")),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("p.trust"), "{stderr}");
}

/// Request fields are written escaped (text) or as JSON strings: a newline in `request.uid`
/// cannot start a log line of its own, a space cannot add a `key=value`.
#[test]
fn request_fields_cannot_forge_log_lines() {
    let forged = "a\n2026-12-07T00:00:00.000000Z  INFO admission uid=FORGED decision=allow";
    let mut review: Value = serde_json::from_slice(&std::fs::read(review_json()).unwrap()).unwrap();
    review["request"]["uid"] = Value::String(forged.into());
    review["request"]["object"]["metadata"]["name"] = Value::String("x decision=allow".into());
    let body = serde_json::to_vec(&review).unwrap();
    let policy = repo()
        .join("examples/production")
        .to_str()
        .unwrap()
        .to_owned();

    let server = serve(&["--policy", &policy, "--cluster", "prod-eu-1"]);
    let answer = server.validate(body.clone()).json();
    assert_eq!(answer["response"]["uid"], forged);
    server.log.wait_for("admission uid=", 1);
    let text = server.log.text();
    assert!(
        !text
            .lines()
            .any(|l| l.contains("FORGED") && !l.contains("uid=\"a\\n2026")),
        "{text}"
    );
    assert!(text.contains("name=\"x decision=allow\""), "{text}");

    let server = serve(&[
        "--policy",
        &policy,
        "--cluster",
        "prod-eu-1",
        "--log-format",
        "json",
    ]);
    server.validate(body);
    server.log.wait_for("\"message\":\"admission\"", 1);
    let line = server
        .log
        .text()
        .lines()
        .find(|l| l.contains("\"message\":\"admission\""))
        .unwrap()
        .to_owned();
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["uid"], forged);
    assert_eq!(event["decision"], "prevent");
    assert_eq!(event["level"], "INFO");
    for line in server.log.text().lines() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
}

#[test]
fn client_ca_guards_validate_but_not_the_probes() {
    let policy = repo().join("examples/production");
    let api_server = Certs::new();
    let (cert, key) = api_server.client();
    let stranger = Certs::new();
    let (stranger_cert, stranger_key) = stranger.client();
    let ca = api_server.path("ca.crt");
    for metrics_too in [false, true] {
        let mut args = vec![
            "--policy",
            policy.to_str().unwrap(),
            "--cluster",
            "prod-eu-1",
            "--client-ca",
            ca.to_str().unwrap(),
        ];
        if metrics_too {
            args.push("--client-ca-metrics");
        }
        let server = serve(&args);
        let review = std::fs::read(review_json()).unwrap();
        // Without a certificate: the probes answer, /validate does not.
        assert_eq!(server.get("/healthz").status, 200);
        assert_eq!(server.get("/readyz").status, 200);
        assert_eq!(
            server.get("/metrics").status,
            if metrics_too { 401 } else { 200 }
        );
        let answer = server.validate(review.clone());
        assert_eq!(answer.status, 401);
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .contains("client certificate")
        );
        // With the API server's certificate, over either protocol.
        for h2 in [false, true] {
            let config = server.client_config_as(h2, Some((&cert, &key)));
            let answer = server.send_with(
                config,
                "POST",
                "/validate",
                Some("application/json"),
                review.clone(),
            );
            assert_eq!(answer.status, 200);
            assert_eq!(answer.json()["response"]["allowed"], false);
        }
        let config = server.client_config_as(false, Some((&cert, &key)));
        assert_eq!(
            server
                .send_with(config, "GET", "/metrics", None, Vec::new())
                .status,
            200
        );
        // A certificate from another CA fails the handshake.
        let config = server.client_config_as(false, Some((&stranger_cert, &stranger_key)));
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            server.send_with(
                config,
                "POST",
                "/validate",
                Some("application/json"),
                review.clone(),
            )
        }));
        assert!(refused.is_err(), "a stranger's certificate was accepted");
    }
    // An unusable CA file refuses to start.
    let garbage = api_server.path("garbage.pem");
    std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
    let (code, stderr) = refuse(&[
        "--policy".as_ref(),
        policy.as_os_str(),
        "--tls-cert".as_ref(),
        api_server.path("tls.crt").as_os_str(),
        "--tls-key".as_ref(),
        api_server.path("tls.key").as_os_str(),
        "--client-ca".as_ref(),
        garbage.as_os_str(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: not a PEM certificate file",
            garbage.display()
        )),
        "{stderr}"
    );
}

/// Makes a hostile entry in a directory; returns what the message must name.
type Make = fn(&Path) -> &'static str;

/// The hostile entries of a policy directory (issue 10, D1): a FIFO named like a policy file,
/// two symbolic links back to the directory, a link to `/dev/zero`. Each returns the name of
/// the entry it made.
fn hostile_entries() -> Vec<(&'static str, Make)> {
    fn fifo(dir: &Path) -> &'static str {
        let status = Command::new("mkfifo")
            .arg(dir.join("x.trust"))
            .status()
            .unwrap();
        assert!(status.success());
        "x.trust"
    }
    fn loops(dir: &Path) -> &'static str {
        std::os::unix::fs::symlink(".", dir.join("a")).unwrap();
        std::os::unix::fs::symlink(".", dir.join("b")).unwrap();
        "symbolic link loop"
    }
    fn zero(dir: &Path) -> &'static str {
        std::os::unix::fs::symlink("/dev/zero", dir.join("z.trust")).unwrap();
        "z.trust"
    }
    vec![
        ("a FIFO", fifo),
        ("symlink loops", loops),
        ("/dev/zero", zero),
    ]
}

#[test]
fn hostile_policy_directories_refuse_start_up() {
    let certs = Certs::new();
    for (what, make) in hostile_entries() {
        let policies = policy_copy();
        let named = make(policies.path());
        let (code, stderr) = refuse(&[
            "--policy".as_ref(),
            policies.path().as_os_str(),
            "--tls-cert".as_ref(),
            certs.path("tls.crt").as_os_str(),
            "--tls-key".as_ref(),
            certs.path("tls.key").as_os_str(),
        ]);
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(stderr.contains(named), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: one message: {stderr}");
    }
}

#[test]
fn hostile_entries_appearing_later_never_stall_the_webhook() {
    for (what, make) in hostile_entries() {
        let policies = policy_copy();
        let server = serve(&[
            "--policy",
            policies.path().to_str().unwrap(),
            "--cluster",
            "prod-eu-1",
            "--reload-interval",
            "1",
            "--shutdown-delay",
            "0",
        ]);
        assert_eq!(
            server.validate_file(&review_json())["response"]["allowed"],
            false
        );
        make(policies.path());
        server.log.wait_for(
            "policy reload failed (files changed); keeping the previous policies",
            1,
        );
        // The set in use stays and the probes answer at once. The bound is loose on purpose:
        // it tells a stall (the reload used to block the workers for good) from a busy machine.
        for _ in 0..5 {
            let started = Instant::now();
            assert_eq!(server.get("/healthz").status, 200, "{what}");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{what}: /healthz took {:?}",
                started.elapsed()
            );
        }
        assert_eq!(
            server.validate_file(&review_json())["response"]["allowed"],
            false,
            "{what}"
        );
        // SIGTERM still ends it.
        let mut server = server;
        server.signal("TERM");
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                assert_eq!(status.code(), Some(0), "{what}");
                break;
            }
            assert!(Instant::now() < deadline, "{what}: SIGTERM did not end it");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `--bundle-key` (issue 10): the webhook starts only with a bundle signed by the key.
#[test]
fn serve_refuses_a_bundle_not_signed_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["release", "other"] {
        crate::keys::p256_pair(d, name);
    }
    let bundle = d.join("p.bundle");
    let out = Command::new(BONA)
        .arg("build")
        .arg(repo().join("examples/production"))
        .arg("-o")
        .arg(&bundle)
        .arg("--sign-key")
        .arg(d.join("release.key"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = serve(&[
        "--bundle",
        bundle.to_str().unwrap(),
        "--bundle-key",
        d.join("release.pub").to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
    ]);
    assert_eq!(
        server.validate_file(&review_json())["response"]["allowed"],
        false
    );
    drop(server);
    let certs = Certs::new();
    let (code, stderr) = refuse(&[
        "--bundle".as_ref(),
        bundle.as_os_str(),
        "--bundle-key".as_ref(),
        d.join("other.pub").as_os_str(),
        "--tls-cert".as_ref(),
        certs.path("tls.crt").as_os_str(),
        "--tls-key".as_ref(),
        certs.path("tls.key").as_os_str(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not verify under"), "{stderr}");
}

/// Keyless signers at admission: the webhook with `examples/keyless` and its facts admits the
/// release workflow's image and denies a fork's, naming the identity check that failed.
#[test]
fn keyless_denials_name_the_failed_check() {
    let dir = repo().join("examples/keyless");
    let facts = dir.join("facts.json");
    let server = serve(&[
        "--policy",
        dir.to_str().unwrap(),
        "--facts",
        facts.to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
    ]);
    let digest = "sha256:50ea8d77faeeda8077211c0c0a3b5678c1e9ca25999606d64ff045d9283cf56d";
    let review = |images: &[&str]| {
        let mut doc: Value =
            serde_json::from_slice(&std::fs::read(fixture("pod.json")).unwrap()).unwrap();
        doc["request"]["namespace"] = serde_json::json!("payments");
        doc["request"]["object"]["spec"]["containers"] = serde_json::json!(images
            .iter()
            .enumerate()
            .map(|(i, image)| serde_json::json!({"name": format!("c{i}"), "image": format!("registry.company.com/{image}@{digest}")}))
            .collect::<Vec<_>>());
        serde_json::to_vec(&doc).unwrap()
    };
    let allowed = server.validate(review(&["app", "app-legacy"])).json();
    assert_eq!(allowed["response"]["allowed"], true, "{allowed}");
    let denied = server.validate(review(&["app", "forked"])).json();
    assert_eq!(denied["response"]["allowed"], false, "{denied}");
    let message = denied["response"]["status"]["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "image registry.company.com/forked@{digest} is not trusted by policy \"release builds \
             only\" (not signed by `release_ci`: the one signature does not verify (identity \
             subject https://github.com/company-evil/app/.github/workflows/release.yml@refs/tags/v1.0.0 \
             does not match https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*))"
        )
    );
}

/// A rotated `--client-ca` is picked up on SIGHUP, as the serving certificate is: afterwards the
/// new CA's client certificate is accepted and the old one's refused; an unusable replacement
/// keeps the CA in use.
#[test]
fn client_ca_is_reloaded_on_sighup() {
    let policy = repo().join("examples/production");
    let old = Certs::new();
    let (old_cert, old_key) = old.client();
    let new = Certs::new();
    let (new_cert, new_key) = new.client();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("client-ca.pem");
    std::fs::copy(old.path("ca.crt"), &ca).unwrap();
    let server = serve(&[
        "--policy",
        policy.to_str().unwrap(),
        "--cluster",
        "prod-eu-1",
        "--client-ca",
        ca.to_str().unwrap(),
        "--reload-interval",
        "0",
    ]);
    let review = std::fs::read(review_json()).unwrap();
    let accepted = |cert: &Path, key: &Path| {
        let config = server.client_config_as(false, Some((cert, key)));
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            server
                .send_with(
                    config,
                    "POST",
                    "/validate",
                    Some("application/json"),
                    review.clone(),
                )
                .status
        }))
        .is_ok_and(|status| status == 200)
    };
    assert!(accepted(&old_cert, &old_key));
    assert!(!accepted(&new_cert, &new_key));

    std::fs::copy(new.path("ca.crt"), &ca).unwrap();
    server.signal("HUP");
    server.log.wait_for("client CA reloaded", 1);
    assert!(
        accepted(&new_cert, &new_key),
        "the new CA's client is refused"
    );
    assert!(
        !accepted(&old_cert, &old_key),
        "the old CA's client is still accepted"
    );

    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
    server.signal("HUP");
    server
        .log
        .wait_for("client CA reload failed; keeping the previous one", 1);
    assert!(
        accepted(&new_cert, &new_key),
        "a broken CA file replaced the one in use"
    );
}
