//! `/status` and the decision log: the latest evaluation as JSON, with the
//! server's state around it. Pure.

use serde::Serialize;

use super::exposition::Facts;
use crate::eval::report::{CriterionReport, Evidence, KpiStatus, Outcome, Report};

/// The server's state as `/status` reports it.
#[derive(Serialize)]
struct Status<'a> {
    version: &'a str,
    revision: &'a str,
    /// `ok`, or `reload_failed` while the previous policy set serves.
    policy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reload_error: Option<&'a str>,
    source_up: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_error: Option<&'a str>,
    evaluations: u64,
    late_evaluations: u64,
    duration_seconds: f64,
}

/// The `/status` document.
pub fn status_json(
    report: Option<&Report>,
    facts: &Facts,
    reload_error: Option<&str>,
    source_error: Option<&str>,
) -> String {
    let status = Status {
        version: &facts.version,
        revision: &facts.revision,
        policy: if facts.reload_failed { "reload_failed" } else { "ok" },
        reload_error,
        source_up: facts.source_up,
        source_error,
        evaluations: facts.evaluations,
        late_evaluations: facts.late,
        duration_seconds: facts.duration,
    };
    let mut text = match serde_json::to_string_pretty(&status) {
        Ok(text) => text,
        Err(e) => return format!("{{\"error\": \"{e}\"}}"),
    };
    // The report as `compel eval --format json` writes it (each read once,
    // `docs/report.schema.json`), one level in; `null` before the first.
    text.pop();
    text.truncate(text.trim_end().len());
    text.push_str(",\n  \"report\": ");
    match report {
        Some(r) => text.push_str(&r.to_json().trim_end().replace('\n', "\n  ")),
        None => text.push_str("null"),
    }
    text.push_str("\n}");
    text
}

/// One decision of a cycle, with the evidence it read.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Decision<'a> {
    Gate {
        initiative: &'a str,
        from: &'a str,
        to: &'a str,
        outcome: Outcome,
        ready: bool,
        reason: &'a str,
        criteria: &'a [CriterionReport],
    },
    Policy {
        policy: &'a str,
        subject: &'a str,
        outcome: Outcome,
        reason: &'a str,
        criteria: &'a [CriterionReport],
    },
    Kpi {
        kpi: &'a str,
        status: KpiStatus,
        reason: &'a str,
        evidence: &'a [std::sync::Arc<Evidence>],
    },
}

#[derive(Serialize)]
struct Line<'a> {
    decision_id: String,
    revision: &'a str,
    now: &'a str,
    outcome: Outcome,
    decisions: Vec<Decision<'a>>,
}

/// One line of the decision log (`--decision-log`): the cycle's id (the
/// revision and the cycle's number), the revision, `now`, and each
/// decision with its evidence. Ends with a line feed.
pub fn decision_line(report: &Report, revision: &str, cycle: u64) -> String {
    let mut decisions = Vec::new();
    for i in &report.initiatives {
        for g in &i.gates {
            decisions.push(Decision::Gate {
                initiative: &i.name,
                from: &g.from,
                to: &g.to,
                outcome: g.outcome,
                ready: i.ready,
                reason: &g.reason,
                criteria: &g.criteria,
            });
        }
    }
    for p in &report.policies {
        decisions.push(Decision::Policy {
            policy: &p.name,
            subject: &p.subject,
            outcome: p.outcome,
            reason: &p.reason,
            criteria: &p.criteria,
        });
    }
    for k in &report.kpis {
        decisions.push(Decision::Kpi { kpi: &k.name, status: k.status, reason: &k.reason, evidence: &k.evidence });
    }
    let line = Line {
        decision_id: format!("{revision}-{cycle}"),
        revision,
        now: &report.now,
        outcome: report.outcome,
        decisions,
    };
    let mut text = serde_json::to_string(&line).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// A revision hash of a policy set: FNV-1a (64 bits) over each file's path
/// and text, in order, as 16 hex digits. Names a revision; not a security
/// checksum.
pub fn revision<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (path, text) in files {
        eat(path.as_bytes());
        eat(&[0]);
        eat(text.as_bytes());
        eat(&[0]);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_change_with_any_byte() {
        let a = revision([("a.compel", "kpi x {}")]);
        assert_eq!(a.len(), 16);
        assert_ne!(a, revision([("a.compel", "kpi y {}")]));
        assert_ne!(a, revision([("b.compel", "kpi x {}")]));
        assert_eq!(a, revision([("a.compel", "kpi x {}")]));
    }
}
