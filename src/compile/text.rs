//! Text of the generated files: YAML scalars and comments, PromQL string
//! literals, Go template text. Everything from policy files goes through
//! these.

use std::borrow::Cow;
use std::fmt::Write as _;

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
    yaml_str_into(&mut out, s);
    out
}

/// Appends `s` as a double-quoted YAML scalar: `"` and `\` escaped, line
/// feeds and tabs as `\n` and `\t`, every other control character and
/// YAML line break as `\uXXXX`. Runs of plain text are copied whole.
pub(crate) fn yaml_str_into(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    let plain = crate::text::plain_prefix(s.as_bytes(), true);
    for (i, b) in s.bytes().enumerate().skip(plain) {
        // Plain ASCII, the usual case; multi-byte characters are looked at
        // from their first byte.
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' || (0x80..0xc0).contains(&b) {
            continue;
        }
        let c = match s[i..].chars().next() {
            Some(c) => c,
            None => continue,
        };
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            c if c.is_control() || is_yaml_break(c) => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escape);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
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
pub(crate) fn template_text(s: &str) -> Cow<'_, str> {
    if !s.contains("{{") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            out.push_str("{{ \"{\" }}");
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Appends a recording rule, every line prefixed by `indent`.
pub(crate) fn write_record(out: &mut String, indent: &str, name: &str, expr: &str, labels: &[(&str, String)]) {
    rule_head(out, indent, "record", name, expr);
    for (k, v) in labels {
        pair(out, indent, k, v);
    }
}

/// Appends an alerting rule, every line prefixed by `indent`. Alert labels
/// and annotations are Go templates in Prometheus.
pub(crate) fn write_alert(
    out: &mut String,
    indent: &str,
    name: &str,
    expr: &str,
    labels: &[(&str, String)],
    annotations: &[(&str, String)],
) {
    rule_head(out, indent, "alert", name, expr);
    for (k, v) in labels {
        pair(out, indent, k, &template_text(v));
    }
    out.push_str(indent);
    out.push_str("  annotations:\n");
    for (k, v) in annotations {
        pair(out, indent, k, &template_text(v));
    }
}

fn rule_head(out: &mut String, indent: &str, kind: &str, name: &str, expr: &str) {
    for (key, value) in [(kind, name), ("expr", expr)] {
        out.push_str(indent);
        out.push_str(if key == kind { "- " } else { "  " });
        out.push_str(key);
        out.push_str(": ");
        yaml_str_into(out, value);
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str("  labels:\n");
}

/// `    key: "value"`: a label or an annotation (keys are our own names).
fn pair(out: &mut String, indent: &str, key: &str, value: &str) {
    out.push_str(indent);
    out.push_str("    ");
    out.push_str(key);
    out.push_str(": ");
    yaml_str_into(out, value);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaping without the fast scan: every character looked at.
    fn slow(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() || is_yaml_break(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn the_eight_byte_scan_escapes_what_the_character_loop_escapes() {
        let specials = ["\"", "\\", "\n", "\t", "\u{7f}", "\u{85}", "\u{2028}", "\u{feff}", "\u{1}", "é", "{{", " "];
        for len in 0..20 {
            for special in specials {
                for at in 0..=len {
                    let mut s: String = "abcdefghijklmnopqrstuvwxyz".chars().cycle().take(len).collect();
                    s.insert_str(at, special);
                    assert_eq!(yaml_str(&s), slow(&s), "{s:?}");
                }
            }
        }
    }
}
