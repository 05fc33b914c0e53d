//! What a compilation produced, besides its text: the rules written and
//! what each decides, the KPIs read, and what is left to `compel serve`.

use std::collections::BTreeMap;

use crate::check::rational::Rational;

/// A criterion the rules do not decide: `compel serve` (or `eval`) does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undecided {
    /// The initiative whose gate holds it.
    pub initiative: String,
    /// The gate, `from -> to`.
    pub gate: String,
    /// The criterion's source text.
    pub text: String,
    /// Why PromQL cannot decide it.
    pub reason: String,
}

/// The compiled rules.
#[derive(Clone, Debug)]
pub struct Output {
    /// The YAML document.
    pub yaml: String,
    /// Criteria left to `compel serve`, in the order of the initiatives.
    pub undecided: Vec<Undecided>,
    /// KPIs not compiled, with the reason (a raw `query`, a label name
    /// PromQL cannot write).
    pub skipped_kpis: Vec<(String, String)>,
    /// How many recording and alerting rules were written.
    pub rules: usize,
    /// Every rule written, in order, with what it decides.
    pub written: Vec<Rule>,
    /// The compiled KPIs.
    pub kpis: Vec<CompiledKpi>,
}

/// What a rule decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decides {
    /// A KPI's value, status or alert, for one initiative that lists it (or
    /// for none).
    Kpi {
        /// The KPI.
        kpi: String,
        /// The initiative.
        initiative: Option<String>,
    },
    /// Whether one criterion of an initiative's next gate holds.
    Criterion {
        /// The initiative.
        initiative: String,
        /// The criterion's text, as `eval` reports it (`require accuracy`).
        text: String,
    },
    /// Whether an initiative is ready to pass its next gate.
    Ready {
        /// The initiative.
        initiative: String,
    },
}

/// One recording or alerting rule, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `record` name or `alert` name.
    pub name: String,
    /// Whether it is an alerting rule.
    pub alert: bool,
    /// Its labels, as the rule sets them (before template expansion,
    /// which is the identity on them).
    pub labels: Vec<(String, String)>,
    /// Its annotations (alerts only).
    pub annotations: Vec<(String, String)>,
    /// What it decides.
    pub decides: Decides,
}

/// A KPI as the rules read it.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledKpi {
    /// Its name.
    pub name: String,
    /// The metric name.
    pub metric: String,
    /// The label matchers (equality).
    pub labels: BTreeMap<String, String>,
    /// Its `max_age`, in seconds.
    pub max_age: Rational,
    /// Whether it is derived (`value`): Prometheus computes its formula in
    /// floating point, so its value is compared within rounding.
    pub derived: bool,
}
