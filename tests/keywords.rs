//! The reserved words exist once (`syntax::lexer::RESERVED`); the grammar's
//! `keyword` rule, the VS Code TextMate grammar, the Vim syntax file and
//! the Emacs mode must list exactly the same words.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use compel::syntax::lexer::RESERVED;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect(rel)
}

fn reserved() -> BTreeSet<String> {
    RESERVED.iter().map(|w| w.to_string()).collect()
}

/// The words of an alternation such as `\b(and|or|not)\b` or `\bimport\b`.
fn words_of(pattern: &str) -> Vec<String> {
    pattern.replace("\\b", "").trim_matches(|c| c == '(' || c == ')').split('|').map(str::to_string).collect()
}

#[test]
fn the_grammar_reserves_the_same_words() {
    let grammar = read("grammar/compel.pest");
    let rule = grammar.split("keyword = @{").nth(1).expect("a `keyword` rule");
    let body = &rule[..rule.find("~ !ident_char").expect("the rule's end")];
    let words: BTreeSet<String> =
        body.split('"').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, w)| w.to_string()).collect();
    assert_eq!(words, reserved());
}

#[test]
fn the_textmate_grammar_highlights_the_reserved_words() {
    let grammar: serde_json::Value =
        serde_json::from_str(&read("editors/vscode/syntaxes/compel.tmLanguage.json")).expect("JSON");
    let patterns = grammar["repository"]["keywords"]["patterns"].as_array().expect("a `keywords` repository");
    let words: BTreeSet<String> =
        patterns.iter().flat_map(|p| words_of(p["match"].as_str().expect("a match"))).collect();
    assert_eq!(words, reserved());
}

#[test]
fn the_vim_syntax_highlights_the_reserved_words() {
    let vim = read("editors/neovim/syntax/compel.vim");
    let groups = [
        "compelInclude",
        "compelStructure",
        "compelEnforcement",
        "compelKeyword",
        "compelOperatorWord",
        "compelBoolean",
        "compelBuiltinVar",
    ];
    let mut words = BTreeSet::new();
    for line in vim.lines() {
        let mut parts = line.split_whitespace();
        if let (Some("syn"), Some("keyword"), Some(group)) = (parts.next(), parts.next(), parts.next()) {
            if groups.contains(&group) {
                words.extend(parts.map(str::to_string));
            }
        }
    }
    assert_eq!(words, reserved());
}

/// The strings of the Emacs Lisp list `(defconst NAME '("a" "b" ...))`.
fn elisp_list(source: &str, name: &str) -> Vec<String> {
    let head = format!("(defconst {name}");
    let start = source.find(&format!("{head} ")).or_else(|| source.find(&format!("{head}\n")));
    let rest = &source[start.unwrap_or_else(|| panic!("no {head}")) + head.len()..];
    let rest = rest.trim_start().strip_prefix("'(").unwrap_or_else(|| panic!("{name} is not a quoted list"));
    let body = &rest[..rest.find(')').expect("the list's end")];
    body.split('"').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, w)| w.to_string()).collect()
}

#[test]
fn the_emacs_mode_highlights_the_reserved_words() {
    let el = read("editors/emacs/compel-mode.el");
    let lists = [
        "compel-include-keywords",
        "compel-structure-keywords",
        "compel-enforcement-keywords",
        "compel-other-keywords",
        "compel-operator-keywords",
        "compel-constant-keywords",
    ];
    let words: Vec<String> = lists.iter().flat_map(|l| elisp_list(&el, l)).collect();
    let set: BTreeSet<String> = words.iter().cloned().collect();
    assert_eq!(set.len(), words.len(), "a word in two lists: {words:?}");
    assert_eq!(set, reserved());
    // Each list is used by the highlighting.
    let font_lock = &el[el.find("(defconst compel-font-lock-keywords").expect("font-lock keywords")..];
    for list in lists {
        assert!(font_lock.contains(list), "{list} is not highlighted");
    }
}

/// The editors highlight the built-in functions of the registry
/// (`check::builtins`, which a unit test ties to `stdlib/builtins.compel`).
#[test]
fn the_editors_know_the_builtins() {
    let registry: BTreeSet<String> = compel::check::builtins::BUILTINS.iter().map(|b| b.name.to_string()).collect();
    let grammar: serde_json::Value =
        serde_json::from_str(&read("editors/vscode/syntaxes/compel.tmLanguage.json")).expect("JSON");
    let pattern = grammar["repository"]["builtin-call"]["match"].as_str().expect("a `builtin-call` pattern");
    let alternation = pattern.split("\\s*").next().expect("the names");
    let words: BTreeSet<String> = words_of(alternation).into_iter().collect();
    assert_eq!(words, registry, "TextMate");
    let vim = read("editors/neovim/syntax/compel.vim");
    let line = vim.lines().find(|l| l.starts_with("syn match compelBuiltinFunc")).expect("compelBuiltinFunc");
    let names = line.split("\\%(").nth(1).and_then(|s| s.split("\\)").next()).expect("the names");
    let words: BTreeSet<String> = names.split("\\|").map(str::to_string).collect();
    assert_eq!(words, registry, "Vim");
    let el = read("editors/emacs/compel-mode.el");
    let words: BTreeSet<String> = elisp_list(&el, "compel-builtin-functions").into_iter().collect();
    assert_eq!(words, registry, "Emacs");
}
