//! What every JUnit XML report of compel shares (`compel eval --format
//! junit`, `compel test --format junit`): the escaping, the run's
//! document-level facts and the report written when the command cannot run.
//!
//! The reports validate against Jenkins' xunit `junit-10.xsd` (a copy is in
//! `tests/schemas/`), which GitLab's and Jenkins' readers accept:
//!
//! - `<testsuites name tests failures errors time>` holds the suites;
//! - each `<testsuite>` has `name tests failures errors skipped time?
//!   timestamp hostname` and opens with `<properties>` (the run's facts:
//!   compel's version, and for `eval` the evaluation time and the metric
//!   sources);
//! - a `<testcase>` has only `name` and `classname`: the schema allows no
//!   `file` or `line`, so the location (`file:line:column`) is in the text
//!   of its `<failure>`, `<error>` or `<system-out>`;
//! - a test case has at most one `<failure>` (several expectations that do
//!   not hold are one failure whose text lists them all), so consumers that
//!   count failures count test cases.
//!
//! Nothing here reads the clock or the machine: the command line measures
//! the time and names the host, and passes them in a [`JunitRun`].

use std::fmt::Write as _;

/// The facts of one run that a JUnit report records besides its cases.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JunitRun {
    /// When the run started, ISO 8601 without a zone, in UTC
    /// (`2026-11-24T09:30:00`), as JUnit writers put it.
    pub timestamp: String,
    /// The machine's name.
    pub hostname: String,
    /// How long the run took, in seconds.
    pub seconds: f64,
    /// `<properties>` of every suite, in order: `compel.version`, and the
    /// command's own (`now`, `metrics` ...).
    pub properties: Vec<(String, String)>,
}

impl JunitRun {
    /// `time` as the schema's `SUREFIRE_TIME` wants it: seconds with three
    /// decimals, no exponent.
    pub fn time(&self) -> String {
        let seconds = if self.seconds.is_finite() && self.seconds >= 0.0 { self.seconds } else { 0.0 };
        format!("{seconds:.3}")
    }

    /// The document-level attributes of a `<testsuite>` after its counts:
    /// ` timestamp=".." hostname=".."`.
    pub fn suite_attributes(&self) -> String {
        format!(" timestamp=\"{}\" hostname=\"{}\"", attr(&self.timestamp), attr(&self.hostname))
    }

    /// `<properties>` with one `<property>` per fact, indented by `indent`,
    /// ending in a newline.
    pub fn properties_xml(&self, indent: &str) -> String {
        let mut out = format!("{indent}<properties>\n");
        for (name, value) in &self.properties {
            let _ = writeln!(out, "{indent}  <property name=\"{}\" value=\"{}\"/>", attr(name), attr(value));
        }
        let _ = writeln!(out, "{indent}</properties>");
        out
    }
}

/// Escapes text for an XML attribute: as [`xml`], and line breaks written
/// as `&#10;` so a reader does not fold them into spaces.
pub fn attr(text: &str) -> String {
    xml(text).replace('\n', "&#10;")
}

/// Escapes text for XML content. Characters XML 1.0 cannot carry at all
/// become U+FFFD.
pub fn xml(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\r' => s.push_str("&#13;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n') => s.push('\u{fffd}'),
            '\u{fffe}' | '\u{ffff}' => s.push('\u{fffd}'),
            c => s.push(c),
        }
    }
    s
}

/// The report of a command that could not run (exit 2): one suite named
/// after the command with one test case in error, whose message is the
/// reason; CI dashboards show a red run with the reason rather than an
/// empty file.
pub fn error_report(command: &str, run: &JunitRun, reason: &str) -> String {
    let first = reason.lines().next().unwrap_or_default();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let time = run.time();
    let _ = writeln!(
        out,
        "<testsuites name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"{time}\">",
        xml(command)
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"{time}\"{}>",
        xml(command),
        run.suite_attributes()
    );
    out.push_str(&run.properties_xml("    "));
    let _ = writeln!(out, "    <testcase name=\"{0} could not run\" classname=\"{0}\">", xml(command));
    let _ = writeln!(out, "      <error message=\"{}\" type=\"unusable input\">{}</error>", attr(first), xml(reason));
    out.push_str("    </testcase>\n  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_xml_well_formed() {
        assert_eq!(xml("a<b>&\"c'\n\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;\n\u{fffd}");
        assert_eq!(attr("a\nb"), "a&#10;b");
    }

    #[test]
    fn time_has_three_decimals() {
        let run = JunitRun { seconds: 1.23456, ..JunitRun::default() };
        assert_eq!(run.time(), "1.235");
        assert_eq!(JunitRun { seconds: f64::NAN, ..JunitRun::default() }.time(), "0.000");
    }

    #[test]
    fn the_error_report_has_one_case_in_error() {
        let run = JunitRun {
            timestamp: "2026-11-24T00:00:00".into(),
            hostname: "ci".into(),
            seconds: 0.5,
            properties: vec![("compel.version".into(), "0.1.0".into())],
        };
        let text = error_report("compel test", &run, "error[E0105]: `x` does not exist\nmore");
        assert!(text.contains("tests=\"1\" failures=\"0\" errors=\"1\" time=\"0.500\">"), "{text}");
        assert!(text.contains("timestamp=\"2026-11-24T00:00:00\" hostname=\"ci\""), "{text}");
        assert!(text.contains("<property name=\"compel.version\" value=\"0.1.0\"/>"), "{text}");
        assert!(
            text.contains("<error message=\"error[E0105]: `x` does not exist\" type=\"unusable input\">"),
            "{text}"
        );
    }
}
