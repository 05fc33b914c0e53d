//! Completion of the organisation's own attributes (`extend`): the
//! extended attributes a declaration may set or a criterion may read, and
//! the values of a `one of`.

use super::{names_of_kind, resolve_chain, CompletionItem, ExprSlot, ItemKind, Out, Resolved, Source};
use crate::check::extend::{ExtAttrDef, ExtTy};
use crate::check::Kind;

/// The extended attributes of `kind` the first analysed source sees (every
/// extension of the kind when the file was not analysed), first
/// definitions only.
pub fn attrs(sources: &[Source<'_>], kind: Kind) -> Vec<ExtAttrDef> {
    let Some(src) = sources.first() else { return Vec::new() };
    let m = &src.analysis.model;
    match src.file {
        Some(f) => m.ext_attrs_in(f, kind).into_iter().map(|at| m.ext_attr(at).clone()).collect(),
        None => {
            let mut out: Vec<ExtAttrDef> = Vec::new();
            for x in m.extensions.iter().filter(|x| x.kind == Some(kind)) {
                for a in &x.attrs {
                    if out.iter().all(|o| o.name != a.name) {
                        out.push(a.clone());
                    }
                }
            }
            out
        }
    }
}

/// The type of the extended attribute `name` of `kind`, as the sources see it.
pub fn ty(sources: &[Source<'_>], kind: Kind, name: &str) -> Option<ExtTy> {
    attrs(sources, kind).into_iter().find(|a| a.name == name).and_then(|a| a.ty)
}

/// One item per extended attribute: `insert` adds a space after the name
/// in a declaration's body.
pub fn attr_items(sources: &[Source<'_>], kind: Kind, set: &[String], in_body: bool) -> Vec<CompletionItem> {
    attrs(sources, kind)
        .into_iter()
        .filter(|a| !set.contains(&a.name))
        .map(|a| {
            let path = sources
                .first()
                .and_then(|s| {
                    let m = &s.analysis.model;
                    m.extensions
                        .iter()
                        .find(|x| x.kind == Some(kind) && x.attrs.iter().any(|t| t.name == a.name))
                        .map(|x| super::super::short_path(&s.analysis.files.get(x.file).path).to_string())
                })
                .unwrap_or_default();
            let required = if a.required { " (required)" } else { "" };
            CompletionItem {
                label: a.name.clone(),
                kind: ItemKind::Attribute,
                detail: Some(format!("{}{required}", a.ty_text)),
                documentation: Some(super::super::extended::attribute_markdown(kind, &a, &path)),
                insert: if in_body { format!("{} ", a.name) } else { a.name.clone() },
                snippet: false,
                range: Default::default(),
                sort: format!("{}_{}", if a.required && in_body { "0" } else { "1" }, a.name),
                preselect: false,
                symbol: None,
            }
        })
        .collect()
}

/// The values of a `one of`, for a declaration's value or the other side
/// of a comparison.
pub fn value_items(kind: Kind, attr: &str, values: &[String]) -> Vec<CompletionItem> {
    values
        .iter()
        .map(|v| CompletionItem {
            label: v.clone(),
            kind: ItemKind::Value,
            detail: Some(format!("a value of `{}.{attr}`", kind.as_str())),
            documentation: None,
            insert: v.clone(),
            snippet: false,
            range: Default::default(),
            sort: format!("0_{v}"),
            preselect: false,
            symbol: None,
        })
        .collect()
}

/// The value of an extended attribute: its `one of` values, the names of
/// the kind it refers to, `true`/`false`, or `[` for a list of names.
pub(super) fn ext_value(sources: &[Source<'_>], out: &mut Out, kind: Kind, attr: &str, after_number: bool) {
    if after_number {
        return;
    }
    match ty(sources, kind, attr) {
        Some(ExtTy::OneOf(values)) => {
            value_items(kind, attr, &values).into_iter().for_each(|it| out.push(it));
        }
        Some(ExtTy::Ref(k)) => names_of_kind(sources, out, k, "0", |_| true),
        Some(ExtTy::Bool) => {
            out.value("true", "yes");
            out.value("false", "no");
        }
        _ => {}
    }
}

pub(super) fn from_ext(t: &ExtTy) -> Resolved {
    match t {
        ExtTy::Ref(k) => Resolved::One(*k),
        ExtTy::List(inner) => match **inner {
            ExtTy::Ref(k) => Resolved::Many(k),
            _ => Resolved::Other,
        },
        _ => Resolved::Other,
    }
}

/// The `one of` values of the attribute a chain ends in (`kind`,
/// `i.kind`), for the other side of a comparison.
pub(super) fn compared_values(
    sources: &[Source<'_>],
    e: &ExprSlot,
    chain: &[String],
) -> Option<(Kind, String, Vec<String>)> {
    let (last, prefix) = chain.split_last()?;
    let kind = if prefix.is_empty() {
        e.subject?
    } else {
        match resolve_chain(sources, e, prefix, 0) {
            Resolved::One(k) => k,
            _ => return None,
        }
    };
    match ty(sources, kind, last)? {
        ExtTy::OneOf(values) => Some((kind, last.clone(), values)),
        _ => None,
    }
}
