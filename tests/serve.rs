//! `compel serve` end to end against files and loopback servers, no
//! Prometheus needed: the exposition parses (and `promtool check metrics`
//! accepts it when promtool is installed), one-hot states sum to 1 and
//! match `compel eval` at the same `now`, the decision log is JSON lines,
//! reloads (good, broken, SIGHUP), a failing source (states go unknown,
//! serve stays up), one query per metric per cycle (selectors batched), cycles
//! never overlapping, graceful SIGTERM. Times are never asserted: counts
//! and states are.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "common/serve.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::*;

fn promtool_available() -> bool {
    let ok = Command::new("promtool").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("CI must check the exposition with promtool (Debian: apt-get install prometheus)");
    }
    if !ok {
        eprintln!("skipping promtool check metrics: promtool is not on PATH");
    }
    ok
}

/// Gate outcome and KPI statuses from `compel eval --now` of the same files.
fn eval_at(policy: &std::path::Path, metrics: &std::path::Path, now: &str) -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["eval", policy.to_str().unwrap(), "--metrics", metrics.to_str().unwrap(), "--now", now])
        .args(["--format", "json", "--max-age", "25h"])
        .output()
        .unwrap();
    serde_json::from_slice(&o.stdout).expect("eval json")
}

#[test]
fn file_source_states_are_one_hot_and_match_eval() {
    let dir = scratch("files");
    let policy = acme_in(&dir);
    let metrics = dir.join("metrics.json");
    write_series_json(&metrics, &shifted_series("latency-spike.json", clock()));
    let log = dir.join("decisions.jsonl");
    let served = Served::start(&[
        policy.to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
        "--interval",
        "100ms",
        "--max-age",
        "25h",
        "--decision-log",
        log.to_str().unwrap(),
    ]);
    served.wait_for("/readyz", |s, _| s == 200);
    let text = served.next_metrics();
    // One-hot: every member has exactly one state at 1.
    for (family, state) in
        [("compel_gate_state", "state"), ("compel_kpi_status", "status"), ("compel_policy_state", "state")]
    {
        let members = one_hot(&text, family, state);
        assert!(!members.is_empty(), "{family} missing:\n{text}");
        for (labels, (_, sum)) in &members {
            assert_eq!(*sum, 1.0, "{family} {labels:?} sums to {sum}");
        }
    }
    let gates = one_hot(&text, "compel_gate_state", "state");
    let gate = gates.iter().find(|(k, _)| k.contains(&("initiative".into(), "scoring_v2".into()))).unwrap();
    assert_eq!(gate.1 .0, "fail", "the spike inside the 7-day window fails the gate:\n{text}");
    let kpis = one_hot(&text, "compel_kpi_status", "status");
    let status = |kpi: &str| {
        kpis.iter().find(|(k, _)| k.contains(&("kpi".into(), kpi.into()))).map(|(_, v)| v.0.clone()).unwrap()
    };
    assert_eq!(status("accuracy"), "at_risk");
    assert_eq!(status("latency_p95"), "met");
    let value = samples(&text)
        .into_iter()
        .find(|(n, l, _)| n == "compel_kpi_value" && l["kpi"] == "latency_p95")
        .map(|(_, l, v)| (l["unit"].clone(), v));
    assert_eq!(value, Some(("ms".into(), 199.0)));
    assert!(text.contains("compel_initiative_ready{initiative=\"scoring_v2\",from=\"model\",to=\"produce\"} 0"));

    // The same decisions as `compel eval` at the served `now`.
    let status_doc: serde_json::Value = serde_json::from_str(&served.get("/status").1).unwrap();
    let now = status_doc["report"]["now"].as_str().unwrap().to_string();
    let eval = eval_at(&policy, &metrics, &now);
    assert_eq!(status_doc["report"]["initiatives"], eval["initiatives"], "serve and eval disagree at {now}");
    assert_eq!(status_doc["report"]["policies"], eval["policies"]);
    let policies = one_hot(&text, "compel_policy_state", "state");
    for p in eval["policies"].as_array().unwrap() {
        let key = vec![
            ("policy".to_string(), p["name"].as_str().unwrap().to_string()),
            ("subject".into(), p["subject"].as_str().unwrap().into()),
        ];
        assert_eq!(policies[&key].0, p["outcome"].as_str().unwrap(), "{key:?}");
    }

    // Both formats; the text one through promtool.
    let (_, om) = get(&served.addr, "/metrics", Some("application/openmetrics-text;version=1.0.0"));
    assert!(om.ends_with("# EOF\n") && om.contains("# TYPE compel_build info\n"), "{om}");
    if promtool_available() {
        let mut p = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        p.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let o = p.wait_with_output().unwrap();
        assert!(o.status.success(), "promtool check metrics: {}", String::from_utf8_lossy(&o.stderr));
    }
    // The other endpoints.
    let (status, html) = served.get("/report");
    assert_eq!(status, 200);
    assert!(html.contains("<!DOCTYPE html>") || html.contains("<html"), "{html}");
    assert!(html.contains("scoring_v2"));
    assert_eq!(served.get("/healthz").0, 200);
    assert_eq!(served.get("/nope").0, 404);

    // The decision log: one JSON line per cycle, each decision with evidence.
    served.signal("TERM");
    let mut child = served;
    let exit = child.child.wait().unwrap();
    assert!(exit.success(), "graceful stop exits 0: {exit:?}\n{}", child.log());
    // The reader thread may still hold the last line: wait for it.
    let started = std::time::Instant::now();
    while !child.log().contains("compel serve: stopped") {
        assert!(started.elapsed() < HANG, "no stop message:\n{}", child.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let log_text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = log_text.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert!(lines.len() >= 2, "{log_text}");
    let revision = status_doc["revision"].as_str().unwrap();
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["decision_id"], format!("{revision}-{}", i + 1));
        assert_eq!(line["revision"], revision);
        assert!(line["now"].as_str().is_some_and(|n| n.ends_with('Z')));
        let decisions = line["decisions"].as_array().unwrap();
        let gate = decisions.iter().find(|d| d["kind"] == "gate").unwrap();
        assert_eq!(gate["initiative"], "scoring_v2");
        assert!(gate["criteria"].as_array().unwrap().iter().any(|c| !c["evidence"].as_array().unwrap().is_empty()));
        assert!(decisions.iter().any(|d| d["kind"] == "policy" && d["criteria"].is_array()));
        assert!(decisions.iter().any(|d| d["kind"] == "kpi" && d["evidence"].is_array()));
    }
}

/// Replaces a file in one step, as deployments do (a poll never sees it
/// half written).
fn replace_file(path: &std::path::Path, text: impl AsRef<[u8]>) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn reloads_keep_the_last_good_policy_set() {
    let dir = scratch("reload");
    let policy = acme_in(&dir);
    let metrics = dir.join("metrics.json");
    write_series_json(&metrics, &shifted_series("all-green.json", clock()));
    let served = Served::start(&[
        policy.to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
        "--interval",
        "100ms",
        "--max-age",
        "25h",
    ]);
    served.wait_for("/readyz", |s, _| s == 200);
    let status = |s: &Served| serde_json::from_str::<serde_json::Value>(&s.get("/status").1).unwrap();
    let first = status(&served)["revision"].as_str().unwrap().to_string();
    let gate = |text: &str| one_hot(text, "compel_gate_state", "state").into_values().next().unwrap().0;
    assert_eq!(gate(&served.next_metrics()), "warn");

    // A change reloads: latency's target tightened below 240ms fails the gate.
    let acme = policy.join("acme.compel");
    let original = std::fs::read_to_string(&acme).unwrap();
    replace_file(&acme, original.replace("target <= 250ms", "target <= 20ms"));
    let text = served.wait_for("/metrics", |_, b| !b.contains(&first) && b.contains("compel_policy_set_info"));
    let second = status(&served)["revision"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let _ = text;
    let text = served.next_metrics();
    assert_eq!(gate(&served.next_metrics()), "fail", "{text}");
    assert!(text.contains("\ncompel_policy_reload_failed 0\n"));

    // A broken policy keeps the last good one serving, and says so.
    replace_file(&acme, original.replace("kpi latency_p95 {", "kpi latency_p95 {{"));
    let text = served.wait_for("/metrics", |_, b| b.contains("\ncompel_policy_reload_failed 1\n"));
    assert!(text.contains(&format!("compel_policy_set_info{{revision=\"{second}\"}} 1")), "{text}");
    let doc = status(&served);
    assert_eq!(doc["policy"], "reload_failed", "{}", served.log());
    assert!(doc["reload_error"].as_str().unwrap().contains("does not compile"), "{doc}");
    assert_eq!(doc["revision"], second.as_str());
    let evaluated = served.evaluations();
    assert!(served.next_metrics().contains("\ncompel_policy_reload_failed 1\n"), "evaluations go on");
    assert!(served.evaluations() > evaluated);
    assert_eq!(served.get("/readyz").0, 200);

    // Fixed again: back to the first revision.
    replace_file(&acme, &original);
    served.wait_for("/metrics", |_, b| b.contains("\ncompel_policy_reload_failed 0\n"));
    assert_eq!(status(&served)["revision"], first.as_str());

    // SIGHUP reloads even without a change.
    let reloads = |t: &str| {
        samples(t)
            .into_iter()
            .find(|(n, l, _)| n == "compel_policy_reloads_total" && l["result"] == "success")
            .unwrap()
            .2
    };
    let before = reloads(&served.get("/metrics").1);
    served.signal("HUP");
    served.wait_for("/metrics", |_, b| reloads(b) > before);
    assert!(served.log().contains("reloaded"));
}

#[test]
fn a_failing_source_makes_states_unknown_and_serve_stays_up() {
    let dir = scratch("gone");
    let policy = acme_in(&dir);
    let metrics = dir.join("metrics.json");
    write_series_json(&metrics, &shifted_series("all-green.json", clock()));
    let served =
        Served::start(&[policy.to_str().unwrap(), "--metrics", metrics.to_str().unwrap(), "--interval", "100ms"]);
    served.wait_for("/metrics", |_, b| b.contains("\ncompel_metrics_source_up 1\n"));
    std::fs::remove_file(&metrics).unwrap();
    let text = served.wait_for("/metrics", |_, b| b.contains("\ncompel_metrics_source_up 0\n"));
    for (_, (state, _)) in one_hot(&text, "compel_kpi_status", "status") {
        assert_eq!(state, "unknown", "{text}");
    }
    let gates = one_hot(&text, "compel_gate_state", "state");
    assert!(gates.values().all(|(s, _)| s == "unknown"), "{text}");
    assert_eq!(served.get("/healthz").0, 200);
    let doc: serde_json::Value = serde_json::from_str(&served.get("/status").1).unwrap();
    assert!(doc["source_error"].as_str().unwrap().contains("metrics.json"), "{doc}");
}

/// A loopback Prometheus that answers every query with an empty matrix
/// after `delay`, recording each query's `time` and how many cycles (by
/// `time`) had queries in flight at once.
struct Fake {
    url: String,
    stop: Arc<AtomicBool>,
    per_cycle: Arc<Mutex<BTreeMap<String, Vec<String>>>>,
    overlapping: Arc<AtomicUsize>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn param(target: &str, name: &str) -> String {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let raw = query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap_or("");
    form_decode(raw)
}

fn fake_prometheus(delay: Duration) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let per_cycle: Arc<Mutex<BTreeMap<String, Vec<String>>>> = Arc::default();
    let in_flight: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let overlapping = Arc::new(AtomicUsize::new(0));
    let (stop2, per_cycle2, overlapping2) = (Arc::clone(&stop), Arc::clone(&per_cycle), Arc::clone(&overlapping));
    std::thread::spawn(move || {
        while !stop2.load(Ordering::SeqCst) {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let (per_cycle, in_flight, overlapping) =
                (Arc::clone(&per_cycle2), Arc::clone(&in_flight), Arc::clone(&overlapping2));
            std::thread::spawn(move || {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let target = head.split(' ').nth(1).unwrap_or("").to_string();
                let (query, time) = (param(&target, "query"), param(&target, "time"));
                {
                    let mut f = in_flight.lock().unwrap();
                    *f.entry(time.clone()).or_default() += 1;
                    if f.values().filter(|n| **n > 0).count() > 1 {
                        overlapping.fetch_add(1, Ordering::SeqCst);
                    }
                }
                per_cycle.lock().unwrap().entry(time.clone()).or_default().push(query);
                std::thread::sleep(delay);
                let body = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                *in_flight.lock().unwrap().entry(time).or_default() -= 1;
            });
        }
    });
    Fake { url, stop, per_cycle, overlapping }
}

const SHARED_SELECTORS: &str = r#"
kpi latency {
  metric "latency_seconds"
  labels { service "api" }
  unit   s
  target <= 250ms
}

kpi latency_again {
  metric "latency_seconds"
  labels { service "api" }
  unit   s
  target <= 300ms
}

kpi errors {
  metric "error_ratio"
  target <= 1%
}

kpi errors_eu {
  metric "error_ratio"
  labels { region "eu" }
  target <= 1%
}
"#;

#[test]
fn one_query_per_metric_and_cycles_never_overlap() {
    let dir = scratch("batch");
    std::fs::write(dir.join("kpis.compel"), SHARED_SELECTORS).unwrap();
    // Each answer takes longer than the interval: cycles run late, in turn.
    let fake = fake_prometheus(Duration::from_millis(150));
    let served =
        Served::start(&[dir.to_str().unwrap(), "--prometheus", &fake.url, "--interval", "20ms", "--timeout", "30s"]);
    served.wait_for("/metrics", |_, b| evaluations(b) >= 4);
    let late = samples(&served.get("/metrics").1)
        .into_iter()
        .find(|(n, _, _)| n == "compel_late_evaluations_total")
        .unwrap()
        .2;
    assert!(late >= 1.0, "a cycle slower than its interval is counted late");
    assert!(served.get("/metrics").1.contains("\ncompel_source_queries 2\n"));
    assert_eq!(fake.overlapping.load(Ordering::SeqCst), 0, "two cycles had queries in flight at once");
    drop(served);
    let cycles = fake.per_cycle.lock().unwrap().clone();
    assert!(cycles.len() >= 4);
    for (time, queries) in &cycles {
        // Four KPIs, three distinct selectors on two metrics: `error_ratio`
        // answers `error_ratio{region="eu"}` too, so two queries per cycle.
        let mut distinct: Vec<&str> = queries.iter().map(|q| q.split('[').next().unwrap()).collect();
        distinct.sort();
        assert_eq!(distinct, ["error_ratio", "latency_seconds{service=\"api\"}"], "cycle at {time}: {queries:?}");
    }
}

#[test]
fn prometheus_down_keeps_serving_unknown() {
    let dir = scratch("down");
    std::fs::write(dir.join("kpis.compel"), SHARED_SELECTORS).unwrap();
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let served = Served::start(&[dir.to_str().unwrap(), "--prometheus", &url, "--interval", "50ms", "--timeout", "1s"]);
    let text = served.wait_for("/metrics", |_, b| evaluations(b) >= 1);
    assert!(text.contains("\ncompel_metrics_source_up 0\n"), "{text}");
    for (_, (state, _)) in one_hot(&text, "compel_kpi_status", "status") {
        assert_eq!(state, "unknown");
    }
    assert_eq!(served.get("/healthz").0, 200);
    assert_eq!(served.get("/readyz").0, 200);
}

#[test]
fn bad_flags_and_a_broken_policy_do_not_start() {
    let dir = scratch("bad");
    std::fs::write(dir.join("broken.compel"), "kpi x {").unwrap();
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_compel")).arg("serve").args(args).output().unwrap();
    let o = run(&[dir.to_str().unwrap(), "--metrics", "m.json", "--listen", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not compile"));
    let o = run(&[dir.to_str().unwrap(), "--metrics", "m.json", "--interval", "soon"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--interval soon"));
    let o = run(&[dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "a source is required");
}
