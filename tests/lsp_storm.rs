//! A storm against the real language server: 10,000 random edits (ranges
//! anywhere, reversed, past the end of a line or of the file; text with
//! brackets, quotes, emoji, CRLF) with requests of every kind at random
//! positions in between. The server must answer every request (no crash,
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
            let method = [
                "textDocument/hover",
                "textDocument/completion",
                "textDocument/definition",
                "textDocument/references",
                "textDocument/signatureHelp",
                "textDocument/prepareRename",
                "textDocument/documentSymbol",
                "textDocument/foldingRange",
                "textDocument/formatting",
            ][rng.below(9) as usize];
            let params = match method {
                "textDocument/references" => {
                    json!({ "textDocument": { "uri": uri }, "position": pos, "context": { "includeDeclaration": true } })
                }
                "textDocument/documentSymbol" | "textDocument/foldingRange" => {
                    json!({ "textDocument": { "uri": uri } })
                }
                "textDocument/formatting" => {
                    json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } })
                }
                _ => tdp(&uri, pos),
            };
            let response = server.call(method, params);
            // A refusal in words (`RequestFailed`, say) is fine; an internal
            // error is a handler that panicked.
            assert_ne!(response["error"]["code"], -32603, "{method} failed after edit {i}: {response}");
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
