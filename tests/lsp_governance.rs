//! The language server over the organisation's own attributes, evidence
//! and roles, driven over its real protocol (`lsp_support`) in a copy of
//! `tests/fixtures/lsp/governance`: completion offers extended attributes
//! and the values of a `one of`, hover shows an extended attribute's doc
//! and an evidence's link, go-to-definition of a value lands in the
//! `extend`, and renaming a value renames it in every file.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod lsp_support;

use lsp_support::{apply_edits, Server, Start};
use serde_json::{json, Value};

fn tdp(uri: &str, pos: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos })
}

/// `label · detail` for each item, in the editor's order.
fn items(result: &Value) -> Vec<String> {
    let items = result["items"].as_array().cloned().or_else(|| result.as_array().cloned()).unwrap_or_default();
    let mut items: Vec<&Value> = items.iter().collect();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or("").to_string());
    items
        .iter()
        .map(|i| format!("{} · {}", i["label"].as_str().unwrap_or(""), i["detail"].as_str().unwrap_or("")))
        .collect()
}

fn open_analysed(server: &mut Server, rel: &str, text: &str) -> String {
    let uri = server.open_text(rel, text);
    server.diagnostics(&uri, Some(1));
    uri
}

#[test]
fn completion_offers_extended_attributes_and_their_values() {
    let mut server = Server::start("governance", Start::default());
    // In an initiative's body: the extended attributes with their types,
    // the required one first.
    let text = "import \"extensions.compel\"\n\ninitiative draft {\n  owner ruth\n  stage model\n  \n}\n";
    let uri = open_analysed(&mut server, "draft.compel", text);
    let pos = server.pos(text, "model\n  \n", 0, 8);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let got = items(&result);
    assert!(got.contains(&"safety_officer · person (required)".to_string()), "{got:#?}");
    assert!(got.contains(&"kind · one of [classifier, ranking, llm]".to_string()), "{got:#?}");
    assert!(got.contains(&"model_card · string".to_string()), "{got:#?}");
    let kind = result["items"].as_array().and_then(|a| a.iter().find(|i| i["label"] == "kind")).cloned();
    let doc = kind.map(|k| k["documentation"]["value"].as_str().unwrap_or("").to_string()).unwrap_or_default();
    assert!(doc.contains("LLM systems need human review"), "{doc}");
    insta::assert_json_snapshot!("governance_completion_members", got);

    // After `kind `: the values of its `one of`.
    let text = "import \"extensions.compel\"\n\ninitiative draft {\n  owner ruth\n  stage model\n  kind \n}\n";
    let uri = open_analysed(&mut server, "draft2.compel", text);
    let pos = server.pos(text, "kind \n", 0, 5);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    insta::assert_json_snapshot!("governance_completion_values", items(&result));

    // After `kind == ` in a policy for initiatives: the values again.
    let text = "import \"extensions.compel\"\n\npolicy p for initiative {\n  require kind == \n}\n";
    let uri = open_analysed(&mut server, "draft3.compel", text);
    let pos = server.pos(text, "kind == ", 0, 8);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let got = items(&result);
    let first: Vec<&String> = got.iter().take(3).collect();
    assert_eq!(
        first,
        [
            "classifier · a value of `initiative.kind`",
            "llm · a value of `initiative.kind`",
            "ranking · a value of `initiative.kind`"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .iter()
        .collect::<Vec<_>>(),
        "{got:#?}"
    );
    // After `self.`: the subject's attributes, the extended ones included.
    let text = "import \"extensions.compel\"\n\npolicy p for initiative {\n  require self.\n}\n";
    let uri = open_analysed(&mut server, "draft4.compel", text);
    let pos = server.pos(text, "self.", 0, 5);
    let got = items(&server.request("textDocument/completion", tdp(&uri, pos)));
    assert!(got.iter().any(|l| l.starts_with("safety_officer · ")), "{got:#?}");
}

#[test]
fn hover_shows_an_extended_attribute_and_an_evidence_link() {
    let mut server = Server::start("governance", Start::default());
    let uri = server.open("models.compel");
    let text = server.text("models.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "safety_officer ruth", 0, 3);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let md = hover["contents"]["value"].as_str().unwrap_or("").to_string();
    assert!(md.contains("The person who answers for the model's safety."), "{md}");
    insta::assert_json_snapshot!("governance_hover_attribute", hover);

    let pos = server.pos(&text, "evidence review_2026", 0, 12);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let md = hover["contents"]["value"].as_str().unwrap_or("").to_string();
    assert!(md.contains("https://reviews.example/assistant/2026"), "{md}");
    insta::assert_json_snapshot!("governance_hover_evidence", hover);

    let pos = server.pos(&text, "kind           llm", 0, 16);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    insta::assert_json_snapshot!("governance_hover_value", hover);
}

#[test]
fn a_value_goes_to_its_extend_and_renames_in_every_file() {
    let mut server = Server::start("governance", Start::default());
    let uri = server.open("models.compel");
    let text = server.text("models.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "kind           llm", 0, 16);
    let def = server.request("textDocument/definition", tdp(&uri, pos.clone()));
    insta::assert_json_snapshot!("governance_definition_value", server.normalise(def));

    let refs = server.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": pos, "context": { "includeDeclaration": true } }),
    );
    // The `one of`, `kind llm` and `kind == llm`.
    assert_eq!(refs.as_array().map(Vec::len), Some(3), "{refs}");

    let prepared = server.request("textDocument/prepareRename", tdp(&uri, pos.clone()));
    assert_eq!(prepared["placeholder"], "llm", "{prepared}");
    let edit = server.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": pos, "newName": "assistant_llm" }),
    );
    let edit = server.normalise(edit);
    let changes = edit["changes"].as_object().expect("changes");
    let mut files: Vec<(&String, &Value)> = changes.iter().collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    insta::assert_json_snapshot!("governance_rename_value", files);
    let ext_text = server.text("extensions.compel");
    let renamed_ext = apply_edits(
        &ext_text,
        changes["file:///WORKSPACE/extensions.compel"].as_array().expect("edits"),
        &server.encoding,
    );
    assert!(renamed_ext.contains("one of [classifier, ranking, assistant_llm]"), "{renamed_ext}");
    assert!(renamed_ext.contains("where kind == assistant_llm"), "{renamed_ext}");
    let renamed_models =
        apply_edits(&text, changes["file:///WORKSPACE/models.compel"].as_array().expect("edits"), &server.encoding);
    assert!(renamed_models.contains("kind           assistant_llm"), "{renamed_models}");

    // A value the attribute already has is refused.
    let r = server
        .call("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": pos, "newName": "ranking" }));
    assert_eq!(r["error"]["message"], "`kind` already has a value `ranking`", "{r}");
}

/// Semantic tokens as `text:type` for the given 0-based line.
fn tokens_on(server: &mut Server, uri: &str, text: &str, line: usize) -> Vec<String> {
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
    let toks = server.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    let nums: Vec<u64> = toks["data"].as_array().unwrap().iter().filter_map(Value::as_u64).collect();
    let (mut l, mut c) = (0u64, 0u64);
    let mut out = Vec::new();
    let src: Vec<&str> = text.lines().collect();
    for t in nums.chunks(5) {
        if t[0] > 0 {
            l += t[0];
            c = t[1];
        } else {
            c += t[1];
        }
        if l as usize == line {
            let word: String = src[line].chars().skip(c as usize).take(t[2] as usize).collect();
            out.push(format!("{word}:{}", legend[t[3] as usize]));
        }
    }
    out
}

#[test]
fn extensions_values_and_self_are_highlighted() {
    let mut server = Server::start("governance", Start::default());
    let uri = server.open("extensions.compel");
    let text = server.text("extensions.compel");
    server.diagnostics(&uri, Some(1));
    let line = |needle: &str| text[..text.find(needle).expect(needle)].matches('\n').count();
    assert_eq!(tokens_on(&mut server, &uri, &text, line("extend initiative")), ["extend:keyword"]);
    assert_eq!(
        tokens_on(&mut server, &uri, &text, line("kind           one of")),
        ["kind:property", "classifier:enumMember", "ranking:enumMember", "llm:enumMember"]
    );
    assert_eq!(
        tokens_on(&mut server, &uri, &text, line("where kind == llm")),
        [
            "policy:keyword",
            "llm_review:interface",
            "for:keyword",
            "where:keyword",
            "kind:property",
            "==:operator",
            "llm:enumMember"
        ]
    );
    let text = "policy own for initiative {\n  require self.owner != self.sponsor\n}\n";
    let uri = server.open_text("own.compel", text);
    server.diagnostics(&uri, Some(1));
    let got = tokens_on(&mut server, &uri, text, 1);
    assert!(got.starts_with(&["require:keyword".to_string(), "self:keyword".to_string()]), "{got:?}");
}
