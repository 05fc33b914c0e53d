//! Readiness: each initiative's next gate as a recording rule where every
//! `require` is expressible in PromQL, and each criterion that is as
//! `compel:criterion_holds`; criteria folded from declared facts become
//! constants, the rest is left to `compel serve` (never dropped silently).

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use super::groups::{Group, Groups};
use super::kpi::{criterion_text, duration, number, walk, Kpi};
use super::rules::{Decides, Undecided};
use crate::check::interp::{self, Env};
use crate::check::rational::Rational;
use crate::check::value::Value;
use crate::check::{DeclId, Kind, Model, Symbol};
use crate::eval::metrics::MetricStore;
use crate::eval::{evaluate, EvalOptions, StoreMetrics};
use crate::syntax::ast::{CmpOp, Criterion, Enforcement, Expr, ExprKind};
use crate::text::{FileId, Files};

/// What declared facts decide: whether a criterion holds for an initiative
/// in an evaluation with no metrics at time 0, for criteria that read
/// neither `today` nor `now` (an outcome no metric could change), exactly
/// as `eval`'s evaluator decides it. Each criterion is decided when asked
/// (most criteria read KPIs and are never asked); a model whose families
/// find their members in the data is evaluated whole once, as `eval` does.
pub(super) struct Folded<'a> {
    model: &'a Model,
    metrics: StoreMetrics<'a>,
    /// The whole evaluation's outcomes, when there is one.
    whole: Option<Outcomes>,
}

/// Per initiative: (file, criterion text, whether it holds).
type Outcomes = BTreeMap<String, Vec<(String, String, bool)>>;

impl<'a> Folded<'a> {
    pub fn new(model: &'a Model, files: &Files, store: &'a MetricStore) -> Folded<'a> {
        let opts = EvalOptions::at(0);
        let discovers = (0..model.decls.len() as u32).any(|i| model.is_discovered_family(DeclId(i)));
        let whole = discovers.then(|| {
            let mut out: Outcomes = BTreeMap::new();
            for i in evaluate(model, files, store, &opts).initiatives {
                let held = i.gates.into_iter().flat_map(|g| g.criteria);
                out.entry(i.name)
                    .or_default()
                    .extend(held.filter_map(|c| Some((c.file.to_string(), c.text.to_string(), c.holds?))));
            }
            out
        });
        // A fresh evaluation budget, as `eval` starts with.
        model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
        Folded { model, metrics: StoreMetrics::new(model, store, &opts), whole }
    }

    /// Whether `c` of a gate in `file` (at `path`, reading `text`) holds
    /// for `initiative`, when declared facts decide it.
    fn holds(&self, initiative: DeclId, (file, path): (FileId, &str), c: &Criterion, text: &str) -> Option<bool> {
        if let Some(whole) = &self.whole {
            let held = whole.get(&self.model.decl(initiative).name)?;
            return held.iter().find(|(f, t, _)| f == path && t == text).map(|(_, _, h)| *h);
        }
        let env = Env {
            model: self.model,
            file,
            subject: Some(initiative),
            now: Some(0),
            metrics: Some(&self.metrics as &dyn interp::Metrics),
            at_risk: Cell::new(false),
            let_depth: Cell::new(0),
            budget: &self.model.budget,
            touched: Cell::new(false),
        };
        interp::truth(&env, &c.expr).ok()
    }
}

fn reads_clock(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |e| {
        if matches!(e.kind, ExprKind::Today | ExprKind::Now) {
            found = true;
        }
    });
    found
}

/// A criterion of `initiative`'s gate as a 0/1 PromQL expression, or why
/// it has none. `text` is its text (`require acc`).
fn term(
    model: &Model,
    kpis: &BTreeMap<DeclId, Kpi>,
    folded: &Folded,
    (initiative, file, path): (DeclId, FileId, &str),
    c: &Criterion,
    text: &str,
) -> Result<String, String> {
    let kpi_of = |e: &Expr| -> Option<DeclId> {
        let mut e = e;
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        match &e.kind {
            ExprKind::Name(n) => match model.lookup(file, &n.name) {
                Some(Symbol::Decl(id)) if model.decl(id).kind == Kind::Kpi => Some(id),
                _ => None,
            },
            _ => None,
        }
    };
    let compiled = |id: DeclId| -> Result<&Kpi, String> {
        kpis.get(&id).ok_or_else(|| format!("KPI `{}` is not compiled", model.decl(id).name))
    };
    if let Some(id) = kpi_of(&c.expr) {
        let k = compiled(id)?;
        return Ok(k.meets(k.target, true));
    }
    if let ExprKind::For(inner, d) = &c.expr.kind {
        if let Some(id) = kpi_of(inner) {
            let k = compiled(id)?;
            let secs = match crate::check::interp::eval(&crate::check::interp::Env::constant(model, file), d) {
                Ok(Value::Dur(s)) if !s.is_negative() && !s.is_zero() => s,
                _ => return Err("its duration is not a constant".into()),
            };
            let window = duration(secs).ok_or("its duration is not a whole number of milliseconds")?;
            return held(k, &window, secs);
        }
    }
    if reads_clock(&c.expr) {
        return Err("it reads the clock (`today`, `now`)".into());
    }
    match folded.holds(initiative, (file, path), c, text) {
        Some(h) => Ok(format!("vector({})", u8::from(h))),
        None => Err("PromQL cannot express it".into()),
    }
}

/// `KPI for D` as 0/1: every sample in the window and the one in effect
/// at its start meet the target, and a fresh sample covers the window.
fn held(k: &Kpi, window: &str, window_secs: Rational) -> Result<String, String> {
    if k.derived {
        return Err("`for` over a derived KPI reads its inputs' timestamps, which compel serve decides".into());
    }
    let (op, bound) = k.target;
    let b = number(bound);
    let s = &k.selector;
    let within = |f: &str| format!("(min({f}_over_time({s}[{window}])) {} bool {b})", op.as_str());
    let inside = match op {
        CmpOp::Ge | CmpOp::Gt => within("min"),
        CmpOp::Le | CmpOp::Lt => within("max"),
        CmpOp::Eq => format!("({} * {})", within("min"), within("max")),
        CmpOp::Ne => return Err("a `!=` target over a window is decided by compel serve".into()),
    };
    let start = format!("(max(last_over_time({s}[{}] offset {window})) {} bool {b})", k.age, op.as_str());
    let covered = format!(
        "(min_over_time((sum(count_over_time({s}[{}])) or on() vector(0))[{window}:{}]) >= bool 1)",
        k.age,
        coverage_step(window_secs)
    );
    let single = format!("(count(last_over_time({s}[{}])) == bool 1)", k.age);
    Ok(format!("({inside} * {start} * {covered} * {single})"))
}

/// The step at which a `for` window's coverage is checked: a minute, or
/// coarser so that a window is at most [`MAX_COVERAGE_POINTS`] points (a
/// ruler bounds the samples one query loads). A gap inside the window is
/// seen by Prometheus once it exceeds `max_age` by a step; `compel serve`
/// and `eval` decide coverage exactly.
fn coverage_step(window: Rational) -> String {
    let minutes = window.div(Rational::int(60 * MAX_COVERAGE_POINTS)).map_or(1, |q| q.ceil().max(1));
    format!("{minutes}m")
}

/// The most points of a `for` window's coverage subquery.
pub const MAX_COVERAGE_POINTS: i64 = 1000;

/// The readiness rule of an initiative's next gate.
pub(super) fn readiness(
    model: &Model,
    files: &Files,
    kpis: &BTreeMap<DeclId, Kpi>,
    folded: &Folded,
    i: DeclId,
    g: &mut Groups,
    undecided: &mut Vec<Undecided>,
) {
    let d = model.decl(i);
    let Some(stage) = d.reference("stage") else { return };
    let gates = model.gates_for(i);
    if gates.is_empty() {
        return;
    }
    let from = model.decl(stage).name.clone();
    let to = model.next_stage(stage).map(|s| model.decl(s).name.clone()).unwrap_or_default();
    let mut terms = Vec::new();
    let mut complete = true;
    let mut labels = vec![("initiative", d.name.clone())];
    if let Some(p) = d.reference("program") {
        labels.push(("program", model.decl(p).name.clone()));
    }
    labels.push(("from", from.clone()));
    labels.push(("to", to.clone()));
    let mut seen = BTreeSet::new();
    for gi in gates {
        let gate = &model.gates[gi];
        let path = files.get(gate.file).path.as_str();
        for c in &gate.criteria {
            let text = criterion_text(files, gate.file, c);
            let compiled = term(model, kpis, folded, (i, gate.file, path), c, &text);
            if let Ok(t) = &compiled {
                criterion_rule(g, &labels, &d.name, &text, t, &mut seen);
            }
            match compiled {
                Ok(t) if c.enforcement == Enforcement::Require => terms.push(t),
                // `expect` and `advise` never block readiness.
                Ok(_) => {}
                Err(reason) => {
                    let blocks = c.enforcement == Enforcement::Require;
                    complete &= !blocks;
                    let reason = if blocks {
                        reason
                    } else {
                        format!("{reason}; it does not decide readiness (`{}`)", c.enforcement.as_str())
                    };
                    undecided.push(Undecided {
                        initiative: d.name.clone(),
                        gate: format!("{from} -> {to}"),
                        text,
                        reason,
                    });
                }
            }
        }
    }
    if !complete {
        return;
    }
    let all = if terms.is_empty() { "vector(1)".to_string() } else { terms.join(" * ") };
    // Unknown (a missing, stale or ambiguous series) is not ready.
    let expr = format!("({all}) or on() vector(0)");
    g.record(
        Group::Readiness,
        "compel:initiative_ready",
        &expr,
        &labels,
        &Decides::Ready { initiative: d.name.clone() },
    );
}

/// `compel:criterion_holds`: 1 while a criterion of an initiative's next
/// gate holds, 0 while it does not or the data cannot decide (once per
/// criterion text).
fn criterion_rule(
    g: &mut Groups,
    gate_labels: &[(&'static str, String)],
    initiative: &str,
    text: &str,
    term: &str,
    seen: &mut BTreeSet<String>,
) {
    if !seen.insert(text.to_string()) {
        return;
    }
    let mut labels = gate_labels.to_vec();
    labels.push(("criterion", text.to_string()));
    let expr = format!("({term}) or on() vector(0)");
    let decides = Decides::Criterion { initiative: initiative.to_string(), text: text.to_string() };
    g.record(Group::Readiness, "compel:criterion_holds", &expr, &labels, &decides);
}
