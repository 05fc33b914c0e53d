//! SARIF 2.1.0 for code-scanning services.

use super::*;

// ---------------------------------------------------------------------------
// SARIF 2.1.0

pub(super) const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
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
