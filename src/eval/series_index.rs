//! The store's series indexed by metric and label pair, and optionally
//! the exact value of every sample.

use std::collections::HashMap;

use super::ahead::Ahead;

use crate::check::rational::Rational;
use crate::eval::fast_hash::FastMap;
use crate::eval::metrics::{matches_pairs, pairs, Labels, MetricStore, Sample, Selection, Series};

/// The store's series indexed by metric and by label pair, so selecting
/// one of many series of a metric does not scan them all. Selects exactly
/// as [`MetricStore::select`] does (same matches, same order).
///
/// Made with [`SeriesIndex::with_exact_values`], it also holds the exact
/// [`Rational`] of every finite sample value of the store, by series and
/// sample: `compel eval` makes it while the policy is analysed, so that
/// the evaluation looks each value up instead of converting it
/// ([`Rational::from_f64`], a few hundred instructions) on every read.
pub(crate) struct SeriesIndex<'a> {
    metrics: HashMap<&'a str, MetricSeries<'a>>,
    /// The store's distinct sample values, converted: `Rational::from_f64`
    /// of each (empty unless made by [`SeriesIndex::with_exact_values`]).
    values: Vec<Option<Rational>>,
    /// What was made beforehand for each series, by the series' address
    /// (an address the program made, so the fast hash): its selector
    /// ([`Series::selector`]) and, for each of its samples in order, the
    /// place of its value in `values`.
    series: FastMap<usize, Made>,
    /// The KPIs' statuses read ahead, while the policy was analysed
    /// ([`super::ahead`]).
    pub(super) ahead: Option<Box<Ahead<'a>>>,
}

/// What [`SeriesIndex::with_exact_values`] made for one series.
struct Made {
    selector: String,
    /// For each sample, its value's place in [`SeriesIndex::values`]
    /// (`u32::MAX` for a value that is not finite).
    values: Box<[u32]>,
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
        SeriesIndex { metrics, values: Vec::new(), series: FastMap::default(), ahead: None }
    }

    /// Indexes every series of `store`, converts every finite sample value
    /// to its exact [`Rational`] once and formats every series' selector
    /// (the command line does this on the thread that reads the metrics
    /// while the policy is analysed).
    #[cfg_attr(not(feature = "cli"), expect(dead_code))]
    pub(crate) fn with_exact_values(store: &'a MetricStore) -> SeriesIndex<'a> {
        let mut index = SeriesIndex::new(store);
        // Each distinct value converted once, by its bits. The keys come
        // from metric data: the standard, seeded hash, never the fast one,
        // so chosen values cannot make it slow.
        let mut places: HashMap<u64, u32> = HashMap::new();
        let mut series = FastMap::default();
        series.reserve(store.len());
        for s in store.iter() {
            let values = s
                .samples
                .iter()
                .map(|sample| {
                    if !sample.value.is_finite() {
                        return u32::MAX;
                    }
                    // Past `u32::MAX` values (never under the input's
                    // limit), the rest are converted when read.
                    *places.entry(sample.value.to_bits()).or_insert_with(|| {
                        index.values.push(Rational::from_f64(sample.value));
                        u32::try_from(index.values.len() - 1).unwrap_or(u32::MAX)
                    })
                })
                .collect();
            series.insert(address(s), Made { selector: s.selector(), values });
        }
        index.series = series;
        index
    }

    /// `Rational::from_f64` of the value of `sample`, a sample of `series`
    /// (one of the store's, or a copy of one): looked up by the sample's
    /// time when made beforehand and the sample there has the same value,
    /// computed otherwise (the same function of the value's bits either
    /// way).
    pub(super) fn exact(&self, series: &Series, sample: &Sample) -> Option<Rational> {
        match self.converted(series, sample) {
            Some(q) => *q,
            None => Rational::from_f64(sample.value),
        }
    }

    /// The value of `sample` as converted beforehand, if it was: `series`
    /// is one of the store's, has a sample at that time, and its value
    /// there has the same bits.
    fn converted(&self, series: &Series, sample: &Sample) -> Option<&Option<Rational>> {
        let made = self.series.get(&address(series))?;
        let at = series.samples.binary_search_by_key(&sample.time, |s| s.time).ok()?;
        let same = series.samples[at].value.to_bits() == sample.value.to_bits();
        let place = *made.values.get(at).filter(|_| same)?;
        self.values.get(place as usize)
    }

    /// The KPIs' statuses read ahead, if they were ([`super::ahead`]).
    pub(super) fn ahead(&self) -> Option<&Ahead<'a>> {
        self.ahead.as_deref()
    }

    /// The selector of `series` (one of the store's), if it was formatted
    /// beforehand.
    pub(super) fn selector(&self, series: &Series) -> Option<&str> {
        self.series.get(&address(series)).map(|made| made.selector.as_str())
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

    /// Every sample's value looked up is its conversion: the store's
    /// samples, copies of them, samples at a time the series has with
    /// another value, at a time it does not have, and of a series not in
    /// the store; each distinct finite value is converted once.
    #[test]
    fn a_looked_up_value_is_the_converted_one() {
        let values = [93.93, 0.000707, -0.0, 0.0, 1e300, 5e-324, f64::NAN, f64::INFINITY, 93.93, 2.5];
        let samples: Vec<Sample> =
            values.iter().enumerate().map(|(i, v)| Sample { time: i as i64, value: *v }).collect();
        let twin = Series::with_samples("n", Labels::default(), samples.iter().rev().copied().collect());
        let store: MetricStore =
            [Series::with_samples("m", Labels::default(), samples.clone()), twin.clone()].into_iter().collect();
        let index = SeriesIndex::with_exact_values(&store);
        assert_eq!(index.values.len(), 7, "every distinct finite value, once");
        let plain = SeriesIndex::new(&store);
        let mut asked: Vec<Sample> = samples.clone();
        asked.extend(samples.iter().map(|s| Sample { time: s.time, value: s.value * 3.0 + 1.0 }));
        asked.extend([Sample { time: 99, value: 7.25 }, Sample { time: -1, value: 93.93 }]);
        for series in store.iter().chain([&twin]) {
            let of_store = !std::ptr::eq(series, &twin);
            for s in series.samples.iter().chain(&asked) {
                let expected = Rational::from_f64(s.value);
                let at = format!("{} at {}: {}", series.metric, s.time, s.value);
                assert_eq!(index.exact(series, s), expected, "{at}");
                assert_eq!(plain.exact(series, s), expected, "{at}");
                // Looked up for the store's finite samples (and copies of
                // them) only.
                let same = |x: &Sample| x.time == s.time && x.value.to_bits() == s.value.to_bits();
                let own = of_store && s.value.is_finite() && series.samples.iter().any(same);
                assert_eq!(index.converted(series, s).is_some(), own, "{at}");
                assert!(plain.converted(series, s).is_none(), "{at}");
            }
        }
        let series = store.iter().next().unwrap();
        assert_eq!(index.selector(series), Some(series.selector().as_str()), "formatted beforehand");
        assert_eq!(plain.selector(series), None);
        assert_eq!(index.selector(&twin), None, "not one of the store's");
    }
}
