//! KPI families at eval time: the members a family finds in the data
//! (`by [sex]`), and a family's report (the worst of its members).
//!
//! Discovered members are the label values seen within the family's
//! read-back range ([`super::plan`]: the same range `--prometheus` fetches),
//! so a file and a live Prometheus find the same members: a series whose
//! samples all lie before that range is not a member.

use std::collections::BTreeMap;

use super::evaluate::EvalOptions;
use super::metrics::MetricStore;
use super::plan;
use super::report::{KpiReport, KpiStatus};
use crate::check::families::{self, Group};
use crate::check::{DeclId, Model};
use crate::text::Files;

/// The model with the members of every discovered family added, or `None`
/// when no family discovers its members.
pub fn discover(model: &Model, files: &Files, store: &MetricStore, opts: &EvalOptions) -> Option<Model> {
    let families: Vec<DeclId> =
        (0..model.decls.len() as u32).map(DeclId).filter(|id| model.is_discovered_family(*id)).collect();
    if families.is_empty() {
        return None;
    }
    let fetches = plan::plan(model, files, opts.default_max_age);
    let mut found = Vec::new();
    for id in families {
        let d = model.decl(id);
        let lookback = fetches.iter().find(|f| f.kpi == d.name).map_or(0.0, |f| f.lookback);
        // Whole nanoseconds; the range is generous by less than one.
        let from = opts.now.saturating_sub((lookback * 1e9).ceil() as i64);
        let metric = d.str_attr("query").and_then(|q| store.query_key(q)).or(d.str_attr("metric"));
        let Some(metric) = metric else { continue };
        let base = d.labels();
        let keys: Vec<String> = model.family_groups(id).unwrap_or(&[]).iter().map(|(k, _)| k.clone()).collect();
        let mut groups: Vec<Group> = Vec::new();
        for s in store.iter().filter(|s| s.metric == metric) {
            if base.iter().any(|(k, v)| s.labels.get(k) != Some(v)) {
                continue;
            }
            let group: Option<Group> = keys.iter().map(|k| s.labels.get(k).map(|v| (k.clone(), v.clone()))).collect();
            let Some(group) = group else { continue };
            if s.samples_in(from, opts.now).is_empty() || groups.contains(&group) {
                continue;
            }
            groups.push(group);
        }
        groups.sort();
        found.push((id, groups));
    }
    Some(families::with_members(model, &found))
}

fn rank(s: KpiStatus) -> u8 {
    match s {
        KpiStatus::Met => 0,
        KpiStatus::AtRisk => 1,
        KpiStatus::Unknown => 2,
        KpiStatus::Missed => 3,
    }
}

/// A family's report: the worst member's status, and each member.
pub fn report(model: &Model, id: DeclId, members: Vec<KpiReport>) -> KpiReport {
    let d = model.decl(id);
    let unit = d.measure_unit().name();
    let status = members.iter().map(|m| m.status).max_by_key(|s| rank(*s)).unwrap_or(KpiStatus::Unknown);
    let reason = if members.is_empty() {
        "no member: no group was found in the data, so the family cannot pass".to_string()
    } else {
        let worst: Vec<&KpiReport> = members.iter().filter(|m| m.status == status).collect();
        let names: Vec<String> = worst.iter().take(3).map(|m| format!("{}: {}", group(m), m.reason)).collect();
        let more = if worst.len() > 3 { format!(" and {} more", worst.len() - 3) } else { String::new() };
        match status {
            KpiStatus::Met => format!("all {} members meet the target", members.len()),
            s => format!(
                "{} of {} members {}: {}{more}",
                worst.len(),
                members.len(),
                match s {
                    KpiStatus::AtRisk => "at risk",
                    KpiStatus::Missed => "missed",
                    _ => "unknown",
                },
                names.join("; ")
            ),
        }
    };
    KpiReport {
        name: d.name.clone(),
        status,
        value: None,
        unit,
        time: None,
        reason,
        evidence: Vec::new(),
        labels: BTreeMap::new(),
        members,
        derived: None,
    }
}

/// `sex="female"` of a member's report.
fn group(m: &KpiReport) -> String {
    let parts: Vec<String> = m.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    parts.join(", ")
}
