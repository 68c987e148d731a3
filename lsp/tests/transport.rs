//! Malformed input on the wire: bytes that are not JSON, JSON that is not JSON-RPC, broken
//! headers. Each gets the JSON-RPC error it deserves (or is skipped), and the server keeps
//! serving the messages that follow. These go through [`bona_lsp::serve`], the function
//! `bona lsp` runs on stdin and stdout, over in-memory pipes.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Reads one framed message.
async fn read_message(r: &mut DuplexStream, buf: &mut Vec<u8>) -> Value {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|n| n.trim().parse().ok())
                .expect("Content-Length");
            if buf.len() >= end + 4 + len {
                let body: Vec<u8> = buf.drain(..end + 4 + len).skip(end + 4).collect();
                return serde_json::from_slice(&body).expect("JSON body");
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), r.read(&mut chunk))
            .await
            .expect("the server answers within 10 s")
            .expect("read");
        assert!(n > 0, "the server closed its output");
        buf.extend_from_slice(&chunk[..n]);
    }
}

struct Wire {
    to_server: DuplexStream,
    from_server: DuplexStream,
    buf: Vec<u8>,
}

impl Wire {
    fn start() -> Wire {
        let (to_server, server_in) = tokio::io::duplex(1 << 16);
        let (server_out, from_server) = tokio::io::duplex(1 << 16);
        tokio::spawn(bona_lsp::serve(server_in, server_out));
        Wire {
            to_server,
            from_server,
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.to_server.write_all(bytes).await.expect("write");
    }

    async fn recv(&mut self) -> Value {
        read_message(&mut self.from_server, &mut self.buf).await
    }

    /// Sends a request and returns its response, skipping notifications.
    async fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&frame(&body.to_string())).await;
        loop {
            let m = self.recv().await;
            if m.get("id") == Some(&json!(id)) {
                return m;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_get_errors_and_the_server_keeps_serving() {
    let mut w = Wire::start();
    // Not JSON.
    w.send(&frame("{this is not json")).await;
    assert_eq!(
        w.recv().await,
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}})
    );
    // JSON, but not a JSON-RPC message.
    w.send(&frame(r#"{"jsonrpc": "2.0", "hello": "world"}"#))
        .await;
    assert_eq!(w.recv().await["error"]["code"], json!(-32600));
    w.send(&frame("[1, 2, 3]")).await;
    assert_eq!(w.recv().await["error"]["code"], json!(-32600));
    // A header without a length, then one with a bad length: skipped with a parse error.
    w.send(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n")
        .await;
    assert_eq!(w.recv().await["error"]["code"], json!(-32700));
    w.send(b"Content-Length: twelve\r\n\r\n").await;
    assert_eq!(w.recv().await["error"]["code"], json!(-32700));
    // Invalid UTF-8.
    w.send(&[b"Content-Length: 2\r\n\r\n".as_slice(), &[0xff, 0xfe]].concat())
        .await;
    assert_eq!(w.recv().await["error"]["code"], json!(-32700));
    // Still serving.
    let init = w
        .request(1, "initialize", json!({"capabilities": {}}))
        .await;
    assert_eq!(init["result"]["serverInfo"]["name"], json!("bona"));
    let unknown = w.request(2, "bona/nothing", json!({})).await;
    assert_eq!(unknown["error"]["code"], json!(-32601));
    let bad_params = w
        .request(3, "textDocument/hover", json!({"position": "here"}))
        .await;
    assert_eq!(bad_params["error"]["code"], json!(-32602));
    // A request whose JSON is broken after a good one in the same write.
    let mut both = frame("{\"jsonrpc\": \"2.0\", \"id\": 4, \"method\": \"shutdown\"");
    both.extend(frame(
        &json!({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}).to_string(),
    ));
    w.send(&both).await;
    assert_eq!(w.recv().await["error"]["code"], json!(-32700));
    assert_eq!(
        w.recv().await,
        json!({"jsonrpc": "2.0", "id": 5, "result": null})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_ends_the_server() {
    let (mut to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, _from_server) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(bona_lsp::serve(server_in, server_out));
    to_server
        .write_all(&frame(r#"{"jsonrpc": "2.0", "method": "exit"}"#))
        .await
        .expect("write");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops on exit")
        .expect("no panic");
}
