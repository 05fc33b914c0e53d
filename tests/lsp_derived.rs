//! The language server over derived KPIs (`value EXPR`), driven over its
//! real protocol (`lsp_support`) in a copy of `tests/fixtures/lsp/derived`:
//! hover shows a derived KPI's formula and its inputs, go-to-definition
//! and rename work on an input named inside `value` (across files),
//! completion inside `value` offers KPIs, and the formula's names are
//! highlighted as KPIs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod lsp_support;

use lsp_support::{apply_edits, Server, Start};
use serde_json::{json, Value};

fn tdp(uri: &str, pos: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos })
}

#[test]
fn hover_shows_the_formula_and_its_inputs() {
    let mut server = Server::start("derived", Start::default());
    let uri = server.open("scores.compel");
    let text = server.text("scores.compel");
    let diags = server.diagnostics(&uri, Some(1));
    assert_eq!(diags["diagnostics"].as_array().map(Vec::len), Some(0), "{diags}");
    let pos = server.pos(&text, "require utility", 0, 10);
    let hover = server.request("textDocument/hover", tdp(&uri, pos));
    let md = hover["contents"]["value"].as_str().unwrap_or("").to_string();
    assert!(md.contains("value  0.6 * auc + 0.4 * precision"), "{md}");
    assert!(md.contains("unit   number  // from its value"), "{md}");
    assert!(!md.contains("1d  // default"), "a derived KPI has no max_age of its own here: {md}");
    assert!(md.contains("A derived KPI"), "{md}");
    assert!(md.contains("- `auc` (ratio, max_age 2d)"), "{md}");
    assert!(md.contains("- `precision` (percent, max_age 1d (default))"), "{md}");
}

#[test]
fn an_input_goes_to_its_kpi_and_renames_in_every_file() {
    let mut server = Server::start("derived", Start::default());
    let uri = server.open("scores.compel");
    let text = server.text("scores.compel");
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(&text, "auc + 0.4", 0, 1);
    let def = server.request("textDocument/definition", tdp(&uri, pos.clone()));
    let def = server.normalise(def);
    let def = if def.is_array() { def[0].clone() } else { def };
    assert_eq!(def["uri"], "file:///WORKSPACE/kpis.compel", "{def}");
    assert_eq!(def["range"]["start"]["line"], 1, "{def}");

    let edit = server.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": pos, "newName": "triage_auc" }),
    );
    let edit = server.normalise(edit);
    let changes = edit["changes"].as_object().expect("changes");
    let scores =
        apply_edits(&text, changes["file:///WORKSPACE/scores.compel"].as_array().expect("edits"), &server.encoding);
    assert!(scores.contains("value  0.6 * triage_auc + 0.4 * precision"), "{scores}");
    let kpis_text = server.text("kpis.compel");
    let kpis =
        apply_edits(&kpis_text, changes["file:///WORKSPACE/kpis.compel"].as_array().expect("edits"), &server.encoding);
    assert!(kpis.contains("kpi triage_auc {"), "{kpis}");
}

#[test]
fn completion_inside_value_offers_kpis() {
    let mut server = Server::start("derived", Start::default());
    let text = "import \"kpis.compel\"\n\nkpi score {\n  value 0.5 * \n  target >= 0.5\n}\n";
    let uri = server.open_text("draft.compel", text);
    server.diagnostics(&uri, Some(1));
    let pos = server.pos(text, "0.5 * \n", 0, 6);
    let result = server.request("textDocument/completion", tdp(&uri, pos));
    let items = result["items"].as_array().cloned().or_else(|| result.as_array().cloned()).unwrap_or_default();
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"auc") && labels.contains(&"precision"), "{labels:?}");
    assert!(!labels.contains(&"calibrate"), "only KPIs and values: {labels:?}");
}

#[test]
fn the_formula_is_highlighted_as_an_attribute_over_kpis() {
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
    let mut server = Server::start("derived", Start::default());
    let uri = server.open("scores.compel");
    let text = server.text("scores.compel");
    server.diagnostics(&uri, Some(1));
    let toks = server.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    let nums: Vec<u64> = toks["data"].as_array().unwrap().iter().filter_map(Value::as_u64).collect();
    let src: Vec<&str> = text.lines().collect();
    let on = |needle: &str| -> Vec<String> {
        let line = text[..text.find(needle).expect(needle)].matches('\n').count();
        let (mut l, mut c) = (0u64, 0u64);
        let mut got = Vec::new();
        for t in nums.chunks(5) {
            if t[0] > 0 {
                l += t[0];
                c = t[1];
            } else {
                c += t[1];
            }
            if l as usize == line {
                let word: String = src[line].chars().skip(c as usize).take(t[2] as usize).collect();
                got.push(format!("{word}:{}", legend[t[3] as usize]));
            }
        }
        got
    };
    // The inputs are highlighted as a KPI is where a gate requires it.
    let kpi = on("require utility").iter().find(|t| t.starts_with("utility:")).cloned().expect("utility");
    let kpi_type = kpi.split(':').nth(1).unwrap_or("").to_string();
    let got = on("value  0.6");
    let want = ["value:property", "0.6:number", "*:operator", &format!("auc:{kpi_type}"), "+:operator"];
    assert!(got.iter().zip(want).all(|(g, w)| g == w), "{got:?}");
    assert!(got.contains(&format!("precision:{kpi_type}")), "{got:?}");
}
