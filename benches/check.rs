//! `cargo bench --bench check`: check throughput on a generated policy set
//! of 10,000 initiatives (each with two KPIs, a dataset, a monitor and a
//! five-criterion gate). Prints the median of several runs in MB/s and
//! lines/s. The machine is shared and noisy: compare medians.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use compel::analysis::{analyze, MemoryLoader};

/// A policy set of `n` initiatives, in one file.
pub fn workload(n: usize) -> String {
    let mut s = String::with_capacity(n * 700);
    s.push_str("import \"std/policies\"\n\n");
    s.push_str("person sponsor { name \"Sam Sponsor\" role CEO }\n\n");
    s.push_str("program prog {\n  sponsor      sponsor\n  review_every 30d\n  last_review  2026-11-01\n  objectives   [loss_0]\n}\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "/// Accuracy of model {i}.\nkpi acc_{i} {{\n  metric  \"model_accuracy\"\n  labels  {{ model \"m{i}\" }}\n  unit    percent\n  target  >= 92%\n  warn    < 94%\n  max_age 2d\n}}\n\n\
             kpi loss_{i} {{\n  metric \"loss_rate\"\n  labels {{ model \"m{i}\" }}\n  unit   ratio\n  target <= 0.08%\n}}\n\n\
             initiative init_{i} {{\n  program        prog\n  owner          \"team{i}@example.com\"\n  stage          model\n  kpis           [acc_{i}, loss_{i}]\n  contributes_to [loss_0]\n\n  \
             dataset data_{i} {{\n    versioned true\n  }}\n\n  monitor drift_{i} {{\n    kind drift\n    kpi  acc_{i}\n  }}\n\n  \
             gate model -> produce {{\n    require acc_{i}\n    require acc_{i} for 7d\n    require avg(loss_{i}, 7d) < 0.1%\n    require count(datasets) >= 1\n    expect  program.review_every <= 30d\n  }}\n}}\n\n"
        ));
    }
    s
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let n: usize = std::env::var("COMPEL_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let reps: usize = std::env::var("COMPEL_BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let text = workload(n);
    let bytes = text.len() as f64;
    let lines = text.lines().count() as f64;
    let mut loader = MemoryLoader::default();
    loader.insert("policy.compel", text);
    let mut times = Vec::new();
    for _ in 0..reps {
        let start = Instant::now();
        let analysis = analyze(&["policy.compel".to_string()], &loader);
        let t = start.elapsed().as_secs_f64();
        assert!(!analysis.has_errors(), "the workload checks clean: {:?}", analysis.diagnostics.first());
        times.push(t);
    }
    let t = median(times);
    println!("check: {n} initiatives, {:.2} MB, {} lines", bytes / 1e6, lines);
    println!("check: median {:.1} ms over {reps} runs", t * 1e3);
    println!("check: {:.2} MB/s, {:.0} lines/s", bytes / 1e6 / t, lines / t);
}
