//! Renders diagnostics for the terminal, JSON, SARIF and GitHub.
//!
//! This module is the one place where a [`Diagnostic`] becomes text for an
//! output format (the language server converts its own, because it alone
//! counts UTF-16 columns). Every format reads the same fields:
//!
//! - [`terminal`]: rustc-like snippets through `codespan-reporting`,
//!   `error[E0301]: unknown name` with labels and a `help:` note;
//! - [`json`]: the `--format json` contract,
//!   `{"diagnostics": [{"severity", "code", "message", "file", "line",
//!   "column", "end_line", "end_column", "help"?}]}`;
//! - [`sarif`]: a SARIF 2.1.0 log for code-scanning services;
//! - [`github`]: GitHub Actions workflow commands (`::error file=...::...`);
//! - [`MietteDiagnostic`]: a `miette::Diagnostic` for library users.
//!
//! Lines and columns are 1-based and columns count characters (Unicode
//! scalar values), as [`SourceFile::line_col`] computes them. The functions
//! render diagnostics in the order given (sort them first with
//! [`super::sort`]) and return text ready for `print!`: it ends with a
//! newline unless it is empty. Spans are clamped to their file's text, so a
//! stale span never panics a renderer.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files as cs_files;
use codespan_reporting::term;
use codespan_reporting::term::termcolor::Buffer;
use serde::Serialize;

use super::{Code, Diagnostic, Severity};
use crate::text::{clamp_to_char_boundary, FileId, FileSpan, Files, LineCol, SourceFile, Span};

mod github;
mod miette_adapter;
mod sarif;
#[cfg(test)]
mod tests;

pub use github::{github, github_failure_summary, github_summary, GITHUB_ANNOTATIONS_PER_KIND};
pub use miette_adapter::MietteDiagnostic;
pub use sarif::{
    explanation_markdown, file_uri, help_uri, sarif, sarif_with, Artifact, SarifAutomation, SarifFailure, SarifOptions,
    AZURE_DEVOPS_PREFIX, DIAGNOSTICS_DOC, FINGERPRINT_KEY, NO_PHASE_ID, SRCROOT,
};

// ---------------------------------------------------------------------------
// Shared helpers

/// The file with this id, if the table has it.
fn source_file(files: &Files, id: FileId) -> Option<&SourceFile> {
    ((id.0 as usize) < files.len()).then(|| files.get(id))
}

/// The span as a byte range that is valid for slicing `text`: both ends on
/// char boundaries, inside the text, and `start <= end`.
fn byte_range(text: &str, span: Span) -> Range<usize> {
    let start = clamp_to_char_boundary(text, span.start as usize);
    let end = clamp_to_char_boundary(text, span.end as usize).max(start);
    start..end
}

/// Where a span is, in the words of the output formats.
struct Place<'a> {
    /// The file's display path (empty when the file is not in the table).
    path: &'a str,
    /// 1-based line and character column of the first character.
    start: LineCol,
    /// 1-based line and character column just past the last character.
    end: LineCol,
}

/// The path and line/column range of `at`.
fn place(files: &Files, at: FileSpan) -> Place<'_> {
    match source_file(files, at.file) {
        Some(file) => {
            let range = byte_range(&file.text, at.span);
            Place { path: &file.path, start: file.line_col(range.start), end: file.line_col(range.end) }
        }
        None => {
            let origin = LineCol { line: 1, column: 1 };
            Place { path: "", start: origin, end: origin }
        }
    }
}

/// The message followed by the help line, as one plain text.
fn message_with_help(diag: &Diagnostic) -> String {
    match &diag.help {
        Some(help) => format!("{}\nhelp: {help}", diag.message),
        None => diag.message.clone(),
    }
}

/// Pretty JSON followed by a newline.
fn to_pretty_json<T: Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // The values are structs of strings and integers: serializing them
        // cannot fail, and printing nothing would hide the diagnostics.
        Err(err) => unreachable!("serializing diagnostics failed: {err}"),
    }
}

// ---------------------------------------------------------------------------
// Terminal

/// Our file table seen through codespan-reporting's `Files` trait.
struct CodespanFiles<'a>(&'a Files);

impl<'a> CodespanFiles<'a> {
    fn file(&self, id: FileId) -> Result<&'a SourceFile, cs_files::Error> {
        source_file(self.0, id).ok_or(cs_files::Error::FileMissing)
    }
}

/// Byte offset where 0-based `line` starts; the line after the last one
/// "starts" at the end of the text, as codespan expects.
fn line_start(file: &SourceFile, line: usize) -> Result<usize, cs_files::Error> {
    let count = file.lines.line_count();
    match line.cmp(&count) {
        std::cmp::Ordering::Less => Ok(file.lines.line_start(line)),
        std::cmp::Ordering::Equal => Ok(file.text.len()),
        std::cmp::Ordering::Greater => Err(cs_files::Error::LineTooLarge { given: line, max: count - 1 }),
    }
}

impl<'a> cs_files::Files<'a> for CodespanFiles<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, cs_files::Error> {
        Ok(&self.file(id)?.path)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, cs_files::Error> {
        Ok(&self.file(id)?.text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, cs_files::Error> {
        Ok(self.file(id)?.lines.line_of(byte_index))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, cs_files::Error> {
        let file = self.file(id)?;
        Ok(line_start(file, line_index)?..line_start(file, line_index + 1)?)
    }
}

/// A codespan label at `at`, or `None` when its file is not in the table.
fn codespan_label(files: &Files, style: cs::LabelStyle, at: FileSpan, message: &str) -> Option<cs::Label<FileId>> {
    let file = source_file(files, at.file)?;
    Some(cs::Label::new(style, at.file, byte_range(&file.text, at.span)).with_message(message))
}

/// Converts one diagnostic to codespan's model.
fn to_codespan(files: &Files, diag: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match diag.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    let primary = codespan_label(files, cs::LabelStyle::Primary, diag.primary, &diag.primary_label);
    let secondary = diag
        .labels
        .iter()
        .filter_map(|label| codespan_label(files, cs::LabelStyle::Secondary, label.at, &label.message));
    cs::Diagnostic::new(severity)
        .with_code(diag.code.as_str())
        .with_message(&diag.message)
        .with_labels(primary.into_iter().chain(secondary).collect())
        .with_notes(diag.help.iter().map(|help| format!("help: {help}")).collect())
}

/// Renders diagnostics for a terminal, like rustc:
///
/// ```text
/// error[E0301]: unknown name `acuracy`
///    --> policies/fraud.compel:12:9
///    |
/// 12 |   kpis [acuracy]
///    |         ^^^^^^^
///    |
///    = help: did you mean `accuracy`?
/// ```
///
/// With `color`, the text carries ANSI escapes. Each diagnostic ends with an
/// empty line; the summary line (`2 errors`) is the caller's.
pub fn terminal(files: &Files, diags: &[Diagnostic], color: bool) -> String {
    let config = term::Config { chars: term::Chars::ascii(), ..term::Config::default() };
    let codespan_files = CodespanFiles(files);
    let mut out = Vec::new();
    for diag in diags {
        // One buffer per diagnostic, so a failed rendering leaves no half.
        let mut buffer = if color { Buffer::ansi() } else { Buffer::no_color() };
        match term::emit(&mut buffer, &config, &codespan_files, &to_codespan(files, diag)) {
            Ok(()) => out.extend_from_slice(buffer.as_slice()),
            Err(_) => {
                // Unreachable with clamped spans and known files; still,
                // never lose a diagnostic.
                let header = format!("{}[{}]: {}\n\n", diag.severity.as_str(), diag.code.as_str(), diag.message);
                out.extend_from_slice(header.as_bytes());
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// JSON

/// The `--format json` document.
#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

/// One diagnostic of the `--format json` document; the field order is the
/// contract's.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

/// The JSON printed without diagnostics, byte for byte.
const EMPTY_JSON: &str = "{\"diagnostics\": []}\n";

/// Renders diagnostics as the `--format json` document:
/// `{"diagnostics": [{"severity", "code", "message", "file", "line", "column",
/// "end_line", "end_column", "help"?}]}`, lines and columns 1-based, columns
/// in characters, `help` only when there is one.
///
/// The output is pretty-printed with two-space indentation, except that no
/// diagnostics print exactly `{"diagnostics": []}`.
pub fn json(files: &Files, diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return EMPTY_JSON.to_string();
    }
    let diagnostics = diags
        .iter()
        .map(|diag| {
            let at = place(files, diag.primary);
            JsonDiagnostic {
                severity: diag.severity.as_str(),
                code: diag.code.as_str(),
                message: &diag.message,
                file: at.path,
                line: at.start.line,
                column: at.start.column,
                end_line: at.end.line,
                end_column: at.end.column,
                help: diag.help.as_deref(),
            }
        })
        .collect();
    to_pretty_json(&JsonReport { diagnostics })
}
