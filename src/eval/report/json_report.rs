//! The report written as JSON (`docs/report.schema.json`), field by field
//! through [`JsonWriter`].

use super::json_write::JsonWriter;
use super::{
    Blocker, CriterionReport, Evidence, GateReport, InitiativeReport, KpiReport, PolicyReport, ReferenceWindow, Report,
    SampleRecord, Summary,
};
use crate::eval::fast_hash::FastMap;
use std::io::Write;
use std::sync::Arc;

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

/// Every data read of the report, each once, by its index in the
/// report's `reads` list, in the order the report first lists them: a
/// KPI's status read is listed by the KPI, by the initiatives it measures
/// and by every criterion that reads it, and is written once.
///
/// It holds the reads it numbers (shared), so that a numbering made as
/// the report's chunks are evaluated outlives them where they were made
/// ([`super::json_early::ChunkNumbering`]).
pub(super) struct Reads {
    pub(super) list: Vec<Arc<Evidence>>,
    /// [`read_hash`] of each read of `list`.
    hashes: Vec<u64>,
    /// The index of each shared read, by address: a read made once is
    /// shared by everything that asked for it, so most are found here
    /// without hashing their contents. Every address is that of a read
    /// held here (in `list` or `kept`), alive and unmoved while it is: no
    /// other read can come to have it.
    at: FastMap<usize, u32>,
    /// The reads found equal to one listed, and those a renumbering
    /// ([`Reads::after`]) left out of `list`: held for their addresses.
    kept: Vec<Arc<Evidence>>,
    /// The first read of each hash ([`read_hash`]), by its contents' hash.
    index: FastMap<u64, u32>,
    /// The other reads of a hash, different from its first (rare: equal
    /// reads have one index).
    more: FastMap<u64, Vec<u32>>,
}

impl Reads {
    /// The reads of the first `upto` initiatives of `report` (all of
    /// them, and then of the rest of the report, when `upto` is `None`),
    /// visited in the order the report is written.
    pub(super) fn of(report: &Report, upto: Option<usize>) -> Self {
        let n = report.initiatives.len();
        Reads::visiting(report, 0..upto.unwrap_or(n), upto.is_none())
    }

    /// The reads of the initiatives from the `k`th and of the rest of
    /// the report, numbered as they first appear there.
    pub(super) fn from(report: &Report, k: usize) -> Self {
        Reads::visiting(report, k..report.initiatives.len(), true)
    }

    /// The reads of the initiatives in `range`, then (with `rest`) of the
    /// policies and the KPI list, in the order the report writes them.
    fn visiting(report: &Report, range: std::ops::Range<usize>, rest: bool) -> Self {
        // Most reports read each KPI's status and a window or two of it.
        let n = 4 * report.kpis.len();
        let mut r = Reads::with_capacity(n);
        report.initiatives[range].iter().for_each(|i| r.add_initiative(i));
        if rest {
            r.add_rest(report);
        }
        r
    }

    /// No reads yet, with room for about `n`.
    pub(super) fn with_capacity(n: usize) -> Self {
        Reads {
            list: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
            at: FastMap::with_capacity_and_hasher(2 * n, Default::default()),
            index: FastMap::with_capacity_and_hasher(n, Default::default()),
            more: FastMap::default(),
            kept: Vec::new(),
        }
    }

    /// No reads, the room kept.
    pub(super) fn clear(&mut self) {
        self.list.clear();
        self.hashes.clear();
        self.at.clear();
        self.kept.clear();
        self.index.clear();
        self.more.clear();
    }

    /// The reads of `initiatives` alone, numbered from 0.
    pub(super) fn of_initiatives(initiatives: &[InitiativeReport]) -> Self {
        let mut r = Reads::with_capacity(4 * initiatives.len());
        initiatives.iter().for_each(|i| r.add_initiative(i));
        r
    }

    /// Adds the reads of an initiative, in the order it is written.
    pub(super) fn add_initiative(&mut self, i: &InitiativeReport) {
        i.kpis.iter().for_each(|k| self.add_kpi(k));
        for c in i.gates.iter().flat_map(|g| &g.criteria) {
            self.add_all(&c.evidence);
        }
    }

    /// Adds the reads of what follows the initiatives: the policies and
    /// the KPI list.
    pub(super) fn add_rest(&mut self, report: &Report) {
        for c in report.policies.iter().flat_map(|p| &p.criteria) {
            self.add_all(&c.evidence);
        }
        report.kpis.iter().for_each(|k| self.add_kpi(k));
    }

    /// The hash of each read, in the order of `list`.
    pub(super) fn hashes(&self) -> &[u64] {
        &self.hashes
    }

    /// These reads (of the report after `head`'s) numbered as
    /// [`Reads::of`] the whole report numbers them: a read `head` has
    /// keeps its index there, the others follow `head`'s in the order they
    /// first appear here. The list is then `head`'s and those.
    pub(super) fn after(mut self, head: &Reads) -> Self {
        let mut list = Vec::with_capacity(head.list.len() + self.list.len());
        list.extend_from_slice(&head.list);
        let renumbered: Vec<u32> = self
            .list
            .iter()
            .zip(&self.hashes)
            .map(|(e, hash)| match head.find(e, *hash) {
                Some(at) => at,
                None => {
                    list.push(Arc::clone(e));
                    (list.len() - 1) as u32
                }
            })
            .collect();
        self.at.values_mut().for_each(|at| *at = renumbered[*at as usize]);
        // Only `list` and `at` are read from here on.
        self.index = FastMap::default();
        self.more = FastMap::default();
        self.hashes = Vec::new();
        let left = std::mem::replace(&mut self.list, list);
        self.kept.extend(left);
        self
    }

    pub(super) fn add_kpi(&mut self, k: &KpiReport) {
        self.add_all(&k.evidence);
        k.members.iter().for_each(|m| self.add_kpi(m));
    }

    /// Adds each read new to the list. Equal reads made apart (on the
    /// other thread of the evaluation, or read again) share an index.
    fn add_all(&mut self, reads: &[Arc<Evidence>]) {
        for e in reads {
            if !self.at.contains_key(&(Arc::as_ptr(e) as usize)) {
                self.add_hashed(e, read_hash(e));
            }
        }
    }

    /// The index of `e`, whose [`read_hash`] is `hash`, added to the list
    /// if no read equal to it is there yet (then `true`).
    pub(super) fn add_hashed(&mut self, e: &Arc<Evidence>, hash: u64) -> (u32, bool) {
        let address = Arc::as_ptr(e) as usize;
        if let Some(at) = self.at.get(&address) {
            return (*at, false);
        }
        let found = self.find(e, hash);
        let at = found.unwrap_or_else(|| {
            let next = self.list.len() as u32;
            match self.index.entry(hash) {
                std::collections::hash_map::Entry::Vacant(first) => {
                    first.insert(next);
                }
                std::collections::hash_map::Entry::Occupied(_) => self.more.entry(hash).or_default().push(next),
            }
            self.list.push(Arc::clone(e));
            self.hashes.push(hash);
            next
        });
        if found.is_some() {
            self.kept.push(Arc::clone(e));
        }
        self.at.insert(address, at);
        (at, found.is_none())
    }

    /// The index of the read equal to `e` (whose hash is `hash`), if one
    /// is listed.
    fn find(&self, e: &Evidence, hash: u64) -> Option<u32> {
        let first = *self.index.get(&hash)?;
        let same = |at: &u32| same_read(&self.list[*at as usize], e);
        if same(&first) {
            return Some(first);
        }
        self.more.get(&hash)?.iter().copied().find(same)
    }

    /// The index of one of the report's reads.
    pub(super) fn index(&self, e: &Arc<Evidence>) -> u32 {
        self.at[&(Arc::as_ptr(e) as usize)]
    }
}

/// The hash of a read by what the policy and `now` decide (the KPI, the
/// function, the window and its bounds) and the number of samples:
/// never by metric data alone, so the fast hash serves.
pub(super) fn read_hash(e: &Evidence) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::eval::fast_hash::FxHasher::default();
    (&e.kpi, &e.function, &e.window, e.from, e.to, e.samples.len()).hash(&mut h);
    h.finish()
}

fn same_num(a: Option<super::Num>, b: Option<super::Num>) -> bool {
    a.map(|n| n.0.to_bits()) == b.map(|n| n.0.to_bits())
}

fn same_samples(a: &[SampleRecord], b: &[SampleRecord]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.time == y.time && x.value.0.to_bits() == y.value.0.to_bits())
}

/// Whether two reads are the same read: every field equal (numbers bit
/// for bit, so a NaN sample equals itself). Equal reads hash alike
/// ([`read_hash`] hashes fields compared here).
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

/// From how many initiatives and policies the report is written in two
/// parts, one on another thread.
const TWO_PARTS_FROM: usize = 256;

/// Writes `report` to `out`, with a final line feed.
///
/// A large report is written by two threads at once, in pieces each
/// takes in turn and this one writes in order ([`super::json_parts`]).
/// The bytes are those of one writer.
pub(super) fn write(
    report: &Report,
    out: impl Write,
    early: Option<&super::json_early::EarlyJson>,
) -> std::io::Result<()> {
    let n = report.initiatives.len();
    if let Some(early) = early.filter(|e| e.is_released()) {
        // The initiatives can be written only as they were formatted.
        return super::json_parts::write_parts(report, out, n, Some(early));
    }
    let two = n >= 2 && n + report.policies.len() >= TWO_PARTS_FROM && crate::eval::two_threads();
    match two {
        true => super::json_parts::write_parts(report, out, split_at(report), early),
        false => write_split(report, out, None),
    }
}

/// [`write`] on one thread, or on two with the reads numbered in two
/// halves from the initiative `split` (at least 1, at most their number).
pub(super) fn write_split(report: &Report, out: impl Write, split: Option<usize>) -> std::io::Result<()> {
    if let Some(k) = split {
        return super::json_parts::write_parts(report, out, k, None);
    }
    let reads = Reads::of(report, None);
    let mut w = JsonWriter::new(out);
    head(&mut w, report);
    for i in &report.initiatives {
        w.item();
        initiative(&mut w, &reads, i);
    }
    tail(&mut w, &reads, report);
    w.finish().map(drop)
}

/// Where the numbering of the reads is split between the two threads:
/// the initiative from which the rest of the report weighs about as much
/// as the initiatives before it, from the bytes each kind of entry takes
/// in a typical report (a byte of the policies, KPIs and reads, numbers
/// and times, counted as one and a half of the initiatives', mostly
/// text). The split moves only the time, never the bytes.
fn split_at(report: &Report) -> usize {
    let initiative = |i: &InitiativeReport| {
        let criteria: usize = i.gates.iter().map(|g| g.criteria.len()).sum();
        300 + 300 * i.kpis.len() + 150 * i.gates.len() + 400 * criteria
    };
    let policies: usize = report.policies.iter().map(|p| 250 + 400 * p.criteria.len()).sum();
    // About two reads per listed KPI, of about 450 bytes each.
    let rest = (policies + report.kpis.len() * (250 + 2 * 450)) * 3 / 2;
    report.halfway(initiative, rest).max(1)
}

/// The report's first fields, and its list of initiatives opened.
pub(super) fn head<W: Write>(w: &mut JsonWriter<W>, report: &Report) {
    w.open_object();
    key!(w, "outcome");
    w.word(report.outcome.as_str());
    key!(w, "now");
    w.str(&report.now);
    key!(w, "summary");
    summary(w, &report.summary);
    key!(w, "initiatives");
    w.open_list();
}

/// The fields after the initiatives, and the end.
fn tail<W: Write>(w: &mut JsonWriter<W>, r: &Reads, report: &Report) {
    w.close_list();
    key!(w, "policies");
    w.list(&report.policies, |w, p| policy(w, r, p));
    key!(w, "kpis");
    w.list(&report.kpis, |w, k| kpi(w, r, k));
    key!(w, "reads");
    w.list(&r.list, |w, e| {
        evidence(w, e);
        w.flush_some();
    });
    w.close_object();
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

pub(super) fn initiative<W: Write>(w: &mut JsonWriter<W>, r: &Reads, i: &InitiativeReport) {
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
    w.word(b.outcome.as_str());
    key!(w, "reason");
    w.str(&b.reason);
    if let Some(because) = &b.because {
        key!(w, "because");
        w.str(because);
    }
    w.close_object();
}

pub(super) fn kpi<W: Write>(w: &mut JsonWriter<W>, r: &Reads, k: &KpiReport) {
    w.open_object();
    key!(w, "name");
    w.str(&k.name);
    key!(w, "status");
    w.word(k.status.as_str());
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

fn gate<W: Write>(w: &mut JsonWriter<W>, r: &Reads, g: &GateReport) {
    w.open_object();
    key!(w, "from");
    w.str(&g.from);
    key!(w, "to");
    w.str(&g.to);
    key!(w, "outcome");
    w.word(g.outcome.as_str());
    key!(w, "reason");
    w.str(&g.reason);
    key!(w, "criteria");
    w.list(&g.criteria, |w, c| criterion(w, r, c));
    w.close_object();
}

pub(super) fn policy<W: Write>(w: &mut JsonWriter<W>, r: &Reads, p: &PolicyReport) {
    w.open_object();
    key!(w, "name");
    w.str(&p.name);
    key!(w, "subject");
    w.str(&p.subject);
    key!(w, "kind");
    w.str(&p.kind);
    key!(w, "outcome");
    w.word(p.outcome.as_str());
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

fn criterion<W: Write>(w: &mut JsonWriter<W>, r: &Reads, c: &CriterionReport) {
    w.open_object();
    key!(w, "text");
    w.str(&c.text);
    key!(w, "enforcement");
    w.word(c.enforcement.as_str());
    key!(w, "outcome");
    w.word(c.outcome.as_str());
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
fn evidence_list<W: Write>(w: &mut JsonWriter<W>, r: &Reads, list: &[Arc<Evidence>]) {
    w.inline_list(list, |w, e| w.read_index(r.index(e)));
}

pub(super) fn evidence<W: Write>(w: &mut JsonWriter<W>, e: &Evidence) {
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
