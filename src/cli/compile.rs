//! `compel compile PATH... --target prometheus [-o FILE]`: the policy as
//! Prometheus rules.

use std::path::{Path, PathBuf};

use super::{analyze_paths, Exit, ProjectLoader};
use crate::compile::prometheus::{compile, Options, Target as RulesTarget};
use crate::compile::promtool::{tests_file, Case};
use crate::diag::{render, Diagnostic};
use crate::testing::test_input;

/// What `compel compile` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// A Prometheus rule file (`promtool check rules`).
    Prometheus,
    /// A Prometheus Operator `PrometheusRule` resource.
    PrometheusOperator,
}

/// Arguments of `compel compile`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or folders (every `*.compel` below a folder).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The rules' form.
    #[arg(long, value_enum)]
    pub target: Target,
    /// Write the rules to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the `test` blocks as a `promtool test rules` file here,
    /// expecting what compel's evaluation decides (needs `-o` and
    /// `--target prometheus`).
    #[arg(long, value_name = "FILE", requires = "output")]
    pub tests: Option<PathBuf>,
    /// The `PrometheusRule`'s `metadata.name` (`--target prometheus-operator`).
    #[arg(long, default_value = "compel")]
    pub name: String,
}

/// Runs `compel compile`: exit 0 with the rules written, 2 when the policy
/// does not compile or the output cannot be written. Criteria the rules do
/// not decide are listed on standard error ("decided by compel serve") and
/// in the rules' header.
pub fn run(args: Args) -> Exit {
    let analysis = match analyze_paths(&args.paths) {
        Ok(a) => a,
        Err(unusable) => {
            eprintln!("{unusable}");
            return Exit::Error;
        }
    };
    let errors: Vec<Diagnostic> = analysis.user_diagnostics().filter(|d| d.is_compile_error()).cloned().collect();
    if !errors.is_empty() {
        eprint!("{}", render::terminal(&analysis.files, &errors, false));
        let n = errors.len();
        eprintln!(
            "error: the policy does not compile ({n} error{}); `compel check` shows the details",
            if n == 1 { "" } else { "s" }
        );
        return Exit::Error;
    }
    if args.tests.is_some() && args.target != Target::Prometheus {
        eprintln!("error: `--tests` needs `--target prometheus` (promtool reads plain rule files)");
        return Exit::Error;
    }
    let target = match args.target {
        Target::Prometheus => RulesTarget::Prometheus,
        Target::PrometheusOperator => RulesTarget::PrometheusOperator,
    };
    // The list of rules written is what `--tests` reads.
    let opts = Options { target, name: args.name.clone(), list_rules: args.tests.is_some(), ..Options::default() };
    let out = compile(&analysis.model, &analysis.files, &opts);
    // One write for every line: a large policy lists thousands.
    let mut notes = String::new();
    for u in &out.undecided {
        notes.push_str(&format!("decided by compel serve: {} {}: {} ({})\n", u.initiative, u.gate, u.text, u.reason));
    }
    for (k, reason) in &out.skipped_kpis {
        notes.push_str(&format!("decided by compel serve: KPI {k}: not compiled ({reason})\n"));
    }
    eprint!("{notes}");
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &out.yaml) {
                eprintln!("error: cannot write {}: {}", path.display(), super::io_reason(&e));
                return Exit::Error;
            }
            eprintln!("wrote {} rules to {}", out.rules, path.display());
        }
        None => super::print_out(&out.yaml),
    }
    match (&args.tests, &args.output) {
        (Some(tests), Some(rules)) => write_tests(&args.paths, &analysis, &out, tests, rules, &opts),
        _ => Exit::Success,
    }
}

/// Writes the `promtool test rules` file of every `test` block.
fn write_tests(
    paths: &[PathBuf],
    analysis: &crate::analysis::Analysis,
    out: &crate::compile::prometheus::Output,
    tests: &Path,
    rules: &Path,
    opts: &Options,
) -> Exit {
    let loader = ProjectLoader::for_paths(paths);
    let mut cases = Vec::new();
    for (id, file) in analysis.files.iter() {
        if crate::stdlib::is_std_path(&file.path) {
            continue;
        }
        for item in &analysis.asts[id.0 as usize].items {
            let crate::syntax::ast::Item::Test(test) = item else { continue };
            match test_input(analysis, &loader, id, test) {
                Ok((now, store)) => cases.push(Case { name: test.name.value.clone(), now, store }),
                Err(reason) => {
                    eprintln!("error: test \"{}\" cannot be written: {reason}", test.name.value);
                    return Exit::Error;
                }
            }
        }
    }
    let rule_file = relative_rule_file(tests, rules);
    let text = match tests_file(&analysis.model, &analysis.files, out, &cases, &rule_file, opts.default_max_age) {
        Ok(t) => t,
        Err(reason) => {
            eprintln!("error: {reason}");
            return Exit::Error;
        }
    };
    if let Err(e) = std::fs::write(tests, text) {
        eprintln!("error: cannot write {}: {}", tests.display(), super::io_reason(&e));
        return Exit::Error;
    }
    eprintln!("wrote {} tests to {}", cases.len(), tests.display());
    Exit::Success
}

/// The rule file as promtool finds it from the test file: its name when
/// both share a folder, else its absolute path.
fn relative_rule_file(tests: &Path, rules: &Path) -> String {
    let dir = |p: &Path| p.parent().map(|d| d.to_path_buf()).filter(|d| !d.as_os_str().is_empty());
    let (td, rd) = (dir(tests), dir(rules));
    let same = match (&td, &rd) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b),
        _ => false,
    };
    match rules.file_name() {
        Some(name) if same => name.to_string_lossy().into_owned(),
        _ => std::fs::canonicalize(rules).unwrap_or_else(|_| rules.to_path_buf()).to_string_lossy().into_owned(),
    }
}
