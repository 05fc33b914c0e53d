//! `c_suite` is `executive_roles()`: the roles declared with `executive
//! true`. Attribute values may name lets, so lets are computed before the
//! attributes; a let that reads the roles' `executive` is computed again
//! once they are resolved.

use super::builtins;
use crate::syntax::ast::{Expr, ExprKind};

impl super::Checker<'_> {
    /// Lets that read the declarations' attributes (`executive_roles()`,
    /// what `c_suite` is) are computed again once the attributes are
    /// resolved: attribute values may name lets, so lets come first.
    pub(super) fn recompute_model_lets(&mut self) {
        // Twice over, in load order: a let naming `c_suite` sees its new
        // value whichever file was loaded first.
        let touched: Vec<bool> = self.model.lets.iter().map(|l| mentions_executive_roles(&l.expr)).collect();
        if !touched.contains(&true) {
            return;
        }
        for i in (0..self.model.lets.len()).chain(0..self.model.lets.len()) {
            if self.model.lets[i].value.is_none() && !touched[i] {
                continue;
            }
            let (file, expr) = (self.model.lets[i].file, self.model.lets[i].expr.clone());
            self.model.lets[i].value = self.const_value(file, &expr);
        }
    }
}

/// Whether an expression calls `executive_roles()` (reads the roles'
/// `executive` attribute).
fn mentions_executive_roles(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call(f, args) => {
            builtins::is(&f.name, builtins::Family::ExecutiveRoles) || args.iter().any(mentions_executive_roles)
        }
        ExprKind::List(items) => items.iter().any(mentions_executive_roles),
        ExprKind::Field(base, _) | ExprKind::Paren(base) | ExprKind::Offset(base) | ExprKind::Unary(_, base) => {
            mentions_executive_roles(base)
        }
        ExprKind::Quantifier { list, pred, .. } => mentions_executive_roles(list) || mentions_executive_roles(pred),
        ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => mentions_executive_roles(l) || mentions_executive_roles(r),
        _ => false,
    }
}
