//! Texts formatted recently, kept by a thread: a report writes the same
//! few sample times and values over and over (in each read's samples and
//! reasons), and formatting one anew takes a couple of hundred
//! instructions where copying it takes a few.
//!
//! A table is direct-mapped: each key (a time's nanoseconds, a value's
//! bits) has one slot, picked by its hash, which holds one text. Keys
//! chosen to share a slot only make it miss, with no slowdown beyond
//! formatting anew. Each table lives in a `thread_local!`, shared by the
//! thread's writers, with no lock.

/// A table of `SLOTS` texts of at most `LEN` bytes each, by key.
pub(crate) struct Kept<const SLOTS: usize, const LEN: usize> {
    /// Each slot's key, the length of its text, the text.
    slots: [(u64, u8, [u8; LEN]); SLOTS],
    /// The key every slot starts with, which is never taken as kept (a
    /// text asked for under it is formatted every time).
    empty: u64,
}

impl<const SLOTS: usize, const LEN: usize> Kept<SLOTS, LEN> {
    /// A table with every slot empty, marked with the key `empty`.
    pub(crate) const fn new(empty: u64) -> Self {
        Kept { slots: [(empty, 0, [0; LEN]); SLOTS], empty }
    }

    /// The text of `key`: the one kept, or the one `format` writes into
    /// the start of a buffer (giving its length), then kept. `None`, and
    /// nothing kept, when `format` gives `None` (a text it cannot write,
    /// or one longer than `LEN` bytes).
    pub(crate) fn text(&mut self, key: u64, format: impl FnOnce(&mut [u8; LEN]) -> Option<usize>) -> Option<&[u8]> {
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % SLOTS;
        let entry = &mut self.slots[slot];
        if entry.0 != key || key == self.empty {
            let mut buf = [0; LEN];
            let len = format(&mut buf).filter(|n| *n <= LEN)?;
            *entry = (key, u8::try_from(len).ok()?, buf);
        }
        Some(&entry.2[..usize::from(entry.1)])
    }
}

#[cfg(test)]
mod tests {
    use super::Kept;

    /// The decimal digits of `key`, and how many times it was formatted.
    fn digits(key: u64, calls: &mut usize) -> impl FnOnce(&mut [u8; 20]) -> Option<usize> + '_ {
        move |buf| {
            *calls += 1;
            let text = key.to_string();
            buf[..text.len()].copy_from_slice(text.as_bytes());
            Some(text.len())
        }
    }

    #[test]
    fn a_text_is_formatted_once_until_another_takes_its_slot() {
        let mut kept: Kept<4, 20> = Kept::new(u64::MAX);
        let mut calls = 0;
        // More keys than slots, each asked twice in a row, then all again.
        let keys: Vec<u64> = (0..16).map(|i| i * 1_000_003).collect();
        for &k in keys.iter().chain(&keys) {
            for _ in 0..2 {
                assert_eq!(kept.text(k, digits(k, &mut calls)), Some(k.to_string().as_bytes()));
            }
        }
        // Each key formatted at most once a pass (the second ask is kept).
        assert!(calls <= 2 * keys.len(), "{calls} formats");
        assert!(calls >= keys.len(), "{calls} formats");
    }

    #[test]
    fn the_empty_mark_and_a_failed_format_are_never_kept() {
        let mut kept: Kept<4, 20> = Kept::new(7);
        let mut calls = 0;
        for _ in 0..3 {
            assert_eq!(kept.text(7, digits(7, &mut calls)), Some(&b"7"[..]));
        }
        assert_eq!(calls, 3, "the empty slot's mark is formatted every time");
        assert_eq!(kept.text(8, |_| None), None);
        assert_eq!(kept.text(8, |_| Some(21)), None, "a text longer than a slot");
        let mut calls = 0;
        assert_eq!(kept.text(8, digits(8, &mut calls)), Some(&b"8"[..]));
        assert_eq!(kept.text(8, digits(8, &mut calls)), Some(&b"8"[..]));
        assert_eq!(calls, 1);
    }
}
