//! Semantic tokens.

use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::convert::{self, Lines};
use super::super::server::Server;
use crate::ide::{self, OffsetMap};

pub(in crate::lsp) async fn semantic_tokens_full(
    server: &Arc<Server>,
    params: lsp::SemanticTokensParams,
) -> Result<Option<lsp::SemanticTokensResult>> {
    server.wait_fresh().await;
    let path = server.path(&params.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("semanticTokens", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let views = ctx.views(&path);
            let toks = match views.first() {
                Some(v) => ide::tokens::semantic_tokens(Some((&v.snap.analysis, v.file)), &text, &v.map),
                None => ide::tokens::semantic_tokens(None, &text, &OffsetMap::identity(text.len())),
            };
            Ok(Some(lsp::SemanticTokensResult::Tokens(lsp::SemanticTokens {
                result_id: None,
                data: convert::semantic_tokens(&toks, &lines),
            })))
        })
        .await
}
