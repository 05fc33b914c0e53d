//! `compel compile --target prometheus`: the rules for the example and the
//! fixtures are accepted by `promtool check rules`, hostile text stays
//! text, and `promtool test rules` shows the latency alert firing exactly
//! when a sample breaks the target.
//!
//! promtool (Debian: `apt-get install prometheus`) is required when `CI`
//! is set; elsewhere its checks are skipped with a message.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use compel::compile::prometheus::{promql_string, yaml_str};

fn compel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compel")).args(args).output().expect("compel runs")
}

fn promtool_available() -> bool {
    let works = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if works {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI must check the compiled rules with promtool (Debian: apt-get install prometheus)");
    }
    eprintln!("skipping promtool checks: promtool is not on PATH (Debian: apt-get install prometheus)");
    false
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-compile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Compiles `paths` into `dir/rules.yml` and returns the YAML and stderr.
fn compile_to(dir: &Path, paths: &[&str], target: &str) -> (String, String) {
    let out = dir.join("rules.yml");
    let mut args = vec!["compile"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["--target", target, "-o", out.to_str().expect("utf-8 path")]);
    let o = compel(&args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "compile failed: {stderr}");
    (std::fs::read_to_string(&out).expect("rules written"), stderr)
}

fn promtool(args: &[&str], dir: &Path) -> String {
    let o = Command::new("promtool").args(args).current_dir(dir).output().expect("promtool runs");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

fn check_rules(dir: &Path, expected_rules: usize) {
    if !promtool_available() {
        return;
    }
    let text = promtool(&["check", "rules", "rules.yml"], dir);
    assert!(text.contains(&format!("SUCCESS: {expected_rules} rules found")), "{text}");
}

fn count(yaml: &str, prefix: &str) -> usize {
    yaml.lines().filter(|l| l.trim_start().starts_with(prefix)).count()
}

#[test]
fn acme_compiles_to_rules_promtool_accepts() {
    let dir = scratch("acme");
    let (yaml, stderr) = compile_to(&dir, &["../shared/examples/acme"], "prometheus");
    // Nothing is dropped silently: what PromQL cannot say is listed.
    assert!(
        stderr.contains("decided by compel serve: scoring_v2 model -> produce: require avg(feature_psi, 7d) < 0.15")
    );
    assert!(stderr.contains("expect program.approved_until > today + 90d"), "{stderr}");
    assert!(yaml.contains("#   scoring_v2 model -> produce: require avg(feature_psi, 7d) < 0.15"));
    // A daily KPI is read over its max_age, never through the 5-minute lookback.
    assert!(yaml.contains("last_over_time(fraud_model_accuracy{model=\\\"scoring-v2\\\"}[2d])"));
    assert!(yaml.contains(">= bool 92)"), "a percent KPI's bound is in percent points");
    // The readiness needs `avg(feature_psi, 7d)`: no readiness rule for it.
    assert!(!yaml.contains("compel:initiative_ready"));
    let rules = count(&yaml, "- record:") + count(&yaml, "- alert:");
    check_rules(&dir, rules);
}

#[test]
fn small_fixture_snapshot_and_promtool() {
    let dir = scratch("small");
    let (yaml, stderr) = compile_to(&dir, &["tests/fixtures/compile/small.compel"], "prometheus");
    assert!(stderr.is_empty() || !stderr.contains("decided by compel serve"), "{stderr}");
    // Exact conversions: 246s is 4.1 minutes; 20m is a third of an hour.
    assert!(yaml.contains("< bool 4.1)"), "{yaml}");
    assert!(yaml.contains("<= bool (1 / 3))"), "{yaml}");
    // `for` is decided over the window, never by an alert's `for:`.
    assert!(!yaml.contains("\n    for:"));
    assert!(yaml.contains("min_over_time(model_accuracy[7d])"));
    assert!(yaml.contains("offset 7d"));
    insta::assert_snapshot!("compile_small_prometheus", yaml);
    let rules = count(&yaml, "- record:") + count(&yaml, "- alert:");
    check_rules(&dir, rules);
}

#[test]
fn operator_target_wraps_the_same_groups() {
    let dir = scratch("operator");
    let (plain, _) = compile_to(&dir, &["tests/fixtures/compile/small.compel"], "prometheus");
    let (op, _) = compile_to(&dir, &["tests/fixtures/compile/small.compel"], "prometheus-operator");
    assert!(op.contains("kind: \"PrometheusRule\"") && op.contains("apiVersion: \"monitoring.coreos.com/v1\""));
    // The spec's groups, de-indented, are the plain file's groups.
    let spec: String = op
        .split_once("spec:\n")
        .map(|(_, s)| s.lines().map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l))).collect())
        .unwrap_or_default();
    let groups = plain.split_once("groups:").map(|(_, g)| format!("groups:{g}")).unwrap_or_default();
    assert_eq!(spec, groups);
    std::fs::write(dir.join("rules.yml"), &spec).expect("write spec");
    check_rules(&dir, count(&spec, "- record:") + count(&spec, "- alert:"));
}

#[test]
fn hostile_text_stays_text() {
    let dir = scratch("hostile");
    let (yaml, _) = compile_to(&dir, &["tests/fixtures/compile/hostile.compel"], "prometheus");
    // Two recording rules, three alerts, one criterion, one readiness rule: nothing more.
    assert_eq!(count(&yaml, "- record:"), 4, "{yaml}");
    assert_eq!(count(&yaml, "- alert:"), 3, "{yaml}");
    // Only the labels compel writes.
    for line in yaml.lines().filter(|l| l.starts_with("      ") && !l.starts_with("       ")) {
        let key = line.trim_start().split(':').next().unwrap_or("");
        let allowed = [
            "kpi",
            "initiative",
            "program",
            "owner",
            "severity",
            "unit",
            "from",
            "to",
            "criterion",
            "because",
            "summary",
        ];
        assert!(allowed.contains(&key), "unexpected key in {line:?}");
    }
    check_rules(&dir, 7);
    if !promtool_available() {
        return;
    }
    // The alert carries the policy's text literally: no template ran.
    let series = format!("{{__name__=\"odd-metric.name\", env=\"{}\"}}", promql_string("a\"b\\c\nd}e"));
    let test = format!(
        "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n  - series: {}\n    values: \"300\"\n  alert_rule_test:\n  - eval_time: 0m\n    alertname: CompelKpiMissed\n    exp_alerts:\n    - exp_labels:\n        kpi: weird\n        initiative: hostile\n        owner: {}\n        severity: critical\n      exp_annotations:\n        criterion: \"require weird\"\n        because: {}\n        summary: \"KPI weird misses its target <= 250ms\"\n",
        yaml_str(&series),
        yaml_str("x: # {{ $value }} 'q' \"r\""),
        yaml_str("key: value # not a comment {a: b} 'quoted' {{ .Labels }}"),
    );
    std::fs::write(dir.join("test.yml"), test).expect("write test");
    promtool(&["test", "rules", "test.yml"], &dir);
}

#[test]
fn latency_alert_fires_exactly_when_a_sample_breaks_the_target() {
    let dir = scratch("latency");
    compile_to(&dir, &["tests/fixtures/compile/small.compel"], "prometheus");
    if !promtool_available() {
        return;
    }
    let labels = "        kpi: latency\n        initiative: scoring\n        program: ai\n        owner: \"ml-platform@example.com\"\n        severity: critical\n";
    let annotations = "      exp_annotations:\n        criterion: \"require latency\"\n        summary: \"KPI latency misses its target <= 250ms\"\n";
    // Samples at 0m..4m: 200, 250 (the bound itself meets it), 251, 200.
    // Then nothing: after the 1h max_age the KPI is unknown, not missed.
    let test = format!(
        "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n  - series: 'api_latency_p95{{service=\"scoring\"}}'\n    values: \"200 250 251 200\"\n  alert_rule_test:\n  - eval_time: 0m\n    alertname: CompelKpiMissed\n    exp_alerts: []\n  - eval_time: 1m\n    alertname: CompelKpiMissed\n    exp_alerts: []\n  - eval_time: 2m\n    alertname: CompelKpiMissed\n    exp_alerts:\n    - exp_labels:\n{labels}{annotations}  - eval_time: 3m\n    alertname: CompelKpiMissed\n    exp_alerts: []\n  - eval_time: 2h\n    alertname: CompelKpiMissed\n    exp_alerts: []\n  promql_expr_test:\n  - expr: compel:kpi_target_met{{kpi=\"latency\"}}\n    eval_time: 2m\n    exp_samples:\n    - labels: 'compel:kpi_target_met{{kpi=\"latency\", initiative=\"scoring\", program=\"ai\"}}'\n      value: 0\n  - expr: compel:kpi_target_met{{kpi=\"latency\"}}\n    eval_time: 1m\n    exp_samples:\n    - labels: 'compel:kpi_target_met{{kpi=\"latency\", initiative=\"scoring\", program=\"ai\"}}'\n      value: 1\n",
    );
    std::fs::write(dir.join("test.yml"), test).expect("write test");
    promtool(&["test", "rules", "test.yml"], &dir);
}

/// `compile --tests` for `paths` into `dir`: the rules, the test file.
fn compile_with_tests(dir: &Path, paths: &[&str]) -> (String, String) {
    let (rules, tests) = (dir.join("rules.yml"), dir.join("tests.yml"));
    let mut args = vec!["compile"];
    args.extend_from_slice(paths);
    let (r, t) = (rules.to_str().expect("utf-8"), tests.to_str().expect("utf-8"));
    args.extend_from_slice(&["--target", "prometheus", "-o", r, "--tests", t]);
    let o = compel(&args);
    assert!(o.status.success(), "compile --tests failed: {}", String::from_utf8_lossy(&o.stderr));
    (std::fs::read_to_string(rules).expect("rules"), std::fs::read_to_string(tests).expect("tests"))
}

/// promtool's verdict on a test file, without asserting it.
fn promtool_test(dir: &Path, file: &str) -> (bool, String) {
    let o = Command::new("promtool").args(["test", "rules", file]).current_dir(dir).output().expect("promtool runs");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn acme_tests_hold_prometheus_to_compels_decisions() {
    let dir = scratch("acme-tests");
    let (_, tests) = compile_with_tests(&dir, &["../shared/examples/acme"]);
    // One group per `test` block, evaluated at its `now` (7 days after the
    // first sample), series read from the example's metric files.
    assert_eq!(tests.matches("  - interval: 1d").count(), 2, "{tests}");
    assert!(tests.contains("eval_time: 7d") && tests.contains("eval_time: 0s"), "{tests}");
    assert!(tests.contains("values: \"180 190 260 200 210 205 199\""), "{tests}");
    // The 7-day `for` as compel decides it: broken by the spike, held on
    // green metrics, unknown (not held) on one snapshot.
    let lines: Vec<&str> = tests.lines().collect();
    let for_7d: Vec<&str> = (0..lines.len())
        .filter(|&i| lines[i].contains("- expr:") && lines[i].contains("require latency_p95 for 7d"))
        .map(|i| lines.get(i + 4).map_or("", |l| l.trim()))
        .collect();
    assert_eq!(for_7d, ["value: 0", "value: 1", "value: 0"], "{tests}");
    if !promtool_available() {
        return;
    }
    let (ok, text) = promtool_test(&dir, "tests.yml");
    assert!(ok, "Prometheus and compel disagree:\n{text}");
    // The check can fail: flip compel's decision and promtool objects.
    let flipped = tests.replacen("value: 0\n", "value: 1\n", 1);
    std::fs::write(dir.join("flipped.yml"), flipped).expect("write");
    let (ok, text) = promtool_test(&dir, "flipped.yml");
    assert!(!ok && text.contains("FAILED"), "{text}");
}

#[test]
fn inline_series_tests_prove_for_windows_staleness_and_ambiguity() {
    let dir = scratch("timed-tests");
    let (_, tests) = compile_with_tests(&dir, &["tests/fixtures/compile/timed"]);
    // Alerts compel expects to fire in the third test.
    for (alert, kpi) in [
        ("CompelKpiMissed", "latency"),
        ("CompelKpiStale", "retrain"),
        ("CompelKpiAmbiguous", "downtime"),
        ("CompelKpiAtRisk", "accuracy"),
    ] {
        let fired = tests
            .split(&format!("alertname: \"{alert}\"\n        exp_alerts:\n"))
            .skip(1)
            .any(|rest| rest.lines().take(3).any(|l| l.trim() == format!("kpi: \"{kpi}\"")));
        assert!(fired, "{alert} for {kpi} expected:\n{tests}");
    }
    // Gaps between samples are written as promtool blanks.
    assert!(tests.contains("_x"), "{tests}");
    if !promtool_available() {
        return;
    }
    let (ok, text) = promtool_test(&dir, "tests.yml");
    assert!(ok, "Prometheus and compel disagree:\n{text}");
}

#[test]
fn tests_need_the_plain_target_and_an_output() {
    let dir = scratch("tests-flags");
    let t = dir.join("t.yml");
    let o = compel(&[
        "compile",
        "tests/fixtures/compile/timed",
        "--target",
        "prometheus",
        "--tests",
        t.to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
    let r = dir.join("r.yml");
    let args = [
        "compile",
        "tests/fixtures/compile/timed",
        "--target",
        "prometheus-operator",
        "-o",
        r.to_str().expect("utf-8"),
        "--tests",
        t.to_str().expect("utf-8"),
    ];
    let o = compel(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs `--target prometheus`"));
}

#[test]
fn derived_kpis_record_their_formula_and_match_compels_decisions() {
    let dir = scratch("derived-tests");
    let (rules, tests) = compile_with_tests(&dir, &["tests/fixtures/compile/derived"]);
    // The test blocks (inline series of the inputs) pass in compel itself.
    let o = compel(&["test", "tests/fixtures/compile/derived"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // Each input is read as a plain KPI, within the smaller of its own
    // max_age and the derived KPI's (precision: 3d, utility: 2d), in its
    // base unit (percent / 100); a value that is not finite is none.
    assert!(rules.contains("last_over_time(model_auc[2d])"), "{rules}");
    assert!(rules.contains("(max(last_over_time(model_precision[2d])) and on() (count(last_over_time(model_precision[2d])) == 1)) / 100)"), "{rules}");
    assert!(rules.contains("last_over_time(model_precision[3d])"), "lift reads precision within its own 3d:\n{rules}");
    assert!(rules.contains("< Inf))"), "{rules}");
    // `for` over a derived KPI is listed, never dropped.
    assert!(rules.contains("expect utility for 3d (`for` over a derived KPI"), "{rules}");
    // The derived values compel computes exactly, compared within rounding.
    assert!(tests.contains("abs(compel:kpi_value{kpi=\\\"utility\\\""), "{tests}");
    if !promtool_available() {
        return;
    }
    check_rules(&dir, 32);
    let (ok, text) = promtool_test(&dir, "tests.yml");
    assert!(ok, "Prometheus and compel disagree:\n{text}");
    // The check can fail: another utility value and promtool objects.
    let flipped = tests.replacen("\\\"} - 0.72) <= bool", "\\\"} - 0.73) <= bool", 1);
    assert_ne!(flipped, tests);
    std::fs::write(dir.join("flipped.yml"), flipped).expect("write");
    let (ok, text) = promtool_test(&dir, "flipped.yml");
    assert!(!ok && text.contains("FAILED"), "{text}");
}
