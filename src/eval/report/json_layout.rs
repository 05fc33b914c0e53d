//! The report's JSON layout: serde_json's pretty one, two spaces a level,
//! except that a list of plain values stays on one line (a sample reads
//! `["2026-11-23T00:00:00Z", 93.5]`).

/// How an open list is laid out: not yet known (it is empty so far), one
/// value per line, or on one line (its first value is a plain value).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListLayout {
    Undecided,
    Lines,
    Inline,
}

/// serde_json's pretty layout with lists of plain values kept on one line.
/// A list's layout is decided by its first value: the formatter holds back
/// the line break after `[` until it sees whether that value is a plain one.
#[derive(Default)]
pub(super) struct ReportFormatter {
    indent: usize,
    lists: Vec<ListLayout>,
    /// A list's first value is about to start and its layout is undecided.
    pending: bool,
    /// The innermost open object or list has a value (so it ends on a new line).
    has_value: bool,
}

impl ReportFormatter {
    /// The layout of a value written at `depth` levels of indentation.
    pub(super) fn at_depth(depth: usize) -> Self {
        ReportFormatter { indent: depth, ..ReportFormatter::default() }
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        // A line break and the indentation in one write (two spaces a level).
        const LINE: &[u8; 129] = b"\n                                                                                                                                ";
        let mut width = 2 * self.indent;
        let mut first = true;
        loop {
            let start = usize::from(!first);
            let take = width.min(LINE.len() - 1);
            w.write_all(&LINE[start..=take])?;
            width -= take;
            first = false;
            if width == 0 {
                return Ok(());
            }
        }
    }

    /// Called before any value starts: settles a pending list's layout.
    fn value_starts<W: ?Sized + std::io::Write>(&mut self, w: &mut W, plain: bool) -> std::io::Result<()> {
        if std::mem::take(&mut self.pending) {
            if let Some(top) = self.lists.last_mut() {
                *top = if plain { ListLayout::Inline } else { ListLayout::Lines };
                if !plain {
                    self.newline(w)?;
                }
            }
        }
        Ok(())
    }
}

macro_rules! plain_values {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        fn $name<W: ?Sized + std::io::Write>(&mut self, w: &mut W, value: $ty) -> std::io::Result<()> {
            self.value_starts(w, true)?;
            serde_json::ser::CompactFormatter.$name(w, value)
        }
    )*};
}

impl serde_json::ser::Formatter for ReportFormatter {
    plain_values!(
        write_bool: bool, write_i8: i8, write_i16: i16, write_i32: i32, write_i64: i64, write_i128: i128,
        write_u8: u8, write_u16: u16, write_u32: u32, write_u64: u64, write_u128: u128,
        write_f32: f32, write_f64: f64, write_number_str: &str, write_raw_fragment: &str,
    );

    fn write_null<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.value_starts(w, true)?;
        w.write_all(b"null")
    }

    fn begin_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.value_starts(w, true)?;
        w.write_all(b"\"")
    }

    fn write_byte_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W, value: &[u8]) -> std::io::Result<()> {
        self.value_starts(w, false)?;
        serde_json::ser::CompactFormatter.write_byte_array(w, value)
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.value_starts(w, false)?;
        self.indent += 1;
        self.has_value = false;
        self.lists.push(ListLayout::Undecided);
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.indent -= 1;
        self.pending = false;
        if self.lists.pop() == Some(ListLayout::Lines) && self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        match self.lists.last() {
            Some(ListLayout::Inline) => w.write_all(if first { b"" } else { b", " }),
            Some(ListLayout::Lines) => {
                w.write_all(if first { b"" } else { b"," })?;
                self.newline(w)
            }
            _ => {
                self.pending = true;
                Ok(())
            }
        }
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.value_starts(w, false)?;
        self.indent += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.indent -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"" } else { b"," })?;
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
