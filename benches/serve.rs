//! `cargo bench --bench serve` (run by `bench/run.sh`): continuous
//! governance at scale.
//!
//! - `compel compile --target prometheus` of the N-initiative workload
//!   (default 10,000; target under 1 s), median of the repetitions;
//! - one `compel serve` cycle against a live Prometheus for SMALL_N
//!   initiatives (default 1,000): the workload's series backfilled at the
//!   current time, the queries the cycle sent (serve's own count and
//!   Prometheus' `prometheus_http_requests_total` for `/api/v1/query`),
//!   and the cycle's duration;
//! - resident memory of `compel serve --metrics` on SMALL_N initiatives
//!   after 10, 100, 500 and 1,000 cycles (`VmRSS` from `/proc`): flat when
//!   nothing accumulates.
//!
//! Environment: `COMPEL_BENCH_N`, `COMPEL_BENCH_SMALL_N`,
//! `COMPEL_BENCH_REPS` (5), `COMPEL_BENCH_CACHE` (default `bench/.cache`),
//! `COMPEL_BENCH_PROMETHEUS=0` skips the Prometheus row. Prints a Markdown
//! table (also written to `bench/.cache/serve.md`).

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

mod workload;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const COMPEL: &str = env!("CARGO_BIN_EXE_compel");

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(url: &str) -> Result<String, String> {
    ureq::get(url)
        .timeout(Duration::from_secs(30))
        .call()
        .map_err(|e| e.to_string())?
        .into_string()
        .map_err(|e| e.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(19_464, |a| a.port())
}

/// The value of the first sample of `name` (with `labels` in its line).
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']) && l.contains(labels))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Starts `compel serve ARGS` on a free port; returns it and its address.
fn serve(args: &[&str]) -> (Killed, String) {
    let mut child = Command::new(COMPEL)
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("compel serve");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (Killed(child), addr)
}

fn wait_metrics(addr: &str, f: impl Fn(&str) -> bool) -> String {
    loop {
        if let Ok(text) = http_get(&format!("http://{addr}/metrics")) {
            if f(&text) {
                return text;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn compile_row(dir: &Path, n: usize, reps: usize) -> [String; 3] {
    let policy = dir.join(format!("policy-{n}.compel"));
    std::fs::write(&policy, workload::policy(n)).unwrap();
    std::fs::write(dir.join("compel.toml"), workload::COMPEL_TOML).unwrap();
    let out = dir.join(format!("rules-{n}.yml"));
    let mut times = Vec::new();
    let mut rules = String::new();
    for _ in 0..reps {
        let t = Instant::now();
        let o = Command::new(COMPEL)
            .args(["compile", policy.to_str().unwrap(), "--target", "prometheus", "-o", out.to_str().unwrap()])
            .output()
            .unwrap();
        times.push(t.elapsed().as_secs_f64());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        rules = String::from_utf8_lossy(&o.stderr).lines().find(|l| l.starts_with("wrote")).unwrap_or("").to_string();
    }
    let t = median(times);
    [
        format!("compel compile --target prometheus (N={n})"),
        format!("{:.0} ms", t * 1000.0),
        format!("{rules}; target < 1 s: {}", if t < 1.0 { "met" } else { "missed" }),
    ]
}

/// The workload's OpenMetrics samples moved so that its `NOW` is the clock.
fn shifted_openmetrics(n: usize, now_secs: i64) -> String {
    let shift = now_secs - workload::NOW_SECS;
    workload::openmetrics(n)
        .lines()
        .map(|l| match l.rsplit_once(' ') {
            Some((head, t)) if !l.starts_with('#') => format!("{head} {}\n", t.parse::<i64>().unwrap() + shift),
            _ => format!("{l}\n"),
        })
        .collect()
}

fn prometheus_row(dir: &Path, n: usize) -> Result<[String; 3], String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let base = dir.join(format!("serve-prometheus-{n}"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let om = base.join("input.om");
    std::fs::write(&om, shifted_openmetrics(n, now)).unwrap();
    let data = base.join("data");
    let o = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .map_err(|e| format!("promtool: {e}"))?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    let config = base.join("prometheus.yml");
    std::fs::write(&config, "global: {}\n").unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg("--storage.tsdb.retention.time=100y")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("prometheus: {e}"))?;
    let _prom = Killed(child);
    while http_get(&format!("{url}/-/ready")).is_err() {
        std::thread::sleep(Duration::from_millis(200));
    }
    let policy = dir.join(format!("policy-{n}.compel"));
    std::fs::write(&policy, workload::policy(n)).unwrap();
    let requests = |url: &str| {
        let text = http_get(&format!("{url}/metrics")).unwrap_or_default();
        sample(&text, "prometheus_http_requests_total", "handler=\"/api/v1/query\"").unwrap_or(0.0)
    };
    let before = requests(&url);
    let (_serve, addr) = serve(&[policy.to_str().unwrap(), "--prometheus", &url, "--interval", "1h"]);
    let text = wait_metrics(&addr, |t| sample(t, "compel_evaluations_total", "").unwrap_or(0.0) >= 1.0);
    let sent = requests(&url) - before;
    let queries = sample(&text, "compel_source_queries", "").unwrap_or(0.0);
    let duration = sample(&text, "compel_last_evaluation_duration_seconds", "").unwrap_or(0.0);
    let met = text.lines().filter(|l| l.starts_with("compel_kpi_status{") && l.contains("status=\"met\"} 1")).count();
    Ok([
        format!("compel serve, one cycle against Prometheus (N={n}, {} KPIs)", 2 * n),
        format!("{:.0} ms", duration * 1000.0),
        format!("{queries} queries (Prometheus counted {sent}); {met} KPIs met"),
    ])
}

fn memory_rows(dir: &Path, n: usize) -> Vec<[String; 3]> {
    let policy = dir.join(format!("policy-{n}.compel"));
    std::fs::write(&policy, workload::policy(n)).unwrap();
    let metrics = dir.join(format!("metrics-{n}.json"));
    std::fs::write(&metrics, workload::metrics_json(n)).unwrap();
    let (serve, addr) = serve(&[policy.to_str().unwrap(), "--metrics", metrics.to_str().unwrap(), "--interval", "1ms"]);
    let pid = serve.0.id();
    let mut rows = Vec::new();
    let started = Instant::now();
    for cycles in [10.0, 100.0, 500.0, 1000.0] {
        wait_metrics(&addr, |t| sample(t, "compel_evaluations_total", "").unwrap_or(0.0) >= cycles);
        rows.push([
            format!("compel serve --metrics (N={n}): resident memory after {cycles} cycles"),
            format!("{:.1} MiB", rss_kib(pid) as f64 / 1024.0),
            format!("{:.1} s since start", started.elapsed().as_secs_f64()),
        ]);
    }
    rows
}

fn main() {
    let n = env_usize("COMPEL_BENCH_N", 10_000);
    let small_n = env_usize("COMPEL_BENCH_SMALL_N", 1_000);
    let reps = env_usize("COMPEL_BENCH_REPS", 5).max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cache = std::env::var_os("COMPEL_BENCH_CACHE").map_or_else(|| root.join("bench/.cache"), PathBuf::from);
    let dir = cache.join("serve");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = vec![compile_row(&dir, n, reps)];
    if std::env::var("COMPEL_BENCH_PROMETHEUS").as_deref() != Ok("0") {
        match prometheus_row(&dir, small_n) {
            Ok(row) => rows.push(row),
            Err(e) => eprintln!("serve bench: no Prometheus row: {e}"),
        }
    }
    rows.extend(memory_rows(&dir, small_n));
    let mut table = String::from("| what | figure | notes |\n|---|---|---|\n");
    for [a, b, c] in rows {
        table.push_str(&format!("| {a} | {b} | {c} |\n"));
    }
    print!("{table}");
    let _ = std::fs::write(cache.join("serve.md"), &table);
}
