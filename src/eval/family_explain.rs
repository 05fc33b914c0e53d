//! Explanations of criteria over KPI families: the failing members by
//! their labels and values.

use super::{Explainer, KpiState};
use crate::check::rational::Rational;
use crate::check::DeclId;

/// At most this many members are named; the rest are counted.
const SHOWN: usize = 4;

impl Explainer<'_, '_, '_, '_> {
    /// `require family`: the members that miss (or cannot be decided).
    pub(super) fn family_status(&self, family: DeclId) -> String {
        let metrics = self.ev.metrics;
        let name = &self.model().decl(family).name;
        let members = self.model().members(family);
        if members.is_empty() {
            return format!("`{name}` is unknown: it has no member (no group was found in the data)");
        }
        let findings: Vec<(DeclId, _)> = members.iter().map(|m| (*m, metrics.status_finding(*m))).collect();
        let missed: Vec<String> = findings
            .iter()
            .filter(|(_, f)| matches!(f.result, Ok((KpiState::Missed, _))))
            .map(|(m, f)| format!("`{}` {}", self.model().decl(*m).name, f.reason))
            .collect();
        let unknown: Vec<String> = findings
            .iter()
            .filter(|(_, f)| f.result.is_err())
            .map(|(m, f)| format!("`{}` is unknown: {}", self.model().decl(*m).name, f.reason))
            .collect();
        let total = members.len();
        if !missed.is_empty() {
            return format!("{} of {total} members of `{name}` miss the target: {}", missed.len(), some(&missed));
        }
        if !unknown.is_empty() {
            return format!("{} of {total} members of `{name}` are unknown: {}", unknown.len(), some(&unknown));
        }
        let at_risk = findings.iter().filter(|(_, f)| matches!(f.result, Ok((KpiState::AtRisk, _)))).count();
        if at_risk > 0 {
            return format!("all {total} members of `{name}` meet the target, {at_risk} at risk");
        }
        format!("all {total} members of `{name}` meet the target")
    }

    /// `family for D`: the members that broke the target (or cannot tell).
    pub(super) fn family_held(&self, family: DeclId, secs: Rational) -> String {
        let metrics = self.ev.metrics;
        let name = &self.model().decl(family).name;
        let members = self.model().members(family);
        if members.is_empty() {
            return format!("`{name}` is unknown: it has no member (no group was found in the data)");
        }
        let findings: Vec<(DeclId, _)> = members.iter().map(|m| (*m, metrics.held_finding(*m, secs))).collect();
        let broke: Vec<String> = findings
            .iter()
            .filter(|(_, f)| matches!(f.result, Ok(KpiState::Missed)))
            .map(|(m, f)| format!("`{}`: {}", self.model().decl(*m).name, f.reason))
            .collect();
        let unknown: Vec<String> = findings
            .iter()
            .filter(|(_, f)| f.result.is_err())
            .map(|(m, f)| format!("`{}`: {}", self.model().decl(*m).name, f.reason))
            .collect();
        let total = members.len();
        if !broke.is_empty() {
            return format!("{} of {total} members of `{name}` broke the target: {}", broke.len(), some(&broke));
        }
        if !unknown.is_empty() {
            return format!("{} of {total} members of `{name}` cannot tell: {}", unknown.len(), some(&unknown));
        }
        format!("all {total} members of `{name}` held the target")
    }

    /// A family's members with their latest values:
    /// `auc{sex="female"} 0.85, auc{sex="male"} 0.77`.
    pub(super) fn family_values(&self, family: DeclId) -> String {
        let metrics = self.ev.metrics;
        let shown: Vec<String> = self
            .model()
            .members(family)
            .into_iter()
            .map(|m| {
                let info = metrics.info(m);
                let f = metrics.latest_sample(&info, "latest");
                let v = match f.result {
                    Ok((_, q)) => info.show(q),
                    Err(_) => "unknown".to_string(),
                };
                format!("`{}` {v}", self.model().decl(m).name)
            })
            .collect();
        if shown.is_empty() {
            return "no member".to_string();
        }
        some(&shown)
    }
}

fn some(items: &[String]) -> String {
    let mut s = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > SHOWN {
        s.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    s
}
