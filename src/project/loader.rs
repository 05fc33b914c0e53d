//! The file system as the analysis sees it: where a project's root is, and
//! loaders that read files from disk, confining imports to the project.

use std::path::{Path, PathBuf};

use crate::analysis::{is_inside, normalize_path, SourceLoader};

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
        ProjectLoader::for_roots(paths.iter().map(|p| project_root(p)).collect())
    }

    /// The loader for these project roots (normalised paths).
    pub fn for_roots(mut roots: Vec<String>) -> ProjectLoader {
        roots.sort();
        roots.dedup();
        ProjectLoader { roots }
    }

    /// The project roots imports must stay in.
    pub fn roots(&self) -> &[String] {
        &self.roots
    }
}

/// The project root for a path: the nearest folder at or above it holding
/// `compel.toml` (a relative path is followed up to the working
/// directory), else the folder given or the given file's folder;
/// normalised (`""` is the working directory).
pub fn project_root(path: &Path) -> String {
    let start =
        if path.is_dir() { path.to_path_buf() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
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
