//! Metric servers that misbehave, end to end: the real `compel eval` binary
//! against small servers this test starts on 127.0.0.1.
//!
//! The server answers the acme example's queries from
//! `acme/metrics/all-green.json` like a Prometheus would, except for the
//! queries of one "victim" metric (or of every metric), which get the
//! misbehaviour under test: silence, HTTP errors, truncated or invalid JSON,
//! enormous series, `NaN` / `+Inf` / string values, slow drip, not HTTP at
//! all. Each case must end as `unknown` with the reason (exit 1), or as exit
//! 2 when nothing could be fetched; never a pass, never a hang, never a
//! crash. Metric files get the same bounds (`--max-metrics-bytes`,
//! `--max-samples`).
//!
//! Every server loop is bounded: it stops when the test drops the server,
//! and a silent connection is held at most 60 s.
//!
//! Wall-clock bounds are loose, so the tests pass on a loaded machine: the
//! reasons in the report prove which bound stopped a run (a timeout's
//! words, a limit's), and the attempt counts prove the retries. A time is
//! asserted only where it tells two behaviours apart, with a margin of
//! about ten times what a run takes.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../src/prometheus/tests/form.rs"]
mod form;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compel::eval::metrics::{parse_rfc3339, Series};
use serde_json::Value;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples");
const NOW: &str = "2026-11-24T00:00:00Z";

/// Under the 60 s a silent or dripping server holds its connection: a run
/// that waited for the server instead of its own timeout would take longer.
/// Such runs take about 4 s.
const HELD: Duration = Duration::from_secs(50);

/// A run that should end on its own in seconds: only a hang exceeds this.
const HANG: Duration = Duration::from_secs(300);
/// The metric whose queries misbehave in the "one source fails" cases.
const VICTIM: &str = "fraud_scoring_latency_p95";

/// What the server does with a query it misbehaves on.
#[derive(Clone)]
enum Misbehave {
    /// Accept, read the request, never answer.
    Silent,
    /// An HTTP status with a body.
    Status(u16, String),
    /// A 200 with this body (whatever it is).
    Body(String),
    /// A 200 whose `Content-Length` promises more than is sent before the
    /// connection closes.
    CutShort(String),
    /// A 200 answer with one series of this many samples, streamed.
    Huge(usize),
    /// A 200 answer with one series of good daily samples over the last
    /// eight days followed by samples whose values are these JSON values
    /// (`"NaN"`, `"+Inf"`, `"abc"`, `5` ...).
    Values(Vec<String>),
    /// Headers, then one byte every 100 ms.
    Drip,
    /// Not HTTP at all.
    Garbage,
}

struct Server {
    url: String,
    stop: Arc<AtomicBool>,
    /// The decoded `query` parameter of every request, in arrival order,
    /// with when its request had arrived.
    queries: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Server {
    fn count(&self, metric: &str) -> usize {
        self.queries.lock().unwrap().iter().filter(|(_, q)| q.contains(metric)).count()
    }

    /// The gaps between the arrivals of the queries for `metric`.
    fn gaps(&self, metric: &str) -> Vec<Duration> {
        let times: Vec<Instant> =
            self.queries.lock().unwrap().iter().filter(|(_, q)| q.contains(metric)).map(|(t, _)| *t).collect();
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// The good answers: every series of all-green.json.
fn good_series() -> Vec<Series> {
    let path = format!("{EXAMPLES}/acme/metrics/all-green.json");
    let text = std::fs::read_to_string(&path).unwrap();
    compel::eval::sources::read_metrics(&path, &text, parse_rfc3339(NOW)).unwrap()
}

/// Starts a server that answers like Prometheus from all-green.json, except
/// that queries for which `victim(query)` holds get `bad`.
fn serve(victim: impl Fn(&str) -> bool + Send + Sync + 'static, bad: Misbehave) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let queries = Arc::new(Mutex::new(Vec::new()));
    let (stop2, queries2) = (Arc::clone(&stop), Arc::clone(&queries));
    let victim = Arc::new(victim);
    let series = Arc::new(good_series());
    std::thread::spawn(move || {
        let started = Instant::now();
        // Bounded: until the test drops the server, at most 5 minutes.
        while !stop2.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(300) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let (stop, queries, victim, series, bad) = (
                        Arc::clone(&stop2),
                        Arc::clone(&queries2),
                        Arc::clone(&victim),
                        Arc::clone(&series),
                        bad.clone(),
                    );
                    std::thread::spawn(move || {
                        handle(stream, &stop, &queries, &*victim, &series, &bad);
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Server { url, stop, queries }
}

fn handle(
    mut stream: TcpStream,
    stop: &AtomicBool,
    queries: &Mutex<Vec<(Instant, String)>>,
    victim: &dyn Fn(&str) -> bool,
    series: &[Series],
    bad: &Misbehave,
) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let query = query_param(&String::from_utf8_lossy(&head));
    queries.lock().unwrap().push((Instant::now(), query.clone()));
    if !victim(&query) {
        let _ = respond(&mut stream, 200, &answer(series, &query));
        return;
    }
    let name = metric_of(&query);
    match bad {
        Misbehave::Silent => {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Misbehave::Status(code, body) => {
            let _ = respond(&mut stream, *code, body);
        }
        Misbehave::Body(body) => {
            let _ = respond(&mut stream, 200, body);
        }
        Misbehave::CutShort(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len() * 2
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes()));
        }
        Misbehave::Huge(n) => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
            let open = format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{name}"}},"values":["#
            );
            if stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(open.as_bytes())).is_err() {
                return;
            }
            let t0 = 1_795_478_400 - *n as i64;
            let mut chunk = String::with_capacity(1 << 16);
            for i in 0..*n {
                if i > 0 {
                    chunk.push(',');
                }
                chunk.push_str(&format!("[{},\"{}\"]", t0 + i as i64, 100 + i % 50));
                if chunk.len() > 60_000 {
                    // The client stops reading at its limit: then stop too.
                    if stop.load(Ordering::SeqCst) || stream.write_all(chunk.as_bytes()).is_err() {
                        return;
                    }
                    chunk.clear();
                }
            }
            chunk.push_str("]}]}}");
            let _ = stream.write_all(chunk.as_bytes());
        }
        Misbehave::Values(values) => {
            // Eight good daily samples, then the values under test, latest last.
            let now = 1_795_478_400;
            let mut samples: Vec<String> =
                (1..=8).rev().map(|d| format!("[{},\"100\"]", now - 86_400 * d - 7200)).collect();
            let n = values.len() as i64;
            samples.extend(values.iter().enumerate().map(|(i, v)| format!("[{},{v}]", now - 3600 * (n - i as i64))));
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{name}"}},"values":[{}]}}]}}}}"#,
                samples.join(",")
            );
            let _ = respond(&mut stream, 200, &body);
        }
        Misbehave::Drip => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                if stream.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Misbehave::Garbage => {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n");
        }
    }
}

fn respond(stream: &mut TcpStream, code: u16, body: &str) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())
}

/// The metric name a query selects: `name{...}[Ns]` gives `name`.
fn metric_of(query: &str) -> String {
    query.split(['{', '[', '(']).next().unwrap_or("").trim().to_string()
}

/// A Prometheus matrix answer holding every good series of the query's metric.
fn answer(series: &[Series], query: &str) -> String {
    let name = metric_of(query);
    let result: Vec<Value> = series
        .iter()
        .filter(|s| s.metric == name)
        .map(|s| {
            let mut metric = serde_json::Map::new();
            metric.insert("__name__".into(), Value::String(s.metric.clone()));
            for (k, v) in &s.labels {
                metric.insert(k.clone(), Value::String(v.clone()));
            }
            let values: Vec<Value> =
                s.samples.iter().map(|x| serde_json::json!([x.time / 1_000_000_000, format!("{}", x.value)])).collect();
            serde_json::json!({ "metric": metric, "values": values })
        })
        .collect();
    serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": result}}).to_string()
}

fn query_param(head: &str) -> String {
    let target = head.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    form::form_decode(query.split('&').find_map(|p| p.strip_prefix("query=")).unwrap_or(""))
}

/// `compel eval acme --prometheus URL --now NOW --format json --ready all EXTRA...`,
/// with how long it took.
fn eval(url: &str, extra: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["eval", "acme", "--prometheus", url, "--now", NOW, "--format", "json", "--ready", "all"])
        .args(extra)
        .current_dir(EXAMPLES)
        .env("NO_COLOR", "1")
        .env_remove("COMPEL_PROMETHEUS_TOKEN")
        .env_remove("COMPEL_PROMETHEUS_USER")
        .env_remove("COMPEL_PROMETHEUS_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .expect("the compel binary runs");
    (out, started.elapsed())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The criteria of the report, as (text, outcome, reason).
fn criteria(report: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for i in report["initiatives"].as_array().unwrap() {
        for g in i["gates"].as_array().unwrap() {
            for c in g["criteria"].as_array().unwrap() {
                out.push((
                    c["text"].as_str().unwrap_or("").to_string(),
                    c["outcome"].as_str().unwrap_or("").to_string(),
                    c["reason"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
    }
    out
}

/// The victim's KPI (`latency_p95`) is unknown with a reason containing
/// `why`; the evaluation blocks (exit 1) and is never a pass.
fn assert_victim_unknown(out: &Output, why: &str) -> Value {
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}); stderr:\n{}", stderr(out)));
    assert_eq!(out.status.code(), Some(1), "exit code; stderr:\n{}", stderr(out));
    assert_eq!(report["outcome"], "unknown", "{report:#}");
    let latency = criteria(&report).into_iter().find(|(text, _, _)| text.contains("latency_p95")).unwrap();
    assert_eq!(latency.1, "unknown", "{latency:?}");
    assert!(latency.2.contains(why), "the reason {:?} should say {why:?}", latency.2);
    // The other sources were read: accuracy is decided from its data.
    let accuracy = criteria(&report).into_iter().find(|(text, _, _)| text == "require accuracy").unwrap();
    assert_ne!(accuracy.1, "unknown", "{accuracy:?}");
    report
}

/// Nothing could be fetched: exit 2, a message naming the reason, no report.
fn assert_nothing_fetched(out: &Output, why: &str) {
    assert_eq!(out.status.code(), Some(2), "exit code; stderr:\n{}", stderr(out));
    assert!(out.stdout.is_empty(), "no report when nothing could be fetched");
    let err = stderr(out);
    assert!(err.contains("no metric could be read from prometheus"), "{err}");
    assert!(err.contains(why), "stderr should say {why:?}:\n{err}");
}

fn victim(query: &str) -> bool {
    query.contains(VICTIM)
}

#[test]
fn the_server_answers_well_when_it_behaves() {
    let server = serve(|_| false, Misbehave::Garbage);
    let (out, _) = eval(&server.url, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "warn");
}

#[test]
fn the_default_timeout_is_at_most_30_seconds() {
    assert!(compel::prometheus::DEFAULT_TIMEOUT <= Duration::from_secs(30));
    let help = Command::new(env!("CARGO_BIN_EXE_compel")).args(["eval", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--timeout"));
}

#[test]
fn a_silent_server_is_bounded_by_the_timeout() {
    // Every query: nothing could be fetched, exit 2, within the bound
    // (3 attempts of 1 s each plus 0.25 s and 0.5 s of backoff).
    let server = serve(|_| true, Misbehave::Silent);
    let (out, took) = eval(&server.url, &["--timeout", "1s"]);
    assert_nothing_fetched(&out, "did not answer within 1s");
    assert!(took < HELD, "took {took:?}");
    // A timeout is transient: retried twice, no more.
    assert_eq!(server.count(VICTIM), 3);

    // One query: its KPI is unknown, the rest is decided.
    let server = serve(victim, Misbehave::Silent);
    let (out, took) = eval(&server.url, &["--timeout", "500ms"]);
    assert_victim_unknown(&out, "did not answer within 0.5s (after 3 attempts)");
    assert!(took < HELD, "took {took:?}");
}

#[test]
fn a_slow_drip_is_bounded_by_the_timeout() {
    let server = serve(victim, Misbehave::Drip);
    let (out, took) = eval(&server.url, &["--timeout", "1s"]);
    assert_victim_unknown(&out, "did not answer within 1s");
    assert!(took < HELD, "took {took:?}");
}

#[test]
fn server_errors_are_retried_with_a_bound() {
    for code in [500, 502, 503, 429] {
        let server = serve(victim, Misbehave::Status(code, "overloaded".into()));
        let (out, _) = eval(&server.url, &[]);
        assert_victim_unknown(&out, &format!("(HTTP {code}): overloaded (after 3 attempts)"));
        assert_eq!(server.count(VICTIM), 3, "HTTP {code}: one attempt and two retries");
    }
    let server = serve(|_| true, Misbehave::Status(500, String::new()));
    let (out, _) = eval(&server.url, &[]);
    assert_nothing_fetched(&out, "(HTTP 500)");
}

#[test]
fn client_errors_are_not_retried() {
    let prom_error = r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
    for (code, why) in [
        (400, "rejected the query"),
        (422, "bad_data: parse error"),
        (404, "has no query API"),
        (401, "refused access (HTTP 401)"),
        (403, "refused access (HTTP 403)"),
    ] {
        let server = serve(victim, Misbehave::Status(code, prom_error.into()));
        let (out, _) = eval(&server.url, &[]);
        assert_victim_unknown(&out, why);
        assert_eq!(server.count(VICTIM), 1, "HTTP {code} is not retried");
    }
}

#[test]
fn truncated_and_invalid_json_make_the_kpi_unknown() {
    let truncated = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"#;
    for (bad, why) in [
        (Misbehave::Body(truncated.into()), "not valid JSON"),
        (Misbehave::Body("<html>502 bad gateway</html>".into()), "not valid JSON"),
        (Misbehave::Body(String::new()), "not valid JSON"),
        (Misbehave::Body("[1,2,3]".into()), "no `status` field"),
        (Misbehave::Body(r#"{"status":"success"}"#.into()), "no `data` field"),
        (
            Misbehave::Body(r#"{"status":"success","data":{"resultType":"matrix","result":{}}}"#.into()),
            "`data.result` is not a list",
        ),
        (Misbehave::CutShort(truncated.into()), "dropped the connection"),
        (Misbehave::Garbage, "did not answer in HTTP"),
    ] {
        let server = serve(victim, bad);
        let (out, took) = eval(&server.url, &["--timeout", "2s"]);
        assert_victim_unknown(&out, why);
        assert!(took < HANG, "took {took:?}");
    }
    let server = serve(|_| true, Misbehave::Body("{\"status\":".into()));
    let (out, _) = eval(&server.url, &[]);
    assert_nothing_fetched(&out, "malformed answer");
}

#[test]
fn nan_infinite_and_string_values_are_never_a_pass() {
    for (values, why) in [
        (vec![r#""NaN""#], "NaN"),
        (vec![r#""+Inf""#], "Inf"),
        (vec![r#""100""#, r#""-Inf""#], "Inf"),
        (vec![r#""fast""#], "is not [time, \"value\"]"),
        (vec!["5"], "is not [time, \"value\"]"),
        (vec!["null"], "is not [time, \"value\"]"),
        (vec![r#""1e999""#], "Inf"),
    ] {
        let server = serve(victim, Misbehave::Values(values.iter().map(|v| v.to_string()).collect()));
        let (out, _) = eval(&server.url, &[]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        assert_ne!(report["outcome"], "pass");
        assert_eq!(out.status.code(), Some(1), "{values:?}: {}", stderr(&out));
        let latency = criteria(&report).into_iter().find(|(text, _, _)| text.contains("latency_p95")).unwrap();
        assert_eq!(latency.1, "unknown", "{values:?}: {latency:?}");
        assert!(latency.2.contains(why), "{values:?}: the reason {:?} should say {why:?}", latency.2);
    }
}

#[test]
fn a_series_with_millions_of_samples_is_refused_by_default() {
    // 3 million samples (about 60 MB) are under the default byte limit
    // (256 MiB) but over the default of 1,000,000 samples per series.
    let server = serve(victim, Misbehave::Huge(3_000_000));
    let (out, took) = eval(&server.url, &[]);
    assert_victim_unknown(&out, "3000000 samples of `fraud_scoring_latency_p95`, more than the limit of 1000000");
    assert!(took < HANG, "took {took:?}");
}

#[test]
fn the_sample_and_byte_limits_can_be_lowered_and_raised() {
    let server = serve(victim, Misbehave::Huge(5_000));
    let (out, _) = eval(&server.url, &["--max-samples", "1000"]);
    assert_victim_unknown(&out, "5000 samples of `fraud_scoring_latency_p95`, more than the limit of 1000 samples");
    assert!(assert_victim_unknown(&out, "--max-samples").is_object());
    let (out, _) = eval(&server.url, &["--max-samples", "10000"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let latency = criteria(&report).into_iter().find(|(text, _, _)| text.contains("latency_p95")).unwrap();
    assert!(!latency.2.contains("limit"), "{latency:?}");

    // An endless series: reading stops at the byte limit.
    let server = serve(victim, Misbehave::Huge(50_000_000));
    let (out, took) = eval(&server.url, &["--max-metrics-bytes", "2MiB"]);
    assert_victim_unknown(&out, "more than 2097152 bytes in all");
    assert!(took < HANG, "took {took:?}");

    let (out, _) = eval(&server.url, &["--max-metrics-bytes", "lots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a size"), "{}", stderr(&out));
}

/// `compel eval acme --metrics FILE... --ready all EXTRA` in a scratch copy of the example.
fn eval_files(dir: &std::path::Path, files: &[&str], extra: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compel"));
    cmd.args(["eval", "acme", "--now", NOW, "--format", "json", "--ready", "all"])
        .current_dir(dir)
        .env("NO_COLOR", "1");
    for f in files {
        cmd.args(["--metrics", f]);
    }
    cmd.args(extra).stdin(Stdio::null()).output().unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("acme")).unwrap();
    for f in ["acme.compel", "people.compel"] {
        std::fs::copy(format!("{EXAMPLES}/acme/{f}"), dir.join("acme").join(f)).unwrap();
    }
    std::fs::copy(format!("{EXAMPLES}/acme/metrics/all-green.json"), dir.join("green.json")).unwrap();
    dir
}

#[test]
fn metric_files_are_bounded_too() {
    let dir = scratch("files");
    // All files together count against --max-metrics-bytes.
    let size = std::fs::metadata(dir.join("green.json")).unwrap().len();
    let out = eval_files(&dir, &["green.json"], &["--max-metrics-bytes", &size.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = eval_files(&dir, &["green.json", "green.json"], &["--max-metrics-bytes", &size.to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("more than {size} bytes in all (at `green.json`)")), "{}", stderr(&out));
    assert!(out.stdout.is_empty());

    // compel.toml raises or lowers the limits too; flags win.
    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_metrics_bytes = 100\n").unwrap();
    let out = eval_files(&dir, &["green.json"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("more than 100 bytes in all"), "{}", stderr(&out));
    let out = eval_files(&dir, &["green.json"], &["--max-metrics-bytes", "1MB"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A series over --max-samples makes its KPIs unknown, with the reason.
    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_samples = 3\n").unwrap();
    let out = eval_files(&dir, &["green.json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "unknown");
    let accuracy = criteria(&report).into_iter().find(|(text, _, _)| text == "require accuracy").unwrap();
    assert_eq!(accuracy.1, "unknown");
    assert!(accuracy.2.contains("more than the limit of 3 per series"), "{accuracy:?}");

    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_sample = 3\n").unwrap();
    let out = eval_files(&dir, &["green.json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `max_samples`"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sample_from_the_far_past_is_stale_not_fresh() {
    // A time of -1e300 s floors to i64::MIN; `now - time` once overflowed
    // (a panic in debug builds, a "fresh" sample in release builds). Found
    // by the `eval` fuzz target.
    for time in ["-1e300", "-9223372036854775808"] {
        let body = format!(
            r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{VICTIM}"}},"values":[[{time},"100"]]}}]}}}}"#
        );
        let server = serve(victim, Misbehave::Body(body));
        let (out, _) = eval(&server.url, &[]);
        assert_victim_unknown(&out, "");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let kpi =
            report["initiatives"][0]["kpis"].as_array().unwrap().iter().find(|k| k["name"] == "latency_p95").unwrap();
        assert_eq!(kpi["status"], "unknown", "{kpi:#}");
        assert!(kpi["reason"].as_str().unwrap().starts_with("stale"), "{kpi:#}");
    }
}

/// The gaps between the three attempts of a retried query: at least
/// 0.25 s, then at least 0.5 s (the backoff doubles). A loaded machine only
/// makes a gap longer, so the upper bounds are ten times the backoff: they
/// only catch a backoff of the wrong order (seconds, not fractions).
fn assert_backoff(server: &Server, what: &str) {
    let gaps = server.gaps(VICTIM);
    assert_eq!(gaps.len(), 2, "{what}: three attempts, so two gaps: {gaps:?}");
    assert!(gaps[0] >= Duration::from_millis(200), "{what}: first backoff {:?} (0.25 s)", gaps[0]);
    assert!(gaps[0] < Duration::from_millis(2500), "{what}: first backoff {:?} (0.25 s)", gaps[0]);
    assert!(gaps[1] >= Duration::from_millis(400), "{what}: second backoff {:?} (0.5 s)", gaps[1]);
    assert!(gaps[1] < Duration::from_millis(5000), "{what}: second backoff {:?} (0.5 s)", gaps[1]);
}

#[test]
fn retries_back_off_a_quarter_then_half_a_second() {
    let server = serve(victim, Misbehave::Status(503, "overloaded".into()));
    let (out, _) = eval(&server.url, &[]);
    assert_victim_unknown(&out, "(HTTP 503): overloaded (after 3 attempts)");
    assert_backoff(&server, "HTTP 503");

    // A connection dropped before the whole answer came is transient too:
    // retried the same way.
    let truncated = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"#;
    let server = serve(victim, Misbehave::CutShort(truncated.into()));
    let (out, _) = eval(&server.url, &[]);
    assert_victim_unknown(&out, "dropped the connection");
    assert_victim_unknown(&out, "(after 3 attempts)");
    assert_eq!(server.count(VICTIM), 3);
    assert_backoff(&server, "cut short");
}

#[test]
fn the_timeout_in_compel_toml_bounds_a_silent_server() {
    // No flag: `timeout = "500ms"` in compel.toml. Three attempts of 0.5 s
    // and 0.75 s of backoff, where the default (10 s) would take 30 s.
    let dir = scratch("toml-timeout");
    std::fs::write(dir.join("compel.toml"), "timeout = \"500ms\"\n").unwrap();
    let server = serve(victim, Misbehave::Silent);
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["eval", "acme", "--prometheus", &server.url, "--now", NOW, "--format", "json", "--ready", "all"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_victim_unknown(&out, "did not answer within 0.5s (after 3 attempts)");
    assert_eq!(server.count(VICTIM), 3);
    assert!(took >= Duration::from_millis(3 * 500 + 750 - 100), "took {took:?}: the attempts were cut short");
    // The reason names compel.toml's 0.5 s (the default is 10 s) and three
    // attempts: no clock bound is needed to tell the two apart.
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn native_histograms_and_partial_results_make_the_kpi_unknown_in_the_servers_words() {
    // Float samples, then native-histogram samples of the same series: the
    // float samples alone would pass.
    let mixed = format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{VICTIM}"}},
            "values":[[1795474800,"120"]],
            "histograms":[[1795478400,{{"count":"4","sum":"0.8","buckets":[[0,"0.1","0.25","4"]]}}]]}}]}}}}"#
    );
    let server = serve(victim, Misbehave::Body(mixed));
    let (out, _) = eval(&server.url, &[]);
    assert_victim_unknown(
        &out,
        &format!(
            "answered `{VICTIM}[691201s]` with a native histogram sample of `{VICTIM}`, which compel cannot \
             compare with a threshold"
        ),
    );
    assert_eq!(server.count(VICTIM), 1, "not retried: the server answered");

    // A partial result: Prometheus answers `success` with good-looking data
    // and warnings; compel does not decide on it.
    let partial = format!(
        r#"{{"status":"success","warnings":["remote_read: store eu-1 timed out"],
            "data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{VICTIM}"}},"values":[[1795478400,"120"]]}}]}}}}"#
    );
    let server = serve(victim, Misbehave::Body(partial));
    let (out, _) = eval(&server.url, &[]);
    assert_victim_unknown(
        &out,
        "with a warning (the result may be partial, so compel does not decide on it): remote_read: store eu-1 timed out",
    );
}
