//! Reading the query API's answer: its status, each series' labels and
//! samples (times exact, `NaN` and infinities kept), within the sample
//! limit; native histograms and warnings of a partial result refused; a
//! subquery's points dated conservatively.

use super::LOOKBACK_SECS;
use crate::check::rational::Rational;
use crate::eval::metrics::{Labels, Sample, Series, NANOS};

/// Why an answer cannot be used.
#[derive(Debug)]
pub(super) enum Bad {
    /// It is not what the query API sends.
    Malformed(String),
    /// A series holds more samples than the limit.
    TooLarge(String),
    /// A well-formed answer compel must not decide on (native histograms,
    /// warnings of a partial result), in the server's words.
    Undecidable(String),
}

impl From<String> for Bad {
    fn from(why: String) -> Bad {
        Bad::Malformed(why)
    }
}

impl From<&str> for Bad {
    fn from(why: &str) -> Bad {
        Bad::Malformed(why.to_string())
    }
}

/// Reads a query API answer into series. `expr` names series without a
/// `__name__` label. A series with more than `max_samples` samples is
/// refused.
pub(super) fn parse_answer(body: &[u8], expr: &str, max_samples: usize) -> Result<Vec<Series>, Bad> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not valid JSON ({e})"))?;
    match value.get("status").and_then(|s| s.as_str()) {
        Some("success") => {}
        Some("error") => return Err(format!("it reports an error{}", error_detail(body)).into()),
        _ => return Err("no `status` field".into()),
    }
    // Prometheus answers `success` with `warnings` when the result may be
    // partial (a remote store or a shard did not answer): not a result to
    // decide on.
    if let Some(warnings) = value.get("warnings") {
        let words: Vec<String> = match warnings {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_string))
                .filter(|w| !w.trim().is_empty())
                .collect(),
            serde_json::Value::Null => Vec::new(),
            other => vec![other.to_string()],
        };
        if !words.is_empty() {
            return Err(Bad::Undecidable(format!(
                "with {} (the result may be partial, so compel does not decide on it): {}",
                if words.len() == 1 { "a warning" } else { "warnings" },
                words.join("; ")
            )));
        }
    }
    let data = value.get("data").ok_or("no `data` field")?;
    let kind = data.get("resultType").and_then(|t| t.as_str()).ok_or("no `data.resultType` field")?;
    let result = data.get("result").ok_or("no `data.result` field")?;
    match kind {
        "matrix" | "vector" => {}
        other => {
            return Err(format!(
                "the result is a {other}, not series of samples (is the expression an instant vector?)"
            )
            .into())
        }
    }
    let entries = result.as_array().ok_or("`data.result` is not a list")?;
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let mut labels = Labels::new();
        if let Some(metric) = entry.get("metric") {
            let object = metric.as_object().ok_or_else(|| format!("result[{i}].metric is not an object"))?;
            for (k, v) in object {
                let v = v.as_str().ok_or_else(|| format!("result[{i}].metric.{k} is not a string"))?;
                labels.insert(k.clone(), v.to_string());
            }
        }
        let name = labels.remove("__name__").unwrap_or_else(|| expr.to_string());
        // A native-histogram sample, alone or beside float samples of the
        // same series, is not a number compel can compare.
        let histograms = match (entry.get("histograms"), entry.get("histogram")) {
            (Some(serde_json::Value::Array(h)), _) => h.len(),
            (Some(serde_json::Value::Null) | None, Some(serde_json::Value::Null) | None) => 0,
            _ => 1,
        };
        if histograms > 0 {
            let selector = crate::eval::metrics::format_selector(&name, &labels);
            let what = if histograms == 1 {
                "a native histogram sample".to_string()
            } else {
                format!("{histograms} native histogram samples")
            };
            return Err(Bad::Undecidable(format!(
                "with {what} of `{selector}`, which compel cannot compare with a threshold; \
                 select a float series (e.g. `histogram_quantile(0.9, {name})` in a `query`)"
            )));
        }
        let mut samples = Vec::new();
        if let Some(values) = entry.get("values") {
            let values = values.as_array().ok_or_else(|| format!("result[{i}].values is not a list"))?;
            if values.len() > max_samples {
                return Err(Bad::TooLarge(format!(
                    "{} samples of `{}`, more than the limit of {max_samples} samples per series",
                    values.len(),
                    crate::eval::metrics::format_selector(&name, &labels)
                )));
            }
            for (j, pair) in values.iter().enumerate() {
                samples
                    .push(parse_pair(pair).ok_or_else(|| format!("result[{i}].values[{j}] is not [time, \"value\"]"))?);
            }
        } else if let Some(pair) = entry.get("value") {
            samples.push(parse_pair(pair).ok_or_else(|| format!("result[{i}].value is not [time, \"value\"]"))?);
        } else {
            return Err(format!("result[{i}] has no `values`").into());
        }
        out.push(Series::with_samples(name, labels, samples));
    }
    Ok(out)
}

/// Dates each point of a subquery at its step minus [`LOOKBACK_SECS`]: the
/// oldest the sample behind it may be (see the module documentation).
pub(super) fn date_points_conservatively(series: &mut [Series]) {
    let back = LOOKBACK_SECS * NANOS;
    for s in series {
        for x in &mut s.samples {
            x.time = x.time.saturating_sub(back);
        }
    }
}

/// `[unix seconds, "value"]`; the time kept exactly (Prometheus stores
/// milliseconds).
fn parse_pair(pair: &serde_json::Value) -> Option<Sample> {
    let items = pair.as_array()?;
    let [time, value] = items.as_slice() else {
        return None;
    };
    let time = time.as_f64().filter(|t| t.is_finite())?;
    // Beyond what nanoseconds hold: the far past (stale) or the far future
    // (after `now`, so not read), never wrapped around.
    let far = if time < 0.0 { i64::MIN } else { i64::MAX };
    let time = match Rational::from_f64(time).and_then(|t| t.mul(Rational::int(NANOS))) {
        Some(t) => i64::try_from(t.floor()).unwrap_or(far),
        None => far,
    };
    let value = value.as_str()?;
    let value = match value {
        "NaN" => f64::NAN,
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse::<f64>().ok()?,
    };
    Some(Sample { time, value })
}

/// `: TYPE: MESSAGE` from a Prometheus error body, or a short excerpt of
/// any other body, or nothing.
pub(super) fn error_detail(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let kind = value.get("errorType").and_then(|v| v.as_str());
        let error = value.get("error").and_then(|v| v.as_str());
        return match (kind, error) {
            (Some(k), Some(e)) => format!(": {k}: {e}"),
            (None, Some(e)) => format!(": {e}"),
            _ => String::new(),
        };
    }
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return String::new();
    }
    let short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        format!(": {short}...")
    } else {
        format!(": {short}")
    }
}
