//! The wire between the editor and the server, made robust to malformed input.
//!
//! `tower-lsp-server` 0.23 stops reading its input after the first message it cannot decode
//! (its codec reports the error and the framed reader then ends the stream), so one stray
//! byte from a client would leave the editor with a dead server. This module stands between
//! the client and the server: it reads the client's frames itself, passes on every well-formed
//! JSON-RPC message unchanged, and answers the others itself, as JSON-RPC 2.0 prescribes:
//! `-32700 Parse error` for a body that is not JSON (or not UTF-8) and for a header block
//! without a usable `Content-Length`, `-32600 Invalid request` for JSON that is not a
//! JSON-RPC message. The server's own output and these answers are written to the client as
//! whole frames, never interleaved.

use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{LspService, Server};

use crate::Backend;

/// A header block longer than this is garbage.
const MAX_HEADER: usize = 8 << 10;
/// A message longer than this is refused (a 10,000-policy file is about 4 MiB).
const MAX_BODY: usize = 64 << 20;

/// Serves the protocol on `input`/`output` until the client sends `exit` or closes `input`.
pub async fn serve<I, O>(input: I, output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (service, socket) = LspService::new(Backend::new);
    let (server_in, to_server) = tokio::io::duplex(1 << 20);
    let (server_out, from_server) = tokio::io::duplex(1 << 20);
    let (errors_tx, errors_rx) = unbounded_channel();
    let server = Server::new(server_in, server_out, socket).serve(service);
    let reading = pump_input(input, to_server, errors_tx);
    let writing = pump_output(from_server, output, errors_rx);
    // The server ends on `exit` or at the end of its input; the output pump then flushes its
    // last messages. The input pump may wait forever on a client that keeps stdin open after
    // `exit`, so it is not waited for.
    let served = async {
        tokio::join!(server, writing);
    };
    tokio::pin!(served, reading);
    tokio::select! {
        () = &mut served => {}
        () = &mut reading => served.await,
    }
}

/// What [`FrameReader::next`] found.
enum Frame {
    Message(Vec<u8>),
    /// A header block that could not be used; the answer to send.
    Bad,
    Eof,
}

/// Reads `Content-Length` frames; every state lives in the struct, so `next` is cancel-safe.
struct FrameReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes of a refused (too long) body still to drop.
    skip: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    fn new(inner: R) -> FrameReader<R> {
        FrameReader {
            inner,
            buf: Vec::new(),
            skip: 0,
        }
    }

    async fn next(&mut self) -> Frame {
        loop {
            if let Some(frame) = self.parse() {
                return frame;
            }
            match self.inner.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return Frame::Eof,
                Ok(_) => {}
            }
        }
    }

    fn parse(&mut self) -> Option<Frame> {
        if self.skip > 0 {
            let n = self.skip.min(self.buf.len());
            self.buf.drain(..n);
            self.skip -= n;
            if self.skip > 0 {
                return None;
            }
        }
        let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            if self.buf.len() > MAX_HEADER {
                self.buf.clear();
                return Some(Frame::Bad);
            }
            return None;
        };
        let length = std::str::from_utf8(&self.buf[..end]).ok().and_then(|head| {
            head.split("\r\n").find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
        });
        let Some(length) = length else {
            self.buf.drain(..end + 4);
            return Some(Frame::Bad);
        };
        if length > MAX_BODY {
            self.buf.drain(..end + 4);
            self.skip = length;
            return Some(Frame::Bad);
        }
        if self.buf.len() < end + 4 + length {
            return None;
        }
        let body = self.buf[end + 4..end + 4 + length].to_vec();
        self.buf.drain(..end + 4 + length);
        Some(Frame::Message(body))
    }
}

/// The JSON-RPC error response for a message that cannot be passed on, or `None` when it can.
pub fn rejection(body: &[u8]) -> Option<Value> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Some(error(Value::Null, -32700, "Parse error"));
    };
    let request =
        value.get("method").is_some() && serde_json::from_value::<Request>(value.clone()).is_ok();
    let response =
        value.get("method").is_none() && serde_json::from_value::<Response>(value.clone()).is_ok();
    if request || response {
        return None;
    }
    let id = match value.get("id") {
        Some(Value::Number(n)) if n.is_i64() => Value::Number(n.clone()),
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::Null,
    };
    Some(error(id, -32600, "Invalid request"))
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

async fn pump_input<I: AsyncRead + Unpin>(
    input: I,
    mut to_server: DuplexStream,
    errors: UnboundedSender<Vec<u8>>,
) {
    let mut frames = FrameReader::new(input);
    loop {
        let answer = match frames.next().await {
            Frame::Eof => break,
            Frame::Bad => Some(error(Value::Null, -32700, "Parse error")),
            Frame::Message(body) => match rejection(&body) {
                None => {
                    if to_server.write_all(&frame(&body)).await.is_err() {
                        break;
                    }
                    None
                }
                Some(answer) => Some(answer),
            },
        };
        if let Some(answer) = answer
            && errors.send(answer.to_string().into_bytes()).is_err()
        {
            break;
        }
    }
}

async fn pump_output<O: AsyncWrite + Unpin>(
    from_server: DuplexStream,
    mut output: O,
    mut errors: UnboundedReceiver<Vec<u8>>,
) {
    let mut frames = FrameReader::new(from_server);
    loop {
        let body = tokio::select! {
            f = frames.next() => match f {
                Frame::Message(body) => body,
                Frame::Bad => continue,
                Frame::Eof => break,
            },
            Some(body) = errors.recv() => body,
        };
        if output.write_all(&frame(&body)).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
    while let Ok(body) = errors.try_recv() {
        if output.write_all(&frame(&body)).await.is_err() {
            return;
        }
    }
    let _ = output.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections() {
        let code = |b: &[u8]| rejection(b).map(|v| (v["error"]["code"].clone(), v["id"].clone()));
        assert_eq!(code(b"{"), Some((json!(-32700), Value::Null)));
        assert_eq!(code(&[0xff]), Some((json!(-32700), Value::Null)));
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":7,"foo":1}"#),
            Some((json!(-32600), json!(7)))
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#),
            Some((json!(-32600), Value::Null))
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#),
            None
        );
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"result":null}"#), None);
    }
}
