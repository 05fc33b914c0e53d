//! The one diagnostic model, from the parser to the terminal, CI and editor.
//!
//! A [`Diagnostic`] has a stable [`Code`], a severity, a short lowercase
//! message in plain words, a primary span, secondary labelled spans, an
//! optional help line and an optional machine-applicable [`Fix`]. Each front
//! end converts it in exactly one place: [`render`] for the terminal, JSON,
//! SARIF and GitHub annotations; `lsp` for the editor.

pub mod codes;
pub mod render;

pub use codes::Code;

use crate::text::{FileId, FileSpan, Span};

/// How serious a diagnostic is.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational: an `advise` that does not hold, or a hint.
    Note,
    /// Does not block, but should be looked at (an `expect`).
    Warning,
    /// Blocks: the policy set does not check.
    Error,
}

impl Severity {
    /// The lowercase word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A secondary location with a short message.
#[derive(Clone, PartialEq, Debug)]
pub struct Label {
    /// Where.
    pub at: FileSpan,
    /// What it shows, e.g. "first defined here".
    pub message: String,
}

/// A machine-applicable edit: replace the text at `at` with `replacement`.
#[derive(Clone, PartialEq, Debug)]
pub struct Fix {
    /// Title shown in the editor's quick-fix menu.
    pub title: String,
    /// The edits, all in the primary file.
    pub edits: Vec<Edit>,
}

/// One text replacement.
#[derive(Clone, PartialEq, Debug)]
pub struct Edit {
    /// The range to replace (empty to insert).
    pub at: FileSpan,
    /// The new text.
    pub replacement: String,
}

/// One diagnostic.
#[derive(Clone, PartialEq, Debug)]
pub struct Diagnostic {
    /// Stable code, explained by `compel explain`.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// Short message: lowercase, no final period, names in backticks.
    pub message: String,
    /// The primary location.
    pub primary: FileSpan,
    /// Label of the primary location (may be empty).
    pub primary_label: String,
    /// Secondary locations.
    pub labels: Vec<Label>,
    /// A help line ("did you mean `accuracy`?").
    pub help: Option<String>,
    /// An optional fix the editor can apply.
    pub fix: Option<Fix>,
    /// Whether this `E0103` says the evaluation budget ran out (as opposed
    /// to a limit on the input's size or nesting); set by
    /// [`Diagnostic::step_budget`], never inferred from the message.
    pub step_budget: bool,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, at: FileSpan, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            primary: at,
            primary_label: String::new(),
            labels: Vec::new(),
            help: None,
            fix: None,
            step_budget: false,
        }
    }

    /// A diagnostic in `file` at `span`.
    pub fn at(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, FileSpan::new(file, span), message)
    }

    /// Sets the severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sets the primary label.
    pub fn with_primary_label(mut self, label: impl Into<String>) -> Self {
        self.primary_label = label.into();
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, at: FileSpan, message: impl Into<String>) -> Self {
        self.labels.push(Label { at, message: message.into() });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the fix.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Whether this error keeps `compel eval` and `compel test` from
    /// running: an error in the language itself. A policy that a declared
    /// fact violates, or an attribute a subject leaves unset, is a decision
    /// (eval reports it as `fail` or `unknown`), not a compile error; so is
    /// `compel check` running out of evaluation steps (eval has a budget of
    /// its own, and what is left when it runs out is `unknown`).
    pub fn is_compile_error(&self) -> bool {
        self.is_error() && !matches!(self.code, Code::PolicyViolated | Code::AbsentAttribute) && !self.is_step_budget()
    }

    /// Whether this is the `E0103` that says the evaluation budget ran out
    /// (as opposed to a limit on the input's size or nesting).
    pub fn is_step_budget(&self) -> bool {
        self.step_budget
    }

    /// The `E0103` that says the evaluation budget ran out.
    pub fn step_budget(at: FileSpan, message: impl Into<String>) -> Diagnostic {
        Diagnostic { step_budget: true, ..Diagnostic::new(Code::LimitExceeded, at, message) }
    }
}

/// Orders diagnostics by file, position, then code, so every output is
/// deterministic.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.primary.file, a.primary.span.start, a.primary.span.end, a.code, &a.message).cmp(&(
            b.primary.file,
            b.primary.span.start,
            b.primary.span.end,
            b.code,
            &b.message,
        ))
    });
}

/// The best "did you mean" candidate for `name` among `candidates`, by edit
/// distance (at most a third of the name's length, at least 1), ties broken
/// alphabetically so the suggestion is deterministic.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == name {
            continue;
        }
        let d = if cand.to_lowercase() == lower { 0 } else { edit_distance(&lower, &cand.to_lowercase()) };
        if d <= limit && best.is_none_or(|(bd, bc)| (d, cand) < (bd, bc)) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names() {
        assert_eq!(did_you_mean("acuracy", ["accuracy", "latency_p95"]), Some("accuracy"));
        assert_eq!(did_you_mean("zzz", ["accuracy"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
