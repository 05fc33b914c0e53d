//! The command-line front end. Each command is a thin shell: it gathers
//! files, calls the library, renders the result and picks the exit code.
//! Only this module (and `lsp`) touches the file system, the clock and the
//! terminal.

pub mod check;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod lsp;
pub mod test;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::analysis::{normalize_path, Analysis, SourceLoader};

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

/// Reads files from disk.
pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn load(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| io_reason(&e))
    }

    fn load_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        if std::path::Path::new(path).is_dir() {
            return Err("is a folder, not a file".to_string());
        }
        std::fs::read(path).map_err(|e| io_reason(&e))
    }
}

/// Reads files from disk and confines imports to the project: the folder
/// holding `compel.toml` above a given path, or else the folder given (or
/// the given file's folder). See `docs/security.md`.
pub struct ProjectLoader {
    roots: Vec<String>,
}

impl ProjectLoader {
    /// The loader for the paths given on the command line.
    pub fn for_paths(paths: &[PathBuf]) -> ProjectLoader {
        let mut roots: Vec<String> = paths.iter().map(|p| project_root(p)).collect();
        roots.sort();
        roots.dedup();
        ProjectLoader { roots }
    }

    /// The project roots imports must stay in.
    pub fn roots(&self) -> &[String] {
        &self.roots
    }
}

/// The project root for a path given on the command line.
pub fn project_root(path: &Path) -> String {
    let start = if path.is_dir() { path.to_path_buf() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let probe = if d.as_os_str().is_empty() { PathBuf::from("compel.toml") } else { d.join("compel.toml") };
        if probe.is_file() {
            return normalize_path(&d.to_string_lossy());
        }
        dir = d.parent();
    }
    normalize_path(&start.to_string_lossy())
}

/// Whether a normalised `path` lies inside the normalised `root`.
pub fn is_inside(path: &str, root: &str) -> bool {
    if root.is_empty() {
        return !(path == ".." || path.starts_with("../") || path.starts_with('/'));
    }
    path == root || path.starts_with(&format!("{root}/"))
}

impl SourceLoader for ProjectLoader {
    fn load(&self, path: &str) -> Result<String, String> {
        FsLoader.load(path)
    }

    fn load_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        FsLoader.load_bytes(path)
    }

    fn import_allowed(&self, path: &str) -> Result<(), String> {
        if self.roots.iter().any(|r| is_inside(path, r)) {
            Ok(())
        } else {
            let roots: Vec<String> =
                self.roots.iter().map(|r| if r.is_empty() { "`.`".to_string() } else { format!("`{r}`") }).collect();
            Err(format!("it is outside the project ({})", roots.join(", ")))
        }
    }
}

/// A plain-words reason for an I/O error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Expands the command line's paths: files as given, folders to every
/// `*.compel` below them (sorted, so output is deterministic). Returns an
/// error message for a path that does not exist.
pub fn collect_paths(paths: &[PathBuf]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("cannot read `{}`: {}", p.display(), io_reason(&e)))?;
            found.sort();
            if found.is_empty() {
                return Err(format!("no `.compel` files in `{}`", p.display()));
            }
            out.extend(found.into_iter().map(|f| normalize_path(&f.to_string_lossy())));
        } else if p.exists() {
            out.push(normalize_path(&p.to_string_lossy()));
        } else {
            return Err(format!("`{}` does not exist", p.display()));
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

/// Analyses the given paths from disk.
pub fn analyze_paths(paths: &[PathBuf]) -> Result<Analysis, String> {
    let roots = collect_paths(paths)?;
    Ok(crate::analysis::analyze(&roots, &ProjectLoader::for_paths(paths)))
}
