//! Signature help inside a call.

use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::convert::Lines;
use super::super::server::Server;
use crate::ide::{self, completion::Source};

pub(in crate::lsp) async fn signature_help(
    server: &Arc<Server>,
    params: lsp::SignatureHelpParams,
) -> Result<Option<lsp::SignatureHelp>> {
    let pos = params.text_document_position_params;
    let path = server.path(&pos.text_document.uri);
    let ctx = server.ctx_for(&path).await;
    server
        .guard("signatureHelp", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let offset = lines.offset(pos.position);
            let views = ctx.views(&path);
            let mut sources: Vec<Source<'_>> =
                views.iter().map(|v| Source { analysis: &v.snap.analysis, file: Some(v.file) }).collect();
            if let (true, Some(latest)) = (sources.is_empty(), &ctx.latest) {
                sources.push(Source { analysis: &latest.analysis, file: None });
            }
            let Some(help) = ide::signature::signature_help(&sources, &text, offset) else { return Ok(None) };
            let parameters = help
                .params
                .iter()
                .map(|(s, e)| lsp::ParameterInformation {
                    label: lsp::ParameterLabel::LabelOffsets([*s as u32, *e as u32]),
                    documentation: None,
                })
                .collect();
            Ok(Some(lsp::SignatureHelp {
                signatures: vec![lsp::SignatureInformation {
                    label: help.label,
                    documentation: help.doc.map(|value| {
                        lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value })
                    }),
                    parameters: Some(parameters),
                    active_parameter: Some(help.active as u32),
                }],
                active_signature: Some(0),
                active_parameter: Some(help.active as u32),
            }))
        })
        .await
}
