//! The KPIs: status, latest value, target and warn band, and a sparkline
//! of the samples. A KPI missed, unknown or at risk gets a card with its
//! decision in a sentence; the KPIs met share one table, a row each.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::sparkline::{sparkline, Bound};
use super::{esc, kpi_light, kpi_rank, kpi_word, mark, Decls, Page};
use crate::check::value::MeasureUnit;
use crate::check::{AttrVal, Decl, Kind};
use crate::eval::report::{Evidence, KpiReport, SampleRecord};
use crate::eval::{KpiStatus, Report};

/// The samples to draw a KPI's trend from: the page's, else every sample
/// of the report's evidence about it, oldest first, one per time.
fn trend<'r>(report: &'r Report, trends: &HashMap<&str, &'r [SampleRecord]>, kpi: &str) -> Vec<&'r SampleRecord> {
    if let Some(samples) = trends.get(kpi) {
        return samples.iter().collect();
    }
    let mut all: Vec<&SampleRecord> = Vec::new();
    let mut add = |evidence: &'r [std::sync::Arc<Evidence>]| {
        for e in evidence.iter().filter(|e| e.kpi == kpi && e.reference.is_none()) {
            all.extend(&e.samples);
        }
    };
    for k in &report.kpis {
        add(&k.evidence);
    }
    for i in &report.initiatives {
        for c in i.gates.iter().flat_map(|g| &g.criteria) {
            add(&c.evidence);
        }
    }
    for c in report.policies.iter().flat_map(|p| &p.criteria) {
        add(&c.evidence);
    }
    all.sort_by_key(|s| s.time);
    all.dedup_by_key(|s| s.time);
    all
}

pub(super) fn kpi_section(out: &mut String, report: &Report, decls: &Decls<'_>, page: &Page) {
    if report.kpis.is_empty() {
        return;
    }
    out.push_str(
        "<section aria-labelledby=\"kpis\">\n<h2 id=\"kpis\">KPIs</h2>\n<p class=\"muted\">Missed first, then \
         unknown, at risk and met; the KPIs met in one table. Each trend draws the KPI's samples up to the \
         evaluation time, the target as a dashed line and the at-risk bound as a dotted one.</p>\n",
    );
    let trends: HashMap<&str, &[SampleRecord]> =
        page.trends.iter().map(|(k, samples)| (k.as_str(), samples.as_slice())).collect();
    let mut kpis: Vec<&KpiReport> = report.kpis.iter().map(|k| &**k).collect();
    kpis.sort_by_key(|k| kpi_rank(k.status));
    let (met, others): (Vec<&KpiReport>, Vec<&KpiReport>) = kpis.into_iter().partition(|k| k.status == KpiStatus::Met);
    if !others.is_empty() {
        out.push_str("<div class=\"kpis\">\n");
        for k in others {
            card(out, &Shown::new(report, decls, &trends, k));
        }
        out.push_str("</div>\n");
    }
    if !met.is_empty() {
        let _ = write!(
            out,
            "<h3 id=\"kpis-met\">Met ({})</h3>\n<table class=\"met\" aria-labelledby=\"kpis-met\"><thead><tr>\
             <th>KPI</th><th>Status</th><th>Latest</th><th>Target</th><th>Trend</th></tr></thead><tbody>\n",
            met.len()
        );
        for k in met {
            row(out, &Shown::new(report, decls, &trends, k));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
}

/// What the page shows of a KPI, in card or row.
struct Shown<'a> {
    k: &'a KpiReport,
    title: String,
    unit: Option<MeasureUnit>,
    /// `target >= 92%, at risk when < 94%`, escaped; empty without either.
    bounds_text: String,
    samples: Vec<&'a SampleRecord>,
    bounds: Vec<Bound>,
}

impl<'a> Shown<'a> {
    fn new(
        report: &'a Report,
        decls: &Decls<'_>,
        trends: &HashMap<&str, &'a [SampleRecord]>,
        k: &'a KpiReport,
    ) -> Shown<'a> {
        let d = decls.find(Kind::Kpi, &k.name);
        let title = d.map_or_else(|| k.name.clone(), |d| decls.title(d));
        let mut lines = Vec::new();
        let mut bounds = Vec::new();
        if let Some(d) = d {
            for (attr, words, class) in [("target", "target", "t"), ("warn", "at risk when", "w")] {
                if let Some(t) = decls.threshold(d, attr) {
                    lines.push(format!("{words} {t}"));
                }
                if let Some(AttrVal::Threshold(_, v)) = d.attr(attr).map(|a| &a.value) {
                    if let Some(value) = d.measure_unit().from_value(v).map(|r| r.to_f64()) {
                        bounds.push(Bound { value, class });
                    }
                }
            }
        }
        Shown {
            k,
            title,
            unit: d.map(Decl::measure_unit),
            bounds_text: esc(&lines.join(", ")),
            samples: trend(report, trends, &k.name),
            bounds,
        }
    }

    /// A value in the KPI's unit: `93.93%`.
    fn value(&self, v: f64) -> String {
        esc(&self.unit.as_ref().map_or_else(|| crate::check::value::fmt_num(v), |u| u.format_float(v)))
    }

    fn sparkline(&self, out: &mut String) {
        let (k, samples) = (self.k, &self.samples);
        let label = match (samples.first(), samples.last()) {
            (Some(a), Some(b)) => {
                format!("trend of {}: {} samples from {} to {}", k.name, samples.len(), a.time, b.time)
            }
            _ => format!("trend of {}: no samples", k.name),
        };
        sparkline(out, samples, &self.bounds, &label);
    }
}

/// A KPI that is not met, in full: status, latest value and its time,
/// target and warn band, the decision in a sentence, members, trend.
fn card(out: &mut String, s: &Shown<'_>) {
    let k = s.k;
    let _ = write!(out, "<article class=\"kpi\" id=\"kpi-{}\"><h3>{}</h3>", esc(&k.name), esc(&k.name));
    if s.title != k.name {
        let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&s.title));
    }
    out.push_str("<p>");
    mark(out, kpi_light(k.status), kpi_word(k.status));
    out.push_str("</p>");
    match k.value {
        Some(v) => {
            let when = k.time.as_deref().map(|t| format!(" <span class=\"muted\">at {}</span>", esc(t)));
            let _ = write!(out, "<p><span class=\"value\">{}</span>{}</p>", s.value(v.0), when.unwrap_or_default());
        }
        None => out.push_str("<p><span class=\"value\">no value</span></p>"),
    }
    if !s.bounds_text.is_empty() {
        let _ = write!(out, "<p>{}</p>", s.bounds_text);
    }
    let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&k.reason));
    members(out, k, s.unit.as_ref());
    s.sparkline(out);
    out.push_str("</article>\n");
}

/// A KPI met, as one table row: name (and title), status, latest value,
/// target and warn band, members, trend. Its decision's sentence would only
/// repeat the value and the target, so it is shown only in place of a
/// target that is not a plain threshold.
fn row(out: &mut String, s: &Shown<'_>) {
    let k = s.k;
    let _ = write!(out, "<tr id=\"kpi-{}\"><td>{}", esc(&k.name), esc(&k.name));
    if s.title != k.name {
        let _ = write!(out, "<div class=\"muted\">{}</div>", esc(&s.title));
    }
    members(out, k, s.unit.as_ref());
    out.push_str("</td><td>");
    mark(out, kpi_light(k.status), kpi_word(k.status));
    let value = match k.value {
        Some(v) => s.value(v.0),
        None if !k.members.is_empty() => "per member".to_string(),
        None => "no value".to_string(),
    };
    // A bound that is not a plain threshold (computed from a baseline) is
    // said by the decision's sentence.
    let target = if s.bounds_text.is_empty() {
        format!("<span class=\"muted\">{}</span>", esc(&k.reason))
    } else {
        s.bounds_text.clone()
    };
    let _ = write!(out, "</td><td>{value}</td><td>{target}</td><td>");
    s.sparkline(out);
    out.push_str("</td></tr>\n");
}

/// A family's members, worst first: each with its labels, status word and
/// latest value.
fn members(out: &mut String, k: &KpiReport, unit: Option<&MeasureUnit>) {
    if k.members.is_empty() {
        return;
    }
    let mut members: Vec<&KpiReport> = k.members.iter().collect();
    members.sort_by_key(|m| kpi_rank(m.status));
    let _ = write!(out, "<ul class=\"members\" aria-label=\"members of {}\">", esc(&k.name));
    for m in members {
        let labels: Vec<String> = m.labels.iter().map(|(l, v)| format!("{l}={v}")).collect();
        let _ = write!(out, "<li><code>{}</code> ", esc(&labels.join(", ")));
        mark(out, kpi_light(m.status), kpi_word(m.status));
        if let Some(v) = m.value {
            let shown = unit.map_or_else(|| crate::check::value::fmt_num(v.0), |u| u.format_float(v.0));
            let _ = write!(out, " {}", esc(&shown));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}
