//! The parser's limits end to end (`compel check`): file size, top-level
//! declarations per file, list length, bracket nesting, prefix operators
//! and chained operators give error `E0103` with the numbers, never a
//! crash, one past the limit and not at it; a project raises or lowers the
//! first three in the `[limits]` table of its `compel.toml`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use compel::syntax::{parse, ParseLimits};
use compel::text::FileId;

fn check(dir: &Path, file: &str) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let o: Output = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["check", file, "--format", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let diags = serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .map(|v| v["diagnostics"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    (o.status.code(), diags, stderr)
}

fn limit_messages(diags: &[serde_json::Value]) -> Vec<String> {
    diags.iter().filter(|d| d["code"] == "E0103").map(|d| d["message"].as_str().unwrap().to_string()).collect()
}

fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-limits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn many_declarations(n: usize) -> String {
    (0..n).map(|i| format!("let x{i} = {i}\n")).collect()
}

fn long_list(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!("let xs = [{}]\n", items.join(", "))
}

#[test]
fn too_many_declarations_is_e0103() {
    let dir = project("decls");
    std::fs::write(dir.join("many.compel"), many_declarations(10_001)).unwrap();
    let (code, diags, stderr) = check(&dir, "many.compel");
    assert_eq!(code, Some(1), "{stderr}");
    let messages = limit_messages(&diags);
    assert_eq!(
        messages,
        ["10001 top-level declarations in one file, more than the limit of 10000; the rest is not read"],
        "{diags:?}"
    );
    // The diagnostic points at the first declaration past the limit.
    let d = diags.iter().find(|d| d["code"] == "E0103").unwrap();
    assert_eq!(d["line"], 10_001);

    std::fs::write(dir.join("ok.compel"), many_declarations(10_000)).unwrap();
    let (_, diags, _) = check(&dir, "ok.compel");
    assert!(limit_messages(&diags).is_empty());
}

#[test]
fn too_long_a_list_is_e0103() {
    let dir = project("list");
    std::fs::write(dir.join("list.compel"), long_list(10_001)).unwrap();
    let (code, diags, stderr) = check(&dir, "list.compel");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(limit_messages(&diags), ["a list of 10001 elements, more than the limit of 10000"]);
    std::fs::write(dir.join("ok.compel"), long_list(10_000)).unwrap();
    let (_, diags, _) = check(&dir, "ok.compel");
    assert!(limit_messages(&diags).is_empty(), "{diags:?}");
}

#[test]
fn too_big_a_file_is_e0103() {
    let dir = project("size");
    let mut text = String::from("// padding\n");
    text.push_str(&"// ".repeat(3 * 1024 * 1024));
    std::fs::write(dir.join("big.compel"), &text).unwrap();
    let (code, diags, _) = check(&dir, "big.compel");
    assert_eq!(code, Some(1));
    assert_eq!(limit_messages(&diags), [format!("file is {} bytes, more than the limit of 8388608 bytes", text.len())]);
}

#[test]
fn compel_toml_raises_and_lowers_the_limits() {
    let dir = project("toml");
    std::fs::write(dir.join("many.compel"), many_declarations(12_000)).unwrap();
    std::fs::write(dir.join("list.compel"), long_list(12_000)).unwrap();
    std::fs::write(dir.join("small.compel"), "let a = [1, 2, 3]\nlet b = 2\nlet c = 3\n").unwrap();
    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_declarations = 20000\nmax_list_len = 20000\n").unwrap();
    for file in ["many.compel", "list.compel"] {
        let (_, diags, stderr) = check(&dir, file);
        assert!(limit_messages(&diags).is_empty(), "{file}: {diags:?} {stderr}");
    }

    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_declarations = 2\nmax_list_len = 2\nmax_file_bytes = 30\n")
        .unwrap();
    let (code, diags, _) = check(&dir, "small.compel");
    assert_eq!(code, Some(1));
    assert_eq!(limit_messages(&diags), ["file is 38 bytes, more than the limit of 30 bytes"]);
    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_declarations = 2\nmax_list_len = 2\n").unwrap();
    let (_, diags, _) = check(&dir, "small.compel");
    let mut messages = limit_messages(&diags);
    messages.sort();
    assert_eq!(
        messages,
        [
            "3 top-level declarations in one file, more than the limit of 2; the rest is not read",
            "a list of 3 elements, more than the limit of 2",
        ]
    );

    // A mistake in the table is a tool error (exit 2) with a suggestion.
    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_declaration = 5\n").unwrap();
    let (code, _, stderr) = check(&dir, "small.compel");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("did you mean `max_declarations`"), "{stderr}");
    std::fs::write(dir.join("compel.toml"), "[limits]\nmax_list_len = 0\n").unwrap();
    let (code, _, stderr) = check(&dir, "small.compel");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("must be a positive whole number"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_library_takes_the_same_limits() {
    let limits = ParseLimits { max_declarations: 1, max_list_len: 1, ..ParseLimits::default() };
    let (file, diags) = parse(FileId(0), "let a = [1]\nlet b = [1, 2]\n", limits);
    assert_eq!(file.items.len(), 1);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code.as_str(), "E0103");
    let (_, diags) = parse(FileId(0), "let a = [1, 2]\n", limits);
    assert_eq!(diags[0].message, "a list of 2 elements, more than the limit of 1");
}

/// `let x = BODY` checked alone; the E0103 messages.
fn limit_messages_of(dir: &Path, name: &str, body: &str) -> Vec<String> {
    std::fs::write(dir.join(name), format!("let x = {body}\n")).unwrap();
    let (code, diags, stderr) = check(dir, name);
    let messages = limit_messages(&diags);
    assert_eq!(code, Some(if messages.is_empty() { 0 } else { 1 }), "{name}: {diags:?} {stderr}");
    messages
}

#[test]
fn nesting_depth_at_and_past_the_limit() {
    let dir = project("depth");
    let nested = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert!(limit_messages_of(&dir, "ok.compel", &nested(64)).is_empty());
    assert_eq!(
        limit_messages_of(&dir, "deep.compel", &nested(65)),
        ["brackets nested 65 deep, more than the limit of 64"]
    );
    // Lists count as brackets too.
    let lists = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    assert!(limit_messages_of(&dir, "lists_ok.compel", &lists(64)).is_empty());
    assert_eq!(
        limit_messages_of(&dir, "lists.compel", &lists(65)),
        ["brackets nested 65 deep, more than the limit of 64"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn prefix_operators_at_and_past_the_limit() {
    let dir = project("prefix");
    assert!(limit_messages_of(&dir, "ok.compel", &format!("{}true", "not ".repeat(256))).is_empty());
    assert_eq!(
        limit_messages_of(&dir, "nots.compel", &format!("{}true", "not ".repeat(257))),
        ["257 prefix operators in one declaration, more than the limit of 256"]
    );
    assert!(limit_messages_of(&dir, "minus_ok.compel", &format!("{}1", "- ".repeat(256))).is_empty());
    assert_eq!(
        limit_messages_of(&dir, "minus.compel", &format!("{}1", "- ".repeat(257))),
        ["257 prefix operators in one declaration, more than the limit of 256"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chained_operators_at_and_past_the_limit() {
    let dir = project("chain");
    let chain = |n: usize, op: &str| vec!["1 > 0"; n + 1].join(op);
    assert!(limit_messages_of(&dir, "ok.compel", &vec!["1"; 513].join(" + ")).is_empty());
    assert_eq!(
        limit_messages_of(&dir, "sum.compel", &vec!["1"; 514].join(" + ")),
        ["513 operators chained in one expression, more than the limit of 512"]
    );
    // `1 > 0 and 1 > 0 ...`: the comparisons count too (one flat sequence).
    assert!(limit_messages_of(&dir, "and_ok.compel", &chain(255, " and ")).is_empty());
    assert_eq!(
        limit_messages_of(&dir, "and.compel", &chain(256, " and ")),
        ["513 operators chained in one expression, more than the limit of 512"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
