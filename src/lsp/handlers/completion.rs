//! Completion and the lazy resolution of an item's documentation.

use std::sync::Arc;

use serde_json::Value;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp, Url};

use super::super::convert::{self, Lines};
use super::super::server::Server;
use crate::ide::{self, completion::Source};

pub(in crate::lsp) async fn completion(
    server: &Arc<Server>,
    params: lsp::CompletionParams,
) -> Result<Option<lsp::CompletionResponse>> {
    let pos = params.text_document_position;
    let path = server.path(&pos.text_document.uri);
    let trigger = params.context.and_then(|c| c.trigger_character).and_then(|t| t.chars().next());
    let ctx = server.ctx_for(&path).await;
    server
        .guard("completion", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let offset = lines.offset(pos.position);
            let views = ctx.views(&path);
            let mut sources: Vec<Source<'_>> =
                views.iter().map(|v| Source { analysis: &v.snap.analysis, file: Some(v.file) }).collect();
            if sources.is_empty() {
                if let Some(latest) = &ctx.latest {
                    sources.push(Source { analysis: &latest.analysis, file: None });
                }
            }
            let items = ide::completion::complete(&sources, &text, offset, trigger, ctx.lazy_docs);
            let uri = pos.text_document.uri.as_str();
            let items: Vec<lsp::CompletionItem> =
                items.into_iter().map(|i| convert::completion(i, &lines, ctx.snippets, uri)).collect();
            Ok(Some(lsp::CompletionResponse::List(lsp::CompletionList { is_incomplete: false, items })))
        })
        .await
}

pub(in crate::lsp) async fn completion_resolve(
    server: &Arc<Server>,
    mut item: lsp::CompletionItem,
) -> Result<lsp::CompletionItem> {
    let Some(data) = item.data.take() else { return Ok(item) };
    let (Some(uri), Some(name)) = (data.get("uri").and_then(Value::as_str), data.get("symbol").and_then(Value::as_str))
    else {
        return Ok(item);
    };
    let Ok(uri) = Url::parse(uri) else { return Ok(item) };
    let path = server.path(&uri);
    let ctx = server.ctx();
    let name = name.to_string();
    server
        .guard("completionItem/resolve", move || {
            let views = ctx.views(&path);
            let mut sources: Vec<Source<'_>> =
                views.iter().map(|v| Source { analysis: &v.snap.analysis, file: Some(v.file) }).collect();
            if let (true, Some(latest)) = (sources.is_empty(), &ctx.latest) {
                sources.push(Source { analysis: &latest.analysis, file: None });
            }
            if let Some(value) = ide::completion::documentation(&sources, &name) {
                item.documentation = Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value,
                }));
            }
            Ok(item)
        })
        .await
}
