//! Whether a changed bound is stricter, looser or of the same meaning.
//!
//! Bounds are compared as exact, typed values ([`Value`] holds rationals in
//! each dimension's base unit), so `250ms` and `0.25s` are the same bound
//! and `92%` is above `0.9`. A threshold is the set of values it accepts:
//! the change is stricter when the new set lies inside the old one, looser
//! when it contains it, the same when they are equal, and otherwise
//! changed (not proven either way).
//!
//! Two criteria of the same shape (the same expression with literals and
//! comparison operators left out) are compared leaf by leaf. Each literal
//! has a polarity: whether a larger value makes the criterion stricter
//! (`x >= 90%`: the bound), looser (`x <= 250ms`), or neither provably
//! (`x == 3`, a factor of a product). `and`, `or`, quantifiers and sums
//! keep the polarity, `not` and subtraction turn it around.

use std::cmp::Ordering;

use crate::check::interp;
use crate::check::value::Value;
use crate::syntax::ast::{BinOp, CmpOp, Expr, ExprKind, UnOp};

/// How a change moves a bound or a criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Accepts less than before.
    Stricter,
    /// The same meaning, written differently (`250ms` -> `0.25s`).
    Same,
    /// Accepts more than before.
    Looser,
    /// Different, and not proven stricter or looser.
    Changed,
    /// A fact reported for the reviewer, not a criterion (a declaration
    /// added or removed, a stage moved back).
    Info,
}

impl Class {
    /// The class as the reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Stricter => "stricter",
            Class::Same => "same",
            Class::Looser => "looser",
            Class::Changed => "changed",
            Class::Info => "info",
        }
    }

    /// Two moves together: the same direction stays, opposite ones are
    /// not proven either way; `Same` adds nothing.
    pub fn and(self, other: Class) -> Class {
        match (self, other) {
            (a, b) if a == b => a,
            (Class::Same, b) | (b, Class::Same) => b,
            (Class::Info, b) | (b, Class::Info) => b,
            _ => Class::Changed,
        }
    }
}

/// Orders two values of one dimension exactly; `None` across dimensions
/// (or currencies).
pub fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) | (Value::Dur(x), Value::Dur(y)) => Some(x.cmp(y)),
        (Value::Money(x, c), Value::Money(y, d)) if c == d => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) if x == y => Some(Ordering::Equal),
        (Value::Str(x), Value::Str(y)) if x == y => Some(Ordering::Equal),
        _ => None,
    }
}

/// How the set `{x : x new_op new}` relates to `{x : x old_op old}`:
/// stricter when it is inside, looser when it contains it.
pub fn threshold(old_op: CmpOp, old: &Value, new_op: CmpOp, new: &Value) -> Class {
    let Some(ord) = order(new, old) else { return Class::Changed };
    use CmpOp::*;
    // Lower bounds (`>=`, `>`): the set shrinks as the bound rises.
    let lower = |op: CmpOp| matches!(op, Ge | Gt);
    let upper = |op: CmpOp| matches!(op, Le | Lt);
    if old_op == new_op && ord == Ordering::Equal {
        return Class::Same;
    }
    if lower(old_op) && lower(new_op) {
        return match ord {
            Ordering::Greater => Class::Stricter,
            Ordering::Less => Class::Looser,
            // Same bound: `>` accepts less than `>=`.
            Ordering::Equal if new_op == Gt => Class::Stricter,
            Ordering::Equal => Class::Looser,
        };
    }
    if upper(old_op) && upper(new_op) {
        return match ord {
            Ordering::Less => Class::Stricter,
            Ordering::Greater => Class::Looser,
            Ordering::Equal if new_op == Lt => Class::Stricter,
            Ordering::Equal => Class::Looser,
        };
    }
    match (old_op, new_op) {
        // A single point inside the old range is stricter.
        (_, Eq) if accepts(old_op, old, new) => Class::Stricter,
        (Eq, _) if accepts(new_op, new, old) => Class::Looser,
        _ => Class::Changed,
    }
}

/// Whether `value op bound` holds.
fn accepts(op: CmpOp, bound: &Value, value: &Value) -> bool {
    let Some(ord) = order(value, bound) else { return false };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

/// The exact value of a literal expression (a number with its unit, money,
/// a date), or `None` for anything else.
pub fn literal_value(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Number { raw, unit, .. } => interp::literal(raw, *unit).ok(),
        ExprKind::Money { raw, currency, .. } => interp::decimal(raw).ok().map(|n| Value::Money(n, currency.clone())),
        ExprKind::Date(d) => Some(Value::Date(*d)),
        ExprKind::Paren(inner) => literal_value(inner),
        ExprKind::Unary(UnOp::Neg, inner) => match literal_value(inner)? {
            Value::Num(n) => n.neg().map(Value::Num),
            Value::Dur(n) => n.neg().map(Value::Dur),
            Value::Money(n, c) => n.neg().map(|n| Value::Money(n, c)),
            _ => None,
        },
        _ => None,
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Number { .. } | ExprKind::Money { .. } | ExprKind::Date(_))
        || matches!(&e.kind, ExprKind::Paren(i) | ExprKind::Unary(UnOp::Neg, i) if is_literal(i))
}

/// What a comparison bounds: its left side, or its right side when the
/// left is a literal (`x >= 92%` and `92% <= x` give `x`); `None` when `e`
/// is not a comparison.
pub fn compared(e: &Expr) -> Option<&Expr> {
    match &strip(e).kind {
        ExprKind::Binary(BinOp::Cmp(_), l, r) if is_literal(r) || !is_literal(l) => Some(strip(l)),
        ExprKind::Binary(BinOp::Cmp(_), _, r) => Some(strip(r)),
        _ => None,
    }
}

/// The shape of a criterion: its text with literals and comparison
/// operators replaced, so `x >= 92%` and `x > 0.9` have one shape.
pub fn shape(e: &Expr, text: &str) -> String {
    let mut out = String::new();
    shape_into(e, text, &mut out);
    out
}

fn shape_into(e: &Expr, text: &str, out: &mut String) {
    if is_literal(e) {
        out.push('#');
        return;
    }
    match &e.kind {
        ExprKind::Binary(op, l, r) => {
            out.push('(');
            shape_into(l, text, out);
            match op {
                BinOp::Cmp(_) => out.push_str(" ~ "),
                op => {
                    out.push(' ');
                    out.push_str(op.as_str());
                    out.push(' ');
                }
            }
            shape_into(r, text, out);
            out.push(')');
        }
        ExprKind::Paren(inner) => shape_into(inner, text, out),
        ExprKind::Unary(op, inner) => {
            out.push_str(if *op == UnOp::Not { "not " } else { "-" });
            shape_into(inner, text, out);
        }
        ExprKind::For(k, d) => {
            shape_into(k, text, out);
            out.push_str(" for ");
            shape_into(d, text, out);
        }
        ExprKind::Call(f, args) => {
            out.push_str(&f.name);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                shape_into(a, text, out);
            }
            out.push(')');
        }
        ExprKind::Quantifier { func, var, list, pred } => {
            out.push_str(&format!("{}({} in ", func.name, var.name));
            shape_into(list, text, out);
            out.push_str(": ");
            shape_into(pred, text, out);
            out.push(')');
        }
        ExprKind::List(items) => {
            out.push('[');
            for (i, a) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                shape_into(a, text, out);
            }
            out.push(']');
        }
        ExprKind::Field(base, f) => {
            shape_into(base, text, out);
            out.push('.');
            out.push_str(&f.name);
        }
        _ => out.push_str(&crate::eval::evaluate::source_text(text, e)),
    }
}

/// Compares two conditions of one [`shape`] (a criterion's: holding more
/// often is looser).
pub fn compare_exprs(old: &Expr, new: &Expr) -> Class {
    walk(old, new, Polarity::Looser)
}

/// Which way a larger value (or a condition holding more often) moves the
/// criterion.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Polarity {
    /// Larger (or holding more often) is stricter.
    Stricter,
    /// Larger (or holding more often) is looser.
    Looser,
    /// Not provable.
    Unknown,
}

impl Polarity {
    fn flip(self) -> Polarity {
        match self {
            Polarity::Stricter => Polarity::Looser,
            Polarity::Looser => Polarity::Stricter,
            Polarity::Unknown => Polarity::Unknown,
        }
    }
}

fn strip(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip(inner),
        _ => e,
    }
}

/// Puts a literal on the right: `92% <= x` is `x >= 92%`.
fn mirrored(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        op => op,
    }
}

/// `pol` says how the value of `old`/`new` moves the criterion.
fn walk(old: &Expr, new: &Expr, pol: Polarity) -> Class {
    let (old, new) = (strip(old), strip(new));
    if is_literal(old) && is_literal(new) {
        let (Some(a), Some(b)) = (literal_value(old), literal_value(new)) else { return Class::Changed };
        return match (order(&b, &a), pol) {
            (Some(Ordering::Equal), _) => Class::Same,
            (None, _) | (_, Polarity::Unknown) => Class::Changed,
            (Some(Ordering::Greater), Polarity::Stricter) | (Some(Ordering::Less), Polarity::Looser) => Class::Stricter,
            _ => Class::Looser,
        };
    }
    match (&old.kind, &new.kind) {
        (ExprKind::Binary(BinOp::Cmp(o1), l1, r1), ExprKind::Binary(BinOp::Cmp(o2), l2, r2)) => {
            compare_cmp((*o1, l1, r1), (*o2, l2, r2), pol)
        }
        (ExprKind::Binary(op1, l1, r1), ExprKind::Binary(op2, l2, r2)) if op1 == op2 => {
            let (lp, rp) = match op1 {
                BinOp::And | BinOp::Or | BinOp::Add => (pol, pol),
                BinOp::Sub => (pol, pol.flip()),
                _ => (Polarity::Unknown, Polarity::Unknown),
            };
            walk(l1, l2, lp).and(walk(r1, r2, rp))
        }
        (ExprKind::Unary(op1, a), ExprKind::Unary(op2, b)) if op1 == op2 => walk(a, b, pol.flip()),
        // `K for D`: a longer D asks more, so it is stricter when holding
        // more often is looser.
        (ExprKind::For(k1, d1), ExprKind::For(k2, d2)) => walk(k1, k2, pol).and(walk(d1, d2, pol.flip())),
        // `all`, `any` and `count` hold more often (or grow) as their
        // predicate does.
        (ExprKind::Quantifier { list: l1, pred: p1, .. }, ExprKind::Quantifier { list: l2, pred: p2, .. }) => {
            walk(l1, l2, Polarity::Unknown).and(walk(p1, p2, pol))
        }
        (ExprKind::Call(f1, a1), ExprKind::Call(_, a2)) => {
            let mut class = Class::Same;
            for (i, (x, y)) in a1.iter().zip(a2).enumerate() {
                class = class.and(walk(x, y, window_polarity(&f1.name, i, pol)));
            }
            class
        }
        (ExprKind::List(a), ExprKind::List(b)) => {
            a.iter().zip(b).fold(Class::Same, |c, (x, y)| c.and(walk(x, y, Polarity::Unknown)))
        }
        (ExprKind::Field(a, _), ExprKind::Field(b, _)) => walk(a, b, Polarity::Unknown),
        // Same shape, no literal: the same text.
        _ => Class::Same,
    }
}

/// The polarity of argument `i` of a call whose value has polarity `pol`:
/// the window of `min` (over more samples, a smaller minimum) and `max`,
/// `count` and `sum` of a non-negative series are monotone; others are not
/// proven.
fn window_polarity(func: &str, i: usize, pol: Polarity) -> Polarity {
    match (func, i) {
        ("min", 1) => pol.flip(),
        ("max", 1) | ("count", 1) => pol,
        _ => Polarity::Unknown,
    }
}

type Side<'a> = (CmpOp, &'a Expr, &'a Expr);

fn compare_cmp((o1, l1, r1): Side, (o2, l2, r2): Side, pol: Polarity) -> Class {
    // A condition holding more often is looser when `pol` is Looser; a
    // larger right side of `>=` makes it hold less often.
    let value_pol = |op: CmpOp, right: bool| -> Polarity {
        let larger_holds_less = match op {
            CmpOp::Ge | CmpOp::Gt => right,
            CmpOp::Le | CmpOp::Lt => !right,
            CmpOp::Eq | CmpOp::Ne => return Polarity::Unknown,
        };
        if larger_holds_less {
            pol.flip()
        } else {
            pol
        }
    };
    if o1 == o2 {
        return walk(l1, l2, value_pol(o1, false)).and(walk(r1, r2, value_pol(o1, true)));
    }
    // Different operators: a threshold against the same other side.
    let (op1, e1, b1, op2, e2, b2) = match (is_literal(r1) && is_literal(r2), is_literal(l1) && is_literal(l2)) {
        (true, _) => (o1, l1, r1, o2, l2, r2),
        (false, true) => (mirrored(o1), r1, l1, mirrored(o2), r2, l2),
        _ => return Class::Changed,
    };
    let (Some(a), Some(b)) = (literal_value(b1), literal_value(b2)) else { return Class::Changed };
    let sets = threshold(op1, &a, op2, &b);
    let sets = match pol {
        Polarity::Looser => sets,
        Polarity::Stricter => match sets {
            Class::Stricter => Class::Looser,
            Class::Looser => Class::Stricter,
            c => c,
        },
        Polarity::Unknown if sets == Class::Same => Class::Same,
        Polarity::Unknown => Class::Changed,
    };
    sets.and(walk(e1, e2, Polarity::Unknown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rational::Rational;

    fn num(s: &str) -> Value {
        Value::Num(Rational::parse_decimal(s).unwrap_or(Rational::ONE))
    }

    /// The class of changing the condition `old` into `new`.
    fn conditions(old: &str, new: &str) -> Class {
        let parse = |c: &str| {
            let text = format!("let x = {c}");
            let (file, diags) =
                crate::syntax::parse(crate::text::FileId(0), &text, crate::syntax::ParseLimits::default());
            assert!(diags.is_empty(), "{c}: {diags:?}");
            match file.items.into_iter().next() {
                Some(crate::syntax::ast::Item::Let(l)) => (l.value, text),
                other => panic!("{other:?}"),
            }
        };
        let ((a, ta), (b, tb)) = (parse(old), parse(new));
        assert_eq!(shape(&a, &ta), shape(&b, &tb), "one shape");
        compare_exprs(&a, &b)
    }

    #[test]
    fn polarity_follows_the_operators() {
        assert_eq!(conditions("x >= 92%", "x >= 90%"), Class::Looser);
        assert_eq!(conditions("92% <= x", "90% <= x"), Class::Looser);
        assert_eq!(conditions("not (x < 3)", "not (x < 2)"), Class::Looser);
        assert_eq!(conditions("x >= y - 3", "x >= y - 2"), Class::Stricter);
        assert_eq!(conditions("x >= y + 3", "x >= y + 2"), Class::Looser);
        assert_eq!(conditions("x >= y * 3", "x >= y * 2"), Class::Changed);
        assert_eq!(conditions("k for 7d and y < 2", "k for 3d and y < 1"), Class::Changed);
        assert_eq!(conditions("k for 7d or y < 2", "k for 14d or y < 1"), Class::Stricter);
        assert_eq!(conditions("min(k, 7d) >= 1", "min(k, 3d) >= 1"), Class::Looser);
        assert_eq!(conditions("max(k, 7d) >= 1", "max(k, 3d) >= 1"), Class::Stricter);
        assert_eq!(conditions("avg(k, 7d) >= 1", "avg(k, 3d) >= 1"), Class::Changed);
        assert_eq!(conditions("all(d in ds: d.n >= 2)", "all(d in ds: d.n >= 1)"), Class::Looser);
        assert_eq!(conditions("count(d in ds: d.n >= 2) >= 3", "count(d in ds: d.n >= 1) >= 3"), Class::Looser);
        assert_eq!(conditions("x == 3", "x == 4"), Class::Changed);
        assert_eq!(conditions("x <= 250ms", "x <= 0.25s"), Class::Same);
        assert_eq!(conditions("x >= 92%", "x > 92%"), Class::Stricter);
        assert_eq!(conditions("d > 2027-01-01", "d > 2026-01-01"), Class::Looser);
        assert_eq!(conditions("b <= 5 USD", "b <= 5 EUR"), Class::Changed);
    }

    #[test]
    fn thresholds_as_sets() {
        assert_eq!(threshold(CmpOp::Ge, &num("0.92"), CmpOp::Ge, &num("0.9")), Class::Looser);
        assert_eq!(threshold(CmpOp::Ge, &num("0.9"), CmpOp::Ge, &num("0.92")), Class::Stricter);
        assert_eq!(threshold(CmpOp::Ge, &num("0.9"), CmpOp::Gt, &num("0.9")), Class::Stricter);
        assert_eq!(threshold(CmpOp::Le, &num("0.25"), CmpOp::Le, &num("0.3")), Class::Looser);
        assert_eq!(threshold(CmpOp::Le, &num("0.25"), CmpOp::Ge, &num("0.3")), Class::Changed);
        assert_eq!(threshold(CmpOp::Le, &num("1"), CmpOp::Eq, &num("0.5")), Class::Stricter);
        assert_eq!(threshold(CmpOp::Le, &num("1"), CmpOp::Le, &num("1")), Class::Same);
    }
}
