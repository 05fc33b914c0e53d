//! Unit tests of the parent module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::eval::metrics::NANOS;

const NOW: i64 = 1_795_478_400 * NANOS; // 2026-11-24T00:00:00Z
const DAY: i64 = 86_400 * NANOS;

fn err(text: &str) -> MetricsError {
    match read_json(text, Some(NOW)) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}

#[test]
fn series_form() {
    let text = r#"{"series": [
            {"metric": "acc", "labels": {"model": "v2"},
             "samples": [["2026-11-23T00:00:00Z", 93.5], ["2026-11-22T00:00:00Z", 94],
                         ["2026-11-21T00:00:00Z", "NaN"], ["2026-11-20T00:00:00+01:00", "+Inf"],
                         ["2026-11-19T00:00:00Z", "-Inf"]]},
            {"metric": "lat", "samples": []}
        ]}"#;
    let series = read_json(text, Some(NOW)).unwrap();
    assert_eq!(series.len(), 2);
    let acc = &series[0];
    assert_eq!(acc.metric, "acc");
    assert_eq!(acc.labels.get("model").map(String::as_str), Some("v2"));
    assert_eq!(acc.samples.len(), 5);
    assert_eq!(acc.samples[0].value, f64::NEG_INFINITY);
    assert_eq!(acc.samples[1].value, f64::INFINITY);
    assert_eq!(acc.samples[1].time, NOW - 4 * DAY - 3600 * NANOS);
    assert!(acc.samples[2].value.is_nan());
    assert_eq!(acc.samples[4], Sample { time: NOW - DAY, value: 93.5 });
    assert!(series[1].labels.is_empty());
    assert!(series[1].samples.is_empty());
}

#[test]
fn snapshot_form() {
    let text = r#"{
          "fraud_model_accuracy{model=\"scoring-v2\"}": 95.2,
          "fraud_model_accuracy{model=\"scoring-v1\"}": 88.1,
          "fraud_scoring_latency_p95": 210,
          "series": 3,
          "odd{v=\"a\\\"b\"}": "NaN"
        }"#;
    let series = read_json(text, Some(NOW)).unwrap();
    assert_eq!(series.len(), 5);
    assert_eq!(series[0].metric, "fraud_model_accuracy");
    assert_eq!(series[0].labels.get("model").map(String::as_str), Some("scoring-v2"));
    assert_eq!(series[0].samples, vec![Sample { time: NOW, value: 95.2 }]);
    assert_eq!(series[3].metric, "series");
    assert_eq!(series[4].labels.get("v").map(String::as_str), Some("a\"b"));
    assert!(series[4].samples[0].value.is_nan());
    assert_eq!(read_json("{}", Some(NOW)).unwrap(), vec![]);
}

#[test]
fn acme_examples_read() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/acme/metrics");
    for name in ["latency-spike.json", "all-green.json", "snapshot.json"] {
        let Ok(text) = std::fs::read_to_string(format!("{dir}/{name}")) else {
            continue; // the shared examples sit beside the clone in CI
        };
        let series = read_json(&text, Some(NOW)).unwrap();
        assert_eq!(series.len(), 5, "{name}");
    }
}

#[test]
fn errors_name_the_place() {
    let e = err(r#"{"series": [{"metric": "m", "samples": [["2026-11-23T00:00:00Z", null]]}]}"#);
    assert_eq!(e.line, Some(1));
    assert_eq!(e.message, "series[0].samples[0]: expected a number for the sample value, found null");
    let e = err("{\"series\": [\n {\"metric\": \"m\", \"samples\": [[\"2026-11-23T00:00:00Z\", 1, 2]]},\n {\"metric\": \"m\", \"samples\": [[1, 2]]}]}");
    assert_eq!(e.message, "series[0].samples[0]: expected [time, value], found a list of 3 elements");
    assert_eq!(e.line, Some(2));
    let e = err(r#"{"series": [{"metric": "m", "samples": [[1, 2]]}]}"#);
    assert_eq!(e.message, "series[0].samples[0]: expected an RFC 3339 time string first, found a number");
    let e = err(r#"{"series": [{"metric": "m", "samples": [["2026-11-23", 2]]}]}"#);
    assert!(e.message.contains("is not an RFC 3339 time"), "{e}");
    let e = err(r#"{"series": [{"metric": "m", "samples": [["2026-11-23T00:00:00Z"]]}]}"#);
    assert_eq!(e.message, "series[0].samples[0]: expected [time, value], found a list of 1 element");
    let e = err(r#"{"series": [{"metric": "m", "samples": [{"t": 1}]}]}"#);
    assert_eq!(e.message, "series[0].samples[0]: expected [time, value], found an object");
    let e = err(r#"{"series": [{"metric": "m", "samples": [["2026-11-23T00:00:00Z", "93.5"]]}]}"#);
    assert!(e.message.contains("write numbers without quotes"), "{e}");
    let e = err(r#"{"series": [{"metric": "m", "samples": [["2026-11-23T00:00:00Z", "high"]]}]}"#);
    assert!(e.message.contains("found the string \"high\""), "{e}");
    let e = err(r#"{"series": [{"metric": "m", "lables": {}}]}"#);
    assert_eq!(e.message, "series[0]: unknown key \"lables\" (a series has \"metric\", \"labels\" and \"samples\")");
    let e = err(r#"{"series": [{"samples": []}]}"#);
    assert_eq!(e.message, "series[0]: a series needs a \"metric\"");
    let e = err(r#"{"series": [{"metric": "m"}]}"#);
    assert!(e.message.starts_with("series[0]: the series `m` needs \"samples\""), "{e}");
    let e = err(r#"{"series": [{"metric": "m", "labels": {"model": 2}, "samples": []}]}"#);
    assert_eq!(e.message, "series[0].labels.model: expected the label value as a string, found a number");
    let e = err(r#"{"series": [{"metric": 5, "samples": []}]}"#);
    assert!(e.message.starts_with("series[0].metric: expected the metric name"), "{e}");
    let e = err(r#"{"series": {}}"#);
    assert_eq!(e.message, "series: expected a list of series, found an object");
    let e = err(r#"{"series": [3]}"#);
    assert!(e.message.starts_with("series[0]: expected a series"), "{e}");
    let e = err(r#"[1]"#);
    assert!(e.message.starts_with("expected an object"), "{e}");
}

#[test]
fn snapshot_errors() {
    let e = err(r#"{"m{model=\"v2\"": 1}"#);
    assert!(e.message.starts_with("key \"m{model=\\\"v2\\\"\": unclosed `{`"), "{e}");
    let e = err(r#"{"m": "fast"}"#);
    assert!(e.message.starts_with("value of \"m\": expected a number"), "{e}");
    let e = err(r#"{"m": null}"#);
    assert_eq!(e.message, "value of \"m\": expected a number for the sample value, found null");
    let e = err(r#"{"m{a=\"1\",b=\"2\"}": 1, "m{b=\"2\",a=\"1\"}": 2}"#);
    assert!(e.message.contains("is given twice"), "{e}");
    let e = err(r#"{"series": [], "m": 1}"#);
    assert!(e.message.starts_with("a file with a \"series\" list cannot also hold"), "{e}");
    let e = err(r#"{"m": 1, "series": []}"#);
    assert!(e.message.starts_with("a file with a \"series\" list cannot also hold"), "{e}");
}

#[test]
fn syntax_errors_have_positions_in_characters() {
    let e = err("{\n  \"a{l=\\\"é\\\"}\": 1,\n  \"b{l=\\\"ü\\\"}\": x\n}");
    assert_eq!((e.line, e.column), (Some(3), Some(17)));
    assert_eq!(e.message, "expected value");
    let e = err("{\"m\": 1");
    assert_eq!(e.message, "the document ends inside an object (a `}` is missing)");
    let e = err("{\"m\": 1} x");
    assert_eq!(e.message, "unexpected text after the end of the document");
}
