//! `cargo bench --bench eval`: `compel eval` against `compel check` on the
//! same generated policy set.
//!
//! The workload: 10,000 initiatives, each with two KPIs (so 20,000 series),
//! a dataset, a drift monitor and a five-criterion gate (a KPI target, a
//! `for 7d`, a window average, a quantifier and a program fact), plus the
//! stdlib's policies and gate; and a JSON metrics file with 7 daily samples
//! per series. Both commands run as the real binary on files in a temporary
//! folder; the bench prints the median wall time of several runs of each
//! and their ratio (the target: eval at most 3x check).
//!
//! `COMPEL_BENCH_N` (initiatives, default 10000) and `COMPEL_BENCH_REPS`
//! (runs, default 5) override the size. The machine may be shared and
//! noisy: compare medians.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The policy: `n` initiatives in one file.
fn policy(n: usize) -> String {
    let mut s = String::with_capacity(n * 800);
    s.push_str("import \"std/policies\"\n\n");
    s.push_str("person sponsor { name \"Sam Sponsor\" role CEO }\n\n");
    s.push_str("program prog {\n  sponsor      sponsor\n  review_every 30d\n  last_review  2026-11-01\n  objectives   [loss_0]\n}\n\n");
    for i in 0..n {
        let _ = write!(
            s,
            "/// Accuracy of model {i}.\nkpi acc_{i} {{\n  metric  \"model_accuracy\"\n  labels  {{ model \"m{i}\" }}\n  unit    percent\n  target  >= 92%\n  warn    < 94%\n  max_age 2d\n}}\n\n\
             kpi loss_{i} {{\n  metric \"loss_rate\"\n  labels {{ model \"m{i}\" }}\n  unit   ratio\n  target <= 0.08%\n}}\n\n\
             initiative init_{i} {{\n  program        prog\n  owner          \"team{i}@example.com\"\n  stage          model\n  kpis           [acc_{i}, loss_{i}]\n  contributes_to [loss_0]\n\n  \
             dataset data_{i} {{\n    versioned true\n  }}\n\n  monitor drift_{i} {{\n    kind drift\n    kpi  acc_{i}\n  }}\n\n  \
             gate model -> produce {{\n    require acc_{i}\n    require acc_{i} for 7d\n    require avg(loss_{i}, 7d) < 0.1%\n    require count(datasets) >= 1\n    expect  program.review_every <= 30d\n  }}\n}}\n\n"
        );
    }
    s
}

/// The metrics: two series per initiative, 7 daily samples each, ending
/// the day before `now` (2026-11-24).
fn metrics(n: usize) -> String {
    let mut s = String::with_capacity(n * 2 * 400);
    s.push_str("{\"series\": [\n");
    for i in 0..n {
        for (metric, base) in [("model_accuracy", 93.0), ("loss_rate", 0.0007)] {
            if i > 0 || metric == "loss_rate" {
                s.push_str(",\n");
            }
            let _ = write!(s, "{{\"metric\": \"{metric}\", \"labels\": {{\"model\": \"m{i}\"}}, \"samples\": [");
            for d in 0..7 {
                let v = base * (1.0 + 0.01 * ((i + d) % 5) as f64);
                let _ = write!(s, "{}[\"2026-11-{:02}T00:00:00Z\", {v}]", if d > 0 { ", " } else { "" }, 17 + d);
            }
            s.push_str("]}");
        }
    }
    s.push_str("\n]}\n");
    s
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Runs `compel ARGS` in `dir` `reps` times; the median wall time in
/// seconds and the last exit code.
fn time(dir: &Path, args: &[&str], reps: usize) -> (f64, Option<i32>) {
    let mut times = Vec::new();
    let mut code = None;
    for _ in 0..reps {
        let start = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_compel"))
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("compel runs");
        times.push(start.elapsed().as_secs_f64());
        code = status.code();
    }
    (median(times), code)
}

fn main() {
    let n: usize = std::env::var("COMPEL_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let reps: usize = std::env::var("COMPEL_BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("compel-bench-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = policy(n);
    let m = metrics(n);
    std::fs::write(dir.join("policy.compel"), &p).unwrap();
    std::fs::write(dir.join("metrics.json"), &m).unwrap();
    println!(
        "eval: {n} initiatives ({:.1} MB of policy), {} series of 7 samples ({:.1} MB of JSON)",
        p.len() as f64 / 1e6,
        2 * n,
        m.len() as f64 / 1e6
    );

    let (check, code) = time(&dir, &["check", "policy.compel"], reps);
    assert_eq!(code, Some(0), "the workload checks clean");
    let eval_args =
        ["eval", "policy.compel", "--metrics", "metrics.json", "--now", "2026-11-24T00:00:00Z", "--format", "json"];
    let (eval, code) = time(&dir, &eval_args, reps);
    assert_eq!(code, Some(0), "the workload passes (with warnings)");
    let (human, _) =
        time(&dir, &["eval", "policy.compel", "--metrics", "metrics.json", "--now", "2026-11-24T00:00:00Z"], reps);

    println!("check:              median {:7.1} ms over {reps} runs", check * 1e3);
    println!("eval --format json: median {:7.1} ms over {reps} runs", eval * 1e3);
    println!("eval (human):       median {:7.1} ms over {reps} runs", human * 1e3);
    println!("eval / check:       {:.2}x (target <= 3x)", eval / check);
    let _ = std::fs::remove_dir_all(&dir);
}
