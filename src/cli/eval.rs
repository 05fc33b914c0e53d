//! `compel eval PATH... (--metrics FILE... | --prometheus URL) [--ready NAME|all]...`
//!
//! Gathers the inputs the pure evaluator needs (the checked policy, the
//! metrics, `now`), runs [`crate::eval::evaluate()`], asks the gates
//! `--ready` names ([`Report::ask`]), prints the report and picks the exit
//! code: 0 when every obligation (policy) and every asked gate passes or
//! warns, 1 when one blocks (fails or is unknown), 2 when the policy does
//! not compile or an input is unusable (`--ready` naming no initiative
//! included). A gate nobody asked about is readiness: reported, never
//! blocking.
//!
//! Sources and defaults may come from the project's `compel.toml` (the
//! first path's project, or `--config FILE`), read by [`crate::project`]:
//! `prometheus`, `metrics`, `max_age`, `timeout` and `[limits]`.
//!
//! Flags win: a `--metrics` or `--prometheus` flag replaces both source
//! keys of the file.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{parse_size, use_color, Exit, Unusable};
use crate::diag::{render as diag_render, Code, Diagnostic};
use crate::eval::evaluate::{read_ahead, Fed, Found, KpiFeed, SeriesIndex};
use crate::eval::metrics::{parse_rfc3339, MetricStore};
use crate::eval::report::{Early, EarlyFormat};
use crate::eval::{self, plan, render, EvalOptions, Ready, Report};
pub use crate::inputs::{clock, without_credentials};
use crate::inputs::{fetch_prometheus, read_metrics_file, refuse_long_series};
use crate::project::Projects;
pub use crate::project::{parse_duration, parse_duration_exact};
use crate::prometheus::{self, Auth, PrometheusClient};

/// Output formats of `compel eval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table per initiative, coloured on a terminal.
    Human,
    /// The JSON report (`docs/report.schema.json`).
    Json,
    /// JUnit XML, one test case per criterion.
    Junit,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Arguments of `compel eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy, the metrics and the evaluation's settings.
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// What an evaluation reads: the policy, the metric sources, `now`, the
/// gates asked and the limits. Shared by `compel eval` and `compel report`.
#[derive(clap::Args, Debug)]
pub struct Inputs {
    /// Files or folders (every `*.compel` below a folder).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// A metrics file: JSON, CSV or OpenMetrics text (by extension, else
    /// sniffed); `-` reads standard input. Repeat for several files.
    #[arg(long = "metrics", value_name = "FILE")]
    pub metrics: Vec<PathBuf>,
    /// Read metrics from a live Prometheus server (`http://host:9090`).
    #[arg(long, value_name = "URL", conflicts_with = "metrics")]
    pub prometheus: Option<String>,
    /// The time to evaluate at (RFC 3339, e.g. 2026-11-24T00:00:00Z);
    /// default: the clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// When the values of a metrics file without times were taken (RFC
    /// 3339): a JSON snapshot without `"@time"`, CSV rows without a `time`,
    /// OpenMetrics lines without a timestamp. Without it such values are an
    /// error, so a stale export never looks fresh.
    #[arg(long, value_name = "TIME")]
    pub sample_time: Option<String>,
    /// Ask the gate of initiative NAME (repeatable; `all` asks every
    /// initiative's): a gate asked that fails or is unknown makes the exit
    /// code 1. Without it every gate is readiness, reported but not
    /// blocking.
    #[arg(long = "ready", value_name = "NAME|all")]
    pub ready: Vec<String>,
    /// The `max_age` of KPIs that set none (default 1d).
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// The bound on each Prometheus query attempt (default 10s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// The most samples one series may hold (default 1000000); a series
    /// with more makes its KPIs `unknown`.
    #[arg(long, value_name = "N")]
    pub max_samples: Option<usize>,
    /// The most bytes of metric input: all `--metrics` files together, or
    /// all Prometheus answers together (default 256MiB; units B, KB, MB,
    /// GB, KiB, MiB, GiB).
    #[arg(long, value_name = "SIZE")]
    pub max_metrics_bytes: Option<String>,
    /// A bearer token for Prometheus (prefer `COMPEL_PROMETHEUS_TOKEN`:
    /// flags show in process lists).
    #[arg(long, value_name = "TOKEN", conflicts_with = "user")]
    pub token: Option<String>,
    /// A user for Prometheus basic authentication (or `COMPEL_PROMETHEUS_USER`).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// The password for `--user` (or `COMPEL_PROMETHEUS_PASSWORD`).
    #[arg(long, value_name = "PASSWORD", requires = "user")]
    pub password: Option<String>,
    /// The project configuration (default: the first `compel.toml` found
    /// upward from the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Runs `compel eval`.
pub fn run(args: Args) -> Exit {
    let started = super::RunClock::start();
    let early = match args.format {
        Format::Json => Some(EarlyFormat::Json),
        Format::Human => Some(EarlyFormat::Human { color: use_color() }),
        Format::Junit | Format::Markdown => None,
    };
    match run_inner(&args.inputs, early) {
        Ok((report, early)) => {
            let written = match args.format {
                Format::Json => write_json(&report, early.as_ref().and_then(Early::json)),
                Format::Human => {
                    let pieces = render::human_pieces(&report, use_color(), early.as_ref().and_then(Early::human));
                    write_pieces(&pieces)
                }
                Format::Junit => write_stdout(&render::junit(&report, &junit_run(&args.inputs, &started, &report.now))),
                Format::Markdown => write_stdout(&render::markdown(&report)),
            };
            let exit = match written {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: cannot write the report: {e}");
                    Exit::Error
                }
                _ if report.blocks() => Exit::Blocked,
                _ => Exit::Success,
            };
            // The process ends next: freeing the report item by item is
            // wasted time on a large evaluation.
            std::mem::forget(report);
            std::mem::forget(early);
            exit
        }
        Err(unusable) => {
            if !unusable.message.is_empty() {
                eprintln!("{unusable}");
            }
            // A JUnit consumer still gets a report, recording the failure.
            if args.format == Format::Junit {
                let now = match args.inputs.now.as_deref().and_then(|t| parse_rfc3339(t.trim())) {
                    Some(now) => crate::eval::metrics::format_rfc3339(now),
                    None => crate::eval::metrics::format_rfc3339(clock()),
                };
                let _ =
                    write_stdout(&render::junit_error(&junit_run(&args.inputs, &started, &now), &unusable.to_string()));
            }
            Exit::Error
        }
    }
}

/// `--sample-time`: when the values of metrics files without times were
/// taken.
pub(crate) fn parse_sample_time(text: Option<&str>) -> Result<Option<i64>, String> {
    text.map(|t| {
        parse_rfc3339(t.trim())
            .ok_or_else(|| format!("`--sample-time {t}` is not an RFC 3339 time such as 2026-11-24T00:00:00Z"))
    })
    .transpose()
}

/// `--now`: an RFC 3339 time that names one instant. A leap second
/// (`23:59:60`) is refused: clocks and metric stores disagree on it.
pub(crate) fn parse_now(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    if trimmed.get(16..19) == Some(":60") {
        return Err(format!(
            "`--now {text}` names a leap second (second 60), which clocks and metric stores do not agree on; \
             give a time whose second is 00 to 59, e.g. {}:59{}",
            &trimmed[..16],
            &trimmed[19..]
        ));
    }
    parse_rfc3339(trimmed).ok_or_else(|| format!("`--now {text}` is not an RFC 3339 time such as 2026-11-24T00:00:00Z"))
}

/// The JUnit report's run facts: the evaluation time as `timestamp` and as
/// the `now` property, compel's version, and the metric sources (the
/// flags', else `compel.toml`'s; a Prometheus URL without its credentials).
fn junit_run(args: &Inputs, started: &super::RunClock, now: &str) -> crate::junit::JunitRun {
    let (files, url) = if !args.metrics.is_empty() || args.prometheus.is_some() {
        (args.metrics.clone(), args.prometheus.clone())
    } else {
        load_projects(args).map(|p| (p.first().config.metrics, p.first().config.prometheus)).unwrap_or_default()
    };
    let mut sources: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    sources.extend(url.map(|u| format!("prometheus {}", without_credentials(&u))));
    let mut run =
        started.junit_run(vec![("now".to_string(), now.to_string()), ("metrics".to_string(), sources.join(", "))]);
    // The report is about the evaluation time: with `--now` the same inputs
    // give the same report, whose only varying part is the measured `time`.
    run.timestamp = now.trim_end_matches('Z').to_string();
    run
}

/// Evaluates, or says why the inputs are unusable; with `early`, the
/// report's initiatives are formatted that way as they are evaluated.
fn run_inner(args: &Inputs, early: Option<EarlyFormat>) -> Result<(Report, Option<Early>), Unusable> {
    let evaluated = evaluate_inputs_with(args, early)?;
    // The process ends soon: skip freeing the model and the metrics.
    std::mem::forget(evaluated.analysis);
    std::mem::forget(evaluated.store);
    Ok((evaluated.report, evaluated.early))
}

/// An evaluation and what it was made from.
pub struct Evaluated {
    /// The checked policy: the declarations a report reads.
    pub analysis: crate::analysis::Analysis,
    /// The metrics read.
    pub store: MetricStore,
    /// The decisions, with the gates `--ready` asked.
    pub report: Report,
    /// The metric sources as a person reads them: the files, or the
    /// Prometheus URL without its credentials.
    pub sources: Vec<String>,
    /// The initiatives formatted during the evaluation
    /// ([`evaluate_inputs_with`]).
    pub(crate) early: Option<Early>,
}

/// What `compel eval` does before it renders: reads the configuration,
/// the policy and the metrics, evaluates at `now` and asks the gates
/// `--ready` names. Exit 2's reasons are the error. For a command that
/// ends after it (`eval`, `report`): the evaluation's caches are left to
/// the process' end, not freed.
pub fn evaluate_inputs(args: &Inputs) -> Result<Evaluated, Unusable> {
    evaluate_inputs_with(args, None)
}

/// [`evaluate_inputs`]; with `early`, the way the report is to be written,
/// its initiatives are formatted that way as they are evaluated
/// ([`Evaluated::early`]).
fn evaluate_inputs_with(args: &Inputs, early: Option<EarlyFormat>) -> Result<Evaluated, Unusable> {
    let now = match &args.now {
        Some(text) => parse_now(text)?,
        None => clock(),
    };
    let sample_time = parse_sample_time(args.sample_time.as_deref())?;
    let projects = load_projects(args)?;
    let config = projects.first().config;

    let limits = metric_limits(args, config.limits)?;
    let max_age = match (&args.max_age, &config.max_age) {
        (Some(text), _) => parse_duration_exact(text).ok_or_else(|| duration_error("--max-age", text)),
        (None, Some(secs)) => Ok(*secs),
        (None, None) => Ok(eval::DEFAULT_MAX_AGE),
    };
    let timeout = match (&args.timeout, &config.timeout) {
        (Some(text), _) => parse_duration(text).ok_or_else(|| duration_error("--timeout", text)),
        (None, Some(secs)) => Ok(*secs),
        (None, None) => Ok(prometheus::DEFAULT_TIMEOUT.as_secs_f64()),
    };
    // Flags win over the configuration, as a whole.
    let (files, url) = if !args.metrics.is_empty() || args.prometheus.is_some() {
        (args.metrics.clone(), args.prometheus.clone())
    } else {
        (config.metrics.clone(), config.prometheus.clone())
    };
    let mut sources: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    sources.extend(url.iter().map(|u| format!("prometheus {}", without_credentials(u))));
    let source = metric_source(&files, url);

    // Metric files are read while the policy is analysed: the two are
    // independent, and both take time on a large project. The reading
    // thread then indexes the series and converts every sample value to its
    // exact number, which the evaluation only looks up, and, while the
    // analysis runs, touches memory the analysis and the evaluation then
    // take (`pretouch`). Errors keep their order: the policy's first, then
    // the options', then the files'.
    let mut read_store = MetricStore::new();
    // The policy's files, found once for the analysis and for sizing what
    // the reading thread touches.
    let roots = super::collect_paths(&args.paths);
    let reading = matches!(source, Ok(None)).then_some(Reading { files: &files, sample_time, limits });
    // With the files read, the KPIs' statuses are read ahead at `now`.
    let ahead_at = max_age.as_ref().ok().map(|m| EvalOptions { now, default_max_age: *m });
    let (analysis, read) = analyse_beside(&roots, &projects, reading, &mut read_store, ahead_at);
    let analysis = analysis?;
    refuse_compile_errors(&analysis)?;
    let (mut analysis, syntax) = without_syntax(analysis);

    // The check left its static evaluation out: it runs beside the
    // evaluation below. An error before that runs it first, so that the
    // policy's errors still come before the options' and the files'.
    let mut fetched = MetricStore::new();
    let from_files = matches!(read, Some(Ok(_)));
    let gathered = (|| {
        let max_age = max_age?;
        let timeout = timeout?;
        let ready = Ready::from_names(&args.ready, user_initiatives(&analysis))?;
        let (store, index) = match (source?, read) {
            (None, Some(read)) => read?,
            (Some(url), _) => {
                let client = PrometheusClient::new(&url)?
                    .with_timeout(Duration::from_secs_f64(timeout.max(0.001)))
                    .with_auth(auth_from_flags(args))
                    .with_limits(limits.max_metrics_bytes, limits.max_samples);
                fetch_prometheus(&client, &plan::plan(&analysis.model, &analysis.files, max_age), now, &mut fetched)?;
                refuse_long_series(&mut fetched, limits.max_samples);
                (&fetched, Arc::new(SeriesIndex::new(&fetched)))
            }
            (None, None) => (&fetched, Arc::new(SeriesIndex::new(&fetched))),
        };
        Ok::<_, Unusable>((max_age, ready, store, index))
    })();
    let (max_age, ready, store, index) = match gathered {
        Ok(gathered) => gathered,
        Err(e) => {
            let found = static_verdicts(&analysis)();
            settle(&mut analysis, found)?;
            return Err(e);
        }
    };

    let (opts, alongside) =
        (EvalOptions { now, default_max_age: max_age }, Some(beside(&analysis, syntax, early, &ready)));
    let (mut report, found, early) =
        eval::evaluate::evaluate_beside(&analysis.model, &analysis.files, store, index, &opts, alongside);
    settle(&mut analysis, found)?;
    report.ask(&ready);
    let store = if from_files { read_store } else { fetched };
    Ok(Evaluated { analysis, store, report, sources, early })
}

/// The metrics files to read beside the analysis, their sample time and
/// limits.
struct Reading<'f> {
    files: &'f [PathBuf],
    sample_time: Option<i64>,
    limits: crate::project::Limits,
}

/// The policy at `roots` analysed as `projects` say, with the metric files
/// of `reading` (if any) read into `store` on another thread meanwhile
/// ([`read_beside`]). The check hands each KPI on to that thread as soon
/// as it has its attributes, and the thread reads their statuses ahead at
/// `ahead_at` (`eval::evaluate::read_ahead`).
fn analyse_beside<'s>(
    roots: &Result<Vec<String>, Unusable>,
    projects: &Projects,
    reading: Option<Reading<'_>>,
    store: &'s mut MetricStore,
    ahead_at: Option<EvalOptions>,
) -> (Result<crate::analysis::Analysis, Unusable>, Option<Read<'s>>) {
    let analysed = std::sync::atomic::AtomicBool::new(false);
    let ahead_at = ahead_at.filter(|_| reading.is_some());
    std::thread::scope(|scope| {
        // Made here, so that a panic of the analysis drops the feed as it
        // unwinds: the reader, waiting for KPIs, then ends, and the scope
        // does not wait for it forever.
        let (mut feed, fed) = ahead_at
            .map(|at| {
                let (feed, fed) = KpiFeed::new();
                (feed, (fed, at))
            })
            .unzip();
        let reader = reading.map(|Reading { files, sample_time, limits }| {
            let analysed = &analysed;
            let roots = roots.as_deref().unwrap_or_default();
            scope.spawn(move || read_beside(files, sample_time, limits, store, roots, analysed, fed))
        });
        let mut checked = |model: &_, id| {
            if let Some(feed) = feed.as_mut() {
                feed.checked(model, id);
            }
        };
        let analysis = roots
            .as_deref()
            .map_err(Clone::clone)
            .map(|r| super::analyze_roots_observing(r, projects, false, &mut checked));
        analysed.store(true, std::sync::atomic::Ordering::Relaxed);
        // What is left of the feed goes now, and the reader stops.
        drop(feed);
        let read = reader.map(|r| r.join().unwrap_or_else(|_| Err("reading the metrics failed".to_string().into())));
        (analysis, read)
    })
}

/// The metrics read and indexed, or why they could not be.
type Read<'s> = Result<(&'s MetricStore, Arc<SeriesIndex<'s>>), Unusable>;

/// What the thread beside the analysis does: reads the metric `files`
/// into `store` and indexes it, then touches the memory the analysis of
/// the policy files `roots` and its evaluation are about to take, then
/// reads the status of each KPI `ahead` hands on at its options, unless
/// the analysis is over (`analysed`).
fn read_beside<'s>(
    files: &[PathBuf],
    sample_time: Option<i64>,
    limits: crate::project::Limits,
    store: &'s mut MetricStore,
    roots: &[String],
    analysed: &std::sync::atomic::AtomicBool,
    ahead: Option<(std::sync::mpsc::Receiver<Vec<Fed>>, EvalOptions)>,
) -> Read<'s> {
    let mut budget = limits.max_metrics_bytes;
    for path in files {
        read_metrics_file(path, sample_time, &mut budget, limits.max_metrics_bytes, store)?;
    }
    refuse_long_series(store, limits.max_samples);
    let store: &MetricStore = store;
    let mut index = Arc::new(SeriesIndex::with_exact_values(store));
    super::pretouch::touch_ahead(super::pretouch::ahead_for(super::pretouch::policy_bytes(roots)), analysed);
    if let Some((fed, at)) = ahead {
        read_ahead(store, &mut index, &fed, &at, analysed);
    }
    Ok((store, index))
}

/// The limits on metric input: the configuration's, or the flags'.
fn metric_limits(args: &Inputs, mut limits: crate::project::Limits) -> Result<crate::project::Limits, Unusable> {
    if let Some(n) = args.max_samples {
        limits.max_samples = n;
    }
    if let Some(text) = &args.max_metrics_bytes {
        limits.max_metrics_bytes = parse_size(text)
            .ok_or_else(|| format!("`--max-metrics-bytes {text}` is not a size such as 1048576, 64MiB or 2GB"))?;
    }
    Ok(limits)
}

/// The static evaluation `compel check` ends with, as it would have run
/// there: with the budget the check left and knowing whether the check
/// reported the budget spent, and after the check's own diagnostics
/// (a mistake the check reported is not reported again). Its new
/// diagnostics only.
fn static_verdicts(analysis: &crate::analysis::Analysis) -> impl FnOnce() -> Vec<Diagnostic> + Send + '_ {
    let budget = analysis.model.budget.clone();
    let spent = analysis.diagnostics.iter().any(Diagnostic::is_step_budget);
    move || {
        let mut diags = analysis.diagnostics.clone();
        let known = diags.len();
        crate::check::evaluate_static_with(&analysis.model, &analysis.files, spent, &budget, &mut diags);
        diags.split_off(known)
    }
}

/// [`static_verdicts`] as it runs beside the evaluation: the policies
/// first, the gates once the evaluation has decided them
/// ([`crate::check::StaticRun`]).
fn static_verdicts_beside<'a>(analysis: &'a crate::analysis::Analysis) -> impl FnOnce() -> Found<'a> + Send + 'a {
    let budget = analysis.model.budget.clone();
    let spent = analysis.diagnostics.iter().any(Diagnostic::is_step_budget);
    move || {
        let (model, files, diags) = (&analysis.model, &analysis.files, analysis.diagnostics.clone());
        let mut run = crate::check::StaticRun::new(model, files, spent, budget, diags);
        run.policies();
        run
    }
}

/// What runs beside the evaluation: the static evaluation on the other
/// thread ([`static_verdicts_beside`]), freeing the syntax trees on this one, and
/// the evaluator's caches left to the process' end, and the initiatives
/// formatted as they are evaluated, as the report is to be written
/// (`early`), their details dropped once formatted when nothing is asked
/// about (`ready`): the report is then written from what was formatted.
fn beside<'a>(
    analysis: &'a crate::analysis::Analysis,
    syntax: impl Sized + 'a,
    early: Option<EarlyFormat>,
    ready: &Ready,
) -> eval::evaluate::Beside<'a> {
    eval::evaluate::Beside {
        other: Box::new(static_verdicts_beside(analysis)),
        here: Box::new(move || drop(syntax)),
        ends_process: true,
        early,
        release: *ready == Ready::None,
        static_steps: analysis.model.budget.left(),
    }
}

/// Adds what the static evaluation `found` to the analysis, in order, and
/// refuses the policy if any of it is a compile error.
fn settle(analysis: &mut crate::analysis::Analysis, found: Vec<Diagnostic>) -> Result<(), Unusable> {
    if found.is_empty() {
        return Ok(());
    }
    analysis.diagnostics.extend(found);
    crate::diag::sort(&mut analysis.diagnostics);
    analysis.diagnostics.dedup();
    refuse_compile_errors(analysis)
}

/// The analysis without what the evaluation and the renderers never read
/// once the policy is known to compile (the syntax trees and the editor's
/// name occurrences, about a third of the analysis' memory), and those.
/// The evaluation frees them on the thread that built them, while its
/// other thread starts (first, on one thread), so that the evaluation
/// and its report reuse that memory instead of touching new pages.
fn without_syntax(mut analysis: crate::analysis::Analysis) -> (crate::analysis::Analysis, impl Sized) {
    let asts = std::mem::take(&mut analysis.asts);
    let references = std::mem::take(&mut analysis.model.references);
    let definitions = std::mem::take(&mut analysis.model.definitions);
    (analysis, (asts, references, definitions))
}

/// Where the metrics come from: the files (`None`) or the Prometheus URL;
/// an error when neither or both are given.
fn metric_source(files: &[PathBuf], url: Option<String>) -> Result<Option<String>, String> {
    match (files.is_empty(), url) {
        (true, None) => Err(
            "no metrics: give `--metrics FILE` or `--prometheus URL` (or set `metrics` or `prometheus` in compel.toml)"
                .to_string(),
        ),
        (false, Some(_)) => {
            Err("compel.toml sets both `metrics` and `prometheus`; keep one, or choose with a flag".to_string())
        }
        (false, None) => Ok(None),
        (true, Some(url)) => Ok(Some(url)),
    }
}

/// Exit 2 when the policy does not compile, its errors printed to
/// standard error; an input that cannot be read keeps its code (E0104,
/// E0105).
fn refuse_compile_errors(analysis: &crate::analysis::Analysis) -> Result<(), Unusable> {
    let errors: Vec<Diagnostic> = analysis.user_diagnostics().filter(|d| d.is_compile_error()).cloned().collect();
    if errors.is_empty() {
        return Ok(());
    }
    eprint!("{}", diag_render::terminal(&analysis.files, &errors, stderr_color()));
    let code = errors.iter().map(|d| d.code).find(|c| matches!(c, Code::UnreadableInput | Code::NotUtf8));
    let n = errors.len();
    let message = format!(
        "the policy does not compile ({n} error{}); `compel check` shows the details",
        if n == 1 { "" } else { "s" }
    );
    Err(Unusable { code, message })
}

/// The Prometheus credentials: `--token`, else `--user` and `--password`,
/// else the environment's.
fn auth_from_flags(args: &Inputs) -> Option<Auth> {
    match (&args.token, &args.user) {
        (Some(token), _) => Some(Auth::Bearer(token.clone())),
        (None, Some(user)) => {
            Some(Auth::Basic { user: user.clone(), password: args.password.clone().unwrap_or_default() })
        }
        (None, None) => prometheus::auth_from_env(),
    }
}

/// The names of the initiatives the user's files declare (not the stdlib's).
fn user_initiatives(analysis: &crate::analysis::Analysis) -> Vec<&str> {
    analysis
        .model
        .decls
        .iter()
        .filter(|d| {
            d.kind == crate::check::Kind::Initiative && !crate::stdlib::is_std_path(&analysis.files.get(d.file).path)
        })
        .map(|d| d.name.as_str())
        .collect()
}

/// Writes `report` as JSON to standard output, with its initiatives as
/// formatted `early`.
///
/// The writer gathers small values into buffers of its own and hands the
/// pieces formatted early on as they are, hundreds to a vectored write
/// (`JsonWriter::write_piece_with`). Those writes go to a duplicate of the
/// standard output's descriptor, not through the standard library's
/// buffers, which copy every write smaller than their room: on the
/// 10,000-initiative workload, the 22 MB of the KPI list and the reads,
/// about 2 ms after the evaluation. Where there is no descriptor to
/// duplicate, the report goes through a buffer as before.
fn write_json(
    report: &crate::eval::report::Report,
    early: Option<&crate::eval::report::EarlyJson>,
) -> std::io::Result<()> {
    let mut lock = std::io::stdout().lock();
    lock.flush()?;
    match own_descriptor(&lock) {
        // As the standard library's standard output does, a descriptor
        // that cannot be written to (`EBADF`: say, opened for reading)
        // takes the report without a word, as it does the other formats.
        Some(file) => report.write_json_early(file, early).or_else(|e| match e.raw_os_error() {
            Some(EBADF) => Ok(()),
            _ => Err(e),
        }),
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, lock);
            report.write_json_early(&mut out, early).and_then(|()| out.flush())
        }
    }
}

/// `EBADF`, the same number on every unix system.
const EBADF: i32 = 9;

/// A file of its own on the descriptor of `out` (a duplicate), where the
/// system has one.
#[cfg(unix)]
fn own_descriptor(out: &std::io::StdoutLock<'_>) -> Option<std::fs::File> {
    use std::os::fd::AsFd;
    out.as_fd().try_clone_to_owned().ok().map(std::fs::File::from)
}

#[cfg(not(unix))]
fn own_descriptor(_: &std::io::StdoutLock<'_>) -> Option<std::fs::File> {
    None
}

/// Writes `pieces` one after the other to standard output, the large ones
/// as they are, the small ones gathered first.
fn write_pieces(pieces: &[std::borrow::Cow<'_, str>]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    pieces.iter().try_for_each(|p| out.write_all(p.as_bytes()))?;
    out.flush()
}

/// Writes `text` to standard output.
fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

pub(crate) fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

pub(crate) fn duration_error(flag: &str, text: &str) -> String {
    format!("`{flag} {text}` is not a duration such as 1d, 36h, 90m or 500ms")
}

/// The projects of the paths, with `--config` in place of the first
/// path's `compel.toml` when given.
fn load_projects(args: &Inputs) -> Result<Projects, String> {
    Projects::with_config(&args.paths, args.config.as_deref())
}

/// What `compel serve` takes from the project's `compel.toml` (found as
/// `eval` finds it, from the first path): the default `max_age`, the
/// Prometheus timeout in seconds, and the limits.
pub(crate) fn serve_config(
    paths: &[PathBuf],
) -> Result<(Option<crate::check::rational::Rational>, Option<f64>, super::Limits), String> {
    let config = Projects::with_config(paths, None)?.first().config;
    Ok((config.max_age, config.timeout, config.limits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_out_of_reports() {
        assert_eq!(without_credentials("http://u:secret@host:9090/x"), "http://host:9090/x");
        assert_eq!(without_credentials("http://host:9090"), "http://host:9090");
        assert_eq!(without_credentials("host/a@b"), "host/a@b");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1d"), Some(86_400.0));
        assert_eq!(parse_duration("1.5h"), Some(5400.0));
        assert_eq!(parse_duration("500ms"), Some(0.5));
        assert_eq!(parse_duration("2w"), Some(1_209_600.0));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("3y"), None);
    }
}
