//! Operators typed: `and`/`or` over conditions, `in` over a list,
//! comparisons (identity between declarations, order between quantities)
//! and arithmetic with its unit rules; E0511 for an identity comparison
//! the data cannot decide, and the mismatch diagnostic with its help.

use super::super::schema::Kind;
use super::{bare_name, compatible, is_condition, ordered, plural, strip_parens, Ty, TypeCx};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::{BinOp, CmpOp, Expr, ExprKind};
use crate::text::FileSpan;

impl TypeCx<'_> {
    /// A binary operator's type.
    pub(super) fn binary(&mut self, e: &Expr, op: BinOp, l: &Expr, r: &Expr) -> Ty {
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
            BinOp::In => self.membership(e, l, r),
            BinOp::Cmp(c) => self.comparison(e, c, l, r),
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => self.arithmetic(e, op, l, r),
        }
    }

    /// `x in [a, b]`: the element's type against the list's.
    fn membership(&mut self, e: &Expr, l: &Expr, r: &Expr) -> Ty {
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

    /// `==` and `!=` between declarations compare identity; otherwise
    /// both sides are quantities of one dimension, ordered for `<` and
    /// the like.
    fn comparison(&mut self, e: &Expr, c: CmpOp, l: &Expr, r: &Expr) -> Ty {
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
                format!("`{}` orders numbers, durations, money, dates and times, not {}", c.as_str(), plural(&lt)),
            ));
        }
        Ty::Bool
    }

    /// `+ - * /` with their unit rules (a date plus a duration is a date,
    /// a duration over a duration is a number ...).
    fn arithmetic(&mut self, e: &Expr, op: BinOp, l: &Expr, r: &Expr) -> Ty {
        let lt = self.numeric(l);
        let rt = self.numeric(r);
        if lt == Ty::Any || rt == Ty::Any {
            return Ty::Any;
        }
        let result = match (op, &lt, &rt) {
            (BinOp::Add | BinOp::Sub, a, b) if compatible(a, b) && matches!(a, Ty::Num | Ty::Dur | Ty::Money(_)) => {
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
        result.unwrap_or_else(|| {
            let verb = match op {
                BinOp::Add => "add",
                BinOp::Sub => "subtract",
                BinOp::Mul => "multiply",
                _ => "divide",
            };
            self.mismatch(e, l, r, &lt, &rt, verb);
            Ty::Any
        })
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

    pub(super) fn mismatch(&mut self, e: &Expr, l: &Expr, r: &Expr, lt: &Ty, rt: &Ty, verb: &str) {
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
