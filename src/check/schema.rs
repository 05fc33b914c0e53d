//! What each kind of declaration may contain: its attributes, their types,
//! which are required, and which kinds may nest inside it.

/// The kinds of declaration.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Kind {
    /// An AI program with a sponsor, budget and objectives.
    Program,
    /// A Center of Excellence.
    Coe,
    /// A person.
    Person,
    /// A KPI bound to a metric.
    Kpi,
    /// An initiative moving through the stages.
    Initiative,
    /// A dataset of an initiative.
    Dataset,
    /// A monitor of an initiative.
    Monitor,
    /// A COMPEL stage (stdlib).
    Stage,
    /// A role people hold (stdlib).
    Role,
    /// A business function a CoE brings together (stdlib).
    Function,
    /// A kind of monitor (stdlib).
    MonitorKind,
    /// A piece of evidence (a model card, a sign-off ...) of an initiative
    /// or a dataset.
    Evidence,
    /// A kind of evidence (stdlib; an organisation declares more).
    EvidenceKind,
}

impl Kind {
    /// Every kind.
    pub const ALL: &'static [Kind] = &[
        Kind::Program,
        Kind::Coe,
        Kind::Person,
        Kind::Kpi,
        Kind::Initiative,
        Kind::Dataset,
        Kind::Monitor,
        Kind::Stage,
        Kind::Role,
        Kind::Function,
        Kind::MonitorKind,
        Kind::Evidence,
        Kind::EvidenceKind,
    ];

    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Program => "program",
            Kind::Coe => "coe",
            Kind::Person => "person",
            Kind::Kpi => "kpi",
            Kind::Initiative => "initiative",
            Kind::Dataset => "dataset",
            Kind::Monitor => "monitor",
            Kind::Stage => "stage",
            Kind::Role => "role",
            Kind::Function => "function",
            Kind::MonitorKind => "monitor_kind",
            Kind::Evidence => "evidence",
            Kind::EvidenceKind => "evidence_kind",
        }
    }

    /// The kind for a keyword.
    pub fn parse(word: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == word)
    }

    /// "a person", "an initiative".
    pub fn with_article(self) -> String {
        let w = self.as_str();
        let article = if matches!(w.as_bytes()[0], b'a' | b'e' | b'i' | b'o' | b'u') { "an" } else { "a" };
        format!("{article} {w}")
    }

    /// Whether declarations of this kind live inside another declaration.
    pub fn is_nested(self) -> bool {
        matches!(self, Kind::Dataset | Kind::Monitor | Kind::Evidence)
    }

    /// Whether declarations of this kind are vocabulary (stages, roles,
    /// functions, monitor and evidence kinds): named in attributes, never
    /// the subject of a policy.
    pub fn is_vocabulary(self) -> bool {
        matches!(self, Kind::Stage | Kind::Role | Kind::Function | Kind::MonitorKind | Kind::EvidenceKind)
    }

    /// Kinds that may be declared inside this one.
    pub fn children(self) -> &'static [Kind] {
        match self {
            Kind::Initiative => &[Kind::Dataset, Kind::Monitor, Kind::Evidence],
            Kind::Dataset => &[Kind::Evidence],
            _ => &[],
        }
    }

    /// The attribute schema of this kind.
    pub fn attrs(self) -> &'static [AttrSpec] {
        match self {
            Kind::Program => PROGRAM,
            Kind::Coe => COE,
            Kind::Person => PERSON,
            Kind::Kpi => KPI,
            Kind::Initiative => INITIATIVE,
            Kind::Dataset => DATASET,
            Kind::Monitor => MONITOR,
            Kind::Stage => STAGE,
            Kind::Role => ROLE,
            Kind::Evidence => EVIDENCE,
            Kind::Function | Kind::MonitorKind | Kind::EvidenceKind => TITLED,
        }
    }

    /// The schema entry for an attribute.
    pub fn attr(self, name: &str) -> Option<&'static AttrSpec> {
        self.attrs().iter().find(|a| a.name == name)
    }

    /// Names usable in criteria about a subject of this kind that are not
    /// attributes: the nested declarations, as lists.
    pub fn derived(self) -> &'static [(&'static str, Kind)] {
        match self {
            Kind::Initiative => {
                &[("datasets", Kind::Dataset), ("monitors", Kind::Monitor), ("evidence", Kind::Evidence)]
            }
            Kind::Dataset => &[("evidence", Kind::Evidence)],
            _ => &[],
        }
    }
}

/// The value an unset attribute reads as, for the few that have one: a
/// role is not an executive one unless it says so.
pub fn default_value(kind: Kind, attr: &str) -> Option<super::Value> {
    match (kind, attr) {
        (Kind::Role, "executive") => Some(super::Value::Bool(false)),
        _ => None,
    }
}

/// The type an attribute's value must have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AttrType {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// A plain number.
    Number,
    /// A date `2027-06-30`.
    Date,
    /// A duration `30d`.
    Duration,
    /// Money `1_200_000 USD`.
    Money,
    /// A reference to one declaration of the kind.
    Ref(Kind),
    /// A list of references.
    RefList(Kind),
    /// A string or a reference (an owner may be a team address or a person).
    StrOrRef(Kind),
    /// A threshold `>= 92%`.
    Threshold,
    /// A label selector `{ k "v" }`.
    Labels,
    /// A KPI family's groups: `{ sex ["female", "male"] }` or `[sex]`.
    Groups,
    /// A derived KPI's formula over other KPIs: `0.6 * auc + 0.4 * precision`.
    Formula,
    /// A unit name: `percent`, `ratio`, `ms` ... or a currency code.
    Unit,
}

impl AttrType {
    /// Plain words for messages: "a date", "a list of KPIs".
    pub fn describe(self) -> String {
        match self {
            AttrType::Str => "a string".into(),
            AttrType::Bool => "`true` or `false`".into(),
            AttrType::Number => "a number".into(),
            AttrType::Date => "a date such as `2027-06-30`".into(),
            AttrType::Duration => "a duration such as `30d`".into(),
            AttrType::Money => "an amount of money such as `1_200_000 USD`".into(),
            AttrType::Ref(k) => format!("the name of {}", k.with_article()),
            AttrType::RefList(k) => format!("a list of {} names such as `[a, b]`", k.as_str()),
            AttrType::StrOrRef(k) => format!("a string or the name of {}", k.with_article()),
            AttrType::Threshold => "a threshold such as `>= 92%`".into(),
            AttrType::Labels => "a label selector such as `{ model \"v2\" }`".into(),
            AttrType::Formula => "a formula over KPIs such as `0.6 * auc + 0.4 * precision`".into(),
            AttrType::Groups => "groups such as `{ sex [\"female\", \"male\"] }`, or labels such as `[sex]`".into(),
            AttrType::Unit => {
                "a unit: `percent`, `ratio`, `ms`, `s`, `m`, `h`, `d`, `w`, `number` or a currency code".into()
            }
        }
    }
}

/// One attribute of a kind.
#[derive(Clone, Copy, Debug)]
pub struct AttrSpec {
    /// Its name.
    pub name: &'static str,
    /// The type of its value.
    pub ty: AttrType,
    /// Whether every declaration must set it.
    pub required: bool,
    /// What it means (completion and hover show it).
    pub doc: &'static str,
}

/// Prometheus' default lookback (`--query.lookback-delta`), in seconds: an
/// instant evaluation at `t` sees the latest sample at or after `t - 5m`.
/// A KPI's `query` is read through it, so its `max_age` must cover its
/// `resolution` plus the lookback (E0409); the Prometheus client dates
/// subquery points by it.
pub const PROMETHEUS_LOOKBACK_SECS: i64 = 300;

const fn a(name: &'static str, ty: AttrType, required: bool, doc: &'static str) -> AttrSpec {
    AttrSpec { name, ty, required, doc }
}

use AttrType::*;

const PROGRAM: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a("description", Str, false, "what the program is about"),
    a("vision", Str, false, "the outcome the program commits to"),
    a("sponsor", Ref(Kind::Person), true, "the executive who sponsors the program"),
    a("budget", Money, false, "approved budget"),
    a("approved_until", Date, false, "the date the budget approval lapses"),
    a("review_every", Duration, false, "how often executives review the program"),
    a("last_review", Date, false, "the date of the last executive review"),
    a("objectives", RefList(Kind::Kpi), false, "the KPIs the program is measured by"),
];

const COE: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a("description", Str, false, "what the CoE does"),
    a("lead", Ref(Kind::Person), false, "the person who leads the CoE"),
    a("functions", RefList(Kind::Function), false, "the business functions it brings together"),
    a("members", RefList(Kind::Person), false, "its members"),
];

const PERSON: &[AttrSpec] = &[
    a("name", Str, true, "full name"),
    a("role", Ref(Kind::Role), true, "the role the person holds"),
    a("title", Str, false, "job title"),
    a("email", Str, false, "contact address"),
];

const KPI: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a("description", Str, false, "what the KPI measures"),
    a("metric", Str, true, "the metric series name"),
    a(
        "value",
        Formula,
        false,
        "makes the KPI derived: its value is this formula over other KPIs, `0.6 * auc + 0.4 * precision` (instead of `metric`)",
    ),
    a("labels", Labels, false, "label selector choosing one series"),
    a(
        "by",
        Groups,
        false,
        "makes the KPI a family: one member per group, `by { sex [\"female\", \"male\"] }`, or per value found in the data, `by [sex]`",
    ),
    a(
        "query",
        Str,
        false,
        "a PromQL expression read instead of `metric` with `--prometheus` (needs `resolution`); files hold it under `metric`",
    ),
    a(
        "resolution",
        Duration,
        false,
        "how often a `query` is evaluated: its samples are the points of `(QUERY)[RANGE:RESOLUTION]`; `max_age` must be at least this plus Prometheus' 5m lookback",
    ),
    a(
        "unit",
        Unit,
        false,
        "how the raw numbers are stored: `percent` (93.5), `ratio` (0.935), `ms`, `s`, a currency, or none",
    ),
    a("target", Threshold, true, "the threshold the KPI must meet"),
    a("warn", Threshold, false, "a threshold that marks a met target as at risk"),
    a("max_age", Duration, false, "older data is stale (default 1d)"),
];

const INITIATIVE: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a("description", Str, false, "what the initiative delivers"),
    a("program", Ref(Kind::Program), false, "the program it belongs to"),
    a("coe", Ref(Kind::Coe), false, "the Center of Excellence that supports it"),
    a("owner", StrOrRef(Kind::Person), true, "who is accountable"),
    a("sponsor", Ref(Kind::Person), false, "its executive sponsor, if not the program's"),
    a("stage", Ref(Kind::Stage), true, "its current COMPEL stage"),
    a("kpis", RefList(Kind::Kpi), false, "the KPIs it is measured by"),
    a("contributes_to", RefList(Kind::Kpi), false, "the program objectives it serves"),
    a("budget", Money, false, "its budget"),
    a("started", Date, false, "the date it started"),
];

const DATASET: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a("description", Str, false, "what the data holds"),
    a("versioned", Bool, false, "whether the dataset is under version control"),
    a("tool", Str, false, "the versioning tool (dvc, lakeFS, ...)"),
    a("source", Str, false, "where the data comes from"),
    a("owner", StrOrRef(Kind::Person), false, "who is accountable for the data"),
    a("pii", Bool, false, "whether it holds personal data"),
];

const MONITOR: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a("description", Str, false, "what it watches"),
    a(
        "kind",
        Ref(Kind::MonitorKind),
        true,
        "what kind of monitor: drift, model_quality, data_quality, fairness, service_health",
    ),
    a("kpi", Ref(Kind::Kpi), false, "the KPI it watches"),
    a("owner", StrOrRef(Kind::Person), false, "who responds to its alerts"),
];

const STAGE: &[AttrSpec] =
    &[a("title", Str, false, "display name"), a("order", Number, false, "position in the COMPEL cycle, from 1")];

const TITLED: &[AttrSpec] = &[a("title", Str, false, "display name")];

const ROLE: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a(
        "executive",
        Bool,
        false,
        "whether the role is an executive one (default `false`): `c_suite` holds exactly the roles with `executive true`",
    ),
];

const EVIDENCE: &[AttrSpec] = &[
    a("title", Str, false, "display name"),
    a(
        "kind",
        Ref(Kind::EvidenceKind),
        true,
        "what kind of evidence: model_card, risk_assessment, data_sheet, signoff, human_review, or the organisation's own",
    ),
    a("link", Str, false, "where the document lives (shown in reports and on hover)"),
    a("by", StrOrRef(Kind::Person), false, "who produced or signed it"),
    a("on", Date, true, "the date it was produced or signed; before that date it does not exist"),
    a("expires", Date, false, "the date it stops being valid"),
];
