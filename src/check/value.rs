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

use super::rational::Rational;
use super::schema::Kind;
use super::DeclId;

/// A runtime value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A dimensionless number (percentages included: 92% is 0.92).
    Num(Rational),
    /// A duration in seconds.
    Dur(Rational),
    /// Money in a currency.
    Money(Rational, String),
    /// A date, as days since 1970-01-01.
    Date(i64),
    /// A time, as nanoseconds since the epoch.
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
    /// A value of an extended attribute typed `one of [a, b]`.
    Enum(Box<EnumTy>),
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
            Ty::Enum(e) => format!("one of {}", super::extend::quoted(&e.values)),
            Ty::Any => "a value".into(),
        }
    }
}

/// The type of an extended attribute's `one of` values: they belong to the
/// attribute, so two attributes' values never compare.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumTy {
    /// The kind extended.
    pub kind: Kind,
    /// The attribute.
    pub attr: String,
    /// The values, in the order written.
    pub values: Vec<String>,
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
    Time(Rational, &'static str),
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
            "ms" => MeasureUnit::Time(MS, "ms"),
            "s" => MeasureUnit::Time(Rational::ONE, "s"),
            "m" => MeasureUnit::Time(Rational::int(60), "m"),
            "h" => MeasureUnit::Time(Rational::int(3600), "h"),
            "d" => MeasureUnit::Time(Rational::int(86_400), "d"),
            "w" => MeasureUnit::Time(Rational::int(604_800), "w"),
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

    /// Converts a raw sample into a value (`None` when the exact result
    /// does not fit).
    pub fn to_value(&self, raw: Rational) -> Option<Value> {
        Some(match self {
            MeasureUnit::Number | MeasureUnit::Ratio => Value::Num(raw),
            MeasureUnit::Percent => Value::Num(raw.div(HUNDRED)?),
            MeasureUnit::Time(f, _) => Value::Dur(raw.mul(*f)?),
            MeasureUnit::Money(c) => Value::Money(raw, c.clone()),
        })
    }

    /// Converts a value back into this unit's raw number (for reports).
    pub fn from_value(&self, v: &Value) -> Option<Rational> {
        match (self, v) {
            (MeasureUnit::Number | MeasureUnit::Ratio, Value::Num(n)) => Some(*n),
            (MeasureUnit::Percent, Value::Num(n)) => n.mul(HUNDRED),
            (MeasureUnit::Time(f, _), Value::Dur(s)) => s.div(*f),
            (MeasureUnit::Money(_), Value::Money(a, _)) => Some(*a),
            _ => None,
        }
    }

    /// Formats a raw number in this unit: `93.5%`, `199ms`, `0.14`.
    pub fn format_raw(&self, raw: Rational) -> String {
        let mut out = String::with_capacity(24);
        self.push_raw(raw, &mut out);
        out
    }

    /// Appends [`MeasureUnit::format_raw`]'s text to `out`.
    pub fn push_raw(&self, raw: Rational, out: &mut String) {
        match self {
            MeasureUnit::Number => raw.push_to(out),
            MeasureUnit::Percent => {
                raw.push_to(out);
                out.push('%');
            }
            MeasureUnit::Ratio => match raw.mul(HUNDRED) {
                Some(p) => {
                    p.push_to(out);
                    out.push('%');
                }
                None => raw.push_to(out),
            },
            MeasureUnit::Time(_, n) => {
                raw.push_to(out);
                out.push_str(n);
            }
            MeasureUnit::Money(c) => {
                raw.push_to(out);
                out.push(' ');
                out.push_str(c);
            }
        }
    }

    /// Formats a raw floating-point sample (NaN and infinities included).
    pub fn format_float(&self, raw: f64) -> String {
        match Rational::from_f64(raw) {
            Some(q) => self.format_raw(q),
            None => fmt_num(raw),
        }
    }
}

/// One millisecond, in seconds.
pub const MS: Rational = match Rational::new(1, 1000) {
    Some(q) => q,
    None => Rational::ZERO,
};

/// A hundred: percent points per unit.
pub const HUNDRED: Rational = Rational::int(100);

/// Formats a number for people, compactly and deterministically: exactly
/// when its shortest decimal is short (`0.07`, `93.5`, `246`: up to 15
/// significant digits), otherwise to 10 significant digits
/// (`0.3333333333`); with an exponent below `1e-6` or from `1e15` on
/// (`1.797693135e+308`, `1e-9`), never a 309-digit integer.
pub fn fmt_num(n: f64) -> String {
    fmt_float(n, false)
}

/// Formats an approximation for people (a fraction with no short decimal,
/// `4/3`): always to 10 significant digits, as [`fmt_num`] prints long
/// numbers.
pub fn fmt_approx(n: f64) -> String {
    fmt_float(n, true)
}

fn fmt_float(n: f64, approx: bool) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if n == 0.0 {
        return "0".into();
    }
    // The shortest decimal that reads back to `n`; past 15 digits, `n`
    // rounded to 10 (from its exact binary value, not twice).
    let shortest = format!("{:e}", n.abs());
    let sci = match split_sci(&shortest) {
        Some((digits, _)) if approx || digits.len() > MAX_EXACT_DIGITS => {
            format!("{:.*e}", SIGNIFICANT - 1, n.abs())
        }
        _ => shortest,
    };
    match split_sci(&sci) {
        Some((digits, exp)) => human_decimal(n < 0.0, &digits, exp),
        None => sci,
    }
}

/// Significant digits printed exactly.
const MAX_EXACT_DIGITS: usize = 15;

/// Significant digits of a number that has more than [`MAX_EXACT_DIGITS`].
const SIGNIFICANT: usize = 10;

/// `d.ddde±x` as its significant digits (no leading zeros) and the power
/// of ten of the first.
fn split_sci(s: &str) -> Option<(String, i32)> {
    let (mantissa, exp) = s.split_once(['e', 'E'])?;
    let exp: i32 = exp.parse().ok()?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let lead = digits.len() - digits.trim_start_matches('0').len();
    let int_len = mantissa.split('.').next().unwrap_or("").len() as i32;
    // The first digit of the mantissa is at 10^(exp + int_len - 1).
    Some((digits[lead..].to_string(), exp + int_len - 1 - lead as i32))
}

/// A decimal for people from its sign, significant digits (the first one
/// not zero) and the power of ten of the first digit; see [`fmt_num`].
pub fn human_decimal(neg: bool, digits: &str, exp: i32) -> String {
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        return "0".into();
    }
    let plain_range = (-6..15).contains(&exp);
    let (digits, exp) = if digits.len() <= MAX_EXACT_DIGITS && plain_range {
        (digits.to_string(), exp)
    } else {
        round_digits(digits, SIGNIFICANT, exp)
    };
    let digits = digits.trim_end_matches('0');
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-6..15).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!("e{}{}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs()));
    }
    out
}

/// `digits` (the first of them at 10^exp) rounded half up to `keep`
/// significant digits; a carry moves the exponent (`9.99...` to `10`).
fn round_digits(digits: &str, keep: usize, exp: i32) -> (String, i32) {
    if digits.len() <= keep {
        return (digits.to_string(), exp);
    }
    let mut kept: Vec<u8> = digits.as_bytes()[..keep].to_vec();
    if digits.as_bytes()[keep] >= b'5' {
        let mut i = keep;
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                kept.pop();
                return (String::from_utf8_lossy(&kept).into_owned(), exp + 1);
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    (String::from_utf8_lossy(&kept).into_owned(), exp)
}

/// Formats days since the epoch as `YYYY-MM-DD`.
pub fn fmt_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
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
pub fn fmt_dur(secs: Rational) -> String {
    for (unit, f) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        let f = Rational::int(f);
        if let Some(n) = secs.div(f) {
            if !secs.is_zero() && n.is_integer() && secs.abs() >= f {
                return format!("{n}{unit}");
            }
        }
    }
    if !secs.is_zero() && secs.abs() < Rational::ONE {
        if let Some(ms) = secs.div(MS) {
            return format!("{ms}ms");
        }
    }
    format!("{secs}s")
}

/// Formats nanoseconds since the epoch as RFC 3339 in UTC, with the
/// fraction of a second only when there is one.
pub fn fmt_time(nanos: i64) -> String {
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let frac = nanos.rem_euclid(NANOS_PER_SEC);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let mut out = format!("{}T{:02}:{:02}:{:02}", fmt_date(days), rem / 3600, rem % 3600 / 60, rem % 60);
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Nanoseconds in a second.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A duration in seconds as whole nanoseconds, rounded toward the past
/// (`None` when it does not fit).
pub fn secs_to_nanos_floor(secs: Rational) -> Option<i64> {
    i64::try_from(secs.mul(Rational::int(NANOS_PER_SEC))?.floor()).ok()
}

/// A duration in seconds as whole nanoseconds, rounded toward the future.
pub fn secs_to_nanos_ceil(secs: Rational) -> Option<i64> {
    i64::try_from(secs.mul(Rational::int(NANOS_PER_SEC))?.ceil()).ok()
}

/// Nanoseconds as an exact number of seconds.
pub fn nanos_to_secs(nanos: i64) -> Rational {
    Rational::new(i128::from(nanos), i128::from(NANOS_PER_SEC)).unwrap_or(Rational::ZERO)
}

/// Displays a value for explanations; declarations need a name lookup, so
/// they print as `#id` here and callers with a model use
/// [`super::Model::display_value`].
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{n}"),
            Value::Dur(s) => write!(f, "{}", fmt_dur(*s)),
            Value::Money(a, c) => write!(f, "{a} {c}"),
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
    fn numbers_print_at_a_precision_people_read() {
        // Short decimals exactly.
        assert_eq!(fmt_num(0.07), "0.07");
        assert_eq!(fmt_num(-2.5), "-2.5");
        assert_eq!(fmt_num(246.0), "246");
        assert_eq!(fmt_num(0.000001), "0.000001");
        assert_eq!(fmt_num(123_456_789_012_345.0), "123456789012345");
        assert_eq!(fmt_num(0.123_456_789_012), "0.123456789012");
        // Long fractions to 10 significant digits.
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(1.0 / 3.0), "0.3333333333");
        assert_eq!(fmt_num(2.0 / 3.0), "0.6666666667");
        assert_eq!(fmt_num(123_456.123_456_789), "123456.123456789");
        assert_eq!(fmt_num(123_456.123_456_789_1), "123456.1235");
        assert_eq!(fmt_num(9.999_999_999_96), "9.99999999996");
        assert_eq!(fmt_num(9.999_999_999_999_999), "10");
        assert_eq!(fmt_num(999_999_999_999_999.9), "1e+15");
        // Huge and tiny magnitudes with an exponent, never 309 digits.
        assert_eq!(fmt_num(f64::MAX), "1.797693135e+308");
        assert_eq!(fmt_num(-1e300), "-1e+300");
        assert_eq!(fmt_num(1e15), "1e+15");
        assert_eq!(fmt_num(1_234_567_890_123_456.0), "1.23456789e+15");
        assert_eq!(fmt_num(1e-9), "1e-9");
        assert_eq!(fmt_num(1.5e-7), "1.5e-7");
        assert_eq!(fmt_num(f64::MIN_POSITIVE), "2.225073859e-308");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(f64::NAN), "NaN");
        assert!(fmt_num(1e308).len() < 20);
        assert_eq!(fmt_approx(8.100_000_072_922_68), "8.100000073");
        assert_eq!(fmt_approx(0.5), "0.5");
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_num(0.11), "0.11");
        assert_eq!(fmt_num(93.5), "93.5");
        let q = |s: &str| Rational::parse_decimal(s).unwrap();
        assert_eq!(fmt_dur(q("0.25")), "250ms");
        assert_eq!(fmt_dur(Rational::int(30 * 86_400)), "30d");
        assert_eq!(fmt_dur(q("246")), "246s");
        assert_eq!(fmt_dur(q("0.5")), "500ms");
        assert_eq!(fmt_date(0), "1970-01-01");
        assert_eq!(fmt_time(1_795_478_400 * NANOS_PER_SEC), "2026-11-24T00:00:00Z");
        assert_eq!(fmt_time(1_795_478_400 * NANOS_PER_SEC + 5_000_000), "2026-11-24T00:00:00.005Z");
        assert_eq!(MeasureUnit::Percent.format_raw(q("93.5")), "93.5%");
        assert_eq!(MeasureUnit::Ratio.format_raw(q("0.0047")), "0.47%");
    }
}
