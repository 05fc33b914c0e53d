//! `compel check PATH...`

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use super::{analyze_paths, use_color, Exit};
use crate::analysis::normalize_path;
use crate::diag::render::{Artifact, SarifAutomation, SarifFailure, SarifOptions};
use crate::diag::{render, Code, Diagnostic, Severity};
use crate::text::Files;

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
        Err(unusable) => {
            eprintln!("{unusable}");
            if args.format == Format::Sarif {
                let failure = SarifFailure {
                    code: unusable.code.unwrap_or(Code::UnreadableInput),
                    message: unusable.message.clone(),
                };
                let files = Files::new();
                super::print_out(&render::sarif_with(&files, &[], &sarif_options(&args.paths, &files, vec![failure])));
            }
            if args.format == Format::Github {
                step_summary(&render::github_failure_summary(&[unusable.to_string()]));
            }
            return Exit::Error;
        }
    };
    let all: Vec<Diagnostic> = analysis.user_diagnostics().cloned().collect();
    // An input that cannot be read or is not UTF-8 makes the check
    // incomplete: that is exit 2, not a verdict on the policies.
    let (unusable, diags): (Vec<Diagnostic>, Vec<Diagnostic>) = all.into_iter().partition(is_unusable_input);
    if !unusable.is_empty() {
        eprint!("{}", render::terminal(&analysis.files, &unusable, stderr_color()));
        let n = unusable.len();
        eprintln!("error: {n} input{} could not be used, so the check is incomplete", if n == 1 { "" } else { "s" });
        if args.format == Format::Github {
            let reasons: Vec<String> = unusable
                .iter()
                .map(|d| format!("error[{}]: {}", d.code.as_str(), failure_message(&analysis.files, d)))
                .collect();
            step_summary(&render::github_failure_summary(&reasons));
        }
    }
    let out = match args.format {
        Format::Sarif => {
            let failures = unusable
                .iter()
                .map(|d| SarifFailure { code: d.code, message: failure_message(&analysis.files, d) })
                .collect();
            render::sarif_with(&analysis.files, &diags, &sarif_options(&args.paths, &analysis.files, failures))
        }
        _ if !unusable.is_empty() => String::new(),
        Format::Human => {
            let mut s = render::terminal(&analysis.files, &diags, use_color());
            s.push_str(&summary(&diags));
            s
        }
        Format::Json => render::json(&analysis.files, &diags),
        Format::Github => {
            step_summary(&render::github_summary(&analysis.files, &diags));
            render::github(&analysis.files, &diags)
        }
    };
    super::print_out(&out);
    if !out.ends_with('\n') && !out.is_empty() {
        super::print_out("\n");
    }
    let blocking =
        diags.iter().any(|d| d.severity == Severity::Error || (args.deny_warnings && d.severity == Severity::Warning));
    // The process ends next: freeing a large model piece by piece is wasted
    // time.
    std::mem::forget(analysis);
    if !unusable.is_empty() {
        Exit::Error
    } else if blocking {
        Exit::Blocked
    } else {
        Exit::Success
    }
}

/// Whether a diagnostic says an input could not be used (unreadable, not
/// UTF-8): exit 2 rather than a finding.
fn is_unusable_input(diag: &Diagnostic) -> bool {
    matches!(diag.code, Code::UnreadableInput | Code::NotUtf8)
}

/// `path:line:column: message` for a SARIF notification.
fn failure_message(files: &Files, diag: &Diagnostic) -> String {
    match files.iter().find(|(id, _)| *id == diag.primary.file) {
        Some((_, file)) => {
            let at = file.line_col(diag.primary.span.start as usize);
            format!("{}:{}:{}: {}", file.path, at.line, at.column, diag.message)
        }
        None => diag.message.clone(),
    }
}

fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Appends Markdown to the job summary when `$GITHUB_STEP_SUMMARY` names
/// a file (a warning on stderr when it cannot be written).
fn step_summary(markdown: &str) {
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        if let Err(e) = append(Path::new(&path), markdown) {
            eprintln!("warning: cannot append the job summary to `{}`: {e}", Path::new(&path).display());
        }
    }
}

/// Appends `text` to the file at `path` (created if need be).
fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())
}

/// The folder SARIF paths are relative to (`%SRCROOT%`), absolute: the git
/// top level above the first path (the nearest folder holding `.git`, a
/// folder or, in a worktree, a file), else the project root (the folder
/// holding `compel.toml`), else the working directory.
pub fn source_root(paths: &[PathBuf]) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some(first) = paths.first() else { return cwd };
    let absolute = absolute(&cwd, first);
    let start =
        if absolute.is_dir() { absolute.clone() } else { absolute.parent().map(Path::to_path_buf).unwrap_or_default() };
    if let Some(top) = start.ancestors().find(|dir| dir.join(".git").exists()) {
        return top.to_path_buf();
    }
    let project = super::project_root(first);
    absolute_dir(&cwd, Path::new(if project.is_empty() { "." } else { &project }))
}

/// `path` made absolute against `cwd`, symbolic links resolved when it
/// exists (so it compares with a resolved root).
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        let joined = cwd.join(path);
        PathBuf::from(normalize_path(&joined.to_string_lossy()))
    })
}

fn absolute_dir(cwd: &Path, dir: &Path) -> PathBuf {
    absolute(cwd, dir)
}

/// Where each file of the table is relative to the source root.
fn sarif_options(paths: &[PathBuf], files: &Files, failures: Vec<SarifFailure>) -> SarifOptions {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = source_root(paths);
    let artifacts = files
        .iter()
        .map(|(_, file)| {
            if crate::stdlib::is_std_path(&file.path) && crate::stdlib::module(&file.path) == Some(file.text.as_str()) {
                return Artifact::Stdlib(file.path.clone());
            }
            let path = absolute(&cwd, Path::new(&file.path));
            match path.strip_prefix(&root) {
                Ok(rel) => Artifact::InRoot(rel.to_string_lossy().replace('\\', "/")),
                Err(_) => Artifact::Absolute(render::file_uri(&path.to_string_lossy())),
            }
        })
        .collect();
    let mut root_uri = render::file_uri(&root.to_string_lossy());
    if !root_uri.ends_with('/') {
        root_uri.push('/');
    }
    SarifOptions {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        root_uri: Some(root_uri),
        artifacts,
        failures,
        automation: automation_from_env(),
    }
}

/// The run's `automationDetails`: from Azure DevOps' predefined variables
/// inside a pipeline (`TF_BUILD` set), the fixed local values elsewhere.
fn automation_from_env() -> SarifAutomation {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if var("TF_BUILD").is_none() {
        return SarifAutomation::local();
    }
    let organization = var("SYSTEM_COLLECTIONURI")
        .map(|uri| uri.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string())
        .unwrap_or_else(|| "compel".to_string());
    let project = var("SYSTEM_TEAMPROJECT").unwrap_or_else(|| "check".to_string());
    let definition_id = var("SYSTEM_DEFINITIONID").and_then(|v| v.parse().ok()).filter(|n: &i64| *n > 0).unwrap_or(-1);
    let definition_name = var("BUILD_DEFINITIONNAME").unwrap_or_else(|| "compel".to_string());
    let phase_id = var("SYSTEM_PHASEID").unwrap_or_else(|| render::NO_PHASE_ID.to_string());
    let phase_name = var("SYSTEM_PHASENAME").unwrap_or_else(|| "compel check".to_string());
    let branch = var("BUILD_SOURCEBRANCH").unwrap_or_else(|| "local".to_string());
    let build_id = var("BUILD_BUILDID").unwrap_or_else(|| "0".to_string());
    SarifAutomation::azure_devops(
        &organization,
        &project,
        definition_id,
        &definition_name,
        &phase_id,
        &phase_name,
        &branch,
        &build_id,
    )
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
