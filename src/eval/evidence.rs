//! The evidence of an initiative and of its datasets, as the report lists
//! it: what it is, where it lives, who signed it, and whether it exists and
//! is current at `now` (evidence dated after today does not exist yet;
//! policies do not see it either).

use crate::check::value::fmt_date;
use crate::check::{DeclId, Kind, Model, Value};

/// One piece of evidence in the report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EvidenceReport {
    /// Its name.
    pub name: String,
    /// The dataset it belongs to; `None` for the initiative's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Its kind (an `evidence_kind`).
    pub kind: String,
    /// Where the document lives, as written (never fetched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Who produced or signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Its date (`YYYY-MM-DD`).
    pub on: String,
    /// When it stops being valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `current`, `expired` (on or after `expires`), or `future` (dated
    /// after today: it does not exist yet).
    pub status: &'static str,
}

/// The evidence of initiative `id` and of its datasets, in source order;
/// `today` in days since 1970-01-01. Evidence whose date did not check is
/// left out (policies never see it either).
pub fn of_initiative(model: &Model, id: DeclId, today: i64) -> Vec<EvidenceReport> {
    let d = model.decl(id);
    let mut out = Vec::new();
    for &c in &d.children {
        let child = model.decl(c);
        match child.kind {
            Kind::Evidence => out.extend(one(model, c, None, today)),
            Kind::Dataset => {
                for &e in &child.children {
                    if model.decl(e).kind == Kind::Evidence {
                        out.extend(one(model, e, Some(child.name.clone()), today));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn one(model: &Model, id: DeclId, dataset: Option<String>, today: i64) -> Option<EvidenceReport> {
    let e = model.decl(id);
    let Some(Value::Date(on)) = e.value("on") else { return None };
    let expires = match e.value("expires") {
        Some(Value::Date(x)) => Some(*x),
        _ => None,
    };
    let status = if *on > today {
        "future"
    } else if expires.is_some_and(|x| x <= today) {
        "expired"
    } else {
        "current"
    };
    let by = e.value("by").map(|v| match v {
        Value::Str(s) => s.clone(),
        v => model.display_value(v),
    });
    Some(EvidenceReport {
        name: e.name.clone(),
        dataset,
        kind: e.reference("kind").map(|k| model.decl(k).name.clone()).unwrap_or_default(),
        link: e.str_attr("link").map(str::to_string),
        by,
        on: fmt_date(*on),
        expires: expires.map(fmt_date),
        status,
    })
}
