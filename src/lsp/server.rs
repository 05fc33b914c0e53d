//! The server and what it holds: the client's handle, the [`Workspace`]
//! (what the editor told us and what we answered, behind one lock), the
//! channel on which the analysis announces each snapshot, and the parse
//! cache the analysis reuses. Requests read a [`WorkspaceCopy`], never the
//! lock, while they work.

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::{self as lsp, Url};
use tower_lsp::Client;

use super::analysis_loop::Debounce;
use super::convert::{Encoding, Lines};
use super::handlers;
use super::workspace::{self, Document, Snapshot, StdlibOnDisk};
use crate::analysis::normalize_path;
use crate::ide::incremental::Incremental;
use crate::ide::OffsetMap;
use crate::stdlib;
use crate::text::{FileId, FileSpan, LineIndex};

/// How long a request waits for the analysis of the current text.
pub(super) const FRESH_WAIT: Duration = Duration::from_secs(3);

/// The running server.
pub(super) struct Server {
    pub(super) client: Client,
    pub(super) workspace: Mutex<Workspace>,
    /// Wakes the analysis task.
    pub(super) wake: Notify,
    /// Tells the analysis task the first workspace scan has read the
    /// projects' settings.
    pub(super) scanned: Notify,
    /// The generation of the latest installed snapshot.
    pub(super) analysed: watch::Sender<u64>,
    pub(super) analyser: Mutex<Incremental>,
    pub(super) shutdown: Arc<AtomicBool>,
    pub(super) worker: AtomicBool,
    /// Held while live values are fetched: one fetch at a time.
    pub(super) live_fetch: tokio::sync::Mutex<()>,
}

/// What the editor told the server (its capabilities and settings, the
/// workspace folders, the open documents, the files on disk) and what the
/// server answered (the snapshots, the diagnostics published).
#[derive(Default)]
pub(super) struct Workspace {
    pub(super) encoding: Option<Encoding>,
    pub(super) debounce: Debounce,
    pub(super) snippets: bool,
    pub(super) lazy_docs: bool,
    pub(super) watch_files: bool,
    pub(super) folders: Vec<PathBuf>,
    pub(super) disk: BTreeSet<String>,
    /// The parser's limits (the first folder's project) and the policy
    /// sets of every folder's project, from `compel.toml` as `compel check`
    /// reads them.
    pub(super) settings: Option<crate::analysis::Settings>,
    pub(super) docs: HashMap<String, Document>,
    pub(super) generation: u64,
    pub(super) latest: Option<Arc<Snapshot>>,
    pub(super) last_good: HashMap<String, Arc<Snapshot>>,
    pub(super) published: HashMap<String, (Option<i32>, Vec<lsp::Diagnostic>)>,
    pub(super) materialised: Option<StdlibOnDisk>,
    /// The user's live-values setting (off unless they turn it on).
    pub(super) live_settings: handlers::live::LiveSettings,
    /// The latest live values.
    pub(super) live: Option<Arc<handlers::live::Live>>,
    /// Diagnostics from commands (Evaluate gate, Run test), by command and
    /// target: `(path, diagnostic)`; a file's are dropped when it is edited.
    pub(super) results: HashMap<String, Vec<(String, lsp::Diagnostic)>>,
    /// Whether the client answers `workspace/configuration`.
    pub(super) config_pull: bool,
    /// Whether the client refreshes inlay hints and code lenses on request.
    pub(super) inlay_refresh: bool,
    pub(super) lens_refresh: bool,
}

impl Workspace {
    /// The analysis path of a URI: a normalised file path, `std/NAME.compel`
    /// for our materialised stdlib, or the URI itself for other schemes.
    pub(super) fn path_of(&self, uri: &Url) -> String {
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

    pub(super) fn encoding(&self) -> Encoding {
        self.encoding.unwrap_or(Encoding::Utf16)
    }
}

/// What a request reads: a copy of the state's handles, no lock held.
pub(super) struct WorkspaceCopy {
    pub(super) encoding: Encoding,
    pub(super) snippets: bool,
    pub(super) lazy_docs: bool,
    pub(super) docs: HashMap<String, Document>,
    pub(super) latest: Option<Arc<Snapshot>>,
    pub(super) last_good: HashMap<String, Arc<Snapshot>>,
    pub(super) materialised: Option<StdlibOnDisk>,
}

/// A snapshot seen from the current text of one file.
pub(super) struct SnapshotView {
    pub(super) snap: Arc<Snapshot>,
    pub(super) file: FileId,
    /// From the snapshot's text of the file to the current text.
    pub(super) map: OffsetMap,
}

impl WorkspaceCopy {
    pub(super) fn uri_of(&self, path: &str) -> Option<Url> {
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
    pub(super) fn views(&self, path: &str) -> Vec<SnapshotView> {
        let current = self.docs.get(path).map(|d| d.text.as_str());
        let mut out: Vec<SnapshotView> = Vec::new();
        for snap in self.latest.iter().chain(self.last_good.get(path)) {
            if out.iter().any(|v| v.snap.generation == snap.generation) {
                continue;
            }
            if let Some(file) = snap.file(path) {
                let map = workspace::map_to_current(snap, file, current);
                out.push(SnapshotView { snap: snap.clone(), file, map });
            }
        }
        out
    }

    /// The current text of a file: the open document's, else the latest
    /// snapshot's.
    pub(super) fn text_of(&self, path: &str) -> Option<(Arc<String>, Arc<LineIndex>)> {
        if let Some(doc) = self.docs.get(path) {
            return Some((doc.text.clone(), doc.lines.clone()));
        }
        let snap = self.latest.as_ref()?;
        let f = snap.analysis.files.get(snap.file(path)?);
        Some((Arc::new(f.text.clone()), Arc::new(f.lines.clone())))
    }

    /// A location of a snapshot's span, in the current text of its file.
    pub(super) fn location(&self, snap: &Snapshot, at: FileSpan) -> Option<lsp::Location> {
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

pub(super) fn internal(message: String) -> Error {
    Error { code: ErrorCode::InternalError, message: message.into(), data: None }
}

/// An error the user should see ("`x` is a keyword").
pub(super) fn refused(message: String) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.into(), data: None }
}

pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

impl Server {
    /// A server talking to `client`.
    pub(super) fn new(client: Client, shutdown: Arc<AtomicBool>) -> Server {
        let (analysed, _) = watch::channel(0);
        Server {
            client,
            workspace: Mutex::new(Workspace::default()),
            wake: Notify::new(),
            scanned: Notify::new(),
            analysed,
            analyser: Mutex::new(Incremental::new()),
            shutdown,
            worker: AtomicBool::new(false),
            live_fetch: tokio::sync::Mutex::new(()),
        }
    }

    /// The analysis path of a URI.
    pub(super) fn path(&self, uri: &Url) -> String {
        self.lock().path_of(uri)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Workspace> {
        // A panic while holding the lock leaves consistent data (state is
        // replaced wholesale), so a poisoned lock is still usable.
        self.workspace.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn ctx(&self) -> WorkspaceCopy {
        let s = self.lock();
        WorkspaceCopy {
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
    pub(super) async fn guard<T>(&self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
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
    pub(super) fn changed(&self, state: &mut Workspace) {
        state.generation += 1;
        self.wake.notify_one();
    }

    /// Waits until the analysis has caught up with the edits made so far,
    /// or the wait times out (then the latest snapshot answers).
    pub(super) async fn wait_fresh(&self) {
        let target = self.lock().generation;
        let mut rx = self.analysed.subscribe();
        let _ = tokio::time::timeout(FRESH_WAIT, rx.wait_for(|g| *g >= target)).await;
    }

    /// A context for a request about `path` that answers from the text's
    /// analysis: when no analysis has seen the file yet (a request right
    /// after `didOpen`), it waits for the analysis of the current text
    /// first, so the first completion after opening a file is not empty.
    pub(super) async fn ctx_for(&self, path: &str) -> WorkspaceCopy {
        let ctx = self.ctx();
        if ctx.latest.iter().chain(ctx.last_good.get(path)).any(|snap| snap.file(path).is_some()) {
            return ctx;
        }
        self.wait_fresh().await;
        self.ctx()
    }
}
