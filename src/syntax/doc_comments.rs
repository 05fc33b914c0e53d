//! `///` comments attached to the item or member they document.

use super::ast::*;
use crate::text::Span;

/// Attaches `///` comments to the declaration, gate, policy, let or builtin
/// that follows them with nothing but whitespace in between.
pub(super) fn attach_docs(text: &str, file: &mut File) {
    let docs: Vec<&Comment> = file.comments.iter().filter(|c| c.doc).collect();
    if docs.is_empty() {
        return;
    }
    let find = |start: u32| -> Option<Doc> {
        // The doc comments that end right before `start`, walking backwards.
        let idx = docs.partition_point(|c| c.span.end <= start);
        let mut i = idx;
        let mut cursor = start as usize;
        let mut lines = Vec::new();
        let mut first = None;
        while i > 0 {
            let c = docs[i - 1];
            if !text[c.span.end as usize..cursor].trim().is_empty() {
                break;
            }
            let line = &text[c.span.range()];
            let body = line.strip_prefix("///").unwrap_or(line);
            // Trailing whitespace is not part of the text (the formatter
            // drops it, and the tree must not change when it does).
            lines.push(body.strip_prefix(' ').unwrap_or(body).trim_end().to_string());
            first = Some(c.span.start);
            cursor = c.span.start as usize;
            i -= 1;
        }
        let first = first?;
        let last_end = docs[idx - 1].span.end;
        lines.reverse();
        Some(Doc { text: lines.join("\n"), span: Span { start: first, end: last_end } })
    };
    for item in &mut file.items {
        match item {
            Item::Decl(d) => attach_decl(std::sync::Arc::make_mut(d), &find),
            Item::Gate(g) => g.doc = find(g.span.start),
            Item::Policy(p) => p.doc = find(p.span.start),
            Item::Let(l) => l.doc = find(l.span.start),
            Item::Builtin(b) => b.doc = find(b.span.start),
            Item::Extend(x) => {
                x.doc = find(x.span.start);
                for a in &mut x.attrs {
                    a.doc = find(a.span.start);
                }
            }
            _ => {}
        }
    }
}

fn attach_decl(d: &mut Decl, find: &dyn Fn(u32) -> Option<Doc>) {
    d.doc = find(d.span.start);
    for m in &mut d.members {
        match m {
            Member::Decl(n) => attach_decl(n, find),
            Member::Gate(g) => g.doc = find(g.span.start),
            Member::Attr(_) => {}
        }
    }
}
