//! Continuous governance on a real Prometheus stack.
//!
//! - `compel compile`'s rules loaded into a real Prometheus over series
//!   backfilled at the current time (a Prometheus evaluates rules at the
//!   wall clock): the latency alert fires, is seen through the Prometheus
//!   API with the labels and value `compel eval` decides, and is delivered
//!   by a real Alertmanager to a webhook.
//! - `compel serve --prometheus` scraped by that same Prometheus: the gate
//!   state read back through PromQL, a reload and a broken reload seen the
//!   same way, and with Prometheus gone serve stays up and every state goes
//!   `unknown`.
//!
//! Needs `prometheus`, `promtool` and `prometheus-alertmanager` (Debian's
//! packages). Without them the tests print a note and pass, except when
//! `CI` is set: there they fail. No time is asserted; waits only guard
//! against hangs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "common/serve.rs"]
mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compel::eval::metrics::{format_rfc3339, format_selector, Sample, Series, NANOS};
use serde_json::Value;
use support::*;

fn tool_works(name: &str) -> bool {
    Command::new(name).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn alertmanager_binary() -> Option<&'static str> {
    ["prometheus-alertmanager", "alertmanager"].into_iter().find(|t| tool_works(t))
}

fn available(needs_alertmanager: bool) -> bool {
    let mut missing: Vec<&str> = ["prometheus", "promtool"].into_iter().filter(|t| !tool_works(t)).collect();
    if needs_alertmanager && alertmanager_binary().is_none() {
        missing.push("prometheus-alertmanager");
    }
    if missing.is_empty() {
        return true;
    }
    let note =
        format!("{} not on PATH (Debian: apt-get install prometheus prometheus-alertmanager)", missing.join(", "));
    if std::env::var_os("CI").is_some() {
        panic!("CI must run the Prometheus stack tests: {note}");
    }
    eprintln!("skipping: {note}");
    false
}

/// A process killed when the test ends.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn http_get(url: &str) -> Option<String> {
    ureq::get(url).timeout(Duration::from_secs(5)).call().ok()?.into_string().ok()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Waits for `f` to give a value; panics with `what` after [`HANG`].
fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>, log: impl Fn() -> String) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(started.elapsed() < HANG, "gave up waiting for {what}:\n{}", log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The result vector of an instant PromQL query at the server's clock.
fn promql(url: &str, query: &str) -> Option<Vec<Value>> {
    let body = http_get(&format!("{url}/api/v1/query?query={}", percent_encode(query)))?;
    let v: Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"].as_array().cloned()
}

fn to_openmetrics(series: &[Series]) -> String {
    let mut sorted: Vec<&Series> = series.iter().collect();
    sorted.sort_by(|a, b| a.metric.cmp(&b.metric).then(a.labels.cmp(&b.labels)));
    let mut out = String::new();
    let mut family = "";
    for s in sorted {
        if s.metric != family {
            family = &s.metric;
            out.push_str(&format!("# TYPE {family} gauge\n"));
        }
        for x in &s.samples {
            let t = compel::prometheus::api_time(x.time);
            out.push_str(&format!("{} {} {t}\n", format_selector(&s.metric, &s.labels), x.value));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Backfills `series` and starts Prometheus with `config` (YAML appended
/// to a global section evaluating rules every second).
fn prometheus(dir: &Path, series: &[Series], config: &str, port: u16) -> Proc {
    let om = dir.join("samples.om");
    std::fs::write(&om, to_openmetrics(series)).unwrap();
    let data = dir.join("data");
    let o = Command::new("promtool").args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&data).output();
    let o = o.unwrap();
    assert!(o.status.success(), "backfill: {}", String::from_utf8_lossy(&o.stderr));
    let file = dir.join("prometheus.yml");
    std::fs::write(&file, format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{config}")).unwrap();
    let log = dir.join("prometheus.log");
    let child = Command::new("prometheus")
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg("--storage.tsdb.retention.time=100y")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--config.file={}", file.display()))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("prometheus starts");
    let p = Proc { child, log };
    let url = format!("http://127.0.0.1:{port}");
    wait("prometheus ready", || http_get(&format!("{url}/-/ready")), || p.log());
    p
}

/// A webhook that records every body posted to it.
struct Webhook {
    url: String,
    bodies: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn webhook() -> Webhook {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (bodies, stop) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
    let (b2, s2) = (Arc::clone(&bodies), Arc::clone(&stop));
    std::thread::spawn(move || {
        while !s2.load(Ordering::SeqCst) {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let body = loop {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= len {
                        break Some(body.to_string());
                    }
                }
            };
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if let Some(body) = body {
                b2.lock().unwrap().push(body);
            }
        }
    });
    Webhook { url, bodies, stop }
}

fn alertmanager(dir: &Path, hook: &str, port: u16) -> Proc {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: hook\n  group_by: ['alertname', 'kpi']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: \"{hook}\"\n        send_resolved: false\n"
        ),
    )
    .unwrap();
    let log = dir.join("alertmanager.log");
    let child = Command::new(alertmanager_binary().unwrap())
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("am-data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("alertmanager starts");
    let p = Proc { child, log };
    wait("alertmanager ready", || http_get(&format!("http://127.0.0.1:{port}/-/ready")), || p.log());
    p
}

/// Latency samples each minute over the last ten minutes: 200ms, then
/// 300ms for the last three.
fn latency_now(now: i64) -> Vec<Series> {
    let samples = (1..=10)
        .rev()
        .map(|m| Sample { time: now - m * 60 * NANOS, value: if m <= 3 { 300.0 } else { 200.0 } })
        .collect();
    let labels = [("service".to_string(), "scoring".to_string())].into_iter().collect();
    vec![Series::with_samples("api_latency_p95", labels, samples)]
}

#[test]
fn compiled_latency_alert_fires_and_reaches_alertmanager() {
    if !available(true) {
        return;
    }
    let dir = scratch("stack-alert");
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/compile/small.compel");
    let rules = dir.join("rules.yml");
    let o = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["compile", policy, "--target", "prometheus", "-o", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let now = clock();
    let series = latency_now(now);
    // compel's own decision on the same samples.
    let metrics = dir.join("metrics.json");
    write_series_json(&metrics, &series);
    let eval = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args([
            "eval",
            policy,
            "--metrics",
            metrics.to_str().unwrap(),
            "--now",
            &format_rfc3339(now),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let eval: Value = serde_json::from_slice(&eval.stdout).unwrap();
    let latency = eval["kpis"].as_array().unwrap().iter().find(|k| k["name"] == "latency").unwrap().clone();
    assert_eq!(latency["status"], "missed");
    assert_eq!(latency["value"], 300.0);

    let hook = webhook();
    let am_port = free_port();
    let am = alertmanager(&dir, &hook.url, am_port);
    let port = free_port();
    let config = format!(
        "rule_files:\n  - \"{}\"\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:{am_port}\"]\n",
        rules.display()
    );
    let prom = prometheus(&dir, &series, &config, port);
    let url = format!("http://127.0.0.1:{port}");

    // Through the Prometheus API: firing, with compel's labels and value.
    let alert = wait(
        "CompelKpiMissed firing",
        || {
            let body = http_get(&format!("{url}/api/v1/alerts"))?;
            let v: Value = serde_json::from_str(&body).ok()?;
            v["data"]["alerts"]
                .as_array()?
                .iter()
                .find(|a| a["labels"]["alertname"] == "CompelKpiMissed" && a["state"] == "firing")
                .cloned()
        },
        || prom.log(),
    );
    let labels = &alert["labels"];
    assert_eq!(labels["kpi"], "latency");
    assert_eq!(labels["initiative"], "scoring");
    assert_eq!(labels["program"], "ai");
    assert_eq!(labels["owner"], "ml-platform@example.com");
    assert_eq!(labels["severity"], "critical", "`require latency` makes it critical");
    let value: f64 = alert["value"].as_str().unwrap().parse().unwrap();
    assert_eq!(value, latency["value"].as_f64().unwrap(), "the alert's value is eval's latest value");
    assert_eq!(alert["annotations"]["criterion"], "require latency");
    // The recorded value and status agree with eval too.
    // (Recording rules sit in their own group, which may evaluate after
    // the alert's first firing: wait for their first result.)
    let recorded = |q: &str| wait(q, || promql(&url, q).filter(|r| !r.is_empty()), || prom.log());
    assert_eq!(recorded("compel:kpi_value{kpi=\"latency\"}")[0]["value"][1], "300");
    assert_eq!(recorded("compel:kpi_target_met{kpi=\"latency\"}")[0]["value"][1], "0");
    // Nothing else about latency fires: it is neither stale nor ambiguous.
    for other in ["CompelKpiStale", "CompelKpiAmbiguous"] {
        let firing = promql(&url, &format!("ALERTS{{alertname=\"{other}\",kpi=\"latency\"}}")).unwrap();
        assert!(firing.is_empty(), "{other}: {firing:?}");
    }

    // Delivered by Alertmanager to the receiver.
    let delivered = wait(
        "the alert at the webhook",
        || {
            let bodies = hook.bodies.lock().unwrap().clone();
            bodies.iter().filter_map(|b| serde_json::from_str::<Value>(b).ok()).find_map(|v| {
                v["alerts"].as_array()?.iter().find(|a| a["labels"]["alertname"] == "CompelKpiMissed").cloned()
            })
        },
        || am.log(),
    );
    assert_eq!(delivered["status"], "firing");
    assert_eq!(delivered["labels"]["kpi"], "latency");
    assert_eq!(delivered["labels"]["severity"], "critical");
    assert_eq!(delivered["annotations"]["summary"], "KPI latency misses its target <= 250ms");
}

#[test]
fn serve_is_scraped_reloads_and_survives_prometheus_going_away() {
    if !available(false) {
        return;
    }
    let dir = scratch("stack-serve");
    let policy = acme_in(&dir);
    let series = shifted_series("all-green.json", clock());
    let (port, serve_port) = (free_port(), free_port());
    let url = format!("http://127.0.0.1:{port}");
    let config = format!(
        "scrape_configs:\n  - job_name: compel\n    scrape_interval: 1s\n    static_configs:\n      - targets: [\"127.0.0.1:{serve_port}\"]\n"
    );
    let prom = prometheus(&dir, &series, &config, port);
    let served = Served::start_on(
        &[
            policy.to_str().unwrap(),
            "--prometheus",
            &url,
            "--interval",
            "500ms",
            "--max-age",
            "25h",
            "--timeout",
            "10s",
        ],
        &format!("127.0.0.1:{serve_port}"),
    );
    let gate_state = |state: &str| {
        let q = format!("compel_gate_state{{job=\"compel\",initiative=\"scoring_v2\",from=\"model\",to=\"produce\",state=\"{state}\"}} == 1");
        promql(&url, &q).filter(|r| !r.is_empty())
    };
    // all-green: the gate passes with the accuracy warning.
    wait("gate warn via PromQL", || gate_state("warn"), || format!("{}\n{}", prom.log(), served.log()));
    let sum = promql(&url, "sum by (initiative, from, to) (compel_gate_state{job=\"compel\"})").unwrap();
    assert_eq!(sum[0]["value"][1], "1", "one-hot: {sum:?}");
    let ready = promql(&url, "compel_initiative_ready{job=\"compel\",initiative=\"scoring_v2\"}").unwrap();
    assert_eq!(ready[0]["value"][1], "1");

    // A reload: latency's target below the data fails the gate.
    let acme = policy.join("acme.compel");
    let original = std::fs::read_to_string(&acme).unwrap();
    let tmp = acme.with_extension("tmp");
    std::fs::write(&tmp, original.replace("target <= 250ms", "target <= 20ms")).unwrap();
    std::fs::rename(&tmp, &acme).unwrap();
    wait("gate fail via PromQL", || gate_state("fail"), || served.log());

    // A broken reload: still serving, and saying so.
    std::fs::write(&tmp, original.replace("kpi latency_p95 {", "kpi latency_p95 {{")).unwrap();
    std::fs::rename(&tmp, &acme).unwrap();
    wait(
        "reload failure via PromQL",
        || promql(&url, "compel_policy_reload_failed{job=\"compel\"} == 1").filter(|r| !r.is_empty()),
        || served.log(),
    );
    assert!(gate_state("fail").is_some(), "the last good policy set still decides");

    // Prometheus goes away: serve stays up, states go unknown.
    drop(prom);
    let text = served.wait_for("/metrics", |_, b| b.contains("\ncompel_metrics_source_up 0\n"));
    for (_, (state, _)) in one_hot(&text, "compel_kpi_status", "status") {
        assert_eq!(state, "unknown", "{text}");
    }
    for (_, (state, _)) in one_hot(&text, "compel_gate_state", "state") {
        assert_eq!(state, "unknown", "{text}");
    }
    assert_eq!(served.get("/healthz").0, 200);
}
