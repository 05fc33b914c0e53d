//! Lowers pest's parse tree into our AST. The only module that names pest's
//! `Rule` or `Pairs`.
//!
//! The file is split into top-level pieces ([`super::split`]); each piece is
//! parsed on its own and its spans are offset into the file. A piece that
//! fails to parse becomes an [`Item::Error`] with one diagnostic whose
//! message speaks in the user's words (`expected an expression`), never in
//! rule names. Pieces nested deeper than [`ParseLimits::max_depth`] are
//! refused before pest sees them, so no input can overflow the stack.

mod errors;
mod lower;
mod lower_expr;
mod recovery;

use pest::Parser as _;

use super::ast::*;
use super::doc_comments::attach_docs;
use super::split::{split, Piece};
use crate::diag::{Code, Diagnostic};
use crate::text::{FileId, Span};
use errors::{syntax_error, End};
use recovery::{layout_disagrees, recover_piece};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/compel.pest"]
struct CompelParser;

/// Bounds on what the parser accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Deepest bracket nesting of one item.
    pub max_depth: usize,
    /// Largest file, in bytes.
    pub max_file_bytes: usize,
    /// Most prefix operators (`not`, `-`) in one item.
    pub max_prefix_ops: usize,
    /// Most operators chained in one expression (`a and b and ...`).
    pub max_chain: usize,
    /// Most top-level declarations (items) in one file.
    pub max_declarations: usize,
    /// Most elements in one list literal (`[a, b, ...]`).
    pub max_list_len: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_depth: 64,
            max_file_bytes: 8 * 1024 * 1024,
            max_prefix_ops: 256,
            max_chain: 512,
            max_declarations: 10_000,
            max_list_len: 10_000,
        }
    }
}

/// Parses one file. Never fails: the result always holds every item that
/// parsed, plus diagnostics for the rest.
///
/// ```
/// use compel::syntax::{parse, ParseLimits};
/// use compel::text::FileId;
/// let (file, diags) = parse(FileId(0), "kpi a { metric \"m\" target >= 92% }", ParseLimits::default());
/// assert!(diags.is_empty());
/// assert_eq!(file.items.len(), 1);
/// ```
pub fn parse(file_id: FileId, text: &str, limits: ParseLimits) -> (File, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if text.len() > limits.max_file_bytes {
        diags.push(Diagnostic::at(
            Code::LimitExceeded,
            file_id,
            Span::new(0, 0),
            format!("file is {} bytes, more than the limit of {} bytes", text.len(), limits.max_file_bytes),
        ));
        return (File::default(), diags);
    }
    let (pieces, comments) = split(text);
    let mut items = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i == limits.max_declarations {
            let span = first_line(text, trimmed_span(text, piece.span));
            diags.push(
                Diagnostic::at(
                    Code::LimitExceeded,
                    file_id,
                    span,
                    format!(
                        "{} top-level declarations in one file, more than the limit of {}; the rest is not read",
                        pieces.len(),
                        limits.max_declarations
                    ),
                )
                .with_help("split the file, or raise `max_declarations` in the `[limits]` of compel.toml"),
            );
            break;
        }
        parse_piece(file_id, text, piece, limits, &mut items, &mut diags);
    }
    let mut file = File { items, comments };
    attach_docs(text, &mut file);
    (file, diags)
}

fn parse_piece(
    file_id: FileId,
    text: &str,
    piece: &Piece,
    limits: ParseLimits,
    items: &mut Vec<Item>,
    diags: &mut Vec<Diagnostic>,
) {
    let src = &text[piece.span.range()];
    let base = piece.span.start as usize;
    let content_span = trimmed_span(text, piece.span);
    if piece.prefix_ops > limits.max_prefix_ops {
        diags.push(
            Diagnostic::at(
                Code::LimitExceeded,
                file_id,
                first_line(text, content_span),
                format!(
                    "{} prefix operators in one declaration, more than the limit of {}",
                    piece.prefix_ops, limits.max_prefix_ops
                ),
            )
            .with_help("simplify the expression"),
        );
        items.push(Item::Error(content_span));
        return;
    }
    if piece.max_depth > limits.max_depth {
        diags.push(
            Diagnostic::at(
                Code::LimitExceeded,
                file_id,
                first_line(text, content_span),
                format!("brackets nested {} deep, more than the limit of {}", piece.max_depth, limits.max_depth),
            )
            .with_help("split the expression into smaller parts"),
        );
        items.push(Item::Error(content_span));
        return;
    }
    if let Some(fast) = super::fast::parse_piece(src, base, &limits) {
        // `check_fast_path` holds this to pest's result (tests/fast_path.rs,
        // the proptests in fast.rs, the `parse` fuzz target).
        if !layout_disagrees(text, &fast) {
            items.extend(fast);
            return;
        }
    }
    let (mut whole, mut whole_diags) = (Vec::new(), Vec::new());
    parse_piece_with_pest(file_id, text, piece, limits, &mut whole, &mut whole_diags);
    if !whole_diags.is_empty() || layout_disagrees(text, &whole) {
        if let Some((recovered, recovered_diags)) = recover_piece(file_id, text, piece, limits) {
            items.extend(recovered);
            diags.extend(recovered_diags);
            return;
        }
    }
    items.extend(whole);
    diags.extend(whole_diags);
}

/// How the parser's fast path fared on one file against pest
/// ([`check_fast_path`]).
#[derive(Clone, Debug, Default)]
pub struct FastPathCheck {
    /// Top-level pieces within the limits (the ones either parser sees).
    pub pieces: usize,
    /// The first line of code of each piece the fast path left to pest.
    pub left_to_pest: Vec<String>,
    /// Each piece where the fast path gave a tree that is not pest's (or
    /// pest reported an error): the piece and both results.
    pub disagreements: Vec<String>,
}

/// Parses every piece of `text` both ways, with the fast path and with pest
/// alone, and compares them. The fast path must either give up or give
/// exactly pest's tree, spans included, on a piece pest parses without a
/// diagnostic. [`parse`] runs one of the two; tests and fuzzing run this,
/// in release builds too.
///
/// ```
/// use compel::syntax::{check_fast_path, ParseLimits};
/// let check = check_fast_path("kpi a { target >= 92% }\ntest \"t\" {}\n", ParseLimits::default());
/// assert!(check.disagreements.is_empty());
/// assert_eq!((check.pieces, check.left_to_pest.len()), (2, 1));
/// ```
pub fn check_fast_path(text: &str, limits: ParseLimits) -> FastPathCheck {
    let mut check = FastPathCheck::default();
    let (pieces, _) = split(text);
    for piece in pieces.iter().take(limits.max_declarations) {
        if piece.prefix_ops > limits.max_prefix_ops || piece.max_depth > limits.max_depth {
            continue;
        }
        check.pieces += 1;
        let src = &text[piece.span.range()];
        let Some(fast) = super::fast::parse_piece(src, piece.span.start as usize, &limits) else {
            let first = src.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("//")).unwrap_or("");
            check.left_to_pest.push(first.to_string());
            continue;
        };
        let (mut slow, mut slow_diags) = (Vec::new(), Vec::new());
        parse_piece_with_pest(FileId(0), text, piece, limits, &mut slow, &mut slow_diags);
        if !slow_diags.is_empty() || slow != fast {
            check.disagreements.push(format!(
                "the fast path disagrees with pest on {src:?}:\nfast: {fast:#?}\npest: {slow:#?} {slow_diags:#?}"
            ));
        }
    }
    check
}

/// Parses a piece with pest and lowers it.
fn parse_piece_with_pest(
    file_id: FileId,
    text: &str,
    piece: &Piece,
    limits: ParseLimits,
    items: &mut Vec<Item>,
    diags: &mut Vec<Diagnostic>,
) {
    let src = &text[piece.span.range()];
    let base = piece.span.start as usize;
    let content_span = trimmed_span(text, piece.span);
    match CompelParser::parse(Rule::item_piece, src) {
        Ok(mut pairs) => {
            let lower = Lower { base, max_chain: limits.max_chain, max_list_len: limits.max_list_len };
            if let Some(piece_pair) = pairs.next() {
                for pair in piece_pair.into_inner() {
                    if pair.as_rule() == Rule::EOI {
                        continue;
                    }
                    match lower.item(pair) {
                        Ok(item) => items.push(item),
                        Err((code, span, message)) => {
                            diags.push(Diagnostic::at(code, file_id, span, message));
                            items.push(Item::Error(content_span));
                        }
                    }
                }
            }
        }
        Err(err) => {
            diags.push(syntax_error(file_id, src, base, &err, End::Declaration));
            items.push(Item::Error(content_span));
        }
    }
}

fn trimmed_span(text: &str, span: Span) -> Span {
    let s = &text[span.range()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    Span::new(span.start as usize + lead, (span.end as usize - trail).max(span.start as usize + lead))
}

fn first_line(text: &str, span: Span) -> Span {
    let s = &text[span.range()];
    let end = s.find('\n').unwrap_or(s.len());
    Span::new(span.start as usize, span.start as usize + end)
}

/// What lowering refuses: the code it is reported under, where, and why.
type LowerResult<T> = Result<T, (Code, Span, String)>;

struct Lower {
    base: usize,
    max_chain: usize,
    max_list_len: usize,
}

#[cfg(test)]
mod tests;
