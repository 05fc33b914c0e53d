//! Selection ranges ("expand selection"): from the word at the cursor out
//! through the string, the brackets (inside, then with the brackets), the
//! line, the enclosing blocks with their headers and the top-level item, to
//! the whole file.
//!
//! Read from the text through the one lexer, like folding, so it works in
//! a file that does not parse.

use crate::syntax::lexer::{self, TokenKind};
use crate::syntax::split;
use crate::text::Span;

/// The ranges around `offset`, innermost first; each contains the one
/// before it.
pub fn selection_ranges(text: &str, offset: usize) -> Vec<Span> {
    let offset = offset.min(text.len());
    let mut candidates: Vec<Span> = Vec::new();
    // Open brackets: (byte, position).
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut found_token = false;
    for token in lexer::tokens(text) {
        let (i, j) = (token.start(), token.end());
        let touches = i <= offset && offset <= j;
        match token.kind {
            TokenKind::Open(b) => stack.push((b, i)),
            TokenKind::Close(_) => {
                if let Some((b, at)) = stack.pop() {
                    if at <= offset && offset <= j {
                        candidates.push(trimmed(text, Span::new(at + 1, i)));
                        candidates.push(Span::new(at, j));
                        if b == b'{' {
                            let header = line_start(text, at);
                            let header = header + leading_spaces(&text[header..]);
                            candidates.push(Span::new(header, j));
                        }
                    }
                }
            }
            TokenKind::Newline => {}
            _ if touches && !found_token => {
                // Inside beats touching at its end: the next token may start here.
                found_token = offset < j || i == offset;
                candidates.push(Span::new(i, j));
                if let TokenKind::Str { closed: true } = token.kind {
                    if j >= i + 2 {
                        candidates.push(Span::new(i + 1, j - 1));
                    }
                }
            }
            _ => {}
        }
        if i > offset && stack.is_empty() {
            break;
        }
    }
    let word = super::word_at(text, offset);
    if !word.is_empty() {
        candidates.push(word);
    }
    let line = line_start(text, offset);
    let line_end = text[offset..].find('\n').map_or(text.len(), |n| offset + n);
    candidates.push(trimmed(text, Span::new(line, line_end)));
    let (pieces, _) = split::split(text);
    if let Some(p) = pieces.iter().find(|p| (p.span.start as usize) <= offset && offset <= p.span.end as usize) {
        candidates.push(trimmed(text, p.span));
    }
    candidates.push(Span::new(0, text.len()));
    chain(candidates, offset)
}

/// The candidates that contain `offset`, smallest first, each kept only
/// when it contains the one kept before it.
fn chain(mut candidates: Vec<Span>, offset: usize) -> Vec<Span> {
    candidates.retain(|s| (s.start as usize) <= offset && offset <= s.end as usize);
    candidates.sort_by_key(|s| (s.len(), std::cmp::Reverse(s.start)));
    let mut out: Vec<Span> = Vec::new();
    for c in candidates {
        match out.last() {
            Some(last) if c == *last => {}
            Some(last) if c.start <= last.start && last.end <= c.end => out.push(c),
            Some(_) => {}
            None => out.push(c),
        }
    }
    out
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |n| n + 1)
}

fn leading_spaces(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// `span` without the whitespace at its ends (an empty span stays where it
/// starts).
fn trimmed(text: &str, span: Span) -> Span {
    let s = &text[span.range()];
    let start = span.start as usize + (s.len() - s.trim_start().len());
    let end = (span.end as usize - (s.len() - s.trim_end().len())).max(start);
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, at: usize) -> Vec<&str> {
        selection_ranges(text, at).into_iter().map(|s| &text[s.range()]).collect()
    }

    #[test]
    fn from_a_word_out_to_the_file() {
        let text = "kpi a {\n  target >= 92%\n}\n\ninitiative i {\n  gate model -> produce {\n    require avg(a, 7d) > 90%\n  }\n}\n";
        let at = text.find("7d").unwrap() + 1;
        assert_eq!(
            texts(text, at),
            [
                "7d",
                "a, 7d",
                "(a, 7d)",
                "require avg(a, 7d) > 90%",
                "{\n    require avg(a, 7d) > 90%\n  }",
                "gate model -> produce {\n    require avg(a, 7d) > 90%\n  }",
                "{\n  gate model -> produce {\n    require avg(a, 7d) > 90%\n  }\n}",
                "initiative i {\n  gate model -> produce {\n    require avg(a, 7d) > 90%\n  }\n}",
                text,
            ]
        );
    }

    #[test]
    fn strings_and_broken_text() {
        let text = "program p {\n  title \"Fraud AI\"\n  sponsor (\n";
        let at = text.find("AI").unwrap();
        let got = texts(text, at);
        assert_eq!(got[..3], ["AI", "Fraud AI", "\"Fraud AI\""]);
        assert_eq!(*got.last().unwrap(), text);
        for w in selection_ranges(text, at).windows(2) {
            assert!(w[1].start <= w[0].start && w[0].end <= w[1].end);
        }
    }
}
