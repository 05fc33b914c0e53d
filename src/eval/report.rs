//! The evaluation report: what `compel eval` decided and why.
//!
//! A [`Report`] is plain data. It serialises to the JSON documented by
//! `docs/report.schema.json` and is what every renderer
//! ([`super::render`]) reads. It holds no map with an unspecified order and
//! formats numbers one way ([`Num`]), so the same inputs give the same
//! bytes.
//!
//! # Outcomes
//!
//! A criterion, a gate and a policy end `pass`, `warn`, `fail` or
//! `unknown` ([`Outcome`]); a KPI is `met`, `at_risk`, `missed` or
//! `unknown` ([`KpiStatus`]). A gate or a policy is the worst of its
//! criteria, in the order fail > unknown > warn > pass. `fail` and
//! `unknown` block; `warn` and `pass` do not.
//!
//! # Obligations and readiness
//!
//! A policy is an obligation: it always counts. An initiative's next gate
//! (the transition out of its stage) is readiness: every initiative is
//! reported `ready` or not, with its `next_gate` and what blocks it, but a
//! gate counts only when it is asked ([`Report::ask`], `compel eval
//! --ready NAME`). The report's outcome is the worst of every policy and
//! every asked gate.

use std::sync::Arc;

use serde::ser::{Serialize, Serializer};

mod early;
mod json_early;
mod json_layout;
mod json_parts;
mod json_report;
mod json_write;
mod time;

#[cfg(test)]
pub(crate) use early::Chunks;
pub(crate) use early::{Early, EarlyChunk, EarlyFormat, EarlyHuman, Run};
pub(crate) use json_early::{ChunkNumbering, EarlyJson, KpiEntry};
#[cfg(test)]
use json_layout::ReportFormatter;
pub use time::Time;

/// The outcome of a criterion, a gate, a policy or a whole evaluation.
///
/// Ordered from best to worst, so the worst of several is their maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It holds.
    Pass,
    /// It holds with a caveat (a KPI at risk), or an `expect` / `advise`
    /// that did not hold. Does not block.
    Warn,
    /// The data cannot decide it (missing, stale, ambiguous, NaN, a source
    /// error). Blocks, like `fail`: a decision is never made on missing
    /// evidence.
    Unknown,
    /// A `require` that does not hold. Blocks.
    Fail,
}

impl Outcome {
    /// The outcome's word: `pass`, `warn`, `unknown`, `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Unknown => "unknown",
            Outcome::Fail => "fail",
        }
    }

    /// Whether the outcome blocks (`fail` and `unknown`).
    pub fn blocks(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Unknown)
    }

    /// The worse of two outcomes.
    pub fn worst(self, other: Outcome) -> Outcome {
        self.max(other)
    }

    /// Parses an outcome word.
    pub fn parse(word: &str) -> Option<Outcome> {
        Some(match word {
            "pass" => Outcome::Pass,
            "warn" => Outcome::Warn,
            "unknown" => Outcome::Unknown,
            "fail" => Outcome::Fail,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a KPI stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiStatus {
    /// The latest value meets the target, outside the warn band.
    Met,
    /// The latest value meets the target but is inside the warn band.
    AtRisk,
    /// The latest value misses the target.
    Missed,
    /// No usable latest value (missing, stale, ambiguous, NaN, source error).
    Unknown,
}

impl KpiStatus {
    /// The status word: `met`, `at_risk`, `missed`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            KpiStatus::Met => "met",
            KpiStatus::AtRisk => "at_risk",
            KpiStatus::Missed => "missed",
            KpiStatus::Unknown => "unknown",
        }
    }

    /// Parses a status word.
    pub fn parse(word: &str) -> Option<KpiStatus> {
        Some(match word {
            "met" => KpiStatus::Met,
            "at_risk" => KpiStatus::AtRisk,
            "missed" => KpiStatus::Missed,
            "unknown" => KpiStatus::Unknown,
            _ => return None,
        })
    }
}

impl std::fmt::Display for KpiStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A number as the report writes it: an integral value without a fraction
/// (`180`, not `180.0`), any other finite value in the shortest form that
/// reads back to the same `f64`, and NaN and infinities as the strings
/// `"NaN"`, `"+Inf"`, `"-Inf"` (the metrics JSON format's spelling), since
/// JSON has no such numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_nan() {
            s.serialize_str("NaN")
        } else if x.is_infinite() {
            s.serialize_str(if x > 0.0 { "+Inf" } else { "-Inf" })
        } else if x == x.trunc() && x.abs() < 9.007_199_254_740_992e15 {
            // Integral and exactly representable: `-0.0` becomes `0`.
            s.serialize_i64(x as i64)
        } else {
            s.serialize_f64(x)
        }
    }
}

/// One sample a decision used: `[time, value]`, the shape of a sample in
/// the metrics JSON format, so evidence can be pasted back into a metrics
/// file to replay the decision.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRecord {
    /// The sample's time, RFC 3339 UTC.
    pub time: Time,
    /// The raw value, in the KPI's unit.
    pub value: Num,
}

impl Serialize for SampleRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&self.time)?;
        t.serialize_element(&self.value)?;
        t.end()
    }
}

/// What one access to a KPI's data read and found.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Evidence {
    /// The KPI.
    pub kpi: String,
    /// The series read, as a selector (`fraud_model_accuracy{model="scoring-v2"}`).
    pub series: String,
    /// What was computed: `status`, `latest`, `for`, a window function
    /// (`avg`, `p95` ...) or a drift statistic (`psi`, `ks`, `wasserstein`).
    pub function: String,
    /// The window's length as written (`7d`), for window functions, `for`
    /// and the current window of a drift statistic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// The window's start (included), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Time>,
    /// The window's end (included): `now`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Time>,
    /// A drift statistic's reference window, `[from, to)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceWindow>,
    /// The value computed, in the KPI's unit (a plain number for `count`
    /// and drift statistics); absent when it could not be computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Num>,
    /// The unit of `value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The samples used, oldest first, raw values in the KPI's unit (for
    /// drift statistics, the current window's).
    pub samples: Vec<SampleRecord>,
    /// Why no value could be computed, when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A drift statistic's reference window `[from, to)` and its samples.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ReferenceWindow {
    /// Its length as written (`28d`).
    pub window: String,
    /// Its start (included).
    pub from: Time,
    /// Its end (excluded): the current window's start.
    pub to: Time,
    /// The samples in it, oldest first.
    pub samples: Vec<SampleRecord>,
}

/// The whole evaluation.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// The worst outcome of every policy and every asked gate (`pass` when
    /// there are none): gates nobody asked about are readiness and do not
    /// count.
    pub outcome: Outcome,
    /// The time evaluated at, RFC 3339 UTC.
    pub now: String,
    /// How many policy results and asked gates ended in each outcome, and
    /// how many initiatives are ready.
    pub summary: Summary,
    /// Each initiative: its KPIs and the gate of its current stage.
    pub initiatives: Vec<InitiativeReport>,
    /// Each policy on each subject it governs.
    pub policies: Vec<PolicyReport>,
    /// Every KPI declared in the evaluated files.
    pub kpis: Vec<Arc<KpiReport>>,
}

impl Report {
    /// Whether the evaluation blocks: some policy or asked gate failed or
    /// is unknown.
    pub fn blocks(&self) -> bool {
        self.outcome.blocks()
    }

    /// Asks the gates of the initiatives `ready` selects, so that they
    /// count in the outcome like obligations; the others (asked before or
    /// not) are readiness only. Recomputes the outcome and the summary.
    pub fn ask(&mut self, ready: &Ready) {
        for i in &mut self.initiatives {
            i.asked = ready.asks(&i.name);
        }
        self.tally();
    }

    /// Recomputes [`Report::outcome`] and [`Report::summary`] from the
    /// policies, the asked gates and the initiatives' readiness.
    pub fn tally(&mut self) {
        let mut summary = Summary::default();
        let mut outcome = Outcome::Pass;
        for i in &self.initiatives {
            if i.ready {
                summary.ready += 1;
            } else {
                summary.not_ready += 1;
            }
            if i.asked {
                for g in &i.gates {
                    summary.add(g.outcome);
                    outcome = outcome.worst(g.outcome);
                }
            }
        }
        for p in &self.policies {
            summary.add(p.outcome);
            outcome = outcome.worst(p.outcome);
        }
        self.summary = summary;
        self.outcome = outcome;
    }

    /// The report as pretty-printed JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        // Writing to memory cannot fail, and every field serialises.
        let _ = self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the report as pretty-printed JSON, with a final newline, to
    /// `out` as it goes (the same bytes as [`Report::to_json`], without
    /// holding them all in memory).
    ///
    /// The layout is serde_json's pretty one, two spaces per level, except
    /// that a list of plain values stays on one line: a sample reads
    /// `["2026-11-23T00:00:00Z", 93.5]`, not four lines.
    pub fn write_json(&self, out: impl std::io::Write) -> std::io::Result<()> {
        json_report::write(self, out, None)
    }

    /// [`Report::write_json`], with the initiatives its evaluation
    /// formatted as it went (the same bytes, written sooner).
    #[cfg_attr(not(feature = "cli"), expect(dead_code))]
    pub(crate) fn write_json_early(&self, out: impl std::io::Write, early: Option<&EarlyJson>) -> std::io::Result<()> {
        json_report::write(self, out, early)
    }

    /// The KPI named `name` in the top-level list.
    pub fn kpi(&self, name: &str) -> Option<&KpiReport> {
        self.kpis.iter().map(|k| &**k).find(|k| k.name == name)
    }

    /// The gate `from -> to` of the initiative named `initiative`.
    pub fn gate(&self, initiative: &str, from: &str, to: &str) -> Option<&GateReport> {
        self.initiatives
            .iter()
            .filter(|i| i.name == initiative)
            .flat_map(|i| &i.gates)
            .find(|g| g.from == from && g.to == to)
    }

    /// Where to split the report in two parts of about the same cost for
    /// a writer: the first initiative from which the ones before weigh at
    /// least half of all (`weight` each, and `rest` for what follows the
    /// initiatives).
    pub(crate) fn halfway(&self, weight: impl Fn(&InitiativeReport) -> usize, rest: usize) -> usize {
        let total = self.initiatives.iter().map(&weight).sum::<usize>() + rest;
        let mut head = 0;
        for (k, i) in self.initiatives.iter().enumerate() {
            if 2 * head >= total {
                return k;
            }
            head += weight(i);
        }
        self.initiatives.len()
    }

    /// The result of policy `policy` on the subject named `subject`.
    pub fn policy(&self, policy: &str, subject: &str) -> Option<&PolicyReport> {
        self.policies.iter().find(|p| p.name == policy && p.subject == subject)
    }
}

/// Counts of policy results and asked gates by outcome, and of
/// initiatives by readiness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Policy results and asked gates that passed.
    pub pass: usize,
    /// ... that passed with a warning.
    pub warn: usize,
    /// ... that failed.
    pub fail: usize,
    /// ... that the data could not decide.
    pub unknown: usize,
    /// Initiatives whose next gate passes or warns (or that no gate guards),
    /// asked or not.
    pub ready: usize,
    /// Initiatives whose next gate fails or is unknown, asked or not.
    pub not_ready: usize,
}

impl Summary {
    /// Counts one more result.
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Unknown => self.unknown += 1,
        }
    }
}

/// Which initiatives' gates are asked: `compel eval --ready NAME` (or
/// `--ready all`). An asked gate that fails or is unknown blocks the
/// evaluation; the others are readiness only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Ready {
    /// No gate is asked.
    #[default]
    None,
    /// Every initiative's gate is asked.
    All,
    /// The gates of the initiatives named.
    Only(Vec<String>),
}

impl Ready {
    /// From the values of `--ready`: `all` asks every gate; any other
    /// value must name one of the `initiatives`, or the error says which
    /// does not (with a did-you-mean).
    pub fn from_names<'a>(
        values: &[String],
        initiatives: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<Ready, String> {
        if values.is_empty() {
            return Ok(Ready::None);
        }
        let mut names: Vec<String> = Vec::new();
        for v in values.iter().filter(|v| *v != "all") {
            if !initiatives.clone().into_iter().any(|i| i == v) {
                let mut message = format!("`--ready {v}` names no initiative");
                match crate::diag::did_you_mean(v, initiatives.clone()) {
                    Some(s) => message.push_str(&format!(" (did you mean `{s}`?)")),
                    None => {
                        let mut known: Vec<&str> = initiatives.clone().into_iter().collect();
                        known.sort_unstable();
                        known.dedup();
                        if known.is_empty() {
                            message.push_str(" (the files declare none)");
                        } else {
                            let shown: Vec<String> = known.iter().take(10).map(|k| format!("`{k}`")).collect();
                            let more = if known.len() > 10 { ", ..." } else { "" };
                            message.push_str(&format!(" (the initiatives are {}{more}; or `all`)", shown.join(", ")));
                        }
                    }
                }
                return Err(message);
            }
            if !names.contains(v) {
                names.push(v.clone());
            }
        }
        if values.iter().any(|v| v == "all") {
            return Ok(Ready::All);
        }
        Ok(Ready::Only(names))
    }

    /// Whether the gate of the initiative named `name` is asked.
    pub fn asks(&self, name: &str) -> bool {
        match self {
            Ready::None => false,
            Ready::All => true,
            Ready::Only(names) => names.iter().any(|n| n == name),
        }
    }
}

/// The transition out of an initiative's stage, guarded by its gates.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NextGate {
    /// The stage left: the initiative's current stage.
    pub from: String,
    /// The stage entered.
    pub to: String,
}

/// A criterion of the next gate that keeps an initiative from advancing.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Blocker {
    /// The criterion's source text (as in [`CriterionReport::text`]).
    pub text: String,
    /// `fail` or `unknown`.
    pub outcome: Outcome,
    /// The decision in a sentence.
    pub reason: String,
    /// The criterion's `because`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
}

/// An initiative's readiness from the gates of its next transition:
/// whether it may advance, the transition, and the criteria that block it.
pub fn readiness(gates: &[GateReport]) -> (bool, Option<NextGate>, Vec<Blocker>) {
    let next = gates.first().map(|g| NextGate { from: g.from.clone(), to: g.to.clone() });
    let blockers: Vec<Blocker> = gates
        .iter()
        .flat_map(|g| &g.criteria)
        .filter(|c| c.outcome.blocks())
        .map(|c| Blocker {
            text: c.text.to_string(),
            outcome: c.outcome,
            reason: c.reason.clone(),
            because: c.because.as_deref().map(str::to_string),
        })
        .collect();
    let ready = gates.iter().all(|g| !g.outcome.blocks());
    (ready, next, blockers)
}

/// One initiative.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct InitiativeReport {
    /// Its name.
    pub name: String,
    /// Its current stage.
    pub stage: String,
    /// Whether it may advance: its next gate passes or warns, or no gate
    /// guards the transition out of its stage.
    pub ready: bool,
    /// The transition out of its stage (`from` its stage `to` the next);
    /// `None` when no gate guards it.
    pub next_gate: Option<NextGate>,
    /// Whether its gate is asked (`--ready`): then a gate that blocks
    /// counts in the report's outcome.
    pub asked: bool,
    /// The criteria of its next gate that fail or are unknown: what keeps
    /// it from advancing. Empty when it is ready.
    pub blocked_by: Vec<Blocker>,
    /// The file it is declared in.
    pub file: String,
    /// The 1-based line of its name.
    pub line: u32,
    /// Its `kpis` then its `contributes_to` KPIs: each KPI's report is
    /// made once and shared by every initiative that lists it.
    pub kpis: Vec<Arc<KpiReport>>,
    /// The transition out of its current stage, with every gate that guards
    /// it (the stdlib's, the organisation's and its own) combined.
    pub gates: Vec<GateReport>,
    /// Its evidence and its datasets': kind, link, signer, dates, and
    /// whether it is current at `now`. Left out when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<super::evidence::EvidenceReport>,
}

/// A KPI's status.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct KpiReport {
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub status: KpiStatus,
    /// The latest value, in the KPI's unit (`93.5` for 93.5% in `unit
    /// percent`); `null` when the status is unknown.
    pub value: Option<Num>,
    /// The KPI's unit: `percent`, `ratio`, `ms`, ..., a currency, or `number`.
    pub unit: String,
    /// The latest sample's time, when there is a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The decision in a sentence.
    pub reason: String,
    /// The data read.
    pub evidence: Vec<std::sync::Arc<Evidence>>,
    /// A family member's group: the labels its family's `by` adds.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// A family's members (its status is the worst of theirs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<KpiReport>,
    /// A derived KPI's formula and its inputs at `now`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<super::derived_report::DerivedReport>,
}

/// A transition's combined gate.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GateReport {
    /// The stage left.
    pub from: String,
    /// The stage entered.
    pub to: String,
    /// The worst of its criteria.
    pub outcome: Outcome,
    /// The decision in a sentence.
    pub reason: String,
    /// Every criterion, the top-level gates' first (in the order their files
    /// were loaded), then the initiative's own.
    pub criteria: Vec<CriterionReport>,
}

/// One policy on one subject.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PolicyReport {
    /// The policy's name.
    pub name: String,
    /// The subject's name.
    pub subject: String,
    /// The subject's kind (`program`, `coe`, `initiative` ...).
    pub kind: String,
    /// The worst of its criteria.
    pub outcome: Outcome,
    /// The decision in a sentence.
    pub reason: String,
    /// The file the policy is declared in.
    pub file: String,
    /// The 1-based line of the policy's name.
    pub line: u32,
    /// Every criterion.
    pub criteria: Vec<CriterionReport>,
}

/// How a criterion is enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// `require`: fail and unknown block.
    Require,
    /// `expect`: fail and unknown become `warn`.
    Expect,
    /// `advise`: fail and unknown become `warn`; never blocks.
    Advise,
    /// A policy's `where` filter that could not be decided: the policy is
    /// reported `unknown` on that subject rather than skipped.
    Where,
}

impl Enforcement {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Require => "require",
            Enforcement::Expect => "expect",
            Enforcement::Advise => "advise",
            Enforcement::Where => "where",
        }
    }
}

/// One criterion's result.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CriterionReport {
    /// The criterion's source text, whitespace collapsed (`require
    /// latency_p95 for 7d`): shared by the reports of a criterion decided
    /// for many subjects.
    pub text: Arc<str>,
    /// `require`, `expect`, `advise` (or `where` for an undecidable filter).
    pub enforcement: Enforcement,
    /// The outcome after enforcement.
    pub outcome: Outcome,
    /// Whether the condition held: `true`, `false`, or `null` when the data
    /// could not decide.
    pub holds: Option<bool>,
    /// The decision in a sentence.
    pub reason: String,
    /// The criterion's `because`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<Arc<str>>,
    /// The file the criterion is written in.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The data the decision read.
    pub evidence: Vec<std::sync::Arc<Evidence>>,
    /// The elements a failed `all(...)` found failing, when the criterion
    /// does not hold because of one (boxed: most criteria have none, and
    /// a report holds one criterion per gate, initiative and policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing: Option<Box<Failing>>,
}

/// The elements for which a failed quantifier's predicate does not hold:
/// for `all(d in datasets: d.versioned)` the datasets that are not
/// versioned; through nested quantifiers (`all(a in xs: all(b in ys:
/// ...))`) the failing tuples `(a, b)`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Failing {
    /// The quantified variables, outermost first: `["a", "b"]`.
    pub variables: Vec<String>,
    /// How many elements (tuples) fail.
    pub count: usize,
    /// The first hundred of them, each a tuple of values as people read
    /// them (`["raw_events"]`, `["1", "4"]`).
    pub elements: Vec<Vec<String>>,
    /// How many the data could not decide.
    #[serde(skip_serializing_if = "is_zero")]
    pub undecided_count: usize,
    /// The first hundred of those.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<Vec<String>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests;
