//! Recovery inside declarations, over the examples: for every line of
//! `acme.compel` and `people.compel`, cut the line in half (and, separately,
//! type it again one character at a time, and delete each of its closing
//! quotes and brackets). Every diagnostic must lie on that line or on the
//! header of the declaration holding it (a missing attribute, an unclosed
//! body), the other file stays clean, and every other declaration keeps its
//! name, its attributes and its nested items.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use compel::analysis::{analyze, Analysis, MemoryLoader};
use compel::syntax::ast::{Decl, File, Item, Member};
use compel::text::Span;

const FILES: [&str; 2] = ["acme.compel", "people.compel"];

fn example(name: &str) -> String {
    let path = format!("{}/../shared/examples/acme/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn analyze_texts(texts: &[String; 2]) -> Analysis {
    let mut loader = MemoryLoader::default();
    for (name, text) in FILES.iter().zip(texts) {
        loader.insert(*name, text.clone());
    }
    let roots: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    analyze(&roots, &loader)
}

/// A declaration of the original file, by lines (0-based, inclusive).
#[derive(Clone, Debug)]
struct Block {
    /// What it is: `kind name`, `gate from -> to`, `attr name`.
    label: String,
    first: usize,
    last: usize,
    /// Whether it declares something (a block with a header) rather than an
    /// attribute.
    header: bool,
}

fn line_of(text: &str, offset: u32) -> usize {
    text[..offset as usize].matches('\n').count()
}

fn blocks(text: &str, file: &File) -> Vec<Block> {
    fn span_block(text: &str, label: String, span: Span, header: bool) -> Block {
        Block { label, first: line_of(text, span.start), last: line_of(text, span.end), header }
    }
    fn decl(text: &str, d: &Decl, out: &mut Vec<Block>) {
        out.push(span_block(text, format!("{} {}", d.kind.name, d.name.name), d.span, true));
        for m in &d.members {
            match m {
                Member::Attr(a) => out.push(span_block(text, format!("attr {}", a.name.name), a.span, false)),
                Member::Decl(n) => decl(text, n, out),
                Member::Gate(g) => {
                    out.push(span_block(text, format!("gate {} -> {}", g.from.name, g.to.name), g.span, true))
                }
            }
        }
    }
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Decl(d) => decl(text, d, &mut out),
            Item::Import(i) => out.push(span_block(text, format!("import {}", i.path.value), i.span, true)),
            other => out.push(span_block(text, format!("{other:?}").chars().take(20).collect(), other.span(), true)),
        }
    }
    out
}

/// The innermost declaration (with a header) holding `line`.
fn holder(blocks: &[Block], line: usize) -> Option<&Block> {
    blocks.iter().filter(|b| b.header && b.first <= line && line <= b.last).min_by_key(|b| b.last - b.first)
}

/// What went wrong when `texts[which]` has its line `line` replaced.
fn violations(originals: &[String; 2], which: usize, line: usize, new_line: &str, what: &str) -> Vec<String> {
    let mut texts = originals.clone();
    let mut lines: Vec<&str> = originals[which].split('\n').collect();
    lines[line] = new_line;
    texts[which] = lines.join("\n");
    let analysis = analyze_texts(&texts);
    let original = compel::syntax::parse(compel::text::FileId(0), &originals[which], Default::default()).0;
    let blocks = blocks(&originals[which], &original);
    let holder = holder(&blocks, line);
    // A declaration whose header is cut loses its head: its errors may lie
    // anywhere in it, and what it holds may be lost with it.
    let headless = holder.filter(|h| h.first == line);
    let mut out = Vec::new();
    let context = format!("{} line {} {what} {new_line:?}", FILES[which], line + 1);
    for d in analysis.user_diagnostics() {
        let file = analysis.files.get(d.primary.file);
        let ok = file.path == FILES[which] && {
            let at = line_of(&file.text, d.primary.span.start);
            at == line
                || holder.is_some_and(|h| at == h.first)
                || headless.is_some_and(|h| h.first <= at && at <= h.last)
        };
        if !ok {
            let lc = file.line_col(d.primary.span.start as usize);
            out.push(format!("{context}: {} {}:{}: {}", d.code.as_str(), file.path, lc.line, d.message));
        }
    }
    // Every other declaration and attribute is still in the tree, on its line.
    let id = analysis.files.find(FILES[which]).expect("the file was analysed");
    let now = blocks_of(&analysis, id);
    for b in &blocks {
        let touched = b.first == line
            || (!b.header && b.first <= line && line <= b.last)
            || headless.is_some_and(|h| h.first <= b.first && b.last <= h.last);
        if !touched && !now.iter().any(|n| n.label == b.label && n.first == b.first) {
            out.push(format!("{context}: lost `{}` of line {}", b.label, b.first + 1));
        }
    }
    out
}

fn blocks_of(analysis: &Analysis, id: compel::text::FileId) -> Vec<Block> {
    let text = &analysis.files.get(id).text;
    blocks(text, &analysis.asts[id.0 as usize])
}

fn report(failures: &[Vec<String>], cases: usize) {
    let failing: Vec<&Vec<String>> = failures.iter().filter(|f| !f.is_empty()).collect();
    let lines: Vec<String> = failing.iter().flat_map(|f| f.iter().cloned()).collect();
    assert!(failing.is_empty(), "{} of {cases} cases fail:\n{}", failing.len(), lines.join("\n"));
}

#[test]
fn the_examples_are_clean() {
    let texts = [example(FILES[0]), example(FILES[1])];
    let analysis = analyze_texts(&texts);
    assert_eq!(analysis.user_diagnostics().count(), 0, "{:#?}", analysis.diagnostics);
}

#[test]
fn a_line_cut_in_half_costs_that_line_only() {
    let texts = [example(FILES[0]), example(FILES[1])];
    let (mut failures, mut cases) = (Vec::new(), 0);
    for which in 0..2 {
        for (n, line) in texts[which].split('\n').enumerate() {
            let chars: Vec<char> = line.chars().collect();
            let half: String = chars[..chars.len() / 2].iter().collect();
            cases += 1;
            failures.push(violations(&texts, which, n, &half, "cut to"));
        }
    }
    report(&failures, cases);
}

#[test]
fn a_missing_closing_quote_or_bracket_costs_that_line_only() {
    let texts = [example(FILES[0]), example(FILES[1])];
    let (mut failures, mut cases) = (Vec::new(), 0);
    for which in 0..2 {
        for (n, line) in texts[which].split('\n').enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            let mut quotes = 0;
            for (i, c) in line.char_indices() {
                let closing = match c {
                    '"' => {
                        quotes += 1;
                        quotes % 2 == 0
                    }
                    ')' | ']' | '}' => true,
                    _ => false,
                };
                if closing {
                    let mut broken = line.to_string();
                    broken.remove(i);
                    cases += 1;
                    failures.push(violations(&texts, which, n, &broken, "without a closing mark:"));
                }
            }
        }
    }
    report(&failures, cases);
}

#[test]
fn retyping_a_line_costs_that_line_only() {
    let texts = [example(FILES[0]), example(FILES[1])];
    let (mut failures, mut cases) = (Vec::new(), 0);
    for which in 0..2 {
        for (n, line) in texts[which].split('\n').enumerate() {
            let chars: Vec<char> = line.chars().collect();
            // From the first character typed (a line holding only spaces is
            // a file without that line, with its own meaning).
            let indent = chars.iter().take_while(|c| c.is_whitespace()).count();
            for k in indent + 1..chars.len() {
                let typed: String = chars[..k].iter().collect();
                cases += 1;
                failures.push(violations(&texts, which, n, &typed, "typed so far:"));
            }
        }
    }
    report(&failures, cases);
}
