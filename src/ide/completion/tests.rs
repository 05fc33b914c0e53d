//! Completion by cursor context over the examples.

use super::*;
use crate::ide::test_support::{analyse, ACME, PEOPLE};

fn labels_at(src_with_cursor: &str) -> Vec<String> {
    let offset = src_with_cursor.find('|').expect("a cursor");
    let text = src_with_cursor.replacen('|', "", 1);
    let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE), ("new.compel", &text)]);
    let _ = file;
    let new = a.files.find("new.compel");
    complete(&[Source { analysis: &a, file: new }], &text, offset, None, false).into_iter().map(|i| i.label).collect()
}

#[test]
fn completes_by_context() {
    let head = "import \"acme.compel\"\n";
    let sponsor = labels_at(&format!("{head}program p {{\n  sponsor |\n}}\n"));
    assert_eq!(sponsor, ["dana", "priya"]);
    let stage = labels_at(&format!("{head}initiative i {{\n  stage |"));
    assert_eq!(stage, ["calibrate", "organize", "model", "produce", "evaluate", "learn"]);
    let kpis = labels_at(&format!("{head}initiative i {{\n  kpis [accuracy, |]\n}}\n"));
    assert_eq!(kpis, ["fraud_loss_rate", "latency_p95"]);
    let members = labels_at(&format!("{head}kpi k {{\n  metric \"m\"\n  |\n}}\n"));
    assert_eq!(members[0], "target");
    assert!(!members.contains(&"metric".to_string()));
    let crit = labels_at(&format!("{head}gate model -> produce {{\n  require a|\n}}\n"));
    for want in ["accuracy", "program", "datasets", "avg", "and"] {
        assert!(crit.contains(&want.to_string()), "{want} missing from {crit:?}");
    }
    let field = labels_at(&format!("{head}gate model -> produce {{\n  require program.|\n}}\n"));
    assert!(field.contains(&"approved_until".to_string()), "{field:?}");
    let var = labels_at(&format!("{head}gate model -> produce {{\n  require any(m in monitors: m.kind == |)\n}}\n"));
    assert_eq!(var[0], "data_quality");
    let unit = labels_at(&format!("{head}gate model -> produce {{\n  require accuracy for 7|\n}}\n"));
    assert!(unit.contains(&"d".to_string()), "{unit:?}");
    let top = labels_at(&format!("{head}|"));
    assert!(top.contains(&"kpi".to_string()) && top.contains(&"policy".to_string()), "{top:?}");
    let role = labels_at(&format!("{head}person p {{\n  name \"P\"\n  role C|"));
    assert!(role.contains(&"CFO".to_string()), "{role:?}");
}

#[test]
fn units_after_a_number_follow_the_value() {
    let pct = labels_at("kpi k {\n  metric \"m\"\n  unit percent\n  target >= 92|\n}\n");
    assert_eq!(pct[0], "%");
    assert!(!pct.contains(&"USD".to_string()), "{pct:?}");
    let money = labels_at("kpi k {\n  metric \"m\"\n  target <= 5000|\n  unit CHF // francs\n}\n");
    assert_eq!(money[0], "CHF", "{money:?}");
    assert!(!money.contains(&"%".to_string()), "{money:?}");
    let budget = labels_at("program p {\n  budget 1_000|\n}\n");
    assert_eq!(budget.len(), CURRENCIES.len(), "{budget:?}");
    let no_unit = labels_at("kpi k {\n  metric \"m\"\n  target <= 5|\n}\n");
    assert!(no_unit.contains(&"%".to_string()) && no_unit.contains(&"EUR".to_string()), "{no_unit:?}");
}
