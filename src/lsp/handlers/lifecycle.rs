//! The lifecycle: `initialize` (the client's capabilities, our own), `initialized`
//! (file watching, the first workspace scan, the user's settings), workspace
//! folders and settings changing, `shutdown`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::analysis_loop::Debounce;
use super::super::convert::{self, Encoding};
use super::super::server::Server;
use super::super::workspace::{self, StdlibOnDisk};

pub(in crate::lsp) async fn initialize(
    server: &Arc<Server>,
    params: lsp::InitializeParams,
) -> Result<lsp::InitializeResult> {
    server
        .guard("initialize", || {
            let caps = &params.capabilities;
            let offers_utf8 = caps
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_ref())
                .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8));
            let encoding = if offers_utf8 { Encoding::Utf8 } else { Encoding::Utf16 };
            let snippets = caps
                .text_document
                .as_ref()
                .and_then(|t| t.completion.as_ref())
                .and_then(|c| c.completion_item.as_ref())
                .and_then(|i| i.snippet_support)
                .unwrap_or(false);
            let lazy_docs = caps
                .text_document
                .as_ref()
                .and_then(|t| t.completion.as_ref())
                .and_then(|c| c.completion_item.as_ref())
                .and_then(|i| i.resolve_support.as_ref())
                .is_some_and(|r| r.properties.iter().any(|p| p == "documentation"));
            let watch_files = caps
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false);
            let mut s = server.lock();
            super::live::initialize(&mut s, &params);
            s.encoding = Some(encoding);
            s.snippets = snippets;
            s.lazy_docs = lazy_docs;
            s.watch_files = watch_files;
            s.debounce =
                options_debounce(params.initialization_options.as_ref()).map_or(Debounce::Adaptive, Debounce::Fixed);
            s.folders = workspace_folders(&params);
            s.materialised = StdlibOnDisk::create();
            drop(s);
            if !server.worker.swap(true, Ordering::SeqCst) {
                tokio::spawn(server.clone().analysis_loop());
            }
            Ok(lsp::InitializeResult {
                capabilities: capabilities(encoding),
                server_info: Some(lsp::ServerInfo {
                    name: "compel".to_string(),
                    version: Some(env!("CARGO_PKG_VERSION").to_string()),
                }),
            })
        })
        .await
}

pub(in crate::lsp) async fn initialized(server: &Arc<Server>, _: lsp::InitializedParams) {
    let (folders, watch) = {
        let s = server.lock();
        (s.folders.clone(), s.watch_files)
    };
    if watch {
        let options = lsp::DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String("**/*.compel".to_string()),
                kind: None,
            }],
        };
        let registration = lsp::Registration {
            id: "compel-watch".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        let client = server.client.clone();
        tokio::spawn(async move {
            let _ = client.register_capability(vec![registration]).await;
        });
    }
    scan(server, folders).await;
    // The client's settings win over the initialization options; either
    // way, values are fetched once here when the user turned them on.
    if !server.pull_settings().await {
        server.refresh_live();
    }
}

pub(in crate::lsp) async fn did_change_configuration(server: &Arc<Server>, params: lsp::DidChangeConfigurationParams) {
    match super::live::LiveSettings::from_settings(params.settings.get("compel")) {
        Some(settings) => server.set_live_settings(settings),
        None => {
            server.pull_settings().await;
        }
    }
}

pub(in crate::lsp) async fn did_change_workspace_folders(
    server: &Arc<Server>,
    params: lsp::DidChangeWorkspaceFoldersParams,
) {
    let folders = {
        let mut s = server.lock();
        for removed in &params.event.removed {
            if let Ok(p) = removed.uri.to_file_path() {
                s.folders.retain(|f| *f != p);
            }
        }
        for added in &params.event.added {
            if let Ok(p) = added.uri.to_file_path() {
                s.folders.push(p);
            }
        }
        s.folders.clone()
    };
    scan(server, folders).await;
}

pub(in crate::lsp) async fn shutdown(server: &Arc<Server>) -> Result<()> {
    server.shutdown.store(true, Ordering::SeqCst);
    Ok(())
}

fn options_debounce(options: Option<&Value>) -> Option<Duration> {
    let ms = options?.get("debounceMs")?.as_u64()?;
    Some(Duration::from_millis(ms.min(5_000)))
}

/// What opens completion by itself. Not the space: prose in a string or a
/// comment is full of spaces, and a list popping up at each word is noise
/// (after `sponsor ` the list opens with the first letter typed, or on
/// request). Each of these answers nothing inside a string or a comment
/// but an import's path (`"` and `/` offer files there).
pub const TRIGGER_CHARACTERS: [&str; 6] = [".", "[", "(", ",", "\"", "/"];

fn capabilities(encoding: Encoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
            save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
            ..lsp::TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(TRIGGER_CHARACTERS.iter().map(|s| s.to_string()).collect()),
            resolve_provider: Some(true),
            ..lsp::CompletionOptions::default()
        }),
        signature_help_provider: Some(lsp::SignatureHelpOptions {
            trigger_characters: Some(vec!["(".to_string(), ",".to_string()]),
            retrigger_characters: Some(vec![",".to_string(), ":".to_string()]),
            ..lsp::SignatureHelpOptions::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        workspace: Some(lsp::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(lsp::CodeActionOptions {
            code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
            ..lsp::CodeActionOptions::default()
        })),
        semantic_tokens_provider: Some(lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
            lsp::SemanticTokensOptions {
                legend: lsp::SemanticTokensLegend {
                    token_types: convert::TOKEN_TYPES.to_vec(),
                    token_modifiers: convert::TOKEN_MODIFIERS.to_vec(),
                },
                full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                range: None,
                work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
            },
        )),
        ..super::capabilities()
    }
}

/// The folders of the workspace, from the initialize request.
#[allow(deprecated)]
fn workspace_folders(params: &lsp::InitializeParams) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        params.workspace_folders.iter().flatten().filter_map(|f| f.uri.to_file_path().ok()).collect();
    if out.is_empty() {
        if let Some(p) = params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()) {
            out.push(p);
        }
    }
    out
}

/// Collects the workspace's files from disk and re-analyses.
pub(in crate::lsp) async fn scan(server: &Server, folders: Vec<PathBuf>) {
    let scanned = tokio::task::spawn_blocking(move || {
        (workspace::scan_folders(&folders), crate::project::Projects::for_paths(&folders).map(|p| p.settings()))
    })
    .await;
    let (scanned, settings) = match scanned {
        Ok((files, settings)) => (Ok(files), settings),
        Err(e) => (Err(e), Ok(crate::analysis::Settings::default())),
    };
    let settings = match settings {
        Ok(s) => s,
        Err(message) => {
            server
                .client
                .log_message(
                    lsp::MessageType::WARNING,
                    format!("{message}; using the default limits and no project policy sets"),
                )
                .await;
            crate::analysis::Settings::default()
        }
    };
    let (files, message) = match scanned {
        Ok(Some(files)) => (files, None),
        Ok(None) => (
            BTreeSet::new(),
            Some(format!(
                "too many files in the workspace (more than {} `.compel` files or {} folders): only open files and their imports are analysed",
                workspace::MAX_WORKSPACE_FILES,
                workspace::MAX_WORKSPACE_DIRS
            )),
        ),
        Err(e) => (BTreeSet::new(), Some(format!("cannot scan the workspace: {e}"))),
    };
    if let Some(message) = message {
        server.client.log_message(lsp::MessageType::WARNING, message).await;
    }
    // The settings and the files together: an analysis sees both or
    // neither (which file is a root decides, among others, which of two
    // duplicates is reported).
    {
        let mut s = server.lock();
        s.settings = Some(settings);
        s.disk = files;
        server.changed(&mut s);
    }
    server.scanned.notify_one();
}
