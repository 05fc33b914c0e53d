//! `compel lsp`: the language server, on tower-lsp over stdio.
//!
//! A thin layer: it keeps the editor's documents, runs the same analysis
//! as `compel check` (through [`workspace`]), asks [`crate::ide`] the
//! questions, and converts between byte offsets and the protocol's
//! positions ([`convert`], the only code that knows UTF-16).
//!
//! How it stays responsive and correct:
//!
//! - **Edits** are applied synchronously in the `didChange` handler, in the
//!   order they arrive, ranges resolved against the text as it is at that
//!   edit (UTF-16 by default, UTF-8 when the client offers it; positions
//!   past a line's end or the text's end are clamped, never a panic).
//! - **Analysis** runs on one background task: a change wakes it; it starts
//!   at once when the last analysis was fast, and waits a little after a
//!   slow one so a burst of edits costs one analysis (the adaptive
//!   debounce of [`analysis_loop`]; `debounceMs` fixes the wait); then it
//!   analyses the whole workspace on a blocking thread with a parse cache, stores the result as the latest snapshot and
//!   publishes diagnostics with the document versions it analysed — for
//!   every file whose diagnostics changed, so files importing the edited
//!   one are re-diagnosed too.
//! - **Requests** never wait for an analysis unless they must: hover,
//!   completion, definition and signature help answer from the latest
//!   snapshot, mapping offsets between its text and the current text
//!   ([`crate::ide::OffsetMap`]); if the cursor is in a declaration that is
//!   broken right now, the snapshot in which that file last parsed answers.
//!   Rename, references, symbols, semantic tokens and code actions wait
//!   (briefly, cancellably) for the analysis of the current text, and so
//!   does any request about a file no analysis has seen yet (completion
//!   right after `didOpen`).
//! - **Newer features** live in [`handlers`], one file each: highlights,
//!   links, selection ranges, range and `}` formatting, inlay hints, code
//!   lenses with their commands, and live values (off unless the user turns
//!   them on; fetched off the request path).
//! - **Robustness**: every handler runs its work under `catch_unwind`; a
//!   panic becomes an error in the client's log and an internal-error
//!   response, and the server keeps going. Cancellation is tower-lsp's: a
//!   cancelled request's future is dropped at its next await.
//!
//! tower-lsp 0.20 (not its `tower-lsp-server` fork) is enough: it speaks
//! LSP 3.17 through lsp-types 0.94 (position encodings included) and
//! processes notifications in order as long as handlers apply them
//! without awaiting first, which ours do.
//!
//! Where things live: [`server`] holds the server and its workspace (the
//! lock, the copies requests read, the panic guard); [`analysis_loop`]
//! analyses and publishes; [`handlers`] answers the protocol, one feature a
//! file; [`workspace`] builds one analysis; [`convert`] speaks positions.

mod analysis_loop;
mod convert;
mod handlers;
mod server;
mod workspace;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types as lsp;
use tower_lsp::{LanguageServer, LspService, Server as Transport};

pub use handlers::lifecycle::TRIGGER_CHARACTERS;
use server::Server;

/// How a run of the language server ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The client asked to shut down, then disconnected, as the protocol
    /// says.
    ShutDown,
    /// The client disconnected without asking to shut down.
    Disconnected,
    /// The server could not start (the reason).
    NotStarted(String),
}

/// Runs the language server on stdin and stdout until the client
/// disconnects.
pub fn run() -> Ended {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Ended::NotStarted(e.to_string()),
    };
    let shutdown = Arc::new(AtomicBool::new(false));
    let flag = shutdown.clone();
    runtime.block_on(async move {
        let (service, socket) = LspService::new(move |client| Backend { server: Arc::new(Server::new(client, flag)) });
        Transport::new(tokio::io::stdin(), tokio::io::stdout(), socket).concurrency_level(16).serve(service).await;
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
    if shutdown.load(Ordering::SeqCst) {
        Ended::ShutDown
    } else {
        Ended::Disconnected
    }
}

/// The protocol's entry points; each hands over to its handler.
struct Backend {
    server: Arc<Server>,
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        handlers::lifecycle::initialize(&self.server, params).await
    }

    async fn initialized(&self, params: lsp::InitializedParams) {
        handlers::lifecycle::initialized(&self.server, params).await
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        handlers::lifecycle::did_change_configuration(&self.server, params).await
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        handlers::lifecycle::did_change_workspace_folders(&self.server, params).await
    }

    async fn shutdown(&self) -> Result<()> {
        handlers::lifecycle::shutdown(&self.server).await
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        handlers::documents::did_open(&self.server, params).await
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        handlers::documents::did_change(&self.server, params).await
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        handlers::documents::did_close(&self.server, params).await
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        handlers::documents::did_change_watched_files(&self.server, params).await
    }

    async fn did_save(&self, params: lsp::DidSaveTextDocumentParams) {
        handlers::documents::did_save(&self.server, params).await
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        handlers::hover::hover(&self.server, params).await
    }

    async fn completion(&self, params: lsp::CompletionParams) -> Result<Option<lsp::CompletionResponse>> {
        handlers::completion::completion(&self.server, params).await
    }

    async fn completion_resolve(&self, item: lsp::CompletionItem) -> Result<lsp::CompletionItem> {
        handlers::completion::completion_resolve(&self.server, item).await
    }

    async fn signature_help(&self, params: lsp::SignatureHelpParams) -> Result<Option<lsp::SignatureHelp>> {
        handlers::signature::signature_help(&self.server, params).await
    }

    async fn goto_definition(&self, params: lsp::GotoDefinitionParams) -> Result<Option<lsp::GotoDefinitionResponse>> {
        handlers::navigation::goto_definition(&self.server, params).await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        handlers::navigation::references(&self.server, params).await
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        handlers::rename::prepare_rename(&self.server, params).await
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        handlers::rename::rename(&self.server, params).await
    }

    async fn document_symbol(&self, params: lsp::DocumentSymbolParams) -> Result<Option<lsp::DocumentSymbolResponse>> {
        handlers::symbols::document_symbol(&self.server, params).await
    }

    async fn symbol(&self, params: lsp::WorkspaceSymbolParams) -> Result<Option<Vec<lsp::SymbolInformation>>> {
        handlers::symbols::symbol(&self.server, params).await
    }

    async fn formatting(&self, params: lsp::DocumentFormattingParams) -> Result<Option<Vec<lsp::TextEdit>>> {
        handlers::formatting::formatting(&self.server, params).await
    }

    async fn folding_range(&self, params: lsp::FoldingRangeParams) -> Result<Option<Vec<lsp::FoldingRange>>> {
        handlers::folding::folding_range(&self.server, params).await
    }

    async fn semantic_tokens_full(
        &self,
        params: lsp::SemanticTokensParams,
    ) -> Result<Option<lsp::SemanticTokensResult>> {
        handlers::tokens::semantic_tokens_full(&self.server, params).await
    }

    async fn code_action(&self, params: lsp::CodeActionParams) -> Result<Option<lsp::CodeActionResponse>> {
        handlers::actions::code_action(&self.server, params).await
    }

    async fn document_highlight(
        &self,
        params: lsp::DocumentHighlightParams,
    ) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
        handlers::editing::document_highlight(&self.server, params).await
    }

    async fn document_link(&self, params: lsp::DocumentLinkParams) -> Result<Option<Vec<lsp::DocumentLink>>> {
        handlers::editing::document_link(&self.server, params).await
    }

    async fn selection_range(&self, params: lsp::SelectionRangeParams) -> Result<Option<Vec<lsp::SelectionRange>>> {
        handlers::editing::selection_range(&self.server, params).await
    }

    async fn range_formatting(&self, params: lsp::DocumentRangeFormattingParams) -> Result<Option<Vec<lsp::TextEdit>>> {
        handlers::editing::range_formatting(&self.server, params).await
    }

    async fn on_type_formatting(
        &self,
        params: lsp::DocumentOnTypeFormattingParams,
    ) -> Result<Option<Vec<lsp::TextEdit>>> {
        handlers::editing::on_type_formatting(&self.server, params).await
    }

    async fn inlay_hint(&self, params: lsp::InlayHintParams) -> Result<Option<Vec<lsp::InlayHint>>> {
        handlers::inlay::inlay_hint(&self.server, params).await
    }

    async fn code_lens(&self, params: lsp::CodeLensParams) -> Result<Option<Vec<lsp::CodeLens>>> {
        handlers::lens::code_lens(&self.server, params).await
    }

    async fn execute_command(&self, params: lsp::ExecuteCommandParams) -> Result<Option<Value>> {
        handlers::lens::execute_command(&self.server, params).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp::jsonrpc::ErrorCode;

    #[tokio::test]
    async fn a_panicking_handler_becomes_an_internal_error() {
        let (service, _socket) = LspService::new(|client| Backend {
            server: Arc::new(Server::new(client, Arc::new(AtomicBool::new(false)))),
        });
        let server = service.inner().server.clone();
        let r: Result<()> = server.guard("hover", || panic!("boom")).await;
        let err = r.expect_err("the panic is caught");
        assert_eq!(err.code, ErrorCode::InternalError);
        assert!(err.message.contains("internal error in hover: boom"), "{}", err.message);
        // The server's state is still usable afterwards.
        let r: Result<u32> = server.guard("hover", || Ok(server.lock().generation as u32 + 1)).await;
        assert_eq!(r.ok(), Some(1));
    }
}
