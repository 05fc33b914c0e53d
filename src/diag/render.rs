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

// ---------------------------------------------------------------------------
// SARIF 2.1.0

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
/// Every relative URI is relative to the analysed source tree.
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [SarifRun<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun<'a> {
    tool: SarifTool<'a>,
    /// Our columns count characters, not SARIF's default UTF-16 units.
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct SarifTool<'a> {
    driver: SarifDriver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifDriver<'a> {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    version: &'a str,
    rules: Vec<SarifRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    short_description: SarifText,
    full_description: SarifText,
    help: SarifText,
    default_configuration: SarifConfiguration,
}

#[derive(Serialize)]
struct SarifConfiguration {
    level: &'static str,
}

/// A SARIF `message` (or `multiformatMessageString`, or `artifactContent`):
/// plain text.
#[derive(Serialize)]
struct SarifText {
    text: String,
}

impl SarifText {
    fn new(text: impl Into<String>) -> SarifText {
        SarifText { text: text.into() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: SarifText,
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: SarifPhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<SarifText>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysicalLocation {
    artifact_location: SarifArtifactLocation,
    region: SarifRegion,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: SarifText,
    artifact_changes: Vec<SarifArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifArtifactChange {
    artifact_location: SarifArtifactLocation,
    replacements: Vec<SarifReplacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifReplacement {
    deleted_region: SarifRegion,
    inserted_content: SarifText,
}

/// The SARIF level of a severity.
fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The package's repository or home page, when Cargo.toml names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")].into_iter().find(|uri| !uri.is_empty())
}

/// A display path as a relative URI reference: every byte but unreserved
/// characters and `/` is percent-encoded (spaces, `:`, `#`, non-ASCII ...).
fn path_to_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

fn sarif_artifact(path: &str) -> SarifArtifactLocation {
    SarifArtifactLocation { uri: path_to_uri(path), uri_base_id: SRCROOT }
}

fn sarif_region(at: &Place<'_>) -> SarifRegion {
    SarifRegion {
        start_line: at.start.line,
        start_column: at.start.column,
        end_line: at.end.line,
        end_column: at.end.column,
    }
}

fn sarif_location(files: &Files, id: Option<usize>, at: FileSpan, message: &str) -> SarifLocation {
    let at = place(files, at);
    SarifLocation {
        id,
        physical_location: SarifPhysicalLocation {
            artifact_location: sarif_artifact(at.path),
            region: sarif_region(&at),
        },
        message: (!message.is_empty()).then(|| SarifText::new(message)),
    }
}

/// The fix as SARIF: one artifact change per file, in the order the edits
/// name them. A fix without edits has nothing to apply and is left out.
fn sarif_fix(files: &Files, diag: &Diagnostic) -> Option<SarifFix> {
    let fix = diag.fix.as_ref()?;
    let mut changes: Vec<(FileId, SarifArtifactChange)> = Vec::new();
    for edit in &fix.edits {
        let at = place(files, edit.at);
        let replacement =
            SarifReplacement { deleted_region: sarif_region(&at), inserted_content: SarifText::new(&edit.replacement) };
        match changes.iter_mut().find(|(file, _)| *file == edit.at.file) {
            Some((_, change)) => change.replacements.push(replacement),
            None => changes.push((
                edit.at.file,
                SarifArtifactChange { artifact_location: sarif_artifact(at.path), replacements: vec![replacement] },
            )),
        }
    }
    (!changes.is_empty()).then(|| SarifFix {
        description: SarifText::new(&fix.title),
        artifact_changes: changes.into_iter().map(|(_, change)| change).collect(),
    })
}

/// Renders diagnostics as a SARIF 2.1.0 log, for code-scanning services
/// (GitHub code scanning, Azure DevOps, IDE viewers).
///
/// The single run's driver is `compel` at `tool_version`, with one rule per
/// [`Code`] (all of them, in [`Code::ALL`] order, so `ruleIndex` is stable):
/// the title as short description, the `compel explain` text as full
/// description and help. Each result carries its level, the message with
/// the help line appended, the primary location (URIs relative to
/// `%SRCROOT%`), secondary labels as related locations and the fix, if any.
/// The run declares `columnKind: unicodeCodePoints`: columns count
/// characters, as everywhere else in compel.
pub fn sarif(files: &Files, diags: &[Diagnostic], tool_version: &str) -> String {
    let rules = Code::ALL
        .iter()
        .map(|code| SarifRule {
            id: code.as_str(),
            short_description: SarifText::new(code.title()),
            full_description: SarifText::new(code.explanation()),
            help: SarifText::new(code.explanation()),
            default_configuration: SarifConfiguration { level: sarif_level(code.default_severity()) },
        })
        .collect();
    let results = diags
        .iter()
        .map(|diag| SarifResult {
            rule_id: diag.code.as_str(),
            rule_index: Code::ALL.iter().position(|code| *code == diag.code).unwrap_or_default(),
            level: sarif_level(diag.severity),
            message: SarifText::new(message_with_help(diag)),
            locations: vec![sarif_location(files, None, diag.primary, &diag.primary_label)],
            related_locations: diag
                .labels
                .iter()
                .enumerate()
                .map(|(id, label)| sarif_location(files, Some(id), label.at, &label.message))
                .collect(),
            fixes: sarif_fix(files, diag).into_iter().collect(),
        })
        .collect();
    let log = SarifLog {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: [SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "compel",
                    information_uri: information_uri(),
                    version: tool_version,
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    to_pretty_json(&log)
}

// ---------------------------------------------------------------------------
// GitHub Actions

/// Escapes the message of a workflow command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders diagnostics as GitHub Actions workflow commands, one a line, so
/// a CI job annotates the lines of a pull request:
///
/// ```text
/// ::error file=policies/fraud.compel,line=12,col=9,endLine=12,endColumn=16,title=E0301::unknown name `acuracy`%0Ahelp: did you mean `accuracy`?
/// ```
///
/// Errors are `::error`, warnings `::warning`, notes `::notice`. The
/// message lists the secondary labels (`path:line:column: text`) and the
/// help on lines of their own.
pub fn github(files: &Files, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diag in diags {
        let command = match diag.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = diag.message.clone();
        for label in &diag.labels {
            let at = place(files, label.at);
            message.push_str(&format!("\n{}:{}:{}", at.path, at.start.line, at.start.column));
            if !label.message.is_empty() {
                message.push_str(": ");
                message.push_str(&label.message);
            }
        }
        if let Some(help) = &diag.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let at = place(files, diag.primary);
        let mut properties = String::new();
        if !at.path.is_empty() {
            properties.push_str(&format!(
                "file={},line={},col={},endLine={},endColumn={},",
                escape_property(at.path),
                at.start.line,
                at.start.column,
                at.end.line,
                at.end.column,
            ));
        }
        properties.push_str(&format!("title={}", escape_property(diag.code.as_str())));
        out.push_str(&format!("::{command} {properties}::{}\n", escape_data(&message)));
    }
    out
}

// ---------------------------------------------------------------------------
// miette

/// One of our diagnostics as a [`miette::Diagnostic`], with its source
/// attached, for library users who already report errors with miette.
///
/// It owns a copy of the primary file's text and path, so it outlives the
/// [`Files`] it came from. Labels in the primary file become miette labels
/// (the primary one marked primary); labels in other files become
/// [`related`](miette::Diagnostic::related) diagnostics with their own
/// source.
///
/// ```
/// use compel::diag::{render::MietteDiagnostic, Code, Diagnostic};
/// use compel::text::{Files, SourceFile, Span};
///
/// let mut files = Files::new();
/// let id = files.add(SourceFile::new("a.compel", "kpis [acuracy]"));
/// let diag = Diagnostic::at(Code::UnknownName, id, Span::new(6, 13), "unknown name `acuracy`");
/// let report = miette::Report::new(MietteDiagnostic::new(&files, &diag));
/// assert_eq!(report.to_string(), "unknown name `acuracy`");
/// ```
#[derive(Debug)]
pub struct MietteDiagnostic {
    code: Option<Code>,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: miette::NamedSource<String>,
    labels: Vec<miette::LabeledSpan>,
    related: Vec<MietteDiagnostic>,
}

impl MietteDiagnostic {
    /// Converts `diag`, copying the text of the files it points into.
    pub fn new(files: &Files, diag: &Diagnostic) -> MietteDiagnostic {
        let file = source_file(files, diag.primary.file);
        let mut labels = Vec::new();
        let mut related = Vec::new();
        if let Some(file) = file {
            let range = byte_range(&file.text, diag.primary.span);
            let message = (!diag.primary_label.is_empty()).then(|| diag.primary_label.clone());
            labels.push(miette::LabeledSpan::new_primary_with_span(message, range));
        }
        for label in &diag.labels {
            match source_file(files, label.at.file) {
                Some(other) if label.at.file == diag.primary.file => {
                    let range = byte_range(&other.text, label.at.span);
                    labels.push(miette::LabeledSpan::new_with_span(Some(label.message.clone()), range));
                }
                Some(other) => {
                    let range = byte_range(&other.text, label.at.span);
                    related.push(MietteDiagnostic {
                        code: None,
                        severity: Severity::Note,
                        message: label.message.clone(),
                        help: None,
                        source: miette::NamedSource::new(&other.path, other.text.clone()),
                        labels: vec![miette::LabeledSpan::new_primary_with_span(None, range)],
                        related: Vec::new(),
                    });
                }
                None => {}
            }
        }
        let (path, text) = file.map_or_else(|| (String::new(), String::new()), |f| (f.path.clone(), f.text.clone()));
        MietteDiagnostic {
            code: Some(diag.code),
            severity: diag.severity,
            message: diag.message.clone(),
            help: diag.help.clone(),
            source: miette::NamedSource::new(path, text),
            labels,
            related,
        }
    }
}

impl fmt::Display for MietteDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteDiagnostic {}

impl miette::Diagnostic for MietteDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|code| Box::new(code.as_str()) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|d| d as &dyn miette::Diagnostic)) as Box<dyn Iterator<Item = _>>)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::diag::{Edit, Fix};

    /// One file with a typo on line 2 and a non-ASCII name on line 3.
    const FRAUD: &str = "kpi accuracy {\n  kpis [acuracy]\n  name \"Priya Ramán\" x\n}\n";

    fn files() -> (Files, FileId) {
        let mut files = Files::new();
        let id = files.add(SourceFile::new("policies/fraud.compel", FRAUD));
        (files, id)
    }

    fn span_of(needle: &str) -> Span {
        let start = FRAUD.find(needle).unwrap_or_else(|| panic!("{needle} not in the fixture"));
        Span::new(start, start + needle.len())
    }

    /// The `x` after the non-ASCII name.
    fn x_span() -> Span {
        let start = span_of(" x\n").start as usize + 1;
        Span::new(start, start + 1)
    }

    fn unknown_name(id: FileId) -> Diagnostic {
        Diagnostic::at(Code::UnknownName, id, span_of("acuracy"), "unknown name `acuracy`")
            .with_primary_label("not declared anywhere")
            .with_label(FileSpan::new(id, span_of("accuracy")), "similar name declared here")
            .with_help("did you mean `accuracy`?")
    }

    #[test]
    fn json_without_diagnostics_is_exact() {
        let (files, _) = files();
        assert_eq!(json(&files, &[]), "{\"diagnostics\": []}\n");
        let value: serde_json::Value = serde_json::from_str(&json(&files, &[])).unwrap();
        assert_eq!(value, serde_json::json!({ "diagnostics": [] }));
    }

    #[test]
    fn json_has_the_contract_shape() {
        let (files, id) = files();
        let diags = [
            unknown_name(id),
            Diagnostic::at(Code::UnknownAttribute, id, x_span(), "unknown attribute `x`")
                .with_severity(Severity::Warning),
        ];
        let expected = r#"{
  "diagnostics": [
    {
      "severity": "error",
      "code": "E0301",
      "message": "unknown name `acuracy`",
      "file": "policies/fraud.compel",
      "line": 2,
      "column": 9,
      "end_line": 2,
      "end_column": 16,
      "help": "did you mean `accuracy`?"
    },
    {
      "severity": "warning",
      "code": "E0401",
      "message": "unknown attribute `x`",
      "file": "policies/fraud.compel",
      "line": 3,
      "column": 22,
      "end_line": 3,
      "end_column": 23
    }
  ]
}
"#;
        assert_eq!(json(&files, &diags), expected);
    }

    #[test]
    fn json_columns_count_characters() {
        let (files, id) = files();
        // `x` follows `  name "Priya Ramán" `: 21 characters but 22 bytes.
        let diag = Diagnostic::at(Code::UnknownAttribute, id, x_span(), "unknown attribute `x`");
        let value: serde_json::Value = serde_json::from_str(&json(&files, &[diag])).unwrap();
        let first = &value["diagnostics"][0];
        assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(3), Some(22)));
        assert_eq!(first["end_column"].as_u64(), Some(23));
        assert!(first.get("help").is_none());
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let (files, id) = files();
        // Ends inside the two bytes of `á`, then far past the end of the file.
        let inside = FRAUD.find('á').unwrap() + 1;
        let diags = [
            Diagnostic::at(Code::SyntaxError, id, Span::new(inside, inside + 1), "broken"),
            Diagnostic::at(Code::SyntaxError, id, Span::new(FRAUD.len() - 1, FRAUD.len() + 50), "past the end"),
            Diagnostic::at(Code::SyntaxError, FileId(7), Span::new(0, 3), "unknown file"),
        ];
        let value: serde_json::Value = serde_json::from_str(&json(&files, &diags)).unwrap();
        assert_eq!(value["diagnostics"][0]["column"].as_u64(), Some(18));
        assert_eq!(value["diagnostics"][1]["end_line"].as_u64(), Some(5));
        assert_eq!(value["diagnostics"][2]["file"].as_str(), Some(""));
        assert!(terminal(&files, &diags, false).contains("error[E0101]: unknown file"));
        assert!(github(&files, &diags).contains("::error title=E0101::unknown file"));
        assert!(sarif(&files, &diags, "0.1.0").contains("past the end"));
        for diag in &diags {
            let _ = MietteDiagnostic::new(&files, diag);
        }
    }

    #[test]
    fn terminal_shows_code_labels_and_help() {
        let (files, id) = files();
        let text = terminal(&files, &[unknown_name(id)], false);
        assert!(text.starts_with("error[E0301]: unknown name `acuracy`\n"), "{text}");
        assert!(text.contains("--> policies/fraud.compel:2:9"), "{text}");
        assert!(text.contains("^^^^^^^ not declared anywhere"), "{text}");
        assert!(text.contains("similar name declared here"), "{text}");
        assert!(text.contains("= help: did you mean `accuracy`?"), "{text}");
        assert!(!text.contains('\u{1b}'), "no color asked: {text}");
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn terminal_colors_on_request() {
        let (files, id) = files();
        let text = terminal(&files, &[unknown_name(id)], true);
        assert!(text.contains('\u{1b}'), "{text}");
        assert!(text.contains("E0301"), "{text}");
        assert_eq!(terminal(&files, &[], true), "");
    }

    #[test]
    fn terminal_handles_a_span_at_the_end_of_the_file() {
        let (files, id) = files();
        let end = Span::new(FRAUD.len(), FRAUD.len());
        let text = terminal(&files, &[Diagnostic::at(Code::SyntaxError, id, end, "expected `}`")], false);
        assert!(text.contains("error[E0101]: expected `}`"), "{text}");
        assert!(text.contains("policies/fraud.compel:5:1"), "{text}");
    }

    #[test]
    fn github_commands_escape_data_and_properties() {
        let mut files = Files::new();
        let id = files.add(SourceFile::new("a,b:c%.compel", "kpi x {}\n"));
        let diags = [
            Diagnostic::at(Code::UnknownName, id, Span::new(4, 5), "100% wrong\r\nreally")
                .with_help("did you mean `y`?"),
            Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 3), "advice").with_severity(Severity::Note),
            Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 3), "expectation").with_severity(Severity::Warning),
        ];
        assert_eq!(
            github(&files, &diags),
            "::error file=a%2Cb%3Ac%25.compel,line=1,col=5,endLine=1,endColumn=6,title=E0301::\
             100%25 wrong%0D%0Areally%0Ahelp: did you mean `y`?\n\
             ::notice file=a%2Cb%3Ac%25.compel,line=1,col=1,endLine=1,endColumn=4,title=E0701::advice\n\
             ::warning file=a%2Cb%3Ac%25.compel,line=1,col=1,endLine=1,endColumn=4,title=E0701::expectation\n"
        );
        assert_eq!(github(&files, &[]), "");
    }

    #[test]
    fn github_lists_secondary_labels() {
        let (files, id) = files();
        let text = github(&files, &[unknown_name(id)]);
        assert_eq!(
            text,
            "::error file=policies/fraud.compel,line=2,col=9,endLine=2,endColumn=16,title=E0301::\
             unknown name `acuracy`%0Apolicies/fraud.compel:1:5: similar name declared here\
             %0Ahelp: did you mean `accuracy`?\n"
        );
    }

    #[test]
    fn sarif_has_rules_results_related_locations_and_fixes() {
        let (files, id) = files();
        let typo = span_of("acuracy");
        let diag = unknown_name(id).with_fix(Fix {
            title: "replace with `accuracy`".into(),
            edits: vec![Edit { at: FileSpan::new(id, typo), replacement: "accuracy".into() }],
        });
        let log: serde_json::Value = serde_json::from_str(&sarif(&files, &[diag], "1.2.3")).unwrap();
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SARIF_SCHEMA);
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let driver = &run["tool"]["driver"];
        assert_eq!((driver["name"].as_str(), driver["version"].as_str()), (Some("compel"), Some("1.2.3")));
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Code::ALL.len());
        let result = &run["results"][0];
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], "E0301");
        assert_eq!(rules[index]["shortDescription"]["text"], "unknown name");
        assert_eq!(rules[index]["help"]["text"], Code::UnknownName.explanation());
        assert_eq!(rules[index]["defaultConfiguration"]["level"], "error");
        assert_eq!(result["ruleId"], "E0301");
        assert_eq!(result["level"], "error");
        assert_eq!(result["message"]["text"], "unknown name `acuracy`\nhelp: did you mean `accuracy`?");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "policies/fraud.compel");
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(
            location["region"],
            serde_json::json!({"startLine": 2, "startColumn": 9, "endLine": 2, "endColumn": 16})
        );
        assert_eq!(result["locations"][0]["message"]["text"], "not declared anywhere");
        let related = &result["relatedLocations"][0];
        assert_eq!(
            (related["id"].as_u64(), related["message"]["text"].as_str()),
            (Some(0), Some("similar name declared here"))
        );
        let change = &result["fixes"][0]["artifactChanges"][0];
        assert_eq!(result["fixes"][0]["description"]["text"], "replace with `accuracy`");
        assert_eq!(change["replacements"][0]["insertedContent"]["text"], "accuracy");
        assert_eq!(change["replacements"][0]["deletedRegion"]["startColumn"], 9);
    }

    #[test]
    fn sarif_levels_and_uris() {
        let mut files = Files::new();
        let id = files.add(SourceFile::new("dir with space/ünï:code.compel", "x"));
        let diags = [
            Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 1), "n").with_severity(Severity::Note),
            Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 1), "w").with_severity(Severity::Warning),
        ];
        let log: serde_json::Value = serde_json::from_str(&sarif(&files, &diags, "0.1.0")).unwrap();
        let results = &log["runs"][0]["results"];
        assert_eq!((results[0]["level"].as_str(), results[1]["level"].as_str()), (Some("note"), Some("warning")));
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "dir%20with%20space/%C3%BCn%C3%AF%3Acode.compel"
        );
        assert!(results[0].get("fixes").is_none() && results[0].get("relatedLocations").is_none());
        let empty: serde_json::Value = serde_json::from_str(&sarif(&files, &[], "0.1.0")).unwrap();
        assert_eq!(empty["runs"][0]["results"], serde_json::json!([]));
    }

    #[test]
    fn miette_view_carries_code_help_labels_and_related() {
        use miette::Diagnostic as _;
        let (mut files, id) = files();
        let other = files.add(SourceFile::new("other.compel", "kpi accuracy {}\n"));
        let diag = Diagnostic::at(Code::DuplicateName, id, span_of("accuracy"), "duplicate declaration `accuracy`")
            .with_primary_label("declared again here")
            .with_label(FileSpan::new(id, span_of("acuracy")), "same file")
            .with_label(FileSpan::new(other, Span::new(4, 12)), "first defined here")
            .with_help("rename one of them")
            .with_severity(Severity::Warning);
        let view = MietteDiagnostic::new(&files, &diag);
        assert_eq!(view.to_string(), "duplicate declaration `accuracy`");
        assert_eq!(view.code().map(|c| c.to_string()), Some("E0302".to_string()));
        assert_eq!(view.help().map(|h| h.to_string()), Some("rename one of them".to_string()));
        assert_eq!(view.severity(), Some(miette::Severity::Warning));
        let labels: Vec<_> = view.labels().unwrap().collect();
        assert_eq!(labels.len(), 2);
        assert!(labels[0].primary());
        assert_eq!((labels[0].offset(), labels[0].len()), (4, 8));
        assert_eq!(labels[0].label(), Some("declared again here"));
        let related: Vec<_> = view.related().unwrap().collect();
        assert_eq!(related.len(), 1);
        assert_eq!(related[0].to_string(), "first defined here");

        let mut rendered = String::new();
        miette::NarratableReportHandler::new().render_report(&mut rendered, &view).unwrap();
        assert!(rendered.contains("E0302"), "{rendered}");
        assert!(rendered.contains("policies/fraud.compel"), "{rendered}");
        assert!(rendered.contains("rename one of them"), "{rendered}");
    }
}
