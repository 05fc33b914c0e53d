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
//! - **Through the protocol**: the running server takes `didChange`
//!   notifications with incremental ranges (UTF-16 positions), and after
//!   each the diagnostics it publishes for that version are compared with
//!   those of a full analysis of the same text, computed here.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod lsp_support;

use std::path::Path;

use compel::analysis::{analyze_project, normalize_path, MemoryLoader, Settings};
use compel::diag::Diagnostic;
use compel::ide::incremental::Incremental;
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
    nonempty
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
