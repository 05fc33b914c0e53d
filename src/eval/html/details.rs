//! Each initiative's details on demand: its evidence, its gates and the
//! obligations on it, with their criteria.
//!
//! A gate or an obligation that is not clean (any criterion that does not
//! pass) shows every criterion with its outcome, `because`, reason and the
//! evidence the decision read. One whose every criterion passes is one
//! line, its outcome and reason, with its criteria listed by their text
//! and `because`: their reasons would repeat that each holds, and
//! `compel eval --format json` keeps every reason and evidence.

use std::fmt::Write as _;

use super::board::initiative_light;
use super::{esc, mark, outcome_light, Decls};
use crate::check::Kind;
use crate::eval::report::{CriterionReport, Evidence};
use crate::eval::{Outcome, Report};

/// Every criterion passes.
fn clean(criteria: &[CriterionReport]) -> bool {
    criteria.iter().all(|c| c.outcome == Outcome::Pass)
}

/// Criteria that all pass, compactly: each one's text and `because`.
fn passing_list(out: &mut String, criteria: &[CriterionReport]) {
    if criteria.is_empty() {
        return;
    }
    out.push_str("<ul class=\"pass\">");
    for c in criteria {
        let _ = write!(out, "<li><code>{}</code>", esc(&c.text));
        if let Some(b) = &c.because {
            let _ = write!(out, " {}", esc(b));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
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
    out.push_str(
        "<section aria-labelledby=\"details\">\n<h2 id=\"details\">Details</h2>\n<p class=\"muted\">A gate or \
         obligation with a criterion that does not pass shows each criterion's outcome, reason and evidence; one \
         whose criteria all pass lists them. <code>compel eval --format json</code> gives every reason and \
         evidence.</p>\n",
    );
    for i in &report.initiatives {
        let d = decls.find(Kind::Initiative, &i.name);
        let title = d.map_or_else(|| i.name.clone(), |d| decls.title(d));
        let _ = write!(out, "<details><summary>{} ", esc(&title));
        let (light, word) = initiative_light(i, decls);
        mark(out, light, word);
        out.push_str("</summary>");
        // The name when the title is another text.
        let name = if title == i.name { String::new() } else { format!("{}: ", esc(&i.name)) };
        let _ = write!(
            out,
            "<p class=\"muted\">{name}Stage {}, declared in {}:{}</p>",
            esc(&decls.stage_title(&i.stage)),
            esc(&i.file),
            i.line
        );
        initiative_evidence(out, &i.evidence);
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
            criteria(out, "h4", &g.reason, &g.criteria);
        }
        let policies = decls.policies_on("initiative", &i.name);
        if !policies.is_empty() {
            out.push_str("<h4>Obligations</h4>");
            for p in policies {
                let _ = write!(out, "<p>{} ", esc(&p.name));
                mark(out, outcome_light(p.outcome), p.outcome.as_str());
                criteria(out, "p", &p.reason, &p.criteria);
            }
        }
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

/// Closes the heading (`tag`) of a gate or an obligation and shows its
/// criteria: when all pass, the reason on the heading's line and the
/// criteria listed; else the reason below it and every criterion in full.
fn criteria(out: &mut String, tag: &str, reason: &str, criteria: &[CriterionReport]) {
    if clean(criteria) {
        let _ = write!(out, ": {}</{tag}>", esc(reason));
        passing_list(out, criteria);
    } else {
        let _ = write!(out, "</{tag}><p class=\"muted\">{}</p>", esc(reason));
        criteria_table(out, criteria);
    }
}

/// The initiative's evidence (in it and its datasets), with its state at
/// `now`.
fn initiative_evidence(out: &mut String, evidence: &[crate::eval::evidence::EvidenceReport]) {
    if evidence.is_empty() {
        return;
    }
    out.push_str("<h4>Evidence</h4><ul>");
    for e in evidence {
        let of = e.dataset.as_ref().map(|ds| format!(" (dataset {})", esc(ds))).unwrap_or_default();
        let by = e.by.as_ref().map(|b| format!(" by {}", esc(b))).unwrap_or_default();
        let until = e.expires.as_ref().map(|x| format!(", expires {}", esc(x))).unwrap_or_default();
        let _ = write!(out, "<li>{} {}{of}: {}{by} on {}{until}", esc(&e.kind), esc(&e.name), e.status, esc(&e.on));
        if let Some(link) = &e.link {
            let _ = write!(out, " <code>{}</code>", esc(link));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}
