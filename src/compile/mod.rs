//! Compilers from a checked model to the rules of other engines, so that
//! they watch the policy continuously. Pure: they return text.

mod derived;
mod groups;
mod kpi;
pub mod prometheus;
pub mod promtool;
mod readiness;
pub mod rules;
mod text;
