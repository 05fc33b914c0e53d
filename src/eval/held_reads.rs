//! `KPI for D`: whether a KPI held its target throughout a window.

use super::metric_reads::{exact_value, memo, memo_with, record, Finding, KpiInfo, StoreMetrics};
use super::window_reads::fmt_dur;
use crate::check::interp::KpiState;
use crate::check::rational::{push_int, Rational};
use crate::check::value::{nanos_to_secs, secs_to_nanos_floor, Value, NANOS_PER_SEC};
use crate::check::DeclId;
use crate::eval::metrics::{format_rfc3339, rfc3339_text, Sample, Series};
use crate::eval::report::{Evidence, Num, Time};
use crate::syntax::ast::CmpOp;
use std::sync::Arc;

impl StoreMetrics<'_> {
    pub(super) fn held_finding(&self, kpi: DeclId, secs: Rational) -> Finding<KpiState> {
        memo(&self.helds, (kpi, secs), || self.read_held(kpi, secs))
    }

    /// `view` of [`StoreMetrics::held_finding`], without copying it.
    pub(super) fn held_view<R>(&self, kpi: DeclId, secs: Rational, view: impl FnOnce(&Finding<KpiState>) -> R) -> R {
        memo_with(&self.helds, (kpi, secs), || self.read_held(kpi, secs), view)
    }

    /// `KPI for D`: the value in effect at every instant of `[now - D,
    /// now]` — the latest sample at or before it, counting while it is no
    /// older than `max_age` — must meet the target. The sample in effect at
    /// `now - D` may have begun before the window.
    pub(super) fn read_held(&self, kpi: DeclId, secs: Rational) -> Finding<KpiState> {
        let k = self.info(kpi);
        let mut ev = self.evidence(&k, "for");
        let k = match self.with_bounds(kpi, k) {
            Ok(k) => k,
            Err(r) => return Finding::err(r, ev),
        };
        let dur = fmt_dur(secs);
        ev.window = Some(dur.clone());
        ev.to = Some(Time(self.now));
        if secs.is_negative() {
            return Finding::err(format!("the duration {dur} is negative"), ev);
        }
        let from = match self.window_start(secs) {
            Ok(t) => t,
            Err(r) => return Finding::err(r, ev),
        };
        ev.from = Some(Time(from));
        let Some(target) = k.target() else {
            return Finding::err(format!("`{}` has no valid `target`", k.name), ev);
        };
        if self.model.is_derived(kpi) {
            // The value in effect at the window's exact start (which may
            // fall between two nanoseconds) is the one at its floor.
            let start = nanos_to_secs(self.now)
                .sub(secs)
                .and_then(|s| s.mul(Rational::int(NANOS_PER_SEC)))
                .map(Rational::floor);
            let Some(cover_at) = start.and_then(|n| i64::try_from(n).ok()) else {
                return Finding::err(format!("the window {dur} reaches outside the representable times"), ev);
            };
            return self.derived_held(kpi, &k, target, (from, cover_at), &dur, ev);
        }
        let shown = self.show_threshold(&k, target);
        let series = match self.select(&k) {
            Ok(s) => s,
            Err(r) => return Finding::err(r, ev),
        };
        ev.series = self.series_selector(series);
        // The exact start of the window may fall between two nanoseconds
        // (a window of 1/3 s): the sample in effect there is the latest at
        // or before its floor.
        let start_exact = nanos_to_secs(self.now).sub(secs);
        let start_floor = start_exact.map(|s| s.mul(Rational::int(NANOS_PER_SEC)).map(Rational::floor));
        let cover_at = match start_floor.flatten().and_then(|n| i64::try_from(n).ok()) {
            Some(t) => t,
            None => return Finding::err(format!("the window {dur} reaches outside the representable times"), ev),
        };
        // The samples in effect during the window: the one covering its
        // start, then every later one up to `now`.
        let covering = series.last_at_or_before(cover_at).copied();
        let inside = series.samples_in(cover_at.saturating_add(1), self.now);
        let mut held: Vec<Sample> = Vec::with_capacity(inside.len() + 1);
        held.extend(covering);
        held.extend_from_slice(inside);
        ev.samples = held.iter().map(record).collect();
        if held.is_empty() {
            let r = format!("no sample of `{}` at or before now ({})", ev.series, format_rfc3339(self.now));
            return Finding::err(r, ev);
        }
        let w = HeldWindow { series, held, covering, cover_at, from, dur, target, shown };
        self.judge_held(&k, &w, ev)
    }

    /// Judges the samples in effect during the window, in three steps.
    fn judge_held(&self, k: &KpiInfo, w: &HeldWindow, mut ev: Evidence) -> Finding<KpiState> {
        let held = &w.held;
        let counts_in_window = |i: usize| {
            // The instant of the window where the sample is youngest.
            let first = held[i].time.max(w.cover_at);
            !k.is_stale(first.saturating_sub(held[i].time))
        };
        // 1. A sample that counts and breaks the target fails, whatever else
        //    is wrong; the first such is named.
        let mut breaking: Vec<(usize, Rational)> = Vec::new();
        let mut undecided: Option<String> = None;
        let mut exact_held: Vec<(Sample, Rational)> = Vec::with_capacity(held.len());
        // The target in the KPI's raw unit, converted once for all samples.
        let bound = k.unit.from_value(w.target.1);
        for (i, s) in held.iter().enumerate() {
            if !counts_in_window(i) {
                continue;
            }
            match exact_value(&self.index, w.series, s) {
                Ok(q) => match k.meets_in_raw(bound, w.target, q) {
                    Ok(true) => exact_held.push((*s, q)),
                    Ok(false) => breaking.push((i, q)),
                    Err(r) => return Finding::err(r, ev),
                },
                Err(r) => {
                    undecided.get_or_insert(r);
                }
            }
        }
        if let Some((i, q)) = breaking.first().copied() {
            let s = held[i];
            let reason = Self::broken(k, w, s, q, breaking.len() - 1);
            ev.value = Some(Num(s.value));
            ev.unit = Some(k.unit.name());
            return Finding { result: Ok(KpiState::Missed), reason, evidence: Arc::new(ev) };
        }
        // 2. Otherwise every instant must have a fresh sample in effect.
        let Some(first) = w.covering else {
            let all = w.series.samples_in(i64::MIN, self.now);
            let n = all.len();
            let first_time = all.first().map_or(self.now, |s| s.time);
            let who = if n == 1 { "one sample".to_string() } else { format!("{n} samples") };
            let r = format!(
                "{who} cannot show {dur}: the first sample is at {}, after now - {dur} ({})",
                format_rfc3339(first_time),
                format_rfc3339(w.from),
                dur = w.dur
            );
            return Finding::err(r, ev);
        };
        if let Some(r) = undecided {
            return Finding::err(r, ev);
        }
        if let Some(r) = self.first_gap(k, w, &ev.series) {
            return Finding::err(r, ev);
        }
        // 3. It held: warn when the value in effect at `now` is at risk.
        match self.held_reason(k, w, first, &exact_held) {
            Ok((state, reason)) => Finding { result: Ok(state), reason, evidence: Arc::new(ev) },
            Err(r) => Finding::err(r, ev),
        }
    }

    /// Why a sample that counts breaks the target, with how many `more` do.
    fn broken(k: &KpiInfo, w: &HeldWindow, s: Sample, q: Rational, more: usize) -> String {
        let (dur, shown) = (&w.dur, &w.shown);
        let more = match more {
            0 => String::new(),
            1 => " (and 1 more sample)".to_string(),
            n => format!(" (and {n} more samples)"),
        };
        if s.time < w.from {
            format!(
                "{} in effect from {} (before the {dur} window began at {}) breaks `{shown}`{more}",
                k.show(q),
                format_rfc3339(s.time),
                format_rfc3339(w.from)
            )
        } else {
            format!("{} at {} breaks `{shown}` inside the {dur} window{more}", k.show(q), format_rfc3339(s.time))
        }
    }

    /// The first instant of the window with no fresh sample in effect, in
    /// words: each sample is in effect from its time until the next one
    /// (the last until `now`) and counts while no older than `max_age`.
    fn first_gap(&self, k: &KpiInfo, w: &HeldWindow, series: &str) -> Option<String> {
        let held = &w.held;
        let until = |i: usize| held.get(i + 1).map_or(self.now, |s| s.time);
        for i in 0..held.len() {
            let end = until(i);
            if k.is_stale(end.saturating_sub(held[i].time)) {
                let gap_from = held[i].time.saturating_add(secs_to_nanos_floor(k.max_age).unwrap_or(i64::MAX));
                return Some(if i + 1 == held.len() {
                    format!(
                        "stale: the last sample of `{}` is at {}, older than max_age {}",
                        series,
                        format_rfc3339(held[i].time),
                        fmt_dur(k.max_age)
                    )
                } else {
                    format!(
                        "a gap in `{}`: no fresh sample from {} to {} (the sample at {} is older than max_age {} before the next)",
                        series,
                        format_rfc3339(gap_from.max(w.from)),
                        format_rfc3339(end),
                        format_rfc3339(held[i].time),
                        fmt_dur(k.max_age)
                    )
                });
            }
        }
        None
    }

    /// The state and sentence of a window that held: at risk when the
    /// value in effect at `now` is in the warn band.
    fn held_reason(
        &self,
        k: &KpiInfo,
        w: &HeldWindow,
        first: Sample,
        exact_held: &[(Sample, Rational)],
    ) -> Result<(KpiState, String), String> {
        let (dur, shown) = (&w.dur, &w.shown);
        let last = w.held[w.held.len() - 1];
        let last_q = exact_value(&self.index, w.series, &last)?;
        let at_risk = match k.warn() {
            Some(warn) => k.meets(warn, last_q)?,
            None => false,
        };
        let n = w.held.len();
        let closest = worst_sample(w.target.0, exact_held);
        // One string, its pieces appended (reasons are many).
        let mut reason = String::with_capacity(160);
        let time = &mut [0; 30];
        match closest {
            Some((s, q)) if n > 1 => {
                reason.push_str("all ");
                push_int(&mut reason, n as i64);
                reason.push_str(if first.time < w.from {
                    " samples in effect during the "
                } else {
                    " samples in the "
                });
                for piece in [dur.as_str(), " window meet `", shown.as_str(), "` (the closest, "] {
                    reason.push_str(piece);
                }
                k.unit.push_raw(q, &mut reason);
                reason.push_str(" at ");
                reason.push_str(&rfc3339_text(s.time, time));
                reason.push(')');
            }
            _ => {
                let (words, at, time_word) = if first.time < w.from {
                    ("the value in effect throughout the ", first.time, " from ")
                } else {
                    ("the one sample in the ", last.time, " at ")
                };
                for piece in [words, dur.as_str(), " window, "] {
                    reason.push_str(piece);
                }
                k.unit.push_raw(last_q, &mut reason);
                reason.push_str(time_word);
                reason.push_str(&rfc3339_text(at, time));
                for piece in [", meets `", shown.as_str(), "`"] {
                    reason.push_str(piece);
                }
            }
        }
        if at_risk {
            if let Some(warn) = k.warn() {
                reason.push_str("; the latest, ");
                k.unit.push_raw(last_q, &mut reason);
                reason.push_str(", is `");
                reason.push_str(&k.show_threshold(self.model, warn));
                reason.push_str("` (its `warn`)");
            }
        }
        Ok((if at_risk { KpiState::AtRisk } else { KpiState::Met }, reason))
    }
}

/// The samples in effect during a `KPI for D` window, and what judging
/// them needs.
struct HeldWindow<'s, 'v> {
    series: &'s Series,
    /// The sample covering the window's start (if any), then every later
    /// one up to `now`.
    held: Vec<Sample>,
    /// The sample in effect at the window's start, when there is one.
    covering: Option<Sample>,
    /// The window's start, rounded down to a whole nanosecond.
    cover_at: i64,
    /// The window's start, as its first whole nanosecond.
    from: i64,
    /// The duration `D`, for people.
    dur: String,
    target: (CmpOp, &'v Value),
    /// The target, for people.
    shown: String,
}

/// The sample closest to breaking a threshold (the largest under `<`/`<=`,
/// the smallest under `>`/`>=`), with its exact value.
fn worst_sample(op: CmpOp, samples: &[(Sample, Rational)]) -> Option<(Sample, Rational)> {
    let mut it = samples.iter().copied();
    let first = it.next()?;
    Some(match op {
        CmpOp::Lt | CmpOp::Le => it.fold(first, |a, b| if b.1 >= a.1 { b } else { a }),
        CmpOp::Gt | CmpOp::Ge => it.fold(first, |a, b| if b.1 <= a.1 { b } else { a }),
        CmpOp::Eq | CmpOp::Ne => return None,
    })
}
