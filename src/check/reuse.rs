//! The editor's check, which reuses the last check's results for what an
//! edit cannot affect ([`check_reusing`](super::check_reusing)).
//!
//! Every check the editor runs records, per unit of work, what the unit
//! produced: a declaration's attributes (the attributes resolved, the
//! references and the diagnostics its attribute check made, the
//! evaluation steps it took), a gate's check (its stages resolved, its
//! transition and criteria), a policy evaluated on one subject, the
//! gates evaluated on one initiative. The next check compares the shape
//! of the workspace with the last one's (files, declarations with their
//! kinds, names, nesting and files, gates, policies, `let`s, built-ins,
//! what each file sees, the kinds of each file's top-level items). When
//! the shape is the same and the edit touches only the inside of
//! declarations, policies, gates and tests (no stage, role, KPI family,
//! derived KPI, import, `let`, `extend` or built-in), it re-checks the
//! declarations the edit touches and every declaration that refers to
//! them, directly or through others (the last check's references are the
//! dependencies), checks again the gates the edit touches, those that
//! name an affected declaration and those of affected initiatives, and
//! re-evaluates the policies and gates on affected subjects and the
//! policies and gates the edit touches or that name an affected
//! declaration; every other unit's record is replayed in the order a full
//! check makes it, its spans moved by the edit. The passes that are cheap
//! or read the whole workspace (collecting, scopes, `let`s, bounds and
//! derived KPIs, families, stage order, policy typing, tests, extension
//! conflicts, governance) run whole.
//! A record that would point into the edited text is not replayed but
//! run again. Anything else, or an evaluation budget that ran out, falls
//! back to the whole check.
//! `tests/lsp_incremental.rs` holds the result to a full check's.

use super::{AttrVal, DeclId, GateId, Kind, Model};
use crate::syntax::ast;
use crate::text::{FileId, Span};

pub(super) use super::reuse_shape::{item_span, Reader, Shape};
pub(super) use super::reuse_units::{AttrUnit, EvalUnit, GateUnit};

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
    /// Nothing recorded to reuse: the first check (or the first since the
    /// host forgot the records, as the language server does when its
    /// settings change).
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
    /// Gates whose stages are resolved and criteria typed.
    pub gates: usize,
    /// Of them, those checked again (the rest replayed).
    pub gates_rechecked: usize,
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
    /// Per gate.
    pub(super) gates: Vec<Option<GateUnit>>,
    /// The static evaluations in the order they ran (the same order in
    /// every check of one shape), each with what it evaluated.
    pub(super) evals: Vec<Option<(EvalKey, EvalUnit)>>,
    /// Every reference to a declaration: the item that holds it, what it
    /// names.
    pub(super) edges: Vec<(Reader, DeclId)>,
    /// Whether the evaluation budget ran out.
    pub(super) spent: bool,
}

/// What a static evaluation evaluated: a policy on a subject, or the
/// gates of an initiative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EvalKey {
    Policy(usize, DeclId),
    Gates(DeclId),
}

/// One check's plan: whole (recording) or reusing `last`.
pub(super) struct Plan {
    pub(super) last: Option<Last>,
    pub(super) changes: Vec<Change>,
    pub(super) fallback: Option<Fallback>,
    /// Declarations checked again, by id (those written).
    pub(super) affected: Vec<bool>,
    /// Policies evaluated again on every subject; gates checked again and
    /// evaluated again on every initiative.
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
        self.next.attrs = (0..model.decls.len()).map(|_| None).collect();
        self.next.gates = (0..model.gates.len()).map(|_| None).collect();
        self.stats.decls = model.decls.len();
        self.stats.gates = model.gates.len();
        let mut same = false;
        if let (None, Some(last)) = (self.fallback, self.last.as_ref()) {
            let reason = if !last.shape.same_files(cx.files) {
                Err(Fallback::Files)
            } else if !last.shape.matches(model, asts, &cx.broken_extends) {
                Err(Fallback::Shape)
            } else {
                same = true;
                self.dirty(model, asts, ast_decls)
            };
            self.fallback = reason.err();
        }
        // The shape for the next check: the same one, moved, when it is.
        match self.last.as_mut().filter(|_| same) {
            Some(last) => {
                self.next.shape = std::mem::take(&mut last.shape);
                self.next.shape.respan(model, asts);
            }
            None => self.next.shape = Shape::of(model, cx.files, asts, &cx.broken_extends),
        }
        if self.fallback.is_some() {
            self.last = None;
        }
    }

    /// Marks what the edit touches and what reads it; the reason to run
    /// whole instead.
    fn dirty(&mut self, model: &Model, asts: &[ast::File], ast_decls: &[&ast::Decl]) -> Result<(), Fallback> {
        let last = self.last.as_ref().ok_or(Fallback::First)?;
        self.affected = vec![false; model.decls.len()];
        self.policies = vec![false; model.policies.len()];
        self.gates = vec![false; model.gates.len()];
        let mut queue = Vec::new();
        for c in &self.changes {
            let f = c.file.0 as usize;
            let now: Vec<Span> = asts[f].items.iter().map(item_span).collect();
            let was = &last.shape.item_spans[f];
            for (k, item) in asts[f].items.iter().enumerate() {
                if !reaches(&now, k, c.start, c.new_end) && !reaches(was, k, c.start, c.old_end) {
                    continue;
                }
                match item {
                    ast::Item::Decl(d) => queue.extend(
                        model
                            .decls
                            .iter()
                            .position(|x| x.parent.is_none() && x.file == c.file && x.span == d.span)
                            .map(|i| DeclId(i as u32)),
                    ),
                    // A line that did not parse is read only for a broken
                    // `extend` (part of the shape).
                    ast::Item::Test(_) | ast::Item::Error(_) => {}
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
        }
        // What the touched declarations are, or were, and what they nest.
        let mut subtree = queue.clone();
        while let Some(id) = subtree.pop() {
            let (i, d) = (id.0 as usize, model.decl(id));
            if matches!(d.kind, Kind::Stage | Kind::Role) {
                return Err(Fallback::StageOrRole);
            }
            if family_or_derived(ast_decls[i], last.attrs.get(i).and_then(Option::as_ref)) {
                return Err(Fallback::FamilyOrDerived);
            }
            subtree.extend(d.children.iter().copied());
        }
        self.readers(model, queue)
    }

    /// Marks `queue` and every declaration that reads one of them,
    /// directly or through others (the last check's references); the
    /// gates and policies that name one of them.
    fn readers(&mut self, model: &Model, queue: Vec<DeclId>) -> Result<(), Fallback> {
        self.mark(model, queue);
        // The next check's edges are this check's references.
        let edges = std::mem::take(&mut self.last.as_mut().ok_or(Fallback::First)?.edges);
        loop {
            let mut found = Vec::new();
            for &(reader, target) in &edges {
                if !self.affected.get(target.0 as usize).copied().unwrap_or(false) {
                    continue;
                }
                match reader {
                    Reader::Decl(x) if !self.affected[x.0 as usize] => found.push(x),
                    Reader::Decl(_) => {}
                    Reader::Gate(g) => self.gates[g] = true,
                    Reader::Policy(p) => self.policies[p] = true,
                    Reader::Let => return Err(Fallback::LetReads),
                }
            }
            if found.is_empty() {
                return Ok(());
            }
            self.mark(model, found);
        }
    }

    /// Marks `queue` with what they nest and what nests them (and their
    /// gates).
    fn mark(&mut self, model: &Model, mut queue: Vec<DeclId>) {
        while let Some(id) = queue.pop() {
            if self.affected[id.0 as usize] {
                continue;
            }
            self.affected[id.0 as usize] = true;
            let d = model.decl(id);
            for g in &d.gates {
                self.gates[g.0 as usize] = true;
            }
            queue.extend(d.children.iter().copied().filter(|c| !self.affected[c.0 as usize]));
            queue.extend(d.parent.filter(|p| !self.affected[p.0 as usize]));
        }
    }

    /// Whether declaration `id`'s attribute check is replayed.
    pub(super) fn reuses_decl(&self, id: DeclId) -> bool {
        !self.whole_check() && !self.affected.get(id.0 as usize).copied().unwrap_or(true)
    }

    /// Whether gate `gi`'s check is replayed.
    pub(super) fn reuses_gate(&self, gi: GateId) -> bool {
        !self.whole_check() && !self.gates.get(gi.0 as usize).copied().unwrap_or(true)
    }

    /// Whether the evaluation of policy `p` on `subject` may be replayed.
    pub(super) fn reuses_policy_unit(&self, p: usize, subject: DeclId) -> bool {
        !self.whole_check() && !self.policies[p] && !self.affected.get(subject.0 as usize).copied().unwrap_or(true)
    }

    /// Whether the evaluation of the gates `gates` on `initiative` may be
    /// replayed.
    pub(super) fn reuses_gate_unit(&self, initiative: DeclId, gates: &[GateId]) -> bool {
        !self.whole_check()
            && !self.affected.get(initiative.0 as usize).copied().unwrap_or(true)
            && gates.iter().all(|g| !self.gates[g.0 as usize])
    }

    /// The last check's `k`-th evaluation, if it evaluated `key` and did
    /// not look mistakes up among earlier diagnostics.
    pub(super) fn take_eval(&mut self, k: usize, key: EvalKey) -> Option<EvalUnit> {
        let slot = self.last.as_mut()?.evals.get_mut(k)?;
        match slot {
            Some((was, unit)) if *was == key && !unit.consulted => slot.take().map(|(_, unit)| unit),
            _ => None,
        }
    }

    /// The records for the next check, from the finished model.
    pub(super) fn finish(mut self, model: &Model, reuse: &mut Reuse) {
        self.next.edges = self.next.shape.edges(model);
        self.next.spent = self.next.spent || model.budget.exhausted();
        if self.whole_check() {
            self.stats.decls_rechecked = self.stats.decls;
            self.stats.gates_rechecked = self.stats.gates;
            self.stats.evaluations_rerun = self.stats.evaluations;
        }
        self.stats.fallback = self.fallback;
        reuse.stats = self.stats;
        // Without the references, the records lack them and the
        // dependencies: nothing to reuse next time.
        reuse.last = (self.fallback != Some(Fallback::NoReferences)).then_some(self.next);
    }
}

/// Whether the edit `start..=end` reaches item `k` of `spans` (a file's
/// top-level items in order) or the text between it and its neighbours:
/// text after an item on its last line, or up to the next item, may be
/// part of its piece (an unclosed `{`, a line that goes on).
fn reaches(spans: &[Span], k: usize, start: u32, end: u32) -> bool {
    let from = k.checked_sub(1).map_or(0, |p| spans[p].end);
    let to = spans.get(k + 1).map_or(u32::MAX, |s| s.start);
    from <= end && to >= start
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
