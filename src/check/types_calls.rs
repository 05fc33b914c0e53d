//! Calls of built-in functions typed against their signatures: the
//! function resolved (did-you-mean), `offset D`, the forms over values and
//! lists, arity, each argument's type, windows that cannot be negative,
//! and the result's type (a family's window is a list).

use super::super::builtins::Family;
use super::super::schema::Kind;
use super::super::{BuiltinDef, DeclId};
use super::{fix, is_condition, Reference, Symbol, Target, Ty, TypeCx};
use crate::diag::{self, Code, Diagnostic};
use crate::syntax::ast::{Expr, Ident};
use crate::text::FileSpan;

impl TypeCx<'_> {
    /// A call of a built-in: its arguments checked against the signature
    /// (or one of the forms over values and lists), its result typed.
    pub(super) fn call(&mut self, e: &Expr, func: &Ident, args: &[Expr]) -> Ty {
        let Some(Symbol::Builtin(bi)) = self.model.lookup(self.file, &func.name) else {
            return self.unknown_function(func, args);
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
        if b.entry.is_some_and(|e| e.family == Family::Quantifier) {
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
        let kpi = match self.signature_args(func, b, args, &arg_tys) {
            Ok(kpi) => kpi,
            Err(t) => return t,
        };
        for (arg, (_, pty)) in args.iter().zip(&b.params) {
            if pty == "duration" {
                self.negative_window(arg, &format!("`{}`", func.name));
            }
        }
        self.signature_result(b, kpi)
    }

    /// `E0301` for a call of a function that does not exist; its arguments
    /// are typed all the same.
    fn unknown_function(&mut self, func: &Ident, args: &[Expr]) -> Ty {
        let names: Vec<&str> = self.model.builtins.iter().map(|b| b.name.as_str()).collect();
        let mut d =
            Diagnostic::at(Code::UnknownName, self.file, func.span, format!("unknown function `{}`", func.name));
        if let Some(s) = diag::did_you_mean(&func.name, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(fix(self.file, func.span, s));
        }
        for a in args {
            self.infer(a);
        }
        self.err(d)
    }

    /// Each argument against its parameter's type as the signature writes
    /// it; the KPI argument, if any. `Err` once one does not fit (reported).
    fn signature_args(
        &mut self,
        func: &Ident,
        b: &BuiltinDef,
        args: &[Expr],
        arg_tys: &[Ty],
    ) -> Result<Option<DeclId>, Ty> {
        let mut kpi = None;
        for ((arg, ty), (pname, pty)) in args.iter().zip(arg_tys).zip(&b.params) {
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
                return Err(Ty::Any);
            }
        }
        Ok(kpi)
    }

    /// The result type the signature writes, in the KPI argument's unit
    /// for a `measure`.
    fn signature_result(&self, b: &BuiltinDef, kpi: Option<DeclId>) -> Ty {
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

/// `1 argument`, `2 arguments`, `0 arguments`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
