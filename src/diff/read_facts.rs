//! Facts a policy or a gate reads.
//!
//! A fact that a criterion reads moves the governance as much as the
//! criterion does: `review_every 30d` -> `60d`, an earlier `last_review`,
//! `versioned true` -> `false`, a sponsor's `role`. Every attribute of a
//! subject present on both sides whose value changed (or that was set or
//! unset) is reported when a policy or gate of either side names it,
//! with the policies and gates that read it. Not proven either way, it is
//! `changed` (so `--deny looser` refuses it); a `require` that it makes
//! fail is also a blocking `policy_violated` change ([`super::violations`]).
//! The facts [`super::facts`] compares more precisely (a stage, a sponsor,
//! `approved_until`, a KPI's thresholds and measure) are left to it.

use std::collections::{BTreeSet, HashSet};

use super::{q, Acc, Change, Class, Side, What};
use crate::check::{Decl, DeclId, Kind};
use crate::text::{FileId, Span};

/// The names a policy or a gate reads, with how it is called.
pub(super) struct Readers {
    readers: Vec<(String, HashSet<String>)>,
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty())
}

impl Readers {
    pub(super) fn new(sides: [&Side; 2]) -> Readers {
        let mut readers: Vec<(String, HashSet<String>)> = Vec::new();
        for side in sides {
            let model = side.model();
            let text = |file: FileId, span: Span| -> String {
                side.analysis.files.get(file).text.get(span.range()).unwrap_or("").to_string()
            };
            let mut add = |label: String, texts: Vec<String>| {
                let names: HashSet<String> = texts.iter().flat_map(|t| words(t)).map(str::to_string).collect();
                match readers.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, set)) => set.extend(names),
                    None => readers.push((label, names)),
                }
            };
            for p in &model.policies {
                let mut texts: Vec<String> = p.criteria.iter().map(|c| text(p.file, c.expr.span)).collect();
                texts.extend(p.filter.as_ref().map(|f| text(p.file, f.span)));
                add(format!("policy `{}`", p.name), texts);
            }
            for g in &model.gates {
                let texts = g.criteria.iter().map(|c| text(g.file, c.expr.span)).collect();
                add(format!("gate `{} -> {}`", g.from_name, g.to_name), texts);
            }
        }
        Readers { readers }
    }

    fn of(&self, attr: &str) -> Vec<&str> {
        self.readers.iter().filter(|(_, names)| names.contains(attr)).map(|(l, _)| l.as_str()).collect()
    }
}

/// What [`super::facts`] compares already.
fn compared_elsewhere(kind: Kind, attr: &str) -> bool {
    match kind {
        Kind::Initiative => attr == "stage",
        Kind::Program => matches!(attr, "sponsor" | "approved_until"),
        Kind::Kpi => matches!(attr, "target" | "warn" | "max_age" | "metric" | "labels" | "unit" | "query"),
        _ => false,
    }
}

fn value_text(side: &Side, d: &Decl, attr: &str) -> Option<String> {
    let a = d.attr(attr)?;
    let text = side.analysis.files.get(d.file).text.get(a.value_span.range())?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The facts of one subject that a criterion reads and that changed.
pub(super) fn compare(readers: &Readers, base: &Side, change: &Side, b: DeclId, c: DeclId, name: &str, acc: &mut Acc) {
    let (bd, cd) = (base.model().decl(b), change.model().decl(c));
    let attrs: BTreeSet<&str> = bd.attrs.iter().chain(&cd.attrs).map(|a| a.name.as_str()).collect();
    for attr in attrs {
        if compared_elsewhere(cd.kind, attr) {
            continue;
        }
        let (old, new) = (value_text(base, bd, attr), value_text(change, cd, attr));
        if old == new {
            continue;
        }
        let read_by = readers.of(attr);
        if read_by.is_empty() {
            continue;
        }
        let show = |t: &Option<String>| t.as_ref().map_or_else(|| "unset".to_string(), |t| q(t));
        let message =
            format!("`{attr}` of {name} changed from {} to {}, read by {}", show(&old), show(&new), read_by.join(", "));
        let at = match cd.attr(attr) {
            Some(a) => change.at(cd.file, a.span),
            None => change.at(cd.file, cd.name_span),
        };
        let ch = Change::new(What::FactChanged, Class::Changed, message).texts(old, new).located(at);
        acc.add(&ch, Some(name));
    }
}
