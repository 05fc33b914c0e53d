//! Code lenses (**Evaluate gate** above each gate, **Run test** above each
//! test block, and an initiative's live readiness above its next gate) and
//! the commands they run through `workspace/executeCommand`.
//!
//! Results come back as a `window/showMessage` and as diagnostics on the
//! criteria (or the failing `expect`s), kept until the file is edited or
//! the command runs again. **Evaluate gate** reads metrics only from the
//! user's settings (`compel.liveValues`, see [`super::live`]); **Run test**
//! reads the test's own metrics, confined to the project as `compel test`
//! confines them.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp, Url};

use super::super::convert::{Encoding, Lines};
use super::super::server::Server;
use super::super::workspace::Snapshot;
use super::live;
use crate::eval::report::Outcome;
use crate::ide::lens::{lens_targets, LensTarget};
use crate::text::LineIndex;

/// The command behind **Evaluate gate**.
pub const EVALUATE_GATE: &str = "compel.server.evaluateGate";
/// The command behind **Run test**.
pub const RUN_TEST: &str = "compel.server.runTest";

/// The lenses of a file.
pub(in crate::lsp) async fn code_lens(
    server: &Server,
    params: lsp::CodeLensParams,
) -> Result<Option<Vec<lsp::CodeLens>>> {
    let uri = params.text_document.uri;
    let path = server.lock().path_of(&uri);
    let ctx = server.ctx_for(&path).await;
    let live = server.lock().live.clone();
    server
        .guard("codeLens", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
            let mut out = Vec::new();
            for target in lens_targets(&view.snap.analysis.asts[view.file.0 as usize]) {
                match target {
                    LensTarget::Gate { span, initiative, from, to } => {
                        let Some(span) = view.map.span_to_new(span) else { continue };
                        let range = lines.range(span);
                        let args = json!({ "uri": uri, "initiative": initiative, "from": from, "to": to });
                        out.push(lens(range, "▶ Evaluate gate", EVALUATE_GATE, args.clone()));
                        let ready = initiative.as_deref().and_then(|i| live.as_ref()?.readiness(i, &from, &to));
                        if let Some(title) = ready {
                            out.push(lens(range, &title, EVALUATE_GATE, args));
                        }
                    }
                    LensTarget::Test { span, name } => {
                        let Some(span) = view.map.span_to_new(span) else { continue };
                        out.push(lens(lines.range(span), "▶ Run test", RUN_TEST, json!({ "uri": uri, "name": name })));
                    }
                }
            }
            Ok(Some(out))
        })
        .await
}

fn lens(range: lsp::Range, title: &str, command: &str, args: Value) -> lsp::CodeLens {
    lsp::CodeLens {
        range,
        command: Some(lsp::Command {
            title: title.to_string(),
            command: command.to_string(),
            arguments: Some(vec![args]),
        }),
        data: None,
    }
}

/// Runs a lens's command; answers a summary (also shown as a message).
pub(in crate::lsp) async fn execute_command(
    server: &Arc<Server>,
    params: lsp::ExecuteCommandParams,
) -> Result<Option<Value>> {
    let arg = params.arguments.first().cloned().unwrap_or(Value::Null);
    let Some(uri) = arg.get("uri").and_then(Value::as_str).and_then(|u| Url::parse(u).ok()) else {
        return Ok(None);
    };
    server.wait_fresh().await;
    let Some(snap) = server.lock().latest.clone() else { return Ok(None) };
    let path = server.lock().path_of(&uri);
    let me = server.clone();
    let command = params.command.clone();
    let outcome = tokio::task::spawn_blocking(move || match command.as_str() {
        EVALUATE_GATE => Some(evaluate_gate(&me, &snap, &arg)),
        RUN_TEST => Some(run_test(&snap, &path, &arg, me.lock().encoding())),
        _ => None,
    })
    .await;
    let Ok(Some(done)) = outcome else { return Ok(None) };
    let tag = format!("{} {}", params.command, done.key);
    server.client.show_message(live::message_type(done.ok), &done.message).await;
    server.set_results(tag, done.diagnostics);
    Ok(Some(done.summary))
}

/// What a command found.
struct Done {
    /// What the results are of (a gate, a test), to replace a re-run's.
    key: String,
    /// Whether it all passed.
    ok: bool,
    /// The message shown.
    message: String,
    /// Diagnostics by file path.
    diagnostics: Vec<(String, lsp::Diagnostic)>,
    /// The answer to the request.
    summary: Value,
}

fn evaluate_gate(server: &Server, snap: &Snapshot, arg: &Value) -> Done {
    let initiative = arg.get("initiative").and_then(Value::as_str).map(str::to_string);
    let from = arg.get("from").and_then(Value::as_str).unwrap_or("").to_string();
    let to = arg.get("to").and_then(Value::as_str).unwrap_or("").to_string();
    let key = format!("{} {from} -> {to}", initiative.as_deref().unwrap_or("*"));
    let (settings, folder, encoding) = {
        let s = server.lock();
        (s.live_settings.clone(), s.folders.first().cloned(), s.encoding())
    };
    let failed = |message: String| Done {
        key: key.clone(),
        ok: false,
        message: format!("Evaluate gate {from} -> {to}: {message}"),
        diagnostics: Vec::new(),
        summary: json!({ "error": message }),
    };
    let (source, config) = match live::source(&settings, folder.as_deref()) {
        Ok(s) => s,
        Err(why) => return failed(why),
    };
    let report = match live::evaluate(&snap.analysis, &source, &config, settings.sample_time.as_deref()) {
        Ok(r) => r,
        Err(why) => return failed(why),
    };
    let mut diagnostics = Vec::new();
    let mut gates = Vec::new();
    let mut lines = Vec::new();
    for i in report.initiatives.iter().filter(|i| initiative.as_deref().is_none_or(|n| n == i.name)) {
        for g in i.gates.iter().filter(|g| g.from == from && g.to == to) {
            gates.push(json!({ "initiative": i.name, "outcome": g.outcome.as_str() }));
            lines.push(format!("{}: {} ({})", i.name, g.outcome, g.reason));
            for c in &g.criteria {
                let severity = match c.outcome {
                    Outcome::Pass => lsp::DiagnosticSeverity::INFORMATION,
                    Outcome::Warn | Outcome::Unknown => lsp::DiagnosticSeverity::WARNING,
                    Outcome::Fail => lsp::DiagnosticSeverity::ERROR,
                };
                let message = format!("{} `{}`: {}: {}", i.name, c.text, c.outcome, c.reason);
                if let Some(d) = at_line(snap, encoding, &c.file, (c.line, c.column), severity, message) {
                    diagnostics.push((c.file.to_string(), d));
                }
            }
        }
    }
    if gates.is_empty() {
        return failed(format!(
            "no initiative{} is at stage `{from}`, so this gate decides nothing now",
            initiative.as_deref().map(|i| format!(" (`{i}`)")).unwrap_or_default()
        ));
    }
    let ok = gates.iter().all(|g| g["outcome"] == "pass" || g["outcome"] == "warn");
    Done {
        key,
        ok,
        message: format!("Evaluate gate {from} -> {to} ({}): {}", source.shown(), lines.join("; ")),
        diagnostics,
        summary: json!({ "gates": gates, "source": source.shown() }),
    }
}

fn run_test(snap: &Snapshot, path: &str, arg: &Value, encoding: Encoding) -> Done {
    let name = arg.get("name").and_then(Value::as_str).unwrap_or("").to_string();
    let a = &snap.analysis;
    let done = |ok: bool, message: String, diagnostics: Vec<(String, lsp::Diagnostic)>, summary: Value| Done {
        key: format!("{path} {name}"),
        ok,
        message: format!("test \"{name}\": {message}"),
        diagnostics,
        summary,
    };
    let errors = a.user_diagnostics().filter(|d| d.is_compile_error()).count();
    if errors > 0 {
        let why =
            format!("not run: the policies do not compile ({errors} error{})", if errors == 1 { "" } else { "s" });
        return done(false, why.clone(), Vec::new(), json!({ "error": why }));
    }
    let loader = crate::project::ProjectLoader::for_paths(&[PathBuf::from(path)]);
    let results = crate::testing::run_tests(a, &loader, Some(&name));
    let Some(r) = results.into_iter().find(|r| r.name == name && r.file == path) else {
        let why = "no such test in this file (save or wait for the analysis)".to_string();
        return done(false, why.clone(), Vec::new(), json!({ "error": why }));
    };
    if let Some(error) = &r.error {
        let d = at_line(
            snap,
            encoding,
            path,
            (r.line, 1),
            lsp::DiagnosticSeverity::ERROR,
            format!("the test could not run: {error}"),
        );
        return done(
            false,
            format!("could not run: {error}"),
            d.map(|d| (path.to_string(), d)).into_iter().collect(),
            json!({ "error": error }),
        );
    }
    let mut diagnostics = Vec::new();
    for f in &r.failures {
        let mut parts = f.location.rsplitn(3, ':');
        let (column, line, file) = (parts.next(), parts.next(), parts.next());
        let (Some(column), Some(line), Some(file)) = (column, line, file) else { continue };
        let (Ok(line), Ok(column)) = (line.parse::<u32>(), column.parse::<u32>()) else { continue };
        let mut message = format!("expected {}, got {}", f.expected, f.actual);
        for why in &f.decided_by {
            message.push_str(&format!("\n{why}"));
        }
        if let Some(d) = at_line(snap, encoding, file, (line, column), lsp::DiagnosticSeverity::ERROR, message) {
            diagnostics.push((file.to_string(), d));
        }
    }
    let n = r.failures.len();
    let (ok, message) = if n == 0 {
        (true, "passed".to_string())
    } else {
        (false, format!("failed: {n} expectation{} not met", if n == 1 { "" } else { "s" }))
    };
    done(ok, message, diagnostics, json!({ "passed": ok, "failures": n }))
}

/// A diagnostic from a 1-based line and character column of a file of the
/// snapshot, to the end of that line.
fn at_line(
    snap: &Snapshot,
    encoding: Encoding,
    path: &str,
    (line, column): (u32, u32),
    severity: lsp::DiagnosticSeverity,
    message: String,
) -> Option<lsp::Diagnostic> {
    let file = snap.analysis.files.get(snap.file(path)?);
    let index: &LineIndex = &file.lines;
    let l = (line as usize).checked_sub(1)?;
    if l >= index.line_count() {
        return None;
    }
    let start = index.line_start(l);
    let end = file.text[start..].find('\n').map_or(file.text.len(), |n| start + n);
    let col =
        file.text[start..end].char_indices().nth(column.saturating_sub(1) as usize).map_or(end, |(i, _)| start + i);
    let lines = Lines { text: &file.text, index, encoding };
    let range = lines.range(crate::text::Span::new(col, end));
    Some(lsp::Diagnostic {
        range,
        severity: Some(severity),
        source: Some("compel".to_string()),
        message,
        ..lsp::Diagnostic::default()
    })
}

impl Server {
    /// Keeps a command's results (replacing its previous run's) and has
    /// the diagnostics of the files they touch published again.
    pub(in crate::lsp) fn set_results(&self, tag: String, results: Vec<(String, lsp::Diagnostic)>) {
        let mut s = self.lock();
        let mut paths: BTreeSet<String> = results.iter().map(|(p, _)| p.clone()).collect();
        if let Some(old) = s.results.insert(tag, results) {
            paths.extend(old.into_iter().map(|(p, _)| p));
        }
        for p in paths {
            // Never equal to what the analysis publishes: it publishes again.
            s.published.insert(p, (Some(i32::MIN), Vec::new()));
        }
        self.changed(&mut s);
    }
}
