//! Type and unit inference for expressions.
//!
//! Every expression gets a [`Ty`]. A KPI used where a number is expected
//! stands for its latest value in its own unit (a `unit ms` KPI is a
//! duration); a KPI used as a condition means "its target is met". A type
//! error is reported once, where it arises, and the expression becomes
//! [`Ty::Any`] so one mistake never cascades into many diagnostics.

use super::builtins::{self, Quant};
use super::interp::{self, Env};
use super::schema::{AttrType, Kind};
use super::value::{Ty, Value};
use super::{Model, Reference, Symbol, Target};
use crate::diag::{self, Code, Diagnostic, Edit, Fix};
use crate::syntax::ast::{Expr, ExprKind, Ident, LitUnit, UnOp};
use crate::text::{FileId, FileSpan};

#[path = "types_calls.rs"]
mod calls;
#[path = "types_lists.rs"]
mod lists;
#[path = "types_ops.rs"]
mod ops;
#[path = "types_scoped.rs"]
mod scoped;

/// The name of the subject inside a policy or a gate.
pub const SELF: &str = "self";

/// The static type of a constant value.
pub fn value_ty(v: &Value) -> Ty {
    match v {
        Value::Bool(_) => Ty::Bool,
        Value::Num(_) => Ty::Num,
        Value::Dur(_) => Ty::Dur,
        Value::Money(_, c) => Ty::Money(c.clone()),
        Value::Date(_) => Ty::Date,
        Value::Time(_) => Ty::Time,
        Value::Str(_) => Ty::Str,
        Value::List(items) => Ty::List(Box::new(items.first().map_or(Ty::Any, value_ty))),
        Value::Decl(_) => Ty::Any,
    }
}

/// The type an attribute of the schema has when read generically.
pub fn attr_ty(ty: AttrType) -> Ty {
    match ty {
        AttrType::Str => Ty::Str,
        AttrType::Bool => Ty::Bool,
        AttrType::Number => Ty::Num,
        AttrType::Date => Ty::Date,
        AttrType::Duration => Ty::Dur,
        AttrType::Ref(k) => Ty::Decl(k, None),
        AttrType::RefList(k) => Ty::List(Box::new(Ty::Decl(k, None))),
        AttrType::Money => Ty::Money(String::new()),
        _ => Ty::Any,
    }
}

/// Infers types within one file's scope, optionally about a subject kind.
pub struct TypeCx<'a> {
    model: &'a Model,
    file: FileId,
    subject: Option<Kind>,
    diags: &'a mut Vec<Diagnostic>,
    refs: &'a mut Vec<Reference>,
    vars: Vec<(String, Ty)>,
}

impl<'a> TypeCx<'a> {
    /// A context for `file`, with the subject's attributes in scope.
    pub fn new(
        model: &'a Model,
        file: FileId,
        subject: Option<Kind>,
        diags: &'a mut Vec<Diagnostic>,
        refs: &'a mut Vec<Reference>,
    ) -> Self {
        TypeCx { model, file, subject, diags, refs, vars: Vec::new() }
    }

    fn err(&mut self, d: Diagnostic) -> Ty {
        self.diags.push(d);
        Ty::Any
    }

    /// Checks that `e` is a condition.
    pub fn criterion(&mut self, e: &Expr) -> Ty {
        let ty = self.infer(e);
        if !is_condition(&ty) {
            self.diags.push(
                Diagnostic::at(
                    Code::NotBoolean,
                    self.file,
                    e.span,
                    format!("a criterion must be a condition, but this is {}", ty.describe()),
                )
                .with_help("compare it with something, e.g. `x >= 1`"),
            );
        }
        Ty::Bool
    }

    /// The type of an expression.
    pub fn infer(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Number { unit, .. } => match unit {
                None | Some(LitUnit::Percent) => Ty::Num,
                Some(_) => Ty::Dur,
            },
            ExprKind::Money { currency, .. } => Ty::Money(currency.clone()),
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Date(_) | ExprKind::Today => Ty::Date,
            ExprKind::DateTime(_) | ExprKind::Now => Ty::Time,
            ExprKind::Paren(inner) | ExprKind::Offset(inner) => self.infer(inner),
            ExprKind::List(items) => self.list(items),
            ExprKind::Name(ident) => self.name(ident),
            ExprKind::Field(base, field) => self.field(base, field),
            ExprKind::Call(func, args) => self.call(e, func, args),
            ExprKind::Quantifier { func, var, list, pred } => self.quantifier(func, var, list, pred),
            ExprKind::Unary(UnOp::Not, inner) => self.not(inner),
            ExprKind::Unary(UnOp::Neg, inner) => self.neg(inner),
            ExprKind::For(kpi, dur) => self.held_for(kpi, dur),
            ExprKind::Binary(op, l, r) => self.binary(e, *op, l, r),
        }
    }

    /// `[a, b, ...]`: a list of the elements' one type.
    fn list(&mut self, items: &[Expr]) -> Ty {
        let mut elem = Ty::Any;
        for item in items {
            let t = self.infer(item);
            if elem == Ty::Any {
                elem = t;
            } else if t != Ty::Any && !same_family(&elem, &t) {
                return self.err(
                    Diagnostic::at(
                        Code::TypeMismatch,
                        self.file,
                        item.span,
                        format!("list elements differ: {} among {}", t.describe(), plural(&elem)),
                    )
                    .with_help("a list holds values of one type"),
                );
            }
        }
        Ty::List(Box::new(elem))
    }

    /// `base.field`: an attribute of a declaration (its value's type when
    /// the declaration is known), a derived list, or an extended attribute.
    fn field(&mut self, base: &Expr, field: &Ident) -> Ty {
        let (kind, id) = match self.infer(base) {
            Ty::Any => return Ty::Any,
            Ty::Decl(kind, id) => (kind, id),
            other => {
                return self.err(Diagnostic::at(
                    Code::NoSuchField,
                    self.file,
                    field.span,
                    format!("{} has no attributes, so `.{}` does not apply", other.describe(), field.name),
                ))
            }
        };
        if let Some(spec) = kind.attr(&field.name) {
            self.refs.push(Reference {
                at: FileSpan::new(self.file, field.span),
                target: Target::Attribute(kind, field.name.clone()),
            });
            if let Some(v) = id.and_then(|id| self.model.decl(id).value(&field.name)) {
                if let Value::Decl(t) = v {
                    return Ty::Decl(self.model.decl(*t).kind, Some(*t));
                }
                let vt = value_ty(v);
                if vt != Ty::Any {
                    return vt;
                }
            }
            attr_ty(spec.ty)
        } else if let Some((_, k)) = kind.derived().iter().find(|(n, _)| *n == field.name) {
            Ty::List(Box::new(Ty::Decl(*k, None)))
        } else if let Some(t) = self.ext_field(kind, id, field) {
            t
        } else {
            self.no_such_field(kind, field)
        }
    }

    /// `E0505`: `kind` has no attribute `field`, with did-you-mean among its
    /// attributes and the extensions this file sees.
    fn no_such_field(&mut self, kind: Kind, field: &Ident) -> Ty {
        let mut names: Vec<&str> = kind.attrs().iter().map(|a| a.name).collect();
        let exts = self.model.ext_attrs_in(self.file, kind);
        names.extend(exts.iter().map(|at| self.model.ext_attr(*at).name.as_str()));
        let mut d = Diagnostic::at(
            Code::NoSuchField,
            self.file,
            field.span,
            format!("{} has no attribute `{}`", kind.with_article(), field.name),
        );
        if let Some(s) = diag::did_you_mean(&field.name, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(fix(self.file, field.span, s));
        }
        self.err(d)
    }

    /// `all`, `any`, `count`, `sum` or `avg` of `var in list: pred`.
    fn quantifier(&mut self, func: &Ident, var: &Ident, list: &Expr, pred: &Expr) -> Ty {
        let lt = self.infer(list);
        let elem = match lt {
            Ty::List(t) => *t,
            // Over a family: its members, KPIs of the family's unit.
            Ty::Decl(Kind::Kpi, Some(id)) if self.model.is_family(id) => {
                Ty::Decl(Kind::Kpi, self.model.members(id).first().copied())
            }
            Ty::Any => Ty::Any,
            other => {
                self.err(Diagnostic::at(
                    Code::BadOperand,
                    self.file,
                    list.span,
                    format!("`{}` iterates over a list, but this is {}", func.name, other.describe()),
                ));
                Ty::Any
            }
        };
        let q = builtins::lookup(&func.name).and_then(|b| b.quantifier);
        self.vars.push((var.name.clone(), elem));
        let body = match q {
            Some(q) if !q.tests() => self.quantity_body(func, pred),
            _ => self.criterion(pred),
        };
        self.vars.pop();
        let Some(q) = q else {
            return self.err(
                Diagnostic::at(Code::UnknownName, self.file, func.span, format!("`{}` is not a quantifier", func.name))
                    .with_help(
                        "the quantifiers are `all(x in xs: p)`, `any(x in xs: p)`, `count(x in xs: p)`, \
                         `sum(x in xs: e)` and `avg(x in xs: e)`",
                    ),
            );
        };
        self.builtin_ref(func);
        match q {
            Quant::All | Quant::Any => Ty::Bool,
            Quant::Count => Ty::Num,
            Quant::Sum | Quant::Avg => body,
        }
    }

    /// `not p`: a condition.
    fn not(&mut self, inner: &Expr) -> Ty {
        let t = self.infer(inner);
        if !is_condition(&t) {
            return self.err(Diagnostic::at(
                Code::BadOperand,
                self.file,
                inner.span,
                format!("`not` needs a condition, but this is {}", t.describe()),
            ));
        }
        Ty::Bool
    }

    /// `-x`: a number, duration or amount of money.
    fn neg(&mut self, inner: &Expr) -> Ty {
        let t = self.numeric(inner);
        match t {
            Ty::Num | Ty::Dur | Ty::Money(_) | Ty::Any => t,
            other => self.err(Diagnostic::at(
                Code::BadOperand,
                self.file,
                inner.span,
                format!("`-` needs a number, but this is {}", other.describe()),
            )),
        }
    }

    /// `KPI for 7d`: a condition over a KPI and a window that is not
    /// negative.
    fn held_for(&mut self, kpi: &Expr, dur: &Expr) -> Ty {
        let kt = self.infer(kpi);
        if !matches!(kt, Ty::Decl(Kind::Kpi, _) | Ty::Any) {
            self.err(
                Diagnostic::at(
                    Code::BadOperand,
                    self.file,
                    kpi.span,
                    format!("`for` applies to a KPI, but this is {}", kt.describe()),
                )
                .with_help("`KPI for 7d` means the KPI met its target throughout the last 7 days"),
            );
        }
        let dt = self.infer(dur);
        if !matches!(dt, Ty::Dur | Ty::Any) {
            self.err(Diagnostic::at(
                Code::TypeMismatch,
                self.file,
                dur.span,
                format!("`for` needs a duration such as `7d`, but this is {}", dt.describe()),
            ));
        } else {
            self.negative_window(dur, "`for`");
        }
        Ty::Bool
    }

    fn builtin_ref(&mut self, func: &Ident) {
        if let Some(sym @ Symbol::Builtin(_)) = self.model.lookup(self.file, &func.name) {
            self.refs.push(Reference { at: FileSpan::new(self.file, func.span), target: Target::Symbol(sym) });
        }
    }

    /// A bare name: a quantifier's variable, `self`, an attribute of the
    /// subject, or a symbol of the file's scope.
    fn name(&mut self, ident: &Ident) -> Ty {
        if let Some((_, t)) = self.vars.iter().rev().find(|(n, _)| *n == ident.name) {
            return t.clone();
        }
        if ident.name == SELF {
            if let Some(kind) = self.subject {
                return Ty::Decl(kind, None);
            }
            if self.model.lookup(self.file, SELF).is_none() {
                return self.err(
                    Diagnostic::at(
                        Code::UnknownName,
                        self.file,
                        ident.span,
                        "`self` names the subject of a policy or a gate, and there is none here",
                    )
                    .with_primary_label("no subject")
                    .with_help("use `self` inside `policy NAME for KIND { ... }` or a gate"),
                );
            }
        }
        if let Some(t) = self.subject_attr(ident) {
            return t;
        }
        match self.model.lookup(self.file, &ident.name) {
            Some(sym) => {
                self.refs.push(Reference { at: FileSpan::new(self.file, ident.span), target: Target::Symbol(sym) });
                self.symbol(ident, sym)
            }
            None => self.unknown_name(ident),
        }
    }

    /// An attribute of the subject read by its bare name (its schema's,
    /// a derived list, or an extension's).
    fn subject_attr(&mut self, ident: &Ident) -> Option<Ty> {
        let kind = self.subject?;
        if let Some(spec) = kind.attr(&ident.name) {
            self.refs.push(Reference {
                at: FileSpan::new(self.file, ident.span),
                target: Target::Attribute(kind, ident.name.clone()),
            });
            return Some(attr_ty(spec.ty));
        }
        if let Some((_, k)) = kind.derived().iter().find(|(n, _)| *n == ident.name) {
            return Some(Ty::List(Box::new(Ty::Decl(*k, None))));
        }
        let at = self.model.ext_attr_in(self.file, kind, &ident.name)?;
        self.refs.push(Reference {
            at: FileSpan::new(self.file, ident.span),
            target: Target::Attribute(kind, ident.name.clone()),
        });
        let def = self.model.ext_attr(at);
        Some(def.ty.as_ref().map_or(Ty::Any, |t| t.ty(kind, &def.name)))
    }

    /// A symbol of the scope used as a value: a declaration or a `let`
    /// (a policy or a function is not a value).
    fn symbol(&mut self, ident: &Ident, sym: Symbol) -> Ty {
        match sym {
            Symbol::Decl(id) => Ty::Decl(self.model.decl(id).kind, Some(id)),
            Symbol::Let(i) => self.model.lets[i].ty.clone(),
            Symbol::Policy(pi) => {
                let p = &self.model.policies[pi];
                let declared = FileSpan::new(p.file, p.name_span);
                self.err(
                    Diagnostic::at(
                        Code::WrongKind,
                        self.file,
                        ident.span,
                        format!("`{}` is a policy, not a value", ident.name),
                    )
                    .with_label(declared, format!("`{}` is declared here", ident.name))
                    .with_help("a policy is checked on its subjects; a criterion cannot read its outcome"),
                )
            }
            Symbol::Builtin(_) => self.err(
                Diagnostic::at(
                    Code::BadArguments,
                    self.file,
                    ident.span,
                    format!("`{}` is a function: call it with arguments", ident.name),
                )
                .with_help(format!("e.g. `{}(kpi, 7d)`", ident.name)),
            ),
        }
    }

    /// `E0301` with did-you-mean among the variables, the subject's
    /// attributes and the values in scope.
    fn unknown_name(&mut self, ident: &Ident) -> Ty {
        let mut candidates: Vec<String> = self.vars.iter().map(|(n, _)| n.clone()).collect();
        if let Some(kind) = self.subject {
            candidates.extend(kind.attrs().iter().map(|a| a.name.to_string()));
            candidates.extend(kind.derived().iter().map(|(n, _)| n.to_string()));
            candidates.extend(
                self.model.ext_attrs_in(self.file, kind).into_iter().map(|at| self.model.ext_attr(at).name.clone()),
            );
        }
        candidates.extend(
            self.model.scopes[self.file.0 as usize]
                .iter()
                .filter(|(_, s)| !matches!(s, Symbol::Builtin(_) | Symbol::Policy(_)))
                .map(|(n, _)| n.clone()),
        );
        candidates.sort();
        let mut d = Diagnostic::at(Code::UnknownName, self.file, ident.span, format!("unknown name `{}`", ident.name))
            .with_primary_label("not found");
        if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(fix(self.file, ident.span, s));
        }
        self.err(d)
    }

    /// The type of `e` where a number is expected: a KPI becomes its value.
    fn numeric(&mut self, e: &Expr) -> Ty {
        let t = self.infer(e);
        self.as_number(t)
    }

    fn as_number(&self, t: Ty) -> Ty {
        match t {
            // A family as a value is the list of its members' values.
            Ty::Decl(Kind::Kpi, Some(id)) if self.model.is_family(id) => {
                Ty::List(Box::new(self.model.decl(id).measure_unit().ty()))
            }
            Ty::Decl(Kind::Kpi, Some(id)) => self.model.decl(id).measure_unit().ty(),
            Ty::Decl(Kind::Kpi, None) => Ty::Any,
            t => t,
        }
    }

    /// `E0510` when a window the checker can compute is negative (`-1d`).
    fn negative_window(&mut self, w: &Expr, user: &str) {
        let env = Env::constant(self.model, self.file);
        let Ok(v @ Value::Dur(secs)) = interp::eval(&env, w) else { return };
        if !secs.is_negative() {
            return;
        }
        let value = self.model.display_value(&v);
        let shown = match &strip_parens(w).kind {
            ExprKind::Unary(UnOp::Neg, inner) => match &inner.kind {
                ExprKind::Number { raw, unit: Some(u), .. } => format!("`-{raw}{}`", u.as_str()),
                _ => format!("({value})"),
            },
            ExprKind::Name(ident) => format!("`{}` ({value})", ident.name),
            _ => format!("({value})"),
        };
        let mut d = Diagnostic::at(
            Code::NegativeWindow,
            self.file,
            w.span,
            format!("negative window {shown}: {user} reads back from `now`, so its window cannot be negative"),
        )
        .with_primary_label("negative window");
        // `-7d`: offer `7d`.
        if let ExprKind::Unary(UnOp::Neg, inner) = &w.kind {
            if let ExprKind::Number { raw, unit: Some(u), .. } = &inner.kind {
                let positive = format!("{raw}{}", u.as_str());
                d = d
                    .with_help(format!("a window `{positive}` reads `[now - {positive}, now]`: drop the minus sign"))
                    .with_fix(Fix {
                        title: format!("change to `{positive}`"),
                        edits: vec![Edit { at: FileSpan::new(self.file, w.span), replacement: positive }],
                    });
            }
        }
        if d.help.is_none() {
            d = d.with_help("a window `7d` reads `[now - 7d, now]`; give a duration of at least 0");
        }
        self.diags.push(d);
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip_parens(inner),
        _ => e,
    }
}

/// The name an expression is, parentheses aside.
fn bare_name(e: &Expr) -> Option<&str> {
    match &strip_parens(e).kind {
        ExprKind::Name(ident) => Some(&ident.name),
        _ => None,
    }
}

fn fix(file: FileId, span: crate::text::Span, s: &str) -> Fix {
    Fix {
        title: format!("change to `{s}`"),
        edits: vec![Edit { at: FileSpan::new(file, span), replacement: s.to_string() }],
    }
}

fn plural(t: &Ty) -> String {
    let d = t.describe();
    let d = d.strip_prefix("a ").or_else(|| d.strip_prefix("an ")).unwrap_or(&d).to_string();
    if d.starts_with("money") {
        d
    } else {
        format!("{d}s")
    }
}

/// Whether a value of this type can stand as a condition.
pub fn is_condition(t: &Ty) -> bool {
    matches!(t, Ty::Bool | Ty::Any | Ty::Decl(Kind::Kpi, _))
}

fn compatible(a: &Ty, b: &Ty) -> bool {
    match (a, b) {
        (Ty::Any, _) | (_, Ty::Any) => true,
        (Ty::Decl(k1, _), Ty::Decl(k2, _)) => k1 == k2,
        (Ty::List(x), Ty::List(y)) => compatible(x, y),
        // Money whose currency is known only per subject (`budget` in a
        // policy) is checked against each subject when the policy runs.
        (Ty::Money(x), Ty::Money(y)) => x == y || x.is_empty() || y.is_empty(),
        (a, b) => a == b,
    }
}

fn same_family(a: &Ty, b: &Ty) -> bool {
    compatible(a, b)
}

fn ordered(t: &Ty) -> bool {
    matches!(t, Ty::Num | Ty::Dur | Ty::Money(_) | Ty::Date | Ty::Time | Ty::Any)
}
