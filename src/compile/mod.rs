//! Compilers from a checked model to the rules of other engines, so that
//! they watch the policy continuously. Pure: they return text.

pub mod prometheus;
pub mod promtool;
pub mod rules;
mod text;
