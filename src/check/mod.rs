//! The checker: names, kinds, attribute schemas, types and units, stage
//! transitions, and the compile-time evaluation of policies.
//!
//! Input: the parsed files and their resolved imports. Output: a [`Model`]
//! (every declaration with resolved attribute values, every gate, policy,
//! `let` and built-in, each file's scope, and every resolved reference for
//! the editor) plus diagnostics. No I/O, no clock: criteria that need
//! `today`, `now` or a metric are left to `eval`.
//!
//! Scope: a file sees its own top-level names, those of the files it
//! imports transitively, and the prelude. Names are global within that
//! scope; two visible declarations with one name are an error (reported
//! once, at the later one, with the first as a secondary label).

mod attrs;
mod bounds;
pub mod builtins;
mod collect;
mod derived;
mod executive;
pub mod extend;
pub mod families;
mod gates;
mod governance;
mod ids;
pub mod interp;
mod kpi;
mod model;
mod policies;
pub mod rational;
mod resolve;
mod reuse;
mod reuse_shape;
mod reuse_units;
pub mod schema;
mod test_blocks;
pub mod types;
pub mod value;

use std::collections::HashMap;

pub use ids::{DeclId, GateId};
pub use model::{
    Attr, AttrName, AttrVal, Attrs, BuiltinDef, Decl, GateDef, Labels, LetDef, Model, PolicyDef, Reference, Symbol,
    Target,
};
#[cfg(test)]
pub(crate) use policies::TAKEN;
pub use policies::{evaluate_static_with, reports, Decided, GatesDecided, StaticRun};
pub use reuse::{Change, Fallback, Reuse, ReuseStats};
pub use schema::{AttrSpec, AttrType, Kind};
pub use value::{MeasureUnit, Ty, Value};

use crate::diag::Diagnostic;
use crate::syntax::ast;
use crate::text::{FileId, Files};

/// Checks parsed files. `visible[i]` are the files file `i` sees, sorted:
/// itself, its transitive imports, the prelude and the policy sets that
/// govern it (the analysis works them out).
pub fn check(files: &Files, asts: &[ast::File], visible: Vec<Vec<FileId>>) -> (Model, Vec<Diagnostic>) {
    check_with(files, asts, visible, Options::default())
}

/// What the checker builds besides the model the evaluator needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Whether to record every resolved name in [`Model::references`]
    /// (go-to-definition, references, rename, semantic tokens: the
    /// editor's). The command line reads none of them and turns this off;
    /// the names read in the scope of a comparison's other side
    /// ([`Target::Scoped`]) are recorded either way, since the evaluator
    /// reads them. The diagnostics are the same either way.
    pub references: bool,
    /// Whether the check ends with the static evaluation of policies and
    /// gates on what is declared ([`policies::evaluate_static`]: `compel
    /// check`'s verdicts and the mistakes only an evaluation finds). On by
    /// default; `compel eval` turns it off and runs it itself beside its
    /// own evaluation, with the budget the check left
    /// ([`Model::budget`]). The other diagnostics are the same either way.
    pub static_verdicts: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { references: true, static_verdicts: true }
    }
}

/// [`check`] with [`Options`].
pub fn check_with(
    files: &Files,
    asts: &[ast::File],
    visible: Vec<Vec<FileId>>,
    options: Options,
) -> (Model, Vec<Diagnostic>) {
    let (model, diags, _) = run(files, asts, visible, options, None, None);
    (model, diags)
}

/// What [`check_observing`] calls with each declaration's id once its
/// attributes are checked.
pub type AttrsChecked<'f> = dyn FnMut(&Model, DeclId) + 'f;

/// [`check_with`], calling `attrs_checked` with each declaration's id as
/// soon as its attributes are checked, while the check goes on (`compel
/// eval` starts reading the KPIs' data then, on another thread). A later
/// pass may still change a declaration's attributes: as long as the
/// observer holds a clone of them ([`Attrs`] is shared), that pass changes
/// a copy, and [`Attrs::same`] tells the two apart (a list changed in
/// place, or freed and another made at its address, would not be).
pub fn check_observing(
    files: &Files,
    asts: &[ast::File],
    visible: Vec<Vec<FileId>>,
    options: Options,
    attrs_checked: &mut AttrsChecked<'_>,
) -> (Model, Vec<Diagnostic>) {
    let (model, diags, _) = run(files, asts, visible, options, None, Some(attrs_checked));
    (model, diags)
}

/// [`check_with`] for the editor: reuses what `reuse` recorded of the last
/// check for what `changes` (each file's edited bytes since then) cannot
/// affect, and records this check for the next ([`reuse`] says what is
/// checked again and when the whole check runs instead). Gives exactly
/// what [`check_with`] gives.
pub fn check_reusing(
    files: &Files,
    asts: &[ast::File],
    visible: Vec<Vec<FileId>>,
    options: Options,
    reuse: &mut Reuse,
    changes: Vec<Change>,
) -> (Model, Vec<Diagnostic>) {
    let plan = reuse::Plan::new(reuse.last.take(), changes, options.references);
    let (model, diags, plan) = run(files, asts, visible.clone(), options, Some(plan), None);
    // (`run` hands back the plan it was given.)
    let Some(plan) = plan else { return (model, diags) };
    if !plan.whole_check() && (plan.next.spent || model.budget.exhausted()) {
        // The budget ran out: where it did depends on what ran before.
        let (model, diags, plan) = run(files, asts, visible, options, Some(reuse::Plan::whole(Fallback::Budget)), None);
        if let Some(plan) = plan {
            plan.finish(&model, reuse);
        }
        return (model, diags);
    }
    plan.finish(&model, reuse);
    (model, diags)
}

/// The checker's passes in order; with a plan, the editor's units are
/// replayed or recorded ([`reuse`]); each declaration's id handed to
/// `attrs_checked` once its attributes are ([`check_observing`]).
fn run(
    files: &Files,
    asts: &[ast::File],
    visible: Vec<Vec<FileId>>,
    options: Options,
    plan: Option<reuse::Plan>,
    mut attrs_checked: Option<&mut AttrsChecked<'_>>,
) -> (Model, Vec<Diagnostic>, Option<reuse::Plan>) {
    let mut cx = Checker {
        references: options.references,
        files,
        model: Model::default(),
        diags: Vec::new(),
        ast_decls: Vec::new(),
        budget_reported: false,
        broken_extends: Vec::new(),
        plan,
    };
    cx.model.visible = visible;
    let (decls, gates) = collect::count(asts);
    cx.model.decls.reserve_exact(decls);
    cx.ast_decls.reserve_exact(decls);
    cx.model.gates.reserve_exact(gates);
    for (i, file) in asts.iter().enumerate() {
        cx.collect(FileId(i as u32), file);
    }
    cx.build_scopes();
    if let Some(mut plan) = cx.plan.take() {
        plan.decide(&cx, asts);
        cx.plan = Some(plan);
    }
    // The evaluation budget grows with the project (see `interp::step_limit`).
    cx.model.budget.reset(interp::step_limit(&cx.model, interp::MAX_EVAL_STEPS));
    cx.check_lets();
    for i in 0..cx.model.decls.len() {
        cx.decl_attrs_unit(DeclId(i as u32));
        if let Some(observe) = attrs_checked.as_mut() {
            observe(&cx.model, DeclId(i as u32));
        }
    }
    cx.check_bounds();
    families::expand(&mut cx.model);
    cx.recompute_model_lets();
    cx.model.compute_stage_order();
    cx.check_gates();
    let mut gates_from: HashMap<DeclId, Vec<GateId>> = HashMap::new();
    for (i, g) in cx.model.gates.iter().enumerate() {
        if let (None, Some(from)) = (g.owner, g.from) {
            gates_from.entry(from).or_default().push(GateId::new(i));
        }
    }
    cx.model.gates_from = gates_from;
    cx.check_policies();
    for (i, file) in asts.iter().enumerate() {
        cx.check_tests(FileId(i as u32), file);
    }
    extend::conflicts(&cx.model, &mut cx.diags);
    cx.model.scoped = cx
        .model
        .references
        .iter()
        .filter_map(|r| match &r.target {
            Target::Scoped(v) => Some((r.at, Value::clone(v))),
            _ => None,
        })
        .collect();
    if options.static_verdicts {
        reuse_units::evaluate_static(&cx.model, cx.files, cx.budget_reported, &mut cx.diags, cx.plan.as_mut());
    }
    cx.diags.extend(governance::ungoverned(&cx.model, cx.files, asts));
    (cx.model, cx.diags, cx.plan)
}

struct Checker<'a> {
    files: &'a Files,
    /// Whether every resolved name goes into `model.references` ([`Options`]).
    references: bool,
    model: Model,
    diags: Vec<Diagnostic>,
    /// The AST of each declaration, parallel to `model.decls`.
    ast_decls: Vec<&'a ast::Decl>,
    /// Whether the evaluation budget's `E0103` was reported (once a run).
    budget_reported: bool,
    /// `extend KIND` items that did not parse: an attribute of KIND no
    /// extension defines may be one of theirs, so it is not reported.
    broken_extends: Vec<(FileId, Kind)>,
    /// The editor's plan: which units are replayed from the last check,
    /// and the records of this one ([`reuse`]).
    plan: Option<reuse::Plan>,
}

impl Checker<'_> {
    /// Records resolved names: all of them when the editor's references are
    /// wanted, else only the scoped ones the evaluator reads.
    fn add_references(&mut self, refs: Vec<Reference>) {
        if self.references {
            self.model.references.extend(refs);
        } else {
            self.model.references.extend(refs.into_iter().filter(|r| matches!(r.target, Target::Scoped(_))));
        }
    }
}
