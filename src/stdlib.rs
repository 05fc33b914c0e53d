//! The standard library, written in compel and embedded in the binary.
//!
//! `std/stages`, `std/roles`, `std/functions` and `std/builtins` form the
//! prelude, visible from every file; `std/policies` is imported explicitly.

/// Every stdlib module: its import name and its text.
pub const MODULES: &[(&str, &str)] = &[
    ("std/stages", include_str!("../stdlib/stages.compel")),
    ("std/roles", include_str!("../stdlib/roles.compel")),
    ("std/functions", include_str!("../stdlib/functions.compel")),
    ("std/builtins", include_str!("../stdlib/builtins.compel")),
    ("std/policies", include_str!("../stdlib/policies.compel")),
];

/// The modules every file sees without importing them.
pub const PRELUDE: &[&str] = &["std/stages", "std/roles", "std/functions", "std/builtins"];

/// The text of a stdlib module by import name (`std/policies`).
pub fn module(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".compel").unwrap_or(name);
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The path under which a stdlib module is shown (`std/policies.compel`).
pub fn display_path(name: &str) -> String {
    let name = name.strip_suffix(".compel").unwrap_or(name);
    format!("{name}.compel")
}

/// Whether a path names a stdlib module.
pub fn is_std_path(path: &str) -> bool {
    path.starts_with("std/")
}
