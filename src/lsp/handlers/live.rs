//! Live values: each KPI's latest value and status, each initiative's
//! readiness, read from the metric source the *user* names.
//!
//! Off by default. The user turns them on with the client setting
//! `compel.liveValues` (initialization options or `workspace/configuration`):
//!
//! ```json
//! { "liveValues": { "enabled": true, "metrics": ["metrics/today.json"] } }
//! { "liveValues": { "enabled": true, "prometheus": "http://127.0.0.1:9090" } }
//! { "liveValues": { "enabled": true, "useProjectSource": true } }
//! ```
//!
//! A repository's `compel.toml` may suggest a source (`metrics`,
//! `prometheus`); it is used only when the user's setting says
//! `useProjectSource`, so opening a cloned repository never makes the
//! editor read a file or contact a URL the repository names. Fetching
//! happens on open, on save and when the setting changes, on a blocking
//! thread (never on the keystroke path), through the same readers,
//! timeouts and limits as `compel eval`; the result is cached with its
//! time and shown by inlay hints, hover and code lens.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tower_lsp::lsp_types as lsp;

use super::super::server::Server;
use crate::analysis::Analysis;
use crate::eval::metrics::{format_rfc3339, parse_rfc3339, MetricStore};
use crate::eval::report::{KpiReport, KpiStatus};
use crate::eval::{self, plan, EvalOptions, Report};
use crate::inputs;
use crate::project::{Config, Project};
use crate::prometheus::{self, PrometheusClient};

/// The user's live-values setting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveSettings {
    /// Whether values are fetched on open and save.
    pub enabled: bool,
    /// Metrics files (relative to the first workspace folder).
    pub metrics: Vec<String>,
    /// A Prometheus server.
    pub prometheus: Option<String>,
    /// Whether the project's `compel.toml` may name the source.
    pub use_project_source: bool,
    /// When the values of files without times were taken (RFC 3339).
    pub sample_time: Option<String>,
}

impl LiveSettings {
    /// Reads `liveValues` from a settings object (`{ "liveValues": ... }`);
    /// `true` alone turns them on with the project's suggested source off.
    pub fn from_settings(v: Option<&Value>) -> Option<LiveSettings> {
        let live = v?.get("liveValues")?;
        if let Some(on) = live.as_bool() {
            return Some(LiveSettings { enabled: on, ..LiveSettings::default() });
        }
        let strings = |key: &str| -> Vec<String> {
            match live.get(key) {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                _ => Vec::new(),
            }
        };
        Some(LiveSettings {
            enabled: live.get("enabled").and_then(Value::as_bool).unwrap_or(false),
            metrics: strings("metrics"),
            prometheus: live.get("prometheus").and_then(Value::as_str).map(str::to_string),
            use_project_source: live.get("useProjectSource").and_then(Value::as_bool).unwrap_or(false),
            sample_time: live.get("sampleTime").and_then(Value::as_str).map(str::to_string),
        })
    }
}

/// Where metrics come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Files.
    Files(Vec<PathBuf>),
    /// A Prometheus server.
    Prometheus(String),
}

impl Source {
    /// As a person reads it (a URL without credentials).
    pub fn shown(&self) -> String {
        match self {
            Source::Files(f) => f.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
            Source::Prometheus(u) => format!("prometheus {}", inputs::without_credentials(u)),
        }
    }
}

/// The source the user's settings name, resolved against `folder`, with
/// the project's configuration (limits, timeout, `max_age`). Reads
/// `compel.toml` (never a metric) to find its limits and suggestion.
pub fn source(settings: &LiveSettings, folder: Option<&Path>) -> Result<(Source, Config), String> {
    let start = folder.map(Path::to_path_buf).unwrap_or_default();
    let config = if folder.is_some() { Project::discover_upward(&start)?.config } else { Config::default() };
    let rel = |f: &str| if Path::new(f).is_absolute() { PathBuf::from(f) } else { start.join(f) };
    let source = if !settings.metrics.is_empty() {
        Source::Files(settings.metrics.iter().map(|f| rel(f)).collect())
    } else if let Some(url) = &settings.prometheus {
        Source::Prometheus(url.clone())
    } else if settings.use_project_source && !config.metrics.is_empty() {
        Source::Files(config.metrics.clone())
    } else if let (true, Some(url)) = (settings.use_project_source, &config.prometheus) {
        Source::Prometheus(url.clone())
    } else {
        let suggested = if !config.metrics.is_empty() || config.prometheus.is_some() {
            " (the project's compel.toml suggests one: set `useProjectSource` to use it)"
        } else {
            ""
        };
        return Err(format!(
            "no metrics source in your settings: set `compel.liveValues.metrics` or `compel.liveValues.prometheus`{suggested}"
        ));
    };
    Ok((source, config))
}

/// Reads the metrics and evaluates `analysis` at the clock, as `compel
/// eval` does. Blocking.
pub fn evaluate(
    analysis: &Analysis,
    source: &Source,
    config: &Config,
    sample_time: Option<&str>,
) -> Result<Report, String> {
    let errors = analysis.user_diagnostics().filter(|d| d.is_compile_error()).count();
    if errors > 0 {
        return Err(format!(
            "the policy does not compile ({errors} error{}): nothing evaluated",
            if errors == 1 { "" } else { "s" }
        ));
    }
    let now = inputs::clock();
    let max_age = config.max_age.unwrap_or(eval::DEFAULT_MAX_AGE);
    let limits = &config.limits;
    let mut store = MetricStore::new();
    match source {
        Source::Files(files) => {
            let sample_time = match sample_time {
                Some(t) => {
                    Some(parse_rfc3339(t.trim()).ok_or_else(|| format!("`sampleTime {t}` is not an RFC 3339 time"))?)
                }
                None => None,
            };
            let mut budget = limits.max_metrics_bytes;
            for f in files {
                inputs::read_metrics_file(f, sample_time, &mut budget, limits.max_metrics_bytes, &mut store)
                    .map_err(|u| u.message)?;
            }
        }
        Source::Prometheus(url) => {
            let timeout = config.timeout.unwrap_or(prometheus::DEFAULT_TIMEOUT.as_secs_f64());
            let client = PrometheusClient::new(url)?
                .with_timeout(Duration::from_secs_f64(timeout.max(0.001)))
                .with_auth(prometheus::auth_from_env())
                .with_limits(limits.max_metrics_bytes, limits.max_samples);
            let fetches = plan::plan(&analysis.model, &analysis.files, max_age);
            inputs::fetch_prometheus(&client, &fetches, now, &mut store)?;
        }
    }
    inputs::refuse_long_series(&mut store, limits.max_samples);
    let opts = EvalOptions { now, default_max_age: max_age };
    Ok(eval::evaluate(&analysis.model, &analysis.files, &store, &opts))
}

/// The latest live values.
pub struct Live {
    /// The evaluation.
    pub report: Report,
    /// When it was made (RFC 3339).
    pub at: String,
    /// Where the values came from.
    pub source: String,
}

impl Live {
    /// A KPI's note: `93.5% · at_risk · 2026-11-23T12:00:00Z`.
    pub fn kpi_note(&self, name: &str) -> Option<String> {
        let k = self.report.kpi(name)?;
        Some(match (&k.value, &k.time) {
            (Some(_), Some(t)) => format!("{} · {} · {t}", value_text(k), k.status),
            (Some(_), None) => format!("{} · {}", value_text(k), k.status),
            _ => format!("{} · no value", KpiStatus::Unknown),
        })
    }

    /// A KPI's hover section, in Markdown.
    pub fn kpi_hover(&self, name: &str) -> Option<String> {
        let k = self.report.kpi(name)?;
        let value = match &k.value {
            Some(_) => format!("`{}`", value_text(k)),
            None => "no value".to_string(),
        };
        let time = k.time.as_deref().map(|t| format!(", sampled {t}")).unwrap_or_default();
        Some(format!(
            "**Live**: {value} · **{}**{time}\n\n{}\n\n_from {} at {}_",
            k.status,
            super::escape_markdown(&k.reason),
            super::escape_markdown(&self.source),
            self.at
        ))
    }

    /// The readiness of `initiative` for the gate `from -> to`, when it is
    /// the initiative's next gate: a lens title.
    pub fn readiness(&self, initiative: &str, from: &str, to: &str) -> Option<String> {
        let i = self.report.initiatives.iter().find(|i| i.name == initiative)?;
        let next = i.next_gate.as_ref().filter(|g| g.from == from && g.to == to)?;
        Some(if i.ready {
            format!("✓ ready for {} (live)", next.to)
        } else {
            let n = i.blocked_by.len();
            format!(
                "✗ not ready for {}: {n} {} (live)",
                next.to,
                if n == 1 { "criterion blocks" } else { "criteria block" }
            )
        })
    }
}

fn value_text(k: &KpiReport) -> String {
    crate::eval::render::kpi_value(k)
}

/// A fetch's outcome, for the log.
pub fn fetched_message(live: &Live) -> String {
    let kpis = live.report.kpis.len();
    format!("live values: {kpis} KPI{} from {} at {}", if kpis == 1 { "" } else { "s" }, live.source, live.at)
}

/// Makes a [`Live`] from a report.
pub fn live(report: Report, source: &Source) -> Arc<Live> {
    let at = format_rfc3339(inputs::clock());
    Arc::new(Live { report, at, source: source.shown() })
}

/// Reads, at `initialize`, what live values need from the client: the
/// setting in the initialization options, whether it answers
/// `workspace/configuration`, and whether it refreshes hints and lenses.
pub(in crate::lsp) fn initialize(s: &mut super::super::server::Workspace, params: &lsp::InitializeParams) {
    let workspace = params.capabilities.workspace.as_ref();
    s.config_pull = workspace.and_then(|w| w.configuration).unwrap_or(false);
    s.inlay_refresh = workspace.and_then(|w| w.inlay_hint.as_ref()).and_then(|i| i.refresh_support).unwrap_or(false);
    s.lens_refresh = workspace.and_then(|w| w.code_lens.as_ref()).and_then(|c| c.refresh_support).unwrap_or(false);
    if let Some(live) = LiveSettings::from_settings(params.initialization_options.as_ref()) {
        s.live_settings = live;
    }
}

impl Server {
    /// Fetches live values in the background when the user turned them on
    /// (on open, save and a change of the setting); never on the path of a
    /// keystroke or a request. One fetch at a time.
    pub(in crate::lsp) fn refresh_live(self: &Arc<Self>) {
        let (settings, folder) = {
            let s = self.lock();
            (s.live_settings.clone(), s.folders.first().cloned())
        };
        if !settings.enabled {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let _one = me.live_fetch.lock().await;
            me.wait_fresh().await;
            let Some(snap) = me.lock().latest.clone() else { return };
            let result = tokio::task::spawn_blocking(move || {
                let (source, config) = source(&settings, folder.as_deref())?;
                let report = evaluate(&snap.analysis, &source, &config, settings.sample_time.as_deref())?;
                Ok::<_, String>(live(report, &source))
            })
            .await
            .unwrap_or_else(|e| Err(format!("the fetch failed: {e}")));
            match result {
                Ok(values) => {
                    let message = fetched_message(&values);
                    let (inlay, lens) = {
                        let mut s = me.lock();
                        s.live = Some(values);
                        (s.inlay_refresh, s.lens_refresh)
                    };
                    me.client.log_message(lsp::MessageType::INFO, message).await;
                    if inlay {
                        let _ = me.client.inlay_hint_refresh().await;
                    }
                    if lens {
                        let _ = me.client.code_lens_refresh().await;
                    }
                }
                Err(why) => {
                    me.client.log_message(lsp::MessageType::WARNING, format!("live values: {why}")).await;
                }
            }
        });
    }

    /// Applies a new setting: fetches when on, forgets the values when off.
    pub(in crate::lsp) fn set_live_settings(self: &Arc<Self>, settings: LiveSettings) {
        let on = settings.enabled;
        {
            let mut s = self.lock();
            s.live_settings = settings;
            if !on {
                s.live = None;
            }
        }
        self.refresh_live();
    }

    /// Asks the client for the `compel` section of its settings, when it
    /// answers `workspace/configuration`, and applies it (fetching when
    /// on). Whether the client gave a setting.
    pub(in crate::lsp) async fn pull_settings(self: &Arc<Self>) -> bool {
        if !self.lock().config_pull {
            return false;
        }
        let item = lsp::ConfigurationItem { scope_uri: None, section: Some("compel".to_string()) };
        if let Ok(values) = self.client.configuration(vec![item]).await {
            let section = values.into_iter().next().unwrap_or(Value::Null);
            if let Some(settings) = LiveSettings::from_settings(Some(&section)) {
                self.set_live_settings(settings);
                return true;
            }
        }
        false
    }
}

/// A KPI's live hover section, for the name at `offset`.
pub fn hover_note(live: &Live, a: &Analysis, file: crate::text::FileId, offset: usize) -> Option<String> {
    let Some(crate::ide::Found::Symbol { symbol: crate::check::Symbol::Decl(id), .. }) =
        crate::ide::find_at(a, file, offset)
    else {
        return None;
    };
    let d = a.model.decl(id);
    (d.kind == crate::check::Kind::Kpi).then(|| live.kpi_hover(&d.name)).flatten()
}

/// The protocol's message type of an outcome word.
pub fn message_type(ok: bool) -> lsp::MessageType {
    if ok {
        lsp::MessageType::INFO
    } else {
        lsp::MessageType::WARNING
    }
}
