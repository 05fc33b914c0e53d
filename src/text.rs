//! Source text, spans and positions.
//!
//! Every node of the AST and every diagnostic carries a [`Span`]: a half-open
//! range of **byte** offsets into one file's text. Lines and columns are
//! derived on demand by a [`LineIndex`]; columns count Unicode scalar values
//! (characters), as the command line's JSON output promises. The language
//! server converts to UTF-16 itself; nothing else in the crate knows UTF-16.

use std::fmt;

/// A half-open range `[start, end)` of byte offsets into one file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
    /// This span moved right by `offset` bytes.
    pub fn shift(self, offset: usize) -> Span {
        Span { start: self.start + offset as u32, end: self.end + offset as u32 }
    }
    /// The span as a `usize` range, for slicing text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    /// Whether `offset` lies inside the span (the end counts as inside, so a
    /// cursor right after a name is "on" it).
    pub fn touches(self, offset: usize) -> bool {
        self.start as usize <= offset && offset <= self.end as usize
    }
    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }
    /// Whether the span is empty.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Identifies one loaded file inside an analysis (an index into its file table).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A span inside a particular file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FileSpan {
    /// The file.
    pub file: FileId,
    /// The byte range inside it.
    pub span: Span,
}

impl FileSpan {
    /// Pairs a file with a span.
    pub fn new(file: FileId, span: Span) -> FileSpan {
        FileSpan { file, span }
    }
}

/// A 1-based line and column, the column counted in characters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
}

/// Maps byte offsets to lines and columns for one text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0u32];
        let bytes = text.as_bytes();
        // Eight bytes a step: a word without a newline (most of them) is
        // skipped whole; one that may hold one is read byte by byte.
        const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
        const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
        const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
        let mut words = bytes.chunks_exact(8);
        let mut at = 0;
        for word in words.by_ref() {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            let x = u64::from_ne_bytes(w) ^ NEWLINES;
            // Nonzero exactly when a byte of `x` is zero (a newline of
            // `word`); which byte, the loop finds.
            if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
                for (i, b) in word.iter().enumerate() {
                    if *b == b'\n' {
                        line_starts.push((at + i) as u32 + 1);
                    }
                }
            }
            at += 8;
        }
        for (i, b) in words.remainder().iter().enumerate() {
            if *b == b'\n' {
                line_starts.push((at + i) as u32 + 1);
            }
        }
        LineIndex { line_starts }
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte offset where 0-based `line` starts (clamped to the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts[line.min(self.line_starts.len() - 1)] as usize
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and character column of byte `offset` in `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = clamp_to_char_boundary(text, offset);
        self.line_col_in(text, offset, self.line_of(offset))
    }

    /// [`LineIndex::line_col`], looking first at the few lines from the
    /// 0-based line `near` on (where a reader going through the file in
    /// order finds most offsets), and then everywhere; with the 0-based
    /// line found, to look near next.
    pub fn line_col_near(&self, text: &str, offset: usize, near: usize) -> (LineCol, usize) {
        /// How many lines past `near` are looked at one by one.
        const AHEAD: usize = 16;
        let offset = clamp_to_char_boundary(text, offset);
        let starts = &self.line_starts;
        // A line holds `offset` when it starts at or before it and the
        // next starts after it.
        let holds = |line: usize| {
            starts.get(line).is_some_and(|s| *s as usize <= offset)
                && starts.get(line + 1).is_none_or(|s| *s as usize > offset)
        };
        let line = (near..near + AHEAD).find(|l| holds(*l)).unwrap_or_else(|| self.line_of(offset));
        (self.line_col_in(text, offset, line), line)
    }

    /// The line and column of `offset` (a char boundary), on the 0-based
    /// `line`.
    fn line_col_in(&self, text: &str, offset: usize, line: usize) -> LineCol {
        let start = self.line_starts[line] as usize;
        let column = text[start..offset].chars().count() as u32 + 1;
        LineCol { line: line as u32 + 1, column }
    }
}

/// The largest char boundary of `text` at or before `offset`.
pub fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One loaded file: its display path, its text and its line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path shown to users (relative to where compel was run, with `/`
    /// separators; stdlib files are `std/NAME.compel`).
    pub path: String,
    /// The full text.
    pub text: String,
    /// Line starts of `text`.
    pub lines: LineIndex,
}

impl SourceFile {
    /// Wraps a path and its text.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let lines = LineIndex::new(&text);
        SourceFile { path: path.into(), text, lines }
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }
}

/// The files of one analysis, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    /// An empty table.
    pub fn new() -> Files {
        Files::default()
    }
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }
    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    /// The id of the file with this path, if loaded.
    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }
    /// All files with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }
    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }
    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// How many bytes at the start of `bytes` can be copied into a
/// double-quoted JSON or YAML string as they are, found eight at a time
/// (the whole words before the first byte that stops it):
/// a word holding a control byte (below 0x20), `"` or `\\` stops the scan,
/// and with `ascii_only` so does DEL or any non-ASCII byte (YAML escapes
/// some non-ASCII characters). The caller looks at the rest byte by byte.
pub(crate) fn plain_prefix(bytes: &[u8], ascii_only: bool) -> usize {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if stops(u64::from_le_bytes(word), ascii_only) != 0 {
            break;
        }
        at += 8;
    }
    at
}

/// Whether all of `bytes` can be copied as they are ([`plain_prefix`]'s
/// bytes): the whole words first, then the last eight bytes as one word
/// (overlapping what was looked at), or, when there are fewer, as one word
/// padded with spaces.
pub(crate) fn all_plain(bytes: &[u8], ascii_only: bool) -> bool {
    let n = bytes.len();
    let mut word = [b' '; 8];
    if n < 8 {
        word[..n].copy_from_slice(bytes);
    } else if plain_prefix(bytes, ascii_only) + 8 <= n {
        return false;
    } else {
        word.copy_from_slice(&bytes[n - 8..]);
    }
    stops(u64::from_le_bytes(word), ascii_only) == 0
}

/// Non-zero when a byte of the word `v` cannot be copied as it is: a
/// control byte (below 0x20), `"` or `\\`, and with `ascii_only` DEL or a
/// non-ASCII byte.
fn stops(v: u64, ascii_only: bool) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Non-zero when some byte of `x` is zero (exact for the lowest such
    // byte, which is all the scan needs).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut stop = v.wrapping_sub(0x20 * ONES) & !v & HIGH;
    stop |= zero(v ^ (u64::from(b'"') * ONES)) | zero(v ^ (u64::from(b'\\') * ONES));
    if ascii_only {
        stop |= v & HIGH | zero(v ^ (0x7f * ONES));
    }
    stop
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    /// Looking near a line first finds the line and column of
    /// [`LineIndex::line_col`], whatever the line looked near: before the
    /// offset's, on it, just after, far before, past the end.
    #[test]
    fn looking_near_a_line_finds_what_looking_everywhere_finds() {
        let text = "ab\n\nwé x\n\n\nlast line\nq\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\nend";
        let index = LineIndex::new(text);
        let lines = index.line_count();
        for offset in 0..=text.len() + 2 {
            let everywhere = index.line_col(text, offset);
            for near in 0..lines + 2 {
                let (found, line) = index.line_col_near(text, offset, near);
                assert_eq!(found, everywhere, "offset {offset} near {near}");
                assert_eq!(line as u32 + 1, found.line);
            }
        }
    }

    /// The plain prefix is every whole word of eight bytes before the
    /// first byte that must be escaped, wherever that byte is, for JSON
    /// and for YAML; and bytes are all plain exactly when none is such a
    /// byte, whatever their length.
    #[test]
    fn the_plain_prefix_ends_at_the_word_of_the_first_byte_to_escape() {
        for ascii_only in [false, true] {
            let stops: &[u8] = if ascii_only { b"\x00\n\x1f\"\\\x7f\xc3\xff" } else { b"\x00\n\x1f\"\\" };
            for len in [0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 100] {
                let plain = vec![b'a'; len];
                assert_eq!(super::plain_prefix(&plain, ascii_only), len / 8 * 8, "{len} plain bytes");
                assert!(super::all_plain(&plain, ascii_only), "{len} plain bytes");
                for at in 0..len {
                    for stop in stops {
                        let mut bytes = plain.clone();
                        bytes[at] = *stop;
                        assert_eq!(super::plain_prefix(&bytes, ascii_only), at / 8 * 8, "{stop:#x} at {at} of {len}");
                        assert!(!super::all_plain(&bytes, ascii_only), "{stop:#x} at {at} of {len}");
                    }
                }
            }
            // What only YAML escapes, JSON copies.
            assert_eq!(super::plain_prefix("é é é é é é é é é é é".as_bytes(), ascii_only) > 0, !ascii_only);
        }
    }

    #[test]
    fn line_starts_are_found_eight_bytes_a_step_as_one_by_one() {
        let texts = [
            String::new(),
            "\n".to_string(),
            "a\nb".to_string(),
            "\x0b\n\x0b\x0b\n\x01\x0a\x0b\n".repeat(5),
            "kpi a { target >= 92% }\n\n  é\n\r\n".repeat(7),
            "no newline at all, but longer than eight bytes".to_string(),
        ];
        for text in texts {
            let mut want = vec![0];
            want.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i as u32 + 1));
            assert_eq!(LineIndex::new(&text).line_starts, want, "{text:?}");
        }
    }
}
