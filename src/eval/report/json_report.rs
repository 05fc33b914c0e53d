//! The report written as JSON (`docs/report.schema.json`), field by field
//! through [`JsonWriter`].

use super::json_write::JsonWriter;
use super::{
    Blocker, CriterionReport, Evidence, GateReport, InitiativeReport, KpiReport, PolicyReport, ReferenceWindow, Report,
    SampleRecord, Summary,
};
use crate::eval::fast_hash::FastMap;
use std::io::Write;

/// A key as written: `"name": `.
macro_rules! quoted {
    ($name:literal) => {
        concat!("\"", $name, "\": ")
    };
}

/// Starts the field `$name` of the innermost object.
macro_rules! key {
    ($w:expr, $name:literal) => {
        $w.raw_key(quoted!($name))
    };
}

/// The data reads written so far, each once, by their index in the
/// report's `reads` list: a KPI's status read is listed by the KPI, by
/// the initiatives it measures and by every criterion that reads it, and
/// is written once.
struct Reads<'a> {
    list: Vec<&'a Evidence>,
    /// Hashed by what the policy and `now` decide (the KPI, the function,
    /// the window and its bounds) and the number of samples: never by
    /// metric data alone, so the fast hash serves.
    index: FastMap<ReadKey<'a>, u32>,
}

impl<'a> Reads<'a> {
    fn with_capacity(n: usize) -> Self {
        Reads { list: Vec::with_capacity(n), index: FastMap::with_capacity_and_hasher(n, Default::default()) }
    }

    /// The index of `e` in the list, added if it is new.
    fn index(&mut self, e: &'a Evidence) -> u32 {
        let next = self.list.len() as u32;
        let at = *self.index.entry(ReadKey(e)).or_insert(next);
        if at == next {
            self.list.push(e);
        }
        at
    }
}

/// A read as a key: equal when every field is (numbers bit for bit, so
/// a NaN sample equals itself).
struct ReadKey<'a>(&'a Evidence);

impl std::hash::Hash for ReadKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let e = self.0;
        (&e.kpi, &e.function, &e.window, e.from, e.to, e.samples.len()).hash(h);
    }
}

impl PartialEq for ReadKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        same_read(self.0, other.0)
    }
}

impl Eq for ReadKey<'_> {}

fn same_num(a: Option<super::Num>, b: Option<super::Num>) -> bool {
    a.map(|n| n.0.to_bits()) == b.map(|n| n.0.to_bits())
}

fn same_samples(a: &[SampleRecord], b: &[SampleRecord]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.time == y.time && x.value.0.to_bits() == y.value.0.to_bits())
}

fn same_read(a: &Evidence, b: &Evidence) -> bool {
    a.kpi == b.kpi
        && a.series == b.series
        && a.function == b.function
        && a.window == b.window
        && a.from == b.from
        && a.to == b.to
        && same_num(a.value, b.value)
        && a.unit == b.unit
        && a.reason == b.reason
        && same_samples(&a.samples, &b.samples)
        && match (&a.reference, &b.reference) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                x.window == y.window && x.from == y.from && x.to == y.to && same_samples(&x.samples, &y.samples)
            }
            _ => false,
        }
}

/// Writes `report` to `out`, with a final line feed.
pub(super) fn write(report: &Report, out: impl Write) -> std::io::Result<()> {
    let mut w = JsonWriter::new(out);
    // Most reports read each KPI's status and a window or two of it.
    let mut reads = Reads::with_capacity(4 * report.kpis.len());
    let r = &mut reads;
    w.open_object();
    key!(w, "outcome");
    w.str(report.outcome.as_str());
    key!(w, "now");
    w.str(&report.now);
    key!(w, "summary");
    summary(&mut w, &report.summary);
    key!(w, "initiatives");
    w.list(&report.initiatives, |w, i| initiative(w, r, i));
    key!(w, "policies");
    w.list(&report.policies, |w, p| policy(w, r, p));
    key!(w, "kpis");
    w.list(&report.kpis, |w, k| kpi(w, r, k));
    key!(w, "reads");
    w.list(&reads.list, |w, e| {
        evidence(w, e);
        w.flush_some();
    });
    w.close_object();
    w.finish()
}

fn summary<W: Write>(w: &mut JsonWriter<W>, s: &Summary) {
    w.open_object();
    for (name, n) in [
        (quoted!("pass"), s.pass),
        (quoted!("warn"), s.warn),
        (quoted!("fail"), s.fail),
        (quoted!("unknown"), s.unknown),
        (quoted!("ready"), s.ready),
        (quoted!("not_ready"), s.not_ready),
    ] {
        w.raw_key(name);
        w.uint(n as u64);
    }
    w.close_object();
}

fn initiative<'a, W: Write>(w: &mut JsonWriter<W>, r: &mut Reads<'a>, i: &'a InitiativeReport) {
    w.open_object();
    key!(w, "name");
    w.str(&i.name);
    key!(w, "stage");
    w.str(&i.stage);
    key!(w, "ready");
    w.bool(i.ready);
    key!(w, "next_gate");
    match &i.next_gate {
        Some(g) => {
            w.open_object();
            key!(w, "from");
            w.str(&g.from);
            key!(w, "to");
            w.str(&g.to);
            w.close_object();
        }
        None => w.null(),
    }
    key!(w, "asked");
    w.bool(i.asked);
    key!(w, "blocked_by");
    w.list(&i.blocked_by, blocker);
    key!(w, "file");
    w.str(&i.file);
    key!(w, "line");
    w.uint(u64::from(i.line));
    key!(w, "kpis");
    w.list(&i.kpis, |w, k| kpi(w, r, k));
    key!(w, "gates");
    w.list(&i.gates, |w, g| gate(w, r, g));
    if !i.evidence.is_empty() {
        key!(w, "evidence");
        w.serde(&i.evidence);
    }
    w.close_object();
    w.flush_some();
}

fn blocker<W: Write>(w: &mut JsonWriter<W>, b: &Blocker) {
    w.open_object();
    key!(w, "text");
    w.str(&b.text);
    key!(w, "outcome");
    w.str(b.outcome.as_str());
    key!(w, "reason");
    w.str(&b.reason);
    if let Some(because) = &b.because {
        key!(w, "because");
        w.str(because);
    }
    w.close_object();
}

fn kpi<'a, W: Write>(w: &mut JsonWriter<W>, r: &mut Reads<'a>, k: &'a KpiReport) {
    w.open_object();
    key!(w, "name");
    w.str(&k.name);
    key!(w, "status");
    w.str(k.status.as_str());
    key!(w, "value");
    match k.value {
        Some(n) => w.num(n),
        None => w.null(),
    }
    key!(w, "unit");
    w.str(&k.unit);
    if let Some(time) = &k.time {
        key!(w, "time");
        w.str(time);
    }
    key!(w, "reason");
    w.str(&k.reason);
    key!(w, "evidence");
    evidence_list(w, r, &k.evidence);
    if !k.labels.is_empty() {
        key!(w, "labels");
        w.open_object();
        for (name, value) in &k.labels {
            w.key_escaped(name);
            w.str(value);
        }
        w.close_object();
    }
    if !k.members.is_empty() {
        key!(w, "members");
        w.list(&k.members, |w, m| kpi(w, r, m));
    }
    if let Some(derived) = &k.derived {
        key!(w, "derived");
        w.serde(derived);
    }
    w.close_object();
    w.flush_some();
}

fn gate<'a, W: Write>(w: &mut JsonWriter<W>, r: &mut Reads<'a>, g: &'a GateReport) {
    w.open_object();
    key!(w, "from");
    w.str(&g.from);
    key!(w, "to");
    w.str(&g.to);
    key!(w, "outcome");
    w.str(g.outcome.as_str());
    key!(w, "reason");
    w.str(&g.reason);
    key!(w, "criteria");
    w.list(&g.criteria, |w, c| criterion(w, r, c));
    w.close_object();
}

fn policy<'a, W: Write>(w: &mut JsonWriter<W>, r: &mut Reads<'a>, p: &'a PolicyReport) {
    w.open_object();
    key!(w, "name");
    w.str(&p.name);
    key!(w, "subject");
    w.str(&p.subject);
    key!(w, "kind");
    w.str(&p.kind);
    key!(w, "outcome");
    w.str(p.outcome.as_str());
    key!(w, "reason");
    w.str(&p.reason);
    key!(w, "file");
    w.str(&p.file);
    key!(w, "line");
    w.uint(u64::from(p.line));
    key!(w, "criteria");
    w.list(&p.criteria, |w, c| criterion(w, r, c));
    w.close_object();
    w.flush_some();
}

fn criterion<'a, W: Write>(w: &mut JsonWriter<W>, r: &mut Reads<'a>, c: &'a CriterionReport) {
    w.open_object();
    key!(w, "text");
    w.str(&c.text);
    key!(w, "enforcement");
    w.str(c.enforcement.as_str());
    key!(w, "outcome");
    w.str(c.outcome.as_str());
    key!(w, "holds");
    match c.holds {
        Some(b) => w.bool(b),
        None => w.null(),
    }
    key!(w, "reason");
    w.str(&c.reason);
    if let Some(because) = &c.because {
        key!(w, "because");
        w.str(because);
    }
    key!(w, "file");
    w.str(&c.file);
    key!(w, "line");
    w.uint(u64::from(c.line));
    key!(w, "column");
    w.uint(u64::from(c.column));
    key!(w, "evidence");
    evidence_list(w, r, &c.evidence);
    if let Some(failing) = &c.failing {
        key!(w, "failing");
        w.serde(failing);
    }
    w.close_object();
}

/// The evidence of a KPI or a criterion: the indices of its reads in the
/// report's `reads` list, on one line.
fn evidence_list<'a, W: Write>(w: &mut JsonWriter<W>, r: &mut Reads<'a>, list: &'a [Evidence]) {
    w.inline_list(list, |w, e| w.uint(u64::from(r.index(e))));
}

fn evidence<W: Write>(w: &mut JsonWriter<W>, e: &Evidence) {
    w.open_object();
    key!(w, "kpi");
    w.str(&e.kpi);
    key!(w, "series");
    w.str(&e.series);
    key!(w, "function");
    w.str(&e.function);
    if let Some(window) = &e.window {
        key!(w, "window");
        w.str(window);
    }
    if let Some(from) = e.from {
        key!(w, "from");
        w.time(from);
    }
    if let Some(to) = e.to {
        key!(w, "to");
        w.time(to);
    }
    if let Some(r) = &e.reference {
        key!(w, "reference");
        reference(w, r);
    }
    if let Some(value) = e.value {
        key!(w, "value");
        w.num(value);
    }
    if let Some(unit) = &e.unit {
        key!(w, "unit");
        w.str(unit);
    }
    key!(w, "samples");
    samples(w, &e.samples);
    if let Some(reason) = &e.reason {
        key!(w, "reason");
        w.str(reason);
    }
    w.close_object();
}

fn reference<W: Write>(w: &mut JsonWriter<W>, r: &ReferenceWindow) {
    w.open_object();
    key!(w, "window");
    w.str(&r.window);
    key!(w, "from");
    w.time(r.from);
    key!(w, "to");
    w.time(r.to);
    key!(w, "samples");
    samples(w, &r.samples);
    w.close_object();
}

/// Samples, one `[time, value]` a line.
fn samples<W: Write>(w: &mut JsonWriter<W>, list: &[SampleRecord]) {
    w.list(list, |w, s| {
        w.buf_inline_pair(s.time, s.value);
    });
}
