//! Replays every saved fuzz input in `tests/fixtures/fuzz/<target>/`
//! through the same code as the fuzz target (`fuzz/src/lib.rs`, included
//! here), so a crash, a hang or a broken property the fuzzers found stays
//! fixed. See "Fuzzing" in `docs/security.md` for the targets and how to run
//! them.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz").join(target);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            failures.push(file.display().to_string());
        }
    }
    assert!(failures.is_empty(), "{target}: these inputs fail again:\n{}", failures.join("\n"));
}

#[test]
fn parse() {
    replay("parse", targets::parse_target);
}

#[test]
fn check() {
    replay("check", targets::check_target);
}

#[test]
fn fmt_roundtrip() {
    replay("fmt_roundtrip", targets::fmt_roundtrip_target);
}

#[test]
fn metrics() {
    replay("metrics", targets::metrics_target);
}

#[test]
fn eval() {
    replay("eval", targets::eval_target);
}

/// The targets hold on the inputs they were seeded with too.
#[test]
fn seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["tests/fixtures/fmt", "tests/fixtures/check/ok", "../shared/examples/acme"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "compel") {
                let data = std::fs::read(&path).unwrap();
                targets::parse_target(&data);
                targets::fmt_roundtrip_target(&data);
                targets::check_target(&data);
            }
        }
    }
    for file in ["all-green.json", "latency-spike.json", "snapshot.json"] {
        let data = std::fs::read(root.join("../shared/examples/acme/metrics").join(file)).unwrap();
        targets::metrics_target(&data);
        let mut input = vec![2, 0];
        input.extend_from_slice(&data);
        targets::eval_target(&input);
    }
}
