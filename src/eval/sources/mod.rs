//! Metric file readers: JSON (series and snapshot forms), CSV and the
//! OpenMetrics / Prometheus text exposition format.
//!
//! The readers are pure: they take the file's text (and `now`, the time a
//! sample without a timestamp is taken at) and return [`Series`] or a
//! [`MetricsError`] saying where and why the input is unusable. NaN and
//! infinite values are kept. `docs/metrics.md` documents the formats.

pub mod csv;
pub mod json;
pub mod openmetrics;

use super::metrics::{Labels, MetricsError, Series};

/// A metrics file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON, series or snapshot form.
    Json,
    /// CSV with a header row.
    Csv,
    /// OpenMetrics or Prometheus text exposition.
    OpenMetrics,
}

impl Format {
    /// The format named by a file's extension (case-insensitive): `.json`;
    /// `.csv`; `.prom`, `.txt`, `.om`, `.openmetrics`. `None` for others.
    pub fn from_path(path: &str) -> Option<Format> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "prom" | "txt" | "om" | "openmetrics" => Some(Format::OpenMetrics),
            _ => None,
        }
    }

    /// Guesses the format from the text: JSON when it starts with `{` or
    /// `[`; CSV when the first non-blank line is a header naming both a
    /// `metric` and a `value` column; OpenMetrics otherwise.
    pub fn sniff(text: &str) -> Format {
        let text = strip_bom(text);
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return Format::Json;
        }
        let first = trimmed.lines().next().unwrap_or("");
        let columns: Vec<String> =
            first.split(',').map(|c| c.trim().trim_matches('"').trim().to_ascii_lowercase()).collect();
        if columns.iter().any(|c| c == "metric") && columns.iter().any(|c| c == "value") {
            return Format::Csv;
        }
        Format::OpenMetrics
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Csv => "CSV",
            Format::OpenMetrics => "OpenMetrics",
        }
    }
}

/// Reads a metrics file, choosing the format by the extension of
/// `path_for_messages` (see [`Format::from_path`]) or, failing that, by
/// [`Format::sniff`]ing the text. Errors name `path_for_messages`.
///
/// Values the file gives without a time (a JSON snapshot without `"@time"`,
/// CSV rows or OpenMetrics lines without timestamps) are taken at
/// `sample_time` (Unix nanoseconds, `--sample-time`); with none, they are
/// an error: a stale export must never look fresh.
pub fn read_metrics(
    path_for_messages: &str,
    text: &str,
    sample_time: Option<i64>,
) -> Result<Vec<Series>, MetricsError> {
    let format = Format::from_path(path_for_messages).unwrap_or_else(|| Format::sniff(text));
    read_as(format, text, sample_time).map_err(|e| e.in_file(path_for_messages))
}

/// Reads `text` in the given format.
pub fn read_as(format: Format, text: &str, sample_time: Option<i64>) -> Result<Vec<Series>, MetricsError> {
    match format {
        Format::Json => json::read_json(text, sample_time),
        Format::Csv => csv::read_csv(text, sample_time),
        Format::OpenMetrics => openmetrics::read_openmetrics(text, sample_time),
    }
}

/// `text` without a leading UTF-8 byte order mark.
/// Samples read one at a time, grouped into series in the order each series
/// first appears (the text formats give a series' samples on many rows).
#[derive(Default)]
pub(crate) struct SeriesGroups {
    series: Vec<Series>,
    index: std::collections::HashMap<(String, Labels), usize>,
}

impl SeriesGroups {
    /// Adds `sample` to the series `metric{labels}`.
    pub(crate) fn push(&mut self, metric: String, labels: Labels, sample: super::metrics::Sample) {
        let key = (metric, labels);
        match self.index.get(&key) {
            Some(&at) => self.series[at].samples.push(sample),
            None => {
                self.index.insert(key.clone(), self.series.len());
                self.series.push(Series::with_samples(key.0, key.1, vec![sample]));
            }
        }
    }

    /// The series, each with its samples sorted and one per time.
    pub(crate) fn finish(mut self) -> Vec<Series> {
        for s in &mut self.series {
            s.normalize();
        }
        self.series
    }
}

pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A selector that cannot be parsed: why, and the byte offset in the
/// selector's text where the problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError {
    /// What is wrong.
    pub message: String,
    /// Byte offset into the parsed text.
    pub offset: usize,
}

/// Parses a Prometheus-style selector `name` or `name{k="v",...}`, as in
/// snapshot keys and CSV metric cells.
///
/// The name is `[a-zA-Z_:][a-zA-Z0-9_:]*`; label names are
/// `[a-zA-Z_][a-zA-Z0-9_]*`; values are double-quoted with the escapes
/// `\\`, `\"` and `\n`. Whitespace is allowed around the tokens inside the
/// braces and a trailing comma is allowed. Only `=` matchers exist here: a
/// selector names one series, it does not search.
pub fn parse_selector(text: &str) -> Result<(String, Labels), SelectorError> {
    let mut cur = Cursor::new(text, 0);
    cur.skip_ws();
    let name = cur.metric_name()?;
    cur.skip_ws();
    let labels = if cur.peek() == Some('{') {
        let labels = cur.labels()?;
        cur.skip_ws();
        labels
    } else {
        Labels::new()
    };
    if let Some(c) = cur.peek() {
        return Err(
            cur.error(format!("unexpected `{c}` after the selector (expected `name` or `name{{label=\"value\"}}`)"))
        );
    }
    Ok((name.to_string(), labels))
}

/// Whether `name` is a valid label name.
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A byte cursor over one line or one selector, for the text formats.
pub(crate) struct Cursor<'a> {
    pub(crate) text: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str, pos: usize) -> Cursor<'a> {
        Cursor { text, pos }
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(crate) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> SelectorError {
        SelectorError { message: message.into(), offset: self.pos }
    }

    fn take_while(&mut self, first: impl Fn(char) -> bool, rest: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        if self.peek().is_some_and(first) {
            self.bump();
            while self.peek().is_some_and(&rest) {
                self.bump();
            }
        }
        &self.text[start..self.pos]
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    pub(crate) fn metric_name(&mut self) -> Result<&'a str, SelectorError> {
        let name = self.take_while(
            |c| c.is_ascii_alphabetic() || c == '_' || c == ':',
            |c| c.is_ascii_alphanumeric() || c == '_' || c == ':',
        );
        if name.is_empty() {
            return Err(match self.peek() {
                None => self.error("expected a metric name"),
                Some(c) => self.error(format!("expected a metric name, found `{c}`")),
            });
        }
        Ok(name)
    }

    /// `{k="v",...}`, the cursor on the `{`.
    pub(crate) fn labels(&mut self) -> Result<Labels, SelectorError> {
        let mut labels = Labels::new();
        self.bump(); // `{`
        loop {
            self.skip_ws();
            if self.peek() == Some('}') {
                self.bump();
                return Ok(labels);
            }
            let name_at = self.pos;
            let name =
                self.take_while(|c| c.is_ascii_alphabetic() || c == '_', |c| c.is_ascii_alphanumeric() || c == '_');
            if name.is_empty() {
                return Err(match self.peek() {
                    None => self.error("unclosed `{`: expected a label name or `}`"),
                    Some(c) => self.error(format!("expected a label name or `}}`, found `{c}`")),
                });
            }
            self.skip_ws();
            match self.peek() {
                Some('=') => {
                    self.bump();
                }
                Some('!' | '~') => {
                    return Err(
                        self.error(format!("only `=` can select label `{name}` here (a selector names one series)"))
                    )
                }
                _ => return Err(self.error(format!("expected `=` after label name `{name}`"))),
            }
            self.skip_ws();
            if self.peek() == Some('~') {
                return Err(
                    self.error(format!("only `=` can select label `{name}` here (a selector names one series)"))
                );
            }
            let value = self.quoted()?;
            if labels.insert(name.to_string(), value).is_some() {
                return Err(SelectorError { message: format!("label `{name}` is given twice"), offset: name_at });
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {}
                None => return Err(self.error("unclosed `{`: expected `,` or `}`")),
                Some(c) => return Err(self.error(format!("expected `,` or `}}` after a label value, found `{c}`"))),
            }
        }
    }

    /// A double-quoted label value with the escapes `\\`, `\"` and `\n`.
    pub(crate) fn quoted(&mut self) -> Result<String, SelectorError> {
        if self.peek() != Some('"') {
            return Err(self.error("expected a label value in double quotes"));
        }
        let open = self.pos;
        self.bump();
        let mut value = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(SelectorError { message: "unclosed `\"` in a label value".to_string(), offset: open })
                }
                Some('"') => return Ok(value),
                Some('\\') => {
                    let at = self.pos - 1;
                    match self.bump() {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        Some(c) => {
                            return Err(SelectorError {
                                message: format!(
                                    "unknown escape `\\{c}` in a label value (use `\\\\`, `\\\"` or `\\n`)"
                                ),
                                offset: at,
                            })
                        }
                        None => {
                            return Err(SelectorError {
                                message: "unclosed `\"` in a label value".to_string(),
                                offset: open,
                            })
                        }
                    }
                }
                Some(c) => value.push(c),
            }
        }
    }
}

/// Parses a sample value: a decimal number, or `NaN`, `+Inf`, `-Inf` (also
/// `Inf`, `inf`, `nan`, `infinity`; case does not matter).
pub(crate) fn parse_value(text: &str) -> Option<f64> {
    if text.is_empty() || text.contains('_') {
        return None;
    }
    text.parse::<f64>().ok()
}

/// The 1-based character column of byte offset `offset` in `line`.
pub(crate) fn column_of(line: &str, offset: usize) -> usize {
    let offset = offset.min(line.len());
    line.get(..offset).map_or(offset, |s| s.chars().count()) + 1
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn selectors() {
        assert_eq!(parse_selector("up"), Ok(("up".to_string(), Labels::new())));
        assert_eq!(parse_selector(r#"acc{model="v2"}"#), Ok(("acc".to_string(), labels(&[("model", "v2")]))));
        assert_eq!(
            parse_selector(r#" a:b_c { x = "1" , y="q\"\\\n}," , } "#),
            Ok(("a:b_c".to_string(), labels(&[("x", "1"), ("y", "q\"\\\n},")])))
        );
        assert_eq!(parse_selector("m{}"), Ok(("m".to_string(), Labels::new())));
    }

    #[test]
    fn selector_errors() {
        let err = |s: &str| parse_selector(s).unwrap_err();
        assert_eq!(err("").message, "expected a metric name");
        assert_eq!(err("9m").message, "expected a metric name, found `9`");
        assert_eq!(err(r#"m{a="1""#).message, "unclosed `{`: expected `,` or `}`");
        assert_eq!(err(r#"m{a="1"#).message, "unclosed `\"` in a label value");
        assert_eq!(err(r#"m{a="1",a="2"}"#).message, "label `a` is given twice");
        assert_eq!(err(r#"m{a="1",a="2"}"#).offset, 8);
        assert!(err(r#"m{a!="1"}"#).message.starts_with("only `=`"));
        assert!(err(r#"m{a=~"1"}"#).message.starts_with("only `=`"));
        assert!(err(r#"m{a="\t"}"#).message.starts_with("unknown escape `\\t`"));
        assert_eq!(err(r#"m{a=1}"#).message, "expected a label value in double quotes");
        assert!(err(r#"m x"#).message.starts_with("unexpected `x`"));
        assert!(err(r#"m{a="1"} x"#).message.starts_with("unexpected `x`"));
    }

    #[test]
    fn values() {
        assert_eq!(parse_value("93.5"), Some(93.5));
        assert_eq!(parse_value("-1e3"), Some(-1000.0));
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("-Inf"), Some(f64::NEG_INFINITY));
        assert!(parse_value("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_value(""), None);
        assert_eq!(parse_value("1_000"), None);
        assert_eq!(parse_value("abc"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(Format::from_path("a/b/m.JSON"), Some(Format::Json));
        assert_eq!(Format::from_path("m.csv"), Some(Format::Csv));
        assert_eq!(Format::from_path("m.prom"), Some(Format::OpenMetrics));
        assert_eq!(Format::from_path("m.om"), Some(Format::OpenMetrics));
        assert_eq!(Format::from_path("dir.json/metrics"), None);
        assert_eq!(Format::from_path("-"), None);
        assert_eq!(Format::sniff("\u{feff} {\"a\": 1}"), Format::Json);
        assert_eq!(Format::sniff("metric,time,value\n"), Format::Csv);
        assert_eq!(Format::sniff("\"Metric\", \"Value\"\n"), Format::Csv);
        assert_eq!(Format::sniff("# TYPE up gauge\nup 1\n"), Format::OpenMetrics);
        assert_eq!(Format::sniff("up 1\n"), Format::OpenMetrics);
    }

    #[test]
    fn read_metrics_names_the_file() {
        let err = read_metrics("m.json", "{\"a\": \"x\"}", Some(0)).unwrap_err();
        assert!(err.to_string().starts_with("m.json:1:"), "{err}");
        let ok = read_metrics("stdin", "metric,value\nup,1\n", Some(7)).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].samples[0].time, 7);
    }
}
