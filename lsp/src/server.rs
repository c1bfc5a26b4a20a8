//! The `tower-lsp-server` front end: protocol handlers over a [`World`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::features;
use crate::ruletests::{self, RunRequest};
use crate::text::apply_change;
use crate::workspace::Settings;
use crate::world::{uri_path, Mode, Snapshot, World};

/// The language server.
pub struct Backend {
    client: Client,
    world: Mutex<World>,
    published: Mutex<HashMap<String, Vec<Diagnostic>>>,
    /// The client can be asked to request code lenses again (`workspace/codeLens/refresh`).
    lens_refresh: AtomicBool,
}

/// Serves the protocol on stdin/stdout until the client exits.
pub async fn run_stdio() {
    let (stdin, stdout) = (tokio::io::stdin(), tokio::io::stdout());
    let (service, socket) = LspService::new(|client| Backend {
        client,
        world: Mutex::new(World::default()),
        published: Mutex::new(HashMap::new()),
        lens_refresh: AtomicBool::new(false),
    });
    Server::new(stdin, stdout, socket).serve(service).await;
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Backend {
    fn snapshot(&self) -> Arc<Snapshot> {
        lock(&self.world).snapshot.clone()
    }

    /// Runs `f` on the current snapshot and the file of `uri`, if it is analyzed.
    fn with_file<R>(&self, uri: &Uri, f: impl FnOnce(&Snapshot, usize) -> R) -> Option<R> {
        let snap = self.snapshot();
        let file = snap.file_of(uri.as_str())?;
        Some(f(&snap, file))
    }

    /// Re-analyzes (fast pass), publishes the diagnostics that changed, then runs the exact
    /// per-file pass off the main loop and publishes again what it corrects.
    async fn reanalyze_and_publish(&self, edited: Option<&Uri>) {
        let (snap, job) = lock(&self.world).reanalyze(Mode::Fast);
        self.publish(&snap, edited).await;
        let Ok((generation, exact)) = tokio::task::spawn_blocking(move || job.run()).await else {
            return;
        };
        let exact = Arc::new(exact);
        if lock(&self.world).store_exact(generation, exact.clone()) {
            self.publish(&exact, None).await;
        }
    }

    /// Rescans the rule-test files and asks the client to refresh its code lenses when what
    /// they test changed.
    async fn refresh_tests(&self) {
        let changed = lock(&self.world).refresh_tests();
        if changed && self.lens_refresh.load(Ordering::Relaxed) {
            let _ = self.client.code_lens_refresh().await;
        }
    }

    /// Builds the run of [`ruletests::RUN_COMMAND`] from its argument
    /// `{"uri": ..., "rule": ...}`.
    fn run_request(&self, args: &[serde_json::Value]) -> std::result::Result<RunRequest, String> {
        let arg = args
            .first()
            .ok_or("missing argument `{\"uri\": ..., \"rule\": ...}`")?;
        let uri = arg
            .get("uri")
            .and_then(serde_json::Value::as_str)
            .ok_or("missing `uri` (the rules file)")?;
        let rule = match arg.get("rule") {
            None | Some(serde_json::Value::Null) => None,
            Some(r) => Some(r.as_str().ok_or("`rule` must be a string")?.to_owned()),
        };
        let path = uri_path(uri).ok_or_else(|| format!("`{uri}` is not a file URI"))?;
        let file = ruletests::canonical(&path);
        let mut w = lock(&self.world);
        // Test files created or edited outside the editor since the last rescan count too.
        w.refresh_tests();
        let in_model = w.order.iter().any(|u| u == uri);
        let test_files = w
            .tests
            .tests_of(&file, in_model, rule.as_deref())
            .into_iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(tf, _)| tf.path.clone())
            .collect();
        let model = w
            .files()
            .into_iter()
            .filter_map(|(u, name, text)| Some((ruletests::canonical(&uri_path(&u)?), name, text)))
            .collect();
        Ok(RunRequest {
            rule,
            file,
            in_model,
            test_files,
            open: w.open_texts(),
            model,
            search: w.search_path(),
            roots: w.roots.clone(),
            options: w.options.clone(),
        })
    }

    /// Publishes the diagnostics of `snap` that differ from the last published ones (and
    /// always those of `edited`).
    async fn publish(&self, snap: &Snapshot, edited: Option<&Uri>) {
        let versions: HashMap<String, i32> = lock(&self.world)
            .docs
            .iter()
            .filter_map(|(u, d)| Some((u.clone(), d.version?)))
            .collect();
        let mut to_send = Vec::new();
        {
            let mut published = lock(&self.published);
            let mut now: HashMap<String, Vec<Diagnostic>> = HashMap::new();
            for (f, uri) in snap.uris.iter().enumerate() {
                now.insert(uri.clone(), features::diagnostics(snap, f));
            }
            for uri in published.keys() {
                if !now.contains_key(uri) {
                    to_send.push((uri.clone(), Vec::new()));
                }
            }
            for (uri, diags) in &now {
                if published.get(uri) != Some(diags) || edited.is_some_and(|e| e.as_str() == uri) {
                    to_send.push((uri.clone(), diags.clone()));
                }
            }
            if let Some(e) = edited.filter(|e| !now.contains_key(e.as_str())) {
                // An open document outside the workspace model: nothing to report.
                to_send.push((e.as_str().to_owned(), Vec::new()));
            }
            *published = now;
        }
        to_send.sort_by(|a, b| a.0.cmp(&b.0));
        for (uri, diags) in to_send {
            if let Ok(u) = uri.parse::<Uri>() {
                let version = versions.get(&uri).copied();
                self.client.publish_diagnostics(u, diags, version).await;
            }
        }
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["(".into(), " ".into(), ",".into()]),
            ..CompletionOptions::default()
        }),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: SemanticTokensLegend {
                    token_types: features::TOKEN_TYPES.to_vec(),
                    token_modifiers: Vec::new(),
                },
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::REFACTOR_EXTRACT,
            ]),
            ..CodeActionOptions::default()
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![ruletests::RUN_COMMAND.to_owned()],
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        ..ServerCapabilities::default()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| uri_path(f.uri.as_str()))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            roots.extend(params.root_uri.as_ref().and_then(|u| uri_path(u.as_str())));
        }
        let settings = params
            .initialization_options
            .as_ref()
            .map(Settings::from_json)
            .unwrap_or_default();
        *lock(&self.world) = World::new(roots, settings);
        let refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        self.lens_refresh.store(refresh, Ordering::Relaxed);
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "falco-rulec-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: capabilities(),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        lock(&self.world).refresh_tests();
        self.reanalyze_and_publish(None).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        let d = p.text_document;
        let test = ruletests::may_be_test_file(&d.text);
        lock(&self.world).open(d.uri.as_str(), d.text, Some(d.version));
        if test {
            self.refresh_tests().await;
        }
        self.reanalyze_and_publish(Some(&d.uri)).await;
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        let test = {
            let mut w = lock(&self.world);
            let uri = p.text_document.uri.as_str().to_owned();
            let Some(doc) = w.docs.get_mut(&uri) else {
                return;
            };
            for c in p.content_changes {
                apply_change(&mut doc.text, c.range, &c.text);
            }
            doc.version = Some(p.text_document.version);
            ruletests::may_be_test_file(&doc.text)
        };
        if test {
            self.refresh_tests().await;
        }
        self.reanalyze_and_publish(Some(&p.text_document.uri)).await;
    }

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        lock(&self.world).close(p.text_document.uri.as_str());
        self.refresh_tests().await;
        self.reanalyze_and_publish(None).await;
    }

    async fn did_change_configuration(&self, p: DidChangeConfigurationParams) {
        {
            let mut w = lock(&self.world);
            w.settings = Settings::from_json(&p.settings);
            w.refresh_order();
        }
        self.refresh_tests().await;
        self.reanalyze_and_publish(None).await;
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        {
            let mut w = lock(&self.world);
            w.docs.retain(|_, d| d.open);
            w.refresh_order();
        }
        self.refresh_tests().await;
        self.reanalyze_and_publish(None).await;
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        // Which `rules:` entries resolve may have changed with a new file on disk.
        self.refresh_tests().await;
    }

    async fn goto_definition(
        &self,
        p: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let tp = p.text_document_position_params;
        Ok(self
            .with_file(&tp.text_document.uri, |s, f| {
                features::definition(s, f, tp.position)
            })
            .filter(|v| !v.is_empty())
            .map(GotoDefinitionResponse::Array))
    }

    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let tp = p.text_document_position;
        Ok(self.with_file(&tp.text_document.uri, |s, f| {
            features::references(s, f, tp.position, p.context.include_declaration)
        }))
    }

    async fn prepare_rename(
        &self,
        p: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        Ok(self
            .with_file(&p.text_document.uri, |s, f| {
                features::prepare_rename(s, f, p.position)
            })
            .flatten()
            .map(PrepareRenameResponse::Range))
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let tp = p.text_document_position;
        match self.with_file(&tp.text_document.uri, |s, f| {
            features::rename(s, f, tp.position, &p.new_name)
        }) {
            None => Ok(None),
            Some(Ok(e)) => Ok(e),
            Some(Err(msg)) => Err(Error::invalid_params(msg)),
        }
    }

    async fn document_symbol(
        &self,
        p: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        Ok(self
            .with_file(&p.text_document.uri, features::document_symbols)
            .map(DocumentSymbolResponse::Nested))
    }

    async fn symbol(&self, p: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        let snap = self.snapshot();
        Ok(Some(WorkspaceSymbolResponse::Nested(
            features::workspace_symbols(&snap, &p.query),
        )))
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        let tp = p.text_document_position_params;
        Ok(self
            .with_file(&tp.text_document.uri, |s, f| {
                features::hover(s, f, tp.position)
            })
            .flatten())
    }

    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        let tp = p.text_document_position;
        Ok(self
            .with_file(&tp.text_document.uri, |s, f| {
                features::completion(s, f, tp.position)
            })
            .map(CompletionResponse::Array))
    }

    async fn semantic_tokens_full(
        &self,
        p: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        Ok(self
            .with_file(&p.text_document.uri, features::semantic_tokens)
            .map(|data| {
                SemanticTokensResult::Tokens(SemanticTokens {
                    result_id: None,
                    data,
                })
            }))
    }

    async fn formatting(&self, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        match self.with_file(&p.text_document.uri, features::formatting) {
            None => Ok(None),
            Some(Ok(edits)) => Ok(Some(edits)),
            Some(Err(msg)) => Err(Error::invalid_params(msg)),
        }
    }

    async fn code_lens(&self, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let w = lock(&self.world);
        let snap = w.snapshot.clone();
        Ok(snap
            .file_of(p.text_document.uri.as_str())
            .map(|f| features::code_lenses(&snap, f, &w.tests)))
    }

    async fn execute_command(&self, p: ExecuteCommandParams) -> Result<Option<serde_json::Value>> {
        if p.command != ruletests::RUN_COMMAND {
            return Err(Error::invalid_params(format!(
                "unknown command `{}`",
                p.command
            )));
        }
        let req = self
            .run_request(&p.arguments)
            .map_err(Error::invalid_params)?;
        let Ok(report) = tokio::task::spawn_blocking(move || req.run()).await else {
            return Err(Error::internal_error());
        };
        let typ = if report.ok() {
            MessageType::INFO
        } else if report.failed + report.errors == 0 {
            MessageType::WARNING
        } else {
            MessageType::ERROR
        };
        self.client.log_message(typ, report.text()).await;
        self.client.show_message(typ, report.message(5)).await;
        Ok(Some(serde_json::to_value(&report).unwrap_or_default()))
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        Ok(self.with_file(&p.text_document.uri, |s, f| {
            features::code_actions(s, f, p.range)
        }))
    }
}
