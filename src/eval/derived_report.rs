//! A derived KPI in the report: its formula and each input's value in
//! effect at `now` (`compel eval --format json`, `docs/report.schema.json`).

use super::report::{Num, Time};

/// A derived KPI (`value 0.6 * auc + 0.4 * precision`) in the report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DerivedReport {
    /// The formula, as written (whitespace normalised).
    pub formula: String,
    /// Each KPI the formula reads, in the order written.
    pub inputs: Vec<DerivedInputReport>,
}

/// One input of a derived KPI, as in effect at `now`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DerivedInputReport {
    /// The input KPI.
    pub kpi: String,
    /// Its value in effect at `now`, in its unit; `null` when it has none.
    pub value: Option<Num>,
    /// Its unit.
    pub unit: String,
    /// Its sample's time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// Why it has no value (missing, stale ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
