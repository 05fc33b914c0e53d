//! The evaluator's semantics through the library API: `KPI for D` and its
//! precedence rules, window functions, units, drift, source errors, absent
//! attributes, policy filters, gate grouping, enforcement and determinism.
//! (`tests/eval_cli.rs` drives the binary on the acceptance examples.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use compel::analysis::{analyze, MemoryLoader};
use compel::check::rational::Rational;
use compel::eval::metrics::{parse_rfc3339, Labels, MetricStore, Sample, Series};
use compel::eval::report::{CriterionReport, Evidence, Num};
use compel::eval::{evaluate, EvalOptions, KpiStatus, Outcome, Report};

const NOW: &str = "2026-11-24T00:00:00Z";
const SEC: i64 = 1_000_000_000;
const DAY: i64 = 86_400 * SEC;

fn now() -> i64 {
    parse_rfc3339(NOW).unwrap()
}

/// A series of daily samples ending `days_before_now_of_last` days before
/// now: `values[i]` at `now - (len - 1 - i + last) days`.
fn daily(metric: &str, values: &[f64], last_days_ago: i64) -> Series {
    let n = values.len() as i64;
    let samples = values
        .iter()
        .enumerate()
        .map(|(i, v)| Sample { time: now() - (n - 1 - i as i64 + last_days_ago) * DAY, value: *v })
        .collect();
    Series::with_samples(metric, Labels::new(), samples)
}

fn eval_with(policy: &str, store: &MetricStore, max_age_secs: i64) -> Report {
    let mut files = MemoryLoader::default();
    files.insert("p.compel", policy);
    let a = analyze(&["p.compel".to_string()], &files);
    let errors: Vec<String> = a.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    // Policy violations on declared facts are decisions eval reports itself.
    assert!(errors.iter().all(|m| m.contains("does not meet") || m.contains("needs")), "{errors:?}");
    evaluate(&a.model, &a.files, store, &EvalOptions { now: now(), default_max_age: Rational::int(max_age_secs) })
}

fn eval(policy: &str, series: Vec<Series>) -> Report {
    eval_with(policy, &series.into_iter().collect(), 86_400)
}

/// A one-KPI policy with the given gate criteria.
fn gate_policy(kpi: &str, criteria: &str) -> String {
    format!("{kpi}\ninitiative i {{\n  owner \"o\"\n  stage model\n  gate model -> produce {{\n{criteria}\n  }}\n}}\n")
}

fn criteria(r: &Report) -> &[CriterionReport] {
    &r.initiatives[0].gates[0].criteria
}

fn only(r: &Report) -> &CriterionReport {
    assert_eq!(criteria(r).len(), 1);
    &criteria(r)[0]
}

const LAT: &str = "kpi lat { metric \"lat\" unit ms target <= 250ms }";

#[test]
fn for_fails_on_a_breaking_sample_whatever_else_is_wrong() {
    // 260 breaks; a NaN and a stale last sample would each make it unknown.
    let s = daily("lat", &[200.0, 260.0, f64::NAN, 200.0], 3);
    let r = eval(&gate_policy(LAT, "require lat for 7d"), vec![s]);
    let c = only(&r);
    assert_eq!(c.outcome, Outcome::Fail, "{}", c.reason);
    assert!(c.reason.starts_with("260ms at 2026-11-19T00:00:00Z breaks `<= 250ms`"), "{}", c.reason);
}

#[test]
fn for_names_the_first_breaking_sample_and_counts_the_rest() {
    let s = daily("lat", &[200.0, 200.0, 300.0, 200.0, 270.0, 251.0, 200.0, 200.0], 0);
    let c = only(&eval(&gate_policy(LAT, "require lat for 7d"), vec![s])).clone();
    assert_eq!(c.outcome, Outcome::Fail);
    assert_eq!(c.reason, "300ms at 2026-11-19T00:00:00Z breaks `<= 250ms` inside the 7d window (and 2 more samples)");
    assert_eq!(c.evidence[0].value, Some(Num(300.0)));
}

#[test]
fn for_is_unknown_when_history_staleness_or_nan_leave_it_open() {
    let p = gate_policy(LAT, "require lat for 7d");
    // History shorter than the window.
    let c = only(&eval(&p, vec![daily("lat", &[200.0, 210.0, 220.0], 0)])).clone();
    assert_eq!(c.outcome, Outcome::Unknown);
    assert_eq!(
        c.reason,
        "3 samples cannot show 7d: the first sample is at 2026-11-22T00:00:00Z, after now - 7d (2026-11-17T00:00:00Z)"
    );
    // Covered, but the last sample is two days old (max_age 1d by default).
    let c = only(&eval(&p, vec![daily("lat", &[200.0; 9], 2)])).clone();
    assert_eq!(c.outcome, Outcome::Unknown);
    assert!(c.reason.starts_with("stale: the last sample of `lat` is at 2026-11-22T00:00:00Z"), "{}", c.reason);
    // Covered and fresh, but a NaN inside the window.
    let c =
        only(&eval(&p, vec![daily("lat", &[200.0, 200.0, f64::NAN, 200.0, 200.0, 200.0, 200.0, 200.0], 0)])).clone();
    assert_eq!(c.outcome, Outcome::Unknown);
    assert!(c.reason.ends_with("is NaN"), "{}", c.reason);
    // Covered exactly from the window's start, fresh, all good.
    let c = only(&eval(&p, vec![daily("lat", &[250.0, 200.0, 200.0, 200.0, 200.0, 200.0, 200.0, 240.0], 0)])).clone();
    assert_eq!(c.outcome, Outcome::Pass, "{}", c.reason);
    assert_eq!(c.reason, "all 8 samples in the 7d window meet `<= 250ms` (the closest, 250ms at 2026-11-17T00:00:00Z)");
}

#[test]
fn for_carries_the_last_value_into_an_empty_window() {
    // max_age 30d: a sample 5 days old is fresh; the window of 2d is empty.
    let kpi = "kpi lat { metric \"lat\" unit ms target <= 250ms max_age 30d }";
    let p = gate_policy(kpi, "require lat for 2d");
    let c = only(&eval(&p, vec![daily("lat", &[200.0, 210.0], 5)])).clone();
    assert_eq!(c.outcome, Outcome::Pass, "{}", c.reason);
    assert!(
        c.reason.starts_with("the value in effect throughout the 2d window, 210ms from 2026-11-19T00:00:00Z"),
        "{}",
        c.reason
    );
    let c = only(&eval(&p, vec![daily("lat", &[200.0, 290.0], 5)])).clone();
    assert_eq!(c.outcome, Outcome::Fail, "{}", c.reason);
}

/// The evidence value of each criterion, in order.
fn values(r: &Report) -> Vec<Option<f64>> {
    criteria(r)
        .iter()
        .map(|c| c.evidence.first().and_then(|e: &std::sync::Arc<Evidence>| e.value).map(|n| n.0))
        .collect()
}

#[test]
fn window_functions_follow_numpy() {
    let kpi = "kpi k { metric \"k\" target >= 0 }";
    let funcs = ["last", "avg", "min", "max", "sum", "count", "p50", "p90", "p95", "p99", "delta"];
    let crit: Vec<String> = funcs.iter().map(|f| format!("    advise {f}(k, 6d) > -100")).collect();
    // Seven samples inside [now - 6d, now]; one older, outside the window.
    let s = daily("k", &[100.0, 3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0], 0);
    let r = eval(&gate_policy(kpi, &crit.join("\n")), vec![s]);
    let got = values(&r);
    // numpy: sorted [1, 1, 2, 3, 4, 5, 9]; percentile(..., 90) = 6.6 etc.
    let want = [2.0, 25.0 / 7.0, 1.0, 9.0, 25.0, 7.0, 3.0, 6.6, 7.8, 8.76, -1.0];
    for ((f, g), w) in funcs.iter().zip(&got).zip(want) {
        let g = g.unwrap_or_else(|| panic!("{f} has a value"));
        assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{f}: {g} != {w}");
    }
    assert!(criteria(&r).iter().all(|c| c.outcome == Outcome::Pass));
    assert_eq!(criteria(&r)[0].evidence[0].samples.len(), 7, "both ends of the window included");
    assert_eq!(criteria(&r)[5].evidence[0].unit.as_deref(), Some("number"));
}

#[test]
fn an_empty_window_is_unknown_even_for_count() {
    let kpi = "kpi k { metric \"k\" target >= 0 max_age 30d }";
    let r = eval(
        &gate_policy(kpi, "    require count(k, 1d) >= 0\n    require avg(k, 1d) >= 0"),
        vec![daily("k", &[1.0], 3)],
    );
    for c in criteria(&r) {
        assert_eq!(c.outcome, Outcome::Unknown, "{}", c.text);
        assert!(c.reason.starts_with("no sample of `k` in the 1d window"), "{}", c.reason);
    }
}

#[test]
fn units_convert_before_comparing() {
    let policy = "
kpi lat_s { metric \"lat_s\" unit s target <= 250ms }
kpi acc_ratio { metric \"acc\" unit ratio target >= 92% warn < 94% }
kpi acc_pct { metric \"acc_pct\" unit percent target >= 92% warn < 94% }
initiative i {
  owner \"o\"
  stage model
  kpis [lat_s, acc_ratio, acc_pct]
  gate model -> produce {
    require lat_s
    require lat_s < 200ms
    require acc_ratio > 93%
    require avg(acc_pct, 1d) == 93.5%
  }
}
";
    let r = eval(policy, vec![daily("lat_s", &[0.199], 0), daily("acc", &[0.935], 0), daily("acc_pct", &[93.5], 0)]);
    let k = |n: &str| r.kpis.iter().find(|k| k.name == n).unwrap();
    assert_eq!(k("lat_s").status, KpiStatus::Met);
    assert_eq!(k("lat_s").value, Some(Num(0.199)));
    assert_eq!(k("lat_s").reason, "latest 0.199s at 2026-11-24T00:00:00Z meets `<= 0.25s`");
    assert_eq!(k("acc_ratio").status, KpiStatus::AtRisk);
    assert_eq!(k("acc_pct").status, KpiStatus::AtRisk);
    let c = criteria(&r);
    assert_eq!(c[0].outcome, Outcome::Pass);
    assert_eq!(c[1].outcome, Outcome::Pass, "199ms < 200ms: {}", c[1].reason);
    assert_eq!(c[2].outcome, Outcome::Pass, "{}", c[2].reason);
    assert_eq!(c[3].outcome, Outcome::Pass, "{}", c[3].reason);
    assert_eq!(c[2].reason, "`acc_ratio` is 93.5% (at 2026-11-24T00:00:00Z): 93.5% > 93%");
}

#[test]
fn drift_statistics_use_the_two_windows() {
    let kpi = "kpi k { metric \"k\" target >= 0 }";
    // Reference [now-7d, now-2d): days 7..3 ago; current [now-2d, now]: days 2..0 ago.
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let s = daily("k", &values, 0);
    let r = eval(
        &gate_policy(
            kpi,
            "    advise ks(k, 2d, 5d) > 0.5\n    advise psi(k, 2d, 5d) > 0\n    advise wasserstein(k, 2d, 5d) > 0",
        ),
        vec![s],
    );
    let c = criteria(&r);
    let refs = [1.0, 2.0, 3.0, 4.0, 5.0];
    let cur = [6.0, 7.0, 8.0];
    assert_eq!(c[0].evidence[0].reference.as_ref().unwrap().samples.len(), 5, "reference [now-7d, now-2d)");
    assert_eq!(c[0].evidence[0].samples.len(), 3, "current [now-2d, now]");
    assert_eq!(c[0].evidence[0].value, Some(Num(compel::eval::drift::ks(&refs, &cur).unwrap())));
    assert_eq!(c[1].evidence[0].value, Some(Num(compel::eval::drift::psi(&refs, &cur).unwrap())));
    assert_eq!(c[2].evidence[0].value, Some(Num(compel::eval::drift::wasserstein(&refs, &cur).unwrap())));
    // An empty reference window is unknown.
    let r = eval(&gate_policy(kpi, "    require psi(k, 2d, 5d) < 0.2"), vec![daily("k", &[1.0, 2.0], 0)]);
    assert_eq!(only(&r).outcome, Outcome::Unknown);
    assert!(only(&r).reason.contains("reference window"), "{}", only(&r).reason);
}

#[test]
fn a_source_error_is_unknown_with_its_reason() {
    let mut store: MetricStore = vec![daily("lat", &[200.0; 8], 0)].into_iter().collect();
    store.add_source_error("lat", "prometheus at http://x is unreachable: connection refused");
    let r = eval_with(&gate_policy(LAT, "require lat"), &store, 86_400);
    let c = only(&r);
    assert_eq!(c.outcome, Outcome::Unknown);
    assert_eq!(c.reason, "the source of `lat` failed: prometheus at http://x is unreachable: connection refused");
    assert_eq!(r.kpis[0].status, KpiStatus::Unknown);
}

#[test]
fn absent_attributes_and_undecidable_filters_are_unknown() {
    let policy = "
program p { sponsor s }
person s { name \"S\" role CEO }
policy renewed for program { require approved_until > today }
policy reviewed for program where approved_until > today { require review_every <= 30d }
";
    let r = eval(policy, vec![]);
    let renewed = r.policies.iter().find(|p| p.name == "renewed").unwrap();
    assert_eq!(renewed.outcome, Outcome::Unknown);
    assert_eq!(renewed.criteria[0].reason, "`p` does not set `approved_until`");
    let reviewed = r.policies.iter().find(|p| p.name == "reviewed").unwrap();
    assert_eq!(reviewed.outcome, Outcome::Unknown, "a filter that cannot be decided does not skip the policy");
    assert_eq!(&*reviewed.criteria[0].text, "where approved_until > today");
    assert!(reviewed.criteria[0].reason.starts_with("cannot tell whether the policy applies"));
    assert_eq!(r.outcome, Outcome::Unknown);
}

#[test]
fn gates_of_one_transition_combine_and_enforcement_maps_outcomes() {
    let policy = "
kpi acc { metric \"acc\" unit percent target >= 92% warn < 94% }
gate model -> produce {
  require count(datasets) >= 0
}
gate produce -> evaluate {
  require false
}
initiative i {
  owner \"o\"
  stage model
  kpis  [acc]
  gate model -> produce {
    expect acc
    expect acc > 99%
    advise acc > 99%
  }
}
";
    let r = eval(policy, vec![daily("acc", &[93.0], 0)]);
    let gates = &r.initiatives[0].gates;
    assert_eq!(gates.len(), 1, "only the current stage's transition");
    let c = &gates[0].criteria;
    assert_eq!(c.len(), 4, "the organisation's gate and the initiative's own");
    assert_eq!(&*c[0].text, "require count(datasets) >= 0");
    assert_eq!(c[1].outcome, Outcome::Warn, "at risk");
    assert_eq!((c[2].outcome, c[2].holds), (Outcome::Warn, Some(false)), "expect: fail becomes warn");
    assert_eq!((c[3].outcome, c[3].holds), (Outcome::Warn, Some(false)), "advise never blocks");
    assert_eq!(gates[0].outcome, Outcome::Warn);
    assert!(r.initiatives[0].ready, "a gate that warns lets the initiative advance");
    assert_eq!(r.outcome, Outcome::Pass, "a gate nobody asked about is readiness, not the outcome");
    let mut asked = r.clone();
    asked.ask(&compel::eval::Ready::All);
    assert_eq!(asked.outcome, Outcome::Warn);
    assert!(!asked.blocks());
}

#[test]
fn reports_do_not_depend_on_the_order_of_sources() {
    let policy = gate_policy(
        "kpi a { metric \"a\" target >= 1 }\nkpi b { metric \"b\" target >= 1 }",
        "require a\n    require avg(b, 3d) > 1",
    );
    let s1 = daily("a", &[1.0, 2.0, 3.0], 0);
    let s2 = daily("b", &[2.0, 3.0, 4.0], 0);
    let x = eval(&policy, vec![s1.clone(), s2.clone()]).to_json();
    let y = eval(&policy, vec![s2, s1]).to_json();
    assert_eq!(x, y);
    assert!(x.ends_with("}\n"));
}

#[test]
fn samples_after_now_do_not_exist() {
    let mut s = daily("lat", &[200.0; 8], 0);
    s.samples.push(Sample { time: now() + 3600 * SEC, value: 900.0 });
    let r = eval(&gate_policy(LAT, "require lat for 7d\n    require max(lat, 7d) < 250ms"), vec![s]);
    assert!(criteria(&r).iter().all(|c| c.outcome == Outcome::Pass));
}

#[test]
fn for_warns_when_the_value_in_effect_now_is_in_the_warn_band() {
    let kpi = "kpi lat { metric \"lat\" unit ms target <= 250ms warn > 230ms }";
    let p = gate_policy(kpi, "require lat for 3d");
    // Held throughout; the latest, 240ms, is in the warn band.
    let c = only(&eval(&p, vec![daily("lat", &[200.0, 200.0, 210.0, 240.0], 0)])).clone();
    assert_eq!(c.outcome, Outcome::Warn, "{}", c.reason);
    assert!(c.reason.ends_with("the latest, 240ms, is `> 230ms` (its `warn`)"), "{}", c.reason);
    // An earlier sample in the band does not warn: only the value in effect now.
    let c = only(&eval(&p, vec![daily("lat", &[240.0, 200.0, 210.0, 200.0], 0)])).clone();
    assert_eq!(c.outcome, Outcome::Pass, "{}", c.reason);
}

#[test]
fn a_failed_quantifier_names_its_failing_elements_and_pairs() {
    // 40 numbers, 13 of them above 27: the reason names five and counts
    // the rest; the report keeps them all.
    let xs: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
    let policy = format!(
        "let xs = [{}]\nlet ys = [1, 2, 3]\n{}",
        xs.join(", "),
        gate_policy(
            LAT,
            "    require all(x in xs: x <= 27)\n    require all(a in ys: all(b in ys: a * b < 4))\n    \
             require all(a in ys: all(k in [lat]: k for 1d))"
        )
    );
    let r = eval(&policy, vec![daily("lat", &[200.0, 300.0], 0)]);
    let c = criteria(&r);
    assert_eq!(c[0].outcome, Outcome::Fail, "{}", c[0].reason);
    assert_eq!(c[0].reason, "13 of 40 in `xs` do not satisfy `x <= 27`: 28, 29, 30, 31, 32 and 8 more");
    let f = c[0].failing.as_ref().expect("failing elements");
    assert_eq!((f.variables.clone(), f.count, f.elements.len()), (vec!["x".to_string()], 13, 13));
    assert_eq!(f.elements[12], vec!["40".to_string()]);

    assert_eq!(c[1].reason, "4 pairs `(a, b)` do not satisfy `a * b < 4`: (2, 2), (2, 3), (3, 2), (3, 3)");
    let f = c[1].failing.as_ref().unwrap();
    assert_eq!(f.variables, ["a", "b"]);
    assert_eq!(f.elements[0], ["2", "2"]);

    // Every pair fails the same KPI: the pairs name the outer element and
    // the KPI.
    assert_eq!(c[2].outcome, Outcome::Fail, "{}", c[2].reason);
    assert!(
        c[2].reason.starts_with("3 pairs `(a, k)` do not satisfy `k for 1d`: (1, lat), (2, lat), (3, lat)"),
        "{}",
        c[2].reason
    );
}

#[test]
fn a_passing_criterion_has_no_failing_elements() {
    let policy = gate_policy(LAT, "    require not all(x in [1, 2]: x < 2)\n    require all(x in [1, 2]: x < 3)");
    let r = eval(&policy, vec![]);
    for c in criteria(&r) {
        assert_eq!(c.outcome, Outcome::Pass, "{}", c.reason);
        assert!(c.failing.is_none(), "{}", c.reason);
    }
    assert_eq!(criteria(&r)[0].reason, "not (1 of 2 in `[1, 2]` does not satisfy `x < 2`: 2)");
}
