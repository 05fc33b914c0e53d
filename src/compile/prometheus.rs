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

use crate::check::rational::Rational;
use crate::check::value::Value;
use crate::check::{DeclId, Kind, MeasureUnit, Model, Symbol};
use crate::eval::metrics::MetricStore;
use crate::eval::{evaluate, EvalOptions, DEFAULT_MAX_AGE};
use crate::stdlib;
use crate::syntax::ast::{CmpOp, Criterion, Enforcement, Expr, ExprKind};
use crate::text::{FileId, Files};

pub use super::rules::{CompiledKpi, Decides, Output, Rule, Undecided};
use super::text::{comment, indent, indent_into, template_text};
pub use super::text::{promql_string, yaml_str};

#[path = "derived.rs"]
mod derived;

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
}

impl Default for Options {
    fn default() -> Options {
        Options { target: Target::Prometheus, name: "compel".into(), default_max_age: DEFAULT_MAX_AGE }
    }
}

/// Where the group rules of one compilation go.
struct Groups {
    kpis: Vec<String>,
    alerts: Vec<String>,
    readiness: Vec<String>,
    rules: usize,
    written: Vec<Rule>,
}

fn owned(labels: &[(&str, String)]) -> Vec<(String, String)> {
    labels.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
}

impl Groups {
    fn note_record(&mut self, name: &str, labels: &[(&str, String)], decides: Decides) {
        let labels = owned(labels);
        self.written.push(Rule { name: name.into(), alert: false, labels, annotations: Vec::new(), decides });
    }

    fn note_alert(&mut self, name: &str, labels: &[(&str, String)], annotations: &[(&str, String)], decides: Decides) {
        let (labels, annotations) = (owned(labels), owned(annotations));
        self.written.push(Rule { name: name.into(), alert: true, labels, annotations, decides });
    }
}

/// A KPI as PromQL reads it.
struct Kpi {
    name: String,
    metric: String,
    labels: BTreeMap<String, String>,
    max_age: Rational,
    /// The selector, without a range.
    selector: String,
    /// `max_age`, as a PromQL duration.
    age: String,
    unit: MeasureUnit,
    /// The target in the raw unit.
    target: (CmpOp, Rational),
    /// The warn band in the raw unit.
    warn: Option<(CmpOp, Rational)>,
    /// `target >= 92%`, for people.
    target_text: String,
    /// A derived KPI's value: the formula over its inputs' values.
    derived: Option<String>,
}

impl Kpi {
    /// The KPI's value: a single series without labels when exactly one
    /// series matches and its latest sample is no older than `max_age`;
    /// nothing otherwise.
    fn value(&self) -> String {
        if let Some(v) = &self.derived {
            return v.clone();
        }
        let x = format!("last_over_time({}[{}])", self.selector, self.age);
        format!("(max({x}) and on() (count({x}) == 1))")
    }

    fn meets(&self, (op, bound): (CmpOp, Rational), bool_: bool) -> String {
        let b = if bool_ { " bool" } else { "" };
        format!("({} {}{b} {})", self.value(), op.as_str(), number(bound))
    }
}

/// Compiles the user's KPIs and gates.
pub fn compile(model: &Model, files: &Files, opts: &Options) -> Output {
    let mut g = Groups { kpis: Vec::new(), alerts: Vec::new(), readiness: Vec::new(), rules: 0, written: Vec::new() };
    let mut kpis: BTreeMap<DeclId, Kpi> = BTreeMap::new();
    let mut skipped_kpis = Vec::new();
    let user = |d: &crate::check::Decl| !stdlib::is_std_path(&files.get(d.file).path);
    for (i, d) in model.decls.iter().enumerate() {
        if d.kind == Kind::Kpi && user(d) {
            match prepare(model, DeclId(i as u32), opts) {
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
        let listed = users.get(id).cloned().unwrap_or_default();
        if listed.is_empty() {
            kpi_rules(model, files, k, *id, None, &mut g);
        }
        for i in listed {
            kpi_rules(model, files, k, *id, Some(i), &mut g);
        }
    }
    let folded = fold_constants(model, files);
    let mut undecided = Vec::new();
    for &i in &initiatives {
        readiness(model, files, &kpis, &folded, i, &mut g, &mut undecided);
    }
    let yaml = document(opts, &g, &undecided, &skipped_kpis);
    let kpis = kpis
        .into_values()
        .map(|k| {
            let derived = k.derived.is_some();
            CompiledKpi { name: k.name, metric: k.metric, labels: k.labels, max_age: k.max_age, derived }
        })
        .collect();
    Output { yaml, undecided, skipped_kpis, rules: g.rules, written: g.written, kpis }
}

/// Reads a KPI's metric, labels, unit, thresholds and `max_age`.
fn prepare(model: &Model, id: DeclId, opts: &Options) -> Result<Kpi, String> {
    let d = model.decl(id);
    if d.str_attr("query").is_some() {
        return Err("a raw `query` is read by compel serve".into());
    }
    if model.is_discovered_family(id) {
        return Err("a KPI family whose groups are found in the data is decided by compel serve".into());
    }
    if model.is_family(id) {
        return Err("a KPI family is decided by compel serve; each of its members is compiled as a KPI".into());
    }
    if ["target", "warn"].iter().any(|a| matches!(d.attr(a).map(|x| &x.value), Some(crate::check::AttrVal::Bound(..))))
    {
        return Err("its bound is computed from metrics at `now`, which compel serve decides".into());
    }
    let derived = if model.is_derived(id) { Some(derived::value(model, id, opts)?) } else { None };
    let metric = if derived.is_some() { "" } else { d.str_attr("metric").ok_or("it names no `metric`")? };
    let labels = d.labels();
    if let Some(bad) = labels.keys().find(|l| !is_label_name(l)) {
        return Err(format!("the label name `{bad}` cannot be written in PromQL"));
    }
    let mut matchers: Vec<String> = Vec::new();
    let selector = if is_metric_name(metric) {
        metric.to_string()
    } else {
        matchers.push(format!("__name__=\"{}\"", promql_string(metric)));
        String::new()
    };
    for (k, v) in &labels {
        matchers.push(format!("{k}=\"{}\"", promql_string(v)));
    }
    let selector = if matchers.is_empty() { selector } else { format!("{selector}{{{}}}", matchers.join(", ")) };
    let max_age = match d.value("max_age") {
        Some(Value::Dur(s)) => *s,
        _ => opts.default_max_age,
    };
    let age = duration(max_age).ok_or("its `max_age` is not a whole number of milliseconds")?;
    let unit = d.measure_unit();
    let raw = |name: &str| -> Result<Option<(CmpOp, Rational)>, String> {
        match d.threshold(name) {
            None => Ok(None),
            Some((op, v)) => match unit.from_value(v) {
                Some(b) => Ok(Some((op, b))),
                None => Err(format!("its `{name}` is not a constant in its unit")),
            },
        }
    };
    let target = raw("target")?.ok_or("it has no valid `target`")?;
    let warn = raw("warn")?;
    let target_text = format!("target {} {}", target.0.as_str(), unit.format_raw(target.1));
    Ok(Kpi {
        name: d.name.clone(),
        metric: metric.to_string(),
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        max_age,
        selector,
        age,
        unit,
        target,
        warn,
        target_text,
        derived,
    })
}

/// The labels of a KPI's rules for one initiative.
fn kpi_labels(model: &Model, kpi: &str, initiative: Option<DeclId>) -> Vec<(&'static str, String)> {
    let mut out = vec![("kpi", kpi.to_string())];
    if let Some(i) = initiative {
        let d = model.decl(i);
        out.push(("initiative", d.name.clone()));
        if let Some(p) = d.reference("program") {
            out.push(("program", model.decl(p).name.clone()));
        }
    }
    out
}

/// The strongest enforcement of the criteria of `initiative`'s gates that
/// read `kpi`, with their texts and reasons.
fn readers(
    model: &Model,
    files: &Files,
    kpi: DeclId,
    initiative: Option<DeclId>,
) -> (Option<Enforcement>, Vec<String>, Vec<String>) {
    let Some(i) = initiative else { return (None, Vec::new(), Vec::new()) };
    let mut strongest: Option<Enforcement> = None;
    let (mut texts, mut becauses) = (Vec::new(), Vec::new());
    for gi in model.gates_for(i) {
        let gate = &model.gates[gi];
        for c in &gate.criteria {
            if !mentions(model, gate.file, &c.expr, kpi) {
                continue;
            }
            strongest = Some(match (strongest, c.enforcement) {
                (Some(Enforcement::Require), _) | (_, Enforcement::Require) => Enforcement::Require,
                (Some(Enforcement::Expect), _) | (_, Enforcement::Expect) => Enforcement::Expect,
                _ => Enforcement::Advise,
            });
            texts.push(criterion_text(files, gate.file, c));
            if let Some(b) = &c.because {
                becauses.push(b.value.clone());
            }
        }
    }
    (strongest, texts, becauses)
}

fn criterion_text(files: &Files, file: FileId, c: &Criterion) -> String {
    format!("{} {}", c.enforcement.as_str(), crate::eval::evaluate::source_text(&files.get(file).text, &c.expr))
}

/// Whether `e` names `kpi` anywhere.
fn mentions(model: &Model, file: FileId, e: &Expr, kpi: DeclId) -> bool {
    let mut found = false;
    walk(e, &mut |e| {
        if let ExprKind::Name(n) = &e.kind {
            if model.lookup(file, &n.name) == Some(Symbol::Decl(kpi)) {
                found = true;
            }
        }
    });
    found
}

fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::List(items) | ExprKind::Call(_, items) => items.iter().for_each(|i| walk(i, f)),
        ExprKind::Field(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) | ExprKind::Offset(b) => walk(b, f),
        ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => {
            walk(l, f);
            walk(r, f);
        }
        ExprKind::Quantifier { list, pred, .. } => {
            walk(list, f);
            walk(pred, f);
        }
        _ => {}
    }
}

fn severity(e: Option<Enforcement>) -> &'static str {
    match e {
        Some(Enforcement::Require) => "critical",
        Some(Enforcement::Advise) => "info",
        _ => "warning",
    }
}

/// The recording and alerting rules of one KPI for one initiative.
fn kpi_rules(model: &Model, files: &Files, k: &Kpi, id: DeclId, initiative: Option<DeclId>, g: &mut Groups) {
    let labels = kpi_labels(model, &k.name, initiative);
    let mut value_labels = labels.clone();
    value_labels.push(("unit", k.unit.name()));
    let decides = Decides::Kpi { kpi: k.name.clone(), initiative: initiative.map(|i| model.decl(i).name.clone()) };
    g.kpis.push(record("compel:kpi_value", &k.value(), &value_labels));
    g.note_record("compel:kpi_value", &value_labels, decides.clone());
    g.kpis.push(record("compel:kpi_target_met", &k.meets(k.target, true), &labels));
    g.note_record("compel:kpi_target_met", &labels, decides.clone());
    if let Some(w) = k.warn {
        let expr = format!("({} * {})", k.meets(k.target, true), k.meets(w, true));
        g.kpis.push(record("compel:kpi_warn", &expr, &labels));
        g.note_record("compel:kpi_warn", &labels, decides.clone());
    }
    g.rules += 2 + usize::from(k.warn.is_some());

    let (enforcement, texts, becauses) = readers(model, files, id, initiative);
    let mut alert_labels = labels.clone();
    if let Some(i) = initiative {
        match model.decl(i).value("owner") {
            Some(Value::Str(s)) => alert_labels.push(("owner", s.clone())),
            Some(owner) => alert_labels.push(("owner", model.display_value(owner))),
            None => {}
        }
    }
    let criterion = if texts.is_empty() { k.target_text.clone() } else { texts.join("; ") };
    let because = becauses.join("; ");
    let mut annotations = vec![("criterion", criterion)];
    if !because.is_empty() {
        annotations.push(("because", because));
    }
    let with = |sev: &str| {
        let mut l = alert_labels.clone();
        l.push(("severity", sev.to_string()));
        l
    };
    // Missed: the value, where it does not meet the target (NaN included).
    let missed = format!("{} unless {}", k.value(), k.meets(k.target, false));
    let mut a = annotations.clone();
    a.push(("summary", format!("KPI {} misses its {}", k.name, k.target_text)));
    g.alerts.push(alert("CompelKpiMissed", &missed, &with(severity(enforcement)), &a));
    g.note_alert("CompelKpiMissed", &with(severity(enforcement)), &a, decides.clone());
    if let Some((op, w)) = k.warn {
        let expr = format!("{} {} {}", k.meets(k.target, false), op.as_str(), number(w));
        let mut a = annotations.clone();
        let band = format!("{} {}", op.as_str(), k.unit.format_raw(w));
        a.push(("summary", format!("KPI {} meets its {} but is in its warn band {band}", k.name, k.target_text)));
        g.alerts.push(alert("CompelKpiAtRisk", &expr, &with("warning"), &a));
        g.note_alert("CompelKpiAtRisk", &with("warning"), &a, decides.clone());
    }
    let (stale, summary) = match &k.derived {
        Some(v) => (format!("absent({v})"), format!("KPI {} has no value: an input is missing or stale", k.name)),
        None => (
            format!("absent_over_time({}[{}])", k.selector, k.age),
            format!("KPI {} has no sample within its max_age {}", k.name, k.age),
        ),
    };
    let mut a = annotations.clone();
    a.push(("summary", summary));
    g.alerts.push(alert("CompelKpiStale", &stale, &with(severity(enforcement)), &a));
    g.note_alert("CompelKpiStale", &with(severity(enforcement)), &a, decides.clone());
    if k.derived.is_some() {
        // Its inputs' own rules report an ambiguous selector.
        g.rules += 2 + usize::from(k.warn.is_some());
        return;
    }
    let ambiguous = format!("count(last_over_time({}[{}])) > 1", k.selector, k.age);
    let mut a = annotations;
    a.push(("summary", format!("the selector of KPI {} matches more than one series", k.name)));
    g.alerts.push(alert("CompelKpiAmbiguous", &ambiguous, &with(severity(enforcement)), &a));
    g.note_alert("CompelKpiAmbiguous", &with(severity(enforcement)), &a, decides.clone());
    g.rules += 3 + usize::from(k.warn.is_some());
}

/// Criteria that declared facts decide, by (file, criterion text): whether
/// each holds. Decided by an evaluation with no metrics, for criteria that
/// read neither `today` nor `now`: an outcome that no metric could change.
fn fold_constants(model: &Model, files: &Files) -> BTreeMap<(String, String), bool> {
    let store = MetricStore::new();
    let report = evaluate(model, files, &store, &EvalOptions::at(0));
    let mut out = BTreeMap::new();
    for i in &report.initiatives {
        for gate in &i.gates {
            for c in &gate.criteria {
                if let Some(h) = c.holds {
                    out.insert((c.file.clone(), c.text.clone()), h);
                }
            }
        }
    }
    out
}

fn reads_clock(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |e| {
        if matches!(e.kind, ExprKind::Today | ExprKind::Now) {
            found = true;
        }
    });
    found
}

/// A criterion as a 0/1 PromQL expression, or why it has none.
fn term(
    model: &Model,
    files: &Files,
    kpis: &BTreeMap<DeclId, Kpi>,
    folded: &BTreeMap<(String, String), bool>,
    file: FileId,
    c: &Criterion,
) -> Result<String, String> {
    let kpi_of = |e: &Expr| -> Option<DeclId> {
        let mut e = e;
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        match &e.kind {
            ExprKind::Name(n) => match model.lookup(file, &n.name) {
                Some(Symbol::Decl(id)) if model.decl(id).kind == Kind::Kpi => Some(id),
                _ => None,
            },
            _ => None,
        }
    };
    let compiled = |id: DeclId| -> Result<&Kpi, String> {
        kpis.get(&id).ok_or_else(|| format!("KPI `{}` is not compiled", model.decl(id).name))
    };
    if let Some(id) = kpi_of(&c.expr) {
        let k = compiled(id)?;
        return Ok(k.meets(k.target, true));
    }
    if let ExprKind::For(inner, d) = &c.expr.kind {
        if let Some(id) = kpi_of(inner) {
            let k = compiled(id)?;
            let secs = match crate::check::interp::eval(&crate::check::interp::Env::constant(model, file), d) {
                Ok(Value::Dur(s)) if !s.is_negative() && !s.is_zero() => s,
                _ => return Err("its duration is not a constant".into()),
            };
            let window = duration(secs).ok_or("its duration is not a whole number of milliseconds")?;
            return held(k, &window, secs);
        }
    }
    if !reads_clock(&c.expr) {
        let text = crate::eval::evaluate::source_text(&files.get(file).text, &c.expr);
        let key = (files.get(file).path.clone(), format!("{} {text}", c.enforcement.as_str()));
        if let Some(h) = folded.get(&key) {
            return Ok(format!("vector({})", u8::from(*h)));
        }
    }
    if reads_clock(&c.expr) {
        Err("it reads the clock (`today`, `now`)".into())
    } else {
        Err("PromQL cannot express it".into())
    }
}

/// `KPI for D` as 0/1: every sample in the window and the one in effect
/// at its start meet the target, and a fresh sample covers the window.
fn held(k: &Kpi, window: &str, window_secs: Rational) -> Result<String, String> {
    if k.derived.is_some() {
        return Err("`for` over a derived KPI reads its inputs' timestamps, which compel serve decides".into());
    }
    let (op, bound) = k.target;
    let b = number(bound);
    let s = &k.selector;
    let within = |f: &str| format!("(min({f}_over_time({s}[{window}])) {} bool {b})", op.as_str());
    let inside = match op {
        CmpOp::Ge | CmpOp::Gt => within("min"),
        CmpOp::Le | CmpOp::Lt => within("max"),
        CmpOp::Eq => format!("({} * {})", within("min"), within("max")),
        CmpOp::Ne => return Err("a `!=` target over a window is decided by compel serve".into()),
    };
    let start = format!("(max(last_over_time({s}[{}] offset {window})) {} bool {b})", k.age, op.as_str());
    let covered = format!(
        "(min_over_time((sum(count_over_time({s}[{}])) or on() vector(0))[{window}:{}]) >= bool 1)",
        k.age,
        coverage_step(window_secs)
    );
    let single = format!("(count(last_over_time({s}[{}])) == bool 1)", k.age);
    Ok(format!("({inside} * {start} * {covered} * {single})"))
}

/// The step at which a `for` window's coverage is checked: a minute, or
/// coarser so that a window is at most [`MAX_COVERAGE_POINTS`] points (a
/// ruler bounds the samples one query loads). A gap inside the window is
/// seen by Prometheus once it exceeds `max_age` by a step; `compel serve`
/// and `eval` decide coverage exactly.
fn coverage_step(window: Rational) -> String {
    let minutes = window.div(Rational::int(60 * MAX_COVERAGE_POINTS)).map_or(1, |q| q.ceil().max(1));
    format!("{minutes}m")
}

/// The most points of a `for` window's coverage subquery.
pub const MAX_COVERAGE_POINTS: i64 = 1000;

/// The readiness rule of an initiative's next gate.
fn readiness(
    model: &Model,
    files: &Files,
    kpis: &BTreeMap<DeclId, Kpi>,
    folded: &BTreeMap<(String, String), bool>,
    i: DeclId,
    g: &mut Groups,
    undecided: &mut Vec<Undecided>,
) {
    let d = model.decl(i);
    let Some(stage) = d.reference("stage") else { return };
    let gates = model.gates_for(i);
    if gates.is_empty() {
        return;
    }
    let from = model.decl(stage).name.clone();
    let to = model.next_stage(stage).map(|s| model.decl(s).name.clone()).unwrap_or_default();
    let mut terms = Vec::new();
    let mut complete = true;
    let mut labels = vec![("initiative", d.name.clone())];
    if let Some(p) = d.reference("program") {
        labels.push(("program", model.decl(p).name.clone()));
    }
    labels.push(("from", from.clone()));
    labels.push(("to", to.clone()));
    let mut seen = BTreeSet::new();
    for gi in gates {
        let gate = &model.gates[gi];
        for c in &gate.criteria {
            let compiled = term(model, files, kpis, folded, gate.file, c);
            if let Ok(t) = &compiled {
                criterion_rule(g, &labels, &d.name, &criterion_text(files, gate.file, c), t, &mut seen);
            }
            match compiled {
                Ok(t) if c.enforcement == Enforcement::Require => terms.push(t),
                // `expect` and `advise` never block readiness.
                Ok(_) => {}
                Err(reason) => {
                    let blocks = c.enforcement == Enforcement::Require;
                    complete &= !blocks;
                    let reason = if blocks {
                        reason
                    } else {
                        format!("{reason}; it does not decide readiness (`{}`)", c.enforcement.as_str())
                    };
                    undecided.push(Undecided {
                        initiative: d.name.clone(),
                        gate: format!("{from} -> {to}"),
                        text: criterion_text(files, gate.file, c),
                        reason,
                    });
                }
            }
        }
    }
    if !complete {
        return;
    }
    let all = if terms.is_empty() { "vector(1)".to_string() } else { terms.join(" * ") };
    // Unknown (a missing, stale or ambiguous series) is not ready.
    let expr = format!("({all}) or on() vector(0)");
    g.readiness.push(record("compel:initiative_ready", &expr, &labels));
    g.note_record("compel:initiative_ready", &labels, Decides::Ready { initiative: d.name.clone() });
    g.rules += 1;
}

/// `compel:criterion_holds`: 1 while a criterion of an initiative's next
/// gate holds, 0 while it does not or the data cannot decide (once per
/// criterion text).
fn criterion_rule(
    g: &mut Groups,
    gate_labels: &[(&'static str, String)],
    initiative: &str,
    text: &str,
    term: &str,
    seen: &mut BTreeSet<String>,
) {
    if !seen.insert(text.to_string()) {
        return;
    }
    let mut labels = gate_labels.to_vec();
    labels.push(("criterion", text.to_string()));
    let expr = format!("({term}) or on() vector(0)");
    g.readiness.push(record("compel:criterion_holds", &expr, &labels));
    let decides = Decides::Criterion { initiative: initiative.to_string(), text: text.to_string() };
    g.note_record("compel:criterion_holds", &labels, decides);
    g.rules += 1;
}

// ---------------------------------------------------------------------------
// Text

fn record(name: &str, expr: &str, labels: &[(&str, String)]) -> String {
    let mut out = format!("- record: {}\n  expr: {}\n", yaml_str(name), yaml_str(expr));
    out.push_str("  labels:\n");
    for (k, v) in labels {
        let _ = writeln!(out, "    {k}: {}", yaml_str(v));
    }
    out
}

fn alert(name: &str, expr: &str, labels: &[(&str, String)], annotations: &[(&str, String)]) -> String {
    let mut out = format!("- alert: {}\n  expr: {}\n", yaml_str(name), yaml_str(expr));
    // Alert labels and annotations are Go templates in Prometheus.
    out.push_str("  labels:\n");
    for (k, v) in labels {
        let _ = writeln!(out, "    {k}: {}", yaml_str(&template_text(v)));
    }
    out.push_str("  annotations:\n");
    for (k, v) in annotations {
        let _ = writeln!(out, "    {k}: {}", yaml_str(&template_text(v)));
    }
    out
}

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
    let mut groups = String::new();
    for (name, rules) in [("compel.kpis", &g.kpis), ("compel.alerts", &g.alerts), ("compel.readiness", &g.readiness)] {
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(groups, "- name: {}\n  rules:", yaml_str(name));
        for r in rules.iter() {
            indent_into(&mut groups, r, "  ");
        }
    }
    match opts.target {
        Target::Prometheus => {
            if groups.is_empty() {
                out.push_str("groups: []\n");
            } else {
                out.push_str("groups:\n");
                out.push_str(&groups);
            }
        }
        Target::PrometheusOperator => {
            out.push_str("apiVersion: \"monitoring.coreos.com/v1\"\nkind: \"PrometheusRule\"\nmetadata:\n");
            let _ = writeln!(out, "  name: {}", yaml_str(&opts.name));
            out.push_str("  labels:\n    app.kubernetes.io/managed-by: \"compel\"\nspec:\n");
            if groups.is_empty() {
                out.push_str("  groups: []\n");
            } else {
                out.push_str("  groups:\n");
                out.push_str(&indent(&groups, "  "));
            }
        }
    }
    out
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An exact number: its finite decimal, or `(a / b)`.
pub fn number(q: Rational) -> String {
    match q.exact_decimal(60) {
        Some(d) => d,
        None => format!("({} / {})", q.numer(), q.denom()),
    }
}

/// A PromQL duration for `secs` (`7d`, `90s`, `250ms`), or `None` when it
/// is not a whole number of milliseconds.
pub fn duration(secs: Rational) -> Option<String> {
    let ms = secs.mul(Rational::int(1000))?;
    if !ms.is_integer() || ms.is_negative() {
        return None;
    }
    let ms = ms.numer();
    for (unit, per) in [("d", 86_400_000i128), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
        if ms >= per && ms % per == 0 {
            return Some(format!("{}{unit}", ms / per));
        }
    }
    Some(format!("{ms}ms"))
}

#[cfg(test)]
mod tests {
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
