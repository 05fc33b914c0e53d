//! The terminal report as pieces of text to be written one after the
//! other.

use std::borrow::Cow;

/// Text made of pieces: those rendered before, borrowed, and those being
/// rendered now.
#[derive(Default)]
pub(super) struct Pieces<'r> {
    done: Vec<Cow<'r, str>>,
    /// The text rendered after the last piece.
    pub(super) text: String,
}

impl<'r> Pieces<'r> {
    /// Adds `piece`, rendered before.
    pub(super) fn borrowed(&mut self, piece: &'r str) {
        self.end_text();
        self.done.push(Cow::Borrowed(piece));
    }

    /// Adds the pieces `rest`.
    pub(super) fn then(&mut self, rest: Vec<Cow<'r, str>>) {
        self.end_text();
        self.done.extend(rest);
    }

    fn end_text(&mut self) {
        if !self.text.is_empty() {
            self.done.push(Cow::Owned(std::mem::take(&mut self.text)));
        }
    }

    /// The pieces, in order.
    pub(super) fn done(mut self) -> Vec<Cow<'r, str>> {
        self.end_text();
        self.done
    }
}
