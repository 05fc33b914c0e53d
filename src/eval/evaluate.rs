//! The evaluator: gates, policies and KPIs decided against a metric store.
//!
//! [`evaluate`] is pure: the model, the metrics and `now` are given to it,
//! it reads no clock, file or network, and the same inputs give the same
//! [`Report`]. Expressions are evaluated by the interpreter the checker
//! uses ([`crate::check::interp`]); this module supplies what the checker
//! does not have, `now` and [`StoreMetrics`], and turns each result into an
//! outcome with a reason and the evidence it read.
//!//! Reading a KPI's data (which series, freshness, windows, `KPI for D`)
//! is described in `metric_reads.rs`.
//!
//! # Outcomes
//!
//! A criterion that holds passes (or warns, when a KPI it used as a
//! condition is at risk); one that does not hold fails; one the data cannot
//! decide is unknown. `expect` and `advise` turn fail and unknown into
//! warn. A gate or policy is the worst of its criteria.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use crate::eval::fast_hash::FastMap;

use super::metrics::{format_rfc3339, MetricStore};
use super::report::{
    CriterionReport, Early, EarlyFormat, Enforcement, GateReport, InitiativeReport, KpiEntry, KpiReport, KpiStatus,
    Num, Outcome, PolicyReport, Report, Summary,
};
use crate::check::interp::{self, Env, KpiState, Metrics, Undecided};
use crate::check::rational::Rational;
use crate::check::value::{Value, NANOS_PER_SEC};
use crate::check::{DeclId, GateId, Kind, Model};
use crate::stdlib;
use crate::syntax::ast::{self, Expr};
use crate::text::{FileId, Files, LineCol};

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
    evaluate_beside(model, files, store, std::sync::Arc::new(SeriesIndex::new(store)), opts, None).0
}

/// Work run beside an evaluation before it starts: `other` on its other
/// thread, `here` on this one meanwhile (both first, in that order, on one
/// thread). `compel eval` runs on the other thread the static evaluation
/// its check left out, and frees the syntax trees here.
pub(crate) struct Beside<'b> {
    /// Run on the other thread; what it finds is returned with the report.
    pub other: Box<dyn FnOnce() -> Found<'b> + Send + 'b>,
    /// Run on this thread while the other starts.
    pub here: Box<dyn FnOnce() + 'b>,
    /// Leave this thread's evaluation caches unfreed (the other thread's
    /// are freed as it ends): the process ends soon after the report is
    /// written, as `compel eval`'s does.
    pub ends_process: bool,
    /// How the report is to be written, if each chunk of initiatives is
    /// to be formatted that way as soon as it is evaluated, while in the
    /// cache (on two threads; [`crate::eval::report::Early`]).
    pub early: Option<EarlyFormat>,
    /// With `early` JSON: the report is written from the chunks alone and
    /// nothing is asked about after the evaluation, so each initiative's
    /// details (its criteria, reasons and evidence) are dropped once its
    /// chunk is formatted, and the next chunks reuse their memory
    /// ([`crate::eval::report::InitiativeReport::release_details`]).
    pub release: bool,
    /// The steps the static evaluation beside has (those the check left).
    pub static_steps: u64,
}

/// [`evaluate`], selecting series through `index` (made over `store`, by
/// [`SeriesIndex::with_exact_values`] while the policy was analysed, with
/// the KPIs' statuses read ahead then: [`read_ahead`]), and
/// running `beside` (when given) before the evaluation: `beside.other` on
/// the other thread, whose findings are returned with the report, and
/// `beside.here` on this one ([`Beside`]); with the initiatives as they
/// were formatted during the evaluation, when `beside.early` asked for
/// it.
pub(crate) fn evaluate_beside<'s>(
    model: &Model,
    files: &Files,
    store: &'s MetricStore,
    index: std::sync::Arc<SeriesIndex<'s>>,
    opts: &EvalOptions,
    beside: Option<Beside<'_>>,
) -> (Report, Vec<crate::diag::Diagnostic>, Option<Early>) {
    // Families that find their members in the data get them now.
    let discovered = super::family::discover(model, files, store, opts);
    let model = discovered.as_ref().unwrap_or(model);
    // A fresh evaluation budget: `compel check` spent its own.
    model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
    let metrics = StoreMetrics::with_index(model, store, index, opts);
    let ev = Evaluator::new(model, files, &metrics);
    let workers = if super::two_threads() { 2 } else { 1 };
    let ends_process = beside.as_ref().is_some_and(|b| b.ends_process);
    let evaluated = ev.run(store, opts, workers, beside);
    if ends_process {
        std::mem::forget(ev);
        std::mem::forget(metrics);
    }
    evaluated
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

#[path = "metric_reads.rs"]
mod metric_reads;

#[path = "window_reads.rs"]
mod window_reads;

#[path = "held_reads.rs"]
mod held_reads;

#[path = "series_index.rs"]
mod series_index;
pub(crate) use series_index::SeriesIndex;

// Only the command line reads metric files beside an analysis.
#[path = "ahead.rs"]
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
mod ahead;
#[cfg(feature = "cli")]
pub(crate) use ahead::{read_ahead, Fed, KpiFeed};

#[path = "explain.rs"]
mod explain;

#[path = "schedule.rs"]
mod schedule;
pub(crate) use schedule::Found;

pub use explain::source_text;
use explain::Explainer;
use metric_reads::KpiInfo;
pub use metric_reads::StoreMetrics;
pub use window_reads::{fmt_dur, percentile};

/// A criterion as the report places it: its text, line and column.
/// A criterion's text, `because`, line and column.
type CriterionHead = (Arc<str>, Option<Arc<str>>, u32, u32);

/// Each file's place among the distinct paths of `files`, sorted.
fn path_ranks(files: &Files) -> Vec<u32> {
    let paths: Vec<&str> = files.iter().map(|(_, f)| f.path.as_str()).collect();
    let mut order = paths.clone();
    order.sort_unstable();
    order.dedup();
    paths.iter().map(|p| order.binary_search(p).unwrap_or(0) as u32).collect()
}

// ---------------------------------------------------------------------------
// Gates, policies and KPIs

struct Evaluator<'a, 's> {
    model: &'a Model,
    files: &'a Files,
    metrics: &'a StoreMetrics<'s>,
    now: i64,
    kpi_cache: RefCell<FastMap<DeclId, Arc<KpiReport>>>,
    /// The KPI reports the other thread made ([`Evaluator::take_kpi`]
    /// looks here after its own).
    their_kpis: RefCell<FastMap<DeclId, Arc<KpiReport>>>,
    /// The report is to be written as JSON: each KPI's entry of the KPI
    /// list is formatted as its report is made (on two threads; see
    /// [`crate::eval::report::EarlyJson`]), kept here until listed.
    kpi_entries: Cell<bool>,
    kpi_json: RefCell<FastMap<DeclId, KpiEntry>>,
    /// The entries the other thread formatted.
    their_kpi_json: RefCell<FastMap<DeclId, KpiEntry>>,
    /// The source text of expressions by file and span ([`source_text`]):
    /// a top-level gate's criteria are quoted for every initiative.
    texts: RefCell<FastMap<(FileId, u32, u32), Rc<str>>>,
    /// Each criterion's text in the report (`require acc_7 for 7d`), by
    /// file and the criterion's span.
    criterion_heads: RefCell<FastMap<(FileId, u32, u32), CriterionHead>>,
    /// Each file's path, once asked for ([`Evaluator::path_of`]).
    paths: RefCell<Vec<Option<Arc<str>>>>,
    /// Each file's place among the files sorted by path (files with one
    /// path share it): declarations are listed by path, then position.
    path_rank: Vec<u32>,
    /// The file and the 0-based line of the last position found
    /// ([`Evaluator::line_col`]).
    last_line: Cell<(FileId, usize)>,
    /// Each initiative's gates as the check's static evaluation decides
    /// them, when it is to take them ([`schedule::Decisions`]).
    decided: schedule::Decisions,
}

impl<'a, 's> Evaluator<'a, 's> {
    fn new(model: &'a Model, files: &'a Files, metrics: &'a StoreMetrics<'s>) -> Evaluator<'a, 's> {
        Evaluator {
            model,
            files,
            metrics,
            now: metrics.now,
            kpi_cache: RefCell::new(FastMap::default()),
            their_kpis: RefCell::new(FastMap::default()),
            kpi_entries: Cell::new(false),
            kpi_json: RefCell::new(FastMap::default()),
            their_kpi_json: RefCell::new(FastMap::default()),
            texts: RefCell::new(FastMap::default()),
            criterion_heads: RefCell::new(FastMap::default()),
            paths: RefCell::new(Vec::new()),
            path_rank: path_ranks(files),
            last_line: Cell::new((FileId(0), 0)),
            decided: schedule::Decisions::default(),
        }
    }

    /// Room in the caches for the reports and reads of `kpis` KPIs: they
    /// would otherwise grow by doubling, moving every entry each time.
    fn reserve(&self, kpis: usize) {
        self.kpi_cache.borrow_mut().reserve(kpis);
        if self.kpi_entries.get() {
            self.kpi_json.borrow_mut().reserve(kpis);
        }
        self.metrics.reserve(kpis);
    }

    /// The line and column of `offset` in `file`, looked for first near
    /// the last found: the evaluation goes through each file in order.
    fn line_col(&self, file: FileId, offset: u32) -> LineCol {
        let (last, near) = self.last_line.get();
        let near = if last == file { near } else { 0 };
        let src = self.files.get(file);
        let (at, line) = src.lines.line_col_near(&src.text, offset as usize, near);
        self.last_line.set((file, line));
        at
    }

    /// [`source_text`] of `e` in `file`, computed once (and shared: an
    /// explanation quotes the same parts over and over).
    fn text_of(&self, file: FileId, e: &Expr) -> Rc<str> {
        let key = (file, e.span.start, e.span.end);
        if let Some(t) = self.texts.borrow().get(&key) {
            return Rc::clone(t);
        }
        let t = explain::source_rc(&self.files.get(file).text, e);
        self.texts.borrow_mut().insert(key, Rc::clone(&t));
        t
    }

    /// A criterion's text in the report (its enforcement and its
    /// expression's [`source_text`]) and its line and column; computed
    /// once when `shared` (a top-level gate's criteria are reported for
    /// every initiative, a policy's for every subject), and not kept when
    /// the criterion is one initiative's own.
    fn criterion_head(&self, file: FileId, c: &ast::Criterion, shared: bool) -> CriterionHead {
        let key = (file, c.span.start, c.span.end);
        if shared {
            if let Some(t) = self.criterion_heads.borrow().get(&key) {
                return t.clone();
            }
        }
        let src = self.files.get(file);
        let at = self.line_col(file, c.span.start);
        let enforcement = c.enforcement.as_str();
        let expr = source_text(&src.text, &c.expr);
        let mut text = String::with_capacity(enforcement.len() + 1 + expr.len());
        text.push_str(enforcement);
        text.push(' ');
        text.push_str(&expr);
        let because = c.because.as_ref().map(|b| Arc::from(b.value.as_str()));
        let t = (Arc::from(text), because, at.line, at.column);
        if shared {
            self.criterion_heads.borrow_mut().insert(key, t.clone());
        }
        t
    }

    /// A file's path, made once for every criterion written in it.
    fn path_of(&self, file: FileId) -> Arc<str> {
        let mut paths = self.paths.borrow_mut();
        let at = file.0 as usize;
        if paths.len() <= at {
            paths.resize(at + 1, None);
        }
        Arc::clone(paths[at].get_or_insert_with(|| Arc::from(self.files.get(file).path.as_str())))
    }

    fn is_user(&self, file: FileId) -> bool {
        !stdlib::is_std_path(&self.files.get(file).path)
    }

    /// Declarations sorted by file path then position.
    fn sorted(&self, mut ids: Vec<DeclId>) -> Vec<DeclId> {
        ids.sort_by_key(|id| {
            let d = self.model.decl(*id);
            (self.path_rank[d.file.0 as usize], d.span.start)
        });
        ids
    }

    fn run(
        &self,
        store: &MetricStore,
        opts: &EvalOptions,
        workers: usize,
        beside: Option<Beside<'_>>,
    ) -> (Report, Vec<crate::diag::Diagnostic>, Option<Early>) {
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
        let evaluated = self.initiatives(&initiatives, &top_gates, store, opts, workers, beside);

        let kpis: Vec<DeclId> = self.sorted(
            (0..self.model.decls.len() as u32)
                .map(DeclId)
                .filter(|id| {
                    let d = self.model.decl(*id);
                    d.kind == Kind::Kpi && self.is_user(d.file) && !self.model.is_member(*id)
                })
                .collect(),
        );
        // Each KPI is listed once: its report leaves the cache, and so
        // does its entry formatted early, for a report written as JSON.
        let early = match evaluated.early {
            Some(Early::Json(json)) => {
                Some(Early::Json(json.with_kpis(kpis.iter().map(|k| self.take_kpi_entry(*k)).collect())))
            }
            other => other,
        };
        let kpis = kpis.into_iter().map(|k| self.take_kpi(k)).collect();

        // No gate is asked yet: the outcome is the policies' ([`Report::ask`]).
        let mut report = Report {
            outcome: Outcome::Pass,
            now: format_rfc3339(self.now),
            summary: Summary::default(),
            initiatives: evaluated.initiatives,
            policies: evaluated.policies,
            kpis,
        };
        report.tally();
        (report, evaluated.found, early)
    }

    /// The KPI's report, made once and shared from the cache after.
    fn kpi(&self, id: DeclId) -> Arc<KpiReport> {
        if let Some(r) = self.kpi_cache.borrow().get(&id) {
            return Arc::clone(r);
        }
        let r = Arc::new(self.kpi_report(id));
        if self.kpi_entries.get() && !self.model.is_member(id) {
            // While the report is in the cache.
            self.kpi_json.borrow_mut().insert(id, KpiEntry::format(&r));
        }
        self.kpi_cache.borrow_mut().insert(id, Arc::clone(&r));
        r
    }

    /// The KPI's entry of the KPI list as formatted when its report was
    /// made, if it was, taken (its only use).
    fn take_kpi_entry(&self, id: DeclId) -> Option<KpiEntry> {
        let mine = self.kpi_json.borrow_mut().remove(&id);
        mine.or_else(|| self.their_kpi_json.borrow_mut().remove(&id))
    }

    /// The KPI's report, taken out of the cache (its last use).
    fn take_kpi(&self, id: DeclId) -> Arc<KpiReport> {
        let cached = self.kpi_cache.borrow_mut().remove(&id);
        let cached = cached.or_else(|| self.their_kpis.borrow_mut().remove(&id));
        cached.unwrap_or_else(|| Arc::new(self.kpi_report(id)))
    }

    fn kpi_report(&self, id: DeclId) -> KpiReport {
        if self.model.is_family(id) {
            let members: Vec<KpiReport> =
                self.model.members(id).into_iter().map(|m| Arc::unwrap_or_clone(self.kpi(m))).collect();
            return super::family::report(self.model, id, members);
        }
        self.metrics.take_evidence();
        let f = self.metrics.status_finding(id);
        self.metrics.record(f.evidence);
        let evidence = self.metrics.take_evidence();
        let d = self.model.decl(id);
        let unit = d.measure_unit().name();
        match f.result {
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
        }
    }

    fn initiative(&self, id: DeclId, top_gates: &[GateId]) -> InitiativeReport {
        let d = self.model.decl(id);
        let file = self.files.get(d.file);
        // First: its criteria come after it in the file.
        let line = self.line_col(d.file, d.name_span.start).line;
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
                let n = members.iter().map(|g| self.model.gates[*g].criteria.len()).sum();
                let mut criteria = Vec::with_capacity(n);
                for gi in members {
                    let g = &self.model.gates[gi];
                    let env = self.env(g.file, id);
                    for (ci, c) in g.criteria.iter().enumerate() {
                        criteria.push(self.criterion(&env, g.file, c, g.owner.is_none()));
                        self.decided.note(gi, ci, c, &env);
                    }
                }
                let outcome = criteria.iter().fold(Outcome::Pass, |o, c| o.worst(c.outcome));
                let reason = explain::summarize(&criteria, outcome);
                gates.push(GateReport { from, to, outcome, reason, criteria });
            }
        }
        self.decided.end(id, self.model);
        let (ready, next_gate, blocked_by) = super::report::readiness(&gates);
        InitiativeReport {
            name: d.name.clone(),
            stage: stage.map_or_else(String::new, |s| self.model.decl(s).name.clone()),
            ready,
            next_gate,
            asked: false,
            blocked_by,
            file: file.path.clone(),
            line,
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
            budget: &self.metrics.budget,
            touched: Cell::new(false),
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
                                text: format!("where {}", source_text(pfile.text.as_str(), filter)).into(),
                                enforcement: Enforcement::Where,
                                outcome: Outcome::Unknown,
                                holds: None,
                                reason: format!("cannot tell whether the policy applies: {}", self.undecided(&u)),
                                because: None,
                                file: self.path_of(p.file),
                                line: at.line,
                                column: at.column,
                                evidence,
                                failing: None,
                            });
                        }
                    }
                }
                if criteria.is_empty() {
                    criteria.reserve_exact(p.criteria.len());
                    for c in &p.criteria {
                        criteria.push(self.criterion(&env, p.file, c, true));
                    }
                }
                let outcome = criteria.iter().fold(Outcome::Pass, |o, c| o.worst(c.outcome));
                let reason = explain::summarize(&criteria, outcome);
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

    /// Decides and explains criterion `c` of `file` for `env`'s subject;
    /// `shared` when it is decided for many subjects ([`Evaluator::criterion_head`]).
    fn criterion(&self, env: &Env, file: FileId, c: &ast::Criterion, shared: bool) -> CriterionReport {
        self.metrics.take_evidence();
        env.at_risk.set(false);
        let mut noted = Vec::new();
        env.touched.set(false);
        let before = env.budget.left();
        let result = interp::truth_noting(env, &c.expr, &mut noted);
        self.decided.decide(env, &result, before - env.budget.left());
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
        let (reason, failing) = self.metrics.quietly(|| {
            let explainer = Explainer { ev: self, noted, file, shared, failing: RefCell::new(None) };
            let reason = match &result {
                Ok(b) => explainer.describe(env, &c.expr, *b),
                Err(u) => self.undecided(u),
            };
            // Only a criterion that does not hold has failing elements.
            let failing = if holds == Some(false) { explainer.failing.into_inner().map(Box::new) } else { None };
            (reason, failing)
        });
        env.at_risk.set(false);
        let (text, because, line, column) = self.criterion_head(file, c, shared);
        CriterionReport {
            text,
            enforcement,
            outcome,
            holds,
            reason,
            because,
            file: self.path_of(file),
            line,
            column,
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

#[cfg(test)]
#[path = "evaluate/tests.rs"]
mod tests;
