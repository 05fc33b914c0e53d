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
does not have.

Example:

    program.aproved_until   // did you mean `approved_until`?

Fix: correct the field name.";

    BadOperand = "E0506", Error, "operator does not apply",
"An operator is applied to a value it does not accept: `not` to a number,
`in` to something that is not a list, `for` to something that is not a KPI
(`KPI for DURATION` means the target held throughout the duration).

Fix: rewrite the expression.";

    BadTransition = "E0601", Error, "no such stage transition",
"Gates guard transitions between adjacent stages of the COMPEL order:
calibrate -> organize -> model -> produce -> evaluate -> learn, and
learn -> calibrate to start the next cycle. Any other pair is not a
transition, so its gate could never apply.

Example:

    gate calibrate -> produce { ... }   // skips organize and model

Fix: guard an adjacent transition.";

    PolicyViolated = "E0701", Error, "policy not met",
"A policy or gate criterion that depends only on declared facts does not
hold. `compel check` evaluates it at compile time: a `require` is an error,
an `expect` a warning, an `advise` a note. The message names the subject and
carries the criterion's `because` text.

Example (with `import \"std/policies\"`):

    person lee { name \"Lee\"  role manager }
    program p { sponsor lee }   // csuite_sponsor: sponsor must be C-suite

Fix: change the facts (name a C-suite sponsor) or the policy.";

    AbsentAttribute = "E0702", Error, "policy reads an attribute the subject does not set",
"A policy or gate reads an attribute that its subject leaves unset. compel
never treats a missing fact as a pass: the criterion cannot be decided, and
check reports it at the enforcement's severity.

Example: `executive_attention` reads `last_review`; a program without it
cannot show that it was reviewed recently.

Fix: set the attribute on the subject.";

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
