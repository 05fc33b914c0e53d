//! Evaluation of the built-ins over values and lists (`abs`, `min`/`max`
//! of a list or two values, `sum`/`avg`/`spread` of a list) and of the
//! value quantifiers `sum(x in xs: e)` / `avg(x in xs: e)`.
//!
//! Exact and fail-closed: the values are exact rationals in their base
//! unit; a list function is undecided when any element is (the most
//! telling reason wins, as for `and`), and a statistic of an empty list is
//! `unknown` (an empty list has no smallest element, and no unit to give
//! its sum).

use super::super::builtins::{Builtin, Family, Lists, Quant, Stat};
use super::super::rational::Rational;
use super::super::schema::Kind;
use super::{arith, as_number, both, compare, eval_in, exact, Bindings, Env, Undecided, Value};
use crate::syntax::ast::{BinOp, CmpOp, Expr};

/// A call in one of the forms over values and lists, or `None` when the
/// call takes the entry's own signature (a window, a drift statistic).
pub(super) fn value_call(env: &Env, entry: &Builtin, vals: &[Value]) -> Option<Result<Value, Undecided>> {
    let first_is_kpi = matches!(vals.first(), Some(Value::Decl(id)) if env.model.decl(*id).kind == Kind::Kpi);
    let name = entry.name;
    Some(match (entry.family, entry.lists, vals) {
        (Family::Scalar, _, [v]) => as_number(env, v.clone()).and_then(|v| abs(name, v)),
        (_, Lists::Count, [v]) => match v {
            Value::List(items) => Ok(Value::Num(Rational::int(items.len() as i64))),
            other => Err(Undecided::Unknown(format!("cannot count `{}`", env.model.display_value(other)))),
        },
        (_, Lists::Aggregate | Lists::Extremum, [v]) => match v {
            Value::List(items) => numbers(env, items).and_then(|xs| stat_of(entry, &xs)),
            other => {
                Err(Undecided::Unknown(format!("`{name}` needs a list, not `{}`", env.model.display_value(other))))
            }
        },
        (_, Lists::Extremum, [a, b]) if !(first_is_kpi && matches!(b, Value::Dur(_))) => {
            both(as_number(env, a.clone()), as_number(env, b.clone())).and_then(|(a, b)| stat_of(entry, &[a, b]))
        }
        (Family::Scalar | Family::List, _, _) => Err(Undecided::Unknown(format!("`{name}` takes one argument"))),
        _ => return None,
    })
}

/// `sum(x in xs: e)` / `avg(x in xs: e)` over already evaluated elements.
pub(super) fn quantify(
    env: &Env,
    b: Option<&Bindings>,
    q: Quant,
    var: &str,
    items: Vec<Value>,
    body: &Expr,
) -> Result<Value, Undecided> {
    let mut xs = Vec::with_capacity(items.len());
    let mut undecided: Option<Undecided> = None;
    for item in items {
        let inner = Bindings { name: var, value: item, parent: b };
        match eval_in(env, Some(&inner), body).and_then(|v| as_number(env, v)) {
            Ok(v) => xs.push(v),
            Err(u) => undecided = Some(worse(undecided, u)),
        }
    }
    if let Some(u) = undecided {
        return Err(u);
    }
    let stat = if q == Quant::Sum { Stat::Sum } else { Stat::Avg };
    statistic(stat, if q == Quant::Sum { "sum" } else { "avg" }, &xs)
}

/// The more telling of two reasons (a mistake or a missing fact before
/// unknown data, unknown data before a deferral).
fn worse(a: Option<Undecided>, b: Undecided) -> Undecided {
    match a {
        None => b,
        Some(a) => match both(Err(a), Err(b)) {
            Err(u) => u,
            Ok(_) => unreachable!("two errors stay an error"),
        },
    }
}

/// The list's elements as values (a KPI is its latest value); undecided
/// when any element is.
fn numbers(env: &Env, items: &[Value]) -> Result<Vec<Value>, Undecided> {
    let mut out = Vec::with_capacity(items.len());
    let mut undecided: Option<Undecided> = None;
    for item in items {
        match as_number(env, item.clone()) {
            Ok(v) => out.push(v),
            Err(u) => undecided = Some(worse(undecided, u)),
        }
    }
    match undecided {
        Some(u) => Err(u),
        None => Ok(out),
    }
}

fn abs(name: &str, v: Value) -> Result<Value, Undecided> {
    let flip = |q: Rational| if q.is_negative() { exact(q.neg()) } else { Ok(q) };
    match v {
        Value::Num(q) => Ok(Value::Num(flip(q)?)),
        Value::Dur(q) => Ok(Value::Dur(flip(q)?)),
        Value::Money(q, c) => Ok(Value::Money(flip(q)?, c)),
        other => Err(Undecided::TypeError(format!("`{name}` needs a number, not `{other}`"))),
    }
}

/// The entry's statistic of `xs`, exactly.
fn stat_of(entry: &Builtin, xs: &[Value]) -> Result<Value, Undecided> {
    match entry.stat {
        Some(stat) => statistic(stat, entry.name, xs),
        None => Err(Undecided::Unknown(format!("`{}` is not a statistic of a list", entry.name))),
    }
}

/// A statistic of `xs` (`name` is the function, for messages).
fn statistic(stat: Stat, name: &str, xs: &[Value]) -> Result<Value, Undecided> {
    let Some((first, rest)) = xs.split_first() else {
        return Err(Undecided::Unknown(format!("`{name}` of an empty list has no value")));
    };
    let extreme = |keep: CmpOp| -> Result<Value, Undecided> {
        let mut best = first.clone();
        for x in rest {
            if compare(keep, x, &best)? {
                best = x.clone();
            }
        }
        Ok(best)
    };
    let total = || -> Result<Value, Undecided> {
        let mut acc = first.clone();
        for x in rest {
            acc = arith(BinOp::Add, acc, x.clone())?;
        }
        // One element is still checked for being a quantity.
        if rest.is_empty() {
            arith(BinOp::Add, acc.clone(), zero_like(&acc)?)?;
        }
        Ok(acc)
    };
    match stat {
        Stat::Min => extreme(CmpOp::Lt),
        Stat::Max => extreme(CmpOp::Gt),
        Stat::Sum => total(),
        Stat::Avg => arith(BinOp::Div, total()?, Value::Num(Rational::int(xs.len() as i64))),
        Stat::Spread => {
            let hi = extreme(CmpOp::Gt)?;
            let lo = extreme(CmpOp::Lt)?;
            let d = arith(BinOp::Sub, hi, lo)?;
            match d {
                Value::Num(_) | Value::Dur(_) | Value::Money(..) => Ok(d),
                other => Err(Undecided::TypeError(format!("the spread of dates is `{other}`, not a quantity"))),
            }
        }
    }
}

/// Zero in the unit of `v`, to check that `v` can be added.
fn zero_like(v: &Value) -> Result<Value, Undecided> {
    Ok(match v {
        Value::Num(_) => Value::Num(Rational::ZERO),
        Value::Dur(_) => Value::Dur(Rational::ZERO),
        Value::Money(_, c) => Value::Money(Rational::ZERO, c.clone()),
        other => return Err(Undecided::TypeError(format!("cannot add up `{other}`"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: i64, d: i64) -> Value {
        Value::Num(Rational::int(n).div(Rational::int(d)).unwrap())
    }

    fn stat(name: &str, xs: &[Value]) -> Result<Value, Undecided> {
        stat_of(super::super::super::builtins::lookup(name).unwrap(), xs)
    }

    #[test]
    fn statistics_are_exact() {
        let xs = [num(1, 10), num(2, 10), num(4, 10)];
        assert_eq!(stat("sum", &xs), Ok(num(7, 10)));
        assert_eq!(stat("avg", &xs), Ok(num(7, 30)));
        assert_eq!(stat("min", &xs), Ok(num(1, 10)));
        assert_eq!(stat("max", &xs), Ok(num(4, 10)));
        assert_eq!(stat("spread", &xs), Ok(num(3, 10)));
    }

    #[test]
    fn an_empty_list_is_unknown_and_units_must_agree() {
        assert!(matches!(stat("sum", &[]), Err(Undecided::Unknown(_))));
        assert!(matches!(stat("min", &[]), Err(Undecided::Unknown(_))));
        let mixed = [num(1, 1), Value::Dur(Rational::ONE)];
        assert!(matches!(stat("sum", &mixed), Err(Undecided::TypeError(_))));
        assert!(matches!(stat("max", &mixed), Err(Undecided::TypeError(_))));
        assert!(matches!(stat("sum", &[Value::Str("a".into())]), Err(Undecided::TypeError(_))));
        assert_eq!(abs("abs", num(-3, 4)), Ok(num(3, 4)));
    }
}
