//! `compel compile --target prometheus`: a checked model as Prometheus
//! recording and alerting rules, so that a Prometheus (or a Thanos or Mimir
//! ruler) watches the KPIs and gates continuously.
//!
//! The rules make compel's decisions, not Prometheus' defaults:
//! - a KPI is read as `last_over_time(SELECTOR[max_age])`, never as a bare
//!   selector (whose 5-minute lookback would leave a daily KPI without a
//!   value most of the day), and only when exactly one series matches (a
//!   selector that matches more is unknown, as in `eval`);
//! - thresholds are converted into the KPI's raw unit exactly, from the
//!   bound's rational, and written as a finite decimal or, when it has
//!   none, as an exact division `a / b` (Prometheus rounds both to the
//!   nearest double, which keeps every order between decimals);
//! - `KPI for D` is readiness, decided over the window with
//!   `min_over_time` / `max_over_time`, the sample in effect at `now - D`
//!   (`offset D`) and the staleness rule, never with an alert's `for:`
//!   (which would wait for the whole duration of misses, inverting it);
//! - a criterion that PromQL cannot express is listed in the header and
//!   returned in [`Output::undecided`] ("decided by compel serve"), never
//!   dropped silently; a gate with such a `require` gets no readiness rule.
//!
//! Everything taken from policy files is escaped: metric names and label
//! values for PromQL string literals, alert labels and annotations for Go
//! templates, every YAML scalar double-quoted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::groups::Groups;
use super::kpi::{kpi_rules, prepare, Kpi};
use super::readiness::{readiness, Folded};
use crate::check::rational::Rational;
use crate::check::value::Value;
use crate::check::{DeclId, Kind, Model};
use crate::eval::metrics::MetricStore;
use crate::eval::DEFAULT_MAX_AGE;
use crate::stdlib;
use crate::text::Files;

pub use super::kpi::{duration, number};
pub use super::readiness::MAX_COVERAGE_POINTS;
pub use super::rules::{CompiledKpi, Decides, Output, Rule, Undecided};
use super::text::comment;
pub use super::text::{promql_string, yaml_str};

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A Prometheus rule file (`promtool check rules` accepts it).
    Prometheus,
    /// The same groups in a Prometheus Operator `PrometheusRule` resource.
    PrometheusOperator,
}

/// Options of a compilation.
#[derive(Clone, Debug)]
pub struct Options {
    /// The output's form.
    pub target: Target,
    /// The `PrometheusRule`'s `metadata.name`.
    pub name: String,
    /// The `max_age` of KPIs that set none, in seconds.
    pub default_max_age: Rational,
    /// Whether [`Output::written`] lists every rule (what `--tests` reads);
    /// a large policy writes some hundred thousand.
    pub list_rules: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            target: Target::Prometheus,
            name: "compel".into(),
            default_max_age: DEFAULT_MAX_AGE,
            list_rules: true,
        }
    }
}

/// Compiles the user's KPIs and gates.
pub fn compile(model: &Model, files: &Files, opts: &Options) -> Output {
    let indent = match opts.target {
        Target::Prometheus => "  ",
        Target::PrometheusOperator => "    ",
    };
    let no_metrics = MetricStore::new();
    let folded = Folded::new(model, files, &no_metrics);
    let mut g = Groups::new(indent, opts.list_rules);
    let mut kpis: BTreeMap<DeclId, Kpi> = BTreeMap::new();
    let mut skipped_kpis = Vec::new();
    let user = |d: &crate::check::Decl| !stdlib::is_std_path(&files.get(d.file).path);
    for (i, d) in model.decls.iter().enumerate() {
        if d.kind == Kind::Kpi && user(d) {
            match prepare(model, DeclId(i as u32), opts.default_max_age) {
                Ok(k) => {
                    kpis.insert(DeclId(i as u32), k);
                }
                Err(reason) => skipped_kpis.push((d.name.clone(), reason)),
            }
        }
    }
    let initiatives: Vec<DeclId> = (0..model.decls.len())
        .map(|i| DeclId(i as u32))
        .filter(|id| model.decl(*id).kind == Kind::Initiative && user(model.decl(*id)))
        .collect();
    // Which initiatives list each KPI.
    let mut users: BTreeMap<DeclId, Vec<DeclId>> = BTreeMap::new();
    for &i in &initiatives {
        if let Some(Value::List(items)) = model.decl(i).value("kpis") {
            let mut seen = BTreeSet::new();
            for v in items {
                if let Value::Decl(k) = v {
                    if seen.insert(*k) {
                        users.entry(*k).or_default().push(i);
                    }
                }
            }
        }
    }
    for (id, k) in &kpis {
        match users.get(id) {
            None => kpi_rules(model, files, k, *id, None, &mut g),
            Some(listed) => {
                for &i in listed {
                    kpi_rules(model, files, k, *id, Some(i), &mut g);
                }
            }
        }
    }
    let mut undecided = Vec::new();
    for &i in &initiatives {
        readiness(model, files, &kpis, &folded, i, &mut g, &mut undecided);
    }
    let yaml = document(opts, &g, &undecided, &skipped_kpis);
    let kpis = kpis
        .into_values()
        .map(|k| CompiledKpi {
            name: k.name,
            metric: k.metric,
            labels: k.labels,
            max_age: k.max_age,
            derived: k.derived,
        })
        .collect();
    Output { yaml, undecided, skipped_kpis, rules: g.rules, written: g.written, kpis }
}

/// The document: the header (with what is left to `compel serve`) and the
/// groups, whose rules are already indented for the target.
fn document(opts: &Options, g: &Groups, undecided: &[Undecided], skipped: &[(String, String)]) -> String {
    let mut out = String::from("# Generated by `compel compile`; edit the policy, not this file.\n");
    if !undecided.is_empty() || !skipped.is_empty() {
        out.push_str("#\n# Decided by compel serve (not expressible in PromQL):\n");
        for u in undecided {
            let _ = writeln!(
                out,
                "#   {} {}: {} ({})",
                comment(&u.initiative),
                comment(&u.gate),
                comment(&u.text),
                comment(&u.reason)
            );
        }
        for (k, reason) in skipped {
            let _ = writeln!(out, "#   KPI {}: not compiled ({})", comment(k), comment(reason));
        }
    }
    let groups = [("compel.kpis", &g.kpis), ("compel.alerts", &g.alerts), ("compel.readiness", &g.readiness)];
    out.reserve(groups.iter().map(|(_, text)| text.len() + 64).sum::<usize>() + 256);
    let at = match opts.target {
        Target::Prometheus => "",
        Target::PrometheusOperator => {
            out.push_str("apiVersion: \"monitoring.coreos.com/v1\"\nkind: \"PrometheusRule\"\nmetadata:\n");
            let _ = writeln!(out, "  name: {}", yaml_str(&opts.name));
            out.push_str("  labels:\n    app.kubernetes.io/managed-by: \"compel\"\nspec:\n");
            "  "
        }
    };
    if groups.iter().all(|(_, text)| text.is_empty()) {
        let _ = writeln!(out, "{at}groups: []");
        return out;
    }
    let _ = writeln!(out, "{at}groups:");
    for (name, text) in groups {
        if !text.is_empty() {
            let _ = writeln!(out, "{at}- name: {}\n{at}  rules:", yaml_str(name));
            out.push_str(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::kpi::is_metric_name;
    use super::super::text::template_text;
    use super::*;

    #[test]
    fn numbers_are_exact() {
        let q = |s: &str| Rational::parse_decimal(s).unwrap_or(Rational::ZERO);
        assert_eq!(number(q("4.1")), "4.1");
        assert_eq!(number(q("0.0008")), "0.0008");
        assert_eq!(number(Rational::int(250)), "250");
        assert_eq!(number(Rational::new(1, 3).unwrap_or(Rational::ZERO)), "(1 / 3)");
        assert_eq!(number(Rational::new(-2, 3).unwrap_or(Rational::ZERO)), "(-2 / 3)");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(Rational::int(604_800)).as_deref(), Some("7d"));
        assert_eq!(duration(Rational::int(2 * 86_400)).as_deref(), Some("2d"));
        assert_eq!(duration(Rational::int(90)).as_deref(), Some("90s"));
        assert_eq!(duration(Rational::new(1, 4).unwrap_or(Rational::ZERO)).as_deref(), Some("250ms"));
        assert_eq!(duration(Rational::new(1, 3000).unwrap_or(Rational::ZERO)), None);
    }

    #[test]
    fn escaping() {
        assert_eq!(yaml_str("a\"b\\c\nd: #{'"), "\"a\\\"b\\\\c\\nd: #{'\"");
        assert_eq!(promql_string("x\"}\\\n"), "x\\\"}\\\\\\n");
        assert_eq!(template_text("{{ $value }}"), "{{ \"{\" }}{ $value }}");
        assert!(is_metric_name("a:b_c1") && !is_metric_name("1a") && !is_metric_name("a-b"));
    }
}
