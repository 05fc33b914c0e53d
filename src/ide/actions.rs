//! Code actions: the fixes the checker attaches to its diagnostics ("did
//! you mean `accuracy`?", "add `sponsor`") offered as quick fixes.

use super::TextEdit;
use crate::analysis::Analysis;
use crate::diag::Code;
use crate::text::{FileId, Span};

/// A quick fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// The title shown in the menu.
    pub title: String,
    /// The index of the diagnostic it fixes, in `analysis.diagnostics`.
    pub diagnostic: usize,
    /// The edits.
    pub edits: Vec<TextEdit>,
    /// Whether the editor may apply it without asking (one obvious fix).
    pub preferred: bool,
}

/// The quick fixes for the diagnostics of `file` that touch `range`, plus,
/// when a declaration misses several required attributes, one action that
/// adds them all.
pub fn quick_fixes(a: &Analysis, file: FileId, range: Span) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for (i, d) in a.diagnostics.iter().enumerate() {
        let Some(fix) = &d.fix else { continue };
        if d.primary.file != file || !overlaps(d.primary.span, range) {
            continue;
        }
        let edits: Vec<TextEdit> =
            fix.edits.iter().map(|e| TextEdit { at: e.at, replacement: e.replacement.clone() }).collect();
        out.push(Action { title: fix.title.clone(), diagnostic: i, edits, preferred: true });
    }
    // Several missing attributes on one declaration: also offer them all.
    let missing: Vec<&Action> =
        out.iter().filter(|act| a.diagnostics[act.diagnostic].code == Code::MissingAttribute).collect();
    if missing.len() > 1 {
        let first = missing[0];
        let same_place =
            missing.iter().all(|m| a.diagnostics[m.diagnostic].primary == a.diagnostics[first.diagnostic].primary);
        if same_place {
            let mut edits: Vec<TextEdit> = Vec::new();
            for m in &missing {
                edits.extend(m.edits.iter().cloned());
            }
            // Inserts at one point: merge them into one, in order.
            let merged = merge_inserts(edits);
            out.push(Action {
                title: "add all missing attributes".to_string(),
                diagnostic: first.diagnostic,
                edits: merged,
                preferred: false,
            });
        }
    }
    if out.len() > 1 {
        for act in &mut out {
            act.preferred = false;
        }
    }
    out
}

fn merge_inserts(edits: Vec<TextEdit>) -> Vec<TextEdit> {
    let mut out: Vec<TextEdit> = Vec::new();
    for e in edits {
        match out.iter_mut().find(|o| o.at == e.at && o.at.span.is_empty()) {
            Some(o) => o.replacement.push_str(&e.replacement),
            None => out.push(e),
        }
    }
    out
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start <= b.end && b.start <= a.end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyse, at};

    #[test]
    fn offers_the_checkers_fixes() {
        let src = "kpi accuracy {\n  metric \"m\"\n  target >= 92%\n}\ninitiative i {\n  owner \"x\"\n  stage model\n  kpis [acuracy]\n}\nprogram p {}\n";
        let (a, file) = analyse(&[("a.compel", src)]);
        let offset = at(src, "acuracy", 0, 2);
        let fixes = quick_fixes(&a, file, Span::new(offset, offset));
        assert_eq!(fixes.len(), 1, "{fixes:?}");
        assert_eq!(fixes[0].title, "change to `accuracy`");
        assert_eq!(fixes[0].edits[0].replacement, "accuracy");
        let offset = at(src, "program p", 0, 8);
        let fixes = quick_fixes(&a, file, Span::new(offset, offset));
        assert_eq!(fixes[0].title, "add `sponsor`", "{fixes:?}");
    }
}
