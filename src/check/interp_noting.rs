//! Deciding a condition while noting the values of its parts that an
//! explanation shows, so that it need not evaluate them again.

use super::{as_bool, compared, eval_in, quantified, Env, Undecided};
use crate::check::value::Value;
use crate::syntax::ast::{BinOp, Expr, ExprKind};

/// Values of sub-expressions a [`truth_noting`] evaluation computed, by
/// the expression's address.
pub type Noted<'e> = Vec<(&'e Expr, Result<Value, Undecided>)>;

/// [`truth`], noting in `noted` the values it computed of `e` (a name or
/// a field), of `e`'s sides (a comparison or `in`) or of its list (a
/// quantifier), within parentheses: an explanation shows them without evaluating them again.
/// The same steps, reads and result as [`truth`].
pub fn truth_noting<'e>(env: &Env, e: &'e Expr, noted: &mut Noted<'e>) -> Result<bool, Undecided> {
    let v = eval_noting(env, e, noted)?;
    as_bool(env, v)
}

fn eval_noting<'e>(env: &Env, e: &'e Expr, noted: &mut Noted<'e>) -> Result<Value, Undecided> {
    let sides = |l: &'e Expr, r: &'e Expr, noted: &mut Noted<'e>| {
        let (lv, rv) = (eval_in(env, None, l), eval_in(env, None, r));
        noted.push((l, lv.clone()));
        noted.push((r, rv.clone()));
        (lv, rv)
    };
    match &e.kind {
        ExprKind::Paren(inner) => {
            env.budget.step()?;
            eval_noting(env, inner, noted)
        }
        ExprKind::Binary(BinOp::Cmp(c), l, r) => {
            env.budget.step()?;
            let (lv, rv) = sides(l, r, noted);
            compared(env, Some(*c), lv, rv)
        }
        ExprKind::Binary(BinOp::In, l, r) => {
            env.budget.step()?;
            let (lv, rv) = sides(l, r, noted);
            compared(env, None, lv, rv)
        }
        ExprKind::Quantifier { func, var, list, pred } => {
            env.budget.step()?;
            let items = eval_in(env, None, list);
            noted.push((list, items.clone()));
            quantified(env, None, func, var, items, pred)
        }
        ExprKind::Name(_) | ExprKind::Field(..) => {
            let v = eval_in(env, None, e);
            noted.push((e, v.clone()));
            v
        }
        _ => eval_in(env, None, e),
    }
}
