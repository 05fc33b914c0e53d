//! Document highlights (every occurrence in this file of the name under
//! the cursor) and document links (each `import` to the file it loads).

use super::{find_at, navigation, Found};
use crate::analysis::{resolve_import, Analysis};
use crate::syntax::ast;
use crate::text::{FileId, Span};

/// How an occurrence uses the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// The declaring name.
    Definition,
    /// A reference to it.
    Reference,
    /// An attribute set or read (`target` in a KPI, `program.sponsor`).
    Attribute,
}

/// The occurrences in `file` of the name at `offset`, in source order.
pub fn highlights(a: &Analysis, file: FileId, offset: usize) -> Vec<(Span, Use)> {
    match find_at(a, file, offset) {
        Some(Found::Symbol { symbol, .. }) => {
            let def = a.model.symbol_def(symbol).1;
            navigation::symbol_references(a, symbol, true)
                .into_iter()
                .filter(|r| r.file == file)
                .map(|r| (r.span, if r == def { Use::Definition } else { Use::Reference }))
                .collect()
        }
        Some(Found::Attribute { .. }) => navigation::references(a, file, offset, true)
            .into_iter()
            .filter(|r| r.file == file)
            .map(|r| (r.span, Use::Attribute))
            .collect(),
        Some(Found::Import { .. }) | None => Vec::new(),
    }
}

/// An import's path and the file it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportLink {
    /// The path inside the quotes.
    pub span: Span,
    /// The analysis path of the file: a normalised path, or `std/NAME.compel`.
    pub target: String,
    /// Whether the analysis loaded it (a file that does not exist or lies
    /// outside the project is not).
    pub loaded: bool,
}

/// The imports of `file`.
pub fn import_links(a: &Analysis, file: FileId) -> Vec<ImportLink> {
    let Some(tree) = a.asts.get(file.0 as usize) else { return Vec::new() };
    let importer = &a.files.get(file).path;
    tree.items
        .iter()
        .filter_map(|item| match item {
            ast::Item::Import(i) => {
                let target = resolve_import(importer, &i.path.value);
                let s = i.path.span;
                let span = if s.len() >= 2 { Span::new(s.start as usize + 1, s.end as usize - 1) } else { s };
                let loaded = a.files.find(&target).is_some();
                Some(ImportLink { span, target, loaded })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{analyse, at, ACME, PEOPLE};
    use super::*;

    #[test]
    fn a_kpi_in_its_declaration_and_its_criteria() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let got = highlights(&a, file, at(ACME, "kpi accuracy", 0, 5));
        let uses: Vec<(&str, Use)> = got.iter().map(|(s, u)| (&ACME[s.range()], *u)).collect();
        assert_eq!(uses.len(), 4, "{uses:?}");
        assert_eq!(uses[0], ("accuracy", Use::Definition));
        assert!(uses[1..].iter().all(|u| *u == ("accuracy", Use::Reference)), "{uses:?}");
        let people = a.files.find("people.compel").unwrap();
        // `dana` in acme.compel highlights only acme's occurrence.
        let got = highlights(&a, file, at(ACME, "dana", 0, 1));
        assert_eq!(got.len(), 1);
        assert_ne!(people, file);
    }

    #[test]
    fn imports_link_to_their_files() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let links = import_links(&a, file);
        let got: Vec<(&str, &str, bool)> =
            links.iter().map(|l| (&ACME[l.span.range()], l.target.as_str(), l.loaded)).collect();
        assert_eq!(got, [("people.compel", "people.compel", true), ("std/policies", "std/policies.compel", true)]);
    }
}
