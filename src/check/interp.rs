//! The expression interpreter, shared by the checker and the evaluator.
//!
//! At check time there is no clock and no metric: anything that needs
//! `today`, `now` or a KPI's data comes back [`Undecided::Deferred`] and is
//! left to `compel eval`. At eval time the host supplies `now` and a
//! [`Metrics`] implementation. Logic is three-valued: `false and X` is
//! `false` and `true or X` is `true` whatever X is, so a decided criterion
//! never waits on data it does not need; otherwise an undecided operand
//! makes the result undecided, never a pass.
//!
//! Evaluation always terminates: expressions are trees, quantifiers iterate
//! over finite lists, `let`s cannot refer to themselves (their values are
//! computed once, in order), and nothing here performs I/O.
//!
//! It is also bounded in time: terminating is not enough when nested
//! quantifiers multiply long lists (`all(a in xs: all(b in xs: all(c in xs:
//! ...)))` over 10,000 elements is 10^12 steps), or when a chain of `let`s
//! that need the clock doubles at each link (`let b = a + a`, `let c = b +
//! b` ...: a `let` that only `eval` can decide is computed where it is
//! used). Every expression node evaluated takes one step from the model's
//! [`Budget`]: [`MAX_EVAL_STEPS`] for one `compel check`,
//! [`MAX_EVAL_STEPS_EVAL`] for one `compel eval` (or one `test` block),
//! plus [`STEPS_PER_DECL`] (three times as many for eval) for every
//! declaration, so work that grows linearly with the project always fits
//! and only work that grows faster than the input runs out ([`step_limit`]). Once
//! it is spent, whatever is left is [`Undecided::Unknown`] with
//! [`Budget::message`] as the reason (fail-closed: it blocks), and `compel
//! check` reports `E0103` where it ran out.

use std::cell::Cell;

#[path = "interp_arith.rs"]
mod arith;
#[path = "interp_budget.rs"]
mod budget;
#[path = "interp_families.rs"]
mod families;
#[path = "interp_governance.rs"]
mod governance;
#[path = "interp_lists.rs"]
mod lists;
#[path = "interp_noting.rs"]
mod noting;

pub use arith::{arith, compare, exact};
pub use budget::{step_limit, Budget, MAX_EVAL_STEPS, MAX_EVAL_STEPS_EVAL, STEPS_PER_DECL};
pub use governance::executive_roles;
pub use noting::{truth_noting, Noted};

use super::builtins::Family;
use super::rational::Rational;
use super::schema::Kind;
use super::value::{fmt_num, Value, HUNDRED, MS, NANOS_PER_SEC};
use super::{DeclId, Model, Symbol};
use crate::diag::Code;
use crate::syntax::ast::{BinOp, CmpOp, Expr, ExprKind, Ident, LitUnit, UnOp};
use crate::text::{FileId, FileSpan};
use arith::too_large;
use governance::{applies, scoped, seen_evidence};

/// Why an expression has no value (yet).
#[derive(Clone, Debug, PartialEq)]
pub enum Undecided {
    /// Needs what only `eval` has: `today`, `now` or metrics.
    Deferred(&'static str),
    /// Reads an attribute the declaration does not set.
    Absent {
        /// The declaration.
        decl: DeclId,
        /// The attribute.
        attr: String,
    },
    /// The data cannot decide it (missing series, stale data, NaN ...).
    Unknown(String),
    /// Values of incompatible units met (USD against EUR): only possible
    /// where the static types were not precise, e.g. a policy's `budget`.
    TypeError(String),
    /// A mistake in the policy that shows only with a subject's facts: a
    /// field read from a value that is not a declaration (`owner.role`
    /// where this subject's `owner` is a string, `E0505`), a window that
    /// comes out negative (`E0510`). `compel check` reports it with `code`.
    Mistake {
        /// The diagnostic code.
        code: Code,
        /// The expression at fault.
        at: FileSpan,
        /// Why, in words.
        reason: String,
    },
}

/// Where a KPI stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KpiState {
    /// Meets the target, outside the warn band.
    Met,
    /// Meets the target, inside the warn band.
    AtRisk,
    /// Misses the target.
    Missed,
}

/// What the evaluator knows about metrics. Implementations record the
/// evidence they use.
pub trait Metrics {
    /// The KPI's status against its target and warn thresholds.
    fn status(&self, kpi: DeclId) -> Result<KpiState, Undecided>;
    /// The KPI's latest value, converted from its unit.
    fn latest(&self, kpi: DeclId) -> Result<Value, Undecided>;
    /// A window function (`avg`, `p95`, `count` ...) over `[now - window, now]`.
    /// A window function over `[now - offset - window, now - offset]`.
    fn window(&self, kpi: DeclId, func: &str, window_secs: Rational, offset_secs: Rational)
        -> Result<Value, Undecided>;
    /// A drift statistic (`psi`, `ks`, `wasserstein`) between the current
    /// window and the reference window before it (floating point, as
    /// SciPy computes it).
    /// ... with both windows `offset` earlier.
    fn drift(
        &self,
        kpi: DeclId,
        func: &str,
        current_secs: Rational,
        reference_secs: Rational,
        offset_secs: Rational,
    ) -> Result<f64, Undecided>;
    /// `KPI for D`: whether the target held at every instant of the last
    /// `secs` (`AtRisk` when the value in effect at `now` is in the warn
    /// band).
    fn held_for(&self, kpi: DeclId, secs: Rational) -> Result<KpiState, Undecided>;
}

/// The evaluation environment.
pub struct Env<'a> {
    /// The model.
    pub model: &'a Model,
    /// The file whose scope names resolve in.
    pub file: FileId,
    /// The subject whose attributes are in scope.
    pub subject: Option<DeclId>,
    /// `now`, nanoseconds since the epoch, when known.
    pub now: Option<i64>,
    /// Metrics, when evaluating for real.
    pub metrics: Option<&'a dyn Metrics>,
    /// Set when a KPI used as a condition was at risk.
    pub at_risk: Cell<bool>,
    /// How many `let`s deep the evaluation is.
    pub let_depth: Cell<u32>,
    /// The steps this evaluation may take: the model's, except where an
    /// evaluation runs beside another over the same model with its own.
    pub budget: &'a Budget,
    /// Set when the evaluation read the clock or metrics, which `compel
    /// check` has not: one that did not decides as the check decides
    /// (given the steps it takes).
    pub touched: Cell<bool>,
}

impl<'a> Env<'a> {
    /// An environment for constants: no subject, no clock, no metrics.
    pub fn constant(model: &'a Model, file: FileId) -> Env<'a> {
        Env {
            model,
            file,
            subject: None,
            now: None,
            metrics: None,
            at_risk: Cell::new(false),
            let_depth: Cell::new(0),
            budget: &model.budget,
            touched: Cell::new(false),
        }
    }

    /// `now`, or `what` deferred to eval when there is no clock.
    fn clock(&self, what: &'static str) -> Result<i64, Undecided> {
        let now = self.now.ok_or(Undecided::Deferred(what))?;
        self.touched.set(true);
        Ok(now)
    }

    /// The metrics, or deferred to eval when there are none.
    fn metered(&self) -> Result<&'a dyn Metrics, Undecided> {
        let m = self.metrics.ok_or(Undecided::Deferred("metrics"))?;
        self.touched.set(true);
        Ok(m)
    }
}

/// Variables bound by quantifiers, innermost first.
struct Bindings<'b> {
    name: &'b str,
    value: Value,
    parent: Option<&'b Bindings<'b>>,
}

impl Bindings<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        if self.name == name {
            Some(&self.value)
        } else {
            self.parent.and_then(|p| p.get(name))
        }
    }
}

/// Evaluates an expression to a value.
pub fn eval(env: &Env, e: &Expr) -> Result<Value, Undecided> {
    eval_in(env, None, e)
}

/// Evaluates a condition: a bare KPI means "its target is met".
pub fn truth(env: &Env, e: &Expr) -> Result<bool, Undecided> {
    truth_in(env, None, e)
}

/// Evaluates a condition with quantifier variables bound, outermost first:
/// explanations re-read a quantifier's predicate element by element to
/// name the elements that decided it.
pub fn truth_bound(env: &Env, bound: &[(&str, Value)], e: &Expr) -> Result<bool, Undecided> {
    with_bound(bound, None, &mut |b| truth_in(env, b, e))
}

/// Evaluates an expression with quantifier variables bound, outermost
/// first (see [`truth_bound`]).
pub fn eval_bound(env: &Env, bound: &[(&str, Value)], e: &Expr) -> Result<Value, Undecided> {
    with_bound(bound, None, &mut |b| eval_in(env, b, e))
}

fn with_bound<R>(bound: &[(&str, Value)], parent: Option<&Bindings>, f: &mut dyn FnMut(Option<&Bindings>) -> R) -> R {
    match bound.split_first() {
        None => f(parent),
        Some(((name, value), rest)) => {
            let b = Bindings { name, value: value.clone(), parent };
            with_bound(rest, Some(&b), f)
        }
    }
}

fn truth_in(env: &Env, b: Option<&Bindings>, e: &Expr) -> Result<bool, Undecided> {
    let v = eval_in(env, b, e)?;
    as_bool(env, v)
}

fn as_bool(env: &Env, v: Value) -> Result<bool, Undecided> {
    match v {
        Value::Bool(b) => Ok(b),
        Value::Decl(id) if env.model.decl(id).kind == Kind::Kpi => {
            let m = env.metered()?;
            let state =
                if env.model.is_family(id) { families::all_members(env, id, &|k| m.status(k))? } else { m.status(id)? };
            match state {
                KpiState::Met => Ok(true),
                KpiState::AtRisk => {
                    env.at_risk.set(true);
                    Ok(true)
                }
                KpiState::Missed => Ok(false),
            }
        }
        other => Err(Undecided::Unknown(format!("`{}` is not a condition", env.model.display_value(&other)))),
    }
}

/// A KPI used as a number is its latest value.
fn as_number(env: &Env, v: Value) -> Result<Value, Undecided> {
    match v {
        Value::Decl(id) if env.model.is_family(id) => families::values(env, id),
        Value::Decl(id) if env.model.decl(id).kind == Kind::Kpi => {
            let m = env.metered()?;
            m.latest(id)
        }
        v => Ok(v),
    }
}

fn eval_in(env: &Env, b: Option<&Bindings>, e: &Expr) -> Result<Value, Undecided> {
    env.budget.step()?;
    Ok(match &e.kind {
        ExprKind::Number { raw, unit, .. } => literal(raw, *unit)?,
        ExprKind::Money { raw, currency, .. } => Value::Money(decimal(raw)?, currency.clone()),
        ExprKind::Str(s) => Value::Str(s.clone()),
        ExprKind::Bool(v) => Value::Bool(*v),
        ExprKind::Date(d) => Value::Date(*d),
        ExprKind::DateTime(t) => Value::Time(t.checked_mul(NANOS_PER_SEC).ok_or_else(too_large)?),
        ExprKind::Today => Value::Date(env.clock("today")?.div_euclid(NANOS_PER_SEC * 86_400)),
        ExprKind::Now => Value::Time(env.clock("now")?),
        ExprKind::Paren(inner) | ExprKind::Offset(inner) => eval_in(env, b, inner)?,
        ExprKind::List(items) => Value::List(items.iter().map(|i| eval_in(env, b, i)).collect::<Result<_, _>>()?),
        ExprKind::Name(ident) => match scoped(env, ident.span) {
            Some(v) => v,
            None => name(env, b, ident)?,
        },
        ExprKind::Field(base, field) => field_of(env, b, e, base, field)?,
        ExprKind::Call(func, args) => call(env, b, &func.name, args)?,
        ExprKind::Quantifier { func, var, list, pred } => quantifier(env, b, func, var, list, pred)?,
        ExprKind::Unary(UnOp::Not, inner) => Value::Bool(!truth_in(env, b, inner)?),
        ExprKind::Unary(UnOp::Neg, inner) => match as_number(env, eval_in(env, b, inner)?)? {
            Value::Num(n) => Value::Num(exact(n.neg())?),
            Value::Dur(n) => Value::Dur(exact(n.neg())?),
            Value::Money(n, c) => Value::Money(exact(n.neg())?, c),
            other => return Err(Undecided::Unknown(format!("cannot negate `{other}`"))),
        },
        ExprKind::For(kpi, dur) => held_for(env, b, kpi, dur)?,
        ExprKind::Binary(op, l, r) => binary(env, b, *op, l, r)?,
    })
}

/// `base.field`: an attribute of the declaration `base` is.
fn field_of(env: &Env, b: Option<&Bindings>, e: &Expr, base: &Expr, field: &Ident) -> Result<Value, Undecided> {
    match eval_in(env, b, base)? {
        Value::Decl(id) => {
            applies(env, id, field)?;
            attribute(env, id, &field.name)
        }
        other => Err(Undecided::Mistake {
            code: Code::NoSuchField,
            at: FileSpan::new(env.file, e.span),
            reason: format!(
                "`{}` is {}, so it has no attribute `{}`",
                env.model.display_value(&other),
                super::types::value_ty(&other).describe(),
                field.name
            ),
        }),
    }
}

/// `all`, `any` and `count` of `var in list: pred` (`sum` and `avg` are
/// the list forms'): three-valued, short-circuiting on a deciding element;
/// of the undecided elements a mistake in the policy is reported first.
fn quantifier(
    env: &Env,
    b: Option<&Bindings>,
    func: &Ident,
    var: &Ident,
    list: &Expr,
    pred: &Expr,
) -> Result<Value, Undecided> {
    quantified(env, b, func, var, eval_in(env, b, list), pred)
}

/// [`quantifier`] over its list evaluated (`list`).
fn quantified(
    env: &Env,
    b: Option<&Bindings>,
    func: &Ident,
    var: &Ident,
    list: Result<Value, Undecided>,
    pred: &Expr,
) -> Result<Value, Undecided> {
    let items = match list? {
        Value::List(items) => items,
        // Over a family: its members.
        Value::Decl(f) if env.model.is_family(f) => families::members(env, f)?.into_iter().map(Value::Decl).collect(),
        other => return Err(Undecided::Unknown(format!("`{}` is not a list", env.model.display_value(&other)))),
    };
    if let Some(q) = super::builtins::lookup(&func.name).and_then(|e| e.quantifier).filter(|q| !q.tests()) {
        return lists::quantify(env, b, q, &var.name, items, pred);
    }
    let mut undecided = None;
    let mut count = 0usize;
    for item in items {
        let inner = Bindings { name: &var.name, value: item, parent: b };
        match truth_in(env, Some(&inner), pred) {
            Ok(true) => {
                count += 1;
                if func.name == "any" {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(false) => {
                if func.name == "all" {
                    return Ok(Value::Bool(false));
                }
            }
            Err(u) => {
                let mistake = |u: &Undecided| matches!(u, Undecided::Mistake { .. });
                if undecided.as_ref().is_none_or(|v| mistake(&u) && !mistake(v)) {
                    undecided = Some(u);
                }
            }
        }
    }
    if let Some(u) = undecided {
        return Err(u);
    }
    Ok(match func.name.as_str() {
        "all" => Value::Bool(true),
        "any" => Value::Bool(false),
        _ => Value::Num(Rational::int(count as i64)),
    })
}

/// `KPI for D`: the KPI (every member of a family) met its target
/// throughout the last `D`.
fn held_for(env: &Env, b: Option<&Bindings>, kpi: &Expr, dur: &Expr) -> Result<Value, Undecided> {
    let k = eval_in(env, b, kpi)?;
    let d = eval_in(env, b, dur)?;
    match (k, d) {
        (Value::Decl(id), Value::Dur(secs)) if env.model.decl(id).kind == Kind::Kpi => {
            if secs.is_negative() {
                return Err(negative_window(env, dur, secs));
            }
            let m = env.metered()?;
            let state = if env.model.is_family(id) {
                families::all_members(env, id, &|k| m.held_for(k, secs))?
            } else {
                m.held_for(id, secs)?
            };
            Ok(match state {
                KpiState::Met => Value::Bool(true),
                KpiState::AtRisk => {
                    env.at_risk.set(true);
                    Value::Bool(true)
                }
                KpiState::Missed => Value::Bool(false),
            })
        }
        _ => Err(Undecided::Unknown("`for` needs a KPI and a duration".into())),
    }
}

/// The exact value of a number literal as written (`4.1`, `92` of `92%`).
pub fn decimal(raw: &str) -> Result<Rational, Undecided> {
    Rational::parse_decimal(raw)
        .ok_or_else(|| Undecided::Unknown(format!("`{raw}` is too large or too precise to compute exactly")))
}

/// A number literal with its unit, exactly: `92%` is `23/25`, `4.1m` is
/// `246` seconds.
pub fn literal(raw: &str, unit: Option<LitUnit>) -> Result<Value, Undecided> {
    let n = decimal(raw)?;
    Ok(match unit {
        None => Value::Num(n),
        // `n / 100`, reduced once (the general division where that would
        // not fit).
        Some(LitUnit::Percent) => Value::Num(exact(
            n.denom().checked_mul(100).and_then(|d| Rational::new(n.numer(), d)).or_else(|| n.div(HUNDRED)),
        )?),
        Some(u) => Value::Dur(exact(n.mul(unit_seconds(u)))?),
    })
}

/// Seconds in one of a literal's time unit, exactly.
pub fn unit_seconds(u: LitUnit) -> Rational {
    match u {
        LitUnit::Percent | LitUnit::S => Rational::ONE,
        LitUnit::Ms => MS,
        LitUnit::M => Rational::int(60),
        LitUnit::H => Rational::int(3600),
        LitUnit::D => Rational::int(86_400),
        LitUnit::W => Rational::int(604_800),
    }
}

fn name(env: &Env, b: Option<&Bindings>, ident: &Ident) -> Result<Value, Undecided> {
    let name = ident.name.as_str();
    if let Some(v) = b.and_then(|b| b.get(name)) {
        return Ok(v.clone());
    }
    if let Some(subject) = env.subject {
        if name == super::types::SELF {
            return Ok(Value::Decl(subject));
        }
        let kind = env.model.decl(subject).kind;
        if kind.attr(name).is_some() || kind.derived().iter().any(|(n, _)| *n == name) {
            return attribute(env, subject, name);
        }
        if env.model.ext_attr_in(env.file, kind, name).is_some() {
            applies(env, subject, ident)?;
            return attribute(env, subject, name);
        }
    }
    match env.model.lookup(env.file, name) {
        Some(Symbol::Decl(id)) => Ok(Value::Decl(id)),
        Some(Symbol::Let(i)) => match &env.model.lets[i].value {
            Some(v) => Ok(v.clone()),
            None => {
                // A `let` whose value needs the clock or metrics is evaluated
                // where it is used. The checker rejects cycles among lets
                // (E0305); the depth bound is a second line of defence.
                if env.let_depth.get() >= MAX_LET_DEPTH {
                    return Err(Undecided::Unknown(format!("`{name}` refers to itself")));
                }
                let l = &env.model.lets[i];
                let inner = Env { file: l.file, subject: None, ..clone_env(env) };
                inner.let_depth.set(env.let_depth.get() + 1);
                let value = eval(&inner, &l.expr);
                env.touched.set(env.touched.get() || inner.touched.get());
                value
            }
        },
        _ => Err(Undecided::Unknown(format!("`{name}` has no value"))),
    }
}

fn clone_env<'a>(env: &Env<'a>) -> Env<'a> {
    Env {
        model: env.model,
        file: env.file,
        subject: env.subject,
        now: env.now,
        metrics: env.metrics,
        at_risk: Cell::new(false),
        let_depth: Cell::new(env.let_depth.get()),
        budget: env.budget,
        touched: Cell::new(false),
    }
}

/// How deep `let`s may refer to other `let`s.
const MAX_LET_DEPTH: u32 = 64;

/// Reads an attribute (or a derived list) of a declaration.
pub fn attribute(env: &Env, id: DeclId, attr: &str) -> Result<Value, Undecided> {
    let d = env.model.decl(id);
    if let Some((_, kind)) = d.kind.derived().iter().find(|(n, _)| *n == attr) {
        let children = d.children.iter().copied().filter(|c| env.model.decl(*c).kind == *kind);
        if *kind == Kind::Evidence {
            return seen_evidence(env, children.collect());
        }
        return Ok(Value::List(children.map(Value::Decl).collect()));
    }
    match d.attr(attr).map(|a| &a.value) {
        Some(super::AttrVal::Value(v)) => Ok(v.clone()),
        // A threshold reads as its bound, a unit as its name.
        Some(super::AttrVal::Threshold(_, v)) => Ok(v.clone()),
        Some(super::AttrVal::Unit(u)) => Ok(Value::Str(u.name())),
        Some(super::AttrVal::Labels(_)) => {
            Err(Undecided::Unknown(format!("`{attr}` is a label selector, not a value")))
        }
        Some(super::AttrVal::Bound(..) | super::AttrVal::Derived(..)) => Err(Undecided::Deferred("metrics")),
        Some(super::AttrVal::Groups(_)) => Err(Undecided::Unknown(format!("`{attr}` lists groups, not a value"))),
        Some(super::AttrVal::Invalid) => Err(Undecided::Unknown(format!("`{attr}` of `{}` is invalid", d.name))),
        None => match super::schema::default_value(d.kind, attr) {
            Some(v) => Ok(v),
            None => Err(Undecided::Absent { decl: id, attr: attr.to_string() }),
        },
    }
}

fn call(env: &Env, b: Option<&Bindings>, func: &str, args: &[Expr]) -> Result<Value, Undecided> {
    let mut vals: Vec<Value> = args.iter().map(|a| eval_in(env, b, a)).collect::<Result<_, _>>()?;
    let entry = super::builtins::lookup(func);
    // `offset D` ends the windows `D` before `now`.
    let offset = match args.last().map(|a| &a.kind) {
        Some(ExprKind::Offset(_)) => match vals.pop() {
            Some(Value::Dur(s)) if s.is_negative() => return Err(negative_window(env, &args[args.len() - 1], s)),
            Some(Value::Dur(s)) => s,
            _ => return Err(Undecided::Unknown(format!("the `offset` of `{func}` needs a duration"))),
        },
        _ => Rational::ZERO,
    };
    // A family given alone to a list function is the list of its members.
    if let (1, Some(f)) = (vals.len(), vals.first().and_then(|v| families::is_family(env, v))) {
        vals[0] = families::as_list(env, f)?;
    }
    if let Some(result) = entry.and_then(|e| lists::value_call(env, e, &vals)) {
        return result;
    }
    if entry.is_some_and(|e| e.family == Family::ExecutiveRoles) {
        return Ok(executive_roles(env.model));
    }
    let kpi = match vals.first() {
        Some(Value::Decl(id)) if env.model.decl(*id).kind == Kind::Kpi => *id,
        _ => return Err(Undecided::Unknown(format!("`{func}` needs a KPI"))),
    };
    let dur = |i: usize| match vals.get(i) {
        Some(Value::Dur(s)) if s.is_negative() => Err(negative_window(env, &args[i], *s)),
        Some(Value::Dur(s)) => Ok(*s),
        _ => Err(Undecided::Unknown(format!("`{func}` needs a duration"))),
    };
    // The windows first: a negative one is a mistake even without metrics.
    let current = dur(1)?;
    let reference = if entry.is_some_and(|e| e.family == Family::Drift) { Some(dur(2)?) } else { None };
    let m = env.metered()?;
    let family = entry.map(|e| e.family);
    let read = |kpi: DeclId| match family {
        Some(Family::Drift) => {
            let x = m.drift(kpi, func, current, reference.unwrap_or(Rational::ZERO), offset)?;
            // A statistic is a float; its decimal is what the comparison reads.
            Rational::from_f64(x)
                .map(Value::Num)
                .ok_or_else(|| Undecided::Unknown(format!("`{func}` is {}", fmt_num(x))))
        }
        Some(Family::Window) => m.window(kpi, func, current, offset),
        _ => Err(Undecided::Unknown(format!("`{func}` is not a function of a KPI"))),
    };
    // A window of a family is the list of its members' windows.
    if env.model.is_family(kpi) {
        return families::per_member(env, kpi, &read);
    }
    read(kpi)
}

/// A window that came out negative: `E0510` for `compel check`, the reason
/// of an `unknown` for `compel eval`.
fn negative_window(env: &Env, window: &Expr, secs: Rational) -> Undecided {
    Undecided::Mistake {
        code: Code::NegativeWindow,
        at: FileSpan::new(env.file, window.span),
        reason: format!("the window is negative ({}); a window reads back from `now`", Value::Dur(secs)),
    }
}

fn binary(env: &Env, b: Option<&Bindings>, op: BinOp, l: &Expr, r: &Expr) -> Result<Value, Undecided> {
    match op {
        BinOp::And | BinOp::Or => {
            let short = op == BinOp::Or; // the value that decides alone
            let lv = truth_in(env, b, l);
            if lv == Ok(short) {
                return Ok(Value::Bool(short));
            }
            let rv = truth_in(env, b, r);
            if rv == Ok(short) {
                return Ok(Value::Bool(short));
            }
            // A mistake in the policy is reported even next to what only
            // eval can decide.
            if let Err(u @ Undecided::Mistake { .. }) = &rv {
                return Err(u.clone());
            }
            lv?;
            rv?;
            Ok(Value::Bool(!short))
        }
        BinOp::In => compared(env, None, eval_in(env, b, l), eval_in(env, b, r)),
        BinOp::Cmp(c) => compared(env, Some(c), eval_in(env, b, l), eval_in(env, b, r)),
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
            let (lv, rv) = both(eval_in(env, b, l), eval_in(env, b, r))?;
            let (lv, rv) = both(as_number(env, lv), as_number(env, rv))?;
            arith(op, lv, rv)
        }
    }
}

/// The comparison `op` (`in` when `None`) of two sides evaluated (`l`,
/// `r`).
fn compared(
    env: &Env,
    op: Option<CmpOp>,
    l: Result<Value, Undecided>,
    r: Result<Value, Undecided>,
) -> Result<Value, Undecided> {
    match op {
        None => {
            let (lv, rv) = both(l, r)?;
            let items = match rv {
                Value::List(items) => items,
                other => {
                    return Err(Undecided::Unknown(format!("`{}` is not a list", env.model.display_value(&other))))
                }
            };
            let lv = if matches!(items.first(), Some(Value::Decl(_))) { lv } else { as_number(env, lv)? };
            for item in &items {
                if compare(CmpOp::Eq, &lv, item)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        Some(c) => {
            let (lv, rv) = both(l, r)?;
            let both_decls = matches!((&lv, &rv), (Value::Decl(_), Value::Decl(_)));
            let (lv, rv) = if both_decls && matches!(c, CmpOp::Eq | CmpOp::Ne) {
                (lv, rv)
            } else {
                (as_number(env, lv)?, as_number(env, rv)?)
            };
            Ok(Value::Bool(compare(c, &lv, &rv)?))
        }
    }
}

/// Both operands, or the more telling reason why not: a missing attribute
/// is reported before unknown data, and unknown data before a deferral, so
/// `compel check` names an absent fact even next to `today`.
fn both(l: Result<Value, Undecided>, r: Result<Value, Undecided>) -> Result<(Value, Value), Undecided> {
    fn rank(u: &Undecided) -> u8 {
        match u {
            Undecided::Absent { .. } | Undecided::TypeError(_) | Undecided::Mistake { .. } => 0,
            Undecided::Unknown(_) => 1,
            Undecided::Deferred(_) => 2,
        }
    }
    match (l, r) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(a), Err(b)) => Err(if rank(&b) < rank(&a) { b } else { a }),
    }
}
