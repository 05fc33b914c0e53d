//! The obligations (violated first) and each initiative's details on
//! demand: gates, criteria, evidence.

use std::fmt::Write as _;

use super::board::{initiative_light, owner};
use super::{esc, mark, outcome_light, Decls, Light};
use crate::check::Kind;
use crate::eval::report::{CriterionReport, Evidence, PolicyReport};
use crate::eval::{Outcome, Report};

fn subject_owner(decls: &Decls<'_>, p: &PolicyReport) -> Option<String> {
    let kind = Kind::ALL.iter().copied().find(|k| k.as_str() == p.kind)?;
    owner(decls, decls.find(kind, &p.subject))
}

pub(super) fn obligations(out: &mut String, report: &Report, decls: &Decls<'_>) {
    out.push_str("<section aria-labelledby=\"obligations\">\n<h2 id=\"obligations\">Obligations</h2>\n");
    let violated: Vec<&PolicyReport> = report.policies.iter().filter(|p| p.outcome.blocks()).collect();
    let warned: Vec<&PolicyReport> = report.policies.iter().filter(|p| p.outcome == Outcome::Warn).collect();
    let held = report.policies.len() - violated.len() - warned.len();
    if violated.is_empty() {
        let _ = write!(out, "<p>");
        mark(out, Light::Green, "pass");
        let _ = writeln!(out, " No obligation is violated ({held} hold).</p>");
    } else {
        let _ = writeln!(out, "<p>{} violated, {} with a warning, {held} hold.</p>", violated.len(), warned.len());
    }
    for p in violated.iter().chain(&warned) {
        let _ = write!(out, "<article class=\"obligation\"><h3>{} on {}</h3><p>", esc(&p.name), esc(&p.subject));
        mark(out, outcome_light(p.outcome), p.outcome.as_str());
        let _ = write!(out, " {} <code>{}</code>", esc(&p.kind), esc(&p.subject));
        if let Some(o) = subject_owner(decls, p) {
            let _ = write!(out, ", owner {}", esc(&o));
        }
        out.push_str("</p>");
        for c in p.criteria.iter().filter(|c| c.outcome != Outcome::Pass) {
            out.push_str("<p>");
            if let Some(b) = &c.because {
                let _ = write!(out, "{}: ", esc(b));
            }
            let _ = write!(out, "{}</p>", esc(&c.reason));
        }
        out.push_str("</article>\n");
    }
    if !report.policies.is_empty() {
        let _ = write!(
            out,
            "<details><summary>Every obligation ({})</summary><table><thead><tr><th>Policy</th><th>Subject</th>\
             <th>Outcome</th></tr></thead><tbody>",
            report.policies.len()
        );
        for p in &report.policies {
            let _ = write!(out, "<tr><td>{}</td><td>{} {}</td><td>", esc(&p.name), esc(&p.kind), esc(&p.subject));
            mark(out, outcome_light(p.outcome), p.outcome.as_str());
            out.push_str("</td></tr>");
        }
        out.push_str("</tbody></table></details>\n");
    }
    out.push_str("</section>\n");
}

fn criteria_table(out: &mut String, criteria: &[CriterionReport]) {
    out.push_str(
        "<table class=\"criteria\"><thead><tr><th>Criterion</th><th>Outcome</th>\
         <th>Why</th></tr></thead><tbody>",
    );
    for c in criteria {
        let _ = write!(out, "<tr><td><code>{}</code></td><td>", esc(&c.text));
        mark(out, outcome_light(c.outcome), c.outcome.as_str());
        out.push_str("</td><td>");
        if let Some(b) = &c.because {
            let _ = write!(out, "<div>{}</div>", esc(b));
        }
        let _ = write!(out, "<div class=\"muted\">{}</div>", esc(&c.reason));
        for e in &c.evidence {
            evidence(out, e);
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
}

fn evidence(out: &mut String, e: &Evidence) {
    let mut text = format!("{} of {}", e.function, e.series);
    if let Some(w) = &e.window {
        let _ = write!(text, " over {w}");
    }
    if let (Some(from), Some(to)) = (e.from, e.to) {
        let _ = write!(text, " [{from}, {to}]");
    }
    if let Some(v) = e.value {
        let _ = write!(text, " = {}", crate::check::value::fmt_num(v.0));
        if let Some(u) = &e.unit {
            let _ = write!(text, " {u}");
        }
    }
    let _ = write!(text, "; {} sample{}", e.samples.len(), if e.samples.len() == 1 { "" } else { "s" });
    if let Some(r) = &e.reason {
        let _ = write!(text, "; {r}");
    }
    let _ = write!(out, "<div><code>{}</code></div>", esc(&text));
}

pub(super) fn details(out: &mut String, report: &Report, decls: &Decls<'_>) {
    if report.initiatives.is_empty() {
        return;
    }
    out.push_str("<section aria-labelledby=\"details\">\n<h2 id=\"details\">Details</h2>\n");
    for i in &report.initiatives {
        let d = decls.find(Kind::Initiative, &i.name);
        let title = d.map_or_else(|| i.name.clone(), |d| decls.title(d));
        let _ = write!(out, "<details><summary>{} ", esc(&title));
        let (light, word) = initiative_light(i, decls);
        mark(out, light, word);
        out.push_str("</summary>");
        let _ = write!(
            out,
            "<p class=\"muted\">{} at stage {}, declared in {}:{}</p>",
            esc(&i.name),
            esc(&decls.stage_title(&i.stage)),
            esc(&i.file),
            i.line
        );
        if !i.evidence.is_empty() {
            out.push_str("<h4>Evidence</h4><ul>");
            for e in &i.evidence {
                let of = e.dataset.as_ref().map(|ds| format!(" (dataset {})", esc(ds))).unwrap_or_default();
                let by = e.by.as_ref().map(|b| format!(" by {}", esc(b))).unwrap_or_default();
                let until = e.expires.as_ref().map(|x| format!(", expires {}", esc(x))).unwrap_or_default();
                let _ =
                    write!(out, "<li>{} {}{of}: {}{by} on {}{until}", esc(&e.kind), esc(&e.name), e.status, esc(&e.on));
                if let Some(link) = &e.link {
                    let _ = write!(out, " <code>{}</code>", esc(link));
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        if i.gates.is_empty() {
            out.push_str("<p>No gate guards the next stage.</p>");
        }
        for g in &i.gates {
            let _ = write!(
                out,
                "<h4>Gate {} \u{2192} {} ",
                esc(&decls.stage_title(&g.from)),
                esc(&decls.stage_title(&g.to))
            );
            mark(out, outcome_light(g.outcome), g.outcome.as_str());
            let _ = write!(out, "</h4><p class=\"muted\">{}</p>", esc(&g.reason));
            criteria_table(out, &g.criteria);
        }
        let policies = decls.policies_on("initiative", &i.name);
        if !policies.is_empty() {
            out.push_str("<h4>Obligations</h4>");
            for p in policies {
                let _ = write!(out, "<p>{} ", esc(&p.name));
                mark(out, outcome_light(p.outcome), p.outcome.as_str());
                out.push_str("</p>");
                criteria_table(out, &p.criteria);
            }
        }
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}
