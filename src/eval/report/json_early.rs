//! The initiatives' JSON formatted as they are evaluated.
//!
//! Formatted after the evaluation, a large report is read back from
//! memory whose contents have long left the cache: most of the writing's
//! time went to waiting for its strings. For a report written as JSON,
//! each evaluation thread formats a chunk of initiatives, and the reads
//! they made, right after evaluating it, while all of it is still in the
//! cache ([`Chunk::format`]).
//!
//! A chunk leaves each index of a read out, noting where it goes and which
//! of the chunk's own reads it is. The chunks' reads are numbered in the
//! report's order as the chunks are formatted, by whichever thread
//! formats the chunk that comes next ([`ChunkNumbering`]), instead of by
//! one thread after both; the writer then numbers the rest of the
//! report's reads ([`EarlyJson::number`]) and writes each chunk with the
//! indices filled in ([`super::json_parts`]). The bytes are those of one
//! writer formatting the report at the end.

use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::early::{Chunks, PerItem, Run};
use super::json_report::{evidence, initiative, kpi, Reads};
use super::json_write::{JsonWriter, Refs};
use super::{Evidence, InitiativeReport, KpiReport, Report};

/// Chunks of a report's initiatives formatted as they were evaluated.
pub(crate) struct EarlyJson {
    chunks: Chunks<Chunk>,
    /// The entries of the report's KPI list, each formatted when its
    /// report was made, if it was (none at all, or one for each entry).
    kpis: Vec<Option<KpiEntry>>,
    /// The chunks' reads, numbered as they were formatted, if they were
    /// (taken when the report is written).
    numbered: Mutex<Option<Box<Numbered>>>,
    /// The numbering of the reads the report was last written with, kept
    /// with the chunks and freed with them: a command that ends once the
    /// report is written frees neither (40,000 reads on the
    /// 10,000-initiative workload, about 1 ms to free).
    written: Mutex<Option<Arc<Reads>>>,
    /// Whether the initiatives' details were dropped once formatted
    /// ([`super::InitiativeReport::release_details`]): the report can
    /// then be written only from these chunks, every initiative in one
    /// and none asked about since.
    released: bool,
}

/// The reads of a report's chunks of initiatives, numbered in the
/// report's order as the chunks are formatted, on either thread: each
/// chunk is numbered once those before it are, by the thread that
/// formatted the last of them.
pub(crate) struct ChunkNumbering {
    state: Mutex<Numbered>,
}

struct Numbered {
    reads: Reads,
    /// Where the next chunk to number starts.
    next: usize,
    /// Chunks formatted before one that comes before them.
    waiting: Vec<Waiting>,
    /// For each chunk numbered, in order, the index of each of its reads.
    of_chunk: Vec<Vec<u32>>,
    /// For each read numbered, the chunk (in order) where it first
    /// appears and its place in the chunk's reads.
    first: Vec<(u32, u32)>,
}

/// A chunk formatted, waiting to be numbered: where it is, its reads and
/// their hashes.
struct Waiting {
    at: Range<usize>,
    reads: Vec<Arc<Evidence>>,
    hashes: Vec<u64>,
}

impl ChunkNumbering {
    /// Nothing numbered yet, with room for about `reads` reads.
    pub(crate) fn with_room(reads: usize) -> Self {
        let state = Numbered {
            reads: Reads::with_capacity(reads),
            next: 0,
            waiting: Vec::new(),
            of_chunk: Vec::new(),
            first: Vec::with_capacity(reads),
        };
        ChunkNumbering { state: Mutex::new(state) }
    }

    /// The chunk at `at` of the report's initiatives is formatted: its
    /// reads are numbered, with those of the chunks after it waiting for
    /// it, if it is next; else it waits.
    pub(crate) fn add(&self, at: Range<usize>, chunk: &Chunk) {
        // Copied before the lock is taken: the other thread waits less.
        let formatted = Waiting { at, reads: chunk.reads.clone(), hashes: chunk.hashes.clone() };
        let mut guard = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let s = &mut *guard;
        s.waiting.push(formatted);
        while let Some(k) = s.waiting.iter().position(|w| w.at.start == s.next) {
            let Waiting { at, reads, hashes } = s.waiting.swap_remove(k);
            let c = s.of_chunk.len() as u32;
            let mut numbers = Vec::with_capacity(reads.len());
            for (i, (e, hash)) in reads.iter().zip(&hashes).enumerate() {
                let (index, new) = s.reads.add_hashed(e, *hash);
                if new {
                    s.first.push((c, i as u32));
                }
                numbers.push(index);
            }
            s.of_chunk.push(numbers);
            s.next = at.end;
        }
    }
}

/// An entry of the report's KPI list, formatted without the indices of
/// its reads.
pub(crate) struct KpiEntry {
    /// The entry as a value of the list after its first.
    bytes: Vec<u8>,
    /// Where each index of a read goes in `bytes`, and which of `reads`.
    holes: Vec<(usize, u32)>,
    /// The KPI's reads (its members' after its own), each once.
    reads: Vec<Arc<Evidence>>,
}

impl KpiEntry {
    /// `k` as an entry of the report's KPI list.
    pub(crate) fn format(k: &KpiReport) -> KpiEntry {
        thread_local! {
            static PER_ENTRY: Cell<usize> = const { Cell::new(256) };
            // The numbering of an entry's few reads, its room reused by
            // the thread's next entry (20,000 entries on the
            // 10,000-initiative workload, each made two maps).
            static READS: RefCell<Reads> = RefCell::new(Reads::with_capacity(4));
        }
        let sizes = PerItem(&PER_ENTRY);
        READS.with_borrow_mut(|reads| {
            // Empty already, unless an entry's formatting was cut short.
            reads.clear();
            reads.add_kpi(k);
            let mut w = JsonWriter::piece(Vec::with_capacity(sizes.room(1)), 2, false).with_holes();
            w.item();
            kpi(&mut w, reads, k);
            let (bytes, holes) = w.into_parts();
            sizes.took(bytes.len(), 1);
            let entry = KpiEntry { bytes, holes, reads: reads.list.iter().map(Arc::clone).collect() };
            reads.clear();
            entry
        })
    }
}

/// A run of initiatives formatted as a piece of the report's list of
/// initiatives, without the indices of their reads.
pub(crate) struct Chunk {
    /// The initiatives as values of the list, at its depth.
    bytes: Vec<u8>,
    /// Where each index of a read goes in `bytes`, and which of `reads`
    /// it is.
    holes: Vec<(usize, u32)>,
    /// The chunk's reads, each once, in the order they first appear in it.
    reads: Vec<Arc<Evidence>>,
    /// The hash of each read ([`super::json_report::read_hash`]).
    hashes: Vec<u64>,
    /// Each read formatted as a value of the report's `reads` list after
    /// its first, one after the other; read `i` ends at `read_ends[i]`.
    read_bytes: Vec<u8>,
    read_ends: Vec<usize>,
}

impl Chunk {
    /// Formats `initiatives` (the first of the report's list when
    /// `first`) and their reads, with `room` bytes for the initiatives.
    pub(crate) fn format(first: bool, initiatives: &[InitiativeReport], room: usize) -> Chunk {
        let reads = Reads::of_initiatives(initiatives);
        let mut w = JsonWriter::piece(Vec::with_capacity(room), 2, first).with_holes();
        for i in initiatives {
            w.item();
            initiative(&mut w, &reads, i);
        }
        let (bytes, holes) = w.into_parts();
        thread_local! {
            static PER_READ: Cell<usize> = const { Cell::new(512) };
        }
        let sizes = PerItem(&PER_READ);
        let mut w = JsonWriter::piece(Vec::with_capacity(sizes.room(reads.list.len())), 2, false);
        let mut read_ends = Vec::with_capacity(reads.list.len());
        for e in &reads.list {
            w.item();
            evidence(&mut w, e);
            read_ends.push(w.written());
        }
        sizes.took(w.written(), reads.list.len());
        Chunk {
            bytes,
            holes,
            hashes: reads.hashes().to_vec(),
            reads: reads.list.iter().map(Arc::clone).collect(),
            read_bytes: w.into_buffer(),
            read_ends,
        }
    }

    /// How many bytes the initiatives took.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The formatted read `i`.
    fn read(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.read_ends[i - 1] };
        &self.read_bytes[start..self.read_ends[i]]
    }
}

/// The report's index of each read of each chunk, and the early
/// formatting of each of the report's reads that has one.
pub(super) struct Numbers<'a> {
    early: &'a EarlyJson,
    /// For each chunk, the index in the report of each of its reads.
    of_chunk: Vec<Vec<u32>>,
    /// For each read of the report, as formatted in the chunk where it
    /// first appears (none if it first appears after the initiatives).
    formatted: Vec<Option<&'a [u8]>>,
}

impl EarlyJson {
    /// The chunks of initiatives formatted as JSON.
    pub(crate) fn new(chunks: Chunks<Chunk>) -> EarlyJson {
        EarlyJson { chunks, kpis: Vec::new(), numbered: Mutex::new(None), written: Mutex::new(None), released: false }
    }

    /// The same, the initiatives' details released once formatted.
    pub(crate) fn released(self) -> Self {
        EarlyJson { released: true, ..self }
    }

    /// Whether the report is to be written from these chunks alone.
    pub(super) fn is_released(&self) -> bool {
        self.released
    }

    /// Whether the chunks hold every initiative of `report` in each of
    /// `ranges` (the runs the writer goes through), none asked about
    /// since it was formatted: all the report needs of them.
    pub(super) fn covers(&self, report: &Report, mut ranges: impl Iterator<Item = Range<usize>>) -> bool {
        self.fits(report) && ranges.all(|r| self.chunks.cover(report, r).all(|run| matches!(run, Run::Chunk(..))))
    }

    /// With the chunks' reads numbered as they were formatted.
    pub(crate) fn with_numbering(self, numbering: ChunkNumbering) -> Self {
        let numbered = numbering.state.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        EarlyJson { numbered: Mutex::new(Some(Box::new(numbered))), ..self }
    }

    /// With the entries of the KPI list formatted as the KPIs' reports
    /// were made (`None` for those that were not), one for each.
    pub(crate) fn with_kpis(mut self, kpis: Vec<Option<KpiEntry>>) -> Self {
        self.kpis = kpis;
        self
    }

    /// Keeps `reads`, the numbering the report was written with, until
    /// these chunks are freed.
    pub(super) fn keep_numbering(&self, reads: Arc<Reads>) {
        *self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reads);
    }

    /// Whether the chunks can be of `report`: none goes past its
    /// initiatives, and the KPI entries, if any, are one for each of its
    /// KPIs.
    pub(super) fn fits(&self, report: &Report) -> bool {
        self.chunks.end() <= report.initiatives.len() && (self.kpis.is_empty() || self.kpis.len() == report.kpis.len())
    }

    /// The reads of `report` numbered as [`Reads::of`] numbers them (the
    /// chunks' reads from their lists, the other initiatives' and the
    /// rest of the report's from the report), and the numbers of each
    /// chunk's reads.
    pub(super) fn number<'a>(&'a self, report: &'a Report) -> (Reads, Numbers<'a>) {
        if let Some(numbered) = self.numbered_chunks() {
            return self.number_after(numbered, report);
        }
        // Room for the chunks' reads, four for each initiative outside
        // them, and the rest of the report's (most of which the chunks
        // have: a KPI's status read is its initiatives' too).
        let in_chunks: usize = self.chunks.iter().map(|(_, c)| c.reads.len()).sum();
        let outside = report.initiatives.len().saturating_sub(self.chunks.iter().map(|(at, _)| at.len()).sum());
        let policies: usize = report.policies.iter().flat_map(|p| &p.criteria).map(|c| c.evidence.len()).sum();
        let room = in_chunks + 4 * outside + policies + report.kpis.len() / 8;
        let mut reads = Reads::with_capacity(room);
        let mut formatted = Vec::with_capacity(room);
        let mut of_chunk = Vec::new();
        let mut next = 0;
        for (at, c) in self.chunks.iter() {
            report.initiatives[next..at.start].iter().for_each(|i| reads.add_initiative(i));
            let numbers = c.reads.iter().zip(&c.hashes).enumerate().map(|(i, (e, hash))| {
                let (at, new) = reads.add_hashed(e, *hash);
                if new {
                    formatted.resize(at as usize, None);
                    formatted.push(Some(c.read(i)));
                }
                at
            });
            of_chunk.push(numbers.collect());
            next = at.end;
        }
        report.initiatives[next..].iter().for_each(|i| reads.add_initiative(i));
        reads.add_rest(report);
        formatted.resize(reads.list.len(), None);
        (reads, Numbers { early: self, of_chunk, formatted })
    }
}

/// The error of a report whose initiatives' details were released once
/// formatted and are asked for again.
pub(super) fn released_again() -> std::io::Error {
    std::io::Error::other(
        "the initiatives were formatted and their details released, but the report asks for them again",
    )
}

impl EarlyJson {
    /// The chunks' reads as numbered when they were formatted, if they
    /// all were, in order from the first initiative (taken).
    fn numbered_chunks(&self) -> Option<Box<Numbered>> {
        let numbered = self.numbered.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()?;
        self.numbers_all(&numbered).then_some(numbered)
    }

    /// Whether `numbered` numbered every chunk, in order from the first
    /// initiative.
    fn numbers_all(&self, numbered: &Numbered) -> bool {
        let from_first = self.chunks.iter().next().is_some_and(|(at, _)| at.start == 0);
        let all = numbered.waiting.is_empty() && numbered.of_chunk.len() == self.chunks.iter().count();
        from_first && all && numbered.next == self.chunks.end()
    }

    /// Whether the chunks' reads were numbered as they were formatted,
    /// and the numbering is to be used.
    #[cfg(test)]
    pub(crate) fn numbered_usable(&self) -> bool {
        let numbered = self.numbered.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        numbered.as_ref().is_some_and(|n| self.numbers_all(n))
    }

    /// [`EarlyJson::number`], the chunks' reads `numbered` already: the
    /// initiatives after them and the rest of the report are numbered
    /// now.
    fn number_after<'a>(&'a self, numbered: Box<Numbered>, report: &'a Report) -> (Reads, Numbers<'a>) {
        let Numbered { mut reads, next, of_chunk, first, .. } = *numbered;
        report.initiatives[next..].iter().for_each(|i| reads.add_initiative(i));
        reads.add_rest(report);
        let chunks: Vec<&Chunk> = self.chunks.iter().map(|(_, c)| c).collect();
        let mut formatted: Vec<Option<&'a [u8]>> = Vec::with_capacity(reads.list.len());
        formatted.extend(first.iter().map(|&(c, i)| Some(chunks[c as usize].read(i as usize))));
        formatted.resize(reads.list.len(), None);
        (reads, Numbers { early: self, of_chunk, formatted })
    }
}

impl<'a> Numbers<'a> {
    /// Writes the initiatives at `range` of `report`: as formatted early
    /// where a chunk holds them (none asked about since), the others now,
    /// with `all` the report's reads.
    pub(super) fn write_initiatives<W: std::io::Write>(
        &self,
        w: &mut JsonWriter<W>,
        report: &'a Report,
        range: Range<usize>,
        all: &Reads,
        refs: &mut Refs<'a>,
    ) {
        let early: &'a EarlyJson = self.early;
        for run in early.chunks.cover(report, range) {
            match run {
                Run::Chunk(c, chunk) => w.filled(&chunk.bytes, &chunk.holes, &self.of_chunk[c], refs),
                Run::One(i) => {
                    w.item();
                    initiative(w, all, &report.initiatives[i]);
                }
            }
        }
    }

    /// Writes entry `i` of the report's KPI list as formatted when its
    /// report was made, with `all` the report's reads; `false` if it was
    /// not.
    pub(super) fn write_kpi<W: std::io::Write>(
        &self,
        w: &mut JsonWriter<W>,
        all: &Reads,
        i: usize,
        refs: &mut Refs<'a>,
    ) -> bool {
        let early: &'a EarlyJson = self.early;
        let Some(Some(entry)) = early.kpis.get(i) else { return false };
        let numbers: Vec<u32> = entry.reads.iter().map(|e| all.index(e)).collect();
        w.filled_item(&entry.bytes, &entry.holes, &numbers, refs);
        true
    }

    /// Read `i` of the report as a value of the `reads` list, formatted
    /// early (as a value after the first), if it was.
    pub(super) fn read(&self, i: usize) -> Option<&'a [u8]> {
        self.formatted.get(i).copied().flatten()
    }
}
