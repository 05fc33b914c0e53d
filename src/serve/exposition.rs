//! `/metrics`: every decision of the latest evaluation as gauges, in the
//! OpenMetrics text format (what Prometheus asks for) or the Prometheus
//! text format 0.0.4 (what `promtool check metrics` and older scrapers
//! read). Pure: a report and the server's facts in, text out.
//!
//! States are one-hot: every gate, KPI and policy result has one series per
//! possible state, exactly one of them 1, so `sum by (...)` is always 1 and
//! a state that changes leaves no stale series behind. No label carries a
//! time; times are sample values.

use std::fmt::Write as _;

use crate::eval::metrics::escape_label_value_into;
use crate::eval::report::{KpiStatus, Outcome, Report};

/// The OpenMetrics content type.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The Prometheus text format's content type.
pub const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The outcomes, in the order the one-hot series are written.
pub const OUTCOMES: [Outcome; 4] = [Outcome::Pass, Outcome::Warn, Outcome::Fail, Outcome::Unknown];
/// The KPI statuses, in the order the one-hot series are written.
pub const STATUSES: [KpiStatus; 4] = [KpiStatus::Met, KpiStatus::AtRisk, KpiStatus::Missed, KpiStatus::Unknown];

/// What the server knows besides the report.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// compel's version.
    pub version: String,
    /// The revision hash of the policy set being served.
    pub revision: String,
    /// Whether the latest reload failed (the previous policy set serves).
    pub reload_failed: bool,
    /// Whether the metric source answered in the latest evaluation.
    pub source_up: bool,
    /// When the latest evaluation ran, in Unix seconds.
    pub evaluated_at: f64,
    /// How long it took, in seconds.
    pub duration: f64,
    /// Evaluations since start.
    pub evaluations: u64,
    /// Evaluations that started later than their tick (the previous one
    /// was still running).
    pub late: u64,
    /// Successful and failed reloads since start.
    pub reloads: (u64, u64),
    /// Queries the latest evaluation sent to Prometheus: one per distinct
    /// selector (or raw `query`), however many KPIs share it.
    pub queries: u64,
}

/// A metric family being written.
struct Family<'a> {
    out: &'a mut String,
    openmetrics: bool,
}

impl Family<'_> {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        // OpenMetrics names a counter's family without `_total` and an info
        // family without `_info`; the text format names the samples.
        let family = match (self.openmetrics, kind) {
            (true, "counter") => name.trim_end_matches("_total"),
            (true, "info") => name.trim_end_matches("_info"),
            _ => name,
        };
        let kind = if !self.openmetrics && kind == "info" { "gauge" } else { kind };
        let _ = writeln!(self.out, "# HELP {family} {help}");
        let _ = writeln!(self.out, "# TYPE {family} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: &str) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label_value_into(v, self.out);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(value);
        self.out.push('\n');
    }
}

fn bit(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// A float as the exposition formats write it.
pub fn float(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{x}")
    }
}

/// The exposition of `report` (none before the first evaluation).
pub fn render(report: Option<&Report>, facts: &Facts, openmetrics: bool) -> String {
    let mut out = String::new();
    let mut f = Family { out: &mut out, openmetrics };
    server(&mut f, facts);
    if let Some(report) = report {
        decisions(&mut f, report);
    }
    if openmetrics {
        out.push_str("# EOF\n");
    }
    out
}

fn server(f: &mut Family, facts: &Facts) {
    f.head("compel_build_info", "info", "compel's version.");
    f.sample("compel_build_info", &[("version", &facts.version)], "1");
    f.head("compel_policy_set_info", "info", "The revision hash of the policy set being evaluated.");
    f.sample("compel_policy_set_info", &[("revision", &facts.revision)], "1");
    f.head(
        "compel_policy_reload_failed",
        "gauge",
        "1 while the latest reload failed and the previous policy set serves.",
    );
    f.sample("compel_policy_reload_failed", &[], bit(facts.reload_failed));
    f.head("compel_policy_reloads_total", "counter", "Policy set reloads since start, by result.");
    f.sample("compel_policy_reloads_total", &[("result", "success")], &facts.reloads.0.to_string());
    f.sample("compel_policy_reloads_total", &[("result", "failure")], &facts.reloads.1.to_string());
    f.head("compel_metrics_source_up", "gauge", "1 when the metric source answered in the latest evaluation.");
    f.sample("compel_metrics_source_up", &[], bit(facts.source_up));
    f.head("compel_source_queries", "gauge", "Queries the latest evaluation sent (one per distinct selector).");
    f.sample("compel_source_queries", &[], &facts.queries.to_string());
    f.head("compel_evaluations_total", "counter", "Evaluations since start.");
    f.sample("compel_evaluations_total", &[], &facts.evaluations.to_string());
    f.head("compel_late_evaluations_total", "counter", "Evaluations that started after their tick.");
    f.sample("compel_late_evaluations_total", &[], &facts.late.to_string());
    f.head("compel_last_evaluation_timestamp_seconds", "gauge", "When the latest evaluation ran (Unix time).");
    f.sample("compel_last_evaluation_timestamp_seconds", &[], &float(facts.evaluated_at));
    f.head("compel_last_evaluation_duration_seconds", "gauge", "How long the latest evaluation took.");
    f.sample("compel_last_evaluation_duration_seconds", &[], &float(facts.duration));
}

fn decisions(f: &mut Family, report: &Report) {
    f.head("compel_gate_state", "gauge", "The outcome of each initiative's next gate, one-hot.");
    for i in &report.initiatives {
        for g in &i.gates {
            for o in OUTCOMES {
                let labels = [("initiative", i.name.as_str()), ("from", &g.from), ("to", &g.to), ("state", o.as_str())];
                f.sample("compel_gate_state", &labels, bit(g.outcome == o));
            }
        }
    }
    f.head("compel_initiative_ready", "gauge", "1 when the initiative may pass its next gate.");
    for i in &report.initiatives {
        let (from, to) = i.next_gate.as_ref().map_or(("", ""), |g| (g.from.as_str(), g.to.as_str()));
        f.sample("compel_initiative_ready", &[("initiative", &i.name), ("from", from), ("to", to)], bit(i.ready));
    }
    f.head("compel_kpi_status", "gauge", "Each KPI's status, per initiative that lists it, one-hot.");
    let mut listed = std::collections::BTreeSet::new();
    let kpis = report.initiatives.iter().flat_map(|i| i.kpis.iter().map(move |k| (i.name.as_str(), k)));
    let kpis: Vec<_> = kpis.collect();
    for (initiative, k) in &kpis {
        listed.insert(k.name.as_str());
        kpi_status(f, k, initiative);
    }
    let unlisted: Vec<_> = report.kpis.iter().filter(|k| !listed.contains(k.name.as_str())).collect();
    for k in &unlisted {
        kpi_status(f, k, "");
    }
    f.head("compel_kpi_value", "gauge", "Each KPI's latest value in its unit, while it has one.");
    let all = kpis.iter().copied().chain(unlisted.iter().map(|k| ("", *k)));
    for (initiative, k) in all {
        if let Some(v) = k.value.filter(|v| v.0.is_finite()) {
            f.sample(
                "compel_kpi_value",
                &[("kpi", &k.name), ("initiative", initiative), ("unit", &k.unit)],
                &float(v.0),
            );
        }
    }
    f.head("compel_policy_state", "gauge", "The outcome of each policy on each subject, one-hot.");
    for p in &report.policies {
        for o in OUTCOMES {
            let labels = [("policy", p.name.as_str()), ("subject", &p.subject), ("state", o.as_str())];
            f.sample("compel_policy_state", &labels, bit(p.outcome == o));
        }
    }
}

fn kpi_status(f: &mut Family, k: &crate::eval::report::KpiReport, initiative: &str) {
    for s in STATUSES {
        let labels = [("kpi", k.name.as_str()), ("initiative", initiative), ("status", s.as_str())];
        f.sample("compel_kpi_status", &labels, bit(k.status == s));
    }
}

/// Whether a request's `Accept` header asks for OpenMetrics.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains("application/openmetrics-text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_named_per_format() {
        let facts = Facts { version: "1".into(), revision: "r\"\n".into(), ..Facts::default() };
        let om = render(None, &facts, true);
        assert!(om.ends_with("# EOF\n"));
        assert!(om.contains("# TYPE compel_build info\ncompel_build_info{version=\"1\"} 1\n"));
        assert!(om.contains("# TYPE compel_evaluations counter\ncompel_evaluations_total 0\n"));
        assert!(om.contains("compel_policy_set_info{revision=\"r\\\"\\n\"} 1"));
        let text = render(None, &facts, false);
        assert!(!text.contains("# EOF"));
        assert!(text.contains("# TYPE compel_build_info gauge\n"));
        assert!(text.contains("# TYPE compel_evaluations_total counter\n"));
        assert!(wants_openmetrics(Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5")));
        assert!(!wants_openmetrics(Some("text/plain")) && !wants_openmetrics(None));
    }
}
