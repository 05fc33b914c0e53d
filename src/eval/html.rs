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

use std::fmt::Write as _;

use super::report::{CriterionReport, Evidence, InitiativeReport, KpiReport, PolicyReport, SampleRecord};
use super::{KpiStatus, Outcome, Report};
use crate::check::{AttrVal, Decl, Kind, Model, Value};
use crate::text::Files;

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

const CSS: &str = r#"
:root{--ink:#1b1f24;--muted:#59636e;--line:#d0d7de;--bg:#f6f8fa;--green:#1a7f37;--amber:#9a6700;--red:#cf222e;--grey:#59636e}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
main,header,footer{max-width:1400px;margin:0 auto;padding:0 20px}
header{padding-top:18px;border-bottom:1px solid var(--line)}
h1{font-size:24px;margin:0 0 6px}
h2{font-size:19px;margin:26px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:0 0 6px}
p,li,td,th,dd,dt,summary{overflow-wrap:anywhere}
.meta{display:flex;flex-wrap:wrap;gap:4px 22px;color:var(--muted);font-size:13px;margin:0 0 12px;padding:0;list-style:none}
.meta b{color:var(--ink);font-weight:600}
.summary{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 14px}
.summary div{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:6px 12px}
.programs{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px}
.program,.card,.kpi,.obligation{border:1px solid var(--line);border-radius:8px;padding:12px;background:#fff;break-inside:avoid}
.program dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:8px 0 0}
.program dt{color:var(--muted)}
.program dd{margin:0}
.board{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:10px}
.column{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:8px;min-width:0}
.column h3{font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.column .empty{color:var(--muted);font-size:13px;margin:4px 0}
.card{margin:0 0 8px;font-size:14px}
.card p{margin:4px 0}
.card h4{margin:0 0 4px;font-size:15px}
details h4{margin:12px 0 4px}
.owner{color:var(--muted)}
.mark{display:inline-block;font-weight:600;border-radius:4px;padding:0 6px;border:1px solid currentColor;white-space:nowrap}
.s-green{color:var(--green)}.s-amber{color:var(--amber)}.s-red{color:var(--red)}.s-grey{color:var(--grey)}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.kpi p{margin:3px 0}
.kpi .value{font-size:20px;font-weight:600}
.kpi svg{display:block;width:100%;max-width:260px;height:44px;margin-top:6px}
.obligation{margin:0 0 10px}
.obligation p{margin:3px 0}
details{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:8px 12px}
summary{cursor:pointer;font-weight:600}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px;table-layout:fixed}
th,td{border-top:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
footer{border-top:1px solid var(--line);margin-top:28px;padding:12px 20px 24px;color:var(--muted);font-size:13px}
footer code{display:block;background:var(--bg);padding:8px;border-radius:6px;white-space:pre-wrap;color:var(--ink)}
.muted{color:var(--muted)}
@media (max-width:900px){.board{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:560px){
 body{font-size:14px}
 main,header,footer{padding-left:12px;padding-right:12px}
 .board{grid-template-columns:minmax(0,1fr)}
 .programs,.kpis{grid-template-columns:minmax(0,1fr)}
 table,thead,tbody,tr,th,td{display:block;width:100%}
 thead{display:none}
 td{border-top:none;padding:2px 0}
 tr{border-top:1px solid var(--line);padding:4px 0}
}
@page{size:A4 landscape;margin:10mm}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:11px}
 main,header,footer{max-width:none;padding:0}
 .board{grid-template-columns:repeat(6,minmax(0,1fr))}
 .programs{grid-template-columns:repeat(2,minmax(0,1fr))}
 .kpis{grid-template-columns:repeat(3,minmax(0,1fr))}
 h2{break-after:avoid}
 details{break-inside:avoid}
}
"#;

/// Escapes text for HTML content and quoted attribute values. Direction
/// controls (which would let text reorder what is shown) are written as
/// `[U+XXXX]`, and other control characters as U+FFFD.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    esc_into(text, &mut out);
    out
}

fn esc_into(text: &str, out: &mut String) {
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
    fn class(self) -> &'static str {
        match self {
            Light::Green => "s-green",
            Light::Amber => "s-amber",
            Light::Grey => "s-grey",
            Light::Red => "s-red",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Light::Green => "\u{2714}",
            Light::Amber => "\u{25B2}",
            Light::Grey => "?",
            Light::Red => "\u{2716}",
        }
    }
}

fn mark(out: &mut String, light: Light, word: &str) {
    let _ = write!(
        out,
        "<span class=\"mark {}\"><span aria-hidden=\"true\">{}</span> {}</span>",
        light.class(),
        light.symbol(),
        esc(word)
    );
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
}

impl<'a> Decls<'a> {
    fn is_user(&self, d: &Decl) -> bool {
        !crate::stdlib::is_std_path(&self.files.get(d.file).path)
    }

    fn user(&self, kind: Kind) -> impl Iterator<Item = &'a Decl> + '_ {
        self.model.decls.iter().filter(move |d| d.kind == kind && self.is_user(d))
    }

    fn find(&self, kind: Kind, name: &str) -> Option<&'a Decl> {
        self.user(kind)
            .find(|d| d.name == name)
            .or_else(|| self.model.decls.iter().find(|d| d.kind == kind && d.name == name))
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

fn date_text(days: i64) -> String {
    let (y, m, d) = super::metrics::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Renders the page.
pub fn render(report: &Report, model: &Model, files: &Files, page: &Page) -> String {
    let decls = Decls { model, files };
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
    program_section(&mut out, report, &decls, &programs);
    board(&mut out, report, &decls);
    kpi_section(&mut out, report, &decls, page);
    obligations(&mut out, report, &decls);
    details(&mut out, report, &decls);
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

fn program_section(out: &mut String, report: &Report, decls: &Decls<'_>, programs: &[&Decl]) {
    if programs.is_empty() {
        return;
    }
    let today = day_of(&report.now);
    out.push_str(
        "<section aria-labelledby=\"programs\">\n<h2 id=\"programs\">Programs</h2>\n<div class=\"programs\">\n",
    );
    for p in programs {
        let _ = write!(out, "<article class=\"program\"><h3>{}</h3>", esc(&decls.title(p)));
        if let Some(vision) = p.str_attr("vision") {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(vision));
        }
        out.push_str("<dl>");
        let mut row = |term: &str, body: &str| {
            let _ = write!(out, "<dt>{}</dt><dd>{body}</dd>", esc(term));
        };
        if let Some(s) = p.value("sponsor") {
            row("Sponsor", &esc(&decls.person(s)));
        }
        if let Some(b) = p.value("budget") {
            row("Budget", &esc(&decls.value(b)));
        }
        if let Some(Value::Date(until)) = p.value("approved_until") {
            let mut body = esc(&date_text(*until));
            if let Some(today) = today {
                let left = until - today;
                let mut m = String::new();
                if left < 0 {
                    mark(&mut m, Light::Red, &format!("approval lapsed {} days ago", -left));
                } else if left < 90 {
                    mark(&mut m, Light::Amber, &format!("{left} days left"));
                } else {
                    mark(&mut m, Light::Green, &format!("{left} days left"));
                }
                let _ = write!(body, " {m}");
            }
            row("Budget approved until", &body);
        }
        let last = match p.value("last_review") {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        };
        if let Some(last) = last {
            row("Last review", &esc(&date_text(last)));
        }
        if let (Some(last), Some(Value::Dur(every))) = (last, p.value("review_every")) {
            let days = every.div(crate::check::rational::Rational::int(86_400)).map(|d| d.ceil());
            if let Some(days) = days.and_then(|d| i64::try_from(d).ok()) {
                let due = last + days;
                let mut body = esc(&date_text(due));
                if let Some(today) = today {
                    let mut m = String::new();
                    if due < today {
                        mark(&mut m, Light::Red, &format!("overdue by {} days", today - due));
                    } else {
                        mark(&mut m, Light::Green, &format!("due in {} days", due - today));
                    }
                    let _ = write!(body, " {m}");
                }
                row("Next review due", &body);
            }
        }
        if let Some(Value::List(objectives)) = p.value("objectives") {
            let mut body = String::new();
            for o in objectives {
                let name = match o {
                    Value::Decl(id) => decls.model.decl(*id).name.clone(),
                    v => decls.model.display_value(v),
                };
                body.push_str("<div>");
                let title = decls.find(Kind::Kpi, &name).map_or_else(|| name.clone(), |d| decls.title(d));
                let _ = write!(body, "{} ", esc(&title));
                match report.kpi(&name) {
                    Some(k) => mark(&mut body, kpi_light(k.status), kpi_word(k.status)),
                    None => mark(&mut body, Light::Grey, "not evaluated"),
                }
                body.push_str("</div>");
            }
            row("Objectives", &body);
        }
        let violated: Vec<&PolicyReport> = report
            .policies
            .iter()
            .filter(|r| r.subject == p.name && r.kind == "program" && r.outcome.blocks())
            .collect();
        if !violated.is_empty() {
            let mut body = String::new();
            for v in violated {
                body.push_str("<div>");
                mark(&mut body, outcome_light(v.outcome), v.outcome.as_str());
                let _ = write!(body, " {}</div>", esc(&v.name));
            }
            row("Violated obligations", &body);
        }
        out.push_str("</dl></article>\n");
    }
    out.push_str("</div>\n</section>\n");
}

/// An initiative's traffic light and word, from its KPIs and the
/// obligations on it (readiness is said separately): off track, unknown,
/// at risk or on track.
fn initiative_light(i: &InitiativeReport, report: &Report) -> (Light, &'static str) {
    let worst_kpi = i.kpis.iter().map(|k| kpi_rank(k.status)).min().unwrap_or(3);
    let policy = report
        .policies
        .iter()
        .filter(|p| p.kind == "initiative" && p.subject == i.name)
        .map(|p| p.outcome)
        .max()
        .unwrap_or(Outcome::Pass);
    if policy == Outcome::Fail || worst_kpi == 0 {
        (Light::Red, "off track")
    } else if policy == Outcome::Unknown || worst_kpi == 1 {
        (Light::Grey, "unknown")
    } else if policy == Outcome::Warn || worst_kpi == 2 {
        (Light::Amber, "at risk")
    } else {
        (Light::Green, "on track")
    }
}

/// Readiness in plain words: `ready for Produce`, or `not ready for
/// Produce: ...` with each blocking criterion's `because` or reason.
fn readiness_text(i: &InitiativeReport, decls: &Decls<'_>) -> (bool, String) {
    let Some(next) = &i.next_gate else {
        return (true, "no gate guards the next stage".to_string());
    };
    let to = decls.stage_title(&next.to);
    if i.ready {
        return (true, format!("ready for {to}"));
    }
    let reasons: Vec<String> = i
        .blocked_by
        .iter()
        .map(|b| {
            let what =
                ["require ", "expect ", "advise "].iter().find_map(|k| b.text.strip_prefix(k)).unwrap_or(&b.text);
            match &b.because {
                Some(because) => format!("{because} ({what}: {})", b.reason),
                None => format!("{what}: {}", b.reason),
            }
        })
        .collect();
    (false, format!("not ready for {to}: {}", reasons.join("; ")))
}

fn owner(decls: &Decls<'_>, d: Option<&Decl>) -> Option<String> {
    let d = d?;
    d.value("owner").or_else(|| d.value("sponsor")).or_else(|| d.value("lead")).map(|v| decls.person(v))
}

fn board(out: &mut String, report: &Report, decls: &Decls<'_>) {
    out.push_str("<section aria-labelledby=\"board\">\n<h2 id=\"board\">Stage board</h2>\n<div class=\"board\">\n");
    let stages = decls.stage_names();
    for (stage, title) in &stages {
        let _ = write!(out, "<section class=\"column\" aria-label=\"{}\"><h3>{}</h3>", esc(title), esc(title));
        let mut any = false;
        for i in report.initiatives.iter().filter(|i| &i.stage == stage) {
            any = true;
            card(out, i, report, decls);
        }
        if !any {
            out.push_str("<p class=\"empty\">No initiative</p>");
        }
        out.push_str("</section>\n");
    }
    // An initiative at a stage the board does not show still appears.
    let others: Vec<&InitiativeReport> =
        report.initiatives.iter().filter(|i| !stages.iter().any(|(s, _)| s == &i.stage)).collect();
    if !others.is_empty() {
        out.push_str("<section class=\"column\" aria-label=\"Other stages\"><h3>Other stages</h3>");
        for i in others {
            card(out, i, report, decls);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</div>\n</section>\n");
}

fn card(out: &mut String, i: &InitiativeReport, report: &Report, decls: &Decls<'_>) {
    let d = decls.find(Kind::Initiative, &i.name);
    let title = d.map_or_else(|| i.name.clone(), |d| decls.title(d));
    let _ = write!(out, "<article class=\"card\" id=\"card-{}\"><h4>{}</h4>", esc(&i.name), esc(&title));
    if title != i.name {
        let _ = write!(out, "<p class=\"muted\"><code>{}</code></p>", esc(&i.name));
    }
    if let Some(o) = owner(decls, d) {
        let _ = write!(out, "<p class=\"owner\">Owner: {}</p>", esc(&o));
    }
    let (light, word) = initiative_light(i, report);
    out.push_str("<p>");
    mark(out, light, word);
    out.push_str("</p>");
    let (ready, text) = readiness_text(i, decls);
    out.push_str("<p>");
    mark(out, if ready { Light::Green } else { Light::Red }, if ready { "ready" } else { "not ready" });
    let _ = write!(out, " {}</p>", esc(&text));
    out.push_str("</article>");
}

/// The samples to draw a KPI's trend from: the page's, else every sample
/// of the report's evidence about it, oldest first, one per time.
fn trend<'r>(report: &'r Report, page: &'r Page, kpi: &str) -> Vec<&'r SampleRecord> {
    if let Some((_, samples)) = page.trends.iter().find(|(k, _)| k == kpi) {
        return samples.iter().collect();
    }
    let mut all: Vec<&SampleRecord> = Vec::new();
    let mut add = |evidence: &'r [Evidence]| {
        for e in evidence.iter().filter(|e| e.kpi == kpi && e.reference.is_none()) {
            all.extend(&e.samples);
        }
    };
    for k in &report.kpis {
        add(&k.evidence);
    }
    for i in &report.initiatives {
        for c in i.gates.iter().flat_map(|g| &g.criteria) {
            add(&c.evidence);
        }
    }
    for c in report.policies.iter().flat_map(|p| &p.criteria) {
        add(&c.evidence);
    }
    all.sort_by_key(|s| s.time);
    all.dedup_by_key(|s| s.time);
    all
}

/// A number with one decimal, for SVG coordinates.
fn coord(x: f64) -> String {
    format!("{:.1}", if x.is_finite() { x } else { 0.0 })
}

fn sparkline(out: &mut String, samples: &[&SampleRecord], target: Option<f64>, label: &str) {
    let points: Vec<(i64, f64)> =
        samples.iter().filter(|s| s.value.0.is_finite()).map(|s| (s.time.0, s.value.0)).collect();
    if points.is_empty() {
        out.push_str("<p class=\"muted\">No samples to draw.</p>");
        return;
    }
    let (w, h, pad) = (240.0, 40.0, 4.0);
    let t0 = points.iter().map(|p| p.0).min().unwrap_or(0);
    let t1 = points.iter().map(|p| p.0).max().unwrap_or(0);
    let mut lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = target.filter(|t| t.is_finite()) {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        lo -= 1.0;
        hi += 1.0;
    }
    let x = |t: i64| if t1 == t0 { w / 2.0 } else { pad + (t - t0) as f64 / (t1 - t0) as f64 * (w - 2.0 * pad) };
    let y = |v: f64| h - pad - (v - lo) / (hi - lo) * (h - 2.0 * pad);
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"none\">",
        esc(label)
    );
    if let Some(t) = target.filter(|t| t.is_finite()) {
        let yt = coord(y(t));
        let _ = write!(
            out,
            "<line x1=\"0\" x2=\"{w}\" y1=\"{yt}\" y2=\"{yt}\" stroke=\"#59636e\" stroke-dasharray=\"3 3\" stroke-width=\"1\"/>"
        );
    }
    let path: Vec<String> = points.iter().map(|&(t, v)| format!("{},{}", coord(x(t)), coord(y(v)))).collect();
    let _ =
        write!(out, "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" points=\"{}\"/>", path.join(" "));
    if let Some(&(t, v)) = points.last() {
        let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"#0969da\"/>", coord(x(t)), coord(y(v)));
    }
    out.push_str("</svg>");
}

fn kpi_section(out: &mut String, report: &Report, decls: &Decls<'_>, page: &Page) {
    if report.kpis.is_empty() {
        return;
    }
    out.push_str("<section aria-labelledby=\"kpis\">\n<h2 id=\"kpis\">KPIs</h2>\n<div class=\"kpis\">\n");
    let mut kpis: Vec<&KpiReport> = report.kpis.iter().collect();
    kpis.sort_by_key(|k| kpi_rank(k.status));
    for k in kpis {
        let d = decls.find(Kind::Kpi, &k.name);
        let title = d.map_or_else(|| k.name.clone(), |d| decls.title(d));
        let _ = write!(out, "<article class=\"kpi\" id=\"kpi-{}\"><h3>{}</h3>", esc(&k.name), esc(&k.name));
        if title != k.name {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&title));
        }
        out.push_str("<p>");
        mark(out, kpi_light(k.status), kpi_word(k.status));
        out.push_str("</p>");
        let unit = d.map(Decl::measure_unit);
        let shown = |v: f64| unit.as_ref().map_or_else(|| crate::check::value::fmt_num(v), |u| u.format_float(v));
        match k.value {
            Some(v) => {
                let when = k.time.as_deref().map(|t| format!(" <span class=\"muted\">at {}</span>", esc(t)));
                let _ =
                    write!(out, "<p><span class=\"value\">{}</span>{}</p>", esc(&shown(v.0)), when.unwrap_or_default());
            }
            None => out.push_str("<p><span class=\"value\">no value</span></p>"),
        }
        if let Some(d) = d {
            let mut lines = Vec::new();
            if let Some(t) = decls.threshold(d, "target") {
                lines.push(format!("target {t}"));
            }
            if let Some(t) = decls.threshold(d, "warn") {
                lines.push(format!("at risk when {t}"));
            }
            if !lines.is_empty() {
                let _ = write!(out, "<p>{}</p>", esc(&lines.join(", ")));
            }
        }
        let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&k.reason));
        let samples = trend(report, page, &k.name);
        let target = d.and_then(|d| match &d.attr("target")?.value {
            AttrVal::Threshold(_, v) => d.measure_unit().from_value(v).map(|r| r.to_f64()),
            _ => None,
        });
        let label = match (samples.first(), samples.last()) {
            (Some(a), Some(b)) => {
                format!("trend of {}: {} samples from {} to {}", k.name, samples.len(), a.time, b.time)
            }
            _ => format!("trend of {}: no samples", k.name),
        };
        sparkline(out, &samples, target, &label);
        out.push_str("</article>\n");
    }
    out.push_str("</div>\n</section>\n");
}

fn subject_owner(decls: &Decls<'_>, p: &PolicyReport) -> Option<String> {
    let kind = Kind::ALL.iter().copied().find(|k| k.as_str() == p.kind)?;
    owner(decls, decls.find(kind, &p.subject))
}

fn obligations(out: &mut String, report: &Report, decls: &Decls<'_>) {
    out.push_str("<section aria-labelledby=\"obligations\">\n<h2 id=\"obligations\">Obligations</h2>\n");
    let violated: Vec<&PolicyReport> = report.policies.iter().filter(|p| p.outcome.blocks()).collect();
    let warned: Vec<&PolicyReport> = report.policies.iter().filter(|p| p.outcome == Outcome::Warn).collect();
    let held = report.policies.len() - violated.len() - warned.len();
    if violated.is_empty() {
        let _ = write!(out, "<p>");
        mark(out, Light::Green, "pass");
        let _ = writeln!(out, " No obligation is violated ({held} hold).</p>");
    } else {
        let _ = writeln!(out, "<p>{} violated, {} with a warning, {held} hold.</p>", violated.len(), warned.len());
    }
    for p in violated.iter().chain(&warned) {
        let _ = write!(out, "<article class=\"obligation\"><h3>{} on {}</h3><p>", esc(&p.name), esc(&p.subject));
        mark(out, outcome_light(p.outcome), p.outcome.as_str());
        let _ = write!(out, " {} <code>{}</code>", esc(&p.kind), esc(&p.subject));
        if let Some(o) = subject_owner(decls, p) {
            let _ = write!(out, ", owner {}", esc(&o));
        }
        out.push_str("</p>");
        for c in p.criteria.iter().filter(|c| c.outcome != Outcome::Pass) {
            out.push_str("<p>");
            if let Some(b) = &c.because {
                let _ = write!(out, "{}: ", esc(b));
            }
            let _ = write!(out, "{}</p>", esc(&c.reason));
        }
        out.push_str("</article>\n");
    }
    if !report.policies.is_empty() {
        let _ = write!(
            out,
            "<details><summary>Every obligation ({})</summary><table><thead><tr><th>Policy</th><th>Subject</th>\
             <th>Outcome</th></tr></thead><tbody>",
            report.policies.len()
        );
        for p in &report.policies {
            let _ = write!(out, "<tr><td>{}</td><td>{} {}</td><td>", esc(&p.name), esc(&p.kind), esc(&p.subject));
            mark(out, outcome_light(p.outcome), p.outcome.as_str());
            out.push_str("</td></tr>");
        }
        out.push_str("</tbody></table></details>\n");
    }
    out.push_str("</section>\n");
}

fn criteria_table(out: &mut String, criteria: &[CriterionReport]) {
    out.push_str(
        "<table><thead><tr><th style=\"width:30%\">Criterion</th><th style=\"width:12%\">Outcome</th>\
         <th>Why</th></tr></thead><tbody>",
    );
    for c in criteria {
        let _ = write!(out, "<tr><td><code>{}</code></td><td>", esc(&c.text));
        mark(out, outcome_light(c.outcome), c.outcome.as_str());
        out.push_str("</td><td>");
        if let Some(b) = &c.because {
            let _ = write!(out, "<div>{}</div>", esc(b));
        }
        let _ = write!(out, "<div class=\"muted\">{}</div>", esc(&c.reason));
        for e in &c.evidence {
            evidence(out, e);
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
}

fn evidence(out: &mut String, e: &Evidence) {
    let mut text = format!("{} of {}", e.function, e.series);
    if let Some(w) = &e.window {
        let _ = write!(text, " over {w}");
    }
    if let (Some(from), Some(to)) = (e.from, e.to) {
        let _ = write!(text, " [{from}, {to}]");
    }
    if let Some(v) = e.value {
        let _ = write!(text, " = {}", crate::check::value::fmt_num(v.0));
        if let Some(u) = &e.unit {
            let _ = write!(text, " {u}");
        }
    }
    let _ = write!(text, "; {} sample{}", e.samples.len(), if e.samples.len() == 1 { "" } else { "s" });
    if let Some(r) = &e.reason {
        let _ = write!(text, "; {r}");
    }
    let _ = write!(out, "<div><code>{}</code></div>", esc(&text));
}

fn details(out: &mut String, report: &Report, decls: &Decls<'_>) {
    if report.initiatives.is_empty() {
        return;
    }
    out.push_str("<section aria-labelledby=\"details\">\n<h2 id=\"details\">Details</h2>\n");
    for i in &report.initiatives {
        let d = decls.find(Kind::Initiative, &i.name);
        let title = d.map_or_else(|| i.name.clone(), |d| decls.title(d));
        let _ = write!(out, "<details><summary>{} ", esc(&title));
        let (light, word) = initiative_light(i, report);
        mark(out, light, word);
        out.push_str("</summary>");
        let _ = write!(
            out,
            "<p class=\"muted\">{} at stage {}, declared in {}:{}</p>",
            esc(&i.name),
            esc(&decls.stage_title(&i.stage)),
            esc(&i.file),
            i.line
        );
        if !i.evidence.is_empty() {
            out.push_str("<p>Evidence:</p><ul>");
            for e in &i.evidence {
                let of = e.dataset.as_ref().map(|ds| format!(" (dataset {})", esc(ds))).unwrap_or_default();
                let by = e.by.as_ref().map(|b| format!(" by {}", esc(b))).unwrap_or_default();
                let until = e.expires.as_ref().map(|x| format!(", expires {}", esc(x))).unwrap_or_default();
                let _ =
                    write!(out, "<li>{} {}{of}: {}{by} on {}{until}", esc(&e.kind), esc(&e.name), e.status, esc(&e.on));
                if let Some(link) = &e.link {
                    let _ = write!(out, " <code>{}</code>", esc(link));
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        if i.gates.is_empty() {
            out.push_str("<p>No gate guards the next stage.</p>");
        }
        for g in &i.gates {
            let _ = write!(
                out,
                "<h4>Gate {} \u{2192} {} ",
                esc(&decls.stage_title(&g.from)),
                esc(&decls.stage_title(&g.to))
            );
            mark(out, outcome_light(g.outcome), g.outcome.as_str());
            let _ = write!(out, "</h4><p class=\"muted\">{}</p>", esc(&g.reason));
            criteria_table(out, &g.criteria);
        }
        let policies: Vec<&PolicyReport> =
            report.policies.iter().filter(|p| p.subject == i.name && p.kind == "initiative").collect();
        if !policies.is_empty() {
            out.push_str("<h4>Obligations</h4>");
            for p in policies {
                let _ = write!(out, "<p>{} ", esc(&p.name));
                mark(out, outcome_light(p.outcome), p.outcome.as_str());
                out.push_str("</p>");
                criteria_table(out, &p.criteria);
            }
        }
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
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
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands("1200000"), "1,200,000");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(group_thousands("-1234.5"), "-1,234.5");
    }
}
