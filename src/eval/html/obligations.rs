//! The obligations: the violated and warned ones in full, then every
//! obligation's outcome in a table.

use std::fmt::Write as _;

use super::board::owner;
use super::{esc, mark, outcome_light, Decls, Light};
use crate::check::Kind;
use crate::eval::report::PolicyReport;
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
