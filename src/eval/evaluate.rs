//! The evaluator: gates, policies and KPIs decided against a metric store.
//!
//! [`evaluate`] is pure: the model, the metrics and `now` are given to it,
//! it reads no clock, file or network, and the same inputs give the same
//! [`Report`]. Expressions are evaluated by the interpreter the checker
//! uses ([`crate::check::interp`]); this module supplies what the checker
//! does not have, `now` and [`StoreMetrics`], and turns each result into an
//! outcome with a reason and the evidence it read.
//!
//! # Reading a KPI's series
//!
//! A KPI names a `metric` and optionally a `labels` selector. Exactly one
//! series of the store must match: none is `unknown` ("no series ..."),
//! several are `unknown` ("ambiguous: 2 series match ..."), and a source
//! error recorded for the metric (a Prometheus query that failed) is
//! `unknown` with the source's reason. Samples after `now` do not exist for
//! the evaluation, so replaying a past `--now` on today's data decides as
//! it did then.
//!
//! # Freshness
//!
//! A KPI's status, its latest value (a KPI used as a number) and `KPI for
//! D` read the latest sample at or before `now`; it must be no older than
//! the KPI's `max_age` ([`EvalOptions::default_max_age`] when unset, one
//! day by default), finite, and in the KPI's unit. Window functions and
//! drift statistics are bounded by their windows instead: their window is
//! their freshness rule.
//!
//! # Windows
//!
//! A window `w` is `[now - w, now]`, both ends included. An aggregate over
//! a window with no sample, or with a NaN or infinite sample, is `unknown`.
//! Percentiles interpolate linearly between the closest ranks, as NumPy's
//! default `percentile` does; `count` is a plain number; every other
//! function is in the KPI's unit. Drift statistics compare the current
//! window `[now - C, now]` with the reference window `[now - C - R, now -
//! C)` as `DRIFT.md` defines ([`super::drift`]).
//!
//! # `KPI for D`
//!
//! Fails when a sample in `[now - D, now]` breaks the target, naming the
//! first such sample. Otherwise it is `unknown` when the series has no
//! sample at or before `now - D` (the history does not cover the window),
//! when the last sample is stale, or when a sample in the window is NaN;
//! otherwise it passes. When the window holds no sample at all, the last
//! sample before it (the value throughout the window) must meet the target.
//!
//! # Outcomes
//!
//! A criterion that holds passes (or warns, when a KPI it used as a
//! condition is at risk); one that does not hold fails; one the data cannot
//! decide is unknown. `expect` and `advise` turn fail and unknown into
//! warn. A gate or policy is the worst of its criteria.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use super::drift;
use super::metrics::{
    format_rfc3339, format_selector, matches_selector, Labels, MetricStore, Sample, Selection, Series,
};
use super::report::{
    CriterionReport, Enforcement, Evidence, GateReport, InitiativeReport, KpiReport, KpiStatus, Num, Outcome,
    PolicyReport, ReferenceWindow, Report, SampleRecord, Summary, Time,
};
use crate::check::builtins::{self, Family};
use crate::check::interp::{self, Env, KpiState, Metrics, Undecided};
use crate::check::value::{fmt_num, Value};
use crate::check::{DeclId, Kind, MeasureUnit, Model};
use crate::stdlib;
use crate::syntax::ast::{self, BinOp, CmpOp, Expr, ExprKind, UnOp};
use crate::text::{FileId, Files};

/// The `max_age` of a KPI that sets none: one day, in seconds.
pub const DEFAULT_MAX_AGE: f64 = 86_400.0;

/// What an evaluation is given besides the model and the metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalOptions {
    /// The time to evaluate at, in Unix seconds: `--now`, or the clock.
    pub now: i64,
    /// The `max_age` of KPIs that set none, in seconds.
    pub default_max_age: f64,
}

impl EvalOptions {
    /// Options for `now` with the default `max_age`.
    pub fn at(now: i64) -> EvalOptions {
        EvalOptions { now, default_max_age: DEFAULT_MAX_AGE }
    }
}

/// Evaluates every gate, policy and KPI of the user's files (the stdlib's
/// own declarations are not reported, but its gates and policies apply).
pub fn evaluate(model: &Model, files: &Files, store: &MetricStore, opts: &EvalOptions) -> Report {
    // A fresh evaluation budget: `compel check` spent its own.
    model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
    let metrics = StoreMetrics::new(model, store, opts);
    let ev = Evaluator::new(model, files, &metrics);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    ev.run(store, opts, workers)
}

/// Below this many initiatives a second thread costs more than it saves.
const PARALLEL_FROM: usize = 256;

// ---------------------------------------------------------------------------
// Metrics over a store

/// The facts about a KPI that reading its data needs.
struct KpiInfo<'m> {
    name: &'m str,
    metric: Option<&'m str>,
    labels: Labels,
    unit: MeasureUnit,
    target: Option<(CmpOp, &'m Value)>,
    warn: Option<(CmpOp, &'m Value)>,
    max_age: f64,
}

impl KpiInfo<'_> {
    fn selector(&self) -> String {
        format_selector(self.metric.unwrap_or(self.name), &self.labels)
    }

    /// A raw number in the KPI's unit, for people: `93.5%`, `260ms`.
    fn show(&self, raw: f64) -> String {
        self.unit.format_raw(raw)
    }

    /// A threshold in the KPI's unit: `>= 92%`.
    fn show_threshold(&self, model: &Model, (op, v): (CmpOp, &Value)) -> String {
        let bound = match self.unit.from_value(v) {
            Some(raw) => self.unit.format_raw(raw),
            None => model.display_value(v),
        };
        format!("{} {bound}", op.as_str())
    }

    /// Whether a raw sample meets a threshold.
    fn meets(&self, (op, v): (CmpOp, &Value), raw: f64) -> Result<bool, String> {
        interp::compare(op, &self.unit.to_value(raw), v).map_err(|u| match u {
            Undecided::Unknown(r) | Undecided::TypeError(r) => r,
            other => format!("{other:?}"),
        })
    }
}

/// The result of one read of a KPI's data: the value or why there is
/// none, a sentence for people, and the evidence for the report.
#[derive(Clone)]
struct Finding<T> {
    result: Result<T, String>,
    reason: String,
    evidence: Evidence,
}

impl<T> Finding<T> {
    fn err(reason: String, evidence: Evidence) -> Finding<T> {
        let mut evidence = evidence;
        evidence.reason = Some(reason.clone());
        Finding { result: Err(reason.clone()), reason, evidence }
    }
}

/// [`Metrics`] over a [`MetricStore`] at a fixed `now`. Every read is
/// recorded as [`Evidence`] until taken with [`StoreMetrics::take_evidence`].
pub struct StoreMetrics<'a> {
    model: &'a Model,
    store: &'a MetricStore,
    index: SeriesIndex<'a>,
    now: i64,
    default_max_age: f64,
    recording: Cell<bool>,
    evidence: RefCell<Vec<Evidence>>,
    /// Each read, made once: gates, the KPI list and explanations ask for
    /// the same values, and the store and `now` do not change.
    statuses: RefCell<HashMap<DeclId, Finding<(KpiState, Sample)>>>,
    windows: RefCell<HashMap<WindowKey, Finding<(Value, usize)>>>,
    helds: RefCell<HashMap<(DeclId, u64), Finding<bool>>>,
}

/// A window read: the KPI, the function and the window's seconds (as bits).
type WindowKey = (DeclId, String, u64);

/// The finding `map` holds for `key`, or `read`'s, kept there.
fn memo<K: std::hash::Hash + Eq, T: Clone>(
    map: &RefCell<HashMap<K, Finding<T>>>,
    key: K,
    read: impl FnOnce() -> Finding<T>,
) -> Finding<T> {
    if let Some(f) = map.borrow().get(&key) {
        return f.clone();
    }
    let f = read();
    map.borrow_mut().insert(key, f.clone());
    f
}

impl<'a> StoreMetrics<'a> {
    /// Metrics over `store` at `opts.now`.
    pub fn new(model: &'a Model, store: &'a MetricStore, opts: &EvalOptions) -> StoreMetrics<'a> {
        StoreMetrics {
            model,
            store,
            index: SeriesIndex::new(store),
            now: opts.now,
            default_max_age: opts.default_max_age,
            recording: Cell::new(true),
            evidence: RefCell::new(Vec::new()),
            statuses: RefCell::new(HashMap::new()),
            windows: RefCell::new(HashMap::new()),
            helds: RefCell::new(HashMap::new()),
        }
    }

    /// Forgets every read made (after the budget was reset).
    fn clear_caches(&self) {
        self.statuses.borrow_mut().clear();
        self.windows.borrow_mut().clear();
        self.helds.borrow_mut().clear();
    }

    /// The evidence recorded since the last call, oldest first.
    pub fn take_evidence(&self) -> Vec<Evidence> {
        std::mem::take(&mut *self.evidence.borrow_mut())
    }

    /// Runs `f` without recording evidence (explanations re-read data).
    fn quietly<T>(&self, f: impl FnOnce() -> T) -> T {
        let was = self.recording.replace(false);
        let out = f();
        self.recording.set(was);
        out
    }

    fn record(&self, e: Evidence) {
        if self.recording.get() {
            self.evidence.borrow_mut().push(e);
        }
    }

    fn info(&self, kpi: DeclId) -> KpiInfo<'a> {
        let d = self.model.decl(kpi);
        let max_age = match d.value("max_age") {
            Some(Value::Dur(s)) => *s,
            _ => self.default_max_age,
        };
        KpiInfo {
            name: &d.name,
            metric: d.str_attr("metric"),
            labels: d.labels(),
            unit: d.measure_unit(),
            target: d.threshold("target"),
            warn: d.threshold("warn"),
            max_age,
        }
    }

    fn evidence(&self, k: &KpiInfo, function: &str) -> Evidence {
        Evidence {
            kpi: k.name.to_string(),
            series: k.selector(),
            function: function.to_string(),
            window: None,
            from: None,
            to: None,
            reference: None,
            value: None,
            unit: None,
            samples: Vec::new(),
            reason: None,
        }
    }

    /// The one series the KPI selects.
    fn select(&self, k: &KpiInfo) -> Result<&'a Series, String> {
        let selector = k.selector();
        let Some(metric) = k.metric else {
            return Err(format!("`{}` names no `metric`", k.name));
        };
        if let Some(err) = self.store.source_error(metric) {
            return Err(format!("the source of `{selector}` failed: {err}"));
        }
        match self.index.select_one(metric, &k.labels) {
            Selection::One(s) => Ok(s),
            Selection::None => {
                let others = self.index.select(metric, &Labels::new());
                let shown: Vec<String> = others.iter().take(3).map(|s| format!("`{}`", s.selector())).collect();
                Err(match others.len() {
                    0 => format!("no series `{selector}`"),
                    n if n <= 3 => format!("no series `{selector}` (the metric has {})", shown.join(", ")),
                    n => format!("no series `{selector}` (the metric has {} and {} more)", shown.join(", "), n - 3),
                })
            }
            Selection::Ambiguous(found) => {
                let mut names: Vec<String> = found.iter().take(3).map(|s| format!("`{}`", s.selector())).collect();
                if found.len() > 3 {
                    names = vec![format!("{} and {} more", names.join(", "), found.len() - 3)];
                }
                Err(format!(
                    "ambiguous: {} series match `{selector}`: {}; give `{}` a `labels` selector that picks one",
                    found.len(),
                    names.join(", "),
                    k.name
                ))
            }
        }
    }

    /// The latest sample at or before `now`, fresh and finite.
    fn latest_sample(&self, k: &KpiInfo, function: &str) -> Finding<Sample> {
        let mut ev = self.evidence(k, function);
        let series = match self.select(k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = series.selector();
        let Some(last) = series.last_at_or_before(self.now).copied() else {
            let r = format!("no sample of `{}` at or before now ({})", ev.series, format_rfc3339(self.now));
            return Finding::err(r, ev);
        };
        ev.samples.push(record(&last));
        // Saturating: a sample from the far past (a hostile source can send
        // i64::MIN) must be stale, never wrap around to "fresh".
        let age = self.now.saturating_sub(last.time) as f64;
        if age > k.max_age {
            let r = format!(
                "stale: the last sample of `{}` is at {}, older than max_age {}",
                ev.series,
                format_rfc3339(last.time),
                fmt_dur(k.max_age)
            );
            return Finding::err(r, ev);
        }
        if !last.value.is_finite() {
            let r = format!(
                "the last sample of `{}`, at {}, is {}",
                ev.series,
                format_rfc3339(last.time),
                fmt_num(last.value)
            );
            return Finding::err(r, ev);
        }
        ev.value = Some(Num(last.value));
        ev.unit = Some(k.unit.name());
        let reason = format!("latest {} at {}", k.show(last.value), format_rfc3339(last.time));
        Finding { result: Ok(last), reason, evidence: ev }
    }

    fn status_finding(&self, kpi: DeclId) -> Finding<(KpiState, Sample)> {
        memo(&self.statuses, kpi, || self.read_status(kpi))
    }

    fn read_status(&self, kpi: DeclId) -> Finding<(KpiState, Sample)> {
        let k = self.info(kpi);
        let f = self.latest_sample(&k, "status");
        let last = match f.result {
            Ok(s) => s,
            Err(r) => return Finding { result: Err(r), reason: f.reason, evidence: f.evidence },
        };
        let Some(target) = k.target else {
            return Finding::err(format!("`{}` has no valid `target`", k.name), f.evidence);
        };
        let shown = k.show_threshold(self.model, target);
        let (state, reason) = match k.meets(target, last.value) {
            Err(r) => return Finding::err(r, f.evidence),
            Ok(false) => (KpiState::Missed, format!("{} misses `{shown}`", f.reason)),
            Ok(true) => {
                let risk = match k.warn {
                    Some(w) => match k.meets(w, last.value) {
                        Ok(b) => Some((b, k.show_threshold(self.model, w))),
                        Err(r) => return Finding::err(r, f.evidence),
                    },
                    None => None,
                };
                match risk {
                    Some((true, w)) => {
                        (KpiState::AtRisk, format!("{} meets `{shown}` but is `{w}` (its `warn`)", f.reason))
                    }
                    _ => (KpiState::Met, format!("{} meets `{shown}`", f.reason)),
                }
            }
        };
        Finding { result: Ok((state, last)), reason, evidence: f.evidence }
    }

    fn latest_finding(&self, kpi: DeclId) -> Finding<Value> {
        let k = self.info(kpi);
        let f = self.latest_sample(&k, "latest");
        let result = f.result.map(|s| k.unit.to_value(s.value));
        Finding { result, reason: f.reason, evidence: f.evidence }
    }

    /// `[now - secs, now]` as inclusive integer bounds.
    fn window_start(&self, secs: f64) -> i64 {
        (self.now as f64 - secs).ceil() as i64
    }

    fn window_finding(&self, kpi: DeclId, func: &str, secs: f64) -> Finding<(Value, usize)> {
        memo(&self.windows, (kpi, func.to_string(), secs.to_bits()), || self.read_window(kpi, func, secs))
    }

    fn read_window(&self, kpi: DeclId, func: &str, secs: f64) -> Finding<(Value, usize)> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, func);
        let from = self.window_start(secs);
        ev.window = Some(fmt_dur(secs));
        ev.from = Some(Time(from));
        ev.to = Some(Time(self.now));
        if !builtins::is(func, Family::Window) {
            return Finding::err(format!("`{func}` is not a window function"), ev);
        }
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = series.selector();
        let samples = series.samples_in(from, self.now);
        ev.samples = samples.iter().map(record).collect();
        if samples.is_empty() {
            let r = format!(
                "no sample of `{}` in the {} window [{}, {}]",
                ev.series,
                fmt_dur(secs),
                format_rfc3339(from),
                format_rfc3339(self.now)
            );
            return Finding::err(r, ev);
        }
        if let Some(bad) = samples.iter().find(|s| !s.value.is_finite()) {
            let r = format!("the sample of `{}` at {} is {}", ev.series, format_rfc3339(bad.time), fmt_num(bad.value));
            return Finding::err(r, ev);
        }
        let raw: Vec<f64> = samples.iter().map(|s| s.value).collect();
        let n = raw.len();
        let x = match func {
            "last" => raw[n - 1],
            "avg" => drift::pairwise_sum(&raw) / n as f64,
            "min" => raw.iter().copied().fold(f64::INFINITY, f64::min),
            "max" => raw.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "sum" => drift::pairwise_sum(&raw),
            "count" => n as f64,
            "p50" => percentile(&raw, 0.5),
            "p90" => percentile(&raw, 0.9),
            "p95" => percentile(&raw, 0.95),
            "p99" => percentile(&raw, 0.99),
            _ => raw[n - 1] - raw[0], // delta
        };
        ev.value = Some(Num(x));
        let (value, shown) = if func == "count" {
            ev.unit = Some("number".to_string());
            (Value::Num(x), fmt_num(x))
        } else {
            ev.unit = Some(k.unit.name());
            (k.unit.to_value(x), k.show(x))
        };
        Finding { result: Ok((value, n)), reason: shown, evidence: ev }
    }

    fn drift_finding(&self, kpi: DeclId, func: &str, current: f64, reference: f64) -> Finding<f64> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, func);
        let cur_from = self.window_start(current);
        let ref_from = self.window_start(current + reference);
        ev.window = Some(fmt_dur(current));
        ev.from = Some(Time(cur_from));
        ev.to = Some(Time(self.now));
        ev.reference = Some(ReferenceWindow {
            window: fmt_dur(reference),
            from: Time(ref_from),
            to: Time(cur_from),
            samples: Vec::new(),
        });
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = series.selector();
        let cur = series.samples_in(cur_from, self.now);
        let refs = series.samples_in_half_open(ref_from, cur_from);
        ev.samples = cur.iter().map(record).collect();
        if let Some(r) = ev.reference.as_mut() {
            r.samples = refs.iter().map(record).collect();
        }
        let finite = |xs: &[Sample]| xs.iter().filter(|s| s.value.is_finite()).count();
        if finite(cur) == 0 {
            let r = format!(
                "no finite sample of `{}` in the current window [{}, {}]",
                ev.series,
                format_rfc3339(cur_from),
                format_rfc3339(self.now)
            );
            return Finding::err(r, ev);
        }
        if finite(refs) == 0 {
            let r = format!(
                "no finite sample of `{}` in the reference window [{}, {})",
                ev.series,
                format_rfc3339(ref_from),
                format_rfc3339(cur_from)
            );
            return Finding::err(r, ev);
        }
        let c: Vec<f64> = cur.iter().map(|s| s.value).collect();
        let r: Vec<f64> = refs.iter().map(|s| s.value).collect();
        let value = match func {
            "psi" => drift::psi(&r, &c),
            "ks" => drift::ks(&r, &c),
            "wasserstein" => drift::wasserstein(&r, &c),
            other => return Finding::err(format!("`{other}` is not a drift statistic"), ev),
        };
        let Some(value) = value else {
            return Finding::err(format!("`{func}` cannot be computed over these windows"), ev);
        };
        ev.value = Some(Num(value));
        ev.unit = Some("number".to_string());
        let reason = format!("{} between {} current and {} reference samples", fmt_num(value), c.len(), r.len());
        Finding { result: Ok(value), reason, evidence: ev }
    }

    fn held_finding(&self, kpi: DeclId, secs: f64) -> Finding<bool> {
        memo(&self.helds, (kpi, secs.to_bits()), || self.read_held(kpi, secs))
    }

    fn read_held(&self, kpi: DeclId, secs: f64) -> Finding<bool> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, "for");
        let from = self.window_start(secs);
        let dur = fmt_dur(secs);
        ev.window = Some(dur.clone());
        ev.from = Some(Time(from));
        ev.to = Some(Time(self.now));
        let Some(target) = k.target else {
            return Finding::err(format!("`{}` has no valid `target`", k.name), ev);
        };
        let shown = k.show_threshold(self.model, target);
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = series.selector();
        let in_window = series.samples_in(from, self.now);
        // The sample that covers the window's start: the latest at or before it.
        let cover_at = (self.now as f64 - secs).floor() as i64;
        let covering = series.last_at_or_before(cover_at).copied();
        let last = series.last_at_or_before(self.now).copied();
        // Samples whose values the window holds: those inside it, or, when
        // there are none, the value carried into it from before.
        let mut held: Vec<Sample> = in_window.to_vec();
        if held.is_empty() {
            if let Some(c) = covering {
                held.push(c);
            }
        }
        ev.samples = held.iter().map(record).collect();
        if let Some(c) = covering {
            if !in_window.is_empty() && c.time < from {
                ev.samples.insert(0, record(&c));
            }
        }
        // 1. A breaking sample fails, whatever else is wrong.
        let mut breaking = Vec::new();
        for s in held.iter().filter(|s| s.value.is_finite()) {
            match k.meets(target, s.value) {
                Ok(true) => {}
                Ok(false) => breaking.push(*s),
                Err(r) => return Finding::err(r, ev),
            }
        }
        if let Some(first) = breaking.first() {
            let more = match breaking.len() - 1 {
                0 => String::new(),
                1 => " (and 1 more sample)".to_string(),
                n => format!(" (and {n} more samples)"),
            };
            let reason = format!(
                "{} at {} breaks `{shown}` inside the {dur} window{more}",
                k.show(first.value),
                format_rfc3339(first.time)
            );
            ev.value = Some(Num(first.value));
            ev.unit = Some(k.unit.name());
            return Finding { result: Ok(false), reason, evidence: ev };
        }
        // 2. Otherwise: the history must cover the window, the last sample
        //    be fresh and every sample be a number.
        let Some(last) = last else {
            let r = format!("no sample of `{}` at or before now ({})", ev.series, format_rfc3339(self.now));
            return Finding::err(r, ev);
        };
        if covering.is_none() {
            let first = series.samples_in(i64::MIN, self.now);
            let n = first.len();
            let first_time = first.first().map_or(last.time, |s| s.time);
            let who = if n == 1 { "one sample".to_string() } else { format!("{n} samples") };
            let r = format!(
                "{who} cannot show {dur}: the first sample is at {}, after now - {dur} ({})",
                format_rfc3339(first_time),
                format_rfc3339(cover_at)
            );
            return Finding::err(r, ev);
        }
        if self.now.saturating_sub(last.time) as f64 > k.max_age {
            let r = format!(
                "stale: the last sample of `{}` is at {}, older than max_age {}",
                ev.series,
                format_rfc3339(last.time),
                fmt_dur(k.max_age)
            );
            return Finding::err(r, ev);
        }
        if let Some(bad) = held.iter().find(|s| !s.value.is_finite()) {
            let r = format!("the sample of `{}` at {} is {}", ev.series, format_rfc3339(bad.time), fmt_num(bad.value));
            return Finding::err(r, ev);
        }
        let n = held.len();
        let worst = worst_sample(target.0, &held);
        let reason = match worst {
            Some(w) if n > 1 => format!(
                "all {n} samples in the {dur} window meet `{shown}` (the closest, {} at {})",
                k.show(w.value),
                format_rfc3339(w.time)
            ),
            _ if in_window.is_empty() => format!(
                "the value carried into the {dur} window, {} at {}, meets `{shown}`",
                k.show(held[0].value),
                format_rfc3339(held[0].time)
            ),
            _ => format!(
                "the one sample in the {dur} window, {} at {}, meets `{shown}`",
                k.show(held[0].value),
                format_rfc3339(held[0].time)
            ),
        };
        Finding { result: Ok(true), reason, evidence: ev }
    }

    /// Records a finding's evidence and returns its result.
    fn yield_finding<T>(&self, f: Finding<T>) -> Result<T, Undecided> {
        self.record(f.evidence);
        f.result.map_err(Undecided::Unknown)
    }
}

impl Metrics for StoreMetrics<'_> {
    fn status(&self, kpi: DeclId) -> Result<KpiState, Undecided> {
        self.yield_finding(self.status_finding(kpi)).map(|(s, _)| s)
    }

    fn latest(&self, kpi: DeclId) -> Result<Value, Undecided> {
        self.yield_finding(self.latest_finding(kpi))
    }

    fn window(&self, kpi: DeclId, func: &str, window_secs: f64) -> Result<Value, Undecided> {
        self.yield_finding(self.window_finding(kpi, func, window_secs)).map(|(v, _)| v)
    }

    fn drift(&self, kpi: DeclId, func: &str, current_secs: f64, reference_secs: f64) -> Result<f64, Undecided> {
        self.yield_finding(self.drift_finding(kpi, func, current_secs, reference_secs))
    }

    fn held_for(&self, kpi: DeclId, secs: f64) -> Result<bool, Undecided> {
        self.yield_finding(self.held_finding(kpi, secs))
    }
}

/// The store's series indexed by metric and by label pair, so selecting
/// one of many series of a metric does not scan them all. Selects exactly
/// as [`MetricStore::select`] does (same matches, same order).
struct SeriesIndex<'a> {
    metrics: HashMap<&'a str, MetricSeries<'a>>,
}

#[derive(Default)]
struct MetricSeries<'a> {
    /// Every series of the metric, in the store's order.
    all: Vec<&'a Series>,
    /// For each `(label, value)`, the positions in `all` of the series
    /// carrying it, ascending.
    postings: HashMap<(&'a str, &'a str), Vec<usize>>,
}

impl<'a> SeriesIndex<'a> {
    fn new(store: &'a MetricStore) -> SeriesIndex<'a> {
        let mut metrics: HashMap<&'a str, MetricSeries<'a>> = HashMap::new();
        for s in store.iter() {
            let m = metrics.entry(s.metric.as_str()).or_default();
            let at = m.all.len();
            m.all.push(s);
            for (k, v) in &s.labels {
                m.postings.entry((k.as_str(), v.as_str())).or_default().push(at);
            }
        }
        SeriesIndex { metrics }
    }

    fn select(&self, metric: &str, selector: &Labels) -> Vec<&'a Series> {
        let Some(m) = self.metrics.get(metric) else { return Vec::new() };
        // The shortest posting list of a pair that requires a label value;
        // pairs with an empty value (the label must be absent) cannot narrow.
        let mut best: Option<&Vec<usize>> = None;
        for (k, v) in selector.iter().filter(|(_, v)| !v.is_empty()) {
            match m.postings.get(&(k.as_str(), v.as_str())) {
                None => return Vec::new(),
                Some(list) if best.is_none_or(|b| list.len() < b.len()) => best = Some(list),
                Some(_) => {}
            }
        }
        let keep = |s: &&'a Series| matches_selector(&s.labels, selector);
        match best {
            Some(list) => list.iter().map(|i| m.all[*i]).filter(keep).collect(),
            None => m.all.iter().copied().filter(keep).collect(),
        }
    }

    fn select_one(&self, metric: &str, selector: &Labels) -> Selection<'a> {
        let mut found = self.select(metric, selector);
        match found.len() {
            0 => Selection::None,
            1 => Selection::One(found.remove(0)),
            _ => Selection::Ambiguous(found),
        }
    }
}

fn record(s: &Sample) -> SampleRecord {
    SampleRecord { time: Time(s.time), value: Num(s.value) }
}

/// The sample closest to breaking a threshold (the largest under `<`/`<=`,
/// the smallest under `>`/`>=`).
fn worst_sample(op: CmpOp, samples: &[Sample]) -> Option<Sample> {
    let mut it = samples.iter().copied();
    let first = it.next()?;
    Some(match op {
        CmpOp::Lt | CmpOp::Le => it.fold(first, |a, b| if b.value >= a.value { b } else { a }),
        CmpOp::Gt | CmpOp::Ge => it.fold(first, |a, b| if b.value <= a.value { b } else { a }),
        CmpOp::Eq | CmpOp::Ne => return None,
    })
}

/// The `q`-th quantile (0 to 1) by linear interpolation between closest
/// ranks, as `numpy.percentile` (method `linear`) computes it.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let index = (n - 1) as f64 * q;
    let below = index.floor();
    let lo = (below as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = index - below;
    let (a, b) = (v[lo], v[hi]);
    // NumPy's `_lerp`: exact at both ends.
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// A duration for people, in the largest of `d h m s` that divides it
/// (`7d`, not `1w`: windows are written in days), else in milliseconds.
pub fn fmt_dur(secs: f64) -> String {
    for (unit, f) in [("d", 86_400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)] {
        if secs != 0.0 && (secs / f).fract() == 0.0 && secs.abs() >= f {
            return format!("{}{unit}", fmt_num(secs / f));
        }
    }
    if secs == 0.0 {
        return "0s".to_string();
    }
    format!("{}ms", fmt_num(secs * 1000.0))
}

/// `a, b, c and 2 more`.
fn list_some(items: &[String], max: usize) -> String {
    if items.len() <= max {
        return items.join(", ");
    }
    format!("{} and {} more", items[..max].join(", "), items.len() - max)
}

// ---------------------------------------------------------------------------
// Gates, policies and KPIs

struct Evaluator<'a> {
    model: &'a Model,
    files: &'a Files,
    metrics: &'a StoreMetrics<'a>,
    now: i64,
    kpi_cache: RefCell<BTreeMap<DeclId, KpiReport>>,
    /// The source text of expressions by file and span ([`source_text`]):
    /// a top-level gate's criteria are quoted for every initiative.
    texts: RefCell<HashMap<(FileId, u32, u32), String>>,
}

impl<'a> Evaluator<'a> {
    fn new(model: &'a Model, files: &'a Files, metrics: &'a StoreMetrics<'a>) -> Evaluator<'a> {
        Evaluator {
            model,
            files,
            metrics,
            now: metrics.now,
            kpi_cache: RefCell::new(BTreeMap::new()),
            texts: RefCell::new(HashMap::new()),
        }
    }

    /// The reports of `initiatives`, in order. With two `workers`, the second
    /// half is evaluated on another thread with its own reads and caches
    /// (evaluation is a pure function of the model, the store and `now`, so
    /// the reports are the same). Should the shared step budget run out
    /// meanwhile, where it ran out would depend on timing: then everything
    /// is evaluated again on one thread, so the report stays deterministic.
    fn initiatives(
        &self,
        initiatives: &[DeclId],
        top_gates: &[usize],
        store: &MetricStore,
        opts: &EvalOptions,
        workers: usize,
    ) -> Vec<InitiativeReport> {
        let one = |ev: &Evaluator<'_>, ids: &[DeclId]| -> Vec<InitiativeReport> {
            ids.iter().map(|id| ev.initiative(*id, top_gates)).collect()
        };
        if workers < 2 || initiatives.len() < PARALLEL_FROM {
            return one(self, initiatives);
        }
        let (first, second) = initiatives.split_at(initiatives.len() / 2);
        let (model, files) = (self.model, self.files);
        let reports = std::thread::scope(|scope| {
            let other = scope.spawn(move || {
                let metrics = StoreMetrics::new(model, store, opts);
                let ev = Evaluator::new(model, files, &metrics);
                let reports = one(&ev, second);
                (reports, ev.kpi_cache.into_inner())
            });
            let mut reports = one(self, first);
            match other.join() {
                Ok((rest, kpis)) => {
                    reports.extend(rest);
                    // The KPI list at the end reads them all: keep the
                    // other half's too (the same reports either way).
                    let mut cache = self.kpi_cache.borrow_mut();
                    for (id, report) in kpis {
                        cache.entry(id).or_insert(report);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
            reports
        });
        if self.model.budget.exhausted() {
            self.model.budget.reset(interp::step_limit(self.model, interp::MAX_EVAL_STEPS_EVAL));
            self.kpi_cache.borrow_mut().clear();
            self.metrics.clear_caches();
            return one(self, initiatives);
        }
        reports
    }

    /// [`source_text`] of `e` in `file`, computed once.
    fn text_of(&self, file: FileId, e: &Expr) -> String {
        let key = (file, e.span.start, e.span.end);
        if let Some(t) = self.texts.borrow().get(&key) {
            return t.clone();
        }
        let t = source_text(&self.files.get(file).text, e);
        self.texts.borrow_mut().insert(key, t.clone());
        t
    }

    fn is_user(&self, file: FileId) -> bool {
        !stdlib::is_std_path(&self.files.get(file).path)
    }

    /// Declarations sorted by file path then position.
    fn sorted(&self, mut ids: Vec<DeclId>) -> Vec<DeclId> {
        ids.sort_by(|a, b| {
            let (da, db) = (self.model.decl(*a), self.model.decl(*b));
            self.files.get(da.file).path.cmp(&self.files.get(db.file).path).then(da.span.start.cmp(&db.span.start))
        });
        ids
    }

    fn run(&self, store: &MetricStore, opts: &EvalOptions, workers: usize) -> Report {
        let mut summary = Summary::default();
        let mut outcome = Outcome::Pass;

        let initiatives: Vec<DeclId> = self.sorted(
            (0..self.model.decls.len() as u32)
                .map(DeclId)
                .filter(|id| {
                    let d = self.model.decl(*id);
                    d.kind == Kind::Initiative && self.is_user(d.file)
                })
                .collect(),
        );
        let top_gates: Vec<usize> =
            (0..self.model.gates.len()).filter(|g| self.model.gates[*g].owner.is_none()).collect();
        let init_reports = self.initiatives(&initiatives, &top_gates, store, opts, workers);
        for r in &init_reports {
            for g in &r.gates {
                summary.add(g.outcome);
                outcome = outcome.worst(g.outcome);
            }
        }

        let policies = self.policies();
        for p in &policies {
            summary.add(p.outcome);
            outcome = outcome.worst(p.outcome);
        }

        let kpis: Vec<DeclId> = self.sorted(
            (0..self.model.decls.len() as u32)
                .map(DeclId)
                .filter(|id| {
                    let d = self.model.decl(*id);
                    d.kind == Kind::Kpi && self.is_user(d.file)
                })
                .collect(),
        );
        let kpis = kpis.into_iter().map(|k| self.kpi(k)).collect();

        Report { outcome, now: format_rfc3339(self.now), summary, initiatives: init_reports, policies, kpis }
    }

    fn kpi(&self, id: DeclId) -> KpiReport {
        if let Some(r) = self.kpi_cache.borrow().get(&id) {
            return r.clone();
        }
        self.metrics.take_evidence();
        let f = self.metrics.status_finding(id);
        self.metrics.record(f.evidence);
        let evidence = self.metrics.take_evidence();
        let d = self.model.decl(id);
        let unit = d.measure_unit().name();
        let r = match f.result {
            Ok((state, sample)) => KpiReport {
                name: d.name.clone(),
                status: match state {
                    KpiState::Met => KpiStatus::Met,
                    KpiState::AtRisk => KpiStatus::AtRisk,
                    KpiState::Missed => KpiStatus::Missed,
                },
                value: Some(Num(sample.value)),
                unit,
                time: Some(format_rfc3339(sample.time)),
                reason: f.reason,
                evidence,
            },
            Err(reason) => KpiReport {
                name: d.name.clone(),
                status: KpiStatus::Unknown,
                value: None,
                unit,
                time: None,
                reason,
                evidence,
            },
        };
        self.kpi_cache.borrow_mut().insert(id, r.clone());
        r
    }

    fn initiative(&self, id: DeclId, top_gates: &[usize]) -> InitiativeReport {
        let d = self.model.decl(id);
        let file = self.files.get(d.file);
        let stage = d.reference("stage");
        let mut kpi_ids: Vec<DeclId> = Vec::new();
        for attr in ["kpis", "contributes_to"] {
            if let Some(Value::List(items)) = d.value(attr) {
                for item in items {
                    if let Value::Decl(k) = item {
                        if self.model.decl(*k).kind == Kind::Kpi && !kpi_ids.contains(k) {
                            kpi_ids.push(*k);
                        }
                    }
                }
            }
        }
        let kpis = kpi_ids.into_iter().map(|k| self.kpi(k)).collect();

        let mut gates = Vec::new();
        if let Some(stage) = stage {
            let applicable: Vec<usize> = top_gates
                .iter()
                .copied()
                .filter(|g| {
                    let g = &self.model.gates[*g];
                    g.from == Some(stage) && self.model.sees(d.file, g.file)
                })
                .chain(d.gates.iter().copied().filter(|g| self.model.gates[*g].from == Some(stage)))
                .collect();
            // One entry per transition, in the order transitions first appear.
            let mut groups: Vec<(String, String, Vec<usize>)> = Vec::new();
            for gi in applicable {
                let g = &self.model.gates[gi];
                let to = g.to.map_or_else(|| g.to_name.clone(), |t| self.model.decl(t).name.clone());
                match groups.iter_mut().find(|(_, t, _)| *t == to) {
                    Some(group) => group.2.push(gi),
                    None => groups.push((self.model.decl(stage).name.clone(), to, vec![gi])),
                }
            }
            for (from, to, members) in groups {
                let mut criteria = Vec::new();
                for gi in members {
                    let g = &self.model.gates[gi];
                    let env = self.env(g.file, id);
                    for c in &g.criteria {
                        criteria.push(self.criterion(&env, g.file, c));
                    }
                }
                let outcome = criteria.iter().fold(Outcome::Pass, |o, c| o.worst(c.outcome));
                let reason = summarize(&criteria, outcome);
                gates.push(GateReport { from, to, outcome, reason, criteria });
            }
        }
        InitiativeReport {
            name: d.name.clone(),
            stage: stage.map_or_else(String::new, |s| self.model.decl(s).name.clone()),
            file: file.path.clone(),
            line: file.line_col(d.name_span.start as usize).line,
            kpis,
            gates,
        }
    }

    fn env(&self, file: FileId, subject: DeclId) -> Env<'_> {
        Env {
            model: self.model,
            file,
            subject: Some(subject),
            now: Some(self.now),
            metrics: Some(self.metrics as &dyn Metrics),
            at_risk: Cell::new(false),
            let_depth: Cell::new(0),
        }
    }

    fn policies(&self) -> Vec<PolicyReport> {
        let mut order: Vec<usize> = (0..self.model.policies.len()).collect();
        order.sort_by(|a, b| {
            let (pa, pb) = (&self.model.policies[*a], &self.model.policies[*b]);
            self.files.get(pa.file).path.cmp(&self.files.get(pb.file).path).then(pa.span.start.cmp(&pb.span.start))
        });
        let mut out = Vec::new();
        for pi in order {
            let p = &self.model.policies[pi];
            let Some(kind) = p.subject else { continue };
            let subjects: Vec<DeclId> =
                self.model.subjects_seeing(p.file, kind).filter(|s| self.is_user(self.model.decl(*s).file)).collect();
            let pfile = self.files.get(p.file);
            for subject in self.sorted(subjects) {
                let env = self.env(p.file, subject);
                let mut criteria = Vec::new();
                if let Some(filter) = &p.filter {
                    self.metrics.take_evidence();
                    let r = interp::truth(&env, filter);
                    let evidence = self.metrics.take_evidence();
                    match r {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(u) => {
                            let at = pfile.line_col(filter.span.start as usize);
                            criteria.push(CriterionReport {
                                text: format!("where {}", source_text(pfile.text.as_str(), filter)),
                                enforcement: Enforcement::Where,
                                outcome: Outcome::Unknown,
                                holds: None,
                                reason: format!("cannot tell whether the policy applies: {}", self.undecided(&u)),
                                because: None,
                                file: pfile.path.clone(),
                                line: at.line,
                                column: at.column,
                                evidence,
                            });
                        }
                    }
                }
                if criteria.is_empty() {
                    for c in &p.criteria {
                        criteria.push(self.criterion(&env, p.file, c));
                    }
                }
                let outcome = criteria.iter().fold(Outcome::Pass, |o, c| o.worst(c.outcome));
                let reason = summarize(&criteria, outcome);
                out.push(PolicyReport {
                    name: p.name.clone(),
                    subject: self.model.decl(subject).name.clone(),
                    kind: kind.as_str().to_string(),
                    outcome,
                    reason,
                    file: pfile.path.clone(),
                    line: pfile.line_col(p.name_span.start as usize).line,
                    criteria,
                });
            }
        }
        out
    }

    fn criterion(&self, env: &Env, file: FileId, c: &ast::Criterion) -> CriterionReport {
        self.metrics.take_evidence();
        env.at_risk.set(false);
        let result = interp::truth(env, &c.expr);
        let at_risk = env.at_risk.get();
        let evidence = self.metrics.take_evidence();
        let (decided, holds) = match &result {
            Ok(true) if at_risk => (Outcome::Warn, Some(true)),
            Ok(true) => (Outcome::Pass, Some(true)),
            Ok(false) => (Outcome::Fail, Some(false)),
            Err(_) => (Outcome::Unknown, None),
        };
        let (enforcement, outcome) = match c.enforcement {
            ast::Enforcement::Require => (Enforcement::Require, decided),
            ast::Enforcement::Expect => (Enforcement::Expect, if decided.blocks() { Outcome::Warn } else { decided }),
            ast::Enforcement::Advise => (Enforcement::Advise, if decided.blocks() { Outcome::Warn } else { decided }),
        };
        let src = self.files.get(file);
        let reason = self.metrics.quietly(|| {
            let explainer = Explainer { ev: self, file };
            match &result {
                Ok(b) => explainer.describe(env, &c.expr, *b),
                Err(u) => self.undecided(u),
            }
        });
        env.at_risk.set(false);
        let at = src.line_col(c.span.start as usize);
        CriterionReport {
            text: format!("{} {}", c.enforcement.as_str(), self.text_of(file, &c.expr)),
            enforcement,
            outcome,
            holds,
            reason,
            because: c.because.as_ref().map(|b| b.value.clone()),
            file: src.path.clone(),
            line: at.line,
            column: at.column,
            evidence,
        }
    }

    fn undecided(&self, u: &Undecided) -> String {
        match u {
            Undecided::Unknown(r) | Undecided::TypeError(r) => r.clone(),
            Undecided::Absent { decl, attr } => format!("`{}` does not set `{attr}`", self.model.decl(*decl).name),
            Undecided::Deferred(what) => format!("`{what}` is not available"),
        }
    }
}

/// A gate's or policy's outcome in a sentence.
fn summarize(criteria: &[CriterionReport], outcome: Outcome) -> String {
    let named = |o: Outcome| -> Vec<String> {
        criteria.iter().filter(|c| c.outcome == o).map(|c| format!("`{}`", c.text)).collect()
    };
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    match outcome {
        Outcome::Pass if criteria.is_empty() => "no criteria".to_string(),
        Outcome::Pass => format!(
            "{} pass",
            if criteria.len() == 1 {
                "the one criterion".to_string()
            } else {
                format!("all {} criteria", criteria.len())
            }
        ),
        Outcome::Warn => {
            let w = named(Outcome::Warn);
            format!("passes with {}: {}", plural(w.len(), "warning", "warnings"), list_some(&w, 3))
        }
        Outcome::Fail => {
            let f = named(Outcome::Fail);
            let u = named(Outcome::Unknown);
            let mut s = format!(
                "blocked: {} failed: {}",
                plural(f.len(), "blocking criterion", "blocking criteria"),
                list_some(&f, 3)
            );
            if !u.is_empty() {
                s.push_str(&format!("; {} unknown: {}", plural(u.len(), "more is", "more are"), list_some(&u, 3)));
            }
            s
        }
        Outcome::Unknown => {
            let u = named(Outcome::Unknown);
            format!(
                "blocked: {} cannot be decided: {}",
                plural(u.len(), "blocking criterion", "blocking criteria"),
                list_some(&u, 3)
            )
        }
    }
}

/// An expression's source text, comments dropped and whitespace collapsed
/// (outside string literals) to single spaces.
pub fn source_text(text: &str, e: &Expr) -> String {
    let raw = text.get(e.span.range()).unwrap_or("");
    collapse(raw)
}

fn collapse(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
                while let Some(s) = chars.next() {
                    out.push(s);
                    if s == '\\' {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    } else if s == '"' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        break;
                    }
                }
                space = true;
            }
            c if c.is_whitespace() => space = true,
            c => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Explanations

/// Turns a decided criterion into a sentence, re-reading (quietly) the
/// values its parts had.
struct Explainer<'e, 'a> {
    ev: &'e Evaluator<'a>,
    file: FileId,
}

impl Explainer<'_, '_> {
    fn src(&self, e: &Expr) -> String {
        self.ev.text_of(self.file, e)
    }

    fn model(&self) -> &Model {
        self.ev.model
    }

    /// The KPI an expression names directly, if it does.
    fn kpi_of(&self, env: &Env, e: &Expr) -> Option<DeclId> {
        match &e.kind {
            ExprKind::Paren(inner) => self.kpi_of(env, inner),
            ExprKind::Name(_) | ExprKind::Field(..) => match interp::eval(env, e) {
                Ok(Value::Decl(id)) if self.model().decl(id).kind == Kind::Kpi => Some(id),
                _ => None,
            },
            _ => None,
        }
    }

    fn describe(&self, env: &Env, e: &Expr, holds: bool) -> String {
        let metrics = self.ev.metrics;
        if let Some(kpi) = self.kpi_of(env, e) {
            let f = metrics.status_finding(kpi);
            let name = &self.model().decl(kpi).name;
            let state = match f.result {
                Ok((KpiState::Met, _)) => "is met",
                Ok((KpiState::AtRisk, _)) => "is at risk",
                Ok((KpiState::Missed, _)) => "misses its target",
                Err(_) => "is unknown",
            };
            return format!("`{name}` {state}: {}", f.reason);
        }
        match &e.kind {
            ExprKind::Paren(inner) => self.describe(env, inner, holds),
            ExprKind::For(k, d) => match (self.kpi_of(env, k), interp::eval(env, d)) {
                (Some(kpi), Ok(Value::Dur(secs))) => metrics.held_finding(kpi, secs).reason,
                _ => self.plain(e, holds),
            },
            ExprKind::Unary(UnOp::Not, inner) => {
                format!("not ({})", self.describe(env, inner, !holds))
            }
            ExprKind::Binary(BinOp::And, l, r) | ExprKind::Binary(BinOp::Or, l, r) => {
                let is_and = matches!(e.kind, ExprKind::Binary(BinOp::And, ..));
                let decisive = is_and != holds; // and-false / or-true: one side decides
                if decisive {
                    let want = !is_and; // the value that decided
                    for side in [l, r] {
                        if interp::truth(env, side) == Ok(want) {
                            return self.describe(env, side, want);
                        }
                    }
                    self.plain(e, holds)
                } else {
                    format!("{}; {}", self.describe(env, l, holds), self.describe(env, r, holds))
                }
            }
            ExprKind::Binary(BinOp::Cmp(op), l, r) => self.relation(env, l, r, op.as_str(), holds),
            ExprKind::Binary(BinOp::In, l, r) => self.relation(env, l, r, "in", holds),
            ExprKind::Quantifier { func, var, list, pred } => self.quantifier(env, e, func, var, list, pred, holds),
            ExprKind::Name(_) | ExprKind::Field(..) => match interp::eval(env, e) {
                Ok(v) => format!("`{}` is {}", self.src(e), self.model().display_value(&v)),
                Err(_) => self.plain(e, holds),
            },
            _ => self.plain(e, holds),
        }
    }

    fn plain(&self, e: &Expr, holds: bool) -> String {
        if holds {
            format!("`{}` holds", self.src(e))
        } else {
            format!("`{}` does not hold", self.src(e))
        }
    }

    /// `a` and `b` with their values, then `va OP vb` or `va is not OP vb`.
    fn relation(&self, env: &Env, l: &Expr, r: &Expr, op: &str, holds: bool) -> String {
        let not = if holds { "" } else { "not " };
        if op == "in" && !is_literal(l) {
            // `sponsor.role` is CFO, which is in `c_suite`.
            let (v, note) = self.show(env, l);
            let list = if is_literal(r) || holds {
                format!("`{}`", self.src(r))
            } else {
                format!("`{}` ({})", self.src(r), self.show(env, r).0)
            };
            return format!(
                "`{}` is {v}{}, which is {not}in {list}",
                self.src(l),
                note.map_or_else(String::new, |n| format!(" ({n})"))
            );
        }
        let mut parts = Vec::new();
        let mut shown = Vec::new();
        for side in [l, r] {
            if is_literal(side) {
                shown.push(self.src(side));
                continue;
            }
            let (v, note) = self.show(env, side);
            match note {
                Some(n) => parts.push(format!("`{}` is {v} ({n})", self.src(side))),
                None => parts.push(format!("`{}` is {v}", self.src(side))),
            }
            shown.push(v);
        }
        let rel = if holds {
            format!("{} {op} {}", shown[0], shown[1])
        } else {
            format!("{} is not {op} {}", shown[0], shown[1])
        };
        if parts.is_empty() {
            rel
        } else {
            format!("{}: {rel}", parts.join(" and "))
        }
    }

    /// A sub-expression's value for people: in its KPI's unit when it comes
    /// from a KPI, with a note on the samples a window function read.
    fn show(&self, env: &Env, e: &Expr) -> (String, Option<String>) {
        let metrics = self.ev.metrics;
        if let Some(kpi) = self.kpi_of(env, e) {
            let info = metrics.info(kpi);
            let f = metrics.latest_sample(&info, "latest");
            return match f.result {
                Ok(s) => (info.show(s.value), Some(format!("at {}", format_rfc3339(s.time)))),
                Err(r) => ("unknown".to_string(), Some(r)),
            };
        }
        if let ExprKind::Call(func, args) = &e.kind {
            if let (Some(kpi), Some(w)) = (args.first().and_then(|a| self.kpi_of(env, a)), args.get(1)) {
                if builtins::is(&func.name, Family::Window) && args.len() == 2 {
                    if let Ok(Value::Dur(secs)) = interp::eval(env, w) {
                        let f = metrics.window_finding(kpi, &func.name, secs);
                        return match f.result {
                            Ok((_, n)) => (f.reason, Some(format!("{n} sample{}", if n == 1 { "" } else { "s" }))),
                            Err(r) => ("unknown".to_string(), Some(r)),
                        };
                    }
                }
            }
        }
        match interp::eval(env, e) {
            Ok(v) => (self.model().display_value(&v), None),
            Err(u) => ("unknown".to_string(), Some(self.ev.undecided(&u))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn quantifier(
        &self,
        env: &Env,
        e: &Expr,
        func: &ast::Ident,
        var: &ast::Ident,
        list: &Expr,
        pred: &Expr,
        holds: bool,
    ) -> String {
        let items = match interp::eval(env, list) {
            Ok(Value::List(items)) => items,
            _ => return self.plain(e, holds),
        };
        let names: Vec<String> = items.iter().map(|i| self.model().display_value(i)).collect();
        let total = items.len();
        let list_text = self.src(list);
        let pred_text = self.src(pred);
        if total == 0 {
            return format!("`{list_text}` is empty");
        }
        let counting = Expr {
            kind: ExprKind::Quantifier {
                func: ast::Ident { name: "count".to_string(), span: func.span },
                var: var.clone(),
                list: Box::new(list.clone()),
                pred: Box::new(pred.clone()),
            },
            span: e.span,
        };
        let satisfied = match interp::eval(env, &counting) {
            Ok(Value::Num(n)) => Some(n as usize),
            _ => None,
        };
        let among = format!("`{list_text}` ({})", list_some(&names, 5));
        let verb = |n: usize| if n == 1 { "satisfies" } else { "satisfy" };
        match (func.name.as_str(), holds, satisfied) {
            ("all", true, _) if total == 1 => format!("the one element of {among} satisfies `{pred_text}`"),
            ("all", true, _) => format!("all {total} of {among} satisfy `{pred_text}`"),
            ("all", false, Some(n)) => {
                let k = total - n;
                format!("{k} of {total} in {among} {} not satisfy `{pred_text}`", if k == 1 { "does" } else { "do" })
            }
            ("any", false, _) => format!("none of {among} satisfies `{pred_text}`"),
            ("any", true, Some(n)) => format!("{n} of {total} in {among} {} `{pred_text}`", verb(n)),
            _ => self.plain(e, holds),
        }
    }
}

fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number { .. }
        | ExprKind::Money { .. }
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::DateTime(_) => true,
        ExprKind::Paren(inner) | ExprKind::Unary(UnOp::Neg, inner) => is_literal(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy() {
        // numpy.percentile([1, 2, 3, 4], [50, 90, 95, 99])
        let v = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(percentile(&v, 0.5), 2.5);
        assert!((percentile(&v, 0.9) - 3.7).abs() < 1e-12);
        assert!((percentile(&v, 0.95) - 3.85).abs() < 1e-12);
        assert!((percentile(&v, 0.99) - 3.97).abs() < 1e-12);
        assert_eq!(percentile(&[5.0], 0.99), 5.0);
        // numpy.percentile([180, 190, 260, 200, 210, 205, 199], 95) == 245.0
        let lat = [180.0, 190.0, 260.0, 200.0, 210.0, 205.0, 199.0];
        assert!((percentile(&lat, 0.95) - 245.0).abs() < 1e-9);
    }

    /// A policy of `n` initiatives, each with a KPI read over windows, and
    /// the store of their series (one missing, one stale, some NaN).
    fn many(n: usize, extra: &str) -> (crate::analysis::Analysis, MetricStore) {
        use std::fmt::Write as _;
        let mut text = String::from("import \"std/policies\"\n");
        text.push_str(extra);
        for i in 0..n {
            let _ = write!(
                text,
                "kpi k{i} {{ metric \"m\" labels {{ i \"{i}\" }} unit percent target >= 90% warn < 92% }}\n\
                 initiative i{i} {{\n  owner \"o\"\n  stage model\n  kpis [k{i}]\n  contributes_to [k0]\n  \
                 gate model -> produce {{\n    require k{i} for 3d\n    expect avg(k{i}, 3d) > 91%\n    require k{i}\n  }}\n}}\n"
            );
        }
        let mut loader = crate::analysis::MemoryLoader::default();
        loader.insert("p.compel", text);
        let analysis = crate::analysis::analyze(&["p.compel".to_string()], &loader);
        let now = 1_795_478_400;
        let series = (0..n).filter(|i| i % 97 != 5).map(|i| {
            let labels: crate::eval::metrics::Labels = [("i".to_string(), i.to_string())].into_iter().collect();
            let last = if i % 89 == 3 { now - 5 * 86_400 } else { now - 3600 };
            let samples = (0..4)
                .map(|d| Sample {
                    time: last - d * 86_400,
                    value: if i % 53 == 7 && d == 1 { f64::NAN } else { 89.0 + (i % 7) as f64 },
                })
                .collect();
            Series::with_samples("m", labels, samples)
        });
        (analysis, series.collect())
    }

    fn run(analysis: &crate::analysis::Analysis, store: &MetricStore, workers: usize) -> Report {
        let opts = EvalOptions { now: 1_795_478_400, default_max_age: 86_400.0 };
        let model = &analysis.model;
        model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
        let metrics = StoreMetrics::new(model, store, &opts);
        Evaluator::new(model, &analysis.files, &metrics).run(store, &opts, workers)
    }

    #[test]
    fn two_workers_give_the_report_of_one() {
        let (analysis, store) = many(PARALLEL_FROM + 45, "");
        let one = run(&analysis, &store, 1).to_json();
        let two = run(&analysis, &store, 2).to_json();
        assert!(
            one.contains("\"unknown\"") && one.contains("\"fail\"") && one.contains("\"at_risk\""),
            "a varied report"
        );
        assert_eq!(one, two);
    }

    #[test]
    fn a_spent_budget_is_spent_the_same_way_whatever_the_workers() {
        // A quadratic policy over the initiatives runs the budget out while
        // the gates are evaluated: the fallback keeps the report exact.
        let xs: Vec<String> = (0..300).map(|i| i.to_string()).collect();
        let extra = format!(
            "let xs = [{}]\ngate model -> produce {{\n  require all(a in xs: all(b in xs: a + b >= 0))\n}}\n",
            xs.join(", ")
        );
        let (analysis, store) = many(PARALLEL_FROM + 1, &extra);
        let one = run(&analysis, &store, 1).to_json();
        assert!(one.contains("evaluation stopped after"), "the budget ran out");
        assert_eq!(run(&analysis, &store, 2).to_json(), one);
    }

    #[test]
    fn collapses_whitespace_and_comments() {
        assert_eq!(collapse("a  >\n   b // why\n + 1"), "a > b + 1");
        assert_eq!(collapse("x == \"a  b\"  "), "x == \"a  b\"");
    }
}
