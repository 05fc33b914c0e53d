//! The organisation's own attributes: `extend KIND { ... }`.
//!
//! An extension adds typed, documented attributes to a kind. It applies to
//! a declaration when the extension's file is visible from the
//! declaration's file (the file itself, its imports, transitively) or
//! belongs to a project policy set ([`Model::policy_sets`]). Where it
//! applies, the declaration may set the attributes (and must set the
//! `required` ones) and criteria read them; where it does not, setting one
//! is an unknown attribute (`E0401`) and reading one a mistake (`E0422`).
//! Two extensions that define one attribute differently conflict (`E0421`)
//! only when both apply to one declaration.
//!
//! Types: `string number ratio bool date duration money`, the name of a
//! kind (a reference to one such declaration), `list of T` and `one of [a,
//! b]`. The values of a `one of` belong to the attribute: `kind == llm`
//! names the value `llm` of `kind` whatever else is called `llm`, and the
//! checker records that reading in [`Model::scoped`] for the interpreter.

use std::collections::HashSet;

use super::schema::Kind;
use super::value::{EnumTy, Ty, Value};
use super::{DeclId, Model};
use crate::diag::{self, Code, Diagnostic, Edit, Fix};
use crate::syntax::ast;
use crate::text::{FileId, FileSpan, Span};

/// An `extend KIND { ... }` item.
#[derive(Clone, Debug)]
pub struct ExtensionDef {
    /// The file it is in.
    pub file: FileId,
    /// The kind it extends (when valid).
    pub kind: Option<Kind>,
    /// The whole item.
    pub span: Span,
    /// Its doc comment.
    pub doc: Option<String>,
    /// The attributes it adds.
    pub attrs: Vec<ExtAttrDef>,
}

/// One attribute an extension adds.
#[derive(Clone, Debug)]
pub struct ExtAttrDef {
    /// Its name.
    pub name: String,
    /// The name's span.
    pub name_span: Span,
    /// Its type (`None` when the type did not resolve; `E0420` was reported).
    pub ty: Option<ExtTy>,
    /// The type as written (`list of string`), for hover and messages.
    pub ty_text: String,
    /// Whether every declaration it applies to must set it.
    pub required: bool,
    /// Its `///` doc.
    pub doc: Option<String>,
    /// The values of a `one of` in its type, with their spans.
    pub values: Vec<(String, Span)>,
}

/// The type of an extended attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum ExtTy {
    /// `string`.
    Str,
    /// `number`.
    Number,
    /// `ratio`: a number, written as one or as a percentage.
    Ratio,
    /// `bool`.
    Bool,
    /// `date`.
    Date,
    /// `duration`.
    Duration,
    /// `money` (any one currency).
    Money,
    /// The name of one declaration of the kind.
    Ref(Kind),
    /// `list of T`.
    List(Box<ExtTy>),
    /// `one of [a, b]`.
    OneOf(Vec<String>),
}

/// The scalar type words, in the order the help lists them.
pub const TYPE_WORDS: &[&str] = &["string", "number", "ratio", "bool", "date", "duration", "money"];

impl ExtTy {
    /// The static type of a value of this type, for attribute `attr` of
    /// `kind`.
    pub fn ty(&self, kind: Kind, attr: &str) -> Ty {
        match self {
            ExtTy::Str => Ty::Str,
            ExtTy::Number | ExtTy::Ratio => Ty::Num,
            ExtTy::Bool => Ty::Bool,
            ExtTy::Date => Ty::Date,
            ExtTy::Duration => Ty::Dur,
            ExtTy::Money => Ty::Money(String::new()),
            ExtTy::Ref(k) => Ty::Decl(*k, None),
            ExtTy::List(t) => Ty::List(Box::new(t.ty(kind, attr))),
            ExtTy::OneOf(values) => Ty::Enum(Box::new(EnumTy { kind, attr: attr.to_string(), values: values.clone() })),
        }
    }

    /// Plain words: "a string", "a list of person names", "one of `a`, `b`".
    pub fn describe(&self) -> String {
        match self {
            ExtTy::Str => "a string".into(),
            ExtTy::Number => "a number".into(),
            ExtTy::Ratio => "a ratio such as `0.4` or `40%`".into(),
            ExtTy::Bool => "`true` or `false`".into(),
            ExtTy::Date => "a date such as `2027-06-30`".into(),
            ExtTy::Duration => "a duration such as `30d`".into(),
            ExtTy::Money => "an amount of money such as `1_200_000 USD`".into(),
            ExtTy::Ref(k) => format!("the name of {}", k.with_article()),
            ExtTy::List(t) => format!("a list (`[a, b]`) of which each is {}", t.describe()),
            ExtTy::OneOf(values) => format!("one of {}", quoted(values)),
        }
    }
}

/// `` `a`, `b` or `c` ``.
pub fn quoted(values: &[String]) -> String {
    let q: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match q.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => q.join(""),
    }
}

fn type_text(t: &ast::ExtType) -> String {
    match t {
        ast::ExtType::Named(i) => i.name.clone(),
        ast::ExtType::List(inner, _) => format!("list of {}", type_text(inner)),
        ast::ExtType::OneOf(values, _) => {
            let v: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
            format!("one of [{}]", v.join(", "))
        }
    }
}

/// Resolves an `extend` item's types (`E0420` for an unknown one, `E0403`
/// for an attribute or a value written twice) into its definition.
pub(super) fn collect(file: FileId, x: &ast::Extend, kind: Option<Kind>, diags: &mut Vec<Diagnostic>) -> ExtensionDef {
    let mut attrs: Vec<ExtAttrDef> = Vec::new();
    for a in &x.attrs {
        if let Some(prev) = attrs.iter().find(|p| p.name == a.name.name) {
            diags.push(
                Diagnostic::at(
                    Code::DuplicateAttribute,
                    file,
                    a.name.span,
                    format!("`{}` is defined twice in this `extend`", a.name.name),
                )
                .with_label(FileSpan::new(file, prev.name_span), "first defined here")
                .with_help("remove one of them"),
            );
            continue;
        }
        if let Some(k) = kind.filter(|k| k.attr(&a.name.name).is_some()) {
            diags.push(
                Diagnostic::at(
                    Code::ExtensionConflict,
                    file,
                    a.name.span,
                    format!("{} already has an attribute `{}`", k.with_article(), a.name.name),
                )
                .with_primary_label("defined by compel")
                .with_help("an extension adds attributes; give this one another name"),
            );
            continue;
        }
        let mut values = Vec::new();
        let ty = resolve(file, &a.ty, &mut values, diags);
        attrs.push(ExtAttrDef {
            name: a.name.name.clone(),
            name_span: a.name.span,
            ty,
            ty_text: type_text(&a.ty),
            required: a.required.is_some(),
            doc: a.doc.as_ref().map(|d| d.text.clone()),
            values,
        });
    }
    ExtensionDef { file, kind, span: x.span, doc: x.doc.as_ref().map(|d| d.text.clone()), attrs }
}

fn resolve(
    file: FileId,
    t: &ast::ExtType,
    values: &mut Vec<(String, Span)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<ExtTy> {
    match t {
        ast::ExtType::List(inner, _) => resolve(file, inner, values, diags).map(|t| ExtTy::List(Box::new(t))),
        ast::ExtType::OneOf(items, _) => {
            let mut names: Vec<String> = Vec::new();
            for v in items {
                if names.contains(&v.name) {
                    diags.push(
                        Diagnostic::at(
                            Code::DuplicateAttribute,
                            file,
                            v.span,
                            format!("`{}` is listed twice in this `one of`", v.name),
                        )
                        .with_help("remove one of them"),
                    );
                    continue;
                }
                names.push(v.name.clone());
                values.push((v.name.clone(), v.span));
            }
            Some(ExtTy::OneOf(names))
        }
        ast::ExtType::Named(ident) => {
            let scalar = match ident.name.as_str() {
                "string" => Some(ExtTy::Str),
                "number" => Some(ExtTy::Number),
                "ratio" => Some(ExtTy::Ratio),
                "bool" => Some(ExtTy::Bool),
                "date" => Some(ExtTy::Date),
                "duration" => Some(ExtTy::Duration),
                "money" => Some(ExtTy::Money),
                w => Kind::parse(w).map(ExtTy::Ref),
            };
            if scalar.is_none() {
                let mut words: Vec<&str> = TYPE_WORDS.to_vec();
                words.extend(Kind::ALL.iter().map(|k| k.as_str()));
                let mut d = Diagnostic::at(
                    Code::UnknownExtensionType,
                    file,
                    ident.span,
                    format!("unknown attribute type `{}`", ident.name),
                );
                d = match diag::did_you_mean(&ident.name, words.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
                        title: format!("change to `{s}`"),
                        edits: vec![Edit { at: FileSpan::new(file, ident.span), replacement: s.to_string() }],
                    }),
                    None => d.with_help(
                        "the types are string, number, ratio, bool, date, duration, money, the name of a kind \
                         (person, kpi, initiative ...), `list of T` and `one of [a, b]`",
                    ),
                };
                diags.push(d);
            }
            scalar
        }
    }
}

impl Model {
    /// Whether extension `ext` applies to declarations of `file`: its file
    /// is visible from `file`, or belongs to a project policy set.
    pub fn extension_applies(&self, ext: usize, file: FileId) -> bool {
        let x = &self.extensions[ext];
        self.sees(file, x.file) || self.policy_sets.contains(&x.file)
    }

    /// The extended attribute `name` of `kind` that applies to declarations
    /// of `file` (the first, when two conflict), as (extension, attribute).
    pub fn ext_attr_in(&self, file: FileId, kind: Kind, name: &str) -> Option<(usize, usize)> {
        self.extensions.iter().enumerate().find_map(|(i, x)| {
            if x.kind != Some(kind) {
                return None;
            }
            let j = x.attrs.iter().position(|a| a.name == name)?;
            self.extension_applies(i, file).then_some((i, j))
        })
    }

    /// The extended attribute `name` that applies to declaration `id`.
    pub fn ext_attr_of(&self, id: DeclId, name: &str) -> Option<&ExtAttrDef> {
        let d = self.decl(id);
        self.ext_attr_in(d.file, d.kind, name).map(|(i, j)| &self.extensions[i].attrs[j])
    }

    /// An attribute definition by (extension, attribute).
    pub fn ext_attr(&self, at: (usize, usize)) -> &ExtAttrDef {
        &self.extensions[at.0].attrs[at.1]
    }

    /// Every extended attribute of `kind` that applies to declarations of
    /// `file`, first definitions only, in source order.
    pub fn ext_attrs_in(&self, file: FileId, kind: Kind) -> Vec<(usize, usize)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, x) in self.extensions.iter().enumerate() {
            if x.kind != Some(kind) || !self.extension_applies(i, file) {
                continue;
            }
            for (j, a) in x.attrs.iter().enumerate() {
                if seen.insert(a.name.as_str()) {
                    out.push((i, j));
                }
            }
        }
        out
    }

    /// An extension anywhere in the model that defines `name` for `kind`
    /// (for the help of an attribute that no applying extension defines).
    pub fn ext_attr_anywhere(&self, kind: Kind, name: &str) -> Option<(usize, usize)> {
        self.extensions.iter().enumerate().find_map(|(i, x)| {
            (x.kind == Some(kind)).then(|| x.attrs.iter().position(|a| a.name == name).map(|j| (i, j))).flatten()
        })
    }
}

/// The kind of a piece that did not parse when it is an `extend KIND`.
pub(super) fn broken_extend(text: &str) -> Option<Kind> {
    use crate::syntax::lexer::{tokens, TokenKind};
    let mut words = tokens(text)
        .filter(|t| !matches!(t.kind, TokenKind::Comment { .. } | TokenKind::Newline))
        .map(|t| (t.kind, &text[t.start()..t.end()]));
    match (words.next()?, words.next()?) {
        ((TokenKind::Word, "extend"), (TokenKind::Word, kind)) => Kind::parse(kind),
        _ => None,
    }
}

/// `E0421`: two extensions that apply to one declaration define an
/// attribute differently. Decided per (file, kind), since where an
/// extension applies depends on the declaration's file only; each pair of
/// definitions is reported once, at the later, naming a declaration they
/// meet on.
pub(super) fn conflicts(model: &Model, diags: &mut Vec<Diagnostic>) {
    if model.extensions.len() < 2 {
        return;
    }
    let mut groups: HashSet<(FileId, Kind)> = HashSet::new();
    let mut reported: HashSet<((usize, usize), (usize, usize))> = HashSet::new();
    for d in &model.decls {
        if !groups.insert((d.file, d.kind)) {
            continue;
        }
        let applying: Vec<usize> = (0..model.extensions.len())
            .filter(|i| model.extensions[*i].kind == Some(d.kind) && model.extension_applies(*i, d.file))
            .collect();
        for (n, &i) in applying.iter().enumerate() {
            for &j in &applying[n + 1..] {
                for (ai, a) in model.extensions[i].attrs.iter().enumerate() {
                    let Some((bj, b)) = model.extensions[j].attrs.iter().enumerate().find(|(_, b)| b.name == a.name)
                    else {
                        continue;
                    };
                    if a.ty == b.ty && a.required == b.required {
                        continue;
                    }
                    let (first, later) = order(model, (i, ai), (j, bj));
                    if !reported.insert((first, later)) {
                        continue;
                    }
                    diags.push(conflict(model, first, later, d));
                }
            }
        }
    }
}

fn order(model: &Model, a: (usize, usize), b: (usize, usize)) -> ((usize, usize), (usize, usize)) {
    let key = |x: (usize, usize)| (model.extensions[x.0].file, model.ext_attr(x).name_span);
    if key(a) <= key(b) {
        (a, b)
    } else {
        (b, a)
    }
}

fn conflict(model: &Model, first: (usize, usize), later: (usize, usize), d: &super::Decl) -> Diagnostic {
    let (f, l) = (model.ext_attr(first), model.ext_attr(later));
    let describe = |a: &ExtAttrDef| format!("{}{}", a.ty_text, if a.required { " required" } else { "" });
    Diagnostic::new(
        Code::ExtensionConflict,
        FileSpan::new(model.extensions[later.0].file, l.name_span),
        format!(
            "two extensions define `{}` differently, and both apply to {} `{}`: `{}` here, `{}` there",
            l.name,
            d.kind.as_str(),
            d.name,
            describe(l),
            describe(f)
        ),
    )
    .with_primary_label(format!("`{} {}`", l.name, describe(l)))
    .with_label(FileSpan::new(model.extensions[first.0].file, f.name_span), format!("`{} {}`", f.name, describe(f)))
    .with_label(FileSpan::new(d.file, d.name_span), format!("both apply to `{}`", d.name))
    .with_help("define the attribute once, in a file both import, or give both the same definition")
}

/// The `help` for an attribute that no extension applying here defines,
/// when one elsewhere does.
pub(super) fn not_visible_help(model: &Model, files: &crate::text::Files, kind: Kind, name: &str) -> Option<String> {
    let at = model.ext_attr_anywhere(kind, name)?;
    let path = &files.get(model.extensions[at.0].file).path;
    Some(format!(
        "`extend {}` in {path} adds `{name}`, but it does not apply here: import that file (or add it to a project policy set)",
        kind.as_str()
    ))
}

impl super::Checker<'_> {
    /// The value of an extended attribute set on a declaration of `kind`.
    pub(super) fn ext_value(
        &mut self,
        file: FileId,
        kind: Kind,
        at: (usize, usize),
        v: &ast::AttrValue,
    ) -> super::AttrVal {
        let def = self.model.ext_attr(at).clone();
        let Some(ty) = &def.ty else { return super::AttrVal::Invalid };
        let ast::AttrValue::Expr(e) = v else {
            self.diags.push(Diagnostic::at(
                Code::AttributeType,
                file,
                v.span(),
                format!("`{}` must be {}", def.name, ty.describe()),
            ));
            return super::AttrVal::Invalid;
        };
        match self.ext_value_of(file, kind, &def.name, ty, e) {
            Some(v) => super::AttrVal::Value(v),
            None => super::AttrVal::Invalid,
        }
    }

    fn ext_value_of(&mut self, file: FileId, kind: Kind, name: &str, ty: &ExtTy, e: &ast::Expr) -> Option<Value> {
        use ast::ExprKind;
        match ty {
            ExtTy::Ref(k) => self.resolve_ref(file, e, *k, name),
            ExtTy::List(inner) => {
                let ExprKind::List(items) = &e.kind else {
                    self.diags.push(Diagnostic::at(
                        Code::AttributeType,
                        file,
                        e.span,
                        format!("`{name}` must be {}", ty.describe()),
                    ));
                    return None;
                };
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.ext_value_of(file, kind, name, inner, item) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(Value::List(out))
            }
            ExtTy::OneOf(values) => {
                let ExprKind::Name(ident) = &e.kind else {
                    self.diags.push(Diagnostic::at(
                        Code::AttributeType,
                        file,
                        e.span,
                        format!("`{name}` must be {}", ty.describe()),
                    ));
                    return None;
                };
                if values.contains(&ident.name) {
                    if self.references {
                        self.model.references.push(super::Reference {
                            at: FileSpan::new(file, ident.span),
                            target: super::Target::EnumValue {
                                kind,
                                attr: name.into(),
                                value: ident.name.as_str().into(),
                            },
                        });
                    }
                    return Some(Value::Str(ident.name.clone()));
                }
                self.diags.push(not_a_value(file, ident, name, values));
                None
            }
            scalar => {
                let got = self.infer_in_file(file, e);
                let ok = match (scalar, &got) {
                    (_, Ty::Any) => true,
                    (ExtTy::Money, Ty::Money(_)) => true,
                    (s, t) => s.ty(kind, name) == *t,
                };
                if !ok {
                    self.diags.push(Diagnostic::at(
                        Code::AttributeType,
                        file,
                        e.span,
                        format!("`{name}` must be {}, but this is {}", scalar.describe(), got.describe()),
                    ));
                    return None;
                }
                let v = self.const_value(file, e);
                if v.is_none() && !self.budget_spent(file, e.span) {
                    self.diags.push(Diagnostic::at(
                        Code::AttributeType,
                        file,
                        e.span,
                        format!("`{name}` must be a constant value"),
                    ));
                }
                v
            }
        }
    }

    /// `E0402` for each `required` extended attribute that applies to `id`
    /// and is not set.
    pub(super) fn missing_ext_attrs(&mut self, id: DeclId, set: &[super::Attr], suggested: &[String]) {
        let d = self.model.decl(id);
        if d.incomplete {
            return;
        }
        let (file, kind) = (d.file, d.kind);
        for at in self.model.ext_attrs_in(file, kind) {
            let a = self.model.ext_attr(at);
            if !a.required || set.iter().any(|s| s.name == a.name) || suggested.contains(&a.name) {
                continue;
            }
            let d = self.model.decl(id);
            let x = &self.model.extensions[at.0];
            let insert_at = d.body_span.end.saturating_sub(1) as usize;
            let indent = if d.parent.is_some() { "    " } else { "  " };
            let placeholder = a.ty.as_ref().map_or("\"\"".to_string(), placeholder);
            let doc = a.doc.as_deref().map(|s| format!(": {}", s.lines().next().unwrap_or(""))).unwrap_or_default();
            let diag = Diagnostic::at(
                Code::MissingAttribute,
                file,
                d.name_span,
                format!("{} `{}` has no `{}`", kind.as_str(), d.name, a.name),
            )
            .with_primary_label(format!("`{}` is required", a.name))
            .with_label(FileSpan::new(x.file, a.name_span), "required by this extension")
            .with_help(format!("add `{} {placeholder}`{doc}", a.name))
            .with_fix(Fix {
                title: format!("add `{}`", a.name),
                edits: vec![Edit {
                    at: FileSpan::new(file, Span::new(insert_at, insert_at)),
                    replacement: format!("{indent}{} {placeholder}\n", a.name),
                }],
            });
            self.diags.push(diag);
        }
    }
}

fn placeholder(t: &ExtTy) -> String {
    match t {
        ExtTy::Str => "\"\"".into(),
        ExtTy::Number | ExtTy::Ratio => "0".into(),
        ExtTy::Bool => "true".into(),
        ExtTy::Date => "2027-01-01".into(),
        ExtTy::Duration => "30d".into(),
        ExtTy::Money => "0 USD".into(),
        ExtTy::Ref(_) => "name".into(),
        ExtTy::List(_) => "[]".into(),
        ExtTy::OneOf(values) => values.first().cloned().unwrap_or_default(),
    }
}

/// `E0423`: `ident` is not one of the values of attribute `attr`.
pub fn not_a_value(file: FileId, ident: &ast::Ident, attr: &str, values: &[String]) -> Diagnostic {
    let mut d = Diagnostic::at(
        Code::NotAnEnumValue,
        file,
        ident.span,
        format!("`{}` is not a value of `{attr}`, which is one of {}", ident.name, quoted(values)),
    )
    .with_primary_label("not one of the values");
    if let Some(s) = diag::did_you_mean(&ident.name, values.iter().map(String::as_str)) {
        d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix {
            title: format!("change to `{s}`"),
            edits: vec![Edit { at: FileSpan::new(file, ident.span), replacement: s.to_string() }],
        });
    } else {
        d = d.with_help(format!("`{attr}` takes one of {}", quoted(values)));
    }
    d
}
