//! Collecting the model from the parsed files: declarations (nested ones
//! under their parent), gates, policies, `let`s, built-ins and `extend`
//! items, with the kinds that do not exist or do not belong reported.

use std::collections::HashMap;

use super::{
    builtins, extend, BuiltinDef, Checker, Decl, DeclId, GateDef, GateId, Kind, LetDef, PolicyDef, Symbol, Ty,
};
use crate::diag::{self, Code, Diagnostic, Edit, Fix};
use crate::syntax::ast;
use crate::text::{FileId, FileSpan, Span};

/// The declarations and gates written in `asts` (nested ones included), so
/// the model's lists are allocated once at their size.
pub(super) fn count(asts: &[ast::File]) -> (usize, usize) {
    fn decl(d: &ast::Decl, n: &mut (usize, usize)) {
        n.0 += 1;
        for m in &d.members {
            match m {
                ast::Member::Decl(child) => decl(child, n),
                ast::Member::Gate(_) => n.1 += 1,
                ast::Member::Attr(_) => {}
            }
        }
    }
    let mut n = (0, 0);
    for item in asts.iter().flat_map(|f| &f.items) {
        match item {
            ast::Item::Decl(d) => decl(d, &mut n),
            ast::Item::Gate(_) => n.1 += 1,
            _ => {}
        }
    }
    n
}

impl<'a> Checker<'a> {
    pub(super) fn collect(&mut self, file: FileId, ast: &'a ast::File) {
        for item in &ast.items {
            match item {
                ast::Item::Decl(d) => {
                    self.collect_decl(file, d, None);
                }
                ast::Item::Gate(g) => self.collect_gate(file, g, None),
                ast::Item::Policy(p) => {
                    let subject = match Kind::parse(&p.subject.name) {
                        Some(k) if !k.is_vocabulary() => Some(k),
                        _ => {
                            self.unknown_kind(file, &p.subject, "policy subject");
                            None
                        }
                    };
                    self.model.policies.push(PolicyDef {
                        file,
                        name: p.name.name.clone(),
                        name_span: p.name.span,
                        subject,
                        filter: p.filter.clone(),
                        criteria: p.criteria.clone(),
                        span: p.span,
                        doc: p.doc.as_ref().map(|d| d.text.clone()),
                    });
                    let sym = Symbol::Policy(self.model.policies.len() - 1);
                    self.define(FileSpan::new(file, p.name.span), sym);
                }
                ast::Item::Let(l) => {
                    self.model.lets.push(LetDef {
                        file,
                        name: l.name.name.clone(),
                        name_span: l.name.span,
                        expr: l.value.clone(),
                        value: None,
                        ty: Ty::Any,
                        doc: l.doc.as_ref().map(|d| d.text.clone()),
                    });
                    let sym = Symbol::Let(self.model.lets.len() - 1);
                    self.define(FileSpan::new(file, l.name.span), sym);
                }
                ast::Item::Builtin(b) => {
                    self.model.builtins.push(BuiltinDef {
                        file,
                        name: b.name.name.clone(),
                        name_span: b.name.span,
                        params: b.params.iter().map(|p| (p.name.name.clone(), type_text(&p.ty))).collect(),
                        ret: type_text(&b.ret),
                        doc: b.doc.as_ref().map(|d| d.text.clone()),
                        entry: builtins::lookup(&b.name.name),
                    });
                    let sym = Symbol::Builtin(self.model.builtins.len() - 1);
                    self.define(FileSpan::new(file, b.name.span), sym);
                }
                ast::Item::Extend(x) => {
                    let kind = Kind::parse(&x.kind.name);
                    if kind.is_none() {
                        self.unknown_kind(file, &x.kind, "kind to extend");
                    }
                    let def = extend::collect(file, x, kind, &mut self.diags);
                    self.model.extensions.push(def);
                }
                ast::Item::Error(span) => {
                    if let Some(kind) = extend::broken_extend(&self.files.get(file).text[span.range()]) {
                        self.broken_extends.push((file, kind));
                    }
                }
                ast::Item::Import(_) | ast::Item::Test(_) => {}
            }
        }
    }

    fn unknown_kind(&mut self, file: FileId, word: &ast::Ident, what: &str) {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        let mut d = Diagnostic::at(Code::UnknownKind, file, word.span, format!("unknown {what} `{}`", word.name));
        if let Some(s) = diag::did_you_mean(&word.name, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
                title: format!("change to `{s}`"),
                edits: vec![Edit { at: FileSpan::new(file, word.span), replacement: s.to_string() }],
            });
        } else {
            d = d.with_help(
                "the kinds are program, coe, person, kpi, initiative, dataset, monitor, evidence, role, function, monitor_kind, evidence_kind and stage",
            );
        }
        self.diags.push(d);
    }

    fn collect_decl(&mut self, file: FileId, d: &'a ast::Decl, parent: Option<DeclId>) -> Option<DeclId> {
        let Some(kind) = Kind::parse(&d.kind.name) else {
            self.unknown_kind(file, &d.kind, "declaration kind");
            return None;
        };
        match (parent, kind.is_nested()) {
            (None, true) => {
                self.diags.push(
                    Diagnostic::at(
                        Code::UnknownKind,
                        file,
                        d.kind.span,
                        format!("`{}` belongs inside an initiative", kind.as_str()),
                    )
                    .with_help("declare it inside the initiative that uses it"),
                );
                return None;
            }
            (Some(p), _) if !self.model.decl(p).kind.children().contains(&kind) => {
                let pk = self.model.decl(p).kind;
                self.diags.push(Diagnostic::at(
                    Code::UnknownKind,
                    file,
                    d.kind.span,
                    format!("{} cannot be declared inside {}", kind.with_article(), pk.with_article()),
                ));
                return None;
            }
            _ => {}
        }
        let id = DeclId(self.model.decls.len() as u32);
        self.model.decls.push(Decl {
            kind,
            name: d.name.name.clone(),
            file,
            name_span: d.name.span,
            span: d.span,
            body_span: d.body_span,
            doc: d.doc.as_ref().map(|d| d.text.clone()),
            parent,
            children: Vec::new(),
            attrs: Default::default(),
            gates: Vec::new(),
            incomplete: !d.broken.is_empty(),
        });
        self.ast_decls.push(d);
        self.define(FileSpan::new(file, d.name.span), Symbol::Decl(id));
        let mut seen = SeenNames::default();
        for m in &d.members {
            match m {
                ast::Member::Decl(child) => {
                    if let Some(prev) = seen.get(&child.name.name) {
                        self.diags.push(
                            Diagnostic::at(
                                Code::DuplicateName,
                                file,
                                child.name.span,
                                format!("`{}` is declared twice in `{}`", child.name.name, d.name.name),
                            )
                            .with_label(FileSpan::new(file, prev), "first declared here"),
                        );
                    }
                    seen.insert(&child.name.name, child.name.span);
                    if let Some(cid) = self.collect_decl(file, child, Some(id)) {
                        self.model.decls[id.0 as usize].children.push(cid);
                    }
                }
                ast::Member::Gate(g) => {
                    if kind == Kind::Initiative {
                        self.collect_gate(file, g, Some(id));
                    } else {
                        self.diags.push(
                            Diagnostic::at(
                                Code::UnknownAttribute,
                                file,
                                Span::new(g.span.start as usize, g.span.start as usize + 4),
                                format!("{} cannot have a gate", kind.with_article()),
                            )
                            .with_help("gates go inside an initiative, or at top level to apply to every initiative"),
                        );
                    }
                }
                ast::Member::Attr(_) => {}
            }
        }
        Some(id)
    }

    /// Records the declaring occurrence of a name, for the editor.
    fn define(&mut self, at: FileSpan, sym: Symbol) {
        if self.references {
            self.model.definitions.push((at, sym));
        }
    }

    fn collect_gate(&mut self, file: FileId, g: &ast::Gate, owner: Option<DeclId>) {
        self.model.gates.push(GateDef {
            file,
            from: None,
            to: None,
            from_name: g.from.name.clone(),
            to_name: g.to.name.clone(),
            owner,
            criteria: g.criteria.clone(),
            span: g.span,
            doc: g.doc.as_ref().map(|d| d.text.clone()),
        });
        if let Some(o) = owner {
            let gi = GateId::new(self.model.gates.len() - 1);
            self.model.decls[o.0 as usize].gates.push(gi);
        }
    }
}

fn type_text(t: &ast::TypeName) -> String {
    match t {
        ast::TypeName::Named(i) => i.name.clone(),
        ast::TypeName::List(inner, _) => format!("[{}]", type_text(inner)),
    }
}

/// The names of a declaration's nested declarations so far: a short list
/// searched in place (most declarations nest none or a few), a map once it
/// grows.
#[derive(Default)]
struct SeenNames<'a> {
    few: Vec<(&'a str, Span)>,
    many: HashMap<&'a str, Span>,
}

impl<'a> SeenNames<'a> {
    const FEW: usize = 16;

    fn get(&self, name: &str) -> Option<Span> {
        if self.many.is_empty() {
            self.few.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
        } else {
            self.many.get(name).copied()
        }
    }

    /// Records `name` (a later one replaces an earlier one, as in a map).
    fn insert(&mut self, name: &'a str, at: Span) {
        if !self.many.is_empty() {
            self.many.insert(name, at);
        } else if let Some(slot) = self.few.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = at;
        } else if self.few.len() < Self::FEW {
            self.few.push((name, at));
        } else {
            self.many = self.few.drain(..).collect();
            self.many.insert(name, at);
        }
    }
}
