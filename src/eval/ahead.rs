//! KPIs' statuses read ahead, while the policy is still being checked.
//!
//! `compel eval` reads the metrics files on a thread of its own, which is
//! done long before the policy is analysed. The check hands that thread
//! each KPI as soon as it has the KPI's attributes ([`KpiFeed`], from
//! [`crate::check::check_observing`]); the thread reads the status of
//! every plain KPI it is given (the latest sample, its freshness, where it
//! stands against the target and the warn band) and the series the KPI
//! selects, until the analysis is over ([`read_ahead`]). The evaluation
//! then takes those reads instead of making them ([`Ahead::status`],
//! [`Ahead::selected`]).
//!
//! A read is taken only for a KPI whose attributes are the very ones it
//! was made from ([`crate::check::Attrs::same`]: a later pass of the
//! check that changes them replaces them), under the same name, at the
//! same `now` and default `max_age`: then it is the read the evaluation
//! would make, by the same code ([`StoreMetrics::status_of`]). KPIs whose
//! status needs the model are left to the evaluation: derived KPIs,
//! bounds computed at `now`, and thresholds that are not plain numbers in
//! the KPI's unit. Reading a plain KPI's status takes no evaluation step,
//! so the step budget is spent as before.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, OnceLock};

use super::metric_reads::{Finding, KpiInfo, StoreMetrics};
use super::series_index::SeriesIndex;
use super::EvalOptions;
use crate::check::interp::KpiState;
use crate::check::rational::Rational;
use crate::check::{Attrs, DeclId, Kind, Model};
use crate::eval::fast_hash::FastMap;
use crate::eval::metrics::{MetricStore, Sample, Series};

/// A KPI as the check handed it on: its id, name and attributes (shared
/// with the model, not copied).
pub(crate) struct Fed {
    id: DeclId,
    name: String,
    attrs: Attrs,
}

/// KPIs handed on in batches of this many: one message for many KPIs.
const BATCH: usize = 256;

/// The check's side: each KPI whose attributes are checked, handed on to
/// the thread that reads ahead. What is left in the batch goes when the
/// feed is dropped (the analysis is over).
pub(crate) struct KpiFeed {
    to: Sender<Vec<Fed>>,
    batch: Vec<Fed>,
}

impl KpiFeed {
    /// A feed, and the end the reading thread takes KPIs from.
    pub(crate) fn new() -> (KpiFeed, Receiver<Vec<Fed>>) {
        let (to, from) = std::sync::mpsc::channel();
        (KpiFeed { to, batch: Vec::with_capacity(BATCH) }, from)
    }

    /// Declaration `id` of `model` has its attributes: handed on if it is
    /// a KPI ([`crate::check::check_observing`]).
    pub(crate) fn checked(&mut self, model: &Model, id: DeclId) {
        let d = model.decl(id);
        if d.kind != Kind::Kpi {
            return;
        }
        self.batch.push(Fed { id, name: d.name.clone(), attrs: d.attrs.clone() });
        if self.batch.len() >= BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // The reading thread stopped: nothing more is read ahead.
        let _ = self.to.send(batch);
    }
}

impl Drop for KpiFeed {
    fn drop(&mut self) {
        if !self.batch.is_empty() {
            self.send();
        }
    }
}

/// The statuses read ahead, with what they were read at.
pub(crate) struct Ahead<'a> {
    now: i64,
    default_max_age: Rational,
    reads: FastMap<DeclId, Read<'a>>,
}

/// One KPI's reads, and the name and attributes they were made from.
struct Read<'a> {
    name: String,
    /// A clone, held: the check then changes a copy of the list, never
    /// this one, and no other list takes its address ([`Attrs::same`]).
    attrs: Attrs,
    status: Finding<(KpiState, Sample)>,
    selected: Result<&'a Series, String>,
}

impl<'a> Ahead<'a> {
    /// The reads of KPI `kpi` of `model`, if made from its attributes.
    fn of(&self, kpi: DeclId, model: &Model) -> Option<&Read<'a>> {
        let read = self.reads.get(&kpi)?;
        let d = model.decls.get(kpi.0 as usize)?;
        (d.attrs.same(&read.attrs) && d.name == read.name).then_some(read)
    }

    /// The status of KPI `kpi` of `model` at `now` (KPIs without a
    /// `max_age` having `default_max_age`), if read ahead.
    pub(super) fn status(
        &self,
        kpi: DeclId,
        model: &Model,
        now: i64,
        default_max_age: Rational,
    ) -> Option<&Finding<(KpiState, Sample)>> {
        let same = now == self.now && default_max_age == self.default_max_age;
        same.then(|| self.of(kpi, model)).flatten().map(|r| &r.status)
    }

    /// The series KPI `kpi` of `model` selects, or why none, if found
    /// ahead.
    pub(super) fn selected(&self, kpi: DeclId, model: &Model) -> Option<&Result<&'a Series, String>> {
        self.of(kpi, model).map(|r| &r.selected)
    }

    /// How many KPIs were read ahead.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.reads.len()
    }
}

/// A model with nothing in it: the reader ahead has no model (the check
/// is building it), and reads only what needs none.
fn no_model() -> &'static Model {
    static NONE: OnceLock<Model> = OnceLock::new();
    NONE.get_or_init(Model::default)
}

/// Reads ahead, through `index` (over `store`), the status at `opts` of
/// each KPI `fed` hands on, until the feed ends or `done` is set (the
/// analysis is over: the evaluation would wait for this thread), and
/// leaves the reads with the index (which nothing else holds yet).
pub(crate) fn read_ahead<'a>(
    store: &'a MetricStore,
    index: &mut Arc<SeriesIndex<'a>>,
    fed: &Receiver<Vec<Fed>>,
    opts: &EvalOptions,
    done: &AtomicBool,
) {
    let metrics = StoreMetrics::with_index(no_model(), store, Arc::clone(index), opts);
    let mut reads = FastMap::default();
    'feed: while let Ok(batch) = fed.recv() {
        for kpi in batch {
            if done.load(Ordering::Relaxed) {
                break 'feed;
            }
            if let Some((id, read)) = read_one(&metrics, kpi) {
                reads.insert(id, read);
            }
        }
    }
    drop(metrics);
    // The index is this thread's alone again (should it not be, the reads
    // are left to the evaluation).
    if let Some(index) = Arc::get_mut(index) {
        index.ahead = Some(Box::new(Ahead { now: opts.now, default_max_age: opts.default_max_age, reads }));
    }
}

/// The reads of one KPI, unless its status needs the model.
fn read_one<'a>(metrics: &StoreMetrics<'a>, kpi: Fed) -> Option<(DeclId, Read<'a>)> {
    let Fed { id, name, attrs } = kpi;
    let (status, selected) = {
        let k = KpiInfo::of(id, &name, &attrs, metrics.store, metrics.default_max_age);
        // A threshold shown as the model shows a value, not as a number in
        // the KPI's unit, needs the model (`KpiInfo::show_threshold`), as
        // a derived KPI's value and a bound computed at `now` do.
        let plain = |t: Option<(_, &crate::check::Value)>| t.is_none_or(|(_, v)| k.unit.from_value(v).is_some());
        if k.computed || attrs.derives() || !plain(k.target()) || !plain(k.warn()) {
            return None;
        }
        let status = metrics.status_of(&k, metrics.latest_sample(&k, "status"));
        (status, metrics.select(&k))
    };
    Some((id, Read { name, attrs, status, selected }))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use super::{read_ahead, KpiFeed};
    use crate::check::value::NANOS_PER_SEC;
    use crate::check::{Attrs, DeclId, Kind, Model};
    use crate::eval::evaluate::{evaluate_beside, SeriesIndex};
    use crate::eval::metrics::{Labels, MetricStore, Sample, Series};
    use crate::eval::{EvalOptions, DEFAULT_MAX_AGE};

    const NOW: i64 = 1_795_478_400 * NANOS_PER_SEC;
    const HOUR: i64 = 3600 * NANOS_PER_SEC;

    /// KPIs of every kind a status read meets: met, at risk, missed,
    /// stale, without a series, ambiguous, a NaN and a conflicting latest
    /// sample, a duration unit; and two whose status needs the model (a
    /// derived KPI, a bound computed at `now`). Gates read them over
    /// windows and `for`, which select their series again.
    const POLICY: &str = "\
kpi met   { metric \"m\" labels { k \"met\" } unit percent target >= 90% warn < 92% }
kpi warned { metric \"m\" labels { k \"risk\" } unit percent target >= 90% warn < 92% }
kpi miss  { metric \"m\" labels { k \"miss\" } unit percent target >= 90% }
kpi stale { metric \"m\" labels { k \"stale\" } unit percent target >= 90% max_age 1h }
kpi none  { metric \"m\" labels { k \"none\" } unit percent target >= 90% }
kpi amb   { metric \"m\" unit percent target >= 90% }
kpi nan   { metric \"m\" labels { k \"nan\" } unit percent target >= 90% }
kpi clash { metric \"c\" unit ratio target >= 0.5 }
kpi lat   { metric \"lat\" unit ms target <= 250ms }
kpi r     { metric \"r\" unit ratio target >= 0.5 }
kpi der   { unit ratio value r * 2 target >= 0.5 }
kpi bound { metric \"r\" unit ratio target >= avg(r, 1d, offset 1d) - 0.05 }
initiative i {
  owner \"o\"
  stage model
  kpis  [met, warned, miss, stale, none, amb, nan, clash, lat, r, der, bound]
  gate model -> produce {
    require met for 1d
    require avg(lat, 1d) < 300ms
    require warned
    expect  avg(miss, 1d) >= 90%
  }
}
";

    /// The KPIs read ahead: all but `der` and `bound`.
    const PLAIN: usize = 10;

    fn analysed() -> crate::analysis::Analysis {
        let mut loader = crate::analysis::MemoryLoader::default();
        loader.insert("p.compel", POLICY.to_string());
        let analysis = crate::analysis::analyze(&["p.compel".to_string()], &loader);
        assert!(!analysis.diagnostics.iter().any(|d| d.is_compile_error()), "{:?}", analysis.diagnostics);
        analysis
    }

    fn store() -> MetricStore {
        let at = |k: &str| -> Labels { [("k".to_string(), k.to_string())].into_iter().collect() };
        let one = |v: f64, age: i64| vec![Sample { time: NOW - age, value: v }];
        let mut store: MetricStore = [
            Series::with_samples("m", at("met"), one(95.0, HOUR)),
            Series::with_samples("m", at("risk"), one(91.0, HOUR)),
            Series::with_samples("m", at("miss"), one(80.0, HOUR)),
            Series::with_samples("m", at("stale"), one(95.0, 2 * HOUR)),
            Series::with_samples("m", at("nan"), one(f64::NAN, HOUR)),
            Series::with_samples("lat", Labels::new(), one(200.0, HOUR)),
            Series::with_samples(
                "r",
                Labels::new(),
                vec![Sample { time: NOW - 30 * HOUR, value: 0.9 }, Sample { time: NOW - HOUR, value: 0.7 }],
            ),
        ]
        .into_iter()
        .collect();
        store.add_series_from(Series::with_samples("c", Labels::new(), one(0.7, HOUR)), "a.json");
        store.add_series_from(Series::with_samples("c", Labels::new(), one(0.2, HOUR)), "b.json");
        store
    }

    fn opts() -> EvalOptions {
        EvalOptions { now: NOW, default_max_age: DEFAULT_MAX_AGE }
    }

    /// The index over `store` with the statuses of `model`'s KPIs read
    /// ahead at `at`, as the check hands them on (`attrs` says which
    /// attributes each is handed with).
    fn ahead<'s>(
        model: &Model,
        store: &'s MetricStore,
        at: &EvalOptions,
        attrs: impl Fn(&Attrs) -> Attrs,
    ) -> Arc<SeriesIndex<'s>> {
        let handed = Model {
            decls: model.decls.iter().map(|d| crate::check::Decl { attrs: attrs(&d.attrs), ..d.clone() }).collect(),
            ..Model::default()
        };
        let (mut feed, fed) = KpiFeed::new();
        (0..handed.decls.len()).for_each(|i| feed.checked(&handed, DeclId(i as u32)));
        drop(feed);
        let mut index = Arc::new(SeriesIndex::with_exact_values(store));
        read_ahead(store, &mut index, &fed, at, &AtomicBool::new(false));
        index
    }

    fn report(analysis: &crate::analysis::Analysis, store: &MetricStore, index: Arc<SeriesIndex<'_>>) -> String {
        let model = &analysis.model;
        evaluate_beside(model, &analysis.files, store, index, &opts(), None).0.to_json()
    }

    /// The statuses read ahead are the evaluation's: the same report, with
    /// every plain KPI's read taken and the two that need the model left
    /// to it.
    #[test]
    fn statuses_read_ahead_give_the_report_read_alone() {
        let (analysis, store) = (analysed(), store());
        let model = &analysis.model;
        let alone = report(&analysis, &store, Arc::new(SeriesIndex::new(&store)));
        for reason in ["at risk", "misses", "stale", "no series", "ambiguous", "NaN", "conflicting"] {
            assert!(alone.contains(reason), "a varied report: no `{reason}` in {alone}");
        }
        let index = ahead(model, &store, &opts(), Attrs::clone);
        let read = index.ahead().map_or(0, |a| a.len());
        assert_eq!(read, PLAIN);
        let kpis = model.decls.iter().enumerate().filter(|(_, d)| d.kind == Kind::Kpi);
        let taken: Vec<&str> = kpis
            .filter(|(i, _)| {
                index.ahead().and_then(|a| a.status(DeclId(*i as u32), model, NOW, DEFAULT_MAX_AGE)).is_some()
            })
            .map(|(_, d)| d.name.as_str())
            .collect();
        assert_eq!(taken.len(), PLAIN, "{taken:?}");
        assert!(!taken.contains(&"der") && !taken.contains(&"bound"), "{taken:?}");
        assert_eq!(report(&analysis, &store, index), alone);
    }

    /// A read is taken only from the very attributes it was made from, at
    /// the same `now` and default `max_age`: attributes equal but made
    /// apart (as a later pass of the check makes them when it changes
    /// them), another `now` or another default are read again, and the
    /// report is the same.
    #[test]
    fn a_read_ahead_is_taken_only_from_the_attributes_it_was_made_from() {
        let (analysis, store) = (analysed(), store());
        let model = &analysis.model;
        let alone = report(&analysis, &store, Arc::new(SeriesIndex::new(&store)));
        let later = EvalOptions { now: NOW + 1, ..opts() };
        let other_default =
            EvalOptions { default_max_age: crate::check::rational::Rational::int(2 * 86_400), ..opts() };
        let apart = |a: &Attrs| Attrs::from(Vec::clone(a));
        for (index, what) in [
            (ahead(model, &store, &opts(), apart), "attributes made apart"),
            (ahead(model, &store, &later, Attrs::clone), "another now"),
            (ahead(model, &store, &other_default, Attrs::clone), "another default max_age"),
        ] {
            assert_eq!(index.ahead().map_or(0, |a| a.len()), PLAIN, "{what}: read");
            let taken = (0..model.decls.len())
                .filter(|i| {
                    index.ahead().and_then(|a| a.status(DeclId(*i as u32), model, NOW, DEFAULT_MAX_AGE)).is_some()
                })
                .count();
            assert_eq!(taken, 0, "{what}: taken");
            assert_eq!(report(&analysis, &store, index), alone, "{what}");
        }
    }

    /// Once the analysis is over the reader stops: nothing more is read.
    #[test]
    fn the_reader_stops_when_the_analysis_is_over() {
        let (analysis, store) = (analysed(), store());
        let (mut feed, fed) = KpiFeed::new();
        (0..analysis.model.decls.len()).for_each(|i| feed.checked(&analysis.model, DeclId(i as u32)));
        drop(feed);
        let mut index = Arc::new(SeriesIndex::new(&store));
        read_ahead(&store, &mut index, &fed, &opts(), &AtomicBool::new(true));
        assert_eq!(index.ahead().map_or(usize::MAX, |a| a.len()), 0);
    }

    /// The check hands on each declaration once, as soon as its attributes
    /// are checked; a later pass that changes them replaces them (a
    /// derived KPI's formula, a bound computed at `now`), so a read made
    /// from those handed on is not taken.
    #[test]
    fn the_check_hands_on_attributes_that_stay_unless_a_later_pass_replaces_them() {
        let mut loader = crate::analysis::MemoryLoader::default();
        loader.insert("p.compel", POLICY.to_string());
        let mut handed: Vec<(DeclId, Attrs)> = Vec::new();
        let mut check = |files: &_, asts: &[_], visible, options| {
            crate::check::check_observing(files, asts, visible, options, &mut |model: &Model, id: DeclId| {
                handed.push((id, model.decl(id).attrs.clone()));
            })
        };
        let settings = crate::analysis::Settings::default();
        let roots = ["p.compel".to_string()];
        let analysis = crate::analysis::analyze_project_with_host(
            &roots,
            &loader,
            &settings,
            &mut crate::syntax::parse,
            &mut check,
        );
        let model = &analysis.model;
        let mut ids: Vec<u32> = handed.iter().map(|(id, _)| id.0).collect();
        ids.dedup();
        assert_eq!(ids.len(), handed.len(), "each once");
        let kpi = |name: &str| handed.iter().find(|(id, _)| model.decl(*id).name == name).map(|(id, a)| (*id, a));
        for (name, stay) in [("met", true), ("lat", true), ("clash", true), ("der", false), ("bound", false)] {
            let (id, attrs) = kpi(name).unwrap_or_else(|| panic!("`{name}` handed on"));
            assert_eq!(attrs.same(&model.decl(id).attrs), stay, "`{name}`");
        }
    }
}
