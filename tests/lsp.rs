//! The language server, driven the way an editor drives it: each test
//! starts the real `compel lsp` binary in a copy of a multi-file fixture
//! (`tests/fixtures/lsp/*`) and speaks JSON-RPC to it over stdio
//! (`lsp_support`). Answers are insta snapshots in `tests/snapshots/`,
//! with the workspace and the materialised stdlib folder replaced by
//! `file:///WORKSPACE` and `file:///COMPEL`.
//!
//! Regenerate snapshots with `cargo insta test --accept --test lsp` (or
//! `INSTA_UPDATE=always cargo test --test lsp`) and review them by eye.
//!
//! The latency benchmark is an ignored test:
//! `cargo test --release --test lsp -- --ignored lsp_latency --nocapture`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod lsp_support;

use std::time::{Duration, Instant};

use lsp_support::{apply_edits, position, shutdown, Server, Start};
use serde_json::{json, Value};

fn tdp(uri: &str, pos: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos })
}

/// A range from two positions.
fn range(start: Value, end: Value) -> Value {
    json!({ "start": start, "end": end })
}

/// Completion items as `label · kind · detail` lines, in the order the
/// editor would show them (by sort text).
fn completion_lines(result: &Value) -> Vec<String> {
    let items = result["items"].as_array().cloned().or_else(|| result.as_array().cloned()).unwrap_or_default();
    let mut items: Vec<&Value> = items.iter().collect();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or("").to_string());
    items
        .iter()
        .map(|i| {
            let kind = match i["kind"].as_u64() {
                Some(3) => "function",
                Some(6) => "variable",
                Some(7) => "class",
                Some(9) => "module",
                Some(10) => "property",
                Some(11) => "unit",
                Some(12) => "value",
                Some(14) => "keyword",
                Some(15) => "snippet",
                Some(20) => "enum member",
                Some(21) => "constant",
                Some(22) => "struct",
                Some(8) => "interface",
                _ => "other",
            };
            format!("{} · {kind} · {}", i["label"].as_str().unwrap_or(""), i["detail"].as_str().unwrap_or(""))
        })
        .collect()
}

fn labels(result: &Value) -> Vec<String> {
    completion_lines(result).into_iter().map(|l| l.split(" · ").next().unwrap_or("").to_string()).collect()
}

/// Opens a document and waits for its first diagnostics, so the analysis
/// has seen it.
fn open_analysed(server: &mut Server, rel: &str, text: &str) -> String {
    let uri = server.open_text(rel, text);
    server.diagnostics(&uri, Some(1));
    uri
}

// ---- diagnostics ------------------------------------------------------------

#[test]
fn diagnostics_appear_and_clear_after_a_fix() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    let first = server.diagnostics(&uri, Some(1));
    assert_eq!(first["diagnostics"], json!([]), "the example checks clean");

    // Misspell the sponsor.
    let at = server.pos(&text, "sponsor        dana", 0, 15);
    let end = server.pos(&text, "sponsor        dana", 0, 19);
    server.edit(&uri, 2, range(at, end), "dnaa");
    let broken = server.diagnostics(&uri, Some(2));
    insta::assert_json_snapshot!("diagnostics_misspelt_sponsor", server.normalise(broken));

    // Fix it: the diagnostics clear, for the new version.
    let at = server.pos(&text, "sponsor        dana", 0, 15);
    let end = server.pos(&text, "sponsor        dana", 0, 19);
    server.edit(&uri, 3, range(at, end), "dana");
    let fixed = server.diagnostics(&uri, Some(3));
    assert_eq!(fixed["diagnostics"], json!([]));
}

#[test]
fn diagnostics_carry_related_information_and_a_link() {
    let mut server = Server::start("acme", Start::default());
    // A second `accuracy` in a file that sees the first: a duplicate.
    let text = "import \"acme.compel\"\n\nkpi accuracy {\n  metric \"dup\"\n  target >= 1\n}\n";
    let uri = server.open_text("dup.compel", text);
    let diags = server.diagnostics(&uri, Some(1));
    let d = &diags["diagnostics"][0];
    assert_eq!(d["code"], "E0302", "{diags}");
    let href = d["codeDescription"]["href"].as_str().expect("a link to the explanation");
    let path = href.strip_prefix("file://").expect("a file URI");
    let explanation = std::fs::read_to_string(path).expect("the explanation file exists");
    assert!(explanation.starts_with("# E0302"), "{explanation}");
    insta::assert_json_snapshot!("diagnostics_duplicate_related", server.normalise(diags));
}

#[test]
fn files_that_import_a_changed_file_are_rediagnosed() {
    let mut server = Server::start("acme", Start::default());
    let people = server.open("people.compel");
    let text = server.text("people.compel");
    server.diagnostics(&people, Some(1));
    // acme.compel is not open: it is a workspace file, analysed from disk
    // (clean, so nothing was published for it yet).
    let acme = server.uri("acme.compel");
    let at = server.pos(&text, "person dana", 0, 7);
    let end = server.pos(&text, "person dana", 0, 11);
    server.edit(&people, 2, range(at.clone(), end), "dina");
    let diags = server.diagnostics(&acme, None);
    insta::assert_json_snapshot!("rediagnosed_importer", server.normalise(diags));
    let end = position(
        &text.replacen("person dana", "person dina", 1),
        text.find("person dana").expect("dana") + 11,
        &server.encoding,
    );
    server.edit(&people, 3, range(at, end), "dana");
    let cleared = server.diagnostics(&acme, None);
    assert_eq!(cleared["diagnostics"], json!([]));
}

#[test]
fn imports_stay_inside_the_project_as_in_compel_check() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"../../../etc/passwd\"\nimport \"people.compel\"\n";
    let uri = server.open_text("new.compel", text);
    let diags = server.diagnostics(&uri, Some(1));
    let codes: Vec<&str> =
        diags["diagnostics"].as_array().expect("list").iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["E0203"], "{diags}");
}

// ---- completion -------------------------------------------------------------

#[test]
fn completion_after_sponsor() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"people.compel\"\n\nprogram p {\n  sponsor \n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "sponsor ", 0, 8);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    insta::assert_json_snapshot!("completion_sponsor", completion_lines(&result));
    // The person's card comes when the editor shows the item.
    let dana = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "dana")).cloned().expect("dana");
    assert!(dana.get("documentation").is_none());
    let resolved = server.request("completionItem/resolve", dana);
    let card = resolved["documentation"]["value"].as_str().unwrap_or("");
    assert!(card.contains("role CFO  // Chief Financial Officer"), "{resolved}");
    assert!(card.contains("Chief Financial Officer; sponsors the fraud program."), "{resolved}");
}

#[test]
fn completion_documentation_is_inline_for_clients_that_cannot_resolve() {
    let mut server = Server::start("acme", Start { no_resolve: true, no_snippets: true, ..Start::default() });
    let text = "import \"people.compel\"\n\nprogram p {\n  sponsor \n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "sponsor ", 0, 8);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let dana = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "dana")).cloned().expect("dana");
    assert!(dana["documentation"]["value"].as_str().unwrap_or("").contains("Chief Financial Officer"), "{dana}");
    // Without snippet support, templates arrive as plain text.
    let result = server.request("textDocument/completion", tdp(&uri, json!({ "line": 1, "character": 0 })));
    let kpi = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "kpi")).cloned().expect("kpi");
    assert_eq!(kpi["insertTextFormat"], 1);
    assert_eq!(
        kpi["textEdit"]["newText"],
        "kpi name {\n  metric \"metric_name\"\n  unit   percent\n  target >= 90%\n}"
    );
}

#[test]
fn completion_after_stage() {
    let mut server = Server::start("acme", Start::default());
    let text = "initiative i {\n  owner \"me\"\n  stage \n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "stage ", 0, 6);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    insta::assert_json_snapshot!("completion_stage", completion_lines(&result));
}

#[test]
fn completion_in_a_kpis_list() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"acme.compel\"\n\ninitiative i {\n  owner \"me\"\n  stage model\n  kpis [accuracy, ]\n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "[accuracy, ", 0, 11);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    insta::assert_json_snapshot!("completion_kpis_list", completion_lines(&result));
}

#[test]
fn completion_in_a_criterion() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    // Start a new criterion in the gate: `require la`.
    let at = server.pos(&text, "    require accuracy\n", 0, 0);
    server.edit(&uri, 2, range(at.clone(), at), "    require la\n");
    let now = text.replacen("    require accuracy\n", "    require la\n    require accuracy\n", 1);
    let pos = server.pos(&now, "require la", 0, 10);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let lines = completion_lines(&result);
    // KPIs, the initiative's attributes, built-ins with signatures.
    for want in [
        "latency_p95 · variable",
        "program · property",
        "datasets · property",
        "avg · function · avg(kpi: kpi, window: duration) -> measure",
        "last · function",
    ] {
        assert!(lines.iter().any(|l| l.starts_with(want)), "`{want}` missing from {lines:#?}");
    }
    // After a field access: the attributes of the program.
    let at = server.pos(&now, "require la", 0, 8);
    let end = server.pos(&now, "require la", 0, 10);
    server.edit(&uri, 3, range(at, end), "program.");
    let now = now.replacen("require la", "require program.", 1);
    let pos = server.pos(&now, "require program.", 0, 16);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    insta::assert_json_snapshot!("completion_field_of_program", completion_lines(&result));
    // After a number: units.
    let text2 = "gate model -> produce {\n  require accuracy for 7\n}\n";
    let uri2 = open_analysed(&mut server, "units.compel", text2);
    let pos = server.pos(text2, "for 7", 0, 5);
    let result = server.request("textDocument/completion", tdp(&uri2, pos));
    insta::assert_json_snapshot!("completion_units", completion_lines(&result));
}

#[test]
fn completion_inside_a_half_written_declaration() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    // An initiative being written in the middle of the file: no closing
    // brace, the next declaration follows.
    let marker = "/// Top-1 accuracy on the weekly holdout set.\n";
    let at = server.pos(&text, marker, 0, 0);
    let fresh = "initiative fresh {\n  owner priya\n  \n\n";
    server.edit(&uri, 2, range(at.clone(), at), fresh);
    let now = text.replacen(marker, &format!("{fresh}{marker}"), 1);
    let diags = server.diagnostics(&uri, Some(2));
    assert!(!diags["diagnostics"].as_array().is_none_or(Vec::is_empty), "the half-written block is an error");
    let pos = server.pos(&now, "owner priya\n  ", 0, 14);
    let result = server.request("textDocument/completion", tdp(&uri, pos.clone()));
    insta::assert_json_snapshot!("completion_half_written_members", completion_lines(&result));
    // Type `sponsor ` and complete the value.
    server.edit(&uri, 3, range(pos.clone(), pos), "sponsor ");
    let now = now.replacen("owner priya\n  \n", "owner priya\n  sponsor \n", 1);
    let pos = server.pos(&now, "sponsor \n", 0, 8);
    let result = server.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": pos, "context": { "triggerKind": 2, "triggerCharacter": " " } }),
    );
    assert_eq!(labels(&result), ["dana", "priya"]);
}

#[test]
fn completion_at_top_level_offers_snippets() {
    let mut server = Server::start("acme", Start::default());
    let text = "\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let result = server.request("textDocument/completion", tdp(&uri, json!({ "line": 0, "character": 0 })));
    let kpi = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "kpi")).cloned().expect("kpi");
    insta::assert_json_snapshot!("completion_top_level", (completion_lines(&result), kpi));
}

#[test]
fn the_last_good_analysis_answers_while_the_text_is_broken() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    // Break the header of the `accuracy` declaration (a broken line inside
    // it would not: the declaration would keep its name).
    let at = server.pos(&text, "kpi accuracy {", 0, 12);
    server.edit(&uri, 2, range(at.clone(), at), " x");
    let now = text.replacen("kpi accuracy {", "kpi accuracy x {", 1);
    let diags = server.diagnostics(&uri, Some(2));
    let codes: Vec<&str> =
        diags["diagnostics"].as_array().expect("list").iter().filter_map(|d| d["code"].as_str()).collect();
    // One syntax error; the uses of `accuracy` do not resolve in the current
    // analysis, and are not reported while its header is broken.
    assert_eq!(codes, ["E0101"]);
    // `accuracy` is not declared in the current model, but hover on a use
    // of it still shows its card, from the last analysis that parsed.
    let pos = server.pos(&now, "require accuracy", 0, 10);
    let hover = server.request("textDocument/hover", tdp(&uri, pos.clone()));
    assert!(
        hover["contents"]["value"].as_str().unwrap_or("").contains("Top-1 accuracy on the weekly holdout set."),
        "{hover}"
    );
    let def = server.request("textDocument/definition", tdp(&uri, pos));
    assert_eq!(def["range"]["start"], server.pos(&now, "kpi accuracy", 0, 4), "{def}");
    // And completion in a KPI list still offers it.
    let pos = server.pos(&now, "kpis           [", 0, 16);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    assert!(labels(&result).contains(&"accuracy".to_string()), "{:?}", labels(&result));
}

#[test]
fn typing_a_declaration_one_character_at_a_time() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let mut text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    // Every keystroke is an incremental change at the cursor, in UTF-16
    // positions; the emoji and the accent move the columns of what follows.
    let typed = "\n/// Owned by Priya Ramán 🚀.\nkpi uptime {\n  metric \"up 😀\"\n  target >= 99%\n}\n";
    let mut version = 1;
    let mut at = text.len();
    for c in typed.chars() {
        version += 1;
        let pos = position(&text, at, &server.encoding);
        server.edit(&uri, version, range(pos.clone(), pos), &c.to_string());
        text.insert(at, c);
        at += c.len_utf8();
    }
    let diags = server.diagnostics(&uri, Some(version));
    assert_eq!(diags["diagnostics"], json!([]), "{diags}");
    let pos = server.pos(&text, "kpi uptime", 0, 5);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("Owned by Priya Ramán 🚀."), "{hover}");
    // The server's text is the client's: formatting it round-trips.
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let formatted = apply_edits(&text, edits.as_array().expect("edits"), &server.encoding);
    assert_eq!(Ok(formatted), compel::fmt::format_source(&text).map_err(|_| ()));
}

/// Re-types lines of the example one keystroke at a time, waiting for the
/// diagnostics of every version: each one lies on the line being typed or
/// on the header of the declaration holding it, and the other file stays
/// clean (no `unknown program fraud_ai` anywhere while `sponsor` is typed).
#[test]
fn retyping_a_line_keeps_its_errors_on_that_line() {
    let mut server = Server::start("acme", Start { options: Some(json!({ "debounceMs": 0 })), ..Start::default() });
    let uri = server.open("acme.compel");
    let people = server.open("people.compel");
    let mut text = server.text("acme.compel");
    assert_eq!(server.diagnostics(&uri, Some(1))["diagnostics"], json!([]));
    server.diagnostics(&people, Some(1));
    // (line to re-type, the header of the declaration holding it)
    let lines = [
        ("  sponsor        dana", "program fraud_ai {"),
        ("  target  >= 92%", "kpi accuracy {"),
        ("  kpis           [accuracy, latency_p95, feature_psi]", "initiative scoring_v2 {"),
        ("    require avg(feature_psi, 7d) < 0.15", "  gate model -> produce {"),
        ("  dataset transactions {", "  dataset transactions {"),
    ];
    let line_of = |text: &str, needle: &str| text[..text.find(needle).expect("in text")].matches('\n').count();
    let mut version = 1;
    for (line, header) in lines {
        let start = text.find(line).expect("line in text");
        let indent = line.len() - line.trim_start().len();
        let (at_line, at_header) = (line_of(&text, line), line_of(&text, header));
        // Clear the line after its indent, then type it again.
        version += 1;
        let (from, to) =
            (position(&text, start + indent, &server.encoding), position(&text, start + line.len(), &server.encoding));
        server.edit(&uri, version, range(from, to), "");
        text.replace_range(start + indent..start + line.len(), "");
        let mut last = server.diagnostics(&uri, Some(version));
        for (k, c) in line[indent..].char_indices() {
            version += 1;
            let at = start + indent + k;
            let pos = position(&text, at, &server.encoding);
            server.edit(&uri, version, range(pos.clone(), pos), &c.to_string());
            text.insert(at, c);
            last = server.diagnostics(&uri, Some(version));
            for d in last["diagnostics"].as_array().expect("list") {
                let l = d["range"]["start"]["line"].as_u64().expect("line") as usize;
                assert!(
                    l == at_line || l == at_header,
                    "typing {:?} puts {} on line {}",
                    &line[..indent + k + c.len_utf8()],
                    d["message"],
                    l + 1
                );
            }
        }
        assert_eq!(last["diagnostics"], json!([]), "{line} re-typed");
        for published in server.take("textDocument/publishDiagnostics") {
            if published["params"]["uri"] == people.as_str() {
                assert_eq!(published["params"]["diagnostics"], json!([]), "people.compel while typing {line}");
            }
        }
    }
}

// ---- hover, definition, references, rename -------------------------------------

#[test]
fn hover_on_a_kpi_shows_its_doc_comment() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "require accuracy", 0, 10);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("Top-1 accuracy on the weekly holdout set."));
    insta::assert_json_snapshot!("hover_kpi", hover);
    // A built-in's docs come from the stdlib.
    let pos = server.pos(&text, "avg(", 0, 1);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    insta::assert_json_snapshot!("hover_builtin", hover);
    // An expression: its type.
    let pos = server.pos(&text, "today + 90d", 0, 6);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    insta::assert_json_snapshot!("hover_expression", hover);
}

#[test]
fn definition_of_a_person_in_another_file() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "sponsor        dana", 0, 16);
    let def = server.request("textDocument/definition", tdp(&uri, pos));
    insta::assert_json_snapshot!("definition_person", server.normalise(def));
}

#[test]
fn definition_into_the_stdlib() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "avg(", 0, 0);
    let def = server.request("textDocument/definition", tdp(&uri, pos));
    let target = def["uri"].as_str().expect("a location");
    let on_disk =
        std::fs::read_to_string(target.strip_prefix("file://").expect("file URI")).expect("materialised stdlib");
    let line = def["range"]["start"]["line"].as_u64().expect("line") as usize;
    assert!(on_disk.lines().nth(line).unwrap_or("").starts_with("builtin avg("), "{def}");
    insta::assert_json_snapshot!("definition_stdlib", server.normalise(def.clone()));
    // Opening the stdlib file: hover works there too, and it is not a
    // second copy of the stdlib (no duplicate-name errors).
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": target, "languageId": "compel", "version": 1, "text": on_disk } }),
    );
    let pos = position(&on_disk, on_disk.find("builtin avg").expect("avg") + 8, &server.encoding);
    let hover = server.request("textDocument/hover", tdp(target, pos));
    assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("The mean of"), "{hover}");
    // A request that waits for the analysis of the current state.
    let calibrate = server.request("workspace/symbol", json!({ "query": "calibrate" }));
    assert_eq!(calibrate.as_array().map(Vec::len), Some(1), "{calibrate}");
    for published in server.take("textDocument/publishDiagnostics") {
        assert_eq!(published["params"]["diagnostics"], json!([]), "{published}");
    }
}

#[test]
fn references_and_rename_of_a_kpi_used_in_three_places() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "kpi accuracy", 0, 5);
    let refs = server.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": pos, "context": { "includeDeclaration": true } }),
    );
    // The declaration, `kpis [...]`, `require accuracy` and the test file.
    assert_eq!(refs.as_array().map(Vec::len), Some(4), "{refs}");
    insta::assert_json_snapshot!("references_kpi", server.normalise(refs));

    let prepared = server.request("textDocument/prepareRename", tdp(&uri, pos.clone()));
    insta::assert_json_snapshot!("prepare_rename_kpi", prepared);
    let edit = server.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": pos, "newName": "top1_accuracy" }),
    );
    let edit = server.normalise(edit);
    let mut files: Vec<(&String, &Value)> = edit["changes"].as_object().expect("changes").iter().collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    insta::assert_json_snapshot!("rename_kpi", files);

    // Applying the edits gives files that still check clean.
    let changes = edit["changes"].as_object().expect("changes");
    let acme_edits = changes["file:///WORKSPACE/acme.compel"].as_array().expect("acme edits");
    let renamed = apply_edits(&text, acme_edits, &server.encoding);
    assert_eq!(renamed.matches("top1_accuracy").count(), 3);
    assert!(!renamed.contains(" accuracy\n"));

    // Refusals: a clash, a keyword, not a name, a built-in.
    let mut refusals = Vec::new();
    for name in ["latency_p95", "CFO", "program", "require", "9lives"] {
        let r = server
            .call("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": pos, "newName": name }));
        refusals.push((name, r["error"]["message"].clone()));
    }
    let avg = server.pos(&text, "avg(", 0, 1);
    let r = server.call("textDocument/prepareRename", tdp(&uri, avg));
    refusals.push(("avg (prepare)", r["error"]["message"].clone()));
    insta::assert_json_snapshot!("rename_refusals", refusals);
}

#[test]
fn the_quick_fix_for_a_misspelt_kpi() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    let at = server.pos(&text, "require accuracy", 0, 8);
    let end = server.pos(&text, "require accuracy", 0, 16);
    server.edit(&uri, 2, range(at.clone(), end), "acuracy");
    let now = text.replacen("require accuracy", "require acuracy", 1);
    let diags = server.diagnostics(&uri, Some(2));
    let d = diags["diagnostics"][0].clone();
    assert_eq!(d["code"], "E0301", "{diags}");
    let actions = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": d["range"],
            "context": { "diagnostics": [d] }
        }),
    );
    let actions = server.normalise(actions);
    insta::assert_json_snapshot!("quick_fix_misspelt_kpi", actions);
    // Applying it fixes the file.
    let edits = actions[0]["edit"]["changes"]["file:///WORKSPACE/acme.compel"].as_array().expect("edits").clone();
    let fixed = apply_edits(&now, &edits, &server.encoding);
    assert_eq!(fixed, text);
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": fixed }] }),
    );
    assert_eq!(server.diagnostics(&uri, Some(3))["diagnostics"], json!([]));
}

#[test]
fn code_action_adds_a_missing_required_attribute() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"people.compel\"\n\nperson sam {\n  name \"Sam\"\n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "sam", 0, 1);
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(pos.clone(), pos), "context": { "diagnostics": [] } }),
    );
    let actions = server.normalise(actions);
    assert_eq!(actions[0]["title"], "add `role`", "{actions}");
    let edits = actions[0]["edit"]["changes"]["file:///WORKSPACE/new.compel"].as_array().expect("edits").clone();
    assert_eq!(
        apply_edits(text, &edits, &server.encoding),
        "import \"people.compel\"\n\nperson sam {\n  name \"Sam\"\n  role manager\n}\n"
    );
}

// ---- positions: UTF-16 and UTF-8 ----------------------------------------------------

fn emoji_line_checks(server: &mut Server) {
    let uri = server.open("main.compel");
    let text = server.text("main.compel");
    assert_eq!(server.diagnostics(&uri, Some(1))["diagnostics"], json!([]));
    // `accuracy` after emoji on the same line.
    let needle = "or accuracy";
    let start = server.pos(&text, needle, 0, 3);
    let end = server.pos(&text, needle, 0, 11);
    let hover = server.request("textDocument/hover", tdp(&uri, start.clone()));
    assert_eq!(hover["range"], range(start.clone(), end.clone()), "hover range on the emoji line");
    assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("Top-1 accuracy 🎯"));
    let def = server.request("textDocument/definition", tdp(&uri, end.clone()));
    assert_eq!(def["range"]["start"], server.pos(&text, "kpi accuracy", 0, 4));
    // A misspelling there: the diagnostic's range is exactly the word.
    server.edit(&uri, 2, range(start.clone(), end), "acuracy");
    let diags = server.diagnostics(&uri, Some(2));
    let now = text.replacen("or accuracy", "or acuracy", 1);
    let expected = range(server.pos(&now, "or acuracy", 0, 3), server.pos(&now, "or acuracy", 0, 10));
    assert_eq!(diags["diagnostics"][0]["range"], expected, "{diags}");
    // Completion on that line replaces exactly the word typed.
    let pos = server.pos(&now, "or acuracy", 0, 6);
    let result = server.request("textDocument/completion", tdp(&uri, pos.clone()));
    let acc = result["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["label"] == "accuracy"))
        .cloned()
        .expect("accuracy");
    assert_eq!(acc["textEdit"]["range"], range(server.pos(&now, "or acuracy", 0, 3), pos));
    // Semantic tokens on the emoji line are in the right columns.
    let toks = server.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    let decoded = decode_tokens(&toks["data"]);
    let line = now[..now.find("or acuracy").expect("line")].matches('\n').count() as u64;
    let title = server.pos(&now, "title != ", 0, 0);
    assert!(
        decoded.iter().any(|t| t.0 == line && t.1 == title["character"].as_u64().expect("col") && t.2 == 5),
        "{decoded:?}"
    );
}

#[test]
fn a_line_with_emoji_before_a_reference_in_utf16() {
    let mut server = Server::start("unicode", Start::default());
    assert_eq!(server.encoding, "utf-16");
    emoji_line_checks(&mut server);
}

#[test]
fn utf8_is_negotiated_when_the_client_offers_it() {
    let mut server = Server::start("unicode", Start { encodings: Some(&["utf-8", "utf-16"]), ..Start::default() });
    assert_eq!(server.encoding, "utf-8");
    emoji_line_checks(&mut server);
}

/// Decodes semantic tokens into absolute `(line, column, length, type)`.
fn decode_tokens(data: &Value) -> Vec<(u64, u64, u64, u64)> {
    let nums: Vec<u64> = data.as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    let mut out = Vec::new();
    let (mut line, mut col) = (0, 0);
    for t in nums.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            col = t[1];
        } else {
            col += t[1];
        }
        out.push((line, col, t[2], t[3]));
    }
    out
}

// ---- symbols, tokens, folding, formatting, signature help ----------------------------

#[test]
fn outline_symbols_tokens_and_folding() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    server.diagnostics(&uri, Some(1));
    let outline = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    insta::assert_json_snapshot!("document_symbols", outline);
    let found = server.request("workspace/symbol", json!({ "query": "acc" }));
    insta::assert_json_snapshot!("workspace_symbols", server.normalise(found));
    let folds = server.request("textDocument/foldingRange", json!({ "textDocument": { "uri": uri } }));
    insta::assert_json_snapshot!("folding_ranges", folds);
    let people = server.open("people.compel");
    let text = server.text("people.compel");
    let toks = server.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": people } }));
    let legend = [
        "keyword",
        "type",
        "property",
        "namespace",
        "class",
        "variable",
        "struct",
        "event",
        "enumMember",
        "interface",
        "function",
        "parameter",
        "string",
        "number",
        "comment",
        "operator",
    ];
    let lines: Vec<&str> = text.lines().collect();
    let readable: Vec<String> = decode_tokens(&toks["data"])
        .into_iter()
        .map(|(l, c, len, ty)| {
            let line: Vec<u16> = lines[l as usize].encode_utf16().collect();
            let word = String::from_utf16_lossy(&line[c as usize..(c + len) as usize]);
            format!("{l}:{c} {word:?} {}", legend[ty as usize])
        })
        .collect();
    insta::assert_json_snapshot!("semantic_tokens_people", readable);
}

#[test]
fn signature_help_for_builtins() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"acme.compel\"\n\ngate model -> produce {\n  require p95(latency_p95, 7d) < 300ms\n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "7d)", 0, 0);
    let help = server.request("textDocument/signatureHelp", tdp(&uri, pos));
    insta::assert_json_snapshot!("signature_help", help);
}

#[test]
fn formatting_uses_the_formatter() {
    let mut server = Server::start("acme", Start::default());
    let text = "kpi  k {\nmetric   \"m\"\n     target >= 1\n}\n";
    let uri = open_analysed(&mut server, "messy.compel", text);
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().cloned().expect("edits");
    assert!(!edits.is_empty());
    let formatted = apply_edits(text, &edits, &server.encoding);
    assert_eq!(Ok(formatted.clone()), compel::fmt::format_source(text).map_err(|_| ()));
    // A file with a syntax error is left alone.
    let broken = "kpi k {\n  target >=\n";
    let uri = open_analysed(&mut server, "broken.compel", broken);
    let none = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert!(none.is_null() || none == json!([]), "{none}");
}

// ---- robustness -------------------------------------------------------------------

#[test]
fn odd_requests_are_answered_and_the_server_shuts_down_cleanly() {
    let mut server = Server::start("acme", Start::default());
    // A document the server does not know.
    let unknown = server.uri("nowhere.compel");
    let r = server.request("textDocument/hover", tdp(&unknown, json!({ "line": 0, "character": 0 })));
    assert!(r.is_null());
    // Positions far past the end of a line and of the text.
    let uri = server.open("acme.compel");
    server.diagnostics(&uri, Some(1));
    for pos in [json!({ "line": 3, "character": 999 }), json!({ "line": 9999, "character": 3 })] {
        server.request("textDocument/hover", tdp(&uri, pos.clone()));
        server.request("textDocument/completion", tdp(&uri, pos.clone()));
        server.request("textDocument/signatureHelp", tdp(&uri, pos.clone()));
        server.request("textDocument/definition", tdp(&uri, pos));
    }
    // A cancelled request answers with the result or "cancelled", never
    // both, never a crash.
    let pos = json!({ "line": 60, "character": 20 });
    let id = server.start_request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": pos, "context": { "includeDeclaration": true } }),
    );
    server.notify("$/cancelRequest", json!({ "id": id }));
    let answer = server.response(id);
    assert!(answer.get("result").is_some() || answer["error"]["code"] == -32800, "{answer}");
    // Malformed parameters: an error, and the server keeps going.
    let bad = server.call("textDocument/hover", json!({ "nonsense": true }));
    assert!(bad.get("error").is_some(), "{bad}");
    let text = server.text("acme.compel");
    let pos = server.pos(&text, "require accuracy", 0, 10);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    assert!(!hover.is_null());
    assert_eq!(shutdown(server), Some(0));
}

/// A small deterministic generator (xorshift), so the storm is the same on
/// every run.
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

#[test]
fn storm_of_random_edits_then_a_hover_is_answered() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let original = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    let snippets = [
        "{", "}", "\"", "😀", "é", "\n", "kpi x {", "require ", "accuracy", "[", "]", "(", ")", "//", "->", " ",
        "\r\n", "",
    ];
    let mut rng = Rng(0x5eed_c0de_1234_5678);
    let mut version = 1;
    for _ in 0..400 {
        version += 1;
        let lines = 90;
        let start = json!({ "line": rng.below(lines), "character": rng.below(60) });
        let end = json!({ "line": rng.below(lines), "character": rng.below(60) });
        let text = snippets[rng.below(snippets.len() as u64) as usize];
        server.edit(&uri, version, range(start, end), text);
        if rng.below(10) == 0 {
            // Requests in the middle of the storm, at random places.
            let pos = json!({ "line": rng.below(lines), "character": rng.below(80) });
            server.request("textDocument/completion", tdp(&uri, pos.clone()));
            server.request("textDocument/hover", tdp(&uri, pos));
        }
    }
    // Reset the text with a full change; the server must still be sane.
    version += 1;
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": original }] }),
    );
    let diags = server.diagnostics(&uri, Some(version));
    assert_eq!(diags["diagnostics"], json!([]));
    let pos = server.pos(&original, "require accuracy", 0, 10);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("Top-1 accuracy"), "{hover}");
}

// ---- cancellation ------------------------------------------------------------------

#[test]
fn a_cancelled_request_answers_request_cancelled() {
    // A long quiet period keeps the analysis of the edit from finishing, so
    // `references` (which waits for the analysis of the current text) is
    // still pending when the cancellation arrives.
    let mut server = Server::start("acme", Start { options: Some(json!({ "debounceMs": 5000 })), ..Start::default() });
    let text = server.text("acme.compel");
    let uri = server.open("acme.compel");
    let at = server.pos(&text, "kpi accuracy", 0, 4);
    server.edit(&uri, 2, range(at.clone(), at.clone()), "x");
    let started = Instant::now();
    let id = server.start_request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": at, "context": { "includeDeclaration": true } }),
    );
    server.notify("$/cancelRequest", json!({ "id": id }));
    let answer = server.response(id);
    assert_eq!(answer["error"]["code"], -32800, "{answer}");
    assert!(answer.get("result").is_none(), "{answer}");
    // Answered before the edit's analysis could even start (5 s of quiet):
    // the cancellation was honoured at once, not once the analysis ran.
    assert!(started.elapsed() < Duration::from_millis(4_500), "answered only after {:?}", started.elapsed());
    // The server goes on answering (from the text: nothing is analysed yet).
    let folds = server.request("textDocument/foldingRange", json!({ "textDocument": { "uri": uri } }));
    assert!(folds.as_array().is_some_and(|f| !f.is_empty()), "{folds}");
}

// ---- the workspace model: open buffers over files on disk ---------------------------

#[test]
fn closing_a_buffer_makes_diagnostics_follow_the_disk_again() {
    let mut server = Server::start("acme", Start::default());
    let disk = server.text("acme.compel");
    // The buffer misspells the sponsor; the file on disk does not.
    let buffer = disk.replacen("sponsor        dana", "sponsor        dnaa", 1);
    let uri = server.open_text("acme.compel", &buffer);
    let open = server.diagnostics(&uri, Some(1));
    let codes: Vec<&str> =
        open["diagnostics"].as_array().expect("list").iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["E0301"], "{open}");
    server.close(&uri);
    let closed = server.diagnostics(&uri, None);
    assert_eq!(closed["diagnostics"], json!([]), "{closed}");
    assert!(closed["version"].is_null(), "a closed file has no version: {closed}");

    // And the other way round: a clean buffer over a broken file.
    let broken = disk.replacen("sponsor        dana", "sponsor        dona", 1);
    server.write("acme.compel", &broken);
    server.files_changed(&[(&uri, 2)]);
    let from_disk = server.diagnostics(&uri, None);
    assert!(from_disk["diagnostics"][0]["message"].as_str().unwrap_or("").contains("`dona`"), "{from_disk}");
    server.open_text("acme.compel", &disk);
    assert_eq!(server.diagnostics(&uri, Some(1))["diagnostics"], json!([]));
    server.close(&uri);
    let again = server.diagnostics(&uri, None);
    assert!(again["diagnostics"][0]["message"].as_str().unwrap_or("").contains("`dona`"), "{again}");
}

#[test]
fn a_closed_import_changed_on_disk_rediagnoses_the_open_importer() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    assert_eq!(server.diagnostics(&uri, Some(1))["diagnostics"], json!([]));
    // people.compel is not open; another program renames `dana` on disk.
    let people = server.text("people.compel");
    server.write("people.compel", &people.replacen("person dana", "person dina", 1));
    let people_uri = server.uri("people.compel");
    server.files_changed(&[(&people_uri, 2)]);
    // The publish that read the renamed file (one from before it, read
    // while the file was being written, may come first).
    let renamed = |m: &Value| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"].to_string().contains("did you mean `dina`")
    };
    let diags = server.wait_for("diagnostics naming the renamed person", renamed)["params"].clone();
    assert_eq!(diags["version"], 1, "{diags}");
    let found: Vec<(&str, &str)> = diags["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| (d["code"].as_str().unwrap_or(""), d["message"].as_str().unwrap_or("")))
        .collect();
    assert!(found.contains(&("E0301", "unknown person `dana`\nhelp: did you mean `dina`?")), "{diags}");
    // Deleting it: the import itself no longer resolves.
    std::fs::remove_file(server.root.join("people.compel")).expect("delete");
    server.files_changed(&[(&people_uri, 3)]);
    let diags = server.wait_for("diagnostics naming the missing import", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"].to_string().contains("people.compel")
    });
    assert_eq!(diags["params"]["version"], 1, "{diags}");
    // Restoring it clears everything.
    server.write("people.compel", &people);
    server.files_changed(&[(&people_uri, 1)]);
    let diags = server.wait_for("clean diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"] == json!([])
    });
    assert_eq!(diags["params"]["version"], 1, "{diags}");
}

// ---- the same diagnostics as `compel check` -----------------------------------------

/// Converts a 1-based line and character column of `compel check --format
/// json` into an LSP position in `encoding`.
fn check_position(text: &str, line: u64, column: u64, encoding: &str) -> Value {
    let line_text = text.lines().nth(line as usize - 1).unwrap_or("");
    let before: String = line_text.chars().take(column as usize - 1).collect();
    let character: usize = match encoding {
        "utf-8" => before.len(),
        _ => before.chars().map(char::len_utf16).sum(),
    };
    json!({ "line": line - 1, "character": character })
}

fn same_diagnostics_as_compel_check(encodings: Option<&[&str]>) {
    let mut server = Server::start("errors", Start { encodings, ..Start::default() });
    let text = server.text("many.compel");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(["check", "--format", "json", "many.compel"])
        .current_dir(&server.root)
        .output()
        .expect("run compel check");
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let expected: Vec<Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            assert_eq!(d["file"], "many.compel", "{d}");
            let mut message = d["message"].as_str().expect("message").to_string();
            if let Some(help) = d["help"].as_str() {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let severity = match d["severity"].as_str() {
                Some("error") => 1,
                Some("warning") => 2,
                _ => 3,
            };
            json!({
                "code": d["code"],
                "severity": severity,
                "message": message,
                "range": range(
                    check_position(&text, d["line"].as_u64().expect("line"), d["column"].as_u64().expect("column"), &server.encoding),
                    check_position(&text, d["end_line"].as_u64().expect("line"), d["end_column"].as_u64().expect("column"), &server.encoding),
                ),
            })
        })
        .collect();
    assert!(expected.len() >= 6, "the fixture has many errors: {report}");
    let uri = server.open("many.compel");
    let published = server.diagnostics(&uri, Some(1));
    let got: Vec<Value> = published["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| json!({ "code": d["code"], "severity": d["severity"], "message": d["message"], "range": d["range"] }))
        .collect();
    assert_eq!(got, expected, "{}", server.encoding);
    // The line with emoji before the error moves the UTF-16 column.
    let emoji = got
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.starts_with("unknown name `screnning`")))
        .expect("the emoji line");
    assert_eq!(emoji["range"]["start"], server.pos(&text, "or screnning", 0, 3));
}

#[test]
fn the_same_diagnostics_as_compel_check() {
    same_diagnostics_as_compel_check(None);
    same_diagnostics_as_compel_check(Some(&["utf-8"]));
}

#[test]
fn a_unit_mismatch_points_at_the_other_side() {
    let mut server = Server::start("acme", Start::default());
    let text = server.text("acme.compel");
    let uri = server.open("acme.compel");
    server.diagnostics(&uri, Some(1));
    let at = server.pos(&text, "require accuracy\n", 0, 16);
    server.edit(&uri, 2, range(at.clone(), at), " > 300ms");
    let now = text.replacen("require accuracy\n", "require accuracy > 300ms\n", 1);
    let diags = server.diagnostics(&uri, Some(2));
    let d = &diags["diagnostics"][0];
    assert_eq!(d["code"], "E0501", "{diags}");
    assert_eq!(
        d["range"],
        range(server.pos(&now, "accuracy > 300ms", 0, 0), server.pos(&now, "accuracy > 300ms", 0, 16))
    );
    let related = d["relatedInformation"].as_array().expect("related information");
    let side = |needle: &str, len: usize| {
        let start = server.pos(&now, needle, 0, 0);
        let end = server.pos(&now, needle, 0, len);
        related
            .iter()
            .find(|r| {
                r["location"]["uri"] == uri.as_str() && r["location"]["range"] == range(start.clone(), end.clone())
            })
            .map(|r| r["message"].clone())
    };
    assert_eq!(side("300ms\n", 5), Some(json!("this is a duration")), "{d}");
    assert_eq!(side("accuracy > 300ms", 8), Some(json!("this is a number")), "{d}");
    let href = d["codeDescription"]["href"].as_str().expect("a link to the explanation");
    let explanation = std::fs::read_to_string(href.strip_prefix("file://").expect("file URI")).expect("explanation");
    assert!(explanation.starts_with("# E0501"), "{explanation}");
    insta::assert_json_snapshot!("diagnostics_unit_mismatch_related", server.normalise(diags));

    // A KPI whose target does not fit its unit: the unit is the other side.
    let kpi = "kpi slow {\n  metric \"m\"\n  unit   percent\n  target <= 250ms\n}\n";
    let kuri = open_analysed_diags(&mut server, "slow.compel", kpi);
    let d = &kuri["diagnostics"][0];
    assert_eq!(d["code"], "E0501", "{kuri}");
    let unit = range(server.pos(kpi, "percent", 0, 0), server.pos(kpi, "percent", 0, 7));
    assert_eq!(d["relatedInformation"][0]["location"]["range"], unit, "{kuri}");
    assert!(d["codeDescription"]["href"].as_str().is_some_and(|h| h.ends_with("E0501.md")), "{d}");
}

/// Opens a document and returns its first diagnostics.
fn open_analysed_diags(server: &mut Server, rel: &str, text: &str) -> Value {
    let uri = server.open_text(rel, text);
    server.diagnostics(&uri, Some(1))
}

// ---- completion of values and units --------------------------------------------------

#[test]
fn completion_after_program_offers_programs_only() {
    let mut server = Server::start("acme", Start::default());
    let text = "import \"acme.compel\"\n\ninitiative i {\n  owner \"me\"\n  program \n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "program ", 0, 8);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    assert_eq!(completion_lines(&result), ["fraud_ai · module · program · Fraud AI"], "no people, no KPIs");
}

#[test]
fn completion_after_role_offers_the_roles() {
    let mut server = Server::start("acme", Start::default());
    let text = "person sam {\n  name \"Sam\"\n  role \n}\n";
    let uri = open_analysed(&mut server, "new.compel", text);
    let pos = server.pos(text, "role ", 0, 5);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let lines = completion_lines(&result);
    assert!(lines.iter().all(|l| l.contains(" · enum member · ")), "{lines:#?}");
    for want in ["CFO", "CEO", "director", "manager"] {
        assert!(labels(&result).iter().any(|l| l == want), "`{want}` missing from {lines:#?}");
    }
    insta::assert_json_snapshot!("completion_role", lines);
}

#[test]
fn completion_of_units_after_a_number_in_a_kpi() {
    let mut server = Server::start("acme", Start::default());
    // A percent KPI's target: `%` first, and no currencies.
    let text = "kpi k {\n  metric \"m\"\n  unit   percent\n  target >= 92\n}\n";
    let uri = open_analysed(&mut server, "pct.compel", text);
    let pos = server.pos(text, ">= 92", 0, 5);
    let result = server.request("textDocument/completion", tdp(&uri, pos.clone()));
    let got = labels(&result);
    assert_eq!(got.first().map(String::as_str), Some("%"), "{got:?}");
    assert!(!got.contains(&"USD".to_string()), "{got:?}");
    insta::assert_json_snapshot!("completion_units_kpi_target", completion_lines(&result));
    // The unit replaces nothing of the number: it goes right after it.
    let pct = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "%")).cloned().expect("%");
    assert_eq!(pct["textEdit"]["range"], range(pos.clone(), pos));

    // A KPI counted in money: currencies, after a space.
    let text = "kpi cost {\n  metric \"c\"\n  unit   EUR\n  target <= 5000\n}\n";
    let uri = open_analysed(&mut server, "money.compel", text);
    let pos = server.pos(text, "<= 5000", 0, 7);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let got = labels(&result);
    assert_eq!(got.first().map(String::as_str), Some("EUR"), "the KPI's own currency first: {got:?}");
    assert!(got.contains(&"USD".to_string()) && !got.contains(&"%".to_string()), "{got:?}");
    let eur = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "EUR")).cloned().expect("EUR");
    let applied = apply_edits(text, &[eur["textEdit"].clone()], &server.encoding);
    assert!(applied.contains("target <= 5000 EUR\n"), "{applied}");

    // A program's budget is money.
    let text = "program p {\n  sponsor \"x\"\n  budget 1_200_000\n}\n";
    let uri = open_analysed(&mut server, "budget.compel", text);
    let pos = server.pos(text, "1_200_000", 0, 9);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let got = labels(&result);
    assert!(got.contains(&"USD".to_string()) && !got.contains(&"%".to_string()), "{got:?}");
    let usd = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "USD")).cloned().expect("USD");
    let applied = apply_edits(text, &[usd["textEdit"].clone()], &server.encoding);
    assert!(applied.contains("budget 1_200_000 USD\n"), "{applied}");
}

// ---- hover on people and expressions ------------------------------------------------

#[test]
fn hover_on_a_person_and_on_an_expression() {
    let mut server = Server::start("acme", Start::default());
    let uri = server.open("acme.compel");
    let text = server.text("acme.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "sponsor        dana", 0, 16);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let value = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(value.contains("Dana Whitfield"), "{hover}");
    assert!(value.contains("CFO"), "{hover}");
    insta::assert_json_snapshot!("hover_person", hover);
    // `avg(feature_psi, 7d)` inside a criterion: a number.
    let pos = server.pos(&text, "avg(feature_psi, 7d)", 0, 19);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    insta::assert_json_snapshot!("hover_avg_expression", hover);
    // On a percent KPI, the unit is part of the answer.
    let edited = text.replacen("require avg(feature_psi, 7d) < 0.15", "require avg(accuracy, 7d) > 90%", 1);
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": edited }] }),
    );
    assert_eq!(server.diagnostics(&uri, Some(2))["diagnostics"], json!([]));
    let pos = server.pos(&edited, "avg(accuracy, 7d)", 0, 16);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let value = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(value.starts_with("```compel\navg(accuracy, 7d)\n```\n"), "the whole call: {hover}");
    assert!(value.contains("a number in `percent`"), "type and unit: {hover}");
    insta::assert_json_snapshot!("hover_avg_percent", hover);
}

// ---- debounce ------------------------------------------------------------------------

#[test]
fn a_burst_of_edits_publishes_the_last_version_only() {
    let debounce = 300;
    let mut server =
        Server::start("acme", Start { options: Some(json!({ "debounceMs": debounce })), ..Start::default() });
    let uri = server.open("acme.compel");
    let mut text = server.text("acme.compel");
    assert_eq!(server.diagnostics(&uri, Some(1))["diagnostics"], json!([]));
    // Type a KPI at the end, one character per change: every state but the
    // last is broken, so a stale publication would carry errors.
    let typed = "\nkpi typed {\n  metric \"t\"\n  target >= 1\n}\n";
    let mut version = 1;
    for c in typed.chars() {
        version += 1;
        let pos = position(&text, text.len(), &server.encoding);
        server.edit(&uri, version, range(pos.clone(), pos), &c.to_string());
        text.push(c);
    }
    let last = server.diagnostics(&uri, Some(version));
    assert_eq!(last["diagnostics"], json!([]), "{last}");
    // Give a stale analysis every chance to arrive late.
    std::thread::sleep(Duration::from_millis(3 * debounce));
    let request = server.request("workspace/symbol", json!({ "query": "typed" }));
    assert_eq!(request.as_array().map(Vec::len), Some(1), "{request}");
    for published in server.take("textDocument/publishDiagnostics") {
        if published["params"]["uri"] == uri.as_str() {
            assert_eq!(published["params"]["version"], version, "a stale publication: {published}");
        }
    }
}

// ---- latency ----------------------------------------------------------------------

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
#[ignore = "a benchmark: cargo test --release --test lsp -- --ignored lsp_latency --nocapture"]
fn lsp_latency() {
    // As configured by default (the adaptive quiet period: none after a
    // fast analysis), then with a fixed 10 ms quiet period, as before it
    // adapted. Times are printed for bench/run.sh, never asserted.
    latency_run(None);
    latency_run(Some(10));
    // Another build (`COMPEL_LSP_BASELINE=path/to/compel`) against this one,
    // on the same document and edits, interleaved edit by edit.
    if let Some(baseline) = std::env::var_os("COMPEL_LSP_BASELINE").filter(|p| !p.is_empty()) {
        let baseline = std::path::PathBuf::from(baseline);
        against_baseline(&baseline, None);
        against_baseline(&baseline, Some(0));
    }
}

/// Change to diagnostics of this build and of `baseline`, each server
/// given the same edit in turn (who goes first alternates), so a noisy
/// neighbour slows both alike. `debounce_ms`: `None` runs each as it is
/// configured by default.
fn against_baseline(baseline: &std::path::Path, debounce_ms: Option<u64>) {
    let options = debounce_ms.map(|ms| json!({ "debounceMs": ms }));
    let text = lsp_support::document::generate(10_000);
    let line_count = text.matches('\n').count();
    let mut servers: Vec<(String, Server, String)> = Vec::new();
    for binary in [None, Some(baseline.to_path_buf())] {
        let name = binary.as_ref().map_or("this build".to_string(), |b| format!("baseline {}", b.display()));
        let mut server = Server::start("", Start { options: options.clone(), binary, ..Start::default() });
        let uri = server.open_text("big.compel", &text);
        server.diagnostics(&uri, Some(1));
        servers.push((name, server, uri));
    }
    let needle = "target  >= 92%";
    let middle = text.len() / 2;
    let at = middle + text[middle..].find(needle).expect("a target") + 12;
    let between = middle + text[middle..].find("\n\n/// KPI number").expect("a KPI") + 1;
    let added = "\n/// Added.\nperson pat {\n  name \"Pat\"\n  role CTO\n}\n";
    let mut inside = vec![Vec::new(); servers.len()];
    let mut top_level = vec![Vec::new(); servers.len()];
    for i in 0..80 {
        let version = i as i64 + 2;
        for k in 0..servers.len() {
            // Alternate who goes first.
            let k = if i % 4 < 2 { k } else { servers.len() - 1 - k };
            let (_, server, uri) = &mut servers[k];
            let (range_, new) = if i < 40 {
                let pos = position(&text, at, &server.encoding);
                let end = json!({ "line": pos["line"], "character": pos["character"].as_u64().expect("col") + 1 });
                (range(pos, end), if i % 2 == 0 { "3" } else { "2" })
            } else if i % 2 == 0 {
                let pos = position(&text, between, &server.encoding);
                (range(pos.clone(), pos), added)
            } else {
                let pos = position(&text, between, &server.encoding);
                let end = json!({ "line": pos["line"].as_u64().expect("line") + 6, "character": 0 });
                (range(pos, end), "")
            };
            let t = Instant::now();
            server.edit(uri, version, range_, new);
            let d = server.diagnostics(uri, Some(version));
            let took = t.elapsed();
            assert_eq!(d["diagnostics"], json!([]));
            if i < 40 { &mut inside[k] } else { &mut top_level[k] }.push(took);
        }
    }
    let max = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    for (k, (name, server, _)) in servers.into_iter().enumerate() {
        let debounce = debounce_ms.map_or("default".to_string(), |ms| format!("{ms} ms"));
        println!("--- {name}, interleaved, debounce: {debounce}");
        println!("document: {line_count} lines, {} bytes", text.len());
        let mut all: Vec<Duration> = inside[k].iter().chain(&top_level[k]).copied().collect();
        println!("change to published diagnostics: median {:?}, max {:?}", median(&mut all), max(&all));
        println!(
            "change inside one declaration: median {:?}, max {:?}",
            median(&mut inside[k].clone()),
            max(&inside[k])
        );
        println!("top-level change: median {:?}, max {:?}", median(&mut top_level[k].clone()), max(&top_level[k]));
        let _ = shutdown(server);
    }
}

/// One run of the benchmark.
fn latency_run(debounce_ms: Option<u64>) {
    let options = debounce_ms.map(|ms| json!({ "debounceMs": ms }));
    let mut server = Server::start("", Start { options, ..Start::default() });
    let text = lsp_support::document::generate(10_000);
    let line_count = text.matches('\n').count();
    let uri = server.open_text("big.compel", &text);
    let first = Instant::now();
    server.diagnostics(&uri, Some(1));
    let initial = first.elapsed();
    // Type in the middle of the file: one character per change, as an
    // editor sends them, toggling a KPI's target between 92% and 93%.
    let needle = "target  >= 92%";
    let middle = text.len() / 2;
    let at = middle + text[middle..].find(needle).expect("a target") + 12;
    let pos = position(&text, at, &server.encoding);
    let end = json!({ "line": pos["line"], "character": pos["character"].as_u64().expect("col") + 1 });
    let mut inside = Vec::new();
    let mut version = 1;
    for i in 0..40 {
        version += 1;
        let digit = if i % 2 == 0 { "3" } else { "2" };
        let t = Instant::now();
        server.edit(&uri, version, range(pos.clone(), end.clone()), digit);
        let d = server.diagnostics(&uri, Some(version));
        inside.push(t.elapsed());
        assert_eq!(d["diagnostics"], json!([]));
    }
    // A top-level edit: a whole declaration added between two others, then
    // taken away again.
    let between = middle + text[middle..].find("\n\n/// KPI number").expect("a KPI") + 1;
    let bpos = position(&text, between, &server.encoding);
    let added = "\n/// Added.\nperson pat {\n  name \"Pat\"\n  role CTO\n}\n";
    let added_end = json!({ "line": bpos["line"].as_u64().expect("line") + 6, "character": 0 });
    let mut top_level = Vec::new();
    for i in 0..40 {
        version += 1;
        let t = Instant::now();
        if i % 2 == 0 {
            server.edit(&uri, version, range(bpos.clone(), bpos.clone()), added);
        } else {
            server.edit(&uri, version, range(bpos.clone(), added_end.clone()), "");
        }
        let d = server.diagnostics(&uri, Some(version));
        top_level.push(t.elapsed());
        assert_eq!(d["diagnostics"], json!([]));
    }
    let mut change: Vec<Duration> = inside.iter().chain(&top_level).copied().collect();
    // Completion in a criterion in the middle of the file.
    let crit = middle + text[middle..].find("    require kpi_").expect("a criterion") + 12;
    let cpos = position(&text, crit, &server.encoding);
    let mut completion = Vec::new();
    let mut count = 0;
    for _ in 0..40 {
        let t = Instant::now();
        let r = server.request("textDocument/completion", tdp(&uri, cpos.clone()));
        completion.push(t.elapsed());
        count = r["items"].as_array().map_or(0, Vec::len);
    }
    // Completion right after a change, before the analysis has caught up.
    let mut after_change = Vec::new();
    for i in 0..20 {
        version += 1;
        let digit = if i % 2 == 0 { "3" } else { "2" };
        server.edit(&uri, version, range(pos.clone(), end.clone()), digit);
        let t = Instant::now();
        server.request("textDocument/completion", tdp(&uri, cpos.clone()));
        after_change.push(t.elapsed());
        server.diagnostics(&uri, Some(version));
    }
    let hover_pos = position(&text, crit + 2, &server.encoding);
    let mut hover = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        server.request("textDocument/hover", tdp(&uri, hover_pos.clone()));
        hover.push(t.elapsed());
    }
    let features = feature_latencies(&mut server, &uri, &text, middle);
    let max = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    println!("--- debounce: {}", debounce_ms.map_or("adaptive".to_string(), |ms| format!("{ms} ms")));
    println!("document: {line_count} lines, {} bytes", text.len());
    println!("open to first diagnostics: {initial:?}");
    println!(
        "change to published diagnostics: median {:?}, max {:?} (target <= 10ms)",
        median(&mut change),
        max(&change)
    );
    println!(
        "change inside one declaration: median {:?}, max {:?} (target <= 5ms)",
        median(&mut inside.clone()),
        max(&inside)
    );
    println!(
        "top-level change: median {:?}, max {:?} (target <= 10ms)",
        median(&mut top_level.clone()),
        max(&top_level)
    );
    println!(
        "completion ({count} items): median {:?}, max {:?} (target <= 20ms)",
        median(&mut completion.clone()),
        max(&completion)
    );
    println!(
        "completion right after a change: median {:?}, max {:?}",
        median(&mut after_change.clone()),
        max(&after_change)
    );
    println!("hover: median {:?}, max {:?}", median(&mut hover.clone()), max(&hover));
    for (what, mut times) in features {
        let m = median(&mut times);
        println!("{what}: median {m:?}, max {:?}", max(&times));
    }
}

#[test]
fn hover_on_a_family_lists_its_members_and_offset_windows_check() {
    let mut server = Server::start("families", Start::default());
    let uri = server.open("families.compel");
    let text = server.text("families.compel");
    // The discovered family's warning only: `offset` and the list forms check.
    let diags = server.diagnostics(&uri, Some(1));
    let codes: Vec<&str> = diags["diagnostics"].as_array().unwrap().iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["E0431"]);
    let pos = server.pos(&text, "require auc_by_group", 0, 10);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let value = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(value.contains("A KPI family of 4 members"), "{value}");
    for member in ["sex=\"female\", age_band=\"18-39\"", "sex=\"male\", age_band=\"65+\""] {
        assert!(value.contains(&format!("`auc_by_group{{{member}}}`")), "{member} in {value}");
    }
    let pos = server.pos(&text, "expect  latency_by_region", 0, 10);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let value = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(value.contains("one member per `region` value found in the data"), "{value}");
    // `spread`'s doc comes from the stdlib, with the registry's forms.
    let pos = server.pos(&text, "spread(", 0, 1);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let value = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(value.contains("builtin spread(list: [quantity]) -> quantity"), "{value}");
    assert!(value.contains("The largest element of a list minus the smallest"), "{value}");
}

/// The newer requests on the same document, each 40 times at the middle
/// of the file: their names (with what they returned) and their times.
fn feature_latencies(server: &mut Server, uri: &str, text: &str, middle: usize) -> Vec<(String, Vec<Duration>)> {
    let mut out = Vec::new();
    let kpi_use = middle + text[middle..].find("    require kpi_").expect("a criterion") + 14;
    let at = position(text, kpi_use, &server.encoding);
    let line = at["line"].as_u64().expect("line");
    // What an editor shows: about 60 lines around the cursor.
    let visible =
        json!({ "start": { "line": line - 30, "character": 0 }, "end": { "line": line + 30, "character": 0 } });
    let item = middle + text[middle..].find("kpi kpi_").expect("a KPI");
    let item_end = item + text[item..].find("\n}\n").expect("its end") + 2;
    let item_range =
        json!({ "start": position(text, item, &server.encoding), "end": position(text, item_end, &server.encoding) });
    let brace = position(text, item_end, &server.encoding);
    let doc = json!({ "textDocument": { "uri": uri } });
    let requests: Vec<(&str, &str, Value)> = vec![
        (
            "inlay hints (visible range",
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri }, "range": visible }),
        ),
        ("document highlights (", "textDocument/documentHighlight", tdp(uri, at.clone())),
        (
            "selection ranges (",
            "textDocument/selectionRange",
            json!({ "textDocument": { "uri": uri }, "positions": [at] }),
        ),
        ("document links (", "textDocument/documentLink", doc.clone()),
        ("code lens (", "textDocument/codeLens", doc),
        (
            "range formatting (one KPI",
            "textDocument/rangeFormatting",
            json!({ "textDocument": { "uri": uri }, "range": item_range, "options": { "tabSize": 2, "insertSpaces": true } }),
        ),
        (
            "on-type formatting (`}`",
            "textDocument/onTypeFormatting",
            json!({ "textDocument": { "uri": uri }, "position": brace, "ch": "}", "options": { "tabSize": 2, "insertSpaces": true } }),
        ),
    ];
    for (what, method, params) in requests {
        let mut times = Vec::new();
        let mut count = 0;
        for _ in 0..40 {
            let t = Instant::now();
            let r = server.request(method, params.clone());
            times.push(t.elapsed());
            count = r.as_array().map_or(0, Vec::len);
        }
        let sep = if what.ends_with('(') { "" } else { ", " };
        out.push((format!("{what}{sep}{count} results)"), times));
    }
    out
}

// ---- the project's policy sets ---------------------------------------------

fn codes_of(diags: &Value) -> Vec<String> {
    let mut codes: Vec<String> = diags["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect();
    codes.sort();
    codes
}

#[test]
fn the_projects_policy_sets_govern_a_file_without_the_import() {
    // `compel.toml` names `std/policies` and `org/standards.compel`;
    // `program.compel` imports neither, as in `compel check`.
    let mut server = Server::start("project", Start::default());
    let uri = server.open("program.compel");
    let diags = server.diagnostics(&uri, Some(1));
    assert_eq!(codes_of(&diags), ["E0701", "E0703"], "{diags}");
    assert!(diags.to_string().contains("`csuite_sponsor`"), "{diags}");
    // The set's names are visible as if imported: hover on its KPI works.
    let text = server.text("program.compel");
    let at = server.pos(&text, "objectives   [gateway_latency]", 0, 15);
    let hover = server.request("textDocument/hover", tdp(&uri, at));
    assert!(hover.to_string().contains("Scoring latency at the API gateway"), "{hover}");
    // Remove the sponsor's failing fact: the set's other policy still holds
    // the program to a budget.
    let at = server.pos(&text, "budget       1_200_000 USD", 0, 0);
    let end = server.pos(&text, "budget       1_200_000 USD", 0, 26);
    server.edit(&uri, 2, range(at, end), "");
    let diags = server.diagnostics(&uri, Some(2));
    assert_eq!(codes_of(&diags), ["E0701", "E0702", "E0703"], "{diags}");
    shutdown(server);
}

#[test]
fn a_file_governed_by_nothing_gets_the_warning_and_a_quick_fix() {
    // The acme workspace has no `compel.toml`: a new file with a program
    // and no import is governed by nothing.
    let mut server = Server::start("acme", Start::default());
    let text = "person lee {\n  name \"Lee\"\n  role manager\n}\n\nprogram p {\n  sponsor lee\n}\n";
    let uri = server.open_text("forgot.compel", text);
    let diags = server.diagnostics(&uri, Some(1));
    assert_eq!(codes_of(&diags), ["E0710"], "{diags}");
    let d = diags["diagnostics"][0].clone();
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let edits = actions.to_string();
    assert!(edits.contains("import \\\"std/policies\\\""), "{actions}");
    shutdown(server);
}
