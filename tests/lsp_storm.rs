//! A storm against the real language server: 10,000 random edits (ranges
//! anywhere, reversed, past the end of a line or of the file; text with
//! brackets, quotes, emoji, CRLF) with requests of twenty-two kinds at
//! random positions in between (hover, completion and resolving an item,
//! definition, references, signature help, prepare rename and rename, code
//! actions, document symbols, folding ranges, formatting, semantic tokens,
//! workspace symbols, highlights, links, selection ranges, range and
//! on-type formatting, inlay hints, code lenses, executing their commands), and a second document opened and closed. The server must answer every request (no crash,
//! no hang: each wait is bounded by `lsp_support::TIMEOUT`), still be sane
//! at the end, and its memory must stay bounded: the resident set after the
//! storm is at most twice the one after a warm-up, plus 50 MB.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod lsp_support;

use lsp_support::{shutdown, Server, Start};
use serde_json::{json, Value};

/// Deterministic xorshift, so the storm is the same on every run.
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

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The resident set size of a process, in kB (Linux); `None` elsewhere.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn tdp(uri: &str, pos: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos })
}

const EDITS: usize = 10_000;

/// The requests the storm sends at random positions.
const KINDS: [&str; 22] = [
    "textDocument/hover",
    "textDocument/completion",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/signatureHelp",
    "textDocument/prepareRename",
    "textDocument/rename",
    "textDocument/codeAction",
    "textDocument/documentSymbol",
    "textDocument/foldingRange",
    "textDocument/formatting",
    "textDocument/semanticTokens/full",
    "workspace/symbol",
    "completionItem/resolve",
    "textDocument/documentHighlight",
    "textDocument/documentLink",
    "textDocument/selectionRange",
    "textDocument/rangeFormatting",
    "textDocument/onTypeFormatting",
    "textDocument/inlayHint",
    "textDocument/codeLens",
    "workspace/executeCommand",
];

#[test]
fn ten_thousand_random_edits_and_requests() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let original = server.text("acme.compel");
    let lines = original.lines().count() as u64;
    server.diagnostics(&uri, Some(1));
    let snippets = [
        "{",
        "}",
        "\"",
        "😀",
        "é",
        "\n",
        "kpi x {",
        "require ",
        "accuracy",
        "[",
        "]",
        "(",
        ")",
        "//",
        "->",
        " ",
        "\r\n",
        "",
        "gate model -> produce { require accuracy }",
        "not not not ",
        "avg(",
        "0.5%",
        "\t",
        "\\",
        "initiative i { owner \"o\" stage model }\n",
        "import \"../../etc/passwd\"\n",
        "/// doc\n",
    ];
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut version = 1;
    let mut warm_rss = None;
    let second = server.text("people.compel");
    let second_uri = server.uri("people.compel");
    let mut second_open = false;
    let mut opened_and_closed = 0;
    let mut asked = [0usize; KINDS.len()];
    let started = std::time::Instant::now();
    for i in 0..EDITS {
        version += 1;
        if i % 1000 == 999 {
            // Now and then, back to a real file with a full change.
            server.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": original }] }),
            );
        } else {
            // Positions past the end of the line and of the file, ranges
            // reversed: the server clamps, never panics.
            let start = json!({ "line": rng.below(lines + 20), "character": rng.below(120) });
            let end = json!({ "line": rng.below(lines + 20), "character": rng.below(120) });
            let text = snippets[rng.below(snippets.len() as u64) as usize];
            server.edit(&uri, version, json!({ "start": start, "end": end }), text);
        }
        if rng.below(10) == 0 {
            let pos = json!({ "line": rng.below(lines + 20), "character": rng.below(150) });
            let kind = rng.below(KINDS.len() as u64 + 1) as usize;
            if kind == KINDS.len() {
                // A second document comes and goes: opened with a random
                // snippet somewhere in it, closed at the next turn.
                if second_open {
                    server.close(&second_uri);
                } else {
                    let mut text = second.clone();
                    let at = rng.below(text.len() as u64 + 1) as usize;
                    let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
                    text.insert_str(at, snippets[rng.below(snippets.len() as u64) as usize]);
                    server.open_text("people.compel", &text);
                }
                second_open = !second_open;
                opened_and_closed += 1;
            } else {
                let method = KINDS[kind];
                let doc = json!({ "uri": uri });
                let params = match method {
                    "textDocument/references" => {
                        json!({ "textDocument": doc, "position": pos, "context": { "includeDeclaration": true } })
                    }
                    "textDocument/documentSymbol"
                    | "textDocument/foldingRange"
                    | "textDocument/semanticTokens/full"
                    | "textDocument/documentLink"
                    | "textDocument/codeLens" => {
                        json!({ "textDocument": doc })
                    }
                    "textDocument/formatting" => {
                        json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } })
                    }
                    "textDocument/rename" => {
                        let new_name = ["renamed", "x", "1 not a name", "", "😀"][rng.below(5) as usize];
                        json!({ "textDocument": doc, "position": pos, "newName": new_name })
                    }
                    "textDocument/codeAction" => {
                        let end = json!({ "line": rng.below(lines + 20), "character": rng.below(150) });
                        json!({ "textDocument": doc, "range": { "start": pos, "end": end }, "context": { "diagnostics": [] } })
                    }
                    "textDocument/selectionRange" => json!({ "textDocument": doc, "positions": [pos] }),
                    "textDocument/rangeFormatting" | "textDocument/inlayHint" => {
                        let end = json!({ "line": rng.below(lines + 20), "character": rng.below(150) });
                        json!({ "textDocument": doc, "range": { "start": pos, "end": end }, "options": { "tabSize": 2, "insertSpaces": true } })
                    }
                    "textDocument/onTypeFormatting" => {
                        let ch = ["}", "}", "{", "x"][rng.below(4) as usize];
                        json!({ "textDocument": doc, "position": pos, "ch": ch, "options": { "tabSize": 2, "insertSpaces": true } })
                    }
                    "workspace/executeCommand" => {
                        // Run a test that may or may not exist, or evaluate a
                        // gate without a metric source (refused in words).
                        match rng.below(2) {
                            0 => {
                                json!({ "command": "compel.server.runTest", "arguments": [{ "uri": uri, "name": "t" }] })
                            }
                            _ => {
                                json!({ "command": "compel.server.evaluateGate", "arguments": [{ "uri": uri, "from": "model", "to": "produce" }] })
                            }
                        }
                    }
                    "workspace/symbol" => {
                        json!({ "query": snippets[rng.below(snippets.len() as u64) as usize] })
                    }
                    "completionItem/resolve" => {
                        // An item the server offered, or one it never did.
                        let items = server.call("textDocument/completion", tdp(&uri, pos.clone()));
                        let items = items["result"]["items"].as_array().cloned().unwrap_or_default();
                        match items.get(rng.below(items.len() as u64 + 1) as usize) {
                            Some(item) => item.clone(),
                            None => json!({ "label": "nobody", "data": { "uri": uri, "offset": rng.next() } }),
                        }
                    }
                    _ => tdp(&uri, pos),
                };
                let response = server.call(method, params);
                // A refusal in words (`RequestFailed`, say) is fine; an
                // internal error is a handler that panicked, and "method not
                // found" a kind of request the storm no longer exercises.
                assert_ne!(response["error"]["code"], -32603, "{method} failed after edit {i}: {response}");
                assert_ne!(response["error"]["code"], -32601, "{method} is not handled: {response}");
                asked[kind] += 1;
            }
        }
        if i == 1000 {
            // Let the warm-up's analyses settle before measuring.
            server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
            warm_rss = rss_kb(server.pid());
        }
        if i % 200 == 0 {
            server.drain();
        }
    }
    // Every kind was asked, and the second document came and went.
    for (kind, n) in KINDS.iter().zip(asked) {
        assert!(n > 10, "{kind} asked only {n} times");
    }
    assert!(opened_and_closed > 10, "the second document was opened or closed {opened_and_closed} times");
    if second_open {
        server.close(&second_uri);
    }
    // Back to the real file: the server is still sane.
    version += 1;
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": original }] }),
    );
    let diags = server.diagnostics(&uri, Some(version));
    assert_eq!(diags["diagnostics"], json!([]));
    let hover = server.request("textDocument/hover", tdp(&uri, server.pos(&original, "require accuracy", 0, 10)));
    assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("Top-1 accuracy"), "{hover}");

    let end_rss = rss_kb(server.pid());
    eprintln!(
        "storm of {EDITS} edits took {:?}; VmRSS after warm-up {warm_rss:?} kB, at the end {end_rss:?} kB",
        started.elapsed()
    );
    if let (Some(warm), Some(end)) = (warm_rss, end_rss) {
        assert!(end <= 2 * warm + 50 * 1024, "memory grew from {warm} kB to {end} kB");
    }
    assert_eq!(shutdown(server), Some(0));
}
