//! The outline of a file and the symbols of the workspace.

use super::{is_std, short_path};
use crate::analysis::Analysis;
use crate::check::{Kind, Symbol};
use crate::syntax::ast::{self, Member};
use crate::text::{FileSpan, Span};

/// What kind of thing a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// A declaration of a known kind.
    Decl(Kind),
    /// A declaration whose kind word is not a kind.
    UnknownDecl,
    /// A gate.
    Gate,
    /// A policy.
    Policy,
    /// A `let`.
    Let,
    /// A built-in signature.
    Builtin,
    /// A test block.
    Test,
    /// An `extend` item.
    Extension,
    /// An attribute an `extend` adds.
    ExtAttribute,
}

/// One entry of a file's outline.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentSymbol {
    /// The name shown.
    pub name: String,
    /// A short detail (`kpi`, `for program`).
    pub detail: String,
    /// Its kind.
    pub kind: SymbolKind,
    /// The whole item, doc comment included.
    pub range: Span,
    /// The name (what the editor selects).
    pub selection: Span,
    /// Nested entries.
    pub children: Vec<DocumentSymbol>,
}

/// The outline of a parsed file: declarations with their nested
/// declarations and gates, policies, lets, built-ins and tests.
pub fn document_symbols(file: &ast::File) -> Vec<DocumentSymbol> {
    file.items
        .iter()
        .filter_map(|item| match item {
            ast::Item::Decl(d) => Some(decl_symbol(d)),
            ast::Item::Gate(g) => Some(gate_symbol(g)),
            ast::Item::Policy(p) => Some(DocumentSymbol {
                name: p.name.name.clone(),
                detail: format!("policy for {}", p.subject.name),
                kind: SymbolKind::Policy,
                range: with_doc(p.span, &p.doc),
                selection: p.name.span,
                children: Vec::new(),
            }),
            ast::Item::Let(l) => Some(DocumentSymbol {
                name: l.name.name.clone(),
                detail: "let".to_string(),
                kind: SymbolKind::Let,
                range: with_doc(l.span, &l.doc),
                selection: l.name.span,
                children: Vec::new(),
            }),
            ast::Item::Builtin(b) => Some(DocumentSymbol {
                name: b.name.name.clone(),
                detail: "builtin".to_string(),
                kind: SymbolKind::Builtin,
                range: with_doc(b.span, &b.doc),
                selection: b.name.span,
                children: Vec::new(),
            }),
            ast::Item::Test(t) => Some(DocumentSymbol {
                name: t.name.value.clone(),
                detail: "test".to_string(),
                kind: SymbolKind::Test,
                range: t.span,
                selection: t.name.span,
                children: Vec::new(),
            }),
            ast::Item::Extend(x) => Some(DocumentSymbol {
                name: format!("extend {}", x.kind.name),
                detail: "extension".to_string(),
                kind: SymbolKind::Extension,
                range: with_doc(x.span, &x.doc),
                selection: x.kind.span,
                children: x
                    .attrs
                    .iter()
                    .map(|a| DocumentSymbol {
                        name: a.name.name.clone(),
                        detail: "attribute".to_string(),
                        kind: SymbolKind::ExtAttribute,
                        range: with_doc(a.span, &a.doc),
                        selection: a.name.span,
                        children: Vec::new(),
                    })
                    .collect(),
            }),
            ast::Item::Import(_) | ast::Item::Error(_) => None,
        })
        .collect()
}

fn with_doc(span: Span, doc: &Option<ast::Doc>) -> Span {
    match doc {
        Some(d) => d.span.to(span),
        None => span,
    }
}

fn decl_symbol(d: &ast::Decl) -> DocumentSymbol {
    let kind = Kind::parse(&d.kind.name).map_or(SymbolKind::UnknownDecl, SymbolKind::Decl);
    let children = d
        .members
        .iter()
        .filter_map(|m| match m {
            Member::Decl(c) => Some(decl_symbol(c)),
            Member::Gate(g) => Some(gate_symbol(g)),
            Member::Attr(_) => None,
        })
        .collect();
    DocumentSymbol {
        name: d.name.name.clone(),
        detail: d.kind.name.clone(),
        kind,
        range: with_doc(d.span, &d.doc),
        selection: d.name.span,
        children,
    }
}

fn gate_symbol(g: &ast::Gate) -> DocumentSymbol {
    DocumentSymbol {
        name: format!("{} -> {}", g.from.name, g.to.name),
        detail: "gate".to_string(),
        kind: SymbolKind::Gate,
        range: with_doc(g.span, &g.doc),
        selection: g.from.span.to(g.to.span),
        children: Vec::new(),
    }
}

/// A symbol found by a workspace search.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkspaceSymbol {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: SymbolKind,
    /// Where it is declared.
    pub at: FileSpan,
    /// The file (or initiative) that contains it.
    pub container: String,
}

/// Declarations, policies and lets whose name matches `query` (its
/// characters in order, ignoring case); the stdlib's after the user's, at
/// most `limit`.
pub fn workspace_symbols(a: &Analysis, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let mut found: Vec<(bool, bool, WorkspaceSymbol)> = Vec::new();
    let mut push = |name: &str, kind: SymbolKind, at: FileSpan, container: String| {
        if let Some(prefix) = fuzzy(query, name) {
            found.push((is_std(a, at.file), !prefix, WorkspaceSymbol { name: name.to_string(), kind, at, container }));
        }
    };
    for (at, sym) in &a.model.definitions {
        match *sym {
            Symbol::Decl(id) => {
                let d = a.model.decl(id);
                let container = match d.parent {
                    Some(p) => a.model.decl(p).name.clone(),
                    None => short_path(&a.files.get(d.file).path).to_string(),
                };
                push(&d.name, SymbolKind::Decl(d.kind), *at, container);
            }
            Symbol::Policy(i) => {
                let p = &a.model.policies[i];
                push(&p.name, SymbolKind::Policy, *at, short_path(&a.files.get(p.file).path).to_string());
            }
            Symbol::Let(i) => {
                let l = &a.model.lets[i];
                push(&l.name, SymbolKind::Let, *at, short_path(&a.files.get(l.file).path).to_string());
            }
            Symbol::Builtin(i) => {
                let b = &a.model.builtins[i];
                push(&b.name, SymbolKind::Builtin, *at, short_path(&a.files.get(b.file).path).to_string());
            }
        }
    }
    found.sort_by(|x, y| {
        (x.0, x.1, &x.2.name, x.2.at.file, x.2.at.span).cmp(&(y.0, y.1, &y.2.name, y.2.at.file, y.2.at.span))
    });
    found.into_iter().take(limit).map(|(_, _, s)| s).collect()
}

/// Whether `query`'s characters appear in `name` in order (ignoring case);
/// `Some(true)` when `name` starts with `query`.
fn fuzzy(query: &str, name: &str) -> Option<bool> {
    let q = query.to_lowercase();
    let n = name.to_lowercase();
    let mut rest = n.chars();
    for c in q.chars() {
        rest.by_ref().find(|x| *x == c)?;
    }
    Some(n.starts_with(&q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyse, ACME, PEOPLE};

    #[test]
    fn outlines_and_searches() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let outline = document_symbols(&a.asts[file.0 as usize]);
        let names: Vec<&str> = outline.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["fraud_ai", "ai_coe", "fraud_loss_rate", "accuracy", "latency_p95", "scoring_v2"]);
        let init = &outline[5];
        let kids: Vec<&str> = init.children.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(kids, ["transactions", "input_drift", "model -> produce"]);
        let found = workspace_symbols(&a, "acc", 10);
        assert_eq!(found[0].name, "accuracy");
        let std = workspace_symbols(&a, "calib", 10);
        assert_eq!(std[0].container, "std/stages.compel");
    }
}
