//! Parsing: text in, [`ast::File`] plus diagnostics out. Never fails.

pub mod ast;
mod fast;
pub mod lexer;
mod parser;
mod recover;
pub mod split;

pub use parser::{check_fast_path, parse, FastPathCheck, ParseLimits};
