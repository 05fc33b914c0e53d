//! Unit tests of the parent module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::eval::time::KEPT_TIMES;

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
        (0..3 * KEPT_TIMES as i64).map(|i| 1_795_478_400_000_000_000 + i * 3_600_000_000_001).collect();
    times.extend([i64::MIN, i64::MIN + 1, i64::MAX, -1, 0]);
    for t in times.iter().chain(times.iter().rev()) {
        let expected = format!("\"{}\"", super::super::metrics::format_rfc3339(*t));
        assert_eq!(serde_json::to_string(&Time(*t)).unwrap(), expected, "time {t}");
    }
}

fn read(kpi: &str, function: &str, samples: &[(i64, f64)]) -> Evidence {
    Evidence {
        kpi: kpi.to_string(),
        series: format!("m{{model=\"{kpi}\\\"\"}}"),
        function: function.to_string(),
        window: Some("7d".to_string()),
        from: Some(Time(0)),
        to: Some(Time(7 * 86_400_000_000_000)),
        reference: None,
        value: samples.last().map(|s| Num(s.1)),
        unit: Some("percent".to_string()),
        samples: samples.iter().map(|&(t, v)| SampleRecord { time: Time(t), value: Num(v) }).collect(),
        reason: None,
    }
}

fn kpi_report(name: &str, evidence: Vec<Evidence>) -> KpiReport {
    KpiReport {
        name: name.to_string(),
        status: KpiStatus::Met,
        value: Some(Num(93.5)),
        unit: "percent".to_string(),
        time: Some("2026-11-23T00:00:00Z".to_string()),
        reason: "latest 93.5% meets `>= 92%`".to_string(),
        evidence: evidence.into_iter().map(std::sync::Arc::new).collect(),
        labels: Default::default(),
        members: Vec::new(),
        derived: None,
    }
}

fn criterion_report(text: &str, evidence: Vec<Evidence>) -> CriterionReport {
    CriterionReport {
        text: text.into(),
        enforcement: Enforcement::Require,
        outcome: Outcome::Pass,
        holds: Some(true),
        reason: "a \"quoted\"\treason\n\u{1}ü".to_string(),
        because: Some("b".into()),
        file: "a.compel".into(),
        line: 3,
        column: 5,
        evidence: evidence.into_iter().map(std::sync::Arc::new).collect(),
        failing: None,
    }
}

/// A report whose reads repeat (a status read in its KPI, its initiative
/// and a criterion; a NaN sample; a drift read with its reference), with
/// a family, a derived KPI and a failing quantifier.
fn report_with_repeated_reads() -> Report {
    let status = read("acc", "status", &[(86_400_000_000_000, 93.5)]);
    let nan = read("nan", "status", &[(1, f64::NAN), (2, f64::INFINITY), (3, -0.25e-7)]);
    let mut drift = read("acc", "psi", &[(5, 1.0)]);
    drift.reference = Some(ReferenceWindow {
        window: "28d".to_string(),
        from: Time(-5),
        to: Time(5),
        samples: vec![SampleRecord { time: Time(-1), value: Num(2.0) }],
    });
    let window = read("acc", "for", &[(1, 93.0), (86_400_000_000_000, 93.5)]);
    let mut family = kpi_report("fam", Vec::new());
    let mut member = kpi_report("fam_a", vec![nan.clone()]);
    member.labels.insert("sex \"x\"".to_string(), "female".to_string());
    family.members = vec![member];
    let mut derived = kpi_report("d", vec![status.clone(), window.clone()]);
    derived.derived = Some(crate::eval::derived_report::DerivedReport {
        formula: "0.5 * acc".to_string(),
        inputs: vec![crate::eval::derived_report::DerivedInputReport {
            kpi: "acc".to_string(),
            value: None,
            unit: "percent".to_string(),
            time: Some(Time(1)),
            reason: Some("stale".to_string()),
        }],
    });
    let mut failing = criterion_report("require all(d in ds: d.v)", Vec::new());
    failing.failing = Some(Box::new(Failing {
        variables: vec!["d".to_string()],
        count: 1,
        elements: vec![vec!["x".to_string()]],
        undecided_count: 0,
        undecided: Vec::new(),
    }));
    let gate = GateReport {
        from: "model".to_string(),
        to: "produce".to_string(),
        outcome: Outcome::Pass,
        reason: "passes".to_string(),
        criteria: vec![
            criterion_report("require acc", vec![status.clone()]),
            criterion_report("require acc for 7d", vec![window.clone(), status.clone()]),
            criterion_report("require psi(acc, 7d) < 0.1", vec![drift.clone()]),
            failing,
        ],
    };
    let initiative = InitiativeReport {
        name: "i".to_string(),
        stage: "model".to_string(),
        ready: true,
        next_gate: Some(NextGate { from: "model".to_string(), to: "produce".to_string() }),
        asked: false,
        blocked_by: Vec::new(),
        file: "a.compel".to_string(),
        line: 1,
        kpis: vec![Arc::new(kpi_report("acc", vec![status.clone()])), Arc::new(family.clone())],
        gates: vec![gate.clone()],
        evidence: Vec::new(),
    };
    let policy = PolicyReport {
        name: "p".to_string(),
        subject: "i".to_string(),
        kind: "initiative".to_string(),
        outcome: Outcome::Pass,
        reason: "passes".to_string(),
        file: "a.compel".to_string(),
        line: 9,
        criteria: gate.criteria.clone(),
    };
    let mut report = Report {
        outcome: Outcome::Pass,
        now: "2026-11-24T00:00:00Z".to_string(),
        summary: Summary::default(),
        initiatives: vec![initiative.clone(), InitiativeReport { next_gate: None, gates: Vec::new(), ..initiative }],
        policies: vec![policy],
        kpis: vec![Arc::new(kpi_report("acc", vec![status])), Arc::new(family), Arc::new(derived)],
    };
    report.tally();
    report
}

/// Replaces every `evidence` list of indices by the reads they name.
fn resolve(value: &serde_json::Value, reads: &[serde_json::Value]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| match v.as_array() {
                    Some(list) if k == "evidence" && list.iter().all(Value::is_u64) => {
                        let reads = list.iter().map(|i| reads[i.as_u64().unwrap() as usize].clone()).collect();
                        (k.clone(), Value::Array(reads))
                    }
                    _ => (k.clone(), resolve(v, reads)),
                })
                .collect(),
        ),
        Value::Array(list) => Value::Array(list.iter().map(|v| resolve(v, reads)).collect()),
        other => other.clone(),
    }
}

/// The JSON report writes each read once and refers to it by index; with
/// the indices resolved it is the whole report (serde's serialisation of
/// it, every read in place).
#[test]
fn each_read_is_written_once_and_the_indices_give_the_whole_report() {
    let report = report_with_repeated_reads();
    let text = report.to_json();
    let mut written: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reads = written.as_object_mut().unwrap().remove("reads").unwrap();
    let reads = reads.as_array().unwrap();
    assert_eq!(reads.len(), 4, "status, for, psi, the NaN read and nothing else: {text}");
    assert_eq!(resolve(&written, reads), serde_json::to_value(&report).unwrap());
}

/// Written in two parts (on two threads), at any initiative, the report
/// is the same bytes as written in one; reads shared between the parts,
/// by one allocation or by equal ones, keep one index.
#[test]
fn two_parts_write_the_bytes_of_one() {
    let mut report = report_with_repeated_reads();
    // The first initiative's status read, shared as one allocation by
    // later initiatives, a policy and the KPI list.
    let shared = std::sync::Arc::clone(&report.initiatives[0].kpis[0].evidence[0]);
    let mut more = Vec::new();
    for i in 0..5 {
        let mut next = report.initiatives[i % 2].clone();
        next.name = format!("i{i}");
        Arc::make_mut(&mut next.kpis[0]).evidence = vec![std::sync::Arc::clone(&shared)];
        more.push(next);
    }
    report.initiatives.extend(more);
    report.policies[0].criteria[0].evidence.push(std::sync::Arc::clone(&shared));
    let one = {
        let mut out = Vec::new();
        super::json_report::write_split(&report, &mut out, None).unwrap();
        out
    };
    for k in 1..=report.initiatives.len() {
        let mut two = Vec::new();
        super::json_report::write_split(&report, &mut two, Some(k)).unwrap();
        assert!(
            one == two,
            "split at {k}:\n{}\n----\n{}",
            String::from_utf8_lossy(&one),
            String::from_utf8_lossy(&two)
        );
    }
    let text = String::from_utf8(one).unwrap();
    let written: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(written["reads"].as_array().unwrap().len(), 4, "{text}");
}

/// [`report_with_repeated_reads`] with `n` more initiatives, each reading
/// the first's status read (one allocation) and a read of its own, equal
/// to that of every `distinct`th initiative after it (made apart), and
/// 300 more KPIs, each with a read of its own.
fn report_with_many_reads(n: i64, distinct: i64) -> Report {
    let mut report = report_with_repeated_reads();
    let shared = std::sync::Arc::clone(&report.initiatives[0].kpis[0].evidence[0]);
    let base = report.initiatives[0].clone();
    for i in 0..n {
        let mut next = base.clone();
        next.name = format!("i{i}");
        let own = std::sync::Arc::new(read(&format!("k{}", i % distinct), "status", &[(i % distinct, 1.5)]));
        Arc::make_mut(&mut next.kpis[0]).evidence = vec![std::sync::Arc::clone(&shared), own];
        report.initiatives.push(next);
    }
    let kpi = KpiReport::clone(&report.kpis[0]);
    report.kpis.extend((0..300).map(|i| {
        Arc::new(KpiReport {
            name: format!("k{i}"),
            evidence: vec![std::sync::Arc::new(read(&format!("kpi{i}"), "status", &[(i, 2.5)]))],
            ..kpi.clone()
        })
    }));
    report
}

/// Written by two threads in pieces taken in turn, a report with more
/// than one piece in every list (reads shared across pieces and new in
/// each) is the bytes of one writer, wherever the reads' numbering is
/// split; so is one whose lists after the initiatives are empty.
#[test]
fn pieces_written_in_turn_make_the_bytes_of_one() {
    let mut report = report_with_many_reads(150, 150);
    let policy = report.policies[0].clone();
    report.policies.extend((0..300).map(|i| PolicyReport { subject: format!("s{i}"), ..policy.clone() }));
    let written = |report: &Report, split: Option<usize>| {
        let mut out = Vec::new();
        super::json_report::write_split(report, &mut out, split).unwrap();
        String::from_utf8(out).unwrap()
    };
    let one = written(&report, None);
    let n = report.initiatives.len();
    for k in [1, 2, 31, 32, 33, 64, 100, n - 1, n] {
        assert!(written(&report, Some(k)) == one, "split at {k}");
    }
    let reads = serde_json::from_str::<serde_json::Value>(&one).unwrap()["reads"].as_array().unwrap().len();
    assert!(reads > 2 * 128, "{reads} reads, in more than two pieces");
    report.policies.clear();
    report.kpis.clear();
    let one = written(&report, None);
    assert!(written(&report, Some(n / 2)) == one, "empty lists");
    assert!(one.contains("\"policies\": [],") && one.contains("\"kpis\": [],"), "{}", &one[one.len() - 300..]);
}

/// Initiatives formatted in chunks as they are evaluated, their reads'
/// indices left out and filled in when the report is written, make the
/// bytes of one writer formatting the report at the end: with reads
/// shared across chunks (by one allocation, or equal and made apart),
/// with chunks missing (their initiatives numbered from the report) or
/// across the pieces the report is written in,
/// with entries of the KPI list formatted (or not) as their reports were
/// made, and with an initiative asked about after its chunk was formatted.
#[test]
fn initiatives_formatted_early_make_the_bytes_of_one() {
    use super::early::Chunks;
    use super::json_early::{Chunk, ChunkNumbering, EarlyJson, KpiEntry};
    // Equal reads, made apart, in chunks far from each other.
    let mut report = report_with_many_reads(200, 45);
    let n = report.initiatives.len();
    // Chunks of `size` (the pieces the report is written in are 32), in
    // the order two threads might hand them back.
    let chunks_of = |size: usize, skip: &[usize]| {
        let mut chunks: Vec<_> = (0..n.div_ceil(size))
            .filter(|c| !skip.contains(c))
            .map(|c| {
                let at = size * c..(size * c + size).min(n);
                (at.clone(), Chunk::format(at.start == 0, &report.initiatives[at], 0))
            })
            .collect();
        chunks.reverse();
        EarlyJson::new(Chunks::new(chunks).unwrap())
    };
    let chunks = |skip: &[usize]| chunks_of(32, skip);
    // The same, their reads numbered as they come (last first): each
    // waits for those before it.
    let numbered = |size: usize, skip: &[usize]| {
        let numbering = ChunkNumbering::with_room(4);
        let formatted: Vec<_> = (0..n.div_ceil(size))
            .rev()
            .filter(|c| !skip.contains(c))
            .map(|c| {
                let at = size * c..(size * c + size).min(n);
                let chunk = Chunk::format(at.start == 0, &report.initiatives[at.clone()], 0);
                numbering.add(at.clone(), &chunk);
                (at, chunk)
            })
            .collect();
        EarlyJson::new(Chunks::new(formatted).unwrap()).with_numbering(numbering)
    };
    let written = |report: &Report, early: Option<&EarlyJson>| {
        let mut out = Vec::new();
        super::json_parts::write_parts(report, &mut out, 1, early).unwrap();
        String::from_utf8(out).unwrap()
    };
    let one = report.to_json();
    assert!(written(&report, None) == one);
    assert!(written(&report, Some(&chunks(&[]))) == one, "every chunk");
    assert!(written(&report, Some(&chunks(&[0, 3]))) == one, "chunks missing");
    assert!(written(&report, Some(&chunks_of(20, &[2]))) == one, "chunks across the pieces");
    let last = n.div_ceil(20) - 1;
    for (early, whole, what) in [
        (numbered(32, &[]), true, "numbered as formatted"),
        (numbered(20, &[last]), true, "numbered, the last chunk missing"),
        (numbered(32, &[0]), false, "the first chunk missing: numbered again"),
        (numbered(32, &[3]), false, "a chunk missing between: numbered again"),
    ] {
        assert_eq!(early.numbered_usable(), whole, "{what}");
        assert!(written(&report, Some(&early)) == one, "{what}");
    }
    // Entries of the KPI list formatted as their reports were made: the
    // first, a family with its members, others; some not.
    let entries = |every: usize| -> Vec<Option<KpiEntry>> {
        report.kpis.iter().enumerate().map(|(i, k)| (i % every != 1).then(|| KpiEntry::format(k))).collect()
    };
    assert!(report.kpis[1].members.len() == 1, "a family in the list");
    assert!(written(&report, Some(&chunks(&[]).with_kpis(entries(3)))) == one, "KPI entries");
    assert!(written(&report, Some(&chunks(&[5]).with_kpis(entries(usize::MAX)))) == one, "every KPI entry");
    let mut fewer = entries(3);
    fewer.pop();
    assert!(written(&report, Some(&chunks(&[]).with_kpis(fewer))) == one, "entries not of this list");
    let (early, early_numbered) = (chunks(&[]), numbered(32, &[]));
    report.initiatives[40].asked = true;
    report.tally();
    let one = report.to_json();
    assert!(one.contains("\"asked\": true"));
    assert!(written(&report, Some(&early)) == one, "asked after");
    assert!(written(&report, Some(&early_numbered)) == one, "asked after, numbered as formatted");
    let reads = serde_json::from_str::<serde_json::Value>(&one).unwrap()["reads"].as_array().unwrap().len();
    assert_eq!(reads, 4 + 45 + 300, "equal reads written once");
    // What was formatted early is handed on in slices, not copied: an
    // output that takes a few bytes of the first slice at a time gets the
    // same bytes, and one that fails makes the write fail.
    let mut trickle = Trickle { out: Vec::new(), room: usize::MAX };
    super::json_parts::write_parts(&report, &mut trickle, 1, Some(&early)).unwrap();
    assert!(trickle.out == one.as_bytes(), "written a few bytes at a time");
    let mut full = Trickle { out: Vec::new(), room: one.len() / 2 };
    let error = super::json_parts::write_parts(&report, &mut full, 1, Some(&early)).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::StorageFull);
    assert!(full.out.len() == one.len() / 2 && one.as_bytes().starts_with(&full.out));
}

/// An output that takes at most 7 bytes a write (of the first slice only,
/// for a vectored write), and fails once `room` bytes were written.
struct Trickle {
    out: Vec<u8>,
    room: usize,
}

impl std::io::Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(7).min(self.room - self.out.len());
        if n == 0 && !buf.is_empty() {
            return Err(std::io::ErrorKind::StorageFull.into());
        }
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
