//! The checks particular to KPIs: thresholds in the unit's dimension, a
//! bare number under `unit percent`, and a `query` KPI's `resolution` and
//! `max_age`.

use super::{rational, schema, types, value, Attr, AttrVal, Checker, DeclId, Kind, MeasureUnit, Ty, Value};
use crate::diag::{Code, Diagnostic, Edit, Fix};
use crate::syntax::ast::{self, AttrValue as AstAttrValue, Expr, ExprKind};
use crate::text::{FileId, FileSpan, Span};

impl Checker<'_> {
    /// A KPI's target and warn thresholds must be in its unit's dimension.
    /// Without a `unit` in a KPI with a broken line, the unit is unknown (the
    /// broken line may be setting it), and nothing is compared.
    /// `E0501` for a `target` or `warn` of another dimension than the
    /// KPI's unit: constant bounds first, computed bounds (`bounds`) once
    /// they are typed.
    pub(super) fn check_kpi_units(&mut self, file: FileId, attrs: &[Attr], incomplete: bool, bounds: bool) {
        let unit = match attrs.iter().find(|a| a.name == "unit").map(|a| &a.value) {
            Some(AttrVal::Unit(u)) => u.clone(),
            Some(_) => return,
            None if incomplete => return,
            None => MeasureUnit::Number,
        };
        let expected = unit.ty();
        for a in attrs.iter().filter(|a| a.name == "target" || a.name == "warn") {
            let got = match &a.value {
                AttrVal::Threshold(_, v) if !bounds => types::value_ty(v),
                AttrVal::Bound(_, _, Ty::Any) => continue,
                AttrVal::Bound(_, _, Ty::Decl(Kind::Kpi, Some(k))) => self.model.decl(*k).measure_unit().ty(),
                AttrVal::Bound(_, _, t) if bounds => t.clone(),
                _ => continue,
            };
            if got != expected {
                let unit_attr = attrs.iter().find(|a| a.name == "unit");
                let mut d = Diagnostic::at(
                    Code::TypeMismatch,
                    file,
                    a.value_span,
                    format!(
                        "`{}` is {}, but the KPI's unit `{}` makes its values {}",
                        a.name,
                        got.describe(),
                        unit.name(),
                        expected.describe()
                    ),
                );
                if let Some(u) = unit_attr {
                    d = d.with_label(FileSpan::new(file, u.value_span), format!("unit `{}`", unit.name()));
                }
                self.diags.push(d);
            }
        }
    }

    /// `E0512`: with `unit percent`, a bare number in `target` or `warn`
    /// (`target <= 2`) is a ratio (200%), almost never what was meant.
    pub(super) fn check_percent_thresholds(&mut self, file: FileId, ast: &ast::Decl, attrs: &[Attr]) {
        if !matches!(
            attrs.iter().find(|a| a.name == "unit").map(|a| &a.value),
            Some(AttrVal::Unit(MeasureUnit::Percent))
        ) {
            return;
        }
        for m in &ast.members {
            let ast::Member::Attr(a) = m else { continue };
            let AstAttrValue::Threshold(t) = &a.value else { continue };
            if a.name.name != "target" && a.name.name != "warn" {
                continue;
            }
            let mut bare = Vec::new();
            bare_numbers(&t.value, &mut bare);
            for (raw, span) in bare {
                let meant = format!("{}%", times_100(&raw));
                if meant == "0%" {
                    continue; // zero is zero in either unit
                }
                let percent = format!("{raw}%");
                self.diags.push(
                    Diagnostic::at(
                        Code::PercentWithoutUnit,
                        file,
                        span,
                        format!(
                            "`{}` of a `unit percent` KPI is a bare number: `{raw}` means {meant}, not {percent}",
                            a.name.name
                        ),
                    )
                    .with_primary_label("no `%`")
                    .with_help(format!("write `{meant}`, or `{percent}` if that was meant"))
                    .with_fix(Fix {
                        title: format!("change to `{percent}`"),
                        edits: vec![Edit { at: FileSpan::new(file, span), replacement: percent.clone() }],
                    }),
                );
            }
        }
    }

    /// `E0405`: a `query` KPI declares its `resolution` (the step of its
    /// subquery). `E0406`: its `max_age`, when written, is at least the
    /// resolution plus Prometheus' lookback, the age of the data a point of
    /// a series scraped without pause may carry.
    pub(super) fn check_query_resolution(&mut self, file: FileId, id: DeclId, attrs: &[Attr]) {
        let Some(query) = attrs.iter().find(|a| a.name == "query") else { return };
        let decl = self.model.decl(id);
        let Some(resolution) = attrs.iter().find(|a| a.name == "resolution") else {
            let insert_at = decl.body_span.end.saturating_sub(1) as usize;
            self.diags.push(
                Diagnostic::at(
                    Code::QueryWithoutResolution,
                    file,
                    query.span,
                    format!("kpi `{}` has a `query` but no `resolution`", decl.name),
                )
                .with_primary_label("evaluated every how often?")
                .with_help(
                    "add `resolution 1m` (or the interval the series is scraped at): the query is read as the \
                     points of the subquery `(QUERY)[RANGE:RESOLUTION]`",
                )
                .with_fix(Fix {
                    title: "add `resolution 1m`".to_string(),
                    edits: vec![Edit {
                        at: FileSpan::new(file, Span::new(insert_at, insert_at)),
                        replacement: "  resolution 1m\n".to_string(),
                    }],
                }),
            );
            return;
        };
        let AttrVal::Value(Value::Dur(res)) = &resolution.value else { return };
        if res.is_negative() || res.is_zero() {
            self.diags.push(
                Diagnostic::at(
                    Code::QueryWithoutResolution,
                    file,
                    resolution.value_span,
                    format!("the `resolution` of kpi `{}` is not a positive duration", decl.name),
                )
                .with_primary_label("no step")
                .with_help("write the step the query is evaluated at, e.g. `resolution 1m`"),
            );
            return;
        }
        let Some(max_age) = attrs.iter().find(|a| a.name == "max_age") else { return };
        let AttrVal::Value(Value::Dur(age)) = &max_age.value else { return };
        let lookback = rational::Rational::int(schema::PROMETHEUS_LOOKBACK_SECS);
        let Some(needed) = res.add(lookback) else { return };
        if *age < needed {
            self.diags.push(
                Diagnostic::at(
                    Code::MaxAgeBelowResolution,
                    file,
                    max_age.value_span,
                    format!(
                        "the `max_age` {} of query kpi `{}` is below its resolution {} plus Prometheus' 5m lookback",
                        value::fmt_dur(*age),
                        decl.name,
                        value::fmt_dur(*res)
                    ),
                )
                .with_primary_label(format!("less than {}", value::fmt_dur(needed)))
                .with_label(FileSpan::new(file, resolution.value_span), "one point per resolution")
                .with_help(format!(
                    "a point of the query may carry a sample up to {} old even while the series is scraped \
                     without pause; write `max_age {}` or more, or a finer `resolution`",
                    value::fmt_dur(needed),
                    value::fmt_dur(needed)
                )),
            );
        }
    }
}

/// The unitless number literals that stand as values (not as factors) in
/// a threshold: `2`, `-2`, `(2)`, both sides of `90% + 2`.
fn bare_numbers(e: &Expr, out: &mut Vec<(String, Span)>) {
    match &e.kind {
        ExprKind::Number { raw, unit: None, .. } => out.push((raw.clone(), e.span)),
        ExprKind::Paren(inner) | ExprKind::Unary(ast::UnOp::Neg, inner) => bare_numbers(inner, out),
        ExprKind::Binary(ast::BinOp::Add | ast::BinOp::Sub, l, r) => {
            bare_numbers(l, out);
            bare_numbers(r, out);
        }
        _ => {}
    }
}

/// A number literal's decimal text times 100, exactly (`2` -> `200`,
/// `0.075` -> `7.5`).
fn times_100(raw: &str) -> String {
    let digits = raw.replace('_', "");
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let frac = format!("{frac:0<2}");
    let (moved, rest) = frac.split_at(2);
    let int = format!("{int}{moved}");
    let int = int.trim_start_matches('0');
    let rest = rest.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if rest.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{rest}")
    }
}
