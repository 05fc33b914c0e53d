//! Markdown descriptions of symbols, attributes and kinds, shared by hover
//! and completion.
//!
//! A declaration is described as the editor would want to see it on a
//! card: a compel code block with its kind, name and the attributes that
//! say what it is (a KPI's metric, unit, target, warn and max age; a
//! person's name and role), then its doc comment, then where it is
//! declared. Values are shown as written, so the card matches the source.

use std::fmt::Write as _;

use super::short_path;
use crate::analysis::Analysis;
use crate::check::{AttrSpec, Decl, DeclId, Kind, Symbol};
use crate::text::FileId;

/// One line of plain words about a kind.
pub fn kind_doc(kind: Kind) -> &'static str {
    match kind {
        Kind::Program => "An AI program: the strategic layer, with its sponsor, budget, reviews and objectives.",
        Kind::Coe => "A Center of Excellence: the tactical layer that prioritises use cases and standardises practice.",
        Kind::Person => "A person who sponsors, owns or leads.",
        Kind::Kpi => {
            "A KPI bound to a metric series, with a target (and optionally a warn threshold and a maximum age)."
        }
        Kind::Initiative => {
            "An initiative moving through the six COMPEL stages, with its KPIs, datasets, monitors and gates."
        }
        Kind::Dataset => "A dataset an initiative uses.",
        Kind::Monitor => "A monitor an initiative runs in production (drift, performance ...).",
        Kind::Stage => "A COMPEL stage (declared in the stdlib).",
        Kind::Role => "A role people hold (declared in the stdlib).",
        Kind::Function => "A business function a Center of Excellence brings together (declared in the stdlib).",
        Kind::MonitorKind => "A kind of monitor (declared in the stdlib).",
        Kind::Evidence => {
            "Evidence of an initiative or a dataset (a model card, a sign-off ...): its kind, link, author, date and expiry. Policies do not see it before its `on` date."
        }
        Kind::EvidenceKind => "A kind of evidence (the stdlib declares model_card, risk_assessment, data_sheet, signoff and human_review; an organisation declares more).",
    }
}

/// Markdown for a kind keyword: what it declares and its attributes.
pub fn kind_markdown(kind: Kind) -> String {
    let mut s = format!("```compel\n{} NAME {{ ... }}\n```\n{}\n\n", kind.as_str(), kind_doc(kind));
    for spec in kind.attrs() {
        let _ = writeln!(s, "- `{}`{}: {}", spec.name, if spec.required { " (required)" } else { "" }, spec.doc);
    }
    s
}

/// Markdown for an attribute of a kind.
pub fn attribute_markdown(kind: Kind, spec: &AttrSpec) -> String {
    let required = if spec.required { ", required" } else { "" };
    format!(
        "```compel\n{}.{}\n```\n{} ({} attribute{required})\n\nIts value is {}.",
        kind.as_str(),
        spec.name,
        capitalise(spec.doc),
        kind.as_str(),
        spec.ty.describe()
    )
}

/// Markdown for a name derived from nested declarations (`datasets`).
pub fn derived_markdown(kind: Kind, name: &str, of: Kind) -> String {
    format!(
        "```compel\n{}.{name}\n```\nThe {} declared inside the {}, as a list.",
        kind.as_str(),
        plural(of.as_str()),
        kind.as_str()
    )
}

fn plural(word: &str) -> String {
    format!("{word}s")
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// The one-line signature of a symbol: `kpi accuracy`,
/// `avg(kpi: kpi, window: duration) -> measure`, `policy p for program`.
pub fn signature(a: &Analysis, sym: Symbol) -> String {
    match sym {
        Symbol::Decl(id) => {
            let d = a.model.decl(id);
            format!("{} {}", d.kind.as_str(), d.name)
        }
        Symbol::Policy(i) => {
            let p = &a.model.policies[i];
            match p.subject {
                Some(k) => format!("policy {} for {}", p.name, k.as_str()),
                None => format!("policy {}", p.name),
            }
        }
        Symbol::Let(i) => format!("let {}", a.model.lets[i].name),
        Symbol::Builtin(i) => a.model.builtins[i].signature(),
    }
}

/// The doc comment of a symbol.
pub fn doc(a: &Analysis, sym: Symbol) -> Option<&str> {
    match sym {
        Symbol::Decl(id) => a.model.decl(id).doc.as_deref(),
        Symbol::Policy(i) => a.model.policies[i].doc.as_deref(),
        Symbol::Let(i) => a.model.lets[i].doc.as_deref(),
        Symbol::Builtin(i) => a.model.builtins[i].doc.as_deref(),
    }
}

/// The file a symbol is declared in.
pub fn file_of(a: &Analysis, sym: Symbol) -> FileId {
    a.model.symbol_def(sym).1.file
}

/// The attributes worth showing for a declaration: every attribute set, in
/// schema order, as written; a KPI also shows its default `max_age`.
pub fn summary_lines(a: &Analysis, id: DeclId) -> Vec<(String, String)> {
    let d = a.model.decl(id);
    let text = &a.files.get(d.file).text;
    let mut lines = Vec::new();
    for spec in d.kind.attrs() {
        if spec.name == "description" {
            continue;
        }
        match d.attr(spec.name) {
            // A derived KPI's unit taken from its formula is not written.
            Some(attr) if text.get(attr.name_span.range()) != Some(spec.name) => {
                if let crate::check::AttrVal::Unit(u) = &attr.value {
                    lines.push((spec.name.to_string(), format!("{}  // from its value", u.name())));
                }
            }
            None if spec.name == "max_age" && a.model.is_derived(id) => {}
            Some(attr) => {
                let written = text.get(attr.value_span.range()).unwrap_or("").trim();
                let mut value = one_line(written);
                if let Some(note) = reference_note(a, d, spec.name) {
                    value = format!("{value}  // {note}");
                }
                lines.push((spec.name.to_string(), value));
            }
            None if d.kind == Kind::Kpi && spec.name == "max_age" => {
                lines.push(("max_age".to_string(), "1d  // default".to_string()));
            }
            None => {}
        }
    }
    lines
}

/// A short gloss on a referenced declaration: a person's name and role, a
/// role's title.
fn reference_note(a: &Analysis, d: &Decl, attr: &str) -> Option<String> {
    let target = a.model.decl(d.reference(attr)?);
    match target.kind {
        Kind::Person => {
            let name = target.str_attr("name")?;
            match target.reference("role").map(|r| a.model.decl(r)) {
                Some(role) => Some(format!("{name}, {}", role.str_attr("title").unwrap_or(&role.name))),
                None => Some(name.to_string()),
            }
        }
        Kind::Role | Kind::Stage | Kind::Function | Kind::MonitorKind | Kind::EvidenceKind => {
            target.str_attr("title").map(str::to_string)
        }
        Kind::Evidence => {
            let kind = target.reference("kind").map(|k| a.model.decl(k).name.clone()).unwrap_or_default();
            let link = target.str_attr("link").map(|l| format!(" <{l}>")).unwrap_or_default();
            Some(format!("{kind}{link}"))
        }
        _ => None,
    }
}

fn one_line(s: &str) -> String {
    if !s.contains('\n') {
        return s.to_string();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A declaration as a compel block with its summary attributes.
pub fn decl_block(a: &Analysis, id: DeclId) -> String {
    let d = a.model.decl(id);
    let lines = summary_lines(a, id);
    if lines.is_empty() {
        return format!("{} {}", d.kind.as_str(), d.name);
    }
    let width = lines.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut s = format!("{} {} {{\n", d.kind.as_str(), d.name);
    for (name, value) in &lines {
        let _ = writeln!(s, "  {name:width$} {value}");
    }
    s.push('}');
    s
}

/// The full markdown card of a symbol. `from` is the file asking: the
/// card says where the symbol is declared when that is another file.
pub fn symbol_markdown(a: &Analysis, sym: Symbol, from: Option<FileId>) -> String {
    let code = match sym {
        Symbol::Decl(id) => decl_block(a, id),
        Symbol::Let(i) => {
            let l = &a.model.lets[i];
            let text = &a.files.get(l.file).text;
            format!("let {} = {}", l.name, one_line(text.get(l.expr.span.range()).unwrap_or("")))
        }
        Symbol::Builtin(i) => {
            let mut code = format!("builtin {}", signature(a, sym));
            for form in a.model.builtins[i].entry.map_or(&[][..], |e| e.forms) {
                let _ = write!(code, "\nbuiltin {form}");
            }
            code
        }
        Symbol::Policy(_) => signature(a, sym),
    };
    let mut s = format!("```compel\n{code}\n```\n");
    if let Some(doc) = doc(a, sym) {
        let _ = write!(s, "{doc}\n\n");
    }
    if let Symbol::Decl(id) = sym {
        family_members(a, id, &mut s);
        derived_inputs(a, id, &mut s);
    }
    let file = file_of(a, sym);
    if from != Some(file) {
        let _ = writeln!(s, "*declared in `{}`*", short_path(&a.files.get(file).path));
    }
    s.trim_end().to_string()
}

/// A KPI family's members, one per line, or where they come from.
fn family_members(a: &Analysis, id: DeclId, s: &mut String) {
    let Some(groups) = a.model.family_groups(id) else { return };
    if a.model.is_discovered_family(id) {
        let keys: Vec<String> = groups.iter().map(|(k, _)| format!("`{k}`")).collect();
        let _ = write!(
            s,
            "A KPI family: one member per {} value found in the data within its read-back range.\n\n",
            keys.join(" and ")
        );
        return;
    }
    let members = a.model.members(id);
    let _ = writeln!(s, "A KPI family of {} members (its status is its worst member's):\n", members.len());
    for m in members.iter().take(MAX_MEMBERS_SHOWN) {
        let _ = writeln!(s, "- `{}`", a.model.decl(*m).name.replace('`', "'"));
    }
    if members.len() > MAX_MEMBERS_SHOWN {
        let _ = writeln!(s, "- and {} more", members.len() - MAX_MEMBERS_SHOWN);
    }
    s.push('\n');
}

/// A derived KPI's inputs, one per line, with their units and `max_age`.
fn derived_inputs(a: &Analysis, id: DeclId, s: &mut String) {
    let inputs = a.model.derived_inputs(id);
    if inputs.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "A derived KPI: its value is its formula over these inputs' values, each fresh under its own `max_age`; its sample time is the oldest input's:\n"
    );
    for k in inputs {
        let d = a.model.decl(*k);
        let age = match d.value("max_age") {
            Some(v) => a.model.display_value(v),
            None if a.model.is_derived(*k) => "its inputs'".to_string(),
            None => "1d (default)".to_string(),
        };
        let _ = writeln!(s, "- `{}` ({}, max_age {age})", d.name, d.measure_unit().name());
    }
    s.push('\n');
}

/// How many members a hover lists.
const MAX_MEMBERS_SHOWN: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyse, ACME, PEOPLE};

    #[test]
    fn describes_a_kpi_and_a_person() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let Some(crate::check::Symbol::Decl(kpi)) = a.model.lookup(file, "accuracy") else { panic!("no accuracy") };
        let card = symbol_markdown(&a, Symbol::Decl(kpi), Some(file));
        assert!(card.contains("target  >= 92%"), "{card}");
        assert!(card.contains("Top-1 accuracy"), "{card}");
        let Some(Symbol::Decl(dana)) = a.model.lookup(file, "dana") else { panic!("no dana") };
        let card = symbol_markdown(&a, Symbol::Decl(dana), Some(file));
        assert!(card.contains("role CFO  // Chief Financial Officer"), "{card}");
        assert!(card.contains("*declared in `people.compel`*"), "{card}");
    }
}
