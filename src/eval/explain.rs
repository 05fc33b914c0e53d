//! Explanations: a decided criterion turned into a sentence naming the
//! values its parts had, and an expression's source text as quoted in
//! reports.

use std::cell::RefCell;

use super::Evaluator;
use crate::check::builtins::{self, Family};
use crate::check::interp::{self, Env, KpiState};
use crate::check::rational::Rational;
use crate::check::value::Value;
use crate::check::{DeclId, Kind, Model};
use crate::eval::metrics::format_rfc3339;
use crate::eval::report::{CriterionReport, Failing, Outcome};
use crate::eval::time::in_days;
use crate::syntax::ast::{self, BinOp, Expr, ExprKind, UnOp};
use crate::text::FileId;

/// An expression's source text, comments dropped and whitespace collapsed
/// (outside string literals) to single spaces.
pub fn source_text(text: &str, e: &Expr) -> String {
    collapse(text.get(e.span.range()).unwrap_or("")).into_owned()
}

/// [`source_text`] as shared text, copied once.
pub(super) fn source_rc(text: &str, e: &Expr) -> std::rc::Rc<str> {
    collapse(text.get(e.span.range()).unwrap_or("")).as_ref().into()
}

fn collapse(raw: &str) -> std::borrow::Cow<'_, str> {
    // Most criteria are one line written with single spaces: their text
    // is already collapsed (the lexer skips only spaces, tabs and `\r`
    // between tokens, so with no run of blanks, no line break and no
    // comment, every token and every gap stays as it is).
    if is_collapsed(raw) {
        debug_assert_eq!(collapse_tokens(raw), raw);
        return raw.into();
    }
    collapse_tokens(raw).into()
}

/// Whether `raw` is its own collapsed form (conservatively: a `//` or a
/// double space inside a string literal sends it the slow way too).
fn is_collapsed(raw: &str) -> bool {
    let b = raw.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    // One pass: no line break or tab, no `//`, no two spaces in a row.
    let mut prev = 0u8;
    for &c in b {
        if matches!(c, b'\n' | b'\t' | b'\r') || (c == prev && matches!(c, b'/' | b' ')) {
            return false;
        }
        prev = c;
    }
    true
}

fn collapse_tokens(raw: &str) -> String {
    use crate::syntax::lexer::{tokens, TokenKind};
    let mut out = String::with_capacity(raw.len());
    let mut last_end = 0;
    let mut space = false;
    for t in tokens(raw) {
        match t.kind {
            TokenKind::Newline | TokenKind::Comment { .. } => space = true,
            _ => {
                if (space || t.start() > last_end) && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push_str(&raw[t.start()..t.end()]);
            }
        }
        last_end = t.end();
    }
    out
}

/// `a, b, c and 2 more`: the first `max` of `items` (`total` in all),
/// each written by `write`, appended to `out`.
pub(super) fn write_some<T>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    total: usize,
    max: usize,
    mut write: impl FnMut(&mut String, T),
) {
    for (i, item) in items.into_iter().take(max).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(out, item);
    }
    if total > max {
        let _ = std::fmt::Write::write_fmt(out, format_args!(" and {} more", total - max));
    }
}

/// A gate's or policy's outcome in a sentence.
pub(super) fn summarize(criteria: &[CriterionReport], outcome: Outcome) -> String {
    let count = |o: Outcome| criteria.iter().filter(|c| c.outcome == o).count();
    // Up to three of the criteria with outcome `o`, quoted, then how
    // many more: `a`, `b`, `c` and 2 more.
    let named = |out: &mut String, o: Outcome| {
        let total = count(o);
        let texts = criteria.iter().filter(|c| c.outcome == o).map(|c| &*c.text);
        write_some(out, texts, total, 3, |out, text| {
            for piece in ["`", text, "`"] {
                out.push_str(piece);
            }
        });
    };
    let plural = |out: &mut String, n: usize, one: &str, many: &str| {
        crate::check::rational::push_int(out, n as i64);
        out.push(' ');
        out.push_str(if n == 1 { one } else { many });
    };
    // `blocked: 2 blocking criteria VERB `a`, `b``.
    let blocked = |out: &mut String, o: Outcome, verb: &str| {
        out.push_str("blocked: ");
        plural(out, count(o), "blocking criterion", "blocking criteria");
        out.push_str(verb);
        named(out, o);
    };
    let mut s = String::with_capacity(96);
    match outcome {
        Outcome::Pass if criteria.is_empty() => s.push_str("no criteria"),
        Outcome::Pass if criteria.len() == 1 => s.push_str("the one criterion passes"),
        Outcome::Pass => {
            s.push_str("all ");
            crate::check::rational::push_int(&mut s, criteria.len() as i64);
            s.push_str(" criteria pass");
        }
        Outcome::Warn => {
            s.push_str("passes with ");
            plural(&mut s, count(Outcome::Warn), "warning", "warnings");
            s.push_str(": ");
            named(&mut s, Outcome::Warn);
        }
        Outcome::Fail => {
            blocked(&mut s, Outcome::Fail, " failed: ");
            let unknown = count(Outcome::Unknown);
            if unknown > 0 {
                s.push_str("; ");
                plural(&mut s, unknown, "more is", "more are");
                s.push_str(" unknown: ");
                named(&mut s, Outcome::Unknown);
            }
        }
        Outcome::Unknown => blocked(&mut s, Outcome::Unknown, " cannot be decided: "),
    }
    s
}

/// Turns a decided criterion into a sentence, re-reading (quietly) the
/// values its parts had.
pub(super) struct Explainer<'e, 'a, 's, 'n> {
    pub(super) ev: &'e Evaluator<'a, 's>,
    /// The values deciding the criterion computed ([`interp::truth_noting`]).
    pub(super) noted: interp::Noted<'n>,
    pub(super) file: FileId,
    /// Whether the criterion is explained for many subjects (a top-level
    /// gate's, a policy's): its quoted parts are then kept for the next.
    pub(super) shared: bool,
    /// What a failed `all` found failing, for the report.
    pub(super) failing: RefCell<Option<Failing>>,
}

impl Explainer<'_, '_, '_, '_> {
    pub(super) fn src(&self, e: &Expr) -> std::rc::Rc<str> {
        if self.shared {
            self.ev.text_of(self.file, e)
        } else {
            source_rc(&self.ev.files.get(self.file).text, e)
        }
    }

    pub(super) fn model(&self) -> &Model {
        self.ev.model
    }

    /// `e`'s value: as deciding the criterion computed it, if it did, else
    /// evaluated now.
    fn value(&self, env: &Env, e: &Expr) -> Result<Value, interp::Undecided> {
        match self.noted.iter().find(|(n, _)| std::ptr::eq(*n, e)) {
            Some((_, v)) => v.clone(),
            None => interp::eval(env, e),
        }
    }

    /// The KPI an expression names directly, if it does.
    fn kpi_of(&self, env: &Env, e: &Expr) -> Option<DeclId> {
        match &e.kind {
            ExprKind::Paren(inner) => self.kpi_of(env, inner),
            ExprKind::Name(_) | ExprKind::Field(..) => match self.value(env, e) {
                Ok(Value::Decl(id)) if self.model().decl(id).kind == Kind::Kpi => Some(id),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn describe(&self, env: &Env, e: &Expr, holds: bool) -> String {
        let metrics = self.ev.metrics;
        // The reads below were made when the criterion was evaluated: their
        // findings are looked at where they are kept, not copied.
        if let Some(kpi) = self.kpi_of(env, e) {
            if self.model().is_family(kpi) {
                return self.family_status(kpi);
            }
            let name = &self.model().decl(kpi).name;
            return metrics.status_view(kpi, |f| {
                let state = match f.result {
                    Ok((KpiState::Met, _)) => "is met",
                    Ok((KpiState::AtRisk, _)) => "is at risk",
                    Ok((KpiState::Missed, _)) => "misses its target",
                    Err(_) => "is unknown",
                };
                format!("`{name}` {state}: {}", f.reason)
            });
        }
        match &e.kind {
            ExprKind::Paren(inner) => self.describe(env, inner, holds),
            ExprKind::For(k, d) => match (self.kpi_of(env, k), self.value(env, d)) {
                (Some(kpi), Ok(Value::Dur(secs))) if self.model().is_family(kpi) => self.family_held(kpi, secs),
                (Some(kpi), Ok(Value::Dur(secs))) => metrics.held_view(kpi, secs, |f| f.reason.clone()),
                _ => self.plain(e, holds),
            },
            ExprKind::Unary(UnOp::Not, inner) => {
                format!("not ({})", self.describe(env, inner, !holds))
            }
            ExprKind::Binary(BinOp::And, l, r) | ExprKind::Binary(BinOp::Or, l, r) => {
                let is_and = matches!(e.kind, ExprKind::Binary(BinOp::And, ..));
                let decisive = is_and != holds; // and-false / or-true: one side decides
                if decisive {
                    let want = !is_and; // the value that decided
                    for side in [l, r] {
                        if interp::truth(env, side) == Ok(want) {
                            return self.describe(env, side, want);
                        }
                    }
                    self.plain(e, holds)
                } else {
                    format!("{}; {}", self.describe(env, l, holds), self.describe(env, r, holds))
                }
            }
            ExprKind::Binary(BinOp::Cmp(op), l, r) => self.relation(env, l, r, op.as_str(), holds),
            ExprKind::Binary(BinOp::In, l, r) => self.relation(env, l, r, "in", holds),
            ExprKind::Quantifier { func, var, list, pred } => self.quantifier(env, e, func, var, list, pred, holds),
            ExprKind::Name(_) | ExprKind::Field(..) => match self.value(env, e) {
                Ok(v) => format!("`{}` is {}", self.src(e), self.model().display_value(&v)),
                Err(_) => self.plain(e, holds),
            },
            _ => self.plain(e, holds),
        }
    }

    pub(super) fn plain(&self, e: &Expr, holds: bool) -> String {
        if holds {
            format!("`{}` holds", self.src(e))
        } else {
            format!("`{}` does not hold", self.src(e))
        }
    }

    /// `a` and `b` with their values, then `va OP vb` or `va is not OP vb`.
    fn relation(&self, env: &Env, l: &Expr, r: &Expr, op: &str, holds: bool) -> String {
        let not = if holds { "" } else { "not " };
        // Each side's KPI, found once and only when asked (finding it
        // evaluates the side, and spends steps of the budget).
        let left_kpi = self.kpi_of(env, l);
        let right = std::cell::OnceCell::new();
        let right_kpi = || *right.get_or_init(|| self.kpi_of(env, r));
        // Identity: `==`, `!=` and `in` between KPIs say which KPI it is,
        // never a value (`gone == gone` reads no data).
        if let Some(a) = left_kpi {
            let named = |e: &Expr, id: DeclId| {
                let name = &self.model().decl(id).name;
                if *self.src(e) == **name {
                    format!("`{name}`")
                } else {
                    format!("`{}` ({name})", self.src(e))
                }
            };
            match (op, self.value(env, r)) {
                ("==" | "!=", Ok(Value::Decl(b))) => {
                    let same = if a == b { "the same KPI" } else { "different KPIs" };
                    return format!("{} and {} are {same}", named(l, a), named(r, b));
                }
                ("in", Ok(Value::List(items))) if matches!(items.first(), Some(Value::Decl(_))) => {
                    let list = if is_literal(r) || holds || matches!(r.kind, ExprKind::List(_)) {
                        format!("`{}`", self.src(r))
                    } else {
                        format!("`{}` ({})", self.src(r), self.show_known(env, r, right_kpi(), None).0)
                    };
                    return format!("{} is {not}in {list}", named(l, a));
                }
                _ => {}
            }
        }
        if op == "in" && !is_literal(l) {
            // `sponsor.role` is CFO, which is in `c_suite`.
            let (v, note) = self.show_known(env, l, left_kpi, None);
            let list = if is_literal(r) || holds {
                format!("`{}`", self.src(r))
            } else {
                format!("`{}` ({})", self.src(r), self.show_known(env, r, right_kpi(), None).0)
            };
            return format!(
                "`{}` is {v}{}, which is {not}in {list}",
                self.src(l),
                note.map_or_else(String::new, |n| format!(" ({n})"))
            );
        }
        // Without a KPI on either side, each side is evaluated once here:
        // for the days, and for the value shown where no read explains it.
        let mut known = [None, None];
        if left_kpi.is_none() && right_kpi().is_none() {
            known[0] = Some(self.value(env, l));
            if matches!(known[0], Some(Ok(Value::Dur(_)))) {
                known[1] = Some(self.value(env, r));
            }
        }
        let days = match &known {
            [Some(Ok(a)), Some(Ok(b))] => in_days(a, b),
            _ => None,
        };
        // `a` is VA (NOTE) and `b` is VB: VA OP VB, built in one string
        // (room for most, so that it is not copied as it grows).
        let (mut parts, mut shown) = (String::with_capacity(128), [String::new(), String::new()]);
        for (i, side) in [l, r].into_iter().enumerate() {
            if is_literal(side) {
                shown[i].push_str(&self.src(side));
                continue;
            }
            let (v, note) = match &days {
                Some(d) => (d[i].clone(), None),
                None => {
                    let kpi = if i == 0 { left_kpi } else { right_kpi() };
                    self.show_known(env, side, kpi, known[i].take())
                }
            };
            if !parts.is_empty() {
                parts.push_str(" and ");
            }
            for piece in ["`", &self.src(side), "` is ", &v] {
                parts.push_str(piece);
            }
            if let Some(n) = note {
                for piece in [" (", &n, ")"] {
                    parts.push_str(piece);
                }
            }
            shown[i] = v;
        }
        if !parts.is_empty() {
            parts.push_str(": ");
        }
        let between = if holds { " " } else { " is not " };
        for piece in [&shown[0], between, op, " ", &shown[1]] {
            parts.push_str(piece);
        }
        parts
    }

    /// A sub-expression's value for people: in its KPI's unit when it comes
    /// from a KPI (`kpi`, as [`Explainer::kpi_of`] finds it), with a note
    /// on the samples a window function read; `known` is `e`'s value when
    /// the caller has it.
    fn show_known(
        &self,
        env: &Env,
        e: &Expr,
        kpi: Option<DeclId>,
        known: Option<Result<Value, interp::Undecided>>,
    ) -> (String, Option<String>) {
        let metrics = self.ev.metrics;
        if let Some(kpi) = kpi.filter(|k| self.model().is_family(*k)) {
            return (format!("[{}]", self.family_values(kpi)), None);
        }
        // The KPI a function's first argument names.
        let first_kpi = match &e.kind {
            ExprKind::Call(_, args) => args.first().and_then(|a| self.kpi_of(env, a)),
            _ => None,
        };
        // A function of a family's values names the members and values.
        if let Some(kpi) = first_kpi.filter(|k| self.model().is_family(*k)) {
            return match known.unwrap_or_else(|| self.value(env, e)) {
                Ok(v) => (self.model().display_value(&v), Some(self.family_values(kpi))),
                Err(u) => ("unknown".to_string(), Some(self.ev.undecided(&u))),
            };
        }
        if let Some(kpi) = kpi {
            let info = metrics.info(kpi);
            let f = metrics.latest_sample(&info, "latest");
            return match f.result {
                Ok((s, q)) => (info.show(q), Some(format!("at {}", format_rfc3339(s.time)))),
                Err(r) => ("unknown".to_string(), Some(r)),
            };
        }
        if let ExprKind::Call(func, args) = &e.kind {
            if let (Some(kpi), Some(w)) = (first_kpi, args.get(1)) {
                let offset = match args.get(2).map(|a| (&a.kind, self.value(env, a))) {
                    None => Some(Rational::ZERO),
                    Some((ExprKind::Offset(_), Ok(Value::Dur(o)))) if args.len() == 3 => Some(o),
                    Some(_) => None,
                };
                if let (true, Some(offset)) = (builtins::is(&func.name, Family::Window), offset) {
                    if let Ok(Value::Dur(secs)) = self.value(env, w) {
                        return metrics.window_view((kpi, &func.name), (secs, offset), |f| match &f.result {
                            Ok((_, n)) => {
                                (f.reason.clone(), Some(format!("{n} sample{}", if *n == 1 { "" } else { "s" })))
                            }
                            Err(r) => ("unknown".to_string(), Some(r.clone())),
                        });
                    }
                }
            }
        }
        match known.unwrap_or_else(|| self.value(env, e)) {
            Ok(v) => (self.model().display_value(&v), None),
            Err(u) => ("unknown".to_string(), Some(self.ev.undecided(&u))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn quantifier(
        &self,
        env: &Env,
        e: &Expr,
        func: &ast::Ident,
        var: &ast::Ident,
        list: &Expr,
        pred: &Expr,
        holds: bool,
    ) -> String {
        let items = match self.value(env, list) {
            Ok(Value::List(items)) => items,
            _ => return self.plain(e, holds),
        };
        let total = items.len();
        let list_text = self.src(list);
        if total == 0 {
            return format!("`{list_text}` is empty");
        }
        // `` `LIST` (a, b, c and 2 more)``, written in place.
        let among = |out: &mut String| {
            out.push('`');
            out.push_str(&list_text);
            out.push_str("` (");
            self.write_some(out, items.iter(), total);
            out.push(')');
        };
        let sentence = |head: &str, verb: &str| {
            // Room for most sentences, so that it is not copied as it grows.
            let mut out = String::with_capacity(128);
            out.push_str(head);
            among(&mut out);
            out.push_str(verb);
            out.push('`');
            out.push_str(&self.src(pred));
            out.push('`');
            out
        };
        match (func.name.as_str(), holds) {
            ("all", true) if total == 1 => sentence("the one element of ", " satisfies "),
            ("all", true) => sentence(&format!("all {total} of "), " satisfy "),
            ("any", false) if total == 1 => sentence("the one element of ", " does not satisfy "),
            ("any", false) => sentence(&format!("none of the {total} in "), " satisfies "),
            ("all", false) => {
                // The elements (or, through nested `all`s, the tuples) for
                // which the predicate does not hold, and those it cannot
                // decide.
                let mut t = Tally::default();
                self.tally(env, &mut Vec::new(), &mut t, var, list, pred);
                if t.found == 0 {
                    return self.plain(e, holds);
                }
                let inner = self.src(t.pred.unwrap_or(pred));
                let shown = t.shown(self.model(), SHOWN);
                let do_ = if t.found == 1 { "does" } else { "do" };
                let mut s = if t.depth <= 1 {
                    if total == 1 {
                        let mut s = String::from("the one element of ");
                        among(&mut s);
                        s.push_str(&format!(" does not satisfy `{inner}`"));
                        s
                    } else {
                        format!("{} of {total} in `{list_text}` {do_} not satisfy `{inner}`: {shown}", t.found)
                    }
                } else {
                    let what = match (t.depth, t.found) {
                        (2, 1) => "pair",
                        (2, _) => "pairs",
                        (_, 1) => "combination",
                        _ => "combinations",
                    };
                    format!("{} {what} `({})` {do_} not satisfy `{inner}`: {shown}", t.found, t.vars.join(", "))
                };
                if t.undecided > 0 {
                    s.push_str(&format!("; {} cannot be decided: {}", t.undecided, t.shown_undecided(self.model(), 3)));
                }
                self.failing.borrow_mut().get_or_insert_with(|| t.report(self.model()));
                s
            }
            ("any", true) => {
                let ok: Vec<&Value> = items
                    .iter()
                    .filter(|item| interp::truth_bound(env, &[(var.name.as_str(), (*item).clone())], pred) == Ok(true))
                    .collect();
                let n = ok.len();
                if n == 0 {
                    return self.plain(e, holds);
                }
                if total == 1 {
                    return sentence("the one element of ", " satisfies ");
                }
                let verb = if n == 1 { "satisfies" } else { "satisfy" };
                let mut s = format!("{n} of {total} in `{list_text}` {verb} `{}`: ", self.src(pred));
                self.write_some(&mut s, ok.into_iter(), n);
                s
            }
            _ => self.plain(e, holds),
        }
    }

    /// Writes the first [`SHOWN`] of `items` (`total` in all), and how
    /// many more: `a, b, c and 2 more`.
    fn write_some<'v>(&self, out: &mut String, items: impl Iterator<Item = &'v Value>, total: usize) {
        write_some(out, items, total, SHOWN, |out, item| self.model().write_value(out, item));
    }

    /// Walks `all(var in list: pred)` with the variables of enclosing
    /// quantifiers `bound`, counting into `t` the elements whose predicate
    /// does not hold; a predicate that is itself an `all` is walked in turn, so nested
    /// quantifiers name the failing tuples.
    #[allow(clippy::too_many_arguments)]
    fn tally<'x>(
        &self,
        env: &Env,
        bound: &mut Vec<(&'x str, Value)>,
        t: &mut Tally<'x>,
        var: &'x ast::Ident,
        list: &'x Expr,
        pred: &'x Expr,
    ) {
        let Ok(Value::List(items)) = interp::eval_bound(env, bound, list) else {
            t.undecided += 1;
            if t.undecided_shown.len() < KEPT {
                t.undecided_shown.push(bound.iter().map(|(_, v)| v.clone()).collect());
            }
            return;
        };
        let nested = match &strip_parens(pred).kind {
            ExprKind::Quantifier { func, var, list, pred } if func.name == "all" => Some((var, &**list, &**pred)),
            _ => None,
        };
        if t.vars.len() <= bound.len() {
            t.vars.push(var.name.clone());
        }
        for item in items {
            bound.push((var.name.as_str(), item));
            match interp::truth_bound(env, bound, pred) {
                Ok(false) => match nested {
                    Some((v2, l2, p2)) => self.tally(env, bound, t, v2, l2, p2),
                    None => {
                        t.pred.get_or_insert(pred);
                        t.depth = t.depth.max(bound.len());
                        t.found += 1;
                        if t.failing.len() < KEPT {
                            t.failing.push(bound.iter().map(|(_, v)| v.clone()).collect());
                        }
                    }
                },
                Ok(true) => {}
                // An undecided inner `all` names its undecided tuples.
                Err(_) if nested.is_some() => {
                    if let Some((v2, l2, p2)) = nested {
                        self.tally(env, bound, t, v2, l2, p2);
                    }
                }
                Err(_) => {
                    t.undecided += 1;
                    if t.undecided_shown.len() < KEPT {
                        t.undecided_shown.push(bound.iter().map(|(_, v)| v.clone()).collect());
                    }
                }
            }
            bound.pop();
        }
    }
}

/// How many elements an explanation names before "and N more".
const SHOWN: usize = 5;

/// How many failing elements the report keeps.
const KEPT: usize = 100;

/// The elements (tuples, through nested quantifiers) for which a failed
/// `all` does not hold, and those it cannot decide.
#[derive(Default)]
struct Tally<'x> {
    /// The quantified variables, outermost first.
    vars: Vec<String>,
    /// The innermost predicate that failed.
    pred: Option<&'x Expr>,
    /// The length of the longest failing tuple.
    depth: usize,
    /// How many fail.
    found: usize,
    /// The first [`KEPT`] that fail.
    failing: Vec<Vec<Value>>,
    /// How many cannot be decided.
    undecided: usize,
    /// The first [`KEPT`] of those.
    undecided_shown: Vec<Vec<Value>>,
}

impl Tally<'_> {
    fn name(model: &Model, tuple: &[Value]) -> String {
        let parts: Vec<String> = tuple.iter().map(|v| model.display_value(v)).collect();
        if parts.len() == 1 {
            parts.join("")
        } else {
            format!("({})", parts.join(", "))
        }
    }

    fn list(model: &Model, tuples: &[Vec<Value>], total: usize, max: usize) -> String {
        let names: Vec<String> = tuples.iter().take(max).map(|t| Tally::name(model, t)).collect();
        if total > names.len() {
            format!("{} and {} more", names.join(", "), total - names.len())
        } else {
            names.join(", ")
        }
    }

    fn shown(&self, model: &Model, max: usize) -> String {
        Tally::list(model, &self.failing, self.found, max)
    }

    fn shown_undecided(&self, model: &Model, max: usize) -> String {
        Tally::list(model, &self.undecided_shown, self.undecided, max)
    }

    fn report(&self, model: &Model) -> Failing {
        let names = |ts: &[Vec<Value>]| -> Vec<Vec<String>> {
            ts.iter().map(|t| t.iter().map(|v| model.display_value(v)).collect()).collect()
        };
        Failing {
            variables: self.vars.clone(),
            count: self.found,
            elements: names(&self.failing),
            undecided_count: self.undecided,
            undecided: names(&self.undecided_shown),
        }
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip_parens(inner),
        _ => e,
    }
}

fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number { .. }
        | ExprKind::Money { .. }
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::DateTime(_) => true,
        ExprKind::Paren(inner) | ExprKind::Unary(UnOp::Neg, inner) => is_literal(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_whitespace_and_comments() {
        assert_eq!(collapse("a  >\n   b // why\n + 1"), "a > b + 1");
        assert_eq!(collapse("x == \"a  b\"  "), "x == \"a  b\"");
        assert_eq!(collapse("a>b and\t\"x // y\"/// doc\n  or(c)"), "a>b and \"x // y\" or(c)");
        // Already collapsed: as is.
        assert_eq!(collapse("avg(loss_7, 7d) < 0.1%"), "avg(loss_7, 7d) < 0.1%");
        assert_eq!(collapse("x == \"a b\""), "x == \"a b\"");
        assert!(!is_collapsed(" a") && !is_collapsed("a ") && !is_collapsed("a\tb") && !is_collapsed("a // b"));
    }
}
