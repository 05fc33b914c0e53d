//! Data-driven checker tests: every `tests/fixtures/check/AREA/*.compel` is
//! checked on its own, within its project (`project/` has a `compel.toml`
//! naming policy sets); its diagnostics, rendered as the terminal shows them,
//! are an insta snapshot, and the codes listed in its `// expect:` header
//! must be exactly the codes reported. Adding a test means dropping in a
//! file; `cargo insta review` (or `INSTA_UPDATE=always cargo test`)
//! records new snapshots.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use compel::analysis::{analyze, analyze_project};
use compel::cli::{FsLoader, ProjectLoader};
use compel::diag::render;
use compel::project::Projects;

/// The codes a fixture's `// expect:` header lists.
fn expected_codes(text: &str) -> BTreeSet<String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("// expect:"))
        .unwrap_or_else(|| panic!("fixture lacks an `// expect:` header"));
    line.split_whitespace().map(str::to_string).collect()
}

fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[test]
fn check_fixtures() {
    let mut wrong = Vec::new();
    insta::glob!("fixtures/check/*/*.compel", |path| {
        let rel = relative(path);
        let bytes = std::fs::read(path).expect("fixture is readable");
        let text = String::from_utf8_lossy(&bytes);
        // Within its project, as `compel check` sees it: a folder with a
        // `compel.toml` (`project/`) gets its limits and policy sets.
        let projects = Projects::for_paths(&[rel.clone().into()]).expect("the fixture's compel.toml is valid");
        let analysis = analyze_project(std::slice::from_ref(&rel), &projects.loader(), &projects.settings());
        let diags: Vec<_> = analysis.user_diagnostics().cloned().collect();
        let got: BTreeSet<String> = diags.iter().map(|d| d.code.as_str().to_string()).collect();
        let want = expected_codes(&text);
        if got != want {
            wrong.push(format!("{rel}: expected {want:?}, got {got:?}"));
        }
        let rendered = render::terminal(&analysis.files, &diags, false);
        insta::assert_snapshot!(rendered);
    });
    assert!(wrong.is_empty(), "codes differ from the headers:\n{}", wrong.join("\n"));
}

#[test]
fn the_acme_example_checks_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/acme");
    let roots = compel::cli::collect_paths(&[dir.into()]).expect("examples exist");
    let analysis = analyze(&roots, &FsLoader);
    let diags: Vec<_> = analysis.user_diagnostics().collect();
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn the_stdlib_checks_clean() {
    let analysis = analyze(&["std/policies.compel".to_string()], &FsLoader);
    assert!(analysis.diagnostics.is_empty(), "{:#?}", analysis.diagnostics);
    assert_eq!(analysis.files.len(), compel::stdlib::MODULES.len());
}

#[test]
fn a_misspelt_attribute_carries_a_rename_fix() {
    let rel = "tests/fixtures/check/attributes/misspelt_attribute.compel";
    let loader = ProjectLoader::for_paths(&[rel.into()]);
    let analysis = analyze(&[rel.to_string()], &loader);
    let diags: Vec<_> = analysis.user_diagnostics().collect();
    // One typo, one error: `metric` is not also reported missing.
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = diags[0];
    assert_eq!(d.code.as_str(), "E0401");
    assert_eq!(d.help.as_deref(), Some("did you mean `metric`?"));
    let fix = d.fix.as_ref().expect("a fix");
    assert_eq!(fix.title, "change to `metric`");
    assert_eq!(fix.edits.len(), 1);
    let edit = &fix.edits[0];
    assert_eq!(edit.replacement, "metric");
    let text = &analysis.files.get(edit.at.file).text;
    assert_eq!(&text[edit.at.span.range()], "metrc");
}

/// The fixes of the diagnostics of `rel` with code `code`, applied one at a
/// time: the replaced text and the replacement.
fn fixes(rel: &str, code: &str) -> Vec<(String, String)> {
    let loader = ProjectLoader::for_paths(&[rel.into()]);
    let analysis = analyze(&[rel.to_string()], &loader);
    analysis
        .user_diagnostics()
        .filter(|d| d.code.as_str() == code)
        .filter_map(|d| d.fix.as_ref())
        .map(|fix| {
            assert_eq!(fix.edits.len(), 1, "{fix:#?}");
            let edit = &fix.edits[0];
            let text = &analysis.files.get(edit.at.file).text;
            assert_eq!(fix.title, format!("change to `{}`", edit.replacement));
            (text[edit.at.span.range()].to_string(), edit.replacement.clone())
        })
        .collect()
}

#[test]
fn a_bare_number_in_a_percent_threshold_carries_the_percent_fix() {
    let got = fixes("tests/fixtures/check/units/percent_bare_number.compel", "E0512");
    let want = [("2", "2%"), ("1.5", "1.5%"), ("0.5", "0.5%"), ("1_00.075", "1_00.075%")];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[test]
fn a_negative_literal_window_carries_the_positive_one_as_its_fix() {
    let got = fixes("tests/fixtures/check/units/negative_window.compel", "E0510");
    // `back` and `-(30d)` get help but no fix.
    let want = [("-1d", "1d"), ("-7d", "7d")];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

/// The model's most numerous items stay small: a check of 10,000
/// initiatives holds about 180,000 attributes and 340,000 references
/// (`docs/performance.md`, memory of `check`). A rare, large variant goes
/// behind a `Box`.
#[test]
fn the_models_most_numerous_items_stay_small() {
    use std::mem::size_of;
    assert_eq!(size_of::<compel::check::Attr>(), 128, "a model attribute");
    assert_eq!(size_of::<compel::check::Reference>(), 56, "a reference");
}

/// The command line checks without the editor's references
/// (`Settings::references`, off in `compel check`): every fixture and the
/// example give the same diagnostics and the same scoped names (which the
/// evaluator reads) either way, and no other reference is kept.
#[test]
fn checking_without_references_gives_the_same_diagnostics() {
    use compel::analysis::Settings;
    use compel::check::Target;
    let mut paths: Vec<String> = Vec::new();
    insta::glob!("fixtures/check/*/*.compel", |path| paths.push(relative(path)));
    let acme = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/acme");
    let acme_roots = compel::cli::collect_paths(&[acme.into()]).expect("examples exist");
    let mut runs: Vec<Vec<String>> = paths.into_iter().map(|p| vec![p]).collect();
    runs.push(acme_roots);
    for roots in runs {
        let paths: Vec<std::path::PathBuf> = roots.iter().map(Into::into).collect();
        let projects = Projects::for_paths(&paths).expect("the fixture's compel.toml is valid");
        let with = analyze_project(&roots, &projects.loader(), &projects.settings());
        let lean = Settings { references: false, ..projects.settings() };
        let without = analyze_project(&roots, &projects.loader(), &lean);
        assert_eq!(with.diagnostics, without.diagnostics, "{roots:?}");
        let mut scoped_with: Vec<_> = with.model.scoped.iter().map(|(k, v)| format!("{k:?} {v:?}")).collect();
        let mut scoped_without: Vec<_> = without.model.scoped.iter().map(|(k, v)| format!("{k:?} {v:?}")).collect();
        scoped_with.sort();
        scoped_without.sort();
        assert_eq!(scoped_with, scoped_without, "{roots:?}");
        assert!(without.model.references.iter().all(|r| matches!(r.target, Target::Scoped(_))), "{roots:?}");
        assert!(without.model.definitions.is_empty(), "{roots:?}");
        assert!(with.model.references.len() >= without.model.references.len());
    }
}

/// The model reads each gate's and policy's criteria in place in the
/// syntax tree rather than holding a copy: about 4 KB per initiative of
/// the benchmark's policy set (`docs/performance.md`, memory of `check`).
#[test]
fn the_model_shares_the_trees_criteria() {
    use compel::analysis::MemoryLoader;
    use compel::syntax::ast::{Item, Member};
    let mut files = MemoryLoader::default();
    files.insert(
        "p.compel",
        "person sam { name \"Sam\" role CEO }\nprogram prog { sponsor sam review_every 30d last_review 2026-11-01 }\n\
         initiative i { program prog owner \"t@example.com\" stage model\n  gate model -> produce { require count(datasets) >= 1 }\n}\n\
         gate model -> produce { expect program.review_every <= 30d }\n\
         policy owned for initiative { require owner != \"\" }\n",
    );
    let analysis = analyze(&["p.compel".to_string()], &files);
    let (id, _) = analysis.files.iter().find(|(_, f)| f.path == "p.compel").expect("loaded");
    let file = id.0 as usize;
    let ast = &analysis.asts[file];
    let mut tree = Vec::new();
    for item in &ast.items {
        match item {
            Item::Decl(d) => tree.extend(d.members.iter().filter_map(|m| match m {
                Member::Gate(g) => Some(&g.criteria),
                _ => None,
            })),
            Item::Gate(g) => tree.push(&g.criteria),
            Item::Policy(p) => tree.push(&p.criteria),
            _ => {}
        }
    }
    assert_eq!(tree.len(), 3);
    let model = &analysis.model;
    let held: Vec<_> = model
        .gates
        .iter()
        .filter(|g| g.file.0 as usize == file)
        .map(|g| &g.criteria)
        .chain(model.policies.iter().filter(|p| p.file.0 as usize == file).map(|p| &p.criteria))
        .collect();
    assert_eq!(held.len(), 3);
    for c in tree {
        assert!(held.iter().any(|h| h.shares(c)), "the model holds a copy of {c:?}");
    }
}

/// A KPI's label selector is a sorted slice in the model (a `BTreeMap`'s
/// smallest node has room for eleven pairs): it keeps a map's meaning,
/// each label once and the last one written winning, in label order.
#[test]
fn labels_keep_a_maps_meaning() {
    use std::collections::BTreeMap;
    let pairs = [("model", "m1"), ("env", "prod"), ("model", "m2"), ("az", "1")];
    let owned = || pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let labels: compel::check::Labels = owned().collect();
    let map: BTreeMap<String, String> = owned().collect();
    assert_eq!(labels.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
    assert!(labels.contains_key("env") && labels.contains_key("az") && !labels.contains_key("zone"));
    assert_eq!(format!("{labels:?}"), format!("{map:?}"));
    assert_eq!(compel::check::Labels::from(map.clone()), labels);
}
