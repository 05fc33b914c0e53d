//! The queries one fetch sends: KPIs' selectors batched per metric name.
//!
//! A plain KPI reads the raw samples of `metric{labels}`. Sending one query
//! per selector costs a cycle of `compel serve` one round trip per KPI; a
//! policy set of 1,000 initiatives reading `model_accuracy{model="mI"}`
//! would send 1,000 queries for one metric. Instead, the selectors of one
//! metric name are fetched together, so that what the store receives is
//! exactly what the selectors one by one would have brought, series for
//! series and sample for sample:
//!
//! - a selector whose matchers include all of another's (of the same
//!   metric, with at least its lookback) is not sent: the other one's
//!   answer holds every series it matches (`error_ratio` answers
//!   `error_ratio{region="eu"}`);
//! - selectors of one metric with the same lookback and the same label
//!   names that differ in one label only are sent as one selector with a
//!   regular expression over that label's values
//!   (`model_accuracy{model=~"m0|m1|..."}`, each value quoted for RE2 and
//!   then for PromQL; Prometheus anchors the expression), which matches
//!   exactly the union of theirs. Which label varies is chosen per group
//!   to send the fewest queries; a batch stays under
//!   [`MAX_BATCH_BYTES`] of PromQL.
//!
//! The evaluation then picks each KPI's series from the store by its own
//! labels, as from a file: a selector matching two series is ambiguous
//! (unknown), one matching none is missing, whichever query brought them.
//! A failed batch is a source error of its metric, as a failed query of
//! one of its selectors was (source errors are kept per metric). The
//! limits stay per fetch and per series: the bytes of all answers together
//! ([`crate::prometheus::PrometheusClient::max_response_bytes`]) and the
//! samples of each series (`max_samples`), which a batch's answer holds as
//! the single queries' would.
//!
//! A `query` KPI's expression is sent as it is, once per distinct
//! expression, with the longest lookback and the finest resolution asked.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::rational::Rational;
use crate::eval::metrics::{escape_label_value_into, format_selector, Labels};
use crate::eval::plan::KpiFetch;
use crate::prometheus::Query;

/// The most bytes of PromQL one batched selector holds (sent as a form
/// body, see [`crate::prometheus::MAX_GET_QUERY_BYTES`]): a regular
/// expression of some thousand values, which Prometheus matches as a set.
pub const MAX_BATCH_BYTES: usize = 64 * 1024;

/// Selectors with more labels than this are never checked for being
/// covered by another (the check looks up each subset of their labels).
const MAX_COVER_LABELS: usize = 8;

/// One query of a fetch and the KPI fetches it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// What is sent.
    pub query: Query,
    /// Whether it is a `query` KPI's own expression (its results are stored
    /// under [`crate::eval::metrics::query_metric`]).
    pub raw_query: bool,
    /// The metric name of a plain batch (empty for a raw query).
    pub metric: String,
    /// The indices in the fetches of the KPIs it answers.
    pub members: Vec<usize>,
}

/// The queries of `fetches`, each with the fetches it answers: raw queries
/// first (one per distinct expression), then the plain selectors batched
/// per metric name (see the module documentation).
pub fn batches(fetches: &[KpiFetch]) -> Vec<Batch> {
    let mut out = raw_queries(fetches);
    // Each distinct selector with its longest lookback and its fetches.
    let mut selectors: BTreeMap<(&str, &Labels), (i64, Vec<usize>)> = BTreeMap::new();
    for (i, f) in fetches.iter().enumerate().filter(|(_, f)| f.query.is_none()) {
        let e = selectors.entry((f.metric.as_str(), &f.labels)).or_insert((i64::MIN, Vec::new()));
        e.0 = e.0.max(lookback(f));
        e.1.push(i);
    }
    // Selectors covered by another one join its members.
    let mut covered: BTreeMap<(&str, &Labels), Vec<usize>> = BTreeMap::new();
    let mut kept: Vec<((&str, &Labels), i64)> = Vec::new();
    let mut lookbacks: BTreeMap<&str, BTreeMap<&Labels, i64>> = BTreeMap::new();
    for (&(metric, labels), (lb, _)) in &selectors {
        lookbacks.entry(metric).or_default().insert(labels, *lb);
    }
    for (&(metric, labels), (lb, members)) in &selectors {
        match cover(&lookbacks[metric], labels, *lb) {
            Some(by) => covered.entry((metric, by)).or_default().extend(members.iter().copied()),
            None => kept.push(((metric, labels), *lb)),
        }
    }
    // Groups of one metric, lookback and set of label names.
    type Group<'a> = BTreeMap<(&'a str, i64, Vec<&'a str>), Vec<&'a Labels>>;
    let mut groups: Group<'_> = BTreeMap::new();
    for ((metric, labels), lb) in &kept {
        groups.entry((metric, *lb, labels.keys().map(String::as_str).collect())).or_default().push(labels);
    }
    for ((metric, lb, names), group) in groups {
        let members_of = |labels: &Labels| {
            let mut m = selectors[&(metric, labels)].1.clone();
            m.extend(covered.get(&(metric, labels)).into_iter().flatten().copied());
            m
        };
        for (fixed, varying, values) in split(&names, &group) {
            for chunk in chunks(metric, &fixed, varying, values) {
                let expr = match chunk.as_slice() {
                    [(_, one)] => format_selector(metric, one),
                    many => {
                        let values: Vec<&str> = many.iter().map(|(v, _)| *v).collect();
                        regex_selector(metric, &fixed, varying.unwrap_or_default(), &values)
                    }
                };
                let mut m: Vec<usize> = chunk.iter().flat_map(|(_, l)| members_of(l)).collect();
                m.sort_unstable();
                out.push(Batch {
                    query: Query { expr, lookback_secs: lb, resolution_ms: None },
                    raw_query: false,
                    metric: metric.to_string(),
                    members: m,
                });
            }
        }
    }
    out
}

fn lookback(f: &KpiFetch) -> i64 {
    f.lookback.ceil() as i64
}

/// The `query` KPIs' expressions, one query per distinct expression.
fn raw_queries(fetches: &[KpiFetch]) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    for (i, f) in fetches.iter().enumerate() {
        let Some(q) = &f.query else { continue };
        let expr = q.trim();
        let resolution_ms = f.resolution.map(|r| {
            r.mul(Rational::int(1000)).map_or(i64::MAX, |ms| i64::try_from(ms.ceil()).unwrap_or(i64::MAX)).max(1)
        });
        match out.iter_mut().find(|b| b.query.expr == expr) {
            Some(b) => {
                b.query.lookback_secs = b.query.lookback_secs.max(lookback(f));
                b.query.resolution_ms = match (b.query.resolution_ms, resolution_ms) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                b.members.push(i);
            }
            None => out.push(Batch {
                query: Query { expr: expr.to_string(), lookback_secs: lookback(f), resolution_ms },
                raw_query: true,
                metric: String::new(),
                members: vec![i],
            }),
        }
    }
    out
}

/// The selector that covers `labels` among those of its metric (with
/// their lookbacks): one whose pairs are a proper subset of them, with at least `lookback`; of
/// those, one with the fewest labels. That one is covered by nothing
/// itself (what would cover it would cover `labels` with fewer labels).
fn cover<'a>(lookbacks: &BTreeMap<&'a Labels, i64>, labels: &Labels, lookback: i64) -> Option<&'a Labels> {
    let n = labels.len();
    if n == 0 || n > MAX_COVER_LABELS {
        return None;
    }
    let pairs: Vec<(&String, &String)> = labels.iter().collect();
    let mut best: Option<&'a Labels> = None;
    // Each proper subset, by its bit mask.
    for mask in 0u32..(1 << n) - 1 {
        let subset: Labels = pairs
            .iter()
            .enumerate()
            .filter(|(b, _)| mask & (1 << b) != 0)
            .map(|(_, (k, v))| ((*k).clone(), (*v).clone()))
            .collect();
        if let Some((&l, &lb)) = lookbacks.get_key_value(&subset) {
            if lb >= lookback && best.is_none_or(|b| l.len() < b.len()) {
                best = Some(l);
            }
        }
    }
    best
}

/// One set of selectors that differ in one label only: the labels they
/// share, the varying label (`None` for a selector without labels), and
/// each selector by its value of the varying label.
type Split<'a> = (Labels, Option<&'a str>, Vec<(&'a str, &'a Labels)>);

/// Splits selectors sharing their label names into sets that differ in
/// one label only. Picks the label that leaves the fewest sets.
fn split<'a>(names: &[&'a str], selectors: &[&'a Labels]) -> Vec<Split<'a>> {
    let Some(&first) = names.first() else {
        return selectors.iter().map(|&l| (l.clone(), None, vec![("", l)])).collect();
    };
    let others = |name: &str, l: &Labels| -> Labels {
        l.iter().filter(|(k, _)| k.as_str() != name).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    let sets = |name: &str| selectors.iter().map(|l| others(name, l)).collect::<BTreeSet<Labels>>().len();
    let varying = names.iter().copied().min_by_key(|n| sets(n)).unwrap_or(first);
    let mut out: BTreeMap<Labels, Vec<(&'a str, &'a Labels)>> = BTreeMap::new();
    for &l in selectors {
        out.entry(others(varying, l)).or_default().push((l.get(varying).map_or("", String::as_str), l));
    }
    out.into_iter()
        .map(|(fixed, mut values)| {
            values.sort_unstable_by_key(|(v, _)| *v);
            (fixed, Some(varying), values)
        })
        .collect()
}

/// Cuts a split into queries of at most [`MAX_BATCH_BYTES`] of PromQL each
/// (a value longer than that is sent alone, as its own selector).
fn chunks<'a>(
    metric: &str,
    fixed: &Labels,
    varying: Option<&str>,
    values: Vec<(&'a str, &'a Labels)>,
) -> Vec<Vec<(&'a str, &'a Labels)>> {
    let Some(name) = varying else { return vec![values] };
    let base = format_selector(metric, fixed).len() + name.len() + 8;
    let mut out: Vec<Vec<(&'a str, &'a Labels)>> = Vec::new();
    let mut size = base;
    for (value, labels) in values {
        let cost = regex_len(value) + 1;
        match out.last_mut() {
            Some(chunk) if size + cost <= MAX_BATCH_BYTES => {
                chunk.push((value, labels));
                size += cost;
            }
            _ => {
                out.push(vec![(value, labels)]);
                size = base + cost;
            }
        }
    }
    out
}

/// The selector `metric{fixed..., name=~"v1|v2|..."}`, labels in name order.
fn regex_selector(metric: &str, fixed: &Labels, name: &str, values: &[&str]) -> String {
    let mut alternatives = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            alternatives.push('|');
        }
        quote_regex_into(v, &mut alternatives);
    }
    let mut out = String::from(metric);
    out.push('{');
    let mut first = true;
    let regex = (name.to_string(), alternatives);
    let mut pairs: Vec<(&String, &String, bool)> = fixed.iter().map(|(k, v)| (k, v, false)).collect();
    pairs.push((&regex.0, &regex.1, true));
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v, is_regex) in pairs {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(k);
        out.push_str(if is_regex { "=~\"" } else { "=\"" });
        escape_label_value_into(v, &mut out);
        out.push('"');
    }
    out.push('}');
    out
}

/// The RE2 metacharacters (Go's `regexp.QuoteMeta`).
fn is_regex_meta(c: char) -> bool {
    matches!(c, '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$')
}

/// Appends `value` as an RE2 expression matching exactly it.
fn quote_regex_into(value: &str, out: &mut String) {
    for c in value.chars() {
        if is_regex_meta(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The bytes `value` takes in a batched selector, quoted for RE2 and PromQL.
fn regex_len(value: &str) -> usize {
    value
        .chars()
        .map(|c| {
            let meta = usize::from(is_regex_meta(c));
            // PromQL doubles each backslash and escapes `"` and line feeds.
            c.len_utf8() + 2 * meta + usize::from(matches!(c, '\\' | '"' | '\n'))
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch(kpi: &str, metric: &str, labels: &[(&str, &str)], lookback: f64) -> KpiFetch {
        KpiFetch {
            kpi: kpi.into(),
            metric: metric.into(),
            labels: labels.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
            query: None,
            resolution: None,
            max_age: Rational::int(86_400),
            default_max_age: true,
            lookback,
        }
    }

    fn exprs(b: &[Batch]) -> Vec<(&str, i64, Vec<usize>)> {
        b.iter().map(|b| (b.query.expr.as_str(), b.query.lookback_secs, b.members.clone())).collect()
    }

    #[test]
    fn one_query_per_metric_name() {
        let mut fetches = Vec::new();
        for i in 0..300 {
            fetches.push(fetch(&format!("acc_{i}"), "model_accuracy", &[("model", &format!("m{i}"))], 3600.0));
            fetches.push(fetch(&format!("loss_{i}"), "loss_rate", &[("model", &format!("m{i}"))], 3600.0));
        }
        let b = batches(&fetches);
        assert_eq!(b.len(), 2, "{:?}", exprs(&b));
        assert!(b[1].query.expr.starts_with("model_accuracy{model=~\"m0|m1|m10|m100|"), "{}", b[1].query.expr);
        assert_eq!(b[1].members.len(), 300);
        assert!(b[1].members.iter().all(|&i| fetches[i].metric == "model_accuracy"));
        assert!(b.iter().all(|b| b.query.expr.len() <= MAX_BATCH_BYTES));
    }

    #[test]
    fn a_lone_selector_is_sent_word_for_word() {
        let fetches = [fetch("a", "up", &[("job", "api")], 60.0), fetch("b", "lat", &[], 60.0)];
        assert_eq!(exprs(&batches(&fetches)), [("lat", 60, vec![1]), ("up{job=\"api\"}", 60, vec![0])]);
    }

    #[test]
    fn covered_selectors_join_their_cover_and_lookbacks_stay_apart() {
        let fetches = [
            fetch("all", "err", &[], 100.0),
            fetch("eu", "err", &[("region", "eu")], 100.0),
            fetch("eu_api", "err", &[("region", "eu"), ("job", "api")], 50.0),
            // Longer than its cover's lookback: fetched on its own.
            fetch("us", "err", &[("region", "us")], 200.0),
            fetch("us_again", "err", &[("region", "us")], 10.0),
            fetch("x", "lat", &[("region", "eu")], 100.0),
            fetch("y", "lat", &[("region", "us")], 150.0),
        ];
        assert_eq!(
            exprs(&batches(&fetches)),
            [
                ("err", 100, vec![0, 1, 2]),
                ("err{region=\"us\"}", 200, vec![3, 4]),
                ("lat{region=\"eu\"}", 100, vec![5]),
                ("lat{region=\"us\"}", 150, vec![6]),
            ]
        );
    }

    #[test]
    fn the_label_that_varies_most_is_batched() {
        let mut fetches = Vec::new();
        for env in ["prod", "staging"] {
            for i in 0..5 {
                fetches.push(fetch("k", "acc", &[("env", env), ("model", &format!("m{i}"))], 60.0));
            }
        }
        let b = batches(&fetches);
        assert_eq!(
            b.iter().map(|b| b.query.expr.as_str()).collect::<Vec<_>>(),
            ["acc{env=\"prod\",model=~\"m0|m1|m2|m3|m4\"}", "acc{env=\"staging\",model=~\"m0|m1|m2|m3|m4\"}"]
        );
    }

    #[test]
    fn values_are_quoted_for_re2_and_promql() {
        let fetches = [
            fetch("a", "acc", &[("model", "a.b|c\"\\\n(")], 60.0),
            fetch("b", "acc", &[("model", "")], 60.0),
            fetch("c", "acc", &[("model", "x*")], 60.0),
        ];
        let b = batches(&fetches);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].query.expr, r#"acc{model=~"|a\\.b\\|c\"\\\\\n\\(|x\\*"}"#);
        assert_eq!(b[0].members, [0, 1, 2]);
    }

    #[test]
    fn batches_stay_under_the_size_bound() {
        let long = "v".repeat(MAX_BATCH_BYTES);
        let mut fetches: Vec<KpiFetch> =
            (0..3000).map(|i| fetch("k", "acc", &[("model", &format!("model-{i:05}"))], 60.0)).collect();
        fetches.push(fetch("long", "acc", &[("model", &long)], 60.0));
        let b = batches(&fetches);
        assert!(b.len() > 1 && b.len() < 20, "{}", b.len());
        let mut all: Vec<usize> = b.iter().flat_map(|b| b.members.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..fetches.len()).collect::<Vec<_>>(), "every fetch answered once");
        for q in &b {
            assert!(q.query.expr.len() <= MAX_BATCH_BYTES || q.members.len() == 1, "{}", q.query.expr.len());
        }
        assert!(b.iter().any(|q| q.query.expr == format!("acc{{model=\"{long}\"}}")));
    }

    #[test]
    fn raw_queries_are_sent_once_per_expression() {
        let mut a = fetch("a", "x", &[], 60.0);
        a.query = Some(" rate(x[5m]) ".into());
        a.resolution = Some(Rational::int(30));
        let mut b = fetch("b", "x", &[], 120.0);
        b.query = Some("rate(x[5m])".into());
        b.resolution = Some(Rational::int(10));
        let q = batches(&[a, b]);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].query, Query { expr: "rate(x[5m])".into(), lookback_secs: 120, resolution_ms: Some(10_000) });
        assert!(q[0].raw_query && q[0].members == [0, 1]);
    }
}
