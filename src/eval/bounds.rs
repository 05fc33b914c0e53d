//! `target` and `warn` bounds that are expressions
//! (`target >= avg(auc, 30d, offset 30d) - 0.01`): computed once per
//! evaluation, at `now`, with the same metrics, and shown in the KPI's
//! reasons (`misses `>= 0.85` (the target `avg(...) - 0.01` at now)`).
//! A bound that cannot be computed makes the KPI `unknown`; one that reads
//! its own KPI's status is unknown too (it would decide itself).

use crate::eval::fast_hash::FastMap;
use std::cell::{Cell, RefCell};

use super::{KpiInfo, StoreMetrics};
use crate::check::interp::{self, Env, Undecided};
use crate::check::value::Value;
use crate::check::{AttrVal, DeclId};
use crate::syntax::ast::CmpOp;

type Bounds = (Option<(CmpOp, Value)>, Option<(CmpOp, Value)>);

/// The bounds computed so far, and those being computed.
#[derive(Default)]
pub(super) struct Cache {
    done: RefCell<FastMap<DeclId, Result<Bounds, String>>>,
    busy: RefCell<Vec<DeclId>>,
}

impl Cache {
    pub(super) fn clear(&self) {
        self.done.borrow_mut().clear();
    }
}

impl<'a> StoreMetrics<'a> {
    /// `k` with its computed bounds filled in (unchanged when it has none).
    pub(super) fn with_bounds(&self, kpi: DeclId, mut k: KpiInfo<'a>) -> Result<KpiInfo<'a>, String> {
        if !k.computed {
            return Ok(k);
        }
        let cached = self.bounds.done.borrow().get(&kpi).cloned();
        let (target, warn) = match cached {
            Some(r) => r?,
            None => {
                if self.bounds.busy.borrow().contains(&kpi) {
                    return Err(format!("the bound of `{}` reads the KPI's own status", k.name));
                }
                self.bounds.busy.borrow_mut().push(kpi);
                let r = self.compute(kpi);
                self.bounds.busy.borrow_mut().retain(|x| *x != kpi);
                self.bounds.done.borrow_mut().insert(kpi, r.clone());
                r?
            }
        };
        if target.is_some() {
            k.target = target;
        }
        if warn.is_some() {
            k.warn = warn;
        }
        Ok(k)
    }

    fn compute(&self, kpi: DeclId) -> Result<Bounds, String> {
        let d = self.model.decl(kpi);
        let env = Env {
            model: self.model,
            file: d.file,
            subject: None,
            now: Some(self.now),
            metrics: Some(self),
            at_risk: Cell::new(false),
            let_depth: Cell::new(0),
            budget: &self.budget,
            touched: Cell::new(false),
        };
        let one = |attr: &str| -> Result<Option<(CmpOp, Value)>, String> {
            let Some(AttrVal::Bound(op, e, _)) = d.attr(attr).map(|a| &a.value) else { return Ok(None) };
            match interp::eval(&env, e) {
                Ok(v @ (Value::Num(_) | Value::Dur(_) | Value::Money(..))) => Ok(Some((*op, v))),
                Ok(Value::Decl(k)) => match self.latest_finding(k).result {
                    Ok(v) => Ok(Some((*op, v))),
                    Err(r) => Err(format!("the `{attr}` bound of `{}` is unknown: {r}", d.name)),
                },
                Ok(other) => Err(format!("the `{attr}` bound of `{}` is `{other}`, not a number", d.name)),
                Err(Undecided::Unknown(r)) | Err(Undecided::TypeError(r)) => {
                    Err(format!("the `{attr}` bound of `{}` is unknown: {r}", d.name))
                }
                Err(u) => Err(format!("the `{attr}` bound of `{}` is unknown: {u:?}", d.name)),
            }
        };
        Ok((one("target")?, one("warn")?))
    }
}
