//! Layout of expressions: on one line when they fit, otherwise broken
//! after operators and inside brackets, with comments kept in place.

use super::Printer;
use crate::fmt::flat::{self, width};
use crate::fmt::MAX_WIDTH;
use crate::syntax::ast::*;
use crate::text::Span;

impl Printer<'_> {
    /// Prints an expression; `brk` breaks its outermost lists.
    pub(super) fn expr(&mut self, e: &Expr, brk: bool) {
        if let Some(atom) = flat::atom(e, self.source) {
            self.tok(e.span.start, &atom);
            return;
        }
        let close = e.span.end.saturating_sub(1);
        match &e.kind {
            ExprKind::List(items) => self.list(e.span, items, brk),
            ExprKind::Field(base, field) => {
                self.expr(base, brk);
                self.tok(field.span.start, &format!(".{}", field.name));
            }
            ExprKind::Call(func, args) => {
                self.tok(func.span.start, &func.name);
                self.write("(");
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.write(",");
                        self.space();
                    }
                    self.expr(a, brk);
                }
                self.tok(close, ")");
            }
            ExprKind::Quantifier { func, var, list, pred } => {
                self.tok(func.span.start, &func.name);
                self.write("(");
                self.tok(var.span.start, &var.name);
                self.space();
                self.write("in");
                self.space();
                self.expr(list, brk);
                self.write(":");
                self.space();
                self.expr(pred, brk);
                self.tok(close, ")");
            }
            ExprKind::Unary(UnOp::Not, x) => {
                self.tok(e.span.start, "not");
                self.space();
                self.expr(x, brk);
            }
            ExprKind::Unary(UnOp::Neg, x) => {
                self.tok(e.span.start, "-");
                self.expr(x, brk);
            }
            ExprKind::Binary(op, l, r) => {
                self.expr(l, brk);
                self.space();
                self.write(flat::bin_op(*op));
                self.space();
                self.expr(r, brk);
            }
            ExprKind::For(l, d) => {
                self.expr(l, brk);
                self.space();
                self.write("for");
                self.space();
                self.expr(d, brk);
            }
            ExprKind::Paren(x) => {
                self.tok(e.span.start, "(");
                self.expr(x, brk);
                self.tok(close, ")");
            }
            ExprKind::Offset(x) => {
                self.tok(e.span.start, "offset");
                self.space();
                self.expr(x, brk);
            }
            // Atoms were printed above.
            _ => {}
        }
    }

    /// A list: on one line unless `brk` or a comment inside asks for one
    /// element per line.
    fn list(&mut self, span: Span, items: &[Expr], brk: bool) {
        let open = span.start;
        let close = span.end.saturating_sub(1);
        let comments = self.has_comment_in(open, close);
        self.tok(open, "[");
        if !comments && (items.is_empty() || !brk) {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.write(",");
                    self.space();
                }
                self.expr(item, false);
            }
            self.tok(close, "]");
            return;
        }
        let saved = self.open_block();
        for item in items {
            self.line_start(item.span.start, false, false);
            let w = self.indent + width(&flat::expr(item, self.source)) + 1;
            self.expr(item, w > MAX_WIDTH);
            self.write(",");
        }
        self.close_block(close, "]", saved, false);
    }
}
