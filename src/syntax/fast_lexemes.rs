//! The fast path's literal tokens, matched as pest's atomic rules match
//! them (no skipping inside): digits and decimals, dates and times, money
//! and numbers with their units. Each returns where the token ends.

use super::{is_ident_char, Parser};
use crate::syntax::ast::LitUnit;

impl Parser<'_> {
    fn digit(&self, i: usize) -> bool {
        self.peek(i).is_ascii_digit()
    }

    /// `digits`: a digit, then digits and `_`.
    fn digits(&self, i: usize) -> Option<usize> {
        if !self.digit(i) {
            return None;
        }
        let mut end = i + 1;
        while self.digit(end) || self.peek(end) == b'_' {
            end += 1;
        }
        Some(end)
    }

    /// `decimal`: `digits ~ ("." ~ digits)?`.
    fn decimal(&self, i: usize) -> Option<usize> {
        let end = self.digits(i)?;
        if self.peek(end) == b'.' {
            if let Some(frac) = self.digits(end + 1) {
                return Some(frac);
            }
        }
        Some(end)
    }

    fn two_digits(&self, i: usize) -> bool {
        self.digit(i) && self.digit(i + 1)
    }

    /// `date_part`: `DDDD-DD-DD`.
    fn date_part(&self, i: usize) -> Option<usize> {
        let ok = self.two_digits(i)
            && self.two_digits(i + 2)
            && self.peek(i + 4) == b'-'
            && self.two_digits(i + 5)
            && self.peek(i + 7) == b'-'
            && self.two_digits(i + 8);
        ok.then_some(i + 10)
    }

    /// `datetime`: a date, `T`, `hh:mm:ss`, an optional fraction, and `Z`
    /// or an offset.
    pub(super) fn datetime(&self, i: usize) -> Option<usize> {
        let mut e = self.date_part(i)?;
        let time = self.peek(e) == b'T'
            && self.two_digits(e + 1)
            && self.peek(e + 3) == b':'
            && self.two_digits(e + 4)
            && self.peek(e + 6) == b':'
            && self.two_digits(e + 7);
        if !time {
            return None;
        }
        e += 9;
        if self.peek(e) == b'.' && self.digit(e + 1) {
            e += 2;
            while self.digit(e) {
                e += 1;
            }
        }
        match self.peek(e) {
            b'Z' => Some(e + 1),
            b'+' | b'-' if self.two_digits(e + 1) && self.peek(e + 3) == b':' && self.two_digits(e + 4) => Some(e + 6),
            _ => None,
        }
    }

    /// `date`: a date not followed by a name character or `T`.
    pub(super) fn date(&self, i: usize) -> Option<usize> {
        let e = self.date_part(i)?;
        let next = self.peek(e);
        (!(is_ident_char(next) || next == b'T')).then_some(e)
    }

    /// `money`: `decimal ~ (" " | "\t")+ ~ currency`; the end of the
    /// amount and of the whole.
    pub(super) fn money(&self, i: usize) -> Option<(usize, usize)> {
        let amount = self.decimal(i)?;
        let mut e = amount;
        while matches!(self.peek(e), b' ' | b'\t') {
            e += 1;
        }
        if e == amount {
            return None;
        }
        let upper = |k: usize| self.peek(k).is_ascii_uppercase();
        (upper(e) && upper(e + 1) && upper(e + 2) && !is_ident_char(self.peek(e + 3))).then_some((amount, e + 3))
    }

    /// `number`: `decimal ~ unit? ~ !ident_char`; the end of the amount,
    /// the unit and the end of the whole.
    pub(super) fn number(&self, i: usize) -> Option<(usize, Option<LitUnit>, usize)> {
        let amount = self.decimal(i)?;
        let units: [(&str, LitUnit); 7] = [
            ("%", LitUnit::Percent),
            ("ms", LitUnit::Ms),
            ("s", LitUnit::S),
            ("m", LitUnit::M),
            ("h", LitUnit::H),
            ("d", LitUnit::D),
            ("w", LitUnit::W),
        ];
        // An ordered choice commits to the first literal that matches.
        let mut unit = None;
        let mut end = amount;
        if let Some((text, u)) = units.iter().find(|(t, _)| super::begins_with(&self.b[amount..], t.as_bytes())) {
            let e = amount + text.len();
            if !is_ident_char(self.peek(e)) {
                unit = Some(*u);
                end = e;
            }
        }
        (!is_ident_char(self.peek(end))).then_some((amount, unit, end))
    }
}
