//! The gate an advanced initiative crosses, judged against metrics.
//!
//! The initiative is judged with the change's facts as if it were still at
//! its old stage, twice: under the change's gates, and under the base's
//! gates for that transition (so a pull request cannot loosen the gate it
//! crosses). The worse outcome counts, and it blocks like a gate asked
//! with `compel eval --ready`: `fail` or `unknown` blocks.
//!
//! The base's criteria are evaluated in the change's model, in the scope
//! of the initiative's file: a name the change removed is unknown there,
//! which blocks (fail closed). Their text and positions are the base's, and
//! so are the targets and measures of the KPIs they read (a change that
//! loosens `target >= 92%` to `>= 90%` does not loosen the base's gate).

use std::collections::HashMap;

use super::{Diff, Side, What};
use crate::check::value::Value;
use crate::check::{AttrVal, DeclId, GateDef, Kind, Model};
use crate::eval::evaluate::evaluate_initiative;
use crate::eval::metrics::MetricStore;
use crate::eval::report::{CriterionReport, GateReport, InitiativeReport};
use crate::eval::{EvalOptions, Outcome};
use crate::stdlib;
use crate::text::{FileId, Files, SourceFile};

/// The gate an advanced initiative crossed, decided both ways.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Judgement {
    /// The stage left.
    pub from: String,
    /// The stage entered.
    pub to: String,
    /// The worse of the two runs: what counts.
    pub outcome: Outcome,
    /// Under the change's gates.
    pub change_gates: GateRun,
    /// Under the base's gates.
    pub base_gates: GateRun,
}

/// One run of the gate.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GateRun {
    /// The worst of its criteria (`pass` when no gate guards the
    /// transition).
    pub outcome: Outcome,
    /// The decision in a sentence.
    pub reason: String,
    /// Every criterion with its outcome, reason and `because`.
    pub criteria: Vec<CriterionReport>,
}

impl GateRun {
    fn of(report: &InitiativeReport, to: &str) -> GateRun {
        match report.gates.iter().find(|g| g.to == to) {
            Some(GateReport { outcome, reason, criteria, .. }) => {
                GateRun { outcome: *outcome, reason: reason.clone(), criteria: criteria.clone() }
            }
            None => GateRun {
                outcome: Outcome::Pass,
                reason: "no gate guards this transition".to_string(),
                criteria: Vec::new(),
            },
        }
    }

    fn unknown(reason: String) -> GateRun {
        GateRun { outcome: Outcome::Unknown, reason, criteria: Vec::new() }
    }
}

fn user_initiative(side: &Side, name: &str) -> Option<DeclId> {
    let model = side.model();
    model
        .decls
        .iter()
        .position(|d| {
            d.kind == Kind::Initiative
                && d.parent.is_none()
                && d.name == name
                && !stdlib::is_std_path(&side.analysis.files.get(d.file).path)
        })
        .map(|i| DeclId(i as u32))
}

fn stage_id(model: &Model, name: &str) -> Option<DeclId> {
    model.stages().iter().copied().find(|s| model.decl(*s).name == name)
}

/// An advanced initiative ready to judge (its id in the change, the base's
/// gates injected for it), or why it cannot be judged.
type Plan = Result<(DeclId, Vec<usize>), String>;

/// What decides a KPI's status, taken from the base's KPI of the same
/// name: under the base's gates the base's targets count too, so a change
/// cannot loosen a KPI its gate requires.
const KPI_ATTRS: &[&str] = &["target", "warn", "max_age", "metric", "labels", "unit", "query"];

fn base_kpis(model: &mut Model, base: &Side) {
    let bm = base.model();
    let by_name: HashMap<&str, &crate::check::Decl> = bm
        .decls
        .iter()
        .filter(|d| {
            d.kind == Kind::Kpi && d.parent.is_none() && !stdlib::is_std_path(&base.analysis.files.get(d.file).path)
        })
        .map(|d| (d.name.as_str(), d))
        .collect();
    for d in model.decls.iter_mut().filter(|d| d.kind == Kind::Kpi && d.parent.is_none()) {
        let Some(old) = by_name.get(d.name.as_str()) else { continue };
        d.attrs.retain(|a| !KPI_ATTRS.contains(&a.name.as_str()));
        d.attrs.extend(old.attrs.iter().filter(|a| KPI_ATTRS.contains(&a.name.as_str())).cloned());
    }
}

/// Judges every advanced stage of `diff` at `opts.now` against `store`;
/// a gate that blocks makes its change block.
pub fn judge(diff: &mut Diff, base: &Side, change: &Side, store: &MetricStore, opts: &EvalOptions) {
    let advanced: Vec<usize> = diff.advanced().map(|(i, _)| i).collect();
    if advanced.is_empty() {
        return;
    }
    let mut model = change.model().clone();
    let mut files: Files = change.analysis.files.clone();
    let top: Vec<crate::check::GateId> =
        (0..model.gates.len()).filter(|g| model.gates[*g].owner.is_none()).map(crate::check::GateId::new).collect();
    // (index of the change, initiative in the change, the base's gates
    // injected for it) or why it cannot be judged.
    let mut plans: Vec<(usize, Plan)> = Vec::new();
    let mut copies: HashMap<(FileId, FileId), FileId> = HashMap::new();
    for &i in &advanced {
        let Some(adv) = diff.changes[i].advance.clone() else { continue };
        let plan = (|| {
            let c = user_initiative(change, &adv.name).ok_or("the initiative is not in the change")?;
            let b = user_initiative(base, &adv.name).ok_or("the initiative is not in the base")?;
            let old = stage_id(&model, &adv.from).ok_or("the change has no stage of that name")?;
            let init_file = model.decl(c).file;
            // As if at its old stage.
            for a in &mut model.decls[c.0 as usize].attrs {
                if a.name == "stage" {
                    a.value = AttrVal::Value(Value::Decl(old));
                }
            }
            let mut injected = Vec::new();
            for g in base.model().gates_for(b) {
                let bg = &base.model().gates[g];
                let file = *copies.entry((bg.file, init_file)).or_insert_with(|| {
                    let src = base.analysis.files.get(bg.file);
                    let id = files.add(SourceFile::new(format!("{} (base)", src.path), src.text.clone()));
                    let scope = model.scopes.get(init_file.0 as usize).cloned().unwrap_or_default();
                    let visible = model.visible.get(init_file.0 as usize).cloned().unwrap_or_default();
                    model.scopes.resize(id.0 as usize, HashMap::new());
                    model.scopes.push(scope);
                    model.visible.resize(id.0 as usize, Vec::new());
                    model.visible.push(visible);
                    id
                });
                let to = stage_id(&model, &bg.to_name)
                    .or_else(|| bg.to.and_then(|t| stage_id(&model, &base.model().decl(t).name)));
                model.gates.push(GateDef {
                    file,
                    from: Some(old),
                    to,
                    from_name: adv.from.clone(),
                    to_name: to.map_or_else(|| bg.to_name.clone(), |t| model.decl(t).name.clone()),
                    owner: Some(c),
                    criteria: bg.criteria.clone(),
                    span: bg.span,
                    doc: None,
                });
                injected.push(model.gates.len() - 1);
            }
            Ok::<_, &str>((c, injected))
        })();
        plans.push((i, plan.map_err(|e| e.to_string())));
    }
    // Under the change's gates, then under the base's.
    let mut runs: Vec<(usize, GateRun, GateRun)> = Vec::new();
    for (i, plan) in &plans {
        let Some(adv) = diff.changes[*i].advance.clone() else { continue };
        match plan {
            Ok((c, _)) => {
                let report = evaluate_initiative(&model, &files, store, opts, *c, &top);
                runs.push((*i, GateRun::of(&report, &adv.to), GateRun::unknown(String::new())));
            }
            Err(e) => runs.push((*i, GateRun::unknown(e.clone()), GateRun::unknown(e.clone()))),
        }
    }
    base_kpis(&mut model, base);
    for ((_, plan), run) in plans.iter().zip(&mut runs) {
        let Ok((c, injected)) = plan else { continue };
        let Some(adv) = diff.changes[run.0].advance.clone() else { continue };
        model.decls[c.0 as usize].gates = injected.iter().map(|g| crate::check::GateId::new(*g)).collect();
        let report = evaluate_initiative(&model, &files, store, opts, *c, &[]);
        run.2 = GateRun::of(&report, &adv.to);
    }
    for (i, under_change, under_base) in runs {
        let ch = &mut diff.changes[i];
        let Some(adv) = ch.advance.clone() else { continue };
        let outcome = under_change.outcome.worst(under_base.outcome);
        ch.blocks = outcome.blocks();
        debug_assert_eq!(ch.what, What::StageAdvanced);
        ch.gate =
            Some(Judgement { from: adv.from, to: adv.to, outcome, change_gates: under_change, base_gates: under_base });
    }
    diff.sort();
}
