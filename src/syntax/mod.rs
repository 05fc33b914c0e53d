//! Parsing: text in, [`ast::File`] plus diagnostics out. Never fails.

pub mod ast;
mod criteria;
mod doc_comments;
mod fast;
pub mod lexer;
mod literals;
mod parser;
mod recover;
pub mod split;

pub use parser::{check_fast_path, parse, FastPathCheck, ParseLimits};
