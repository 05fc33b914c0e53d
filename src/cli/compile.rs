//! `compel compile PATH... --target prometheus [-o FILE]`: the policy as
//! Prometheus rules.

use std::path::PathBuf;

use super::{analyze_paths, Exit};
use crate::compile::prometheus::{compile, Options, Target as RulesTarget};
use crate::diag::{render, Diagnostic};

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
    let target = match args.target {
        Target::Prometheus => RulesTarget::Prometheus,
        Target::PrometheusOperator => RulesTarget::PrometheusOperator,
    };
    let opts = Options { target, name: args.name.clone(), ..Options::default() };
    let out = compile(&analysis.model, &analysis.files, &opts);
    for u in &out.undecided {
        eprintln!("decided by compel serve: {} {}: {} ({})", u.initiative, u.gate, u.text, u.reason);
    }
    for (k, reason) in &out.skipped_kpis {
        eprintln!("decided by compel serve: KPI {k}: not compiled ({reason})");
    }
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
    Exit::Success
}
