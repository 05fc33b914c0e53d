//! The edge between our types and the protocol's: positions in UTF-16 (or
//! UTF-8 when negotiated), diagnostics, completion items, symbol kinds.
//! The only code in the crate that knows UTF-16.

use tower_lsp::lsp_types as lsp;

use crate::check::Kind;
use crate::diag::{Diagnostic, Severity};
use crate::ide::completion::{CompletionItem, ItemKind};
use crate::ide::symbols::SymbolKind;
use crate::ide::tokens::{self, TokenType};
use crate::text::{LineIndex, Span};

/// How positions count characters within a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-16 code units: the protocol's default.
    Utf16,
    /// Bytes, when the client offers `utf-8`.
    Utf8,
}

impl Encoding {
    /// The protocol's name.
    pub fn kind(self) -> lsp::PositionEncodingKind {
        match self {
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        }
    }

    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf8 => c.len_utf8(),
        }
    }
}

/// A text with its line index, for converting positions.
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    /// The text.
    pub text: &'a str,
    /// Its line starts.
    pub index: &'a LineIndex,
    /// How columns count.
    pub encoding: Encoding,
}

impl Lines<'_> {
    /// The content of 0-based `line`, without its line break.
    fn line(&self, line: usize) -> (usize, &str) {
        let start = self.index.line_start(line);
        let end =
            if line + 1 < self.index.line_count() { self.index.line_start(line + 1) - 1 } else { self.text.len() };
        let end = end.max(start);
        let content = &self.text[start..end];
        (start, content.strip_suffix('\r').unwrap_or(content))
    }

    /// The byte offset of a position, clamped into the text: a line past
    /// the end is the end of the text, a column past the line's end is the
    /// line's end, a column inside a character is that character's start.
    pub fn offset(&self, pos: lsp::Position) -> usize {
        let line = pos.line as usize;
        if line >= self.index.line_count() {
            return self.text.len();
        }
        let (start, content) = self.line(line);
        let want = pos.character as usize;
        let mut units = 0;
        for (i, c) in content.char_indices() {
            let next = units + self.encoding.units(c);
            if next > want {
                return start + i;
            }
            units = next;
        }
        start + content.len()
    }

    /// The position of a byte offset (clamped to the text and to a
    /// character boundary).
    pub fn position(&self, offset: usize) -> lsp::Position {
        let offset = crate::text::clamp_to_char_boundary(self.text, offset);
        let line = self.index.line_of(offset);
        let start = self.index.line_start(line);
        let character: usize = match self.encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => self.text[start..offset].chars().map(char::len_utf16).sum(),
        };
        lsp::Position { line: line as u32, character: character as u32 }
    }

    /// The range of a span.
    pub fn range(&self, span: Span) -> lsp::Range {
        lsp::Range { start: self.position(span.start as usize), end: self.position(span.end as usize) }
    }

    /// The span of a range (ends swapped if reversed).
    pub fn span(&self, range: lsp::Range) -> Span {
        let (a, b) = (self.offset(range.start), self.offset(range.end));
        Span::new(a.min(b), a.max(b))
    }

    /// The length of a one-line span in the encoding's units.
    pub fn len(&self, span: Span) -> u32 {
        let s = self.text.get(span.range()).unwrap_or("");
        match self.encoding {
            Encoding::Utf8 => s.len() as u32,
            Encoding::Utf16 => s.chars().map(char::len_utf16).sum::<usize>() as u32,
        }
    }
}

/// A diagnostic's severity.
pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Note => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// Converts a diagnostic. `lines` is its primary file; `related` converts
/// a secondary label's location (it may be in another file); `explain` is
/// the link to the code's explanation, when there is one.
pub fn diagnostic(
    d: &Diagnostic,
    lines: &Lines<'_>,
    related: &dyn Fn(crate::text::FileSpan) -> Option<lsp::Location>,
    explain: Option<lsp::Url>,
) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related_information: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            Some(lsp::DiagnosticRelatedInformation { location: related(l.at)?, message: l.message.clone() })
        })
        .collect();
    lsp::Diagnostic {
        range: lines.range(d.primary.span),
        severity: Some(severity(d.severity)),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
        code_description: explain.map(|href| lsp::CodeDescription { href }),
        source: Some("compel".to_string()),
        message,
        related_information: if related_information.is_empty() { None } else { Some(related_information) },
        tags: None,
        data: None,
    }
}

/// The protocol's kind for a completion item.
pub fn completion_kind(k: ItemKind) -> lsp::CompletionItemKind {
    use lsp::CompletionItemKind as C;
    match k {
        ItemKind::Keyword => C::KEYWORD,
        ItemKind::Snippet => C::SNIPPET,
        ItemKind::Attribute => C::PROPERTY,
        ItemKind::Decl(Kind::Kpi) => C::VARIABLE,
        ItemKind::Decl(Kind::Person) => C::CLASS,
        ItemKind::Decl(Kind::Program | Kind::Coe) => C::MODULE,
        ItemKind::Decl(Kind::Initiative) => C::CLASS,
        ItemKind::Decl(Kind::Dataset | Kind::Monitor | Kind::Evidence) => C::STRUCT,
        ItemKind::Decl(Kind::Stage | Kind::Role | Kind::Function | Kind::MonitorKind | Kind::EvidenceKind) => {
            C::ENUM_MEMBER
        }
        ItemKind::Policy => C::INTERFACE,
        ItemKind::Let => C::CONSTANT,
        ItemKind::Function => C::FUNCTION,
        ItemKind::Unit => C::UNIT,
        ItemKind::Value => C::VALUE,
        ItemKind::Variable => C::VARIABLE,
        ItemKind::Module => C::MODULE,
        ItemKind::Kind => C::KEYWORD,
    }
}

/// Removes snippet syntax for clients without snippet support:
/// `${1:name}` becomes `name`, `${2|a,b|}` becomes `a`, `$0` goes.
pub fn strip_snippet(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').unwrap_or(body.len());
            let server = &body[..end];
            let text = match server.split_once(':') {
                Some((_, default)) => default,
                None => match server.split_once('|') {
                    Some((_, choices)) => choices.split([',', '|']).next().unwrap_or(""),
                    None => "",
                },
            };
            out.push_str(text);
            rest = body.get(end + 1..).unwrap_or("");
        } else {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            rest = &after[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Converts a completion item. An item whose documentation is left for
/// later carries the document and the symbol in `data`, for
/// `completionItem/resolve`.
pub fn completion(item: CompletionItem, lines: &Lines<'_>, snippets: bool, uri: &str) -> lsp::CompletionItem {
    let (new_text, format) = if item.snippet && snippets {
        (item.insert, lsp::InsertTextFormat::SNIPPET)
    } else if item.snippet {
        (strip_snippet(&item.insert), lsp::InsertTextFormat::PLAIN_TEXT)
    } else {
        (item.insert, lsp::InsertTextFormat::PLAIN_TEXT)
    };
    lsp::CompletionItem {
        label: item.label,
        kind: Some(completion_kind(item.kind)),
        detail: item.detail,
        documentation: item.documentation.map(|value| {
            lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value })
        }),
        preselect: if item.preselect { Some(true) } else { None },
        sort_text: Some(item.sort),
        insert_text_format: Some(format),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range: lines.range(item.range), new_text })),
        data: item.symbol.map(|symbol| serde_json::json!({ "uri": uri, "symbol": symbol })),
        ..lsp::CompletionItem::default()
    }
}

/// The protocol's kind for a symbol.
pub fn symbol_kind(k: SymbolKind) -> lsp::SymbolKind {
    use lsp::SymbolKind as S;
    match k {
        SymbolKind::Decl(Kind::Program) => S::MODULE,
        SymbolKind::Decl(Kind::Coe) => S::NAMESPACE,
        SymbolKind::Decl(Kind::Person) => S::OBJECT,
        SymbolKind::Decl(Kind::Kpi) => S::VARIABLE,
        SymbolKind::Decl(Kind::Initiative) => S::CLASS,
        SymbolKind::Decl(Kind::Dataset) => S::STRUCT,
        SymbolKind::Decl(Kind::Monitor) => S::EVENT,
        SymbolKind::Decl(Kind::Evidence) => S::FILE,
        SymbolKind::Decl(Kind::Stage | Kind::Role | Kind::Function | Kind::MonitorKind | Kind::EvidenceKind) => {
            S::ENUM_MEMBER
        }
        SymbolKind::UnknownDecl => S::OBJECT,
        SymbolKind::Gate => S::INTERFACE,
        SymbolKind::Policy => S::INTERFACE,
        SymbolKind::Let => S::CONSTANT,
        SymbolKind::Builtin => S::FUNCTION,
        SymbolKind::Test => S::METHOD,
        SymbolKind::Extension => S::STRUCT,
        SymbolKind::ExtAttribute => S::PROPERTY,
    }
}

/// The semantic token types, in legend order.
pub const TOKEN_TYPES: &[lsp::SemanticTokenType] = &[
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::TYPE,
    lsp::SemanticTokenType::PROPERTY,
    lsp::SemanticTokenType::NAMESPACE,
    lsp::SemanticTokenType::CLASS,
    lsp::SemanticTokenType::VARIABLE,
    lsp::SemanticTokenType::STRUCT,
    lsp::SemanticTokenType::EVENT,
    lsp::SemanticTokenType::ENUM_MEMBER,
    lsp::SemanticTokenType::INTERFACE,
    lsp::SemanticTokenType::FUNCTION,
    lsp::SemanticTokenType::PARAMETER,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::COMMENT,
    lsp::SemanticTokenType::OPERATOR,
];

/// The semantic token modifiers, in legend order (bit `1 << i`).
pub const TOKEN_MODIFIERS: &[lsp::SemanticTokenModifier] = &[
    lsp::SemanticTokenModifier::DECLARATION,
    lsp::SemanticTokenModifier::DOCUMENTATION,
    lsp::SemanticTokenModifier::DEFAULT_LIBRARY,
    lsp::SemanticTokenModifier::READONLY,
];

fn token_type_index(t: TokenType) -> u32 {
    match t {
        TokenType::Keyword => 0,
        TokenType::Kind => 1,
        TokenType::Attribute => 2,
        TokenType::Program | TokenType::Coe => 3,
        TokenType::Person | TokenType::Initiative => 4,
        TokenType::Kpi | TokenType::Constant => 5,
        TokenType::Dataset => 6,
        TokenType::Monitor => 7,
        TokenType::Enum => 8,
        TokenType::Policy => 9,
        TokenType::Function => 10,
        TokenType::Variable => 11,
        TokenType::String => 12,
        TokenType::Number => 13,
        TokenType::Comment => 14,
        TokenType::Operator => 15,
    }
}

fn token_modifiers(m: u32) -> u32 {
    // Our bits are already in legend order.
    m & (tokens::DECLARATION | tokens::DOCUMENTATION | tokens::DEFAULT_LIBRARY | tokens::READONLY)
}

/// Encodes tokens as the protocol's relative five-tuples.
pub fn semantic_tokens(toks: &[tokens::SemanticToken], lines: &Lines<'_>) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(toks.len());
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    for t in toks {
        let start = lines.position(t.span.start as usize);
        let length = lines.len(t.span);
        if length == 0 {
            continue;
        }
        let delta_line = start.line - prev_line;
        let delta_start = if delta_line == 0 { start.character - prev_start } else { start.character };
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: token_type_index(t.ty),
            token_modifiers_bitset: token_modifiers(t.modifiers),
        });
        prev_line = start.line;
        prev_start = start.character;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, encoding: Encoding) -> (LineIndex, Encoding) {
        (LineIndex::new(text), encoding)
    }

    #[test]
    fn converts_utf16_and_utf8_positions() {
        let text = "a \"😀é\" b\r\nsecond\n";
        for enc in [Encoding::Utf16, Encoding::Utf8] {
            let (index, encoding) = lines(text, enc);
            let l = Lines { text, index: &index, encoding };
            let b = text.find(" b").expect("b") + 1;
            let p = l.position(b);
            let expected = if enc == Encoding::Utf16 { 8 } else { 11 };
            assert_eq!(p, lsp::Position { line: 0, character: expected });
            assert_eq!(l.offset(p), b);
            // Past the end of a line: its end (before `\r\n`).
            assert_eq!(l.offset(lsp::Position { line: 0, character: 99 }), text.find('\r').expect("cr"));
            // Past the last line: the end of the text.
            assert_eq!(l.offset(lsp::Position { line: 9, character: 0 }), text.len());
        }
        // Inside a surrogate pair: the character's start.
        let index = LineIndex::new(text);
        let l = Lines { text, index: &index, encoding: Encoding::Utf16 };
        assert_eq!(l.offset(lsp::Position { line: 0, character: 4 }), 3);
    }

    #[test]
    fn strips_snippets() {
        assert_eq!(strip_snippet("kpi ${1:name} {\n  unit ${2|percent,ratio|}\n}$0"), "kpi name {\n  unit percent\n}");
        assert_eq!(strip_snippet("[$1]"), "[]");
    }
}
