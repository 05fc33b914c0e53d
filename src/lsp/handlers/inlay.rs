//! Inlay hints: a KPI's target after its use as a condition, and, when the
//! user turned live values on, its latest value after its name.

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types as lsp;

use super::super::convert::Lines;
use super::super::server::Server;
use crate::ide::inlay::{self, HintKind};
use crate::text::Span;

/// The hints of the range asked (the editor asks for what it shows).
pub(in crate::lsp) async fn inlay_hint(
    server: &Server,
    params: lsp::InlayHintParams,
) -> Result<Option<Vec<lsp::InlayHint>>> {
    let path = server.lock().path_of(&params.text_document.uri);
    let ctx = server.ctx_for(&path).await;
    let live = server.lock().live.clone();
    server
        .guard("inlayHint", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let range = lines.span(params.range);
            let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
            // The range in the analysed text (a little wider when the text
            // changed since: what does not map back is left out).
            let start = view.map.to_old(range.start as usize).unwrap_or(0);
            let end = view.map.to_old(range.end as usize).unwrap_or(usize::MAX);
            let old_len = view.snap.analysis.files.get(view.file).text.len();
            let range = Span::new(start.min(old_len), end.min(old_len));
            let note = |name: &str| live.as_ref().and_then(|l| l.kpi_note(name));
            let hints = inlay::inlay_hints(&view.snap.analysis, view.file, range, &note);
            let out = hints
                .into_iter()
                .filter_map(|h| {
                    let at = view.map.to_new(h.at)?;
                    let (label, tooltip) = match h.kind {
                        HintKind::Target => (format!(": {}", h.label), None),
                        HintKind::Live => (
                            format!(" = {}", h.label),
                            live.as_ref().map(|l| format!("live, from {} at {}", l.source, l.at)),
                        ),
                    };
                    Some(lsp::InlayHint {
                        position: lines.position(at),
                        label: lsp::InlayHintLabel::String(label),
                        kind: None,
                        text_edits: None,
                        tooltip: tooltip.map(lsp::InlayHintTooltip::String),
                        padding_left: Some(true),
                        padding_right: None,
                        data: None,
                    })
                })
                .collect();
            Ok(Some(out))
        })
        .await
}
