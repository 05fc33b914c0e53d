//! One KPI as PromQL reads it, and its recording and alerting rules for
//! each initiative that lists it.

use std::collections::BTreeMap;

use super::groups::{Group, Groups};
use super::rules::Decides;
use super::text::promql_string;
use crate::check::rational::Rational;
use crate::check::value::Value;
use crate::check::{DeclId, MeasureUnit, Model, Symbol};
use crate::syntax::ast::{CmpOp, Criterion, Enforcement, Expr, ExprKind};
use crate::text::{FileId, Files};

/// A KPI as PromQL reads it.
pub(super) struct Kpi {
    pub name: String,
    pub metric: String,
    pub labels: BTreeMap<String, String>,
    pub max_age: Rational,
    /// The selector, without a range.
    pub selector: String,
    /// `max_age`, as a PromQL duration.
    pub age: String,
    pub unit: MeasureUnit,
    /// The target in the raw unit.
    pub target: (CmpOp, Rational),
    /// The warn band in the raw unit.
    pub warn: Option<(CmpOp, Rational)>,
    /// `target >= 92%`, for people.
    pub target_text: String,
    /// The KPI's value: a single series without labels when exactly one
    /// series matches and its latest sample is no older than `max_age`;
    /// nothing otherwise; a derived KPI's is its formula over its inputs'
    /// values.
    pub value: String,
    /// Whether it is derived (`value`).
    pub derived: bool,
}

impl Kpi {
    /// Whether the value meets `bound`: 0/1 with `bool_`, else the value
    /// where it does.
    pub fn meets(&self, (op, bound): (CmpOp, Rational), bool_: bool) -> String {
        let b = if bool_ { " bool" } else { "" };
        format!("({} {}{b} {})", self.value, op.as_str(), number(bound))
    }
}

/// Reads a KPI's metric, labels, unit, thresholds and `max_age`.
pub(super) fn prepare(model: &Model, id: DeclId, default_max_age: Rational) -> Result<Kpi, String> {
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
    let derived = if model.is_derived(id) { Some(super::derived::value(model, id, default_max_age)?) } else { None };
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
        _ => default_max_age,
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
    let is_derived = derived.is_some();
    let value = derived.unwrap_or_else(|| {
        let x = format!("last_over_time({selector}[{age}])");
        format!("(max({x}) and on() (count({x}) == 1))")
    });
    Ok(Kpi {
        name: d.name.clone(),
        value,
        derived: is_derived,
        metric: metric.to_string(),
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        max_age,
        selector,
        age,
        unit,
        target,
        warn,
        target_text,
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
pub(super) fn readers(
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

pub(super) fn criterion_text(files: &Files, file: FileId, c: &Criterion) -> String {
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

pub(super) fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
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
pub(super) fn kpi_rules(model: &Model, files: &Files, k: &Kpi, id: DeclId, initiative: Option<DeclId>, g: &mut Groups) {
    let labels = kpi_labels(model, &k.name, initiative);
    let mut value_labels = labels.clone();
    value_labels.push(("unit", k.unit.name()));
    let decides = Decides::Kpi { kpi: k.name.clone(), initiative: initiative.map(|i| model.decl(i).name.clone()) };
    let met = k.meets(k.target, true);
    g.record(Group::Kpis, "compel:kpi_value", &k.value, &value_labels, &decides);
    g.record(Group::Kpis, "compel:kpi_target_met", &met, &labels, &decides);
    if let Some(w) = k.warn {
        let expr = format!("({met} * {})", k.meets(w, true));
        g.record(Group::Kpis, "compel:kpi_warn", &expr, &labels, &decides);
    }

    let (enforcement, texts, becauses) = readers(model, files, id, initiative);
    let mut alert_labels = labels;
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
    let (labels, warning) = (with(severity(enforcement)), with("warning"));
    let summary = |text: String| {
        let mut a = annotations.clone();
        a.push(("summary", text));
        a
    };
    // Missed: the value, where it does not meet the target (NaN included).
    let meets_target = k.meets(k.target, false);
    let missed = format!("{} unless {meets_target}", k.value);
    let a = summary(format!("KPI {} misses its {}", k.name, k.target_text));
    g.alert("CompelKpiMissed", &missed, &labels, &a, &decides);
    if let Some((op, w)) = k.warn {
        let expr = format!("{meets_target} {} {}", op.as_str(), number(w));
        let band = format!("{} {}", op.as_str(), k.unit.format_raw(w));
        let a = summary(format!("KPI {} meets its {} but is in its warn band {band}", k.name, k.target_text));
        g.alert("CompelKpiAtRisk", &expr, &warning, &a, &decides);
    }
    if k.derived {
        // Its inputs' own rules report an ambiguous selector.
        let a = summary(format!("KPI {} has no value: an input is missing or stale", k.name));
        g.alert("CompelKpiStale", &format!("absent({})", k.value), &labels, &a, &decides);
        return;
    }
    let stale = format!("absent_over_time({}[{}])", k.selector, k.age);
    let a = summary(format!("KPI {} has no sample within its max_age {}", k.name, k.age));
    g.alert("CompelKpiStale", &stale, &labels, &a, &decides);
    let ambiguous = format!("count(last_over_time({}[{}])) > 1", k.selector, k.age);
    let a = summary(format!("the selector of KPI {} matches more than one series", k.name));
    g.alert("CompelKpiAmbiguous", &ambiguous, &labels, &a, &decides);
}

pub(super) fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub(super) fn is_label_name(s: &str) -> bool {
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
