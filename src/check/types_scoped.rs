//! Names read in the scope of the other side of a comparison, and the
//! types of extended attributes read from a declaration.

use super::super::schema::Kind;
use super::super::value::{Ty, Value};
use super::super::{Reference, Symbol, Target};
use super::{bare_name, strip_parens, TypeCx, SELF};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::{Expr, ExprKind};
use crate::text::FileSpan;

/// Names read in the scope of the other side of a comparison: the values
/// of an extended attribute's `one of` (`kind == llm`), and declarations of
/// the kind an attribute names when the subject has an attribute of the
/// same name (`e.kind == model_card` in a policy whose subject has an
/// extended attribute `model_card`).
impl TypeCx<'_> {
    /// The types of both sides of a comparison, a bare name read in the
    /// other side's scope. The side that is not a bare name (or, of two
    /// bare names, the one that resolves on its own) is typed first.
    pub(super) fn comparands(&mut self, l: &Expr, r: &Expr) -> (Ty, Ty) {
        let flip = bare_name(l).is_some_and(|n| !self.resolves(n)) && bare_name(r).is_some_and(|n| self.resolves(n))
            || bare_name(l).is_some() && bare_name(r).is_none();
        if flip {
            let rt = self.infer(r);
            let lt = self.scoped(&rt, l).unwrap_or_else(|| self.infer(l));
            (lt, rt)
        } else {
            let lt = self.infer(l);
            let rt = self.scoped(&lt, r).unwrap_or_else(|| self.infer(r));
            (lt, rt)
        }
    }

    /// Whether a name means something here without a comparison's scope.
    pub(super) fn resolves(&self, name: &str) -> bool {
        if name == SELF || self.vars.iter().any(|(n, _)| n == name) || self.model.lookup(self.file, name).is_some() {
            return true;
        }
        self.subject.is_some_and(|k| {
            k.attr(name).is_some()
                || k.derived().iter().any(|(n, _)| *n == name)
                || self.model.ext_attr_in(self.file, k, name).is_some()
        })
    }

    /// `x in [a, b]` where `x` is a value of a `one of` or a declaration.
    pub(super) fn scoped_list(&mut self, elem: &Ty, r: &Expr) -> Option<Ty> {
        if !matches!(elem, Ty::Enum(_) | Ty::Decl(..)) {
            return None;
        }
        let ExprKind::List(items) = &strip_parens(r).kind else { return None };
        let mut out = Ty::Any;
        for item in items {
            let t = self.scoped(elem, item).unwrap_or_else(|| self.infer(item));
            if out == Ty::Any {
                out = t;
            }
        }
        Some(Ty::List(Box::new(out)))
    }

    /// The type of `e` read in the scope of `other`, when that scope
    /// decides what the bare name `e` is.
    pub(super) fn scoped(&mut self, other: &Ty, e: &Expr) -> Option<Ty> {
        let ExprKind::Name(ident) = &strip_parens(e).kind else { return None };
        if self.vars.iter().any(|(n, _)| *n == ident.name) || ident.name == SELF {
            return None;
        }
        let at = FileSpan::new(self.file, ident.span);
        match other {
            Ty::Enum(en) => {
                if en.values.contains(&ident.name) {
                    self.refs.push(Reference {
                        at,
                        target: Target::EnumValue {
                            kind: en.kind,
                            attr: en.attr.as_str().into(),
                            value: ident.name.as_str().into(),
                        },
                    });
                    self.refs.push(Reference { at, target: Target::Scoped(Box::new(Value::Str(ident.name.clone()))) });
                    return Some(other.clone());
                }
                if self.resolves(&ident.name) {
                    return None;
                }
                self.diags.push(super::super::extend::not_a_value(self.file, ident, &en.attr, &en.values));
                Some(Ty::Any)
            }
            Ty::Decl(kind, _) => {
                let shadowed = self.subject.is_some_and(|k| {
                    k.attr(&ident.name).is_some()
                        || k.derived().iter().any(|(n, _)| *n == ident.name)
                        || self.model.ext_attr_in(self.file, k, &ident.name).is_some()
                });
                if !shadowed {
                    return None;
                }
                let Some(sym @ Symbol::Decl(id)) = self.model.lookup(self.file, &ident.name) else { return None };
                if self.model.decl(id).kind != *kind {
                    return None;
                }
                self.refs.push(Reference { at, target: Target::Symbol(sym) });
                self.refs.push(Reference { at, target: Target::Scoped(Box::new(Value::Decl(id))) });
                Some(Ty::Decl(*kind, Some(id)))
            }
            _ => None,
        }
    }

    /// The type of an extended attribute read from a declaration of
    /// `kind` (`id` when the checker knows which): `E0422` when the
    /// extension seen here does not apply to that declaration.
    pub(super) fn ext_field(
        &mut self,
        kind: Kind,
        id: Option<super::super::DeclId>,
        field: &crate::syntax::ast::Ident,
    ) -> Option<Ty> {
        let at = self.model.ext_attr_in(self.file, kind, &field.name)?;
        self.refs.push(Reference {
            at: FileSpan::new(self.file, field.span),
            target: Target::Attribute(kind, field.name.clone()),
        });
        if let Some(id) = id {
            if self.model.ext_attr_of(id, &field.name).is_none() {
                let d = self.model.decl(id);
                let x = &self.model.extensions[at.0];
                let d = Diagnostic::at(
                    Code::NotExtended,
                    self.file,
                    field.span,
                    format!("`{}` has no `{}`: the extension that adds it does not apply to it", d.name, field.name),
                )
                .with_label(FileSpan::new(x.file, self.model.ext_attr(at).name_span), "added here")
                .with_label(FileSpan::new(d.file, d.name_span), format!("`{}` does not see this extension", d.name))
                .with_help("import the extension's file where the declaration lives");
                return Some(self.err(d));
            }
        }
        let def = self.model.ext_attr(at);
        Some(def.ty.as_ref().map_or(Ty::Any, |t| t.ty(kind, &def.name)))
    }
}
