//! Compile-time evaluation of policies and gates.
//!
//! Every policy is evaluated on every subject it governs, and every gate on
//! every initiative at the gate's `from` stage, with no clock and no
//! metrics. A criterion that decides anyway (it depends only on declared
//! facts) is reported when it does not hold: `require` as an error,
//! `expect` as a warning, `advise` as a note. A criterion that reads an
//! attribute its subject leaves unset is reported the same way, never
//! passed. Criteria that need `today`, `now` or metrics are left to eval.
//! A subject holding a line that did not parse is not judged (its syntax
//! error is reported; the line may be what the criterion looks for).

use super::interp::{self, Env, Undecided};
use super::{DeclId, Model};
use crate::diag::{Code, Diagnostic, Severity};
use crate::syntax::ast::{Criterion, Enforcement};
use crate::text::{FileId, FileSpan};

fn severity(e: Enforcement) -> Severity {
    match e {
        Enforcement::Require => Severity::Error,
        Enforcement::Expect => Severity::Warning,
        Enforcement::Advise => Severity::Note,
    }
}

/// `E0103` at `at`: the evaluation budget ran out there.
pub(super) fn budget_diagnostic(model: &Model, at: FileSpan) -> Diagnostic {
    Diagnostic::new(Code::LimitExceeded, at, model.budget.message())
        .with_help("what is left is not decided by `compel check`, and is `unknown` for `compel eval`")
}

/// Evaluates what can be decided without a clock or metrics. `spent`:
/// whether the budget's diagnostic was reported already.
pub fn evaluate_static(model: &Model, spent: bool, diags: &mut Vec<Diagnostic>) {
    let mut spent = spent;
    let mut report = |env: &Env, file: FileId, subject: DeclId, c: &Criterion, what: &str, diags: &mut Vec<_>| {
        report(model, env, file, subject, c, what, diags);
        if !spent && model.budget.exhausted() {
            spent = true;
            diags.push(budget_diagnostic(model, FileSpan::new(file, c.span)));
        }
    };
    for policy in &model.policies {
        let Some(kind) = policy.subject else { continue };
        for subject in model.subjects_seeing(policy.file, kind) {
            let env = Env { subject: Some(subject), ..Env::constant(model, policy.file) };
            if let Some(filter) = &policy.filter {
                match interp::truth(&env, filter) {
                    Ok(true) => {}
                    _ => continue,
                }
            }
            for c in &policy.criteria {
                report(&env, policy.file, subject, c, &format!("policy `{}`", policy.name), diags);
            }
        }
    }
    for (i, d) in model.decls.iter().enumerate() {
        if d.kind != super::Kind::Initiative {
            continue;
        }
        let id = DeclId(i as u32);
        for gi in model.gates_for(id) {
            let gate = &model.gates[gi];
            let env = Env { subject: Some(id), ..Env::constant(model, gate.file) };
            let what = format!("gate `{} -> {}`", gate.from_name, gate.to_name);
            for c in &gate.criteria {
                report(&env, gate.file, id, c, &what, diags);
            }
        }
    }
}

fn report(
    model: &Model,
    env: &Env,
    rule_file: FileId,
    subject: DeclId,
    c: &Criterion,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let s = model.decl(subject);
    let at = FileSpan::new(s.file, s.name_span);
    let criterion_at = FileSpan::new(rule_file, c.span);
    let because = c.because.as_ref().map(|b| b.value.clone());
    let d = match interp::truth(env, &c.expr) {
        Ok(true) | Err(Undecided::Deferred(_)) | Err(Undecided::Unknown(_)) => return,
        // A subject with a broken line is not judged: the line being written
        // may be what the criterion looks for (a monitor, an attribute).
        Ok(false) if s.incomplete => return,
        Ok(false) => {
            let message = match &because {
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
        // A declaration with a broken line may be setting the attribute; an
        // attribute its kind does not have is the type checker's error.
        Err(Undecided::Absent { decl, ref attr })
            if model.decl(decl).incomplete
                || !model.decl(decl).kind.attrs().iter().any(|s| s.name == attr.as_str()) =>
        {
            return
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
    let d = if d.code == Code::TypeMismatch { d } else { d.with_severity(severity(c.enforcement)) };
    diags.push(d);
}
