//! The KPIs: status, latest value, target and warn band, and a sparkline
//! of the samples.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{esc, kpi_light, kpi_rank, kpi_word, mark, Decls, Page};
use crate::check::{AttrVal, Decl, Kind};
use crate::eval::report::{Evidence, KpiReport, SampleRecord};
use crate::eval::Report;

/// The samples to draw a KPI's trend from: the page's, else every sample
/// of the report's evidence about it, oldest first, one per time.
fn trend<'r>(report: &'r Report, trends: &HashMap<&str, &'r [SampleRecord]>, kpi: &str) -> Vec<&'r SampleRecord> {
    if let Some(samples) = trends.get(kpi) {
        return samples.iter().collect();
    }
    let mut all: Vec<&SampleRecord> = Vec::new();
    let mut add = |evidence: &'r [Evidence]| {
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

/// A number with at most one decimal, for SVG coordinates: `36`, `22.4`
/// (coordinates lie within the 240 by 40 box; anything else is drawn at 0).
fn coord(x: f64) -> String {
    let tenths = if x.is_finite() && x.abs() < 1e9 { (x * 10.0).round() as i64 } else { 0 };
    let (sign, tenths) = if tenths < 0 { ("-", -tenths) } else { ("", tenths) };
    match tenths % 10 {
        0 => format!("{sign}{}", tenths / 10),
        d => format!("{sign}{}.{d}", tenths / 10),
    }
}

/// A bound drawn across a sparkline: its value and its class (`target`,
/// `warn`), which the style sheet draws.
struct Bound {
    value: f64,
    class: &'static str,
}

/// The trend as an inline SVG: the samples as a line ending in a dot, the
/// target as a dashed line and the warn bound as a dotted one.
fn sparkline(out: &mut String, samples: &[&SampleRecord], bounds: &[Bound], label: &str) {
    let points: Vec<(i64, f64)> =
        samples.iter().filter(|s| s.value.0.is_finite()).map(|s| (s.time.0, s.value.0)).collect();
    if points.is_empty() {
        out.push_str("<p class=\"muted\">No samples to draw.</p>");
        return;
    }
    let (w, h, pad) = (240.0, 40.0, 4.0);
    let t0 = points.iter().map(|p| p.0).min().unwrap_or(0);
    let t1 = points.iter().map(|p| p.0).max().unwrap_or(0);
    let mut lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    for b in bounds.iter().filter(|b| b.value.is_finite()) {
        lo = lo.min(b.value);
        hi = hi.max(b.value);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        lo -= 1.0;
        hi += 1.0;
    }
    let x = |t: i64| if t1 == t0 { w / 2.0 } else { pad + (t - t0) as f64 / (t1 - t0) as f64 * (w - 2.0 * pad) };
    let y = |v: f64| h - pad - (v - lo) / (hi - lo) * (h - 2.0 * pad);
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"none\">",
        esc(label)
    );
    for b in bounds.iter().filter(|b| b.value.is_finite()) {
        let yb = coord(y(b.value));
        let _ = write!(out, "<line class=\"{}\" x2=\"{w}\" y1=\"{yb}\" y2=\"{yb}\"/>", b.class);
    }
    let path: Vec<String> = points.iter().map(|&(t, v)| format!("{},{}", coord(x(t)), coord(y(v)))).collect();
    let _ = write!(out, "<polyline points=\"{}\"/>", path.join(" "));
    if let Some(&(t, v)) = points.last() {
        let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\"/>", coord(x(t)), coord(y(v)));
    }
    out.push_str("</svg>");
}

pub(super) fn kpi_section(out: &mut String, report: &Report, decls: &Decls<'_>, page: &Page) {
    if report.kpis.is_empty() {
        return;
    }
    out.push_str(
        "<section aria-labelledby=\"kpis\">\n<h2 id=\"kpis\">KPIs</h2>\n<p class=\"muted\">Missed first, then \
         unknown, at risk and met. Each trend draws the KPI's samples up to the evaluation \
         time, the target as a dashed line \
         and the at-risk bound as a dotted one.</p>\n<div class=\"kpis\">\n",
    );
    let trends: HashMap<&str, &[SampleRecord]> =
        page.trends.iter().map(|(k, samples)| (k.as_str(), samples.as_slice())).collect();
    let mut kpis: Vec<&KpiReport> = report.kpis.iter().collect();
    kpis.sort_by_key(|k| kpi_rank(k.status));
    for k in kpis {
        let d = decls.find(Kind::Kpi, &k.name);
        let title = d.map_or_else(|| k.name.clone(), |d| decls.title(d));
        let _ = write!(out, "<article class=\"kpi\" id=\"kpi-{}\"><h3>{}</h3>", esc(&k.name), esc(&k.name));
        if title != k.name {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&title));
        }
        out.push_str("<p>");
        mark(out, kpi_light(k.status), kpi_word(k.status));
        out.push_str("</p>");
        let unit = d.map(Decl::measure_unit);
        let shown = |v: f64| unit.as_ref().map_or_else(|| crate::check::value::fmt_num(v), |u| u.format_float(v));
        match k.value {
            Some(v) => {
                let when = k.time.as_deref().map(|t| format!(" <span class=\"muted\">at {}</span>", esc(t)));
                let _ =
                    write!(out, "<p><span class=\"value\">{}</span>{}</p>", esc(&shown(v.0)), when.unwrap_or_default());
            }
            None => out.push_str("<p><span class=\"value\">no value</span></p>"),
        }
        if let Some(d) = d {
            let mut lines = Vec::new();
            if let Some(t) = decls.threshold(d, "target") {
                lines.push(format!("target {t}"));
            }
            if let Some(t) = decls.threshold(d, "warn") {
                lines.push(format!("at risk when {t}"));
            }
            if !lines.is_empty() {
                let _ = write!(out, "<p>{}</p>", esc(&lines.join(", ")));
            }
        }
        let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&k.reason));
        members(out, k, unit.as_ref());
        let samples = trend(report, &trends, &k.name);
        let bound = |attr: &str| {
            d.and_then(|d| match &d.attr(attr)?.value {
                AttrVal::Threshold(_, v) => d.measure_unit().from_value(v).map(|r| r.to_f64()),
                _ => None,
            })
        };
        let mut bounds = Vec::new();
        if let Some(value) = bound("target") {
            bounds.push(Bound { value, class: "target" });
        }
        if let Some(value) = bound("warn") {
            bounds.push(Bound { value, class: "warn" });
        }
        let label = match (samples.first(), samples.last()) {
            (Some(a), Some(b)) => {
                format!("trend of {}: {} samples from {} to {}", k.name, samples.len(), a.time, b.time)
            }
            _ => format!("trend of {}: no samples", k.name),
        };
        sparkline(out, &samples, &bounds, &label);
        out.push_str("</article>\n");
    }
    out.push_str("</div>\n</section>\n");
}

/// A family's members, worst first: each with its labels, status word and
/// latest value.
fn members(out: &mut String, k: &KpiReport, unit: Option<&crate::check::value::MeasureUnit>) {
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

#[cfg(test)]
mod tests {
    use super::coord;

    #[test]
    fn coordinates_with_at_most_one_decimal() {
        assert_eq!(coord(36.0), "36");
        assert_eq!(coord(22.44), "22.4");
        assert_eq!(coord(22.46), "22.5");
        assert_eq!(coord(-0.04), "0");
        assert_eq!(coord(-1.25), "-1.3");
        assert_eq!(coord(f64::NAN), "0");
    }
}
