//! Recovery one level down: a piece that did not parse whole is parsed
//! again line by line ([`crate::syntax::recover`] cuts it into header,
//! members and closing brace), so a broken line costs one diagnostic and
//! its declaration keeps the rest. Also the layout check that sends a
//! piece that parsed, but reads like an unfinished line, the same way.

use pest::Parser as _;

use super::errors::{syntax_error, End};
use super::{parse_piece_with_pest, trimmed_span, CompelParser, Lower, ParseLimits, Rule};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::*;
use crate::syntax::lexer::is_reserved;
use crate::syntax::recover::Block;
use crate::syntax::split::Piece;
use crate::text::{FileId, Span};

/// Whether an attribute, a criterion or a nested declaration's header runs
/// over a line that the layout says starts a member of its own, and that
/// parses as one ([`crate::syntax::recover::layout_candidates`]). The grammar allows
/// it, but it is how an unfinished line reads (`unit` alone, then `target
/// <= 5%` taken as its value), so such a piece is parsed again line by line.
pub(super) fn layout_disagrees(text: &str, items: &[Item]) -> bool {
    use crate::syntax::recover::line_indent_if_first;
    fn multi_line(text: &str, span: Span) -> bool {
        text.as_bytes()[span.range()].contains(&b'\n')
    }
    fn off(text: &str, span: Span, indent: usize, rule: Rule) -> bool {
        crate::syntax::recover::layout_candidates(text, span, indent)
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
/// ([`crate::syntax::recover`]): each member of each declaration on its own, so a
/// broken line costs one diagnostic and the declaration keeps the rest.
/// `None` when the piece has no line structure to recover by; the caller
/// keeps the whole piece's error then.
pub(super) fn recover_piece(
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
    let block = crate::syntax::recover::block(text, span)?;
    let node = match recover_header(file_id, text, &block, limits, nested)? {
        Ok(node) => node,
        Err(diag) => return Some(Err(diag)),
    };
    let mut diags = Vec::new();
    let broken_header = match block.brace {
        Some(_) => None,
        None => {
            // Report what pest says about the header line as written.
            let (header_text, end) = (&text[block.header.range()], block.header.end as usize);
            diags.push(match CompelParser::parse(Rule::item_piece, header_text) {
                Err(err) => syntax_error(file_id, header_text, block.header.start as usize, &err, End::Line),
                Ok(_) => Diagnostic::at(Code::SyntaxError, file_id, Span::new(end, end), "expected `{`"),
            });
            Some(block.header)
        }
    };
    let criteria = !matches!(node, Recovered::Decl(_));
    let body = recover_members(file_id, text, &block, limits, depth, criteria);
    diags.extend(body.diags);
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
            d.members = body.members;
            d.broken = body.broken;
            d.span.end = body_end;
            d.body_span = Span { start: block.brace.map_or(block.header.end, |b| b as u32), end: body_end };
            Recovered::Decl(d)
        }
        Recovered::Gate(mut g) => {
            g.criteria = body.criteria.into();
            g.broken = body.broken;
            g.span.end = body_end;
            Recovered::Gate(g)
        }
        Recovered::Policy(mut p) => {
            p.criteria = body.criteria.into();
            p.broken = body.broken;
            p.span.end = body_end;
            Recovered::Policy(p)
        }
    };
    Some(Ok(RecoveredBlock { node, broken_header, diags, rest: block.rest }))
}

/// The node a block's header makes, parsed with its body replaced by `{}`
/// (to be filled with the members): `None` when it is not a declaration,
/// gate or policy (or a policy nested in a declaration), `Err` with the
/// header's diagnostic when it does not parse.
fn recover_header(
    file_id: FileId,
    text: &str,
    block: &Block,
    limits: ParseLimits,
    nested: bool,
) -> Option<Result<Recovered, Diagnostic>> {
    let header_start = block.header.start as usize;
    let header_text = &text[block.header.range()];
    let synthetic = match block.brace {
        Some(_) => format!("{header_text}}}"),
        None => format!("{header_text} {{}}"),
    };
    let mut pairs = match CompelParser::parse(Rule::item_piece, &synthetic) {
        Ok(pairs) => pairs,
        Err(err) => return Some(Err(syntax_error(file_id, header_text, header_start, &err, End::Line))),
    };
    let mut inner = pairs.next().map(|p| p.into_inner());
    let item = inner.as_mut().and_then(|i| i.find(|p| p.as_rule() != Rule::EOI));
    let lower = Lower { base: header_start, max_chain: limits.max_chain, max_list_len: limits.max_list_len };
    Some(Ok(match item.map(|pair| lower.item(pair)) {
        // `gate model` without its arrow reads as a declaration of kind
        // `gate`: report the header as a gate's instead.
        Some(Ok(Item::Decl(d))) if is_reserved(&d.kind.name) => {
            let err = CompelParser::parse(Rule::item_piece, header_text).err()?;
            return Some(Err(syntax_error(file_id, header_text, header_start, &err, End::Line)));
        }
        Some(Ok(Item::Decl(d))) => Recovered::Decl(std::sync::Arc::unwrap_or_clone(d)),
        Some(Ok(Item::Gate(g))) => Recovered::Gate(g),
        Some(Ok(Item::Policy(p))) if !nested => Recovered::Policy(p),
        Some(Err((code, at, message))) => return Some(Err(Diagnostic::at(code, file_id, at, message))),
        _ => return None,
    }))
}

/// A block's body recovered member by member.
#[derive(Default)]
struct RecoveredBody {
    /// The members that parsed (a declaration's).
    members: Vec<Member>,
    /// The criteria that parsed (a gate's or a policy's).
    criteria: Vec<Criterion>,
    /// The lines that did not.
    broken: Vec<Broken>,
    diags: Vec<Diagnostic>,
}

/// Parses each member line of a block on its own (criteria for a gate or
/// a policy); a nested declaration that does not parse whole is recovered
/// in turn, down to [`MAX_RECOVERY_DEPTH`].
fn recover_members(
    file_id: FileId,
    text: &str,
    block: &Block,
    limits: ParseLimits,
    depth: usize,
    criteria: bool,
) -> RecoveredBody {
    let lower = |base: usize| Lower { base, max_chain: limits.max_chain, max_list_len: limits.max_list_len };
    let mut body = RecoveredBody::default();
    let mut chunks = block.members.clone();
    let mut k = 0;
    while k < chunks.len() {
        let m = chunks[k];
        k += 1;
        let src = &text[m.range()];
        let base = m.start as usize;
        let word = crate::syntax::recover::word_at(text, base)
            .map(|(s, e)| Ident { name: text[s..e].to_string(), span: Span::new(s, e) });
        let rule = if criteria { Rule::criterion_piece } else { Rule::member_piece };
        let failure = match CompelParser::parse(rule, src) {
            Ok(mut pairs) => {
                let pair = pairs.next().and_then(|p| p.into_inner().find(|p| p.as_rule() != Rule::EOI));
                let Some(pair) = pair else { continue };
                let result = if criteria {
                    lower(base).criterion(pair).map(|c| body.criteria.push(c))
                } else {
                    lower(base).member(pair).map(|member| body.members.push(member))
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
                            body.broken.push(Broken { span: header, word: word.clone() });
                        }
                        match inner.node {
                            Recovered::Decl(d) => body.members.push(Member::Decl(d)),
                            Recovered::Gate(g) => body.members.push(Member::Gate(g)),
                            // Not returned for a nested block.
                            Recovered::Policy(p) => body.broken.push(Broken { span: p.span, word: word.clone() }),
                        }
                        body.diags.extend(inner.diags);
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
        body.diags.push(failure);
        body.broken.push(Broken { span: m, word });
    }
    body
}
