//! Incremental analysis equals full analysis, over random edit storms.
//!
//! The language server analyses incrementally: it keeps a parse cache (and
//! whatever else [`compel::ide::incremental`] reuses) from one analysis to
//! the next. Whatever it reuses, its diagnostics must be exactly those of an
//! analysis from scratch. Two storms hold it to that, seeded and
//! deterministic:
//!
//! - **Library level, for volume**: the examples (`../shared/examples`) and
//!   a generated file take thousands of random edits — characters, words,
//!   braces, quotes and whole declarations inserted; characters, lines and
//!   runs of lines cut (inside one declaration and across several); lines
//!   moved — and after every edit [`Incremental::analyse`] (warm from the
//!   previous edit) and `analyze_project` (cold) must give identical
//!   diagnostics, spans and all.
//! - **Library level, along the dependencies**: a workspace of three files
//!   whose declarations read each other (`tests/fixtures/lsp/deps`: people,
//!   KPIs with a derived chain and a computed bound, a policy over KPIs,
//!   initiatives whose gates read KPIs, a top-level gate, a `let`) takes
//!   edits that follow its dependency edges: declarations renamed (at
//!   their declaration, or everywhere across files), attributes others
//!   read changed (a KPI's unit, `max_age` and thresholds, a person's role,
//!   a dataset's `versioned`), a referenced declaration broken and fixed,
//!   duplicates added, derived KPIs made to read each other (cycles),
//!   imports removed, misspelt or made cyclic, the `let` made a cycle;
//!   mixed with the random edits above. After every edit the diagnostics,
//!   the model (declarations, gates, policies, references, definitions,
//!   scopes) and hover and definition at every reference are compared.
//! - **Through the protocol**: the running server takes `didChange`
//!   notifications with incremental ranges (UTF-16 positions), and after
//!   each the diagnostics it publishes for that version are compared with
//!   those of a full analysis of the same text, computed here.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod lsp_support;

use std::collections::BTreeMap;
use std::path::Path;

use compel::analysis::{analyze_project, normalize_path, Analysis, MemoryLoader, Settings};
use compel::check::ReuseStats;
use compel::diag::Diagnostic;
use compel::ide::incremental::Incremental;
use compel::ide::{hover, navigation};
use lsp_support::{position, shutdown, Server, Start};
use serde_json::{json, Value};

/// Deterministic xorshift, so a storm is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Text an edit may insert: pieces of the language, broken and whole.
const SNIPPETS: [&str; 16] = [
    "x",
    "}",
    "{",
    "\n",
    "\"",
    " ",
    "kpi",
    "9",
    "%",
    "// a comment\n",
    "  require kpi_0\n",
    "  target  >= 95%\n",
    "\nperson pat {\n  name \"Pat\"\n  role CTO\n}\n",
    "\nkpi extra {\n  metric \"extra\"\n  unit percent\n  target >= 90%\n}\n",
    "é😀",
    "dana",
];

/// The nearest character boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The byte offset where line `n` starts (the end of the text past the
/// last line).
fn line_start(text: &str, n: usize) -> usize {
    text.split_inclusive('\n').take(n).map(str::len).sum()
}

/// One random edit of `text`: the byte range replaced and the new text.
fn random_edit(rng: &mut Rng, text: &str) -> (usize, usize, String) {
    let lines = text.split_inclusive('\n').count().max(1);
    match rng.below(8) {
        // Insert a snippet anywhere.
        0..=2 => {
            let at = boundary(text, rng.below(text.len() + 1));
            (at, at, SNIPPETS[rng.below(SNIPPETS.len())].to_string())
        }
        // Delete a few characters.
        3 => {
            let a = boundary(text, rng.below(text.len() + 1));
            let b = boundary(text, a + 1 + rng.below(6));
            (a, b.max(a), String::new())
        }
        // Cut one line.
        4 => {
            let n = rng.below(lines);
            (line_start(text, n), line_start(text, n + 1), String::new())
        }
        // Cut a run of lines, often across declarations.
        5 => {
            let n = rng.below(lines);
            let len = 1 + rng.below(25);
            (line_start(text, n), line_start(text, n + len), String::new())
        }
        // Move a line elsewhere (the cut; the paste comes as the next
        // edit's insertion when the storm picks it).
        6 => {
            let n = rng.below(lines);
            let (a, b) = (line_start(text, n), line_start(text, n + 1));
            let to = line_start(text, rng.below(lines));
            if to <= a {
                (to, b, format!("{}{}", &text[a..b], &text[to..a]))
            } else {
                (a, to, format!("{}{}", &text[b..to], &text[a..b]))
            }
        }
        // Replace a character with a digit or a letter (typing).
        _ => {
            let a = boundary(text, rng.below(text.len() + 1));
            let b = boundary(text, a + 1);
            (a, b.max(a), ["1", "a", "_", "."][rng.below(4)].to_string())
        }
    }
}

/// A generated policy file in the shape of the latency benchmark's.
fn generate(initiatives: usize) -> String {
    let mut s = String::from(
        "import \"std/policies\"\n\nperson dana {\n  name \"Dana\"\n  role CFO\n}\n\nprogram prog {\n  sponsor      dana\n  review_every 30d\n  last_review  2026-11-02\n  objectives   [kpi_0]\n}\n\n",
    );
    for i in 0..initiatives {
        s.push_str(&format!(
            "/// KPI number {i}.\nkpi kpi_{i} {{\n  metric  \"metric_{i}\"\n  unit    percent\n  target  >= 92%\n  warn    < 94%\n  max_age 2d\n}}\n\ninitiative init_{i} {{\n  title          \"Initiative {i}\"\n  program        prog\n  owner          dana\n  stage          model\n  kpis           [kpi_{i}]\n  contributes_to [kpi_0]\n\n  gate model -> produce {{\n    require kpi_{i}\n    require avg(kpi_{i}, 7d) > 90%\n  }}\n}}\n\n"
        ));
    }
    s
}

/// The example files, by name.
fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples/acme");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("the examples")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "compel"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).expect("read")))
        .collect();
    out.sort();
    assert!(out.len() >= 3, "the acme example's files");
    out
}

/// Storms one file of a workspace (`files`, by path) with `edits` edits,
/// comparing warm incremental analysis with a cold full one after each.
fn storm(files: &[(String, String)], target: usize, edits: usize, seed: u64) -> usize {
    let mut rng = Rng(seed);
    let roots: Vec<String> = files.iter().map(|(p, _)| normalize_path(p)).collect();
    let settings = Settings::default();
    let mut incremental = Incremental::new();
    let mut text = files[target].1.clone();
    let mut differed = 0;
    let mut nonempty = 0;
    let mut paths = Paths::default();
    for step in 0..edits {
        let (a, b, new) = random_edit(&mut rng, &text);
        text.replace_range(a..b, &new);
        // Keep the file about its size: now and then, back to the original.
        if text.len() > 3 * files[target].1.len() || rng.below(60) == 0 {
            text = files[target].1.clone();
        }
        let mut loader = MemoryLoader::default();
        for (i, (p, t)) in files.iter().enumerate() {
            loader.insert(p.clone(), if i == target { text.clone() } else { t.clone() });
        }
        let warm = incremental.analyse(&roots, &loader, &settings).diagnostics.clone();
        paths.count(incremental.check_stats());
        let cold = analyze_project(&roots, &loader, &settings).diagnostics;
        if warm != cold {
            differed += 1;
            if let Some(dump) = std::env::var_os("COMPEL_STORM_DUMP") {
                std::fs::write(dump, &text).expect("dump the text");
            }
            assert_eq!(
                render(&warm),
                render(&cold),
                "step {step} (seed {seed}): incremental and full analysis differ after replacing {a}..{b} with {new:?}"
            );
            assert_eq!(warm, cold, "step {step} (seed {seed}): diagnostics differ beyond their text");
        }
        if !cold.is_empty() {
            nonempty += 1;
        }
    }
    assert_eq!(differed, 0);
    eprintln!("storm of file {target} (seed {seed}): {paths:?}");
    paths.assert_partial(edits);
    nonempty
}

/// How the storm's checks went: reusing the last one, or whole and why.
#[derive(Debug, Default)]
struct Paths {
    partial: usize,
    rechecked: usize,
    decls: usize,
    rerun: usize,
    evaluations: usize,
    whole: BTreeMap<String, usize>,
}

impl Paths {
    fn count(&mut self, s: ReuseStats) {
        match s.fallback {
            None => {
                self.partial += 1;
                self.rechecked += s.decls_rechecked;
                self.decls += s.decls;
                self.rerun += s.evaluations_rerun;
                self.evaluations += s.evaluations;
            }
            Some(f) => *self.whole.entry(format!("{f:?}")).or_default() += 1,
        }
    }

    /// A good share of the edits took the partial path, and it re-checked
    /// a small part of what it could have.
    fn assert_partial(&self, edits: usize) {
        assert!(self.partial * 5 >= edits, "only {} of {edits} checks reused the last one: {self:?}", self.partial);
        assert!(self.rechecked * 3 < self.decls, "the partial checks re-checked too much: {self:?}");
    }
}

fn render(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| format!("{:?} {:?} {} {:?}", d.code, d.primary, d.message, d.help)).collect()
}

#[test]
fn incremental_equals_full_on_the_examples() {
    let files = examples();
    let mut with_errors = 0;
    for target in 0..files.len() {
        with_errors += storm(&files, target, 400, 0x9e37_79b9_7f4a_7c15 ^ target as u64);
    }
    // The storm reaches broken states, not only clean ones.
    assert!(with_errors > 100, "only {with_errors} edits left something to report");
}

#[test]
fn incremental_equals_full_on_a_generated_file() {
    let files = vec![("big.compel".to_string(), generate(60))];
    let with_errors = storm(&files, 0, 300, 0x2545_f491_4f6c_dd1d);
    assert!(with_errors > 50, "only {with_errors} edits left something to report");
}

/// The diagnostics of one file as `code line:char-line:char message`,
/// from the protocol's answer.
fn published(params: &Value) -> Vec<String> {
    let mut out: Vec<String> = params["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let r = &d["range"];
            format!(
                "{} {}:{}-{}:{} {}",
                d["code"].as_str().unwrap_or(""),
                r["start"]["line"],
                r["start"]["character"],
                r["end"]["line"],
                r["end"]["character"],
                d["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    out.sort();
    out
}

/// The same, from a full analysis of the workspace with `path` at `text`.
fn expected(root: &Path, path: &str, text: &str, encoding: &str) -> Vec<String> {
    let mut loader = MemoryLoader::default();
    let mut roots = Vec::new();
    for e in std::fs::read_dir(root).expect("workspace").flatten() {
        let p = normalize_path(&e.path().to_string_lossy());
        if !p.ends_with(".compel") {
            continue;
        }
        let t = if p == path { text.to_string() } else { std::fs::read_to_string(e.path()).expect("read") };
        loader.insert(p.clone(), t);
        roots.push(p);
    }
    roots.sort();
    let a = analyze_project(&roots, &loader, &Settings::default());
    let file = a.files.find(path).expect("the edited file");
    let mut out: Vec<String> = a
        .diagnostics
        .iter()
        .filter(|d| d.primary.file == file)
        .map(|d| {
            let s = position(text, d.primary.span.start as usize, encoding);
            let e = position(text, d.primary.span.end as usize, encoding);
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            format!("{} {}:{}-{}:{} {message}", d.code.as_str(), s["line"], s["character"], e["line"], e["character"])
        })
        .collect();
    out.sort();
    out
}

#[test]
fn incremental_equals_full_through_the_protocol() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let mut text = server.text("acme.compel");
    let original = text.clone();
    let path = normalize_path(&server.root.join("acme.compel").to_string_lossy());
    let first = server.diagnostics(&uri, Some(1));
    assert_eq!(published(&first), expected(&server.root, &path, &text, &server.encoding));
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut with_errors = 0;
    for version in 2..=200 {
        let (a, b, new) = random_edit(&mut rng, &text);
        if text.len() - (b - a) + new.len() > 3 * original.len() {
            // Back to the original, as a whole-text change.
            text = original.clone();
            server.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
            );
        } else {
            let range = json!({
                "start": position(&text, a, &server.encoding),
                "end": position(&text, b, &server.encoding),
            });
            server.edit(&uri, version, range, &new);
            text.replace_range(a..b, &new);
        }
        let got = published(&server.diagnostics(&uri, Some(version)));
        let want = expected(&server.root, &path, &text, &server.encoding);
        assert_eq!(got, want, "version {version}: replacing {a}..{b} with {new:?}");
        if !want.is_empty() {
            with_errors += 1;
        }
    }
    assert!(with_errors > 50, "only {with_errors} edits left something to report");
    assert_eq!(shutdown(server), Some(0));
}

/// Edits that follow the dependency edges of `tests/fixtures/lsp/deps`:
/// `(file, find, replace)`, applied to one occurrence of `find` when the
/// file has it.
const ALONG_DEPENDENCIES: &[(&str, &str, &str)] = &[
    // Attributes another declaration reads.
    ("people.compel", "role CFO", "role CTO"),
    ("people.compel", "role CTO", "role CFO"),
    ("kpis.compel", "unit    percent", "unit    ratio"),
    ("kpis.compel", "unit    ratio", "unit    percent"),
    ("kpis.compel", "max_age 2d", "max_age 9d"),
    ("kpis.compel", "max_age 9d", "max_age 2d"),
    ("kpis.compel", "target  >= 92%", "target  >= 95%"),
    ("kpis.compel", "warn    < 94%", "warn    < 90%"),
    ("kpis.compel", "target  < 0.1", "target  < 10%"),
    ("main.compel", "versioned true", "versioned false"),
    ("main.compel", "versioned false", "versioned true"),
    ("main.compel", "review_every 30d", "review_every 400d"),
    ("main.compel", "kind drift", "kind fairness"),
    ("main.compel", "stage          model", "stage          produce"),
    // A declaration renamed where it is declared (its readers break).
    ("kpis.compel", "kpi acc {", "kpi accuracy {"),
    ("kpis.compel", "kpi score {", "kpi scores {"),
    ("people.compel", "person dana {", "person dan {"),
    ("main.compel", "program prog {", "program prag {"),
    // A referenced declaration broken, or a line of it cut.
    ("kpis.compel", "  max_age 2d\n}\n", "  max_age 2d\n"),
    ("kpis.compel", "  metric  \"acc\"\n", ""),
    ("people.compel", "  role CFO\n", ""),
    ("main.compel", "  sponsor      dana\n", "  sponsor      \n"),
    ("main.compel", "kpis           [acc, loss]", "kpis           [acc, loss"),
    // Duplicates, in the same file and across files.
    (
        "main.compel",
        "/// The second initiative.",
        "person dana {\n  name \"D\"\n  role CEO\n}\n\n/// The second initiative.",
    ),
    ("kpis.compel", "/// Fresh data", "kpi loss {\n  metric \"l2\"\n}\n\n/// Fresh data"),
    ("people.compel", "/// The owner.", "kpi acc {\n  metric \"a2\"\n}\n\n/// The owner."),
    // Derived KPIs: another input, a cycle of one and of two.
    ("kpis.compel", "value  score * 2", "value  score2 * 2"),
    ("kpis.compel", "value  0.5 * acc + 0.5 * (1 - loss)", "value  0.5 * score2 + 0.5 * (1 - loss)"),
    ("kpis.compel", "value  score * 2", "value  trend + loss"),
    ("kpis.compel", "value  score * 2", "metric \"s2\"\n  value  score * 2"),
    // The computed bound and the policy over KPIs.
    ("kpis.compel", "target  >= avg(acc, 7d) - 1%", "target  >= avg(loss, 7d) - 1%"),
    ("kpis.compel", "policy fresh_kpis for kpi where max_age > 0d {", "policy fresh_kpis for kpi {"),
    ("kpis.compel", "expect max_age <= 3d", "require max_age <= 1d"),
    // The `let` a gate reads.
    ("kpis.compel", "let floor = 90%", "let floor = 90"),
    ("kpis.compel", "let floor = 90%", "let floor = floor"),
    // Imports: the stdlib's policies, a file, a cycle.
    ("main.compel", "import \"std/policies\"\n", ""),
    ("main.compel", "import \"std/policies\"", "import \"std/polices\""),
    ("main.compel", "import \"people.compel\"", "import \"peple.compel\""),
    ("people.compel", "/// The sponsor.", "import \"main.compel\"\n\n/// The sponsor."),
    ("kpis.compel", "// KPIs that read", "import \"people.compel\"\n// KPIs that read"),
    // Gates that read KPIs.
    ("main.compel", "require avg(acc, 7d) > floor", "require avg(score, 7d) > floor"),
    ("main.compel", "require count(kpis) >= 1", "require count(kpis) >= 3"),
];

/// Renames a word everywhere, across the files (a consistent rename).
const RENAMES: &[(&str, &str)] =
    &[("acc", "accuracy"), ("dana", "dani"), ("score", "composite"), ("prog", "programme"), ("loss", "loss_rate")];

/// `text` with whole-word occurrences of `from` replaced by `to`.
fn rename_word(text: &str, from: &str, to: &str) -> String {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().last().or_else(|| out.chars().last());
        let after = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// The model as text, for comparing two analyses (scopes sorted: a
/// `HashMap`'s order is its own).
fn model_digest(a: &Analysis) -> Vec<String> {
    let m = &a.model;
    let mut scopes: Vec<String> = m
        .scopes
        .iter()
        .map(|s| {
            let mut v: Vec<String> = s.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            v.sort();
            v.join(",")
        })
        .collect();
    scopes.insert(0, format!("{:?}", m.visible));
    vec![
        format!("{:?}", m.decls),
        format!("{:?}", m.gates),
        format!("{:?}", m.policies),
        format!("{:?}", m.lets),
        format!("{:?}", m.references),
        format!("{:?}", m.definitions),
        format!("{:?}", m.stage_order),
        scopes.join("\n"),
    ]
}

/// Hover and definition at every reference and definition of the cold
/// analysis, asked of both.
fn navigation_digest(a: &Analysis, at: &[(compel::text::FileId, usize)]) -> Vec<String> {
    at.iter()
        .map(|&(file, offset)| {
            let h = hover::hover(a, file, offset).map(|h| (h.range, h.markdown));
            let d = navigation::definition(a, file, offset);
            format!("{file:?}:{offset} {h:?} {d:?}")
        })
        .collect()
}

/// The fixture `tests/fixtures/lsp/deps`, by name.
fn deps_workspace() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lsp/deps");
    let mut out: Vec<(String, String)> = ["kpis.compel", "main.compel", "people.compel"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).expect("the deps fixture")))
        .collect();
    out.sort();
    out
}

#[test]
fn incremental_equals_full_along_the_dependencies() {
    let original = deps_workspace();
    let roots: Vec<String> = original.iter().map(|(p, _)| normalize_path(p)).collect();
    let settings = Settings::default();
    let mut incremental = Incremental::new();
    let mut files = original.clone();
    let mut rng = Rng(0x6a09_e667_f3bc_c908);
    let (mut applied, mut with_errors) = (0, 0);
    let mut paths = Paths::default();
    for step in 0..900 {
        let what;
        match rng.below(10) {
            0..=4 => {
                let (file, find, replace) = ALONG_DEPENDENCIES[rng.below(ALONG_DEPENDENCIES.len())];
                let t = &mut files.iter_mut().find(|(p, _)| p == file).expect("a fixture file").1;
                let Some(at) = t.find(find) else { continue };
                t.replace_range(at..at + find.len(), replace);
                what = format!("{file}: {find:?} -> {replace:?}");
                applied += 1;
            }
            5 => {
                let (from, to) = RENAMES[rng.below(RENAMES.len())];
                let (from, to) = if rng.below(2) == 0 { (from, to) } else { (to, from) };
                for (_, t) in &mut files {
                    *t = rename_word(t, from, to);
                }
                what = format!("rename {from} -> {to} everywhere");
            }
            6 => {
                // Back to the original, one file or all.
                let n = files.len();
                let k = rng.below(n + 1);
                for (i, f) in files.iter_mut().enumerate() {
                    if k == n || k == i {
                        *f = original[i].clone();
                    }
                }
                what = format!("reset {k}");
            }
            _ => {
                let k = rng.below(files.len());
                let (a, b, new) = random_edit(&mut rng, &files[k].1);
                files[k].1.replace_range(a..b, &new);
                what = format!("{}: {a}..{b} -> {new:?}", files[k].0);
            }
        }
        let mut loader = MemoryLoader::default();
        for (p, t) in &files {
            loader.insert(p.clone(), t.clone());
        }
        let warm = incremental.analyse(&roots, &loader, &settings);
        paths.count(incremental.check_stats());
        let cold = analyze_project(&roots, &loader, &settings);
        assert_eq!(
            render(&warm.diagnostics),
            render(&cold.diagnostics),
            "step {step}: diagnostics differ after {what}"
        );
        assert_eq!(
            warm.diagnostics, cold.diagnostics,
            "step {step}: diagnostics differ beyond their text after {what}"
        );
        let (w, c) = (model_digest(&warm), model_digest(&cold));
        if let Some(k) = (0..w.len()).find(|&k| w[k] != c[k]) {
            if let Some(dump) = std::env::var_os("COMPEL_STORM_DUMP") {
                for (p, t) in &files {
                    std::fs::write(Path::new(&dump).join(p), t).expect("dump");
                }
            }
            let at = w[k].bytes().zip(c[k].bytes()).position(|(x, y)| x != y).unwrap_or(0);
            let around = |s: &str| s.get(at.saturating_sub(300)..(at + 300).min(s.len())).unwrap_or("").to_string();
            panic!(
                "step {step}: the models differ (part {k}) after {what}:\n{}\n---\n{}",
                around(&w[k]),
                around(&c[k])
            );
        }
        let mut at: Vec<_> = cold.model.references.iter().map(|r| (r.at.file, r.at.span.start as usize)).collect();
        at.extend(cold.model.definitions.iter().map(|(s, _)| (s.file, s.span.start as usize)));
        at.retain(|(f, _)| cold.roots.contains(f));
        assert_eq!(
            navigation_digest(&warm, &at),
            navigation_digest(&cold, &at),
            "step {step}: hover or definition differ after {what}"
        );
        if cold.diagnostics.iter().any(|d| cold.roots.contains(&d.primary.file) && d.is_error()) {
            with_errors += 1;
        }
    }
    // The storm applies its dependency edits and reaches broken states.
    assert!(applied > 300, "only {applied} edits along the dependencies applied");
    eprintln!("along the dependencies: {paths:?}");
    paths.assert_partial(900);
    assert!(with_errors > 200, "only {with_errors} edits left an error");
}
