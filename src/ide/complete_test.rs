//! Completion inside `test` blocks: the statement keywords, then the
//! initiative, stages, KPI, policy, subject and outcome words an
//! assertion takes in turn.

use super::{names_of_kind, snippet, stages, symbol_item, visible, Out, Source};
use crate::check::{Kind, Symbol};

pub(super) fn test_statement(sources: &[Source<'_>], out: &mut Out, words: &[String]) {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let outcomes = [
        ("pass", "every criterion holds"),
        ("warn", "passes with warnings"),
        ("fail", "blocks"),
        ("unknown", "cannot be decided: blocks"),
    ];
    match w.as_slice() {
        [] => {
            out.push(snippet("now", "the evaluation time", "now ${1:2026-11-24T00:00:00Z}", "0"));
            out.push(snippet("metrics", "a metrics file", "metrics \"${1:metrics.json}\"", "0"));
            out.push(snippet(
                "series",
                "inline samples",
                "series \"${1:metric}\" {\n  at ${2:2026-11-24T00:00:00Z} ${3:1}\n}",
                "1",
            ));
            out.keyword("expect", "0");
        }
        ["expect"] => {
            out.keyword("gate", "0");
            out.keyword("kpi", "0");
            out.keyword("policy", "0");
        }
        ["expect", "gate"] => names_of_kind(sources, out, Kind::Initiative, "0", |_| true),
        ["expect", "gate", _] => stages(sources, out, None),
        ["expect", "gate", _, from, "->"] => stages(sources, out, Some(from)),
        ["expect", "gate", _, _, "->", _] | ["expect", "kpi", _] | ["expect", "policy", _, "on", _] => {
            out.keyword("==", "0")
        }
        ["expect", "gate", _, _, "->", _, "=="] | ["expect", "policy", _, "on", _, "=="] => {
            for (v, d) in outcomes {
                out.value(v, d);
            }
        }
        ["expect", "kpi"] => names_of_kind(sources, out, Kind::Kpi, "0", |_| true),
        ["expect", "kpi", _, "=="] => {
            for (v, d) in [
                ("met", "the target is met"),
                ("at_risk", "met, but past the warn threshold"),
                ("missed", "the target is missed"),
                ("unknown", "no fresh data"),
            ] {
                out.value(v, d);
            }
        }
        ["expect", "policy"] => {
            for src in sources {
                let mut found: Vec<(String, Symbol)> =
                    visible(src).filter(|(_, s)| matches!(s, Symbol::Policy(_))).collect();
                found.sort_by(|x, y| x.0.cmp(&y.0));
                for (name, sym) in found {
                    out.push(symbol_item(src, &name, sym, "0"));
                }
            }
        }
        ["expect", "policy", _] => out.keyword("on", "0"),
        ["expect", "policy", policy, "on"] => {
            let subject = sources.iter().find_map(|src| match src.analysis.model.lookup(src.file?, policy)? {
                Symbol::Policy(i) => src.analysis.model.policies[i].subject,
                _ => None,
            });
            if let Some(k) = subject {
                names_of_kind(sources, out, k, "0", |_| true);
            }
        }
        _ => {}
    }
}
