//! The outline of a document and the workspace's symbols.

use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::convert::{self, Lines};
use super::super::server::Server;
use crate::ide::{self, OffsetMap};
use crate::text::Span;

pub(in crate::lsp) async fn document_symbol(
    server: &Arc<Server>,
    params: lsp::DocumentSymbolParams,
) -> Result<Option<lsp::DocumentSymbolResponse>> {
    server.wait_fresh().await;
    let path = server.path(&params.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("documentSymbol", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
            let ast = &view.snap.analysis.asts[view.file.0 as usize];
            let symbols = ide::symbols::document_symbols(ast);
            Ok(Some(lsp::DocumentSymbolResponse::Nested(
                symbols.into_iter().filter_map(|s| outline_entry(s, &view.map, &lines)).collect(),
            )))
        })
        .await
}

pub(in crate::lsp) async fn symbol(
    server: &Arc<Server>,
    params: lsp::WorkspaceSymbolParams,
) -> Result<Option<Vec<lsp::SymbolInformation>>> {
    server.wait_fresh().await;
    let ctx = server.ctx();
    server
        .guard("workspace/symbol", || {
            let Some(snap) = &ctx.latest else { return Ok(None) };
            let found = ide::symbols::workspace_symbols(&snap.analysis, &params.query, 500);
            #[allow(deprecated)]
            let out = found
                .into_iter()
                .filter_map(|s| {
                    Some(lsp::SymbolInformation {
                        name: s.name,
                        kind: convert::symbol_kind(s.kind),
                        tags: None,
                        deprecated: None,
                        location: ctx.location(snap, s.at)?,
                        container_name: Some(s.container),
                    })
                })
                .collect();
            Ok(Some(out))
        })
        .await
}

/// Converts an outline entry, mapping its spans to the current text; an
/// entry whose name the current text changed is left out.
fn outline_entry(s: ide::symbols::DocumentSymbol, map: &OffsetMap, lines: &Lines<'_>) -> Option<lsp::DocumentSymbol> {
    let selection = map.span_to_new(s.selection)?;
    let range = match (map.to_new(s.range.start as usize), map.to_new(s.range.end as usize)) {
        (Some(a), Some(b)) if a <= b => Span::new(a, b),
        _ => selection,
    };
    let children: Vec<lsp::DocumentSymbol> =
        s.children.into_iter().filter_map(|c| outline_entry(c, map, lines)).collect();
    #[allow(deprecated)]
    Some(lsp::DocumentSymbol {
        name: s.name,
        detail: Some(s.detail),
        kind: convert::symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: lines.range(range.to(selection)),
        selection_range: lines.range(selection),
        children: if children.is_empty() { None } else { Some(children) },
    })
}
