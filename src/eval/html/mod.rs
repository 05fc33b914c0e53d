//! The executive portfolio page (`compel report`): one self-contained HTML
//! file rendered from a [`Report`] and the checked [`Model`].
//!
//! Pure: the caller gives the report, the model, the file set and the
//! page's facts ([`Page`]); nothing here reads files, the clock or the
//! network. The page has inline CSS and SVG, no script, no external
//! reference, and a Content-Security-Policy that forbids everything else
//! (`default-src 'none'; style-src 'unsafe-inline'; img-src data:`).
//!
//! Every string that comes from policy files or metrics is untrusted: it is
//! written through [`esc`], which escapes HTML's special characters and
//! shows Unicode direction controls as `[U+202E]` so that text cannot
//! reorder what the reader sees. The same inputs give the same bytes: the
//! page follows the report's order and formats numbers one way.

use std::collections::HashMap;
use std::fmt::Write as _;

mod board;
mod css;
mod details;
mod kpis;
mod obligations;
mod program;
mod sparkline;

use super::report::{PolicyReport, SampleRecord};
use super::{KpiStatus, Outcome, Report};
use crate::check::{AttrVal, Decl, Kind, Model, Value};
use crate::text::Files;
use css::CSS;

/// The page's facts that do not come from the report.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The policy files or folders evaluated, as given.
    pub paths: Vec<String>,
    /// The metric sources, as a person reads them.
    pub sources: Vec<String>,
    /// The command that reproduces the page.
    pub command: String,
    /// compel's version.
    pub version: String,
    /// Per KPI name, the samples to draw its trend from, oldest first. A
    /// KPI without an entry is drawn from the report's evidence.
    pub trends: Vec<(String, Vec<SampleRecord>)>,
}

/// The Content-Security-Policy of the page.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// The six stages, in order, when the model does not say otherwise.
const STAGES: &[&str] = &["calibrate", "organize", "model", "produce", "evaluate", "learn"];

/// Escapes text for HTML content and quoted attribute values. Direction
/// controls (which would let text reorder what is shown) are written as
/// `[U+XXXX]`, and other control characters as U+FFFD.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    esc_into(text, &mut out);
    out
}

fn esc_into(text: &str, out: &mut String) {
    // Most text is printable ASCII without markup characters: as is.
    let plain = |b: &u8| matches!(b, b' '..=b'~') && !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    if text.as_bytes().iter().all(plain) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "[U+{:04X}]", c as u32);
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// A traffic-light class and a word for it: the page never says a state by
/// colour alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Light {
    Green,
    Amber,
    Grey,
    Red,
}

impl Light {
    /// The mark's class: one letter, as a mark is the page's most
    /// repeated element (green, amber, unknown grey, red).
    fn class(self) -> &'static str {
        match self {
            Light::Green => "g",
            Light::Amber => "a",
            Light::Grey => "u",
            Light::Red => "r",
        }
    }
}

/// A status mark, `<b class="g">met</b>`: its colour, its word, and its
/// symbol (drawn by the style sheet from the class, hidden from screen
/// readers: the word says it).
fn mark(out: &mut String, light: Light, word: &str) {
    let _ = write!(out, "<b class=\"{}\">{}</b>", light.class(), esc(word));
}

fn outcome_light(o: Outcome) -> Light {
    match o {
        Outcome::Pass => Light::Green,
        Outcome::Warn => Light::Amber,
        Outcome::Unknown => Light::Grey,
        Outcome::Fail => Light::Red,
    }
}

fn kpi_light(s: KpiStatus) -> Light {
    match s {
        KpiStatus::Met => Light::Green,
        KpiStatus::AtRisk => Light::Amber,
        KpiStatus::Unknown => Light::Grey,
        KpiStatus::Missed => Light::Red,
    }
}

fn kpi_word(s: KpiStatus) -> &'static str {
    match s {
        KpiStatus::Met => "met",
        KpiStatus::AtRisk => "at risk",
        KpiStatus::Missed => "missed",
        KpiStatus::Unknown => "unknown",
    }
}

/// Missed first, then unknown, at risk, met.
fn kpi_rank(s: KpiStatus) -> u8 {
    match s {
        KpiStatus::Missed => 0,
        KpiStatus::Unknown => 1,
        KpiStatus::AtRisk => 2,
        KpiStatus::Met => 3,
    }
}

/// `model` -> `Model`.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Reads the declarations the page shows.
struct Decls<'a> {
    model: &'a Model,
    files: &'a Files,
    /// Each (kind, name) to its declaration, the user's before the
    /// stdlib's, the first of each.
    index: HashMap<(Kind, &'a str), &'a Decl>,
    /// The obligations on each `kind subject`, in the report's order.
    on: HashMap<String, Vec<&'a PolicyReport>>,
}

impl<'a> Decls<'a> {
    fn new(model: &'a Model, files: &'a Files, report: &'a Report) -> Decls<'a> {
        let mut on: HashMap<String, Vec<&PolicyReport>> = HashMap::new();
        for p in &report.policies {
            on.entry(format!("{} {}", p.kind, p.subject)).or_default().push(p);
        }
        let mut decls = Decls { model, files, index: HashMap::new(), on };
        let mut index = HashMap::with_capacity(model.decls.len());
        for user in [true, false] {
            for d in model.decls.iter().filter(|d| decls.is_user(d) == user) {
                index.entry((d.kind, d.name.as_str())).or_insert(d);
            }
        }
        decls.index = index;
        decls
    }

    fn is_user(&self, d: &Decl) -> bool {
        !crate::stdlib::is_std_path(&self.files.get(d.file).path)
    }

    fn user(&self, kind: Kind) -> impl Iterator<Item = &'a Decl> + '_ {
        self.model.decls.iter().filter(move |d| d.kind == kind && self.is_user(d))
    }

    /// The obligations on the `kind` named `subject`.
    fn policies_on(&self, kind: &str, subject: &str) -> &[&'a PolicyReport] {
        self.on.get(format!("{kind} {subject}").as_str()).map_or(&[], Vec::as_slice)
    }

    fn find(&self, kind: Kind, name: &str) -> Option<&'a Decl> {
        self.index.get(&(kind, name)).copied()
    }

    /// A declaration's title: its `title`, else the first line of its doc
    /// comment, else its name.
    fn title(&self, d: &Decl) -> String {
        if let Some(t) = d.str_attr("title").filter(|t| !t.trim().is_empty()) {
            return t.to_string();
        }
        if let Some(doc) = &d.doc {
            if let Some(line) = doc.lines().map(str::trim).find(|l| !l.is_empty()) {
                return line.to_string();
            }
        }
        d.name.clone()
    }

    /// A person as `Name (Role title)`; a string as written.
    fn person(&self, v: &Value) -> String {
        match v {
            Value::Decl(id) => {
                let d = self.model.decl(*id);
                let name = d.str_attr("name").unwrap_or(&d.name).to_string();
                match d.reference("role").map(|r| self.model.decl(r)) {
                    Some(role) => format!("{name} ({})", role.str_attr("title").unwrap_or(&role.name)),
                    None => name,
                }
            }
            Value::Str(s) => s.clone(),
            v => self.model.display_value(v),
        }
    }

    fn value(&self, v: &Value) -> String {
        match v {
            Value::Str(s) => s.clone(),
            Value::Money(amount, currency) => format!("{} {currency}", group_thousands(&amount.to_string())),
            v => self.model.display_value(v),
        }
    }

    fn stage_names(&self) -> Vec<(String, String)> {
        let from_model: Vec<(String, String)> = self
            .model
            .stages()
            .iter()
            .map(|id| {
                let d = self.model.decl(*id);
                (d.name.clone(), d.str_attr("title").map_or_else(|| capitalised(&d.name), str::to_string))
            })
            .collect();
        if from_model.is_empty() {
            STAGES.iter().map(|s| (s.to_string(), capitalised(s))).collect()
        } else {
            from_model
        }
    }

    fn stage_title(&self, name: &str) -> String {
        self.stage_names().into_iter().find(|(n, _)| n == name).map_or_else(|| capitalised(name), |(_, t)| t)
    }

    /// A KPI's threshold attribute in its unit: `>= 92%`.
    fn threshold(&self, kpi: &Decl, attr: &str) -> Option<String> {
        let (op, v) = match &kpi.attr(attr)?.value {
            AttrVal::Threshold(op, v) => (*op, v),
            _ => return None,
        };
        let unit = kpi.measure_unit();
        let bound = match unit.from_value(v) {
            Some(raw) => unit.format_raw(raw),
            None => self.model.display_value(v),
        };
        Some(format!("{} {bound}", op.as_str()))
    }
}

/// `1200000` -> `1,200,000` (the integer part only).
fn group_thousands(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    if !int.bytes().all(|b| b.is_ascii_digit()) {
        return number.to_string();
    }
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Days since the epoch of an RFC 3339 time (its UTC date).
fn day_of(time: &str) -> Option<i64> {
    let nanos = super::metrics::parse_rfc3339(time)?;
    Some(nanos.div_euclid(super::metrics::NANOS * 86_400))
}

/// `1 day`, `5 days`.
pub(super) fn days(n: i64) -> String {
    format!("{n} day{}", if n == 1 { "" } else { "s" })
}

fn date_text(days: i64) -> String {
    let (y, m, d) = super::metrics::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Renders the page.
pub fn render(report: &Report, model: &Model, files: &Files, page: &Page) -> String {
    let decls = Decls::new(model, files, report);
    let mut out = String::with_capacity(64 * 1024);
    let programs: Vec<&Decl> = decls.user(Kind::Program).collect();
    let heading = match programs.as_slice() {
        [] => "AI portfolio".to_string(),
        ps => format!("AI portfolio: {}", ps.iter().map(|p| decls.title(p)).collect::<Vec<_>>().join(", ")),
    };
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&heading));
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");

    header(&mut out, report, page, &heading);
    out.push_str("<main>\n");
    program::program_section(&mut out, report, &decls, &programs);
    board::board(&mut out, report, &decls);
    kpis::kpi_section(&mut out, report, &decls, page);
    obligations::obligations(&mut out, report, &decls);
    details::details(&mut out, report, &decls);
    out.push_str("</main>\n");
    footer(&mut out, page);
    out.push_str("</body>\n</html>\n");
    out
}

fn header(out: &mut String, report: &Report, page: &Page, heading: &str) {
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", esc(heading));
    out.push_str("<ul class=\"meta\">");
    let _ = write!(out, "<li>Evaluated at <b>{}</b></li>", esc(&report.now));
    let _ = write!(out, "<li>Policy: <b>{}</b></li>", esc(&page.paths.join(", ")));
    let sources = if page.sources.is_empty() { "none".to_string() } else { page.sources.join(", ") };
    let _ = write!(out, "<li>Metrics: <b>{}</b></li>", esc(&sources));
    let _ = write!(out, "<li>compel <b>{}</b></li>", esc(&page.version));
    out.push_str("</ul>\n");

    let initiatives = report.initiatives.len();
    let ready = report.initiatives.iter().filter(|i| i.ready).count();
    let violated = report.policies.iter().filter(|p| p.outcome.blocks()).count();
    let kpi_count = |s: KpiStatus| report.kpis.iter().filter(|k| k.status == s).count();
    out.push_str("<div class=\"summary\">");
    let _ = write!(out, "<div><b>{ready} of {initiatives}</b> initiatives ready for their next stage</div>");
    let _ = write!(
        out,
        "<div><b>{}</b> KPIs met, <b>{}</b> at risk, <b>{}</b> missed, <b>{}</b> unknown</div>",
        kpi_count(KpiStatus::Met),
        kpi_count(KpiStatus::AtRisk),
        kpi_count(KpiStatus::Missed),
        kpi_count(KpiStatus::Unknown)
    );
    let _ = write!(out, "<div><b>{violated}</b> of {} obligations violated</div>", report.policies.len());
    out.push_str("</div>\n</header>\n");
}

fn footer(out: &mut String, page: &Page) {
    out.push_str("<footer>\n<p>Reproduce this page with:</p>\n");
    let _ = writeln!(out, "<code>{}</code>", esc(&page.command));
    out.push_str("<p>Generated by compel from the policy files and metrics above; the same inputs give the same page.</p>\n</footer>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_direction_controls() {
        assert_eq!(esc("<script>\"x\"&'y'</style>"), "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/style&gt;");
        assert_eq!(esc("a\u{202E}b\u{2066}"), "a[U+202E]b[U+2066]");
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
        // Plain ASCII is copied as is; other text character by character.
        assert_eq!(esc("plain `text` 1.2% {x}"), "plain `text` 1.2% {x}");
        assert_eq!(esc("Ramán\t<"), "Ramán\t&lt;");
        assert_eq!(esc("a\u{7f}b\rc"), "a\u{FFFD}b\u{FFFD}c");
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands("1200000"), "1,200,000");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(group_thousands("-1234.5"), "-1,234.5");
    }
}
