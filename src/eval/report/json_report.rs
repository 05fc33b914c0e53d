//! The report written as JSON (`docs/report.schema.json`), field by field
//! through [`JsonWriter`].

use super::json_write::JsonWriter;
use super::{
    Blocker, CriterionReport, Evidence, GateReport, InitiativeReport, KpiReport, PolicyReport, ReferenceWindow, Report,
    SampleRecord, Summary,
};
use std::io::Write;

/// Writes `report` to `out`, with a final line feed.
pub(super) fn write(report: &Report, out: impl Write) -> std::io::Result<()> {
    let mut w = JsonWriter::new(out);
    w.open_object();
    w.key("outcome");
    w.str(report.outcome.as_str());
    w.key("now");
    w.str(&report.now);
    w.key("summary");
    summary(&mut w, &report.summary);
    w.key("initiatives");
    w.list(&report.initiatives, initiative);
    w.key("policies");
    w.list(&report.policies, policy);
    w.key("kpis");
    w.list(&report.kpis, kpi);
    w.close_object();
    w.finish()
}

fn summary<W: Write>(w: &mut JsonWriter<W>, s: &Summary) {
    w.open_object();
    for (name, n) in [
        ("pass", s.pass),
        ("warn", s.warn),
        ("fail", s.fail),
        ("unknown", s.unknown),
        ("ready", s.ready),
        ("not_ready", s.not_ready),
    ] {
        w.key(name);
        w.uint(n as u64);
    }
    w.close_object();
}

fn initiative<W: Write>(w: &mut JsonWriter<W>, i: &InitiativeReport) {
    w.open_object();
    w.key("name");
    w.str(&i.name);
    w.key("stage");
    w.str(&i.stage);
    w.key("ready");
    w.bool(i.ready);
    w.key("next_gate");
    match &i.next_gate {
        Some(g) => {
            w.open_object();
            w.key("from");
            w.str(&g.from);
            w.key("to");
            w.str(&g.to);
            w.close_object();
        }
        None => w.null(),
    }
    w.key("asked");
    w.bool(i.asked);
    w.key("blocked_by");
    w.list(&i.blocked_by, blocker);
    w.key("file");
    w.str(&i.file);
    w.key("line");
    w.uint(u64::from(i.line));
    w.key("kpis");
    w.list(&i.kpis, kpi);
    w.key("gates");
    w.list(&i.gates, gate);
    if !i.evidence.is_empty() {
        w.key("evidence");
        w.serde(&i.evidence);
    }
    w.close_object();
    w.flush_some();
}

fn blocker<W: Write>(w: &mut JsonWriter<W>, b: &Blocker) {
    w.open_object();
    w.key("text");
    w.str(&b.text);
    w.key("outcome");
    w.str(b.outcome.as_str());
    w.key("reason");
    w.str(&b.reason);
    if let Some(because) = &b.because {
        w.key("because");
        w.str(because);
    }
    w.close_object();
}

fn kpi<W: Write>(w: &mut JsonWriter<W>, k: &KpiReport) {
    w.open_object();
    w.key("name");
    w.str(&k.name);
    w.key("status");
    w.str(k.status.as_str());
    w.key("value");
    match k.value {
        Some(n) => w.num(n),
        None => w.null(),
    }
    w.key("unit");
    w.str(&k.unit);
    if let Some(time) = &k.time {
        w.key("time");
        w.str(time);
    }
    w.key("reason");
    w.str(&k.reason);
    w.key("evidence");
    evidence_list(w, &k.evidence);
    if !k.labels.is_empty() {
        w.key("labels");
        w.open_object();
        for (name, value) in &k.labels {
            w.key_escaped(name);
            w.str(value);
        }
        w.close_object();
    }
    if !k.members.is_empty() {
        w.key("members");
        w.list(&k.members, kpi);
    }
    if let Some(derived) = &k.derived {
        w.key("derived");
        w.serde(derived);
    }
    w.close_object();
    w.flush_some();
}

fn gate<W: Write>(w: &mut JsonWriter<W>, g: &GateReport) {
    w.open_object();
    w.key("from");
    w.str(&g.from);
    w.key("to");
    w.str(&g.to);
    w.key("outcome");
    w.str(g.outcome.as_str());
    w.key("reason");
    w.str(&g.reason);
    w.key("criteria");
    w.list(&g.criteria, criterion);
    w.close_object();
}

fn policy<W: Write>(w: &mut JsonWriter<W>, p: &PolicyReport) {
    w.open_object();
    w.key("name");
    w.str(&p.name);
    w.key("subject");
    w.str(&p.subject);
    w.key("kind");
    w.str(&p.kind);
    w.key("outcome");
    w.str(p.outcome.as_str());
    w.key("reason");
    w.str(&p.reason);
    w.key("file");
    w.str(&p.file);
    w.key("line");
    w.uint(u64::from(p.line));
    w.key("criteria");
    w.list(&p.criteria, criterion);
    w.close_object();
    w.flush_some();
}

fn criterion<W: Write>(w: &mut JsonWriter<W>, c: &CriterionReport) {
    w.open_object();
    w.key("text");
    w.str(&c.text);
    w.key("enforcement");
    w.str(c.enforcement.as_str());
    w.key("outcome");
    w.str(c.outcome.as_str());
    w.key("holds");
    match c.holds {
        Some(b) => w.bool(b),
        None => w.null(),
    }
    w.key("reason");
    w.str(&c.reason);
    if let Some(because) = &c.because {
        w.key("because");
        w.str(because);
    }
    w.key("file");
    w.str(&c.file);
    w.key("line");
    w.uint(u64::from(c.line));
    w.key("column");
    w.uint(u64::from(c.column));
    w.key("evidence");
    evidence_list(w, &c.evidence);
    if let Some(failing) = &c.failing {
        w.key("failing");
        w.serde(failing);
    }
    w.close_object();
}

/// The evidence of a KPI or a criterion.
fn evidence_list<W: Write>(w: &mut JsonWriter<W>, list: &[Evidence]) {
    w.list(list, evidence);
}

fn evidence<W: Write>(w: &mut JsonWriter<W>, e: &Evidence) {
    w.open_object();
    w.key("kpi");
    w.str(&e.kpi);
    w.key("series");
    w.str(&e.series);
    w.key("function");
    w.str(&e.function);
    if let Some(window) = &e.window {
        w.key("window");
        w.str(window);
    }
    if let Some(from) = e.from {
        w.key("from");
        w.time(from);
    }
    if let Some(to) = e.to {
        w.key("to");
        w.time(to);
    }
    if let Some(r) = &e.reference {
        w.key("reference");
        reference(w, r);
    }
    if let Some(value) = e.value {
        w.key("value");
        w.num(value);
    }
    if let Some(unit) = &e.unit {
        w.key("unit");
        w.str(unit);
    }
    w.key("samples");
    samples(w, &e.samples);
    if let Some(reason) = &e.reason {
        w.key("reason");
        w.str(reason);
    }
    w.close_object();
}

fn reference<W: Write>(w: &mut JsonWriter<W>, r: &ReferenceWindow) {
    w.open_object();
    w.key("window");
    w.str(&r.window);
    w.key("from");
    w.time(r.from);
    w.key("to");
    w.time(r.to);
    w.key("samples");
    samples(w, &r.samples);
    w.close_object();
}

/// Samples, one `[time, value]` a line.
fn samples<W: Write>(w: &mut JsonWriter<W>, list: &[SampleRecord]) {
    w.list(list, |w, s| {
        w.buf_inline_pair(s.time, s.value);
    });
}
