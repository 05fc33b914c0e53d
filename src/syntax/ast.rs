//! The abstract syntax tree of one `.compel` file.
//!
//! Every node carries a byte [`Span`] into the file's text. The tree is
//! produced by [`crate::syntax::parse`], which never fails: a line inside a
//! declaration that does not parse becomes a [`Broken`] entry of that
//! declaration (gate, policy) and one diagnostic, and the declaration keeps
//! its name and everything else; a declaration whose header does not parse
//! becomes an [`Item::Error`] (beside what could be kept of it). The rest of
//! the file is always here. Comments are kept in [`File::comments`]
//! so the formatter can put every one back in its place.

pub use super::criteria::Criteria;
use crate::text::Span;

/// A parsed file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// The top-level items in source order.
    pub items: Vec<Item>,
    /// Every comment (`//` and `///`) in source order.
    pub comments: Vec<Comment>,
}

/// A comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// The whole comment, from `//` to the end of the line (newline excluded).
    pub span: Span,
    /// Whether it is a doc comment (`///`).
    pub doc: bool,
}

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A string literal: its decoded value and the span of the quoted text.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    /// The decoded value.
    pub value: String,
    /// Span including the quotes.
    pub span: Span,
}

/// Doc comment text attached to a declaration (the `///` lines, joined with
/// newlines, each stripped of `///` and one following space).
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The text.
    pub text: String,
    /// Span of all the doc lines.
    pub span: Span,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `import "path"`.
    Import(Import),
    /// `KIND NAME { ... }`. Shared, so a host that keeps parsed trees
    /// from one analysis to the next (the language server's parse cache)
    /// hands out a declaration without copying it.
    Decl(std::sync::Arc<Decl>),
    /// `gate FROM -> TO { criteria }` at top level: applies to every
    /// initiative at stage FROM that sees it.
    Gate(Gate),
    /// `policy NAME for KIND [where EXPR] { criteria }`.
    Policy(Policy),
    /// `let NAME = EXPR`.
    Let(Let),
    /// `builtin NAME(PARAM: TYPE, ...) -> TYPE` (the stdlib's signatures).
    Builtin(Builtin),
    /// `test "NAME" { ... }`.
    Test(Test),
    /// `extend KIND { NAME TYPE [required] ... }`: the organisation's own
    /// attributes of a kind.
    Extend(Extend),
    /// A piece of text that did not parse (a diagnostic was reported).
    Error(Span),
}

impl File {
    /// Whether every item parsed whole: no [`Item::Error`] and no
    /// [`Broken`] line anywhere.
    pub fn is_whole(&self) -> bool {
        fn decl_whole(d: &Decl) -> bool {
            d.broken.is_empty()
                && d.members.iter().all(|m| match m {
                    Member::Decl(n) => decl_whole(n),
                    Member::Gate(g) => g.broken.is_empty(),
                    Member::Attr(_) => true,
                })
        }
        self.items.iter().all(|i| match i {
            Item::Error(_) => false,
            Item::Decl(d) => decl_whole(d),
            Item::Gate(g) => g.broken.is_empty(),
            Item::Policy(p) => p.broken.is_empty(),
            _ => true,
        })
    }
}

impl Item {
    /// The item's span.
    pub fn span(&self) -> Span {
        match self {
            Item::Import(i) => i.span,
            Item::Decl(d) => d.span,
            Item::Gate(g) => g.span,
            Item::Policy(p) => p.span,
            Item::Let(l) => l.span,
            Item::Builtin(b) => b.span,
            Item::Test(t) => t.span,
            Item::Extend(x) => x.span,
            Item::Error(s) => *s,
        }
    }
}

/// `import "path"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The path as written.
    pub path: StrLit,
    /// The whole item.
    pub span: Span,
}

/// A declaration `KIND NAME { members }`, at top level or nested
/// (`dataset`, `monitor` inside an initiative).
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// Doc comment.
    pub doc: Option<Doc>,
    /// The kind word as written (`kpi`, `program`, ...); the checker
    /// validates it.
    pub kind: Ident,
    /// The declared name.
    pub name: Ident,
    /// Attributes, nested declarations and gates, in source order.
    pub members: Vec<Member>,
    /// The whole declaration, from the kind (not the doc) to the `}`.
    pub span: Span,
    /// The braces and what is between them.
    pub body_span: Span,
    /// Lines of the body that did not parse (each has its diagnostic).
    pub broken: Vec<Broken>,
}

/// A line (or a few continued lines) inside a declaration, gate or policy
/// that did not parse: the parser reported it and went on with the next
/// line. The formatter never rewrites a file holding one.
#[derive(Clone, Debug, PartialEq)]
pub struct Broken {
    /// The text that did not parse.
    pub span: Span,
    /// Its first word when it is a name (the attribute being written, the
    /// kind of a nested declaration, `require` ...).
    pub word: Option<Ident>,
}

/// A member of a declaration's body.
#[derive(Clone, Debug, PartialEq)]
pub enum Member {
    /// `name value`.
    Attr(Attr),
    /// A nested declaration.
    Decl(Decl),
    /// A gate of this initiative.
    Gate(Gate),
}

/// An attribute `name value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    /// The attribute's name.
    pub name: Ident,
    /// Its value.
    pub value: AttrValue,
    /// The whole attribute.
    pub span: Span,
}

/// The value of an attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// An expression (literal, name, list ...).
    Expr(Expr),
    /// A threshold `>= 92%`.
    Threshold(Threshold),
    /// A map `{ key "value" ... }` (label selectors).
    Map(MapLit),
    /// A KPI family's groups `{ sex ["female", "male"] ... }`.
    Groups(GroupsLit),
}

impl AttrValue {
    /// The value's span.
    pub fn span(&self) -> Span {
        match self {
            AttrValue::Expr(e) => e.span,
            AttrValue::Threshold(t) => t.span,
            AttrValue::Map(m) => m.span,
            AttrValue::Groups(g) => g.span,
        }
    }
}

/// A threshold: a comparison operator and a bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// The operator.
    pub op: CmpOp,
    /// The bound.
    pub value: Expr,
    /// The whole threshold.
    pub span: Span,
}

/// `{ key "value" ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct MapLit {
    /// Entries in source order.
    pub entries: Vec<(Ident, StrLit)>,
    /// The braces and what is between them.
    pub span: Span,
}

/// A KPI family's groups: `{ sex ["female", "male"]  age_band ["18-39"] }`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupsLit {
    /// Each label with its values, in source order.
    pub entries: Vec<(Ident, Vec<StrLit>)>,
    /// The braces and what is between them.
    pub span: Span,
}

/// `gate FROM -> TO { criteria }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    /// Doc comment.
    pub doc: Option<Doc>,
    /// The stage left.
    pub from: Ident,
    /// The stage entered.
    pub to: Ident,
    /// Criteria in order.
    pub criteria: Criteria,
    /// The whole gate.
    pub span: Span,
    /// Lines of the body that did not parse (each has its diagnostic).
    pub broken: Vec<Broken>,
}

/// `policy NAME for KIND [where EXPR] { criteria }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Doc comment.
    pub doc: Option<Doc>,
    /// The policy's name.
    pub name: Ident,
    /// The kind of declaration it governs.
    pub subject: Ident,
    /// Optional filter on subjects.
    pub filter: Option<Expr>,
    /// Criteria in order.
    pub criteria: Criteria,
    /// The whole policy.
    pub span: Span,
    /// Lines of the body that did not parse (each has its diagnostic).
    pub broken: Vec<Broken>,
}

/// How a criterion is enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Enforcement {
    /// `require`: blocks.
    Require,
    /// `expect`: fail and unknown become warn.
    Expect,
    /// `advise`: never blocks.
    Advise,
}

impl Enforcement {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Require => "require",
            Enforcement::Expect => "expect",
            Enforcement::Advise => "advise",
        }
    }
}

/// `require EXPR [because "..."]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    /// require / expect / advise.
    pub enforcement: Enforcement,
    /// The condition.
    pub expr: Expr,
    /// The reason given.
    pub because: Option<StrLit>,
    /// The whole criterion.
    pub span: Span,
}

/// `let NAME = EXPR`.
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    /// Doc comment.
    pub doc: Option<Doc>,
    /// The name.
    pub name: Ident,
    /// The value.
    pub value: Expr,
    /// The whole item.
    pub span: Span,
}

/// `builtin NAME(PARAM: TYPE, ...) -> TYPE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Builtin {
    /// Doc comment: what the editor shows on hover.
    pub doc: Option<Doc>,
    /// The function's name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Param>,
    /// Result type.
    pub ret: TypeName,
    /// The whole item.
    pub span: Span,
}

/// A parameter of a built-in.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: Ident,
    /// Its type.
    pub ty: TypeName,
}

/// A type as written in a signature: `kpi`, `duration`, `number`, `bool`,
/// `[T]` ...
#[derive(Clone, Debug, PartialEq)]
pub enum TypeName {
    /// A named type.
    Named(Ident),
    /// A list of the inner type.
    List(Box<TypeName>, Span),
}

/// `extend KIND { attributes }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Extend {
    /// Doc comment.
    pub doc: Option<Doc>,
    /// The kind extended, as written (the checker validates it).
    pub kind: Ident,
    /// The attributes it adds, in source order.
    pub attrs: Vec<ExtAttr>,
    /// The whole item, from `extend` to the `}`.
    pub span: Span,
    /// The braces and what is between them.
    pub body_span: Span,
}

/// One attribute an `extend` adds: `safety_officer person required`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtAttr {
    /// Its `///` doc (what completion and hover show).
    pub doc: Option<Doc>,
    /// Its name.
    pub name: Ident,
    /// Its type.
    pub ty: ExtType,
    /// The `required` word, when written.
    pub required: Option<Span>,
    /// The whole attribute.
    pub span: Span,
}

/// The type of an extended attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum ExtType {
    /// `string`, `number`, `person`, `kpi` ...
    Named(Ident),
    /// `list of T`.
    List(Box<ExtType>, Span),
    /// `one of [a, b]`: one of the values listed.
    OneOf(Vec<Ident>, Span),
}

impl ExtType {
    /// Its span.
    pub fn span(&self) -> Span {
        match self {
            ExtType::Named(i) => i.span,
            ExtType::List(_, s) | ExtType::OneOf(_, s) => *s,
        }
    }
}

/// `test "NAME" { statements }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    /// The test's name.
    pub name: StrLit,
    /// Statements in order.
    pub stmts: Vec<TestStmt>,
    /// The whole test.
    pub span: Span,
}

/// A statement in a test block.
#[derive(Clone, Debug, PartialEq)]
pub enum TestStmt {
    /// `now 2026-11-24T00:00:00Z`.
    Now(Expr),
    /// `metrics "file"` (relative to the test file).
    Metrics(StrLit),
    /// `series "metric" { labels { k "v" } at TIME VALUE ... }`: inline samples.
    Series(InlineSeries),
    /// `expect gate I FROM -> TO == OUTCOME`.
    ExpectGate {
        /// The initiative.
        initiative: Ident,
        /// Stage left.
        from: Ident,
        /// Stage entered.
        to: Ident,
        /// Expected outcome word.
        outcome: Ident,
        /// The whole statement.
        span: Span,
    },
    /// `expect kpi K == STATUS`.
    ExpectKpi {
        /// The KPI.
        kpi: Ident,
        /// Expected status word.
        status: Ident,
        /// The whole statement.
        span: Span,
    },
    /// `expect policy P on SUBJECT == OUTCOME`.
    ExpectPolicy {
        /// The policy.
        policy: Ident,
        /// The subject.
        subject: Ident,
        /// Expected outcome word.
        outcome: Ident,
        /// The whole statement.
        span: Span,
    },
}

/// Inline samples of one series in a test.
#[derive(Clone, Debug, PartialEq)]
pub struct InlineSeries {
    /// The metric name.
    pub metric: StrLit,
    /// Labels.
    pub labels: Option<MapLit>,
    /// `(time, value)` pairs: time is a datetime expression, value a number.
    pub samples: Vec<(Expr, Expr)>,
    /// The whole statement.
    pub span: Span,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// A comparison.
    Cmp(CmpOp),
    /// `in` (list membership).
    In,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// The operator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Cmp(c) => c.as_str(),
            BinOp::In => "in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// A unit written after a number literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LitUnit {
    /// `%`
    Percent,
    /// `ms`
    Ms,
    /// `s`
    S,
    /// `m` (minutes)
    M,
    /// `h`
    H,
    /// `d`
    D,
    /// `w`
    W,
}

impl LitUnit {
    /// The suffix as written.
    pub fn as_str(self) -> &'static str {
        match self {
            LitUnit::Percent => "%",
            LitUnit::Ms => "ms",
            LitUnit::S => "s",
            LitUnit::M => "m",
            LitUnit::H => "h",
            LitUnit::D => "d",
            LitUnit::W => "w",
        }
    }
    /// Seconds in one of this unit (durations only).
    pub fn seconds(self) -> Option<f64> {
        Some(match self {
            LitUnit::Percent => return None,
            LitUnit::Ms => 0.001,
            LitUnit::S => 1.0,
            LitUnit::M => 60.0,
            LitUnit::H => 3600.0,
            LitUnit::D => 86_400.0,
            LitUnit::W => 604_800.0,
        })
    }
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number with an optional unit: `0.2`, `92%`, `250ms`, `30d`.
    Number {
        /// The value as written, without the unit (`1_200_000`).
        raw: String,
        /// The numeric value (underscores removed).
        value: f64,
        /// The unit suffix.
        unit: Option<LitUnit>,
    },
    /// Money: `1_200_000 USD`.
    Money {
        /// The amount as written.
        raw: String,
        /// The amount.
        value: f64,
        /// The ISO 4217 code.
        currency: String,
    },
    /// A string.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// A date `2027-06-30`, as days since 1970-01-01.
    Date(i64),
    /// A time `2026-11-24T00:00:00Z`, as seconds since the epoch (UTC).
    DateTime(i64),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// A name: a declaration, an attribute of the subject, a bound variable.
    Name(Ident),
    /// `today`.
    Today,
    /// `now`.
    Now,
    /// `base.field`.
    Field(Box<Expr>, Ident),
    /// `f(args)`.
    Call(Ident, Vec<Expr>),
    /// `offset D`, the last argument of a window function or a drift
    /// statistic: its windows end `D` before `now`.
    Offset(Box<Expr>),
    /// `all(x in xs: p)`, `any(...)`, `count(...)`.
    Quantifier {
        /// `all`, `any` or `count`.
        func: Ident,
        /// The bound variable.
        var: Ident,
        /// The list iterated.
        list: Box<Expr>,
        /// The predicate.
        pred: Box<Expr>,
    },
    /// A unary operation.
    Unary(UnOp, Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `KPI for DURATION`.
    For(Box<Expr>, Box<Expr>),
    /// `( e )`, kept so the formatter keeps the parentheses.
    Paren(Box<Expr>),
}
