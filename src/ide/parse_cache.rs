//! A parse cache for hosts that re-analyse on every keystroke.
//!
//! [`crate::syntax::parse`] splits a file into top-level pieces and parses
//! each on its own, so a piece's tree depends only on its own text. The
//! cache keeps every piece's tree keyed by that text, placed where the piece
//! last was; an edit re-parses the one piece it touched and every other
//! piece is a lookup and a clone of shared declarations (plus, for a piece
//! the edit moved, a shift of its spans). [`ParseCache::parse`] returns
//! exactly what `syntax::parse` returns (a test holds it to that), so it can
//! stand in for it in [`crate::analysis::analyze_with_parser`].

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::ide::resplit::Resplit;
use crate::syntax::ast::{
    AttrValue, Broken, Comment, Criterion, Decl, Doc, Expr, ExprKind, ExtType, File, Gate, Ident, Item, MapLit, Member,
    StrLit, TestStmt, TypeName,
};
use crate::syntax::split::Piece;
use crate::syntax::{self, ParseLimits};
use crate::text::{FileId, FileSpan, Span};

/// Parsed pieces by their text, with the run that last used each.
#[derive(Default)]
pub struct ParseCache {
    pieces: HashMap<Box<str>, Entry>,
    /// Each file's last split, with the run that last used it.
    splits: HashMap<FileId, (Resplit, u64)>,
    /// The limits the cached pieces were parsed with (their `Debug` text,
    /// so a new kind of limit is covered without a change here).
    limits: Option<String>,
    run: u64,
    hits: u64,
    misses: u64,
}

struct Entry {
    /// The piece's items, placed at `base` (where the piece last was).
    /// Declarations are shared ([`Item::Decl`] holds an `Arc`): a piece
    /// that has not moved is handed out without copying its tree.
    items: Vec<Item>,
    base: u32,
    /// The piece's diagnostics, at offset 0 in `FileId(0)`.
    diags: Vec<Diagnostic>,
    used: u64,
}

impl ParseCache {
    /// An empty cache.
    pub fn new() -> ParseCache {
        ParseCache::default()
    }

    /// Parses `text` as [`syntax::parse`] would, re-using the pieces seen
    /// before.
    pub fn parse(&mut self, file: FileId, text: &str, limits: ParseLimits) -> (File, Vec<Diagnostic>) {
        if text.len() > limits.max_file_bytes {
            return syntax::parse(file, text, limits);
        }
        let key = format!("{limits:?}");
        if self.limits.as_ref() != Some(&key) {
            self.pieces.clear();
            self.limits = Some(key);
        }
        let run = self.run;
        let last = self.splits.entry(file).or_insert_with(|| (Resplit::default(), run));
        last.1 = run;
        let (pieces, comments) = last.0.split(text);
        if pieces.len() > limits.max_declarations {
            // The limit's diagnostic and cut-off belong to the whole file.
            return syntax::parse(file, text, limits);
        }
        if docs_across_pieces(text, &pieces, &comments) {
            // A piece's doc comment sits at the end of the line before it,
            // in the piece above (`}/// doc`): only the whole file sees it.
            return syntax::parse(file, text, limits);
        }
        let mut items = Vec::new();
        let mut diags = Vec::new();
        for piece in pieces {
            // From the start of the piece's first line: the parser reads a
            // member's layout from its line's indentation, so a piece that
            // starts mid-line (the first, after leading blanks) parses
            // differently from the same text at column 0.
            let line_start = text[..piece.span.start as usize].rfind('\n').map_or(0, |i| i + 1);
            let src = &text[line_start..piece.span.end as usize];
            let base = line_start as u32;
            let entry = match self.pieces.get_mut(src) {
                Some(entry) => {
                    self.hits += 1;
                    entry
                }
                None => {
                    self.misses += 1;
                    let (parsed, piece_diags) = syntax::parse(FileId(0), src, limits);
                    self.pieces.entry(src.into()).or_insert(Entry {
                        items: parsed.items,
                        base: 0,
                        diags: piece_diags,
                        used: run,
                    })
                }
            };
            entry.used = run;
            if entry.base != base {
                // Moved (or new): shift the cached trees to where the piece
                // is now. A declaration still shared with an earlier
                // analysis is copied first; one held here alone is not.
                let by = base.wrapping_sub(entry.base);
                entry.items.iter_mut().for_each(|item| shift_item(item, by));
                entry.base = base;
            }
            items.extend(entry.items.iter().cloned());
            diags.extend(entry.diags.iter().cloned().map(|mut d| {
                shift_diag(&mut d, file, base);
                d
            }));
        }
        (File { items, comments }, diags)
    }

    /// Ends a run: forgets the pieces no parse used since the last call.
    /// Call it after each analysis so the cache holds one workspace's worth.
    pub fn end_run(&mut self) {
        let run = self.run;
        self.pieces.retain(|_, e| e.used == run);
        self.splits.retain(|_, (_, used)| *used == run);
        self.run += 1;
    }

    /// How many pieces were found in the cache and how many were parsed.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

/// Whether a `///` comment documents the item of a piece while lying
/// outside that piece's text (which starts at the piece's first line): a
/// doc comment after code on the line before the item (`}/// doc`).
fn docs_across_pieces(text: &str, pieces: &[Piece], comments: &[Comment]) -> bool {
    pieces.iter().any(|piece| {
        let start = piece.span.start as usize;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let before = comments.partition_point(|c| (c.span.end as usize) <= start);
        before > 0 && {
            let c = &comments[before - 1];
            c.doc && (c.span.start as usize) < line_start && text[c.span.end as usize..start].trim().is_empty()
        }
    })
}

/// Moves a span by `by` bytes, a two's-complement difference of offsets:
/// wrapping addition moves it left as well as right.
fn shift(span: &mut Span, by: u32) {
    span.start = span.start.wrapping_add(by);
    span.end = span.end.wrapping_add(by);
}

fn shift_file_span(at: &mut FileSpan, file: FileId, by: u32) {
    at.file = file;
    shift(&mut at.span, by);
}

fn shift_diag(d: &mut Diagnostic, file: FileId, by: u32) {
    shift_file_span(&mut d.primary, file, by);
    for label in &mut d.labels {
        shift_file_span(&mut label.at, file, by);
    }
    if let Some(fix) = &mut d.fix {
        for edit in &mut fix.edits {
            shift_file_span(&mut edit.at, file, by);
        }
    }
}

fn shift_ext_type(t: &mut ExtType, by: u32) {
    match t {
        ExtType::Named(i) => shift_ident(i, by),
        ExtType::List(inner, span) => {
            shift_ext_type(inner, by);
            shift(span, by);
        }
        ExtType::OneOf(values, span) => {
            values.iter_mut().for_each(|v| shift_ident(v, by));
            shift(span, by);
        }
    }
}

fn shift_ident(i: &mut Ident, by: u32) {
    shift(&mut i.span, by);
}

fn shift_str(s: &mut StrLit, by: u32) {
    shift(&mut s.span, by);
}

fn shift_doc(d: &mut Option<Doc>, by: u32) {
    if let Some(d) = d {
        shift(&mut d.span, by);
    }
}

fn shift_map(m: &mut MapLit, by: u32) {
    shift(&mut m.span, by);
    for (k, v) in &mut m.entries {
        shift_ident(k, by);
        shift_str(v, by);
    }
}

/// Shifts every span of an item (exhaustively: a new kind of node must be
/// added here, or the compiler complains).
pub(crate) fn shift_item(item: &mut Item, by: u32) {
    match item {
        Item::Import(i) => {
            shift_str(&mut i.path, by);
            shift(&mut i.span, by);
        }
        Item::Decl(d) => shift_decl(std::sync::Arc::make_mut(d), by),
        Item::Gate(g) => shift_gate(g, by),
        Item::Policy(p) => {
            shift_doc(&mut p.doc, by);
            shift_ident(&mut p.name, by);
            shift_ident(&mut p.subject, by);
            if let Some(f) = &mut p.filter {
                shift_expr(f, by);
            }
            shift_criteria(&mut p.criteria, by);
            shift(&mut p.span, by);
            shift_broken(&mut p.broken, by);
        }
        Item::Let(l) => {
            shift_doc(&mut l.doc, by);
            shift_ident(&mut l.name, by);
            shift_expr(&mut l.value, by);
            shift(&mut l.span, by);
        }
        Item::Builtin(b) => {
            shift_doc(&mut b.doc, by);
            shift_ident(&mut b.name, by);
            for p in &mut b.params {
                shift_ident(&mut p.name, by);
                shift_type(&mut p.ty, by);
            }
            shift_type(&mut b.ret, by);
            shift(&mut b.span, by);
        }
        Item::Extend(x) => {
            shift_doc(&mut x.doc, by);
            shift_ident(&mut x.kind, by);
            for a in &mut x.attrs {
                shift_doc(&mut a.doc, by);
                shift_ident(&mut a.name, by);
                shift_ext_type(&mut a.ty, by);
                if let Some(r) = &mut a.required {
                    shift(r, by);
                }
                shift(&mut a.span, by);
            }
            shift(&mut x.span, by);
            shift(&mut x.body_span, by);
        }
        Item::Test(t) => {
            shift_str(&mut t.name, by);
            for s in &mut t.stmts {
                match s {
                    TestStmt::Now(e) => shift_expr(e, by),
                    TestStmt::Metrics(s) => shift_str(s, by),
                    TestStmt::Series(s) => {
                        shift_str(&mut s.metric, by);
                        if let Some(m) = &mut s.labels {
                            shift_map(m, by);
                        }
                        for (t, v) in &mut s.samples {
                            shift_expr(t, by);
                            shift_expr(v, by);
                        }
                        shift(&mut s.span, by);
                    }
                    TestStmt::ExpectGate { initiative, from, to, outcome, span } => {
                        for i in [initiative, from, to, outcome] {
                            shift_ident(i, by);
                        }
                        shift(span, by);
                    }
                    TestStmt::ExpectKpi { kpi, status, span } => {
                        shift_ident(kpi, by);
                        shift_ident(status, by);
                        shift(span, by);
                    }
                    TestStmt::ExpectPolicy { policy, subject, outcome, span } => {
                        for i in [policy, subject, outcome] {
                            shift_ident(i, by);
                        }
                        shift(span, by);
                    }
                }
            }
            shift(&mut t.span, by);
        }
        Item::Error(s) => shift(s, by),
    }
}

fn shift_type(t: &mut TypeName, by: u32) {
    match t {
        TypeName::Named(i) => shift_ident(i, by),
        TypeName::List(inner, span) => {
            shift_type(inner, by);
            shift(span, by);
        }
    }
}

fn shift_decl(d: &mut Decl, by: u32) {
    shift_doc(&mut d.doc, by);
    shift_ident(&mut d.kind, by);
    shift_ident(&mut d.name, by);
    for m in &mut d.members {
        match m {
            Member::Attr(a) => {
                shift_ident(&mut a.name, by);
                match &mut a.value {
                    AttrValue::Expr(e) => shift_expr(e, by),
                    AttrValue::Threshold(t) => {
                        shift_expr(&mut t.value, by);
                        shift(&mut t.span, by);
                    }
                    AttrValue::Map(m) => shift_map(m, by),
                    AttrValue::Groups(g) => {
                        shift(&mut g.span, by);
                        for (k, vs) in &mut g.entries {
                            shift_ident(k, by);
                            vs.iter_mut().for_each(|v| shift_str(v, by));
                        }
                    }
                }
                shift(&mut a.span, by);
            }
            Member::Decl(child) => shift_decl(child, by),
            Member::Gate(g) => shift_gate(g, by),
        }
    }
    shift(&mut d.span, by);
    shift(&mut d.body_span, by);
    shift_broken(&mut d.broken, by);
}

fn shift_broken(broken: &mut [Broken], by: u32) {
    for b in broken {
        shift(&mut b.span, by);
        if let Some(w) = &mut b.word {
            shift_ident(w, by);
        }
    }
}

fn shift_gate(g: &mut Gate, by: u32) {
    shift_doc(&mut g.doc, by);
    shift_ident(&mut g.from, by);
    shift_ident(&mut g.to, by);
    shift_criteria(&mut g.criteria, by);
    shift(&mut g.span, by);
    shift_broken(&mut g.broken, by);
}

fn shift_criteria(cs: &mut [Criterion], by: u32) {
    for c in cs {
        shift_expr(&mut c.expr, by);
        if let Some(b) = &mut c.because {
            shift_str(b, by);
        }
        shift(&mut c.span, by);
    }
}

/// Shifts an expression without recursion, so a long operator chain cannot
/// exhaust the stack.
fn shift_expr(root: &mut Expr, by: u32) {
    let mut todo: Vec<&mut Expr> = vec![root];
    while let Some(e) = todo.pop() {
        shift(&mut e.span, by);
        match &mut e.kind {
            ExprKind::Number { .. }
            | ExprKind::Money { .. }
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::DateTime(_)
            | ExprKind::Today
            | ExprKind::Now => {}
            ExprKind::List(items) => todo.extend(items.iter_mut()),
            ExprKind::Name(i) => shift_ident(i, by),
            ExprKind::Field(base, field) => {
                shift_ident(field, by);
                todo.push(base);
            }
            ExprKind::Call(func, args) => {
                shift_ident(func, by);
                todo.extend(args.iter_mut());
            }
            ExprKind::Quantifier { func, var, list, pred } => {
                shift_ident(func, by);
                shift_ident(var, by);
                todo.push(list);
                todo.push(pred);
            }
            ExprKind::Unary(_, inner) | ExprKind::Paren(inner) | ExprKind::Offset(inner) => todo.push(inner),
            ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => {
                todo.push(l);
                todo.push(r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_parse(text: &str, cache: &mut ParseCache) {
        let limits = ParseLimits::default();
        let expected = syntax::parse(FileId(3), text, limits);
        let got = cache.parse(FileId(3), text, limits);
        assert_eq!(got, expected, "cached parse differs for {text:?}");
    }

    #[test]
    fn equals_a_fresh_parse_across_edits() {
        let mut cache = ParseCache::new();
        let mut text = String::new();
        for (_, module) in crate::stdlib::MODULES {
            text.push_str(module);
            text.push('\n');
            same_as_parse(&text, &mut cache);
        }
        // Break a declaration in the middle, then repair it.
        let broken = text.replacen("order 3", "order", 1).replacen("title \"Risk\" }", "title \"Risk\"", 1);
        same_as_parse(&broken, &mut cache);
        same_as_parse(&text, &mut cache);
        let (hits, misses) = cache.stats();
        assert!(hits > misses, "{hits} hits, {misses} misses");
        cache.end_run();
        same_as_parse("/// doc\nkpi a {\n  metric \"m\"\n  target >= (1 + 2) * 3\n}\n// tail\n", &mut cache);
    }

    #[test]
    fn a_doc_comment_after_code_on_the_line_before_documents_the_next_item() {
        // `}/// doc`: the comment is the tail of the piece above, and
        // documents the item below it.
        let mut cache = ParseCache::new();
        let text = "person a {\n  name \"A\"\n}\n\n/// B.\nperson b {\n  name \"B\"\n}\n";
        same_as_parse(text, &mut cache);
        same_as_parse(&text.replace("}\n\n/// B.", "}/// B."), &mut cache);
        same_as_parse(&text.replace("}\n\n/// B.", "} /// B.\n"), &mut cache);
        same_as_parse(text, &mut cache);
    }

    #[test]
    fn a_first_piece_after_leading_blanks_parses_as_in_place() {
        // The layout of a broken header is read from its line's indent: the
        // same text at column 0 (where a cache keyed by the piece alone
        // would have parsed it) gives another error.
        let mut cache = ParseCache::new();
        let indented = "  lead   priya\n  functions [data, risk]\n}\n\nkpi a {\n  metric \"m\"\n}\n";
        same_as_parse(indented.trim_start(), &mut cache);
        same_as_parse(indented, &mut cache);
        same_as_parse(&format!("\n{indented}"), &mut cache);
    }
}
