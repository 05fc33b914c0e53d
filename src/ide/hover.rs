//! Hover: what the thing under the cursor is.
//!
//! A name shows its declaration's card ([`super::describe`]): doc comment
//! and summary, or a built-in's signature and docs from `std/builtins`. An
//! attribute shows its schema entry. Anything else inside an expression
//! shows the expression's type and unit, as the checker infers it.

use super::describe;
use super::{find_at, Found};
use crate::analysis::Analysis;
use crate::check::types::TypeCx;
use crate::check::{Kind, Ty};
use crate::syntax::ast::{self, AttrValue, Expr, ExprKind, LitUnit, Member};
use crate::text::{FileId, Span};

/// The answer to a hover request.
#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    /// What the hover is about (highlighted by the editor).
    pub range: Span,
    /// Markdown.
    pub markdown: String,
}

/// Hover at `offset` in `file`.
pub fn hover(a: &Analysis, file: FileId, offset: usize) -> Option<Hover> {
    if file.0 as usize >= a.files.len() {
        return None;
    }
    if let Some(found) = find_at(a, file, offset) {
        let range = found.span();
        let markdown = match found {
            Found::Symbol { symbol, .. } => {
                let mut md = describe::symbol_markdown(a, symbol, Some(file));
                if let Some((ctx, e)) = expr_at(a, file, offset) {
                    if ctx.criterion && matches!(e.kind, ExprKind::Name(_)) {
                        if let Some(ty) = type_of(a, file, &ctx, e) {
                            md.push_str(&format!("\n\nHere it is {ty}."));
                        }
                    }
                }
                md
            }
            Found::EnumValue { kind, attr, value, .. } => {
                let (_, def) = super::extended::attr_seen_from(a, file, kind, &attr)?;
                super::extended::value_markdown(kind, def, &value)
            }
            Found::Attribute { kind, name, .. } => {
                let mut md = match kind.attr(&name) {
                    Some(spec) => describe::attribute_markdown(kind, spec),
                    None => match kind.derived().iter().find(|(n, _)| *n == name) {
                        Some((_, of)) => describe::derived_markdown(kind, &name, *of),
                        None => {
                            let (f, def) = super::extended::attr_seen_from(a, file, kind, &name)?;
                            super::extended::attribute_markdown(kind, def, super::short_path(&a.files.get(f).path))
                        }
                    },
                };
                if let Some((ctx, e)) = expr_at(a, file, offset) {
                    if matches!(e.kind, ExprKind::Field(..) | ExprKind::Name(_)) {
                        if let Some(ty) = type_of(a, file, &ctx, e) {
                            md.push_str(&format!("\n\nHere it is {ty}."));
                        }
                    }
                }
                md
            }
            Found::Import { target, .. } => match target {
                Some(t) => format!(
                    "```compel\nimport \"{}\"\n```\nResolves to `{}`.",
                    a.files.get(t).path,
                    a.files.get(t).path
                ),
                None => return None,
            },
        };
        return Some(Hover { range, markdown });
    }
    if let Some((ctx, e)) = expr_at(a, file, offset) {
        return expression_hover(a, file, &ctx, e);
    }
    keyword_hover(a, file, offset)
}

/// Where an expression sits: the subject its names are read against, and
/// the quantifier variables bound around it (name, list iterated).
#[derive(Clone, Debug, Default)]
pub struct ExprContext<'a> {
    /// The subject kind of the gate or policy, if any.
    pub subject: Option<Kind>,
    /// Quantifier variables in scope, innermost last.
    pub vars: Vec<(&'a str, &'a Expr)>,
    /// Whether the expression is part of a criterion, filter or `let`
    /// (not an attribute's value).
    pub criterion: bool,
}

/// The innermost expression at `offset`, with its context.
pub fn expr_at(a: &Analysis, file: FileId, offset: usize) -> Option<(ExprContext<'_>, &Expr)> {
    let ast = a.asts.get(file.0 as usize)?;
    // (subject, part of a criterion, expression)
    let mut roots: Vec<(Option<Kind>, bool, &Expr)> = Vec::new();
    for item in &ast.items {
        if !item.span().touches(offset) {
            continue;
        }
        match item {
            ast::Item::Gate(g) => roots.extend(g.criteria.iter().map(|c| (Some(Kind::Initiative), true, &c.expr))),
            ast::Item::Policy(p) => {
                let subject = Kind::parse(&p.subject.name);
                roots.extend(p.filter.iter().map(|f| (subject, true, f)));
                roots.extend(p.criteria.iter().map(|c| (subject, true, &c.expr)));
            }
            ast::Item::Let(l) => roots.push((None, true, &l.value)),
            ast::Item::Decl(d) => decl_roots(d, &mut roots),
            ast::Item::Test(t) => {
                for s in &t.stmts {
                    if let ast::TestStmt::Now(e) = s {
                        roots.push((None, false, e));
                    }
                }
            }
            ast::Item::Import(_) | ast::Item::Builtin(_) | ast::Item::Extend(_) | ast::Item::Error(_) => {}
        }
    }
    let (subject, criterion, root) = roots.into_iter().find(|(_, _, e)| e.span.touches(offset))?;
    let mut ctx = ExprContext { subject, vars: Vec::new(), criterion };
    let mut e = root;
    loop {
        let children: Vec<&Expr> = match &e.kind {
            ExprKind::List(items) => items.iter().collect(),
            ExprKind::Field(base, _) => vec![base],
            ExprKind::Call(_, args) => args.iter().collect(),
            ExprKind::Quantifier { list, pred, .. } => vec![list, pred],
            ExprKind::Unary(_, inner) | ExprKind::Paren(inner) | ExprKind::Offset(inner) => vec![inner],
            ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => vec![l, r],
            _ => Vec::new(),
        };
        // A child that ends at the cursor answers only when its parent ends
        // there too: with the mouse on the `)` of `avg(k, 7d)`, the offset
        // is the end of `7d` but the character under it is the call's.
        let parent_end = e.span.end as usize;
        let next = children
            .iter()
            .copied()
            .filter(|c| c.span.touches(offset) && (offset < c.span.end as usize || offset >= parent_end))
            .min_by_key(|c| (u8::from(offset >= c.span.end as usize), c.span.len()));
        match next {
            Some(c) => {
                if let ExprKind::Quantifier { var, list, pred, .. } = &e.kind {
                    if std::ptr::eq(c, &**pred) {
                        ctx.vars.push((var.name.as_str(), list));
                    }
                }
                e = c;
            }
            None => return Some((ctx, e)),
        }
    }
}

fn decl_roots<'a>(d: &'a ast::Decl, roots: &mut Vec<(Option<Kind>, bool, &'a Expr)>) {
    for m in &d.members {
        match m {
            Member::Attr(a) => match &a.value {
                AttrValue::Expr(e) => roots.push((None, false, e)),
                AttrValue::Threshold(t) => roots.push((None, false, &t.value)),
                AttrValue::Map(_) | AttrValue::Groups(_) => {}
            },
            Member::Decl(child) => decl_roots(child, roots),
            Member::Gate(g) => roots.extend(g.criteria.iter().map(|c| (Some(Kind::Initiative), true, &c.expr))),
        }
    }
}

/// The type of an expression in its context, as the checker infers it;
/// `None` when it cannot say (inside a quantifier, after an error).
pub fn type_of(a: &Analysis, file: FileId, ctx: &ExprContext<'_>, e: &Expr) -> Option<String> {
    if !ctx.vars.is_empty() && mentions_var(e, ctx) {
        return None;
    }
    let mut diags = Vec::new();
    let mut refs = Vec::new();
    let ty = TypeCx::new(&a.model, file, ctx.subject, &mut diags, &mut refs).infer(e);
    describe_ty(a, &ty)
}

fn mentions_var(e: &Expr, ctx: &ExprContext<'_>) -> bool {
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        match &e.kind {
            ExprKind::Name(i) if ctx.vars.iter().any(|(v, _)| *v == i.name) => return true,
            ExprKind::List(items) | ExprKind::Call(_, items) => todo.extend(items),
            ExprKind::Field(base, _) | ExprKind::Unary(_, base) | ExprKind::Paren(base) | ExprKind::Offset(base) => {
                todo.push(base)
            }
            ExprKind::Quantifier { list, pred, .. } => {
                todo.push(list);
                todo.push(pred);
            }
            ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => {
                todo.push(l);
                todo.push(r);
            }
            _ => {}
        }
    }
    false
}

fn describe_ty(a: &Analysis, ty: &Ty) -> Option<String> {
    match ty {
        Ty::Any => None,
        Ty::Decl(Kind::Kpi, Some(id)) => {
            let unit = a.model.decl(*id).measure_unit();
            Some(format!(
                "a KPI: as a condition, its target is met; as a number, its latest value in `{}`",
                unit.name()
            ))
        }
        t => Some(t.describe()),
    }
}

fn expression_hover(a: &Analysis, file: FileId, ctx: &ExprContext<'_>, e: &Expr) -> Option<Hover> {
    let text = &a.files.get(file).text;
    let written = text.get(e.span.range())?;
    let detail = match &e.kind {
        ExprKind::Number { value, unit, .. } => match unit {
            None => "a number".to_string(),
            Some(LitUnit::Percent) => {
                format!("a number: `{written}` is `{}`", crate::check::value::fmt_num(*value / 100.0))
            }
            Some(u) => {
                let secs = value * u.seconds().unwrap_or(1.0);
                format!("a duration of {}", seconds_words(secs))
            }
        },
        ExprKind::Today => {
            "a date: today in UTC, decided by `compel eval` (`compel check` never reads the clock)".to_string()
        }
        ExprKind::Now => "a time: the evaluation time (`--now`), decided by `compel eval`".to_string(),
        ExprKind::Name(i) => match ctx.vars.iter().rev().find(|(v, _)| *v == i.name) {
            Some((_, list)) => {
                let list_text = text.get(list.span.range()).unwrap_or("the list");
                let outer = ExprContext { subject: ctx.subject, vars: Vec::new(), criterion: ctx.criterion };
                let elem = if mentions_var(list, ctx) { None } else { element_type(a, file, &outer, list) };
                match elem {
                    Some(t) => format!("each element of `{list_text}`: {t}"),
                    None => format!("each element of `{list_text}`"),
                }
            }
            None => type_of(a, file, ctx, e)?,
        },
        ExprKind::Call(func, args) => {
            let ty = type_of(a, file, ctx, e)?;
            match measure_of(a, file, ctx, func, args) {
                Some((kpi, unit)) => format!("{ty} in `{unit}` (the unit of `{kpi}`)"),
                None => ty,
            }
        }
        _ => type_of(a, file, ctx, e)?,
    };
    Some(Hover { range: e.span, markdown: format!("```compel\n{}\n```\n{detail}", one_line(written)) })
}

/// For a call of a built-in that returns a KPI's measure (`avg(k, 7d)`),
/// the KPI's name and unit.
fn measure_of(
    a: &Analysis,
    file: FileId,
    ctx: &ExprContext<'_>,
    func: &ast::Ident,
    args: &[Expr],
) -> Option<(String, String)> {
    let Some(crate::check::Symbol::Builtin(bi)) = a.model.lookup(file, &func.name) else { return None };
    let b = &a.model.builtins[bi];
    if b.ret != "measure" {
        return None;
    }
    let at = b.params.iter().position(|(_, t)| t == "kpi")?;
    let arg = args.get(at)?;
    let mut diags = Vec::new();
    let mut refs = Vec::new();
    match TypeCx::new(&a.model, file, ctx.subject, &mut diags, &mut refs).infer(arg) {
        Ty::Decl(Kind::Kpi, Some(id)) => {
            let kpi = a.model.decl(id);
            Some((kpi.name.clone(), kpi.measure_unit().name()))
        }
        _ => None,
    }
}

fn element_type(a: &Analysis, file: FileId, ctx: &ExprContext<'_>, list: &Expr) -> Option<String> {
    let mut diags = Vec::new();
    let mut refs = Vec::new();
    match TypeCx::new(&a.model, file, ctx.subject, &mut diags, &mut refs).infer(list) {
        Ty::List(elem) => describe_ty(a, &elem),
        _ => None,
    }
}

fn seconds_words(secs: f64) -> String {
    let f = crate::check::value::fmt_num;
    let (n, one, many) = if secs >= 86_400.0 {
        (secs / 86_400.0, "day", "days")
    } else if secs >= 3600.0 {
        (secs / 3600.0, "hour", "hours")
    } else if secs >= 60.0 {
        (secs / 60.0, "minute", "minutes")
    } else {
        (secs, "second", "seconds")
    };
    format!("{} {}", f(n), if n == 1.0 { one } else { many })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Hover on a declaration's kind word or a criterion's enforcement word.
fn keyword_hover(a: &Analysis, file: FileId, offset: usize) -> Option<Hover> {
    let ast = a.asts.get(file.0 as usize)?;
    let text = &a.files.get(file).text;
    let word = super::word_at(text, offset);
    if word.is_empty() {
        return None;
    }
    let w = &text[word.range()];
    let md = match w {
        "require" => "`require`: the criterion blocks when it fails or is unknown.".to_string(),
        "expect" => "`expect`: a failing or unknown criterion warns but does not block.".to_string(),
        "advise" => "`advise`: the criterion informs and never blocks.".to_string(),
        "because" => "`because`: the reason shown when the criterion does not hold.".to_string(),
        _ => {
            let kind = Kind::parse(w)?;
            // Only the kind word that starts a declaration.
            if !ast.items.iter().any(|i| match i {
                ast::Item::Decl(d) => kind_word_in(d, word),
                _ => false,
            }) {
                return None;
            }
            describe::kind_markdown(kind)
        }
    };
    Some(Hover { range: word, markdown: md })
}

fn kind_word_in(d: &ast::Decl, word: Span) -> bool {
    d.kind.span == word
        || d.members.iter().any(|m| match m {
            Member::Decl(c) => kind_word_in(c, word),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyse, at, ACME, PEOPLE};

    fn hover_md(needle: &str, n: usize, within: usize) -> String {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        hover(&a, file, at(ACME, needle, n, within)).map(|h| h.markdown).unwrap_or_default()
    }

    #[test]
    fn hovers_names_attributes_and_expressions() {
        let kpi = hover_md("accuracy", 1, 2);
        assert!(kpi.contains("Top-1 accuracy on the weekly holdout set."), "{kpi}");
        assert!(kpi.contains("metric  \"fraud_model_accuracy\""), "{kpi}");
        let builtin = hover_md("avg(", 0, 1);
        assert!(builtin.contains("avg(kpi: kpi, window: duration) -> measure"), "{builtin}");
        assert!(builtin.contains("The mean of"), "{builtin}");
        let attr = hover_md("approved_until >", 0, 3);
        assert!(attr.contains("program.approved_until"), "{attr}");
        assert!(attr.contains("Here it is a date."), "{attr}");
        let lit = hover_md("90d", 0, 1);
        assert!(lit.contains("a duration of 90 days"), "{lit}");
        assert_eq!(seconds_words(86_400.0), "1 day");
        assert_eq!(seconds_words(3600.0), "1 hour");
        assert_eq!(seconds_words(90.0), "1.5 minutes");
        assert_eq!(seconds_words(1.0), "1 second");
        let sum = hover_md("today + 90d", 0, 6);
        assert!(sum.contains("a date"), "{sum}");
        let kind = hover_md("kpi accuracy", 0, 1);
        assert!(kind.contains("A KPI bound to a metric"), "{kind}");
    }
}
