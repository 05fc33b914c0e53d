//! What the interpreter reads of the organisation's own vocabulary: names
//! the checker read in a comparison's scope (`kind == llm`), extended
//! attributes (`E0422` where no extension adds them), the evidence that
//! exists at `today`, and the executive roles (`c_suite`).

use super::super::{DeclId, Model};
use super::{Env, Kind, Undecided, Value, NANOS_PER_SEC};
use crate::diag::Code;
use crate::syntax::ast::Ident;
use crate::text::FileSpan;

/// A name the checker read in the scope of a comparison's other side
/// (`kind == llm`, see [`super::Target::Scoped`]).
pub(super) fn scoped(env: &Env, span: crate::text::Span) -> Option<Value> {
    if env.model.scoped.is_empty() {
        return None;
    }
    env.model.scoped.get(&FileSpan::new(env.file, span)).cloned()
}

/// `E0422` when `field` is an extended attribute (as the reading file sees
/// it) and no extension adding it applies to declaration `id`.
pub(super) fn applies(env: &Env, id: DeclId, field: &Ident) -> Result<(), Undecided> {
    let d = env.model.decl(id);
    if env.model.extensions.is_empty()
        || d.kind.attr(&field.name).is_some()
        || d.kind.derived().iter().any(|(n, _)| *n == field.name)
        || env.model.ext_attr_in(d.file, d.kind, &field.name).is_some()
        || env.model.ext_attr_in(env.file, d.kind, &field.name).is_none()
    {
        return Ok(());
    }
    Err(Undecided::Mistake {
        code: Code::NotExtended,
        at: FileSpan::new(env.file, field.span),
        reason: format!(
            "`{}` is an attribute an extension adds, and no extension adding it applies to `{}` \
             (its file does not see one)",
            field.name, d.name
        ),
    })
}

/// Every role declared with `executive true`, in declaration order: what
/// `c_suite` is, so `r in c_suite` holds exactly when `r.executive` does.
pub fn executive_roles(model: &Model) -> Value {
    Value::List(
        model
            .decls
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == Kind::Role && d.value("executive") == Some(&Value::Bool(true)))
            .map(|(i, _)| Value::Decl(DeclId(i as u32)))
            .collect(),
    )
}

/// The evidence that exists at `today`: dated (`on`) no later than it.
/// Without a clock only an empty list is decided. Evidence whose date did
/// not check is never seen (fail closed).
pub(super) fn seen_evidence(env: &Env, items: Vec<DeclId>) -> Result<Value, Undecided> {
    if items.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    let today = env.clock("today")?.div_euclid(NANOS_PER_SEC * 86_400);
    Ok(Value::List(
        items
            .into_iter()
            .filter(|e| matches!(env.model.decl(*e).value("on"), Some(Value::Date(d)) if *d <= today))
            .map(Value::Decl)
            .collect(),
    ))
}
