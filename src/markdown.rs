//! Markdown that is safe to post: the one renderer of `compel eval
//! --format markdown` and `compel diff --format markdown`.
//!
//! Policy files are untrusted input in a pull request, and everything taken
//! from them (names, criterion texts, `because` texts, reasons) goes
//! through this module:
//!
//! - [`text`]: HTML is escaped as entities (`<img src=x onerror=...>`
//!   shows as text, never as an element); Markdown's punctuation is
//!   backslash-escaped so nothing turns into emphasis, a link or a
//!   heading; `|` is escaped so a table cell stays one cell; line breaks
//!   become spaces; `@name` gets a word joiner after the `@`, so it shows
//!   as written and notifies nobody.
//! - [`code`]: a code span whose fence is longer than any run of
//!   backticks inside it, so the text cannot close it early; inside a
//!   table cell [`code_cell`] also escapes `|` (GitHub strips that escape
//!   inside a code span in a table).
//!
//! What compel writes itself (headings, tables, `<details>`) is trusted.

/// The character put after an `@` so it starts no mention (U+2060 WORD
/// JOINER: invisible, and GitHub no longer sees `@name`).
pub const MENTION_BREAK: char = '\u{2060}';

/// Inline text: HTML and Markdown escaped, mentions broken, one line.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => {
                out.push('@');
                out.push(MENTION_BREAK);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Prose that quotes code between backticks (compel's reasons: ``
/// `accuracy` is at risk``): each quoted part becomes a code span (through
/// [`code`] or, `in_table`, [`code_cell`]) and the rest [`text`], so the
/// result is as inert as they are whatever the quotes hold. With an odd
/// number of backticks it is all text.
pub fn prose(s: &str, in_table: bool) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() % 2 == 0 {
        return text(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| match (i % 2 == 1, in_table) {
            (true, true) => code_cell(p),
            (true, false) => code(p),
            (false, _) => text(p),
        })
        .collect()
}

/// An inline code span holding `s` verbatim (on one line), outside tables.
pub fn code(s: &str) -> String {
    fenced(&one_line(s), false)
}

/// An inline code span inside a table cell: `|` escaped as well.
pub fn code_cell(s: &str) -> String {
    fenced(&one_line(s), true)
}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn fenced(s: &str, in_table: bool) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let body = if in_table { s.replace('|', "\\|") } else { s.to_string() };
    // A space on both sides when the text starts or ends with a backtick
    // (or is all spaces); CommonMark strips exactly one each side.
    let pad = body.starts_with('`') || body.ends_with('`') || body.starts_with(' ') && body.ends_with(' ');
    if body.is_empty() {
        return format!("{fence} {fence}");
    }
    if pad {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// A table: a header row (trusted words) and rows of cells already made
/// safe with [`text`] or [`code_cell`].
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// A folded section: `summary` (trusted words, or made safe with
/// [`text`]) over `body` (Markdown).
pub fn details(summary: &str, body: &str) -> String {
    format!("<details>\n<summary>{summary}</summary>\n\n{body}\n</details>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_inert() {
        assert_eq!(text("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(text("@octocat"), "@\u{2060}octocat");
        assert_eq!(text("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn code_spans_cannot_be_closed() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
        assert_eq!(code("x"), "`x`");
    }
}
