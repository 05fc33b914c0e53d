//! Inlay hints: short notes the editor shows inside the text.
//!
//! - After a KPI used as a condition in a criterion (`require accuracy`,
//!   `require latency_p95 for 7d`): its target and warn band as its
//!   declaration writes them (`target >= 92%, warn < 94%`), so the reader
//!   of a gate sees what "met" means without jumping away.
//! - After a KPI's name in its declaration, when the host has live values
//!   (`crate::lsp`'s live values, off unless the user turns them on): the
//!   latest value, its status and the sample's time, as the host words it.

use std::collections::HashMap;

use crate::analysis::Analysis;
use crate::check::{AttrVal, Kind, Symbol, Target};
use crate::syntax::ast::{self, Criterion, Expr, ExprKind};
use crate::text::{FileId, Span};

/// What a hint says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HintKind {
    /// A KPI's target, after its use as a condition.
    Target,
    /// A KPI's live value, after its declaring name.
    Live,
}

/// One hint: shown at `at` (a byte offset, after the text it is about).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// Where it goes.
    pub at: usize,
    /// Its text.
    pub label: String,
    /// What it says.
    pub kind: HintKind,
}

/// The hints of `file` inside `range`. `live` gives a KPI's live note by
/// name (`None`: no live value to show).
pub fn inlay_hints(a: &Analysis, file: FileId, range: Span, live: &dyn Fn(&str) -> Option<String>) -> Vec<Hint> {
    let Some(tree) = a.asts.get(file.0 as usize) else { return Vec::new() };
    let inside = |s: Span| s.start < range.end && range.start <= s.end;
    // The references of this file within the range, by span.
    let targets: HashMap<Span, &Target> = a
        .model
        .references
        .iter()
        .filter(|r| r.at.file == file && inside(r.at.span))
        .map(|r| (r.at.span, &r.target))
        .collect();
    let mut out = Vec::new();
    let criteria = |cs: &[Criterion], out: &mut Vec<Hint>| {
        for c in cs.iter().filter(|c| inside(c.span)) {
            let Some(name) = condition_kpi(&c.expr) else { continue };
            let Some(Target::Symbol(Symbol::Decl(id))) = targets.get(&name.span) else { continue };
            if let Some(label) = kpi_target(a, *id) {
                out.push(Hint { at: name.span.end as usize, label, kind: HintKind::Target });
            }
        }
    };
    for item in &tree.items {
        match item {
            ast::Item::Gate(g) if inside(g.span) => criteria(&g.criteria, &mut out),
            ast::Item::Policy(p) if inside(p.span) => criteria(&p.criteria, &mut out),
            ast::Item::Decl(d) if inside(d.span) => {
                if inside(d.name.span) && d.kind.name == "kpi" {
                    if let Some(label) = live(&d.name.name) {
                        out.push(Hint { at: d.name.span.end as usize, label, kind: HintKind::Live });
                    }
                }
                for m in &d.members {
                    if let ast::Member::Gate(g) = m {
                        if inside(g.span) {
                            criteria(&g.criteria, &mut out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|h| h.at);
    out
}

/// The KPI name a criterion's condition is, alone or with `for`.
fn condition_kpi(e: &Expr) -> Option<&ast::Ident> {
    match &e.kind {
        ExprKind::Name(n) => Some(n),
        ExprKind::For(inner, _) | ExprKind::Paren(inner) => condition_kpi(inner),
        _ => None,
    }
}

/// `target >= 92%, warn < 94%` as the KPI's declaration writes them.
fn kpi_target(a: &Analysis, id: crate::check::DeclId) -> Option<String> {
    let d = a.model.decl(id);
    if d.kind != Kind::Kpi {
        return None;
    }
    let text = &a.files.get(d.file).text;
    let mut parts = Vec::new();
    for name in ["target", "warn"] {
        if let Some(attr) = d.attrs.iter().find(|at| at.name == name && matches!(at.value, AttrVal::Threshold(..))) {
            let written = text.get(attr.value_span.range())?;
            parts.push(format!("{name} {}", written.split_whitespace().collect::<Vec<_>>().join(" ")));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{analyse, ACME, PEOPLE};
    use super::*;

    #[test]
    fn targets_after_kpis_used_as_conditions_and_live_values_after_names() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let live = |name: &str| (name == "accuracy").then(|| "93.1% · at_risk".to_string());
        let hints = inlay_hints(&a, file, Span::new(0, ACME.len()), &live);
        let got: Vec<(&str, &str)> = hints
            .iter()
            .map(|h| (&ACME[..h.at][ACME[..h.at].rfind(char::is_whitespace).unwrap() + 1..], h.label.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("accuracy", "93.1% · at_risk"),
                ("accuracy", "target >= 92%, warn < 94%"),
                ("latency_p95", "target <= 250ms"),
            ]
        );
        // Only the range asked.
        let start = ACME.find("require latency_p95").unwrap();
        let hints = inlay_hints(&a, file, Span::new(start, start + 20), &live);
        assert_eq!(hints.len(), 1);
        assert_eq!(hints[0].label, "target <= 250ms");
    }
}
