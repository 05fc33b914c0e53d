//! Completion of units: a KPI's measure units, the time units after a
//! number (those of the KPI's dimension first) and currencies.

use super::{context, item, CompletionItem, ItemKind, Out};
use crate::check::{AttrType, Kind};

pub(super) const MEASURE_UNITS: &[(&str, &str)] = &[
    ("percent", "93.5 means 93.5%"),
    ("ratio", "0.935 means 93.5%"),
    ("number", "plain numbers"),
    ("ms", "milliseconds"),
    ("s", "seconds"),
    ("m", "minutes"),
    ("h", "hours"),
    ("d", "days"),
    ("w", "weeks"),
];

pub(super) const CURRENCIES: &[(&str, &str)] = &[
    ("USD", "US dollar"),
    ("EUR", "euro"),
    ("GBP", "pound sterling"),
    ("JPY", "yen"),
    ("CHF", "Swiss franc"),
    ("CAD", "Canadian dollar"),
    ("AUD", "Australian dollar"),
    ("CNY", "renminbi"),
    ("INR", "Indian rupee"),
];

const TIME_UNITS: &[(&str, &str)] =
    &[("d", "days"), ("h", "hours"), ("w", "weeks"), ("m", "minutes"), ("s", "seconds"), ("ms", "milliseconds")];

/// The units that may follow a number written right before the cursor:
/// `%` and time units, or currencies where the value is money (a
/// `budget`, the target of a KPI counted in a currency). `kpi_unit` is the
/// `unit` written in the enclosing KPI, if any.
pub(super) fn units(out: &mut Out, attr: Option<&(Kind, String)>, duration: bool, kpi_unit: Option<&str>) {
    let ty = attr.and_then(|(k, a)| k.attr(a)).map(|s| s.ty);
    let kpi_currency = kpi_unit.filter(|u| CURRENCIES.iter().any(|(c, _)| c == u));
    match ty {
        _ if duration => {}
        Some(AttrType::Duration) => {}
        Some(AttrType::Money) => return currencies(out, None, "0"),
        Some(AttrType::Threshold) if kpi_currency.is_some() => return currencies(out, kpi_currency, "0"),
        Some(AttrType::Number | AttrType::Str | AttrType::Date) => return,
        _ => out.push(CompletionItem {
            detail: Some("percent: 92% is 0.92".to_string()),
            ..item("%", ItemKind::Unit, "0")
        }),
    }
    for (i, (u, d)) in TIME_UNITS.iter().enumerate() {
        out.push(CompletionItem { detail: Some(d.to_string()), ..item(u, ItemKind::Unit, &format!("1{i}")) });
    }
    // Money may fit where the unit is not known from the text: a criterion,
    // a KPI without a `unit`.
    let unknown = match attr {
        None => true,
        Some((Kind::Kpi, _)) => kpi_unit.is_none(),
        Some(_) => false,
    };
    if !duration && unknown {
        currencies(out, None, "2");
    }
}

/// Currencies after a number, separated from it by a space; `first` (the
/// currency already in use) sorts before the others.
fn currencies(out: &mut Out, first: Option<&str>, sort: &str) {
    for (c, d) in CURRENCIES {
        let sort = if Some(*c) == first { format!("{sort}0") } else { format!("{sort}1") };
        out.push(CompletionItem {
            detail: Some(d.to_string()),
            insert: format!(" {c}"),
            ..item(c, ItemKind::Unit, &sort)
        });
    }
}

/// The `unit` written in the top-level declaration around the cursor.
pub(super) fn kpi_unit<'t>(scan: &context::Scan<'t>) -> Option<&'t str> {
    let piece = scan.text.get(scan.piece.range())?;
    piece.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("unit")?;
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let word = rest.split_whitespace().next()?;
        Some(word.split("//").next().unwrap_or(word)).filter(|w| !w.is_empty())
    })
}
