//! Unit tests of the parser.

use super::*;

fn p(src: &str) -> (File, Vec<Diagnostic>) {
    parse(FileId(0), src, ParseLimits::default())
}

#[test]
fn parses_the_reference_example() {
    let src = include_str!("../../../examples/acme/acme.compel");
    let (file, diags) = p(src);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(file.items.len(), 9);
    let Item::Decl(program) = &file.items[2] else { panic!("not a decl") };
    assert_eq!(
        program.doc.as_ref().map(|d| d.text.as_str()),
        Some("Fraud-loss reduction: the board-level AI program.")
    );
}

#[test]
fn recovers_after_a_broken_declaration() {
    let (file, diags) = p("kpi a {\n  target >=\n}\n\nkpi b {\n  metric \"m\"\n}\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "expected an expression, found the end of the line");
    assert_eq!(diags[0].primary.span, Span::new(19, 19));
    // The declaration is kept, with its broken line.
    let Item::Decl(a) = &file.items[0] else { panic!("not a decl: {:?}", file.items[0]) };
    assert_eq!((a.name.name.as_str(), a.members.len(), a.broken.len()), ("a", 0, 1));
    assert_eq!(a.broken[0].word.as_ref().map(|w| w.name.as_str()), Some("target"));
    assert!(matches!(file.items[1], Item::Decl(_)));
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    let src = format!("let x = {}1{}\n", "(".repeat(20_000), ")".repeat(20_000));
    let (_, diags) = p(&src);
    assert_eq!(diags[0].code, Code::LimitExceeded);
}
