//! The fast path's expressions: the flat operand/operator sequence read
//! as the grammar reads it (prefixes, operands, field accesses, infix
//! operators), then built into a tree by the same Pratt algorithm and
//! precedence table as pest's `PrattParser`.

use super::{Fail, Parser, Res, MAX_DEPTH};
use crate::syntax::ast::*;
use crate::syntax::lexer::is_reserved;
use crate::syntax::literals::*;
use crate::text::Span;

/// A binary or `for` operator with its Pratt precedence.
#[derive(Clone, Copy)]
enum Infix {
    Bin(BinOp),
    For,
}

impl Infix {
    /// The precedences pest's `PrattParser` gives the table in `parser/lower_expr.rs`
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

impl Parser<'_> {
    /// `cmp_op = @{ "==" | "!=" | "<=" | ">=" | "<" | ">" }`.
    pub(super) fn cmp_op(&mut self) -> Option<CmpOp> {
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
    pub(super) fn expr(&mut self) -> Res<Expr> {
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
