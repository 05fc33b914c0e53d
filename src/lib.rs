//! compel: a governance language for AI programs, and its toolchain.
//!
//! Policies written in `.compel` files are parsed ([`syntax`]), checked
//! ([`check`]), evaluated against metrics ([`eval`]), formatted ([`fmt`]) and
//! served to editors ([`ide`], [`lsp`]). Everything is a library first; the
//! `compel` binary is a thin shell over it.

pub mod diag;
pub mod fmt;
pub mod syntax;
pub mod text;
pub mod analysis;
pub mod check;
pub mod stdlib;
