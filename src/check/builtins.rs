//! The registry of built-in functions: one value per function holds what
//! the toolchain knows about it.
//!
//! Its signature is the one `stdlib/builtins.compel` declares (a test holds
//! the two to each other, and the editors' grammars to the names), and the
//! stdlib gives its documentation: the checker reads the stdlib's
//! `builtin` items into [`super::BuiltinDef`]s, each linked to its entry
//! here, and hover, signature help and completion show those. The entry
//! says how a call is typed (its result type, whether `count` also counts a
//! list, whether it is a quantifier), how it is evaluated (a window over a
//! KPI's series, a drift statistic between two windows, or a quantifier
//! over a list) and whether it reads metrics. The checker, the interpreter
//! and the evaluator's plan dispatch on the entry, never on the name.

/// How a built-in is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A statistic of a KPI's samples in one window: `avg(kpi, 7d)`.
    Window,
    /// A drift statistic between a current and a reference window:
    /// `psi(kpi, 7d, 28d)`.
    Drift,
    /// A quantifier over a list: `all(x in xs: p)`.
    Quantifier,
    /// The roles declared with `executive true`, in every loaded file:
    /// `executive_roles()` (what `c_suite` is).
    ExecutiveRoles,
}

/// One built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// Its parameters (name, type) as the stdlib writes them.
    pub params: &'static [(&'static str, &'static str)],
    /// Its result type as the stdlib writes it: `measure` is a value in the
    /// KPI's own unit, `number` a plain number, `bool` a condition.
    pub ret: &'static str,
    /// How it is evaluated.
    pub family: Family,
    /// Whether `f(list)` is also allowed and means the list's length.
    pub counts_lists: bool,
    /// Whether `f(x in xs: p)` is also allowed (a quantifier).
    pub quantifies: bool,
    /// Whether evaluating it reads metrics (so `compel check` defers it).
    pub reads_metrics: bool,
}

const KPI_WINDOW: &[(&str, &str)] = &[("kpi", "kpi"), ("window", "duration")];
const KPI_TWO_WINDOWS: &[(&str, &str)] = &[("kpi", "kpi"), ("current", "duration"), ("reference", "duration")];
const LIST_PREDICATE: &[(&str, &str)] = &[("list", "[any]"), ("predicate", "bool")];

const fn window(name: &'static str, ret: &'static str) -> Builtin {
    Builtin {
        name,
        params: KPI_WINDOW,
        ret,
        family: Family::Window,
        counts_lists: false,
        quantifies: false,
        reads_metrics: true,
    }
}

const fn drift(name: &'static str) -> Builtin {
    Builtin {
        name,
        params: KPI_TWO_WINDOWS,
        ret: "number",
        family: Family::Drift,
        counts_lists: false,
        quantifies: false,
        reads_metrics: true,
    }
}

const fn quantifier(name: &'static str) -> Builtin {
    Builtin {
        name,
        params: LIST_PREDICATE,
        ret: "bool",
        family: Family::Quantifier,
        counts_lists: false,
        quantifies: true,
        reads_metrics: false,
    }
}

/// Every built-in, in the stdlib's order.
pub const BUILTINS: &[Builtin] = &[
    window("last", "measure"),
    window("avg", "measure"),
    window("min", "measure"),
    window("max", "measure"),
    window("sum", "measure"),
    Builtin { counts_lists: true, quantifies: true, ..window("count", "number") },
    window("p50", "measure"),
    window("p90", "measure"),
    window("p95", "measure"),
    window("p99", "measure"),
    window("delta", "measure"),
    drift("psi"),
    drift("ks"),
    drift("wasserstein"),
    quantifier("all"),
    quantifier("any"),
    Builtin {
        name: "executive_roles",
        params: &[],
        ret: "[role]",
        family: Family::ExecutiveRoles,
        counts_lists: false,
        quantifies: false,
        reads_metrics: false,
    },
];

/// The built-in named `name`.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Whether `name` is a built-in of `family`.
pub fn is(name: &str, family: Family) -> bool {
    lookup(name).is_some_and(|b| b.family == family)
}

impl Builtin {
    /// `avg(kpi: kpi, window: duration) -> measure`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        format!("{}({}) -> {}", self.name, params.join(", "), self.ret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{Item, TypeName};

    fn type_text(t: &TypeName) -> String {
        match t {
            TypeName::Named(i) => i.name.clone(),
            TypeName::List(inner, _) => format!("[{}]", type_text(inner)),
        }
    }

    /// Every `builtin` of the stdlib has an entry with its signature, and
    /// every entry is declared there.
    #[test]
    fn the_stdlib_declares_exactly_the_registry() {
        let mut declared = Vec::new();
        let items = crate::stdlib::MODULES.iter().flat_map(|(_, text)| {
            let (file, diags) = crate::syntax::parse(crate::text::FileId(0), text, Default::default());
            assert!(diags.is_empty());
            file.items
        });
        for item in &items.collect::<Vec<_>>() {
            let Item::Builtin(b) = item else { continue };
            let entry = lookup(&b.name.name).unwrap_or_else(|| panic!("`{}` has no registry entry", b.name.name));
            let params: Vec<(String, String)> =
                b.params.iter().map(|p| (p.name.name.clone(), type_text(&p.ty))).collect();
            let want: Vec<(String, String)> =
                entry.params.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
            assert_eq!((params, type_text(&b.ret)), (want, entry.ret.to_string()), "`{}`", b.name.name);
            assert!(b.doc.is_some(), "`{}` has no doc comment", b.name.name);
            declared.push(b.name.name.clone());
        }
        let registry: Vec<String> = BUILTINS.iter().map(|b| b.name.to_string()).collect();
        assert_eq!(declared, registry);
    }
}
