//! The editor's check, which reuses the last check's results for what an
//! edit cannot affect ([`check_reusing`](super::check_reusing)).
//!
//! Every check the editor runs records, per unit of work, what the unit
//! produced: a declaration's attributes (the attributes resolved, the
//! references and the diagnostics its attribute check made, the
//! evaluation steps it took), a policy evaluated on one subject, the
//! gates evaluated on one initiative. The next check compares the shape
//! of the workspace with the last one's (files, declarations with their
//! kinds, names, nesting and files, gates, policies, `let`s, built-ins,
//! what each file sees, the kinds of each file's top-level items). When
//! the shape is the same and the edit touches only the inside of
//! declarations, policies, gates and tests (no stage, role, KPI family,
//! derived KPI, import, `let`, `extend` or built-in), it re-checks the
//! declarations the edit touches and every declaration that refers to
//! them, directly or through others (the last check's references are the
//! dependencies), and re-evaluates the policies and gates on those
//! subjects, the policies and gates the edit touches and those that name
//! an affected declaration; every other unit's record is replayed in the
//! order a full check makes it, its spans moved by the edit. The passes
//! that are cheap or read the whole workspace (collecting, scopes,
//! `let`s, bounds and derived KPIs, families, stage order, gate and
//! policy typing, tests, extension conflicts, governance) run whole.
//! A record that would point into the edited text is not replayed but
//! run again. Anything else, or an evaluation budget that ran out, falls
//! back to the whole check.
//! `tests/lsp_incremental.rs` holds the result to a full check's.

use std::collections::HashMap;

use super::{AttrVal, DeclId, GateId, Kind, Model, Symbol, Target};
use crate::syntax::ast;
use crate::text::{FileId, Files, Span};

pub(super) use super::reuse_units::{AttrUnit, EvalUnit};

/// What changed in one file since the last check: the bytes
/// `start..old_end` of its last text are `start..new_end` of its text now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// The file (as numbered in both checks: the files must be the same).
    pub file: FileId,
    /// The first byte that differs.
    pub start: u32,
    /// Where the unchanged tail starts in the last text.
    pub old_end: u32,
    /// Where the unchanged tail starts in the text now.
    pub new_end: u32,
}

/// Why a check ran whole instead of reusing the last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// Nothing recorded to reuse: the first check.
    First,
    /// The model records no references: they are the dependencies.
    NoReferences,
    /// A file was added or removed, or the files come in another order.
    Files,
    /// A declaration, gate, policy, `let` or built-in was added, removed
    /// or renamed, or changed kind, nesting or file; a top-level item
    /// changed kind; or what a file sees (its imports) changed.
    Shape,
    /// The edit touches an import, a `let`, an `extend`, a built-in or
    /// top-level text that does not parse.
    TopLevel,
    /// The edit touches a stage (the stage order) or a role (`executive`,
    /// which `c_suite` reads).
    StageOrRole,
    /// The edit touches a KPI family (`by`) or a derived KPI (`value`).
    FamilyOrDerived,
    /// A `let` names a declaration the edit can affect.
    LetReads,
    /// The evaluation budget ran out, in this check or the last.
    Budget,
}

/// What the last check did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReuseStats {
    /// Why it ran whole; `None` when it reused the check before it.
    pub fallback: Option<Fallback>,
    /// Declarations whose attributes are checked (every one written).
    pub decls: usize,
    /// Of them, those checked again (the rest replayed).
    pub decls_rechecked: usize,
    /// Static evaluations: a policy on one subject, or the gates of one
    /// initiative.
    pub evaluations: usize,
    /// Of them, those run again (the rest replayed).
    pub evaluations_rerun: usize,
}

/// What the editor keeps from one check to the next.
#[derive(Default)]
pub struct Reuse {
    pub(super) last: Option<Last>,
    pub(super) stats: ReuseStats,
}

impl Reuse {
    /// Nothing recorded yet.
    pub fn new() -> Reuse {
        Reuse::default()
    }

    /// What the last check did.
    pub fn stats(&self) -> ReuseStats {
        self.stats
    }

    /// Forgets the records (the next check runs whole).
    pub fn forget(&mut self) {
        self.last = None;
    }
}

/// The records of one check.
#[derive(Default)]
pub(super) struct Last {
    pub(super) shape: Shape,
    /// Per declaration written (families' members excluded).
    pub(super) attrs: Vec<Option<AttrUnit>>,
    pub(super) policy_units: HashMap<(usize, DeclId), EvalUnit>,
    pub(super) gate_units: HashMap<DeclId, EvalUnit>,
    /// Every reference to a declaration: where it is written, what it names.
    pub(super) edges: Vec<(FileId, u32, DeclId)>,
    /// Whether the evaluation budget ran out.
    pub(super) spent: bool,
}

/// The shape of the workspace: what must not change for a check to be
/// reused, and where things were (spans of the check that recorded it).
#[derive(Default)]
pub(super) struct Shape {
    paths: Vec<String>,
    visible: Vec<Vec<FileId>>,
    decls: Vec<(Kind, String, FileId, Option<DeclId>, Vec<DeclId>, Vec<GateId>)>,
    decl_spans: Vec<Span>,
    gates: Vec<(FileId, Option<DeclId>, String, String)>,
    gate_spans: Vec<Span>,
    policies: Vec<(FileId, String, Option<Kind>)>,
    policy_spans: Vec<Span>,
    lets: Vec<(FileId, String)>,
    let_spans: Vec<Span>,
    builtins: Vec<String>,
    extensions: usize,
    items: Vec<Vec<u8>>,
    item_spans: Vec<Vec<Span>>,
    /// `extend` items that did not parse (unknown attributes of their
    /// kind are not reported).
    broken_extends: Vec<(FileId, Kind)>,
}

impl Shape {
    /// The shape of `model` as collected (before families are expanded).
    fn of(model: &Model, files: &Files, asts: &[ast::File], broken_extends: &[(FileId, Kind)]) -> Shape {
        Shape {
            paths: files.iter().map(|(_, f)| f.path.clone()).collect(),
            visible: model.visible.clone(),
            decls: model
                .decls
                .iter()
                .map(|d| (d.kind, d.name.clone(), d.file, d.parent, d.children.clone(), d.gates.clone()))
                .collect(),
            decl_spans: model.decls.iter().map(|d| d.span).collect(),
            gates: model.gates.iter().map(|g| (g.file, g.owner, g.from_name.clone(), g.to_name.clone())).collect(),
            gate_spans: model.gates.iter().map(|g| g.span).collect(),
            policies: model.policies.iter().map(|p| (p.file, p.name.clone(), p.subject)).collect(),
            policy_spans: model.policies.iter().map(|p| p.span).collect(),
            lets: model.lets.iter().map(|l| (l.file, l.name.clone())).collect(),
            let_spans: model.lets.iter().map(|l| l.expr.span).collect(),
            builtins: model.builtins.iter().map(|b| b.name.clone()).collect(),
            extensions: model.extensions.len(),
            items: asts.iter().map(|a| a.items.iter().map(item_kind).collect()).collect(),
            item_spans: asts.iter().map(|a| a.items.iter().map(item_span).collect()).collect(),
            broken_extends: broken_extends.to_vec(),
        }
    }

    fn same(&self, other: &Shape) -> bool {
        self.visible == other.visible
            && self.decls == other.decls
            && self.gates == other.gates
            && self.policies == other.policies
            && self.lets == other.lets
            && self.builtins == other.builtins
            && self.extensions == other.extensions
            && self.items == other.items
            && self.broken_extends == other.broken_extends
    }
}

fn item_kind(item: &ast::Item) -> u8 {
    match item {
        ast::Item::Import(_) => 0,
        ast::Item::Decl(_) => 1,
        ast::Item::Gate(_) => 2,
        ast::Item::Policy(_) => 3,
        ast::Item::Let(_) => 4,
        ast::Item::Builtin(_) => 5,
        ast::Item::Test(_) => 6,
        ast::Item::Extend(_) => 7,
        ast::Item::Error(_) => 8,
    }
}

fn item_span(item: &ast::Item) -> Span {
    match item {
        ast::Item::Import(i) => i.span,
        ast::Item::Decl(d) => d.span,
        ast::Item::Gate(g) => g.span,
        ast::Item::Policy(p) => p.span,
        ast::Item::Let(l) => l.span,
        ast::Item::Builtin(b) => b.span,
        ast::Item::Test(t) => t.span,
        ast::Item::Extend(x) => x.span,
        ast::Item::Error(s) => *s,
    }
}

/// One check's plan: whole (recording) or reusing `last`.
pub(super) struct Plan {
    pub(super) last: Option<Last>,
    pub(super) changes: Vec<Change>,
    pub(super) fallback: Option<Fallback>,
    /// Declarations checked again, by id (those written).
    pub(super) affected: Vec<bool>,
    /// Policies and gates evaluated again on every subject.
    pub(super) policies: Vec<bool>,
    pub(super) gates: Vec<bool>,
    /// The records being made.
    pub(super) next: Last,
    pub(super) stats: ReuseStats,
}

impl Plan {
    /// A plan reusing `last` (when there is one) across `changes`.
    pub(super) fn new(last: Option<Last>, changes: Vec<Change>, references: bool) -> Plan {
        let fallback = match (&last, references) {
            (_, false) => Some(Fallback::NoReferences),
            (None, _) => Some(Fallback::First),
            (Some(l), _) if l.spent => Some(Fallback::Budget),
            _ => None,
        };
        Plan {
            last,
            changes,
            fallback,
            affected: Vec::new(),
            policies: Vec::new(),
            gates: Vec::new(),
            next: Last::default(),
            stats: ReuseStats::default(),
        }
    }

    /// A plan that runs whole for `reason` and records.
    pub(super) fn whole(reason: Fallback) -> Plan {
        let mut plan = Plan::new(None, Vec::new(), true);
        plan.fallback = Some(reason);
        plan
    }

    /// Whether the check runs whole.
    pub(super) fn whole_check(&self) -> bool {
        self.fallback.is_some()
    }

    /// Decides, once the model is collected, what is checked again.
    pub(super) fn decide(&mut self, cx: &super::Checker, asts: &[ast::File]) {
        let (model, ast_decls) = (&cx.model, &cx.ast_decls[..]);
        self.next.shape = Shape::of(model, cx.files, asts, &cx.broken_extends);
        self.next.attrs = (0..model.decls.len()).map(|_| None).collect();
        self.stats.decls = model.decls.len();
        if self.fallback.is_none() {
            if let Err(reason) = self.dirty(model, asts, ast_decls) {
                self.fallback = Some(reason);
            }
        }
        if self.fallback.is_some() {
            self.last = None;
        }
    }

    /// Marks what the edit touches and what reads it; the reason to run
    /// whole instead.
    fn dirty(&mut self, model: &Model, asts: &[ast::File], ast_decls: &[&ast::Decl]) -> Result<(), Fallback> {
        let last = self.last.as_ref().ok_or(Fallback::First)?;
        if last.shape.paths != self.next.shape.paths {
            return Err(Fallback::Files);
        }
        if !last.shape.same(&self.next.shape) {
            return Err(Fallback::Shape);
        }
        self.affected = vec![false; model.decls.len()];
        self.policies = vec![false; model.policies.len()];
        self.gates = vec![false; model.gates.len()];
        let mut queue = Vec::new();
        for c in &self.changes {
            let touches = |s: Span| s.start <= c.new_end && s.end >= c.start;
            for item in asts[c.file.0 as usize].items.iter().filter(|i| touches(item_span(i))) {
                match item {
                    // A line that did not parse is read only for a broken
                    // `extend` (part of the shape).
                    ast::Item::Decl(_) | ast::Item::Test(_) | ast::Item::Error(_) => {}
                    ast::Item::Gate(g) => {
                        mark_by_span(&mut self.gates, model.gates.iter().map(|x| (x.file, x.span)), c.file, g.span)
                    }
                    ast::Item::Policy(p) => mark_by_span(
                        &mut self.policies,
                        model.policies.iter().map(|x| (x.file, x.span)),
                        c.file,
                        p.span,
                    ),
                    _ => return Err(Fallback::TopLevel),
                }
            }
            // Where the edit was, in the last check's spans: a declaration
            // whose end moved (an unclosed `{`) may hold the edit only there.
            let touched = |s: Span| s.start <= c.old_end && s.end >= c.start;
            let (kinds, spans) = (&last.shape.items[c.file.0 as usize], &last.shape.item_spans[c.file.0 as usize]);
            if kinds.iter().zip(spans).any(|(k, s)| !matches!(k, 1 | 2 | 3 | 6 | 8) && touched(*s)) {
                return Err(Fallback::TopLevel);
            }
            for (i, s) in last.shape.gate_spans.iter().enumerate() {
                self.gates[i] |= last.shape.gates[i].0 == c.file && touched(*s);
            }
            for (i, s) in last.shape.policy_spans.iter().enumerate() {
                self.policies[i] |= last.shape.policies[i].0 == c.file && touched(*s);
            }
            for (i, d) in model.decls.iter().enumerate() {
                if d.file == c.file && (touches(d.span) || touched(last.shape.decl_spans[i])) {
                    if matches!(d.kind, Kind::Stage | Kind::Role) {
                        return Err(Fallback::StageOrRole);
                    }
                    if family_or_derived(ast_decls[i], last.attrs.get(i).and_then(Option::as_ref)) {
                        return Err(Fallback::FamilyOrDerived);
                    }
                    queue.push(DeclId(i as u32));
                }
            }
        }
        self.readers(model, queue)
    }

    /// Marks `queue` and every declaration that reads one of them,
    /// through the last check's references; the gates and policies that
    /// name one of them.
    fn readers(&mut self, model: &Model, mut queue: Vec<DeclId>) -> Result<(), Fallback> {
        let last = self.last.as_ref().ok_or(Fallback::First)?;
        let readers = last.shape.readers(&last.edges);
        let mut at = 0;
        // Nested declarations go with their parent.
        while at < queue.len() {
            let id = queue[at];
            at += 1;
            if self.affected[id.0 as usize] {
                continue;
            }
            self.affected[id.0 as usize] = true;
            let d = model.decl(id);
            for g in &d.gates {
                self.gates[g.0 as usize] = true;
            }
            queue.extend(d.children.iter().copied().filter(|c| !self.affected[c.0 as usize]));
            if let Some(p) = d.parent.filter(|p| !self.affected[p.0 as usize]) {
                queue.push(p);
            }
            for r in readers.get(&id).into_iter().flatten() {
                match *r {
                    Reader::Decl(x) => queue.push(x),
                    Reader::Gate(g) => self.gates[g] = true,
                    Reader::Policy(p) => self.policies[p] = true,
                    Reader::Let => return Err(Fallback::LetReads),
                }
            }
        }
        Ok(())
    }

    /// Whether declaration `id`'s attribute check is replayed.
    pub(super) fn reuses_decl(&self, id: DeclId) -> bool {
        !self.whole_check() && !self.affected.get(id.0 as usize).copied().unwrap_or(true)
    }

    /// Whether the evaluation of policy `p` on `subject` is replayed.
    pub(super) fn reuses_policy_unit(&self, p: usize, subject: DeclId) -> bool {
        !self.whole_check()
            && !self.policies[p]
            && !self.affected.get(subject.0 as usize).copied().unwrap_or(true)
            && self.last.as_ref().is_some_and(|l| l.policy_units.get(&(p, subject)).is_some_and(|u| !u.consulted))
    }

    /// Whether the evaluation of the gates `gates` on `initiative` is replayed.
    pub(super) fn reuses_gate_unit(&self, initiative: DeclId, gates: &[GateId]) -> bool {
        !self.whole_check()
            && !self.affected.get(initiative.0 as usize).copied().unwrap_or(true)
            && gates.iter().all(|g| !self.gates[g.0 as usize])
            && self.last.as_ref().is_some_and(|l| l.gate_units.get(&initiative).is_some_and(|u| !u.consulted))
    }

    /// The records for the next check, from the finished model.
    pub(super) fn finish(mut self, model: &Model, reuse: &mut Reuse) {
        self.next.edges = model
            .references
            .iter()
            .filter_map(|r| match r.target {
                Target::Symbol(Symbol::Decl(id)) => Some((r.at.file, r.at.span.start, id)),
                _ => None,
            })
            .collect();
        self.next.spent = self.next.spent || model.budget.exhausted();
        if self.whole_check() {
            self.stats.decls_rechecked = self.stats.decls;
            self.stats.evaluations_rerun = self.stats.evaluations;
        }
        self.stats.fallback = self.fallback;
        reuse.stats = self.stats;
        reuse.last = Some(self.next);
    }
}

/// Marks the item of `spans` in `file` whose span is `span`.
fn mark_by_span(marks: &mut [bool], spans: impl Iterator<Item = (FileId, Span)>, file: FileId, span: Span) {
    for (i, (f, s)) in spans.enumerate() {
        if f == file && s == span {
            marks[i] = true;
        }
    }
}

/// Whether a declaration is, or was, a KPI family or a derived KPI.
fn family_or_derived(now: &ast::Decl, last: Option<&AttrUnit>) -> bool {
    let written =
        now.members.iter().any(|m| matches!(m, ast::Member::Attr(a) if a.name.name == "by" || a.name.name == "value"));
    written
        || last.is_some_and(|u| {
            u.attrs.iter().any(|a| {
                a.name == "by" || a.name == "value" || matches!(a.value, AttrVal::Derived(..) | AttrVal::Groups(_))
            })
        })
}

/// What holds a reference.
#[derive(Clone, Copy, Debug)]
enum Reader {
    Decl(DeclId),
    Gate(usize),
    Policy(usize),
    Let,
}

impl Shape {
    /// Who refers to each declaration: the top-level item around each
    /// reference (a declaration with what it nests, a gate, a policy, a
    /// `let`), in the spans of the check that recorded them.
    fn readers(&self, edges: &[(FileId, u32, DeclId)]) -> HashMap<DeclId, Vec<Reader>> {
        let mut items: Vec<Vec<(Span, Reader)>> = vec![Vec::new(); self.paths.len()];
        for (i, d) in self.decls.iter().enumerate() {
            if d.3.is_none() {
                items[d.2 .0 as usize].push((self.decl_spans[i], Reader::Decl(DeclId(i as u32))));
            }
        }
        for (i, g) in self.gates.iter().enumerate() {
            if g.1.is_none() {
                items[g.0 .0 as usize].push((self.gate_spans[i], Reader::Gate(i)));
            }
        }
        for (i, p) in self.policies.iter().enumerate() {
            items[p.0 .0 as usize].push((self.policy_spans[i], Reader::Policy(i)));
        }
        for (i, l) in self.lets.iter().enumerate() {
            items[l.0 .0 as usize].push((self.let_spans[i], Reader::Let));
        }
        for v in &mut items {
            v.sort_by_key(|(s, _)| (s.start, s.end));
        }
        let mut out: HashMap<DeclId, Vec<Reader>> = HashMap::new();
        for &(file, pos, target) in edges {
            let Some(v) = items.get(file.0 as usize) else { continue };
            let i = v.partition_point(|(s, _)| s.start <= pos);
            if i == 0 {
                continue;
            }
            let (s, r) = v[i - 1];
            if pos < s.end {
                out.entry(target).or_default().push(r);
            }
        }
        out
    }
}
