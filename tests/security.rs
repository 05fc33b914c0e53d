//! Guarantees of `docs/security.md` that need the real binary in a scratch
//! project:
//!
//! - metric sources are chosen by whoever runs compel: a KPI whose `metric`
//!   is a URL or a path is only a series name (no connection, no file
//!   opened), `compel eval` ignores `metrics` in `test` blocks, and
//!   `compel test` refuses a `metrics` path outside the project;
//! - evaluation is bounded: nested quantifiers over long lists, or `let`s
//!   that double at each link, stop at the evaluation budget with `E0103`
//!   (check) or `unknown` (eval), in little memory.
//!
//! No test here asserts a tight wall-clock time: the step budget is what
//! bounds evaluation, and the tests assert the number of steps taken (the
//! reason names it). A run is only bounded by [`HANG`], far above what any
//! of them takes on a loaded machine, to catch a run that never ends.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

const NOW: &str = "2026-11-24T00:00:00Z";

/// Longer than any run here takes, by far: each takes well under 10 s in
/// a debug build on an idle machine, so this only catches one that hangs.
const HANG: Duration = Duration::from_secs(300);

fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-security-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("project")).unwrap();
    std::fs::write(dir.join("project/compel.toml"), "").unwrap();
    dir
}

/// Runs compel in `dir`; the output, how long it took and the peak resident
/// set in kB (Linux; 0 elsewhere), sampled while it runs.
fn compel(dir: &Path, args: &[&str]) -> (Output, Duration, u64) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id();
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
        std::thread::spawn(move || {
            while done.load(Ordering::SeqCst) == 0 {
                if let Some(kb) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .ok()
                    .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<usize>().ok()))
                {
                    peak.fetch_max(kb, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    done.store(1, Ordering::SeqCst);
    watcher.join().unwrap();
    (out, started.elapsed(), peak.load(Ordering::SeqCst) as u64)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A FIFO: opening it for reading blocks until a writer comes, and a writer
/// thread waiting on it learns whether anyone opened it.
fn fifo(path: &Path) -> Arc<AtomicUsize> {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success());
    let opened = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&opened);
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        // Blocks until a reader opens the FIFO (the test does at the end).
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
            flag.fetch_add(1, Ordering::SeqCst);
            let _ = std::io::Write::write_all(&mut f, b"{}");
        }
    });
    opened
}

/// Opens the FIFO once as a reader, so its writer thread ends; returns
/// whether the writer had been let through by someone else before.
fn release(path: &Path, opened: &AtomicUsize) -> bool {
    let before = opened.load(Ordering::SeqCst) > 0;
    if !before {
        let mut s = String::new();
        let _ = std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut s));
    }
    before
}

#[test]
fn metric_sources_are_chosen_by_whoever_runs_compel() {
    let dir = project("sources");
    let root = dir.join("project");
    // A listener that counts connections: a KPI names it as its `metric`.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/api/v1/query_range", listener.local_addr().unwrap());
    // A FIFO outside the project: another KPI names it, and a test block
    // asks for it as its metrics file.
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    let secret = dir.join("outside/secret.json");
    let opened = fifo(&secret);
    let secret = secret.to_string_lossy().into_owned();
    let policy = format!(
        r#"kpi accuracy {{
  metric  "model_accuracy"
  unit    percent
  target  >= 90%
  max_age 2d
}}

kpi leak {{
  metric "{url}"
  target >= 1
}}

kpi local {{
  metric "{secret}"
  target >= 1
}}

initiative i {{
  owner "o"
  stage model
  kpis  [accuracy, leak, local]
  gate model -> produce {{
    require accuracy
  }}
  gate produce -> evaluate {{
    require leak
    require local
  }}
}}

test "reads the password file" {{
  now     {NOW}
  metrics "/etc/passwd"
  expect gate i model -> produce == pass
}}

test "reads a file outside the project" {{
  now     {NOW}
  metrics "{secret}"
  expect gate i model -> produce == pass
}}
"#
    );
    std::fs::write(root.join("p.compel"), policy).unwrap();
    std::fs::write(
        root.join("good.json"),
        r#"{"series": [{"metric": "model_accuracy", "samples": [["2026-11-23T00:00:00Z", 95.0]]}]}"#,
    )
    .unwrap();

    // `compel eval` reads good.json and nothing else: the gate is decided
    // from it, the URL and the path are unknown series, the test blocks'
    // metrics are ignored.
    let (out, took, _) =
        compel(&root, &["eval", "p.compel", "--metrics", "good.json", "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "pass", "{report:#}");
    let kpis = report["kpis"].as_array().unwrap();
    let kpi = |name: &str| kpis.iter().find(|k| k["name"] == name).unwrap().clone();
    assert_eq!(kpi("accuracy")["status"], "met");
    assert_eq!(kpi("accuracy")["value"], 95.0);
    assert_eq!(kpi("leak")["status"], "unknown");
    assert_eq!(kpi("leak")["reason"], format!("no series `{url}`"));
    assert_eq!(kpi("local")["status"], "unknown");
    assert_eq!(kpi("local")["reason"], format!("no series `{secret}`"));
    assert!(took < HANG, "took {took:?}");

    // `compel test` refuses both metrics paths: they leave the project.
    let (out, _, _) = compel(&root, &["test", "p.compel"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("cannot read metrics `/etc/passwd`: it is outside the project"), "{stdout}");
    assert!(stdout.contains(&format!("cannot read metrics `{secret}`: it is outside the project")), "{stdout}");
    assert!(stdout.contains("0 passed, 2 failed (2 could not run)"), "{stdout}");

    // Nobody connected to the URL, nobody opened the FIFO.
    std::thread::sleep(Duration::from_millis(100));
    assert!(listener.accept().is_err(), "compel connected to a URL named in the policy");
    assert!(!release(Path::new(&secret), &opened), "compel opened a file named in the policy");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A list literal of `n` elements, each `item(i)`.
fn list(n: usize, item: impl Fn(usize) -> String) -> String {
    (0..n).map(item).collect::<Vec<_>>().join(", ")
}

/// An initiative and a policy (an obligation: it blocks `eval` whatever
/// is asked of gates) with `criteria`, which start on its line 7.
fn policy(criteria: &str) -> String {
    format!("initiative i {{\n  owner \"o\"\n  stage model\n}}\n\npolicy bounded for initiative {{\n{criteria}}}\n")
}

/// The one criterion of the one policy of an eval report.
fn policy_criterion(report: &Value) -> &Value {
    let policies = report["policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 1, "{report:#}");
    &policies[0]["criteria"][0]
}

/// Asserts `message` is the reason `compel check` and `compel eval` give
/// when the budget runs out: a limit of `base` steps plus its allowance per
/// declaration (`interp::step_limit`), for a model of at most `max_decls`
/// declarations (the stdlib's included).
fn assert_stopped(message: &Value, base: u64, max_decls: u64) {
    use compel::check::interp::{MAX_EVAL_STEPS, STEPS_PER_DECL};
    let message = message.as_str().unwrap_or_default();
    let steps: u64 = message
        .strip_prefix("evaluation stopped after ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not the budget's message: {message}"));
    let per_decl = STEPS_PER_DECL * (base / MAX_EVAL_STEPS);
    assert!(steps > base && steps <= base + per_decl * max_decls, "{steps} steps for base {base}: {message}");
    assert_eq!(
        message,
        format!(
            "evaluation stopped after {steps} steps, the limit for one run \
             (nested quantifiers over long lists, or `let`s that double at each link?)"
        )
    );
}

/// Checks `file` and expects one E0103 at `line` naming the check budget of
/// a model of at most `max_decls` declarations, quickly and in little memory.
fn check_stops(root: &Path, file: &str, line: u64, max_decls: u64) {
    let (out, took, peak_kb) = compel(root, &["check", file, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = report["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{file}: {diags:#?}");
    assert_eq!(diags[0]["code"], "E0103");
    assert_stopped(&diags[0]["message"], compel::check::interp::MAX_EVAL_STEPS, max_decls);
    assert_eq!(diags[0]["line"], line, "{file}");
    assert!(took < HANG, "{file}: check took {took:?}");
    assert!(peak_kb < 512 * 1024, "{file}: check used {peak_kb} kB");

    // `compel eval` evaluates anyway, with a budget of its own: it runs out
    // too, and the criterion is `unknown` with the reason (exit 1), never a
    // refusal to evaluate (exit 2).
    let (out, took, peak_kb) =
        compel(root, &["eval", file, "--metrics", "good.json", "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "unknown", "{file}");
    let criterion = policy_criterion(&report);
    assert_eq!(criterion["outcome"], "unknown", "{file}: {criterion:#}");
    assert_stopped(&criterion["reason"], compel::check::interp::MAX_EVAL_STEPS_EVAL, max_decls);
    assert!(took < HANG, "{file}: eval took {took:?}");
    assert!(peak_kb < 512 * 1024, "{file}: eval used {peak_kb} kB");
}

#[test]
fn evaluation_is_bounded() {
    let dir = project("bounded");
    let root = dir.join("project");
    std::fs::write(root.join("good.json"), r#"{"series": []}"#).unwrap();

    // Three quantifiers over 10,000 elements (the list limit): 10^12 steps.
    let numbers = list(10_000, |i| i.to_string());
    std::fs::write(
        root.join("cubed.compel"),
        format!(
            "let xs = [{numbers}]\n\n{}",
            policy("  require all(a in xs: all(b in xs: all(c in xs: a + b + c >= 0)))\n")
        ),
    )
    .unwrap();
    check_stops(&root, "cubed.compel", 9, 500);

    // Two over 3,000 datasets of one initiative: 9 million pairs.
    let datasets: String = (0..3_000).map(|i| format!("  dataset d{i} {{\n    versioned true\n  }}\n")).collect();
    std::fs::write(
        root.join("datasets.compel"),
        format!(
            "initiative i {{\n  owner \"o\"\n  stage model\n{datasets}}}\n\npolicy bounded for initiative {{\n  \
             require all(a in datasets: all(b in datasets: a.versioned and b.versioned))\n}}\n"
        ),
    )
    .unwrap();
    check_stops(&root, "datasets.compel", 3 * 3_000 + 7, 3_500);

    // `let`s that only eval can decide are computed where they are used:
    // each link doubles the work (2^60 steps without the budget).
    let mut lets = String::from("let a0 = today - today\n");
    for i in 1..=60 {
        lets.push_str(&format!("let a{i} = a{} + a{}\n", i - 1, i - 1));
    }
    std::fs::write(root.join("doubling.compel"), format!("{lets}\n{}", policy("  require a60 >= 0d\n"))).unwrap();
    let (out, took, _) = compel(&root, &["check", "doubling.compel", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = report["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_stopped(&diags[0]["message"], compel::check::interp::MAX_EVAL_STEPS, 500);
    assert!(took < HANG, "took {took:?}");
    let (out, took, _) =
        compel(&root, &["eval", "doubling.compel", "--metrics", "good.json", "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(policy_criterion(&report)["outcome"], "unknown", "{report:#}");
    assert_stopped(&policy_criterion(&report)["reason"], compel::check::interp::MAX_EVAL_STEPS_EVAL, 500);
    assert!(took < HANG, "eval took {took:?}");

    // A list only eval can compute: check decides nothing (no problem),
    // eval runs out and the criterion is unknown with the reason; it blocks.
    let todays = list(5_000, |_| "today".to_string());
    std::fs::write(
        root.join("late.compel"),
        format!("let days = [{todays}]\n\n{}", policy("  require all(a in days: all(b in days: a >= b - 1d))\n")),
    )
    .unwrap();
    let (out, _, _) = compel(&root, &["check", "late.compel"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let (out, took, peak_kb) = compel(
        &root,
        &["eval", "late.compel", "--metrics", "good.json", "--now", NOW, "--format", "json", "--ready", "all"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "unknown");
    let criterion = policy_criterion(&report);
    assert_eq!(criterion["outcome"], "unknown", "{criterion:#}");
    assert_stopped(&criterion["reason"], compel::check::interp::MAX_EVAL_STEPS_EVAL, 500);
    assert!(took < HANG, "eval took {took:?}");
    assert!(peak_kb < 512 * 1024, "eval used {peak_kb} kB");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The budget grows with the project: a large policy set whose work is
/// linear in its size never runs out. Here 24,000 declarations: 6,000
/// initiatives under the stdlib's policies and gate, their own gate, and a
/// policy that reads a 500-element list: over 20 million steps in all, more
/// than the base budget of 10 million.
#[test]
fn the_budget_grows_with_the_project() {
    let dir = project("linear");
    let root = dir.join("project");
    for part in 0..2 {
        let mut s = String::from("import \"std/policies\"\n\n");
        if part == 1 {
            s.push_str("import \"part0.compel\"\n\n");
        }
        if part == 0 {
            s.push_str("person sam { name \"Sam\" role CEO }\n\n");
            s.push_str(&format!("let xs = [{}]\n\n", list(500, |i| i.to_string())));
            s.push_str("policy listed for initiative {\n  require all(x in xs: x >= 0 and x < 1000)\n}\n\n");
            s.push_str(
                "program prog {\n  sponsor sam\n  review_every 30d\n  last_review 2026-11-01\n  objectives [k0]\n}\n\n",
            );
        }
        for i in 0..3_000 {
            let n = part * 3_000 + i;
            s.push_str(&format!(
                "kpi k{n} {{\n  metric \"m\"\n  unit percent\n  target >= 90%\n}}\n\n\
                 initiative i{n} {{\n  program prog\n  owner \"o\"\n  stage model\n  kpis [k{n}]\n  contributes_to [k0]\n  \
                 dataset d{n} {{\n    versioned true\n  }}\n  monitor w{n} {{\n    kind drift\n    kpi k{n}\n  }}\n  \
                 gate model -> produce {{\n    require count(datasets) >= 1\n    \
                 expect program.review_every <= 30d\n  }}\n}}\n\n"
            ));
        }
        std::fs::write(root.join(format!("part{part}.compel")), s).unwrap();
    }
    let (out, _, _) = compel(&root, &["check", ".", "--format", "json"]);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("E0103"), "{}", stdout.chars().take(2000).collect::<String>());
    assert_eq!(out.status.code(), Some(0), "{}", stdout.chars().take(2000).collect::<String>());
    let _ = std::fs::remove_dir_all(&dir);
}
