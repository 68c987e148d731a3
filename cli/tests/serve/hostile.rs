//! Hostile clients against `bona serve`: silent and idle connections, partial and slow bodies,
//! slow HTTP/2 streams, more connections than allowed, huge reviews beside probes, forged log
//! lines, and signals at awkward moments. Raw TLS (tokio-rustls) and hyper clients on
//! 127.0.0.1; every wait is bounded, and the server is killed when its guard drops.
//!
//! The bounds asserted are several times the configured timeouts, so a slow machine does not
//! fail them; what they catch is a connection or request held for ever.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use hyper::body::Frame;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::*;

/// Long enough for any bound below to be met several times over.
const BOUND: Duration = Duration::from_secs(5);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn production() -> String {
    repo()
        .join("examples/production")
        .to_str()
        .unwrap()
        .to_owned()
}

impl Server {
    /// A TLS connection offering HTTP/2 or HTTP/1.1 by ALPN, handshake done.
    async fn tls(&self, h2: bool) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        tokio::time::timeout(
            BOUND,
            tokio_rustls::TlsConnector::from(Arc::new(self.client_config(h2)))
                .connect(ServerName::try_from("localhost").unwrap(), tcp),
        )
        .await
        .expect("TLS handshake in time")
        .expect("TLS handshake")
    }

    /// The server's resident memory, from /proc.
    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kib * 1024
    }

    fn exit_within(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running:\n{}",
                self.log.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether the peer closes `stream` within `within` (end of stream or an error).
async fn closed_within(stream: &mut (impl AsyncRead + Unpin), within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Reads a response's status line and headers.
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(BOUND, async {
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within {BOUND:?}");
    String::from_utf8_lossy(&got).into_owned()
}

/// `GET path` on a new HTTP/1.1 connection with `Connection: close`; the whole answer.
async fn get_closing(server: &Server, path: &str) -> String {
    let mut tls = server.tls(false).await;
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(BOUND, tls.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn post_head(length: usize) -> String {
    format!(
        "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         content-length: {length}\r\n\r\n"
    )
}

fn metric(server: &Server, line: &str) {
    let metrics = String::from_utf8(server.get("/metrics").body).unwrap();
    assert!(
        metrics.lines().any(|l| l == line),
        "no `{line}` in:\n{metrics}"
    );
}

#[test]
fn silent_and_idle_connections_are_closed() {
    let server = serve(&[
        "--policy",
        &production(),
        "--request-timeout",
        "1",
        "--idle-timeout",
        "1",
    ]);
    runtime().block_on(async {
        // TCP only, no TLS handshake.
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        assert!(closed_within(&mut tcp, BOUND).await, "TCP without TLS");
        // A handshake and then nothing (either protocol), or one byte.
        for h2 in [false, true] {
            let mut tls = server.tls(h2).await;
            assert!(closed_within(&mut tls, BOUND).await, "silent, h2={h2}");
        }
        let mut tls = server.tls(false).await;
        tls.write_all(b"P").await.unwrap();
        assert!(closed_within(&mut tls, BOUND).await, "one byte");
        // HTTP/1.1 keep-alive after an answer.
        let mut tls = server.tls(false).await;
        tls.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await
            .unwrap();
        assert!(read_head(&mut tls).await.starts_with("HTTP/1.1 200"));
        assert!(closed_within(&mut tls, BOUND).await, "idle HTTP/1.1");
        // An HTTP/2 connection without streams after an answer: GOAWAY, then closed.
        let tls = server.tls(true).await;
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .unwrap();
        let connection = tokio::spawn(connection);
        let request =
            hyper::Request::get(format!("https://localhost:{}/healthz", server.addr.port()))
                .body(Full::new(Bytes::new()))
                .unwrap();
        let answer = sender.send_request(request).await.unwrap();
        assert_eq!(answer.status(), 200);
        drop(answer);
        assert!(
            tokio::time::timeout(BOUND, connection).await.is_ok(),
            "idle HTTP/2"
        );
    });
    // Still serving.
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn partial_bodies_time_out_and_the_buffer_budget_answers_503() {
    let server = serve(&[
        "--policy",
        &production(),
        "--cluster",
        "prod-eu-1",
        "--request-timeout",
        "1",
        "--max-buffered-bytes",
        "1048576",
    ]);
    runtime().block_on(async {
        // 700 KiB of a declared 768 KiB, then nothing more.
        let mut slow = server.tls(false).await;
        slow.write_all(post_head(768 << 10).as_bytes())
            .await
            .unwrap();
        slow.write_all(&vec![b' '; 700 << 10]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Another 768 KiB does not fit in the 1 MiB held across all requests.
        let mut second = server.tls(false).await;
        second
            .write_all(post_head(768 << 10).as_bytes())
            .await
            .unwrap();
        let head = read_head(&mut second).await;
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        // The gauges show what is held.
        let metrics = get_closing(&server, "/metrics").await;
        assert!(
            metrics
                .lines()
                .any(|l| l == "bona_request_body_bytes 786432"),
            "{metrics}"
        );
        // The slow one and this one, and the refused one until it has closed.
        let open: u32 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("bona_connections "))
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!((2..=3).contains(&open), "{metrics}");
        // An ordinary review still fits: an eighth of the budget is kept for small bodies.
        let review = std::fs::read(review_json()).unwrap();
        let mut small = server.tls(false).await;
        small
            .write_all(post_head(review.len()).as_bytes())
            .await
            .unwrap();
        small.write_all(&review).await.unwrap();
        let head = read_head(&mut small).await;
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        // The slow one gets 408 once its time is up.
        let head = read_head(&mut slow).await;
        assert!(head.starts_with("HTTP/1.1 408 "), "{head}");
    });
    // The budget is given back: a whole review is answered.
    assert_eq!(
        server.validate_file(&review_json())["response"]["allowed"],
        false
    );
    metric(&server, "bona_admission_errors_total{reason=\"busy\"} 1");
    metric(&server, "bona_admission_errors_total{reason=\"timeout\"} 1");
}

#[test]
fn many_large_partial_bodies_hold_bounded_memory() {
    // The default budget (32 MiB across all requests) and the default body limit (4 MiB).
    let server = serve(&["--policy", &production()]);
    let connections = 40;
    let runtime = runtime();
    let streams = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let mut tls = server.tls(false).await;
            tasks.push(tokio::spawn(async move {
                let body = vec![b' '; (4 << 20) - (4 << 10)];
                let _ = tokio::time::timeout(BOUND, async {
                    tls.write_all(post_head(4 << 20).as_bytes()).await?;
                    tls.write_all(&body).await
                })
                .await;
                tls
            }));
        }
        let mut streams = Vec::new();
        for task in tasks {
            streams.push(task.await.unwrap());
        }
        streams
    });
    // All 40 are open or answered; nearly 160 MiB was sent.
    let rss = server.rss_bytes();
    assert!(
        rss < 100 << 20,
        "RSS {} MiB with {connections} partial 4 MiB bodies",
        rss >> 20
    );
    drop(streams);
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn connections_past_the_limit_wait_in_the_queue() {
    let server = serve(&[
        "--policy",
        &production(),
        "--max-connections",
        "2",
        "--request-timeout",
        "30",
    ]);
    runtime().block_on(async {
        let first = server.tls(false).await;
        let _second = server.tls(false).await;
        // The third is queued by the kernel and not served while both are held.
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let third = tokio::time::timeout(
            Duration::from_millis(700),
            tokio_rustls::TlsConnector::from(Arc::new(server.client_config(false)))
                .connect(ServerName::try_from("localhost").unwrap(), tcp),
        )
        .await;
        assert!(third.is_err(), "a third connection was served");
        drop(third);
        drop(first);
        let mut tls = server.tls(false).await;
        tls.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await
            .unwrap();
        assert!(read_head(&mut tls).await.starts_with("HTTP/1.1 200"));
    });
}

/// A request body that sends `{` and then nothing, for ever.
struct Stalled {
    sent: bool,
}

impl hyper::body::Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.sent {
            Poll::Pending
        } else {
            self.sent = true;
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"{")))))
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }
}

#[test]
fn slow_http2_streams_time_out() {
    let server = serve(&[
        "--policy",
        &production(),
        "--request-timeout",
        "1",
        "--max-concurrent-streams",
        "2",
    ]);
    runtime().block_on(async {
        let tls = server.tls(true).await;
        let (sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(connection);
        // One exchange first, so the client has the server's SETTINGS (its stream limit)
        // before it opens more streams than that (a GET whose body never ends is answered).
        let mut first = sender.clone();
        let probe =
            hyper::Request::get(format!("https://localhost:{}/healthz", server.addr.port()))
                .body(Stalled { sent: true })
                .unwrap();
        assert_eq!(first.send_request(probe).await.unwrap().status(), 200);
        let ended = Arc::new(AtomicUsize::new(0));
        let mut streams = Vec::new();
        // More streams than the connection allows at once: they take turns, each ends.
        for _ in 0..4 {
            let mut sender = sender.clone();
            let ended = Arc::clone(&ended);
            let url = format!("https://localhost:{}/validate", server.addr.port());
            streams.push(tokio::spawn(async move {
                let request = hyper::Request::post(url)
                    .header("content-type", "application/json")
                    .body(Stalled { sent: false })
                    .unwrap();
                sender.ready().await.unwrap();
                // A 408, or the stream reset after it: either way the stream ends.
                if let Ok(answer) = sender.send_request(request).await {
                    assert_eq!(answer.status(), 408);
                }
                ended.fetch_add(1, Ordering::Relaxed);
            }));
        }
        let all = async {
            for stream in streams {
                stream.await.unwrap();
            }
        };
        assert!(
            tokio::time::timeout(BOUND, all).await.is_ok(),
            "{} of 4 stalled streams ended",
            ended.load(Ordering::Relaxed)
        );
    });
    metric(&server, "bona_admission_errors_total{reason=\"timeout\"} 4");
}

/// The production review with `containers` distinct images.
fn huge_review(containers: usize) -> Vec<u8> {
    let mut review: Value = serde_json::from_slice(&std::fs::read(review_json()).unwrap()).unwrap();
    let list: Vec<Value> = (0..containers)
        .map(|n| {
            serde_json::json!({
                "name": format!("c{n}"),
                "image": format!("registry.company.com/payments/app{n}:1.0.{n}"),
            })
        })
        .collect();
    review["request"]["object"]["spec"]["template"]["spec"]["containers"] = Value::Array(list);
    serde_json::to_vec(&review).unwrap()
}

#[test]
fn huge_reviews_do_not_hold_up_probes() {
    let server = Arc::new(serve(&[
        "--policy",
        &production(),
        "--cluster",
        "prod-eu-1",
        "--decision-threads",
        "2",
    ]));
    let body = huge_review(30_000);
    assert!(body.len() < 4 << 20, "{} bytes", body.len());
    let first_huge = Arc::new(Mutex::new(None::<Instant>));
    let huge: Vec<_> = (0..3)
        .map(|_| {
            let server = Arc::clone(&server);
            let body = body.clone();
            let first_huge = Arc::clone(&first_huge);
            std::thread::spawn(move || {
                let answer = server.validate(body);
                first_huge.lock().unwrap().get_or_insert_with(Instant::now);
                answer.status
            })
        })
        .collect();
    // Let the huge bodies arrive and their decisions start (each takes a second or more).
    std::thread::sleep(Duration::from_millis(500));
    let mut probes = Vec::new();
    for path in ["/healthz", "/readyz", "/metrics", "/healthz"] {
        assert_eq!(server.get(path).status, 200, "{path}");
        probes.push(Instant::now());
    }
    // Huge reviews may use one of the two decision threads: an ordinary one has the other.
    for _ in 0..3 {
        assert_eq!(
            server.validate_file(&review_json())["response"]["allowed"],
            false
        );
        probes.push(Instant::now());
    }
    for thread in huge {
        assert_eq!(thread.join().unwrap(), 200);
    }
    let first_huge = first_huge.lock().unwrap().unwrap();
    assert!(
        probes.iter().all(|p| *p < first_huge),
        "a probe or an ordinary review waited for a huge review to be decided"
    );
    // The memory the huge decisions took goes back to the system once their threads idle
    // (mimalloc, and decision threads that exit after a second): glibc's malloc kept it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut rss = server.rss_bytes();
    while rss > RETURNED && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        rss = server.rss_bytes();
    }
    assert!(
        rss <= RETURNED,
        "RSS {} MiB ten seconds after the huge reviews (at most {} MiB)",
        rss >> 20,
        RETURNED >> 20
    );
}

/// The resident memory a server is back under once huge reviews are decided: its start-up
/// size (about 25 MiB with a debug build) plus a margin, far below the 100 MiB or more that
/// deciding each of them takes.
const RETURNED: u64 = 64 << 20;

#[test]
fn sigint_right_after_listening_stops_cleanly() {
    for _ in 0..5 {
        let mut server = serve(&["--policy", &production(), "--shutdown-delay", "0"]);
        server.signal("INT");
        let status = server.exit_within(DEADLINE);
        assert_eq!(status.code(), Some(0), "{status:?}\n{}", server.log.text());
    }
}

/// A policy set that takes a debug build a couple of seconds to compile: long enough to
/// signal the server while it loads.
fn slow_policy_set() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..50_000 {
        text.push_str(&format!(
            "policy \"p{i}\" {{\n  scope cluster matches \"c{i}-*\"\n  action prevent\n  \
             trust image matches \"r{i}.example.com/app/*:v{i}.*\"\n}}\n"
        ));
    }
    std::fs::write(dir.path().join("many.trust"), text).unwrap();
    dir
}

/// A `bona serve` that has said it is loading its policies, killed on drop.
struct Loading {
    child: Child,
    log: Arc<Log>,
    stdout: std::sync::mpsc::Receiver<String>,
}

impl Drop for Loading {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Loading {
    fn signal(&self, name: &str) {
        super::signal(&self.child, name);
    }
}

/// Starts `bona serve` on `policies` and returns once it says it is loading them.
fn loading(policies: &Path, certs: &Certs) -> Loading {
    let mut child = Command::new(BONA)
        .arg("serve")
        .arg("--policy")
        .arg(policies)
        .arg("--tls-cert")
        .arg(certs.path("tls.crt"))
        .arg("--tls-key")
        .arg(certs.path("tls.key"))
        .args(["--listen", "127.0.0.1:0", "--shutdown-delay", "0"])
        .env("BONA_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Log::default());
    let (stderr, sink) = (child.stderr.take().unwrap(), Arc::clone(&log));
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            sink.lines.lock().unwrap().push(line);
            sink.grew.notify_all();
        }
    });
    let (stdout, (tx, rx)) = (child.stdout.take().unwrap(), std::sync::mpsc::channel());
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    log.wait_for("loading the policies", 1);
    Loading {
        child,
        log,
        stdout: rx,
    }
}

#[test]
fn signals_while_the_policies_load() {
    let (certs, policies) = (Certs::new(), slow_policy_set());
    // SIGINT and SIGTERM stop it cleanly before it listens.
    for name in ["INT", "TERM"] {
        let mut server = loading(policies.path(), &certs);
        server.signal(name);
        let deadline = Instant::now() + DEADLINE;
        let status = loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "still running:\n{}",
                server.log.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let log = &server.log;
        assert_eq!(
            status.code(),
            Some(0),
            "SIG{name}: {status:?}\n{}",
            log.text()
        );
        log.wait_for(&format!("SIG{name} received while loading the policies"), 1);
        assert!(
            server.stdout.recv().is_err(),
            "SIG{name}: it listened anyway"
        );
    }
    // SIGHUP neither ends it nor is lost: it listens, then reloads.
    let mut server = loading(policies.path(), &certs);
    server.signal("HUP");
    let line = server.stdout.recv_timeout(DEADLINE).unwrap_or_default();
    let log = Arc::clone(&server.log);
    assert!(
        line.starts_with("listening on https://"),
        "{line:?}\n{}",
        log.text()
    );
    log.wait_for("SIGHUP: reloading", 1);
    server.signal("TERM");
    assert_eq!(
        server.child.wait().unwrap().code(),
        Some(0),
        "{}",
        log.text()
    );
}

#[test]
fn keep_alive_requests_are_answered_during_the_drain() {
    // With a delay the clients see `Connection: close` while the listener is still open;
    // without one, the listener closes at once and the connections drain.
    for delay in ["1", "0"] {
        drain(delay);
    }
}

fn drain(delay: &str) {
    let mut server = serve(&[
        "--policy",
        &production(),
        "--cluster",
        "prod-eu-1",
        "--shutdown-delay",
        delay,
        "--drain-timeout",
        "5",
    ]);
    let body = std::fs::read(review_json()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (addr, config) = (server.addr, server.client_config(false));
            let body = body.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                runtime().block_on(async move {
                    let tcp = TcpStream::connect(addr).await.unwrap();
                    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                        .connect(ServerName::try_from("localhost").unwrap(), tcp)
                        .await
                        .unwrap();
                    let (mut sender, connection) =
                        hyper::client::conn::http1::handshake(TokioIo::new(tls))
                            .await
                            .unwrap();
                    tokio::spawn(connection);
                    let mut answered = 0;
                    loop {
                        let request = hyper::Request::post("/validate")
                            .header("host", "localhost")
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(body.clone())))
                            .unwrap();
                        if let Err(e) = sender.ready().await {
                            return Err(format!("after {answered}: {e}"));
                        }
                        let answer = match sender.send_request(request).await {
                            Ok(answer) => answer,
                            Err(e) => return Err(format!("after {answered}: {e}")),
                        };
                        let closing = answer
                            .headers()
                            .get("connection")
                            .is_some_and(|v| v == "close");
                        assert_eq!(answer.status(), 200);
                        let _ = answer.into_body().collect().await;
                        answered += 1;
                        if closing {
                            return Ok(answered);
                        }
                        if stop.load(Ordering::Relaxed) {
                            return Err(format!("no `Connection: close` after {answered}"));
                        }
                    }
                })
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    if delay != "0" {
        // During --shutdown-delay the listener is open and /readyz says 503.
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(server.get("/readyz").status, 503);
        assert_eq!(
            server.validate_file(&review_json())["response"]["allowed"],
            false
        );
        // A new HTTP/2 connection is served until the listener closes, not sent away at once.
        runtime().block_on(async {
            let tls = server.tls(true).await;
            let (mut sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                    .await
                    .unwrap();
            tokio::spawn(connection);
            for _ in 0..3 {
                let request = hyper::Request::post(format!(
                    "https://localhost:{}/validate",
                    server.addr.port()
                ))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap();
                let answer = sender.send_request(request).await.unwrap();
                assert_eq!(answer.status(), 200);
            }
        });
    }
    let deadline = std::thread::spawn({
        let stop = Arc::clone(&stop);
        move || {
            std::thread::sleep(BOUND);
            stop.store(true, Ordering::Relaxed);
        }
    });
    for client in clients {
        let answered = client.join().unwrap();
        assert!(answered.is_ok(), "{answered:?}\n{}", server.log.text());
    }
    let status = server.exit_within(BOUND + DEADLINE);
    assert!(status.success(), "{status:?}\n{}", server.log.text());
    drop(deadline);
}
