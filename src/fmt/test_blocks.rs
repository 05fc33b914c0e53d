//! Layout of `test "name" { ... }`: one statement a line, `metrics` and
//! inline `series` blocks with their samples.

use super::{keyword_before, Printer};
use crate::fmt::flat::{self, width};
use crate::fmt::MAX_WIDTH;
use crate::syntax::ast::*;

impl Printer<'_> {
    pub(super) fn test(&mut self, t: &Test) {
        self.tok(t.span.start, "test");
        self.space();
        self.tok(t.name.span.start, &flat::string(&t.name.value));
        self.space();
        let close = t.span.end.saturating_sub(1);
        if t.stmts.is_empty() && !self.has_comment_in(t.name.span.end, close) {
            self.tok(close, "{}");
            return;
        }
        self.write("{");
        let saved = self.open_block();
        let col = t
            .stmts
            .iter()
            .filter_map(|s| match s {
                TestStmt::Now(_) => Some(3),
                TestStmt::Metrics(_) => Some(7),
                TestStmt::Series(_) => Some(6),
                _ => None,
            })
            .max()
            .unwrap_or(0)
            + 1;
        for s in &t.stmts {
            self.line_start(self.stmt_start(s), false, true);
            self.test_stmt(s, col);
        }
        self.close_block(close, "}", saved, true);
    }

    /// Where a test statement starts (its keyword, when the tree only has
    /// the span of its argument).
    fn stmt_start(&self, s: &TestStmt) -> u32 {
        match s {
            TestStmt::Now(e) => keyword_before(self.source, e.span.start, "now"),
            TestStmt::Metrics(m) => keyword_before(self.source, m.span.start, "metrics"),
            TestStmt::Series(s) => s.span.start,
            TestStmt::ExpectGate { span, .. }
            | TestStmt::ExpectKpi { span, .. }
            | TestStmt::ExpectPolicy { span, .. } => span.start,
        }
    }

    fn test_stmt(&mut self, s: &TestStmt, col: usize) {
        let start = self.stmt_start(s);
        match s {
            TestStmt::Now(e) => {
                self.tok(start, "now");
                self.pending = col - 3;
                self.expr(e, false);
            }
            TestStmt::Metrics(m) => {
                self.tok(start, "metrics");
                self.pending = col - 7;
                self.tok(m.span.start, &flat::string(&m.value));
            }
            TestStmt::Series(series) => {
                self.tok(start, "series");
                self.pending = col - 6;
                self.series(series);
            }
            TestStmt::ExpectGate { initiative, from, to, outcome, .. } => {
                self.tok(start, "expect");
                self.space();
                self.write("gate");
                self.space();
                self.tok(initiative.span.start, &initiative.name);
                self.space();
                self.tok(from.span.start, &from.name);
                self.space();
                self.write("->");
                self.space();
                self.tok(to.span.start, &to.name);
                self.space();
                self.write("==");
                self.space();
                self.tok(outcome.span.start, &outcome.name);
            }
            TestStmt::ExpectKpi { kpi, status, .. } => {
                self.tok(start, "expect");
                self.space();
                self.write("kpi");
                self.space();
                self.tok(kpi.span.start, &kpi.name);
                self.space();
                self.write("==");
                self.space();
                self.tok(status.span.start, &status.name);
            }
            TestStmt::ExpectPolicy { policy, subject, outcome, .. } => {
                self.tok(start, "expect");
                self.space();
                self.write("policy");
                self.space();
                self.tok(policy.span.start, &policy.name);
                self.space();
                self.write("on");
                self.space();
                self.tok(subject.span.start, &subject.name);
                self.space();
                self.write("==");
                self.space();
                self.tok(outcome.span.start, &outcome.name);
            }
        }
    }

    fn series(&mut self, s: &InlineSeries) {
        self.tok(s.metric.span.start, &flat::string(&s.metric.value));
        self.space();
        let close = s.span.end.saturating_sub(1);
        if s.labels.is_none() && s.samples.is_empty() && !self.has_comment_in(s.metric.span.end, close) {
            self.tok(close, "{}");
            return;
        }
        self.write("{");
        let saved = self.open_block();
        if let Some(m) = &s.labels {
            let kw = keyword_before(self.source, m.span.start, "labels");
            self.line_start(kw, false, true);
            self.tok(kw, "labels");
            self.space();
            let brk = self.indent + "labels ".len() + width(&flat::map(m)) > MAX_WIDTH;
            self.map(m, brk);
        }
        for (time, value) in &s.samples {
            let kw = keyword_before(self.source, time.span.start, "at");
            self.line_start(kw, false, true);
            self.tok(kw, "at");
            self.space();
            self.expr(time, false);
            self.space();
            self.expr(value, false);
        }
        self.close_block(close, "}", saved, true);
    }
}
