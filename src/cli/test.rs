//! `compel test PATH...`: runs the `test` blocks of policy files.

use std::path::PathBuf;

use super::{analyze_paths, use_color, Exit, ProjectLoader, RunClock, Unusable};
use crate::diag::{render, Code, Diagnostic};
use crate::junit::{attr, xml, JunitRun};
use crate::testing::{is_compile_error, run_tests, TestResult};

/// Output formats of `compel test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per test and a summary.
    Human,
    /// JUnit XML.
    Junit,
}

/// Arguments of `compel test`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or folders (every `*.compel` below a folder).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Exit 0 when no test runs (no `test` block, or none matching
    /// `--filter`); without it that is exit 2, so a typo in a filter cannot
    /// pass CI.
    #[arg(long)]
    pub allow_empty: bool,
}

/// Runs `compel test`: exit 0 when all pass, 1 when any fails, 2 when a test
/// cannot run (a compile error, an unreadable metrics file) or none ran
/// (unless `--allow-empty`). With `--format junit`, exit 2 still writes a
/// report, with a test case in error.
pub fn run(args: Args) -> Exit {
    let started = RunClock::start();
    let run_facts = |started: &RunClock| {
        let mut properties = Vec::new();
        if let Some(filter) = &args.filter {
            properties.push(("filter".to_string(), filter.clone()));
        }
        started.junit_run(properties)
    };
    let fail = |reason: String| {
        eprintln!("{reason}");
        if args.format == Format::Junit {
            super::print_out(&crate::junit::error_report("compel test", &run_facts(&started), &reason));
        }
        Exit::Error
    };
    let analysis = match analyze_paths(&args.paths) {
        Ok(a) => a,
        Err(unusable) => return fail(unusable.to_string()),
    };
    let errors: Vec<Diagnostic> = analysis.user_diagnostics().filter(|d| is_compile_error(d)).cloned().collect();
    if !errors.is_empty() {
        eprint!("{}", render::terminal(&analysis.files, &errors, false));
        let code = errors.iter().map(|d| d.code).find(|c| matches!(c, Code::UnreadableInput | Code::NotUtf8));
        let message = "the policies do not compile, so no test ran".to_string();
        return fail(Unusable { code, message }.to_string());
    }
    let results = run_tests(&analysis, &ProjectLoader::for_paths(&args.paths), args.filter.as_deref());
    if results.is_empty() && !args.allow_empty {
        let what = match &args.filter {
            Some(filter) => format!("no test matches `--filter {filter}`"),
            None => "no tests found".to_string(),
        };
        return fail(format!("error: {what}, so nothing was tested (`--allow-empty` accepts that)"));
    }
    let out = match args.format {
        Format::Human => human(&results, use_color()),
        Format::Junit => junit(&results, &run_facts(&started)),
    };
    super::print_out(&out);
    if results.iter().any(|r| r.error.is_some()) {
        Exit::Error
    } else if results.iter().any(|r| !r.passed()) {
        Exit::Blocked
    } else {
        Exit::Success
    }
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// One line per test, the failures in detail, and `N passed, M failed`.
pub fn human(results: &[TestResult], color: bool) -> String {
    let mut out = String::new();
    for r in results {
        let (word, code) = match (&r.error, r.failures.is_empty()) {
            (Some(_), _) => ("error", "35"),
            (None, true) => ("ok", "32"),
            (None, false) => ("FAIL", "31"),
        };
        out.push_str(&format!("test {}:{} {} ... {}\n", r.file, r.line, r.name, paint(word, code, color)));
        if let Some(e) = &r.error {
            out.push_str(&format!("  cannot run: {e}\n"));
        }
        for f in &r.failures {
            out.push_str(&format!("  {}: {}\n", f.location, f.assertion.trim()));
            out.push_str(&format!(
                "    expected {}, got {}\n",
                paint(&f.expected, "32", color),
                paint(&f.actual, "31", color)
            ));
            for d in &f.decided_by {
                out.push_str(&format!("    decided by {d}\n"));
            }
        }
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let failed = results.len() - passed;
    if results.is_empty() {
        out.push_str("no tests found\n");
    }
    if errors > 0 {
        out.push_str(&format!("{passed} passed, {failed} failed ({errors} could not run)\n"));
    } else {
        out.push_str(&format!("{passed} passed, {failed} failed\n"));
    }
    out
}

/// JUnit XML (see [`crate::junit`]): one suite, one test case per test
/// (its classname the file). A test that could not run is an `<error>`; a
/// test whose expectations do not hold is one `<failure>` listing each of
/// them with its `file:line:column`, expected and actual outcome.
pub fn junit(results: &[TestResult], run: &JunitRun) -> String {
    let failures = results.iter().filter(|r| !r.failures.is_empty() && r.error.is_none()).count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let time = run.time();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"compel test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time}\">\n",
        results.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"compel test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" \
         time=\"{time}\"{}>\n",
        results.len(),
        run.suite_attributes()
    ));
    out.push_str(&run.properties_xml("    "));
    for r in results {
        out.push_str(&format!("    <testcase name=\"{}\" classname=\"{}\"", attr(&r.name), attr(&r.file)));
        if r.passed() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let location = format!("{}:{}", r.file, r.line);
        if let Some(e) = &r.error {
            out.push_str(&format!(
                "      <error message=\"{}\" type=\"cannot run\">{}</error>\n",
                attr(e),
                xml(&format!("{location}: test `{}` cannot run: {e}", r.name))
            ));
        } else {
            let message = match r.failures.as_slice() {
                [only] => format!("expected {}, got {}", only.expected, only.actual),
                many => format!("{} expectations do not hold", many.len()),
            };
            let mut body = format!("{location}: test `{}`", r.name);
            for f in &r.failures {
                body.push_str(&format!(
                    "\n{}: {}\n  expected {}, got {}",
                    f.location,
                    f.assertion.trim(),
                    f.expected,
                    f.actual
                ));
                for d in &f.decided_by {
                    body.push_str(&format!("\n  decided by {d}"));
                }
            }
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"expectation\">{}</failure>\n",
                attr(&message),
                xml(&body)
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
