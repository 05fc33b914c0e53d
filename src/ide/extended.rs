//! The editor over the organisation's own attributes (`extend`): the
//! declaring names of extended attributes and of their `one of` values,
//! hover, definition, references and rename of both. Renaming a value
//! renames it where it is declared, where declarations set it and where
//! criteria compare with it, in every file.

use super::{Found, TextEdit};
use crate::analysis::Analysis;
use crate::check::extend::ExtAttrDef;
use crate::check::{Kind, Target};
use crate::text::{FileId, FileSpan};

/// The declaring occurrences in `file`: each extended attribute's name and
/// each value of its `one of`.
pub fn definitions_in(a: &Analysis, file: FileId) -> Vec<Found> {
    let mut out = Vec::new();
    for x in a.model.extensions.iter().filter(|x| x.file == file) {
        let Some(kind) = x.kind else { continue };
        for attr in &x.attrs {
            out.push(Found::Attribute { kind, name: attr.name.clone(), span: attr.name_span });
            for (value, span) in &attr.values {
                out.push(Found::EnumValue { kind, attr: attr.name.clone(), value: value.clone(), span: *span });
            }
        }
    }
    out
}

/// The extended attribute `name` of `kind` as `file` sees it, with the
/// file of its extension.
pub fn attr_seen_from<'a>(a: &'a Analysis, file: FileId, kind: Kind, name: &str) -> Option<(FileId, &'a ExtAttrDef)> {
    let at = a.model.ext_attr_in(file, kind, name).or_else(|| a.model.ext_attr_anywhere(kind, name))?;
    Some((a.model.extensions[at.0].file, a.model.ext_attr(at)))
}

/// Where an extended attribute or a value is declared.
pub fn definition(a: &Analysis, file: FileId, found: &Found) -> Option<FileSpan> {
    match found {
        Found::Attribute { kind, name, .. } if kind.attr(name).is_none() => {
            let (f, def) = attr_seen_from(a, file, *kind, name)?;
            Some(FileSpan::new(f, def.name_span))
        }
        Found::EnumValue { kind, attr, value, .. } => {
            let (f, def) = attr_seen_from(a, file, *kind, attr)?;
            def.values.iter().find(|(v, _)| v == value).map(|(_, s)| FileSpan::new(f, *s))
        }
        _ => None,
    }
}

/// Every occurrence of an extended attribute or a value, its declarations
/// included.
pub fn references(a: &Analysis, found: &Found) -> Vec<FileSpan> {
    let (target, defs): (Target, Vec<FileSpan>) = match found {
        Found::Attribute { kind, name, .. } => (
            Target::Attribute(*kind, name.clone()),
            a.model
                .extensions
                .iter()
                .filter(|x| x.kind == Some(*kind))
                .flat_map(|x| x.attrs.iter().filter(|t| &t.name == name).map(|t| FileSpan::new(x.file, t.name_span)))
                .collect(),
        ),
        Found::EnumValue { kind, attr, value, .. } => (
            Target::EnumValue { kind: *kind, attr: attr.as_str().into(), value: value.as_str().into() },
            a.model
                .extensions
                .iter()
                .filter(|x| x.kind == Some(*kind))
                .flat_map(|x| {
                    x.attrs.iter().filter(|t| &t.name == attr).flat_map(|t| {
                        t.values.iter().filter(|(v, _)| v == value).map(|(_, s)| FileSpan::new(x.file, *s))
                    })
                })
                .collect(),
        ),
        _ => return Vec::new(),
    };
    let mut out: Vec<FileSpan> = a.model.references.iter().filter(|r| r.target == target).map(|r| r.at).collect();
    out.extend(defs);
    out.sort_by_key(|f| (f.file, f.span));
    out.dedup();
    out
}

/// The edits renaming an extended attribute or a value to `new_name`, or
/// why not: a value that the attribute already has, an attribute the kind
/// already has.
pub fn rename(a: &Analysis, file: FileId, found: &Found, new_name: &str) -> Result<Vec<TextEdit>, String> {
    match found {
        Found::Attribute { kind, name, .. } => {
            if name == new_name {
                return Ok(Vec::new());
            }
            if kind.attr(new_name).is_some() || a.model.ext_attr_in(file, *kind, new_name).is_some() {
                return Err(format!("{} already has an attribute `{new_name}`", kind.with_article()));
            }
        }
        Found::EnumValue { kind, attr, value, .. } => {
            if value == new_name {
                return Ok(Vec::new());
            }
            if let Some((_, def)) = attr_seen_from(a, file, *kind, attr) {
                if def.values.iter().any(|(v, _)| v == new_name) {
                    return Err(format!("`{attr}` already has a value `{new_name}`"));
                }
            }
        }
        _ => return Err("there is no name to rename here".to_string()),
    }
    Ok(references(a, found).into_iter().map(|at| TextEdit { at, replacement: new_name.to_string() }).collect())
}

/// Markdown for an extended attribute.
pub fn attribute_markdown(kind: Kind, def: &ExtAttrDef, path: &str) -> String {
    let required = if def.required { ", required" } else { "" };
    let doc = def.doc.as_deref().map(|d| format!("{d}\n\n")).unwrap_or_default();
    let ty = def.ty.as_ref().map_or_else(|| format!("`{}`", def.ty_text), |t| t.describe());
    format!(
        "```compel\n{}.{}: {}\n```\n{doc}(the organisation's {} attribute{required}, from `extend {}` in `{path}`)\n\nIts value is {ty}.",
        kind.as_str(),
        def.name,
        def.ty_text,
        kind.as_str(),
        kind.as_str()
    )
}

/// Markdown for a value of a `one of`.
pub fn value_markdown(kind: Kind, def: &ExtAttrDef, value: &str) -> String {
    let values: Vec<String> = def.values.iter().map(|(v, _)| v.clone()).collect();
    format!(
        "```compel\n{value}\n```\nA value of `{}.{}`, which is one of {}.",
        kind.as_str(),
        def.name,
        crate::check::extend::quoted(&values)
    )
}
