//! Quick fixes for the diagnostics under the cursor.

use std::collections::HashMap;
use std::sync::Arc;

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{self as lsp, Url};

use super::super::convert::{self, Lines};
use super::super::server::Server;
use crate::ide::{self};
use crate::text::{FileSpan, Span};

pub(in crate::lsp) async fn code_action(
    server: &Arc<Server>,
    params: lsp::CodeActionParams,
) -> Result<Option<lsp::CodeActionResponse>> {
    server.wait_fresh().await;
    let path = server.path(&params.text_document.uri);
    let ctx = server.ctx();
    server
        .guard("codeAction", || {
            let Some((text, index)) = ctx.text_of(&path) else { return Ok(None) };
            let lines = Lines { text: &text, index: &index, encoding: ctx.encoding };
            let range = lines.span(params.range);
            let Some(view) = ctx.views(&path).into_iter().next() else { return Ok(None) };
            let (Some(start), Some(end)) = (view.map.to_old(range.start as usize), view.map.to_old(range.end as usize))
            else {
                return Ok(None);
            };
            let a = &view.snap.analysis;
            let mut out = Vec::new();
            for action in ide::actions::quick_fixes(a, view.file, Span::new(start, end)) {
                let d = &a.diagnostics[action.diagnostic];
                let mut changes: HashMap<Url, Vec<lsp::TextEdit>> = HashMap::new();
                let mut complete = true;
                for e in &action.edits {
                    match ctx.location(&view.snap, e.at) {
                        Some(loc) => changes
                            .entry(loc.uri)
                            .or_default()
                            .push(lsp::TextEdit { range: loc.range, new_text: e.replacement.clone() }),
                        None => complete = false,
                    }
                }
                if !complete {
                    continue;
                }
                let file = a.files.get(d.primary.file);
                let diag_lines = Lines { text: &file.text, index: &file.lines, encoding: ctx.encoding };
                let related = |at: FileSpan| ctx.location(&view.snap, at);
                let explain =
                    ctx.materialised.as_ref().and_then(|m| Url::from_file_path(m.explain_file(d.code.as_str())).ok());
                let mut diagnostic = convert::diagnostic(d, &diag_lines, &related, explain);
                if let Some(span) = view.map.span_to_new(d.primary.span) {
                    diagnostic.range = lines.range(span);
                }
                out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: action.title,
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic]),
                    edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() }),
                    is_preferred: Some(action.preferred),
                    ..lsp::CodeAction::default()
                }));
            }
            Ok(Some(out))
        })
        .await
}
