//! The parser's fast path (`src/syntax/fast.rs`) against pest, both ways
//! explicitly (`syntax::check_fast_path`), so it holds in release builds
//! too: on every fixture, every example and every stdlib module, no piece
//! gets a tree from the fast path that pest would not give. And the fast
//! path covers the examples and the stdlib: every piece but `test` blocks
//! (which it leaves to pest by design) takes it, so a grammar change that
//! makes it give up fails here instead of costing speed silently.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use compel::syntax::{check_fast_path, FastPathCheck, ParseLimits};

fn compel_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            compel_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "compel") {
            out.push(path);
        }
    }
}

fn examples() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    compel_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples"), &mut paths);
    assert!(!paths.is_empty(), "the examples are missing");
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            (p.display().to_string(), text)
        })
        .collect()
}

fn stdlib() -> Vec<(String, String)> {
    compel::stdlib::MODULES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

fn check(text: &str) -> FastPathCheck {
    check_fast_path(text, ParseLimits::default())
}

#[test]
fn the_fast_path_agrees_with_pest_on_every_fixture_example_and_stdlib_module() {
    let mut paths = Vec::new();
    compel_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"), &mut paths);
    let mut files: Vec<(String, String)> = paths
        .into_iter()
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).expect("readable")).into_owned();
            (p.display().to_string(), text)
        })
        .collect();
    files.extend(examples());
    files.extend(stdlib());
    let (mut pieces, mut fast) = (0, 0);
    for (name, text) in &files {
        let c = check(text);
        assert!(c.disagreements.is_empty(), "{name}:\n{}", c.disagreements.join("\n"));
        pieces += c.pieces;
        fast += c.pieces - c.left_to_pest.len();
    }
    // The fixtures are full of broken text on purpose; still, most pieces
    // are compared, not just left to pest.
    assert!(fast * 2 > pieces, "only {fast} of {pieces} pieces took the fast path");
}

#[test]
fn the_fast_path_covers_the_examples_and_the_stdlib() {
    for (name, text) in examples().into_iter().chain(stdlib()) {
        let c = check(&text);
        assert!(c.pieces > 0, "{name} has no pieces");
        let missed: Vec<&String> = c.left_to_pest.iter().filter(|first| !first.starts_with("test ")).collect();
        assert!(missed.is_empty(), "{name}: pieces the fast path leaves to pest: {missed:#?}");
    }
}

/// Whether the fast path stays worth it: parsing the benchmark workload
/// (`benches/workload`, 10,000 initiatives) with it, against the same
/// pieces parsed both ways (fast path plus pest). Prints the medians.
/// `cargo test --release --test fast_path -- --ignored --nocapture`.
#[test]
#[ignore]
fn the_fast_path_is_worth_it() {
    #[path = "../benches/workload/mod.rs"]
    mod workload;
    let text = workload::policy(10_000);
    let limits = ParseLimits { max_declarations: usize::MAX, ..ParseLimits::default() };
    let median = |f: &dyn Fn()| {
        let mut times: Vec<f64> = (0..7)
            .map(|_| {
                let start = std::time::Instant::now();
                f();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let parse = median(&|| {
        let (_, diags) = compel::syntax::parse(compel::text::FileId(0), &text, limits);
        assert!(diags.is_empty());
    });
    let both = median(&|| assert!(check_fast_path(&text, limits).disagreements.is_empty()));
    println!(
        "parse (fast path): {parse:.0} ms; fast path and pest: {both:.0} ms; pest alone about {:.0} ms",
        both - parse
    );
    assert!(parse < both);
}
