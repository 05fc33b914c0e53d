//! A derived KPI (`value 0.6 * auc + 0.4 * precision`) as PromQL: its
//! recording rule is the formula over its inputs' values, each read as a
//! plain KPI is, `last_over_time(SELECTOR[max_age])` of exactly one series,
//! so a stale, missing or ambiguous input leaves the derived KPI without a
//! value, as in `eval`.
//!
//! - Units: each input's raw value is converted to its dimension's base
//!   unit (a ratio, seconds, an amount) exactly as `eval` does, the formula
//!   computed there, and the result converted to the derived KPI's unit.
//! - Freshness: a derived KPI's own `max_age`, when set, bounds how old
//!   its oldest input may be; so each input is read within the smaller of
//!   its own `max_age` and those of the derived KPIs above it.
//! - A value that is not finite (a division by zero, a NaN sample) is no
//!   value: `eval` makes it unknown, and the rule records nothing.
//! - Windows and `for` over a derived KPI are decided by compel serve (the
//!   union of the inputs' timestamps has no exact PromQL form).

use super::{number, prepare, Options};
use crate::check::interp::{self, Env};
use crate::check::rational::Rational;
use crate::check::value::Value;
use crate::check::{DeclId, MeasureUnit, Model, Symbol};
use crate::syntax::ast::{BinOp, Expr, ExprKind, UnOp};

/// The derived KPI's value in its raw unit, or why PromQL cannot hold it.
pub(super) fn value(model: &Model, id: DeclId, opts: &Options) -> Result<String, String> {
    if model.derived_inputs(id).is_empty() {
        return Err("a derived KPI that reads no KPI is decided by compel serve".into());
    }
    let base = base_value(model, id, opts, None, 0)?;
    let raw = from_base(&model.decl(id).measure_unit(), &base);
    // Not finite (a division by zero, NaN): no value, as `eval`'s unknown.
    Ok(format!("({raw} and on() (abs({raw}) < Inf))"))
}

/// The smaller of two optional limits.
fn tighter(a: Option<Rational>, b: Option<Rational>) -> Option<Rational> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if x < y { x } else { y }),
        (x, y) => x.or(y),
    }
}

fn own_max_age(model: &Model, id: DeclId) -> Option<Rational> {
    match model.decl(id).value("max_age") {
        Some(Value::Dur(s)) => Some(*s),
        _ => None,
    }
}

/// A KPI's value in its dimension's base unit, read within `limit`.
fn base_value(
    model: &Model,
    id: DeclId,
    opts: &Options,
    limit: Option<Rational>,
    depth: u32,
) -> Result<String, String> {
    let d = model.decl(id);
    if depth > 32 {
        return Err("derived KPIs nest too deep".into());
    }
    if model.is_derived(id) {
        let Some(formula) = model.derived_formula(id) else {
            return Err(format!("the `value` of `{}` did not check", d.name));
        };
        let limit = tighter(limit, own_max_age(model, id));
        return formula_promql(model, d.file, formula, opts, limit, depth);
    }
    let k = prepare(model, id, opts).map_err(|r| format!("its input `{}` cannot be compiled: {r}", d.name))?;
    let age = match limit {
        Some(l) if l < k.max_age => super::duration(l).ok_or("a `max_age` is not a whole number of milliseconds")?,
        _ => k.age.clone(),
    };
    let x = format!("last_over_time({}[{age}])", k.selector);
    let raw = format!("(max({x}) and on() (count({x}) == 1))");
    Ok(to_base(&k.unit, &raw))
}

/// A raw value in `unit` converted to its base unit.
fn to_base(unit: &MeasureUnit, raw: &str) -> String {
    match unit {
        MeasureUnit::Percent => format!("({raw} / 100)"),
        MeasureUnit::Time(f, _) if *f != Rational::ONE => format!("({raw} * {})", number(*f)),
        _ => raw.to_string(),
    }
}

/// A base value converted to `unit`'s raw numbers.
fn from_base(unit: &MeasureUnit, base: &str) -> String {
    match unit {
        MeasureUnit::Percent => format!("({base} * 100)"),
        MeasureUnit::Time(f, _) if *f != Rational::ONE => format!("({base} / {})", number(*f)),
        _ => base.to_string(),
    }
}

/// A constant's base value as a PromQL number.
fn constant(model: &Model, file: crate::text::FileId, e: &Expr) -> Result<String, String> {
    let v = interp::eval(&Env::constant(model, file), e).map_err(|_| "a constant of the formula cannot be computed")?;
    match v {
        Value::Num(q) | Value::Dur(q) | Value::Money(q, _) => Ok(number(q)),
        _ => Err("a constant of the formula is not a quantity".into()),
    }
}

/// Whether `e` reads no KPI (a constant).
fn is_constant(model: &Model, file: crate::text::FileId, e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number { .. } | ExprKind::Money { .. } => true,
        ExprKind::Name(i) => matches!(model.lookup(file, &i.name), Some(Symbol::Let(_))),
        ExprKind::Paren(x) | ExprKind::Unary(_, x) => is_constant(model, file, x),
        ExprKind::Binary(_, l, r) => is_constant(model, file, l) && is_constant(model, file, r),
        ExprKind::Call(_, args) => args.iter().all(|a| is_constant(model, file, a)),
        _ => false,
    }
}

fn formula_promql(
    model: &Model,
    file: crate::text::FileId,
    e: &Expr,
    opts: &Options,
    limit: Option<Rational>,
    depth: u32,
) -> Result<String, String> {
    if is_constant(model, file, e) {
        return constant(model, file, e);
    }
    let go = |x: &Expr| formula_promql(model, file, x, opts, limit, depth);
    match &e.kind {
        ExprKind::Paren(x) => go(x),
        ExprKind::Unary(UnOp::Neg, x) => Ok(format!("(-{})", go(x)?)),
        ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div), l, r) => {
            Ok(format!("({} {} {})", go(l)?, op.as_str(), go(r)?))
        }
        ExprKind::Name(i) => match model.lookup(file, &i.name) {
            Some(Symbol::Decl(k)) => base_value(model, k, opts, limit, depth + 1),
            _ => Err(format!("`{}` is not a KPI", i.name)),
        },
        ExprKind::Call(f, args) if f.name == "abs" && args.len() == 1 => Ok(format!("abs({})", go(&args[0])?)),
        ExprKind::Call(f, args) if (f.name == "min" || f.name == "max") && args.len() == 2 => {
            // Both sides as vectors without labels: the smaller (larger)
            // one's value, nothing when either side has none.
            let side = |x: &Expr| -> Result<String, String> {
                if is_constant(model, file, x) {
                    Ok(format!("vector({})", constant(model, file, x)?))
                } else {
                    go(x)
                }
            };
            let (a, b) = (side(&args[0])?, side(&args[1])?);
            let (first, second) = if f.name == "min" { ("<=", "<") } else { (">=", ">") };
            Ok(format!("(({a} {first} {b}) or ({b} {second} {a}))"))
        }
        _ => Err("its formula has no PromQL form".into()),
    }
}
