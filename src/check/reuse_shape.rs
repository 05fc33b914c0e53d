//! The shape of the workspace [`reuse`](super::reuse) compares from one
//! check to the next, and the dependencies it follows: who refers to each
//! declaration.

use super::{DeclId, GateId, Kind, Model, Symbol, Target};
use crate::syntax::ast;
use crate::text::{FileId, Files, Span};

/// A declaration's kind, name, file, parent, children and gates.
type DeclShape = (Kind, String, FileId, Option<DeclId>, Vec<DeclId>, Vec<GateId>);

/// What must not change for a check to be reused, and where things were
/// (in the spans of the check that recorded it).
#[derive(Default)]
pub(super) struct Shape {
    paths: Vec<String>,
    visible: Vec<Vec<FileId>>,
    decls: Vec<DeclShape>,
    pub(super) decl_spans: Vec<Span>,
    pub(super) gates: Vec<(FileId, Option<DeclId>, String, String)>,
    pub(super) gate_spans: Vec<Span>,
    pub(super) policies: Vec<(FileId, String, Option<Kind>)>,
    pub(super) policy_spans: Vec<Span>,
    lets: Vec<(FileId, String)>,
    let_spans: Vec<Span>,
    builtins: Vec<String>,
    extensions: usize,
    pub(super) items: Vec<Vec<u8>>,
    pub(super) item_spans: Vec<Vec<Span>>,
    /// `extend` items that did not parse (unknown attributes of their
    /// kind are not reported).
    broken_extends: Vec<(FileId, Kind)>,
}

impl Shape {
    /// The shape of `model` as collected (before families are expanded).
    pub(super) fn of(model: &Model, files: &Files, asts: &[ast::File], broken_extends: &[(FileId, Kind)]) -> Shape {
        let mut shape = Shape {
            paths: files.iter().map(|(_, f)| f.path.clone()).collect(),
            visible: model.visible.clone(),
            decls: model
                .decls
                .iter()
                .map(|d| (d.kind, d.name.clone(), d.file, d.parent, d.children.clone(), d.gates.clone()))
                .collect(),
            gates: model.gates.iter().map(|g| (g.file, g.owner, g.from_name.clone(), g.to_name.clone())).collect(),
            policies: model.policies.iter().map(|p| (p.file, p.name.clone(), p.subject)).collect(),
            lets: model.lets.iter().map(|l| (l.file, l.name.clone())).collect(),
            builtins: model.builtins.iter().map(|b| b.name.clone()).collect(),
            extensions: model.extensions.len(),
            items: asts.iter().map(|a| a.items.iter().map(item_kind).collect()).collect(),
            broken_extends: broken_extends.to_vec(),
            ..Shape::default()
        };
        shape.respan(model, asts);
        shape
    }

    /// Where everything is now: the spans of `model` and `asts`, whose
    /// shape is this one.
    pub(super) fn respan(&mut self, model: &Model, asts: &[ast::File]) {
        self.decl_spans.clear();
        self.decl_spans.extend(model.decls.iter().map(|d| d.span));
        self.gate_spans.clear();
        self.gate_spans.extend(model.gates.iter().map(|g| g.span));
        self.policy_spans.clear();
        self.policy_spans.extend(model.policies.iter().map(|p| p.span));
        self.let_spans.clear();
        self.let_spans.extend(model.lets.iter().map(|l| l.expr.span));
        self.item_spans = asts.iter().map(|a| a.items.iter().map(item_span).collect()).collect();
    }

    /// Whether the files are the ones this shape has, in its order.
    pub(super) fn same_files(&self, files: &Files) -> bool {
        files.len() == self.paths.len() && files.iter().zip(&self.paths).all(|((_, f), p)| f.path == *p)
    }

    /// Whether `model` (as collected) and `asts` have this shape.
    pub(super) fn matches(&self, model: &Model, asts: &[ast::File], broken_extends: &[(FileId, Kind)]) -> bool {
        let decl = |(d, s): (&super::Decl, &DeclShape)| {
            d.kind == s.0 && d.name == s.1 && d.file == s.2 && d.parent == s.3 && d.children == s.4 && d.gates == s.5
        };
        model.visible == self.visible
            && model.decls.len() == self.decls.len()
            && model.decls.iter().zip(&self.decls).all(decl)
            && model.gates.len() == self.gates.len()
            && model
                .gates
                .iter()
                .zip(&self.gates)
                .all(|(g, s)| g.file == s.0 && g.owner == s.1 && g.from_name == s.2 && g.to_name == s.3)
            && model.policies.len() == self.policies.len()
            && model
                .policies
                .iter()
                .zip(&self.policies)
                .all(|(p, s)| p.file == s.0 && p.name == s.1 && p.subject == s.2)
            && model.lets.len() == self.lets.len()
            && model.lets.iter().zip(&self.lets).all(|(l, s)| l.file == s.0 && l.name == s.1)
            && model.builtins.len() == self.builtins.len()
            && model.builtins.iter().zip(&self.builtins).all(|(b, s)| b.name == *s)
            && model.extensions.len() == self.extensions
            && asts.len() == self.items.len()
            && asts
                .iter()
                .zip(&self.items)
                .all(|(a, k)| a.items.len() == k.len() && a.items.iter().map(item_kind).eq(k.iter().copied()))
            && broken_extends == self.broken_extends
    }

    /// Who refers to a declaration, for every reference to one in `model`
    /// (whose shape and spans this is): the top-level item around the
    /// reference (a declaration, a gate, a policy, a `let`) and the
    /// declaration it names.
    pub(super) fn edges(&self, model: &Model) -> Vec<(Reader, DeclId)> {
        let mut items: Vec<Vec<(Span, Reader)>> = vec![Vec::new(); self.paths.len()];
        for (i, d) in self.decls.iter().enumerate() {
            if d.3.is_none() {
                items[d.2 .0 as usize].push((self.decl_spans[i], Reader::Decl(DeclId(i as u32))));
            }
        }
        for (i, g) in self.gates.iter().enumerate() {
            if g.1.is_none() {
                items[g.0 .0 as usize].push((self.gate_spans[i], Reader::Gate(i)));
            }
        }
        for (i, p) in self.policies.iter().enumerate() {
            items[p.0 .0 as usize].push((self.policy_spans[i], Reader::Policy(i)));
        }
        for (i, l) in self.lets.iter().enumerate() {
            items[l.0 .0 as usize].push((self.let_spans[i], Reader::Let));
        }
        for v in &mut items {
            v.sort_by_key(|(s, _)| (s.start, s.end));
        }
        let mut out: Vec<(Reader, DeclId)> = Vec::new();
        // References come grouped by the item that holds them.
        let mut around: Option<(FileId, Span, Reader)> = None;
        for r in &model.references {
            let Target::Symbol(Symbol::Decl(target)) = r.target else { continue };
            let (file, pos) = (r.at.file, r.at.span.start);
            let reader = match around {
                Some((f, s, reader)) if f == file && s.start <= pos && pos < s.end => reader,
                _ => {
                    let Some(v) = items.get(file.0 as usize) else { continue };
                    let i = v.partition_point(|(s, _)| s.start <= pos);
                    let Some(&(s, reader)) = i.checked_sub(1).map(|i| &v[i]) else { continue };
                    if pos >= s.end {
                        continue;
                    }
                    around = Some((file, s, reader));
                    reader
                }
            };
            if out.last() != Some(&(reader, target)) {
                out.push((reader, target));
            }
        }
        out
    }
}

/// What holds a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reader {
    Decl(DeclId),
    Gate(usize),
    Policy(usize),
    Let,
}

pub(super) fn item_kind(item: &ast::Item) -> u8 {
    match item {
        ast::Item::Import(_) => 0,
        ast::Item::Decl(_) => 1,
        ast::Item::Gate(_) => 2,
        ast::Item::Policy(_) => 3,
        ast::Item::Let(_) => 4,
        ast::Item::Builtin(_) => 5,
        ast::Item::Test(_) => 6,
        ast::Item::Extend(_) => 7,
        ast::Item::Error(_) => 8,
    }
}

pub(super) fn item_span(item: &ast::Item) -> Span {
    match item {
        ast::Item::Import(i) => i.span,
        ast::Item::Decl(d) => d.span,
        ast::Item::Gate(g) => g.span,
        ast::Item::Policy(p) => p.span,
        ast::Item::Let(l) => l.span,
        ast::Item::Builtin(b) => b.span,
        ast::Item::Test(t) => t.span,
        ast::Item::Extend(x) => x.span,
        ast::Item::Error(s) => *s,
    }
}
