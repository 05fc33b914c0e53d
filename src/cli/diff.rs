//! `compel diff BASE [PATH...]` and `compel diff OLD_DIR NEW_DIR`.
//!
//! Reads the two sides — the working tree's PATHs (default `.`) and the
//! same paths at the git revision BASE (through the `git` command:
//! `git ls-tree`, `git cat-file`), or two folders — analyses both, and
//! hands them to [`crate::diff`]. Initiatives whose stage advanced are
//! judged against metrics from the flags or from the *base's*
//! `compel.toml`, never the change's: a pull request does not choose the
//! data it is judged on (a metrics file it names is read at BASE too).
//!
//! Exit 0 when nothing blocks, 1 when a change blocks (an advanced stage's
//! gate fails or is unknown, a stage jumped, an initiative appears past
//! `calibrate`, or with `--deny looser` a change not proven stricter or of
//! the same meaning), 2 when an input is unusable or a side does not
//! compile.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::eval::{self as eval_cli, parse_duration_exact};
use super::{project_root, Exit, ProjectLoader, Unusable};
use crate::analysis::{normalize_path, Analysis, SourceLoader};
use crate::diag::render as diag_render;
use crate::diff::{self, render, Side};
use crate::eval::metrics::MetricStore;
use crate::eval::{sources, EvalOptions};

/// Output formats of `compel diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable listing.
    Human,
    /// The JSON report (`docs/diff.schema.json`).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
    /// GitHub Actions annotations on the changed lines.
    Github,
}

/// What `--deny` refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Any change not proven stricter or of the same meaning.
    Looser,
}

/// Arguments of `compel diff`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A git revision (the same PATHs at that revision are the base), or
    /// the old folder when two folders are given.
    pub base: String,
    /// Files or folders of the change (default `.`), or the new folder.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// `--deny looser`: exit 1 on any change not proven stricter or of the
    /// same meaning.
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
    /// A metrics file deciding the gates of advanced stages (repeatable);
    /// default: the base's `compel.toml`.
    #[arg(long = "metrics", value_name = "FILE")]
    pub metrics: Vec<PathBuf>,
    /// Read metrics from a live Prometheus server.
    #[arg(long, value_name = "URL", conflicts_with = "metrics")]
    pub prometheus: Option<String>,
    /// The time to evaluate at (RFC 3339); default: the clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// When the values of a metrics file without times were taken.
    #[arg(long, value_name = "TIME")]
    pub sample_time: Option<String>,
    /// The `max_age` of KPIs that set none (default 1d).
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
}

/// Runs `compel diff`.
pub fn run(args: Args) -> Exit {
    match run_inner(&args) {
        Ok((text, blocks)) => {
            super::print_out(&text);
            if blocks {
                Exit::Blocked
            } else {
                Exit::Success
            }
        }
        Err(u) => {
            eprintln!("{u}");
            Exit::Error
        }
    }
}

/// The two sides as read, and where the base's files come from.
struct Sides {
    base: Analysis,
    change: Analysis,
    base_root: String,
    change_root: String,
    /// Where the base's `compel.toml` and metrics are read.
    origin: Origin,
    /// The repository path of the working folder (`git rev-parse
    /// --show-prefix`), for annotations.
    prefix: String,
}

/// Where the base's `compel.toml` is: at a revision (the project root of
/// the first path), or in the old folder's project.
enum Origin {
    Git(String, String),
    Folder(PathBuf),
}

fn run_inner(args: &Args) -> Result<(String, bool), Unusable> {
    let sides = read_sides(args)?;
    for (analysis, which) in [(&sides.base, "the base"), (&sides.change, "the change")] {
        let errors: Vec<_> = analysis.user_diagnostics().filter(|d| d.is_compile_error()).cloned().collect();
        if errors.is_empty() {
            continue;
        }
        let n = errors.len();
        let plural = if n == 1 { "" } else { "s" };
        let rev = match &sides.origin {
            Origin::Git(rev, _) if which == "the base" => Some(rev),
            _ => None,
        };
        let Some(rev) = rev else {
            eprint!("{}", diag_render::terminal(&analysis.files, &errors, eval_cli::stderr_color()));
            return Err(
                format!("{which} does not compile ({n} error{plural}); `compel check` shows the details").into()
            );
        };
        // The base's files are at the revision, not on disk: say so, and
        // show how to read them.
        let mut files = crate::text::Files::new();
        for (_, f) in analysis.files.iter() {
            files.add(crate::text::SourceFile::new(format!("{} (at {rev})", f.path), f.text.clone()));
        }
        eprint!("{}", diag_render::terminal(&files, &errors, eval_cli::stderr_color()));
        let first = &analysis.files.get(errors[0].primary.file).path;
        return Err(format!(
            "the base (`{rev}`) does not compile ({n} error{plural}); `git show {rev}:{}` shows the file",
            crate::analysis::normalize_path(&format!("{}{first}", sides.prefix))
        )
        .into());
    }
    let base = Side { analysis: &sides.base, root: &sides.base_root };
    let change = Side { analysis: &sides.change, root: &sides.change_root };
    let mut d = diff::compare(&base, &change);
    if d.advanced().next().is_some() {
        let (store, opts) = metrics(args, &sides, &change)?;
        diff::judge::judge(&mut d, &base, &change, &store, &opts);
    }
    let deny = args.deny == Some(Deny::Looser);
    let text = match args.format {
        Format::Human => render::human(&d, deny),
        Format::Json => render::json(&d, deny),
        Format::Markdown => render::markdown(&d, deny),
        Format::Github => {
            let prefix = sides.prefix.clone();
            render::github(&d, deny, &move |p: &str| normalize_path(&format!("{prefix}{p}")))
        }
    };
    Ok((text, d.blocks(deny)))
}

fn read_sides(args: &Args) -> Result<Sides, Unusable> {
    let base_dir = Path::new(&args.base);
    // Two folders, the second missing: say so (E0105), not that git
    // cannot read the first.
    if base_dir.is_dir() {
        if let Some(missing) = args.paths.iter().find(|p| !p.exists()) {
            return Err(Unusable::input(format!("`{}` does not exist", missing.display())));
        }
    }
    if args.paths.len() == 1 && base_dir.is_dir() && args.paths[0].is_dir() {
        let old = vec![base_dir.to_path_buf()];
        let base = super::analyze_paths(&old)?;
        let change = super::analyze_paths(&args.paths)?;
        return Ok(Sides {
            base,
            change,
            base_root: normalize_path(&base_dir.to_string_lossy()),
            change_root: normalize_path(&args.paths[0].to_string_lossy()),
            origin: Origin::Folder(PathBuf::from(project_root(base_dir))),
            prefix: String::new(),
        });
    }
    let prefix = git(&["rev-parse", "--show-prefix"]).map_err(|e| {
        Unusable::from(format!(
            "`compel diff {}` reads the base with git, but {e}; to compare two folders give `compel diff OLD_DIR NEW_DIR`",
            args.base
        ))
    })?;
    let rev = &args.base;
    git(&["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{rev}^{{commit}}")])
        .map_err(|_| Unusable::from(format!("`{rev}` is not a git revision (a branch, a tag or a commit)")))?;
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let projects = crate::project::Projects::for_paths(&paths)?;
    let change = super::analyze_projects(&paths, &projects)?;
    let loader = GitLoader::new(rev, ProjectLoader::for_paths(&paths));
    let roots = loader.list(&paths)?;
    // The base is governed by the policy sets of the base's own
    // `compel.toml`: a set added or removed there is a change.
    let root = project_root(&paths[0]);
    let config = if root.is_empty() { "compel.toml".to_string() } else { format!("{root}/compel.toml") };
    let policy_sets = match git(&["cat-file", "blob", &format!("{rev}:./{config}")]) {
        Ok(text) => {
            let dir = Path::new(&config).parent().map(Path::to_path_buf).unwrap_or_default();
            let base_config = crate::project::Config::parse(&format!("{rev}:{config}"), &text, &dir)?;
            projects.first().policy_sets_of(&base_config)
        }
        Err(_) => Vec::new(),
    };
    let settings = crate::analysis::Settings {
        limits: projects.limits().parse,
        policy_sets,
        references: false,
        static_verdicts: true,
    };
    let base = crate::analysis::analyze_project(&roots, &loader, &settings);
    Ok(Sides {
        base,
        change,
        base_root: String::new(),
        change_root: String::new(),
        origin: Origin::Git(rev.clone(), project_root(&paths[0])),
        prefix: prefix.trim().to_string(),
    })
}

/// Runs git in the working folder; its standard output, or why it failed.
fn git(args: &[&str]) -> Result<String, String> {
    let out =
        Command::new("git").args(args).stdin(Stdio::null()).output().map_err(|e| format!("git cannot be run ({e})"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("git failed").trim_start_matches("fatal: ").to_string();
        return Err(if first.contains("not a git repository") {
            "this is not inside a git repository".into()
        } else {
            first
        });
    }
    String::from_utf8(out.stdout).map_err(|_| "git printed something that is not UTF-8".to_string())
}

/// Reads files at a git revision, paths relative to the working folder;
/// imports stay inside the project as for the working tree.
struct GitLoader {
    rev: String,
    project: ProjectLoader,
    cache: RefCell<HashMap<String, Option<Vec<u8>>>>,
}

impl GitLoader {
    fn new(rev: &str, project: ProjectLoader) -> GitLoader {
        GitLoader { rev: rev.to_string(), project, cache: RefCell::new(HashMap::new()) }
    }

    /// The `.compel` files under `paths` at the revision (as
    /// [`collect_paths`] finds them in a tree), read in one `git cat-file`.
    fn list(&self, paths: &[PathBuf]) -> Result<Vec<String>, Unusable> {
        let mut args =
            vec!["ls-tree".to_string(), "-r".into(), "-z".into(), "--name-only".into(), self.rev.clone(), "--".into()];
        args.extend(paths.iter().map(|p| p.to_string_lossy().to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let listed = git(&refs).map_err(|e| Unusable::from(format!("cannot list `{}`: {e}", self.rev)))?;
        let mut files: Vec<String> = listed
            .split('\0')
            .filter(|f| f.ends_with(".compel"))
            .map(normalize_path)
            .filter(|f| {
                f.split('/').rev().skip(1).all(|part| !part.starts_with('.') || part == "." || part == "..")
                    && !f.split('/').any(|part| part == "target" || part == "node_modules")
            })
            .collect();
        files.sort();
        files.dedup();
        self.fetch(&files)?;
        Ok(files)
    }

    /// Reads `paths` at the revision into the cache, in one process.
    fn fetch(&self, paths: &[String]) -> Result<(), Unusable> {
        let todo: Vec<&String> = paths.iter().filter(|p| !self.cache.borrow().contains_key(*p)).collect();
        if todo.is_empty() {
            return Ok(());
        }
        let mut child = Command::new("git")
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Unusable::from(format!("git cannot be run ({e})")))?;
        let input: String = todo.iter().map(|p| format!("{}:./{}\n", self.rev, p)).collect();
        let mut stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(input.as_bytes());
            }
        });
        let out = child.wait_with_output().map_err(|e| Unusable::from(format!("git cat-file failed: {e}")))?;
        let _ = writer.join();
        let mut rest: &[u8] = &out.stdout;
        let mut cache = self.cache.borrow_mut();
        for p in todo {
            let nl = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let header = String::from_utf8_lossy(&rest[..nl]).to_string();
            rest = rest.get(nl + 1..).unwrap_or(&[]);
            let size = header.split(' ').nth(2).and_then(|n| n.parse::<usize>().ok());
            match (header.split(' ').nth(1), size) {
                (Some("blob"), Some(size)) if rest.len() >= size => {
                    cache.insert(p.clone(), Some(rest[..size].to_vec()));
                    rest = rest.get(size + 1..).unwrap_or(&[]);
                }
                _ => {
                    cache.insert(p.clone(), None);
                }
            }
        }
        Ok(())
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let path = normalize_path(path);
        if !self.cache.borrow().contains_key(&path) {
            let _ = self.fetch(std::slice::from_ref(&path));
        }
        self.cache.borrow().get(&path).cloned().flatten()
    }
}

impl SourceLoader for GitLoader {
    fn load(&self, path: &str) -> Result<String, String> {
        let bytes = self.load_bytes(path)?;
        String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())
    }

    fn load_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.read(path).ok_or_else(|| format!("no such file at `{}`", self.rev))
    }

    fn import_allowed(&self, path: &str) -> Result<(), String> {
        self.project.import_allowed(path)
    }
}

/// The metrics and `now` that judge advanced stages: the flags', else the
/// base's `compel.toml`'s (its files read at the base revision).
fn metrics(args: &Args, sides: &Sides, change: &Side) -> Result<(MetricStore, EvalOptions), Unusable> {
    let now = match &args.now {
        Some(t) => eval_cli::parse_now(t)?,
        None => eval_cli::clock(),
    };
    let sample_time = eval_cli::parse_sample_time(args.sample_time.as_deref())?;
    let config = base_config(sides)?;
    let max_age = match (&args.max_age, config.as_ref().and_then(|c| c.max_age)) {
        (Some(t), _) => parse_duration_exact(t).ok_or_else(|| eval_cli::duration_error("--max-age", t))?,
        (None, Some(m)) => m,
        (None, None) => crate::eval::DEFAULT_MAX_AGE,
    };
    let opts = EvalOptions { now, default_max_age: max_age };
    let mut store = MetricStore::new();
    let flags = !args.metrics.is_empty() || args.prometheus.is_some();
    let (files, url, from_base) = match (&config, flags) {
        (_, true) => (args.metrics.clone(), args.prometheus.clone(), false),
        (Some(c), false) => (c.metrics.clone(), c.prometheus.clone(), true),
        (None, false) => {
            eprintln!("note: no metrics (`--metrics`, `--prometheus`, or the base's compel.toml): the gates of advanced stages are decided on declared facts alone");
            (Vec::new(), None, false)
        }
    };
    // Every metrics file, the base's and the flags' alike, counts against
    // one byte budget, as in `compel eval`.
    let limit = crate::project::DEFAULT_MAX_METRICS_BYTES;
    let mut budget = limit;
    for path in &files {
        if !from_base {
            crate::inputs::read_metrics_file(path, sample_time, &mut budget, limit, &mut store)?;
            continue;
        }
        let shown = path.display().to_string();
        let text = read_base_file(sides, path)?;
        budget = budget.checked_sub(text.len() as u64).ok_or_else(|| {
            Unusable::input(format!("the metrics files hold more than {limit} bytes in all (at `{shown}`)"))
        })?;
        let series = sources::read_metrics(&shown, &text, sample_time).map_err(|e| Unusable::from(e.to_string()))?;
        store.add_all_from(series, &shown);
    }
    if let Some(url) = url {
        let client = crate::prometheus::PrometheusClient::new(&url)?.with_auth(crate::prometheus::auth_from_env());
        let fetches = crate::eval::plan::plan(&change.analysis.model, &change.analysis.files, max_age);
        crate::inputs::fetch_prometheus(&client, &fetches, now, &mut store)?;
    }
    crate::inputs::refuse_long_series(&mut store, super::DEFAULT_MAX_SAMPLES);
    Ok((store, opts))
}

fn read_flag_file(shown: &str) -> Result<String, Unusable> {
    std::fs::read_to_string(shown)
        .map_err(|e| Unusable::input(format!("cannot read metrics file `{shown}`: {}", super::io_reason(&e))))
}

/// The base's `compel.toml`, if it has one.
fn base_config(sides: &Sides) -> Result<Option<crate::project::Config>, Unusable> {
    let (file, text) = match &sides.origin {
        Origin::Folder(root) => {
            let file = root.join("compel.toml");
            match std::fs::read_to_string(&file) {
                Ok(t) => (file, t),
                Err(_) => return Ok(None),
            }
        }
        Origin::Git(rev, root) => {
            let file =
                if root.is_empty() { PathBuf::from("compel.toml") } else { Path::new(&root).join("compel.toml") };
            match git(&["cat-file", "blob", &format!("{rev}:./{}", file.display())]) {
                Ok(t) => (file, t),
                Err(_) => return Ok(None),
            }
        }
    };
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let shown = match &sides.origin {
        Origin::Git(rev, _) => format!("{rev}:{}", file.display()),
        Origin::Folder(_) => file.display().to_string(),
    };
    Ok(Some(crate::project::Config::parse(&shown, &text, &dir)?))
}

/// A metrics file the base's `compel.toml` names: at the base revision;
/// a file the revision does not hold is read from disk only when git does
/// not track it (an export the CI wrote), never when the change adds it.
fn read_base_file(sides: &Sides, path: &Path) -> Result<String, Unusable> {
    let Origin::Git(rev, _) = &sides.origin else { return read_flag_file(&path.display().to_string()) };
    let shown = normalize_path(&path.to_string_lossy());
    if let Ok(text) = git(&["cat-file", "blob", &format!("{rev}:./{shown}")]) {
        return Ok(text);
    }
    if git(&["ls-files", "--error-unmatch", "--", &shown]).is_ok() {
        return Err(Unusable::input(format!(
            "metrics file `{shown}` (named by the base's compel.toml) is not at `{rev}` but the change adds it: \
             a change does not choose the data it is judged on; give `--metrics`"
        )));
    }
    read_flag_file(&shown)
}
