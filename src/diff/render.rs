//! Renderings of a [`Diff`]: a terminal listing, JSON
//! (`docs/diff.schema.json`), GitHub annotations on the changed lines, and
//! Markdown for a pull-request comment (through [`crate::markdown`], so
//! text from policy files is inert). Pure functions of the diff.

use std::fmt::Write as _;

use super::judge::{GateRun, Judgement};
use super::{Change, Class, Diff};
use crate::diag::render::{escape_data, escape_property};
use crate::markdown as md;

/// GitHub refuses a comment longer than this many characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What the Markdown comment spends at most, leaving room for the note of
/// what was cut and the closing tags.
const MARKDOWN_BUDGET: usize = GITHUB_COMMENT_LIMIT - 2_048;

/// How many subjects a change lists before "and N more".
const SUBJECTS_SHOWN: usize = 5;

/// Counts per class, and of the changes that refuse the change.
fn counts(diff: &Diff, deny_looser: bool) -> (usize, [usize; 5]) {
    let mut by = [0usize; 5];
    for c in &diff.changes {
        by[c.class as usize] += 1;
    }
    let refusing = diff.changes.iter().filter(|c| diff.refuses(c, deny_looser)).count();
    (refusing, by)
}

fn summary_line(diff: &Diff, deny_looser: bool) -> String {
    let (refusing, by) = counts(diff, deny_looser);
    let n = diff.changes.len();
    let mut parts = vec![format!("{n} change{}", if n == 1 { "" } else { "s" })];
    if refusing > 0 {
        parts.push(format!("{refusing} blocking"));
    }
    for class in [Class::Stricter, Class::Same, Class::Looser, Class::Changed, Class::Info] {
        if by[class as usize] > 0 {
            parts.push(format!("{} {}", by[class as usize], class.as_str()));
        }
    }
    parts.join(", ")
}

fn subjects_text(subjects: &[String]) -> String {
    let mut shown: Vec<String> = subjects.iter().take(SUBJECTS_SHOWN).cloned().collect();
    if subjects.len() > SUBJECTS_SHOWN {
        shown.push(format!("and {} more", subjects.len() - SUBJECTS_SHOWN));
    }
    shown.join(", ")
}

/// Text from policy files on a terminal: control characters (escape
/// sequences included) shown as `?`.
fn plain(s: &str) -> String {
    s.chars().map(|c| if c.is_control() && c != '\n' { '?' } else { c }).collect()
}

/// The terminal listing: a summary, then one entry per change.
pub fn human(diff: &Diff, deny_looser: bool) -> String {
    let mut out = String::new();
    let verdict = if diff.blocks(deny_looser) { "refused" } else { "accepted" };
    let _ = writeln!(out, "compel diff: {verdict} ({})", summary_line(diff, deny_looser));
    for c in &diff.changes {
        let tag = if diff.refuses(c, deny_looser) { "BLOCKS" } else { c.class.as_str() };
        let _ = writeln!(out, "\n{tag:>8}  {}", plain(&c.text()));
        if let Some(at) = &c.at {
            let _ = writeln!(out, "          at {}:{}", plain(&at.file), at.line);
        }
        // A single subject the message already names is not repeated.
        let named = c.subjects.len() == 1 && c.text().contains(subject_word(&c.subjects[0]));
        if !c.subjects.is_empty() && !named {
            let _ = writeln!(out, "          affects {}", plain(&subjects_text(&c.subjects)));
        }
        if let Some(b) = &c.because {
            let _ = writeln!(out, "          because {:?}", plain(b));
        }
        if let Some(j) = &c.gate {
            human_gate(&mut out, j);
        }
    }
    out
}

/// `initiative x` -> `x`.
fn subject_word(s: &str) -> &str {
    s.split_once(' ').map_or(s, |(_, n)| n)
}

fn human_gate(out: &mut String, j: &Judgement) {
    let _ = writeln!(out, "          gate {} -> {}: {}", j.from, j.to, j.outcome);
    for (label, run) in [("change's gates", &j.change_gates), ("base's gates", &j.base_gates)] {
        let _ = writeln!(out, "            under the {label}: {} ({})", run.outcome, plain(&run.reason));
        for c in &run.criteria {
            let _ =
                writeln!(out, "              {:<7} {}: {}", c.outcome.to_string(), plain(&c.text), plain(&c.reason));
            if let Some(b) = &c.because {
                let _ = writeln!(out, "                      because {:?}", plain(b));
            }
        }
    }
}

/// The JSON report (`docs/diff.schema.json`).
pub fn json(diff: &Diff, deny_looser: bool) -> String {
    let (refusing, by) = counts(diff, deny_looser);
    let changes: Vec<serde_json::Value> = diff.changes.iter().map(|c| change_json(diff, c, deny_looser)).collect();
    let value = serde_json::json!({
        "outcome": if diff.blocks(deny_looser) { "fail" } else { "pass" },
        "deny_looser": deny_looser,
        "summary": {
            "changes": diff.changes.len(),
            "blocking": refusing,
            "stricter": by[Class::Stricter as usize],
            "same": by[Class::Same as usize],
            "looser": by[Class::Looser as usize],
            "changed": by[Class::Changed as usize],
            "info": by[Class::Info as usize],
        },
        "changes": changes,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

fn change_json(diff: &Diff, c: &Change, deny_looser: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
        "kind": c.what.as_str(),
        "class": c.class.as_str(),
        "blocks": diff.refuses(c, deny_looser),
        "message": c.text(),
        "subjects": c.subjects,
    });
    let Some(obj) = v.as_object_mut() else { return v };
    let mut put = |k: &str, x: serde_json::Value| {
        obj.insert(k.to_string(), x);
    };
    if let Some(o) = &c.old {
        put("old", o.clone().into());
    }
    if let Some(n) = &c.new {
        put("new", n.clone().into());
    }
    if let Some(b) = &c.because {
        put("because", b.clone().into());
    }
    if let Some(at) = &c.at {
        put("file", at.file.clone().into());
        put("line", at.line.into());
        put("end_line", at.end_line.into());
    }
    if let Some(j) = &c.gate {
        put("gate", serde_json::to_value(j).unwrap_or_default());
    }
    v
}

/// GitHub Actions workflow commands: one annotation per change on the
/// changed lines (`::error` for what refuses the change, `::warning` for
/// looser or unproven changes, `::notice` for the rest). `path` maps a
/// loaded path to the repository's.
pub fn github(diff: &Diff, deny_looser: bool, path: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    for c in &diff.changes {
        let command = if diff.refuses(c, deny_looser) {
            "error"
        } else if c.denied_as_looser() {
            "warning"
        } else {
            "notice"
        };
        let mut props = String::new();
        if let Some(at) = &c.at {
            let _ =
                write!(props, "file={},line={},endLine={},", escape_property(&path(&at.file)), at.line, at.end_line);
        }
        let title = format!("compel diff: {} ({})", c.what.as_str().replace('_', " "), c.class.as_str());
        let _ = write!(props, "title={}", escape_property(&title));
        let mut message = c.text();
        if !c.subjects.is_empty() {
            message.push_str(&format!("\naffects {}", subjects_text(&c.subjects)));
        }
        if let Some(b) = &c.because {
            message.push_str(&format!("\nbecause {b:?}"));
        }
        if let Some(j) = &c.gate {
            message.push_str(&format!("\ngate {} -> {}: {}", j.from, j.to, j.outcome));
            let mut lines: Vec<String> = Vec::new();
            for run in [&j.change_gates, &j.base_gates] {
                for cr in run.criteria.iter().filter(|cr| cr.outcome.blocks()) {
                    let line = format!("\n{}: {} ({})", cr.text, cr.outcome, cr.reason);
                    if !lines.contains(&line) {
                        lines.push(line);
                    }
                }
            }
            message.push_str(&lines.concat());
        }
        let _ = writeln!(out, "::{command} {props}::{}", escape_data(&message));
    }
    let _ = writeln!(out, "::notice title=compel diff::{}", escape_data(&summary_line(diff, deny_looser)));
    out
}

fn emoji(diff: &Diff, c: &Change, deny_looser: bool) -> &'static str {
    if diff.refuses(c, deny_looser) {
        return "❌";
    }
    match c.class {
        Class::Stricter => "🔒",
        Class::Same => "🟰",
        Class::Looser => "🔓",
        Class::Changed => "⚠️",
        Class::Info => "ℹ️",
    }
}

/// A blocking change as a Markdown list item, with the criteria that block
/// and their `because`.
fn md_blocking(c: &Change) -> String {
    let mut out = format!("- ❌ **{}**: {}", c.what.as_str().replace('_', " "), c.markdown(false));
    if let Some(at) = &c.at {
        let _ = write!(out, " ({} line {})", md::code(&at.file), at.line);
    }
    out.push('\n');
    if !c.subjects.is_empty() {
        let _ = writeln!(out, "  - affects {}", md::text(&subjects_text(&c.subjects)));
    }
    if let Some(b) = &c.because {
        let _ = writeln!(out, "  - because: {}", md::text(b));
    }
    if let Some(j) = &c.gate {
        let _ = writeln!(out, "  - gate {}: **{}**", md::code(&format!("{} -> {}", j.from, j.to)), j.outcome);
        for (label, run) in [("the change's gates", &j.change_gates), ("the base's gates", &j.base_gates)] {
            md_run(&mut out, label, run);
        }
    }
    out
}

fn md_run(out: &mut String, label: &str, run: &GateRun) {
    let _ = writeln!(out, "    - under {label}: {} ({})", run.outcome, md::prose(&run.reason, false));
    for c in run.criteria.iter().filter(|c| c.outcome.blocks()) {
        let _ = write!(out, "      - {} {}: {}", c.outcome, md::code(&c.text), md::prose(&c.reason, false));
        if let Some(b) = &c.because {
            let _ = write!(out, "; because: {}", md::text(b));
        }
        out.push('\n');
    }
}

fn md_row(diff: &Diff, c: &Change, deny_looser: bool) -> String {
    let at = c.at.as_ref().map_or_else(String::new, |a| format!("{} line {}", md::code_cell(&a.file), a.line));
    let mut what = c.markdown(true);
    if let Some(b) = &c.because {
        let _ = write!(what, " (because: {})", md::text(b));
    }
    format!(
        "| {} {} | {} | {} | {} |\n",
        emoji(diff, c, deny_looser),
        c.class.as_str(),
        what,
        md::text(&subjects_text(&c.subjects)),
        at
    )
}

/// Markdown for a pull-request comment: the verdict and the counts first,
/// the changes that refuse it next (with the criteria that block and their
/// `because`), every other change folded in `<details>`. Bounded under
/// GitHub's 65,536 characters: what does not fit is counted in a note.
pub fn markdown(diff: &Diff, deny_looser: bool) -> String {
    let mut out = String::new();
    let refused = diff.blocks(deny_looser);
    let head = if refused { "❌ compel diff: the change is refused" } else { "✅ compel diff: no change blocks" };
    let _ = writeln!(out, "## {head}\n\n{}.\n", summary_line(diff, deny_looser));
    let (blocking, rest): (Vec<&Change>, Vec<&Change>) =
        diff.changes.iter().partition(|c| diff.refuses(c, deny_looser));
    let mut cut = 0usize;
    if !blocking.is_empty() {
        out.push_str("### Blocking\n\n");
        let mut used = out.chars().count();
        for c in &blocking {
            let item = md_blocking(c);
            let n = item.chars().count();
            if used + n > MARKDOWN_BUDGET {
                cut += 1;
            } else {
                used += n;
                out.push_str(&item);
            }
        }
        out.push('\n');
    }
    if !rest.is_empty() {
        let header = "| class | change | affects | where |\n|---|---|---|---|\n";
        let mut body = String::from(header);
        // The folding tags and their summary take under 100 characters.
        let mut used = out.chars().count() + header.len() + 100;
        let mut folded_cut = 0usize;
        for c in &rest {
            let row = md_row(diff, c, deny_looser);
            let n = row.chars().count();
            if used + n > MARKDOWN_BUDGET {
                folded_cut += 1;
            } else {
                used += n;
                body.push_str(&row);
            }
        }
        cut += folded_cut;
        let shown = rest.len() - folded_cut;
        let summary = format!("{shown} other change{}", if shown == 1 { "" } else { "s" });
        out.push_str(&md::details(&summary, &body));
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "\n_{cut} change{} not shown: a comment holds at most {GITHUB_COMMENT_LIMIT} characters. \
             `compel diff --format json` lists every change._",
            if cut == 1 { " is" } else { "s are" }
        );
    }
    out
}
