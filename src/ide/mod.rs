//! Editor features over an [`Analysis`], in byte offsets and our own types.
//!
//! Everything an editor asks for lives here — hover, completion,
//! definition, references, rename, symbols, semantic tokens, folding, code
//! actions, signature help, highlights, links, selection ranges, partial
//! formatting, inlay hints, code lens targets — as plain functions from an analysis, a file
//! and a byte offset to answers with [`Span`]s. Nothing here knows the
//! Language Server Protocol, UTF-16 or JSON: the `lsp` module converts at
//! the edge, so these functions are easy to test and any other front end
//! (a web playground, a CLI `compel hover`) can call them.
//!
//! Two kinds of question are answered differently:
//!
//! - *What does this name mean* (hover, definition, references, rename,
//!   symbols, code actions) reads the checked [`crate::check::Model`]: its
//!   resolved references and definitions are the single source of truth,
//!   the same ones `compel check` uses.
//! - *What can I type here* (completion, signature help) reads the text
//!   around the cursor with a small scanner ([`context`]), because while a
//!   declaration is being written it does not parse and has no model. The
//!   scanner finds the enclosing block and the attribute being written; the
//!   model (of the current text or of the last one that parsed) supplies
//!   the names that fit.
//!
//! The host keeps the editor's text and the analysis in step with an
//! [`OffsetMap`], and re-analyses cheaply with a [`ParseCache`].

pub mod actions;
pub mod completion;
pub mod context;
pub mod describe;
pub mod extended;
pub mod folding;
pub mod format_edit;
pub mod highlight;
pub mod hover;
pub mod incremental;
pub mod inlay;
pub mod lens;
pub mod navigation;
pub mod offsets;
pub mod parse_cache;
pub mod resplit;
pub mod selection;
pub mod signature;
pub mod symbols;
pub mod tokens;

pub use offsets::OffsetMap;
pub use parse_cache::ParseCache;

use crate::analysis::{resolve_import, Analysis};
use crate::check::{Kind, Symbol, Target};
use crate::stdlib;
use crate::syntax::ast;
use crate::text::{FileId, FileSpan, Span};

/// One text replacement, in the byte offsets of the analysed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// What to replace (empty to insert).
    pub at: FileSpan,
    /// The new text.
    pub replacement: String,
}

/// What a name under the cursor is.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// A name that resolves to a symbol.
    Symbol {
        /// The symbol.
        symbol: Symbol,
        /// The occurrence.
        span: Span,
        /// Whether this occurrence is the declaring one.
        definition: bool,
    },
    /// An attribute name, in a declaration or a criterion.
    Attribute {
        /// The kind the attribute belongs to.
        kind: Kind,
        /// The attribute.
        name: String,
        /// The occurrence.
        span: Span,
    },
    /// A value of an extended attribute's `one of`.
    EnumValue {
        /// The kind extended.
        kind: Kind,
        /// The attribute.
        attr: String,
        /// The value.
        value: String,
        /// The occurrence.
        span: Span,
    },
    /// The path of an import.
    Import {
        /// The imported file, when it was loaded.
        target: Option<FileId>,
        /// The string literal.
        span: Span,
    },
}

impl Found {
    /// The span of the occurrence.
    pub fn span(&self) -> Span {
        match self {
            Found::Symbol { span, .. }
            | Found::Attribute { span, .. }
            | Found::EnumValue { span, .. }
            | Found::Import { span, .. } => *span,
        }
    }
}

/// Ranks a candidate span for `offset`: inside beats touching at the end,
/// then the shorter wins. `None` when it does not touch.
fn rank(span: Span, offset: usize) -> Option<(u8, u32)> {
    if !span.touches(offset) {
        return None;
    }
    let strict = (span.start as usize) <= offset && offset < span.end as usize;
    Some((u8::from(!strict), span.len() as u32))
}

/// The name (or import path) at `offset` in `file`.
pub fn find_at(a: &Analysis, file: FileId, offset: usize) -> Option<Found> {
    let mut best: Option<((u8, u32), Found)> = None;
    let mut consider = |span: Span, found: Found| {
        if let Some(r) = rank(span, offset) {
            let better = match &best {
                Some((b, _)) => r < *b,
                None => true,
            };
            if better {
                best = Some((r, found));
            }
        }
    };
    for (at, sym) in &a.model.definitions {
        if at.file == file {
            consider(at.span, Found::Symbol { symbol: *sym, span: at.span, definition: true });
        }
    }
    for r in &a.model.references {
        if r.at.file != file {
            continue;
        }
        let found = match &r.target {
            Target::Symbol(s) => Found::Symbol { symbol: *s, span: r.at.span, definition: false },
            Target::Attribute(k, n) => Found::Attribute { kind: *k, name: n.clone(), span: r.at.span },
            Target::EnumValue { kind, attr, value } => {
                Found::EnumValue { kind: *kind, attr: attr.to_string(), value: value.to_string(), span: r.at.span }
            }
            Target::Scoped(_) => continue,
        };
        consider(r.at.span, found);
    }
    for found in extended::definitions_in(a, file) {
        consider(found.span(), found);
    }
    if let Some(ast) = a.asts.get(file.0 as usize) {
        let importer = &a.files.get(file).path;
        for item in &ast.items {
            if let ast::Item::Import(i) = item {
                let path = resolve_import(importer, &i.path.value);
                consider(i.path.span, Found::Import { target: a.files.find(&path), span: i.path.span });
            }
        }
    }
    best.map(|(_, f)| f)
}

/// The file of an analysis with this path.
pub fn file_of(a: &Analysis, path: &str) -> Option<FileId> {
    a.files.find(path)
}

/// Whether a file is part of the stdlib.
pub fn is_std(a: &Analysis, file: FileId) -> bool {
    stdlib::is_std_path(&a.files.get(file).path)
}

/// The last component of a path, for short mentions.
pub fn short_path(path: &str) -> &str {
    if stdlib::is_std_path(path) {
        return path;
    }
    path.rsplit('/').next().unwrap_or(path)
}

/// The identifier around `offset` in `text` (ASCII letters, digits, `_`).
pub fn word_at(text: &str, offset: usize) -> Span {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut start = offset;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    Span::new(start, end)
}

/// The words reserved by the grammar: they cannot name a declaration (the
/// one table, [`crate::syntax::lexer::RESERVED`]).
pub const KEYWORDS: &[&str] = crate::syntax::lexer::RESERVED;

/// Whether `name` can name a declaration: an identifier, not a keyword.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !KEYWORDS.contains(&name)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Analyses in-memory workspaces for the unit tests of this module.

    use crate::analysis::{analyze, Analysis, MemoryLoader};
    use crate::text::FileId;

    /// Analyses `files` (path, text) with every path a root; returns the
    /// analysis and the id of the first file.
    pub fn analyse(files: &[(&str, &str)]) -> (Analysis, FileId) {
        let mut loader = MemoryLoader::default();
        for (p, t) in files {
            loader.insert(*p, *t);
        }
        let roots: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
        let a = analyze(&roots, &loader);
        let id = a.files.find(files[0].0).expect("the first file is loaded");
        (a, id)
    }

    /// The offset of the `n`th occurrence (0-based) of `needle` in `text`,
    /// plus `within` bytes.
    pub fn at(text: &str, needle: &str, n: usize, within: usize) -> usize {
        text.match_indices(needle).nth(n).map(|(i, _)| i + within).expect("needle present")
    }

    /// The acme example, small enough to inline.
    pub const PEOPLE: &str = "// People.\n\n/// Chief Financial Officer; sponsors the fraud program.\nperson dana {\n  name \"Dana Whitfield\"\n  role CFO\n}\n\n/// Leads the AI Center of Excellence.\nperson priya {\n  name \"Priya Ramán\"\n  role director\n}\n";

    /// The main acme file.
    pub const ACME: &str = r#"import "people.compel"
import "std/policies"

/// Fraud-loss reduction: the board-level AI program.
program fraud_ai {
  title          "Fraud AI"
  sponsor        dana
  budget         1_200_000 USD
  approved_until 2027-06-30
  review_every   30d
  last_review    2026-11-02
  objectives     [fraud_loss_rate]
}

/// The cross-functional team that standardizes how models ship.
coe ai_coe {
  lead      priya
  functions [data, engineering, risk, legal]
}

/// Share of card volume lost to fraud.
kpi fraud_loss_rate {
  metric  "fraud_loss_rate"
  unit    percent
  target  <= 0.08%
  max_age 7d
}

/// Top-1 accuracy on the weekly holdout set.
kpi accuracy {
  metric  "fraud_model_accuracy"
  labels  { model "scoring-v2" }
  unit    percent
  target  >= 92%
  warn    < 94%
  max_age 2d
}

kpi latency_p95 {
  metric "fraud_scoring_latency_p95"
  unit   ms
  target <= 250ms
}

initiative scoring_v2 {
  program        fraud_ai
  coe            ai_coe
  owner          "ml-platform@acme.example"
  stage          model
  kpis           [accuracy, latency_p95]
  contributes_to [fraud_loss_rate]

  dataset transactions {
    versioned true
  }

  monitor input_drift {
    kind drift
  }

  gate model -> produce {
    require accuracy
    require latency_p95 for 7d
    require avg(accuracy, 7d) > 90%
    expect  program.approved_until > today + 90d
      because "budget approval must outlast the Produce stage"
  }
}
"#;
}
