//! `compel lsp`: the language server on stdio.

use super::Exit;
use crate::lsp::Ended;

/// Runs the language server until the client disconnects: exit 0 when the
/// client asked to shut down first, as the protocol says, else 2.
pub fn run() -> Exit {
    match crate::lsp::run() {
        Ended::ShutDown => Exit::Success,
        Ended::Disconnected => Exit::Error,
        Ended::NotStarted(reason) => {
            eprintln!("error: cannot start the language server: {reason}");
            Exit::Error
        }
    }
}
