//! Renderings of a [`Report`]: a terminal table, Markdown for a
//! pull-request comment, JUnit XML for CI dashboards, and JSON.
//!
//! Every renderer is a pure function of the report, so the same report
//! gives the same text.

mod pieces;

use std::borrow::{Borrow, Cow};
use std::fmt::Write as _;
use std::sync::Arc;

use super::fast_hash::FastSet;
use super::report::{
    CriterionReport, EarlyHuman, GateReport, InitiativeReport, KpiReport, KpiStatus, Outcome, PolicyReport, Report, Run,
};
use crate::check::MeasureUnit;
use crate::junit::{attr, xml, JunitRun};
use crate::markdown as md;
use pieces::Pieces;

/// The report as JSON (see `docs/report.schema.json`).
pub fn json(report: &Report) -> String {
    report.to_json()
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn outcome_color(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "\x1b[32m",
        Outcome::Warn => "\x1b[33m",
        Outcome::Fail => "\x1b[31m",
        Outcome::Unknown => "\x1b[35m",
    }
}

fn status_color(s: KpiStatus) -> &'static str {
    match s {
        KpiStatus::Met => "\x1b[32m",
        KpiStatus::AtRisk => "\x1b[33m",
        KpiStatus::Missed => "\x1b[31m",
        KpiStatus::Unknown => "\x1b[35m",
    }
}

/// Paints text when colour is on.
struct Paint {
    on: bool,
}

impl Paint {
    fn with(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// Appends `code` (a colour or a weight) when painting.
    fn open(&self, out: &mut String, code: &str) {
        if self.on {
            out.push_str(code);
        }
    }

    /// Appends the reset of what [`Paint::open`] opened, when painting.
    fn close(&self, out: &mut String) {
        if self.on {
            out.push_str(RESET);
        }
    }

    /// Appends [`Paint::with`], without a string of its own.
    fn put(&self, out: &mut String, code: &str, text: &str) {
        self.open(out, code);
        out.push_str(text);
        self.close(out);
    }

    /// Appends `text` painted, then padded to `width` characters (so
    /// escapes do not upset the alignment).
    fn put_padded(&self, out: &mut String, code: &str, text: &str, width: usize) {
        self.put(out, code, text);
        pad(out, width.saturating_sub(text.chars().count()));
    }
}

/// Appends `n` spaces.
fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Appends `text` padded to `width` characters, as `{:width$}` writes it.
fn put_left(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    pad(out, width.saturating_sub(text.chars().count()));
}

/// Appends `file:line`, painted dim.
fn put_place(out: &mut String, p: &Paint, file: &str, line: u32) {
    p.open(out, DIM);
    let _ = write!(out, "{file}:{line}");
    p.close(out);
}

/// A KPI's value in its unit: `93.5%`, `199ms`, `-` when unknown.
pub fn kpi_value(k: &KpiReport) -> String {
    match (&k.value, MeasureUnit::parse(&k.unit)) {
        (Some(v), Some(unit)) => unit.format_float(v.0),
        (Some(v), None) => crate::check::value::fmt_num(v.0),
        (None, _) => "-".to_string(),
    }
}

fn counts(report: &Report) -> String {
    let s = report.summary;
    let mut parts = Vec::new();
    for (n, word) in [(s.fail, "fail"), (s.unknown, "unknown"), (s.warn, "warn"), (s.pass, "pass")] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let mut text = if parts.is_empty() { "no policies or asked gates".to_string() } else { parts.join(", ") };
    match s.not_ready {
        0 => {}
        1 => text.push_str("; 1 initiative not ready"),
        n => text.push_str(&format!("; {n} initiatives not ready")),
    }
    text
}

/// Whether a gate is readiness nobody asked about that does not hold: it
/// is shown as "not ready", never as a failure.
fn unasked_block(init: &InitiativeReport, outcome: Outcome) -> bool {
    !init.asked && outcome.blocks()
}

/// The colour of an outcome in a gate of `init`: an unasked gate that
/// blocks is readiness, painted as a warning.
fn gate_color(init: &InitiativeReport, o: Outcome) -> &'static str {
    if unasked_block(init, o) {
        outcome_color(Outcome::Warn)
    } else {
        outcome_color(o)
    }
}

/// The criteria that block an initiative: "`a` fails, `b` is unknown".
fn blockers(init: &InitiativeReport) -> String {
    let names: Vec<String> = init
        .blocked_by
        .iter()
        .map(|b| match b.outcome {
            Outcome::Unknown => format!("`{}` is unknown", b.text),
            _ => format!("`{}` fails", b.text),
        })
        .collect();
    match names.len() {
        0..=3 => names.join(", "),
        n => format!("{}, and {} more", names[..3].join(", "), n - 3),
    }
}

/// An initiative's readiness, as its first word (`ready` or `not ready`)
/// and the rest of the line.
fn readiness_line(init: &InitiativeReport) -> (&'static str, String) {
    let asked = if init.asked { " (asked with --ready)" } else { "" };
    match &init.next_gate {
        None => ("ready", format!("{asked}: no gate guards `{}` -> its next stage", init.stage)),
        Some(g) if init.ready => ("ready", format!(" to advance `{} -> {}`{asked}", g.from, g.to)),
        Some(g) if init.asked => {
            ("not ready", format!(" to advance `{} -> {}`{asked}: {}", g.from, g.to, blockers(init)))
        }
        Some(g) => (
            "not ready",
            format!(
                " to advance `{} -> {}`: {}; readiness only (`--ready {}` makes it block)",
                g.from,
                g.to,
                blockers(init),
                init.name
            ),
        ),
    }
}

/// A readable table per initiative, then the policies, then the outcome.
/// `color` adds ANSI colours (the CLI passes its `use_color()`).
pub fn human(report: &Report, color: bool) -> String {
    human_early(report, color, None)
}

/// [`human`], with the blocks of initiatives the evaluation rendered as it
/// went, when given in the same colours (the same text, sooner).
pub(crate) fn human_early(report: &Report, color: bool, early: Option<&EarlyHuman>) -> String {
    human_pieces(report, color, early).concat()
}

/// [`human_early`] in pieces, the text one after the other: the blocks
/// rendered early are pieces of their own, to be written without being
/// copied first.
pub(crate) fn human_pieces<'r>(report: &'r Report, color: bool, early: Option<&'r EarlyHuman>) -> Vec<Cow<'r, str>> {
    let n = report.initiatives.len();
    // A large report is rendered in two parts at once: each initiative's
    // block is a function of it alone, so the text is the same.
    let split = if n >= HUMAN_TWO_PARTS_FROM && super::two_threads() { human_split(report) } else { n };
    let early = early.filter(|e| e.color == color);
    human_at(report, color, split, early)
}

/// The blocks of `initiatives`, rendered as [`human`] renders them, with
/// `room` bytes for them.
pub(crate) fn human_initiatives(initiatives: &[InitiativeReport], color: bool, room: usize) -> String {
    let mut out = String::with_capacity(room);
    initiatives.iter().for_each(|init| human_initiative(&mut out, &Paint { on: color }, init));
    out
}

/// [`human_pieces`] with its second part from the initiative `split`
/// (the number of initiatives: one part).
fn human_at<'r>(report: &'r Report, color: bool, split: usize, early: Option<&'r EarlyHuman>) -> Vec<Cow<'r, str>> {
    let p = Paint { on: color };
    let mut out = Pieces::default();
    let _ = writeln!(out.text, "{} at {}", p.with(BOLD, "compel eval"), report.now);
    let n = report.initiatives.len();
    std::thread::scope(|scope| {
        let rest = (split < n).then(|| {
            scope.spawn(|| {
                let mut rest = Pieces::default();
                blocks(&mut rest, &p, report, split..n, early);
                human_tail(&mut rest, &p, report, early);
                rest.done()
            })
        });
        blocks(&mut out, &p, report, 0..split, early);
        match rest.map(|r| r.join()) {
            Some(Ok(rest)) => out.then(rest),
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => human_tail(&mut out, &p, report, early),
        }
    });
    out.done()
}

/// The blocks of the initiatives at `range`: as rendered `early` where a
/// chunk holds them (none asked about since), the others rendered now.
fn blocks<'r>(
    out: &mut Pieces<'r>,
    p: &Paint,
    report: &'r Report,
    range: std::ops::Range<usize>,
    early: Option<&'r EarlyHuman>,
) {
    let Some(early) = early else {
        report.initiatives[range].iter().for_each(|init| human_initiative(&mut out.text, p, init));
        return;
    };
    for run in early.chunks.cover(report, range) {
        match run {
            Run::Chunk(_, text) => out.borrowed(text),
            Run::One(i) => human_initiative(&mut out.text, p, &report.initiatives[i]),
        }
    }
}

/// From this many initiatives the terminal report is rendered in two parts.
const HUMAN_TWO_PARTS_FROM: usize = 512;

/// Where the terminal report's second part starts: about half its lines,
/// the policies and the KPI list after the initiatives counted with it.
fn human_split(report: &Report) -> usize {
    let lines =
        |i: &InitiativeReport| 4 + i.kpis.len() + i.gates.iter().map(|g| 2 + 2 * g.criteria.len()).sum::<usize>();
    let rest: usize = report.policies.iter().map(|p| 1 + 2 * p.criteria.len()).sum::<usize>() + report.kpis.len();
    report.halfway(lines, rest)
}

/// One initiative's block of the terminal report.
fn human_initiative(out: &mut String, p: &Paint, init: &InitiativeReport) {
    // Written piece by piece into `out`: an initiative's block is most of
    // a large report's text.
    out.push('\n');
    p.open(out, BOLD);
    out.push_str("initiative ");
    out.push_str(&init.name);
    p.close(out);
    out.push_str(" (stage ");
    out.push_str(&init.stage);
    out.push_str(") ");
    put_place(out, p, &init.file, init.line);
    out.push('\n');
    let (word, rest) = readiness_line(init);
    let color = match (init.ready, init.asked) {
        (true, _) => outcome_color(Outcome::Pass),
        (false, false) => outcome_color(Outcome::Warn),
        (false, true) => outcome_color(Outcome::Fail),
    };
    out.push_str("  ");
    p.open(out, BOLD);
    p.put(out, color, word);
    out.push_str(&rest);
    out.push('\n');
    if !init.kpis.is_empty() {
        kpi_table(out, p, &init.kpis, "  ");
    }
    for gate in &init.gates {
        out.push_str("\n  gate ");
        out.push_str(&gate.from);
        out.push_str(" -> ");
        out.push_str(&gate.to);
        out.push_str(": ");
        p.open(out, BOLD);
        p.put(out, gate_color(init, gate.outcome), gate.outcome.as_str());
        out.push_str("  ");
        p.put(out, DIM, &gate.reason);
        out.push('\n');
        for c in &gate.criteria {
            criterion(out, p, c, "    ", gate_color(init, c.outcome));
        }
    }
}

/// The terminal report after the initiatives: the policies, the KPIs no
/// initiative lists, and the outcome.
fn human_tail<'r>(pieces: &mut Pieces<'r>, p: &Paint, report: &Report, early: Option<&'r EarlyHuman>) {
    match early.and_then(|e| e.policies.as_deref()) {
        Some(text) => pieces.borrowed(text),
        None => human_policies(&mut pieces.text, p, &report.policies),
    }
    let out = &mut pieces.text;
    let reported = unlisted_kpis(report);
    if !reported.is_empty() {
        let _ = writeln!(out, "\n{}", p.with(BOLD, "other KPIs"));
        kpi_table(out, p, &reported, "  ");
    }
    let _ = writeln!(
        out,
        "\noutcome: {} ({})",
        p.with(&format!("{BOLD}{}", outcome_color(report.outcome)), report.outcome.as_str()),
        counts(report)
    );
}

/// The KPIs of the report's list that no initiative lists by name (the
/// names are the policy's own, as the evaluator's caches' keys), in the
/// list's order. An initiative lists the report's own: each KPI's report
/// is made once and shared, so most are found by address, and only the
/// rest are looked for by name.
fn unlisted_kpis(report: &Report) -> Vec<&KpiReport> {
    let listed = || report.initiatives.iter().flat_map(|i| i.kpis.iter());
    let mut shared: FastSet<*const KpiReport> =
        FastSet::with_capacity_and_hasher(report.initiatives.iter().map(|i| i.kpis.len()).sum(), Default::default());
    shared.extend(listed().map(Arc::as_ptr));
    let rest: Vec<&KpiReport> =
        report.kpis.iter().filter(|k| !shared.contains(&Arc::as_ptr(k))).map(|k| &**k).collect();
    if rest.is_empty() {
        return rest;
    }
    let names: FastSet<&str> = rest.iter().map(|k| k.name.as_str()).collect();
    let shown: FastSet<&str> = listed().map(|k| k.name.as_str()).filter(|n| names.contains(n)).collect();
    rest.into_iter().filter(|k| !shown.contains(k.name.as_str())).collect()
}

/// The section of the terminal report on `policies`, rendered as
/// [`human`] renders it.
pub(crate) fn human_policies_text(policies: &[PolicyReport], color: bool) -> String {
    let mut out = String::new();
    human_policies(&mut out, &Paint { on: color }, policies);
    out
}

fn human_policies(out: &mut String, p: &Paint, policies: &[PolicyReport]) {
    if policies.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.with(BOLD, "policies"));
    for pol in policies {
        out.push_str("  ");
        p.put_padded(out, outcome_color(pol.outcome), pol.outcome.as_str(), 7);
        let _ = writeln!(out, " {} on {}", pol.name, pol.subject);
        for c in &pol.criteria {
            criterion(out, p, c, "      ", outcome_color(c.outcome));
        }
    }
}

/// Each KPI with its family's members after it (their names indented):
/// one row each.
fn rows<K: Borrow<KpiReport>>(kpis: &[K]) -> Vec<(String, &KpiReport)> {
    let mut out = Vec::new();
    for k in kpis.iter().map(Borrow::borrow) {
        out.push((k.name.clone(), k));
        out.extend(k.members.iter().map(|m| (format!("  {}", m.name), m)));
    }
    out
}

fn kpi_table<K: Borrow<KpiReport>>(out: &mut String, p: &Paint, kpis: &[K], indent: &str) {
    let rows = rows(kpis);
    let name_w = rows.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0).max(3);
    let values: Vec<String> = rows.iter().map(|(_, k)| kpi_value(k)).collect();
    let value_w = values.iter().map(|v| v.chars().count()).max().unwrap_or(0).max(5);
    let _ = writeln!(
        out,
        "{indent}{}",
        p.with(DIM, &format!("{:name_w$}  {:8}  {:value_w$}  why", "KPI", "status", "value"))
    );
    for ((name, k), v) in rows.iter().zip(&values) {
        out.push_str(indent);
        put_left(out, name, name_w);
        out.push_str("  ");
        p.put_padded(out, status_color(k.status), k.status.as_str(), 8);
        out.push_str("  ");
        put_left(out, v, value_w);
        out.push_str("  ");
        out.push_str(&k.reason);
        out.push('\n');
    }
}

fn criterion(out: &mut String, p: &Paint, c: &CriterionReport, indent: &str, color: &str) {
    out.push_str(indent);
    p.put_padded(out, color, c.outcome.as_str(), 7);
    out.push(' ');
    out.push_str(&c.text);
    out.push_str("  ");
    put_place(out, p, &c.file, c.line);
    out.push('\n');
    out.push_str(indent);
    out.push_str("        ");
    out.push_str(&c.reason);
    out.push('\n');
    if let (Some(because), true) = (&c.because, c.holds != Some(true)) {
        let _ = writeln!(out, "{indent}        because {because:?}");
    }
}

fn emoji(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅",
        Outcome::Warn => "⚠️",
        Outcome::Fail => "❌",
        Outcome::Unknown => "❓",
    }
}

fn status_emoji(s: KpiStatus) -> &'static str {
    match s {
        KpiStatus::Met => "✅",
        KpiStatus::AtRisk => "⚠️",
        KpiStatus::Missed => "❌",
        KpiStatus::Unknown => "❓",
    }
}

/// Markdown for a pull-request comment: a heading with the outcome, a KPI
/// table and a criteria table per initiative (with each criterion's
/// `because`), then the policies. Everything taken from the policy goes
/// through [`crate::markdown`], so it renders as text.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {} compel eval: {}\n", emoji(report.outcome), report.outcome);
    let _ = writeln!(out, "Evaluated at {}: {}.", md::code(&report.now), counts(report));
    if !report.initiatives.is_empty() {
        md_readiness(&mut out, report);
    }
    for init in &report.initiatives {
        let _ = writeln!(out, "\n### Initiative {} (stage {})\n", md::code(&init.name), md::code(&init.stage));
        if !init.kpis.is_empty() {
            md_kpis(&mut out, &init.kpis);
        }
        for gate in &init.gates {
            let readiness = if unasked_block(init, gate.outcome) { ", not ready (not asked)" } else { "" };
            let _ = writeln!(
                out,
                "**Gate {}: {} {}{readiness}** ({})\n",
                md::code(&format!("{} -> {}", gate.from, gate.to)),
                gate_emoji(init, gate.outcome),
                gate.outcome,
                md::prose(&gate.reason, false)
            );
            md_criteria(&mut out, init, gate);
        }
    }
    if !report.policies.is_empty() {
        let _ = writeln!(out, "\n### Policies\n");
        let rows: Vec<Vec<String>> = report
            .policies
            .iter()
            .map(|pol| {
                let why: Vec<String> =
                    pol.criteria.iter().map(|c| format!("{}: {}", md::code_cell(&c.text), why(c))).collect();
                vec![
                    format!("{} {}", emoji(pol.outcome), pol.outcome),
                    md::code_cell(&pol.name),
                    md::code_cell(&pol.subject),
                    why.join("; "),
                ]
            })
            .collect();
        out.push_str(&md::table(&["outcome", "policy", "subject", "why"], &rows));
    }
    out
}

/// A criterion's reason, and its `because` when it blocks or warns.
fn why(c: &CriterionReport) -> String {
    match &c.because {
        Some(b) if c.outcome != Outcome::Pass => format!("{} (because: {})", md::prose(&c.reason, true), md::text(b)),
        _ => md::prose(&c.reason, true),
    }
}

fn md_kpis<K: Borrow<KpiReport>>(out: &mut String, kpis: &[K]) {
    let rows: Vec<Vec<String>> = rows(kpis)
        .into_iter()
        .map(|(name, k)| {
            // A family's members sit under it, indented.
            let indent = if k.labels.is_empty() { "" } else { "\u{a0}\u{a0}" };
            vec![
                format!("{indent}{}", md::code_cell(name.trim_start())),
                format!("{} {}", status_emoji(k.status), k.status),
                md::text(&kpi_value(k)),
                md::prose(&k.reason, true),
            ]
        })
        .collect();
    out.push_str(&md::table(&["KPI", "status", "value", "why"], &rows));
    out.push('\n');
}

/// The emoji of an outcome in a gate of `init`: an unasked gate that
/// blocks is readiness, not a failure.
fn gate_emoji(init: &InitiativeReport, o: Outcome) -> &'static str {
    if unasked_block(init, o) {
        "🚧"
    } else {
        emoji(o)
    }
}

/// One row per initiative: its next gate and whether it may advance.
fn md_readiness(out: &mut String, report: &Report) {
    let _ = writeln!(out, "\n### Readiness\n");
    let rows: Vec<Vec<String>> = report
        .initiatives
        .iter()
        .map(|init| {
            let next = init
                .next_gate
                .as_ref()
                .map_or_else(|| "none".to_string(), |g| md::code_cell(&format!("{} -> {}", g.from, g.to)));
            let asked = if init.asked { " (asked)" } else { "" };
            let readiness = match (init.ready, init.asked) {
                (true, _) => format!("✅ ready{asked}"),
                (false, false) => "🚧 not ready".to_string(),
                (false, true) => format!("❌ not ready{asked}"),
            };
            let why: Vec<String> = init
                .blocked_by
                .iter()
                .map(|b| format!("{}: {}", md::code_cell(&b.text), md::prose(&b.reason, true)))
                .collect();
            vec![md::code_cell(&init.name), md::code_cell(&init.stage), next, readiness, why.join("; ")]
        })
        .collect();
    out.push_str(&md::table(&["initiative", "stage", "next gate", "readiness", "blocked by"], &rows));
}

fn md_criteria(out: &mut String, init: &InitiativeReport, gate: &GateReport) {
    let rows: Vec<Vec<String>> = gate
        .criteria
        .iter()
        .map(|c| {
            vec![
                format!("{} {}", gate_emoji(init, c.outcome), c.outcome),
                md::code_cell(&c.text),
                md::prose(&c.reason, true),
                c.because.as_deref().map(md::text).unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&md::table(&["outcome", "criterion", "why", "because"], &rows));
    out.push('\n');
}

/// JUnit XML (see [`crate::junit`] for the shape every compel report
/// shares): one test suite per gate (`initiative/from -> to`) and per
/// policy on a subject (`policy/subject`), one test case per criterion.
/// `fail` and `unknown` are failures carrying the reason and the
/// criterion's `file:line:column`; `warn` passes with both on
/// `system-out`. `run` gives the timestamp, host, duration and properties
/// (the CLI's `now`, metric sources and compel's version).
pub fn junit(report: &Report, run: &JunitRun) -> String {
    // (suite name, criteria, readiness nobody asked about: blocks are skipped)
    let mut suites: Vec<(String, &[CriterionReport], bool)> = Vec::new();
    for init in &report.initiatives {
        for gate in &init.gates {
            suites.push((format!("{}/{} -> {}", init.name, gate.from, gate.to), &gate.criteria, !init.asked));
        }
    }
    for pol in &report.policies {
        suites.push((format!("{}/{}", pol.name, pol.subject), &pol.criteria, false));
    }
    let blocking = |criteria: &[CriterionReport]| criteria.iter().filter(|c| c.outcome.blocks()).count();
    let total: usize = suites.iter().map(|(_, c, _)| c.len()).sum();
    let failures: usize = suites.iter().filter(|(_, _, readiness)| !readiness).map(|(_, c, _)| blocking(c)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // `skipped` is counted per suite: junit-10.xsd has no such attribute on
    // `<testsuites>`.
    let _ = writeln!(
        out,
        "<testsuites name=\"compel eval\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">",
        run.time()
    );
    let suite_attributes = run.suite_attributes();
    let properties = run.properties_xml("    ");
    for (name, criteria, readiness) in &suites {
        let (f, skip) = if *readiness { (0, blocking(criteria)) } else { (blocking(criteria), 0) };
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{skip}\"{suite_attributes}>",
            attr(name),
            criteria.len(),
        );
        out.push_str(&properties);
        for c in criteria.iter() {
            let _ = write!(out, "    <testcase name=\"{}\" classname=\"{}\"", attr(&c.text), attr(name));
            let location = format!("{}:{}:{}", c.file, c.line, c.column);
            match c.outcome {
                Outcome::Pass => out.push_str("/>\n"),
                Outcome::Warn => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>warn: {}\n{}</system-out>\n    </testcase>",
                        xml(&c.reason),
                        xml(&location)
                    );
                }
                Outcome::Fail | Outcome::Unknown if *readiness => {
                    let mut message = format!("not ready (readiness, not asked with --ready): {}", c.reason);
                    if let Some(b) = &c.because {
                        message.push_str(&format!(" (because {b:?})"));
                    }
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>",
                        attr(&message),
                        xml(&location)
                    );
                }
                Outcome::Fail | Outcome::Unknown => {
                    let mut body = format!("{location}: {}", c.reason);
                    if let Some(b) = &c.because {
                        body.push_str(&format!("\nbecause {b:?}"));
                    }
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        attr(&c.reason),
                        c.outcome,
                        xml(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The JUnit report of an evaluation that could not run (exit 2): one
/// test case in error with the reason.
pub fn junit_error(run: &JunitRun, reason: &str) -> String {
    crate::junit::error_report("compel eval", run, reason)
}

#[cfg(test)]
mod tests;
