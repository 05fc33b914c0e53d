//! Changes to a subject's own facts that move its governance: an
//! initiative's stage, a program's sponsor and `approved_until`, a KPI's
//! thresholds and how it is measured.

use std::cmp::Ordering;

use super::bounds::{self, Class};
use super::{q, Advance, Change, Side, What};
use crate::check::value::Value;
use crate::check::{AttrVal, Decl, DeclId, Kind, Model};

/// The changes of one subject present on both sides.
pub(super) fn compare(base: &Side, change: &Side, kind: Kind, b: DeclId, c: DeclId) -> Vec<Change> {
    let (bd, cd) = (base.model().decl(b), change.model().decl(c));
    let mut out = Vec::new();
    match kind {
        Kind::Initiative => out.extend(stage(base, change, bd, cd)),
        Kind::Program => {
            out.extend(reference(base, change, bd, cd, "sponsor", What::Sponsor));
            out.extend(approved_until(change, bd, cd));
        }
        Kind::Kpi => {
            for attr in ["target", "warn"] {
                out.extend(kpi_threshold(base, change, bd, cd, attr));
            }
            out.extend(max_age(base, change, bd, cd));
            out.extend(measure(base, change, bd, cd));
        }
        _ => {}
    }
    out
}

fn attr_at(side: &Side, d: &Decl, attr: &str) -> Option<super::Location> {
    match d.attr(attr) {
        Some(a) => side.at(d.file, a.span),
        None => side.at(d.file, d.name_span),
    }
}

fn attr_text(side: &Side, d: &Decl, attr: &str) -> Option<String> {
    let a = d.attr(attr)?;
    let text = side.analysis.files.get(d.file).text.get(a.value_span.range())?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn stage_name(model: &Model, d: &Decl) -> Option<String> {
    d.reference("stage").map(|s| model.decl(s).name.clone())
}

fn stage_index(model: &Model, name: &str) -> Option<usize> {
    model.stages().iter().position(|s| model.decl(*s).name == name)
}

fn stage(base: &Side, change: &Side, bd: &Decl, cd: &Decl) -> Option<Change> {
    let (from, to) = (stage_name(base.model(), bd)?, stage_name(change.model(), cd)?);
    if from == to {
        return None;
    }
    let model = change.model();
    let at = attr_at(change, cd, "stage");
    let texts = (Some(from.clone()), Some(to.clone()));
    let (Some(i), Some(j)) = (stage_index(model, &from), stage_index(model, &to)) else {
        let c = Change::new(
            What::StageJumped,
            Class::Changed,
            format!("initiative `{}` moved from `{from}` to `{to}`, a stage the change does not order", cd.name),
        );
        return Some(Change { blocks: true, ..c.texts(texts.0, texts.1).located(at) });
    };
    let stages = model.stages();
    let next = stages[(i + 1) % stages.len()];
    if model.decl(next).name == to {
        let mut c = Change::new(
            What::StageAdvanced,
            Class::Info,
            format!("initiative `{}` advanced from `{from}` to `{to}`", cd.name),
        )
        .texts(texts.0, texts.1)
        .located(at);
        c.advance = Some(Advance { name: cd.name.clone(), from, to });
        return Some(c);
    }
    if j < i {
        let c = Change::new(
            What::StageMovedBack,
            Class::Info,
            format!("initiative `{}` moved back from `{from}` to `{to}`", cd.name),
        );
        return Some(c.texts(texts.0, texts.1).located(at));
    }
    let skipped: Vec<String> = stages[i + 1..j].iter().map(|s| format!("`{}`", model.decl(*s).name)).collect();
    let c = Change::new(
        What::StageJumped,
        Class::Looser,
        format!(
            "initiative `{}` jumped from `{from}` to `{to}`, skipping {}: a stage advances one step at a time, each past its gate",
            cd.name,
            skipped.join(", ")
        ),
    );
    Some(Change { blocks: true, ..c.texts(texts.0, texts.1).located(at) })
}

/// An initiative that appears (new, or renamed) at a stage past the first:
/// it would skip every gate before it.
pub(super) fn appeared(change: &Side, c: DeclId) -> Option<Change> {
    let model = change.model();
    let d = model.decl(c);
    if d.kind != Kind::Initiative {
        return None;
    }
    let stage = stage_name(model, d)?;
    let first = model.stages().first().map(|s| model.decl(*s).name.clone())?;
    if stage == first {
        return None;
    }
    let c = Change::new(
        What::AppearedPastCalibrate,
        Class::Looser,
        format!(
            "initiative `{}` appears at stage `{stage}`, past `{first}`: a new (or renamed) initiative starts at `{first}` and advances through each gate",
            d.name
        ),
    )
    .texts(None, Some(stage));
    Some(Change { blocks: true, ..c })
}

fn reference(base: &Side, change: &Side, bd: &Decl, cd: &Decl, attr: &str, what: What) -> Option<Change> {
    let old = bd.value(attr).map(|v| base.model().display_value(v));
    let new = cd.value(attr).map(|v| change.model().display_value(v));
    if old == new {
        return None;
    }
    let message = format!(
        "`{attr}` of {} `{}` changed from {} to {}",
        cd.kind.as_str(),
        cd.name,
        old.as_deref().map_or("nothing".to_string(), q),
        new.as_deref().map_or("nothing".to_string(), q)
    );
    Some(Change::new(what, Class::Changed, message).texts(old, new).located(attr_at(change, cd, attr)))
}

fn approved_until(change: &Side, bd: &Decl, cd: &Decl) -> Option<Change> {
    let (old, new) = (bd.value("approved_until"), cd.value("approved_until"));
    let class = match (old, new) {
        (Some(a), Some(b)) => match bounds::order(b, a) {
            Some(Ordering::Equal) => return None,
            // An approval that lapses sooner is stricter.
            Some(Ordering::Less) => Class::Stricter,
            Some(Ordering::Greater) => Class::Looser,
            None => Class::Changed,
        },
        (None, None) => return None,
        (None, Some(_)) => Class::Stricter,
        (Some(_), None) => Class::Looser,
    };
    let show = |v: Option<&Value>| v.map(|v| v.to_string());
    let word = match class {
        Class::Stricter => "earlier",
        Class::Looser => "later",
        _ => "changed",
    };
    let message = format!(
        "`approved_until` of program `{}` moved {word}: {} -> {}",
        cd.name,
        show(old).unwrap_or_else(|| "unset".into()),
        show(new).unwrap_or_else(|| "unset".into())
    );
    Some(Change::new(What::ApprovedUntil, class, message).texts(show(old), show(new)).located(attr_at(
        change,
        cd,
        "approved_until",
    )))
}

fn kpi_threshold(base: &Side, change: &Side, bd: &Decl, cd: &Decl, attr: &str) -> Option<Change> {
    let (old_text, new_text) = (attr_text(base, bd, attr), attr_text(change, cd, attr));
    if old_text == new_text {
        return None;
    }
    let class = match (bd.threshold(attr), cd.threshold(attr)) {
        (Some((o1, v1)), Some((o2, v2))) => {
            let sets = bounds::threshold(o1, v1, o2, v2);
            // A larger `warn` band marks more values at risk: stricter.
            match (attr, sets) {
                ("warn", Class::Stricter) => Class::Looser,
                ("warn", Class::Looser) => Class::Stricter,
                (_, c) => c,
            }
        }
        // A warn band added marks values at risk; removed, none.
        (None, Some(_)) if attr == "warn" && bd.attr(attr).is_none() => Class::Stricter,
        (Some(_), None) if attr == "warn" && cd.attr(attr).is_none() => Class::Looser,
        _ => Class::Changed,
    };
    let message = format!(
        "`{attr}` of KPI `{}`: {} -> {}",
        cd.name,
        old_text.as_deref().map_or("unset".to_string(), q),
        new_text.as_deref().map_or("unset".to_string(), q)
    );
    Some(Change::new(What::Threshold, class, message).texts(old_text, new_text).located(attr_at(change, cd, attr)))
}

fn max_age(base: &Side, change: &Side, bd: &Decl, cd: &Decl) -> Option<Change> {
    if attr_text(base, bd, "max_age") == attr_text(change, cd, "max_age") {
        return None;
    }
    let (old, new) = (bd.value("max_age"), cd.value("max_age"));
    let class = match (old, new) {
        (Some(a), Some(b)) => match bounds::order(b, a) {
            Some(Ordering::Equal) => Class::Same,
            // Older data accepted: looser.
            Some(Ordering::Greater) => Class::Looser,
            Some(Ordering::Less) => Class::Stricter,
            None => Class::Changed,
        },
        (None, None) => return None,
        // Against the default (set by whoever runs compel): not proven.
        _ => Class::Changed,
    };
    let show = |v: Option<&Value>| v.map(|v| v.to_string());
    let message = format!(
        "`max_age` of KPI `{}`: {} -> {}",
        cd.name,
        show(old).unwrap_or_else(|| "the default".into()),
        show(new).unwrap_or_else(|| "the default".into())
    );
    Some(
        Change::new(What::Threshold, class, message)
            .texts(show(old), show(new))
            .located(attr_at(change, cd, "max_age")),
    )
}

/// `metric`, `labels`, `unit`, `query` and a derived KPI's `value`: the figure is now measured
/// differently, which no bound comparison can prove harmless.
fn measure(base: &Side, change: &Side, bd: &Decl, cd: &Decl) -> Vec<Change> {
    let mut out = Vec::new();
    for attr in ["metric", "labels", "unit", "query", "value"] {
        let (old, new) = (measured(base, bd, attr), measured(change, cd, attr));
        if old == new {
            continue;
        }
        let message = format!(
            "KPI `{}` is measured differently: `{attr}` {} -> {}",
            cd.name,
            old.as_deref().map_or("unset".to_string(), q),
            new.as_deref().map_or("unset".to_string(), q)
        );
        out.push(
            Change::new(What::Measure, Class::Changed, message).texts(old, new).located(attr_at(change, cd, attr)),
        );
    }
    out
}

fn measured(side: &Side, d: &Decl, attr: &str) -> Option<String> {
    match &d.attr(attr)?.value {
        AttrVal::Labels(l) => {
            let pairs: Vec<String> = l.iter().map(|(k, v)| format!("{k} {v:?}")).collect();
            Some(format!("{{ {} }}", pairs.join(" ")))
        }
        AttrVal::Unit(u) => Some(u.name()),
        AttrVal::Value(Value::Str(s)) => Some(s.clone()),
        _ => attr_text(side, d, attr),
    }
}

/// KPIs removed and added with the same `metric` (and `labels`, `query`)
/// and `target`: likely one KPI renamed. A hint next to the removal and
/// the addition, which still stand (a rename breaks every reference).
pub(super) fn renames(base: &Side, change: &Side, removed: &[DeclId], added: &[DeclId]) -> Vec<Change> {
    let measure = |side: &Side, d: &Decl| -> Option<Vec<Option<String>>> {
        let texts: Vec<Option<String>> =
            ["metric", "labels", "query", "target"].iter().map(|a| attr_text(side, d, a)).collect();
        (texts[0].is_some() || texts[2].is_some()).then_some(texts)
    };
    let mut out = Vec::new();
    for &b in removed {
        let bd = base.model().decl(b);
        if bd.kind != Kind::Kpi || bd.parent.is_some() {
            continue;
        }
        let Some(old) = measure(base, bd) else { continue };
        for &c in added {
            let cd = change.model().decl(c);
            if cd.kind != Kind::Kpi || cd.parent.is_some() || measure(change, cd).as_ref() != Some(&old) {
                continue;
            }
            let message = format!(
                "KPI `{}` looks renamed to `{}`: the same measure and `target` (reported as removed and added)",
                bd.name, cd.name
            );
            let mut ch = Change::new(What::Renamed, Class::Info, message)
                .texts(Some(bd.name.clone()), Some(cd.name.clone()))
                .located(change.at(cd.file, cd.name_span));
            ch.subjects = vec![format!("kpi {}", bd.name), format!("kpi {}", cd.name)];
            out.push(ch);
        }
    }
    out
}
