//! The project's `compel.toml` end to end, through the real binary: the
//! policy sets `[project] policies` names govern every file of the project
//! without an import, in every command (`check`, `eval`, `test`, `report`,
//! `compile`); a file that nothing governs gets `E0710`; and a set outside
//! the project (`..`, an absolute path, a link) or missing is refused
//! before anything is read.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GOVERNED: &str = "tests/fixtures/project/governed";
const NOW: &str = "2026-11-24T00:00:00Z";

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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn codes(o: &Output) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON diagnostics");
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn check_applies_the_sets_to_a_file_without_the_import() {
    let o = compel(&["check", &format!("{GOVERNED}/program.compel"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let found = codes(&o);
    let listed: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(listed, ["E0701", "E0703"], "{found:?}");
    assert!(found[0].1.contains("does not meet policy `csuite_sponsor`"), "{found:?}");
    // Without the set, the program's budget would go unchecked: remove it
    // and the organisation's `budgeted` policy objects.
    let dir = std::env::temp_dir().join(format!("compel-project-{}-copy", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("org")).unwrap();
    for f in ["compel.toml", "org/standards.compel"] {
        std::fs::copy(Path::new(GOVERNED).join(f), dir.join(f)).unwrap();
    }
    let program = std::fs::read_to_string(Path::new(GOVERNED).join("program.compel")).unwrap();
    std::fs::write(dir.join("program.compel"), program.replace("budget       1_200_000 USD", "")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["check", "program.compel", "--format", "json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let found = codes(&o);
    assert!(found.iter().any(|(c, m)| c == "E0702" && m.contains("policy `budgeted` needs `budget`")), "{found:?}");
}

#[test]
fn eval_reports_the_sets_policies_and_gates() {
    let o = compel(&["eval", GOVERNED, "--now", NOW, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "csuite_sponsor fails: {}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON report");
    let policies: Vec<(String, String)> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p["outcome"].as_str().unwrap().to_string()))
        .collect();
    for want in [("csuite_sponsor", "fail"), ("budgeted", "pass"), ("strategic_alignment", "pass")] {
        assert!(policies.iter().any(|(n, o)| n == want.0 && o == want.1), "{want:?} in {policies:?}");
    }
    let text = report.to_string();
    assert!(text.contains("the gateway must be fast before anything ships"), "the set's gate is asked of `scoring`");
}

#[test]
fn test_report_and_compile_see_the_sets_too() {
    let o = compel(&["test", GOVERNED]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("1 passed, 0 failed"), "{}", stdout(&o));

    let out = std::env::temp_dir().join(format!("compel-project-{}.html", std::process::id()));
    let o = compel(&["report", GOVERNED, "--now", NOW, "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.contains("csuite_sponsor") && page.contains("budgeted"), "the report lists the sets' policies");
    let _ = std::fs::remove_file(&out);

    let o = compel(&["compile", "--target", "prometheus", GOVERNED]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rules = stdout(&o);
    let readiness = rules.split("compel.readiness").nth(1).expect("a readiness group");
    assert!(
        readiness.contains("gateway_latency_ms") && readiness.contains("initiative: \"scoring\""),
        "the set's gate decides the readiness of `scoring`: {readiness}"
    );
}

#[test]
fn a_file_governed_by_nothing_is_warned_about() {
    let o = compel(&["check", "tests/fixtures/project/ungoverned", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "a warning does not fail check: {}", stderr(&o));
    let found = codes(&o);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "E0710");
    assert!(found[0].1.contains("program `fraud_ai` and initiative `scoring`"), "{found:?}");
    let o = compel(&["check", "tests/fixtures/project/ungoverned", "--deny-warnings"]);
    assert_eq!(o.status.code(), Some(1));
}

fn scratch(name: &str, toml: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-project-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("proj")).unwrap();
    std::fs::write(dir.join("proj/compel.toml"), toml).unwrap();
    std::fs::write(dir.join("proj/p.compel"), "person lee {\n  name \"Lee\"\n  role manager\n}\n").unwrap();
    std::fs::write(dir.join("outside.compel"), "policy stolen for person {\n  require name == \"x\"\n}\n").unwrap();
    dir
}

fn refused(dir: &Path, wanted: &str) {
    for command in [&["check", "proj"][..], &["eval", "proj", "--metrics", "m.json"], &["test", "proj"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_compel")).args(command).current_dir(dir).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{command:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("project.policies") && err.contains(wanted), "{command:?}: {err}");
        assert!(!err.contains("stolen"), "nothing outside the project was read: {err}");
    }
}

#[test]
fn sets_outside_the_project_are_refused() {
    let dir = scratch("dotdot", "[project]\npolicies = [\"../outside.compel\"]\n");
    refused(&dir, "climbs out with `..`");
    let outside = dir.join("outside.compel");
    let toml = format!("[project]\npolicies = [{:?}]\n", outside.to_string_lossy());
    let dir = scratch("absolute", &toml);
    refused(&dir, "is an absolute path");
    let dir = scratch("missing", "[project]\npolicies = [\"org/none.compel\"]\n");
    refused(&dir, "does not exist in the project");
    let dir = scratch("std", "[project]\npolicies = [\"std/polices\"]\n");
    refused(&dir, "did you mean `std/policies`");
    #[cfg(unix)]
    {
        let dir = scratch("link", "[project]\npolicies = [\"org.compel\"]\n");
        std::os::unix::fs::symlink(dir.join("outside.compel"), dir.join("proj/org.compel")).unwrap();
        refused(&dir, "leads out of the project");
    }
}

#[test]
fn an_explicit_config_brings_its_sets_to_every_file_analysed() {
    // `--config` names another project's compel.toml: its sets govern the
    // file given, which has no import and no compel.toml of its own.
    let o = compel(&[
        "eval",
        "tests/fixtures/project/ungoverned/program.compel",
        "--config",
        &format!("{GOVERNED}/compel.toml"),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON report");
    let names: Vec<&str> = report["policies"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(names.contains(&"csuite_sponsor") && names.contains(&"budgeted"), "{names:?}");
}
