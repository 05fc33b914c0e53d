//! The JSON metrics formats.
//!
//! **Series form**: an object whose only key is `series`, a list of series:
//!
//! ```json
//! {"series": [
//!   {"metric": "fraud_model_accuracy",
//!    "labels": {"model": "scoring-v2"},
//!    "samples": [["2026-11-23T00:00:00Z", 93.5], ["2026-11-24T00:00:00Z", 93.4]]}
//! ]}
//! ```
//!
//! `metric` is a non-empty string, `labels` (optional) an object of string
//! values, `samples` a list of `[time, value]` pairs: the time an RFC 3339
//! string, the value a JSON number or one of the strings `"NaN"`, `"+Inf"`,
//! `"-Inf"`. Entries with the same metric and labels are merged.
//!
//! **Snapshot form**: an object mapping a selector to a number, each value
//! one sample taken at the snapshot's `"@time"` (an RFC 3339 string):
//! `{"@time": "2026-11-24T00:00:00Z", "fraud_model_accuracy{model=\"v2\"}": 95.2}`.
//! Without `"@time"` the values are taken at the stated sample time
//! (`--sample-time`); with neither the file is unusable, so a stale export
//! never looks fresh. Both given and different is an error too. Keys follow
//! [`super::parse_selector`]; the same series twice is an error.
//!
//! Every error names the place in the document (`series[2].samples[4]`)
//! and carries serde_json's line and column.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{parse_selector, strip_bom};
use crate::eval::metrics::{format_rfc3339, format_selector, parse_rfc3339, Labels, MetricsError, Sample, Series};
use places::{KeyAt, KeySeed, SeriesAt};

/// Reads a JSON metrics document (series or snapshot form, see the module
/// docs). Snapshot values become one sample at the snapshot's `"@time"`,
/// or at `sample_time` (Unix nanoseconds) when it has none.
pub fn read_json(text: &str, sample_time: Option<i64>) -> Result<Vec<Series>, MetricsError> {
    let text = strip_bom(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let series = Top { sample_time }
        .deserialize(&mut de)
        .and_then(|s| de.end().map(|()| s))
        .map_err(|e| convert_error(text, &e))?;
    Ok(series)
}

/// A serde_json error as a [`MetricsError`], with a 1-based character column.
fn convert_error(text: &str, err: &serde_json::Error) -> MetricsError {
    let full = err.to_string();
    let (line, column) = (err.line(), err.column());
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let message = match message {
        "EOF while parsing a value" => "the document ends where a value was expected".to_string(),
        "EOF while parsing an object" => "the document ends inside an object (a `}` is missing)".to_string(),
        "EOF while parsing a list" => "the document ends inside a list (a `]` is missing)".to_string(),
        "EOF while parsing a string" => "the document ends inside a string (a `\"` is missing)".to_string(),
        "trailing characters" => "unexpected text after the end of the document".to_string(),
        m => m.to_string(),
    };
    if line == 0 {
        return MetricsError::new(message);
    }
    // serde_json counts columns in bytes; we count characters.
    let line_text = text.split('\n').nth(line - 1).unwrap_or("");
    let mut byte = column.saturating_sub(1).min(line_text.len());
    while !line_text.is_char_boundary(byte) {
        byte -= 1;
    }
    let column = line_text[..byte].chars().count() + 1;
    MetricsError::at(line, column, message)
}

/// A JSON scalar, or the kind of a compound value that was skipped. A
/// string is borrowed from the document when it has no escapes.
#[derive(Debug)]
enum Leaf<'de> {
    Number(f64),
    Str(Cow<'de, str>),
    Bool,
    Null,
    Array,
    Object,
}

impl Leaf<'_> {
    fn describe(&self) -> String {
        match self {
            Leaf::Number(_) => "a number".to_string(),
            Leaf::Str(s) => format!("the string {}", quote(s)),
            Leaf::Bool => "a boolean".to_string(),
            Leaf::Null => "null".to_string(),
            Leaf::Array => "a list".to_string(),
            Leaf::Object => "an object".to_string(),
        }
    }

    /// A sample value: a number or one of the strings `NaN`, `+Inf`, `-Inf`.
    fn as_value(&self) -> Option<f64> {
        match self {
            Leaf::Number(n) => Some(*n),
            Leaf::Str(s) => match s.as_ref() {
                "NaN" => Some(f64::NAN),
                "+Inf" => Some(f64::INFINITY),
                "-Inf" => Some(f64::NEG_INFINITY),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `s` as a JSON string, shortened when long.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    let shortened = short.len() < s.len();
    let quoted = serde_json::Value::String(short).to_string();
    if shortened {
        format!("{quoted}...")
    } else {
        quoted
    }
}

/// Why a value is not a sample value, in words.
fn bad_value(path: &str, found: &Leaf<'_>) -> String {
    match found {
        Leaf::Str(s) if s.parse::<f64>().is_ok() => format!(
            "{path}: expected a number for the sample value, found the string {} (write numbers without quotes)",
            quote(s)
        ),
        Leaf::Str(s) => format!(
            "{path}: expected a number for the sample value, found the string {} (only \"NaN\", \"+Inf\" and \"-Inf\" may be strings)",
            quote(s)
        ),
        other => format!("{path}: expected a number for the sample value, found {}", other.describe()),
    }
}

/// A path step for an object key: `.name` or `["odd key"]`.
fn key_step(key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{key}")
    } else {
        format!("[{}]", serde_json::Value::String(key.to_string()))
    }
}

/// Reads any value, keeping scalars and skipping the content of compounds.
struct LeafSeed;

impl<'de> DeserializeSeed<'de> for LeafSeed {
    type Value = Leaf<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Leaf<'de>, D::Error> {
        d.deserialize_any(LeafVisitor)
    }
}

struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Leaf<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Bool)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Leaf::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Leaf::Object)
    }
}

/// Implements the scalar `visit_*` methods of a visitor that wants a
/// compound value, rejecting them with `self.wrong(found)`.
macro_rules! reject_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::custom(self.wrong("a boolean")))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::custom(self.wrong("a number")))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::custom(self.wrong("a number")))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::custom(self.wrong("a number")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Err(E::custom(self.wrong(&format!("the string {}", quote(v)))))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom(self.wrong("null")))
        }
    };
}

/// Rejects a list where an object is wanted.
macro_rules! reject_seq {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom(self.wrong("a list")))
        }
    };
}

/// Rejects an object where a list is wanted.
macro_rules! reject_map {
    () => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom(self.wrong("an object")))
        }
    };
}

/// The whole document.
struct Top {
    sample_time: Option<i64>,
}

impl Top {
    fn wrong(&self, found: &str) -> String {
        format!("expected an object, either {{\"series\": [...]}} or a snapshot {{\"name\": number}}, found {found}")
    }
}

impl<'de> DeserializeSeed<'de> for Top {
    type Value = Vec<Series>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Series>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top {
    type Value = Vec<Series>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a metrics object")
    }
    reject_scalars!();
    reject_seq!();
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Series>, A::Error> {
        let mut listed: Option<Vec<Series>> = None;
        let mut snapshot: Vec<Series> = Vec::new();
        let mut seen: BTreeSet<(String, Labels)> = BTreeSet::new();
        let mut first_snapshot_key: Option<String> = None;
        let mut at_time: Option<i64> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "@time" {
                let leaf = map.next_value_seed(LeafSeed)?;
                let time = match &leaf {
                    Leaf::Str(s) => parse_rfc3339(s),
                    _ => None,
                };
                let Some(time) = time else {
                    return Err(de::Error::custom(format!(
                        "\"@time\" must be an RFC 3339 time such as \"2026-11-24T00:00:00Z\", found {}",
                        leaf.describe()
                    )));
                };
                if at_time.replace(time).is_some() {
                    return Err(de::Error::custom("the key \"@time\" is given twice"));
                }
                if listed.is_some() {
                    return Err(de::Error::custom(
                        "\"@time\" belongs to a snapshot; a file with a \"series\" list gives each sample its own time",
                    ));
                }
                continue;
            }
            if key == "series" {
                match map.next_value_seed(SeriesKey)? {
                    SeriesKeyValue::List(list) => {
                        if listed.is_some() {
                            return Err(de::Error::custom("the key \"series\" is given twice"));
                        }
                        if let Some(k) = &first_snapshot_key {
                            return Err(de::Error::custom(mixed(k)));
                        }
                        if at_time.is_some() {
                            return Err(de::Error::custom(
                                "\"@time\" belongs to a snapshot; a file with a \"series\" list gives each sample its own time",
                            ));
                        }
                        listed = Some(list);
                        continue;
                    }
                    SeriesKeyValue::Leaf(leaf) => {
                        self.snapshot_entry(&key, &leaf, &mut seen, &mut snapshot)?;
                    }
                }
            } else {
                let leaf = map.next_value_seed(LeafSeed)?;
                self.snapshot_entry(&key, &leaf, &mut seen, &mut snapshot)?;
            }
            if listed.is_some() {
                return Err(de::Error::custom(mixed(&key)));
            }
            first_snapshot_key.get_or_insert(key);
        }
        if let Some(list) = listed {
            return Ok(list);
        }
        if snapshot.is_empty() {
            return Ok(snapshot);
        }
        let time = match (at_time, self.sample_time) {
            (Some(a), Some(b)) if a != b => {
                return Err(de::Error::custom(format!(
                    "the snapshot's \"@time\" ({}) differs from --sample-time ({}); give one",
                    format_rfc3339(a),
                    format_rfc3339(b)
                )))
            }
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => {
                return Err(de::Error::custom(
                    "this snapshot does not say when its values were taken: add \"@time\": \"2026-11-24T00:00:00Z\" (RFC 3339) to the object, or pass --sample-time",
                ))
            }
        };
        for s in &mut snapshot {
            for sample in &mut s.samples {
                sample.time = time;
            }
        }
        Ok(snapshot)
    }
}

fn mixed(key: &str) -> String {
    format!("a file with a \"series\" list cannot also hold snapshot values (found {})", quote(key))
}

impl Top {
    fn snapshot_entry<E: de::Error>(
        &self,
        key: &str,
        leaf: &Leaf,
        seen: &mut BTreeSet<(String, Labels)>,
        out: &mut Vec<Series>,
    ) -> Result<(), E> {
        let (metric, labels) = parse_selector(key).map_err(|e| {
            E::custom(format!(
                "key {}: {} (at character {} of the key)",
                quote(key),
                e.message,
                key.get(..e.offset).map_or(e.offset, |s| s.chars().count()) + 1
            ))
        })?;
        let path = format!("value of {}", quote(key));
        let value = leaf.as_value().ok_or_else(|| E::custom(bad_value(&path, leaf)))?;
        let labels: Labels = labels.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        if !seen.insert((metric.clone(), labels.clone())) {
            return Err(E::custom(format!(
                "key {}: the series `{}` is given twice",
                quote(key),
                format_selector(&metric, &labels)
            )));
        }
        out.push(Series::with_samples(metric, labels, vec![Sample { time: 0, value }]));
        Ok(())
    }
}

/// The value of a top-level `series` key: the list of series, or (when it
/// is not a list) a snapshot value of a metric named `series`.
struct SeriesKey;

enum SeriesKeyValue<'de> {
    List(Vec<Series>),
    Leaf(Leaf<'de>),
}

impl<'de> DeserializeSeed<'de> for SeriesKey {
    type Value = SeriesKeyValue<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<SeriesKeyValue<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SeriesKey {
    type Value = SeriesKeyValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of series")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        LeafVisitor.visit_bool(v).map(SeriesKeyValue::Leaf)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        LeafVisitor.visit_i64(v).map(SeriesKeyValue::Leaf)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        LeafVisitor.visit_u64(v).map(SeriesKeyValue::Leaf)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        LeafVisitor.visit_f64(v).map(SeriesKeyValue::Leaf)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        LeafVisitor.visit_borrowed_str(v).map(SeriesKeyValue::Leaf)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        LeafVisitor.visit_str(v).map(SeriesKeyValue::Leaf)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        LeafVisitor.visit_unit().map(SeriesKeyValue::Leaf)
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom("series: expected a list of series, found an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut index = 0;
        while let Some(series) = seq.next_element_seed(SeriesSeed { path: SeriesAt(index) })? {
            out.push(series);
            index += 1;
        }
        Ok(SeriesKeyValue::List(out))
    }
}

/// One element of the `series` list.
struct SeriesSeed {
    path: SeriesAt,
}

impl SeriesSeed {
    fn wrong(&self, found: &str) -> String {
        format!("{}: expected a series {{\"metric\", \"labels\", \"samples\"}}, found {found}", self.path)
    }
}

impl<'de> DeserializeSeed<'de> for SeriesSeed {
    type Value = Series;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Series, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SeriesSeed {
    type Value = Series;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a series object")
    }
    reject_scalars!();
    reject_seq!();
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Series, A::Error> {
        let path = self.path;
        let mut metric: Option<String> = None;
        let mut labels: Option<Labels> = None;
        let mut samples: Option<Vec<Sample>> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let twice = || de::Error::custom(format!("{path}: the key {} is given twice", quote(&key)));
            match key.as_ref() {
                "metric" => {
                    if metric.is_some() {
                        return Err(twice());
                    }
                    let leaf = map.next_value_seed(LeafSeed)?;
                    match leaf {
                        Leaf::Str(s) if !s.is_empty() => metric = Some(s.into_owned()),
                        Leaf::Str(_) => {
                            return Err(de::Error::custom(format!("{path}.metric: the metric name is empty")))
                        }
                        other => {
                            return Err(de::Error::custom(format!(
                                "{path}.metric: expected the metric name as a string, found {}",
                                other.describe()
                            )))
                        }
                    }
                }
                "labels" => {
                    if labels.is_some() {
                        return Err(twice());
                    }
                    labels = Some(map.next_value_seed(LabelsSeed { path: KeyAt(path, "labels") })?);
                }
                "samples" => {
                    if samples.is_some() {
                        return Err(twice());
                    }
                    samples = Some(map.next_value_seed(SamplesSeed { path: KeyAt(path, "samples") })?);
                }
                other => {
                    return Err(de::Error::custom(format!(
                        "{path}: unknown key {} (a series has \"metric\", \"labels\" and \"samples\")",
                        quote(other)
                    )))
                }
            }
        }
        let metric = metric.ok_or_else(|| de::Error::custom(format!("{path}: a series needs a \"metric\"")))?;
        let samples = samples.ok_or_else(|| {
            de::Error::custom(format!("{path}: the series `{metric}` needs \"samples\", a list of [time, value]"))
        })?;
        Ok(Series::with_samples(metric, labels.unwrap_or_default(), samples))
    }
}

/// A `labels` object of strings.
struct LabelsSeed {
    path: KeyAt,
}

impl LabelsSeed {
    fn wrong(&self, found: &str) -> String {
        format!("{}: expected an object of label names to strings, found {found}", self.path)
    }
}

impl<'de> DeserializeSeed<'de> for LabelsSeed {
    type Value = Labels;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Labels, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LabelsSeed {
    type Value = Labels;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a labels object")
    }
    reject_scalars!();
    reject_seq!();
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
        let mut labels = Labels::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let here = || format!("{}{}", self.path, key_step(&key));
            if key.is_empty() {
                return Err(de::Error::custom(format!("{}: a label name is empty", self.path)));
            }
            if labels.contains_key(key.as_ref()) {
                return Err(de::Error::custom(format!("{}: the label is given twice", here())));
            }
            match map.next_value_seed(LeafSeed)? {
                Leaf::Str(v) => {
                    labels.insert(key.into_owned(), v.into_owned());
                }
                other => {
                    return Err(de::Error::custom(format!(
                        "{}: expected the label value as a string, found {}",
                        here(),
                        other.describe()
                    )))
                }
            }
        }
        Ok(labels)
    }
}

/// A `samples` list.
struct SamplesSeed {
    path: KeyAt,
}

impl SamplesSeed {
    fn wrong(&self, found: &str) -> String {
        format!("{}: expected a list of [time, value], found {found}", self.path)
    }
}

impl<'de> DeserializeSeed<'de> for SamplesSeed {
    type Value = Vec<Sample>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Sample>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed {
    type Value = Vec<Sample>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of samples")
    }
    reject_scalars!();
    reject_map!();
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Sample>, A::Error> {
        let mut out = Vec::with_capacity(8);
        let mut index = 0;
        while let Some(sample) = seq.next_element_seed(SampleSeed { parent: self.path, index })? {
            out.push(sample);
            index += 1;
        }
        Ok(out)
    }
}

/// One `[time, value]` pair: the `index`th of the list at `parent`.
struct SampleSeed {
    parent: KeyAt,
    index: usize,
}

impl SampleSeed {
    /// Where the pair is, for a message (made only when one is needed).
    fn path(&self) -> String {
        format!("{}[{}]", self.parent, self.index)
    }

    fn wrong(&self, found: &str) -> String {
        format!("{}: expected [time, value], found {found}", self.path())
    }
}

impl<'de> DeserializeSeed<'de> for SampleSeed {
    type Value = Sample;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Sample, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SampleSeed {
    type Value = Sample;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [time, value] pair")
    }
    reject_scalars!();
    reject_map!();
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sample, A::Error> {
        let short = |n: usize| {
            de::Error::custom(format!(
                "{}: expected [time, value], found a list of {n} element{}",
                self.path(),
                if n == 1 { "" } else { "s" }
            ))
        };
        let time = match seq.next_element_seed(LeafSeed)? {
            None => return Err(short(0)),
            Some(Leaf::Str(s)) => parse_rfc3339(&s).ok_or_else(|| {
                de::Error::custom(format!(
                    "{}: {} is not an RFC 3339 time such as \"2026-11-24T00:00:00Z\"",
                    self.path(),
                    quote(&s)
                ))
            })?,
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "{}: expected an RFC 3339 time string first, found {}",
                    self.path(),
                    other.describe()
                )))
            }
        };
        let value = match seq.next_element_seed(LeafSeed)? {
            None => return Err(short(1)),
            Some(leaf) => leaf.as_value().ok_or_else(|| de::Error::custom(bad_value(&self.path(), &leaf)))?,
        };
        let mut n = 2;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        if n != 2 {
            return Err(short(n));
        }
        Ok(Sample { time, value })
    }
}

mod places;
#[cfg(test)]
mod tests;
