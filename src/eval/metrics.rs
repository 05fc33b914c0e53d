//! The metric store: named, labelled series of timestamped samples.
//!
//! Every reader ([`super::sources`], the Prometheus client) produces
//! [`Series`]; a [`MetricStore`] merges them, keyed by metric name then by
//! label set, so iteration and selection are deterministic.
//!
//! Times are Unix nanoseconds, UTC: a sub-second timestamp is kept as
//! written, never floored into (or out of) a window. NaN and infinite
//! values are kept as they are: the evaluator turns them into `unknown` with
//! a reason, so they must reach it.
//!
//! One series has one truth per instant: two different values at one
//! timestamp (in one file, or from two sources) are a conflict. The sample
//! is kept with the value NaN and the conflict is recorded with both values
//! and where they came from ([`Series::conflict_at`]), so whatever reads it
//! is `unknown` ("conflicting samples at T: 0.91 in a.json, 0.84 in b.json")
//! and no decision depends on the order of the inputs.
//!
//! A label whose value is empty is the same as no label at all, as in
//! Prometheus: [`MetricStore::add_series`] drops such labels, and a selector
//! pair `k=""` selects the series that do not carry `k`.

use std::collections::BTreeMap;
use std::fmt;

/// A label set: label name to label value, ordered by name.
pub type Labels = BTreeMap<String, String>;

/// One observation of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// When it was observed, in Unix nanoseconds (UTC).
    pub time: i64,
    /// The observed value; may be NaN or infinite.
    pub value: f64,
}

/// A metric name, a label set and the samples observed for them.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The metric name (`fraud_model_accuracy`).
    pub metric: String,
    /// The labels that tell this series apart from others of the same metric.
    pub labels: Labels,
    /// The samples, sorted by time with at most one sample per time
    /// (see [`Series::normalize`]).
    pub samples: Vec<Sample>,
    /// The timestamps with conflicting values, sorted, and the values with
    /// their sources (see [`Series::normalize`]).
    pub conflicts: Vec<Conflict>,
    /// The named sources (files) the samples came from, in the order they
    /// were added, for conflict messages.
    pub sources: Vec<String>,
}

/// Two or more different values of one series at one timestamp.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The timestamp.
    pub time: i64,
    /// The values, each with the source it came from (empty when unknown),
    /// in the order of the sources' names then values.
    pub values: Vec<(f64, String)>,
}

impl Conflict {
    /// `conflicting samples at T: 0.91 in a.json, 0.84 in b.json`.
    pub fn describe(&self) -> String {
        let values: Vec<String> = self
            .values
            .iter()
            .map(|(v, src)| {
                let v = crate::check::value::fmt_num(*v);
                if src.is_empty() {
                    v
                } else {
                    format!("{v} in {src}")
                }
            })
            .collect();
        format!("conflicting samples at {}: {}", format_rfc3339(self.time), values.join(", "))
    }
}

impl Series {
    /// A series without samples.
    pub fn new(metric: impl Into<String>, labels: Labels) -> Series {
        Series { metric: metric.into(), labels, samples: Vec::new(), conflicts: Vec::new(), sources: Vec::new() }
    }

    /// A series from samples in any order; they are normalised.
    pub fn with_samples(metric: impl Into<String>, labels: Labels, samples: Vec<Sample>) -> Series {
        let mut series = Series { metric: metric.into(), labels, samples, conflicts: Vec::new(), sources: Vec::new() };
        series.normalize();
        series
    }

    /// Sorts the samples by time and keeps one sample per time. Equal
    /// samples at one time are one sample; different values at one time
    /// are a [`Conflict`]: the sample becomes NaN and the conflict is
    /// recorded (attributed to `source`, the input being added, when the
    /// values came from it). No order of the inputs decides anything.
    pub fn normalize(&mut self) {
        self.normalize_from("");
    }

    /// [`Series::normalize`], attributing new conflicting values to
    /// `source`.
    pub fn normalize_from(&mut self, source: &str) {
        if self.samples.windows(2).all(|w| w[0].time < w[1].time) {
            return;
        }
        self.samples.sort_by(|a, b| a.time.cmp(&b.time).then(a.value.total_cmp(&b.value)));
        let mut out: Vec<Sample> = Vec::with_capacity(self.samples.len());
        let mut i = 0;
        while i < self.samples.len() {
            let t = self.samples[i].time;
            let mut j = i + 1;
            while j < self.samples.len() && self.samples[j].time == t {
                j += 1;
            }
            let group = &self.samples[i..j];
            let first = group[0];
            let prior = self.conflicts.iter().position(|c| c.time == t);
            let differs = group.iter().any(|s| s.value.to_bits() != first.value.to_bits());
            if differs || prior.is_some() {
                let known = prior.map(|p| self.conflicts[p].values.clone()).unwrap_or_default();
                let mut values = known.clone();
                for s in group {
                    // A value already recorded as conflicting (the NaN marker
                    // included) is not a new one.
                    if s.value.is_nan() && prior.is_some() {
                        continue;
                    }
                    if !values.iter().any(|(v, _)| v.to_bits() == s.value.to_bits()) {
                        values.push((s.value, source.to_string()));
                    }
                }
                if values.len() > 1 {
                    values.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.total_cmp(&b.0)));
                    let conflict = Conflict { time: t, values };
                    match prior {
                        Some(p) => self.conflicts[p] = conflict,
                        None => self.conflicts.push(conflict),
                    }
                    out.push(Sample { time: t, value: f64::NAN });
                } else {
                    out.push(first);
                }
            } else {
                out.push(first);
            }
            i = j;
        }
        self.conflicts.sort_by_key(|c| c.time);
        self.samples = out;
    }

    /// Takes in conflicts found elsewhere (another source's own).
    fn merge_conflicts(&mut self, incoming: Vec<Conflict>) {
        for c in incoming {
            match self.conflicts.iter_mut().find(|o| o.time == c.time) {
                Some(o) => {
                    for v in c.values {
                        if !o.values.iter().any(|(x, _)| x.to_bits() == v.0.to_bits()) {
                            o.values.push(v);
                        }
                    }
                    o.values.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.total_cmp(&b.0)));
                }
                None => self.conflicts.push(c),
            }
        }
        self.conflicts.sort_by_key(|c| c.time);
    }

    /// The conflict at `time`, if the samples there disagree.
    pub fn conflict_at(&self, time: i64) -> Option<&Conflict> {
        if self.conflicts.is_empty() {
            return None;
        }
        self.conflicts.binary_search_by_key(&time, |c| c.time).ok().map(|i| &self.conflicts[i])
    }

    /// The samples with `from <= time <= to` (both ends included).
    pub fn samples_in(&self, from: i64, to: i64) -> &[Sample] {
        let start = self.samples.partition_point(|s| s.time < from);
        let end = self.samples.partition_point(|s| s.time <= to);
        if start >= end {
            &[]
        } else {
            &self.samples[start..end]
        }
    }

    /// The samples with `from <= time < to` (the end excluded), as a drift
    /// statistic's reference window needs.
    pub fn samples_in_half_open(&self, from: i64, to: i64) -> &[Sample] {
        let start = self.samples.partition_point(|s| s.time < from);
        let end = self.samples.partition_point(|s| s.time < to);
        if start >= end {
            &[]
        } else {
            &self.samples[start..end]
        }
    }

    /// The latest sample with `time <= t`.
    pub fn last_at_or_before(&self, t: i64) -> Option<&Sample> {
        let end = self.samples.partition_point(|s| s.time <= t);
        end.checked_sub(1).map(|i| &self.samples[i])
    }

    /// The latest sample of all.
    pub fn last(&self) -> Option<&Sample> {
        self.samples.last()
    }

    /// The series written as a Prometheus selector: `name{k="v",...}`.
    pub fn selector(&self) -> String {
        format_selector(&self.metric, &self.labels)
    }
}

impl fmt::Display for Series {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.selector())
    }
}

/// Writes `name{k="v",...}` (just `name` without labels), escaping `\`, `"`
/// and line feeds in values as Prometheus does.
pub fn format_selector(metric: &str, labels: &Labels) -> String {
    format_selector_of(metric, pairs(labels))
}

/// [`format_selector`] of the pairs `labels`, in their order (a map's,
/// sorted by label, or a KPI's declared selector, also sorted).
pub fn format_selector_of<'l>(metric: &str, labels: impl IntoIterator<Item = (&'l str, &'l str)>) -> String {
    let mut out = String::with_capacity(metric.len() + 32);
    out.push_str(metric);
    let mut open = false;
    for (k, v) in labels {
        out.push(if open { ',' } else { '{' });
        open = true;
        out.push_str(k);
        out.push_str("=\"");
        escape_label_value_into(v, &mut out);
        out.push('"');
    }
    if open {
        out.push('}');
    }
    out
}

/// Appends `value` with `\` → `\\`, `"` → `\"` and line feed → `\n`.
pub fn escape_label_value_into(value: &str, out: &mut String) {
    if !value.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// What a selector found in a store.
#[derive(Debug, PartialEq)]
pub enum Selection<'a> {
    /// No series matches.
    None,
    /// Exactly one series matches.
    One(&'a Series),
    /// More than one series matches: ambiguous, so the evaluator says
    /// `unknown` and names them.
    Ambiguous(Vec<&'a Series>),
}

/// All series known to one evaluation, merged from every source.
///
/// Keyed by metric name, then by label set: iteration order is by metric
/// name, then by labels, whatever order the sources came in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricStore {
    /// The series of each metric by label set, the label set kept as the
    /// model's sorted pairs ([`crate::check::Labels`], ordered as the
    /// label maps are) rather than a second map.
    series: BTreeMap<String, BTreeMap<crate::check::Labels, Series>>,
    errors: BTreeMap<String, String>,
    /// The PromQL expressions (`query` KPIs) whose results this store holds,
    /// each under its own key ([`query_metric`]).
    queries: BTreeMap<String, String>,
}

/// The key a `query` KPI's results are stored under: `query(EXPR)`. No
/// metric name has parentheses, so the results of a query never merge into
/// the raw series of a metric (a plain KPI on the same metric reads only
/// its own samples).
pub fn query_metric(expr: &str) -> String {
    format!("query({})", expr.trim())
}

impl MetricStore {
    /// An empty store.
    pub fn new() -> MetricStore {
        MetricStore::default()
    }

    /// Adds a series. Labels with an empty value are dropped first. If the
    /// store already holds the same metric with the same labels, the samples
    /// are merged; different values at one time are a [`Conflict`].
    pub fn add_series(&mut self, series: Series) {
        self.add_series_from(series, "");
    }

    /// [`MetricStore::add_series`], naming the source (a file) that
    /// conflicts are attributed to.
    pub fn add_series_from(&mut self, series: Series, source: &str) {
        let Series { metric, mut labels, samples, conflicts, sources } = series;
        labels.retain(|_, v| !v.is_empty());
        // One search per map: the metric's entry is made only when new,
        // and the labels are looked up once (the entry keeps its place).
        if !self.series.contains_key(&metric) {
            self.series.insert(metric.clone(), BTreeMap::new());
        }
        let Some(by_labels) = self.series.get_mut(&metric) else { return };
        let conflicts = conflicts
            .into_iter()
            .map(|mut c| {
                for (_, src) in &mut c.values {
                    if src.is_empty() {
                        *src = source.to_string();
                    }
                }
                c
            })
            .collect::<Vec<_>>();
        match by_labels.entry(crate::check::Labels::from(&labels)) {
            std::collections::btree_map::Entry::Occupied(mut entry) => {
                let existing = entry.get_mut();
                let before = existing.sources.join(" or ");
                for src in sources.iter().map(String::as_str).chain((!source.is_empty()).then_some(source)) {
                    if !existing.sources.iter().any(|s| s == src) {
                        existing.sources.push(src.to_string());
                    }
                }
                existing.merge_conflicts(conflicts);
                // A value that disagrees with one already held: the conflict
                // names where each came from.
                let mut found = Vec::new();
                for s in &samples {
                    let at = existing.samples.binary_search_by_key(&s.time, |x| x.time);
                    if let Ok(i) = at {
                        let old = existing.samples[i].value;
                        if old.to_bits() != s.value.to_bits() && existing.conflict_at(s.time).is_none() {
                            found.push(Conflict {
                                time: s.time,
                                values: vec![(old, before.clone()), (s.value, source.to_string())],
                            });
                        }
                    }
                }
                existing.merge_conflicts(found);
                existing.samples.extend(samples);
                existing.normalize_from(source);
            }
            std::collections::btree_map::Entry::Vacant(entry) => {
                let mut s = Series { metric, labels, samples, conflicts, sources };
                if !source.is_empty() && !s.sources.iter().any(|x| x == source) {
                    s.sources.push(source.to_string());
                }
                s.normalize_from(source);
                entry.insert(s);
            }
        }
    }

    /// Adds every series of a source.
    pub fn add_all(&mut self, series: impl IntoIterator<Item = Series>) {
        for s in series {
            self.add_series(s);
        }
    }

    /// Adds every series of a source named `source` (a file).
    pub fn add_all_from(&mut self, series: impl IntoIterator<Item = Series>, source: &str) {
        for s in series {
            self.add_series_from(s, source);
        }
    }

    /// Records that the source of `metric` failed (a Prometheus query that
    /// could not be answered, say): criteria reading it are `unknown` with
    /// this reason. The first error recorded for a metric is kept.
    pub fn add_source_error(&mut self, metric: impl Into<String>, reason: impl Into<String>) {
        self.errors.entry(metric.into()).or_insert_with(|| reason.into());
    }

    /// Records that the results of the PromQL `expr` (a `query` KPI's) are
    /// in this store, under [`query_metric`]`(expr)`, with their source
    /// error if the query failed. A KPI with that `query` then reads them,
    /// not its `metric`.
    pub fn add_query(&mut self, expr: &str) {
        let expr = expr.trim();
        self.queries.entry(expr.to_string()).or_insert_with(|| query_metric(expr));
    }

    /// The key a KPI with `query expr` reads: [`query_metric`]`(expr)` when
    /// the store holds that query's results (from Prometheus), `None` when
    /// it does not (a metrics file: the KPI reads its `metric`).
    pub fn query_key(&self, expr: &str) -> Option<&str> {
        self.queries.get(expr.trim()).map(String::as_str)
    }

    /// The source error recorded for `metric`, if any.
    pub fn source_error(&self, metric: &str) -> Option<&str> {
        self.errors.get(metric).map(String::as_str)
    }

    /// The series of `metric` whose labels include every pair of `selector`
    /// (a pair `k=""` requires the label `k` to be absent), in label order.
    /// More than one match is ambiguous; the caller decides what that means.
    pub fn select(&self, metric: &str, selector: &Labels) -> Vec<&Series> {
        let Some(by_labels) = self.series.get(metric) else {
            return Vec::new();
        };
        by_labels.values().filter(|s| matches_selector(&s.labels, selector)).collect()
    }

    /// Like [`MetricStore::select`], sorted into none, one or ambiguous.
    pub fn select_one(&self, metric: &str, selector: &Labels) -> Selection<'_> {
        let mut found = self.select(metric, selector);
        match found.len() {
            0 => Selection::None,
            1 => Selection::One(found.remove(0)),
            _ => Selection::Ambiguous(found),
        }
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.series.values().map(BTreeMap::len).sum()
    }

    /// Whether the store holds no series.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Every series, by metric name then labels.
    pub fn iter(&self) -> impl Iterator<Item = &Series> + '_ {
        self.series.values().flat_map(BTreeMap::values)
    }

    /// The distinct metric names, sorted (for "did you mean" help).
    pub fn metric_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.series.keys().map(String::as_str)
    }
}

impl FromIterator<Series> for MetricStore {
    fn from_iter<I: IntoIterator<Item = Series>>(iter: I) -> MetricStore {
        let mut store = MetricStore::new();
        store.add_all(iter);
        store
    }
}

impl Extend<Series> for MetricStore {
    fn extend<I: IntoIterator<Item = Series>>(&mut self, iter: I) {
        self.add_all(iter);
    }
}

impl<'a> IntoIterator for &'a MetricStore {
    type Item = &'a Series;
    type IntoIter = Box<dyn Iterator<Item = &'a Series> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// Whether `labels` include every pair of `selector`; a pair with an empty
/// value requires the label to be absent (or empty).
pub fn matches_selector(labels: &Labels, selector: &Labels) -> bool {
    matches_pairs(labels, pairs(selector))
}

/// The pairs of `labels` as string slices, sorted by label.
pub fn pairs(labels: &Labels) -> impl Iterator<Item = (&str, &str)> + Clone {
    labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// [`matches_selector`] with the selector's pairs.
pub fn matches_pairs<'p>(labels: &Labels, mut selector: impl Iterator<Item = (&'p str, &'p str)>) -> bool {
    selector.all(|(k, v)| labels.get(k).map_or("", String::as_str) == v)
}

/// A metrics input that cannot be used: where and why, in plain words.
///
/// Displays as `FILE:LINE:COLUMN: MESSAGE`, leaving out what is unknown
/// (`metrics.json:3:5: series[0].samples[2]: expected [time, value]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsError {
    /// The file, as it should appear in messages (set by
    /// [`super::sources::read_metrics`]).
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column in characters, when known.
    pub column: Option<usize>,
    /// What is wrong, lowercase, no final period.
    pub message: String,
}

impl MetricsError {
    /// An error without a location.
    pub fn new(message: impl Into<String>) -> MetricsError {
        MetricsError { file: None, line: None, column: None, message: message.into() }
    }

    /// An error at a 1-based line and column.
    pub fn at(line: usize, column: usize, message: impl Into<String>) -> MetricsError {
        MetricsError { file: None, line: Some(line), column: Some(column), message: message.into() }
    }

    /// The same error, attributed to `file`.
    pub fn in_file(mut self, file: impl Into<String>) -> MetricsError {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for MetricsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line, self.column) {
            (Some(file), Some(l), Some(c)) => write!(f, "{file}:{l}:{c}: ")?,
            (Some(file), Some(l), None) => write!(f, "{file}:{l}: ")?,
            (Some(file), None, _) => write!(f, "{file}: ")?,
            (None, Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (None, Some(l), None) => write!(f, "line {l}: ")?,
            (None, None, _) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for MetricsError {}
pub use super::time::{
    civil_from_days, days_from_civil, days_in_month, format_rfc3339, format_rfc3339_into, is_leap_year, parse_rfc3339,
    rfc3339_text, secs, NANOS,
};

#[cfg(test)]
mod tests;
