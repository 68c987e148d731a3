//! Peak memory of `bona lsp` holding a 1,000-file, 10,000-policy workspace: the real binary on
//! a pipe, as an editor starts it. It opens the folder, waits until the whole set is checked
//! (a workspace-symbol query finds the last policy), opens one file, hovers and edits it, then
//! reads the server's peak resident set (`VmHWM`) from /proc. docs/performance.md,
//! "Language server", quotes it.
//!
//! ```sh
//! cargo build --release -p bona
//! cargo run --release -p bona --example lsp_memory -- target/release/bona
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::time::Instant;

use bona_compiler::generate::policy_set;
use serde_json::{Value, json};

fn main() -> ExitCode {
    let Some(bona) = std::env::args().nth(1) else {
        eprintln!("usage: lsp_memory PATH-TO-BONA");
        return ExitCode::from(2);
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, text) in policy_set(10_000, 1_000).iter().enumerate() {
        std::fs::write(dir.path().join(format!("p{i:04}.trust")), text).expect("write");
    }
    let root = format!("file://{}", dir.path().display());

    let mut child = Command::new(&bona)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start bona lsp");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));

    let started = Instant::now();
    request(
        &mut stdin,
        &mut stdout,
        1,
        "initialize",
        json!({"rootUri": root, "capabilities": {}}),
    );
    notify(&mut stdin, "initialized", json!({}));
    let found = request(
        &mut stdin,
        &mut stdout,
        2,
        "workspace/symbol",
        json!({"query": "team9999 base"}),
    );
    let ready = started.elapsed();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");

    let path = dir.path().join("p0500.trust");
    let uri = format!("file://{}", path.display());
    let text = std::fs::read_to_string(&path).expect("read");
    notify(
        &mut stdin,
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "trust", "version": 1, "text": text}}),
    );
    request(
        &mut stdin,
        &mut stdout,
        3,
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 8}}),
    );
    notify(
        &mut stdin,
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"text": format!("{text}\nlet extra = 1\n")}]}),
    );
    request(
        &mut stdin,
        &mut stdout,
        4,
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );

    // Let any diagnostics still being published finish before reading the peak.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("status");
    let peak = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map(str::trim)
        .unwrap_or("unknown");
    println!("workspace checked and answering after {ready:.2?}");
    println!("peak resident memory of bona lsp: {peak}");

    request(&mut stdin, &mut stdout, 5, "shutdown", Value::Null);
    notify(&mut stdin, "exit", Value::Null);
    drop(stdin);
    child.wait().expect("wait");
    ExitCode::SUCCESS
}

fn write_message(stdin: &mut ChildStdin, message: &Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
    stdin.flush().expect("flush");
}

fn notify(stdin: &mut ChildStdin, method: &str, params: Value) {
    write_message(
        stdin,
        &json!({"jsonrpc": "2.0", "method": method, "params": params}),
    );
}

/// Sends a request and reads messages until its response, skipping notifications.
fn request(
    stdin: &mut ChildStdin,
    stdout: &mut BufReader<ChildStdout>,
    id: u64,
    method: &str,
    params: Value,
) -> Value {
    write_message(
        stdin,
        &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
    );
    loop {
        let message = read_message(stdout);
        if message["id"] == json!(id) && message.get("method").is_none() {
            return message["result"].clone();
        }
    }
}

fn read_message(stdout: &mut BufReader<ChildStdout>) -> Value {
    let mut length = None;
    loop {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length.expect("Content-Length header")];
    stdout.read_exact(&mut body).expect("read body");
    serde_json::from_slice(&body).expect("JSON body")
}
