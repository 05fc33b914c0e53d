//! Semantic tokens: every token of a file classified, names by what they
//! resolve to.
//!
//! The text is lexed as it is now (by the one lexer, [`lexer`]); names are classified by the checker's
//! definitions and references, carried over from the analysed text by an
//! [`OffsetMap`] (a name the last analysis did not see gets a lexical
//! guess or nothing, so the editor's grammar colours it).

use std::collections::HashMap;

use super::OffsetMap;
use crate::analysis::Analysis;
use crate::check::{Kind, Symbol, Target};
use crate::stdlib;
use crate::syntax::lexer::{self, TokenKind};
use crate::text::{FileId, Span};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// A keyword.
    Keyword,
    /// A kind word (`kpi`, `initiative`).
    Kind,
    /// An attribute name.
    Attribute,
    /// A program.
    Program,
    /// A Center of Excellence.
    Coe,
    /// A person.
    Person,
    /// A KPI.
    Kpi,
    /// An initiative.
    Initiative,
    /// A dataset.
    Dataset,
    /// A monitor.
    Monitor,
    /// A stage, role, function or monitor kind (the stdlib's enumerations).
    Enum,
    /// A policy.
    Policy,
    /// A `let` constant.
    Constant,
    /// A built-in function.
    Function,
    /// A quantifier variable.
    Variable,
    /// A string.
    String,
    /// A number, date, quantity or money.
    Number,
    /// A comment.
    Comment,
    /// An operator.
    Operator,
}

/// Modifier bit: the declaring occurrence.
pub const DECLARATION: u32 = 1;
/// Modifier bit: a doc comment.
pub const DOCUMENTATION: u32 = 2;
/// Modifier bit: declared in the stdlib.
pub const DEFAULT_LIBRARY: u32 = 4;
/// Modifier bit: a constant.
pub const READONLY: u32 = 8;

/// A classified token. Tokens never span lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    /// Where it is in the current text.
    pub span: Span,
    /// What it is.
    pub ty: TokenType,
    /// Modifier bits.
    pub modifiers: u32,
}

/// Whether a word is a keyword to the editor: reserved, or a word of
/// `test` blocks.
fn is_keyword(word: &str) -> bool {
    lexer::is_reserved(word) || lexer::TEST_WORDS.contains(&word)
}

/// The tokens of `text` (the editor's current text). `analysed` is the
/// analysis and the file in it; `map` relates the analysed text to `text`.
pub fn semantic_tokens(analysed: Option<(&Analysis, FileId)>, text: &str, map: &OffsetMap) -> Vec<SemanticToken> {
    let names = analysed.map(|(a, f)| classify_names(a, f, map)).unwrap_or_default();
    let mut out = Vec::new();
    // Quantifier variables: name and the bracket depth that binds them.
    let mut vars: Vec<(&str, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut last_was_number_on_line = false;
    for token in lexer::tokens(text) {
        let (i, j) = (token.start(), token.end());
        match token.kind {
            TokenKind::Newline => last_was_number_on_line = false,
            TokenKind::Comment { doc } => {
                let end = if text[i..j].ends_with('\r') { j - 1 } else { j };
                out.push(tok(i, end, TokenType::Comment, if doc { DOCUMENTATION } else { 0 }));
            }
            TokenKind::Str { .. } => {
                out.push(tok(i, j, TokenType::String, 0));
                last_was_number_on_line = false;
            }
            TokenKind::Number => {
                out.push(tok(i, j, TokenType::Number, 0));
                last_was_number_on_line = true;
            }
            TokenKind::Word => {
                let word = &text[i..j];
                let next = text[j..].trim_start_matches([' ', '\t']);
                if let Some((ty, mods)) = names.get(&(i as u32)) {
                    out.push(tok(i, j, *ty, *mods));
                } else if last_was_number_on_line && word.len() == 3 && word.bytes().all(|c| c.is_ascii_uppercase()) {
                    out.push(tok(i, j, TokenType::Number, 0));
                } else if vars.iter().any(|(v, _)| *v == word) {
                    out.push(tok(i, j, TokenType::Variable, 0));
                } else if is_binder(text, i, j) {
                    vars.push((word, depth));
                    out.push(tok(i, j, TokenType::Variable, DECLARATION));
                } else if is_keyword(word)
                    || word == crate::check::types::SELF
                    || (word == "extend" && extends_a_kind(next))
                    // `avg(auc, 30d, offset 30d)`: a keyword inside a call.
                    || (word == "offset" && depth > 0 && next.starts_with(|c: char| c.is_ascii_digit() || c.is_alphabetic() || c == '('))
                {
                    out.push(tok(i, j, TokenType::Keyword, 0));
                } else if Kind::parse(word).is_some() && starts_declaration(next) {
                    out.push(tok(i, j, TokenType::Kind, 0));
                }
                last_was_number_on_line = false;
            }
            TokenKind::Open(_) => depth += 1,
            TokenKind::Close(_) => {
                vars.retain(|(_, d)| *d < depth);
                depth = depth.saturating_sub(1);
            }
            TokenKind::Punct => {
                if matches!(text.as_bytes()[i], b'<' | b'>' | b'=' | b'!' | b'+' | b'-' | b'*' | b'/') {
                    out.push(tok(i, j, TokenType::Operator, 0));
                }
            }
        }
    }
    out
}

fn tok(start: usize, end: usize, ty: TokenType, modifiers: u32) -> SemanticToken {
    SemanticToken { span: Span::new(start, end), ty, modifiers }
}

/// `x` in `(x in`: the word binds a quantifier variable.
fn is_binder(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].trim_end_matches([' ', '\t']);
    let after = text[end..].trim_start_matches([' ', '\t']);
    before.ends_with('(')
        && after.starts_with("in")
        && !after[2..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
}

/// `KIND {`: what follows `extend` when it starts an extension.
fn extends_a_kind(next: &str) -> bool {
    let len = next.bytes().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
    Kind::parse(&next[..len]).is_some() && next[len..].trim_start().starts_with('{')
}

/// `NAME {`: what follows a kind word that starts a declaration.
fn starts_declaration(next: &str) -> bool {
    let name_len = next.bytes().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
    name_len > 0 && next[name_len..].trim_start().starts_with('{')
}

fn classify_names(a: &Analysis, file: FileId, map: &OffsetMap) -> HashMap<u32, (TokenType, u32)> {
    let mut out = HashMap::new();
    let mut put = |span: Span, class: (TokenType, u32)| {
        if let Some(s) = map.span_to_new(span) {
            out.insert(s.start, class);
        }
    };
    for r in &a.model.references {
        if r.at.file != file {
            continue;
        }
        match &r.target {
            Target::Symbol(sym) => put(r.at.span, symbol_class(a, *sym)),
            Target::Attribute(..) => put(r.at.span, (TokenType::Attribute, 0)),
            Target::EnumValue { .. } => put(r.at.span, (TokenType::Enum, 0)),
            Target::Scoped(_) => {}
        }
    }
    for x in a.model.extensions.iter().filter(|x| x.file == file) {
        for attr in &x.attrs {
            put(attr.name_span, (TokenType::Attribute, DECLARATION));
            for (_, span) in &attr.values {
                put(*span, (TokenType::Enum, DECLARATION));
            }
        }
    }
    for (at, sym) in &a.model.definitions {
        if at.file == file {
            let (ty, mods) = symbol_class(a, *sym);
            put(at.span, (ty, mods | DECLARATION));
        }
    }
    out
}

fn symbol_class(a: &Analysis, sym: Symbol) -> (TokenType, u32) {
    let std = if stdlib::is_std_path(&a.files.get(a.model.symbol_def(sym).1.file).path) { DEFAULT_LIBRARY } else { 0 };
    let ty = match sym {
        Symbol::Decl(id) => match a.model.decl(id).kind {
            Kind::Program => TokenType::Program,
            Kind::Coe => TokenType::Coe,
            Kind::Person => TokenType::Person,
            Kind::Kpi => TokenType::Kpi,
            Kind::Initiative => TokenType::Initiative,
            Kind::Dataset => TokenType::Dataset,
            Kind::Monitor => TokenType::Monitor,
            Kind::Evidence => TokenType::Dataset,
            Kind::Stage | Kind::Role | Kind::Function | Kind::MonitorKind | Kind::EvidenceKind => TokenType::Enum,
        },
        Symbol::Policy(_) => TokenType::Policy,
        Symbol::Let(_) => return (TokenType::Constant, std | READONLY),
        Symbol::Builtin(_) => TokenType::Function,
    };
    (ty, std)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyse, ACME, PEOPLE};

    #[test]
    fn classifies_by_resolution() {
        let (a, file) = analyse(&[("acme.compel", ACME), ("people.compel", PEOPLE)]);
        let tokens = semantic_tokens(Some((&a, file)), ACME, &OffsetMap::identity(ACME.len()));
        let find = |word: &str, n: usize| {
            let at = ACME.match_indices(word).nth(n).map(|(i, _)| i as u32).expect("present");
            tokens.iter().find(|t| t.span.start == at).map(|t| (t.ty, t.modifiers))
        };
        assert_eq!(find("program fraud_ai", 0), Some((TokenType::Kind, 0)));
        assert_eq!(find("fraud_ai", 0), Some((TokenType::Program, DECLARATION)));
        assert_eq!(find("dana", 0), Some((TokenType::Person, 0)));
        assert_eq!(find("sponsor", 0), Some((TokenType::Attribute, 0)));
        assert_eq!(find("avg", 0), Some((TokenType::Function, DEFAULT_LIBRARY)));
        assert_eq!(find("model ->", 0), Some((TokenType::Enum, DEFAULT_LIBRARY)));
        assert_eq!(find("92%", 0), Some((TokenType::Number, 0)));
        assert_eq!(find("1_200_000 USD", 0), Some((TokenType::Number, 0)));
        assert_eq!(find("/// Top-1", 0), Some((TokenType::Comment, DOCUMENTATION)));
        assert_eq!(find("require", 0), Some((TokenType::Keyword, 0)));
        // Tokens are sorted and never overlap.
        assert!(tokens.windows(2).all(|w| w[0].span.end <= w[1].span.start));
    }
}
