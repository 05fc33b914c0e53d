//! The machine-readable renderings of diagnostics, validated against their
//! schemas: SARIF against the official OASIS SARIF 2.1.0 schema
//! (`tests/schemas/sarif-2.1.0.json`, unchanged), `--format json` against
//! the contract's schema (`tests/schemas/check-json.schema.json`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

use compel::diag::render;
use compel::diag::{Code, Diagnostic, Edit, Fix, Severity};
use compel::text::{FileId, FileSpan, Files, SourceFile, Span};
use serde_json::Value;

/// Compiles the schema file `name` under `tests/schemas`, with format
/// assertions on, so `uri`, `uri-reference` and the like are checked too.
fn compile(name: &str) -> (boon::Schemas, boon::SchemaIndex) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas").join(name);
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let index = compiler
        .compile(path.to_str().expect("a UTF-8 path"), &mut schemas)
        .unwrap_or_else(|err| panic!("{name} does not compile: {err:#}"));
    (schemas, index)
}

fn validate(name: &str, text: &str) -> Result<(), String> {
    let (schemas, index) = compile(name);
    let value: Value = serde_json::from_str(text).map_err(|err| format!("not JSON: {err}"))?;
    schemas.validate(&value, index).map_err(|err| format!("{err:#}"))
}

fn assert_valid(name: &str, text: &str) {
    if let Err(err) = validate(name, text) {
        panic!("output does not match {name}:\n{err}\n\n{text}");
    }
}

fn span_of(text: &str, needle: &str) -> Span {
    let start = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in the text"));
    Span::new(start, start + needle.len())
}

/// Two files, one with a path that needs percent-encoding, and diagnostics
/// that use every feature: all severities, labels across files, help, fixes
/// (a replacement, an insertion, edits in two files), an empty span at the
/// end of a file and non-ASCII text before a span.
fn sample() -> (Files, Vec<Diagnostic>) {
    const MAIN: &str = "person priya {\n  name \"Priya Ramán\" role cto\n}\nprogram p {\n  sponsor priyaa\n}\n";
    const OTHER: &str = "kpi accuracy { metric \"acc\" target >= 92% }\n";
    let mut files = Files::new();
    let main = files.add(SourceFile::new("policies/fraud détection.compel", MAIN));
    let other = files.add(SourceFile::new("std/policies.compel", OTHER));
    let at = |file: FileId, text: &str, needle: &str| FileSpan::new(file, span_of(text, needle));
    let diags = vec![
        Diagnostic::new(Code::UnknownName, at(main, MAIN, "priyaa"), "unknown name `priyaa`")
            .with_primary_label("not declared")
            .with_label(at(main, MAIN, "priya"), "similar name declared here")
            .with_help("did you mean `priya`?")
            .with_fix(Fix {
                title: "replace with `priya`".into(),
                edits: vec![Edit { at: at(main, MAIN, "priyaa"), replacement: "priya".into() }],
            }),
        Diagnostic::new(Code::DuplicateName, at(main, MAIN, "role"), "duplicate declaration `accuracy`")
            .with_label(at(other, OTHER, "accuracy"), "first defined here")
            .with_label(at(main, MAIN, "cto"), "and used here")
            .with_severity(Severity::Warning),
        Diagnostic::new(Code::MissingAttribute, at(main, MAIN, "program p"), "`program` needs `owner`")
            .with_severity(Severity::Note)
            .with_fix(Fix {
                title: "add `owner`".into(),
                edits: vec![
                    Edit {
                        at: FileSpan::new(main, Span::new(MAIN.len(), MAIN.len())),
                        replacement: "owner x\n".into(),
                    },
                    Edit { at: FileSpan::new(other, Span::new(0, 0)), replacement: "// touched\n".into() },
                    Edit { at: FileSpan::new(main, Span::new(0, 0)), replacement: "// also\n".into() },
                ],
            }),
        Diagnostic::new(
            Code::SyntaxError,
            FileSpan::new(main, Span::new(MAIN.len(), MAIN.len())),
            "expected a declaration",
        ),
        Diagnostic::new(Code::PolicyViolated, at(other, OTHER, "92%"), "policy `x` not met: 100% required")
            .with_fix(Fix { title: "nothing to do".into(), edits: Vec::new() }),
    ];
    (files, diags)
}

#[test]
fn the_sarif_schema_is_the_official_one() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-2.1.0.json"))
        .expect("tests/schemas/sarif-2.1.0.json");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    assert_eq!(schema["title"], "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema");
    assert_eq!(text.len(), 112_768, "the schema text is kept unchanged");
}

#[test]
fn sarif_output_matches_the_sarif_2_1_0_schema() {
    let (files, diags) = sample();
    let text = render::sarif(&files, &diags, env!("CARGO_PKG_VERSION"));
    assert_valid("sarif-2.1.0.json", &text);

    let log: Value = serde_json::from_str(&text).expect("JSON");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), diags.len());
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    // `á` is one column: `"Priya Ramán" role` puts `role` at column 22.
    let duplicate = &results[1]["locations"][0]["physicalLocation"];
    assert_eq!(duplicate["region"]["startColumn"], 22);
    assert_eq!(duplicate["artifactLocation"]["uri"], "policies/fraud%20d%C3%A9tection.compel");
    // The fix edits two files, one of them the stdlib (`std/...`), which is
    // in no repository: only the change to the user's file is offered.
    let changes = results[2]["fixes"][0]["artifactChanges"].as_array().expect("changes");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["artifactLocation"]["uri"], "policies/fraud%20d%C3%A9tection.compel");
    // A fix without edits is left out.
    assert!(results[4].get("fixes").is_none());
}

#[test]
fn sarif_without_diagnostics_matches_the_schema() {
    let text = render::sarif(&Files::new(), &[], "0.0.0");
    assert_valid("sarif-2.1.0.json", &text);
}

#[test]
fn the_sarif_schema_rejects_a_broken_log() {
    // The validator is live: a level SARIF does not know, and a URI with a
    // raw space, are both refused.
    let (files, diags) = sample();
    let good = render::sarif(&files, &diags, "0.1.0");
    let bad_level = good.replacen("\"level\": \"warning\"", "\"level\": \"fatal\"", 1);
    assert_ne!(bad_level, good);
    assert!(validate("sarif-2.1.0.json", &bad_level).is_err());
    let bad_uri = good.replacen("policies/fraud%20d%C3%A9tection.compel", "policies/fraud détection.compel", 1);
    assert_ne!(bad_uri, good);
    assert!(validate("sarif-2.1.0.json", &bad_uri).is_err(), "format assertions are on");
}

#[test]
fn json_output_matches_the_check_contract() {
    let (files, diags) = sample();
    assert_valid("check-json.schema.json", &render::json(&files, &diags));
    assert_valid("check-json.schema.json", &render::json(&files, &[]));
    assert_eq!(render::json(&files, &[]), "{\"diagnostics\": []}\n");
    // An extra key would break the contract.
    let extra = render::json(&files, &diags).replacen("\"help\"", "\"hint\"", 1);
    assert!(validate("check-json.schema.json", &extra).is_err());
}

#[test]
fn every_format_renders_every_diagnostic() {
    let (files, diags) = sample();
    let github = render::github(&files, &diags);
    assert_eq!(github.lines().count(), diags.len(), "{github}");
    assert!(github
        .lines()
        .all(|line| line.starts_with("::error ") || line.starts_with("::warning ") || line.starts_with("::notice ")));
    let terminal = render::terminal(&files, &diags, false);
    for diag in &diags {
        let header = format!("{}[{}]: {}", diag.severity.as_str(), diag.code.as_str(), diag.message);
        assert!(terminal.contains(&header), "{header} missing from\n{terminal}");
    }
}

/// The real binary's SARIF and JSON output on fixtures with several kinds of
/// diagnostics (secondary labels in another file, fixes) match the schemas.
#[test]
fn the_binary_s_sarif_and_json_match_their_schemas() {
    let fixtures = [
        "tests/fixtures/check/policies/not_csuite.compel",
        "tests/fixtures/check/names/unknown_near.compel",
        "tests/fixtures/check/syntax/broken_then_semantic.compel",
        "tests/fixtures/check/units/two_currencies.compel",
    ];
    for fixture in fixtures {
        for (format, schema) in [("sarif", "sarif-2.1.0.json"), ("json", "check-json.schema.json")] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_compel"))
                .args(["check", fixture, "--format", format])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .expect("the binary runs");
            assert_eq!(out.status.code(), Some(1), "{fixture} has errors");
            assert_valid(schema, &String::from_utf8_lossy(&out.stdout));
        }
    }
}
