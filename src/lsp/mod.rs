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
//! - **Analysis** runs on one background task: a change wakes it, it waits
//!   a short quiet period (`debounceMs`, default 10 ms, so a burst of edits
//!   costs one analysis), then analyses the whole workspace on a blocking
//!   thread with a parse cache, stores the result as the latest snapshot and
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

mod convert;
mod handlers;
mod workspace;

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{watch, Notify};
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::{self as lsp, Url};
use tower_lsp::{Client, LanguageServer, LspService, Server};

use convert::Encoding;
use convert::Lines;
use workspace::{Document, Job, Materialised, Snapshot};

use crate::analysis::normalize_path;
use crate::ide::{self, completion::Source, OffsetMap, ParseCache};
use crate::stdlib;
use crate::text::{FileId, FileSpan, LineIndex, Span};

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
        let (service, socket) = LspService::new(move |client| Backend::new(client, flag));
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).concurrency_level(16).serve(service).await;
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
    if shutdown.load(Ordering::SeqCst) {
        Ended::ShutDown
    } else {
        Ended::Disconnected
    }
}

/// The default quiet period before an analysis.
const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(10);

/// How long a request waits for the analysis of the current text.
const FRESH_WAIT: Duration = Duration::from_secs(3);

struct Backend {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    state: Mutex<State>,
    /// Wakes the analysis task.
    wake: Notify,
    /// The generation of the latest installed snapshot.
    analysed: watch::Sender<u64>,
    cache: Mutex<ParseCache>,
    shutdown: Arc<AtomicBool>,
    worker: AtomicBool,
    /// Held while live values are fetched: one fetch at a time.
    live_fetch: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    encoding: Option<Encoding>,
    debounce: Option<Duration>,
    snippets: bool,
    lazy_docs: bool,
    watch_files: bool,
    folders: Vec<PathBuf>,
    disk: BTreeSet<String>,
    /// The parser's limits (the first folder's project) and the policy
    /// sets of every folder's project, from `compel.toml` as `compel check`
    /// reads them.
    settings: Option<crate::analysis::Settings>,
    docs: HashMap<String, Document>,
    generation: u64,
    latest: Option<Arc<Snapshot>>,
    last_good: HashMap<String, Arc<Snapshot>>,
    published: HashMap<String, (Option<i32>, Vec<lsp::Diagnostic>)>,
    materialised: Option<Materialised>,
    /// The user's live-values setting (off unless they turn it on).
    live_settings: handlers::live::LiveSettings,
    /// The latest live values.
    live: Option<Arc<handlers::live::Live>>,
    /// Diagnostics from commands (Evaluate gate, Run test), by command and
    /// target: `(path, diagnostic)`; a file's are dropped when it is edited.
    results: HashMap<String, Vec<(String, lsp::Diagnostic)>>,
    /// Whether the client answers `workspace/configuration`.
    config_pull: bool,
    /// Whether the client refreshes inlay hints and code lenses on request.
    inlay_refresh: bool,
    lens_refresh: bool,
}

impl State {
    /// The analysis path of a URI: a normalised file path, `std/NAME.compel`
    /// for our materialised stdlib, or the URI itself for other schemes.
    fn path_of(&self, uri: &Url) -> String {
        if uri.scheme() == "file" {
            if let Ok(p) = uri.to_file_path() {
                let path = normalize_path(&p.to_string_lossy());
                if let Some(std) = self.materialised.as_ref().and_then(|m| m.std_path_of(&path)) {
                    return std;
                }
                return path;
            }
        }
        uri.to_string()
    }

    fn encoding(&self) -> Encoding {
        self.encoding.unwrap_or(Encoding::Utf16)
    }
}

/// What a request reads: a copy of the state's handles, no lock held.
struct Ctx {
    encoding: Encoding,
    snippets: bool,
    lazy_docs: bool,
    docs: HashMap<String, Document>,
    latest: Option<Arc<Snapshot>>,
    last_good: HashMap<String, Arc<Snapshot>>,
    materialised: Option<Materialised>,
}

/// A snapshot seen from the current text of one file.
struct View {
    snap: Arc<Snapshot>,
    file: FileId,
    /// From the snapshot's text of the file to the current text.
    map: OffsetMap,
}

impl Ctx {
    fn uri_of(&self, path: &str) -> Option<Url> {
        if let Some(doc) = self.docs.get(path) {
            return Some(doc.uri.clone());
        }
        if stdlib::is_std_path(path) {
            return Url::from_file_path(self.materialised.as_ref()?.std_file(path)).ok();
        }
        Url::from_file_path(path).ok().or_else(|| Url::parse(path).ok())
    }

    /// The snapshots that can answer about `path`: the latest, then the
    /// last in which the file parsed.
    fn views(&self, path: &str) -> Vec<View> {
        let current = self.docs.get(path).map(|d| d.text.as_str());
        let mut out: Vec<View> = Vec::new();
        for snap in self.latest.iter().chain(self.last_good.get(path)) {
            if out.iter().any(|v| v.snap.generation == snap.generation) {
                continue;
            }
            if let Some(file) = snap.file(path) {
                let map = workspace::map_to_current(snap, file, current);
                out.push(View { snap: snap.clone(), file, map });
            }
        }
        out
    }

    /// The current text of a file: the open document's, else the latest
    /// snapshot's.
    fn text_of(&self, path: &str) -> Option<(Arc<String>, Arc<LineIndex>)> {
        if let Some(doc) = self.docs.get(path) {
            return Some((doc.text.clone(), doc.lines.clone()));
        }
        let snap = self.latest.as_ref()?;
        let f = snap.analysis.files.get(snap.file(path)?);
        Some((Arc::new(f.text.clone()), Arc::new(f.lines.clone())))
    }

    /// A location of a snapshot's span, in the current text of its file.
    fn location(&self, snap: &Snapshot, at: FileSpan) -> Option<lsp::Location> {
        let file = snap.analysis.files.get(at.file);
        let uri = self.uri_of(&file.path)?;
        let range = match self.docs.get(&file.path) {
            Some(doc) if *doc.text != file.text => {
                let span = OffsetMap::new(&file.text, &doc.text).span_to_new(at.span)?;
                Lines { text: &doc.text, index: &doc.lines, encoding: self.encoding }.range(span)
            }
            _ => Lines { text: &file.text, index: &file.lines, encoding: self.encoding }.range(at.span),
        };
        Some(lsp::Location { uri, range })
    }
}

fn internal(message: String) -> Error {
    Error { code: ErrorCode::InternalError, message: message.into(), data: None }
}

/// An error the user should see ("`x` is a keyword").
fn refused(message: String) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.into(), data: None }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (state is
        // replaced wholesale), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ctx(&self) -> Ctx {
        let s = self.lock();
        Ctx {
            encoding: s.encoding(),
            snippets: s.snippets,
            lazy_docs: s.lazy_docs,
            docs: s.docs.clone(),
            latest: s.latest.clone(),
            last_good: s.last_good.clone(),
            materialised: s.materialised.clone(),
        }
    }

    /// Runs `f`, turning a panic into an error response and a log entry.
    async fn guard<T>(&self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(r) => r,
            Err(payload) => {
                let message = format!("internal error in {what}: {}", panic_message(&*payload));
                self.client.log_message(lsp::MessageType::ERROR, &message).await;
                Err(internal(message))
            }
        }
    }

    /// Records a change and wakes the analysis.
    fn changed(&self, state: &mut State) {
        state.generation += 1;
        self.wake.notify_one();
    }

    /// Collects the workspace's files from disk and re-analyses.
    async fn scan(&self, folders: Vec<PathBuf>) {
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
                self.client
                    .log_message(
                        lsp::MessageType::WARNING,
                        format!("{message}; using the default limits and no project policy sets"),
                    )
                    .await;
                crate::analysis::Settings::default()
            }
        };
        self.lock().settings = Some(settings);
        let message = match scanned {
            Ok(Some(files)) => {
                let mut s = self.lock();
                s.disk = files;
                self.changed(&mut s);
                return;
            }
            Ok(None) => format!(
                "too many files in the workspace (more than {} `.compel` files or {} folders): only open files and their imports are analysed",
                workspace::MAX_WORKSPACE_FILES,
                workspace::MAX_WORKSPACE_DIRS
            ),
            Err(e) => format!("cannot scan the workspace: {e}"),
        };
        self.client.log_message(lsp::MessageType::WARNING, message).await;
        let mut s = self.lock();
        s.disk.clear();
        self.changed(&mut s);
    }

    /// Waits until the analysis has caught up with the edits made so far,
    /// or the wait times out (then the latest snapshot answers).
    async fn wait_fresh(&self) {
        let target = self.lock().generation;
        let mut rx = self.analysed.subscribe();
        let _ = tokio::time::timeout(FRESH_WAIT, rx.wait_for(|g| *g >= target)).await;
    }

    /// A context for a request about `path` that answers from the text's
    /// analysis: when no analysis has seen the file yet (a request right
    /// after `didOpen`), it waits for the analysis of the current text
    /// first, so the first completion after opening a file is not empty.
    async fn ctx_for(&self, path: &str) -> Ctx {
        let ctx = self.ctx();
        if ctx.latest.iter().chain(ctx.last_good.get(path)).any(|snap| snap.file(path).is_some()) {
            return ctx;
        }
        self.wait_fresh().await;
        self.ctx()
    }

    fn job(&self) -> Job {
        let s = self.lock();
        let docs: HashMap<String, (Arc<String>, i32)> = s
            .docs
            .iter()
            .filter(|(p, _)| !stdlib::is_std_path(p))
            .map(|(p, d)| (p.clone(), (d.text.clone(), d.version)))
            .collect();
        let mut roots: BTreeSet<String> = s.disk.clone();
        roots.extend(docs.keys().cloned());
        Job {
            generation: s.generation,
            roots: roots.into_iter().collect(),
            docs,
            folders: s.folders.clone(),
            settings: s.settings.clone().unwrap_or_default(),
        }
    }

    /// The analysis loop: wait for a change, let a burst settle, analyse,
    /// install, publish.
    async fn analysis_loop(self: Arc<Self>) {
        loop {
            self.wake.notified().await;
            let debounce = self.lock().debounce.unwrap_or(DEFAULT_DEBOUNCE);
            if !debounce.is_zero() {
                tokio::time::sleep(debounce).await;
            }
            let job = self.job();
            let generation = job.generation;
            let me = self.clone();
            let done = tokio::task::spawn_blocking(move || {
                catch_unwind(AssertUnwindSafe(|| {
                    let mut cache = me.cache.lock().unwrap_or_else(|e| e.into_inner());
                    workspace::analyse(job, &mut cache)
                }))
            })
            .await;
            match done {
                Ok(Ok(snapshot)) => {
                    let publish = catch_unwind(AssertUnwindSafe(|| self.install(snapshot)));
                    match publish {
                        Ok(list) => {
                            for (uri, diags, version) in list {
                                self.client.publish_diagnostics(uri, diags, version).await;
                            }
                        }
                        Err(p) => {
                            let message = format!("internal error publishing diagnostics: {}", panic_message(&*p));
                            self.client.log_message(lsp::MessageType::ERROR, message).await;
                        }
                    }
                }
                Ok(Err(p)) => {
                    // Drop the cache: it may hold whatever the panic left.
                    *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = ParseCache::new();
                    // Requests waiting for this analysis answer from the
                    // previous one rather than wait for nothing.
                    self.analysed.send_replace(generation);
                    let message = format!("internal error in the analysis: {}", panic_message(&*p));
                    self.client.log_message(lsp::MessageType::ERROR, message).await;
                }
                Err(e) => {
                    self.analysed.send_replace(generation);
                    self.client.log_message(lsp::MessageType::ERROR, format!("the analysis task failed: {e}")).await;
                }
            }
        }
    }

    /// Stores a finished snapshot and works out which files' diagnostics
    /// to publish.
    fn install(&self, snap: Snapshot) -> Vec<(Url, Vec<lsp::Diagnostic>, Option<i32>)> {
        let snap = Arc::new(snap);
        let mut s = self.lock();
        if s.latest.as_ref().is_some_and(|l| l.generation > snap.generation) {
            return Vec::new();
        }
        s.latest = Some(snap.clone());
        let a = &snap.analysis;
        for path in snap.versions.keys() {
            if let Some(file) = snap.file(path) {
                if snap.parsed(file) {
                    s.last_good.insert(path.clone(), snap.clone());
                }
            }
        }
        s.last_good.retain(|p, _| snap.versions.contains_key(p));
        let ctx = Ctx {
            encoding: s.encoding(),
            snippets: s.snippets,
            lazy_docs: s.lazy_docs,
            docs: s.docs.clone(),
            latest: None,
            last_good: HashMap::new(),
            materialised: s.materialised.clone(),
        };
        // Diagnostics by file, for every user file analysed.
        let mut by_file: HashMap<FileId, Vec<&crate::diag::Diagnostic>> = HashMap::new();
        for d in a.user_diagnostics() {
            by_file.entry(d.primary.file).or_default().push(d);
        }
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (id, f) in a.files.iter() {
            if stdlib::is_std_path(&f.path) {
                continue;
            }
            seen.insert(f.path.clone());
            let lines = Lines { text: &f.text, index: &f.lines, encoding: ctx.encoding };
            let related = |at: FileSpan| {
                let file = a.files.get(at.file);
                let uri = ctx.uri_of(&file.path)?;
                Some(lsp::Location {
                    uri,
                    range: Lines { text: &file.text, index: &file.lines, encoding: ctx.encoding }.range(at.span),
                })
            };
            let diags: Vec<lsp::Diagnostic> = by_file
                .get(&id)
                .map(|ds| {
                    ds.iter()
                        .map(|d| {
                            let explain = ctx
                                .materialised
                                .as_ref()
                                .and_then(|m| Url::from_file_path(m.explain_file(d.code.as_str())).ok());
                            convert::diagnostic(d, &lines, &related, explain)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut diags = diags;
            for list in s.results.values() {
                diags.extend(list.iter().filter(|(p, _)| *p == f.path).map(|(_, d)| d.clone()));
            }
            let version = snap.versions.get(&f.path).copied();
            let unchanged = match s.published.get(&f.path) {
                Some((v, d)) => *v == version && *d == diags,
                // A closed file with nothing to say needs no notification;
                // an open one always hears back, with its version.
                None => diags.is_empty() && version.is_none(),
            };
            if unchanged {
                continue;
            }
            let Some(uri) = ctx.uri_of(&f.path) else { continue };
            s.published.insert(f.path.clone(), (version, diags.clone()));
            out.push((uri, diags, version));
        }
        // Files no longer analysed: clear what was published for them.
        let gone: Vec<String> = s.published.keys().filter(|p| !seen.contains(*p)).cloned().collect();
        for path in gone {
            s.published.remove(&path);
            if let Some(uri) = ctx.uri_of(&path) {
                out.push((uri, Vec::new(), None));
            }
        }
        drop(s);
        self.analysed.send_replace(snap.generation);
        out
    }
}

impl Backend {
    fn new(client: Client, shutdown: Arc<AtomicBool>) -> Backend {
        let (analysed, _) = watch::channel(0);
        Backend {
            inner: Arc::new(Inner {
                client,
                state: Mutex::new(State::default()),
                wake: Notify::new(),
                analysed,
                cache: Mutex::new(ParseCache::new()),
                shutdown,
                worker: AtomicBool::new(false),
                live_fetch: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn path(&self, uri: &Url) -> String {
        self.inner.lock().path_of(uri)
    }
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
        ..handlers::capabilities()
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

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let inner = &self.inner;
        inner
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
                let mut s = inner.lock();
                handlers::live::initialize(&mut s, &params);
                s.encoding = Some(encoding);
                s.snippets = snippets;
                s.lazy_docs = lazy_docs;
                s.watch_files = watch_files;
                s.debounce = options_debounce(params.initialization_options.as_ref());
                s.folders = workspace_folders(&params);
                s.materialised = Materialised::create();
                drop(s);
                if !inner.worker.swap(true, Ordering::SeqCst) {
                    tokio::spawn(inner.clone().analysis_loop());
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

    async fn initialized(&self, _: lsp::InitializedParams) {
        let (folders, watch) = {
            let s = self.inner.lock();
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
            let client = self.inner.client.clone();
            tokio::spawn(async move {
                let _ = client.register_capability(vec![registration]).await;
            });
        }
        self.inner.scan(folders).await;
        // The client's settings win over the initialization options; either
        // way, values are fetched once here when the user turned them on.
        if !self.inner.pull_settings().await {
            self.inner.refresh_live();
        }
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        match handlers::live::LiveSettings::from_settings(params.settings.get("compel")) {
            Some(settings) => self.inner.set_live_settings(settings),
            None => {
                self.inner.pull_settings().await;
            }
        }
    }

    async fn did_save(&self, _: lsp::DidSaveTextDocumentParams) {
        self.inner.refresh_live();
    }

    async fn document_highlight(
        &self,
        params: lsp::DocumentHighlightParams,
    ) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
        handlers::editing::document_highlight(&self.inner, params).await
    }

    async fn document_link(&self, params: lsp::DocumentLinkParams) -> Result<Option<Vec<lsp::DocumentLink>>> {
        handlers::editing::document_link(&self.inner, params).await
    }

    async fn selection_range(&self, params: lsp::SelectionRangeParams) -> Result<Option<Vec<lsp::SelectionRange>>> {
        handlers::editing::selection_range(&self.inner, params).await
    }

    async fn range_formatting(&self, params: lsp::DocumentRangeFormattingParams) -> Result<Option<Vec<lsp::TextEdit>>> {
        handlers::editing::range_formatting(&self.inner, params).await
    }

    async fn on_type_formatting(
        &self,
        params: lsp::DocumentOnTypeFormattingParams,
    ) -> Result<Option<Vec<lsp::TextEdit>>> {
        handlers::editing::on_type_formatting(&self.inner, params).await
    }

    async fn inlay_hint(&self, params: lsp::InlayHintParams) -> Result<Option<Vec<lsp::InlayHint>>> {
        handlers::inlay::inlay_hint(&self.inner, params).await
    }

    async fn code_lens(&self, params: lsp::CodeLensParams) -> Result<Option<Vec<lsp::CodeLens>>> {
        handlers::lens::code_lens(&self.inner, params).await
    }

    async fn execute_command(&self, params: lsp::ExecuteCommandParams) -> Result<Option<Value>> {
        handlers::lens::execute_command(&self.inner, params).await
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        let folders = {
            let mut s = self.inner.lock();
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
        self.inner.scan(folders).await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.inner.shutdown.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let inner = &self.inner;
        let _ = inner
            .guard("didOpen", || {
                let doc = params.text_document;
                let mut s = inner.lock();
                let path = s.path_of(&doc.uri);
                s.docs.insert(path, Document::new(doc.uri, doc.text, doc.version));
                inner.changed(&mut s);
                Ok(())
            })
            .await;
        inner.refresh_live();
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let inner = &self.inner;
        let _ = inner
            .guard("didChange", || {
                let mut s = inner.lock();
                let encoding = s.encoding();
                let path = s.path_of(&params.text_document.uri);
                let Some(doc) = s.docs.get(&path) else { return Ok(()) };
                let mut text = doc.text.to_string();
                let mut index = doc.lines.clone();
                for change in params.content_changes {
                    match change.range {
                        Some(range) => {
                            let span = Lines { text: &text, index: &index, encoding }.span(range);
                            text.replace_range(span.range(), &change.text);
                        }
                        None => text = change.text,
                    }
                    index = Arc::new(LineIndex::new(&text));
                }
                let uri = doc.uri.clone();
                for list in s.results.values_mut() {
                    list.retain(|(p, _)| *p != path);
                }
                s.docs.insert(
                    path,
                    Document { uri, text: Arc::new(text), lines: index, version: params.text_document.version },
                );
                inner.changed(&mut s);
                Ok(())
            })
            .await;
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let inner = &self.inner;
        let _ = inner
            .guard("didClose", || {
                let mut s = inner.lock();
                let path = s.path_of(&params.text_document.uri);
                s.docs.remove(&path);
                inner.changed(&mut s);
                Ok(())
            })
            .await;
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        let inner = &self.inner;
        let _ = inner
            .guard("didChangeWatchedFiles", || {
                let mut s = inner.lock();
                for change in params.changes {
                    let path = s.path_of(&change.uri);
                    if !path.ends_with(".compel") || stdlib::is_std_path(&path) {
                        continue;
                    }
                    if change.typ == lsp::FileChangeType::DELETED {
                        s.disk.remove(&path);
                    } else if s.folders.iter().any(|f| path.starts_with(&normalize_path(&f.to_string_lossy()))) {
                        s.disk.insert(path);
                    }
                }
                inner.changed(&mut s);
                Ok(())
            })
            .await;
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        let pos = params.text_document_position_params;
        let path = self.path(&pos.text_document.uri);
        let ctx = self.inner.ctx_for(&path).await;
        let live = self.inner.lock().live.clone();
        self.inner
            .guard("hover", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                let offset = lines.offset(pos.position);
                for view in ctx.views(&path) {
                    let Some(at) = view.map.to_old(offset) else { continue };
                    let Some(mut h) = ide::hover::hover(&view.snap.analysis, view.file, at) else { continue };
                    let note =
                        live.as_ref().and_then(|l| handlers::live::hover_note(l, &view.snap.analysis, view.file, at));
                    if let Some(note) = note {
                        h.markdown.push_str("\n\n---\n\n");
                        h.markdown.push_str(&note);
                    }
                    let range = view.map.span_to_new(h.range).map(|s| lines.range(s));
                    return Ok(Some(lsp::Hover {
                        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                            kind: lsp::MarkupKind::Markdown,
                            value: h.markdown,
                        }),
                        range,
                    }));
                }
                Ok(None)
            })
            .await
    }

    async fn completion(&self, params: lsp::CompletionParams) -> Result<Option<lsp::CompletionResponse>> {
        let pos = params.text_document_position;
        let path = self.path(&pos.text_document.uri);
        let trigger = params.context.and_then(|c| c.trigger_character).and_then(|t| t.chars().next());
        let ctx = self.inner.ctx_for(&path).await;
        self.inner
            .guard("completion", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                let offset = lines.offset(pos.position);
                let views = ctx.views(&path);
                let mut sources: Vec<Source<'_>> =
                    views.iter().map(|v| Source { analysis: &v.snap.analysis, file: Some(v.file) }).collect();
                if sources.is_empty() {
                    if let Some(latest) = &ctx.latest {
                        sources.push(Source { analysis: &latest.analysis, file: None });
                    }
                }
                let items = ide::completion::complete(&sources, &text, offset, trigger, ctx.lazy_docs);
                let uri = pos.text_document.uri.as_str();
                let items: Vec<lsp::CompletionItem> =
                    items.into_iter().map(|i| convert::completion(i, &lines, ctx.snippets, uri)).collect();
                Ok(Some(lsp::CompletionResponse::List(lsp::CompletionList { is_incomplete: false, items })))
            })
            .await
    }

    async fn completion_resolve(&self, mut item: lsp::CompletionItem) -> Result<lsp::CompletionItem> {
        let Some(data) = item.data.take() else { return Ok(item) };
        let (Some(uri), Some(name)) =
            (data.get("uri").and_then(Value::as_str), data.get("symbol").and_then(Value::as_str))
        else {
            return Ok(item);
        };
        let Ok(uri) = Url::parse(uri) else { return Ok(item) };
        let path = self.path(&uri);
        let ctx = self.inner.ctx();
        let name = name.to_string();
        self.inner
            .guard("completionItem/resolve", move || {
                let views = ctx.views(&path);
                let mut sources: Vec<Source<'_>> =
                    views.iter().map(|v| Source { analysis: &v.snap.analysis, file: Some(v.file) }).collect();
                if let (true, Some(latest)) = (sources.is_empty(), &ctx.latest) {
                    sources.push(Source { analysis: &latest.analysis, file: None });
                }
                if let Some(value) = ide::completion::documentation(&sources, &name) {
                    item.documentation = Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value,
                    }));
                }
                Ok(item)
            })
            .await
    }

    async fn signature_help(&self, params: lsp::SignatureHelpParams) -> Result<Option<lsp::SignatureHelp>> {
        let pos = params.text_document_position_params;
        let path = self.path(&pos.text_document.uri);
        let ctx = self.inner.ctx_for(&path).await;
        self.inner
            .guard("signatureHelp", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                let offset = lines.offset(pos.position);
                let views = ctx.views(&path);
                let mut sources: Vec<Source<'_>> =
                    views.iter().map(|v| Source { analysis: &v.snap.analysis, file: Some(v.file) }).collect();
                if let (true, Some(latest)) = (sources.is_empty(), &ctx.latest) {
                    sources.push(Source { analysis: &latest.analysis, file: None });
                }
                let Some(help) = ide::signature::signature_help(&sources, &text, offset) else { return Ok(None) };
                let parameters = help
                    .params
                    .iter()
                    .map(|(s, e)| lsp::ParameterInformation {
                        label: lsp::ParameterLabel::LabelOffsets([*s as u32, *e as u32]),
                        documentation: None,
                    })
                    .collect();
                Ok(Some(lsp::SignatureHelp {
                    signatures: vec![lsp::SignatureInformation {
                        label: help.label,
                        documentation: help.doc.map(|value| {
                            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                                kind: lsp::MarkupKind::Markdown,
                                value,
                            })
                        }),
                        parameters: Some(parameters),
                        active_parameter: Some(help.active as u32),
                    }],
                    active_signature: Some(0),
                    active_parameter: Some(help.active as u32),
                }))
            })
            .await
    }

    async fn goto_definition(&self, params: lsp::GotoDefinitionParams) -> Result<Option<lsp::GotoDefinitionResponse>> {
        let pos = params.text_document_position_params;
        let path = self.path(&pos.text_document.uri);
        let ctx = self.inner.ctx_for(&path).await;
        self.inner
            .guard("definition", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let offset = Lines { text: &text, index: &index, encoding: ctx.encoding }.offset(pos.position);
                for view in ctx.views(&path) {
                    let Some(at) = view.map.to_old(offset) else { continue };
                    let Some((_, target)) = ide::navigation::definition(&view.snap.analysis, view.file, at) else {
                        continue;
                    };
                    if let Some(loc) = ctx.location(&view.snap, target) {
                        return Ok(Some(lsp::GotoDefinitionResponse::Scalar(loc)));
                    }
                }
                Ok(None)
            })
            .await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        self.inner.wait_fresh().await;
        let pos = params.text_document_position;
        let path = self.path(&pos.text_document.uri);
        let ctx = self.inner.ctx();
        self.inner
            .guard("references", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let offset = Lines { text: &text, index: &index, encoding: ctx.encoding }.offset(pos.position);
                for view in ctx.views(&path) {
                    let Some(at) = view.map.to_old(offset) else { continue };
                    let refs = ide::navigation::references(
                        &view.snap.analysis,
                        view.file,
                        at,
                        params.context.include_declaration,
                    );
                    if refs.is_empty() {
                        continue;
                    }
                    return Ok(Some(refs.into_iter().filter_map(|r| ctx.location(&view.snap, r)).collect()));
                }
                Ok(None)
            })
            .await
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        self.inner.wait_fresh().await;
        let path = self.path(&params.text_document.uri);
        let ctx = self.inner.ctx();
        self.inner
            .guard("prepareRename", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                let offset = lines.offset(params.position);
                let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
                let Some(at) = view.map.to_old(offset) else {
                    return Err(refused("the file is being analysed; try again".to_string()));
                };
                match ide::navigation::prepare_rename(&view.snap.analysis, view.file, at) {
                    Ok((span, placeholder)) => {
                        let Some(span) = view.map.span_to_new(span) else { return Ok(None) };
                        Ok(Some(lsp::PrepareRenameResponse::RangeWithPlaceholder {
                            range: lines.range(span),
                            placeholder,
                        }))
                    }
                    Err(why) => Err(refused(why)),
                }
            })
            .await
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        self.inner.wait_fresh().await;
        let pos = params.text_document_position;
        let path = self.path(&pos.text_document.uri);
        let ctx = self.inner.ctx();
        self.inner
            .guard("rename", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let offset = Lines { text: &text, index: &index, encoding: ctx.encoding }.offset(pos.position);
                let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
                let Some(at) = view.map.to_old(offset) else {
                    return Err(refused("the file is being analysed; try again".to_string()));
                };
                let edits =
                    ide::navigation::rename(&view.snap.analysis, view.file, at, &params.new_name).map_err(refused)?;
                let mut changes: HashMap<Url, Vec<lsp::TextEdit>> = HashMap::new();
                for e in edits {
                    let Some(loc) = ctx.location(&view.snap, e.at) else {
                        return Err(refused("a file changed during the rename; try again".to_string()));
                    };
                    changes
                        .entry(loc.uri)
                        .or_default()
                        .push(lsp::TextEdit { range: loc.range, new_text: e.replacement });
                }
                Ok(Some(lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() }))
            })
            .await
    }

    async fn document_symbol(&self, params: lsp::DocumentSymbolParams) -> Result<Option<lsp::DocumentSymbolResponse>> {
        self.inner.wait_fresh().await;
        let path = self.path(&params.text_document.uri);
        let ctx = self.inner.ctx();
        self.inner
            .guard("documentSymbol", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
                let ast = &view.snap.analysis.asts[view.file.0 as usize];
                let symbols = ide::symbols::document_symbols(ast);
                Ok(Some(lsp::DocumentSymbolResponse::Nested(
                    symbols.into_iter().filter_map(|s| document_symbol(s, &view.map, &lines)).collect(),
                )))
            })
            .await
    }

    async fn symbol(&self, params: lsp::WorkspaceSymbolParams) -> Result<Option<Vec<lsp::SymbolInformation>>> {
        self.inner.wait_fresh().await;
        let ctx = self.inner.ctx();
        self.inner
            .guard("workspace/symbol", || {
                let Some(snap) = &ctx.latest else { return Ok(None) };
                let found = ide::symbols::workspace_symbols(&snap.analysis, &params.query, 500);
                #[allow(deprecated)]
                let out = found
                    .into_iter()
                    .filter_map(|s| {
                        Some(lsp::SymbolInformation {
                            name: s.name,
                            kind: convert::symbol_kind(s.kind),
                            tags: None,
                            deprecated: None,
                            location: ctx.location(snap, s.at)?,
                            container_name: Some(s.container),
                        })
                    })
                    .collect();
                Ok(Some(out))
            })
            .await
    }

    async fn formatting(&self, params: lsp::DocumentFormattingParams) -> Result<Option<Vec<lsp::TextEdit>>> {
        let path = self.path(&params.text_document.uri);
        let ctx = self.inner.ctx();
        let result = self.inner.guard("formatting", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(Err(String::new())) };
            match crate::fmt::format_source(&text) {
                Ok(formatted) => {
                    let map = OffsetMap::new(&text, &formatted);
                    if map.is_identity() {
                        return Ok(Ok(Vec::new()));
                    }
                    let old = map.old_region();
                    let new = map.new_region();
                    let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                    Ok(Ok(vec![lsp::TextEdit {
                        range: lines.range(old),
                        new_text: formatted[new.range()].to_string(),
                    }]))
                }
                Err(diags) => Ok(Err(format!(
                    "not formatted: the file has {} syntax error{}",
                    diags.len(),
                    if diags.len() == 1 { "" } else { "s" }
                ))),
            }
        });
        match result.await? {
            Ok(edits) => Ok(Some(edits)),
            Err(message) => {
                if !message.is_empty() {
                    self.inner.client.log_message(lsp::MessageType::INFO, message).await;
                }
                Ok(None)
            }
        }
    }

    async fn folding_range(&self, params: lsp::FoldingRangeParams) -> Result<Option<Vec<lsp::FoldingRange>>> {
        let path = self.path(&params.text_document.uri);
        let ctx = self.inner.ctx();
        self.inner
            .guard("foldingRange", || {
                let Some((text, _)) = ctx.text_of(&path) else { return Ok(None) };
                let folds = ide::folding::folding_ranges(&text);
                Ok(Some(
                    folds
                        .into_iter()
                        .map(|f| lsp::FoldingRange {
                            start_line: f.start_line as u32,
                            start_character: None,
                            end_line: f.end_line as u32,
                            end_character: None,
                            kind: match f.kind {
                                ide::folding::FoldKind::Region => Some(lsp::FoldingRangeKind::Region),
                                ide::folding::FoldKind::Comment => Some(lsp::FoldingRangeKind::Comment),
                                ide::folding::FoldKind::Imports => Some(lsp::FoldingRangeKind::Imports),
                            },
                            collapsed_text: None,
                        })
                        .collect(),
                ))
            })
            .await
    }

    async fn semantic_tokens_full(
        &self,
        params: lsp::SemanticTokensParams,
    ) -> Result<Option<lsp::SemanticTokensResult>> {
        self.inner.wait_fresh().await;
        let path = self.path(&params.text_document.uri);
        let ctx = self.inner.ctx();
        self.inner
            .guard("semanticTokens", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                let views = ctx.views(&path);
                let toks = match views.first() {
                    Some(v) => ide::tokens::semantic_tokens(Some((&v.snap.analysis, v.file)), &text, &v.map),
                    None => ide::tokens::semantic_tokens(None, &text, &OffsetMap::identity(text.len())),
                };
                Ok(Some(lsp::SemanticTokensResult::Tokens(lsp::SemanticTokens {
                    result_id: None,
                    data: convert::semantic_tokens(&toks, &lines),
                })))
            })
            .await
    }

    async fn code_action(&self, params: lsp::CodeActionParams) -> Result<Option<lsp::CodeActionResponse>> {
        self.inner.wait_fresh().await;
        let path = self.path(&params.text_document.uri);
        let ctx = self.inner.ctx();
        self.inner
            .guard("codeAction", || {
                let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                let range = lines.span(params.range);
                let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
                let (Some(start), Some(end)) =
                    (view.map.to_old(range.start as usize), view.map.to_old(range.end as usize))
                else {
                    return Ok(None);
                };
                let a = &view.snap.analysis;
                let mut out = Vec::new();
                for action in ide::actions::quick_fixes(a, view.file, Span::new(start, end)) {
                    let d = &a.diagnostics[action.diagnostic];
                    let mut changes: HashMap<Url, Vec<lsp::TextEdit>> = HashMap::new();
                    let mut complete = true;
                    for e in &action.edits {
                        match ctx.location(&view.snap, e.at) {
                            Some(loc) => changes
                                .entry(loc.uri)
                                .or_default()
                                .push(lsp::TextEdit { range: loc.range, new_text: e.replacement.clone() }),
                            None => complete = false,
                        }
                    }
                    if !complete {
                        continue;
                    }
                    let file = a.files.get(d.primary.file);
                    let diag_lines = Lines { text: &file.text, index: &file.lines, encoding: ctx.encoding };
                    let related = |at: FileSpan| ctx.location(&view.snap, at);
                    let explain = ctx
                        .materialised
                        .as_ref()
                        .and_then(|m| Url::from_file_path(m.explain_file(d.code.as_str())).ok());
                    let mut diagnostic = convert::diagnostic(d, &diag_lines, &related, explain);
                    if let Some(span) = view.map.span_to_new(d.primary.span) {
                        diagnostic.range = lines.range(span);
                    }
                    out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                        title: action.title,
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![diagnostic]),
                        edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() }),
                        is_preferred: Some(action.preferred),
                        ..lsp::CodeAction::default()
                    }));
                }
                Ok(Some(out))
            })
            .await
    }
}

/// Converts an outline entry, mapping its spans to the current text; an
/// entry whose name the current text changed is left out.
fn document_symbol(s: ide::symbols::DocumentSymbol, map: &OffsetMap, lines: &Lines<'_>) -> Option<lsp::DocumentSymbol> {
    let selection = map.span_to_new(s.selection)?;
    let range = match (map.to_new(s.range.start as usize), map.to_new(s.range.end as usize)) {
        (Some(a), Some(b)) if a <= b => Span::new(a, b),
        _ => selection,
    };
    let children: Vec<lsp::DocumentSymbol> =
        s.children.into_iter().filter_map(|c| document_symbol(c, map, lines)).collect();
    #[allow(deprecated)]
    Some(lsp::DocumentSymbol {
        name: s.name,
        detail: Some(s.detail),
        kind: convert::symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: lines.range(range.to(selection)),
        selection_range: lines.range(selection),
        children: if children.is_empty() { None } else { Some(children) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_becomes_an_internal_error() {
        let (service, _socket) = LspService::new(|client| Backend::new(client, Arc::new(AtomicBool::new(false))));
        let inner = service.inner().inner.clone();
        let r: Result<()> = inner.guard("hover", || panic!("boom")).await;
        let err = r.expect_err("the panic is caught");
        assert_eq!(err.code, ErrorCode::InternalError);
        assert!(err.message.contains("internal error in hover: boom"), "{}", err.message);
        // The server's state is still usable afterwards.
        let r: Result<u32> = inner.guard("hover", || Ok(inner.lock().generation as u32 + 1)).await;
        assert_eq!(r.ok(), Some(1));
    }
}
