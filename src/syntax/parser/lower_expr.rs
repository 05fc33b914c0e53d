//! Lowering expressions: the flat operand/operator sequence of the
//! grammar through the Pratt operator table, literals, lists, calls and
//! quantifiers, within the limits on chains and list length.

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::lower::next;
use super::{Lower, LowerResult, Rule};
use crate::diag::Code;
use crate::syntax::ast::*;
use crate::syntax::literals::{parse_date, parse_datetime, parse_decimal};
use crate::text::Span;

impl Lower {
    /// Builds an expression tree from the flat `expr` sequence.
    pub(super) fn expr(&self, pair: Pair<Rule>) -> LowerResult<Expr> {
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

    /// An operand: a literal, a name, a list, parentheses, a call or a
    /// quantifier.
    pub(super) fn expr_primary(&self, pair: Pair<Rule>) -> LowerResult<Expr> {
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
                let value = decimal(&raw, span)?;
                ExprKind::Money { raw, value, currency }
            }
            Rule::number => self.number(pair, span)?,
            Rule::string => ExprKind::Str(self.string(pair)?.value),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::today => ExprKind::Today,
            Rule::now => ExprKind::Now,
            Rule::ident => ExprKind::Name(self.name(pair)?),
            Rule::list => self.list(pair, span)?,
            Rule::paren => {
                let e = pair.into_inner().find(|p| p.as_rule() == Rule::expr).ok_or((
                    Code::SyntaxError,
                    span,
                    "empty parentheses".to_string(),
                ))?;
                ExprKind::Paren(Box::new(self.expr(e)?))
            }
            Rule::call => self.call(pair)?,
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

    /// A number with its unit, if any (`92%`, `250ms`, `7d`).
    fn number(&self, pair: Pair<Rule>, span: Span) -> LowerResult<ExprKind> {
        let mut inner = pair.into_inner();
        let amount = next(&mut inner)?;
        let raw = amount.as_str().to_string();
        let value = decimal(&raw, span)?;
        let unit = inner.next().map(|u| match u.as_str() {
            "%" => LitUnit::Percent,
            "ms" => LitUnit::Ms,
            "s" => LitUnit::S,
            "m" => LitUnit::M,
            "h" => LitUnit::H,
            "d" => LitUnit::D,
            _ => LitUnit::W,
        });
        Ok(ExprKind::Number { raw, value, unit })
    }

    /// `[a, b, ...]`, no longer than the limit.
    fn list(&self, pair: Pair<Rule>, span: Span) -> LowerResult<ExprKind> {
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
        Ok(ExprKind::List(items))
    }

    /// `f(a, b, offset D)`.
    fn call(&self, pair: Pair<Rule>) -> LowerResult<ExprKind> {
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
        Ok(ExprKind::Call(func, args))
    }
}

/// A number literal's value, `E0102` when it is not a valid number.
fn decimal(raw: &str, span: Span) -> LowerResult<f64> {
    parse_decimal(raw).ok_or((Code::InvalidLiteral, span, format!("`{raw}` is not a valid number")))
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

pub(super) fn cmp_op(s: &str) -> CmpOp {
    match s {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}
