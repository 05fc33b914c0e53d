//! The protocol's requests and notifications, one feature a file: the
//! lifecycle (`lifecycle`), document synchronisation (`documents`), hover,
//! completion, signature help, definition and references (`navigation`),
//! rename, symbols, formatting, folding, semantic tokens (`tokens`), quick
//! fixes (`actions`), highlights, links, selection ranges and partial
//! formatting (`editing`), inlay hints (`inlay`), code lenses and their
//! commands (`lens`), and live values (`live`). Each is a function from the
//! server and the request's parameters to the answer; `super` only routes
//! to them.

pub(super) mod actions;
pub(super) mod completion;
pub(super) mod documents;
pub(super) mod editing;
pub(super) mod folding;
pub(super) mod formatting;
pub(super) mod hover;
pub(super) mod inlay;
pub(super) mod lens;
pub(super) mod lifecycle;
pub(super) mod live;
pub(super) mod navigation;
pub(super) mod rename;
pub(super) mod signature;
pub(super) mod symbols;
pub(super) mod tokens;

use tower_lsp::lsp_types as lsp;

/// The capabilities of the features here (the rest default).
pub(super) fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        document_highlight_provider: Some(lsp::OneOf::Left(true)),
        document_link_provider: Some(lsp::DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
        }),
        selection_range_provider: Some(lsp::SelectionRangeProviderCapability::Simple(true)),
        document_range_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_on_type_formatting_provider: Some(lsp::DocumentOnTypeFormattingOptions {
            first_trigger_character: "}".to_string(),
            more_trigger_character: None,
        }),
        code_lens_provider: Some(lsp::CodeLensOptions { resolve_provider: Some(false) }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: vec![lens::EVALUATE_GATE.to_string(), lens::RUN_TEST.to_string()],
            work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
        }),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        ..lsp::ServerCapabilities::default()
    }
}

/// Text from a policy or a metric source, safe inside Markdown: every
/// ASCII punctuation character escaped (CommonMark allows that for all of
/// them), line breaks flattened.
pub(super) fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_from_a_policy_is_inert() {
        assert_eq!(
            super::escape_markdown("[x](http://e) *b* <i>\n`c`"),
            "\\[x\\]\\(http\\:\\/\\/e\\) \\*b\\* \\<i\\> \\`c\\`"
        );
    }
}
