//! The `LanguageServer` implementation: protocol plumbing only. Each request takes a
//! [`Snapshot`] and hands it to its feature module on a blocking thread; each notification that
//! edits applies the edit synchronously (so edits apply in the order the client sent them, even
//! though the transport runs handlers concurrently) and then publishes diagnostics.
//!
//! Stale work is cancelled, not awaited: see [`crate::session`]. A request whose snapshot is
//! cancelled by an edit answers `ContentModified` (-32801), as LSP 3.17 prescribes.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::session::{Session, Snapshot, key_of};
use crate::{
    code_actions, code_lens, completion, diagnostics, formatting, hover, navigation, rename,
    semantic_tokens, symbols,
};

/// The language server.
pub struct Backend {
    client: Client,
    session: Arc<Mutex<Session>>,
    /// Serialises diagnostics runs, so that publications never interleave out of order.
    publishing: tokio::sync::Mutex<()>,
    /// The semantic tokens last sent for each document, for delta requests.
    sent_tokens: Mutex<semantic_tokens::Sent>,
}

impl Backend {
    /// A server that talks to `client`.
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            session: Arc::default(),
            publishing: tokio::sync::Mutex::new(()),
            sent_tokens: Mutex::default(),
        }
    }

    fn sent_tokens(&self) -> MutexGuard<'_, semantic_tokens::Sent> {
        self.sent_tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        // A panic while the lock was held leaves the session as the last completed write
        // left it; carrying on is better than refusing every later message.
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on a snapshot, on a blocking thread, catching cancellation.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Snapshot) -> Result<T> + Send + 'static,
    {
        let snap = self.lock().snapshot();
        let task = tokio::task::spawn_blocking(move || {
            let result = salsa::Cancelled::catch(AssertUnwindSafe(|| f(&snap)));
            drop(snap);
            result
        });
        match task.await {
            Ok(Ok(result)) => result,
            Ok(Err(_cancelled)) => Err(Error {
                code: ErrorCode::ContentModified,
                message: "the document changed while the request was computed".into(),
                data: None,
            }),
            Err(_) => Err(Error::internal_error()),
        }
    }

    /// Computes and publishes the diagnostics of every file whose diagnostics changed.
    async fn publish(&self) {
        let _turn = self.publishing.lock().await;
        let removed = std::mem::take(&mut self.lock().removed);
        for (_, uri) in removed {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
        // A run cancelled by something other than a newer edit (which publishes itself) is
        // retried, at most twice.
        for _ in 0..3 {
            let (snap, generation, previous, dirty, force) = {
                let s = self.lock();
                (
                    s.snapshot(),
                    s.generation,
                    s.published.clone(),
                    s.dirty.clone(),
                    s.force.clone(),
                )
            };
            let task = tokio::task::spawn_blocking(move || {
                let result = salsa::Cancelled::catch(AssertUnwindSafe(|| {
                    diagnostics::run(&snap, &previous, &dirty, &force)
                }));
                drop(snap);
                result
            });
            let run = match task.await {
                Ok(Ok(run)) => run,
                Ok(Err(_cancelled)) => {
                    if self.lock().generation != generation {
                        return;
                    }
                    continue;
                }
                Err(_) => return,
            };
            let publications = {
                let mut s = self.lock();
                if s.generation != generation {
                    // A newer edit happened: its own run publishes.
                    return;
                }
                s.published.extend(run.updated);
                s.dirty.clear();
                s.force.clear();
                run.publications
            };
            for p in publications {
                self.client
                    .publish_diagnostics(p.uri, p.diagnostics, p.version)
                    .await;
            }
            if self.lock().refresh_lenses {
                // A client that fails the request keeps its old lenses until it asks again.
                let _ = self.client.code_lens_refresh().await;
            }
            return;
        }
    }
}

/// The `lint` setting in initialization options or settings: `{"lint": true}`, or
/// `{"bona": {"lint": true}}` as VS Code sends its `bona.lint`.
fn lint_setting(options: &serde_json::Value) -> Option<bool> {
    options
        .get("lint")
        .or_else(|| options.get("bona").and_then(|b| b.get("lint")))
        .and_then(serde_json::Value::as_bool)
}

/// The workspace roots named by `initialize`.
fn roots(params: &InitializeParams) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .map(|f| key_of(&f.uri))
        .collect();
    if !folders.is_empty() {
        return folders;
    }
    #[allow(deprecated)]
    let root = params
        .root_uri
        .as_ref()
        .map(key_of)
        .or_else(|| params.root_path.as_ref().map(PathBuf::from));
    root.into_iter().collect()
}

/// What the server can do.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into(), "[".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_range_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic_tokens::legend(),
                full: Some(SemanticTokensFullOptions::Delta { delta: Some(true) }),
                range: Some(true),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![code_lens::COMMAND.to_owned()],
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        ..ServerCapabilities::default()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let roots = roots(&params);
        let document_changes = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.document_changes)
            .unwrap_or(false);
        let watch_files = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        let refresh_lenses = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        let lint = params
            .initialization_options
            .as_ref()
            .and_then(lint_setting)
            .unwrap_or(false);
        let session = Arc::clone(&self.session);
        let scan = tokio::task::spawn_blocking(move || {
            let mut s = session.lock().unwrap_or_else(|e| e.into_inner());
            s.lint = lint;
            s.document_changes = document_changes;
            s.watch_files = watch_files;
            s.refresh_lenses = refresh_lenses;
            s.scan(&roots)
        });
        let _ = scan.await;
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "bona".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.publish().await;
        // `.trust` files created, changed or deleted outside the editor change the policy set.
        if self.lock().watch_files {
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![FileSystemWatcher {
                    glob_pattern: GlobPattern::String("**/*.trust".into()),
                    kind: None,
                }],
            };
            let registration = Registration {
                id: "bona-watch-trust-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            // A client that refuses is still served; it just does not tell us about the disk.
            let _ = self.client.register_capability(vec![registration]).await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        {
            let doc = params.text_document;
            let mut s = self.lock();
            let file = s.open(doc.uri, doc.version, doc.text);
            s.force.insert(file);
        }
        self.publish().await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let changed = self.lock().change(
            &params.text_document.uri,
            params.text_document.version,
            &params.content_changes,
        );
        if changed.is_some() {
            self.publish().await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.sent_tokens().forget(&params.text_document.uri);
        let closed = self.lock().close(&params.text_document.uri);
        if closed.is_some() {
            self.publish().await;
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let Some(lint) = lint_setting(&params.settings) else {
            return;
        };
        if self.lock().set_lint(lint) {
            self.publish().await;
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let before = self.lock().generation;
        {
            let mut s = self.lock();
            for change in &params.changes {
                s.disk_changed(&change.uri, change.typ == FileChangeType::DELETED);
            }
        }
        if self.lock().generation != before {
            self.publish().await;
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.read(move |snap| Ok(hover::hover(snap, &params))).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.read(move |snap| Ok(completion::completion(snap, &params)))
            .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.read(move |snap| Ok(navigation::definition(snap, &params)))
            .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.read(move |snap| Ok(navigation::references(snap, &params)))
            .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.read(move |snap| rename::prepare(snap, &params)).await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let document_changes = self.lock().document_changes;
        self.read(move |snap| rename::rename(snap, &params, document_changes))
            .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.read(move |snap| Ok(symbols::document(snap, &params)))
            .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        self.read(move |snap| Ok(symbols::workspace(snap, &params)))
            .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.read(move |snap| Ok(formatting::document(snap, &params.text_document.uri)))
            .await
    }

    async fn range_formatting(
        &self,
        params: DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        self.read(move |snap| Ok(formatting::range(snap, &params)))
            .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let uri = params.text_document.uri;
        let key = uri.clone();
        let data = self
            .read(move |snap| Ok(semantic_tokens::tokens(snap, &key, None)))
            .await?;
        Ok(data.map(|data| SemanticTokensResult::Tokens(self.sent_tokens().record(&uri, data))))
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        let uri = params.text_document.uri;
        let key = uri.clone();
        let data = self
            .read(move |snap| Ok(semantic_tokens::tokens(snap, &key, None)))
            .await?;
        Ok(data.map(|data| {
            self.sent_tokens()
                .delta(&uri, &params.previous_result_id, data)
        }))
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        let data = self
            .read(move |snap| {
                Ok(semantic_tokens::tokens(
                    snap,
                    &params.text_document.uri,
                    Some(params.range),
                ))
            })
            .await?;
        Ok(data.map(|data| {
            SemanticTokensRangeResult::Tokens(SemanticTokens {
                result_id: None,
                data,
            })
        }))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.read(move |snap| Ok(code_actions::actions(snap, &params)))
            .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.read(move |snap| Ok(code_lens::lenses(snap, &params.text_document.uri)))
            .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        if params.command != code_lens::COMMAND {
            return Err(Error::invalid_params(format!(
                "unknown command `{}`",
                params.command
            )));
        }
        let arguments = params.arguments;
        let Some((typ, message)) = self
            .read(move |snap| Ok(code_lens::run(snap, &arguments)))
            .await?
        else {
            return Err(Error::invalid_params(
                "bona.test takes a document URI and a test name",
            ));
        };
        self.client.show_message(typ, message).await;
        Ok(None)
    }
}
