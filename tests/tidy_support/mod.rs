//! A small reader of Rust source for the tidy tests: comments and literals
//! blanked out, test-only items removed, `use` trees expanded into paths,
//! every path a file names, and the functions with their sizes.
//!
//! It is not a Rust parser, but it is exact for what tidy asks: a path in a
//! comment or a string is not a dependency, `use std::{fs}` names
//! `std::fs`, and an item under `#[cfg(test)]` is skipped (only that item,
//! not the rest of the file).

#![allow(dead_code)]

/// The code of a file with comments, strings and character literals
/// replaced by spaces (newlines kept, so line numbers stay).
pub fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(len) = raw_string_start(&chars, i) {
            // r"..", r#".."#, br#".."#: ends at a quote followed by as many #.
            let hashes = len - if chars[i] == 'b' { 3 } else { 2 };
            for _ in 0..len {
                out.push(' ');
            }
            i += len;
            while i < chars.len() {
                if chars[i] == '"' && (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The length of a raw string's opening (`r"`, `r#"`, `br##"` ...) at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let prev_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    if prev_ident {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some(j + 1 - i)
}

/// Whether the `'` at `i` opens a character literal (`'a'`, `'\n'`,
/// `'\u{1F600}'`) rather than a lifetime or a label (`'a`, `'outer:`).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// `code` (already blanked) without the items under `#[cfg(test)]`: the
/// attribute and the item it applies to (a `mod tests { ... }`, a `fn`, a
/// `use ...;`), blanked out; everything after the item is kept.
pub fn without_test_items(code: &str) -> String {
    let mut out: Vec<char> = code.chars().collect();
    let pattern: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + pattern.len() <= out.len() {
        if out[i..i + pattern.len()] != pattern[..] {
            i += 1;
            continue;
        }
        // The item ends at its first `;` outside brackets, or with the
        // brace that closes its first `{`.
        let mut j = i + pattern.len();
        let mut depth = 0usize;
        let mut end = out.len();
        while j < out.len() {
            match out[j] {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = j + 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        for c in &mut out[i..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = end;
    }
    out.into_iter().collect()
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The `use` declarations of `code`, each expanded into full paths:
/// `use a::{b, c::{d as e, self}, f::*};` gives `a::b`, `a::c::d`, `a::c`,
/// `a::f::*`. Visibility (`pub`, `pub(crate)`) is ignored.
pub fn use_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let at_word = (i == 0 || !is_ident_char(bytes[i - 1]))
            && bytes[i..i + 3] == ['u', 's', 'e']
            && bytes.get(i + 3).is_some_and(|c| c.is_whitespace());
        if !at_word {
            i += 1;
            continue;
        }
        let start = i + 3;
        let Some(len) = bytes[start..].iter().position(|c| *c == ';') else { break };
        let tree: String = bytes[start..start + len].iter().filter(|c| !c.is_whitespace()).collect();
        expand_tree("", &tree, &mut out);
        i = start + len + 1;
    }
    out
}

fn expand_tree(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let join = |a: &str, b: &str| if a.is_empty() { b.to_string() } else { format!("{a}::{b}") };
    match tree.find('{') {
        None => {
            let path = strip_as(tree);
            if path == "self" {
                out.push(prefix.to_string());
            } else if !path.is_empty() {
                out.push(join(prefix, path.trim_start_matches("::")));
            }
        }
        Some(open) => {
            let head = tree[..open].trim_end_matches("::");
            let close = tree.rfind('}').unwrap_or(tree.len());
            let inner = &tree[open + 1..close];
            let base = join(prefix, head);
            for part in split_top_level(inner) {
                expand_tree(&base, part, out);
            }
        }
    }
}

/// A rename (`a::b as c`, marked `a::b\0as\0c` by [`paths_named`] before
/// whitespace goes) keeps its path.
fn strip_as(path: &str) -> &str {
    path.split("\u{0}as\u{0}").next().unwrap_or(path)
}

fn split_top_level(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Every path of two or more segments written in `code` (`a::b::c`), with
/// generic arguments and turbofish skipped (`Vec::<u8>::new` is `Vec::new`).
pub fn inline_paths(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !(is_ident_char(chars[i]) && (i == 0 || !(is_ident_char(chars[i - 1]) || chars[i - 1] == ':'))) {
            i += 1;
            continue;
        }
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let s = j;
            while j < chars.len() && is_ident_char(chars[j]) {
                j += 1;
            }
            segments.push(chars[s..j].iter().collect::<String>());
            if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                j += 2;
                if chars.get(j) == Some(&'<') {
                    // turbofish: skip to the matching `>` and its `::`
                    let mut depth = 0;
                    while j < chars.len() {
                        match chars[j] {
                            '<' => depth += 1,
                            '>' => {
                                depth -= 1;
                                if depth == 0 {
                                    j += 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                        j += 2;
                    } else {
                        break;
                    }
                }
                if j < chars.len() && is_ident_char(chars[j]) {
                    continue;
                }
            }
            break;
        }
        if segments.len() >= 2 {
            out.push(segments.join("::"));
        }
        i = j.max(i + 1);
    }
    out
}

/// Every path a file depends on: its `use` paths and the paths written
/// inline, of the code outside test items.
pub fn paths_named(source: &str) -> Vec<String> {
    let code = without_test_items(&blank_comments_and_literals(source));
    let marked = code.replace(" as ", "\u{0}as\u{0}");
    let mut paths = use_paths(&marked);
    paths.extend(inline_paths(&code));
    paths
}

/// A function of a file: its name, first line (1-based) and its length in
/// lines, from `fn` to the closing brace.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// The line of `fn`.
    pub line: usize,
    /// Lines from `fn` to its closing brace, both included.
    pub lines: usize,
}

/// Every function with a body in `source` (nested ones too; trait
/// declarations without a body and `fn(..)` pointer types are not
/// functions).
pub fn functions(source: &str) -> Vec<Function> {
    let code: Vec<char> = blank_comments_and_literals(source).chars().collect();
    let line_of = |pos: usize| code[..pos].iter().filter(|c| **c == '\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 < code.len() {
        let at_fn = code[i] == 'f'
            && code[i + 1] == 'n'
            && code[i + 2].is_whitespace()
            && (i == 0 || !is_ident_char(code[i - 1]));
        if !at_fn {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while j < code.len() && code[j].is_whitespace() {
            j += 1;
        }
        let s = j;
        while j < code.len() && is_ident_char(code[j]) {
            j += 1;
        }
        let name: String = code[s..j].iter().collect();
        if name.is_empty() {
            i += 2;
            continue;
        }
        // The body: the first `{` at bracket depth 0 before any `;`.
        let mut depth = 0i32;
        let mut body = None;
        while j < code.len() {
            match code[j] {
                '(' | '[' | '<' => depth += 1,
                ')' | ']' => depth -= 1,
                '>' if j > 0 && code[j - 1] != '-' && code[j - 1] != '=' => depth -= 1,
                '{' if depth <= 0 => {
                    body = Some(j);
                    break;
                }
                ';' if depth <= 0 => break,
                _ => {}
            }
            j += 1;
        }
        let Some(open) = body else {
            i = j;
            continue;
        };
        let mut depth = 0;
        let mut close = open;
        for (k, c) in code.iter().enumerate().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let first = line_of(i);
        out.push(Function { name, line: first, lines: line_of(close) - first + 1 });
        i = open + 1;
    }
    out
}
