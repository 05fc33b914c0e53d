//! Tests of the formatter (`compel fmt`): one insta snapshot per fixture in
//! `tests/fixtures/fmt/`, the reference example, and a property test over
//! generated programs (idempotent, canonical, lossless).
//!
//! Regenerate the snapshots with `cargo insta test --accept --test fmt` (or
//! `INSTA_UPDATE=always cargo test --test fmt`) and review them by eye.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

// The fuzz targets' helpers; `erase_spans` compares trees without positions.
#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz_support;

use compel::fmt::{format_file, format_source, is_formatted};
use compel::syntax::ast::File;
use compel::syntax::{parse, ParseLimits};
use compel::text::FileId;
use proptest::prelude::*;

// ---- helpers -------------------------------------------------------------------

fn parse_clean(text: &str) -> File {
    let (file, diags) = parse(FileId(0), text, ParseLimits::default());
    assert!(diags.iter().all(|d| !d.is_error()), "does not parse: {diags:?}\n---\n{text}");
    file
}

fn format_ok(text: &str) -> String {
    match format_source(text) {
        Ok(out) => out,
        Err(diags) => panic!("formatting failed: {diags:?}\n---\n{text}"),
    }
}

fn tree_without_spans(file: &File) -> String {
    fuzz_support::erase_spans(&format!("{:#?}", file.items))
}

fn comment_texts<'a>(file: &File, text: &'a str) -> Vec<&'a str> {
    file.comments.iter().map(|c| text[c.span.range()].trim_end()).collect()
}

/// Everything the formatter promises about one input: the output is stable,
/// parses to the same tree, keeps every comment in order, and is laid out
/// within the rules a reader can check line by line.
fn check_invariants(input: &str) -> String {
    let out = format_ok(input);
    let again = format_ok(&out);
    assert_eq!(again, out, "not idempotent; input:\n{input}");
    let before = parse_clean(input);
    let after = parse_clean(&out);
    assert_eq!(tree_without_spans(&after), tree_without_spans(&before), "the tree changed; output:\n{out}");
    assert_eq!(comment_texts(&after, &out), comment_texts(&before, input), "comments changed; output:\n{out}");
    assert!(out.is_empty() || out.ends_with('\n') && !out.ends_with("\n\n"), "bad end of file:\n{out:?}");
    assert!(!out.starts_with('\n'), "blank line at the start:\n{out}");
    for line in out.lines() {
        assert!(!line.ends_with(' '), "trailing space in {line:?}");
        assert!(!line.contains('\t') || line.contains("//"), "tab in {line:?}");
    }
    assert!(!out.contains("\n\n\n"), "two blank lines in a row:\n{out}");
    assert!(!out.contains("{\n\n"), "blank line at the start of a block:\n{out}");
    out
}

fn fixture_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fmt"))
}

fn acme_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/acme"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ---- fixtures and the reference example -------------------------------------------

#[test]
fn fixtures() {
    insta::glob!("fixtures/fmt/*.compel", |path| {
        let formatted = check_invariants(&read(path));
        insta::assert_snapshot!(formatted);
    });
}

#[test]
fn acme_example_is_already_canonical() {
    for name in ["acme.compel", "acme_test.compel", "people.compel"] {
        let src = read(&acme_dir().join(name));
        let formatted = check_invariants(&src);
        assert_eq!(formatted, src, "{name} is not in the canonical layout");
        assert_eq!(is_formatted(&src).ok(), Some(true));
        insta::assert_snapshot!(format!("acme_{name}"), formatted);
    }
}

#[test]
fn acme_example_formats_back_from_a_mess() {
    // Mangle each example's whitespace: words split by spaces and tabs,
    // indentation replaced by a tab, trailing blanks, CRLF line ends. Lines
    // that start a top-level item stay in column 0 (elsewhere a line in
    // column 0 may start a new item). It must come back to the original.
    for name in ["acme.compel", "acme_test.compel", "people.compel"] {
        let src = read(&acme_dir().join(name));
        let messy: String = src
            .lines()
            .map(|line| {
                let body = if line.contains('"') || line.contains("//") {
                    line.trim().to_string()
                } else {
                    line.split_whitespace().collect::<Vec<_>>().join(" \t ")
                };
                let indent = if line.starts_with(' ') { "\t " } else { "" };
                format!("{indent}{body} \t\r\n")
            })
            .collect();
        assert_eq!(format_ok(&messy), src, "messy {name}:\n{messy}");
    }
}

// ---- same meaning: diagnostics and evaluation before and after -------------------

/// A harder mess than the one above: besides spaces and tabs, arrows and
/// commas lose or gain their spaces, a `{` is glued to the name before it,
/// blank lines pile up after every closing brace, and the code before a
/// string is mangled too (the string itself is kept).
fn mess_up(src: &str) -> String {
    let mut out = String::new();
    for line in src.lines() {
        let trimmed = line.trim();
        let (code, rest) = if trimmed.starts_with("//") {
            ("", trimmed)
        } else {
            match trimmed.find('"') {
                Some(q) => trimmed.split_at(q),
                None => (trimmed, ""),
            }
        };
        let code = code.replace(" -> ", "->").replace(", ", " ,").replace(" {", "{").replace('[', "[ ");
        let code = code.split_whitespace().collect::<Vec<_>>().join(" \t  ");
        let indent = if line.starts_with(' ') { "\t   " } else { "" };
        let sep = if !code.is_empty() && !rest.is_empty() { "   " } else { "" };
        out.push_str(&format!("{indent}{code}{sep}{rest}  \n"));
        if trimmed == "}" {
            out.push_str("\n \n\t\n");
        }
    }
    out
}

/// Declarations with problems of every severity, on top of the example: an
/// unknown attribute next to a near name, a missing attribute, an unknown
/// KPI, a unit mismatch in a gate, and a policy a program violates.
const FAULTY: &str = r#"import "acme.compel"

person nobody {
  name "Nobody"
}

kpi churn {
  metrc  "churn"
  target <= 5%
}

initiative faulty {
  owner "o"
  stage model
  kpis  [accuracy, latncy_p95]

  gate model -> produce {
    require latency_p95 < 5%
    advise  accuracy
  }
}

program side_bet {
  sponsor dana
  budget  10_000 USD
}

policy big_budget for program {
  expect budget > 5_000_000 USD
    because "only big programs"
}
"#;

/// What a diagnostic says, without where: code, severity, message, help,
/// the labels' messages and the fix's title and replacements.
fn meaning(d: &compel::diag::Diagnostic) -> String {
    let labels: Vec<&str> = d.labels.iter().map(|l| l.message.as_str()).collect();
    let fix = d.fix.as_ref().map(|f| {
        let edits: Vec<&str> = f.edits.iter().map(|e| e.replacement.as_str()).collect();
        format!("{} {edits:?}", f.title)
    });
    format!(
        "{} {:?} {} | {} | {:?} | help {:?} | fix {fix:?}",
        d.code.as_str(),
        d.severity,
        d.message,
        d.primary_label,
        labels,
        d.help
    )
}

fn analyze_texts(files: &[(&str, &str)], roots: &[&str]) -> compel::analysis::Analysis {
    let mut loader = compel::analysis::MemoryLoader::default();
    for (name, text) in files {
        loader.insert(*name, *text);
    }
    let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
    compel::analysis::analyze(&roots, &loader)
}

/// Text with its whitespace removed. The report quotes a criterion's source
/// as written (whitespace collapsed, not reformatted): `avg(a ,7d)` stays
/// `avg(a ,7d)` in its `text` and `reason`, so those two are compared
/// without whitespace; everything else must be identical.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect()
}

/// The report as JSON with every position (`line`, `column`) removed and
/// the source quotes squeezed.
fn report_without_positions(report: &compel::eval::Report) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("line");
                map.remove("column");
                for key in ["text", "reason"] {
                    if let Some(serde_json::Value::String(s)) = map.get_mut(key) {
                        *s = squeeze(s);
                    }
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(xs) => xs.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_str(&report.to_json()).expect("the report is JSON");
    strip(&mut v);
    v
}

/// Every decision of the report in one list: gates, criteria, KPIs and
/// policies with their outcomes and reasons (source quotes squeezed).
fn decisions(report: &compel::eval::Report) -> Vec<String> {
    let mut out = vec![format!("overall {}", report.outcome.as_str())];
    for i in &report.initiatives {
        for g in &i.gates {
            out.push(format!("gate {} {}->{} {} {}", i.name, g.from, g.to, g.outcome.as_str(), squeeze(&g.reason)));
            for c in &g.criteria {
                let (text, reason) = (squeeze(&c.text), squeeze(&c.reason));
                out.push(format!("  {} {text} {} {:?} {reason}", c.enforcement.as_str(), c.outcome.as_str(), c.holds));
            }
        }
    }
    for k in &report.kpis {
        out.push(format!("kpi {} {} {}", k.name, k.status.as_str(), k.reason));
    }
    for p in &report.policies {
        out.push(format!("policy {} on {} {} {}", p.name, p.subject, p.outcome.as_str(), squeeze(&p.reason)));
    }
    out
}

#[test]
fn a_reformatted_example_means_the_same() {
    let acme = read(&acme_dir().join("acme.compel"));
    let people = read(&acme_dir().join("people.compel"));
    let faulty_formatted = format_ok(FAULTY);
    assert_eq!(faulty_formatted, FAULTY, "the faulty addition is written canonically");

    let messy: Vec<(&str, String)> =
        [("acme.compel", &acme), ("people.compel", &people), ("faulty.compel", &faulty_formatted)]
            .into_iter()
            .map(|(name, text)| (name, mess_up(text)))
            .collect();
    let formatted: Vec<(&str, String)> = messy.iter().map(|(name, text)| (*name, format_ok(text))).collect();
    for ((name, m), (_, f)) in messy.iter().zip(&formatted) {
        assert_ne!(m, f, "the mess of {name} must actually change when formatted");
        check_invariants(m);
    }
    // The mess is only layout: formatting brings the originals back.
    assert_eq!(formatted[0].1, acme);
    assert_eq!(formatted[1].1, people);
    assert_eq!(formatted[2].1, FAULTY);

    let run = |files: &[(&str, String)]| {
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let with_faults = analyze_texts(&refs, &["acme.compel", "faulty.compel"]);
        let diags: Vec<String> = with_faults.user_diagnostics().map(meaning).collect();
        let clean = analyze_texts(&refs, &["acme.compel"]);
        let clean_diags: Vec<String> = clean.user_diagnostics().map(meaning).collect();
        (diags, clean_diags, clean)
    };
    let (diags_before, clean_before, before) = run(&messy);
    let (diags_after, clean_after, after) = run(&formatted);

    // The diagnostics are the same, and there are some of each severity.
    assert_eq!(diags_after, diags_before);
    let all = diags_before.join("\n");
    for expected in ["E0401 Error", "did you mean `metric`?", "E0402 Error", "E0301 Error", "latncy_p95", "Warning"] {
        assert!(all.contains(expected), "expected {expected:?} among:\n{all}");
    }
    assert_eq!(clean_before, Vec::<String>::new(), "the example checks clean");
    assert_eq!(clean_after, clean_before);

    // The evaluation against the latency spike decides the same.
    let metrics_path = acme_dir().join("metrics/latency-spike.json");
    let now = compel::eval::metrics::parse_rfc3339("2026-11-24T00:00:00Z").expect("time");
    let series =
        compel::eval::sources::read_metrics("latency-spike.json", &read(&metrics_path), Some(now)).expect("metrics");
    let store: compel::eval::metrics::MetricStore = series.into_iter().collect();
    let opts = compel::eval::EvalOptions { now, default_max_age: compel::eval::DEFAULT_MAX_AGE };
    let report_before = compel::eval::evaluate(&before.model, &before.files, &store, &opts);
    let report_after = compel::eval::evaluate(&after.model, &after.files, &store, &opts);
    assert_eq!(decisions(&report_after), decisions(&report_before));
    assert_eq!(report_without_positions(&report_after), report_without_positions(&report_before));
    // ... and they are the example's real decisions, not an empty report.
    let gate = report_before.gate("scoring_v2", "model", "produce").expect("the gate is reported");
    assert_eq!(gate.outcome.as_str(), "fail");
    assert_eq!(report_before.kpi("accuracy").expect("accuracy").status.as_str(), "at_risk");
    assert_eq!(report_before.kpi("latency_p95").expect("latency").status.as_str(), "met");
}

// ---- every other .compel file of the repository ----------------------------------

/// Every `*.compel` file below `dir`, sorted.
fn compel_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display())) {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "compel") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every checker and `compel test` fixture that parses is stable under the
/// formatter and keeps its tree and comments; those with syntax errors
/// (the `syntax/` area) are refused, never formatted.
#[test]
fn every_fixture_that_parses_formats_stably() {
    let mut formatted = 0;
    let mut refused = Vec::new();
    for area in ["tests/fixtures/check", "tests/fixtures/test"] {
        for path in compel_files(&manifest_dir().join(area)) {
            let rel = path.strip_prefix(manifest_dir()).unwrap().to_string_lossy().replace('\\', "/");
            let Ok(text) = String::from_utf8(std::fs::read(&path).expect("readable")) else {
                refused.push(rel);
                continue;
            };
            match format_source(&text) {
                Ok(_) => {
                    check_invariants(&text);
                    formatted += 1;
                }
                Err(diags) => {
                    assert!(diags.iter().any(|d| d.is_error()), "{rel}: refused without an error");
                    assert!(is_formatted(&text).is_err());
                    refused.push(rel);
                }
            }
        }
    }
    // Only the files written to be broken are skipped, and most are checked.
    assert!(refused.iter().all(|r| r.starts_with("tests/fixtures/check/syntax/")), "refused: {refused:?}");
    assert!(formatted >= 40, "only {formatted} fixtures were formatted");
}

/// The stdlib is written in the canonical layout (its files are embedded and
/// shown by hover and go-to-definition, so they should read like `compel fmt`
/// output).
#[test]
fn the_stdlib_is_in_the_canonical_layout() {
    let files = compel_files(&manifest_dir().join("stdlib"));
    assert!(files.len() >= 6, "{files:?}");
    let mut not_canonical = Vec::new();
    for path in &files {
        let text = read(path);
        match is_formatted(&text) {
            Ok(true) => {}
            Ok(false) => not_canonical.push(format!("{}:\n{}", path.display(), format_ok(&text))),
            Err(diags) => panic!("{} does not parse: {diags:?}", path.display()),
        }
    }
    assert!(not_canonical.is_empty(), "not in the canonical layout:\n{}", not_canonical.join("\n"));
}

#[test]
fn crlf_input_gives_the_same_output() {
    for name in ["acme.compel", "acme_test.compel", "people.compel"] {
        let src = read(&acme_dir().join(name));
        assert_eq!(format_ok(&src.replace('\n', "\r\n")), src);
    }
}

#[test]
fn a_syntax_error_is_never_rewritten() {
    let src = read(&fixture_dir().join("error/missing_brace.compel"));
    let Err(diags) = format_source(&src) else { panic!("a broken file must not format") };
    assert!(diags.iter().any(|d| d.is_error()));
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["expected an expression, found the end of the line"]);
    assert!(is_formatted(&src).is_err());
    let (file, _) = parse(FileId(0), &src, ParseLimits::default());
    assert_eq!(format_file(&file, &src), None);
}

#[test]
fn small_cases() {
    let cases: &[(&str, &str)] = &[
        ("", ""),
        ("\n\n  \n", ""),
        ("// only a comment", "// only a comment\n"),
        ("kpi a{}", "kpi a {}\n"),
        ("let x=[ ]", "let x = []\n"),
        ("let x = [a,b,]", "let x = [a, b]\n"),
        ("let x = - 5", "let x = -5\n"),
        ("let x = not(a)", "let x = not (a)\n"),
        ("let x = \"a\tb\"", "let x = \"a\\tb\"\n"),
        ("let d = 2026-11-24T02:00:00+02:00", "let d = 2026-11-24T02:00:00+02:00\n"),
        ("let m = 1_200_000\tUSD", "let m = 1_200_000 USD\n"),
        ("gate a->b{advise x expect y}", "gate a -> b {\n  advise x\n  expect y\n}\n"),
        ("policy p for kpi{require x because \"r\"}", "policy p for kpi {\n  require x\n    because \"r\"\n}\n"),
        (
            "test \"t\"{series \"m\"{at 2026-11-24T00:00:00Z - 5}}",
            "test \"t\" {\n  series \"m\" {\n    at 2026-11-24T00:00:00Z -5\n  }\n}\n",
        ),
        ("kpi a { x 1 // c   \n}", "kpi a {\n  x 1  // c\n}\n"),
        ("\u{FEFF}kpi a {}", "kpi a {}\n"),
    ];
    for (input, expected) in cases {
        assert_eq!(&format_ok(input), expected, "input: {input:?}");
        // The parser keeps the space of `- 5` in a test sample's `raw` text,
        // so that one case changes the tree's `raw` (not its value).
        if !input.contains("- 5}") {
            check_invariants(input);
        }
    }
}

#[test]
fn a_list_breaks_exactly_past_100_columns() {
    // `let x = [e000, ..., e013, LAST]`: 94 columns plus the last element.
    let line = |last: &str| {
        let head: Vec<String> = (0..14).map(|i| format!("e{i:03}")).collect();
        format!("let x = [{}, {last}]", head.join(", "))
    };
    let fits = line("abcdef");
    assert_eq!(fits.chars().count(), 100);
    assert_eq!(format_ok(&fits), format!("{fits}\n"));
    // Characters, not bytes: `é` is one column.
    let fits_unicode = line("\"éééé\"");
    assert_eq!(fits_unicode.chars().count(), 100);
    assert_eq!(format_ok(&fits_unicode), format!("{fits_unicode}\n"));
    let too_long = line("abcdefg");
    assert_eq!(too_long.chars().count(), 101);
    let out = format_ok(&too_long);
    assert!(out.starts_with("let x = [\n  e000,\n  e001,\n"), "{out}");
    assert!(out.ends_with("  e013,\n  abcdefg,\n]\n"), "{out}");
}

// ---- property test: generated programs ------------------------------------------------

/// SplitMix64: a tiny deterministic generator driven by proptest's seeds.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// A program as tokens and the whitespace slots between them.
#[derive(Clone, Debug)]
enum Part {
    Tok(String),
    /// Whitespace that must be there (between two words).
    Space,
    /// Whitespace that may be empty (next to punctuation).
    Opt,
    /// Between two members of a block, or inside a block at its ends:
    /// `blank` says whether the input has a blank line here.
    Member {
        blank: bool,
    },
    /// Between two top-level items.
    Top {
        blank: bool,
    },
}

const NAMES: &[&str] = &["a", "b", "accuracy", "latency_p95", "x_1", "program", "stage", "datasets", "owner"];
const ATTRS: &[&str] = &["title", "metric", "target", "owner", "kpis", "approved_until", "x", "functions"];
const STRINGS: &[&str] = &[
    "\"plain\"",
    "\"with \\\"quotes\\\"\"",
    "\"back\\\\slash\"",
    "\"tab\\tand\\nnewline\"",
    "\"Priya Ramán 🚀\"",
    "\"データ\"",
    "\"\"",
    "\"a // not a comment\"",
    "\"{ brace [\"",
];
const NUMBERS: &[&str] =
    &["0.2", "1_200", "92%", "250ms", "7d", "3", "0.08%", "1_200_000 USD", "12.5 EUR", "30m", "2w", "1h", "5s"];

struct Gen {
    rng: Rng,
    parts: Vec<Part>,
}

impl Gen {
    fn tok(&mut self, s: &str) {
        self.parts.push(Part::Tok(s.to_string()));
    }
    fn sp(&mut self) {
        self.parts.push(Part::Space);
    }
    fn opt(&mut self) {
        self.parts.push(Part::Opt);
    }
    fn member_sep(&mut self) {
        let blank = self.rng.chance(20);
        self.parts.push(Part::Member { blank });
    }

    fn program(seed: u64) -> Vec<Part> {
        let mut g = Gen { rng: Rng(seed), parts: Vec::new() };
        let n = 1 + g.rng.below(4);
        for i in 0..n {
            if i > 0 {
                let blank = g.rng.chance(50);
                g.parts.push(Part::Top { blank });
            }
            g.item();
        }
        g.parts
    }

    fn item(&mut self) {
        match self.rng.below(9) {
            0 => {
                self.tok("import");
                self.sp();
                let s = self.rng.pick(&["\"people.compel\"", "\"std/policies\""]);
                self.tok(s);
            }
            1 => self.gate(),
            2 => self.policy(),
            3 => {
                self.tok("let");
                self.sp();
                let n = self.rng.pick(NAMES);
                self.tok(n);
                self.opt();
                self.tok("=");
                self.opt();
                self.expr(3);
            }
            4 => self.builtin(),
            5 => self.test(),
            _ => self.decl(true),
        }
    }

    fn block<F: FnMut(&mut Gen)>(&mut self, n: usize, mut member: F) {
        self.opt();
        self.tok("{");
        for i in 0..n {
            if i == 0 {
                self.parts.push(Part::Member { blank: false });
            } else {
                self.member_sep();
            }
            member(self);
        }
        self.parts.push(Part::Member { blank: false });
        self.tok("}");
    }

    fn decl(&mut self, top: bool) {
        let kinds: &[&str] =
            if top { &["program", "kpi", "coe", "initiative", "person", "function"] } else { &["dataset", "monitor"] };
        let kind = self.rng.pick(kinds);
        self.tok(kind);
        self.sp();
        let name = self.rng.pick(&["fraud_ai", "ai_coe", "dana", "scoring_v2", "t1"]);
        self.tok(name);
        let n = self.rng.below(5);
        self.block(n, |g| {
            let r = g.rng.below(10);
            if top && r == 0 {
                g.decl(false);
            } else if top && r == 1 {
                g.gate();
            } else {
                g.attr();
            }
        });
    }

    fn attr(&mut self) {
        let name = self.rng.pick(ATTRS);
        self.tok(name);
        self.sp();
        match self.rng.below(10) {
            0 | 1 => {
                let op = self.rng.pick(&[">=", "<=", "<", ">", "==", "!="]);
                self.tok(op);
                self.opt();
                self.expr(1);
            }
            2 => self.map(),
            3 => self.long_list(),
            _ => self.expr(3),
        }
    }

    fn map(&mut self) {
        self.tok("{");
        for _ in 0..self.rng.below(4) {
            self.opt();
            let k = self.rng.pick(&["model", "region", "team"]);
            self.tok(k);
            self.sp();
            let v = self.rng.pick(STRINGS);
            self.tok(v);
        }
        self.opt();
        self.tok("}");
    }

    fn long_list(&mut self) {
        self.tok("[");
        let n = 8 + self.rng.below(10);
        for i in 0..n {
            if i > 0 {
                self.opt();
                self.tok(",");
            }
            self.opt();
            let name = format!("element_number_{i}");
            self.tok(&name);
        }
        self.opt();
        self.tok("]");
    }

    fn gate(&mut self) {
        self.tok("gate");
        self.sp();
        let from = self.rng.pick(&["model", "produce", "learn"]);
        self.tok(from);
        self.opt();
        self.tok("->");
        self.opt();
        let to = self.rng.pick(&["produce", "evaluate", "calibrate"]);
        self.tok(to);
        let n = self.rng.below(4);
        self.block(n, |g| g.criterion());
    }

    fn policy(&mut self) {
        self.tok("policy");
        self.sp();
        self.tok("p1");
        self.sp();
        self.tok("for");
        self.sp();
        let kind = self.rng.pick(&["program", "initiative", "kpi"]);
        self.tok(kind);
        if self.rng.chance(50) {
            self.sp();
            self.tok("where");
            self.sp();
            self.expr(2);
        }
        let n = self.rng.below(4);
        self.block(n, |g| g.criterion());
    }

    fn criterion(&mut self) {
        let kw = self.rng.pick(&["require", "expect", "advise"]);
        self.tok(kw);
        self.sp();
        self.expr(3);
        if self.rng.chance(30) {
            self.sp();
            self.tok("because");
            self.sp();
            let s = self.rng.pick(STRINGS);
            self.tok(s);
        }
    }

    fn builtin(&mut self) {
        self.tok("builtin");
        self.sp();
        self.tok("f");
        self.opt();
        self.tok("(");
        let n = self.rng.below(4);
        for i in 0..n {
            if i > 0 {
                self.opt();
                self.tok(",");
            }
            self.opt();
            let p = self.rng.pick(&["kpi", "window", "list"]);
            self.tok(p);
            self.opt();
            self.tok(":");
            self.opt();
            self.type_name();
        }
        if n > 0 && self.rng.chance(30) {
            self.opt();
            self.tok(",");
        }
        self.opt();
        self.tok(")");
        self.opt();
        self.tok("->");
        self.opt();
        self.type_name();
    }

    fn type_name(&mut self) {
        if self.rng.chance(25) {
            self.tok("[");
            self.opt();
            self.type_name();
            self.opt();
            self.tok("]");
        } else {
            let t = self.rng.pick(&["kpi", "duration", "number", "bool", "measure"]);
            self.tok(t);
        }
    }

    fn test(&mut self) {
        self.tok("test");
        self.sp();
        let name = self.rng.pick(STRINGS);
        self.tok(name);
        let n = self.rng.below(5);
        self.block(n, |g| g.test_stmt());
    }

    fn test_stmt(&mut self) {
        match self.rng.below(6) {
            0 => {
                self.tok("now");
                self.sp();
                let t = self.rng.pick(&["2026-11-24T00:00:00Z", "2026-11-24T02:00:00.5+02:00"]);
                self.tok(t);
            }
            1 => {
                self.tok("metrics");
                self.sp();
                let s = self.rng.pick(STRINGS);
                self.tok(s);
            }
            2 => {
                self.tok("series");
                self.sp();
                self.tok("\"m\"");
                self.opt();
                self.tok("{");
                if self.rng.chance(50) {
                    self.parts.push(Part::Member { blank: false });
                    self.tok("labels");
                    self.sp();
                    self.map();
                }
                for _ in 0..self.rng.below(3) {
                    self.member_sep();
                    self.tok("at");
                    self.sp();
                    self.tok("2026-11-23T00:00:00Z");
                    self.sp();
                    let v = self.rng.pick(&["93.5", "-1", "1_000", "0"]);
                    self.tok(v);
                }
                self.parts.push(Part::Member { blank: false });
                self.tok("}");
            }
            3 => {
                for t in ["expect", "gate", "scoring_v2", "model"] {
                    self.tok(t);
                    self.sp();
                }
                self.tok("->");
                self.opt();
                self.tok("produce");
                self.opt();
                self.tok("==");
                self.opt();
                self.tok("fail");
            }
            4 => {
                for t in ["expect", "kpi", "accuracy"] {
                    self.tok(t);
                    self.sp();
                }
                self.tok("==");
                self.opt();
                self.tok("met");
            }
            _ => {
                for t in ["expect", "policy", "p1", "on", "fraud_ai"] {
                    self.tok(t);
                    self.sp();
                }
                self.tok("==");
                self.opt();
                self.tok("pass");
            }
        }
    }

    // Expressions, one function per precedence level of the grammar.

    fn expr(&mut self, d: u32) {
        self.and(d);
        if d > 0 && self.rng.chance(15) {
            self.sp();
            self.tok("or");
            self.sp();
            self.and(d - 1);
        }
    }

    fn and(&mut self, d: u32) {
        self.not(d);
        if d > 0 && self.rng.chance(15) {
            self.sp();
            self.tok("and");
            self.sp();
            self.not(d - 1);
        }
    }

    fn not(&mut self, d: u32) {
        if d > 0 && self.rng.chance(10) {
            self.tok("not");
            self.sp();
            self.not(d - 1);
        } else {
            self.for_expr(d);
        }
    }

    fn for_expr(&mut self, d: u32) {
        self.cmp(d);
        if d > 0 && self.rng.chance(8) {
            self.sp();
            self.tok("for");
            self.sp();
            self.add(d - 1);
        }
    }

    fn cmp(&mut self, d: u32) {
        self.add(d);
        if d > 0 && self.rng.chance(30) {
            if self.rng.chance(25) {
                self.sp();
                self.tok("in");
                self.sp();
            } else {
                self.opt();
                let op = self.rng.pick(&[">=", "<=", "<", ">", "==", "!="]);
                self.tok(op);
                self.opt();
            }
            self.add(d - 1);
        }
    }

    fn add(&mut self, d: u32) {
        self.mul(d);
        if d > 0 && self.rng.chance(20) {
            self.opt();
            let op = self.rng.pick(&["+", "-"]);
            self.tok(op);
            self.opt();
            self.mul(d - 1);
        }
    }

    fn mul(&mut self, d: u32) {
        self.unary(d);
        if d > 0 && self.rng.chance(15) {
            self.opt();
            let op = self.rng.pick(&["*", "/"]);
            self.tok(op);
            self.sp();
            self.unary(d - 1);
        }
    }

    fn unary(&mut self, d: u32) {
        if d > 0 && self.rng.chance(10) {
            self.tok("-");
            self.opt();
            self.unary(d - 1);
        } else {
            self.postfix(d);
        }
    }

    fn postfix(&mut self, d: u32) {
        if self.rng.chance(12) {
            let n = self.rng.pick(NAMES);
            self.tok(n);
            for _ in 0..1 + self.rng.below(2) {
                self.opt();
                self.tok(".");
                self.opt();
                let f = self.rng.pick(&["role", "approved_until", "versioned"]);
                self.tok(f);
            }
        } else {
            self.primary(d);
        }
    }

    fn primary(&mut self, d: u32) {
        let choice = if d == 0 { 0 } else { self.rng.below(9) };
        match choice {
            1 => {
                self.tok("[");
                let n = self.rng.below(4);
                for i in 0..n {
                    if i > 0 {
                        self.opt();
                        self.tok(",");
                    }
                    self.opt();
                    self.expr(d - 1);
                }
                if self.rng.chance(20) {
                    self.opt();
                    self.tok(",");
                }
                self.opt();
                self.tok("]");
            }
            2 => {
                let f = self.rng.pick(&["avg", "psi", "count", "f"]);
                self.tok(f);
                self.opt();
                self.tok("(");
                let n = self.rng.below(3);
                for i in 0..n {
                    if i > 0 {
                        self.opt();
                        self.tok(",");
                    }
                    self.opt();
                    self.expr(d - 1);
                }
                self.opt();
                self.tok(")");
            }
            3 => {
                let f = self.rng.pick(&["all", "any", "count"]);
                self.tok(f);
                self.opt();
                self.tok("(");
                self.opt();
                self.tok("v");
                self.sp();
                self.tok("in");
                self.sp();
                self.expr(d - 1);
                self.opt();
                self.tok(":");
                self.opt();
                self.expr(d - 1);
                self.opt();
                self.tok(")");
            }
            4 => {
                self.tok("(");
                self.opt();
                self.expr(d - 1);
                self.opt();
                self.tok(")");
            }
            _ => self.atom(),
        }
    }

    fn atom(&mut self) {
        let t = match self.rng.below(8) {
            0 | 1 => self.rng.pick(NAMES),
            2 | 3 => self.rng.pick(NUMBERS),
            4 => self.rng.pick(STRINGS),
            5 => self.rng.pick(&["true", "false", "today", "now"]),
            6 => self.rng.pick(&["2027-06-30", "2026-11-24T00:00:00Z"]),
            _ => self.rng.pick(NAMES),
        };
        self.tok(t);
    }
}

/// Where comments go: for each slot, maybe one comment with a fixed shape.
#[derive(Clone, Copy, Debug)]
struct CommentAt {
    /// Code before it on its line, or a line of its own.
    trailing: bool,
    /// `///` instead of `//`.
    doc: bool,
}

fn place_comments(parts: &[Part], seed: u64) -> Vec<Option<CommentAt>> {
    let mut rng = Rng(seed);
    parts
        .iter()
        .map(|p| match p {
            Part::Tok(_) => None,
            _ if rng.chance(12) => Some(CommentAt { trailing: rng.chance(50), doc: rng.chance(25) }),
            _ => None,
        })
        .collect()
}

/// The indent marker of whitespace inside a member.
const CONTINUED: &str = "continued";

/// Renders a program with whitespace chosen by `seed`. The choices never
/// change what the formatter may keep: blank lines stay where `Member` and
/// `Top` say, and each comment keeps its shape.
fn render(parts: &[Part], comments: &[Option<CommentAt>], seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::new();
    let mut n = 0;
    for (part, comment) in parts.iter().zip(comments) {
        let (before, indent) = match part {
            Part::Tok(t) => {
                out.push_str(t);
                continue;
            }
            // A line break inside a member continues further in than any
            // member starts (the layout rule of recovery inside a body).
            Part::Space => (rng.pick(&[" ", "  ", "\t", "\n      ", " \n        ", "\n\t\t\t\t\t"]), CONTINUED),
            Part::Opt => (rng.pick(&["", "", " ", "\n      ", "\t"]), CONTINUED),
            Part::Member { blank: false } => (rng.pick(&[" ", "\n  ", "\n    ", "\t", "  \n\t"]), "  "),
            Part::Member { blank: true } => (rng.pick(&["\n\n  ", "\n  \n\n    ", "\n\t\n "]), "  "),
            Part::Top { blank: false } => (rng.pick(&["\n", " \n", "\t\n"]), ""),
            Part::Top { blank: true } => (rng.pick(&["\n\n", "\n\n\n", "  \n \n"]), ""),
        };
        let Some(c) = comment else {
            out.push_str(before);
            continue;
        };
        // A comment needs a newline after it; inside an item, the next line
        // must not start in column 0 (that would start a new item).
        let text = format!("{} c{n} ünï 🚀", if c.doc { "///" } else { "//" });
        n += 1;
        let blank = matches!(part, Part::Member { blank: true } | Part::Top { blank: true });
        let after_indent = match indent {
            "" => "",
            CONTINUED => rng.pick(&["      ", "\t\t\t\t\t", "        "]),
            _ => rng.pick(&["  ", "\t", "    "]),
        };
        if c.trailing {
            out.push_str(rng.pick(&[" ", "  ", "\t"]));
            out.push_str(&text);
            out.push('\n');
            if blank {
                out.push('\n');
            }
        } else {
            out.push_str(rng.pick(&["\n", " \n"]));
            if blank {
                out.push('\n');
            }
            let own_indent = if indent.is_empty() { "" } else { rng.pick(&["  ", "\t", " "]) };
            out.push_str(own_indent);
            out.push_str(&text);
            out.push('\n');
        }
        out.push_str(after_indent);
    }
    out.push_str(rng.pick(&["", "\n", "\n\n"]));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn formatting_is_idempotent_canonical_and_lossless(
        program in any::<u64>(),
        ws1 in any::<u64>(),
        ws2 in any::<u64>(),
        comments in any::<u64>(),
    ) {
        let parts = Gen::program(program);
        let none = vec![None; parts.len()];

        // Whitespace never matters to a program without comments.
        let a = render(&parts, &none, ws1);
        let b = render(&parts, &none, ws2);
        let fa = check_invariants(&a);
        prop_assert_eq!(&fa, &format_ok(&b), "inputs:\n{}\n---\n{}", a, b);

        // With comments: idempotent, lossless, and canonical as long as
        // each comment keeps its shape.
        let placed = place_comments(&parts, comments);
        let c1 = render(&parts, &placed, ws1);
        let c2 = render(&parts, &placed, ws2);
        let fc = check_invariants(&c1);
        prop_assert_eq!(&fc, &format_ok(&c2), "inputs:\n{}\n---\n{}", c1, c2);
    }
}
