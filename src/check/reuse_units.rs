//! The units [`reuse`](super::reuse) records and replays: a declaration's
//! attribute check, a policy evaluated on one subject, the gates
//! evaluated on one initiative; and the moving of their spans by an edit.

use super::model::Attrs;
use super::policies::{self, Static};
use super::reuse::{Change, EvalKey, Plan};
use super::{AttrVal, Checker, DeclId, GateId, Model, Reference};
use crate::diag::Diagnostic;
use crate::text::{FileSpan, Files, Span};

/// What one declaration's attribute check produced.
pub(crate) struct AttrUnit {
    /// The attributes as the check left them (before bounds, derived
    /// KPIs and families are worked out).
    pub(super) attrs: Attrs,
    refs: Vec<Reference>,
    diags: Vec<Diagnostic>,
    steps: u64,
}

/// What one gate's check produced: its stages resolved, and the
/// references and diagnostics of its transition and criteria.
pub(crate) struct GateUnit {
    from: Option<DeclId>,
    to: Option<DeclId>,
    refs: Vec<Reference>,
    diags: Vec<Diagnostic>,
    steps: u64,
}

/// What one static evaluation produced.
pub(crate) struct EvalUnit {
    diags: Vec<Diagnostic>,
    steps: u64,
    /// Whether it looked a mistake up among the diagnostics reported
    /// before it (then it is always run again).
    pub(super) consulted: bool,
}

/// Moves a span of the last check to where its text is now; `false` when
/// it lies in (or across) the edited text.
fn move_span(changes: &[Change], at: &mut FileSpan) -> bool {
    let Some(c) = changes.iter().find(|c| c.file == at.file) else { return true };
    let s = at.span;
    if s.end < c.start || (s.end == c.start && s.start < c.start) {
        return true;
    }
    if s.start > c.old_end || (s.start == c.old_end && s.end > s.start) {
        let by = i64::from(c.new_end) - i64::from(c.old_end);
        at.span = Span { start: (i64::from(s.start) + by) as u32, end: (i64::from(s.end) + by) as u32 };
        return true;
    }
    false
}

fn move_diag(changes: &[Change], d: &mut Diagnostic) -> bool {
    let mut ok = move_span(changes, &mut d.primary);
    for l in &mut d.labels {
        ok &= move_span(changes, &mut l.at);
    }
    for e in d.fix.iter_mut().flat_map(|f| f.edits.iter_mut()) {
        ok &= move_span(changes, &mut e.at);
    }
    ok
}

fn move_diags(changes: &[Change], diags: &mut [Diagnostic]) -> bool {
    // A unit with one span that cannot move is run again whole.
    diags.iter_mut().all(|d| move_diag(changes, d))
}

impl AttrUnit {
    /// Moves the unit's spans; `false` when one lies in the edited text, or
    /// the declaration moved and holds expressions (bounds, formulas:
    /// checked again rather than walked).
    fn moved(&mut self, changes: &[Change], file: crate::text::FileId) -> bool {
        let mut ok = true;
        let mut shifted = false;
        // Attributes another model shares are copied only to be moved.
        let stays = |s: Span| {
            let mut at = FileSpan::new(file, s);
            move_span(changes, &mut at) && at.span == s
        };
        let attrs = if self.attrs.iter().all(|a| stays(a.span)) { &mut [][..] } else { &mut self.attrs[..] };
        for a in attrs {
            for s in [&mut a.name_span, &mut a.value_span, &mut a.span] {
                let mut at = FileSpan::new(file, *s);
                ok &= move_span(changes, &mut at);
                shifted |= at.span != *s;
                *s = at.span;
            }
            if shifted && matches!(a.value, AttrVal::Bound(..) | AttrVal::Derived(..)) {
                ok = false;
            }
        }
        for r in &mut self.refs {
            ok &= move_span(changes, &mut r.at);
        }
        ok && move_diags(changes, &mut self.diags)
    }
}

impl Checker<'_> {
    /// Declaration `id`'s attribute check: replayed from the last check
    /// when the plan says so, else run (and recorded when there is a plan).
    pub(super) fn decl_attrs_unit(&mut self, id: DeclId) {
        let Some(mut plan) = self.plan.take() else {
            self.check_decl_attrs(id);
            return;
        };
        let i = id.0 as usize;
        let file = self.model.decl(id).file;
        let last = if plan.reuses_decl(id) { plan.last.as_mut().and_then(|l| l.attrs[i].take()) } else { None };
        let replayed = last.and_then(|mut u| u.moved(&plan.changes, file).then_some(u));
        let unit = match replayed {
            Some(u) => {
                self.model.references.extend(u.refs.iter().cloned());
                self.diags.extend(u.diags.iter().cloned());
                self.model.decls[i].attrs = u.attrs.clone();
                self.model.budget.charge(u.steps);
                u
            }
            None => {
                plan.stats.decls_rechecked += 1;
                let (refs, diags, left) = (self.model.references.len(), self.diags.len(), self.model.budget.left());
                self.check_decl_attrs(id);
                AttrUnit {
                    attrs: self.model.decls[i].attrs.clone(),
                    refs: self.model.references[refs..].to_vec(),
                    diags: self.diags[diags..].to_vec(),
                    steps: left - self.model.budget.left(),
                }
            }
        };
        if let Some(slot) = plan.next.attrs.get_mut(i) {
            *slot = Some(unit);
        }
        self.plan = Some(plan);
    }
}

impl GateUnit {
    /// Moves the unit's spans; `false` when one lies in the edited text.
    fn moved(&mut self, changes: &[Change]) -> bool {
        self.refs.iter_mut().all(|r| move_span(changes, &mut r.at)) && move_diags(changes, &mut self.diags)
    }
}

impl Checker<'_> {
    /// Gate `gi`'s check: replayed from the last check when the plan says
    /// so, else run (and recorded when there is a plan).
    pub(super) fn gate_unit(&mut self, gi: GateId, order: &[String]) {
        let Some(mut plan) = self.plan.take() else {
            self.check_gate(gi, order);
            return;
        };
        let i = gi.0 as usize;
        let last = match plan.reuses_gate(gi) {
            true => plan.last.as_mut().and_then(|l| l.gates.get_mut(i)).and_then(Option::take),
            false => None,
        };
        let unit = match last.and_then(|mut u| u.moved(&plan.changes).then_some(u)) {
            Some(u) => {
                self.model.gates[i].from = u.from;
                self.model.gates[i].to = u.to;
                self.model.references.extend(u.refs.iter().cloned());
                self.diags.extend(u.diags.iter().cloned());
                self.model.budget.charge(u.steps);
                u
            }
            None => {
                plan.stats.gates_rechecked += 1;
                let (refs, diags, left) = (self.model.references.len(), self.diags.len(), self.model.budget.left());
                self.check_gate(gi, order);
                GateUnit {
                    from: self.model.gates[i].from,
                    to: self.model.gates[i].to,
                    refs: self.model.references[refs..].to_vec(),
                    diags: self.diags[diags..].to_vec(),
                    steps: left - self.model.budget.left(),
                }
            }
        };
        if let Some(slot) = plan.next.gates.get_mut(i) {
            *slot = Some(unit);
        }
        self.plan = Some(plan);
    }
}

/// [`policies::evaluate_static`], replaying the units the plan reuses.
pub(super) fn evaluate_static(
    model: &Model,
    files: &Files,
    spent: bool,
    diags: &mut Vec<Diagnostic>,
    plan: Option<&mut Plan>,
) {
    let Some(plan) = plan else {
        policies::evaluate_static(model, files, spent, diags);
        return;
    };
    plan.next.spent |= spent;
    let mut run = Static { model, files, budget: &model.budget, spent, consulted: false };
    for (p, policy) in model.policies.iter().enumerate() {
        let Some(kind) = policy.subject else { continue };
        for subject in model.subjects_seeing(policy.file, kind) {
            let key = EvalKey::Policy(p, subject);
            let k = plan.next.evals.len();
            let last = if plan.reuses_policy_unit(p, subject) { plan.take_eval(k, key) } else { None };
            let unit = unit(plan, &mut run, last, diags, |run, diags| run.policy_on(p, subject, diags));
            plan.next.evals.push(Some((key, unit)));
        }
    }
    for (i, d) in model.decls.iter().enumerate() {
        if d.kind != super::Kind::Initiative {
            continue;
        }
        let id = DeclId(i as u32);
        let (key, k) = (EvalKey::Gates(id), plan.next.evals.len());
        let last = if plan.reuses_gate_unit(id, &model.gates_for(id)) { plan.take_eval(k, key) } else { None };
        let unit = unit(plan, &mut run, last, diags, |run, diags| run.gates_on(id, diags));
        plan.next.evals.push(Some((key, unit)));
    }
    plan.next.spent |= run.spent;
}

/// One static evaluation: `last` replayed (its spans moved), or `eval` run
/// and recorded.
fn unit(
    plan: &mut Plan,
    run: &mut Static,
    last: Option<EvalUnit>,
    diags: &mut Vec<Diagnostic>,
    eval: impl FnOnce(&mut Static, &mut Vec<Diagnostic>),
) -> EvalUnit {
    plan.stats.evaluations += 1;
    if let Some(mut u) = last {
        if move_diags(&plan.changes, &mut u.diags) {
            diags.extend(u.diags.iter().cloned());
            run.model.budget.charge(u.steps);
            return u;
        }
    }
    plan.stats.evaluations_rerun += 1;
    let (before, left) = (diags.len(), run.model.budget.left());
    run.consulted = false;
    eval(run, diags);
    EvalUnit { diags: diags[before..].to_vec(), steps: left - run.model.budget.left(), consulted: run.consulted }
}
