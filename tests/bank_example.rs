//! The second acceptance example, `examples/bank`: Northwind Bank's model
//! risk governance (a Chief Risk Officer sponsor, the bank's own initiative
//! attributes, evidence with expiry, an LLM assistant under human review).
//! The real binary: `compel check` is clean, `compel test` passes every
//! `test` block, and `compel eval` gives the pinned reports (snapshots)
//! for a healthy month and for the days the evidence lapses; the composite
//! credit quality score (a derived KPI) with its formula and inputs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
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

fn eval(metrics: &str, now: &str, format: &str) -> Output {
    compel(&[
        "eval",
        "examples/bank",
        "--metrics",
        &format!("examples/bank/metrics/{metrics}"),
        "--now",
        now,
        "--format",
        format,
    ])
}

/// Validates a report against `docs/report.schema.json`.
fn validate(text: &str) {
    let value: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let index = compiler.compile(schema.to_str().expect("UTF-8 path"), &mut schemas).expect("schema");
    if let Err(e) = schemas.validate(&value, index) {
        panic!("the report does not match docs/report.schema.json:\n{e:#}\n\n{text}");
    }
}

#[test]
fn the_bank_checks_clean() {
    let o = compel(&["check", "examples/bank", "--deny-warnings"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o), "no problems found\n");
}

#[test]
fn the_banks_tests_pass() {
    let o = compel(&["test", "examples/bank"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    insta::assert_snapshot!("bank_test", stdout(&o));
}

#[test]
fn a_healthy_month_warns_that_the_assistants_review_is_due() {
    let o = eval("healthy.json", "2026-12-01T00:00:00Z", "human");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    insta::assert_snapshot!("bank_healthy_human", stdout(&o));
    let o = eval("healthy.json", "2026-12-01T00:00:00Z", "json");
    assert_eq!(o.status.code(), Some(0));
    let json = stdout(&o);
    validate(&json);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["outcome"], "warn");
    // The report carries the evidence with its status at `now`.
    let assistant = report["initiatives"].as_array().unwrap().iter().find(|i| i["name"] == "support_assistant");
    let evidence = &assistant.expect("support_assistant")["evidence"];
    assert_eq!(evidence[1]["name"], "review_2026");
    assert_eq!(evidence[1]["status"], "current");
    assert_eq!(evidence[1]["link"], "https://risk.northwind.example/reviews/support-v2-2026");
    // The composite score: its formula and each input's value at `now`,
    // its sample time the older input's.
    let credit = report["initiatives"].as_array().unwrap().iter().find(|i| i["name"] == "credit_scoring");
    let kpis = credit.expect("credit_scoring")["kpis"].as_array().unwrap().clone();
    let quality = kpis.iter().find(|k| k["name"] == "credit_quality").expect("credit_quality");
    assert_eq!(quality["status"], "met", "{quality}");
    assert_eq!(quality["derived"]["formula"], "0.8 * approval_auc + 0.2 * (1 - 10 * default_rate)");
    assert_eq!(quality["derived"]["inputs"][0]["kpi"], "approval_auc");
    assert_eq!(quality["derived"]["inputs"][1]["value"], 2.08);
    assert_eq!(quality["time"], "2026-11-30T00:00:00Z");
    insta::assert_snapshot!("bank_healthy_json", json);
}

#[test]
fn an_expired_review_blocks_the_assistant() {
    let o = eval("healthy.json", "2026-12-20T00:00:00Z", "json");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let json = stdout(&o);
    validate(&json);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["outcome"], "fail");
    let review = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "llm_human_review" && p["subject"] == "support_assistant")
        .expect("the policy on the assistant");
    assert_eq!(review["outcome"], "fail");
    let o = eval("healthy.json", "2026-12-20T00:00:00Z", "human");
    insta::assert_snapshot!("bank_review_expired_human", stdout(&o));
}

#[test]
fn one_group_drifting_fails_fairness_and_names_the_group() {
    let o = eval("group-drifting.json", "2026-12-01T00:00:00Z", "human");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("1 of 6 members missed: age_band=\"65+\", sex=\"female\""), "{out}");
    insta::assert_snapshot!("bank_group_drifting_human", out);
    let o = eval("group-drifting.json", "2026-12-01T00:00:00Z", "json");
    assert_eq!(o.status.code(), Some(1));
    let json = stdout(&o);
    validate(&json);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fairness = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "group_fairness" && p["subject"] == "credit_scoring")
        .expect("group_fairness on credit_scoring");
    assert_eq!(fairness["outcome"], "fail");
    assert_eq!(fairness["criteria"][1]["outcome"], "fail", "{fairness}");
    insta::assert_snapshot!("bank_group_drifting_json", json);
}
