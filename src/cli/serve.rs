//! `compel serve PATH... (--prometheus URL | --metrics FILE...) [--interval
//! 1m] [--listen 127.0.0.1:9464] [--decision-log FILE]`: evaluates the
//! policy set on an interval and serves every decision.
//!
//! One evaluation runs at a time on one thread: a slow source makes the
//! next cycle late (counted), never concurrent. Between cycles the policy
//! files are polled (modification times and sizes, and the folder's list
//! of `*.compel` files); a change or SIGHUP reloads them. A policy set that
//! no longer compiles keeps the last good one serving, and `/status` and
//! `compel_policy_reload_failed` say so. SIGTERM and SIGINT finish the
//! running cycle and stop. Each cycle replaces the previous one's metrics
//! and report, so memory does not grow with the cycles.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::eval::{parse_duration_exact, serve_config};
use super::{analyze_paths, collect_paths, Exit};
use crate::analysis::Analysis;
use crate::check::rational::Rational;
use crate::diag::{render, Diagnostic};
use crate::eval::metrics::{query_metric, MetricStore, NANOS};
use crate::eval::{self, html, plan, EvalOptions, Report};
use crate::inputs::{fetch_prometheus, read_metrics_file, refuse_long_series};
use crate::prometheus::{self, PrometheusClient};
use crate::serve::exposition::{self, Facts};
use crate::serve::http::{self, Request, Response};
use crate::serve::status;

/// Arguments of `compel serve`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["prometheus", "metrics"])))]
pub struct Args {
    /// Files or folders (every `*.compel` below a folder).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Read metrics from a live Prometheus server (`http://host:9090`).
    #[arg(long, value_name = "URL", conflicts_with = "metrics")]
    pub prometheus: Option<String>,
    /// Metrics files, read again on every cycle (repeatable).
    #[arg(long = "metrics", value_name = "FILE")]
    pub metrics: Vec<PathBuf>,
    /// Time between evaluations (`1m`, `30s`, `250ms`).
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub interval: String,
    /// The address to serve on (port 0 picks a free one; the address is
    /// printed on standard error).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: String,
    /// Append one JSON line per evaluation to FILE: decision id, revision,
    /// `now`, and every decision with its evidence.
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<PathBuf>,
    /// The `max_age` of KPIs that set none (default: `max_age` in
    /// compel.toml, else 1d). compel.toml's `timeout` and `[limits]` apply
    /// too.
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// The bound on each Prometheus query attempt (default 10s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
}

/// What the main loop is told.
enum Event {
    Reload,
    Stop,
}

/// A loaded, compiling policy set.
struct Policy {
    analysis: Arc<Analysis>,
    revision: String,
    fetches: Vec<plan::KpiFetch>,
    /// The queries one cycle sends: the selectors batched per metric name,
    /// and one per distinct `query`.
    queries: u64,
}

/// What the endpoints read.
#[derive(Default)]
struct Shared {
    current: Option<(Arc<Analysis>, Arc<Report>)>,
    facts: Facts,
    reload_error: Option<String>,
    source_error: Option<String>,
    paths: Vec<String>,
    sources: Vec<String>,
}

/// Files' modification times and sizes: a change reloads.
type Fingerprint = Vec<(String, Option<(SystemTime, u64)>)>;

fn fingerprint(args: &Args, analysis: Option<&Analysis>) -> Fingerprint {
    let mut files: Vec<String> = collect_paths(&args.paths).unwrap_or_default();
    if let Some(a) = analysis {
        files.extend(a.files.iter().map(|(_, f)| f.path.clone()).filter(|p| !crate::stdlib::is_std_path(p)));
    }
    files.sort();
    files.dedup();
    files
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
            (p, meta)
        })
        .collect()
}

fn load(args: &Args, max_age: Rational) -> Result<Policy, String> {
    let analysis = analyze_paths(&args.paths).map_err(|u| u.to_string())?;
    let errors: Vec<Diagnostic> = analysis.user_diagnostics().filter(|d| d.is_compile_error()).cloned().collect();
    if !errors.is_empty() {
        let n = errors.len();
        return Err(format!(
            "the policy does not compile ({n} error{}):\n{}",
            if n == 1 { "" } else { "s" },
            render::terminal(&analysis.files, &errors, false)
        ));
    }
    let user = analysis.files.iter().filter(|(_, f)| !crate::stdlib::is_std_path(&f.path));
    let revision = status::revision(user.map(|(_, f)| (f.path.as_str(), f.text.as_str())));
    let fetches = plan::plan(&analysis.model, &analysis.files, max_age);
    let queries = crate::inputs::batch::batches(&fetches).len() as u64;
    Ok(Policy { analysis: Arc::new(analysis), revision, fetches, queries })
}

/// The settings every cycle reads.
struct Settings {
    interval: Duration,
    max_age: Rational,
    client: Option<PrometheusClient>,
    limits: super::Limits,
}

fn settings(args: &Args) -> Result<Settings, String> {
    let bad = |flag: &str, text: &str| format!("`{flag} {text}` is not a duration such as 1m, 30s or 250ms");
    let interval = parse_duration_exact(&args.interval)
        .and_then(|s| s.mul(Rational::int(1000)))
        .map(|ms| ms.ceil())
        .filter(|ms| *ms >= 1)
        .ok_or_else(|| bad("--interval", &args.interval))?;
    // Flags win over compel.toml, which wins over the defaults.
    let (config_max_age, config_timeout, limits) = serve_config(&args.paths)?;
    let max_age = match &args.max_age {
        Some(t) => parse_duration_exact(t).ok_or_else(|| bad("--max-age", t))?,
        None => config_max_age.unwrap_or(eval::DEFAULT_MAX_AGE),
    };
    let client = match &args.prometheus {
        Some(url) => {
            let timeout = match &args.timeout {
                Some(t) => super::eval::parse_duration(t).ok_or_else(|| bad("--timeout", t))?,
                None => config_timeout.unwrap_or(prometheus::DEFAULT_TIMEOUT.as_secs_f64()),
            };
            Some(
                PrometheusClient::new(url)?
                    .with_timeout(Duration::from_secs_f64(timeout.max(0.001)))
                    .with_auth(prometheus::auth_from_env())
                    .with_limits(limits.max_metrics_bytes, limits.max_samples),
            )
        }
        None => None,
    };
    let interval = Duration::from_millis(u64::try_from(interval).unwrap_or(u64::MAX));
    Ok(Settings { interval, max_age, client, limits })
}

/// Runs `compel serve` until SIGTERM or SIGINT: exit 0 after a graceful
/// stop, 2 when it cannot start (the policy does not compile, the address
/// cannot be bound, a flag is wrong).
pub fn run(args: Args) -> Exit {
    let settings = match settings(&args) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut policy = match load(&args, settings.max_age) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let listener = match std::net::TcpListener::bind(&args.listen) {
        Ok(l) => l,
        Err(e) => return fail(&format!("cannot listen on {}: {}", args.listen, super::io_reason(&e))),
    };
    let addr = listener.local_addr().map_or(args.listen.clone(), |a| a.to_string());
    let mut sources: Vec<String> = args.metrics.iter().map(|p| p.display().to_string()).collect();
    sources.extend(settings.client.as_ref().map(|c| format!("prometheus {}", c.base_url)));
    let shared = Arc::new(Mutex::new(Shared {
        facts: Facts {
            version: env!("CARGO_PKG_VERSION").into(),
            revision: policy.revision.clone(),
            ..Facts::default()
        },
        paths: args.paths.iter().map(|p| p.display().to_string()).collect(),
        sources,
        ..Shared::default()
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let handler: Arc<http::Handler> = {
        let shared = Arc::clone(&shared);
        Arc::new(move |req: &Request| respond(&shared, req))
    };
    let server = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || http::serve(listener, handler, stop))
    };
    let (tx, rx) = channel();
    if let Err(e) = watch_signals(tx) {
        eprintln!("warning: signals are not handled ({e}); stop compel serve with SIGKILL");
    }
    eprintln!("compel serve: listening on http://{addr} (policy revision {})", policy.revision);
    main_loop(&args, &settings, &mut policy, &shared, &rx);
    stop.store(true, Ordering::SeqCst);
    let _ = server.join();
    eprintln!("compel serve: stopped");
    Exit::Success
}

fn fail(message: &str) -> Exit {
    eprintln!("error: {message}");
    Exit::Error
}

/// Cycles until told to stop.
fn main_loop(args: &Args, settings: &Settings, policy: &mut Policy, shared: &Mutex<Shared>, rx: &Receiver<Event>) {
    let poll = settings.interval.min(Duration::from_secs(1));
    let mut seen = fingerprint(args, Some(&policy.analysis));
    let mut next = Instant::now();
    let mut cycle: u64 = 0;
    loop {
        // Wait for the tick, reloading on a change or SIGHUP.
        loop {
            let now = Instant::now();
            if now >= next {
                break;
            }
            match rx.recv_timeout((next - now).min(poll)) {
                Ok(Event::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Event::Reload) => reload(args, settings, policy, shared, &mut seen),
                Err(RecvTimeoutError::Timeout) => {
                    if fingerprint(args, Some(&policy.analysis)) != seen {
                        reload(args, settings, policy, shared, &mut seen);
                    }
                }
            }
        }
        cycle += 1;
        evaluate_once(args, settings, policy, shared, cycle);
        next += settings.interval;
        let now = Instant::now();
        if now > next {
            // The cycle outlasted its interval: the next one starts now,
            // late, and missed ticks are not made up.
            if let Ok(mut s) = shared.lock() {
                s.facts.late += 1;
            }
            next = now;
        }
        if let Ok(Event::Stop) = rx.try_recv() {
            return;
        }
    }
}

fn reload(args: &Args, settings: &Settings, policy: &mut Policy, shared: &Mutex<Shared>, seen: &mut Fingerprint) {
    let result = load(args, settings.max_age);
    let Ok(mut s) = shared.lock() else { return };
    match result {
        Ok(p) => {
            *seen = fingerprint(args, Some(&p.analysis));
            eprintln!("compel serve: reloaded, policy revision {}", p.revision);
            s.facts.revision = p.revision.clone();
            s.facts.reload_failed = false;
            s.facts.reloads.0 += 1;
            s.reload_error = None;
            *policy = p;
        }
        Err(e) => {
            // Retried on the next change (or SIGHUP), not on every poll.
            *seen = fingerprint(args, Some(&policy.analysis));
            eprintln!("compel serve: reload failed, still serving revision {}: {e}", policy.revision);
            s.facts.reload_failed = true;
            s.facts.reloads.1 += 1;
            s.reload_error = Some(e);
        }
    }
}

/// The clock in Unix nanoseconds, to the millisecond.
fn clock_ms() -> i64 {
    let ms = match SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    };
    ms.saturating_mul(NANOS / 1000)
}

/// Reads the metric source: the store, and why the source failed.
fn read_source(args: &Args, settings: &Settings, policy: &Policy, now: i64) -> (MetricStore, Option<String>) {
    let mut store = MetricStore::new();
    let error = match &settings.client {
        Some(client) => fetch_prometheus(client, &policy.fetches, now, &mut store).err(),
        None => {
            let limit = settings.limits.max_metrics_bytes;
            let mut budget = limit;
            args.metrics
                .iter()
                .find_map(|p| read_metrics_file(p, None, &mut budget, limit, &mut store).err())
                .map(|u| u.message)
        }
    };
    if let Some(reason) = &error {
        // Fail closed: nothing read from a failed source counts.
        store = MetricStore::new();
        for f in &policy.fetches {
            let key = f.query.as_deref().map_or(f.metric.clone(), query_metric);
            store.add_source_error(key, reason.clone());
        }
    }
    refuse_long_series(&mut store, settings.limits.max_samples);
    (store, error)
}

fn evaluate_once(args: &Args, settings: &Settings, policy: &Policy, shared: &Mutex<Shared>, cycle: u64) {
    let started = Instant::now();
    let now = clock_ms();
    let (store, error) = read_source(args, settings, policy, now);
    let opts = EvalOptions { now, default_max_age: settings.max_age };
    let report = eval::evaluate(&policy.analysis.model, &policy.analysis.files, &store, &opts);
    drop(store);
    if let Some(path) = &args.decision_log {
        let line = status::decision_line(&report, &policy.revision, cycle);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
        if let Err(e) = written {
            eprintln!("compel serve: cannot write the decision log {}: {}", path.display(), super::io_reason(&e));
        }
    }
    if let Some(e) = &error {
        eprintln!("compel serve: metric source failed: {e}");
    }
    let Ok(mut s) = shared.lock() else { return };
    s.facts.source_up = error.is_none();
    s.facts.queries = if settings.client.is_some() { policy.queries } else { 0 };
    s.source_error = error;
    s.facts.evaluations += 1;
    s.facts.evaluated_at = (now / (NANOS / 1000)) as f64 / 1000.0;
    s.facts.duration = started.elapsed().as_secs_f64();
    s.current = Some((Arc::clone(&policy.analysis), Arc::new(report)));
}

/// Answers one request from the latest evaluation. The lock is held only
/// to copy what the answer reads; rendering runs outside it.
fn respond(shared: &Mutex<Shared>, req: &Request) -> Response {
    let Ok(s) = shared.lock() else { return Response::text(503, "unavailable\n") };
    let (current, facts) = (s.current.clone(), s.facts.clone());
    let (reload_error, source_error) = (s.reload_error.clone(), s.source_error.clone());
    let (paths, sources) =
        if req.path == "/report" { (s.paths.clone(), s.sources.clone()) } else { Default::default() };
    drop(s);
    let report = current.as_ref().map(|(_, r)| r.as_ref());
    match req.path.as_str() {
        "/metrics" => {
            let om = exposition::wants_openmetrics(req.accept.as_deref());
            let body = exposition::render(report, &facts, om);
            Response { status: 200, content_type: if om { exposition::OPENMETRICS } else { exposition::TEXT }, body }
        }
        "/status" => Response {
            status: 200,
            content_type: "application/json",
            body: status::status_json(report, &facts, reload_error.as_deref(), source_error.as_deref()),
        },
        "/report" => match &current {
            Some((analysis, report)) => {
                let page = html::Page {
                    paths,
                    sources,
                    command: "compel serve".into(),
                    version: facts.version.clone(),
                    trends: Vec::new(),
                };
                let body = html::render(report, &analysis.model, &analysis.files, &page);
                Response { status: 200, content_type: "text/html; charset=utf-8", body }
            }
            None => Response::text(503, "no evaluation yet\n"),
        },
        "/healthz" => Response::text(200, "ok\n"),
        "/readyz" => match (&current, facts.reload_failed) {
            (None, _) => Response::text(503, "no evaluation yet\n"),
            (Some(_), true) => {
                Response::text(200, "ready (the latest reload failed; the previous policy set serves)\n")
            }
            (Some(_), false) => Response::text(200, "ready\n"),
        },
        "/" => Response::text(200, "compel serve: /metrics /status /report /healthz /readyz\n"),
        _ => Response::text(404, "not found\n"),
    }
}

/// Forwards SIGHUP (reload), SIGTERM and SIGINT (stop) to the main loop.
/// The handlers are installed before it returns.
#[cfg(unix)]
fn watch_signals(tx: Sender<Event>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (mut hup, mut term, mut int) = {
        let _entered = rt.enter();
        (signal(SignalKind::hangup())?, signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?)
    };
    std::thread::Builder::new().name("compel-signals".into()).spawn(move || {
        rt.block_on(async move {
            loop {
                let event = tokio::select! {
                    _ = hup.recv() => Event::Reload,
                    _ = term.recv() => Event::Stop,
                    _ = int.recv() => Event::Stop,
                };
                if tx.send(event).is_err() {
                    return;
                }
            }
        });
    })?;
    Ok(())
}

/// Forwards Ctrl-C (stop) to the main loop.
#[cfg(not(unix))]
fn watch_signals(tx: Sender<Event>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("compel-signals".into()).spawn(move || {
        rt.block_on(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(Event::Stop);
            }
        });
    })?;
    Ok(())
}
