//! The requests added to the server one feature a file: highlights,
//! links, selection ranges and partial formatting (`editing`), inlay hints
//! (`inlay`), code lenses and their commands (`lens`), and live values
//! (`live`). Each is a function from the server's state and the request's
//! parameters to the answer; `super` only routes to them.

pub(super) mod editing;
pub(super) mod inlay;
pub(super) mod lens;
pub(super) mod live;

/// Text from a policy or a metric source, safe inside Markdown: every
/// ASCII punctuation character escaped (CommonMark allows that for all of
/// them), line breaks flattened.
pub(super) fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_from_a_policy_is_inert() {
        assert_eq!(
            super::escape_markdown("[x](http://e) *b* <i>\n`c`"),
            "\\[x\\]\\(http\\:\\/\\/e\\) \\*b\\* \\<i\\> \\`c\\`"
        );
    }
}
