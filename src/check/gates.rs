//! Gates' stages resolved and their transitions checked against the
//! stage order, and the criteria of gates and policies typed.

use super::{types, Checker, DeclId, GateId, Kind, Value};
use crate::diag::{Code, Diagnostic, Edit, Fix};
use crate::syntax::ast::{self, Expr, ExprKind};
use crate::text::{FileId, FileSpan, Span};

impl Checker<'_> {
    pub(super) fn check_gates(&mut self) {
        let stages = self.model.stages().to_vec();
        let order: Vec<String> = stages.iter().map(|s| self.model.decl(*s).name.clone()).collect();
        for gi in (0..self.model.gates.len()).map(GateId::new) {
            self.gate_unit(gi, &order);
        }
    }

    /// Gate `gi`: its stages resolved, its transition checked against the
    /// stage order (`order`, their names), its criteria typed.
    pub(super) fn check_gate(&mut self, gi: GateId, order: &[String]) {
        let file = self.model.gates[gi].file;
        let (from_ident, to_ident) = self.gate_idents(gi);
        let from = self.resolve_stage(file, &from_ident);
        let to = self.resolve_stage(file, &to_ident);
        self.model.gates[gi].from = from;
        self.model.gates[gi].to = to;
        if let (Some(f), Some(t)) = (from, to) {
            if self.model.next_stage(f) != Some(t) {
                let g = &self.model.gates[gi];
                let expected = self.model.next_stage(f).map(|n| self.model.decl(n).name.clone()).unwrap_or_default();
                let span = from_ident.span.to(to_ident.span);
                let d = Diagnostic::at(
                    Code::BadTransition,
                    file,
                    span,
                    format!("`{} -> {}` is not a stage transition", g.from_name, g.to_name),
                )
                .with_primary_label(format!("after `{}` comes `{expected}`", g.from_name))
                .with_help(format!(
                    "the stages run {} -> {}",
                    order.join(" -> "),
                    order.first().cloned().unwrap_or_default()
                ))
                .with_fix(Fix {
                    title: format!("guard `{} -> {expected}`", g.from_name),
                    edits: vec![Edit { at: FileSpan::new(file, to_ident.span), replacement: expected.clone() }],
                });
                self.diags.push(d);
            }
        }
        // The criteria are read in place (type checking reads neither
        // gates nor references, so one batch of references is the same).
        let mut refs = Vec::new();
        for c in &self.model.gates[gi].criteria {
            types::TypeCx::new(&self.model, file, Some(Kind::Initiative), &mut self.diags, &mut refs)
                .criterion(&c.expr);
        }
        self.add_references(refs);
    }

    fn gate_idents(&self, gi: GateId) -> (ast::Ident, ast::Ident) {
        // Gate idents are recovered from the stored spans of the AST gate.
        let g = &self.model.gates[gi];
        let text = &self.files.get(g.file).text[g.span.range()];
        let find = |name: &str, after: usize| -> ast::Ident {
            let rel = text[after..].find(name).map_or(0, |i| i + after);
            let start = g.span.start as usize + rel;
            ast::Ident { name: name.to_string(), span: Span::new(start, start + name.len()) }
        };
        let from = find(&g.from_name, 4);
        let arrow = text.find("->").unwrap_or(0) + 2;
        let to = find(&g.to_name, arrow);
        (from, to)
    }

    fn resolve_stage(&mut self, file: FileId, ident: &ast::Ident) -> Option<DeclId> {
        let e = Expr { kind: ExprKind::Name(ident.clone()), span: ident.span };
        match self.resolve_ref(file, &e, Kind::Stage, "a gate") {
            Some(Value::Decl(id)) => Some(id),
            _ => None,
        }
    }

    pub(super) fn check_policies(&mut self) {
        for pi in 0..self.model.policies.len() {
            let p = self.model.policies[pi].clone();
            let Some(subject) = p.subject else { continue };
            let mut refs = Vec::new();
            {
                let mut tcx = types::TypeCx::new(&self.model, p.file, Some(subject), &mut self.diags, &mut refs);
                if let Some(f) = &p.filter {
                    tcx.criterion(f);
                }
                for c in &p.criteria {
                    tcx.criterion(&c.expr);
                }
            }
            self.add_references(refs);
        }
    }
}
