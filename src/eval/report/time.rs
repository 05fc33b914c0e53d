//! A sample time in the report: a number until it is written, then RFC 3339
//! text (recently written times are kept formatted).

use serde::ser::{Serialize, Serializer};

/// A time in seconds since the Unix epoch, written as RFC 3339 in UTC
/// (`2026-11-24T00:00:00Z`). Kept as a number until the report is
/// written, so a large report does not hold a string per sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0; 30];
        match crate::eval::metrics::format_rfc3339_into(self.0, &mut buf) {
            Some(text) => f.write_str(text),
            None => f.write_str(&crate::eval::metrics::format_rfc3339(self.0)),
        }
    }
}

/// How many times [`Time::serialize`] keeps formatted (a report writes the
/// same sample times over and over: every criterion reading a KPI repeats
/// its evidence).
pub(super) const TIME_SLOTS: usize = 256;

thread_local! {
    /// Times recently written and their text, each in the slot its hash picks.
    static TIME_TEXT: std::cell::RefCell<Vec<(i64, Box<str>)>> =
        std::cell::RefCell::new(vec![(i64::MIN, Box::from("")); TIME_SLOTS]);
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        // `i64::MIN` marks an empty slot, so it is never looked up.
        if t == i64::MIN {
            return s.serialize_str(&crate::eval::metrics::format_rfc3339(t));
        }
        let slot = ((t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % TIME_SLOTS;
        TIME_TEXT.with_borrow_mut(|slots| {
            let entry = &mut slots[slot];
            if entry.0 != t {
                let mut buf = [0; 30];
                let text = match crate::eval::metrics::format_rfc3339_into(t, &mut buf) {
                    Some(text) => Box::from(text),
                    None => crate::eval::metrics::format_rfc3339(t).into_boxed_str(),
                };
                *entry = (t, text);
            }
            s.serialize_str(&entry.1)
        })
    }
}
