//! A sample time in the report: a number until it is written, then RFC 3339
//! text.

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

impl Serialize for Time {
    /// The time's text (one formatted recently on this thread is copied:
    /// [`crate::eval::metrics::format_rfc3339_into`]).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0; 30];
        match crate::eval::metrics::format_rfc3339_into(self.0, &mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&crate::eval::metrics::format_rfc3339(self.0)),
        }
    }
}
