//! `compel lsp`: the language server on stdio.

use super::Exit;

/// Runs the language server until the client disconnects.
pub fn run() -> Exit {
    crate::lsp::run()
}
