//! The server's picture of the workspace: open documents over files on
//! disk, the latest analysis and, per file, the last one in which it
//! parsed.
//!
//! Every analysis covers the whole workspace (the `.compel` files under the
//! workspace folders, plus every open document), through the same
//! [`analyze_with_parser`] `compel check` uses; open documents override the
//! disk. An [`Incremental`] analyser makes that cheap: an edit re-parses one top-level
//! declaration. Results are immutable [`Snapshot`]s behind `Arc`s, so a
//! request reads one without holding any lock while it works.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tower_lsp::lsp_types::Url;

use crate::analysis::{is_inside, normalize_path, Analysis, Settings, SourceLoader};
use crate::diag::Code;
use crate::ide::incremental::Incremental;
use crate::ide::OffsetMap;
use crate::project::project_root;
use crate::stdlib;
use crate::text::{FileId, LineIndex};

/// An open document.
#[derive(Clone, Debug)]
pub struct Document {
    /// Its URI as the client sent it.
    pub uri: Url,
    /// The current text.
    pub text: Arc<String>,
    /// Line starts of `text`.
    pub lines: Arc<LineIndex>,
    /// The client's version.
    pub version: i32,
}

impl Document {
    /// A document with this text.
    pub fn new(uri: Url, text: String, version: i32) -> Document {
        let lines = Arc::new(LineIndex::new(&text));
        Document { uri, text: Arc::new(text), lines, version }
    }
}

/// One finished analysis.
pub struct Snapshot {
    /// The analysis.
    pub analysis: Analysis,
    /// The change counter it reflects.
    pub generation: u64,
    /// The version of each open document it analysed, by path.
    pub versions: HashMap<String, i32>,
}

impl Snapshot {
    /// The file with this path.
    pub fn file(&self, path: &str) -> Option<FileId> {
        self.analysis.files.find(path)
    }

    /// Whether `file` parsed (no syntax error in it).
    pub fn parsed(&self, file: FileId) -> bool {
        !self.analysis.diagnostics.iter().any(|d| {
            d.primary.file == file && matches!(d.code, Code::SyntaxError | Code::InvalidLiteral | Code::LimitExceeded)
        })
    }
}

/// What one analysis needs: the roots and the open documents' texts.
pub struct AnalysisInput {
    /// The change counter at the time.
    pub generation: u64,
    /// Paths to analyse.
    pub roots: Vec<String>,
    /// Open documents: path to text and version.
    pub docs: HashMap<String, (Arc<String>, i32)>,
    /// The workspace folders.
    pub folders: Vec<PathBuf>,
    /// The parser's limits and the policy sets of the projects (their
    /// `compel.toml`).
    pub settings: Settings,
}

/// Open documents first, then the file system; imports confined to the
/// projects, as `compel check` confines them (`docs/security.md`).
struct Overlay<'a> {
    docs: &'a HashMap<String, (Arc<String>, i32)>,
    projects: Vec<String>,
}

impl SourceLoader for Overlay<'_> {
    fn load(&self, path: &str) -> Result<String, String> {
        let bytes = self.load_bytes(path)?;
        String::from_utf8(bytes)
            .map_err(|e| format!("not valid UTF-8 (first bad byte at offset {})", e.utf8_error().valid_up_to()))
    }

    fn load_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        if let Some((text, _)) = self.docs.get(path) {
            return Ok(text.as_bytes().to_vec());
        }
        if Path::new(path).is_dir() {
            return Err("is a folder, not a file".to_string());
        }
        std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        })
    }

    fn import_allowed(&self, path: &str) -> Result<(), String> {
        if self.projects.iter().any(|r| is_inside(path, r)) {
            Ok(())
        } else {
            let roots: Vec<String> = self.projects.iter().map(|r| format!("`{r}`")).collect();
            Err(format!("it is outside the project ({})", roots.join(", ")))
        }
    }
}

/// The projects of an analysis: each workspace folder's, and each open
/// document's that lies outside them.
fn projects(job: &AnalysisInput) -> Vec<String> {
    let mut out: Vec<String> = job.folders.iter().map(|f| project_root(f)).collect();
    for path in job.docs.keys() {
        if Path::new(path).is_absolute() && !out.iter().any(|r| is_inside(path, r)) {
            out.push(project_root(Path::new(path)));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Runs one analysis.
pub fn analyse(job: AnalysisInput, analyser: &mut Incremental) -> Snapshot {
    let loader = Overlay { docs: &job.docs, projects: projects(&job) };
    let analysis = analyser.analyse(&job.roots, &loader, &job.settings);
    let versions = job.docs.iter().map(|(p, (_, v))| (p.clone(), *v)).collect();
    Snapshot { analysis, generation: job.generation, versions }
}

/// At most this many files are collected from the workspace folders; past
/// that, only open documents (and what they import) are analysed.
pub const MAX_WORKSPACE_FILES: usize = 2000;

/// At most this many folders are walked looking for them.
pub const MAX_WORKSPACE_DIRS: usize = 20_000;

/// The `.compel` files under `folders` (hidden folders, `target` and
/// `node_modules` skipped), or `None` when there are too many files or
/// folders to look at.
pub fn scan_folders(folders: &[PathBuf]) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<PathBuf> = folders.to_vec();
    let mut visited = 0;
    while let Some(dir) = todo.pop() {
        visited += 1;
        if visited > MAX_WORKSPACE_DIRS {
            return None;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(ty) = entry.file_type() else { continue };
            if ty.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    todo.push(path);
                }
            } else if name.ends_with(".compel") {
                out.insert(normalize_path(&path.to_string_lossy()));
                if out.len() > MAX_WORKSPACE_FILES {
                    return None;
                }
            }
        }
    }
    Some(out)
}

/// Where the stdlib's files and the codes' explanations are written, so an
/// editor can open them (go to definition into `std/stages.compel`, the
/// link on a diagnostic's code).
#[derive(Clone, Debug)]
pub struct StdlibOnDisk {
    /// The folder holding `std/` and `explain/`.
    pub root: PathBuf,
}

impl StdlibOnDisk {
    /// Writes the stdlib and the explanations under the temp folder (once
    /// per version and user; files already there with the right content
    /// are left alone). `None` when the folder cannot be written.
    pub fn create() -> Option<StdlibOnDisk> {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_default();
        let user: String = user.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        let shared = format!("compel-{}-{user}", env!("CARGO_PKG_VERSION"));
        // The shared folder, or one of our own if another user or server
        // holds it.
        StdlibOnDisk::create_in(&shared)
            .or_else(|| StdlibOnDisk::create_in(&format!("{shared}-{}", std::process::id())))
    }

    fn create_in(name: &str) -> Option<StdlibOnDisk> {
        let base = std::env::temp_dir().join(name);
        let root = normalize_path(&base.to_string_lossy());
        let m = StdlibOnDisk { root: PathBuf::from(root) };
        for (name, text) in stdlib::MODULES {
            m.write(&m.std_file(&stdlib::display_path(name)), text)?;
        }
        for code in Code::ALL {
            let body = format!(
                "# {}: {}\n\n{}\n\n---\n\n`compel explain {}` prints this explanation.\n",
                code.as_str(),
                code.title(),
                code.explanation(),
                code.as_str()
            );
            m.write(&m.explain_file(code.as_str()), &body)?;
        }
        Some(m)
    }

    fn write(&self, path: &Path, text: &str) -> Option<()> {
        if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
            return Some(());
        }
        std::fs::create_dir_all(path.parent()?).ok()?;
        // Written beside it and renamed over it, so another server (or an
        // editor) reading the file meanwhile sees the old text or the new,
        // never a half-written one.
        let name = path.file_name()?.to_string_lossy();
        let fresh = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        std::fs::write(&fresh, text).ok()?;
        if let Ok(meta) = std::fs::metadata(&fresh) {
            let mut perms = meta.permissions();
            perms.set_readonly(true);
            let _ = std::fs::set_permissions(&fresh, perms);
        }
        if std::fs::rename(&fresh, path).is_err() {
            let _ = std::fs::remove_file(&fresh);
            return None;
        }
        Some(())
    }

    /// The file on disk of a stdlib path (`std/stages.compel`).
    pub fn std_file(&self, std_path: &str) -> PathBuf {
        self.root.join(std_path)
    }

    /// The explanation file of a code.
    pub fn explain_file(&self, code: &str) -> PathBuf {
        self.root.join("explain").join(format!("{code}.md"))
    }

    /// The stdlib path of a file on disk, if it is one of ours.
    pub fn std_path_of(&self, path: &str) -> Option<String> {
        let root = normalize_path(&self.root.to_string_lossy());
        let rest = path.strip_prefix(&root)?.strip_prefix('/')?;
        stdlib::is_std_path(rest).then(|| rest.to_string())
    }
}

/// The offset map from a snapshot's text of `path` to the current text.
pub fn map_to_current(snapshot: &Snapshot, file: FileId, current: Option<&str>) -> OffsetMap {
    let analysed = &snapshot.analysis.files.get(file).text;
    match current {
        Some(now) => OffsetMap::new(analysed, now),
        None => OffsetMap::identity(analysed.len()),
    }
}
