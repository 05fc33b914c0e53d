//! Exact arithmetic and comparison of values with units: numbers,
//! durations, money of one currency, dates by whole days and times by
//! whole nanoseconds; a result that does not fit is `unknown`, never a
//! rounded one.

use super::super::rational::Rational;
use super::super::value::{nanos_to_secs, secs_to_nanos_ceil, secs_to_nanos_floor, Value};
use super::Undecided;
use crate::syntax::ast::{BinOp, CmpOp};

/// Arithmetic with units, exact. Dates move by whole days (a duration's
/// fraction of a day is dropped toward the past); times by whole
/// nanoseconds, likewise.
pub fn arith(op: BinOp, l: Value, r: Value) -> Result<Value, Undecided> {
    use Value::*;
    let bad =
        |l: &Value, r: &Value| Err(Undecided::TypeError(format!("cannot apply `{}` to `{l}` and `{r}`", op.as_str())));
    let day = Rational::int(86_400);
    Ok(match (op, &l, &r) {
        (BinOp::Add, Num(a), Num(b)) => Num(exact(a.add(*b))?),
        (BinOp::Sub, Num(a), Num(b)) => Num(exact(a.sub(*b))?),
        (BinOp::Mul, Num(a), Num(b)) => Num(exact(a.mul(*b))?),
        (BinOp::Div, Num(a), Num(b)) => div(*a, *b).map(Num)?,
        (BinOp::Add, Dur(a), Dur(b)) => Dur(exact(a.add(*b))?),
        (BinOp::Sub, Dur(a), Dur(b)) => Dur(exact(a.sub(*b))?),
        (BinOp::Mul, Dur(a), Num(b)) | (BinOp::Mul, Num(b), Dur(a)) => Dur(exact(a.mul(*b))?),
        (BinOp::Div, Dur(a), Num(b)) => div(*a, *b).map(Dur)?,
        (BinOp::Div, Dur(a), Dur(b)) => div(*a, *b).map(Num)?,
        (BinOp::Add, Money(a, c), Money(b, d)) if c == d => Money(exact(a.add(*b))?, c.clone()),
        (BinOp::Sub, Money(a, c), Money(b, d)) if c == d => Money(exact(a.sub(*b))?, c.clone()),
        (BinOp::Mul, Money(a, c), Num(b)) | (BinOp::Mul, Num(b), Money(a, c)) => Money(exact(a.mul(*b))?, c.clone()),
        (BinOp::Div, Money(a, c), Num(b)) => Money(div(*a, *b)?, c.clone()),
        (BinOp::Div, Money(a, c), Money(b, d)) if c == d => Num(div(*a, *b)?),
        (BinOp::Add, Date(d), Dur(s)) | (BinOp::Add, Dur(s), Date(d)) => {
            Date(days(exact(s.div(day))?.floor()).and_then(|n| d.checked_add(n)).ok_or_else(too_large)?)
        }
        (BinOp::Sub, Date(d), Dur(s)) => {
            Date(days(exact(s.div(day))?.ceil()).and_then(|n| d.checked_sub(n)).ok_or_else(too_large)?)
        }
        (BinOp::Sub, Date(a), Date(b)) => Dur(exact(Rational::int(a - b).mul(day))?),
        (BinOp::Add, Time(t), Dur(s)) | (BinOp::Add, Dur(s), Time(t)) => {
            Time(secs_to_nanos_floor(*s).and_then(|n| t.checked_add(n)).ok_or_else(too_large)?)
        }
        (BinOp::Sub, Time(t), Dur(s)) => {
            Time(secs_to_nanos_ceil(*s).and_then(|n| t.checked_sub(n)).ok_or_else(too_large)?)
        }
        (BinOp::Sub, Time(a), Time(b)) => Dur(nanos_to_secs(a.checked_sub(*b).ok_or_else(too_large)?)),
        _ => return bad(&l, &r),
    })
}

fn days(n: i128) -> Option<i64> {
    i64::try_from(n).ok()
}

pub(super) fn too_large() -> Undecided {
    Undecided::Unknown("the result is too large to compute exactly".into())
}

/// An exact result, or `unknown` when it does not fit (never a rounded one).
pub fn exact(q: Option<Rational>) -> Result<Rational, Undecided> {
    q.ok_or_else(too_large)
}

fn div(a: Rational, b: Rational) -> Result<Rational, Undecided> {
    if b.is_zero() {
        Err(Undecided::Unknown("division by zero".into()))
    } else {
        exact(a.div(b))
    }
}

/// Compares two values of one dimension. NaN never compares: it is unknown.
pub fn compare(op: CmpOp, l: &Value, r: &Value) -> Result<bool, Undecided> {
    use std::cmp::Ordering;
    use Value::*;
    let ord: Option<Ordering> = match (l, r) {
        (Num(a), Num(b)) | (Dur(a), Dur(b)) => Some(a.cmp(b)),
        (Money(a, c), Money(b, d)) if c == d => Some(a.cmp(b)),
        (Date(a), Date(b)) => Some(a.cmp(b)),
        (Time(a), Time(b)) => Some(a.cmp(b)),
        (Str(a), Str(b)) => Some(a.cmp(b)),
        (Bool(a), Bool(b)) => Some(a.cmp(b)),
        (Decl(a), Decl(b)) => {
            return match op {
                CmpOp::Eq => Ok(a == b),
                CmpOp::Ne => Ok(a != b),
                _ => Err(Undecided::Unknown("declarations have no order".into())),
            }
        }
        _ => None,
    };
    let Some(ord) = ord else {
        return Err(Undecided::TypeError(format!("cannot compare `{l}` with `{r}`")));
    };
    Ok(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    })
}
