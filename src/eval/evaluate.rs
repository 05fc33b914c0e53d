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

use super::metrics::{
    format_rfc3339, format_selector, matches_selector, Labels, MetricStore, Sample, Selection, Series,
};
use super::report::{
    CriterionReport, Enforcement, Evidence, Failing, GateReport, InitiativeReport, KpiReport, KpiStatus, Num, Outcome,
    PolicyReport, ReferenceWindow, Report, SampleRecord, Summary, Time,
};
use super::{drift, time::in_days};
use crate::check::builtins::{self, Family};
use crate::check::interp::{self, Env, KpiState, Metrics, Undecided};
use crate::check::rational::Rational;
use crate::check::value::{fmt_num, nanos_to_secs, secs_to_nanos_ceil, secs_to_nanos_floor, Value, MS, NANOS_PER_SEC};
use crate::check::{DeclId, GateId, Kind, MeasureUnit, Model};
use crate::stdlib;
use crate::syntax::ast::{self, BinOp, CmpOp, Expr, ExprKind, UnOp};
use crate::text::{FileId, Files};

/// The `max_age` of a KPI that sets none: one day, in seconds.
pub const DEFAULT_MAX_AGE: Rational = Rational::int(86_400);

/// What an evaluation is given besides the model and the metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalOptions {
    /// The time to evaluate at, in Unix nanoseconds: `--now`, or the clock.
    pub now: i64,
    /// The `max_age` of KPIs that set none, in seconds.
    pub default_max_age: Rational,
}

impl EvalOptions {
    /// Options for `now` (Unix nanoseconds) with the default `max_age`.
    pub fn at(now: i64) -> EvalOptions {
        EvalOptions { now, default_max_age: DEFAULT_MAX_AGE }
    }
}

/// Evaluates every gate, policy and KPI of the user's files (the stdlib's
/// own declarations are not reported, but its gates and policies apply).
pub fn evaluate(model: &Model, files: &Files, store: &MetricStore, opts: &EvalOptions) -> Report {
    // Families that find their members in the data get them now.
    let discovered = super::family::discover(model, files, store, opts);
    let model = discovered.as_ref().unwrap_or(model);
    // A fresh evaluation budget: `compel check` spent its own.
    model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
    let metrics = StoreMetrics::new(model, store, opts);
    let ev = Evaluator::new(model, files, &metrics);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    ev.run(store, opts, workers)
}

/// Evaluates one initiative: its KPIs and the gates out of its stage,
/// the top-level gates among `top_gates` its file sees and its own (what
/// `compel diff` needs for an initiative whose stage advanced, on a model
/// it has adjusted). Nothing is asked: the report is readiness.
pub fn evaluate_initiative(
    model: &Model,
    files: &Files,
    store: &MetricStore,
    opts: &EvalOptions,
    initiative: DeclId,
    top_gates: &[GateId],
) -> InitiativeReport {
    model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
    let metrics = StoreMetrics::new(model, store, opts);
    let ev = Evaluator::new(model, files, &metrics);
    ev.initiative(initiative, top_gates)
}

/// Below this many initiatives a second thread costs more than it saves.
const PARALLEL_FROM: usize = 256;

#[path = "family_explain.rs"]
mod family_explain;

#[path = "bounds.rs"]
mod bounds;
#[path = "derived.rs"]
mod derived;

// ---------------------------------------------------------------------------
// Metrics over a store

/// The facts about a KPI that reading its data needs.
struct KpiInfo<'m> {
    name: &'m str,
    metric: Option<&'m str>,
    labels: Labels,
    unit: MeasureUnit,
    target: Option<(CmpOp, Value)>,
    warn: Option<(CmpOp, Value)>,
    /// Whether `target` or `warn` is computed at `now` (see
    /// [`StoreMetrics::with_bounds`]).
    computed: bool,
    /// In seconds.
    max_age: Rational,
    /// In whole nanoseconds, rounded down: an age (whole nanoseconds) is
    /// over `max_age` exactly when it is over this.
    max_age_nanos: i64,
}

impl KpiInfo<'_> {
    fn target(&self) -> Option<(CmpOp, &Value)> {
        self.target.as_ref().map(|(o, v)| (*o, v))
    }

    fn warn(&self) -> Option<(CmpOp, &Value)> {
        self.warn.as_ref().map(|(o, v)| (*o, v))
    }

    fn selector(&self) -> String {
        format_selector(self.metric.unwrap_or(self.name), &self.labels)
    }

    /// An exact raw number in the KPI's unit, for people: `93.5%`, `260ms`.
    fn show(&self, raw: Rational) -> String {
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

    /// Whether an exact raw value meets a threshold.
    fn meets(&self, (op, v): (CmpOp, &Value), raw: Rational) -> Result<bool, String> {
        // The bound in the KPI's raw unit: the factors are positive, so
        // comparing raw numbers decides exactly as comparing values.
        if let Some(bound) = self.unit.from_value(v) {
            return Ok(match op {
                CmpOp::Lt => raw < bound,
                CmpOp::Le => raw <= bound,
                CmpOp::Gt => raw > bound,
                CmpOp::Ge => raw >= bound,
                CmpOp::Eq => raw == bound,
                CmpOp::Ne => raw != bound,
            });
        }
        let Some(value) = self.unit.to_value(raw) else {
            return Err(format!("{raw} in {} is too large to compare exactly", self.unit.name()));
        };
        interp::compare(op, &value, v).map_err(|u| match u {
            Undecided::Unknown(r) | Undecided::TypeError(r) => r,
            other => format!("{other:?}"),
        })
    }

    /// Whether the sample at `age` (nanoseconds) is older than `max_age`.
    fn is_stale(&self, age: i64) -> bool {
        age > self.max_age_nanos
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

/// The exact value of a sample, or why it has none: a conflict between
/// sources, NaN or an infinity, or a number beyond exact arithmetic.
fn exact_value(series: &Series, s: &Sample) -> Result<Rational, String> {
    if let Some(c) = series.conflict_at(s.time) {
        return Err(format!("`{}`: {}", series.selector(), c.describe()));
    }
    if !s.value.is_finite() {
        return Err(format!(
            "the sample of `{}` at {} is {}",
            series.selector(),
            format_rfc3339(s.time),
            fmt_num(s.value)
        ));
    }
    Rational::from_f64(s.value).ok_or_else(|| {
        format!(
            "the sample of `{}` at {} ({}) is too large to compute with exactly",
            series.selector(),
            format_rfc3339(s.time),
            fmt_num(s.value)
        )
    })
}

/// [`Metrics`] over a [`MetricStore`] at a fixed `now`. Every read is
/// recorded as [`Evidence`] until taken with [`StoreMetrics::take_evidence`].
pub struct StoreMetrics<'a> {
    model: &'a Model,
    store: &'a MetricStore,
    index: SeriesIndex<'a>,
    /// Unix nanoseconds.
    now: i64,
    default_max_age: Rational,
    recording: Cell<bool>,
    evidence: RefCell<Vec<Evidence>>,
    /// Each read, made once: gates, the KPI list and explanations ask for
    /// the same values, and the store and `now` do not change.
    statuses: RefCell<HashMap<DeclId, Finding<(KpiState, Sample)>>>,
    windows: RefCell<HashMap<WindowKey, Finding<(Value, usize)>>>,
    helds: RefCell<HashMap<(DeclId, Rational), Finding<KpiState>>>,
    /// Computed `target` and `warn` bounds, and the KPIs whose bounds are
    /// being computed (a bound that reads its own KPI's status is unknown).
    bounds: bounds::Cache,
}

/// A window read: the KPI, the function, the window and its offset in
/// seconds.
type WindowKey = (DeclId, String, Rational, Rational);

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
            bounds: bounds::Cache::default(),
        }
    }

    /// Forgets every read made (after the budget was reset).
    fn clear_caches(&self) {
        self.statuses.borrow_mut().clear();
        self.windows.borrow_mut().clear();
        self.helds.borrow_mut().clear();
        self.bounds.clear();
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
            // A `query` KPI read from Prometheus reads its query's results.
            metric: d.str_attr("query").and_then(|q| self.store.query_key(q)).or(d.str_attr("metric")),
            labels: d.labels(),
            unit: d.measure_unit(),
            target: d.threshold("target").map(|(o, v)| (o, v.clone())),
            warn: d.threshold("warn").map(|(o, v)| (o, v.clone())),
            computed: ["target", "warn"]
                .iter()
                .any(|a| matches!(d.attr(a).map(|x| &x.value), Some(crate::check::AttrVal::Bound(..)))),
            max_age,
            max_age_nanos: secs_to_nanos_floor(max_age).unwrap_or(if max_age.is_negative() { -1 } else { i64::MAX }),
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

    /// `now - secs` as the first whole nanosecond at or after it (samples
    /// have whole-nanosecond times, so `t >= now - secs` exactly when `t`
    /// is at or after this).
    fn window_start(&self, secs: Rational) -> Result<i64, String> {
        secs_to_nanos_floor(secs)
            .and_then(|n| self.now.checked_sub(n))
            .ok_or_else(|| format!("the window {} reaches outside the representable times", fmt_dur(secs)))
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

    /// The latest sample at or before `now`, fresh, and its exact value.
    fn latest_sample(&self, k: &KpiInfo, function: &str) -> Finding<(Sample, Rational)> {
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
        if k.is_stale(self.now.saturating_sub(last.time)) {
            let r = format!(
                "stale: the last sample of `{}` is at {}, older than max_age {}",
                ev.series,
                format_rfc3339(last.time),
                fmt_dur(k.max_age)
            );
            return Finding::err(r, ev);
        }
        let exact = match exact_value(series, &last) {
            Ok(q) => q,
            Err(r) => return Finding::err(r, ev),
        };
        ev.value = Some(Num(last.value));
        ev.unit = Some(k.unit.name());
        let reason = format!("latest {} at {}", k.show(exact), format_rfc3339(last.time));
        Finding { result: Ok((last, exact)), reason, evidence: ev }
    }

    fn status_finding(&self, kpi: DeclId) -> Finding<(KpiState, Sample)> {
        memo(&self.statuses, kpi, || self.read_status(kpi))
    }

    fn read_status(&self, kpi: DeclId) -> Finding<(KpiState, Sample)> {
        let k = match self.with_bounds(kpi, self.info(kpi)) {
            Ok(k) => k,
            Err(r) => {
                let k = self.info(kpi);
                return Finding::err(r, self.evidence(&k, "status"));
            }
        };
        let f = self.latest_sample_any(kpi, &k, "status");
        let (last, exact) = match f.result {
            Ok(s) => s,
            Err(r) => return Finding { result: Err(r), reason: f.reason, evidence: f.evidence },
        };
        let Some(target) = k.target() else {
            return Finding::err(format!("`{}` has no valid `target`", k.name), f.evidence);
        };
        let (state, reason) = match self.classify(&k, target, exact) {
            Err(r) => return Finding::err(r, f.evidence),
            Ok((state, words)) if k.computed => (state, format!("{} {words} (a bound computed at now)", f.reason)),
            Ok((state, words)) => (state, format!("{} {words}", f.reason)),
        };
        Finding { result: Ok((state, last)), reason, evidence: f.evidence }
    }

    /// Where an exact value stands against the target and the warn band,
    /// with the words for it (`meets `>= 92%` but is `< 94%` (its `warn`)`).
    fn classify(&self, k: &KpiInfo, target: (CmpOp, &Value), exact: Rational) -> Result<(KpiState, String), String> {
        let shown = k.show_threshold(self.model, target);
        if !k.meets(target, exact)? {
            return Ok((KpiState::Missed, format!("misses `{shown}`")));
        }
        if let Some(w) = k.warn() {
            if k.meets(w, exact)? {
                let w = k.show_threshold(self.model, w);
                return Ok((KpiState::AtRisk, format!("meets `{shown}` but is `{w}` (its `warn`)")));
            }
        }
        Ok((KpiState::Met, format!("meets `{shown}`")))
    }

    fn latest_finding(&self, kpi: DeclId) -> Finding<Value> {
        let k = self.info(kpi);
        let f = self.latest_sample_any(kpi, &k, "latest");
        let result = f.result.and_then(|(_, q)| {
            k.unit.to_value(q).ok_or_else(|| format!("{q} {} is too large to compute with exactly", k.unit.name()))
        });
        Finding { result, reason: f.reason, evidence: f.evidence }
    }

    fn window_finding(&self, kpi: DeclId, func: &str, secs: Rational, offset: Rational) -> Finding<(Value, usize)> {
        memo(&self.windows, (kpi, func.to_string(), secs, offset), || self.read_window_any(kpi, func, secs, offset))
    }

    /// `now - offset` as the last whole nanosecond at or before it.
    fn window_end(&self, offset: Rational) -> Result<i64, String> {
        secs_to_nanos_ceil(offset)
            .and_then(|n| self.now.checked_sub(n))
            .ok_or_else(|| format!("the offset {} reaches outside the representable times", fmt_dur(offset)))
    }

    /// The window's length, with ` offset D` when it has one: `30d offset 30d`.
    fn window_words(secs: Rational, offset: Rational) -> String {
        if offset.is_zero() {
            fmt_dur(secs)
        } else {
            format!("{} offset {}", fmt_dur(secs), fmt_dur(offset))
        }
    }

    fn read_window(&self, kpi: DeclId, func: &str, secs: Rational, offset: Rational) -> Finding<(Value, usize)> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, func);
        ev.window = Some(Self::window_words(secs, offset));
        ev.to = Some(Time(self.now));
        if secs.is_negative() || offset.is_negative() {
            return Finding::err(format!("the window {} is negative", Self::window_words(secs, offset)), ev);
        }
        let bounds = secs
            .add(offset)
            .ok_or_else(|| "the window is too long".to_string())
            .and_then(|total| Ok((self.window_start(total)?, self.window_end(offset)?)));
        let (from, end) = match bounds {
            Ok(t) => t,
            Err(r) => return Finding::err(r, ev),
        };
        ev.to = Some(Time(end));
        ev.from = Some(Time(from));
        if !builtins::is(func, Family::Window) {
            return Finding::err(format!("`{func}` is not a window function"), ev);
        }
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = series.selector();
        let samples = series.samples_in(from, end);
        ev.samples = samples.iter().map(record).collect();
        if samples.is_empty() {
            let r = format!(
                "no sample of `{}` in the {} window [{}, {}]",
                ev.series,
                Self::window_words(secs, offset),
                format_rfc3339(from),
                format_rfc3339(end)
            );
            return Finding::err(r, ev);
        }
        let mut raw: Vec<Rational> = Vec::with_capacity(samples.len());
        for s in samples {
            match exact_value(series, s) {
                Ok(q) => raw.push(q),
                Err(r) => return Finding::err(r, ev),
            }
        }
        let x = match aggregate(func, &raw) {
            Some(x) => x,
            None => {
                return Finding::err(format!("`{func}` of `{}` is too large to compute exactly", ev.series), ev);
            }
        };
        let n = raw.len();
        ev.value = Some(Num(x.to_f64()));
        let (value, shown) = if func == "count" {
            ev.unit = Some("number".to_string());
            (Some(Value::Num(x)), x.to_string())
        } else {
            ev.unit = Some(k.unit.name());
            (k.unit.to_value(x), k.show(x))
        };
        match value {
            Some(v) => Finding { result: Ok((v, n)), reason: shown, evidence: ev },
            None => Finding::err(format!("`{func}` of `{}` is too large to compute exactly", ev.series), ev),
        }
    }

    fn drift_finding(
        &self,
        kpi: DeclId,
        func: &str,
        current: Rational,
        reference: Rational,
        offset: Rational,
    ) -> Finding<f64> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, func);
        ev.window = Some(Self::window_words(current, offset));
        ev.to = Some(Time(self.now));
        if current.is_negative() || reference.is_negative() || offset.is_negative() {
            return Finding::err(format!("`{func}` needs windows that are not negative"), ev);
        }
        let too_long = || "the windows are too long".to_string();
        let bounds = current.add(offset).ok_or_else(too_long).and_then(|c| {
            let both = c.add(reference).ok_or_else(too_long)?;
            Ok((self.window_start(c)?, self.window_start(both)?, self.window_end(offset)?))
        });
        let (cur_from, ref_from, end) = match bounds {
            Ok(b) => b,
            Err(r) => return Finding::err(r, ev),
        };
        ev.to = Some(Time(end));
        ev.from = Some(Time(cur_from));
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
        let cur = series.samples_in(cur_from, end);
        let refs = series.samples_in_half_open(ref_from, cur_from);
        ev.samples = cur.iter().map(record).collect();
        if let Some(r) = ev.reference.as_mut() {
            r.samples = refs.iter().map(record).collect();
        }
        // Conflicting samples are not data (NaN ones are left out, as
        // SciPy's `nan_policy="omit"` would).
        if let Some(c) = cur.iter().chain(refs).find_map(|s| series.conflict_at(s.time)) {
            return Finding::err(format!("`{}`: {}", ev.series, c.describe()), ev);
        }
        let finite = |xs: &[Sample]| xs.iter().filter(|s| s.value.is_finite()).count();
        if finite(cur) == 0 {
            let r = format!(
                "no finite sample of `{}` in the current window [{}, {}]",
                ev.series,
                format_rfc3339(cur_from),
                format_rfc3339(end)
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

    fn held_finding(&self, kpi: DeclId, secs: Rational) -> Finding<KpiState> {
        memo(&self.helds, (kpi, secs), || self.read_held_any(kpi, secs))
    }

    /// `KPI for D`: the value in effect at every instant of `[now - D,
    /// now]` — the latest sample at or before it, counting while it is no
    /// older than `max_age` — must meet the target. The sample in effect at
    /// `now - D` may have begun before the window.
    fn read_held(&self, kpi: DeclId, secs: Rational) -> Finding<KpiState> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, "for");
        let k = match self.with_bounds(kpi, k) {
            Ok(k) => k,
            Err(r) => return Finding::err(r, ev),
        };
        let dur = fmt_dur(secs);
        ev.window = Some(dur.clone());
        ev.to = Some(Time(self.now));
        if secs.is_negative() {
            return Finding::err(format!("the duration {dur} is negative"), ev);
        }
        let from = match self.window_start(secs) {
            Ok(t) => t,
            Err(r) => return Finding::err(r, ev),
        };
        ev.from = Some(Time(from));
        let Some(target) = k.target() else {
            return Finding::err(format!("`{}` has no valid `target`", k.name), ev);
        };
        let shown = k.show_threshold(self.model, target);
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = series.selector();
        // The exact start of the window may fall between two nanoseconds
        // (a window of 1/3 s): the sample in effect there is the latest at
        // or before its floor.
        let start_exact = nanos_to_secs(self.now).sub(secs);
        let start_floor = start_exact.map(|s| s.mul(Rational::int(NANOS_PER_SEC)).map(Rational::floor));
        let cover_at = match start_floor.flatten().and_then(|n| i64::try_from(n).ok()) {
            Some(t) => t,
            None => return Finding::err(format!("the window {dur} reaches outside the representable times"), ev),
        };
        // The samples in effect during the window: the one covering its
        // start, then every later one up to `now`.
        let covering = series.last_at_or_before(cover_at).copied();
        let inside = series.samples_in(cover_at.saturating_add(1), self.now);
        let mut held: Vec<Sample> = Vec::with_capacity(inside.len() + 1);
        held.extend(covering);
        held.extend_from_slice(inside);
        ev.samples = held.iter().map(record).collect();
        if held.is_empty() {
            let r = format!("no sample of `{}` at or before now ({})", ev.series, format_rfc3339(self.now));
            return Finding::err(r, ev);
        }
        // Each sample is in effect from its time until the next one (the
        // last until `now`); it counts while no older than `max_age`.
        let until = |i: usize| held.get(i + 1).map_or(self.now, |s| s.time);
        let counts_in_window = |i: usize| {
            // The instant of the window where the sample is youngest.
            let first = held[i].time.max(cover_at);
            !k.is_stale(first.saturating_sub(held[i].time))
        };
        // 1. A sample that counts and breaks the target fails, whatever else
        //    is wrong; the first such is named.
        let mut breaking: Vec<(usize, Rational)> = Vec::new();
        let mut undecided: Option<String> = None;
        let mut exact_held: Vec<(Sample, Rational)> = Vec::with_capacity(held.len());
        for (i, s) in held.iter().enumerate() {
            if !counts_in_window(i) {
                continue;
            }
            match exact_value(series, s) {
                Ok(q) => match k.meets(target, q) {
                    Ok(true) => exact_held.push((*s, q)),
                    Ok(false) => breaking.push((i, q)),
                    Err(r) => return Finding::err(r, ev),
                },
                Err(r) => {
                    undecided.get_or_insert(r);
                }
            }
        }
        if let Some((i, q)) = breaking.first().copied() {
            let s = held[i];
            let more = match breaking.len() - 1 {
                0 => String::new(),
                1 => " (and 1 more sample)".to_string(),
                n => format!(" (and {n} more samples)"),
            };
            let reason = if s.time < from {
                format!(
                    "{} in effect from {} (before the {dur} window began at {}) breaks `{shown}`{more}",
                    k.show(q),
                    format_rfc3339(s.time),
                    format_rfc3339(from)
                )
            } else {
                format!("{} at {} breaks `{shown}` inside the {dur} window{more}", k.show(q), format_rfc3339(s.time))
            };
            ev.value = Some(Num(s.value));
            ev.unit = Some(k.unit.name());
            return Finding { result: Ok(KpiState::Missed), reason, evidence: ev };
        }
        // 2. Otherwise every instant must have a fresh sample in effect.
        let Some(first) = covering else {
            let all = series.samples_in(i64::MIN, self.now);
            let n = all.len();
            let first_time = all.first().map_or(self.now, |s| s.time);
            let who = if n == 1 { "one sample".to_string() } else { format!("{n} samples") };
            let r = format!(
                "{who} cannot show {dur}: the first sample is at {}, after now - {dur} ({})",
                format_rfc3339(first_time),
                format_rfc3339(from)
            );
            return Finding::err(r, ev);
        };
        if let Some(r) = undecided {
            return Finding::err(r, ev);
        }
        for i in 0..held.len() {
            let end = until(i);
            if k.is_stale(end.saturating_sub(held[i].time)) {
                let gap_from = held[i].time.saturating_add(secs_to_nanos_floor(k.max_age).unwrap_or(i64::MAX));
                let r = if i + 1 == held.len() {
                    format!(
                        "stale: the last sample of `{}` is at {}, older than max_age {}",
                        ev.series,
                        format_rfc3339(held[i].time),
                        fmt_dur(k.max_age)
                    )
                } else {
                    format!(
                        "a gap in `{}`: no fresh sample from {} to {} (the sample at {} is older than max_age {} before the next)",
                        ev.series,
                        format_rfc3339(gap_from.max(from)),
                        format_rfc3339(end),
                        format_rfc3339(held[i].time),
                        fmt_dur(k.max_age)
                    )
                };
                return Finding::err(r, ev);
            }
        }
        // 3. It held: warn when the value in effect at `now` is at risk.
        let last = held[held.len() - 1];
        let last_q = match exact_value(series, &last) {
            Ok(q) => q,
            Err(r) => return Finding::err(r, ev),
        };
        let at_risk = match k.warn() {
            Some(w) => match k.meets(w, last_q) {
                Ok(b) => b,
                Err(r) => return Finding::err(r, ev),
            },
            None => false,
        };
        let n = held.len();
        let closest = worst_sample(target.0, &exact_held);
        let mut reason = match closest {
            Some((w, q)) if n > 1 => format!(
                "all {n} samples {} the {dur} window meet `{shown}` (the closest, {} at {})",
                if first.time < from { "in effect during" } else { "in" },
                k.show(q),
                format_rfc3339(w.time)
            ),
            _ if first.time < from => format!(
                "the value in effect throughout the {dur} window, {} from {}, meets `{shown}`",
                k.show(last_q),
                format_rfc3339(first.time)
            ),
            _ => format!(
                "the one sample in the {dur} window, {} at {}, meets `{shown}`",
                k.show(last_q),
                format_rfc3339(last.time)
            ),
        };
        if at_risk {
            if let Some(w) = k.warn() {
                let w = k.show_threshold(self.model, w);
                reason.push_str(&format!("; the latest, {}, is `{w}` (its `warn`)", k.show(last_q)));
            }
        }
        let state = if at_risk { KpiState::AtRisk } else { KpiState::Met };
        Finding { result: Ok(state), reason, evidence: ev }
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

    fn window(&self, kpi: DeclId, func: &str, window_secs: Rational, offset: Rational) -> Result<Value, Undecided> {
        self.yield_finding(self.window_finding(kpi, func, window_secs, offset)).map(|(v, _)| v)
    }

    fn drift(
        &self,
        kpi: DeclId,
        func: &str,
        current_secs: Rational,
        reference_secs: Rational,
        offset_secs: Rational,
    ) -> Result<f64, Undecided> {
        self.yield_finding(self.drift_any(kpi, func, current_secs, reference_secs, offset_secs))
    }

    fn held_for(&self, kpi: DeclId, secs: Rational) -> Result<KpiState, Undecided> {
        self.yield_finding(self.held_finding(kpi, secs))
    }
}

/// The store's series indexed by metric and by label pair, so selecting
/// one of many series of a metric does not scan them all. Selects exactly
/// as [`MetricStore::select`] does (same matches, same order).
pub(crate) struct SeriesIndex<'a> {
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
    /// Indexes every series of `store`.
    pub(crate) fn new(store: &'a MetricStore) -> SeriesIndex<'a> {
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

    /// The one series of `metric` that `selector` selects, as
    /// [`MetricStore::select_one`].
    pub(crate) fn select_one(&self, metric: &str, selector: &Labels) -> Selection<'a> {
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
/// the smallest under `>`/`>=`), with its exact value.
fn worst_sample(op: CmpOp, samples: &[(Sample, Rational)]) -> Option<(Sample, Rational)> {
    let mut it = samples.iter().copied();
    let first = it.next()?;
    Some(match op {
        CmpOp::Lt | CmpOp::Le => it.fold(first, |a, b| if b.1 >= a.1 { b } else { a }),
        CmpOp::Gt | CmpOp::Ge => it.fold(first, |a, b| if b.1 <= a.1 { b } else { a }),
        CmpOp::Eq | CmpOp::Ne => return None,
    })
}

/// A window function over exact values (at least one), exactly; `None`
/// when a result does not fit.
fn aggregate(func: &str, raw: &[Rational]) -> Option<Rational> {
    let n = raw.len();
    let sum = |xs: &[Rational]| xs.iter().try_fold(Rational::ZERO, |a, b| a.add(*b));
    Some(match func {
        "last" => raw[n - 1],
        "avg" => sum(raw)?.div(Rational::int(n as i64))?,
        "min" => *raw.iter().min()?,
        "max" => *raw.iter().max()?,
        "sum" => sum(raw)?,
        "count" => Rational::int(n as i64),
        "p50" => percentile(raw, Rational::new(1, 2)?)?,
        "p90" => percentile(raw, Rational::new(9, 10)?)?,
        "p95" => percentile(raw, Rational::new(19, 20)?)?,
        "p99" => percentile(raw, Rational::new(99, 100)?)?,
        _ => raw[n - 1].sub(raw[0])?, // delta
    })
}

/// The `q`-th quantile (0 to 1) by linear interpolation between closest
/// ranks, as `numpy.percentile` (method `linear`) defines it, exactly.
pub fn percentile(values: &[Rational], q: Rational) -> Option<Rational> {
    let mut v = values.to_vec();
    v.sort();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let index = Rational::int(n as i64 - 1).mul(q)?;
    let lo = usize::try_from(index.floor()).ok()?.min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = index.sub(Rational::int(lo as i64))?;
    v[lo].add(v[hi].sub(v[lo])?.mul(t)?)
}

/// A duration for people, in the largest of `d h m s` that divides it
/// (`7d`, not `1w`: windows are written in days), else in milliseconds.
pub fn fmt_dur(secs: Rational) -> String {
    for (unit, f) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        let f = Rational::int(f);
        if let Some(n) = secs.div(f) {
            if !secs.is_zero() && n.is_integer() && secs.abs() >= f {
                return format!("{n}{unit}");
            }
        }
    }
    if secs.is_zero() {
        return "0s".to_string();
    }
    match secs.div(MS) {
        Some(ms) => format!("{ms}ms"),
        None => format!("{secs}s"),
    }
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
        top_gates: &[GateId],
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
        let initiatives: Vec<DeclId> = self.sorted(
            (0..self.model.decls.len() as u32)
                .map(DeclId)
                .filter(|id| {
                    let d = self.model.decl(*id);
                    d.kind == Kind::Initiative && self.is_user(d.file)
                })
                .collect(),
        );
        let top_gates: Vec<GateId> =
            (0..self.model.gates.len()).map(GateId::new).filter(|g| self.model.gates[*g].owner.is_none()).collect();
        let init_reports = self.initiatives(&initiatives, &top_gates, store, opts, workers);
        let policies = self.policies();

        let kpis: Vec<DeclId> = self.sorted(
            (0..self.model.decls.len() as u32)
                .map(DeclId)
                .filter(|id| {
                    let d = self.model.decl(*id);
                    d.kind == Kind::Kpi && self.is_user(d.file) && !self.model.is_member(*id)
                })
                .collect(),
        );
        let kpis = kpis.into_iter().map(|k| self.kpi(k)).collect();

        // No gate is asked yet: the outcome is the policies' ([`Report::ask`]).
        let mut report = Report {
            outcome: Outcome::Pass,
            now: format_rfc3339(self.now),
            summary: Summary::default(),
            initiatives: init_reports,
            policies,
            kpis,
        };
        report.tally();
        report
    }

    fn kpi(&self, id: DeclId) -> KpiReport {
        if let Some(r) = self.kpi_cache.borrow().get(&id) {
            return r.clone();
        }
        if self.model.is_family(id) {
            let members: Vec<KpiReport> = self.model.members(id).into_iter().map(|m| self.kpi(m)).collect();
            let r = super::family::report(self.model, id, members);
            self.kpi_cache.borrow_mut().insert(id, r.clone());
            return r;
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
                labels: self.model.member_group(id).into_iter().collect(),
                members: Vec::new(),
                derived: self.metrics.derived_report(id),
            },
            Err(reason) => KpiReport {
                name: d.name.clone(),
                status: KpiStatus::Unknown,
                value: None,
                unit,
                time: None,
                reason,
                evidence,
                labels: self.model.member_group(id).into_iter().collect(),
                members: Vec::new(),
                derived: self.metrics.derived_report(id),
            },
        };
        self.kpi_cache.borrow_mut().insert(id, r.clone());
        r
    }

    fn initiative(&self, id: DeclId, top_gates: &[GateId]) -> InitiativeReport {
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
            let applicable: Vec<GateId> = top_gates
                .iter()
                .copied()
                .filter(|g| {
                    let g = &self.model.gates[*g];
                    g.from == Some(stage) && self.model.sees(d.file, g.file)
                })
                .chain(d.gates.iter().copied().filter(|g| self.model.gates[*g].from == Some(stage)))
                .collect();
            // One entry per transition, in the order transitions first appear.
            let mut groups: Vec<(String, String, Vec<GateId>)> = Vec::new();
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
        let (ready, next_gate, blocked_by) = super::report::readiness(&gates);
        InitiativeReport {
            name: d.name.clone(),
            stage: stage.map_or_else(String::new, |s| self.model.decl(s).name.clone()),
            ready,
            next_gate,
            asked: false,
            blocked_by,
            file: file.path.clone(),
            line: file.line_col(d.name_span.start as usize).line,
            kpis,
            gates,
            evidence: super::evidence::of_initiative(self.model, id, self.now.div_euclid(86_400 * NANOS_PER_SEC)),
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
                                failing: None,
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
        let (reason, failing) = self.metrics.quietly(|| {
            let explainer = Explainer { ev: self, file, failing: RefCell::new(None) };
            let reason = match &result {
                Ok(b) => explainer.describe(env, &c.expr, *b),
                Err(u) => self.undecided(u),
            };
            // Only a criterion that does not hold has failing elements.
            let failing = if holds == Some(false) { explainer.failing.into_inner() } else { None };
            (reason, failing)
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
            failing,
        }
    }

    fn undecided(&self, u: &Undecided) -> String {
        match u {
            Undecided::Unknown(r) | Undecided::TypeError(r) | Undecided::Mistake { reason: r, .. } => r.clone(),
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
        Outcome::Pass if criteria.len() == 1 => "the one criterion passes".to_string(),
        Outcome::Pass => format!("all {} criteria pass", criteria.len()),
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
    use crate::syntax::lexer::{tokens, TokenKind};
    let mut out = String::with_capacity(raw.len());
    let mut last_end = 0;
    let mut space = false;
    for t in tokens(raw) {
        match t.kind {
            TokenKind::Newline | TokenKind::Comment { .. } => space = true,
            _ => {
                if (space || t.start() > last_end) && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push_str(&raw[t.start()..t.end()]);
            }
        }
        last_end = t.end();
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
    /// What a failed `all` found failing, for the report.
    failing: RefCell<Option<Failing>>,
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
        if let Some(kpi) = self.kpi_of(env, e).filter(|k| self.model().is_family(*k)) {
            return self.family_status(kpi);
        }
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
                (Some(kpi), Ok(Value::Dur(secs))) if self.model().is_family(kpi) => self.family_held(kpi, secs),
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
        // Identity: `==`, `!=` and `in` between KPIs say which KPI it is,
        // never a value (`gone == gone` reads no data).
        if let Some(a) = self.kpi_of(env, l) {
            let named = |e: &Expr, id: DeclId| {
                let name = &self.model().decl(id).name;
                if self.src(e) == *name {
                    format!("`{name}`")
                } else {
                    format!("`{}` ({name})", self.src(e))
                }
            };
            match (op, interp::eval(env, r)) {
                ("==" | "!=", Ok(Value::Decl(b))) => {
                    let same = if a == b { "the same KPI" } else { "different KPIs" };
                    return format!("{} and {} are {same}", named(l, a), named(r, b));
                }
                ("in", Ok(Value::List(items))) if matches!(items.first(), Some(Value::Decl(_))) => {
                    let list = if is_literal(r) || holds || matches!(r.kind, ExprKind::List(_)) {
                        format!("`{}`", self.src(r))
                    } else {
                        format!("`{}` ({})", self.src(r), self.show(env, r).0)
                    };
                    return format!("{} is {not}in {list}", named(l, a));
                }
                _ => {}
            }
        }
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
        let (mut parts, mut shown) = (Vec::new(), Vec::new());
        let days = [l, r].iter().all(|e| self.kpi_of(env, e).is_none()).then(|| in_days(env, l, r)).flatten();
        for (i, side) in [l, r].into_iter().enumerate() {
            if is_literal(side) {
                shown.push(self.src(side));
                continue;
            }
            let (v, note) = days.as_ref().map_or_else(|| self.show(env, side), |d| (d[i].clone(), None));
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
        if let Some(kpi) = self.kpi_of(env, e).filter(|k| self.model().is_family(*k)) {
            return (format!("[{}]", self.family_values(kpi)), None);
        }
        // A function of a family's values names the members and values.
        if let ExprKind::Call(_, args) = &e.kind {
            if let Some(kpi) = args.first().and_then(|a| self.kpi_of(env, a)).filter(|k| self.model().is_family(*k)) {
                return match interp::eval(env, e) {
                    Ok(v) => (self.model().display_value(&v), Some(self.family_values(kpi))),
                    Err(u) => ("unknown".to_string(), Some(self.ev.undecided(&u))),
                };
            }
        }
        if let Some(kpi) = self.kpi_of(env, e) {
            let info = metrics.info(kpi);
            let f = metrics.latest_sample(&info, "latest");
            return match f.result {
                Ok((s, q)) => (info.show(q), Some(format!("at {}", format_rfc3339(s.time)))),
                Err(r) => ("unknown".to_string(), Some(r)),
            };
        }
        if let ExprKind::Call(func, args) = &e.kind {
            if let (Some(kpi), Some(w)) = (args.first().and_then(|a| self.kpi_of(env, a)), args.get(1)) {
                let offset = match args.get(2).map(|a| (&a.kind, interp::eval(env, a))) {
                    None => Some(Rational::ZERO),
                    Some((ExprKind::Offset(_), Ok(Value::Dur(o)))) if args.len() == 3 => Some(o),
                    Some(_) => None,
                };
                if let (true, Some(offset)) = (builtins::is(&func.name, Family::Window), offset) {
                    if let Ok(Value::Dur(secs)) = interp::eval(env, w) {
                        let f = metrics.window_finding(kpi, &func.name, secs, offset);
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
        let total = items.len();
        let list_text = self.src(list);
        if total == 0 {
            return format!("`{list_text}` is empty");
        }
        let names: Vec<String> = items.iter().map(|i| self.model().display_value(i)).collect();
        let among = format!("`{list_text}` ({})", list_some(&names, SHOWN));
        match (func.name.as_str(), holds) {
            ("all", true) if total == 1 => {
                format!("the one element of {among} satisfies `{}`", self.src(pred))
            }
            ("all", true) => format!("all {total} of {among} satisfy `{}`", self.src(pred)),
            ("any", false) if total == 1 => {
                format!("the one element of {among} does not satisfy `{}`", self.src(pred))
            }
            ("any", false) => format!("none of the {total} in {among} satisfies `{}`", self.src(pred)),
            ("all", false) => {
                // The elements (or, through nested `all`s, the tuples) for
                // which the predicate does not hold, and those it cannot
                // decide.
                let mut t = Tally::default();
                self.tally(env, &mut Vec::new(), &mut t, var, list, pred);
                if t.found == 0 {
                    return self.plain(e, holds);
                }
                let inner = self.src(t.pred.unwrap_or(pred));
                let shown = t.shown(self.model(), SHOWN);
                let do_ = if t.found == 1 { "does" } else { "do" };
                let mut s = if t.depth <= 1 {
                    if total == 1 {
                        format!("the one element of {among} does not satisfy `{inner}`")
                    } else {
                        format!("{} of {total} in `{list_text}` {do_} not satisfy `{inner}`: {shown}", t.found)
                    }
                } else {
                    let what = match (t.depth, t.found) {
                        (2, 1) => "pair",
                        (2, _) => "pairs",
                        (_, 1) => "combination",
                        _ => "combinations",
                    };
                    format!("{} {what} `({})` {do_} not satisfy `{inner}`: {shown}", t.found, t.vars.join(", "))
                };
                if t.undecided > 0 {
                    s.push_str(&format!("; {} cannot be decided: {}", t.undecided, t.shown_undecided(self.model(), 3)));
                }
                self.failing.borrow_mut().get_or_insert_with(|| t.report(self.model()));
                s
            }
            ("any", true) => {
                let mut ok = Vec::new();
                for item in &items {
                    if interp::truth_bound(env, &[(var.name.as_str(), item.clone())], pred) == Ok(true) {
                        ok.push(self.model().display_value(item));
                    }
                }
                let n = ok.len();
                if n == 0 {
                    return self.plain(e, holds);
                }
                let verb = if n == 1 { "satisfies" } else { "satisfy" };
                if total == 1 {
                    format!("the one element of {among} satisfies `{}`", self.src(pred))
                } else {
                    format!("{n} of {total} in `{list_text}` {verb} `{}`: {}", self.src(pred), list_some(&ok, SHOWN))
                }
            }
            _ => self.plain(e, holds),
        }
    }

    /// Walks `all(var in list: pred)` with the variables of enclosing
    /// quantifiers `bound`, counting into `t` the elements whose predicate
    /// does not hold; a predicate that is itself an `all` is walked in turn, so nested
    /// quantifiers name the failing tuples.
    #[allow(clippy::too_many_arguments)]
    fn tally<'x>(
        &self,
        env: &Env,
        bound: &mut Vec<(&'x str, Value)>,
        t: &mut Tally<'x>,
        var: &'x ast::Ident,
        list: &'x Expr,
        pred: &'x Expr,
    ) {
        let Ok(Value::List(items)) = interp::eval_bound(env, bound, list) else {
            t.undecided += 1;
            if t.undecided_shown.len() < KEPT {
                t.undecided_shown.push(bound.iter().map(|(_, v)| v.clone()).collect());
            }
            return;
        };
        let nested = match &strip_parens(pred).kind {
            ExprKind::Quantifier { func, var, list, pred } if func.name == "all" => Some((var, &**list, &**pred)),
            _ => None,
        };
        if t.vars.len() <= bound.len() {
            t.vars.push(var.name.clone());
        }
        for item in items {
            bound.push((var.name.as_str(), item));
            match interp::truth_bound(env, bound, pred) {
                Ok(false) => match nested {
                    Some((v2, l2, p2)) => self.tally(env, bound, t, v2, l2, p2),
                    None => {
                        t.pred.get_or_insert(pred);
                        t.depth = t.depth.max(bound.len());
                        t.found += 1;
                        if t.failing.len() < KEPT {
                            t.failing.push(bound.iter().map(|(_, v)| v.clone()).collect());
                        }
                    }
                },
                Ok(true) => {}
                // An undecided inner `all` names its undecided tuples.
                Err(_) if nested.is_some() => {
                    if let Some((v2, l2, p2)) = nested {
                        self.tally(env, bound, t, v2, l2, p2);
                    }
                }
                Err(_) => {
                    t.undecided += 1;
                    if t.undecided_shown.len() < KEPT {
                        t.undecided_shown.push(bound.iter().map(|(_, v)| v.clone()).collect());
                    }
                }
            }
            bound.pop();
        }
    }
}

/// How many elements an explanation names before "and N more".
const SHOWN: usize = 5;

/// How many failing elements the report keeps.
const KEPT: usize = 100;

/// The elements (tuples, through nested quantifiers) for which a failed
/// `all` does not hold, and those it cannot decide.
#[derive(Default)]
struct Tally<'x> {
    /// The quantified variables, outermost first.
    vars: Vec<String>,
    /// The innermost predicate that failed.
    pred: Option<&'x Expr>,
    /// The length of the longest failing tuple.
    depth: usize,
    /// How many fail.
    found: usize,
    /// The first [`KEPT`] that fail.
    failing: Vec<Vec<Value>>,
    /// How many cannot be decided.
    undecided: usize,
    /// The first [`KEPT`] of those.
    undecided_shown: Vec<Vec<Value>>,
}

impl Tally<'_> {
    fn name(model: &Model, tuple: &[Value]) -> String {
        let parts: Vec<String> = tuple.iter().map(|v| model.display_value(v)).collect();
        if parts.len() == 1 {
            parts.join("")
        } else {
            format!("({})", parts.join(", "))
        }
    }

    fn list(model: &Model, tuples: &[Vec<Value>], total: usize, max: usize) -> String {
        let names: Vec<String> = tuples.iter().take(max).map(|t| Tally::name(model, t)).collect();
        if total > names.len() {
            format!("{} and {} more", names.join(", "), total - names.len())
        } else {
            names.join(", ")
        }
    }

    fn shown(&self, model: &Model, max: usize) -> String {
        Tally::list(model, &self.failing, self.found, max)
    }

    fn shown_undecided(&self, model: &Model, max: usize) -> String {
        Tally::list(model, &self.undecided_shown, self.undecided, max)
    }

    fn report(&self, model: &Model) -> Failing {
        let names = |ts: &[Vec<Value>]| -> Vec<Vec<String>> {
            ts.iter().map(|t| t.iter().map(|v| model.display_value(v)).collect()).collect()
        };
        Failing {
            variables: self.vars.clone(),
            count: self.found,
            elements: names(&self.failing),
            undecided_count: self.undecided,
            undecided: names(&self.undecided_shown),
        }
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip_parens(inner),
        _ => e,
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

    fn q(s: &str) -> Rational {
        Rational::parse_decimal(s).unwrap_or(Rational::ZERO)
    }

    #[test]
    fn percentiles_match_numpy_exactly() {
        // numpy.percentile([1, 2, 3, 4], [50, 90, 95, 99])
        let v: Vec<Rational> = ["4", "1", "3", "2"].iter().map(|s| q(s)).collect();
        let p = |x: &str| percentile(&v, q(x));
        assert_eq!(p("0.5"), Some(q("2.5")));
        assert_eq!(p("0.9"), Some(q("3.7")));
        assert_eq!(p("0.95"), Some(q("3.85")));
        assert_eq!(p("0.99"), Some(q("3.97")));
        assert_eq!(percentile(&[q("5")], q("0.99")), Some(q("5")));
        // numpy.percentile([180, 190, 260, 200, 210, 205, 199], 95) == 245.0
        let lat: Vec<Rational> = ["180", "190", "260", "200", "210", "205", "199"].iter().map(|s| q(s)).collect();
        assert_eq!(percentile(&lat, q("0.95")), Some(q("245")));
    }

    #[test]
    fn aggregates_are_exact() {
        let xs: Vec<Rational> = ["0.1", "0.2", "0.3"].iter().map(|s| q(s)).collect();
        assert_eq!(aggregate("sum", &xs), Some(q("0.6")));
        assert_eq!(aggregate("avg", &xs), Some(q("0.2")));
        assert_eq!(aggregate("delta", &xs), Some(q("0.2")));
        assert_eq!(aggregate("count", &xs), Some(q("3")));
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
        let now = 1_795_478_400 * NANOS_PER_SEC;
        let day = 86_400 * NANOS_PER_SEC;
        let series = (0..n).filter(|i| i % 97 != 5).map(|i| {
            let labels: crate::eval::metrics::Labels = [("i".to_string(), i.to_string())].into_iter().collect();
            let last = if i % 89 == 3 { now - 5 * day } else { now - 3600 * NANOS_PER_SEC };
            let samples = (0..4)
                .map(|d| Sample {
                    time: last - d * day,
                    value: if i % 53 == 7 && d == 1 { f64::NAN } else { 89.0 + (i % 7) as f64 },
                })
                .collect();
            Series::with_samples("m", labels, samples)
        });
        (analysis, series.collect())
    }

    fn run(analysis: &crate::analysis::Analysis, store: &MetricStore, workers: usize) -> Report {
        let opts = EvalOptions { now: 1_795_478_400 * NANOS_PER_SEC, default_max_age: DEFAULT_MAX_AGE };
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
        assert_eq!(collapse("a>b and\t\"x // y\"/// doc\n  or(c)"), "a>b and \"x // y\" or(c)");
    }
}
