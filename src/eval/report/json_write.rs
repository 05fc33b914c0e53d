//! The JSON writer under the report: one buffer, keys and punctuation
//! copied as bytes, strings escaped only where a byte needs it, numbers
//! and times formatted without allocating. It writes the layout of
//! [`super::json_layout`] (two spaces a level, a list of plain values on
//! one line) by hand, without serde's per-value calls.

use super::json_layout::ReportFormatter;
use super::{Num, Time};
use crate::eval::kept::Kept;
use std::io::Write;

/// How many bytes are gathered before they are handed to the output.
const CHUNK: usize = 1 << 16;

/// A line break and up to 64 levels of indentation, sliced as needed.
const LINE: &[u8; 129] = b"\n                                                                                                                                ";

/// A comma, a line break and up to 63 levels of indentation.
const COMMA_LINE: &[u8; 128] = b",\n                                                                                                                              ";

/// How many bytes of [`LINE`] or [`COMMA_LINE`] a line break at most
/// [`SHALLOW`] levels deep copies: always as many, a length the compiler
/// knows (a few register moves, not a call to copy memory), then the
/// buffer is cut back to the line break's own length.
pub(super) const RUN: usize = 64;

/// The deepest level a line break copies [`RUN`] bytes for.
const SHALLOW: usize = (RUN - 2) / 2;

/// Bytes that a JSON string cannot hold as they are: `"`, `\` and the
/// control characters. Anything else (UTF-8 included) is copied.
const fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Bytes formatted before that a piece refers to instead of copying them,
/// each with the offset of the piece's own bytes where it goes
/// ([`JsonWriter::write_piece_with`]).
pub(super) type Refs<'b> = Vec<(usize, &'b [u8])>;

/// How many slices a vectored write is given at most (the system takes
/// up to 1,024).
const SLICES_AT_ONCE: usize = 512;

thread_local! {
    /// Fractional values written recently on this thread
    /// ([`crate::eval::kept`], as times are): a sample's value is written
    /// in each read that holds it (its status, its windows), and serde's
    /// shortest form takes a couple of hundred instructions. The empty
    /// slot's mark is the bits of a NaN, which is written as a string and
    /// never looked up.
    static NUMS: std::cell::RefCell<Kept<NUM_SLOTS, 24>> = const { std::cell::RefCell::new(Kept::new(u64::MAX)) };
}

/// How many fractional values each thread keeps formatted ([`NUMS`]).
const NUM_SLOTS: usize = 256;

/// A JSON writer over `out`: values are written into one buffer, handed
/// on in pieces of about [`CHUNK`] bytes; the first error is kept and
/// returned by [`JsonWriter::finish`].
pub(super) struct JsonWriter<W: Write> {
    buf: Vec<u8>,
    out: W,
    /// The depth of the innermost open object or list.
    indent: usize,
    /// The innermost open object or list has no value yet.
    first: bool,
    error: Option<std::io::Error>,
    /// Everything stays in the buffer ([`JsonWriter::piece`]).
    hold: bool,
    /// Where the indices of reads go, left out, and which read each is
    /// ([`JsonWriter::read_index`]), when formatting before the reads
    /// are numbered ([`JsonWriter::with_holes`]).
    holes: Option<Vec<(usize, u32)>>,
}

impl JsonWriter<std::io::Sink> {
    /// A writer of a piece of a list at depth `indent` (whose value is the
    /// list's first when `first`), kept whole in `buf` (emptied) for
    /// [`JsonWriter::into_buffer`].
    pub(super) fn piece(mut buf: Vec<u8>, indent: usize, first: bool) -> Self {
        buf.clear();
        JsonWriter { buf, out: std::io::sink(), indent, first, error: None, hold: true, holes: None }
    }

    /// This writer, leaving out the index of every read and noting where
    /// it goes instead ([`JsonWriter::into_parts`]).
    pub(super) fn with_holes(mut self) -> Self {
        self.holes = Some(Vec::new());
        self
    }

    /// The bytes written and, with [`JsonWriter::with_holes`], where each
    /// index of a read was left out (the offset it goes at, and what
    /// [`JsonWriter::read_index`] was given).
    pub(super) fn into_parts(self) -> (Vec<u8>, Vec<(usize, u32)>) {
        (self.buf, self.holes.unwrap_or_default())
    }

    /// How many bytes a writer made by [`JsonWriter::piece`] has written.
    pub(super) fn written(&self) -> usize {
        self.buf.len()
    }

    /// The bytes written, for a writer made by [`JsonWriter::piece`].
    pub(super) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }
}

impl<W: Write> JsonWriter<W> {
    pub(super) fn new(out: W) -> Self {
        JsonWriter {
            buf: Vec::with_capacity(CHUNK + 4096),
            out,
            indent: 0,
            first: true,
            error: None,
            hold: false,
            holes: None,
        }
    }

    /// The index of a read in the report's `reads` list: written, or
    /// left out and noted ([`JsonWriter::with_holes`]).
    pub(super) fn read_index(&mut self, index: u32) {
        match &mut self.holes {
            Some(holes) => holes.push((self.buf.len(), index)),
            None => self.uint(u64::from(index)),
        }
    }

    /// Writes `bytes`, formatted by a writer [`JsonWriter::with_holes`]
    /// at this writer's depth, with each index left out written as
    /// `numbers` has it: `numbers[i]` for the index noted as `i`. The
    /// innermost list then has a value. The bytes between the indices are
    /// referred to in `refs`, not copied ([`Refs`]).
    pub(super) fn filled<'b>(&mut self, bytes: &'b [u8], holes: &[(usize, u32)], numbers: &[u32], refs: &mut Refs<'b>) {
        self.filled_from(bytes, 0, holes, numbers, refs);
    }

    /// [`JsonWriter::filled`] for a value of the innermost list formatted
    /// as a value after the first ([`JsonWriter::formatted_item`]).
    pub(super) fn filled_item<'b>(
        &mut self,
        bytes: &'b [u8],
        holes: &[(usize, u32)],
        numbers: &[u32],
        refs: &mut Refs<'b>,
    ) {
        let skip = usize::from(self.first);
        self.filled_from(bytes, skip, holes, numbers, refs);
    }

    fn filled_from<'b>(
        &mut self,
        bytes: &'b [u8],
        mut from: usize,
        holes: &[(usize, u32)],
        numbers: &[u32],
        refs: &mut Refs<'b>,
    ) {
        for (at, i) in holes {
            self.refer(&bytes[from..*at], refs);
            self.uint(u64::from(numbers[*i as usize]));
            from = *at;
        }
        self.refer(&bytes[from..], refs);
        self.first = false;
    }

    /// Writes a value of the innermost list formatted, at this depth, as
    /// a value after the first (its comma, line break and indentation
    /// included): as the first, without the comma. It is referred to in
    /// `refs`, not copied.
    pub(super) fn formatted_item<'b>(&mut self, bytes: &'b [u8], refs: &mut Refs<'b>) {
        let skip = usize::from(std::mem::take(&mut self.first));
        self.refer(&bytes[skip..], refs);
    }

    /// Notes that `bytes` go here, after what this writer has written.
    fn refer<'b>(&self, bytes: &'b [u8], refs: &mut Refs<'b>) {
        if !bytes.is_empty() {
            refs.push((self.buf.len(), bytes));
        }
    }

    /// Writes a piece another writer formatted ([`JsonWriter::piece`]),
    /// `own`, with the bytes it refers to (`refs`) where they go: all
    /// handed on as they are, a few hundred slices a write. The innermost
    /// list then has a value.
    pub(super) fn write_piece_with(&mut self, own: &[u8], refs: &[(usize, &[u8])]) {
        self.flush_all();
        self.first = false;
        let mut slices = Vec::with_capacity(SLICES_AT_ONCE);
        let mut from = 0;
        for (at, bytes) in refs {
            if *at > from {
                slices.push(std::io::IoSlice::new(&own[from..*at]));
                from = *at;
            }
            slices.push(std::io::IoSlice::new(bytes));
            if slices.len() >= SLICES_AT_ONCE - 1 {
                self.write_slices(&mut slices);
            }
        }
        if from < own.len() {
            slices.push(std::io::IoSlice::new(&own[from..]));
        }
        self.write_slices(&mut slices);
    }

    /// Writes all of `slices` (none empty) unless an error came before,
    /// and empties it.
    fn write_slices(&mut self, slices: &mut Vec<std::io::IoSlice<'_>>) {
        let mut left = &mut slices[..];
        while self.error.is_none() && !left.is_empty() {
            match self.out.write_vectored(left) {
                Ok(0) => self.error = Some(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => std::io::IoSlice::advance_slices(&mut left, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => self.error = Some(e),
            }
        }
        slices.clear();
    }

    /// Hands the buffer on when it is full enough; call between values.
    pub(super) fn flush_some(&mut self) {
        if self.buf.len() >= CHUNK && !self.hold {
            self.flush_all();
        }
    }

    fn flush_all(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.buf) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }

    /// Writes what is left, then a final line feed.
    pub(super) fn finish(mut self) -> std::io::Result<W> {
        self.buf.push(b'\n');
        self.finish_part()
    }

    /// Writes what is left (a part another writer goes on from) and gives
    /// the output back.
    pub(super) fn finish_part(mut self) -> std::io::Result<W> {
        self.flush_all();
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }

    fn newline(&mut self) {
        if self.indent <= SHALLOW {
            let end = self.buf.len() + 1 + 2 * self.indent;
            self.buf.extend_from_slice(&LINE[..RUN]);
            self.buf.truncate(end);
            return;
        }
        self.newline_deep();
    }

    #[inline(never)]
    fn newline_deep(&mut self) {
        let mut width = 2 * self.indent;
        if width < LINE.len() {
            self.buf.extend_from_slice(&LINE[..=width]);
            return;
        }
        let mut start = 0;
        loop {
            let take = width.min(LINE.len() - 1);
            self.buf.extend_from_slice(&LINE[start..=take]);
            width -= take;
            start = 1;
            if width == 0 {
                return;
            }
        }
    }

    /// Opens an object (as a value: after a key or an item).
    pub(super) fn open_object(&mut self) {
        self.buf.push(b'{');
        self.indent += 1;
        self.first = true;
    }

    /// Closes the innermost object.
    pub(super) fn close_object(&mut self) {
        self.indent -= 1;
        if !self.first {
            self.newline();
        }
        self.buf.push(b'}');
        self.first = false;
    }

    /// Opens a list whose values each go on their own line.
    pub(super) fn open_list(&mut self) {
        self.buf.push(b'[');
        self.indent += 1;
        self.first = true;
    }

    /// Starts the next value of a list opened by [`JsonWriter::open_list`].
    pub(super) fn item(&mut self) {
        self.raw_key("");
    }

    /// Closes a list opened by [`JsonWriter::open_list`].
    pub(super) fn close_list(&mut self) {
        self.indent -= 1;
        if !self.first {
            self.newline();
        }
        self.buf.push(b']');
        self.first = false;
    }

    /// Starts a field of the innermost object: `quoted` is its key as
    /// written (`"name": `), one of the report's own.
    ///
    /// Inlined: each key is a literal, copied as the few bytes it is.
    #[inline]
    pub(super) fn raw_key(&mut self, quoted: &str) {
        if self.indent <= SHALLOW {
            // The comma left out after an opening bracket.
            let start = usize::from(std::mem::take(&mut self.first));
            let end = self.buf.len() + 2 + 2 * self.indent - start;
            self.buf.extend_from_slice(&COMMA_LINE[start..start + RUN]);
            self.buf.truncate(end);
        } else {
            self.separator_deep();
        }
        self.buf.extend_from_slice(quoted.as_bytes());
    }

    /// A string of the report's own vocabulary (an outcome, a status, an
    /// enforcement: `pass`, `at_risk`), which has no byte to escape: copied
    /// between its quotes without the check [`JsonWriter::str`] makes.
    pub(super) fn word(&mut self, word: &'static str) {
        debug_assert!(crate::text::all_plain(word.as_bytes(), false), "{word}");
        self.buf.push(b'"');
        self.buf.extend_from_slice(word.as_bytes());
        self.buf.push(b'"');
    }

    #[inline(never)]
    fn separator_deep(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.buf.push(b',');
        }
        self.newline();
    }

    /// Starts a field whose name comes from the data (escaped).
    pub(super) fn key_escaped(&mut self, name: &str) {
        if !std::mem::take(&mut self.first) {
            self.buf.push(b',');
        }
        self.newline();
        self.str(name);
        self.buf.extend_from_slice(b": ");
    }

    /// A sample, on one line: `["2026-11-23T00:00:00Z", 93.5]`.
    pub(super) fn buf_inline_pair(&mut self, time: Time, value: Num) {
        self.buf.push(b'[');
        self.time(time);
        self.buf.extend_from_slice(b", ");
        self.num(value);
        self.buf.push(b']');
    }

    /// A list of plain values, on one line: `[a, b]` (`[]` when empty).
    pub(super) fn inline_list<'v, T>(&mut self, values: &'v [T], mut each: impl FnMut(&mut Self, &'v T)) {
        self.buf.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.extend_from_slice(b", ");
            }
            each(self, v);
        }
        self.buf.push(b']');
    }

    /// A list of values each on its own line (`[]` when empty).
    pub(super) fn list<'v, T>(&mut self, values: &'v [T], mut each: impl FnMut(&mut Self, &'v T)) {
        self.open_list();
        for v in values {
            self.item();
            each(self, v);
        }
        self.close_list();
    }

    /// A JSON string, escaped as serde_json escapes it.
    pub(super) fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        self.buf.push(b'"');
        // Most strings need no escape: each is copied whole, then checked
        // where it now is (read once from the report, then in the cache),
        // and written again, escaped, in the rare case.
        let copied = self.buf.len();
        self.buf.extend_from_slice(bytes);
        if crate::text::all_plain(&self.buf[copied..], false) {
            self.buf.push(b'"');
            return;
        }
        self.buf.truncate(copied);
        let (mut start, mut at) = (0, 0);
        // Words without a byte to escape are skipped whole; the word that
        // has one, and the last few bytes, are looked at byte by byte.
        loop {
            at += crate::text::plain_prefix(&bytes[at..], false);
            let Some(&b) = bytes.get(at) else { break };
            if needs_escape(b) {
                self.buf.extend_from_slice(&bytes[start..at]);
                self.escape(b);
                start = at + 1;
            }
            at += 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
        self.buf.push(b'"');
    }

    fn escape(&mut self, b: u8) {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.buf.extend_from_slice(b"\\u00");
                self.buf.push(HEX[usize::from(b >> 4)]);
                self.buf.push(HEX[usize::from(b & 0xf)]);
                return;
            }
        };
        self.buf.extend_from_slice(short);
    }

    /// `null`.
    pub(super) fn null(&mut self) {
        self.buf.extend_from_slice(b"null");
    }

    /// `true` or `false`.
    pub(super) fn bool(&mut self, b: bool) {
        self.buf.extend_from_slice(if b { b"true" } else { b"false" });
    }

    /// An unsigned integer.
    pub(super) fn uint(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        self.buf.extend_from_slice(crate::check::rational::decimal_digits(n, &mut digits));
    }

    /// A number as [`Num`] serialises it: integral values without a
    /// fraction, others in serde_json's shortest form, NaN and the
    /// infinities as strings.
    pub(super) fn num(&mut self, n: Num) {
        let x = n.0;
        if x.is_nan() {
            self.buf.extend_from_slice(b"\"NaN\"");
        } else if x.is_infinite() {
            self.buf.extend_from_slice(if x > 0.0 { b"\"+Inf\"" } else { b"\"-Inf\"" });
        } else if x == x.trunc() && x.abs() < 9.007_199_254_740_992e15 {
            let i = x as i64;
            if i < 0 {
                self.buf.push(b'-');
            }
            self.uint(i.unsigned_abs());
        } else {
            self.fraction(x);
        }
    }

    /// A finite value with a fraction, in serde_json's shortest form;
    /// recently written ones are copied ([`NUMS`]).
    fn fraction(&mut self, x: f64) {
        let write = |out: &mut dyn Write| {
            serde_json::ser::Formatter::write_f64(&mut serde_json::ser::CompactFormatter, out, x).ok()
        };
        let buf = &mut self.buf;
        // Serde's shortest form of an `f64` takes at most 24 bytes: kept
        // whole, else (should one ever not fit) written as it is.
        let kept = NUMS.with_borrow_mut(|nums| {
            let text = nums.text(x.to_bits(), |slot| {
                let mut rest = &mut slot[..];
                write(&mut rest)?;
                Some(24 - rest.len())
            })?;
            buf.extend_from_slice(text);
            Some(())
        });
        if kept.is_none() {
            // Writing into a vector cannot fail.
            let _ = write(buf);
        }
    }

    /// A time as an RFC 3339 string (one formatted recently on this
    /// thread is copied: [`crate::eval::time::push_rfc3339`]).
    pub(super) fn time(&mut self, t: Time) {
        self.buf.push(b'"');
        if crate::eval::time::push_rfc3339(t.0, &mut self.buf) {
            self.buf.push(b'"');
        } else {
            // Outside the years 0000 to 9999, which an `i64` of nanoseconds
            // cannot reach: kept for a wider time, should one ever be written.
            self.buf.pop();
            self.str(&crate::eval::metrics::format_rfc3339(t.0));
        }
    }

    /// Any other serialisable value at the current depth, through serde
    /// and the report's formatter (for the report's rarer parts).
    pub(super) fn serde(&mut self, value: &impl serde::Serialize) {
        let mut ser = serde_json::Serializer::with_formatter(&mut self.buf, ReportFormatter::at_depth(self.indent));
        if let Err(e) = value.serialize(&mut ser) {
            if self.error.is_none() {
                self.error = Some(e.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{JsonWriter, NUM_SLOTS};
    use crate::eval::metrics::format_rfc3339;
    use crate::eval::report::{Num, Time};
    use crate::eval::time::KEPT_TIMES;
    use serde_json::{json, Value};

    /// Objects and lists nested `depth` deep, each with a number after the
    /// nested value: written by the writer, and as a value for serde.
    fn nested(w: &mut JsonWriter<Vec<u8>>, depth: usize) -> Value {
        if depth == 0 {
            w.uint(7);
            return json!(7);
        }
        if depth % 2 == 0 {
            w.open_object();
            w.raw_key("\"inner\": ");
            let inner = nested(w, depth - 1);
            w.raw_key("\"n\": ");
            w.uint(depth as u64);
            w.close_object();
            json!({ "inner": inner, "n": depth })
        } else {
            w.open_list();
            w.item();
            let inner = nested(w, depth - 1);
            w.item();
            w.uint(depth as u64);
            w.close_list();
            json!([inner, depth])
        }
    }

    /// The line breaks and commas are those of serde's pretty printer at
    /// every depth: those copied as a run of fixed length and cut back, and
    /// the deeper ones, past the run and past the longest line break kept.
    #[test]
    fn line_breaks_at_every_depth_are_serdes() {
        for depth in [0, 1, 2, 30, 31, 32, 33, 62, 63, 64, 65, 130, 131] {
            let mut w = JsonWriter::new(Vec::new());
            let value = nested(&mut w, depth);
            let written = String::from_utf8(w.finish().unwrap()).unwrap();
            let expected = serde_json::to_string_pretty(&value).unwrap() + "\n";
            assert!(written == expected, "depth {depth}");
        }
    }

    /// Each of `values` written, then all again in reverse, by three
    /// writers taking turns, on two threads at once, is what `text` says
    /// (a thread's kept texts shared by its writers, more values than
    /// slots).
    fn writers_take_turns<T: Sync>(
        values: &[T],
        write: impl Fn(&mut JsonWriter<std::io::Sink>, &T) + Sync,
        text: impl Fn(&T) -> String + Sync,
    ) {
        let all: Vec<&T> = values.iter().chain(values.iter().rev()).collect();
        // Each writer's text, and what it should be.
        let run = |offset: usize| {
            let mut writers: Vec<JsonWriter<std::io::Sink>> =
                (0..3).map(|_| JsonWriter::piece(Vec::new(), 0, true)).collect();
            let mut expected = vec![String::new(); writers.len()];
            for (i, v) in all.iter().enumerate() {
                let w = (i + offset) % writers.len();
                write(&mut writers[w], v);
                expected[w] += &text(v);
            }
            let written: Vec<String> =
                writers.into_iter().map(|w| String::from_utf8(w.into_buffer()).unwrap()).collect();
            assert_eq!(written, expected);
        };
        std::thread::scope(|scope| {
            let other = scope.spawn(|| run(1));
            run(0);
            other.join().unwrap();
        });
    }

    /// Times are written as formatted anew, among them `i64::MIN` (the
    /// empty slot's mark, first, while its slot is empty) and the other
    /// ends of the range (nanoseconds since 1970 in an `i64` span the
    /// years 1677 to 2262).
    #[test]
    fn times_kept_by_a_thread_are_written_right_by_each_writer() {
        let mut times = vec![i64::MIN, i64::MIN + 1, i64::MAX, -1, 0];
        times.extend((0..3 * KEPT_TIMES as i64).map(|i| 1_795_478_400_000_000_000 + i * 3_600_000_000_001));
        writers_take_turns(&times, |w, t| w.time(Time(*t)), |t| format!("\"{}\"", format_rfc3339(*t)));
    }

    /// Fractional values are written as serde writes them, among them the
    /// longest text there is (24 bytes).
    #[test]
    fn values_kept_by_a_thread_are_written_right_by_each_writer() {
        let mut values: Vec<f64> =
            vec![0.5, -0.5, 93.93, 0.000707, 5e-324, -1.797_693_134_862_315_7e308, 1e-7, 123.456];
        values.push(-2.225_073_858_507_201_4e-308);
        values.extend((0..3 * NUM_SLOTS).map(|i| i as f64 / 7.0 + 0.001));
        writers_take_turns(&values, |w, v| w.num(Num(*v)), |v| serde_json::to_string(v).unwrap());
    }
}
