//! The line structure of a declaration that did not parse, so the parser
//! can recover one level down: the header, the lines of the body cut into
//! members (attributes, criteria, nested declarations), and the closing
//! brace. [`super::parser`] parses each member on its own with pest, so an
//! unfinished line costs one diagnostic and the declaration keeps its name,
//! its other attributes and its nested items.
//!
//! It is the top-level splitter's idea ([`super::split`]) one level down,
//! with indentation where the splitter has column 0: braces decide while
//! they balance, and when a bracket or a quote is missing the layout the
//! formatter writes (members one indent in, continuation lines further in,
//! the closing brace under the header) still tells where a member ends: a
//! member starts at a line that begins with a name no further in than the
//! body's first line, unless it begins with a word that continues an
//! expression (`and`, `because` ...). A body written flat, at the header's
//! indent, is cut by brackets instead, and a line that ends with an
//! operator, a comma or an open bracket continues on the next.
//! Text only, read through the one lexer ([`super::lexer`]): no pest here.

use super::lexer::{self, TokenKind, CONTINUATIONS};
use crate::text::Span;

/// One line holding code: where its code starts and ends (without a
/// trailing comment), how far it is indented, and the bracket depth before
/// it (from the start of the scanned range).
#[derive(Clone, Copy, Debug)]
struct Line {
    /// First byte of code.
    start: usize,
    /// End of the code (trailing whitespace and comment excluded).
    end: usize,
    /// Leading spaces and tabs.
    indent: usize,
    /// Bracket depth before the line.
    depth_before: i64,
    /// Bracket depth after the line.
    depth_after: i64,
}

/// The parts of a broken declaration.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Block {
    /// The header line's code: through the `{` when there is one.
    pub header: Span,
    /// The opening `{`, when the header has one.
    pub brace: Option<usize>,
    /// Each member of the body: from its first byte of code to the end of
    /// its last line of code.
    pub members: Vec<Span>,
    /// The closing `}`.
    pub close: Option<Span>,
    /// Code after the block (after its closing brace, or lines that are not
    /// part of it), to be parsed on its own.
    pub rest: Option<Span>,
}

/// The code lines of `text[span]`.
fn lines(text: &str, span: Span) -> Vec<Line> {
    let mut out = Vec::new();
    let mut depth: i64 = 0;
    let mut current: Option<Line> = None;
    for token in lexer::tokens_in(text, span) {
        match token.kind {
            TokenKind::Newline => out.extend(current.take()),
            TokenKind::Comment { .. } => {}
            kind => {
                let start = token.start();
                let line = current.get_or_insert_with(|| Line {
                    start,
                    end: start,
                    indent: indent_at(text, start),
                    depth_before: depth,
                    depth_after: depth,
                });
                line.end = token.end().min(span.end as usize);
                match kind {
                    TokenKind::Open(_) => depth += 1,
                    TokenKind::Close(_) => depth -= 1,
                    _ => {}
                }
                line.depth_after = depth;
            }
        }
    }
    out.extend(current);
    out
}

fn first_word(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    &rest[..len]
}

fn begins_name(text: &str, line: &Line) -> bool {
    let b = text.as_bytes()[line.start];
    (b.is_ascii_alphabetic() || b == b'_') && !CONTINUATIONS.contains(&first_word(text, line.start))
}

/// Whether a line ends so that the next one continues it.
fn ends_open(text: &str, line: &Line) -> bool {
    let code = &text[line.start..line.end];
    let last = code.as_bytes()[code.len() - 1];
    if matches!(last, b',' | b'(' | b'[' | b'{' | b'+' | b'-' | b'*' | b'/' | b'<' | b'>' | b'=' | b':' | b'.') {
        return true;
    }
    let word_start = code
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &code[word_start..];
    CONTINUATIONS.contains(&word) && !matches!(word, "true" | "false" | "today" | "now")
}

/// Splits the declaration in `text[span]` into its header, members and
/// closing brace, or `None` when its layout gives no line structure to
/// recover by (a declaration on one line, a body on the header's line).
pub(super) fn block(text: &str, span: Span) -> Option<Block> {
    let lines = lines(text, span);
    let header = *lines.first()?;
    let h = header.indent;
    let braced = text.as_bytes()[header.end - 1] == b'{' && header.depth_after - header.depth_before == 1;
    let body = &lines[1..];
    // Indented layout: the body is the lines further in than the header.
    // Flat layout: the body is at the header's indent; braces decide.
    let indented = match body.first() {
        Some(first) if first.indent > h => true,
        Some(first) if braced && text.as_bytes()[first.start] != b'}' => false,
        _ if braced => true,
        _ => return None,
    };
    let base = header.depth_after;
    let mut members: Vec<Span> = Vec::new();
    let mut close = None;
    let mut rest = None;
    let m = body.first().map_or(h, |l| l.indent);
    let mut prev: Option<&Line> = None;
    for (k, line) in body.iter().enumerate() {
        let first = text.as_bytes()[line.start];
        let ends_body = if indented { line.indent <= h } else { first == b'}' && line.depth_before == base };
        if ends_body {
            if first == b'}' {
                close = Some(Span::new(line.start, line.start + 1));
                let after = line.start + 1;
                let tail_end = body.last().map_or(line.end, |l| l.end);
                if text[after..line.end].trim().is_empty() {
                    if let Some(next) = body.get(k + 1) {
                        rest = Some(Span::new(next.start, tail_end));
                    }
                } else {
                    rest = Some(Span::new(after, tail_end));
                }
            } else {
                rest = Some(Span::new(line.start, body.last().map_or(line.end, |l| l.end)));
            }
            break;
        }
        let starts = begins_name(text, line)
            && line.indent <= m
            && (indented || (line.depth_before == base && !prev.is_some_and(|p| ends_open(text, p))));
        match members.last_mut() {
            Some(last) if !starts => last.end = line.end as u32,
            _ => members.push(Span::new(line.start, line.end)),
        }
        prev = Some(line);
    }
    Some(Block {
        header: Span::new(header.start, header.end),
        brace: braced.then_some(header.end - 1),
        members,
        close,
        rest,
    })
}

/// The indent of the line holding byte `at` when `at` begins that line's
/// code (only blanks before it), else `None`.
pub(super) fn line_indent_if_first(text: &str, at: usize) -> Option<usize> {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    text.as_bytes()[line_start..at].iter().all(|b| matches!(b, b' ' | b'\t')).then_some(at - line_start)
}

/// How far the line holding byte `at` is indented.
pub(super) fn indent_at(text: &str, at: usize) -> usize {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    text[line_start..].bytes().take_while(|b| matches!(b, b' ' | b'\t')).count()
}

/// The lines of `text[span]` (one attribute, criterion or header, as the
/// grammar read it) that the layout says may start a member of their own:
/// no further in than the body's members (`member_indent`), outside any
/// bracket the item opened, beginning with a name. It is the top-level rule
/// one level down (a name in column 0 outside brackets starts an item); the
/// parser takes such a line (to its end) as the start of a member only when
/// it parses as one (`unit` left unfinished, then `target <= 5%` read as
/// its value).
pub(super) fn layout_candidates(text: &str, span: Span, member_indent: usize) -> Vec<Span> {
    if !text[span.range()].contains('\n') {
        return Vec::new();
    }
    let end = text[span.end as usize..].find('\n').map_or(text.len(), |n| span.end as usize + n);
    lines(text, Span::new(span.start as usize, end))
        .into_iter()
        .skip(1)
        .filter(|l| l.depth_before == 0 && l.indent <= member_indent && begins_name(text, l))
        .map(|l| Span::new(l.start, l.end))
        .collect()
}

/// The first word of `text[at..]`, when it begins a name.
pub(super) fn word_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let b = *text.as_bytes().get(at)?;
    if !(b.is_ascii_alphabetic() || b == b'_') {
        return None;
    }
    Some((at, at + first_word(text, at).len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(src: &str) -> (String, Vec<&str>, bool, Option<&str>) {
        let b = block(src, Span::new(0, src.len())).expect("a block");
        (
            src[b.header.range()].to_string(),
            b.members.iter().map(|m| &src[m.range()]).collect(),
            b.close.is_some(),
            b.rest.map(|r| &src[r.range()]),
        )
    }

    #[test]
    fn members_are_lines() {
        let src = "program p {\n  title \"T\n  sponsor\n  kpis [a,\n    b]\n  budget 1 + // c\n    2\n}\n";
        let (header, members, closed, rest) = parts(src);
        assert_eq!(header, "program p {");
        assert_eq!(members, vec!["title \"T", "sponsor", "kpis [a,\n    b]", "budget 1 + // c\n    2"]);
        assert!(closed);
        assert_eq!(rest, None);
    }

    #[test]
    fn indentation_ends_a_member_with_a_missing_bracket() {
        let src = "kpi k {\n  labels { m \"x\"\n  unit percent\n  target >= (1\n}\nkpi j {}\n";
        let (_, members, closed, rest) = parts(src);
        assert_eq!(members, vec!["labels { m \"x\"", "unit percent", "target >= (1"]);
        assert!(closed);
        assert_eq!(rest, Some("kpi j {}"));
    }

    #[test]
    fn nested_blocks_and_continuations() {
        let src = "initiative i {\n  dataset d {\n    v true\n  }\n  gate a -> b {\n    expect x\n      because \"r\"\n    require y\n      and z\n  }\n";
        let (_, members, closed, _) = parts(src);
        assert_eq!(members.len(), 2);
        assert!(!closed);
        let inner = block(src, Span::new(src.find("gate").unwrap(), src.len())).unwrap();
        let crit: Vec<&str> = inner.members.iter().map(|m| &src[m.range()]).collect();
        assert_eq!(crit, vec!["expect x\n      because \"r\"", "require y\n      and z"]);
        assert!(inner.close.is_some());
    }

    #[test]
    fn a_header_without_its_brace() {
        let (header, members, closed, _) = parts("program f\n  title \"x\"\n}\n");
        assert_eq!((header.as_str(), members, closed), ("program f", vec!["title \"x\""], true));
        assert!(block("kpi a { target >= }", Span::new(0, 19)).is_none());
        assert!(block("let x = \n", Span::new(0, 9)).is_none());
    }
}
