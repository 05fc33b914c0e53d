//! The store's series indexed by metric and label pair, and optionally
//! the exact value of every sample.

use std::collections::HashMap;

use crate::check::rational::Rational;
use crate::eval::fast_hash::FastMap;
use crate::eval::metrics::{matches_pairs, pairs, Labels, MetricStore, Selection, Series};

/// The store's series indexed by metric and by label pair, so selecting
/// one of many series of a metric does not scan them all. Selects exactly
/// as [`MetricStore::select`] does (same matches, same order).
///
/// Made with [`SeriesIndex::with_exact_values`], it also holds the exact
/// [`Rational`] of every finite sample value of the store, by the value's
/// bits: `compel eval` makes it while the policy is analysed, so that the
/// evaluation looks each value up instead of converting it
/// ([`Rational::from_f64`], a few hundred instructions) on every read.
pub(crate) struct SeriesIndex<'a> {
    metrics: HashMap<&'a str, MetricSeries<'a>>,
    /// `Rational::from_f64(v)` by `v.to_bits()`, for every finite sample
    /// value (empty unless made by [`SeriesIndex::with_exact_values`]).
    /// The keys come from metric data: the standard, seeded hash, never
    /// the fast one, so chosen values cannot make it slow.
    exact: HashMap<u64, Option<Rational>>,
    /// Each series' selector ([`Series::selector`]) by the series'
    /// address, formatted beforehand (empty unless made by
    /// [`SeriesIndex::with_exact_values`]).
    selectors: FastMap<usize, String>,
}

#[derive(Default)]
struct MetricSeries<'a> {
    /// Every series of the metric, in the store's order.
    all: Vec<&'a Series>,
    /// For each `(label, value)`, the positions in `all` of the series
    /// carrying it, ascending.
    postings: HashMap<(&'a str, &'a str), Vec<usize>>,
}

impl<'a> SeriesIndex<'a> {
    /// Indexes every series of `store`.
    pub(crate) fn new(store: &'a MetricStore) -> SeriesIndex<'a> {
        let mut metrics: HashMap<&'a str, MetricSeries<'a>> = HashMap::new();
        for s in store.iter() {
            let m = metrics.entry(s.metric.as_str()).or_default();
            let at = m.all.len();
            m.all.push(s);
            for (k, v) in &s.labels {
                m.postings.entry((k.as_str(), v.as_str())).or_default().push(at);
            }
        }
        SeriesIndex { metrics, exact: HashMap::new(), selectors: FastMap::default() }
    }

    /// Indexes every series of `store`, converts every finite sample value
    /// to its exact [`Rational`] once and formats every series' selector
    /// (the command line does this on the thread that reads the metrics
    /// while the policy is analysed).
    #[cfg_attr(not(feature = "cli"), expect(dead_code))]
    pub(crate) fn with_exact_values(store: &'a MetricStore) -> SeriesIndex<'a> {
        let mut index = SeriesIndex::new(store);
        for s in store.iter() {
            for sample in &s.samples {
                if sample.value.is_finite() {
                    index.exact.entry(sample.value.to_bits()).or_insert_with(|| Rational::from_f64(sample.value));
                }
            }
        }
        index.selectors = store.iter().map(|s| (address(s), s.selector())).collect();
        index
    }

    /// `Rational::from_f64(value)`: looked up when made once beforehand,
    /// computed otherwise (the same function of the value's bits either
    /// way).
    pub(super) fn exact(&self, value: f64) -> Option<Rational> {
        match self.exact.get(&value.to_bits()) {
            Some(q) => *q,
            None => Rational::from_f64(value),
        }
    }

    /// The selector of `series` (one of the store's), if it was formatted
    /// beforehand.
    pub(super) fn selector(&self, series: &Series) -> Option<&str> {
        self.selectors.get(&address(series)).map(String::as_str)
    }

    pub(super) fn select(&self, metric: &str, selector: &Labels) -> Vec<&'a Series> {
        self.select_pairs(metric, pairs(selector))
    }

    /// [`SeriesIndex::select`] with the selector's pairs, sorted by label,
    /// once each (as a map's).
    fn select_pairs<'p>(
        &self,
        metric: &str,
        selector: impl Iterator<Item = (&'p str, &'p str)> + Clone,
    ) -> Vec<&'a Series> {
        let Some(m) = self.metrics.get(metric) else { return Vec::new() };
        // The shortest posting list of a pair that requires a label value;
        // pairs with an empty value (the label must be absent) cannot narrow.
        let mut best: Option<&Vec<usize>> = None;
        for (k, v) in selector.clone().filter(|(_, v)| !v.is_empty()) {
            match m.postings.get(&(k, v)) {
                None => return Vec::new(),
                Some(list) if best.is_none_or(|b| list.len() < b.len()) => best = Some(list),
                Some(_) => {}
            }
        }
        let keep = |s: &&'a Series| matches_pairs(&s.labels, selector.clone());
        match best {
            Some(list) => list.iter().map(|i| m.all[*i]).filter(keep).collect(),
            None => m.all.iter().copied().filter(keep).collect(),
        }
    }

    /// The one series of `metric` that the selector's pairs (sorted by
    /// label, once each: a KPI's declared `labels`, without making a map)
    /// select, as [`MetricStore::select_one`] selects it.
    pub(crate) fn select_one_pairs<'p>(
        &self,
        metric: &str,
        selector: impl Iterator<Item = (&'p str, &'p str)> + Clone,
    ) -> Selection<'a> {
        let mut found = self.select_pairs(metric, selector);
        match found.len() {
            0 => Selection::None,
            1 => Selection::One(found.remove(0)),
            _ => Selection::Ambiguous(found),
        }
    }
}

/// A series by its address: the store is borrowed while the index is, so
/// its series do not move.
fn address(series: &Series) -> usize {
    series as *const Series as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::metrics::Sample;

    #[test]
    fn a_looked_up_value_is_the_converted_one() {
        let values = [93.93, 0.000707, -0.0, 0.0, 1e300, 5e-324, f64::NAN, f64::INFINITY];
        let samples = values.iter().enumerate().map(|(i, v)| Sample { time: i as i64, value: *v }).collect();
        let store: MetricStore = [Series::with_samples("m", Labels::default(), samples)].into_iter().collect();
        let index = SeriesIndex::with_exact_values(&store);
        assert_eq!(index.exact.len(), 6, "every finite value, by its bits");
        let plain = SeriesIndex::new(&store);
        for v in values.iter().chain(&[2.5, -7.0]) {
            assert_eq!(index.exact(*v), Rational::from_f64(*v), "{v}");
            assert_eq!(plain.exact(*v), Rational::from_f64(*v), "{v}");
        }
        let series = store.iter().next().unwrap();
        assert_eq!(index.selector(series), Some(series.selector().as_str()), "formatted beforehand");
        assert_eq!(plain.selector(series), None);
    }
}
