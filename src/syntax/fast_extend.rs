//! The fast path of `extend KIND { ... }` (the grammar's `extend`,
//! `ext_attr`, `ext_type`, `ext_list` and `ext_one_of`), mirroring pest
//! and the lowering in `parser/` exactly.

use super::super::ast::{ExtAttr, ExtType, Extend, Ident};
use super::super::lexer::is_reserved;
use super::{Fail, Parser, Res};

impl Parser<'_> {
    /// `extend = { kw_extend ~ word ~ lbrace ~ ext_attr* ~ rbrace }`.
    pub(super) fn extend(&mut self) -> Res<Extend> {
        self.skip();
        let start = self.pos;
        self.keyword_or_no("extend")?;
        let kind = self.ident()?;
        self.skip();
        let body_start = self.pos;
        self.punct_or_no("{")?;
        let mut attrs = Vec::new();
        loop {
            let m = self.mark();
            match self.ext_attr() {
                Ok(a) => attrs.push(a),
                Err(Fail::No) => {
                    self.reset(m);
                    break;
                }
                Err(Fail::Bail) => return Err(Fail::Bail),
            }
        }
        self.punct_or_no("}")?;
        Ok(Extend { doc: None, kind, attrs, span: self.node(start), body_span: self.node(body_start) })
    }

    /// `ext_attr = { ident ~ ext_type ~ kw_required? }`; a reserved word as
    /// the name is a lowering error (pest reports it).
    fn ext_attr(&mut self) -> Res<ExtAttr> {
        self.skip();
        let start = self.pos;
        let name = self.ident()?;
        let ty = self.ext_type()?;
        if is_reserved(&name.name) {
            return Err(Fail::Bail);
        }
        let m = self.mark();
        let required = if self.keyword("required") {
            Some(self.span(self.last - "required".len(), self.last))
        } else {
            self.reset(m);
            None
        };
        Ok(ExtAttr { doc: None, name, ty, required, span: self.node(start) })
    }

    /// `ext_type = { ext_list | ext_one_of | ident }`.
    fn ext_type(&mut self) -> Res<ExtType> {
        self.nested(Self::ext_type_here)
    }

    fn ext_type_here(&mut self) -> Res<ExtType> {
        self.skip();
        let start = self.pos;
        let m = self.mark();
        match self.ext_list() {
            Ok(inner) => return Ok(ExtType::List(Box::new(inner), self.node(start))),
            Err(Fail::Bail) => return Err(Fail::Bail),
            Err(Fail::No) => self.reset(m),
        }
        match self.ext_one_of() {
            Ok(values) => return Ok(ExtType::OneOf(values, self.node(start))),
            Err(Fail::Bail) => return Err(Fail::Bail),
            Err(Fail::No) => self.reset(m),
        }
        self.ident().map(ExtType::Named)
    }

    /// `ext_list = { kw_list ~ kw_of ~ ext_type }`: the inner type.
    fn ext_list(&mut self) -> Res<ExtType> {
        self.keyword_or_no("list")?;
        self.keyword_or_no("of")?;
        self.ext_type()
    }

    /// `ext_one_of = { kw_one ~ kw_of ~ lbracket ~ ident ~ (comma ~ ident)*
    /// ~ comma? ~ rbracket }`: the values (a reserved one gives up).
    fn ext_one_of(&mut self) -> Res<Vec<Ident>> {
        self.keyword_or_no("one")?;
        self.keyword_or_no("of")?;
        self.punct_or_no("[")?;
        let mut values = vec![self.ident()?];
        loop {
            let m = self.mark();
            if !self.punct(",") {
                break;
            }
            match self.ident() {
                Ok(v) => values.push(v),
                Err(_) => {
                    self.reset(m);
                    break;
                }
            }
        }
        self.punct(",");
        self.punct_or_no("]")?;
        if values.iter().any(|v| is_reserved(&v.name)) {
            return Err(Fail::Bail);
        }
        Ok(values)
    }
}
