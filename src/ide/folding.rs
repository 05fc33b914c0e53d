//! Folding ranges, from the text alone so they work while it is broken:
//! every bracket pair that spans lines, runs of comment lines, and the
//! block of imports at the top.

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
    let bytes = text.as_bytes();
    let mut folds = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => open.push(i),
            b'}' | b']' | b')' => {
                if let Some(o) = open.pop() {
                    let (start, end) = (lines.line_of(o), lines.line_of(i));
                    // Keep the closing bracket's line visible.
                    if end > start + 1 {
                        folds.push(Fold { start_line: start, end_line: end - 1, kind: FoldKind::Region });
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    // Runs of comment lines and of imports.
    let mut run: Option<(usize, usize, FoldKind)> = None;
    for (n, line) in text.split('\n').enumerate() {
        let t = line.trim_start();
        let kind = if t.starts_with("//") {
            Some(FoldKind::Comment)
        } else if t.starts_with("import ") || t.starts_with("import\"") {
            Some(FoldKind::Imports)
        } else {
            None
        };
        match (run, kind) {
            (Some((s, _, k)), Some(k2)) if k == k2 => run = Some((s, n, k)),
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
