//! The exact numbers' tests.

use super::*;

fn q(s: &str) -> Rational {
    Rational::parse_decimal(s).unwrap_or_else(|| panic!("{s}"))
}

/// Appending a number writes what formatting it writes: integers at
/// and past the 18-digit edge, both signs, short decimals, fractions
/// with no short decimal, and `i64::MIN`'s digits (`push_int`).
#[test]
fn a_number_appended_is_the_number_formatted() {
    let mut nums: Vec<i128> = vec![0, 1, 7, 10, 99, 1234, 999_999_999_999_999, 10i128.pow(15)];
    nums.extend([10i128.pow(17) + 3, 10i128.pow(18) - 1, 10i128.pow(18), i64::MAX as i128, i64::MAX as i128 * 3]);
    for num in nums.iter().flat_map(|n| [*n, -*n]) {
        for den in [1i128, 2, 3, 8, 10, 1000, 7 * 1024, 10i128.pow(18)] {
            let Some(q) = Rational::new(num, den) else { continue };
            let mut out = String::from("x");
            q.push_to(&mut out);
            assert_eq!(out, format!("x{q}"), "{num}/{den}");
        }
    }
    for n in [0, -1, 42, i64::MAX, i64::MIN, -1_000_000] {
        let mut out = String::new();
        push_int(&mut out, n);
        assert_eq!(out, n.to_string());
    }
}

/// The short way of writing a number writes what the general way
/// does, wherever it answers: integers, decimals of every length and
/// scale, halves and fifths, signs, and numbers that round.
#[test]
fn short_decimals_are_written_as_the_general_way_writes_them() {
    let mut answered = 0;
    let mut nums: Vec<i128> = vec![0, 1, 5, 7, 10, 99, 100, 707, 1234, 9999, 123_456_789, 999_999_999_999_999];
    nums.extend([10i128.pow(15), 10i128.pow(15) + 1, 10i128.pow(18), 123_456_789_012_345_678, i64::MAX as i128]);
    let nums: Vec<i128> = nums.iter().flat_map(|n| [*n, -*n]).collect();
    for num in nums {
        for twos in 0..=22u32 {
            for fives in [0u32, 1, 2, 3, 7, 18, 19, 22] {
                let den = 2i128.pow(twos) * 5i128.pow(fives);
                let Some(q) = Rational::new(num, den) else { continue };
                let mut buf = [0u8; 40];
                let short = q.short_decimal(&mut buf).map(str::to_string);
                answered += usize::from(short.is_some());
                if let Some(short) = short {
                    assert_eq!(short, q.display_general(), "{num}/{den}");
                }
                if q.den != 1 || q.num.unsigned_abs() >= 1_000_000_000_000_000 {
                    assert_eq!(q.to_string(), q.display_general(), "{num}/{den}");
                }
            }
        }
    }
    assert!(answered > 1000, "the short way answers for most: {answered}");
    assert_eq!(Rational::new(707, 10_000).map(|q| q.to_string()).as_deref(), Some("0.0707"));
    assert_eq!(Rational::new(-9393, 100).map(|q| q.to_string()).as_deref(), Some("-93.93"));
}

/// A product with a whole number, on either side, is the reduced
/// quotient of the products.
#[test]
fn products_with_whole_numbers_are_reduced() {
    let parts = [0i128, 1, -1, 2, 3, 7, 100, -100, 86_400, 1_000_000_007, 123_456_789_012];
    for (n, d) in parts.iter().flat_map(|n| parts.iter().map(move |d| (*n, *d))) {
        let Some(q) = Rational::new(n, d) else { continue };
        for k in parts {
            let whole = Rational::int(k as i64);
            let want = Rational::new(n * k, d);
            assert_eq!(q.mul(whole), want, "{n}/{d} * {k}");
            assert_eq!(whole.mul(q), want, "{k} * {n}/{d}");
        }
    }
    assert_eq!(Rational::new(i128::MAX, 3).and_then(|q| q.mul(Rational::int(6))), None, "overflow");
}

#[test]
fn decimals_are_exact() {
    assert_eq!(q("0.1").add(q("0.2")), Some(q("0.3")));
    assert_eq!(q("4.1").mul(Rational::int(60)), Some(Rational::int(246)));
    assert_eq!(q("0.47").div(Rational::int(100)), Some(q("0.0047")));
    assert_eq!(q("1_200_000"), Rational::int(1_200_000));
    assert_eq!(q("1.5e-3"), q("0.0015"));
    assert_eq!(q("-2.50"), Rational::new(-5, 2).unwrap());
    assert_eq!(Rational::parse_decimal("1e400"), None);
    // The 64-bit path and the general one agree wherever the first
    // answers, zeros, separators and trailing zeros included.
    let texts =
        "0 0.0 92 0.1 1_000 1.50 30 100 0.000100 999999999999999999 99999999999999999.9 1_2.3_4 007 5. .5 12.000";
    for text in texts.split(' ') {
        let fast = Rational::parse_short_decimal(text.as_bytes());
        let general = Rational::parse_decimal(&format!("+{text}"));
        assert!(fast.is_some(), "{text}");
        assert_eq!(fast, general, "{text}");
    }
    for text in ["", ".", "1e3", "-1", "1.2.3", "1234567890123456789", "x"] {
        assert_eq!(Rational::parse_short_decimal(text.as_bytes()), None, "{text}");
    }
    assert_eq!(Rational::parse_decimal("."), None);
    assert_eq!(Rational::parse_decimal("1.2.3"), None);
}

#[test]
fn floats_read_as_their_shortest_decimal() {
    assert_eq!(Rational::from_f64(0.1), Some(q("0.1")));
    assert_eq!(Rational::from_f64(93.5), Some(q("93.5")));
    assert_eq!(Rational::from_f64(4.1), Some(q("4.1")));
    assert_eq!(Rational::from_f64(f64::NAN), None);
    assert_eq!(Rational::from_f64(1e300), None);
    assert_eq!(Rational::from_f64(-0.0), Some(Rational::ZERO));
}

#[test]
fn the_fast_float_path_agrees_with_the_shortest_decimal() {
    let mut x = 0.000_123_f64;
    for i in 0..20_000 {
        let y = x * if i % 2 == 0 { 1.0 } else { -1.0 };
        assert_eq!(Rational::from_f64(y), Rational::parse_decimal(&format!("{y:e}")), "{y:e}");
        x = x * 1.37 + 0.001_1;
        if x > 1e14 {
            x = 0.000_7 * (i as f64 + 1.0);
        }
    }
    for y in [0.1, 0.07, 93.5, 0.0047, 4.1, 199.999, 1.0 / 3.0, 2.0f64.sqrt(), 1e-7, 123_456.789_012_345] {
        assert_eq!(Rational::from_f64(y), Rational::parse_decimal(&format!("{y:e}")), "{y:e}");
    }
}

#[test]
fn order_is_exact_even_past_overflow() {
    let big = Rational::new(i128::MAX / 3, i128::MAX / 7 + 1).unwrap();
    let big2 = Rational::new(i128::MAX / 3 - 1, i128::MAX / 7 + 1).unwrap();
    assert!(big2 < big);
    assert_eq!(big.cmp(&big), Ordering::Equal);
    assert!(Rational::new(-1, 3).unwrap() < Rational::new(-1, 4).unwrap());
    assert!(Rational::new(1, 3).unwrap() > Rational::new(333, 1000).unwrap());
}

#[test]
fn display() {
    assert_eq!(q("0.0047").to_string(), "0.0047");
    assert_eq!(Rational::new(1, 3).unwrap().to_string(), "0.3333333333");
    assert_eq!(Rational::int(246).to_string(), "246");
    assert_eq!(q("-93.5").to_string(), "-93.5");
    assert_eq!(q("0.000001").to_string(), "0.000001");
    assert_eq!(q("0.0000001").to_string(), "1e-7");
    assert_eq!(q("123456789012345").to_string(), "123456789012345");
    assert_eq!(q("0.123456789012345").to_string(), "0.123456789012345");
    // Huge exact numbers: an exponent and 10 significant digits, not
    // 38 digits (nor the f64's 1000000000000000019884624838656).
    assert_eq!(Rational::new(10i128.pow(30), 1).unwrap().to_string(), "1e+30");
    assert_eq!(Rational::new(i128::MAX, 1).unwrap().to_string(), "1.701411835e+38");
    assert_eq!(q("1234567890123456789").to_string(), "1.23456789e+18");
    assert_eq!(Rational::new(1, 10i128.pow(30)).unwrap().to_string(), "1e-30");
    // Long exact fractions round, half up, to 10 significant digits.
    assert_eq!(q("0.12345678901234567").to_string(), "0.123456789");
    assert_eq!(q("99999999999.999999").to_string(), "100000000000");
    assert_eq!(Rational::new(2, 3).unwrap().to_string(), "0.6666666667");
    assert_eq!(Rational::new(-1, 7).unwrap().to_string(), "-0.1428571429");
    // 1 / 0.123456789012: 15 digits as an f64, but no short decimal.
    assert_eq!(Rational::new(10i128.pow(12), 123_456_789_012).unwrap().to_string(), "8.100000073");
    assert_eq!(Rational::new(1, 3 * 10i128.pow(20)).unwrap().to_string(), "3.333333333e-21");
    assert_eq!(q("0.07").to_f64(), 0.07);
}

/// A sum is what adding one after the other gives, `None` included:
/// decimals of many lengths (denominators dividing one another), halves,
/// fifths and quarters, thirds and sevenths (dividing neither way), whole
/// numbers, both signs, and numbers near the edge of exact arithmetic:
/// where the common denominator overflows and the sum falls back to adding
/// one by one, and where a numerator would be `i128::MIN`.
#[test]
fn a_sum_is_the_sum_added_one_by_one() {
    let one_by_one = |xs: &[Rational]| xs.iter().try_fold(Rational::ZERO, |a, b| a.add(*b));
    let mut values: Vec<Rational> =
        ["0.000707", "93.93", "0.1", "-2.5", "7", "0", "1e-18", "123456789.000000001", "0.2", "0.25", "-0.5"]
            .iter()
            .map(|s| q(s))
            .collect();
    values.extend([Rational::new(1, 3), Rational::new(-2, 7), Rational::new(5, 6)].into_iter().flatten());
    let big = i128::MAX / 4;
    values.extend(
        [Rational::new(big, 1), Rational::new(big, 3), Rational::new(-big, 10i128.pow(18))].into_iter().flatten(),
    );
    values.extend([Rational::new(1, 10i128.pow(30)), Rational::new(3, 10i128.pow(35))].into_iter().flatten());
    // Two of these sum to `i128::MIN`, which no rational has as numerator.
    values.extend(
        [Rational::new(i128::MIN / 2, 1), Rational::new(i128::MAX, 1), Rational::new(-i128::MAX, 1)]
            .into_iter()
            .flatten(),
    );
    assert_eq!(values.len(), 22);
    assert_eq!(one_by_one(&[values[19], values[19]]), None);
    // Every run of up to four values, in every order.
    let n = values.len();
    let mut checked = 0;
    for a in 0..n {
        for b in 0..n {
            for c in 0..n {
                for d in 0..n {
                    let run = [values[a], values[b], values[c], values[d]];
                    let lens: &[usize] = if d == 0 { &[0, 1, 2, 3, 4] } else { &[4] };
                    for len in lens {
                        assert_eq!(Rational::sum(&run[..*len]), one_by_one(&run[..*len]), "{:?}", &run[..*len]);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > n.pow(4));
    // A week of decimal samples, and the same with two that overflow.
    let week: Vec<Rational> =
        ["0.0007", "0.000707", "0.000714", "0.000721", "0.000728", "0.0007", "0.000707"].iter().map(|s| q(s)).collect();
    assert_eq!(Rational::sum(&week), Some(q("0.004977")));
    let mut over = week.clone();
    over.extend([Rational::new(i128::MAX / 2, 1), Rational::new(i128::MAX / 2, 1)].into_iter().flatten());
    assert_eq!(Rational::sum(&over), None);
    assert_eq!(one_by_one(&over), None);
}

/// Whole numbers whose product would be `i128::MIN` have no product: no
/// rational has that numerator.
#[test]
fn no_product_has_the_numerator_i128_min() {
    let (a, b) = (Rational::new(i128::MIN / 2, 1), Rational::new(2, 1));
    assert_eq!(a.zip(b).and_then(|(a, b)| a.mul(b)), None);
    assert_eq!(
        Rational::new(i128::MIN / 4, 1).zip(b).and_then(|(a, b)| a.mul(b)).map(|p| p.numer()),
        Some(i128::MIN / 2)
    );
}
