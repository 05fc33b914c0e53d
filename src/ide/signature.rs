//! Signature help for built-in calls: `avg(kpi: kpi, window: duration)`
//! with the argument being written highlighted.

use super::completion::Source;
use super::context::{self, TokKind};

/// The signature of the call around the cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct SignatureHelp {
    /// The whole signature.
    pub label: String,
    /// Each parameter's byte range within `label`.
    pub params: Vec<(usize, usize)>,
    /// The parameter being written.
    pub active: usize,
    /// The built-in's docs.
    pub doc: Option<String>,
}

/// Signature help at `offset` in `text`.
pub fn signature_help(sources: &[Source<'_>], text: &str, offset: usize) -> Option<SignatureHelp> {
    let scan = context::scan(text, offset);
    if scan.in_comment || scan.in_string.is_some() {
        return None;
    }
    let i = scan.frames.iter().rposition(|f| f.open == b'(')?;
    // Only the innermost bracket counts: inside `[ ]` within a call there
    // is no parameter to show.
    if i + 1 != scan.frames.len() {
        return None;
    }
    let func = scan.frames[i].header.last().filter(|t| t.kind == TokKind::Word)?;
    let builtin = sources.iter().find_map(|s| s.analysis.model.builtins.iter().find(|b| b.name == func.text))?;
    let inside = scan.inside(i);
    let quantifier = matches!(inside, [v, kw, ..] if v.kind == TokKind::Word && kw.text == "in");
    let active = if quantifier {
        usize::from(inside.iter().any(|t| t.text == ":"))
    } else {
        inside.iter().filter(|t| t.kind == TokKind::Punct && t.text == ",").count()
    };
    let label = builtin.signature();
    let mut params = Vec::new();
    let mut at = builtin.name.len() + 1;
    for (name, ty) in &builtin.params {
        let len = name.len() + 2 + ty.len();
        params.push((at, at + len));
        at += len + 2;
    }
    let active = active.min(params.len().saturating_sub(1));
    Some(SignatureHelp { label, params, active, doc: builtin.doc.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyse, ACME, PEOPLE};

    #[test]
    fn shows_the_active_parameter() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let sources = [Source { analysis: &a, file: Some(file) }];
        let text = "gate model -> produce {\n  require avg(accuracy, 7";
        let help = signature_help(&sources, text, text.len()).expect("inside a call");
        assert_eq!(help.label, "avg(kpi: kpi, window: duration) -> measure");
        assert_eq!(help.active, 1);
        let (s, e) = help.params[1];
        assert_eq!(&help.label[s..e], "window: duration");
        let text = "gate model -> produce {\n  require all(d in datasets: d.";
        assert_eq!(signature_help(&sources, text, text.len()).map(|h| h.active), Some(1));
    }
}
