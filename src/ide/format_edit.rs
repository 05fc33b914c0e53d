//! Formatting a part of a file: range formatting and formatting as you
//! type (`}`), in byte offsets.
//!
//! Both go through the canonical formatter ([`crate::fmt`]) one top-level
//! item at a time, so what they produce is exactly what `compel fmt` would
//! write for those items. When the item being closed does not parse yet
//! (a nested block closed inside a declaration still being written), typing
//! `}` re-indents the block it closes, two spaces a level, which is the
//! formatter's indentation.

use crate::fmt;
use crate::syntax::lexer::{self, TokenKind};
use crate::syntax::split::{self, Piece};
use crate::text::Span;

/// One replacement in the text given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// What to replace.
    pub span: Span,
    /// The new text.
    pub text: String,
}

/// Why a range could not be formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotFormatted {
    /// The file has this many syntax errors.
    SyntaxErrors(usize),
}

/// Edits that format the top-level items overlapping `range` (and nothing
/// else); none when they are formatted already. The whole file must
/// parse, as for `compel fmt`.
pub fn format_range(text: &str, range: Span) -> Result<Vec<Edit>, NotFormatted> {
    let formatted = fmt::format_source(text).map_err(|d| NotFormatted::SyntaxErrors(d.len()))?;
    let (old, _) = split::split(text);
    let (new, _) = split::split(&formatted);
    if old.len() != new.len() {
        // The formatter never adds or drops an item; if the split ever
        // disagrees, the whole changed region is the honest answer.
        return Ok(whole(text, &formatted));
    }
    let mut out = Vec::new();
    for (o, n) in old.iter().zip(&new) {
        let overlaps = o.span.start < range.end && range.start < o.span.end
            || (range.is_empty() && o.span.touches(range.start as usize));
        if !overlaps {
            continue;
        }
        let (os, ns) = (content(text, o), content(&formatted, n));
        if text[os.range()] != formatted[ns.range()] {
            out.push(Edit { span: os, text: formatted[ns.range()].to_string() });
        }
    }
    Ok(out)
}

/// Edits after typing `}` just before `offset` (the cursor): the top-level
/// item it belongs to formatted when it parses on its own, else the block
/// the brace closes re-indented. None when there is no `}` there.
pub fn on_type_close(text: &str, offset: usize) -> Vec<Edit> {
    let offset = offset.min(text.len());
    // The cursor after the brace typed, or on it.
    let offset = if text[offset..].starts_with('}') { offset + 1 } else { offset };
    let Some(brace) = text[..offset].rfind('}').filter(|b| !text[*b..offset].contains('\n')) else {
        return Vec::new();
    };
    let (pieces, _) = split::split(text);
    let Some(piece) = pieces.iter().find(|p| (p.span.start as usize) <= brace && brace < p.span.end as usize) else {
        return Vec::new();
    };
    let item = content(text, piece);
    let source = &text[item.range()];
    if let Ok(formatted) = fmt::format_source(source) {
        let formatted = formatted.trim_end();
        return if formatted == source { Vec::new() } else { vec![Edit { span: item, text: formatted.to_string() }] };
    }
    reindent_block(text, piece.span, brace)
}

/// Re-indents the lines of the block closed by the `}` at `brace`: each
/// line two spaces deeper than the line opening the block per bracket
/// level, the closing line at the opening line's indentation.
fn reindent_block(text: &str, within: Span, brace: usize) -> Vec<Edit> {
    let mut stack: Vec<usize> = Vec::new();
    let mut open = None;
    for t in lexer::tokens_in(text, Span::new(within.start as usize, brace + 1)) {
        match t.kind {
            TokenKind::Open(_) => stack.push(t.start()),
            TokenKind::Close(_) if t.start() == brace => open = stack.pop(),
            TokenKind::Close(_) => {
                stack.pop();
            }
            _ => {}
        }
    }
    let Some(open) = open else { return Vec::new() };
    let open_line = line_start(text, open);
    let base = indent_of(&text[open_line..]);
    let mut edits = Vec::new();
    // Depth inside the block at each line's start, from the brackets.
    let mut depth: usize = 0;
    let mut line = text[open_line..].find('\n').map_or(text.len(), |n| open_line + n + 1);
    let mut scanned = open + 1;
    while line <= brace {
        for t in lexer::tokens_in(text, Span::new(scanned, line)) {
            match t.kind {
                TokenKind::Open(_) => depth += 1,
                TokenKind::Close(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        scanned = line;
        let end = text[line..].find('\n').map_or(text.len(), |n| line + n);
        let body = text[line..end].trim_start_matches([' ', '\t']);
        if !body.is_empty() {
            let closes = body.starts_with(['}', ']', ')']);
            let level = if line_start(text, brace) == line && closes { 0 } else { depth + 1 - usize::from(closes) };
            let want = base + 2 * level;
            let have = end - line - body.len();
            if have != want || text[line..line + have].contains('\t') {
                edits.push(Edit { span: Span::new(line, line + have), text: " ".repeat(want) });
            }
        }
        if end >= text.len() {
            break;
        }
        line = end + 1;
    }
    edits
}

/// The whole changed region as one edit (nothing when unchanged).
fn whole(text: &str, formatted: &str) -> Vec<Edit> {
    let map = crate::ide::OffsetMap::new(text, formatted);
    if map.is_identity() {
        return Vec::new();
    }
    vec![Edit { span: map.old_region(), text: formatted[map.new_region().range()].to_string() }]
}

/// A piece without the blank lines after it.
fn content(text: &str, piece: &Piece) -> Span {
    let s = &text[piece.span.range()];
    Span::new(piece.span.start as usize, piece.span.start as usize + s.trim_end().len())
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |n| n + 1)
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut out = text.to_string();
        let mut edits = edits.to_vec();
        edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        for e in edits {
            out.replace_range(e.span.range(), &e.text);
        }
        out
    }

    const MESSY: &str =
        "kpi a {\n metric \"a\"\n      target >= 1\n}\n\nkpi b {\n metric \"b\"\n      target >= 1\n}\n";

    #[test]
    fn a_range_formats_only_the_items_it_touches() {
        let at = MESSY.find("kpi b").unwrap();
        let edits = format_range(MESSY, Span::new(at + 8, at + 9)).unwrap();
        let out = apply(MESSY, &edits);
        assert_eq!(out, "kpi a {\n metric \"a\"\n      target >= 1\n}\n\nkpi b {\n  metric \"b\"\n  target >= 1\n}\n");
        let all = apply(MESSY, &format_range(MESSY, Span::new(0, MESSY.len())).unwrap());
        assert_eq!(all, fmt::format_source(MESSY).unwrap());
        assert_eq!(format_range("kpi a {\n", Span::new(0, 1)), Err(NotFormatted::SyntaxErrors(1)));
    }

    #[test]
    fn closing_brace_formats_the_item_or_reindents_the_block() {
        let at = MESSY.find("}\n\nkpi b").unwrap() + 1;
        let out = apply(MESSY, &on_type_close(MESSY, at));
        assert!(out.starts_with("kpi a {\n  metric \"a\"\n  target >= 1\n}\n\nkpi b {\n metric"), "{out}");
        // The initiative is still open: only the dataset's block moves.
        let text = "initiative i {\n  stage model\n      dataset d {\n versioned true\n        tool \"x\"\n   }\n";
        let at = text.rfind('}').unwrap() + 1;
        let out = apply(text, &on_type_close(text, at));
        assert_eq!(
            out,
            "initiative i {\n  stage model\n      dataset d {\n        versioned true\n        tool \"x\"\n      }\n"
        );
        assert_eq!(on_type_close("kpi a {\n", 3), Vec::new());
    }
}
