//! Who governs a file: a file that declares programs or initiatives but
//! sees no policy and no top-level gate is governed by nothing. That is
//! almost always a forgotten `import "std/policies"` (or of the
//! organisation's set), and without this warning its policies would
//! silently vanish from `check` and from the report.

use super::{Kind, Model};
use crate::diag::{Code, Diagnostic, Edit, Fix};
use crate::syntax::ast;
use crate::text::{FileSpan, Files, Span};

/// One warning per file whose programs and initiatives nothing governs.
pub(super) fn ungoverned(model: &Model, files: &Files, asts: &[ast::File]) -> Vec<Diagnostic> {
    let mut governing = vec![false; files.len()];
    for p in &model.policies {
        governing[p.file.0 as usize] = true;
    }
    for g in model.gates.iter().filter(|g| g.owner.is_none()) {
        governing[g.file.0 as usize] = true;
    }
    // Each file's top-level programs and initiatives, in order.
    let mut subjects: Vec<Vec<&super::Decl>> = vec![Vec::new(); files.len()];
    for d in model.decls.iter().filter(|d| d.parent.is_none() && matches!(d.kind, Kind::Program | Kind::Initiative)) {
        subjects[d.file.0 as usize].push(d);
    }
    let mut out = Vec::new();
    for (f, subjects) in subjects.iter().enumerate() {
        let Some(d) = subjects.first() else { continue };
        if model.visible[f].iter().any(|v| governing[v.0 as usize]) {
            continue;
        }
        let names: Vec<String> = subjects.iter().map(|s| format!("{} `{}`", s.kind.as_str(), s.name)).collect();
        let shown = match names.as_slice() {
            [one] => one.clone(),
            [first, second] => format!("{first} and {second}"),
            [first, second, rest @ ..] => format!("{first}, {second} and {} more", rest.len()),
            [] => continue,
        };
        let at = FileSpan::new(d.file, d.name_span);
        out.push(
            Diagnostic::new(
                Code::Ungoverned,
                at,
                format!("nothing governs {shown}: this file sees no policy and no top-level gate"),
            )
            .with_primary_label("forgotten `import \"std/policies\"`?")
            .with_help(
                "import the policies that apply (`import \"std/policies\"` or your organisation's set), \
                     or name the sets every file follows in `[project] policies` of compel.toml",
            )
            .with_fix(Fix {
                title: "import \"std/policies\"".to_string(),
                edits: vec![Edit {
                    at: FileSpan::new(d.file, import_point(&asts[f])),
                    replacement: "import \"std/policies\"\n".to_string(),
                }],
            }),
        );
    }
    out
}

/// Where a new import goes: before the file's first import, else at the
/// top of the file.
fn import_point(file: &ast::File) -> Span {
    let at = file
        .items
        .iter()
        .find_map(|i| match i {
            ast::Item::Import(i) => Some(i.span.start),
            _ => None,
        })
        .unwrap_or(0);
    Span { start: at, end: at }
}
