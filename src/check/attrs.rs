//! A declaration's attributes checked against its kind's schema (and the
//! organisation's extensions): unknown and duplicate attributes, missing
//! required ones with a fix that adds them, and each value resolved to
//! its type.

use super::{
    extend, Attr, AttrName, AttrSpec, AttrType, AttrVal, Checker, DeclId, Kind, MeasureUnit, Reference, Target, Ty,
    Value,
};
use crate::diag::{self, Code, Diagnostic, Edit, Fix};
use crate::syntax::ast::{self, AttrValue as AstAttrValue, Expr, ExprKind};
use crate::text::{FileId, FileSpan, Span};

impl Checker<'_> {
    /// Resolves a declaration's attributes, reports the unknown, duplicate
    /// and missing ones, then runs the checks particular to KPIs.
    pub(super) fn check_decl_attrs(&mut self, id: DeclId) {
        let ast = self.ast_decls[id.0 as usize];
        let (kind, file) = (self.model.decl(id).kind, self.model.decl(id).file);
        let mut attrs: Vec<Attr> = Vec::with_capacity(ast.members.len());
        // Attributes a misspelt one was taken for: one typo, one error (its
        // fix), not also "missing `metric`" with a second fix that adds it.
        let mut suggested: Vec<String> = Vec::new();
        for m in &ast.members {
            let ast::Member::Attr(a) = m else { continue };
            if let Some(attr) = self.decl_attr(id, a, &attrs, &mut suggested) {
                attrs.push(attr);
            }
        }
        self.missing_attrs(id, &attrs, &suggested);
        self.missing_ext_attrs(id, &attrs, &suggested);
        if kind == Kind::Kpi {
            self.check_kpi_attrs(file, ast, id, &mut attrs);
        }
        self.model.decls[id.0 as usize].attrs = attrs.into();
    }

    /// One attribute of declaration `id` as written, its value resolved;
    /// `None` (reported) when the kind has no such attribute or `set`
    /// already holds it.
    fn decl_attr(&mut self, id: DeclId, a: &ast::Attr, set: &[Attr], suggested: &mut Vec<String>) -> Option<Attr> {
        let (kind, file) = (self.model.decl(id).kind, self.model.decl(id).file);
        let name = &a.name.name;
        let spec = kind.attr(name);
        let ext = if spec.is_none() { self.model.ext_attr_in(file, kind, name) } else { None };
        if spec.is_none() && ext.is_none() {
            if !self.broken_extends.iter().any(|(f, k)| *k == kind && self.model.sees(file, *f)) {
                suggested.extend(self.unknown_attr(file, kind, a));
            }
            return None;
        }
        if let Some(prev) = set.iter().find(|x| x.name == *name) {
            self.diags.push(
                Diagnostic::at(Code::DuplicateAttribute, file, a.name.span, format!("`{name}` is set twice"))
                    .with_label(FileSpan::new(file, prev.name_span), "first set here")
                    .with_help("remove one of them"),
            );
            return None;
        }
        if self.references {
            self.model.references.push(Reference {
                at: FileSpan::new(file, a.name.span),
                target: Target::Attribute(kind, name.clone()),
            });
        }
        let value = match (spec, ext) {
            (Some(spec), _) => self.attr_value(file, spec, &a.value, id),
            (None, Some(at)) => self.ext_value(file, kind, at, &a.value),
            (None, None) => AttrVal::Invalid,
        };
        let name = match spec {
            Some(spec) => AttrName::Schema(spec.name),
            None => AttrName::Extension(name.as_str().into()),
        };
        Some(Attr { name, name_span: a.name.span, value_span: a.value.span(), span: a.span, value })
    }

    /// Reports an attribute `kind` does not have (neither in its schema nor
    /// in an extension `file` sees); the attribute it was taken for, if any.
    fn unknown_attr(&mut self, file: FileId, kind: Kind, a: &ast::Attr) -> Option<String> {
        let name = &a.name.name;
        let mut names: Vec<&str> = kind.attrs().iter().map(|s| s.name).collect();
        let exts: Vec<String> =
            self.model.ext_attrs_in(file, kind).into_iter().map(|at| self.model.ext_attr(at).name.clone()).collect();
        names.extend(exts.iter().map(String::as_str));
        let mut d = Diagnostic::at(
            Code::UnknownAttribute,
            file,
            a.name.span,
            format!("{} has no attribute `{name}`", kind.with_article()),
        );
        let mut suggested = None;
        if let Some(s) = diag::did_you_mean(name, names.iter().copied()) {
            suggested = Some(s.to_string());
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
                title: format!("change to `{s}`"),
                edits: vec![Edit { at: FileSpan::new(file, a.name.span), replacement: s.to_string() }],
            });
        } else if let Some(help) = extend::not_visible_help(&self.model, self.files, kind, name) {
            d = d.with_help(help);
        } else {
            d = d.with_help(format!("the attributes of {} are {}", kind.with_article(), names.join(", ")));
        }
        self.diags.push(d);
        suggested
    }

    /// Reports each required attribute of declaration `id` that `set` lacks,
    /// with a fix that adds it; not while a line of the body is broken (it
    /// may be the one being written) or a misspelt attribute was taken for
    /// it (`suggested`).
    fn missing_attrs(&mut self, id: DeclId, set: &[Attr], suggested: &[String]) {
        let decl = self.model.decl(id);
        if decl.incomplete {
            return;
        }
        let (kind, file) = (decl.kind, decl.file);
        for spec in kind.attrs().iter().filter(|s| s.required) {
            if set.iter().any(|a| a.name == spec.name)
                || suggested.iter().any(|s| s == spec.name)
                || super::derived::needs_no(spec.name, set)
            {
                continue;
            }
            let insert_at = decl.body_span.end.saturating_sub(1) as usize;
            let indent = if decl.parent.is_some() { "    " } else { "  " };
            let placeholder = placeholder(spec.ty);
            self.diags.push(
                Diagnostic::at(
                    Code::MissingAttribute,
                    file,
                    decl.name_span,
                    format!("{} `{}` has no `{}`", kind.as_str(), decl.name, spec.name),
                )
                .with_primary_label(format!("`{}` is required", spec.name))
                .with_help(format!("add `{} {placeholder}`: {}", spec.name, spec.doc))
                .with_fix(Fix {
                    title: format!("add `{}`", spec.name),
                    edits: vec![Edit {
                        at: FileSpan::new(file, Span::new(insert_at, insert_at)),
                        replacement: format!("{indent}{} {placeholder}\n", spec.name),
                    }],
                }),
            );
        }
    }

    /// An attribute's value checked against its schema type and resolved.
    fn attr_value(&mut self, file: FileId, spec: &AttrSpec, v: &AstAttrValue, id: DeclId) -> AttrVal {
        match (spec.ty, v) {
            (AttrType::Threshold, AstAttrValue::Threshold(t)) => self.threshold_value(file, spec, t),
            (AttrType::Groups, v) => self.groups_value(file, v, id),
            (AttrType::Formula, AstAttrValue::Expr(e)) => AttrVal::Derived(Box::new(e.clone()), Ty::Any, Vec::new()),
            (AttrType::Labels, AstAttrValue::Map(m)) => {
                AttrVal::Labels(m.entries.iter().map(|(k, v)| (k.name.clone(), v.value.clone())).collect())
            }
            (AttrType::Unit, AstAttrValue::Expr(Expr { kind: ExprKind::Name(ident), .. })) => {
                self.unit_value(file, ident)
            }
            (AttrType::Ref(k), AstAttrValue::Expr(e)) => match self.resolve_ref(file, e, k, spec.name) {
                Some(v) => AttrVal::Value(v),
                None => AttrVal::Invalid,
            },
            (AttrType::StrOrRef(k), AstAttrValue::Expr(e)) => match &e.kind {
                ExprKind::Str(s) => AttrVal::Value(Value::Str(s.clone())),
                _ => match self.resolve_ref(file, e, k, spec.name) {
                    Some(v) => AttrVal::Value(v),
                    None => AttrVal::Invalid,
                },
            },
            (AttrType::RefList(k), AstAttrValue::Expr(e)) => match &e.kind {
                ExprKind::List(items) => self.ref_list_value(file, spec, items, k),
                _ => self.wrong_type(file, spec, e.span),
            },
            (_, AstAttrValue::Expr(e)) => self.constant_value(file, spec, e),
            (_, other) => self.wrong_type(file, spec, other.span()),
        }
    }

    /// `E0404` at `span`: the value is not of the attribute's type.
    fn wrong_type(&mut self, file: FileId, spec: &AttrSpec, span: Span) -> AttrVal {
        self.diags.push(Diagnostic::at(
            Code::AttributeType,
            file,
            span,
            format!("`{}` must be {}", spec.name, spec.ty.describe()),
        ));
        AttrVal::Invalid
    }

    /// A `target` or `warn`: a constant threshold, or a bound only `eval`
    /// can compute.
    fn threshold_value(&mut self, file: FileId, spec: &AttrSpec, t: &ast::Threshold) -> AttrVal {
        // A bound that needs metrics is typed once every KPI's unit is known
        // (`bounds::check`).
        if self.needs_eval(file, &t.value) && !self.budget_spent(file, t.value.span) {
            return AttrVal::Bound(t.op, Box::new(t.value.clone()), Ty::Any);
        }
        self.infer_in_file(file, &t.value);
        match self.const_value(file, &t.value) {
            Some(val) => AttrVal::Threshold(t.op, val),
            None if self.budget_spent(file, t.value.span) => AttrVal::Invalid,
            None => self.wrong_type(file, spec, t.value.span),
        }
    }

    /// A KPI's `unit`, with did-you-mean for one that does not exist.
    fn unit_value(&mut self, file: FileId, ident: &ast::Ident) -> AttrVal {
        if let Some(u) = MeasureUnit::parse(&ident.name) {
            return AttrVal::Unit(u);
        }
        let units = ["percent", "ratio", "number", "ms", "s", "m", "h", "d", "w"];
        let d = Diagnostic::at(Code::UnknownUnit, file, ident.span, format!("unknown unit `{}`", ident.name));
        self.diags.push(match diag::did_you_mean(&ident.name, units) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(AttrType::Unit.describe()),
        });
        AttrVal::Invalid
    }

    /// A list of references to declarations of `kind`, every item
    /// resolved (each one that is not is reported).
    fn ref_list_value(&mut self, file: FileId, spec: &AttrSpec, items: &[Expr], kind: Kind) -> AttrVal {
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match self.resolve_ref(file, item, kind, spec.name) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        if ok {
            AttrVal::Value(Value::List(out))
        } else {
            AttrVal::Invalid
        }
    }

    /// A string, boolean, number, date, duration or money attribute: an
    /// expression of that type with a constant value.
    fn constant_value(&mut self, file: FileId, spec: &AttrSpec, e: &Expr) -> AttrVal {
        let ty = self.infer_in_file(file, e);
        let expected = match spec.ty {
            AttrType::Str => Some(Ty::Str),
            AttrType::Bool => Some(Ty::Bool),
            AttrType::Number => Some(Ty::Num),
            AttrType::Date => Some(Ty::Date),
            AttrType::Duration => Some(Ty::Dur),
            AttrType::Money => None,
            _ => return self.wrong_type(file, spec, e.span),
        };
        let ok = match (&expected, &ty) {
            (_, Ty::Any) => true,
            (Some(x), t) => x == t,
            (None, t) => matches!(t, Ty::Money(_)),
        };
        if !ok {
            let mut d = Diagnostic::at(
                Code::AttributeType,
                file,
                e.span,
                format!("`{}` must be {}, but this is {}", spec.name, spec.ty.describe(), ty.describe()),
            );
            if spec.ty == AttrType::Duration && ty == Ty::Num {
                if let ExprKind::Number { raw, .. } = &e.kind {
                    d = d.with_help(format!("add a unit: did you mean `{raw}d`?"));
                }
            }
            self.diags.push(d);
            return AttrVal::Invalid;
        }
        match self.const_value(file, e) {
            Some(v) => AttrVal::Value(v),
            None if self.budget_spent(file, e.span) => AttrVal::Invalid,
            None => {
                self.diags.push(Diagnostic::at(
                    Code::AttributeType,
                    file,
                    e.span,
                    format!("`{}` must be a constant value", spec.name),
                ));
                AttrVal::Invalid
            }
        }
    }
}

fn placeholder(ty: AttrType) -> &'static str {
    match ty {
        AttrType::Str | AttrType::StrOrRef(_) => "\"\"",
        AttrType::Threshold => ">= 0",
        AttrType::Bool => "true",
        AttrType::Duration => "30d",
        AttrType::Date => "2027-01-01",
        AttrType::Number | AttrType::Formula => "0",
        AttrType::Money => "0 USD",
        AttrType::RefList(_) => "[]",
        AttrType::Labels => "{}",
        AttrType::Groups => "[]",
        AttrType::Unit => "number",
        AttrType::Ref(Kind::Stage) => "calibrate",
        AttrType::Ref(Kind::Role) => "manager",
        AttrType::Ref(Kind::MonitorKind) => "drift",
        AttrType::Ref(Kind::EvidenceKind) => "model_card",
        AttrType::Ref(_) => "name",
    }
}
