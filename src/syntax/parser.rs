//! Lowers pest's parse tree into our AST. The only module that names pest's
//! `Rule` or `Pairs`.
//!
//! The file is split into top-level pieces ([`super::split`]); each piece is
//! parsed on its own and its spans are offset into the file. A piece that
//! fails to parse becomes an [`Item::Error`] with one diagnostic whose
//! message speaks in the user's words (`expected an expression`), never in
//! rule names. Pieces nested deeper than [`ParseLimits::max_depth`] are
//! refused before pest sees them, so no input can overflow the stack.

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;

use super::ast::*;
use super::lexer::is_reserved;
use super::split::{split, Piece};
use crate::diag::{Code, Diagnostic};
use crate::text::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/compel.pest"]
struct CompelParser;

/// Bounds on what the parser accepts.
#[derive(Clone, Copy, Debug)]
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

/// Whether an attribute, a criterion or a nested declaration's header runs
/// over a line that the layout says starts a member of its own, and that
/// parses as one ([`super::recover::layout_candidates`]). The grammar allows
/// it, but it is how an unfinished line reads (`unit` alone, then `target
/// <= 5%` taken as its value), so such a piece is parsed again line by line.
fn layout_disagrees(text: &str, items: &[Item]) -> bool {
    use super::recover::line_indent_if_first;
    fn multi_line(text: &str, span: Span) -> bool {
        text.as_bytes()[span.range()].contains(&b'\n')
    }
    fn off(text: &str, span: Span, indent: usize, rule: Rule) -> bool {
        super::recover::layout_candidates(text, span, indent)
            .into_iter()
            .any(|line| CompelParser::parse(rule, &text[line.range()]).is_ok())
    }
    // Members are as far in as the least indented line one starts on.
    // Members are as far in as the least indented one that begins its
    // line; a body whose members all share lines has no layout to read.
    fn criteria(text: &str, cs: &[Criterion]) -> bool {
        if !cs.iter().any(|c| multi_line(text, c.span)) {
            return false;
        }
        let Some(indent) = cs.iter().filter_map(|c| line_indent_if_first(text, c.span.start as usize)).min() else {
            return false;
        };
        cs.iter().any(|c| off(text, c.span, indent, Rule::criterion_piece))
    }
    fn decl(text: &str, d: &Decl) -> bool {
        // Only a member that runs over lines can disagree; the members'
        // indent is computed for the first one that does.
        let mut indent = None;
        for m in &d.members {
            let (span, nested) = match m {
                Member::Attr(a) => (a.span, None),
                Member::Decl(n) => (Span { start: n.span.start, end: n.body_span.start }, Some(n)),
                Member::Gate(g) if criteria(text, &g.criteria) => return true,
                Member::Gate(_) => continue,
            };
            if nested.is_some_and(|n| decl(text, n)) {
                return true;
            }
            if !multi_line(text, span) {
                continue;
            }
            let indent = *indent.get_or_insert_with(|| {
                d.members
                    .iter()
                    .map(|m| match m {
                        Member::Attr(a) => a.span.start,
                        Member::Decl(n) => n.span.start,
                        Member::Gate(g) => g.span.start,
                    })
                    .filter_map(|s| line_indent_if_first(text, s as usize))
                    .min()
            });
            if indent.is_some_and(|indent| off(text, span, indent, Rule::member_piece)) {
                return true;
            }
        }
        false
    }
    items.iter().any(|i| match i {
        Item::Decl(d) => decl(text, d),
        Item::Gate(g) => criteria(text, &g.criteria),
        Item::Policy(p) => criteria(text, &p.criteria),
        _ => false,
    })
}

/// How deep recovery follows nested declarations before it gives up on one
/// (each level needs a line indented further than the one before).
const MAX_RECOVERY_DEPTH: usize = 16;

/// A declaration, gate or policy put together line by line.
enum Recovered {
    Decl(Decl),
    Gate(Gate),
    Policy(Policy),
}

/// What recovery made of a block: the node, whether its header was broken
/// (it is kept anyway), its diagnostics, and the code after it.
struct RecoveredBlock {
    node: Recovered,
    broken_header: Option<Span>,
    diags: Vec<Diagnostic>,
    rest: Option<Span>,
}

/// Parses a piece that did not parse whole again, line by line
/// ([`super::recover`]): each member of each declaration on its own, so a
/// broken line costs one diagnostic and the declaration keeps the rest.
/// `None` when the piece has no line structure to recover by; the caller
/// keeps the whole piece's error then.
fn recover_piece(
    file_id: FileId,
    text: &str,
    piece: &Piece,
    limits: ParseLimits,
) -> Option<(Vec<Item>, Vec<Diagnostic>)> {
    let (mut items, mut diags) = (Vec::new(), Vec::new());
    let mut next = Some(piece.span);
    let mut first = true;
    while let Some(span) = next.take() {
        match recover_block(file_id, text, span, limits, 0, false) {
            None if first => return None,
            None => {
                let rest = Piece { span, ..piece.clone() };
                parse_piece_with_pest(file_id, text, &rest, limits, &mut items, &mut diags);
            }
            Some(Err(diag)) => {
                diags.push(diag);
                items.push(Item::Error(trimmed_span(text, span)));
            }
            Some(Ok(block)) => {
                if let Some(header) = block.broken_header {
                    items.push(Item::Error(header));
                }
                items.push(match block.node {
                    Recovered::Decl(d) => Item::Decl(std::sync::Arc::new(d)),
                    Recovered::Gate(g) => Item::Gate(g),
                    Recovered::Policy(p) => Item::Policy(p),
                });
                diags.extend(block.diags);
                next = block.rest;
            }
        }
        first = false;
    }
    Some((items, diags))
}

/// Recovers the declaration, gate or policy in `text[span]`: `None` when it
/// has no line structure, `Err` with the header's diagnostic when its
/// header does not parse even alone.
fn recover_block(
    file_id: FileId,
    text: &str,
    span: Span,
    limits: ParseLimits,
    depth: usize,
    nested: bool,
) -> Option<Result<RecoveredBlock, Diagnostic>> {
    let block = super::recover::block(text, span)?;
    let lower = |base: usize| Lower { base, max_chain: limits.max_chain, max_list_len: limits.max_list_len };
    let header_start = block.header.start as usize;
    let header_text = &text[block.header.range()];
    let mut diags = Vec::new();
    // The header alone, its body replaced by `{}`: the node to fill.
    let synthetic = match block.brace {
        Some(_) => format!("{header_text}}}"),
        None => format!("{header_text} {{}}"),
    };
    let node = match CompelParser::parse(Rule::item_piece, &synthetic) {
        Ok(mut pairs) => {
            let mut inner = pairs.next().map(|p| p.into_inner());
            let item = inner.as_mut().and_then(|i| i.find(|p| p.as_rule() != Rule::EOI));
            let lowered = item.map(|pair| lower(header_start).item(pair));
            match lowered {
                // `gate model` without its arrow reads as a declaration of
                // kind `gate`: report the header as a gate's instead.
                Some(Ok(Item::Decl(d))) if is_reserved(&d.kind.name) => {
                    let err = CompelParser::parse(Rule::item_piece, header_text).err()?;
                    return Some(Err(syntax_error(file_id, header_text, header_start, &err, End::Line)));
                }
                Some(Ok(Item::Decl(d))) => Recovered::Decl(std::sync::Arc::unwrap_or_clone(d)),
                Some(Ok(Item::Gate(g))) => Recovered::Gate(g),
                Some(Ok(Item::Policy(p))) if !nested => Recovered::Policy(p),
                Some(Err((code, at, message))) => return Some(Err(Diagnostic::at(code, file_id, at, message))),
                _ => return None,
            }
        }
        Err(err) => return Some(Err(syntax_error(file_id, header_text, header_start, &err, End::Line))),
    };
    let broken_header = match block.brace {
        Some(_) => None,
        None => {
            // Report what pest says about the header line as written.
            let end = block.header.end as usize;
            diags.push(match CompelParser::parse(Rule::item_piece, header_text) {
                Err(err) => syntax_error(file_id, header_text, header_start, &err, End::Line),
                Ok(_) => Diagnostic::at(Code::SyntaxError, file_id, Span::new(end, end), "expected `{`"),
            });
            Some(block.header)
        }
    };
    let criteria = !matches!(node, Recovered::Decl(_));
    let (mut members, mut criteria_out, mut broken) = (Vec::new(), Vec::new(), Vec::new());
    let mut chunks = block.members.clone();
    let mut k = 0;
    while k < chunks.len() {
        let m = chunks[k];
        k += 1;
        let src = &text[m.range()];
        let base = m.start as usize;
        let word = super::recover::word_at(text, base)
            .map(|(s, e)| Ident { name: text[s..e].to_string(), span: Span::new(s, e) });
        let rule = if criteria { Rule::criterion_piece } else { Rule::member_piece };
        let failure = match CompelParser::parse(rule, src) {
            Ok(mut pairs) => {
                let pair = pairs.next().and_then(|p| p.into_inner().find(|p| p.as_rule() != Rule::EOI));
                let Some(pair) = pair else { continue };
                let result = if criteria {
                    lower(base).criterion(pair).map(|c| criteria_out.push(c))
                } else {
                    lower(base).member(pair).map(|member| members.push(member))
                };
                match result {
                    Ok(()) => continue,
                    Err((code, at, message)) => Diagnostic::at(code, file_id, at, message),
                }
            }
            Err(err) => {
                let inner = if criteria || depth >= MAX_RECOVERY_DEPTH {
                    None
                } else {
                    recover_block(file_id, text, m, limits, depth + 1, true)
                };
                match inner {
                    Some(Ok(inner)) => {
                        if let Some(header) = inner.broken_header {
                            broken.push(Broken { span: header, word: word.clone() });
                        }
                        match inner.node {
                            Recovered::Decl(d) => members.push(Member::Decl(d)),
                            Recovered::Gate(g) => members.push(Member::Gate(g)),
                            // Not returned for a nested block.
                            Recovered::Policy(p) => broken.push(Broken { span: p.span, word: word.clone() }),
                        }
                        diags.extend(inner.diags);
                        // Lines after the nested declaration's closing brace
                        // are one more member.
                        if let Some(rest) = inner.rest {
                            chunks.insert(k, rest);
                        }
                        continue;
                    }
                    Some(Err(diag)) => diag,
                    None => syntax_error(file_id, src, base, &err, End::Line),
                }
            }
        };
        diags.push(failure);
        broken.push(Broken { span: m, word });
    }
    let body_end = block
        .close
        .map(|c| c.end)
        .or_else(|| block.members.last().map(|m| m.end))
        .unwrap_or(block.header.end)
        .max(block.header.end);
    if let (Some(brace), None) = (block.brace, block.close) {
        diags.push(
            Diagnostic::at(
                Code::SyntaxError,
                file_id,
                Span::new(brace, brace + 1),
                "this `{` is not closed: expected `}`",
            )
            .with_primary_label("opened here")
            .with_help("add the missing `}`"),
        );
    }
    let node = match node {
        Recovered::Decl(mut d) => {
            d.members = members;
            d.broken = broken;
            d.span.end = body_end;
            d.body_span = Span { start: block.brace.map_or(block.header.end, |b| b as u32), end: body_end };
            Recovered::Decl(d)
        }
        Recovered::Gate(mut g) => {
            g.criteria = criteria_out;
            g.broken = broken;
            g.span.end = body_end;
            Recovered::Gate(g)
        }
        Recovered::Policy(mut p) => {
            p.criteria = criteria_out;
            p.broken = broken;
            p.span.end = body_end;
            Recovered::Policy(p)
        }
    };
    Some(Ok(RecoveredBlock { node, broken_header, diags, rest: block.rest }))
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

/// What ends the text pest was given: a whole declaration, or one line of
/// one (when a broken declaration is parsed again line by line).
#[derive(Clone, Copy, PartialEq)]
enum End {
    Declaration,
    Line,
}

/// Turns a pest error into a diagnostic in the user's words. `src` is the
/// text pest parsed, or a prefix of it: an error past its end is reported
/// at its end.
fn syntax_error(file_id: FileId, src: &str, base: usize, err: &pest::error::Error<Rule>, end: End) -> Diagnostic {
    let pos = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let mut pos = crate::text::clamp_to_char_boundary(src, pos);
    if src[pos..].trim().is_empty() {
        // At the end: point at the end of the last token, not at the next
        // line after the trailing newline.
        pos = pos.min(content_end(src));
    }
    let mut found = describe_found(src, pos, end);
    let token_end = pos + token_len(&src[pos..]);
    let mut span = Span::new(base + pos, base + token_end.max(pos));
    let expected = match &err.variant {
        // Only a reserved word where a name goes (`x.because`): a name.
        pest::error::ErrorVariant::ParsingError { positives, negatives }
            if positives.is_empty() && negatives.contains(&Rule::keyword) =>
        {
            vec!["a name".to_string()]
        }
        pest::error::ErrorVariant::ParsingError { positives, .. } => expected_words(positives, end),
        pest::error::ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    // An operand or a name missing at the end of a line (`target >=`,
    // `expect` then `because` below): the line is unfinished, say so on it.
    if expected.iter().any(|e| e == "an expression" || e == "a name") {
        let before = content_end(&src[..pos]);
        if src[before..pos].contains('\n') {
            found = "the end of the line".to_string();
            span = Span::new(base + before, base + before);
        }
    }
    let unclosed = end == End::Declaration && found == END_OF_DECLARATION && expected.iter().any(|e| e == "`}`");
    if unclosed {
        return Diagnostic::at(Code::SyntaxError, file_id, span, "this declaration is not closed: expected `}`")
            .with_primary_label("the declaration ends here")
            .with_help("add the missing `}`");
    }
    match expected.len() {
        0 => Diagnostic::at(Code::SyntaxError, file_id, span, format!("unexpected {found}")),
        1..=3 => {
            Diagnostic::at(Code::SyntaxError, file_id, span, format!("expected {}, found {found}", join_or(&expected)))
        }
        _ => Diagnostic::at(Code::SyntaxError, file_id, span, format!("unexpected {found}"))
            .with_help(format!("expected {}", join_or(&expected))),
    }
}

fn token_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => {
            rest.char_indices().find(|(_, c)| !(c.is_alphanumeric() || *c == '_')).map_or(rest.len(), |(i, _)| i)
        }
        Some((_, c)) if c == '\n' || c == '\r' => 0,
        Some((_, c)) => c.len_utf8(),
    }
}

/// The end of the last line of `src` that holds code: trailing blank and
/// comment lines excluded.
fn content_end(src: &str) -> usize {
    let mut end = src.trim_end().len();
    loop {
        let line_start = src[..end].rfind('\n').map_or(0, |i| i + 1);
        if line_start == 0 || !src[line_start..end].trim_start().starts_with("//") {
            return end;
        }
        end = src[..line_start].trim_end().len();
    }
}

const END_OF_DECLARATION: &str = "the end of the declaration";

fn describe_found(src: &str, pos: usize, end: End) -> String {
    let rest = &src[pos..];
    if rest.trim().is_empty() {
        return match end {
            End::Declaration => END_OF_DECLARATION,
            End::Line => "the end of the line",
        }
        .to_string();
    }
    let len = token_len(rest);
    if len == 0 {
        return "the end of the line".to_string();
    }
    let token = &rest[..len];
    if token.starts_with('"') {
        return "a string".to_string();
    }
    format!("`{token}`")
}

fn join_or(words: &[String]) -> String {
    match words.len() {
        0 => String::new(),
        1 => words[0].clone(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// Maps the rules pest expected to words a user knows, deduplicated, in a
/// stable order.
fn expected_words(rules: &[Rule], end: End) -> Vec<String> {
    let mut words: Vec<&str> = Vec::new();
    for rule in rules {
        let w = match rule {
            Rule::ident | Rule::word => "a name",
            Rule::string => "a string",
            Rule::number | Rule::decimal | Rule::digits | Rule::money => "a number",
            Rule::date | Rule::datetime | Rule::datetime_expr => "a date",
            Rule::expr
            | Rule::field
            | Rule::boolean
            | Rule::today
            | Rule::now
            | Rule::list
            | Rule::paren
            | Rule::call
            | Rule::quantifier
            | Rule::neg => "an expression",
            Rule::cmp_op => "a comparison such as `>=`",
            Rule::threshold => "a threshold such as `>= 92%`",
            Rule::map | Rule::groups => "`{`",
            Rule::offset_arg | Rule::kw_offset => "`offset`",
            Rule::group => "a label and its values such as `sex [\"female\", \"male\"]`",
            Rule::lbrace | Rule::body | Rule::criteria => "`{`",
            Rule::rbrace => "`}`",
            Rule::arrow => "`->`",
            Rule::lparen => "`(`",
            Rule::rparen => "`)`",
            Rule::lbracket | Rule::list_type => "`[`",
            Rule::rbracket => "`]`",
            Rule::colon => "`:`",
            Rule::comma => "`,`",
            Rule::eqeq => "`==`",
            Rule::equals => "`=`",
            Rule::dot => "`.`",
            Rule::unit => "a unit",
            Rule::currency => "a currency code",
            Rule::kw_or | Rule::kw_and => "an operator",
            Rule::add_op | Rule::mul_op => "an operator",
            Rule::kw_in => "`in`",
            Rule::kw_for => "`for`",
            Rule::kw_not => "`not`",
            Rule::enforcement | Rule::criterion => "`require`, `expect` or `advise`",
            Rule::because => "`because`",
            Rule::kw_because => "`because`",
            Rule::kw_where | Rule::where_clause => "`where`",
            Rule::attr | Rule::decl | Rule::gate | Rule::kw_gate => "an attribute or a nested declaration",
            Rule::import
            | Rule::policy
            | Rule::let_item
            | Rule::builtin
            | Rule::test
            | Rule::kw_import
            | Rule::kw_policy
            | Rule::kw_let
            | Rule::kw_builtin
            | Rule::kw_test => "a declaration",
            Rule::param => "a parameter",
            Rule::type_name => "a type",
            Rule::test_now
            | Rule::test_metrics
            | Rule::test_series
            | Rule::expect_gate
            | Rule::expect_kpi
            | Rule::expect_policy => "a test statement (`now`, `metrics`, `series`, `expect`)",
            Rule::series_labels | Rule::sample => "`labels` or `at`",
            Rule::sample_value => "a number",
            Rule::EOI if end == End::Line => "the end of the line",
            Rule::EOI => END_OF_DECLARATION,
            _ => continue,
        };
        if !words.contains(&w) {
            words.push(w);
        }
    }
    // "an attribute" subsumes "a name"; "an expression" subsumes literals.
    if words.contains(&"an expression") {
        words.retain(|w| !matches!(*w, "a name" | "a number" | "a string" | "a date" | "`[`" | "`(`"));
    }
    if words.contains(&"an attribute or a nested declaration") {
        words.retain(|w| *w != "a name");
    }
    words.into_iter().map(str::to_string).collect()
}

/// What lowering refuses: the code it is reported under, where, and why.
type LowerResult<T> = Result<T, (Code, Span, String)>;

struct Lower {
    base: usize,
    max_chain: usize,
    max_list_len: usize,
}

impl Lower {
    /// The pair's span, ending at its last token: pest lets a rule's span
    /// run over the whitespace and comments it skipped looking for an
    /// optional tail, and a diagnostic must not underline those.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.base + s.start(), self.base + last_token_end(pair))
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    /// A name that is declared or referenced: reserved words are refused.
    fn name(&self, pair: Pair<Rule>) -> LowerResult<Ident> {
        let ident = self.ident(pair);
        if is_reserved(&ident.name) {
            return Err((
                Code::SyntaxError,
                ident.span,
                format!("`{}` is a reserved word and cannot be used as a name", ident.name),
            ));
        }
        Ok(ident)
    }

    fn string(&self, pair: Pair<Rule>) -> LowerResult<StrLit> {
        let span = self.span(&pair);
        let raw = pair.as_str();
        let value = unescape(&raw[1..raw.len() - 1]).map_err(|m| (Code::InvalidLiteral, span, m))?;
        Ok(StrLit { value, span })
    }

    fn item(&self, pair: Pair<Rule>) -> LowerResult<Item> {
        Ok(match pair.as_rule() {
            Rule::import => {
                let span = self.span(&pair);
                let mut inner = pair.into_inner();
                inner.next(); // keyword
                let path = self.string(next(&mut inner)?)?;
                Item::Import(Import { path, span })
            }
            Rule::decl => Item::Decl(std::sync::Arc::new(self.decl(pair)?)),
            Rule::gate => Item::Gate(self.gate(pair)?),
            Rule::policy => {
                let span = self.span(&pair);
                let mut inner = pair.into_inner();
                inner.next();
                let name = self.name(next(&mut inner)?)?;
                inner.next(); // for
                let subject = self.ident(next(&mut inner)?);
                let mut filter = None;
                let mut criteria = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::where_clause => {
                            let mut w = p.into_inner();
                            w.next();
                            filter = Some(self.expr(next(&mut w)?)?);
                        }
                        Rule::criteria => criteria = self.criteria(p)?,
                        _ => {}
                    }
                }
                Item::Policy(Policy { doc: None, name, subject, filter, criteria, span, broken: Vec::new() })
            }
            Rule::let_item => {
                let span = self.span(&pair);
                let mut inner = pair.into_inner();
                inner.next();
                let name = self.name(next(&mut inner)?)?;
                inner.next(); // =
                let value = self.expr(next(&mut inner)?)?;
                Item::Let(Let { doc: None, name, value, span })
            }
            Rule::builtin => {
                let span = self.span(&pair);
                let mut inner = pair.into_inner();
                inner.next();
                let name = self.ident(next(&mut inner)?);
                let mut params = Vec::new();
                let mut ret = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::param => {
                            let mut pi = p.into_inner();
                            let pname = self.ident(next(&mut pi)?);
                            pi.next(); // :
                            let ty = self.type_name(next(&mut pi)?)?;
                            params.push(Param { name: pname, ty });
                        }
                        Rule::type_name => ret = Some(self.type_name(p)?),
                        _ => {}
                    }
                }
                let ret = ret.ok_or((Code::SyntaxError, span, "missing result type".to_string()))?;
                Item::Builtin(Builtin { doc: None, name, params, ret, span })
            }
            Rule::test => Item::Test(self.test(pair)?),
            Rule::extend => Item::Extend(self.extend(pair)?),
            _ => return Err((Code::SyntaxError, self.span(&pair), "unexpected item".to_string())),
        })
    }

    fn extend(&self, pair: Pair<Rule>) -> LowerResult<Extend> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        inner.next(); // extend
        let kind = self.ident(next(&mut inner)?);
        let mut attrs = Vec::new();
        let mut open = None;
        let mut body_end = span.end;
        for p in inner {
            match p.as_rule() {
                Rule::lbrace => open = Some(self.span(&p).start),
                Rule::rbrace => body_end = self.span(&p).end,
                Rule::ext_attr => {
                    let aspan = self.span(&p);
                    let mut ai = p.into_inner();
                    let name = self.name(next(&mut ai)?)?;
                    let ty = self.ext_type(next(&mut ai)?)?;
                    let required = ai.next().map(|r| self.span(&r));
                    attrs.push(ExtAttr { doc: None, name, ty, required, span: aspan });
                }
                _ => {}
            }
        }
        let body_span = Span { start: open.unwrap_or(span.start), end: body_end };
        Ok(Extend { doc: None, kind, attrs, span, body_span })
    }

    fn ext_type(&self, pair: Pair<Rule>) -> LowerResult<ExtType> {
        let span = self.span(&pair);
        let inner = next(&mut pair.into_inner())?;
        Ok(match inner.as_rule() {
            Rule::ext_list => {
                let mut li = inner.into_inner();
                li.next(); // list
                li.next(); // of
                ExtType::List(Box::new(self.ext_type(next(&mut li)?)?), span)
            }
            Rule::ext_one_of => {
                let mut values = Vec::new();
                for v in inner.into_inner() {
                    if v.as_rule() == Rule::ident {
                        values.push(self.name(v)?);
                    }
                }
                ExtType::OneOf(values, span)
            }
            _ => ExtType::Named(self.ident(inner)),
        })
    }

    fn type_name(&self, pair: Pair<Rule>) -> LowerResult<TypeName> {
        let span = self.span(&pair);
        let inner = next(&mut pair.into_inner())?;
        Ok(match inner.as_rule() {
            Rule::list_type => {
                let mut li = inner.into_inner();
                li.next(); // [
                TypeName::List(Box::new(self.type_name(next(&mut li)?)?), span)
            }
            _ => TypeName::Named(self.ident(inner)),
        })
    }

    fn decl(&self, pair: Pair<Rule>) -> LowerResult<Decl> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind = self.ident(next(&mut inner)?);
        let name = self.name(next(&mut inner)?)?;
        let body = next(&mut inner)?;
        let body_span = self.span(&body);
        let mut members = Vec::new();
        for m in body.into_inner() {
            match m.as_rule() {
                Rule::attr => members.push(Member::Attr(self.attr(m)?)),
                Rule::decl => members.push(Member::Decl(self.decl(m)?)),
                Rule::gate => members.push(Member::Gate(self.gate(m)?)),
                _ => {}
            }
        }
        Ok(Decl { doc: None, kind, name, members, span, body_span, broken: Vec::new() })
    }

    fn attr(&self, pair: Pair<Rule>) -> LowerResult<Attr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(next(&mut inner)?);
        let v = next(&mut inner)?;
        let value = match v.as_rule() {
            Rule::map => AttrValue::Map(self.map(v)?),
            Rule::groups => AttrValue::Groups(self.groups(v)?),
            Rule::threshold => {
                let tspan = self.span(&v);
                let mut ti = v.into_inner();
                let op = cmp_op(next(&mut ti)?.as_str());
                let value = self.expr(next(&mut ti)?)?;
                AttrValue::Threshold(Threshold { op, value, span: tspan })
            }
            _ => AttrValue::Expr(self.expr(v)?),
        };
        Ok(Attr { name, value, span })
    }

    fn groups(&self, pair: Pair<Rule>) -> LowerResult<GroupsLit> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for g in pair.into_inner().filter(|p| p.as_rule() == Rule::group) {
            let mut key = None;
            let mut values = Vec::new();
            for p in g.into_inner() {
                match p.as_rule() {
                    Rule::ident => key = Some(self.ident(p)),
                    Rule::string => values.push(self.string(p)?),
                    _ => {}
                }
            }
            if let Some(k) = key {
                entries.push((k, values));
            }
        }
        Ok(GroupsLit { entries, span })
    }

    fn map(&self, pair: Pair<Rule>) -> LowerResult<MapLit> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        let mut key = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => key = Some(self.ident(p)),
                Rule::string => {
                    if let Some(k) = key.take() {
                        entries.push((k, self.string(p)?));
                    }
                }
                _ => {}
            }
        }
        Ok(MapLit { entries, span })
    }

    fn gate(&self, pair: Pair<Rule>) -> LowerResult<Gate> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        inner.next(); // gate
        let from = self.ident(next(&mut inner)?);
        inner.next(); // ->
        let to = self.ident(next(&mut inner)?);
        let criteria = self.criteria(next(&mut inner)?)?;
        Ok(Gate { doc: None, from, to, criteria, span, broken: Vec::new() })
    }

    fn criteria(&self, pair: Pair<Rule>) -> LowerResult<Vec<Criterion>> {
        pair.into_inner().filter(|c| c.as_rule() == Rule::criterion).map(|c| self.criterion(c)).collect()
    }

    fn criterion(&self, c: Pair<Rule>) -> LowerResult<Criterion> {
        let span = self.span(&c);
        let mut ci = c.into_inner();
        let enforcement = match next(&mut ci)?.as_str() {
            "require" => Enforcement::Require,
            "expect" => Enforcement::Expect,
            _ => Enforcement::Advise,
        };
        let expr = self.expr(next(&mut ci)?)?;
        let because = match ci.next() {
            Some(b) => {
                let mut bi = b.into_inner();
                bi.next();
                Some(self.string(next(&mut bi)?)?)
            }
            None => None,
        };
        Ok(Criterion { enforcement, expr, because, span })
    }

    /// A member of a declaration's body (`member_piece`'s one child).
    fn member(&self, pair: Pair<Rule>) -> LowerResult<Member> {
        Ok(match pair.as_rule() {
            Rule::attr => Member::Attr(self.attr(pair)?),
            Rule::decl => Member::Decl(self.decl(pair)?),
            Rule::gate => Member::Gate(self.gate(pair)?),
            _ => return Err((Code::SyntaxError, self.span(&pair), "unexpected member".to_string())),
        })
    }

    fn test(&self, pair: Pair<Rule>) -> LowerResult<Test> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        inner.next(); // test
        let name = self.string(next(&mut inner)?)?;
        let mut stmts = Vec::new();
        for s in inner {
            let sspan = self.span(&s);
            match s.as_rule() {
                Rule::test_now => {
                    let dt = next(&mut s.into_inner())?;
                    stmts.push(TestStmt::Now(self.expr_primary(next(&mut dt.into_inner())?)?));
                }
                Rule::test_metrics => stmts.push(TestStmt::Metrics(self.string(next(&mut s.into_inner())?)?)),
                Rule::test_series => {
                    let mut si = s.into_inner();
                    let metric = self.string(next(&mut si)?)?;
                    let mut labels = None;
                    let mut samples = Vec::new();
                    for p in si {
                        match p.as_rule() {
                            Rule::series_labels => labels = Some(self.map(next(&mut p.into_inner())?)?),
                            Rule::sample => {
                                let mut pi = p.into_inner();
                                let dt = next(&mut pi)?;
                                let time = self.expr_primary(next(&mut dt.into_inner())?)?;
                                let v = next(&mut pi)?;
                                let vspan = self.span(&v);
                                let text: String = v.as_str().chars().filter(|c| !c.is_whitespace()).collect();
                                let value: f64 = text
                                    .replace('_', "")
                                    .parse()
                                    .map_err(|_| (Code::InvalidLiteral, vspan, "invalid number".to_string()))?;
                                let value = Expr {
                                    kind: ExprKind::Number { raw: text.clone(), value, unit: None },
                                    span: vspan,
                                };
                                samples.push((time, value));
                            }
                            _ => {}
                        }
                    }
                    stmts.push(TestStmt::Series(InlineSeries { metric, labels, samples, span: sspan }));
                }
                Rule::expect_gate => {
                    let mut ids = s.into_inner().filter(|p| p.as_rule() == Rule::ident);
                    let initiative = self.ident(next(&mut ids)?);
                    let from = self.ident(next(&mut ids)?);
                    let to = self.ident(next(&mut ids)?);
                    let outcome = self.ident(next(&mut ids)?);
                    stmts.push(TestStmt::ExpectGate { initiative, from, to, outcome, span: sspan });
                }
                Rule::expect_kpi => {
                    let mut ids = s.into_inner().filter(|p| p.as_rule() == Rule::ident);
                    let kpi = self.ident(next(&mut ids)?);
                    let status = self.ident(next(&mut ids)?);
                    stmts.push(TestStmt::ExpectKpi { kpi, status, span: sspan });
                }
                Rule::expect_policy => {
                    let mut ids = s.into_inner().filter(|p| p.as_rule() == Rule::ident);
                    let policy = self.ident(next(&mut ids)?);
                    let subject = self.ident(next(&mut ids)?);
                    let outcome = self.ident(next(&mut ids)?);
                    stmts.push(TestStmt::ExpectPolicy { policy, subject, outcome, span: sspan });
                }
                _ => {}
            }
        }
        Ok(Test { name, stmts, span })
    }

    /// Builds an expression tree from the flat `expr` sequence.
    fn expr(&self, pair: Pair<Rule>) -> LowerResult<Expr> {
        let span = self.span(&pair);
        let inner = pair.into_inner();
        let infix_count = inner.clone().filter(|p| is_infix(p.as_rule())).count();
        if infix_count > self.max_chain {
            return Err((
                Code::LimitExceeded,
                span,
                format!("{infix_count} operators chained in one expression, more than the limit of {}", self.max_chain),
            ));
        }
        pratt()
            .map_primary(|p| self.expr_primary(p))
            .map_prefix(|op, operand| {
                let operand = operand?;
                let op_span = self.span(&op);
                let un = if op.as_rule() == Rule::kw_not { UnOp::Not } else { UnOp::Neg };
                let s = op_span.to(operand.span);
                Ok(Expr { kind: ExprKind::Unary(un, Box::new(operand)), span: s })
            })
            .map_postfix(|base, field| {
                let base = base?;
                let ident = field.into_inner().find(|p| p.as_rule() == Rule::ident);
                let ident = self.ident(next(&mut ident.into_iter())?);
                let s = base.span.to(ident.span);
                Ok(Expr { kind: ExprKind::Field(Box::new(base), ident), span: s })
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let s = lhs.span.to(rhs.span);
                let kind = match op.as_rule() {
                    Rule::kw_for => ExprKind::For(Box::new(lhs), Box::new(rhs)),
                    rule => {
                        let bin = match (rule, op.as_str()) {
                            (Rule::kw_or, _) => BinOp::Or,
                            (Rule::kw_and, _) => BinOp::And,
                            (Rule::kw_in, _) => BinOp::In,
                            (Rule::cmp_op, text) => BinOp::Cmp(cmp_op(text)),
                            (_, "+") => BinOp::Add,
                            (_, "-") => BinOp::Sub,
                            (_, "*") => BinOp::Mul,
                            _ => BinOp::Div,
                        };
                        ExprKind::Binary(bin, Box::new(lhs), Box::new(rhs))
                    }
                };
                Ok(Expr { kind, span: s })
            })
            .parse(inner)
    }

    fn expr_primary(&self, pair: Pair<Rule>) -> LowerResult<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::datetime => ExprKind::DateTime(parse_datetime(pair.as_str()).ok_or((
                Code::InvalidLiteral,
                span,
                format!("`{}` is not a valid time", pair.as_str()),
            ))?),
            Rule::date => ExprKind::Date(parse_date(pair.as_str()).ok_or((
                Code::InvalidLiteral,
                span,
                format!("`{}` is not a valid date", pair.as_str()),
            ))?),
            Rule::money => {
                let mut inner = pair.into_inner();
                let amount = next(&mut inner)?;
                let currency = next(&mut inner)?.as_str().to_string();
                let raw = amount.as_str().to_string();
                let value = parse_decimal(&raw).ok_or((
                    Code::InvalidLiteral,
                    span,
                    format!("`{raw}` is not a valid number"),
                ))?;
                ExprKind::Money { raw, value, currency }
            }
            Rule::number => {
                let mut inner = pair.into_inner();
                let amount = next(&mut inner)?;
                let raw = amount.as_str().to_string();
                let value = parse_decimal(&raw).ok_or((
                    Code::InvalidLiteral,
                    span,
                    format!("`{raw}` is not a valid number"),
                ))?;
                let unit = inner.next().map(|u| match u.as_str() {
                    "%" => LitUnit::Percent,
                    "ms" => LitUnit::Ms,
                    "s" => LitUnit::S,
                    "m" => LitUnit::M,
                    "h" => LitUnit::H,
                    "d" => LitUnit::D,
                    _ => LitUnit::W,
                });
                ExprKind::Number { raw, value, unit }
            }
            Rule::string => ExprKind::Str(self.string(pair)?.value),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::today => ExprKind::Today,
            Rule::now => ExprKind::Now,
            Rule::ident => ExprKind::Name(self.name(pair)?),
            Rule::list => {
                let len = pair.clone().into_inner().filter(|p| p.as_rule() == Rule::expr).count();
                if len > self.max_list_len {
                    return Err((
                        Code::LimitExceeded,
                        span,
                        format!("a list of {len} elements, more than the limit of {}", self.max_list_len),
                    ));
                }
                let items = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .map(|p| self.expr(p))
                    .collect::<LowerResult<Vec<_>>>()?;
                ExprKind::List(items)
            }
            Rule::paren => {
                let e = pair.into_inner().find(|p| p.as_rule() == Rule::expr).ok_or((
                    Code::SyntaxError,
                    span,
                    "empty parentheses".to_string(),
                ))?;
                ExprKind::Paren(Box::new(self.expr(e)?))
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let func = self.ident(next(&mut inner)?);
                let args = inner
                    .filter(|p| matches!(p.as_rule(), Rule::expr | Rule::offset_arg))
                    .map(|p| match p.as_rule() {
                        Rule::offset_arg => {
                            let span = self.span(&p);
                            let mut inner = p.into_inner().filter(|q| q.as_rule() == Rule::expr);
                            let e = self.expr(next(&mut inner)?)?;
                            Ok(Expr { kind: ExprKind::Offset(Box::new(e)), span })
                        }
                        _ => self.expr(p),
                    })
                    .collect::<LowerResult<Vec<_>>>()?;
                ExprKind::Call(func, args)
            }
            Rule::quantifier => {
                let mut inner = pair.into_inner().filter(|p| matches!(p.as_rule(), Rule::ident | Rule::expr));
                let func = self.ident(next(&mut inner)?);
                let var = self.ident(next(&mut inner)?);
                let list = self.expr(next(&mut inner)?)?;
                let pred = self.expr(next(&mut inner)?)?;
                ExprKind::Quantifier { func, var, list: Box::new(list), pred: Box::new(pred) }
            }
            Rule::expr => return self.expr(pair),
            _ => return Err((Code::SyntaxError, span, "unexpected part of an expression".to_string())),
        };
        Ok(Expr { kind, span })
    }
}

fn is_infix(rule: Rule) -> bool {
    matches!(rule, Rule::kw_or | Rule::kw_and | Rule::kw_for | Rule::cmp_op | Rule::kw_in | Rule::add_op | Rule::mul_op)
}

/// The operator table, loosest first.
fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: std::sync::OnceLock<PrattParser<Rule>> = std::sync::OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::kw_or, Assoc::Left))
            .op(Op::infix(Rule::kw_and, Assoc::Left))
            .op(Op::prefix(Rule::kw_not))
            .op(Op::infix(Rule::kw_for, Assoc::Left))
            .op(Op::infix(Rule::cmp_op, Assoc::Left) | Op::infix(Rule::kw_in, Assoc::Left))
            .op(Op::infix(Rule::add_op, Assoc::Left))
            .op(Op::infix(Rule::mul_op, Assoc::Left))
            .op(Op::prefix(Rule::neg))
            .op(Op::postfix(Rule::field))
    })
}

/// The end of the last token of a pair: its text without the trailing
/// whitespace and `//` comments pest may have skipped.
fn last_token_end(pair: &Pair<Rule>) -> usize {
    let span = pair.as_span();
    let (start, mut end) = (span.start(), span.end());
    let input = span.get_input();
    loop {
        let trimmed = input[start..end].trim_end();
        end = start + trimmed.len();
        let line_start = input[start..end].rfind('\n').map_or(start, |i| start + i + 1);
        match super::lexer::comment_start(input, Span::new(line_start, end)) {
            Some(at) => end = at,
            None => return end,
        }
    }
}

fn next<'i>(it: &mut impl Iterator<Item = Pair<'i, Rule>>) -> LowerResult<Pair<'i, Rule>> {
    it.next().ok_or((
        Code::SyntaxError,
        Span::default(),
        "internal error: the parse tree is missing a part".to_string(),
    ))
}

fn cmp_op(s: &str) -> CmpOp {
    match s {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

pub(super) fn parse_decimal(raw: &str) -> Option<f64> {
    let clean: String = raw.chars().filter(|c| *c != '_').collect();
    clean.parse::<f64>().ok().filter(|v| v.is_finite())
}

pub(super) fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => return Err(format!("unknown escape `\\{other}` in a string")),
            None => return Err("a string ends with a lone `\\`".to_string()),
        }
    }
    Ok(out)
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` into days since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Parses an RFC 3339 time (`2026-11-24T00:00:00Z`, optional fraction and
/// offset) into seconds since the epoch, UTC. Fractions are truncated.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let days = parse_date(s.get(0..10)?)?;
    if s.as_bytes().get(10) != Some(&b'T') && s.as_bytes().get(10) != Some(&b't') {
        return None;
    }
    let h: i64 = s.get(11..13)?.parse().ok()?;
    let mi: i64 = s.get(14..16)?.parse().ok()?;
    let se: i64 = s.get(17..19)?.parse().ok()?;
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.chars().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &r[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            if rest.len() != 6 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// Attaches `///` comments to the declaration, gate, policy, let or builtin
/// that follows them with nothing but whitespace in between.
fn attach_docs(text: &str, file: &mut File) {
    let docs: Vec<&Comment> = file.comments.iter().filter(|c| c.doc).collect();
    if docs.is_empty() {
        return;
    }
    let find = |start: u32| -> Option<Doc> {
        // The doc comments that end right before `start`, walking backwards.
        let idx = docs.partition_point(|c| c.span.end <= start);
        let mut i = idx;
        let mut cursor = start as usize;
        let mut lines = Vec::new();
        let mut first = None;
        while i > 0 {
            let c = docs[i - 1];
            if !text[c.span.end as usize..cursor].trim().is_empty() {
                break;
            }
            let line = &text[c.span.range()];
            let body = line.strip_prefix("///").unwrap_or(line);
            // Trailing whitespace is not part of the text (the formatter
            // drops it, and the tree must not change when it does).
            lines.push(body.strip_prefix(' ').unwrap_or(body).trim_end().to_string());
            first = Some(c.span.start);
            cursor = c.span.start as usize;
            i -= 1;
        }
        let first = first?;
        let last_end = docs[idx - 1].span.end;
        lines.reverse();
        Some(Doc { text: lines.join("\n"), span: Span { start: first, end: last_end } })
    };
    for item in &mut file.items {
        match item {
            Item::Decl(d) => attach_decl(std::sync::Arc::make_mut(d), &find),
            Item::Gate(g) => g.doc = find(g.span.start),
            Item::Policy(p) => p.doc = find(p.span.start),
            Item::Let(l) => l.doc = find(l.span.start),
            Item::Builtin(b) => b.doc = find(b.span.start),
            Item::Extend(x) => {
                x.doc = find(x.span.start);
                for a in &mut x.attrs {
                    a.doc = find(a.span.start);
                }
            }
            _ => {}
        }
    }
}

fn attach_decl(d: &mut Decl, find: &dyn Fn(u32) -> Option<Doc>) {
    d.doc = find(d.span.start);
    for m in &mut d.members {
        match m {
            Member::Decl(n) => attach_decl(n, find),
            Member::Gate(g) => g.doc = find(g.span.start),
            Member::Attr(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> (File, Vec<Diagnostic>) {
        parse(FileId(0), src, ParseLimits::default())
    }

    #[test]
    fn parses_the_reference_example() {
        let src = include_str!("../../examples/acme/acme.compel");
        let (file, diags) = p(src);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(file.items.len(), 9);
        let Item::Decl(program) = &file.items[2] else { panic!("not a decl") };
        assert_eq!(
            program.doc.as_ref().map(|d| d.text.as_str()),
            Some("Fraud-loss reduction: the board-level AI program.")
        );
    }

    #[test]
    fn recovers_after_a_broken_declaration() {
        let (file, diags) = p("kpi a {\n  target >=\n}\n\nkpi b {\n  metric \"m\"\n}\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, "expected an expression, found the end of the line");
        assert_eq!(diags[0].primary.span, Span::new(19, 19));
        // The declaration is kept, with its broken line.
        let Item::Decl(a) = &file.items[0] else { panic!("not a decl: {:?}", file.items[0]) };
        assert_eq!((a.name.name.as_str(), a.members.len(), a.broken.len()), ("a", 0, 1));
        assert_eq!(a.broken[0].word.as_ref().map(|w| w.name.as_str()), Some("target"));
        assert!(matches!(file.items[1], Item::Decl(_)));
    }

    #[test]
    fn deep_nesting_is_a_diagnostic() {
        let src = format!("let x = {}1{}\n", "(".repeat(20_000), ")".repeat(20_000));
        let (_, diags) = p(&src);
        assert_eq!(diags[0].code, Code::LimitExceeded);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_datetime("2026-11-24T00:00:00Z"), Some(1_795_478_400));
        assert_eq!(parse_datetime("2026-11-24T02:00:00+02:00"), Some(1_795_478_400));
    }
}
