//! pest's errors in the user's words: what was expected (`an expression`,
//! `a stage name`), what was found, and where, never a rule name.

use super::Rule;
use crate::diag::{Code, Diagnostic};
use crate::text::{FileId, Span};

/// What ends the text pest was given: a whole declaration, or one line of
/// one (when a broken declaration is parsed again line by line).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum End {
    Declaration,
    Line,
}

/// Turns a pest error into a diagnostic in the user's words. `src` is the
/// text pest parsed, or a prefix of it: an error past its end is reported
/// at its end.
pub(super) fn syntax_error(
    file_id: FileId,
    src: &str,
    base: usize,
    err: &pest::error::Error<Rule>,
    end: End,
) -> Diagnostic {
    let pos = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let mut pos = crate::text::clamp_to_char_boundary(src, pos);
    if src[pos..].trim().is_empty() {
        // At the end: point at the end of the last token, not at the next
        // line after the trailing newline.
        pos = pos.min(content_end(src));
    }
    let mut found = describe_found(src, pos, end);
    let token_end = pos + token_len(&src[pos..]);
    let mut span = Span::new(base + pos, base + token_end.max(pos));
    let expected = match &err.variant {
        // Only a reserved word where a name goes (`x.because`): a name.
        pest::error::ErrorVariant::ParsingError { positives, negatives }
            if positives.is_empty() && negatives.contains(&Rule::keyword) =>
        {
            vec!["a name".to_string()]
        }
        pest::error::ErrorVariant::ParsingError { positives, .. } => expected_words(positives, end),
        pest::error::ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    // An operand or a name missing at the end of a line (`target >=`,
    // `expect` then `because` below): the line is unfinished, say so on it.
    if expected.iter().any(|e| e == "an expression" || e == "a name") {
        let before = content_end(&src[..pos]);
        if src[before..pos].contains('\n') {
            found = "the end of the line".to_string();
            span = Span::new(base + before, base + before);
        }
    }
    let unclosed = end == End::Declaration && found == END_OF_DECLARATION && expected.iter().any(|e| e == "`}`");
    if unclosed {
        return Diagnostic::at(Code::SyntaxError, file_id, span, "this declaration is not closed: expected `}`")
            .with_primary_label("the declaration ends here")
            .with_help("add the missing `}`");
    }
    match expected.len() {
        0 => Diagnostic::at(Code::SyntaxError, file_id, span, format!("unexpected {found}")),
        1..=3 => {
            Diagnostic::at(Code::SyntaxError, file_id, span, format!("expected {}, found {found}", join_or(&expected)))
        }
        _ => Diagnostic::at(Code::SyntaxError, file_id, span, format!("unexpected {found}"))
            .with_help(format!("expected {}", join_or(&expected))),
    }
}

fn token_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => {
            rest.char_indices().find(|(_, c)| !(c.is_alphanumeric() || *c == '_')).map_or(rest.len(), |(i, _)| i)
        }
        Some((_, c)) if c == '\n' || c == '\r' => 0,
        Some((_, c)) => c.len_utf8(),
    }
}

/// The end of the last line of `src` that holds code: trailing blank and
/// comment lines excluded.
fn content_end(src: &str) -> usize {
    let mut end = src.trim_end().len();
    loop {
        let line_start = src[..end].rfind('\n').map_or(0, |i| i + 1);
        if line_start == 0 || !src[line_start..end].trim_start().starts_with("//") {
            return end;
        }
        end = src[..line_start].trim_end().len();
    }
}

const END_OF_DECLARATION: &str = "the end of the declaration";

fn describe_found(src: &str, pos: usize, end: End) -> String {
    let rest = &src[pos..];
    if rest.trim().is_empty() {
        return match end {
            End::Declaration => END_OF_DECLARATION,
            End::Line => "the end of the line",
        }
        .to_string();
    }
    let len = token_len(rest);
    if len == 0 {
        return "the end of the line".to_string();
    }
    let token = &rest[..len];
    if token.starts_with('"') {
        return "a string".to_string();
    }
    format!("`{token}`")
}

fn join_or(words: &[String]) -> String {
    match words.len() {
        0 => String::new(),
        1 => words[0].clone(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// Maps the rules pest expected to words a user knows, deduplicated, in a
/// stable order.
fn expected_words(rules: &[Rule], end: End) -> Vec<String> {
    let mut words: Vec<&str> = Vec::new();
    for rule in rules {
        let w = match rule {
            Rule::ident | Rule::word => "a name",
            Rule::string => "a string",
            Rule::number | Rule::decimal | Rule::digits | Rule::money => "a number",
            Rule::date | Rule::datetime | Rule::datetime_expr => "a date",
            Rule::expr
            | Rule::field
            | Rule::boolean
            | Rule::today
            | Rule::now
            | Rule::list
            | Rule::paren
            | Rule::call
            | Rule::quantifier
            | Rule::neg => "an expression",
            Rule::cmp_op => "a comparison such as `>=`",
            Rule::threshold => "a threshold such as `>= 92%`",
            Rule::map | Rule::groups => "`{`",
            Rule::offset_arg | Rule::kw_offset => "`offset`",
            Rule::group => "a label and its values such as `sex [\"female\", \"male\"]`",
            Rule::lbrace | Rule::body | Rule::criteria => "`{`",
            Rule::rbrace => "`}`",
            Rule::arrow => "`->`",
            Rule::lparen => "`(`",
            Rule::rparen => "`)`",
            Rule::lbracket | Rule::list_type => "`[`",
            Rule::rbracket => "`]`",
            Rule::colon => "`:`",
            Rule::comma => "`,`",
            Rule::eqeq => "`==`",
            Rule::equals => "`=`",
            Rule::dot => "`.`",
            Rule::unit => "a unit",
            Rule::currency => "a currency code",
            Rule::kw_or | Rule::kw_and => "an operator",
            Rule::add_op | Rule::mul_op => "an operator",
            Rule::kw_in => "`in`",
            Rule::kw_for => "`for`",
            Rule::kw_not => "`not`",
            Rule::enforcement | Rule::criterion => "`require`, `expect` or `advise`",
            Rule::because => "`because`",
            Rule::kw_because => "`because`",
            Rule::kw_where | Rule::where_clause => "`where`",
            Rule::attr | Rule::decl | Rule::gate | Rule::kw_gate => "an attribute or a nested declaration",
            Rule::import
            | Rule::policy
            | Rule::let_item
            | Rule::builtin
            | Rule::test
            | Rule::kw_import
            | Rule::kw_policy
            | Rule::kw_let
            | Rule::kw_builtin
            | Rule::kw_test => "a declaration",
            Rule::param => "a parameter",
            Rule::type_name => "a type",
            Rule::test_now
            | Rule::test_metrics
            | Rule::test_series
            | Rule::expect_gate
            | Rule::expect_kpi
            | Rule::expect_policy => "a test statement (`now`, `metrics`, `series`, `expect`)",
            Rule::series_labels | Rule::sample => "`labels` or `at`",
            Rule::sample_value => "a number",
            Rule::EOI if end == End::Line => "the end of the line",
            Rule::EOI => END_OF_DECLARATION,
            _ => continue,
        };
        if !words.contains(&w) {
            words.push(w);
        }
    }
    // "an attribute" subsumes "a name"; "an expression" subsumes literals.
    if words.contains(&"an expression") {
        words.retain(|w| !matches!(*w, "a name" | "a number" | "a string" | "a date" | "`[`" | "`(`"));
    }
    if words.contains(&"an attribute or a nested declaration") {
        words.retain(|w| *w != "a name");
    }
    words.into_iter().map(str::to_string).collect()
}
