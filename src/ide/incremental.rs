//! Analysis that reuses the previous one's work: what the language server
//! runs on every change.
//!
//! [`Incremental::analyse`] gives exactly the [`Analysis`] that
//! [`analyze_project`](crate::analysis::analyze_project) gives for the same
//! files (the `lsp_incremental` tests hold it to that over random edit
//! storms), reusing from one call to the next the parsed top-level pieces
//! of every file ([`ParseCache`]: an edit inside one declaration re-parses
//! that declaration alone).

use crate::analysis::{analyze_project_with_parser, Analysis, Settings, SourceLoader};
use crate::ide::ParseCache;

/// An analyser that remembers what it parsed.
#[derive(Default)]
pub struct Incremental {
    cache: ParseCache,
}

impl Incremental {
    /// An analyser with nothing remembered yet.
    pub fn new() -> Incremental {
        Incremental::default()
    }

    /// Analyses `roots` as [`analyze_project`](crate::analysis::analyze_project)
    /// does, reusing what the previous call parsed.
    pub fn analyse(&mut self, roots: &[String], loader: &dyn SourceLoader, settings: &Settings) -> Analysis {
        let cache = &mut self.cache;
        let analysis = analyze_project_with_parser(roots, loader, settings, &mut |f, t, l| cache.parse(f, t, l));
        self.cache.end_run();
        analysis
    }

    /// How many top-level pieces were reused and how many parsed, over
    /// every call so far.
    pub fn parse_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }
}
