//! End-to-end tests of `compel check` and `compel explain`: the real binary.

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

const ACME: &str = "../shared/examples/acme";

#[test]
fn acme_checks_clean() {
    let o = compel(&["check", ACME]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "no problems found\n");
    let o = compel(&["check", ACME, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).trim_end(), r#"{"diagnostics": []}"#);
}

#[test]
fn a_file_given_and_imported_is_loaded_once() {
    let o = compel(&["check", "../shared/examples/acme/acme.compel", "../shared/examples/acme/people.compel", ACME]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn errors_exit_1_with_json_positions() {
    let o = compel(&["check", "tests/fixtures/check/names/unknown_near.compel", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    // The file also gets E0710 (nothing governs it); the error is the E0301.
    let d = v["diagnostics"].as_array().unwrap().iter().find(|d| d["severity"] == "error").expect("an error");
    assert_eq!(d["code"], "E0301");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 11);
    assert_eq!(d["column"], 10);
    assert_eq!(d["end_column"], 17);
    assert_eq!(d["help"], "did you mean `accuracy`?");
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempdir("warn");
    let f = dir.join("w.compel");
    std::fs::write(
        &f,
        "person d { name \"D\" role CFO }\nprogram p { sponsor d budget 5 USD }\npolicy big for program { expect budget > 10 USD }\n",
    )
    .expect("write");
    let path = f.to_string_lossy().into_owned();
    assert_eq!(compel(&["check", &path]).status.code(), Some(0));
    assert_eq!(compel(&["check", &path, "--deny-warnings"]).status.code(), Some(1));
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn hostile_input_is_a_diagnostic_not_a_crash() {
    let dir = tempdir("hostile");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("random.compel", random),
        ("latin1.compel", b"person d { name \"Ram\xe1n\" role CFO }\n".to_vec()),
        ("parens.compel", format!("let x = {}1{}\n", "(".repeat(20_000), ")".repeat(20_000)).into_bytes()),
        ("nots.compel", format!("let x = {}true\n", "not ".repeat(20_000)).into_bytes()),
        ("negs.compel", format!("let x = {}1\n", "-".repeat(20_000)).into_bytes()),
        ("chain.compel", format!("let x = true{}\n", " and true".repeat(20_000)).into_bytes()),
        ("lists.compel", format!("let x = {}{}\n", "[".repeat(20_000), "]".repeat(20_000)).into_bytes()),
    ];
    for (name, bytes) in cases {
        let f = dir.join(name);
        std::fs::write(&f, bytes).expect("write");
        let o = compel(&["check", &f.to_string_lossy(), "--format", "json"]);
        if std::str::from_utf8(&std::fs::read(&f).expect("read")).is_err() {
            // Not UTF-8: an unusable input (exit 2), the reason on stderr.
            assert_eq!(o.status.code(), Some(2), "{name}");
            assert!(String::from_utf8_lossy(&o.stderr).contains("E0104"), "{name}");
            assert_eq!(stdout(&o), "", "{name}");
            continue;
        }
        assert_eq!(o.status.code(), Some(1), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
        assert!(!v["diagnostics"].as_array().expect("array").is_empty(), "{name} has a diagnostic");
    }
}

#[test]
fn explain_prints_every_code() {
    for code in compel::diag::Code::ALL {
        let o = compel(&["explain", code.as_str()]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).starts_with(code.as_str()));
    }
    let o = compel(&["explain", "E9999"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Runs the binary with its standard output a pipe whose reading end is
/// already closed, as `compel ... | head` once `head` has exited: every
/// write fails with a broken pipe.
fn compel_into_closed_pipe(args: &[&str]) -> Output {
    // The pipe's reader is a process that has already exited.
    let mut reader = Command::new("true").stdin(std::process::Stdio::piped()).spawn().expect("run `true`");
    let writer = reader.stdin.take().expect("the pipe's writing end");
    reader.wait().expect("`true` exits");
    Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the binary runs")
}

#[test]
fn a_closed_pipe_on_stdout_is_not_a_panic() {
    let o = compel_into_closed_pipe(&["explain", "E0301"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr, "", "nothing to complain about: the reader left");
    // A command whose output is a list of diagnostics ends with its usual
    // exit code too.
    let o = compel_into_closed_pipe(&["check", "--format", "json", "../shared/examples/acme"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_path_is_a_tool_error() {
    let o = compel(&["check", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
}

#[test]
fn readiness_is_a_note_and_never_fails_check() {
    // The stdlib gate `model -> produce` refuses an unversioned dataset:
    // `scoring_v2` is not ready to advance, which is readiness, not an
    // obligation: a note, exit 0, even with `--deny-warnings`.
    let path = "tests/fixtures/check/readiness/unversioned_dataset.compel";
    for extra in [&[][..], &["--deny-warnings"][..]] {
        let mut args = vec!["check", path, "--format", "json"];
        args.extend_from_slice(extra);
        let o = compel(&args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stdout(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
        let diags = v["diagnostics"].as_array().expect("array");
        assert_eq!(diags.len(), 1, "{v:#}");
        let d = &diags[0];
        assert_eq!(d["code"], "E0703");
        assert_eq!(d["severity"], "note");
        assert_eq!(
            d["message"],
            "`scoring_v2` is not ready to advance `model -> produce`: \
             `require all(d in datasets: d.versioned)` does not hold (every dataset must be versioned)"
        );
        assert_eq!(d["line"], 25);
    }
    let o = compel(&["check", path]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("note[E0703]"), "{}", stdout(&o));
    // An obligation refused by the same kind of fact is still an error.
    let o = compel(&["check", "tests/fixtures/check/policies/not_csuite.compel"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}
