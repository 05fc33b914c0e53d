//! Folding ranges.

use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp};

use super::super::server::Server;
use crate::ide::{self};

pub(in crate::lsp) async fn folding_range(
    server: &Arc<Server>,
    params: lsp::FoldingRangeParams,
) -> Result<Option<Vec<lsp::FoldingRange>>> {
    let path = server.path(&params.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("foldingRange", || {
            let Some((text, _)) = ctx.text_of(&path) else { return Ok(None) };
            let folds = ide::folding::folding_ranges(&text);
            Ok(Some(
                folds
                    .into_iter()
                    .map(|f| lsp::FoldingRange {
                        start_line: f.start_line as u32,
                        start_character: None,
                        end_line: f.end_line as u32,
                        end_character: None,
                        kind: match f.kind {
                            ide::folding::FoldKind::Region => Some(lsp::FoldingRangeKind::Region),
                            ide::folding::FoldKind::Comment => Some(lsp::FoldingRangeKind::Comment),
                            ide::folding::FoldKind::Imports => Some(lsp::FoldingRangeKind::Imports),
                        },
                        collapsed_text: None,
                    })
                    .collect(),
            ))
        })
        .await
}
