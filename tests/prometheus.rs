//! The same decisions from a real Prometheus server as from the metrics
//! files (`../shared/examples/EXPECTED.md`, "The same decisions from a live
//! Prometheus").
//!
//! For each example file the test converts the series to OpenMetrics text
//! (timestamps in seconds, `# EOF`), backfills them with `promtool tsdb
//! create-blocks-from openmetrics`, starts `prometheus` on a free loopback
//! port with a retention long enough for past timestamps, waits until it is
//! ready and serves the samples, runs `compel eval acme/ --prometheus URL`
//! and compares every decision, criterion by criterion, with the file's.
//!
//! Needs `prometheus` and `promtool` on PATH (Debian: `apt-get install
//! prometheus`). Without them the test prints a note and passes, except
//! when `CI` is set: there it fails, so CI cannot skip it silently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use compel::eval::metrics::{format_selector, parse_rfc3339, Series};
use serde_json::Value;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples");
const NOW: &str = "2026-11-24T00:00:00Z";

/// Kills the server when the test ends, however it ends.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool_works(name: &str) -> bool {
    Command::new(name).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Whether the test can run; panics under CI when it cannot.
fn prometheus_available() -> bool {
    let missing: Vec<&str> = ["prometheus", "promtool"].into_iter().filter(|t| !tool_works(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let note = format!("{} not on PATH (Debian: apt-get install prometheus)", missing.join(" and "));
    if std::env::var_os("CI").is_some() {
        panic!("CI must run the real-Prometheus test: {note}");
    }
    eprintln!("skipping the real-Prometheus test: {note}");
    false
}

/// The series as OpenMetrics text with timestamps in seconds, one family
/// per metric, samples in time order, ending in `# EOF`.
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
            let value = if x.value.is_nan() { "NaN".to_string() } else { format!("{}", x.value) };
            out.push_str(&format!(
                "{} {value} {}\n",
                format_selector(&s.metric, &s.labels),
                compel::prometheus::api_time(x.time)
            ));
        }
    }
    out.push_str("# EOF\n");
    out
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn get(url: &str) -> Option<String> {
    ureq::get(url).timeout(Duration::from_secs(2)).call().ok()?.into_string().ok()
}

/// Backfills `metrics_file` into a fresh TSDB under `dir` and starts a
/// server on it.
fn start(dir: &Path, metrics_file: &str) -> Server {
    let text = std::fs::read_to_string(metrics_file).unwrap();
    let now = parse_rfc3339(NOW).unwrap();
    let series = compel::eval::sources::read_metrics(metrics_file, &text, Some(now)).unwrap();
    let om = dir.join("samples.om");
    std::fs::write(&om, to_openmetrics(&series)).unwrap();
    let data = dir.join("data");
    run(Command::new("promtool").args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&data));
    let config = dir.join("prometheus.yml");
    std::fs::write(&config, "# No scraping: the samples are backfilled.\nglobal:\n  scrape_interval: 1h\n").unwrap();
    let port = free_port();
    let log = dir.join("prometheus.log");
    let child = Command::new("prometheus")
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg("--storage.tsdb.retention.time=100y")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--config.file={}", config.display()))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("prometheus starts");
    let server = Server { child, url: format!("http://127.0.0.1:{port}"), log };
    wait_until_serving(&server, &series);
    server
}

/// Waits for `/-/ready` and then for the backfilled blocks to answer.
fn wait_until_serving(server: &Server, series: &[Series]) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let probe = &series[0];
    let query = format!(
        "{}/api/v1/query?query={}&time={}",
        server.url,
        percent_encode(&format!("{}[30d]", format_selector(&probe.metric, &probe.labels))),
        compel::prometheus::api_time(parse_rfc3339(NOW).unwrap())
    );
    loop {
        let ready = get(&format!("{}/-/ready", server.url)).is_some();
        if ready {
            if let Some(body) = get(&query) {
                let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                if v["data"]["result"].as_array().is_some_and(|r| !r.is_empty()) {
                    return;
                }
            }
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(&server.log).unwrap_or_default();
            panic!("prometheus at {} did not serve the backfilled samples within 90s; its log:\n{log}", server.url);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn eval(args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(EXAMPLES)
        .env_remove("COMPEL_PROMETHEUS_TOKEN")
        .env_remove("COMPEL_PROMETHEUS_USER")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

/// Every decision of a report: the outcome, each KPI's status and value,
/// each gate and criterion with its reason, each policy.
fn decisions(r: &Value) -> Vec<String> {
    let mut out = vec![format!("outcome {}", r["outcome"])];
    for k in r["kpis"].as_array().unwrap() {
        out.push(format!("kpi {} {} {} {}", k["name"], k["status"], k["value"], k["reason"]));
    }
    for i in r["initiatives"].as_array().unwrap() {
        for g in i["gates"].as_array().unwrap() {
            out.push(format!("gate {} {} -> {} {}", i["name"], g["from"], g["to"], g["outcome"]));
            for c in g["criteria"].as_array().unwrap() {
                out.push(format!("  {} {} {}", c["text"], c["outcome"], c["reason"]));
            }
        }
    }
    for p in r["policies"].as_array().unwrap() {
        out.push(format!("policy {} on {} {}", p["name"], p["subject"], p["outcome"]));
    }
    out
}

#[test]
fn real_prometheus_gives_the_same_decisions_as_the_files() {
    if !prometheus_available() {
        return;
    }
    for (file, outcome) in [("latency-spike.json", "fail"), ("all-green.json", "warn")] {
        let dir = std::env::temp_dir().join(format!("compel-prometheus-{}-{file}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let metrics = format!("{EXAMPLES}/acme/metrics/{file}");
        let server = start(&dir, &metrics);

        // The gate asked, so its outcome is the report's.
        let ask = ["--ready", "scoring_v2"];
        let (live_code, live) = eval(
            &[&["eval", "acme/", "--prometheus", &server.url, "--now", NOW, "--format", "json"][..], &ask].concat(),
        );
        let (file_code, from_file) =
            eval(&[&["eval", "acme/", "--metrics", &metrics, "--now", NOW, "--format", "json"][..], &ask].concat());
        assert_eq!(live["outcome"], outcome, "{file}");
        assert_eq!(live_code, file_code, "{file}: the same exit code");
        assert_eq!(decisions(&live), decisions(&from_file), "{file}: the same decisions, criterion by criterion");

        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
