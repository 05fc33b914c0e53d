//! Rename, and the check before it (`prepareRename`).

use std::collections::HashMap;
use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp, Url};

use super::super::convert::Lines;
use super::super::server::{refused, Server};
use crate::ide::{self};

pub(in crate::lsp) async fn prepare_rename(
    server: &Arc<Server>,
    params: lsp::TextDocumentPositionParams,
) -> Result<Option<lsp::PrepareRenameResponse>> {
    server.wait_fresh().await;
    let path = server.path(&params.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("prepareRename", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let offset = lines.offset(params.position);
            let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
            let Some(at) = view.map.to_old(offset) else {
                return Err(refused("the file is being analysed; try again".to_string()));
            };
            match ide::navigation::prepare_rename(&view.snap.analysis, view.file, at) {
                Ok((span, placeholder)) => {
                    let Some(span) = view.map.span_to_new(span) else { return Ok(None) };
                    Ok(Some(lsp::PrepareRenameResponse::RangeWithPlaceholder { range: lines.range(span), placeholder }))
                }
                Err(why) => Err(refused(why)),
            }
        })
        .await
}

pub(in crate::lsp) async fn rename(
    server: &Arc<Server>,
    params: lsp::RenameParams,
) -> Result<Option<lsp::WorkspaceEdit>> {
    server.wait_fresh().await;
    let pos = params.text_document_position;
    let path = server.path(&pos.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("rename", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let offset = Lines { text: &text, index: &index, encoding: ctx.encoding }.offset(pos.position);
            let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
            let Some(at) = view.map.to_old(offset) else {
                return Err(refused("the file is being analysed; try again".to_string()));
            };
            let edits =
                ide::navigation::rename(&view.snap.analysis, view.file, at, &params.new_name).map_err(refused)?;
            let mut changes: HashMap<Url, Vec<lsp::TextEdit>> = HashMap::new();
            for e in edits {
                let Some(loc) = ctx.location(&view.snap, e.at) else {
                    return Err(refused("a file changed during the rename; try again".to_string()));
                };
                changes.entry(loc.uri).or_default().push(lsp::TextEdit { range: loc.range, new_text: e.replacement });
            }
            Ok(Some(lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() }))
        })
        .await
}
