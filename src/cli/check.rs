//! `compel check PATH...`

use std::path::PathBuf;

use super::{analyze_paths, use_color, Exit};
use crate::diag::{render, Diagnostic, Severity};

/// Output formats of `compel check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Annotated source for a terminal.
    Human,
    /// `{"diagnostics": [...]}`.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Arguments of `compel check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or folders (every `*.compel` below a folder).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Runs `compel check`.
pub fn run(args: Args) -> Exit {
    let analysis = match analyze_paths(&args.paths) {
        Ok(a) => a,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Error;
        }
    };
    let diags: Vec<Diagnostic> = analysis.user_diagnostics().cloned().collect();
    let out = match args.format {
        Format::Human => {
            let mut s = render::terminal(&analysis.files, &diags, use_color());
            s.push_str(&summary(&diags));
            s
        }
        Format::Json => render::json(&analysis.files, &diags),
        Format::Sarif => render::sarif(&analysis.files, &diags, env!("CARGO_PKG_VERSION")),
        Format::Github => render::github(&analysis.files, &diags),
    };
    print!("{out}");
    if !out.ends_with('\n') && !out.is_empty() {
        println!();
    }
    let blocking =
        diags.iter().any(|d| d.severity == Severity::Error || (args.deny_warnings && d.severity == Severity::Warning));
    // The process ends next: freeing a large model piece by piece is wasted
    // time.
    std::mem::forget(analysis);
    if blocking {
        Exit::Blocked
    } else {
        Exit::Success
    }
}

/// `2 errors, 1 warning` or `no problems found`.
pub fn summary(diags: &[Diagnostic]) -> String {
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let (e, w, n) = (count(Severity::Error), count(Severity::Warning), count(Severity::Note));
    if e + w + n == 0 {
        return "no problems found\n".to_string();
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if e > 0 {
        parts.push(plural(e, "error"));
    }
    if w > 0 {
        parts.push(plural(w, "warning"));
    }
    if n > 0 {
        parts.push(plural(n, "note"));
    }
    format!("{}\n", parts.join(", "))
}
