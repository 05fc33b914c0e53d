//! Data-driven evaluation tests, and end-to-end checks of small decisions
//! of the real binary.
//!
//! Every `tests/fixtures/eval/CASE/policy.compel` whose header has a
//! `// now: RFC3339` line is evaluated by `compel eval policy.compel
//! --metrics metrics.json --now NOW` in its folder (`// metrics: A B`
//! names other files, each given with `--metrics`, and `// args: ...` adds
//! flags); the exit code must be the header's `// exit: N`, the metrics
//! files given in the reverse order must give the same report byte for
//! byte, and the human report is an insta snapshot
//! (`tests/snapshots/eval_fixtures__*.snap`; `cargo insta review` or
//! `INSTA_UPDATE=always cargo test --test eval_fixtures` records them).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn compel_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the compel binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The value of a `// KEY: value` header line.
fn header<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let prefix = format!("// {key}:");
    text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map(str::trim)
}

#[test]
fn eval_fixtures() {
    let mut wrong = Vec::new();
    insta::glob!("fixtures/eval/*/policy.compel", |path| {
        let policy = std::fs::read_to_string(path).expect("fixture is readable");
        let Some(now) = header(&policy, "now") else { return };
        let exit: i32 = header(&policy, "exit").expect("an `// exit:` header").parse().expect("an exit code");
        let dir = path.parent().unwrap();
        let files: Vec<&str> = header(&policy, "metrics").unwrap_or("metrics.json").split_whitespace().collect();
        let extra: Vec<&str> = header(&policy, "args").unwrap_or("").split_whitespace().collect();
        let args_for = |files: &[&str]| -> Vec<String> {
            let mut args: Vec<String> = ["eval", "policy.compel", "--now", now].map(String::from).to_vec();
            for f in files {
                args.extend(["--metrics".to_string(), f.to_string()]);
            }
            args.extend(extra.iter().map(|a| a.to_string()));
            args
        };
        let run = |files: &[&str]| {
            let args = args_for(files);
            compel_in(dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let out = run(&files);
        let reversed: Vec<&str> = files.iter().rev().copied().collect();
        let again = run(&reversed);
        if again.stdout != out.stdout || again.status.code() != out.status.code() {
            wrong.push(format!("{}: the order of the metrics files changed the report", dir.display()));
        }
        if out.status.code() != Some(exit) {
            wrong.push(format!(
                "{}: exit {:?}, expected {exit}\n{}",
                dir.display(),
                out.status.code(),
                text(&out.stderr)
            ));
        }
        let report = format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            out.status.code().unwrap_or(-1),
            text(&out.stdout),
            text(&out.stderr)
        );
        insta::assert_snapshot!(report);
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `compel eval FILE` on a check fixture with an empty metrics file.
fn eval_check_fixture(rel: &str, extra: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("compel-eval-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let metrics = dir.join("empty.json");
    std::fs::write(&metrics, r#"{"series": []}"#).unwrap();
    let mut args = vec!["eval", rel, "--metrics", metrics.to_str().unwrap()];
    args.extend_from_slice(extra);
    compel_in(Path::new(ROOT), &args)
}

#[test]
fn a_leap_second_for_now_is_an_input_error() {
    for now in ["2026-11-24T23:59:60Z", "2016-12-31T23:59:60.5Z", "2026-11-25T00:59:60+01:00"] {
        let out = eval_check_fixture("tests/fixtures/check/ok/everything.compel", &["--now", now]);
        assert_eq!(out.status.code(), Some(2), "--now {now}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "--now {now}: {}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with(&format!("error: `--now {now}` names a leap second (second 60)")),
            "--now {now}: {stderr}"
        );
        assert!(stderr.contains(":59:59"), "the message suggests a valid second: {stderr}");
    }
    // The second before is an ordinary time.
    let out = eval_check_fixture("tests/fixtures/check/ok/everything.compel", &["--now", "2026-11-24T23:59:59Z"]);
    assert_ne!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// Mistakes in the policy that `check` reports stop `eval` (exit 2): they
/// are never left `unknown` for eval to find.
#[test]
fn policy_mistakes_found_by_check_stop_eval() {
    let cases = [
        ("tests/fixtures/check/policies/string_as_person.compel", "E0505"),
        ("tests/fixtures/check/units/negative_window.compel", "E0510"),
        ("tests/fixtures/check/units/percent_bare_number.compel", "E0512"),
    ];
    for (rel, code) in cases {
        let out = eval_check_fixture(rel, &["--now", "2026-11-24T00:00:00Z"]);
        assert_eq!(out.status.code(), Some(2), "{rel}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(code), "{rel}: {}", text(&out.stderr));
    }
}

/// A comparison decided without the data is a warning: `check` passes
/// unless warnings are denied, and `eval` runs.
#[test]
fn an_identity_comparison_warns() {
    let rel = "tests/fixtures/check/policies/identity_comparison.compel";
    let out = compel_in(Path::new(ROOT), &["check", rel]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("warning[E0511]"), "{}", text(&out.stdout));
    let out = compel_in(Path::new(ROOT), &["check", rel, "--deny-warnings"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = compel_in(Path::new(ROOT), &["explain", "E0511"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("gone == gone"), "{}", text(&out.stdout));
}
