//! A report's initiatives formatted as they are evaluated, for the way the
//! report is to be written.
//!
//! Formatted once the evaluation is over, a large report is read back
//! from memory whose contents have long left the cache, and waiting for it
//! was most of the writing's time. On two threads, the evaluation formats
//! each chunk of initiatives as soon as it has evaluated it, while it is
//! still in the cache; the report is then written from those chunks (the
//! same bytes). An initiative changed since (asked about with `--ready`)
//! is formatted again when written.

// Only the command line formats a report as it is evaluated.
#![cfg_attr(not(feature = "cli"), expect(dead_code))]

use std::cell::Cell;
use std::ops::Range;
use std::thread::LocalKey;

use super::json_early::{Chunk, ChunkNumbering, EarlyJson};
use super::{InitiativeReport, PolicyReport, Report};

/// How the initiatives are formatted as they are evaluated: as the report
/// will be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EarlyFormat {
    /// JSON ([`super::Report::write_json_early`]).
    Json,
    /// The terminal report, with or without colours
    /// ([`crate::eval::render::human_early`]).
    Human { color: bool },
}

/// A chunk of initiatives formatted.
pub(crate) enum EarlyChunk {
    Json(Chunk),
    Human(String),
}

impl EarlyFormat {
    /// `initiatives`, the report's from position `at` on, formatted, with
    /// their positions.
    pub(crate) fn format(self, at: usize, initiatives: &[InitiativeReport]) -> (Range<usize>, EarlyChunk) {
        thread_local! {
            static PER_INITIATIVE: Cell<usize> = const { Cell::new(1024) };
        }
        let sizes = PerItem(&PER_INITIATIVE);
        let room = sizes.room(initiatives.len());
        let (chunk, len) = match self {
            EarlyFormat::Json => {
                let chunk = Chunk::format(at == 0, initiatives, room);
                let len = chunk.len();
                (EarlyChunk::Json(chunk), len)
            }
            EarlyFormat::Human { color } => {
                let text = crate::eval::render::human_initiatives(initiatives, color, room);
                let len = text.len();
                (EarlyChunk::Human(text), len)
            }
        };
        sizes.took(len, initiatives.len());
        (at..at + initiatives.len(), chunk)
    }
}

/// The bytes an item took in this thread's last buffer of a kind. A
/// buffer formatted early is held to the end of the evaluation: it gets
/// an eighth more room than that, since growing it would copy it again
/// and room left unused is memory touched for nothing.
pub(super) struct PerItem(pub(super) &'static LocalKey<Cell<usize>>);

impl PerItem {
    /// The room for `n` items, and for the run of a line break's bytes
    /// the JSON writer copies before cutting it back, so that the last
    /// line break does not grow the buffer.
    pub(super) fn room(&self, n: usize) -> usize {
        self.0.get() * 9 / 8 * n + super::json_write::RUN
    }

    /// A buffer of `n` items took `len` bytes.
    pub(super) fn took(&self, len: usize, n: usize) {
        self.0.set(len / n.max(1));
    }
}

impl EarlyFormat {
    /// The policies' results formatted, for a format that writes them as
    /// a piece of their own (the terminal report's section on them).
    pub(crate) fn format_policies(self, policies: &[PolicyReport]) -> Option<String> {
        match self {
            EarlyFormat::Json => None,
            EarlyFormat::Human { color } => Some(crate::eval::render::human_policies_text(policies, color)),
        }
    }
}

impl InitiativeReport {
    /// Drops what only the report's text shows (each gate's criteria and
    /// reason, the blockers, the KPIs and the evidence), once the
    /// initiative is formatted and written from that text alone: what
    /// [`Report::tally`] reads (readiness, each gate's outcome) stays.
    pub(crate) fn release_details(&mut self) {
        for g in &mut self.gates {
            g.criteria = Vec::new();
            g.reason = String::new();
        }
        self.blocked_by = Vec::new();
        self.kpis = Vec::new();
        self.evidence = Vec::new();
    }
}

/// A report's initiatives formatted as they were evaluated.
pub(crate) enum Early {
    Json(EarlyJson),
    Human(EarlyHuman),
}

/// The terminal report's blocks of initiatives, formatted as they were
/// evaluated.
pub(crate) struct EarlyHuman {
    pub(crate) color: bool,
    pub(crate) chunks: Chunks<String>,
    /// The section on the policies, rendered as they were evaluated.
    pub(crate) policies: Option<String>,
}

/// Runs of a report's initiatives, each formatted as a `T`: in the
/// initiatives' order, none overlapping.
pub(crate) struct Chunks<T> {
    list: Vec<(Range<usize>, T)>,
}

impl<T> Chunks<T> {
    /// The chunks, in any order, with their positions; `None` if there
    /// are none or two overlap.
    pub(crate) fn new(mut list: Vec<(Range<usize>, T)>) -> Option<Self> {
        list.sort_unstable_by_key(|(at, _)| at.start);
        let apart = list.windows(2).all(|w| w[0].0.end <= w[1].0.start);
        (apart && !list.is_empty()).then_some(Chunks { list })
    }

    /// No chunks at all.
    pub(super) fn none() -> Self {
        Chunks { list: Vec::new() }
    }

    /// The chunks in order, with their positions.
    pub(super) fn iter(&self) -> impl Iterator<Item = &(Range<usize>, T)> {
        self.list.iter()
    }

    /// Where the last chunk ends.
    pub(super) fn end(&self) -> usize {
        self.list.last().map_or(0, |(at, _)| at.end)
    }

    /// The initiatives at `range` of `report`, in order: each chunk inside
    /// `range` none of whose initiatives was asked about since it was
    /// formatted, and each other initiative alone.
    pub(crate) fn cover<'c>(&'c self, report: &'c Report, range: Range<usize>) -> impl Iterator<Item = Run<'c, T>> {
        let mut at = range.start;
        std::iter::from_fn(move || {
            if at >= range.end {
                return None;
            }
            let found = self.list.binary_search_by_key(&at, |(c, _)| c.start).ok();
            let usable = found.filter(|i| {
                let c = &self.list[*i].0;
                c.end <= range.end && !report.initiatives[c.clone()].iter().any(|i| i.asked)
            });
            Some(match usable {
                Some(i) => {
                    at = self.list[i].0.end;
                    Run::Chunk(i, &self.list[i].1)
                }
                None => {
                    at += 1;
                    Run::One(at - 1)
                }
            })
        })
    }
}

/// A step through the initiatives ([`Chunks::cover`]).
pub(crate) enum Run<'c, T> {
    /// The chunk numbered so, formatted.
    Chunk(usize, &'c T),
    /// The initiative at this position, to format now.
    One(usize),
}

impl Early {
    /// The chunks, in any order, with their positions, all of `format`:
    /// `None` if there are none, two overlap or one is of another format.
    /// JSON chunks come with their reads numbered as they were formatted,
    /// when they were (`numbering`).
    pub(crate) fn new(
        chunks: Vec<(Range<usize>, EarlyChunk)>,
        format: EarlyFormat,
        policies: Option<String>,
        numbering: Option<ChunkNumbering>,
    ) -> Option<Early> {
        match format {
            EarlyFormat::Json => {
                let json = chunks.into_iter().map(|(at, c)| match c {
                    EarlyChunk::Json(c) => Some((at, c)),
                    EarlyChunk::Human(_) => None,
                });
                let json = EarlyJson::new(Chunks::new(json.collect::<Option<_>>()?)?);
                Some(Early::Json(match numbering {
                    Some(numbering) => json.with_numbering(numbering),
                    None => json,
                }))
            }
            EarlyFormat::Human { color } => {
                let human = chunks.into_iter().map(|(at, c)| match c {
                    EarlyChunk::Human(text) => Some((at, text)),
                    EarlyChunk::Json(_) => None,
                });
                let chunks = Chunks::new(human.collect::<Option<_>>()?)?;
                Some(Early::Human(EarlyHuman { color, chunks, policies }))
            }
        }
    }

    /// No JSON chunks, the initiatives' details released all the same
    /// (should the evaluation ever give none after releasing them): the
    /// report is refused rather than written without them.
    pub(crate) fn released_without_chunks() -> Early {
        Early::Json(EarlyJson::new(Chunks::none()).released())
    }

    /// The same, the initiatives' details released once formatted
    /// ([`EarlyJson::released`]).
    pub(crate) fn released(self) -> Early {
        match self {
            Early::Json(json) => Early::Json(json.released()),
            human => human,
        }
    }

    /// The JSON chunks, if these are.
    pub(crate) fn json(&self) -> Option<&EarlyJson> {
        match self {
            Early::Json(json) => Some(json),
            Early::Human(_) => None,
        }
    }

    /// The terminal report's chunks, if these are.
    pub(crate) fn human(&self) -> Option<&EarlyHuman> {
        match self {
            Early::Human(human) => Some(human),
            Early::Json(_) => None,
        }
    }
}
