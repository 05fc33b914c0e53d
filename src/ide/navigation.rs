//! Go to definition, find references and rename.
//!
//! All three read the checker's resolved references, so they agree with
//! `compel check` about what every name means: names are global within the
//! files a file sees, and two files that do not see each other can use one
//! name for different things without either rename touching the other.

use super::{describe, find_at, is_identifier, is_std, short_path, Found, TextEdit};
use crate::analysis::Analysis;
use crate::check::{Kind, Symbol, Target};
use crate::text::{FileId, FileSpan, Span};

/// Where the name at `offset` is declared: the occurrence under the cursor
/// and the declaring name.
pub fn definition(a: &Analysis, file: FileId, offset: usize) -> Option<(Span, FileSpan)> {
    match find_at(a, file, offset)? {
        Found::Symbol { symbol, span, .. } => Some((span, a.model.symbol_def(symbol).1)),
        found @ (Found::Attribute { .. } | Found::EnumValue { .. }) => {
            Some((found.span(), super::extended::definition(a, file, &found)?))
        }
        Found::Import { target: Some(t), span } => Some((span, FileSpan::new(t, Span::new(0, 0)))),
        Found::Import { target: None, .. } => None,
    }
}

/// Every occurrence of the name at `offset`, sorted by file and position;
/// the declaration included when asked. An attribute's references are
/// every place it is set or read.
pub fn references(a: &Analysis, file: FileId, offset: usize, include_declaration: bool) -> Vec<FileSpan> {
    let mut out: Vec<FileSpan> = match find_at(a, file, offset) {
        Some(Found::Symbol { symbol, .. }) => symbol_references(a, symbol, include_declaration),
        Some(found @ Found::EnumValue { .. }) => super::extended::references(a, &found),
        Some(found @ Found::Attribute { .. }) if super::extended::definition(a, file, &found).is_some() => {
            super::extended::references(a, &found)
        }
        Some(Found::Attribute { kind, name, .. }) => a
            .model
            .references
            .iter()
            .filter(|r| r.target == Target::Attribute(kind, name.clone()))
            .map(|r| r.at)
            .collect(),
        _ => Vec::new(),
    };
    out.sort_by_key(|f| (f.file, f.span));
    out.dedup();
    out
}

/// Every occurrence of a symbol.
pub fn symbol_references(a: &Analysis, symbol: Symbol, include_declaration: bool) -> Vec<FileSpan> {
    let mut out: Vec<FileSpan> =
        a.model.references.iter().filter(|r| r.target == Target::Symbol(symbol)).map(|r| r.at).collect();
    if include_declaration {
        out.push(a.model.symbol_def(symbol).1);
    }
    out.sort_by_key(|f| (f.file, f.span));
    out.dedup();
    out
}

/// Whether the name at `offset` can be renamed: the name's span and text,
/// or why not.
pub fn prepare_rename(a: &Analysis, file: FileId, offset: usize) -> Result<(Span, String), String> {
    match find_at(a, file, offset) {
        Some(Found::Symbol { symbol, span, .. }) => {
            let (name, def) = a.model.symbol_def(symbol);
            if matches!(symbol, Symbol::Builtin(_)) {
                return Err(format!("`{name}` is a built-in function and cannot be renamed"));
            }
            if is_std(a, def.file) {
                return Err(format!("`{name}` is declared in the stdlib and cannot be renamed"));
            }
            Ok((span, name))
        }
        Some(found @ Found::Attribute { .. }) if super::extended::definition(a, file, &found).is_some() => {
            let Found::Attribute { name, span, .. } = found else { unreachable!() };
            Ok((span, name))
        }
        Some(Found::EnumValue { value, span, .. }) => Ok((span, value)),
        Some(Found::Attribute { name, .. }) => {
            Err(format!("`{name}` is an attribute of the language and cannot be renamed"))
        }
        Some(Found::Import { .. }) => Err("an import path cannot be renamed".to_string()),
        None => Err("there is no name to rename here".to_string()),
    }
}

/// The edits that rename the name at `offset` to `new_name` everywhere in
/// the analysed files, or why that would be wrong: not an identifier, a
/// keyword, or a name that would clash with one the files already see.
pub fn rename(a: &Analysis, file: FileId, offset: usize, new_name: &str) -> Result<Vec<TextEdit>, String> {
    prepare_rename(a, file, offset)?;
    if !is_identifier(new_name) {
        return Err(if super::KEYWORDS.contains(&new_name) {
            format!("`{new_name}` is a keyword")
        } else {
            format!("`{new_name}` is not a name: use letters, digits and `_`, starting with a letter or `_`")
        });
    }
    let symbol = match find_at(a, file, offset) {
        Some(Found::Symbol { symbol, .. }) => symbol,
        Some(found @ (Found::Attribute { .. } | Found::EnumValue { .. })) => {
            return super::extended::rename(a, file, &found, new_name)
        }
        _ => return Err("there is no name to rename here".to_string()),
    };
    let (old_name, def) = a.model.symbol_def(symbol);
    if old_name == new_name {
        return Ok(Vec::new());
    }
    check_clash(a, symbol, def, new_name)?;
    let refs = symbol_references(a, symbol, true);
    check_shadowing(a, &refs, new_name)?;
    Ok(refs.into_iter().map(|at| TextEdit { at, replacement: new_name.to_string() }).collect())
}

/// A name is global in every file that sees the declaring file: the new
/// name must be free in all of them.
fn check_clash(a: &Analysis, symbol: Symbol, def: FileSpan, new_name: &str) -> Result<(), String> {
    if let Symbol::Decl(id) = symbol {
        let d = a.model.decl(id);
        if let Some(parent) = d.parent {
            // A nested name is local to its initiative.
            let siblings = &a.model.decl(parent).children;
            if siblings.iter().any(|c| a.model.decl(*c).name == new_name) {
                return Err(format!("`{}` already has a `{new_name}`", a.model.decl(parent).name));
            }
            return Ok(());
        }
    }
    for (f, _) in a.files.iter() {
        if !a.model.sees(f, def.file) {
            continue;
        }
        if let Some(other) = a.model.lookup(f, new_name) {
            if other != symbol {
                let (_, at) = a.model.symbol_def(other);
                return Err(format!(
                    "`{new_name}` is already declared ({} in `{}`)",
                    describe::signature(a, other),
                    short_path(&a.files.get(at.file).path)
                ));
            }
        }
    }
    Ok(())
}

/// Inside a gate or policy the subject's attributes shadow declarations:
/// renaming a KPI used there to `sponsor` would change what it means.
fn check_shadowing(a: &Analysis, refs: &[FileSpan], new_name: &str) -> Result<(), String> {
    for r in refs {
        let subject = a
            .model
            .gates
            .iter()
            .filter(|g| g.file == r.file && g.span.touches(r.span.start as usize))
            .map(|_| Kind::Initiative)
            .chain(
                a.model
                    .policies
                    .iter()
                    .filter(|p| p.file == r.file && p.span.touches(r.span.start as usize))
                    .filter_map(|p| p.subject),
            )
            .next();
        if let Some(kind) = subject {
            let is_attr = kind.attr(new_name).is_some() || kind.derived().iter().any(|(n, _)| *n == new_name);
            if is_attr {
                return Err(format!(
                    "`{new_name}` is an attribute of {}: in the criteria that use this name it would mean the attribute",
                    kind.with_article()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyse, at, ACME, PEOPLE};

    #[test]
    fn finds_definitions_across_files() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let (_, def) = definition(&a, file, at(ACME, "dana", 0, 1)).expect("dana resolves");
        assert_eq!(a.files.get(def.file).path, "people.compel");
        let (_, std) = definition(&a, file, at(ACME, "avg", 0, 0)).expect("avg resolves");
        assert_eq!(a.files.get(std.file).path, "std/builtins.compel");
    }

    #[test]
    fn references_and_rename_cover_every_use() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let offset = at(ACME, "accuracy", 1, 0);
        let refs = references(&a, file, offset, true);
        // Declared once, used in `kpis`, `require accuracy` and `avg(accuracy, 7d)`.
        assert_eq!(refs.len(), 4, "{refs:?}");
        let edits = rename(&a, file, offset, "top1").expect("rename is allowed");
        assert_eq!(edits.len(), 4);
        assert!(rename(&a, file, offset, "latency_p95").unwrap_err().contains("already declared"));
        assert!(rename(&a, file, offset, "CFO").unwrap_err().contains("already declared"));
        assert!(rename(&a, file, offset, "program").unwrap_err().contains("attribute of an initiative"));
        assert!(rename(&a, file, offset, "not").unwrap_err().contains("keyword"));
        assert!(rename(&a, file, offset, "9lives").unwrap_err().contains("not a name"));
        assert!(prepare_rename(&a, file, at(ACME, "avg", 0, 0)).is_err());
        assert!(prepare_rename(&a, file, at(ACME, "stage          model", 0, 16)).is_err());
    }
}
