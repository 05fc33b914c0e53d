//! A large report written by two threads, in order.
//!
//! The report's lists (initiatives, policies, KPIs, reads) are cut into
//! pieces of a few dozen entries. Each thread takes the next piece not yet
//! taken and formats it into a buffer of its own; this thread writes the
//! buffers to the output in the report's order, each as soon as the ones
//! before it are written, and hands the buffer back to be filled again.
//! The threads stay busy to the end whatever the machine's load, and the
//! memory in flight is a few pieces, reused, not half the report.
//!
//! Every entry is written as one writer writes it, so the bytes are those
//! of [`super::json_report::write_split`] in one part: the reads are
//! numbered first, in the order of the report (each thread numbers one
//! half, and the second half is then renumbered after the first's,
//! [`Reads::after`]).

use std::io::Write;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::json_early::{EarlyJson, Numbers};
use super::json_report::{evidence, head, initiative, kpi, policy, Reads};
use super::json_write::{JsonWriter, Refs};
use super::Report;

/// Initiatives per piece: each is a few kilobytes of JSON.
const INITIATIVES_PER_PIECE: usize = 32;

/// Policies, KPIs or reads per piece.
const ENTRIES_PER_PIECE: usize = 128;

/// The bytes a buffer is given for a piece of policies, formatted here in
/// full: about 95 KiB on the 10,000-initiative workload (the other pieces
/// mostly refer to what was formatted early and take a few KiB).
const POLICIES_PIECE_ROOM: usize = 128 << 10;

/// The references to what was formatted early a piece has room for: a
/// few for each of its entries.
const REFS_PER_PIECE: usize = 1024;

/// A run of entries of one of the report's lists.
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Initiatives(Range<usize>),
    Policies(Range<usize>),
    Kpis(Range<usize>),
    Reads(Range<usize>),
}

impl Piece {
    /// Which list it is part of, in the order the report has them.
    fn list(&self) -> usize {
        match self {
            Piece::Initiatives(_) => 0,
            Piece::Policies(_) => 1,
            Piece::Kpis(_) => 2,
            Piece::Reads(_) => 3,
        }
    }

    fn starts_list(&self) -> bool {
        let (Piece::Initiatives(r) | Piece::Policies(r) | Piece::Kpis(r) | Piece::Reads(r)) = self;
        r.start == 0
    }
}

/// The pieces of the initiatives (none across the `k`th, where the
/// numbering of the reads is split), the policies and the KPIs.
fn pieces(report: &Report, k: usize) -> Vec<Piece> {
    let cut = |len: usize, per: usize, from: usize| (from..len).step_by(per).map(move |s| s..(s + per).min(len));
    let mut out: Vec<Piece> = cut(k, INITIATIVES_PER_PIECE, 0)
        .chain(cut(report.initiatives.len(), INITIATIVES_PER_PIECE, k))
        .map(Piece::Initiatives)
        .collect();
    out.extend(cut(report.policies.len(), ENTRIES_PER_PIECE, 0).map(Piece::Policies));
    out.extend(cut(report.kpis.len(), ENTRIES_PER_PIECE, 0).map(Piece::Kpis));
    out
}

/// What the two threads share: the numberings of the reads, the
/// formatted pieces not yet written, and the buffers to reuse.
struct Shared<'a> {
    /// The reads of the first `k` initiatives, numbered.
    head: Option<Arc<Reads>>,
    /// The reads of the whole report, numbered; the second half's found
    /// by address.
    all: Option<Arc<Reads>>,
    /// Formatted pieces by number, until written: each piece's own bytes
    /// and those formatted early it refers to.
    done: Vec<Option<(Vec<u8>, Refs<'a>)>>,
    /// Written buffers, emptied, to be filled again.
    pool: Vec<Vec<u8>>,
    /// A thread has stopped (the other's pieces are then all done, or it
    /// panicked): no one waits for it any longer.
    ended: bool,
}

struct Board<'a> {
    state: Mutex<Shared<'a>>,
    changed: Condvar,
}

impl<'a> Board<'a> {
    fn lock(&self) -> MutexGuard<'_, Shared<'a>> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until `ready` holds of the shared state (or a thread ended).
    fn wait(&self, ready: impl Fn(&Shared<'a>) -> bool) -> MutexGuard<'_, Shared<'a>> {
        let guard = self.lock();
        self.changed.wait_while(guard, |s| !(ready(s) || s.ended)).unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut Shared<'a>)) {
        change(&mut self.lock());
        self.changed.notify_all();
    }
}

/// Marks that a thread ended, normally or by a panic.
struct Ends<'s, 'a>(&'s Board<'a>);

impl Drop for Ends<'_, '_> {
    fn drop(&mut self) {
        self.0.update(|s| s.ended = true);
    }
}

/// The work both threads take pieces from.
struct Work<'a> {
    report: &'a Report,
    /// The initiative from which the second half's numbering applies.
    k: usize,
    pieces: Vec<Piece>,
    next: AtomicUsize,
    sync: Board<'a>,
    /// The initiatives formatted as they were evaluated, and the numbers
    /// of their reads.
    early: Option<Numbers<'a>>,
}

impl<'a> Work<'a> {
    /// The piece numbered `j` (after the lists' pieces, those of the
    /// reads, whose number is known once `all` is), or none past the last.
    fn piece(&self, j: usize, all: Option<&Reads>) -> Option<Piece> {
        if let Some(p) = self.pieces.get(j) {
            return Some(p.clone());
        }
        let all = all?;
        let start = (j - self.pieces.len()) * ENTRIES_PER_PIECE;
        (start < all.list.len()).then(|| Piece::Reads(start..(start + ENTRIES_PER_PIECE).min(all.list.len())))
    }

    /// How many pieces there are in all.
    fn count(&self, all: &Reads) -> usize {
        self.pieces.len() + all.list.len().div_ceil(ENTRIES_PER_PIECE)
    }

    /// The whole numbering, waited for (`None` if the other thread is gone).
    fn all(&self) -> Option<Arc<Reads>> {
        self.sync.wait(|s| s.all.is_some()).all.clone()
    }

    /// Formats piece `p` into `buf` as it sits in its list (at depth 2),
    /// referring to what was formatted early instead of copying it.
    fn format(&self, p: &Piece, head: &Reads, all: &Reads, mut buf: Vec<u8>) -> (Vec<u8>, Refs<'a>) {
        let report = self.report;
        // Room for the references to what was formatted early (a few for
        // each entry), when something was: made for each piece, grown from
        // nothing they were copied about ten times as they doubled.
        let mut refs = Refs::with_capacity(if self.early.is_some() { REFS_PER_PIECE } else { 0 });
        if matches!(p, Piece::Policies(_)) {
            // Formatted in full: room for the piece, once, in a buffer
            // the pool may have given small.
            buf.reserve(POLICIES_PIECE_ROOM);
        }
        let mut w = JsonWriter::piece(buf, 2, p.starts_list());
        match p {
            Piece::Initiatives(range) => match &self.early {
                Some(early) => early.write_initiatives(&mut w, report, range.clone(), all, &mut refs),
                None => {
                    let reads = if range.end <= self.k { head } else { all };
                    for i in &report.initiatives[range.clone()] {
                        w.item();
                        initiative(&mut w, reads, i);
                    }
                }
            },
            Piece::Policies(range) => report.policies[range.clone()].iter().for_each(|p| {
                w.item();
                policy(&mut w, all, p);
            }),
            Piece::Kpis(range) => {
                for i in range.clone() {
                    if !self.early.as_ref().is_some_and(|e| e.write_kpi(&mut w, all, i, &mut refs)) {
                        w.item();
                        kpi(&mut w, all, &report.kpis[i]);
                    }
                }
            }
            Piece::Reads(range) => {
                for (i, e) in range.clone().zip(&all.list[range.clone()]) {
                    match self.early.as_ref().and_then(|early| early.read(i)) {
                        Some(bytes) => w.formatted_item(bytes, &mut refs),
                        None => {
                            w.item();
                            evidence(&mut w, e);
                        }
                    }
                }
            }
        }
        (w.into_buffer(), refs)
    }

    /// Takes and formats pieces until none is left, calling `after`
    /// after each; returns at once should the other thread be gone.
    fn take_pieces(&self, head: &Reads, mut after: impl FnMut()) {
        let mut all: Option<Arc<Reads>> = None;
        loop {
            let j = self.next.fetch_add(1, Ordering::Relaxed);
            // The first half's initiatives need only its own numbering.
            let first_half = matches!(self.pieces.get(j), Some(Piece::Initiatives(r)) if r.end <= self.k);
            if !first_half && all.is_none() {
                all = self.all();
                if all.is_none() {
                    return;
                }
            }
            let Some(p) = self.piece(j, all.as_deref()) else { return };
            let buf = self.sync.lock().pool.pop().unwrap_or_default();
            let bytes = self.format(&p, head, all.as_deref().unwrap_or(head), buf);
            self.sync.update(|s| {
                if s.done.len() <= j {
                    s.done.resize_with(j + 1, || None);
                }
                s.done[j] = Some(bytes);
            });
            after();
        }
    }
}

/// Writes `report` to `out` on two threads, its reads numbered in two
/// halves from the initiative `k` (at least 1, at most their number), or
/// first, from the initiatives formatted `early` (then `k` is unused).
pub(super) fn write_parts(
    report: &Report,
    out: impl Write,
    k: usize,
    early: Option<&EarlyJson>,
) -> std::io::Result<()> {
    if let Some(early) = early.filter(|e| e.is_released()) {
        // Each piece of initiatives is written from its chunks alone.
        let ranges = pieces(report, report.initiatives.len()).into_iter().filter_map(|p| match p {
            Piece::Initiatives(range) => Some(range),
            _ => None,
        });
        if !early.covers(report, ranges) {
            return Err(super::json_early::released_again());
        }
    }
    let chunks = early;
    let (numbered, early) = early.filter(|e| e.fits(report)).map(|e| e.number(report)).unzip();
    let numbered = numbered.map(Arc::new);
    // With the reads numbered, every initiative reads the whole numbering.
    let k = if numbered.is_some() { report.initiatives.len() } else { k };
    let work = Work {
        report,
        k,
        pieces: pieces(report, k),
        next: AtomicUsize::new(0),
        sync: Board {
            state: Mutex::new(Shared {
                head: numbered.clone(),
                all: numbered.clone(),
                done: Vec::new(),
                pool: Vec::new(),
                ended: false,
            }),
            changed: Condvar::new(),
        },
        early,
    };
    let mut w = JsonWriter::new(out);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let _ends = Ends(&work.sync);
            if let Some(all) = &numbered {
                work.take_pieces(all, || {});
                return;
            }
            let mine = Reads::from(report, k);
            let Some(head) = work.sync.wait(|s| s.head.is_some()).head.clone() else { return };
            let all = Arc::new(mine.after(&head));
            work.sync.update(|s| s.all = Some(all));
            work.take_pieces(&head, || {});
        });
        let _ends = Ends(&work.sync);
        let first_half = match &numbered {
            Some(all) => Arc::clone(all),
            None => {
                let first_half = Arc::new(Reads::of(report, Some(k)));
                work.sync.update(|s| s.head = Some(Arc::clone(&first_half)));
                first_half
            }
        };
        head(&mut w, report);
        let mut order = Order { written: 0, list: 0 };
        work.take_pieces(&first_half, || order.write_ready(&work, &mut w, false));
        order.write_ready(&work, &mut w, true);
        if let Err(panic) = other.join() {
            std::panic::resume_unwind(panic);
        }
    });
    if let (Some(chunks), Some(numbered)) = (chunks, numbered) {
        chunks.keep_numbering(numbered);
    }
    w.finish().map(drop)
}

/// Where this thread is in writing the pieces in order.
struct Order {
    /// The number of the next piece to write.
    written: usize,
    /// The list being written (see [`Piece::list`]).
    list: usize,
}

impl Order {
    /// Writes the pieces ready in order; with `to_end`, waits for each
    /// until the last is written, and closes the report's lists.
    fn write_ready<W: Write>(&mut self, work: &Work<'_>, w: &mut JsonWriter<W>, to_end: bool) {
        loop {
            let j = self.written;
            let past_last = |s: &Shared<'_>| s.all.as_ref().is_some_and(|a| j >= work.count(a));
            let (bytes, finished) = {
                let mut s = if to_end {
                    work.sync.wait(|s| s.done.get(j).is_some_and(Option::is_some) || past_last(s))
                } else {
                    work.sync.lock()
                };
                (s.done.get_mut(j).and_then(Option::take), past_last(&s))
            };
            let Some((mut bytes, refs)) = bytes else {
                if to_end && finished {
                    self.close_lists(w, 4);
                }
                return;
            };
            // Past the lists' pieces come the reads'.
            self.close_lists(w, work.pieces.get(j).map_or(3, Piece::list));
            w.write_piece_with(&bytes, &refs);
            self.written += 1;
            bytes.clear();
            work.sync.lock().pool.push(bytes);
        }
    }

    /// Closes the lists before list `upto` and opens the next ones (an
    /// empty list is opened and closed with nothing between); list 4 is
    /// past the last, and the report's object is closed.
    fn close_lists<W: Write>(&mut self, w: &mut JsonWriter<W>, upto: usize) {
        while self.list < upto {
            w.close_list();
            self.list += 1;
            match self.list {
                1 => w.raw_key("\"policies\": "),
                2 => w.raw_key("\"kpis\": "),
                3 => w.raw_key("\"reads\": "),
                _ => {
                    w.close_object();
                    return;
                }
            }
            w.open_list();
        }
    }
}
