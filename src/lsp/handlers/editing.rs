//! Document highlights, document links, selection ranges, range
//! formatting and formatting on `}`.

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp, Url};

use super::super::convert::Lines;
use super::super::server::Server;
use crate::ide::{self, format_edit, highlight};
use crate::stdlib;
use crate::text::Span;

/// Every occurrence in the file of the name under the cursor: the
/// declaration as a write, references as reads, attributes as text.
pub(in crate::lsp) async fn document_highlight(
    server: &Server,
    params: lsp::DocumentHighlightParams,
) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
    let pos = params.text_document_position_params;
    let path = server.lock().path_of(&pos.text_document.uri);
    let ctx = server.ctx_for(&path).await;
    server
        .guard("documentHighlight", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let offset = lines.offset(pos.position);
            for view in ctx.views(&path) {
                let Some(at) = view.map.to_old(offset) else { continue };
                let found = highlight::highlights(&view.snap.analysis, view.file, at);
                if found.is_empty() {
                    continue;
                }
                let out = found
                    .into_iter()
                    .filter_map(|(span, usage)| {
                        let span = view.map.span_to_new(span)?;
                        let kind = match usage {
                            highlight::Use::Definition => lsp::DocumentHighlightKind::WRITE,
                            highlight::Use::Reference => lsp::DocumentHighlightKind::READ,
                            highlight::Use::Attribute => lsp::DocumentHighlightKind::TEXT,
                        };
                        Some(lsp::DocumentHighlight { range: lines.range(span), kind: Some(kind) })
                    })
                    .collect();
                return Ok(Some(out));
            }
            Ok(None)
        })
        .await
}

/// Each import's path, linked to the file it loads (the stdlib's to its
/// materialised copy). An import of a file that was not loaded (missing,
/// outside the project) has no link: its diagnostic says why.
pub(in crate::lsp) async fn document_link(
    server: &Server,
    params: lsp::DocumentLinkParams,
) -> Result<Option<Vec<lsp::DocumentLink>>> {
    let path = server.lock().path_of(&params.text_document.uri);
    server.wait_fresh().await;
    let ctx = server.ctx();
    server
        .guard("documentLink", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
            let mut out = Vec::new();
            for link in highlight::import_links(&view.snap.analysis, view.file) {
                if !link.loaded {
                    continue;
                }
                let Some(span) = view.map.span_to_new(link.span) else { continue };
                let target = if stdlib::is_std_path(&link.target) {
                    ctx.materialised.as_ref().and_then(|m| Url::from_file_path(m.std_file(&link.target)).ok())
                } else {
                    Url::from_file_path(&link.target).ok()
                };
                let Some(target) = target else { continue };
                out.push(lsp::DocumentLink {
                    range: lines.range(span),
                    target: Some(target),
                    tooltip: Some(format!("open {}", ide::short_path(&link.target))),
                    data: None,
                });
            }
            Ok(Some(out))
        })
        .await
}

/// Expanding selections, from the text (works while the file is broken).
pub(in crate::lsp) async fn selection_range(
    server: &Server,
    params: lsp::SelectionRangeParams,
) -> Result<Option<Vec<lsp::SelectionRange>>> {
    let path = server.lock().path_of(&params.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("selectionRange", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let out = params
                .positions
                .iter()
                .map(|p| {
                    let offset = lines.offset(*p);
                    let spans = ide::selection::selection_ranges(&text, offset);
                    let mut chain: Option<lsp::SelectionRange> = None;
                    for span in spans.iter().rev() {
                        chain = Some(lsp::SelectionRange { range: lines.range(*span), parent: chain.map(Box::new) });
                    }
                    chain.unwrap_or(lsp::SelectionRange { range: lsp::Range { start: *p, end: *p }, parent: None })
                })
                .collect();
            Ok(Some(out))
        })
        .await
}

/// Formats the top-level items the range touches.
pub(in crate::lsp) async fn range_formatting(
    server: &Server,
    params: lsp::DocumentRangeFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let path = server.lock().path_of(&params.text_document.uri);
    let ctx = server.ctx();
    let result = server.guard("rangeFormatting", || {
        let Some((text, index)) = ctx.text_of(&path) else { return Ok(Ok(None)) };
        let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
        let range = lines.span(params.range);
        Ok(match format_edit::format_range(&text, range) {
            Ok(edits) => Ok(Some(edits.into_iter().map(|e| text_edit(&lines, e)).collect())),
            Err(format_edit::NotFormatted::SyntaxErrors(n)) => {
                Err(format!("not formatted: the file has {n} syntax error{}", if n == 1 { "" } else { "s" }))
            }
        })
    });
    match result.await? {
        Ok(edits) => Ok(edits),
        Err(message) => {
            server.client.log_message(lsp::MessageType::INFO, message).await;
            Ok(None)
        }
    }
}

/// After `}`: the item formatted, or the block it closes re-indented.
pub(in crate::lsp) async fn on_type_formatting(
    server: &Server,
    params: lsp::DocumentOnTypeFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let pos = params.text_document_position;
    let path = server.lock().path_of(&pos.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("onTypeFormatting", || {
            if params.ch != "}" {
                return Ok(None);
            }
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let offset = lines.offset(pos.position);
            let edits = format_edit::on_type_close(&text, offset);
            Ok(Some(edits.into_iter().map(|e| text_edit(&lines, e)).collect()))
        })
        .await
}

fn text_edit(lines: &Lines<'_>, e: format_edit::Edit) -> lsp::TextEdit {
    lsp::TextEdit { range: lines.range(Span::new(e.span.start as usize, e.span.end as usize)), new_text: e.text }
}
