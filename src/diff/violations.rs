//! Obligations the change newly breaks.
//!
//! `compel check` decides every policy on declared facts: a `require` that
//! does not hold is E0701, one that reads an attribute the subject leaves
//! unset is E0702. These are decisions, not compile errors, so a side
//! holding them still compiles and is compared; but a policy the change
//! newly violates (or leaves newly undecided) is a change that blocks like
//! a failing `compel check`, whatever the edit that caused it (a fact, a
//! `where`, a sponsor's role). An `expect` or `advise` newly unmet is a
//! looser change. What the base already violated is not the change's doing.

use std::collections::{HashMap, HashSet};

use super::{Acc, Change, Class, Side, What};
use crate::diag::{Code, Diagnostic, Severity};
use crate::text::{FileId, Span};

/// The decisions of one side: (subject, code, message) with the
/// diagnostic.
fn decisions<'a>(side: &'a Side) -> Vec<(String, &'a Diagnostic)> {
    let model = side.model();
    let names: HashMap<(FileId, Span), String> = model
        .decls
        .iter()
        .map(|d| {
            let name = match d.parent {
                Some(p) => format!("{}.{}", model.decl(p).name, d.name),
                None => d.name.clone(),
            };
            ((d.file, d.name_span), format!("{} {name}", d.kind.as_str()))
        })
        .collect();
    side.analysis
        .user_diagnostics()
        .filter(|d| matches!(d.code, Code::PolicyViolated | Code::AbsentAttribute))
        .filter_map(|d| names.get(&(d.primary.file, d.primary.span)).map(|n| (n.clone(), d)))
        .collect()
}

/// Adds a change for every policy decision of the change that the base
/// does not hold.
pub(super) fn compare(base: &Side, change: &Side, acc: &mut Acc) {
    let old: HashSet<(String, Code, String)> =
        decisions(base).into_iter().map(|(s, d)| (s, d.code, d.message.clone())).collect();
    for (subject, d) in decisions(change) {
        if old.contains(&(subject.clone(), d.code, d.message.clone())) {
            continue;
        }
        let blocks = d.severity == Severity::Error;
        let verb = if d.code == Code::PolicyViolated { "is newly violated" } else { "is newly undecided" };
        let criterion = d.labels.first().map(|l| {
            let f = change.analysis.files.get(l.at.file);
            f.text.get(l.at.span.range()).unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ")
        });
        let message = format!("a policy {verb} ({}): {}", d.code.as_str(), d.message);
        let mut c = Change::new(What::PolicyViolated, Class::Looser, message)
            .texts(None, criterion.filter(|t| !t.is_empty()))
            .located(change.at(d.primary.file, d.primary.span));
        c.blocks = blocks;
        acc.add(&c, Some(&subject));
    }
}
