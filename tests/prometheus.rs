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
//! Then the same for the scenarios where reading Prometheus used to
//! decide differently from a file
//! ([`four_scenarios_decide_alike_from_prometheus_and_from_a_file`]): a
//! stale sample under a `query` KPI, a spike between steps, a covering
//! sample older than the `for` window, and a `query` KPI beside a plain KPI
//! on one metric. And a `by [label]` family discovering the same members
//! (the label values seen within its read-back range) and a derived KPI
//! deciding alike from both sources.
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
    start_with(dir, &series)
}

/// Backfills `series` into a fresh TSDB under `dir` and starts a server on
/// it.
fn start_with(dir: &Path, series: &[Series]) -> Server {
    let series = series.to_vec();
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
    eval_in(Path::new(EXAMPLES), args)
}

fn eval_in(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(dir)
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

/// The scenarios' policy: one initiative per scenario, every gate asked.
const SCENARIOS: &str = r#"
// 1. A stale sample under a query KPI. The last sample is 10 minutes old:
//    the subquery repeats it for five more minutes (Prometheus' lookback),
//    but compel dates each point five minutes before its step, so it is
//    stale under `max_age 6m` as in the file. A sample 4 minutes old is
//    fresh in both.
kpi stale_worst {
  metric     "s1_acc"
  query      "min(s1_acc)"
  resolution 1m
  max_age    6m
  target     >= 0.9
}
kpi fresh_worst {
  metric     "s1_fresh_acc"
  query      "min(s1_fresh_acc)"
  resolution 1m
  max_age    6m
  target     >= 0.9
}
initiative stale_query {
  owner "o"
  stage model
  kpis  [stale_worst, fresh_worst]
  gate model -> produce {
    require stale_worst
    require fresh_worst
  }
}

// 2. A spike between steps: a 250ms-past-the-second sample between two
//    whole minutes. Raw samples keep it.
kpi latency {
  metric  "s2_latency"
  unit    s
  target  <= 0.5s
  max_age 5m
}
initiative spike {
  owner "o"
  stage model
  kpis  [latency]
  gate model -> produce {
    require latency for 1h
    require max(latency, 1h) <= 0.5s
    require count(latency, 1h) == 62
  }
}

// 3. A covering sample older than the window: samples at now-10d, now-1d
//    and now; `for 7d` reads the one in effect at now-7d.
kpi held {
  metric  "s3_acc"
  target  >= 0.9
  max_age 10d
}
kpi broke_before {
  metric  "s3_broken_acc"
  target  >= 0.9
  max_age 10d
}
initiative covering {
  owner "o"
  stage model
  kpis  [held, broke_before]
  gate model -> produce {
    require held for 7d
    require broke_before for 7d
  }
}

// 4. A query KPI and a plain KPI on one metric, one label set. The plain
//    KPI's sample is 4 minutes old, stale under `max_age 2m`; the query's
//    points never merge into its series, so it stays stale.
kpi raw_a {
  metric  "s4_acc"
  labels  { model "a" }
  target  >= 0.9
  max_age 2m
}
kpi best_a {
  metric     "s4_acc"
  labels     { model "a" }
  query      "max by (model) (s4_acc)"
  resolution 1m
  max_age    10m
  target     >= 0.9
}
initiative one_metric {
  owner "o"
  stage model
  kpis  [raw_a, best_a]
  gate model -> produce {
    require raw_a
    require best_a
  }
}
"#;

/// The scenarios' samples, around [`NOW`].
fn scenario_series() -> Vec<Series> {
    use compel::eval::metrics::{Labels, Sample, NANOS};
    let now = parse_rfc3339(NOW).unwrap();
    let min = 60 * NANOS;
    let day = 86_400 * NANOS;
    let series = |metric: &str, labels: &[(&str, &str)], samples: Vec<(i64, f64)>| {
        let labels: Labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Series::with_samples(metric, labels, samples.into_iter().map(|(time, value)| Sample { time, value }).collect())
    };
    // 2. One sample a minute over the last hour (and one before it), and a
    // spike 20.25 s after a whole minute.
    let mut latency: Vec<(i64, f64)> = (0..=60).map(|i| (now - i * min, 0.1)).collect();
    latency.push((now - 30 * min + 20 * NANOS + 250_000_000, 0.9));
    vec![
        series("s1_acc", &[], vec![(now - 60 * min, 0.95), (now - 30 * min, 0.95), (now - 10 * min, 0.95)]),
        series("s1_fresh_acc", &[], vec![(now - 30 * min, 0.95), (now - 4 * min, 0.95)]),
        series("s2_latency", &[], latency),
        series("s3_acc", &[], vec![(now - 10 * day, 0.95), (now - day, 0.95), (now, 0.95)]),
        series("s3_broken_acc", &[], vec![(now - 10 * day, 0.5), (now - day, 0.95), (now, 0.95)]),
        series("s4_acc", &[("model", "a")], vec![(now - 30 * min, 0.95), (now - 4 * min, 0.95)]),
        series("s4_acc", &[("model", "b")], vec![(now - 30 * min, 0.97), (now - 4 * min, 0.97)]),
    ]
}

/// The series as a compel JSON metrics file.
fn to_json(series: &[Series]) -> String {
    let items: Vec<Value> = series
        .iter()
        .map(|s| {
            let samples: Vec<Value> = s
                .samples
                .iter()
                .map(|x| serde_json::json!([compel::eval::metrics::format_rfc3339(x.time), x.value]))
                .collect();
            serde_json::json!({"metric": s.metric, "labels": s.labels, "samples": samples})
        })
        .collect();
    serde_json::json!({ "series": items }).to_string()
}

/// [`decisions`], where what names a `query` KPI's series is compared by
/// outcome alone: from Prometheus it names the query and its points' times
/// (its step minus the lookback), from a file the metric and its samples.
fn decisions_alike(r: &Value, query_kpis: &[&str]) -> Vec<String> {
    let mut out = vec![format!("outcome {}", r["outcome"])];
    let about_query = |text: &str| query_kpis.iter().any(|k| text.contains(k));
    for k in r["kpis"].as_array().unwrap() {
        let name = k["name"].as_str().unwrap();
        if about_query(name) {
            out.push(format!("kpi {} {} {}", k["name"], k["status"], k["value"]));
        } else {
            out.push(format!("kpi {} {} {} {}", k["name"], k["status"], k["value"], k["reason"]));
        }
    }
    for i in r["initiatives"].as_array().unwrap() {
        for g in i["gates"].as_array().unwrap() {
            out.push(format!("gate {} {} -> {} {}", i["name"], g["from"], g["to"], g["outcome"]));
            for c in g["criteria"].as_array().unwrap() {
                let text = c["text"].as_str().unwrap();
                if about_query(text) {
                    out.push(format!("  {} {}", c["text"], c["outcome"]));
                } else {
                    out.push(format!("  {} {} {}", c["text"], c["outcome"], c["reason"]));
                }
            }
        }
    }
    out
}

#[test]
fn four_scenarios_decide_alike_from_prometheus_and_from_a_file() {
    if !prometheus_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("compel-prometheus-{}-scenarios", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::write(dir.join("policy/scenarios.compel"), SCENARIOS).unwrap();
    let series = scenario_series();
    let metrics = dir.join("scenarios.json");
    std::fs::write(&metrics, to_json(&series)).unwrap();
    let server = start_with(&dir, &series);

    let base = ["eval", "policy/", "--now", NOW, "--format", "json", "--ready", "all"];
    let (live_code, live) = eval_in(&dir, &[&base[..], &["--prometheus", &server.url]].concat());
    let (file_code, from_file) = eval_in(&dir, &[&base[..], &["--metrics", "scenarios.json"]].concat());

    let kpi = |r: &Value, name: &str| {
        r["kpis"].as_array().unwrap().iter().find(|k| k["name"] == name).cloned().unwrap_or(Value::Null)
    };
    let criterion = |r: &Value, initiative: &str, i: usize| {
        let init = r["initiatives"].as_array().unwrap().iter().find(|x| x["name"] == initiative).cloned().unwrap();
        init["gates"][0]["criteria"][i].clone()
    };
    for (source, r) in [("prometheus", &live), ("file", &from_file)] {
        // 1. Stale from both sources, not stamped fresh by the lookback.
        assert_eq!(kpi(r, "stale_worst")["status"], "unknown", "{source}: {r:#}");
        let reason = kpi(r, "stale_worst")["reason"].as_str().unwrap_or("").to_string();
        assert!(reason.contains("is at 2026-11-23T23:50:00Z, older than max_age 6m"), "{source}: {reason}");
        assert_eq!(kpi(r, "fresh_worst")["status"], "met", "{source}: {r:#}");
        // 2. The spike between two whole minutes breaks both criteria.
        let spike = "0.9s at 2026-11-23T23:30:20.25Z breaks `<= 0.5s` inside the 1h window";
        assert_eq!(criterion(r, "spike", 0)["outcome"], "fail", "{source}: {r:#}");
        assert!(criterion(r, "spike", 0)["reason"].as_str().unwrap().contains(spike), "{source}: {r:#}");
        assert_eq!(criterion(r, "spike", 1)["outcome"], "fail", "{source}: {r:#}");
        assert_eq!(criterion(r, "spike", 2)["outcome"], "pass", "{source}: every raw sample: {r:#}");
        // 3. The sample at now-10d covers the window's start.
        assert_eq!(criterion(r, "covering", 0)["outcome"], "pass", "{source}: {r:#}");
        assert_eq!(criterion(r, "covering", 1)["outcome"], "fail", "{source}: {r:#}");
        let reason = criterion(r, "covering", 1)["reason"].as_str().unwrap().to_string();
        assert!(reason.contains("in effect from 2026-11-14T00:00:00Z"), "{source}: {reason}");
        // 4. The plain KPI reads its own raw samples: stale; the query KPI
        // beside it is met.
        assert_eq!(kpi(r, "raw_a")["status"], "unknown", "{source}: {r:#}");
        assert!(kpi(r, "raw_a")["reason"].as_str().unwrap().starts_with("stale:"), "{source}: {r:#}");
        assert_eq!(kpi(r, "best_a")["status"], "met", "{source}: {r:#}");
    }
    assert_eq!(live_code, file_code, "the same exit code");
    let query_kpis = ["stale_worst", "fresh_worst", "best_a"];
    assert_eq!(
        decisions_alike(&live, &query_kpis),
        decisions_alike(&from_file, &query_kpis),
        "the same decisions, criterion by criterion"
    );

    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A family that finds its members in the data (`by [sex]`), and a derived
/// KPI read through its inputs.
const DISCOVERY: &str = r#"
kpi auc_by_sex {
  metric "fam_auc"
  labels { model "credit" }
  by     [sex]
  target >= 0.8
}
kpi auc_all {
  metric  "fam_auc_all"
  target  >= 0.7
  max_age 2d
}
kpi precision {
  metric "fam_precision"
  target >= 0.5
}
kpi utility {
  value  0.5 * auc_all + 0.5 * precision
  target >= 0.6
}
initiative credit {
  owner "o"
  stage model
  kpis  [auc_by_sex, utility]
  gate model -> produce {
    require auc_by_sex
    require utility
    expect  avg(utility, 2d) >= 0.6
  }
}
"#;

/// `female` fresh, `male` inside the family's read-back range (twice its
/// default 1d max_age) but stale, `other` only before that range; a model
/// outside the family's `labels`. The derived KPI's inputs a day apart.
fn discovery_series() -> Vec<Series> {
    use compel::eval::metrics::{Labels, Sample, NANOS};
    let now = parse_rfc3339(NOW).unwrap();
    let hour = 3_600 * NANOS;
    let series = |metric: &str, labels: &[(&str, &str)], samples: Vec<(i64, f64)>| {
        let labels: Labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Series::with_samples(metric, labels, samples.into_iter().map(|(time, value)| Sample { time, value }).collect())
    };
    vec![
        series("fam_auc", &[("model", "credit"), ("sex", "female")], vec![(now - 30 * hour, 0.85), (now - hour, 0.84)]),
        series("fam_auc", &[("model", "credit"), ("sex", "male")], vec![(now - 36 * hour, 0.83)]),
        series("fam_auc", &[("model", "credit"), ("sex", "other")], vec![(now - 120 * hour, 0.9)]),
        series("fam_auc", &[("model", "legacy"), ("sex", "x")], vec![(now - hour, 0.5)]),
        series("fam_auc_all", &[], vec![(now - 40 * hour, 0.8), (now - 20 * hour, 0.78)]),
        series("fam_precision", &[], vec![(now - 44 * hour, 0.6), (now - 2 * hour, 0.55)]),
    ]
}

#[test]
fn a_discovered_family_and_a_derived_kpi_decide_alike_from_prometheus_and_from_a_file() {
    if !prometheus_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("compel-prometheus-{}-discovery", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::write(dir.join("policy/discovery.compel"), DISCOVERY).unwrap();
    let series = discovery_series();
    std::fs::write(dir.join("discovery.json"), to_json(&series)).unwrap();
    let server = start_with(&dir, &series);

    let base = ["eval", "policy/", "--now", NOW, "--format", "json", "--ready", "all"];
    let (live_code, live) = eval_in(&dir, &[&base[..], &["--prometheus", &server.url]].concat());
    let (file_code, from_file) = eval_in(&dir, &[&base[..], &["--metrics", "discovery.json"]].concat());
    let kpi = |r: &Value, name: &str| {
        r["kpis"].as_array().unwrap().iter().find(|k| k["name"] == name).cloned().unwrap_or(Value::Null)
    };
    for (source, r) in [("prometheus", &live), ("file", &from_file)] {
        // The members are the values seen within the read-back range.
        let members: Vec<String> = kpi(r, "auc_by_sex")["members"]
            .as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .map(|m| format!("{} {} {}", m["labels"], m["status"].as_str().unwrap_or(""), m["value"]))
            .collect();
        assert_eq!(members, [r#"{"sex":"female"} met 0.84"#, r#"{"sex":"male"} unknown null"#], "{source}: {r:#}");
        assert_eq!(kpi(r, "auc_by_sex")["status"], "unknown", "{source}");
        // The derived KPI: its inputs' latest values, the older's time.
        let utility = kpi(r, "utility");
        assert_eq!(utility["status"], "met", "{source}: {utility:#}");
        assert_eq!(utility["value"], 0.665, "{source}: {utility:#}");
        assert_eq!(utility["time"], "2026-11-23T04:00:00Z", "{source}: {utility:#}");
    }
    assert_eq!(live_code, file_code, "the same exit code");
    assert_eq!(decisions(&live), decisions(&from_file), "the same decisions, criterion by criterion");

    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
