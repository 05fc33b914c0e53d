//! The command-line front end. Each command is a thin shell: it gathers
//! files, calls the library, renders the result and picks the exit code.
//! Only this module (and `lsp`) touches the file system, the clock and the
//! terminal.

pub mod check;
pub mod compile;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod init;
#[cfg(feature = "lsp")]
pub mod lsp;
mod pretouch;
pub mod report;
pub mod serve;
pub mod test;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::analysis::{normalize_path, Analysis};
pub use crate::inputs::Unusable;
use crate::project::Projects;
pub use crate::project::{
    io_reason, parse_size, project_root, FsLoader, Limits, ProjectLoader, DEFAULT_MAX_METRICS_BYTES,
    DEFAULT_MAX_SAMPLES,
};

/// Writes `text` to standard output and flushes it. A reader that went
/// away (`compel explain E0301 | head -1`) is not an error: what is left
/// is dropped quietly and the command ends as it would have (`println!`
/// would panic). Any other failure is reported on standard error.
pub fn print_out(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => eprintln!("error: cannot write the output: {e}"),
        _ => {}
    }
}

/// The exit codes of every command. "The policy said no" (`Blocked`) is
/// never confused with "the tool could not run" (`Error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything passed (warnings allowed).
    Success = 0,
    /// Errors in the policy, a blocking gate, a failing test, or files that
    /// `fmt --check` would change.
    Blocked = 1,
    /// The tool could not do its job: unreadable input, bad flags, a policy
    /// that does not compile when evaluating.
    Error = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

/// When a command started, for the reports that record it (JUnit's
/// `timestamp` and `time`).
pub struct RunClock {
    wall: std::time::SystemTime,
    monotonic: std::time::Instant,
}

impl RunClock {
    /// Now.
    pub fn start() -> RunClock {
        RunClock { wall: std::time::SystemTime::now(), monotonic: std::time::Instant::now() }
    }

    /// The JUnit run facts: the start in UTC, this machine's name, the time
    /// since the start, and `compel.version` followed by `properties`.
    pub fn junit_run(&self, properties: Vec<(String, String)>) -> crate::junit::JunitRun {
        let secs = match self.wall.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        let timestamp =
            crate::eval::metrics::format_rfc3339(crate::eval::metrics::secs(secs)).trim_end_matches('Z').to_string();
        let mut all = vec![("compel.version".to_string(), env!("CARGO_PKG_VERSION").to_string())];
        all.extend(properties);
        crate::junit::JunitRun {
            timestamp,
            hostname: hostname(),
            seconds: self.monotonic.elapsed().as_secs_f64(),
            properties: all,
        }
    }
}

/// This machine's name: the kernel's, `/etc/hostname`, `HOSTNAME` or
/// `COMPUTERNAME`, else `localhost`.
pub fn hostname() -> String {
    let files = ["/proc/sys/kernel/hostname", "/etc/hostname"];
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .chain(["HOSTNAME", "COMPUTERNAME"].iter().filter_map(|v| std::env::var(v).ok()))
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Expands the command line's paths: files as given, folders to every
/// `*.compel` below them (sorted, so output is deterministic). A path that
/// does not exist, a folder that cannot be read or holds no `.compel` file
/// is unusable input (E0105).
pub fn collect_paths(paths: &[PathBuf]) -> Result<Vec<String>, Unusable> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)
                .map_err(|e| Unusable::input(format!("cannot read `{}`: {}", p.display(), io_reason(&e))))?;
            found.sort();
            if found.is_empty() {
                return Err(Unusable::input(format!("no `.compel` files in `{}`", p.display())));
            }
            out.extend(found.into_iter().map(|f| normalize_path(&f.to_string_lossy())));
        } else if p.exists() {
            out.push(normalize_path(&p.to_string_lossy()));
        } else {
            return Err(Unusable::input(format!("`{}` does not exist", p.display())));
        }
    }
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden && path.file_name().is_some_and(|n| n != "target" && n != "node_modules") {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "compel") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether to colour output on stdout: a terminal, and `NO_COLOR` unset.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Analyses the given paths from disk within their projects: the limits
/// of the first path's `compel.toml`, each project's policy sets governing
/// its files, imports confined to the projects (see [`crate::project`]).
pub fn analyze_paths(paths: &[PathBuf]) -> Result<Analysis, Unusable> {
    analyze_projects(paths, &Projects::for_paths(paths)?)
}

/// Analyses the given paths from disk within the given projects.
pub fn analyze_projects(paths: &[PathBuf], projects: &Projects) -> Result<Analysis, Unusable> {
    analyze_projects_with(paths, projects, true)
}

/// [`analyze_projects`], ending with the static evaluation of policies
/// and gates when `static_verdicts` (`compel eval` runs it beside its
/// evaluation instead).
pub(crate) fn analyze_projects_with(
    paths: &[PathBuf],
    projects: &Projects,
    static_verdicts: bool,
) -> Result<Analysis, Unusable> {
    Ok(analyze_roots(&collect_paths(paths)?, projects, static_verdicts))
}

/// [`analyze_projects_with`] of the files [`collect_paths`] expanded.
pub(crate) fn analyze_roots(roots: &[String], projects: &Projects, static_verdicts: bool) -> Analysis {
    crate::analysis::analyze_project(roots, &projects.loader(), &cli_settings(projects, static_verdicts))
}

/// [`analyze_roots`], handing each declaration's id to `attrs_checked` as
/// soon as the check has its attributes ([`crate::check::check_observing`]).
pub(crate) fn analyze_roots_observing(
    roots: &[String],
    projects: &Projects,
    static_verdicts: bool,
    attrs_checked: &mut crate::check::AttrsChecked<'_>,
) -> Analysis {
    let mut check = |files: &_, asts: &[_], visible, options| {
        crate::check::check_observing(files, asts, visible, options, &mut *attrs_checked)
    };
    let settings = cli_settings(projects, static_verdicts);
    crate::analysis::analyze_project_with_host(
        roots,
        &projects.loader(),
        &settings,
        &mut crate::syntax::parse,
        &mut check,
    )
}

/// The analysis' settings for the command line: the projects', without
/// the editor's references, which no command reads.
fn cli_settings(projects: &Projects, static_verdicts: bool) -> crate::analysis::Settings {
    crate::analysis::Settings { references: false, static_verdicts, ..projects.settings() }
}
