//! A KPI's trend as a minimal inline SVG: the samples as one path with
//! integer coordinates, a dot on the latest, and the target and warn bounds
//! as straight lines drawn by the style sheet (dashed, dotted).
//!
//! The box is [`W`] by [`H`] user units; times map onto it exactly (integer
//! arithmetic on the nanoseconds, rounded to the nearest unit), values
//! linearly between the lowest and highest of the samples and the bounds.
//! Repeated points (more samples than units across) are written once, so a
//! trend costs a few bytes per distinct point.

use std::fmt::Write as _;

use super::esc;
use crate::eval::report::SampleRecord;

/// The box's width and height, and the margin kept free around the trend
/// (so that the line and its dot are never cut at the edge).
const W: i64 = 240;
const H: i64 = 40;
const PAD: i64 = 4;

/// A bound drawn across a sparkline: its value and its class (`t` the
/// target, `w` the warn bound), which the style sheet draws.
pub(super) struct Bound {
    pub value: f64,
    pub class: &'static str,
}

/// `a * b / c` rounded to the nearest integer (halves away from zero), for
/// `c > 0`, without overflow.
fn mul_div_round(a: i64, b: i64, c: i64) -> i64 {
    let (n, c) = (i128::from(a) * i128::from(b), i128::from(c));
    let q = if n >= 0 { (2 * n + c) / (2 * c) } else { -((-2 * n + c) / (2 * c)) };
    i64::try_from(q).unwrap_or(0)
}

/// The x of time `t` in a trend from `t0` to `t1`.
fn x_of(t: i64, t0: i64, t1: i64) -> i64 {
    if t1 <= t0 {
        return W / 2;
    }
    PAD + mul_div_round(t.saturating_sub(t0), W - 2 * PAD, t1.saturating_sub(t0).max(1))
}

/// The y of value `v` between `lo` (drawn at the bottom margin) and `hi`
/// (at the top margin), clamped into the box.
fn y_of(v: f64, lo: f64, hi: f64) -> i64 {
    let y = (H - PAD) as f64 - (v - lo) / (hi - lo) * (H - 2 * PAD) as f64;
    if y.is_finite() {
        (y.round() as i64).clamp(0, H)
    } else {
        H / 2
    }
}

/// Writes the trend as an inline SVG labelled `label`, or a line saying
/// there is nothing to draw.
pub(super) fn sparkline(out: &mut String, samples: &[&SampleRecord], bounds: &[Bound], label: &str) {
    let points: Vec<(i64, f64)> =
        samples.iter().filter(|s| s.value.0.is_finite()).map(|s| (s.time.0, s.value.0)).collect();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        out.push_str("<p class=\"muted\">No samples to draw.</p>");
        return;
    };
    let (t0, t1) = (first.0.min(last.0), last.0.max(first.0));
    let bounds: Vec<&Bound> = bounds.iter().filter(|b| b.value.is_finite()).collect();
    let values = points.iter().map(|p| p.1).chain(bounds.iter().map(|b| b.value));
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        lo -= 1.0;
        hi += 1.0;
    }
    let _ = write!(out, "<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">", esc(label));
    for b in bounds {
        let _ = write!(out, "<path class=\"{}\" d=\"M0 {}H{W}\"/>", b.class, y_of(b.value, lo, hi));
    }
    let mut d = String::with_capacity(points.len() * 7);
    let (mut previous, mut drawn) = (None, 0);
    for &(t, v) in &points {
        let p = (x_of(t, t0, t1), y_of(v, lo, hi));
        if previous == Some(p) {
            continue;
        }
        let command = match drawn {
            0 => "M",
            1 => "L",
            _ => " ",
        };
        let _ = write!(d, "{command}{} {}", p.0, p.1);
        previous = Some(p);
        drawn += 1;
    }
    if let Some((x, y)) = previous {
        // A single point is drawn by its dot alone.
        if drawn > 1 {
            let _ = write!(out, "<path d=\"{d}\"/>");
        }
        let _ = write!(out, "<path class=\"d\" d=\"M{x} {y}h0\"/>");
    }
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::report::{Num, Time};

    fn samples(points: &[(i64, f64)]) -> Vec<SampleRecord> {
        points.iter().map(|&(t, v)| SampleRecord { time: Time(t), value: Num(v) }).collect()
    }

    fn draw(points: &[(i64, f64)], bounds: &[Bound]) -> String {
        let s = samples(points);
        let refs: Vec<&SampleRecord> = s.iter().collect();
        let mut out = String::new();
        sparkline(&mut out, &refs, bounds, "trend");
        out
    }

    #[test]
    fn times_map_exactly_onto_integer_coordinates() {
        assert_eq!(mul_div_round(1, 232, 3), 77); // 77.33
        assert_eq!(mul_div_round(2, 232, 3), 155); // 154.67
        assert_eq!(mul_div_round(1, 3, 2), 2); // 1.5, half away from zero
        assert_eq!(mul_div_round(-1, 3, 2), -2);
        assert_eq!(x_of(0, 0, 3), 4);
        assert_eq!(x_of(3, 0, 3), 236);
        // Nanosecond times a week apart: no overflow, exact ends.
        let week = 7 * 86_400 * 1_000_000_000_i64;
        assert_eq!(
            x_of(1_795_478_400_000_000_000 + week, 1_795_478_400_000_000_000, 1_795_478_400_000_000_000 + week),
            236
        );
    }

    #[test]
    fn one_path_with_the_bounds_and_a_dot() {
        let svg = draw(
            &[(0, 7.0), (1, 6.5), (2, 5.5), (3, 5.8)],
            &[Bound { value: 5.0, class: "t" }, Bound { value: 6.0, class: "w" }],
        );
        // lo 5 at y 36, hi 7 at y 4: 16 units per 1.
        assert_eq!(
            svg,
            "<svg viewBox=\"0 0 240 40\" role=\"img\" aria-label=\"trend\"><path class=\"t\" d=\"M0 36H240\"/>\
             <path class=\"w\" d=\"M0 20H240\"/><path d=\"M4 4L81 12 159 28 236 23\"/><path class=\"d\" d=\"M236 23h0\"/></svg>"
        );
    }

    #[test]
    fn repeated_points_once_and_a_single_point_as_a_dot() {
        // 1,000 samples over 232 units: each distinct point once.
        let many: Vec<(i64, f64)> = (0..1000).map(|t| (t, 1.0)).collect();
        let svg = draw(&many, &[]);
        let d = &svg[svg.find("<path d=\"").unwrap() + 9..];
        let d = &d[..d.find('"').unwrap()];
        let numbers = d.replace(['M', 'L'], " ").split_whitespace().count();
        assert_eq!(numbers, 2 * 233, "{d}");
        assert!(d.starts_with("M4 20L5 20 6 20 ") && d.ends_with(" 236 20"), "{d}");
        assert_eq!(
            draw(&[(5, 2.0)], &[]),
            "<svg viewBox=\"0 0 240 40\" role=\"img\" aria-label=\"trend\"><path class=\"d\" d=\"M120 20h0\"/></svg>"
        );
        assert_eq!(draw(&[(5, f64::NAN)], &[]), "<p class=\"muted\">No samples to draw.</p>");
    }
}
