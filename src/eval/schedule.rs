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

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Beside, Evaluator, StoreMetrics, PARALLEL_FROM};
use crate::check::interp;
use crate::check::{DeclId, GateId};
use crate::diag::Diagnostic;
use crate::eval::metrics::MetricStore;
use crate::eval::report::{InitiativeReport, PolicyReport};

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
}

impl Evaluator<'_> {
    /// The reports of `initiatives`, in order, and of the policies: on two
    /// threads when there are `workers` for it and enough initiatives
    /// (the other thread with its own reads and caches, after running
    /// `beside`; on one thread, `beside` runs first). Should the
    /// shared step budget run out meanwhile, where it ran out would depend
    /// on timing: then everything is evaluated again on one thread, so the
    /// report stays deterministic.
    pub(super) fn initiatives(
        &self,
        initiatives: &[DeclId],
        top_gates: &[GateId],
        store: &MetricStore,
        opts: &EvalOptions,
        workers: usize,
        beside: Option<Beside<'_>>,
    ) -> (Vec<InitiativeReport>, Vec<PolicyReport>, Vec<Diagnostic>) {
        let run_beside = |beside: Option<Beside<'_>>| beside.map(|f| f()).unwrap_or_default();
        let one = |ev: &Evaluator<'_>| -> (Vec<InitiativeReport>, Vec<PolicyReport>) {
            (initiatives.iter().map(|id| ev.initiative(*id, top_gates)).collect(), ev.policies())
        };
        if workers < 2 || initiatives.len() < PARALLEL_FROM {
            let found = run_beside(beside);
            let (reports, policies) = one(self);
            return (reports, policies, found);
        }
        let chunks: Vec<&[DeclId]> = initiatives.chunks(CHUNK).collect();
        let next = AtomicUsize::new(0);
        // Item 0 is the policies, item `i + 1` the chunk `i`.
        let work = |ev: &Evaluator<'_>| -> Share {
            let mut share = Share::default();
            loop {
                match next.fetch_add(1, Ordering::Relaxed) {
                    0 => share.policies = Some(ev.policies()),
                    i if i <= chunks.len() => {
                        let reports = chunks[i - 1].iter().map(|id| ev.initiative(*id, top_gates)).collect();
                        share.chunks.push((i - 1, reports));
                    }
                    _ => return share,
                }
            }
        };
        let (model, files) = (self.model, self.files);
        // The series index is made once and read by both threads.
        let index = std::sync::Arc::clone(&self.metrics.index);
        let (mine, theirs) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let found = run_beside(beside);
                let metrics = StoreMetrics::with_index(model, store, index, opts);
                let ev = Evaluator::new(model, files, &metrics);
                let share = work(&ev);
                (share, ev.kpi_cache.into_inner(), found)
            });
            let mine = work(self);
            match other.join() {
                Ok(theirs) => (mine, theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        if self.model.budget.exhausted() {
            self.model.budget.reset(interp::step_limit(self.model, interp::MAX_EVAL_STEPS_EVAL));
            self.kpi_cache.borrow_mut().clear();
            self.metrics.clear_caches();
            let (reports, policies) = one(self);
            return (reports, policies, theirs.2);
        }
        let (theirs, kpis, found) = theirs;
        // The KPI list at the end reads them all: keep the other thread's
        // too (the same reports either way).
        let mut cache = self.kpi_cache.borrow_mut();
        for (id, report) in kpis {
            cache.entry(id).or_insert(report);
        }
        let mut all = mine.chunks;
        all.extend(theirs.chunks);
        all.sort_unstable_by_key(|(i, _)| *i);
        let policies = mine.policies.or(theirs.policies).unwrap_or_default();
        (all.into_iter().flat_map(|(_, reports)| reports).collect(), policies, found)
    }
}
