//! The checked model: declarations with resolved attributes, gates,
//! policies, `let`s, built-ins, each file's scope and every resolved
//! reference, with the queries the evaluator and the editor ask of it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{builtins, extend, interp, rational, DeclId, GateId, Kind, MeasureUnit, Ty, Value};
use crate::syntax::ast::{self, CmpOp, Expr};
use crate::text::{FileId, FileSpan, Span};

/// A declaration with resolved attributes.
#[derive(Clone, Debug)]
pub struct Decl {
    /// Its kind.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// The file it is in.
    pub file: FileId,
    /// The name's span.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// The body's span (braces included).
    pub body_span: Span,
    /// Its doc comment.
    pub doc: Option<String>,
    /// The declaration it is nested in.
    pub parent: Option<DeclId>,
    /// Nested declarations in order.
    pub children: Vec<DeclId>,
    /// Attributes as written, with resolved values. Shared: the editor's
    /// check hands the same attributes to the next model when an edit
    /// cannot change them ([`super::check_reusing`]).
    pub attrs: Attrs,
    /// Gates declared inside it (initiatives).
    pub gates: Vec<GateId>,
    /// Whether a line of its body did not parse: an attribute it lacks may
    /// be the one being written, so it is not reported missing.
    pub incomplete: bool,
}

impl Decl {
    /// The attribute with this name, if set.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.attr(name)
    }

    /// The value of an attribute, if set and valid.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.attrs.value(name)
    }

    /// The referenced declaration of an attribute, if it is a reference.
    pub fn reference(&self, name: &str) -> Option<DeclId> {
        match self.value(name)? {
            Value::Decl(id) => Some(*id),
            _ => None,
        }
    }

    /// The threshold of an attribute (`target`, `warn`).
    pub fn threshold(&self, name: &str) -> Option<(CmpOp, &Value)> {
        self.attrs.threshold(name)
    }

    /// A KPI's measure unit (`Number` when unset).
    pub fn measure_unit(&self) -> MeasureUnit {
        self.attrs.measure_unit()
    }

    /// A KPI's label selector.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.labels_as_set().map(Labels::to_map).unwrap_or_default()
    }

    /// [`Decl::labels`]' pairs, without making a map ([`Labels::pairs`]).
    pub fn label_pairs(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.labels_as_set().into_iter().flat_map(|l| l.pairs())
    }

    /// A KPI's label selector as the model keeps it, if it has one.
    pub fn labels_as_set(&self) -> Option<&Labels> {
        self.attrs.labels_as_set()
    }

    /// A string attribute.
    pub fn str_attr(&self, name: &str) -> Option<&str> {
        self.attrs.str_attr(name)
    }
}

/// A declaration's attributes: a list, shared between models (the
/// editor's check hands the same attributes to the next model when an edit
/// cannot change them). Reads as a `Vec`; writing copies it first if
/// another model shares it.
#[derive(Clone, Default)]
pub struct Attrs(Arc<Vec<Attr>>);

impl Attrs {
    /// The attribute with this name, if set ([`Decl::attr`]).
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.0.iter().find(|a| a.name.as_str() == name)
    }

    /// The value of an attribute, if set and valid ([`Decl::value`]).
    pub fn value(&self, name: &str) -> Option<&Value> {
        match &self.attr(name)?.value {
            AttrVal::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The threshold of an attribute ([`Decl::threshold`]).
    pub fn threshold(&self, name: &str) -> Option<(CmpOp, &Value)> {
        match &self.attr(name)?.value {
            AttrVal::Threshold(op, v) => Some((*op, v)),
            _ => None,
        }
    }

    /// A KPI's measure unit ([`Decl::measure_unit`]).
    pub fn measure_unit(&self) -> MeasureUnit {
        match self.attr("unit").map(|a| &a.value) {
            Some(AttrVal::Unit(u)) => u.clone(),
            _ => MeasureUnit::Number,
        }
    }

    /// A KPI's label selector ([`Decl::labels_as_set`]).
    pub fn labels_as_set(&self) -> Option<&Labels> {
        match self.attr("labels").map(|a| &a.value) {
            Some(AttrVal::Labels(l)) => Some(l),
            _ => None,
        }
    }

    /// A string attribute ([`Decl::str_attr`]).
    pub fn str_attr(&self, name: &str) -> Option<&str> {
        match self.value(name)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether `other` is this very list, not merely an equal one: held
    /// by the caller since, it is unchanged (a change copies a list
    /// another holds) and its address was not reused.
    pub fn same(&self, other: &Attrs) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The list to change, copied first if it is shared.
    pub fn make_mut(&mut self) -> &mut Vec<Attr> {
        Arc::make_mut(&mut self.0)
    }

    /// The list, copied if it is shared.
    pub fn into_vec(self) -> Vec<Attr> {
        Arc::unwrap_or_clone(self.0)
    }
}

impl std::ops::Deref for Attrs {
    type Target = Vec<Attr>;
    fn deref(&self) -> &Vec<Attr> {
        &self.0
    }
}

impl std::ops::DerefMut for Attrs {
    fn deref_mut(&mut self) -> &mut Vec<Attr> {
        self.make_mut()
    }
}

impl From<Vec<Attr>> for Attrs {
    fn from(attrs: Vec<Attr>) -> Attrs {
        Attrs(Arc::new(attrs))
    }
}

impl<'a> IntoIterator for &'a Attrs {
    type Item = &'a Attr;
    type IntoIter = std::slice::Iter<'a, Attr>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a mut Attrs {
    type Item = &'a mut Attr;
    type IntoIter = std::slice::IterMut<'a, Attr>;
    fn into_iter(self) -> Self::IntoIter {
        self.make_mut().iter_mut()
    }
}

impl std::fmt::Debug for Attrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As the list it stands for.
        self.0.fmt(f)
    }
}

/// An attribute with its resolved value.
#[derive(Clone, Debug)]
pub struct Attr {
    /// Its name.
    pub name: AttrName,
    /// The name's span.
    pub name_span: Span,
    /// The value's span.
    pub value_span: Span,
    /// The whole attribute.
    pub span: Span,
    /// The value.
    pub value: AttrVal,
}

/// An attribute's name. A schema attribute's is the schema's own text,
/// which every declaration shares: looking an attribute up
/// ([`Decl::attr`]) then compares against memory that stays in the cache
/// instead of reading a copy of the name per declaration. An extension's
/// attribute (`extend KIND`) keeps its own.
#[derive(Clone)]
pub enum AttrName {
    /// A name of the kind's schema.
    Schema(&'static str),
    /// A name an `extend` item declares.
    Extension(Arc<str>),
}

impl AttrName {
    /// The name.
    pub fn as_str(&self) -> &str {
        match self {
            AttrName::Schema(s) => s,
            AttrName::Extension(s) => s,
        }
    }
}

impl std::ops::Deref for AttrName {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for AttrName {
    fn eq(&self, other: &AttrName) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for AttrName {}

impl PartialEq<str> for AttrName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AttrName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for AttrName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Display for AttrName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for AttrName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// A resolved attribute value.
#[derive(Clone, Debug)]
pub enum AttrVal {
    /// A plain value.
    Value(Value),
    /// A threshold.
    Threshold(CmpOp, Value),
    /// A label selector.
    Labels(Labels),
    /// A KPI family's groups: each label with its values (none when the
    /// values are discovered from the data, `by [sex]`).
    Groups(Vec<(String, Vec<String>)>),
    /// A KPI unit.
    Unit(MeasureUnit),
    /// A `target` or `warn` whose bound needs metrics or the clock
    /// (`>= avg(auc, 30d, offset 30d) - 0.01`): `eval` computes it once, at
    /// `now`. The bound's type as the checker inferred it.
    Bound(CmpOp, Box<Expr>, Ty),
    /// A derived KPI's formula, its type and the KPIs it reads (`derived`).
    Derived(Box<Expr>, Ty, Vec<DeclId>),
    /// The value did not check (a diagnostic was reported).
    Invalid,
}

/// A KPI's label selector as the model keeps it: its pairs sorted by
/// label, each label once (the last one written wins, as in a map). A
/// slice rather than a `BTreeMap`, whose smallest node holds room for
/// eleven pairs: one selector per KPI of a large policy set adds up.
/// Ordered as the map of its pairs is (pair by pair, a set before the
/// longer sets it starts), so the metric store keys its series by it.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Labels(Box<[(String, String)]>);

impl Labels {
    /// The pairs, sorted by label.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The pairs as string slices, sorted by label (as a map of them has
    /// them): what selecting and writing a selector read.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The selector as the metric store's map.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Whether `label` is selected.
    pub fn contains_key(&self, label: &str) -> bool {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(label)).is_ok()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut pairs: Vec<(String, String)> = pairs.into_iter().collect();
        // Stable: of two pairs with one label, the later stays later.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        Labels(out.into_boxed_slice())
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Self {
        Labels(map.into_iter().collect())
    }
}

impl From<&BTreeMap<String, String>> for Labels {
    fn from(map: &BTreeMap<String, String>) -> Self {
        Labels(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

impl std::fmt::Debug for Labels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As the map it stands for.
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A gate: criteria guarding the transition `from -> to`.
#[derive(Clone, Debug)]
pub struct GateDef {
    /// The file.
    pub file: FileId,
    /// Stage left (a stage declaration), when it resolved.
    pub from: Option<DeclId>,
    /// Stage entered.
    pub to: Option<DeclId>,
    /// The stage names as written.
    pub from_name: String,
    /// The stage entered, as written.
    pub to_name: String,
    /// The initiative that declares it; `None` for a top-level gate.
    pub owner: Option<DeclId>,
    /// The criteria.
    pub criteria: ast::Criteria,
    /// The whole gate.
    pub span: Span,
    /// Its doc comment.
    pub doc: Option<String>,
}

/// A policy over every declaration of a kind.
#[derive(Clone, Debug)]
pub struct PolicyDef {
    /// The file.
    pub file: FileId,
    /// Its name.
    pub name: String,
    /// The name's span.
    pub name_span: Span,
    /// The kind it governs (when valid).
    pub subject: Option<Kind>,
    /// The optional filter.
    pub filter: Option<Expr>,
    /// The criteria.
    pub criteria: ast::Criteria,
    /// The whole policy.
    pub span: Span,
    /// Its doc comment.
    pub doc: Option<String>,
}

/// A `let` constant.
#[derive(Clone, Debug)]
pub struct LetDef {
    /// The file.
    pub file: FileId,
    /// Its name.
    pub name: String,
    /// The name's span.
    pub name_span: Span,
    /// The expression.
    pub expr: Expr,
    /// The value, when it is a constant.
    pub value: Option<Value>,
    /// Its type.
    pub ty: Ty,
    /// Its doc comment.
    pub doc: Option<String>,
}

/// A built-in function's signature, read from `std/builtins`.
#[derive(Clone, Debug)]
pub struct BuiltinDef {
    /// The file.
    pub file: FileId,
    /// Its name.
    pub name: String,
    /// The name's span.
    pub name_span: Span,
    /// Parameter names and types as written.
    pub params: Vec<(String, String)>,
    /// Result type as written.
    pub ret: String,
    /// Its doc comment.
    pub doc: Option<String>,
    /// Its entry in the registry ([`builtins`]): how it is typed and
    /// evaluated. `None` for a signature the registry does not know.
    pub entry: Option<&'static builtins::Builtin>,
}

impl BuiltinDef {
    /// `avg(kpi: kpi, window: duration) -> measure`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        format!("{}({}) -> {}", self.name, params.join(", "), self.ret)
    }
}

/// What a top-level name refers to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Symbol {
    /// A declaration.
    Decl(DeclId),
    /// A policy (index into [`Model::policies`]).
    Policy(usize),
    /// A `let` (index into [`Model::lets`]).
    Let(usize),
    /// A built-in (index into [`Model::builtins`]).
    Builtin(usize),
}

/// A resolved occurrence of a name, for go-to-definition, references and
/// rename.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// Where the name is written.
    pub at: FileSpan,
    /// What it refers to.
    pub target: Target,
}

/// The target of a reference.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A top-level or nested symbol.
    Symbol(Symbol),
    /// An attribute of a subject kind (in a criterion or a field access).
    Attribute(Kind, String),
    /// A value of an extended attribute typed `one of [...]`.
    EnumValue {
        /// The kind extended.
        kind: Kind,
        /// The attribute.
        attr: Box<str>,
        /// The value.
        value: Box<str>,
    },
    /// A name read in the scope of the other side of a comparison: a value
    /// of a `one of`, or a declaration of the kind an attribute names
    /// (`e.kind == model_card` where the subject also has an attribute
    /// `model_card`). The interpreter reads it from [`Model::scoped`]; the
    /// editor reads the [`Target::EnumValue`] or [`Target::Symbol`]
    /// recorded beside it.
    Scoped(Box<Value>),
}

/// The checked model of all loaded files.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Every declaration (top-level and nested).
    pub decls: Vec<Decl>,
    /// Every gate.
    pub gates: Vec<GateDef>,
    /// Every policy.
    pub policies: Vec<PolicyDef>,
    /// Every `let`.
    pub lets: Vec<LetDef>,
    /// Every built-in signature.
    pub builtins: Vec<BuiltinDef>,
    /// Each file's visible names.
    pub scopes: Vec<HashMap<String, Symbol>>,
    /// The files each file sees (itself, transitive imports, prelude).
    pub visible: Vec<Vec<FileId>>,
    /// Every resolved name occurrence.
    pub references: Vec<Reference>,
    /// Names that start a declaration (the declaring occurrence).
    pub definitions: Vec<(FileSpan, Symbol)>,
    /// The stages in their order (computed once attributes are resolved).
    pub stage_order: Vec<DeclId>,
    /// Top-level gates grouped by the stage they leave.
    pub gates_from: HashMap<DeclId, Vec<GateId>>,
    /// The evaluation steps left to this run (see [`interp::Budget`]).
    pub budget: interp::Budget,
    /// Every `extend` item.
    pub extensions: Vec<extend::ExtensionDef>,
    /// The files of the project's policy sets: their extensions apply to
    /// every declaration, visible or not. Empty unless the host sets it.
    pub policy_sets: Vec<FileId>,
    /// Names read in the scope of a comparison's other side (see
    /// [`Target::Scoped`]), by where they are written.
    pub scoped: HashMap<FileSpan, Value>,
}

impl Model {
    /// A declaration by id.
    pub fn decl(&self, id: DeclId) -> &Decl {
        &self.decls[id.0 as usize]
    }

    /// Looks a name up in a file's scope.
    pub fn lookup(&self, file: FileId, name: &str) -> Option<Symbol> {
        self.scopes.get(file.0 as usize)?.get(name).copied()
    }

    /// Whether `file` sees `other`.
    pub fn sees(&self, file: FileId, other: FileId) -> bool {
        self.visible.get(file.0 as usize).is_some_and(|v| v.binary_search(&other).is_ok())
    }

    /// The stage declarations in their order.
    pub fn stages(&self) -> &[DeclId] {
        &self.stage_order
    }

    pub(super) fn compute_stage_order(&mut self) {
        let mut stages: Vec<(Option<rational::Rational>, DeclId)> = self
            .decls
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == Kind::Stage)
            .map(|(i, d)| {
                let order = match d.value("order") {
                    Some(Value::Num(n)) => Some(*n),
                    _ => None,
                };
                (order, DeclId(i as u32))
            })
            .collect();
        // Stages without an order go last.
        stages.sort_by(|a, b| (a.0.is_none(), a.0).cmp(&(b.0.is_none(), b.0)).then(a.1.cmp(&b.1)));
        self.stage_order = stages.into_iter().map(|(_, id)| id).collect();
    }

    /// The stage after `stage` in the cycle (after the last comes the first).
    pub fn next_stage(&self, stage: DeclId) -> Option<DeclId> {
        let stages = self.stages();
        let i = stages.iter().position(|s| *s == stage)?;
        Some(stages[(i + 1) % stages.len()])
    }

    /// Formats a value for explanations, naming declarations.
    pub fn display_value(&self, v: &Value) -> String {
        match v {
            Value::Decl(id) => self.decl(*id).name.clone(),
            v => {
                let mut out = String::new();
                self.write_value(&mut out, v);
                out
            }
        }
    }

    /// [`Model::display_value`], appended to `out`.
    pub fn write_value(&self, out: &mut String, v: &Value) {
        use std::fmt::Write as _;
        match v {
            Value::Decl(id) => out.push_str(&self.decl(*id).name),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_value(out, item);
                }
                out.push(']');
            }
            v => {
                let _ = write!(out, "{v}");
            }
        }
    }

    /// The symbol's name and declaring location.
    pub fn symbol_def(&self, sym: Symbol) -> (String, FileSpan) {
        match sym {
            Symbol::Decl(id) => {
                let d = self.decl(id);
                (d.name.clone(), FileSpan::new(d.file, d.name_span))
            }
            Symbol::Policy(i) => {
                let p = &self.policies[i];
                (p.name.clone(), FileSpan::new(p.file, p.name_span))
            }
            Symbol::Let(i) => {
                let l = &self.lets[i];
                (l.name.clone(), FileSpan::new(l.file, l.name_span))
            }
            Symbol::Builtin(i) => {
                let b = &self.builtins[i];
                (b.name.clone(), FileSpan::new(b.file, b.name_span))
            }
        }
    }

    /// Top-level declarations of a kind that `file` governs: declared in a
    /// file that sees `file`.
    pub fn subjects_seeing(&self, file: FileId, kind: Kind) -> impl Iterator<Item = DeclId> + '_ {
        self.decls
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.kind == kind && self.sees(d.file, file))
            .map(|(i, _)| DeclId(i as u32))
    }

    /// The gates that apply to an initiative at its current stage: the
    /// top-level gates its file sees with `from` equal to its stage, then its
    /// own gates for that transition.
    pub fn gates_for(&self, initiative: DeclId) -> Vec<GateId> {
        let d = self.decl(initiative);
        let Some(stage) = d.reference("stage") else { return Vec::new() };
        let mut out: Vec<GateId> = self
            .gates_from
            .get(&stage)
            .map(|gs| gs.iter().copied().filter(|g| self.sees(d.file, self.gates[*g].file)).collect())
            .unwrap_or_default();
        out.extend(d.gates.iter().copied().filter(|g| self.gates[*g].from == Some(stage)));
        out
    }
}
