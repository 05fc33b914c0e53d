//! Property: a KPI's sample against a threshold in another unit decides
//! exactly as exact rational arithmetic says, strict and non-strict, at
//! the boundary and one step either side of it. The reference arithmetic
//! here is the test's own (scaled `i128` integers), not the product's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use compel::analysis::{analyze, MemoryLoader};
use compel::eval::metrics::{parse_rfc3339, Labels, MetricStore, Sample, Series};
use compel::eval::{evaluate, EvalOptions, KpiStatus};
use proptest::prelude::*;

/// A unit word as a KPI's `unit` and as a literal suffix, with its factor
/// to the dimension's base as `(numerator, denominator)`.
#[derive(Clone, Copy, Debug)]
struct Unit {
    kpi: &'static str,
    literal: &'static str,
    factor: (i128, i128),
    time: bool,
}

const UNITS: &[Unit] = &[
    Unit { kpi: "ms", literal: "ms", factor: (1, 1000), time: true },
    Unit { kpi: "s", literal: "s", factor: (1, 1), time: true },
    Unit { kpi: "m", literal: "m", factor: (60, 1), time: true },
    Unit { kpi: "h", literal: "h", factor: (3600, 1), time: true },
    Unit { kpi: "d", literal: "d", factor: (86_400, 1), time: true },
    Unit { kpi: "w", literal: "w", factor: (604_800, 1), time: true },
    Unit { kpi: "percent", literal: "%", factor: (1, 100), time: false },
    Unit { kpi: "ratio", literal: "", factor: (1, 1), time: false },
];

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// `n / d` as a terminating decimal with at most 12 fraction digits.
fn decimal(n: i128, d: i128) -> Option<String> {
    for k in 0..=12u32 {
        let scale = 10i128.pow(k);
        if (n * scale) % d == 0 {
            let v = n * scale / d;
            let neg = v < 0;
            let digits = format!("{:0>width$}", v.abs(), width = k as usize + 1);
            let (int, frac) = digits.split_at(digits.len() - k as usize);
            let body = if k == 0 { int.to_string() } else { format!("{int}.{frac}") };
            return Some(if neg { format!("-{body}") } else { body });
        }
    }
    None
}

/// The KPI's status for `sample` (a decimal in `kpi`'s unit) against
/// `OP threshold` (a decimal in `lit`'s unit).
fn status(kpi: Unit, sample: &str, op: &str, lit: Unit, threshold: &str) -> KpiStatus {
    let policy = format!(
        "kpi k {{\n  metric \"m\"\n  unit {}\n  target {op} {threshold}{}\n}}\ninitiative i {{\n  owner \"o\"\n  stage model\n  kpis [k]\n}}\n",
        kpi.kpi, lit.literal
    );
    let mut files = MemoryLoader::default();
    files.insert("p.compel", policy.as_str());
    let a = analyze(&["p.compel".to_string()], &files);
    let errors: Vec<_> = a.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{policy}\n{errors:?}");
    let now = parse_rfc3339("2026-11-24T00:00:00Z").unwrap();
    let value: f64 = sample.parse().unwrap();
    let store: MetricStore =
        [Series::with_samples("m", Labels::new(), vec![Sample { time: now - 1_000_000_000, value }])]
            .into_iter()
            .collect();
    let report = evaluate(&a.model, &a.files, &store, &EvalOptions::at(now));
    report.kpis.iter().find(|k| k.name == "k").map(|k| k.status).unwrap()
}

fn units() -> impl Strategy<Value = (Unit, Unit)> {
    (0..UNITS.len(), 0..UNITS.len()).prop_filter_map("same dimension", |(a, b)| {
        let (a, b) = (UNITS[a], UNITS[b]);
        // A bare number against a `unit percent` KPI is refused (E0512).
        (a.time == b.time && !(a.kpi == "percent" && b.literal.is_empty())).then_some((a, b))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn thresholds_across_units_decide_exactly(
        (kpi, lit) in units(),
        mantissa in -9_999_999i64..9_999_999,
        scale in 0u32..5,
        nudge in -1i128..=1,
    ) {
        // The sample: mantissa * 10^-scale in the KPI's unit.
        let (m, p) = (i128::from(mantissa), 10i128.pow(scale));
        let sample = decimal(m, p).unwrap();
        // The same quantity in the literal's unit, exactly: m / p * f_kpi / f_lit.
        let num = m * kpi.factor.0 * lit.factor.1;
        let den = p * kpi.factor.1 * lit.factor.0;
        let g = gcd(num, den).max(1);
        let (num, den) = (num / g, den / g);
        // Only thresholds a person can write as a decimal.
        prop_assume!(decimal(num, den).is_some());
        // One step of 10^-9 in the literal's unit either side, or none.
        let step = 1_000_000_000i128;
        let (tn, td) = (num * step + nudge * den, den * step);
        let Some(threshold) = decimal(tn, td) else { return Ok(()) };
        // The reference: sample (in base units) vs threshold (in base units).
        let left = m * kpi.factor.0 * td * lit.factor.1;
        let right = tn * lit.factor.0 * p * kpi.factor.1;
        for op in ["<", "<=", ">", ">=", "=="] {
            let holds = match op {
                "<" => left < right,
                "<=" => left <= right,
                ">" => left > right,
                ">=" => left >= right,
                _ => left == right,
            };
            let got = status(kpi, &sample, op, lit, &threshold);
            let want = if holds { KpiStatus::Met } else { KpiStatus::Missed };
            prop_assert_eq!(
                got, want,
                "{} {} vs `{} {}{}`", sample, kpi.kpi, op, threshold, lit.literal
            );
        }
    }
}

#[test]
fn the_examples_of_the_issue() {
    let unit = |w: &str| *UNITS.iter().find(|u| u.kpi == w).unwrap();
    assert_eq!(status(unit("m"), "4.1", "<", unit("s"), "246"), KpiStatus::Missed);
    assert_eq!(status(unit("m"), "4.1", "<=", unit("s"), "246"), KpiStatus::Met);
    assert_eq!(status(unit("ratio"), "0.0047", "<", unit("percent"), "0.47"), KpiStatus::Missed);
    assert_eq!(status(unit("ratio"), "0.0047", "==", unit("percent"), "0.47"), KpiStatus::Met);
    assert_eq!(status(unit("m"), "1008", "==", unit("d"), "0.7"), KpiStatus::Met);
}
