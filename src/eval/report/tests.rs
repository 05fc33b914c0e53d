//! Unit tests of the parent module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::time::TIME_SLOTS;
use super::*;

fn layout(value: &serde_json::Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, ReportFormatter::default());
    value.serialize(&mut ser).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn lists_of_plain_values_stay_on_one_line() {
    let value = serde_json::json!({
        "empty": [],
        "empty_object": {},
        "plain": ["2026-11-23T00:00:00Z", 93.5, null, true, "NaN"],
        "samples": [["a", 1], ["b", 2]],
        "objects": [{"k": [1]}, {}],
        "nested": [[[]], []],
    });
    let expected = r#"{
  "empty": [],
  "empty_object": {},
  "nested": [
    [
      []
    ],
    []
  ],
  "objects": [
    {
      "k": [1]
    },
    {}
  ],
  "plain": ["2026-11-23T00:00:00Z", 93.5, null, true, "NaN"],
  "samples": [
    ["a", 1],
    ["b", 2]
  ]
}"#;
    let text = layout(&value);
    assert_eq!(text, expected);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
}

fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e6f64..1e6).prop_map(serde_json::Value::from),
        "[a-z\\\"\n ]{0,6}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    /// Any value laid out by the report's formatter reads back the
    /// same, and differs from serde_json's pretty layout only in
    /// whitespace.
    #[test]
    fn the_layout_is_json_that_reads_back(value in json_value()) {
        let text = layout(&value);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        proptest::prop_assert_eq!(&back, &value);
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        proptest::prop_assert_eq!(squeeze(&text), squeeze(&pretty));
    }
}

#[test]
fn deep_objects_are_indented_as_serde_does() {
    let mut value = serde_json::json!(1);
    for _ in 0..80 {
        value = serde_json::json!({ "a": value, "b": {} });
    }
    assert_eq!(layout(&value), serde_json::to_string_pretty(&value).unwrap());
}

#[test]
fn ready_names_are_checked_with_a_did_you_mean() {
    let known = ["scoring_v2", "fraud_rules"];
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(Ready::from_names(&[], known), Ok(Ready::None));
    assert_eq!(Ready::from_names(&names(&["all"]), known), Ok(Ready::All));
    assert_eq!(
        Ready::from_names(&names(&["scoring_v2", "scoring_v2"]), known),
        Ok(Ready::Only(names(&["scoring_v2"])))
    );
    assert_eq!(
        Ready::from_names(&names(&["all", "scoring_v3"]), known),
        Err("`--ready scoring_v3` names no initiative (did you mean `scoring_v2`?)".to_string()),
        "`all` does not hide a wrong name"
    );
    assert_eq!(
        Ready::from_names(&names(&["zzz"]), known),
        Err("`--ready zzz` names no initiative (the initiatives are `fraud_rules`, `scoring_v2`; or `all`)".to_string())
    );
    assert_eq!(
        Ready::from_names(&names(&["x"]), []),
        Err("`--ready x` names no initiative (the files declare none)".to_string())
    );
    let only = Ready::Only(names(&["fraud_rules"]));
    assert!(only.asks("fraud_rules") && !only.asks("scoring_v2"));
    assert!(Ready::All.asks("anything") && !Ready::None.asks("anything"));
}

#[test]
fn times_are_written_as_rfc3339() {
    assert_eq!(serde_json::to_string(&Time(1_795_478_400_000_000_000)).unwrap(), "\"2026-11-24T00:00:00Z\"");
    assert_eq!(Time(-1_000_000_000).to_string(), "1969-12-31T23:59:59Z");
    assert_eq!(Time(-1).to_string(), "1969-12-31T23:59:59.999999999Z");
    assert_eq!(Time(i64::MAX / 4).to_string(), super::super::metrics::format_rfc3339(i64::MAX / 4));
}

/// Times kept formatted are written right however they share slots:
/// more times than slots, each written twice, in two orders, among them
/// `i64::MIN` (the empty slot's mark) and times outside the years 0 to 9999.
#[test]
fn kept_times_are_written_right() {
    let mut times: Vec<i64> =
        (0..3 * TIME_SLOTS as i64).map(|i| 1_795_478_400_000_000_000 + i * 3_600_000_000_001).collect();
    times.extend([i64::MIN, i64::MIN + 1, i64::MAX, -1, 0]);
    for t in times.iter().chain(times.iter().rev()) {
        let expected = format!("\"{}\"", super::super::metrics::format_rfc3339(*t));
        assert_eq!(serde_json::to_string(&Time(*t)).unwrap(), expected, "time {t}");
    }
}
