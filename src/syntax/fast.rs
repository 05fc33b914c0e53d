//! The parser's fast path: a hand-written recursive-descent parser of the
//! grammar in `grammar/compel.pest`, for the pieces that parse cleanly.
//!
//! pest stays the definition of the language and the source of every
//! syntax error. This module only accelerates the common case: it parses a
//! piece exactly as pest plus the lowering in `parser.rs` would, byte for
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
//! is what `parser.rs` computes from pest's spans (`last_token_end`).
//! Expression trees are built from the same flat operand/operator sequence
//! by the same Pratt algorithm and precedence table as pest's
//! `PrattParser`. [`super::check_fast_path`] parses every piece both ways
//! and compares the trees; the proptests below run it on generated text
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
use super::parser::{parse_date, parse_datetime, parse_decimal, unescape, ParseLimits};
use crate::text::Span;

#[path = "fast_extend.rs"]
mod extend;

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

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A binary or `for` operator with its Pratt precedence.
#[derive(Clone, Copy)]
enum Infix {
    Bin(BinOp),
    For,
}

impl Infix {
    /// The precedences pest's `PrattParser` gives the table in `parser.rs`
    /// (loosest first, a step of 10 from 20).
    fn prec(self) -> u32 {
        match self {
            Infix::Bin(BinOp::Or) => 20,
            Infix::Bin(BinOp::And) => 30,
            Infix::For => 50,
            Infix::Bin(BinOp::Cmp(_) | BinOp::In) => 60,
            Infix::Bin(BinOp::Add | BinOp::Sub) => 70,
            Infix::Bin(BinOp::Mul | BinOp::Div) => 80,
        }
    }
}

const PREC_NOT: u32 = 40;
const PREC_NEG: u32 = 90;
const PREC_FIELD: u32 = 100;

/// One element of an expression's flat sequence.
enum Flat {
    Prefix(UnOp, Span),
    Operand(Expr),
    Field(Ident),
    Infix(Infix),
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
        if self.b[self.pos..].starts_with(s.as_bytes()) {
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
        (self.b[i..].starts_with(word.as_bytes()) && !is_ident_char(self.peek(end))).then_some(end)
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

    fn digit(&self, i: usize) -> bool {
        self.peek(i).is_ascii_digit()
    }

    /// `digits`: a digit, then digits and `_`.
    fn digits(&self, i: usize) -> Option<usize> {
        if !self.digit(i) {
            return None;
        }
        let mut end = i + 1;
        while self.digit(end) || self.peek(end) == b'_' {
            end += 1;
        }
        Some(end)
    }

    /// `decimal`: `digits ~ ("." ~ digits)?`.
    fn decimal(&self, i: usize) -> Option<usize> {
        let end = self.digits(i)?;
        if self.peek(end) == b'.' {
            if let Some(frac) = self.digits(end + 1) {
                return Some(frac);
            }
        }
        Some(end)
    }

    fn two_digits(&self, i: usize) -> bool {
        self.digit(i) && self.digit(i + 1)
    }

    /// `date_part`: `DDDD-DD-DD`.
    fn date_part(&self, i: usize) -> Option<usize> {
        let ok = self.two_digits(i)
            && self.two_digits(i + 2)
            && self.peek(i + 4) == b'-'
            && self.two_digits(i + 5)
            && self.peek(i + 7) == b'-'
            && self.two_digits(i + 8);
        ok.then_some(i + 10)
    }

    /// `datetime`: a date, `T`, `hh:mm:ss`, an optional fraction, and `Z`
    /// or an offset.
    fn datetime(&self, i: usize) -> Option<usize> {
        let mut e = self.date_part(i)?;
        let time = self.peek(e) == b'T'
            && self.two_digits(e + 1)
            && self.peek(e + 3) == b':'
            && self.two_digits(e + 4)
            && self.peek(e + 6) == b':'
            && self.two_digits(e + 7);
        if !time {
            return None;
        }
        e += 9;
        if self.peek(e) == b'.' && self.digit(e + 1) {
            e += 2;
            while self.digit(e) {
                e += 1;
            }
        }
        match self.peek(e) {
            b'Z' => Some(e + 1),
            b'+' | b'-' if self.two_digits(e + 1) && self.peek(e + 3) == b':' && self.two_digits(e + 4) => Some(e + 6),
            _ => None,
        }
    }

    /// `date`: a date not followed by a name character or `T`.
    fn date(&self, i: usize) -> Option<usize> {
        let e = self.date_part(i)?;
        let next = self.peek(e);
        (!(is_ident_char(next) || next == b'T')).then_some(e)
    }

    /// `money`: `decimal ~ (" " | "\t")+ ~ currency`; the end of the
    /// amount and of the whole.
    fn money(&self, i: usize) -> Option<(usize, usize)> {
        let amount = self.decimal(i)?;
        let mut e = amount;
        while matches!(self.peek(e), b' ' | b'\t') {
            e += 1;
        }
        if e == amount {
            return None;
        }
        let upper = |k: usize| self.peek(k).is_ascii_uppercase();
        (upper(e) && upper(e + 1) && upper(e + 2) && !is_ident_char(self.peek(e + 3))).then_some((amount, e + 3))
    }

    /// `number`: `decimal ~ unit? ~ !ident_char`; the end of the amount,
    /// the unit and the end of the whole.
    fn number(&self, i: usize) -> Option<(usize, Option<LitUnit>, usize)> {
        let amount = self.decimal(i)?;
        let units: [(&str, LitUnit); 7] = [
            ("%", LitUnit::Percent),
            ("ms", LitUnit::Ms),
            ("s", LitUnit::S),
            ("m", LitUnit::M),
            ("h", LitUnit::H),
            ("d", LitUnit::D),
            ("w", LitUnit::W),
        ];
        // An ordered choice commits to the first literal that matches.
        let mut unit = None;
        let mut end = amount;
        if let Some((text, u)) = units.iter().find(|(t, _)| self.b[amount..].starts_with(t.as_bytes())) {
            let e = amount + text.len();
            if !is_ident_char(self.peek(e)) {
                unit = Some(*u);
                end = e;
            }
        }
        (!is_ident_char(self.peek(end))).then_some((amount, unit, end))
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
        Ok(Gate { doc: None, from, to, criteria, span: self.node(start), broken: Vec::new() })
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
        Ok(Policy { doc: None, name, subject, filter, criteria, span: self.node(start), broken: Vec::new() })
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

    /// `cmp_op = @{ "==" | "!=" | "<=" | ">=" | "<" | ">" }`.
    fn cmp_op(&mut self) -> Option<CmpOp> {
        self.skip();
        let (op, len) = match (self.peek(self.pos), self.peek(self.pos + 1)) {
            (b'=', b'=') => (CmpOp::Eq, 2),
            (b'!', b'=') => (CmpOp::Ne, 2),
            (b'<', b'=') => (CmpOp::Le, 2),
            (b'>', b'=') => (CmpOp::Ge, 2),
            (b'<', _) => (CmpOp::Lt, 1),
            (b'>', _) => (CmpOp::Gt, 1),
            _ => return None,
        };
        self.take(self.pos + len);
        Some(op)
    }

    /// `prefix = _{ kw_not | neg }`.
    fn prefix(&mut self) -> Option<Flat> {
        self.skip();
        let start = self.pos;
        if self.keyword("not") {
            return Some(Flat::Prefix(UnOp::Not, self.span(start, self.pos)));
        }
        if self.punct("-") {
            return Some(Flat::Prefix(UnOp::Neg, self.span(start, self.pos)));
        }
        None
    }

    /// `infix = _{ kw_or | kw_and | kw_for | cmp_op | kw_in | add_op | mul_op }`.
    fn infix(&mut self) -> Option<Infix> {
        if self.keyword("or") {
            return Some(Infix::Bin(BinOp::Or));
        }
        if self.keyword("and") {
            return Some(Infix::Bin(BinOp::And));
        }
        if self.keyword("for") {
            return Some(Infix::For);
        }
        if let Some(op) = self.cmp_op() {
            return Some(Infix::Bin(BinOp::Cmp(op)));
        }
        if self.keyword("in") {
            return Some(Infix::Bin(BinOp::In));
        }
        let op = match self.peek(self.pos) {
            b'+' => BinOp::Add,
            b'-' => BinOp::Sub,
            b'*' => BinOp::Mul,
            b'/' => BinOp::Div,
            _ => return None,
        };
        self.take(self.pos + 1);
        Some(Infix::Bin(op))
    }

    /// `expr = { prefix* ~ operand ~ (infix ~ prefix* ~ operand)* }`, built
    /// into a tree as pest's Pratt parser builds it.
    fn expr(&mut self) -> Res<Expr> {
        self.nested(Self::expr_here)
    }

    fn expr_here(&mut self) -> Res<Expr> {
        let mut flat = Vec::new();
        self.prefixes(&mut flat)?;
        self.operand(&mut flat)?;
        let mut infixes = 0;
        loop {
            let m = self.mark();
            let len = flat.len();
            let Some(op) = self.infix() else {
                self.reset(m);
                break;
            };
            flat.push(Flat::Infix(op));
            self.prefixes(&mut flat)?;
            match self.operand(&mut flat) {
                Ok(()) => infixes += 1,
                Err(Fail::No) => {
                    self.reset(m);
                    flat.truncate(len);
                    break;
                }
                Err(Fail::Bail) => return Err(Fail::Bail),
            }
        }
        if infixes > self.max_chain {
            return Err(Fail::Bail);
        }
        let mut it = flat.into_iter().peekable();
        pratt(&mut it, 0).ok_or(Fail::Bail)
    }

    /// `prefix*`. Each prefix operator is a level of recursion when the
    /// tree is built, so their number is bounded too.
    fn prefixes(&mut self, flat: &mut Vec<Flat>) -> Res<()> {
        let mut n = 0;
        loop {
            let m = self.mark();
            match self.prefix() {
                Some(p) => flat.push(p),
                None => {
                    self.reset(m);
                    return Ok(());
                }
            }
            n += 1;
            if n > MAX_DEPTH {
                return Err(Fail::Bail);
            }
        }
    }

    /// `operand = _{ primary ~ field* }`, `field = { dot ~ !keyword ~ ident }`.
    fn operand(&mut self, flat: &mut Vec<Flat>) -> Res<()> {
        let primary = self.primary()?;
        flat.push(Flat::Operand(primary));
        loop {
            let m = self.mark();
            if !self.punct(".") {
                self.reset(m);
                return Ok(());
            }
            match self.ident() {
                // `field = { dot ~ !keyword ~ ident }`: pest reports it.
                Ok(ident) if is_reserved(&ident.name) => return Err(Fail::Bail),
                Ok(ident) => flat.push(Flat::Field(ident)),
                Err(_) => {
                    self.reset(m);
                    return Ok(());
                }
            }
        }
    }

    /// `primary = _{ datetime | date | money | number | string | boolean |
    /// today | now | list | paren | !keyword ~ (quantifier | call | ident) }`.
    fn primary(&mut self) -> Res<Expr> {
        self.skip();
        let start = self.pos;
        let src = self.src;
        let text = |end: usize| &src[start..end];
        if let Some(end) = self.datetime(start) {
            let secs = parse_datetime(text(end)).ok_or(Fail::Bail)?;
            self.take(end);
            return Ok(Expr { kind: ExprKind::DateTime(secs), span: self.span(start, end) });
        }
        if let Some(end) = self.date(start) {
            let days = parse_date(text(end)).ok_or(Fail::Bail)?;
            self.take(end);
            return Ok(Expr { kind: ExprKind::Date(days), span: self.span(start, end) });
        }
        if let Some((amount, end)) = self.money(start) {
            let raw = text(amount).to_string();
            let value = parse_decimal(&raw).ok_or(Fail::Bail)?;
            let currency = self.src[end - 3..end].to_string();
            self.take(end);
            return Ok(Expr { kind: ExprKind::Money { raw, value, currency }, span: self.span(start, end) });
        }
        if let Some((amount, unit, end)) = self.number(start) {
            let raw = text(amount).to_string();
            let value = parse_decimal(&raw).ok_or(Fail::Bail)?;
            self.take(end);
            return Ok(Expr { kind: ExprKind::Number { raw, value, unit }, span: self.span(start, end) });
        }
        if self.peek(start) == b'"' {
            match self.string() {
                Ok(s) => return Ok(Expr { kind: ExprKind::Str(s.value), span: s.span }),
                Err(Fail::Bail) => return Err(Fail::Bail),
                Err(Fail::No) => {}
            }
        }
        for (word, kind) in [
            ("true", ExprKind::Bool(true)),
            ("false", ExprKind::Bool(false)),
            ("today", ExprKind::Today),
            ("now", ExprKind::Now),
        ] {
            if let Some(end) = self.word_at(start, word) {
                self.take(end);
                return Ok(Expr { kind, span: self.span(start, end) });
            }
        }
        let m = self.mark();
        // `!keyword ~ (quantifier | call | ident)`: a reserved word here is
        // an error, which pest reports (`quantifier`, `call` and `name` give
        // up on one).
        match self.quantifier(start) {
            Ok(e) => return Ok(e),
            Err(Fail::Bail) => return Err(Fail::Bail),
            Err(Fail::No) => self.reset(m),
        }
        match self.call(start) {
            Ok(e) => return Ok(e),
            Err(Fail::Bail) => return Err(Fail::Bail),
            Err(Fail::No) => self.reset(m),
        }
        if self.punct("[") {
            let items = self.separated(|p| p.expr())?;
            self.punct_or_no("]")?;
            if items.len() > self.max_list_len {
                return Err(Fail::Bail);
            }
            return Ok(Expr { kind: ExprKind::List(items), span: self.node(start) });
        }
        self.reset(m);
        if self.punct("(") {
            let inner = self.expr()?;
            self.punct_or_no(")")?;
            return Ok(Expr { kind: ExprKind::Paren(Box::new(inner)), span: self.node(start) });
        }
        self.reset(m);
        let ident = self.name()?;
        Ok(Expr { span: ident.span, kind: ExprKind::Name(ident) })
    }

    /// `quantifier = { ident ~ lparen ~ ident ~ kw_in ~ expr ~ colon ~ expr ~ rparen }`.
    fn quantifier(&mut self, start: usize) -> Res<Expr> {
        let func = self.func()?;
        self.punct_or_no("(")?;
        let var = self.ident()?;
        self.keyword_or_no("in")?;
        let list = self.expr()?;
        self.punct_or_no(":")?;
        let pred = self.expr()?;
        self.punct_or_no(")")?;
        let kind = ExprKind::Quantifier { func, var, list: Box::new(list), pred: Box::new(pred) };
        Ok(Expr { kind, span: self.node(start) })
    }

    /// `call = { ident ~ lparen ~ (expr ~ (comma ~ expr)*)? ~ comma? ~ rparen }`.
    fn call(&mut self, start: usize) -> Res<Expr> {
        let func = self.func()?;
        self.punct_or_no("(")?;
        let args = self.separated(|p| p.call_arg())?;
        self.punct_or_no(")")?;
        Ok(Expr { kind: ExprKind::Call(func, args), span: self.node(start) })
    }

    /// `call_arg = _{ offset_arg | expr }`, `offset_arg = { kw_offset ~ expr }`.
    fn call_arg(&mut self) -> Res<Expr> {
        self.skip();
        let start = self.pos;
        let m = self.mark();
        if self.keyword("offset") {
            match self.expr() {
                Ok(e) => return Ok(Expr { kind: ExprKind::Offset(Box::new(e)), span: self.node(start) }),
                Err(Fail::Bail) => return Err(Fail::Bail),
                Err(Fail::No) => self.reset(m),
            }
        }
        self.expr()
    }
}

fn lbp(next: Option<&Flat>) -> u32 {
    match next {
        Some(Flat::Infix(op)) => op.prec(),
        Some(Flat::Field(_)) => PREC_FIELD,
        // A prefix operator or an operand never follows an operand.
        _ => 0,
    }
}

/// pest's `PrattParser::expr`: `None` only for a malformed sequence, which
/// the grammar rules out.
fn pratt(it: &mut std::iter::Peekable<std::vec::IntoIter<Flat>>, rbp: u32) -> Option<Expr> {
    // nud
    let mut lhs = match it.next()? {
        Flat::Prefix(op, span) => {
            let prec = if op == UnOp::Not { PREC_NOT } else { PREC_NEG };
            let operand = pratt(it, prec - 1)?;
            let span = span.to(operand.span);
            Expr { kind: ExprKind::Unary(op, Box::new(operand)), span }
        }
        Flat::Operand(e) => e,
        Flat::Field(_) | Flat::Infix(_) => return None,
    };
    while rbp < lbp(it.peek()) {
        // led
        lhs = match it.next()? {
            Flat::Infix(op) => {
                let rhs = pratt(it, op.prec())?;
                let span = lhs.span.to(rhs.span);
                let kind = match op {
                    Infix::For => ExprKind::For(Box::new(lhs), Box::new(rhs)),
                    Infix::Bin(b) => ExprKind::Binary(b, Box::new(lhs), Box::new(rhs)),
                };
                Expr { kind, span }
            }
            Flat::Field(ident) => {
                let span = lhs.span.to(ident.span);
                Expr { kind: ExprKind::Field(Box::new(lhs), ident), span }
            }
            Flat::Prefix(..) | Flat::Operand(_) => return None,
        };
    }
    Some(lhs)
}

#[cfg(test)]
mod tests {
    //! The fast path against pest, both ways explicitly
    //! ([`crate::syntax::check_fast_path`]): fixtures-like declarations,
    //! and random token soup that hits the corners of the grammar (units,
    //! dates, money, escapes, keywords used as names, operators, comments,
    //! unclosed brackets).

    use super::*;
    use crate::syntax::{check_fast_path, parse};
    use crate::text::FileId;
    use proptest::prelude::*;

    /// Both ways, on every piece: no disagreement.
    fn agree(text: &str) -> Result<(), TestCaseError> {
        let check = check_fast_path(text, ParseLimits::default());
        prop_assert!(check.disagreements.is_empty(), "{}", check.disagreements.join("\n"));
        // And `parse` (fast path, pest, recovery) never panics.
        let _ = parse(FileId(0), text, ParseLimits::default());
        Ok(())
    }

    fn fast(src: &str) -> Option<Vec<Item>> {
        parse_piece(src, 0, &ParseLimits::default())
    }

    #[test]
    fn the_common_case_takes_the_fast_path() {
        let src =
            "kpi acc {\n  metric \"m\" // the metric\n  labels { model \"m1\" }\n  target >= 92%\n  warn < 94%\n}\n";
        assert!(fast(src).is_some());
        let src = "initiative i {\n  kpis [a, b,]\n  gate model -> produce {\n    require a for 7d\n    require avg(b, 7d) < 0.1% because \"x\"\n    expect count(d in datasets: d.versioned) >= 1\n  }\n}\n";
        assert!(fast(src).is_some());
        assert!(fast("policy p for program where not x.y { require -a * b + 1_200 USD > 5 }").is_some());
        assert!(fast("builtin avg(kpi: kpi, window: duration) -> measure\n").is_some());
        assert!(fast("let d = [2026-11-24, 2026-11-24T00:00:00Z, today, now, true, (1)]").is_some());
    }

    #[test]
    fn errors_and_tests_go_to_pest() {
        assert!(fast("kpi a {\n  target >=\n}\n").is_none());
        assert!(fast("kpi for { }").is_none());
        assert!(fast("let x = 2026-02-30").is_none());
        assert!(fast("let x = \"\\q\"").is_none());
        assert!(fast("test \"t\" { now 2026-11-24T00:00:00Z }").is_none());
        let short_lists = ParseLimits { max_list_len: 2, ..ParseLimits::default() };
        assert!(parse_piece("let x = [1, 2]", 0, &short_lists).is_some());
        assert!(parse_piece("let x = [1, 2, 3]", 0, &short_lists).is_none());
    }

    #[rustfmt::skip]
    const TOKENS: &[&str] = &[
        "kpi", "initiative", "gate", "policy", "let", "builtin", "import", "test", "for", "where", "require", "expect",
        "advise", "because", "and", "or", "not", "in", "true", "false", "today", "now", "x", "acc_1", "_y", "avg",
        "count", "all", "{", "}", "(", ")", "[", "]", ",", ":", ".", "->", "-", "+", "*", "/", "=", "==", "!=", "<",
        "<=", ">", ">=", "1", "92%", "0.5", "1_200", "250ms", "5m", "5min", "7d", "2w", "3h", "10s", "1.", "1.5.2",
        "2026-11-24", "2026-02-30", "2026-11-24T00:00:00Z", "2026-11-24T01:02:03.5+02:00", "2026-11-24Tx", "USD", "5 USD",
        "5\tEUR", "5 usd", "\"s\"", "\"a\\\"b\"", "\"a // b\"", "\"\\q\"", "\"open", "// c\n", "/// doc\n", "\n", " ",
        "\t", "\u{FEFF}", "\u{a0}", "\r\n", "é", "datasets", "versioned", "program.review_every", "\"\\\\\"",
    ];

    fn soup() -> impl Strategy<Value = String> {
        prop::collection::vec((0..TOKENS.len(), prop::sample::select(vec!["", " ", "\n", "  ", " // c\n"])), 0..40)
            .prop_map(|parts| parts.into_iter().map(|(i, ws)| format!("{}{ws}", TOKENS[i])).collect::<String>())
    }

    fn template() -> impl Strategy<Value = String> {
        (soup(), soup(), 0..6usize).prop_map(|(a, b, k)| match k {
            0 => format!("kpi k {{\n  target >= {a}\n  {b}\n}}\n"),
            1 => format!("initiative i {{\n  gate model -> produce {{\n    require {a}\n    expect {b}\n  }}\n}}\n"),
            2 => format!("policy p for program where {a} {{\n  advise {b} because \"r\"\n}}\n"),
            3 => format!("let c = {a} {b}\n"),
            4 => format!("kpi k {{ labels {{ {a} }} {b} }}"),
            _ => format!("{a}{b}"),
        })
    }

    /// Valid text from the grammar, with random spacing and comments, so
    /// that most cases take the fast path (token soup mostly does not).
    struct Gen(u64);

    impl Gen {
        fn below(&mut self, n: usize) -> usize {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            (x % n.max(1) as u64) as usize
        }

        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }

        fn ws(&mut self) -> &'static str {
            self.pick(&[" ", " ", " ", "", "\n  ", "  ", " // note\n  ", "\t", "\r\n "])
        }

        fn primary(&mut self, depth: usize) -> String {
            let leaf = [
                "x",
                "acc_1",
                "datasets",
                "program",
                "1",
                "0",
                "92%",
                "0.08%",
                "250ms",
                "7d",
                "2w",
                "1_200",
                "3.25",
                "5 USD",
                "1_200_000\tEUR",
                "2026-11-24",
                "2026-11-24T00:00:00Z",
                "2026-11-24T01:02:03.25-05:30",
                "\"s\"",
                "\"a\\\"b // c\"",
                "\"\"",
                "true",
                "false",
                "today",
                "now",
                "todays",
                "nowhere",
                "notx",
                "in_x",
                "for_",
                "andy",
                "orx",
                "USD",
            ];
            if depth == 0 {
                return self.pick(&leaf).to_string();
            }
            match self.below(9) {
                0 => format!("({}{}{})", self.ws(), self.expr(depth - 1), self.ws()),
                1 => {
                    let n = self.below(4);
                    let items: Vec<String> = (0..n).map(|_| self.expr(depth - 1)).collect();
                    let comma = self.pick(&["", ",", " ,"]);
                    format!("[{}{}{comma}]", self.ws(), items.join(&format!(",{}", self.ws())))
                }
                2 => {
                    let n = self.below(4);
                    let args: Vec<String> = (0..n).map(|_| self.expr(depth - 1)).collect();
                    let f = self.pick(&["avg", "count", "p95", "f", "last"]);
                    let comma = if n > 0 { self.pick(&["", ","]) } else { "" };
                    format!("{f}{}({}{comma})", self.pick(&["", " "]), args.join(", "))
                }
                3 => {
                    let (q, v) = (self.pick(&["all", "any", "count"]), self.pick(&["d", "k", "x"]));
                    format!("{q}({v} in {}{}:{}{})", self.expr(depth - 1), self.ws(), self.ws(), self.expr(depth - 1))
                }
                _ => self.pick(&leaf).to_string(),
            }
        }

        fn operand(&mut self, depth: usize) -> String {
            let mut s = self.primary(depth);
            for _ in 0..self.below(3).saturating_sub(1) {
                s = format!(
                    "{s}{}.{}{}",
                    self.pick(&["", " "]),
                    self.pick(&["", " "]),
                    self.pick(&["a", "review_every", "b1"])
                );
            }
            s
        }

        fn expr(&mut self, depth: usize) -> String {
            let mut s = String::new();
            for _ in 0..self.below(4).saturating_sub(2) {
                s.push_str(self.pick(&["not ", "-", "- ", "not("]));
                if s.ends_with('(') {
                    s.push_str(&self.operand(depth));
                    s.push(')');
                    return s;
                }
            }
            s.push_str(&self.operand(depth));
            for _ in 0..self.below(4) {
                let op = self.pick(&["or", "and", "for", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/"]);
                let ws = self.ws();
                s.push_str(&format!("{ws}{op}{}", self.ws()));
                if self.below(5) == 0 {
                    s.push_str(self.pick(&["not ", "-"]));
                }
                s.push_str(&self.operand(depth));
            }
            s
        }

        fn criteria(&mut self) -> String {
            let mut s = String::from("{\n");
            for _ in 0..self.below(4) {
                let e = self.pick(&["require", "expect", "advise"]);
                let because = if self.below(3) == 0 { " because \"why\"" } else { "" };
                s.push_str(&format!("    {e} {}{because}\n", self.expr(2)));
            }
            s.push_str("  }");
            s
        }

        fn item(&mut self) -> String {
            match self.below(8) {
                0 => format!("let c{} = {}\n", self.below(9), self.expr(3)),
                1 => format!("gate model{}->{}produce {}\n", self.ws(), self.ws(), self.criteria()),
                2 => {
                    let filter = if self.below(2) == 0 { format!(" where {}", self.expr(2)) } else { String::new() };
                    format!("policy p for program{filter} {}\n", self.criteria())
                }
                3 => "builtin avg(kpi: kpi, window: duration,) -> [[measure]]\n".to_string(),
                4 => "import \"std/policies\"\n".to_string(),
                _ => {
                    let mut s = format!("{} n{} {{\n", self.pick(&["kpi", "initiative", "gate", "x"]), self.below(9));
                    for _ in 0..self.below(6) {
                        match self.below(6) {
                            0 => s.push_str(&format!("  labels {{ model \"m\"{}env \"p\" }}\n", self.ws())),
                            1 => s.push_str(&format!(
                                "  target {} {}\n",
                                self.pick(&[">=", "<", "==", "!="]),
                                self.expr(1)
                            )),
                            2 => s.push_str(&format!("  gate a -> b {}\n", self.criteria())),
                            3 => s.push_str("  dataset d {\n    versioned true\n  }\n"),
                            _ => s.push_str(&format!(
                                "  {} {}\n",
                                self.pick(&["stage", "kpis", "owner", "a"]),
                                self.expr(2)
                            )),
                        }
                    }
                    s.push_str("}\n");
                    s
                }
            }
        }
    }

    /// A valid item, sometimes with one token dropped or doubled.
    fn grammar_text(seed: u64) -> String {
        let mut g = Gen(seed | 1);
        let mut text: String = (0..1 + g.below(3)).map(|_| g.item()).collect();
        if g.below(4) == 0 && !text.is_empty() {
            let at = g.below(text.len());
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            match g.below(3) {
                0 => text.insert_str(at, g.pick(&["(", ")", "-", "not ", ",", ".", "\"", "1", " USD", "T", "//"])),
                1 => {
                    let end = (at + 1..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
                    text.replace_range(at..end, "");
                }
                _ => text.insert(at, '\n'),
            }
        }
        text
    }

    #[test]
    fn most_generated_text_takes_the_fast_path() {
        let mut fast_items = 0;
        for seed in 0..400u64 {
            let text = grammar_text(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            for piece in crate::syntax::split::split(&text).0 {
                if fast(&text[piece.span.range()]).is_some() {
                    fast_items += 1;
                }
            }
        }
        assert!(fast_items > 300, "only {fast_items} pieces took the fast path");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Token soup: mostly errors, which the fast path must leave to pest.
        #[test]
        fn agrees_with_pest_on_token_soup(text in template()) {
            agree(&text)?;
        }

        /// Text generated from the grammar, most of which the fast path
        /// accepts.
        #[test]
        fn agrees_with_pest_on_generated_text(seed in any::<u64>()) {
            agree(&grammar_text(seed))?;
        }
    }
}
