//! Document synchronisation: open, change (incremental ranges applied in
//! order), close, save, and files changing on disk. Each records the
//! change and wakes the analysis; none awaits before applying it, so
//! notifications apply in the order they arrive.

use std::sync::Arc;

use tower_lsp::lsp_types::{self as lsp};

use super::super::convert::Lines;
use super::super::server::Server;
use super::super::workspace::Document;
use crate::analysis::normalize_path;
use crate::stdlib;
use crate::text::LineIndex;

pub(in crate::lsp) async fn did_open(server: &Arc<Server>, params: lsp::DidOpenTextDocumentParams) {
    let _ = server
        .guard("didOpen", || {
            let doc = params.text_document;
            let mut s = server.lock();
            let path = s.path_of(&doc.uri);
            s.docs.insert(path, Document::new(doc.uri, doc.text, doc.version));
            server.changed(&mut s);
            Ok(())
        })
        .await;
    server.refresh_live();
}

pub(in crate::lsp) async fn did_change(server: &Arc<Server>, params: lsp::DidChangeTextDocumentParams) {
    let _ = server
        .guard("didChange", || {
            let mut s = server.lock();
            let encoding = s.encoding();
            let path = s.path_of(&params.text_document.uri);
            let Some(doc) = s.docs.get(&path) else { return Ok(()) };
            let mut text = doc.text.to_string();
            let mut index = doc.lines.clone();
            for change in params.content_changes {
                match change.range {
                    Some(range) => {
                        let span = Lines { text: &text, index: &index, encoding }.span(range);
                        text.replace_range(span.range(), &change.text);
                    }
                    None => text = change.text,
                }
                index = Arc::new(LineIndex::new(&text));
            }
            let uri = doc.uri.clone();
            for list in s.results.values_mut() {
                list.retain(|(p, _)| *p != path);
            }
            s.docs.insert(
                path,
                Document { uri, text: Arc::new(text), lines: index, version: params.text_document.version },
            );
            server.changed(&mut s);
            Ok(())
        })
        .await;
}

pub(in crate::lsp) async fn did_close(server: &Arc<Server>, params: lsp::DidCloseTextDocumentParams) {
    let _ = server
        .guard("didClose", || {
            let mut s = server.lock();
            let path = s.path_of(&params.text_document.uri);
            s.docs.remove(&path);
            server.changed(&mut s);
            Ok(())
        })
        .await;
}

pub(in crate::lsp) async fn did_change_watched_files(server: &Arc<Server>, params: lsp::DidChangeWatchedFilesParams) {
    let _ = server
        .guard("didChangeWatchedFiles", || {
            let mut s = server.lock();
            for change in params.changes {
                let path = s.path_of(&change.uri);
                if !path.ends_with(".compel") || stdlib::is_std_path(&path) {
                    continue;
                }
                if change.typ == lsp::FileChangeType::DELETED {
                    s.disk.remove(&path);
                } else if s.folders.iter().any(|f| path.starts_with(&normalize_path(&f.to_string_lossy()))) {
                    s.disk.insert(path);
                }
            }
            server.changed(&mut s);
            Ok(())
        })
        .await;
}

pub(in crate::lsp) async fn did_save(server: &Arc<Server>, _: lsp::DidSaveTextDocumentParams) {
    server.refresh_live();
}
