//! The CI formats as their consumers read them: the real binary's output
//! fed to the consumers' own validators.
//!
//! - SARIF: Microsoft's `sarif-multitool validate --rule-kind
//!   "Ghas;Sarif;GHAzDO"` (npm `@microsoft/sarif-multitool`, which needs
//!   Debian's `libicu72`) over `compel check` of the broken fixtures, from
//!   two working directories and with absolute paths, and over the log of
//!   an unusable input: zero errors.
//! - JUnit: `xmllint --schema tests/schemas/junit-10.xsd` (Debian's
//!   `libxml2-utils`) over `eval` and `test` reports, passing, failing and
//!   exit 2.
//!
//! Without a validator the test prints a note and passes, except when `CI`
//! is set: there it fails, so CI cannot skip it silently (`.ci/run`
//! installs both). The rest (paths, fingerprints, exit codes, the GitHub
//! format) needs no tool.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const ACME: &str = "../shared/examples/acme";

fn compel_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("TF_BUILD")
        .output()
        .expect("the binary runs")
}

fn compel(args: &[&str]) -> Output {
    compel_in(Path::new(ROOT), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-outputs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Whether a validator can run; panics under CI when it cannot.
fn required(tool: &str, works: bool, install: &str) -> bool {
    if works {
        return true;
    }
    let note = format!("`{tool}` is not installed ({install})");
    if std::env::var_os("CI").is_some() {
        panic!("CI must validate with the real consumer's tool: {note}");
    }
    eprintln!("skipping the {tool} validation: {note}");
    false
}

// ---------------------------------------------------------------------------
// SARIF

/// The multitool's command: the `SARIF_MULTITOOL` variable, else
/// `sarif-multitool` on PATH. npm's launcher hands its arguments to a
/// shell, so the `;`-separated rule kinds are quoted for it.
fn multitool() -> Option<(String, bool)> {
    let program = std::env::var("SARIF_MULTITOOL").unwrap_or_else(|_| "sarif-multitool".to_string());
    let works = Command::new(&program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        return None;
    }
    let path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(&program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(&program));
    let head = std::fs::read(&path).map(|b| b.into_iter().take(64).collect::<Vec<u8>>()).unwrap_or_default();
    let through_node =
        String::from_utf8_lossy(&head).starts_with("#!") && String::from_utf8_lossy(&head).contains("node");
    Some((program, through_node))
}

/// The errors and warnings the multitool reports for SARIF files (one run
/// over all of them: the tool takes seconds to start), each line naming
/// its file.
fn validate_sarif(tool: &(String, bool), files: &[PathBuf]) -> (Vec<String>, Vec<String>) {
    let (program, through_shell) = tool;
    let out = std::env::temp_dir().join(format!("compel-outputs-{}-validation.sarif", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let kinds = if *through_shell { "'Ghas;Sarif;GHAzDO'" } else { "Ghas;Sarif;GHAzDO" };
    let quote = |p: &Path| {
        let text = p.to_string_lossy().into_owned();
        if *through_shell {
            format!("'{text}'")
        } else {
            text
        }
    };
    let o = Command::new(program)
        .args(["validate", "--rule-kind", kinds, "--output"])
        .arg(quote(&out))
        .args(files.iter().map(|f| quote(f)))
        .output()
        .expect("the multitool runs");
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|_| panic!("the multitool wrote no log: {}\n{}", stdout(&o), stderr(&o)));
    let log: Value = serde_json::from_str(&text).expect("the multitool's log is JSON");
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for result in log["runs"][0]["results"].as_array().into_iter().flatten() {
        let file = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or("?");
        let file = file.rsplit('/').next().unwrap_or(file);
        let line = format!("{file}: {} {}", result["ruleId"].as_str().unwrap_or("?"), result["message"]);
        match result["level"].as_str().unwrap_or("warning") {
            "error" => errors.push(line),
            "warning" => warnings.push(line),
            _ => {}
        }
    }
    // A rule that crashes on a log is as bad as a rule that rejects it.
    for notification in log["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array().into_iter().flatten()
    {
        if notification["level"] == "error" {
            errors.push(format!("the multitool failed: {}", notification["message"]));
        }
    }
    (errors, warnings)
}

/// `compel check --format sarif` of `args` run in `dir`, written to a file.
fn check_sarif(dir: &Path, args: &[&str], out: &Path) -> Value {
    let mut all = vec!["check", "--format", "sarif"];
    all.extend_from_slice(args);
    let o = compel_in(dir, &all);
    assert!(matches!(o.status.code(), Some(1 | 2)), "{}", stderr(&o));
    std::fs::write(out, &o.stdout).expect("write the log");
    serde_json::from_slice(&o.stdout).expect("SARIF is JSON")
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results")
}

#[test]
fn sarif_passes_the_multitool_from_any_directory_and_with_absolute_paths() {
    let dir = tempdir("sarif");
    let root = Path::new(ROOT);
    let fixtures = root.join("tests/fixtures/check");
    let absolute = fixtures.to_string_lossy().into_owned();
    let logs = [
        ("from-root.sarif", root.to_path_buf(), "tests/fixtures/check".to_string()),
        ("from-fixtures.sarif", fixtures.clone(), ".".to_string()),
        ("absolute-from-tmp.sarif", std::env::temp_dir(), absolute.clone()),
        ("absolute-from-root.sarif", root.to_path_buf(), absolute),
    ];
    let mut parsed = Vec::new();
    for (name, cwd, path) in &logs {
        let log = check_sarif(cwd, &[path], &dir.join(name));
        parsed.push(log);
    }
    // The same results wherever compel runs: paths relative to the root.
    let root_uri = &parsed[0]["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"];
    assert!(root_uri.as_str().unwrap().starts_with("file:///") && root_uri.as_str().unwrap().ends_with('/'));
    // Messages may name paths as given; where a result is and its identity
    // may not depend on it.
    let places = |log: &Value| -> Vec<String> {
        results(log)
            .iter()
            .map(|r| {
                let location = &r["locations"][0]["physicalLocation"];
                format!(
                    "{} {} {} {}",
                    r["ruleId"], location["artifactLocation"], location["region"], r["partialFingerprints"]
                )
            })
            .collect()
    };
    for (log, (name, _, _)) in parsed.iter().zip(&logs).skip(1) {
        assert_eq!(&log["runs"][0]["originalUriBaseIds"], &parsed[0]["runs"][0]["originalUriBaseIds"], "{name}");
        let (got, want) = (places(log), places(&parsed[0]));
        let differ: Vec<_> = got.iter().zip(&want).filter(|(g, w)| g != w).take(3).collect();
        assert!(got.len() == want.len() && differ.is_empty(), "{name} places results elsewhere: {differ:#?}");
    }
    assert!(results(&parsed[0]).len() > 30, "the broken fixtures report many problems");
    for result in results(&parsed[0]) {
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        let uri = artifact["uri"].as_str().unwrap();
        // Relative to the root (in a clone, the git top level).
        assert!(!uri.starts_with('/') && !uri.contains("..") && uri.ends_with(".compel"), "{uri}");
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
        for related in result["relatedLocations"].as_array().into_iter().flatten() {
            let uri = related["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or("");
            assert!(!uri.starts_with("std/"), "the stdlib is in no repository: {related}");
        }
    }

    // An input that cannot be used: a valid log recording the failure.
    let failed = dir.join("unusable.sarif");
    let log = check_sarif(root, &["no/such/folder"], &failed);
    assert_eq!(log["runs"][0]["invocations"][0]["executionSuccessful"], false);

    let Some(tool) = multitool() else {
        required("sarif-multitool", false, "npm install -g @microsoft/sarif-multitool; it needs libicu72");
        return;
    };
    let files: Vec<PathBuf> = logs.iter().map(|(n, _, _)| dir.join(n)).chain([failed]).collect();
    let (errors, warnings) = validate_sarif(&tool, &files);
    if !warnings.is_empty() {
        eprintln!("{} warning(s):\n{}", warnings.len(), warnings.join("\n"));
    }
    assert!(
        errors.is_empty(),
        "the multitool rejects compel's SARIF: {} error(s)\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn sarif_fingerprints_do_not_move_with_unrelated_lines() {
    let repo = tempdir("fingerprints");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("policies")).unwrap();
    let text = "kpi accuracy {\n  metric \"m\"\n  target >= 92%\n}\n\ninitiative a {\n  owner \"x\"\n  stage model\n  kpis  [acuracy]\n}\n\ninitiative b {\n  owner \"x\"\n  stage model\n  kpis  [acuracy]\n}\n\n// Governed, so the only results are the two misspelt KPIs.\npolicy owned for initiative {\n  require owner == \"x\"\n}\n";
    let file = repo.join("policies/p.compel");
    std::fs::write(&file, text).unwrap();
    let before = check_sarif(&repo.join("policies"), &["p.compel"], &repo.join("before.sarif"));
    std::fs::write(&file, format!("// moved down\n\n\n{}", text.replace("initiative b", "\n\ninitiative b"))).unwrap();
    let after = check_sarif(&repo, &["policies"], &repo.join("after.sarif"));
    let fingerprints = |log: &Value| -> Vec<(String, String)> {
        results(log)
            .iter()
            .map(|r| {
                let uri =
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap().to_string();
                (uri, r["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap().to_string())
            })
            .collect()
    };
    assert_eq!(fingerprints(&before), fingerprints(&after));
    assert_eq!(fingerprints(&before)[0].0, "policies/p.compel", "relative to the `.git` folder's root");
    let lines = |log: &Value| -> Vec<u64> {
        results(log)
            .iter()
            .map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap())
            .collect()
    };
    assert_ne!(lines(&before), lines(&after), "the lines did move");
    let ids: Vec<String> = fingerprints(&before).into_iter().map(|(_, f)| f).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "two results on identical lines are told apart by their occurrence");
}

#[test]
fn sarif_carries_the_azure_devops_pipeline_when_run_in_one() {
    let o = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["check", "--format", "sarif", "tests/fixtures/check/names/unknown_near.compel"])
        .current_dir(ROOT)
        .env("TF_BUILD", "True")
        .env("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/")
        .env("SYSTEM_TEAMPROJECT", "governance")
        .env("SYSTEM_DEFINITIONID", "42")
        .env("BUILD_DEFINITIONNAME", "policies")
        .env("SYSTEM_PHASEID", "3dc8fd7e-4368-5a92-293e-d53cefc8c4c3")
        .env("SYSTEM_PHASENAME", "check")
        .env("BUILD_SOURCEBRANCH", "refs/heads/main")
        .env("BUILD_BUILDID", "1234")
        .output()
        .unwrap();
    let log: Value = serde_json::from_slice(&o.stdout).expect("SARIF");
    let details = &log["runs"][0]["automationDetails"];
    assert_eq!(
        details["id"],
        "azuredevops/pipeline/build/acme/governance/42/3dc8fd7e-4368-5a92-293e-d53cefc8c4c3/refs/heads/main/1234"
    );
    assert_eq!(details["properties"]["azuredevops/pipeline/build/buildDefinitionId"], "42");
    assert_eq!(details["properties"]["azuredevops/pipeline/build/phaseName"], "check");
    // Outside a pipeline: the documented placeholders, the same every run.
    let local: Value =
        serde_json::from_slice(&compel(&["check", "--format", "sarif", "tests/fixtures/check/ok"]).stdout).unwrap();
    assert_eq!(
        local["runs"][0]["automationDetails"]["properties"]["azuredevops/pipeline/build/buildDefinitionId"],
        "-1"
    );
}

// ---------------------------------------------------------------------------
// Exit codes

#[test]
fn an_unusable_input_is_exit_2_with_e0105_for_every_command() {
    let commands: [&[&str]; 5] = [
        &["check", "no/such.compel"],
        &["check", "no/such.compel", "--format", "json"],
        &["eval", "no/such.compel", "--metrics", "x.json"],
        &["test", "no/such.compel"],
        &["fmt", "no/such.compel"],
    ];
    for args in commands {
        let o = compel(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("error[E0105]: `no/such.compel` does not exist"), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}: nothing on stdout");
    }
    // A metrics file that cannot be read is an unusable input too.
    let o = compel(&["eval", ACME, "--metrics", "no/such.json", "--now", "2026-11-24T00:00:00Z"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[E0105]: cannot read metrics file `no/such.json`"), "{}", stderr(&o));
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_that_cannot_be_read_is_exit_2_not_a_policy_error() {
    // `/proc/self/mem` exists but reading its first page fails (even for
    // root, whom file permissions do not stop).
    for format in ["human", "json", "github"] {
        let o = compel(&["check", "/proc/self/mem", "--format", format]);
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        assert!(stderr(&o).contains("error[E0105]: cannot read `/proc/self/mem`"), "{}", stderr(&o));
        assert_eq!(stdout(&o), "", "{format}: the reason is on stderr only");
    }
    let o = compel(&["check", "/proc/self/mem", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&o.stdout).expect("a SARIF log");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(invocation["toolExecutionNotifications"][0]["associatedRule"]["id"], "E0105");
    for args in
        [&["fmt", "/proc/self/mem"][..], &["test", "/proc/self/mem"], &["eval", "/proc/self/mem", "--metrics", "x"]]
    {
        let o = compel(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("E0105"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_file_that_is_not_utf8_is_exit_2() {
    for command in ["check", "fmt"] {
        let o = compel(&[command, "tests/fixtures/check/syntax/not_utf8.compel"]);
        assert_eq!(o.status.code(), Some(2), "{command}");
        assert!(stderr(&o).contains("error[E0104]"), "{command}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{command}");
    }
}

#[test]
fn test_exits_2_when_nothing_runs_unless_allowed() {
    let o = compel(&["test", ACME, "--filter", "zzz"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("no test matches `--filter zzz`"), "{}", stderr(&o));
    let o = compel(&["test", ACME, "--filter", "zzz", "--allow-empty"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("0 passed, 0 failed\n"), "{}", stdout(&o));
    let o = compel(&["test", "tests/fixtures/check/ok"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no tests found"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------
// GitHub

/// A file with `n` unknown names, each an error.
fn many_errors(dir: &Path, n: usize) -> PathBuf {
    let kpis: Vec<String> = (0..n).map(|i| format!("missing_{i}")).collect();
    // A policy governs the file, so the only diagnostics are the errors.
    let text = format!(
        "initiative a {{\n  owner \"x\"\n  stage model\n  kpis  [{}]\n}}\n\npolicy owned for initiative {{\n  require owner == \"x\"\n}}\n",
        kpis.join(", ")
    );
    let file = dir.join("many.compel");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn github_closes_with_a_notice_and_writes_the_job_summary() {
    let dir = tempdir("github");
    let file = many_errors(&dir, 13);
    let summary = dir.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["check", "--format", "github", "many.compel"])
        .current_dir(&dir)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().filter(|l| l.starts_with("::error ")).count(), 10, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("many.compel:4:")).count(), 3, "{out}");
    assert!(
        out.ends_with("::notice title=compel::3 errors not shown as annotations (GitHub shows 10 errors, 10 warnings and 10 notices per step); the log above lists every diagnostic\n"),
        "{out}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n## ❌ compel check: 13 errors\n"), "appended: {md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("| error | [`E0301`]")).count(), 13, "{md}");
    assert!(file.exists());

    // A check that cannot run says so in the summary too (stdout stays empty).
    let o = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["check", "--format", "github", "no/such.compel"])
        .current_dir(&dir)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(2), ""));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.ends_with("## ⛔ compel check could not run\n\n- error\\[E0105\\]: `no/such.compel` does not exist\n\n"),
        "{md}"
    );

    // Without the variable, nothing is written anywhere.
    let o = compel_in(&dir, &["check", "--format", "github", "many.compel"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), md);
}

// ---------------------------------------------------------------------------
// JUnit

/// JUnit text with the run's facts that vary (when, where, how long)
/// replaced, for snapshots.
fn redact(xml: &str) -> String {
    let mut out = String::new();
    for line in xml.lines() {
        let mut line = line.to_string();
        for key in ["timestamp", "hostname", "time"] {
            let needle = format!(" {key}=\"");
            if let Some(start) = line.find(&needle) {
                let value_start = start + needle.len();
                if let Some(len) = line[value_start..].find('"') {
                    line.replace_range(value_start..value_start + len, &format!("[{key}]"));
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn xmllint() -> bool {
    let works = Command::new("xmllint")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    required("xmllint", works, "Debian: apt-get install libxml2-utils")
}

/// Validates a JUnit report against Jenkins' junit-10.xsd; panics with
/// xmllint's complaint.
fn assert_valid_junit(name: &str, xml: &str) {
    let dir = tempdir("junit");
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, xml).unwrap();
    let o = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(Path::new(ROOT).join("tests/schemas/junit-10.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint runs");
    assert!(o.status.success(), "{name} is not valid JUnit:\n{}\n{xml}", stderr(&o));
}

/// The JUnit reports of the cases a CI job meets: name, arguments, exit.
const JUNIT_CASES: &[(&str, &[&str], i32)] = &[
    (
        "eval_blocked",
        &[
            "eval",
            ACME,
            "--metrics",
            "../shared/examples/acme/metrics/latency-spike.json",
            "--now",
            "2026-11-24T00:00:00Z",
            "--ready",
            "all",
        ],
        1,
    ),
    ("eval_unusable", &["eval", "no/such.compel", "--metrics", "x.json", "--now", "2026-11-24T00:00:00Z"], 2),
    (
        "eval_does_not_compile",
        &[
            "eval",
            "tests/fixtures/check/names/unknown_near.compel",
            "--metrics",
            "x.json",
            "--now",
            "2026-11-24T00:00:00Z",
        ],
        2,
    ),
    (
        "eval_not_ready",
        &[
            "eval",
            ACME,
            "--metrics",
            "../shared/examples/acme/metrics/latency-spike.json",
            "--now",
            "2026-11-24T00:00:00Z",
        ],
        0,
    ),
    ("test_failing", &["test", "tests/fixtures/test/spike/two_wrong.compel"], 1),
    ("test_cannot_run", &["test", "tests/fixtures/test/spike/missing_metrics.compel"], 2),
    ("test_none_match", &["test", ACME, "--filter", "zzz"], 2),
    ("test_passing", &["test", "stdlib/tests"], 0),
];

#[test]
fn junit_reports_are_valid_for_every_exit() {
    let validate = xmllint();
    for (name, args, exit) in JUNIT_CASES {
        let mut all = args.to_vec();
        all.extend(["--format", "junit"]);
        let o = compel(&all);
        assert_eq!(o.status.code(), Some(*exit), "{name}: {}", stderr(&o));
        let xml = stdout(&o);
        assert!(!xml.contains(" file=\"") && !xml.contains(" line=\""), "{name}: no file/line attributes");
        for case in xml.split("<testcase ").skip(1) {
            let case = case.split("</testcase>").next().unwrap_or_default();
            assert!(case.matches("<failure").count() <= 1, "{name}: one failure per test case");
        }
        if validate {
            assert_valid_junit(name, &xml);
        }
        if !name.ends_with("_passing") && *name != "eval_blocked" {
            insta::assert_snapshot!(format!("junit_{name}"), redact(&xml));
        }
    }
}

#[test]
fn junit_times_and_hosts_are_recorded() {
    let o = compel(&["test", "tests/fixtures/test/spike/wrong.compel", "--format", "junit"]);
    let xml = stdout(&o);
    let suite = xml.lines().find(|l| l.trim_start().starts_with("<testsuite ")).unwrap();
    let value = |key: &str| {
        let start = suite.find(&format!(" {key}=\"")).unwrap_or_else(|| panic!("no {key}: {suite}")) + key.len() + 3;
        suite[start..start + suite[start..].find('"').unwrap()].to_string()
    };
    let timestamp = value("timestamp");
    assert_eq!(timestamp.len(), 19, "{timestamp}");
    assert!(compel::eval::metrics::parse_rfc3339(&format!("{timestamp}Z")).is_some(), "{timestamp}");
    assert!(!value("hostname").is_empty());
    let time: f64 = value("time").parse().unwrap();
    assert!(time >= 0.0);
    assert!(xml.contains(&format!("<property name=\"compel.version\" value=\"{}\"/>", env!("CARGO_PKG_VERSION"))));
}
