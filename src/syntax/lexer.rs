//! The one lexer, and the one table of reserved words.
//!
//! pest (`grammar/compel.pest`) is the definition of the language and the
//! parser. Everything else that reads raw text (the top-level splitter, the
//! line structure of recovery, the end of a node's last token, semantic
//! tokens, folding, the completion context) reads it through [`Lexer`], so
//! a string holding `}` or `//` means the same to all of them and to pest:
//! a string runs to its closing quote, a backslash escapes the next
//! character (a newline too, as in the grammar), and an unclosed string
//! ends at the end of its line; a comment runs from `//` to the end of the
//! line (`///`, not `////`, is a doc comment).
//!
//! Tokens are coarse on purpose: a number is one token with its unit, and
//! a date or a time is one token (`92%`, `250ms`, `2026-11-24T00:00:00Z`);
//! the currency code of money is a word of its own. Spaces, tabs and `\r`
//! are skipped; a newline is a token, since lines matter to the splitter,
//! to recovery and to the editor.
//!
//! The reserved words are [`RESERVED`]; the grammar's `keyword` rule, the
//! VS Code TextMate grammar and the Vim syntax file list the same words
//! (`tests/keywords.rs` holds them to this table).

use crate::text::Span;

/// Words the language reserves: no declaration, `let`, policy, operand,
/// function or field is named by one.
pub const RESERVED: &[&str] = &[
    "import", "gate", "policy", "for", "where", "require", "expect", "advise", "because", "and", "or", "not", "in",
    "true", "false", "today", "now", "let", "builtin", "test",
];

/// The reserved words that begin a top-level item.
pub const ITEM_KEYWORDS: &[&str] = &["import", "gate", "policy", "let", "builtin", "test"];

/// The reserved words that begin a criterion.
pub const ENFORCEMENTS: &[&str] = &["require", "expect", "advise"];

/// Reserved words that continue an expression or a criterion from the line
/// before, or sit inside one; none of them begins a member.
pub const CONTINUATIONS: &[&str] =
    &["and", "or", "not", "for", "in", "because", "where", "true", "false", "today", "now"];

/// Words with a meaning inside `test` blocks only (not reserved).
pub const TEST_WORDS: &[&str] = &["metrics", "series", "at", "on"];

/// For each word length up to 7, the first letters of reserved words of
/// that length (bit `c - b'a'`): most names are ruled out without a
/// comparison (the fast path asks for every operand).
static RESERVED_FILTER: [u32; 8] = {
    let mut f = [0u32; 8];
    let mut i = 0;
    while i < RESERVED.len() {
        let w = RESERVED[i].as_bytes();
        f[w.len()] |= 1 << (w[0] - b'a');
        i += 1;
    }
    f
};

/// Whether `word` is reserved.
pub fn is_reserved(word: &str) -> bool {
    let b = word.as_bytes();
    match (b.len(), b.first()) {
        (len @ 2..=7, Some(c @ b'a'..=b'z')) if RESERVED_FILTER[len] & (1 << (c - b'a')) != 0 => {
            RESERVED.contains(&word)
        }
        _ => false,
    }
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A name or a keyword.
    Word,
    /// A number with its unit (`92%`, `1_200`, `250ms`), a date or a time.
    Number,
    /// A string literal, quotes included; `closed` is false when the line
    /// (or the text) ends first.
    Str {
        /// Whether the closing quote is there.
        closed: bool,
    },
    /// A comment to the end of the line (newline excluded).
    Comment {
        /// `///` (not `////`).
        doc: bool,
    },
    /// `(`, `[` or `{`.
    Open(u8),
    /// `)`, `]` or `}`.
    Close(u8),
    /// An operator or punctuation: `->`, `==`, `!=`, `<=`, `>=` or one
    /// character.
    Punct,
    /// A line break.
    Newline,
}

/// A token and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is (byte range).
    pub span: Span,
}

impl Token {
    /// Its first byte.
    pub fn start(&self) -> usize {
        self.span.start as usize
    }

    /// Just past its last byte.
    pub fn end(&self) -> usize {
        self.span.end as usize
    }
}

/// Tokens of a text, from a byte offset on.
#[derive(Clone, Debug)]
pub struct Lexer<'t> {
    text: &'t str,
    pos: usize,
    end: usize,
}

/// The tokens of `text`.
pub fn tokens(text: &str) -> Lexer<'_> {
    Lexer { text, pos: 0, end: text.len() }
}

/// The tokens of `text[span]` (tokens start inside the range; the last one
/// may run past its end).
pub fn tokens_in(text: &str, span: Span) -> Lexer<'_> {
    Lexer { text, pos: span.start as usize, end: (span.end as usize).min(text.len()) }
}

const WORD: u8 = 1;
const BLANK: u8 = 2;

/// Byte classes: a letter, digit or `_` continues a word; a space, tab or
/// `\r` is skipped. (A table: the lexer runs over every byte of every file
/// the splitter sees.)
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            t[b] = WORD;
        } else if c == b' ' || c == b'\t' || c == b'\r' {
            t[b] = BLANK;
        }
        b += 1;
    }
    t
};

fn is_word_byte(b: u8) -> bool {
    CLASS[b as usize] == WORD
}

/// The end of the string starting at `start` (a `"`), and whether it is
/// closed.
pub fn string_end(text: &str, start: usize) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut j = start + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'"' => return (j + 1, true),
            b'\n' => return (j, false),
            // The grammar's `"\\" ~ ANY`: the next character, whatever it is.
            b'\\' => j += 1 + text[j + 1..].chars().next().map_or(0, char::len_utf8),
            _ => j += 1,
        }
    }
    (bytes.len(), false)
}

/// The end of the number, date or time starting at `start` (a digit).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start;
    while j < bytes.len()
        && (bytes[j].is_ascii_alphanumeric() || matches!(bytes[j], b'_' | b'.' | b'%' | b'-' | b':' | b'+'))
    {
        // `-`, `+` and `:` continue only a date or a time.
        if matches!(bytes[j], b'-' | b'+' | b':') && !bytes.get(j + 1).is_some_and(u8::is_ascii_digit) {
            break;
        }
        // `.` continues only a decimal (`x.5` no, `1.5` yes; `d.a` is a field).
        if bytes[j] == b'.' && !bytes.get(j + 1).is_some_and(u8::is_ascii_digit) {
            break;
        }
        j += 1;
    }
    j
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    #[inline(always)]
    fn next(&mut self) -> Option<Token> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = self.pos;
        while i < self.end && CLASS[bytes[i] as usize] == BLANK {
            i += 1;
        }
        if i >= self.end {
            self.pos = i;
            return None;
        }
        let b = bytes[i];
        let (kind, end) = match b {
            b'\n' => (TokenKind::Newline, i + 1),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let doc = text[i..].starts_with("///") && !text[i..].starts_with("////");
                (TokenKind::Comment { doc }, end)
            }
            b'"' => {
                let (end, closed) = string_end(text, i);
                (TokenKind::Str { closed }, end)
            }
            b'(' | b'[' | b'{' => (TokenKind::Open(b), i + 1),
            b')' | b']' | b'}' => (TokenKind::Close(b), i + 1),
            b'0'..=b'9' => (TokenKind::Number, number_end(bytes, i)),
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let len = bytes[i + 1..].iter().position(|c| !is_word_byte(*c)).unwrap_or(bytes.len() - i - 1);
                (TokenKind::Word, i + 1 + len)
            }
            _ => {
                let two = matches!((b, bytes.get(i + 1)), (b'-', Some(b'>')) | (b'=' | b'!' | b'<' | b'>', Some(b'=')));
                let len = if two {
                    2
                } else if b.is_ascii() {
                    1
                } else {
                    text[i..].chars().next().map_or(1, char::len_utf8)
                };
                (TokenKind::Punct, i + len)
            }
        };
        self.pos = end;
        Some(Token { kind, span: Span::new(i, end) })
    }
}

/// Where a `//` comment starts on the line `text[line]`, outside strings.
pub fn comment_start(text: &str, line: Span) -> Option<usize> {
    tokens_in(text, line)
        .take_while(|t| t.kind != TokenKind::Newline)
        .find(|t| matches!(t.kind, TokenKind::Comment { .. }))
        .map(|t| t.start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokens(text).map(|t| (t.kind, &text[t.span.range()])).collect()
    }

    #[test]
    fn strings_comments_numbers_and_words() {
        use TokenKind::*;
        assert_eq!(
            kinds("kpi a { x \"}\\\"//\" // c }\n  target >= 92% -> 2026-11-24T00:00:00Z d.a 1.5 5 USD\n"),
            vec![
                (Word, "kpi"),
                (Word, "a"),
                (Open(b'{'), "{"),
                (Word, "x"),
                (Str { closed: true }, "\"}\\\"//\""),
                (Comment { doc: false }, "// c }"),
                (Newline, "\n"),
                (Word, "target"),
                (Punct, ">="),
                (Number, "92%"),
                (Punct, "->"),
                (Number, "2026-11-24T00:00:00Z"),
                (Word, "d"),
                (Punct, "."),
                (Word, "a"),
                (Number, "1.5"),
                (Number, "5"),
                (Word, "USD"),
                (Newline, "\n"),
            ]
        );
        assert_eq!(kinds("\"open\nx"), vec![(Str { closed: false }, "\"open"), (Newline, "\n"), (Word, "x")]);
        // A backslash escapes a newline too, as in the grammar.
        assert_eq!(kinds("\"a\\\nb\""), vec![(Str { closed: true }, "\"a\\\nb\"")]);
        assert_eq!(
            kinds("/// d\n//// c"),
            vec![(Comment { doc: true }, "/// d"), (Newline, "\n"), (Comment { doc: false }, "//// c")]
        );
        assert_eq!(comment_start("a \"//\" // c", Span::new(0, 11)), Some(7));
    }

    #[test]
    fn the_reserved_word_filter_agrees_with_the_table() {
        for w in RESERVED {
            assert!(is_reserved(w), "{w}");
        }
        for w in ["", "a", "an", "nots", "x", "kpi", "imports", "Gate", "in_x", "acc_7", "programs"] {
            assert!(!is_reserved(w), "{w}");
        }
    }
}
