//! The checker: names, kinds, attribute schemas, types and units, stage
//! transitions, and the compile-time evaluation of policies.
//!
//! Input: the parsed files and their resolved imports. Output: a [`Model`]
//! (every declaration with resolved attribute values, every gate, policy,
//! `let` and built-in, each file's scope, and every resolved reference for
//! the editor) plus diagnostics. No I/O, no clock: criteria that need
//! `today`, `now` or a metric are left to `eval`.
//!
//! Scope: a file sees its own top-level names, those of the files it
//! imports transitively, and the prelude. Names are global within that
//! scope; two visible declarations with one name are an error (reported
//! once, at the later one, with the first as a secondary label).

mod bounds;
pub mod builtins;
mod executive;
pub mod extend;
pub mod families;
mod governance;
mod ids;
pub mod interp;
mod policies;
pub mod rational;
pub mod schema;
pub mod types;
pub mod value;

use std::collections::{BTreeMap, HashMap};

pub use ids::{DeclId, GateId};
pub use schema::{AttrSpec, AttrType, Kind};
pub use value::{MeasureUnit, Ty, Value};

use crate::diag::{self, Code, Diagnostic, Edit, Fix};
use crate::syntax::ast::{self, AttrValue as AstAttrValue, CmpOp, Expr, ExprKind};
use crate::text::{FileId, FileSpan, Files, Span};

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
    /// Attributes as written, with resolved values.
    pub attrs: Vec<Attr>,
    /// Gates declared inside it (initiatives).
    pub gates: Vec<GateId>,
    /// Whether a line of its body did not parse: an attribute it lacks may
    /// be the one being written, so it is not reported missing.
    pub incomplete: bool,
}

impl Decl {
    /// The attribute with this name, if set.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// The value of an attribute, if set and valid.
    pub fn value(&self, name: &str) -> Option<&Value> {
        match &self.attr(name)?.value {
            AttrVal::Value(v) => Some(v),
            _ => None,
        }
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
        match &self.attr(name)?.value {
            AttrVal::Threshold(op, v) => Some((*op, v)),
            _ => None,
        }
    }

    /// A KPI's measure unit (`Number` when unset).
    pub fn measure_unit(&self) -> MeasureUnit {
        match self.attr("unit").map(|a| &a.value) {
            Some(AttrVal::Unit(u)) => u.clone(),
            _ => MeasureUnit::Number,
        }
    }

    /// A KPI's label selector.
    pub fn labels(&self) -> BTreeMap<String, String> {
        match self.attr("labels").map(|a| &a.value) {
            Some(AttrVal::Labels(l)) => l.clone(),
            _ => BTreeMap::new(),
        }
    }

    /// A string attribute.
    pub fn str_attr(&self, name: &str) -> Option<&str> {
        match self.value(name)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// An attribute with its resolved value.
#[derive(Clone, Debug)]
pub struct Attr {
    /// Its name.
    pub name: String,
    /// The name's span.
    pub name_span: Span,
    /// The value's span.
    pub value_span: Span,
    /// The whole attribute.
    pub span: Span,
    /// The value.
    pub value: AttrVal,
}

/// A resolved attribute value.
#[derive(Clone, Debug)]
pub enum AttrVal {
    /// A plain value.
    Value(Value),
    /// A threshold.
    Threshold(CmpOp, Value),
    /// A label selector.
    Labels(BTreeMap<String, String>),
    /// A KPI family's groups: each label with its values (none when the
    /// values are discovered from the data, `by [sex]`).
    Groups(Vec<(String, Vec<String>)>),
    /// A KPI unit.
    Unit(MeasureUnit),
    /// A `target` or `warn` whose bound needs metrics or the clock
    /// (`>= avg(auc, 30d, offset 30d) - 0.01`): `eval` computes it once, at
    /// `now`. The bound's type as the checker inferred it.
    Bound(CmpOp, Box<Expr>, Ty),
    /// The value did not check (a diagnostic was reported).
    Invalid,
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
    pub criteria: Vec<ast::Criterion>,
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
    pub criteria: Vec<ast::Criterion>,
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

    fn compute_stage_order(&mut self) {
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
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(|i| self.display_value(i)).collect();
                format!("[{}]", inner.join(", "))
            }
            v => v.to_string(),
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

/// Checks parsed files. `visible[i]` are the files file `i` sees, sorted:
/// itself, its transitive imports, the prelude and the policy sets that
/// govern it (the analysis works them out).
pub fn check(files: &Files, asts: &[ast::File], visible: Vec<Vec<FileId>>) -> (Model, Vec<Diagnostic>) {
    let mut cx = Checker {
        files,
        model: Model::default(),
        diags: Vec::new(),
        ast_decls: Vec::new(),
        budget_reported: false,
        broken_extends: Vec::new(),
    };
    cx.model.visible = visible;
    for (i, file) in asts.iter().enumerate() {
        cx.collect(FileId(i as u32), file);
    }
    cx.build_scopes();
    // The evaluation budget grows with the project (see `interp::step_limit`).
    cx.model.budget.reset(interp::step_limit(&cx.model, interp::MAX_EVAL_STEPS));
    cx.check_lets();
    for i in 0..cx.model.decls.len() {
        cx.check_decl_attrs(DeclId(i as u32));
    }
    cx.check_bounds();
    families::expand(&mut cx.model);
    cx.recompute_model_lets();
    cx.model.compute_stage_order();
    cx.check_gates();
    let mut gates_from: HashMap<DeclId, Vec<GateId>> = HashMap::new();
    for (i, g) in cx.model.gates.iter().enumerate() {
        if let (None, Some(from)) = (g.owner, g.from) {
            gates_from.entry(from).or_default().push(GateId::new(i));
        }
    }
    cx.model.gates_from = gates_from;
    cx.check_policies();
    for (i, file) in asts.iter().enumerate() {
        cx.check_tests(FileId(i as u32), file);
    }
    extend::conflicts(&cx.model, &mut cx.diags);
    cx.model.scoped = cx
        .model
        .references
        .iter()
        .filter_map(|r| match &r.target {
            Target::Scoped(v) => Some((r.at, Value::clone(v))),
            _ => None,
        })
        .collect();
    policies::evaluate_static(&cx.model, cx.files, cx.budget_reported, &mut cx.diags);
    cx.diags.extend(governance::ungoverned(&cx.model, cx.files, asts));
    (cx.model, cx.diags)
}

struct Checker<'a> {
    files: &'a Files,
    model: Model,
    diags: Vec<Diagnostic>,
    /// The AST of each declaration, parallel to `model.decls`.
    ast_decls: Vec<&'a ast::Decl>,
    /// Whether the evaluation budget's `E0103` was reported (once a run).
    budget_reported: bool,
    /// `extend KIND` items that did not parse: an attribute of KIND no
    /// extension defines may be one of theirs, so it is not reported.
    broken_extends: Vec<(FileId, Kind)>,
}

impl<'a> Checker<'a> {
    fn collect(&mut self, file: FileId, ast: &'a ast::File) {
        for item in &ast.items {
            match item {
                ast::Item::Decl(d) => {
                    self.collect_decl(file, d, None);
                }
                ast::Item::Gate(g) => self.collect_gate(file, g, None),
                ast::Item::Policy(p) => {
                    let subject = match Kind::parse(&p.subject.name) {
                        Some(k) if !k.is_vocabulary() => Some(k),
                        _ => {
                            self.unknown_kind(file, &p.subject, "policy subject");
                            None
                        }
                    };
                    self.model.policies.push(PolicyDef {
                        file,
                        name: p.name.name.clone(),
                        name_span: p.name.span,
                        subject,
                        filter: p.filter.clone(),
                        criteria: p.criteria.clone(),
                        span: p.span,
                        doc: p.doc.as_ref().map(|d| d.text.clone()),
                    });
                    let sym = Symbol::Policy(self.model.policies.len() - 1);
                    self.model.definitions.push((FileSpan::new(file, p.name.span), sym));
                }
                ast::Item::Let(l) => {
                    self.model.lets.push(LetDef {
                        file,
                        name: l.name.name.clone(),
                        name_span: l.name.span,
                        expr: l.value.clone(),
                        value: None,
                        ty: Ty::Any,
                        doc: l.doc.as_ref().map(|d| d.text.clone()),
                    });
                    let sym = Symbol::Let(self.model.lets.len() - 1);
                    self.model.definitions.push((FileSpan::new(file, l.name.span), sym));
                }
                ast::Item::Builtin(b) => {
                    self.model.builtins.push(BuiltinDef {
                        file,
                        name: b.name.name.clone(),
                        name_span: b.name.span,
                        params: b.params.iter().map(|p| (p.name.name.clone(), type_text(&p.ty))).collect(),
                        ret: type_text(&b.ret),
                        doc: b.doc.as_ref().map(|d| d.text.clone()),
                        entry: builtins::lookup(&b.name.name),
                    });
                    let sym = Symbol::Builtin(self.model.builtins.len() - 1);
                    self.model.definitions.push((FileSpan::new(file, b.name.span), sym));
                }
                ast::Item::Extend(x) => {
                    let kind = Kind::parse(&x.kind.name);
                    if kind.is_none() {
                        self.unknown_kind(file, &x.kind, "kind to extend");
                    }
                    let def = extend::collect(file, x, kind, &mut self.diags);
                    self.model.extensions.push(def);
                }
                ast::Item::Error(span) => {
                    if let Some(kind) = extend::broken_extend(&self.files.get(file).text[span.range()]) {
                        self.broken_extends.push((file, kind));
                    }
                }
                ast::Item::Import(_) | ast::Item::Test(_) => {}
            }
        }
    }

    fn unknown_kind(&mut self, file: FileId, word: &ast::Ident, what: &str) {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        let mut d = Diagnostic::at(Code::UnknownKind, file, word.span, format!("unknown {what} `{}`", word.name));
        if let Some(s) = diag::did_you_mean(&word.name, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
                title: format!("change to `{s}`"),
                edits: vec![Edit { at: FileSpan::new(file, word.span), replacement: s.to_string() }],
            });
        } else {
            d = d.with_help(
                "the kinds are program, coe, person, kpi, initiative, dataset, monitor, evidence, role, function, monitor_kind, evidence_kind and stage",
            );
        }
        self.diags.push(d);
    }

    fn collect_decl(&mut self, file: FileId, d: &'a ast::Decl, parent: Option<DeclId>) -> Option<DeclId> {
        let Some(kind) = Kind::parse(&d.kind.name) else {
            self.unknown_kind(file, &d.kind, "declaration kind");
            return None;
        };
        match (parent, kind.is_nested()) {
            (None, true) => {
                self.diags.push(
                    Diagnostic::at(
                        Code::UnknownKind,
                        file,
                        d.kind.span,
                        format!("`{}` belongs inside an initiative", kind.as_str()),
                    )
                    .with_help("declare it inside the initiative that uses it"),
                );
                return None;
            }
            (Some(p), _) if !self.model.decl(p).kind.children().contains(&kind) => {
                let pk = self.model.decl(p).kind;
                self.diags.push(Diagnostic::at(
                    Code::UnknownKind,
                    file,
                    d.kind.span,
                    format!("{} cannot be declared inside {}", kind.with_article(), pk.with_article()),
                ));
                return None;
            }
            _ => {}
        }
        let id = DeclId(self.model.decls.len() as u32);
        self.model.decls.push(Decl {
            kind,
            name: d.name.name.clone(),
            file,
            name_span: d.name.span,
            span: d.span,
            body_span: d.body_span,
            doc: d.doc.as_ref().map(|d| d.text.clone()),
            parent,
            children: Vec::new(),
            attrs: Vec::new(),
            gates: Vec::new(),
            incomplete: !d.broken.is_empty(),
        });
        self.ast_decls.push(d);
        self.model.definitions.push((FileSpan::new(file, d.name.span), Symbol::Decl(id)));
        let mut seen: HashMap<String, Span> = HashMap::new();
        for m in &d.members {
            match m {
                ast::Member::Decl(child) => {
                    if let Some(prev) = seen.get(&child.name.name) {
                        self.diags.push(
                            Diagnostic::at(
                                Code::DuplicateName,
                                file,
                                child.name.span,
                                format!("`{}` is declared twice in `{}`", child.name.name, d.name.name),
                            )
                            .with_label(FileSpan::new(file, *prev), "first declared here"),
                        );
                    }
                    seen.insert(child.name.name.clone(), child.name.span);
                    if let Some(cid) = self.collect_decl(file, child, Some(id)) {
                        self.model.decls[id.0 as usize].children.push(cid);
                    }
                }
                ast::Member::Gate(g) => {
                    if kind == Kind::Initiative {
                        self.collect_gate(file, g, Some(id));
                    } else {
                        self.diags.push(
                            Diagnostic::at(
                                Code::UnknownAttribute,
                                file,
                                Span::new(g.span.start as usize, g.span.start as usize + 4),
                                format!("{} cannot have a gate", kind.with_article()),
                            )
                            .with_help("gates go inside an initiative, or at top level to apply to every initiative"),
                        );
                    }
                }
                ast::Member::Attr(_) => {}
            }
        }
        Some(id)
    }

    fn collect_gate(&mut self, file: FileId, g: &ast::Gate, owner: Option<DeclId>) {
        self.model.gates.push(GateDef {
            file,
            from: None,
            to: None,
            from_name: g.from.name.clone(),
            to_name: g.to.name.clone(),
            owner,
            criteria: g.criteria.clone(),
            span: g.span,
            doc: g.doc.as_ref().map(|d| d.text.clone()),
        });
        if let Some(o) = owner {
            let gi = GateId::new(self.model.gates.len() - 1);
            self.model.decls[o.0 as usize].gates.push(gi);
        }
    }

    /// Builds each file's scope and reports duplicate names.
    fn build_scopes(&mut self) {
        // Top-level symbols per file, in declaration order.
        let mut per_file: Vec<Vec<(String, Symbol, Span)>> = vec![Vec::new(); self.files.len()];
        for (i, d) in self.model.decls.iter().enumerate() {
            if d.parent.is_none() {
                per_file[d.file.0 as usize].push((d.name.clone(), Symbol::Decl(DeclId(i as u32)), d.name_span));
            }
        }
        for (i, p) in self.model.policies.iter().enumerate() {
            per_file[p.file.0 as usize].push((p.name.clone(), Symbol::Policy(i), p.name_span));
        }
        for (i, l) in self.model.lets.iter().enumerate() {
            per_file[l.file.0 as usize].push((l.name.clone(), Symbol::Let(i), l.name_span));
        }
        for (i, b) in self.model.builtins.iter().enumerate() {
            per_file[b.file.0 as usize].push((b.name.clone(), Symbol::Builtin(i), b.name_span));
        }
        for list in &mut per_file {
            list.sort_by_key(|(_, _, s)| *s);
        }
        let mut scopes = Vec::with_capacity(self.files.len());
        for f in 0..self.files.len() {
            let mut scope: HashMap<String, (Symbol, FileSpan)> = HashMap::new();
            for vf in &self.model.visible[f] {
                for (name, sym, span) in &per_file[vf.0 as usize] {
                    let here = FileSpan::new(*vf, *span);
                    match scope.get(name) {
                        Some((_, first)) if *first != here => {
                            // Report at the later of the two, once.
                            let (first, later) = if (first.file, first.span) < (here.file, here.span) {
                                (*first, here)
                            } else {
                                (here, *first)
                            };
                            self.diags.push(
                                Diagnostic::new(
                                    Code::DuplicateName,
                                    later,
                                    format!("`{name}` is declared more than once"),
                                )
                                .with_primary_label("declared again here")
                                .with_label(first, "first declared here")
                                .with_help("every name must be unique among the files a file sees; rename one"),
                            );
                        }
                        Some(_) => {}
                        None => {
                            scope.insert(name.clone(), (*sym, here));
                        }
                    }
                }
            }
            scopes.push(scope.into_iter().map(|(k, (s, _))| (k, s)).collect());
        }
        self.model.scopes = scopes;
    }

    /// Reports `let`s that refer to themselves, directly or through others.
    fn check_let_cycles(&mut self) {
        let n = self.model.lets.len();
        let deps: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                let l = &self.model.lets[i];
                let mut names = Vec::new();
                collect_names(&l.expr, &mut names);
                names
                    .into_iter()
                    .filter_map(|name| match self.model.lookup(l.file, name) {
                        Some(Symbol::Let(j)) => Some(j),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        // 0 new, 1 on the path, 2 done.
        let mut state = vec![0u8; n];
        let mut path = Vec::new();
        for start in 0..n {
            self.let_cycle_from(start, &deps, &mut state, &mut path);
        }
    }

    fn let_cycle_from(&mut self, i: usize, deps: &[Vec<usize>], state: &mut [u8], path: &mut Vec<usize>) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        path.push(i);
        for &j in &deps[i] {
            if state[j] == 1 {
                let pos = path.iter().position(|p| *p == j).unwrap_or(0);
                let names: Vec<&str> = path[pos..].iter().map(|k| self.model.lets[*k].name.as_str()).collect();
                let l = &self.model.lets[j];
                let message = if names.len() == 1 {
                    format!("`{}` refers to itself", l.name)
                } else {
                    format!("`{}` refers to itself through {}", l.name, names.join(" -> ") + " -> " + &l.name)
                };
                self.diags.push(
                    Diagnostic::at(Code::LetCycle, l.file, l.name_span, message)
                        .with_help("a `let` is computed once from values declared before it; break the cycle"),
                );
            } else {
                self.let_cycle_from(j, deps, state, path);
            }
        }
        path.pop();
        state[i] = 2;
    }

    fn check_lets(&mut self) {
        self.check_let_cycles();
        for i in 0..self.model.lets.len() {
            let (file, expr) = (self.model.lets[i].file, self.model.lets[i].expr.clone());
            let ty = self.infer_in_file(file, &expr);
            let value = self.const_value(file, &expr);
            if value.is_none() {
                let span = self.model.lets[i].name_span;
                self.budget_spent(file, span);
            }
            self.model.lets[i].ty = ty;
            self.model.lets[i].value = value;
        }
    }

    /// Whether the evaluation budget is spent; the first time it is, reports
    /// `E0103` at `span` (the rest of the run is left undecided, so later
    /// constants are not reported as "not constant").
    fn budget_spent(&mut self, file: FileId, span: Span) -> bool {
        if !self.model.budget.exhausted() {
            return false;
        }
        if !std::mem::replace(&mut self.budget_reported, true) {
            self.diags.push(policies::budget_diagnostic(&self.model, FileSpan::new(file, span)));
        }
        true
    }

    /// Evaluates an expression that must be a constant (attribute values,
    /// `let`s): literals, names of declarations and lists of them.
    /// Whether only `eval` can compute the expression (it needs metrics or
    /// the clock).
    fn needs_eval(&self, file: FileId, expr: &Expr) -> bool {
        let env = interp::Env::constant(&self.model, file);
        matches!(interp::eval(&env, expr), Err(interp::Undecided::Deferred(_)))
    }

    fn const_value(&self, file: FileId, expr: &Expr) -> Option<Value> {
        let env = interp::Env::constant(&self.model, file);
        interp::eval(&env, expr).ok()
    }

    fn resolve_name(&mut self, file: FileId, ident: &ast::Ident) -> Option<Symbol> {
        match self.model.lookup(file, &ident.name) {
            Some(sym) => {
                self.model
                    .references
                    .push(Reference { at: FileSpan::new(file, ident.span), target: Target::Symbol(sym) });
                Some(sym)
            }
            None => None,
        }
    }

    fn unknown_name(&mut self, file: FileId, ident: &ast::Ident, kind: Option<Kind>) {
        let candidates: Vec<String> = match kind {
            Some(k) => self.names_of_kind(file, k),
            None => self.model.scopes[file.0 as usize].keys().cloned().collect(),
        };
        let mut d = Diagnostic::at(
            Code::UnknownName,
            file,
            ident.span,
            match kind {
                Some(k) => format!("unknown {} `{}`", k.as_str(), ident.name),
                None => format!("unknown name `{}`", ident.name),
            },
        )
        .with_primary_label("not found");
        if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
                title: format!("change to `{s}`"),
                edits: vec![Edit { at: FileSpan::new(file, ident.span), replacement: s.to_string() }],
            });
        }
        self.diags.push(d);
    }

    fn names_of_kind(&self, file: FileId, kind: Kind) -> Vec<String> {
        let mut names: Vec<String> = self.model.scopes[file.0 as usize]
            .iter()
            .filter(|(_, s)| matches!(s, Symbol::Decl(id) if self.model.decl(*id).kind == kind))
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }

    /// Resolves a reference to a declaration of `kind`.
    fn resolve_ref(&mut self, file: FileId, expr: &Expr, kind: Kind, attr: &str) -> Option<Value> {
        let ExprKind::Name(ident) = &expr.kind else {
            self.diags.push(Diagnostic::at(
                Code::AttributeType,
                file,
                expr.span,
                format!("`{attr}` must be {}", AttrType::Ref(kind).describe()),
            ));
            return None;
        };
        match self.resolve_name(file, ident) {
            Some(Symbol::Decl(id)) if self.model.decl(id).kind == kind => Some(Value::Decl(id)),
            Some(sym) => {
                let (name, at) = self.model.symbol_def(sym);
                let what = match sym {
                    Symbol::Decl(id) => self.model.decl(id).kind.with_article(),
                    Symbol::Policy(_) => "a policy".into(),
                    Symbol::Let(_) => "a constant".into(),
                    Symbol::Builtin(_) => "a built-in function".into(),
                };
                let mut d = Diagnostic::at(
                    Code::WrongKind,
                    file,
                    ident.span,
                    format!("`{attr}` must name {}, but `{name}` is {what}", kind.with_article()),
                )
                .with_label(at, format!("`{name}` is declared here"));
                let candidates = self.names_of_kind(file, kind);
                if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
                None
            }
            None => {
                self.unknown_name(file, ident, Some(kind));
                None
            }
        }
    }

    fn check_decl_attrs(&mut self, id: DeclId) {
        let ast = self.ast_decls[id.0 as usize];
        let (kind, file) = (self.model.decl(id).kind, self.model.decl(id).file);
        let mut attrs: Vec<Attr> = Vec::with_capacity(ast.members.len());
        // Attributes a misspelt one was taken for: one typo, one error (its
        // fix), not also "missing `metric`" with a second fix that adds it.
        let mut suggested: Vec<String> = Vec::new();
        for m in &ast.members {
            let ast::Member::Attr(a) = m else { continue };
            let name = &a.name.name;
            let spec = kind.attr(name);
            let ext = if spec.is_none() { self.model.ext_attr_in(file, kind, name) } else { None };
            if spec.is_none() && ext.is_none() {
                if self.broken_extends.iter().any(|(f, k)| *k == kind && self.model.sees(file, *f)) {
                    continue;
                }
                let mut names: Vec<&str> = kind.attrs().iter().map(|s| s.name).collect();
                let exts: Vec<String> = self
                    .model
                    .ext_attrs_in(file, kind)
                    .into_iter()
                    .map(|at| self.model.ext_attr(at).name.clone())
                    .collect();
                names.extend(exts.iter().map(String::as_str));
                let mut d = Diagnostic::at(
                    Code::UnknownAttribute,
                    file,
                    a.name.span,
                    format!("{} has no attribute `{name}`", kind.with_article()),
                );
                if let Some(s) = diag::did_you_mean(name, names.iter().copied()) {
                    suggested.push(s.to_string());
                    d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
                        title: format!("change to `{s}`"),
                        edits: vec![Edit { at: FileSpan::new(file, a.name.span), replacement: s.to_string() }],
                    });
                } else if let Some(help) = extend::not_visible_help(&self.model, self.files, kind, name) {
                    d = d.with_help(help);
                } else {
                    d = d.with_help(format!("the attributes of {} are {}", kind.with_article(), names.join(", ")));
                }
                self.diags.push(d);
                continue;
            }
            if let Some(prev) = attrs.iter().find(|x| &x.name == name) {
                self.diags.push(
                    Diagnostic::at(Code::DuplicateAttribute, file, a.name.span, format!("`{name}` is set twice"))
                        .with_label(FileSpan::new(file, prev.name_span), "first set here")
                        .with_help("remove one of them"),
                );
                continue;
            }
            self.model.references.push(Reference {
                at: FileSpan::new(file, a.name.span),
                target: Target::Attribute(kind, name.clone()),
            });
            let value = match (spec, ext) {
                (Some(spec), _) => self.attr_value(file, spec, &a.value, kind, id),
                (None, Some(at)) => self.ext_value(file, kind, at, &a.value),
                (None, None) => AttrVal::Invalid,
            };
            attrs.push(Attr {
                name: name.clone(),
                name_span: a.name.span,
                value_span: a.value.span(),
                span: a.span,
                value,
            });
        }
        for spec in kind.attrs().iter().filter(|s| s.required) {
            let decl = self.model.decl(id);
            if attrs.iter().all(|a| a.name != spec.name)
                && !suggested.iter().any(|s| s == spec.name)
                && !decl.incomplete
            {
                let insert_at = decl.body_span.end.saturating_sub(1) as usize;
                let indent = if decl.parent.is_some() { "    " } else { "  " };
                let placeholder = placeholder(spec.ty);
                self.diags.push(
                    Diagnostic::at(
                        Code::MissingAttribute,
                        file,
                        decl.name_span,
                        format!("{} `{}` has no `{}`", kind.as_str(), decl.name, spec.name),
                    )
                    .with_primary_label(format!("`{}` is required", spec.name))
                    .with_help(format!("add `{} {placeholder}`: {}", spec.name, spec.doc))
                    .with_fix(Fix {
                        title: format!("add `{}`", spec.name),
                        edits: vec![Edit {
                            at: FileSpan::new(file, Span::new(insert_at, insert_at)),
                            replacement: format!("{indent}{} {placeholder}\n", spec.name),
                        }],
                    }),
                );
            }
        }
        self.missing_ext_attrs(id, &attrs, &suggested);
        if kind == Kind::Kpi {
            let incomplete = self.model.decl(id).incomplete;
            self.check_kpi_units(file, &attrs, incomplete, false);
            self.check_percent_thresholds(file, ast, &attrs);
            self.check_query_resolution(file, id, &attrs);
            self.check_family_labels(file, &mut attrs);
        }
        self.model.decls[id.0 as usize].attrs = attrs;
    }

    fn attr_value(&mut self, file: FileId, spec: &AttrSpec, v: &AstAttrValue, kind: Kind, id: DeclId) -> AttrVal {
        let _ = (kind, id);
        let wrong = |cx: &mut Self, span: Span| {
            cx.diags.push(Diagnostic::at(
                Code::AttributeType,
                file,
                span,
                format!("`{}` must be {}", spec.name, spec.ty.describe()),
            ));
            AttrVal::Invalid
        };
        match (spec.ty, v) {
            (AttrType::Threshold, AstAttrValue::Threshold(t)) => {
                // A bound that needs metrics is typed once every KPI's unit
                // is known (`bounds::check`).
                if self.needs_eval(file, &t.value) && !self.budget_spent(file, t.value.span) {
                    return AttrVal::Bound(t.op, Box::new(t.value.clone()), Ty::Any);
                }
                self.infer_in_file(file, &t.value);
                match self.const_value(file, &t.value) {
                    Some(val) => AttrVal::Threshold(t.op, val),
                    None if self.budget_spent(file, t.value.span) => AttrVal::Invalid,
                    None => wrong(self, t.value.span),
                }
            }
            (AttrType::Groups, v) => self.groups_value(file, v, id),
            (AttrType::Labels, AstAttrValue::Map(m)) => {
                AttrVal::Labels(m.entries.iter().map(|(k, v)| (k.name.clone(), v.value.clone())).collect())
            }
            (AttrType::Unit, AstAttrValue::Expr(Expr { kind: ExprKind::Name(ident), .. })) => {
                match MeasureUnit::parse(&ident.name) {
                    Some(u) => AttrVal::Unit(u),
                    None => {
                        let units = ["percent", "ratio", "number", "ms", "s", "m", "h", "d", "w"];
                        let mut d = Diagnostic::at(
                            Code::UnknownUnit,
                            file,
                            ident.span,
                            format!("unknown unit `{}`", ident.name),
                        );
                        d = match diag::did_you_mean(&ident.name, units) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(AttrType::Unit.describe()),
                        };
                        self.diags.push(d);
                        AttrVal::Invalid
                    }
                }
            }
            (AttrType::Ref(k), AstAttrValue::Expr(e)) => match self.resolve_ref(file, e, k, spec.name) {
                Some(v) => AttrVal::Value(v),
                None => AttrVal::Invalid,
            },
            (AttrType::StrOrRef(k), AstAttrValue::Expr(e)) => match &e.kind {
                ExprKind::Str(s) => AttrVal::Value(Value::Str(s.clone())),
                _ => match self.resolve_ref(file, e, k, spec.name) {
                    Some(v) => AttrVal::Value(v),
                    None => AttrVal::Invalid,
                },
            },
            (AttrType::RefList(k), AstAttrValue::Expr(e)) => match &e.kind {
                ExprKind::List(items) => {
                    let mut out = Vec::new();
                    let mut ok = true;
                    for item in items {
                        match self.resolve_ref(file, item, k, spec.name) {
                            Some(v) => out.push(v),
                            None => ok = false,
                        }
                    }
                    if ok {
                        AttrVal::Value(Value::List(out))
                    } else {
                        AttrVal::Invalid
                    }
                }
                _ => wrong(self, e.span),
            },
            (_, AstAttrValue::Expr(e)) => {
                let ty = self.infer_in_file(file, e);
                let expected = match spec.ty {
                    AttrType::Str => Some(Ty::Str),
                    AttrType::Bool => Some(Ty::Bool),
                    AttrType::Number => Some(Ty::Num),
                    AttrType::Date => Some(Ty::Date),
                    AttrType::Duration => Some(Ty::Dur),
                    AttrType::Money => None,
                    _ => return wrong(self, e.span),
                };
                let ok = match (&expected, &ty) {
                    (_, Ty::Any) => true,
                    (Some(x), t) => x == t,
                    (None, t) => matches!(t, Ty::Money(_)),
                };
                if !ok {
                    let mut d = Diagnostic::at(
                        Code::AttributeType,
                        file,
                        e.span,
                        format!("`{}` must be {}, but this is {}", spec.name, spec.ty.describe(), ty.describe()),
                    );
                    if spec.ty == AttrType::Duration && ty == Ty::Num {
                        if let ExprKind::Number { raw, .. } = &e.kind {
                            d = d.with_help(format!("add a unit: did you mean `{raw}d`?"));
                        }
                    }
                    self.diags.push(d);
                    return AttrVal::Invalid;
                }
                match self.const_value(file, e) {
                    Some(v) => AttrVal::Value(v),
                    None if self.budget_spent(file, e.span) => AttrVal::Invalid,
                    None => {
                        self.diags.push(Diagnostic::at(
                            Code::AttributeType,
                            file,
                            e.span,
                            format!("`{}` must be a constant value", spec.name),
                        ));
                        AttrVal::Invalid
                    }
                }
            }
            (_, other) => wrong(self, other.span()),
        }
    }

    /// A KPI's target and warn thresholds must be in its unit's dimension.
    /// Without a `unit` in a KPI with a broken line, the unit is unknown (the
    /// broken line may be setting it), and nothing is compared.
    /// `E0501` for a `target` or `warn` of another dimension than the
    /// KPI's unit: constant bounds first, computed bounds (`bounds`) once
    /// they are typed.
    fn check_kpi_units(&mut self, file: FileId, attrs: &[Attr], incomplete: bool, bounds: bool) {
        let unit = match attrs.iter().find(|a| a.name == "unit").map(|a| &a.value) {
            Some(AttrVal::Unit(u)) => u.clone(),
            Some(_) => return,
            None if incomplete => return,
            None => MeasureUnit::Number,
        };
        let expected = unit.ty();
        for a in attrs.iter().filter(|a| a.name == "target" || a.name == "warn") {
            let got = match &a.value {
                AttrVal::Threshold(_, v) if !bounds => types::value_ty(v),
                AttrVal::Bound(_, _, Ty::Any) => continue,
                AttrVal::Bound(_, _, Ty::Decl(Kind::Kpi, Some(k))) => self.model.decl(*k).measure_unit().ty(),
                AttrVal::Bound(_, _, t) if bounds => t.clone(),
                _ => continue,
            };
            if got != expected {
                let unit_attr = attrs.iter().find(|a| a.name == "unit");
                let mut d = Diagnostic::at(
                    Code::TypeMismatch,
                    file,
                    a.value_span,
                    format!(
                        "`{}` is {}, but the KPI's unit `{}` makes its values {}",
                        a.name,
                        got.describe(),
                        unit.name(),
                        expected.describe()
                    ),
                );
                if let Some(u) = unit_attr {
                    d = d.with_label(FileSpan::new(file, u.value_span), format!("unit `{}`", unit.name()));
                }
                self.diags.push(d);
            }
        }
    }

    /// `E0512`: with `unit percent`, a bare number in `target` or `warn`
    /// (`target <= 2`) is a ratio (200%), almost never what was meant.
    fn check_percent_thresholds(&mut self, file: FileId, ast: &ast::Decl, attrs: &[Attr]) {
        if !matches!(
            attrs.iter().find(|a| a.name == "unit").map(|a| &a.value),
            Some(AttrVal::Unit(MeasureUnit::Percent))
        ) {
            return;
        }
        for m in &ast.members {
            let ast::Member::Attr(a) = m else { continue };
            let AstAttrValue::Threshold(t) = &a.value else { continue };
            if a.name.name != "target" && a.name.name != "warn" {
                continue;
            }
            let mut bare = Vec::new();
            bare_numbers(&t.value, &mut bare);
            for (raw, span) in bare {
                let meant = format!("{}%", times_100(&raw));
                if meant == "0%" {
                    continue; // zero is zero in either unit
                }
                let percent = format!("{raw}%");
                self.diags.push(
                    Diagnostic::at(
                        Code::PercentWithoutUnit,
                        file,
                        span,
                        format!(
                            "`{}` of a `unit percent` KPI is a bare number: `{raw}` means {meant}, not {percent}",
                            a.name.name
                        ),
                    )
                    .with_primary_label("no `%`")
                    .with_help(format!("write `{meant}`, or `{percent}` if that was meant"))
                    .with_fix(Fix {
                        title: format!("change to `{percent}`"),
                        edits: vec![Edit { at: FileSpan::new(file, span), replacement: percent.clone() }],
                    }),
                );
            }
        }
    }

    /// `E0405`: a `query` KPI declares its `resolution` (the step of its
    /// subquery). `E0406`: its `max_age`, when written, is at least the
    /// resolution plus Prometheus' lookback, the age of the data a point of
    /// a series scraped without pause may carry.
    fn check_query_resolution(&mut self, file: FileId, id: DeclId, attrs: &[Attr]) {
        let Some(query) = attrs.iter().find(|a| a.name == "query") else { return };
        let decl = self.model.decl(id);
        let Some(resolution) = attrs.iter().find(|a| a.name == "resolution") else {
            let insert_at = decl.body_span.end.saturating_sub(1) as usize;
            self.diags.push(
                Diagnostic::at(
                    Code::QueryWithoutResolution,
                    file,
                    query.span,
                    format!("kpi `{}` has a `query` but no `resolution`", decl.name),
                )
                .with_primary_label("evaluated every how often?")
                .with_help(
                    "add `resolution 1m` (or the interval the series is scraped at): the query is read as the \
                     points of the subquery `(QUERY)[RANGE:RESOLUTION]`",
                )
                .with_fix(Fix {
                    title: "add `resolution 1m`".to_string(),
                    edits: vec![Edit {
                        at: FileSpan::new(file, Span::new(insert_at, insert_at)),
                        replacement: "  resolution 1m\n".to_string(),
                    }],
                }),
            );
            return;
        };
        let AttrVal::Value(Value::Dur(res)) = &resolution.value else { return };
        if res.is_negative() || res.is_zero() {
            self.diags.push(
                Diagnostic::at(
                    Code::QueryWithoutResolution,
                    file,
                    resolution.value_span,
                    format!("the `resolution` of kpi `{}` is not a positive duration", decl.name),
                )
                .with_primary_label("no step")
                .with_help("write the step the query is evaluated at, e.g. `resolution 1m`"),
            );
            return;
        }
        let Some(max_age) = attrs.iter().find(|a| a.name == "max_age") else { return };
        let AttrVal::Value(Value::Dur(age)) = &max_age.value else { return };
        let lookback = rational::Rational::int(schema::PROMETHEUS_LOOKBACK_SECS);
        let Some(needed) = res.add(lookback) else { return };
        if *age < needed {
            self.diags.push(
                Diagnostic::at(
                    Code::MaxAgeBelowResolution,
                    file,
                    max_age.value_span,
                    format!(
                        "the `max_age` {} of query kpi `{}` is below its resolution {} plus Prometheus' 5m lookback",
                        value::fmt_dur(*age),
                        decl.name,
                        value::fmt_dur(*res)
                    ),
                )
                .with_primary_label(format!("less than {}", value::fmt_dur(needed)))
                .with_label(FileSpan::new(file, resolution.value_span), "one point per resolution")
                .with_help(format!(
                    "a point of the query may carry a sample up to {} old even while the series is scraped \
                     without pause; write `max_age {}` or more, or a finer `resolution`",
                    value::fmt_dur(needed),
                    value::fmt_dur(needed)
                )),
            );
        }
    }

    fn infer_in_file(&mut self, file: FileId, e: &Expr) -> Ty {
        let mut refs = Vec::new();
        let ty = types::TypeCx::new(&self.model, file, None, &mut self.diags, &mut refs).infer(e);
        self.model.references.extend(refs);
        ty
    }

    fn check_gates(&mut self) {
        let stages = self.model.stages().to_vec();
        let order: Vec<String> = stages.iter().map(|s| self.model.decl(*s).name.clone()).collect();
        for gi in (0..self.model.gates.len()).map(GateId::new) {
            let file = self.model.gates[gi].file;
            let (from_ident, to_ident) = self.gate_idents(gi);
            let from = self.resolve_stage(file, &from_ident);
            let to = self.resolve_stage(file, &to_ident);
            self.model.gates[gi].from = from;
            self.model.gates[gi].to = to;
            if let (Some(f), Some(t)) = (from, to) {
                if self.model.next_stage(f) != Some(t) {
                    let g = &self.model.gates[gi];
                    let expected =
                        self.model.next_stage(f).map(|n| self.model.decl(n).name.clone()).unwrap_or_default();
                    let span = from_ident.span.to(to_ident.span);
                    let d = Diagnostic::at(
                        Code::BadTransition,
                        file,
                        span,
                        format!("`{} -> {}` is not a stage transition", g.from_name, g.to_name),
                    )
                    .with_primary_label(format!("after `{}` comes `{expected}`", g.from_name))
                    .with_help(format!(
                        "the stages run {} -> {}",
                        order.join(" -> "),
                        order.first().cloned().unwrap_or_default()
                    ))
                    .with_fix(Fix {
                        title: format!("guard `{} -> {expected}`", g.from_name),
                        edits: vec![Edit { at: FileSpan::new(file, to_ident.span), replacement: expected.clone() }],
                    });
                    self.diags.push(d);
                }
            }
            // The criteria are read in place (type checking reads neither
            // gates nor references, so one batch of references is the same).
            let mut refs = Vec::new();
            for c in &self.model.gates[gi].criteria {
                types::TypeCx::new(&self.model, file, Some(Kind::Initiative), &mut self.diags, &mut refs)
                    .criterion(&c.expr);
            }
            self.model.references.extend(refs);
        }
    }

    fn gate_idents(&self, gi: GateId) -> (ast::Ident, ast::Ident) {
        // Gate idents are recovered from the stored spans of the AST gate.
        let g = &self.model.gates[gi];
        let text = &self.files.get(g.file).text[g.span.range()];
        let find = |name: &str, after: usize| -> ast::Ident {
            let rel = text[after..].find(name).map_or(0, |i| i + after);
            let start = g.span.start as usize + rel;
            ast::Ident { name: name.to_string(), span: Span::new(start, start + name.len()) }
        };
        let from = find(&g.from_name, 4);
        let arrow = text.find("->").unwrap_or(0) + 2;
        let to = find(&g.to_name, arrow);
        (from, to)
    }

    fn resolve_stage(&mut self, file: FileId, ident: &ast::Ident) -> Option<DeclId> {
        let e = Expr { kind: ExprKind::Name(ident.clone()), span: ident.span };
        match self.resolve_ref(file, &e, Kind::Stage, "a gate") {
            Some(Value::Decl(id)) => Some(id),
            _ => None,
        }
    }

    fn check_policies(&mut self) {
        for pi in 0..self.model.policies.len() {
            let p = self.model.policies[pi].clone();
            let Some(subject) = p.subject else { continue };
            let mut refs = Vec::new();
            {
                let mut tcx = types::TypeCx::new(&self.model, p.file, Some(subject), &mut self.diags, &mut refs);
                if let Some(f) = &p.filter {
                    tcx.criterion(f);
                }
                for c in &p.criteria {
                    tcx.criterion(&c.expr);
                }
            }
            self.model.references.extend(refs);
        }
    }

    fn check_tests(&mut self, file: FileId, ast: &ast::File) {
        for item in &ast.items {
            let ast::Item::Test(t) = item else { continue };
            let mut has_now = false;
            for s in &t.stmts {
                match s {
                    ast::TestStmt::Now(_) => has_now = true,
                    ast::TestStmt::ExpectGate { initiative, from, to, outcome, .. } => {
                        let ok = [
                            self.test_ref(file, initiative, Kind::Initiative),
                            self.test_ref(file, from, Kind::Stage),
                            self.test_ref(file, to, Kind::Stage),
                        ];
                        if ok.iter().all(|x| *x) {
                            self.test_gate_exists(file, initiative, from, to);
                        }
                        self.test_word(file, outcome, &["pass", "warn", "fail", "unknown"]);
                    }
                    ast::TestStmt::ExpectKpi { kpi, status, .. } => {
                        self.test_ref(file, kpi, Kind::Kpi);
                        self.test_word(file, status, &["met", "at_risk", "missed", "unknown"]);
                    }
                    ast::TestStmt::ExpectPolicy { policy, subject, outcome, .. } => {
                        let mut subject_kind = None;
                        match self.resolve_name(file, policy) {
                            Some(Symbol::Policy(pi)) => subject_kind = self.model.policies[pi].subject,
                            _ => {
                                let names: Vec<String> = self.model.scopes[file.0 as usize]
                                    .iter()
                                    .filter(|(_, s)| matches!(s, Symbol::Policy(_)))
                                    .map(|(n, _)| n.clone())
                                    .collect();
                                let mut d = Diagnostic::at(
                                    Code::TestError,
                                    file,
                                    policy.span,
                                    format!("unknown policy `{}`", policy.name),
                                );
                                if let Some(s) = diag::did_you_mean(&policy.name, names.iter().map(String::as_str)) {
                                    d = d.with_help(format!("did you mean `{s}`?"));
                                }
                                self.diags.push(d);
                            }
                        }
                        match (self.resolve_name(file, subject), subject_kind) {
                            (Some(Symbol::Decl(id)), Some(kind)) if self.model.decl(id).kind != kind => {
                                let d = self.model.decl(id);
                                self.diags.push(
                                    Diagnostic::at(
                                        Code::TestError,
                                        file,
                                        subject.span,
                                        format!(
                                            "policy `{}` governs {}s, but `{}` is {}",
                                            policy.name,
                                            kind.as_str(),
                                            subject.name,
                                            d.kind.with_article()
                                        ),
                                    )
                                    .with_label(
                                        FileSpan::new(d.file, d.name_span),
                                        format!("`{}` is declared here", subject.name),
                                    ),
                                );
                            }
                            (Some(Symbol::Decl(_)), _) => {}
                            _ => {
                                // Suggest among the subjects the policy can govern
                                // (any declaration when the policy is unknown).
                                let mut names: Vec<String> = match subject_kind {
                                    Some(kind) => self.names_of_kind(file, kind),
                                    None => self.model.scopes[file.0 as usize]
                                        .iter()
                                        .filter(|(_, s)| matches!(s, Symbol::Decl(_)))
                                        .map(|(n, _)| n.clone())
                                        .collect(),
                                };
                                names.sort();
                                let mut d = Diagnostic::at(
                                    Code::TestError,
                                    file,
                                    subject.span,
                                    format!("unknown subject `{}`", subject.name),
                                );
                                if let Some(s) = diag::did_you_mean(&subject.name, names.iter().map(String::as_str)) {
                                    d = d.with_help(format!("did you mean `{s}`?"));
                                }
                                self.diags.push(d);
                            }
                        }
                        self.test_word(file, outcome, &["pass", "warn", "fail", "unknown"]);
                    }
                    ast::TestStmt::Metrics(_) | ast::TestStmt::Series(_) => {}
                }
            }
            if !has_now {
                self.diags.push(
                    Diagnostic::at(
                        Code::TestError,
                        file,
                        t.name.span,
                        format!("test {:?} does not set `now`", t.name.value),
                    )
                    .with_help("add `now 2026-11-24T00:00:00Z` so the test decides the same way every day"),
                );
            }
        }
    }

    /// A gate assertion must name a gate the initiative has: its own, or a
    /// top-level one.
    fn test_gate_exists(&mut self, file: FileId, initiative: &ast::Ident, from: &ast::Ident, to: &ast::Ident) {
        let Some(Symbol::Decl(iid)) = self.resolve_name(file, initiative) else { return };
        let gates: Vec<String> = self
            .model
            .gates
            .iter()
            .filter(|g| g.owner.is_none() || g.owner == Some(iid))
            .map(|g| format!("{} -> {}", g.from_name, g.to_name))
            .collect();
        let wanted = format!("{} -> {}", from.name, to.name);
        if gates.contains(&wanted) {
            return;
        }
        let mut gates = gates;
        gates.sort();
        gates.dedup();
        let d = Diagnostic::at(
            Code::TestError,
            file,
            Span::new(from.span.start as usize, to.span.end as usize),
            format!("`{}` has no gate `{wanted}`", initiative.name),
        );
        self.diags.push(if gates.is_empty() {
            d.with_help("it has no gates at all")
        } else {
            d.with_help(format!(
                "its gates are {}",
                gates.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ")
            ))
        });
    }

    /// Reports an assertion's name that is not a declaration of `kind`;
    /// whether it is one.
    fn test_ref(&mut self, file: FileId, ident: &ast::Ident, kind: Kind) -> bool {
        match self.resolve_name(file, ident) {
            Some(Symbol::Decl(id)) if self.model.decl(id).kind == kind => return true,
            Some(Symbol::Decl(id)) => {
                let d = self.model.decl(id);
                self.diags.push(
                    Diagnostic::at(
                        Code::TestError,
                        file,
                        ident.span,
                        format!("`{}` is {}, not {}", ident.name, d.kind.with_article(), kind.with_article()),
                    )
                    .with_label(FileSpan::new(d.file, d.name_span), format!("`{}` is declared here", ident.name)),
                );
            }
            _ => {
                let candidates = self.names_of_kind(file, kind);
                let mut d = Diagnostic::at(
                    Code::TestError,
                    file,
                    ident.span,
                    format!("unknown {} `{}`", kind.as_str(), ident.name),
                );
                if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
            }
        }
        false
    }

    fn test_word(&mut self, file: FileId, ident: &ast::Ident, words: &[&str]) {
        if !words.contains(&ident.name.as_str()) {
            let mut d =
                Diagnostic::at(Code::TestError, file, ident.span, format!("`{}` is not an outcome", ident.name));
            d = match diag::did_you_mean(&ident.name, words.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("expected one of {}", words.join(", "))),
            };
            self.diags.push(d);
        }
    }
}

/// Every name an expression mentions (quantifier variables included; the
/// caller resolves them).
/// The unitless number literals that stand as values (not as factors) in
/// a threshold: `2`, `-2`, `(2)`, both sides of `90% + 2`.
fn bare_numbers(e: &Expr, out: &mut Vec<(String, Span)>) {
    match &e.kind {
        ExprKind::Number { raw, unit: None, .. } => out.push((raw.clone(), e.span)),
        ExprKind::Paren(inner) | ExprKind::Unary(ast::UnOp::Neg, inner) => bare_numbers(inner, out),
        ExprKind::Binary(ast::BinOp::Add | ast::BinOp::Sub, l, r) => {
            bare_numbers(l, out);
            bare_numbers(r, out);
        }
        _ => {}
    }
}

/// A number literal's decimal text times 100, exactly (`2` -> `200`,
/// `0.075` -> `7.5`).
fn times_100(raw: &str) -> String {
    let digits = raw.replace('_', "");
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let frac = format!("{frac:0<2}");
    let (moved, rest) = frac.split_at(2);
    let int = format!("{int}{moved}");
    let int = int.trim_start_matches('0');
    let rest = rest.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if rest.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{rest}")
    }
}

fn collect_names<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    match &e.kind {
        ExprKind::Name(i) => out.push(&i.name),
        ExprKind::List(items) | ExprKind::Call(_, items) => items.iter().for_each(|i| collect_names(i, out)),
        ExprKind::Field(base, _) | ExprKind::Paren(base) | ExprKind::Offset(base) | ExprKind::Unary(_, base) => {
            collect_names(base, out)
        }
        ExprKind::Quantifier { list, pred, .. } => {
            collect_names(list, out);
            collect_names(pred, out);
        }
        ExprKind::Binary(_, l, r) | ExprKind::For(l, r) => {
            collect_names(l, out);
            collect_names(r, out);
        }
        _ => {}
    }
}

fn type_text(t: &ast::TypeName) -> String {
    match t {
        ast::TypeName::Named(i) => i.name.clone(),
        ast::TypeName::List(inner, _) => format!("[{}]", type_text(inner)),
    }
}

fn placeholder(ty: AttrType) -> &'static str {
    match ty {
        AttrType::Str | AttrType::StrOrRef(_) => "\"\"",
        AttrType::Threshold => ">= 0",
        AttrType::Bool => "true",
        AttrType::Duration => "30d",
        AttrType::Date => "2027-01-01",
        AttrType::Number => "0",
        AttrType::Money => "0 USD",
        AttrType::RefList(_) => "[]",
        AttrType::Labels => "{}",
        AttrType::Groups => "[]",
        AttrType::Unit => "number",
        AttrType::Ref(Kind::Stage) => "calibrate",
        AttrType::Ref(Kind::Role) => "manager",
        AttrType::Ref(Kind::MonitorKind) => "drift",
        AttrType::Ref(Kind::EvidenceKind) => "model_card",
        AttrType::Ref(_) => "name",
    }
}
