//! Type and unit inference for expressions.
//!
//! Every expression gets a [`Ty`]. A KPI used where a number is expected
//! stands for its latest value in its own unit (a `unit ms` KPI is a
//! duration); a KPI used as a condition means "its target is met". A type
//! error is reported once, where it arises, and the expression becomes
//! [`Ty::Any`] so one mistake never cascades into many diagnostics.

use super::interp::{self, Env};
use super::schema::{AttrType, Kind};
use super::value::{Ty, Value};
use super::{Model, Reference, Symbol, Target};
use crate::diag::{self, Code, Diagnostic, Edit, Fix};
use crate::syntax::ast::{BinOp, CmpOp, Expr, ExprKind, UnOp};
use crate::text::{FileId, FileSpan};

#[path = "types_lists.rs"]
mod lists;
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
                None | Some(crate::syntax::ast::LitUnit::Percent) => Ty::Num,
                Some(_) => Ty::Dur,
            },
            ExprKind::Money { currency, .. } => Ty::Money(currency.clone()),
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Date(_) | ExprKind::Today => Ty::Date,
            ExprKind::DateTime(_) | ExprKind::Now => Ty::Time,
            ExprKind::Paren(inner) | ExprKind::Offset(inner) => self.infer(inner),
            ExprKind::List(items) => {
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
            ExprKind::Name(ident) => self.name(ident),
            ExprKind::Field(base, field) => {
                let bt = self.infer(base);
                match bt {
                    Ty::Any => Ty::Any,
                    Ty::Decl(kind, id) => {
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
                    }
                    other => self.err(Diagnostic::at(
                        Code::NoSuchField,
                        self.file,
                        field.span,
                        format!("{} has no attributes, so `.{}` does not apply", other.describe(), field.name),
                    )),
                }
            }
            ExprKind::Call(func, args) => self.call(e, func, args),
            ExprKind::Quantifier { func, var, list, pred } => {
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
                let q = super::builtins::lookup(&func.name).and_then(|b| b.quantifier);
                self.vars.push((var.name.clone(), elem));
                let body = match q {
                    Some(q) if !q.tests() => self.quantity_body(func, pred),
                    _ => self.criterion(pred),
                };
                self.vars.pop();
                match q {
                    Some(q) => {
                        self.builtin_ref(func);
                        match q {
                            super::builtins::Quant::All | super::builtins::Quant::Any => Ty::Bool,
                            super::builtins::Quant::Count => Ty::Num,
                            super::builtins::Quant::Sum | super::builtins::Quant::Avg => body,
                        }
                    }
                    None => self.err(
                        Diagnostic::at(
                            Code::UnknownName,
                            self.file,
                            func.span,
                            format!("`{}` is not a quantifier", func.name),
                        )
                        .with_help(
                            "the quantifiers are `all(x in xs: p)`, `any(x in xs: p)`, `count(x in xs: p)`, \
                             `sum(x in xs: e)` and `avg(x in xs: e)`",
                        ),
                    ),
                }
            }
            ExprKind::Unary(UnOp::Not, inner) => {
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
            ExprKind::Unary(UnOp::Neg, inner) => {
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
            ExprKind::For(kpi, dur) => {
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
            ExprKind::Binary(op, l, r) => self.binary(e, *op, l, r),
        }
    }

    fn builtin_ref(&mut self, func: &crate::syntax::ast::Ident) {
        if let Some(sym @ Symbol::Builtin(_)) = self.model.lookup(self.file, &func.name) {
            self.refs.push(Reference { at: FileSpan::new(self.file, func.span), target: Target::Symbol(sym) });
        }
    }

    fn name(&mut self, ident: &crate::syntax::ast::Ident) -> Ty {
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
        if let Some(kind) = self.subject {
            if let Some(spec) = kind.attr(&ident.name) {
                self.refs.push(Reference {
                    at: FileSpan::new(self.file, ident.span),
                    target: Target::Attribute(kind, ident.name.clone()),
                });
                return attr_ty(spec.ty);
            }
            if let Some((_, k)) = kind.derived().iter().find(|(n, _)| *n == ident.name) {
                return Ty::List(Box::new(Ty::Decl(*k, None)));
            }
            if let Some(at) = self.model.ext_attr_in(self.file, kind, &ident.name) {
                self.refs.push(Reference {
                    at: FileSpan::new(self.file, ident.span),
                    target: Target::Attribute(kind, ident.name.clone()),
                });
                let def = self.model.ext_attr(at);
                return def.ty.as_ref().map_or(Ty::Any, |t| t.ty(kind, &def.name));
            }
        }
        match self.model.lookup(self.file, &ident.name) {
            Some(sym) => {
                self.refs.push(Reference { at: FileSpan::new(self.file, ident.span), target: Target::Symbol(sym) });
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
            None => {
                let mut candidates: Vec<String> = self.vars.iter().map(|(n, _)| n.clone()).collect();
                if let Some(kind) = self.subject {
                    candidates.extend(kind.attrs().iter().map(|a| a.name.to_string()));
                    candidates.extend(kind.derived().iter().map(|(n, _)| n.to_string()));
                    candidates.extend(
                        self.model
                            .ext_attrs_in(self.file, kind)
                            .into_iter()
                            .map(|at| self.model.ext_attr(at).name.clone()),
                    );
                }
                candidates.extend(
                    self.model.scopes[self.file.0 as usize]
                        .iter()
                        .filter(|(_, s)| !matches!(s, Symbol::Builtin(_) | Symbol::Policy(_)))
                        .map(|(n, _)| n.clone()),
                );
                candidates.sort();
                let mut d =
                    Diagnostic::at(Code::UnknownName, self.file, ident.span, format!("unknown name `{}`", ident.name))
                        .with_primary_label("not found");
                if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?")).with_fix(fix(self.file, ident.span, s));
                }
                self.err(d)
            }
        }
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

    fn call(&mut self, e: &Expr, func: &crate::syntax::ast::Ident, args: &[Expr]) -> Ty {
        let sym = self.model.lookup(self.file, &func.name);
        let Some(Symbol::Builtin(bi)) = sym else {
            let names: Vec<&str> = self.model.builtins.iter().map(|b| b.name.as_str()).collect();
            let mut d =
                Diagnostic::at(Code::UnknownName, self.file, func.span, format!("unknown function `{}`", func.name));
            if let Some(s) = diag::did_you_mean(&func.name, names.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?")).with_fix(fix(self.file, func.span, s));
            }
            for a in args {
                self.infer(a);
            }
            return self.err(d);
        };
        self.refs
            .push(Reference { at: FileSpan::new(self.file, func.span), target: Target::Symbol(Symbol::Builtin(bi)) });
        let mut arg_tys: Vec<Ty> = args.iter().map(|a| self.infer(a)).collect();
        let b = &self.model.builtins[bi];
        // `offset D` of a window function or a drift statistic.
        let args = match self.offset_arg(e, func, b.entry, args, &arg_tys) {
            Ok(rest) => rest,
            Err(t) => return t,
        };
        arg_tys.truncate(args.len());
        if let Some(entry) = b.entry {
            if let Some(t) = self.value_call(e, func, entry, args, &arg_tys) {
                return t;
            }
        }
        if b.entry.is_some_and(|e| e.family == super::builtins::Family::Quantifier) {
            return self.err(
                Diagnostic::at(
                    Code::BadArguments,
                    self.file,
                    e.span,
                    format!("`{}` needs a variable: `{}(x in xs: p)`", func.name, func.name),
                )
                .with_help(format!("e.g. `{}(d in datasets: d.versioned)`", func.name)),
            );
        }
        if args.len() != b.params.len() {
            return self.err(
                Diagnostic::at(
                    Code::BadArguments,
                    self.file,
                    e.span,
                    format!(
                        "`{}` takes {}, but {} given",
                        func.name,
                        counted(b.params.len(), "argument", "arguments"),
                        counted(args.len(), "was", "were")
                    ),
                )
                .with_help(format!("the signature is `{}`", b.signature())),
            );
        }
        let mut kpi = None;
        for ((arg, ty), (pname, pty)) in args.iter().zip(&arg_tys).zip(&b.params) {
            let ok = match pty.as_str() {
                "kpi" => {
                    if let Ty::Decl(Kind::Kpi, id) = ty {
                        kpi = *id;
                    }
                    matches!(ty, Ty::Decl(Kind::Kpi, _) | Ty::Any)
                }
                "duration" => matches!(ty, Ty::Dur | Ty::Any),
                "number" => matches!(self.as_number(ty.clone()), Ty::Num | Ty::Any),
                "bool" => is_condition(ty),
                t if t.starts_with('[') => matches!(ty, Ty::List(_) | Ty::Any),
                _ => true,
            };
            if !ok {
                self.diags.push(
                    Diagnostic::at(
                        Code::BadArguments,
                        self.file,
                        arg.span,
                        format!(
                            "`{}` expects `{pname}` to be {}, but this is {}",
                            func.name,
                            describe_param(pty),
                            ty.describe()
                        ),
                    )
                    .with_help(format!("the signature is `{}`", b.signature())),
                );
                return Ty::Any;
            }
        }
        for (arg, (_, pty)) in args.iter().zip(&b.params) {
            if pty == "duration" {
                self.negative_window(arg, &format!("`{}`", func.name));
            }
        }
        match b.ret.as_str() {
            // A window of a family is the list of its members' windows.
            "measure" | "number" if kpi.is_some_and(|id| self.model.is_family(id)) => {
                let one = match b.ret.as_str() {
                    "number" => Ty::Num,
                    _ => kpi.map_or(Ty::Any, |id| self.model.decl(id).measure_unit().ty()),
                };
                Ty::List(Box::new(one))
            }
            "measure" => kpi.map_or(Ty::Any, |id| self.model.decl(id).measure_unit().ty()),
            "number" => Ty::Num,
            "bool" => Ty::Bool,
            "duration" => Ty::Dur,
            "[role]" => Ty::List(Box::new(Ty::Decl(Kind::Role, None))),
            _ => Ty::Any,
        }
    }

    fn binary(&mut self, e: &Expr, op: BinOp, l: &Expr, r: &Expr) -> Ty {
        match op {
            BinOp::And | BinOp::Or => {
                for side in [l, r] {
                    let t = self.infer(side);
                    if !is_condition(&t) {
                        self.err(Diagnostic::at(
                            Code::BadOperand,
                            self.file,
                            side.span,
                            format!("`{}` needs conditions on both sides, but this is {}", op.as_str(), t.describe()),
                        ));
                    }
                }
                Ty::Bool
            }
            BinOp::In => {
                let lt = self.infer(l);
                let rt = self.scoped_list(&lt, r).unwrap_or_else(|| self.infer(r));
                match rt {
                    Ty::List(elem) => {
                        let identity = matches!(*elem, Ty::Decl(..));
                        let lt = if identity { lt } else { self.as_number(lt) };
                        if !compatible(&lt, &elem) {
                            self.mismatch(e, l, r, &lt, &Ty::List(elem.clone()), "look for");
                        } else if identity && matches!(lt, Ty::Decl(..)) {
                            self.data_independent(e, l, r, "in", &lt);
                        }
                    }
                    Ty::Any => {}
                    other => {
                        self.err(Diagnostic::at(
                            Code::BadOperand,
                            self.file,
                            r.span,
                            format!("`in` needs a list on its right, but this is {}", other.describe()),
                        ));
                    }
                }
                Ty::Bool
            }
            BinOp::Cmp(c) => {
                let (lt, rt) = self.comparands(l, r);
                let equality = matches!(c, CmpOp::Eq | CmpOp::Ne);
                let both_decls = matches!((&lt, &rt), (Ty::Decl(..), Ty::Decl(..)));
                let (lt, rt) = if equality && both_decls { (lt, rt) } else { (self.as_number(lt), self.as_number(rt)) };
                if !compatible(&lt, &rt) {
                    self.mismatch(e, l, r, &lt, &rt, "compare");
                } else if equality && both_decls {
                    self.data_independent(e, l, r, c.as_str(), &lt);
                } else if !equality && !ordered(&lt) {
                    self.err(Diagnostic::at(
                        Code::BadOperand,
                        self.file,
                        e.span,
                        format!(
                            "`{}` orders numbers, durations, money, dates and times, not {}",
                            c.as_str(),
                            plural(&lt)
                        ),
                    ));
                }
                Ty::Bool
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let lt = self.numeric(l);
                let rt = self.numeric(r);
                if lt == Ty::Any || rt == Ty::Any {
                    return Ty::Any;
                }
                let result = match (op, &lt, &rt) {
                    (BinOp::Add | BinOp::Sub, a, b)
                        if compatible(a, b) && matches!(a, Ty::Num | Ty::Dur | Ty::Money(_)) =>
                    {
                        Some(a.clone())
                    }
                    (BinOp::Add | BinOp::Sub, Ty::Date, Ty::Dur) => Some(Ty::Date),
                    (BinOp::Add, Ty::Dur, Ty::Date) => Some(Ty::Date),
                    (BinOp::Add | BinOp::Sub, Ty::Time, Ty::Dur) => Some(Ty::Time),
                    (BinOp::Add, Ty::Dur, Ty::Time) => Some(Ty::Time),
                    (BinOp::Sub, Ty::Date, Ty::Date) | (BinOp::Sub, Ty::Time, Ty::Time) => Some(Ty::Dur),
                    (BinOp::Mul, Ty::Num, b) if matches!(b, Ty::Num | Ty::Dur | Ty::Money(_)) => Some(b.clone()),
                    (BinOp::Mul, a, Ty::Num) if matches!(a, Ty::Dur | Ty::Money(_)) => Some(a.clone()),
                    (BinOp::Div, a, Ty::Num) if matches!(a, Ty::Num | Ty::Dur | Ty::Money(_)) => Some(a.clone()),
                    (BinOp::Div, a, b) if compatible(a, b) && matches!(a, Ty::Dur | Ty::Money(_)) => Some(Ty::Num),
                    _ => None,
                };
                match result {
                    Some(t) => t,
                    None => {
                        let verb = match op {
                            BinOp::Add => "add",
                            BinOp::Sub => "subtract",
                            BinOp::Mul => "multiply",
                            _ => "divide",
                        };
                        self.mismatch(e, l, r, &lt, &rt, verb);
                        Ty::Any
                    }
                }
            }
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

    /// `E0511` when an identity comparison has the same name on both sides
    /// (`gone == gone`, `gone in [gone, x]`): its outcome never depends on
    /// the data.
    fn data_independent(&mut self, e: &Expr, l: &Expr, r: &Expr, op: &str, lt: &Ty) {
        let Some(name) = bare_name(l) else { return };
        let same = match op {
            "in" => match &strip_parens(r).kind {
                ExprKind::List(items) => items.iter().any(|i| bare_name(i) == Some(name)),
                _ => false,
            },
            _ => bare_name(r) == Some(name),
        };
        if !same {
            return;
        }
        let kpi = matches!(lt, Ty::Decl(Kind::Kpi, _));
        let verdict = if op == "!=" { "false" } else { "true" };
        let subject = if kpi { "the KPI" } else { "the declaration" };
        let (shown, why) = match op {
            "in" => (format!("{name} in [...]"), format!("the list names {subject} `{name}`")),
            _ => (format!("{name} {op} {name}"), format!("both sides name {subject} `{name}`")),
        };
        let mut d = Diagnostic::at(
            Code::DataIndependentComparison,
            self.file,
            e.span,
            format!("`{shown}` is {verdict} whatever the data: {why}"),
        )
        .with_primary_label(format!("always {verdict}"));
        d = if kpi {
            d.with_help(format!(
                "`==`, `!=` and `in` between KPI names compare which KPI it is, not values; \
                 to require its target write `require {name}`, to read its value compare it with a number"
            ))
        } else {
            d.with_help("`==`, `!=` and `in` between declarations compare which declaration it is")
        };
        self.diags.push(d);
    }

    fn mismatch(&mut self, e: &Expr, l: &Expr, r: &Expr, lt: &Ty, rt: &Ty, verb: &str) {
        let message = match verb {
            "compare" => format!("cannot compare {} with {}", lt.describe(), rt.describe()),
            "look for" => format!("cannot look for {} in {}", lt.describe(), rt.describe()),
            "add" => format!("cannot add {} to {}", rt.describe(), lt.describe()),
            "subtract" => format!("cannot subtract {} from {}", rt.describe(), lt.describe()),
            v => format!("cannot {v} {} by {}", lt.describe(), rt.describe()),
        };
        let mut d = Diagnostic::at(Code::TypeMismatch, self.file, e.span, message)
            .with_label(FileSpan::new(self.file, l.span), format!("this is {}", lt.describe()))
            .with_label(FileSpan::new(self.file, r.span), format!("this is {}", rt.describe()));
        d.primary_label = "incompatible units".into();
        if let (Ty::Money(a), Ty::Money(b)) = (lt, rt) {
            d = d.with_help(format!("{a} and {b} are different currencies; compel never converts between them"));
        } else if matches!((lt, rt), (Ty::Dur, Ty::Num) | (Ty::Num, Ty::Dur)) {
            d = d.with_help("give the number a time unit, e.g. `250ms` or `7d`");
        } else if matches!(lt, Ty::List(_)) != matches!(rt, Ty::List(_)) {
            d = d.with_help(
                "a list (a KPI family is the list of its members' values) is compared through \
                 `min(xs)`, `max(xs)` or `all(x in xs: x >= ...)`",
            );
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

fn describe_param(t: &str) -> String {
    match t {
        "kpi" => "a KPI".into(),
        "duration" => "a duration such as `7d`".into(),
        "number" => "a number".into(),
        "bool" => "a condition".into(),
        t if t.starts_with('[') => "a list".into(),
        t => format!("`{t}`"),
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

/// `1 argument`, `2 arguments`, `0 arguments`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
