//! Stable diagnostic codes and their long explanations (`compel explain`).
//!
//! A code never changes meaning once released. The tidy test checks that
//! every code has an explanation here, a fixture under `tests/fixtures`,
//! and is emitted somewhere in `src/`.

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal, $explain:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed, e.g. `E0301`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The variant's name in PascalCase (`UnknownName`), the
            /// rule's friendly name in SARIF.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => stringify!($variant),)* }
            }

            /// A one-line title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The severity a diagnostic with this code has unless told otherwise.
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// The long explanation printed by `compel explain`.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explain,)* }
            }

            /// Looks a code up by its printed form (case-insensitive).
            pub fn parse(text: &str) -> Option<Code> {
                let upper = text.trim().to_ascii_uppercase();
                Code::ALL.iter().copied().find(|c| c.as_str() == upper)
            }
        }
    };
}

codes! {
    SyntaxError = "E0101", Error, "syntax error",
"The text does not follow the grammar of compel at this point.

The message says what the parser expected in plain words (a declaration, an
attribute, an expression, a closing brace ...). Parsing recovers at the next
top-level declaration, and inside a declaration at its next attribute,
criterion or nested declaration, so an unfinished line costs one diagnostic
and the rest of the declaration and of the file is still checked.

Example:

    kpi accuracy {
      metric \"fraud_model_accuracy\"
      target >=            // a threshold needs a value
    }

Fix: complete or remove the construct the message points at.";

    InvalidLiteral = "E0102", Error, "invalid literal",
"A literal is malformed: a date that does not exist (`2026-02-30`), a time
that is not RFC 3339, a number too large to represent, or an unknown escape
in a string.

Example:

    approved_until 2027-13-01   // there is no month 13

Fix: write a valid value: dates are `YYYY-MM-DD`, times
`YYYY-MM-DDTHH:MM:SSZ`, strings escape only `\\\\`, `\\\"`, `\\n`, `\\t`.";

    LimitExceeded = "E0103", Error, "input exceeds a limit",
"The input is larger or deeper than compel accepts: expressions nested more
than 64 levels, more than 256 prefix operators (`not`, `-`) in one
declaration, more than 512 operators chained in one expression, files
above 8 MiB, more than 10,000 top-level declarations in one file or 10,000
elements in one list; or its evaluation takes more than the step budget
(10,000,000 expression steps for one `compel check`), as nested quantifiers
over long lists or `let`s that double at each link do.
These limits keep checking bounded in time and memory, so an untrusted
policy can never exhaust the machine.

Example:

    let xs = [1, 2, 3, ...]   // 10,000 numbers
    policy cubic for program {
      require all(a in xs: all(b in xs: all(c in xs: a + b + c > 0)))
    }

Fix: split the file, simplify the expression, or reduce the nesting. The
file size, declaration and list limits can be raised in `[limits]` of
compel.toml (see docs/security.md).";

    NotUtf8 = "E0104", Error, "file is not valid UTF-8",
"compel files must be UTF-8 text. The diagnostic points at the first byte
that is not valid UTF-8.

Fix: re-encode the file as UTF-8.";

    UnreadableInput = "E0105", Error, "cannot read an input",
"A path given to compel cannot be used: it does not exist, it cannot be
read (permission denied, an I/O error), or it is a folder with no
`.compel` file below it. This is not a problem in the policies but in the
command: every command exits 2 (\"the tool could not do its job\"), never
1, so CI does not mistake a typo in a workflow for a policy that says no.
`--format sarif` and `--format junit` still write a valid document that
records the failure (a SARIF run with `executionSuccessful: false`, a JUnit
test case in error).

Example:

    compel check polcies/   # the folder is `policies/`

Fix: correct the path, or make the file readable by the user running
compel. An `import` of a missing file is E0201 instead.";

    ImportNotFound = "E0201", Error, "imported file not found",
"An `import` names a file that does not exist. Paths are relative to the
importing file; `std/NAME` names a module of the standard library (`std/policies`,
`std/stages`, `std/roles`, `std/functions`, `std/builtins`).

Example:

    import \"peple.compel\"   // did you mean `people.compel`?

Fix: correct the path.";

    ImportCycle = "E0202", Error, "import cycle",
"Files import each other in a cycle. The message lists the cycle's path.
Imports form a tree of dependencies; a cycle has no order in which the files
could be understood.

Example: `a.compel` imports `b.compel`, which imports `a.compel`.

Fix: move the shared declarations to a third file that both import.";

    ImportOutsideProject = "E0203", Error, "import outside the project",
"An `import` leaves the project: its path resolves above the project root
(the folder holding `compel.toml`, or else the folder or file given to
compel) or is absolute. Policies often come from pull requests and are
checked in CI; confining imports keeps an untrusted policy from reading
files elsewhere on the machine.

Example:

    import \"../../etc/passwd\"

Fix: keep shared policy files inside the project, or run compel from a
folder that contains both (add a `compel.toml` at the top).";

    UnknownName = "E0301", Error, "unknown name",
"A name refers to nothing visible from this file. A file sees its own
declarations, those of the files it imports (transitively), and the
standard library prelude (stages, roles, CoE functions, built-in functions).
The help suggests a near name when there is one, and the editor offers it
as a quick fix.

Example:

    kpis [acuracy]   // did you mean `accuracy`?

Fix: correct the spelling, or import the file that declares the name.";

    DuplicateName = "E0302", Error, "duplicate declaration",
"Two visible declarations share one name. Names are global within a file's
scope (its own declarations and its imports), so every reference is
unambiguous. The diagnostic shows both places.

Fix: rename one of them.";

    WrongKind = "E0303", Error, "reference to the wrong kind of declaration",
"An attribute refers to a declaration of the wrong kind: `sponsor` must name
a `person`, `program` a `program`, `kpis` a list of `kpi`s, `stage` a stage,
`role` a role.

Example:

    initiative scoring_v2 {
      program ai_coe    // `ai_coe` is a coe, not a program
    }

Fix: name a declaration of the expected kind.";

    UnknownKind = "E0304", Error, "unknown declaration kind",
"A declaration starts with a word that is not a kind compel knows. The
kinds are `program`, `coe`, `person`, `kpi`, `initiative` at top level,
`dataset` and `monitor` inside an initiative, plus `gate`, `policy`,
`let`, `import` and `test`.

Example:

    initative scoring_v2 { ... }   // did you mean `initiative`?

Fix: correct the kind.";

    LetCycle = "E0305", Error, "a `let` refers to itself",
"A `let` constant refers to itself, directly or through other `let`s. A
`let` is computed once from what it names; a cycle has no value, and
evaluation must always terminate.

Example:

    let a = b + 1
    let b = a * 2

Fix: define one of them from declared facts or literals.";

    UnknownAttribute = "E0401", Error, "unknown attribute",
"The attribute is not part of this kind of declaration. A name close to a
valid one gets a did-you-mean and a fix that renames it (and the attribute
it was taken for is not also reported missing); otherwise the help lists
the kind's attributes. The editor's completion offers the valid ones, and
docs/language.md lists every kind's attributes.

Example:

    kpi accuracy {
      metrc  \"fraud_model_accuracy\"   // did you mean `metric`?
      target >= 92%
    }

Fix: correct the name or remove the attribute.";

    MissingAttribute = "E0402", Error, "missing required attribute",
"A declaration lacks an attribute its kind requires: `person` needs `name`
and `role`; `program` needs `sponsor`; `kpi` needs `metric` and `target`;
`initiative` needs `owner` and `stage`; `monitor` needs `kind`. The editor
offers a quick fix that inserts the attribute.

Fix: add the attribute.";

    DuplicateAttribute = "E0403", Error, "attribute set twice",
"An attribute appears twice in one declaration. Only one value can hold,
and compel does not guess which.

Fix: remove one of them.";

    AttributeType = "E0404", Error, "attribute value has the wrong type",
"The attribute's value has the wrong type or unit: `budget` is money,
`approved_until` a date, `review_every` a duration, `target` a threshold
such as `>= 92%`, `versioned` a boolean.

Example:

    review_every 30   // a duration: did you mean `30d`?

Fix: write a value of the expected type.";

    UnknownExtensionType = "E0420", Error, "unknown type in an `extend`",
"An attribute an `extend` adds has a type compel does not know. The types
are `string`, `number`, `ratio` (a number or a percentage), `bool`, `date`,
`duration`, `money`, the name of a kind (`person`, `kpi`, `initiative`,
`role`, `program` ...: the attribute names one such declaration), `list of
T`, and `one of [a, b]` (one of the values listed). A name close to one of
them gets a did-you-mean.

Example:

    extend initiative {
      safety_officer persn required   // did you mean `person`?
    }

Fix: write one of the types above.";

    ExtensionConflict = "E0421", Error, "two extensions define one attribute differently",
"Two `extend` items that apply to one declaration define an attribute of
the same name with different types (or one says `required` and the other
does not), or an extension redefines an attribute the kind already has.
Which definition holds would depend on the order files are read, so
neither does. Two extensions conflict only when both apply to one
declaration: an extension applies where its file is visible (imported,
directly or not) or belongs to a project policy set. The message names
both definitions and the declaration they meet on.

Fix: define the attribute once (in a file both import), or give the two
the same definition, or rename one.";

    NotExtended = "E0422", Error, "attribute of an extension that does not apply",
"A criterion reads an attribute an `extend` adds, on a declaration that the
extension does not apply to: the declaration's file does not see the
extension's file (through imports) and the extension is not part of a
project policy set. The attribute does not exist there, so reading it is a
mistake, not a missing value.

Example:

    // governance.compel: extend initiative { model_card string }
    //                    policy cards for initiative { require model_card != \"\" }
    // legacy.compel does not import governance.compel, but a policy set
    // governs it: its initiatives have no `model_card`.

Fix: import the file that declares the extension where the declaration
lives, or narrow the policy with `where`.";

    NotAnEnumValue = "E0423", Error, "not one of the attribute's values",
"An attribute typed `one of [a, b]` takes one of the values listed, and
comparisons with it (`kind == llm`, `kind in [ranking, llm]`) name those
values. The values belong to the attribute: `llm` means the value of
`kind`, whatever else is called `llm`. A name close to a value gets a
did-you-mean.

Example:

    extend initiative { kind one of [classifier, ranking, llm] }
    initiative chat { kind lmm ... }   // did you mean `llm`?

Fix: write one of the listed values, or add the value to the `one of`.";

    TypeMismatch = "E0501", Error, "mismatched types or units",
"An operation combines values of incompatible types or dimensions: a time
with a percentage, USD with EUR, a date with a number. Percentages and plain
numbers share one dimension (`92%` equals `0.92`); durations convert among
themselves (`250ms` equals `0.25s`); money converts only within one
currency. The diagnostic names both sides.

Example:

    require latency_p95 < 95%   // latency_p95 is a time, 95% a ratio

Fix: compare like with like.";

    NotBoolean = "E0502", Error, "criterion is not a condition",
"A `require`, `expect`, `advise` or `where` must be a condition (true or
false). A bare KPI counts as a condition: \"its target is met\".

Example:

    require budget   // money, not a condition

Fix: compare the value with something, e.g. `budget >= 1_000_000 USD`.";

    BadArguments = "E0503", Error, "wrong arguments to a built-in function",
"A built-in function was called with the wrong number or types of
arguments. The signatures live in the standard library (`std/builtins`) and
the editor shows them as you type.

Example:

    avg(feature_psi)   // avg(kpi, window): the window is missing

Fix: pass the arguments the signature asks for.";

    UnknownUnit = "E0504", Error, "unknown unit",
"A unit name is not one compel knows. Durations: `ms s m h d w`; ratios:
`%`; money: an ISO 4217 currency code written in capitals after the amount
(`1_200_000 USD`). A KPI's `unit` is one of `percent`, `ratio`, `ms`, `s`,
`m`, `h`, `d`, `w`, a currency code, or `number`.

Fix: use one of the known units.";

    NoSuchField = "E0505", Error, "no such field",
"A field access `x.name` names an attribute that the declaration's kind
does not have, or reads an attribute of a value that is not a declaration:
an `owner` given as a string (`owner \"ml-team@acme.example\"`) is not a
person, so `owner.role` has nothing to read. compel reports the second
case for each subject whose value is a string, rather than leaving the
criterion `unknown` until `eval`.

Example:

    program.aproved_until   // did you mean `approved_until`?

Fix: correct the field name, or name a declaration (`owner dana`) where a
policy reads its attributes.";

    BadOperand = "E0506", Error, "operator does not apply",
"An operator is applied to a value it does not accept: `not` to a number,
`in` to something that is not a list, `for` to something that is not a KPI
(`KPI for DURATION` means the target held throughout the duration).

Fix: rewrite the expression.";

    QueryWithoutResolution = "E0405", Error, "a query KPI needs a `resolution`",
"A KPI with a `query` (a PromQL expression) is read from Prometheus as the
points of the subquery `(QUERY)[RANGE:RESOLUTION]`: the expression is
evaluated once per `resolution` step. compel does not pick the step for
you: it decides which spikes the points can show (a value between two steps
is never seen) and how fresh the latest point can be, so the KPI states
it. It must be a positive duration.

Example:

    kpi worst_accuracy {
      metric \"fraud_model_accuracy\"
      query  \"min(fraud_model_accuracy)\"   // every how often?
      target >= 90%
    }

Fix: add `resolution 1m` (the series' scrape interval is a good choice), and
a `max_age` of at least the resolution plus 5m (E0406).";

    MaxAgeBelowResolution = "E0406", Error, "a query KPI's `max_age` is below its resolution plus the lookback",
"Each point of a `query` KPI's subquery is Prometheus' instant evaluation
at a step, which sees the latest sample up to 5 minutes old (Prometheus'
lookback). compel dates every point at its step minus those 5 minutes, the
oldest its data may be, so that a query never looks fresher than the
samples behind it. The newest point is then up to `resolution` + 5m old
even while the series is scraped without pause: a `max_age` below that
would make a healthy KPI stale most of the time. A default `max_age`
(`--max-age`, compel.toml) below that bound makes the KPI `unknown` with
the same reason at eval time.

Example:

    kpi worst_accuracy {
      metric     \"fraud_model_accuracy\"
      query      \"min(fraud_model_accuracy)\"
      resolution 1m
      max_age    2m     // below 1m + 5m
      target     >= 90%
    }

Fix: raise `max_age` to at least the resolution plus 5m (`max_age 6m`
here), or choose a finer `resolution`. To decide on raw samples with a
`max_age` shorter than five minutes, use a plain KPI (`metric` and
`labels`, no `query`): compel reads its raw samples, with no lookback.";

    NegativeWindow = "E0510", Error, "negative window",
"A window reaches back from `now`: `avg(k, 7d)` reads `[now - 7d, now]` and
`k for 7d` asks whether the target held throughout it. A negative window
(`-1d`) would reach into the future, where there is no data, so it is an
error wherever the checker can compute it: from literals and `let`s, and
from a subject's facts (`avg(k, program.review_every)` is reported for each
subject whose `review_every` is negative). A window that only `eval` can
compute (from `today`, say) and turns out negative makes the criterion
`unknown`.

Example:

    require avg(feature_psi, -7d) < 0.15   // the window is negative

Fix: drop the minus sign: `avg(feature_psi, 7d)`. To read an older window,
subtract at the other end: `avg(feature_psi, 14d) - avg(feature_psi, 7d)`.";

    DataIndependentComparison = "E0511", Warning, "comparison decided without the data",
"A comparison that is true (or false) whatever the data says. `==` and
`!=` between two KPI names, and `k in [...]` over KPI names, compare which
KPI it is, not the KPIs' values (that is how `k in program.objectives`
works). So `gone == gone` holds even when `gone` has no data at all: it
reads no series and can never block.

Example:

    require accuracy == accuracy   // true for any data, even none

Fix: say what the criterion should ask of the data: its target
(`require accuracy`), a value (`require accuracy >= 92%`) or a window
function (`require min(accuracy, 7d) >= 90%`). Every
comparison other than identity reads values, so a KPI without data makes
it `unknown`.";

    PercentWithoutUnit = "E0512", Error, "a percent KPI's threshold needs `%`",
"A KPI with `unit percent` stores 93.5 for 93.5%, but a threshold is a
value in the language, where a bare number is a plain ratio: `target <= 2`
means 200%, not 2%. A bare number in a percent KPI's `target` or `warn` is
therefore almost certainly a mistake, and compel asks for the unit.

Example:

    kpi error_rate {
      metric \"errors_pct\"
      unit   percent
      target <= 2      // means 200%; write `2%`
    }

Fix: write the percent sign (`target <= 2%`); the editor offers it as a
quick fix. If a ratio was meant, write it as a percentage too
(`target <= 200%`).";

    BadGroups = "E0430", Error, "a KPI family's groups are invalid",
"`by` makes a KPI a family: one member per group. Its value is either the
groups, each label with its values, or a list of labels whose values are
found in the data. A label listed twice, a label with no value, a value
listed twice, or a label that is also in the KPI's `labels` (a member
would then select two values of it) is an error.

Example:

    kpi auc_by_group {
      metric \"auc\"
      labels { sex \"female\" }
      by     { sex [\"female\", \"male\"] }   // `sex` is in `labels` too
      target >= 0.8
    }

Fix: list each label once, with at least one value, in `by` only:
`by { sex [\"female\", \"male\"]  age_band [\"18-39\", \"65+\"] }`.";

    DiscoveredGroups = "E0431", Warning, "a KPI family finds its groups in the data",
"`by [sex]` makes one member per value of `sex` found in the data within
the KPI's read-back range. A group whose series vanished is then simply
not a member any more, so nothing reports it: a fairness check across
groups passes without the group that stopped reporting. Listed groups,
`by { sex [\"female\", \"male\"] }`, fail closed instead: a listed
member without data is `unknown`, which blocks.

Example:

    kpi auc_by_group {
      metric \"auc\"
      by     [sex]          // which sexes? whatever the data holds
      target >= 0.8
    }

Fix: list the groups you expect (`by { sex [\"female\", \"male\"] }`).
Keep `by [LABEL]` for groups that cannot be listed in advance, such as
regions that come and go, and accept the warning.";

    DerivedWithMetric = "E0432", Error, "a derived KPI also reads a metric",
"A KPI with `value` is derived: its value is the formula over other KPIs'
values, so it reads no series. `metric`, `query`, `labels`, `by` and
`resolution` say which series to read, and do not apply to it. Which one
was meant is unclear, so both together are an error.

Example:

    kpi utility {
      metric \"utility_score\"               // a series ...
      value  0.6 * auc + 0.4 * precision    // ... or a formula?
      target >= 0.6
    }

Fix: keep `value` and remove the metric attributes, or remove `value` and
measure the KPI from its series.";

    DerivedCycle = "E0433", Error, "derived KPIs read each other in a cycle",
"A derived KPI's value is computed from its inputs' values. When derived
KPIs read each other in a cycle (`a` reads `b`, and `b` reads `a`), none
of them has a value to start from. The message names the cycle, from the
KPI reported back to itself.

Example:

    kpi risk    { value 0.5 * quality + 0.5 * auc   target >= 0.6 }
    kpi quality { value risk - 0.1                   target >= 0.5 }

Fix: measure one KPI of the cycle from its metric, or rewrite the
formulas so that each reads only KPIs measured before it.";

    DerivedInput = "E0434", Error, "a derived KPI's value reads something other than KPIs and constants",
"A derived KPI's value at an instant is its formula over each input's
value in effect at that instant, so the formula may read only what has a
value at one instant: KPIs (plain or derived), numbers, durations, money,
`let`s with a constant value, `+ - * /`, `abs`, and `min`/`max` of two
values. A KPI family is refused: its value is a list (one value per
member), and which member would count is not clear. Windows (`avg(auc,
7d)`), drift statistics, `for`, attributes, `today` and conditions are
refused too: they have no value at one instant.

Example:

    kpi stability {
      value avg(approval_rate, 7d) - approval_rate   // a window
      target >= -2%
    }

Fix: read the KPIs themselves in `value`; apply windows to the derived KPI
where it is used (`avg(utility, 7d)` in a policy), and compare family
members in policies (`spread(auc_by_group) <= 0.05`).";

    BadTransition = "E0601", Error, "no such stage transition",
"Gates guard transitions between adjacent stages of the COMPEL order:
calibrate -> organize -> model -> produce -> evaluate -> learn, and
learn -> calibrate to start the next cycle. Any other pair is not a
transition, so its gate could never apply.

Example:

    gate calibrate -> produce { ... }   // skips organize and model

Fix: guard an adjacent transition.";

    PolicyViolated = "E0701", Error, "policy not met",
"A policy criterion that depends only on declared facts does not hold.
Policies are obligations: `compel check` evaluates them at compile time, and
a `require` is an error, an `expect` a warning, an `advise` a note. The
message names the subject and carries the criterion's `because` text.

Gates are not obligations but readiness: a gate criterion that declared
facts refuse is E0703, a note.

Example (with `import \"std/policies\"`):

    person lee { name \"Lee\"  role manager }
    program p { sponsor lee }   // csuite_sponsor: sponsor must be C-suite

Fix: change the facts (name a C-suite sponsor) or the policy.";

    AbsentAttribute = "E0702", Error, "policy reads an attribute the subject does not set",
"A policy reads an attribute that its subject leaves unset. compel never
treats a missing fact as a pass: the criterion cannot be decided, and check
reports it at the enforcement's severity (a `require` is an error). A gate
that reads an unset attribute is readiness, reported as E0703.

Example: `executive_attention` reads `last_review`; a program without it
cannot show that it was reviewed recently.

Fix: set the attribute on the subject.";

    NotReady = "E0703", Note, "initiative not ready to advance",
"Declared facts already refuse a criterion of an initiative's next gate
(the gate `FROM -> TO` out of its current stage): the criterion does not
hold, or it reads an attribute the initiative does not set. The message
names the initiative, the transition, the criterion and its `because`.

A gate answers \"may this initiative advance?\": it is readiness, not an
obligation. Most initiatives are not ready to advance most of the time, so
`compel check` reports this as a note, whatever the criterion's
enforcement, and never fails because of it. `compel eval` reports every
initiative's readiness (`ready`, `next_gate`, what blocks it); the gate
blocks only when it is asked: `compel eval --ready NAME` (or `--ready
all`) exits 1 while a `require` of the gate fails or is unknown.

Example (with `import \"std/policies\"`, whose `model -> produce` gate
requires versioned datasets):

    initiative scoring {
      owner \"ml@acme.example\"
      stage model
      dataset transactions { versioned false }   // not ready for produce
    }

Fix: nothing, while the initiative stays at its stage. Before it advances,
meet the criterion (version the dataset) and confirm with
`compel eval --ready scoring`.";

    Ungoverned = "E0710", Warning, "nothing governs this file",
"A file declares programs or initiatives, but no policy and no top-level
gate applies to them: the file imports no policy set, and no policy set of
the project governs it. Policies govern the subjects of the files that see
them, so a file that forgets `import \"std/policies\"` would check clean and
its policies would be missing from `compel eval`'s report. The warning
names the file's first program or initiative.

Example:

    // program.compel, with no import and no compel.toml
    program fraud_ai { sponsor lee  review_every 30d  last_review 2026-11-02 }

Fix: import the policies that apply (`import \"std/policies\"`, or your
organisation's set; the editor offers the stdlib import as a quick fix), or
name the sets every file of the project follows in `compel.toml`:

    [project]
    policies = [\"std/policies\", \"org/standards.compel\"]

Those sets then govern every file of the project, in `compel check`,
`eval`, `test`, `report`, `compile` and the editor alike.";

    TestError = "E0801", Error, "invalid test",
"A `test` block is malformed: an assertion names an unknown initiative,
KPI, policy, subject or outcome (a near name gets a did-you-mean), names a
declaration of the wrong kind (a program where an initiative belongs, a
person as the subject of a policy for initiatives), or a gate the
initiative does not have; or a test lacks `now`.

Example:

    expect gate scoring_v3 model -> produce == fail   // did you mean `scoring_v2`?

Fix: correct the assertion.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {}", code.as_str());
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert!(code.explanation().len() > 80, "{} needs a real explanation", code.as_str());
        }
    }
}
