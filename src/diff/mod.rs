//! `compel diff`: what a change does to the governance.
//!
//! Pure: two analysed sets of sources in (the base and the change, loaded
//! by the host from a git revision or two folders), a classified list of
//! changes out. Subjects (every declaration of the user's files) are
//! matched by kind and name; per subject the criteria that govern it are
//! compared: the policies whose file it sees (and whose `where` it meets),
//! and for an initiative every gate that applies to it, top-level or its
//! own. So a dropped import, a removed policy set or a subject that no
//! longer matches a `where` is a change even when no policy text changed.
//!
//! Every change has a [`Class`]: stricter, same meaning, looser, changed
//! (not proven either way), or info (a fact for the reviewer). A stage
//! that advanced is judged by [`judge`] against metrics; a stage that
//! jumped and an initiative that appears past `calibrate` block.
//!
//! Governance reaches a subject through [`Model::sees`] (imports, and
//! whatever else makes a policy file visible, such as a project's policy
//! sets): this module asks the model, so it follows whatever the checker
//! decides governs a subject.

pub mod bounds;
mod facts;
mod governance;
pub mod judge;
mod read_facts;
pub mod render;
mod violations;

use std::collections::{BTreeMap, HashMap};

pub use bounds::Class;

use crate::analysis::Analysis;
use crate::check::{DeclId, Kind, Model};
use crate::eval::Outcome;
use crate::stdlib;
use crate::text::{FileId, Span};

/// One side of the comparison: an analysis, and the folder its paths are
/// relative to (stripped when files are matched across the two sides).
#[derive(Clone, Copy)]
pub struct Side<'a> {
    /// The analysed sources.
    pub analysis: &'a Analysis,
    /// The root folder (`""` when both sides share their paths).
    pub root: &'a str,
}

impl Side<'_> {
    fn model(&self) -> &Model {
        &self.analysis.model
    }

    /// A file's path relative to the root.
    fn rel(&self, file: FileId) -> String {
        let path = &self.analysis.files.get(file).path;
        match path.strip_prefix(self.root).and_then(|p| p.strip_prefix('/')) {
            Some(rest) if !self.root.is_empty() => rest.to_string(),
            _ => path.clone(),
        }
    }

    fn at(&self, file: FileId, span: Span) -> Option<Location> {
        let f = self.analysis.files.get(file);
        if stdlib::is_std_path(&f.path) {
            return None;
        }
        let start = f.line_col(span.start as usize).line;
        let end = f.line_col(span.end.saturating_sub(1).max(span.start) as usize).line;
        Some(Location { file: f.path.clone(), line: start, end_line: end.max(start), in_base: false })
    }
}

impl Side<'_> {
    /// A place in the base, marked as such (what the change removed).
    fn at_base(&self, file: FileId, span: Span) -> Option<Location> {
        self.at(file, span).map(|a| Location { in_base: true, ..a })
    }
}

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum What {
    /// An initiative's stage moved one step forward: its gate is judged.
    StageAdvanced,
    /// An initiative's stage skipped a stage (an error).
    StageJumped,
    /// An initiative appears (new or renamed) at a stage past `calibrate`
    /// (an error).
    AppearedPastCalibrate,
    /// A policy the change newly violates or leaves undecided on declared
    /// facts (`compel check`'s E0701 / E0702); blocks for a `require`.
    PolicyViolated,
    /// An initiative's stage moved back (reported, not gated).
    StageMovedBack,
    /// A bound changed: a criterion's literals or comparison, a KPI's
    /// `target`, `warn` or `max_age`.
    Threshold,
    /// A criterion's enforcement changed (`require` -> `expect`).
    Enforcement,
    /// A criterion now applies.
    CriterionAdded,
    /// A criterion no longer applies.
    CriterionRemoved,
    /// A policy's `where` changed.
    WhereChanged,
    /// A policy now governs the subject.
    PolicyAdded,
    /// A policy no longer governs the subject.
    PolicyRemoved,
    /// A gate now applies to the initiative.
    GateAdded,
    /// A gate no longer applies to the initiative.
    GateRemoved,
    /// A program's sponsor changed.
    Sponsor,
    /// A program's `approved_until` moved.
    ApprovedUntil,
    /// A KPI is measured differently (`metric`, `labels`, `unit`, `query`).
    Measure,
    /// A fact a policy or a gate reads changed (`review_every`,
    /// `versioned`, a person's `role` ...).
    FactChanged,
    /// A declaration was added.
    Added,
    /// A declaration was removed.
    Removed,
    /// A KPI removed and one added look like one renamed (a hint).
    Renamed,
}

impl What {
    /// The kind as the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            What::StageAdvanced => "stage_advanced",
            What::StageJumped => "stage_jumped",
            What::AppearedPastCalibrate => "appeared_past_calibrate",
            What::PolicyViolated => "policy_violated",
            What::StageMovedBack => "stage_moved_back",
            What::Threshold => "threshold",
            What::Enforcement => "enforcement",
            What::CriterionAdded => "criterion_added",
            What::CriterionRemoved => "criterion_removed",
            What::WhereChanged => "where_changed",
            What::PolicyAdded => "policy_added",
            What::PolicyRemoved => "policy_removed",
            What::GateAdded => "gate_added",
            What::GateRemoved => "gate_removed",
            What::Sponsor => "sponsor_changed",
            What::ApprovedUntil => "approved_until_changed",
            What::Measure => "measure_changed",
            What::FactChanged => "fact_changed",
            What::Added => "declaration_added",
            What::Removed => "declaration_removed",
            What::Renamed => "kpi_renamed",
        }
    }
}

/// Stands for a backtick inside a quoted fragment of a message, so the
/// Markdown renderer can tell compel's quotes from the text's own.
const BACKTICK: char = '\u{E000}';

/// A fragment of a message quoted as code: `` `text` ``, its own
/// backticks kept apart ([`Change::text`] restores them).
pub(crate) fn q(s: &str) -> String {
    format!("`{}`", s.replace('`', &BACKTICK.to_string()))
}

/// Where a change is written in the change's files (1-based lines).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, as loaded.
    pub file: String,
    /// The first line.
    pub line: u32,
    /// The last line.
    pub end_line: u32,
    /// Whether the place is in the base's files (what the change removed),
    /// not the change's.
    pub in_base: bool,
}

impl Location {
    /// `acme.compel:12`, or `acme.compel:12 (base)` for a place in the
    /// base.
    pub fn shown(&self) -> String {
        format!("{}:{}{}", self.file, self.line, if self.in_base { " (base)" } else { "" })
    }
}

/// One change, with every subject it affects.
#[derive(Clone, Debug)]
pub struct Change {
    /// What changed.
    pub what: What,
    /// How it moves the governance.
    pub class: Class,
    /// Whether it blocks whatever the flags: a stage advanced whose gate
    /// blocks, a stage jumped, an initiative appearing past `calibrate`.
    pub blocks: bool,
    /// The change in plain words.
    pub message: String,
    /// The subjects affected (`initiative scoring_v2`), in order.
    pub subjects: Vec<String>,
    /// The old text (a criterion, a bound, a stage), when there was one.
    pub old: Option<String>,
    /// The new text, when there is one.
    pub new: Option<String>,
    /// The `because` of the criterion concerned.
    pub because: Option<String>,
    /// Where it is written in the change.
    pub at: Option<Location>,
    /// For an advanced stage: the initiative and its two stages.
    pub advance: Option<Advance>,
    /// For an advanced stage: the gate crossed, judged.
    pub gate: Option<judge::Judgement>,
}

impl Change {
    fn new(what: What, class: Class, message: String) -> Change {
        Change {
            what,
            class,
            blocks: false,
            message,
            subjects: Vec::new(),
            old: None,
            new: None,
            because: None,
            at: None,
            advance: None,
            gate: None,
        }
    }

    fn texts(mut self, old: Option<String>, new: Option<String>) -> Change {
        self.old = old;
        self.new = new;
        self
    }

    fn located(mut self, at: Option<Location>) -> Change {
        self.at = at;
        self
    }

    /// The message as people read it.
    pub fn text(&self) -> String {
        self.message.replace(BACKTICK, "`")
    }

    /// The message in Markdown: compel's quotes as code spans, everything
    /// else inert ([`crate::markdown`]); `in_table` for a table cell.
    pub fn markdown(&self, in_table: bool) -> String {
        let parts: Vec<&str> = self.message.split('`').collect();
        if parts.len() % 2 == 0 {
            return crate::markdown::text(&self.text());
        }
        let restore = |p: &str| p.replace(BACKTICK, "`");
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| match (i % 2 == 1, in_table) {
                (true, true) => crate::markdown::code_cell(&restore(p)),
                (true, false) => crate::markdown::code(&restore(p)),
                (false, _) => crate::markdown::text(&restore(p)),
            })
            .collect()
    }

    /// Whether `--deny looser` refuses it: not proven stricter or of the
    /// same meaning (facts reported for information aside).
    pub fn denied_as_looser(&self) -> bool {
        matches!(self.class, Class::Looser | Class::Changed)
    }

    fn key(&self) -> String {
        format!("{:?}\u{0}{}\u{0}{:?}\u{0}{:?}\u{0}{:?}", self.what, self.message, self.old, self.new, self.at)
    }
}

/// The changes of one comparison.
#[derive(Clone, Debug, Default)]
pub struct Diff {
    /// Every change: blocking ones first, then by kind and place.
    pub changes: Vec<Change>,
}

impl Diff {
    /// Whether the change is refused: a change that blocks, or with
    /// `deny_looser` one not proven stricter or of the same meaning.
    pub fn blocks(&self, deny_looser: bool) -> bool {
        self.changes.iter().any(|c| self.refuses(c, deny_looser))
    }

    /// Whether `c` is one of the reasons the change is refused.
    pub fn refuses(&self, c: &Change, deny_looser: bool) -> bool {
        c.blocks || (deny_looser && c.denied_as_looser())
    }

    /// The initiatives whose stage advanced, as (base, change) ids, with
    /// the index of their change.
    pub fn advanced(&self) -> impl Iterator<Item = (usize, &Change)> {
        self.changes.iter().enumerate().filter(|(_, c)| c.what == What::StageAdvanced)
    }

    fn sort(&mut self) {
        self.changes.sort_by(|a, b| {
            (!a.blocks, a.what, &a.at, &a.message, &a.old, &a.new)
                .cmp(&(!b.blocks, b.what, &b.at, &b.message, &b.old, &b.new))
        });
    }
}

/// Gathers changes, one entry per distinct change with its subjects.
#[derive(Default)]
struct Acc {
    changes: Vec<Change>,
    index: HashMap<String, usize>,
}

impl Acc {
    fn add(&mut self, change: &Change, subject: Option<&str>) {
        let key = change.key();
        let i = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                self.changes.push(change.clone());
                self.index.insert(key, self.changes.len() - 1);
                self.changes.len() - 1
            }
        };
        if let Some(s) = subject {
            self.changes[i].subjects.push(s.to_string());
        }
    }
}

/// A subject's identity across the two sides: its kind and its name,
/// qualified by its parent's for nested declarations.
type SubjectKey = (Kind, String);

fn subjects(side: &Side) -> BTreeMap<SubjectKey, DeclId> {
    let model = side.model();
    let mut out = BTreeMap::new();
    for (i, d) in model.decls.iter().enumerate() {
        if stdlib::is_std_path(&side.analysis.files.get(d.file).path) {
            continue;
        }
        let name = match d.parent {
            Some(p) => format!("{}.{}", model.decl(p).name, d.name),
            None => d.name.clone(),
        };
        out.entry((d.kind, name)).or_insert(DeclId(i as u32));
    }
    out
}

/// `initiative scoring_v2`.
fn subject_name(key: &SubjectKey) -> String {
    format!("{} {}", key.0.as_str(), key.1)
}

/// Compares the base with the change. Advanced stages are listed with no
/// judgement: [`judge::judge`] decides them against metrics.
pub fn compare(base: &Side, change: &Side) -> Diff {
    for side in [base, change] {
        let m = side.model();
        m.budget.reset(crate::check::interp::step_limit(m, crate::check::interp::MAX_EVAL_STEPS));
    }
    let (old, new) = (subjects(base), subjects(change));
    let mut acc = Acc::default();
    let mut gov = governance::Governance::new(base, change);
    let readers = read_facts::Readers::new([base, change]);
    for (key, &b) in &old {
        let name = subject_name(key);
        match new.get(key) {
            None => {
                let d = base.model().decl(b);
                let at = base.at_base(d.file, d.name_span);
                let c = Change::new(What::Removed, Class::Info, format!("{name} was removed")).located(at);
                acc.add(&c, Some(&name));
            }
            Some(&c) => {
                for ch in facts::compare(base, change, key.0, b, c) {
                    acc.add(&ch, Some(&name));
                }
                read_facts::compare(&readers, base, change, b, c, &name, &mut acc);
                gov.subject(key.0, b, c, &name, &mut acc);
            }
        }
    }
    for (key, &c) in &new {
        if old.contains_key(key) {
            continue;
        }
        let name = subject_name(key);
        let d = change.model().decl(c);
        let at = change.at(d.file, d.name_span);
        let added = Change::new(What::Added, Class::Info, format!("{name} was added")).located(at.clone());
        acc.add(&added, Some(&name));
        if let Some(appeared) = facts::appeared(change, c) {
            acc.add(&appeared.located(at), Some(&name));
        }
    }
    let removed: Vec<DeclId> = old.iter().filter(|(k, _)| !new.contains_key(*k)).map(|(_, &b)| b).collect();
    let added: Vec<DeclId> = new.iter().filter(|(k, _)| !old.contains_key(*k)).map(|(_, &c)| c).collect();
    for ch in facts::renames(base, change, &removed, &added) {
        acc.add(&ch, None);
    }
    gov.wheres(&mut acc);
    violations::compare(base, change, &mut acc);
    let mut diff = Diff { changes: acc.changes };
    diff.sort();
    diff
}

/// What the stage change of an advanced initiative needs to be judged.
#[derive(Clone, Debug)]
pub struct Advance {
    /// The initiative's name.
    pub name: String,
    /// The stage it left.
    pub from: String,
    /// The stage it entered.
    pub to: String,
}

/// The verdict of a diff: refused when a change blocks, or (with
/// `deny_looser`) one is not proven stricter or of the same meaning.
pub fn outcome(diff: &Diff, deny_looser: bool) -> Outcome {
    if diff.blocks(deny_looser) {
        Outcome::Fail
    } else {
        Outcome::Pass
    }
}
