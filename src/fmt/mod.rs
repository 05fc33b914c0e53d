//! The canonical formatter behind `compel fmt` and the editor's "format
//! document".
//!
//! [`format_source`] parses a file and prints it in the one canonical layout
//! described below. A file with a syntax error is never rewritten: the
//! diagnostics come back instead. The formatter is *lossless* (every comment
//! survives, in its place; the formatted file parses to the same tree) and
//! *idempotent* (formatting formatted text changes nothing).
//!
//! # Formatting
//!
//! - Indentation is two spaces per level; the output has no tabs, no trailing
//!   spaces, `\n` line ends and exactly one final newline.
//! - Every attribute, criterion and test statement sits on its own line, and
//!   so does every declaration, even a short one (`role CEO { title "..." }`
//!   becomes three lines). A body with nothing in it is written `{}`.
//! - Attribute values line up in a column within a block: the column is the
//!   longest attribute name of that block plus one space
//!   (`title          "Fraud AI"` above `approved_until 2027-06-30`). The same
//!   rule aligns the keys of a label map written over several lines, the
//!   `require` / `expect` / `advise` keywords of one gate or policy (so with a
//!   `require` in the block, `expect` is followed by two spaces), and the
//!   `now` / `metrics` / `series` statements of a test block. `expect`
//!   statements of a test are not padded.
//! - `because "..."` always goes on its own line, indented two spaces more
//!   than its criterion.
//! - Blank lines: at most one in a row, and never at the start or the end of
//!   a block. A blank line in the input between two top-level items, two
//!   members of a block or two comments is kept (several collapse to one);
//!   nested declarations and gates inside a declaration are always
//!   separated from their neighbours by one blank line.
//! - Expressions take single spaces around binary operators, `and`, `or`,
//!   `in`, `for` and after `not`; none inside `( )` and `[ ]`, none after
//!   unary `-`; `, ` between elements and arguments; `: ` after a
//!   quantifier's list (`all(d in datasets: d.versioned)`). Parentheses are
//!   kept as written. Numbers, dates and times are printed as written
//!   (`1_200_000 USD`, `2026-11-24T02:00:00+02:00`); strings are re-escaped
//!   (`\"`, `\\`, `\n`, `\t`; everything else, emoji included, verbatim).
//!   Label maps stay on one line: `labels { model "scoring-v2" }`.
//! - A line that would be longer than 100 columns (counted in characters,
//!   comments not included) has its outermost lists broken: one element per
//!   line, indented two more, each followed by a comma, the closing `]` on
//!   its own line. Each element line is checked again. A long label map or
//!   built-in parameter list is broken the same way. Nothing else is
//!   wrapped.
//! - Comments: a comment on its own line stays on its own line, at the
//!   indentation of what follows it (it belongs to the next item, member,
//!   criterion or list element; at the end of a block, at the block's
//!   indentation). A comment after code on the same line stays there,
//!   two spaces after the code. `///` doc comments are comments like any
//!   other, so they stay in front of what they document. Comments keep their
//!   text (trailing whitespace removed) and their order. A comment inside a
//!   list or label map breaks it over several lines; one elsewhere inside an
//!   expression ends the line there and the expression continues on the next
//!   line, indented two more.
//! - Apart from blank lines and from whether a comment ends a line of code
//!   or stands on its own, whitespace in the input never changes the output.

mod flat;
mod printer;

use crate::diag::Diagnostic;
use crate::syntax::ast::File;
use crate::syntax::{parse, ParseLimits};
use crate::text::FileId;

/// The column limit: a longer line has its lists broken one element per line.
pub const MAX_WIDTH: usize = 100;

/// Formats a whole file.
///
/// Returns the canonical text, or the parser's diagnostics when the file has
/// a syntax error (a broken file is never rewritten). Warnings and notes from
/// the parser alone do not stop formatting.
///
/// ```
/// let out = compel::fmt::format_source("kpi a{metric \"m\" target>=92%}").expect("formats");
/// assert_eq!(out, "kpi a {\n  metric \"m\"\n  target >= 92%\n}\n");
/// ```
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diags) = parse(FileId(0), text, ParseLimits::default());
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    format_file(&file, text).ok_or(diags)
}

/// Formats a file that is already parsed from `text`.
///
/// Returns `None` when the file holds an item or a line that did not
/// parse: the formatter never rewrites broken text.
pub fn format_file(file: &File, text: &str) -> Option<String> {
    if !file.is_whole() {
        return None;
    }
    Some(printer::Printer::new(text, &file.comments).file(file))
}

/// Whether `text` is already in the canonical layout (`compel fmt --check`).
/// A file with a syntax error gives its diagnostics.
pub fn is_formatted(text: &str) -> Result<bool, Vec<Diagnostic>> {
    format_source(text).map(|out| out == text)
}
