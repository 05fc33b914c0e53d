//! The parser's fast path: a hand-written recursive-descent parser of the
//! grammar in `grammar/compel.pest`, for the pieces that parse cleanly.
//!
//! pest stays the definition of the language and the source of every
//! syntax error. This module only accelerates the common case: it parses a
//! piece exactly as pest plus the lowering in `parser/` would, byte for
//! byte the same AST with the same spans, or it gives up (`None`) and the
//! piece goes to pest. It gives up on any syntax error, on anything the
//! lowering would report (a reserved word as a name, an invalid date, a bad
//! escape, an operator chain or a list over its limit), on `test` items, and on
//! nesting deeper than [`MAX_DEPTH`]; so a diagnostic always comes from pest.
//!
//! **How it stays equal to pest.** Every grammar rule is a function that
//! tries the rule's alternatives in the grammar's order with backtracking
//! (PEG semantics: an ordered choice commits to the first alternative that
//! matches; repetitions are greedy and never give back). Whitespace and
//! comments are skipped before every token, which is what pest's implicit
//! `WHITESPACE`/`COMMENT` do between the elements of non-atomic rules;
//! tokens (pest's atomic rules) are matched without skipping inside. A
//! node's span runs from its first token to the end of its last token, which
//! is what `parser/lower.rs` computes from pest's spans (`last_token_end`).
//! Expression trees are built from the same flat operand/operator sequence
//! by the same Pratt algorithm and precedence table as pest's
//! `PrattParser`. [`super::check_fast_path`] parses every piece both ways
//! and compares the trees; the proptests (`fast/tests.rs`) run it on generated text
//! and token soup, `tests/fast_path.rs` on every fixture, example and
//! stdlib file (and asserts that the examples and the stdlib all take this
//! path, so a grammar change that makes it give up fails a test instead of
//! costing speed silently), and the `parse` fuzz target on its inputs. All
//! of it in release builds too.
//!
//! A grammar change that adds syntax needs no change here to stay correct
//! (the fast path gives up and pest parses it); a change to the meaning of
//! existing syntax must be mirrored here, or those tests fail.
//!
//! It is worth it: `compel check` on the 10,000-initiative workload
//! (`docs/performance.md`) spends most of its parsing time in pest without
//! it (see the commit that made it a verified accelerator for figures).

use super::ast::*;
use super::lexer::is_reserved;
use super::{literals::*, parser::ParseLimits};
use crate::text::Span;

#[path = "fast_expr.rs"]
mod expr;
#[path = "fast_extend.rs"]
mod extend;
#[path = "fast_lexemes.rs"]
mod lexemes;

/// Deepest recursion (expressions, declarations) before giving up. The
/// splitter's limits keep real pieces far below it; pest (with its stack
/// guard) takes whatever goes beyond.
const MAX_DEPTH: usize = 256;

/// Why a rule did not produce a node.
enum Fail {
    /// The rule does not match here: the caller backtracks and tries its
    /// next alternative, as a PEG does.
    No,
    /// The fast path gives up on the whole piece.
    Bail,
}

type Res<T> = Result<T, Fail>;

/// Parses one piece (`src`, starting at byte `base` of its file) into its
/// items, or `None` when pest must parse it.
pub(super) fn parse_piece(src: &str, base: usize, limits: &ParseLimits) -> Option<Vec<Item>> {
    // pest skips a byte-order mark as whitespace, but a span that ends
    // before one keeps it (`last_token_end` trims Unicode whitespace, which
    // U+FEFF is not): leave such pieces to pest rather than copy the quirk.
    if src.contains('\u{FEFF}') {
        return None;
    }
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        last: 0,
        base,
        max_chain: limits.max_chain,
        max_list_len: limits.max_list_len,
        depth: 0,
    };
    let mut items = Vec::new();
    loop {
        p.skip();
        if p.pos == p.b.len() {
            return Some(items);
        }
        match p.item() {
            Ok(item) => items.push(item),
            Err(_) => return None,
        }
    }
}

/// Whether `hay` begins with `needle`, byte by byte: a punctuation mark or
/// a keyword is a few bytes and most tries fail at the first, where
/// `starts_with` would call `memcmp`.
fn begins_with(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay.iter().zip(needle).all(|(a, b)| a == b)
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// The end of the last token read (a node's span ends there).
    last: usize,
    /// Where `src` starts in its file.
    base: usize,
    max_chain: usize,
    max_list_len: usize,
    depth: usize,
}

impl Parser<'_> {
    // ---- positions -----------------------------------------------------

    fn mark(&self) -> (usize, usize) {
        (self.pos, self.last)
    }

    fn reset(&mut self, m: (usize, usize)) {
        (self.pos, self.last) = m;
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    /// The span from `start` to the end of the last token.
    fn node(&self, start: usize) -> Span {
        self.span(start, self.last)
    }

    fn peek(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    /// Runs `f` one level deeper, giving up beyond [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Res<T>) -> Res<T> {
        if self.depth >= MAX_DEPTH {
            return Err(Fail::Bail);
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// Skips what pest's implicit `WHITESPACE` and `COMMENT` skip.
    fn skip(&mut self) {
        loop {
            match self.peek(self.pos) {
                b' ' | b'\n' | b'\t' | b'\r' => self.pos += 1,
                0xEF if self.b[self.pos..].starts_with("\u{FEFF}".as_bytes()) => self.pos += 3,
                b'/' if self.peek(self.pos + 1) == b'/' => {
                    self.pos = match self.b[self.pos..].iter().position(|&c| c == b'\n') {
                        Some(n) => self.pos + n,
                        None => self.b.len(),
                    };
                }
                _ => return,
            }
        }
    }

    /// Consumes a token ending at `end` (which starts at `self.pos`).
    fn take(&mut self, end: usize) {
        self.pos = end;
        self.last = end;
    }

    // ---- tokens (pest's atomic rules) ------------------------------------

    /// A literal token such as `{` or `->`.
    fn punct(&mut self, s: &str) -> bool {
        self.skip();
        if begins_with(&self.b[self.pos..], s.as_bytes()) {
            self.take(self.pos + s.len());
            true
        } else {
            false
        }
    }

    fn punct_or_no(&mut self, s: &str) -> Res<()> {
        if self.punct(s) {
            Ok(())
        } else {
            Err(Fail::No)
        }
    }

    /// The end of `word` at `i` when it is followed by a character that
    /// cannot continue a name (`@{ "and" ~ !ident_char }`).
    fn word_at(&self, i: usize, word: &str) -> Option<usize> {
        let end = i + word.len();
        (begins_with(&self.b[i..], word.as_bytes()) && !is_ident_char(self.peek(end))).then_some(end)
    }

    /// A keyword token.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip();
        match self.word_at(self.pos, word) {
            Some(end) => {
                self.take(end);
                true
            }
            None => false,
        }
    }

    fn keyword_or_no(&mut self, word: &str) -> Res<()> {
        if self.keyword(word) {
            Ok(())
        } else {
            Err(Fail::No)
        }
    }

    /// `ident` (and `word`): `(ASCII_ALPHA | "_") ~ ident_char*`.
    fn ident(&mut self) -> Res<Ident> {
        self.skip();
        let start = self.pos;
        let first = self.peek(start);
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return Err(Fail::No);
        }
        let mut end = start + 1;
        while is_ident_char(self.peek(end)) {
            end += 1;
        }
        self.take(end);
        Ok(Ident { name: self.src[start..end].to_string(), span: self.span(start, end) })
    }

    /// A name that is declared or referenced: a reserved word is a lowering
    /// error, so pest reports it.
    fn name(&mut self) -> Res<Ident> {
        let ident = self.ident()?;
        if is_reserved(&ident.name) {
            return Err(Fail::Bail);
        }
        Ok(ident)
    }

    /// The name of a quantifier or a call: a reserved word gives up (the
    /// grammar's `!keyword`).
    fn func(&mut self) -> Res<Ident> {
        let ident = self.ident()?;
        if is_reserved(&ident.name) {
            return Err(Fail::Bail);
        }
        Ok(ident)
    }

    /// `string`, unescaped.
    fn string(&mut self) -> Res<StrLit> {
        self.skip();
        let start = self.pos;
        if self.peek(start) != b'"' {
            return Err(Fail::No);
        }
        let mut i = start + 1;
        loop {
            match self.b.get(i) {
                None | Some(b'\n') => return Err(Fail::No),
                Some(b'"') => break,
                Some(b'\\') => {
                    // `"\\" ~ ANY`: the next character, whatever it is.
                    i += 1;
                    if i >= self.b.len() {
                        return Err(Fail::No);
                    }
                    i += 1;
                    while i < self.b.len() && (self.b[i] & 0xC0) == 0x80 {
                        i += 1;
                    }
                }
                Some(_) => i += 1,
            }
        }
        let value = unescape(&self.src[start + 1..i]).map_err(|_| Fail::Bail)?;
        self.take(i + 1);
        Ok(StrLit { value, span: self.span(start, i + 1) })
    }

    // ---- items -----------------------------------------------------------

    /// `item = _{ import | gate | policy | let_item | builtin | test | decl }`.
    fn item(&mut self) -> Res<Item> {
        let m = self.mark();
        macro_rules! attempt {
            ($e:expr) => {
                match $e {
                    Ok(v) => return Ok(v),
                    Err(Fail::Bail) => return Err(Fail::Bail),
                    Err(Fail::No) => self.reset(m),
                }
            };
        }
        attempt!(self.import().map(Item::Import));
        attempt!(self.gate().map(Item::Gate));
        attempt!(self.policy().map(Item::Policy));
        attempt!(self.let_item().map(Item::Let));
        attempt!(self.builtin().map(Item::Builtin));
        if self.keyword("test") {
            return Err(Fail::Bail);
        }
        self.reset(m);
        attempt!(self.extend().map(Item::Extend));
        self.decl().map(|d| Item::Decl(std::sync::Arc::new(d)))
    }

    fn import(&mut self) -> Res<Import> {
        self.skip();
        let start = self.pos;
        self.keyword_or_no("import")?;
        let path = self.string()?;
        Ok(Import { path, span: self.node(start) })
    }

    /// `gate = { kw_gate ~ ident ~ arrow ~ ident ~ criteria }`.
    fn gate(&mut self) -> Res<Gate> {
        self.skip();
        let start = self.pos;
        self.keyword_or_no("gate")?;
        let from = self.ident()?;
        self.punct_or_no("->")?;
        let to = self.ident()?;
        let criteria = self.criteria()?;
        Ok(Gate { doc: None, from, to, criteria: criteria.into(), span: self.node(start), broken: Vec::new() })
    }

    /// `policy = { kw_policy ~ ident ~ kw_for ~ ident ~ where_clause? ~ criteria }`.
    fn policy(&mut self) -> Res<Policy> {
        self.skip();
        let start = self.pos;
        self.keyword_or_no("policy")?;
        let name = self.name()?;
        self.keyword_or_no("for")?;
        let subject = self.ident()?;
        let m = self.mark();
        let filter = match self.keyword("where") {
            true => match self.expr() {
                Ok(e) => Some(e),
                Err(Fail::No) => {
                    self.reset(m);
                    None
                }
                Err(Fail::Bail) => return Err(Fail::Bail),
            },
            false => None,
        };
        let criteria = self.criteria()?;
        Ok(Policy {
            doc: None,
            name,
            subject,
            filter,
            criteria: criteria.into(),
            span: self.node(start),
            broken: Vec::new(),
        })
    }

    /// `let_item = { kw_let ~ ident ~ equals ~ expr }`.
    fn let_item(&mut self) -> Res<Let> {
        self.skip();
        let start = self.pos;
        self.keyword_or_no("let")?;
        let name = self.name()?;
        self.punct_or_no("=")?;
        let value = self.expr()?;
        Ok(Let { doc: None, name, value, span: self.node(start) })
    }

    /// `builtin = { kw_builtin ~ ident ~ lparen ~ (param ~ (comma ~ param)*)?
    /// ~ comma? ~ rparen ~ arrow ~ type_name }`.
    fn builtin(&mut self) -> Res<Builtin> {
        self.skip();
        let start = self.pos;
        self.keyword_or_no("builtin")?;
        let name = self.ident()?;
        self.punct_or_no("(")?;
        let params = self.separated(|p| p.param())?;
        self.punct_or_no(")")?;
        self.punct_or_no("->")?;
        let ret = self.type_name()?;
        Ok(Builtin { doc: None, name, params, ret, span: self.node(start) })
    }

    /// `param = { ident ~ colon ~ type_name }`.
    fn param(&mut self) -> Res<Param> {
        let name = self.ident()?;
        self.punct_or_no(":")?;
        let ty = self.type_name()?;
        Ok(Param { name, ty })
    }

    /// `type_name = { list_type | ident }`, `list_type = { lbracket ~ type_name ~ rbracket }`.
    fn type_name(&mut self) -> Res<TypeName> {
        self.nested(Self::type_name_here)
    }

    fn type_name_here(&mut self) -> Res<TypeName> {
        self.skip();
        let start = self.pos;
        let m = self.mark();
        let list = (|| {
            self.punct_or_no("[")?;
            let inner = self.type_name()?;
            self.punct_or_no("]")?;
            Ok(inner)
        })();
        match list {
            Ok(inner) => Ok(TypeName::List(Box::new(inner), self.node(start))),
            Err(Fail::Bail) => Err(Fail::Bail),
            Err(Fail::No) => {
                self.reset(m);
                self.ident().map(TypeName::Named)
            }
        }
    }

    /// `(X ~ (comma ~ X)*)? ~ comma?`: the items of an argument list, a
    /// list literal or a parameter list, without the brackets.
    fn separated<T>(&mut self, mut one: impl FnMut(&mut Self) -> Res<T>) -> Res<Vec<T>> {
        let mut out = Vec::new();
        let m = self.mark();
        match one(self) {
            Ok(first) => {
                out.push(first);
                loop {
                    let m = self.mark();
                    if !self.punct(",") {
                        self.reset(m);
                        break;
                    }
                    match one(self) {
                        Ok(next) => out.push(next),
                        Err(Fail::No) => {
                            self.reset(m);
                            break;
                        }
                        Err(Fail::Bail) => return Err(Fail::Bail),
                    }
                }
            }
            Err(Fail::No) => self.reset(m),
            Err(Fail::Bail) => return Err(Fail::Bail),
        }
        let m = self.mark();
        if !self.punct(",") {
            self.reset(m);
        }
        out.shrink_to_fit();
        Ok(out)
    }

    /// `decl = { word ~ ident ~ body }`, `body = { lbrace ~ member* ~ rbrace }`.
    fn decl(&mut self) -> Res<Decl> {
        self.nested(Self::decl_here)
    }

    fn decl_here(&mut self) -> Res<Decl> {
        self.skip();
        let start = self.pos;
        let kind = self.ident()?;
        let name = self.ident()?;
        self.skip();
        let body_start = self.pos;
        self.punct_or_no("{")?;
        // A reserved word as the name is a lowering error, reported by pest's
        // path; checked once the grammar has matched this far (the name could
        // belong to an attribute otherwise).
        if is_reserved(&name.name) {
            return Err(Fail::Bail);
        }
        let mut members = Vec::new();
        loop {
            let m = self.mark();
            match self.member() {
                Ok(member) => members.push(member),
                Err(Fail::No) => {
                    self.reset(m);
                    break;
                }
                Err(Fail::Bail) => return Err(Fail::Bail),
            }
        }
        self.punct_or_no("}")?;
        // The AST lives as long as the analysis: no spare capacity (shrinking
        // is in place).
        members.shrink_to_fit();
        Ok(Decl {
            doc: None,
            kind,
            name,
            members,
            span: self.node(start),
            body_span: self.node(body_start),
            broken: Vec::new(),
        })
    }

    /// `member = _{ gate | decl | attr }`.
    fn member(&mut self) -> Res<Member> {
        let m = self.mark();
        match self.gate() {
            Ok(g) => return Ok(Member::Gate(g)),
            Err(Fail::Bail) => return Err(Fail::Bail),
            Err(Fail::No) => self.reset(m),
        }
        match self.decl() {
            Ok(d) => return Ok(Member::Decl(d)),
            Err(Fail::Bail) => return Err(Fail::Bail),
            Err(Fail::No) => self.reset(m),
        }
        self.attr().map(Member::Attr)
    }

    /// `attr = { ident ~ attr_value }`, `attr_value = _{ map | threshold | expr }`.
    fn attr(&mut self) -> Res<Attr> {
        self.skip();
        let start = self.pos;
        let name = self.ident()?;
        self.skip();
        let value_start = self.pos;
        let m = self.mark();
        let value = match self.map() {
            Ok(map) => AttrValue::Map(map),
            Err(Fail::Bail) => return Err(Fail::Bail),
            Err(Fail::No) => {
                self.reset(m);
                match self.groups() {
                    Ok(g) => return Ok(Attr { name, value: AttrValue::Groups(g), span: self.node(start) }),
                    Err(Fail::Bail) => return Err(Fail::Bail),
                    Err(Fail::No) => self.reset(m),
                }
                let mut cmp = None;
                if let Some(op) = self.cmp_op() {
                    match self.expr() {
                        Ok(value) => cmp = Some((op, value)),
                        Err(Fail::Bail) => return Err(Fail::Bail),
                        Err(Fail::No) => self.reset(m),
                    }
                }
                match cmp {
                    Some((op, value)) => AttrValue::Threshold(Threshold { op, value, span: self.node(value_start) }),
                    None => {
                        self.reset(m);
                        AttrValue::Expr(self.expr()?)
                    }
                }
            }
        };
        Ok(Attr { name, value, span: self.node(start) })
    }

    /// `map = { lbrace ~ (ident ~ string)* ~ rbrace }`.
    fn map(&mut self) -> Res<MapLit> {
        self.skip();
        let start = self.pos;
        self.punct_or_no("{")?;
        let mut entries = Vec::new();
        loop {
            let m = self.mark();
            let key = match self.ident() {
                Ok(k) => k,
                Err(_) => {
                    self.reset(m);
                    break;
                }
            };
            match self.string() {
                Ok(v) => entries.push((key, v)),
                Err(Fail::No) => {
                    self.reset(m);
                    break;
                }
                Err(Fail::Bail) => return Err(Fail::Bail),
            }
        }
        self.punct_or_no("}")?;
        // Most selectors have one or two labels: no spare capacity.
        entries.shrink_to_fit();
        Ok(MapLit { entries, span: self.node(start) })
    }

    /// `groups = { lbrace ~ group+ ~ rbrace }`, `group = { ident ~ lbracket
    /// ~ (string ~ (comma ~ string)*)? ~ comma? ~ rbracket }`.
    fn groups(&mut self) -> Res<GroupsLit> {
        self.skip();
        let start = self.pos;
        self.punct_or_no("{")?;
        let mut entries = Vec::new();
        loop {
            let m = self.mark();
            let Ok(key) = self.ident() else {
                self.reset(m);
                break;
            };
            if !self.punct("[") {
                self.reset(m);
                break;
            }
            let mut values = Vec::new();
            loop {
                if self.punct("]") {
                    break;
                }
                values.push(self.string()?);
                if !self.punct(",") {
                    self.punct_or_no("]")?;
                    break;
                }
            }
            entries.push((key, values));
        }
        if entries.is_empty() {
            return Err(Fail::No);
        }
        self.punct_or_no("}")?;
        Ok(GroupsLit { entries, span: self.node(start) })
    }

    /// `criteria = { lbrace ~ criterion* ~ rbrace }`,
    /// `criterion = { enforcement ~ expr ~ because? }`.
    fn criteria(&mut self) -> Res<Vec<Criterion>> {
        self.punct_or_no("{")?;
        let mut out = Vec::new();
        loop {
            let m = self.mark();
            self.skip();
            let start = self.pos;
            let enforcement = if self.keyword("require") {
                Enforcement::Require
            } else if self.keyword("expect") {
                Enforcement::Expect
            } else if self.keyword("advise") {
                Enforcement::Advise
            } else {
                self.reset(m);
                break;
            };
            let expr = match self.expr() {
                Ok(e) => e,
                Err(Fail::No) => {
                    self.reset(m);
                    break;
                }
                Err(Fail::Bail) => return Err(Fail::Bail),
            };
            let before = self.mark();
            let because = if self.keyword("because") {
                match self.string() {
                    Ok(s) => Some(s),
                    Err(Fail::No) => {
                        self.reset(before);
                        None
                    }
                    Err(Fail::Bail) => return Err(Fail::Bail),
                }
            } else {
                self.reset(before);
                None
            };
            out.push(Criterion { enforcement, expr, because, span: self.node(start) });
        }
        self.punct_or_no("}")?;
        out.shrink_to_fit();
        Ok(out)
    }

    // ---- expressions -----------------------------------------------------
}

#[cfg(test)]
mod tests;
