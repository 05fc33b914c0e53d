//! Re-splitting a file after an edit: only from the piece the edit touched
//! to the first piece boundary past it that the previous split also had.
//!
//! [`split::split`] is a left-to-right scan whose state is reset at every
//! piece boundary, over a lexer that keeps no state between tokens. So the
//! pieces before a boundary that lies (with its whole first line) before the
//! first changed byte are the old ones, and once the scan of the new text
//! reaches a boundary inside the unchanged tail that the old split also had
//! (moved by the edit's length), every later piece and comment is the old
//! one moved. [`Resplit::split`] returns exactly what `split::split` does
//! (a test holds it to that).

use crate::syntax::ast::Comment;
use crate::syntax::split::{self, Piece};

/// The last text split, and its pieces and comments.
#[derive(Default)]
pub struct Resplit {
    text: String,
    pieces: Vec<Piece>,
    comments: Vec<Comment>,
}

impl Resplit {
    /// Splits `text` as [`split::split`] does, reusing the previous split
    /// where the text did not change, and remembers it for the next call.
    pub fn split(&mut self, text: &str) -> (Vec<Piece>, Vec<Comment>) {
        let (pieces, comments) = self.resplit(text);
        self.text.clear();
        self.text.push_str(text);
        self.pieces.clone_from(&pieces);
        self.comments.clone_from(&comments);
        (pieces, comments)
    }

    fn resplit(&self, text: &str) -> (Vec<Piece>, Vec<Comment>) {
        let (old, new) = (self.text.as_bytes(), text.as_bytes());
        if old == new {
            return (self.pieces.clone(), self.comments.clone());
        }
        let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let room = old.len().min(new.len()) - prefix;
        let suffix = old.iter().rev().zip(new.iter().rev()).take(room).take_while(|(a, b)| a == b).count();
        // The last piece but the first whose first line ends before the
        // first changed byte: the scan restarts there.
        let line_end = |at: usize| old[at..].iter().position(|b| *b == b'\n').map_or(old.len(), |n| at + n);
        let before = self.pieces.partition_point(|p| (p.span.start as usize) < prefix);
        let Some(k) = (1..before).rev().find(|&k| line_end(self.pieces[k].span.start as usize) < prefix) else {
            return split::split(text);
        };
        let from = self.pieces[k].span.start as usize;
        let mut pieces = self.pieces[..k].to_vec();
        let mut comments: Vec<Comment> =
            self.comments.iter().take_while(|c| (c.span.start as usize) < from).cloned().collect();
        // From `tail` on, the new text is the old one moved by `by` bytes.
        let tail = new.len() - suffix;
        let by = (new.len() as u32).wrapping_sub(old.len() as u32);
        let mut next = k + 1;
        let mut stop = |i: usize| {
            if i < tail {
                return false;
            }
            let was = i + old.len() - new.len();
            while next < self.pieces.len() && (self.pieces[next].span.start as usize) < was {
                next += 1;
            }
            next < self.pieces.len() && self.pieces[next].span.start as usize == was
        };
        if let Some(at) = split::split_from(text, from, &mut stop, &mut pieces, &mut comments) {
            let was = (at + old.len() - new.len()) as u32;
            let first = self.pieces.partition_point(|p| p.span.start < was);
            pieces.extend(self.pieces[first..].iter().map(|p| {
                let mut p = p.clone();
                p.span.start = p.span.start.wrapping_add(by);
                p.span.end = p.span.end.wrapping_add(by);
                p
            }));
            let first = self.comments.partition_point(|c| c.span.start < was);
            comments.extend(self.comments[first..].iter().map(|c| {
                let mut c = c.clone();
                c.span.start = c.span.start.wrapping_add(by);
                c.span.end = c.span.end.wrapping_add(by);
                c
            }));
        }
        (pieces, comments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_a_fresh_split_across_edits() {
        let mut text = String::new();
        for (_, module) in crate::stdlib::MODULES {
            text.push_str(module);
            text.push('\n');
        }
        let mut resplit = Resplit::default();
        let mut check = |t: &str| assert_eq!(resplit.split(t), split::split(t), "differs for an edit of {}", t.len());
        check(&text);
        let mid = text.len() / 2;
        let mid = (mid..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let edits: [(usize, usize, &str); 10] = [
            (mid, mid, "x"),
            (mid, mid + 1, ""),
            (mid, mid, "{"),
            (mid, mid, "}\n}\n"),
            (mid, mid, "\nkpi z {\n"),
            (mid, mid, "\"unclosed\n"),
            (mid, mid, "/// doc\n"),
            (mid, mid, "// }\n"),
            (0, 0, "  "),
            (text.len(), text.len(), "\nkpi tail {}\n"),
        ];
        for (start, end, insert) in edits {
            let mut edited = text.clone();
            edited.replace_range(start..end, insert);
            check(&edited);
            check(&text);
        }
    }
}
