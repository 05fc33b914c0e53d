//! The terminal report's rendering, against one rendering at the end.

use super::*;

/// The terminal report of a policy of `n` initiatives without metrics,
/// with the standard policies and one KPI no initiative lists.
fn report(n: usize) -> Report {
    use std::fmt::Write as _;
    let mut text = String::from("import \"std/policies\"\nkpi spare { metric \"s\" unit ratio target <= 1 }\n");
    for i in 0..n {
        let _ = write!(
            text,
            "kpi k{i} {{ metric \"m\" unit percent target >= 90% }}\n\
             initiative i{i} {{\n  owner \"o\"\n  stage model\n  kpis [k{i}]\n  \
             gate model -> produce {{\n    require k{i}\n    expect count(kpis) >= {}\n  }}\n}}\n",
            i % 3
        );
    }
    let mut loader = crate::analysis::MemoryLoader::default();
    loader.insert("p.compel", text);
    let analysis = crate::analysis::analyze(&["p.compel".to_string()], &loader);
    let store = crate::eval::metrics::MetricStore::new();
    crate::eval::evaluate::evaluate(&analysis.model, &analysis.files, &store, &crate::eval::EvalOptions::at(0))
}

fn text_at(r: &Report, color: bool, split: usize, early: Option<&EarlyHuman>) -> String {
    human_at(r, color, split, early).concat()
}

#[test]
fn two_parts_render_the_text_of_one() {
    let r = report(7);
    assert!(!r.policies.is_empty() && r.kpis.iter().any(|k| k.name == "spare"), "a varied report");
    for color in [false, true] {
        let one = text_at(&r, color, r.initiatives.len(), None);
        assert!(one.contains("other KPIs") && one.contains("policies") && one.contains("outcome:"), "{one}");
        for split in 0..r.initiatives.len() {
            assert_eq!(text_at(&r, color, split, None), one, "split at {split}, color {color}");
        }
    }
    assert_eq!(human(&r, false), text_at(&r, false, r.initiatives.len(), None));
    let many = report(HUMAN_TWO_PARTS_FROM);
    let split = human_split(&many);
    assert!(0 < split && split < many.initiatives.len(), "{split}");
    assert_eq!(human(&many, true), text_at(&many, true, many.initiatives.len(), None));
}

/// Blocks of initiatives rendered as they were evaluated give the text
/// rendered at the end: with chunks across the split of the two parts,
/// a chunk missing, an initiative asked about since, and chunks in
/// other colours (left unused).
#[test]
fn blocks_rendered_early_give_the_text_of_one() {
    use crate::eval::report::Chunks;
    let mut r = report(7);
    let n = r.initiatives.len();
    let early = |r: &Report, color: bool, skip: usize| {
        let chunks = (0..n)
            .step_by(2)
            .filter(|s| *s != skip)
            .map(|s| (s..(s + 2).min(n), human_initiatives(&r.initiatives[s..(s + 2).min(n)], color, 0)));
        // The policies rendered early too, but for the chunk left out.
        let policies = (skip == n).then(|| human_policies_text(&r.policies, color));
        EarlyHuman { color, chunks: Chunks::new(chunks.collect()).unwrap(), policies }
    };
    for color in [false, true] {
        let one = text_at(&r, color, n, None);
        for split in 0..=n {
            assert_eq!(text_at(&r, color, split, Some(&early(&r, color, 2))), one, "split at {split}");
        }
        assert_eq!(human_early(&r, color, Some(&early(&r, !color, n))), one, "other colours");
    }
    let made = early(&r, false, n);
    r.initiatives[1].asked = true;
    r.tally();
    let one = text_at(&r, false, n, None);
    assert!(one.contains("(asked with --ready)"), "{one}");
    assert_eq!(text_at(&r, false, n, Some(&made)), one, "asked since");
}

/// The KPIs no initiative lists are found by name: the report's own list
/// (shared with the initiatives) by address, and a report of the same name
/// made apart is listed all the same.
#[test]
fn the_kpis_no_initiative_lists_are_found_by_name() {
    let mut r = report(3);
    let names = |r: &Report| unlisted_kpis(r).iter().map(|k| k.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&r), ["spare"]);
    let listed = r.initiatives[1].kpis[0].clone();
    assert!(r.kpis.iter().any(|k| Arc::ptr_eq(k, &listed)), "shared with the list");
    r.kpis.push(Arc::new(KpiReport::clone(&listed)));
    let mut new = KpiReport::clone(&listed);
    new.name = "new".to_string();
    r.kpis.push(Arc::new(new));
    assert_eq!(names(&r), ["spare", "new"]);
    r.initiatives.iter_mut().for_each(|i| i.kpis.clear());
    assert_eq!(names(&r).len(), r.kpis.len(), "none listed");
}
