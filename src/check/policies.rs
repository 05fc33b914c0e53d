//! Compile-time evaluation of policies and gates.
//!
//! Every policy is evaluated on every subject it governs, and every gate on
//! every initiative at the gate's `from` stage, with no clock and no
//! metrics. A criterion that decides anyway (it depends only on declared
//! facts) is reported when it does not hold.
//!
//! A policy is an obligation: `require` is an error (E0701), `expect` a
//! warning, `advise` a note; a criterion that reads an attribute its subject
//! leaves unset is reported the same way (E0702), never passed.
//!
//! A gate is readiness ("may this initiative advance?"), not an obligation:
//! a gate criterion that declared facts refuse, or that reads an unset
//! attribute, is a note (E0703) whatever its enforcement, so `check` never
//! fails because an initiative is not ready to advance. `compel eval
//! --ready NAME` is what makes a gate block.
//!
//! Criteria that need `today`, `now` or metrics are left to eval.
//!
//! A subject holding a line that did not parse is not judged (its syntax
//! error is reported; the line may be what the criterion looks for).

use super::interp::{self, Budget, Env, Undecided};
use super::{DeclId, GateId, Model};
use crate::diag::{Code, Diagnostic, Severity};
use crate::syntax::ast::{Criterion, Enforcement};
use crate::text::{FileId, FileSpan, Files};

fn severity(e: Enforcement) -> Severity {
    match e {
        Enforcement::Require => Severity::Error,
        Enforcement::Expect => Severity::Warning,
        Enforcement::Advise => Severity::Note,
    }
}

/// `E0103` at `at`: the evaluation budget ran out there.
pub(super) fn budget_diagnostic(model: &Model, at: FileSpan) -> Diagnostic {
    spent_diagnostic(&model.budget, at)
}

fn spent_diagnostic(budget: &Budget, at: FileSpan) -> Diagnostic {
    Diagnostic::step_budget(at, budget.message())
        .with_help("what is left is not decided by `compel check`, and is `unknown` for `compel eval`")
}

/// What a criterion is part of.
enum Origin<'a> {
    /// An obligation: `policy NAME`.
    Policy(&'a str),
    /// Readiness: the gate `FROM -> TO`.
    Gate { from: &'a str, to: &'a str },
}

/// Evaluates what can be decided without a clock or metrics. `spent`:
/// whether the budget's diagnostic was reported already.
pub fn evaluate_static(model: &Model, files: &Files, spent: bool, diags: &mut Vec<Diagnostic>) {
    evaluate_static_with(model, files, spent, &model.budget, diags);
}

/// [`evaluate_static`] spending `budget` rather than the model's: what
/// `compel eval` runs beside its own evaluation over the same model,
/// with a copy of the budget its check left ([`super::Options::static_verdicts`]).
pub fn evaluate_static_with(model: &Model, files: &Files, spent: bool, budget: &Budget, diags: &mut Vec<Diagnostic>) {
    let mut run = Static { model, files, budget, spent, consulted: false };
    run.policies(diags);
    run.gates(diags);
}

/// A gate's criterion decided for an initiative as the check decides it,
/// by `compel eval` (without reading the clock or metrics, or evaluated
/// as the check evaluates it).
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    /// The gate.
    pub gate: GateId,
    /// The criterion's place in the gate.
    pub criterion: u32,
    /// What deciding it gave.
    pub result: Result<bool, Undecided>,
}

/// An initiative's gates as `compel eval` decided them, every criterion
/// of every gate [`Model::gates_for`] gives it: each decided without the
/// clock or metrics (as the check decides it), or evaluated as the check
/// evaluates it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GatesDecided {
    /// The steps its criteria took, each as the check takes them (more
    /// than the check had if one ran out).
    pub steps: u64,
    /// The criteria the check reports ([`reports`]), in its order.
    pub reported: Vec<Decided>,
}

/// Whether the check reports a criterion that `result` decides (it does
/// not hold, needs an attribute that is not set, is a mistake): a
/// criterion that holds, or that needs the clock, metrics or data, is
/// not reported.
pub fn reports(result: &Result<bool, Undecided>) -> bool {
    !matches!(result, Ok(true) | Err(Undecided::Deferred(_) | Undecided::Unknown(_)))
}

/// The static evaluation as `compel eval` runs it beside its own, in two
/// parts: the policies first ([`StaticRun::policies`]), the gates once the
/// evaluation has decided them ([`StaticRun::gates_reusing`]). What it
/// finds is what [`evaluate_static_with`] finds, in the same order.
pub struct StaticRun<'a> {
    model: &'a Model,
    files: &'a Files,
    budget: Budget,
    spent: bool,
    /// The check's diagnostics, then this run's.
    diags: Vec<Diagnostic>,
    /// How many of `diags` are the check's.
    known: usize,
}

impl<'a> StaticRun<'a> {
    /// A run after the check's diagnostics `diags`, with the budget the
    /// check left; `spent`: whether the check reported it spent.
    pub fn new(model: &'a Model, files: &'a Files, spent: bool, budget: Budget, diags: Vec<Diagnostic>) -> Self {
        let known = diags.len();
        StaticRun { model, files, budget, spent, diags, known }
    }

    /// The model it evaluates.
    pub fn model(&self) -> &'a Model {
        self.model
    }

    /// Every policy on every subject it governs.
    pub fn policies(&mut self) {
        let mut run = Static { budget: &self.budget, ..Static::new(self.model, self.files, self.spent) };
        run.policies(&mut self.diags);
        self.spent = run.spent;
    }

    /// Every gate on every initiative, each criterion evaluated.
    pub fn gates(&mut self) {
        let mut run = Static { budget: &self.budget, ..Static::new(self.model, self.files, self.spent) };
        run.gates(&mut self.diags);
        self.spent = run.spent;
    }

    /// Every gate on every initiative, taking the gates of those that
    /// `decided(initiative)` has as decided (reporting the criteria it
    /// lists, charging the steps they took), the others' evaluated.
    /// Should the steps of a run of [`StaticRun::gates`] reach the end of
    /// the budget, where it stops would differ: then every criterion is
    /// evaluated.
    pub fn gates_reusing<'d>(&mut self, decided: &dyn Fn(DeclId) -> Option<&'d GatesDecided>) {
        let before = (self.budget.clone(), self.spent, self.diags.len());
        let mut run = Static { budget: &self.budget, ..Static::new(self.model, self.files, self.spent) };
        let mut taken = 0;
        for id in initiatives(self.model) {
            match decided(id) {
                Some(gates) => {
                    run.gates_decided(id, gates, &mut self.diags);
                    taken += 1;
                }
                None => run.gates_on(id, &mut self.diags),
            }
        }
        // Every step charged: a run of them all ends with some left.
        let exhausted = run.budget.exhausted();
        #[cfg(test)]
        TAKEN.set(if exhausted { 0 } else { taken });
        #[cfg(not(test))]
        let _ = taken;
        if exhausted {
            (self.budget, self.spent) = (before.0, before.1);
            self.diags.truncate(before.2);
            self.gates();
        }
    }

    /// What the run found (the check's diagnostics left out).
    pub fn found(mut self) -> Vec<Diagnostic> {
        self.diags.split_off(self.known)
    }
}

/// One run of the static evaluation, in units the editor's check can
/// reuse: a policy on one subject, the gates of one initiative.
pub(super) struct Static<'a> {
    pub(super) model: &'a Model,
    pub(super) files: &'a Files,
    /// The steps it may take: the model's, or [`evaluate_static_with`]'s.
    pub(super) budget: &'a Budget,
    /// Whether the budget's diagnostic was reported.
    pub(super) spent: bool,
    /// Whether a mistake was looked up among the diagnostics already
    /// reported (what the unit reports then depends on them).
    pub(super) consulted: bool,
}

#[cfg(test)]
thread_local! {
    /// How many initiatives' gates the last [`StaticRun::gates_reusing`]
    /// on this thread took as decided (none if it evaluated them all).
    pub(crate) static TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The model's initiatives, in order.
fn initiatives(model: &Model) -> impl Iterator<Item = DeclId> + '_ {
    let kind = |(_, d): &(usize, &super::Decl)| d.kind == super::Kind::Initiative;
    model.decls.iter().enumerate().filter(kind).map(|(i, _)| DeclId(i as u32))
}

impl<'a> Static<'a> {
    /// A run spending the model's budget.
    fn new(model: &'a Model, files: &'a Files, spent: bool) -> Self {
        Static { model, files, budget: &model.budget, spent, consulted: false }
    }
}

impl Static<'_> {
    /// Every policy on every subject it governs.
    fn policies(&mut self, diags: &mut Vec<Diagnostic>) {
        let model = self.model;
        for (p, policy) in model.policies.iter().enumerate() {
            let Some(kind) = policy.subject else { continue };
            for subject in model.subjects_seeing(policy.file, kind) {
                self.policy_on(p, subject, diags);
            }
        }
    }

    /// Every gate on every initiative.
    fn gates(&mut self, diags: &mut Vec<Diagnostic>) {
        for id in initiatives(self.model) {
            self.gates_on(id, diags);
        }
    }

    /// Policy number `p` on `subject`.
    pub(super) fn policy_on(&mut self, p: usize, subject: DeclId, diags: &mut Vec<Diagnostic>) {
        let (model, policy) = (self.model, &self.model.policies[p]);
        let env = Env { subject: Some(subject), budget: self.budget, ..Env::constant(model, policy.file) };
        if let Some(filter) = &policy.filter {
            match interp::truth(&env, filter) {
                Ok(true) => {}
                Err(Undecided::Mistake { code, at, reason }) => {
                    let what = format!("the `where` of policy `{}`", policy.name);
                    self.consulted = true;
                    diags.extend(mistake(model, subject, &what, code, at, &reason, diags));
                    return;
                }
                _ => return,
            }
        }
        for c in &policy.criteria {
            self.judged(policy.file, subject, c, &Origin::Policy(&policy.name), interp::truth(&env, &c.expr), diags);
        }
    }

    /// The gates that apply to initiative `id` at its stage.
    pub(super) fn gates_on(&mut self, id: DeclId, diags: &mut Vec<Diagnostic>) {
        let model = self.model;
        for gi in model.gates_for(id) {
            let gate = &model.gates[gi];
            let env = Env { subject: Some(id), budget: self.budget, ..Env::constant(model, gate.file) };
            let what = Origin::Gate { from: &gate.from_name, to: &gate.to_name };
            for c in &gate.criteria {
                self.judged(gate.file, id, c, &what, interp::truth(&env, &c.expr), diags);
            }
        }
    }

    /// The gates of initiative `id` as `gates` decided them.
    fn gates_decided(&mut self, id: DeclId, gates: &GatesDecided, diags: &mut Vec<Diagnostic>) {
        let model = self.model;
        self.budget.charge(gates.steps);
        for d in &gates.reported {
            let gate = &model.gates[d.gate];
            let Some(c) = gate.criteria.get(d.criterion as usize) else { continue };
            let what = Origin::Gate { from: &gate.from_name, to: &gate.to_name };
            self.judged(gate.file, id, c, &what, d.result.clone(), diags);
        }
    }

    /// Reports criterion `c` on `subject` as `result` decides it.
    fn judged(
        &mut self,
        file: FileId,
        subject: DeclId,
        c: &Criterion,
        what: &Origin,
        result: Result<bool, Undecided>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let (model, files) = (self.model, self.files);
        report(model, files, file, subject, c, what, result, diags, &mut self.consulted);
        if !self.spent && self.budget.exhausted() {
            self.spent = true;
            diags.push(spent_diagnostic(self.budget, FileSpan::new(file, c.span)));
        }
    }
}

/// The criterion's condition as written, whitespace collapsed, with its
/// enforcement: `require all(d in datasets: d.versioned)`.
fn criterion_text(files: &Files, file: FileId, c: &Criterion) -> String {
    let raw = files.get(file).text.get(c.expr.span.range()).unwrap_or("");
    let words: Vec<&str> = raw.split_whitespace().collect();
    format!("{} {}", c.enforcement.as_str(), words.join(" "))
}

/// The diagnostic for a mistake that evaluating `what` on `subject` found,
/// unless the checker already reported it where it is written.
fn mistake(
    model: &Model,
    subject: DeclId,
    what: &str,
    code: Code,
    wrong: FileSpan,
    reason: &str,
    diags: &[Diagnostic],
) -> Option<Diagnostic> {
    let inside = |d: &Diagnostic| {
        d.code == code
            && d.primary.file == wrong.file
            && d.primary.span.start >= wrong.span.start
            && d.primary.span.end <= wrong.span.end
    };
    if diags.iter().any(inside) {
        return None;
    }
    let help = match code {
        Code::NegativeWindow => "a window `7d` reads `[now - 7d, now]`: give a duration of at least 0",
        Code::NotExtended => {
            "import the file of the `extend` where the declaration lives, or narrow the policy with `where`"
        }
        _ => "a policy reads attributes of declarations only: name one (a person: `owner dana`) where its attributes are read",
    };
    let s = model.decl(subject);
    Some(
        Diagnostic::new(code, wrong, format!("{what} cannot be decided for `{}`: {reason}", s.name))
            .with_label(FileSpan::new(s.file, s.name_span), format!("`{}` is declared here", s.name))
            .with_help(help)
            .with_severity(Severity::Error),
    )
}

#[allow(clippy::too_many_arguments)]
fn report(
    model: &Model,
    files: &Files,
    rule_file: FileId,
    subject: DeclId,
    c: &Criterion,
    rule: &Origin,
    result: Result<bool, Undecided>,
    diags: &mut Vec<Diagnostic>,
    consulted: &mut bool,
) {
    if !reports(&result) {
        return;
    }
    let s = model.decl(subject);
    let at = FileSpan::new(s.file, s.name_span);
    let criterion_at = FileSpan::new(rule_file, c.span);
    // A subject holding a broken line is not judged (the line may be what
    // the criterion looks for); a declaration with a broken line may be
    // setting the attribute; an attribute its kind does not have is the
    // type checker's error.
    if result == Ok(false) && model.decl(subject).incomplete {
        return;
    }
    if let Err(Undecided::Absent { decl, attr }) = &result {
        let holder = model.decl(*decl);
        if holder.incomplete || !holder.kind.attrs().iter().any(|s| s.name == attr.as_str()) {
            return;
        }
    }
    if let (Origin::Gate { from, to }, Ok(false) | Err(Undecided::Absent { .. })) = (rule, &result) {
        diags.push(readiness_note(model, files, rule_file, subject, c, from, to, &result));
        return;
    }
    if matches!(result, Ok(true) | Err(Undecided::Deferred(_)) | Err(Undecided::Unknown(_))) {
        return;
    }
    // Only a criterion that is reported pays for its words.
    let what = match rule {
        Origin::Policy(name) => format!("policy `{name}`"),
        Origin::Gate { from, to } => format!("gate `{from} -> {to}`"),
    };
    let d = match result {
        Ok(true) | Err(Undecided::Deferred(_)) | Err(Undecided::Unknown(_)) => return,
        Ok(false) => {
            let message = match c.because.as_ref().map(|b| &b.value) {
                Some(b) => format!("`{}` does not meet {what}: {b}", s.name),
                None => format!("`{}` does not meet {what}", s.name),
            };
            Diagnostic::new(Code::PolicyViolated, at, message)
                .with_label(criterion_at, format!("this `{}` does not hold", c.enforcement.as_str()))
        }
        Err(Undecided::TypeError(reason)) => Diagnostic::new(
            Code::TypeMismatch,
            criterion_at,
            format!("{what} cannot be decided for `{}`: {reason}", s.name),
        )
        .with_label(at, format!("`{}` is declared here", s.name))
        .with_help("compare like with like; money converts only within one currency")
        .with_severity(Severity::Error),
        Err(Undecided::Mistake { code, at: wrong, reason }) => {
            *consulted = true;
            match mistake(model, subject, &what, code, wrong, &reason, diags) {
                Some(d) => d,
                None => return,
            }
        }
        Err(Undecided::Absent { decl, attr }) => {
            let holder = model.decl(decl);
            let whose =
                if decl == subject { format!("`{}`", s.name) } else { format!("`{}` (of `{}`)", holder.name, s.name) };
            let mut d = Diagnostic::new(
                Code::AbsentAttribute,
                at,
                format!("{what} needs `{attr}`, which {whose} does not set"),
            )
            .with_label(criterion_at, format!("this `{}` reads `{attr}`", c.enforcement.as_str()))
            .with_help(format!("set `{attr}` on `{}`", holder.name));
            if decl != subject {
                d = d.with_label(
                    FileSpan::new(holder.file, holder.name_span),
                    format!("`{}` is declared here", holder.name),
                );
            }
            d
        }
    };
    let d = if matches!(d.code, Code::TypeMismatch | Code::NoSuchField | Code::NegativeWindow) {
        d
    } else {
        d.with_severity(severity(c.enforcement))
    };
    diags.push(d);
}

/// E0703: declared facts refuse a criterion of the initiative's next gate
/// (it does not hold, or it reads an attribute that is not set). A note
/// whatever the enforcement: readiness never fails `compel check`.
#[allow(clippy::too_many_arguments)]
fn readiness_note(
    model: &Model,
    files: &Files,
    rule_file: FileId,
    subject: DeclId,
    c: &Criterion,
    from: &str,
    to: &str,
    result: &Result<bool, Undecided>,
) -> Diagnostic {
    let s = model.decl(subject);
    let at = FileSpan::new(s.file, s.name_span);
    let criterion_at = FileSpan::new(rule_file, c.span);
    let text = criterion_text(files, rule_file, c);
    let (refused, label) = match result {
        Err(Undecided::Absent { decl, attr }) => {
            let holder = model.decl(*decl);
            let whose =
                if *decl == subject { format!("`{}`", s.name) } else { format!("`{}` (of `{}`)", holder.name, s.name) };
            (
                format!("`{text}` needs `{attr}`, which {whose} does not set"),
                format!("this `{}` reads `{attr}`", c.enforcement.as_str()),
            )
        }
        _ => (format!("`{text}` does not hold"), format!("this `{}` does not hold", c.enforcement.as_str())),
    };
    let (mut message, help) = match c.enforcement {
        Enforcement::Require => (
            format!("`{}` is not ready to advance `{from} -> {to}`: {refused}", s.name),
            format!(
                "readiness, not an obligation: `compel check` passes; `compel eval --ready {}` blocks until it holds",
                s.name
            ),
        ),
        Enforcement::Expect | Enforcement::Advise => (
            format!("`{}` may advance `{from} -> {to}` only with a warning: {refused}", s.name),
            format!("an `{}` does not block the gate", c.enforcement.as_str()),
        ),
    };
    if let Some(b) = &c.because {
        message.push_str(&format!(" ({})", b.value));
    }
    let mut d = Diagnostic::new(Code::NotReady, at, message).with_label(criterion_at, label).with_help(help);
    if let Err(Undecided::Absent { decl, .. }) = result {
        if *decl != subject {
            let holder = model.decl(*decl);
            d = d.with_label(
                FileSpan::new(holder.file, holder.name_span),
                format!("`{}` is declared here", holder.name),
            );
        }
    }
    d.with_severity(Severity::Note)
}
