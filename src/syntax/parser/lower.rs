//! Lowering pest's tree of one item to the AST: names (reserved words
//! refused), strings, declarations, attributes, gates, policies, `let`s,
//! built-ins, `extend` items and tests.

use pest::iterators::Pair;

use super::lower_expr::cmp_op;
use super::{Lower, LowerResult, Rule};
use crate::diag::Code;
use crate::syntax::ast::*;
use crate::syntax::lexer::is_reserved;
use crate::syntax::literals::unescape;
use crate::text::Span;

impl Lower {
    /// The pair's span, ending at its last token: pest lets a rule's span
    /// run over the whitespace and comments it skipped looking for an
    /// optional tail, and a diagnostic must not underline those.
    pub(super) fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.base + s.start(), self.base + last_token_end(pair))
    }

    pub(super) fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    /// A name that is declared or referenced: reserved words are refused.
    pub(super) fn name(&self, pair: Pair<Rule>) -> LowerResult<Ident> {
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

    pub(super) fn string(&self, pair: Pair<Rule>) -> LowerResult<StrLit> {
        let span = self.span(&pair);
        let raw = pair.as_str();
        let value = unescape(&raw[1..raw.len() - 1]).map_err(|m| (Code::InvalidLiteral, span, m))?;
        Ok(StrLit { value, span })
    }

    pub(super) fn item(&self, pair: Pair<Rule>) -> LowerResult<Item> {
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
                Item::Policy(Policy {
                    doc: None,
                    name,
                    subject,
                    filter,
                    criteria: criteria.into(),
                    span,
                    broken: Vec::new(),
                })
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

    pub(super) fn extend(&self, pair: Pair<Rule>) -> LowerResult<Extend> {
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

    pub(super) fn ext_type(&self, pair: Pair<Rule>) -> LowerResult<ExtType> {
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

    pub(super) fn type_name(&self, pair: Pair<Rule>) -> LowerResult<TypeName> {
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

    pub(super) fn decl(&self, pair: Pair<Rule>) -> LowerResult<Decl> {
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

    pub(super) fn attr(&self, pair: Pair<Rule>) -> LowerResult<Attr> {
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

    pub(super) fn groups(&self, pair: Pair<Rule>) -> LowerResult<GroupsLit> {
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

    pub(super) fn map(&self, pair: Pair<Rule>) -> LowerResult<MapLit> {
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

    pub(super) fn gate(&self, pair: Pair<Rule>) -> LowerResult<Gate> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        inner.next(); // gate
        let from = self.ident(next(&mut inner)?);
        inner.next(); // ->
        let to = self.ident(next(&mut inner)?);
        let criteria = self.criteria(next(&mut inner)?)?;
        Ok(Gate { doc: None, from, to, criteria: criteria.into(), span, broken: Vec::new() })
    }

    pub(super) fn criteria(&self, pair: Pair<Rule>) -> LowerResult<Vec<Criterion>> {
        pair.into_inner().filter(|c| c.as_rule() == Rule::criterion).map(|c| self.criterion(c)).collect()
    }

    pub(super) fn criterion(&self, c: Pair<Rule>) -> LowerResult<Criterion> {
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
    pub(super) fn member(&self, pair: Pair<Rule>) -> LowerResult<Member> {
        Ok(match pair.as_rule() {
            Rule::attr => Member::Attr(self.attr(pair)?),
            Rule::decl => Member::Decl(self.decl(pair)?),
            Rule::gate => Member::Gate(self.gate(pair)?),
            _ => return Err((Code::SyntaxError, self.span(&pair), "unexpected member".to_string())),
        })
    }

    pub(super) fn test(&self, pair: Pair<Rule>) -> LowerResult<Test> {
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
        match crate::syntax::lexer::comment_start(input, Span::new(line_start, end)) {
            Some(at) => end = at,
            None => return end,
        }
    }
}

pub(super) fn next<'i>(it: &mut impl Iterator<Item = Pair<'i, Rule>>) -> LowerResult<Pair<'i, Rule>> {
    it.next().ok_or((
        Code::SyntaxError,
        Span::default(),
        "internal error: the parse tree is missing a part".to_string(),
    ))
}
