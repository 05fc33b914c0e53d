//! Formatting a whole document (one minimal edit).

use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::convert::Lines;
use super::super::server::Server;
use crate::ide::OffsetMap;

pub(in crate::lsp) async fn formatting(
    server: &Arc<Server>,
    params: lsp::DocumentFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let path = server.path(&params.text_document.uri);
    let ctx = server.ctx();
    let result = server.guard("formatting", || {
        let Some((text, index)) = ctx.text_of(&path) else { return Ok(Err(String::new())) };
        match crate::fmt::format_source(&text) {
            Ok(formatted) => {
                let map = OffsetMap::new(&text, &formatted);
                if map.is_identity() {
                    return Ok(Ok(Vec::new()));
                }
                let old = map.old_region();
                let new = map.new_region();
                let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
                Ok(Ok(vec![lsp::TextEdit { range: lines.range(old), new_text: formatted[new.range()].to_string() }]))
            }
            Err(diags) => Ok(Err(format!(
                "not formatted: the file has {} syntax error{}",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            ))),
        }
    });
    match result.await? {
        Ok(edits) => Ok(Some(edits)),
        Err(message) => {
            if !message.is_empty() {
                server.client.log_message(lsp::MessageType::INFO, message).await;
            }
            Ok(None)
        }
    }
}
