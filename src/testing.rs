//! Policy tests: the `test` blocks of `.compel` files, run by `compel test`.
//!
//! A test pins `now`, loads metrics (files relative to the test file, and
//! inline `series` samples), evaluates the model exactly as `compel eval`
//! does, and compares outcomes with its `expect` assertions. Pure: the host
//! supplies file access through a [`SourceLoader`].

use crate::analysis::{resolve_import, Analysis, SourceLoader};
use crate::check::value::fmt_num;
use crate::diag::Diagnostic;
use crate::eval::metrics::{MetricStore, Sample, Series, NANOS};
use crate::eval::report::{CriterionReport, GateReport, Outcome};
use crate::eval::{evaluate, sources, EvalOptions, Report};
use crate::stdlib;
use crate::syntax::ast::{self, ExprKind, TestStmt};
use crate::text::{FileId, Span};

/// The result of one test.
#[derive(Clone, Debug, PartialEq)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// The file that holds it.
    pub file: String,
    /// 1-based line of the `test` keyword.
    pub line: u32,
    /// Failed assertions (empty when it passed).
    pub failures: Vec<Failure>,
    /// Why the test could not run, if it could not.
    pub error: Option<String>,
}

impl TestResult {
    /// Whether it ran and every assertion held.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.failures.is_empty()
    }
}

/// An assertion that did not hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The assertion's source text.
    pub assertion: String,
    /// `file:line:column` of the assertion.
    pub location: String,
    /// The expected outcome or status.
    pub expected: String,
    /// The actual outcome or status.
    pub actual: String,
    /// What decided the actual outcome: the deciding criterion and its reason.
    pub decided_by: Vec<String>,
}

/// Whether a diagnostic keeps tests (and eval) from running
/// ([`Diagnostic::is_compile_error`]).
pub fn is_compile_error(d: &Diagnostic) -> bool {
    d.is_compile_error()
}

/// Runs every test in the analysis's non-stdlib files whose name contains
/// `filter` (all when `None`), in file and source order.
pub fn run_tests(analysis: &Analysis, loader: &dyn SourceLoader, filter: Option<&str>) -> Vec<TestResult> {
    let mut results = Vec::new();
    for (id, file) in analysis.files.iter() {
        if stdlib::is_std_path(&file.path) {
            continue;
        }
        for item in &analysis.asts[id.0 as usize].items {
            let ast::Item::Test(test) = item else { continue };
            if filter.is_some_and(|f| !test.name.value.contains(f)) {
                continue;
            }
            results.push(run_test(analysis, loader, id, test));
        }
    }
    results
}

fn run_test(analysis: &Analysis, loader: &dyn SourceLoader, file: FileId, test: &ast::Test) -> TestResult {
    let source = analysis.files.get(file);
    let mut result = TestResult {
        name: test.name.value.clone(),
        file: source.path.clone(),
        line: source.line_col(test.span.start as usize).line,
        failures: Vec::new(),
        error: None,
    };
    let (now, store) = match test_input(analysis, loader, file, test) {
        Ok(input) => input,
        Err(reason) => {
            result.error = Some(reason);
            return result;
        }
    };
    let report = evaluate(&analysis.model, &analysis.files, &store, &EvalOptions::at(now));
    for stmt in &test.stmts {
        if let Some(f) = check_assertion(analysis, file, stmt, &report) {
            result.failures.push(f);
        }
    }
    result
}

/// A test's `now` (Unix nanoseconds) and its metrics (files relative to
/// the test file, and inline `series`), or why the test cannot run.
pub fn test_input(
    analysis: &Analysis,
    loader: &dyn SourceLoader,
    file: FileId,
    test: &ast::Test,
) -> Result<(i64, MetricStore), String> {
    let source = analysis.files.get(file);
    let now = test.stmts.iter().find_map(|s| match s {
        TestStmt::Now(e) => match e.kind {
            ExprKind::DateTime(t) => t.checked_mul(NANOS),
            _ => None,
        },
        _ => None,
    });
    let Some(now) = now else {
        return Err("the test does not set `now`".to_string());
    };
    let mut store = MetricStore::new();
    for stmt in &test.stmts {
        match stmt {
            TestStmt::Metrics(path) => {
                let resolved = resolve_import(&source.path, &path.value);
                if let Err(reason) = loader.import_allowed(&resolved) {
                    return Err(format!("cannot read metrics `{resolved}`: {reason}"));
                }
                let text = match loader.load(&resolved) {
                    Ok(t) => t,
                    Err(reason) => {
                        return Err(format!("cannot read metrics `{resolved}`: {reason}"));
                    }
                };
                match sources::read_metrics(&resolved, &text, None) {
                    Ok(series) => store.add_all_from(series, &resolved),
                    Err(e) => return Err(e.to_string()),
                }
            }
            TestStmt::Series(inline) => {
                let labels = inline
                    .labels
                    .as_ref()
                    .map(|m| m.entries.iter().map(|(k, v)| (k.name.clone(), v.value.clone())).collect())
                    .unwrap_or_default();
                let samples = inline
                    .samples
                    .iter()
                    .filter_map(|(t, v)| match (&t.kind, &v.kind) {
                        (ExprKind::DateTime(time), ExprKind::Number { value, .. }) => {
                            Some(Sample { time: time.checked_mul(NANOS)?, value: *value })
                        }
                        _ => None,
                    })
                    .collect();
                store.add_series(Series::with_samples(inline.metric.value.clone(), labels, samples));
            }
            _ => {}
        }
    }
    Ok((now, store))
}

fn location(analysis: &Analysis, file: FileId, span: Span) -> String {
    let f = analysis.files.get(file);
    let lc = f.line_col(span.start as usize);
    format!("{}:{}:{}", f.path, lc.line, lc.column)
}

fn check_assertion(analysis: &Analysis, file: FileId, stmt: &TestStmt, report: &Report) -> Option<Failure> {
    let text = |span: Span| analysis.files.get(file).text[span.range()].to_string();
    let failure = |span: Span, expected: &str, actual: String, decided_by: Vec<String>| Failure {
        assertion: text(span),
        location: location(analysis, file, span),
        expected: expected.to_string(),
        actual,
        decided_by,
    };
    match stmt {
        TestStmt::ExpectGate { initiative, from, to, outcome, span } => {
            match report.gate(&initiative.name, &from.name, &to.name) {
                Some(gate) if gate.outcome.as_str() == outcome.name => None,
                Some(gate) => Some(failure(*span, &outcome.name, gate.outcome.as_str().to_string(), deciding(gate))),
                None => {
                    let stage = report.initiatives.iter().find(|i| i.name == initiative.name).map(|i| i.stage.clone());
                    let why = match stage {
                        Some(s) if s != from.name => format!(
                            "`{}` is at stage `{s}`, so `{} -> {}` is not its next gate",
                            initiative.name, from.name, to.name
                        ),
                        Some(_) => format!("no gate guards `{} -> {}` for `{}`", from.name, to.name, initiative.name),
                        None => format!("`{}` is not an initiative of these files", initiative.name),
                    };
                    Some(failure(*span, &outcome.name, "no gate".to_string(), vec![why]))
                }
            }
        }
        TestStmt::ExpectKpi { kpi, status, span } => match report.kpi(&kpi.name) {
            Some(k) if k.status.as_str() == status.name => None,
            Some(k) => {
                let mut why = Vec::new();
                if let Some(v) = &k.value {
                    why.push(format!("latest value {} {}", fmt_num(v.0), k.unit));
                }
                if !k.reason.is_empty() {
                    why.push(k.reason.clone());
                }
                Some(failure(*span, &status.name, k.status.as_str().to_string(), why))
            }
            None => Some(failure(*span, &status.name, "no such KPI".to_string(), Vec::new())),
        },
        TestStmt::ExpectPolicy { policy, subject, outcome, span } => match report.policy(&policy.name, &subject.name) {
            Some(p) if p.outcome.as_str() == outcome.name => None,
            Some(p) => {
                let why = p.criteria.iter().filter(|c| c.outcome != Outcome::Pass).map(describe).collect();
                Some(failure(*span, &outcome.name, p.outcome.as_str().to_string(), why))
            }
            None => Some(failure(
                *span,
                &outcome.name,
                "not evaluated".to_string(),
                vec![format!("policy `{}` does not govern `{}`", policy.name, subject.name)],
            )),
        },
        _ => None,
    }
}

/// The criteria that gave a gate its outcome.
fn deciding(gate: &GateReport) -> Vec<String> {
    let decisive: Vec<String> = gate.criteria.iter().filter(|c| c.outcome == gate.outcome).map(describe).collect();
    if decisive.is_empty() {
        gate.criteria.iter().filter(|c| c.outcome != Outcome::Pass).map(describe).collect()
    } else {
        decisive
    }
}

fn describe(c: &CriterionReport) -> String {
    format!("`{}` ({}:{}) is {}: {}", c.text, c.file, c.line, c.outcome.as_str(), c.reason)
}
