//! Mapping byte offsets between two versions of one text.
//!
//! The editor's buffer runs ahead of the last analysis: a request arrives
//! for the text as it is now, while the model was built from the text as it
//! was a few keystrokes ago (or, while a declaration is broken, from the
//! last version that parsed). An [`OffsetMap`] relates the two by their
//! common prefix and suffix: an offset before the edited region is the same
//! in both, one after it is shifted by the change in length, and one inside
//! it has no counterpart. That is exact for a single edit and conservative
//! for several (the region spans all of them).

use crate::text::Span;

/// Relates offsets in an old text to offsets in a new text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetMap {
    /// Length of the common prefix, in bytes.
    prefix: usize,
    /// Where the common suffix starts in the old text.
    old_tail: usize,
    /// Where the common suffix starts in the new text.
    new_tail: usize,
}

impl OffsetMap {
    /// The identity map of a text of length `len`.
    pub fn identity(len: usize) -> OffsetMap {
        OffsetMap { prefix: len, old_tail: len, new_tail: len }
    }

    /// Compares `old` and `new`.
    pub fn new(old: &str, new: &str) -> OffsetMap {
        if old == new {
            return OffsetMap::identity(old.len());
        }
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        while !old.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let max_suffix = a.len().min(b.len()) - prefix;
        let mut suffix = a.iter().rev().zip(b.iter().rev()).take(max_suffix).take_while(|(x, y)| x == y).count();
        while !old.is_char_boundary(a.len() - suffix) || !new.is_char_boundary(b.len() - suffix) {
            suffix -= 1;
        }
        OffsetMap { prefix, old_tail: a.len() - suffix, new_tail: b.len() - suffix }
    }

    /// Whether both texts are the same.
    pub fn is_identity(&self) -> bool {
        self.prefix == self.old_tail && self.old_tail == self.new_tail
    }

    /// The edited region in the old text.
    pub fn old_region(&self) -> Span {
        Span::new(self.prefix, self.old_tail)
    }

    /// The edited region in the new text.
    pub fn new_region(&self) -> Span {
        Span::new(self.prefix, self.new_tail)
    }

    /// The new offset of an old offset, unless it lies inside the edit.
    pub fn to_new(&self, old: usize) -> Option<usize> {
        if old <= self.prefix {
            Some(old)
        } else if old >= self.old_tail {
            Some(old - self.old_tail + self.new_tail)
        } else {
            None
        }
    }

    /// The old offset of a new offset, unless it lies inside the edit.
    pub fn to_old(&self, new: usize) -> Option<usize> {
        if new <= self.prefix {
            Some(new)
        } else if new >= self.new_tail {
            Some(new - self.new_tail + self.old_tail)
        } else {
            None
        }
    }

    /// An old span in the new text, unless the edit touched its inside: only
    /// spans wholly before or wholly after the edited region survive.
    pub fn span_to_new(&self, span: Span) -> Option<Span> {
        let (start, end) = (span.start as usize, span.end as usize);
        if self.is_identity() || end <= self.prefix || start >= self.old_tail {
            Some(Span::new(self.to_new(start)?, self.to_new(end)?))
        } else {
            None
        }
    }

    /// A new span in the old text, unless the edit touched its inside.
    pub fn span_to_old(&self, span: Span) -> Option<Span> {
        let inverse = OffsetMap { prefix: self.prefix, old_tail: self.new_tail, new_tail: self.old_tail };
        inverse.span_to_new(span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_around_one_edit() {
        let old = "kpi a {\n  x 1\n}\n";
        let new = "kpi a {\n  x 12\n}\n";
        let m = OffsetMap::new(old, new);
        assert_eq!(m.to_new(2), Some(2));
        assert_eq!(m.to_new(old.len()), Some(new.len()));
        assert_eq!(m.to_old(new.len() - 1), Some(old.len() - 1));
        assert_eq!(m.span_to_new(Span::new(0, 3)), Some(Span::new(0, 3)));
        // A span enclosing the edit does not map.
        assert_eq!(m.span_to_new(Span::new(0, old.len())), None);
        assert!(OffsetMap::new(old, old).is_identity());
    }

    #[test]
    fn respects_char_boundaries() {
        let old = "a \"é\" b";
        let new = "a \"è\" b";
        let m = OffsetMap::new(old, new);
        assert!(old.is_char_boundary(m.old_region().start as usize));
        assert!(old.is_char_boundary(m.old_region().end as usize));
        assert!(new.is_char_boundary(m.new_region().end as usize));
    }
}
