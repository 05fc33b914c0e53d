//! The language server's newer features over its real protocol (the real
//! `compel lsp` binary, driven through `lsp_support`): completion right
//! after opening a file and its trigger characters, document highlights,
//! document links, selection ranges, range and on-type formatting, inlay
//! hints, code lenses and their commands, and live values (off unless the
//! user turns them on).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod lsp_support;

use lsp_support::{Server, Start};
use serde_json::{json, Value};

fn tdp(uri: &str, pos: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos })
}

fn labels(result: &Value) -> Vec<String> {
    let items = result["items"].as_array().cloned().or_else(|| result.as_array().cloned()).unwrap_or_default();
    items.iter().filter_map(|i| i["label"].as_str().map(str::to_string)).collect()
}

// ---- completion -------------------------------------------------------------

#[test]
fn completion_right_after_did_open_offers_the_persons() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"people.compel\"\n\nprogram p {\n  sponsor \n}\n";
    // No wait for diagnostics: the request follows the notification.
    let uri = server.open_text("new.compel", text);
    let pos = server.pos(text, "sponsor ", 0, 8);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let got = labels(&result);
    assert!(got.contains(&"dana".to_string()) && got.contains(&"priya".to_string()), "{got:?}");
}

#[test]
fn prose_in_strings_and_comments_never_opens_a_list() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"people.compel\"\n\n// Owned by the (risk, data) team. See people.compel/dana \"x\" [1]\nprogram p {\n  title \"Fraud (AI), phase 1. Owner: risk/data \\\"core\\\" [x]\"\n  sponsor dana\n}\n";
    let uri = server.open_text("new.compel", text);
    server.diagnostics(&uri, Some(1));
    let mut asked = 0;
    for (line_start, line_end) in [("// Owned", "[1]\n"), ("title \"", "[x]\"\n")] {
        let start = text.find(line_start).unwrap() + line_start.len();
        let end = text.find(line_end).unwrap() + line_end.len() - 1;
        for (i, c) in text[start..end].char_indices() {
            let trigger = c.to_string();
            if !TRIGGERS.contains(&trigger.as_str()) && c != ' ' {
                continue;
            }
            let at = start + i + c.len_utf8();
            let pos = lsp_support::position(text, at, &server.encoding);
            let mut params = tdp(&uri, pos);
            params["context"] = json!({ "triggerKind": 2, "triggerCharacter": trigger });
            let result = server.request("textDocument/completion", params);
            assert!(labels(&result).is_empty(), "a list after `{c}` at byte {at}: {result}");
            asked += 1;
        }
    }
    assert!(asked >= 20, "only {asked} triggers tried");
}

const TRIGGERS: [&str; 6] = [".", "[", "(", ",", "\"", "/"];

#[test]
fn the_space_is_not_a_trigger_character() {
    let server = Server::start("acme", Start::default());
    let triggers: Vec<&str> = server.capabilities["completionProvider"]["triggerCharacters"]
        .as_array()
        .expect("trigger characters")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(triggers, TRIGGERS);
    assert!(!triggers.contains(&" "));
}
