//! The harness's `report` section: the executive page (`compel report`) of
//! a workload against `compel eval` of the same input (JSON report), in
//! wall time and in instructions, the page's size, and Chromium's load-to-screenshot time of the page (the
//! system `chromium` driven by `tests/browser/check.mjs --bench`, whose
//! pinned npm packages `bench/run.sh` installs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{median, ms, repo_root, time_all, verdict, workload, Cmd, Workload, COMPEL};

/// The report rows and the notes for what could not be measured.
pub fn rows(dir: &Path, w: &Workload, reps: usize) -> (Vec<[String; 4]>, Vec<String>) {
    let n = w.n;
    let page = format!("page-{n}.html");
    let base = ["--metrics", &w.metrics, "--now", workload::NOW];
    let mut eval_args = vec!["eval", &w.policy];
    eval_args.extend(base);
    eval_args.extend(["--format", "json"]);
    let mut report_args = vec!["report", &w.policy];
    report_args.extend(base);
    report_args.extend(["-o", &page]);
    let eval = Cmd::new(&format!("compel eval (N={n})"), COMPEL, &eval_args);
    let report = Cmd::new(&format!("compel report (N={n})"), COMPEL, &report_args);
    eprintln!("harness: timing compel report against compel eval, N={n}, {reps} interleaved rounds");
    let times = time_all(dir, &[&eval, &report], reps);
    let (eval_t, report_t) = (median(&times[0]), median(&times[1]));
    let bytes = std::fs::metadata(dir.join(&page)).map_or(0, |m| m.len());
    let mb = bytes as f64 / 1e6;
    let mut rows = vec![
        [
            format!("compel report, N={n}: page size"),
            format!("{mb:.2} MB"),
            format!("{:.0} bytes per initiative", bytes as f64 / n as f64),
            format!("< 3 MB: {}", verdict(mb < 3.0)),
        ],
        [
            format!("compel report, N={n}: time to write the page"),
            ms(report_t),
            format!("{:.2}x eval (JSON report, {})", report_t / eval_t, ms(eval_t)),
            format!("< 2x eval: {}", verdict(report_t / eval_t < 2.0)),
        ],
    ];
    let mut notes = Vec::new();
    // The same ratio in instructions (valgrind's callgrind), free of the
    // shared machine's noise.
    match (eval.instructions(dir), report.instructions(dir)) {
        (Some(e), Some(r)) => rows.push([
            format!("instructions, compel report, N={n}"),
            format!("{:.2} G", r / 1e9),
            format!("{:.2}x eval (JSON report, {:.2} G)", r / e, e / 1e9),
            format!("< 2x eval: {}", verdict(r / e < 2.0)),
        ]),
        _ => notes.push("valgrind is missing (apt-get install valgrind): no instruction count of the page".into()),
    }
    match chromium_load(&dir.join(&page), reps) {
        Ok(t) => rows.push([
            format!("Chromium, N={n} page: load to first screenshot"),
            ms(t),
            format!("median of {reps}, 1280x900, the browser already running"),
            String::new(),
        ]),
        Err(e) => notes.push(format!("Chromium's load time of the page not measured: {e}")),
    }
    (rows, notes)
}

fn in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

/// The median seconds from navigation to the first screenshot's bytes.
fn chromium_load(page: &Path, reps: usize) -> Result<f64, String> {
    let chromium = in_path("chromium").or_else(|| in_path("chromium-browser")).ok_or("`chromium` is not installed")?;
    let node = in_path("node").ok_or("`node` is not installed")?;
    let script = repo_root().join("tests/browser/check.mjs");
    if !repo_root().join("tests/browser/node_modules/playwright-core").is_dir() {
        return Err("tests/browser/node_modules is missing (bench/run.sh runs `npm ci` there)".into());
    }
    let out = Command::new(node)
        .arg(script)
        .arg("--chromium")
        .arg(chromium)
        .arg("--page")
        .arg(page)
        .args(["--bench", &reps.to_string()])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("node does not run: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("the browser run failed: {text}{}", String::from_utf8_lossy(&out.stderr)));
    }
    let line = text.lines().find(|l| l.contains("load_to_screenshot_ms")).ok_or("no figure in the output")?;
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    value["load_to_screenshot_ms"].as_f64().map(|ms| ms / 1e3).ok_or_else(|| "no figure in the output".into())
}
