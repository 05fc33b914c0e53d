//! Text of the generated files: YAML scalars and comments, PromQL string
//! literals, Go template text. Everything from policy files goes through
//! these.

use std::fmt::Write as _;

pub(crate) fn indent(text: &str, by: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16 * by.len());
    indent_into(&mut out, text, by);
    out
}

/// Appends `text` to `out` with every line prefixed by `by`.
pub(crate) fn indent_into(out: &mut String, text: &str, by: &str) {
    for l in text.lines() {
        out.push_str(by);
        out.push_str(l);
        out.push('\n');
    }
}

/// A YAML comment's text: control characters become spaces.
pub(crate) fn comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() || is_yaml_break(c) { ' ' } else { c }).collect()
}

pub(crate) fn is_yaml_break(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A double-quoted YAML scalar.
pub fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_yaml_break(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The contents of a PromQL double-quoted string literal.
pub fn promql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for a Go template that expands to itself: every `{{` is written
/// as an action printing `{`.
pub(crate) fn template_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            out.push_str("{{ \"{\" }}");
        } else {
            out.push(c);
        }
    }
    out
}
