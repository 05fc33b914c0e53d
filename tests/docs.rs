//! Every example in `docs/language.md` checks as the text around it says.
//!
//! The test extracts each fenced block tagged `compel` and checks it alone,
//! as the file `doc.compel`, with [`compel::analysis::analyze`]:
//!
//! - a block tagged `compel` must produce no error (warnings and notes are
//!   allowed: some examples show them);
//! - a block tagged `compel,error` must produce at least one error;
//! - in either kind of block, a comment `// E0501: cannot compare ...` (or
//!   just `// E0501`) claims that the block produces a diagnostic with that
//!   code and, when a message follows the colon, exactly that message.
//!
//! Blocks tagged anything else (`text`, `sh`, `json` ...) are not checked.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use compel::analysis::{analyze, MemoryLoader};
use compel::diag::render;

const DOC: &str = include_str!("../docs/language.md");

/// A fenced `compel` block of the document.
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    /// Whether it is tagged `compel,error`.
    error: bool,
    /// The text between the fences.
    text: String,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Option<bool>, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let tag = match info.trim() {
                        "compel" => Some(false),
                        "compel,error" => Some(true),
                        t if t.starts_with("compel") => panic!("docs/language.md:{}: unknown block tag `{t}`", i + 1),
                        _ => None,
                    };
                    open = Some((i + 1, tag, String::new()));
                }
            }
            Some((start, tag, text)) => {
                if trimmed.starts_with("```") {
                    if let Some(error) = *tag {
                        out.push(Block { line: *start, error, text: std::mem::take(text) });
                    }
                    open = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "docs/language.md: a fenced block is not closed");
    out
}

/// The `// EXXXX[: message]` claims of a block.
fn claims(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find("// E") else { continue };
        let rest = &line[at + 3..];
        let code: String = rest.chars().take(5).collect();
        if code.len() != 5 || !code[1..].chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let message = rest[5..].strip_prefix(':').map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
        out.push((code, message));
    }
    out
}

#[test]
fn every_compel_example_checks_as_documented() {
    let blocks = blocks(DOC);
    assert!(blocks.len() >= 40, "only {} compel blocks found in docs/language.md", blocks.len());
    let mut failures = Vec::new();
    for block in &blocks {
        let mut loader = MemoryLoader::default();
        loader.insert("doc.compel", block.text.clone());
        let analysis = analyze(&["doc.compel".into()], &loader);
        let diags: Vec<_> = analysis.user_diagnostics().cloned().collect();
        let rendered = render::terminal(&analysis.files, &diags, false);
        let has_error = diags.iter().any(|d| d.is_error());
        let where_ = format!(
            "docs/language.md:{} (block tagged `compel{}`)",
            block.line,
            if block.error { ",error" } else { "" }
        );
        if block.error && !has_error {
            failures.push(format!("{where_}: expected an error, got none\n{rendered}"));
        }
        if !block.error && has_error {
            failures.push(format!("{where_}: expected no error\n{rendered}"));
        }
        for (code, message) in claims(&block.text) {
            let found = diags.iter().any(|d| {
                d.code.as_str() == code
                    && match &message {
                        Some(m) => *m == d.message,
                        None => true,
                    }
            });
            if !found {
                let what = match &message {
                    Some(m) => format!("{code} `{m}`"),
                    None => code.clone(),
                };
                failures.push(format!("{where_}: the block claims {what}, which is not reported\n{rendered}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) do not check as documented:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_extractor_reads_tags_and_claims() {
    let doc = "text\n```compel\nlet a = 1\n```\n```text\nnot compel\n```\n```compel,error\nlet b = 1 + 1d // E0501: cannot add\n```\n";
    let found = blocks(doc);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].line, found[0].error, found[0].text.as_str()), (2, false, "let a = 1\n"));
    assert!(found[1].error);
    assert_eq!(claims(&found[1].text), vec![("E0501".to_string(), Some("cannot add".to_string()))]);
}

/// `docs/diagnostics.md`: every code's heading (its stable anchor, which
/// SARIF's `helpUri` links to), title, name, severity and explanation.
fn diagnostics_doc() -> String {
    let mut out = String::from(
        "# Diagnostics\n\n\
         Every diagnostic compel reports carries a stable code; `compel explain CODE`\n\
         prints the same text as this page. Each code's heading is a stable anchor\n\
         (`#e0301`): the SARIF rules link to it (`helpUri`).\n\n\
         This page is generated from `src/diag/codes.rs`; `UPDATE_DOCS=1 cargo test\n\
         --test docs` rewrites it, and `cargo test` fails while it is out of date.\n",
    );
    for code in compel::diag::Code::ALL {
        out.push_str(&format!(
            "\n## {}\n\n**{}** (`{}`, {} by default)\n\n```text\n{}\n```\n",
            code.as_str(),
            code.title(),
            code.name(),
            code.default_severity().as_str(),
            code.explanation()
        ));
    }
    out
}

#[test]
fn the_diagnostics_page_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md");
    let want = diagnostics_doc();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &want).expect("write docs/diagnostics.md");
    }
    let got = std::fs::read_to_string(path).unwrap_or_default();
    assert!(got == want, "docs/diagnostics.md is out of date: run `UPDATE_DOCS=1 cargo test --test docs`");
    for code in compel::diag::Code::ALL {
        let uri = compel::diag::render::help_uri(*code).expect("Cargo.toml names the repository");
        let anchor = uri.rsplit_once('#').map(|(_, a)| a).unwrap_or_default();
        assert!(got.contains(&format!("\n## {}\n", anchor.to_ascii_uppercase())), "no heading for #{anchor}");
    }
}
