//! Completion that knows where the cursor is.
//!
//! The slot comes from the text ([`super::context`]), so completion works in
//! a declaration that does not parse yet; the candidates come from the
//! models given, first to last (the current analysis, then the last one in
//! which the file parsed), so a name declared in a block that is broken
//! right now is still offered.

use std::collections::HashSet;

use super::context::{self, ExprSlot, Slot};
use super::describe;
use crate::analysis::Analysis;
use crate::check::extend::ExtTy;
use crate::check::{AttrType, Kind, Symbol};
use crate::stdlib;
use crate::text::{FileId, Span};

#[path = "complete_ext.rs"]
mod complete_ext;
#[path = "complete_test.rs"]
mod complete_test;
#[path = "complete_units.rs"]
mod complete_units;
use complete_ext::{compared_values, ext_value, from_ext};
use complete_test::test_statement;
use complete_units::{kpi_unit, units, CURRENCIES, MEASURE_UNITS};

/// What an item is (the editor picks an icon).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// A keyword.
    Keyword,
    /// A template with placeholders.
    Snippet,
    /// An attribute name.
    Attribute,
    /// A declaration of a kind.
    Decl(Kind),
    /// A policy.
    Policy,
    /// A `let` constant.
    Let,
    /// A built-in function.
    Function,
    /// A unit.
    Unit,
    /// A literal value (`true`, `pass`).
    Value,
    /// A quantifier variable.
    Variable,
    /// A module path.
    Module,
    /// A kind of declaration.
    Kind,
}

/// One completion item.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletionItem {
    /// What the list shows.
    pub label: String,
    /// What it is.
    pub kind: ItemKind,
    /// A one-line detail (type, signature).
    pub detail: Option<String>,
    /// Markdown documentation.
    pub documentation: Option<String>,
    /// The text inserted.
    pub insert: String,
    /// Whether `insert` is a snippet with `$1` placeholders.
    pub snippet: bool,
    /// The range `insert` replaces (the word typed so far).
    pub range: Span,
    /// Sort key: lower first.
    pub sort: String,
    /// Whether the editor should select it first.
    pub preselect: bool,
    /// The name whose card is the documentation, when it is left for
    /// [`documentation`] to fill in on demand.
    pub symbol: Option<String>,
}

/// A model to draw names from: an analysis and the file in it (if the file
/// was analysed).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// The analysis.
    pub analysis: &'a Analysis,
    /// The file asking, when it is part of the analysis.
    pub file: Option<FileId>,
}

/// Completions at `offset` in `text` (the editor's current text). When the
/// request was triggered by typing a space, only slots where a space is
/// the natural lead-in answer (`sponsor `, `stage `, `== `). With
/// `lazy_docs`, a declaration's card is not rendered here: the item names
/// it in [`CompletionItem::symbol`] and [`documentation`] renders it when
/// the editor shows the item.
pub fn complete(
    sources: &[Source<'_>],
    text: &str,
    offset: usize,
    trigger: Option<char>,
    lazy_docs: bool,
) -> Vec<CompletionItem> {
    let scan = context::scan(text, offset);
    let slot = context::slot(&scan);
    if trigger == Some(' ') && !space_worthy(&slot, &scan) {
        return Vec::new();
    }
    let mut out = Out { items: Vec::new(), seen: HashSet::new(), range: scan.word };
    match &slot {
        Slot::TopLevel => top_level(&mut out),
        Slot::PolicyFor => out.keyword("for", "0"),
        Slot::PolicySubject => {
            for k in [Kind::Initiative, Kind::Program, Kind::Coe, Kind::Kpi, Kind::Person, Kind::Dataset, Kind::Monitor]
            {
                out.push(kind_item(k));
            }
        }
        Slot::GateStage { from } => stages(sources, &mut out, from.as_deref()),
        Slot::ImportPath { start } => {
            out.range = Span::new(*start, scan.offset);
            import_paths(sources, &mut out);
        }
        Slot::Member { kind, set } => {
            members(&mut out, *kind, set);
            for it in complete_ext::attr_items(sources, *kind, set, true) {
                out.push(it);
            }
        }
        Slot::Value { kind, attr } => match kind.attr(attr) {
            Some(_) => value(sources, &mut out, *kind, attr, &scan),
            None => ext_value(sources, &mut out, *kind, attr, scan.stmt.len() == 2),
        },
        Slot::ListItem { kind, attr, listed } => {
            let listed: HashSet<&str> = listed.iter().map(String::as_str).collect();
            if let Some(AttrType::RefList(k)) = kind.attr(attr).map(|s| s.ty) {
                names_of_kind(sources, &mut out, k, "0", |n| !listed.contains(n));
            }
            if let Some(ExtTy::List(inner)) = complete_ext::ty(sources, *kind, attr) {
                match *inner {
                    ExtTy::Ref(k) => names_of_kind(sources, &mut out, k, "0", |n| !listed.contains(n)),
                    ExtTy::OneOf(values) => {
                        let values: Vec<String> = values.into_iter().filter(|v| !listed.contains(v.as_str())).collect();
                        complete_ext::value_items(*kind, attr, &values).into_iter().for_each(|it| out.push(it));
                    }
                    _ => {}
                }
            }
        }
        Slot::CriterionStart { .. } => {
            for (kw, doc) in [
                ("require", "blocks when it fails or is unknown"),
                ("expect", "warns when it fails or is unknown"),
                ("advise", "informs, never blocks"),
            ] {
                out.push(CompletionItem {
                    detail: Some(doc.to_string()),
                    insert: format!("{kw} "),
                    ..item(kw, ItemKind::Keyword, "0")
                });
            }
        }
        Slot::Expr(e) => expression(sources, &mut out, e),
        Slot::Unit { start, attr, duration } => {
            out.range = Span::new(*start, scan.offset);
            let kpi_unit = attr.as_ref().filter(|(k, _)| *k == Kind::Kpi).and_then(|_| kpi_unit(&scan));
            units(&mut out, attr.as_ref(), *duration, kpi_unit);
        }
        Slot::Test(words) => test_statement(sources, &mut out, words),
        Slot::Nothing => {}
    }
    let mut items = out.items;
    items.sort_by(|a, b| a.sort.cmp(&b.sort));
    if !lazy_docs {
        for it in &mut items {
            if let Some(name) = it.symbol.take() {
                it.documentation = documentation(sources, &name);
            }
        }
    }
    items
}

/// The card of the declaration `name` as the first source that sees it
/// describes it.
pub fn documentation(sources: &[Source<'_>], name: &str) -> Option<String> {
    sources.iter().find_map(|src| {
        let sym = match src.file {
            Some(f) => src.analysis.model.lookup(f, name)?,
            None => visible(src).find(|(n, _)| n == name)?.1,
        };
        Some(describe::symbol_markdown(src.analysis, sym, src.file))
    })
}

/// Whether a completion triggered by a space is wanted here.
fn space_worthy(slot: &Slot, scan: &context::Scan<'_>) -> bool {
    match slot {
        Slot::Value { .. } | Slot::ListItem { .. } | Slot::GateStage { .. } | Slot::PolicySubject => true,
        Slot::Expr(e) => {
            e.compared.is_some()
                || (scan.frames.last().is_some_and(|f| f.open == b'{')
                    && scan.stmt.len() == 1
                    && matches!(scan.stmt[0].text, "require" | "expect" | "advise"))
        }
        Slot::Test(words) => !words.is_empty(),
        _ => false,
    }
}

struct Out {
    items: Vec<CompletionItem>,
    seen: HashSet<String>,
    range: Span,
}

impl Out {
    fn push(&mut self, mut item: CompletionItem) {
        if self.seen.insert(item.label.clone()) {
            item.range = self.range;
            self.items.push(item);
        }
    }

    fn keyword(&mut self, kw: &str, sort: &str) {
        self.push(CompletionItem { insert: format!("{kw} "), ..item(kw, ItemKind::Keyword, sort) });
    }

    fn value(&mut self, v: &str, detail: &str) {
        self.push(CompletionItem { detail: Some(detail.to_string()), ..item(v, ItemKind::Value, "0") });
    }
}

fn item(label: &str, kind: ItemKind, sort: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind,
        detail: None,
        documentation: None,
        insert: label.to_string(),
        snippet: false,
        range: Span::default(),
        sort: format!("{sort}_{label}"),
        preselect: false,
        symbol: None,
    }
}

fn snippet(label: &str, detail: &str, body: &str, sort: &str) -> CompletionItem {
    CompletionItem {
        detail: Some(detail.to_string()),
        insert: body.to_string(),
        snippet: true,
        ..item(label, ItemKind::Snippet, sort)
    }
}

fn kind_item(k: Kind) -> CompletionItem {
    CompletionItem { documentation: Some(describe::kind_doc(k).to_string()), ..item(k.as_str(), ItemKind::Kind, "0") }
}

fn top_level(out: &mut Out) {
    let stages = "calibrate,organize,model,produce,evaluate,learn";
    let templates: &[(&str, &str, String)] = &[
        ("kpi", "a KPI bound to a metric", "kpi ${1:name} {\n  metric \"${2:metric_name}\"\n  unit   ${3|percent,ratio,ms,s,number|}\n  target ${4:>= 90%}\n}$0".to_string()),
        ("initiative", "an initiative", format!("initiative ${{1:name}} {{\n  owner ${{2:owner}}\n  stage ${{3|{stages}|}}\n  kpis  [$4]\n}}$0")),
        ("gate", "a gate every initiative at a stage must pass", "gate ${1:model} -> ${2:produce} {\n  require ${3:condition}\n}$0".to_string()),
        ("policy", "a policy over every declaration of a kind", "policy ${1:name} for ${2|initiative,program,coe,kpi,person|} {\n  require ${3:condition}\n    because \"${4:reason}\"\n}$0".to_string()),
        ("program", "an AI program", "program ${1:name} {\n  sponsor ${2:person}\n}$0".to_string()),
        ("person", "a person", "person ${1:name} {\n  name \"${2:Full Name}\"\n  role ${3:role}\n}$0".to_string()),
        ("coe", "a Center of Excellence", "coe ${1:name} {\n  lead      ${2:person}\n  functions [$3]\n}$0".to_string()),
        ("test", "a policy test", "test \"${1:name}\" {\n  now     ${2:2026-11-24T00:00:00Z}\n  metrics \"${3:metrics.json}\"\n  $0\n}".to_string()),
    ];
    for (label, detail, body) in templates {
        let mut it = snippet(label, detail, body, "0");
        if let Some(k) = Kind::parse(label) {
            it.documentation = Some(describe::kind_markdown(k));
        }
        out.push(it);
    }
    out.push(CompletionItem {
        detail: Some("import a file or a stdlib module".to_string()),
        insert: "import \"$1\"$0".to_string(),
        snippet: true,
        ..item("import", ItemKind::Keyword, "1")
    });
    out.push(CompletionItem {
        detail: Some("a named constant".to_string()),
        insert: "let ${1:name} = $0".to_string(),
        snippet: true,
        ..item("let", ItemKind::Keyword, "1")
    });
}

fn members(out: &mut Out, kind: Kind, set: &[String]) {
    for spec in kind.attrs() {
        if set.iter().any(|s| s == spec.name) {
            continue;
        }
        let sort = if spec.required { "0" } else { "1" };
        out.push(CompletionItem {
            detail: Some(format!("{}{}", spec.ty.describe(), if spec.required { " (required)" } else { "" })),
            documentation: Some(describe::attribute_markdown(kind, spec)),
            insert: format!("{} ", spec.name),
            ..item(spec.name, ItemKind::Attribute, sort)
        });
    }
    if kind == Kind::Initiative {
        let kinds = "drift,performance,data_quality,fairness,latency";
        out.push(snippet(
            "dataset",
            "a dataset of this initiative",
            "dataset ${1:name} {\n  versioned ${2:true}\n}$0",
            "2",
        ));
        out.push(snippet(
            "monitor",
            "a monitor of this initiative",
            &format!("monitor ${{1:name}} {{\n  kind ${{2|{kinds}|}}\n}}$0"),
            "2",
        ));
        out.push(snippet(
            "gate",
            "criteria for this initiative's next transition",
            "gate ${1:model} -> ${2:produce} {\n  require ${3:condition}\n}$0",
            "2",
        ));
    }
}

/// Every source's names of `kind`, the first source's first.
fn names_of_kind(sources: &[Source<'_>], out: &mut Out, kind: Kind, sort: &str, keep: impl Fn(&str) -> bool) {
    for src in sources {
        let a = src.analysis;
        let mut found: Vec<(String, Symbol)> = visible(src)
            .filter(|(_, s)| matches!(s, Symbol::Decl(id) if a.model.decl(*id).kind == kind))
            .filter(|(n, _)| keep(n))
            .collect();
        found.sort_by(|x, y| x.0.cmp(&y.0));
        for (name, sym) in found {
            out.push(symbol_item(src, &name, sym, sort));
        }
    }
}

/// The names `src.file` sees (the prelude's when the file was not analysed).
fn visible<'a>(src: &Source<'a>) -> Box<dyn Iterator<Item = (String, Symbol)> + 'a> {
    let a = src.analysis;
    match src.file.and_then(|f| a.model.scopes.get(f.0 as usize)) {
        Some(scope) => Box::new(scope.iter().map(|(n, s)| (n.clone(), *s))),
        None => Box::new(a.model.definitions.iter().filter_map(move |(at, sym)| {
            let path = &a.files.get(at.file).path;
            let prelude = stdlib::PRELUDE.iter().any(|m| stdlib::display_path(m) == *path);
            let top = !matches!(sym, Symbol::Decl(id) if a.model.decl(*id).parent.is_some());
            (prelude && top).then(|| (a.model.symbol_def(*sym).0, *sym))
        })),
    }
}

fn symbol_item(src: &Source<'_>, name: &str, sym: Symbol, sort: &str) -> CompletionItem {
    let a = src.analysis;
    let kind = match sym {
        Symbol::Decl(id) => ItemKind::Decl(a.model.decl(id).kind),
        Symbol::Policy(_) => ItemKind::Policy,
        Symbol::Let(_) => ItemKind::Let,
        Symbol::Builtin(_) => ItemKind::Function,
    };
    let detail = match sym {
        Symbol::Decl(id) => {
            let d = a.model.decl(id);
            match d.str_attr("title").or_else(|| d.str_attr("name")) {
                Some(t) => format!("{} · {t}", d.kind.as_str()),
                None => d.kind.as_str().to_string(),
            }
        }
        _ => describe::signature(a, sym),
    };
    CompletionItem { detail: Some(detail), symbol: Some(name.to_string()), ..item(name, kind, sort) }
}

fn stages(sources: &[Source<'_>], out: &mut Out, from: Option<&str>) {
    let Some(src) = sources.first() else { return };
    let a = src.analysis;
    let order = a.model.stages();
    let next = from.and_then(|f| {
        let i = order.iter().position(|s| a.model.decl(*s).name == f)?;
        order.get((i + 1) % order.len()).map(|s| a.model.decl(*s).name.clone())
    });
    for (i, id) in order.iter().enumerate() {
        let d = a.model.decl(*id);
        let mut it = symbol_item(src, &d.name, Symbol::Decl(*id), &format!("0{i}"));
        it.preselect = next.as_deref() == Some(d.name.as_str());
        if it.preselect {
            it.sort = format!("00_{}", d.name);
        }
        out.push(it);
    }
}

fn import_paths(sources: &[Source<'_>], out: &mut Out) {
    for (name, text) in stdlib::MODULES {
        let first_doc = text.lines().find(|l| l.starts_with("//")).map(|l| l.trim_start_matches('/').trim());
        out.push(CompletionItem { detail: first_doc.map(str::to_string), ..item(name, ItemKind::Module, "1") });
    }
    let Some(src) = sources.first() else { return };
    let Some(file) = src.file else { return };
    let a = src.analysis;
    let here = &a.files.get(file).path;
    let dir = match here.rfind('/') {
        Some(i) => &here[..=i],
        None => "",
    };
    for (id, f) in a.files.iter() {
        if id == file || stdlib::is_std_path(&f.path) {
            continue;
        }
        if let Some(rel) = f.path.strip_prefix(dir) {
            out.push(item(rel, ItemKind::Module, "0"));
        }
    }
}

fn value(sources: &[Source<'_>], out: &mut Out, kind: Kind, attr: &str, scan: &context::Scan<'_>) {
    let Some(spec) = kind.attr(attr) else { return };
    let after_number = scan.stmt.len() == 2;
    match spec.ty {
        AttrType::Ref(Kind::Stage) if !after_number => stages(sources, out, None),
        AttrType::Ref(k) | AttrType::StrOrRef(k) if !after_number => names_of_kind(sources, out, k, "0", |_| true),
        AttrType::RefList(k) if !after_number => {
            for src in sources {
                let a = src.analysis;
                let mut found: Vec<(String, Symbol)> = visible(src)
                    .filter(|(_, s)| matches!(s, Symbol::Decl(id) if a.model.decl(*id).kind == k))
                    .collect();
                found.sort_by(|x, y| x.0.cmp(&y.0));
                for (name, sym) in found {
                    let mut it = symbol_item(src, &name, sym, "0");
                    it.insert = format!("[{name}$0]");
                    it.snippet = true;
                    out.push(it);
                }
            }
        }
        AttrType::Formula => names_of_kind(sources, out, Kind::Kpi, "0", |_| true),
        AttrType::Bool if !after_number => {
            out.value("true", "yes");
            out.value("false", "no");
        }
        AttrType::Unit if !after_number => {
            for (u, d) in MEASURE_UNITS {
                out.push(CompletionItem { detail: Some(d.to_string()), ..item(u, ItemKind::Unit, "0") });
            }
            for (c, d) in CURRENCIES {
                out.push(CompletionItem { detail: Some(d.to_string()), ..item(c, ItemKind::Unit, "1") });
            }
        }
        AttrType::Threshold if !after_number => {
            for op in [">=", "<=", ">", "<", "==", "!="] {
                out.push(CompletionItem { insert: format!("{op} "), ..item(op, ItemKind::Keyword, "0") });
            }
        }
        AttrType::Labels if !after_number => {
            out.push(snippet("{ … }", "a label selector", "{ ${1:label} \"${2:value}\" }$0", "0"))
        }
        AttrType::Money if after_number => {
            for (c, d) in CURRENCIES {
                out.push(CompletionItem { detail: Some(d.to_string()), ..item(c, ItemKind::Unit, "0") });
            }
        }
        _ => {}
    }
}

/// What a dotted chain names, as far as completion cares.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Resolved {
    /// One declaration of a kind.
    One(Kind),
    /// A list of declarations of a kind.
    Many(Kind),
    /// Something else.
    Other,
}

fn from_attr(ty: AttrType) -> Resolved {
    match ty {
        AttrType::Ref(k) | AttrType::StrOrRef(k) => Resolved::One(k),
        AttrType::RefList(k) => Resolved::Many(k),
        _ => Resolved::Other,
    }
}

fn resolve_chain(sources: &[Source<'_>], e: &ExprSlot, chain: &[String], depth: usize) -> Resolved {
    let Some((first, rest)) = chain.split_first() else { return Resolved::Other };
    if depth > 8 {
        return Resolved::Other;
    }
    let mut r = if let (Some(k), crate::check::types::SELF) = (e.subject, first.as_str()) {
        Resolved::One(k)
    } else if let Some((_, list)) = e.vars.iter().rev().find(|(v, _)| v == first) {
        match resolve_chain(sources, e, list, depth + 1) {
            Resolved::Many(k) => Resolved::One(k),
            _ => Resolved::Other,
        }
    } else if let Some(spec) = e.subject.and_then(|k| k.attr(first)) {
        from_attr(spec.ty)
    } else if let Some((_, k)) = e.subject.and_then(|s| s.derived().iter().find(|(n, _)| n == first)) {
        Resolved::Many(*k)
    } else if let Some(t) = e.subject.and_then(|k| complete_ext::ty(sources, k, first)) {
        from_ext(&t)
    } else {
        sources
            .iter()
            .find_map(|src| {
                let f = src.file?;
                match src.analysis.model.lookup(f, first)? {
                    Symbol::Decl(id) => Some(Resolved::One(src.analysis.model.decl(id).kind)),
                    _ => None,
                }
            })
            .unwrap_or(Resolved::Other)
    };
    for field in rest {
        r = match r {
            Resolved::One(k) => match k.attr(field) {
                Some(spec) => from_attr(spec.ty),
                None => match k.derived().iter().find(|(n, _)| n == field) {
                    Some((_, c)) => Resolved::Many(*c),
                    None => complete_ext::ty(sources, k, field).map_or(Resolved::Other, |t| from_ext(&t)),
                },
            },
            _ => Resolved::Other,
        };
    }
    r
}

fn attributes_of(sources: &[Source<'_>], out: &mut Out, kind: Kind, sort: &str) {
    for mut it in complete_ext::attr_items(sources, kind, &[], false) {
        it.sort = format!("{sort}_{}", it.label);
        out.push(it);
    }
    for spec in kind.attrs() {
        out.push(CompletionItem {
            detail: Some(spec.ty.describe()),
            documentation: Some(describe::attribute_markdown(kind, spec)),
            ..item(spec.name, ItemKind::Attribute, sort)
        });
    }
    for (name, of) in kind.derived() {
        out.push(CompletionItem {
            detail: Some(format!("the {}s, as a list", of.as_str())),
            documentation: Some(describe::derived_markdown(kind, name, *of)),
            ..item(name, ItemKind::Attribute, sort)
        });
    }
}

fn expression(sources: &[Source<'_>], out: &mut Out, e: &ExprSlot) {
    if let Some(chain) = &e.receiver {
        if let Resolved::One(k) = resolve_chain(sources, e, chain, 0) {
            attributes_of(sources, out, k, "0");
        }
        return;
    }
    if let Some(chain) = &e.compared {
        if let Some((kind, attr, values)) = compared_values(sources, e, chain) {
            complete_ext::value_items(kind, &attr, &values).into_iter().for_each(|it| out.push(it));
        } else if let Resolved::One(k) = resolve_chain(sources, e, chain, 0) {
            names_of_kind(sources, out, k, "0", |_| true);
        }
    }
    for (var, list) in e.vars.iter().rev() {
        out.push(CompletionItem {
            detail: Some(format!("each element of `{}`", list.join("."))),
            ..item(var, ItemKind::Variable, "1")
        });
    }
    if let Some(k) = e.subject {
        attributes_of(sources, out, k, "1");
    }
    names_of_kind(sources, out, Kind::Kpi, "1", |_| true);
    if let Some(src) = sources.first() {
        let a = src.analysis;
        let mut builtins: Vec<usize> = (0..a.model.builtins.len()).collect();
        builtins.sort_by(|x, y| a.model.builtins[*x].name.cmp(&a.model.builtins[*y].name));
        for i in builtins {
            let b = &a.model.builtins[i];
            let quantifier = b.entry.is_some_and(|e| e.family == crate::check::builtins::Family::Quantifier);
            let insert = if quantifier {
                format!("{}(${{1:x}} in ${{2:list}}: ${{3:condition}})$0", b.name)
            } else {
                let params: Vec<String> = b
                    .params
                    .iter()
                    .enumerate()
                    .map(|(n, (p, t))| {
                        let hint = if t == "duration" { "7d" } else { p.as_str() };
                        format!("${{{}:{hint}}}", n + 1)
                    })
                    .collect();
                format!("{}({})$0", b.name, params.join(", "))
            };
            out.push(CompletionItem {
                detail: Some(b.signature()),
                documentation: b.doc.clone(),
                insert,
                snippet: true,
                ..item(&b.name, ItemKind::Function, "2")
            });
        }
    }
    for (kw, doc) in [
        ("and", "both conditions"),
        ("or", "either condition"),
        ("not", "the opposite condition"),
        ("in", "membership in a list"),
        ("for", "`KPI for 7d`: the target held throughout the window"),
        ("today", "today's date (UTC), decided by `compel eval`"),
        ("now", "the evaluation time, decided by `compel eval`"),
        ("because", "the reason shown when the criterion does not hold"),
    ] {
        out.push(CompletionItem { detail: Some(doc.to_string()), ..item(kw, ItemKind::Keyword, "3") });
    }
    for src in sources {
        let mut rest: Vec<(String, Symbol)> =
            visible(src).filter(|(_, s)| !matches!(s, Symbol::Builtin(_) | Symbol::Policy(_))).collect();
        rest.sort_by(|x, y| x.0.cmp(&y.0));
        for (name, sym) in rest {
            let sort = if matches!(sym, Symbol::Let(_)) { "2" } else { "4" };
            out.push(symbol_item(src, &name, sym, sort));
        }
    }
}

#[cfg(test)]
mod tests;
