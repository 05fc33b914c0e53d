//! Derived KPIs: `kpi utility { value 0.6 * auc + 0.4 * precision }` with
//! a `target`. A derived KPI reads no metric; its value is its formula
//! over its inputs' values.
//!
//! The checker keeps the formula in the `value` attribute
//! (`AttrVal::Derived`) with its type and its inputs, the KPIs it names.
//! The rules:
//! - `value` and a metric (`metric`, `query`, `labels`, `by`, `resolution`)
//!   together are an error (E0432);
//! - the formula reads KPIs and constants only: numbers, money, durations,
//!   `let`s with a constant value, `+ - * /`, `abs`, and `min`/`max` of two
//!   values. A family, a window, an attribute or `today` is refused
//!   (E0434): a family would be a list of values, and a window has no value
//!   at one instant;
//! - derived KPIs that read each other in a cycle are an error naming the
//!   cycle (E0433);
//! - the formula is a quantity (a number, a duration, money in one
//!   currency); with `unit` set it must be of the unit's dimension, and
//!   without one the KPI takes the formula's (`number`, `s`, or the
//!   currency); `target` and `warn` are checked against it.

use std::collections::HashMap;

use super::{builtins, types, Attr, AttrName, AttrVal, Checker, DeclId, Kind, Model, Symbol, Ty};
use crate::check::rational::Rational;
use crate::check::value::{MeasureUnit, Value};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::text::{FileId, FileSpan};

/// The attributes that read a metric, which a derived KPI cannot have.
const METRIC_ATTRS: &[&str] = &["metric", "query", "labels", "by", "resolution"];

impl super::Attrs {
    /// Whether a KPI with these attributes is derived: it sets `value`
    /// (checked or not) and reads no metric ([`Model::is_derived`]).
    pub fn derives(&self) -> bool {
        self.attr("value").is_some()
    }
}

impl Model {
    /// The formula of a derived KPI (`value EXPR`), when it checked.
    pub fn derived_formula(&self, id: DeclId) -> Option<&Expr> {
        match &self.decl(id).attr("value")?.value {
            AttrVal::Derived(e, _, _) => Some(e),
            _ => None,
        }
    }

    /// Whether the KPI sets `value` (checked or not): it reads no metric.
    pub fn is_derived(&self, id: DeclId) -> bool {
        let d = self.decl(id);
        d.kind == Kind::Kpi && d.attrs.derives()
    }

    /// The KPIs a derived KPI's formula reads, in the order written, each
    /// once (empty for a plain KPI).
    pub fn derived_inputs(&self, id: DeclId) -> &[DeclId] {
        match self.decl(id).attr("value").map(|a| &a.value) {
            Some(AttrVal::Derived(_, _, inputs)) => inputs,
            _ => &[],
        }
    }

    /// The plain KPIs a derived KPI reads, through derived inputs too, each
    /// once, in the order first reached.
    pub fn derived_leaves(&self, id: DeclId) -> Vec<DeclId> {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        let mut stack = vec![id];
        while let Some(k) = stack.pop() {
            if seen.contains(&k) {
                continue;
            }
            seen.push(k);
            if self.is_derived(k) {
                stack.extend(self.derived_inputs(k).iter().rev().copied());
            } else if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }
}

/// Whether a required attribute is not needed: a derived KPI (`value`)
/// reads no `metric`.
pub(super) fn needs_no(attr: &str, attrs: &[Attr]) -> bool {
    attr == "metric" && attrs.iter().any(|a| a.name == "value")
}

impl Checker<'_> {
    /// A KPI's attributes together: units (a derived KPI's once its
    /// formula is typed, in [`Checker::check_derived`]), percent
    /// thresholds, a query's resolution, a family's labels.
    pub(super) fn check_kpi_attrs(
        &mut self,
        file: FileId,
        ast: &crate::syntax::ast::Decl,
        id: DeclId,
        attrs: &mut [Attr],
    ) {
        let incomplete = self.model.decl(id).incomplete;
        if !attrs.iter().any(|a| a.name == "value") {
            self.check_kpi_units(file, attrs, incomplete, false);
        }
        self.check_percent_thresholds(file, ast, attrs);
        self.check_query_resolution(file, id, attrs);
        self.check_family_labels(file, attrs);
    }

    /// Checks every derived KPI: metric attributes, cycles, what the
    /// formula reads, its type and the KPI's unit. Runs once every
    /// declaration's attributes are resolved, before computed bounds,
    /// gates and policies are typed (they may read a derived KPI's unit).
    pub(super) fn check_derived(&mut self) {
        let derived: Vec<DeclId> = (0..self.model.decls.len())
            .map(|i| DeclId(i as u32))
            .filter(|id| matches!(self.model.decl(*id).attr("value").map(|a| &a.value), Some(AttrVal::Derived(..))))
            .collect();
        if derived.is_empty() {
            return;
        }
        let mut edges: HashMap<DeclId, Vec<DeclId>> = HashMap::new();
        for &id in &derived {
            self.metric_attrs(id);
            let d = self.model.decl(id);
            let Some(AttrVal::Derived(e, _, _)) = d.attr("value").map(|a| &a.value) else { continue };
            let mut names = Vec::new();
            kpi_names(&self.model, d.file, e, &mut names);
            edges.insert(id, names);
        }
        let cyclic = self.cycles(&derived, &edges);
        // Inputs first, so a derived input's unit is known when read.
        let mut done: Vec<DeclId> = Vec::new();
        for &id in &derived {
            self.visit(id, &edges, &cyclic, &mut done, 0);
        }
    }

    fn visit(
        &mut self,
        id: DeclId,
        edges: &HashMap<DeclId, Vec<DeclId>>,
        cyclic: &[DeclId],
        done: &mut Vec<DeclId>,
        depth: usize,
    ) {
        if done.contains(&id) || depth > 64 {
            return;
        }
        done.push(id);
        if cyclic.contains(&id) {
            self.invalidate(id);
            return;
        }
        for &input in edges.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
            if edges.contains_key(&input) {
                self.visit(input, edges, cyclic, done, depth + 1);
            }
        }
        self.check_formula(id);
    }

    fn invalidate(&mut self, id: DeclId) {
        if let Some(a) = self.model.decls[id.0 as usize].attrs.make_mut().iter_mut().find(|a| a.name == "value") {
            a.value = AttrVal::Invalid;
        }
    }

    /// E0432: `value` with `metric`, `query`, `labels`, `by` or `resolution`.
    fn metric_attrs(&mut self, id: DeclId) {
        let d = self.model.decl(id);
        let Some(value) = d.attr("value") else { return };
        let file = d.file;
        let mut found = Vec::new();
        for a in d.attrs.iter().filter(|a| METRIC_ATTRS.contains(&a.name.as_str())) {
            found.push((a.name.clone(), a.name_span));
        }
        let value_span = value.name_span;
        let name = d.name.clone();
        for (attr, span) in found {
            self.diags.push(
                Diagnostic::at(
                    Code::DerivedWithMetric,
                    file,
                    span,
                    format!("`{name}` has a `value`, so it reads no metric: `{attr}` does not apply"),
                )
                .with_label(FileSpan::new(file, value_span), "its value is this formula")
                .with_help(format!("remove `{attr}`, or remove `value` and measure `{name}` from its metric")),
            );
        }
    }

    /// E0433: each cycle between derived KPIs once, at the first KPI of the
    /// cycle in declaration order. Returns the KPIs on a cycle.
    fn cycles(&mut self, derived: &[DeclId], edges: &HashMap<DeclId, Vec<DeclId>>) -> Vec<DeclId> {
        let mut cyclic: Vec<DeclId> = Vec::new();
        for &start in derived {
            if cyclic.contains(&start) {
                continue;
            }
            let Some(path) = find_cycle(start, edges) else { continue };
            let names: Vec<String> = path.iter().map(|k| format!("`{}`", self.model.decl(*k).name)).collect();
            let d = self.model.decl(start);
            let file = d.file;
            let span = d.attr("value").map_or(d.name_span, |a| a.value_span);
            let mut diag = Diagnostic::at(
                Code::DerivedCycle,
                file,
                span,
                format!("derived KPIs read each other in a cycle: {}", names.join(" -> ")),
            )
            .with_help("a derived KPI's value cannot depend on itself: measure one of them from its metric");
            for pair in path.windows(2).skip(1) {
                let dk = self.model.decl(pair[0]);
                let at = dk.attr("value").map_or(dk.name_span, |a| a.value_span);
                let next = &self.model.decl(pair[1]).name;
                diag = diag.with_label(FileSpan::new(dk.file, at), format!("`{}` reads `{next}`", dk.name));
            }
            self.diags.push(diag);
            cyclic.extend(path.iter().copied());
        }
        cyclic
    }

    /// Types one formula and settles the KPI's unit.
    fn check_formula(&mut self, id: DeclId) {
        let d = self.model.decl(id);
        let file = d.file;
        let Some(value) = d.attr("value").cloned() else { return };
        let AttrVal::Derived(e, _, _) = &value.value else { return };
        // What the formula reads first: a refused input is the one error
        // (typing a family as a number would add a second); then its type.
        let before = self.diags.len();
        let mut inputs = Vec::new();
        let ok_inputs = self.inputs(file, e, &mut inputs);
        if self.diags.len() > before {
            self.invalidate(id);
            return;
        }
        let mut refs = Vec::new();
        let ty = types::TypeCx::new(&self.model, file, None, &mut self.diags, &mut refs).infer(e);
        self.add_references(refs);
        let ty = match ty {
            Ty::Decl(Kind::Kpi, Some(k)) if !self.model.is_family(k) => self.model.decl(k).measure_unit().ty(),
            t => t,
        };
        if !ok_inputs || self.diags.len() > before {
            self.invalidate(id);
            return;
        }
        let unit = match ty.clone() {
            Ty::Num => MeasureUnit::Number,
            Ty::Dur => MeasureUnit::Time(Rational::ONE, "s"),
            Ty::Money(c) if !c.is_empty() => MeasureUnit::Money(c),
            Ty::Any => {
                self.invalidate(id);
                return;
            }
            other => {
                self.diags.push(
                    Diagnostic::at(
                        Code::TypeMismatch,
                        file,
                        e.span,
                        format!(
                            "a KPI's value must be a quantity (a number, a duration or money), but this is {}",
                            other.describe()
                        ),
                    )
                    .with_help("compute a number from KPIs and constants, e.g. `0.6 * auc + 0.4 * precision`"),
                );
                self.invalidate(id);
                return;
            }
        };
        let decl = &mut self.model.decls[id.0 as usize];
        let mut attrs: Vec<Attr> = std::mem::take(&mut decl.attrs).into_vec();
        if let Some(a) = attrs.iter_mut().find(|a| a.name == "value") {
            a.value = AttrVal::Derived(e.clone(), ty.clone(), inputs);
        }
        match attrs.iter().find(|a| a.name == "unit").map(|a| (&a.value, a.value_span)) {
            Some((AttrVal::Unit(u), span)) if u.ty() != ty => {
                let u = u.clone();
                self.diags.push(
                    Diagnostic::at(
                        Code::TypeMismatch,
                        file,
                        e.span,
                        format!(
                            "the value is {}, but the KPI's unit `{}` makes its values {}",
                            ty.describe(),
                            u.name(),
                            u.ty().describe()
                        ),
                    )
                    .with_label(FileSpan::new(file, span), format!("unit `{}`", u.name())),
                );
            }
            Some(_) => {}
            None => attrs.push(Attr {
                name: AttrName::Schema("unit"),
                name_span: value.name_span,
                value_span: value.value_span,
                span: value.span,
                value: AttrVal::Unit(unit),
            }),
        }
        let incomplete = self.model.decl(id).incomplete;
        self.check_kpi_units(file, &attrs, incomplete, false);
        self.model.decls[id.0 as usize].attrs = attrs.into();
    }

    /// E0434 for what a formula may not read; collects the KPIs it reads.
    fn inputs(&mut self, file: FileId, e: &Expr, out: &mut Vec<DeclId>) -> bool {
        let refuse = |cx: &mut Self, e: &Expr, what: String| {
            cx.diags.push(
                Diagnostic::at(Code::DerivedInput, file, e.span, format!("a derived KPI's value cannot read {what}"))
                    .with_help("a `value` reads KPIs and constants: `0.6 * auc + 0.4 * precision`; put windows, families and conditions in policies and gates"),
            );
            false
        };
        match &e.kind {
            ExprKind::Number { .. } | ExprKind::Money { .. } => true,
            ExprKind::Paren(inner) | ExprKind::Unary(UnOp::Neg, inner) => self.inputs(file, inner, out),
            ExprKind::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, l, r) => {
                let a = self.inputs(file, l, out);
                let b = self.inputs(file, r, out);
                a && b
            }
            ExprKind::Name(ident) => match self.model.lookup(file, &ident.name) {
                Some(Symbol::Decl(k)) if self.model.decl(k).kind == Kind::Kpi => {
                    if self.model.is_family(k) {
                        let name = ident.name.clone();
                        return refuse(
                            self,
                            e,
                            format!("the family `{name}`: its value is a list of its members' values, not one value"),
                        );
                    }
                    if !out.contains(&k) {
                        out.push(k);
                    }
                    true
                }
                Some(Symbol::Let(i)) if self.model.lets[i].value.as_ref().is_some_and(is_quantity) => true,
                Some(Symbol::Let(_)) => {
                    let name = ident.name.clone();
                    refuse(self, e, format!("`{name}`, a `let` whose value is not a constant quantity"))
                }
                Some(_) => {
                    let name = ident.name.clone();
                    refuse(self, e, format!("`{name}`, which is not a KPI"))
                }
                None => false,
            },
            ExprKind::Call(func, args) => {
                let entry = builtins::lookup(&func.name);
                let scalar = entry.is_some_and(|b| b.family == builtins::Family::Scalar);
                let pair = matches!(func.name.as_str(), "min" | "max")
                    && args.len() == 2
                    && !args.iter().any(|a| {
                        matches!(a.kind, ExprKind::Number { unit: Some(_), .. })
                            && is_kpi_name(&self.model, file, &args[0])
                    });
                if !(scalar || pair) {
                    let name = func.name.clone();
                    return refuse(self, e, format!("`{name}(...)`: it has no value at one instant"));
                }
                let mut ok = true;
                for a in args {
                    ok &= self.inputs(file, a, out);
                }
                ok
            }
            other => {
                let what = match other {
                    ExprKind::Today | ExprKind::Now | ExprKind::Date(_) | ExprKind::DateTime(_) => "a date or a time",
                    ExprKind::Field(..) => "an attribute",
                    ExprKind::Str(_) => "a string",
                    ExprKind::List(_) => "a list",
                    ExprKind::For(..) => "`for`: it is a condition over a window",
                    _ => "a condition",
                };
                refuse(self, e, format!("{what}: only KPIs, constants and arithmetic"))
            }
        }
    }
}

fn is_quantity(v: &Value) -> bool {
    matches!(v, Value::Num(_) | Value::Dur(_) | Value::Money(..))
}

fn is_kpi_name(model: &Model, file: FileId, e: &Expr) -> bool {
    let ExprKind::Name(i) = &e.kind else { return false };
    matches!(model.lookup(file, &i.name), Some(Symbol::Decl(k)) if model.decl(k).kind == Kind::Kpi)
}

/// The KPIs an expression names (resolved in `file`'s scope).
fn kpi_names(model: &Model, file: FileId, e: &Expr, out: &mut Vec<DeclId>) {
    match &e.kind {
        ExprKind::Name(i) => {
            if let Some(Symbol::Decl(k)) = model.lookup(file, &i.name) {
                if model.decl(k).kind == Kind::Kpi && !out.contains(&k) {
                    out.push(k);
                }
            }
        }
        ExprKind::Paren(x) | ExprKind::Unary(_, x) | ExprKind::Offset(x) | ExprKind::Field(x, _) => {
            kpi_names(model, file, x, out)
        }
        ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => {
            kpi_names(model, file, l, out);
            kpi_names(model, file, r, out);
        }
        ExprKind::Call(_, args) | ExprKind::List(args) => {
            for a in args {
                kpi_names(model, file, a, out);
            }
        }
        ExprKind::Quantifier { list, pred, .. } => {
            kpi_names(model, file, list, out);
            kpi_names(model, file, pred, out);
        }
        _ => {}
    }
}

/// A cycle through `start` (`start -> ... -> start`), when there is one.
fn find_cycle(start: DeclId, edges: &HashMap<DeclId, Vec<DeclId>>) -> Option<Vec<DeclId>> {
    // Depth-first, iterative: the path and, per node, the next edge to try.
    let mut path: Vec<(DeclId, usize)> = vec![(start, 0)];
    let mut seen: Vec<DeclId> = vec![start];
    while let Some((node, next)) = path.last().copied() {
        let outs = edges.get(&node).map(Vec::as_slice).unwrap_or(&[]);
        if next >= outs.len() {
            path.pop();
            continue;
        }
        path.last_mut()?.1 += 1;
        let to = outs[next];
        if to == start {
            let mut cycle: Vec<DeclId> = path.iter().map(|(n, _)| *n).collect();
            cycle.push(start);
            return Some(cycle);
        }
        if edges.contains_key(&to) && !seen.contains(&to) {
            seen.push(to);
            path.push((to, 0));
        }
    }
    None
}
