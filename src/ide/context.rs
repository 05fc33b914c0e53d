//! Where the cursor is, read from the text alone.
//!
//! Completion and signature help must work in a declaration that is half
//! written and does not parse, so they do not look at the tree. They take
//! the top-level piece around the cursor (the same pieces the parser
//! splits a file into) and read its tokens (the one lexer, [`lexer`]) from
//! its start to the cursor, keeping, for every bracket still open, the
//! words in front of it (`kpi accuracy {`, `kpis [`, `avg(`), plus the
//! words of the statement being written. From those, [`Slot`] says what may
//! come next.

use crate::check::Kind;
use crate::syntax::lexer::{self, TokenKind};
use crate::syntax::split;
use crate::text::Span;

/// The kind of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    /// An identifier or keyword.
    Word,
    /// A number, with its unit if written.
    Number,
    /// A string literal.
    Str,
    /// An operator or punctuation (`->`, `==`, `,`, `.` ...).
    Punct,
    /// A bracketed group that was closed (`(...)`, `[...]`, `{...}`).
    Group,
}

/// A token of the scanned text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'t> {
    /// Its kind.
    pub kind: TokKind,
    /// Its text.
    pub text: &'t str,
    /// Where it is.
    pub span: Span,
}

impl Token<'_> {
    fn is_word(&self, w: &str) -> bool {
        self.kind == TokKind::Word && self.text == w
    }
}

/// A bracket that is open at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame<'t> {
    /// `{`, `[` or `(`.
    pub open: u8,
    /// Where the bracket is.
    pub at: usize,
    /// The tokens of the statement in front of it (`kpi accuracy`).
    pub header: Vec<Token<'t>>,
}

/// The scanner's view of the cursor's surroundings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan<'t> {
    /// The text.
    pub text: &'t str,
    /// The cursor.
    pub offset: usize,
    /// The identifier (or number) being typed, up to the cursor.
    pub word: Span,
    /// The top-level piece the cursor is in.
    pub piece: Span,
    /// Open brackets, outermost first.
    pub frames: Vec<Frame<'t>>,
    /// The tokens of the current statement before the word, inside the
    /// innermost bracket.
    pub stmt: Vec<Token<'t>>,
    /// The last token of the previous statement of the innermost block.
    pub prev_last: Option<Token<'t>>,
    /// Where the string the cursor is in starts (after its quote).
    pub in_string: Option<usize>,
    /// Whether the cursor is in a comment.
    pub in_comment: bool,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Scans `text` up to `offset`.
pub fn scan(text: &str, offset: usize) -> Scan<'_> {
    let offset = crate::text::clamp_to_char_boundary(text, offset);
    let bytes = text.as_bytes();
    let mut word_start = offset;
    while word_start > 0 && is_word_byte(bytes[word_start - 1]) {
        word_start -= 1;
    }
    let word = Span::new(word_start, offset);
    let (pieces, _) = split::split(text);
    let piece = pieces
        .iter()
        .rev()
        .find(|p| (p.span.start as usize) <= word_start)
        .map_or(Span::new(0, word_start), |p| Span::new(p.span.start as usize, p.span.end as usize));
    let mut s = Scan {
        text,
        offset,
        word,
        piece,
        frames: Vec::new(),
        stmt: Vec::new(),
        prev_last: None,
        in_string: None,
        in_comment: false,
    };
    s.run(piece.start as usize, word_start);
    s
}

impl<'t> Scan<'t> {
    fn run(&mut self, from: usize, end: usize) {
        let text = self.text;
        for token in lexer::tokens_in(text, Span::new(from, end)) {
            let (i, j) = (token.start(), token.end());
            match token.kind {
                TokenKind::Newline => {
                    // Statements end at a newline at top level and in
                    // `{ }` blocks, not inside `( )` or `[ ]`.
                    if self.frames.last().is_none_or(|f| f.open == b'{') {
                        if let Some(last) = self.stmt.last() {
                            self.prev_last = Some(*last);
                        }
                        self.stmt.clear();
                    }
                }
                TokenKind::Comment { .. } => {
                    if j >= end {
                        self.in_comment = true;
                        return;
                    }
                }
                TokenKind::Str { closed } => {
                    // The cursor is inside when the string is not closed
                    // (or cut by a newline) before it.
                    let stop = if closed { j - 1 } else { j };
                    if stop >= end {
                        self.in_string = Some(i + 1);
                        return;
                    }
                    self.push(TokKind::Str, i, j);
                }
                TokenKind::Open(b) => {
                    let header = std::mem::take(&mut self.stmt);
                    self.frames.push(Frame { open: b, at: i, header });
                    self.prev_last = None;
                }
                TokenKind::Close(_) => {
                    if let Some(f) = self.frames.pop() {
                        self.stmt = f.header;
                        self.push(TokKind::Group, f.at, i + 1);
                    }
                }
                TokenKind::Number => self.push(TokKind::Number, i, j.min(end)),
                TokenKind::Word => self.push(TokKind::Word, i, j.min(end)),
                TokenKind::Punct => {
                    // A two-character operator cut by the cursor is its
                    // first character.
                    let j = if j > end { i + text[i..].chars().next().map_or(1, char::len_utf8) } else { j };
                    self.push(TokKind::Punct, i, j);
                }
            }
        }
    }

    fn push(&mut self, kind: TokKind, start: usize, end: usize) {
        let end = end.min(self.text.len());
        self.stmt.push(Token { kind, text: &self.text[start..end], span: Span::new(start, end) });
    }

    /// The text of the word being typed.
    pub fn word_text(&self) -> &'t str {
        &self.text[self.word.range()]
    }

    /// The tokens written inside frame `i` so far.
    pub fn inside(&self, i: usize) -> &[Token<'t>] {
        match self.frames.get(i + 1) {
            Some(next) => &next.header,
            None => &self.stmt,
        }
    }
}

/// What a `{` block is, from the words in front of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A declaration of a known kind.
    Decl(Kind),
    /// Criteria of a gate (subject: initiative) or policy.
    Criteria(Option<Kind>),
    /// A test block.
    Test,
    /// Something else (a label map, an unknown kind).
    Other,
}

/// Classifies a block by its header.
pub fn block_of(header: &[Token<'_>]) -> Block {
    let Some(first) = header.first() else { return Block::Other };
    if first.kind != TokKind::Word {
        return Block::Other;
    }
    match first.text {
        "gate" => Block::Criteria(Some(Kind::Initiative)),
        "policy" => Block::Criteria(header.get(3).and_then(|t| Kind::parse(t.text))),
        "test" => Block::Test,
        w => match Kind::parse(w) {
            Some(k) if header.len() >= 2 => Block::Decl(k),
            _ => Block::Other,
        },
    }
}

/// What may be written at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The start of a top-level item.
    TopLevel,
    /// `policy NAME |`: the keyword `for`.
    PolicyFor,
    /// `policy NAME for |`: a kind.
    PolicySubject,
    /// `gate |` or `gate FROM -> |`: a stage.
    GateStage {
        /// The stage left, once written.
        from: Option<String>,
    },
    /// The path of an `import "`.
    ImportPath {
        /// Where the path starts (after the quote).
        start: usize,
    },
    /// The start of a member line of a declaration.
    Member {
        /// The declaration's kind.
        kind: Kind,
        /// Attributes already set in the block.
        set: Vec<String>,
    },
    /// The value after `ATTR ` in a declaration.
    Value {
        /// The declaration's kind.
        kind: Kind,
        /// The attribute.
        attr: String,
    },
    /// An element of `ATTR [ ... ]` in a declaration.
    ListItem {
        /// The declaration's kind.
        kind: Kind,
        /// The attribute.
        attr: String,
        /// Names already in the list.
        listed: Vec<String>,
    },
    /// The start of a line in a gate or policy: `require`, `expect`, `advise`.
    CriterionStart {
        /// The subject kind.
        subject: Option<Kind>,
    },
    /// Inside an expression.
    Expr(ExprSlot),
    /// A unit after a number: the unit's part of the word starts here.
    Unit {
        /// Where the unit starts.
        start: usize,
        /// The attribute whose value this is, in a declaration.
        attr: Option<(Kind, String)>,
        /// Whether only a duration fits (after `for`).
        duration: bool,
    },
    /// A statement of a test block, by the words written so far.
    Test(Vec<String>),
    /// Nothing to offer (a string, a comment, a name being declared).
    Nothing,
}

/// The surroundings of an expression being written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExprSlot {
    /// The subject whose attributes are in scope.
    pub subject: Option<Kind>,
    /// Quantifier variables in scope: name and the list's words
    /// (`datasets`, `program.objectives`).
    pub vars: Vec<(String, Vec<String>)>,
    /// After `a.b.`: the chain before the dot.
    pub receiver: Option<Vec<String>>,
    /// After `x ==` or `x !=`: the chain compared with.
    pub compared: Option<Vec<String>>,
}

/// The slot at the cursor.
pub fn slot(s: &Scan<'_>) -> Slot {
    if s.in_comment {
        return Slot::Nothing;
    }
    if let Some(start) = s.in_string {
        if s.frames.is_empty() && s.stmt.len() == 1 && s.stmt[0].is_word("import") {
            return Slot::ImportPath { start };
        }
        return Slot::Nothing;
    }
    let word = s.word_text();
    // The innermost `{` block and the brackets inside it.
    let block_index = s.frames.iter().rposition(|f| f.open == b'{');
    let block = block_index.map_or(Block::Other, |i| block_of(&s.frames[i].header));
    if word.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let digits = word.bytes().take_while(|b| b.is_ascii_digit() || *b == b'_').count();
        let directly_in_block = block_index.is_some_and(|i| i + 1 == s.frames.len());
        let attr = match (&block, s.stmt.first()) {
            (Block::Decl(k), Some(t)) if directly_in_block && t.kind == TokKind::Word => Some((*k, t.text.to_string())),
            _ => None,
        };
        let duration = s.stmt.last().is_some_and(|t| t.is_word("for"));
        return Slot::Unit { start: s.word.start as usize + digits, attr, duration };
    }
    let Some(bi) = block_index else { return top_level(s) };
    let inner = &s.frames[bi + 1..];
    match block {
        Block::Decl(kind) => {
            if inner.is_empty() {
                match s.stmt.as_slice() {
                    [] => Slot::Member { kind, set: attributes_set(s, bi) },
                    [g] if g.is_word("gate") => Slot::GateStage { from: None },
                    [g, from, arrow] if g.is_word("gate") && arrow.text == "->" => {
                        Slot::GateStage { from: Some(from.text.to_string()) }
                    }
                    [attr] if attr.kind == TokKind::Word => Slot::Value { kind, attr: attr.text.to_string() },
                    [attr, t] if attr.kind == TokKind::Word && t.kind == TokKind::Number => {
                        Slot::Value { kind, attr: attr.text.to_string() }
                    }
                    // Anywhere in a derived KPI's formula: its inputs.
                    [attr, ..] if kind == Kind::Kpi && attr.is_word("value") => {
                        Slot::Value { kind, attr: attr.text.to_string() }
                    }
                    _ => Slot::Nothing,
                }
            } else if inner.len() == 1 && inner[0].open == b'[' {
                match inner[0].header.as_slice() {
                    [attr] if attr.kind == TokKind::Word => {
                        let listed =
                            s.stmt.iter().filter(|t| t.kind == TokKind::Word).map(|t| t.text.to_string()).collect();
                        Slot::ListItem { kind, attr: attr.text.to_string(), listed }
                    }
                    _ => Slot::Nothing,
                }
            } else {
                Slot::Nothing
            }
        }
        Block::Criteria(subject) => {
            if inner.is_empty() {
                let continues = s.prev_last.is_some_and(|t| {
                    matches!(t.text, "and" | "or" | "not" | "in" | "for" | "," | "+" | "-" | "*" | "/")
                        || matches!(t.text, "==" | "!=" | "<" | "<=" | ">" | ">=")
                });
                match s.stmt.first() {
                    None if continues => Slot::Expr(expr_slot(s, subject, bi)),
                    None => Slot::CriterionStart { subject },
                    Some(t) if t.is_word("because") => Slot::Nothing,
                    Some(t) if matches!(t.text, "require" | "expect" | "advise") => {
                        if s.stmt.last().is_some_and(|t| t.kind == TokKind::Str) {
                            Slot::Nothing
                        } else {
                            Slot::Expr(expr_slot(s, subject, bi))
                        }
                    }
                    Some(_) => Slot::Expr(expr_slot(s, subject, bi)),
                }
            } else {
                Slot::Expr(expr_slot(s, subject, bi))
            }
        }
        Block::Test => {
            if inner.is_empty() {
                Slot::Test(s.stmt.iter().map(|t| t.text.to_string()).collect())
            } else {
                Slot::Nothing
            }
        }
        Block::Other => Slot::Nothing,
    }
}

fn top_level(s: &Scan<'_>) -> Slot {
    if !s.frames.is_empty() {
        // Inside brackets outside any block: a `let` list or a policy filter.
        return match s.frames[0].header.first() {
            Some(t) if t.is_word("let") || t.is_word("policy") => Slot::Expr(expr_slot(s, policy_subject(s), 0)),
            _ => Slot::Nothing,
        };
    }
    let words: Vec<&str> = s.stmt.iter().map(|t| t.text).collect();
    match words.as_slice() {
        [] => Slot::TopLevel,
        ["policy", _] => Slot::PolicyFor,
        ["policy", _, "for"] => Slot::PolicySubject,
        ["policy", _, "for", _, "where", ..] => Slot::Expr(expr_slot(s, policy_subject(s), 0)),
        ["gate"] => Slot::GateStage { from: None },
        ["gate", from, "->"] => Slot::GateStage { from: Some(from.to_string()) },
        ["let", _, "=", ..] => Slot::Expr(expr_slot(s, None, 0)),
        _ => Slot::Nothing,
    }
}

fn policy_subject(s: &Scan<'_>) -> Option<Kind> {
    let header = s.frames.first().map_or(&s.stmt, |f| &f.header);
    match header.as_slice() {
        [p, _, f, k, ..] if p.is_word("policy") && f.is_word("for") => Kind::parse(k.text),
        _ => None,
    }
}

/// The attributes written in the block opened by frame `bi`, except on the
/// cursor's line: the first word of each line at the block's own depth.
fn attributes_set(s: &Scan<'_>, bi: usize) -> Vec<String> {
    let text = s.text;
    let start = s.frames[bi].at + 1;
    let end = s.piece.end as usize;
    let cursor_line = (
        text[..s.offset].rfind('\n').map_or(0, |i| i + 1),
        text[s.offset..].find('\n').map_or(text.len(), |i| s.offset + i),
    );
    let mut set = Vec::new();
    let mut depth = 0usize;
    let mut line_start = true;
    for token in lexer::tokens_in(text, Span::new(start, end)) {
        let i = token.start();
        match token.kind {
            TokenKind::Newline => {
                line_start = true;
                continue;
            }
            TokenKind::Comment { .. } => continue,
            TokenKind::Open(_) => depth += 1,
            TokenKind::Close(_) => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            TokenKind::Word if line_start && depth == 0 => {
                let on_cursor_line = i >= cursor_line.0 && i <= cursor_line.1;
                if !on_cursor_line {
                    set.push(text[token.span.range()].to_string());
                }
            }
            _ => {}
        }
        line_start = false;
    }
    set
}

fn expr_slot(s: &Scan<'_>, subject: Option<Kind>, block: usize) -> ExprSlot {
    let mut slot = ExprSlot { subject, ..ExprSlot::default() };
    // Quantifier variables bound by the open `(` frames.
    for i in block..s.frames.len() {
        let f = &s.frames[i];
        let is_quantifier = f.open == b'('
            && f.header.last().is_some_and(|t| {
                t.kind == TokKind::Word
                    && crate::check::builtins::lookup(t.text).is_some_and(|b| b.quantifier.is_some())
            });
        if !is_quantifier {
            continue;
        }
        let inside = s.inside(i);
        if let [var, kw_in, rest @ ..] = inside {
            if var.kind == TokKind::Word && kw_in.is_word("in") {
                if let Some(colon) = rest.iter().position(|t| t.text == ":") {
                    let list = rest[..colon].iter().filter(|t| t.text != ".").map(|t| t.text.to_string()).collect();
                    slot.vars.push((var.text.to_string(), list));
                }
            }
        }
    }
    let stmt = &s.stmt;
    // A dotted chain right before the cursor: `program.sponsor.`.
    if stmt.last().is_some_and(|t| t.text == "." && t.span.end as usize == s.word.start as usize) {
        slot.receiver = Some(chain_before(stmt, stmt.len() - 1));
    } else if let Some(op) = stmt.last() {
        if matches!(op.text, "==" | "!=") {
            let chain = chain_before(stmt, stmt.len() - 1);
            if !chain.is_empty() {
                slot.compared = Some(chain);
            }
        }
    }
    slot
}

/// The words of the dotted chain that ends right before token `end`.
fn chain_before(stmt: &[Token<'_>], end: usize) -> Vec<String> {
    let mut chain = Vec::new();
    let mut i = end;
    while i > 0 {
        let t = &stmt[i - 1];
        if t.kind != TokKind::Word {
            break;
        }
        chain.push(t.text.to_string());
        if i >= 2 && stmt[i - 2].text == "." {
            i -= 2;
        } else {
            break;
        }
    }
    chain.reverse();
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot_at(text: &str) -> Slot {
        let offset = text.find('|').expect("a cursor");
        let text = text.replacen('|', "", 1);
        slot(&scan(&text, offset))
    }

    #[test]
    fn reads_the_cursors_surroundings() {
        assert_eq!(slot_at("kpi a {}\n|"), Slot::TopLevel);
        assert_eq!(slot_at("kp|"), Slot::TopLevel);
        assert_eq!(
            slot_at("initiative x {\n  owner dana\n  sta|\n  kpis [a]\n}\n"),
            Slot::Member { kind: Kind::Initiative, set: vec!["owner".into(), "kpis".into()] }
        );
        assert_eq!(slot_at("initiative x {\n  stage |"), Slot::Value { kind: Kind::Initiative, attr: "stage".into() });
        assert_eq!(
            slot_at("initiative x {\n  kpis [accuracy, l|]\n}"),
            Slot::ListItem { kind: Kind::Initiative, attr: "kpis".into(), listed: vec!["accuracy".into()] }
        );
        assert_eq!(
            slot_at("gate model -> produce {\n  |\n}"),
            Slot::CriterionStart { subject: Some(Kind::Initiative) }
        );
        let Slot::Expr(e) = slot_at("policy p for initiative {\n  require all(d in datasets: d.|)\n}") else {
            panic!("an expression")
        };
        assert_eq!(e.subject, Some(Kind::Initiative));
        assert_eq!(e.vars, vec![("d".to_string(), vec!["datasets".to_string()])]);
        assert_eq!(e.receiver, Some(vec!["d".to_string()]));
        let Slot::Expr(e) = slot_at("gate model -> produce {\n  require any(m in monitors: m.kind == d|)\n}") else {
            panic!("an expression")
        };
        assert_eq!(e.compared, Some(vec!["m".to_string(), "kind".to_string()]));
        assert_eq!(
            slot_at("kpi a {\n  max_age 7|\n}"),
            Slot::Unit { start: 19, attr: Some((Kind::Kpi, "max_age".into())), duration: false }
        );
        assert_eq!(slot_at("kpi a {\n  metric \"x|\"\n}"), Slot::Nothing);
        assert_eq!(slot_at("import \"std/p|\""), Slot::ImportPath { start: 8 });
        assert_eq!(slot_at("// kpi |"), Slot::Nothing);
        assert_eq!(slot_at("policy p for |"), Slot::PolicySubject);
        assert_eq!(slot_at("gate model -> |"), Slot::GateStage { from: Some("model".into()) });
    }
}
