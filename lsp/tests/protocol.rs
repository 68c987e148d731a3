//! Protocol tests, one per folder of `tests/cases/`: the server runs in-process behind
//! `LspService`, and each case's `session.json` lists the messages to send and, for each, the
//! exact response and the exact notifications the server sends before answering.
//!
//! A case folder holds the workspace (every file but `session.json`, copied to a fresh
//! temporary directory that is the workspace root) and `session.json`:
//!
//! ```json
//! { "steps": [
//!   { "send": { "id": 1, "method": "initialize", "params": { "rootUri": "${root}", "capabilities": {} } },
//!     "response": "$any" },
//!   { "send": { "method": "textDocument/didOpen", "params": { "textDocument": {
//!       "uri": "${root}/a.trust", "languageId": "trust", "version": 1, "text": "${file:a.trust}" } } },
//!     "notifications": [ { "jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": … } ] }
//! ] }
//! ```
//!
//! Placeholders in strings: `${root}` (the root's URI), `${rootPath}` (its path), `${file:REL}`
//! (the text of a case file). `"response"` is the whole JSON-RPC response (absent or `null`
//! for a notification; `"$any"` skips the check, for `initialize` outside the case that checks
//! capabilities); `"notifications"` defaults to none. Requests the server sends the client
//! (`client/registerCapability`) are listed with the notifications and answered with `null`. Run with `BONA_BLESS=1` to rewrite the
//! expectations from what the server answers (then review the diff).

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};
use tower::{Service, ServiceExt};
use tower_lsp_server::LspService;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::ls_types::Uri;

fn main() {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    let trials = cases
        .into_iter()
        .map(|case| {
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(name, move || run_case(&case))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// Placeholder values of one run.
struct Vars {
    root_uri: String,
    root_path: String,
    case: PathBuf,
}

impl Vars {
    fn expand(&self, v: &Value) -> Result<Value, Failed> {
        Ok(match v {
            Value::String(s) => Value::String(self.expand_str(s)?),
            Value::Array(a) => {
                Value::Array(a.iter().map(|v| self.expand(v)).collect::<Result<_, _>>()?)
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| Ok((self.expand_str(k)?, self.expand(v)?)))
                    .collect::<Result<_, Failed>>()?,
            ),
            other => other.clone(),
        })
    }

    fn expand_str(&self, s: &str) -> Result<String, Failed> {
        let mut out = s
            .replace("${root}", &self.root_uri)
            .replace("${rootPath}", &self.root_path);
        while let Some(start) = out.find("${file:") {
            let end = out[start..].find('}').ok_or("unclosed ${file:…}")? + start;
            let rel = &out[start + 7..end];
            let text =
                std::fs::read_to_string(self.case.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
            out.replace_range(start..=end, &text);
        }
        Ok(out)
    }

    fn abstract_str(&self, s: &str) -> String {
        s.replace(&self.root_uri, "${root}")
            .replace(&self.root_path, "${rootPath}")
    }

    /// The inverse of [`Vars::expand`] for the root (in keys too), used when blessing.
    fn abstract_value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.abstract_str(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.abstract_value(v)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (self.abstract_str(k), self.abstract_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)?.flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&path, &target)?;
        } else if entry.file_name() != "session.json" {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

fn run_case(case: &Path) -> Result<(), Failed> {
    let session_path = case.join("session.json");
    let text = std::fs::read_to_string(&session_path).map_err(|e| format!("session.json: {e}"))?;
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| format!("session.json: {e}"))?;
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().canonicalize()?;
    copy_tree(case, &root)?;
    let root_uri = Uri::from_file_path(&root).ok_or("root URI")?;
    let vars = Vars {
        root_uri: root_uri.as_str().trim_end_matches('/').to_owned(),
        root_path: root.display().to_string(),
        case: case.to_owned(),
    };
    let bless = std::env::var_os("BONA_BLESS").is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let steps = doc
        .get_mut("steps")
        .and_then(Value::as_array_mut)
        .ok_or("no `steps`")?;
    let failures = runtime.block_on(async {
        let (mut service, socket) = LspService::new(bona_lsp::Backend::new);
        let (mut socket, mut answers) = socket.split();
        let mut failures = Vec::new();
        for (i, step) in steps.iter_mut().enumerate() {
            let mut send = vars.expand(step.get("send").ok_or("step without `send`")?)?;
            if let Some(o) = send.as_object_mut() {
                o.entry("jsonrpc").or_insert(json!("2.0"));
            }
            let request: Request = serde_json::from_value(send.clone())
                .map_err(|e| format!("step {i}: not a JSON-RPC message: {e}"))?;
            let (response, notes) = exchange(&mut service, &mut socket, &mut answers, request)
                .await
                .map_err(|e| format!("step {i} ({}): {e}", send["method"]))?;
            let response = vars.abstract_value(&response);
            let notes = vars.abstract_value(&Value::Array(notes));
            let want_response = step.get("response").cloned().unwrap_or(Value::Null);
            let want_notes = step.get("notifications").cloned().unwrap_or(json!([]));
            if bless {
                let o = step.as_object_mut().ok_or("step is not an object")?;
                if want_response != json!("$any") {
                    if response.is_null() {
                        o.remove("response");
                    } else {
                        o.insert("response".into(), response);
                    }
                }
                if notes == json!([]) {
                    o.remove("notifications");
                } else {
                    o.insert("notifications".into(), notes);
                }
                continue;
            }
            if want_response != json!("$any") && want_response != response {
                failures.push(format!(
                    "step {i} ({}): response differs\n  want: {want_response}\n  got:  {response}",
                    send["method"]
                ));
            }
            if want_notes != notes {
                failures.push(format!(
                    "step {i} ({}): notifications differ\n  want: {want_notes}\n  got:  {notes}",
                    send["method"]
                ));
            }
        }
        Ok::<_, Failed>(failures)
    })?;
    if bless {
        let mut text = serde_json::to_string_pretty(&doc)?;
        text.push('\n');
        std::fs::write(&session_path, text)?;
        return Ok(());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

/// Sends one message; returns the response (`null` for a notification) and every message the
/// server sent the client before answering.
async fn exchange(
    service: &mut LspService<bona_lsp::Backend>,
    socket: &mut (impl Stream<Item = Request> + Unpin),
    answers: &mut (impl Sink<Response, Error = impl std::fmt::Display> + Unpin),
    request: Request,
) -> Result<(Value, Vec<Value>), String> {
    let ready = service.ready().await.map_err(|e| e.to_string())?;
    let call = ready.call(request);
    tokio::pin!(call);
    let mut notes = Vec::new();
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    let response = loop {
        tokio::select! {
            biased;
            r = &mut call => break r.map_err(|e| e.to_string())?,
            Some(n) = socket.next() => {
                if let Some(id) = n.id() {
                    answers
                        .send(Response::from_ok(id.clone(), Value::Null))
                        .await
                        .map_err(|e| e.to_string())?;
                }
                notes.push(serde_json::to_value(n).map_err(|e| e.to_string())?);
            }
            () = &mut deadline => return Err("no answer within 30 s".into()),
        }
    };
    while let Some(Some(n)) = socket.next().now_or_never() {
        notes.push(serde_json::to_value(n).map_err(|e| e.to_string())?);
    }
    let response = match response {
        Some(r) => serde_json::to_value(r).map_err(|e| e.to_string())?,
        None => Value::Null,
    };
    Ok((response, notes))
}
