//! The analysis loop: a change wakes it; it waits as long as the last
//! analysis suggests (see [`Debounce`]), analyses the workspace on a
//! blocking thread, installs the snapshot and publishes the diagnostics
//! that changed, with the document versions it analysed.

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tower_lsp::lsp_types::{self as lsp, Url};

use super::convert::{self, Lines};
use super::server::{panic_message, Server, WorkspaceCopy};
use super::workspace::{self, AnalysisInput, Snapshot};
use crate::ide::incremental::Incremental;
use crate::stdlib;
use crate::text::{FileId, FileSpan};

/// How long to wait after a change before analysing.
///
/// By default it adapts to what analyses cost lately (the shorter of the
/// last two, so one slow outlier such as the cold first analysis does not
/// make the next edit wait): when that took at most [`Debounce::FAST`] the
/// next starts at once (waiting would only add latency, and edits arriving
/// while it runs are taken by the next one together); when analyses are
/// slow the loop waits half as long as one takes (at most
/// [`Debounce::MAX_WAIT`]), so a burst of keystrokes costs one analysis
/// rather than one each. `debounceMs` in the initialization
/// options fixes the wait instead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Debounce {
    /// Wait according to the last analysis.
    #[default]
    Adaptive,
    /// Always wait this long.
    Fixed(Duration),
}

impl Debounce {
    /// An analysis at most this long is followed by no wait.
    pub(super) const FAST: Duration = Duration::from_millis(20);
    /// The longest adaptive wait.
    pub(super) const MAX_WAIT: Duration = Duration::from_millis(200);

    /// The wait before the next analysis, given what the last two took
    /// (fewer before there were two).
    pub(super) fn wait(self, recent: &[Duration]) -> Duration {
        match self {
            Debounce::Fixed(d) => d,
            Debounce::Adaptive => match recent.iter().rev().take(2).min() {
                Some(&took) if took > Debounce::FAST => (took / 2).min(Debounce::MAX_WAIT),
                _ => Duration::ZERO,
            },
        }
    }
}

/// How long the first analysis waits for the workspace scan.
const SCAN_WAIT: Duration = Duration::from_secs(3);

impl Server {
    pub(super) fn analysis_input(&self) -> AnalysisInput {
        let s = self.lock();
        let docs: HashMap<String, (Arc<String>, i32)> = s
            .docs
            .iter()
            .filter(|(p, _)| !stdlib::is_std_path(p))
            .map(|(p, d)| (p.clone(), (d.text.clone(), d.version)))
            .collect();
        let mut roots: BTreeSet<String> = s.disk.clone();
        roots.extend(docs.keys().cloned());
        AnalysisInput {
            generation: s.generation,
            roots: roots.into_iter().collect(),
            docs,
            folders: s.folders.clone(),
            settings: s.settings.clone().unwrap_or_default(),
        }
    }

    /// The analysis loop: wait for a change, let a burst settle, analyse,
    /// install, publish.
    pub(super) async fn analysis_loop(self: Arc<Self>) {
        // What the last two analyses took, the latest last.
        let mut recent: Vec<Duration> = Vec::with_capacity(2);
        loop {
            self.wake.notified().await;
            // The projects' settings (limits, policy sets) come with the
            // first workspace scan; an analysis before it would publish
            // diagnostics without the sets' policies.
            if self.lock().settings.is_none() {
                let _ = tokio::time::timeout(SCAN_WAIT, self.scanned.notified()).await;
            }
            let wait = self.lock().debounce.wait(&recent);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let job = self.analysis_input();
            let generation = job.generation;
            let me = self.clone();
            let started = Instant::now();
            let done = tokio::task::spawn_blocking(move || {
                catch_unwind(AssertUnwindSafe(|| {
                    let mut analyser = me.analyser.lock().unwrap_or_else(|e| e.into_inner());
                    workspace::analyse(job, &mut analyser)
                }))
            })
            .await;
            if recent.len() == 2 {
                recent.remove(0);
            }
            recent.push(started.elapsed());
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
                    *self.analyser.lock().unwrap_or_else(|e| e.into_inner()) = Incremental::new();
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
    pub(super) fn install(&self, snap: Snapshot) -> Vec<(Url, Vec<lsp::Diagnostic>, Option<i32>)> {
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
        let ctx = WorkspaceCopy {
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

#[cfg(test)]
mod tests {
    use super::Debounce;
    use std::time::Duration;

    #[test]
    fn no_wait_after_a_fast_analysis_and_a_bounded_one_after_a_slow_one() {
        let ms = Duration::from_millis;
        assert_eq!(Debounce::Adaptive.wait(&[]), Duration::ZERO);
        assert_eq!(Debounce::Adaptive.wait(&[ms(3)]), Duration::ZERO);
        assert_eq!(Debounce::Adaptive.wait(&[Debounce::FAST]), Duration::ZERO);
        assert_eq!(Debounce::Adaptive.wait(&[ms(60)]), ms(30));
        assert_eq!(Debounce::Adaptive.wait(&[ms(80), ms(60)]), ms(30));
        assert_eq!(Debounce::Adaptive.wait(&[ms(5_000), ms(6_000)]), Debounce::MAX_WAIT);
        // One slow analysis among fast ones (the cold first) adds no wait.
        assert_eq!(Debounce::Adaptive.wait(&[ms(400), ms(4)]), Duration::ZERO);
        assert_eq!(Debounce::Adaptive.wait(&[ms(4), ms(400)]), Duration::ZERO);
        assert_eq!(Debounce::Fixed(ms(300)).wait(&[ms(1)]), ms(300));
        assert_eq!(Debounce::Fixed(Duration::ZERO).wait(&[ms(900)]), Duration::ZERO);
    }
}
