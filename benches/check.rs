//! `cargo bench --bench check`: check throughput on a generated policy set
//! of 10,000 initiatives (each with two KPIs, a dataset, a monitor and a
//! five-criterion gate; see `benches/workload/`), in process. Prints the
//! median of several runs in MB/s and lines/s. The machine is shared and
//! noisy: compare medians (or instruction counts under callgrind).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use compel::analysis::{analyze_with, MemoryLoader};
use compel::syntax::ParseLimits;

mod workload;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let n: usize = std::env::var("COMPEL_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let reps: usize = std::env::var("COMPEL_BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let text = workload::policy(n);
    let bytes = text.len() as f64;
    let lines = text.lines().count() as f64;
    let mut loader = MemoryLoader::default();
    loader.insert("policy.compel", text);
    // 30,003 top-level declarations in one file: over the default limit.
    let limits = ParseLimits { max_declarations: usize::MAX, ..ParseLimits::default() };
    let mut times = Vec::new();
    for _ in 0..reps {
        let start = Instant::now();
        let analysis = analyze_with(&["policy.compel".to_string()], &loader, limits);
        let t = start.elapsed().as_secs_f64();
        assert!(!analysis.has_errors(), "the workload checks clean: {:?}", analysis.diagnostics.first());
        times.push(t);
    }
    let t = median(times);
    println!("check: {n} initiatives, {:.2} MB, {} lines", bytes / 1e6, lines);
    println!("check: median {:.1} ms over {reps} runs", t * 1e3);
    println!("check: {:.2} MB/s, {:.0} lines/s", bytes / 1e6 / t, lines / t);
}
