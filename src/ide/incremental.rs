//! Analysis that reuses the previous one's work: what the language server
//! runs on every change.
//!
//! [`Incremental::analyse`] gives exactly the [`Analysis`] that
//! [`analyze_project`](crate::analysis::analyze_project) gives for the same
//! files (the `lsp_incremental` tests hold it to that over random edit
//! storms), reusing from one call to the next the parsed top-level pieces
//! of every file ([`ParseCache`]: an edit inside one declaration re-parses
//! that declaration alone) and the check's results for what the edit
//! cannot affect ([`check::check_reusing`]: an edit inside one declaration
//! re-checks it, the declarations that refer to it and the policies and
//! gates that read it).

use crate::analysis::{analyze_project_with_host, Analysis, Settings, SourceLoader};
use crate::check::{self, Change, Reuse, ReuseStats};
use crate::ide::ParseCache;
use crate::text::{FileId, Files};

/// An analyser that remembers what it parsed and checked.
#[derive(Default)]
pub struct Incremental {
    cache: ParseCache,
    reuse: Reuse,
    /// Each file's path and text at the last check.
    last: Vec<(String, String)>,
    /// The settings of the last check (other limits may parse the same
    /// text differently, other policy sets govern other files).
    settings: Option<Settings>,
}

impl Incremental {
    /// An analyser with nothing remembered yet.
    pub fn new() -> Incremental {
        Incremental::default()
    }

    /// Analyses `roots` as [`analyze_project`](crate::analysis::analyze_project)
    /// does, reusing what the previous call parsed and checked.
    pub fn analyse(&mut self, roots: &[String], loader: &dyn SourceLoader, settings: &Settings) -> Analysis {
        if self.settings.as_ref() != Some(settings) {
            self.reuse.forget();
            self.settings = Some(settings.clone());
        }
        let Incremental { cache, reuse, last, .. } = self;
        let analysis = analyze_project_with_host(
            roots,
            loader,
            settings,
            &mut |f, t, l| cache.parse(f, t, l),
            &mut |files, asts, visible, options| {
                let changes = changes(last, files);
                *last = files.iter().map(|(_, f)| (f.path.clone(), f.text.clone())).collect();
                check::check_reusing(files, asts, visible, options, reuse, changes)
            },
        );
        self.cache.end_run();
        analysis
    }

    /// How many top-level pieces were reused and how many parsed, over
    /// every call so far.
    pub fn parse_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }

    /// Forgets the last check (the next call checks the whole workspace,
    /// still reusing what was parsed): what benchmarks compare with.
    pub fn forget_checks(&mut self) {
        self.reuse.forget();
    }

    /// What the last call's check re-checked and reused, or why it ran
    /// whole.
    pub fn check_stats(&self) -> ReuseStats {
        self.reuse.stats()
    }
}

/// Each file's edited bytes since `last` (the files at the same places
/// with the same paths; the check runs whole when they are not).
fn changes(last: &[(String, String)], files: &Files) -> Vec<Change> {
    let mut out = Vec::new();
    for ((id, f), (path, old)) in files.iter().zip(last) {
        if f.path != *path || f.text == *old {
            continue;
        }
        out.push(change(id, old.as_bytes(), f.text.as_bytes()));
    }
    out
}

/// The one range of `new` that differs from `old`: their common prefix
/// and suffix left out.
fn change(file: FileId, old: &[u8], new: &[u8]) -> Change {
    let prefix = old.iter().zip(new).position(|(a, b)| a != b).unwrap_or(old.len().min(new.len()));
    let room = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(room).take_while(|(a, b)| a == b).count();
    Change { file, start: prefix as u32, old_end: (old.len() - suffix) as u32, new_end: (new.len() - suffix) as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_change_is_the_differing_middle() {
        let f = FileId(0);
        let c = change(f, b"abcdef", b"abXYdef");
        assert_eq!((c.start, c.old_end, c.new_end), (2, 3, 4));
        let c = change(f, b"aaaa", b"aaaaaa");
        assert_eq!((c.start, c.old_end, c.new_end), (4, 4, 6));
        let c = change(f, b"abab", b"ab");
        assert_eq!((c.start, c.old_end, c.new_end), (2, 4, 2));
    }
}
