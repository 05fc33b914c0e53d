//! KPI families in expressions: a family as a condition holds when every
//! member meets its target; as a value it is the list of its members'
//! values; a window of it (`avg(f, 7d)`) is the list of its members'
//! windows; `f for 7d` holds when it holds for every member.
//!
//! Three-valued as everywhere: one member that misses decides `false`;
//! otherwise a member that cannot be decided makes the result undecided;
//! a family with no member is `unknown`, never a vacuous pass.

use super::super::DeclId;
use super::{as_number, Env, KpiState, Undecided, Value};

/// The family's members, or `unknown` when it has none. Needs metrics:
/// members found in the data exist only at eval time.
pub(super) fn members(env: &Env, family: DeclId) -> Result<Vec<DeclId>, Undecided> {
    env.metered()?;
    let members = env.model.members(family);
    if members.is_empty() {
        let name = &env.model.decl(family).name;
        return Err(Undecided::Unknown(format!("the family `{name}` has no member: no group was found in the data")));
    }
    Ok(members)
}

/// Whether `id` is a family.
pub(super) fn is_family(env: &Env, v: &Value) -> Option<DeclId> {
    match v {
        Value::Decl(id) if env.model.is_family(*id) => Some(*id),
        _ => None,
    }
}

/// Every member's state, combined: missed if one misses, undecided if one
/// is (and none misses), at risk if one is, met otherwise.
pub(super) fn all_members(
    env: &Env,
    family: DeclId,
    state: &dyn Fn(DeclId) -> Result<KpiState, Undecided>,
) -> Result<KpiState, Undecided> {
    let mut undecided: Option<Undecided> = None;
    let mut at_risk = false;
    for m in members(env, family)? {
        match state(m) {
            Ok(KpiState::Missed) => return Ok(KpiState::Missed),
            Ok(KpiState::AtRisk) => at_risk = true,
            Ok(KpiState::Met) => {}
            Err(u) => {
                if undecided.is_none() {
                    undecided = Some(u);
                }
            }
        }
    }
    match undecided {
        Some(u) => Err(u),
        None if at_risk => Ok(KpiState::AtRisk),
        None => Ok(KpiState::Met),
    }
}

/// The family as a list of its members (as declarations, which read as
/// their values where a number is expected).
pub(super) fn as_list(env: &Env, family: DeclId) -> Result<Value, Undecided> {
    Ok(Value::List(members(env, family)?.into_iter().map(Value::Decl).collect()))
}

/// The list of the members' values, undecided when any member is.
pub(super) fn values(env: &Env, family: DeclId) -> Result<Value, Undecided> {
    per_member(env, family, &|m| as_number(env, Value::Decl(m)))
}

/// `f(member)` for every member, undecided when any is.
pub(super) fn per_member(
    env: &Env,
    family: DeclId,
    f: &dyn Fn(DeclId) -> Result<Value, Undecided>,
) -> Result<Value, Undecided> {
    let mut out = Vec::new();
    let mut undecided: Option<Undecided> = None;
    for m in members(env, family)? {
        match f(m) {
            Ok(v) => out.push(v),
            Err(u) => {
                if undecided.is_none() {
                    undecided = Some(u);
                }
            }
        }
    }
    match undecided {
        Some(u) => Err(u),
        None => Ok(Value::List(out)),
    }
}
