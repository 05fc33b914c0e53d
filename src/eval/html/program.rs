//! The programs: sponsor, budget and its runway, reviews, objectives.

use std::fmt::Write as _;

use super::{date_text, day_of, days, esc, kpi_light, kpi_word, mark, outcome_light, Decls, Light};
use crate::check::{Decl, Kind, Value};
use crate::eval::report::PolicyReport;
use crate::eval::{Outcome, Report};

pub(super) fn program_section(out: &mut String, report: &Report, decls: &Decls<'_>, programs: &[&Decl]) {
    if programs.is_empty() {
        return;
    }
    let today = day_of(&report.now);
    out.push_str(
        "<section aria-labelledby=\"programs\">\n<h2 id=\"programs\">Programs</h2>\n<div class=\"programs\">\n",
    );
    for p in programs {
        let _ = write!(out, "<article class=\"program\"><h3>{}</h3>", esc(&decls.title(p)));
        if let Some(vision) = p.str_attr("vision") {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(vision));
        }
        out.push_str("<dl>");
        let mut row = |term: &str, body: &str| {
            let _ = write!(out, "<dt>{}</dt><dd>{body}</dd>", esc(term));
        };
        if let Some(s) = p.value("sponsor") {
            row("Sponsor", &esc(&decls.person(s)));
        }
        if let Some(b) = p.value("budget") {
            row("Budget", &esc(&decls.value(b)));
        }
        if let Some(Value::Date(until)) = p.value("approved_until") {
            let mut body = esc(&date_text(*until));
            if let Some(today) = today {
                let left = until - today;
                let mut m = String::new();
                if left < 0 {
                    mark(&mut m, Light::Red, &format!("approval lapsed {} ago", days(-left)));
                } else if left < 90 {
                    mark(&mut m, Light::Amber, &format!("{} left", days(left)));
                } else {
                    mark(&mut m, Light::Green, &format!("{} left", days(left)));
                }
                let _ = write!(body, " {m}");
            }
            row("Budget approved until", &body);
        }
        for (term, body) in reviews(report, p, today) {
            row(term, &body);
        }
        if let Some(Value::List(objectives)) = p.value("objectives") {
            let mut body = String::new();
            for o in objectives {
                let name = match o {
                    Value::Decl(id) => decls.model.decl(*id).name.clone(),
                    v => decls.model.display_value(v),
                };
                body.push_str("<div>");
                let title = decls.find(Kind::Kpi, &name).map_or_else(|| name.clone(), |d| decls.title(d));
                let _ = write!(body, "{} ", esc(&title));
                match report.kpi(&name) {
                    Some(k) => mark(&mut body, kpi_light(k.status), kpi_word(k.status)),
                    None => mark(&mut body, Light::Grey, "not evaluated"),
                }
                body.push_str("</div>");
            }
            row("Objectives", &body);
        }
        let violated: Vec<&PolicyReport> = report
            .policies
            .iter()
            .filter(|r| r.subject == p.name && r.kind == "program" && r.outcome.blocks())
            .collect();
        if !violated.is_empty() {
            let mut body = String::new();
            for v in violated {
                body.push_str("<div>");
                mark(&mut body, outcome_light(v.outcome), v.outcome.as_str());
                let _ = write!(body, " {}</div>", esc(&v.name));
            }
            row("Violated obligations", &body);
        }
        out.push_str("</dl></article>\n");
    }
    out.push_str("</div>\n</section>\n");
}

/// The last review and the next one due, both red when executive attention
/// lapsed: the program's `executive_attention` obligation failed (or, when
/// no such obligation applies, the next review is past due).
fn reviews(report: &Report, p: &Decl, today: Option<i64>) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    let Some(Value::Date(last)) = p.value("last_review") else {
        return rows;
    };
    let due = match p.value("review_every") {
        Some(Value::Dur(every)) => every
            .div(crate::check::rational::Rational::int(86_400))
            .and_then(|d| i64::try_from(d.ceil()).ok())
            .map(|d| last + d),
        _ => None,
    };
    let policy = report
        .policies
        .iter()
        .find(|r| r.name == "executive_attention" && r.kind == "program" && r.subject == p.name)
        .map(|r| r.outcome);
    let lapsed = match policy {
        Some(o) => o == Outcome::Fail,
        None => matches!((due, today), (Some(due), Some(today)) if due < today),
    };
    let mut body = esc(&date_text(*last));
    if let Some(today) = today {
        let ago = if today >= *last { format!("{} ago", days(today - last)) } else { "in the future".to_string() };
        let mut m = String::new();
        if lapsed {
            mark(&mut m, Light::Red, &format!("executive attention lapsed: {ago}"));
        } else if policy == Some(Outcome::Unknown) {
            mark(&mut m, Light::Grey, &format!("executive attention unknown: {ago}"));
        } else {
            let _ = write!(m, "<span class=\"muted\">{ago}</span>");
        }
        let _ = write!(body, " {m}");
    }
    rows.push(("Last review", body));
    if let Some(due) = due {
        let mut body = esc(&date_text(due));
        if let Some(today) = today {
            let mut m = String::new();
            match (lapsed, due.cmp(&today)) {
                (true, std::cmp::Ordering::Less) => {
                    mark(&mut m, Light::Red, &format!("overdue by {}", days(today - due)))
                }
                (true, _) => mark(&mut m, Light::Red, "executive attention lapsed"),
                (false, std::cmp::Ordering::Less) => {
                    mark(&mut m, Light::Grey, &format!("past by {}", days(today - due)))
                }
                (false, std::cmp::Ordering::Equal) => mark(&mut m, Light::Amber, "due today"),
                (false, std::cmp::Ordering::Greater) => {
                    mark(&mut m, Light::Green, &format!("due in {}", days(due - today)))
                }
            }
            let _ = write!(body, " {m}");
        }
        rows.push(("Next review due", body));
    }
    rows
}
