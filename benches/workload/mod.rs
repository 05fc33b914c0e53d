//! Generated workloads shared by the bench targets (`check`, `harness`).
//!
//! The policy: `n` initiatives in one file, each with two KPIs (an accuracy
//! in percent with a target, a warn threshold and a `max_age`, and a loss
//! rate as a ratio), a dataset, a drift monitor and a five-criterion gate
//! `model -> produce` (a KPI target, a `for 7d`, a window average, a
//! quantity over a list and a fact of the program), plus one sponsor, one
//! program and the stdlib's policies. The same text `benches/eval.rs`
//! generates, so the figures of both benches describe one workload.
//!
//! The metrics: two series per initiative (`model_accuracy` and
//! `loss_rate`, labelled `model="m{i}"`), seven daily samples each ending
//! the day before [`NOW`], as a compel JSON metrics file and as OpenMetrics
//! text for `promtool tsdb create-blocks-from openmetrics`.
//!
//! The Cedar equivalent: the same `n` gates as `n` Cedar `permit` policies
//! with the same five conditions, and a schema that types every attribute
//! they read (see `docs/performance.md` for the mapping).

#![allow(dead_code)]

use std::fmt::Write as _;

/// The evaluation time of every workload: `--now`.
pub const NOW: &str = "2026-11-24T00:00:00Z";
/// [`NOW`] in seconds since the epoch.
pub const NOW_SECS: i64 = 1_795_478_400;

/// The header of the policy: the stdlib's policies, a sponsor, a program.
fn policy_header(s: &mut String) {
    s.push_str("import \"std/policies\"\n\n");
    s.push_str("person sponsor { name \"Sam Sponsor\" role CEO }\n\n");
    s.push_str(
        "program prog {\n  sponsor      sponsor\n  review_every 30d\n  last_review  2026-11-01\n  objectives   [loss_0]\n}\n\n",
    );
}

/// The declarations of initiative `i`: two KPIs and the initiative with its
/// dataset, monitor and gate.
pub fn initiative(s: &mut String, i: usize) {
    let _ = write!(
        s,
        "/// Accuracy of model {i}.\nkpi acc_{i} {{\n  metric  \"model_accuracy\"\n  labels  {{ model \"m{i}\" }}\n  unit    percent\n  target  >= 92%\n  warn    < 94%\n  max_age 2d\n}}\n\n\
         kpi loss_{i} {{\n  metric \"loss_rate\"\n  labels {{ model \"m{i}\" }}\n  unit   ratio\n  target <= 0.08%\n}}\n\n\
         initiative init_{i} {{\n  program        prog\n  owner          \"team{i}@example.com\"\n  stage          model\n  kpis           [acc_{i}, loss_{i}]\n  contributes_to [loss_0]\n\n  \
         dataset data_{i} {{\n    versioned true\n  }}\n\n  monitor drift_{i} {{\n    kind drift\n    kpi  acc_{i}\n  }}\n\n  \
         gate model -> produce {{\n    require acc_{i}\n    require acc_{i} for 7d\n    require avg(loss_{i}, 7d) < 0.1%\n    require count(datasets) >= 1\n    expect  program.review_every <= 30d\n  }}\n}}\n\n"
    );
}

/// A policy set of `n` initiatives, in one file.
pub fn policy(n: usize) -> String {
    let mut s = String::with_capacity(n * 760 + 256);
    policy_header(&mut s);
    for i in 0..n {
        initiative(&mut s, i);
    }
    s
}

/// The groups of the family workload: 4 members per family.
const GROUPS: [(&str, &str); 4] = [("female", "young"), ("female", "old"), ("male", "young"), ("male", "old")];

/// The family workload: each initiative of [`policy`] also has a KPI family
/// of 4 members (`by { sex [...]  age [...] }`) whose gate requires every
/// member, bounds the spread and the smallest 7-day average, and compares
/// the week with the week before (`offset`); and a derived KPI, a
/// composite of the initiative's accuracy and loss (`value`), required at
/// `now`, on its 7-day average (over the union of its inputs' sample
/// times) and for 3 days.
pub fn family_policy(n: usize) -> String {
    let mut s = String::with_capacity(n * 1500 + 256);
    policy_header(&mut s);
    for i in 0..n {
        initiative(&mut s, i);
        let _ = write!(
            s,
            "kpi auc_{i} {{\n  metric \"group_auc\"\n  labels {{ model \"m{i}\" }}\n  by     {{ sex [\"female\", \"male\"] age [\"young\", \"old\"] }}\n  target >= 0.8\n  max_age 2d\n}}\n\n\
             kpi score_{i} {{\n  value  0.5 * acc_{i} + 0.5 * (1 - loss_{i})\n  target >= 0.9\n}}\n\n\
             initiative fair_{i} {{\n  program        prog\n  owner          \"team{i}@example.com\"\n  stage          model\n  kpis           [auc_{i}, score_{i}]\n  contributes_to [loss_0]\n\n  \
             dataset fair_data_{i} {{\n    versioned true\n  }}\n\n  monitor fair_drift_{i} {{\n    kind drift\n  }}\n\n  \
             gate model -> produce {{\n    require auc_{i}\n    require all(g in auc_{i}: g >= 0.8)\n    require spread(auc_{i}) <= 0.05\n    require min(avg(auc_{i}, 7d)) >= 0.8\n    \
             expect  min(avg(auc_{i}, 3d)) >= min(avg(auc_{i}, 3d, offset 3d)) - 0.02\n    \
             require score_{i}\n    require avg(score_{i}, 7d) >= 0.9\n    expect  score_{i} for 3d\n  }}\n}}\n\n"
        );
    }
    s
}

/// The metrics of [`family_policy`]: those of [`metrics_json`] and 4 group
/// series per initiative.
pub fn family_metrics_json(n: usize) -> String {
    let mut s = metrics_json(n);
    s.truncate(s.len() - "\n]}\n".len());
    for i in 0..n {
        for (g, (sex, age)) in GROUPS.iter().enumerate() {
            let _ = write!(
                s,
                ",\n{{\"metric\": \"group_auc\", \"labels\": {{\"model\": \"m{i}\", \"sex\": \"{sex}\", \"age\": \"{age}\"}}, \"samples\": ["
            );
            for d in 0..7 {
                let v = 0.85 + 0.005 * ((i + d + g) % 4) as f64;
                let _ = write!(s, "{}[\"2026-11-{:02}T00:00:00Z\", {v}]", if d > 0 { ", " } else { "" }, 17 + d);
            }
            s.push_str("]}");
        }
    }
    s.push_str("\n]}\n");
    s
}

/// The two series of initiative `i`: `(metric, raw values of the 7 days)`.
fn series_values(i: usize) -> [(&'static str, [f64; 7]); 2] {
    let mut out = [("model_accuracy", [0.0; 7]), ("loss_rate", [0.0; 7])];
    for (metric, values) in &mut out {
        let base = if *metric == "model_accuracy" { 93.0 } else { 0.0007 };
        for (d, v) in values.iter_mut().enumerate() {
            *v = base * (1.0 + 0.01 * ((i + d) % 5) as f64);
        }
    }
    out
}

/// The seconds since the epoch of day `d` (0..7) of the samples: 2026-11-17
/// to 2026-11-23, at midnight UTC.
fn sample_secs(d: usize) -> i64 {
    NOW_SECS - (7 - d as i64) * 86_400
}

/// The compel JSON metrics file of `n` initiatives (`2n` series).
pub fn metrics_json(n: usize) -> String {
    let mut s = String::with_capacity(n * 2 * 400);
    s.push_str("{\"series\": [\n");
    for i in 0..n {
        for (metric, values) in series_values(i) {
            if i > 0 || metric == "loss_rate" {
                s.push_str(",\n");
            }
            let _ = write!(s, "{{\"metric\": \"{metric}\", \"labels\": {{\"model\": \"m{i}\"}}, \"samples\": [");
            for (d, v) in values.iter().enumerate() {
                let _ = write!(s, "{}[\"2026-11-{:02}T00:00:00Z\", {v}]", if d > 0 { ", " } else { "" }, 17 + d);
            }
            s.push_str("]}");
        }
    }
    s.push_str("\n]}\n");
    s
}

/// The same samples as OpenMetrics text, grouped by metric family.
pub fn openmetrics(n: usize) -> String {
    let mut s = String::with_capacity(n * 2 * 7 * 48);
    for (k, metric) in ["model_accuracy", "loss_rate"].iter().enumerate() {
        let _ = writeln!(s, "# TYPE {metric} gauge");
        for i in 0..n {
            let (_, values) = series_values(i)[k];
            for (d, v) in values.iter().enumerate() {
                let _ = writeln!(s, "{metric}{{model=\"m{i}\"}} {v} {}", sample_secs(d));
            }
        }
    }
    s.push_str("# EOF\n");
    s
}

/// The `compel.toml` beside the workload: one file of N = 10,000 holds
/// 30,003 top-level declarations, over the default limit of 10,000 per file.
pub const COMPEL_TOML: &str =
    "# Written by benches/harness.rs.\n[limits]\nmax_declarations = 1000000\nmax_file_bytes = \"64 MiB\"\n";

/// The Cedar schema of the equivalent policy set.
pub const CEDAR_SCHEMA: &str = r#"// The entities a compel gate reads, as Cedar sees them. KPI values
// computed from metrics (latest, minimum over 7 days, average over 7 days)
// are attributes the host fills in before asking Cedar.
entity Person = { name: String, role: String };
entity Program = { sponsor: Person, review_every: __cedar::duration, last_review: __cedar::datetime };
entity Kpi = {
  metric: String,
  model: String,
  target: __cedar::decimal,
  warn: __cedar::decimal,
  max_age: __cedar::duration,
  latest: __cedar::decimal,
  fresh: Bool,
  min_7d: __cedar::decimal,
  covered_7d: Bool,
  avg_7d: __cedar::decimal,
};
entity Dataset = { versioned: Bool };
entity Monitor = { kind: String, kpi: Kpi };
entity Initiative = {
  program: Program,
  owner: String,
  stage: String,
  kpis: Set<Kpi>,
  datasets: Set<Dataset>,
  monitors: Set<Monitor>,
};

// A stage transition; the gate `model -> produce`.
action model_to_produce appliesTo {
  principal: [Person],
  resource: [Initiative],
  context: {},
};
"#;

/// Gate `i` as a Cedar policy: the same five conditions as the compel gate.
pub fn cedar_gate(s: &mut String, i: usize) {
    let _ = write!(
        s,
        "@id(\"init_{i}: model -> produce\")\n\
         permit (\n  principal,\n  action == Action::\"model_to_produce\",\n  resource == Initiative::\"init_{i}\"\n)\n\
         when {{\n  \
         // require acc_{i}\n  \
         Kpi::\"acc_{i}\".fresh && Kpi::\"acc_{i}\".latest.greaterThanOrEqual(Kpi::\"acc_{i}\".target) &&\n  \
         // require acc_{i} for 7d\n  \
         Kpi::\"acc_{i}\".covered_7d && Kpi::\"acc_{i}\".min_7d.greaterThanOrEqual(Kpi::\"acc_{i}\".target) &&\n  \
         // require avg(loss_{i}, 7d) < 0.1%\n  \
         Kpi::\"loss_{i}\".avg_7d.lessThan(decimal(\"0.001\")) &&\n  \
         // require count(datasets) >= 1\n  \
         !resource.datasets.isEmpty() &&\n  \
         // expect program.review_every <= 30d\n  \
         resource.program.review_every <= duration(\"30d\")\n\
         }};\n\n"
    );
}

/// The Cedar policy set of `n` gates.
pub fn cedar_policies(n: usize) -> String {
    let mut s = String::with_capacity(n * 800);
    for i in 0..n {
        cedar_gate(&mut s, i);
    }
    s
}

/// A document of about `lines` lines for the language server.
pub fn lsp_document(lines: usize) -> String {
    // One initiative is 38 lines.
    policy(lines.div_ceil(38))
}
