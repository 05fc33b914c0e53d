//! Window functions (`avg(kpi, 30d)`) and drift statistics
//! (`psi(kpi, 7d, 30d)`) read over a KPI's series, exactly.

use super::metric_reads::{exact_value, memo_with, record, window_key, Finding, StoreMetrics};
use crate::check::builtins::{self, Family};
use crate::check::rational::Rational;
use crate::check::value::{fmt_num, secs_to_nanos_ceil, secs_to_nanos_floor, Value, MS};
use crate::check::DeclId;
use crate::eval::drift;
use crate::eval::metrics::{format_rfc3339, Sample};
use crate::eval::report::{Num, ReferenceWindow, Time};
use std::sync::Arc;

impl StoreMetrics<'_> {
    /// `now - secs` as the first whole nanosecond at or after it (samples
    /// have whole-nanosecond times, so `t >= now - secs` exactly when `t`
    /// is at or after this).
    pub(super) fn window_start(&self, secs: Rational) -> Result<i64, String> {
        secs_to_nanos_floor(secs)
            .and_then(|n| self.now.checked_sub(n))
            .ok_or_else(|| format!("the window {} reaches outside the representable times", fmt_dur(secs)))
    }

    /// `view` of the read of `func` over a window of `secs` ending `offset`
    /// before now, made once, without copying it.
    pub(super) fn window_view<R>(
        &self,
        (kpi, func): (DeclId, &str),
        (secs, offset): (Rational, Rational),
        view: impl FnOnce(&Finding<(Value, usize)>) -> R,
    ) -> R {
        let key = (kpi, window_key(func), secs, offset);
        memo_with(&self.windows, key, || self.read_window(kpi, func, secs, offset), view)
    }

    /// `now - offset` as the last whole nanosecond at or before it.
    pub(super) fn window_end(&self, offset: Rational) -> Result<i64, String> {
        secs_to_nanos_ceil(offset)
            .and_then(|n| self.now.checked_sub(n))
            .ok_or_else(|| format!("the offset {} reaches outside the representable times", fmt_dur(offset)))
    }

    /// The window's length, with ` offset D` when it has one: `30d offset 30d`.
    pub(super) fn window_words(secs: Rational, offset: Rational) -> String {
        if offset.is_zero() {
            fmt_dur(secs)
        } else {
            format!("{} offset {}", fmt_dur(secs), fmt_dur(offset))
        }
    }

    pub(super) fn read_window(
        &self,
        kpi: DeclId,
        func: &str,
        secs: Rational,
        offset: Rational,
    ) -> Finding<(Value, usize)> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, func);
        ev.window = Some(Self::window_words(secs, offset));
        ev.to = Some(Time(self.now));
        if secs.is_negative() || offset.is_negative() {
            return Finding::err(format!("the window {} is negative", Self::window_words(secs, offset)), ev);
        }
        let bounds = secs
            .add(offset)
            .ok_or_else(|| "the window is too long".to_string())
            .and_then(|total| Ok((self.window_start(total)?, self.window_end(offset)?)));
        let (from, end) = match bounds {
            Ok(t) => t,
            Err(r) => return Finding::err(r, ev),
        };
        ev.to = Some(Time(end));
        ev.from = Some(Time(from));
        if !builtins::is(func, Family::Window) {
            return Finding::err(format!("`{func}` is not a window function"), ev);
        }
        if self.model.is_derived(kpi) {
            return self.derived_window(kpi, &k, func, from, end, ev);
        }
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = self.series_selector(series);
        let samples = series.samples_in(from, end);
        ev.samples = samples.iter().map(record).collect();
        if samples.is_empty() {
            let r = format!(
                "no sample of `{}` in the {} window [{}, {}]",
                ev.series,
                Self::window_words(secs, offset),
                format_rfc3339(from),
                format_rfc3339(end)
            );
            return Finding::err(r, ev);
        }
        let mut raw: Vec<Rational> = Vec::with_capacity(samples.len());
        for s in samples {
            match exact_value(&self.index, series, s) {
                Ok(q) => raw.push(q),
                Err(r) => return Finding::err(r, ev),
            }
        }
        let x = match aggregate(func, &raw) {
            Some(x) => x,
            None => {
                return Finding::err(format!("`{func}` of `{}` is too large to compute exactly", ev.series), ev);
            }
        };
        let n = raw.len();
        ev.value = Some(Num(x.to_f64()));
        let (value, shown) = if func == "count" {
            ev.unit = Some("number".to_string());
            (Some(Value::Num(x)), x.to_string())
        } else {
            ev.unit = Some(k.unit.name());
            (k.unit.to_value(x), k.show(x))
        };
        match value {
            Some(v) => Finding { result: Ok((v, n)), reason: shown, evidence: Arc::new(ev) },
            None => Finding::err(format!("`{func}` of `{}` is too large to compute exactly", ev.series), ev),
        }
    }

    pub(super) fn drift_finding(
        &self,
        kpi: DeclId,
        func: &str,
        current: Rational,
        reference: Rational,
        offset: Rational,
    ) -> Finding<f64> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, func);
        ev.window = Some(Self::window_words(current, offset));
        ev.to = Some(Time(self.now));
        if current.is_negative() || reference.is_negative() || offset.is_negative() {
            return Finding::err(format!("`{func}` needs windows that are not negative"), ev);
        }
        let too_long = || "the windows are too long".to_string();
        let bounds = current.add(offset).ok_or_else(too_long).and_then(|c| {
            let both = c.add(reference).ok_or_else(too_long)?;
            Ok((self.window_start(c)?, self.window_start(both)?, self.window_end(offset)?))
        });
        let (cur_from, ref_from, end) = match bounds {
            Ok(b) => b,
            Err(r) => return Finding::err(r, ev),
        };
        ev.to = Some(Time(end));
        ev.from = Some(Time(cur_from));
        ev.reference = Some(ReferenceWindow {
            window: fmt_dur(reference),
            from: Time(ref_from),
            to: Time(cur_from),
            samples: Vec::new(),
        });
        if self.model.is_derived(kpi) {
            return self.derived_drift(kpi, &k, func, (ref_from, cur_from, end), ev);
        }
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = self.series_selector(series);
        let cur = series.samples_in(cur_from, end);
        let refs = series.samples_in_half_open(ref_from, cur_from);
        ev.samples = cur.iter().map(record).collect();
        if let Some(r) = ev.reference.as_mut() {
            r.samples = refs.iter().map(record).collect();
        }
        // Conflicting samples are not data (NaN ones are left out, as
        // SciPy's `nan_policy="omit"` would).
        if let Some(c) = cur.iter().chain(refs).find_map(|s| series.conflict_at(s.time)) {
            return Finding::err(format!("`{}`: {}", ev.series, c.describe()), ev);
        }
        let finite = |xs: &[Sample]| xs.iter().filter(|s| s.value.is_finite()).count();
        if finite(cur) == 0 {
            let r = format!(
                "no finite sample of `{}` in the current window [{}, {}]",
                ev.series,
                format_rfc3339(cur_from),
                format_rfc3339(end)
            );
            return Finding::err(r, ev);
        }
        if finite(refs) == 0 {
            let r = format!(
                "no finite sample of `{}` in the reference window [{}, {})",
                ev.series,
                format_rfc3339(ref_from),
                format_rfc3339(cur_from)
            );
            return Finding::err(r, ev);
        }
        let c: Vec<f64> = cur.iter().map(|s| s.value).collect();
        let r: Vec<f64> = refs.iter().map(|s| s.value).collect();
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
        let reason = format!("{} between {} current and {} reference samples", fmt_num(value), c.len(), r.len());
        Finding { result: Ok(value), reason, evidence: Arc::new(ev) }
    }
}

/// A window function over exact values (at least one), exactly; `None`
/// when a result does not fit.
pub(super) fn aggregate(func: &str, raw: &[Rational]) -> Option<Rational> {
    let n = raw.len();
    let sum = Rational::sum;
    Some(match func {
        "last" => raw[n - 1],
        "avg" => sum(raw)?.div(Rational::int(n as i64))?,
        "min" => *raw.iter().min()?,
        "max" => *raw.iter().max()?,
        "sum" => sum(raw)?,
        "count" => Rational::int(n as i64),
        "p50" => percentile(raw, Rational::new(1, 2)?)?,
        "p90" => percentile(raw, Rational::new(9, 10)?)?,
        "p95" => percentile(raw, Rational::new(19, 20)?)?,
        "p99" => percentile(raw, Rational::new(99, 100)?)?,
        _ => raw[n - 1].sub(raw[0])?, // delta
    })
}

/// The `q`-th quantile (0 to 1) by linear interpolation between closest
/// ranks, as `numpy.percentile` (method `linear`) defines it, exactly.
pub fn percentile(values: &[Rational], q: Rational) -> Option<Rational> {
    let mut v = values.to_vec();
    v.sort();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let index = Rational::int(n as i64 - 1).mul(q)?;
    let lo = usize::try_from(index.floor()).ok()?.min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = index.sub(Rational::int(lo as i64))?;
    v[lo].add(v[hi].sub(v[lo])?.mul(t)?)
}

/// A duration for people, in the largest of `d h m s` that divides it
/// (`7d`, not `1w`: windows are written in days), else in milliseconds.
pub fn fmt_dur(secs: Rational) -> String {
    let (n, unit) = dur_parts(secs);
    let mut out = String::with_capacity(8);
    n.push_to(&mut out);
    out.push_str(unit);
    out
}

/// A duration's number and unit, as [`fmt_dur`] writes them.
fn dur_parts(secs: Rational) -> (Rational, &'static str) {
    for (unit, f) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        let f = Rational::int(f);
        if let Some(n) = secs.div(f) {
            if !secs.is_zero() && n.is_integer() && secs.abs() >= f {
                return (n, unit);
            }
        }
    }
    if secs.is_zero() {
        return (Rational::ZERO, "s");
    }
    match secs.div(MS) {
        Some(ms) => (ms, "ms"),
        None => (secs, "s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Rational {
        Rational::parse_decimal(s).unwrap_or(Rational::ZERO)
    }

    #[test]
    fn percentiles_match_numpy_exactly() {
        // numpy.percentile([1, 2, 3, 4], [50, 90, 95, 99])
        let v: Vec<Rational> = ["4", "1", "3", "2"].iter().map(|s| q(s)).collect();
        let p = |x: &str| percentile(&v, q(x));
        assert_eq!(p("0.5"), Some(q("2.5")));
        assert_eq!(p("0.9"), Some(q("3.7")));
        assert_eq!(p("0.95"), Some(q("3.85")));
        assert_eq!(p("0.99"), Some(q("3.97")));
        assert_eq!(percentile(&[q("5")], q("0.99")), Some(q("5")));
        // numpy.percentile([180, 190, 260, 200, 210, 205, 199], 95) == 245.0
        let lat: Vec<Rational> = ["180", "190", "260", "200", "210", "205", "199"].iter().map(|s| q(s)).collect();
        assert_eq!(percentile(&lat, q("0.95")), Some(q("245")));
    }

    #[test]
    fn aggregates_are_exact() {
        let xs: Vec<Rational> = ["0.1", "0.2", "0.3"].iter().map(|s| q(s)).collect();
        assert_eq!(aggregate("sum", &xs), Some(q("0.6")));
        assert_eq!(aggregate("avg", &xs), Some(q("0.2")));
        assert_eq!(aggregate("delta", &xs), Some(q("0.2")));
        assert_eq!(aggregate("count", &xs), Some(q("3")));
    }
}
