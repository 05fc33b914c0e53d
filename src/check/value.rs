//! Values and static types, and the unit algebra that connects them.
//!
//! compel has four dimensions of quantity. Plain numbers and percentages
//! share one (`92%` is `0.92`); durations are kept in seconds (`250ms` is
//! `0.25`); money is kept per currency and never mixes across currencies;
//! dates (days) and times (seconds since the epoch) are points, not
//! quantities: a point minus a point is a duration, a point plus a duration
//! is a point, and nothing else mixes them. Every value is stored in its
//! dimension's base unit, so `92% == 0.92` and `250ms == 0.25s` hold by
//! construction; the unit a user wrote survives only for display.

use std::fmt;

use super::schema::Kind;
use super::DeclId;

/// A runtime value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A dimensionless number (percentages included: 92% is 0.92).
    Num(f64),
    /// A duration in seconds.
    Dur(f64),
    /// Money in a currency.
    Money(f64, String),
    /// A date, as days since 1970-01-01.
    Date(i64),
    /// A time, as seconds since the epoch.
    Time(i64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// A declaration.
    Decl(DeclId),
}

/// A static type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// A condition.
    Bool,
    /// A dimensionless number or percentage.
    Num,
    /// A duration.
    Dur,
    /// Money in one currency.
    Money(String),
    /// A date.
    Date,
    /// A time.
    Time,
    /// A string.
    Str,
    /// A list of the element type.
    List(Box<Ty>),
    /// A declaration of a kind; the specific declaration when known (a KPI's
    /// unit depends on which KPI it is).
    Decl(Kind, Option<DeclId>),
    /// Unknown because of an earlier error, or deliberately unchecked.
    Any,
}

impl Ty {
    /// Plain words: "a duration", "money in USD", "a KPI".
    pub fn describe(&self) -> String {
        match self {
            Ty::Bool => "a condition".into(),
            Ty::Num => "a number".into(),
            Ty::Dur => "a duration".into(),
            Ty::Money(c) if c.is_empty() => "money".into(),
            Ty::Money(c) => format!("money in {c}"),
            Ty::Date => "a date".into(),
            Ty::Time => "a time".into(),
            Ty::Str => "a string".into(),
            Ty::List(t) => match &**t {
                Ty::Any => "a list".into(),
                t => format!("a list of {}", strip_article(&t.describe())),
            },
            Ty::Decl(k, _) => k.with_article(),
            Ty::Any => "a value".into(),
        }
    }
}

fn strip_article(s: &str) -> String {
    s.strip_prefix("a ").or_else(|| s.strip_prefix("an ")).unwrap_or(s).to_string() + "s"
}

/// How a KPI's raw numbers are stored (its `unit` attribute).
#[derive(Clone, Debug, PartialEq)]
pub enum MeasureUnit {
    /// Plain numbers.
    Number,
    /// Percent points: 93.5 means 93.5%.
    Percent,
    /// A ratio: 0.935 means 93.5%.
    Ratio,
    /// A time unit: the factor to seconds and its name.
    Time(f64, &'static str),
    /// A currency.
    Money(String),
}

impl MeasureUnit {
    /// Parses a unit word.
    pub fn parse(word: &str) -> Option<MeasureUnit> {
        Some(match word {
            "number" => MeasureUnit::Number,
            "percent" => MeasureUnit::Percent,
            "ratio" => MeasureUnit::Ratio,
            "ms" => MeasureUnit::Time(0.001, "ms"),
            "s" => MeasureUnit::Time(1.0, "s"),
            "m" => MeasureUnit::Time(60.0, "m"),
            "h" => MeasureUnit::Time(3600.0, "h"),
            "d" => MeasureUnit::Time(86_400.0, "d"),
            "w" => MeasureUnit::Time(604_800.0, "w"),
            w if w.len() == 3 && w.bytes().all(|b| b.is_ascii_uppercase()) => MeasureUnit::Money(w.to_string()),
            _ => return None,
        })
    }

    /// The unit's name as written.
    pub fn name(&self) -> String {
        match self {
            MeasureUnit::Number => "number".into(),
            MeasureUnit::Percent => "percent".into(),
            MeasureUnit::Ratio => "ratio".into(),
            MeasureUnit::Time(_, n) => (*n).into(),
            MeasureUnit::Money(c) => c.clone(),
        }
    }

    /// The static type of a value in this unit.
    pub fn ty(&self) -> Ty {
        match self {
            MeasureUnit::Number | MeasureUnit::Percent | MeasureUnit::Ratio => Ty::Num,
            MeasureUnit::Time(..) => Ty::Dur,
            MeasureUnit::Money(c) => Ty::Money(c.clone()),
        }
    }

    /// Converts a raw sample into a value.
    pub fn to_value(&self, raw: f64) -> Value {
        match self {
            MeasureUnit::Number | MeasureUnit::Ratio => Value::Num(raw),
            MeasureUnit::Percent => Value::Num(raw / 100.0),
            MeasureUnit::Time(_, "ms") => Value::Dur(raw / 1000.0),
            MeasureUnit::Time(f, _) => Value::Dur(raw * f),
            MeasureUnit::Money(c) => Value::Money(raw, c.clone()),
        }
    }

    /// Converts a value back into this unit's raw number (for reports).
    pub fn from_value(&self, v: &Value) -> Option<f64> {
        Some(match (self, v) {
            (MeasureUnit::Number | MeasureUnit::Ratio, Value::Num(n)) => *n,
            (MeasureUnit::Percent, Value::Num(n)) => n * 100.0,
            (MeasureUnit::Time(_, "ms"), Value::Dur(s)) => s * 1000.0,
            (MeasureUnit::Time(f, _), Value::Dur(s)) => s / f,
            (MeasureUnit::Money(_), Value::Money(a, _)) => *a,
            _ => return None,
        })
    }

    /// Formats a raw number in this unit: `93.5%`, `199ms`, `0.14`.
    pub fn format_raw(&self, raw: f64) -> String {
        match self {
            MeasureUnit::Number => fmt_num(raw),
            MeasureUnit::Percent => format!("{}%", fmt_num(raw)),
            MeasureUnit::Ratio => format!("{}%", fmt_num(raw * 100.0)),
            MeasureUnit::Time(_, n) => format!("{}{n}", fmt_num(raw)),
            MeasureUnit::Money(c) => format!("{} {c}", fmt_num(raw)),
        }
    }
}

/// Formats a number compactly and deterministically: up to 10 significant
/// decimals, no trailing zeros, no exponent for ordinary magnitudes.
pub fn fmt_num(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if n == n.trunc() && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    let s = format!("{:.10}", n);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Formats days since the epoch as `YYYY-MM-DD`.
pub fn fmt_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn fmt_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    format!("{}T{:02}:{:02}:{:02}Z", fmt_date(days), rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The civil date of a day count.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats a duration in seconds with the largest unit that divides it:
/// `30d`, `250ms`, `1.5h`.
pub fn fmt_dur(secs: f64) -> String {
    for (unit, f) in [("w", 604_800.0), ("d", 86_400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)] {
        if secs != 0.0 && (secs / f).fract() == 0.0 && secs.abs() >= f {
            return format!("{}{unit}", fmt_num(secs / f));
        }
    }
    if secs.abs() < 1.0 && secs != 0.0 {
        return format!("{}ms", fmt_num(secs * 1000.0));
    }
    format!("{}s", fmt_num(secs))
}

/// Displays a value for explanations; declarations need a name lookup, so
/// they print as `#id` here and callers with a model use
/// [`super::Model::display_value`].
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{}", fmt_num(*n)),
            Value::Dur(s) => write!(f, "{}", fmt_dur(*s)),
            Value::Money(a, c) => write!(f, "{} {c}", fmt_num(*a)),
            Value::Date(d) => write!(f, "{}", fmt_date(*d)),
            Value::Time(t) => write!(f, "{}", fmt_time(*t)),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
            Value::Decl(id) => write!(f, "#{}", id.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(fmt_num(0.11), "0.11");
        assert_eq!(fmt_num(93.5), "93.5");
        assert_eq!(fmt_dur(0.25), "250ms");
        assert_eq!(fmt_dur(30.0 * 86_400.0), "30d");
        assert_eq!(fmt_date(0), "1970-01-01");
        assert_eq!(fmt_time(1_795_478_400), "2026-11-24T00:00:00Z");
        assert_eq!(MeasureUnit::Percent.format_raw(93.5), "93.5%");
    }
}
