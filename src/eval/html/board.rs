//! The stage board: a column per stage, a card per initiative with its
//! status and readiness in plain words.

use std::fmt::Write as _;

use super::{esc, kpi_rank, mark, Decls, Light};
use crate::check::{Decl, Kind};
use crate::eval::report::InitiativeReport;
use crate::eval::{Outcome, Report};

/// An initiative's traffic light and word, from its KPIs and the
/// obligations on it (readiness is said separately): off track, unknown,
/// at risk or on track.
pub(super) fn initiative_light(i: &InitiativeReport, decls: &Decls<'_>) -> (Light, &'static str) {
    let worst_kpi = i.kpis.iter().map(|k| kpi_rank(k.status)).min().unwrap_or(3);
    let policy = decls.policies_on("initiative", &i.name).iter().map(|p| p.outcome).max().unwrap_or(Outcome::Pass);
    if policy == Outcome::Fail || worst_kpi == 0 {
        (Light::Red, "off track")
    } else if policy == Outcome::Unknown || worst_kpi == 1 {
        (Light::Grey, "unknown")
    } else if policy == Outcome::Warn || worst_kpi == 2 {
        (Light::Amber, "at risk")
    } else {
        (Light::Green, "on track")
    }
}

/// Readiness in plain words: `ready for Produce`, or `not ready for
/// Produce: ...` with each blocking criterion's `because` or reason.
fn readiness_text(i: &InitiativeReport, decls: &Decls<'_>) -> (bool, String) {
    let Some(next) = &i.next_gate else {
        return (true, "no gate guards the next stage".to_string());
    };
    let to = decls.stage_title(&next.to);
    if i.ready {
        return (true, format!("ready for {to}"));
    }
    let reasons: Vec<String> = i
        .blocked_by
        .iter()
        .map(|b| {
            let what =
                ["require ", "expect ", "advise "].iter().find_map(|k| b.text.strip_prefix(k)).unwrap_or(&b.text);
            match &b.because {
                Some(because) => format!("{because} ({what}: {})", b.reason),
                None => format!("{what}: {}", b.reason),
            }
        })
        .collect();
    (false, format!("not ready for {to}: {}", reasons.join("; ")))
}

pub(super) fn owner(decls: &Decls<'_>, d: Option<&Decl>) -> Option<String> {
    let d = d?;
    d.value("owner").or_else(|| d.value("sponsor")).or_else(|| d.value("lead")).map(|v| decls.person(v))
}

pub(super) fn board(out: &mut String, report: &Report, decls: &Decls<'_>) {
    out.push_str("<section aria-labelledby=\"board\">\n<h2 id=\"board\">Stage board</h2>\n<div class=\"board\">\n");
    let stages = decls.stage_names();
    for (stage, title) in &stages {
        let _ = write!(out, "<section class=\"column\" aria-label=\"{}\"><h3>{}</h3>", esc(title), esc(title));
        let mut any = false;
        for i in report.initiatives.iter().filter(|i| &i.stage == stage) {
            any = true;
            card(out, i, decls);
        }
        if !any {
            out.push_str("<p class=\"empty\">No initiative</p>");
        }
        out.push_str("</section>\n");
    }
    // An initiative at a stage the board does not show still appears.
    let others: Vec<&InitiativeReport> =
        report.initiatives.iter().filter(|i| !stages.iter().any(|(s, _)| s == &i.stage)).collect();
    if !others.is_empty() {
        out.push_str("<section class=\"column\" aria-label=\"Other stages\"><h3>Other stages</h3>");
        for i in others {
            card(out, i, decls);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</div>\n</section>\n");
}

fn card(out: &mut String, i: &InitiativeReport, decls: &Decls<'_>) {
    let d = decls.find(Kind::Initiative, &i.name);
    let title = d.map_or_else(|| i.name.clone(), |d| decls.title(d));
    let _ = write!(out, "<article class=\"card\" id=\"card-{}\"><h4>{}</h4>", esc(&i.name), esc(&title));
    if title != i.name {
        let _ = write!(out, "<p class=\"muted\"><code>{}</code></p>", esc(&i.name));
    }
    if let Some(o) = owner(decls, d) {
        let _ = write!(out, "<p class=\"owner\">Owner: {}</p>", esc(&o));
    }
    let (light, word) = initiative_light(i, decls);
    out.push_str("<p>");
    mark(out, light, word);
    out.push_str("</p>");
    let (ready, text) = readiness_text(i, decls);
    out.push_str("<p>");
    if ready && i.next_gate.is_some() {
        // `ready for Produce` says it all: the mark alone.
        mark(out, Light::Green, &text);
        out.push_str("</p>");
    } else {
        mark(out, if ready { Light::Green } else { Light::Red }, if ready { "ready" } else { "not ready" });
        let _ = write!(out, " {}</p>", esc(&text));
    }
    out.push_str("</article>");
}
