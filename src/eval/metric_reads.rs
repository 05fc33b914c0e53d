//! Reading a KPI's data from the metric store: [`StoreMetrics`], the
//! [`Metrics`] the interpreter asks, each read made once and recorded as
//! [`Evidence`] with a sentence for people. Window and drift reads are in
//! `window_reads.rs`, `KPI for D` in `held_reads.rs`.
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

use crate::eval::fast_hash::FastMap;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::bounds;
use super::series_index::SeriesIndex;
use super::window_reads::fmt_dur;
use super::EvalOptions;
use crate::check::interp::{self, KpiState, Metrics, Undecided};
use crate::check::rational::Rational;
use crate::check::value::{fmt_num, secs_to_nanos_floor, Value};
use crate::check::{DeclId, MeasureUnit, Model};
use crate::eval::metrics::{
    format_rfc3339, format_selector_of, rfc3339_text, Labels, MetricStore, Sample, Selection, Series,
};
use crate::eval::report::{Evidence, Num, SampleRecord, Time};
use crate::syntax::ast::CmpOp;

/// The facts about a KPI that reading its data needs.
pub(super) struct KpiInfo<'m> {
    pub(super) id: DeclId,
    pub(super) name: &'m str,
    pub(super) metric: Option<&'m str>,
    /// Its label selector as declared ([`KpiInfo::label_pairs`]).
    pub(super) declared_labels: Option<&'m crate::check::Labels>,
    pub(super) unit: MeasureUnit,
    pub(super) target: Option<(CmpOp, Value)>,
    pub(super) warn: Option<(CmpOp, Value)>,
    /// Whether `target` or `warn` is computed at `now` (see
    /// [`StoreMetrics::with_bounds`]).
    pub(super) computed: bool,
    /// In seconds.
    pub(super) max_age: Rational,
    /// In whole nanoseconds, rounded down: an age (whole nanoseconds) is
    /// over `max_age` exactly when it is over this.
    pub(super) max_age_nanos: i64,
}

impl<'m> KpiInfo<'m> {
    /// The facts about KPI `id`, named `name`, with attributes `attrs`,
    /// read from `store` (a KPI that sets no `max_age` has
    /// `default_max_age`).
    pub(super) fn of(
        id: DeclId,
        name: &'m str,
        attrs: &'m crate::check::Attrs,
        store: &'m MetricStore,
        default_max_age: Rational,
    ) -> KpiInfo<'m> {
        let max_age = match attrs.value("max_age") {
            Some(Value::Dur(s)) => *s,
            _ => default_max_age,
        };
        KpiInfo {
            id,
            name,
            // A `query` KPI read from Prometheus reads its query's results.
            metric: attrs.str_attr("query").and_then(|q| store.query_key(q)).or(attrs.str_attr("metric")),
            declared_labels: attrs.labels_as_set(),
            unit: attrs.measure_unit(),
            target: attrs.threshold("target").map(|(o, v)| (o, v.clone())),
            warn: attrs.threshold("warn").map(|(o, v)| (o, v.clone())),
            computed: ["target", "warn"]
                .iter()
                .any(|a| matches!(attrs.attr(a).map(|x| &x.value), Some(crate::check::AttrVal::Bound(..)))),
            max_age,
            max_age_nanos: secs_to_nanos_floor(max_age).unwrap_or(if max_age.is_negative() { -1 } else { i64::MAX }),
        }
    }

    pub(super) fn target(&self) -> Option<(CmpOp, &Value)> {
        self.target.as_ref().map(|(o, v)| (*o, v))
    }

    pub(super) fn warn(&self) -> Option<(CmpOp, &Value)> {
        self.warn.as_ref().map(|(o, v)| (*o, v))
    }

    pub(super) fn selector(&self) -> String {
        format_selector_of(self.metric.unwrap_or(self.name), self.label_pairs())
    }

    /// Its label selector's pairs, sorted by label, once each (as a map
    /// of them would have them).
    pub(super) fn label_pairs(&self) -> impl Iterator<Item = (&'m str, &'m str)> + Clone {
        self.declared_labels.into_iter().flat_map(|l| l.pairs())
    }

    /// An exact raw number in the KPI's unit, for people: `93.5%`, `260ms`.
    pub(super) fn show(&self, raw: Rational) -> String {
        self.unit.format_raw(raw)
    }

    /// A threshold in the KPI's unit: `>= 92%`.
    pub(super) fn show_threshold(&self, model: &Model, (op, v): (CmpOp, &Value)) -> String {
        let bound = match self.unit.from_value(v) {
            Some(raw) => self.unit.format_raw(raw),
            None => model.display_value(v),
        };
        format!("{} {bound}", op.as_str())
    }

    /// Whether an exact raw value meets a threshold.
    pub(super) fn meets(&self, (op, v): (CmpOp, &Value), raw: Rational) -> Result<bool, String> {
        self.meets_in_raw(self.unit.from_value(v), (op, v), raw)
    }

    /// [`KpiInfo::meets`], given the threshold's bound in the KPI's raw
    /// unit (`self.unit.from_value`), when it converts exactly: the factors
    /// are positive, so comparing raw numbers decides exactly as comparing
    /// values. For many samples against one threshold, converted once.
    pub(super) fn meets_in_raw(
        &self,
        bound: Option<Rational>,
        (op, v): (CmpOp, &Value),
        raw: Rational,
    ) -> Result<bool, String> {
        if let Some(bound) = bound {
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
    pub(super) fn is_stale(&self, age: i64) -> bool {
        age > self.max_age_nanos
    }
}

/// The result of one read of a KPI's data: the value or why there is
/// none, a sentence for people, and the evidence for the report.
#[derive(Clone)]
pub(super) struct Finding<T> {
    pub(super) result: Result<T, String>,
    pub(super) reason: String,
    /// Shared: a read made once is listed by every KPI, initiative and
    /// criterion that asks for it.
    pub(super) evidence: Arc<Evidence>,
}

impl<T> Finding<T> {
    pub(super) fn err(reason: String, evidence: impl Into<Arc<Evidence>>) -> Finding<T> {
        let mut evidence = Arc::unwrap_or_clone(evidence.into());
        evidence.reason = Some(reason.clone());
        Finding { result: Err(reason.clone()), reason, evidence: Arc::new(evidence) }
    }
}

/// The exact value of a sample, or why it has none: a conflict between
/// sources, NaN or an infinity, or a number beyond exact arithmetic.
/// The conversion is looked up in `index` when made there beforehand.
pub(super) fn exact_value(index: &SeriesIndex<'_>, series: &Series, s: &Sample) -> Result<Rational, String> {
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
    index.exact(series, s).ok_or_else(|| {
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
    pub(super) model: &'a Model,
    pub(super) store: &'a MetricStore,
    /// Shared by the threads of one evaluation.
    pub(super) index: Arc<SeriesIndex<'a>>,
    /// Unix nanoseconds.
    pub(super) now: i64,
    pub(super) default_max_age: Rational,
    pub(super) recording: Cell<bool>,
    pub(super) evidence: RefCell<Vec<Arc<Evidence>>>,
    /// Each read, made once: gates, the KPI list and explanations ask for
    /// the same values, and the store and `now` do not change.
    pub(super) statuses: RefCell<FastMap<DeclId, Finding<(KpiState, Sample)>>>,
    pub(super) windows: RefCell<FastMap<WindowKey, Finding<(Value, usize)>>>,
    pub(super) helds: RefCell<FastMap<(DeclId, Rational), Finding<KpiState>>>,
    pub(super) latests: RefCell<FastMap<DeclId, Finding<Value>>>,
    /// Each KPI's selector and each selected series' selector, formatted
    /// once (every read's evidence names them).
    pub(super) selectors: RefCell<FastMap<DeclId, String>>,
    pub(super) series_selectors: RefCell<FastMap<usize, String>>,
    /// The series each KPI selects, or why none, found once (a KPI's
    /// status, its windows and its `for` read the same series).
    pub(super) selected: RefCell<FastMap<DeclId, Result<&'a Series, String>>>,
    /// Thresholds as shown, by operator, unit and bound (the first
    /// [`THRESHOLDS_KEPT`]).
    pub(super) thresholds: RefCell<Vec<(CmpOp, MeasureUnit, Value, String)>>,
    /// Computed `target` and `warn` bounds, and the KPIs whose bounds are
    /// being computed (a bound that reads its own KPI's status is unknown).
    pub(super) bounds: bounds::Cache,
    /// The steps this reader's evaluations may take: the model's budget
    /// when made, [split](crate::check::interp::Budget::split) with a second thread's.
    pub(super) budget: crate::check::interp::Budget,
}

/// How many distinct thresholds [`StoreMetrics::show_threshold`] keeps.
const THRESHOLDS_KEPT: usize = 32;

/// A window read: the KPI, the function (the built-in's own name when it
/// is one, so that a lookup allocates nothing), the window and its offset
/// in seconds.
pub(super) type WindowKey = (DeclId, Cow<'static, str>, Rational, Rational);

/// The finding `map` holds for `key`, or `read`'s, kept there.
pub(super) fn memo<K: std::hash::Hash + Eq, T: Clone>(
    map: &RefCell<FastMap<K, Finding<T>>>,
    key: K,
    read: impl FnOnce() -> Finding<T>,
) -> Finding<T> {
    memo_with(map, key, read, Finding::clone)
}

/// `view` of the finding `map` holds for `key` (read by `read` and kept
/// there first when there is none), without copying the finding: an
/// explanation needs its reason, a quiet read its result.
pub(super) fn memo_with<K: std::hash::Hash + Eq, T, R>(
    map: &RefCell<FastMap<K, Finding<T>>>,
    key: K,
    read: impl FnOnce() -> Finding<T>,
    view: impl FnOnce(&Finding<T>) -> R,
) -> R {
    if let Some(f) = map.borrow().get(&key) {
        return view(f);
    }
    // Not borrowed while reading: a read may read other KPIs (bounds,
    // derived KPIs' inputs).
    let f = read();
    let r = view(&f);
    map.borrow_mut().insert(key, f);
    r
}

impl<'a> StoreMetrics<'a> {
    /// Metrics over `store` at `opts.now`.
    pub fn new(model: &'a Model, store: &'a MetricStore, opts: &EvalOptions) -> StoreMetrics<'a> {
        StoreMetrics::with_index(model, store, Arc::new(SeriesIndex::new(store)), opts)
    }

    /// Metrics over `store` at `opts.now`, selecting through `index`
    /// (made over `store`).
    pub(crate) fn with_index(
        model: &'a Model,
        store: &'a MetricStore,
        index: Arc<SeriesIndex<'a>>,
        opts: &EvalOptions,
    ) -> StoreMetrics<'a> {
        StoreMetrics {
            model,
            store,
            index,
            now: opts.now,
            default_max_age: opts.default_max_age,
            recording: Cell::new(true),
            evidence: RefCell::new(Vec::new()),
            statuses: RefCell::new(FastMap::default()),
            windows: RefCell::new(FastMap::default()),
            helds: RefCell::new(FastMap::default()),
            latests: RefCell::new(FastMap::default()),
            selectors: RefCell::new(FastMap::default()),
            series_selectors: RefCell::new(FastMap::default()),
            selected: RefCell::new(FastMap::default()),
            thresholds: RefCell::new(Vec::new()),
            bounds: bounds::Cache::default(),
            budget: model.budget.for_one_thread(),
        }
    }

    /// Room in the caches for the reads of `kpis` KPIs (their status, a
    /// window, a held condition, each one's series and selector). The
    /// series' own selectors are left to grow: an index made with
    /// [`SeriesIndex::with_exact_values`] has them all formatted.
    pub(super) fn reserve(&self, kpis: usize) {
        self.statuses.borrow_mut().reserve(kpis);
        self.windows.borrow_mut().reserve(kpis);
        self.helds.borrow_mut().reserve(kpis);
        self.selectors.borrow_mut().reserve(kpis);
        self.selected.borrow_mut().reserve(kpis);
    }

    /// Forgets every read made (after the budget was reset).
    pub(super) fn clear_caches(&self) {
        self.statuses.borrow_mut().clear();
        self.windows.borrow_mut().clear();
        self.helds.borrow_mut().clear();
        self.latests.borrow_mut().clear();
        self.bounds.clear();
    }

    /// The evidence recorded since the last call, oldest first.
    pub fn take_evidence(&self) -> Vec<Arc<Evidence>> {
        std::mem::take(&mut *self.evidence.borrow_mut())
    }

    /// Runs `f` without recording evidence (explanations re-read data).
    pub(super) fn quietly<T>(&self, f: impl FnOnce() -> T) -> T {
        let was = self.recording.replace(false);
        let out = f();
        self.recording.set(was);
        out
    }

    pub(super) fn record(&self, e: Arc<Evidence>) {
        if self.recording.get() {
            self.evidence.borrow_mut().push(e);
        }
    }

    pub(super) fn info(&self, kpi: DeclId) -> KpiInfo<'a> {
        let d = self.model.decl(kpi);
        KpiInfo::of(kpi, &d.name, &d.attrs, self.store, self.default_max_age)
    }

    /// [`KpiInfo::show_threshold`], formatted once per threshold and unit
    /// (most KPIs of a policy share a few: `>= 92%`).
    pub(super) fn show_threshold(&self, k: &KpiInfo, t: (CmpOp, &Value)) -> String {
        let mut text = String::new();
        self.push_threshold(k, t, &mut text);
        text
    }

    /// [`StoreMetrics::show_threshold`] appended to `out`.
    pub(super) fn push_threshold(&self, k: &KpiInfo, (op, v): (CmpOp, &Value), out: &mut String) {
        let mut shown = self.thresholds.borrow_mut();
        if let Some((.., text)) = shown.iter().find(|(o, u, x, _)| *o == op && *u == k.unit && x == v) {
            out.push_str(text);
            return;
        }
        let text = k.show_threshold(self.model, (op, v));
        out.push_str(&text);
        if shown.len() < THRESHOLDS_KEPT {
            shown.push((op, k.unit.clone(), v.clone(), text));
        }
    }

    /// [`KpiInfo::selector`], formatted once per KPI.
    pub(super) fn kpi_selector(&self, k: &KpiInfo) -> String {
        if let Some(s) = self.selectors.borrow().get(&k.id) {
            return s.clone();
        }
        let s = k.selector();
        self.selectors.borrow_mut().insert(k.id, s.clone());
        s
    }

    /// [`Series::selector`]: formatted beforehand, or once per series.
    pub(super) fn series_selector(&self, series: &'a Series) -> String {
        if let Some(s) = self.index.selector(series) {
            return s.to_string();
        }
        // By address: the store is borrowed, so its series do not move.
        let key = series as *const Series as usize;
        if let Some(s) = self.series_selectors.borrow().get(&key) {
            return s.clone();
        }
        let s = series.selector();
        self.series_selectors.borrow_mut().insert(key, s.clone());
        s
    }

    pub(super) fn evidence(&self, k: &KpiInfo, function: &str) -> Evidence {
        self.evidence_of(k, function, self.kpi_selector(k))
    }

    /// [`StoreMetrics::evidence`] of a read of `series` (its selector).
    fn evidence_of(&self, k: &KpiInfo, function: &str, series: String) -> Evidence {
        Evidence {
            kpi: k.name.to_string(),
            series,
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
    pub(super) fn select(&self, k: &KpiInfo) -> Result<&'a Series, String> {
        if let Some(found) = self.selected.borrow().get(&k.id) {
            return found.clone();
        }
        let found = match self.index.ahead().and_then(|a| a.selected(k.id, self.model)) {
            Some(found) => found.clone(),
            None => self.select_now(k),
        };
        self.selected.borrow_mut().insert(k.id, found.clone());
        found
    }

    /// [`StoreMetrics::select`], not looked up: a function of the KPI's
    /// declaration (its metric and labels) and the store.
    fn select_now(&self, k: &KpiInfo) -> Result<&'a Series, String> {
        let Some(metric) = k.metric else {
            return Err(format!("`{}` names no `metric`", k.name));
        };
        if let Some(err) = self.store.source_error(metric) {
            return Err(format!("the source of `{}` failed: {err}", self.kpi_selector(k)));
        }
        match self.index.select_one_pairs(metric, k.label_pairs()) {
            Selection::One(s) => Ok(s),
            Selection::None => {
                let selector = self.kpi_selector(k);
                let others = self.index.select(metric, &Labels::new());
                let shown: Vec<String> = others.iter().take(3).map(|s| format!("`{}`", s.selector())).collect();
                Err(match others.len() {
                    0 => format!("no series `{selector}`"),
                    n if n <= 3 => format!("no series `{selector}` (the metric has {})", shown.join(", ")),
                    n => format!("no series `{selector}` (the metric has {} and {} more)", shown.join(", "), n - 3),
                })
            }
            Selection::Ambiguous(found) => {
                let selector = self.kpi_selector(k);
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
    pub(super) fn latest_sample(&self, k: &KpiInfo, function: &str) -> Finding<(Sample, Rational)> {
        let series = match self.select(k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, self.evidence(k, function)),
        };
        // The series found, not the KPI's selector.
        let mut ev = self.evidence_of(k, function, self.series_selector(series));
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
        let exact = match exact_value(&self.index, series, &last) {
            Ok(q) => q,
            Err(r) => return Finding::err(r, ev),
        };
        ev.value = Some(Num(last.value));
        ev.unit = Some(k.unit.name());
        // Room for what a KPI's status adds ([`StoreMetrics::classify`]).
        let mut reason = String::with_capacity(112);
        reason.push_str("latest ");
        k.unit.push_raw(exact, &mut reason);
        reason.push_str(" at ");
        reason.push_str(&rfc3339_text(last.time, &mut [0; 30]));
        Finding { result: Ok((last, exact)), reason, evidence: Arc::new(ev) }
    }

    pub(super) fn status_finding(&self, kpi: DeclId) -> Finding<(KpiState, Sample)> {
        memo(&self.statuses, kpi, || self.read_status(kpi))
    }

    /// `view` of [`StoreMetrics::status_finding`], without copying it.
    pub(super) fn status_view<R>(&self, kpi: DeclId, view: impl FnOnce(&Finding<(KpiState, Sample)>) -> R) -> R {
        memo_with(&self.statuses, kpi, || self.read_status(kpi), view)
    }

    fn read_status(&self, kpi: DeclId) -> Finding<(KpiState, Sample)> {
        if let Some(read) = self.index.ahead().and_then(|a| a.status(kpi, self.model, self.now, self.default_max_age)) {
            return read.clone();
        }
        let k = match self.with_bounds(kpi, self.info(kpi)) {
            Ok(k) => k,
            Err(r) => {
                let k = self.info(kpi);
                return Finding::err(r, self.evidence(&k, "status"));
            }
        };
        let f = self.latest_sample_any(kpi, &k, "status");
        self.status_of(&k, f)
    }

    /// The status of KPI `k` (its bounds computed) whose latest sample
    /// read `f` found.
    pub(super) fn status_of(&self, k: &KpiInfo, f: Finding<(Sample, Rational)>) -> Finding<(KpiState, Sample)> {
        let (last, exact) = match f.result {
            Ok(s) => s,
            Err(r) => return Finding { result: Err(r), reason: f.reason, evidence: f.evidence },
        };
        let Some(target) = k.target() else {
            return Finding::err(format!("`{}` has no valid `target`", k.name), f.evidence);
        };
        let mut reason = f.reason;
        let state = match self.classify(k, target, exact, &mut reason) {
            Err(r) => return Finding::err(r, f.evidence),
            Ok(state) => state,
        };
        if k.computed {
            reason.push_str(" (a bound computed at now)");
        }
        Finding { result: Ok((state, last)), reason, evidence: f.evidence }
    }

    /// Where an exact value stands against the target and the warn band,
    /// its words appended to `out` after a space (`meets `>= 92%` but is
    /// `< 94%` (its `warn`)`).
    fn classify(
        &self,
        k: &KpiInfo,
        target: (CmpOp, &Value),
        exact: Rational,
        out: &mut String,
    ) -> Result<KpiState, String> {
        if !k.meets(target, exact)? {
            out.push_str(" misses `");
            self.push_threshold(k, target, out);
            out.push('`');
            return Ok(KpiState::Missed);
        }
        out.push_str(" meets `");
        self.push_threshold(k, target, out);
        out.push('`');
        if let Some(w) = k.warn() {
            if k.meets(w, exact)? {
                out.push_str(" but is `");
                self.push_threshold(k, w, out);
                out.push_str("` (its `warn`)");
                return Ok(KpiState::AtRisk);
            }
        }
        Ok(KpiState::Met)
    }

    pub(super) fn latest_finding(&self, kpi: DeclId) -> Finding<Value> {
        memo(&self.latests, kpi, || self.read_latest(kpi))
    }

    fn read_latest(&self, kpi: DeclId) -> Finding<Value> {
        let k = self.info(kpi);
        let f = self.latest_sample_any(kpi, &k, "latest");
        let result = f.result.and_then(|(_, q)| {
            k.unit.to_value(q).ok_or_else(|| format!("{q} {} is too large to compute with exactly", k.unit.name()))
        });
        Finding { result, reason: f.reason, evidence: f.evidence }
    }

    /// Records a finding's evidence and returns its result.
    fn yield_finding<T>(&self, f: Finding<T>) -> Result<T, Undecided> {
        self.record(f.evidence);
        f.result.map_err(Undecided::Unknown)
    }

    /// The result of the finding `map` holds for `key` (read first when
    /// there is none), `pick`ed, its evidence recorded: copied only when
    /// recording (an explanation's reads are quiet).
    fn yield_memo<K: std::hash::Hash + Eq, T, R>(
        &self,
        map: &RefCell<FastMap<K, Finding<T>>>,
        key: K,
        read: impl FnOnce() -> Finding<T>,
        pick: impl FnOnce(&T) -> R,
    ) -> Result<R, Undecided> {
        memo_with(map, key, read, |f| {
            if self.recording.get() {
                self.evidence.borrow_mut().push(Arc::clone(&f.evidence));
            }
            f.result.as_ref().map(pick).map_err(|r| Undecided::Unknown(r.clone()))
        })
    }
}

impl Metrics for StoreMetrics<'_> {
    fn status(&self, kpi: DeclId) -> Result<KpiState, Undecided> {
        self.yield_memo(&self.statuses, kpi, || self.read_status(kpi), |(s, _)| *s)
    }

    fn latest(&self, kpi: DeclId) -> Result<Value, Undecided> {
        self.yield_memo(&self.latests, kpi, || self.read_latest(kpi), Value::clone)
    }

    fn window(&self, kpi: DeclId, func: &str, window_secs: Rational, offset: Rational) -> Result<Value, Undecided> {
        let key = (kpi, window_key(func), window_secs, offset);
        self.yield_memo(&self.windows, key, || self.read_window(kpi, func, window_secs, offset), |(v, _)| v.clone())
    }

    fn drift(
        &self,
        kpi: DeclId,
        func: &str,
        current_secs: Rational,
        reference_secs: Rational,
        offset_secs: Rational,
    ) -> Result<f64, Undecided> {
        self.yield_finding(self.drift_finding(kpi, func, current_secs, reference_secs, offset_secs))
    }

    fn held_for(&self, kpi: DeclId, secs: Rational) -> Result<KpiState, Undecided> {
        self.yield_memo(&self.helds, (kpi, secs), || self.read_held(kpi, secs), |s| *s)
    }
}

/// A window function's name as a cache key: the built-in's own static
/// name, else (not a window function: the read says so) a copy.
pub(super) fn window_key(func: &str) -> Cow<'static, str> {
    match crate::check::builtins::lookup(func) {
        Some(b) => Cow::Borrowed(b.name),
        None => Cow::Owned(func.to_string()),
    }
}

pub(super) fn record(s: &Sample) -> SampleRecord {
    SampleRecord { time: Time(s.time), value: Num(s.value) }
}
