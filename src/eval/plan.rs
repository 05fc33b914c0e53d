//! What to fetch from a live metrics server: for each KPI, its series (or
//! its raw `query`) and how far back the evaluation will read.
//!
//! The lookback of a KPI is the largest of
//! - twice its `max_age` (the default when unset): its status and latest
//!   value read the last sample, which decides only while it is no older
//!   than `max_age`; reading one `max_age` further names a series that went
//!   stale recently by its last sample ("stale: the last sample ... is at
//!   T"), as a file does, instead of reporting it missing;
//! - every window `w` of a window function over it: `w`;
//! - every `KPI for D`: `D + max_age`. `for` reads the sample in effect at
//!   the window's start `now - D`, which began before the window; it counts
//!   only while it is no older than `max_age`, so the oldest sample that can
//!   decide is `max_age` before the start. Reading back `D + max_age` sees
//!   it, and nothing older can change the decision: a series with samples
//!   at now-10d, now-1d and now decides `KPI for 7d` (with `max_age 10d`)
//!   from Prometheus as from a file;
//! - every drift statistic over it: current + reference.
//!
//! A `query` KPI's `resolution` is the step of its subquery
//! ([`KpiFetch::resolution`]).
//!
//! Durations are read from the criteria of every gate and policy. A window
//! function whose KPI is not written by name (a quantifier variable, an
//! attribute such as `kpis`) applies its duration to every KPI, so nothing
//! a criterion may read is left out.

use crate::check::rational::Rational;
use std::collections::BTreeMap;

use super::metrics::Labels;
use crate::check::builtins::{self, Family};
use crate::check::interp::{self, Env};
use crate::check::value::Value;
use crate::check::{DeclId, Kind, Model, Symbol};
use crate::stdlib;
use crate::syntax::ast::{Expr, ExprKind};
use crate::text::{FileId, Files};

/// One KPI's fetch.
#[derive(Clone, Debug, PartialEq)]
pub struct KpiFetch {
    /// The KPI's name.
    pub kpi: String,
    /// Its `metric`.
    pub metric: String,
    /// Its `labels` selector.
    pub labels: Labels,
    /// Its raw PromQL `query`, when it has one.
    pub query: Option<String>,
    /// Its `resolution` in seconds (the step of a `query`'s subquery), when
    /// set.
    pub resolution: Option<Rational>,
    /// Its `max_age` in seconds (the default when unset).
    pub max_age: Rational,
    /// Whether `max_age` is the default (the KPI sets none).
    pub default_max_age: bool,
    /// How far back the evaluation reads, in seconds.
    pub lookback: f64,
}

/// Which KPI a duration applies to.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    One(DeclId),
    All,
}

/// A duration read with a KPI: its length and whether the KPI's `max_age`
/// adds to it (`for`).
struct Need {
    target: Target,
    secs: f64,
    plus_max_age: bool,
}

/// The fetch of every KPI declared in the user's files (not the stdlib's),
/// sorted by KPI name then file.
pub fn plan(model: &Model, files: &Files, default_max_age: Rational) -> Vec<KpiFetch> {
    let mut needs = Vec::new();
    for g in &model.gates {
        for c in &g.criteria {
            scan(model, g.file, &c.expr, &mut needs);
        }
    }
    for p in &model.policies {
        if let Some(f) = &p.filter {
            scan(model, p.file, f, &mut needs);
        }
        for c in &p.criteria {
            scan(model, p.file, &c.expr, &mut needs);
        }
    }
    // A `target` or `warn` computed at `now` reads its windows too.
    for d in &model.decls {
        for a in &d.attrs {
            if let crate::check::AttrVal::Bound(_, e, _) = &a.value {
                scan(model, d.file, e, &mut needs);
            }
        }
    }
    derived_needs(model, &mut needs);
    let mut out: BTreeMap<(String, String), KpiFetch> = BTreeMap::new();
    for (i, d) in model.decls.iter().enumerate() {
        let id = DeclId(i as u32);
        // A family's members are read from its fetch (its `labels`, every
        // group); a derived KPI reads no series (its inputs are fetched).
        if d.kind != Kind::Kpi
            || stdlib::is_std_path(&files.get(d.file).path)
            || model.is_member(id)
            || model.is_derived(id)
        {
            continue;
        }
        let (max_age_exact, default) = match d.value("max_age") {
            Some(Value::Dur(s)) => (*s, false),
            _ => (default_max_age, true),
        };
        let max_age = max_age_exact.to_f64();
        let mut lookback = 2.0 * max_age;
        for n in &needs {
            if n.target == Target::All || n.target == Target::One(id) {
                let secs = if n.plus_max_age { n.secs + max_age } else { n.secs };
                lookback = lookback.max(secs);
            }
        }
        let fetch = KpiFetch {
            kpi: d.name.clone(),
            metric: d.str_attr("metric").unwrap_or(&d.name).to_string(),
            labels: d.labels(),
            query: d.str_attr("query").map(str::to_string),
            resolution: match d.value("resolution") {
                Some(Value::Dur(s)) => Some(*s),
                _ => None,
            },
            max_age: max_age_exact,
            default_max_age: default,
            lookback,
        };
        out.insert((d.name.clone(), files.get(d.file).path.clone()), fetch);
    }
    out.into_values().collect()
}

/// A derived KPI reads its plain inputs: its value at an instant is each
/// input's sample in effect there, which may be up to the input's
/// `max_age` older. So a window or `for` of `D` over a derived KPI reads
/// each input back `D` plus its `max_age`, and its latest value (at `now`)
/// reads what each input's own fetch reads already.
fn derived_needs(model: &Model, needs: &mut Vec<Need>) {
    let mut extra = Vec::new();
    for n in needs.iter() {
        let derived: Vec<DeclId> = match n.target {
            Target::One(id) if model.is_derived(id) => vec![id],
            Target::One(_) => continue,
            // A window over a KPI not written by name may be over any
            // derived KPI: every input gets it.
            Target::All => {
                (0..model.decls.len()).map(|i| DeclId(i as u32)).filter(|id| model.is_derived(*id)).collect()
            }
        };
        for d in derived {
            for leaf in model.derived_leaves(d) {
                extra.push(Need { target: Target::One(leaf), secs: n.secs, plus_max_age: true });
            }
        }
    }
    needs.extend(extra);
}

fn target(model: &Model, file: FileId, e: &Expr) -> Target {
    match &e.kind {
        ExprKind::Paren(inner) => target(model, file, inner),
        ExprKind::Name(ident) => match model.lookup(file, &ident.name) {
            Some(Symbol::Decl(id)) if model.decl(id).kind == Kind::Kpi => Target::One(id),
            _ => Target::All,
        },
        _ => Target::All,
    }
}

fn duration(model: &Model, file: FileId, e: &Expr) -> Option<f64> {
    let e = match &e.kind {
        ExprKind::Offset(inner) => inner,
        _ => e,
    };
    match interp::eval(&Env::constant(model, file), e) {
        Ok(Value::Dur(s)) if !s.is_negative() => Some(s.to_f64()),
        _ => None,
    }
}

fn scan(model: &Model, file: FileId, e: &Expr, needs: &mut Vec<Need>) {
    match &e.kind {
        ExprKind::Call(func, args) => {
            let name = func.name.as_str();
            // `offset D` reads `D` further back.
            let n = args.len() - usize::from(matches!(args.last().map(|a| &a.kind), Some(ExprKind::Offset(_))));
            let windowed = builtins::is(name, Family::Window) && n == 2;
            let drift = builtins::is(name, Family::Drift) && n == 3;
            if windowed || drift {
                let secs: Option<f64> = args[1..].iter().map(|a| duration(model, file, a)).sum();
                if let Some(secs) = secs {
                    needs.push(Need { target: target(model, file, &args[0]), secs, plus_max_age: false });
                }
            }
            for a in args {
                scan(model, file, a, needs);
            }
        }
        ExprKind::For(k, d) => {
            if let Some(secs) = duration(model, file, d) {
                needs.push(Need { target: target(model, file, k), secs, plus_max_age: true });
            }
            scan(model, file, k, needs);
            scan(model, file, d, needs);
        }
        ExprKind::List(items) => {
            for i in items {
                scan(model, file, i, needs);
            }
        }
        ExprKind::Field(base, _) => scan(model, file, base, needs),
        ExprKind::Quantifier { list, pred, .. } => {
            scan(model, file, list, needs);
            scan(model, file, pred, needs);
        }
        ExprKind::Unary(_, inner) | ExprKind::Paren(inner) | ExprKind::Offset(inner) => scan(model, file, inner, needs),
        ExprKind::Binary(_, l, r) => {
            scan(model, file, l, needs);
            scan(model, file, r, needs);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze, MemoryLoader};

    #[test]
    fn lookbacks_cover_windows_for_and_drift() {
        let mut files = MemoryLoader::default();
        files.insert(
            "a.compel",
            r#"
kpi lat { metric "lat" unit ms target <= 250ms }
kpi acc { metric "acc" labels { model "v2" } target >= 0.9 max_age 2d }
kpi drift_score { metric "psi" target < 0.2 }
initiative i {
  owner "x"
  stage model
  kpis [lat, acc, drift_score]
  gate model -> produce {
    require lat for 7d
    require avg(acc, 3d) > 0.9
    require psi(drift_score, 7d, 28d) < 0.2
  }
}
"#,
        );
        let a = analyze(&["a.compel".to_string()], &files);
        assert!(!a.has_errors(), "{:?}", a.diagnostics);
        let plan = plan(&a.model, &a.files, Rational::int(86_400));
        let get = |n: &str| plan.iter().find(|f| f.kpi == n).map(|f| f.lookback);
        assert_eq!(get("lat"), Some(8.0 * 86_400.0));
        assert_eq!(get("acc"), Some(4.0 * 86_400.0));
        assert_eq!(get("drift_score"), Some(35.0 * 86_400.0));
        let acc = plan.iter().find(|f| f.kpi == "acc").map(|f| f.labels.clone());
        assert_eq!(acc.and_then(|l| l.get("model").cloned()).as_deref(), Some("v2"));
    }

    #[test]
    fn a_derived_kpi_is_read_through_its_inputs() {
        let mut files = MemoryLoader::default();
        files.insert(
            "a.compel",
            r#"
kpi auc { metric "auc" target >= 0.7 max_age 2d }
kpi prec { metric "prec" target >= 0.5 }
kpi utility { value 0.6 * auc + 0.4 * prec  target >= 0.6 }
kpi points { value utility * 100  target >= 60 }
initiative i {
  owner "x"
  stage model
  kpis [auc, prec, utility, points]
  gate model -> produce {
    require avg(points, 7d) >= 60
  }
}
"#,
        );
        let a = analyze(&["a.compel".to_string()], &files);
        assert!(!a.has_errors(), "{:?}", a.diagnostics);
        let plan = plan(&a.model, &a.files, Rational::int(86_400));
        let get = |n: &str| plan.iter().find(|f| f.kpi == n).map(|f| f.lookback);
        // No fetch of its own; each input back the window plus its max_age.
        assert_eq!(get("utility"), None);
        assert_eq!(get("points"), None);
        assert_eq!(get("auc"), Some(9.0 * 86_400.0));
        assert_eq!(get("prec"), Some(8.0 * 86_400.0));
    }
}
