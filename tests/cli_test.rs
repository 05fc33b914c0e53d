//! End-to-end tests of `compel test`: the real binary on the acceptance
//! examples, the stdlib's own tests, and failing fixtures.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::{Command, Output};

fn compel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn acme_tests_pass() {
    let o = compel(&["test", "../shared/examples/acme"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("3 passed, 0 failed\n"), "{}", stdout(&o));
}

#[test]
fn the_stdlib_carries_its_own_tests() {
    let o = compel(&["test", "stdlib/tests"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    let last = out.lines().last().unwrap_or_default();
    assert!(last.ends_with("passed, 0 failed") && !last.starts_with("0 "), "{out}");
}

/// Inline samples decide KPI families: all groups met, a vanished group
/// unknown (never a pass), one group missing its target.
#[test]
fn families_with_inline_samples() {
    let o = compel(&["test", "tests/fixtures/test/families/fairness.compel"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("3 passed, 0 failed\n"), "{}", stdout(&o));
}

#[test]
fn a_wrong_expectation_fails_with_expected_and_actual() {
    let o = compel(&["test", "tests/fixtures/test/spike/wrong.compel"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn filter_selects_tests() {
    let o = compel(&["test", "../shared/examples/acme", "--filter", "snapshot"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).ends_with("1 passed, 0 failed\n"), "{}", stdout(&o));
}

#[test]
fn junit_output() {
    let o = compel(&["test", "tests/fixtures/test/spike/wrong.compel", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("<testsuites name=\"compel test\" tests=\"1\" failures=\"1\" errors=\"0\" time=\""), "{out}");
    assert!(out.contains("<failure message=\"expected pass, got fail\" type=\"expectation\">"), "{out}");
}

#[test]
fn a_test_that_cannot_run_exits_2() {
    let o = compel(&["test", "tests/fixtures/test/spike/missing_metrics.compel"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("cannot read metrics"), "{}", stdout(&o));
}

#[test]
fn a_compile_error_exits_2() {
    let o = compel(&["test", "tests/fixtures/check/names/unknown_near.compel"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0301"));
}

#[test]
fn test_metrics_stay_inside_the_project() {
    let o = compel(&["test", "tests/fixtures/test/spike/escape.compel"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("outside the project"), "{}", stdout(&o));
}
