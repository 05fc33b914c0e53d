//! The evaluation's inputs from the host: metric files and a live
//! Prometheus read within the limits, the clock, and why an input cannot
//! be used. `compel eval`, `compel report` and the language server's live
//! values read metrics through these, so they agree on formats, limits and
//! errors.

pub mod batch;

use std::io::Read as _;
use std::path::Path;

use crate::check::rational::Rational;
use crate::diag::Code;
use crate::eval::metrics::{query_metric, MetricStore, Series};
use crate::eval::{plan, sources};
use crate::project::io_reason;
use crate::prometheus::{self, PrometheusClient, Query};

/// Why a command could not do its job (exit 2): the message, and the
/// diagnostic code when the cause has one (an unreadable input is E0105).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unusable {
    /// The code, when the cause has one.
    pub code: Option<Code>,
    /// The reason in plain words.
    pub message: String,
}

impl Unusable {
    /// An input that cannot be read or does not exist (E0105).
    pub fn input(message: impl Into<String>) -> Unusable {
        Unusable { code: Some(Code::UnreadableInput), message: message.into() }
    }
}

impl From<String> for Unusable {
    fn from(message: String) -> Unusable {
        Unusable { code: None, message }
    }
}

impl From<Unusable> for String {
    fn from(u: Unusable) -> String {
        match u.code {
            Some(code) => format!("[{}] {}", code.as_str(), u.message),
            None => u.message,
        }
    }
}

/// `error[E0105]: message`, or `error: message` without a code, as the
/// commands print it on standard error.
impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "error[{}]: {}", code.as_str(), self.message),
            None => write!(f, "error: {}", self.message),
        }
    }
}

/// A URL without the `user:password@` part.
pub fn without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) if scheme.is_empty() => rest[at + 1..].to_string(),
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// The clock, in Unix nanoseconds, to the second (a report made now
/// should not carry the clock's noise).
pub fn clock() -> i64 {
    let secs = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    secs.saturating_mul(crate::eval::metrics::NANOS)
}

/// A series holding more than `max_samples` samples (after every source
/// is merged) is not evaluated: its metric gets a source error, so the KPIs
/// reading it are `unknown` with the reason.
pub fn refuse_long_series(store: &mut MetricStore, max_samples: usize) {
    let long: Vec<(String, String)> = store
        .iter()
        .filter(|s| s.samples.len() > max_samples)
        .map(|s| {
            let reason = format!(
                "`{}` has {} samples, more than the limit of {max_samples} per series (raise it with `--max-samples`)",
                s.selector(),
                s.samples.len()
            );
            (s.metric.clone(), reason)
        })
        .collect();
    for (metric, reason) in long {
        store.add_source_error(metric, reason);
    }
}

/// Reads one metrics file into `store`. `budget` is what is left of the
/// `limit` on the bytes of all metric files together.
pub fn read_metrics_file(
    path: &Path,
    sample_time: Option<i64>,
    budget: &mut u64,
    limit: u64,
    store: &mut MetricStore,
) -> Result<(), Unusable> {
    let shown = path.display().to_string();
    let mut bytes = Vec::new();
    let result = if shown == "-" {
        std::io::stdin().take(budget.saturating_add(1)).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| {
            // Sized from the file's length (at most the budget and one
            // byte), so a large file is read into one allocation instead
            // of a buffer doubled and copied a dozen times.
            let length = f.metadata().map_or(0, |m| m.len());
            bytes.reserve_exact(usize::try_from(length.min(budget.saturating_add(1))).unwrap_or(0));
            f.take(budget.saturating_add(1)).read_to_end(&mut bytes)
        })
    };
    result.map_err(|e| {
        Unusable::input(match shown.as_str() {
            "-" => format!("cannot read standard input: {}", io_reason(&e)),
            _ => format!("cannot read metrics file `{shown}`: {}", io_reason(&e)),
        })
    })?;
    if bytes.len() as u64 > *budget {
        return Err(format!(
            "the metrics files hold more than {limit} bytes in all (at `{shown}`); \
             raise the limit with `--max-metrics-bytes` or `[limits] max_metrics_bytes` in compel.toml"
        )
        .into());
    }
    *budget -= bytes.len() as u64;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!("metrics file `{shown}` is not valid UTF-8 (first bad byte at offset {})", e.utf8_error().valid_up_to())
    })?;
    let series = sources::read_metrics(&shown, &text, sample_time).map_err(|e| Unusable::from(e.to_string()))?;
    // The text's memory goes back before the store grows by the series.
    drop(text);
    store.add_all_from(series, &shown);
    Ok(())
}

/// Fetches every KPI's series concurrently. A query that fails becomes a
/// source error of what the KPI reads (its criteria are `unknown` with the
/// reason); when every query fails, the server is unusable.
///
/// A plain KPI reads the raw samples of its `metric{labels}`; the selectors
/// of one metric are fetched together ([`batch`]), and each KPI picks its
/// own series from the store. A `query` KPI's results are stored under a
/// key of that query alone ([`query_metric`]), never under its `metric`: a
/// plain KPI on the same metric reads only its own raw samples. KPIs asking
/// for the same query share one fetch, with the longest lookback and the
/// finest resolution asked.
pub fn fetch_prometheus(
    client: &PrometheusClient,
    fetches: &[plan::KpiFetch],
    now: i64,
    store: &mut MetricStore,
) -> Result<(), String> {
    let batches = batch::batches(fetches);
    if batches.is_empty() {
        return Ok(());
    }
    let queries: Vec<Query> = batches.iter().map(|b| b.query.clone()).collect();
    let results = client.fetch_range(&queries, now);
    let mut failures = Vec::new();
    for (b, result) in batches.iter().zip(results) {
        if b.raw_query {
            store.add_query(&b.query.expr);
        }
        let key = if b.raw_query { query_metric(&b.query.expr) } else { b.metric.clone() };
        match result {
            Ok(series) if b.raw_query => {
                for s in series {
                    store.add_series(Series { metric: key.clone(), ..s });
                }
            }
            Ok(series) => store.add_all(series),
            Err(reason) => {
                store.add_source_error(key, reason.clone());
                failures.push(reason);
            }
        }
    }
    // E0514 checks a `max_age` written in the KPI; the default one (flag or
    // compel.toml) is only known now.
    for f in fetches.iter().filter(|f| f.default_max_age) {
        let (Some(q), Some(res)) = (&f.query, f.resolution) else { continue };
        let needed = res.add(Rational::int(prometheus::LOOKBACK_SECS));
        if needed.is_some_and(|n| f.max_age < n) {
            store.add_source_error(
                query_metric(q),
                format!(
                    "`{}` takes the default max_age {}, below its resolution {} plus Prometheus' 5m lookback: \
                     a query's points may carry samples that old, so give the KPI a `max_age` of at least that",
                    f.kpi,
                    crate::check::value::fmt_dur(f.max_age),
                    crate::check::value::fmt_dur(res)
                ),
            );
        }
    }
    if failures.len() == batches.len() {
        return Err(format!(
            "no metric could be read from prometheus: {}",
            failures.first().cloned().unwrap_or_default()
        ));
    }
    Ok(())
}
