//! The criteria that govern one subject on each side, compared: the
//! policies it is subject to (its file sees the policy's, and it meets the
//! `where`), and for an initiative the gates of every transition that
//! apply to it (top-level gates its file sees, and its own).
//!
//! A policy or a set of gates compared once is remembered, so a change to
//! a policy that governs 10,000 subjects is compared once and reported
//! once, with its subjects.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::bounds::{self, Class};
use super::{q, Acc, Change, Location, Side, What};
use crate::check::interp::{self, Env};
use crate::check::{DeclId, Kind, Model, PolicyDef};
use crate::eval::evaluate::source_text;
use crate::syntax::ast::{BinOp, CmpOp, Criterion, Enforcement, Expr, ExprKind};
use crate::text::{FileId, Span};

/// Whether a policy governs a subject.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Applies {
    /// Its `where` holds (or it has none).
    Yes,
    /// Its `where` does not hold.
    No,
    /// Its `where` needs metrics or the clock: it may govern.
    Maybe,
}

impl Applies {
    fn governs(self) -> bool {
        self != Applies::No
    }
}

pub(super) struct Governance<'a> {
    base: &'a Side<'a>,
    change: &'a Side<'a>,
    policies: HashMap<(usize, usize), Rc<Vec<Change>>>,
    gates: HashMap<GatePair, Rc<Vec<Change>>>,
    /// The top-level gates of each side (base, change).
    top: (Vec<usize>, Vec<usize>),
}

/// The gates guarding one transition on each side.
type GatePair = (Vec<usize>, Vec<usize>);

/// The policies governing a subject: (key, policy index, applies).
type Governed = Vec<(String, usize, Applies)>;

impl<'a> Governance<'a> {
    pub(super) fn new(base: &'a Side<'a>, change: &'a Side<'a>) -> Governance<'a> {
        let top = |m: &Model| (0..m.gates.len()).filter(|g| m.gates[*g].owner.is_none()).collect();
        Governance {
            base,
            change,
            policies: HashMap::new(),
            gates: HashMap::new(),
            top: (top(base.model()), top(change.model())),
        }
    }

    /// Every `where` edited, shown once whatever subjects it moves (one
    /// that now holds for none still shows; the subjects it moves join
    /// it as they are compared).
    pub(super) fn wheres(&self, acc: &mut Acc) {
        let (base, change) = (self.base, self.change);
        for cp in &change.model().policies {
            if crate::stdlib::is_std_path(&change.analysis.files.get(cp.file).path) {
                continue;
            }
            let Some(bp) = base.model().policies.iter().find(|bp| bp.name == cp.name && bp.subject == cp.subject)
            else {
                continue;
            };
            let container = format!("policy `{}`", cp.name);
            if let Some(ch) = where_change(base, bp, change, cp, &container) {
                acc.add(&ch, None);
            }
        }
    }

    /// Compares what governs one subject (`b` in the base, `c` in the
    /// change) and adds the changes to `acc`.
    pub(super) fn subject(&mut self, kind: Kind, b: DeclId, c: DeclId, name: &str, acc: &mut Acc) {
        let (base, change) = (self.base, self.change);
        let old = governed(base, b, kind);
        let new = governed(change, c, kind);
        for (key, bi, ba) in &old {
            let found = new.iter().find(|(k, _, _)| k == key);
            match found {
                Some((_, ci, ca)) if ba.governs() && ca.governs() => {
                    let changes = self.policy(*bi, *ci);
                    for ch in changes.iter() {
                        acc.add(ch, Some(name));
                    }
                }
                Some((_, ci, _)) if ba.governs() => {
                    let p = &change.model().policies[*ci];
                    let at = p.filter.as_ref().and_then(|f| change.at(p.file, f.span));
                    let message = format!("policy `{key}` no longer governs: its `where` no longer holds");
                    acc.add(&Change::new(What::PolicyRemoved, Class::Looser, message).located(at), Some(name));
                }
                Some((_, ci, _)) if found.is_some_and(|f| f.2.governs()) => {
                    let p = &change.model().policies[*ci];
                    let at = p.filter.as_ref().and_then(|f| change.at(p.file, f.span));
                    let message = format!("policy `{key}` now governs: its `where` holds");
                    acc.add(&Change::new(What::PolicyAdded, Class::Stricter, message).located(at), Some(name));
                }
                Some(_) => {}
                None if ba.governs() => {
                    let ch = self.removed_policy(key, *bi, c);
                    acc.add(&ch, Some(name));
                }
                None => {}
            }
        }
        for (key, ci, ca) in &new {
            if !ca.governs() || old.iter().any(|(k, _, _)| k == key) {
                continue;
            }
            let p = &change.model().policies[*ci];
            let existed = base.model().policies.iter().any(|bp| bp.name == p.name && bp.subject == p.subject);
            let message = if existed {
                format!("policy `{key}` now governs (its file {} is now visible)", q(&change.rel(p.file)))
            } else {
                format!("policy `{key}` was added")
            };
            let at = change.at(p.file, p.name_span);
            let mut ch = Change::new(What::PolicyAdded, Class::Stricter, message).located(at);
            ch.because = p.criteria.first().and_then(|c| c.because.as_ref()).map(|b| b.value.clone());
            acc.add(&ch, Some(name));
        }
        if kind == Kind::Initiative {
            self.gates_of(b, c, name, acc);
        }
    }

    /// A policy that governed the subject and no longer does: removed, or
    /// no longer visible from the subject's file.
    fn removed_policy(&self, key: &str, bi: usize, c: DeclId) -> Change {
        let (base, change) = (self.base, self.change);
        let bp = &base.model().policies[bi];
        // Still there, but not seen: defined in the change, or in a stdlib
        // file nothing in the change loads any more (no longer imported).
        let bpath = base.rel(bp.file);
        let still = change.model().policies.iter().any(|p| p.name == bp.name && p.subject == bp.subject)
            || (crate::stdlib::is_std_path(&bpath) && change.analysis.files.find(&bpath).is_none());
        let mut ch = if still {
            let d = change.model().decl(c);
            let file = change.rel(d.file);
            let message = format!(
                "policy `{key}` (in {}) no longer governs the declarations of {}: the file no longer sees it \
                 (an import or a project policy set was dropped)",
                q(&base.rel(bp.file)),
                q(&file)
            );
            let at = change.at(d.file, Span::new(0, 0));
            Change::new(What::PolicyRemoved, Class::Looser, message).located(at)
        } else {
            Change::new(What::PolicyRemoved, Class::Looser, format!("policy `{key}` was removed"))
                .located(base.at_base(bp.file, bp.name_span))
        };
        ch.because = bp.criteria.first().and_then(|c| c.because.as_ref()).map(|b| b.value.clone());
        ch.old = Some(format!("policy {} for {}", bp.name, bp.subject.map_or("?", |k| k.as_str())));
        ch
    }

    /// The changes between two versions of one policy, computed once.
    fn policy(&mut self, bi: usize, ci: usize) -> Rc<Vec<Change>> {
        if let Some(c) = self.policies.get(&(bi, ci)) {
            return c.clone();
        }
        let (base, change) = (self.base, self.change);
        let (bp, cp) = (&base.model().policies[bi], &change.model().policies[ci]);
        let container = format!("policy `{}`", cp.name);
        let mut out = Vec::new();
        out.extend(where_change(base, bp, change, cp, &container));
        let old: Vec<(FileId, &Criterion)> = bp.criteria.iter().map(|c| (bp.file, c)).collect();
        let new: Vec<(FileId, &Criterion)> = cp.criteria.iter().map(|c| (cp.file, c)).collect();
        out.extend(compare_criteria(base, &old, change, &new, &container, change.at(cp.file, cp.name_span)));
        let out = Rc::new(out);
        self.policies.insert((bi, ci), out.clone());
        out
    }

    fn gates_of(&mut self, b: DeclId, c: DeclId, name: &str, acc: &mut Acc) {
        let (base, change) = (self.base, self.change);
        let old = transitions(base.model(), &self.top.0, b);
        let new = transitions(change.model(), &self.top.1, c);
        for ((from, to), bg) in &old {
            let gate = format!("gate `{from} -> {to}`");
            match new.get(&(from.clone(), to.clone())) {
                Some(cg) => {
                    let key = (bg.clone(), cg.clone());
                    let changes = match self.gates.get(&key) {
                        Some(ch) => ch.clone(),
                        None => {
                            let ch = Rc::new(self.gate_changes(bg, cg, &gate));
                            self.gates.insert(key, ch.clone());
                            ch
                        }
                    };
                    for ch in changes.iter() {
                        acc.add(ch, Some(name));
                    }
                }
                None => {
                    let message =
                        format!("{gate} no longer applies: every gate guarding it was removed or is no longer visible");
                    let g = &base.model().gates[bg[0]];
                    let mut ch =
                        Change::new(What::GateRemoved, Class::Looser, message).located(base.at_base(g.file, g.span));
                    ch.old = Some(format!("gate {from} -> {to}"));
                    ch.because = g.criteria.first().and_then(|c| c.because.as_ref()).map(|b| b.value.clone());
                    acc.add(&ch, Some(name));
                }
            }
        }
        for ((from, to), cg) in &new {
            if old.contains_key(&(from.clone(), to.clone())) {
                continue;
            }
            let g = &change.model().gates[cg[0]];
            let message = format!("gate `{from} -> {to}` now applies");
            let mut ch = Change::new(What::GateAdded, Class::Stricter, message).located(change.at(g.file, g.span));
            ch.new = Some(format!("gate {from} -> {to}"));
            acc.add(&ch, Some(name));
        }
    }

    fn gate_changes(&self, bg: &[usize], cg: &[usize], gate: &str) -> Vec<Change> {
        let (base, change) = (self.base, self.change);
        let crits = |m: &'a Model, gs: &[usize]| -> Vec<(FileId, &'a Criterion)> {
            gs.iter().flat_map(|g| m.gates[*g].criteria.iter().map(move |c| (m.gates[*g].file, c))).collect()
        };
        let old = crits(base.model(), bg);
        let new = crits(change.model(), cg);
        let fallback = cg.first().and_then(|g| {
            let g = &change.model().gates[*g];
            change.at(g.file, g.span)
        });
        compare_criteria(base, &old, change, &new, gate, fallback)
    }
}

/// The policies that may govern `subject` on `side`, keyed by name (by
/// name and file when two share a name).
fn governed(side: &Side, subject: DeclId, kind: Kind) -> Governed {
    let model = side.model();
    let d = model.decl(subject);
    let visible: Vec<usize> = model
        .policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.subject == Some(kind) && model.sees(d.file, p.file))
        .map(|(i, _)| i)
        .collect();
    visible
        .iter()
        .map(|&i| {
            let p = &model.policies[i];
            let shared = visible.iter().filter(|&&j| model.policies[j].name == p.name).count() > 1;
            let key = if shared { format!("{} ({})", p.name, side.rel(p.file)) } else { p.name.clone() };
            (key, i, applies(model, p, subject))
        })
        .collect()
}

fn applies(model: &Model, p: &PolicyDef, subject: DeclId) -> Applies {
    let Some(filter) = &p.filter else { return Applies::Yes };
    let env = Env { subject: Some(subject), ..Env::constant(model, p.file) };
    match interp::truth(&env, filter) {
        Ok(true) => Applies::Yes,
        Ok(false) => Applies::No,
        Err(_) => Applies::Maybe,
    }
}

/// Every transition an initiative's gates guard, with the gates (top-level
/// ones its file sees, then its own), by stage names.
fn transitions(model: &Model, top: &[usize], init: DeclId) -> BTreeMap<(String, String), Vec<usize>> {
    let d = model.decl(init);
    let mut out: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    let top = top.iter().map(|i| (*i, &model.gates[*i])).filter(|(_, g)| model.sees(d.file, g.file));
    let own = d.gates.iter().map(|i| (i.index(), &model.gates[*i]));
    for (i, g) in top.chain(own) {
        let from = g.from.map_or_else(|| g.from_name.clone(), |s| model.decl(s).name.clone());
        let to = g.to.map_or_else(|| g.to_name.clone(), |s| model.decl(s).name.clone());
        out.entry((from, to)).or_default().push(i);
    }
    out
}

/// `x == v` or `x in [v, w]`: the text of `x` and the values it may take
/// (`v == x` too), so two `where`s on one name compare as sets: a larger
/// set holds more often.
fn membership(side: &Side, file: FileId, e: &Expr) -> Option<(String, std::collections::BTreeSet<String>)> {
    let text = |e: &Expr| source_text(&side.analysis.files.get(file).text, e);
    let inner = |e: &Expr| -> Expr {
        let mut e = e.clone();
        while let ExprKind::Paren(x) = e.kind {
            e = *x;
        }
        e
    };
    match inner(e).kind {
        ExprKind::Binary(BinOp::Cmp(CmpOp::Eq), l, r) => {
            let (l, r) = (inner(&l), inner(&r));
            let name = |x: &Expr| matches!(x.kind, ExprKind::Name(_) | ExprKind::Field(..));
            if name(&l) {
                Some((text(&l), [text(&r)].into()))
            } else if name(&r) {
                Some((text(&r), [text(&l)].into()))
            } else {
                None
            }
        }
        ExprKind::Binary(BinOp::In, l, r) => match inner(&r).kind {
            ExprKind::List(items) => Some((text(&inner(&l)), items.iter().map(text).collect())),
            _ => None,
        },
        _ => None,
    }
}

fn where_change(base: &Side, bp: &PolicyDef, change: &Side, cp: &PolicyDef, container: &str) -> Option<Change> {
    let text =
        |side: &Side, p: &PolicyDef| p.filter.as_ref().map(|f| source_text(&side.analysis.files.get(p.file).text, f));
    let (old, new) = (text(base, bp), text(change, cp));
    if old == new {
        return None;
    }
    let class = match (&bp.filter, &cp.filter) {
        (Some(a), Some(b)) if membership(base, bp.file, a).is_some() && membership(change, cp.file, b).is_some() => {
            match (membership(base, bp.file, a), membership(change, cp.file, b)) {
                (Some((x, old)), Some((y, new))) if x == y => {
                    if old == new {
                        Class::Same
                    } else if old.is_subset(&new) {
                        Class::Stricter
                    } else if new.is_subset(&old) {
                        Class::Looser
                    } else {
                        Class::Changed
                    }
                }
                _ => Class::Changed,
            }
        }
        // A `where` that holds more often governs more subjects: stricter.
        (Some(a), Some(b))
            if bounds::shape(a, &base.analysis.files.get(bp.file).text)
                == bounds::shape(b, &change.analysis.files.get(cp.file).text) =>
        {
            match bounds::compare_exprs(a, b) {
                Class::Stricter => Class::Looser,
                Class::Looser => Class::Stricter,
                c => c,
            }
        }
        (Some(_), None) => Class::Stricter,
        (None, Some(_)) => Class::Looser,
        _ => Class::Changed,
    };
    let show = |t: &Option<String>| t.as_ref().map_or("no `where`".to_string(), |t| q(&format!("where {t}")));
    let message = format!("{container}: {} became {}", show(&old), show(&new));
    let at = cp.filter.as_ref().map_or(cp.name_span, |f| f.span);
    Some(Change::new(What::WhereChanged, class, message).texts(old, new).located(change.at(cp.file, at)))
}

/// One criterion with what its text needs.
struct Crit<'c> {
    file: FileId,
    c: &'c Criterion,
    text: String,
}

fn crits<'c>(side: &Side, list: &[(FileId, &'c Criterion)]) -> Vec<Crit<'c>> {
    list.iter()
        .map(|(f, c)| Crit { file: *f, c, text: source_text(&side.analysis.files.get(*f).text, &c.expr) })
        .collect()
}

fn rank(e: Enforcement) -> u8 {
    match e {
        Enforcement::Require => 2,
        Enforcement::Expect => 1,
        Enforcement::Advise => 0,
    }
}

/// Compares two lists of criteria: identical conditions are paired first,
/// then conditions of one shape (literals and comparisons aside) in order;
/// what is left was removed or added.
fn compare_criteria(
    base: &Side,
    old: &[(FileId, &Criterion)],
    change: &Side,
    new: &[(FileId, &Criterion)],
    container: &str,
    fallback: Option<Location>,
) -> Vec<Change> {
    let (old, new) = (crits(base, old), crits(change, new));
    let (pairs, removed, used) = pair(base, &old, change, &new);
    let full = |c: &Crit| format!("{} {}", c.c.enforcement.as_str(), c.text);
    let because = |c: &Crit| c.c.because.as_ref().map(|b| b.value.clone());
    let mut out = Vec::new();
    for (i, j, same_shape) in pairs {
        let (o, n) = (&old[i], &new[j]);
        let bound = match (o.text == n.text, same_shape) {
            (true, _) => Class::Same,
            (false, true) => bounds::compare_exprs(&o.c.expr, &n.c.expr),
            (false, false) => Class::Changed,
        };
        let enforcement = match rank(n.c.enforcement).cmp(&rank(o.c.enforcement)) {
            std::cmp::Ordering::Less => Class::Looser,
            std::cmp::Ordering::Greater => Class::Stricter,
            std::cmp::Ordering::Equal => Class::Same,
        };
        if o.text == n.text && enforcement == Class::Same {
            continue;
        }
        let what = if o.text == n.text { What::Enforcement } else { What::Threshold };
        let message = format!("{container}: {} became {}", q(&full(o)), q(&full(n)));
        let mut ch = Change::new(what, bound.and(enforcement), message)
            .texts(Some(full(o)), Some(full(n)))
            .located(change.at(n.file, n.c.span));
        ch.because = because(n).or_else(|| because(o));
        out.push(ch);
    }
    for i in removed {
        let o = &old[i];
        let message = format!("{container}: {} was removed", q(&full(o)));
        let mut ch = Change::new(What::CriterionRemoved, Class::Looser, message)
            .texts(Some(full(o)), None)
            .located(fallback.clone());
        ch.because = because(o);
        out.push(ch);
    }
    for n in new.iter().enumerate().filter(|(j, _)| !used[*j]).map(|(_, n)| n) {
        let message = format!("{container}: {} was added", q(&full(n)));
        let mut ch = Change::new(What::CriterionAdded, Class::Stricter, message)
            .texts(None, Some(full(n)))
            .located(change.at(n.file, n.c.span));
        ch.because = because(n);
        out.push(ch);
    }
    out
}

/// Paired (old, new, of one shape), the old left unpaired, the new used.
type Pairing = (Vec<(usize, usize, bool)>, Vec<usize>, Vec<bool>);

/// Pairs old and new criteria: identical conditions first, then one shape
/// (`true`: comparable literal by literal), then one compared side (a
/// bound that became an expression: `false`). Also the old criteria left
/// (removed) and which new ones were paired.
fn pair(base: &Side, old: &[Crit], change: &Side, new: &[Crit]) -> Pairing {
    let mut used = vec![false; new.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    for (i, o) in old.iter().enumerate() {
        match new.iter().enumerate().position(|(j, n)| !used[j] && n.text == o.text) {
            Some(j) => {
                used[j] = true;
                pairs.push((i, j));
            }
            None => rest.push(i),
        }
    }
    let shape = |side: &Side, c: &Crit| bounds::shape(&c.c.expr, &side.analysis.files.get(c.file).text);
    let new_shapes: Vec<String> = new.iter().map(|n| shape(change, n)).collect();
    let mut unpaired = Vec::new();
    for i in rest {
        let s = shape(base, &old[i]);
        match (0..new.len()).find(|&j| !used[j] && new_shapes[j] == s) {
            Some(j) => {
                used[j] = true;
                pairs.push((i, j));
            }
            None => unpaired.push(i),
        }
    }
    // A comparison whose bound became an expression (or the reverse):
    // the same condition on one side, a bound not comparable: changed.
    let mut reshaped: Vec<(usize, usize)> = Vec::new();
    let mut removed = Vec::new();
    for i in unpaired {
        let side = |c: &Crit, text: &str| bounds::compared(&c.c.expr).map(|e| source_text(text, e));
        let o = side(&old[i], &base.analysis.files.get(old[i].file).text);
        let found = o.as_ref().and_then(|o| {
            (0..new.len())
                .find(|&j| !used[j] && side(&new[j], &change.analysis.files.get(new[j].file).text).as_ref() == Some(o))
        });
        match found {
            Some(j) => {
                used[j] = true;
                reshaped.push((i, j));
            }
            None => removed.push(i),
        }
    }
    let mut pairs: Vec<(usize, usize, bool)> =
        pairs.into_iter().map(|(i, j)| (i, j, true)).chain(reshaped.into_iter().map(|(i, j)| (i, j, false))).collect();
    pairs.sort();
    (pairs, removed, used)
}
