//! Folding ranges, from the text alone (through the one lexer) so they
//! work while it is broken:
//! every bracket pair that spans lines, runs of comment lines, and the
//! block of imports at the top.

use crate::syntax::lexer::{self, TokenKind};
use crate::text::LineIndex;

/// What a fold holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    /// A block between brackets.
    Region,
    /// Consecutive comment lines.
    Comment,
    /// Consecutive imports.
    Imports,
}

/// A fold over whole lines (0-based, both included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    /// First line.
    pub start_line: usize,
    /// Last line folded.
    pub end_line: usize,
    /// What it holds.
    pub kind: FoldKind,
}

/// The folds of `text`, sorted by first line.
pub fn folding_ranges(text: &str) -> Vec<Fold> {
    let lines = LineIndex::new(text);
    let mut folds = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for token in lexer::tokens(text) {
        match token.kind {
            TokenKind::Open(_) => open.push(token.start()),
            TokenKind::Close(_) => {
                if let Some(o) = open.pop() {
                    let (start, end) = (lines.line_of(o), lines.line_of(token.start()));
                    // Keep the closing bracket's line visible.
                    if end > start + 1 {
                        folds.push(Fold { start_line: start, end_line: end - 1, kind: FoldKind::Region });
                    }
                }
            }
            _ => {}
        }
    }
    // Runs of comment lines and of imports, by the first token of a line.
    let mut run: Option<(usize, usize, FoldKind)> = None;
    let mut line_start = true;
    for token in lexer::tokens(text) {
        if token.kind == TokenKind::Newline {
            line_start = true;
            continue;
        }
        if !std::mem::replace(&mut line_start, false) {
            continue;
        }
        let n = lines.line_of(token.start());
        let kind = match token.kind {
            TokenKind::Comment { .. } => Some(FoldKind::Comment),
            TokenKind::Word if &text[token.span.range()] == "import" => Some(FoldKind::Imports),
            _ => None,
        };
        match (run, kind) {
            (Some((s, e, k)), Some(k2)) if k == k2 && e + 1 == n => run = Some((s, n, k)),
            _ => {
                if let Some((s, e, k)) = run {
                    if e > s {
                        folds.push(Fold { start_line: s, end_line: e, kind: k });
                    }
                }
                run = kind.map(|k| (n, n, k));
            }
        }
    }
    if let Some((s, e, k)) = run {
        if e > s {
            folds.push(Fold { start_line: s, end_line: e, kind: k });
        }
    }
    folds.sort_by_key(|f| (f.start_line, f.end_line));
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_blocks_comments_and_imports() {
        let text = "import \"a\"\nimport \"b\"\n// one\n// two\nkpi a {\n  metric \"{\"\n  target >= 1\n}\n";
        let folds = folding_ranges(text);
        assert_eq!(
            folds,
            vec![
                Fold { start_line: 0, end_line: 1, kind: FoldKind::Imports },
                Fold { start_line: 2, end_line: 3, kind: FoldKind::Comment },
                Fold { start_line: 4, end_line: 6, kind: FoldKind::Region },
            ]
        );
    }
}
