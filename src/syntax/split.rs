//! The top-level scanner: splits a file into pieces, one per top-level item,
//! and collects every comment.
//!
//! It reads the text through the one lexer ([`super::lexer`]) and knows
//! strings, comments and bracket depth, nothing else. A piece
//! starts at a line whose first character, in column 0, begins a word or a
//! doc comment (or is a lone `/`, a comment being typed) while no bracket
//! is open. A line in column 0 that starts
//! with an item keyword, or looks like `KIND NAME {`, starts a piece even
//! inside unclosed brackets: that is how a missing `}` costs one
//! declaration and not the rest of the file.

use super::ast::Comment;
use super::lexer::{self, TokenKind, ITEM_KEYWORDS};
use crate::text::Span;

/// One piece of a file: a byte range and the deepest bracket nesting in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    /// Byte range in the file.
    pub span: Span,
    /// Deepest nesting of `(`, `[`, `{` inside.
    pub max_depth: usize,
    /// How many prefix operators (`not`, `-`) it holds: the parser recurses
    /// on those too, so they are bounded like brackets.
    pub prefix_ops: usize,
}

/// Splits `text` into pieces and collects its comments.
pub fn split(text: &str) -> (Vec<Piece>, Vec<Comment>) {
    let mut pieces = Vec::new();
    let mut comments = Vec::new();
    split_from(text, 0, &mut |_| false, &mut pieces, &mut comments);
    (pieces, comments)
}

/// Splits `text` from byte `from`, appending to `pieces` and `comments`:
/// from 0, what [`split`] gives; from the start of a piece [`split`] found
/// (other than the first), the pieces and comments from there on, since a
/// piece boundary resets every state the splitter keeps and the lexer
/// keeps none between tokens. Stops early at the first piece start
/// `i > from` for which `stop(i)` holds, and returns it (the pieces before
/// `i` appended, the comments up to `i`).
pub fn split_from(
    text: &str,
    from: usize,
    stop: &mut dyn FnMut(usize) -> bool,
    pieces: &mut Vec<Piece>,
    comments: &mut Vec<Comment>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    let mut max_depth: usize = 0;
    let mut start: Option<usize> = None;
    // Whether the current piece holds anything but comments yet: a doc
    // comment and the declaration after it stay one piece.
    let mut has_code = false;
    // Prefix operators in the current piece (each one a level of recursion).
    let mut prefix_ops: usize = 0;
    for token in lexer::tokens_in(text, Span::new(from, text.len())) {
        let i = token.start();
        if i == 0 || bytes[i - 1] == b'\n' {
            let begins_word = token.kind == TokenKind::Word;
            let doc = token.kind == TokenKind::Comment { doc: true };
            // A lone `/` in column 0 is a comment being typed, not a
            // division continuing the item above.
            let slash = token.kind == TokenKind::Punct && bytes[i] == b'/';
            let boundary = if depth == 0 {
                begins_word || doc || slash
            } else {
                doc || (begins_word && looks_like_item_start(&text[i..]))
            };
            if boundary && (has_code || start.is_none()) {
                has_code = false;
                if let Some(s) = start {
                    if !text[s..i].trim().is_empty() {
                        pieces.push(Piece { span: Span::new(s, i), max_depth, prefix_ops });
                    }
                    if stop(i) {
                        return Some(i);
                    }
                }
                start = Some(i);
                depth = 0;
                max_depth = 0;
                prefix_ops = 0;
            }
        }
        match token.kind {
            TokenKind::Comment { doc } => {
                comments.push(Comment { span: token.span, doc });
                continue;
            }
            TokenKind::Newline => continue,
            TokenKind::Open(_) => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            TokenKind::Close(_) => depth = depth.saturating_sub(1),
            // A minus that is not binary (`a - b`) nor a sign (`-1`).
            TokenKind::Punct
                if bytes[i] == b'-'
                    && token.end() == i + 1
                    && !(bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                        || i > 0 && bytes[i - 1].is_ascii_alphanumeric()) =>
            {
                prefix_ops += 1
            }
            TokenKind::Word if &bytes[i..token.end()] == b"not" => prefix_ops += 1,
            _ => {}
        }
        has_code = true;
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        if !text[s..].trim().is_empty() {
            pieces.push(Piece { span: Span::new(s, text.len()), max_depth, prefix_ops });
        }
    }
    None
}

/// Whether a line begins a top-level item: an item keyword, or `WORD NAME {`.
fn looks_like_item_start(line: &str) -> bool {
    let line = line.split('\n').next().unwrap_or("");
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else { return false };
    if ITEM_KEYWORDS.contains(&first) {
        return true;
    }
    let is_word = |w: &str| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (words.next(), words.next()) {
        (Some(name), Some(brace)) => is_word(first) && is_word(name) && brace.starts_with('{'),
        (Some(name), None) => is_word(first) && name.ends_with('{') && is_word(name.trim_end_matches('{')),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<&str> {
        split(src).0.iter().map(|p| &src[p.span.range()]).collect()
    }

    #[test]
    fn splits_at_top_level_items() {
        let src = "import \"a\"\n// c\nkpi a {\n  x 1\n}\n\n/// doc\nkpi b {\n}\n";
        assert_eq!(texts(src), vec!["import \"a\"\n// c\n", "kpi a {\n  x 1\n}\n\n", "/// doc\nkpi b {\n}\n"]);
        assert_eq!(split(src).1.len(), 2);
        assert_eq!(split("let x = not not -1 - 2 -> 2026-01-01").0[0].prefix_ops, 3);
    }

    #[test]
    fn recovers_from_a_missing_brace() {
        let src = "kpi a {\n  x 1\nkpi b {\n}\n";
        assert_eq!(texts(src), vec!["kpi a {\n  x 1\n", "kpi b {\n}\n"]);
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let src = "kpi a {\n  x \"}\" // }\n}\nkpi b {}\n";
        assert_eq!(texts(src).len(), 2);
    }
}
