//! The language server's check re-checks only what an edit can affect
//! (`check::check_reusing`, through `ide::incremental::Incremental`): an
//! edit inside one KPI re-checks that KPI and the declarations that read
//! it, and re-evaluates the policies and gates on them, not the other
//! declarations; each reason to run the whole check does run it whole.
//! Every analysis is also compared with a full one.

#[path = "lsp_support/document.rs"]
mod document;

use compel::analysis::{
    analyze_project, analyze_project_with_parser, normalize_path, Analysis, MemoryLoader, Settings,
};
use compel::check::{DeclId, Fallback, Kind, ReuseStats};
use compel::ide::incremental::Incremental;

/// `n` KPIs, each read by one initiative (its `kpis` and its gate); every
/// initiative also contributes to `kpi_0`, which the program reads too.
fn workspace(n: usize) -> String {
    let mut s = String::from(
        "import \"std/policies\"\n\nperson dana {\n  name \"Dana\"\n  role CFO\n}\n\nprogram prog {\n  sponsor      dana\n  review_every 30d\n  last_review  2026-11-02\n  objectives   [kpi_0]\n}\n\nlet floor = 90%\n\nlet favourite = kpi_3\n\nrole reviewer {\n  executive false\n}\n\nstage review {\n  order 9\n}\n\nkpi doubled {\n  value  kpi_1 * 2\n  target >= 1\n}\n\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "// KPI {i} and its initiative.\n\nkpi kpi_{i} {{\n  metric  \"metric_{i}\"\n  unit    percent\n  target  >= 92%\n  warn    < 94%\n  max_age 2d\n}}\n\ninitiative init_{i} {{\n  title          \"Initiative {i}\"\n  program        prog\n  owner          dana\n  stage          model\n  kpis           [kpi_{i}]\n  contributes_to [kpi_0]\n\n  gate model -> produce {{\n    require kpi_{i}\n    require avg(kpi_{i}, 7d) > floor\n  }}\n}}\n\n"
        ));
    }
    s
}

struct Bench {
    incremental: Incremental,
    settings: Settings,
    files: Vec<(String, String)>,
}

impl Bench {
    fn new(files: Vec<(String, String)>) -> Bench {
        let mut b = Bench { incremental: Incremental::new(), settings: Settings::default(), files };
        let (_, stats) = b.analyse();
        assert_eq!(stats.fallback, Some(Fallback::First));
        b
    }

    /// Analyses incrementally, compares with a full analysis, and says
    /// what the check did.
    fn analyse(&mut self) -> (Analysis, ReuseStats) {
        let roots: Vec<String> = self.files.iter().map(|(p, _)| normalize_path(p)).collect();
        let mut loader = MemoryLoader::default();
        for (p, t) in &self.files {
            loader.insert(p.clone(), t.clone());
        }
        let warm = self.incremental.analyse(&roots, &loader, &self.settings);
        let cold = analyze_project(&roots, &loader, &self.settings);
        assert_eq!(warm.diagnostics, cold.diagnostics);
        assert_eq!(format!("{:?}", warm.model.decls), format!("{:?}", cold.model.decls));
        assert_eq!(warm.model.references, cold.model.references);
        assert_eq!(warm.model.budget.left(), cold.model.budget.left());
        (warm, self.incremental.check_stats())
    }

    /// Replaces the first `find` after `after` in file 0, and analyses.
    fn edit(&mut self, after: &str, find: &str, replace: &str) -> (Analysis, ReuseStats) {
        let text = &mut self.files[0].1;
        let from = text.find(after).unwrap_or_else(|| panic!("{after:?} in the workspace"));
        let at = from + text[from..].find(find).unwrap_or_else(|| panic!("{find:?} after {after:?}"));
        text.replace_range(at..at + find.len(), replace);
        self.analyse()
    }
}

fn decl(a: &Analysis, name: &str) -> DeclId {
    let i = a.model.decls.iter().position(|d| d.name == name).unwrap_or_else(|| panic!("`{name}` declared"));
    DeclId(i as u32)
}

/// The static evaluations on `subjects`: each policy on each subject it
/// governs, and each initiative's gates.
fn evaluations_on(a: &Analysis, subjects: &[DeclId]) -> usize {
    let m = &a.model;
    let policies: usize = m
        .policies
        .iter()
        .filter_map(|p| p.subject.map(|k| (p.file, k)))
        .map(|(f, k)| m.subjects_seeing(f, k).filter(|s| subjects.contains(s)).count())
        .sum();
    policies + subjects.iter().filter(|s| m.decl(**s).kind == Kind::Initiative).count()
}

#[test]
fn an_edit_inside_one_kpi_rechecks_it_and_its_readers() {
    let mut b = Bench::new(vec![("big.compel".to_string(), workspace(40))]);
    let (a, s) = b.edit("kpi kpi_7 {", "target  >= 92%", "target  >= 93%");
    assert_eq!(s.fallback, None, "{s:?}");
    // kpi_7 and init_7 (its `kpis` and its gate read it), of them all.
    assert_eq!(s.decls_rechecked, 2, "{s:?}");
    assert_eq!(s.gates_rechecked, 1, "init_7's gate alone is checked again: {s:?}");
    assert!(s.gates > 40, "{s:?}");
    assert!(s.decls > 80 + 4, "{s:?}");
    let expected = evaluations_on(&a, &[decl(&a, "kpi_7"), decl(&a, "init_7")]);
    assert_eq!(s.evaluations_rerun, expected, "{s:?}");
    assert!(s.evaluations > 10 * expected, "{s:?}");

    // kpi_0 is read by every initiative (`contributes_to`) and the program.
    let (a, s) = b.edit("kpi kpi_0 {", "warn    < 94%", "warn    < 95%");
    assert_eq!(s.fallback, None, "{s:?}");
    assert_eq!(s.decls_rechecked, 1 + 40 + 1, "{s:?}");
    assert_eq!(s.gates_rechecked, 40, "{s:?}");
    let mut readers: Vec<DeclId> = (0..40).map(|i| decl(&a, &format!("init_{i}"))).collect();
    readers.extend([decl(&a, "kpi_0"), decl(&a, "prog")]);
    assert_eq!(s.evaluations_rerun, evaluations_on(&a, &readers), "{s:?}");

    // Broken and mended inside the declaration: still partial, still equal.
    let (_, s) = b.edit("kpi kpi_9 {", "max_age 2d", "max_age 2");
    assert_eq!((s.fallback, s.decls_rechecked), (None, 2), "{s:?}");
    let (_, s) = b.edit("kpi kpi_9 {", "max_age 2", "max_age 2d");
    assert_eq!((s.fallback, s.decls_rechecked), (None, 2), "{s:?}");

    // A comment between two declarations re-checks both (text between
    // items may belong to either: a line that goes on, an unclosed `{`)
    // and what reads them: init_11, kpi_12 and init_12, their two gates.
    let (_, s) = b.edit("// KPI 12 ", "12", "twelve");
    assert_eq!((s.fallback, s.decls_rechecked, s.gates_rechecked), (None, 3, 2), "{s:?}");
}

#[test]
fn each_reason_falls_back_to_the_whole_check() {
    let cases: &[(&str, &str, &str, Fallback)] = &[
        ("kpi kpi_5 {", "kpi kpi_5 {", "kpi kpi_5b {", Fallback::Shape),
        ("let floor", "90%", "91%", Fallback::TopLevel),
        ("import", "\"std/policies\"", "\"std/policies\" ", Fallback::TopLevel),
        ("role reviewer {", "executive false", "executive true", Fallback::StageOrRole),
        ("stage review {", "order 9", "order 10", Fallback::StageOrRole),
        ("kpi doubled {", "kpi_1 * 2", "kpi_1 * 3", Fallback::FamilyOrDerived),
        ("kpi kpi_2 {", "max_age 2d", "max_age 2d\n  by [region]", Fallback::FamilyOrDerived),
        ("kpi kpi_3 {", "max_age 2d", "max_age 3d", Fallback::LetReads),
    ];
    for &(after, find, replace, reason) in cases {
        let mut b = Bench::new(vec![("big.compel".to_string(), workspace(8))]);
        let (_, s) = b.edit(after, find, replace);
        assert_eq!(s.fallback, Some(reason), "{find:?} -> {replace:?}: {s:?}");
        assert_eq!((s.decls_rechecked, s.gates_rechecked), (s.decls, s.gates), "{s:?}");
        assert_eq!(s.evaluations_rerun, s.evaluations, "{s:?}");
        // And the next edit inside a KPI reuses this whole check.
        let (_, s) = b.edit("kpi kpi_6 {", "max_age 2d", "max_age 1d");
        assert_eq!((s.fallback, s.decls_rechecked), (None, 2), "after {find:?} -> {replace:?}: {s:?}");
    }

    // Another file: the files differ.
    let mut b = Bench::new(vec![("big.compel".to_string(), workspace(8))]);
    b.files.push(("more.compel".to_string(), "import \"big.compel\"\n".to_string()));
    assert_eq!(b.analyse().1.fallback, Some(Fallback::Files));

    // Without the editor's references there are no dependencies to follow.
    let mut b = Bench::new(vec![("big.compel".to_string(), workspace(8))]);
    b.settings.references = false;
    let (_, s) = b.edit("kpi kpi_6 {", "max_age 2d", "max_age 1d");
    assert_eq!(s.fallback, Some(Fallback::NoReferences));
    // With them again, the check before recorded none to reuse.
    b.settings.references = true;
    let (_, s) = b.edit("kpi kpi_6 {", "max_age 1d", "max_age 2d");
    assert_eq!(s.fallback, Some(Fallback::First));

    // Other limits may parse the same text otherwise: nothing is reused.
    let mut b = Bench::new(vec![("big.compel".to_string(), workspace(8))]);
    b.settings.limits.max_file_bytes -= 1;
    assert_eq!(b.analyse().1.fallback, Some(Fallback::First));
}

#[test]
fn a_spent_budget_falls_back() {
    // `let`s that double at each link, read by a policy on every KPI: the
    // check's evaluation budget runs out (E0103) on the first one.
    let mut lets = String::from("let a0 = today - today\n");
    for i in 1..=60 {
        lets.push_str(&format!("let a{i} = a{} + a{}\n", i - 1, i - 1));
    }
    let text = format!("{}{lets}\npolicy deep for kpi {{\n  require a60 >= 0d\n}}\n", workspace(2));
    let mut b = Bench::new(vec![("big.compel".to_string(), text)]);
    let (a, s) = b.edit("kpi kpi_1 {", "max_age 2d", "max_age 1d");
    assert!(a.diagnostics.iter().any(|d| d.step_budget), "the budget ran out");
    assert_eq!(s.fallback, Some(Fallback::Budget), "{s:?}");
}

/// In process, on the latency benchmark's document: an edit inside one
/// KPI's `target` at the middle of the file, analysed reusing the last
/// check, with the whole check (recorded for the next), as before the
/// check reused anything (the parse cache warm in all three), and the
/// whole check alone. Times are printed, never asserted.
#[test]
#[ignore = "a benchmark: cargo test --profile bench --test lsp_reuse -- --ignored reuse_timing --nocapture"]
fn reuse_timing() {
    use std::time::{Duration, Instant};
    let text = document::generate(10_000);
    let mut b = Bench::new(vec![("big.compel".to_string(), text)]);
    let (a, _) = b.analyse();
    let middle = a.model.decls.iter().filter(|d| d.kind == Kind::Kpi && d.file == a.roots[0]).count() / 2;
    let root = normalize_path("big.compel");
    let mut times: [Vec<Duration>; 4] = Default::default();
    // The analysis as it was before the check reused anything: the parse
    // cache, then the whole check.
    let mut cache = compel::ide::ParseCache::new();
    let mut rechecked = Vec::new();
    for round in 0..40 {
        let (from, to) = if round % 2 == 0 { ("92%", "93%") } else { ("93%", "92%") };
        let t = &mut b.files[0].1;
        let at = t.find(&format!("kpi kpi_{middle} {{")).expect("the KPI");
        let at = at + t[at..].find(from).expect("its target");
        t.replace_range(at..at + 3, to);
        let mut loader = MemoryLoader::default();
        loader.insert(b.files[0].0.clone(), b.files[0].1.clone());
        for (k, forget) in [false, true].into_iter().enumerate() {
            if forget {
                b.incremental.forget_checks();
            }
            let start = Instant::now();
            let a = b.incremental.analyse(std::slice::from_ref(&root), &loader, &b.settings);
            times[k].push(start.elapsed());
            let s = b.incremental.check_stats();
            if !forget {
                assert_eq!(s.fallback, None);
                rechecked.push((
                    s.decls_rechecked,
                    s.decls,
                    s.gates_rechecked,
                    s.gates,
                    s.evaluations_rerun,
                    s.evaluations,
                ));
            }
            if forget {
                let start = Instant::now();
                let visible = a.model.visible.clone();
                let checked = compel::check::check_with(&a.files, &a.asts, visible, Default::default());
                times[2].push(start.elapsed());
                drop(checked);
            }
        }
        let start = Instant::now();
        let roots = std::slice::from_ref(&root);
        let a = analyze_project_with_parser(roots, &loader, &b.settings, &mut |f, t, l| cache.parse(f, t, l));
        cache.end_run();
        times[3].push(start.elapsed());
        drop(a);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "edit inside kpi_{middle}'s target: re-checked {:?} (declarations, of them; gates, of them; evaluations, of them)",
        rechecked[0]
    );
    println!("analysis reusing the last check: median {:?}", median(&mut times[0]));
    println!("analysis with the whole check:   median {:?}", median(&mut times[1]));
    println!("the whole check alone:           median {:?}", median(&mut times[2]));
    println!("the analysis before reuse:       median {:?}", median(&mut times[3]));
}
