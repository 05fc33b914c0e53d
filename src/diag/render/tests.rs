//! Tests of every format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::sarif::SARIF_SCHEMA;
use super::*;
use crate::diag::{Edit, Fix};

/// One file with a typo on line 2 and a non-ASCII name on line 3.
const FRAUD: &str = "kpi accuracy {\n  kpis [acuracy]\n  name \"Priya Ramán\" x\n}\n";

fn files() -> (Files, FileId) {
    let mut files = Files::new();
    let id = files.add(SourceFile::new("policies/fraud.compel", FRAUD));
    (files, id)
}

fn span_of(needle: &str) -> Span {
    let start = FRAUD.find(needle).unwrap_or_else(|| panic!("{needle} not in the fixture"));
    Span::new(start, start + needle.len())
}

/// The `x` after the non-ASCII name.
fn x_span() -> Span {
    let start = span_of(" x\n").start as usize + 1;
    Span::new(start, start + 1)
}

fn unknown_name(id: FileId) -> Diagnostic {
    Diagnostic::at(Code::UnknownName, id, span_of("acuracy"), "unknown name `acuracy`")
        .with_primary_label("not declared anywhere")
        .with_label(FileSpan::new(id, span_of("accuracy")), "similar name declared here")
        .with_help("did you mean `accuracy`?")
}

#[test]
fn json_without_diagnostics_is_exact() {
    let (files, _) = files();
    assert_eq!(json(&files, &[]), "{\"diagnostics\": []}\n");
    let value: serde_json::Value = serde_json::from_str(&json(&files, &[])).unwrap();
    assert_eq!(value, serde_json::json!({ "diagnostics": [] }));
}

#[test]
fn json_has_the_contract_shape() {
    let (files, id) = files();
    let diags = [
        unknown_name(id),
        Diagnostic::at(Code::UnknownAttribute, id, x_span(), "unknown attribute `x`").with_severity(Severity::Warning),
    ];
    let expected = r#"{
  "diagnostics": [
    {
      "severity": "error",
      "code": "E0301",
      "message": "unknown name `acuracy`",
      "file": "policies/fraud.compel",
      "line": 2,
      "column": 9,
      "end_line": 2,
      "end_column": 16,
      "help": "did you mean `accuracy`?"
    },
    {
      "severity": "warning",
      "code": "E0401",
      "message": "unknown attribute `x`",
      "file": "policies/fraud.compel",
      "line": 3,
      "column": 22,
      "end_line": 3,
      "end_column": 23
    }
  ]
}
"#;
    assert_eq!(json(&files, &diags), expected);
}

#[test]
fn json_columns_count_characters() {
    let (files, id) = files();
    // `x` follows `  name "Priya Ramán" `: 21 characters but 22 bytes.
    let diag = Diagnostic::at(Code::UnknownAttribute, id, x_span(), "unknown attribute `x`");
    let value: serde_json::Value = serde_json::from_str(&json(&files, &[diag])).unwrap();
    let first = &value["diagnostics"][0];
    assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(3), Some(22)));
    assert_eq!(first["end_column"].as_u64(), Some(23));
    assert!(first.get("help").is_none());
}

#[test]
fn out_of_range_spans_are_clamped() {
    let (files, id) = files();
    // Ends inside the two bytes of `á`, then far past the end of the file.
    let inside = FRAUD.find('á').unwrap() + 1;
    let diags = [
        Diagnostic::at(Code::SyntaxError, id, Span::new(inside, inside + 1), "broken"),
        Diagnostic::at(Code::SyntaxError, id, Span::new(FRAUD.len() - 1, FRAUD.len() + 50), "past the end"),
        Diagnostic::at(Code::SyntaxError, FileId(7), Span::new(0, 3), "unknown file"),
    ];
    let value: serde_json::Value = serde_json::from_str(&json(&files, &diags)).unwrap();
    assert_eq!(value["diagnostics"][0]["column"].as_u64(), Some(18));
    assert_eq!(value["diagnostics"][1]["end_line"].as_u64(), Some(5));
    assert_eq!(value["diagnostics"][2]["file"].as_str(), Some(""));
    assert!(terminal(&files, &diags, false).contains("error[E0101]: unknown file"));
    assert!(github(&files, &diags).contains("::error title=E0101::unknown file"));
    assert!(sarif(&files, &diags, "0.1.0").contains("past the end"));
    for diag in &diags {
        let _ = MietteDiagnostic::new(&files, diag);
    }
}

#[test]
fn terminal_shows_code_labels_and_help() {
    let (files, id) = files();
    let text = terminal(&files, &[unknown_name(id)], false);
    assert!(text.starts_with("error[E0301]: unknown name `acuracy`\n"), "{text}");
    assert!(text.contains("--> policies/fraud.compel:2:9"), "{text}");
    assert!(text.contains("^^^^^^^ not declared anywhere"), "{text}");
    assert!(text.contains("similar name declared here"), "{text}");
    assert!(text.contains("= help: did you mean `accuracy`?"), "{text}");
    assert!(!text.contains('\u{1b}'), "no color asked: {text}");
    assert!(text.ends_with('\n'));
}

#[test]
fn terminal_colors_on_request() {
    let (files, id) = files();
    let text = terminal(&files, &[unknown_name(id)], true);
    assert!(text.contains('\u{1b}'), "{text}");
    assert!(text.contains("E0301"), "{text}");
    assert_eq!(terminal(&files, &[], true), "");
}

#[test]
fn terminal_handles_a_span_at_the_end_of_the_file() {
    let (files, id) = files();
    let end = Span::new(FRAUD.len(), FRAUD.len());
    let text = terminal(&files, &[Diagnostic::at(Code::SyntaxError, id, end, "expected `}`")], false);
    assert!(text.contains("error[E0101]: expected `}`"), "{text}");
    assert!(text.contains("policies/fraud.compel:5:1"), "{text}");
}

#[test]
fn github_commands_escape_data_and_properties() {
    let mut files = Files::new();
    let id = files.add(SourceFile::new("a,b:c%.compel", "kpi x {}\n"));
    let diags = [
        Diagnostic::at(Code::UnknownName, id, Span::new(4, 5), "100% wrong\r\nreally").with_help("did you mean `y`?"),
        Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 3), "advice").with_severity(Severity::Note),
        Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 3), "expectation").with_severity(Severity::Warning),
    ];
    assert_eq!(
        github(&files, &diags),
        "::error file=a%2Cb%3Ac%25.compel,line=1,col=5,endLine=1,endColumn=6,title=E0301::\
         100%25 wrong%0D%0Areally%0Ahelp: did you mean `y`?\n\
         ::notice file=a%2Cb%3Ac%25.compel,line=1,col=1,endLine=1,endColumn=4,title=E0701::advice\n\
         ::warning file=a%2Cb%3Ac%25.compel,line=1,col=1,endLine=1,endColumn=4,title=E0701::expectation\n"
    );
    assert_eq!(github(&files, &[]), "");
}

#[test]
fn github_lists_secondary_labels() {
    let (files, id) = files();
    let text = github(&files, &[unknown_name(id)]);
    assert_eq!(
        text,
        "::error file=policies/fraud.compel,line=2,col=9,endLine=2,endColumn=16,title=E0301::\
         unknown name `acuracy`%0Apolicies/fraud.compel:1:5: similar name declared here\
         %0Ahelp: did you mean `accuracy`?\n"
    );
}

#[test]
fn sarif_has_rules_results_related_locations_and_fixes() {
    let (files, id) = files();
    let typo = span_of("acuracy");
    let diag = unknown_name(id).with_fix(Fix {
        title: "replace with `accuracy`".into(),
        edits: vec![Edit { at: FileSpan::new(id, typo), replacement: "accuracy".into() }],
    });
    let log: serde_json::Value = serde_json::from_str(&sarif(&files, &[diag], "1.2.3")).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], SARIF_SCHEMA);
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let driver = &run["tool"]["driver"];
    assert_eq!((driver["name"].as_str(), driver["version"].as_str()), (Some("compel"), Some("1.2.3")));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    let result = &run["results"][0];
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "E0301");
    assert_eq!(rules[index]["shortDescription"]["text"], "unknown name");
    assert_eq!(rules[index]["help"]["text"], Code::UnknownName.explanation());
    assert_eq!(rules[index]["name"], "UnknownName");
    assert!(rules[index]["help"]["markdown"].as_str().unwrap().contains("compel explain E0301"));
    assert!(rules[index]["helpUri"].as_str().unwrap().ends_with("docs/diagnostics.md#e0301"));
    assert!(result["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap().ends_with(":1"));
    assert_eq!(rules[index]["defaultConfiguration"]["level"], "error");
    assert_eq!(result["ruleId"], "E0301");
    assert_eq!(result["level"], "error");
    assert_eq!(result["message"]["text"], "unknown name `acuracy`\nhelp: did you mean `accuracy`?");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "policies/fraud.compel");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 2, "startColumn": 9, "endLine": 2, "endColumn": 16})
    );
    assert_eq!(result["locations"][0]["message"]["text"], "not declared anywhere");
    let related = &result["relatedLocations"][0];
    assert_eq!(
        (related["id"].as_u64(), related["message"]["text"].as_str()),
        (Some(0), Some("similar name declared here"))
    );
    let change = &result["fixes"][0]["artifactChanges"][0];
    assert_eq!(result["fixes"][0]["description"]["text"], "replace with `accuracy`");
    assert_eq!(change["replacements"][0]["insertedContent"]["text"], "accuracy");
    assert_eq!(change["replacements"][0]["deletedRegion"]["startColumn"], 9);
}

#[test]
fn sarif_levels_and_uris() {
    let mut files = Files::new();
    let id = files.add(SourceFile::new("dir with space/ünï:code.compel", "x"));
    let diags = [
        Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 1), "n").with_severity(Severity::Note),
        Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 1), "w").with_severity(Severity::Warning),
    ];
    let log: serde_json::Value = serde_json::from_str(&sarif(&files, &diags, "0.1.0")).unwrap();
    let results = &log["runs"][0]["results"];
    assert_eq!((results[0]["level"].as_str(), results[1]["level"].as_str()), (Some("note"), Some("warning")));
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "dir%20with%20space/%C3%BCn%C3%AF%3Acode.compel"
    );
    assert!(results[0].get("fixes").is_none() && results[0].get("relatedLocations").is_none());
    let empty: serde_json::Value = serde_json::from_str(&sarif(&files, &[], "0.1.0")).unwrap();
    assert_eq!(empty["runs"][0]["results"], serde_json::json!([]));
}

/// The SARIF log of `diags` over `files` with the root declared.
fn sarif_log(files: &Files, diags: &[Diagnostic], options: SarifOptions) -> serde_json::Value {
    serde_json::from_str(&sarif_with(files, diags, &options)).unwrap()
}

#[test]
fn sarif_columns_count_utf16_units() {
    let mut files = Files::new();
    // `𝔸` is one character, two UTF-16 units, four bytes.
    let text = "kpi x { name \"𝔸é\" y }\n";
    let id = files.add(SourceFile::new("a.compel", text));
    let y = text.find(" y ").unwrap() + 1;
    let diag = Diagnostic::at(Code::UnknownAttribute, id, Span::new(y, y + 1), "unknown attribute `y`");
    let log = sarif_log(&files, std::slice::from_ref(&diag), SarifOptions::default());
    let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    // 18 characters precede `y`, 19 UTF-16 units.
    assert_eq!(region["startColumn"], 20);
    assert_eq!(region["endColumn"], 21);
    let json: serde_json::Value = serde_json::from_str(&json(&files, &[diag])).unwrap();
    assert_eq!(json["diagnostics"][0]["column"], 19, "the JSON format counts characters");
}

#[test]
fn sarif_fingerprints_survive_moved_lines_and_count_repeats() {
    let before = "kpi a {\n  kpis [acuracy]\n}\nkpi b {\n  kpis [acuracy]\n}\n";
    let after = format!("// a comment\n\n{}", before.replace("kpi b {", "\nkpi b {"));
    let fingerprints = |text: &str| -> Vec<String> {
        let mut files = Files::new();
        let id = files.add(SourceFile::new("p/a.compel", text));
        let diags: Vec<Diagnostic> = text
            .match_indices("acuracy")
            .map(|(i, _)| Diagnostic::at(Code::UnknownName, id, Span::new(i, i + 7), "unknown name `acuracy`"))
            .collect();
        let log = sarif_log(&files, &diags, SarifOptions::default());
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap().to_string())
            .collect()
    };
    let (old, new) = (fingerprints(before), fingerprints(&after));
    assert_eq!(old, new, "moving lines changes no fingerprint");
    assert_eq!(old.len(), 2);
    let (hash0, n0) = old[0].split_once(':').unwrap();
    let (hash1, n1) = old[1].split_once(':').unwrap();
    assert_eq!((hash0, n0, n1), (hash1, "1", "2"), "the same line text twice: occurrences 1 and 2");
    assert_eq!(hash0.len(), 16);
    let changed = fingerprints(&before.replacen("kpis [acuracy]", "kpis  [acuracy, b]", 1));
    assert_ne!(changed[0], old[0], "a changed line changes its fingerprint");
}

#[test]
fn sarif_places_files_by_root_and_the_stdlib_as_logical_locations() {
    let mut files = Files::new();
    let inside = files.add(SourceFile::new("../repo/p/a b.compel", "kpis [x]\n"));
    let outside = files.add(SourceFile::new("/elsewhere/o.compel", "kpis [x]\n"));
    let std = files.add(SourceFile::new("std/policies.compel", "policy p for program {}\n"));
    let diag = Diagnostic::at(Code::UnknownName, inside, Span::new(6, 7), "unknown name `x`")
        .with_label(FileSpan::new(outside, Span::new(6, 7)), "also here")
        .with_label(FileSpan::new(std, Span::new(7, 8)), "declared here")
        .with_fix(crate::diag::Fix {
            title: "both".into(),
            edits: vec![
                Edit { at: FileSpan::new(std, Span::new(7, 8)), replacement: "q".into() },
                Edit { at: FileSpan::new(inside, Span::new(6, 7)), replacement: "y".into() },
            ],
        });
    let options = SarifOptions {
        root_uri: Some("file:///home/me/repo/".into()),
        artifacts: vec![
            Artifact::InRoot("p/a b.compel".into()),
            Artifact::Absolute(file_uri("/elsewhere/o.compel")),
            Artifact::Stdlib("std/policies.compel".into()),
        ],
        ..SarifOptions::default()
    };
    let log = sarif_log(&files, &[diag], options);
    let run = &log["runs"][0];
    assert_eq!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], "file:///home/me/repo/");
    let result = &run["results"][0];
    let primary = &result["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(*primary, serde_json::json!({"uri": "p/a%20b.compel", "uriBaseId": "%SRCROOT%"}));
    let other = &result["relatedLocations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(*other, serde_json::json!({"uri": "file:///elsewhere/o.compel"}), "absolute, without a base");
    let std = &result["relatedLocations"][1];
    assert!(std.get("physicalLocation").is_none(), "{std}");
    assert_eq!(std["logicalLocations"][0]["fullyQualifiedName"], "std/policies");
    assert!(std["message"]["text"].as_str().unwrap().contains("std/policies.compel:1:8"), "{std}");
    let changes = result["fixes"][0]["artifactChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "no edit of the stdlib");
    assert_eq!(changes[0]["artifactLocation"]["uri"], "p/a%20b.compel");
}

#[test]
fn sarif_records_a_failed_run() {
    let options = SarifOptions {
        failures: vec![SarifFailure { code: Code::UnreadableInput, message: "`x` does not exist".into() }],
        ..SarifOptions::default()
    };
    let log = sarif_log(&Files::new(), &[], options);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], "error");
    assert_eq!(notification["message"]["text"], "`x` does not exist");
    let index = notification["associatedRule"]["index"].as_u64().unwrap() as usize;
    assert_eq!(log["runs"][0]["tool"]["driver"]["rules"][index]["id"], "E0105");
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn github_past_the_limits_prints_log_lines_and_a_closing_notice() {
    let (files, id) = files();
    let mut diags = Vec::new();
    for (severity, n) in [(Severity::Error, 12), (Severity::Warning, 3), (Severity::Note, 10)] {
        for i in 0..n {
            diags.push(
                Diagnostic::at(Code::PolicyViolated, id, Span::new(0, 3), format!("m{i}")).with_severity(severity),
            );
        }
    }
    let text = github(&files, &diags);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.iter().filter(|l| l.starts_with("::error ")).count(), 10);
    assert_eq!(lines.iter().filter(|l| l.starts_with("::warning ")).count(), 3);
    // Nine notes, and the closing notice in the tenth slot.
    assert_eq!(lines.iter().filter(|l| l.starts_with("::notice file=")).count(), 9);
    assert_eq!(lines.iter().filter(|l| l.starts_with("policies/fraud.compel:1:1: error[E0701]: m1")).count(), 2);
    assert!(lines.contains(&"policies/fraud.compel:1:1: note[E0701]: m9"), "{text}");
    let last = lines.last().unwrap();
    assert!(last.starts_with("::notice title=compel::2 errors, 1 note not shown as annotations"), "{last}");
    assert_eq!(github(&files, &diags[..10]).lines().count(), 10, "no closing notice within the limits");
}

#[test]
fn github_summary_is_a_markdown_table() {
    let (files, id) = files();
    let summary = github_summary(&files, &[unknown_name(id)]);
    assert!(summary.starts_with("## ❌ compel check: 1 error\n\n| severity | code | where | message |\n"), "{summary}");
    assert!(summary.contains("| error | [`E0301`]("), "{summary}");
    assert!(
        summary.contains("| `policies/fraud.compel:2:9` | unknown name `acuracy` (help: did you mean `accuracy`?) |")
    );
    assert_eq!(github_summary(&files, &[]), "## ✅ compel check: no problems found\n\n");
}

#[test]
fn miette_view_carries_code_help_labels_and_related() {
    use miette::Diagnostic as _;
    let (mut files, id) = files();
    let other = files.add(SourceFile::new("other.compel", "kpi accuracy {}\n"));
    let diag = Diagnostic::at(Code::DuplicateName, id, span_of("accuracy"), "duplicate declaration `accuracy`")
        .with_primary_label("declared again here")
        .with_label(FileSpan::new(id, span_of("acuracy")), "same file")
        .with_label(FileSpan::new(other, Span::new(4, 12)), "first defined here")
        .with_help("rename one of them")
        .with_severity(Severity::Warning);
    let view = MietteDiagnostic::new(&files, &diag);
    assert_eq!(view.to_string(), "duplicate declaration `accuracy`");
    assert_eq!(view.code().map(|c| c.to_string()), Some("E0302".to_string()));
    assert_eq!(view.help().map(|h| h.to_string()), Some("rename one of them".to_string()));
    assert_eq!(view.severity(), Some(miette::Severity::Warning));
    let labels: Vec<_> = view.labels().unwrap().collect();
    assert_eq!(labels.len(), 2);
    assert!(labels[0].primary());
    assert_eq!((labels[0].offset(), labels[0].len()), (4, 8));
    assert_eq!(labels[0].label(), Some("declared again here"));
    let related: Vec<_> = view.related().unwrap().collect();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0].to_string(), "first defined here");

    let mut rendered = String::new();
    miette::NarratableReportHandler::new().render_report(&mut rendered, &view).unwrap();
    assert!(rendered.contains("E0302"), "{rendered}");
    assert!(rendered.contains("policies/fraud.compel"), "{rendered}");
    assert!(rendered.contains("rename one of them"), "{rendered}");
}
