//! GitHub Actions workflow commands and job summaries.

use super::*;

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
        out.push_str(&format!("- {}\n", reason.replace(['\n', '\r'], " ")));
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
    let cell = |text: &str| text.replace('|', "\\|").replace(['\n', '\r'], " ");
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
            "| {} | [`{}`]({}) | `{}` | {} |\n",
            diag.severity.as_str(),
            diag.code.as_str(),
            help_uri(diag.code).unwrap_or_default(),
            cell(&github_position(files, diag.primary)),
            cell(&message)
        ));
    }
    out.push('\n');
    out
}
