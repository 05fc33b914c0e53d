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

use std::ops::Range;

use super::json_early::{Chunk, EarlyJson};
use super::InitiativeReport;

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
    Human(Range<usize>, String),
}

impl EarlyFormat {
    /// `initiatives`, the report's from position `at` on, formatted.
    pub(crate) fn format(self, at: usize, initiatives: &[InitiativeReport]) -> EarlyChunk {
        match self {
            EarlyFormat::Json => EarlyChunk::Json(Chunk::format(at, initiatives)),
            EarlyFormat::Human { color } => EarlyChunk::Human(
                at..at + initiatives.len(),
                crate::eval::render::human_initiatives(initiatives, color),
            ),
        }
    }
}

/// A report's initiatives formatted as they were evaluated.
pub(crate) enum Early {
    Json(EarlyJson),
    Human(EarlyHuman),
}

/// The terminal report's blocks of initiatives, formatted as they were
/// evaluated: in the initiatives' order, none overlapping.
pub(crate) struct EarlyHuman {
    pub(crate) color: bool,
    pub(crate) chunks: Vec<(Range<usize>, String)>,
}

impl Early {
    /// The chunks, in any order, of one format: `None` if there are none,
    /// two overlap or their formats differ.
    pub(crate) fn new(chunks: Vec<EarlyChunk>, format: EarlyFormat) -> Option<Early> {
        match format {
            EarlyFormat::Json => {
                let json = chunks.into_iter().map(|c| match c {
                    EarlyChunk::Json(c) => Some(c),
                    EarlyChunk::Human(..) => None,
                });
                EarlyJson::new(json.collect::<Option<Vec<_>>>()?).map(Early::Json)
            }
            EarlyFormat::Human { color } => {
                let mut human = chunks
                    .into_iter()
                    .map(|c| match c {
                        EarlyChunk::Human(at, text) => Some((at, text)),
                        EarlyChunk::Json(_) => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                human.sort_unstable_by_key(|(at, _)| at.start);
                let apart = human.windows(2).all(|w| w[0].0.end <= w[1].0.start);
                apart.then_some(Early::Human(EarlyHuman { color, chunks: human }))
            }
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
