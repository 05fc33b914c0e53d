//! The printer: walks the tree in source order and writes the canonical
//! layout, putting every comment back where it was.
//!
//! Comments are placed by position. Before writing a token that comes from
//! the source, the printer first writes every comment that starts before
//! that token's position. How a comment is written depends on two facts
//! read from the input and on where the printer stands:
//!
//! - a *trailing* comment (code before it on its source line) is appended to
//!   the current output line, two spaces after the code;
//! - an *own-line* comment gets a line of its own: between members of a
//!   block, at the members' indentation (keeping one blank line before it
//!   when the input had one); inside an expression, on a continuation line
//!   two spaces deeper.
//!
//! Either way the line ends after a comment, and the printer continues on a
//! fresh line. Both facts survive formatting (a trailing comment is printed
//! trailing, an own-line comment on its own line, a blank line before it is
//! kept), which is what makes the printer idempotent; and comments are
//! written in source order relative to the tokens that carry a position,
//! which keeps `///` doc comments attached to what they document.

#[path = "expr.rs"]
mod expr;
#[path = "extend.rs"]
mod extend;
#[path = "test_blocks.rs"]
mod test_blocks;

use super::flat::{self, width};
use super::MAX_WIDTH;
use crate::syntax::ast::*;

/// A comment with the facts the printer needs about it.
struct CommentInfo<'a> {
    /// Where it starts in the input.
    start: u32,
    /// Its text, trailing whitespace removed.
    text: &'a str,
    /// Whether code precedes it on its line.
    trailing: bool,
    /// Whether a blank line precedes it.
    blank_before: bool,
}

/// Indentation state saved when a block or a broken list opens.
struct Saved {
    indent: usize,
    cont: bool,
}

/// The formatter's output state.
pub(super) struct Printer<'a> {
    source: &'a str,
    comments: Vec<CommentInfo<'a>>,
    /// The next comment to print.
    next: usize,
    out: String,
    /// Indentation of the current block's lines.
    indent: usize,
    /// Whether a line break inside a construct happened, so new lines are
    /// continuation lines, two spaces deeper.
    cont: bool,
    /// Whether the current output line holds anything.
    line_has_content: bool,
    /// Whether nothing was written since the current block opened (no blank
    /// line may follow).
    block_start: bool,
    /// Spaces to write before the next token on the same line.
    pending: usize,
}

impl<'a> Printer<'a> {
    pub(super) fn new(source: &'a str, comments: &[Comment]) -> Printer<'a> {
        let mut infos: Vec<CommentInfo<'a>> = comments
            .iter()
            .map(|c| CommentInfo {
                start: c.span.start,
                text: source.get(c.span.range()).unwrap_or_default().trim_end(),
                trailing: is_trailing(source, c.span.start),
                blank_before: blank_before(source, c.span.start),
            })
            .collect();
        infos.sort_by_key(|c| c.start);
        Printer {
            source,
            comments: infos,
            next: 0,
            out: String::with_capacity(source.len() + source.len() / 8),
            indent: 0,
            cont: false,
            line_has_content: false,
            block_start: true,
            pending: 0,
        }
    }

    /// Prints the whole file.
    pub(super) fn file(mut self, file: &File) -> String {
        for item in &file.items {
            self.line_start(item_start(item), false, true);
            self.item(item);
        }
        self.flush_lines(u32::MAX, true, false);
        self.newline();
        self.out
    }

    // ---- low-level output --------------------------------------------------

    /// Ends the current line if it holds anything.
    fn newline(&mut self) {
        if self.line_has_content {
            self.out.push('\n');
            self.line_has_content = false;
        }
        self.pending = 0;
    }

    /// Ends the current line and leaves one blank line (never two, never at
    /// the start of the output).
    fn blank(&mut self) {
        self.newline();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Writes text: after the indentation on a fresh line, after the pending
    /// spaces otherwise.
    fn write(&mut self, s: &str) {
        let n = if self.line_has_content { self.pending } else { self.indent + if self.cont { 2 } else { 0 } };
        self.out.extend(std::iter::repeat_n(' ', n));
        self.out.push_str(s);
        self.pending = 0;
        self.line_has_content = true;
    }

    /// Asks for one space before the next token (dropped at a line start).
    fn space(&mut self) {
        self.pending = self.pending.max(1);
    }

    /// Writes a token that stands at `pos` in the input, after the comments
    /// that come before it.
    fn tok(&mut self, pos: u32, s: &str) {
        self.flush_inline(pos);
        self.write(s);
    }

    /// The indentation of the current output line.
    fn current_line_indent(&self) -> usize {
        let line = match self.out.rfind('\n') {
            Some(i) => &self.out[i + 1..],
            None => &self.out[..],
        };
        line.len() - line.trim_start_matches(' ').len()
    }

    // ---- comments ------------------------------------------------------------

    /// Writes the comments before `pos` found inside a construct: a trailing
    /// one ends the current line, an own-line one gets a continuation line.
    fn flush_inline(&mut self, pos: u32) {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= pos {
                break;
            }
            let (text, trailing) = (c.text, c.trailing);
            self.next += 1;
            if trailing && self.line_has_content {
                self.out.push_str("  ");
                self.out.push_str(text);
            } else {
                self.newline();
                self.cont = true;
                self.write(text);
            }
            self.out.push('\n');
            self.line_has_content = false;
            self.cont = true;
            self.pending = 0;
        }
    }

    /// Writes the comments before `pos` found between lines of a block: a
    /// trailing one ends the current line, an own-line one gets its own line
    /// at the block's indentation. `forced` asks for a blank line before the
    /// first own-line comment; the result says whether it is still owed.
    fn flush_lines(&mut self, pos: u32, allow_blank: bool, mut forced: bool) -> bool {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= pos {
                break;
            }
            let (text, trailing, blank) = (c.text, c.trailing, c.blank_before);
            self.next += 1;
            if trailing && self.line_has_content {
                self.out.push_str("  ");
                self.out.push_str(text);
                self.out.push('\n');
                self.line_has_content = false;
                continue;
            }
            self.newline();
            if allow_blank && !self.block_start && (blank || forced) {
                self.blank();
            }
            forced = false;
            self.cont = false;
            self.write(text);
            self.newline();
            self.block_start = false;
        }
        forced
    }

    /// Starts a new line of a block for the member at `pos`: its comments
    /// first, then a blank line if the input had one (or `forced`).
    fn line_start(&mut self, pos: u32, forced: bool, allow_blank: bool) {
        let forced = self.flush_lines(pos, allow_blank, forced);
        self.newline();
        if allow_blank && !self.block_start && (forced || blank_before(self.source, pos)) {
            self.blank();
        }
        self.block_start = false;
        self.cont = false;
        self.pending = 0;
    }

    /// Whether a comment starts strictly between `after` and `before`.
    fn has_comment_in(&self, after: u32, before: u32) -> bool {
        let i = self.comments.partition_point(|c| c.start <= after);
        self.comments.get(i).is_some_and(|c| c.start < before)
    }

    // ---- blocks --------------------------------------------------------------

    /// Opens a block after its opening bracket was written: its lines are
    /// indented two more than the current line.
    fn open_block(&mut self) -> Saved {
        let saved = Saved { indent: self.indent, cont: self.cont };
        self.indent = self.current_line_indent() + 2;
        self.cont = false;
        self.block_start = true;
        saved
    }

    /// Closes a block: the comments before the closing bracket at `pos`, then
    /// `close` on its own line at the indentation of the opening line.
    fn close_block(&mut self, pos: u32, close: &str, saved: Saved, allow_blank: bool) {
        self.flush_lines(pos, allow_blank, false);
        self.newline();
        self.indent = self.indent.saturating_sub(2);
        self.cont = false;
        self.write(close);
        self.block_start = false;
        self.indent = saved.indent;
        self.cont = saved.cont;
    }

    // ---- items -----------------------------------------------------------------

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(i) => {
                self.tok(i.span.start, "import");
                self.space();
                self.tok(i.path.span.start, &flat::string(&i.path.value));
            }
            Item::Decl(d) => self.decl(d),
            Item::Gate(g) => self.gate(g),
            Item::Policy(p) => self.policy(p),
            Item::Let(l) => self.let_item(l),
            Item::Builtin(b) => self.builtin(b),
            Item::Test(t) => self.test(t),
            Item::Extend(x) => self.extend(x),
            Item::Error(span) => {
                // Not reached through `format_file`, which refuses broken
                // files; kept verbatim for completeness.
                let text = self.source.get(span.range()).unwrap_or_default().trim_end();
                self.write(text);
                while self.comments.get(self.next).is_some_and(|c| c.start < span.end) {
                    self.next += 1;
                }
            }
        }
    }

    fn decl(&mut self, d: &Decl) {
        self.tok(d.kind.span.start, &d.kind.name);
        self.space();
        self.tok(d.name.span.start, &d.name.name);
        self.space();
        let open = d.body_span.start;
        let close = d.body_span.end.saturating_sub(1);
        if d.members.is_empty() && !self.has_comment_in(open, close) {
            self.tok(open, "{}");
            return;
        }
        self.tok(open, "{");
        let saved = self.open_block();
        let col = d
            .members
            .iter()
            .filter_map(|m| match m {
                Member::Attr(a) => Some(width(&a.name.name)),
                _ => None,
            })
            .max()
            .unwrap_or(0)
            + 1;
        let mut prev_nested = false;
        for (i, m) in d.members.iter().enumerate() {
            let nested = !matches!(m, Member::Attr(_));
            self.line_start(member_start(m), i > 0 && (nested || prev_nested), true);
            match m {
                Member::Attr(a) => self.attr(a, col),
                Member::Decl(n) => self.decl(n),
                Member::Gate(g) => self.gate(g),
            }
            prev_nested = nested;
        }
        self.close_block(close, "}", saved, true);
    }

    fn attr(&mut self, a: &Attr, col: usize) {
        self.tok(a.name.span.start, &a.name.name);
        self.pending = col.saturating_sub(width(&a.name.name)).max(1);
        let prefix = self.indent + col;
        match &a.value {
            AttrValue::Expr(e) => {
                let brk = prefix + width(&flat::expr(e, self.source)) > MAX_WIDTH;
                self.expr(e, brk);
            }
            AttrValue::Threshold(t) => {
                let op = t.op.as_str();
                let brk = prefix + op.len() + 1 + width(&flat::expr(&t.value, self.source)) > MAX_WIDTH;
                self.tok(t.span.start, op);
                self.space();
                self.expr(&t.value, brk);
            }
            AttrValue::Map(m) => {
                let brk = prefix + width(&flat::map(m)) > MAX_WIDTH;
                self.map(m, brk);
            }
            AttrValue::Groups(g) => {
                let brk = prefix + width(&flat::groups(g)) > MAX_WIDTH;
                self.groups(g, brk);
            }
        }
    }

    /// `{ sex ["female", "male"] }`, or one label per line, aligned.
    fn groups(&mut self, g: &GroupsLit, brk: bool) {
        let open = g.span.start;
        let close = g.span.end.saturating_sub(1);
        let comments = self.has_comment_in(open, close);
        if !brk && !comments {
            self.tok(open, "{");
            for (k, vs) in &g.entries {
                self.space();
                self.group(k, vs);
            }
            self.space();
            self.tok(close, "}");
            return;
        }
        self.tok(open, "{");
        let saved = self.open_block();
        for (k, vs) in &g.entries {
            self.line_start(k.span.start, false, true);
            self.group(k, vs);
        }
        self.close_block(close, "}", saved, true);
    }

    fn group(&mut self, k: &Ident, vs: &[StrLit]) {
        self.tok(k.span.start, &k.name);
        self.space();
        self.write("[");
        for (i, v) in vs.iter().enumerate() {
            if i > 0 {
                self.write(",");
                self.space();
            }
            self.tok(v.span.start, &flat::string(&v.value));
        }
        self.write("]");
    }

    fn map(&mut self, m: &MapLit, brk: bool) {
        let open = m.span.start;
        let close = m.span.end.saturating_sub(1);
        let comments = self.has_comment_in(open, close);
        if m.entries.is_empty() && !comments {
            self.tok(open, "{}");
            return;
        }
        if !brk && !comments {
            self.tok(open, "{");
            for (k, v) in &m.entries {
                self.space();
                self.tok(k.span.start, &k.name);
                self.space();
                self.tok(v.span.start, &flat::string(&v.value));
            }
            self.space();
            self.tok(close, "}");
            return;
        }
        self.tok(open, "{");
        let saved = self.open_block();
        let col = m.entries.iter().map(|(k, _)| width(&k.name)).max().unwrap_or(0) + 1;
        for (k, v) in &m.entries {
            self.line_start(k.span.start, false, true);
            self.tok(k.span.start, &k.name);
            self.pending = col - width(&k.name);
            self.tok(v.span.start, &flat::string(&v.value));
        }
        self.close_block(close, "}", saved, true);
    }

    fn gate(&mut self, g: &Gate) {
        self.tok(g.span.start, "gate");
        self.space();
        self.tok(g.from.span.start, &g.from.name);
        self.space();
        self.write("->");
        self.space();
        self.tok(g.to.span.start, &g.to.name);
        self.space();
        self.criteria_block(g.to.span.end, &g.criteria, g.span.end.saturating_sub(1));
    }

    /// `{ criteria }` of a gate or a policy; `after` is the end of the header,
    /// `close` the position of the `}`.
    fn criteria_block(&mut self, after: u32, criteria: &[Criterion], close: u32) {
        if criteria.is_empty() && !self.has_comment_in(after, close) {
            self.tok(close, "{}");
            return;
        }
        self.write("{");
        let saved = self.open_block();
        let col = criteria.iter().map(|c| c.enforcement.as_str().len()).max().unwrap_or(0) + 1;
        for c in criteria {
            self.line_start(c.span.start, false, true);
            self.criterion(c, col);
        }
        self.close_block(close, "}", saved, true);
    }

    fn criterion(&mut self, c: &Criterion, col: usize) {
        let kw = c.enforcement.as_str();
        self.tok(c.span.start, kw);
        self.pending = col - kw.len();
        let brk = self.indent + col + width(&flat::expr(&c.expr, self.source)) > MAX_WIDTH;
        self.expr(&c.expr, brk);
        if let Some(b) = &c.because {
            self.flush_inline(b.span.start);
            self.newline();
            self.cont = true;
            self.write("because");
            self.space();
            self.write(&flat::string(&b.value));
        }
    }

    fn policy(&mut self, p: &Policy) {
        self.tok(p.span.start, "policy");
        self.space();
        self.tok(p.name.span.start, &p.name.name);
        self.space();
        self.write("for");
        self.space();
        self.tok(p.subject.span.start, &p.subject.name);
        let mut after = p.subject.span.end;
        if let Some(f) = &p.filter {
            let head = width(&format!("policy {} for {} where  {{", p.name.name, p.subject.name));
            let brk = self.indent + head + width(&flat::expr(f, self.source)) > MAX_WIDTH;
            self.space();
            self.write("where");
            self.space();
            self.expr(f, brk);
            after = f.span.end;
        }
        self.space();
        self.criteria_block(after, &p.criteria, p.span.end.saturating_sub(1));
    }

    fn let_item(&mut self, l: &Let) {
        self.tok(l.span.start, "let");
        self.space();
        self.tok(l.name.span.start, &l.name.name);
        self.space();
        self.write("=");
        self.space();
        let head = width(&format!("let {} = ", l.name.name));
        let brk = self.indent + head + width(&flat::expr(&l.value, self.source)) > MAX_WIDTH;
        self.expr(&l.value, brk);
    }

    fn builtin(&mut self, b: &Builtin) {
        self.tok(b.span.start, "builtin");
        self.space();
        self.tok(b.name.span.start, &b.name.name);
        let ret_start = type_start(&b.ret);
        let params: Vec<String> =
            b.params.iter().map(|p| format!("{}: {}", p.name.name, flat::type_name(&p.ty))).collect();
        let one_line = format!("builtin {}({}) -> {}", b.name.name, params.join(", "), flat::type_name(&b.ret));
        let brk = self.indent + width(&one_line) > MAX_WIDTH || self.has_comment_in(b.name.span.end, ret_start);
        self.write("(");
        if brk {
            let saved = self.open_block();
            for p in &b.params {
                self.line_start(p.name.span.start, false, false);
                self.param(p);
                self.write(",");
            }
            self.close_block(ret_start, ")", saved, false);
        } else {
            for (i, p) in b.params.iter().enumerate() {
                if i > 0 {
                    self.write(",");
                    self.space();
                }
                self.param(p);
            }
            self.write(")");
        }
        self.space();
        self.write("->");
        self.space();
        self.type_name(&b.ret);
    }

    fn param(&mut self, p: &Param) {
        self.tok(p.name.span.start, &p.name.name);
        self.write(":");
        self.space();
        self.type_name(&p.ty);
    }

    fn type_name(&mut self, t: &TypeName) {
        match t {
            TypeName::Named(id) => self.tok(id.span.start, &id.name),
            TypeName::List(inner, span) => {
                self.tok(span.start, "[");
                self.type_name(inner);
                self.tok(span.end.saturating_sub(1), "]");
            }
        }
    }

    // ---- tests -----------------------------------------------------------------

    // ---- expressions -----------------------------------------------------------
}

/// Where an item starts (its keyword; doc comments come before).
fn item_start(item: &Item) -> u32 {
    match item {
        Item::Decl(d) => d.kind.span.start,
        other => other.span().start,
    }
}

/// Where a member of a declaration starts.
fn member_start(m: &Member) -> u32 {
    match m {
        Member::Attr(a) => a.span.start,
        Member::Decl(d) => d.kind.span.start,
        Member::Gate(g) => g.span.start,
    }
}

/// Where a type in a signature starts.
fn type_start(t: &TypeName) -> u32 {
    match t {
        TypeName::Named(id) => id.span.start,
        TypeName::List(_, span) => span.start,
    }
}

/// The position of `keyword` when only whitespace separates it from `pos`,
/// else `pos`.
fn keyword_before(source: &str, pos: u32, keyword: &str) -> u32 {
    let before = source.get(..pos as usize).unwrap_or_default().trim_end();
    if before.ends_with(keyword) {
        (before.len() - keyword.len()) as u32
    } else {
        pos
    }
}

/// Whether code precedes `pos` on its line.
fn is_trailing(source: &str, pos: u32) -> bool {
    for b in source.as_bytes()[..pos as usize].iter().rev() {
        match b {
            b' ' | b'\t' => continue,
            b'\n' => return false,
            _ => return true,
        }
    }
    false
}

/// Whether the whitespace right before `pos` holds a blank line.
fn blank_before(source: &str, pos: u32) -> bool {
    let mut newlines = 0;
    for b in source.as_bytes()[..pos as usize].iter().rev() {
        match b {
            b'\n' => newlines += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => break,
        }
    }
    newlines >= 2
}
