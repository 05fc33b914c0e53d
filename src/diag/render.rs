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
/// Every relative URI is relative to the analysed source tree (the
/// repository root), which the run declares in `originalUriBaseIds`.
pub const SRCROOT: &str = "%SRCROOT%";
/// The key of the fingerprint in `partialFingerprints`: the one GitHub code
/// scanning reads (and does not compute again when it is present).
pub const FINGERPRINT_KEY: &str = "primaryLocationLineHash";
/// Where the rules are documented: `docs/diagnostics.md`, one heading (and
/// so one anchor) per code.
pub const DIAGNOSTICS_DOC: &str = "docs/diagnostics.md";

/// Where a file of the table is, for SARIF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Artifact {
    /// Inside the source root: the path relative to it, with `/`.
    InRoot(String),
    /// Outside the source root: an absolute `file:///` URI.
    Absolute(String),
    /// A module of the standard library, embedded in compel and in no
    /// repository: shown as a logical location, never as a file.
    Stdlib(String),
}

impl Artifact {
    /// The artifact of a display path when nothing else is known: a
    /// `std/...` path is the stdlib, any other is relative to the root.
    pub fn from_display_path(path: &str) -> Artifact {
        if path.starts_with("std/") {
            Artifact::Stdlib(path.to_string())
        } else {
            Artifact::InRoot(path.to_string())
        }
    }
}

/// Why a run could not do its job, as a SARIF tool-execution notification.
#[derive(Clone, Debug)]
pub struct SarifFailure {
    /// The code the failure is reported under (e.g. E0105).
    pub code: Code,
    /// The message in plain words.
    pub message: String,
}

/// What a SARIF log says besides the diagnostics.
#[derive(Clone, Debug, Default)]
pub struct SarifOptions {
    /// The tool's version (`CARGO_PKG_VERSION`).
    pub tool_version: String,
    /// The absolute `file:///` URI of the source root, ending in `/`,
    /// declared as `%SRCROOT%`; `None` leaves `%SRCROOT%` undeclared.
    pub root_uri: Option<String>,
    /// Where each file of the table is, by [`FileId`]; a file missing here
    /// is placed by [`Artifact::from_display_path`].
    pub artifacts: Vec<Artifact>,
    /// Why the run failed; empty when it did its job. Any failure makes
    /// the invocation `executionSuccessful: false`.
    pub failures: Vec<SarifFailure>,
    /// The run's `automationDetails`.
    pub automation: SarifAutomation,
}

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
    automation_details: &'a SarifAutomation,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<std::collections::BTreeMap<&'static str, SarifBase>>,
    invocations: [SarifInvocation; 1],
    /// SARIF's default, written out: columns count UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

/// The run's `automationDetails`: an id and the Azure DevOps pipeline
/// properties that GitHub Advanced Security for Azure DevOps requires when
/// the object is present (and its validator requires it to be).
#[derive(Clone, Debug, Serialize)]
pub struct SarifAutomation {
    /// `azuredevops/pipeline/build/...`: GHAzDO reads it as
    /// `<org>/<project>/<definition>/<phase>/<branch>/<build>`; GitHub code
    /// scanning reads what comes before the last `/` as the category.
    pub id: String,
    /// The `azuredevops/pipeline/build/*` properties, as strings (GHAzDO's
    /// validator reads them as strings and fails on a JSON number).
    pub properties: std::collections::BTreeMap<String, String>,
}

/// The prefix GHAzDO expects of `automationDetails.id`.
pub const AZURE_DEVOPS_PREFIX: &str = "azuredevops/pipeline/build/";
/// The phase id of a run outside Azure DevOps: a fixed, non-empty GUID
/// (GHAzDO refuses the empty one), the same on every run.
pub const NO_PHASE_ID: &str = "00000000-0000-0000-0000-000000000001";

impl SarifAutomation {
    /// The details of a run in an Azure DevOps pipeline, from its
    /// predefined variables.
    #[allow(clippy::too_many_arguments)]
    pub fn azure_devops(
        organization: &str,
        project: &str,
        definition_id: i64,
        definition_name: &str,
        phase_id: &str,
        phase_name: &str,
        branch: &str,
        build_id: &str,
    ) -> SarifAutomation {
        let id =
            format!("{AZURE_DEVOPS_PREFIX}{organization}/{project}/{definition_id}/{phase_id}/{branch}/{build_id}");
        let key = |k: &str| format!("{AZURE_DEVOPS_PREFIX}{k}");
        let properties = [
            (key("buildDefinitionId"), definition_id.to_string()),
            (key("buildDefinitionName"), definition_name.to_string()),
            (key("phaseId"), phase_id.to_string()),
            (key("phaseName"), phase_name.to_string()),
        ]
        .into_iter()
        .collect();
        SarifAutomation { id, properties }
    }

    /// The details of a run outside Azure DevOps: the sentinels GHAzDO
    /// documents for a run with no saved definition (`-1`), the phase
    /// [`NO_PHASE_ID`] named `compel check`, and an id that is the same on
    /// every run, so GitHub's category (`azuredevops/pipeline/build/compel/check/-1/...`)
    /// is stable too.
    pub fn local() -> SarifAutomation {
        SarifAutomation::azure_devops("compel", "check", -1, "compel", NO_PHASE_ID, "compel check", "local", "0")
    }
}

impl Default for SarifAutomation {
    fn default() -> SarifAutomation {
        SarifAutomation::local()
    }
}

#[derive(Serialize)]
struct SarifBase {
    uri: String,
    description: SarifText,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifInvocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<SarifNotification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifNotification {
    level: &'static str,
    message: SarifText,
    associated_rule: SarifRuleReference,
}

#[derive(Serialize)]
struct SarifRuleReference {
    id: &'static str,
    index: usize,
}

#[derive(Serialize)]
struct SarifTool<'a> {
    driver: SarifDriver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifDriver<'a> {
    name: &'static str,
    full_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    version: &'a str,
    rules: Vec<SarifRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    name: &'static str,
    short_description: SarifText,
    full_description: SarifText,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: SarifMarkdown,
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

/// A `multiformatMessageString` with both plain text and Markdown.
#[derive(Serialize)]
struct SarifMarkdown {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: SarifText,
    locations: Vec<SarifLocation>,
    partial_fingerprints: std::collections::BTreeMap<&'static str, String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<SarifPhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<SarifLogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<SarifText>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
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

/// The documentation of a code: its anchor in `docs/diagnostics.md` on the
/// repository's default branch (`None` when Cargo.toml names no repository).
pub fn help_uri(code: Code) -> Option<String> {
    let repo = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    (!repo.is_empty()).then(|| format!("{repo}/blob/main/{DIAGNOSTICS_DOC}#{}", code.as_str().to_ascii_lowercase()))
}

/// The long explanation as Markdown: its indented examples are already
/// code blocks; the title leads in bold and the command closes it.
pub fn explanation_markdown(code: Code) -> String {
    format!(
        "**{} ({})**\n\n{}\n\nThe same text: `compel explain {}`.",
        code.title(),
        code.as_str(),
        code.explanation(),
        code.as_str()
    )
}

/// A path as a URI reference: every byte but unreserved characters and `/`
/// is percent-encoded (spaces, `:`, `#`, non-ASCII ...).
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

/// An absolute path (`/home/me/repo`, `C:/repo`) as a `file:///` URI.
pub fn file_uri(absolute: &str) -> String {
    let path = absolute.replace('\\', "/");
    let path = path.trim_start_matches('/');
    format!("file:///{}", path_to_uri(path))
}

/// A place in a file for SARIF: a 1-based line and UTF-16 columns.
struct Utf16Place {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

/// The 1-based UTF-16 column of byte `offset` (a char boundary) in `file`.
fn utf16_column(file: &SourceFile, offset: usize) -> u32 {
    let start = file.lines.line_start(file.lines.line_of(offset)).min(offset);
    file.text[start..offset].encode_utf16().count() as u32 + 1
}

fn utf16_place(files: &Files, at: FileSpan) -> Utf16Place {
    match source_file(files, at.file) {
        Some(file) => {
            let range = byte_range(&file.text, at.span);
            let (start, end) = (file.line_col(range.start), file.line_col(range.end));
            Utf16Place {
                start_line: start.line,
                start_column: utf16_column(file, range.start),
                end_line: end.line,
                end_column: utf16_column(file, range.end),
            }
        }
        None => Utf16Place { start_line: 1, start_column: 1, end_line: 1, end_column: 1 },
    }
}

fn sarif_region(at: &Utf16Place) -> SarifRegion {
    SarifRegion {
        start_line: at.start_line,
        start_column: at.start_column,
        end_line: at.end_line,
        end_column: at.end_column,
    }
}

/// The SARIF side of one run: the artifacts and the rule indexes.
struct SarifContext<'a> {
    files: &'a Files,
    options: &'a SarifOptions,
}

impl SarifContext<'_> {
    fn artifact(&self, id: FileId) -> Option<Artifact> {
        let file = source_file(self.files, id)?;
        if file.path.is_empty() {
            return None;
        }
        Some(
            self.options
                .artifacts
                .get(id.0 as usize)
                .cloned()
                .unwrap_or_else(|| Artifact::from_display_path(&file.path)),
        )
    }

    /// The artifact location of a file, or `None` for the stdlib and for
    /// files not in the table.
    fn artifact_location(&self, id: FileId) -> Option<SarifArtifactLocation> {
        match self.artifact(id)? {
            Artifact::InRoot(path) => {
                Some(SarifArtifactLocation { uri: path_to_uri(&path), uri_base_id: Some(SRCROOT) })
            }
            Artifact::Absolute(uri) => Some(SarifArtifactLocation { uri, uri_base_id: None }),
            Artifact::Stdlib(_) => None,
        }
    }

    /// A location: physical in a file, logical in the stdlib (with the
    /// line in the message, so a reader still finds it with `compel`).
    fn location(&self, id: Option<usize>, at: FileSpan, message: &str) -> SarifLocation {
        let region = utf16_place(self.files, at);
        match self.artifact(at.file) {
            Some(Artifact::Stdlib(path)) => {
                let module = path.strip_suffix(".compel").unwrap_or(&path).to_string();
                let name = module.rsplit('/').next().unwrap_or(&module).to_string();
                let chars = place(self.files, at);
                let text = format!(
                    "{}{}:{}:{} (compel's standard library, built into compel)",
                    if message.is_empty() { String::new() } else { format!("{message}: ") },
                    path,
                    chars.start.line,
                    chars.start.column
                );
                SarifLocation {
                    id,
                    physical_location: None,
                    logical_locations: vec![SarifLogicalLocation {
                        name,
                        fully_qualified_name: module,
                        kind: "module",
                    }],
                    message: Some(SarifText::new(text)),
                }
            }
            _ => SarifLocation {
                id,
                physical_location: self.artifact_location(at.file).map(|artifact_location| SarifPhysicalLocation {
                    artifact_location,
                    region: sarif_region(&region),
                }),
                logical_locations: Vec::new(),
                message: (!message.is_empty()).then(|| SarifText::new(message)),
            },
        }
    }

    /// The fix as SARIF: one artifact change per file, in the order the
    /// edits name them. Edits in the stdlib cannot be applied and are left
    /// out; a fix left without edits is left out.
    fn fix(&self, diag: &Diagnostic) -> Option<SarifFix> {
        let fix = diag.fix.as_ref()?;
        let mut changes: Vec<(FileId, SarifArtifactChange)> = Vec::new();
        for edit in &fix.edits {
            let Some(artifact_location) = self.artifact_location(edit.at.file) else { continue };
            let replacement = SarifReplacement {
                deleted_region: sarif_region(&utf16_place(self.files, edit.at)),
                inserted_content: SarifText::new(&edit.replacement),
            };
            match changes.iter_mut().find(|(file, _)| *file == edit.at.file) {
                Some((_, change)) => change.replacements.push(replacement),
                None => changes
                    .push((edit.at.file, SarifArtifactChange { artifact_location, replacements: vec![replacement] })),
            }
        }
        (!changes.is_empty()).then(|| SarifFix {
            description: SarifText::new(&fix.title),
            artifact_changes: changes.into_iter().map(|(_, change)| change).collect(),
        })
    }

    /// The fingerprint's input: the code, the file (relative to the root)
    /// and the primary line's text with its whitespace normalised. Line
    /// numbers are not part of it, so moving unrelated lines keeps it.
    fn fingerprint_input(&self, diag: &Diagnostic) -> String {
        let file = source_file(self.files, diag.primary.file);
        let path = match self.artifact(diag.primary.file) {
            Some(Artifact::InRoot(p) | Artifact::Absolute(p) | Artifact::Stdlib(p)) => p,
            None => String::new(),
        };
        let line = file.map_or(String::new(), |file| {
            let range = byte_range(&file.text, diag.primary.span);
            let line = file.lines.line_of(range.start);
            let start = file.lines.line_start(line);
            let end =
                if line + 1 < file.lines.line_count() { file.lines.line_start(line + 1) } else { file.text.len() };
            file.text[start..end.max(start)].split_whitespace().collect::<Vec<_>>().join(" ")
        });
        format!("{}\u{0}{path}\u{0}{line}", diag.code.as_str())
    }
}

/// FNV-1a, 64 bits: small, fast and the same on every platform and
/// release (a fingerprint must not change when compel is rebuilt).
fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The rule index of a code in the driver's rules ([`Code::ALL`] order).
fn rule_index(code: Code) -> usize {
    Code::ALL.iter().position(|c| *c == code).unwrap_or_default()
}

/// Renders diagnostics as a SARIF 2.1.0 log with paths relative to
/// `%SRCROOT%` as given, for tests and embedders; the CLI uses
/// [`sarif_with`] to declare the root.
pub fn sarif(files: &Files, diags: &[Diagnostic], tool_version: &str) -> String {
    sarif_with(files, diags, &SarifOptions { tool_version: tool_version.to_string(), ..SarifOptions::default() })
}

/// Renders diagnostics as a SARIF 2.1.0 log, for code-scanning services
/// (GitHub code scanning, Azure DevOps, IDE viewers), in the shape their
/// validator (`sarif-multitool validate --rule-kind "Ghas;Sarif;GHAzDO"`)
/// accepts:
///
/// - the driver is `compel` at the tool version, with one rule per [`Code`]
///   (all of them, in [`Code::ALL`] order, so `ruleIndex` is stable): its
///   PascalCase `name`, the title, the `compel explain` text as full
///   description and help (plain and Markdown), and `helpUri`, the code's
///   anchor in `docs/diagnostics.md`;
/// - paths inside the source root are relative URIs with `uriBaseId`
///   `%SRCROOT%`, which `originalUriBaseIds` declares as an absolute
///   `file:///` URI; a file outside the root is an absolute URI without a
///   base; a stdlib module (embedded, in no repository) is a logical
///   location whose message names the line, never a physical location;
/// - columns count UTF-16 code units, SARIF's default `columnKind`, as
///   GitHub's examples do (the other formats count characters);
/// - each result has `partialFingerprints.primaryLocationLineHash`:
///   `HASH:N`, HASH a hash of the code, the root-relative file and the
///   primary line's whitespace-normalised text, N counting the results
///   with the same hash (1 for the first), so moving unrelated lines
///   changes no fingerprint;
/// - the one invocation is `executionSuccessful: false`, with a
///   notification per failure, when [`SarifOptions::failures`] is not empty.
pub fn sarif_with(files: &Files, diags: &[Diagnostic], options: &SarifOptions) -> String {
    let cx = SarifContext { files, options };
    let rules = Code::ALL
        .iter()
        .map(|code| SarifRule {
            id: code.as_str(),
            name: code.name(),
            short_description: SarifText::new(code.title()),
            full_description: SarifText::new(code.explanation()),
            help_uri: help_uri(*code),
            help: SarifMarkdown { text: code.explanation().to_string(), markdown: explanation_markdown(*code) },
            default_configuration: SarifConfiguration { level: sarif_level(code.default_severity()) },
        })
        .collect();
    let mut seen: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let results = diags
        .iter()
        .map(|diag| {
            let hash = fnv1a(&cx.fingerprint_input(diag));
            let occurrence = seen.entry(hash).or_default();
            *occurrence += 1;
            let primary = cx.location(None, diag.primary, &diag.primary_label);
            SarifResult {
                rule_id: diag.code.as_str(),
                rule_index: rule_index(diag.code),
                level: sarif_level(diag.severity),
                message: SarifText::new(message_with_help(diag)),
                locations: (primary.physical_location.is_some()).then_some(primary).into_iter().collect(),
                partial_fingerprints: [(FINGERPRINT_KEY, format!("{hash:016x}:{occurrence}"))].into_iter().collect(),
                related_locations: diag
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(id, label)| cx.location(Some(id), label.at, &label.message))
                    .collect(),
                fixes: cx.fix(diag).into_iter().collect(),
            }
        })
        .collect();
    let original_uri_base_ids = options.root_uri.as_ref().map(|uri| {
        let base = SarifBase {
            uri: uri.clone(),
            description: SarifText::new("the repository root (the git top level, or the folder holding compel.toml)"),
        };
        [(SRCROOT, base)].into_iter().collect()
    });
    let notifications = options
        .failures
        .iter()
        .map(|failure| SarifNotification {
            level: "error",
            message: SarifText::new(&failure.message),
            associated_rule: SarifRuleReference { id: failure.code.as_str(), index: rule_index(failure.code) },
        })
        .collect();
    let log = SarifLog {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: [SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "compel",
                    full_name: "compel governance policy checker",
                    information_uri: information_uri(),
                    version: &options.tool_version,
                    rules,
                },
            },
            automation_details: &options.automation,
            original_uri_base_ids,
            invocations: [SarifInvocation {
                execution_successful: options.failures.is_empty(),
                tool_execution_notifications: notifications,
            }],
            column_kind: "utf16CodeUnits",
            results,
        }],
    };
    to_pretty_json(&log)
}

// ---------------------------------------------------------------------------
// GitHub Actions

/// Escapes the message of a workflow command.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// How many annotations of each kind (errors, warnings, notices) GitHub
/// shows for one step; it drops the rest silently.
pub const GITHUB_ANNOTATIONS_PER_KIND: usize = 10;

/// `path:line:column` of a span (the path alone when it has no file).
fn github_position(files: &Files, at: FileSpan) -> String {
    let at = place(files, at);
    format!("{}:{}:{}", at.path, at.start.line, at.start.column)
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
///
/// GitHub shows [`GITHUB_ANNOTATIONS_PER_KIND`] annotations of each kind
/// per step. Past that, diagnostics are printed as plain log lines
/// (`path:line:column: error[E0301]: message`), and a closing `::notice`
/// counts what is not shown as an annotation; it takes one of the notice
/// slots, so at most 9 notes are annotations then.
pub fn github(files: &Files, diags: &[Diagnostic]) -> String {
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let limit = GITHUB_ANNOTATIONS_PER_KIND;
    let overflow = count(Severity::Error) > limit || count(Severity::Warning) > limit || count(Severity::Note) > limit;
    let note_limit = if overflow { limit - 1 } else { limit };
    let (mut errors, mut warnings, mut notes) = (0, 0, 0);
    let mut hidden = [0usize; 3];
    let mut out = String::new();
    for diag in diags {
        let (command, shown, max, slot) = match diag.severity {
            Severity::Error => ("error", &mut errors, limit, 0),
            Severity::Warning => ("warning", &mut warnings, limit, 1),
            Severity::Note => ("notice", &mut notes, note_limit, 2),
        };
        let mut message = diag.message.clone();
        for label in &diag.labels {
            message.push_str(&format!("\n{}", github_position(files, label.at)));
            if !label.message.is_empty() {
                message.push_str(": ");
                message.push_str(&label.message);
            }
        }
        if let Some(help) = &diag.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        if *shown >= max {
            hidden[slot] += 1;
            let position = github_position(files, diag.primary);
            let line = format!("{}[{}]: {}", diag.severity.as_str(), diag.code.as_str(), message.replace('\n', "\n  "));
            out.push_str(&format!("{position}: {line}\n"));
            continue;
        }
        *shown += 1;
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
    if hidden.iter().any(|n| *n > 0) {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let parts: Vec<String> = [(hidden[0], "error"), (hidden[1], "warning"), (hidden[2], "note")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, word)| plural(n, word))
            .collect();
        let text = format!(
            "{} not shown as annotations (GitHub shows {limit} errors, {limit} warnings and {limit} notices per step); \
             the log above lists every diagnostic",
            parts.join(", ")
        );
        out.push_str(&format!("::notice title=compel::{}\n", escape_data(&text)));
    }
    out
}

/// Markdown for the job summary of a check that could not run (exit 2):
/// a heading and the reasons.
pub fn github_failure_summary(reasons: &[String]) -> String {
    let mut out = String::from("## ⛔ compel check could not run\n\n");
    for reason in reasons {
        out.push_str(&format!("- {}\n", crate::markdown::prose(reason, false)));
    }
    out.push('\n');
    out
}

/// Markdown for a GitHub job summary (`$GITHUB_STEP_SUMMARY`): a heading
/// with the counts and a table of every diagnostic (severity, code, place,
/// message). GitHub takes at most 1 MiB per step: past about 900 KiB the
/// table stops with a line counting the rows left out.
pub fn github_summary(files: &Files, diags: &[Diagnostic]) -> String {
    const BUDGET: usize = 900 * 1024;
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let (e, w, n) = (count(Severity::Error), count(Severity::Warning), count(Severity::Note));
    let mut out = String::new();
    if diags.is_empty() {
        out.push_str("## ✅ compel check: no problems found\n\n");
        return out;
    }
    let icon = if e > 0 { "❌" } else { "⚠️" };
    let counts: Vec<String> = [(e, "error"), (w, "warning"), (n, "note")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| plural(n, word))
        .collect();
    out.push_str(&format!("## {icon} compel check: {}\n\n", counts.join(", ")));
    out.push_str("| severity | code | where | message |\n|---|---|---|---|\n");
    for (i, diag) in diags.iter().enumerate() {
        if out.len() > BUDGET {
            out.push_str(&format!("\n… and {} more: run `compel check` to see them all.\n", diags.len() - i));
            break;
        }
        let mut message = diag.message.clone();
        if let Some(help) = &diag.help {
            message.push_str(&format!(" (help: {help})"));
        }
        out.push_str(&format!(
            "| {} | [`{}`]({}) | {} | {} |\n",
            diag.severity.as_str(),
            diag.code.as_str(),
            help_uri(diag.code).unwrap_or_default(),
            crate::markdown::code_cell(&github_position(files, diag.primary)),
            crate::markdown::prose(&message, true)
        ));
    }
    out.push('\n');
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
        assert_eq!(run["columnKind"], "utf16CodeUnits");
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
        let driver = &run["tool"]["driver"];
        assert_eq!((driver["name"].as_str(), driver["version"].as_str()), (Some("compel"), Some("1.2.3")));
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Code::ALL.len());
        let result = &run["results"][0];
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], "E0301");
        assert_eq!(rules[index]["shortDescription"]["text"], "unknown name");
        assert_eq!(rules[index]["help"]["text"], Code::UnknownName.explanation());
        assert_eq!(rules[index]["name"], "UnknownName");
        assert!(rules[index]["help"]["markdown"].as_str().unwrap().contains("compel explain E0301"));
        assert!(rules[index]["helpUri"].as_str().unwrap().ends_with("docs/diagnostics.md#e0301"));
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap().ends_with(":1"));
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

    /// The SARIF log of `diags` over `files` with the root declared.
    fn sarif_log(files: &Files, diags: &[Diagnostic], options: SarifOptions) -> serde_json::Value {
        serde_json::from_str(&sarif_with(files, diags, &options)).unwrap()
    }

    #[test]
    fn sarif_columns_count_utf16_units() {
        let mut files = Files::new();
        // `𝔸` is one character, two UTF-16 units, four bytes.
        let text = "kpi x { name \"𝔸é\" y }\n";
        let id = files.add(SourceFile::new("a.compel", text));
        let y = text.find(" y ").unwrap() + 1;
        let diag = Diagnostic::at(Code::UnknownAttribute, id, Span::new(y, y + 1), "unknown attribute `y`");
        let log = sarif_log(&files, std::slice::from_ref(&diag), SarifOptions::default());
        let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
        // 18 characters precede `y`, 19 UTF-16 units.
        assert_eq!(region["startColumn"], 20);
        assert_eq!(region["endColumn"], 21);
        let json: serde_json::Value = serde_json::from_str(&json(&files, &[diag])).unwrap();
        assert_eq!(json["diagnostics"][0]["column"], 19, "the JSON format counts characters");
    }

    #[test]
    fn sarif_fingerprints_survive_moved_lines_and_count_repeats() {
        let before = "kpi a {\n  kpis [acuracy]\n}\nkpi b {\n  kpis [acuracy]\n}\n";
        let after = format!("// a comment\n\n{}", before.replace("kpi b {", "\nkpi b {"));
        let fingerprints = |text: &str| -> Vec<String> {
            let mut files = Files::new();
            let id = files.add(SourceFile::new("p/a.compel", text));
            let diags: Vec<Diagnostic> = text
                .match_indices("acuracy")
                .map(|(i, _)| Diagnostic::at(Code::UnknownName, id, Span::new(i, i + 7), "unknown name `acuracy`"))
                .collect();
            let log = sarif_log(&files, &diags, SarifOptions::default());
            log["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap().to_string())
                .collect()
        };
        let (old, new) = (fingerprints(before), fingerprints(&after));
        assert_eq!(old, new, "moving lines changes no fingerprint");
        assert_eq!(old.len(), 2);
        let (hash0, n0) = old[0].split_once(':').unwrap();
        let (hash1, n1) = old[1].split_once(':').unwrap();
        assert_eq!((hash0, n0, n1), (hash1, "1", "2"), "the same line text twice: occurrences 1 and 2");
        assert_eq!(hash0.len(), 16);
        let changed = fingerprints(&before.replacen("kpis [acuracy]", "kpis  [acuracy, b]", 1));
        assert_ne!(changed[0], old[0], "a changed line changes its fingerprint");
    }

    #[test]
    fn sarif_places_files_by_root_and_the_stdlib_as_logical_locations() {
        let mut files = Files::new();
        let inside = files.add(SourceFile::new("../repo/p/a b.compel", "kpis [x]\n"));
        let outside = files.add(SourceFile::new("/elsewhere/o.compel", "kpis [x]\n"));
        let std = files.add(SourceFile::new("std/policies.compel", "policy p for program {}\n"));
        let diag = Diagnostic::at(Code::UnknownName, inside, Span::new(6, 7), "unknown name `x`")
            .with_label(FileSpan::new(outside, Span::new(6, 7)), "also here")
            .with_label(FileSpan::new(std, Span::new(7, 8)), "declared here")
            .with_fix(crate::diag::Fix {
                title: "both".into(),
                edits: vec![
                    Edit { at: FileSpan::new(std, Span::new(7, 8)), replacement: "q".into() },
                    Edit { at: FileSpan::new(inside, Span::new(6, 7)), replacement: "y".into() },
                ],
            });
        let options = SarifOptions {
            root_uri: Some("file:///home/me/repo/".into()),
            artifacts: vec![
                Artifact::InRoot("p/a b.compel".into()),
                Artifact::Absolute(file_uri("/elsewhere/o.compel")),
                Artifact::Stdlib("std/policies.compel".into()),
            ],
            ..SarifOptions::default()
        };
        let log = sarif_log(&files, &[diag], options);
        let run = &log["runs"][0];
        assert_eq!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], "file:///home/me/repo/");
        let result = &run["results"][0];
        let primary = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(*primary, serde_json::json!({"uri": "p/a%20b.compel", "uriBaseId": "%SRCROOT%"}));
        let other = &result["relatedLocations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(*other, serde_json::json!({"uri": "file:///elsewhere/o.compel"}), "absolute, without a base");
        let std = &result["relatedLocations"][1];
        assert!(std.get("physicalLocation").is_none(), "{std}");
        assert_eq!(std["logicalLocations"][0]["fullyQualifiedName"], "std/policies");
        assert!(std["message"]["text"].as_str().unwrap().contains("std/policies.compel:1:8"), "{std}");
        let changes = result["fixes"][0]["artifactChanges"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "no edit of the stdlib");
        assert_eq!(changes[0]["artifactLocation"]["uri"], "p/a%20b.compel");
    }

    #[test]
    fn sarif_records_a_failed_run() {
        let options = SarifOptions {
            failures: vec![SarifFailure { code: Code::UnreadableInput, message: "`x` does not exist".into() }],
            ..SarifOptions::default()
        };
        let log = sarif_log(&Files::new(), &[], options);
        let invocation = &log["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        let notification = &invocation["toolExecutionNotifications"][0];
        assert_eq!(notification["level"], "error");
        assert_eq!(notification["message"]["text"], "`x` does not exist");
        let index = notification["associatedRule"]["index"].as_u64().unwrap() as usize;
        assert_eq!(log["runs"][0]["tool"]["driver"]["rules"][index]["id"], "E0105");
        assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    }

    #[test]
    fn github_past_the_limits_prints_log_lines_and_a_closing_notice() {
        let (files, id) = files();
        let mut diags = Vec::new();
        for (severity, n) in [(Severity::Error, 12), (Severity::Warning, 3), (Severity::Note, 10)] {
            for i in 0..n {
                diags.push(
                    Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 3), format!("m{i}")).with_severity(severity),
                );
            }
        }
        let text = github(&files, &diags);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.iter().filter(|l| l.starts_with("::error ")).count(), 10);
        assert_eq!(lines.iter().filter(|l| l.starts_with("::warning ")).count(), 3);
        // Nine notes, and the closing notice in the tenth slot.
        assert_eq!(lines.iter().filter(|l| l.starts_with("::notice file=")).count(), 9);
        assert_eq!(lines.iter().filter(|l| l.starts_with("policies/fraud.compel:1:1: error[E0701]: m1")).count(), 2);
        assert!(lines.contains(&"policies/fraud.compel:1:1: note[E0701]: m9"), "{text}");
        let last = lines.last().unwrap();
        assert!(last.starts_with("::notice title=compel::2 errors, 1 note not shown as annotations"), "{last}");
        assert_eq!(github(&files, &diags[..10]).lines().count(), 10, "no closing notice within the limits");
    }

    #[test]
    fn github_summary_is_a_markdown_table() {
        let (files, id) = files();
        let summary = github_summary(&files, &[unknown_name(id)]);
        assert!(
            summary.starts_with("## ❌ compel check: 1 error\n\n| severity | code | where | message |\n"),
            "{summary}"
        );
        assert!(summary.contains("| error | [`E0301`]("), "{summary}");
        assert!(summary
            .contains("| `policies/fraud.compel:2:9` | unknown name `acuracy` (help: did you mean `accuracy`?) |"));
        assert_eq!(github_summary(&files, &[]), "## ✅ compel check: no problems found\n\n");
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
