//! Tests of the evaluator: one thread against two, thresholds in each
//! KPI's unit, the step budget.

use super::*;
use crate::eval::metrics::{Sample, Series};

/// A policy of `n` initiatives, each with a KPI read over windows, and
/// the store of their series (one missing, one stale, some NaN).
pub(super) fn many(n: usize, extra: &str) -> (crate::analysis::Analysis, MetricStore) {
    use std::fmt::Write as _;
    let mut text = String::from("import \"std/policies\"\n");
    text.push_str(extra);
    for i in 0..n {
        let _ = write!(
            text,
            "kpi k{i} {{ metric \"m\" labels {{ i \"{i}\" }} unit percent target >= 90% warn < 92% }}\n\
             initiative i{i} {{\n  owner \"o\"\n  stage model\n  kpis [k{i}]\n  contributes_to [k0]\n  \
             gate model -> produce {{\n    require k{i} for 3d\n    expect avg(k{i}, 3d) > 91%\n    require k{i}\n  }}\n}}\n"
        );
    }
    let mut loader = crate::analysis::MemoryLoader::default();
    loader.insert("p.compel", text);
    let analysis = crate::analysis::analyze(&["p.compel".to_string()], &loader);
    let now = 1_795_478_400 * NANOS_PER_SEC;
    let day = 86_400 * NANOS_PER_SEC;
    let series = (0..n).filter(|i| i % 97 != 5).map(|i| {
        let labels: crate::eval::metrics::Labels = [("i".to_string(), i.to_string())].into_iter().collect();
        let last = if i % 89 == 3 { now - 5 * day } else { now - 3600 * NANOS_PER_SEC };
        let samples = (0..4)
            .map(|d| Sample {
                time: last - d * day,
                value: if i % 53 == 7 && d == 1 { f64::NAN } else { 89.0 + (i % 7) as f64 },
            })
            .collect();
        Series::with_samples("m", labels, samples)
    });
    (analysis, series.collect())
}

/// A top-level gate quadratic in 300 numbers: evaluating it for every
/// initiative runs the step budget out.
pub(super) fn budget_spender() -> String {
    let xs: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    format!(
        "let xs = [{}]\ngate model -> produce {{\n  require all(a in xs: all(b in xs: a + b >= 0))\n}}\n",
        xs.join(", ")
    )
}

fn run(analysis: &crate::analysis::Analysis, store: &MetricStore, workers: usize) -> Report {
    let opts = EvalOptions { now: 1_795_478_400 * NANOS_PER_SEC, default_max_age: DEFAULT_MAX_AGE };
    let model = &analysis.model;
    model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
    let metrics = StoreMetrics::new(model, store, &opts);
    Evaluator::new(model, &analysis.files, &metrics).run(store, &opts, workers, None).0
}

#[test]
fn two_workers_give_the_report_of_one() {
    let (analysis, store) = many(PARALLEL_FROM + 45, "");
    let one = run(&analysis, &store, 1).to_json();
    let two = run(&analysis, &store, 2).to_json();
    assert!(one.contains("\"unknown\"") && one.contains("\"fail\"") && one.contains("\"at_risk\""), "a varied report");
    assert_eq!(one, two);
}

#[test]
fn a_threshold_is_shown_in_each_kpis_own_unit() {
    // The same bound (a quarter of a second) in two units, and the same
    // number (0.25) as a ratio: the thresholds kept as text are told
    // apart by unit as well as by bound.
    let mut loader = crate::analysis::MemoryLoader::default();
    let text = "kpi a { metric \"m\" labels { i \"a\" } unit ms target <= 250ms }\n\
                kpi b { metric \"m\" labels { i \"b\" } unit s target <= 250ms }\n\
                kpi c { metric \"m\" labels { i \"c\" } unit ratio target <= 0.25 }\n";
    loader.insert("p.compel", text.to_string());
    let analysis = crate::analysis::analyze(&["p.compel".to_string()], &loader);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let now = 1_795_478_400 * NANOS_PER_SEC;
    let store: MetricStore = ["a", "b", "c"]
        .iter()
        .map(|i| {
            let labels: crate::eval::metrics::Labels = [("i".to_string(), i.to_string())].into_iter().collect();
            Series::with_samples("m", labels, vec![Sample { time: now - NANOS_PER_SEC, value: 0.1 }])
        })
        .collect();
    let report = run(&analysis, &store, 1);
    let reason = |k: &str| report.kpi(k).map(|r| r.reason.clone()).unwrap_or_default();
    assert!(reason("a").ends_with("meets `<= 250ms`"), "{}", reason("a"));
    assert!(reason("b").ends_with("meets `<= 0.25s`"), "{}", reason("b"));
    assert!(reason("c").ends_with("meets `<= 25%`"), "{}", reason("c"));
}

#[test]
fn a_spent_budget_is_spent_the_same_way_whatever_the_workers() {
    // A quadratic policy over the initiatives runs the budget out while
    // the gates are evaluated: the fallback keeps the report exact.
    let (analysis, store) = many(PARALLEL_FROM + 1, &budget_spender());
    let one = run(&analysis, &store, 1).to_json();
    assert!(one.contains("evaluation stopped after"), "the budget ran out");
    assert_eq!(run(&analysis, &store, 2).to_json(), one);
}

/// Deciding a criterion while noting its parts' values gives the result,
/// the steps and the reads that deciding it alone gives, and each value
/// noted is that part's value: an explanation shows it instead of
/// evaluating the part again.
#[test]
fn noting_decides_as_deciding_alone_does() {
    let extra = "person p { name \"P\" role CEO }\nprogram g { sponsor p review_every 30d }\n\
                 gate model -> produce {\n  require (count(datasets) >= 0)\n  expect owner in [\"o\", \"x\"]\n  \
                 advise stage == model\n}\n";
    let (analysis, store) = many(12, extra);
    assert!(!analysis.diagnostics.iter().any(|d| d.is_compile_error()), "{:?}", analysis.diagnostics);
    let model = &analysis.model;
    let opts = EvalOptions { now: 1_795_478_400 * NANOS_PER_SEC, default_max_age: DEFAULT_MAX_AGE };
    let (plain, noting) = (StoreMetrics::new(model, &store, &opts), StoreMetrics::new(model, &store, &opts));
    let (a, b) = (Evaluator::new(model, &analysis.files, &plain), Evaluator::new(model, &analysis.files, &noting));
    let mut checked = 0;
    for (i, d) in model.decls.iter().enumerate().filter(|(_, d)| d.kind == Kind::Initiative) {
        for g in model.gates_for(DeclId(i as u32)).into_iter().map(|g| &model.gates[g]) {
            for c in &g.criteria {
                let (ea, eb) = (a.env(g.file, DeclId(i as u32)), b.env(g.file, DeclId(i as u32)));
                let (left_a, left_b) = (plain.budget.left(), noting.budget.left());
                let alone = interp::truth(&ea, &c.expr);
                let mut noted = Vec::new();
                let with_notes = interp::truth_noting(&eb, &c.expr, &mut noted);
                assert_eq!(
                    alone,
                    with_notes,
                    "{} of {}",
                    explain::source_text(&analysis.files.get(g.file).text, &c.expr),
                    d.name
                );
                assert_eq!(left_a - plain.budget.left(), left_b - noting.budget.left(), "the same steps");
                // (As text: a NaN sample equals itself there.)
                let reads = |m: &StoreMetrics| format!("{:?}", m.take_evidence());
                assert_eq!(reads(&plain), reads(&noting), "the same reads");
                assert_eq!(ea.at_risk.get(), eb.at_risk.get());
                for (part, value) in noted {
                    assert_eq!(value, interp::eval(&ea, part), "a noted value");
                    checked += 1;
                }
                drop(plain.take_evidence());
            }
        }
    }
    assert!(checked > 12 * 4, "parts noted: {checked}");
}

/// Initiatives whose gates the declared facts decide in every way: held,
/// refused, reading an unset attribute, a mistake (`owner.role` of a
/// string), and criteria that read the clock (directly or through a
/// `let`) or metrics, which the evaluation decides (some refused) and the
/// check does not.
fn varied(n: usize) -> (crate::analysis::Analysis, MetricStore) {
    use std::fmt::Write as _;
    let mut text =
        String::from("import \"std/policies\"\nperson ceo { name \"C\" role CEO }\nlet cutoff = today - 30d\n");
    for i in 0..n {
        let owner = if i % 3 == 0 { "ceo".to_string() } else { format!("\"o{i}\"") };
        let budget = if i % 4 == 0 { "budget 10 USD" } else { "" };
        let started = if i % 5 == 0 { "started 2026-01-01" } else { "" };
        let _ = write!(
            text,
            "kpi k{i} {{ metric \"m\" labels {{ i \"{i}\" }} unit percent target >= 90% }}\n\
             initiative i{i} {{\n  owner {owner}\n  stage model\n  kpis [k{i}]\n  {budget}\n  {started}\n  \
             gate model -> produce {{\n    require k{i}\n    expect owner.role == CEO\n    \
             require budget > 5 USD\n    advise started >= cutoff\n    require count(kpis) >= 2 or k{i}\n    \
             expect today < 2026-01-01\n    \
             require started >= 2025-01-01\n    expect count(kpis) >= 2\n  }}\n}}\n"
        );
    }
    let mut loader = crate::analysis::MemoryLoader::default();
    loader.insert("p.compel", text);
    let analysis = crate::analysis::analyze(&["p.compel".to_string()], &loader);
    let now = 1_795_478_400 * NANOS_PER_SEC;
    let series = (0..n).filter(|i| i % 7 != 2).map(|i| {
        let labels: crate::eval::metrics::Labels = [("i".to_string(), i.to_string())].into_iter().collect();
        let value = if i % 2 == 0 { 95.0 } else { 80.0 };
        Series::with_samples("m", labels, vec![Sample { time: now - 3600 * NANOS_PER_SEC, value }])
    });
    (analysis, series.collect())
}

/// The check's static evaluation, run beside the evaluation and taking
/// the gates' criteria it decided without the clock or metrics, finds
/// what it finds alone, in the same order: with a budget that holds,
/// with one too short for the criteria taken (it then evaluates them all
/// again), and with none left.
#[test]
fn the_static_evaluation_beside_finds_what_it_finds_alone() {
    let (analysis, store) = varied(PARALLEL_FROM + 45);
    let (model, files) = (&analysis.model, &analysis.files);
    let opts = EvalOptions { now: 1_795_478_400 * NANOS_PER_SEC, default_max_age: DEFAULT_MAX_AGE };
    let found = |left: &interp::Budget, workers: usize| {
        let beside = Beside {
            other: Box::new(|| {
                let mut run = crate::check::StaticRun::new(model, files, false, left.clone(), Vec::new());
                run.policies();
                run
            }),
            here: Box::new(|| {}),
            ends_process: false,
            early: None,
            release: false,
            static_steps: left.left(),
        };
        model.budget.reset(interp::step_limit(model, interp::MAX_EVAL_STEPS_EVAL));
        let metrics = StoreMetrics::new(model, &store, &opts);
        Evaluator::new(model, files, &metrics).run(&store, &opts, workers, Some(beside)).1
    };
    let mut codes: Vec<&str> = Vec::new();
    let steps = {
        let left = interp::Budget::default();
        left.reset(u64::MAX / 2);
        let mut alone = Vec::new();
        crate::check::evaluate_static_with(model, files, false, &left, &mut alone);
        codes.extend(alone.iter().map(|d| d.code.as_str()));
        u64::MAX / 2 - left.left()
    };
    for code in ["E0703", "E0702", "E0505"] {
        assert!(codes.contains(&code), "{code} among {codes:?}");
    }
    // A budget that holds, one step more than it takes (the steps taken
    // as decided are counted exactly), just what it takes (spent at its
    // last step), one that ends during the criteria taken, half, none.
    for (limit, taken) in
        [(u64::MAX / 2, true), (steps + 1, true), (steps, false), (steps - 1, false), (steps / 2, false), (0, false)]
    {
        let left = interp::Budget::default();
        left.reset(limit);
        let mut alone = Vec::new();
        crate::check::evaluate_static_with(model, files, false, &left.clone(), &mut alone);
        for workers in [1, 2] {
            crate::check::TAKEN.set(0);
            assert_eq!(found(&left, workers), alone, "limit {limit}, {workers} workers");
            let took = crate::check::TAKEN.get();
            assert_eq!(took > 0, taken && workers == 2, "limit {limit}, {workers} workers: {took} taken");
        }
    }
}
