//! Tidy: rules about the code base itself, checked on every `cargo test`.
//!
//! - every diagnostic code has a long explanation, a fixture that expects
//!   it (E0105, an unreadable input, an end-to-end test instead), and is
//!   emitted somewhere in `src/`;
//! - the core (`syntax`, `check`, `eval` minus the sources' I/O adapters)
//!   does no I/O and never names the CLI, the async runtime or the LSP;
//! - only `src/syntax/parser.rs` names pest's parse tree.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use compel::diag::Code;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).expect("readable")).into_owned()
}

#[test]
fn every_code_is_explained_tested_and_emitted() {
    let mut fixtures = Vec::new();
    files_under(&root().join("tests/fixtures"), "compel", &mut fixtures);
    let fixture_text: String = fixtures.iter().map(|p| read(p)).collect();
    let mut sources = Vec::new();
    files_under(&root().join("src"), "rs", &mut sources);
    let src_text: String = sources.iter().filter(|p| !p.ends_with("diag/codes.rs")).map(|p| read(p)).collect();
    for code in Code::ALL {
        assert!(code.explanation().len() > 80, "{} has no real explanation", code.as_str());
        if *code == Code::UnreadableInput {
            // No fixture can be unreadable: the end-to-end tests make the
            // input (a missing path, a file that fails to read) and assert
            // the code for every command.
            let e2e = read(&root().join("tests/ci_outputs.rs"));
            assert!(e2e.contains("\"E0105\""), "no end-to-end test expects E0105");
        } else {
            let header_mentions = fixture_text
                .lines()
                .filter_map(|l| l.strip_prefix("// expect:"))
                .any(|l| l.split_whitespace().any(|c| c == code.as_str()));
            assert!(header_mentions, "no fixture expects {}", code.as_str());
        }
        let variant = format!("Code::{:?}", code);
        assert!(src_text.contains(&variant), "{} ({variant}) is never emitted", code.as_str());
    }
}

#[test]
fn the_core_does_no_io_and_knows_no_front_end() {
    let forbidden = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "SystemTime",
        "clap::",
        "tokio",
        "tower_lsp",
        "println!",
        "eprintln!",
    ];
    let mut files = Vec::new();
    for dir in ["src/syntax", "src/check", "src/eval", "src/diag", "src/fmt", "src/ide", "src/diff"] {
        files_under(&root().join(dir), "rs", &mut files);
    }
    files.push(root().join("src/analysis.rs"));
    files.push(root().join("src/text.rs"));
    files.push(root().join("src/markdown.rs"));
    for f in files {
        // A module's unit tests in their own file (`#[cfg(test)] mod tests;`)
        // may do as they please, like tests inside a module.
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = read(&f);
        // Tests inside a module may do as they please.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for word in forbidden {
            assert!(!code.contains(word), "{} uses `{word}`; the core does no I/O (see ARCHITECTURE.md)", f.display());
        }
    }
}

#[test]
fn only_the_parser_names_pest() {
    let mut files = Vec::new();
    files_under(&root().join("src"), "rs", &mut files);
    for f in files {
        if f.ends_with("syntax/parser.rs") {
            continue;
        }
        let text = read(&f);
        assert!(
            !text.contains("pest::") && !text.contains("Rule::"),
            "{} names pest; only src/syntax/parser.rs may",
            f.display()
        );
    }
}
