//! The OpenMetrics and Prometheus text exposition formats.
//!
//! One sample per line: `name{label="value",...} value [timestamp]`, where
//! the labels are optional, label values use the escapes `\\`, `\"` and
//! `\n`, and the value is a number or `NaN`, `+Inf`, `-Inf`. `# HELP`,
//! `# TYPE`, `# UNIT` and other `#` lines are read past; an OpenMetrics
//! exemplar (` # {...} value` after the sample) is ignored. Several lines of
//! one series with different timestamps are several samples (this is how
//! `promtool tsdb create-blocks-from openmetrics` backfills history).
//!
//! **Timestamps.** A file with a `# EOF` line is OpenMetrics: timestamps are
//! seconds, possibly with a fraction (`1795478400.5`), and nothing may
//! follow `# EOF`. Any other file is the Prometheus text format: timestamps
//! are whole milliseconds (`1795478400000`). Timestamps are kept exactly
//! (to the nanosecond). A sample without a timestamp is taken at the stated
//! sample time (`--sample-time`); without one the file is unusable, so a
//! stale export never looks fresh.

use super::{column_of, parse_value, strip_bom, Cursor, SeriesGroups};
use crate::check::rational::Rational;
use crate::eval::metrics::{Labels, MetricsError, Sample, Series, NANOS};

/// Reads OpenMetrics or Prometheus text (see the module docs). Samples
/// without a timestamp are taken at `sample_time` (Unix nanoseconds); with
/// none, such a sample is an error.
pub fn read_openmetrics(text: &str, sample_time: Option<i64>) -> Result<Vec<Series>, MetricsError> {
    let text = strip_bom(text);
    let openmetrics = text.lines().any(|l| l.trim_end() == "# EOF");
    let mut groups = SeriesGroups::default();
    let mut eof_line: Option<usize> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(eof) = eof_line {
            return Err(MetricsError::at(
                number,
                1,
                format!("unexpected text after `# EOF` (line {eof} ends an OpenMetrics file)"),
            ));
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            if trimmed.trim_end() == "# EOF" {
                eof_line = Some(number);
            }
            continue;
        }
        let (metric, labels, sample) = read_sample(line, openmetrics, sample_time)
            .map_err(|(offset, message)| MetricsError::at(number, column_of(line, offset), message))?;
        groups.push(metric, labels, sample);
    }
    Ok(groups.finish())
}

/// One sample line; errors give the byte offset in the line.
fn read_sample(
    line: &str,
    openmetrics: bool,
    sample_time: Option<i64>,
) -> Result<(String, Labels, Sample), (usize, String)> {
    let mut cur = Cursor::new(line, 0);
    cur.skip_ws();
    let name = cur.metric_name().map_err(|e| (e.offset, e.message))?;
    let after_name = cur.pos;
    cur.skip_ws();
    let mut labels = if cur.peek() == Some('{') {
        cur.labels().map_err(|e| (e.offset, e.message))?
    } else {
        cur.pos = after_name;
        Labels::new()
    };
    labels.retain(|_, v| !v.is_empty());
    let before_value = cur.pos;
    cur.skip_ws();
    if cur.pos == before_value || cur.peek().is_none() {
        return Err((cur.pos, format!("expected a space and a value after `{name}`")));
    }
    let value_at = cur.pos;
    let token = word(&mut cur);
    let value = parse_value(token).ok_or_else(|| {
        (value_at, format!("`{token}` is not a number (write `NaN`, `+Inf` or `-Inf` for those values)"))
    })?;
    cur.skip_ws();
    let time = match cur.peek() {
        None | Some('#') => sample_time.ok_or_else(|| {
            (
                cur.pos,
                format!(
                    "`{name}` has no timestamp: give each sample a timestamp, or state when the values were taken with --sample-time"
                ),
            )
        })?,
        Some(_) => {
            let at = cur.pos;
            let token = word(&mut cur);
            let time = if openmetrics { seconds(token) } else { milliseconds(token) };
            let time = time.ok_or_else(|| (at, bad_timestamp(token, openmetrics)))?;
            cur.skip_ws();
            match cur.peek() {
                None | Some('#') => {}
                Some(_) => {
                    let rest = word(&mut cur);
                    return Err((cur.pos - rest.len(), format!("unexpected `{rest}` after the timestamp")));
                }
            }
            time
        }
    };
    Ok((name.to_string(), labels, Sample { time, value }))
}

/// The next run of non-blank characters.
fn word<'a>(cur: &mut Cursor<'a>) -> &'a str {
    let start = cur.pos;
    while cur.peek().is_some_and(|c| c != ' ' && c != '\t') {
        cur.bump();
    }
    &cur.text[start..cur.pos]
}

/// OpenMetrics: seconds, possibly fractional, floored.
/// OpenMetrics: seconds, possibly fractional, as exact nanoseconds (`None`
/// when finer than a nanosecond or out of range).
fn seconds(token: &str) -> Option<i64> {
    if token.contains('_') {
        return None;
    }
    let t = Rational::parse_decimal(token)?;
    let nanos = t.mul(Rational::int(NANOS))?;
    if !nanos.is_integer() {
        return None;
    }
    i64::try_from(nanos.floor()).ok()
}

/// Prometheus text: whole milliseconds, as nanoseconds.
fn milliseconds(token: &str) -> Option<i64> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse::<i64>().ok().and_then(|ms| ms.checked_mul(1_000_000))
}

fn bad_timestamp(token: &str, openmetrics: bool) -> String {
    if openmetrics {
        format!("`{token}` is not a timestamp: OpenMetrics timestamps are seconds since 1970-01-01 (to the nanosecond at most)")
    } else {
        format!(
            "`{token}` is not a timestamp: the Prometheus text format writes whole milliseconds since 1970-01-01 (a file ending in `# EOF` is OpenMetrics, with seconds)"
        )
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
        match read_openmetrics(text, Some(NOW)) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn prometheus_text_with_millisecond_timestamps() {
        let text = "# HELP acc Accuracy.\n\
            # TYPE acc gauge\n\
            acc{model=\"v2\",env=\"a\\\"b\\\\c\\nd\"} 93.5 1795392000000\n\
            acc{model=\"v2\",env=\"a\\\"b\\\\c\\nd\"} 94 1795305600999\n\
            \n\
            acc {model=\"v1\", } NaN\n\
            lat +Inf\n\
            neg -Inf -1500\r\n";
        let series = read_openmetrics(text, Some(NOW)).unwrap();
        assert_eq!(series.len(), 4);
        assert_eq!(series[0].labels.get("env").map(String::as_str), Some("a\"b\\c\nd"));
        assert_eq!(
            series[0].samples,
            vec![Sample { time: NOW - 2 * DAY + 999_000_000, value: 94.0 }, Sample { time: NOW - DAY, value: 93.5 }]
        );
        assert_eq!(series[1].samples[0].time, NOW);
        assert!(series[1].samples[0].value.is_nan());
        assert_eq!(series[2].samples, vec![Sample { time: NOW, value: f64::INFINITY }]);
        assert_eq!(series[3].samples, vec![Sample { time: -1_500_000_000, value: f64::NEG_INFINITY }]);
    }

    #[test]
    fn openmetrics_with_second_timestamps_and_exemplars() {
        let text = "# TYPE acc gauge\n\
            # UNIT acc percent\n\
            acc{model=\"v2\"} 93.5 1795392000.75\n\
            acc{model=\"v2\"} 93.4 1795478400\n\
            req_total 10 # {trace_id=\"abc\"} 1.0 1795478400\n\
            # EOF\n";
        let series = read_openmetrics(text, Some(NOW)).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(
            series[0].samples,
            vec![Sample { time: NOW - DAY + 750_000_000, value: 93.5 }, Sample { time: NOW, value: 93.4 }]
        );
        assert_eq!(series[1].samples, vec![Sample { time: NOW, value: 10.0 }]);
        // A timestamp finer than a nanosecond cannot be kept exactly.
        assert!(read_openmetrics("a 1 1795392000.0000000001\n# EOF\n", None).is_err());
        // Without a timestamp or a stated sample time the value has no time.
        let e = read_openmetrics("a 1\n", None).unwrap_err();
        assert!(e.message.contains("--sample-time"), "{e}");
    }

    #[test]
    fn errors() {
        let e = err("acc 1\n# EOF\nlat 2\n");
        assert_eq!((e.line, e.column), (Some(3), Some(1)));
        assert!(e.message.starts_with("unexpected text after `# EOF`"), "{e}");
        let e = err("acc 1.5.5\n");
        assert_eq!((e.line, e.column), (Some(1), Some(5)));
        assert!(e.message.starts_with("`1.5.5` is not a number"), "{e}");
        let e = err("acc\n");
        assert_eq!(e.message, "expected a space and a value after `acc`");
        let e = err("acc 1 1795478400.5\n");
        assert!(e.message.contains("whole milliseconds"), "{e}");
        let e = err("acc 1 soon\n# EOF\n");
        assert!(e.message.contains("OpenMetrics timestamps are seconds"), "{e}");
        let e = err("acc 1 2 3\n");
        assert_eq!((e.line, e.column), (Some(1), Some(9)));
        assert_eq!(e.message, "unexpected `3` after the timestamp");
        let e = err("x 1\n  acc{model=\"v2} 1\n");
        assert_eq!((e.line, e.column), (Some(2), Some(13)));
        assert_eq!(e.message, "unclosed `\"` in a label value");
        let e = err("acc{model=\"é\\t\"} 1\n");
        assert_eq!((e.line, e.column), (Some(1), Some(13)));
        assert!(e.message.starts_with("unknown escape `\\t`"), "{e}");
        let e = err("{model=\"v2\"} 1\n");
        assert_eq!(e.message, "expected a metric name, found `{`");
    }

    #[test]
    fn empty_input() {
        assert_eq!(read_openmetrics("", Some(NOW)).unwrap(), vec![]);
        assert_eq!(read_openmetrics("# just a comment\n# EOF\n", Some(NOW)).unwrap(), vec![]);
    }
}
