//! The one-line rendering of expressions, used to measure a line before the
//! printer decides whether its lists must be broken, and the spelling of
//! single tokens shared with the printer.

use crate::syntax::ast::{BinOp, Expr, ExprKind, GroupsLit, MapLit, TypeName, UnOp};

/// Width of a text in columns (characters).
pub(super) fn width(s: &str) -> usize {
    s.chars().count()
}

/// A string literal, quoted and re-escaped.
pub(super) fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of an atom (a literal, a name, `today`, `now`), or `None` for a
/// compound expression. Dates and times are taken from the source as written.
pub(super) fn atom(e: &Expr, source: &str) -> Option<String> {
    Some(match &e.kind {
        ExprKind::Number { raw, unit, .. } => {
            format!("{}{}", number_raw(raw), unit.map_or("", |u| u.as_str()))
        }
        ExprKind::Money { raw, currency, .. } => format!("{raw} {currency}"),
        ExprKind::Str(v) => string(v),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Date(_) | ExprKind::DateTime(_) => source.get(e.span.range()).unwrap_or_default().to_string(),
        ExprKind::Name(id) => id.name.clone(),
        ExprKind::Today => "today".to_string(),
        ExprKind::Now => "now".to_string(),
        _ => return None,
    })
}

/// A number as written, without the whitespace (or comment) the grammar lets
/// a test sample put between its sign and its digits.
fn number_raw(raw: &str) -> String {
    match raw.strip_prefix('-') {
        Some(rest) => {
            let digits = rest.split_whitespace().last().unwrap_or_default();
            format!("-{digits}")
        }
        None => raw.to_string(),
    }
}

/// The keyword of a binary operator.
pub(super) fn bin_op(op: BinOp) -> &'static str {
    op.as_str()
}

/// An expression on one line.
pub(super) fn expr(e: &Expr, source: &str) -> String {
    let mut out = String::new();
    push_expr(&mut out, e, source);
    out
}

fn push_list(out: &mut String, items: &[Expr], source: &str) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_expr(out, item, source);
    }
}

fn push_expr(out: &mut String, e: &Expr, source: &str) {
    if let Some(a) = atom(e, source) {
        out.push_str(&a);
        return;
    }
    match &e.kind {
        ExprKind::List(items) => {
            out.push('[');
            push_list(out, items, source);
            out.push(']');
        }
        ExprKind::Field(base, field) => {
            push_expr(out, base, source);
            out.push('.');
            out.push_str(&field.name);
        }
        ExprKind::Call(func, args) => {
            out.push_str(&func.name);
            out.push('(');
            push_list(out, args, source);
            out.push(')');
        }
        ExprKind::Quantifier { func, var, list, pred } => {
            out.push_str(&func.name);
            out.push('(');
            out.push_str(&var.name);
            out.push_str(" in ");
            push_expr(out, list, source);
            out.push_str(": ");
            push_expr(out, pred, source);
            out.push(')');
        }
        ExprKind::Unary(UnOp::Not, x) => {
            out.push_str("not ");
            push_expr(out, x, source);
        }
        ExprKind::Unary(UnOp::Neg, x) => {
            out.push('-');
            push_expr(out, x, source);
        }
        ExprKind::Binary(op, l, r) => {
            push_expr(out, l, source);
            out.push(' ');
            out.push_str(bin_op(*op));
            out.push(' ');
            push_expr(out, r, source);
        }
        ExprKind::For(l, d) => {
            push_expr(out, l, source);
            out.push_str(" for ");
            push_expr(out, d, source);
        }
        ExprKind::Paren(x) => {
            out.push('(');
            push_expr(out, x, source);
            out.push(')');
        }
        ExprKind::Offset(x) => {
            out.push_str("offset ");
            push_expr(out, x, source);
        }
        // Atoms were handled above.
        _ => {}
    }
}

/// A label map on one line: `{ model "scoring-v2" }`, or `{}`.
pub(super) fn map(m: &MapLit) -> String {
    if m.entries.is_empty() {
        return "{}".to_string();
    }
    let mut out = String::from("{");
    for (k, v) in &m.entries {
        out.push(' ');
        out.push_str(&k.name);
        out.push(' ');
        out.push_str(&string(&v.value));
    }
    out.push_str(" }");
    out
}

/// A family's groups on one line: `{ sex ["female", "male"] }`.
pub(super) fn groups(g: &GroupsLit) -> String {
    let mut out = String::from("{");
    for (k, vs) in &g.entries {
        let values: Vec<String> = vs.iter().map(|v| string(&v.value)).collect();
        out.push_str(&format!(" {} [{}]", k.name, values.join(", ")));
    }
    out.push_str(" }");
    out
}

/// A type in a built-in's signature: `kpi`, `[number]`.
pub(super) fn type_name(t: &TypeName) -> String {
    match t {
        TypeName::Named(id) => id.name.clone(),
        TypeName::List(inner, _) => format!("[{}]", type_name(inner)),
    }
}
