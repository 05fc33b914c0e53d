//! End-to-end tests of `compel eval`, driving the real binary.
//!
//! Every row of `../shared/examples/EXPECTED.md` (the latency-spike,
//! all-green and snapshot metrics, each without and with `--ready`: a gate
//! is readiness unless asked), snapshots of each report format,
//! byte-for-byte determinism, the JSON Schema of the report, equivalent CSV
//! and OpenMetrics inputs, the fail-closed rules, exit codes, `compel.toml`,
//! and the Prometheus path against a small in-process fake server (the real
//! server is in `tests/prometheus.rs`).
//!
//! Snapshots live in `tests/snapshots/eval_cli__*.snap`; regenerate them with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test --test eval_cli`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/eval");
const NOW: &str = "2026-11-24T00:00:00Z";

/// Runs `compel ARGS` in `dir` with colour off.
fn compel_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COMPEL_PROMETHEUS_TOKEN")
        .env_remove("COMPEL_PROMETHEUS_USER")
        .env_remove("COMPEL_PROMETHEUS_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .expect("the compel binary runs")
}

/// `compel eval acme/ --metrics acme/metrics/FILE --now NOW [--format F]`
/// from the examples folder.
fn eval_example(metrics: &str, format: &str) -> Output {
    eval_example_ready(metrics, format, &[])
}

/// [`eval_example`] with `--ready R` for each R of `ready`.
fn eval_example_ready(metrics: &str, format: &str, ready: &[&str]) -> Output {
    let path = format!("acme/metrics/{metrics}");
    let mut args = vec!["eval", "acme/", "--metrics", &path, "--now", NOW, "--format", format];
    for r in ready {
        args.extend(["--ready", r]);
    }
    compel_in(Path::new(EXAMPLES), &args)
}

/// The report entry of the initiative `scoring_v2`.
fn scoring_v2(report: &Value) -> &Value {
    report["initiatives"]
        .as_array()
        .expect("initiatives")
        .iter()
        .find(|i| i["name"] == "scoring_v2")
        .expect("scoring_v2")
}

/// Asserts `scoring_v2`'s readiness: `ready`, `next_gate` `model ->
/// produce`, `asked`, and the criteria `blocked_by` names (text, outcome).
fn assert_readiness(r: &Value, ready: bool, asked: bool, blocked_by: &[(&str, &str)]) {
    let init = scoring_v2(r);
    assert_eq!(init["ready"], ready, "{init:#}");
    assert_eq!(init["next_gate"], serde_json::json!({"from": "model", "to": "produce"}));
    assert_eq!(init["asked"], asked);
    let got: Vec<(&str, &str)> = init["blocked_by"]
        .as_array()
        .expect("blocked_by")
        .iter()
        .map(|b| (b["text"].as_str().unwrap(), b["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(got, blocked_by);
    for b in init["blocked_by"].as_array().unwrap() {
        let c = criterion(r, b["text"].as_str().unwrap());
        assert_eq!(b["reason"], c["reason"], "what blocks it says why, as its criterion does");
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 errors")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

/// The criterion whose text is `text` in the gate `model -> produce` of
/// `scoring_v2`.
fn criterion<'a>(report: &'a Value, text: &str) -> &'a Value {
    gate(report)["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["text"] == text)
        .unwrap_or_else(|| panic!("no criterion `{text}` in {:#}", gate(report)))
}

fn gate(report: &Value) -> &Value {
    let init = report["initiatives"]
        .as_array()
        .expect("initiatives")
        .iter()
        .find(|i| i["name"] == "scoring_v2")
        .expect("scoring_v2");
    assert_eq!(init["stage"], "model");
    let gates = init["gates"].as_array().expect("gates");
    assert_eq!(gates.len(), 1, "one transition, all gates combined");
    assert_eq!(gates[0]["from"], "model");
    assert_eq!(gates[0]["to"], "produce");
    &gates[0]
}

fn kpi<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no KPI `{name}`"))
}

fn policy<'a>(report: &'a Value, name: &str, subject: &str) -> &'a Value {
    report["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| p["name"] == name && p["subject"] == subject)
        .unwrap_or_else(|| panic!("no policy `{name}` on `{subject}`"))
}

const STDLIB_VERSIONED: &str = "require all(d in datasets: d.versioned)";
const STDLIB_DRIFT: &str = "require any(m in monitors: m.kind == drift)";

/// The rows shared by the three example files: policies and the stdlib gate.
fn assert_common_rows(r: &Value) {
    for (p, s) in [
        ("csuite_sponsor", "fraud_ai"),
        ("executive_attention", "fraud_ai"),
        ("cross_functional_coe", "ai_coe"),
        ("strategic_alignment", "scoring_v2"),
    ] {
        assert_eq!(policy(r, p, s)["outcome"], "pass", "policy {p} on {s}");
    }
    assert_eq!(r["policies"].as_array().map(Vec::len), Some(4), "exactly the four stdlib policies");
    let c = policy(r, "csuite_sponsor", "fraud_ai");
    assert!(c["criteria"][0]["reason"].as_str().unwrap().contains("is CFO"), "{c:#}");
    let e = policy(r, "executive_attention", "fraud_ai");
    assert!(e["criteria"][0]["reason"].as_str().unwrap().contains("22d <= 30d"), "{e:#}");
    let f = policy(r, "cross_functional_coe", "ai_coe");
    assert!(f["criteria"][0]["reason"].as_str().unwrap().contains("4 >= 3"), "{f:#}");
    let s = policy(r, "strategic_alignment", "scoring_v2");
    assert!(s["criteria"][0]["reason"].as_str().unwrap().contains("fraud_loss_rate"), "{s:#}");

    let versioned = criterion(r, STDLIB_VERSIONED);
    assert_eq!(versioned["outcome"], "pass");
    assert_eq!(versioned["file"], "std/policies.compel");
    assert!(versioned["reason"].as_str().unwrap().contains("transactions"));
    let drift = criterion(r, STDLIB_DRIFT);
    assert_eq!(drift["outcome"], "pass");
    assert!(drift["reason"].as_str().unwrap().contains("input_drift"));

    let budget = criterion(r, "expect program.approved_until > today + 90d");
    assert_eq!(budget["outcome"], "pass");
    assert_eq!(budget["enforcement"], "expect");
    assert!(budget["reason"].as_str().unwrap().contains("2027-06-30 > 2027-02-22"), "{budget:#}");
    assert_eq!(budget["because"], "budget approval must outlast the Produce stage");

    assert_eq!(gate(r)["criteria"].as_array().map(Vec::len), Some(6), "2 stdlib + 4 own criteria");
    assert_eq!(r["now"], NOW);
}

#[test]
fn latency_spike_decides_every_row_of_expected() {
    // The gate fails, but nobody asked it: `scoring_v2` is not ready, and
    // every obligation holds, so the evaluation passes.
    let out = eval_example("latency-spike.json", "json");
    assert_eq!(out.status.code(), Some(0), "readiness does not block: {}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["outcome"], "pass");
    assert_readiness(&r, false, false, &[("require latency_p95 for 7d", "fail")]);

    assert_eq!(kpi(&r, "fraud_loss_rate")["status"], "met");
    assert_eq!(kpi(&r, "fraud_loss_rate")["value"], 0.07);
    let acc = kpi(&r, "accuracy");
    assert_eq!(acc["status"], "at_risk");
    assert_eq!(acc["value"], 93.5);
    assert_eq!(acc["unit"], "percent");
    assert!(acc["reason"].as_str().unwrap().contains("`< 94%`"), "{acc:#}");
    // Only the scoring-v2 series is read.
    assert_eq!(read(&r, acc, 0)["series"], "fraud_model_accuracy{model=\"scoring-v2\"}");
    assert_eq!(kpi(&r, "latency_p95")["status"], "met");
    assert_eq!(kpi(&r, "latency_p95")["value"], 199);
    assert_eq!(kpi(&r, "latency_p95")["unit"], "ms");
    assert_eq!(kpi(&r, "feature_psi")["status"], "met");
    assert_eq!(kpi(&r, "feature_psi")["value"], 0.14);

    let init = &r["initiatives"][0];
    let names: Vec<&str> = init["kpis"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["accuracy", "latency_p95", "feature_psi", "fraud_loss_rate"]);

    let accuracy = criterion(&r, "require accuracy");
    assert_eq!(accuracy["outcome"], "warn");
    assert_eq!(accuracy["holds"], true);
    assert!(accuracy["reason"].as_str().unwrap().contains("at risk"));

    let spike = criterion(&r, "require latency_p95 for 7d");
    assert_eq!(spike["outcome"], "fail");
    assert_eq!(spike["holds"], false);
    assert_eq!(spike["reason"], "260ms at 2026-11-19T00:00:00Z breaks `<= 250ms` inside the 7d window");
    assert_eq!(spike["file"], "acme/acme.compel");
    assert_eq!(spike["line"], 76);
    assert_eq!(spike["column"], 5);
    let ev = read(&r, spike, 0);
    assert_eq!(ev["function"], "for");
    assert_eq!(ev["from"], "2026-11-17T00:00:00Z");
    assert_eq!(ev["to"], NOW);
    assert_eq!(ev["samples"].as_array().map(Vec::len), Some(7));
    assert_eq!(ev["samples"][2], serde_json::json!(["2026-11-19T00:00:00Z", 260]));

    let psi = criterion(&r, "require avg(feature_psi, 7d) < 0.15");
    assert_eq!(psi["outcome"], "pass");
    let ev = read(&r, psi, 0);
    assert_eq!(ev["function"], "avg");
    assert_eq!(ev["samples"].as_array().map(Vec::len), Some(7));
    assert!((ev["value"].as_f64().unwrap() - 0.11).abs() < 1e-12, "mean of the 7 samples is 0.11: {ev:#}");

    assert_common_rows(&r);
    assert_eq!(gate(&r)["outcome"], "fail");
    assert!(gate(&r)["reason"].as_str().unwrap().contains("require latency_p95 for 7d"));
    assert_eq!(
        r["summary"],
        serde_json::json!({"pass": 4, "warn": 0, "fail": 0, "unknown": 0, "ready": 0, "not_ready": 1})
    );

    // Asked, by name or with `all`, the gate blocks: exit 1, `fail`. The
    // decisions themselves do not change.
    for ready in [&["scoring_v2"][..], &["all"], &["scoring_v2", "scoring_v2"], &["scoring_v2", "all"]] {
        let asked = eval_example_ready("latency-spike.json", "json", ready);
        assert_eq!(asked.status.code(), Some(1), "--ready {ready:?}: {}", stderr(&asked));
        let a = json(&asked);
        assert_eq!(a["outcome"], "fail", "--ready {ready:?}");
        assert_readiness(&a, false, true, &[("require latency_p95 for 7d", "fail")]);
        assert_eq!(
            a["summary"],
            serde_json::json!({"pass": 4, "warn": 0, "fail": 1, "unknown": 0, "ready": 0, "not_ready": 1})
        );
        assert_eq!(decisions(&a)[1..], decisions(&r)[1..], "only the outcome changes");
    }
}

#[test]
fn all_green_passes_with_the_accuracy_warning() {
    // Ready: the gate warns. Not asked, its warning is not the outcome.
    let out = eval_example("all-green.json", "json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["outcome"], "pass");
    assert_readiness(&r, true, false, &[]);
    for ready in ["all", "scoring_v2"] {
        let asked = eval_example_ready("all-green.json", "json", &[ready]);
        assert_eq!(asked.status.code(), Some(0), "--ready {ready}: a warning does not block: {}", stderr(&asked));
        let a = json(&asked);
        assert_eq!(a["outcome"], "warn", "--ready {ready}");
        assert_readiness(&a, true, true, &[]);
    }
    assert_eq!(kpi(&r, "accuracy")["status"], "at_risk");
    assert_eq!(kpi(&r, "latency_p95")["status"], "met");
    assert_eq!(kpi(&r, "fraud_loss_rate")["status"], "met");
    assert_eq!(kpi(&r, "feature_psi")["status"], "met");
    assert_eq!(criterion(&r, "require accuracy")["outcome"], "warn");
    let held = criterion(&r, "require latency_p95 for 7d");
    assert_eq!(held["outcome"], "pass");
    assert!(held["reason"].as_str().unwrap().contains("240ms at 2026-11-19T00:00:00Z"), "{held:#}");
    assert_eq!(criterion(&r, "require avg(feature_psi, 7d) < 0.15")["outcome"], "pass");
    assert_common_rows(&r);
    assert_eq!(gate(&r)["outcome"], "warn");
}

#[test]
fn snapshot_cannot_show_seven_days() {
    // The snapshot's samples are taken at its `"@time"`, here `--now`.
    let out = eval_example("snapshot.json", "json");
    assert_eq!(out.status.code(), Some(0), "not ready, not asked: {}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["outcome"], "pass");
    assert_readiness(&r, false, false, &[("require latency_p95 for 7d", "unknown")]);
    let asked = eval_example_ready("snapshot.json", "json", &["all"]);
    assert_eq!(asked.status.code(), Some(1), "asked, unknown blocks: {}", stderr(&asked));
    assert_eq!(json(&asked)["outcome"], "unknown");
    assert_readiness(&json(&asked), false, true, &[("require latency_p95 for 7d", "unknown")]);
    let acc = kpi(&r, "accuracy");
    assert_eq!(acc["status"], "met");
    assert_eq!(acc["value"], 95.2);
    assert_eq!(criterion(&r, "require accuracy")["outcome"], "pass");
    let psi = criterion(&r, "require avg(feature_psi, 7d) < 0.15");
    assert_eq!(psi["outcome"], "pass");
    assert_eq!(read(&r, psi, 0)["value"], 0.09);
    assert_eq!(read(&r, psi, 0)["samples"].as_array().map(Vec::len), Some(1));
    let held = criterion(&r, "require latency_p95 for 7d");
    assert_eq!(held["outcome"], "unknown");
    assert_eq!(held["holds"], Value::Null);
    assert_eq!(
        held["reason"],
        "one sample cannot show 7d: the first sample is at 2026-11-24T00:00:00Z, after now - 7d (2026-11-17T00:00:00Z)"
    );
    assert_common_rows(&r);
    assert_eq!(gate(&r)["outcome"], "unknown");
}

const EXAMPLE_FILES: [(&str, &str); 3] =
    [("latency_spike", "latency-spike.json"), ("all_green", "all-green.json"), ("snapshot", "snapshot.json")];

#[test]
fn json_reports_match_snapshots() {
    for (name, file) in EXAMPLE_FILES {
        insta::assert_snapshot!(format!("{name}_json"), stdout(&eval_example(file, "json")));
    }
}

#[test]
fn human_reports_match_snapshots() {
    for (name, file) in EXAMPLE_FILES {
        let out = stdout(&eval_example(file, "human"));
        assert!(!out.contains('\x1b'), "NO_COLOR and a pipe: no escapes");
        insta::assert_snapshot!(format!("{name}_human"), out);
    }
}

/// `text` without its ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            assert_eq!(chars.next(), Some('['), "only CSI sequences are written");
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The report of `policy` (a path) against `metrics` (paths), in-process.
fn report_of(policy: &str, metrics: &[&str]) -> compel::eval::Report {
    let now = compel::eval::metrics::parse_rfc3339(NOW).unwrap();
    let analysis = compel::cli::analyze_paths(&[PathBuf::from(policy)]).unwrap();
    let mut store = compel::eval::metrics::MetricStore::new();
    for m in metrics {
        let text = std::fs::read_to_string(m).unwrap();
        store.add_all(compel::eval::sources::read_metrics(m, &text, Some(now)).unwrap());
    }
    let opts = compel::eval::EvalOptions { now, default_max_age: compel::eval::DEFAULT_MAX_AGE };
    compel::eval::evaluate(&analysis.model, &analysis.files, &store, &opts)
}

#[test]
fn coloured_human_output_is_the_plain_one_plus_escapes() {
    use compel::eval::render;
    // Between them, every outcome and KPI status is painted.
    let unasked = report_of(&format!("{EXAMPLES}/acme"), &[&format!("{EXAMPLES}/acme/metrics/latency-spike.json")]);
    let mut spike = unasked.clone();
    spike.ask(&compel::eval::Ready::All);
    let mut closed = report_of(&format!("{FIXTURES}/failclosed"), &[&format!("{FIXTURES}/failclosed/metrics.json")]);
    closed.ask(&compel::eval::Ready::All);
    // A gate nobody asked about is readiness: never painted as a failure.
    assert!(!render::human(&unasked, true).contains("\x1b[31m"), "{}", render::human(&unasked, true));
    for (report, colours) in [
        (&spike, &["\x1b[31m", "\x1b[32m", "\x1b[33m"][..]),
        (&closed, &["\x1b[35m"][..]),
        (&unasked, &["\x1b[32m", "\x1b[33m"][..]),
    ] {
        let plain = render::human(report, false);
        let coloured = render::human(report, true);
        assert!(!plain.contains('\x1b'), "no escapes without colour:\n{plain}");
        for code in colours {
            assert!(coloured.contains(code), "{code:?} missing:\n{coloured}");
        }
        assert!(coloured.contains("\x1b[0m"), "colours are reset");
        assert_eq!(strip_ansi(&coloured), plain, "colour changes nothing but the escapes (alignment included)");
    }
}

#[test]
fn the_binary_colours_only_a_terminal_without_no_color() {
    let args = ["eval", "acme/", "--metrics", "acme/metrics/latency-spike.json", "--now", NOW, "--ready", "all"];
    let plain = eval_example_ready("latency-spike.json", "human", &["all"]);
    // A pipe, with NO_COLOR unset: still no escapes.
    let piped = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(EXAMPLES)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert_eq!(piped.status.code(), Some(1));
    assert!(!piped.stdout.contains(&0x1b), "a pipe is not a terminal: no escapes");
    assert_eq!(piped.stdout, plain.stdout);

    // A terminal (util-linux `script` gives the command a pseudo-terminal).
    let probe = Command::new("script").args(["-q", "-e", "-c", "true", "/dev/null"]).stdin(Stdio::null()).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("note: `script` (util-linux) cannot open a pseudo-terminal here; the terminal cases are skipped");
        return;
    }
    let command = format!("'{}' {}", env!("CARGO_BIN_EXE_compel"), args.join(" "));
    let on_terminal = |no_color: Option<&str>| -> String {
        let mut cmd = Command::new("script");
        cmd.args(["-q", "-e", "-c", &command, "/dev/null"]).current_dir(EXAMPLES).stdin(Stdio::null());
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        // The terminal turns line feeds into CR LF.
        stdout(&out).replace("\r\n", "\n")
    };
    let coloured = on_terminal(None);
    assert!(coloured.contains("\x1b[31mfail\x1b[0m"), "a terminal gets colour:\n{coloured}");
    assert_eq!(strip_ansi(&coloured), stdout(&plain));
    let no_color = on_terminal(Some("1"));
    assert!(!no_color.contains('\x1b'), "NO_COLOR turns colour off on a terminal:\n{no_color}");
    assert_eq!(no_color, stdout(&plain));
    // An empty NO_COLOR counts as unset (https://no-color.org).
    assert!(on_terminal(Some("")).contains('\x1b'));
}

/// JUnit with the measured `time` and the machine's name replaced: the
/// only parts of a report that differ between runs of the same inputs.
fn junit_redacted(o: &Output) -> String {
    let mut out = String::new();
    for line in stdout(o).lines() {
        let mut line = line.to_string();
        for key in ["time", "hostname"] {
            let needle = format!(" {key}=\"");
            if let Some(start) = line.find(&needle).map(|i| i + needle.len()) {
                let end = start + line[start..].find('"').expect("closing quote");
                line.replace_range(start..end, &format!("[{key}]"));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn markdown_and_junit_match_snapshots() {
    let markdown = stdout(&eval_example("latency-spike.json", "markdown"));
    assert!(markdown.starts_with("## ✅ compel eval: pass\n"), "{markdown}");
    assert!(
        markdown
            .contains("| `scoring_v2` | `model` | `model -> produce` | 🚧 not ready | `require latency_p95 for 7d`: "),
        "a \"not ready\" row:\n{markdown}"
    );
    assert!(!markdown.contains('❌'), "readiness is never shown as a failure:\n{markdown}");
    insta::assert_snapshot!("latency_spike_markdown", markdown);
    let asked = stdout(&eval_example_ready("latency-spike.json", "markdown", &["scoring_v2"]));
    assert!(asked.starts_with("## ❌ compel eval: fail\n"), "{asked}");
    assert!(asked.contains("| ❌ not ready (asked) |"), "{asked}");

    // Not asked: the failing criterion is skipped with the reason, never a failure.
    let junit = junit_redacted(&eval_example("latency-spike.json", "junit"));
    assert!(junit.contains("timestamp=\"2026-11-24T00:00:00\""), "the evaluation time: {junit}");
    assert_eq!(junit.matches("<testcase ").count(), 10, "one test case per criterion");
    assert_eq!(junit.matches("<failure ").count(), 0, "{junit}");
    assert_eq!(junit.matches("<skipped ").count(), 1, "{junit}");
    assert!(junit.contains(
        "<skipped message=\"not ready (readiness, not asked with --ready): \
         260ms at 2026-11-19T00:00:00Z breaks `&lt;= 250ms` inside the 7d window\"/>"
    ));
    assert!(junit.contains("<testsuites name=\"compel eval\" tests=\"10\" failures=\"0\" errors=\"0\" time="));
    assert!(junit.contains("failures=\"0\" errors=\"0\" skipped=\"1\""), "the gate's suite counts it: {junit}");
    assert!(junit.contains("classname=\"scoring_v2/model -&gt; produce\""));
    insta::assert_snapshot!("latency_spike_junit", junit);
    // Asked: a failure, as before.
    let junit = stdout(&eval_example_ready("latency-spike.json", "junit", &["all"]));
    assert_eq!(junit.matches("<failure ").count(), 1, "{junit}");
    assert_eq!(junit.matches("<skipped ").count(), 0, "{junit}");
    assert!(junit.contains("<testsuites name=\"compel eval\" tests=\"10\" failures=\"1\" errors=\"0\" time="));
    let snapshot = stdout(&eval_example_ready("snapshot.json", "junit", &["scoring_v2"]));
    assert!(snapshot.contains("type=\"unknown\""), "unknown is a failure too: {snapshot}");
    let snapshot = stdout(&eval_example("snapshot.json", "junit"));
    assert!(
        snapshot.contains("<skipped message=\"not ready (readiness, not asked with --ready): one sample"),
        "{snapshot}"
    );
}

#[test]
fn output_is_byte_identical_across_runs() {
    for (_, file) in EXAMPLE_FILES {
        for format in ["json", "human", "markdown", "junit"] {
            let a = eval_example(file, format);
            let b = eval_example(file, format);
            if format == "junit" {
                assert_eq!(junit_redacted(&a), junit_redacted(&b), "{file} --format junit (but the measured time)");
                continue;
            }
            assert_eq!(a.stdout, b.stdout, "{file} --format {format}");
            assert_eq!(a.status.code(), b.status.code());
        }
    }
}

/// The `i`th data read of a KPI or a criterion (`of`): its `evidence`
/// lists indices in the report's `reads`.
fn read<'r>(report: &'r Value, of: &Value, i: usize) -> &'r Value {
    let at = of["evidence"][i].as_u64().unwrap_or_else(|| panic!("no read {i} in {of:#}"));
    &report["reads"][at as usize]
}

/// Validates a report against `docs/report.schema.json`.
fn assert_valid_report(text: &str) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let index = compiler
        .compile(schema.to_str().expect("UTF-8 path"), &mut schemas)
        .unwrap_or_else(|e| panic!("the report schema does not compile: {e:#}"));
    let value: Value = serde_json::from_str(text).expect("JSON");
    if let Err(e) = schemas.validate(&value, index) {
        panic!("the report does not match docs/report.schema.json:\n{e:#}\n\n{text}");
    }
}

#[test]
fn reports_validate_against_the_schema() {
    for (_, file) in EXAMPLE_FILES {
        assert_valid_report(&stdout(&eval_example(file, "json")));
    }
    let failclosed = compel_in(
        Path::new(FIXTURES),
        &["eval", "failclosed/", "--metrics", "failclosed/metrics.json", "--now", NOW, "--format", "json"],
    );
    assert_valid_report(&stdout(&failclosed));
    // Failed quantifiers carry the elements (and tuples) that fail them.
    for case in ["quantifier_failing", "quantifier_nested"] {
        let out = compel_in(
            &Path::new(FIXTURES).join(case),
            &["eval", "policy.compel", "--metrics", "metrics.json", "--now", NOW, "--format", "json"],
        );
        let text = stdout(&out);
        assert!(text.contains("\"failing\""), "{case}: {text}");
        assert_valid_report(&text);
    }
    // A family lists its members, each with its labels; the family's status
    // is its worst member's (`missed`), and its value is null.
    let family = stdout(&compel_in(
        &Path::new(FIXTURES).join("family_fixed"),
        &["eval", "policy.compel", "--metrics", "metrics.json", "--now", NOW, "--format", "json"],
    ));
    assert_valid_report(&family);
    let report: Value = serde_json::from_str(&family).expect("JSON");
    let fam = &report["initiatives"][0]["kpis"][0];
    assert_eq!((fam["name"].as_str(), fam["status"].as_str()), (Some("auc_by_group"), Some("missed")));
    assert!(fam["value"].is_null());
    let members = fam["members"].as_array().expect("members");
    assert_eq!(members.len(), 4);
    let statuses: Vec<(&str, &str, &str)> = members
        .iter()
        .map(|m| {
            (
                m["labels"]["sex"].as_str().unwrap(),
                m["labels"]["age_band"].as_str().unwrap(),
                m["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [("female", "18-64", "met"), ("female", "65+", "met"), ("male", "18-64", "missed"), ("male", "65+", "unknown")]
    );
    // A report that is not a valid one is refused, so the test can fail.
    let mut broken: Value = json(&eval_example("latency-spike.json", "json"));
    broken["outcome"] = Value::from("maybe");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let mut schemas = boon::Schemas::new();
    let index = boon::Compiler::new().compile(schema.to_str().unwrap(), &mut schemas).unwrap();
    assert!(schemas.validate(&broken, index).is_err());
}

#[test]
fn csv_and_openmetrics_give_the_same_report() {
    // With timestamps: the history of latency-spike.json. Without them
    // (samples at `--now`): snapshot.json. The `snapshot.*` fixtures spell
    // the absence every way the formats allow: OpenMetrics and Prometheus
    // text lines without a timestamp, a CSV without a `time` column (and
    // with a `model` label column), a CSV with empty `time` cells.
    let cases: [(&str, &[&str]); 2] = [
        ("latency-spike.json", &["latency-spike.csv", "latency-spike.prom", "latency-spike.om"]),
        ("snapshot.json", &["snapshot.csv", "snapshot-empty-time.csv", "snapshot.prom", "snapshot.om"]),
    ];
    for (json_file, equivalents) in cases {
        let from_json = eval_example(json_file, "json");
        let reference = stdout(&from_json);
        for file in equivalents {
            let metrics = format!("{FIXTURES}/{file}");
            // Values without a time are taken at the stated `--sample-time`
            // (the snapshot.json's `"@time"`, here the same instant as now).
            let mut args = vec!["eval", "acme/", "--metrics", &metrics, "--now", NOW, "--format", "json"];
            if file.starts_with("snapshot") {
                args.extend(["--sample-time", NOW]);
            }
            let out = compel_in(Path::new(EXAMPLES), &args);
            assert_eq!(out.status.code(), Some(0), "{file}: readiness does not block: {}", stderr(&out));
            assert_eq!(stdout(&out), reference, "{file} decides exactly as {json_file}");
        }
    }
    // Without a stated time, untimed values are unusable: a stale export
    // must never look fresh.
    for file in ["snapshot.csv", "snapshot-empty-time.csv", "snapshot.prom", "snapshot.om"] {
        let metrics = format!("{FIXTURES}/{file}");
        let out = compel_in(Path::new(EXAMPLES), &["eval", "acme/", "--metrics", &metrics, "--now", NOW]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains("--sample-time"), "{file}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    // Values are taken at `--sample-time`, not at `--now`: a week-old export
    // is stale.
    let later = "2026-12-01T00:00:00Z";
    let om = format!("{FIXTURES}/snapshot.om");
    let r = json(&compel_in(
        Path::new(EXAMPLES),
        &["eval", "acme/", "--metrics", &om, "--now", later, "--sample-time", later, "--format", "json"],
    ));
    assert_eq!(kpi(&r, "accuracy")["time"], later);
    assert_eq!(kpi(&r, "accuracy")["status"], "met", "a sample at now is fresh");
    let r = json(&compel_in(
        Path::new(EXAMPLES),
        &["eval", "acme/", "--metrics", &om, "--now", later, "--sample-time", NOW, "--format", "json"],
    ));
    assert_eq!(kpi(&r, "accuracy")["status"], "unknown", "a week-old export is stale");
    assert!(kpi(&r, "accuracy")["reason"].as_str().unwrap().starts_with("stale"), "{r:#}");
}

#[test]
fn several_metrics_files_merge_and_stdin_reads() {
    // Splitting the example across two files changes nothing.
    let reference = stdout(&eval_example("latency-spike.json", "json"));
    let dir = temp_dir("merge");
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{EXAMPLES}/acme/metrics/latency-spike.json")).unwrap())
            .unwrap();
    let series = all["series"].as_array().unwrap();
    let (a, b) = series.split_at(2);
    std::fs::write(dir.join("a.json"), serde_json::json!({"series": a}).to_string()).unwrap();
    std::fs::write(dir.join("b.json"), serde_json::json!({"series": b}).to_string()).unwrap();
    let (pa, pb) = (dir.join("a.json"), dir.join("b.json"));
    let out = compel_in(
        Path::new(EXAMPLES),
        &[
            "eval",
            "acme/",
            "--metrics",
            pa.to_str().unwrap(),
            "--metrics",
            pb.to_str().unwrap(),
            "--now",
            NOW,
            "--format",
            "json",
        ],
    );
    assert_eq!(stdout(&out), reference);

    let mut child = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["eval", "acme/", "--metrics", "-", "--now", NOW, "--format", "json"])
        .current_dir(EXAMPLES)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(format!("{EXAMPLES}/acme/metrics/latency-spike.json")).unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), reference);
}

#[test]
fn fail_closed_rules_make_criteria_unknown() {
    let out = compel_in(
        Path::new(FIXTURES),
        &[
            "eval",
            "failclosed/",
            "--metrics",
            "failclosed/metrics.json",
            "--now",
            NOW,
            "--format",
            "json",
            "--ready",
            "guarded",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "unknown blocks: {}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["outcome"], "unknown");
    let g = &r["initiatives"][0]["gates"][0];
    assert_eq!(g["outcome"], "unknown");
    let find = |text: &str| -> Value {
        g["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["text"] == text)
            .cloned()
            .unwrap_or_else(|| panic!("{text}"))
    };
    let expect = [
        (
            "require stale_kpi",
            "unknown",
            "stale: the last sample of `stale_metric` is at 2026-11-20T00:00:00Z, older than max_age 1d",
        ),
        ("require missing_kpi", "unknown", "no series `absent_metric`"),
        ("require ambiguous_kpi", "unknown", "ambiguous: 2 series match `two_series`"),
        ("require nan_kpi", "unknown", "is NaN"),
        ("require avg(nan_window_kpi, 7d) >= 1", "unknown", "at 2026-11-21T00:00:00Z is NaN"),
        // The sample after `now` (value 0) is ignored: replay decides as then.
        ("require fine_kpi for 7d", "pass", "all 7 samples in the 7d window meet `>= 1`"),
        // `expect` and `advise` turn unknown into warn.
        ("expect missing_kpi", "warn", "no series `absent_metric`"),
        ("advise stale_kpi", "warn", "stale"),
    ];
    for (text, outcome, reason) in expect {
        let c = find(text);
        assert_eq!(c["outcome"], outcome, "{text}: {c:#}");
        assert!(c["reason"].as_str().unwrap().contains(reason), "{text}: {c:#}");
        if outcome != "pass" {
            assert_eq!(c["holds"], Value::Null, "{text}");
        }
    }
    for (name, status) in [
        ("stale_kpi", "unknown"),
        ("missing_kpi", "unknown"),
        ("ambiguous_kpi", "unknown"),
        ("nan_kpi", "unknown"),
        ("nan_window_kpi", "met"),
        ("fine_kpi", "met"),
    ] {
        assert_eq!(kpi(&r, name)["status"], status, "{name}");
    }
    assert_eq!(kpi(&r, "nan_kpi")["value"], Value::Null);
    assert_eq!(kpi(&r, "fine_kpi")["time"], "2026-11-23T00:00:00Z", "the future sample is not the latest");
    // NaN reaches the evidence, spelled as the metrics format spells it.
    assert_eq!(read(&r, kpi(&r, "nan_kpi"), 0)["samples"][0][1], "NaN");
}

#[test]
fn a_longer_max_age_flag_makes_stale_data_fresh() {
    // `--max-age` sets the default; a KPI's own `max_age` still wins.
    let out = compel_in(
        Path::new(FIXTURES),
        &[
            "eval",
            "failclosed/",
            "--metrics",
            "failclosed/metrics.json",
            "--now",
            "2026-11-26T00:00:00Z",
            "--max-age",
            "5d",
            "--format",
            "json",
        ],
    );
    let r = json(&out);
    assert_eq!(kpi(&r, "fine_kpi")["status"], "missed", "now the sample of the 25th (0) is the latest and fresh");
    assert_eq!(kpi(&r, "stale_kpi")["status"], "unknown", "its own max_age of 1d wins");
    let out = compel_in(
        Path::new(FIXTURES),
        &[
            "eval",
            "failclosed/",
            "--metrics",
            "failclosed/metrics.json",
            "--now",
            "2026-11-26T00:00:00Z",
            "--format",
            "json",
        ],
    );
    let r = json(&out);
    assert_eq!(kpi(&r, "nan_window_kpi")["status"], "unknown", "three days old is stale under the default 1d");
    assert!(kpi(&r, "nan_window_kpi")["reason"].as_str().unwrap().contains("older than max_age 1d"));
}

#[test]
fn malformed_metrics_file_exits_2_with_its_location() {
    let metrics = format!("{FIXTURES}/malformed.json");
    let out = compel_in(Path::new(EXAMPLES), &["eval", "acme/", "--metrics", &metrics, "--now", NOW]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no report on unusable input");
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("malformed.json:3:"), "names the file and line: {err}");
    assert!(err.contains("series[0].samples[0]"), "{err}");
}

#[test]
fn unusable_inputs_exit_2() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["eval", "acme/", "--metrics", "acme/metrics/nope.json", "--now", NOW],
            "cannot read metrics file `acme/metrics/nope.json`: no such file",
        ),
        (&["eval", "acme/", "--metrics", "acme/metrics/snapshot.json", "--now", "tomorrow"], "not an RFC 3339 time"),
        (&["eval", "acme/", "--now", NOW], "no metrics"),
        (&["eval", "acme/", "--metrics", "acme/metrics/snapshot.json", "--max-age", "soon"], "not a duration"),
        (&["eval", "nowhere/", "--metrics", "acme/metrics/snapshot.json"], "does not exist"),
    ];
    for (args, message) in cases {
        let out = compel_in(Path::new(EXAMPLES), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_policy_that_does_not_compile_exits_2_with_diagnostics() {
    let dir = temp_dir("broken");
    std::fs::write(
        dir.join("broken.compel"),
        "kpi lat {\n  metric \"lat\"\n  unit ms\n  target <= 250ms\n}\ninitiative i {\n  owner \"x\"\n  stage model\n  gate model -> produce {\n    require lat > 5%\n  }\n}\n",
    )
    .unwrap();
    let metrics = format!("{EXAMPLES}/acme/metrics/snapshot.json");
    let out = compel_in(&dir, &["eval", "broken.compel", "--metrics", &metrics, "--now", NOW]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("E0501") || err.contains("broken.compel:10"), "diagnostics on stderr: {err}");
    assert!(err.contains("the policy does not compile"), "{err}");
    assert!(out.stdout.is_empty());
}

/// A directory holding `p.compel`: `head`, then `n` initiatives at stage
/// `model`, initiative `i` owned by `owner(i)`.
fn policy_of_initiatives(name: &str, head: &str, n: usize, owner: impl Fn(usize) -> String) -> PathBuf {
    let dir = temp_dir(name);
    let mut text = head.to_string();
    for i in 0..n {
        text.push_str(&format!("initiative i{i} {{\n  owner {}\n  stage model\n}}\n", owner(i)));
    }
    std::fs::write(dir.join("p.compel"), text).unwrap();
    dir
}

/// A policy whose only compile error is one the static evaluation of
/// policies finds (two currencies compared): `compel eval` runs that
/// evaluation beside its own, on the other thread, and still refuses the
/// policy, with few initiatives (one thread) and with many (two); a bad
/// option given with it does not hide it (the policy's errors come first).
#[test]
fn a_compile_error_only_the_static_evaluation_finds_still_refuses_the_policy() {
    let metrics = format!("{EXAMPLES}/acme/metrics/snapshot.json");
    for initiatives in [1, 300] {
        let dir = policy_of_initiatives(
            &format!("static-{initiatives}"),
            "person dana {\n  name \"Dana\"\n  role CFO\n}\nprogram fraud_ai {\n  sponsor dana\n  budget 1_200_000 USD\n}\n\
             policy budget_cap for program {\n  require budget <= 2_000_000 EUR\n}\n",
            initiatives,
            |_| "\"x\"".to_string(),
        );
        let check = compel_in(&dir, &["check", "p.compel"]);
        assert_eq!(check.status.code(), Some(1), "check refuses it too: {}", String::from_utf8_lossy(&check.stdout));
        for extra in [&[][..], &["--max-age", "soon"][..]] {
            let mut args = vec!["eval", "p.compel", "--metrics", &metrics, "--now", NOW];
            args.extend_from_slice(extra);
            let out = compel_in(&dir, &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{initiatives} initiatives, {extra:?}: {err}");
            assert!(err.contains("E0501") && err.contains("cannot compare"), "{initiatives}, {extra:?}: {err}");
            assert!(err.contains("the policy does not compile (1 error)"), "{initiatives}, {extra:?}: {err}");
            assert!(!err.contains("--max-age"), "the policy's error comes first: {err}");
            assert!(out.stdout.is_empty());
        }
    }
}

/// A mistake only a subject's facts show, in a top-level gate (`owner.role`
/// of an initiative whose owner is a string): `compel check` reports it
/// once, for the first such initiative, and `compel eval` refuses the
/// policy with the same diagnostic, with few initiatives (one thread) and
/// with many, where its static evaluation takes the gates the evaluation
/// decided and reports them in the check's order.
#[test]
fn a_gates_mistake_is_reported_by_eval_as_check_reports_it() {
    let metrics = format!("{EXAMPLES}/acme/metrics/snapshot.json");
    for initiatives in [3, 300] {
        let dir = policy_of_initiatives(
            &format!("gate-mistake-{initiatives}"),
            "person dana {\n  name \"Dana\"\n  role CEO\n}\n\
             gate model -> produce {\n  expect owner.role == CEO\n  require count(datasets) >= 1\n}\n",
            initiatives,
            |i| if i % 2 == 0 { "dana".to_string() } else { format!("\"o{i}@example.com\"") },
        );
        let check = compel_in(&dir, &["check", "p.compel"]);
        let checked = String::from_utf8_lossy(&check.stdout).to_string() + &stderr(&check);
        assert_eq!(check.status.code(), Some(1), "{checked}");
        assert_eq!(checked.matches("E0505").count(), 1, "one mistake, reported once: {checked}");
        assert!(checked.contains("for `i1`"), "for the first initiative it shows in: {checked}");
        let out = compel_in(&dir, &["eval", "p.compel", "--metrics", &metrics, "--now", NOW]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{initiatives} initiatives: {err}");
        assert_eq!(err.matches("E0505").count(), 1, "{initiatives} initiatives: {err}");
        assert!(err.contains("for `i1`") && err.contains("the policy does not compile (1 error)"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

/// A report many times a pipe's buffer arrives whole in every format:
/// the command ends the process itself once its output is flushed
/// (`_exit`, with no clean-up at exit), and 300 initiatives are evaluated
/// on two threads, the JSON and terminal reports formatted as they go.
/// A standard output that cannot be written to (open, but for reading)
/// takes the report without a word in every format, as the standard
/// library's standard output does: the exit code is the report's, the
/// same as with a standard output that takes it. (The JSON report goes to
/// a duplicate of the descriptor, past the standard library.)
#[test]
fn a_stdout_open_for_reading_takes_the_report_quietly() {
    let metrics = format!("{EXAMPLES}/acme/metrics/latency-spike.json");
    let policy = format!("{EXAMPLES}/acme");
    for format in ["json", "human", "junit", "markdown"] {
        let args = ["eval", policy.as_str(), "--metrics", metrics.as_str(), "--now", NOW, "--format", format];
        let written = Command::new(env!("CARGO_BIN_EXE_compel")).args(args).output().unwrap();
        let read_only = std::fs::File::open("/dev/null").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_compel")).args(args).stdout(read_only).output().unwrap();
        assert!(written.stdout.len() > 100, "{format}: a report");
        assert_eq!(out.status.code(), written.status.code(), "{format}: {}", stderr(&out));
        assert!(!stderr(&out).contains("cannot write"), "{format}: {}", stderr(&out));
    }
}

#[test]
fn a_large_report_arrives_whole_in_every_format() {
    let dir = policy_of_initiatives(
        "whole-report",
        "gate model -> produce {\n  expect count(datasets) >= 1\n}\n",
        300,
        |i| format!("\"o{i}@example.com\""),
    );
    let metrics = format!("{EXAMPLES}/acme/metrics/snapshot.json");
    for format in ["json", "human", "junit", "markdown"] {
        let out = compel_in(&dir, &["eval", "p.compel", "--metrics", &metrics, "--now", NOW, "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(out.stdout.len() > 65_536, "{format}: {} bytes, more than a pipe holds", out.stdout.len());
        let text = stdout(&out);
        let last = "i299";
        match format {
            "json" => {
                let r = json(&out);
                let names: Vec<&str> =
                    r["initiatives"].as_array().unwrap().iter().filter_map(|i| i["name"].as_str()).collect();
                assert_eq!(names.len(), 300);
                assert_eq!(names.last(), Some(&last));
                assert!(r["outcome"].is_string() && r["reads"].is_array());
            }
            "junit" => assert!(text.trim_end().ends_with("</testsuites>") && text.contains(last), "{format}"),
            "human" => {
                assert!(
                    text.contains(last) && text.trim_end().lines().last().is_some_and(|l| l.starts_with("outcome:"))
                )
            }
            _ => {
                // The last initiative's section, down to its gate's last row.
                let at = text.find(&format!("### Initiative `{last}`")).unwrap_or(text.len());
                assert!(text[at..].trim_end().ends_with('|'), "{format}: {}", &text[at..]);
            }
        }
    }
}

#[test]
fn a_violated_declared_fact_is_a_failed_policy_not_a_compile_error() {
    // `csuite_sponsor` fails on declared facts alone: `check` reports an
    // error, `eval` reports a failed policy (exit 1, not 2).
    let dir = temp_dir("violated");
    std::fs::write(
        dir.join("p.compel"),
        "import \"std/policies\"\nperson pat { name \"Pat\" role engineer }\nprogram p { sponsor pat review_every 30d last_review 2026-11-20 }\n",
    )
    .unwrap();
    let metrics = format!("{EXAMPLES}/acme/metrics/snapshot.json");
    let out = compel_in(&dir, &["eval", "p.compel", "--metrics", &metrics, "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(policy(&r, "csuite_sponsor", "p")["outcome"], "fail");
    assert_eq!(policy(&r, "executive_attention", "p")["outcome"], "pass");
    assert!(policy(&r, "csuite_sponsor", "p")["criteria"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("is engineer, which is not in `c_suite`"));
}

/// `compel eval readiness/policy.compel --metrics readiness/METRICS
/// --format json` with `--ready R` for each R, from the eval fixtures.
fn eval_readiness(metrics: &str, ready: &[&str]) -> Output {
    let metrics = format!("readiness/{metrics}");
    let mut args = vec!["eval", "readiness/policy.compel", "--metrics", &metrics, "--now", NOW, "--format", "json"];
    for r in ready {
        args.extend(["--ready", r]);
    }
    compel_in(Path::new(FIXTURES), &args)
}

/// `(name, ready, asked)` of each initiative.
fn readiness_of(r: &Value) -> Vec<(String, bool, bool)> {
    r["initiatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap().to_string(), i["ready"] == true, i["asked"] == true))
        .collect()
}

#[test]
fn only_asked_gates_and_obligations_decide_the_exit_code() {
    let out = eval_readiness("metrics.json", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    assert_valid_report(&stdout(&out));
    assert_eq!(r["outcome"], "pass");
    let owned = |name: &str| (name.to_string(), true, false);
    assert_eq!(readiness_of(&r), [owned("fast"), ("slow".to_string(), false, false), owned("idle")]);
    let slow = &r["initiatives"][1];
    assert_eq!(slow["next_gate"], serde_json::json!({"from": "model", "to": "produce"}));
    assert_eq!(
        slow["blocked_by"],
        serde_json::json!([
            {
                "text": "require slow_latency",
                "outcome": "fail",
                "reason": "`slow_latency` misses its target: latest 320ms at 2026-11-23T00:00:00Z misses `<= 250ms`",
                "because": "users leave when scoring is slow"
            },
            {"text": "require count(datasets) >= 1", "outcome": "fail", "reason": "`count(datasets)` is 0: 0 is not >= 1"}
        ])
    );
    assert_eq!(r["initiatives"][0]["blocked_by"], serde_json::json!([]));
    // No gate guards `learn -> calibrate` here: ready, with no next gate.
    assert_eq!(r["initiatives"][2]["next_gate"], Value::Null);
    assert_eq!(r["initiatives"][2]["gates"], serde_json::json!([]));
    assert_eq!(
        r["summary"],
        serde_json::json!({"pass": 5, "warn": 0, "fail": 0, "unknown": 0, "ready": 2, "not_ready": 1})
    );

    // Asking a ready initiative, or one without a gate, passes; asking the
    // one that is not ready blocks, alone or with others.
    for (ready, code, outcome) in [
        (&["fast"][..], 0, "pass"),
        (&["idle"], 0, "pass"),
        (&["fast", "idle"], 0, "pass"),
        (&["slow"], 1, "fail"),
        (&["fast", "slow"], 1, "fail"),
        (&["all"], 1, "fail"),
    ] {
        let out = eval_readiness("metrics.json", ready);
        assert_eq!(out.status.code(), Some(code), "--ready {ready:?}: {}", stderr(&out));
        let a = json(&out);
        assert_eq!(a["outcome"], outcome, "--ready {ready:?}");
        let asked: Vec<String> =
            readiness_of(&a).into_iter().filter(|(_, _, asked)| *asked).map(|(n, _, _)| n).collect();
        let want: Vec<&str> = if ready == ["all"] {
            vec!["fast", "slow", "idle"]
        } else {
            ["fast", "slow", "idle"].into_iter().filter(|n| ready.contains(n)).collect()
        };
        assert_eq!(asked, want, "--ready {ready:?}");
        // Asked gates are counted with the obligations (5 policy results).
        let counted: u64 = ["pass", "warn", "fail", "unknown"].iter().map(|k| a["summary"][k].as_u64().unwrap()).sum();
        let gates = want.iter().filter(|n| **n != "idle").count() as u64;
        assert_eq!(counted, 5 + gates, "--ready {ready:?}: {:#}", a["summary"]);
    }

    // An obligation that fails blocks whatever is asked.
    for ready in [&[][..], &["fast"]] {
        let out = eval_readiness("failing.json", ready);
        assert_eq!(out.status.code(), Some(1), "--ready {ready:?}: {}", stderr(&out));
        let r = json(&out);
        assert_eq!(r["outcome"], "fail");
        assert_eq!(policy(&r, "watched", "fast")["outcome"], "fail");
        assert_eq!(r["initiatives"][0]["ready"], true, "an obligation is not readiness");
    }
}

#[test]
fn ready_naming_no_initiative_exits_2_with_a_did_you_mean() {
    for format in ["human", "json", "markdown"] {
        let out = eval_example_ready("latency-spike.json", format, &["scoring_v3"]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(out.stdout.is_empty(), "{format}: no report: {}", stdout(&out));
        assert_eq!(stderr(&out), "error: `--ready scoring_v3` names no initiative (did you mean `scoring_v2`?)\n");
    }
    // JUnit still gets a valid document that records the failure.
    let out = eval_example_ready("latency-spike.json", "junit", &["scoring_v3"]);
    assert_eq!(out.status.code(), Some(2));
    let xml = stdout(&out);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"compel eval\" tests=\"1\" failures=\"0\" errors=\"1\""), "{xml}");
    assert!(
        xml.contains("<error message=\"error: `--ready scoring_v3` names no initiative (did you mean `scoring_v2`?)\" type=\"unusable input\">"),
        "{xml}"
    );
    // One unknown name among good ones is still an error.
    let out = eval_example_ready("latency-spike.json", "json", &["scoring_v2", "fraud_ai"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`--ready fraud_ai` names no initiative"), "{}", stderr(&out));
    // Nothing near: the initiatives are listed.
    let out = eval_readiness("metrics.json", &["zzz"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: `--ready zzz` names no initiative (the initiatives are `fast`, `idle`, `slow`; or `all`)\n"
    );
}

#[test]
fn an_unversioned_dataset_is_a_note_for_check_and_blocks_only_when_asked() {
    // EXPECTED.md: if `scoring_v2` declared a dataset with `versioned false`,
    // `check` reports a note naming the criterion (exit 0), and
    // `eval --ready scoring_v2` blocks.
    let dir = temp_dir("unversioned");
    let acme = dir.join("acme");
    std::fs::create_dir_all(&acme).unwrap();
    for f in ["acme.compel", "people.compel"] {
        std::fs::copy(format!("{EXAMPLES}/acme/{f}"), acme.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(acme.join("acme.compel")).unwrap();
    assert_eq!(text.matches("versioned true").count(), 1);
    std::fs::write(acme.join("acme.compel"), text.replace("versioned true", "versioned false")).unwrap();

    let out = compel_in(&dir, &["check", "acme/", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "readiness never fails check: {}", stdout(&out));
    let diags = json(&out)["diagnostics"].clone();
    assert_eq!(diags.as_array().map(Vec::len), Some(1), "{diags:#}");
    assert_eq!(diags[0]["code"], "E0703");
    assert_eq!(diags[0]["severity"], "note");
    assert_eq!(
        diags[0]["message"],
        "`scoring_v2` is not ready to advance `model -> produce`: \
         `require all(d in datasets: d.versioned)` does not hold (every dataset must be versioned)"
    );

    let metrics = format!("{EXAMPLES}/acme/metrics/all-green.json");
    let out = compel_in(&dir, &["eval", "acme/", "--metrics", &metrics, "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["outcome"], "pass");
    assert_readiness(&r, false, false, &[(STDLIB_VERSIONED, "fail")]);
    assert_eq!(scoring_v2(&r)["blocked_by"][0]["because"], "every dataset must be versioned");

    let out = compel_in(
        &dir,
        &["eval", "acme/", "--metrics", &metrics, "--now", NOW, "--format", "json", "--ready", "scoring_v2"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["outcome"], "fail");
    assert_readiness(&r, false, true, &[(STDLIB_VERSIONED, "fail")]);
}

#[test]
fn compel_toml_supplies_sources_and_flags_win() {
    let dir = temp_dir("config");
    let acme = dir.join("acme");
    std::fs::create_dir_all(acme.join("metrics")).unwrap();
    for f in ["acme.compel", "people.compel", "acme_test.compel"] {
        std::fs::copy(format!("{EXAMPLES}/acme/{f}"), acme.join(f)).unwrap();
    }
    for f in ["latency-spike.json", "all-green.json"] {
        std::fs::copy(format!("{EXAMPLES}/acme/metrics/{f}"), acme.join("metrics").join(f)).unwrap();
    }
    std::fs::write(
        dir.join("compel.toml"),
        "# project settings\nmetrics = [\"acme/metrics/latency-spike.json\"]\nmax_age = \"1d\"\n\n[fmt]\nwidth = 100\n",
    )
    .unwrap();
    // From the project root and from below it (the search goes upward).
    for (cwd, path) in [(dir.clone(), "acme"), (acme.clone(), "."), (acme.clone(), "acme.compel")] {
        let out = compel_in(&cwd, &["eval", path, "--now", NOW, "--format", "json", "--ready", "all"]);
        assert_eq!(out.status.code(), Some(1), "{path}: {}", stderr(&out));
        assert_eq!(json(&out)["outcome"], "fail", "compel.toml's metrics are read");
    }
    let out = compel_in(
        &dir,
        &[
            "eval",
            "acme",
            "--metrics",
            "acme/metrics/all-green.json",
            "--now",
            NOW,
            "--format",
            "json",
            "--ready",
            "all",
        ],
    );
    assert_eq!(json(&out)["outcome"], "warn", "--metrics wins over compel.toml");

    std::fs::write(
        dir.join("compel.toml"),
        "metrics = [\"acme/metrics/latency-spike.json\"]\nmax_age = \"2d\"\nmax_age_typo = 1\n",
    )
    .unwrap();
    let out = compel_in(&dir, &["eval", "acme", "--now", NOW]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown key `max_age_typo`"), "{}", stderr(&out));

    std::fs::write(dir.join("compel.toml"), "prometheus = \"http://127.0.0.1:1\"\ntimeout = \"2s\"\n").unwrap();
    let out = compel_in(&dir, &["eval", "acme", "--now", NOW]);
    assert_eq!(out.status.code(), Some(2), "compel.toml's prometheus is used: {}", stderr(&out));
    assert!(stderr(&out).contains("127.0.0.1:1"), "{}", stderr(&out));
}

/// A project holding the fail-closed fixture and `compel.toml` with `toml`.
fn failclosed_project(name: &str, toml: &str) -> PathBuf {
    let dir = temp_dir(name);
    for f in ["policy.compel", "metrics.json"] {
        std::fs::copy(format!("{FIXTURES}/failclosed/{f}"), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("compel.toml"), toml).unwrap();
    dir
}

#[test]
fn compel_toml_max_age_changes_decisions_and_the_flag_wins() {
    // `fine_kpi` (no max_age of its own) last reads 5 on 2026-11-23: one day
    // old at NOW, fresh under the built-in 1d, stale under the file's 12h.
    let dir = failclosed_project("max-age-short", "metrics = [\"metrics.json\"]\nmax_age = \"12h\"\n");
    let out = compel_in(&dir, &["eval", "policy.compel", "--now", NOW, "--format", "json", "--ready", "all"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = json(&out);
    let fine = kpi(&r, "fine_kpi");
    assert_eq!(fine["status"], "unknown", "compel.toml's 12h makes a day-old sample stale: {fine:#}");
    assert!(fine["reason"].as_str().unwrap().contains("older than max_age 12h"), "{fine:#}");
    assert_eq!(kpi(&r, "stale_kpi")["status"], "unknown", "its own max_age of 1d still applies");
    // Without compel.toml (the same files, given by flag) the default 1d keeps it fresh.
    let out = compel_in(
        Path::new(FIXTURES),
        &["eval", "failclosed/", "--metrics", "failclosed/metrics.json", "--now", NOW, "--format", "json"],
    );
    assert_eq!(kpi(&json(&out), "fine_kpi")["status"], "met", "the built-in default decides otherwise");
    // `--max-age` beats the file's value.
    let out = compel_in(&dir, &["eval", "policy.compel", "--now", NOW, "--max-age", "1d", "--format", "json"]);
    assert_eq!(kpi(&json(&out), "fine_kpi")["status"], "met", "--max-age 1d wins over max_age = \"12h\"");

    // The other way: `nan_window_kpi` last reads 2 on 2026-11-23, three days
    // before 2026-11-26: stale under the default 1d, fresh under the file's 5d.
    let later = "2026-11-26T00:00:00Z";
    let dir = failclosed_project("max-age-long", "metrics = [\"metrics.json\"]\nmax_age = \"5d\"\n");
    let out = compel_in(&dir, &["eval", "policy.compel", "--now", later, "--format", "json"]);
    let r = json(&out);
    assert_eq!(kpi(&r, "nan_window_kpi")["status"], "met", "compel.toml's 5d makes a 3-day-old sample fresh");
    assert_eq!(kpi(&r, "nan_window_kpi")["time"], "2026-11-23T00:00:00Z");
    assert_eq!(kpi(&r, "fine_kpi")["status"], "missed", "the sample of the 25th (0) is the latest and fresh");
    let out = compel_in(&dir, &["eval", "policy.compel", "--now", later, "--max-age", "1d", "--format", "json"]);
    let r = json(&out);
    let nan_window = kpi(&r, "nan_window_kpi");
    assert_eq!(nan_window["status"], "unknown", "--max-age 1d wins over max_age = \"5d\": {nan_window:#}");
    assert!(nan_window["reason"].as_str().unwrap().contains("older than max_age 1d"), "{nan_window:#}");
}

#[test]
fn the_prometheus_flag_beats_compel_toml_metrics() {
    // compel.toml names metric files that would decide; the flag names a
    // loopback port that refuses connections: the decision is the flag's.
    let dir = failclosed_project("prometheus-flag", "metrics = [\"metrics.json\"]\nmax_age = \"1d\"\n");
    let reference = compel_in(&dir, &["eval", "policy.compel", "--now", NOW, "--format", "json", "--ready", "all"]);
    assert_eq!(reference.status.code(), Some(1), "the files alone decide: {}", stderr(&reference));
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let out = compel_in(&dir, &["eval", "policy.compel", "--prometheus", &url, "--now", NOW, "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(2), "the flag's server is used, not the files: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no metric could be read from prometheus"), "{err}");
    assert!(err.contains(&format!("prometheus at {url} is unreachable")), "{err}");
    assert!(out.stdout.is_empty(), "no report");

    // And the reverse: compel.toml names that server, `--metrics` replaces it.
    std::fs::write(dir.join("compel.toml"), format!("prometheus = \"{url}\"\ntimeout = \"2s\"\n")).unwrap();
    let out = compel_in(&dir, &["eval", "policy.compel", "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "compel.toml's prometheus is read: {}", stderr(&out));
    let out = compel_in(
        &dir,
        &["eval", "policy.compel", "--metrics", "metrics.json", "--now", NOW, "--format", "json", "--ready", "all"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(out.stdout, reference.stdout, "--metrics wins over compel.toml's prometheus");
}

#[test]
fn prometheus_down_exits_2() {
    // A port nothing listens on: bind one, then close it.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let out = compel_in(Path::new(EXAMPLES), &["eval", "acme/", "--prometheus", &url, "--now", NOW, "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no metric could be read from prometheus"), "{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------------------
// A fake Prometheus: answers `GET /api/v1/query?query=SELECTOR[Ns]&time=T`
// from a metrics file, as the real server does for range selectors.

struct FakePrometheus {
    url: String,
    stop: Arc<AtomicBool>,
    queries: Arc<Mutex<Vec<String>>>,
    /// The `Authorization` header of each request (empty when none).
    auth: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for FakePrometheus {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Serves the series of `metrics_file`; selectors of a metric in `broken`
/// get HTTP 400. A subquery `(EXPR)[Ns:STEPs]` is answered with the series
/// of the first metric named in EXPR, without `__name__` (as a function
/// over it would be).
fn fake_prometheus(metrics_file: &str, broken: &'static [&'static str]) -> FakePrometheus {
    let text = std::fs::read_to_string(metrics_file).unwrap();
    let series = compel::eval::sources::read_metrics(metrics_file, &text, Some(0)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let queries = Arc::new(Mutex::new(Vec::new()));
    let auth = Arc::new(Mutex::new(Vec::new()));
    let (stop2, queries2, auth2) = (stop.clone(), queries.clone(), auth.clone());
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut authorization = String::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
                if let Some((name, value)) = h.split_once(':') {
                    if name.eq_ignore_ascii_case("authorization") {
                        authorization = value.trim().to_string();
                    }
                }
            }
            auth2.lock().unwrap().push(authorization);
            let target = line.split_whitespace().nth(1).unwrap_or("");
            let query_string = target.split_once('?').map_or("", |(_, q)| q);
            let mut promql = String::new();
            let mut time = 0i64;
            for pair in query_string.split('&') {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                match k {
                    "query" => promql = percent_decode(v),
                    "time" => time = percent_decode(v).parse().unwrap_or(0),
                    _ => {}
                }
            }
            queries2.lock().unwrap().push(promql.clone());
            let (selector, range) = promql.rsplit_once('[').unwrap_or((&promql, "0s]"));
            let secs: i64 = range.split(['s', ':']).next().unwrap_or("0").parse().unwrap_or(0);
            let parsed = match selector.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
                // A subquery: the series of the first metric the expression names.
                Some(expr) => series
                    .iter()
                    .find(|s| expr.contains(s.metric.as_str()))
                    .map(|s| (s.metric.clone(), compel::eval::metrics::Labels::new()))
                    .ok_or(()),
                None => compel::eval::sources::parse_selector(selector).map_err(|_| ()),
            };
            let subquery = selector.starts_with('(');
            let (status, body) = match parsed {
                Ok((metric, _)) if broken.contains(&metric.as_str()) => (
                    "400 Bad Request",
                    r#"{"status":"error","errorType":"bad_data","error":"this fake refuses the metric"}"#.to_string(),
                ),
                Ok((metric, labels)) => {
                    let result: Vec<Value> = series
                        .iter()
                        .filter(|s| s.metric == metric && compel::eval::metrics::matches_selector(&s.labels, &labels))
                        .map(|s| {
                            let mut m = serde_json::Map::new();
                            if !subquery {
                                m.insert("__name__".into(), Value::from(s.metric.clone()));
                            }
                            for (k, v) in &s.labels {
                                m.insert(k.clone(), Value::from(v.clone()));
                            }
                            let values: Vec<Value> = s
                                .samples
                                .iter()
                                .filter(|x| x.time > (time - secs) * 1_000_000_000 && x.time <= time * 1_000_000_000)
                                .map(|x| {
                                    let at: Value =
                                        serde_json::from_str(&compel::prometheus::api_time(x.time)).unwrap();
                                    serde_json::json!([at, x.value.to_string()])
                                })
                                .collect();
                            serde_json::json!({"metric": m, "values": values})
                        })
                        .filter(|v| !v["values"].as_array().unwrap().is_empty())
                        .collect();
                    (
                        "200 OK",
                        serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": result}})
                            .to_string(),
                    )
                }
                Err(_) => (
                    "400 Bad Request",
                    r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#.to_string(),
                ),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(10)));
            let _ = stream.read_to_end(&mut rest);
        }
    });
    FakePrometheus { url, stop, queries, auth, thread: Some(thread) }
}

/// Outcomes criterion by criterion, KPI statuses and policy outcomes.
fn decisions(r: &Value) -> Vec<String> {
    let mut out = vec![format!("outcome {}", r["outcome"])];
    for i in r["initiatives"].as_array().unwrap() {
        for k in i["kpis"].as_array().unwrap() {
            out.push(format!("kpi {} {}", k["name"], k["status"]));
        }
        for g in i["gates"].as_array().unwrap() {
            out.push(format!("gate {} {}", g["to"], g["outcome"]));
            for c in g["criteria"].as_array().unwrap() {
                out.push(format!("criterion {} {} {}", c["text"], c["outcome"], c["reason"]));
            }
        }
    }
    for p in r["policies"].as_array().unwrap() {
        out.push(format!("policy {} {} {}", p["name"], p["subject"], p["outcome"]));
    }
    out
}

#[test]
fn a_prometheus_server_gives_the_same_decisions_as_the_file() {
    for file in ["latency-spike.json", "all-green.json"] {
        let server = fake_prometheus(&format!("{EXAMPLES}/acme/metrics/{file}"), &[]);
        let out = compel_in(
            Path::new(EXAMPLES),
            &["eval", "acme/", "--prometheus", &server.url, "--now", NOW, "--format", "json"],
        );
        let from_file = eval_example(file, "json");
        assert_eq!(out.status.code(), from_file.status.code(), "{file}: {}", stderr(&out));
        assert_eq!(decisions(&json(&out)), decisions(&json(&from_file)), "{file}");
        let queries = server.queries.lock().unwrap().clone();
        // One range query per KPI; `latency_p95 for 7d` reads 7d + its 1d max_age.
        assert_eq!(queries.len(), 4, "{queries:?}");
        assert!(queries.contains(&"fraud_scoring_latency_p95[691201s]".to_string()), "{queries:?}");
        assert!(queries.contains(&"fraud_model_accuracy{model=\"scoring-v2\"}[345601s]".to_string()), "{queries:?}");
    }
}

#[test]
fn a_failing_prometheus_query_makes_its_criteria_unknown() {
    let server = fake_prometheus(&format!("{EXAMPLES}/acme/metrics/all-green.json"), &["fraud_scoring_latency_p95"]);
    let out = compel_in(
        Path::new(EXAMPLES),
        &["eval", "acme/", "--prometheus", &server.url, "--now", NOW, "--format", "json", "--ready", "scoring_v2"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["outcome"], "unknown");
    assert_eq!(kpi(&r, "latency_p95")["status"], "unknown");
    let c = criterion(&r, "require latency_p95 for 7d");
    assert_eq!(c["outcome"], "unknown");
    let reason = c["reason"].as_str().unwrap();
    assert!(reason.contains("the source of `fraud_scoring_latency_p95` failed"), "{reason}");
    assert!(reason.contains("this fake refuses the metric"), "{reason}");
    assert_eq!(kpi(&r, "accuracy")["status"], "at_risk", "the other queries still count");
}

#[test]
fn a_kpi_query_is_fetched_as_promql_and_selected_by_its_labels() {
    let server = fake_prometheus(&format!("{EXAMPLES}/acme/metrics/latency-spike.json"), &[]);
    let dir = temp_dir("query");
    // A query KPI and a plain KPI on one metric: each reads its own series.
    std::fs::write(
        dir.join("q.compel"),
        "kpi acc {\n  metric  \"fraud_model_accuracy\"\n  query   \"max by (model) (fraud_model_accuracy)\"\n  resolution 1m\n  labels  { model \"scoring-v2\" }\n  unit    percent\n  target  >= 92%\n  warn    < 94%\n  max_age 2d\n}\n\
         kpi raw_acc {\n  metric  \"fraud_model_accuracy\"\n  labels  { model \"scoring-v2\" }\n  unit    percent\n  target  >= 92%\n  max_age 2d\n}\n\
         initiative i {\n  owner \"o\"\n  stage model\n  kpis  [acc, raw_acc]\n  gate model -> produce {\n    require acc\n    require raw_acc\n  }\n}\n",
    )
    .unwrap();
    let out = compel_in(&dir, &["eval", "q.compel", "--prometheus", &server.url, "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(kpi(&r, "acc")["status"], "at_risk", "{r:#}");
    assert_eq!(
        read(&r, kpi(&r, "acc"), 0)["series"],
        "query(max by (model) (fraud_model_accuracy)){model=\"scoring-v2\"}"
    );
    // The plain KPI reads the raw samples alone: the query's points (dated
    // five minutes before their steps) never merge into its series.
    let raw = kpi(&r, "raw_acc");
    assert_eq!(read(&r, raw, 0)["series"], "fraud_model_accuracy{model=\"scoring-v2\"}", "{r:#}");
    let plain_time = read(&r, raw, 0)["samples"][0][0].clone();
    let query_time = read(&r, kpi(&r, "acc"), 0)["samples"][0][0].clone();
    assert_eq!(plain_time, "2026-11-23T00:00:00Z", "{r:#}");
    assert_eq!(query_time, "2026-11-22T23:55:00Z", "{r:#}");
    let mut queries = server.queries.lock().unwrap().clone();
    queries.sort();
    assert_eq!(
        queries,
        ["(max by (model) (fraud_model_accuracy))[345601s:60s]", "fraud_model_accuracy{model=\"scoring-v2\"}[345601s]"]
    );
}

#[test]
fn a_query_kpi_under_a_default_max_age_below_resolution_plus_lookback_is_unknown() {
    let server = fake_prometheus(&format!("{EXAMPLES}/acme/metrics/latency-spike.json"), &[]);
    let dir = temp_dir("query-default-age");
    std::fs::write(
        dir.join("q.compel"),
        "kpi acc {\n  metric  \"fraud_model_accuracy\"\n  query   \"max by (model) (fraud_model_accuracy)\"\n  resolution 1m\n  labels  { model \"scoring-v2\" }\n  unit    percent\n  target  >= 92%\n}\n\
         initiative i {\n  owner \"o\"\n  stage model\n  kpis  [acc]\n  gate model -> produce {\n    require acc\n  }\n}\n",
    )
    .unwrap();
    let args = ["eval", "q.compel", "--prometheus", &server.url, "--now", NOW, "--format", "json", "--max-age", "5m"];
    let out = compel_in(&dir, &args);
    let r = json(&out);
    assert_eq!(kpi(&r, "acc")["status"], "unknown", "{r:#}");
    let reason = kpi(&r, "acc")["reason"].as_str().unwrap_or("").to_string();
    assert!(
        reason.contains("`acc` takes the default max_age 5m, below its resolution 1m plus Prometheus' 5m lookback"),
        "{reason}"
    );
}

#[test]
fn prometheus_credentials_come_from_flags_or_the_environment() {
    let server = fake_prometheus(&format!("{EXAMPLES}/acme/metrics/all-green.json"), &[]);
    let base = ["eval", "acme/", "--prometheus", &server.url, "--now", NOW, "--format", "json"];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    let out = compel_in(Path::new(EXAMPLES), &with(&base, &["--token", "s3cret"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = compel_in(Path::new(EXAMPLES), &with(&base, &["--user", "ann", "--password", "pw"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(base)
        .current_dir(EXAMPLES)
        .env("COMPEL_PROMETHEUS_TOKEN", "from-env")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let auth = server.auth.lock().unwrap().clone();
    assert_eq!(auth.len(), 12, "four queries per run: {auth:?}");
    assert!(auth[..4].iter().all(|a| a == "Bearer s3cret"), "{auth:?}");
    assert!(auth[4..8].iter().all(|a| a == "Basic YW5uOnB3"), "{auth:?}");
    assert!(auth[8..].iter().all(|a| a == "Bearer from-env"), "{auth:?}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-eval-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A date difference compared with a bound in days reads in days, not
/// seconds or weeks (`compel init`'s review cadence, on the day of the
/// review and 45 days later).
#[test]
fn date_differences_read_in_days() {
    let dir = std::env::temp_dir().join(format!("compel-eval-days-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert_eq!(compel_in(&dir, &["init", "p"]).status.code(), Some(0));
    let project = dir.join("p");
    // `compel init` writes today's date: review it on 2026-12-05.
    let path = project.join("governance.compel");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("last_review")).unwrap();
    std::fs::write(&path, text.replace(line, "  last_review  2026-12-05")).unwrap();
    let on_the_day = stdout(&compel_in(&project, &["eval", ".", "--now", "2026-12-05T10:00:00Z"]));
    assert!(on_the_day.contains("`today - last_review` is 0d and `review_every` is 30d: 0d <= 30d"), "{on_the_day}");
    let late = stdout(&compel_in(&project, &["eval", ".", "--now", "2027-01-19T00:00:00Z"]));
    assert!(late.contains("`today - last_review` is 45d and `review_every` is 30d: 45d is not <= 30d"), "{late}");
    let _ = std::fs::remove_dir_all(&dir);
}
