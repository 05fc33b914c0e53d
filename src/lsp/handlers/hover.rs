//! Hover: what the name under the cursor is, with its live value when
//! live values are on.

use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::convert::Lines;
use super::super::server::Server;
use crate::ide::{self};

pub(in crate::lsp) async fn hover(server: &Arc<Server>, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
    let pos = params.text_document_position_params;
    let path = server.path(&pos.text_document.uri);
    let ctx = server.ctx_for(&path).await;
    let live = server.lock().live.clone();
    server
        .guard("hover", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let offset = lines.offset(pos.position);
            for view in ctx.views(&path) {
                let Some(at) = view.map.to_old(offset) else { continue };
                let Some(mut h) = ide::hover::hover(&view.snap.analysis, view.file, at) else { continue };
                let note = live.as_ref().and_then(|l| super::live::hover_note(l, &view.snap.analysis, view.file, at));
                if let Some(note) = note {
                    h.markdown.push_str("\n\n---\n\n");
                    h.markdown.push_str(&note);
                }
                let range = view.map.span_to_new(h.range).map(|s| lines.range(s));
                return Ok(Some(lsp::Hover {
                    contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: h.markdown,
                    }),
                    range,
                }));
            }
            Ok(None)
        })
        .await
}
