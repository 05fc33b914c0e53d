//! Shared by the `compel serve` tests: the running binary, plain HTTP GETs,
//! an exposition parser, series of the acme example shifted to the clock.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compel::eval::metrics::{format_rfc3339, NANOS};

pub const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples");

/// Only a hang outlasts this; no test asserts a time.
pub const HANG: Duration = Duration::from_secs(180);

/// A running `compel serve`.
pub struct Served {
    pub child: Child,
    pub addr: String,
    pub stderr: Arc<Mutex<String>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `compel serve ARGS --listen 127.0.0.1:0` and waits for its
    /// address.
    pub fn start(args: &[&str]) -> Served {
        Served::start_on(args, "127.0.0.1:0")
    }

    /// Starts `compel serve ARGS --listen LISTEN`.
    pub fn start_on(args: &[&str], listen: &str) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_compel"))
            .arg("serve")
            .args(args)
            .args(["--listen", listen])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("compel serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
                log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let addr = rx.recv_timeout(HANG).unwrap_or_else(|_| panic!("no address: {}", stderr.lock().unwrap()));
        Served { child, addr, stderr }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        get(&self.addr, path, None)
    }

    /// Waits until `f` holds of `GET path`'s answer; returns the body.
    pub fn wait_for(&self, path: &str, f: impl Fn(u16, &str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(path);
            if f(status, &body) {
                return body;
            }
            assert!(started.elapsed() < HANG, "gave up waiting on {path}: {status} {body}\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for one more evaluation than now, and returns the exposition.
    pub fn next_metrics(&self) -> String {
        let before = self.evaluations();
        self.wait_for("/metrics", |s, b| s == 200 && evaluations(b) > before)
    }

    pub fn evaluations(&self) -> u64 {
        evaluations(&self.get("/metrics").1)
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends a signal with `kill`.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill").args([format!("-{name}"), self.child.id().to_string()]).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{name}");
    }
}

pub fn evaluations(exposition: &str) -> u64 {
    samples(exposition).iter().find(|(n, _, _)| n == "compel_evaluations_total").map_or(0, |(_, _, v)| *v as u64)
}

/// `GET path` with an optional `Accept`: the status and the body.
pub fn get(addr: &str, path: &str, accept: Option<&str>) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(addr) else { return (0, String::new()) };
    s.set_read_timeout(Some(HANG)).unwrap();
    let accept = accept.map(|a| format!("Accept: {a}\r\n")).unwrap_or_default();
    let _ = write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

/// The samples of an exposition: name, labels, value.
pub fn samples(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (name, rest) = match line.find('{') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => {
                let (n, v) = line.split_once(' ').expect("name value");
                out.push((n.to_string(), BTreeMap::new(), v.parse().expect("value")));
                continue;
            }
        };
        let mut labels = BTreeMap::new();
        let mut chars = rest.chars().peekable();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            assert_eq!(chars.next(), Some('"'), "{line}");
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some(c) => value.push(c),
                        None => panic!("{line}"),
                    },
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels.insert(key, value);
            match chars.next() {
                Some(',') => continue,
                Some('}') => break,
                other => panic!("{line}: {other:?}"),
            }
        }
        let value: String = chars.collect();
        out.push((name.to_string(), labels, value.trim().parse().expect("value")));
    }
    out
}

/// The one state of each one-hot family member: labels without the state
/// label to (the state that is 1, how many are 1).
pub fn one_hot(text: &str, family: &str, state: &str) -> BTreeMap<Vec<(String, String)>, (String, f64)> {
    let mut out: BTreeMap<Vec<(String, String)>, (String, f64)> = BTreeMap::new();
    for (name, labels, value) in samples(text).into_iter().filter(|(n, _, _)| n == family) {
        let key: Vec<(String, String)> =
            labels.iter().filter(|(k, _)| *k != state).map(|(k, v)| (k.clone(), v.clone())).collect();
        let entry = out.entry(key).or_insert((String::new(), 0.0));
        entry.1 += value;
        if value == 1.0 {
            entry.0 = labels[state].clone();
        }
        let _ = name;
    }
    out
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The clock, in Unix nanoseconds, to the second.
pub fn clock() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    d.as_secs() as i64 * NANOS
}

/// A copy of the acme example in `dir` (policy files only).
pub fn acme_in(dir: &Path) -> PathBuf {
    let policy = dir.join("acme");
    std::fs::create_dir_all(&policy).unwrap();
    for f in ["acme.compel", "people.compel"] {
        std::fs::copy(format!("{EXAMPLES}/acme/{f}"), policy.join(f)).unwrap();
    }
    policy
}

/// The series of an acme metrics file, shifted so that the example's `now`
/// (2026-11-24T00:00:00Z) is `now`. The latest samples are then a day
/// old: serve them with `--max-age 25h` so that they stay fresh while the
/// clock moves on.
pub fn shifted_series(file: &str, now: i64) -> Vec<compel::eval::metrics::Series> {
    let path = format!("{EXAMPLES}/acme/metrics/{file}");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut series = compel::eval::sources::read_metrics(&path, &text, None).unwrap();
    let shift = now - compel::eval::metrics::parse_rfc3339("2026-11-24T00:00:00Z").unwrap();
    for s in &mut series {
        for x in &mut s.samples {
            x.time += shift;
        }
    }
    series
}

/// `series` as a JSON metrics file.
pub fn write_series_json(path: &Path, series: &[compel::eval::metrics::Series]) {
    let series: Vec<serde_json::Value> = series
        .iter()
        .map(|s| {
            let samples: Vec<serde_json::Value> =
                s.samples.iter().map(|x| serde_json::json!([format_rfc3339(x.time), x.value])).collect();
            serde_json::json!({"metric": s.metric, "labels": s.labels, "samples": samples})
        })
        .collect();
    std::fs::write(path, serde_json::json!({ "series": series }).to_string()).unwrap();
}

#[path = "../../src/prometheus/tests/form.rs"]
mod form;
#[allow(unused_imports)] // not every test binary that includes this module reads forms
pub use form::form_decode;
