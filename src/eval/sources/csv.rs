//! The CSV metrics format.
//!
//! Comma-separated, RFC 4180 quoting (a field in double quotes may hold
//! commas, line breaks and `""` for a quote), LF or CRLF line ends. The
//! first non-blank line is a header naming the columns, in any order:
//!
//! | column   | required | cell |
//! |----------|----------|------|
//! | `metric` | yes | the metric name, optionally with labels as a selector: `acc` or `acc{model="v2"}` |
//! | `value`  | yes | a number, or `NaN`, `+Inf`, `-Inf` |
//! | `time`   | no  | an RFC 3339 time; an empty cell (or no column) means the stated sample time (`--sample-time`); without one, an error |
//! | `labels` | no  | `k=v;k2=v2` (`\` escapes a `;`, `=` or `\` in a value) |
//! | any other name | no | a label of that name; an empty cell means the series has no such label |
//!
//! ```text
//! metric,labels,time,value
//! fraud_model_accuracy,model=scoring-v2,2026-11-23T00:00:00Z,93.5
//! fraud_scoring_latency_p95,,2026-11-23T00:00:00Z,199
//! ```
//!
//! The column names `metric`, `value`, `time` and `labels` are matched
//! without regard to case; unquoted cells are trimmed of spaces and tabs.
//! Blank lines are skipped. Rows with the same metric and labels form one
//! series. A label given twice in a row (say in `labels` and in its own
//! column) is an error. Errors carry the line and column of the cell.

use super::{column_of, is_label_name, parse_selector, parse_value, strip_bom, SeriesGroups};
use crate::eval::metrics::{parse_rfc3339, Labels, MetricsError, Sample, Series};

/// One cell: its text and where its content starts.
#[derive(Debug)]
struct Field {
    text: String,
    line: usize,
    column: usize,
}

/// What a header column means.
#[derive(Clone, Debug, PartialEq)]
enum Column {
    Metric,
    Value,
    Time,
    Labels,
    Label(String),
}

/// Reads a CSV metrics file (see the module docs). Rows without a time are
/// samples at `sample_time` (Unix nanoseconds); with none, an error.
pub fn read_csv(text: &str, sample_time: Option<i64>) -> Result<Vec<Series>, MetricsError> {
    let records = records(strip_bom(text))?;
    let mut rows = records.into_iter();
    let Some(header) = rows.next() else {
        return Err(MetricsError::new("the file is empty: expected a header such as `metric,labels,time,value`"));
    };
    let columns = header_columns(&header)?;

    let mut groups = SeriesGroups::default();
    for row in rows {
        let (metric, labels, sample) = read_row(&row, &columns, sample_time)?;
        groups.push(metric, labels, sample);
    }
    Ok(groups.finish())
}

fn header_columns(header: &[Field]) -> Result<Vec<Column>, MetricsError> {
    let hint = if header.len() == 1 && header.iter().any(|f| f.text.contains(';')) {
        " (columns are separated by commas, not semicolons)"
    } else {
        ""
    };
    let mut columns: Vec<Column> = Vec::with_capacity(header.len());
    for field in header {
        let name = field.text.as_str();
        let column = match name.to_ascii_lowercase().as_str() {
            "metric" => Column::Metric,
            "value" => Column::Value,
            "time" => Column::Time,
            "labels" => Column::Labels,
            _ if is_label_name(name) => Column::Label(name.to_string()),
            _ => {
                return Err(MetricsError::at(
                    field.line,
                    field.column,
                    format!(
                        "column `{name}` is neither `metric`, `labels`, `time` nor `value`, and not a valid label name{hint}"
                    ),
                ))
            }
        };
        if columns.contains(&column) {
            return Err(MetricsError::at(field.line, field.column, format!("column `{name}` is given twice")));
        }
        columns.push(column);
    }
    if !columns.contains(&Column::Metric) || !columns.contains(&Column::Value) {
        let line = header.first().map_or(1, |f| f.line);
        let found: Vec<&str> = header.iter().map(|f| f.text.as_str()).collect();
        return Err(MetricsError::at(
            line,
            1,
            format!("the header needs a `metric` and a `value` column, found `{}`{hint}", found.join(",")),
        ));
    }
    Ok(columns)
}

fn read_row(
    row: &[Field],
    columns: &[Column],
    sample_time: Option<i64>,
) -> Result<(String, Labels, Sample), MetricsError> {
    let line = row.first().map_or(1, |f| f.line);
    if row.len() != columns.len() {
        return Err(MetricsError::at(
            line,
            1,
            format!(
                "this row has {} field{} but the header has {}",
                row.len(),
                if row.len() == 1 { "" } else { "s" },
                columns.len()
            ),
        ));
    }
    let mut metric: Option<String> = None;
    let mut labels = Labels::new();
    let mut time = None;
    let mut value = 0.0;
    let mut add_label = |name: String, value: String, field: &Field| {
        if labels.contains_key(&name) {
            return Err(MetricsError::at(
                field.line,
                field.column,
                format!("label `{name}` is given twice in this row"),
            ));
        }
        labels.insert(name, value);
        Ok(())
    };
    for (field, column) in row.iter().zip(columns) {
        let text = field.text.as_str();
        let at = |offset: usize, message: String| {
            MetricsError::at(field.line, field.column + column_of(text, offset) - 1, message)
        };
        match column {
            Column::Metric => {
                if text.is_empty() {
                    return Err(at(0, "the metric is missing".to_string()));
                }
                let (name, selector) =
                    parse_selector(text).map_err(|e| at(e.offset, format!("metric `{text}`: {}", e.message)))?;
                metric = Some(name);
                for (k, v) in selector {
                    add_label(k, v, field)?;
                }
            }
            Column::Value => {
                if text.is_empty() {
                    return Err(at(0, "the value is missing".to_string()));
                }
                value = parse_value(text).ok_or_else(|| {
                    at(0, format!("`{text}` is not a number (write `NaN`, `+Inf` or `-Inf` for those values)"))
                })?;
            }
            Column::Time => {
                if !text.is_empty() {
                    time = Some(parse_rfc3339(text).ok_or_else(|| {
                        at(0, format!("`{text}` is not an RFC 3339 time such as `2026-11-24T00:00:00Z`"))
                    })?);
                }
            }
            Column::Labels => {
                for (k, v) in parse_label_list(text).map_err(|(offset, message)| at(offset, message))? {
                    add_label(k, v, field)?;
                }
            }
            Column::Label(name) => {
                if !text.is_empty() {
                    add_label(name.clone(), text.to_string(), field)?;
                }
            }
        }
    }
    labels.retain(|_, v| !v.is_empty());
    let metric = metric.unwrap_or_default();
    let Some(time) = time.or(sample_time) else {
        return Err(MetricsError::at(
            line,
            1,
            format!(
                "the sample of `{metric}` has no time: fill the `time` column, or state when the values were taken with --sample-time"
            ),
        ));
    };
    Ok((metric, labels, Sample { time, value }))
}

/// Parses `k=v;k2=v2` (spaces around names and values trimmed, `\` escapes
/// the next character in a value, empty items skipped). Errors give the
/// byte offset in `text`.
fn parse_label_list(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    loop {
        // The name, up to `=`.
        let mut name = String::new();
        let mut name_at = None;
        let mut saw_eq = false;
        for (i, c) in chars.by_ref() {
            match c {
                '=' => {
                    saw_eq = true;
                    break;
                }
                ';' => break,
                c => {
                    name_at.get_or_insert(i);
                    name.push(c);
                }
            }
        }
        let name_at = name_at.unwrap_or(text.len());
        let name = name.trim().to_string();
        if !saw_eq {
            if name.is_empty() {
                if chars.peek().is_none() {
                    return Ok(out);
                }
                continue;
            }
            return Err((name_at, format!("label `{name}` needs a value: write `{name}=value`")));
        }
        if !is_label_name(&name) {
            return Err((name_at, format!("`{name}` is not a valid label name")));
        }
        // The value, up to an unescaped `;`.
        let mut value = String::new();
        while let Some((_, c)) = chars.next() {
            match c {
                ';' => break,
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        value.push(next);
                    }
                }
                c => value.push(c),
            }
        }
        if out.iter().any(|(k, _)| *k == name) {
            return Err((name_at, format!("label `{name}` is given twice in this row")));
        }
        out.push((name, value.trim().to_string()));
        if chars.peek().is_none() {
            return Ok(out);
        }
    }
}

/// Splits the text into records of fields (RFC 4180), skipping blank lines
/// (and lines of empty unquoted cells only, as spreadsheets export).
fn records(text: &str) -> Result<Vec<Vec<Field>>, MetricsError> {
    let mut out: Vec<Vec<Field>> = Vec::new();
    let mut scan = CsvScanner { chars: text.chars().peekable(), line: 1, column: 1 };
    let mut record: Vec<Field> = Vec::new();
    let mut blank_record = true;
    loop {
        // At the start of a field.
        scan.skip_blanks();
        let field = if scan.chars.peek() == Some(&'"') { scan.quoted_field()? } else { scan.bare_field() };
        if field.quoted || !field.field.text.is_empty() {
            blank_record = false;
        }
        record.push(field.field);
        // After a field: a comma, a line end or the end.
        match scan.chars.next() {
            Some(',') => {
                scan.column += 1;
            }
            Some(c @ ('\n' | '\r')) => {
                if c == '\r' && scan.chars.peek() == Some(&'\n') {
                    scan.chars.next();
                }
                scan.line += 1;
                scan.column = 1;
                if !blank_record {
                    out.push(std::mem::take(&mut record));
                }
                record.clear();
                blank_record = true;
            }
            None => {
                if !blank_record {
                    out.push(record);
                }
                return Ok(out);
            }
            Some(_) => {}
        }
    }
}

/// The text still to read, and the line and column of its next character.
struct CsvScanner<'t> {
    chars: std::iter::Peekable<std::str::Chars<'t>>,
    line: usize,
    column: usize,
}

/// A field as read, and whether it was quoted (a quoted empty field makes
/// its record not blank).
struct ReadField {
    field: Field,
    quoted: bool,
}

impl CsvScanner<'_> {
    /// Skips spaces and tabs.
    fn skip_blanks(&mut self) {
        while matches!(self.chars.peek(), Some(' ' | '\t')) {
            self.chars.next();
            self.column += 1;
        }
    }

    /// A field in quotes (`""` is a quote inside it; it may span lines),
    /// then only blanks before the next comma or line end.
    fn quoted_field(&mut self) -> Result<ReadField, MetricsError> {
        let start_line = self.line;
        self.chars.next();
        self.column += 1;
        let (content_line, content_column) = (self.line, self.column);
        let mut text = String::new();
        loop {
            match self.chars.next() {
                None => {
                    return Err(MetricsError::at(
                        start_line,
                        content_column - 1,
                        "this quoted field is never closed (a `\"` is missing)",
                    ))
                }
                Some('"') => {
                    self.column += 1;
                    if self.chars.peek() == Some(&'"') {
                        self.chars.next();
                        self.column += 1;
                        text.push('"');
                    } else {
                        break;
                    }
                }
                Some('\n') => {
                    self.line += 1;
                    self.column = 1;
                    text.push('\n');
                }
                Some(c) => {
                    self.column += 1;
                    text.push(c);
                }
            }
        }
        self.skip_blanks();
        match self.chars.peek() {
            None | Some(',' | '\n' | '\r') => {}
            Some(c) => {
                return Err(MetricsError::at(
                    self.line,
                    self.column,
                    format!(
                        "unexpected `{c}` after a closing quote (inside a quoted field, a quote is written `\"\"`)"
                    ),
                ))
            }
        }
        Ok(ReadField { field: Field { text, line: content_line, column: content_column }, quoted: true })
    }

    /// A field without quotes, up to the next comma or line end, trailing
    /// blanks dropped.
    fn bare_field(&mut self) -> ReadField {
        let (line, column) = (self.line, self.column);
        let mut text = String::new();
        while let Some(&c) = self.chars.peek() {
            if matches!(c, ',' | '\n' | '\r') {
                break;
            }
            self.chars.next();
            self.column += 1;
            text.push(c);
        }
        let text = text.trim_end_matches([' ', '\t']).to_string();
        ReadField { field: Field { text, line, column }, quoted: false }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::eval::metrics::NANOS;

    const NOW: i64 = 1_795_478_400 * NANOS; // 2026-11-24T00:00:00Z
    const DAY: i64 = 86_400 * NANOS;

    fn err(text: &str) -> MetricsError {
        match read_csv(text, Some(NOW)) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e,
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn basic_rows() {
        let text = "metric,labels,time,value\r\n\
            acc,model=v2,2026-11-23T00:00:00Z,93.5\r\n\
            acc,model=v2,2026-11-22T00:00:00Z,94\r\n\
            \r\n\
            acc,model=v1,2026-11-23T00:00:00Z,NaN\r\n\
            lat,,,+Inf\r\n";
        let series = read_csv(text, Some(NOW)).unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].metric, "acc");
        assert_eq!(series[0].labels, labels(&[("model", "v2")]));
        assert_eq!(
            series[0].samples,
            vec![Sample { time: NOW - 2 * DAY, value: 94.0 }, Sample { time: NOW - DAY, value: 93.5 }]
        );
        assert!(series[1].samples[0].value.is_nan());
        assert_eq!(series[2].metric, "lat");
        assert!(series[2].labels.is_empty());
        assert_eq!(series[2].samples, vec![Sample { time: NOW, value: f64::INFINITY }]);
    }

    #[test]
    fn quoting_selectors_and_label_columns() {
        let text = "Value, Metric ,model,env,labels\n\
            1,\"acc{model=\"\"v,2\"\"}\",,,\n\
            2, acc ,\"v,2\",prod, team = risk ; tier=a\\;b;\n\
            3,\"multi\nline\",,,\n";
        let err = read_csv(text, Some(NOW)).unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.starts_with("metric `multi\nline`"), "{err}");
        let text = "Value, Metric ,model,env,labels\n\
            1,\"acc{model=\"\"v,2\"\"}\",,,\n\
            2, acc ,\"v,2\",prod, team = risk ; tier=a\\;b;\n";
        let series = read_csv(text, Some(NOW)).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].labels, labels(&[("model", "v,2")]));
        assert_eq!(series[0].samples[0].time, NOW);
        assert_eq!(series[1].labels, labels(&[("model", "v,2"), ("env", "prod"), ("team", "risk"), ("tier", "a;b")]));
    }

    #[test]
    fn errors_carry_lines_and_columns() {
        let e = err("metric,value\nacc,1\nacc,x\n");
        assert_eq!((e.line, e.column), (Some(3), Some(5)));
        assert!(e.message.starts_with("`x` is not a number"), "{e}");
        let e = err("metric,value\nacc,\n");
        assert_eq!(e.message, "the value is missing");
        let e = err("metric,value\n,1\n");
        assert_eq!(e.message, "the metric is missing");
        let e = err("metric,time,value\nacc,yesterday,1\n");
        assert_eq!((e.line, e.column), (Some(2), Some(5)));
        assert!(e.message.contains("is not an RFC 3339 time"), "{e}");
        let e = err("metric,value\nacc,1,2\n");
        assert_eq!(e.message, "this row has 3 fields but the header has 2");
        // Quotes inside an unquoted cell are kept as they are.
        let ok = read_csv("metric,value\nacc{a=\"1\"},1\n", Some(NOW)).unwrap();
        assert_eq!(ok[0].labels, labels(&[("a", "1")]));
        let e = err("metric,value\nacc{a=1},1\n");
        assert_eq!((e.line, e.column), (Some(2), Some(7)));
        assert_eq!(e.message, "metric `acc{a=1}`: expected a label value in double quotes");
        let e = err("metric,value\n\"acc{a=\"\"1\"\"\",1\n");
        assert!(e.message.contains("unclosed `{`"), "{e}");
        let e = err("metric,labels,value\nacc,model,1\n");
        assert_eq!(e.message, "label `model` needs a value: write `model=value`");
        let e = err("metric,labels,value\nacc,a=1;a=2,1\n");
        assert_eq!(e.message, "label `a` is given twice in this row");
        let e = err("metric,model,value\n\"acc{model=\"\"x\"\"}\",y,1\n");
        assert_eq!(e.message, "label `model` is given twice in this row");
        let e = err("metric,labels,value\nacc,9a=1,1\n");
        assert_eq!(e.message, "`9a` is not a valid label name");
        let e = err("metric;time;value\nacc;x;1\n");
        assert!(e.message.contains("not semicolons"), "{e}");
        let e = err("metric,value,my col\n");
        assert_eq!((e.line, e.column), (Some(1), Some(14)));
        let e = err("metric,value,Value\n");
        assert_eq!(e.message, "column `Value` is given twice");
        let e = err("metric,value\n\"acc,1\n");
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert!(e.message.contains("never closed"), "{e}");
        let e = err("metric,value\n\"acc\"x,1\n");
        assert!(e.message.starts_with("unexpected `x` after a closing quote"), "{e}");
        let e = err("\n\n");
        assert!(e.message.starts_with("the file is empty"), "{e}");
    }

    #[test]
    fn header_only_and_bom() {
        assert_eq!(read_csv("\u{feff}metric,value\n", Some(NOW)).unwrap(), vec![]);
        let series = read_csv("metric,value\nacc,1", Some(NOW)).unwrap();
        assert_eq!(series[0].samples, vec![Sample { time: NOW, value: 1.0 }]);
    }
}
