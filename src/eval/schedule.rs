//! The evaluation's work shared between two threads.
//!
//! The work is cut into items: the policies first (the largest item),
//! then the initiatives in chunks of [`CHUNK`]. Each thread takes the next
//! item until none is left, so the two finish within about one chunk of
//! each other whatever the machine's load, and each thread reads the
//! metrics through its own caches. Evaluation is a pure function of the
//! model, the store and `now`, so which thread evaluates an item does not
//! change its report, and the reports are put back in the initiatives'
//! order: the result is one thread's.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{Beside, Evaluator, StoreMetrics, PARALLEL_FROM};
use crate::check::interp::{self, Env, Undecided};
use crate::check::{Decided, DeclId, GateId, GatesDecided, Model};
use crate::diag::Diagnostic;
use crate::eval::fast_hash::FastMap;
use crate::eval::metrics::MetricStore;
use crate::eval::report::{
    ChunkNumbering, Early, EarlyChunk, EarlyFormat, InitiativeReport, KpiEntry, KpiReport, PolicyReport,
};
use crate::syntax::ast;

use super::EvalOptions;

/// Initiatives per item: small enough that the threads end together,
/// large enough that taking an item costs nothing next to it.
const CHUNK: usize = 32;

/// What one thread evaluated: its chunks by number, and the policies if
/// it took them.
#[derive(Default)]
struct Share {
    chunks: Vec<(usize, Vec<InitiativeReport>)>,
    policies: Option<Vec<PolicyReport>>,
    /// Its chunks formatted, when asked for.
    formatted: Vec<(std::ops::Range<usize>, EarlyChunk)>,
    /// The policies formatted, if it took them and the format has them apart.
    formatted_policies: Option<String>,
    /// Its initiatives' gates as decided for the check's static
    /// evaluation, when kept ([`Decisions`]).
    decided: ByInitiative,
}

/// What runs beside the evaluation finds: the check's static evaluation
/// with its policies evaluated, its gates left to be evaluated once the
/// evaluation has decided them, taking what it decided without the clock
/// or metrics ([`crate::check::StaticRun::gates_reusing`]).
pub(crate) type Found<'b> = crate::check::StaticRun<'b>;

/// Initiatives' gates as an evaluation decided them.
type ByInitiative = Vec<(DeclId, GatesDecided)>;

/// The gates an evaluation decided for each initiative, kept (when `on`)
/// for the check's static evaluation ([`GatesDecided`]): a criterion
/// decided without the clock or metrics is decided as the check decides
/// it; the others are evaluated here as the check evaluates them.
#[derive(Default)]
pub(super) struct Decisions {
    /// Whether they are kept, and the steps the static evaluation has.
    on: Cell<Option<u64>>,
    /// What the last criterion decided and the steps it took (this
    /// thread's budget is its own), or `None` if it read the clock or
    /// metrics.
    last: RefCell<Option<(Result<bool, Undecided>, u64)>>,
    /// The steps of the criteria evaluated here as the check does: all
    /// together take no more than the static evaluation has.
    budget: interp::Budget,
    used: Cell<u64>,
    /// The initiative being evaluated: the gates and how many criteria
    /// it decided, and what the check takes.
    gates: RefCell<Vec<GateId>>,
    criteria: Cell<usize>,
    current: RefCell<GatesDecided>,
    /// Each initiative's.
    all: RefCell<ByInitiative>,
}

impl Decisions {
    /// Keeps them (with the steps the static evaluation has), or not.
    fn keep(&self, steps: Option<u64>) {
        self.on.set(steps);
        self.used.set(0);
    }

    /// A criterion was decided in `env` as `result`, taking `steps`.
    pub(super) fn decide(&self, env: &Env, result: &Result<bool, Undecided>, steps: u64) {
        if self.on.get().is_some() {
            *self.last.borrow_mut() = (!env.touched.get()).then(|| (result.clone(), steps));
        }
    }

    /// The criterion decided last is `c`, criterion `criterion` of `gate`,
    /// decided in `env`. One that read the clock or metrics is evaluated
    /// here as the check evaluates it (on this thread, not after both),
    /// counting its steps.
    pub(super) fn note(&self, gate: GateId, criterion: usize, c: &ast::Criterion, env: &Env) {
        let Some(left) = self.on.get() else { return };
        let mut current = self.current.borrow_mut();
        let (result, steps) = match self.last.borrow_mut().take() {
            Some(decided) => decided,
            // The static evaluation runs out: it evaluates everything itself.
            None if self.used.get() >= left => (Err(Undecided::Deferred("steps")), u64::MAX),
            None => {
                self.budget.reset(left - self.used.get());
                let check = Env { subject: env.subject, budget: &self.budget, ..Env::constant(env.model, env.file) };
                let result = interp::truth(&check, &c.expr);
                // Run out here: it would have been there too, or sooner.
                let steps = if self.budget.exhausted() { u64::MAX } else { self.budget.spent() };
                self.used.set(self.used.get().saturating_add(steps));
                (result, steps)
            }
        };
        current.steps = current.steps.saturating_add(steps);
        if crate::check::reports(&result) {
            current.reported.push(Decided { gate, criterion: criterion as u32, result });
        }
        let mut gates = self.gates.borrow_mut();
        if gates.last() != Some(&gate) {
            gates.push(gate);
        }
        self.criteria.set(self.criteria.get() + 1);
    }

    /// The gates of initiative `id` of `model` are evaluated: kept if
    /// they are every criterion of every gate the check evaluates for it,
    /// its reported criteria in the check's order.
    pub(super) fn end(&self, id: DeclId, model: &Model) {
        if self.on.get().is_none() {
            return;
        }
        let mut current = std::mem::take(&mut *self.current.borrow_mut());
        let mut gates = std::mem::take(&mut *self.gates.borrow_mut());
        let criteria = self.criteria.replace(0);
        let order = model.gates_for(id);
        let all: usize = order.iter().map(|g| model.gates[*g].criteria.len()).sum();
        gates.sort_unstable_by_key(|g| g.0);
        let mut expected = order.clone();
        expected.sort_unstable_by_key(|g| g.0);
        if gates != expected || criteria != all {
            return;
        }
        let place = |g: GateId| order.iter().position(|o| *o == g).unwrap_or(usize::MAX);
        current.reported.sort_by_key(|d| (place(d.gate), d.criterion));
        self.all.borrow_mut().push((id, current));
    }
}

/// The room each of two threads' caches have for the reads of the KPIs
/// in the `kpis` lists of `initiatives` (each as often as listed; a
/// `contributes_to` KPI is most often another's already): half of them
/// and some over, instead of growing by doubling.
fn room_for(model: &Model, initiatives: &[DeclId]) -> usize {
    let named = |id: &DeclId| match model.decl(*id).value("kpis") {
        Some(crate::check::Value::List(items)) => items.len(),
        _ => 0,
    };
    initiatives.iter().map(named).sum::<usize>() / 2 + initiatives.len() / 16
}

/// What the static evaluation beside found, its gates evaluated now:
/// taking what the evaluation of `model` `decided` (sorted by
/// initiative), when it ran over the same model.
fn finish(mut run: Found<'_>, reuse: Option<(&Model, &ByInitiative)>) -> Vec<Diagnostic> {
    match reuse.filter(|(model, _)| std::ptr::eq(*model, run.model())) {
        Some((_, decided)) => {
            let of = |id: DeclId| decided.binary_search_by_key(&id.0, |(d, _)| d.0).ok().map(|i| &decided[i].1);
            run.gates_reusing(&of);
        }
        None => run.gates(),
    }
    run.found()
}

/// What the evaluation of the initiatives gives: their reports in order,
/// the policies', what ran beside found, and, when asked for, the
/// initiatives formatted as they were evaluated.
pub(super) struct Evaluated {
    pub(super) initiatives: Vec<InitiativeReport>,
    pub(super) policies: Vec<PolicyReport>,
    pub(super) found: Vec<Diagnostic>,
    pub(super) early: Option<Early>,
}

impl Evaluator<'_, '_> {
    /// The reports of `initiatives`, in order, and of the policies: on two
    /// threads when there are `workers` for it and enough initiatives
    /// (the other thread with its own reads and caches, after running
    /// `beside.other`, while this one runs `beside.here`; on one thread,
    /// `here` then `other` run first). Each runs once. Each thread takes
    /// its steps from half of the budget; should either half run out,
    /// where it ran out would depend on timing: then everything is
    /// evaluated again on one thread with the whole budget, so the report
    /// stays deterministic. On two threads, with `beside.early`, each chunk
    /// of initiatives is formatted as soon as it is evaluated
    /// (`Evaluated::early`).
    pub(super) fn initiatives(
        &self,
        initiatives: &[DeclId],
        top_gates: &[GateId],
        store: &MetricStore,
        opts: &EvalOptions,
        workers: usize,
        beside: Option<Beside<'_>>,
    ) -> Evaluated {
        let one = |ev: &Evaluator<'_, '_>| -> Reports {
            (initiatives.iter().map(|id| ev.initiative(*id, top_gates)).collect(), ev.policies())
        };
        if workers < 2 || initiatives.len() < PARALLEL_FROM {
            let found = beside.map(|b| finish(run_first(b), None)).unwrap_or_default();
            let (initiatives, policies) = one(self);
            return Evaluated { initiatives, policies, found, early: None };
        }
        let early = beside.as_ref().and_then(|b| b.early);
        let chunks: Vec<&[DeclId]> = initiatives.chunks(CHUNK).collect();
        let next = AtomicUsize::new(0);
        let formatting = formatting_for(beside.as_ref(), initiatives.len());
        let room = room_for(self.model, initiatives);
        // Item 0 is the policies, item `i + 1` the chunk `i`.
        let work = |ev: &Evaluator<'_, '_>| -> Share {
            ev.reserve(room);
            let mut share = Share::default();
            loop {
                match next.fetch_add(1, Ordering::Relaxed) {
                    0 => {
                        let policies = ev.policies();
                        // While they are in the cache.
                        share.formatted_policies = early.and_then(|format| format.format_policies(&policies));
                        share.policies = Some(policies);
                    }
                    i if i <= chunks.len() => {
                        let mut reports: Vec<InitiativeReport> =
                            chunks[i - 1].iter().map(|id| ev.initiative(*id, top_gates)).collect();
                        if let Some(formatting) = &formatting {
                            // While the reports are still in the cache.
                            share.formatted.push(formatting.chunk((i - 1) * CHUNK, &mut reports));
                        }
                        share.chunks.push((i - 1, reports));
                    }
                    _ => {
                        share.decided = std::mem::take(&mut *ev.decided.all.borrow_mut());
                        return share;
                    }
                }
            }
        };
        let (model, files) = (self.model, self.files);
        // The series index is made once and read by both threads.
        let index = std::sync::Arc::clone(&self.metrics.index);
        let ends_process = beside.as_ref().is_some_and(|b| b.ends_process);
        let static_steps = beside.as_ref().map_or(0, |b| b.static_steps);
        let (other, here) = beside.map(|b| (b.other, b.here)).unzip();
        // What the static evaluation beside is to take, if it runs.
        let keep = other.is_some().then_some(static_steps);
        // Each thread takes its steps from its own half of the budget:
        // no step is counted by both, and neither waits for the other's.
        let their_budget = self.metrics.budget.split();
        let (mine, theirs) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let found = other.map(|f| f());
                let mut metrics = StoreMetrics::with_index(model, store, index, opts);
                metrics.budget = their_budget;
                let ev = Evaluator::new(model, files, &metrics);
                ev.decided.keep(keep);
                ev.kpi_entries.set(early == Some(EarlyFormat::Json));
                let share = work(&ev);
                let (spent, left) = (metrics.budget.exhausted(), metrics.budget.left());
                let kpis = ev.take_kpi_caches();
                if ends_process {
                    // The process ends soon: its caches are not freed.
                    std::mem::forget(ev);
                    std::mem::forget(metrics);
                }
                (share, kpis, found, spent, left)
            });
            if let Some(here) = here {
                here();
            }
            self.kpi_entries.set(early == Some(EarlyFormat::Json));
            self.decided.keep(keep);
            let mine = work(self);
            self.kpi_entries.set(false);
            self.decided.keep(None);
            match other.join() {
                Ok(theirs) => (mine, theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        if self.metrics.budget.exhausted() || theirs.3 {
            return self.again_on_one(theirs.2, one);
        }
        self.merged(mine, theirs, initiatives.len(), formatting)
    }

    /// Everything evaluated again on this thread, with a fresh budget and
    /// empty caches (`one` evaluates it all), as when either half of a
    /// split budget ran out; then what ran beside, finished.
    fn again_on_one(&self, found: Option<Found<'_>>, one: impl Fn(&Self) -> Reports) -> Evaluated {
        self.metrics.budget.reset(interp::step_limit(self.model, interp::MAX_EVAL_STEPS_EVAL));
        drop(self.take_kpi_caches());
        self.metrics.clear_caches();
        let (initiatives, policies) = one(self);
        let found = found.map(|f| finish(f, None)).unwrap_or_default();
        Evaluated { initiatives, policies, found, early: None }
    }
}

/// The initiatives' reports and the policies'.
type Reports = (Vec<InitiativeReport>, Vec<PolicyReport>);

/// How each chunk of initiatives is formatted as soon as it is evaluated:
/// as the report is to be written, its reads numbered (JSON), and the
/// initiatives' details released once formatted when nothing else reads
/// them ([`Beside::release`]).
struct Formatting {
    format: EarlyFormat,
    numbering: Option<ChunkNumbering>,
    release: bool,
}

/// How the chunks of `initiatives` are formatted, if `beside` asks for it.
fn formatting_for(beside: Option<&Beside<'_>>, initiatives: usize) -> Option<Formatting> {
    let b = beside?;
    let format = b.early?;
    let json = format == EarlyFormat::Json;
    // As JSON, a few reads for each initiative.
    let numbering = json.then(|| ChunkNumbering::with_room(4 * initiatives));
    Some(Formatting { format, numbering, release: json && b.release })
}

impl Formatting {
    /// The initiatives' `reports`, from position `at` on, formatted; as
    /// JSON, their reads numbered; their details released if they go.
    fn chunk(&self, at: usize, reports: &mut [InitiativeReport]) -> (std::ops::Range<usize>, EarlyChunk) {
        let (at, chunk) = self.format.format(at, reports);
        if let (Some(numbering), EarlyChunk::Json(json)) = (&self.numbering, &chunk) {
            numbering.add(at.clone(), json);
        }
        if self.release {
            reports.iter_mut().for_each(InitiativeReport::release_details);
        }
        (at, chunk)
    }

    /// The chunks formatted (in any order), with the policies' section
    /// formatted apart if the format has one.
    fn early(self, chunks: Vec<(std::ops::Range<usize>, EarlyChunk)>, policies: Option<String>) -> Option<Early> {
        match Early::new(chunks, self.format, policies, self.numbering) {
            Some(early) if self.release => Some(early.released()),
            // Released, yet no chunks to write them from: refused when written.
            None if self.release => Some(Early::released_without_chunks()),
            early => early,
        }
    }
}

/// What the other thread gives back: its share, its KPI caches, what ran
/// beside it, whether its budget ran out and the steps it left.
type Theirs<'f> = (Share, KpiCaches, Option<Found<'f>>, bool, u64);

/// A thread's KPI reports and KPI list entries.
type KpiCaches = (FastMap<DeclId, Arc<KpiReport>>, FastMap<DeclId, KpiEntry>);

/// What runs beside the evaluation, on one thread: both first, `here`
/// (freeing memory) first.
fn run_first(beside: Beside<'_>) -> Found<'_> {
    (beside.here)();
    (beside.other)()
}

impl Evaluator<'_, '_> {
    /// Both threads' work put together (of `n` initiatives), and what
    /// ran beside finished.
    fn merged(&self, mut mine: Share, theirs: Theirs<'_>, n: usize, early: Option<Formatting>) -> Evaluated {
        let (mut theirs, kpis, found, _, their_left) = theirs;
        // The steps the other thread did not take are this thread's again:
        // what follows (the KPIs no initiative lists) has what one budget
        // would have left.
        self.metrics.budget.give_back(their_left);
        // The KPI list at the end reads them all: keep the other thread's
        // too (the same reports either way).
        (*self.their_kpis.borrow_mut(), *self.their_kpi_json.borrow_mut()) = kpis;
        // The static evaluation beside takes what both decided without
        // the clock or metrics.
        let found = found.map(|found| {
            let mut decided = std::mem::take(&mut mine.decided);
            decided.append(&mut theirs.decided);
            decided.sort_unstable_by_key(|(id, _)| id.0);
            finish(found, Some((self.model, &decided)))
        });
        let mut evaluated = Share::merge(mine, theirs, n, early);
        evaluated.found = found.unwrap_or_default();
        evaluated
    }

    /// The KPI reports this thread made, and the KPI list's entries it
    /// formatted, taken.
    fn take_kpi_caches(&self) -> KpiCaches {
        (std::mem::take(&mut *self.kpi_cache.borrow_mut()), std::mem::take(&mut *self.kpi_json.borrow_mut()))
    }
}

impl Share {
    /// The two threads' shares put together: the initiatives' reports in
    /// order (of `n` in all), the policies' and the chunks formatted (as
    /// `early`).
    fn merge(mine: Share, theirs: Share, n: usize, early: Option<Formatting>) -> Evaluated {
        let mut all = mine.chunks;
        all.extend(theirs.chunks);
        all.sort_unstable_by_key(|(i, _)| *i);
        let policies = mine.policies.or(theirs.policies).unwrap_or_default();
        let mut initiatives = Vec::with_capacity(n);
        all.into_iter().for_each(|(_, chunk)| initiatives.extend(chunk));
        let mut formatted = mine.formatted;
        formatted.extend(theirs.formatted);
        let formatted_policies = mine.formatted_policies.or(theirs.formatted_policies);
        let early = early.and_then(|formatting| formatting.early(formatted, formatted_policies));
        Evaluated { initiatives, policies, found: Vec::new(), early }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::super::tests::{budget_spender, many};
    use super::super::{Beside, EvalOptions, Evaluator, StoreMetrics, DEFAULT_MAX_AGE, PARALLEL_FROM};
    use crate::check::interp;
    use crate::check::value::NANOS_PER_SEC;
    use crate::eval::report::{Early, EarlyFormat};

    /// What runs beside the evaluation runs once, on one thread and on
    /// two, and when the budget runs out on two threads and everything is
    /// evaluated again on one; what the other thread finds comes back
    /// with the report, and the report formatted as the initiatives were
    /// evaluated (as JSON, or as the terminal's) is that of the report.
    #[test]
    fn what_runs_beside_runs_once_and_its_findings_come_back() {
        let spender = budget_spender();
        for extra in ["", spender.as_str()] {
            let (analysis, store) = many(PARALLEL_FROM + 45, extra);
            let model = &analysis.model;
            // The budget the check left, and what its static evaluation
            // finds alone with it.
            let left = model.budget.clone();
            let mut alone = Vec::new();
            crate::check::evaluate_static_with(model, &analysis.files, false, &left.clone(), &mut alone);
            assert!(!alone.is_empty());
            let opts = EvalOptions { now: 1_795_478_400 * NANOS_PER_SEC, default_max_age: DEFAULT_MAX_AGE };
            let mut reports = Vec::new();
            let human = EarlyFormat::Human { color: true };
            for (workers, format) in [(1, EarlyFormat::Json), (2, EarlyFormat::Json), (2, human)] {
                let (here, other) = (Cell::new(0), AtomicUsize::new(0));
                let beside = Beside {
                    other: Box::new(|| {
                        other.fetch_add(1, Ordering::Relaxed);
                        let mut run =
                            crate::check::StaticRun::new(model, &analysis.files, false, left.clone(), Vec::new());
                        run.policies();
                        run
                    }),
                    here: Box::new(|| here.set(here.get() + 1)),
                    ends_process: false,
                    early: Some(format),
                    release: false,
                    static_steps: left.left(),
                };
                model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
                let metrics = StoreMetrics::new(model, &store, &opts);
                let ev = Evaluator::new(model, &analysis.files, &metrics);
                let (report, found, early) = ev.run(&store, &opts, workers, Some(beside));
                assert_eq!((here.get(), other.load(Ordering::Relaxed)), (1, 1), "{workers} workers");
                assert_eq!(found, alone, "{workers} workers");
                // Formatted as evaluated on two threads, unless evaluated
                // again on one; the same bytes either way.
                assert_eq!(early.is_some(), workers == 2 && extra.is_empty(), "{workers} workers");
                // The chunks' reads were numbered as they were formatted.
                let json = early.as_ref().and_then(Early::json);
                assert_eq!(json.is_some_and(|j| j.numbered_usable()), json.is_some(), "{format:?}");
                let mut written = Vec::new();
                report.write_json_early(&mut written, early.as_ref().and_then(Early::json)).unwrap();
                assert!(written == report.to_json().into_bytes(), "{workers} workers");
                let text = crate::eval::render::human_early(&report, true, early.as_ref().and_then(Early::human));
                assert!(text == crate::eval::render::human(&report, true), "{format:?}");
                reports.push(report.to_json());
            }
            assert_eq!(extra.is_empty(), !reports[0].contains("evaluation stopped after"), "the budget ran out");
            assert!(reports.iter().all(|r| *r == reports[0]));
        }
    }

    /// Initiatives whose details were released once formatted give the
    /// report's bytes and its tally; asked about after, the report is
    /// refused rather than written without them. When the budget runs
    /// out and one thread evaluates again, nothing is released.
    #[test]
    fn initiatives_released_once_formatted_write_the_same_bytes() {
        let spender = budget_spender();
        for extra in ["", spender.as_str()] {
            let (analysis, store) = many(PARALLEL_FROM + 45, extra);
            let (model, files) = (&analysis.model, &analysis.files);
            let opts = EvalOptions { now: 1_795_478_400 * NANOS_PER_SEC, default_max_age: DEFAULT_MAX_AGE };
            let evaluate = |release: Option<bool>| {
                let left = model.budget.clone();
                let beside = release.map(|release| Beside {
                    other: Box::new(move || {
                        let mut run = crate::check::StaticRun::new(model, files, false, left, Vec::new());
                        run.policies();
                        run
                    }),
                    here: Box::new(|| {}),
                    ends_process: false,
                    early: Some(EarlyFormat::Json),
                    release,
                    static_steps: model.budget.left(),
                });
                model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
                let metrics = StoreMetrics::new(model, &store, &opts);
                let (report, _, early) = Evaluator::new(model, files, &metrics).run(&store, &opts, 2, beside);
                (report, early)
            };
            let (whole, _) = evaluate(None);
            let (mut released, early) = evaluate(Some(true));
            let json = early.as_ref().and_then(Early::json);
            let details = |r: &crate::eval::report::Report| {
                r.initiatives.iter().flat_map(|i| &i.gates).any(|g| !g.criteria.is_empty())
            };
            assert!(details(&whole));
            // Released only when formatted on two threads.
            assert_eq!(details(&released), json.is_none(), "{extra}");
            assert_eq!((&released.summary, released.outcome), (&whole.summary, whole.outcome));
            let mut written = Vec::new();
            released.write_json_early(&mut written, json).unwrap();
            assert!(written == whole.to_json().into_bytes(), "{extra}");
            if json.is_some() {
                released.ask(&crate::eval::report::Ready::All);
                assert!(released.write_json_early(&mut Vec::new(), json).is_err());
            }
            // Released with no chunks to write from: refused too.
            let none = Early::released_without_chunks();
            assert!(whole.write_json_early(&mut Vec::new(), none.json()).is_err());
        }
    }
}
