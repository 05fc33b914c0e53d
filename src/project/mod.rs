//! The project: the folder holding `compel.toml` and what that file sets.
//!
//! One module reads `compel.toml` for every front end: the parser's and the
//! evaluator's limits (`[limits]`), the metric sources and defaults of
//! `compel eval` (`prometheus`, `metrics`, `max_age`, `timeout`), and the
//! policy sets that govern every file of the project without an import
//! (`[project] policies`). The CLI, the language server and library hosts
//! that read a real file system use it; the analysis itself only sees the
//! [`PolicySet`]s it hands over.
//!
//! ```toml
//! prometheus = "http://127.0.0.1:9090"   # or:
//! metrics = ["metrics/today.json"]       # relative to compel.toml
//! max_age = "1d"                         # for KPIs without `max_age`
//! timeout = "10s"                        # per Prometheus query attempt
//!
//! [project]
//! policies = ["std/policies", "org/standards.compel"]   # inside the project
//!
//! [limits]
//! max_file_bytes    = "8MiB"    # one .compel file (E0103 above it)
//! max_declarations  = 10000     # top-level declarations in one file (E0103)
//! max_list_len      = 10000     # elements of one list literal (E0103)
//! max_samples       = 1000000   # samples of one series (`compel eval --max-samples`)
//! max_metrics_bytes = "256MiB"  # metric input of one eval (`compel eval --max-metrics-bytes`)
//! ```
//!
//! Like the policies, `compel.toml` comes with the repository and may be
//! untrusted: a policy set is a stdlib module or a file inside the project
//! (no absolute path, no `..`, no link out of it).

pub mod config;
pub mod loader;

use std::path::{Path, PathBuf};

pub use config::{
    parse_duration, parse_duration_exact, parse_size, policy_set_path, Config, Limits, DEFAULT_MAX_METRICS_BYTES,
    DEFAULT_MAX_SAMPLES,
};
pub use loader::{io_reason, project_root, FsLoader, ProjectLoader};

use crate::analysis::{normalize_path, PolicySet, Settings};

/// One project: its root and its configuration.
#[derive(Clone, Debug, Default)]
pub struct Project {
    /// The root, normalised (`""` is the working directory).
    pub root: String,
    /// Its `compel.toml`, when it has one.
    pub config_file: Option<PathBuf>,
    /// What `compel.toml` sets (the defaults without one).
    pub config: Config,
    /// The folder policy sets are relative to: the folder of
    /// `compel.toml`.
    base: String,
    /// Whether the policy sets govern every file analysed (a `--config`
    /// given on the command line) rather than the files under the root.
    governs_all: bool,
}

impl Project {
    /// The project a path belongs to ([`project_root`]), with its
    /// `compel.toml` read and its policy sets found.
    pub fn discover(path: &Path) -> Result<Project, String> {
        Project::discover_from(path, false)
    }

    /// [`Project::discover`], and when the root holds no `compel.toml`,
    /// the first one above the working directory too, as `compel eval`
    /// and `compel report` look for their metric sources (`compel eval .`
    /// from a project's subfolder).
    pub fn discover_upward(path: &Path) -> Result<Project, String> {
        Project::discover_from(path, true)
    }

    fn discover_from(path: &Path, upward: bool) -> Result<Project, String> {
        let root = project_root(path);
        let here = if root.is_empty() { PathBuf::from("compel.toml") } else { Path::new(&root).join("compel.toml") };
        let (file, base) = if here.is_file() {
            (here, root.clone())
        } else {
            match find_upward(path).filter(|_| upward) {
                Some(file) => {
                    let base = normalize_path(&file.parent().unwrap_or(Path::new("")).to_string_lossy());
                    (file, base)
                }
                None => return Ok(Project { root, ..Project::default() }),
            }
        };
        let mut project = Project::read(&file)?;
        project.root = root;
        project.base = base;
        project.check_sets()?;
        Ok(project)
    }

    /// The project of a `compel.toml` named explicitly (`compel eval
    /// --config FILE`): its sets govern every file analysed.
    pub fn from_config_file(file: &Path) -> Result<Project, String> {
        let mut project = Project::read(file)?;
        project.root = normalize_path(&file.parent().unwrap_or(Path::new("")).to_string_lossy());
        project.base = project.root.clone();
        project.governs_all = true;
        project.check_sets()?;
        Ok(project)
    }

    fn read(file: &Path) -> Result<Project, String> {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read `{shown}`: {}", io_reason(&e)))?;
        let config = Config::parse(&shown, &text, file.parent().unwrap_or(Path::new("")))?;
        Ok(Project { config_file: Some(file.to_path_buf()), config, ..Project::default() })
    }

    /// The path a policy set is read from: a stdlib module as named, a
    /// project file joined to the root.
    fn set_path(&self, set: &str) -> String {
        if crate::stdlib::is_std_path(set) || self.base.is_empty() {
            set.to_string()
        } else {
            normalize_path(&format!("{}/{set}", self.base))
        }
    }

    /// Every project file the sets name exists and lies inside the project,
    /// links resolved.
    fn check_sets(&self) -> Result<(), String> {
        let shown = self.config_file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
        let root = if self.base.is_empty() { "." } else { self.base.as_str() };
        for set in self.config.policies.iter().filter(|s| !crate::stdlib::is_std_path(s)) {
            let path = self.set_path(set);
            let fail = |why: &str| Err(format!("`{shown}`: `project.policies` names `{set}`, which {why}"));
            let Ok(real) = std::fs::canonicalize(&path) else { return fail("does not exist in the project") };
            if !real.is_file() {
                return fail("is not a file");
            }
            let inside = std::fs::canonicalize(root).is_ok_and(|r| real.starts_with(r));
            if !inside {
                return fail("leads out of the project (through a link)");
            }
        }
        Ok(())
    }

    /// The policy sets another version of this project's `compel.toml`
    /// names (`compel diff` reads the base revision's), placed as this
    /// project places its own.
    pub fn policy_sets_of(&self, config: &Config) -> Vec<PolicySet> {
        let governs = if self.governs_all { None } else { Some(self.root.clone()) };
        config.policies.iter().map(|set| PolicySet { path: self.set_path(set), governs: governs.clone() }).collect()
    }

    /// The policy sets of this project, as the analysis takes them.
    pub fn policy_sets(&self) -> Vec<PolicySet> {
        let governs = if self.governs_all { None } else { Some(self.root.clone()) };
        self.config
            .policies
            .iter()
            .map(|set| PolicySet { path: self.set_path(set), governs: governs.clone() })
            .collect()
    }
}

/// The first `compel.toml` at or above `start` (a file's folder, or a
/// folder), the path made absolute.
fn find_upward(start: &Path) -> Option<PathBuf> {
    let start = if start.is_absolute() { start.to_path_buf() } else { std::env::current_dir().ok()?.join(start) };
    let mut dir = if start.is_dir() { Some(start.as_path()) } else { start.parent() };
    while let Some(d) = dir {
        let candidate = d.join("compel.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// The projects of the paths a command was given: one per root, in the
/// order first seen. The first path's project gives the limits and the
/// evaluation's settings; each project's policy sets govern its own files.
#[derive(Clone, Debug, Default)]
pub struct Projects {
    /// The projects.
    pub projects: Vec<Project>,
}

impl Projects {
    /// The projects of `paths`, each `compel.toml` read.
    pub fn for_paths(paths: &[PathBuf]) -> Result<Projects, String> {
        Projects::discover(paths, false)
    }

    fn discover(paths: &[PathBuf], upward: bool) -> Result<Projects, String> {
        let mut projects: Vec<Project> = Vec::new();
        for p in paths {
            let root = project_root(p);
            if !projects.iter().any(|q| q.root == root) {
                projects.push(Project::discover_from(p, upward)?);
            }
        }
        Ok(Projects { projects })
    }

    /// The projects of `paths` as `compel eval` finds them
    /// ([`Project::discover_upward`]), or, with an explicit `compel.toml`
    /// (`--config FILE`), that file alone: it gives the limits, the
    /// evaluation's settings and the policy sets (which then govern every
    /// file analysed); the paths' own `compel.toml` files are not read, and
    /// only their roots still confine imports.
    pub fn with_config(paths: &[PathBuf], config: Option<&Path>) -> Result<Projects, String> {
        let Some(file) = config else { return Projects::discover(paths, true) };
        let mut projects = vec![Project::from_config_file(file)?];
        for p in paths {
            let root = project_root(p);
            if !projects.iter().any(|q| !q.governs_all && q.root == root) {
                projects.push(Project { root, ..Project::default() });
            }
        }
        Ok(Projects { projects })
    }

    /// The first project's (the defaults without one).
    pub fn first(&self) -> Project {
        self.projects.first().cloned().unwrap_or_default()
    }

    /// The limits: the first project's.
    pub fn limits(&self) -> Limits {
        self.projects.first().map(|p| p.config.limits).unwrap_or_default()
    }

    /// The analysis settings: the limits, and every project's policy sets.
    pub fn settings(&self) -> Settings {
        Settings {
            limits: self.limits().parse,
            policy_sets: self.projects.iter().flat_map(Project::policy_sets).collect(),
            references: true,
            static_verdicts: true,
        }
    }

    /// A loader that confines imports to these projects' roots.
    pub fn loader(&self) -> ProjectLoader {
        ProjectLoader::for_roots(self.projects.iter().filter(|p| !p.governs_all).map(|p| p.root.clone()).collect())
    }
}
