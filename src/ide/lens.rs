//! What code lenses sit above: gates (**Evaluate gate**) and test blocks
//! (**Run test**). The host turns them into commands and runs them.

use crate::syntax::ast;
use crate::text::Span;

/// A place for a lens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LensTarget {
    /// A gate: its header's span, its initiative (`None` for a top-level
    /// gate, which applies to every initiative at its stage), its stages.
    Gate {
        /// `gate FROM -> TO`.
        span: Span,
        /// The initiative declaring it.
        initiative: Option<String>,
        /// The stage left.
        from: String,
        /// The stage entered.
        to: String,
    },
    /// A test block: the span of `test "NAME"` and its name.
    Test {
        /// `test "NAME"`.
        span: Span,
        /// The test's name.
        name: String,
    },
}

/// The gates and tests of a file, in source order.
pub fn lens_targets(tree: &ast::File) -> Vec<LensTarget> {
    let mut out = Vec::new();
    let gate = |g: &ast::Gate, initiative: Option<&str>| LensTarget::Gate {
        span: Span::new(g.span.start as usize, g.to.span.end as usize),
        initiative: initiative.map(str::to_string),
        from: g.from.name.clone(),
        to: g.to.name.clone(),
    };
    for item in &tree.items {
        match item {
            ast::Item::Gate(g) => out.push(gate(g, None)),
            ast::Item::Decl(d) => {
                for m in &d.members {
                    if let ast::Member::Gate(g) = m {
                        out.push(gate(g, Some(&d.name.name)));
                    }
                }
            }
            ast::Item::Test(t) => out.push(LensTarget::Test {
                span: Span::new(t.span.start as usize, t.name.span.end as usize),
                name: t.name.value.clone(),
            }),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_of_initiatives_top_level_gates_and_tests() {
        let text = "gate model -> produce {\n  require true\n}\n\ninitiative i {\n  stage model\n  gate model -> produce {\n    require true\n  }\n}\n\ntest \"t\" {\n  now 2026-11-24T00:00:00Z\n}\n";
        let (tree, _) = crate::syntax::parse(crate::text::FileId(0), text, crate::syntax::ParseLimits::default());
        let got = lens_targets(&tree);
        let spans: Vec<&str> = got
            .iter()
            .map(|t| match t {
                LensTarget::Gate { span, .. } | LensTarget::Test { span, .. } => &text[span.range()],
            })
            .collect();
        assert_eq!(spans, ["gate model -> produce", "gate model -> produce", "test \"t\""]);
        assert!(matches!(&got[1], LensTarget::Gate { initiative: Some(i), .. } if i == "i"));
        assert!(matches!(&got[0], LensTarget::Gate { initiative: None, .. }));
    }
}
