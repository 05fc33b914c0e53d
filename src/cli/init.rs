//! `compel init [DIR]`: a starter project that checks, evaluates, tests
//! and formats clean, with comments saying what to change first.
//!
//! It writes `compel.toml`, `governance.compel` (a sponsor, a Center of
//! Excellence, a program, a KPI and an initiative under the stdlib's
//! policies), `governance_test.compel` (a test block) and
//! `metrics/today.json` (a sample taken now). It refuses to overwrite: if
//! any of those files exists, nothing is written (exit 2).

use std::path::{Path, PathBuf};

use super::{io_reason, Exit};
use crate::eval::metrics::{format_rfc3339, NANOS};

/// Arguments of `compel init`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder to write the project in (created if missing; default `.`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// Runs `compel init`.
pub fn run(args: Args) -> Exit {
    let now = eval_clock();
    let files = starter(now);
    let existing: Vec<String> = files
        .iter()
        .map(|(p, _)| args.dir.join(p))
        .filter(|p| p.exists())
        .map(|p| format!("`{}`", p.display()))
        .collect();
    if !existing.is_empty() {
        eprintln!(
            "error: compel init does not overwrite files: {} already exist{}",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        );
        return Exit::Error;
    }
    for (path, text) in &files {
        let full = args.dir.join(path);
        if let Err(e) = write(&full, text) {
            eprintln!("error: cannot write `{}`: {}", full.display(), io_reason(&e));
            return Exit::Error;
        }
    }
    let shown = args.dir.display().to_string();
    println!("Wrote a starter project in `{shown}`:");
    for (path, _) in &files {
        println!("  {path}");
    }
    let cd = if shown == "." { String::new() } else { format!("cd {shown} && ") };
    println!("Next: {cd}compel check . && compel eval . && compel test .");
    println!("Then open governance.compel: its comments say what to change first.");
    Exit::Success
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // `create_new`: a file that appeared since the check is not overwritten.
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(text.as_bytes())
}

fn eval_clock() -> i64 {
    super::eval::clock()
}

/// The starter project's files for a project created at `now` (Unix
/// nanoseconds): the program's last review is today, and the metrics
/// sample is taken now, so everything is fresh on the first run.
pub fn starter(now: i64) -> Vec<(&'static str, String)> {
    let time = format_rfc3339(now - now.rem_euclid(NANOS));
    let date = &time[..10];
    vec![
        ("compel.toml", CONFIG.to_string()),
        ("governance.compel", GOVERNANCE.replace("{DATE}", date)),
        ("governance_test.compel", TEST.replace("{TIME}", &time)),
        ("metrics/today.json", METRICS.replace("{TIME}", &time)),
    ]
}

const CONFIG: &str = r#"# compel's project settings (see `compel eval --help`).
#
# `compel eval` and `compel report` read these metrics unless `--metrics` or
# `--prometheus` is given; `compel diff` reads the base revision's. Point
# them at your real exports, or set `prometheus = "http://host:9090"`.
metrics = ["metrics/today.json"]

# KPIs without a `max_age` of their own count data older than this as stale.
max_age = "1d"
"#;

const GOVERNANCE: &str = r#"// A starter AI program, governed along the six COMPEL stages.
//
// What to change first:
//   1. `person sponsor`: your program's executive sponsor (a C-suite role,
//      as the `csuite_sponsor` policy requires).
//   2. `program ai_program`: its vision, and `last_review` each time the
//      sponsor reviews it (at least every `review_every`).
//   3. `kpi model_accuracy`: the metric your monitoring exports and the
//      target the initiative must meet.
//   4. `initiative first_model`: your first use case; move its `stage`
//      forward only when its gate passes (`compel eval --ready first_model`).
//
// `import "std/policies"` applies the standard library's policies and the
// MLOps gate `model -> produce`; keep it, or name the policy sets that
// govern every file of the project.
import "std/policies"

/// The executive who sponsors the program.
person sponsor {
  name "Your Chief Executive"
  role CEO
}

/// The people who standardise how models ship.
coe ai_coe {
  title     "AI Center of Excellence"
  lead      sponsor
  functions [data, engineering, risk]
}

/// The board-level AI program.
program ai_program {
  title        "AI program"
  vision       "Say here what the program changes for the business"
  sponsor      sponsor
  review_every 30d
  last_review  {DATE}
  objectives   [model_accuracy]
}

/// Accuracy of the first model on its holdout set, in percent.
kpi model_accuracy {
  metric  "model_accuracy"
  unit    percent
  target  >= 90%
  max_age 2d
}

/// The first use case. It is at `model`: the stdlib's gate `model ->
/// produce` asks for versioned datasets and a drift monitor, and its own
/// gate below for the KPI.
initiative first_model {
  title          "First model"
  program        ai_program
  coe            ai_coe
  owner          "ml-team@example.com"
  stage          model
  kpis           [model_accuracy]
  contributes_to [model_accuracy]

  dataset training_data {
    versioned true
    tool      "dvc"
  }

  monitor input_drift {
    kind drift
  }

  gate model -> produce {
    require model_accuracy
      because "the model must meet its accuracy target before production"
  }
}
"#;

const TEST: &str = r#"// Policy tests: `compel test .` runs every `test` block. Add one for each
// decision you want to keep true as the policies change.
import "governance.compel"

test "the first model may go to production on today's metrics" {
  now     {TIME}
  metrics "metrics/today.json"
  expect gate first_model model -> produce == pass
  expect kpi model_accuracy == met
  expect policy csuite_sponsor on ai_program == pass
}
"#;

const METRICS: &str = r#"{
  "series": [
    {
      "metric": "model_accuracy",
      "samples": [["{TIME}", 93.5]]
    }
  ]
}
"#;
