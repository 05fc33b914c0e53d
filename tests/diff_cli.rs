//! End-to-end tests of `compel diff` and `compel init`, driving the real
//! binary over temporary git repositories.
//!
//! The base commit is the acme example with a `compel.toml` naming the
//! all-green metrics; each test changes the working tree and compares it
//! with `HEAD` (or commits the change and compares `HEAD~1`). Snapshots of
//! each format live in `tests/snapshots/diff_cli__*.snap`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/binary.rs"]
mod common;
use common::compel;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/acme");
const NOW: &str = "2026-11-24T00:00:00Z";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn tempdir(name: &str) -> PathBuf {
    common::tempdir("diff", name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A git repository holding the acme example and a `compel.toml` naming
/// `metrics`, committed.
fn repo(name: &str, metrics: &str) -> PathBuf {
    let dir = tempdir(name);
    copy_dir(Path::new(EXAMPLES), &dir);
    std::fs::write(dir.join("compel.toml"), format!("metrics = [\"metrics/{metrics}\"]\n")).unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "base"]);
    dir
}

/// Replaces `from` by `to` in `file` (which must hold it).
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} holds {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

const STAGE: &str = "stage          model";

/// `compel diff HEAD --now NOW --format json EXTRA...`: exit code and report.
fn diff_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["diff", "HEAD", "--now", NOW, "--format", "json"];
    args.extend(extra);
    let out = compel(dir, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("JSON ({e}): {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

/// The changes of `kind`.
fn of_kind<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["changes"].as_array().unwrap().iter().filter(|c| c["kind"] == kind).collect()
}

fn one<'a>(report: &'a Value, kind: &str) -> &'a Value {
    let found = of_kind(report, kind);
    assert_eq!(found.len(), 1, "one {kind} in {report:#}");
    found[0]
}

#[test]
fn no_change_is_no_change() {
    let dir = repo("same", "all-green.json");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["changes"].as_array().unwrap().len(), 0);
}

#[test]
fn advanced_stage_whose_gate_passes() {
    let dir = repo("pass", "all-green.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 0, "{report:#}");
    let c = one(&report, "stage_advanced");
    assert_eq!(c["gate"]["outcome"], "warn");
    assert_eq!(c["gate"]["change_gates"]["outcome"], "warn");
    assert_eq!(c["gate"]["base_gates"]["outcome"], "warn");
    assert_eq!(c["blocks"], false);
}

#[test]
fn advanced_stage_whose_gate_fails_blocks() {
    let dir = repo("fail", "latency-spike.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    let c = one(&report, "stage_advanced");
    assert_eq!(c["gate"]["outcome"], "fail");
    assert_eq!(c["blocks"], true);
    let failing: Vec<&str> = c["gate"]["change_gates"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["outcome"] == "fail")
        .map(|k| k["text"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["require latency_p95 for 7d"]);
}

#[test]
fn advanced_stage_whose_gate_is_unknown_blocks() {
    let dir = repo("unknown", "snapshot.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(one(&report, "stage_advanced")["gate"]["outcome"], "unknown");
}

#[test]
fn loosening_the_crossed_gate_in_the_same_change_still_blocks() {
    let dir = repo("loosen", "latency-spike.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    edit(&dir, "acme.compel", "require latency_p95 for 7d", "expect  latency_p95 for 7d");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 1, "{report:#}");
    let c = one(&report, "stage_advanced");
    assert_eq!(c["gate"]["change_gates"]["outcome"], "warn");
    assert_eq!(c["gate"]["base_gates"]["outcome"], "fail");
    assert_eq!(c["gate"]["outcome"], "fail");
    assert_eq!(one(&report, "enforcement")["class"], "looser");
}

#[test]
fn metrics_come_from_the_base_compel_toml_never_the_change() {
    let dir = repo("config", "latency-spike.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    std::fs::write(dir.join("compel.toml"), "metrics = [\"metrics/all-green.json\"]\n").unwrap();
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 1, "the base's latency spike still decides: {report:#}");
    assert_eq!(one(&report, "stage_advanced")["gate"]["outcome"], "fail");
    // The metrics file itself is read at the base revision too.
    std::fs::write(dir.join("compel.toml"), "metrics = [\"metrics/latency-spike.json\"]\n").unwrap();
    std::fs::copy(dir.join("metrics/all-green.json"), dir.join("metrics/latency-spike.json")).unwrap();
    let (code, _) = diff_json(&dir, &[]);
    assert_eq!(code, 1, "a change rewriting the metrics file is not judged on it");
    // Flags win.
    let (code, _) = diff_json(&dir, &["--metrics", "metrics/all-green.json"]);
    assert_eq!(code, 0);
}

#[test]
fn a_jump_and_an_initiative_appearing_past_calibrate_block() {
    let dir = repo("jump", "all-green.json");
    edit(&dir, "acme.compel", STAGE, "stage          evaluate");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    let c = one(&report, "stage_jumped");
    assert!(c["message"].as_str().unwrap().contains("skipping `produce`"), "{c:#}");

    let dir = repo("appear", "all-green.json");
    let mut text = std::fs::read_to_string(dir.join("acme.compel")).unwrap();
    text.push_str("\ninitiative fast_track {\n  owner \"x@acme.example\"\n  program fraud_ai\n  stage produce\n  contributes_to [fraud_loss_rate]\n  dataset d { versioned true }\n  monitor m { kind drift }\n}\n");
    std::fs::write(dir.join("acme.compel"), text).unwrap();
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(one(&report, "appeared_past_calibrate")["subjects"][0], "initiative fast_track");

    // Moving back is reported, not gated.
    let dir = repo("back", "all-green.json");
    edit(&dir, "acme.compel", STAGE, "stage          organize");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(one(&report, "stage_moved_back")["class"], "info");
}

/// Each (from, to) edit of acme.compel and the class of its one threshold.
#[test]
fn thresholds_are_compared_exactly_in_each_unit() {
    let cases = [
        ("target  >= 92%", "target  >= 90%", "looser"),
        ("target  >= 92%", "target  >= 95%", "stricter"),
        ("target  >= 92%", "target  >= 92.0%", "same"),
        ("target <= 250ms", "target <= 0.25s", "same"),
        ("target <= 250ms", "target <= 300ms", "looser"),
        ("target <= 250ms", "target < 250ms", "stricter"),
        ("max_age 7d", "max_age 14d", "looser"),
        ("max_age 7d", "max_age 168h", "same"),
        ("target < 0.2", "target < 0.1", "stricter"),
        ("require latency_p95 for 7d", "require latency_p95 for 3d", "looser"),
        ("require latency_p95 for 7d", "require latency_p95 for 2w", "stricter"),
        ("require avg(feature_psi, 7d) < 0.15", "require avg(feature_psi, 7d) < 0.2", "looser"),
        ("require avg(feature_psi, 7d) < 0.15", "require avg(feature_psi, 3d) < 0.15", "changed"),
        ("require avg(feature_psi, 7d) < 0.15", "require avg(feature_psi, 7d) < 0.1 + 0.05", "changed"),
        ("program.approved_until > today + 90d", "program.approved_until > today + 30d", "looser"),
        ("approved_until 2027-06-30", "approved_until 2027-03-31", "stricter"),
    ];
    let dir = repo("thresholds", "all-green.json");
    let original = std::fs::read_to_string(dir.join("acme.compel")).unwrap();
    for (from, to, class) in cases {
        std::fs::write(dir.join("acme.compel"), &original).unwrap();
        edit(&dir, "acme.compel", from, to);
        let (code, report) = diff_json(&dir, &["--deny", "looser"]);
        let changes = report["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{from} -> {to}: {report:#}");
        assert_eq!(changes[0]["class"], class, "{from} -> {to}: {report:#}");
        let denied = class == "looser" || class == "changed";
        assert_eq!(code, i32::from(denied), "{from} -> {to}");
    }
}

#[test]
fn require_to_expect_is_looser_and_denied_on_request() {
    let dir = repo("enforce", "all-green.json");
    edit(&dir, "acme.compel", "require accuracy", "expect  accuracy");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 0);
    let c = one(&report, "enforcement");
    assert_eq!(c["class"], "looser");
    assert_eq!(c["old"], "require accuracy");
    assert_eq!(c["new"], "expect accuracy");
    assert_eq!(c["line"], 75);
    let (code, _) = diff_json(&dir, &["--deny", "looser"]);
    assert_eq!(code, 1);
}

#[test]
fn removed_policies_dropped_imports_and_remeasured_kpis_are_changes() {
    // A policy of the project removed.
    let dir = repo("policy", "all-green.json");
    let policy = "\npolicy owners for initiative {\n  require owner != \"\"\n    because \"someone must own it\"\n}\n";
    let mut text = std::fs::read_to_string(dir.join("acme.compel")).unwrap();
    text.push_str(policy);
    std::fs::write(dir.join("acme.compel"), &text).unwrap();
    git(&dir, &["commit", "-qam", "owners"]);
    std::fs::write(dir.join("acme.compel"), text.replace(policy, "")).unwrap();
    let (code, report) = diff_json(&dir, &["--deny", "looser"]);
    assert_eq!(code, 1);
    let c = one(&report, "policy_removed");
    assert_eq!(c["message"], "policy `owners` was removed");
    assert_eq!(c["because"], "someone must own it");
    assert_eq!(c["subjects"][0], "initiative scoring_v2");

    // The stdlib's policies no longer imported: every policy and the MLOps
    // gate stop governing, though no policy text changed.
    let dir = repo("import", "all-green.json");
    edit(&dir, "acme.compel", "import \"std/policies\"\n", "");
    edit(&dir, "acme_test.compel", "  expect policy csuite_sponsor on fraud_ai == pass\n", "");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 0);
    let removed: Vec<&str> =
        of_kind(&report, "policy_removed").iter().map(|c| c["message"].as_str().unwrap()).collect();
    assert_eq!(removed.len(), 4, "{removed:?}");
    assert!(removed.iter().all(|m| m.contains("no longer sees it")), "{removed:?}");
    let gate = &of_kind(&report, "criterion_removed");
    assert_eq!(gate.len(), 2, "the stdlib gate's two criteria: {report:#}");

    // A KPI measured differently.
    let dir = repo("metric", "all-green.json");
    edit(&dir, "acme.compel", "metric \"fraud_scoring_latency_p95\"", "metric \"fraud_scoring_latency_p50\"");
    edit(&dir, "acme.compel", "labels  { model \"scoring-v2\" }", "labels  { model \"scoring-v1\" }");
    let (code, report) = diff_json(&dir, &["--deny", "looser"]);
    assert_eq!(code, 1);
    let measured = of_kind(&report, "measure_changed");
    assert_eq!(measured.len(), 2);
    assert!(measured.iter().all(|c| c["class"] == "changed"));
}

#[test]
fn policy_sets_of_compel_toml_govern_both_sides() {
    // The stdlib's policies applied by `[project] policies`, not imported.
    let dir = repo("sets", "all-green.json");
    edit(&dir, "acme.compel", "import \"std/policies\"\n", "");
    let toml = "metrics = [\"metrics/all-green.json\"]\n\n[project]\npolicies = [\"std/policies\"]\n";
    std::fs::write(dir.join("compel.toml"), toml).unwrap();
    git(&dir, &["commit", "-qam", "sets"]);
    // Unchanged: the base is governed by its own compel.toml's sets, as the
    // change is by its own, so nothing changed.
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["changes"].as_array().unwrap().len(), 0, "{report:#}");
    // The set removed from compel.toml: its policies stop governing.
    std::fs::write(dir.join("compel.toml"), "metrics = [\"metrics/all-green.json\"]\n").unwrap();
    edit(&dir, "acme_test.compel", "  expect policy csuite_sponsor on fraud_ai == pass\n", "");
    let (_, report) = diff_json(&dir, &[]);
    let removed: Vec<&str> =
        of_kind(&report, "policy_removed").iter().map(|c| c["message"].as_str().unwrap()).collect();
    assert_eq!(removed.len(), 4, "{report:#}");
    let (code, _) = diff_json(&dir, &["--deny", "looser"]);
    assert_eq!(code, 1, "a policy set removed is looser");
}

#[test]
fn a_committed_change_and_two_folders() {
    let dir = repo("commits", "all-green.json");
    edit(&dir, "acme.compel", "target  >= 92%", "target  >= 90%");
    git(&dir, &["commit", "-qam", "loosen"]);
    let out = compel(&dir, &["diff", "HEAD~1", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(one(&report, "threshold")["class"], "looser");

    let old = tempdir("old");
    let new = tempdir("new");
    copy_dir(Path::new(EXAMPLES), &old);
    copy_dir(Path::new(EXAMPLES), &new);
    edit(&new, "acme.compel", "require accuracy", "advise  accuracy");
    let out =
        compel(&std::env::temp_dir(), &["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(one(&report, "enforcement")["class"], "looser");
}

#[test]
fn unusable_inputs_exit_2() {
    let dir = tempdir("nogit");
    copy_dir(Path::new(EXAMPLES), &dir);
    let out = compel(&dir, &["diff", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not inside a git repository") && err.contains("OLD_DIR NEW_DIR"), "{err}");

    let dir = repo("norev", "all-green.json");
    let out = compel(&dir, &["diff", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`no-such-branch` is not a git revision"));

    edit(&dir, "acme.compel", "sponsor        dana", "sponsor        nobody");
    let out = compel(&dir, &["diff", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the change does not compile"));
}

/// One change with something of each kind, in every format.
#[test]
fn snapshots_of_each_format() {
    let dir = repo("formats", "latency-spike.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    edit(&dir, "acme.compel", "target  >= 92%", "target  >= 90%");
    edit(&dir, "acme.compel", "target <= 250ms", "target <= 0.25s");
    edit(&dir, "acme.compel", "require avg(feature_psi, 7d) < 0.15", "require avg(feature_psi, 7d) < 0.1");
    edit(&dir, "acme.compel", "sponsor        dana", "sponsor        priya");
    for format in ["human", "json", "markdown", "github"] {
        let out = compel(&dir, &["diff", "HEAD", "--now", NOW, "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        insta::assert_snapshot!(format!("format_{format}"), String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn the_json_report_matches_its_schema() {
    let dir = repo("schema", "latency-spike.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    edit(&dir, "acme.compel", "require accuracy", "expect  accuracy");
    let (_, report) = diff_json(&dir, &[]);
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let report_schema = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
    let report_schema: Value = serde_json::from_str(&std::fs::read_to_string(report_schema).unwrap()).unwrap();
    compiler.add_resource("https://compel.example/schemas/report.schema.json", report_schema).unwrap();
    let id = compiler.compile(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diff.schema.json"), &mut schemas).unwrap();
    if let Err(e) = schemas.validate(&report, id) {
        panic!("{e:#}");
    }
}

#[test]
fn init_writes_a_project_that_checks_evaluates_tests_and_formats_clean() {
    let dir = tempdir("init");
    let out = compel(&dir, &["init", "starter"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let project = dir.join("starter");
    for args in [
        &["check", "."][..],
        &["eval", "."],
        &["eval", ".", "--ready", "all"],
        &["test", "."],
        &["fmt", "--check", "."],
    ] {
        let out = compel(&project, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "compel {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let check = compel(&project, &["check", ".", "--format", "json"]);
    let json: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 0, "{json:#}");
    // It refuses to overwrite, and writes nothing then.
    std::fs::remove_file(project.join("governance_test.compel")).unwrap();
    let before = std::fs::read_to_string(project.join("governance.compel")).unwrap();
    std::fs::write(project.join("governance.compel"), "// mine\n").unwrap();
    let out = compel(&dir, &["init", "starter"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not overwrite"));
    assert_eq!(std::fs::read_to_string(project.join("governance.compel")).unwrap(), "// mine\n");
    assert!(!project.join("governance_test.compel").exists());
    assert!(before.contains("What to change first"));
}

/// `compel init`'s project in a git repository, committed.
fn init_repo(name: &str) -> PathBuf {
    let dir = tempdir(name);
    let out = compel(&dir, &["init", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = dir.join("p");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "base"]);
    dir
}

#[test]
fn a_policy_the_change_newly_violates_blocks_like_check() {
    let dir = init_repo("violate");
    edit(&dir, "governance.compel", "role CEO", "role manager");
    assert_eq!(compel(&dir, &["check", "."]).status.code(), Some(1), "check refuses it");
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!(code, 1, "{report:#}");
    let c = one(&report, "policy_violated");
    assert_eq!(c["blocks"], true);
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("E0701") && message.contains("csuite_sponsor"), "{message}");
    assert_eq!(c["subjects"][0], "program ai_program");
    assert_eq!(report["summary"]["blocking"], 1);
    assert_eq!(report["summary"]["looser"], 0, "a blocking change counts as blocking only");
    // A violation the base already holds is not the change's doing.
    git(&dir, &["commit", "-qam", "violated"]);
    let (code, report) = diff_json(&dir, &[]);
    assert_eq!((code, report["changes"].as_array().unwrap().len()), (0, 0), "{report:#}");
    // GitHub titles say it blocks.
    let out = compel(&dir, &["diff", "HEAD~1", "--format", "github"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("title=compel diff%3A policy violated (blocks)"), "{text}");
}

#[test]
fn a_missing_new_folder_is_e0105() {
    let old = tempdir("old105");
    copy_dir(Path::new(EXAMPLES), &old);
    let missing = old.with_file_name("compel-diff-no-such-folder");
    let out = compel(&std::env::temp_dir(), &["diff", old.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E0105") && err.contains("does not exist") && !err.contains("git"), "{err}");
}

#[test]
fn removed_items_are_located_in_the_base() {
    let dir = repo("removedat", "all-green.json");
    let policy = "\npolicy owners for initiative {\n  require owner != \"\"\n    because \"someone must own it\"\n}\n";
    let mut text = std::fs::read_to_string(dir.join("acme.compel")).unwrap();
    let line = text.lines().count() + 2;
    text.push_str(policy);
    std::fs::write(dir.join("acme.compel"), &text).unwrap();
    git(&dir, &["commit", "-qam", "owners"]);
    std::fs::write(dir.join("acme.compel"), text.replace(policy, "")).unwrap();
    let (_, report) = diff_json(&dir, &[]);
    let c = one(&report, "policy_removed");
    assert_eq!(
        (c["file"].as_str(), c["line"].as_u64(), c["in_base"].as_bool()),
        (Some("acme.compel"), Some(line as u64), Some(true))
    );
    let out = compel(&dir, &["diff", "HEAD"]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains(&format!("at acme.compel:{line} (base)")), "{human}");
    let out = compel(&dir, &["diff", "HEAD", "--format", "markdown"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains(&format!("`acme.compel` line {line} (base)")), "{md}");
    let out = compel(&dir, &["diff", "HEAD", "--format", "github"]);
    let gh = String::from_utf8_lossy(&out.stdout);
    assert!(
        gh.lines().any(|l| l.contains("policy removed") && !l.contains("file=")),
        "no annotation on a line the change lacks: {gh}"
    );
}

#[test]
fn markdown_shows_a_passing_gate_under_both_gates() {
    let dir = repo("mdpass", "all-green.json");
    edit(&dir, "acme.compel", STAGE, "stage          produce");
    let out = compel(&dir, &["diff", "HEAD", "--now", NOW, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("gate `model -> produce`: **warn** (under the change's gates: warn; under the base's gates: warn)"),
        "{md}"
    );
}

#[test]
fn a_base_that_does_not_compile_is_shown_at_its_revision() {
    let dir = repo("badbase", "all-green.json");
    std::fs::write(dir.join("bad.compel"), "broken {\n").unwrap();
    git(&dir, &["add", "bad.compel"]);
    git(&dir, &["commit", "-qm", "bad"]);
    std::fs::remove_file(dir.join("bad.compel")).unwrap();
    let out = compel(&dir, &["diff", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.compel (at HEAD):1:8"), "{err}");
    assert!(err.contains("`git show HEAD:bad.compel`") && !err.contains("compel check"), "{err}");
}

/// Each edit of a fact a policy or gate reads, in `compel init`'s project,
/// and who reads it.
#[test]
fn facts_a_policy_reads_are_changes() {
    let cases = [
        ("review_every 30d", "review_every 60d", "policy `executive_attention`"),
        ("last_review  ", "last_review  2000-01-01 // ", "policy `executive_attention`"),
        ("versioned true", "versioned false", "gate `model -> produce`"),
        ("role CEO", "role CFO", "policy `csuite_sponsor`"),
    ];
    let dir = init_repo("facts");
    let original = std::fs::read_to_string(dir.join("governance.compel")).unwrap();
    for (from, to, reader) in cases {
        std::fs::write(dir.join("governance.compel"), &original).unwrap();
        edit(&dir, "governance.compel", from, to);
        let (code, report) = diff_json(&dir, &[]);
        assert_eq!(code, 0, "{from} -> {to}: {report:#}");
        let c = one(&report, "fact_changed");
        assert_eq!(c["class"], "changed", "{from} -> {to}");
        assert!(c["message"].as_str().unwrap().contains(reader), "{from} -> {to}: {c:#}");
        let (code, _) = diff_json(&dir, &["--deny", "looser"]);
        assert_eq!(code, 1, "{from} -> {to} is denied as not proven stricter");
    }
}

/// A `where` edit is shown itself, widened (stricter), narrowed to other
/// subjects (changed), or shrunk (looser).
#[test]
fn a_where_edit_is_shown_and_classified_as_a_set() {
    let policy = "\npolicy staged for initiative where stage == model {\n  require owner != \"\"\n    because \"someone must own it\"\n}\n";
    let cases = [
        ("where stage == model", "where stage in [model, produce]", "stricter"),
        ("where stage == model", "where stage == produce", "changed"),
        ("where stage == model", "where stage in [model]", "same"),
    ];
    let dir = repo("where", "all-green.json");
    let mut text = std::fs::read_to_string(dir.join("acme.compel")).unwrap();
    text.push_str(policy);
    std::fs::write(dir.join("acme.compel"), &text).unwrap();
    git(&dir, &["commit", "-qam", "staged"]);
    for (from, to, class) in cases {
        std::fs::write(dir.join("acme.compel"), &text).unwrap();
        edit(&dir, "acme.compel", from, to);
        let (_, report) = diff_json(&dir, &[]);
        let c = one(&report, "where_changed");
        assert_eq!(c["class"], class, "{from} -> {to}: {report:#}");
        assert_eq!(c["new"], to.trim_start_matches("where "), "{c:#}");
    }
    // Back from the widest: looser.
    let wide = text.replace("where stage == model", "where stage in [model, produce]");
    std::fs::write(dir.join("acme.compel"), &wide).unwrap();
    git(&dir, &["commit", "-qam", "wide"]);
    std::fs::write(dir.join("acme.compel"), &text).unwrap();
    let (_, report) = diff_json(&dir, &[]);
    assert_eq!(one(&report, "where_changed")["class"], "looser", "{report:#}");
}

#[test]
fn a_kpi_renamed_with_its_measure_is_hinted_as_a_rename() {
    let dir = repo("rename", "all-green.json");
    edit(&dir, "acme.compel", "kpi accuracy {", "kpi holdout_accuracy {");
    edit(&dir, "acme.compel", "kpis           [accuracy,", "kpis           [holdout_accuracy,");
    edit(&dir, "acme.compel", "require accuracy", "require holdout_accuracy");
    edit(&dir, "acme_test.compel", "expect kpi accuracy", "expect kpi holdout_accuracy");
    let (_, report) = diff_json(&dir, &[]);
    let c = one(&report, "kpi_renamed");
    assert_eq!((c["old"].as_str(), c["new"].as_str()), (Some("accuracy"), Some("holdout_accuracy")), "{c:#}");
    assert_eq!(c["class"], "info");
    one(&report, "declaration_removed");
    one(&report, "declaration_added");
    // A different measure is no rename.
    edit(&dir, "acme.compel", "metric  \"fraud_model_accuracy\"", "metric  \"fraud_model_recall\"");
    let (_, report) = diff_json(&dir, &[]);
    assert!(of_kind(&report, "kpi_renamed").is_empty(), "{report:#}");
}

#[test]
fn a_derived_kpis_changed_formula_is_a_change_of_measure() {
    let dir = repo("derived", "all-green.json");
    let kpi = "\nkpi fraud_score {\n  value  0.5 * accuracy\n  target >= 0.4\n}\n";
    let mut text = std::fs::read_to_string(dir.join("acme.compel")).unwrap();
    text.push_str(kpi);
    std::fs::write(dir.join("acme.compel"), &text).unwrap();
    git(&dir, &["commit", "-qam", "score"]);
    edit(&dir, "acme.compel", "value  0.5 * accuracy", "value  0.6 * accuracy");
    let (code, report) = diff_json(&dir, &["--deny", "looser"]);
    assert_eq!(code, 1, "{report:#}");
    let c = one(&report, "measure_changed");
    assert_eq!(
        c["message"], "KPI `fraud_score` is measured differently: `value` `0.5 * accuracy` -> `0.6 * accuracy`",
        "{c:#}"
    );
}
