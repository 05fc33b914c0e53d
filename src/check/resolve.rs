//! Names: each file's scope and its duplicates, resolving a name or a
//! reference to a declaration of a kind (with did-you-mean), the `let`
//! constants and their cycles, and the constant values of expressions.

use std::collections::HashMap;

use super::{interp, policies, types, AttrType, Checker, DeclId, Kind, Reference, Symbol, Target, Ty, Value};
use crate::diag::{self, Code, Diagnostic, Edit, Fix};
use crate::syntax::ast::{self, Expr, ExprKind};
use crate::text::{FileId, FileSpan, Span};

impl<'a> Checker<'a> {
    /// Builds each file's scope and reports duplicate names.
    pub(super) fn build_scopes(&mut self) {
        // Top-level symbols per file, in declaration order.
        let mut per_file: Vec<Vec<(String, Symbol, Span)>> = vec![Vec::new(); self.files.len()];
        for (i, d) in self.model.decls.iter().enumerate() {
            if d.parent.is_none() {
                per_file[d.file.0 as usize].push((d.name.clone(), Symbol::Decl(DeclId(i as u32)), d.name_span));
            }
        }
        for (i, p) in self.model.policies.iter().enumerate() {
            per_file[p.file.0 as usize].push((p.name.clone(), Symbol::Policy(i), p.name_span));
        }
        for (i, l) in self.model.lets.iter().enumerate() {
            per_file[l.file.0 as usize].push((l.name.clone(), Symbol::Let(i), l.name_span));
        }
        for (i, b) in self.model.builtins.iter().enumerate() {
            per_file[b.file.0 as usize].push((b.name.clone(), Symbol::Builtin(i), b.name_span));
        }
        for list in &mut per_file {
            list.sort_by_key(|(_, _, s)| *s);
        }
        let mut scopes = Vec::with_capacity(self.files.len());
        for f in 0..self.files.len() {
            let mut scope: HashMap<String, (Symbol, FileSpan)> = HashMap::new();
            for vf in &self.model.visible[f] {
                for (name, sym, span) in &per_file[vf.0 as usize] {
                    let here = FileSpan::new(*vf, *span);
                    match scope.get(name) {
                        Some((_, first)) if *first != here => {
                            // Report at the later of the two, once.
                            let (first, later) = if (first.file, first.span) < (here.file, here.span) {
                                (*first, here)
                            } else {
                                (here, *first)
                            };
                            self.diags.push(
                                Diagnostic::new(
                                    Code::DuplicateName,
                                    later,
                                    format!("`{name}` is declared more than once"),
                                )
                                .with_primary_label("declared again here")
                                .with_label(first, "first declared here")
                                .with_help("every name must be unique among the files a file sees; rename one"),
                            );
                        }
                        Some(_) => {}
                        None => {
                            scope.insert(name.clone(), (*sym, here));
                        }
                    }
                }
            }
            scopes.push(scope.into_iter().map(|(k, (s, _))| (k, s)).collect());
        }
        self.model.scopes = scopes;
    }

    /// Reports `let`s that refer to themselves, directly or through others.
    fn check_let_cycles(&mut self) {
        let n = self.model.lets.len();
        let deps: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                let l = &self.model.lets[i];
                let mut names = Vec::new();
                collect_names(&l.expr, &mut names);
                names
                    .into_iter()
                    .filter_map(|name| match self.model.lookup(l.file, name) {
                        Some(Symbol::Let(j)) => Some(j),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        // 0 new, 1 on the path, 2 done.
        let mut state = vec![0u8; n];
        let mut path = Vec::new();
        for start in 0..n {
            self.let_cycle_from(start, &deps, &mut state, &mut path);
        }
    }

    fn let_cycle_from(&mut self, i: usize, deps: &[Vec<usize>], state: &mut [u8], path: &mut Vec<usize>) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        path.push(i);
        for &j in &deps[i] {
            if state[j] == 1 {
                let pos = path.iter().position(|p| *p == j).unwrap_or(0);
                let names: Vec<&str> = path[pos..].iter().map(|k| self.model.lets[*k].name.as_str()).collect();
                let l = &self.model.lets[j];
                let message = if names.len() == 1 {
                    format!("`{}` refers to itself", l.name)
                } else {
                    format!("`{}` refers to itself through {}", l.name, names.join(" -> ") + " -> " + &l.name)
                };
                self.diags.push(
                    Diagnostic::at(Code::LetCycle, l.file, l.name_span, message)
                        .with_help("a `let` is computed once from values declared before it; break the cycle"),
                );
            } else {
                self.let_cycle_from(j, deps, state, path);
            }
        }
        path.pop();
        state[i] = 2;
    }

    pub(super) fn check_lets(&mut self) {
        self.check_let_cycles();
        for i in 0..self.model.lets.len() {
            let (file, expr) = (self.model.lets[i].file, self.model.lets[i].expr.clone());
            let ty = self.infer_in_file(file, &expr);
            let value = self.const_value(file, &expr);
            if value.is_none() {
                let span = self.model.lets[i].name_span;
                self.budget_spent(file, span);
            }
            self.model.lets[i].ty = ty;
            self.model.lets[i].value = value;
        }
    }

    /// Whether the evaluation budget is spent; the first time it is, reports
    /// `E0103` at `span` (the rest of the run is left undecided, so later
    /// constants are not reported as "not constant").
    pub(super) fn budget_spent(&mut self, file: FileId, span: Span) -> bool {
        if !self.model.budget.exhausted() {
            return false;
        }
        if !std::mem::replace(&mut self.budget_reported, true) {
            self.diags.push(policies::budget_diagnostic(&self.model, FileSpan::new(file, span)));
        }
        true
    }

    /// Whether only `eval` can compute the expression (it needs metrics or
    /// the clock).
    pub(super) fn needs_eval(&self, file: FileId, expr: &Expr) -> bool {
        let env = interp::Env::constant(&self.model, file);
        matches!(interp::eval(&env, expr), Err(interp::Undecided::Deferred(_)))
    }

    /// Evaluates an expression that must be a constant (attribute values,
    /// `let`s): literals, names of declarations and lists of them.
    pub(super) fn const_value(&self, file: FileId, expr: &Expr) -> Option<Value> {
        let env = interp::Env::constant(&self.model, file);
        interp::eval(&env, expr).ok()
    }

    pub(super) fn resolve_name(&mut self, file: FileId, ident: &ast::Ident) -> Option<Symbol> {
        match self.model.lookup(file, &ident.name) {
            Some(sym) => {
                if self.references {
                    self.model
                        .references
                        .push(Reference { at: FileSpan::new(file, ident.span), target: Target::Symbol(sym) });
                }
                Some(sym)
            }
            None => None,
        }
    }

    pub(super) fn unknown_name(&mut self, file: FileId, ident: &ast::Ident, kind: Option<Kind>) {
        let candidates: Vec<String> = match kind {
            Some(k) => self.names_of_kind(file, k),
            None => self.model.scopes[file.0 as usize].keys().cloned().collect(),
        };
        let mut d = Diagnostic::at(
            Code::UnknownName,
            file,
            ident.span,
            match kind {
                Some(k) => format!("unknown {} `{}`", k.as_str(), ident.name),
                None => format!("unknown name `{}`", ident.name),
            },
        )
        .with_primary_label("not found");
        if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
                title: format!("change to `{s}`"),
                edits: vec![Edit { at: FileSpan::new(file, ident.span), replacement: s.to_string() }],
            });
        }
        self.diags.push(d);
    }

    pub(super) fn names_of_kind(&self, file: FileId, kind: Kind) -> Vec<String> {
        let mut names: Vec<String> = self.model.scopes[file.0 as usize]
            .iter()
            .filter(|(_, s)| matches!(s, Symbol::Decl(id) if self.model.decl(*id).kind == kind))
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }

    /// Resolves a reference to a declaration of `kind`.
    pub(super) fn resolve_ref(&mut self, file: FileId, expr: &Expr, kind: Kind, attr: &str) -> Option<Value> {
        let ExprKind::Name(ident) = &expr.kind else {
            self.diags.push(Diagnostic::at(
                Code::AttributeType,
                file,
                expr.span,
                format!("`{attr}` must be {}", AttrType::Ref(kind).describe()),
            ));
            return None;
        };
        match self.resolve_name(file, ident) {
            Some(Symbol::Decl(id)) if self.model.decl(id).kind == kind => Some(Value::Decl(id)),
            Some(sym) => {
                let (name, at) = self.model.symbol_def(sym);
                let what = match sym {
                    Symbol::Decl(id) => self.model.decl(id).kind.with_article(),
                    Symbol::Policy(_) => "a policy".into(),
                    Symbol::Let(_) => "a constant".into(),
                    Symbol::Builtin(_) => "a built-in function".into(),
                };
                let mut d = Diagnostic::at(
                    Code::WrongKind,
                    file,
                    ident.span,
                    format!("`{attr}` must name {}, but `{name}` is {what}", kind.with_article()),
                )
                .with_label(at, format!("`{name}` is declared here"));
                let candidates = self.names_of_kind(file, kind);
                if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
                None
            }
            None => {
                self.unknown_name(file, ident, Some(kind));
                None
            }
        }
    }

    pub(super) fn infer_in_file(&mut self, file: FileId, e: &Expr) -> Ty {
        let mut refs = Vec::new();
        let ty = types::TypeCx::new(&self.model, file, None, &mut self.diags, &mut refs).infer(e);
        self.add_references(refs);
        ty
    }
}

/// Every name an expression mentions (quantifier variables included; the
/// caller resolves them).
fn collect_names<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    match &e.kind {
        ExprKind::Name(i) => out.push(&i.name),
        ExprKind::List(items) | ExprKind::Call(_, items) => items.iter().for_each(|i| collect_names(i, out)),
        ExprKind::Field(base, _) | ExprKind::Paren(base) | ExprKind::Offset(base) | ExprKind::Unary(_, base) => {
            collect_names(base, out)
        }
        ExprKind::Quantifier { list, pred, .. } => {
            collect_names(list, out);
            collect_names(pred, out);
        }
        ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => {
            collect_names(l, out);
            collect_names(r, out);
        }
        _ => {}
    }
}
