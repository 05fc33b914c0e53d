//! KPI families: a KPI with `by` is one member per group.
//!
//! `by { sex ["female", "male"]  age_band ["18-39", "40-64", "65+"] }`
//! makes one member per combination (here 6), each the series matching the
//! family's `labels` plus its group's labels. The members are declarations
//! of their own (kind `kpi`, nested in the family, named
//! `auc_by_group{sex="female", age_band="18-39"}`), so everything that
//! reads a KPI reads a member the same way: status, windows, `for`,
//! staleness, evidence. `by [sex]` discovers the values from the data: the
//! evaluator adds those members ([`with_members`]) from the label values
//! seen within the family's read-back range, so a file and Prometheus find
//! the same members.
//!
//! Fail closed: a member with no series is `unknown` like any KPI; a
//! family's status is its worst member's; a family with no member is
//! `unknown`, never a vacuous pass.

use std::collections::BTreeMap;

use super::{Attr, AttrName, AttrVal, Checker, Decl, DeclId, Kind, Model};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::{AttrValue as AstAttrValue, ExprKind};
use crate::text::FileId;

/// One member's group: its labels, in the order of the family's `by`.
pub type Group = Vec<(String, String)>;

impl Model {
    /// The groups of a family (`by`), or `None` for a plain KPI.
    pub fn family_groups(&self, id: DeclId) -> Option<&[(String, Vec<String>)]> {
        let d = self.decl(id);
        if d.kind != Kind::Kpi {
            return None;
        }
        match &d.attr("by")?.value {
            AttrVal::Groups(g) => Some(g),
            _ => None,
        }
    }

    /// Whether the KPI is a family.
    pub fn is_family(&self, id: DeclId) -> bool {
        self.family_groups(id).is_some()
    }

    /// Whether the family discovers its members from the data (`by [sex]`).
    pub fn is_discovered_family(&self, id: DeclId) -> bool {
        self.family_groups(id).is_some_and(|g| g.iter().all(|(_, vs)| vs.is_empty()))
    }

    /// The members of a family, in order.
    pub fn members(&self, id: DeclId) -> Vec<DeclId> {
        let d = self.decl(id);
        d.children.iter().copied().filter(|c| self.decl(*c).kind == Kind::Kpi).collect()
    }

    /// Whether the KPI is a member of a family.
    pub fn is_member(&self, id: DeclId) -> bool {
        self.decl(id).kind == Kind::Kpi && self.decl(id).parent.is_some_and(|p| self.decl(p).kind == Kind::Kpi)
    }

    /// A member's group labels (those its family's `by` adds), in order.
    pub fn member_group(&self, id: DeclId) -> Group {
        let Some(family) = self.decl(id).parent else { return Vec::new() };
        let Some(groups) = self.family_groups(family) else { return Vec::new() };
        let labels = self.decl(id).labels();
        groups.iter().filter_map(|(k, _)| labels.get(k).map(|v| (k.clone(), v.clone()))).collect()
    }
}

/// `sex="female", age_band="18-39"`.
pub fn show_group(group: &Group) -> String {
    let parts: Vec<String> =
        group.iter().map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))).collect();
    parts.join(", ")
}

/// Adds the members of every family with listed groups (one per
/// combination of values, in the order written).
pub fn expand(model: &mut Model) {
    for i in 0..model.decls.len() {
        let id = DeclId(i as u32);
        let Some(groups) = model.family_groups(id) else { continue };
        if groups.iter().any(|(_, vs)| vs.is_empty()) {
            continue;
        }
        let mut combos: Vec<Group> = vec![Vec::new()];
        for (k, vs) in groups {
            combos = combos
                .iter()
                .flat_map(|c| {
                    vs.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push((k.clone(), v.clone()));
                        c
                    })
                })
                .collect();
        }
        for group in combos {
            add_member(model, id, &group);
        }
    }
}

/// The model with the members of discovered families (`by [sex]`) added:
/// `found` gives, per family, the groups seen in the data.
pub fn with_members(model: &Model, found: &[(DeclId, Vec<Group>)]) -> Model {
    let mut out = model.clone();
    for (family, groups) in found {
        for g in groups {
            add_member(&mut out, *family, g);
        }
    }
    out
}

fn add_member(model: &mut Model, family: DeclId, group: &Group) {
    let f = model.decl(family);
    let mut labels: BTreeMap<String, String> = f.labels();
    labels.extend(group.iter().cloned());
    let mut attrs: Vec<Attr> = f.attrs.iter().filter(|a| a.name != "by" && a.name != "labels").cloned().collect();
    let by = f.attr("by").cloned();
    if let Some(by) = by {
        attrs.push(Attr { name: AttrName::Schema("labels"), value: AttrVal::Labels(labels.into()), ..by });
    }
    let member = Decl {
        kind: Kind::Kpi,
        name: format!("{}{{{}}}", f.name, show_group(group)),
        file: f.file,
        name_span: f.name_span,
        span: f.span,
        body_span: f.body_span,
        doc: f.doc.clone(),
        parent: Some(family),
        children: Vec::new(),
        attrs: attrs.into(),
        gates: Vec::new(),
        incomplete: f.incomplete,
    };
    let id = DeclId(model.decls.len() as u32);
    model.decls.push(member);
    model.decls[family.0 as usize].children.push(id);
}

impl Checker<'_> {
    /// The value of `by`: listed groups, or labels whose values the data
    /// gives (with a warning that a missing group goes unnoticed).
    pub(super) fn groups_value(&mut self, file: FileId, v: &AstAttrValue, id: DeclId) -> AttrVal {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        let bad = |cx: &mut Self, span, msg: String, help: &str| {
            cx.diags.push(Diagnostic::at(Code::BadGroups, file, span, msg).with_help(help.to_string()));
        };
        match v {
            AstAttrValue::Groups(g) => {
                for (k, vs) in &g.entries {
                    if out.iter().any(|(n, _)| *n == k.name) {
                        bad(self, k.span, format!("the label `{}` is listed twice", k.name), "list each label once");
                        return AttrVal::Invalid;
                    }
                    if vs.is_empty() {
                        let msg = format!("`{}` lists no value: the family would have no member", k.name);
                        bad(self, k.span, msg, "list the values, or write `by [LABEL]` to find them in the data");
                        return AttrVal::Invalid;
                    }
                    let mut values: Vec<String> = Vec::new();
                    for v in vs {
                        if values.contains(&v.value) {
                            let msg = format!("the value \"{}\" of `{}` is listed twice", v.value, k.name);
                            bad(self, v.span, msg, "list each value once");
                            return AttrVal::Invalid;
                        }
                        values.push(v.value.clone());
                    }
                    out.push((k.name.clone(), values));
                }
            }
            AstAttrValue::Expr(e) => {
                let ExprKind::List(items) = &e.kind else {
                    bad(self, e.span, "`by` must be groups or a list of labels".into(), GROUPS_HELP);
                    return AttrVal::Invalid;
                };
                for item in items {
                    let ExprKind::Name(k) = &item.kind else {
                        bad(self, item.span, "`by [...]` lists label names such as `sex`".into(), GROUPS_HELP);
                        return AttrVal::Invalid;
                    };
                    if out.iter().any(|(n, _)| *n == k.name) {
                        bad(self, k.span, format!("the label `{}` is listed twice", k.name), "list each label once");
                        return AttrVal::Invalid;
                    }
                    out.push((k.name.clone(), Vec::new()));
                }
                if out.is_empty() {
                    bad(self, e.span, "`by []` names no label".into(), GROUPS_HELP);
                    return AttrVal::Invalid;
                }
                let name = self.model.decl(id).name.clone();
                let keys: Vec<String> = out.iter().map(|(k, _)| format!("`{k}`")).collect();
                self.diags.push(
                    Diagnostic::at(
                        Code::DiscoveredGroups,
                        file,
                        e.span,
                        format!(
                            "the members of `{name}` are the {} values found in the data: a group missing from the data goes unnoticed",
                            keys.join(" and ")
                        ),
                    )
                    .with_help(format!(
                        "list the groups so that a vanished one is `unknown`: `by {{ {} [\"...\"] }}`",
                        out[0].0
                    )),
                );
            }
            _ => {
                bad(self, v.span(), "`by` must be groups or a list of labels".into(), GROUPS_HELP);
                return AttrVal::Invalid;
            }
        }
        AttrVal::Groups(out)
    }

    /// A label both in `labels` and in `by` is an error: a member would
    /// select two values of it.
    pub(super) fn check_family_labels(&mut self, file: FileId, attrs: &mut [Attr]) {
        let Some(AttrVal::Labels(labels)) = attrs.iter().find(|a| a.name == "labels").map(|a| a.value.clone()) else {
            return;
        };
        let Some(by) = attrs.iter_mut().find(|a| a.name == "by") else { return };
        let AttrVal::Groups(groups) = &by.value else { return };
        if let Some((k, _)) = groups.iter().find(|(k, _)| labels.contains_key(k)) {
            let msg = format!("`{k}` is both in `labels` and in `by`: a member would select two values of it");
            self.diags.push(
                Diagnostic::at(Code::BadGroups, file, by.value_span, msg).with_help("keep the label in one of them"),
            );
            by.value = AttrVal::Invalid;
        }
    }
}

const GROUPS_HELP: &str = "write `by { sex [\"female\", \"male\"] }`, or `by [sex]` to find the values in the data";
