//! Go to definition and find references.

use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::convert::Lines;
use super::super::server::Server;
use crate::ide::{self};

pub(in crate::lsp) async fn goto_definition(
    server: &Arc<Server>,
    params: lsp::GotoDefinitionParams,
) -> Result<Option<lsp::GotoDefinitionResponse>> {
    let pos = params.text_document_position_params;
    let path = server.path(&pos.text_document.uri);
    let ctx = server.ctx_for(&path).await;
    server
        .guard("definition", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let offset = Lines { text: &text, index: &index, encoding: ctx.encoding }.offset(pos.position);
            for view in ctx.views(&path) {
                let Some(at) = view.map.to_old(offset) else { continue };
                let Some((_, target)) = ide::navigation::definition(&view.snap.analysis, view.file, at) else {
                    continue;
                };
                if let Some(loc) = ctx.location(&view.snap, target) {
                    return Ok(Some(lsp::GotoDefinitionResponse::Scalar(loc)));
                }
            }
            Ok(None)
        })
        .await
}

pub(in crate::lsp) async fn references(
    server: &Arc<Server>,
    params: lsp::ReferenceParams,
) -> Result<Option<Vec<lsp::Location>>> {
    server.wait_fresh().await;
    let pos = params.text_document_position;
    let path = server.path(&pos.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("references", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let offset = Lines { text: &text, index: &index, encoding: ctx.encoding }.offset(pos.position);
            for view in ctx.views(&path) {
                let Some(at) = view.map.to_old(offset) else { continue };
                let refs =
                    ide::navigation::references(&view.snap.analysis, view.file, at, params.context.include_declaration);
                if refs.is_empty() {
                    continue;
                }
                return Ok(Some(refs.into_iter().filter_map(|r| ctx.location(&view.snap, r)).collect()));
            }
            Ok(None)
        })
        .await
}
