//! The text of `compel.toml`: limits, sizes and durations, and the keys
//! every command reads. Pure: the caller reads the file.

use std::path::{Path, PathBuf};

use crate::check::rational::Rational;
use crate::check::value::MS;
use crate::diag;
use crate::syntax::ParseLimits;

/// What `compel.toml` sets. Every command reads it through
/// [`super::Project`]; each uses what concerns it.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `prometheus`: the metric source of `compel eval` and `compel report`.
    pub prometheus: Option<String>,
    /// `metrics`: metric files, relative to the folder of `compel.toml`.
    pub metrics: Vec<PathBuf>,
    /// `max_age`: for KPIs that set none.
    pub max_age: Option<Rational>,
    /// `timeout`: per Prometheus query attempt, in seconds.
    pub timeout: Option<f64>,
    /// `[limits]`.
    pub limits: Limits,
    /// `[project] policies`: the policy sets that govern every file of the
    /// project, as written (`std/policies`, or a path inside the project).
    pub policies: Vec<String>,
}

const CONFIG_KEYS: &[&str] = &["prometheus", "metrics", "max_age", "timeout"];
const PROJECT_KEYS: &[&str] = &["policies"];

fn unknown_key(shown: &str, key: &str, keys: &[&str]) -> String {
    let mut message = format!("`{shown}`: unknown key `{key}`");
    match diag::did_you_mean(key.rsplit('.').next().unwrap_or(key), keys.iter().copied()) {
        Some(s) => message.push_str(&format!(" (did you mean `{s}`?)")),
        None => message.push_str(&format!(" (the keys are {})", keys.join(", "))),
    }
    message
}

impl Config {
    /// Parses the text of a `compel.toml` shown as `shown` whose folder is
    /// `dir` (metric files are relative to it).
    pub fn parse(shown: &str, text: &str, dir: &Path) -> Result<Config, String> {
        let table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| format!("`{shown}` is not valid TOML: {}", e.message()))?;
        let mut config = Config { limits: Limits::from_table(shown, &table)?, ..Config::default() };
        for (key, value) in &table {
            let wrong = |what: &str| format!("`{shown}`: `{key}` must be {what}");
            match key.as_str() {
                "prometheus" => {
                    config.prometheus = Some(value.as_str().ok_or_else(|| wrong("a URL string"))?.to_string())
                }
                "metrics" => {
                    let items = strings(value).ok_or_else(|| wrong("a list of file names"))?;
                    config.metrics = items.into_iter().map(|i| relative_to(dir, i)).collect();
                }
                "max_age" | "timeout" => {
                    let text = value.as_str().ok_or_else(|| wrong("a duration string such as \"1d\""))?;
                    let secs = parse_duration_exact(text).ok_or_else(|| wrong("a duration string such as \"1d\""))?;
                    if key == "max_age" {
                        config.max_age = Some(secs);
                    } else {
                        config.timeout = Some(secs.to_f64());
                    }
                }
                "project" => config.policies = project_table(shown, value)?,
                // Sections are for other commands.
                _ if value.is_table() => {}
                _ => return Err(unknown_key(shown, key, CONFIG_KEYS)),
            }
        }
        Ok(config)
    }
}

/// A string or a list of strings.
fn strings(value: &toml::Value) -> Option<Vec<&str>> {
    match value {
        toml::Value::String(s) => Some(vec![s.as_str()]),
        toml::Value::Array(items) => items.iter().map(toml::Value::as_str).collect(),
        _ => None,
    }
}

/// The `[project]` table: `policies`, each checked by [`policy_set_path`].
fn project_table(shown: &str, value: &toml::Value) -> Result<Vec<String>, String> {
    let table = value.as_table().ok_or_else(|| format!("`{shown}`: `project` must be a table (`[project]`)"))?;
    let mut policies = Vec::new();
    for (key, value) in table {
        if key != "policies" {
            return Err(unknown_key(shown, &format!("project.{key}"), PROJECT_KEYS));
        }
        let items = strings(value).ok_or_else(|| {
            format!("`{shown}`: `project.policies` must be a list of policy sets such as [\"std/policies\"]")
        })?;
        for item in items {
            let path = policy_set_path(item).map_err(|why| format!("`{shown}`: `project.policies`: {why}"))?;
            if !policies.contains(&path) {
                policies.push(path);
            }
        }
    }
    Ok(policies)
}

/// A policy set as `[project] policies` names it: a stdlib module
/// (`std/policies`) or a path relative to the project root that stays
/// inside it. `compel.toml` comes with the repository, which may be
/// untrusted: an absolute path or a `..` that climbs out is refused, so it
/// can never make compel read a file outside the project.
pub fn policy_set_path(written: &str) -> Result<String, String> {
    let shown = written.escape_debug().to_string();
    if crate::stdlib::is_std_path(written) {
        let name = written.strip_suffix(".compel").unwrap_or(written);
        if crate::stdlib::module(name).is_none() {
            let names: Vec<&str> = crate::stdlib::MODULES.iter().map(|(n, _)| *n).collect();
            return Err(match diag::did_you_mean(name, names.iter().copied()) {
                Some(s) => format!("there is no stdlib module `{shown}` (did you mean `{s}`?)"),
                None => format!("there is no stdlib module `{shown}` (the modules are {})", names.join(", ")),
            });
        }
        return Ok(name.to_string());
    }
    let unix = written.replace('\\', "/");
    let drive = unix.as_bytes().get(1) == Some(&b':');
    if written.trim().is_empty() {
        return Err("a policy set needs a path, such as \"std/policies\" or \"org/standards.compel\"".to_string());
    }
    if unix.starts_with('/') || drive {
        return Err(format!(
            "`{shown}` is an absolute path; policy sets are paths inside the project, relative to compel.toml"
        ));
    }
    if unix.split('/').any(|part| part == "..") {
        return Err(format!("`{shown}` climbs out with `..`; policy sets are paths inside the project"));
    }
    Ok(crate::analysis::normalize_path(&unix))
}

fn relative_to(dir: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() || file == "-" || dir.as_os_str().is_empty() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
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

/// Parses a duration: a number and a unit `ms s m h d w` (`1d`, `1.5h`),
/// exactly, in seconds.
pub fn parse_duration_exact(text: &str) -> Option<Rational> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))?;
    let (num, unit) = t.split_at(split);
    let n = Rational::parse_decimal(num)?;
    let factor = match unit.trim() {
        "ms" => MS,
        "s" => Rational::ONE,
        "m" => Rational::int(60),
        "h" => Rational::int(3600),
        "d" => Rational::int(86_400),
        "w" => Rational::int(604_800),
        _ => return None,
    };
    n.mul(factor)
}

/// [`parse_duration_exact`] as floating-point seconds (for timeouts).
pub fn parse_duration(text: &str) -> Option<f64> {
    parse_duration_exact(text).map(Rational::to_f64)
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
    fn config_keys() {
        let c =
            Config::parse("compel.toml", "metrics = [\"m.json\"]\nmax_age = \"2d\"\n[fmt]\nx = 1\n", Path::new("proj"))
                .unwrap_or_default();
        assert_eq!(c.metrics, vec![PathBuf::from("proj/m.json")]);
        assert_eq!(c.max_age, parse_duration_exact("2d"));
        let e = Config::parse("compel.toml", "promethus = \"x\"", Path::new("")).err().unwrap_or_default();
        assert!(e.contains("did you mean `prometheus`"), "{e}");
        let e = Config::parse("compel.toml", "max_age = 3", Path::new("")).err().unwrap_or_default();
        assert!(e.contains("duration"), "{e}");
    }

    #[test]
    fn policy_sets() {
        let text = "[project]\npolicies = [\"std/policies\", \"org/./standards.compel\", \"std/policies\"]\n";
        let c = Config::parse("compel.toml", text, Path::new("")).unwrap_or_default();
        assert_eq!(c.policies, ["std/policies", "org/standards.compel"]);
        for (bad, why) in [
            ("../other/p.compel", "climbs out"),
            ("org/../../p.compel", "climbs out"),
            ("/etc/passwd", "absolute path"),
            ("C:/p.compel", "absolute path"),
            ("std/polices", "did you mean `std/policies`"),
            ("", "needs a path"),
        ] {
            let text = format!("[project]\npolicies = [\"{bad}\"]\n");
            let e = Config::parse("compel.toml", &text, Path::new("")).err().unwrap_or_default();
            assert!(e.contains(why) && e.contains("project.policies"), "{bad}: {e}");
        }
        let e = Config::parse("compel.toml", "[project]\npolices = []\n", Path::new("")).err().unwrap_or_default();
        assert!(e.contains("did you mean `policies`"), "{e}");
        let e = Config::parse("compel.toml", "[project]\npolicies = 3\n", Path::new("")).err().unwrap_or_default();
        assert!(e.contains("must be a list"), "{e}");
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
