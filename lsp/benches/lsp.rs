//! Language-server latencies, measured through the protocol (`LspService`, in process) so that
//! they include everything an editor waits for: diagnostics after a one-character edit in a
//! 5,000-line file, completion and hover in that file, and opening a 1,000-file,
//! 10,000-policy workspace (scan, compile, publish). Numbers go to docs/performance.md.

use std::time::Duration;

use bona_compiler::generate::policy_set;
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tower::{Service, ServiceExt};
use tower_lsp_server::LspService;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::ls_types::Uri;

struct Server {
    service: LspService<bona_lsp::Backend>,
}

impl Server {
    fn start(rt: &Runtime) -> Server {
        let (service, mut socket) = LspService::new(bona_lsp::Backend::new);
        // Drain what the server sends the client (diagnostics), as an editor would.
        rt.spawn(async move { while socket.next().await.is_some() {} });
        Server { service }
    }

    fn send(
        &mut self,
        rt: &Runtime,
        method: &str,
        id: Option<i64>,
        params: Value,
    ) -> Option<Response> {
        let mut b = Request::build(method.to_owned()).params(params);
        if let Some(id) = id {
            b = b.id(id);
        }
        let request = b.finish();
        rt.block_on(async {
            let ready = self.service.ready().await.expect("service ready");
            ready.call(request).await.expect("server alive")
        })
    }
}

/// `{line, character}` of the last occurrence of `needle`, plus `after` characters (ASCII text).
fn position(text: &str, needle: &str, after: usize) -> Value {
    let at = text.rfind(needle).expect("needle") + after;
    let line = text[..at].matches('\n').count();
    let character = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": character})
}

/// A single file of about 5,000 lines of generated policies.
fn five_thousand_lines() -> String {
    let mut n = 100;
    loop {
        let text = policy_set(n, 1).remove(0);
        if text.lines().count() >= 5_000 {
            eprintln!(
                "5,000-line file: {n} policies, {} lines, {} KiB",
                text.lines().count(),
                text.len() >> 10
            );
            return text;
        }
        n += 10;
    }
}

fn editing(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.trust");
    let text = five_thousand_lines();
    std::fs::write(&path, &text).expect("write");
    let uri = Uri::from_file_path(&path).expect("uri");
    let root = Uri::from_file_path(dir.path()).expect("uri");
    let mut server = Server::start(&rt);
    server.send(
        &rt,
        "initialize",
        Some(1),
        json!({"rootUri": root, "capabilities": {}}),
    );
    server.send(&rt, "initialized", None, json!({}));
    server.send(
        &rt,
        "textDocument/didOpen",
        None,
        json!({"textDocument": {
        "uri": uri, "languageId": "trust", "version": 1, "text": text}}),
    );

    // One character of the last policy's registry name, toggled: the file changes, no name does.
    let at = position(&text, ".company.com\"", 1);
    let mut version = 1;
    let mut flip = false;
    let mut g = c.benchmark_group("lsp");
    g.bench_function("diagnostics after a one-character edit (5,000-line file)", |b| {
        b.iter(|| {
            version += 1;
            flip = !flip;
            let change = json!({"range": {"start": at, "end": {"line": at["line"], "character": at["character"].as_u64().unwrap_or(0) + 1}},
                                "text": if flip { "k" } else { "c" }});
            server.send(&rt, "textDocument/didChange", None, json!({
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}))
        })
    });
    let trust = position(&text, "trust registry == ", 6);
    g.bench_function("completion in a trust rule (5,000-line file)", |b| {
        b.iter(|| {
            server.send(
                &rt,
                "textDocument/completion",
                Some(2),
                json!({
                "textDocument": {"uri": uri}, "position": trust}),
            )
        })
    });
    let attribute = position(&text, "trust registry == ", 8);
    g.bench_function("hover on an attribute (5,000-line file)", |b| {
        b.iter(|| {
            server.send(
                &rt,
                "textDocument/hover",
                Some(3),
                json!({
                "textDocument": {"uri": uri}, "position": attribute}),
            )
        })
    });
    g.finish();
}

fn opening(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, text) in policy_set(10_000, 1_000).iter().enumerate() {
        std::fs::write(dir.path().join(format!("p{i:04}.trust")), text).expect("write");
    }
    let root = Uri::from_file_path(dir.path()).expect("uri");
    // The scan finds every file: the last policy is a workspace symbol.
    let mut check = Server::start(&rt);
    check.send(
        &rt,
        "initialize",
        Some(1),
        json!({"rootUri": root, "capabilities": {}}),
    );
    check.send(&rt, "initialized", None, json!({}));
    let found = check.send(
        &rt,
        "workspace/symbol",
        Some(2),
        json!({"query": "team9999 base"}),
    );
    let found = serde_json::to_value(found).expect("json");
    assert_eq!(found["result"].as_array().map(Vec::len), Some(1), "{found}");
    let mut g = c.benchmark_group("lsp");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("open a 1,000-file, 10,000-policy workspace", |b| {
        b.iter(|| {
            let mut server = Server::start(&rt);
            server.send(
                &rt,
                "initialize",
                Some(1),
                json!({"rootUri": root, "capabilities": {}}),
            );
            server.send(&rt, "initialized", None, json!({}))
        })
    });

    // One open file of that workspace, edited: only its diagnostics are recomputed.
    let mut server = Server::start(&rt);
    server.send(
        &rt,
        "initialize",
        Some(1),
        json!({"rootUri": root, "capabilities": {}}),
    );
    server.send(&rt, "initialized", None, json!({}));
    let path = dir.path().join("p0500.trust");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = Uri::from_file_path(&path).expect("uri");
    server.send(
        &rt,
        "textDocument/didOpen",
        None,
        json!({"textDocument": {
        "uri": uri, "languageId": "trust", "version": 1, "text": text}}),
    );
    let at = position(&text, ".company.com\"", 1);
    let mut version = 1;
    let mut flip = false;
    g.sample_size(50).measurement_time(Duration::from_secs(5));
    g.bench_function("diagnostics after a one-character edit (1 of 1,000 files)", |b| {
        b.iter(|| {
            version += 1;
            flip = !flip;
            let change = json!({"range": {"start": at, "end": {"line": at["line"], "character": at["character"].as_u64().unwrap_or(0) + 1}},
                                "text": if flip { "k" } else { "c" }});
            server.send(&rt, "textDocument/didChange", None, json!({
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}))
        })
    });
    g.finish();
}

criterion_group!(benches, editing, opening);
criterion_main!(benches);
