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
    /// A function of one value: `abs(x)`.
    Scalar,
    /// A function of a list only: `spread(xs)`.
    List,
    /// The roles declared with `executive true`, in every loaded file:
    /// `executive_roles()` (what `c_suite` is).
    ExecutiveRoles,
}

/// What a call with a list (or with two plain values) means, besides the
/// entry's own signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lists {
    /// Nothing: only the signature.
    No,
    /// `count(xs)`: the list's length.
    Count,
    /// `sum(xs)`, `avg(xs)`, `spread(xs)`: a statistic of the list's values.
    Aggregate,
    /// `min(xs)`, `max(xs)`, and `min(a, b)` of two values. A KPI followed
    /// by a duration is always a window (`min(k, 7d)`).
    Extremum,
}

/// The statistic a list form computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// The smallest element.
    Min,
    /// The largest element.
    Max,
    /// The sum.
    Sum,
    /// The mean.
    Avg,
    /// The largest minus the smallest.
    Spread,
}

/// What a quantifier form `f(x in xs: e)` computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    /// `all(x in xs: p)`.
    All,
    /// `any(x in xs: p)`.
    Any,
    /// `count(x in xs: p)`: how many elements satisfy `p`.
    Count,
    /// `sum(x in xs: e)`: the sum of `e` over the elements.
    Sum,
    /// `avg(x in xs: e)`: the mean of `e` over the elements.
    Avg,
}

impl Quant {
    /// Whether the body is a condition (`all`, `any`, `count`) rather than
    /// a value (`sum`, `avg`).
    pub fn tests(self) -> bool {
        matches!(self, Quant::All | Quant::Any | Quant::Count)
    }
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
    /// What `f(list)` (and `f(a, b)`) mean besides the signature.
    pub lists: Lists,
    /// What `f(x in xs: e)` computes, when that form is allowed.
    pub quantifier: Option<Quant>,
    /// The statistic of `f(list)`, `f(a, b)` and `f(x in xs: e)`.
    pub stat: Option<Stat>,
    /// Whether evaluating it reads metrics (so `compel check` defers it).
    pub reads_metrics: bool,
    /// The other forms of the call, as hover and signature help show them.
    pub forms: &'static [&'static str],
}

const KPI_WINDOW: &[(&str, &str)] = &[("kpi", "kpi"), ("window", "duration")];
const KPI_TWO_WINDOWS: &[(&str, &str)] = &[("kpi", "kpi"), ("current", "duration"), ("reference", "duration")];
const LIST_PREDICATE: &[(&str, &str)] = &[("list", "[any]"), ("predicate", "bool")];
const VALUE: &[(&str, &str)] = &[("value", "quantity")];
const LIST: &[(&str, &str)] = &[("list", "[quantity]")];

const fn window(name: &'static str, ret: &'static str) -> Builtin {
    Builtin {
        name,
        params: KPI_WINDOW,
        ret,
        family: Family::Window,
        lists: Lists::No,
        quantifier: None,
        stat: None,
        reads_metrics: true,
        forms: &[],
    }
}

const fn drift(name: &'static str) -> Builtin {
    Builtin {
        name,
        params: KPI_TWO_WINDOWS,
        ret: "number",
        family: Family::Drift,
        lists: Lists::No,
        quantifier: None,
        stat: None,
        reads_metrics: true,
        forms: &[],
    }
}

const fn quantifier(name: &'static str, q: Quant) -> Builtin {
    Builtin {
        name,
        params: LIST_PREDICATE,
        ret: "bool",
        family: Family::Quantifier,
        lists: Lists::No,
        quantifier: Some(q),
        stat: None,
        reads_metrics: false,
        forms: &[],
    }
}

/// Every built-in, in the stdlib's order.
pub const BUILTINS: &[Builtin] = &[
    window("last", "measure"),
    Builtin {
        lists: Lists::Aggregate,
        quantifier: Some(Quant::Avg),
        stat: Some(Stat::Avg),
        forms: &["avg(list: [quantity]) -> quantity", "avg(x in list: value) -> quantity"],
        ..window("avg", "measure")
    },
    Builtin {
        lists: Lists::Extremum,
        stat: Some(Stat::Min),
        forms: &["min(list: [quantity]) -> quantity", "min(a: quantity, b: quantity) -> quantity"],
        ..window("min", "measure")
    },
    Builtin {
        lists: Lists::Extremum,
        stat: Some(Stat::Max),
        forms: &["max(list: [quantity]) -> quantity", "max(a: quantity, b: quantity) -> quantity"],
        ..window("max", "measure")
    },
    Builtin {
        lists: Lists::Aggregate,
        quantifier: Some(Quant::Sum),
        stat: Some(Stat::Sum),
        forms: &["sum(list: [quantity]) -> quantity", "sum(x in list: value) -> quantity"],
        ..window("sum", "measure")
    },
    Builtin {
        lists: Lists::Count,
        quantifier: Some(Quant::Count),
        forms: &["count(list: [any]) -> number", "count(x in list: predicate) -> number"],
        ..window("count", "number")
    },
    window("p50", "measure"),
    window("p90", "measure"),
    window("p95", "measure"),
    window("p99", "measure"),
    window("delta", "measure"),
    drift("psi"),
    drift("ks"),
    drift("wasserstein"),
    quantifier("all", Quant::All),
    quantifier("any", Quant::Any),
    Builtin {
        name: "abs",
        params: VALUE,
        ret: "quantity",
        family: Family::Scalar,
        lists: Lists::No,
        quantifier: None,
        stat: None,
        reads_metrics: false,
        forms: &[],
    },
    Builtin {
        name: "spread",
        params: LIST,
        ret: "quantity",
        family: Family::List,
        lists: Lists::Aggregate,
        quantifier: None,
        stat: Some(Stat::Spread),
        reads_metrics: false,
        forms: &[],
    },
    Builtin {
        name: "executive_roles",
        params: &[],
        ret: "[role]",
        family: Family::ExecutiveRoles,
        lists: Lists::No,
        quantifier: None,
        stat: None,
        reads_metrics: false,
        forms: &[],
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
    /// Whether a call with `args` arguments, the first a KPI when
    /// `first_is_kpi`, reads a window of that KPI: a KPI followed by a
    /// duration is always a window (`min(k, 7d)`), while `min(250ms, k)`
    /// is the smaller of two values.
    pub fn is_window_call(&self, args: usize, first_is_kpi: bool) -> bool {
        match self.family {
            Family::Window => args == 2 && (first_is_kpi || self.lists != Lists::Extremum),
            _ => false,
        }
    }

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
