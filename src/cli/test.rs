//! `compel test PATH...`: runs the `test` blocks of policy files.

use std::path::PathBuf;

use super::{analyze_paths, use_color, Exit, ProjectLoader};
use crate::diag::{render, Diagnostic};
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
}

/// Runs `compel test`: exit 0 when all pass, 1 when any fails, 2 when a test
/// cannot run (a compile error, an unreadable metrics file).
pub fn run(args: Args) -> Exit {
    let analysis = match analyze_paths(&args.paths) {
        Ok(a) => a,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Error;
        }
    };
    let errors: Vec<Diagnostic> = analysis.user_diagnostics().filter(|d| is_compile_error(d)).cloned().collect();
    if !errors.is_empty() {
        eprint!("{}", render::terminal(&analysis.files, &errors, false));
        eprintln!("error: the policies do not compile, so no test ran");
        return Exit::Error;
    }
    let results = run_tests(&analysis, &ProjectLoader::for_paths(&args.paths), args.filter.as_deref());
    let out = match args.format {
        Format::Human => human(&results, use_color()),
        Format::Junit => junit(&results),
    };
    print!("{out}");
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

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// JUnit XML: one test case per test.
pub fn junit(results: &[TestResult]) -> String {
    let failures = results.iter().filter(|r| !r.failures.is_empty() && r.error.is_none()).count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"compel test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        results.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"compel test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        results.len()
    ));
    for r in results {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
            xml(&r.name),
            xml(&r.file),
            xml(&r.file),
            r.line
        ));
        if r.passed() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if let Some(e) = &r.error {
            out.push_str(&format!("      <error message=\"{}\"/>\n", xml(e)));
        }
        for f in &r.failures {
            let mut body = format!("{}: {}\nexpected {}, got {}", f.location, f.assertion.trim(), f.expected, f.actual);
            for d in &f.decided_by {
                body.push_str(&format!("\ndecided by {d}"));
            }
            out.push_str(&format!(
                "      <failure message=\"expected {}, got {}\">{}</failure>\n",
                xml(&f.expected),
                xml(&f.actual),
                xml(&body)
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
