//! `compel serve` batches its Prometheus queries per metric name, and
//! decides as it did one selector at a time: against a loopback server
//! that answers each query with the series its selector matches (`=` and
//! `=~` over alternatives of quoted literals, GET or POST form), counting
//! the queries of each cycle. Counts and states are asserted, never times.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "common/serve.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::*;

/// One series the fake server holds: metric, labels, value (one sample at
/// the query's time).
type Held = (String, BTreeMap<String, String>, f64);

struct Fake {
    url: String,
    stop: Arc<AtomicBool>,
    /// The queries received, by their `time` (one cycle each).
    per_cycle: Arc<Mutex<BTreeMap<String, Vec<String>>>>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn param(form: &str, name: &str) -> String {
    form.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).map(form_decode).unwrap_or_default()
}

/// Reads a PromQL string literal's contents starting after its `"`.
fn literal(s: &mut std::str::Chars) -> String {
    let mut out = String::new();
    while let Some(c) = s.next() {
        match c {
            '"' => break,
            '\\' => match s.next() {
                Some('n') => out.push('\n'),
                Some(c) => out.push(c),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// The alternatives of a regular expression of quoted literals (`a|b\.c`).
fn alternatives(re: &str) -> Vec<String> {
    let (mut out, mut cur, mut chars) = (Vec::new(), String::new(), re.chars());
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.extend(chars.next()),
            '|' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Whether a held series matches `name{k="v", k=~"a|b"}[Ns]`.
fn matches(query: &str, (metric, labels, _): &Held) -> bool {
    let selector = query.rsplit_once('[').map_or(query, |(s, _)| s);
    let (name, rest) = selector.split_once('{').unwrap_or((selector, "}"));
    if name != metric {
        return false;
    }
    let mut chars = rest.chars();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=' && *c != '}').collect();
        let key = key.trim_start_matches(',').trim().to_string();
        if key.is_empty() {
            return true;
        }
        let regex = chars.clone().next() == Some('~');
        if regex {
            chars.next();
        }
        assert_eq!(chars.next(), Some('"'), "{query}");
        let value = literal(&mut chars);
        let have = labels.get(&key).cloned().unwrap_or_default();
        let ok = if regex { alternatives(&value).contains(&have) } else { have == value };
        if !ok {
            return false;
        }
    }
}

fn answer(held: &[Held], query: &str, time: &str) -> String {
    let result: Vec<String> = held
        .iter()
        .filter(|h| matches(query, h))
        .map(|(metric, labels, value)| {
            let mut m = serde_json::Map::new();
            m.insert("__name__".into(), metric.clone().into());
            for (k, v) in labels {
                m.insert(k.clone(), v.clone().into());
            }
            format!(r#"{{"metric":{},"values":[[{time},"{value}"]]}}"#, serde_json::Value::Object(m))
        })
        .collect();
    format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{}]}}}}"#, result.join(","))
}

fn fake_prometheus(held: Vec<Held>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let per_cycle: Arc<Mutex<BTreeMap<String, Vec<String>>>> = Arc::default();
    let (stop2, per_cycle2, held) = (Arc::clone(&stop), Arc::clone(&per_cycle), Arc::new(held));
    std::thread::spawn(move || {
        while !stop2.load(Ordering::SeqCst) {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let (per_cycle, held) = (Arc::clone(&per_cycle2), Arc::clone(&held));
            std::thread::spawn(move || {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < end + length {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let target = head.split(' ').nth(1).unwrap_or("");
                let form = if head.starts_with("POST ") {
                    String::from_utf8_lossy(&buf[end..end + length]).into_owned()
                } else {
                    target.split_once('?').map_or("", |(_, q)| q).to_string()
                };
                let (query, time) = (param(&form, "query"), param(&form, "time"));
                let body = answer(&held, &query, &time);
                per_cycle.lock().unwrap().entry(time).or_default().push(query);
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    Fake { url, stop, per_cycle }
}

/// `n` initiatives, each with an accuracy and a loss KPI on its own model.
fn policy(n: usize) -> String {
    let mut s = String::from("person sponsor { name \"Sam\" role CEO }\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "kpi acc_{i} {{\n  metric \"model_accuracy\"\n  labels {{ model \"m{i}\" }}\n  unit percent\n  target >= 92%\n  max_age 1h\n}}\n\n\
             kpi loss_{i} {{\n  metric \"loss_rate\"\n  labels {{ model \"m{i}\" }}\n  unit ratio\n  target <= 0.1%\n  max_age 1h\n}}\n\n\
             initiative init_{i} {{\n  owner \"team{i}@example.com\"\n  stage model\n  kpis [acc_{i}, loss_{i}]\n\n  \
             gate model -> produce {{\n    require acc_{i}\n    require loss_{i}\n  }}\n}}\n\n"
        ));
    }
    s
}

fn labels(model: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut l: BTreeMap<String, String> = extra.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    l.insert("model".into(), model.into());
    l
}

/// Each KPI's status, by KPI name.
fn statuses(text: &str) -> BTreeMap<String, String> {
    one_hot(text, "compel_kpi_status", "status")
        .into_iter()
        .map(|(k, (state, _))| (k.iter().find(|(n, _)| n == "kpi").map(|(_, v)| v.clone()).unwrap(), state))
        .collect()
}

#[test]
fn a_cycle_sends_one_query_per_metric_and_decides_as_one_query_per_selector() {
    const N: usize = 300;
    let dir = scratch("batch-count");
    std::fs::write(dir.join("policy.compel"), policy(N)).unwrap();
    let mut held: Vec<Held> = Vec::new();
    for i in 0..N {
        // Every third model misses its accuracy target.
        let acc = if i % 3 == 0 { 50.0 } else { 95.0 };
        held.push(("model_accuracy".into(), labels(&format!("m{i}"), &[]), acc));
        held.push(("loss_rate".into(), labels(&format!("m{i}"), &[]), 0.0001));
    }
    // A model no KPI reads: fetched by no query.
    held.push(("model_accuracy".into(), labels("m100000", &[]), 10.0));
    let fake = fake_prometheus(held);
    let served = Served::start(&[dir.to_str().unwrap(), "--prometheus", &fake.url, "--interval", "200ms"]);
    let text = served.wait_for("/metrics", |_, b| evaluations(b) >= 3);
    assert!(text.contains("\ncompel_source_queries 2\n"), "{text}");
    let status = statuses(&text);
    assert_eq!(status.len(), 2 * N);
    for i in 0..N {
        let acc = if i % 3 == 0 { "missed" } else { "met" };
        assert_eq!(status[&format!("acc_{i}")], acc, "acc_{i}");
        assert_eq!(status[&format!("loss_{i}")], "met", "loss_{i}");
    }
    drop(served);
    let cycles = fake.per_cycle.lock().unwrap().clone();
    assert!(cycles.len() >= 3, "{}", cycles.len());
    for (time, queries) in &cycles {
        // 600 KPIs on two metrics: two queries, each naming every model.
        assert_eq!(queries.len(), 2, "cycle at {time}: {} queries", queries.len());
        let mut names: Vec<&str> = queries.iter().map(|q| q.split('{').next().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["loss_rate", "model_accuracy"]);
        for q in queries {
            assert_eq!(q.matches('|').count(), N - 1, "{q}");
        }
    }
}

#[test]
fn ambiguous_and_missing_series_stay_unknown_under_batching() {
    let dir = scratch("batch-ambiguous");
    // Label values that need quoting in a regular expression and in PromQL.
    let text = policy(4).replace("\"m1\"", "\"m.1|(\\\"x\\\")\"");
    std::fs::write(dir.join("policy.compel"), text).unwrap();
    let held: Vec<Held> = vec![
        // m0: two series match `model="m0"`: ambiguous.
        ("model_accuracy".into(), labels("m0", &[("instance", "a")]), 95.0),
        ("model_accuracy".into(), labels("m0", &[("instance", "b")]), 95.0),
        ("loss_rate".into(), labels("m0", &[]), 0.0001),
        // m1: its value taken literally (a regular expression `m.1|(...)`
        // would match m2's and "mx1" series as well).
        ("model_accuracy".into(), labels("m.1|(\"x\")", &[]), 95.0),
        ("model_accuracy".into(), labels("mx1", &[]), 50.0),
        ("loss_rate".into(), labels("m.1|(\"x\")", &[]), 0.0001),
        // m2: decided.
        ("model_accuracy".into(), labels("m2", &[]), 50.0),
        ("loss_rate".into(), labels("m2", &[]), 0.0001),
        // m3: no accuracy series: missing.
        ("loss_rate".into(), labels("m3", &[]), 0.0001),
    ];
    let fake = fake_prometheus(held);
    let served = Served::start(&[dir.to_str().unwrap(), "--prometheus", &fake.url, "--interval", "200ms"]);
    let text = served.wait_for("/metrics", |_, b| evaluations(b) >= 2);
    assert!(text.contains("\ncompel_source_queries 2\n"), "{text}");
    let status = statuses(&text);
    assert_eq!(status["acc_0"], "unknown", "two series match: ambiguous");
    assert_eq!(status["acc_1"], "met");
    assert_eq!(status["acc_2"], "missed");
    assert_eq!(status["acc_3"], "unknown", "no series: missing");
    for i in 0..4 {
        assert_eq!(status[&format!("loss_{i}")], "met");
    }
    let gates = one_hot(&text, "compel_gate_state", "state");
    let gate = |i: usize| {
        gates
            .iter()
            .find(|(k, _)| k.iter().any(|(n, v)| n == "initiative" && *v == format!("init_{i}")))
            .unwrap()
            .1
             .0
            .clone()
    };
    assert_eq!(
        (gate(0), gate(1), gate(2), gate(3)),
        ("unknown".into(), "pass".into(), "fail".into(), "unknown".into())
    );
    let status_json: serde_json::Value = serde_json::from_str(&served.get("/status").1).unwrap();
    let explained = status_json.to_string();
    assert!(explained.contains("instance"), "the ambiguity names the matching series: {explained}");
    drop(served);
    for (time, queries) in fake.per_cycle.lock().unwrap().iter() {
        assert_eq!(queries.len(), 2, "cycle at {time}: {queries:?}");
    }
}
