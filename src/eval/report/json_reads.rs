//! The store's series formatted beforehand as the JSON report's reads
//! write them: each series' selector as a JSON string, and each of its
//! samples as a line of a read's `samples` list.
//!
//! A read names its series by selector, and its samples are a run of the
//! series' samples: the latest one, or those of a window. Formatted while
//! the report is written, every read escapes its selector (whose quotes
//! send it the slow way) and formats each sample's time and value anew:
//! about a twentieth of `compel eval`'s evaluation on the
//! 10,000-initiative workload. `compel eval` formats them on the thread
//! that reads the metrics, which is otherwise idle while the policy is
//! analysed ([`crate::eval::evaluate::SeriesIndex::with_exact_values`]);
//! a read then copies its run of lines.
//!
//! Each line is what the report's writer writes for that sample at that
//! depth (the same writer made it), and a read takes the lines only when
//! its samples are, time and value bits, exactly the series' samples from
//! the first one's time on: the bytes are the same as formatting them.

use std::collections::HashMap;

use super::json_write::JsonWriter;
use super::{Num, SampleRecord, Time};
use crate::eval::metrics::Series;

/// The depth of the values of a read's `samples` list: the report
/// (1), its `reads` (2), the read (3), its `samples` (4).
pub(super) const SAMPLES_DEPTH: usize = 4;

/// Series formatted beforehand, by selector.
#[derive(Default)]
pub(crate) struct FormattedSeries<'a> {
    /// By selector: text from metric data, so the standard, seeded hash
    /// (chosen selectors cannot make the lookup slow).
    by_selector: HashMap<Box<str>, Formatted<'a>>,
}

/// One series formatted.
pub(super) struct Formatted<'a> {
    series: &'a Series,
    /// The selector as a JSON string, quotes included.
    json: Box<[u8]>,
    /// Each sample as a value of a read's `samples` list after its first
    /// (a comma, a line break, the indent, `[time, value]`), one after the
    /// other: sample `i` ends at `ends[i]`.
    lines: Box<[u8]>,
    ends: Box<[u32]>,
}

impl<'a> FormattedSeries<'a> {
    /// Room for `n` series.
    pub(crate) fn with_capacity(n: usize) -> Self {
        FormattedSeries { by_selector: HashMap::with_capacity(n) }
    }

    /// Formats `series`, whose selector is `selector`. A series whose
    /// lines would pass 4 GiB is left out (its reads are formatted as
    /// they are written).
    pub(crate) fn add(&mut self, series: &'a Series, selector: &str) {
        let mut w = JsonWriter::piece(Vec::new(), 0, true);
        w.str(selector);
        let json = w.into_buffer().into_boxed_slice();
        // Formatted by the writer at the samples' depth, each after a
        // value (so with its comma).
        let mut w = JsonWriter::piece(Vec::new(), SAMPLES_DEPTH, false);
        let mut ends = Vec::with_capacity(series.samples.len());
        for s in &series.samples {
            w.item();
            w.buf_inline_pair(Time(s.time), Num(s.value));
            let Ok(end) = u32::try_from(w.written()) else { return };
            ends.push(end);
        }
        let formatted =
            Formatted { series, json, lines: w.into_buffer().into_boxed_slice(), ends: ends.into_boxed_slice() };
        self.by_selector.insert(selector.into(), formatted);
    }

    /// Whether no series was formatted.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_selector.is_empty()
    }

    /// The series whose selector is `selector`, if it was formatted.
    pub(super) fn get(&self, selector: &str) -> Option<&Formatted<'a>> {
        self.by_selector.get(selector)
    }
}

impl Formatted<'_> {
    /// The selector as a JSON string.
    pub(super) fn json(&self) -> &[u8] {
        &self.json
    }

    /// The lines of `samples` (not empty), each a value of a `samples`
    /// list after its first, if they are exactly the series' samples from
    /// the first one's time on.
    pub(super) fn lines(&self, samples: &[SampleRecord]) -> Option<&[u8]> {
        let all = &self.series.samples;
        let first = all.binary_search_by_key(&samples.first()?.time.0, |s| s.time).ok()?;
        let run = all.get(first..first + samples.len())?;
        let same = run.iter().zip(samples).all(|(s, r)| s.time == r.time.0 && s.value.to_bits() == r.value.0.to_bits());
        if !same {
            return None;
        }
        let start = if first == 0 { 0 } else { self.ends[first - 1] as usize };
        let end = self.ends[first + samples.len() - 1] as usize;
        self.lines.get(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::metrics::{Labels, Sample};

    fn series(samples: &[(i64, f64)]) -> Series {
        let mut labels = Labels::new();
        labels.insert("model".to_string(), "a\"b".to_string());
        Series {
            metric: "acc".to_string(),
            labels,
            samples: samples.iter().map(|&(time, value)| Sample { time, value }).collect(),
            conflicts: Vec::new(),
            sources: Vec::new(),
        }
    }

    fn records(samples: &[(i64, f64)]) -> Vec<SampleRecord> {
        samples.iter().map(|&(t, v)| SampleRecord { time: Time(t), value: Num(v) }).collect()
    }

    /// A `samples` list as the writer formats it, at the depth of a read's.
    fn written(list: &[SampleRecord]) -> Vec<u8> {
        let mut w = JsonWriter::piece(Vec::new(), SAMPLES_DEPTH - 1, false);
        w.list(list, |w, s| w.buf_inline_pair(s.time, s.value));
        w.into_buffer()
    }

    /// The same list from the lines formatted beforehand.
    fn copied(f: &Formatted<'_>, list: &[SampleRecord]) -> Option<Vec<u8>> {
        let lines = f.lines(list)?;
        let mut w = JsonWriter::piece(Vec::new(), SAMPLES_DEPTH - 1, false);
        w.open_list();
        w.items_formatted(lines);
        w.close_list();
        Some(w.into_buffer())
    }

    #[test]
    fn a_run_of_the_series_reads_as_formatted_anew() {
        const S: i64 = 1_000_000_000;
        let all = [(S, 93.0), (2 * S, 93.93), (3 * S, -0.0), (4 * S, 1e21), (5 * S, f64::NAN), (6 * S, 0.000707)];
        let s = series(&all);
        let selector = s.selector();
        let mut formatted = FormattedSeries::with_capacity(1);
        formatted.add(&s, &selector);
        let f = formatted.get(&selector).expect("formatted");
        // The selector's quotes are escaped, as the writer escapes them.
        let mut w = JsonWriter::piece(Vec::new(), 0, true);
        w.str(&selector);
        assert_eq!(f.json(), w.into_buffer().as_slice());
        assert!(formatted.get("acc").is_none());
        // Every run: the first sample, the last, the middle, all.
        for from in 0..all.len() {
            for to in from + 1..=all.len() {
                let list = records(&all[from..to]);
                assert_eq!(copied(f, &list), Some(written(&list)), "samples {from}..{to}");
            }
        }
    }

    #[test]
    fn samples_that_are_not_a_run_of_the_series_are_formatted_anew() {
        const S: i64 = 1_000_000_000;
        let all = [(S, 1.0), (2 * S, 2.0), (3 * S, 3.0)];
        let s = series(&all);
        let mut formatted = FormattedSeries::with_capacity(1);
        formatted.add(&s, &s.selector());
        let f = formatted.get(&s.selector()).expect("formatted");
        for list in [
            // Another value at a series' time (its bits: 0 and -0 differ).
            vec![(S, 1.0), (2 * S, 2.5)],
            vec![(S, 1.0), (2 * S, 2.0), (3 * S, -3.0)],
            // A time the series does not have, first or later.
            vec![(S + 1, 1.0)],
            vec![(S, 1.0), (3 * S, 3.0)],
            // Past the series' last sample.
            vec![(2 * S, 2.0), (3 * S, 3.0), (4 * S, 4.0)],
            // None.
            vec![],
        ] {
            assert_eq!(f.lines(&records(&list)), None, "{list:?}");
        }
        let zero = series(&[(S, 0.0)]);
        let mut formatted = FormattedSeries::with_capacity(1);
        formatted.add(&zero, &zero.selector());
        let f = formatted.get(&zero.selector()).expect("formatted");
        assert_eq!(f.lines(&records(&[(S, -0.0)])), None);
        assert!(f.lines(&records(&[(S, 0.0)])).is_some());
    }
}
