//! Types of the built-ins over values and lists: `abs(x)`, `min`/`max` of
//! a list or of two values, `sum`/`avg`/`spread` of a list, and the value
//! quantifiers `sum(x in xs: e)` / `avg(x in xs: e)`.
//!
//! The unit rule is one for all of them: the result has the unit of the
//! values (a KPI stands for its latest value in its own unit), and the
//! values must share one unit. A KPI followed by a duration is always a
//! window (`min(k, 7d)`), typed by the entry's signature as before.

use super::super::builtins::{Builtin, Family, Lists};
use super::super::schema::Kind;
use super::{compatible, plural, Ty, TypeCx};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::{Expr, ExprKind, Ident};

/// Whether values of this type can be added, ordered and averaged.
fn quantity(t: &Ty) -> bool {
    matches!(t, Ty::Num | Ty::Dur | Ty::Money(_) | Ty::Any)
}

impl TypeCx<'_> {
    /// The type of a call in one of the forms over values and lists, or
    /// `None` when the call takes the entry's own signature (a window, a
    /// drift statistic).
    pub(super) fn value_call(
        &mut self,
        e: &Expr,
        func: &Ident,
        entry: &'static Builtin,
        args: &[Expr],
        arg_tys: &[Ty],
    ) -> Option<Ty> {
        let first_is_kpi = matches!(arg_tys.first(), Some(Ty::Decl(Kind::Kpi, _)));
        let one = args.len() == 1;
        match (entry.family, entry.lists) {
            (Family::Scalar, _) if one => Some(self.scalar(func, &args[0], &arg_tys[0])),
            (Family::Scalar, _) => Some(self.forms_error(e, func, entry, "one number, duration or amount of money")),
            (_, Lists::Count) if one => Some(match &arg_tys[0] {
                Ty::List(_) | Ty::Any => Ty::Num,
                Ty::Decl(Kind::Kpi, Some(id)) if self.model.is_family(*id) => Ty::Num,
                other => self.forms_error(
                    e,
                    func,
                    entry,
                    &format!("a list, or a KPI and a window, but this is {}", other.describe()),
                ),
            }),
            (_, Lists::Aggregate | Lists::Extremum) if one => Some(self.list_arg(func, entry, &args[0], &arg_tys[0])),
            (_, Lists::Extremum) if args.len() == 2 && !(first_is_kpi && matches!(arg_tys[1], Ty::Dur | Ty::Any)) => {
                Some(self.pair(e, func, args, arg_tys))
            }
            (Family::List, _) => Some(self.forms_error(e, func, entry, "one list")),
            _ => None,
        }
    }

    /// The arguments without a last `offset D`, which must follow the KPI
    /// and window(s) of a window function or drift statistic and be a
    /// duration of at least 0; `Err` with the call's type after an error.
    pub(super) fn offset_arg<'e>(
        &mut self,
        e: &Expr,
        func: &Ident,
        entry: Option<&'static Builtin>,
        args: &'e [Expr],
        arg_tys: &[Ty],
    ) -> Result<&'e [Expr], Ty> {
        let misplaced = args.iter().position(|a| matches!(a.kind, ExprKind::Offset(_)));
        let Some(at) = misplaced else { return Ok(args) };
        let windowed = entry.is_some_and(|en| {
            let first_is_kpi = matches!(arg_tys.first(), Some(Ty::Decl(Kind::Kpi, _)) | Some(Ty::Any));
            (en.is_window_call(at, first_is_kpi) || (en.family == Family::Drift && at == 3)) && at == args.len() - 1
        });
        if !windowed {
            return Err(self.err(
                Diagnostic::at(
                    Code::BadArguments,
                    self.file,
                    args[at].span,
                    format!("`offset` does not apply here: `{}` takes no offset in this form", func.name),
                )
                .with_help("`offset D` is the last argument of a window function or a drift statistic: `avg(auc, 30d, offset 30d)`"),
            ));
        }
        let ExprKind::Offset(inner) = &args[at].kind else { return Ok(args) };
        if !matches!(arg_tys[at], Ty::Dur | Ty::Any) {
            return Err(self.err(
                Diagnostic::at(
                    Code::TypeMismatch,
                    self.file,
                    inner.span,
                    format!("`offset` needs a duration such as `30d`, but this is {}", arg_tys[at].describe()),
                )
                .with_help(format!("e.g. `{}(kpi, 30d, offset 30d)` reads `[now - 60d, now - 30d]`", func.name)),
            ));
        }
        self.negative_window(inner, "`offset`");
        let _ = e;
        Ok(&args[..at])
    }

    fn scalar(&mut self, func: &Ident, arg: &Expr, ty: &Ty) -> Ty {
        let t = self.as_number(ty.clone());
        if quantity(&t) {
            return t;
        }
        self.err(
            Diagnostic::at(
                Code::BadArguments,
                self.file,
                arg.span,
                format!("`{}` needs a number, a duration or money, but this is {}", func.name, t.describe()),
            )
            .with_help(format!("e.g. `{}(avg(auc, 7d) - 0.9)`", func.name)),
        )
    }

    /// `min(xs)`, `sum(xs)`, `spread(xs)` ...: the element type.
    fn list_arg(&mut self, func: &Ident, entry: &Builtin, arg: &Expr, ty: &Ty) -> Ty {
        // A family is the list of its members' values.
        let ty = &match ty {
            Ty::Decl(Kind::Kpi, Some(id)) if self.model.is_family(*id) => self.as_number(ty.clone()),
            t => t.clone(),
        };
        let elem = match ty {
            Ty::List(elem) => self.as_number((**elem).clone()),
            Ty::Any => return Ty::Any,
            Ty::Decl(Kind::Kpi, _) if entry.family == Family::Window => {
                return self.err(
                    Diagnostic::at(
                        Code::BadArguments,
                        self.file,
                        arg.span,
                        format!("`{}` of a KPI needs a window: the samples of which days?", func.name),
                    )
                    .with_help(format!(
                        "a window of a KPI is `{}({}, 7d)`; `{}` of one argument takes a list",
                        func.name,
                        self.src(arg),
                        func.name
                    )),
                );
            }
            other => {
                return self.err(
                    Diagnostic::at(
                        Code::BadArguments,
                        self.file,
                        arg.span,
                        format!("`{}` of one argument needs a list, but this is {}", func.name, other.describe()),
                    )
                    .with_help(format!("the forms are {}", forms(entry))),
                );
            }
        };
        let ordered_only = entry.lists == Lists::Extremum && matches!(elem, Ty::Date | Ty::Time);
        if quantity(&elem) || ordered_only {
            return elem;
        }
        self.err(
            Diagnostic::at(
                Code::BadArguments,
                self.file,
                arg.span,
                format!(
                    "`{}` needs a list of numbers, durations or money, but this is a list of {}",
                    func.name,
                    plural(&elem)
                ),
            )
            .with_help(format!("the forms are {}", forms(entry))),
        )
    }

    /// `min(a, b)`: two values of one unit.
    fn pair(&mut self, e: &Expr, func: &Ident, args: &[Expr], arg_tys: &[Ty]) -> Ty {
        let l = self.as_number(arg_tys[0].clone());
        let r = self.as_number(arg_tys[1].clone());
        let orderable = |t: &Ty| quantity(t) || matches!(t, Ty::Date | Ty::Time);
        if !compatible(&l, &r) {
            self.mismatch(e, &args[0], &args[1], &l, &r, "compare");
            return Ty::Any;
        }
        if !orderable(&l) || !orderable(&r) {
            let bad = if orderable(&l) { &r } else { &l };
            return self.err(Diagnostic::at(
                Code::BadArguments,
                self.file,
                e.span,
                format!("`{}` orders numbers, durations, money, dates and times, not {}", func.name, plural(bad)),
            ));
        }
        if l == Ty::Any {
            r
        } else {
            l
        }
    }

    fn forms_error(&mut self, e: &Expr, func: &Ident, entry: &Builtin, what: &str) -> Ty {
        self.err(
            Diagnostic::at(Code::BadArguments, self.file, e.span, format!("`{}` needs {what}", func.name))
                .with_help(format!("the forms are {}", forms(entry))),
        )
    }

    /// The type of a value quantifier's body (`sum(x in xs: e)`): a
    /// quantity, whose unit the result keeps.
    pub(super) fn quantity_body(&mut self, func: &Ident, body: &Expr) -> Ty {
        let t = self.numeric(body);
        if quantity(&t) {
            return t;
        }
        self.err(
            Diagnostic::at(
                Code::BadOperand,
                self.file,
                body.span,
                format!(
                    "`{}(x in xs: e)` adds up `e`, so it must be a number, a duration or money, but this is {}",
                    func.name,
                    t.describe()
                ),
            )
            .with_help(format!("e.g. `{}(k in kpis: k)`", func.name)),
        )
    }

    fn src(&self, e: &Expr) -> String {
        match &e.kind {
            crate::syntax::ast::ExprKind::Name(i) => i.name.clone(),
            _ => "kpi".into(),
        }
    }
}

/// The forms of a call, in words: "`min(kpi, 7d)`, `min(xs)` or `min(a, b)`".
fn forms(entry: &Builtin) -> String {
    let mut all = vec![format!("`{}`", entry.signature())];
    all.extend(entry.forms.iter().map(|f| format!("`{f}`")));
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => all.concat(),
    }
}
