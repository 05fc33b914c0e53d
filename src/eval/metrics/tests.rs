//! Unit tests of the parent module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn s(time: i64, value: f64) -> Sample {
    Sample { time, value }
}

#[test]
fn windows_include_both_ends() {
    let series = Series::with_samples("m", Labels::new(), vec![s(30, 3.0), s(10, 1.0), s(20, 2.0), s(40, 4.0)]);
    let times = |xs: &[Sample]| xs.iter().map(|x| x.time).collect::<Vec<_>>();
    assert_eq!(times(series.samples_in(20, 40)), [20, 30, 40]);
    assert_eq!(times(series.samples_in(21, 39)), [30]);
    assert_eq!(times(series.samples_in(41, 50)), Vec::<i64>::new());
    assert_eq!(times(series.samples_in(40, 10)), Vec::<i64>::new());
    assert_eq!(times(series.samples_in_half_open(10, 30)), [10, 20]);
    assert_eq!(series.last_at_or_before(25).map(|x| x.time), Some(20));
    assert_eq!(series.last_at_or_before(20).map(|x| x.time), Some(20));
    assert_eq!(series.last_at_or_before(9), None);
    assert_eq!(series.last().map(|x| x.time), Some(40));
}

#[test]
fn store_merges_equal_samples_and_marks_conflicts_whatever_the_order() {
    let build = |first: &str, second: &str| {
        let mut store = MetricStore::new();
        let a = Series::with_samples("acc", labels(&[("model", "v2")]), vec![s(1, 1.0), s(2, 2.0)]);
        let b = Series::with_samples(
            "acc",
            labels(&[("model", "v2"), ("empty", "")]),
            vec![s(1, 1.0), s(2, 20.0), s(3, f64::NAN)],
        );
        if first == "a.json" {
            store.add_series_from(a, first);
            store.add_series_from(b, second);
        } else {
            store.add_series_from(b, first);
            store.add_series_from(a, second);
        }
        store
    };
    let one = build("a.json", "b.json");
    let two = build("b.json", "a.json");
    assert_eq!(one.len(), 1);
    let found = one.select("acc", &labels(&[("model", "v2")]))[0];
    let samples = &found.samples;
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0], s(1, 1.0), "equal samples are one");
    assert!(samples[1].value.is_nan(), "a conflict is not data");
    assert!(samples[2].value.is_nan(), "NaN survives");
    let c = found.conflict_at(2).expect("a conflict at 2");
    assert_eq!(c.describe(), "conflicting samples at 1970-01-01T00:00:00.000000002Z: 2 in a.json, 20 in b.json");
    assert!(found.conflict_at(1).is_none() && found.conflict_at(3).is_none());
    let other = two.select("acc", &labels(&[("model", "v2")]))[0];
    assert_eq!(other.conflicts, found.conflicts, "the input order decides nothing");
}

/// The store's key orders label sets as the label maps do: by pair,
/// a set before the longer sets it starts, bytes compared (not
/// characters), whatever order they are added in; the same set twice
/// is one series, its labels kept whole.
#[test]
fn series_come_in_the_labels_order_whatever_order_they_were_added_in() {
    let sets: Vec<Labels> = [
        &[][..],
        &[("a", "1")],
        &[("a", "1"), ("b", "x")],
        &[("a", "10")],
        &[("a", "1\u{0}")],
        &[("a", "2")],
        &[("a", "\u{e9}")],
        &[("a", "z"), ("c", "")],
        &[("aa", "0")],
        &[("b", "0")],
        &[("a", "1"), ("c", "x")],
        &[("A", "9")],
    ]
    .iter()
    .map(|pairs| labels(pairs))
    .collect();
    let expected: Vec<Labels> = {
        let mut kept: Vec<Labels> = sets
            .iter()
            .map(|l| l.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.clone(), v.clone())).collect())
            .collect();
        kept.sort();
        kept.dedup();
        kept
    };
    let mut order: Vec<usize> = (0..sets.len()).collect();
    for turn in 0..sets.len() {
        order.rotate_left(1);
        if turn % 2 == 1 {
            order.reverse();
        }
        let mut store = MetricStore::new();
        for &i in &order {
            store.add_series(Series::with_samples("m", sets[i].clone(), vec![s(1, 1.0)]));
        }
        // `{a="z", c=""}` is `{a="z"}`, another set: twelve series.
        let found: Vec<Labels> = store.iter().map(|x| x.labels.clone()).collect();
        assert_eq!(found, expected, "added in the order {order:?}");
        assert_eq!(store.select("m", &labels(&[("a", "1"), ("b", "x")])).len(), 1);
    }
}

#[test]
fn a_conflict_inside_one_source() {
    let series = Series::with_samples("m", Labels::new(), vec![s(5, 0.91), s(5, 0.84), s(6, 1.0)]);
    assert!(series.samples[0].value.is_nan());
    assert_eq!(series.conflicts.len(), 1);
    assert_eq!(series.conflicts[0].values.len(), 2);
}

#[test]
fn selection_by_labels() {
    let store: MetricStore = [
        Series::new("acc", labels(&[("model", "v1")])),
        Series::new("acc", labels(&[("model", "v2"), ("env", "prod")])),
        Series::new("acc", Labels::new()),
        Series::new("lat", Labels::new()),
    ]
    .into_iter()
    .collect();
    assert_eq!(store.len(), 4);
    assert_eq!(store.metric_names().collect::<Vec<_>>(), ["acc", "lat"]);
    assert_eq!(store.select("acc", &Labels::new()).len(), 3);
    assert!(matches!(
        store.select_one("acc", &labels(&[("model", "v2")])),
        Selection::One(s) if s.labels.get("env").map(String::as_str) == Some("prod")
    ));
    assert!(matches!(
        store.select_one("acc", &labels(&[("model", "")])),
        Selection::One(s) if s.labels.is_empty()
    ));
    assert!(matches!(
        store.select_one("acc", &Labels::new()),
        Selection::Ambiguous(v) if v.len() == 3
    ));
    assert_eq!(store.select_one("nope", &Labels::new()), Selection::None);
    assert_eq!(store.select_one("lat", &labels(&[("x", "y")])), Selection::None);
    let order: Vec<String> = store.iter().map(Series::selector).collect();
    assert_eq!(order, ["acc", "acc{env=\"prod\",model=\"v2\"}", "acc{model=\"v1\"}", "lat"]);
}

#[test]
fn selector_formatting_escapes() {
    let l = labels(&[("a", "x\"y\\z\nw")]);
    assert_eq!(format_selector("m", &l), r#"m{a="x\"y\\z\nw"}"#);
}

#[test]
fn source_errors_keep_the_first() {
    let mut store = MetricStore::new();
    store.add_source_error("acc", "first");
    store.add_source_error("acc", "second");
    assert_eq!(store.source_error("acc"), Some("first"));
    assert_eq!(store.source_error("lat"), None);
}

#[test]
fn error_display() {
    let e = MetricsError::at(3, 5, "expected a number for the sample value").in_file("metrics.json");
    assert_eq!(e.to_string(), "metrics.json:3:5: expected a number for the sample value");
    assert_eq!(MetricsError::new("empty").in_file("m.csv").to_string(), "m.csv: empty");
    assert_eq!(MetricsError::at(2, 1, "x").to_string(), "line 2, column 1: x");
}
