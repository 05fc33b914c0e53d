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
pub mod lsp;
pub mod report;
pub mod serve;
pub mod test;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::analysis::{normalize_path, Analysis, SourceLoader};
use crate::diag::Code;
use crate::syntax::ParseLimits;

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

/// Why a command could not do its job (exit 2): the message, and the
/// diagnostic code when the cause has one (an unreadable input is E0105).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unusable {
    /// The code, when the cause has one.
    pub code: Option<Code>,
    /// The reason in plain words.
    pub message: String,
}

impl Unusable {
    /// An input that cannot be read or does not exist (E0105).
    pub fn input(message: impl Into<String>) -> Unusable {
        Unusable { code: Some(Code::UnreadableInput), message: message.into() }
    }
}

impl From<String> for Unusable {
    fn from(message: String) -> Unusable {
        Unusable { code: None, message }
    }
}

impl From<Unusable> for String {
    fn from(u: Unusable) -> String {
        match u.code {
            Some(code) => format!("[{}] {}", code.as_str(), u.message),
            None => u.message,
        }
    }
}

/// `error[E0105]: message`, or `error: message` without a code, as the
/// commands print it on standard error.
impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "error[{}]: {}", code.as_str(), self.message),
            None => write!(f, "error: {}", self.message),
        }
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

/// Analyses the given paths from disk, with the limits of the project's
/// `compel.toml` (see [`Limits`]).
pub fn analyze_paths(paths: &[PathBuf]) -> Result<Analysis, Unusable> {
    let limits = Limits::for_paths(paths)?;
    analyze_paths_with(paths, limits.parse)
}

/// Analyses the given paths from disk with explicit parser limits.
pub fn analyze_paths_with(paths: &[PathBuf], limits: ParseLimits) -> Result<Analysis, Unusable> {
    let roots = collect_paths(paths)?;
    Ok(crate::analysis::analyze_with(&roots, &ProjectLoader::for_paths(paths), limits))
}

/// The default bound on the samples of one series read by `compel eval`.
pub const DEFAULT_MAX_SAMPLES: usize = 1_000_000;
/// The default bound on the metric bytes read by one `compel eval`: all
/// `--metrics` files together, or all Prometheus answers together.
pub const DEFAULT_MAX_METRICS_BYTES: u64 = 256 * 1024 * 1024;

/// The limits a project may raise (or lower) in the `[limits]` table of its
/// `compel.toml`:
///
/// ```toml
/// [limits]
/// max_file_bytes    = "8MiB"    # one .compel file (E0103 above it)
/// max_declarations  = 10000     # top-level declarations in one file (E0103)
/// max_list_len      = 10000     # elements of one list literal (E0103)
/// max_samples       = 1000000   # samples of one series (`compel eval --max-samples`)
/// max_metrics_bytes = "256MiB"  # metric input of one eval (`compel eval --max-metrics-bytes`)
/// ```
///
/// Nesting depth and operator counts are not configurable: they protect the
/// stack.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The parser's limits.
    pub parse: ParseLimits,
    /// Most samples in one series of metric input.
    pub max_samples: usize,
    /// Most bytes of metric input in one evaluation.
    pub max_metrics_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            parse: ParseLimits::default(),
            max_samples: DEFAULT_MAX_SAMPLES,
            max_metrics_bytes: DEFAULT_MAX_METRICS_BYTES,
        }
    }
}

const LIMIT_KEYS: &[&str] = &["max_file_bytes", "max_declarations", "max_list_len", "max_samples", "max_metrics_bytes"];

impl Limits {
    /// The limits of the project holding the first of `paths` (its
    /// `compel.toml`, if any; the defaults otherwise).
    pub fn for_paths(paths: &[PathBuf]) -> Result<Limits, String> {
        let Some(first) = paths.first() else { return Ok(Limits::default()) };
        let root = project_root(first);
        let file = if root.is_empty() { PathBuf::from("compel.toml") } else { Path::new(&root).join("compel.toml") };
        if !file.is_file() {
            return Ok(Limits::default());
        }
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read `{shown}`: {}", io_reason(&e)))?;
        let table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| format!("`{shown}` is not valid TOML: {}", e.message()))?;
        Limits::from_table(&shown, &table)
    }

    /// The limits of a parsed `compel.toml` (its `[limits]` table).
    pub fn from_table(shown: &str, table: &toml::Table) -> Result<Limits, String> {
        let mut limits = Limits::default();
        let Some(section) = table.get("limits") else { return Ok(limits) };
        let section = section.as_table().ok_or_else(|| format!("`{shown}`: `limits` must be a table (`[limits]`)"))?;
        for (key, value) in section {
            let count = || {
                value
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("`{shown}`: `limits.{key}` must be a positive whole number"))
            };
            let size = || {
                let n = match value {
                    toml::Value::Integer(n) => u64::try_from(*n).ok(),
                    toml::Value::String(s) => parse_size(s),
                    _ => None,
                };
                n.filter(|n| *n > 0).ok_or_else(|| {
                    format!("`{shown}`: `limits.{key}` must be a size such as 1048576, \"64MiB\" or \"2GB\"")
                })
            };
            match key.as_str() {
                "max_file_bytes" => {
                    limits.parse.max_file_bytes = usize::try_from(size()?).unwrap_or(usize::MAX);
                }
                "max_declarations" => limits.parse.max_declarations = count()?,
                "max_list_len" => limits.parse.max_list_len = count()?,
                "max_samples" => limits.max_samples = count()?,
                "max_metrics_bytes" => limits.max_metrics_bytes = size()?,
                _ => {
                    let mut message = format!("`{shown}`: unknown key `limits.{key}`");
                    match crate::diag::did_you_mean(key, LIMIT_KEYS.iter().copied()) {
                        Some(s) => message.push_str(&format!(" (did you mean `{s}`?)")),
                        None => message.push_str(&format!(" (the keys are {})", LIMIT_KEYS.join(", "))),
                    }
                    return Err(message);
                }
            }
        }
        Ok(limits)
    }
}

/// Parses a size in bytes: a whole number with an optional unit `B`, `KB`,
/// `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024),
/// case-insensitive: `1048576`, `64MiB`, `2GB`.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.replace('_', "").parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1000 * 1000,
        "gb" => 1000 * 1000 * 1000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Some(1_048_576));
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("2 GB"), Some(2_000_000_000));
        assert_eq!(parse_size("10kb"), Some(10_000));
        assert_eq!(parse_size("1.5MB"), None);
        assert_eq!(parse_size("MB"), None);
        assert_eq!(parse_size("99999999999999999999"), None);
    }

    #[test]
    fn limits_table() {
        let table: toml::Table =
            "[limits]\nmax_file_bytes = \"1MiB\"\nmax_declarations = 5\nmax_samples = 7\nmax_metrics_bytes = 100\n"
                .parse()
                .unwrap_or_default();
        let l = Limits::from_table("compel.toml", &table).unwrap_or_default();
        assert_eq!(l.parse.max_file_bytes, 1 << 20);
        assert_eq!(l.parse.max_declarations, 5);
        assert_eq!(l.max_samples, 7);
        assert_eq!(l.max_metrics_bytes, 100);
        let bad: toml::Table = "[limits]\nmax_sample = 3\n".parse().unwrap_or_default();
        let e = Limits::from_table("compel.toml", &bad).err().unwrap_or_default();
        assert!(e.contains("did you mean `max_samples`"), "{e}");
        let bad: toml::Table = "[limits]\nmax_samples = -3\n".parse().unwrap_or_default();
        assert!(Limits::from_table("compel.toml", &bad).is_err());
    }
}
