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

// ---- highlights, links, selection -------------------------------------------

/// The text of an LSP range in `text` (UTF-16 columns; the fixture is ASCII
/// where these tests look).
fn text_of<'a>(text: &'a str, range: &Value) -> &'a str {
    let off = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + text[start..].chars().take(ch).map(char::len_utf8).sum::<usize>()
    };
    &text[off(&range["start"])..off(&range["end"])]
}

fn open_analysed(server: &mut Server, rel: &str) -> (String, String) {
    let text = server.text(rel);
    let uri = server.open_text(rel, &text);
    server.diagnostics(&uri, Some(1));
    (uri, text)
}

#[test]
fn document_highlights_mark_the_declaration_and_its_uses() {
    let mut server = Server::start("acme", Start::default());
    let (uri, text) = open_analysed(&mut server, "acme.compel");
    let pos = server.pos(&text, "require accuracy", 0, 10);
    let result = server.request("textDocument/documentHighlight", tdp(&uri, pos));
    let got: Vec<(&str, u64)> = result
        .as_array()
        .expect("highlights")
        .iter()
        .map(|h| (text_of(&text, &h["range"]), h["kind"].as_u64().unwrap()))
        .collect();
    // The declaration (a write), then `kpis [accuracy, ...]` and the criterion (reads).
    assert_eq!(got, [("accuracy", 3), ("accuracy", 2), ("accuracy", 2)]);
    let first = &result[0]["range"]["start"]["line"];
    assert_eq!(*first, json!(text[..text.find("kpi accuracy").unwrap()].matches('\n').count()));
}

#[test]
fn imports_are_links_to_their_files_and_to_the_stdlib() {
    let mut server = Server::start("acme", Start::default());
    let (uri, text) = open_analysed(&mut server, "acme.compel");
    let links = server.request("textDocument/documentLink", json!({ "textDocument": { "uri": uri } }));
    let links = links.as_array().expect("links");
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(text_of(&text, &links[0]["range"]), "people.compel");
    assert_eq!(links[0]["target"], json!(server.uri("people.compel")));
    assert_eq!(text_of(&text, &links[1]["range"]), "std/policies");
    let std = links[1]["target"].as_str().unwrap().strip_prefix("file://").unwrap().to_string();
    assert!(std.ends_with("/std/policies.compel"), "{std}");
    let body = std::fs::read_to_string(&std).expect("the stdlib file exists on disk");
    assert!(body.contains("policy"), "{body}");
}

#[test]
fn selection_ranges_grow_from_the_word_to_the_file() {
    let mut server = Server::start("acme", Start::default());
    let (uri, text) = open_analysed(&mut server, "acme.compel");
    let pos = server.pos(&text, "avg(feature_psi, 7d)", 0, 6);
    let result =
        server.request("textDocument/selectionRange", json!({ "textDocument": { "uri": uri }, "positions": [pos] }));
    let mut chain = Vec::new();
    let mut node = &result[0];
    while node.is_object() {
        chain.push(text_of(&text, &node["range"]).to_string());
        node = &node["parent"];
    }
    assert_eq!(chain[0], "feature_psi");
    assert_eq!(chain[1], "feature_psi, 7d");
    assert_eq!(chain[2], "(feature_psi, 7d)");
    assert_eq!(chain[3], "require avg(feature_psi, 7d) < 0.15");
    assert!(chain.iter().any(|c| c.starts_with("gate model -> produce {") && c.ends_with('}')), "{chain:?}");
    assert!(chain.iter().any(|c| c.starts_with("initiative scoring_v2 {")), "{chain:?}");
    assert_eq!(chain.last().unwrap(), &text);
    for w in chain.windows(2) {
        assert!(w[1].contains(w[0].as_str()), "{w:?}");
    }
}

// ---- formatting -------------------------------------------------------------

#[test]
fn range_formatting_touches_only_the_items_in_the_range() {
    let mut server = Server::start("acme", Start::default());
    let text = "kpi a {\n metric \"a\"\n      target >= 1\n}\n\nkpi b {\n metric \"b\"\n      target >= 1\n}\n";
    let uri = server.open_text("messy.compel", text);
    let start = server.pos(text, "kpi b", 0, 0);
    let end = server.pos(text, "kpi b", 0, 9);
    let edits = server.request(
        "textDocument/rangeFormatting",
        json!({ "textDocument": { "uri": uri }, "range": { "start": start, "end": end }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let out = lsp_support::apply_edits(text, edits.as_array().unwrap(), &server.encoding);
    assert_eq!(out, "kpi a {\n metric \"a\"\n      target >= 1\n}\n\nkpi b {\n  metric \"b\"\n  target >= 1\n}\n");
}

#[test]
fn typing_a_closing_brace_formats_or_reindents() {
    let mut server = Server::start("acme", Start::default());
    // A whole item closed: formatted as `compel fmt` would.
    let text = "kpi a {\n metric \"a\"\n      target >= 1\n}\n";
    let uri = server.open_text("typed.compel", text);
    let pos = server.pos(text, "}\n", 0, 1);
    let params = json!({ "textDocument": { "uri": uri }, "position": pos, "ch": "}", "options": { "tabSize": 2, "insertSpaces": true } });
    let edits = server.request("textDocument/onTypeFormatting", params);
    let out = lsp_support::apply_edits(text, edits.as_array().unwrap(), &server.encoding);
    assert_eq!(out, "kpi a {\n  metric \"a\"\n  target >= 1\n}\n");
    // A nested block closed inside a declaration still being written:
    // its lines re-indented.
    let text = "initiative i {\n  stage model\n  dataset d {\nversioned true\n      tool \"x\"\n     }\n";
    let uri = server.open_text("typing.compel", text);
    let pos = server.pos(text, "}\n", 0, 1);
    let params = json!({ "textDocument": { "uri": uri }, "position": pos, "ch": "}", "options": { "tabSize": 2, "insertSpaces": true } });
    let edits = server.request("textDocument/onTypeFormatting", params);
    let out = lsp_support::apply_edits(text, edits.as_array().unwrap(), &server.encoding);
    assert_eq!(out, "initiative i {\n  stage model\n  dataset d {\n    versioned true\n    tool \"x\"\n  }\n");
}

// ---- inlay hints and code lens ----------------------------------------------

fn inlay_labels(server: &mut Server, uri: &str, text: &str) -> Vec<String> {
    let end = lsp_support::position(text, text.len(), &server.encoding);
    let hints = server.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": end } }),
    );
    hints.as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn inlay_hints_show_a_kpis_target_where_it_is_required() {
    let mut server = Server::start("acme", Start::default());
    let (uri, text) = open_analysed(&mut server, "acme.compel");
    let labels = inlay_labels(&mut server, &uri, &text);
    assert_eq!(labels, [": target >= 92%, warn < 94%", ": target <= 250ms"]);
    // Only the range asked for.
    let at = server.pos(&text, "require latency_p95", 0, 0);
    let end = server.pos(&text, "require latency_p95 for 7d", 0, 26);
    let hints = server.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri }, "range": { "start": at, "end": end } }),
    );
    assert_eq!(hints.as_array().unwrap().len(), 1);
    assert_eq!(hints[0]["position"], server.pos(&text, "require latency_p95", 0, 19));
}

fn lenses(server: &mut Server, uri: &str, text: &str) -> Vec<(String, String, String)> {
    let result = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    result
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                text_of(text, &l["range"]).to_string(),
                l["command"]["title"].as_str().unwrap().to_string(),
                l["command"]["command"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn code_lenses_above_gates_and_tests() {
    let mut server = Server::start("acme", Start::default());
    let (uri, text) = open_analysed(&mut server, "acme.compel");
    let got = lenses(&mut server, &uri, &text);
    assert_eq!(
        got,
        [(
            "gate model -> produce".to_string(),
            "▶ Evaluate gate".to_string(),
            "compel.server.evaluateGate".to_string()
        )]
    );
    let (uri, text) = open_analysed(&mut server, "acme_test.compel");
    let got = lenses(&mut server, &uri, &text);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|(_, title, cmd)| title == "▶ Run test" && cmd == "compel.server.runTest"), "{got:?}");
    assert_eq!(got[0].0, "test \"a latency spike blocks production\"");
    let commands = &server.capabilities["executeCommandProvider"]["commands"];
    assert_eq!(*commands, json!(["compel.server.evaluateGate", "compel.server.runTest"]));
}

fn show_message(server: &mut Server) -> String {
    let m = server.wait_for("a message", |m| m["method"] == "window/showMessage");
    m["params"]["message"].as_str().unwrap().to_string()
}

#[test]
fn run_test_reports_by_message_and_by_diagnostics_on_the_failing_expectation() {
    let mut server = Server::start("acme", Start::default());
    let (uri, _) = open_analysed(&mut server, "acme_test.compel");
    let args = json!({ "uri": uri, "name": "a latency spike blocks production" });
    let r =
        server.request("workspace/executeCommand", json!({ "command": "compel.server.runTest", "arguments": [args] }));
    assert_eq!(r, json!({ "passed": true, "failures": 0 }));
    assert_eq!(show_message(&mut server), "test \"a latency spike blocks production\": passed");

    // A wrong expectation: the diagnostic sits on its line.
    let text = "import \"acme.compel\"\n\ntest \"wrong\" {\n  now     2026-11-24T00:00:00Z\n  metrics \"metrics/all-green.json\"\n  expect gate scoring_v2 model -> produce == fail\n}\n";
    let uri = server.open_text("wrong_test.compel", text);
    server.diagnostics(&uri, Some(1));
    let args = json!({ "uri": uri, "name": "wrong" });
    let r =
        server.request("workspace/executeCommand", json!({ "command": "compel.server.runTest", "arguments": [args] }));
    assert_eq!(r, json!({ "passed": false, "failures": 1 }));
    assert!(show_message(&mut server).contains("failed: 1 expectation not met"));
    let diags = server.diagnostics(&uri, Some(1));
    let d = &diags["diagnostics"][0];
    assert_eq!(text_of(text, &d["range"]), "expect gate scoring_v2 model -> produce == fail");
    assert!(d["message"].as_str().unwrap().starts_with("expected fail, got warn"), "{d}");
    // Editing the file drops the result.
    server.edit(&uri, 2, json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }), " ");
    let diags = server.diagnostics(&uri, Some(2));
    assert_eq!(diags["diagnostics"], json!([]));

    // A test's metrics stay inside the project, as in `compel test`.
    let text = "import \"acme.compel\"\n\ntest \"escape\" {\n  now     2026-11-24T00:00:00Z\n  metrics \"../../../../etc/passwd\"\n  expect kpi accuracy == met\n}\n";
    let uri = server.open_text("escape_test.compel", text);
    server.diagnostics(&uri, Some(1));
    let args = json!({ "uri": uri, "name": "escape" });
    let r =
        server.request("workspace/executeCommand", json!({ "command": "compel.server.runTest", "arguments": [args] }));
    assert!(r["error"].as_str().unwrap().contains("outside the project"), "{r}");
}

// ---- live values ------------------------------------------------------------

/// A metrics snapshot taken now: accuracy 95.2% (met), latency 210 ms.
fn fresh_metrics() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let time = compel::eval::metrics::format_rfc3339(now * 1_000_000_000);
    format!(
        "{{\"@time\": \"{time}\", \"fraud_model_accuracy{{model=\\\"scoring-v2\\\"}}\": 95.2, \"fraud_scoring_latency_p95\": 210, \"fraud_feature_psi\": 0.09, \"fraud_loss_rate\": 0.07}}\n"
    )
}

fn live_log(server: &mut Server) -> String {
    let m = server.wait_for("a live-values log", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"].as_str().is_some_and(|s| s.starts_with("live values"))
    });
    m["params"]["message"].as_str().unwrap().to_string()
}

#[test]
fn live_values_from_a_file_source_once_turned_on() {
    let options = json!({ "liveValues": { "enabled": true, "metrics": ["live.json"] } });
    let mut server = Server::start("acme", Start { options: Some(options), ..Start::default() });
    server.write("live.json", &fresh_metrics());
    let (uri, text) = open_analysed(&mut server, "acme.compel");
    let log = live_log(&mut server);
    assert!(log.contains("KPIs from ") && log.contains("live.json"), "{log}");
    let labels = inlay_labels(&mut server, &uri, &text);
    let accuracy = labels.iter().find(|l| l.starts_with(" = 95.2% · met · ")).cloned();
    assert!(accuracy.is_some(), "{labels:?}");
    assert!(labels.iter().any(|l| l.starts_with(" = 210ms · met")), "{labels:?}");
    let pos = server.pos(&text, "kpi accuracy", 0, 5);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.contains("**Live**: `95.2%` · **met**"), "{md}");
    // The readiness of the initiative above its gate: one snapshot cannot
    // prove `latency_p95 for 7d`.
    let got = lenses(&mut server, &uri, &text);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[1].1.starts_with("✗ not ready for produce: 1 criterion blocks"), "{got:?}");

    // Evaluate gate reads the same source: results as a message and as
    // diagnostics on the criteria.
    let args = json!({ "uri": uri, "initiative": "scoring_v2", "from": "model", "to": "produce" });
    let r = server
        .request("workspace/executeCommand", json!({ "command": "compel.server.evaluateGate", "arguments": [args] }));
    assert_eq!(r["gates"], json!([{ "initiative": "scoring_v2", "outcome": "unknown" }]), "{r}");
    assert!(show_message(&mut server).starts_with("Evaluate gate model -> produce ("));
    let diags = server.diagnostics(&uri, Some(1));
    let on: Vec<(&str, u64)> = diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (text_of(&text, &d["range"]), d["severity"].as_u64().unwrap()))
        .collect();
    assert!(on.contains(&("require accuracy", 3)), "{on:?}");
    assert!(on.contains(&("require latency_p95 for 7d", 2)), "{on:?}");

    // Saving fetches again.
    server.write("live.json", &fresh_metrics().replace("95.2", "91"));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    // (A fetch started before the save may report first.)
    let mut labels = Vec::new();
    for _ in 0..3 {
        live_log(&mut server);
        labels = inlay_labels(&mut server, &uri, &text);
        if labels.iter().any(|l| l.starts_with(" = 91% · missed")) {
            break;
        }
    }
    assert!(labels.iter().any(|l| l.starts_with(" = 91% · missed")), "{labels:?}");
}

/// A loopback listener that counts the connections made to it.
fn counting_listener() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

/// Everything that could fetch: open, hover, hints, lenses, save, and the
/// Evaluate gate command.
fn exercise(server: &mut Server) -> (Value, Vec<String>) {
    let (uri, text) = open_analysed(server, "acme.compel");
    let pos = server.pos(&text, "kpi accuracy", 0, 5);
    server.request("textDocument/hover", tdp(&uri, pos));
    inlay_labels(server, &uri, &text);
    lenses(server, &uri, &text);
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let args = json!({ "uri": uri, "initiative": "scoring_v2", "from": "model", "to": "produce" });
    let r = server
        .request("workspace/executeCommand", json!({ "command": "compel.server.evaluateGate", "arguments": [args] }));
    let logs = server
        .take("window/logMessage")
        .into_iter()
        .chain(server.take("window/showMessage"))
        .map(|m| m["params"]["message"].as_str().unwrap_or("").to_string())
        .collect();
    (r, logs)
}

#[test]
fn a_source_named_by_the_repository_is_never_used_unless_the_user_turns_it_on() {
    let (port, count) = counting_listener();
    // The repository suggests a Prometheus server and a metrics file that
    // would fail loudly if it were ever read (it is a folder).
    let toml = format!("prometheus = \"http://127.0.0.1:{port}\"\nmetrics = [\"loud-metrics.json\"]\n");

    // Nothing turned on.
    let mut server = Server::start("acme", Start::default());
    server.write("compel.toml", &toml);
    std::fs::create_dir(server.root.join("loud-metrics.json")).unwrap();
    let (r, logs) = exercise(&mut server);
    assert!(r["error"].as_str().unwrap().contains("no metrics source in your settings"), "{r}");
    assert!(r["error"].as_str().unwrap().contains("compel.toml suggests one"), "{r}");
    assert!(logs.iter().all(|l| !l.contains("loud-metrics") && !l.contains(&port.to_string())), "{logs:?}");
    drop(server);

    // Turned on, but without a source of the user's: still nothing fetched.
    let options = json!({ "liveValues": { "enabled": true } });
    let mut server = Server::start("acme", Start { options: Some(options), ..Start::default() });
    server.write("compel.toml", &toml);
    std::fs::create_dir(server.root.join("loud-metrics.json")).unwrap();
    let (_, logs) = exercise(&mut server);
    let said = logs.iter().any(|l| l.starts_with("live values: no metrics source in your settings"));
    assert!(said, "{logs:?}");
    assert!(logs.iter().all(|l| !l.contains("loud-metrics") && !l.contains(&port.to_string())), "{logs:?}");
    drop(server);
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0, "no connection was made");

    // The control: when the user does take the project's suggestion, the
    // server is contacted (so the zero above means something).
    let options = json!({ "liveValues": { "enabled": true, "useProjectSource": true } });
    let mut server = Server::start("acme", Start { options: Some(options), ..Start::default() });
    server.write("compel.toml", &format!("prometheus = \"http://127.0.0.1:{port}\"\ntimeout = \"2s\"\n"));
    open_analysed(&mut server, "acme.compel");
    live_log(&mut server);
    assert!(count.load(std::sync::atomic::Ordering::SeqCst) > 0, "the control fetch reached the listener");
}

#[test]
fn live_values_follow_the_settings_as_they_change() {
    let mut server = Server::start("acme", Start::default());
    server.write("live.json", &fresh_metrics());
    let (uri, text) = open_analysed(&mut server, "acme.compel");
    assert!(inlay_labels(&mut server, &uri, &text).iter().all(|l| !l.starts_with(" = ")));
    // Turned on in the settings.
    let on = json!({ "settings": { "compel": { "liveValues": { "enabled": true, "metrics": ["live.json"] } } } });
    server.notify("workspace/didChangeConfiguration", on);
    live_log(&mut server);
    let labels = inlay_labels(&mut server, &uri, &text);
    assert!(labels.iter().any(|l| l.starts_with(" = 95.2% · met")), "{labels:?}");
    // And off again: the values are gone at once.
    let off = json!({ "settings": { "compel": { "liveValues": { "enabled": false } } } });
    server.notify("workspace/didChangeConfiguration", off);
    let labels = inlay_labels(&mut server, &uri, &text);
    assert!(labels.iter().all(|l| !l.starts_with(" = ")), "{labels:?}");
}
