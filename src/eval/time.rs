//! Times: Unix nanoseconds (UTC), civil dates and RFC 3339.

use super::kept::Kept;
use crate::check::rational::Rational;
use crate::check::value::Value;

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1-12,
/// `day` 1-31; not validated).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `(year, month, day)` of a day count since
/// 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

/// Whether `year` is a leap year of the Gregorian calendar.
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days of a month (`month` 1-12).
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses an RFC 3339 date-time into Unix nanoseconds.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS`, with `T`, `t` or a space between date and
/// time, optional fractional seconds (kept to the nanosecond; digits past
/// the ninth must be zeros, so no instant is rounded into or out of a
/// window), and `Z`, `z` or an offset `+HH:MM` / `-HH:MM`. A leap second
/// (`:60`) is refused: Unix time has no such instant. Anything else,
/// including an out-of-range field, a missing offset or a time outside the
/// years 1678 to 2261 (what nanoseconds in 64 bits hold), gives `None`.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            let d = i64::from(b[i] - b'0');
            if i - start < 9 {
                nanos = nanos * 10 + d;
            } else if d != 0 {
                return None;
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start).min(9)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let oh = digits(b, i + 1, 2)?;
            if b.get(i + 3) != Some(&b':') {
                return None;
            }
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let magnitude = oh * 3600 + om * 60;
            i += 6;
            if *sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    let (month, day) = (month as u32, day as u32);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    secs.checked_mul(NANOS)?.checked_add(nanos)
}

/// Nanoseconds in a second (the one constant, named for this module).
pub const NANOS: i64 = crate::check::value::NANOS_PER_SEC;

/// Unix seconds (a whole number) as nanoseconds, saturating.
pub fn secs(seconds: i64) -> i64 {
    seconds.saturating_mul(NANOS)
}

/// `len` ASCII digits at `at`, as a number.
fn digits(b: &[u8], at: usize, len: usize) -> Option<i64> {
    let slice = b.get(at..at + len)?;
    let mut n = 0i64;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some(n)
}

/// Formats Unix nanoseconds as `YYYY-MM-DDTHH:MM:SSZ`, with a fraction of
/// a second (`.005`) only when there is one; always UTC.
pub fn format_rfc3339(time: i64) -> String {
    let mut buf = [0; 30];
    match format_rfc3339_into(time, &mut buf) {
        Some(text) => text.to_string(),
        None => crate::check::value::fmt_time(time),
    }
}

/// [`format_rfc3339`] written into `buf` when it can be (the years 0000 to
/// 9999), to be joined into a longer text without a string of its own.
pub fn rfc3339_text(time: i64, buf: &mut [u8; 30]) -> std::borrow::Cow<'_, str> {
    match format_rfc3339_into(time, buf) {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => std::borrow::Cow::Owned(crate::check::value::fmt_time(time)),
    }
}

/// How many times each thread keeps formatted ([`format_rfc3339_into`]).
pub(crate) const KEPT_TIMES: usize = 256;

thread_local! {
    /// Times formatted recently on this thread ([`super::kept`]): a report
    /// names the same few sample times over and over (in each read's
    /// reason and samples, in JSON and through serde). The empty slot's
    /// mark, `i64::MIN`, is formatted anew.
    static KEPT: std::cell::RefCell<Kept<KEPT_TIMES, 30>> =
        const { std::cell::RefCell::new(Kept::new(i64::MIN as u64)) };
}

/// [`format_rfc3339`] into a buffer, without allocating, for the years
/// 0000 to 9999 (`None` outside them). Reports write many of these; one
/// formatted recently on this thread is copied.
pub fn format_rfc3339_into(time: i64, buf: &mut [u8; 30]) -> Option<&str> {
    let len = with_kept(time, |text| {
        buf[..text.len()].copy_from_slice(text);
        text.len()
    })?;
    // The text is ASCII, written by `format_uncached`.
    std::str::from_utf8(&buf[..len]).ok()
}

/// [`format_rfc3339_into`] appended to `out` as bytes (the JSON writer's
/// way, without a copy in between); `false`, and nothing appended,
/// outside the years 0000 to 9999.
pub(crate) fn push_rfc3339(time: i64, out: &mut Vec<u8>) -> bool {
    with_kept(time, |text| out.extend_from_slice(text)).is_some()
}

/// `time`'s text, formatted now or kept from before ([`KEPT`]), given to
/// `take`.
fn with_kept<R>(time: i64, take: impl FnOnce(&[u8]) -> R) -> Option<R> {
    KEPT.with_borrow_mut(|kept| kept.text(time as u64, |buf| format_uncached(time, buf).map(str::len)).map(take))
}

/// [`format_rfc3339_into`], formatted.
fn format_uncached(time: i64, buf: &mut [u8; 30]) -> Option<&str> {
    let secs_total = time.div_euclid(NANOS);
    let frac = time.rem_euclid(NANOS);
    let (y, m, d) = civil_from_days(secs_total.div_euclid(86_400));
    if !(0..=9999).contains(&y) {
        return None;
    }
    let secs = secs_total.rem_euclid(86_400);
    let fields = [
        (y / 100, 0),
        (y % 100, 2),
        (m.into(), 5),
        (d.into(), 8),
        (secs / 3600, 11),
        (secs / 60 % 60, 14),
        (secs % 60, 17),
    ];
    buf[..19].copy_from_slice(b"0000-00-00T00:00:00");
    for (n, at) in fields {
        buf[at] = b'0' + (n / 10 % 10) as u8;
        buf[at + 1] = b'0' + (n % 10) as u8;
    }
    let mut end = 19;
    if frac != 0 {
        buf[end] = b'.';
        end += 1;
        let mut digits = [0u8; 9];
        let mut f = frac;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (f % 10) as u8;
            f /= 10;
        }
        let mut n = 9;
        while digits[n - 1] == b'0' {
            n -= 1;
        }
        buf[end..end + n].copy_from_slice(&digits[..n]);
        end += n;
    }
    buf[end] = b'Z';
    std::str::from_utf8(&buf[..end + 1]).ok()
}

/// Two durations compared, both in whole days (`0d` against `30d`, `45d`
/// against `30d`): shown in days, so a date difference does not read in
/// seconds or weeks. `None` when either is not a whole number of days.
pub(crate) fn in_days(l: &Value, r: &Value) -> Option<[String; 2]> {
    let day = Rational::int(86_400);
    let whole = |v: &Value| match v {
        Value::Dur(secs) => secs.div(day).filter(|n| n.is_integer()).map(|n| {
            let mut days = String::with_capacity(8);
            n.push_to(&mut days);
            days.push('d');
            days
        }),
        _ => None,
    };
    Some([whole(l)?, whole(r)?])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A time formatted on a thread that keeps recent ones reads as when
    /// formatted anew: more times than slots, each twice in a row and
    /// again after the others, the empty slot's mark first, on two
    /// threads.
    #[test]
    fn kept_times_read_as_formatted_anew() {
        let mut times = vec![i64::MIN, i64::MIN + 1, i64::MAX, -1, 0, 5_000_000];
        times.extend((0..4 * KEPT_TIMES as i64).map(|i| 1_795_478_400_000_000_000 + i * 3_600_000_000_007));
        let check = |offset: usize| {
            for k in 0..times.len() {
                let t = times[(k + offset) % times.len()];
                for _ in 0..2 {
                    let (mut kept, mut anew) = ([0; 30], [0; 30]);
                    let expected = format_uncached(t, &mut anew).map(str::to_string);
                    assert_eq!(format_rfc3339_into(t, &mut kept).map(str::to_string), expected, "{t}");
                }
            }
        };
        std::thread::scope(|scope| {
            let other = scope.spawn(|| check(7));
            check(0);
            check(3);
            other.join().unwrap();
        });
    }

    const SEC: i64 = NANOS;

    #[test]
    fn rfc3339_round_trip_and_forms() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-24T00:00:00Z"), Some(1_795_478_400 * SEC));
        assert_eq!(format_rfc3339(1_795_478_400 * SEC), "2026-11-24T00:00:00Z");
        assert_eq!(parse_rfc3339("2026-11-24T02:00:00+02:00"), parse_rfc3339("2026-11-24T00:00:00Z"));
        assert_eq!(parse_rfc3339("2026-11-23T19:30:00-04:30"), parse_rfc3339("2026-11-24T00:00:00Z"));
        // Fractions are kept, never floored into a window.
        assert_eq!(parse_rfc3339("2026-11-24t00:00:00.999z"), Some(1_795_478_400 * SEC + 999_000_000));
        assert_eq!(parse_rfc3339("2026-11-24 00:00:00.5Z"), Some(1_795_478_400 * SEC + 500_000_000));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59.5Z"), Some(-SEC / 2));
        assert_eq!(format_rfc3339(-SEC / 2), "1969-12-31T23:59:59.5Z");
        assert_eq!(format_rfc3339(-SEC), "1969-12-31T23:59:59Z");
        assert_eq!(parse_rfc3339("2026-11-24T00:00:00.123456789Z"), Some(1_795_478_400 * SEC + 123_456_789));
        assert_eq!(format_rfc3339(1_795_478_400 * SEC + 123_456_789), "2026-11-24T00:00:00.123456789Z");
        assert_eq!(parse_rfc3339("2026-11-24T00:00:00.1234567890Z"), Some(1_795_478_400 * SEC + 123_456_789));
        assert_eq!(parse_rfc3339("2024-02-29T12:00:00Z"), Some(1_709_208_000 * SEC));
    }

    #[test]
    fn rfc3339_refuses_leap_seconds_precision_it_cannot_keep_and_far_years() {
        assert_eq!(parse_rfc3339("2016-12-31T23:59:60Z"), None);
        assert_eq!(parse_rfc3339("2026-11-24T00:00:00.0000000001Z"), None);
        assert_eq!(parse_rfc3339("2300-01-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("1600-01-01T00:00:00Z"), None);
    }

    #[test]
    fn rfc3339_rejects() {
        for bad in [
            "",
            "2026-11-24",
            "2026-11-24T00:00:00",
            "2026-11-24T00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-31T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T00:60:00Z",
            "2026-11-24T00:00:00.Z",
            "2026-11-24T00:00:00+0200",
            "2026-11-24T00:00:00+24:00",
            "2026-11-24T00:00:00Zjunk",
            "2026/11/24T00:00:00Z",
            "２026-11-24T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert!(d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(format_rfc3339(4_102_444_799 * SEC), "2099-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(i64::MAX), "2262-04-11T23:47:16.854775807Z");
    }

    #[test]
    fn the_fast_time_format_agrees_with_the_general_one() {
        let general = |t: i64| crate::check::value::fmt_time(t);
        // Across the whole range, on a step that visits every second of the day.
        let mut t = i64::MIN / SEC * SEC + SEC;
        while t < i64::MAX - (86_399 * 37 + 1) * SEC * 997 {
            assert_eq!(format_rfc3339(t), general(t), "at {t}");
            assert_eq!(format_rfc3339(t + 250_000_000), general(t + 250_000_000), "at {t}");
            t += (86_399 * 37 + 1) * SEC * 997;
        }
        assert_eq!(format_rfc3339(i64::MIN / 2), general(i64::MIN / 2));
        assert_eq!(format_rfc3339(i64::MAX / 2), general(i64::MAX / 2));
    }
}
