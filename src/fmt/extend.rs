//! Layout of `extend KIND { ... }`: one attribute a line, types aligned in
//! a column like a declaration's values, each `///` doc above its attribute.

use super::Printer;
use crate::fmt::flat::width;
use crate::syntax::ast::{ExtType, Extend};

impl Printer<'_> {
    pub(super) fn extend(&mut self, x: &Extend) {
        self.tok(x.span.start, "extend");
        self.space();
        self.tok(x.kind.span.start, &x.kind.name);
        self.space();
        let open = x.body_span.start;
        let close = x.body_span.end.saturating_sub(1);
        if x.attrs.is_empty() && !self.has_comment_in(open, close) {
            self.tok(open, "{}");
            return;
        }
        self.tok(open, "{");
        let saved = self.open_block();
        let col = x.attrs.iter().map(|a| width(&a.name.name)).max().unwrap_or(0) + 1;
        for a in &x.attrs {
            self.line_start(a.span.start, false, true);
            self.tok(a.name.span.start, &a.name.name);
            self.pending = col.saturating_sub(width(&a.name.name)).max(1);
            self.ext_type(&a.ty);
            if let Some(r) = a.required {
                self.space();
                self.tok(r.start, "required");
            }
        }
        self.close_block(close, "}", saved, true);
    }

    fn ext_type(&mut self, t: &ExtType) {
        match t {
            ExtType::Named(i) => self.tok(i.span.start, &i.name),
            ExtType::List(inner, span) => {
                self.tok(span.start, "list");
                self.space();
                self.write("of");
                self.space();
                self.ext_type(inner);
            }
            ExtType::OneOf(values, span) => {
                self.tok(span.start, "one");
                self.space();
                self.write("of");
                self.space();
                self.write("[");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.write(",");
                        self.space();
                    }
                    self.tok(v.span.start, &v.name);
                }
                self.tok(span.end.saturating_sub(1), "]");
            }
        }
    }
}
