//! Derived KPIs (`value 0.6 * auc + 0.4 * precision`) read from the store.
//!
//! - The value at an instant `t` is the formula over each input's value in
//!   effect at `t`: the input's latest sample at or before `t`, fresh under
//!   that input's own `max_age` (the default when it sets none); a derived
//!   input is its own value at `t`. It exists only when every input has
//!   one; its sample time is the oldest of the inputs' samples. The
//!   derived KPI's own `max_age` applies only when it sets one (to that
//!   oldest sample).
//! - Windows and drift statistics over it read its value at each instant
//!   of the union of its (plain) inputs' sample times within the window.
//!   An instant where an input has no fresh value is a gap, left out as a
//!   window leaves out the time between samples; a window with no instant
//!   is unknown. A value that cannot be computed (a division by zero, a
//!   conflicting or NaN sample) makes the window unknown.
//! - `KPI for D` reads its value at the window's start and at every later
//!   instant where it can change: an input's sample time, and the instants
//!   an input's sample (or the derived KPI's oldest sample, under its own
//!   `max_age`) goes stale. A value breaking the target fails; otherwise
//!   an instant without a value is unknown.
//!
//! Every number is exact ([`Rational`]); the formula is evaluated by the
//! interpreter the checker uses, so `0.6 * auc` computes as everywhere.

use std::collections::HashMap;
use std::sync::Arc;

use super::metric_reads::{exact_value, record, Finding, KpiInfo, StoreMetrics};
use super::window_reads::{aggregate, fmt_dur};
use crate::check::interp::KpiState;
use crate::check::interp::{self, Env, Metrics, Undecided};
use crate::check::rational::Rational;
use crate::check::value::secs_to_nanos_floor;
use crate::check::value::{fmt_num, Value};
use crate::check::{DeclId, Model};
use crate::eval::derived_report::{DerivedInputReport, DerivedReport};
use crate::eval::drift;
use crate::eval::metrics::{format_rfc3339, Sample};
use crate::eval::report::{Evidence, Num, Time};
use crate::syntax::ast::{BinOp, CmpOp, Expr, ExprKind, UnOp};

/// How deep derived KPIs may read derived KPIs (cycles are check errors;
/// this bounds the work on a model that did not check).
const MAX_DEPTH: u32 = 32;

/// Why a derived KPI has no value at an instant.
enum Miss {
    /// An input has no fresh sample in effect: a gap in the data.
    Gap(String),
    /// The value cannot be computed (division by zero, a broken sample).
    Broken(String),
}

impl Miss {
    fn reason(self) -> String {
        match self {
            Miss::Gap(r) | Miss::Broken(r) => r,
        }
    }
}

/// A derived KPI's value at an instant.
struct Point {
    value: Value,
    /// The oldest of the inputs' samples.
    time: i64,
    /// Each direct input: its value and its sample's time.
    inputs: Vec<(DeclId, Value, i64)>,
}

/// The inputs' values at one instant, as the interpreter reads them.
struct AtInstant<'v> {
    values: &'v HashMap<DeclId, Value>,
}

impl Metrics for AtInstant<'_> {
    fn status(&self, _: DeclId) -> Result<KpiState, Undecided> {
        Err(Undecided::Unknown("a derived KPI's value reads values, not statuses".into()))
    }
    fn latest(&self, kpi: DeclId) -> Result<Value, Undecided> {
        self.values.get(&kpi).cloned().ok_or_else(|| Undecided::Unknown("an input has no value".into()))
    }
    fn window(&self, _: DeclId, _: &str, _: Rational, _: Rational) -> Result<Value, Undecided> {
        Err(Undecided::Unknown("a derived KPI's value reads no window".into()))
    }
    fn drift(&self, _: DeclId, _: &str, _: Rational, _: Rational, _: Rational) -> Result<f64, Undecided> {
        Err(Undecided::Unknown("a derived KPI's value reads no drift statistic".into()))
    }
    fn held_for(&self, _: DeclId, _: Rational) -> Result<KpiState, Undecided> {
        Err(Undecided::Unknown("a derived KPI's value reads no `for`".into()))
    }
}

impl<'a> StoreMetrics<'a> {
    /// The latest sample of a KPI, derived or not.
    pub(super) fn latest_sample_any(&self, kpi: DeclId, k: &KpiInfo, function: &str) -> Finding<(Sample, Rational)> {
        if self.model.is_derived(kpi) {
            self.derived_latest(kpi, k, function)
        } else {
            self.latest_sample(k, function)
        }
    }

    /// The KPI's own `max_age` in whole nanoseconds, only when it sets one.
    fn own_max_age(&self, kpi: DeclId) -> Option<(i64, Rational)> {
        match self.model.decl(kpi).value("max_age") {
            Some(Value::Dur(s)) => Some((secs_to_nanos_floor(*s).unwrap_or(i64::MAX), *s)),
            _ => None,
        }
    }

    /// The derived KPI's value at `t`, its own `max_age` applied.
    fn point(&self, kpi: DeclId, t: i64, depth: u32) -> Result<Point, Miss> {
        let p = self.formula_at(kpi, t, depth)?;
        if let Some((nanos, secs)) = self.own_max_age(kpi) {
            if t.saturating_sub(p.time) > nanos {
                return Err(Miss::Gap(format!(
                    "stale: the oldest input of `{}` is from {}, older than its max_age {}",
                    self.model.decl(kpi).name,
                    format_rfc3339(p.time),
                    fmt_dur(secs)
                )));
            }
        }
        Ok(p)
    }

    /// The formula over each input's value in effect at `t`.
    fn formula_at(&self, kpi: DeclId, t: i64, depth: u32) -> Result<Point, Miss> {
        let d = self.model.decl(kpi);
        if depth > MAX_DEPTH {
            return Err(Miss::Broken(format!("`{}` reads derived KPIs nested too deep", d.name)));
        }
        let Some(formula) = self.model.derived_formula(kpi) else {
            return Err(Miss::Broken(format!("the `value` of `{}` did not check", d.name)));
        };
        let mut values: HashMap<DeclId, Value> = HashMap::new();
        let mut inputs = Vec::new();
        let mut oldest = t;
        for &input in self.model.derived_inputs(kpi) {
            let (v, time) = if self.model.is_derived(input) {
                let p = self.point(input, t, depth + 1)?;
                (p.value, p.time)
            } else {
                self.input_at(input, t)?
            };
            oldest = oldest.min(time);
            values.insert(input, v.clone());
            inputs.push((input, v, time));
        }
        let at = AtInstant { values: &values };
        // The formula's steps come from this reader's budget, as every
        // evaluation's of this thread do.
        let mut env = Env { budget: &self.budget, ..Env::constant(self.model, d.file) };
        env.now = Some(t);
        env.metrics = Some(&at);
        let value = interp::eval(&env, formula).map_err(|u| {
            Miss::Broken(match u {
                Undecided::Unknown(r) | Undecided::TypeError(r) => format!("`{}` cannot be computed: {r}", d.name),
                other => format!("`{}` cannot be computed: {other:?}", d.name),
            })
        })?;
        Ok(Point { value, time: oldest, inputs })
    }

    /// A plain input's value in effect at `t`: its latest sample at or
    /// before `t`, fresh under its own `max_age`.
    fn input_at(&self, input: DeclId, t: i64) -> Result<(Value, i64), Miss> {
        let k = self.info(input);
        if self.model.is_family(input) {
            return Err(Miss::Broken(format!("`{}` is a family, not one value", k.name)));
        }
        let series = self.select(&k).map_err(Miss::Gap)?;
        let Some(last) = series.last_at_or_before(t).copied() else {
            return Err(Miss::Gap(format!("`{}` has no sample at or before {}", k.name, format_rfc3339(t))));
        };
        if k.is_stale(t.saturating_sub(last.time)) {
            return Err(Miss::Gap(format!(
                "`{}` is stale: its sample in effect at {} is from {}, older than its max_age {}",
                k.name,
                format_rfc3339(t),
                format_rfc3339(last.time),
                fmt_dur(k.max_age)
            )));
        }
        let q = exact_value(&self.index, series, &last).map_err(Miss::Broken)?;
        let v = k.unit.to_value(q).ok_or_else(|| Miss::Broken(format!("{q} is too large to compute with exactly")))?;
        Ok((v, last.time))
    }

    /// An input's value for people, in its unit: `auc 0.61 (at T)`.
    fn show_input(&self, (input, v, time): &(DeclId, Value, i64)) -> String {
        let k = self.info(*input);
        let shown = k.unit.from_value(v).map_or_else(|| self.model.display_value(v), |raw| k.show(raw));
        format!("{} {shown} at {}", k.name, format_rfc3339(*time))
    }

    fn formula_text(&self, kpi: DeclId) -> String {
        self.model.derived_formula(kpi).map_or_else(String::new, |e| formula_text(self.model, e))
    }

    /// The derived KPI's latest value: at `now`.
    pub(super) fn derived_latest(&self, kpi: DeclId, k: &KpiInfo, function: &str) -> Finding<(Sample, Rational)> {
        let mut ev = self.evidence(k, function);
        ev.series = self.formula_text(kpi);
        let p = match self.point(kpi, self.now, 0) {
            Ok(p) => p,
            Err(Miss::Gap(r)) => return Finding::err(format!("`{}` has no value at now: {r}", k.name), ev),
            Err(Miss::Broken(r)) => return Finding::err(r, ev),
        };
        let Some(raw) = k.unit.from_value(&p.value) else {
            let r =
                format!("`{}` is {}, not in its unit {}", k.name, self.model.display_value(&p.value), k.unit.name());
            return Finding::err(r, ev);
        };
        let sample = Sample { time: p.time, value: raw.to_f64() };
        ev.samples.push(record(&sample));
        ev.value = Some(Num(sample.value));
        ev.unit = Some(k.unit.name());
        let inputs: Vec<String> = p.inputs.iter().map(|i| self.show_input(i)).collect();
        let reason = format!(
            "latest {} at {} (= {} with {})",
            k.show(raw),
            format_rfc3339(p.time),
            ev.series,
            inputs.join(", ")
        );
        Finding { result: Ok((sample, raw)), reason, evidence: Arc::new(ev) }
    }

    /// The sample times of the derived KPI's plain inputs in `[from, to]`,
    /// each once, in order.
    fn instants(&self, kpi: DeclId, from: i64, to: i64) -> Vec<i64> {
        let mut out = Vec::new();
        for leaf in self.model.derived_leaves(kpi) {
            if let Ok(series) = self.select(&self.info(leaf)) {
                out.extend(series.samples_in(from, to).iter().map(|s| s.time));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The derived KPI's raw values at the instants of `[from, to]`: the
    /// values (instants where an input has no fresh value are left out;
    /// the first one's reason is kept).
    #[allow(clippy::type_complexity)]
    fn values_in(
        &self,
        kpi: DeclId,
        k: &KpiInfo,
        from: i64,
        to: i64,
    ) -> Result<(Vec<(i64, Rational)>, Option<String>), String> {
        let mut out = Vec::new();
        let mut first_gap = None;
        for t in self.instants(kpi, from, to) {
            match self.point(kpi, t, 0) {
                Ok(p) => match k.unit.from_value(&p.value) {
                    Some(raw) => out.push((t, raw)),
                    None => return Err(format!("`{}` at {} is not in its unit", k.name, format_rfc3339(t))),
                },
                Err(Miss::Gap(r)) => {
                    first_gap.get_or_insert(r);
                }
                Err(Miss::Broken(r)) => return Err(format!("at {}: {r}", format_rfc3339(t))),
            }
        }
        Ok((out, first_gap))
    }

    /// A window function over the derived KPI in `[from, end]`.
    pub(super) fn derived_window(
        &self,
        kpi: DeclId,
        k: &KpiInfo,
        func: &str,
        from: i64,
        end: i64,
        mut ev: Evidence,
    ) -> Finding<(Value, usize)> {
        ev.series = self.formula_text(kpi);
        let (points, first_gap) = match self.values_in(kpi, k, from, end) {
            Ok(x) => x,
            Err(r) => return Finding::err(r, ev),
        };
        ev.samples = points.iter().map(|(t, q)| record(&Sample { time: *t, value: q.to_f64() })).collect();
        if points.is_empty() {
            let r = match first_gap {
                Some(g) => format!(
                    "no instant in [{}, {}] where every input of `{}` has a fresh value ({g})",
                    format_rfc3339(from),
                    format_rfc3339(end),
                    k.name
                ),
                None => format!(
                    "no sample of an input of `{}` in [{}, {}]",
                    k.name,
                    format_rfc3339(from),
                    format_rfc3339(end)
                ),
            };
            return Finding::err(r, ev);
        }
        let raw: Vec<Rational> = points.iter().map(|(_, q)| *q).collect();
        let Some(x) = aggregate(func, &raw) else {
            return Finding::err(format!("`{func}` of `{}` is too large to compute exactly", k.name), ev);
        };
        ev.value = Some(Num(x.to_f64()));
        let (value, shown) = if func == "count" {
            ev.unit = Some("number".to_string());
            (Some(Value::Num(x)), x.to_string())
        } else {
            ev.unit = Some(k.unit.name());
            (k.unit.to_value(x), k.show(x))
        };
        match value {
            Some(v) => Finding { result: Ok((v, raw.len())), reason: shown, evidence: Arc::new(ev) },
            None => Finding::err(format!("`{func}` of `{}` is too large to compute exactly", k.name), ev),
        }
    }

    /// A drift statistic over the derived KPI's values in the current
    /// window `[cur_from, end]` against the reference `[ref_from, cur_from)`.
    pub(super) fn derived_drift(
        &self,
        kpi: DeclId,
        k: &KpiInfo,
        func: &str,
        (ref_from, cur_from, end): (i64, i64, i64),
        mut ev: Evidence,
    ) -> Finding<f64> {
        ev.series = self.formula_text(kpi);
        let all = match self.values_in(kpi, k, ref_from, end) {
            Ok((points, _)) => points,
            Err(r) => return Finding::err(r, ev),
        };
        let c: Vec<f64> = all.iter().filter(|(t, _)| *t >= cur_from).map(|(_, q)| q.to_f64()).collect();
        let r: Vec<f64> = all.iter().filter(|(t, _)| *t < cur_from).map(|(_, q)| q.to_f64()).collect();
        ev.samples = all
            .iter()
            .filter(|(t, _)| *t >= cur_from)
            .map(|(t, q)| record(&Sample { time: *t, value: q.to_f64() }))
            .collect();
        if c.is_empty() || r.is_empty() {
            let which = if c.is_empty() { "current" } else { "reference" };
            return Finding::err(format!("no value of `{}` in the {which} window", k.name), ev);
        }
        let value = match func {
            "psi" => drift::psi(&r, &c),
            "ks" => drift::ks(&r, &c),
            "wasserstein" => drift::wasserstein(&r, &c),
            other => return Finding::err(format!("`{other}` is not a drift statistic"), ev),
        };
        let Some(value) = value else {
            return Finding::err(format!("`{func}` cannot be computed over these windows"), ev);
        };
        ev.value = Some(Num(value));
        ev.unit = Some("number".to_string());
        let reason = format!("{} between {} current and {} reference values", fmt_num(value), c.len(), r.len());
        Finding { result: Ok(value), reason, evidence: Arc::new(ev) }
    }

    /// The instants of `[cover_at, now]` where the derived KPI's value can
    /// change: `cover_at`, its plain inputs' sample times, and the instants
    /// a sample goes stale (under its KPI's `max_age`, or under a derived
    /// KPI's own `max_age` as its oldest input).
    fn change_points(&self, kpi: DeclId, cover_at: i64) -> Vec<i64> {
        let leaves = self.model.derived_leaves(kpi);
        let mut owns: Vec<i64> = Vec::new();
        let mut stack = vec![kpi];
        let mut seen = Vec::new();
        while let Some(x) = stack.pop() {
            if seen.contains(&x) || !self.model.is_derived(x) {
                continue;
            }
            seen.push(x);
            owns.extend(self.own_max_age(x).map(|(n, _)| n));
            stack.extend(self.model.derived_inputs(x).iter().copied());
        }
        let mut out = vec![cover_at];
        for leaf in leaves {
            let k = self.info(leaf);
            let Ok(series) = self.select(&k) else { continue };
            let horizon = owns.iter().copied().chain([k.max_age_nanos]).max().unwrap_or(0);
            for s in series.samples_in(cover_at.saturating_sub(horizon).saturating_sub(1), self.now) {
                let expiries =
                    owns.iter().copied().chain([k.max_age_nanos]).map(|n| s.time.saturating_add(n).saturating_add(1));
                out.extend(std::iter::once(s.time).chain(expiries).filter(|t| *t > cover_at && *t <= self.now));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// `KPI for D` over a derived KPI: the value at every instant of
    /// `[cover_at, now]` meets the target.
    pub(super) fn derived_held(
        &self,
        kpi: DeclId,
        k: &KpiInfo,
        target: (CmpOp, &Value),
        (from, cover_at): (i64, i64),
        dur: &str,
        mut ev: Evidence,
    ) -> Finding<KpiState> {
        ev.series = self.formula_text(kpi);
        let shown = k.show_threshold(self.model, target);
        let mut first_unknown: Option<String> = None;
        let mut last: Option<Rational> = None;
        let mut checked = 0usize;
        for t in self.change_points(kpi, cover_at) {
            match self.point(kpi, t, 0) {
                Ok(p) => {
                    let Some(raw) = k.unit.from_value(&p.value) else {
                        return Finding::err(format!("`{}` at {} is not in its unit", k.name, format_rfc3339(t)), ev);
                    };
                    ev.samples.push(record(&Sample { time: t, value: raw.to_f64() }));
                    match k.meets(target, raw) {
                        Ok(true) => {}
                        Ok(false) => {
                            let inputs: Vec<String> = p.inputs.iter().map(|i| self.show_input(i)).collect();
                            let when = if t < from {
                                format!("in effect from {} (the window's start)", format_rfc3339(from))
                            } else {
                                format!("at {}", format_rfc3339(t))
                            };
                            let reason = format!(
                                "{} {when} breaks `{shown}` inside the {dur} window (= {} with {})",
                                k.show(raw),
                                ev.series,
                                inputs.join(", ")
                            );
                            ev.value = Some(Num(raw.to_f64()));
                            ev.unit = Some(k.unit.name());
                            return Finding { result: Ok(KpiState::Missed), reason, evidence: Arc::new(ev) };
                        }
                        Err(r) => return Finding::err(r, ev),
                    }
                    checked += 1;
                    last = Some(raw);
                }
                Err(m) => {
                    if first_unknown.is_none() {
                        first_unknown = Some(format!("at {}: {}", format_rfc3339(t.max(from)), m.reason()));
                    }
                    last = None;
                }
            }
        }
        if let Some(r) = first_unknown {
            return Finding::err(format!("`{}` has no value throughout the {dur} window: {r}", k.name), ev);
        }
        let Some(last) = last else {
            return Finding::err(format!("`{}` has no value at now", k.name), ev);
        };
        let at_risk = match k.warn() {
            Some(w) => match k.meets(w, last) {
                Ok(b) => b,
                Err(r) => return Finding::err(r, ev),
            },
            None => false,
        };
        let mut reason = if checked == 1 {
            format!("its value throughout the {dur} window, {}, meets `{shown}`", k.show(last))
        } else {
            format!("its value at all {checked} instants where it can change in the {dur} window meets `{shown}`")
        };
        if at_risk {
            if let Some(w) = k.warn() {
                reason.push_str(&format!(
                    "; the latest, {}, is `{}` (its `warn`)",
                    k.show(last),
                    k.show_threshold(self.model, w)
                ));
            }
        }
        Finding { result: Ok(if at_risk { KpiState::AtRisk } else { KpiState::Met }), reason, evidence: Arc::new(ev) }
    }

    /// The report's view of a derived KPI: its formula and each input's
    /// value in effect at `now` (or why it has none).
    pub(super) fn derived_report(&self, kpi: DeclId) -> Option<DerivedReport> {
        if !self.model.is_derived(kpi) {
            return None;
        }
        let inputs = self
            .model
            .derived_inputs(kpi)
            .iter()
            .map(|&input| {
                let k = self.info(input);
                let read = if self.model.is_derived(input) {
                    self.point(input, self.now, 1).map(|p| (p.value, p.time))
                } else {
                    self.input_at(input, self.now)
                };
                match read {
                    Ok((v, time)) => DerivedInputReport {
                        kpi: k.name.to_string(),
                        value: k.unit.from_value(&v).map(|q| Num(q.to_f64())),
                        unit: k.unit.name(),
                        time: Some(Time(time)),
                        reason: None,
                    },
                    Err(m) => DerivedInputReport {
                        kpi: k.name.to_string(),
                        value: None,
                        unit: k.unit.name(),
                        time: None,
                        reason: Some(m.reason()),
                    },
                }
            })
            .collect();
        Some(DerivedReport { formula: self.formula_text(kpi), inputs })
    }
}

/// A formula as people read it (the forms a derived KPI's value may take).
pub fn formula_text(model: &Model, e: &Expr) -> String {
    let _ = model;
    match &e.kind {
        ExprKind::Number { raw, unit, .. } => match unit {
            Some(u) => format!("{raw}{}", u.as_str()),
            None => raw.clone(),
        },
        ExprKind::Money { raw, currency, .. } => format!("{raw} {currency}"),
        ExprKind::Name(i) => i.name.clone(),
        ExprKind::Paren(x) => format!("({})", formula_text(model, x)),
        ExprKind::Unary(UnOp::Neg, x) => format!("-{}", formula_text(model, x)),
        ExprKind::Unary(UnOp::Not, x) => format!("not {}", formula_text(model, x)),
        ExprKind::Binary(op, l, r) => {
            let op = match op {
                BinOp::Add => "+".to_string(),
                BinOp::Sub => "-".to_string(),
                BinOp::Mul => "*".to_string(),
                BinOp::Div => "/".to_string(),
                other => other.as_str().to_string(),
            };
            format!("{} {op} {}", formula_text(model, l), formula_text(model, r))
        }
        ExprKind::Call(f, args) => {
            let args: Vec<String> = args.iter().map(|a| formula_text(model, a)).collect();
            format!("{}({})", f.name, args.join(", "))
        }
        _ => "...".to_string(),
    }
}
