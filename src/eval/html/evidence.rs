//! An initiative's evidence (`evidence` declarations in it and in its
//! datasets): what it is, who produced it, when, until when it holds, and
//! where it lives. The link is shown as text, never followed or made a
//! hyperlink: policy files never choose a URL the page points to.

use std::fmt::Write as _;

use super::{date_text, days, esc, mark, Decls, Light};
use crate::check::{Decl, Value};

/// The evidence declared in `d` and in its children (datasets), in
/// declaration order.
fn evidence_of<'a>(decls: &Decls<'a>, d: &'a Decl) -> Vec<&'a Decl> {
    let mut found = Vec::new();
    for c in d.children.iter().map(|c| decls.model.decl(*c)) {
        if c.kind.as_str() == "evidence" {
            found.push(c);
        } else {
            found.extend(c.children.iter().map(|e| decls.model.decl(*e)).filter(|e| e.kind.as_str() == "evidence"));
        }
    }
    found
}

fn date(d: &Decl, attr: &str) -> Option<i64> {
    match d.value(attr) {
        Some(Value::Date(day)) => Some(*day),
        _ => None,
    }
}

/// The evidence as a list, each with its state on `today`: not counted
/// before its date, expired (red), expiring within 90 days (amber), valid.
pub(super) fn list(out: &mut String, decls: &Decls<'_>, d: &Decl, today: Option<i64>) {
    let evidence = evidence_of(decls, d);
    if evidence.is_empty() {
        return;
    }
    out.push_str("<h4>Evidence</h4><ul class=\"evidence\">");
    for e in evidence {
        let _ = write!(out, "<li><b>{}</b>", esc(&decls.title(e)));
        if let Some(kind) = e.value("kind") {
            let kind = match kind {
                Value::Decl(id) => decls.title(decls.model.decl(*id)),
                v => decls.value(v),
            };
            let _ = write!(out, " ({})", esc(&kind));
        }
        if let Some(by) = e.value("by") {
            let _ = write!(out, ", by {}", esc(&decls.person(by)));
        }
        let on = date(e, "on");
        if let Some(on) = on {
            let _ = write!(out, ", dated {}", date_text(on));
        }
        let expires = date(e, "expires");
        if let Some(expires) = expires {
            let _ = write!(out, ", expires {}", date_text(expires));
        }
        if let Some(today) = today {
            out.push(' ');
            match (on, expires) {
                (Some(on), _) if on > today => mark(out, Light::Grey, "dated after the evaluation: not counted"),
                (_, Some(x)) if x < today => mark(out, Light::Red, &format!("expired {} ago", days(today - x))),
                (_, Some(x)) if x - today < 90 => mark(out, Light::Amber, &format!("expires in {}", days(x - today))),
                _ => mark(out, Light::Green, "valid"),
            }
        }
        if let Some(link) = e.str_attr("link") {
            let _ = write!(out, "<div><code>{}</code></div>", esc(link));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}
