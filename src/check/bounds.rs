//! `target` and `warn` bounds that are expressions, decided by `eval` at
//! `now` (`target >= avg(auc, 30d, offset 30d) - 0.01`). They are typed
//! once every declaration's attributes are resolved (a bound may read a
//! KPI declared further down), and must have the KPI's dimension.

use super::{types, AttrVal, Checker, DeclId, Kind, Ty};

impl Checker<'_> {
    /// Types every computed bound and checks it against its KPI's unit.
    /// Derived KPIs first: a bound may read a derived KPI's unit.
    pub(super) fn check_bounds(&mut self) {
        self.check_derived();
        for i in 0..self.model.decls.len() {
            let id = DeclId(i as u32);
            let d = self.model.decl(id);
            if d.kind != Kind::Kpi || !d.attrs.iter().any(|a| matches!(a.value, AttrVal::Bound(..))) {
                continue;
            }
            let file = d.file;
            let mut attrs = Vec::clone(&d.attrs);
            for a in &mut attrs {
                if let AttrVal::Bound(_, e, ty) = &mut a.value {
                    let mut refs = Vec::new();
                    let t = types::TypeCx::new(&self.model, file, None, &mut self.diags, &mut refs).infer(e);
                    self.add_references(refs);
                    *ty = match t {
                        Ty::Decl(Kind::Kpi, Some(k)) if !self.model.is_family(k) => {
                            self.model.decl(k).measure_unit().ty()
                        }
                        t => t,
                    };
                }
            }
            let incomplete = self.model.decl(id).incomplete;
            self.check_kpi_units(file, &attrs, incomplete, true);
            self.model.decls[i].attrs = attrs.into();
        }
    }
}
